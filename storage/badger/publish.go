package badger

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"time"

	badgerdb "github.com/dgraph-io/badger/v4"
)

// PublicBlobs is a Blobs that keeps data in one of two forms: public (plaintext that
// anyone who knows the dataCid may fetch, as published data in IPFS) or private (a form
// only this server can read, as encrypted data). The Store keeps a data reference's blob
// public exactly while some record that references it is published: when a write or a
// delete changes that, the blob is rewritten in the other form in the background (marked
// in Badger first, so a restart resumes it), the reference switched to it, and the old
// blob collected as garbage.
type PublicBlobs interface {
	Blobs
	// Public reports whether the blob named blob is in public form.
	Public(blob string) bool
}

// convertRetry is how long the converter waits after a failure before it tries again.
const convertRetry = 30 * time.Second

// checkForm marks the data reference v of (tenant, dataCID) for conversion when its
// blob is not in the form its published references ask for, and clears the mark when it
// is. It runs inside the transaction that changed v.
func (s *Store) checkForm(txn *badgerdb.Txn, did, tenant, dataCID string, v *dataRefValue) error {
	pb, ok := s.blobs.(PublicBlobs)
	if !ok {
		return nil
	}
	mark := key(ksConvert, tenant, dataCID)
	if pb.Public(v.Blob) == (v.Pub > 0) {
		return txn.Delete(mark)
	}
	s.convertWanted.Store(true)
	return txn.Set(mark, []byte(did))
}

// kickConvert wakes the converter if a committed change asked for a conversion.
func (s *Store) kickConvert() {
	if !s.convertWanted.Swap(false) {
		return
	}
	select {
	case s.convertKick <- struct{}{}:
	default:
	}
}

// convertLoop rewrites blobs whose form no longer matches their references, until the
// store closes.
func (s *Store) convertLoop() {
	defer close(s.convertDone)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-s.stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	retry := time.NewTimer(time.Hour)
	retry.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-s.convertKick:
		case <-retry.C:
		}
		if err := s.convertAll(ctx); err != nil {
			if ctx.Err() != nil {
				return
			}
			s.log.Error("changing the form of record data failed; retrying", "err", err, "in", convertRetry)
			retry.Reset(convertRetry)
		}
	}
}

// convertAll converts every marked data reference.
func (s *Store) convertAll(ctx context.Context) error {
	type mark struct {
		key []byte
		did string
	}
	var marks []mark
	err := s.db.View(func(txn *badgerdb.Txn) error {
		it := txn.NewIterator(badgerdb.IteratorOptions{Prefix: []byte{ksConvert}})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			did, err := it.Item().ValueCopy(nil)
			if err != nil {
				return err
			}
			marks = append(marks, mark{it.Item().KeyCopy(nil), string(did)})
		}
		return nil
	})
	if err != nil {
		return err
	}
	var errs []error
	for _, m := range marks {
		if err := s.convertData(ctx, m.key, m.did); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// convertData rewrites the blob of one marked data reference in the form its references
// ask for and switches the reference to the new blob.
func (s *Store) convertData(ctx context.Context, mark []byte, did string) error {
	pb := s.blobs.(PublicBlobs)
	tenant, dataCID, err := parseTenantKey(mark)
	if err != nil {
		return err
	}
	var v dataRefValue
	var found bool
	if err := s.db.View(func(txn *badgerdb.Txn) error {
		found, err = getJSON(txn, key(ksDataRef, tenant, dataCID), &v)
		return err
	}); err != nil {
		return err
	}
	want := v.Pub > 0
	if !found || pb.Public(v.Blob) == want {
		return s.clearMark(mark, tenant, dataCID, v.Blob, found)
	}
	start := time.Now()
	rc, err := s.blobs.Open(ctx, BlobInfo{Tenant: did, DataCID: dataCID, Published: !want}, v.Blob, v.Size, 0)
	if err != nil {
		return fmt.Errorf("storage/badger: convert data %s: read: %w", dataCID, err)
	}
	w, err := s.Create(ctx, did, dataCID, want)
	if err != nil {
		rc.Close()
		return fmt.Errorf("storage/badger: convert data %s: %w", dataCID, err)
	}
	n, err := io.Copy(w, rc)
	rc.Close()
	if err == nil && n != v.Size {
		err = fmt.Errorf("read %d bytes of %d", n, v.Size)
	}
	if err != nil {
		w.Abort()
		return fmt.Errorf("storage/badger: convert data %s: %w", dataCID, err)
	}
	name, err := w.Finish()
	if err != nil {
		w.Abort()
		return fmt.Errorf("storage/badger: convert data %s: %w", dataCID, err)
	}
	switched := false
	err = s.db.Update(func(txn *badgerdb.Txn) error {
		k := key(ksDataRef, tenant, dataCID)
		var now dataRefValue
		ok, err := getJSON(txn, k, &now)
		if err != nil || !ok || now.Blob != v.Blob || (now.Pub > 0) != want {
			return err // changed meanwhile: the new blob is dropped, the mark stays if needed
		}
		now.Blob = name
		for _, op := range []func() error{
			func() error { return setJSON(txn, k, &now) },
			func() error { return txn.Delete(blobRefKey(v.Blob, tenant)) },
			func() error { return txn.Set(blobRefKey(name, tenant), nil) },
			func() error { return txn.Delete(key(ksPending, tenant, name)) },
			func() error { return txn.Set(key(ksGarbage, tenant, v.Blob), nil) },
			func() error { return txn.Delete(mark) },
		} {
			if err := op(); err != nil {
				return err
			}
		}
		switched = true
		return nil
	})
	if err != nil || !switched {
		w.Abort()
		if err != nil {
			return fmt.Errorf("storage/badger: convert data %s: %w", dataCID, err)
		}
		s.convertWanted.Store(true)
		s.kickConvert()
		return nil
	}
	s.log.Info("record data changed form", "dataCid", dataCID, "public", want, "bytes", v.Size, "took", time.Since(start))
	s.kickGC()
	return nil
}

// clearMark removes a conversion mark whose data reference is gone or already in the
// right form, unless the reference changed since it was read.
func (s *Store) clearMark(mark []byte, tenant, dataCID, blob string, found bool) error {
	return s.db.Update(func(txn *badgerdb.Txn) error {
		var now dataRefValue
		ok, err := getJSON(txn, key(ksDataRef, tenant, dataCID), &now)
		if err != nil || ok != found || (ok && now.Blob != blob) {
			return err
		}
		return txn.Delete(mark)
	})
}

// parseTenantKey splits a key made by key(ks, tenant, part) into tenant and part.
func parseTenantKey(k []byte) (tenant, part string, err error) {
	rest := k[1:]
	n, w := binary.Uvarint(rest)
	if w <= 0 || uint64(len(rest)-w) < n {
		return "", "", errCorrupt
	}
	return string(rest[w : w+int(n)]), string(rest[w+int(n):]), nil
}
