// Package server is dwnd's transport: the reference dwn-server's HTTP API
// (dwn-protocol.md §10) over a dwn/node.Node, and Run, which wires the stores, the DID
// resolvers and the node from a Config and serves until its context ends.
//
// # Routes
//
//	POST /                         JSON-RPC in the dwn-request header, data as the body
//	GET  /health, /info, /metrics  liveness, server information, Prometheus metrics
//	GET  /:did/records/:id         anonymous RecordsRead of a published record's data
//	GET  /:did/read/records/:id    the same
//
// JSON-RPC errors: -50400 for a missing or unparsable dwn-request header (HTTP 400),
// -32601 for an unknown method, -32600 for a Subscribe without a subscription context,
// -32603 when the node fails (HTTP 500). DWN statuses travel inside result.reply with
// HTTP 200, as in the reference.
package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/gorilla/websocket"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/dwn-ipfs/dwn-ipfs/dwn/node"
)

// DefaultMaxRequestHeader is the default limit of the dwn-request header: 512 KiB.
// The reference inherits Node's 16 KiB limit for all headers; larger messages (many tags,
// embedded grants) fit here.
const DefaultMaxRequestHeader = 512 << 10

// Version is the server version reported by /info.
const Version = "0.1.0"

// SDKVersion is the reference SDK version whose wire format this server speaks.
const SDKVersion = "0.5.2"

// Handler serves the HTTP API of one node.
type Handler struct {
	node *node.Node
	// MaxRequestHeader is the largest dwn-request header in bytes (default
	// DefaultMaxRequestHeader); a larger one gets HTTP 431 and JSON-RPC -50400.
	MaxRequestHeader int
	// Websockets (any path): WSMaxFrame bounds a frame (default DefaultMaxFrame; a
	// larger one closes the connection with 1009), MaxSubscriptionsPerConn the live
	// subscriptions of a connection (default DefaultMaxSubscriptions; more get
	// -32602), WSSendQueue the frames waiting for a client that does not read (default
	// DefaultConnectionSendQueue; then it is disconnected with 4008), PingInterval the
	// keep-alive (default 30 s; a connection without a pong since the last ping closes).
	WSMaxFrame              int
	MaxSubscriptionsPerConn int
	WSSendQueue             int
	PingInterval            time.Duration
	wsConns                 atomic.Int64
	log                     *slog.Logger
	baseURL                 string
	maxFileSize             int64
	mux                     *http.ServeMux
	registry                *prometheus.Registry
	requests                *prometheus.CounterVec
	latency                 *prometheus.HistogramVec

	readyMu sync.Mutex
	ready   map[string]func(context.Context) error
	health  map[string]func() any
}

// AddHealthInfo adds a component's state to GET /health (which stays 200: it reports
// liveness; GET /ready says whether the server can serve).
func (h *Handler) AddHealthInfo(name string, info func() any) {
	h.readyMu.Lock()
	defer h.readyMu.Unlock()
	if h.health == nil {
		h.health = map[string]func() any{}
	}
	h.health[name] = info
}

// AddReadyCheck adds a check of a component the server needs (the Kubo node, say) to
// GET /ready, which answers 200 when every check passes and 503 naming the failures.
func (h *Handler) AddReadyCheck(name string, check func(context.Context) error) {
	h.readyMu.Lock()
	defer h.readyMu.Unlock()
	if h.ready == nil {
		h.ready = map[string]func(context.Context) error{}
	}
	h.ready[name] = check
}

// Registry returns the Prometheus registry of /metrics, for components to add their
// metrics to.
func (h *Handler) Registry() *prometheus.Registry { return h.registry }

func (h *Handler) readiness(w http.ResponseWriter, r *http.Request) {
	h.readyMu.Lock()
	checks := maps.Clone(h.ready)
	h.readyMu.Unlock()
	ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
	defer cancel()
	out := map[string]string{}
	code := 200
	for name, check := range checks {
		if err := check(ctx); err != nil {
			out[name] = err.Error()
			code = 503
		} else {
			out[name] = "ok"
		}
	}
	writeJSON(w, code, map[string]any{"ok": code == 200, "checks": out})
}

