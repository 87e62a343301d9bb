package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/dwn-ipfs/dwn-ipfs/dwn/node"
)

// Websocket defaults; see the Handler fields.
const (
	DefaultPingInterval        = 30 * time.Second
	DefaultMaxFrame            = 2 << 20
	DefaultMaxSubscriptions    = 100
	DefaultConnectionSendQueue = 256
	// maxConcurrentFrames bounds the frames of one connection processed at once.
	maxConcurrentFrames = 16
	// writeTimeout bounds the write of one frame to a client.
	writeTimeout = 10 * time.Second
)

// Close codes of connections dwnd ends (besides the standard ones gorilla uses).
const (
	// closeTooSlow: the client did not read its frames fast enough.
	closeTooSlow = 4008
)

// wsConn is one websocket connection: its subscriptions and its single writer.
type wsConn struct {
	h    *Handler
	c    *websocket.Conn
	ctx  context.Context
	stop context.CancelFunc
	out  chan []byte // frames to send; full means the client is not reading
	mu   sync.Mutex
	subs map[string]*node.Sub // by JSON text of the subscription id
	sem  chan struct{}
	wg   sync.WaitGroup
}

// serveWS runs the websocket protocol of the reference server (dwn-protocol.md §11)
// on any path: JSON-RPC frames, dwn.processMessage, rpc.subscribe.dwn.processMessage,
// rpc.subscribe.close, and a ping every PingInterval.
func (h *Handler) serveWS(w http.ResponseWriter, r *http.Request) {
	up := websocket.Upgrader{
		// Web5 apps connect from any origin, as over HTTP (CORS *).
		CheckOrigin:     func(*http.Request) bool { return true },
		ReadBufferSize:  16 << 10,
		WriteBufferSize: 16 << 10,
	}
	c, err := up.Upgrade(w, r, nil)
	if err != nil {
		return // Upgrade answered the client
	}
	ctx, stop := context.WithCancel(context.Background())
	conn := &wsConn{h: h, c: c, ctx: ctx, stop: stop, out: make(chan []byte, h.wsSendQueue()),
		subs: map[string]*node.Sub{}, sem: make(chan struct{}, maxConcurrentFrames)}
	h.wsConns.Add(1)
	defer h.wsConns.Add(-1)
	go conn.writeLoop()
	conn.readLoop()
	stop()
	conn.closeSubs()
	conn.wg.Wait()
	c.Close()
}

func (h *Handler) wsSendQueue() int {
	if h.WSSendQueue > 0 {
		return h.WSSendQueue
	}
	return DefaultConnectionSendQueue
}

func (h *Handler) pingInterval() time.Duration {
	if h.PingInterval > 0 {
		return h.PingInterval
	}
	return DefaultPingInterval
}

// readLoop reads frames until the connection ends; a ping goes out every interval and
// the connection closes when no pong came back since the previous one.
func (w *wsConn) readLoop() {
	maxFrame := int64(DefaultMaxFrame)
	if w.h.WSMaxFrame > 0 {
		maxFrame = int64(w.h.WSMaxFrame)
	}
	w.c.SetReadLimit(maxFrame)
	var alive sync.Mutex
	pong := true
	w.c.SetPongHandler(func(string) error {
		alive.Lock()
		pong = true
		alive.Unlock()
		return nil
	})
	go func() {
		t := time.NewTicker(w.h.pingInterval())
		defer t.Stop()
		for {
			select {
			case <-w.ctx.Done():
				return
			case <-t.C:
				alive.Lock()
				ok := pong
				pong = false
				alive.Unlock()
				if !ok {
					w.c.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseGoingAway, "no pong"), time.Now().Add(time.Second))
					w.c.Close()
					return
				}
				if err := w.c.WriteControl(websocket.PingMessage, nil, time.Now().Add(writeTimeout)); err != nil {
					w.c.Close()
					return
				}
			}
		}
	}()
	for {
		kind, frame, err := w.c.ReadMessage()
		if err != nil {
			if errors.Is(err, websocket.ErrReadLimit) {
				w.c.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseMessageTooBig,
					fmt.Sprintf("frames are limited to %d bytes", maxFrame)), time.Now().Add(time.Second))
			}
			return
		}
		if kind != websocket.TextMessage && kind != websocket.BinaryMessage {
			continue
		}
		select {
		case w.sem <- struct{}{}:
		case <-w.ctx.Done():
			return
		}
		w.wg.Add(1)
		go func() {
			defer w.wg.Done()
			defer func() { <-w.sem }()
			w.handle(frame)
		}()
	}
}

