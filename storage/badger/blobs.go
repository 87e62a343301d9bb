package badger

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	badgerdb "github.com/dgraph-io/badger/v4"

	"github.com/dwn-ipfs/dwn-ipfs/dwn"
)

// Blobs are files under the store's blob directory, named by a random id, written and
// read with ordinary file I/O. Badger keeps only the references: its value log is
// memory-mapped, so a 1 GiB record stored in it would count fully in the server's RSS.

// blobPath returns the file of a blob. Blob names are 32 hex digits (checked).
func (s *Store) blobPath(blob string) (string, error) {
	if len(blob) != 32 {
		return "", fmt.Errorf("storage/badger: invalid blob name")
	}
	if _, err := hex.DecodeString(blob); err != nil {
		return "", fmt.Errorf("storage/badger: invalid blob name")
	}
	return filepath.Join(s.blobDir, blob[:2], blob), nil
}

// Create implements dwn.DataStore. The blob is registered as pending before any byte is
// written; ApplyRecord clears the mark when a data reference names the blob.
func (s *Store) Create(ctx context.Context, did string) (dwn.BlobWriter, error) {
	tenant, _, err := s.tenantID(did, true)
	if err != nil {
		return nil, dwn.Wrap("storage/badger.Create", err)
	}
	var id [16]byte
	if _, err := rand.Read(id[:]); err != nil {
		return nil, err
	}
	blob := hex.EncodeToString(id[:])
	if err := s.db.Update(func(txn *badgerdb.Txn) error {
		return txn.Set(key(ksPending, tenant, blob), nil)
	}); err != nil {
		return nil, dwn.Wrap("storage/badger.Create", err)
	}
	path, _ := s.blobPath(blob)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, dwn.Wrap("storage/badger.Create", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, dwn.Wrap("storage/badger.Create", err)
	}
	return &blobWriter{s: s, tenant: tenant, blob: blob, f: f, w: bufio.NewWriterSize(f, 256<<10)}, nil
}

type blobWriter struct {
	s      *Store
	tenant string
	blob   string
	f      *os.File
	w      *bufio.Writer
}

func (w *blobWriter) Write(p []byte) (int, error) {
	n, err := w.w.Write(p)
	if err != nil {
		return n, fmt.Errorf("storage/badger: write blob: %w", err)
	}
	return n, nil
}

func (w *blobWriter) Finish() (string, error) {
	if err := w.w.Flush(); err != nil {
		return "", fmt.Errorf("storage/badger: write blob: %w", err)
	}
	if w.s.syncWrites {
		if err := w.f.Sync(); err != nil {
			return "", fmt.Errorf("storage/badger: sync blob: %w", err)
		}
	}
	if err := w.f.Close(); err != nil {
		return "", fmt.Errorf("storage/badger: close blob: %w", err)
	}
	return w.blob, nil
}

// Abort marks the blob as garbage unless a committed data reference already names it
// (ApplyRecord removed its pending mark).
func (w *blobWriter) Abort() {
	w.f.Close()
	err := w.s.db.Update(func(txn *badgerdb.Txn) error {
		_, err := txn.Get(key(ksPending, w.tenant, w.blob))
		if errors.Is(err, badgerdb.ErrKeyNotFound) {
			return nil // committed or already aborted
		}
		if err != nil {
			return err
		}
		if err := txn.Delete(key(ksPending, w.tenant, w.blob)); err != nil {
			return err
		}
		return txn.Set(key(ksGarbage, w.tenant, w.blob), nil)
	})
	if err != nil {
		w.s.log.Error("abort blob", "err", err)
	}
	w.s.kickGC()
}

// Ref implements dwn.DataStore.
func (s *Store) Ref(ctx context.Context, did, dataCID string) (*dwn.DataRef, error) {
	tenant, known, err := s.tenantID(did, false)
	if err != nil {
		return nil, dwn.Wrap("storage/badger.Ref", err)
	}
	if !known {
		return nil, notFound("data")
	}
	var v dataRefValue
	var found bool
	err = s.db.View(func(txn *badgerdb.Txn) error {
		var err error
		found, err = getJSON(txn, key(ksDataRef, tenant, dataCID), &v)
		return err
	})
	if err != nil {
		return nil, dwn.Wrap("storage/badger.Ref", err)
	}
	if !found {
		return nil, notFound("data")
	}
	return &dwn.DataRef{DataCID: dataCID, Size: v.Size, Blob: v.Blob}, nil
}

// Open implements dwn.DataStore. The result is an *os.File positioned at offset, so
// net/http can send it with sendfile.
func (s *Store) Open(ctx context.Context, tenant string, ref *dwn.DataRef, offset int64) (io.ReadCloser, error) {
	if offset < 0 || offset > ref.Size {
		return nil, &dwn.Error{Kind: dwn.Invalid, Message: "offset out of range"}
	}
	path, err := s.blobPath(ref.Blob)
	if err != nil {
		return nil, dwn.Wrap("storage/badger.Open", err)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, dwn.Wrap("storage/badger.Open", err)
	}
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		f.Close()
		return nil, dwn.Wrap("storage/badger.Open", err)
	}
	return f, nil
}

// recoverUploads turns blobs left pending by a crash into garbage: no upload is in
// flight while the store opens.
func (s *Store) recoverUploads() error {
	return s.db.Update(func(txn *badgerdb.Txn) error {
		it := txn.NewIterator(badgerdb.IteratorOptions{Prefix: []byte{ksPending}})
		var keys [][]byte
		for it.Rewind(); it.Valid(); it.Next() {
			keys = append(keys, it.Item().KeyCopy(nil))
		}
		it.Close()
		for _, k := range keys {
			g := append([]byte{ksGarbage}, k[1:]...)
			if err := txn.Set(g, nil); err != nil {
				return err
			}
			if err := txn.Delete(k); err != nil {
				return err
			}
		}
		if len(keys) > 0 {
			s.log.Info("removing data of uploads interrupted by a restart", "count", len(keys))
		}
		return nil
	})
}

// collectGarbage deletes the file of every blob marked as garbage, then the mark.
func (s *Store) collectGarbage() error {
	var marks [][]byte
	err := s.db.View(func(txn *badgerdb.Txn) error {
		it := txn.NewIterator(badgerdb.IteratorOptions{Prefix: []byte{ksGarbage}})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			marks = append(marks, it.Item().KeyCopy(nil))
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, m := range marks {
		// m = 'G' | uvarint len | tenant | blob
		rest := m[1:]
		n, k := binary.Uvarint(rest)
		if k <= 0 || uint64(len(rest)-k) < n {
			return errCorrupt
		}
		path, err := s.blobPath(string(rest[k+int(n):]))
		if err == nil {
			if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
				return err
			}
		}
		if err := s.db.Update(func(txn *badgerdb.Txn) error { return txn.Delete(m) }); err != nil {
			return err
		}
	}
	return nil
}
