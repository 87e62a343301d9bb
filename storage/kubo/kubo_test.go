package kubo

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dwn-ipfs/dwn-ipfs/did"
	"github.com/dwn-ipfs/dwn-ipfs/did/didjwk"
	"github.com/dwn-ipfs/dwn-ipfs/dwn/builder"
	"github.com/dwn-ipfs/dwn-ipfs/dwn/jwk"
	"github.com/dwn-ipfs/dwn-ipfs/dwn/jws"
	"github.com/dwn-ipfs/dwn-ipfs/dwn/node"
	"github.com/dwn-ipfs/dwn-ipfs/encryption"
	"github.com/dwn-ipfs/dwn-ipfs/gateway/importer"
	"github.com/dwn-ipfs/dwn-ipfs/internal/kubotest"
	"github.com/dwn-ipfs/dwn-ipfs/storage/badger"
	"github.com/dwn-ipfs/dwn-ipfs/storage/vault"
)

// fixture is a node whose record data lives in a real Kubo daemon.
type fixture struct {
	t     *testing.T
	kubo  *kubotest.Daemon
	store *badger.Store
	n     *node.Node
	clock time.Time
}

// newFixture starts a Kubo daemon and a node whose record data goes to it, the data
// of unpublished records encrypted with keys of a fresh master key (what dwnd runs).
func newFixture(t *testing.T) *fixture {
	d := kubotest.Start(t, kubotest.Options{})
	master, err := encryption.LoadMasterKeys(filepath.Join(t.TempDir(), "master.json"), "")
	if err != nil {
		t.Fatal(err)
	}
	v := vault.New(master)
	b, err := New(context.Background(), d.API, Options{Sealer: v})
	if err != nil {
		t.Fatal(err)
	}
	s, err := badger.Open(t.TempDir(), badger.Options{Blobs: b})
	if err != nil {
		t.Fatal(err)
	}
	v.Attach(s)
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
	w, _, err := b.Create(context.Background(), badger.BlobInfo{Published: true})
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

// TestUnpublishedDataEncrypted checks that Kubo holds only ciphertext of unpublished
// data, that the server reads it back, and that publishing and unpublishing the record
// switch the data between plaintext (pinned as its dataCid) and ciphertext.
func TestUnpublishedDataEncrypted(t *testing.T) {
	f := newFixture(t)
	alice, as := identity(t)
	for _, size := range []int{100_000, 3<<20 + 5} {
		private := random(size)
		dataCID := importer.Sum(private).String()
		m := f.write(alice, as, private, false)
		blob := f.blob(alice, dataCID)
		if !strings.HasPrefix(blob, encPrefix) {
			t.Fatalf("blob of unpublished data %q is not encrypted", blob)
		}
		f.waitPinned(strings.TrimPrefix(blob, encPrefix), true)
		f.noPlaintext(dataCID, private, blob)
		if code, got := f.read(alice, as, m.RecordID); code != 200 || !bytes.Equal(got, private) {
			t.Fatalf("read of unpublished data: %d, %d bytes", code, len(got))
		}
		// Published: the plaintext is added and pinned as the dataCid, the ciphertext
		// unpinned.
		pub := f.update(alice, as, m, true)
		f.waitPinned(dataCID, true)
		f.waitPinned(strings.TrimPrefix(blob, encPrefix), false)
		if code, got := f.read(alice, as, m.RecordID); code != 200 || !bytes.Equal(got, private) {
			t.Fatalf("read after publishing: %d, %d bytes", code, len(got))
		}
		// Unpublished again: encrypted anew, the plaintext unpinned.
		f.update(alice, as, pub, false)
		f.waitPinned(dataCID, false)
		blob2 := f.blob(alice, dataCID)
		for i := 0; i < 100 && !strings.HasPrefix(blob2, encPrefix); i++ {
			time.Sleep(50 * time.Millisecond)
			blob2 = f.blob(alice, dataCID)
		}
		if !strings.HasPrefix(blob2, encPrefix) || blob2 == blob {
			t.Fatalf("blob after unpublishing: %q (first %q)", blob2, blob)
		}
		f.waitPinned(strings.TrimPrefix(blob2, encPrefix), true)
		if code, got := f.read(alice, as, m.RecordID); code != 200 || !bytes.Equal(got, private) {
			t.Fatalf("read after unpublishing: %d, %d bytes", code, len(got))
		}
		f.delete(alice, as, m.RecordID)
		f.waitPinned(strings.TrimPrefix(blob2, encPrefix), false)
	}
}

// blob returns the name of the blob holding the data dataCID of tenant.
func (f *fixture) blob(tenant, dataCID string) string {
	f.t.Helper()
	ref, err := f.store.Ref(context.Background(), tenant, dataCID)
	if err != nil {
		f.t.Fatal(err)
	}
	return ref.Blob
}

// noPlaintext checks that the daemon has no block of the plaintext and that the
// ciphertext it serves does not contain it.
func (f *fixture) noPlaintext(dataCID string, plain []byte, blob string) {
	f.t.Helper()
	if _, err := f.kubo.RPC("block/stat?offline=true&arg=" + dataCID); err == nil {
		f.t.Fatal("Kubo has the root block of unpublished data")
	}
	ct, err := f.kubo.RPC("cat?arg=" + strings.TrimPrefix(blob, encPrefix))
	if err != nil {
		f.t.Fatal(err)
	}
	if int64(len(ct)) != encryption.CiphertextSize(int64(len(plain))) {
		f.t.Fatalf("ciphertext of %d bytes for %d bytes of data", len(ct), len(plain))
	}
	for _, at := range []int{0, len(plain) / 2, len(plain) - 32} {
		if bytes.Contains(ct, plain[at:at+32]) {
			f.t.Fatalf("plaintext at %d readable from Kubo", at)
		}
	}
}

// update writes a newer version of the record of m without data, published or not.
func (f *fixture) update(tenant string, s jws.Signer, m *builder.Message, published bool) *builder.Message {
	f.t.Helper()
	f.clock = f.clock.Add(time.Second)
	var initial map[string]any
	if err := json.Unmarshal(m.JSON, &initial); err != nil {
		f.t.Fatal(err)
	}
	u, err := builder.Update(initial, builder.Write{Published: published, Time: f.clock}, s)
	if err != nil {
		f.t.Fatal(err)
	}
	if code, detail, _ := f.send(tenant, u, nil); code != 202 {
		f.t.Fatalf("update: %d %s", code, detail)
	}
	return u
}
