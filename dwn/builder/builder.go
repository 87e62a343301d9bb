// Package builder creates signed DWN messages, as the reference SDK's
// RecordsWrite.create, RecordsQuery.create and friends do: the CLI, the load generator
// and the tests use it to talk to any DWN.
//
// Messages are built as decoded JSON values (maps), so that their CIDs are computed
// exactly as the server computes them; Message.JSON is what goes on the wire.
package builder

import (
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
func RecordsWrite(w Write, s jws.Signer) (*Message, error) {
	ts := now(w.Time)
	desc := map[string]any{"interface": "Records", "method": "Write", "messageTimestamp": ts, "dateCreated": ts}
	if err := fillWrite(desc, &w, ts); err != nil {
		return nil, err
	}
	author := jws.SignerDID(s.KeyID())
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
	return signWrite(desc, recordID, contextID, w.ProtocolRole, s)
}

// Update builds a newer write of an existing record: initial is the record's initial
// write (its decoded JSON); w gives the new data, tags and publication.
func Update(initial map[string]any, w Write, s jws.Signer) (*Message, error) {
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
	return signWrite(desc, recordID, contextID, w.ProtocolRole, s)
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

func signWrite(desc map[string]any, recordID, contextID, role string, s jws.Signer) (*Message, error) {
	descCID, err := dwn.ComputeCID(desc)
	if err != nil {
		return nil, err
	}
	sig, err := sign([]field{{"recordId", recordID}, {"descriptorCid", descCID}, {"contextId", contextID}, {"protocolRole", role}}, s)
	if err != nil {
		return nil, err
	}
	m := map[string]any{"recordId": recordID, "descriptor": desc, "authorization": map[string]any{"signature": sig}}
	if contextID != "" {
		m["contextId"] = contextID
	}
	return finish(m, recordID)
}

// signed builds a message whose authorization is the generic payload; s may be nil for
// an anonymous message.
func signed(desc map[string]any, s jws.Signer) (*Message, error) {
	m := map[string]any{"descriptor": desc}
	if s != nil {
		descCID, err := dwn.ComputeCID(desc)
		if err != nil {
			return nil, err
		}
		sig, err := sign([]field{{"descriptorCid", descCID}}, s)
		if err != nil {
			return nil, err
		}
		m["authorization"] = map[string]any{"signature": sig}
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
func RecordsQuery(q Query, s jws.Signer) (*Message, error) {
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
	return signed(desc, s)
}

// RecordsRead builds a RecordsRead of one record; s nil makes it anonymous.
func RecordsRead(recordID string, s jws.Signer) (*Message, error) {
	return RecordsReadFilter(map[string]any{"recordId": recordID}, time.Time{}, s)
}

// RecordsReadFilter builds a RecordsRead with any filter.
func RecordsReadFilter(filter map[string]any, t time.Time, s jws.Signer) (*Message, error) {
	return signed(map[string]any{"interface": "Records", "method": "Read", "messageTimestamp": now(t), "filter": filter}, s)
}

// RecordsDelete builds a RecordsDelete.
func RecordsDelete(recordID string, prune bool, t time.Time, s jws.Signer) (*Message, error) {
	return signed(map[string]any{"interface": "Records", "method": "Delete", "messageTimestamp": now(t),
		"recordId": recordID, "prune": prune}, s)
}

// ProtocolsConfigure builds a ProtocolsConfigure installing definition (a protocol
// definition as JSON values; see dwn-protocol.md §7.1).
func ProtocolsConfigure(definition map[string]any, t time.Time, s jws.Signer) (*Message, error) {
	return signed(map[string]any{"interface": "Protocols", "method": "Configure", "messageTimestamp": now(t),
		"definition": definition}, s)
}

// ProtocolsQuery builds a ProtocolsQuery of one protocol ("" for all); s nil makes it
// anonymous.
func ProtocolsQuery(protocol string, t time.Time, s jws.Signer) (*Message, error) {
	desc := map[string]any{"interface": "Protocols", "method": "Query", "messageTimestamp": now(t)}
	if protocol != "" {
		desc["filter"] = map[string]any{"protocol": protocol}
	}
	return signed(desc, s)
}
