package node

import (
	"bytes"
	"context"
	"io"

	"github.com/dwn-ipfs/dwn-ipfs/dwn"
	"github.com/dwn-ipfs/dwn-ipfs/protocols"
)

func (n *Node) recordsRead(ctx context.Context, r *request) (*Reply, error) {
	d := &r.msg.Descriptor
	if err := checkTimestamp(d.MessageTimestamp); err != nil {
		return nil, err
	}
	sig, err := n.parseOptionalSignature(ctx, r)
	if err != nil {
		return nil, err
	}
	filter, err := n.convertFilter(d.Filter)
	if err != nil {
		return nil, err
	}
	newest, err := n.findForRead(ctx, r.tenant, d.Filter, &filter)
	if err != nil {
		return nil, err
	}
	if newest == nil {
		return statusReply(404, "Not Found"), nil
	}
	if newest.Indexes["method"] == dwn.MethodDelete {
		rid, _ := newest.Indexes["recordId"].(string)
		st, err := n.store.Record(ctx, r.tenant, rid)
		if err != nil {
			return nil, err
		}
		initial, err := n.store.Message(ctx, r.tenant, st.InitialCID)
		if err != nil {
			return nil, dwn.Errorf(dwn.Invalid, "RecordsReadInitialWriteNotFound", "initial write for deleted record not found")
		}
		if err := n.authorizeRead(ctx, r.tenant, d, sig, initial); err != nil {
			return nil, err
		}
		return &Reply{Status: dwn.Status{Code: 404, Detail: "Not Found"},
			Entry: &ReadEntry{RecordsDelete: newest.JSON, InitialWrite: initial.JSON}}, nil
	}
	if err := n.authorizeRead(ctx, r.tenant, d, sig, newest); err != nil {
		return nil, err
	}
	entry := &ReadEntry{RecordsWrite: newest.JSON}
	if rid, _ := newest.Indexes["recordId"].(string); rid != newest.Indexes["entryId"] {
		st, err := n.store.Record(ctx, r.tenant, rid)
		if err != nil {
			return nil, err
		}
		im, err := n.store.Message(ctx, r.tenant, st.InitialCID)
		if err != nil {
			return nil, err
		}
		entry.InitialWrite = im.JSON
	}
	var data io.ReadCloser
	if newest.EncodedData != nil {
		data = io.NopCloser(bytes.NewReader(newest.EncodedData))
	} else {
		dataCID, _ := newest.Indexes["dataCid"].(string)
		ref, err := n.data.Ref(ctx, r.tenant, dataCID)
		if dwn.KindOf(err) == dwn.NotFound {
			return statusReply(404, "Not Found"), nil
		}
		if err != nil {
			return nil, err
		}
		if data, err = n.data.Open(ctx, r.tenant, ref, 0); err != nil {
			return nil, err
		}
	}
	return &Reply{Status: dwn.Status{Code: 200, Detail: "OK"}, Entry: entry, Data: data}, nil
}

// findForRead returns the newest message (a queryable write or a delete) of the one
// record the filter selects, nil if none, or 400 RecordsReadReturnedMultiple.
func (n *Node) findForRead(ctx context.Context, tenant string, f *dwn.RecordsFilter, filter *dwn.Filter) (*dwn.StoredMessage, error) {
	if f.RecordID != "" {
		st, err := n.store.Record(ctx, tenant, f.RecordID)
		if dwn.KindOf(err) == dwn.NotFound {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		if !st.Queryable && !st.NewestIsDelete {
			return nil, nil
		}
		m, err := n.store.Message(ctx, tenant, st.NewestCID)
		if err != nil {
			return nil, err
		}
		if !filter.Match(m.Indexes) {
			return nil, nil
		}
		return m, nil
	}
	page, err := n.store.QueryRecords(ctx, tenant, &dwn.Query{Filters: []dwn.Filter{*filter}, Limit: 2, AllIndexes: true})
	if err != nil {
		return nil, err
	}
	switch len(page.Entries) {
	case 0:
		return nil, nil
	case 1:
		return &page.Entries[0], nil
	}
	return nil, dwn.Errorf(dwn.Invalid, "RecordsReadReturnedMultiple", "Multiple records exist for the RecordsRead filter")
}

// authorizeRead is the reference's authorizeRecordsRead: delegates must act within
// their delegated grants; then the tenant, anyone for a published record, the record's
// author or recipient, a grantee, and otherwise the rules of the record's protocol. m is
// the write being read (the initial write of a deleted record); d is the read's
// descriptor.
func (n *Node) authorizeRead(ctx context.Context, tenant string, d *dwn.Descriptor, sig *signed, m *dwn.StoredMessage) error {
	ix := m.Indexes
	if sig != nil && sig.delegation != nil {
		if err := n.checkRecordGrant(ctx, sig.delegation.grant, sig.author, sig.signer, d, scopedRecordOf(ix), false, false); err != nil {
			return err
		}
	}
	if sig != nil && sig.author == tenant {
		return nil
	}
	if pub, _ := ix["published"].(bool); pub {
		return nil
	}
	if sig != nil && (ix["recipient"] == sig.author || ix["author"] == sig.author) {
		return nil
	}
	if sig != nil && sig.str("permissionGrantId") != "" {
		g, err := n.invokedGrant(ctx, tenant, sig)
		if err != nil {
			return err
		}
		return n.checkRecordGrant(ctx, g, tenant, sig.author, d, scopedRecordOf(ix), false, false)
	}
	if protocol, _ := ix["protocol"].(string); protocol != "" {
		def, err := n.definition(ctx, tenant, protocol)
		if err != nil {
			return unauthorized(err)
		}
		a := &protocols.Access{Method: dwn.MethodRead}
		if sig != nil {
			a.Author, a.Role = sig.author, sig.str("protocolRole")
		}
		return unauthorized(protocols.AuthorizeRecord(ctx, n.recordView(tenant), def, a, protocol, recordOf(m)))
	}
	return dwn.Errorf(dwn.Unauthorized, "RecordsReadAuthorizationFailed", "message failed authorization")
}
