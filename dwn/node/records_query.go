package node

import (
	"bytes"
	"context"
	"encoding/json"
	"strconv"

	"github.com/dwn-ipfs/dwn-ipfs/dwn"
	"github.com/dwn-ipfs/dwn-ipfs/protocols"
)

// convertFilter turns a RecordsFilter into a store filter (the reference's
// Records.convertFilter, dwn-protocol.md §6.1).
func (n *Node) convertFilter(f *dwn.RecordsFilter) (dwn.Filter, error) {
	out := dwn.Filter{Equal: map[string]any{}}
	eq := func(k, v string) {
		if v != "" {
			out.Equal[k] = v
		}
	}
	eq("protocol", f.Protocol)
	eq("protocolPath", f.ProtocolPath)
	eq("schema", f.Schema)
	eq("recordId", f.RecordID)
	eq("parentId", f.ParentID)
	eq("dataFormat", f.DataFormat)
	eq("dataCid", f.DataCID)
	eq("attester", f.Attester)
	if f.Published != nil {
		out.Equal["published"] = *f.Published
	}
	oneOf := func(k string, vs []string) error {
		if len(vs) > n.cfg.MaxFilterValues {
			return dwn.Errorf(dwn.TooLarge, "RecordsFilterTooManyValues", "%s filter has %d values, the limit is %d", k, len(vs), n.cfg.MaxFilterValues)
		}
		switch len(vs) {
		case 0:
		case 1:
			out.Equal[k] = vs[0]
		default:
			if out.OneOf == nil {
				out.OneOf = map[string][]any{}
			}
			for _, v := range vs {
				out.OneOf[k] = append(out.OneOf[k], v)
			}
		}
		return nil
	}
	if err := oneOf("author", f.Author); err != nil {
		return out, err
	}
	if err := oneOf("recipient", f.Recipient); err != nil {
		return out, err
	}
	if f.ContextID != "" {
		out.Prefix = map[string]string{"contextId": f.ContextID}
	}
	dateRange := func(k string, r *dwn.DateRange) {
		if r == nil || (r.From == "" && r.To == "") {
			return
		}
		if out.Ranges == nil {
			out.Ranges = map[string]dwn.Range{}
		}
		var rg dwn.Range
		if r.From != "" {
			rg.GTE = r.From
		}
		if r.To != "" {
			rg.LT = r.To
		}
		out.Ranges[k] = rg
	}
	dateRange("dateCreated", f.DateCreated)
	if f.DatePublished != nil {
		dateRange("datePublished", f.DatePublished)
		out.Equal["published"] = true
	}
	dateRange("messageTimestamp", f.DateUpdated)
	if f.DataSize != nil {
		if out.Ranges == nil {
			out.Ranges = map[string]dwn.Range{}
		}
		out.Ranges["dataSize"] = numberRange(f.DataSize)
	}
	for name, raw := range f.Tags {
		k := "tag." + name
		var v any
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		if err := dec.Decode(&v); err != nil {
			return out, dwn.Errorf(dwn.Invalid, "SchemaValidatorFailure", "tag filter %s is not valid", truncate(name, 64))
		}
		switch x := v.(type) {
		case map[string]any:
			if p, ok := x["startsWith"].(string); ok {
				if out.Prefix == nil {
					out.Prefix = map[string]string{}
				}
				out.Prefix[k] = p
				continue
			}
			if out.Ranges == nil {
				out.Ranges = map[string]dwn.Range{}
			}
			out.Ranges[k] = dwn.Range{GT: num(x["gt"]), GTE: num(x["gte"]), LT: num(x["lt"]), LTE: num(x["lte"])}
		default:
			out.Equal[k] = num(x)
		}
	}
	return out, nil
}

// num turns json.Number into float64 and leaves other values alone.
func num(v any) any {
	if n, ok := v.(json.Number); ok {
		f, _ := strconv.ParseFloat(string(n), 64)
		return f
	}
	return v
}

func numberRange(r *dwn.Range) dwn.Range {
	return dwn.Range{GT: num(r.GT), GTE: num(r.GTE), LT: num(r.LT), LTE: num(r.LTE)}
}

