package node

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/dwn-ipfs/dwn-ipfs/dwn"
	"github.com/dwn-ipfs/dwn-ipfs/protocols"
)

// protocolsConfigure is the reference's ProtocolsConfigureHandler (dwn-protocol.md
// §5.5): parse and validate the definition, authenticate, only the tenant may
// configure, and the newest configuration of a protocol replaces the others.
func (n *Node) protocolsConfigure(ctx context.Context, r *request) (*Reply, error) {
	d := &r.msg.Descriptor
	def, err := protocols.ParseDefinition(d.Definition)
	if err != nil {
		return nil, dwn.Errorf(dwn.Invalid, "SchemaValidatorFailure", "definition cannot be decoded")
	}
	if err := def.Validate(); err != nil {
		return nil, err
	}
	sig, err := n.requiredSignature(r)
	if err != nil {
		return nil, err
	}
	if err := checkTimestamp(d.MessageTimestamp); err != nil {
		return nil, err
	}
	if err := delegate(sig, r.msg.Authorization.AuthorDelegatedGrant); err != nil {
		return nil, err
	}
	if err := n.authenticate(ctx, sig); err != nil {
		return nil, err
	}
	if err := n.authorizeConfigure(ctx, r, sig, def); err != nil {
		return nil, err
	}
	cid, err := r.messageCID()
	if err != nil {
		return nil, err
	}

	// One configuration per protocol: serialize configures of the same protocol as
	// writes of the same record are serialized.
	unlock := n.lockRecord(r.tenant, "protocol\x00"+def.Protocol)
	defer unlock()
	u := &dwn.ProtocolUpdate{Protocol: def.Protocol, Timestamp: d.MessageTimestamp,
		Message: dwn.StoredMessage{CID: cid, JSON: r.json, Indexes: dwn.Indexes{
			"interface": d.Interface, "method": d.Method, "messageTimestamp": d.MessageTimestamp,
			"author": sig.author, "protocol": def.Protocol, "published": def.Published}}}
	prev, err := n.store.Protocol(ctx, r.tenant, def.Protocol)
	switch {
	case dwn.KindOf(err) == dwn.NotFound:
	case err != nil:
		return nil, err
	default:
		ts, _ := prev.Indexes["messageTimestamp"].(string)
		if !newer(d.MessageTimestamp, cid, ts, prev.CID) {
			return statusReply(409, "Conflict"), nil
		}
		u.ExpectNewestCID = prev.CID
	}
	err = n.store.ApplyProtocol(ctx, r.tenant, u)
	n.configured(r.tenant, def.Protocol)
	if err != nil {
		if dwn.KindOf(err) == dwn.Conflict {
			return statusReply(409, "Conflict"), nil
		}
		return nil, err
	}
	return statusReply(202, "Accepted"), nil
}

// authorizeConfigure is the reference's authorizeProtocolsConfigure: a delegate must act
// within its delegated grant; the tenant may configure, others with a grant.
func (n *Node) authorizeConfigure(ctx context.Context, r *request, sig *signed, def *protocols.Definition) error {
	d := &r.msg.Descriptor
	if dg := sig.delegation; dg != nil {
		if err := n.checkGrant(ctx, dg.grant, sig.author, sig.signer, d); err != nil {
			return err
		}
		if err := checkConfigureScope(dg.grant, def.Protocol); err != nil {
			return err
		}
	}
	switch {
	case sig.author == r.tenant:
		return nil
	case sig.str("permissionGrantId") != "":
		g, err := n.invokedGrant(ctx, r.tenant, sig)
		if err != nil {
			return err
		}
		if err := n.checkGrant(ctx, g, r.tenant, sig.author, d); err != nil {
			return err
		}
		return checkConfigureScope(g, def.Protocol)
	}
	return dwn.Errorf(dwn.Unauthorized, "ProtocolsConfigureAuthorizationFailed", "message failed authorization")
}

