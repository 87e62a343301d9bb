package node

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"reflect"
	"strconv"
	"time"

	blocks "github.com/ipfs/go-block-format"

	"github.com/dwn-ipfs/dwn-ipfs/dwn"
	"github.com/dwn-ipfs/dwn-ipfs/gateway/importer"
	"github.com/dwn-ipfs/dwn-ipfs/protocols"
)

// descriptor returns the decoded descriptor object of the request.
func (r *request) descriptor() map[string]any {
	d, _ := r.raw["descriptor"].(map[string]any)
	return d
}

// messageCID returns the message CID: the dag-cbor CID of the whole message.
func (r *request) messageCID() (string, error) {
	return dwn.ComputeCID(r.raw)
}

// entryID is the CID of the descriptor plus the logical author: the recordId of the
// initial write.
func entryID(desc map[string]any, author string) (string, error) {
	m := make(map[string]any, len(desc)+1)
	for k, v := range desc {
		m[k] = v
	}
	m["author"] = author
	return dwn.ComputeCID(m)
}

// newer reports whether message a (timestamp, cid) is strictly newer than b: a later
// messageTimestamp, or on a tie the larger CID string (the reference's compareMessageTimestamp).
func newer(aTS, aCID, bTS, bCID string) bool {
	if aTS != bTS {
		return aTS > bTS
	}
	return aCID > bCID
}

func checkTimestamp(ts string) error {
	if _, err := time.Parse(dwn.DateTimeLayout, ts); err != nil {
		return dwn.Errorf(dwn.Invalid, "TimestampInvalid", "Invalid timestamp: %s", truncate(ts, 40))
	}
	return nil
}

// writeInfo is a RecordsWrite after parsing.
type writeInfo struct {
	r         *request
	cid       string
	descCID   string
	sig       *signed
	owner     *signed
	author    string
	entryID   string
	isInitial bool
}

func (n *Node) parseRecordsWrite(r *request) (*writeInfo, error) {
	m := &r.msg
	d := &m.Descriptor
	w := &writeInfo{r: r}
	var err error
	if w.descCID, err = dwn.ComputeCID(r.descriptor()); err != nil {
		return nil, dwn.Errorf(dwn.Invalid, "SchemaValidatorFailure", "descriptor cannot be encoded")
	}
	if m.Authorization == nil || m.Authorization.Signature == nil {
		return nil, missingJWS()
	}
	if w.sig, err = n.parseSignature(m.Authorization.Signature, w.descCID, "RecordsWriteSignaturePayload"); err != nil {
		return nil, err
	}
	if m.Authorization.OwnerSignature != nil {
		if w.owner, err = n.parseSignature(m.Authorization.OwnerSignature, w.descCID, "GenericSignaturePayload"); err != nil {
			return nil, err
		}
	}
	if err := delegate(w.sig, m.Authorization.AuthorDelegatedGrant); err != nil {
		return nil, err
	}
	if err := delegate(w.owner, m.Authorization.OwnerDelegatedGrant); err != nil {
		return nil, err
	}
	if m.Attestation != nil {
		if err := n.checkAttestation(m.Attestation, w.descCID); err != nil {
			return nil, err
		}
	}
	w.author = w.sig.author
	if w.entryID, err = entryID(r.descriptor(), w.author); err != nil {
		return nil, err
	}
	w.isInitial = m.RecordID == w.entryID
	if w.isInitial {
		if d.DateCreated != d.MessageTimestamp {
			return nil, dwn.Errorf(dwn.Invalid, "RecordsWriteValidateIntegrityDateCreatedMismatch",
				"messageTimestamp %s must match dateCreated %s for the initial write", d.MessageTimestamp, d.DateCreated)
		}
		if d.Protocol != "" && d.ParentID == "" && m.ContextID != w.entryID {
			return nil, dwn.Errorf(dwn.Invalid, "RecordsWriteValidateIntegrityContextIdMismatch",
				"contextId in message: %s does not match deterministic contextId: %s", truncate(m.ContextID, 200), w.entryID)
		}
	}
	if w.sig.str("recordId") != m.RecordID {
		return nil, dwn.Errorf(dwn.Invalid, "RecordsWriteValidateIntegrityRecordIdUnauthorized",
			"recordId in message %s does not match recordId in authorization: %s", truncate(m.RecordID, 100), truncate(w.sig.str("recordId"), 100))
	}
	if w.sig.str("contextId") != m.ContextID {
		return nil, dwn.Errorf(dwn.Invalid, "RecordsWriteValidateIntegrityContextIdNotInSignerSignaturePayload",
			"contextId in message does not match contextId in authorization")
	}
	if err := checkDelegation(w.sig, m.Authorization.AuthorDelegatedGrant, "Author"); err != nil {
		return nil, err
	}
	if err := checkDelegation(w.owner, m.Authorization.OwnerDelegatedGrant, "Owner"); err != nil {
		return nil, err
	}
	if ac := w.sig.str("attestationCid"); ac != "" {
		got, err := dwn.ComputeCID(r.raw["attestation"])
		if r.raw["attestation"] == nil || err != nil || got != ac {
			return nil, dwn.Errorf(dwn.Invalid, "RecordsWriteValidateIntegrityAttestationMismatch",
				"CID of attestation property in message %s does not match attestationCid in authorization: %s", got, truncate(ac, 100))
		}
	}
	if ec := w.sig.str("encryptionCid"); ec != "" {
		got, err := dwn.ComputeCID(r.raw["encryption"])
		if r.raw["encryption"] == nil || err != nil || got != ec {
			return nil, dwn.Errorf(dwn.Invalid, "RecordsWriteValidateIntegrityEncryptionCidMismatch",
				"CID of encryption property %s does not match encryptionCid in authorization: %s", got, truncate(ec, 100))
		}
	}
	if err := dwn.CheckProtocolAndSchema(d.Protocol, d.Schema); err != nil {
		return nil, err
	}
	for _, ts := range []string{d.MessageTimestamp, d.DateCreated, d.DatePublished} {
		if ts != "" {
			if err := checkTimestamp(ts); err != nil {
				return nil, err
			}
		}
	}
	if w.cid, err = r.messageCID(); err != nil {
		return nil, err
	}
	return w, nil
}

