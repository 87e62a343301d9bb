// Package badger is the Badger-backed implementation of dwn.MessageStore and
// dwn.DataStore: messages, record states, query indexes, the event log, data references
// and the embedded blob store of one dwnd, in one Badger database.
//
// # Key layout
//
// Every key starts with a one-byte keyspace tag and, except for global metadata, the
// length-prefixed tenant DID (see keys.go). Query indexes hold one entry per
// (property, value, sort property) of each queryable record, with the sort value and the
// messageCid last, so that a query is a seek and a bounded iteration; several equality
// conditions are answered by a leapfrog join of their index ranges. Tags are multi-valued
// (one entry per value) and contextIds are indexed by each of their segment prefixes.
//
// # Atomicity
//
// ApplyRecord writes the message, the record state, the index changes, the event-log
// entry, child links and data-reference counts in one Badger transaction. Data too large
// to be inline is a blob file under dir/blobs, written before that transaction under a
// pending marker; a blob that no committed data reference names is deleted at the next
// start, so a crash leaves nothing half-present. Blobs are plain files because Badger's
// value log is memory-mapped: large data in it would count fully in the server's RSS.
package badger

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	badgerdb "github.com/dgraph-io/badger/v4"
	"github.com/dgraph-io/badger/v4/options"

	"github.com/dwn-ipfs/dwn-ipfs/dwn"
)

// Options configure a Store. The zero value gives the defaults.
type Options struct {
	// InMemory keeps the Badger database in memory (tests only); blobs still go to
	// dir/blobs.
	InMemory bool
	// MemTableSize is Badger's memtable size in bytes; default 16 MiB. Larger values
	// absorb write bursts better and cost memory.
	MemTableSize int64
	// BlockCacheSize is Badger's block cache in bytes; default 0. Tables are not
	// compressed, so blocks are read straight from the memory-mapped table files and a
	// cache would only duplicate them.
	BlockCacheSize int64
	// SyncWrites makes every commit wait for fsync. Default false: commits survive a
	// process crash (the OS keeps the written pages), not a power loss.
	SyncWrites bool
	// Logger receives store events; default slog.Default().
	Logger *slog.Logger
	// EncryptionKey, when set (32 bytes), makes Badger encrypt its files at rest
	// (AES-256). A directory created without it cannot be opened with it, nor the
	// reverse.
	EncryptionKey []byte
	// Blobs keeps record data too large to be inline; default: files under dir/blobs.
	// A data directory keeps the kind of backend it was written with.
	Blobs Blobs
	// Maintenance opens the store for offline administration (such as re-wrapping
	// tenant keys) whatever its blob backend: no blob is touched, no garbage collected,
	// no upload recovered. Record data cannot be read or written.
	Maintenance bool
}

// Store is a dwn.MessageStore and dwn.DataStore on Badger.
type Store struct {
	db         *badgerdb.DB
	log        *slog.Logger
	blobs      Blobs
	syncWrites bool
	// blobMu orders a blob's deletion with the pending marks of equal new blobs.
	blobMu sync.Mutex

	mu      sync.Mutex
	tenants map[string]*tenantState

	ids   sync.Map   // tenant DID → tenant id (string of its uvarint bytes)
	idsMu sync.Mutex // serializes the creation of tenant ids

	gcKick chan struct{}
	stop   chan struct{}
	done   chan struct{}

	// The converter of blob forms (PublicBlobs backends only; see publish.go).
	convertWanted atomic.Bool
	convertKick   chan struct{}
	convertDone   chan struct{}
}

type tenantState struct {
	mu      sync.Mutex // serializes commits so event sequence numbers commit in order
	loaded  bool
	nextSeq uint64
}

var (
	_ dwn.MessageStore = (*Store)(nil)
	_ dwn.DataStore    = (*Store)(nil)
)

