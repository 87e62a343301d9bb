package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/dwn-ipfs/dwn-ipfs/dwn/client"
)

// testEnv returns an env whose HOME is a fresh directory and whose other variables
// come from vars.
func testEnv(t *testing.T, vars map[string]string) (*env, *bytes.Buffer, *bytes.Buffer) {
	t.Helper()
	home := t.TempDir()
	var stdout, stderr bytes.Buffer
	e := &env{stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr, getenv: func(k string) string {
		if v, ok := vars[k]; ok {
			return v
		}
		if k == "HOME" {
			return home
		}
		return ""
	}}
	return e, &stdout, &stderr
}

func TestParseArgs(t *testing.T) {
	tests := []struct {
		args    []string
		pos     []string
		schema  string
		force   bool
		wantErr bool
	}{
		{args: nil, pos: nil},
		{args: []string{"a"}, pos: []string{"a"}},
		{args: []string{"--schema", "s", "a"}, pos: []string{"a"}, schema: "s"},
		{args: []string{"a", "--schema", "s"}, pos: []string{"a"}, schema: "s"},
		{args: []string{"a", "--force", "b", "-schema=s"}, pos: []string{"a", "b"}, schema: "s", force: true},
		{args: []string{"-"}, pos: []string{"-"}},
		{args: []string{"--force", "--", "--schema", "x"}, pos: []string{"--schema", "x"}, force: true},
		{args: []string{"a", "--", "-b"}, pos: []string{"a", "-b"}},
		{args: []string{"--nope"}, wantErr: true},
		{args: []string{"a", "--schema"}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			e, _, _ := testEnv(t, nil)
			fs := newFlagSet(e, "test", "", "")
			schema := fs.String("schema", "", "")
			force := fs.Bool("force", false, "")
			pos, err := parseArgs(fs, tt.args)
			if tt.wantErr {
				var ce *cliError
				if !errors.As(err, &ce) || !ce.usage {
					t.Fatalf("err = %v, want a usage error", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(pos, tt.pos) || *schema != tt.schema || *force != tt.force {
				t.Errorf("pos %q schema %q force %v; want %q %q %v", pos, *schema, *force, tt.pos, tt.schema, tt.force)
			}
		})
	}
}

func TestTagFlag(t *testing.T) {
	tests := []struct {
		in      string
		key     string
		want    any
		wantErr bool
	}{
		{in: "k=v", key: "k", want: "v"},
		{in: "k=7", key: "k", want: json.Number("7")},
		{in: "k=-1.5", key: "k", want: json.Number("-1.5")},
		{in: "k=true", key: "k", want: true},
		{in: `k="7"`, key: "k", want: "7"},
		{in: `k=["a",1]`, key: "k", want: []any{"a", json.Number("1")}},
		{in: "k=", key: "k", want: ""},
		{in: "k=a=b", key: "k", want: "a=b"},
		{in: "k=007", key: "k", want: "007"},
		{in: `k={"a":1}`, key: "k", want: `{"a":1}`},
		{in: "k=null", key: "k", want: "null"},
		{in: "k=7 8", key: "k", want: "7 8"},
		{in: "novalue", wantErr: true},
		{in: "=v", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			var f tagFlag
			err := f.Set(tt.in)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("Set(%q) succeeded", tt.in)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := f.tags[tt.key]; !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Set(%q) = %#v, want %#v", tt.in, got, tt.want)
			}
		})
	}
	var f tagFlag
	if err := f.Set("a=1"); err != nil {
		t.Fatal(err)
	}
	if err := f.Set("a=2"); err == nil {
		t.Error("a repeated tag key was accepted")
	}
}

