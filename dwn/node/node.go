// Package node is the DWN message engine: it takes a tenant and a message (plus its data
// stream), validates, authenticates and authorizes it exactly as the reference
// @tbd54566975/dwn-sdk-js 0.5.2 does, applies it to a dwn.MessageStore and returns the
// DWN reply. Transports (HTTP, websockets) live in dwn/server.
//
// # Processing order
//
// Every message goes through: the tenant gate, the presence of interface and method, the
// JSON Schema of <Interface><Method>, then the method's handler, whose order of checks
// follows the reference (dwn-protocol.md §5.4–§6) so that a message with several problems
// gets the reference's status code.
//
// # Limits
//
// Config holds every limit with its default; limits are enforced before work is done.
package node

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"hash/maphash"
	"io"
	"log/slog"
	"sync"

	"github.com/dwn-ipfs/dwn-ipfs/did"
	"github.com/dwn-ipfs/dwn-ipfs/dwn"
	"github.com/dwn-ipfs/dwn-ipfs/dwn/jws"
	"github.com/dwn-ipfs/dwn-ipfs/protocols"
	"github.com/dwn-ipfs/dwn-ipfs/schemas"
	"github.com/dwn-ipfs/dwn-ipfs/schemas/dataschema"
)

// Config holds the limits of a Node. Zero fields take the documented defaults.
type Config struct {
	// EventQueue is how many events a subscription may have waiting before it is
	// closed as too slow (default DefaultEventQueue).
	EventQueue int
	// MaxMessageSize is the largest message JSON in bytes (default 1 MiB). Larger
	// messages get 400 before they are parsed.
	MaxMessageSize int
	// MaxDataSize is the largest record data in bytes (default 1 GiB, the reference's
	// advertised maxFileSize). A RecordsWrite whose dataSize is larger gets 400
	// ("RecordsWriteDataSizeLimitExceeded") before any byte is read.
	MaxDataSize int64
	// MaxQueryLimit caps pagination.limit of RecordsQuery (default 0: no cap, as the
	// reference). A larger limit is lowered to the cap and a cursor returned.
	MaxQueryLimit int
	// MaxNesting bounds how deeply objects and arrays nest in a message (default 32;
	// real messages nest about 8 deep, protocol definitions more). Deeper messages get
	// 400 "MessageNestingLimitExceeded" before they are decoded, so hostile JSON cannot
	// make decoding or CID computation recurse without bound.
	MaxNesting int
	// MaxTags bounds the number of tags of a RecordsWrite (default 10, the reference's
	// schema limit, which is also the most allowed). More tags get 400
	// "RecordsWriteTagsLimitExceeded".
	MaxTags int
	// MaxFilterValues bounds the number of values in author/recipient filters
	// (default 100).
	MaxFilterValues int
	// AllowedTenants, when non-empty, lists the only tenants this node serves; messages
	// to others get 401 "DID <tenant> is not an active tenant.".
	AllowedTenants []string

	// Data schema checks, beyond the reference and off unless one of these is set: the
	// data of a RecordsWrite whose schema names a known JSON Schema and whose dataFormat
	// is application/json must match it (400 "DataSchemaMismatch" with the JSON Pointer
	// of the first error). See package schemas/dataschema.
	//
	// DataSchemaDir is a directory of JSON Schemas (*.json, each known by its $id) that
	// apply to every tenant.
	DataSchemaDir string
	// TenantSchemas lets each tenant install schemas for itself as records of the
	// built-in schema protocol (SchemaProtocol, path "schema", tag "uri").
	TenantSchemas bool
	// MaxSchemaDataSize bounds the data validated against a schema (default 1 MiB);
	// larger data with a known schema gets 400 "DataSchemaDataTooLarge".
	MaxSchemaDataSize int64
}

// Defaults.
const (
	DefaultMaxMessageSize  = 1 << 20
	DefaultMaxDataSize     = 1 << 30
	DefaultMaxFilterValues = 100
	DefaultMaxNesting      = 32
	DefaultMaxTags         = 10
)

