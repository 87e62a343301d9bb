package node

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dwn-ipfs/dwn-ipfs/did"
	"github.com/dwn-ipfs/dwn-ipfs/did/didjwk"
	"github.com/dwn-ipfs/dwn-ipfs/did/didkey"
	"github.com/dwn-ipfs/dwn-ipfs/dwn"
	"github.com/dwn-ipfs/dwn-ipfs/dwn/builder"
	"github.com/dwn-ipfs/dwn-ipfs/dwn/jwk"
	"github.com/dwn-ipfs/dwn-ipfs/dwn/jws"
	"github.com/dwn-ipfs/dwn-ipfs/storage/badger"
)

func newNode(t testing.TB, cfg Config) *Node {
	t.Helper()
	s, err := badger.Open(t.TempDir(), badger.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	n, err := New(cfg, s, s, did.NewMemoryCache(did.Methods{"jwk": didjwk.Resolver{}, "key": didkey.Resolver{ReferenceOnly: true}}, 0), nil)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func newIdentity(t testing.TB) (string, jws.Signer) {
	t.Helper()
	k, err := jwk.Generate(jwk.Ed25519)
	if err != nil {
		t.Fatal(err)
	}
	d, err := didjwk.New(k.Public())
	if err != nil {
		t.Fatal(err)
	}
	return d, jws.PrivateKeySigner{Key: k, KID: d + "#0"}
}

func process(t testing.TB, n *Node, tenant string, m []byte, data []byte) *Reply {
	t.Helper()
	var r *bytes.Reader
	if data != nil {
		r = bytes.NewReader(data)
	}
	var rep *Reply
	var err error
	if r != nil {
		rep, err = n.ProcessMessage(context.Background(), tenant, m, r)
	} else {
		rep, err = n.ProcessMessage(context.Background(), tenant, m, nil)
	}
	if err != nil {
		t.Fatalf("ProcessMessage: %v", err)
	}
	if rep.Data != nil {
		rep.Data.Close()
	}
	return rep
}

// TestLimits checks every configured limit at limit-1, limit and limit+1.
func TestLimits(t *testing.T) {
	const maxData = 40000
	tenant, signer := newIdentity(t)
	tests := []struct {
		name   string
		size   int
		status int
		code   string
	}{
		{"data limit-1", maxData - 1, 202, ""},
		{"data at limit", maxData, 202, ""},
		{"data limit+1", maxData + 1, 400, "RecordsWriteDataSizeLimitExceeded"},
	}
	n := newNode(t, Config{MaxDataSize: maxData})
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			data := bytes.Repeat([]byte{'x'}, tc.size)
			m, err := builder.RecordsWrite(builder.Write{Data: data}, signer)
			if err != nil {
				t.Fatal(err)
			}
			rep := process(t, n, tenant, m.JSON, data)
			if rep.Status.Code != tc.status || !strings.HasPrefix(rep.Status.Detail, tc.code) {
				t.Fatalf("got %d %s, want %d %s", rep.Status.Code, rep.Status.Detail, tc.status, tc.code)
			}
		})
	}
	// A body larger than the limit but announced as small is cut at the limit.
	t.Run("oversize body with small dataSize", func(t *testing.T) {
		data := bytes.Repeat([]byte{'y'}, maxData+10)
		m, _ := builder.RecordsWrite(builder.Write{Data: data[:100]}, signer)
		rep := process(t, n, tenant, m.JSON, data)
		if rep.Status.Code != 400 || !strings.HasPrefix(rep.Status.Detail, "RecordsWriteDataSizeLimitExceeded") {
			t.Fatalf("got %d %s", rep.Status.Code, rep.Status.Detail)
		}
	})
	// Message size.
	m, _ := builder.RecordsWrite(builder.Write{Data: []byte("a")}, signer)
	for _, tc := range []struct {
		limit  int
		status int
	}{{len(m.JSON) + 1, 202}, {len(m.JSON), 202}, {len(m.JSON) - 1, 400}} {
		n := newNode(t, Config{MaxMessageSize: tc.limit})
		rep := process(t, n, tenant, m.JSON, []byte("a"))
		if rep.Status.Code != tc.status {
			t.Errorf("message of %d bytes with limit %d: %d %s", len(m.JSON), tc.limit, rep.Status.Code, rep.Status.Detail)
		}
	}
	// Filter values.
	n2 := newNode(t, Config{MaxFilterValues: 2})
	for _, tc := range []struct {
		values int
		status int
	}{{1, 200}, {2, 200}, {3, 400}} {
		var authors []any
		for i := range tc.values {
			authors = append(authors, tenant+string(rune('a'+i)))
		}
		q, _ := builder.RecordsQuery(builder.Query{Filter: map[string]any{"author": authors}}, signer)
		rep := process(t, n2, tenant, q.JSON, nil)
		if rep.Status.Code != tc.status {
			t.Errorf("%d author values with limit 2: %d %s", tc.values, rep.Status.Code, rep.Status.Detail)
		}
	}
	// Tags.
	n4 := newNode(t, Config{MaxTags: 2})
	for _, tc := range []struct {
		tags   int
		status int
	}{{1, 202}, {2, 202}, {3, 400}} {
		tags := map[string]any{}
		for i := range tc.tags {
			tags[string(rune('a'+i))] = i
		}
		w, _ := builder.RecordsWrite(builder.Write{Data: []byte("t"), Tags: tags}, signer)
		if rep := process(t, n4, tenant, w.JSON, []byte("t")); rep.Status.Code != tc.status {
			t.Errorf("%d tags with limit 2: %d %s", tc.tags, rep.Status.Code, rep.Status.Detail)
		}
	}
	// Nesting: a query whose filter holds a tag range nests 5 deep
	// (message, descriptor, filter, tags, range).
	q5, _ := builder.RecordsQuery(builder.Query{Filter: map[string]any{"tags": map[string]any{"n": map[string]any{"gt": 1}}}}, signer)
	if d := jsonDepth(q5.JSON); d != 5 {
		t.Fatalf("depth of the query = %d, want 5", d)
	}
	for _, tc := range []struct {
		limit  int
		status int
	}{{6, 200}, {5, 200}, {4, 400}} {
		n := newNode(t, Config{MaxNesting: tc.limit})
		if rep := process(t, n, tenant, q5.JSON, nil); rep.Status.Code != tc.status {
			t.Errorf("depth 5 with limit %d: %d %s", tc.limit, rep.Status.Code, rep.Status.Detail)
		}
	}
	if d := jsonDepth([]byte(`{"a":"{[{[","b":[1,{"c":"\"]"}]}`)); d != 3 {
		t.Errorf("jsonDepth counted brackets inside strings: %d", d)
	}
	// Query limit cap.
	n3 := newNode(t, Config{MaxQueryLimit: 2})
	for i := range 3 {
		w, _ := builder.RecordsWrite(builder.Write{Data: []byte{byte(i)}}, signer)
		process(t, n3, tenant, w.JSON, []byte{byte(i)})
	}
	q, _ := builder.RecordsQuery(builder.Query{Filter: map[string]any{"dataFormat": "application/octet-stream"}}, signer)
	rep := process(t, n3, tenant, q.JSON, nil)
	if len(rep.Entries) != 2 || rep.Cursor == nil {
		t.Fatalf("capped query: %d entries, cursor %v", len(rep.Entries), rep.Cursor)
	}
}