func TestQueryFlags(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		filter  string // JSON of the filter
		sort    string
		limit   int
		cursor  bool
		wantErr string
	}{
		{name: "no filter lists all", args: nil, filter: `{"dateCreated":{"from":"1970-01-01T00:00:00.000000Z"}}`},
		{name: "schema normalized", args: []string{"--schema", "Example.com/note/"}, filter: `{"schema":"http://example.com/note"}`},
		{name: "protocol", args: []string{"--protocol", "https://p.example", "--protocol-path", "a/b"},
			filter: `{"protocol":"https://p.example","protocolPath":"a/b"}`},
		{name: "record id", args: []string{"--record-id", "bafy1"}, filter: `{"recordId":"bafy1"}`},
		{name: "author", args: []string{"--author", "did:jwk:alice"}, filter: `{"author":"did:jwk:alice"}`},
		{name: "tags", args: []string{"--tag", "bucket=7", "--tag", "k=v"}, filter: `{"tags":{"bucket":7,"k":"v"}}`},
		{name: "published", args: []string{"--published", "false"}, filter: `{"published":false}`},
		{name: "sort and limit", args: []string{"--published", "true", "--sort", "publishedDescending", "--limit", "5"},
			filter: `{"published":true}`, sort: "publishedDescending", limit: 5},
		{name: "cursor", args: []string{"--cursor", `{"messageCid":"bafyx","value":"2024-01-01T00:00:00.000000Z"}`},
			filter: `{"dateCreated":{"from":"1970-01-01T00:00:00.000000Z"}}`, cursor: true},
		{name: "bad published", args: []string{"--published", "yes"}, wantErr: "--published"},
		{name: "bad sort", args: []string{"--sort", "newest"}, wantErr: "--sort"},
		{name: "bad limit", args: []string{"--limit", "-1"}, wantErr: "--limit"},
		{name: "bad cursor", args: []string{"--cursor", `{"messageCid":"x"}`}, wantErr: "--cursor"},
		{name: "cursor unknown member", args: []string{"--cursor", `{"messageCid":"x","value":"v","x":1}`}, wantErr: "--cursor"},
		{name: "cursor not json", args: []string{"--cursor", `nope`}, wantErr: "--cursor"},
		{name: "anonymous unpublished", args: []string{"--anonymous", "--published", "false"}, wantErr: "--anonymous"},
		{name: "bad schema", args: []string{"--schema", ":foo:"}, wantErr: "--schema"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, _, _ := testEnv(t, nil)
			fs := newFlagSet(e, "query", "", "")
			var q queryFlags
			q.register(fs)
			if _, err := parseArgs(fs, tt.args); err != nil {
				t.Fatal(err)
			}
			bq, err := q.build()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one mentioning %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got, _ := json.Marshal(bq.Filter)
			if string(got) != tt.filter {
				t.Errorf("filter = %s, want %s", got, tt.filter)
			}
			if bq.DateSort != tt.sort || bq.Limit != tt.limit || (bq.Cursor != nil) != tt.cursor {
				t.Errorf("sort %q limit %d cursor %v", bq.DateSort, bq.Limit, bq.Cursor)
			}
		})
	}
}