func (c *Config) withDefaults() {
	if c.MaxMessageSize <= 0 {
		c.MaxMessageSize = DefaultMaxMessageSize
	}
	if c.MaxDataSize <= 0 {
		c.MaxDataSize = DefaultMaxDataSize
	}
	if c.MaxNesting <= 0 {
		c.MaxNesting = DefaultMaxNesting
	}
	if c.MaxTags <= 0 || c.MaxTags > DefaultMaxTags {
		c.MaxTags = DefaultMaxTags
	}
	if c.MaxFilterValues <= 0 {
		c.MaxFilterValues = DefaultMaxFilterValues
	}
}

// Node processes DWN messages.
type Node struct {
	cfg      Config
	store    dwn.MessageStore
	data     dwn.DataStore
	schemas  *schemas.Validator
	verifier *jws.Verifier
	log      *slog.Logger
	tenants  map[string]bool
	// permissions is the fixed definition of the built-in permissions protocol.
	permissions *protocols.Definition
	// dataSchemas validates record data against JSON Schemas; nil when not configured.
	dataSchemas *dataschema.Registry
	// schemaDef is the built-in schema protocol's definition; nil unless tenants may
	// install schemas.
	schemaDef *protocols.Definition

	// events fans committed messages out to subscriptions.
	events *bus

	seed  maphash.Seed
	locks [256]sync.Mutex // striped by (tenant, recordId): one writer per record at a time

	// defs caches parsed protocol definitions by tenant and protocol. The node is the
	// only writer of its store, so protocolsConfigure keeps it current.
	defsMu    sync.Mutex
	defs      map[defKey]*protocols.Definition
	defsEpoch uint64 // bumped by every configuration commit
}

type defKey struct{ tenant, protocol string }

// maxCachedDefinitions bounds the definition cache; when full it is emptied (a
// definition is re-read in well under a millisecond).
const maxCachedDefinitions = 4096

// New returns a Node over the given stores and DID resolver.
func New(cfg Config, store dwn.MessageStore, data dwn.DataStore, resolver did.Resolver, log *slog.Logger) (*Node, error) {
	cfg.withDefaults()
	v, err := schemas.New()
	if err != nil {
		return nil, fmt.Errorf("node: compile schemas: %w", err)
	}
	if log == nil {
		log = slog.Default()
	}
	perms, err := parsePermissionsDefinition()
	if err != nil {
		return nil, fmt.Errorf("node: permissions protocol: %w", err)
	}
	n := &Node{cfg: cfg, store: store, data: data, schemas: v, log: log, permissions: perms,
		verifier: &jws.Verifier{Resolver: resolver}, seed: maphash.MakeSeed(), events: newBus(cfg.EventQueue)}
	if err := n.setupDataSchemas(context.Background()); err != nil {
		return nil, fmt.Errorf("node: %w", err)
	}
	if len(cfg.AllowedTenants) > 0 {
		n.tenants = map[string]bool{}
		for _, t := range cfg.AllowedTenants {
			n.tenants[t] = true
		}
	}
	return n, nil
}

func (n *Node) lockRecord(tenant, recordID string) func() {
	var h maphash.Hash
	h.SetSeed(n.seed)
	h.WriteString(tenant)
	h.WriteByte(0)
	h.WriteString(recordID)
	mu := &n.locks[h.Sum64()%uint64(len(n.locks))]
	mu.Lock()
	return mu.Unlock
}

// Reply is a DWN reply. Data, when set, is the record data to stream after the reply;
// the caller must close it.
type Reply struct {
	Status       dwn.Status        `json:"status"`
	Entries      []json.RawMessage `json:"entries,omitempty"`
	Entry        *ReadEntry        `json:"entry,omitempty"`
	Cursor       *dwn.Cursor       `json:"cursor,omitempty"`
	Subscription *Subscription     `json:"subscription,omitempty"`

	Data io.ReadCloser `json:"-"`
	// Sub is the live subscription of a successful *Subscribe; the transport delivers
	// its events and closes it.
	Sub *Sub `json:"-"`

	iface, method string // of the processed message, when it could be decoded
}

// Kind returns the interface and method of the message the reply answers, or empty
// strings when the message could not be decoded that far.
func (r *Reply) Kind() (iface, method string) { return r.iface, r.method }

// MarshalJSON renders the reply; see AppendJSON.
func (r *Reply) MarshalJSON() ([]byte, error) { return r.AppendJSON(nil) }

