package badger

import (
	"context"
	"errors"
	"fmt"

	badgerdb "github.com/dgraph-io/badger/v4"
)

// WrappedKey is a tenant's data-encryption key as stored: wrapped by a master key, so
// the store never holds it in the clear (see package encryption).
type WrappedKey struct {
	// ID names the key; encrypted data records the ID of the key it was made with.
	ID string `json:"i"`
	// Wrapped is the key sealed under a master key (self-describing: it names that
	// master key).
	Wrapped []byte `json:"w"`
}

// tenantKeysValue is the stored form of a tenant's keys; the last one is active.
type tenantKeysValue struct {
	DID  string       `json:"d"`
	Keys []WrappedKey `json:"k"`
}

// TenantKeys returns the wrapped keys of tenant did, the active one last; none for a
// tenant that has not stored private data.
func (s *Store) TenantKeys(ctx context.Context, did string) ([]WrappedKey, error) {
	tenant, known, err := s.tenantID(did, false)
	if err != nil || !known {
		return nil, err
	}
	var v tenantKeysValue
	err = s.db.View(func(txn *badgerdb.Txn) error {
		_, err := getJSON(txn, key(ksTenantKey, tenant), &v)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("storage/badger: tenant keys: %w", err)
	}
	return v.Keys, nil
}

// EnsureTenantKey returns the wrapped keys of tenant did, first storing the key that
// create makes when the tenant has none. Of two concurrent first calls one key wins and
// both return it.
func (s *Store) EnsureTenantKey(ctx context.Context, did string, create func() (WrappedKey, error)) ([]WrappedKey, error) {
	tenant, _, err := s.tenantID(did, true)
	if err != nil {
		return nil, fmt.Errorf("storage/badger: tenant keys: %w", err)
	}
	for range maxApplyRetries {
		var v tenantKeysValue
		err = s.db.Update(func(txn *badgerdb.Txn) error {
			found, err := getJSON(txn, key(ksTenantKey, tenant), &v)
			if err != nil || (found && len(v.Keys) > 0) {
				return err
			}
			k, err := create()
			if err != nil {
				return err
			}
			v = tenantKeysValue{DID: did, Keys: []WrappedKey{k}}
			return setJSON(txn, key(ksTenantKey, tenant), &v)
		})
		if err == nil {
			return v.Keys, nil
		}
		if !errors.Is(err, badgerdb.ErrConflict) || ctx.Err() != nil {
			break
		}
	}
	return nil, fmt.Errorf("storage/badger: tenant keys: %w", err)
}

// RewrapTenantKeys passes every stored tenant key through rewrap (which re-wraps it
// under the active master key) and stores the result, one tenant per transaction. It
// returns how many keys it rewrote. Data is not touched: a key keeps its ID.
func (s *Store) RewrapTenantKeys(ctx context.Context, rewrap func(did string, k WrappedKey) (WrappedKey, error)) (int, error) {
	var tenants [][]byte
	err := s.db.View(func(txn *badgerdb.Txn) error {
		it := txn.NewIterator(badgerdb.IteratorOptions{Prefix: []byte{ksTenantKey}})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			tenants = append(tenants, it.Item().KeyCopy(nil))
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("storage/badger: rewrap tenant keys: %w", err)
	}
	n := 0
	for _, k := range tenants {
		if err := ctx.Err(); err != nil {
			return n, err
		}
		err := s.db.Update(func(txn *badgerdb.Txn) error {
			var v tenantKeysValue
			found, err := getJSON(txn, k, &v)
			if err != nil || !found {
				return err
			}
			for i, wk := range v.Keys {
				nk, err := rewrap(v.DID, wk)
				if err != nil {
					return fmt.Errorf("tenant %s key %s: %w", v.DID, wk.ID, err)
				}
				if nk.ID != wk.ID {
					return fmt.Errorf("tenant %s key %s: rewrapping changed the key ID", v.DID, wk.ID)
				}
				v.Keys[i] = nk
			}
			if err := setJSON(txn, k, &v); err != nil {
				return err
			}
			n += len(v.Keys)
			return nil
		})
		if err != nil {
			return n, fmt.Errorf("storage/badger: rewrap tenant keys: %w", err)
		}
	}
	return n, nil
}
