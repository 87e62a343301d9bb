package node

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/dwn-ipfs/dwn-ipfs/dwn/builder"
	"github.com/dwn-ipfs/dwn-ipfs/dwn/jws"
)

// received decodes the events waiting on sub: for each, the message's method and
// recordId and whether it carries initialWrite.
type received struct {
	method, recordID string
	initial          bool
}

func drainEvents(t *testing.T, sub *Sub, want int) []received {
	t.Helper()
	var out []received
	timeout := time.After(2 * time.Second)
	for len(out) < want {
		select {
		case e := <-sub.Events():
			var ev struct {
				Message struct {
					RecordID   string `json:"recordId"`
					Descriptor struct {
						Method   string `json:"method"`
						RecordID string `json:"recordId"`
					} `json:"descriptor"`
					EncodedData *string `json:"encodedData"`
				} `json:"message"`
				InitialWrite json.RawMessage `json:"initialWrite"`
			}
			if err := json.Unmarshal(e, &ev); err != nil {
				t.Fatal(err)
			}
			if ev.Message.EncodedData != nil {
				t.Fatal("an event carries encodedData")
			}
			rid := ev.Message.RecordID
			if rid == "" {
				rid = ev.Message.Descriptor.RecordID
			}
			out = append(out, received{ev.Message.Descriptor.Method, rid, ev.InitialWrite != nil})
		case <-timeout:
			t.Fatalf("%d events, want %d: %+v", len(out), want, out)
		}
	}
	select {
	case e := <-sub.Events():
		t.Fatalf("unexpected event %s", e)
	case <-time.After(50 * time.Millisecond):
	}
	return out
}

func subscribe(t *testing.T, n *Node, tenant string, filter map[string]any, s jws.Signer) *Sub {
	t.Helper()
	m, err := builder.RecordsSubscribe(filter, time.Now(), s)
	if err != nil {
		t.Fatal(err)
	}
	rep := process(t, n, tenant, m.JSON, nil)
	if rep.Status.Code != 200 || rep.Sub == nil || rep.Subscription == nil || rep.Subscription.ID != m.CID {
		t.Fatalf("subscribe: %+v", rep)
	}
	t.Cleanup(rep.Sub.Close)
	return rep.Sub
}

func TestRecordsSubscribe(t *testing.T) {
	n := newNode(t, Config{})
	alice, as := newIdentity(t)
	bob, bs := newIdentity(t)
	f := map[string]any{"schema": "https://example.com/s"}
	owner := subscribe(t, n, alice, f, as)
	anon := subscribe(t, n, alice, f, nil)
	bobs := subscribe(t, n, alice, f, bs)
	schema := subscribe(t, n, alice, map[string]any{"schema": "https://example.com/other"}, as)

	clock := time.Now().Add(-time.Minute)
	write := func(w builder.Write) *builder.Message {
		t.Helper()
		clock = clock.Add(time.Second)
		w.Time, w.Schema = clock, "https://example.com/s"
		m, err := builder.RecordsWrite(w, as)
		if err != nil {
			t.Fatal(err)
		}
		if rep := process(t, n, alice, m.JSON, w.Data); rep.Status.Code != 202 {
			t.Fatalf("write: %+v", rep.Status)
		}
		return m
	}
	private := write(builder.Write{Data: []byte("private")})
	public := write(builder.Write{Data: []byte("public"), Published: true})
	forBob := write(builder.Write{Data: []byte("for bob"), Recipient: bob})
	var initial map[string]any
	json.Unmarshal(public.JSON, &initial)
	clock = clock.Add(time.Second)
	upd, err := builder.Update(initial, builder.Write{Data: []byte("public v2"), Published: true, Time: clock}, as)
	if err != nil {
		t.Fatal(err)
	}
	if rep := process(t, n, alice, upd.JSON, []byte("public v2")); rep.Status.Code != 202 {
		t.Fatalf("update: %+v", rep.Status)
	}
	clock = clock.Add(time.Second)
	del, _ := builder.RecordsDelete(public.RecordID, false, clock, as)
	if rep := process(t, n, alice, del.JSON, nil); rep.Status.Code != 202 {
		t.Fatalf("delete: %+v", rep.Status)
	}
	got := drainEvents(t, owner, 5)
	want := []received{{"Write", private.RecordID, false}, {"Write", public.RecordID, false}, {"Write", forBob.RecordID, false},
		{"Write", public.RecordID, true}, {"Delete", public.RecordID, true}}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("owner event %d: %+v, want %+v", i, got[i], want[i])
		}
	}
	// Anonymous: published writes only (deletes carry no published index).
	if got := drainEvents(t, anon, 2); got[0].recordID != public.RecordID || got[1] != (received{"Write", public.RecordID, true}) {
		t.Fatalf("anonymous events: %+v", got)
	}
	// Bob: published writes and the record for him.
	if got := drainEvents(t, bobs, 3); got[0].recordID != public.RecordID || got[1].recordID != forBob.RecordID || got[2].recordID != public.RecordID {
		t.Fatalf("bob's events: %+v", got)
	}
	drainEvents(t, schema, 0)
	// Another tenant's subscription sees nothing of alice's.
	if n.Subscribers() != 4 {
		t.Fatalf("%d subscribers", n.Subscribers())
	}
}

func TestSlowSubscriberIsClosed(t *testing.T) {
	n := newNode(t, Config{EventQueue: 3})
	alice, as := newIdentity(t)
	sub := subscribe(t, n, alice, map[string]any{"dataFormat": "application/octet-stream"}, as)
	for i := range 5 {
		m, err := builder.RecordsWrite(builder.Write{Data: []byte{byte(i)}, Time: time.Now().Add(time.Duration(i) * time.Millisecond)}, as)
		if err != nil {
			t.Fatal(err)
		}
		if rep := process(t, n, alice, m.JSON, []byte{byte(i)}); rep.Status.Code != 202 {
			t.Fatalf("write %d: %+v", i, rep.Status)
		}
	}
	select {
	case <-sub.Done():
	case <-time.After(time.Second):
		t.Fatal("a subscriber that did not read was not closed")
	}
	if sub.Err() != ErrSubscriberTooSlow || n.Subscribers() != 0 {
		t.Fatalf("err %v, %d subscribers", sub.Err(), n.Subscribers())
	}
}

func TestRecordsSubscribeUnpublishedNeedsSignature(t *testing.T) {
	n := newNode(t, Config{})
	alice, _ := newIdentity(t)
	m, err := builder.RecordsSubscribe(map[string]any{"published": false}, time.Now(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep := process(t, n, alice, m.JSON, nil); rep.Status.Code != 401 || rep.Sub != nil {
		t.Fatalf("anonymous subscription to unpublished records: %+v", rep.Status)
	}
}
