package server

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/dwn-ipfs/dwn-ipfs/dwn"
	"github.com/dwn-ipfs/dwn-ipfs/dwn/node"
)

// Anonymous protocol routes of the reference server (dwn-protocol.md §10.3). The
// protocol in a path is base64url-encoded, as it is a URL itself.

func now() string { return time.Now().UTC().Format("2006-01-02T15:04:05.000000Z") }

// sendStatus answers as express's res.sendStatus: the status text as the body.
func sendStatus(w http.ResponseWriter, code int) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(code)
	w.Write([]byte(http.StatusText(code)))
}

// anonymous processes an unsigned message built by the server for tenant.
func (h *Handler) anonymous(w http.ResponseWriter, r *http.Request, descriptor map[string]any) (*node.Reply, bool) {
	descriptor["messageTimestamp"] = now()
	msg, err := json.Marshal(map[string]any{"descriptor": descriptor})
	if err != nil {
		sendStatus(w, 400)
		return nil, false
	}
	reply, err := h.node.ProcessMessage(r.Context(), r.PathValue("did"), msg, nil)
	if err != nil {
		h.log.Error("anonymous request failed", "route", r.Pattern, "err", err)
		writeJSON(w, 500, map[string]string{"error": "internal error"})
		return nil, false
	}
	return reply, true
}

// queryProtocols serves GET /:did/query/protocols: the published definitions.
func (h *Handler) queryProtocols(w http.ResponseWriter, r *http.Request) {
	reply, ok := h.anonymous(w, r, map[string]any{"interface": "Protocols", "method": "Query"})
	if !ok {
		return
	}
	h.protocolsReply(w, reply, false)
}

// readProtocol serves GET /:did/read/protocols/:protocol: the published definition of
// one protocol.
func (h *Handler) readProtocol(w http.ResponseWriter, r *http.Request) {
	protocol, ok := decodeProtocol(r.PathValue("protocol"))
	if !ok {
		sendStatus(w, 400)
		return
	}
	reply, ok := h.anonymous(w, r, map[string]any{"interface": "Protocols", "method": "Query",
		"filter": map[string]any{"protocol": protocol}})
	if !ok {
		return
	}
	h.protocolsReply(w, reply, true)
}

func (h *Handler) protocolsReply(w http.ResponseWriter, reply *node.Reply, first bool) {
	switch code := reply.Status.Code; {
	case code == 200 && !first:
		writeRawJSON(w, 200, joinRaw(reply.Entries))
	case code == 200 && len(reply.Entries) > 0:
		writeRawJSON(w, 200, reply.Entries[0])
	case code == 200, code == 401:
		sendStatus(w, 404)
	default:
		sendStatus(w, httpCode(code))
	}
}

// readProtocolPath serves GET /:did/read/protocols/:protocol/:path...: the data of the
// most recently published record at that protocol path, as GET /:did/records/:id does.
// Query parameters with dotted names add to the RecordsQuery (filter.schema=...).
func (h *Handler) readProtocolPath(w http.ResponseWriter, r *http.Request) {
	path := strings.Trim(r.PathValue("path"), "/")
	if path == "" {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(400)
		w.Write([]byte("protocol path is required"))
		return
	}
	protocol, ok := decodeProtocol(r.PathValue("protocol"))
	if !ok {
		sendStatus(w, 400)
		return
	}
	desc := map[string]any{}
	for name, vals := range r.URL.Query() {
		setDotted(desc, name, vals[0])
	}
	filter, _ := desc["filter"].(map[string]any)
	if filter == nil {
		filter = map[string]any{}
	}
	filter["protocol"], filter["protocolPath"] = protocol, path
	query := map[string]any{"interface": "Records", "method": "Query", "filter": filter,
		"pagination": map[string]any{"limit": 1}, "dateSort": "publishedDescending"}
	reply, ok := h.anonymous(w, r, query)
	if !ok {
		return
	}
	switch code := reply.Status.Code; {
	case code == 200 && len(reply.Entries) > 0:
		var e struct {
			RecordID string `json:"recordId"`
		}
		if json.Unmarshal(reply.Entries[0], &e) != nil || e.RecordID == "" {
			sendStatus(w, 500)
			return
		}
		h.serveRead(w, r, e.RecordID)
	case code == 200, code == 401:
		sendStatus(w, 404)
	default:
		sendStatus(w, httpCode(code))
	}
}

// decodeProtocol decodes a base64url protocol and normalizes it as the reference's
// ProtocolsQuery.create does.
func decodeProtocol(s string) (string, bool) {
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
	if err != nil {
		return "", false
	}
	return dwn.NormalizeURL(string(b))
}

// setDotted sets m["a"]["b"] = v for name "a.b".
func setDotted(m map[string]any, name string, v string) {
	keys := strings.Split(name, ".")
	for _, k := range keys[:len(keys)-1] {
		next, ok := m[k].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[k] = next
		}
		m = next
	}
	m[keys[len(keys)-1]] = v
}

func httpCode(code int) int {
	if code < 100 || code > 599 {
		return 500
	}
	return code
}

func joinRaw(entries []json.RawMessage) []byte {
	b := []byte{'['}
	for i, e := range entries {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, e...)
	}
	return append(b, ']')
}

func writeRawJSON(w http.ResponseWriter, status int, b []byte) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	w.Write(b)
}