func cloneFilter(f dwn.Filter) dwn.Filter {
	out := f
	out.Equal = make(map[string]any, len(f.Equal)+2)
	for k, v := range f.Equal {
		out.Equal[k] = v
	}
	return out
}

// parseOptionalSignature parses and verifies the signature of a message whose
// authorization is optional (RecordsQuery, RecordsRead); nil means anonymous.
func (n *Node) parseOptionalSignature(ctx context.Context, r *request) (*signed, error) {
	s, err := n.genericSignature(r)
	if err != nil || s == nil {
		return nil, err
	}
	if err := delegatedRecords(r, s); err != nil {
		return nil, err
	}
	if err := n.authenticate(ctx, s); err != nil {
		return nil, err
	}
	return s, nil
}

func (n *Node) recordsQuery(ctx context.Context, r *request) (*Reply, error) {
	d := &r.msg.Descriptor
	if err := checkTimestamp(d.MessageTimestamp); err != nil {
		return nil, err
	}
	f := d.Filter
	if err := dwn.CheckProtocolAndSchema(f.Protocol, f.Schema); err != nil {
		return nil, err
	}
	sortProp, desc := dwn.SortDateCreated, false
	switch d.DateSort {
	case "createdDescending":
		desc = true
	case "publishedAscending":
		sortProp = dwn.SortDatePublished
	case "publishedDescending":
		sortProp, desc = dwn.SortDatePublished, true
	}
	if sortProp == dwn.SortDatePublished && f.Published != nil && !*f.Published {
		return nil, dwn.Errorf(dwn.Invalid, "RecordsQueryParseFilterPublishedSortInvalid",
			"queries must not filter for `published:false` and sort by %s", d.DateSort)
	}
	filters, err := n.recordsFilters(ctx, r, sortProp == dwn.SortDatePublished)
	if err != nil {
		return nil, err
	}
	q := &dwn.Query{Filters: filters, Sort: sortProp, Descending: desc}
	if p := d.Pagination; p != nil {
		q.Limit, q.Cursor = p.Limit, p.Cursor
		if c := q.Cursor; c != nil {
			if _, ok := c.Value.(string); !ok {
				// Record cursors carry a timestamp; anything else matches nothing.
				return &Reply{Status: dwn.Status{Code: 200, Detail: "OK"}, Entries: []json.RawMessage{}}, nil
			}
		}
	}
	if n.cfg.MaxQueryLimit > 0 && (q.Limit == 0 || q.Limit > n.cfg.MaxQueryLimit) {
		q.Limit = n.cfg.MaxQueryLimit
	}
	page, err := n.store.QueryRecords(ctx, r.tenant, q)
	if err != nil {
		return nil, err
	}
	rep := &Reply{Status: dwn.Status{Code: 200, Detail: "OK"}, Entries: make([]json.RawMessage, 0, len(page.Entries)), Cursor: page.Cursor}
	for i := range page.Entries {
		e, err := n.entryJSON(ctx, r.tenant, &page.Entries[i], true)
		if err != nil {
			return nil, err
		}
		rep.Entries = append(rep.Entries, e)
	}
	return rep, nil
}

