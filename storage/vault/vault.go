// Package vault encrypts the data of unpublished records for a storage backend: it
// keeps each tenant's data-encryption keys wrapped by the master keys in the store,
// unwraps them on first use (and keeps them in memory), and seals and opens data in
// the format of package encryption. It implements storage/kubo's Sealer.
package vault

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/dwn-ipfs/dwn-ipfs/encryption"
	"github.com/dwn-ipfs/dwn-ipfs/storage/badger"
)

// KeyStore keeps wrapped tenant keys (storage/badger's Store).
type KeyStore interface {
	TenantKeys(ctx context.Context, did string) ([]badger.WrappedKey, error)
	EnsureTenantKey(ctx context.Context, did string, create func() (badger.WrappedKey, error)) ([]badger.WrappedKey, error)
}

// Vault seals and opens private data with per-tenant keys.
type Vault struct {
	master *encryption.MasterKeys

	mu     sync.Mutex
	store  KeyStore
	keys   map[string]map[string]encryption.TenantKey // tenant → key ID → key
	active map[string]string                          // tenant → ID of the key new data uses
}

// New returns a vault whose tenant keys are wrapped by master. Attach gives it the
// store that keeps them; it must be called before the first Seal or Open.
func New(master *encryption.MasterKeys) *Vault {
	return &Vault{master: master, keys: map[string]map[string]encryption.TenantKey{}, active: map[string]string{}}
}

// Attach sets the store of wrapped tenant keys. (The store is opened with the backend
// that uses the vault, hence the two steps.)
func (v *Vault) Attach(store KeyStore) {
	v.mu.Lock()
	v.store = store
	v.mu.Unlock()
}

// Size implements kubo.Sealer.
func (v *Vault) Size(size int64) int64 { return encryption.CiphertextSize(size) }

// Seal implements kubo.Sealer: the tenant's active key encrypts, made on first use.
func (v *Vault) Seal(ctx context.Context, dst io.Writer, tenant, dataCID string) (io.WriteCloser, error) {
	k, err := v.activeKey(ctx, tenant)
	if err != nil {
		return nil, err
	}
	return encryption.NewWriter(dst, k, tenant, dataCID)
}

// Open implements kubo.Sealer.
func (v *Vault) Open(ctx context.Context, tenant, dataCID string, size, offset int64,
	open func(ctx context.Context, offset int64) (io.ReadCloser, error)) (io.ReadCloser, error) {
	lookup := func(id string) (encryption.TenantKey, error) { return v.key(ctx, tenant, id) }
	return encryption.OpenAt(ctx, open, lookup, tenant, dataCID, size, offset)
}

func (v *Vault) keyStore() (KeyStore, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.store == nil {
		return nil, errors.New("vault: no key store attached")
	}
	return v.store, nil
}

func (v *Vault) activeKey(ctx context.Context, tenant string) (encryption.TenantKey, error) {
	v.mu.Lock()
	if id, ok := v.active[tenant]; ok {
		k := v.keys[tenant][id]
		v.mu.Unlock()
		return k, nil
	}
	v.mu.Unlock()
	store, err := v.keyStore()
	if err != nil {
		return encryption.TenantKey{}, err
	}
	wrapped, err := store.EnsureTenantKey(ctx, tenant, func() (badger.WrappedKey, error) {
		k, err := encryption.NewTenantKey()
		if err != nil {
			return badger.WrappedKey{}, err
		}
		w, err := v.master.Wrap(tenant, k)
		if err != nil {
			return badger.WrappedKey{}, err
		}
		return badger.WrappedKey{ID: k.ID(), Wrapped: w}, nil
	})
	if err != nil {
		return encryption.TenantKey{}, fmt.Errorf("vault: tenant key: %w", err)
	}
	if err := v.load(tenant, wrapped); err != nil {
		return encryption.TenantKey{}, err
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.keys[tenant][v.active[tenant]], nil
}

// key returns the tenant's key with ID id.
func (v *Vault) key(ctx context.Context, tenant, id string) (encryption.TenantKey, error) {
	v.mu.Lock()
	k, ok := v.keys[tenant][id]
	v.mu.Unlock()
	if ok {
		return k, nil
	}
	store, err := v.keyStore()
	if err != nil {
		return encryption.TenantKey{}, err
	}
	wrapped, err := store.TenantKeys(ctx, tenant)
	if err != nil {
		return encryption.TenantKey{}, fmt.Errorf("vault: tenant keys: %w", err)
	}
	if err := v.load(tenant, wrapped); err != nil {
		return encryption.TenantKey{}, err
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if k, ok := v.keys[tenant][id]; ok {
		return k, nil
	}
	return encryption.TenantKey{}, fmt.Errorf("vault: the tenant has no key %s", id)
}

// load unwraps a tenant's keys into memory; the last is the active one.
func (v *Vault) load(tenant string, wrapped []badger.WrappedKey) error {
	keys := make(map[string]encryption.TenantKey, len(wrapped))
	for _, w := range wrapped {
		k, err := v.master.Unwrap(tenant, w.ID, w.Wrapped)
		if err != nil {
			return fmt.Errorf("vault: %w", err)
		}
		keys[w.ID] = k
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	v.keys[tenant] = keys
	if len(wrapped) > 0 {
		v.active[tenant] = wrapped[len(wrapped)-1].ID
	}
	return nil
}

// RewrapStore is the part of the store RotateMaster needs.
type RewrapStore interface {
	RewrapTenantKeys(ctx context.Context, rewrap func(did string, k badger.WrappedKey) (badger.WrappedKey, error)) (int, error)
}

// RotateMaster makes a new master key active (saved in the key file at path) and
// re-wraps every tenant key in store under it. Data is not re-encrypted. If it stops
// halfway, running it again finishes: the older master keys stay in the file.
func RotateMaster(ctx context.Context, master *encryption.MasterKeys, path string, store RewrapStore) (newID string, rewrapped int, err error) {
	newID, err = master.Rotate(path)
	if err != nil {
		return "", 0, err
	}
	n, err := store.RewrapTenantKeys(ctx, func(did string, k badger.WrappedKey) (badger.WrappedKey, error) {
		w, err := master.Rewrap(did, k.ID, k.Wrapped)
		if err != nil {
			return badger.WrappedKey{}, err
		}
		return badger.WrappedKey{ID: k.ID, Wrapped: w}, nil
	})
	return newID, n, err
}
