package main

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/json"
	"github.com/dwn-ipfs/dwn-ipfs/gateway/importer"
	"github.com/dwn-ipfs/dwn-ipfs/internal/kubotest"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// buildBinaries builds dwnd and dwn into a temporary directory.
func buildBinaries(t *testing.T) (dwnd, dwn string) {
	t.Helper()
	dir := t.TempDir()
	dwnd, dwn = filepath.Join(dir, "dwnd"), filepath.Join(dir, "dwn")
	for _, b := range []struct{ out, pkg string }{
		{dwnd, "github.com/dwn-ipfs/dwn-ipfs/cmd/dwnd"},
		{dwn, "github.com/dwn-ipfs/dwn-ipfs/cmd/dwn"},
	} {
		cmd := exec.Command("go", "build", "-o", b.out, b.pkg)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go build %s: %v\n%s", b.pkg, err, out)
		}
	}
	return dwnd, dwn
}

// syncBuffer is a bytes.Buffer safe for a writer goroutine and a reader.
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

// startDWND starts dwnd on a free port of 127.0.0.1 with a temporary data directory
// and returns its endpoint and process ID. It is stopped when the test ends.
func startDWND(t *testing.T, bin string, args ...string) (endpoint string, pid int) {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"--listen", "127.0.0.1:0", "--data", t.TempDir(), "--log-level", "warn"}, args...)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	cmd.Stderr = logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	t.Cleanup(func() {
		// Stop only the process this test started, by its PID.
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
		if t.Failed() {
			t.Logf("dwnd log:\n%s", logs.String())
		}
	})
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if _, a, ok := strings.Cut(sc.Text(), "listening on "); ok {
				addr <- strings.TrimSpace(a)
			}
		}
		io.Copy(io.Discard, stdout)
		cmd.Wait()
		close(exited)
	}()
	select {
	case a := <-addr:
		return a, cmd.Process.Pid
	case <-exited:
		t.Fatalf("dwnd exited before listening:\n%s", logs.String())
	case <-time.After(60 * time.Second):
		t.Fatalf("dwnd did not print its address within 60s:\n%s", logs.String())
	}
	return "", 0
}

// cli runs the dwn binary with a fixed environment.
type cli struct {
	t    *testing.T
	bin  string
	env  []string
	home string
}

type result struct {
	code           int
	stdout, stderr string
}

