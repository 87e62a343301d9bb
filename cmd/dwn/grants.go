package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/dwn-ipfs/dwn-ipfs/dwn"
	"github.com/dwn-ipfs/dwn-ipfs/dwn/builder"
	"github.com/dwn-ipfs/dwn-ipfs/dwn/jws"
	"github.com/dwn-ipfs/dwn-ipfs/gateway/importer"
)

// Permission grants (dwn-protocol.md §9) are records of the built-in permissions
// protocol in the grantor's DWN: a grant at path "grant" whose recipient is the
// grantee, and its revocations at "grant/revocation" below it.
const (
	grantPath      = "grant"
	revocationPath = "grant/revocation"
	// maxGrantSize bounds the data of a grant read back (the protocol allows 10000 bytes).
	maxGrantSize = 64 << 10
)

// grantScopes are the scopes a grant may have, as the reference names them.
var grantScopes = []string{"Records:Read", "Records:Write", "Records:Query", "Records:Subscribe", "Records:Delete",
	"Protocols:Configure", "Protocols:Query", "Messages:Query", "Messages:Read", "Messages:Subscribe"}

// parseScope returns the interface and method of a scope named INTERFACE:METHOD, in
// any letter case.
func parseScope(s string) (iface, method string, err error) {
	for _, name := range grantScopes {
		if strings.EqualFold(s, name) {
			iface, method, _ = strings.Cut(name, ":")
			return iface, method, nil
		}
	}
	return "", "", fmt.Errorf("--scope %q: use one of %s", s, strings.Join(grantScopes, ", "))
}

// parseExpiry returns the time --expires names: a duration from now (whole days such as
// 30d, or Go durations such as 12h or 90m) or a time (RFC 3339, or a date: its midnight
// UTC). It must be after now.
func parseExpiry(v string, now time.Time) (time.Time, error) {
	t, ok := expiryTime(v, now)
	if !ok {
		return t, fmt.Errorf("--expires %q: give a duration such as 30d or 12h, or a time such as 2030-01-31 or 2030-01-31T12:00:00Z", v)
	}
	t = t.UTC().Truncate(time.Microsecond)
	if !t.After(now) {
		return t, fmt.Errorf("--expires %s is not in the future: a grant must expire after it is made", builder.Timestamp(t))
	}
	return t, nil
}

