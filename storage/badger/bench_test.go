package badger

import (
	"context"
	"fmt"
	"testing"

	"github.com/dwn-ipfs/dwn-ipfs/dwn"
)

// seed writes n queryable records with a schema and a tag bucket = i%100.
func seed(b *testing.B, s *Store, n int) {
	b.Helper()
	ctx := context.Background()
	for i := range n {
		ts := fmt.Sprintf("2024-01-01T%02d:%02d:%02d.%06dZ", (i/3600)%24, (i/60)%60, i%60, i%1000000)
		rid := fmt.Sprintf("rec%07d", i)
		u := &dwn.RecordUpdate{RecordID: rid, Timestamp: ts, IsInitial: true, Queryable: true,
			Message: dwn.StoredMessage{CID: "cid" + rid, JSON: []byte(`{"x":1}`), EncodedData: make([]byte, 64),
				Indexes: dwn.Indexes{"recordId": rid, "entryId": rid, "dateCreated": ts, "schema": "https://bench/s",
					"published": false, "author": "did:a", "tag.bucket": float64(i % 100)}}}
		if err := s.ApplyRecord(ctx, "did:bench", u); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkQuery measures first pages, cursor pages and a 1% tag filter at growing
// tenant sizes: the cost must stay flat.
func BenchmarkQuery(b *testing.B) {
	for _, n := range []int{1000, 10000, 100000} {
		s, err := Open(b.TempDir(), Options{})
		if err != nil {
			b.Fatal(err)
		}
		seed(b, s, n)
		// Let compactions triggered by seeding finish, as on a server in steady state.
		if err := s.db.Flatten(2); err != nil {
			b.Fatal(err)
		}
		ctx := context.Background()
		first := &dwn.Query{Filters: []dwn.Filter{{Equal: map[string]any{"schema": "https://bench/s"}}}, Limit: 20}
		page, err := s.QueryRecords(ctx, "did:bench", first)
		if err != nil || len(page.Entries) != 20 || page.Cursor == nil {
			b.Fatalf("first page: %v", err)
		}
		next := &dwn.Query{Filters: first.Filters, Limit: 20, Cursor: page.Cursor}
		tag := &dwn.Query{Filters: []dwn.Filter{{Equal: map[string]any{"schema": "https://bench/s", "tag.bucket": 7.0}}}, Limit: 20}
		for _, c := range []struct {
			name string
			q    *dwn.Query
			want int
		}{{"first", first, 20}, {"cursor", next, 20}, {"tag1pct", tag, min(20, n/100)}} {
			b.Run(fmt.Sprintf("%s/records=%d", c.name, n), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					p, err := s.QueryRecords(ctx, "did:bench", c.q)
					if err != nil || len(p.Entries) != c.want {
						b.Fatalf("%d entries, %v", len(p.Entries), err)
					}
				}
			})
		}
		s.Close()
	}
}
