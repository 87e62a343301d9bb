package dwn

import (
	"context"
	"errors"
	"io"
	"strings"
)

// Indexes are the indexed properties of a stored message: property name → value, where a
// value is a string, a float64, a bool, or a []any of strings and float64s (multi-valued
// tags). Tag properties are named "tag.<name>". The store indexes every property it is
// given; which properties a message has is decided by the handlers (dwn-protocol.md §5.4).
type Indexes map[string]any

// SortProperty is a property results can be sorted by.
type SortProperty uint8

const (
	// SortDateCreated sorts by descriptor.dateCreated.
	SortDateCreated SortProperty = iota
	// SortDatePublished sorts by descriptor.datePublished; only published records have it.
	SortDatePublished
)

// IndexName returns the name of the index property the sort uses.
func (s SortProperty) IndexName() string {
	if s == SortDatePublished {
		return "datePublished"
	}
	return "dateCreated"
}

// Filter selects messages by their Indexes. Every condition must hold (AND).
type Filter struct {
	// Equal: the property equals the value (or, for a multi-valued property, one element does).
	Equal map[string]any
	// OneOf: the property equals one of the values.
	OneOf map[string][]any
	// Prefix: the property is a string with this prefix.
	Prefix map[string]string
	// Ranges: the property lies in the range.
	Ranges map[string]Range
}

// IndexLookup gives the value of one indexed property (nil when absent): Indexes, or a
// store's encoded form of them that decodes only what a filter asks for.
type IndexLookup interface {
	Lookup(name string) any
}

// Lookup implements IndexLookup.
func (ix Indexes) Lookup(name string) any { return ix[name] }

// Match reports whether ix satisfies every condition of f. This is the one filter
// implementation; queries and subscriptions both use it.
func (f *Filter) Match(ix IndexLookup) bool {
	for k, want := range f.Equal {
		if !valueMatches(ix.Lookup(k), func(v any) bool { return equalValue(v, want) }) {
			return false
		}
	}
	for k, wants := range f.OneOf {
		ok := valueMatches(ix.Lookup(k), func(v any) bool {
			for _, w := range wants {
				if equalValue(v, w) {
					return true
				}
			}
			return false
		})
		if !ok {
			return false
		}
	}
	for k, p := range f.Prefix {
		ok := valueMatches(ix.Lookup(k), func(v any) bool {
			s, isStr := v.(string)
			return isStr && strings.HasPrefix(s, p)
		})
		if !ok {
			return false
		}
	}
	for k, r := range f.Ranges {
		if !valueMatches(ix.Lookup(k), r.contains) {
			return false
		}
	}
	return true
}

func valueMatches(v any, pred func(any) bool) bool {
	if v == nil {
		return false
	}
	if list, ok := v.([]any); ok {
		for _, e := range list {
			if pred(e) {
				return true
			}
		}
		return false
	}
	return pred(v)
}

func equalValue(a, b any) bool {
	switch x := a.(type) {
	case string:
		y, ok := b.(string)
		return ok && x == y
	case float64:
		y, ok := toFloat(b)
		return ok && x == y
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	}
	return false
}

func toFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	}
	return 0, false
}

// compare returns -1, 0, 1 comparing a and b of the same kind (string or number), and
// ok=false when the kinds differ.
func compare(a, b any) (int, bool) {
	if as, ok := a.(string); ok {
		bs, ok := b.(string)
		if !ok {
			return 0, false
		}
		return strings.Compare(as, bs), true
	}
	af, ok1 := toFloat(a)
	bf, ok2 := toFloat(b)
	if !ok1 || !ok2 {
		return 0, false
	}
	switch {
	case af < bf:
		return -1, true
	case af > bf:
		return 1, true
	}
	return 0, true
}

func (r Range) contains(v any) bool {
	if r.GT != nil {
		if c, ok := compare(v, r.GT); !ok || c <= 0 {
			return false
		}
	}
	if r.GTE != nil {
		if c, ok := compare(v, r.GTE); !ok || c < 0 {
			return false
		}
	}
	if r.LT != nil {
		if c, ok := compare(v, r.LT); !ok || c >= 0 {
			return false
		}
	}
	if r.LTE != nil {
		if c, ok := compare(v, r.LTE); !ok || c > 0 {
			return false
		}
	}
	return true
}

// Query asks a MessageStore for queryable (latest-state) records.
type Query struct {
	// Filters are ORed; a message matching several is returned once.
	Filters []Filter
	// Sort and Descending give the order; ties are broken by messageCid.
	Sort       SortProperty
	Descending bool
	// Limit is the maximum number of entries; 0 means no limit.
	Limit int
	// Cursor, when set, resumes strictly after this position.
	Cursor *Cursor
	// AllIndexes asks for every index of the entries; otherwise their Indexes hold
	// only recordId and entryId (decoding the rest costs more than a page needs).
	AllIndexes bool
}

// StoredMessage is a message as a MessageStore keeps it.
type StoredMessage struct {
	CID         string
	JSON        []byte  // the message JSON as received, without encodedData
	EncodedData []byte  // inline data (≤ MaxEncodedDataSize bytes), nil if none
	Indexes     Indexes // the indexed properties
}