func (c *cli) run(stdin io.Reader, args ...string) result {
	c.t.Helper()
	cmd := exec.Command(c.bin, args...)
	cmd.Env = c.env
	cmd.Stdin = stdin
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		c.t.Fatalf("dwn %s: %v", strings.Join(args, " "), err)
	}
	return result{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

// ok runs dwn and fails the test unless it exits 0.
func (c *cli) ok(stdin io.Reader, args ...string) result {
	c.t.Helper()
	r := c.run(stdin, args...)
	if r.code != 0 {
		c.t.Fatalf("dwn %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r
}

// newCLI builds the binaries, starts dwnd (with dwndArgs) and returns a dwn runner
// pointed at it, with its own HOME and no DWN_ variables from the environment, and
// dwnd's PID.
func newCLI(t *testing.T, dwndArgs ...string) (*cli, int) {
	t.Helper()
	dwnd, dwn := buildBinaries(t)
	endpoint, pid := startDWND(t, dwnd, dwndArgs...)
	home := t.TempDir()
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "DWN_") && !strings.HasPrefix(kv, "HOME=") {
			env = append(env, kv)
		}
	}
	env = append(env, "HOME="+home, "DWN_ENDPOINT="+endpoint)
	return &cli{t: t, bin: dwn, env: env, home: home}, pid
}

func TestEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs dwnd")
	}
	c, pid := newCLI(t)
	dir := t.TempDir()

	// Identity.
	r := c.run(nil, "write", "-")
	if r.code != 1 || !strings.Contains(r.stderr, "hint: create one with: dwn id new") {
		t.Fatalf("write without identity: %+v", r)
	}
	r = c.ok(nil, "id", "new")
	did, _, _ := strings.Cut(r.stdout, "\n")
	if !strings.HasPrefix(did, "did:jwk:") {
		t.Fatalf("id new printed %q", r.stdout)
	}
	if got := c.ok(nil, "id", "show").stdout; got != did+"\n" {
		t.Fatalf("id show = %q", got)
	}

	// Write a small record from stdin and a 300 KB record from a file.
	r = c.ok(strings.NewReader("hello, dwn"), "write", "--schema", "example.com/note", "--data-format", "text/plain",
		"--tag", "kind=note", "--tag", "n=7", "-")
	small := strings.TrimSpace(r.stdout)
	if !strings.HasPrefix(small, "bafyrei") || !strings.Contains(r.stderr, "status: 202 Accepted") {
		t.Fatalf("write: %+v", r)
	}
	big := make([]byte, 300_000)
	rand.Read(big)
	bigFile := filepath.Join(dir, "big.bin")
	os.WriteFile(bigFile, big, 0o600)
	r = c.ok(nil, "write", bigFile, "--schema", "https://example.com/blob")
	large := strings.TrimSpace(r.stdout)

	// Query.
	lines := func(s string) []string { return strings.FieldsFunc(s, func(r rune) bool { return r == '\n' }) }
	if got := lines(c.ok(nil, "query").stdout); len(got) != 2 {
		t.Fatalf("query (all) gave %d entries: %v", len(got), got)
	}
	r = c.ok(nil, "query", "--schema", "http://example.com/note", "--tag", "n=7")
	if got := lines(r.stdout); len(got) != 1 || !strings.Contains(got[0], small) || strings.Contains(got[0], "encodedData") {
		t.Fatalf("query --schema --tag: %q", r.stdout)
	}
	if got := c.ok(nil, "query", "--tag", "n=8").stdout; got != "" {
		t.Fatalf("query --tag n=8 = %q", got)
	}
	r = c.ok(nil, "query", "--record-id", small, "--with-data")
	var entry map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &entry); err != nil || entry["encodedData"] == nil {
		t.Fatalf("query --with-data: %v %q", err, r.stdout)
	}
	r = c.ok(nil, "query", "--limit", "1")
	if len(lines(r.stdout)) != 1 || !strings.HasPrefix(r.stderr, "cursor: {") {
		t.Fatalf("query --limit 1: %+v", r)
	}
	cursor := strings.TrimSpace(strings.TrimPrefix(r.stderr, "cursor: "))
	r = c.ok(nil, "query", "--limit", "1", "--cursor", cursor)
	if got := lines(r.stdout); len(got) != 1 || !strings.Contains(got[0], large) {
		t.Fatalf("query --cursor: %+v", r)
	}
	if got := lines(c.ok(nil, "query", "--limit", "1", "--all").stdout); len(got) != 2 {
		t.Fatalf("query --all gave %d entries", len(got))
	}
	if got := c.ok(nil, "query", "--anonymous").stdout; got != "" {
		t.Fatalf("anonymous query saw unpublished records: %q", got)
	}

	// Read.
	if got := c.ok(nil, "read", small).stdout; got != "hello, dwn" {
		t.Fatalf("read small = %q", got)
	}
	out := filepath.Join(dir, "out.bin")
	c.ok(nil, "read", large, "-o", out)
	if b, _ := os.ReadFile(out); !bytes.Equal(b, big) {
		t.Fatalf("read large: %d bytes differ from the %d written", len(b), len(big))
	}
	r = c.run(nil, "read", "--anonymous", small)
	if r.code != 1 || !strings.Contains(r.stderr, "DWN status 401") || !strings.Contains(r.stderr, "hint: anonymous requests see published records only") {
		t.Fatalf("anonymous read of an unpublished record: %+v", r)
	}

	// Update: new data from stdin, keeping tags; then publish without new data.
	big2 := make([]byte, 300_000)
	rand.Read(big2)
	r = c.ok(bytes.NewReader(big2), "update", large, "-")
	if strings.TrimSpace(r.stdout) != large {
		t.Fatalf("update printed %q, want %s", r.stdout, large)
	}
	c.ok(nil, "read", large, "-o", out)
	if b, _ := os.ReadFile(out); !bytes.Equal(b, big2) {
		t.Fatal("read after update: data differ")
	}
	c.ok(nil, "update", small, "--published")
	if got := c.ok(nil, "read", "--anonymous", small).stdout; got != "hello, dwn" {
		t.Fatalf("anonymous read after publishing = %q", got)
	}
	r = c.ok(nil, "query", "--record-id", small)
	if !strings.Contains(r.stdout, `"tags":{"kind":"note","n":7}`) || !strings.Contains(r.stdout, `"published":true`) {
		t.Fatalf("update lost the tags or did not publish: %s", r.stdout)
	}
	r = c.run(nil, "update", small, "--schema", "https://other.example")
	if r.code != 2 || !strings.Contains(r.stderr, "--schema cannot change") {
		t.Fatalf("update --schema: %+v", r)
	}

	// Delete.
	c.ok(nil, "delete", large)
	r = c.run(nil, "read", large)
	if r.code != 1 || !strings.HasPrefix(r.stderr, "dwn: record "+large+" not found") ||
		!strings.Contains(r.stderr, "hint: the record was deleted") {
		t.Fatalf("read after delete: %+v", r)
	}
	r = c.run(nil, "delete", large)
	if r.code != 1 || !strings.Contains(r.stderr, "DWN status 404") || !strings.Contains(r.stderr, "\nhint: ") {
		t.Fatalf("second delete: %+v", r)
	}
	if got := lines(c.ok(nil, "query").stdout); len(got) != 1 {
		t.Fatalf("query after delete gave %d entries", len(got))
	}

	// Bench, every operation, against the same server.
	for _, op := range []string{"write", "read", "query", "query-cursor", "query-tag"} {
		t.Run("bench "+op, func(t *testing.T) {
			c.t = t
			r := c.ok(nil, "bench", "--op", op, "--n", "200", "--c", "8", "--records", "500", "--json",
				"--server-pid", strconv.Itoa(pid))
			var res benchResult
			if err := json.Unmarshal([]byte(r.stdout), &res); err != nil {
				t.Fatalf("bench output %q: %v", r.stdout, err)
			}
			if res.Errors != 0 {
				t.Fatalf("bench %s: %d errors: %v", op, res.Errors, res.ErrorSamples)
			}
			if res.N != 200 || res.OpsPerSec <= 0 || res.P50Ms <= 0 || res.MaxMs < res.P99Ms || res.P99Ms < res.P50Ms {
				t.Errorf("bench %s: implausible numbers %+v", op, res)
			}
			if res.ServerHWM <= 0 || res.ServerRSSMax <= 0 {
				t.Errorf("bench %s: no server memory numbers: %+v", op, res)
			}
			switch op {
			case "write":
				if res.MiBPerSec <= 0 || res.DataBytes != 200*1024 {
					t.Errorf("bench write: data numbers %+v", res)
				}
			case "read":
				if res.Records != 500 || res.DataBytes != 200*1024 {
					t.Errorf("bench read: %+v", res)
				}
			case "query", "query-cursor":
				if res.EntriesPerOp != 20 {
					t.Errorf("bench %s: %v entries per query, want 20", op, res.EntriesPerOp)
				}
			case "query-tag":
				if res.EntriesPerOp != 5 { // bucket 7 of 500 records
					t.Errorf("bench query-tag: %v entries per query, want 5", res.EntriesPerOp)
				}
			}
		})
	}
	c.t = t
	r = c.ok(nil, "bench", "--op", "write", "--n", "20", "--c", "2")
	for _, want := range []string{"ops/s", "p50", "p99", "errors       0"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("bench text output lacks %q:\n%s", want, r.stdout)
		}
	}
}