// expiryTime interprets --expires without checking the result (see parseExpiry).
func expiryTime(v string, now time.Time) (time.Time, bool) {
	if days, ok := strings.CutSuffix(v, "d"); ok && days != "" && strings.Trim(days, "0123456789") == "" {
		n, err := strconv.Atoi(days)
		return now.AddDate(0, 0, n), err == nil && n <= 100*366
	}
	if d, err := time.ParseDuration(v); err == nil {
		return now.Add(d), true
	}
	for _, layout := range []string{time.RFC3339Nano, time.DateOnly} {
		if t, err := time.Parse(layout, v); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// approx formats a duration for people: whole days from two days on, else minutes.
func approx(d time.Duration) string {
	if d >= 48*time.Hour {
		return fmt.Sprintf("%d days", int(d.Round(time.Hour).Hours())/24)
	}
	return d.Round(time.Minute).String()
}

// isDID reports whether s looks like a DID: did:METHOD:ID.
func isDID(s string) bool {
	parts := strings.SplitN(s, ":", 3)
	return len(parts) == 3 && parts[0] == "did" && parts[1] != "" && parts[2] != ""
}

// grantCreateFlags are the flags of grant create.
type grantCreateFlags struct {
	to, scope, protocol, contextID, protocolPath string
	expires, publication, description            string
	delegated                                    bool
}

const defaultGrantExpiry = "30d"

func (f *grantCreateFlags) register(fs *flagSet) {
	fs.StringVar(&f.to, "to", "", "`DID` of the grantee (required)")
	fs.StringVar(&f.scope, "scope", "", "what the grant allows, `INTERFACE:METHOD` (required): "+strings.Join(grantScopes, ", "))
	fs.StringVar(&f.protocol, "protocol", "", "limit the grant to this protocol `URI` (required for Records scopes; normalized as for write)")
	fs.StringVar(&f.contextID, "context-id", "", "Records scopes: limit the grant to the records of this context `ID`")
	fs.StringVar(&f.protocolPath, "protocol-path", "", "Records scopes: limit the grant to the records at this protocol `PATH`")
	fs.StringVar(&f.expires, "expires", defaultGrantExpiry, "when the grant ends: a duration (30d, 12h) or a time (2030-01-31, 2030-01-31T12:00:00Z)")
	fs.BoolVar(&f.delegated, "delegated", false, "let the grantee (e.g. an app key) sign messages as you; hand it the grant with dwn grant export")
	fs.StringVar(&f.publication, "publication", "", "Records:Write only: the grantee's records must be published (required) or must not be (prohibited)")
	fs.StringVar(&f.description, "description", "", "a note on the grant, for the grantee")
}

// build checks the flags and returns the grant they describe, made at now.
func (f *grantCreateFlags) build(now time.Time) (builder.Grant, error) {
	var g builder.Grant
	switch {
	case f.to == "":
		return g, errors.New("--to DID is required: the DID the grant is for")
	case !isDID(f.to):
		return g, fmt.Errorf("--to %q is not a DID (did:METHOD:ID)", f.to)
	case f.scope == "":
		return g, errors.New("--scope INTERFACE:METHOD is required, e.g. --scope Records:Write")
	}
	iface, method, err := parseScope(f.scope)
	if err != nil {
		return g, err
	}
	scope := iface + ":" + method
	protocol, err := normalizeFlagURI("protocol", f.protocol)
	if err != nil {
		return g, err
	}
	records := iface == dwn.InterfaceRecords
	switch {
	case records && protocol == "":
		return g, fmt.Errorf("--scope %s needs --protocol: a Records grant is limited to one protocol", scope)
	case !records && (f.contextID != "" || f.protocolPath != ""):
		return g, errors.New("--context-id and --protocol-path are for Records scopes only")
	case f.contextID != "" && f.protocolPath != "":
		return g, errors.New("--context-id and --protocol-path exclude each other: give one")
	case f.delegated && !records && scope != "Protocols:Configure":
		return g, fmt.Errorf("--delegated does not work with --scope %s: the DWN accepts delegated grants in Records messages and ProtocolsConfigure only", scope)
	}
	var publication string
	switch strings.ToLower(f.publication) {
	case "":
	case "required":
		publication = "Required"
	case "prohibited":
		publication = "Prohibited"
	default:
		return g, fmt.Errorf("--publication %q: use required or prohibited", f.publication)
	}
	if publication != "" && scope != "Records:Write" {
		return g, errors.New("--publication is for --scope Records:Write only")
	}
	now = now.UTC().Truncate(time.Microsecond)
	expires, err := parseExpiry(f.expires, now)
	if err != nil {
		return g, err
	}
	return builder.Grant{
		Grantee: f.to, Expires: expires, Delegated: f.delegated, Description: f.description,
		Publication: publication, Time: now,
		Scope: builder.Scope{Interface: iface, Method: method, Protocol: protocol, ContextID: f.contextID, ProtocolPath: f.protocolPath},
	}, nil
}

// scopeText describes a scope on one line: "Records:Write http://p.example protocolPath=a/b".
func scopeText(s builder.Scope) string {
	t := s.Interface + ":" + s.Method
	if s.Protocol != "" {
		t += " " + s.Protocol
	}
	if s.ContextID != "" {
		t += " contextId=" + s.ContextID
	}
	if s.ProtocolPath != "" {
		t += " protocolPath=" + s.ProtocolPath
	}
	return t
}

// grantUse is a command line that invokes a grant of scope s with grantFlag ("--grant
// ID"), on the DWN of target if not "": "" when dwn has no command for the scope.
func grantUse(s builder.Scope, target, grantFlag string) string {
	if target != "" {
		grantFlag = "--target " + target + " " + grantFlag
	}
	path := s.ProtocolPath
	if path == "" {
		path = "PATH"
	}
	switch s.Interface + ":" + s.Method {
	case "Records:Write":
		parent := ""
		if path == "PATH" || strings.Contains(path, "/") {
			parent = " [--parent RECORDID]"
		}
		return "dwn write " + grantFlag + " --protocol " + s.Protocol + " --protocol-path " + path + parent + " FILE"
	case "Records:Read":
		return "dwn read " + grantFlag + " RECORDID"
	case "Records:Query":
		return "dwn query " + grantFlag + " --protocol " + s.Protocol
	case "Records:Delete":
		return "dwn delete " + grantFlag + " RECORDID"
	case "Protocols:Configure":
		return "dwn protocol configure " + grantFlag + " FILE"
	case "Protocols:Query":
		return "dwn protocol query " + grantFlag
	}
	return ""
}

// grantInfo is the data of a grant.
type grantInfo struct {
	DateExpires string        `json:"dateExpires"`
	Description string        `json:"description"`
	Delegated   bool          `json:"delegated"`
	Scope       builder.Scope `json:"scope"`
	Conditions  *struct {
		Publication string `json:"publication"`
	} `json:"conditions"`
}

// grantRecord is a grant's RecordsWrite and its data, as read back from a DWN or from
// a file written by grant export.
type grantRecord struct {
	msg     *builder.Message // the RecordsWrite without encodedData; its CID is over that
	data    []byte
	grantor string // the signer
	grantee string // the recipient
	info    grantInfo
}

// newGrantRecord checks that m is the RecordsWrite of a grant whose data is data.
func newGrantRecord(m map[string]any, data []byte) (*grantRecord, error) {
	b, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	var msg dwn.Message
	if err := json.Unmarshal(b, &msg); err != nil {
		return nil, fmt.Errorf("it is not a DWN message: %v", err)
	}
	d := &msg.Descriptor
	switch {
	case d.Interface != dwn.InterfaceRecords || d.Method != dwn.MethodWrite || d.Protocol != builder.PermissionsProtocol || d.ProtocolPath != grantPath:
		return nil, fmt.Errorf("it is not a permission grant (a RecordsWrite at %s of %s)", grantPath, builder.PermissionsProtocol)
	case d.DataCID != importer.Sum(data).String():
		return nil, errors.New("its data is not the data its grantor signed (dataCid mismatch)")
	case msg.RecordID == "":
		return nil, errors.New("it has no recordId")
	case msg.Authorization == nil || msg.Authorization.Signature == nil || len(msg.Authorization.Signature.Signatures) == 0:
		return nil, errors.New("it has no signature")
	}
	h, err := jws.ParseHeader(msg.Authorization.Signature.Signatures[0].Protected)
	if err != nil {
		return nil, fmt.Errorf("its signature is not valid: %v", err)
	}
	gr := &grantRecord{data: data, grantor: jws.SignerDID(h.Kid), grantee: d.Recipient}
	if err := json.Unmarshal(data, &gr.info); err != nil {
		return nil, fmt.Errorf("its data is not a grant: %v", err)
	}
	c, err := dwn.ComputeCID(m)
	if err != nil {
		return nil, err
	}
	gr.msg = &builder.Message{Value: m, JSON: b, CID: c, RecordID: msg.RecordID}
	return gr, nil
}

// grantFromJSON decodes a grant's RecordsWrite with its data as encodedData: a
// RecordsQuery entry or the output of grant export.
func grantFromJSON(raw []byte) (*grantRecord, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("it is not a JSON object: %v", err)
	}
	if m == nil {
		return nil, errors.New("it is not a JSON object")
	}
	enc, ok := m["encodedData"].(string)
	if !ok {
		return nil, errors.New("it has no encodedData (the grant's data)")
	}
	delete(m, "encodedData")
	data, err := base64.RawURLEncoding.DecodeString(enc)
	if err != nil {
		return nil, errors.New("its encodedData is not base64url")
	}
	return newGrantRecord(m, data)
}

// state is the grant's state at now given its revocation time ("" if none): active,
// expired, or revoked.
func (gr *grantRecord) state(revokedAt, now string) string {
	switch {
	case revokedAt != "":
		return "revoked " + revokedAt
	case gr.info.DateExpires <= now:
		return "expired"
	}
	return "active"
}

// grantFlags are --grant and --delegated-grant, the flags that make a command invoke a
// permission grant.
type grantFlags struct {
	id   string // --grant
	file string // --delegated-grant
}

func (g *grantFlags) register(fs *flagSet) {
	fs.StringVar(&g.id, "grant", "", "invoke the permission grant with this record `ID` (the grantor gives it to you; --target is the grantor)")
	fs.StringVar(&g.file, "delegated-grant", "", "sign as the grantor under the delegated grant in `FILE` (written by dwn grant export); --target defaults to the grantor")
}

func (g *grantFlags) used() bool { return g != nil && (g.id != "" || g.file != "") }

// apply makes the session's messages invoke the grant, and makes the grantor of a
// delegated grant the default target. The identity must be the grantee.
func (g *grantFlags) apply(s *session, cmd string) error {
	if !g.used() {
		return nil
	}
	if g.id != "" && g.file != "" {
		return usageError(cmd, errors.New("--grant and --delegated-grant exclude each other: give one"))
	}
	if g.id != "" {
		s.opts, s.grantFlag = []builder.Option{builder.WithPermissionGrant(g.id)}, "--grant"
		return nil
	}
	raw, err := os.ReadFile(g.file)
	if err != nil {
		return withHint(fmt.Errorf("--delegated-grant: %w", err), "give the file the grantor wrote with: dwn grant export ID > FILE")
	}
	gr, err := grantFromJSON(raw)
	if err != nil {
		return withHint(fmt.Errorf("--delegated-grant %s: %v", g.file, err),
			"give the file the grantor wrote with: dwn grant export ID > FILE")
	}
	switch {
	case !gr.info.Delegated:
		return withHint(fmt.Errorf("--delegated-grant %s: the grant is not delegated", g.file),
			"invoke it by its record ID instead: --grant "+gr.msg.RecordID+" --target "+gr.grantor)
	case gr.grantee != s.id.DID:
		return withHint(fmt.Errorf("--delegated-grant %s is for %s, not for your identity %s", g.file, gr.grantee, s.id.DID),
			"sign with the grantee's identity: --identity FILE")
	case gr.info.DateExpires <= builder.Timestamp(time.Now()):
		return withHint(fmt.Errorf("the delegated grant in %s expired at %s", g.file, gr.info.DateExpires),
			"ask the grantor ("+gr.grantor+") for a new one")
	}
	s.opts, s.grantFlag = []builder.Option{builder.WithDelegatedGrant(gr.msg, gr.data)}, "--delegated-grant"
	if s.target == "" {
		s.target = gr.grantor
	}
	return nil
}

// grantHints say what to do about the DWN's grant errors, by a part of the code that
// starts their detail.
var grantHints = []struct{ code, hint string }{
	{"GrantAuthorizationGrantRevoked", "the grantor revoked this grant; ask them for a new one (dwn grant create)"},
	{"GrantAuthorizationGrantExpired", "the grant has expired; ask the grantor for a new one (dwn grant create --expires ...)"},
	{"GrantAuthorizationGrantNotYetActive", "the grant is not active yet at this message's time; check your clock"},
	{"GrantAuthorizationGrantMissing", "the DWN has no grant with this ID; check --grant and --target (the grantor lists grants with: dwn grant list)"},
	{"GrantAuthorizationNotGrantedToAuthor", "the grant is for another DID; sign with the grantee's identity (--identity FILE)"},
	{"GrantAuthorizationNotGrantedForTenant", "the grant was given by another DID than the tenant; --target must be the grantor"},
	{"GrantAuthorizationInterfaceMismatch", "the grant's scope is for other messages; the grantor sees its scope with: dwn grant list"},
	{"GrantAuthorizationMethodMismatch", "the grant's scope is for other messages; the grantor sees its scope with: dwn grant list"},
	{"ScopeProtocolMismatch", "the protocol is outside the grant's scope; the grantor sees it with: dwn grant list"},
	{"ProtocolScopeMismatch", "the protocol is outside the grant's scope; the grantor sees it with: dwn grant list"},
	{"ScopeContextIdMismatch", "the record is outside the grant's context; the grantor sees the scope with: dwn grant list"},
	{"ScopeProtocolPathMismatch", "the protocol path is outside the grant's scope; the grantor sees it with: dwn grant list"},
	{"ConditionPublicationRequired", "the grant allows published records only: add --published"},
	{"ConditionPublicationProhibited", "the grant allows unpublished records only: drop --published"},
	{"DelegatedGrantNotADelegatedGrant", "this grant is not delegated: invoke it by its record ID with --grant ID instead"},
	{"DelegatedGrantGrantedToAnd", "the delegated grant is for another DID; sign with the grantee's identity (--identity FILE)"},
	{"DelegatedGrantCidMismatch", "the delegated grant file was altered; ask the grantor to export it again (dwn grant export ID)"},
	{"PermissionGrantDataMismatch", "the delegated grant file was altered; ask the grantor to export it again (dwn grant export ID)"},
}

// grantHint returns the hint for a grant error's detail, "" if it is not one.
func grantHint(detail string) string {
	for _, h := range grantHints {
		if strings.Contains(detail, h.code) {
			return h.hint
		}
	}
	return ""
}

func cmdGrant(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 {
		return withHint(usageErrorf("grant needs a subcommand: create, list, revoke or export"), "see them with: dwn help grant")
	}
	switch args[0] {
	case "create":
		return cmdGrantCreate(ctx, e, args[1:])
	case "list":
		return cmdGrantList(ctx, e, args[1:])
	case "revoke":
		return cmdGrantRevoke(ctx, e, args[1:])
	case "export":
		return cmdGrantExport(ctx, e, args[1:])
	case "-h", "-help", "--help":
		w := e.stdout
		fmt.Fprintln(w, "usage: dwn grant create --to DID --scope INTERFACE:METHOD [flags]   give DID a permission grant on your DWN")
		fmt.Fprintln(w, "       dwn grant list [--to DID] [--revoked] [flags]               list the grants in your DWN")
		fmt.Fprintln(w, "       dwn grant revoke ID [--description TEXT] [flags]             revoke a grant")
		fmt.Fprintln(w, "       dwn grant export ID [flags] > FILE                           write a delegated grant for its delegate")
		fmt.Fprintln(w, "\nA grantee invokes a grant with --grant ID on write, update, query, read, delete and protocol;")
		fmt.Fprintln(w, "a delegate (e.g. an app key) signs as the grantor with --delegated-grant FILE.")
		fmt.Fprintln(w, "Run 'dwn grant create -h' (or list, revoke, export) for their flags.")
		return nil
	}
	return withHint(usageErrorf("unknown grant subcommand %q: use create, list, revoke or export", args[0]), "see them with: dwn help grant")
}

// noArgs returns a usage error of cmd if there are positional arguments.
func noArgs(cmd string, pos []string) error {
	if len(pos) > 0 {
		return usageError(cmd, fmt.Errorf("unexpected argument %q", pos[0]))
	}
	return nil
}

func cmdGrantCreate(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "grant create", "--to DID --scope INTERFACE:METHOD [flags]",
		"Gives DID a permission grant on your DWN, signed by your identity, and prints its record ID.\n"+
			"The grantee invokes it with --grant ID; a --delegated grant lets the grantee sign as you\n"+
			"(hand it over with dwn grant export). Revoke it with dwn grant revoke ID.")
	var c conn
	c.registerOwn(fs, e)
	var f grantCreateFlags
	f.register(fs)
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if err := noArgs("grant create", pos); err != nil {
		return err
	}
	g, err := f.build(time.Now())
	if err != nil {
		return usageError("grant create", err)
	}
	s, err := c.open(e, "grant create", false)
	if err != nil {
		return err
	}
	msg, data, err := builder.PermissionGrant(g, s.signer)
	if err != nil {
		return err
	}
	rep, err := s.do(ctx, msg.JSON, bytes.NewReader(data), int64(len(data)), "grant create")
	if err != nil {
		return err
	}
	id := msg.RecordID
	fmt.Fprintln(e.stdout, id)
	kind := "grant"
	if g.Delegated {
		kind = "delegated grant"
	}
	fmt.Fprintf(e.stderr, "%s of %s to %s, expires %s (in %s)\n", kind, scopeText(g.Scope), g.Grantee,
		builder.Timestamp(g.Expires), approx(g.Expires.Sub(g.Time)))
	printStatus(e, rep)
	if g.Delegated {
		fmt.Fprintf(e.stderr, "next: hand the grant to the delegate (only %s can use it):\n", g.Grantee)
		fmt.Fprintf(e.stderr, "  dwn grant export %s > grant.json\n", id)
		if use := grantUse(g.Scope, "", "--delegated-grant grant.json"); use != "" {
			fmt.Fprintf(e.stderr, "then the delegate signs as you with, e.g.:\n  %s\n", use)
		}
		return nil
	}
	if use := grantUse(g.Scope, s.target, "--grant "+id); use != "" {
		fmt.Fprintf(e.stderr, "next: the grantee invokes the grant on your DWN with, e.g.:\n  %s\n", use)
	} else {
		fmt.Fprintf(e.stderr, "next: the grantee's client invokes the grant by putting permissionGrantId %s in its signature\n", id)
	}
	return nil
}

