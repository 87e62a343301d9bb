// Package builder creates signed DWN messages, as the reference SDK's
// RecordsWrite.create, RecordsQuery.create and friends do: the CLI, the load generator
// and the tests use it to talk to any DWN.
//
// Messages are built as decoded JSON values (maps), so that their CIDs are computed
// exactly as the server computes them; Message.JSON is what goes on the wire.
package builder

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"time"

	"github.com/dwn-ipfs/dwn-ipfs/dwn"
	"github.com/dwn-ipfs/dwn-ipfs/dwn/jws"
	"github.com/dwn-ipfs/dwn-ipfs/gateway/importer"
)

// Message is a built message.
type Message struct {
	Value    map[string]any // the message as decoded JSON
	JSON     []byte         // its JSON
	CID      string         // its messageCid
	RecordID string         // for RecordsWrite: the recordId
}

func finish(m map[string]any, recordID string) (*Message, error) {
	b, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	c, err := dwn.ComputeCID(m)
	if err != nil {
		return nil, err
	}
	return &Message{Value: m, JSON: b, CID: c, RecordID: recordID}, nil
}

// Timestamp formats t as a DWN timestamp.
func Timestamp(t time.Time) string { return t.UTC().Format(dwn.DateTimeLayout) }

func now(t time.Time) string {
	if t.IsZero() {
		t = time.Now()
	}
	return Timestamp(t)
}

// field is one member of a signature payload; payloads keep the reference's member
// order so that signatures are byte-identical to the reference SDK's.
type field struct {
	name  string
	value string
}

func sign(payload []field, s jws.Signer) (map[string]any, error) {
	b := []byte{'{'}
	for _, f := range payload {
		if f.value == "" {
			continue
		}
		if len(b) > 1 {
			b = append(b, ',')
		}
		k, _ := json.Marshal(f.name)
		v, _ := json.Marshal(f.value)
		b = append(append(append(b, k...), ':'), v...)
	}
	b = append(b, '}')
	g, err := jws.Sign(b, s)
	if err != nil {
		return nil, err
	}
	sigs := make([]any, 0, len(g.Signatures))
	for _, e := range g.Signatures {
		sigs = append(sigs, map[string]any{"protected": e.Protected, "signature": e.Signature})
	}
	return map[string]any{"payload": g.Payload, "signatures": sigs}, nil
}

// Option adds to the authorization of a message.
type Option func(*auth)

// auth is what the options add to a signature payload and an authorization.
type auth struct {
	permissionGrantID string
	delegated         map[string]any // the delegated grant, with encodedData
	delegatedID       string         // its message CID
	err               error
}

// WithPermissionGrant invokes the permission grant with record ID id: the signer acts
// as itself, as the grantee (permissionGrantId in the signature payload).
func WithPermissionGrant(id string) Option {
	return func(a *auth) { a.permissionGrantID = id }
}

// WithDelegatedGrant signs as a delegate under grant, a delegated grant as built by
// PermissionGrant: the message is authored by the grantor (authorDelegatedGrant in the
// authorization, delegatedGrantId in the signature payload).
func WithDelegatedGrant(grant *Message, data []byte) Option {
	return func(a *auth) {
		a.delegated = grant.WithEncodedData(data)
		a.delegatedID = grant.CID
	}
}

func options(opts []Option) *auth {
	a := &auth{}
	for _, o := range opts {
		o(a)
	}
	return a
}

// authorization returns the authorization of a message with signature sig.
func (a *auth) authorization(sig map[string]any) map[string]any {
	m := map[string]any{"signature": sig}
	if a.delegated != nil {
		m["authorDelegatedGrant"] = a.delegated
	}
	return m
}

// WithEncodedData returns the message with its data as encodedData, as a RecordsQuery
// entry carries it and as a delegated grant is embedded.
func (m *Message) WithEncodedData(data []byte) map[string]any {
	out := maps.Clone(m.Value)
	out["encodedData"] = base64.RawURLEncoding.EncodeToString(data)
	return out
}

// Write describes a RecordsWrite.
type Write struct {
	// Data is the record data; DataCID and DataSize are computed from it unless DataCID
	// is set (for data streamed separately).
	Data     []byte
	DataCID  string
	DataSize int64

	DataFormat    string // default "application/octet-stream"
	Schema        string
	Recipient     string
	Tags          map[string]any
	Published     bool
	DatePublished time.Time // default: the message time when Published
	Protocol      string
	ProtocolPath  string
	ParentID      string
	ParentContext string // contextId of the parent, for protocol child records
	// ProtocolRole is the protocol path of a role the author invokes ("" for none).
	ProtocolRole string

	// Time is the messageTimestamp (default now); for the initial write it is also
	// dateCreated.
	Time time.Time
}