// writeLoop sends queued frames; it ends the connection when a write fails.
func (w *wsConn) writeLoop() {
	for {
		select {
		case <-w.ctx.Done():
			return
		case b := <-w.out:
			w.c.SetWriteDeadline(time.Now().Add(writeTimeout))
			if err := w.c.WriteMessage(websocket.TextMessage, b); err != nil {
				w.c.Close()
				return
			}
		}
	}
}

// send queues a frame; a client that leaves its queue full is disconnected, so that it
// never holds memory or other clients up.
func (w *wsConn) send(b []byte) {
	select {
	case w.out <- b:
	case <-w.ctx.Done():
	default:
		w.h.log.Warn("websocket client does not read its frames; closing the connection")
		w.c.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(closeTooSlow, "client too slow"), time.Now().Add(time.Second))
		w.stop()
		w.c.Close()
	}
}

func (w *wsConn) sendError(id json.RawMessage, code int, msg string) {
	b, _ := json.Marshal(rpcResponse{JSONRPC: "2.0", ID: id, Error: &rpcError{code, msg}})
	w.send(b)
}

// handle processes one frame.
func (w *wsConn) handle(frame []byte) {
	if len(frame) == 0 {
		w.sendError(newID(), codeBadRequest, "request payload required.")
		return
	}
	var req rpcRequest
	if err := json.Unmarshal(frame, &req); err != nil {
		w.sendError(newID(), codeBadRequest, parseMessage(err))
		return
	}
	id := req.ID
	if len(id) == 0 || string(id) == "null" {
		id = newID()
	}
	switch req.Method {
	case "dwn.processMessage", "rpc.subscribe.dwn.processMessage":
		w.processMessage(id, &req)
	case "rpc.subscribe.close":
		w.closeSubscription(id, req.Subscription)
	default:
		w.sendError(id, codeMethodNotFound, "method not found: "+truncate(req.Method, 64))
	}
}

