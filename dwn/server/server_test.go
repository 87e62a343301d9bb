package server

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/dwn-ipfs/dwn-ipfs/did/didjwk"
	"github.com/dwn-ipfs/dwn-ipfs/dwn/builder"
	"github.com/dwn-ipfs/dwn-ipfs/dwn/client"
	"github.com/dwn-ipfs/dwn-ipfs/dwn/jwk"
	"github.com/dwn-ipfs/dwn-ipfs/dwn/jws"
	"github.com/dwn-ipfs/dwn-ipfs/dwn/node"
	"github.com/dwn-ipfs/dwn-ipfs/storage/badger"
)

func newTestServer(t *testing.T) *httptest.Server {
	t.Helper()
	return newTestServerWith(t, nil)
}

// newTestServerWith is newTestServer with the handler adjusted by adjust.
func newTestServerWith(t *testing.T, adjust func(*Handler)) *httptest.Server {
	t.Helper()
	store, err := badger.Open(t.TempDir(), badger.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	n, err := node.New(node.Config{}, store, store, Resolver(), nil)
	if err != nil {
		t.Fatal(err)
	}
	h := NewHandler(n, nil, "http://test", node.DefaultMaxDataSize)
	if adjust != nil {
		adjust(h)
	}
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	return ts
}

func identity(t *testing.T) (string, jws.Signer) {
	t.Helper()
	k, err := jwk.Generate(jwk.Ed25519)
	if err != nil {
		t.Fatal(err)
	}
	did, err := didjwk.New(k.Public())
	if err != nil {
		t.Fatal(err)
	}
	return did, jws.PrivateKeySigner{Key: k, KID: did + "#0"}
}

func TestJSONRPCErrors(t *testing.T) {
	ts := newTestServer(t)
	tests := []struct {
		name       string
		header     string
		wantHTTP   int
		wantCode   int
		wantPrefix string
	}{
		{"missing header", "", 400, -50400, "request payload required."},
		{"invalid JSON", "{", 400, -50400, "invalid JSON"},
		{"unknown method", `{"jsonrpc":"2.0","id":"1","method":"dwn.nope","params":{}}`, 500, -32601, "method not found"},
		{"subscribe over http", `{"jsonrpc":"2.0","id":"1","method":"dwn.processMessage","params":{"target":"did:x:y","message":{"descriptor":{"interface":"Records","method":"Subscribe"}}}}`, 500, -32600, "subscribe methods must contain a subscriptionRequest context"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest("POST", ts.URL+"/", nil)
			if tc.header != "" {
				req.Header.Set("dwn-request", tc.header)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var r struct {
				ID    string `json:"id"`
				Error *struct {
					Code    int    `json:"code"`
					Message string `json:"message"`
				} `json:"error"`
			}
			if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tc.wantHTTP || r.Error == nil || r.Error.Code != tc.wantCode || !strings.HasPrefix(r.Error.Message, tc.wantPrefix) || r.ID == "" {
				t.Fatalf("HTTP %d, %+v, id %q", resp.StatusCode, r.Error, r.ID)
			}
		})
	}
}

func TestHealthAndInfo(t *testing.T) {
	ts := newTestServer(t)
	resp, err := http.Get(ts.URL + "/health")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != `{"ok":true}` {
		t.Fatalf("/health = %s", b)
	}
	resp, err = http.Get(ts.URL + "/info")
	if err != nil {
		t.Fatal(err)
	}
	var info map[string]any
	json.NewDecoder(resp.Body).Decode(&info)
	resp.Body.Close()
	if info["sdkVersion"] != "0.5.2" || info["maxFileSize"] != float64(node.DefaultMaxDataSize) {
		t.Fatalf("/info = %v", info)
	}
	resp, err = http.Get(ts.URL + "/metrics")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("/metrics: %v %v", resp, err)
	}
	resp.Body.Close()
}

