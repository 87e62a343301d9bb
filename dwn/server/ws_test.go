package server

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/dwn-ipfs/dwn-ipfs/dwn/builder"
	"github.com/dwn-ipfs/dwn-ipfs/dwn/client"
)

// wsFrame is a JSON-RPC response or pushed event.
type wsFrame struct {
	ID     json.RawMessage `json:"id"`
	Result *struct {
		Reply *struct {
			Status       json.RawMessage `json:"status"`
			Subscription *struct {
				ID string `json:"id"`
			} `json:"subscription"`
		} `json:"reply"`
		Event *struct {
			Message      map[string]any `json:"message"`
			InitialWrite map[string]any `json:"initialWrite"`
		} `json:"event"`
	} `json:"result"`
	Error *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

func dialWS(t *testing.T, url string) *websocket.Conn {
	t.Helper()
	c, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(url, "http"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func readFrame(t *testing.T, c *websocket.Conn) wsFrame {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(3 * time.Second))
	_, b, err := c.ReadMessage()
	if err != nil {
		t.Fatalf("read frame: %v", err)
	}
	var f wsFrame
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatalf("frame %s: %v", b, err)
	}
	return f
}

func TestWebsocketErrors(t *testing.T) {
	ts := newTestServer(t)
	c := dialWS(t, ts.URL)
	alice, as := identity(t)
	sub, _ := builder.RecordsSubscribe(map[string]any{"schema": "https://example.com/s"}, time.Now(), as)
	write, _ := builder.RecordsWrite(builder.Write{Data: []byte("x")}, as)
	frame := func(method string, msg []byte, subID string) string {
		req := map[string]any{"jsonrpc": "2.0", "id": "r1", "method": method,
			"params": map[string]any{"target": alice, "message": json.RawMessage(msg)}}
		if subID != "" {
			req["subscription"] = map[string]any{"id": subID}
		}
		b, _ := json.Marshal(req)
		return string(b)
	}
	cases := []struct {
		name, frame string
		code        int
		message     string
	}{
		{"empty frame", "", -50400, "request payload required."},
		{"bad JSON", "{", -50400, ""},
		{"unknown method", `{"jsonrpc":"2.0","id":1,"method":"nope"}`, -32601, "method not found"},
		{"RecordsWrite", frame("dwn.processMessage", write.JSON, ""), -32602, "RecordsWrite is not supported via ws"},
		{"Subscribe without context", frame("dwn.processMessage", sub.JSON, "s1"), -32600, "subscribe methods must contain a subscriptionRequest context"},
		{"close without subscription", `{"jsonrpc":"2.0","id":"c","method":"rpc.subscribe.close","params":{}}`, -32600, "subscribe options do not exist"},
		{"close of an unknown id", `{"jsonrpc":"2.0","id":"c","method":"rpc.subscribe.close","params":{},"subscription":{"id":"zz"}}`, -32602, "subscription zz does not exist."},
	}
	for _, tc := range cases {
		if err := c.WriteMessage(websocket.TextMessage, []byte(tc.frame)); err != nil {
			t.Fatal(err)
		}
		f := readFrame(t, c)
		if f.Error == nil || f.Error.Code != tc.code || !strings.HasPrefix(f.Error.Message, tc.message) {
			t.Fatalf("%s: %+v", tc.name, f.Error)
		}
	}
	// A subscription id in use is refused.
	c.WriteMessage(websocket.TextMessage, []byte(frame("rpc.subscribe.dwn.processMessage", sub.JSON, "s1")))
	if f := readFrame(t, c); f.Result == nil || f.Result.Reply.Subscription == nil {
		t.Fatalf("subscribe: %+v", f)
	}
	c.WriteMessage(websocket.TextMessage, []byte(frame("rpc.subscribe.dwn.processMessage", sub.JSON, "s1")))
	if f := readFrame(t, c); f.Error == nil || f.Error.Code != -32602 || !strings.Contains(f.Error.Message, "s1 is in use") {
		t.Fatalf("reused subscription id: %+v", f)
	}
}

func TestWebsocketSubscription(t *testing.T) {
	ts := newTestServer(t)
	c := dialWS(t, ts.URL)
	alice, as := identity(t)
	filter := map[string]any{"schema": "https://example.com/s"}
	sub, _ := builder.RecordsSubscribe(filter, time.Now(), as)
	req, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": "req-1", "method": "rpc.subscribe.dwn.processMessage",
		"params": map[string]any{"target": alice, "message": json.RawMessage(sub.JSON)}, "subscription": map[string]any{"id": "sub-1"}})
	c.WriteMessage(websocket.TextMessage, req)
	f := readFrame(t, c)
	if string(f.ID) != `"req-1"` || f.Result == nil || f.Result.Reply.Subscription.ID != sub.CID || string(f.Result.Reply.Status) != `{"code":200,"detail":"OK"}` {
		t.Fatalf("subscribe reply: %+v", f)
	}
	// Writes over HTTP arrive as events with the subscription id as JSON-RPC id.
	cl := client.New(ts.URL)
	for i := range 3 {
		m, _ := builder.RecordsWrite(builder.Write{Data: []byte{byte(i)}, Schema: "https://example.com/s", Time: time.Now().Add(time.Duration(i) * time.Millisecond)}, as)
		if rep, _, err := cl.SendBytes(context.Background(), alice, m.JSON, []byte{byte(i)}); err != nil || rep.Status.Code != 202 {
			t.Fatalf("write: %+v, %v", rep, err)
		}
		e := readFrame(t, c)
		if string(e.ID) != `"sub-1"` || e.Result == nil || e.Result.Event == nil || e.Result.Event.Message["recordId"] != m.RecordID {
			t.Fatalf("event %d: %+v", i, e)
		}
	}
	// Close: no more events.
	c.WriteMessage(websocket.TextMessage, []byte(`{"jsonrpc":"2.0","id":"req-2","method":"rpc.subscribe.close","params":{},"subscription":{"id":"sub-1"}}`))
	if f := readFrame(t, c); string(f.ID) != `"req-2"` || string(f.Result.Reply.Status) != "200" {
		t.Fatalf("close reply: %+v", f)
	}
	m, _ := builder.RecordsWrite(builder.Write{Data: []byte("late"), Schema: "https://example.com/s"}, as)
	cl.SendBytes(context.Background(), alice, m.JSON, []byte("late"))
	c.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	if _, b, err := c.ReadMessage(); err == nil {
		t.Fatalf("frame after close: %s", b)
	}
}

func TestWebsocketPing(t *testing.T) {
	ts := newTestServerWith(t, func(h *Handler) { h.PingInterval = 50 * time.Millisecond })
	c := dialWS(t, ts.URL)
	pings := 0
	c.SetPingHandler(func(string) error { pings++; return nil }) // never answers
	c.SetReadDeadline(time.Now().Add(2 * time.Second))
	_, _, err := c.ReadMessage()
	if err == nil || pings == 0 {
		t.Fatalf("connection without pongs: %v after %d pings, want closed", err, pings)
	}
}