// RecordsWrite builds the initial write of a new record, signed by s.
func RecordsWrite(w Write, s jws.Signer, opts ...Option) (*Message, error) {
	ts := now(w.Time)
	desc := map[string]any{"interface": "Records", "method": "Write", "messageTimestamp": ts, "dateCreated": ts}
	if err := fillWrite(desc, &w, ts); err != nil {
		return nil, err
	}
	a := options(opts)
	author := jws.SignerDID(s.KeyID())
	if a.delegated != nil {
		author = grantorOf(a.delegated)
	}
	withAuthor := maps.Clone(desc)
	withAuthor["author"] = author
	recordID, err := dwn.ComputeCID(withAuthor)
	if err != nil {
		return nil, err
	}
	contextID := ""
	if w.Protocol != "" {
		contextID = recordID
		if w.ParentContext != "" {
			contextID = w.ParentContext + "/" + recordID
		}
	}
	return signWrite(desc, recordID, contextID, w.ProtocolRole, s, a)
}

// grantorOf returns the signer of a grant message.
func grantorOf(grant map[string]any) string {
	a, _ := grant["authorization"].(map[string]any)
	sig, _ := a["signature"].(map[string]any)
	sigs, _ := sig["signatures"].([]any)
	if len(sigs) == 0 {
		return ""
	}
	first, _ := sigs[0].(map[string]any)
	protected, _ := first["protected"].(string)
	raw, err := base64.RawURLEncoding.DecodeString(protected)
	if err != nil {
		return ""
	}
	var h struct {
		Kid string `json:"kid"`
	}
	if json.Unmarshal(raw, &h) != nil {
		return ""
	}
	return jws.SignerDID(h.Kid)
}

// Update builds a newer write of an existing record: initial is the record's initial
// write (its decoded JSON); w gives the new data, tags and publication.
func Update(initial map[string]any, w Write, s jws.Signer, opts ...Option) (*Message, error) {
	old, _ := initial["descriptor"].(map[string]any)
	if old == nil {
		return nil, fmt.Errorf("builder.Update: initial write has no descriptor")
	}
	ts := now(w.Time)
	desc := map[string]any{}
	for _, k := range []string{"interface", "method", "protocol", "protocolPath", "recipient", "schema", "parentId", "dateCreated"} {
		if v, ok := old[k]; ok {
			desc[k] = v
		}
	}
	desc["messageTimestamp"] = ts
	if w.DataFormat == "" {
		w.DataFormat, _ = old["dataFormat"].(string)
	}
	if w.Data == nil && w.DataCID == "" {
		desc["dataCid"], desc["dataSize"] = old["dataCid"], old["dataSize"]
	}
	w.Schema, w.Recipient, w.Protocol, w.ProtocolPath, w.ParentID = "", "", "", "", ""
	if err := fillWrite(desc, &w, ts); err != nil {
		return nil, err
	}
	recordID, _ := initial["recordId"].(string)
	contextID, _ := initial["contextId"].(string)
	return signWrite(desc, recordID, contextID, w.ProtocolRole, s, options(opts))
}

func fillWrite(desc map[string]any, w *Write, ts string) error {
	if w.Data != nil || w.DataCID != "" {
		if w.DataCID == "" {
			w.DataCID, w.DataSize = importer.Sum(w.Data).String(), int64(len(w.Data))
		}
		desc["dataCid"], desc["dataSize"] = w.DataCID, w.DataSize
	}
	if _, ok := desc["dataCid"]; !ok {
		// An empty record.
		desc["dataCid"], desc["dataSize"] = importer.Sum(nil).String(), int64(0)
	}
	if w.DataFormat == "" {
		w.DataFormat = "application/octet-stream"
	}
	desc["dataFormat"] = w.DataFormat
	set := func(k, v string) {
		if v != "" {
			desc[k] = v
		}
	}
	set("schema", w.Schema)
	set("recipient", w.Recipient)
	set("protocol", w.Protocol)
	set("protocolPath", w.ProtocolPath)
	set("parentId", w.ParentID)
	if len(w.Tags) > 0 {
		desc["tags"] = w.Tags
	}
	if w.Published {
		desc["published"] = true
		if w.DatePublished.IsZero() {
			desc["datePublished"] = ts
		} else {
			desc["datePublished"] = Timestamp(w.DatePublished)
		}
	}
	return nil
}

func signWrite(desc map[string]any, recordID, contextID, role string, s jws.Signer, a *auth) (*Message, error) {
	descCID, err := dwn.ComputeCID(desc)
	if err != nil {
		return nil, err
	}
	sig, err := sign([]field{{"recordId", recordID}, {"descriptorCid", descCID}, {"contextId", contextID},
		{"delegatedGrantId", a.delegatedID}, {"permissionGrantId", a.permissionGrantID}, {"protocolRole", role}}, s)
	if err != nil {
		return nil, err
	}
	m := map[string]any{"recordId": recordID, "descriptor": desc, "authorization": a.authorization(sig)}
	if contextID != "" {
		m["contextId"] = contextID
	}
	return finish(m, recordID)
}