// TestBadDataLeavesNothing checks that a write whose data does not match leaves no
// record, no index entry and no data behind.
func TestBadDataLeavesNothing(t *testing.T) {
	n := newNode(t, Config{})
	tenant, signer := newIdentity(t)
	big := bytes.Repeat([]byte("0123456789"), 50000)
	for _, tc := range []struct {
		name string
		data []byte
		sent []byte
		code string
	}{
		{"small cid mismatch", []byte("hello"), []byte("hellp"), "RecordsWriteDataCidMismatch"},
		{"large cid mismatch", big, append(append([]byte{}, big[:len(big)-1]...), 'x'), "RecordsWriteDataCidMismatch"},
		{"large truncated", big, big[:len(big)-7], "RecordsWriteDataCidMismatch"},
	} {
		m, _ := builder.RecordsWrite(builder.Write{Data: tc.data}, signer)
		rep := process(t, n, tenant, m.JSON, tc.sent)
		if rep.Status.Code != 400 || !strings.HasPrefix(rep.Status.Detail, tc.code) {
			t.Fatalf("%s: %d %s", tc.name, rep.Status.Code, rep.Status.Detail)
		}
		if _, err := n.store.Record(context.Background(), tenant, m.RecordID); dwn.KindOf(err) != dwn.NotFound {
			t.Fatalf("%s: a record was kept: %v", tc.name, err)
		}
	}
	q, _ := builder.RecordsQuery(builder.Query{Filter: map[string]any{"dataFormat": "application/octet-stream"}}, signer)
	if rep := process(t, n, tenant, q.JSON, nil); len(rep.Entries) != 0 {
		t.Fatalf("query lists %d entries after failed writes", len(rep.Entries))
	}
}

