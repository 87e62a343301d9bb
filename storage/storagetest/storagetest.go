// Package storagetest is the conformance suite every dwn.MessageStore and dwn.DataStore
// implementation must pass. An implementation's tests call Run with a constructor that
// returns a fresh, empty store.
package storagetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"testing"

	"github.com/dwn-ipfs/dwn-ipfs/dwn"
)

// Store is what the suite tests: a message store that is also a data store.
type Store interface {
	dwn.MessageStore
	dwn.DataStore
}

// Run runs every test of the suite as a subtest.
func Run(t *testing.T, newStore func(t *testing.T) Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s Store)
	}{
		{"NewRecord", testNewRecord},
		{"UpdateSupersedes", testUpdateSupersedes},
		{"ExpectNewestConflict", testExpectNewest},
		{"TenantIsolation", testTenantIsolation},
		{"QueryEqualityAndSort", testQuerySort},
		{"QueryPagination", testQueryPagination},
		{"QueryUnionDedupe", testQueryUnion},
		{"QueryTagsPrefixRanges", testQueryTags},
		{"QueryJoinSelectivityShifts", testQueryJoinShift},
		{"QueryEntryIndexes", testQueryEntryIndexes},
		{"Protocols", testProtocols},
		{"DeleteAndPrune", testDeleteAndPrune},
		{"DataRefs", testDataRefs},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t)
			tc.fn(t, s)
		})
	}
}

const tenant = "did:example:alice"

// write builds the update of a queryable write of record rid at second sec.
func write(rid string, sec int, extra dwn.Indexes, expect string) *dwn.RecordUpdate {
	ts := fmt.Sprintf("2024-01-01T00:00:%02d.000000Z", sec)
	cid := fmt.Sprintf("cid-%s-%02d", rid, sec)
	ix := dwn.Indexes{"interface": "Records", "method": "Write", "recordId": rid, "dateCreated": ts,
		"messageTimestamp": ts, "published": false, "author": tenant, "schema": "https://s",
		"entryId": rid}
	if expect != "" {
		ix["entryId"] = "other"
	}
	for k, v := range extra {
		ix[k] = v
	}
	if dc, ok := extra["dateCreated"]; ok {
		ix["dateCreated"] = dc
	}
	return &dwn.RecordUpdate{RecordID: rid, ExpectNewestCID: expect, Timestamp: ts, IsInitial: expect == "",
		Queryable: true, DataCID: "d", DataSize: 3,
		Message: dwn.StoredMessage{CID: cid, JSON: []byte(`{"cid":"` + cid + `"}`), EncodedData: []byte("abc"), Indexes: ix}}
}

func mustApply(t *testing.T, s Store, tn string, u *dwn.RecordUpdate) {
	t.Helper()
	if err := s.ApplyRecord(context.Background(), tn, u); err != nil {
		t.Fatalf("ApplyRecord(%s): %v", u.Message.CID, err)
	}
}

func query(t *testing.T, s Store, tn string, q *dwn.Query) ([]string, *dwn.Cursor) {
	t.Helper()
	p, err := s.QueryRecords(context.Background(), tn, q)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range p.Entries {
		out = append(out, e.CID)
	}
	return out, p.Cursor
}

func eq(t *testing.T, got []string, want ...string) {
	t.Helper()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}

func testNewRecord(t *testing.T, s Store) {
	ctx := context.Background()
	if _, err := s.Record(ctx, tenant, "r1"); dwn.KindOf(err) != dwn.NotFound {
		t.Fatalf("Record of unknown = %v, want NotFound", err)
	}
	mustApply(t, s, tenant, write("r1", 1, nil, ""))
	st, err := s.Record(ctx, tenant, "r1")
	if err != nil {
		t.Fatal(err)
	}
	if st.InitialCID != "cid-r1-01" || st.NewestCID != "cid-r1-01" || !st.Queryable || st.NewestIsDelete {
		t.Fatalf("state = %+v", st)
	}
	m, err := s.Message(ctx, tenant, "cid-r1-01")
	if err != nil || string(m.EncodedData) != "abc" || m.Indexes["recordId"] != "r1" {
		t.Fatalf("Message = %+v, %v", m, err)
	}
}

