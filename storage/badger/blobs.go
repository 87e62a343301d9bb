package badger

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"

	badgerdb "github.com/dgraph-io/badger/v4"

	"github.com/dwn-ipfs/dwn-ipfs/dwn"
)

// BlobChunkSize is the size of the pieces a blob is stored in.
const BlobChunkSize = 256 << 10

// Create implements dwn.DataStore. The blob is registered as pending before any byte is
// written; ApplyRecord clears the mark when a data reference names the blob.
func (s *Store) Create(ctx context.Context, tenant string) (dwn.BlobWriter, error) {
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
	return &blobWriter{s: s, tenant: tenant, blob: blob, buf: make([]byte, 0, BlobChunkSize)}, nil
}

type blobWriter struct {
	s      *Store
	tenant string
	blob   string
	buf    []byte
	chunk  uint64
	err    error
	done   bool
}

func (w *blobWriter) Write(p []byte) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	n := len(p)
	for len(p) > 0 {
		k := copy(w.buf[len(w.buf):cap(w.buf)], p)
		w.buf = w.buf[:len(w.buf)+k]
		p = p[k:]
		if len(w.buf) == cap(w.buf) {
			if err := w.flush(); err != nil {
				return 0, err
			}
		}
	}
	return n, nil
}

func (w *blobWriter) flush() error {
	if len(w.buf) == 0 {
		return nil
	}
	k := blobChunkKey(w.tenant, w.blob, w.chunk)
	val := append([]byte(nil), w.buf...)
	if err := w.s.db.Update(func(txn *badgerdb.Txn) error { return txn.Set(k, val) }); err != nil {
		w.err = fmt.Errorf("storage/badger: write blob: %w", err)
		return w.err
	}
	w.chunk++
	w.buf = w.buf[:0]
	return nil
}

func (w *blobWriter) Finish() (string, error) {
	if err := w.flush(); err != nil {
		return "", err
	}
	w.done = true
	return w.blob, nil
}

// Abort marks the blob as garbage: if a data reference already names it (Abort after a
// successful commit), the reference wins because ApplyRecord removed the pending mark
// and the collector only deletes blobs that are still pending or unreferenced.
func (w *blobWriter) Abort() {
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
func (s *Store) Ref(ctx context.Context, tenant, dataCID string) (*dwn.DataRef, error) {
	var v dataRefValue
	var found bool
	err := s.db.View(func(txn *badgerdb.Txn) error {
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

// Open implements dwn.DataStore.
func (s *Store) Open(ctx context.Context, tenant string, ref *dwn.DataRef, offset int64) (io.ReadCloser, error) {
	if offset < 0 || offset > ref.Size {
		return nil, &dwn.Error{Kind: dwn.Invalid, Message: "offset out of range"}
	}
	return &blobReader{s: s, ctx: ctx, tenant: tenant, blob: ref.Blob, size: ref.Size, off: offset}, nil
}

type blobReader struct {
	s      *Store
	ctx    context.Context
	tenant string
	blob   string
	size   int64
	off    int64
	cur    []byte // rest of the current chunk
}

func (r *blobReader) Read(p []byte) (int, error) {
	if len(r.cur) == 0 {
		if r.off >= r.size {
			return 0, io.EOF
		}
		if err := r.ctx.Err(); err != nil {
			return 0, err
		}
		chunk := uint64(r.off / BlobChunkSize)
		var val []byte
		err := r.s.db.View(func(txn *badgerdb.Txn) error {
			item, err := txn.Get(blobChunkKey(r.tenant, r.blob, chunk))
			if err != nil {
				return err
			}
			val, err = item.ValueCopy(nil)
			return err
		})
		if err != nil {
			return 0, fmt.Errorf("storage/badger: read blob chunk %d: %w", chunk, err)
		}
		skip := r.off - int64(chunk)*BlobChunkSize
		if skip >= int64(len(val)) {
			return 0, fmt.Errorf("storage/badger: blob chunk %d is short", chunk)
		}
		r.cur = val[skip:]
	}
	n := copy(p, r.cur)
	r.cur = r.cur[n:]
	r.off += int64(n)
	return n, nil
}

func (r *blobReader) Close() error { return nil }

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

// collectGarbage deletes the chunks of every blob marked as garbage.
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
		// m = 'G' tenant-prefix blob; the chunks are 'B' tenant-prefix blob 0x00 chunk.
		prefix := append(append([]byte{ksBlob}, m[1:]...), 0)
		// Badger's DropPrefix would stall every writer; batched deletes do not.
		if err := s.deletePrefix(prefix); err != nil {
			return err
		}
		if err := s.db.Update(func(txn *badgerdb.Txn) error { return txn.Delete(m) }); err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) deletePrefix(prefix []byte) error {
	for {
		var keys [][]byte
		err := s.db.View(func(txn *badgerdb.Txn) error {
			it := txn.NewIterator(badgerdb.IteratorOptions{Prefix: prefix})
			defer it.Close()
			for it.Rewind(); it.Valid() && len(keys) < 1000; it.Next() {
				keys = append(keys, it.Item().KeyCopy(nil))
			}
			return nil
		})
		if err != nil || len(keys) == 0 {
			return err
		}
		wb := s.db.NewWriteBatch()
		for _, k := range keys {
			if err := wb.Delete(k); err != nil {
				wb.Cancel()
				return err
			}
		}
		if err := wb.Flush(); err != nil {
			return err
		}
		if bytes.Equal(keys[len(keys)-1], prefix) {
			return nil
		}
	}
}