// Open opens (creating if needed) the store in dir: the Badger database in dir/db and the
// blob files in dir/blobs.
func Open(dir string, o Options) (*Store, error) {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.MemTableSize <= 0 {
		o.MemTableSize = 16 << 20
	}
	if err := os.MkdirAll(filepath.Join(dir, "blobs"), 0o700); err != nil {
		return nil, fmt.Errorf("storage/badger: %w", err)
	}
	bo := badgerdb.DefaultOptions(filepath.Join(dir, "db")).
		WithInMemory(o.InMemory).
		WithLogger(nil).
		WithSyncWrites(o.SyncWrites).
		WithMemTableSize(o.MemTableSize).
		WithNumMemtables(3).
		WithBlockCacheSize(o.BlockCacheSize).
		WithCompression(options.None).
		// Values over 1 KiB (messages) go to the value log, so memtables and the tables
		// built from them hold keys and small values only: flushes and compactions then
		// need a fraction of the memory and CPU (measured: seeding 2.5x faster, cursor
		// queries 3x, Go heap 250 -> 140 MiB under the benchmark).
		WithValueThreshold(1 << 10).
		WithNumVersionsToKeep(1).
		WithNumCompactors(2)
	if o.InMemory {
		bo.Dir, bo.ValueDir = "", ""
	}
	if len(o.EncryptionKey) > 0 {
		if len(o.EncryptionKey) != 32 {
			return nil, fmt.Errorf("storage/badger: the encryption key must be 32 bytes")
		}
		// Badger needs an index cache and a block cache when it encrypts (blocks are
		// decrypted into the cache).
		bo = bo.WithEncryptionKey(o.EncryptionKey).WithIndexCacheSize(32 << 20)
		if o.BlockCacheSize <= 0 {
			bo = bo.WithBlockCacheSize(32 << 20)
		}
	}
	db, err := badgerdb.Open(bo)
	if err != nil {
		if strings.Contains(err.Error(), "ncryption key mismatch") || strings.Contains(err.Error(), "ncryption") {
			return nil, fmt.Errorf("storage/badger: open %s: %w (the directory was written with a different master key, or with none: use the same key as before or an empty --data directory)", dir, err)
		}
		return nil, fmt.Errorf("storage/badger: open %s: %w", dir, err)
	}
	if o.Blobs == nil {
		o.Blobs = &fileBlobs{dir: filepath.Join(dir, "blobs"), syncWrites: o.SyncWrites}
	}
	s := &Store{db: db, log: o.Logger, blobs: o.Blobs, syncWrites: o.SyncWrites, tenants: map[string]*tenantState{},
		gcKick: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{}),
		convertKick: make(chan struct{}, 1), convertDone: make(chan struct{})}
	if err := s.checkVersion(); err != nil {
		db.Close()
		return nil, err
	}
	if o.Maintenance {
		s.blobs = offlineBlobs{}
		close(s.done)
		close(s.convertDone)
		return s, nil
	}
	if err := s.checkBlobs(); err != nil {
		db.Close()
		return nil, err
	}
	if err := s.recoverUploads(); err != nil {
		db.Close()
		return nil, err
	}
	go s.gcLoop()
	s.kickGC()
	if _, ok := s.blobs.(PublicBlobs); ok {
		go s.convertLoop()
		s.convertWanted.Store(true) // resume conversions a restart interrupted
		s.kickConvert()
	} else {
		close(s.convertDone)
	}
	return s, nil
}

func (s *Store) checkVersion() error {
	return s.db.Update(func(txn *badgerdb.Txn) error {
		item, err := txn.Get(metaVersionKey)
		if errors.Is(err, badgerdb.ErrKeyNotFound) {
			return txn.Set(metaVersionKey, binary.BigEndian.AppendUint32(nil, formatVersion))
		}
		if err != nil {
			return err
		}
		v, err := item.ValueCopy(nil)
		if err != nil {
			return err
		}
		if len(v) != 4 || binary.BigEndian.Uint32(v) != formatVersion {
			return fmt.Errorf("storage/badger: data directory has layout version %x, this dwnd reads version %d; use the dwnd release that wrote it or start with an empty --data directory", v, formatVersion)
		}
		return nil
	})
}

