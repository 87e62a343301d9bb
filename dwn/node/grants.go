package node

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"

	"github.com/dwn-ipfs/dwn-ipfs/dwn"
	"github.com/dwn-ipfs/dwn-ipfs/gateway/importer"
	"github.com/dwn-ipfs/dwn-ipfs/protocols"
)

// The built-in permissions protocol (dwn-protocol.md §9). Its definition is fixed: a
// tenant never configures it, and configuring its URI changes nothing about how its
// records are authorized.
const (
	permissionsProtocol = "https://tbd.website/dwn/permissions"
	requestPath         = "request"
	grantPath           = "grant"
	revocationPath      = "grant/revocation"
)

// permissionsDefinition is the permissions protocol's fixed definition, in the key
// order the reference declares it.
const permissionsDefinition = `{"published":true,"protocol":"https://tbd.website/dwn/permissions",
"types":{"request":{"dataFormats":["application/json"]},"grant":{"dataFormats":["application/json"]},
"revocation":{"dataFormats":["application/json"]}},
"structure":{"request":{"$size":{"max":10000},"$actions":[{"who":"anyone","can":["create"]}]},
"grant":{"$size":{"max":10000},"$actions":[{"who":"recipient","of":"grant","can":["read","query"]}],
"revocation":{"$size":{"max":10000},"$actions":[{"who":"anyone","can":["read"]}]}}}}`

func parsePermissionsDefinition() (*protocols.Definition, error) {
	def, err := protocols.ParseDefinition([]byte(permissionsDefinition))
	if err != nil {
		return nil, err
	}
	return def, def.Validate()
}

// grant is a permission grant: a RecordsWrite at the permissions protocol's grant path,
// or the same message embedded in a message as a delegated grant.
type grant struct {
	id          string // recordId of the grant
	grantor     string // signer of the grant
	grantee     string // recipient of the grant
	dateGranted string // dateCreated of the grant
	data        grantData
}

// grantData is the JSON data of a grant (the PermissionGrantData schema).
type grantData struct {
	DateExpires string     `json:"dateExpires"`
	Delegated   bool       `json:"delegated"`
	Scope       grantScope `json:"scope"`
	Conditions  *struct {
		Publication string `json:"publication"`
	} `json:"conditions"`
}

// grantScope is what a grant allows. Absent optional properties are nil: the reference
// compares them with undefined.
type grantScope struct {
	Interface    string  `json:"interface"`
	Method       string  `json:"method"`
	Protocol     *string `json:"protocol"`
	ContextID    *string `json:"contextId"`
	ProtocolPath *string `json:"protocolPath"`
}

// parseGrant makes a grant of a grant's RecordsWrite and its data.
func parseGrant(m *dwn.Message, data []byte) (*grant, error) {
	g := &grant{id: m.RecordID, grantee: m.Descriptor.Recipient, dateGranted: m.Descriptor.DateCreated}
	if a := m.Authorization; a != nil && a.Signature != nil && len(a.Signature.Signatures) > 0 {
		g.grantor = signerOf(a.Signature.Signatures[0].Protected)
	}
	if err := json.Unmarshal(data, &g.data); err != nil {
		return nil, dwn.Errorf(dwn.Invalid, "PermissionGrantInvalid",
			"the data of permission grant %s is not a permission grant", truncate(g.id, 100))
	}
	return g, nil
}

// delegation is a delegated grant embedded in a message's authorization
// (authorDelegatedGrant or ownerDelegatedGrant).
type delegation struct {
	req   *request // the grant's RecordsWrite, without its encodedData
	cid   string   // its message CID, which the delegate's signature names
	data  []byte   // its data, from encodedData
	grant *grant
}

