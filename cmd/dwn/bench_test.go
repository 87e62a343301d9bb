package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
)

// fakeDWN answers every JSON-RPC request with the DWN status code(r) and counts the
// request bodies' bytes.
func fakeDWN(t *testing.T, code func(r *http.Request) int) (*httptest.Server, *atomic.Int64) {
	var body atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			ID     string `json:"id"`
			Params struct {
				Target  string         `json:"target"`
				Message map[string]any `json:"message"`
			} `json:"params"`
		}
		if err := json.Unmarshal([]byte(r.Header.Get("dwn-request")), &req); err != nil || req.Params.Target == "" {
			http.Error(w, "bad dwn-request", http.StatusBadRequest)
			return
		}
		n, _ := io.Copy(io.Discard, r.Body)
		body.Add(n)
		c := code(r)
		fmt.Fprintf(w, `{"jsonrpc":"2.0","id":%q,"result":{"reply":{"status":{"code":%d,"detail":"fake %d"}}}}`, req.ID, c, c)
	}))
	t.Cleanup(srv.Close)
	return srv, &body
}

func TestBenchWriteFakeServer(t *testing.T) {
	srv, body := fakeDWN(t, func(*http.Request) int { return 202 })
	e, stdout, stderr := testEnv(t, nil)
	code := run(context.Background(), e, []string{"bench", "--endpoint", srv.URL, "--op", "write", "--n", "50", "--c", "4",
		"--size", "3000", "--json", "--server-pid", fmt.Sprint(os.Getpid())})
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var res benchResult
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
		t.Fatal(err)
	}
	if res.Errors != 0 || res.N != 50 || res.DataBytes != 150000 || body.Load() != 150000 || res.OpsPerSec <= 0 ||
		res.ServerHWM <= 0 || res.ServerRSSMax <= 0 || !strings.HasPrefix(res.Tenant, "did:jwk:") {
		t.Errorf("result %+v, server got %d body bytes", res, body.Load())
	}
}

func TestBenchReportsErrors(t *testing.T) {
	var n atomic.Int64
	srv, _ := fakeDWN(t, func(*http.Request) int {
		if n.Add(1)%2 == 0 {
			return 401
		}
		return 202
	})
	e, stdout, stderr := testEnv(t, nil)
	code := run(context.Background(), e, []string{"bench", "--endpoint", srv.URL, "--op", "write", "--n", "20", "--c", "1"})
	if code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	if !strings.Contains(stdout.String(), "errors       10\n  e.g.       DWN status 401: fake 401\n") {
		t.Errorf("report:\n%s", stdout)
	}
	if !strings.HasPrefix(stderr.String(), "dwn: bench: 10 of 20 requests failed\nhint: ") {
		t.Errorf("stderr:\n%s", stderr)
	}
}

func TestBenchSeedFailure(t *testing.T) {
	srv, _ := fakeDWN(t, func(*http.Request) int { return 400 })
	e, _, stderr := testEnv(t, nil)
	code := run(context.Background(), e, []string{"bench", "--endpoint", srv.URL, "--op", "read", "--n", "5", "--records", "5"})
	if code != 1 || !strings.HasPrefix(stderr.String(), "dwn: seeding records: DWN status 400: fake 400") {
		t.Errorf("exit %d, stderr:\n%s", code, stderr)
	}
}

func TestBenchConnectionRefused(t *testing.T) {
	e, _, stderr := testEnv(t, nil)
	code := run(context.Background(), e, []string{"bench", "--endpoint", "http://" + closedPort(t), "--op", "query", "--n", "5", "--records", "5"})
	if code != 1 || !strings.Contains(stderr.String(), "hint: is dwnd running? start it with: go run ./cmd/dwnd") {
		t.Errorf("exit %d, stderr:\n%s", code, stderr)
	}
}
