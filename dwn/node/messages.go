package node

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/dwn-ipfs/dwn-ipfs/dwn"
)

// cursorValue renders an event sequence number as a MessagesQuery cursor value. The
// reference's values are ULIDs; clients only pass them back.
func cursorValue(seq uint64) string { return fmt.Sprintf("%016x", seq) }

// messagesFilters converts MessagesQuery/MessagesSubscribe filters (ORed) into event
// filters: a filter with a protocol also matches the permission records of that
// protocol (so grants sync along). No filter means every event.
func messagesFilters(fs []dwn.MessagesFilter) []dwn.Filter {
	var out []dwn.Filter
	for _, mf := range fs {
		var ts *dwn.Range
		if r := mf.MessageTimestamp; r != nil && (r.From != "" || r.To != "") {
			ts = &dwn.Range{}
			if r.From != "" {
				ts.GTE = r.From
			}
			if r.To != "" {
				ts.LT = r.To
			}
		}
		f := dwn.Filter{Equal: map[string]any{}}
		if mf.Interface != "" {
			f.Equal["interface"] = mf.Interface
		}
		if mf.Method != "" {
			f.Equal["method"] = mf.Method
		}
		if mf.Protocol != "" {
			protocol, _ := dwn.NormalizeURL(mf.Protocol)
			f.Equal["protocol"] = protocol
			perm := dwn.Filter{Equal: map[string]any{"protocol": permissionsProtocol, "tag.protocol": protocol}}
			if ts != nil {
				perm.Ranges = map[string]dwn.Range{"messageTimestamp": *ts}
			}
			out = append(out, perm)
		}
		if ts != nil {
			f.Ranges = map[string]dwn.Range{"messageTimestamp": *ts}
		}
		out = append(out, f)
	}
	return out
}

// matchAny reports whether ix matches one of filters (no filters: everything).
func matchAny(filters []dwn.Filter, ix dwn.Indexes) bool {
	if len(filters) == 0 {
		return true
	}
	for i := range filters {
		if filters[i].Match(ix) {
			return true
		}
	}
	return false
}

// authorizeMessages lets the tenant, or a grantee with a Messages grant for the
// method, call MessagesQuery/Read/Subscribe. A grant scoped to a protocol needs every
// filter to name it (MessagesRead checks the message it reads instead).
func (n *Node) authorizeMessages(ctx context.Context, r *request) (*signed, *grant, error) {
	d := &r.msg.Descriptor
	sig, err := n.requiredSignature(r)
	if err != nil {
		return nil, nil, err
	}
	if err := n.authenticate(ctx, sig); err != nil {
		return nil, nil, err
	}
	if sig.author == r.tenant {
		return sig, nil, nil
	}
	if sig.str("permissionGrantId") == "" {
		return nil, nil, dwn.Errorf(dwn.Unauthorized, d.Interface+d.Method+"AuthorizationFailed", "message failed authorization")
	}
	g, err := n.invokedGrant(ctx, r.tenant, sig)
	if err != nil {
		return nil, nil, err
	}
	if err := n.checkGrant(ctx, g, r.tenant, sig.author, d); err != nil {
		return nil, nil, err
	}
	if p := g.data.Scope.Protocol; p != nil && d.Method != dwn.MethodRead {
		for _, f := range d.Filters {
			if f.Protocol != *p {
				return nil, nil, dwn.Errorf(dwn.Unauthorized, "MessagesGrantAuthorizationMismatchedProtocol",
					"The protocol %s does not match the scoped protocol %s", orUndefined(f.Protocol), *p)
			}
		}
	}
	return sig, g, nil
}

// messagesQuery answers MessagesQuery: the messageCids of the tenant's event log after
// the cursor that match the filters, in commit order, with a cursor of the last one.
func (n *Node) messagesQuery(ctx context.Context, r *request) (*Reply, error) {
	d := &r.msg.Descriptor
	if err := checkTimestamp(d.MessageTimestamp); err != nil {
		return nil, err
	}
	if _, _, err := n.authorizeMessages(ctx, r); err != nil {
		return nil, err
	}
	after, err := n.cursorSeq(ctx, r.tenant, d.Cursor)
	if err != nil {
		return nil, err
	}
	filters := messagesFilters(d.Filters)
	rep := &Reply{Status: dwn.Status{Code: 200, Detail: "OK"}, Entries: []json.RawMessage{}}
	var last string
	var lastSeq uint64
	err = n.store.Events(ctx, r.tenant, after, func(seq uint64, m *dwn.StoredMessage) error {
		if !matchAny(filters, m.Indexes) {
			return nil
		}
		rep.Entries = append(rep.Entries, json.RawMessage(strconv.Quote(m.CID)))
		last, lastSeq = m.CID, seq
		return nil
	})
	if err != nil {
		return nil, err
	}
	if last != "" {
		rep.Cursor = &dwn.Cursor{MessageCID: last, Value: cursorValue(lastSeq)}
	}
	return rep, nil
}

// cursorSeq is the event sequence number a cursor stands for: its value, or else the
// sequence number of its message's event.
func (n *Node) cursorSeq(ctx context.Context, tenant string, c *dwn.Cursor) (uint64, error) {
	if c == nil {
		return 0, nil
	}
	if v, ok := c.Value.(string); ok && len(v) == 16 {
		if seq, err := strconv.ParseUint(v, 16, 64); err == nil {
			return seq, nil
		}
	}
	seq, err := n.store.EventSeq(ctx, tenant, c.MessageCID)
	if err != nil {
		if dwn.KindOf(err) == dwn.NotFound {
			return 0, dwn.Errorf(dwn.Invalid, "MessagesQueryInvalidCursor",
				"the cursor is not one this server gave, and its message is gone: query again without a cursor")
		}
		return 0, err
	}
	return seq, nil
}