func testUpdateSupersedes(t *testing.T, s Store) {
	ctx := context.Background()
	mustApply(t, s, tenant, write("r1", 1, nil, ""))
	mustApply(t, s, tenant, write("r1", 2, dwn.Indexes{"schema": "https://t"}, "cid-r1-01"))
	mustApply(t, s, tenant, write("r1", 3, dwn.Indexes{"schema": "https://u"}, "cid-r1-02"))
	if _, err := s.Message(ctx, tenant, "cid-r1-02"); dwn.KindOf(err) != dwn.NotFound {
		t.Fatalf("superseded non-initial write still stored: %v", err)
	}
	m, err := s.Message(ctx, tenant, "cid-r1-01")
	if err != nil {
		t.Fatalf("initial write gone: %v", err)
	}
	if m.EncodedData != nil {
		t.Fatal("initial write kept its inline data after being superseded")
	}
	got, _ := query(t, s, tenant, &dwn.Query{Filters: []dwn.Filter{{Equal: map[string]any{"recordId": "r1"}}}})
	eq(t, got, "cid-r1-03")
	got, _ = query(t, s, tenant, &dwn.Query{Filters: []dwn.Filter{{Equal: map[string]any{"schema": "https://s"}}}})
	eq(t, got)
}

func testExpectNewest(t *testing.T, s Store) {
	mustApply(t, s, tenant, write("r1", 1, nil, ""))
	err := s.ApplyRecord(context.Background(), tenant, write("r1", 2, nil, "wrong"))
	if !errors.Is(err, &dwn.Error{Kind: dwn.Conflict}) {
		t.Fatalf("err = %v, want Conflict", err)
	}
	if err := s.ApplyRecord(context.Background(), tenant, write("r1", 2, nil, "")); !errors.Is(err, &dwn.Error{Kind: dwn.Conflict}) {
		t.Fatalf("second initial write: err = %v, want Conflict", err)
	}
}

func testTenantIsolation(t *testing.T, s Store) {
	mustApply(t, s, tenant, write("r1", 1, nil, ""))
	mustApply(t, s, "did:example:alice2", write("r2", 1, nil, ""))
	got, _ := query(t, s, tenant, &dwn.Query{Filters: []dwn.Filter{{}}})
	eq(t, got, "cid-r1-01")
	if _, err := s.Record(context.Background(), "did:example:alice2", "r1"); dwn.KindOf(err) != dwn.NotFound {
		t.Fatal("a record leaked across tenants")
	}
}

func testQuerySort(t *testing.T, s Store) {
	mustApply(t, s, tenant, write("a", 3, nil, ""))
	mustApply(t, s, tenant, write("b", 1, nil, ""))
	mustApply(t, s, tenant, write("c", 2, dwn.Indexes{"schema": "https://other"}, ""))
	mustApply(t, s, tenant, write("d", 4, dwn.Indexes{"published": true, "datePublished": "2024-01-02T00:00:00.000000Z"}, ""))
	f := []dwn.Filter{{Equal: map[string]any{"schema": "https://s"}}}
	got, c := query(t, s, tenant, &dwn.Query{Filters: f})
	eq(t, got, "cid-b-01", "cid-a-03", "cid-d-04")
	if c != nil {
		t.Fatal("cursor without a limit")
	}
	got, _ = query(t, s, tenant, &dwn.Query{Filters: f, Descending: true})
	eq(t, got, "cid-d-04", "cid-a-03", "cid-b-01")
	got, _ = query(t, s, tenant, &dwn.Query{Filters: []dwn.Filter{{Equal: map[string]any{"published": true}}}, Sort: dwn.SortDatePublished})
	eq(t, got, "cid-d-04")
	got, _ = query(t, s, tenant, &dwn.Query{Filters: []dwn.Filter{{Equal: map[string]any{"schema": "https://s", "published": false}}}})
	eq(t, got, "cid-b-01", "cid-a-03")
}