// checkConfigureScope: a grant that names a protocol is only for configuring it.
func checkConfigureScope(g *grant, protocol string) error {
	if p := g.data.Scope.Protocol; p != nil && *p != protocol {
		return dwn.Errorf(dwn.Unauthorized, "ProtocolsGrantAuthorizationScopeProtocolMismatch",
			"Grant scope specifies different protocol than what appears in the configure message.")
	}
	return nil
}

// protocolsQuery is the reference's ProtocolsQueryHandler (§7.5): the tenant sees every
// configuration; anyone else, signed or not, gets the published ones with 200.
func (n *Node) protocolsQuery(ctx context.Context, r *request) (*Reply, error) {
	d := &r.msg.Descriptor
	sig, err := n.genericSignature(r)
	if err != nil {
		return nil, err
	}
	protocol := ""
	if d.Filter != nil {
		protocol = d.Filter.Protocol
		if protocol == "" {
			// A filter without protocol: the reference checks undefined.
			return nil, dwn.Errorf(dwn.Invalid, "UrlProtocolNotNormalized", "Protocol URI undefined must be normalized.")
		}
		if err := dwn.CheckProtocolURL(protocol); err != nil {
			return nil, err
		}
	}
	if err := checkTimestamp(d.MessageTimestamp); err != nil {
		return nil, err
	}
	if sig != nil {
		if err := n.authenticate(ctx, sig); err != nil {
			return nil, err
		}
	}
	all := sig != nil && sig.author == r.tenant
	if !all && sig != nil && sig.str("permissionGrantId") != "" {
		// A grantee sees every configuration; a grant for another protocol than the
		// filter's falls back to the published ones, as a stranger's query does.
		g, err := n.invokedGrant(ctx, r.tenant, sig)
		if err != nil {
			return nil, err
		}
		if err := n.checkGrant(ctx, g, r.tenant, sig.author, d); err != nil {
			return nil, err
		}
		all = g.data.Scope.Protocol == nil || *g.data.Scope.Protocol == protocol
	}
	var msgs []dwn.StoredMessage
	if protocol != "" {
		m, err := n.store.Protocol(ctx, r.tenant, protocol)
		switch {
		case dwn.KindOf(err) == dwn.NotFound:
		case err != nil:
			return nil, err
		default:
			msgs = append(msgs, *m)
		}
	} else {
		var err error
		if msgs, err = n.store.Protocols(ctx, r.tenant); err != nil {
			return nil, err
		}
	}
	rep := &Reply{Status: dwn.Status{Code: 200, Detail: "OK"}, Entries: []json.RawMessage{}}
	for _, m := range msgs {
		if pub, _ := m.Indexes["published"].(bool); all || pub {
			rep.Entries = append(rep.Entries, m.JSON)
		}
	}
	return rep, nil
}

// definition returns the protocol definition a record names: 400
// ProtocolAuthorizationProtocolNotFound when the tenant has not configured it.
func (n *Node) definition(ctx context.Context, tenant, protocol string) (*protocols.Definition, error) {
	if protocol == permissionsProtocol {
		return n.permissions, nil
	}
	if protocol == SchemaProtocol && n.schemaDef != nil {
		return n.schemaDef, nil
	}
	k := defKey{tenant, protocol}
	n.defsMu.Lock()
	def, epoch := n.defs[k], n.defsEpoch
	n.defsMu.Unlock()
	if def != nil {
		return def, nil
	}
	def, err := n.loadDefinition(ctx, tenant, protocol)
	if err != nil {
		return nil, err
	}
	n.defsMu.Lock()
	// Keep it only if no configuration committed while it was read: it could be the
	// one that configuration replaced.
	if epoch == n.defsEpoch {
		if n.defs == nil || len(n.defs) >= maxCachedDefinitions {
			n.defs = map[defKey]*protocols.Definition{}
		}
		n.defs[k] = def
	}
	n.defsMu.Unlock()
	return def, nil
}

// configured drops the cached definition of a protocol whose configuration just
// changed, and makes definitions read before the change uncacheable.
func (n *Node) configured(tenant, protocol string) {
	n.defsMu.Lock()
	n.defsEpoch++
	delete(n.defs, defKey{tenant, protocol})
	n.defsMu.Unlock()
}