// SizeHint is about the length of the reply's JSON, so that callers can allocate its
// buffer once (a 100-entry query reply is ~170 KB; growing a buffer to that size copies
// it about ten times).
func (r *Reply) SizeHint() int {
	n := 64 + len(r.Status.Detail)
	for _, e := range r.Entries {
		n += len(e) + 1
	}
	if e := r.Entry; e != nil {
		n += len(e.RecordsWrite) + len(e.RecordsDelete) + len(e.InitialWrite) + 64
	}
	if r.Cursor != nil {
		n += 128
	}
	return n
}

// AppendJSON appends the reply's JSON to b. Entries are stored compact JSON and are
// copied as they are: encoding them again would cost more than the rest of a query.
// entries is present (possibly empty) on query replies.
func (r *Reply) AppendJSON(b []byte) ([]byte, error) {
	st, err := json.Marshal(r.Status)
	if err != nil {
		return nil, err
	}
	b = append(append(b, `{"status":`...), st...)
	if r.Entries != nil {
		b = append(b, `,"entries":[`...)
		for i, e := range r.Entries {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, e...)
		}
		b = append(b, ']')
	}
	if e := r.Entry; e != nil {
		b = append(b, `,"entry":{`...)
		sep := ""
		for _, f := range []struct {
			name string
			v    json.RawMessage
		}{{"recordsWrite", e.RecordsWrite}, {"recordsDelete", e.RecordsDelete}, {"initialWrite", e.InitialWrite}} {
			if len(f.v) > 0 {
				b = append(append(append(append(b, sep...), '"'), f.name...), `":`...)
				b = append(b, f.v...)
				sep = ","
			}
		}
		b = append(b, '}')
	}
	for _, f := range []struct {
		name string
		v    any
		set  bool
	}{{"cursor", r.Cursor, r.Cursor != nil}, {"subscription", r.Subscription, r.Subscription != nil}} {
		if !f.set {
			continue
		}
		v, err := json.Marshal(f.v)
		if err != nil {
			return nil, err
		}
		b = append(append(append(append(b, `,"`...), f.name...), `":`...), v...)
	}
	return append(b, '}'), nil
}

// ReadEntry is the entry of a RecordsRead reply.
type ReadEntry struct {
	RecordsWrite  json.RawMessage `json:"recordsWrite,omitempty"`
	RecordsDelete json.RawMessage `json:"recordsDelete,omitempty"`
	InitialWrite  json.RawMessage `json:"initialWrite,omitempty"`
}

// Subscription is the subscription of a *Subscribe reply.
type Subscription struct {
	ID string `json:"id"`
}

func statusReply(code int, detail string) *Reply {
	return &Reply{Status: dwn.Status{Code: code, Detail: detail}}
}

func errorReply(err error) *Reply {
	return &Reply{Status: dwn.StatusOf(err)}
}

// request is a message being processed.
type request struct {
	tenant string
	json   []byte         // compact message JSON
	raw    map[string]any // decoded with json.Number
	msg    dwn.Message
	data   io.Reader // nil when no data was sent
}

// ProcessMessage processes one message for tenant. message is the message JSON; data is
// the record data stream, or nil when the request carried none. Errors that are the
// client's become reply statuses; a non-nil error means the node itself failed
// (storage down), which transports answer as JSON-RPC -32603.
func (n *Node) ProcessMessage(ctx context.Context, tenant string, message []byte, data io.Reader) (*Reply, error) {
	if n.tenants != nil && !n.tenants[tenant] {
		return statusReply(401, fmt.Sprintf("DID %s is not an active tenant.", truncate(tenant, 256))), nil
	}
	if len(message) > n.cfg.MaxMessageSize {
		return statusReply(400, fmt.Sprintf("MessageSizeLimitExceeded: message is %d bytes, the limit is %d", len(message), n.cfg.MaxMessageSize)), nil
	}
	r, reply := n.decode(tenant, message, data)
	if reply != nil {
		return reply, nil
	}
	d := &r.msg.Descriptor
	rep, err := n.dispatch(ctx, r)
	if rep != nil {
		rep.iface, rep.method = d.Interface, d.Method
	}
	return rep, err
}