func TestAnonymousRecordRoute(t *testing.T) {
	ts := newTestServer(t)
	did, signer := identity(t)
	c := client.New(ts.URL)
	pub, err := builder.RecordsWrite(builder.Write{Data: []byte("public words"), DataFormat: "text/plain", Published: true}, signer)
	if err != nil {
		t.Fatal(err)
	}
	priv, _ := builder.RecordsWrite(builder.Write{Data: []byte("secret"), DataFormat: "text/plain"}, signer)
	for _, m := range []*builder.Message{pub, priv} {
		data := []byte("public words")
		if m == priv {
			data = []byte("secret")
		}
		rep, _, err := c.SendBytes(context.Background(), did, m.JSON, data)
		if err != nil || rep.Status.Code != 202 {
			t.Fatalf("write: %+v %v", rep, err)
		}
	}
	tests := []struct {
		path     string
		status   int
		body     string
		ctype    string
		response bool
	}{
		{"/" + did + "/records/" + pub.RecordID, 200, "public words", "text/plain", true},
		{"/" + did + "/read/records/" + pub.RecordID, 200, "public words", "text/plain", true},
		{"/" + did + "/records/" + priv.RecordID, 404, "", "application/json; charset=utf-8", false},
		{"/" + did + "/records/bafyreiaaaa", 404, "", "application/json; charset=utf-8", false},
	}
	for _, tc := range tests {
		resp, err := http.Get(ts.URL + tc.path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.status || resp.Header.Get("Content-Type") != tc.ctype ||
			(tc.body != "" && string(b) != tc.body) || (resp.Header.Get("dwn-response") != "") != tc.response {
			t.Errorf("%s: HTTP %d %q %q", tc.path, resp.StatusCode, resp.Header.Get("Content-Type"), b)
		}
	}
}

// TestAnonymousProtocolRoutes covers GET /:did/query/protocols, /:did/read/protocols/:b64
// and /:did/read/protocols/:b64/:path against configured protocols and their records.
func TestAnonymousProtocolRoutes(t *testing.T) {
	ts := newTestServer(t)
	did, signer := identity(t)
	c := client.New(ts.URL)
	send := func(m *builder.Message, data []byte, want int) {
		t.Helper()
		rep, _, err := c.SendBytes(context.Background(), did, m.JSON, data)
		if err != nil || rep.Status.Code != want {
			t.Fatalf("%s: %+v %v", m.JSON[:80], rep, err)
		}
	}
	def := func(protocol string, published bool) map[string]any {
		return map[string]any{"protocol": protocol, "published": published,
			"types":     map[string]any{"note": map[string]any{}},
			"structure": map[string]any{"note": map[string]any{"$actions": []any{map[string]any{"who": "anyone", "can": []any{"read"}}}}}}
	}
	base := time.Now().Add(-time.Minute)
	pubCfg, _ := builder.ProtocolsConfigure(def("https://pub.example", true), base, signer)
	privCfg, _ := builder.ProtocolsConfigure(def("https://priv.example", false), base.Add(time.Second), signer)
	send(pubCfg, nil, 202)
	send(privCfg, nil, 202)
	for i, text := range []string{"older published", "newest published"} {
		w, err := builder.RecordsWrite(builder.Write{Data: []byte(text), DataFormat: "text/plain", Published: true,
			Protocol: "https://pub.example", ProtocolPath: "note", Time: base.Add(time.Duration(2+i) * time.Second)}, signer)
		if err != nil {
			t.Fatal(err)
		}
		send(w, []byte(text), 202)
	}
	b64 := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	tests := []struct {
		path   string
		status int
		body   string // substring
	}{
		{"/" + did + "/query/protocols", 200, `"protocol":"https://pub.example"`},
		{"/" + did + "/read/protocols/" + b64("https://pub.example"), 200, `"published":true`},
		{"/" + did + "/read/protocols/" + b64("pub.example/"), 404, "Not Found"},
		{"/" + did + "/read/protocols/" + b64("https://priv.example"), 404, "Not Found"},
		{"/" + did + "/read/protocols/" + b64("https://none.example"), 404, "Not Found"},
		{"/" + did + "/read/protocols/" + b64("https://pub.example") + "/note", 200, "newest published"},
		{"/" + did + "/read/protocols/" + b64("https://pub.example") + "/missing", 404, "Not Found"},
		{"/" + did + "/read/protocols/" + b64("https://priv.example") + "/note", 404, "Not Found"},
	}
	for _, tc := range tests {
		resp, err := http.Get(ts.URL + tc.path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.status || !strings.Contains(string(b), tc.body) {
			t.Errorf("%s: HTTP %d %.200q, want %d with %q", tc.path, resp.StatusCode, b, tc.status, tc.body)
		}
		if strings.Contains(string(b), "priv.example") {
			t.Errorf("%s: unpublished definition leaked: %.200s", tc.path, b)
		}
	}
}

func TestCORSPreflight(t *testing.T) {
	ts := newTestServer(t)
	req, _ := http.NewRequest("OPTIONS", ts.URL+"/", nil)
	req.Header.Set("Origin", "https://app.example")
	req.Header.Set("Access-Control-Request-Headers", "dwn-request")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 204 || resp.Header.Get("Access-Control-Allow-Origin") != "*" || resp.Header.Get("Access-Control-Allow-Headers") != "dwn-request" {
		t.Fatalf("preflight: %d %v", resp.StatusCode, resp.Header)
	}
}

// TestRequestHeaderLimit checks the dwn-request limit at limit-1, limit and limit+1.
func TestRequestHeaderLimit(t *testing.T) {
	ts := newTestServer(t)
	h := ts.Config.Handler.(*Handler)
	base := `{"jsonrpc":"2.0","id":"1","method":"dwn.processMessage","params":{"target":"did:x:y","message":{"descriptor":{"interface":"Records","method":"Query","x":"`
	end := `"}}}}`
	h.MaxRequestHeader = 4096
	for _, tc := range []struct {
		size int
		http int
	}{{4095, 200}, {4096, 200}, {4097, 431}} {
		hdr := base + strings.Repeat("a", tc.size-len(base)-len(end)) + end
		req, _ := http.NewRequest("POST", ts.URL+"/", nil)
		req.Header.Set("dwn-request", hdr)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.http {
			t.Errorf("header of %d bytes: HTTP %d, want %d", tc.size, resp.StatusCode, tc.http)
		}
	}
}
