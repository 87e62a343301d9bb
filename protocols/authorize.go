package protocols

import (
	"context"
	"slices"
	"strings"

	"github.com/dwn-ipfs/dwn-ipfs/dwn"
)

// Record is what the rule engine needs to know of a record's write.
type Record struct {
	RecordID     string
	Author       string
	Recipient    string
	ProtocolPath string
	ContextID    string
	ParentID     string
}

// Store is the engine's view of a tenant's records. Every method is a point lookup or an
// index seek: authorization never scans.
type Store interface {
	// InitialWrite returns the initial write of a record, nil when there is none.
	InitialWrite(ctx context.Context, recordID string) (*Record, error)
	// LatestWrite returns the newest write of a record in protocol if it is the record's
	// queryable state (isLatestBaseState), nil otherwise.
	LatestWrite(ctx context.Context, protocol, recordID string) (*Record, error)
	// RoleRecords returns the recordIds of queryable writes in protocol at protocolPath
	// whose recipient is recipient and whose contextId starts with contextPrefix ("":
	// any), at most limit of them.
	RoleRecords(ctx context.Context, protocol, protocolPath, recipient, contextPrefix string, limit int) ([]string, error)
}

// Write is a RecordsWrite as the engine sees it.
type Write struct {
	Protocol     string
	ProtocolPath string
	Schema       string
	DataFormat   string
	DataSize     int64
	Tags         map[string]any
	RecordID     string
	ContextID    string
	ParentID     string
	Recipient    string
	// Author is the signer's DID; Role the invoked protocolRole ("" for none).
	Author string
	Role   string
	// IsInitial is true for the record's initial write.
	IsInitial bool
}

// typeName is the last segment of a protocol path.
func typeName(protocolPath string) string {
	return protocolPath[strings.LastIndexByte(protocolPath, '/')+1:]
}

// continuation is the indentation that a line continuation inside the reference's
// template literals leaves in two of its messages.
const continuation = "        "

// CheckWrite applies the reference's referential-integrity checks to a protocol write
// (ProtocolAuthorization.validateReferentialIntegrity), in its order: declared type,
// schema and data format; protocol path and contextId against the parent; rule set;
// role record rules; $size; $tags. Failures are 400s.
func CheckWrite(ctx context.Context, s Store, d *Definition, w *Write) error {
	name := typeName(w.ProtocolPath)
	t, ok := d.Types[name]
	if !ok {
		return dwn.Errorf(dwn.Invalid, "ProtocolAuthorizationInvalidType", "record with type %s not allowed in protocol", name)
	}
	if t.Schema != "" && t.Schema != w.Schema {
		return dwn.Errorf(dwn.Invalid, "ProtocolAuthorizationInvalidSchema",
			"type '%s' must have schema '%s', %sinstead has '%s'", name, t.Schema, continuation, jsOptional(w.Schema))
	}
	if t.DataFormats != nil && !slices.Contains(t.DataFormats, w.DataFormat) {
		return dwn.Errorf(dwn.Invalid, "ProtocolAuthorizationIncorrectDataFormat",
			"type '%s' must have data format in (%s), %sinstead has '%s'", name, strings.Join(t.DataFormats, ","), continuation, w.DataFormat)
	}
	if err := checkPath(ctx, s, w); err != nil {
		return err
	}
	rs, err := ruleSet(d, w.ProtocolPath)
	if err != nil {
		return err
	}
	if rs.Role {
		if err := checkRoleRecord(ctx, s, w); err != nil {
			return err
		}
	}
	if err := checkSize(rs, w.DataSize); err != nil {
		return err
	}
	return VerifyTags(rs.Tags, w.Protocol, w.ProtocolPath, w.Tags)
}

func ruleSet(d *Definition, protocolPath string) (*RuleSet, error) {
	rs := d.At(protocolPath)
	if rs == nil {
		return nil, dwn.Errorf(dwn.Invalid, "ProtocolAuthorizationMissingRuleSet", "No rule set defined for protocolPath %s", protocolPath)
	}
	return rs, nil
}

// checkPath verifies protocolPath and contextId against the parent record.
func checkPath(ctx context.Context, s Store, w *Write) error {
	name := typeName(w.ProtocolPath)
	if w.ParentID == "" {
		if w.ProtocolPath != name {
			return dwn.Errorf(dwn.Invalid, "ProtocolAuthorizationParentlessIncorrectProtocolPath",
				"Declared protocol path '%s' is not valid for records with no parent'.", w.ProtocolPath)
		}
		return nil
	}
	parent, err := s.LatestWrite(ctx, w.Protocol, w.ParentID)
	if err != nil {
		return err
	}
	if parent == nil || parent.ProtocolPath+"/"+name != w.ProtocolPath {
		return dwn.Errorf(dwn.Invalid, "ProtocolAuthorizationIncorrectProtocolPath",
			"Could not find matching parent record to verify declared protocol path '%s'.", w.ProtocolPath)
	}
	if want := parent.ContextID + "/" + w.RecordID; w.ContextID != want {
		return dwn.Errorf(dwn.Invalid, "ProtocolAuthorizationIncorrectContextId",
			"Declared contextId '%s' is not the same as expected: '%s'.", w.ContextID, want)
	}
	return nil
}