func TestNormalizeURI(t *testing.T) {
	tests := []struct{ in, want string }{
		{"example.com/path/?x#y", "http://example.com/path"},
		{"https://Example.COM:443/a/", "https://example.com/a"},
		{"http://example.com:8080", "http://example.com:8080"},
		{"https://bench.example/schema", "https://bench.example/schema"},
		{"foo:example?foo=bar", "foo:example"},
		{"example.com", "http://example.com"},
		{":foo:", ""},
	}
	for _, tt := range tests {
		got, err := normalizeURI(tt.in)
		if tt.want == "" {
			if err == nil {
				t.Errorf("normalizeURI(%q) = %q, want an error", tt.in, got)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("normalizeURI(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestBenchFlags(t *testing.T) {
	tests := []struct {
		args    []string
		wantErr string
	}{
		{args: []string{"--op", "fly"}, wantErr: "--op"},
		{args: []string{"--op", "write", "--n", "0"}, wantErr: "--n"},
		{args: []string{"--op", "write", "--c", "0"}, wantErr: "--c"},
		{args: []string{"--op", "write", "--size", "-1"}, wantErr: "--size"},
		{args: []string{"--op", "read", "--records", "0"}, wantErr: "--records"},
		{args: []string{"--op", "query-cursor", "--records", "20"}, wantErr: "--records"},
		{args: []string{"--op", "write", "--endpoint", "localhost:3000"}, wantErr: "--endpoint"},
		{args: []string{"--op", "write", "extra"}, wantErr: "unexpected argument"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			e, _, stderr := testEnv(t, nil)
			code := run(context.Background(), e, append([]string{"bench"}, tt.args...))
			if code != 2 || !strings.Contains(stderr.String(), tt.wantErr) {
				t.Errorf("exit %d, stderr %q; want 2 and %q", code, stderr, tt.wantErr)
			}
			if !strings.Contains(stderr.String(), "hint: see the flags with: dwn help bench") {
				t.Errorf("stderr %q lacks the help hint", stderr)
			}
		})
	}
}

// closedPort returns the address of a local TCP port that nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

func TestErrorsAndHints(t *testing.T) {
	refused := "http://" + closedPort(t)
	tests := []struct {
		name     string
		args     []string
		vars     map[string]string
		identity bool // create an identity first
		code     int
		stderr   []string // lines that must appear
	}{
		{name: "no command", args: nil, code: 2, stderr: []string{"dwn: no command given"}},
		{name: "unknown command", args: []string{"frob"}, code: 2, stderr: []string{`dwn: unknown command "frob"`}},
		{name: "help", args: []string{"help"}, code: 0},
		{name: "help write", args: []string{"help", "write"}, code: 0},
		{name: "write -h", args: []string{"write", "-h"}, code: 0},
		{name: "unknown flag", args: []string{"query", "--bogus"}, code: 2,
			stderr: []string{"dwn: flag provided but not defined: -bogus", "hint: see the flags with: dwn help query"}},
		{name: "write without file", args: []string{"write"}, code: 2,
			stderr: []string{"dwn: write needs one FILE (or - for standard input)", "hint: see the flags with: dwn help write"}},
		{name: "read without id", args: []string{"read"}, code: 2, stderr: []string{"dwn: read needs one RECORDID"}},
		{name: "delete two ids", args: []string{"delete", "a", "b"}, code: 2, stderr: []string{"dwn: delete needs one RECORDID"}},
		{name: "update without id", args: []string{"update"}, code: 2},
		{name: "id without subcommand", args: []string{"id"}, code: 2},
		{name: "id bad method", args: []string{"id", "new", "--method", "web"}, code: 2,
			stderr: []string{`dwn: --method "web": use jwk or key`, "hint: see the flags with: dwn help id new"}},
		{name: "id bad curve", args: []string{"id", "new", "--curve", "X25519"}, code: 2},
		{name: "no identity", args: []string{"read", "bafyx"}, code: 1,
			stderr: []string{"hint: create one with: dwn id new"}},
		{name: "no identity, anonymous", args: []string{"read", "--anonymous", "bafyx"}, code: 1,
			stderr: []string{"hint: create one with: dwn id new", "hint: or name the tenant to read anonymously with --target DID"}},
		{name: "id show without identity", args: []string{"id", "show"}, code: 1,
			stderr: []string{"hint: create one with: dwn id new"}},
		{name: "bad endpoint", args: []string{"query", "--endpoint", "localhost:3000"}, identity: true, code: 2,
			stderr: []string{`dwn: --endpoint "localhost:3000" is not an http(s) URL such as http://127.0.0.1:3000`}},
		{name: "connection refused", args: []string{"query", "--endpoint", refused}, identity: true, code: 1,
			stderr: []string{"dwn: cannot connect to the DWN at " + refused + ": connection refused",
				"hint: is dwnd running? start it with: go run ./cmd/dwnd"}},
		{name: "connection refused from env", args: []string{"delete", "bafyx"}, vars: map[string]string{"DWN_ENDPOINT": refused},
			identity: true, code: 1, stderr: []string{"hint: is dwnd running? start it with: go run ./cmd/dwnd"}},
		{name: "anonymous with target needs no identity", args: []string{"read", "--anonymous", "--target", "did:jwk:x", "--endpoint", refused, "bafyx"},
			code: 1, stderr: []string{"hint: is dwnd running? start it with: go run ./cmd/dwnd"}},
		{name: "missing file", args: []string{"write", "/nonexistent/file"}, identity: true, code: 1,
			stderr: []string{"hint: give a readable FILE, or - to read standard input"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, _, stderr := testEnv(t, tt.vars)
			if tt.identity {
				if code := run(context.Background(), e, []string{"id", "new"}); code != 0 {
					t.Fatalf("id new: exit %d: %s", code, stderr)
				}
				stderr.Reset()
			}
			code := run(context.Background(), e, tt.args)
			if code != tt.code {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, tt.code, stderr)
			}
			lines := strings.Split(stderr.String(), "\n")
			for _, want := range tt.stderr {
				found := false
				for _, l := range lines {
					found = found || l == want
				}
				if !found {
					t.Errorf("stderr lacks line %q:\n%s", want, stderr)
				}
			}
			if tt.code != 0 {
				if !strings.HasPrefix(stderr.String(), "dwn: ") || strings.Count(stderr.String(), "dwn: ") != 1 {
					t.Errorf("stderr should start with one 'dwn: ' line:\n%s", stderr)
				}
			}
		})
	}
}

func TestStatusHints(t *testing.T) {
	self := &identity{DID: "did:jwk:me"}
	tests := []struct {
		name   string
		code   int
		detail string
		entry  string
		s      *session
		want   string
	}{
		{name: "400 generic", code: 400, detail: "SchemaValidatorFailure: x", want: "rejected the message as invalid"},
		{name: "400 after delete", code: 400, detail: "RecordsWriteNotAllowedAfterDelete: x", want: "the record was deleted"},
		{name: "400 immutable", code: 400, detail: "RecordsWriteImmutablePropertyChanged: x", want: "cannot change in an update"},
		{name: "401 anonymous", code: 401, detail: "RecordsReadAuthorizationFailed: x", s: &session{id: self, target: "did:jwk:me"},
			want: "anonymous requests see published records only"},
		{name: "401 other tenant", code: 401, detail: "x", s: &session{id: self, target: "did:jwk:other", signer: fakeSigner{}},
			want: "may not do this on the DWN of did:jwk:other"},
		{name: "401 own", code: 401, detail: "GeneralJwsVerifierInvalidSignature: x", s: &session{id: self, target: "did:jwk:me", signer: fakeSigner{}},
			want: "did not accept your signature"},
		{name: "401 tenant gate", code: 401, detail: "Not a registered tenant.", want: "registered tenants only"},
		{name: "404", code: 404, detail: "Not Found", want: "no such record"},
		{name: "404 deleted", code: 404, detail: "Not Found", entry: `{"recordsDelete":{}}`, want: "the record was deleted"},
		{name: "409", code: 409, detail: "Conflict", want: "409 Conflict"},
		{name: "500", code: 500, detail: "boom", want: "its log says why"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := tt.s
			if s == nil {
				s = &session{id: self, target: self.DID, signer: fakeSigner{}}
			}
			rep := &client.Reply{Entry: json.RawMessage(tt.entry)}
			rep.Status.Code, rep.Status.Detail = tt.code, tt.detail
			err := s.checkStatus(rep, "read x")
			var se *statusError
			if !errors.As(err, &se) || se.Code != tt.code {
				t.Fatalf("err = %v, want a statusError %d", err, tt.code)
			}
			var out bytes.Buffer
			if code := report(&out, err); code != 1 {
				t.Errorf("exit code %d, want 1", code)
			}
			if !strings.Contains(out.String(), "\nhint: ") || !strings.Contains(out.String(), tt.want) {
				t.Errorf("report:\n%s\nwant a hint with %q", out.String(), tt.want)
			}
		})
	}
	rep := &client.Reply{}
	rep.Status.Code = 202
	if err := (&session{}).checkStatus(rep, "write"); err != nil {
		t.Errorf("202 gave %v", err)
	}
}

type fakeSigner struct{}

func (fakeSigner) KeyID() string                    { return "did:jwk:me#0" }
func (fakeSigner) Algorithm() string                { return "EdDSA" }
func (fakeSigner) Sign(data []byte) ([]byte, error) { return nil, nil }

func TestReport(t *testing.T) {
	tests := []struct {
		err  error
		code int
		out  string
	}{
		{nil, 0, ""},
		{flag.ErrHelp, 0, ""},
		{errors.New("plain\nmulti  line"), 1, "dwn: plain multi line\n"},
		{withHint(errors.New("x"), "do y", "do z"), 1, "dwn: x\nhint: do y\nhint: do z\n"},
		{usageErrorf("bad"), 2, "dwn: bad\n"},
		{withHint(usageError("write", errors.New("u")), "outer"), 2, "dwn: u\nhint: outer\nhint: see the flags with: dwn help write\n"},
	}
	for _, tt := range tests {
		var out bytes.Buffer
		code := report(&out, tt.err)
		if code != tt.code || out.String() != tt.out {
			t.Errorf("report(%v) = %d %q, want %d %q", tt.err, code, out.String(), tt.code, tt.out)
		}
	}
}

func TestIDNew(t *testing.T) {
	tests := []struct {
		args      []string
		prefix    string
		kidSuffix func(did string) string
	}{
		{args: nil, prefix: "did:jwk:", kidSuffix: func(string) string { return "#0" }},
		{args: []string{"--curve", "secp256k1"}, prefix: "did:jwk:", kidSuffix: func(string) string { return "#0" }},
		{args: []string{"--method", "key"}, prefix: "did:key:z6Mk",
			kidSuffix: func(d string) string { return "#" + strings.TrimPrefix(d, "did:key:") }},
		{args: []string{"--method", "key", "--curve", "P-256"}, prefix: "did:key:zDn",
			kidSuffix: func(d string) string { return "#" + strings.TrimPrefix(d, "did:key:") }},
		{args: []string{"--method", "key", "--curve", "secp256k1"}, prefix: "did:key:zQ3s",
			kidSuffix: func(d string) string { return "#" + strings.TrimPrefix(d, "did:key:") }},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			e, stdout, stderr := testEnv(t, nil)
			if code := run(context.Background(), e, append([]string{"id", "new"}, tt.args...)); code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			did, _, _ := strings.Cut(stdout.String(), "\n")
			if !strings.HasPrefix(did, tt.prefix) {
				t.Fatalf("DID %q, want prefix %q", did, tt.prefix)
			}
			if !strings.Contains(stdout.String(), "dwn write") {
				t.Errorf("no next-step hints on stdout:\n%s", stdout)
			}
			path := filepath.Join(e.getenv("HOME"), ".dwn", "identity.json")
			st, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if st.Mode().Perm() != 0o600 {
				t.Errorf("identity mode %v, want 0600", st.Mode().Perm())
			}
			if dst, _ := os.Stat(filepath.Dir(path)); dst.Mode().Perm() != 0o700 {
				t.Errorf("directory mode %v, want 0700", dst.Mode().Perm())
			}
			b, _ := os.ReadFile(path)
			var m map[string]any
			if err := json.Unmarshal(b, &m); err != nil {
				t.Fatal(err)
			}
			if m["did"] != did || m["kid"] != did+tt.kidSuffix(did) || m["privateJwk"].(map[string]any)["d"] == nil {
				t.Errorf("identity file %s", b)
			}
			stdout.Reset()
			if code := run(context.Background(), e, []string{"id", "show"}); code != 0 || stdout.String() != did+"\n" {
				t.Errorf("id show: exit %d, %q; want %q", code, stdout, did)
			}
		})
	}
}

