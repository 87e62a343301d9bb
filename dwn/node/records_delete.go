package node

import (
	"context"

	"github.com/dwn-ipfs/dwn-ipfs/dwn"
	"github.com/dwn-ipfs/dwn-ipfs/protocols"
)

func (n *Node) recordsDelete(ctx context.Context, r *request) (*Reply, error) {
	d := &r.msg.Descriptor
	if err := checkTimestamp(d.MessageTimestamp); err != nil {
		return nil, err
	}
	sig, err := n.requiredSignature(r)
	if err != nil {
		return nil, err
	}
	if err := delegatedRecords(r, sig); err != nil {
		return nil, err
	}
	if err := n.authenticate(ctx, sig); err != nil {
		return nil, err
	}
	cid, err := r.messageCID()
	if err != nil {
		return nil, err
	}

	unlock := n.lockRecord(r.tenant, d.RecordID)
	defer unlock()
	st, err := n.store.Record(ctx, r.tenant, d.RecordID)
	if dwn.KindOf(err) == dwn.NotFound {
		return statusReply(404, "Not Found"), nil
	}
	if err != nil {
		return nil, err
	}
	if st.NewestIsDelete {
		prev, err := n.store.Message(ctx, r.tenant, st.NewestCID)
		if err != nil {
			return nil, err
		}
		if pruned, _ := prev.Indexes["prune"].(bool); pruned || !d.Prune {
			return statusReply(404, "Not Found"), nil
		}
	}
	if !newer(d.MessageTimestamp, cid, st.NewestTimestamp, st.NewestCID) {
		return statusReply(409, "Conflict"), nil
	}
	initial, err := n.store.Message(ctx, r.tenant, st.InitialCID)
	if err != nil {
		return nil, err
	}
	if dg := sig.delegation; dg != nil {
		if err := n.checkGrant(ctx, dg.grant, sig.author, sig.signer, d); err != nil {
			return nil, err
		}
		protocol, _ := initial.Indexes["protocol"].(string)
		if err := checkDeleteScope(dg.grant, protocol); err != nil {
			return nil, err
		}
	}
	if sig.author != r.tenant {
		protocol, _ := initial.Indexes["protocol"].(string)
		if protocol == "" {
			return nil, dwn.Errorf(dwn.Unauthorized, "RecordsDeleteAuthorizationFailed", "RecordsDelete message failed authorization")
		}
		def, err := n.definition(ctx, r.tenant, protocol)
		if err != nil {
			return nil, unauthorized(err)
		}
		a := &protocols.Access{Method: dwn.MethodDelete, Author: sig.author, Role: sig.str("protocolRole"), Prune: d.Prune}
		if err := protocols.AuthorizeRecord(ctx, n.recordView(r.tenant), def, a, protocol, recordOf(initial)); err != nil {
			return nil, unauthorized(err)
		}
	}
	ix := dwn.Indexes{"interface": d.Interface, "method": d.Method, "messageTimestamp": d.MessageTimestamp,
		"recordId": d.RecordID, "prune": d.Prune, "isLatestBaseState": true, "author": sig.author}
	for _, k := range []string{"protocol", "protocolPath", "recipient", "schema", "parentId", "dateCreated", "contextId"} {
		if v, ok := initial.Indexes[k]; ok {
			ix[k] = v
		}
	}
	u := &dwn.RecordUpdate{RecordID: d.RecordID, ExpectNewestCID: st.NewestCID,
		Message:   dwn.StoredMessage{CID: cid, JSON: r.json, Indexes: ix},
		Timestamp: d.MessageTimestamp, IsDelete: true, DataCID: st.DataCID, DataSize: st.DataSize,
		ParentID: st.ParentID, Prune: d.Prune}
	if err := n.store.ApplyRecord(ctx, r.tenant, u); err != nil {
		if dwn.KindOf(err) == dwn.Conflict {
			return statusReply(409, "Conflict"), nil
		}
		return nil, err
	}
	n.publishRecord(ctx, r.tenant, r.json, cid, st.InitialCID, ix)
	if n.schemaDef != nil && ix["protocol"] == SchemaProtocol && !st.NewestIsDelete {
		n.schemaChanged(r.tenant, n.schemaURIOf(ctx, r.tenant, st.NewestCID))
	}
	return statusReply(202, "Accepted"), nil
}