func (n *Node) checkAttestation(a *dwn.GeneralJWS, descCID string) error {
	if len(a.Signatures) != 1 {
		return dwn.Errorf(dwn.Invalid, "RecordsWriteAttestationIntegrityMoreThanOneSignature",
			"currently implementation only supports 1 attester, but got %d", len(a.Signatures))
	}
	raw, err := b64.DecodeString(a.Payload)
	if err != nil {
		return dwn.Errorf(dwn.Invalid, "JwsDecodePlainObjectPayloadInvalid", "payload is not a JSON object")
	}
	var p map[string]any
	if json.Unmarshal(raw, &p) != nil || p == nil {
		return dwn.Errorf(dwn.Invalid, "JwsDecodePlainObjectPayloadInvalid", "payload is not a JSON object")
	}
	if got, _ := p["descriptorCid"].(string); got != descCID {
		return dwn.Errorf(dwn.Invalid, "RecordsWriteAttestationIntegrityDescriptorCidMismatch",
			"descriptorCid %s does not match expected descriptorCid %s", truncate(got, 100), descCID)
	}
	if len(p) > 1 {
		return dwn.Errorf(dwn.Invalid, "RecordsWriteAttestationIntegrityInvalidPayloadProperty",
			"only 'descriptorCid' is allowed in attestation payload")
	}
	return nil
}

