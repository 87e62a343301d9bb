package did

import (
	"context"
	"errors"
	"testing"
)

type countingResolver struct{ calls int }

func (c *countingResolver) Resolve(_ context.Context, d string) (*Document, error) {
	c.calls++
	if d == "did:x:bad" {
		return nil, errors.New("unresolvable")
	}
	return &Document{ID: d}, nil
}

func TestMemoryCache(t *testing.T) {
	r := &countingResolver{}
	c := NewMemoryCache(r, 2)
	ctx := context.Background()
	for range 3 {
		if doc, err := c.Resolve(ctx, "did:x:a"); err != nil || doc.ID != "did:x:a" {
			t.Fatal(doc, err)
		}
	}
	if r.calls != 1 {
		t.Fatalf("resolved %d times, want 1", r.calls)
	}
	for range 2 {
		if _, err := c.Resolve(ctx, "did:x:bad"); err == nil {
			t.Fatal("error not returned")
		}
	}
	if r.calls != 3 {
		t.Fatalf("failures must not be cached: %d calls", r.calls)
	}
	c.Resolve(ctx, "did:x:b")
	c.Resolve(ctx, "did:x:c")
	if len(c.docs) > 2 {
		t.Fatalf("cache grew to %d entries, limit 2", len(c.docs))
	}
}
