package badger

import (
	"context"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dwn-ipfs/dwn-ipfs/dwn"
)

// formBlobs is FileBlobs with two forms: a blob written for published data is named
// "pub-…". It stands in for the Kubo backend (tested with real daemons in storage/kubo)
// to check the Store's bookkeeping of forms on its own.
type formBlobs struct {
	Blobs
	failOpen atomic.Bool
}

func (f *formBlobs) Kind() string { return "forms" }

func (f *formBlobs) Public(blob string) bool { return strings.HasPrefix(blob, "pub-") }

func (f *formBlobs) Create(ctx context.Context, b BlobInfo) (dwn.BlobWriter, string, error) {
	w, name, err := f.Blobs.Create(ctx, b)
	if err != nil || !b.Published {
		return w, name, err
	}
	return prefixWriter{w}, "pub-" + name, nil
}

func (f *formBlobs) Open(ctx context.Context, b BlobInfo, blob string, size, offset int64) (io.ReadCloser, error) {
	if f.failOpen.Load() {
		return nil, errors.New("backend down")
	}
	return f.Blobs.Open(ctx, b, strings.TrimPrefix(blob, "pub-"), size, offset)
}

func (f *formBlobs) Delete(ctx context.Context, blob string) error {
	return f.Blobs.Delete(ctx, strings.TrimPrefix(blob, "pub-"))
}

type prefixWriter struct{ dwn.BlobWriter }

func (p prefixWriter) Finish() (string, error) {
	name, err := p.BlobWriter.Finish()
	return "pub-" + name, err
}

// TestBlobForms checks that a data reference's blob is public exactly while a record
// referencing it is published, across updates, a second record with the same data, a
// delete, and a restart in the middle of a conversion.
func TestBlobForms(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	const tenant, dataCID = "did:example:forms", "bafkreiforms"
	payload := []byte(strings.Repeat("form data ", 100))
	files := t.TempDir()
	backend := &formBlobs{Blobs: FileBlobs(filepath.Join(files, "blobs"), false)}
	s, err := Open(dir, Options{Blobs: backend})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { s.Close() }()
	newest := map[string]string{}
	seq := 0
	// write makes a new newest message of record rid, published or not, with new data
	// (upload) or the data it had.
	write := func(rid string, published, upload bool, del bool) {
		t.Helper()
		seq++
		cid := rid + "-" + string(rune('a'+seq))
		u := &dwn.RecordUpdate{RecordID: rid, ExpectNewestCID: newest[rid], Timestamp: "2024-01-01T00:00:00.000000Z",
			IsInitial: newest[rid] == "", Queryable: !del, IsDelete: del, DataCID: dataCID, DataSize: int64(len(payload)),
			Message: dwn.StoredMessage{CID: cid, JSON: []byte("{}"), Indexes: dwn.Indexes{"published": published}}}
		switch {
		case del:
		case upload:
			w, err := s.Create(ctx, tenant, dataCID, published)
			if err != nil {
				t.Fatal(err)
			}
			w.Write(payload)
			blob, err := w.Finish()
			if err != nil {
				t.Fatal(err)
			}
			u.NewData = &dwn.DataRef{DataCID: dataCID, Size: int64(len(payload)), Blob: blob}
		default:
			st, err := s.Record(ctx, tenant, rid)
			if err != nil {
				t.Fatal(err)
			}
			u.NewData = st.Data
		}
		if err := s.ApplyRecord(ctx, tenant, u); err != nil {
			t.Fatal(err)
		}
		newest[rid] = cid
	}
	// form waits until the reference's blob is in the wanted form and reads it back.
	form := func(public bool) {
		t.Helper()
		var ref *dwn.DataRef
		for i := 0; i < 300; i++ {
			ref, err = s.Ref(ctx, tenant, dataCID)
			if err == nil && backend.Public(ref.Blob) == public {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		if err != nil || backend.Public(ref.Blob) != public {
			t.Fatalf("blob %v (%v), want public=%v", ref, err, public)
		}
		rc, err := s.Open(ctx, tenant, ref, 0)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(rc)
		rc.Close()
		if string(got) != string(payload) {
			t.Fatalf("data after conversion: %q", got)
		}
	}
	write("r1", false, true, false)
	form(false)
	write("r1", true, false, false) // published without new data: becomes public
	form(true)
	write("r2", false, true, false) // same data, unpublished: still public for r1
	form(true)
	write("r1", false, false, false) // no published reference left
	form(false)
	write("r2", true, true, false) // new upload of the same data, published
	form(true)
	// A conversion that fails is retried after a restart.
	backend.failOpen.Store(true)
	write("r2", false, false, false)
	time.Sleep(50 * time.Millisecond)
	if ref, _ := s.Ref(ctx, tenant, dataCID); !backend.Public(ref.Blob) {
		t.Fatal("converted although the backend is down")
	}
	s.Close()
	backend.failOpen.Store(false)
	if s, err = Open(dir, Options{Blobs: backend}); err != nil {
		t.Fatal(err)
	}
	form(false)
	write("r1", true, false, true) // deletes drop references
	write("r2", true, false, true)
	if _, err := s.Ref(ctx, tenant, dataCID); dwn.KindOf(err) != dwn.NotFound {
		t.Fatalf("reference after deletes: %v", err)
	}
	for i := 0; i < 300 && blobFiles(t, files) > 0; i++ {
		time.Sleep(10 * time.Millisecond)
	}
	if n := blobFiles(t, files); n != 0 {
		t.Fatalf("%d blobs left after the last reference went", n)
	}
}
