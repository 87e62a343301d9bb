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
	"time"

	badgerdb "github.com/dgraph-io/badger/v4"

	"github.com/dwn-ipfs/dwn-ipfs/dwn"
)

// Blobs is where the bytes of blobs live: record data too large to be inline. The
// Store keeps their names, reference counts and garbage marks; a Blobs keeps bytes. The
// default keeps files under dir/blobs; storage/kubo keeps them in IPFS.
type Blobs interface {
	// Kind names the backend ("files", "kubo"); a data directory remembers the kind it
	// was written with and refuses another.
	Kind() string
	// Create starts a blob for data b.DataCID (as claimed; the caller checks it). name is
	// the blob's name when the backend knows it at once, else "" and Finish gives it.
	Create(ctx context.Context, b BlobInfo) (w dwn.BlobWriter, name string, err error)
	// Keep makes sure a finished blob is kept (re-pins it): called after a pending mark
	// names it, so that a concurrent deletion of an equal blob cannot drop it.
	Keep(ctx context.Context, blob string) error
	// Open returns the blob's data from offset; size is the data's size.
	Open(ctx context.Context, b BlobInfo, blob string, size, offset int64) (io.ReadCloser, error)
	// Delete removes a blob no reference names any more. Deleting a missing blob is not
	// an error.
	Delete(ctx context.Context, blob string) error
}

// BlobInfo is what a backend knows of the data in a blob.
type BlobInfo struct {
	Tenant    string
	DataCID   string
	Published bool // the record is published: its data may leave the process as is
}

// Create implements dwn.DataStore. A blob is registered as pending as soon as its name
// is known; ApplyRecord clears the mark when a data reference names the blob, and a
// blob still pending at the next start is garbage.
func (s *Store) Create(ctx context.Context, did, dataCID string, published bool) (dwn.BlobWriter, error) {
	tenant, _, err := s.tenantID(did, true)
	if err != nil {
		return nil, dwn.Wrap("storage/badger.Create", err)
	}
	w, name, err := s.blobs.Create(ctx, BlobInfo{Tenant: did, DataCID: dataCID, Published: published})
	if err != nil {
		return nil, dwn.Wrap("storage/badger.Create", err)
	}
	pw := &pendingWriter{s: s, ctx: ctx, tenant: tenant, w: w, blob: name}
	if name != "" {
		if err := s.markPending(tenant, name); err != nil {
			w.Abort()
			return nil, dwn.Wrap("storage/badger.Create", err)
		}
	}
	return pw, nil
}

func (s *Store) markPending(tenant, blob string) error {
	return s.db.Update(func(txn *badgerdb.Txn) error {
		return txn.Set(key(ksPending, tenant, blob), nil)
	})
}

// pendingWriter keeps the store's marks of a blob being written.
type pendingWriter struct {
	s      *Store
	ctx    context.Context
	tenant string
	w      dwn.BlobWriter
	blob   string // "" until the backend names it
}

func (w *pendingWriter) Write(p []byte) (int, error) { return w.w.Write(p) }

func (w *pendingWriter) Finish() (string, error) {
	name, err := w.w.Finish()
	if err != nil {
		return "", err
	}
	if w.blob == "" {
		// Mark and keep under blobMu, so that garbage collection of an equal blob
		// either finishes before (and Keep restores it) or sees the mark.
		w.s.blobMu.Lock()
		defer w.s.blobMu.Unlock()
		if err := w.s.markPending(w.tenant, name); err != nil {
			return "", fmt.Errorf("storage/badger: mark blob: %w", err)
		}
		w.blob = name
		if err := w.s.blobs.Keep(w.ctx, name); err != nil {
			return "", fmt.Errorf("storage/badger: keep blob: %w", err)
		}
	}
	return name, nil
}