func testQueryPagination(t *testing.T, s Store) {
	var all []string
	for i := 1; i <= 7; i++ {
		rid := fmt.Sprintf("r%d", i)
		mustApply(t, s, tenant, write(rid, i, nil, ""))
		all = append(all, fmt.Sprintf("cid-%s-%02d", rid, i))
	}
	for _, desc := range []bool{false, true} {
		var got []string
		var cur *dwn.Cursor
		for pages := 0; pages < 10; pages++ {
			ids, c := query(t, s, tenant, &dwn.Query{Filters: []dwn.Filter{{Equal: map[string]any{"schema": "https://s"}}}, Limit: 3, Cursor: cur, Descending: desc})
			got = append(got, ids...)
			if c == nil {
				break
			}
			if c.MessageCID != ids[len(ids)-1] {
				t.Fatalf("cursor %v is not the last entry %s", c, ids[len(ids)-1])
			}
			cur = c
		}
		want := append([]string(nil), all...)
		if desc {
			for i, j := 0, len(want)-1; i < j; i, j = i+1, j-1 {
				want[i], want[j] = want[j], want[i]
			}
		}
		eq(t, got, want...)
	}
	// Exactly limit results: no cursor.
	_, c := query(t, s, tenant, &dwn.Query{Filters: []dwn.Filter{{}}, Limit: 7})
	if c != nil {
		t.Fatal("cursor returned although no results remain")
	}
}

func testQueryUnion(t *testing.T, s Store) {
	mustApply(t, s, tenant, write("a", 1, dwn.Indexes{"published": true, "datePublished": "2024-01-01T00:00:01.000000Z", "author": "did:x"}, ""))
	mustApply(t, s, tenant, write("b", 2, dwn.Indexes{"recipient": "did:x"}, ""))
	mustApply(t, s, tenant, write("c", 3, nil, ""))
	got, _ := query(t, s, tenant, &dwn.Query{Filters: []dwn.Filter{
		{Equal: map[string]any{"published": true}},
		{Equal: map[string]any{"author": "did:x"}},
		{Equal: map[string]any{"recipient": "did:x", "published": false}},
	}})
	eq(t, got, "cid-a-01", "cid-b-02")
	got, _ = query(t, s, tenant, &dwn.Query{Filters: []dwn.Filter{{OneOf: map[string][]any{"recordId": {"a", "c"}}}}})
	eq(t, got, "cid-a-01", "cid-c-03")
}

func testQueryTags(t *testing.T, s Store) {
	mustApply(t, s, tenant, write("a", 1, dwn.Indexes{"tag.k": []any{"red", "blue"}, "tag.n": 5.0, "contextId": "x/y"}, ""))
	mustApply(t, s, tenant, write("b", 2, dwn.Indexes{"tag.k": "green", "tag.n": 10.0, "contextId": "x/y/z"}, ""))
	mustApply(t, s, tenant, write("c", 3, dwn.Indexes{"tag.k": "bluish", "tag.n": -1.0, "contextId": "xx"}, ""))
	q := func(f dwn.Filter) []string {
		got, _ := query(t, s, tenant, &dwn.Query{Filters: []dwn.Filter{f}})
		return got
	}
	eq(t, q(dwn.Filter{Equal: map[string]any{"tag.k": "blue"}}), "cid-a-01")
	eq(t, q(dwn.Filter{Equal: map[string]any{"tag.n": 10.0}}), "cid-b-02")
	eq(t, q(dwn.Filter{Prefix: map[string]string{"tag.k": "blu"}}), "cid-a-01", "cid-c-03")
	eq(t, q(dwn.Filter{Ranges: map[string]dwn.Range{"tag.n": {GTE: 0.0, LT: 10.0}}}), "cid-a-01")
	eq(t, q(dwn.Filter{Ranges: map[string]dwn.Range{"tag.k": {GT: "green"}}}), "cid-a-01")
	eq(t, q(dwn.Filter{Prefix: map[string]string{"contextId": "x/y"}}), "cid-a-01", "cid-b-02")
	eq(t, q(dwn.Filter{Prefix: map[string]string{"contextId": "x"}}), "cid-a-01", "cid-b-02")
	eq(t, q(dwn.Filter{Ranges: map[string]dwn.Range{"dateCreated": {GTE: "2024-01-01T00:00:02.000000Z", LT: "2024-01-01T00:00:03.000000Z"}}}), "cid-b-02")
}