func (n *Node) recordsWrite(ctx context.Context, r *request) (*Reply, error) {
	d := &r.msg.Descriptor
	if d.DataSize > n.cfg.MaxDataSize {
		return nil, dwn.Errorf(dwn.TooLarge, "RecordsWriteDataSizeLimitExceeded",
			"dataSize %d exceeds the limit of %d bytes", d.DataSize, n.cfg.MaxDataSize)
	}
	if len(d.Tags) > n.cfg.MaxTags {
		return nil, dwn.Errorf(dwn.TooLarge, "RecordsWriteTagsLimitExceeded",
			"%d tags, the limit is %d", len(d.Tags), n.cfg.MaxTags)
	}
	w, err := n.parseRecordsWrite(r)
	if err != nil {
		return nil, err
	}
	var def *protocols.Definition
	var pw *protocols.Write
	var view *recordView
	if d.Protocol != "" {
		view = n.recordView(r.tenant)
		if def, err = n.definition(ctx, r.tenant, d.Protocol); err != nil {
			return nil, err
		}
		pw = &protocols.Write{Protocol: d.Protocol, ProtocolPath: d.ProtocolPath, Schema: d.Schema,
			DataFormat: d.DataFormat, DataSize: d.DataSize, Tags: d.Tags, RecordID: r.msg.RecordID,
			ContextID: r.msg.ContextID, ParentID: d.ParentID, Recipient: d.Recipient, Author: w.author,
			Role: w.sig.str("protocolRole"), IsInitial: w.isInitial}
		if err := protocols.CheckWrite(ctx, view, def, pw); err != nil {
			return nil, err
		}
	}
	if err := n.authenticate(ctx, w.sig, w.owner); err != nil {
		return nil, err
	}
	if err := n.authorizeWrite(ctx, r, w, def, pw, view); err != nil {
		return nil, err
	}

	unlock := n.lockRecord(r.tenant, r.msg.RecordID)
	defer unlock()
	state, err := n.store.Record(ctx, r.tenant, r.msg.RecordID)
	switch {
	case dwn.KindOf(err) == dwn.NotFound:
		state = nil
	case err != nil:
		return nil, err
	}
	if !w.isInitial {
		if state == nil {
			return nil, dwn.Errorf(dwn.Invalid, "RecordsWriteGetInitialWriteNotFound", "Initial write is not found.")
		}
		initial, err := n.store.Message(ctx, r.tenant, state.InitialCID)
		if err != nil {
			return nil, err
		}
		if err := verifyImmutable(initial.JSON, r.descriptor()); err != nil {
			return nil, err
		}
	}
	if state != nil {
		if !newer(d.MessageTimestamp, w.cid, state.NewestTimestamp, state.NewestCID) {
			return statusReply(409, "Conflict"), nil
		}
		if state.NewestIsDelete {
			return nil, dwn.Errorf(dwn.Invalid, "RecordsWriteNotAllowedAfterDelete",
				"RecordsWrite is not allowed after a RecordsDelete.")
		}
	}
	if d.Protocol == permissionsProtocol && d.ProtocolPath == revocationPath {
		if err := n.checkRevocation(ctx, r.tenant, d); err != nil {
			return nil, err
		}
	}

	u := &dwn.RecordUpdate{RecordID: r.msg.RecordID, Timestamp: d.MessageTimestamp,
		IsInitial: w.isInitial, DataCID: d.DataCID, DataSize: d.DataSize, ParentID: d.ParentID}
	if state != nil {
		u.ExpectNewestCID = state.NewestCID
	}
	stored := dwn.StoredMessage{CID: w.cid, JSON: r.json}
	code := 202
	var upload dwn.BlobWriter
	sc, err := n.dataSchemaCheck(ctx, r.tenant, d)
	if err != nil {
		return nil, err
	}
	switch {
	case r.data != nil:
		if sc != nil {
			r.data = io.TeeReader(r.data, &sc.data)
		}
		enc, ref, bw, err := n.receiveData(ctx, r, d)
		if err != nil {
			return nil, err
		}
		if d.Protocol == permissionsProtocol && enc != nil {
			if err := n.checkPermissionRecord(d, enc); err != nil {
				return nil, err
			}
		}
		if sc != nil {
			if err := n.checkDataSchema(ctx, r.tenant, sc); err != nil {
				if bw != nil {
					bw.Abort()
				}
				return nil, err
			}
		}
		stored.EncodedData, u.NewData, upload = enc, ref, bw
		u.Queryable = true
	case w.isInitial:
		code = 204
	case sc != nil && sc.install:
		return nil, dwn.Errorf(dwn.Invalid, "DataSchemaUpdateWithoutData",
			"a write of a schema record must carry the schema: send the data with it")
	default:
		// An update without data keeps the newest write's data: dataCid and dataSize must
		// be the same (the reference's anti data-theft rule).
		if d.DataCID != state.DataCID {
			return nil, dataCIDMismatch(state.DataCID, d.DataCID)
		}
		if d.DataSize != state.DataSize {
			return nil, dataSizeMismatch(state.DataSize, d.DataSize)
		}
		if d.DataSize <= dwn.MaxEncodedDataSize {
			prev, err := n.store.Message(ctx, r.tenant, state.NewestCID)
			if err != nil {
				return nil, err
			}
			if prev.EncodedData == nil {
				return nil, dwn.Errorf(dwn.Invalid, "RecordsWriteMissingEncodedDataInPrevious",
					"No dataStream was provided and unable to get data from previous message")
			}
			stored.EncodedData = prev.EncodedData
		} else {
			if state.Data == nil {
				return nil, dwn.Errorf(dwn.Invalid, "RecordsWriteMissingDataInPrevious",
					"No dataStream was provided and unable to get data from previous message")
			}
			u.NewData = state.Data
		}
		u.Queryable = true
	}
	stored.Indexes = writeIndexes(r, w, u.Queryable)
	u.Message = stored
	if err := n.store.ApplyRecord(ctx, r.tenant, u); err != nil {
		if upload != nil {
			upload.Abort()
		}
		if dwn.KindOf(err) == dwn.Conflict {
			return statusReply(409, "Conflict"), nil
		}
		return nil, err
	}
	if u.Queryable {
		initialCID := ""
		if state != nil {
			initialCID = state.InitialCID
		}
		n.publishRecord(ctx, r.tenant, r.json, stored.CID, initialCID, stored.Indexes)
	}
	if sc != nil && sc.install {
		n.schemaChanged(r.tenant, sc.uri)
		if state != nil {
			n.schemaChanged(r.tenant, n.schemaURIOf(ctx, r.tenant, state.NewestCID))
		}
	}
	if code == 204 {
		return statusReply(204, "No Content"), nil
	}
	return statusReply(202, "Accepted"), nil
}