// TestProtocolEndToEnd installs a protocol with the CLI and writes, nests and queries
// records in it against a started dwnd.
func TestProtocolEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs dwnd")
	}
	c, _ := newCLI(t)
	c.ok(nil, "id", "new")

	r := c.ok(nil, "protocol", "query")
	if r.stdout != "" || !strings.Contains(r.stderr, "dwn protocol configure FILE") {
		t.Fatalf("protocol query before configure: %+v", r)
	}
	r = c.ok(nil, "protocol", "configure", filepath.Join("testdata", "threads-protocol.json"))
	if r.stdout != "http://example.com/threads\n" || !strings.Contains(r.stderr, "202 Accepted") {
		t.Fatalf("protocol configure: %+v", r)
	}
	// Re-sending an older definition is refused; the CLI always signs with the current
	// time, so a second configure replaces the first.
	c.ok(nil, "protocol", "configure", filepath.Join("testdata", "threads-protocol.json"))
	if got := c.ok(nil, "protocol", "query", "--anonymous").stdout; strings.Count(got, "\n") != 1 || !strings.Contains(got, `"protocol":"http://example.com/threads"`) {
		t.Fatalf("protocol query --anonymous: %q", got)
	}

	proto := []string{"--protocol", "example.com/threads", "--data-format", "text/plain"}
	r = c.ok(strings.NewReader("a thread"), append([]string{"write", "--protocol-path", "thread", "--schema", "example.com/thread", "-"}, proto...)...)
	thread := strings.TrimSpace(r.stdout)
	r = c.ok(strings.NewReader("a message"), append([]string{"write", "--protocol-path", "thread/message", "--parent", thread, "-"}, proto...)...)
	message := strings.TrimSpace(r.stdout)

	r = c.ok(nil, "query", "--protocol", "example.com/threads", "--protocol-path", "thread/message")
	if strings.Count(r.stdout, "\n") != 1 || !strings.Contains(r.stdout, message) || !strings.Contains(r.stdout, thread+"/"+message) {
		t.Fatalf("query by protocol path: %q", r.stdout)
	}
	if got := c.ok(nil, "read", message).stdout; got != "a message" {
		t.Fatalf("read message: %q", got)
	}

	// Rule violations come back as the DWN's 400 with its reason.
	r = c.run(strings.NewReader("orphan"), append([]string{"write", "--protocol-path", "thread/message", "-"}, proto...)...)
	if r.code != 1 || !strings.Contains(r.stderr, "ProtocolAuthorizationParentlessIncorrectProtocolPath") {
		t.Fatalf("message without parent: %+v", r)
	}
	r = c.run(strings.NewReader("{}"), "write", "--protocol", "example.com/threads", "--protocol-path", "thread",
		"--schema", "example.com/thread", "--data-format", "application/json", "-")
	if r.code != 1 || !strings.Contains(r.stderr, "ProtocolAuthorizationIncorrectDataFormat") {
		t.Fatalf("wrong data format: %+v", r)
	}
	r = c.run(nil, "write", "--protocol", "example.com/none", "--protocol-path", "x", "-")
	if r.code != 1 || !strings.Contains(r.stderr, "ProtocolAuthorizationProtocolNotFound") {
		t.Fatalf("unknown protocol: %+v", r)
	}

	// The protocol-write load: role-authorized writes three levels deep, all accepted.
	r = c.ok(nil, "bench", "--op", "protocol-write", "--n", "60", "--c", "4", "--json")
	var res struct {
		N, Errors int
	}
	if err := json.Unmarshal([]byte(r.stdout), &res); err != nil || res.N != 60 || res.Errors != 0 {
		t.Fatalf("bench protocol-write: %v %s", err, r.stdout)
	}
}