// testQueryJoinShift joins two conditions whose selectivity changes along the sort
// order: for the first 40 records both agree (a store may stop seeking one of them), then
// every other record has the tag but another schema, then the schema comes back on
// records without the tag. Only records with both may be returned, in order, on every
// page and in both directions.
func testQueryJoinShift(t *testing.T, s Store) {
	var want []string
	for i := 1; i <= 90; i++ {
		rid := fmt.Sprintf("j%02d", i)
		ix := dwn.Indexes{"dateCreated": fmt.Sprintf("2024-01-01T00:%02d:00.000000Z", i)}
		both := i <= 40 || (i <= 70 && i%2 == 0)
		switch {
		case i <= 40:
			ix["tag.t"] = "x"
		case i <= 70:
			ix["tag.t"] = "x"
			if !both {
				ix["schema"] = "https://other"
			}
		default:
			ix["tag.t"] = "y"
		}
		u := write(rid, i%60, ix, "")
		u.Message.CID = "cid-" + rid
		mustApply(t, s, tenant, u)
		if both {
			want = append(want, u.Message.CID)
		}
	}
	f := dwn.Filter{Equal: map[string]any{"schema": "https://s", "tag.t": "x"}}
	for _, desc := range []bool{false, true} {
		for _, limit := range []int{0, 7} {
			var got []string
			var cur *dwn.Cursor
			for pages := 0; pages < 100; pages++ {
				ids, c := query(t, s, tenant, &dwn.Query{Filters: []dwn.Filter{f}, Limit: limit, Cursor: cur, Descending: desc})
				got = append(got, ids...)
				if c == nil {
					break
				}
				cur = c
			}
			exp := slices.Clone(want)
			if desc {
				slices.Reverse(exp)
			}
			eq(t, got, exp...)
		}
	}
}

// testQueryEntryIndexes checks what query entries carry: every index with AllIndexes,
// at least recordId and entryId without it; always the message and its data.
func testQueryEntryIndexes(t *testing.T, s Store) {
	u := write("r", 1, dwn.Indexes{"tag.k": []any{"a", 2.0}, "published": true}, "")
	mustApply(t, s, tenant, u)
	for _, all := range []bool{false, true} {
		p, err := s.QueryRecords(context.Background(), tenant, &dwn.Query{Filters: []dwn.Filter{{Equal: map[string]any{"tag.k": "a"}}}, AllIndexes: all})
		if err != nil || len(p.Entries) != 1 {
			t.Fatalf("AllIndexes=%v: %d entries, %v", all, len(p.Entries), err)
		}
		e := p.Entries[0]
		if string(e.JSON) != string(u.Message.JSON) || string(e.EncodedData) != "abc" {
			t.Fatalf("entry %s / %q, want %s / abc", e.JSON, e.EncodedData, u.Message.JSON)
		}
		if e.Indexes["recordId"] != "r" || e.Indexes["entryId"] != "r" {
			t.Fatalf("AllIndexes=%v: recordId/entryId missing: %v", all, e.Indexes)
		}
		if all && fmt.Sprint(e.Indexes) != fmt.Sprint(u.Message.Indexes) {
			t.Fatalf("indexes %v, want %v", e.Indexes, u.Message.Indexes)
		}
	}
}

func configure(protocol, cid, ts, expect string) *dwn.ProtocolUpdate {
	return &dwn.ProtocolUpdate{Protocol: protocol, Timestamp: ts, ExpectNewestCID: expect,
		Message: dwn.StoredMessage{CID: cid, JSON: []byte(`{"cid":"` + cid + `"}`), Indexes: dwn.Indexes{"published": true, "protocol": protocol}}}
}