// parseDelegation decodes a delegated grant. Its integrity and signature are checked
// later, by authenticateDelegation, as the reference checks them when authenticating.
func parseDelegation(raw json.RawMessage) (*delegation, error) {
	bad := func(what string) error {
		return dwn.Errorf(dwn.Invalid, "PermissionGrantInvalid", "the delegated grant %s", what)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil || m == nil {
		return nil, bad("is not a JSON object")
	}
	enc, _ := m["encodedData"].(string)
	delete(m, "encodedData")
	dg := &delegation{req: &request{raw: m}}
	if err := json.Unmarshal(raw, &dg.req.msg); err != nil {
		return nil, bad("is not a RecordsWrite")
	}
	var err error
	if dg.data, err = base64.RawURLEncoding.DecodeString(enc); err != nil {
		return nil, bad("has encodedData that is not base64url")
	}
	if dg.cid, err = dwn.ComputeCID(m); err != nil {
		return nil, bad("cannot be encoded")
	}
	if dg.grant, err = parseGrant(&dg.req.msg, dg.data); err != nil {
		return nil, err
	}
	return dg, nil
}

// delegate applies the delegated grant raw (possibly empty) to the signature sig made
// under it: sig then speaks for the grantor.
func delegate(sig *signed, raw json.RawMessage) error {
	if len(raw) == 0 || sig == nil {
		return nil
	}
	dg, err := parseDelegation(raw)
	if err != nil {
		return err
	}
	sig.delegation, sig.author = dg, dg.grant.grantor
	return nil
}

// checkDelegation is the reference's Records.validateDelegatedGrantReferentialIntegrity
// for one signature (who is "Author" or "Owner"; sig may be nil): a delegated grant and
// the signature's delegatedGrantId come together, the grant is delegated, was granted to
// the signer, and is the one the signer named.
func checkDelegation(sig *signed, raw json.RawMessage, who string) error {
	var idDefined bool
	if sig != nil {
		_, idDefined = sig.payload["delegatedGrantId"]
	}
	lower := strings.ToLower(who)
	if idDefined != (len(raw) > 0) {
		return dwn.Errorf(dwn.Invalid, "Records"+who+"DelegatedGrantAndIdExistenceMismatch",
			"delegatedGrantId in %s signature and %sDelegatedGrant must both exist or be undefined", lower, lower)
	}
	if sig == nil || sig.delegation == nil {
		return nil
	}
	dg := sig.delegation
	if !dg.grant.data.Delegated {
		// The reference says "owner" for both kinds.
		return dwn.Errorf(dwn.Invalid, "Records"+who+"DelegatedGrantNotADelegatedGrant",
			"The owner delegated grant given is not a delegated grant.")
	}
	sigName := "message"
	if who == "Owner" {
		sigName = "owner"
	}
	if dg.grant.grantee != sig.signer {
		return dwn.Errorf(dwn.Invalid, "Records"+who+"DelegatedGrantGrantedToAndOwnerSignatureMismatch",
			"grantedTo %s in %s delegated grant must be the same as the signer %s of the %s signature.",
			truncate(dg.grant.grantee, 200), lower, truncate(sig.signer, 200), sigName)
	}
	if dg.cid != sig.str("delegatedGrantId") {
		// The spaces are the reference's: its message continues a source line.
		return dwn.Errorf(dwn.Invalid, "Records"+who+"DelegatedGrantCidMismatch",
			"CID of the %s delegated grant %s must be the same as           the delegatedGrantId %s in the %s signature.",
			lower, dg.cid, truncate(sig.str("delegatedGrantId"), 100), sigName)
	}
	return nil
}

// delegatedRecords applies and checks the author-delegated grant of a Records message
// other than RecordsWrite.
func delegatedRecords(r *request, sig *signed) error {
	if r.msg.Authorization == nil {
		return nil
	}
	raw := r.msg.Authorization.AuthorDelegatedGrant
	if err := delegate(sig, raw); err != nil {
		return err
	}
	return checkDelegation(sig, raw, "Author")
}

// invokedGrant returns the grant a non-delegated message invokes with
// permissionGrantId, or an authorization (401) error.
func (n *Node) invokedGrant(ctx context.Context, tenant string, sig *signed) (*grant, error) {
	g, err := n.fetchGrant(ctx, tenant, sig.str("permissionGrantId"))
	return g, unauthorized(err)
}

// checkRecordGrant is the reference's RecordsGrantAuthorization.authorizeWrite (write
// true) and authorizeRead: the grant's base checks, then its scope against the record,
// then for writes its conditions.
func (n *Node) checkRecordGrant(ctx context.Context, g *grant, grantor, grantee string, d *dwn.Descriptor, rec scopedRecord, write, published bool) error {
	if err := n.checkGrant(ctx, g, grantor, grantee, d); err != nil {
		return err
	}
	if err := checkRecordScope(g, rec); err != nil {
		return err
	}
	if write {
		return checkConditions(g, published)
	}
	return nil
}

// authenticateDelegation checks a delegated grant as the reference does while
// authenticating (RecordsWrite.parse of the grant, then its signature), and also that
// its data is the data its grantor signed: the reference does not bind encodedData to
// the signed dataCid, which would let a delegate rewrite the scope of any grant made to
// it. Errors are 401s.
func (n *Node) authenticateDelegation(ctx context.Context, dg *delegation) error {
	w, err := n.parseRecordsWrite(dg.req)
	if err != nil {
		return unauthorized(err)
	}
	d := &dg.req.msg.Descriptor
	if got := importer.Sum(dg.data).String(); got != d.DataCID || int64(len(dg.data)) != d.DataSize {
		return dwn.Errorf(dwn.Unauthorized, "PermissionGrantDataMismatch",
			"the encodedData of the delegated grant is not the data its grantor signed (dataCid %s)", truncate(d.DataCID, 100))
	}
	return unauthorized(n.authenticate(ctx, w.sig))
}

func grantMissing(id string) error {
	return dwn.Errorf(dwn.Invalid, "GrantAuthorizationGrantMissing",
		"Could not find permission grant with record ID %s.", truncate(id, 100))
}

// fetchGrant returns the newest state of the grant with record ID id in the tenant's
// store (the reference's PermissionsProtocol.fetchGrant): 400 GrantAuthorizationGrantMissing
// unless it is a RecordsWrite with data at the permissions protocol's grant path.
// Callers in an authorization phase turn the 400 into 401.
func (n *Node) fetchGrant(ctx context.Context, tenant, id string) (*grant, error) {
	st, err := n.store.Record(ctx, tenant, id)
	if dwn.KindOf(err) == dwn.NotFound {
		return nil, grantMissing(id)
	}
	if err != nil {
		return nil, err
	}
	if !st.Queryable || st.NewestIsDelete {
		return nil, grantMissing(id)
	}
	m, err := n.store.Message(ctx, tenant, st.NewestCID)
	if err != nil {
		return nil, err
	}
	// The reference looks at the protocol path only; a record of another protocol at a
	// path named "grant" is not a grant here.
	if m.Indexes["protocolPath"] != grantPath || m.Indexes["protocol"] != permissionsProtocol || m.EncodedData == nil {
		return nil, grantMissing(id)
	}
	var gm dwn.Message
	if err := json.Unmarshal(m.JSON, &gm); err != nil {
		return nil, dwn.Wrap("node.fetchGrant", err)
	}
	return parseGrant(&gm, m.EncodedData)
}

// checkGrant is the reference's GrantAuthorization.performBaseValidation: the grant was
// given by grantor to grantee, was active at the message's timestamp and not revoked
// before it, and is for the message's interface and method. Revocations are looked up
// in the grantor's records.
func (n *Node) checkGrant(ctx context.Context, g *grant, grantor, grantee string, d *dwn.Descriptor) error {
	if grantee != g.grantee {
		return dwn.Errorf(dwn.Unauthorized, "GrantAuthorizationNotGrantedToAuthor",
			"Permission grant is granted to %s, but need to be granted to %s", truncate(g.grantee, 200), truncate(grantee, 200))
	}
	if grantor != g.grantor {
		return dwn.Errorf(dwn.Unauthorized, "GrantAuthorizationNotGrantedForTenant",
			"Permission grant is granted by %s, but need to be granted by %s", truncate(g.grantor, 200), truncate(grantor, 200))
	}
	ts := d.MessageTimestamp
	if ts < g.dateGranted {
		return dwn.Errorf(dwn.Unauthorized, "GrantAuthorizationGrantNotYetActive",
			"The message has a timestamp before the associated permission grant becomes active")
	}
	if g.data.DateExpires != "" && ts >= g.data.DateExpires {
		return dwn.Errorf(dwn.Unauthorized, "GrantAuthorizationGrantExpired",
			"The message has timestamp after the expiry of the associated permission grant")
	}
	revoked, err := n.revokedAt(ctx, grantor, g.id)
	if err != nil {
		return err
	}
	if revoked != "" && revoked <= ts {
		return dwn.Errorf(dwn.Unauthorized, "GrantAuthorizationGrantRevoked",
			"Permission grant with CID %s has been revoked", truncate(g.id, 100))
	}
	if d.Interface != g.data.Scope.Interface {
		return dwn.Errorf(dwn.Unauthorized, "GrantAuthorizationInterfaceMismatch",
			"DWN Interface of incoming message is outside the scope of permission grant with ID %s", truncate(g.id, 100))
	}
	if d.Method != g.data.Scope.Method {
		return dwn.Errorf(dwn.Unauthorized, "GrantAuthorizationMethodMismatch",
			"DWN Method of incoming message is outside the scope of permission grant with ID %s", truncate(g.id, 100))
	}
	return nil
}

// maxRevocations bounds the revocations of one grant looked at; a grant has one in
// practice.
const maxRevocations = 1000

// revokedAt returns the messageTimestamp of the oldest revocation of a grant in the
// tenant's records, "" if it has none.
func (n *Node) revokedAt(ctx context.Context, tenant, grantID string) (string, error) {
	f := dwn.Filter{Equal: map[string]any{"parentId": grantID, "protocolPath": revocationPath}}
	page, err := n.store.QueryRecords(ctx, tenant, &dwn.Query{Filters: []dwn.Filter{f}, Limit: maxRevocations, AllIndexes: true})
	if err != nil {
		return "", err
	}
	oldest := ""
	for _, e := range page.Entries {
		if ts, _ := e.Indexes["messageTimestamp"].(string); ts != "" && (oldest == "" || ts < oldest) {
			oldest = ts
		}
	}
	return oldest, nil
}

// scopedRecord is what a Records grant's scope is checked against: the record written
// or read.
type scopedRecord struct {
	protocol, protocolPath, contextID string
}

func scopedRecordOf(ix dwn.Indexes) scopedRecord {
	s := func(k string) string { v, _ := ix[k].(string); return v }
	return scopedRecord{protocol: s("protocol"), protocolPath: s("protocolPath"), contextID: s("contextId")}
}

// checkRecordScope is the reference's RecordsGrantAuthorization.verifyScope.
func checkRecordScope(g *grant, rec scopedRecord) error {
	s := &g.data.Scope
	if !optionalEqual(s.Protocol, rec.protocol) {
		return dwn.Errorf(dwn.Unauthorized, "RecordsGrantAuthorizationScopeProtocolMismatch",
			"Grant scope specifies different protocol than what appears in the record")
	}
	if s.ContextID != nil && (rec.contextID == "" || !strings.HasPrefix(rec.contextID, *s.ContextID)) {
		return dwn.Errorf(dwn.Unauthorized, "RecordsGrantAuthorizationScopeContextIdMismatch",
			"Grant scope specifies different contextId than what appears in the record")
	}
	if s.ProtocolPath != nil && *s.ProtocolPath != rec.protocolPath {
		return dwn.Errorf(dwn.Unauthorized, "RecordsGrantAuthorizationScopeProtocolPathMismatch",
			"Grant scope specifies different protocolPath than what appears in the record")
	}
	return nil
}

// optionalEqual compares an optional scope property with a message property ("" when
// absent) the way JavaScript's !== compares them.
func optionalEqual(scope *string, v string) bool {
	if scope == nil {
		return v == ""
	}
	return v != "" && *scope == v
}

// checkConditions is the reference's RecordsGrantAuthorization.verifyConditions.
func checkConditions(g *grant, published bool) error {
	if g.data.Conditions == nil {
		return nil
	}
	switch g.data.Conditions.Publication {
	case "Required":
		if !published {
			return dwn.Errorf(dwn.Unauthorized, "RecordsGrantAuthorizationConditionPublicationRequired",
				"Permission grant requires message to be published")
		}
	case "Prohibited":
		if published {
			return dwn.Errorf(dwn.Unauthorized, "RecordsGrantAuthorizationConditionPublicationProhibited",
				"Permission grant prohibits message from being published")
		}
	}
	return nil
}

// checkQueryScope: a grant that names a protocol is only for queries and subscriptions
// of that protocol.
func checkQueryScope(g *grant, protocol string) error {
	if p := g.data.Scope.Protocol; p != nil && *p != protocol {
		return dwn.Errorf(dwn.Unauthorized, "RecordsGrantAuthorizationQueryOrSubscribeProtocolScopeMismatch",
			"Grant protocol scope %s does not match protocol in message %s", truncate(*p, 200), orUndefined(protocol))
	}
	return nil
}

// checkDeleteScope: a grant that names a protocol is only for deletes of records of
// that protocol.
func checkDeleteScope(g *grant, protocol string) error {
	if p := g.data.Scope.Protocol; p != nil && *p != protocol {
		return dwn.Errorf(dwn.Unauthorized, "RecordsGrantAuthorizationDeleteProtocolScopeMismatch",
			"Grant protocol scope %s does not match protocol in record to delete %s", truncate(*p, 200), orUndefined(protocol))
	}
	return nil
}

// orUndefined shows an absent property as JavaScript prints it.
func orUndefined(s string) string {
	if s == "" {
		return "undefined"
	}
	return truncate(s, 200)
}

// checkPermissionRecord validates the data of a request, grant or revocation written to
// the permissions protocol (the reference's PermissionsProtocol.validateSchema): its
// JSON Schema, then for requests and grants the scope's protocol tag and properties.
func (n *Node) checkPermissionRecord(d *dwn.Descriptor, data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var obj any
	if err := dec.Decode(&obj); err != nil {
		return dwn.Errorf(dwn.Invalid, "PermissionsProtocolValidateSchemaInvalidJson", "the data of a permission record must be JSON")
	}
	var schema string
	switch d.ProtocolPath {
	case requestPath:
		schema = "PermissionRequestData"
	case grantPath:
		schema = "PermissionGrantData"
	case revocationPath:
		return n.schemas.Validate("PermissionRevocationData", obj)
	default:
		return dwn.Errorf(dwn.Invalid, "PermissionsProtocolValidateSchemaUnexpectedRecord",
			"Unexpected permission record: %s", truncate(d.ProtocolPath, 100))
	}
	if err := n.schemas.Validate(schema, obj); err != nil {
		return err
	}
	var v grantData
	if err := json.Unmarshal(data, &v); err != nil {
		return dwn.Errorf(dwn.Invalid, "PermissionsProtocolValidateSchemaInvalidJson", "the data of a permission record must be JSON")
	}
	if p := v.Scope.Protocol; p != nil {
		if err := dwn.CheckProtocolURL(*p); err != nil {
			return err
		}
		tag, ok := d.Tags["protocol"]
		if !ok {
			return dwn.Errorf(dwn.Invalid, "PermissionsProtocolValidateScopeMissingProtocolTag",
				"Permission grants must have a `tags` property that contains a protocol tag")
		}
		if s, _ := tag.(string); s != *p {
			return dwn.Errorf(dwn.Invalid, "PermissionsProtocolValidateScopeProtocolMismatch",
				"Permission grants must have a scope with a protocol that matches the tagged protocol: %s", jsText(tag))
		}
	}
	if v.Scope.Interface == dwn.InterfaceRecords && v.Scope.ContextID != nil && v.Scope.ProtocolPath != nil {
		return dwn.Errorf(dwn.Invalid, "PermissionsProtocolValidateScopeContextIdProhibitedProperties",
			"Permission grants cannot have both `contextId` and `protocolPath` present")
	}
	if schema == "PermissionGrantData" {
		return checkTimestamp(v.DateExpires)
	}
	return nil
}

// checkRevocation is the reference's preProcessingForCoreRecordsWrite: a revocation's
// protocol tag must be its grant's scope protocol.
func (n *Node) checkRevocation(ctx context.Context, tenant string, d *dwn.Descriptor) error {
	g, err := n.fetchGrant(ctx, tenant, d.ParentID)
	if err != nil {
		return err
	}
	tag, hasTag := d.Tags["protocol"]
	p := g.data.Scope.Protocol
	same := (p == nil && !hasTag) || (p != nil && hasTag && tag == any(*p))
	if !same {
		want := "undefined"
		if p != nil {
			want = truncate(*p, 200)
		}
		got := "undefined"
		if hasTag {
			got = jsText(tag)
		}
		return dwn.Errorf(dwn.Invalid, "PermissionsProtocolValidateRevocationProtocolTagMismatch",
			"Revocation protocol %s does not match grant protocol %s", got, want)
	}
	return nil
}
