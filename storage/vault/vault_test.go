package vault

import (
	"bytes"
	"context"
	"io"
	"path/filepath"
	"testing"

	"github.com/dwn-ipfs/dwn-ipfs/encryption"
	"github.com/dwn-ipfs/dwn-ipfs/storage/badger"
)

// TestVault seals with one vault and opens with another on the same store (as after a
// restart), before and after a master key rotation, and checks tenants are apart.
func TestVault(t *testing.T) {
	ctx := context.Background()
	keyFile := filepath.Join(t.TempDir(), "master.json")
	master, err := encryption.LoadMasterKeys(keyFile, "")
	if err != nil {
		t.Fatal(err)
	}
	store, err := badger.Open(t.TempDir(), badger.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	v := New(master)
	v.Attach(store)
	plain := bytes.Repeat([]byte("private "), 20000)
	var ct bytes.Buffer
	w, err := v.Seal(ctx, &ct, "did:example:a", "bafydata")
	if err != nil {
		t.Fatal(err)
	}
	w.Write(plain)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	open := func(v *Vault, tenant string, offset int64) ([]byte, error) {
		rc, err := v.Open(ctx, tenant, "bafydata", int64(len(plain)), offset, func(_ context.Context, off int64) (io.ReadCloser, error) {
			return io.NopCloser(bytes.NewReader(ct.Bytes()[off:])), nil
		})
		if err != nil {
			return nil, err
		}
		defer rc.Close()
		return io.ReadAll(rc)
	}
	check := func(v *Vault) {
		t.Helper()
		got, err := open(v, "did:example:a", 70000)
		if err != nil || !bytes.Equal(got, plain[70000:]) {
			t.Fatalf("open: %d bytes, %v", len(got), err)
		}
		if _, err := open(v, "did:example:b", 0); err == nil {
			t.Fatal("another tenant opened the data")
		}
	}
	check(v)
	// A fresh vault (a restart) unwraps the stored key.
	check(mustVault(t, keyFile, store))
	// After a rotation, the rewrapped key still opens the old data.
	if _, n, err := RotateMaster(ctx, master, keyFile, store); err != nil || n != 1 {
		t.Fatalf("rotate: %d keys, %v", n, err)
	}
	keys, _ := store.TenantKeys(ctx, "did:example:a")
	if by, _ := encryption.WrappedBy(keys[0].Wrapped); by != master.Active() {
		t.Fatalf("tenant key wrapped by %s after rotation, want %s", by, master.Active())
	}
	check(mustVault(t, keyFile, store))
}

func mustVault(t *testing.T, keyFile string, store *badger.Store) *Vault {
	t.Helper()
	m, err := encryption.LoadMasterKeys(keyFile, "")
	if err != nil {
		t.Fatal(err)
	}
	v := New(m)
	v.Attach(store)
	return v
}