// testProtocols: one configuration per protocol, replaced atomically, listed in
// timestamp order, per tenant.
func testProtocols(t *testing.T, s Store) {
	ctx := context.Background()
	if _, err := s.Protocol(ctx, tenant, "https://p"); dwn.KindOf(err) != dwn.NotFound {
		t.Fatalf("Protocol before any configure: %v, want NotFound", err)
	}
	for _, u := range []*dwn.ProtocolUpdate{
		configure("https://p", "p1", "2024-01-01T00:00:03.000000Z", ""),
		configure("https://q", "q1", "2024-01-01T00:00:01.000000Z", ""),
		configure("https://p", "p2", "2024-01-01T00:00:02.000000Z", "p1"),
	} {
		if err := s.ApplyProtocol(ctx, tenant, u); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.ApplyProtocol(ctx, tenant, configure("https://p", "p3", "2024-01-01T00:00:09.000000Z", "p1")); dwn.KindOf(err) != dwn.Conflict {
		t.Fatalf("stale ExpectNewestCID: %v, want Conflict", err)
	}
	m, err := s.Protocol(ctx, tenant, "https://p")
	if err != nil || m.CID != "p2" || m.Indexes["published"] != true {
		t.Fatalf("Protocol: %+v, %v", m, err)
	}
	if _, err := s.Message(ctx, tenant, "p1"); dwn.KindOf(err) != dwn.NotFound {
		t.Fatalf("replaced configuration still stored: %v", err)
	}
	all, err := s.Protocols(ctx, tenant)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range all {
		got = append(got, m.CID)
	}
	eq(t, got, "q1", "p2")
	if other, err := s.Protocols(ctx, "did:example:other"); err != nil || len(other) != 0 {
		t.Fatalf("other tenant sees %d protocols, %v", len(other), err)
	}
}

func testDeleteAndPrune(t *testing.T, s Store) {
	ctx := context.Background()
	mustApply(t, s, tenant, write("p", 1, nil, ""))
	child := write("c", 2, nil, "")
	child.ParentID = "p"
	mustApply(t, s, tenant, child)
	grand := write("g", 3, nil, "")
	grand.ParentID = "c"
	mustApply(t, s, tenant, grand)
	del := &dwn.RecordUpdate{RecordID: "p", ExpectNewestCID: "cid-p-01", Timestamp: "2024-01-01T00:00:09.000000Z",
		IsDelete: true, Prune: true, Message: dwn.StoredMessage{CID: "del-p", JSON: []byte(`{}`), Indexes: dwn.Indexes{"method": "Delete"}}}
	mustApply(t, s, tenant, del)
	st, err := s.Record(ctx, tenant, "p")
	if err != nil || !st.NewestIsDelete || st.Queryable || st.InitialCID != "cid-p-01" {
		t.Fatalf("state after delete = %+v, %v", st, err)
	}
	for _, rid := range []string{"c", "g"} {
		if _, err := s.Record(ctx, tenant, rid); dwn.KindOf(err) != dwn.NotFound {
			t.Fatalf("descendant %s survived a prune: %v", rid, err)
		}
	}
	got, _ := query(t, s, tenant, &dwn.Query{Filters: []dwn.Filter{{}}})
	eq(t, got)
}

func putBlob(t *testing.T, s Store, data []byte) string {
	t.Helper()
	bw, err := s.Create(context.Background(), tenant, "bafkreitest", false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bw.Write(data); err != nil {
		t.Fatal(err)
	}
	blob, err := bw.Finish()
	if err != nil {
		t.Fatal(err)
	}
	return blob
}

func readAll(t *testing.T, s Store, ref *dwn.DataRef, off int64) []byte {
	t.Helper()
	rc, err := s.Open(context.Background(), tenant, ref, off)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func testDataRefs(t *testing.T, s Store) {
	ctx := context.Background()
	data := bytes.Repeat([]byte("0123456789abcdef"), 40000) // 640000 bytes, three chunks
	blob1 := putBlob(t, s, data)
	u := write("a", 1, nil, "")
	u.Message.EncodedData = nil
	u.NewData = &dwn.DataRef{DataCID: "big", Size: int64(len(data)), Blob: blob1}
	mustApply(t, s, tenant, u)
	ref, err := s.Ref(ctx, tenant, "big")
	if err != nil || ref.Blob != blob1 {
		t.Fatalf("Ref = %+v, %v", ref, err)
	}
	if got := readAll(t, s, ref, 0); !bytes.Equal(got, data) {
		t.Fatal("blob read back differs")
	}
	if got := readAll(t, s, ref, 300000); !bytes.Equal(got, data[300000:]) {
		t.Fatal("blob read from an offset differs")
	}
	// The same data in another record is stored once.
	blob2 := putBlob(t, s, data)
	u2 := write("b", 2, nil, "")
	u2.NewData = &dwn.DataRef{DataCID: "big", Size: int64(len(data)), Blob: blob2}
	mustApply(t, s, tenant, u2)
	if ref, _ := s.Ref(ctx, tenant, "big"); ref.Blob != blob1 {
		t.Fatal("duplicate data got a second blob")
	}
	// Superseding both writes with inline data drops the reference.
	for _, r := range []struct{ rid, prev string }{{"a", "cid-a-01"}, {"b", "cid-b-02"}} {
		mustApply(t, s, tenant, write(r.rid, 5, nil, r.prev))
	}
	if _, err := s.Ref(ctx, tenant, "big"); dwn.KindOf(err) != dwn.NotFound {
		t.Fatalf("unreferenced data still has a reference: %v", err)
	}
	// An aborted blob is not readable as data of any record.
	bw, _ := s.Create(ctx, tenant, "bafkreitest", false)
	bw.Write([]byte("x"))
	bw.Abort()
}
