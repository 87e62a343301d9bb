package jws

import (
	"container/list"
	"context"
	"testing"
	"time"

	"github.com/dwn-ipfs/dwn-ipfs/did"
	"github.com/dwn-ipfs/dwn-ipfs/did/didjwk"
	"github.com/dwn-ipfs/dwn-ipfs/dwn/jwk"
)

// testJWS returns a JWS signed by a fresh did:jwk and a resolver for it.
func testJWS(t *testing.T) (*General, did.Resolver) {
	t.Helper()
	k, err := jwk.Generate(jwk.Ed25519)
	if err != nil {
		t.Fatal(err)
	}
	id, err := didjwk.New(k)
	if err != nil {
		t.Fatal(err)
	}
	g, err := Sign([]byte(`{"descriptorCid":"bafy"}`), PrivateKeySigner{Key: k, KID: id + "#0"})
	if err != nil {
		t.Fatal(err)
	}
	return g, did.Methods{didjwk.Method: didjwk.Resolver{}}
}

func TestLRU(t *testing.T) {
	t0 := time.Unix(1700000000, 0)
	c := &lru{size: 2, ttl: time.Minute, ll: list.New(), m: map[[32]byte]*list.Element{}}
	a, b, d := [32]byte{1}, [32]byte{2}, [32]byte{3}
	c.put(a, t0)
	c.put(b, t0)
	if !c.get(a, t0) { // a is now the most recently used
		t.Fatal("a missing")
	}
	c.put(d, t0) // evicts b
	if c.len() != 2 || c.get(b, t0) || !c.get(a, t0) || !c.get(d, t0) {
		t.Fatalf("after eviction: len %d, b %v", c.len(), c.get(b, t0))
	}
	if c.get(a, t0.Add(time.Minute)) {
		t.Fatal("a did not expire after the TTL")
	}
	if c.len() != 1 {
		t.Fatalf("expired entry not removed: len %d", c.len())
	}
	c.put(d, t0.Add(2*time.Minute)) // refresh extends the expiry
	if !c.get(d, t0.Add(2*time.Minute+59*time.Second)) {
		t.Fatal("refreshed entry expired early")
	}
}

type countResolver struct {
	r     did.Resolver
	calls int
}

func (c *countResolver) Resolve(ctx context.Context, id string) (*did.Document, error) {
	c.calls++
	return c.r.Resolve(ctx, id)
}

func TestVerifierCacheTTL(t *testing.T) {
	g, r := testJWS(t)
	cr := &countResolver{r: r}
	now := time.Unix(1700000000, 0)
	v := &Verifier{Resolver: cr, CacheTTL: time.Second, now: func() time.Time { return now }}
	ctx := context.Background()
	for range 2 {
		if _, err := v.Verify(ctx, g); err != nil {
			t.Fatal(err)
		}
	}
	if cr.calls != 1 {
		t.Fatalf("resolved %d times, want 1", cr.calls)
	}
	now = now.Add(time.Second)
	if _, err := v.Verify(ctx, g); err != nil {
		t.Fatal(err)
	}
	if cr.calls != 2 {
		t.Fatalf("resolved %d times after the TTL, want 2", cr.calls)
	}
	if v.cache.size != DefaultCacheSize || v.cache.ttl != time.Second {
		t.Fatalf("cache size %d ttl %v", v.cache.size, v.cache.ttl)
	}
}