// TestGrantsEndToEnd gives, invokes, lists, revokes and delegates permission grants with
// the CLI against a started dwnd: alice owns the DWN, bob is a grantee and app a
// delegate that signs as alice.
func TestGrantsEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs dwnd")
	}
	c, _ := newCLI(t)
	dir := t.TempDir()
	firstLine := func(s string) string { l, _, _ := strings.Cut(s, "\n"); return l }
	alice := firstLine(c.ok(nil, "id", "new").stdout)
	bobID, appID := filepath.Join(dir, "bob.json"), filepath.Join(dir, "app.json")
	bob := firstLine(c.ok(nil, "id", "new", "--out", bobID).stdout)
	app := firstLine(c.ok(nil, "id", "new", "--out", appID).stdout)

	c.ok(nil, "protocol", "configure", filepath.Join("testdata", "threads-protocol.json"))
	r := c.ok(strings.NewReader("a thread"), "write", "--protocol", "example.com/threads", "--protocol-path", "thread",
		"--schema", "example.com/thread", "--data-format", "text/plain", "-")
	thread := strings.TrimSpace(r.stdout)
	// message writes a message in alice's thread as the identity in file.
	message := func(data, file string, flags ...string) result {
		args := []string{"write", "--identity", file, "--protocol", "example.com/threads", "--protocol-path", "thread/message",
			"--parent", thread, "--data-format", "text/plain"}
		return c.run(strings.NewReader(data), append(append(args, flags...), "-")...)
	}

	// Only a thread's author may add messages to it, so bob may not, until alice grants it.
	r = message("from bob", bobID, "--target", alice)
	if r.code != 1 || !strings.Contains(r.stderr, "ProtocolAuthorizationActionNotAllowed") ||
		!strings.Contains(r.stderr, "hint: if "+alice+" gave you a permission grant, invoke it with --grant ID") {
		t.Fatalf("bob's write without a grant: %+v", r)
	}
	r = c.ok(nil, "grant", "create", "--to", bob, "--scope", "Records:Write", "--protocol", "example.com/threads",
		"--protocol-path", "thread/message", "--description", "help with the thread")
	grant := strings.TrimSpace(r.stdout)
	if !strings.HasPrefix(grant, "bafyrei") || !strings.Contains(r.stderr, "(in 30 days)") ||
		!strings.Contains(r.stderr, "dwn write --target "+alice+" --grant "+grant+" --protocol http://example.com/threads") {
		t.Fatalf("grant create: %+v", r)
	}
	r = message("from bob", bobID, "--target", alice, "--grant", grant)
	if r.code != 0 || !strings.Contains(r.stderr, "202 Accepted") {
		t.Fatalf("bob's write with the grant: %+v", r)
	}
	bobMessage := strings.TrimSpace(r.stdout)

	r = c.ok(nil, "grant", "list")
	fields := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\t")
	if len(fields) != 5 || fields[0] != grant || fields[1] != bob ||
		fields[2] != "Records:Write http://example.com/threads protocolPath=thread/message" ||
		!strings.HasPrefix(fields[3], "expires 20") || fields[4] != "active" {
		t.Fatalf("grant list: %q", r.stdout)
	}
	if r = c.ok(nil, "grant", "list", "--to", app); r.stdout != "" || !strings.Contains(r.stderr, "no grants") {
		t.Fatalf("grant list --to app: %+v", r)
	}

	// Revoked, the grant no longer lets bob write.
	r = c.ok(nil, "grant", "revoke", grant, "--description", "thanks")
	if !strings.Contains(r.stderr, "revoked grant "+grant) {
		t.Fatalf("grant revoke: %+v", r)
	}
	r = message("again", bobID, "--target", alice, "--grant", grant)
	if r.code != 1 || !strings.Contains(r.stderr, "GrantAuthorizationGrantRevoked") ||
		!strings.Contains(r.stderr, "hint: the grantor revoked this grant") {
		t.Fatalf("bob's write after the revocation: %+v", r)
	}
	if r = c.ok(nil, "grant", "list"); r.stdout != "" || !strings.Contains(r.stderr, "1 revoked grant(s) not shown") {
		t.Fatalf("grant list after the revocation: %+v", r)
	}
	if r = c.ok(nil, "grant", "list", "--revoked"); !strings.HasPrefix(r.stdout, grant+"\t") || !strings.Contains(r.stdout, "\trevoked 20") {
		t.Fatalf("grant list --revoked: %+v", r)
	}
	if r = c.run(nil, "grant", "revoke", grant); r.code != 1 || !strings.Contains(r.stderr, "was revoked already") {
		t.Fatalf("second revoke: %+v", r)
	}
	if r = c.run(nil, "grant", "export", grant); r.code != 1 || !strings.Contains(r.stderr, "hint: the grantee uses: --grant "+grant) {
		t.Fatalf("export of a grant that is not delegated: %+v", r)
	}
	if r = c.run(nil, "grant", "revoke", thread); r.code != 1 || !strings.Contains(r.stderr, "is not a permission grant") {
		t.Fatalf("revoke of a record that is not a grant: %+v", r)
	}

	// A delegated grant lets the app write as alice, within its scope.
	r = c.ok(nil, "grant", "create", "--to", app, "--scope", "records:write", "--protocol", "example.com/threads",
		"--protocol-path", "thread/message", "--delegated", "--expires", "2h")
	delegated := strings.TrimSpace(r.stdout)
	if !strings.Contains(r.stderr, "dwn grant export "+delegated+" > grant.json") || !strings.Contains(r.stderr, "(in 2h0m0s)") {
		t.Fatalf("grant create --delegated: %+v", r)
	}
	grantFile := filepath.Join(dir, "grant.json")
	if err := os.WriteFile(grantFile, []byte(c.ok(nil, "grant", "export", delegated).stdout), 0o600); err != nil {
		t.Fatal(err)
	}
	r = message("from the app", appID, "--delegated-grant", grantFile) // the target defaults to alice
	if r.code != 0 {
		t.Fatalf("the app's delegated write: %+v", r)
	}
	appMessage := strings.TrimSpace(r.stdout)
	r = c.ok(nil, "query", "--author", alice, "--protocol", "example.com/threads", "--protocol-path", "thread/message")
	if !strings.Contains(r.stdout, `"recordId":"`+appMessage+`"`) || !strings.Contains(r.stdout, `"authorDelegatedGrant"`) ||
		strings.Contains(r.stdout, bobMessage) {
		t.Fatalf("alice's messages do not include the app's (and only it): %s", r.stdout)
	}
	if got := c.ok(nil, "read", appMessage).stdout; got != "from the app" {
		t.Fatalf("read the app's message: %q", got)
	}
	r = c.run(strings.NewReader("a thread"), "write", "--identity", appID, "--delegated-grant", grantFile,
		"--protocol", "example.com/threads", "--protocol-path", "thread", "--schema", "example.com/thread", "--data-format", "text/plain", "-")
	if r.code != 1 || !strings.Contains(r.stderr, "RecordsGrantAuthorizationScopeProtocolPathMismatch") ||
		!strings.Contains(r.stderr, "hint: the protocol path is outside the grant's scope") {
		t.Fatalf("a delegated write outside the grant's path: %+v", r)
	}
	if r = message("x", bobID, "--delegated-grant", grantFile); r.code != 1 || !strings.Contains(r.stderr, "not for your identity "+bob) {
		t.Fatalf("bob with the app's grant: %+v", r)
	}
	if r = c.ok(nil, "grant", "list", "--to", app); !strings.HasSuffix(r.stdout, "\tactive\tdelegated\n") {
		t.Fatalf("grant list of the delegated grant: %q", r.stdout)
	}
}