// checkBlobs records the kind of blob backend of a new directory and refuses another
// kind for one that has data references.
func (s *Store) checkBlobs() error {
	kind := s.blobs.Kind()
	return s.db.Update(func(txn *badgerdb.Txn) error {
		item, err := txn.Get(metaBlobsKey)
		switch {
		case errors.Is(err, badgerdb.ErrKeyNotFound):
			it := txn.NewIterator(badgerdb.IteratorOptions{Prefix: []byte{ksDataRef}})
			it.Rewind()
			hasData := it.Valid()
			it.Close()
			if hasData && kind != "files" {
				return fmt.Errorf("storage/badger: the data directory keeps record data in files, not in %s; start dwnd without the %s setting or with an empty --data directory", kind, kind)
			}
			if hasData {
				kind = "files"
			}
			return txn.Set(metaBlobsKey, []byte(kind))
		case err != nil:
			return err
		}
		was, err := item.ValueCopy(nil)
		if err != nil {
			return err
		}
		if string(was) != kind {
			return fmt.Errorf("storage/badger: the data directory keeps record data in %s, but this dwnd is set up for %s; use the same setting as before or an empty --data directory", was, kind)
		}
		return nil
	})
}

// Close stops background work and closes the database.
func (s *Store) Close() error {
	close(s.stop)
	<-s.done
	<-s.convertDone
	return s.db.Close()
}

func (s *Store) tenant(t string) *tenantState {
	s.mu.Lock()
	defer s.mu.Unlock()
	ts := s.tenants[t]
	if ts == nil {
		ts = &tenantState{}
		s.tenants[t] = ts
	}
	return ts
}