func TestIDNewRefusesOverwrite(t *testing.T) {
	e, stdout, stderr := testEnv(t, nil)
	file := filepath.Join(t.TempDir(), "sub", "me.json")
	ctx := context.Background()
	if code := run(ctx, e, []string{"id", "new", "--out", file}); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	first, _ := os.ReadFile(file)
	if !strings.Contains(stdout.String(), "export DWN_IDENTITY="+file) {
		t.Errorf("no hint to use the new file:\n%s", stdout)
	}
	stderr.Reset()
	if code := run(ctx, e, []string{"id", "new", "--out", file}); code != 1 ||
		!strings.Contains(stderr.String(), "already exists\nhint: ") {
		t.Errorf("second id new: exit %d, stderr %q", code, stderr)
	}
	if b, _ := os.ReadFile(file); !bytes.Equal(b, first) {
		t.Error("the identity file changed")
	}
	if code := run(ctx, e, []string{"id", "new", "--out", file, "--force"}); code != 0 {
		t.Errorf("--force: exit %d", code)
	}
	if b, _ := os.ReadFile(file); bytes.Equal(b, first) {
		t.Error("--force did not replace the identity")
	}
	if st, _ := os.Stat(file); st.Mode().Perm() != 0o600 {
		t.Errorf("mode after --force %v", st.Mode().Perm())
	}
	// DWN_IDENTITY selects the file for id show.
	e2, stdout2, _ := testEnv(t, map[string]string{"DWN_IDENTITY": file})
	if code := run(ctx, e2, []string{"id", "show"}); code != 0 || !strings.HasPrefix(stdout2.String(), "did:jwk:") {
		t.Errorf("id show with DWN_IDENTITY: exit %d %q", code, stdout2)
	}
}

