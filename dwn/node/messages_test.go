package node

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/dwn-ipfs/dwn-ipfs/dwn"
	"github.com/dwn-ipfs/dwn-ipfs/dwn/builder"
)

func TestMessagesQuery(t *testing.T) {
	n := newNode(t, Config{})
	alice, as := newIdentity(t)
	_, bs := newIdentity(t)
	clock := time.Now().Add(-time.Hour)
	next := func() time.Time { clock = clock.Add(time.Second); return clock }
	var cids []string
	send := func(m *builder.Message, data []byte, want int) {
		t.Helper()
		if rep := process(t, n, alice, m.JSON, data); rep.Status.Code != want {
			t.Fatalf("%d, want %d: %s", rep.Status.Code, want, rep.Status.Detail)
		}
		cids = append(cids, m.CID)
	}
	proto, _ := builder.ProtocolsConfigure(map[string]any{"protocol": "https://example.com/p", "published": true,
		"types": map[string]any{"t": map[string]any{}}, "structure": map[string]any{"t": map[string]any{}}}, next(), as)
	send(proto, nil, 202)
	w1, _ := builder.RecordsWrite(builder.Write{Data: []byte("one"), Time: next()}, as)
	send(w1, []byte("one"), 202)
	w2, _ := builder.RecordsWrite(builder.Write{Data: []byte("two"), Protocol: "https://example.com/p", ProtocolPath: "t", Time: next()}, as)
	send(w2, []byte("two"), 202)
	var initial map[string]any
	json.Unmarshal(w1.JSON, &initial)
	u1, _ := builder.Update(initial, builder.Write{Data: []byte("one v2"), Time: next()}, as)
	send(u1, []byte("one v2"), 202)

	query := func(filters []map[string]any, cursor *dwn.Cursor) *Reply {
		t.Helper()
		m, err := builder.MessagesQuery(filters, cursor, next(), as)
		if err != nil {
			t.Fatal(err)
		}
		rep := process(t, n, alice, m.JSON, nil)
		if rep.Status.Code != 200 {
			t.Fatalf("MessagesQuery: %+v", rep.Status)
		}
		return rep
	}
	entries := func(rep *Reply) []string {
		out := []string{}
		for _, e := range rep.Entries {
			var s string
			json.Unmarshal(e, &s)
			out = append(out, s)
		}
		return out
	}
	same := func(name string, got, want []string) {
		t.Helper()
		if len(got) != len(want) {
			t.Fatalf("%s: %v, want %v", name, got, want)
		}
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("%s: %v, want %v", name, got, want)
			}
		}
	}
	all := query(nil, nil)
	same("all events", entries(all), cids) // the initial write stays, its update too
	if all.Cursor == nil || all.Cursor.MessageCID != u1.CID {
		t.Fatalf("cursor %+v", all.Cursor)
	}
	same("protocol filter", entries(query([]map[string]any{{"protocol": "https://example.com/p"}}, nil)), []string{proto.CID, w2.CID})
	same("interface filter", entries(query([]map[string]any{{"interface": "Protocols"}}, nil)), []string{proto.CID})
	// After the cursor: only what came later.
	w3, _ := builder.RecordsWrite(builder.Write{Data: []byte("three"), Time: next()}, as)
	send(w3, []byte("three"), 202)
	later := query(nil, all.Cursor)
	same("after the cursor", entries(later), []string{w3.CID})
	// A cursor whose value is not ours still works while its message exists.
	same("foreign cursor value", entries(query(nil, &dwn.Cursor{MessageCID: u1.CID, Value: "01HXXXXXXXXXXXXXXXXXXXXXXX"})), []string{w3.CID})
	// Others need a grant.
	m, _ := builder.MessagesQuery(nil, nil, next(), bs)
	if rep := process(t, n, alice, m.JSON, nil); rep.Status.Code != 401 {
		t.Fatalf("MessagesQuery by another DID: %+v", rep.Status)
	}
}