// TestDataSchemasEndToEnd runs the README's data schema example: a directory schema
// and a schema a tenant installs, enforced on writes.
func TestDataSchemasEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs dwnd")
	}
	dir := t.TempDir()
	note := `{"$id": "https://example.com/schemas/note", "type": "object", "required": ["title"],
 "properties": {"title": {"type": "string", "minLength": 1}}}`
	if err := os.WriteFile(filepath.Join(dir, "note.json"), []byte(note), 0o600); err != nil {
		t.Fatal(err)
	}
	c, _ := newCLI(t, "--data-schemas", dir, "--tenant-schemas")
	c.ok(nil, "id", "new")

	const noteURI, todoURI = "https://example.com/schemas/note", "https://example.com/schemas/todo"
	r := c.run(strings.NewReader(`{"title": ""}`), "write", "--schema", noteURI, "--data-format", "application/json", "-")
	if r.code != 1 || !strings.Contains(r.stderr, "DataSchemaMismatch: data does not match schema "+noteURI+": /title:") ||
		!strings.Contains(r.stderr, "hint: the data does not match the JSON Schema") {
		t.Fatalf("invalid note: %+v", r)
	}
	c.ok(strings.NewReader(`{"title": "hi"}`), "write", "--schema", noteURI, "--data-format", "application/json", "-")

	c.ok(strings.NewReader(`{"done": true}`), "write", "--schema", todoURI, "--data-format", "application/json", "-")
	c.ok(strings.NewReader(`{"type": "object", "required": ["task"]}`), "write", "--published",
		"--protocol", "https://github.com/dwn-ipfs/dwn-ipfs/protocols/json-schema", "--protocol-path", "schema",
		"--tag", "uri="+todoURI, "--data-format", "application/schema+json", "-")
	r = c.run(strings.NewReader(`{"done": true}`), "write", "--schema", todoURI, "--data-format", "application/json", "-")
	if r.code != 1 || !strings.Contains(r.stderr, `(root): missing required property "task"`) {
		t.Fatalf("todo after its schema was installed: %+v", r)
	}
	r = c.run(strings.NewReader(`{"type": "object", "$ref": "https://elsewhere.example/x"}`), "write",
		"--protocol", "https://github.com/dwn-ipfs/dwn-ipfs/protocols/json-schema", "--protocol-path", "schema",
		"--tag", "uri=https://example.com/schemas/other", "--data-format", "application/schema+json", "-")
	if r.code != 1 || !strings.Contains(r.stderr, "DataSchemaInvalid") {
		t.Fatalf("a schema referring elsewhere: %+v", r)
	}
}

