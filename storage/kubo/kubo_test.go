package kubo

import (
	"bytes"
	"context"
	"crypto/rand"
	"io"
	"testing"
	"time"

	"github.com/dwn-ipfs/dwn-ipfs/did"
	"github.com/dwn-ipfs/dwn-ipfs/did/didjwk"
	"github.com/dwn-ipfs/dwn-ipfs/dwn/builder"
	"github.com/dwn-ipfs/dwn-ipfs/dwn/jwk"
	"github.com/dwn-ipfs/dwn-ipfs/dwn/jws"
	"github.com/dwn-ipfs/dwn-ipfs/dwn/node"
	"github.com/dwn-ipfs/dwn-ipfs/gateway/importer"
	"github.com/dwn-ipfs/dwn-ipfs/internal/kubotest"
	"github.com/dwn-ipfs/dwn-ipfs/storage/badger"
)

// fixture is a node whose record data lives in a real Kubo daemon.
type fixture struct {
	t     *testing.T
	kubo  *kubotest.Daemon
	store *badger.Store
	n     *node.Node
	clock time.Time
}

func newFixture(t *testing.T) *fixture { return newFixtureWith(t, false) }

// newFixtureWith makes a fixture; with split, the data of unpublished records stays in
// local files (what dwnd runs).
func newFixtureWith(t *testing.T, split bool) *fixture {
	d := kubotest.Start(t, kubotest.Options{})
	b, err := New(context.Background(), d.API, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var blobs badger.Blobs = b
	if split {
		blobs = &Split{Kubo: b, Local: badger.FileBlobs(t.TempDir(), false)}
	}
	s, err := badger.Open(t.TempDir(), badger.Options{Blobs: blobs})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	n, err := node.New(node.Config{}, s, s, did.NewMemoryCache(did.Methods{"jwk": didjwk.Resolver{}}, 0), nil)
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{t: t, kubo: d, store: s, n: n, clock: time.Now().Add(-time.Hour)}
}

func identity(t *testing.T) (string, jws.Signer) {
	k, err := jwk.Generate(jwk.Ed25519)
	if err != nil {
		t.Fatal(err)
	}
	d, err := didjwk.New(k.Public())
	if err != nil {
		t.Fatal(err)
	}
	return d, jws.PrivateKeySigner{Key: k, KID: d + "#0"}
}

func (f *fixture) send(tenant string, m *builder.Message, data []byte) (int, string, []byte) {
	f.t.Helper()
	var body io.Reader
	if data != nil {
		body = bytes.NewReader(data)
	}
	rep, err := f.n.ProcessMessage(context.Background(), tenant, m.JSON, body)
	if err != nil {
		return 500, err.Error(), nil
	}
	var got []byte
	if rep.Data != nil {
		got, err = io.ReadAll(rep.Data)
		rep.Data.Close()
		if err != nil {
			return 500, "reading the data: " + err.Error(), nil
		}
	}
	return rep.Status.Code, rep.Status.Detail, got
}

func (f *fixture) write(tenant string, s jws.Signer, data []byte, published bool) *builder.Message {
	f.t.Helper()
	f.clock = f.clock.Add(time.Second)
	m, err := builder.RecordsWrite(builder.Write{Data: data, Published: published, Time: f.clock}, s)
	if err != nil {
		f.t.Fatal(err)
	}
	if code, detail, _ := f.send(tenant, m, data); code != 202 {
		f.t.Fatalf("write: %d %s", code, detail)
	}
	return m
}

func (f *fixture) read(tenant string, s jws.Signer, recordID string) (int, []byte) {
	f.t.Helper()
	m, err := builder.RecordsRead(recordID, s)
	if err != nil {
		f.t.Fatal(err)
	}
	code, _, data := f.send(tenant, m, nil)
	return code, data
}

func (f *fixture) delete(tenant string, s jws.Signer, recordID string) {
	f.t.Helper()
	f.clock = f.clock.Add(time.Second)
	m, err := builder.RecordsDelete(recordID, false, f.clock, s)
	if err != nil {
		f.t.Fatal(err)
	}
	if code, detail, _ := f.send(tenant, m, nil); code != 202 {
		f.t.Fatalf("delete: %d %s", code, detail)
	}
}

// waitPinned waits until the daemon's dwn-ipfs pins include (or exclude) c.
func (f *fixture) waitPinned(c string, want bool) {
	f.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		b, err := New(context.Background(), f.kubo.API, Options{})
		if err != nil {
			f.t.Fatal(err)
		}
		pins, err := b.Pins(context.Background())
		if err != nil {
			f.t.Fatal(err)
		}
		if pins[c] == want {
			return
		}
		if time.Now().After(deadline) {
			f.t.Fatalf("pin of %s: %v, want %v", c, pins[c], want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func random(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

func TestRecordDataInKubo(t *testing.T) {
	f := newFixture(t)
	alice, as := identity(t)
	for _, size := range []int{30001, 256 << 10, 3<<20 + 17} {
		data := random(size)
		m := f.write(alice, as, data, true)
		dataCID := importer.Sum(data).String()
		// Published data is in IPFS as is: its root is the dataCid, pinned by dwnd.
		f.waitPinned(dataCID, true)
		code, got := f.read(alice, as, m.RecordID)
		if code != 200 || !bytes.Equal(got, data) {
			t.Fatalf("%d bytes: read %d, %d bytes back", size, code, len(got))
		}
		f.delete(alice, as, m.RecordID)
		f.waitPinned(dataCID, false)
	}
}

func TestSharedDataStaysPinned(t *testing.T) {
	f := newFixture(t)
	alice, as := identity(t)
	bob, bs := identity(t)
	data := random(100_000)
	dataCID := importer.Sum(data).String()
	a := f.write(alice, as, data, true)
	b := f.write(bob, bs, data, true)
	f.delete(alice, as, a.RecordID)
	// Bob still references the same blob: it must stay pinned and readable.
	time.Sleep(200 * time.Millisecond)
	f.waitPinned(dataCID, true)
	if code, got := f.read(bob, bs, b.RecordID); code != 200 || !bytes.Equal(got, data) {
		t.Fatalf("bob's read after alice's delete: %d, %d bytes", code, len(got))
	}
	f.delete(bob, bs, b.RecordID)
	f.waitPinned(dataCID, false)
}

func TestKuboDownAtWrite(t *testing.T) {
	f := newFixture(t)
	alice, as := identity(t)
	f.kubo.Kill()
	data := random(100_000)
	f.clock = f.clock.Add(time.Second)
	m, err := builder.RecordsWrite(builder.Write{Data: data, Time: f.clock}, as)
	if err != nil {
		t.Fatal(err)
	}
	code, detail, _ := f.send(alice, m, data)
	if code != 500 || !bytes.Contains([]byte(detail), []byte("kubo")) {
		t.Fatalf("write with Kubo down: %d %q, want 500 naming kubo", code, detail)
	}
	// Nothing was stored: no message without data.
	if code, _ := f.read(alice, as, m.RecordID); code != 404 {
		t.Fatalf("read after the failed write: %d, want 404", code)
	}
}

func TestReconcile(t *testing.T) {
	f := newFixture(t)
	alice, as := identity(t)
	kept := random(50_000)
	lost := random(60_000)
	f.write(alice, as, kept, true)
	f.write(alice, as, lost, true)
	keptCID, lostCID := importer.Sum(kept).String(), importer.Sum(lost).String()
	// A crash-like state: both pins gone, the blocks of one collected, and a pin of
	// ours that nothing references.
	for _, c := range []string{keptCID, lostCID} {
		if _, err := f.kubo.RPC("pin/rm?arg=" + c); err != nil {
			t.Fatal(err)
		}
	}
	// Keep kept's blocks through the collection below, but not its pin.
	if _, err := f.kubo.RPC("pin/add?arg=" + keptCID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.kubo.RPC("repo/gc"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.kubo.RPC("pin/rm?arg=" + keptCID); err != nil {
		t.Fatal(err)
	}
	b, err := New(context.Background(), f.kubo.API, Options{})
	if err != nil {
		t.Fatal(err)
	}
	strayData := random(1000)
	w, _, err := b.Create(context.Background(), badger.BlobInfo{})
	if err != nil {
		t.Fatal(err)
	}
	w.Write(strayData)
	stray, err := w.Finish()
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Keep(context.Background(), stray); err != nil { // as the store does after Finish
		t.Fatal(err)
	}

	refs, err := f.store.ReferencedBlobs(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !refs[keptCID] || !refs[lostCID] || refs[stray] || len(refs) != 2 {
		t.Fatalf("referenced blobs: %v", refs)
	}
	r, err := b.Reconcile(context.Background(), refs, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Repinned) != 1 || r.Repinned[0] != keptCID || len(r.Missing) != 1 || r.Missing[0] != lostCID ||
		len(r.Stray) != 1 || r.Stray[0] != stray {
		t.Fatalf("reconciliation: %+v", r)
	}
	f.waitPinned(keptCID, true)
}

func TestUnpublishedDataStaysLocal(t *testing.T) {
	f := newFixtureWith(t, true)
	alice, as := identity(t)
	private := random(100_000)
	public := random(100_000)
	pm := f.write(alice, as, private, false)
	f.write(alice, as, public, true)
	f.waitPinned(importer.Sum(public).String(), true)
	// Not a single block of the private data is in Kubo.
	if _, err := f.kubo.RPC("block/stat?offline=true&arg=" + importer.Sum(private).String()); err == nil {
		t.Fatal("Kubo has the root block of unpublished data")
	}
	b, err := New(context.Background(), f.kubo.API, Options{})
	if err != nil {
		t.Fatal(err)
	}
	pins, err := b.Pins(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(pins) != 1 {
		t.Fatalf("Kubo pins %v, want only the published %s", pins, importer.Sum(public))
	}
	if code, got := f.read(alice, as, pm.RecordID); code != 200 || !bytes.Equal(got, private) {
		t.Fatalf("read of unpublished data: %d, %d bytes", code, len(got))
	}
	refs, err := f.store.ReferencedBlobs(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(refs) != 2 || len(KuboBlobs(refs)) != 1 {
		t.Fatalf("referenced %v, in Kubo %v", refs, KuboBlobs(refs))
	}
}
