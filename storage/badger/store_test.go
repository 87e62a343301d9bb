package badger

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
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

// TestReopenKeepsData checks that records and the tenant ids in their keys survive a
// reopen, and that a tenant first seen after the reopen gets a fresh id.
func TestReopenKeepsData(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	write := func(s *Store, tenant, rid string) {
		t.Helper()
		u := &dwn.RecordUpdate{RecordID: rid, Timestamp: "2024-01-01T00:00:00.000000Z", IsInitial: true, Queryable: true,
			Message: dwn.StoredMessage{CID: "c-" + rid, JSON: []byte("{}"), Indexes: dwn.Indexes{"dateCreated": "2024-01-01T00:00:00.000000Z", "recordId": rid}}}
		if err := s.ApplyRecord(ctx, tenant, u); err != nil {
			t.Fatal(err)
		}
	}
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	write(s, "did:example:a", "ra")
	write(s, "did:example:b", "rb")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = Open(dir, Options{})
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s.Close()
	write(s, "did:example:c", "rc")
	for tenant, want := range map[string]string{"did:example:a": "c-ra", "did:example:b": "c-rb", "did:example:c": "c-rc"} {
		p, err := s.QueryRecords(ctx, tenant, &dwn.Query{Filters: []dwn.Filter{{}}})
		if err != nil || len(p.Entries) != 1 || p.Entries[0].CID != want {
			t.Fatalf("tenant %s after reopen: %+v, %v", tenant, p, err)
		}
	}
	if p, _ := s.QueryRecords(ctx, "did:example:unknown", &dwn.Query{Filters: []dwn.Filter{{}}}); len(p.Entries) != 0 {
		t.Fatal("an unknown tenant sees records")
	}
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
		w, err := s.Create(ctx, "did:t", "bafkreitest", false)
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
	w, _ := s.Create(ctx, "did:t", "bafkreitest", false)
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

func TestEncryptionAtRest(t *testing.T) {
	dir := t.TempDir()
	key := bytes.Repeat([]byte{7}, 32)
	s, err := Open(dir, Options{EncryptionKey: key})
	if err != nil {
		t.Fatal(err)
	}
	secret := "a-secret-marker-4fa1c2"
	m := dwn.StoredMessage{CID: "bafyreisecret", JSON: []byte(`{"descriptor":{"note":"` + secret + `"}}`),
		Indexes: dwn.Indexes{"interface": "Records", "method": "Write", "messageTimestamp": "2026-01-01T00:00:00.000000Z", "recordId": "r", "entryId": "r", "dateCreated": "2026-01-01T00:00:00.000000Z"}}
	if err := s.ApplyRecord(context.Background(), "did:t", &dwn.RecordUpdate{RecordID: "r", IsInitial: true, Timestamp: "2026-01-01T00:00:00.000000Z", Message: m, Queryable: true}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	// Nothing on disk shows the message in plaintext.
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := os.ReadFile(p)
			if bytes.Contains(b, []byte(secret)) {
				t.Errorf("%s holds the message in plaintext", p)
			}
		}
		return nil
	})
	if _, err := Open(dir, Options{EncryptionKey: bytes.Repeat([]byte{8}, 32)}); err == nil || !strings.Contains(err.Error(), "master key") {
		t.Fatalf("opened with another key: %v", err)
	}
	if _, err := Open(dir, Options{}); err == nil {
		t.Fatal("opened without the key")
	}
	s, err = Open(dir, Options{EncryptionKey: key})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, err := s.Message(context.Background(), "did:t", "bafyreisecret")
	if err != nil || !bytes.Contains(got.JSON, []byte(secret)) {
		t.Fatalf("reopened with the key: %v", err)
	}
}