// recordsFilters turns the filter of a RecordsQuery or RecordsSubscribe into the
// filters of what the caller may see: it authenticates the signature (if any), checks
// delegated grants and invoked roles, and narrows the filter for non-owners.
// publishedOnly adds published = true (a sort by datePublished).
func (n *Node) recordsFilters(ctx context.Context, r *request, publishedOnly bool) ([]dwn.Filter, error) {
	d := &r.msg.Descriptor
	f := d.Filter
	sig, err := n.parseOptionalSignature(ctx, r)
	if err != nil {
		return nil, err
	}
	base, err := n.convertFilter(f)
	if err != nil {
		return nil, err
	}
	if publishedOnly {
		base.Equal["published"] = true
	}
	role := ""
	if sig != nil {
		role = sig.str("protocolRole")
		if dg := sig.delegation; dg != nil {
			if err := n.checkGrant(ctx, dg.grant, sig.author, sig.signer, d); err != nil {
				return nil, err
			}
			if err := checkQueryScope(dg.grant, f.Protocol); err != nil {
				return nil, err
			}
		}
	}
	if role != "" {
		if f.ProtocolPath == "" {
			what := "queries"
			if d.Method == dwn.MethodSubscribe {
				what = "subscriptions"
			}
			return nil, dwn.Errorf(dwn.Invalid, d.Interface+d.Method+"FilterMissingRequiredProperties",
				"Role-authorized %s must include `protocolPath` in the filter", what)
		}
		def, err := n.definition(ctx, r.tenant, f.Protocol)
		if err != nil {
			return nil, unauthorized(err)
		}
		a := &protocols.Access{Method: d.Method, Author: sig.author, Role: role}
		if err := protocols.AuthorizeQuery(ctx, n.recordView(r.tenant), def, a, f.Protocol, f.ProtocolPath, f.ContextID); err != nil {
			return nil, unauthorized(err)
		}
	}
	filters, err := visibleFilters(base, r.tenant, sig)
	if err != nil {
		return nil, err
	}
	if pub, constrained := base.Equal["published"].(bool); role != "" && sig.author != r.tenant && (!constrained || !pub) {
		// Unpublished records the invoked role may query (the reference's
		// buildUnpublishedProtocolAuthorizedRecordsFilter).
		u := cloneFilter(base)
		u.Equal["published"] = false
		filters = append(filters, u)
	}
	return filters, nil
}

// entryJSON renders a stored latest write as a query entry: with encodedData (when
// withData) and with initialWrite when it is not the initial write.
func (n *Node) entryJSON(ctx context.Context, tenant string, m *dwn.StoredMessage, withData bool) (json.RawMessage, error) {
	var initial []byte
	if rid, _ := m.Indexes["recordId"].(string); rid != "" && rid != m.Indexes["entryId"] {
		st, err := n.store.Record(ctx, tenant, rid)
		if err != nil {
			return nil, err
		}
		im, err := n.store.Message(ctx, tenant, st.InitialCID)
		if err != nil {
			return nil, err
		}
		initial = im.JSON
	}
	var enc []byte
	if withData {
		enc = m.EncodedData
	}
	return appendEntry(m.JSON, enc, initial), nil
}

// visibleFilters narrows a query to what the caller may see (dwn-protocol.md §6.2): the
// owner sees everything; anonymous callers published records; other DIDs published
// records plus unpublished ones they authored or receive.
func visibleFilters(base dwn.Filter, tenant string, sig *signed) ([]dwn.Filter, error) {
	if sig != nil && sig.author == tenant {
		return []dwn.Filter{base}, nil
	}
	// base.Equal["published"] already folds in filter.published, a datePublished range
	// and a published sort.
	pub, constrained := base.Equal["published"].(bool)
	allowsPublished := !constrained || pub
	allowsUnpublished := !constrained || !pub
	if sig == nil {
		if !allowsPublished {
			return nil, missingJWS()
		}
		pub := cloneFilter(base)
		pub.Equal["published"] = true
		return []dwn.Filter{pub}, nil
	}
	var out []dwn.Filter
	if allowsPublished {
		pub := cloneFilter(base)
		pub.Equal["published"] = true
		out = append(out, pub)
	}
	if allowsUnpublished {
		for _, prop := range []string{"author", "recipient"} {
			if !filterAllows(base, prop, sig.author) {
				continue
			}
			u := cloneFilter(base)
			u.Equal["published"] = false
			u.Equal[prop] = sig.author
			if u.OneOf != nil {
				oneOf := make(map[string][]any, len(u.OneOf))
				for k, v := range u.OneOf {
					if k != prop {
						oneOf[k] = v
					}
				}
				u.OneOf = oneOf
			}
			out = append(out, u)
		}
	}
	return out, nil
}

// filterAllows reports whether the filter's condition on prop admits value.
func filterAllows(f dwn.Filter, prop, value string) bool {
	if v, ok := f.Equal[prop]; ok {
		return v == value
	}
	if vs, ok := f.OneOf[prop]; ok {
		for _, v := range vs {
			if v == value {
				return true
			}
		}
		return false
	}
	return true
}