func (n *Node) loadDefinition(ctx context.Context, tenant, protocol string) (*protocols.Definition, error) {
	m, err := n.store.Protocol(ctx, tenant, protocol)
	if dwn.KindOf(err) == dwn.NotFound {
		return nil, dwn.Errorf(dwn.Invalid, "ProtocolAuthorizationProtocolNotFound",
			"unable to find protocol definition for %s", truncate(protocol, 200))
	}
	if err != nil {
		return nil, err
	}
	var msg struct {
		Descriptor struct {
			Definition json.RawMessage `json:"definition"`
		} `json:"descriptor"`
	}
	if err := json.Unmarshal(m.JSON, &msg); err != nil {
		return nil, dwn.Wrap("node.definition", err)
	}
	def, err := protocols.ParseDefinition(msg.Descriptor.Definition)
	if err != nil {
		return nil, dwn.Wrap("node.definition", err)
	}
	return def, nil
}

// recordView adapts the message store to the rule engine for one tenant.
// Initial writes never change, so a view remembers the ones it read: the rule engine
// asks for the same ones more than once per message (the record's own, then again in
// its chain).
type recordView struct {
	n       *Node
	tenant  string
	initial map[string]*protocols.Record
}

func (n *Node) recordView(tenant string) *recordView {
	return &recordView{n: n, tenant: tenant, initial: map[string]*protocols.Record{}}
}

func recordOf(m *dwn.StoredMessage) *protocols.Record {
	s := func(k string) string { v, _ := m.Indexes[k].(string); return v }
	return &protocols.Record{RecordID: s("recordId"), Author: s("author"), Recipient: s("recipient"),
		ProtocolPath: s("protocolPath"), ContextID: s("contextId"), ParentID: s("parentId")}
}

func (v *recordView) InitialWrite(ctx context.Context, recordID string) (*protocols.Record, error) {
	if rec, ok := v.initial[recordID]; ok {
		return rec, nil
	}
	st, err := v.n.store.Record(ctx, v.tenant, recordID)
	if dwn.KindOf(err) == dwn.NotFound {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	m, err := v.n.store.Message(ctx, v.tenant, st.InitialCID)
	if err != nil {
		return nil, err
	}
	rec := recordOf(m)
	v.initial[recordID] = rec
	return rec, nil
}

func (v *recordView) LatestWrite(ctx context.Context, protocol, recordID string) (*protocols.Record, error) {
	st, err := v.n.store.Record(ctx, v.tenant, recordID)
	if dwn.KindOf(err) == dwn.NotFound {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if !st.Queryable || st.NewestIsDelete {
		return nil, nil
	}
	m, err := v.n.store.Message(ctx, v.tenant, st.NewestCID)
	if err != nil {
		return nil, err
	}
	if p, _ := m.Indexes["protocol"].(string); p != protocol {
		return nil, nil
	}
	return recordOf(m), nil
}

func (v *recordView) RoleRecords(ctx context.Context, protocol, protocolPath, recipient, contextPrefix string, limit int) ([]string, error) {
	f := dwn.Filter{Equal: map[string]any{"protocol": protocol, "protocolPath": protocolPath, "recipient": recipient}}
	if contextPrefix != "" {
		f.Prefix = map[string]string{"contextId": contextPrefix}
	}
	page, err := v.n.store.QueryRecords(ctx, v.tenant, &dwn.Query{Filters: []dwn.Filter{f}, Limit: limit})
	if err != nil {
		return nil, err
	}
	ids := make([]string, 0, len(page.Entries))
	for _, e := range page.Entries {
		id, _ := e.Indexes["recordId"].(string)
		ids = append(ids, id)
	}
	return ids, nil
}

// unauthorized turns a client error raised while authorizing into the 401 the reference
// answers for every error of its authorization phase (messageReplyFromError(e, 401)).
func unauthorized(err error) error {
	var e *dwn.Error
	if errors.As(err, &e) && e.Kind == dwn.Invalid {
		c := *e
		c.Kind = dwn.Unauthorized
		return &c
	}
	return err
}