// authorizeWrite applies the reference's authorizeRecordsWrite: the owner, if any, must
// be the tenant; delegates must act within their delegated grants; the tenant and the
// owner may write; others with a permission grant or as the record's protocol allows.
func (n *Node) authorizeWrite(ctx context.Context, r *request, w *writeInfo, def *protocols.Definition, pw *protocols.Write, view *recordView) error {
	d := &r.msg.Descriptor
	if w.owner != nil && w.owner.author != r.tenant {
		return dwn.Errorf(dwn.Unauthorized, "RecordsWriteOwnerAndTenantMismatch",
			"Owner %s must be the same as tenant %s when specified.", truncate(w.owner.author, 200), truncate(r.tenant, 200))
	}
	rec := scopedRecord{protocol: d.Protocol, protocolPath: d.ProtocolPath, contextID: r.msg.ContextID}
	for _, s := range []*signed{w.sig, w.owner} {
		if s != nil && s.delegation != nil {
			if err := n.checkRecordGrant(ctx, s.delegation.grant, s.author, s.signer, d, rec, true, d.IsPublished()); err != nil {
				return err
			}
		}
	}
	switch {
	case w.owner != nil, w.author == r.tenant:
		return nil
	case w.sig.str("permissionGrantId") != "":
		g, err := n.invokedGrant(ctx, r.tenant, w.sig)
		if err != nil {
			return err
		}
		return n.checkRecordGrant(ctx, g, r.tenant, w.author, d, rec, true, d.IsPublished())
	case def != nil:
		return unauthorized(protocols.AuthorizeWrite(ctx, view, def, pw))
	}
	return dwn.Errorf(dwn.Unauthorized, "RecordsWriteAuthorizationFailed", "message failed authorization")
}