// Abort marks the blob as garbage unless a committed data reference already names it
// (ApplyRecord removed its pending mark).
func (w *pendingWriter) Abort() {
	w.w.Abort()
	if w.blob == "" {
		return
	}
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

// FileBlobs returns the default backend: blobs as files under dir (fsync'ed with
// syncWrites). Blob names are 32 hex digits.
func FileBlobs(dir string, syncWrites bool) Blobs {
	return &fileBlobs{dir: dir, syncWrites: syncWrites}
}

// fileBlobs keeps blobs as files under a directory, named by a random id and written
// and read with ordinary file I/O. (Badger's value log is memory-mapped, so a 1 GiB
// record stored in it would count fully in the server's RSS.)
type fileBlobs struct {
	dir        string
	syncWrites bool
}

func (f *fileBlobs) Kind() string { return "files" }

// path returns the file of a blob. Blob names are 32 hex digits (checked).
func (f *fileBlobs) path(blob string) (string, error) {
	if len(blob) != 32 {
		return "", fmt.Errorf("storage/badger: invalid blob name")
	}
	if _, err := hex.DecodeString(blob); err != nil {
		return "", fmt.Errorf("storage/badger: invalid blob name")
	}
	return filepath.Join(f.dir, blob[:2], blob), nil
}

func (f *fileBlobs) Create(_ context.Context, _ BlobInfo) (dwn.BlobWriter, string, error) {
	var id [16]byte
	if _, err := rand.Read(id[:]); err != nil {
		return nil, "", err
	}
	blob := hex.EncodeToString(id[:])
	path, _ := f.path(blob)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, "", err
	}
	file, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, "", err
	}
	return &fileWriter{blobs: f, blob: blob, f: file, w: bufio.NewWriterSize(file, 256<<10)}, blob, nil
}

func (f *fileBlobs) Keep(context.Context, string) error { return nil }

type fileWriter struct {
	blobs *fileBlobs
	blob  string
	f     *os.File
	w     *bufio.Writer
}

func (w *fileWriter) Write(p []byte) (int, error) {
	n, err := w.w.Write(p)
	if err != nil {
		return n, fmt.Errorf("storage/badger: write blob: %w", err)
	}
	return n, nil
}

func (w *fileWriter) Finish() (string, error) {
	if err := w.w.Flush(); err != nil {
		return "", fmt.Errorf("storage/badger: write blob: %w", err)
	}
	if w.blobs.syncWrites {
		if err := w.f.Sync(); err != nil {
			return "", fmt.Errorf("storage/badger: sync blob: %w", err)
		}
	}
	if err := w.f.Close(); err != nil {
		return "", fmt.Errorf("storage/badger: close blob: %w", err)
	}
	return w.blob, nil
}

// Abort closes the file; the store's garbage collection removes it.
func (w *fileWriter) Abort() { w.f.Close() }

// Open returns an *os.File positioned at offset, so net/http can send it with sendfile.
func (f *fileBlobs) Open(_ context.Context, _ BlobInfo, blob string, _, offset int64) (io.ReadCloser, error) {
	path, err := f.path(blob)
	if err != nil {
		return nil, err
	}
	file, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	if _, err := file.Seek(offset, io.SeekStart); err != nil {
		file.Close()
		return nil, err
	}
	return file, nil
}