// revocations returns the messageTimestamp of the oldest revocation of each revoked
// grant in the session's DWN, by grant record ID; with grantID, of that grant only.
func (s *session) revocations(ctx context.Context, grantID string) (map[string]string, error) {
	f := map[string]any{"protocol": builder.PermissionsProtocol, "protocolPath": revocationPath}
	if grantID != "" {
		f["parentId"] = grantID
	}
	out := map[string]string{}
	_, err := s.query(ctx, builder.Query{Filter: f}, true, func(raw json.RawMessage) error {
		var en struct {
			Descriptor struct {
				ParentID         string `json:"parentId"`
				MessageTimestamp string `json:"messageTimestamp"`
			} `json:"descriptor"`
		}
		if err := json.Unmarshal(raw, &en); err != nil {
			return fmt.Errorf("the DWN returned an invalid entry: %v", err)
		}
		d := en.Descriptor
		if old, ok := out[d.ParentID]; !ok || d.MessageTimestamp < old {
			out[d.ParentID] = d.MessageTimestamp
		}
		return nil
	})
	return out, err
}

func cmdGrantList(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "grant list", "[--to DID] [--revoked] [flags]",
		"Lists the grants in your DWN, one a line, tab-separated: record ID, grantee, scope, expiry,\n"+
			"state (active, expired, or revoked with the revocation's time) and, for delegated\n"+
			"grants, \"delegated\". Revoked grants are listed with --revoked only.")
	var c conn
	c.registerOwn(fs, e)
	to := fs.String("to", "", "only the grants to this `DID`")
	revoked := fs.Bool("revoked", false, "list revoked grants too")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if err := noArgs("grant list", pos); err != nil {
		return err
	}
	s, err := c.open(e, "grant list", false)
	if err != nil {
		return err
	}
	revs, err := s.revocations(ctx, "")
	if err != nil {
		return err
	}
	f := map[string]any{"protocol": builder.PermissionsProtocol, "protocolPath": grantPath}
	if *to != "" {
		f["recipient"] = *to
	}
	now := builder.Timestamp(time.Now())
	listed, hidden := 0, 0
	_, err = s.query(ctx, builder.Query{Filter: f}, true, func(raw json.RawMessage) error {
		gr, err := grantFromJSON(raw)
		if err != nil {
			return fmt.Errorf("the DWN returned a grant entry that is not valid: %v", err)
		}
		at, isRevoked := revs[gr.msg.RecordID]
		if isRevoked && !*revoked {
			hidden++
			return nil
		}
		line := strings.Join([]string{gr.msg.RecordID, gr.grantee, scopeText(gr.info.Scope),
			"expires " + gr.info.DateExpires, gr.state(at, now)}, "\t")
		if gr.info.Delegated {
			line += "\tdelegated"
		}
		if c := gr.info.Conditions; c != nil && c.Publication != "" {
			line += "\tpublication " + c.Publication
		}
		fmt.Fprintln(e.stdout, line)
		listed++
		return nil
	})
	if err != nil {
		return err
	}
	if hidden > 0 {
		fmt.Fprintf(e.stderr, "%d revoked grant(s) not shown; list them with: dwn grant list --revoked\n", hidden)
	} else if listed == 0 {
		fmt.Fprintln(e.stderr, "no grants (give one with: dwn grant create --to DID --scope Records:Write --protocol URI)")
	}
	return nil
}

