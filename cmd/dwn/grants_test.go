package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dwn-ipfs/dwn-ipfs/dwn"
	"github.com/dwn-ipfs/dwn-ipfs/dwn/builder"
	"github.com/dwn-ipfs/dwn-ipfs/dwn/jws"
)

func TestGrantCreateFlags(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	// with returns base and more in a new slice.
	with := func(base []string, more ...string) []string { return append(slices.Clip(base), more...) }
	to := []string{"--to", "did:jwk:bob"}
	write := with(to, "--scope", "Records:Write", "--protocol", "example.com/p")
	tests := []struct {
		name    string
		args    []string
		scope   builder.Scope
		expires time.Time
		pub     string
		deleg   bool
		wantErr string
	}{
		{name: "records write", args: write,
			scope: builder.Scope{Interface: "Records", Method: "Write", Protocol: "http://example.com/p"}, expires: now.AddDate(0, 0, 30)},
		{name: "scope in any case", args: with(to, "--scope", "records:READ", "--protocol", "https://P.example/"),
			scope: builder.Scope{Interface: "Records", Method: "Read", Protocol: "https://p.example"}, expires: now.AddDate(0, 0, 30)},
		{name: "protocol path", args: with(write, "--protocol-path", "thread/message"),
			scope: builder.Scope{Interface: "Records", Method: "Write", Protocol: "http://example.com/p", ProtocolPath: "thread/message"}, expires: now.AddDate(0, 0, 30)},
		{name: "context id", args: with(write, "--context-id", "bafyctx"),
			scope: builder.Scope{Interface: "Records", Method: "Write", Protocol: "http://example.com/p", ContextID: "bafyctx"}, expires: now.AddDate(0, 0, 30)},
		{name: "protocols query needs no protocol", args: with(to, "--scope", "Protocols:Query"),
			scope: builder.Scope{Interface: "Protocols", Method: "Query"}, expires: now.AddDate(0, 0, 30)},
		{name: "messages read", args: with(to, "--scope", "Messages:Read", "--protocol", "https://p.example"),
			scope: builder.Scope{Interface: "Messages", Method: "Read", Protocol: "https://p.example"}, expires: now.AddDate(0, 0, 30)},
		{name: "delegated configure", args: with(to, "--scope", "Protocols:Configure", "--protocol", "https://p.example", "--delegated"),
			scope: builder.Scope{Interface: "Protocols", Method: "Configure", Protocol: "https://p.example"}, expires: now.AddDate(0, 0, 30), deleg: true},
		{name: "delegated records", args: with(write, "--delegated"),
			scope: builder.Scope{Interface: "Records", Method: "Write", Protocol: "http://example.com/p"}, expires: now.AddDate(0, 0, 30), deleg: true},
		{name: "publication", args: with(write, "--publication", "Required"),
			scope: builder.Scope{Interface: "Records", Method: "Write", Protocol: "http://example.com/p"}, expires: now.AddDate(0, 0, 30), pub: "Required"},
		{name: "publication prohibited", args: with(write, "--publication", "prohibited"),
			scope: builder.Scope{Interface: "Records", Method: "Write", Protocol: "http://example.com/p"}, expires: now.AddDate(0, 0, 30), pub: "Prohibited"},
		{name: "expires in days", args: with(write, "--expires", "7d"),
			scope: builder.Scope{Interface: "Records", Method: "Write", Protocol: "http://example.com/p"}, expires: now.AddDate(0, 0, 7)},
		{name: "expires as a duration", args: with(write, "--expires", "90m"),
			scope: builder.Scope{Interface: "Records", Method: "Write", Protocol: "http://example.com/p"}, expires: now.Add(90 * time.Minute)},
		{name: "expires on a date", args: with(write, "--expires", "2026-02-01"),
			scope: builder.Scope{Interface: "Records", Method: "Write", Protocol: "http://example.com/p"}, expires: time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)},
		{name: "expires at a time", args: with(write, "--expires", "2026-03-01T10:00:00.1234567+01:00"),
			scope: builder.Scope{Interface: "Records", Method: "Write", Protocol: "http://example.com/p"}, expires: time.Date(2026, 3, 1, 9, 0, 0, 123456000, time.UTC)},

		{name: "no grantee", args: []string{"--scope", "Records:Write", "--protocol", "p.example"}, wantErr: "--to DID is required"},
		{name: "grantee not a DID", args: []string{"--to", "bob", "--scope", "Protocols:Query"}, wantErr: `--to "bob" is not a DID`},
		{name: "no scope", args: to, wantErr: "--scope INTERFACE:METHOD is required"},
		{name: "unknown method", args: with(to, "--scope", "Records:Update"), wantErr: `--scope "Records:Update": use one of Records:Read`},
		{name: "no method", args: with(to, "--scope", "Records"), wantErr: `--scope "Records"`},
		{name: "records without protocol", args: with(to, "--scope", "Records:Read"), wantErr: "--scope Records:Read needs --protocol"},
		{name: "bad protocol", args: with(to, "--scope", "Records:Read", "--protocol", ":foo:"), wantErr: "--protocol"},
		{name: "context id and protocol path", args: with(write, "--context-id", "c", "--protocol-path", "a"), wantErr: "exclude each other"},
		{name: "protocol path outside records", args: with(to, "--scope", "Protocols:Configure", "--protocol-path", "a"),
			wantErr: "--context-id and --protocol-path are for Records scopes only"},
		{name: "context id outside records", args: with(to, "--scope", "Messages:Query", "--context-id", "c"),
			wantErr: "for Records scopes only"},
		{name: "publication on reads", args: with(to, "--scope", "Records:Read", "--protocol", "p.example", "--publication", "required"),
			wantErr: "--publication is for --scope Records:Write only"},
		{name: "unknown publication", args: with(write, "--publication", "maybe"), wantErr: `--publication "maybe"`},
		{name: "delegated messages", args: with(to, "--scope", "Messages:Query", "--delegated"), wantErr: "--delegated does not work with --scope Messages:Query"},
		{name: "delegated protocols query", args: with(to, "--scope", "Protocols:Query", "--delegated"), wantErr: "--delegated does not work"},
		{name: "expired date", args: with(write, "--expires", "2025-12-31"), wantErr: "not in the future"},
		{name: "negative duration", args: with(write, "--expires", "-1h"), wantErr: "not in the future"},
		{name: "zero days", args: with(write, "--expires", "0d"), wantErr: "not in the future"},
		{name: "now", args: with(write, "--expires", "2026-01-01T12:00:00Z"), wantErr: "not in the future"},
		{name: "unparsable expiry", args: with(write, "--expires", "soon"), wantErr: `--expires "soon"`},
		{name: "signed days", args: with(write, "--expires", "+3d"), wantErr: `--expires "+3d"`},
		{name: "too many days", args: with(write, "--expires", "99999d"), wantErr: `--expires "99999d"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, _, _ := testEnv(t, nil)
			fs := newFlagSet(e, "grant create", "", "")
			var f grantCreateFlags
			f.register(fs)
			if _, err := parseArgs(fs, tt.args); err != nil {
				t.Fatal(err)
			}
			g, err := f.build(now)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one with %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if g.Grantee != "did:jwk:bob" || g.Scope != tt.scope || !g.Expires.Equal(tt.expires) || g.Publication != tt.pub ||
				g.Delegated != tt.deleg || !g.Time.Equal(now) {
				t.Errorf("grant %+v\nwant scope %+v expires %v publication %q delegated %v", g, tt.scope, tt.expires, tt.pub, tt.deleg)
			}
		})
	}
}

func TestGrantCommandUsage(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		identity bool
		stderr   string
	}{
		{name: "no subcommand", args: []string{"grant"}, stderr: "grant needs a subcommand"},
		{name: "unknown subcommand", args: []string{"grant", "give"}, stderr: `unknown grant subcommand "give"`},
		{name: "create without flags", args: []string{"grant", "create"}, stderr: "--to DID is required"},
		{name: "create with an argument", args: []string{"grant", "create", "did:jwk:bob"}, stderr: `unexpected argument "did:jwk:bob"`},
		{name: "create takes no target", args: []string{"grant", "create", "--target", "did:jwk:x"}, stderr: "flag provided but not defined: -target"},
		{name: "revoke without id", args: []string{"grant", "revoke"}, stderr: "grant revoke needs one grant record ID"},
		{name: "export two ids", args: []string{"grant", "export", "a", "b"}, stderr: "grant export needs one grant record ID"},
		{name: "list with an argument", args: []string{"grant", "list", "x"}, stderr: `unexpected argument "x"`},
		{name: "both grant flags", args: []string{"read", "--grant", "g", "--delegated-grant", "f", "bafyx"}, identity: true,
			stderr: "--grant and --delegated-grant exclude each other"},
		{name: "anonymous grant", args: []string{"read", "--anonymous", "--grant", "g", "bafyx"}, stderr: "--anonymous messages are unsigned"},
		{name: "delegated protocol query", args: []string{"protocol", "query", "--delegated-grant", "f"},
			stderr: "a ProtocolsQuery cannot carry a delegated grant"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, _, stderr := testEnv(t, map[string]string{"DWN_ENDPOINT": "http://" + closedPort(t)})
			if tt.identity {
				if code := run(context.Background(), e, []string{"id", "new"}); code != 0 {
					t.Fatalf("id new: exit %d: %s", code, stderr)
				}
				stderr.Reset()
			}
			code := run(context.Background(), e, tt.args)
			if code != 2 || !strings.HasPrefix(stderr.String(), "dwn: ") || !strings.Contains(stderr.String(), tt.stderr) ||
				!strings.Contains(stderr.String(), "\nhint: ") {
				t.Errorf("exit %d, stderr:\n%s\nwant exit 2, %q and a hint", code, stderr, tt.stderr)
			}
		})
	}
}

// grantFile writes a grant by alice, built from g, as grant export writes it, and
// returns the file, the grant and its data.
func grantFile(t *testing.T, alice *identity, g builder.Grant, edit func(map[string]any)) (string, *builder.Message, []byte) {
	t.Helper()
	m, data, err := builder.PermissionGrant(g, alice.signer())
	if err != nil {
		t.Fatal(err)
	}
	out := m.WithEncodedData(data)
	if edit != nil {
		edit(out)
	}
	b, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "grant.json")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path, m, data
}

func TestDelegatedGrantFlag(t *testing.T) {
	alice, _ := newIdentity("jwk", "Ed25519")
	app, _ := newIdentity("jwk", "Ed25519")
	now := time.Now()
	scope := builder.Scope{Interface: "Records", Method: "Write", Protocol: "https://p.example"}
	delegated := builder.Grant{Grantee: app.DID, Expires: now.Add(time.Hour), Scope: scope, Delegated: true}

	t.Run("valid", func(t *testing.T) {
		path, grant, data := grantFile(t, alice, delegated, nil)
		s := &session{id: app}
		if err := (&grantFlags{file: path}).apply(s, "write"); err != nil {
			t.Fatal(err)
		}
		if s.target != alice.DID || s.grantFlag != "--delegated-grant" || len(s.opts) != 1 {
			t.Fatalf("target %s flag %q opts %d; want the grantor as target and one option", s.target, s.grantFlag, len(s.opts))
		}
		// The message read back from the file is the grant alice signed: same CID,
		// same data, so the write names it and embeds it as the builder would.
		w, err := builder.RecordsWrite(builder.Write{Data: []byte("x"), Protocol: scope.Protocol, ProtocolPath: "a"}, app.signer(), s.opts...)
		if err != nil {
			t.Fatal(err)
		}
		want, err := builder.RecordsWrite(builder.Write{Data: []byte("x"), Protocol: scope.Protocol, ProtocolPath: "a",
			Time: timeOf(t, w)}, app.signer(), builder.WithDelegatedGrant(grant, data))
		if err != nil {
			t.Fatal(err)
		}
		if w.RecordID != want.RecordID || payloadOf(t, w)["delegatedGrantId"] != grant.CID {
			t.Errorf("record %s, want %s; payload %v, want delegatedGrantId %s", w.RecordID, want.RecordID, payloadOf(t, w), grant.CID)
		}
		embedded := w.Value["authorization"].(map[string]any)["authorDelegatedGrant"].(map[string]any)
		if embedded["encodedData"] != base64.RawURLEncoding.EncodeToString(data) || embedded["recordId"] != grant.RecordID {
			t.Errorf("embedded grant %v", embedded)
		}
	})
	t.Run("target given", func(t *testing.T) {
		path, _, _ := grantFile(t, alice, delegated, nil)
		s := &session{id: app, target: "did:jwk:carol"}
		if err := (&grantFlags{file: path}).apply(s, "write"); err != nil || s.target != "did:jwk:carol" {
			t.Fatalf("err %v, target %s", err, s.target)
		}
	})

	notDelegated := delegated
	notDelegated.Delegated = false
	forBob := delegated
	forBob.Grantee = "did:jwk:bob"
	expired := delegated
	expired.Time, expired.Expires = now.Add(-2*time.Hour), now.Add(-time.Hour)
	other := func(m map[string]any) {
		m["descriptor"].(map[string]any)["protocolPath"] = "grant/revocation"
	}
	tests := []struct {
		name  string
		grant builder.Grant
		edit  func(map[string]any)
		raw   string // the file's content instead of the grant
		want  string
		hint  string
	}{
		{name: "not delegated", grant: notDelegated, want: "the grant is not delegated", hint: "invoke it by its record ID instead: --grant bafy"},
		{name: "for another grantee", grant: forBob, want: "is for did:jwk:bob, not for your identity", hint: "--identity FILE"},
		{name: "expired", grant: expired, want: "expired at", hint: "ask the grantor (" + alice.DID + ") for a new one"},
		{name: "rewritten data", grant: delegated, edit: func(m map[string]any) {
			m["encodedData"] = base64.RawURLEncoding.EncodeToString([]byte(`{"dateExpires":"2099-01-01T00:00:00.000000Z","delegated":true,"scope":{"interface":"Records","method":"Write","protocol":"https://other.example"}}`))
		}, want: "dataCid mismatch", hint: "dwn grant export ID > FILE"},
		{name: "no data", grant: delegated, edit: func(m map[string]any) { delete(m, "encodedData") }, want: "has no encodedData"},
		{name: "data not base64url", grant: delegated, edit: func(m map[string]any) { m["encodedData"] = "a+b/" }, want: "not base64url"},
		{name: "not a grant", grant: delegated, edit: other, want: "it is not a permission grant"},
		{name: "unsigned", grant: delegated, edit: func(m map[string]any) { delete(m, "authorization") }, want: "it has no signature"},
		{name: "not JSON", raw: "grant", want: "it is not a JSON object"},
		{name: "JSON null", raw: "null", want: "it is not a JSON object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var path string
			if tt.raw != "" {
				path = filepath.Join(t.TempDir(), "grant.json")
				os.WriteFile(path, []byte(tt.raw), 0o600)
			} else {
				path, _, _ = grantFile(t, alice, tt.grant, tt.edit)
			}
			err := (&grantFlags{file: path}).apply(&session{id: app}, "write")
			var out bytes.Buffer
			code := report(&out, err)
			cause, hints, found := strings.Cut(out.String(), "\nhint: ")
			if code != 1 || !found || !strings.Contains(cause, tt.want) || !strings.Contains(hints, tt.hint) {
				t.Errorf("report: exit %d\n%s\nwant exit 1, %q and a hint %q", code, out.String(), tt.want, tt.hint)
			}
		})
	}
	t.Run("missing file", func(t *testing.T) {
		err := (&grantFlags{file: filepath.Join(t.TempDir(), "none.json")}).apply(&session{id: app}, "write")
		if !errors.Is(err, os.ErrNotExist) {
			t.Errorf("err = %v, want a not-exist error", err)
		}
	})
	t.Run("grant by ID", func(t *testing.T) {
		s := &session{id: app}
		if err := (&grantFlags{id: "bafygrant"}).apply(s, "write"); err != nil || len(s.opts) != 1 || s.target != "" {
			t.Fatalf("err %v, opts %d, target %q", err, len(s.opts), s.target)
		}
		w, err := builder.RecordsWrite(builder.Write{Data: []byte("x")}, app.signer(), s.opts...)
		if err != nil {
			t.Fatal(err)
		}
		if got := payloadOf(t, w)["permissionGrantId"]; got != "bafygrant" {
			t.Errorf("permissionGrantId = %v", got)
		}
	})
}

// payloadOf decodes the signature payload of a built message.
func payloadOf(t *testing.T, m *builder.Message) map[string]any {
	t.Helper()
	sig := m.Value["authorization"].(map[string]any)["signature"].(map[string]any)
	g := jws.General{Payload: sig["payload"].(string)}
	p, err := g.DecodePayload()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// timeOf returns the messageTimestamp of a built message.
func timeOf(t *testing.T, m *builder.Message) time.Time {
	t.Helper()
	ts, err := time.Parse(dwn.DateTimeLayout, m.Value["descriptor"].(map[string]any)["messageTimestamp"].(string))
	if err != nil {
		t.Fatal(err)
	}
	return ts
}

func TestGrantHints(t *testing.T) {
	self := &identity{DID: "did:jwk:me"}
	tests := []struct {
		name, detail string
		s            *session
		want         string
	}{
		{name: "revoked", detail: "GrantAuthorizationGrantRevoked: x", want: "the grantor revoked this grant"},
		{name: "expired", detail: "GrantAuthorizationGrantExpired: x", want: "the grant has expired"},
		{name: "missing", detail: "GrantAuthorizationGrantMissing: x", want: "the DWN has no grant with this ID"},
		{name: "method", detail: "GrantAuthorizationMethodMismatch: x", want: "the grant's scope is for other messages"},
		{name: "path", detail: "RecordsGrantAuthorizationScopeProtocolPathMismatch: x", want: "the protocol path is outside the grant's scope"},
		{name: "query protocol", detail: "RecordsGrantAuthorizationQueryOrSubscribeProtocolScopeMismatch: x", want: "the protocol is outside"},
		{name: "publication", detail: "RecordsGrantAuthorizationConditionPublicationRequired: x", want: "add --published"},
		{name: "not delegated", detail: "RecordsAuthorDelegatedGrantNotADelegatedGrant: x", want: "invoke it by its record ID with --grant ID"},
		{name: "altered", detail: "PermissionGrantDataMismatch: x", want: "the delegated grant file was altered"},
		{name: "no grant on another DWN", detail: "ProtocolAuthorizationActionNotAllowed: x",
			s: &session{id: self, target: "did:jwk:alice", signer: fakeSigner{}}, want: "if did:jwk:alice gave you a permission grant, invoke it with --grant ID"},
		{name: "refused despite the grant", detail: "ProtocolAuthorizationActionNotAllowed: x",
			s: &session{id: self, target: "did:jwk:alice", signer: fakeSigner{}, grantFlag: "--grant"}, want: "refused this despite --grant"},
		{name: "a lookup without the grant", detail: "ProtocolAuthorizationActionNotAllowed: x",
			s:    &session{id: self, target: "did:jwk:alice", signer: fakeSigner{}, lookupWithout: "--delegated-grant"},
			want: "sent as your own identity, without --delegated-grant"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := tt.s
			if s == nil {
				s = &session{id: self, target: "did:jwk:alice", signer: fakeSigner{}, grantFlag: "--grant"}
			}
			hints := statusHints(&statusError{Code: 401, Detail: tt.detail}, nil, s)
			if !strings.Contains(strings.Join(hints, "\n"), tt.want) {
				t.Errorf("hints %q, want one with %q", hints, tt.want)
			}
		})
	}
}

func TestGrantUse(t *testing.T) {
	tests := []struct {
		scope builder.Scope
		want  string
	}{
		{builder.Scope{Interface: "Records", Method: "Write", Protocol: "https://p.example", ProtocolPath: "a/b"},
			"dwn write --target did:jwk:a --grant G --protocol https://p.example --protocol-path a/b [--parent RECORDID] FILE"},
		{builder.Scope{Interface: "Records", Method: "Write", Protocol: "https://p.example", ProtocolPath: "a"},
			"dwn write --target did:jwk:a --grant G --protocol https://p.example --protocol-path a FILE"},
		{builder.Scope{Interface: "Records", Method: "Read", Protocol: "https://p.example"}, "dwn read --target did:jwk:a --grant G RECORDID"},
		{builder.Scope{Interface: "Protocols", Method: "Query"}, "dwn protocol query --target did:jwk:a --grant G"},
		{builder.Scope{Interface: "Messages", Method: "Query"}, ""},
	}
	for _, tt := range tests {
		if got := grantUse(tt.scope, "did:jwk:a", "--grant G"); got != tt.want {
			t.Errorf("grantUse(%+v) = %q, want %q", tt.scope, got, tt.want)
		}
	}
}
