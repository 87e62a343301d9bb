package badger

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"testing"
)

func TestTenantKeys(t *testing.T) {
	ctx := context.Background()
	s, err := Open(t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if keys, err := s.TenantKeys(ctx, "did:example:none"); err != nil || len(keys) != 0 {
		t.Fatalf("keys of an unknown tenant: %v, %v", keys, err)
	}
	// Concurrent first uses agree on one key.
	var wg sync.WaitGroup
	got := make([][]WrappedKey, 8)
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			keys, err := s.EnsureTenantKey(ctx, "did:example:a", func() (WrappedKey, error) {
				return WrappedKey{ID: fmt.Sprint("k", i), Wrapped: []byte{byte(i)}}, nil
			})
			if err != nil {
				t.Error(err)
			}
			got[i] = keys
		}()
	}
	wg.Wait()
	for i := range got {
		if len(got[i]) != 1 || got[i][0].ID != got[0][0].ID {
			t.Fatalf("call %d got %v, call 0 got %v", i, got[i], got[0])
		}
	}
	if _, err := s.EnsureTenantKey(ctx, "did:example:b", func() (WrappedKey, error) {
		return WrappedKey{ID: "kb", Wrapped: []byte("b")}, nil
	}); err != nil {
		t.Fatal(err)
	}
	n, err := s.RewrapTenantKeys(ctx, func(did string, k WrappedKey) (WrappedKey, error) {
		return WrappedKey{ID: k.ID, Wrapped: append([]byte(did+":"), k.Wrapped...)}, nil
	})
	if err != nil || n != 2 {
		t.Fatalf("rewrap: %d, %v", n, err)
	}
	keys, err := s.TenantKeys(ctx, "did:example:b")
	if err != nil || len(keys) != 1 || !bytes.Equal(keys[0].Wrapped, []byte("did:example:b:b")) {
		t.Fatalf("after rewrap: %v, %v", keys, err)
	}
	if _, err := s.RewrapTenantKeys(ctx, func(did string, k WrappedKey) (WrappedKey, error) {
		return WrappedKey{ID: "other", Wrapped: k.Wrapped}, nil
	}); err == nil {
		t.Fatal("a rewrap that changes the key ID was accepted")
	}
}