func TestLoadIdentityRejectsBadFiles(t *testing.T) {
	good, err := newIdentity("jwk", "Ed25519")
	if err != nil {
		t.Fatal(err)
	}
	other, _ := newIdentity("jwk", "Ed25519")
	enc := func(id identity) string { b, _ := json.Marshal(id); return string(b) }
	wrongDID := *good
	wrongDID.DID = other.DID
	wrongKID := *good
	wrongKID.KID = other.KID
	public := *good
	public.PrivateJWK = good.PrivateJWK.Public()
	tests := map[string]string{
		"not json":       "nope",
		"unknown member": `{"did":"x","kid":"y","privateJwk":{},"extra":1}`,
		"no key":         `{"did":"did:jwk:x","kid":"did:jwk:x#0"}`,
		"public key":     enc(public),
		"wrong did":      enc(wrongDID),
		"wrong kid":      enc(wrongKID),
		"web did":        strings.Replace(enc(*good), `"did:jwk:`, `"did:web:`, 1),
	}
	for name, content := range tests {
		t.Run(name, func(t *testing.T) {
			e, _, _ := testEnv(t, nil)
			path := filepath.Join(t.TempDir(), "id.json")
			os.WriteFile(path, []byte(content), 0o600)
			_, err := loadIdentity(e, path)
			var out bytes.Buffer
			if code := report(&out, err); code != 1 || !strings.Contains(out.String(), "hint: create a new identity with: dwn id new --force") {
				t.Errorf("report: %d %s", code, out.String())
			}
		})
	}
	t.Run("readable by others", func(t *testing.T) {
		e, _, stderr := testEnv(t, nil)
		path := filepath.Join(t.TempDir(), "id.json")
		os.WriteFile(path, []byte(enc(*good)), 0o644)
		if _, err := loadIdentity(e, path); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(stderr.String(), "chmod 600") {
			t.Errorf("no warning: %q", stderr)
		}
	})
}

func TestWriteStdinSpools(t *testing.T) {
	e, _, _ := testEnv(t, nil)
	e.stdin = io.MultiReader(strings.NewReader("hello "), strings.NewReader("world"))
	src, err := openData(context.Background(), e, "-")
	if err != nil {
		t.Fatal(err)
	}
	defer src.cleanup()
	b, _ := io.ReadAll(src.f)
	if string(b) != "hello world" || src.size != 11 || !strings.HasPrefix(src.cid, "bafkrei") {
		t.Errorf("got %q size %d cid %s", b, src.size, src.cid)
	}
}