// TestKuboEndToEnd runs dwnd with its record data in a real Kubo daemon: a large
// record written with the CLI is pinned in Kubo under its dataCid, reads back, and
// /ready reports Kubo's state.
func TestKuboEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs dwnd and Kubo")
	}
	k := kubotest.Start(t, kubotest.Options{})
	// A second node's gateway that reads fall back to; it gets the data out of band.
	fallback := kubotest.Start(t, kubotest.Options{TrustlessOnly: true})
	c, _ := newCLI(t, "--ipfs-api", k.API, "--gateways", fallback.Gateway)
	c.ok(nil, "id", "new")
	data := make([]byte, 700_000)
	rand.Read(data)
	file := filepath.Join(t.TempDir(), "big.bin")
	if err := os.WriteFile(file, data, 0o600); err != nil {
		t.Fatal(err)
	}
	rid := strings.TrimSpace(c.ok(nil, "write", file, "--published").stdout)
	if got := c.ok(nil, "read", rid).stdout; got != string(data) {
		t.Fatalf("read back %d bytes, want the %d written", len(got), len(data))
	}
	pins, err := k.Pins()
	if err != nil {
		t.Fatal(err)
	}
	if want := importer.Sum(data).String(); !pins[want] {
		t.Fatalf("Kubo has no pin of the record's dataCid %s: %v", want, pins)
	}
	endpoint := strings.TrimPrefix(c.env[len(c.env)-1], "DWN_ENDPOINT=")
	ready := func() int {
		resp, err := http.Get(endpoint + "/ready")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := ready(); code != 200 {
		t.Fatalf("/ready with Kubo up: %d", code)
	}
	if _, err := fallback.Add(data); err != nil {
		t.Fatal(err)
	}
	k.Kill()
	if code := ready(); code != 503 {
		t.Fatalf("/ready with Kubo down: %d, want 503", code)
	}
	// Reads fall over to the gateway, verified, and /health shows the dead node.
	if got := c.ok(nil, "read", rid).stdout; got != string(data) {
		t.Fatalf("read with Kubo down: %d bytes, want the %d written", len(got), len(data))
	}
	resp, err := http.Get(endpoint + "/health")
	if err != nil {
		t.Fatal(err)
	}
	var health struct {
		OK   bool
		IPFS []struct {
			Name        string
			Healthy     bool
			LastFailure string
		}
	}
	json.NewDecoder(resp.Body).Decode(&health)
	resp.Body.Close()
	if !health.OK || len(health.IPFS) != 2 || health.IPFS[0].Healthy || health.IPFS[0].LastFailure != "unreachable" || !health.IPFS[1].Healthy {
		t.Fatalf("/health with Kubo down: %+v", health)
	}
}