// RecordState is what a MessageStore knows about one record: its initial write and its
// newest message, which is a RecordsWrite or a RecordsDelete.
type RecordState struct {
	RecordID   string
	InitialCID string
	// NewestCID and NewestTimestamp identify the newest message of the record.
	NewestCID       string
	NewestTimestamp string
	// NewestIsDelete is true when the newest message is a RecordsDelete.
	NewestIsDelete bool
	// Queryable is true when the newest message is a write with its data
	// (isLatestBaseState in the reference).
	Queryable bool
	// DataCID and DataSize are those of the newest write (or of the write the delete
	// superseded); Data is its data reference when the data is not inline.
	DataCID  string
	DataSize int64
	Data     *DataRef
	// ParentID of the record, if it is a protocol record with a parent.
	ParentID string
}

// DataRef locates data too large to be inline. The store counts references per
// (tenant, DataCID): the same data in a tenant is kept once.
type DataRef struct {
	DataCID string
	Size    int64
	// Blob names the bytes in the block layer (a blob id in the embedded store, a root
	// CID in IPFS).
	Blob string
}

// RecordUpdate is one atomic change to a record: the new newest message replaces the old.
// Apply checks that the record's newest message is still ExpectNewestCID ("" for a new
// record) and fails with Conflict otherwise, so two racing writers cannot both win.
type RecordUpdate struct {
	RecordID        string
	ExpectNewestCID string
	// Message is the new message; it becomes the newest of the record.
	Message StoredMessage
	// Timestamp is the message's messageTimestamp.
	Timestamp string
	IsDelete  bool
	// IsInitial is true for the initial write of the record.
	IsInitial bool
	// Queryable is true when the message is a write with data (isLatestBaseState).
	Queryable bool
	// DataCID and DataSize of the write (for a delete: unchanged from the state).
	DataCID  string
	DataSize int64
	// NewData is the data reference of this write when its data is not inline; nil
	// when the data is inline or unchanged (AddRef false).
	NewData  *DataRef
	ParentID string
	// Prune removes every descendant of the record (by parentId), with their data.
	Prune bool
}

// ProtocolUpdate is an accepted ProtocolsConfigure: the one configuration of its
// protocol from now on.
type ProtocolUpdate struct {
	Protocol  string
	Timestamp string
	// ExpectNewestCID is the CID of the configuration the caller found newest ("" for
	// none); the store answers Conflict when another one is newest by now.
	ExpectNewestCID string
	// Message is the ProtocolsConfigure; its Indexes hold at least "published".
	Message StoredMessage
}

// Page is a page of query results.
type Page struct {
	Entries []StoredMessage
	// Cursor is set when there are more results after the last entry.
	Cursor *Cursor
}

// MessageStore keeps messages, their indexes, record states, the event log and data
// references of every tenant; tenants never see each other's keys. Implementations must
// make each Apply atomic and durable against a process crash.
type MessageStore interface {
	// Record returns the state of a record; NotFound if it has no messages.
	Record(ctx context.Context, tenant, recordID string) (*RecordState, error)
	// Message returns a stored message by CID; NotFound if absent.
	Message(ctx context.Context, tenant, messageCID string) (*StoredMessage, error)
	// ApplyRecord commits a record change atomically: the message, the record state, the
	// indexes, the event log and the data references. Superseded messages other than the
	// initial write are deleted, and the initial write stops being queryable.
	ApplyRecord(ctx context.Context, tenant string, u *RecordUpdate) error
	// QueryRecords returns queryable records in sort order; see Query.AllIndexes for
	// what the entries' Indexes hold.
	QueryRecords(ctx context.Context, tenant string, q *Query) (*Page, error)
	// ApplyProtocol commits a protocol configuration atomically, replacing (deleting) the
	// configuration it supersedes, with its event.
	ApplyProtocol(ctx context.Context, tenant string, u *ProtocolUpdate) error
	// Protocol returns the configuration of protocol; NotFound if there is none.
	Protocol(ctx context.Context, tenant, protocol string) (*StoredMessage, error)
	// Protocols returns every configuration of the tenant in messageTimestamp order
	// (ties by messageCid), with their indexes.
	Protocols(ctx context.Context, tenant string) ([]StoredMessage, error)
	// Events walks the tenant's event log after sequence number after (0: from the
	// start) in commit order, calling fn with each event's sequence number and message
	// (with its indexes) until fn returns ErrStop or another error, or the log ends.
	// Superseded messages have left the log; a sequence number is never reused.
	Events(ctx context.Context, tenant string, after uint64, fn func(seq uint64, m *StoredMessage) error) error
	// EventSeq returns the sequence number of a message's event; NotFound if it has
	// none.
	EventSeq(ctx context.Context, tenant, messageCID string) (uint64, error)
	// Close releases the store.
	Close() error
}

// ErrStop ends a walk (MessageStore.Events) early without an error.
var ErrStop = errors.New("stop")

// DataStore keeps data too large to be inline.
type DataStore interface {
	// Create starts a blob for a tenant's data dataCID (as claimed by the message; the
	// caller checks it); published says whether the record is published, so that its
	// data may leave the process unencrypted. Bytes written to it are kept only if a
	// committed DataRef names it: an aborted blob, or one left behind by a crash, is
	// removed.
	Create(ctx context.Context, tenant, dataCID string, published bool) (BlobWriter, error)
	// Open returns the data of ref from offset.
	Open(ctx context.Context, tenant string, ref *DataRef, offset int64) (io.ReadCloser, error)
	// Ref returns the data reference of (tenant, dataCid); NotFound if none.
	Ref(ctx context.Context, tenant, dataCID string) (*DataRef, error)
}

// BlobWriter receives the bytes of a new blob in order.
type BlobWriter interface {
	io.Writer
	// Finish flushes the blob and returns its name for a DataRef.
	Finish() (blob string, err error)
	// Abort removes what was written. It is safe to call after Finish when the blob
	// will not be referenced.
	Abort()
}
