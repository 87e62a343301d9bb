package node

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dwn-ipfs/dwn-ipfs/dwn/builder"
	"github.com/dwn-ipfs/dwn-ipfs/dwn/jws"
)

// chatDefinition has records three levels deep written under a context role: a thread
// (anyone creates), its participants (a $role the thread's author assigns), messages in
// the thread and reactions to messages, both written by participants invoking the role.
func chatDefinition() map[string]any {
	participant := []any{map[string]any{"role": "thread/participant", "can": []any{"create", "read", "query", "subscribe"}}}
	return map[string]any{
		"protocol": "https://chat.example", "published": true,
		"types": map[string]any{"thread": map[string]any{}, "participant": map[string]any{},
			"message": map[string]any{}, "reaction": map[string]any{}},
		"structure": map[string]any{"thread": map[string]any{
			"$actions":    []any{map[string]any{"who": "anyone", "can": []any{"create"}}},
			"participant": map[string]any{"$role": true, "$actions": []any{map[string]any{"who": "author", "of": "thread", "can": []any{"create"}}}},
			"message": map[string]any{"$actions": participant,
				"reaction": map[string]any{"$actions": participant}},
		}},
	}
}

// chat is a configured chat protocol with one thread, bob as its participant and one
// message to react to.
type chat struct {
	n             *Node
	tenant        string
	owner, bob    jws.Signer
	bobDID        string
	thread, msg   *builder.Message
	threadContext string
	mu            sync.Mutex
	clock         time.Time
}

func (c *chat) tick() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.clock = c.clock.Add(time.Microsecond)
	return c.clock
}

func newChat(t testing.TB) *chat {
	n := newNode(t, Config{})
	tenant, owner := newIdentity(t)
	bobDID, bob := newIdentity(t)
	c := &chat{n: n, tenant: tenant, owner: owner, bob: bob, bobDID: bobDID, clock: time.Now().Add(-time.Hour)}
	cfg, err := builder.ProtocolsConfigure(chatDefinition(), c.tick(), owner)
	if err != nil {
		t.Fatal(err)
	}
	if rep := process(t, n, tenant, cfg.JSON, nil); rep.Status.Code != 202 {
		t.Fatalf("configure: %+v", rep.Status)
	}
	c.thread = c.write(t, owner, "thread", nil, "", 202)
	c.threadContext = c.thread.RecordID
	c.write(t, owner, "thread/participant", c.thread, bobDID, 202)
	c.msg = c.write(t, bob, "thread/message", c.thread, "", 202)
	return c
}

// write writes a record at path under parent (nil for a root record), invoking the
// participant role when the path is below the thread and the author is not the tenant.
func (c *chat) write(t testing.TB, s jws.Signer, path string, parent *builder.Message, recipient string, want int) *builder.Message {
	t.Helper()
	m, err := c.build(s, path, parent, recipient)
	if err != nil {
		t.Fatal(err)
	}
	if rep := process(t, c.n, c.tenant, m.JSON, []byte("hi")); rep.Status.Code != want {
		t.Fatalf("write %s: %+v, want %d", path, rep.Status, want)
	}
	return m
}

func (c *chat) build(s jws.Signer, path string, parent *builder.Message, recipient string) (*builder.Message, error) {
	w := builder.Write{Data: []byte("hi"), Protocol: "https://chat.example", ProtocolPath: path, Recipient: recipient, Time: c.tick()}
	if parent != nil {
		w.ParentID, w.ParentContext = parent.RecordID, contextOf(parent)
		if s == c.bob {
			w.ProtocolRole = "thread/participant"
		}
	}
	return builder.RecordsWrite(w, s)
}

func contextOf(m *builder.Message) string {
	var v struct {
		ContextID string `json:"contextId"`
	}
	if err := json.Unmarshal(m.JSON, &v); err != nil {
		return ""
	}
	return v.ContextID
}

// BenchmarkProtocolWrite measures a participant's reaction three levels deep (thread,
// message, reaction), authorized by a context role, with 10^3, 10^4 and 10^5 other records in
// the protocol: the authorization reads the parent chain and the role record only, so
// the cost must stay flat.
func BenchmarkProtocolWrite(b *testing.B) {
	for _, others := range []int{1000, 10000, 100000} {
		b.Run(fmt.Sprintf("records=%d", others), func(b *testing.B) {
			c := newChat(b)
			for range others {
				c.write(b, c.bob, "thread/message", c.thread, "", 202)
			}
			msgs := make([]*builder.Message, b.N)
			for i := range msgs {
				m, err := c.build(c.bob, "thread/message/reaction", c.msg, "")
				if err != nil {
					b.Fatal(err)
				}
				msgs[i] = m
			}
			b.ReportAllocs()
			b.ResetTimer()
			for _, m := range msgs {
				if rep := process(b, c.n, c.tenant, m.JSON, []byte("hi")); rep.Status.Code != 202 {
					b.Fatalf("%+v", rep.Status)
				}
			}
		})
	}
}