// readGrant reads the grant with record ID id from the session's DWN, with its data.
func (s *session) readGrant(ctx context.Context, id string) (*grantRecord, error) {
	msg, err := builder.RecordsRead(id, s.signer)
	if err != nil {
		return nil, err
	}
	rep, rc, err := s.send(ctx, msg.JSON, nil, 0)
	if err != nil {
		return nil, err
	}
	if rc != nil {
		defer rc.Close()
	}
	if rep.Status.Code == 404 {
		return nil, withHint(fmt.Errorf("no grant %s in your DWN: %w", id, &statusError{Code: 404, Detail: rep.Status.Detail}),
			"list your grants with: dwn grant list --revoked")
	}
	if err := s.checkStatus(rep, "read grant "+id); err != nil {
		return nil, err
	}
	en, err := decodeEntry(rep.Entry)
	if err != nil {
		return nil, err
	}
	var data []byte
	if rc != nil {
		if data, err = io.ReadAll(io.LimitReader(rc, maxGrantSize+1)); err != nil {
			return nil, fmt.Errorf("read grant %s: %w", id, err)
		}
	}
	if len(data) > maxGrantSize {
		return nil, fmt.Errorf("record %s is not a permission grant: its data is over %d bytes", id, maxGrantSize)
	}
	gr, err := newGrantRecord(en.RecordsWrite, data)
	if err != nil {
		return nil, withHint(fmt.Errorf("record %s: %v", id, err), "give the record ID of a grant, as dwn grant create or dwn grant list prints it")
	}
	return gr, nil
}