// receiveData reads the data of a write and checks it as the reference does: the CID of
// everything sent first, then its size. Data of at most MaxEncodedDataSize bytes is
// returned inline; larger data is streamed into the data store. Nothing is kept when a
// check fails.
func (n *Node) receiveData(ctx context.Context, r *request, d *dwn.Descriptor) ([]byte, *dwn.DataRef, dwn.BlobWriter, error) {
	limited := io.LimitReader(r.data, n.cfg.MaxDataSize+1)
	if d.DataSize <= dwn.MaxEncodedDataSize {
		buf, err := io.ReadAll(io.LimitReader(limited, dwn.MaxEncodedDataSize+1))
		if err != nil {
			return nil, nil, nil, truncatedBody(int64(len(buf)))
		}
		if len(buf) <= dwn.MaxEncodedDataSize {
			if err := n.checkData(importer.Sum(buf).String(), int64(len(buf)), d); err != nil {
				return nil, nil, nil, err
			}
			return buf, nil, nil, nil
		}
		// More data than announced: hash all of it to report what the reference reports.
		root, size, err := importer.Import(ctx, io.MultiReader(bytes.NewReader(buf), limited), importer.Discard)
		if err != nil {
			return nil, nil, nil, truncatedBody(size)
		}
		return nil, nil, nil, n.checkData(root.String(), size, d)
	}
	bw, err := n.data.Create(ctx, r.tenant, d.DataCID, d.IsPublished())
	if err != nil {
		return nil, nil, nil, err
	}
	sink := &leafWriter{w: bw}
	root, size, err := importer.Import(ctx, limited, sink)
	if err != nil {
		bw.Abort()
		if sink.err != nil {
			return nil, nil, nil, sink.err
		}
		return nil, nil, nil, truncatedBody(size)
	}
	if err := n.checkData(root.String(), size, d); err != nil {
		bw.Abort()
		return nil, nil, nil, err
	}
	blob, err := bw.Finish()
	if err != nil {
		bw.Abort()
		return nil, nil, nil, err
	}
	return nil, &dwn.DataRef{DataCID: d.DataCID, Size: size, Blob: blob}, bw, nil
}

// checkData compares what was received with the descriptor: the size limit, then the
// CID, then the size.
func (n *Node) checkData(root string, size int64, d *dwn.Descriptor) error {
	if size > n.cfg.MaxDataSize {
		return dwn.Errorf(dwn.TooLarge, "RecordsWriteDataSizeLimitExceeded",
			"data is larger than the limit of %d bytes", n.cfg.MaxDataSize)
	}
	if root != d.DataCID {
		return dataCIDMismatch(root, d.DataCID)
	}
	if size != d.DataSize {
		return dataSizeMismatch(size, d.DataSize)
	}
	return nil
}

func truncatedBody(n int64) error {
	return dwn.Errorf(dwn.Invalid, "RecordsWriteDataReadFailed", "reading the data failed after %d bytes: the body was cut short", n)
}

func dataCIDMismatch(actual, want string) error {
	return dwn.Errorf(dwn.Invalid, "RecordsWriteDataCidMismatch",
		"actual data CID %s does not match dataCid in descriptor: %s", actual, want)
}

func dataSizeMismatch(actual, want int64) error {
	return dwn.Errorf(dwn.Invalid, "RecordsWriteDataSizeMismatch",
		"actual data size %d bytes does not match dataSize in descriptor: %d", actual, want)
}

// leafWriter writes the raw leaves of the UnixFS DAG, which are the data in order, to a
// blob.
type leafWriter struct {
	w   dwn.BlobWriter
	err error
}

func (l *leafWriter) PutBlock(_ context.Context, b blocks.Block, raw bool) error {
	if !raw {
		return nil
	}
	if _, err := l.w.Write(b.RawData()); err != nil {
		l.err = err
		return err
	}
	return nil
}

// mutableProperties may change between the writes of a record.
var mutableProperties = map[string]bool{"dataCid": true, "dataSize": true, "dataFormat": true,
	"datePublished": true, "published": true, "messageTimestamp": true, "tags": true}

