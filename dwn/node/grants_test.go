package node

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/dwn-ipfs/dwn-ipfs/dwn/builder"
	"github.com/dwn-ipfs/dwn-ipfs/dwn/jws"
)

const notesProtocol = "https://notes.example"

// grantsFixture is a tenant (alice) with a notes protocol, bob who receives grants,
// carol who does not, and a clock that only moves forward.
type grantsFixture struct {
	n                 *Node
	alice, bob, carol jws.Signer
	aliceDID, bobDID  string
	clock             time.Time
}

func (f *grantsFixture) tick() time.Time {
	f.clock = f.clock.Add(time.Second)
	return f.clock
}

func newGrantsFixture(t *testing.T) *grantsFixture {
	f := &grantsFixture{n: newNode(t, Config{}), clock: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	f.aliceDID, f.alice = newIdentity(t)
	f.bobDID, f.bob = newIdentity(t)
	_, f.carol = newIdentity(t)
	def := map[string]any{"protocol": notesProtocol, "published": false,
		"types":     map[string]any{"note": map[string]any{}, "comment": map[string]any{}},
		"structure": map[string]any{"note": map[string]any{"comment": map[string]any{}}}}
	m, err := builder.ProtocolsConfigure(def, f.tick(), f.alice)
	if err != nil {
		t.Fatal(err)
	}
	f.expect(t, "configure", m, nil, 202, "")
	return f
}

func (f *grantsFixture) expect(t *testing.T, what string, m *builder.Message, data []byte, code int, detailPrefix string) *Reply {
	t.Helper()
	rep := process(t, f.n, f.aliceDID, m.JSON, data)
	if rep.Status.Code != code || !strings.HasPrefix(rep.Status.Detail, detailPrefix) {
		t.Fatalf("%s: got %d %q, want %d %s...", what, rep.Status.Code, rep.Status.Detail, code, detailPrefix)
	}
	return rep
}

// grant writes a grant from alice to grantee and returns it with its data.
func (f *grantsFixture) grant(t *testing.T, grantee string, g builder.Grant) (*builder.Message, []byte) {
	t.Helper()
	g.Grantee = grantee
	if g.Time.IsZero() {
		g.Time = f.tick()
	}
	if g.Expires.IsZero() {
		g.Expires = g.Time.Add(time.Hour)
	}
	m, data, err := builder.PermissionGrant(g, f.alice)
	if err != nil {
		t.Fatal(err)
	}
	f.expect(t, "grant", m, data, 202, "")
	return m, data
}

func (f *grantsFixture) note(s jws.Signer, at time.Time, published bool, opts ...builder.Option) *builder.Message {
	m, err := builder.RecordsWrite(builder.Write{Data: []byte("a note"), DataFormat: "text/plain",
		Protocol: notesProtocol, ProtocolPath: "note", Published: published, Time: at}, s, opts...)
	if err != nil {
		panic(err)
	}
	return m
}

func TestGrantedWrites(t *testing.T) {
	f := newGrantsFixture(t)
	writeScope := builder.Scope{Interface: "Records", Method: "Write", Protocol: notesProtocol}
	g, _ := f.grant(t, f.bobDID, builder.Grant{Scope: writeScope})
	granted := f.clock
	readGrant, _ := f.grant(t, f.bobDID, builder.Grant{Scope: builder.Scope{Interface: "Records", Method: "Read", Protocol: notesProtocol}})
	otherGrant, _ := f.grant(t, f.bobDID, builder.Grant{Scope: builder.Scope{Interface: "Records", Method: "Write", Protocol: "https://other.example"}})
	pubGrant, _ := f.grant(t, f.bobDID, builder.Grant{Scope: writeScope, Publication: "Required"})
	use := builder.WithPermissionGrant

	tests := []struct {
		name      string
		signer    jws.Signer
		at        time.Time
		published bool
		opts      []builder.Option
		code      int
		detail    string
	}{
		{"bob without a grant", f.bob, f.tick(), false, nil, 401, "ProtocolAuthorization"},
		{"bob with the grant", f.bob, f.tick(), false, []builder.Option{use(g.RecordID)}, 202, ""},
		{"carol with bob's grant", f.carol, f.tick(), false, []builder.Option{use(g.RecordID)}, 401, "GrantAuthorizationNotGrantedToAuthor"},
		{"before the grant", f.bob, granted.Add(-time.Microsecond), false, []builder.Option{use(g.RecordID)}, 401, "GrantAuthorizationGrantNotYetActive"},
		{"at expiry", f.bob, granted.Add(time.Hour), false, []builder.Option{use(g.RecordID)}, 401, "GrantAuthorizationGrantExpired"},
		{"a missing grant", f.bob, f.tick(), false, []builder.Option{use("bafyreigmissing")}, 401, "GrantAuthorizationGrantMissing"},
		{"a read grant", f.bob, f.tick(), false, []builder.Option{use(readGrant.RecordID)}, 401, "GrantAuthorizationMethodMismatch"},
		{"another protocol's grant", f.bob, f.tick(), false, []builder.Option{use(otherGrant.RecordID)}, 401, "RecordsGrantAuthorizationScopeProtocolMismatch"},
		{"publication required, unpublished", f.bob, f.tick(), false, []builder.Option{use(pubGrant.RecordID)}, 401, "RecordsGrantAuthorizationConditionPublicationRequired"},
		{"publication required, published", f.bob, f.tick(), true, []builder.Option{use(pubGrant.RecordID)}, 202, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f.expect(t, tc.name, f.note(tc.signer, tc.at, tc.published, tc.opts...), []byte("a note"), tc.code, tc.detail)
		})
	}

	// A revocation voids the grant from its timestamp on, not before.
	revokeAt := f.tick()
	rev, data, err := builder.PermissionRevocation(g, notesProtocol, "done", revokeAt, f.alice)
	if err != nil {
		t.Fatal(err)
	}
	f.expect(t, "revoke", rev, data, 202, "")
	f.expect(t, "before the revocation", f.note(f.bob, revokeAt.Add(-time.Microsecond), false, use(g.RecordID)), []byte("a note"), 202, "")
	f.expect(t, "at the revocation", f.note(f.bob, revokeAt, false, use(g.RecordID)), []byte("a note"), 401, "GrantAuthorizationGrantRevoked")
}