// TestChatRoles checks the role rules the benchmark relies on: a participant may write
// at every level, a stranger may not, and nobody can hold the role twice.
func TestChatRoles(t *testing.T) {
	c := newChat(t)
	_, eve := newIdentity(t)
	m := c.write(t, c.bob, "thread/message/reaction", c.msg, "", 202)
	// eve has no role record: invoking the role fails, not invoking it finds no rule.
	w, _ := builder.RecordsWrite(builder.Write{Data: []byte("hi"), Protocol: "https://chat.example", ProtocolPath: "thread/message",
		ParentID: c.thread.RecordID, ParentContext: c.threadContext, ProtocolRole: "thread/participant", Time: c.tick()}, eve)
	if rep := process(t, c.n, c.tenant, w.JSON, []byte("hi")); rep.Status.Code != 401 || !strings.Contains(rep.Status.Detail, "ProtocolAuthorizationMatchingRoleRecordNotFound") {
		t.Fatalf("eve invoking the role: %+v", rep.Status)
	}
	w, _ = builder.RecordsWrite(builder.Write{Data: []byte("hi"), Protocol: "https://chat.example", ProtocolPath: "thread/message",
		ParentID: c.thread.RecordID, ParentContext: c.threadContext, Time: c.tick()}, eve)
	if rep := process(t, c.n, c.tenant, w.JSON, []byte("hi")); rep.Status.Code != 401 || !strings.Contains(rep.Status.Detail, "ProtocolAuthorizationActionNotAllowed") {
		t.Fatalf("eve without a role: %+v", rep.Status)
	}
	// A second participant record for bob in the same thread is refused.
	c.write(t, c.owner, "thread/participant", c.thread, c.bobDID, 400)
	// bob reads a message with his role; eve cannot.
	rd, _ := builder.RecordsReadFilter(map[string]any{"recordId": m.RecordID}, c.tick(), eve)
	if rep := process(t, c.n, c.tenant, rd.JSON, nil); rep.Status.Code != 401 {
		t.Fatalf("eve reads a reaction: %+v", rep.Status)
	}
}

// TestReconfigureTakesEffect checks that a new configuration of a protocol applies to
// the very next write (definitions are cached).
func TestReconfigureTakesEffect(t *testing.T) {
	c := newChat(t)
	def := chatDefinition()
	thread := def["structure"].(map[string]any)["thread"].(map[string]any)
	_, eve := newIdentity(t)
	c.write(t, eve, "thread", nil, "", 202) // anyone may create a thread
	thread["$actions"] = []any{map[string]any{"who": "anyone", "can": []any{"read"}}}
	cfg, err := builder.ProtocolsConfigure(def, c.tick(), c.owner)
	if err != nil {
		t.Fatal(err)
	}
	if rep := process(t, c.n, c.tenant, cfg.JSON, nil); rep.Status.Code != 202 {
		t.Fatalf("reconfigure: %+v", rep.Status)
	}
	c.write(t, eve, "thread", nil, "", 401) // now nobody but the tenant may
	c.write(t, c.owner, "thread", nil, "", 202)
}

// FuzzProtocolWrite signs writes with arbitrary protocol paths, parents, contexts, roles,
// recipients and tags into a configured protocol: every one must get a DWN status (no
// panic, no internal error), and a write refused with 4xx must leave nothing behind.
func FuzzProtocolWrite(f *testing.F) {
	f.Add("thread/message", true, "", "thread/participant", "", `{"a":1}`)
	f.Add("thread/message/reaction", true, "x/y", "thread/participant", "", `{}`)
	f.Add("undefined/message", false, "", "", "", ``)
	f.Add("thread/participant", true, "", "", "did:example:x", `{"k":["a","b"]}`)
	f.Add("thread", false, "", "thread", "", `{"status":"x"}`)
	c := newChat(f) // one store for all inputs: every write has its own timestamp
	f.Fuzz(func(t *testing.T, path string, withParent bool, ctxID, role, recipient, tagsJSON string) {
		w := builder.Write{Data: []byte("hi"), Protocol: "https://chat.example", ProtocolPath: path,
			Recipient: recipient, ProtocolRole: role, Time: c.tick()}
		if withParent {
			w.ParentID, w.ParentContext = c.msg.RecordID, contextOf(c.msg)
		}
		if ctxID != "" {
			w.ParentContext = ctxID
		}
		if tagsJSON != "" {
			var tags map[string]any
			if json.Unmarshal([]byte(tagsJSON), &tags) == nil && len(tags) > 0 {
				w.Tags = tags
			}
		}
		m, err := builder.RecordsWrite(w, c.bob)
		if err != nil {
			return // not encodable as a message (e.g. a tag value dag-cbor cannot hold)
		}
		rep, err := c.n.ProcessMessage(context.Background(), c.tenant, m.JSON, bytes.NewReader([]byte("hi")))
		if err != nil {
			t.Fatalf("internal error for %s: %v", m.JSON, err)
		}
		if rep.Status.Code >= 500 {
			t.Fatalf("status %+v for %s", rep.Status, m.JSON)
		}
		if rep.Status.Code >= 400 {
			rd, _ := builder.RecordsRead(m.RecordID, c.owner)
			if got := process(t, c.n, c.tenant, rd.JSON, nil); got.Status.Code != 404 {
				t.Fatalf("refused write (%d %s) is readable: %+v", rep.Status.Code, rep.Status.Detail, got.Status)
			}
		}
	})
}