// NewHandler returns the HTTP handler for n. baseURL is reported by /info.
func NewHandler(n *node.Node, log *slog.Logger, baseURL string, maxFileSize int64) *Handler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	h := &Handler{node: n, log: log, baseURL: baseURL, maxFileSize: maxFileSize, mux: http.NewServeMux(),
		registry: prometheus.NewRegistry(), MaxRequestHeader: DefaultMaxRequestHeader}
	h.requests = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "dwn_requests_total",
		Help: "DWN messages processed, by interface, method and DWN status code."}, []string{"interface", "method", "status"})
	h.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "dwn_request_duration_seconds",
		Help: "Time to process a DWN message, by interface and method.", Buckets: prometheus.ExponentialBuckets(0.0001, 2, 16)},
		[]string{"interface", "method"})
	h.registry.MustRegister(h.requests, h.latency, prometheus.NewGoCollector(), prometheus.NewProcessCollector(prometheus.ProcessCollectorOpts{}))
	h.registry.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "dwn_websocket_connections", Help: "Open websocket connections."},
			func() float64 { return float64(h.wsConns.Load()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "dwn_subscriptions", Help: "Live subscriptions."},
			func() float64 { return float64(n.Subscribers()) }))
	h.mux.HandleFunc("POST /{$}", h.jsonRPC)
	h.mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, "please use a web5 client, for example: https://github.com/TBD54566975/web5-js ")
	})
	h.mux.HandleFunc("GET /health", func(w http.ResponseWriter, r *http.Request) {
		out := map[string]any{"ok": true}
		h.readyMu.Lock()
		infos := maps.Clone(h.health)
		h.readyMu.Unlock()
		for name, info := range infos {
			out[name] = info()
		}
		writeJSON(w, 200, out)
	})
	h.mux.HandleFunc("GET /ready", h.readiness)
	h.mux.HandleFunc("GET /info", h.info)
	h.mux.Handle("GET /metrics", promhttp.HandlerFor(h.registry, promhttp.HandlerOpts{}))
	h.mux.HandleFunc("GET /{did}/records/{id}", h.readRecord)
	h.mux.HandleFunc("GET /{did}/read/records/{id}", h.readRecord)
	h.mux.HandleFunc("GET /{did}/query/protocols", h.queryProtocols)
	h.mux.HandleFunc("GET /{did}/read/protocols/{protocol}", h.readProtocol)
	h.mux.HandleFunc("GET /{did}/read/protocols/{protocol}/{path...}", h.readProtocolPath)
	return h
}

// ServeHTTP implements http.Handler, with the reference's permissive CORS.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd.Set("Access-Control-Allow-Origin", "*")
	hd.Set("Access-Control-Expose-Headers", "dwn-response")
	if r.Method == http.MethodOptions {
		hd.Set("Access-Control-Allow-Methods", "GET,HEAD,PUT,PATCH,POST,DELETE")
		if req := r.Header.Get("Access-Control-Request-Headers"); req != "" {
			hd.Set("Access-Control-Allow-Headers", req)
			hd.Set("Vary", "Access-Control-Request-Headers")
		}
		hd.Set("Content-Length", "0")
		w.WriteHeader(http.StatusNoContent)
		return
	}
	if websocket.IsWebSocketUpgrade(r) {
		h.serveWS(w, r)
		return
	}
	h.mux.ServeHTTP(w, r)
}

func (h *Handler) info(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, 200, map[string]any{
		"server":                   "dwn-ipfs",
		"url":                      h.baseURL,
		"maxFileSize":              h.maxFileSize,
		"registrationRequirements": []string{},
		"version":                  Version,
		"sdkVersion":               SDKVersion,
		"webSocketSupport":         false,
	})
}