// grantCommand adds the connection flags to fs, the flags of a grant subcommand that
// takes one grant ID, parses args, opens the identity's own DWN and reads that grant.
func grantCommand(ctx context.Context, e *env, fs *flagSet, args []string) (*session, *grantRecord, error) {
	var c conn
	c.registerOwn(fs, e)
	pos, err := parseArgs(fs, args)
	if err != nil {
		return nil, nil, err
	}
	if len(pos) != 1 {
		return nil, nil, withHint(usageError(fs.cmd, fmt.Errorf("%s needs one grant record ID", fs.cmd)),
			"list your grants with: dwn grant list")
	}
	s, err := c.open(e, fs.cmd, false)
	if err != nil {
		return nil, nil, err
	}
	gr, err := s.readGrant(ctx, pos[0])
	return s, gr, err
}

func cmdGrantRevoke(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "grant revoke", "ID [--description TEXT] [flags]",
		"Revokes the grant with record ID ID: messages timestamped from now on cannot invoke it.")
	desc := fs.String("description", "", "why the grant is revoked, for the grantee")
	s, gr, err := grantCommand(ctx, e, fs, args)
	if err != nil {
		return err
	}
	id := gr.msg.RecordID
	revs, err := s.revocations(ctx, id)
	if err != nil {
		return err
	}
	if at, ok := revs[id]; ok {
		return withHint(fmt.Errorf("grant %s was revoked already, at %s", id, at), "see your grants with: dwn grant list --revoked")
	}
	msg, data, err := builder.PermissionRevocation(gr.msg, gr.info.Scope.Protocol, *desc, time.Time{}, s.signer)
	if err != nil {
		return err
	}
	rep, err := s.do(ctx, msg.JSON, bytes.NewReader(data), int64(len(data)), "revoke "+id)
	if err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, msg.RecordID)
	fmt.Fprintf(e.stderr, "revoked grant %s of %s to %s\n", id, scopeText(gr.info.Scope), gr.grantee)
	printStatus(e, rep)
	return nil
}

func cmdGrantExport(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "grant export", "ID [flags] > FILE",
		"Prints the delegated grant with record ID ID as JSON (the grant's message with its data as\n"+
			"encodedData). Its delegate passes the file with --delegated-grant FILE. The file holds no\n"+
			"secret: only the grantee's key can sign under it.")
	_, gr, err := grantCommand(ctx, e, fs, args)
	if err != nil {
		return err
	}
	if !gr.info.Delegated {
		return withHint(fmt.Errorf("grant %s is not delegated: its grantee invokes it by its record ID", gr.msg.RecordID),
			"the grantee uses: --grant "+gr.msg.RecordID+" --target "+gr.grantor,
			"for a grant a delegate signs under, create one with: dwn grant create --delegated ...")
	}
	b, err := json.MarshalIndent(gr.msg.WithEncodedData(gr.data), "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(e.stdout, "%s\n", b)
	return err
}
