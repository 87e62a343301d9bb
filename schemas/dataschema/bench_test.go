package dataschema_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/dwn-ipfs/dwn-ipfs/schemas/dataschema"
)

// typicalPost returns a valid post of about 1 KiB.
func typicalPost(tb testing.TB) []byte {
	tb.Helper()
	var comments []string
	for i := range 6 {
		comments = append(comments, fmt.Sprintf(`{"by": "did:example:user%d", "text": "Comment number %d on this post."}`, i, i))
	}
	data := []byte(`{
	"title": "Validating record data against JSON Schemas",
	"body": "` + strings.Repeat("Lorem ipsum dolor sit amet. ", 12) + `",
	"author": {"name": "Ann Example", "address": {"street": "1 Main Street", "zip": "12345", "country": "US"}},
	"tags": ["dwn", "json-schema", "validation", "go"],
	"rating": 5,
	"published": true,
	"comments": [` + strings.Join(comments, ", ") + `]
}`)
	if !json.Valid(data) {
		tb.Fatal("typicalPost is not JSON")
	}
	return data
}

func BenchmarkValidate(b *testing.B) {
	ctx := context.Background()
	data := typicalPost(b)
	src := newFakeSource()
	raw, err := os.ReadFile("testdata/schemas/post.json")
	if err != nil {
		b.Fatal(err)
	}
	src.set(alice, postURI, string(raw))
	for _, bc := range []struct {
		name   string
		r      *dataschema.Registry
		tenant string
	}{
		{"directory", loaded(b, dataschema.Options{}), alice},
		{"tenant", loaded(b, dataschema.Options{Source: src}), alice},
		{"directory-after-tenant-miss", loaded(b, dataschema.Options{Source: src}), bob},
	} {
		b.Run(bc.name, func(b *testing.B) {
			if err := bc.r.Validate(ctx, bc.tenant, postURI, data); err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				if err := bc.r.Validate(ctx, bc.tenant, postURI, data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("unknown-schema", func(b *testing.B) {
		r := loaded(b, dataschema.Options{Source: src})
		b.ReportAllocs()
		for b.Loop() {
			if err := r.Validate(ctx, bob, "https://x.example/none.json", data); err != nil {
				b.Fatal(err)
			}
		}
	})
}