// verifyImmutable compares the descriptor with the initial write's: every property but
// the mutable ones must be present in both or neither, with equal values.
func verifyImmutable(initialJSON []byte, desc map[string]any) error {
	dec := json.NewDecoder(bytes.NewReader(initialJSON))
	dec.UseNumber()
	var initial struct {
		Descriptor map[string]any `json:"descriptor"`
	}
	if err := dec.Decode(&initial); err != nil {
		return dwn.Wrap("node.verifyImmutable", err)
	}
	check := func(k string) error {
		if mutableProperties[k] {
			return nil
		}
		a, inA := initial.Descriptor[k]
		b, inB := desc[k]
		if inA != inB || !jsonEqual(a, b) {
			return dwn.Errorf(dwn.Invalid, "RecordsWriteImmutablePropertyChanged",
				"%s is an immutable property: cannot change '%s' to '%s'", k, jsText(a), jsText(b))
		}
		return nil
	}
	for k := range initial.Descriptor {
		if err := check(k); err != nil {
			return err
		}
	}
	for k := range desc {
		if err := check(k); err != nil {
			return err
		}
	}
	return nil
}

func jsonEqual(a, b any) bool {
	an, aok := a.(json.Number)
	bn, bok := b.(json.Number)
	if aok && bok {
		af, _ := strconv.ParseFloat(string(an), 64)
		bf, _ := strconv.ParseFloat(string(bn), 64)
		return af == bf
	}
	return reflect.DeepEqual(a, b)
}

func jsText(v any) string {
	switch x := v.(type) {
	case nil:
		return "undefined"
	case string:
		return truncate(x, 100)
	}
	b, _ := json.Marshal(v)
	return truncate(string(b), 100)
}

// writeIndexes are the indexed properties of a RecordsWrite (the reference's
// RecordsWrite.constructIndexes).
func writeIndexes(r *request, w *writeInfo, latest bool) dwn.Indexes {
	d := &r.msg.Descriptor
	ix := dwn.Indexes{
		"interface": d.Interface, "method": d.Method, "messageTimestamp": d.MessageTimestamp,
		"dataCid": d.DataCID, "dataSize": float64(d.DataSize), "dateCreated": d.DateCreated,
		"dataFormat": d.DataFormat, "published": d.IsPublished(), "isLatestBaseState": latest,
		"author": w.author, "recordId": r.msg.RecordID, "entryId": w.entryID,
	}
	set := func(k, v string) {
		if v != "" {
			ix[k] = v
		}
	}
	set("protocol", d.Protocol)
	set("protocolPath", d.ProtocolPath)
	set("recipient", d.Recipient)
	set("schema", d.Schema)
	set("parentId", d.ParentID)
	set("datePublished", d.DatePublished)
	set("contextId", r.msg.ContextID)
	if r.msg.Attestation != nil && len(r.msg.Attestation.Signatures) > 0 {
		set("attester", signerOf(r.msg.Attestation.Signatures[0].Protected))
	}
	if latest {
		for k, v := range d.Tags {
			ix["tag."+k] = tagIndexValue(v)
		}
	}
	return ix
}

func tagIndexValue(v any) any {
	switch x := v.(type) {
	case []any:
		out := make([]any, 0, len(x))
		for _, e := range x {
			out = append(out, tagIndexValue(e))
		}
		return out
	case json.Number:
		f, _ := strconv.ParseFloat(string(x), 64)
		return f
	}
	return v
}

// appendEntry returns a message JSON with encodedData (base64url) and initialWrite added,
// as RecordsQuery entries carry them.
func appendEntry(msgJSON, encoded []byte, initialWrite []byte) json.RawMessage {
	if encoded == nil && initialWrite == nil {
		return msgJSON
	}
	out := make([]byte, 0, len(msgJSON)+base64.RawURLEncoding.EncodedLen(len(encoded))+len(initialWrite)+40)
	out = append(out, msgJSON[:len(msgJSON)-1]...)
	if encoded != nil {
		out = append(out, `,"encodedData":"`...)
		out = base64.RawURLEncoding.AppendEncode(out, encoded)
		out = append(out, '"')
	}
	if initialWrite != nil {
		out = append(out, `,"initialWrite":`...)
		out = append(out, initialWrite...)
	}
	return append(out, '}')
}