func (w *wsConn) processMessage(id json.RawMessage, req *rpcRequest) {
	iface, method := peekInterfaceMethod(req.Params.Message)
	if iface == "Records" && method == "Write" {
		w.sendError(id, codeInvalidParams, "RecordsWrite is not supported via ws")
		return
	}
	subscribing := len(req.Method) > len("rpc.subscribe.") && req.Method[:len("rpc.subscribe.")] == "rpc.subscribe." &&
		req.Subscription != nil && method == "Subscribe"
	if method == "Subscribe" && !subscribing {
		w.sendError(id, codeInvalidRequest, "subscribe methods must contain a subscriptionRequest context")
		return
	}
	var subKey string
	if subscribing {
		subKey = string(req.Subscription.ID)
		w.mu.Lock()
		_, inUse := w.subs[subKey]
		full := len(w.subs) >= w.h.maxSubscriptions()
		w.mu.Unlock()
		if inUse {
			w.sendError(id, codeInvalidParams, fmt.Sprintf("the subscribe id: %s is in use by an active subscription", idText(req.Subscription.ID)))
			return
		}
		if full {
			w.sendError(id, codeInvalidParams, fmt.Sprintf("a connection may hold at most %d subscriptions: close one first", w.h.maxSubscriptions()))
			return
		}
	}
	start := time.Now()
	reply, err := w.h.node.ProcessMessage(w.ctx, req.Params.Target, req.Params.Message, nil)
	if err != nil {
		w.h.requests.WithLabelValues("other", "other", "500").Inc()
		w.h.log.Error("processing a message failed", "err", err)
		w.sendError(id, codeInternal, "internal error while processing the message")
		return
	}
	ri, rm := reply.Kind()
	w.h.latency.WithLabelValues(label(ri), label(rm)).Observe(time.Since(start).Seconds())
	w.h.requests.WithLabelValues(label(ri), label(rm), strconv.Itoa(reply.Status.Code)).Inc()
	if reply.Data != nil {
		reply.Data.Close() // no data over websockets, as the reference
		reply.Data = nil
	}
	if reply.Sub != nil {
		if !subscribing {
			reply.Sub.Close()
		} else {
			w.mu.Lock()
			if _, inUse := w.subs[subKey]; inUse || w.ctx.Err() != nil {
				w.mu.Unlock()
				reply.Sub.Close()
				w.sendError(id, codeInvalidParams, fmt.Sprintf("the subscribe id: %s is in use by an active subscription", idText(req.Subscription.ID)))
				return
			}
			w.subs[subKey] = reply.Sub
			w.mu.Unlock()
			// The reply goes out before the first event.
			defer w.forward(req.Subscription.ID, subKey, reply.Sub)
		}
	}
	b := make([]byte, 0, 64+len(id)+reply.SizeHint())
	b = append(append(append(b, `{"jsonrpc":"2.0","id":`...), id...), `,"result":{"reply":`...)
	b, err = reply.AppendJSON(b)
	if err != nil {
		w.sendError(id, codeInternal, "internal error while encoding the reply")
		return
	}
	w.send(append(b, "}}"...))
}

// forward pushes a subscription's events to the client until it ends. A subscription
// the bus closes as too slow ends with an error frame carrying the subscription id.
func (w *wsConn) forward(subID json.RawMessage, key string, sub *node.Sub) {
	w.wg.Add(1)
	go func() {
		defer w.wg.Done()
		prefix := append(append([]byte(`{"jsonrpc":"2.0","id":`), subID...), `,"result":{"event":`...)
		for {
			select {
			case e := <-sub.Events():
				b := make([]byte, 0, len(prefix)+len(e)+2)
				b = append(append(append(b, prefix...), e...), "}}"...)
				w.send(b)
			case <-sub.Done():
				w.mu.Lock()
				if w.subs[key] == sub {
					delete(w.subs, key)
				}
				w.mu.Unlock()
				if err := sub.Err(); err != nil {
					w.sendError(subID, codeInternal, err.Error())
				}
				return
			case <-w.ctx.Done():
				return
			}
		}
	}()
}

func (w *wsConn) closeSubscription(id json.RawMessage, s *rpcSubscription) {
	if s == nil {
		w.sendError(id, codeInvalidRequest, "subscribe options do not exist")
		return
	}
	key := string(s.ID)
	w.mu.Lock()
	sub := w.subs[key]
	delete(w.subs, key)
	w.mu.Unlock()
	if sub == nil {
		w.sendError(id, codeInvalidParams, fmt.Sprintf("subscription %s does not exist.", idText(s.ID)))
		return
	}
	sub.Close()
	b := append(append([]byte(`{"jsonrpc":"2.0","id":`), id...), `,"result":{"reply":{"status":200,"detail":"Accepted"}}}`...)
	w.send(b)
}

// closeSubs ends every subscription of the connection.
func (w *wsConn) closeSubs() {
	w.mu.Lock()
	subs := w.subs
	w.subs = map[string]*node.Sub{}
	w.mu.Unlock()
	for _, s := range subs {
		s.Close()
	}
}

func (h *Handler) maxSubscriptions() int {
	if h.MaxSubscriptionsPerConn > 0 {
		return h.MaxSubscriptionsPerConn
	}
	return DefaultMaxSubscriptions
}

// idText renders a JSON-RPC id as the reference's template strings do.
func idText(id json.RawMessage) string {
	var s string
	if json.Unmarshal(id, &s) == nil {
		return truncate(s, 64)
	}
	return truncate(string(id), 64)
}