// TestKuboPrivateDataEndToEnd writes unpublished data through dwnd into Kubo, checks
// that Kubo has none of its plaintext, rotates the master key with dwnd stopped, and
// reads the data back after a restart.
func TestKuboPrivateDataEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs dwnd and Kubo")
	}
	k := kubotest.Start(t, kubotest.Options{})
	dir := t.TempDir()
	dwnd, _ := buildBinaries(t)
	c, pid := newCLI(t, "--data", dir, "--ipfs-api", k.API)
	c.ok(nil, "id", "new")
	data := make([]byte, 700_000)
	rand.Read(data)
	file := filepath.Join(t.TempDir(), "private.bin")
	if err := os.WriteFile(file, data, 0o600); err != nil {
		t.Fatal(err)
	}
	rid := strings.TrimSpace(c.ok(nil, "write", file).stdout)
	if got := c.ok(nil, "read", rid).stdout; got != string(data) {
		t.Fatalf("read back %d bytes, want the %d written", len(got), len(data))
	}
	if _, err := k.RPC("block/stat?offline=true&arg=" + importer.Sum(data).String()); err == nil {
		t.Fatal("Kubo has the root block of unpublished data")
	}
	all, err := k.Pins()
	if err != nil {
		t.Fatal(err)
	}
	pins := map[string]bool{}
	for p := range all {
		if strings.HasPrefix(p, "bafy") { // not the empty directory of a new repository
			pins[p] = true
		}
	}
	if len(pins) != 1 {
		t.Fatalf("Kubo pins %v, want the one ciphertext", all)
	}
	for p := range pins {
		ct, err := k.RPC("cat?arg=" + p)
		if err != nil || bytes.Contains(ct, data[1000:1064]) {
			t.Fatalf("the pinned blob holds plaintext (%v)", err)
		}
	}
	keyFile := filepath.Join(dir, "keys", "master.json")
	if fi, err := os.Stat(keyFile); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("master key file: %v, %v", fi, err)
	}
	// Rotation needs dwnd stopped.
	if r := c.run(nil, "admin", "rotate-key", "--data", dir); r.code == 0 || !strings.Contains(r.stderr, "stop dwnd") {
		t.Fatalf("rotate-key with dwnd running: exit %d, %s", r.code, r.stderr)
	}
	syscall.Kill(pid, syscall.SIGTERM)
	for i := 0; i < 200 && syscall.Kill(pid, 0) == nil; i++ {
		time.Sleep(50 * time.Millisecond)
	}
	out := c.ok(nil, "admin", "rotate-key", "--data", dir).stdout
	if !strings.Contains(out, "1 tenant keys re-wrapped") {
		t.Fatalf("rotate-key: %s", out)
	}
	endpoint, _ := startDWND(t, dwnd, "--data", dir, "--ipfs-api", k.API)
	c.env = append(c.env, "DWN_ENDPOINT="+endpoint)
	if got := c.ok(nil, "read", rid).stdout; got != string(data) {
		t.Fatalf("read after rotation: %d bytes, want %d", len(got), len(data))
	}
}