func TestGrantedReadsAndProtocols(t *testing.T) {
	f := newGrantsFixture(t)
	note := f.note(f.alice, f.tick(), false)
	f.expect(t, "alice's note", note, []byte("a note"), 202, "")
	read := func(opts ...builder.Option) *builder.Message {
		m, err := builder.RecordsReadFilter(map[string]any{"recordId": note.RecordID}, f.tick(), f.bob, opts...)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	f.expect(t, "bob reads without a grant", read(), nil, 401, "ProtocolAuthorization")
	g, _ := f.grant(t, f.bobDID, builder.Grant{Scope: builder.Scope{Interface: "Records", Method: "Read", Protocol: notesProtocol, ProtocolPath: "note"}})
	f.expect(t, "bob reads with a grant", read(builder.WithPermissionGrant(g.RecordID)), nil, 200, "")
	c, _ := f.grant(t, f.bobDID, builder.Grant{Scope: builder.Scope{Interface: "Records", Method: "Read", Protocol: notesProtocol, ProtocolPath: "note/comment"}})
	f.expect(t, "bob reads with a grant for comments", read(builder.WithPermissionGrant(c.RecordID)), nil, 401, "RecordsGrantAuthorizationScopeProtocolPathMismatch")

	// Protocols: the notes protocol is unpublished, so bob sees it only with a grant.
	pq := func(opts ...builder.Option) int {
		m, err := builder.ProtocolsQuery("", f.tick(), f.bob, opts...)
		if err != nil {
			t.Fatal(err)
		}
		return len(f.expect(t, "protocols query", m, nil, 200, "").Entries)
	}
	if got := pq(); got != 0 {
		t.Fatalf("bob without a grant sees %d protocols, want 0", got)
	}
	q, _ := f.grant(t, f.bobDID, builder.Grant{Scope: builder.Scope{Interface: "Protocols", Method: "Query"}})
	if got := pq(builder.WithPermissionGrant(q.RecordID)); got != 1 {
		t.Fatalf("bob with a grant sees %d protocols, want 1", got)
	}
	cfgGrant, _ := f.grant(t, f.bobDID, builder.Grant{Scope: builder.Scope{Interface: "Protocols", Method: "Configure", Protocol: "https://bob.example"}})
	for _, tc := range []struct {
		protocol string
		code     int
		detail   string
	}{{"https://bob.example", 202, ""}, {"https://elsewhere.example", 401, "ProtocolsGrantAuthorizationScopeProtocolMismatch"}} {
		def := map[string]any{"protocol": tc.protocol, "published": true, "types": map[string]any{"x": map[string]any{}},
			"structure": map[string]any{"x": map[string]any{}}}
		m, err := builder.ProtocolsConfigure(def, f.tick(), f.bob, builder.WithPermissionGrant(cfgGrant.RecordID))
		if err != nil {
			t.Fatal(err)
		}
		f.expect(t, "bob configures "+tc.protocol, m, nil, tc.code, tc.detail)
	}
}

func TestDelegatedGrants(t *testing.T) {
	f := newGrantsFixture(t)
	appDID, app := newIdentity(t)
	scope := builder.Scope{Interface: "Records", Method: "Write", Protocol: notesProtocol}
	dg, data := f.grant(t, appDID, builder.Grant{Scope: scope, Delegated: true})

	m := f.note(app, f.tick(), false, builder.WithDelegatedGrant(dg, data))
	f.expect(t, "the app writes as alice", m, []byte("a note"), 202, "")
	q, err := builder.RecordsQuery(builder.Query{Filter: map[string]any{"protocol": notesProtocol, "author": f.aliceDID}, Time: f.tick()}, f.alice)
	if err != nil {
		t.Fatal(err)
	}
	if rep := f.expect(t, "alice's notes", q, nil, 200, ""); len(rep.Entries) != 1 || !strings.Contains(string(rep.Entries[0]), m.RecordID) {
		t.Fatalf("the delegated write is not alice's: %d entries", len(rep.Entries))
	}

	plain, plainData := f.grant(t, appDID, builder.Grant{Scope: scope})
	f.expect(t, "a grant that is not delegated", f.note(app, f.tick(), false, builder.WithDelegatedGrant(plain, plainData)),
		[]byte("a note"), 400, "RecordsAuthorDelegatedGrantNotADelegatedGrant")

	// The data of a delegated grant is bound to what its grantor signed: a delegate
	// cannot widen the scope by rewriting encodedData.
	var wider map[string]any
	if err := json.Unmarshal(plainData, &wider); err != nil {
		t.Fatal(err)
	}
	wider["delegated"] = true
	forged, _ := json.Marshal(wider)
	tampered := f.note(app, f.tick(), false, builder.WithDelegatedGrant(plain, forged))
	f.expect(t, "a rewritten grant", tampered, []byte("a note"), 401, "PermissionGrantDataMismatch")
	if enc := tampered.Value["authorization"].(map[string]any)["authorDelegatedGrant"].(map[string]any)["encodedData"]; enc != base64.RawURLEncoding.EncodeToString(forged) {
		t.Fatal("the test did not embed the rewritten data")
	}
}

func TestPermissionRecords(t *testing.T) {
	f := newGrantsFixture(t)
	g, _ := f.grant(t, f.bobDID, builder.Grant{Scope: builder.Scope{Interface: "Records", Method: "Write", Protocol: notesProtocol}})
	write := func(path string, data string, tags map[string]any, parent string) *builder.Message {
		w := builder.Write{Data: []byte(data), DataFormat: "application/json", Protocol: builder.PermissionsProtocol,
			ProtocolPath: path, Tags: tags, Time: f.tick(), Recipient: f.bobDID}
		if parent != "" {
			w.ParentID, w.ParentContext, w.Recipient = parent, parent, ""
		}
		m, err := builder.RecordsWrite(w, f.alice)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	tag := map[string]any{"protocol": notesProtocol}
	scope := `"scope":{"interface":"Records","method":"Write","protocol":"` + notesProtocol + `"}`
	tests := []struct {
		name, path, data string
		tags             map[string]any
		parent           string
		code             int
		detail           string
	}{
		{"grant without the protocol tag", "grant", `{"dateExpires":"2027-01-01T00:00:00.000000Z",` + scope + `}`, nil, "", 400, "PermissionsProtocolValidateScopeMissingProtocolTag"},
		{"grant with another protocol tag", "grant", `{"dateExpires":"2027-01-01T00:00:00.000000Z",` + scope + `}`, map[string]any{"protocol": "https://x.example"}, "", 400, "PermissionsProtocolValidateScopeProtocolMismatch"},
		{"grant without dateExpires", "grant", `{` + scope + `}`, tag, "", 400, "SchemaValidator"},
		{"grant that is not JSON", "grant", `not json`, tag, "", 400, "PermissionsProtocolValidateSchemaInvalidJson"},
		{"grant with contextId and protocolPath", "grant", `{"dateExpires":"2027-01-01T00:00:00.000000Z","scope":{"interface":"Records","method":"Write","protocol":"` + notesProtocol + `","contextId":"a","protocolPath":"note"}}`, tag, "", 400, "PermissionsProtocolValidateScopeContextIdProhibitedProperties"},
		{"revocation with another protocol tag", "grant/revocation", `{}`, map[string]any{"protocol": "https://x.example"}, g.RecordID, 400, "PermissionsProtocolValidateRevocationProtocolTagMismatch"},
		{"revocation", "grant/revocation", `{}`, tag, g.RecordID, 202, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f.expect(t, tc.name, write(tc.path, tc.data, tc.tags, tc.parent), []byte(tc.data), tc.code, tc.detail)
		})
	}
}