// rpcRequest is a JSON-RPC 2.0 request as the web5 client sends it.
type rpcRequest struct {
	JSONRPC string          `json:"jsonrpc"`
	ID      json.RawMessage `json:"id,omitempty"`
	Method  string          `json:"method"`
	Params  struct {
		Target  string          `json:"target"`
		Message json.RawMessage `json:"message"`
	} `json:"params"`
	Subscription *rpcSubscription `json:"subscription,omitempty"`
}

// rpcSubscription is the subscription context of a JSON-RPC request (websockets only).
type rpcSubscription struct {
	ID json.RawMessage `json:"id"`
}

type rpcError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

type rpcResponse struct {
	JSONRPC string          `json:"jsonrpc"`
	ID      json.RawMessage `json:"id"`
	Error   *rpcError       `json:"error,omitempty"`
}

// JSON-RPC error codes used by the reference server.
const (
	codeBadRequest     = -50400
	codeInvalidRequest = -32600
	codeInvalidParams  = -32602
	codeMethodNotFound = -32601
	codeInternal       = -32603
)

func newID() json.RawMessage {
	b, _ := json.Marshal(uuid.NewString())
	return b
}

func (h *Handler) jsonRPC(w http.ResponseWriter, r *http.Request) {
	hdr := r.Header.Get("dwn-request")
	if hdr == "" {
		writeJSON(w, 400, rpcResponse{JSONRPC: "2.0", ID: newID(), Error: &rpcError{codeBadRequest, "request payload required."}})
		return
	}
	if len(hdr) > h.MaxRequestHeader {
		writeJSON(w, http.StatusRequestHeaderFieldsTooLarge, rpcResponse{JSONRPC: "2.0", ID: newID(), Error: &rpcError{codeBadRequest,
			fmt.Sprintf("dwn-request header is %d bytes, the limit is %d", len(hdr), h.MaxRequestHeader)}})
		return
	}
	var req rpcRequest
	if err := json.Unmarshal([]byte(hdr), &req); err != nil {
		writeJSON(w, 400, rpcResponse{JSONRPC: "2.0", ID: newID(), Error: &rpcError{codeBadRequest, parseMessage(err)}})
		return
	}
	id := req.ID
	if len(id) == 0 || string(id) == "null" {
		id = newID()
	}
	fail := func(status, code int, msg string) {
		writeJSON(w, status, rpcResponse{JSONRPC: "2.0", ID: id, Error: &rpcError{code, msg}})
	}
	switch req.Method {
	case "dwn.processMessage", "rpc.subscribe.dwn.processMessage":
	case "rpc.subscribe.close":
		fail(500, codeInvalidRequest, "subscription close requests are only supported over websockets")
		return
	default:
		fail(500, codeMethodNotFound, "method not found: "+truncate(req.Method, 64))
		return
	}
	// Subscribe needs a subscription context, which only the websocket transport has;
	// the reference checks this before processing. The Contains test spares the common
	// case a second parse of the message.
	if bytes.Contains(req.Params.Message, []byte("Subscribe")) {
		if _, method := peekInterfaceMethod(req.Params.Message); method == "Subscribe" {
			fail(500, codeInvalidRequest, "subscribe methods must contain a subscriptionRequest context")
			return
		}
	}
	var data io.Reader
	if r.ContentLength > 0 || len(r.TransferEncoding) > 0 {
		data = r.Body
	}
	start := time.Now()
	reply, err := h.node.ProcessMessage(r.Context(), req.Params.Target, req.Params.Message, data)
	if err != nil {
		h.requests.WithLabelValues("other", "other", "500").Inc()
		h.log.Error("processing a message failed", "err", err)
		fail(500, codeInternal, "internal error while processing the message")
		return
	}
	iface, method := reply.Kind()
	h.latency.WithLabelValues(label(iface), label(method)).Observe(time.Since(start).Seconds())
	h.requests.WithLabelValues(label(iface), label(method), strconv.Itoa(reply.Status.Code)).Inc()
	if reply.Data != nil {
		defer reply.Data.Close()
	}
	if reply.Sub != nil {
		reply.Sub.Close() // only websockets deliver events
	}
	// The envelope is written by hand: json.Marshal would re-validate and re-compact
	// every stored entry of the reply.
	b := make([]byte, 0, 64+len(id)+reply.SizeHint())
	b = append(append(append(b, `{"jsonrpc":"2.0","id":`...), id...), `,"result":{"reply":`...)
	b, err = reply.AppendJSON(b)
	if err != nil {
		fail(500, codeInternal, "internal error while encoding the reply")
		return
	}
	b = append(b, "}}"...)
	if reply.Data != nil {
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("dwn-response", string(b))
		w.WriteHeader(200)
		if _, err := io.Copy(w, reply.Data); err != nil {
			h.log.Warn("streaming record data failed", "err", err)
		}
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(200)
	w.Write(b)
}

// readRecord serves GET /:did/records/:id: an anonymous RecordsRead whose data is the
// response body with the record's dataFormat as content type.
func (h *Handler) readRecord(w http.ResponseWriter, r *http.Request) {
	h.serveRead(w, r, r.PathValue("id"))
}

// serveRead answers an anonymous RecordsRead of record id with its data.
func (h *Handler) serveRead(w http.ResponseWriter, r *http.Request, id string) {
	tenant := r.PathValue("did")
	msg, _ := json.Marshal(map[string]any{"descriptor": map[string]any{
		"interface": "Records", "method": "Read",
		"messageTimestamp": time.Now().UTC().Format("2006-01-02T15:04:05.000000Z"),
		"filter":           map[string]any{"recordId": id},
	}})
	reply, err := h.node.ProcessMessage(r.Context(), tenant, msg, nil)
	if err != nil {
		h.log.Error("anonymous read failed", "err", err)
		writeJSON(w, 500, map[string]string{"error": "internal error"})
		return
	}
	switch {
	case reply.Status.Code == 200 && reply.Data != nil:
		defer reply.Data.Close()
		var rw struct {
			Descriptor struct {
				DataFormat string `json:"dataFormat"`
			} `json:"descriptor"`
		}
		json.Unmarshal(reply.Entry.RecordsWrite, &rw)
		b, _ := json.Marshal(reply)
		w.Header().Set("Content-Type", rw.Descriptor.DataFormat)
		w.Header().Set("dwn-response", string(b))
		w.WriteHeader(200)
		io.Copy(w, reply.Data)
	case reply.Status.Code == 200:
		writeJSON(w, 400, reply)
	case reply.Status.Code == 401:
		// Existence of unpublished records is not revealed.
		writeJSON(w, 404, &node.Reply{Status: reply.Status})
	default:
		code := reply.Status.Code
		if code < 100 || code > 599 {
			code = 500
		}
		if reply.Data != nil {
			reply.Data.Close()
		}
		writeJSON(w, code, reply)
	}
}

// peekInterfaceMethod reads descriptor.interface and .method for routing and metrics.
func peekInterfaceMethod(msg json.RawMessage) (string, string) {
	var m struct {
		Descriptor struct {
			Interface any `json:"interface"`
			Method    any `json:"method"`
		} `json:"descriptor"`
	}
	if json.Unmarshal(msg, &m) != nil {
		return "", ""
	}
	i, _ := m.Descriptor.Interface.(string)
	me, _ := m.Descriptor.Method.(string)
	return i, me
}

var knownLabels = map[string]bool{"Records": true, "Protocols": true, "Messages": true, "Write": true,
	"Query": true, "Read": true, "Delete": true, "Subscribe": true, "Configure": true}

// label keeps metric label values to a fixed set: never attacker text.
func label(s string) string {
	if knownLabels[s] {
		return s
	}
	return "other"
}

func parseMessage(err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("invalid JSON in dwn-request header at offset %d", se.Offset)
	}
	return "invalid JSON in dwn-request header"
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = 500, []byte(`{"error":"internal error"}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	w.Write(b)
}