// tenantID returns the short id of a tenant DID used in keys. With create, a tenant
// seen for the first time gets the next id; otherwise ok is false for an unknown tenant
// (which has no data).
func (s *Store) tenantID(did string, create bool) (id string, ok bool, err error) {
	if v, found := s.ids.Load(did); found {
		return v.(string), true, nil
	}
	tk := append([]byte{ksTenant}, did...)
	lookup := func(txn *badgerdb.Txn) error {
		item, err := txn.Get(tk)
		if errors.Is(err, badgerdb.ErrKeyNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		v, err := item.ValueCopy(nil)
		if err == nil {
			id, ok = string(v), true
		}
		return err
	}
	if err := s.db.View(lookup); err != nil {
		return "", false, err
	}
	if !ok && create {
		s.idsMu.Lock()
		defer s.idsMu.Unlock()
		err = s.db.Update(func(txn *badgerdb.Txn) error {
			if err := lookup(txn); err != nil || ok {
				return err
			}
			var last uint64
			item, err := txn.Get(metaTenantIDKey)
			switch {
			case errors.Is(err, badgerdb.ErrKeyNotFound):
			case err != nil:
				return err
			default:
				v, err := item.ValueCopy(nil)
				if err != nil || len(v) != 8 {
					return errCorrupt
				}
				last = binary.BigEndian.Uint64(v)
			}
			id, ok = string(binary.AppendUvarint(nil, last+1)), true
			if err := txn.Set(metaTenantIDKey, binary.BigEndian.AppendUint64(nil, last+1)); err != nil {
				return err
			}
			return txn.Set(tk, []byte(id))
		})
		if err != nil {
			return "", false, err
		}
	}
	if ok {
		s.ids.Store(did, id)
	}
	return id, ok, nil
}

func notFound(what string) error { return &dwn.Error{Kind: dwn.NotFound, Message: what + " not found"} }

// recordState is the stored form of dwn.RecordState.
type recordState struct {
	Initial   string       `json:"i"`
	Newest    string       `json:"n"`
	Timestamp string       `json:"t"`
	Delete    bool         `json:"d,omitempty"`
	Queryable bool         `json:"q,omitempty"`
	DataCID   string       `json:"c,omitempty"`
	DataSize  int64        `json:"s,omitempty"`
	Data      *dwn.DataRef `json:"r,omitempty"`
	// DataPub is whether the data reference counts this record as published.
	DataPub  bool   `json:"dp,omitempty"`
	ParentID string `json:"p,omitempty"`
}

func getJSON(txn *badgerdb.Txn, k []byte, v any) (bool, error) {
	item, err := txn.Get(k)
	if errors.Is(err, badgerdb.ErrKeyNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return true, item.Value(func(b []byte) error { return json.Unmarshal(b, v) })
}

func setJSON(txn *badgerdb.Txn, k []byte, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return txn.Set(k, b)
}

// Record implements dwn.MessageStore.
func (s *Store) Record(ctx context.Context, did, recordID string) (*dwn.RecordState, error) {
	tenant, known, err := s.tenantID(did, false)
	if err != nil {
		return nil, dwn.Wrap("storage/badger.Record", err)
	}
	if !known {
		return nil, notFound("record")
	}
	var st recordState
	var found bool
	err = s.db.View(func(txn *badgerdb.Txn) error {
		var err error
		found, err = getJSON(txn, key(ksRecord, tenant, recordID), &st)
		return err
	})
	if err != nil {
		return nil, dwn.Wrap("storage/badger.Record", err)
	}
	if !found {
		return nil, notFound("record")
	}
	return &dwn.RecordState{RecordID: recordID, InitialCID: st.Initial, NewestCID: st.Newest,
		NewestTimestamp: st.Timestamp, NewestIsDelete: st.Delete, Queryable: st.Queryable,
		DataCID: st.DataCID, DataSize: st.DataSize, Data: st.Data, ParentID: st.ParentID}, nil
}

// Message implements dwn.MessageStore.
func (s *Store) Message(ctx context.Context, did, messageCID string) (*dwn.StoredMessage, error) {
	tenant, known, err := s.tenantID(did, false)
	if err != nil {
		return nil, dwn.Wrap("storage/badger.Message", err)
	}
	if !known {
		return nil, notFound("message")
	}
	var m *dwn.StoredMessage
	err = s.db.View(func(txn *badgerdb.Txn) error {
		var err error
		m, err = getMessage(txn, tenant, messageCID, true)
		return err
	})
	if err != nil {
		return nil, dwn.Wrap("storage/badger.Message", err)
	}
	return m, nil
}

func getMessage(txn *badgerdb.Txn, tenant, cid string, withIndexes bool) (*dwn.StoredMessage, error) {
	item, err := txn.Get(key(ksMessage, tenant, cid))
	if errors.Is(err, badgerdb.ErrKeyNotFound) {
		return nil, notFound("message")
	}
	if err != nil {
		return nil, err
	}
	var m *dwn.StoredMessage
	err = item.Value(func(b []byte) error {
		var err error
		m, err = decodeMessage(cid, b, withIndexes)
		return err
	})
	return m, err
}

// maxApplyRetries bounds retries of a transaction that lost a Badger conflict.
const maxApplyRetries = 8

// ApplyRecord implements dwn.MessageStore. The tenant's lock is held only while the
// transaction is built and handed to Badger's write pipeline (which keeps that order),
// not while it is written, so commits of one tenant overlap and event sequence numbers
// still become visible in order.
func (s *Store) ApplyRecord(ctx context.Context, did string, u *dwn.RecordUpdate) error {
	tenant, _, err := s.tenantID(did, true)
	if err != nil {
		return dwn.Wrap("storage/badger.ApplyRecord", err)
	}
	ts := s.tenant(tenant)
	for range maxApplyRetries {
		if err = ctx.Err(); err != nil {
			return err
		}
		var kick bool
		var done <-chan error
		ts.mu.Lock()
		done, kick, err = s.applyOnce(did, tenant, ts, u)
		ts.mu.Unlock()
		if err == nil {
			err = <-done
		}
		if err == nil && kick {
			s.kickGC()
		}
		if err == nil {
			s.kickConvert()
		}
		if !errors.Is(err, badgerdb.ErrConflict) {
			break
		}
	}
	if err != nil {
		return dwn.Wrap("storage/badger.ApplyRecord", err)
	}
	return nil
}

// applyOnce builds the transaction of u and sends it to Badger's write pipeline; the
// returned channel yields the commit's outcome. kick reports that blobs became garbage.
func (s *Store) applyOnce(did, tenant string, ts *tenantState, u *dwn.RecordUpdate) (<-chan error, bool, error) {
	txn := s.db.NewTransaction(true)
	committing := false
	defer func() {
		if !committing {
			txn.Discard()
		}
	}()
	kick, err := s.buildApply(txn, did, tenant, ts, u)
	if err != nil {
		return nil, false, err
	}
	ch := make(chan error, 1)
	committing = true
	txn.CommitWith(func(err error) { ch <- err })
	ts.nextSeq++
	return ch, kick, nil
}

// buildApply writes u's changes into txn; it reports whether blobs become garbage.
func (s *Store) buildApply(txn *badgerdb.Txn, did, tenant string, ts *tenantState, u *dwn.RecordUpdate) (bool, error) {
	if !ts.loaded {
		seq, err := lastSeq(txn, tenant)
		if err != nil {
			return false, err
		}
		ts.nextSeq, ts.loaded = seq+1, true
	}
	seq := ts.nextSeq
	garbage, kickGC := false, false
	var old recordState
	found, err := getJSON(txn, key(ksRecord, tenant, u.RecordID), &old)
	if err != nil {
		return false, err
	}
	if !found {
		old = recordState{}
	}
	if old.Newest != u.ExpectNewestCID {
		return false, &dwn.Error{Kind: dwn.Conflict, Message: "Conflict", Op: "record changed concurrently"}
	}
	if found {
		if err := s.retire(txn, tenant, u.RecordID, &old); err != nil {
			return false, err
		}
	}
	// Data references: the record holds at most one.
	newData := u.NewData
	dataPub := false
	if newData != nil {
		dataPub, _ = u.Message.Indexes["published"].(bool)
		ref, dup, err := s.incRef(txn, did, tenant, newData, dataPub)
		if err != nil {
			return false, err
		}
		if dup && ref.Blob != newData.Blob {
			garbage = true
		}
		kickGC = dup // incRef may have swapped the blob of the reference
		newData = ref
	}
	if found && old.Data != nil {
		if err := s.decRef(txn, did, tenant, old.Data.DataCID, old.DataPub); err != nil {
			return false, err
		}
	}
	if u.NewData != nil {
		if err := txn.Delete(key(ksPending, tenant, u.NewData.Blob)); err != nil {
			return false, err
		}
		if garbage {
			if err := txn.Set(key(ksGarbage, tenant, u.NewData.Blob), nil); err != nil {
				return false, err
			}
		}
	}
	// The message, its indexes and its event.
	val, err := encodeMessage(&u.Message)
	if err != nil {
		return false, err
	}
	if err := txn.Set(key(ksMessage, tenant, u.Message.CID), val); err != nil {
		return false, err
	}
	if u.Queryable {
		keys := indexKeys(tenant, u.Message.CID, u.Message.Indexes)
		for _, k := range keys {
			if err := txn.Set(k, nil); err != nil {
				return false, err
			}
		}
	}
	if err := txn.Set(seqKey(tenant, seq), []byte(u.Message.CID)); err != nil {
		return false, err
	}
	if err := txn.Set(key(ksEventCID, tenant, u.Message.CID), seqValue(seq)); err != nil {
		return false, err
	}
	initial := old.Initial
	if !found {
		initial = u.Message.CID
		if u.ParentID != "" {
			if err := txn.Set(key(ksChild, tenant, u.ParentID, u.RecordID), nil); err != nil {
				return false, err
			}
		}
	}
	st := recordState{Initial: initial, Newest: u.Message.CID, Timestamp: u.Timestamp,
		Delete: u.IsDelete, Queryable: u.Queryable, DataCID: u.DataCID, DataSize: u.DataSize,
		Data: newData, DataPub: dataPub, ParentID: u.ParentID}
	if found {
		st.ParentID = old.ParentID // parentId is immutable; the initial write's stands
	}
	if err := setJSON(txn, key(ksRecord, tenant, u.RecordID), &st); err != nil {
		return false, err
	}
	if u.Prune {
		if err := s.pruneChildren(txn, did, tenant, u.RecordID, 0); err != nil {
			return false, err
		}
	}
	return garbage || kickGC || (found && old.Data != nil), nil
}

// retire undoes what the record's newest message contributed before it is superseded:
// its query index entries go, and it is deleted unless it is the initial write, which
// instead loses its inline data.
func (s *Store) retire(txn *badgerdb.Txn, tenant, recordID string, old *recordState) error {
	if old.Queryable {
		if err := deleteIndexKeys(txn, tenant, old.Newest); err != nil {
			return err
		}
	}
	if old.Newest != old.Initial {
		return deleteMessage(txn, tenant, old.Newest)
	}
	m, err := getMessage(txn, tenant, old.Initial, true)
	if err != nil {
		return err
	}
	if m.EncodedData != nil {
		m.EncodedData = nil
		val, err := encodeMessage(m)
		if err != nil {
			return err
		}
		return txn.Set(key(ksMessage, tenant, old.Initial), val)
	}
	return nil
}

// deleteIndexKeys removes the query index entries of a queryable message; they are
// derived again from its stored indexes.
func deleteIndexKeys(txn *badgerdb.Txn, tenant, messageCID string) error {
	m, err := getMessage(txn, tenant, messageCID, true)
	if err != nil {
		return err
	}
	for _, ik := range indexKeys(tenant, messageCID, m.Indexes) {
		if err := txn.Delete(ik); err != nil {
			return err
		}
	}
	return nil
}

// deleteMessage removes a message and its event-log entry.
func deleteMessage(txn *badgerdb.Txn, tenant, cid string) error {
	if err := txn.Delete(key(ksMessage, tenant, cid)); err != nil {
		return err
	}
	ek := key(ksEventCID, tenant, cid)
	item, err := txn.Get(ek)
	if errors.Is(err, badgerdb.ErrKeyNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	seq, err := item.ValueCopy(nil)
	if err != nil {
		return err
	}
	if len(seq) == 8 {
		if err := txn.Delete(seqKey(tenant, binary.BigEndian.Uint64(seq))); err != nil {
			return err
		}
	}
	return txn.Delete(ek)
}

// maxPruneDepth bounds recursion when pruning; protocol paths are at most 10 deep.
const maxPruneDepth = 16

// pruneChildren hard-deletes every descendant of recordID: messages, indexes, events,
// record states and data references.
func (s *Store) pruneChildren(txn *badgerdb.Txn, did, tenant, recordID string, depth int) error {
	if depth > maxPruneDepth {
		return fmt.Errorf("prune: records nested deeper than %d", maxPruneDepth)
	}
	prefix := key(ksChild, tenant, recordID, "")
	var children []string
	it := txn.NewIterator(badgerdb.IteratorOptions{Prefix: prefix})
	for it.Rewind(); it.Valid(); it.Next() {
		children = append(children, string(it.Item().Key()[len(prefix):]))
	}
	it.Close()
	for _, child := range children {
		if err := s.pruneChildren(txn, did, tenant, child, depth+1); err != nil {
			return err
		}
		var st recordState
		found, err := getJSON(txn, key(ksRecord, tenant, child), &st)
		if err != nil {
			return err
		}
		if found {
			if st.Queryable {
				if err := deleteIndexKeys(txn, tenant, st.Newest); err != nil {
					return err
				}
			}
			if err := deleteMessage(txn, tenant, st.Initial); err != nil {
				return err
			}
			if st.Newest != st.Initial {
				if err := deleteMessage(txn, tenant, st.Newest); err != nil {
					return err
				}
			}
			if st.Data != nil {
				if err := s.decRef(txn, did, tenant, st.Data.DataCID, st.DataPub); err != nil {
					return err
				}
			}
			if err := txn.Delete(key(ksRecord, tenant, child)); err != nil {
				return err
			}
		}
		if err := txn.Delete(key(ksChild, tenant, recordID, child)); err != nil {
			return err
		}
	}
	return nil
}

// incRef counts one more reference to the data of ref (a published one with pub).
func (s *Store) incRef(txn *badgerdb.Txn, did, tenant string, ref *dwn.DataRef, pub bool) (*dwn.DataRef, bool, error) {
	k := key(ksDataRef, tenant, ref.DataCID)
	var v dataRefValue
	found, err := getJSON(txn, k, &v)
	if err != nil {
		return nil, false, err
	}
	if !found {
		v = dataRefValue{Size: ref.Size, Blob: ref.Blob}
		if err := txn.Set(blobRefKey(ref.Blob, tenant), nil); err != nil {
			return nil, false, err
		}
	}
	v.Refs++
	if pub {
		v.Pub++
	}
	if found && ref.Blob != v.Blob {
		// Equal data in a new blob: keep whichever is in the form the references now
		// ask for, so a published upload of private data need not be converted.
		if pb, ok := s.blobs.(PublicBlobs); ok && pb.Public(v.Blob) != (v.Pub > 0) && pb.Public(ref.Blob) == (v.Pub > 0) {
			for _, op := range []func() error{
				func() error { return txn.Delete(blobRefKey(v.Blob, tenant)) },
				func() error { return txn.Set(blobRefKey(ref.Blob, tenant), nil) },
				func() error { return txn.Set(key(ksGarbage, tenant, v.Blob), nil) },
			} {
				if err := op(); err != nil {
					return nil, false, err
				}
			}
			v.Blob = ref.Blob
		}
	}
	if err := setJSON(txn, k, &v); err != nil {
		return nil, false, err
	}
	if err := s.checkForm(txn, did, tenant, ref.DataCID, &v); err != nil {
		return nil, false, err
	}
	return &dwn.DataRef{DataCID: ref.DataCID, Size: v.Size, Blob: v.Blob}, found, nil
}

// decRef counts one reference less to the data of dataCID (a published one with pub).
func (s *Store) decRef(txn *badgerdb.Txn, did, tenant, dataCID string, pub bool) error {
	k := key(ksDataRef, tenant, dataCID)
	var v dataRefValue
	found, err := getJSON(txn, k, &v)
	if err != nil || !found {
		return err
	}
	v.Refs--
	if pub && v.Pub > 0 {
		v.Pub--
	}
	if v.Refs > 0 {
		if err := setJSON(txn, k, &v); err != nil {
			return err
		}
		return s.checkForm(txn, did, tenant, dataCID, &v)
	}
	if err := txn.Delete(key(ksConvert, tenant, dataCID)); err != nil {
		return err
	}
	if err := txn.Delete(k); err != nil {
		return err
	}
	if err := txn.Delete(blobRefKey(v.Blob, tenant)); err != nil {
		return err
	}
	return txn.Set(key(ksGarbage, tenant, v.Blob), nil)
}

func lastSeq(txn *badgerdb.Txn, tenant string) (uint64, error) {
	prefix := tenantPrefix(ksEvent, tenant, 0)
	it := txn.NewIterator(badgerdb.IteratorOptions{Prefix: prefix, Reverse: true})
	defer it.Close()
	it.Seek(append(append([]byte{}, prefix...), 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff))
	if !it.Valid() {
		return 0, nil
	}
	k := it.Item().Key()
	if len(k) < len(prefix)+8 {
		return 0, errCorrupt
	}
	return binary.BigEndian.Uint64(k[len(prefix):]), nil
}

// indexKeys returns the query index keys of a queryable message.
func indexKeys(tenant, cid string, ix dwn.Indexes) [][]byte {
	type sortKey struct {
		tag   byte
		value string
	}
	var sorts []sortKey
	if v, ok := ix["dateCreated"].(string); ok {
		sorts = append(sorts, sortKey{sortCreated, v})
	}
	if pub, _ := ix["published"].(bool); pub {
		if v, ok := ix["datePublished"].(string); ok {
			sorts = append(sorts, sortKey{sortPublished, v})
		}
	}
	var keys [][]byte
	add := func(prop string, v any) {
		for _, sk := range sorts {
			p, ok := indexPrefix(tenant, prop, v, sk.tag)
			if !ok {
				return
			}
			keys = append(keys, append(p, indexSuffix(sk.value, cid)...))
		}
	}
	add("", nil)
	for prop, v := range ix {
		if notIndexed[prop] {
			continue
		}
		switch x := v.(type) {
		case []any:
			for _, e := range x {
				add(prop, e)
			}
		case string:
			if prop == "contextId" {
				for _, p := range contextPrefixes(x) {
					add(prop, p)
				}
				continue
			}
			add(prop, x)
		default:
			add(prop, x)
		}
	}
	return keys
}

func (s *Store) kickGC() {
	select {
	case s.gcKick <- struct{}{}:
	default:
	}
}

// gcLoop deletes blobs marked as garbage and runs Badger's value-log GC.
func (s *Store) gcLoop() {
	defer close(s.done)
	tick := time.NewTicker(5 * time.Minute)
	defer tick.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-s.gcKick:
			if err := s.collectGarbage(); err != nil {
				s.log.Error("blob garbage collection failed", "err", err)
			}
		case <-tick.C:
			for s.db.RunValueLogGC(0.5) == nil {
			}
		}
	}
}