// TestInvalidJSON checks that malformed message JSON is refused before anything else.
func TestInvalidJSON(t *testing.T) {
	n := newNode(t, Config{})
	tenant, _ := newIdentity(t)
	for _, msg := range []string{`{"descriptor":`, `{"a":1}xyz`, `{"a":1} {"b":2}`, `not json`, `{"a": 1,}`} {
		rep := process(t, n, tenant, []byte(msg), nil)
		if rep.Status.Code != 400 || !strings.HasPrefix(rep.Status.Detail, "MessageInvalidJson") {
			t.Errorf("%q: %d %s", msg, rep.Status.Code, rep.Status.Detail)
		}
	}
}

// FuzzProcessMessage feeds arbitrary message JSON to the node: it must never panic, and
// must answer with a DWN status.
func FuzzProcessMessage(f *testing.F) {
	_, signer := newIdentity(f)
	w, _ := builder.RecordsWrite(builder.Write{Data: []byte("hi"), Schema: "https://x.example/s", Tags: map[string]any{"a": 1}}, signer)
	q, _ := builder.RecordsQuery(builder.Query{Filter: map[string]any{"schema": "https://x.example/s"}, Limit: 2}, signer)
	r, _ := builder.RecordsRead(w.RecordID, signer)
	d, _ := builder.RecordsDelete(w.RecordID, true, time.Time{}, signer)
	for _, m := range []*builder.Message{w, q, r, d} {
		f.Add(string(m.JSON), true)
	}
	f.Add(`{"descriptor":{"interface":"Records","method":"Write"}}`, false)
	f.Add(`[]`, false)
	n := newNode(f, Config{})
	tenant := signer.KeyID()[:strings.IndexByte(signer.KeyID(), '#')]
	f.Fuzz(func(t *testing.T, msg string, withData bool) {
		var data []byte
		if withData {
			data = []byte("hi")
		}
		rep := process(t, n, tenant, []byte(msg), data)
		if rep.Status.Code < 200 || rep.Status.Code > 599 || rep.Status.Detail == "" {
			t.Fatalf("bad status %+v", rep.Status)
		}
	})
}

// TestReplySizeHint checks that the hint covers the encoded reply, so the server
// allocates a reply buffer once.
func TestReplySizeHint(t *testing.T) {
	entry := json.RawMessage(`{"recordId":"bafy","descriptor":{"interface":"Records","method":"Write"},"encodedData":"` + strings.Repeat("A", 1400) + `"}`)
	for _, r := range []*Reply{
		statusReply(202, "Accepted"),
		statusReply(400, "RecordsWriteDataCidMismatch: "+strings.Repeat("x", 300)),
		{Status: dwn.Status{Code: 200, Detail: "OK"}, Entries: []json.RawMessage{}},
		{Status: dwn.Status{Code: 200, Detail: "OK"}, Entries: slices.Repeat([]json.RawMessage{entry}, 100),
			Cursor: &dwn.Cursor{MessageCID: "bafyreia" + strings.Repeat("b", 51), Value: "2024-01-01T00:00:00.000000Z"}},
		{Status: dwn.Status{Code: 200, Detail: "OK"}, Entry: &ReadEntry{RecordsWrite: entry, InitialWrite: entry}},
	} {
		b, err := r.AppendJSON(nil)
		if err != nil {
			t.Fatal(err)
		}
		if r.SizeHint() < len(b) {
			t.Errorf("SizeHint %d < %d bytes of %.80s", r.SizeHint(), len(b), b)
		}
	}
}
