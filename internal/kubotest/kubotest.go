// Package kubotest starts real Kubo (IPFS) daemons on 127.0.0.1 for tests: each with its
// own repository and ports, configured never to dial the internet (no bootstrap peers,
// no routing, no providing, no telemetry), and stopped by its PID when the test ends.
//
// The daemon binary is built by scripts/kubo.sh into a cache outside the repository;
// Binary finds it there (or at $DWN_KUBO_BIN). A missing binary fails the test with the
// command that builds it: tests of the IPFS path never skip.
package kubotest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"mime/multipart"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Version is the Kubo version scripts/kubo.sh builds.
const Version = "v0.43.0"

// Binary returns the path of the Kubo daemon binary: $DWN_KUBO_BIN, or the one
// scripts/kubo.sh caches for this Go version. It fails the test if there is none.
func Binary(t testing.TB) string {
	t.Helper()
	if b := os.Getenv("DWN_KUBO_BIN"); b != "" {
		if _, err := os.Stat(b); err != nil {
			t.Fatalf("kubotest: DWN_KUBO_BIN=%s: %v", b, err)
		}
		return b
	}
	cache := os.Getenv("DWN_KUBO_CACHE")
	if cache == "" {
		base := os.Getenv("XDG_CACHE_HOME")
		if base == "" {
			home, err := os.UserHomeDir()
			if err != nil {
				t.Fatalf("kubotest: no home directory to find the Kubo cache in: %v", err)
			}
			base = filepath.Join(home, ".cache")
		}
		cache = filepath.Join(base, "dwn-ipfs", "kubo")
	}
	b := filepath.Join(cache, "ipfs-"+Version+"-"+runtime.Version())
	if _, err := os.Stat(b); err != nil {
		t.Fatalf("kubotest: no Kubo binary at %s; build it once with scripts/kubo.sh (about 4 minutes), or run scripts/test.sh, which does", b)
	}
	return b
}

// Daemon is a running Kubo daemon.
type Daemon struct {
	// API is the RPC API's base URL, http://127.0.0.1:PORT.
	API string
	// Gateway is the HTTP gateway's base URL, http://127.0.0.1:PORT.
	Gateway string
	// Repo is the daemon's repository directory (IPFS_PATH).
	Repo string

	t      testing.TB
	bin    string
	cmd    *exec.Cmd
	exited chan struct{}
	logs   *syncBuffer
	once   sync.Once
}

// Options adjust a daemon's configuration.
type Options struct {
	// Fetch lets the gateway fetch blocks it lacks from connected peers; by default it
	// answers a missing block at once with 404 (Gateway.NoFetch).
	Fetch bool
	// TrustlessOnly makes the gateway answer only trustless requests (raw blocks and
	// CARs), as a public trustless gateway does.
	TrustlessOnly bool
}

// Start starts a daemon with a fresh repository; it is stopped when the test ends.
func Start(t testing.TB, opts Options) *Daemon {
	t.Helper()
	d := &Daemon{t: t, bin: Binary(t), Repo: t.TempDir(), logs: &syncBuffer{}}
	if out, err := d.command("init", "--profile", "test", "--empty-repo").CombinedOutput(); err != nil {
		t.Fatalf("kubotest: ipfs init: %v\n%s", err, out)
	}
	if err := d.configure(opts); err != nil {
		t.Fatalf("kubotest: configure: %v", err)
	}
	d.start()
	t.Cleanup(d.Stop)
	return d
}

func (d *Daemon) command(args ...string) *exec.Cmd {
	cmd := exec.Command(d.bin, args...)
	cmd.Env = append(os.Environ(), "IPFS_PATH="+d.Repo, "IPFS_TELEMETRY=off")
	return cmd
}

// configure edits the repository's config file: nothing that could reach the internet.
func (d *Daemon) configure(opts Options) error {
	path := filepath.Join(d.Repo, "config")
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var c map[string]any
	if err := json.Unmarshal(b, &c); err != nil {
		return err
	}
	section := func(name string) map[string]any {
		m, _ := c[name].(map[string]any)
		if m == nil {
			m = map[string]any{}
			c[name] = m
		}
		return m
	}
	section("Routing")["Type"] = "none"
	section("Provide")["Enabled"] = false
	section("Discovery")["MDNS"] = map[string]any{"Enabled": false}
	gw := section("Gateway")
	gw["NoFetch"] = !opts.Fetch
	if opts.TrustlessOnly {
		gw["DeserializedResponses"] = false
	}
	c["Bootstrap"] = []any{}
	out, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, out, 0o600)
}