func (f *fileBlobs) Delete(_ context.Context, blob string) error {
	path, err := f.path(blob)
	if err != nil {
		return nil // not a name of ours: nothing to delete
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
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

// Open implements dwn.DataStore.
func (s *Store) Open(ctx context.Context, tenant string, ref *dwn.DataRef, offset int64) (io.ReadCloser, error) {
	if offset < 0 || offset > ref.Size {
		return nil, &dwn.Error{Kind: dwn.Invalid, Message: "offset out of range"}
	}
	rc, err := s.blobs.Open(ctx, BlobInfo{Tenant: tenant, DataCID: ref.DataCID}, ref.Blob, ref.Size, offset)
	if err != nil {
		return nil, dwn.Wrap("storage/badger.Open", err)
	}
	return rc, nil
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

// collectGarbage deletes every blob marked as garbage that no data reference and no
// upload in flight names (with IPFS, equal data of two tenants is one blob), then the
// mark.
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
		if err := s.collectBlob(m, string(rest[k+int(n):])); err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) collectBlob(mark []byte, blob string) error {
	s.blobMu.Lock()
	defer s.blobMu.Unlock()
	var inUse bool
	err := s.db.Update(func(txn *badgerdb.Txn) error {
		var err error
		if inUse, err = blobInUse(txn, blob); err != nil {
			return err
		}
		return txn.Delete(mark)
	})
	if err != nil || inUse {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := s.blobs.Delete(ctx, blob); err != nil {
		// Keep the mark: the next collection tries again.
		if err2 := s.db.Update(func(txn *badgerdb.Txn) error { return txn.Set(mark, nil) }); err2 != nil {
			return err2
		}
		return err
	}
	return nil
}

// blobInUse reports whether a data reference of any tenant, or an upload in flight,
// names blob.
func blobInUse(txn *badgerdb.Txn, blob string) (bool, error) {
	it := txn.NewIterator(badgerdb.IteratorOptions{Prefix: blobRefPrefix(blob)})
	found := false
	for it.Rewind(); it.Valid(); it.Next() {
		found = true
		break
	}
	it.Close()
	if found {
		return true, nil
	}
	// Uploads in flight are few: look at all their marks.
	it = txn.NewIterator(badgerdb.IteratorOptions{Prefix: []byte{ksPending}})
	defer it.Close()
	for it.Rewind(); it.Valid(); it.Next() {
		k := it.Item().Key()[1:]
		n, w := binary.Uvarint(k)
		if w > 0 && uint64(len(k)-w) >= n && string(k[w+int(n):]) == blob {
			return true, nil
		}
	}
	return false, nil
}

// ReferencedBlobs returns the names of the blobs that a data reference of some tenant,
// or an upload in flight, names: what a backend must keep (for reconciliation).
func (s *Store) ReferencedBlobs(ctx context.Context) (map[string]bool, error) {
	out := map[string]bool{}
	err := s.db.View(func(txn *badgerdb.Txn) error {
		for _, ks := range []byte{ksBlobRef, ksPending} {
			it := txn.NewIterator(badgerdb.IteratorOptions{Prefix: []byte{ks}})
			for it.Rewind(); it.Valid(); it.Next() {
				if err := ctx.Err(); err != nil {
					it.Close()
					return err
				}
				// ksBlobRef: uvarint len | blob | tenant; ksPending: uvarint len | tenant | blob.
				k := it.Item().Key()[1:]
				n, w := binary.Uvarint(k)
				if w <= 0 || uint64(len(k)-w) < n {
					it.Close()
					return errCorrupt
				}
				if ks == ksBlobRef {
					out[string(k[w:w+int(n)])] = true
				} else {
					out[string(k[w+int(n):])] = true
				}
			}
			it.Close()
		}
		return nil
	})
	if err != nil {
		return nil, dwn.Wrap("storage/badger.ReferencedBlobs", err)
	}
	return out, nil
}

// offlineBlobs is the backend of a store opened for maintenance: record data is out of
// reach.
type offlineBlobs struct{}

var errOffline = errors.New("storage/badger: the store is open for maintenance: record data is out of reach")

func (offlineBlobs) Kind() string { return "offline" }
func (offlineBlobs) Create(context.Context, BlobInfo) (dwn.BlobWriter, string, error) {
	return nil, "", errOffline
}
func (offlineBlobs) Keep(context.Context, string) error { return errOffline }
func (offlineBlobs) Open(context.Context, BlobInfo, string, int64, int64) (io.ReadCloser, error) {
	return nil, errOffline
}
func (offlineBlobs) Delete(context.Context, string) error { return errOffline }