// parentContext is the contextId of a record's parent ("" for a root record).
func parentContext(contextID string) string {
	if i := strings.LastIndexByte(contextID, '/'); i >= 0 {
		return contextID[:i]
	}
	return ""
}

func checkRoleRecord(ctx context.Context, s Store, w *Write) error {
	if w.Recipient == "" {
		return dwn.Errorf(dwn.Invalid, "ProtocolAuthorizationRoleMissingRecipient", "Role records must have a recipient")
	}
	pc := parentContext(w.ContextID)
	ids, err := s.RoleRecords(ctx, w.Protocol, w.ProtocolPath, w.Recipient, pc, 2)
	if err != nil {
		return err
	}
	for _, id := range ids {
		if id != w.RecordID {
			return dwn.Errorf(dwn.Invalid, "ProtocolAuthorizationDuplicateRoleRecipient",
				"DID '%s' is already recipient of a role record at protocol path '%s under the parent context %s.",
				w.Recipient, w.ProtocolPath, pc)
		}
	}
	return nil
}

func checkSize(rs *RuleSet, size int64) error {
	var lo float64
	if rs.Size != nil {
		lo = rs.Size.Min
	}
	if float64(size) < lo {
		return dwn.Errorf(dwn.Invalid, "ProtocolAuthorizationMinSizeInvalid", "data size %d is less than allowed %s", size, jsNumber(lo))
	}
	if rs.Size != nil && rs.Size.HasMax && float64(size) > rs.Size.Max {
		return dwn.Errorf(dwn.Invalid, "ProtocolAuthorizationMaxSizeInvalid", "data size %d is more than allowed %s", size, jsNumber(rs.Size.Max))
	}
	return nil
}

// Access is a non-write message seeking access to a protocol record or path.
type Access struct {
	Method string // dwn.MethodRead, dwn.MethodQuery, dwn.MethodSubscribe or dwn.MethodDelete
	Author string // "" when unauthenticated
	Role   string // invoked protocolRole, "" for none
	Prune  bool   // a RecordsDelete with prune
}

// AuthorizeWrite applies the protocol's rules to a write by someone other than the
// tenant (ProtocolAuthorization.authorizeWrite): the invoked role, then the first
// $actions rule that allows it. Failures are 401s.
func AuthorizeWrite(ctx context.Context, s Store, d *Definition, w *Write) error {
	var chain []*Record
	var err error
	initial, err := s.InitialWrite(ctx, w.RecordID)
	if err != nil {
		return err
	}
	if initial == nil {
		chain, err = recordChain(ctx, s, w.ParentID)
	} else {
		chain, err = recordChain(ctx, s, w.RecordID)
	}
	if err != nil {
		return err
	}
	rs, err := ruleSet(d, w.ProtocolPath)
	if err != nil {
		return err
	}
	if err := verifyRole(ctx, s, d, w.Protocol, w.ContextID, w.Author, w.Role); err != nil {
		return err
	}
	var actions []string
	switch {
	case w.IsInitial:
		actions = []string{ActionCreate}
	case initial == nil:
	case w.Author == initial.Author:
		actions = []string{ActionCoUpdate, ActionUpdate}
	default:
		actions = []string{ActionCoUpdate}
	}
	target := &Record{RecordID: w.RecordID, Recipient: w.Recipient, ProtocolPath: w.ProtocolPath}
	return allowed(rs, dwn.MethodWrite, actions, w.Author, w.Role, target, chain)
}

// AuthorizeRecord applies the protocol's rules to a read or delete of the record whose
// newest write is newest (ProtocolAuthorization.authorizeRead / authorizeDelete).
func AuthorizeRecord(ctx context.Context, s Store, d *Definition, a *Access, protocol string, newest *Record) error {
	chain, err := recordChain(ctx, s, newest.RecordID)
	if err != nil {
		return err
	}
	rs, err := ruleSet(d, newest.ProtocolPath)
	if err != nil {
		return err
	}
	if err := verifyRole(ctx, s, d, protocol, newest.ContextID, a.Author, a.Role); err != nil {
		return err
	}
	var actions []string
	switch a.Method {
	case dwn.MethodRead:
		actions = []string{ActionRead}
	case dwn.MethodDelete:
		initial, err := s.InitialWrite(ctx, newest.RecordID)
		if err != nil {
			return err
		}
		if initial != nil {
			isAuthor := a.Author == initial.Author
			switch {
			case a.Prune && isAuthor:
				actions = []string{ActionCoPrune, ActionPrune}
			case a.Prune:
				actions = []string{ActionCoPrune}
			case isAuthor:
				actions = []string{ActionCoDelete, ActionDelete}
			default:
				actions = []string{ActionCoDelete}
			}
		}
	}
	var target *Record
	if len(chain) > 0 {
		target = chain[len(chain)-1]
	}
	return allowed(rs, a.Method, actions, a.Author, a.Role, target, chain)
}