// signed builds a message whose authorization is the generic payload; s may be nil for
// an anonymous message.
func signed(desc map[string]any, s jws.Signer, opts []Option) (*Message, error) {
	m := map[string]any{"descriptor": desc}
	if s != nil {
		descCID, err := dwn.ComputeCID(desc)
		if err != nil {
			return nil, err
		}
		a := options(opts)
		sig, err := sign([]field{{"descriptorCid", descCID}, {"delegatedGrantId", a.delegatedID},
			{"permissionGrantId", a.permissionGrantID}}, s)
		if err != nil {
			return nil, err
		}
		m["authorization"] = a.authorization(sig)
	}
	return finish(m, "")
}

// Query describes a RecordsQuery.
type Query struct {
	Filter   map[string]any // a RecordsFilter as JSON values
	DateSort string         // createdAscending (default), createdDescending, publishedAscending, publishedDescending
	Limit    int
	Cursor   *dwn.Cursor
	Time     time.Time
}

// RecordsQuery builds a RecordsQuery; s nil makes it anonymous.
func RecordsQuery(q Query, s jws.Signer, opts ...Option) (*Message, error) {
	desc := map[string]any{"interface": "Records", "method": "Query", "messageTimestamp": now(q.Time), "filter": q.Filter}
	if q.DateSort != "" {
		desc["dateSort"] = q.DateSort
	}
	if q.Limit > 0 || q.Cursor != nil {
		p := map[string]any{}
		if q.Limit > 0 {
			p["limit"] = q.Limit
		}
		if q.Cursor != nil {
			p["cursor"] = map[string]any{"messageCid": q.Cursor.MessageCID, "value": q.Cursor.Value}
		}
		desc["pagination"] = p
	}
	return signed(desc, s, opts)
}

// MessagesQuery builds a MessagesQuery of the event log with filters (MessagesFilters
// as JSON values; none: everything) after cursor (nil: from the start), signed by s.
func MessagesQuery(filters []map[string]any, cursor *dwn.Cursor, t time.Time, s jws.Signer, opts ...Option) (*Message, error) {
	fs := make([]any, len(filters))
	for i, f := range filters {
		fs[i] = f
	}
	desc := map[string]any{"interface": "Messages", "method": "Query", "messageTimestamp": now(t), "filters": fs}
	if cursor != nil {
		desc["cursor"] = map[string]any{"messageCid": cursor.MessageCID, "value": cursor.Value}
	}
	return signed(desc, s, opts)
}

// RecordsSubscribe builds a RecordsSubscribe with filter (a RecordsFilter as JSON
// values), signed by s; a nil s makes an anonymous one (published records only).
func RecordsSubscribe(filter map[string]any, t time.Time, s jws.Signer, opts ...Option) (*Message, error) {
	desc := map[string]any{"interface": "Records", "method": "Subscribe", "messageTimestamp": now(t), "filter": filter}
	return signed(desc, s, opts)
}

// RecordsRead builds a RecordsRead of one record; s nil makes it anonymous.
func RecordsRead(recordID string, s jws.Signer, opts ...Option) (*Message, error) {
	return RecordsReadFilter(map[string]any{"recordId": recordID}, time.Time{}, s, opts...)
}

// RecordsReadFilter builds a RecordsRead with any filter.
func RecordsReadFilter(filter map[string]any, t time.Time, s jws.Signer, opts ...Option) (*Message, error) {
	return signed(map[string]any{"interface": "Records", "method": "Read", "messageTimestamp": now(t), "filter": filter}, s, opts)
}

// RecordsDelete builds a RecordsDelete.
func RecordsDelete(recordID string, prune bool, t time.Time, s jws.Signer, opts ...Option) (*Message, error) {
	return signed(map[string]any{"interface": "Records", "method": "Delete", "messageTimestamp": now(t),
		"recordId": recordID, "prune": prune}, s, opts)
}

// ProtocolsConfigure builds a ProtocolsConfigure installing definition (a protocol
// definition as JSON values; see dwn-protocol.md §7.1).
func ProtocolsConfigure(definition map[string]any, t time.Time, s jws.Signer, opts ...Option) (*Message, error) {
	return signed(map[string]any{"interface": "Protocols", "method": "Configure", "messageTimestamp": now(t),
		"definition": definition}, s, opts)
}

// ProtocolsQuery builds a ProtocolsQuery of one protocol ("" for all); s nil makes it
// anonymous.
func ProtocolsQuery(protocol string, t time.Time, s jws.Signer, opts ...Option) (*Message, error) {
	desc := map[string]any{"interface": "Protocols", "method": "Query", "messageTimestamp": now(t)}
	if protocol != "" {
		desc["filter"] = map[string]any{"protocol": protocol}
	}
	return signed(desc, s, opts)
}