func (d *Daemon) start() {
	t := d.t
	t.Helper()
	for _, f := range []string{"api", "gateway"} {
		os.Remove(filepath.Join(d.Repo, f))
	}
	d.cmd = d.command("daemon")
	d.cmd.Stdout, d.cmd.Stderr = d.logs, d.logs
	if err := d.cmd.Start(); err != nil {
		t.Fatalf("kubotest: start daemon: %v", err)
	}
	d.exited = make(chan struct{})
	go func(cmd *exec.Cmd, exited chan struct{}) {
		cmd.Wait()
		close(exited)
	}(d.cmd, d.exited)
	deadline := time.Now().Add(30 * time.Second)
	for {
		api, err1 := d.addrFile("api")
		gw, err2 := d.addrFile("gateway")
		if err1 == nil && err2 == nil && d.answers(api) {
			d.API, d.Gateway = api, gw
			return
		}
		select {
		case <-d.exited:
			t.Fatalf("kubotest: daemon exited at start:\n%s", d.logs.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("kubotest: daemon did not start within 30s:\n%s", d.logs.String())
		}
	}
}

// addrFile reads the multiaddr the daemon wrote to the repository and returns it as
// an HTTP URL.
func (d *Daemon) addrFile(name string) (string, error) {
	b, err := os.ReadFile(filepath.Join(d.Repo, name))
	if err != nil {
		return "", err
	}
	s := strings.TrimSpace(string(b))
	if strings.HasPrefix(s, "http://") {
		return s, nil
	}
	// /ip4/127.0.0.1/tcp/PORT[/http]
	parts := strings.Split(strings.TrimPrefix(s, "/"), "/")
	if len(parts) < 4 || parts[0] != "ip4" || parts[2] != "tcp" {
		return "", fmt.Errorf("unexpected address %q", s)
	}
	return "http://" + parts[1] + ":" + parts[3], nil
}

func (d *Daemon) answers(api string) bool {
	resp, err := http.Post(api+"/api/v0/id", "", nil)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// Stop stops the daemon (SIGTERM to its PID, SIGKILL after 10 s). Safe to call twice.
func (d *Daemon) Stop() {
	d.once.Do(func() { d.stop(syscall.SIGTERM) })
}

// Kill kills the daemon at once, as a crash would.
func (d *Daemon) Kill() {
	d.once.Do(func() { d.stop(syscall.SIGKILL) })
}

func (d *Daemon) stop(sig syscall.Signal) {
	if d.cmd == nil || d.cmd.Process == nil {
		return
	}
	d.cmd.Process.Signal(sig)
	select {
	case <-d.exited:
	case <-time.After(10 * time.Second):
		d.cmd.Process.Kill()
		<-d.exited
	}
	if d.t.Failed() {
		d.t.Logf("kubo daemon log (%s):\n%s", d.Repo, d.logs.String())
	}
}

// Restart starts a stopped or killed daemon again on the same repository (with new
// ports).
func (d *Daemon) Restart() {
	d.t.Helper()
	d.Stop()
	d.once = sync.Once{}
	d.start()
}

// RPC calls the RPC API (POST /api/v0/<path>) and returns the response body; an HTTP
// status other than 200 is an error with Kubo's message.
func (d *Daemon) RPC(path string) ([]byte, error) {
	resp, err := http.Post(d.API+"/api/v0/"+path, "", nil)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(resp.Body); err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("kubotest: %s: HTTP %d: %s", path, resp.StatusCode, strings.TrimSpace(buf.String()))
	}
	return buf.Bytes(), nil
}

// Add adds data as dwnd does (CIDv1, raw leaves, 256 KiB chunks, not pinned) and
// returns its root CID, which is the data's dataCid.
func (d *Daemon) Add(data []byte) (string, error) {
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, err := mw.CreateFormFile("file", "data")
	if err != nil {
		return "", err
	}
	fw.Write(data)
	mw.Close()
	resp, err := http.Post(d.API+"/api/v0/add?cid-version=1&raw-leaves=true&chunker=size-262144&pin=false&quiet=true",
		mw.FormDataContentType(), &body)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var out struct{ Hash string }
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("kubotest: add: HTTP %d (%v)", resp.StatusCode, err)
	}
	return out.Hash, nil
}

// Pins returns the CIDs of the daemon's recursive pins.
func (d *Daemon) Pins() (map[string]bool, error) {
	b, err := d.RPC("pin/ls?type=recursive")
	if err != nil {
		return nil, err
	}
	var out struct {
		Keys map[string]any
	}
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, err
	}
	pins := map[string]bool{}
	for k := range out.Keys {
		pins[k] = true
	}
	return pins, nil
}

// Connect connects d to other over the loopback swarm, so that they exchange blocks.
func (d *Daemon) Connect(other *Daemon) error {
	b, err := other.RPC("id")
	if err != nil {
		return err
	}
	var id struct {
		ID        string
		Addresses []string
	}
	if err := json.Unmarshal(b, &id); err != nil {
		return err
	}
	for _, a := range id.Addresses {
		if strings.HasPrefix(a, "/ip4/127.0.0.1/") {
			_, err := d.RPC("swarm/connect?arg=" + a)
			return err
		}
	}
	return errors.New("kubotest: the other daemon has no loopback address")
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