// AuthorizeQuery applies the protocol's rules to a RecordsQuery or RecordsSubscribe
// whose filter names protocol and protocolPath (ProtocolAuthorization.
// authorizeQueryOrSubscribe); contextID is the filter's, "" when absent.
func AuthorizeQuery(ctx context.Context, s Store, d *Definition, a *Access, protocol, protocolPath, contextID string) error {
	rs, err := ruleSet(d, protocolPath)
	if err != nil {
		return err
	}
	if err := verifyRole(ctx, s, d, protocol, contextID, a.Author, a.Role); err != nil {
		return err
	}
	action := ActionQuery
	if a.Method == dwn.MethodSubscribe {
		action = ActionSubscribe
	}
	return allowed(rs, a.Method, []string{action}, a.Author, a.Role, nil, nil)
}

// recordChain returns the initial writes from the root down to recordID ("" gives an
// empty chain).
func recordChain(ctx context.Context, s Store, recordID string) ([]*Record, error) {
	var chain []*Record
	for id := recordID; id != ""; {
		if len(chain) > MaxDepth+1 {
			break // deeper than any definition allows: stop rather than loop
		}
		r, err := s.InitialWrite(ctx, id)
		if err != nil {
			return nil, err
		}
		if r == nil {
			return nil, dwn.Errorf(dwn.Unauthorized, "ProtocolAuthorizationParentNotFoundConstructingRecordChain",
				"Unexpected error that should never trigger: no parent found with ID %s when constructing record chain.", id)
		}
		chain = append(chain, r)
		id = r.ParentID
	}
	slices.Reverse(chain)
	return chain, nil
}

// verifyRole checks an invoked protocolRole: it must be a $role path, and the author
// must hold it (in the same context for a nested role).
func verifyRole(ctx context.Context, s Store, d *Definition, protocol, contextID, author, role string) error {
	if role == "" {
		return nil
	}
	rs := d.At(role)
	if rs == nil || !rs.Role {
		return dwn.Errorf(dwn.Unauthorized, "ProtocolAuthorizationNotARole", "Protocol path %s does not match role record type.", role)
	}
	ancestors := strings.Count(role, "/")
	if contextID == "" && ancestors > 0 {
		return dwn.Errorf(dwn.Unauthorized, "ProtocolAuthorizationMissingContextId", "Could not verify role because contextId is missing.")
	}
	prefix := ""
	if ancestors > 0 {
		segs := strings.Split(contextID, "/")
		prefix = strings.Join(segs[:min(ancestors, len(segs))], "/")
	}
	ids, err := s.RoleRecords(ctx, protocol, role, author, prefix, 1)
	if err != nil {
		return err
	}
	if len(ids) == 0 {
		return dwn.Errorf(dwn.Unauthorized, "ProtocolAuthorizationMatchingRoleRecordNotFound",
			"No matching role record found for protocol path %s", role)
	}
	return nil
}

// allowed walks the rule set's $actions as authorizeAgainstAllowedActions does.
func allowed(rs *RuleSet, method string, actions []string, author, role string, target *Record, chain []*Record) error {
	if !rs.HasActions {
		return dwn.Errorf(dwn.Unauthorized, "ProtocolAuthorizationActionRulesNotFound",
			"no action rule defined for Records%s, %s is unauthorized", method, jsOptional(author))
	}
	for _, rule := range rs.Actions {
		if !slices.ContainsFunc(rule.Can, func(c string) bool { return slices.Contains(actions, c) }) {
			continue
		}
		if rule.Who == Anyone {
			return nil
		}
		if author == "" {
			continue
		}
		if role != "" {
			if rule.Role == role {
				return nil
			}
			continue
		}
		if rule.Who == Recipient && rule.Of == "" {
			if target != nil && target.Recipient == author {
				return nil
			}
			continue
		}
		if checkActor(author, rule, chain) {
			return nil
		}
	}
	return dwn.Errorf(dwn.Unauthorized, "ProtocolAuthorizationActionNotAllowed",
		"Inbound message action Records%s by author %s not allowed.", method, jsOptional(author))
}

func checkActor(author string, rule ActionRule, chain []*Record) bool {
	for _, r := range chain {
		if r.ProtocolPath != rule.Of {
			continue
		}
		switch rule.Who {
		case Recipient:
			return author == r.Recipient
		case Author:
			return author == r.Author
		}
		return false
	}
	return false
}
