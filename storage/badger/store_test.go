package badger

import (
	"context"
	"io/fs"
	"path/filepath"
	"testing"
	"time"

	"github.com/dwn-ipfs/dwn-ipfs/dwn"

	"github.com/dwn-ipfs/dwn-ipfs/storage/storagetest"
)

func TestStore(t *testing.T) {
	storagetest.Run(t, func(t *testing.T) storagetest.Store {
		s, err := Open(t.TempDir(), Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}

func TestReopenKeepsData(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = Open(dir, Options{})
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	s.Close()
}

func blobFiles(t *testing.T, dir string) int {
	t.Helper()
	n := 0
	filepath.WalkDir(filepath.Join(dir, "blobs"), func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			n++
		}
		return nil
	})
	return n
}

// TestBlobLifecycle checks that blob files go away when unreferenced, when aborted, and
// when a crash left them pending.
func TestBlobLifecycle(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	put := func() string {
		w, err := s.Create(ctx, "did:t")
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte("payload"))
		blob, err := w.Finish()
		if err != nil {
			t.Fatal(err)
		}
		return blob
	}
	wait := func(want int) {
		t.Helper()
		for i := 0; i < 200 && blobFiles(t, dir) != want; i++ {
			time.Sleep(10 * time.Millisecond)
		}
		if got := blobFiles(t, dir); got != want {
			t.Fatalf("%d blob files, want %d", got, want)
		}
	}
	blob := put()
	u := &dwn.RecordUpdate{RecordID: "r", Timestamp: "2024-01-01T00:00:00.000000Z", IsInitial: true, Queryable: true,
		Message: dwn.StoredMessage{CID: "c1", JSON: []byte("{}"), Indexes: dwn.Indexes{"dateCreated": "2024-01-01T00:00:00.000000Z"}},
		NewData: &dwn.DataRef{DataCID: "d", Size: 7, Blob: blob}}
	if err := s.ApplyRecord(ctx, "did:t", u); err != nil {
		t.Fatal(err)
	}
	w, _ := s.Create(ctx, "did:t")
	w.Write([]byte("x"))
	w.Abort()
	wait(1)
	// Superseding the record with inline data drops the last reference.
	u2 := &dwn.RecordUpdate{RecordID: "r", ExpectNewestCID: "c1", Timestamp: "2024-01-01T00:00:01.000000Z", Queryable: true,
		Message: dwn.StoredMessage{CID: "c2", JSON: []byte("{}"), Indexes: dwn.Indexes{"dateCreated": "2024-01-01T00:00:00.000000Z"}}}
	if err := s.ApplyRecord(ctx, "did:t", u2); err != nil {
		t.Fatal(err)
	}
	wait(0)
	// A blob still pending at a crash is removed at the next start.
	put()
	wait(1)
	s.Close()
	s, err = Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	wait(0)
}