// dispatch runs the handler of a decoded message.
func (n *Node) dispatch(ctx context.Context, r *request) (*Reply, error) {
	var rep *Reply
	var err error
	d := &r.msg.Descriptor
	switch d.Name() {
	case "RecordsWrite":
		rep, err = n.recordsWrite(ctx, r)
	case "RecordsQuery":
		rep, err = n.recordsQuery(ctx, r)
	case "RecordsRead":
		rep, err = n.recordsRead(ctx, r)
	case "RecordsDelete":
		rep, err = n.recordsDelete(ctx, r)
	case "ProtocolsConfigure":
		rep, err = n.protocolsConfigure(ctx, r)
	case "ProtocolsQuery":
		rep, err = n.protocolsQuery(ctx, r)
	case "RecordsSubscribe":
		rep, err = n.recordsSubscribe(ctx, r)
	case "MessagesQuery":
		rep, err = n.messagesQuery(ctx, r)
	case "MessagesSubscribe":
		return statusReply(501, "MessagesSubscribeEventStreamUnimplemented: MessagesSubscribe is not implemented yet"), nil
	default:
		return statusReply(501, fmt.Sprintf("%s%s is not implemented by this server yet", d.Interface, d.Method)), nil
	}
	if err != nil {
		if k := dwn.KindOf(err); k == dwn.Internal || k == dwn.Other || k == dwn.Unavailable {
			return nil, err
		}
		return errorReply(err), nil
	}
	return rep, nil
}

// decode parses, checks interface and method, and validates the JSON Schema.
func (n *Node) decode(tenant string, message []byte, data io.Reader) (*request, *Reply) {
	// Stored messages and reply entries are spliced as compact JSON. Clients send
	// JSON.stringify output, which is compact already: only messages with whitespace
	// anywhere need the extra pass.
	if d := jsonDepth(message); d > n.cfg.MaxNesting {
		return nil, statusReply(400, fmt.Sprintf("MessageNestingLimitExceeded: message nests deeper than %d levels", n.cfg.MaxNesting))
	}
	compact, err := dwn.CompactJSON(message)
	if err != nil {
		return nil, statusReply(400, "MessageInvalidJson: message is not valid JSON")
	}
	r := &request{tenant: tenant, json: compact, data: data}
	dec := json.NewDecoder(bytes.NewReader(r.json))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil || dec.InputOffset() != int64(len(r.json)) {
		return nil, statusReply(400, "MessageInvalidJson: message is not valid JSON")
	}
	raw, ok := v.(map[string]any)
	if !ok {
		return nil, statusReply(400, "MessageInvalidJson: message must be a JSON object")
	}
	r.raw = raw
	desc, _ := raw["descriptor"].(map[string]any)
	iface, _ := desc["interface"].(string)
	method, _ := desc["method"].(string)
	if iface == "" || method == "" {
		return nil, statusReply(400, fmt.Sprintf("Both interface and method must be present, interface: %s, method: %s",
			jsString(desc["interface"]), jsString(desc["method"])))
	}
	if err := n.schemas.Validate(truncate(iface+method, 64), raw); err != nil {
		return nil, errorReply(err)
	}
	if err := json.Unmarshal(r.json, &r.msg); err != nil {
		return nil, statusReply(400, "SchemaValidatorFailure: "+err.Error())
	}
	return r, nil
}

// jsString renders a value as JavaScript's template literal would for the reference's
// "Both interface and method must be present" detail.
func jsString(v any) string {
	switch x := v.(type) {
	case nil:
		return "undefined"
	case string:
		return truncate(x, 64)
	case json.Number:
		return string(x)
	case bool:
		if x {
			return "true"
		}
		return "false"
	}
	return "[object Object]"
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// jsonDepth returns the deepest nesting of objects and arrays in b, skipping strings. It
// does not validate b; the decoder does that afterwards.
func jsonDepth(b []byte) int {
	depth, deepest := 0, 0
	inString, escaped := false, false
	for _, c := range b {
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
		case c == '"':
			inString = true
		case c == '{' || c == '[':
			depth++
			deepest = max(deepest, depth)
		case c == '}' || c == ']':
			depth--
		}
	}
	return deepest
}
