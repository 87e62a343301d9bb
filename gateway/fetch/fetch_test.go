package fetch

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ipfs/go-cid"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/dwn-ipfs/dwn-ipfs/gateway/importer"
	"github.com/dwn-ipfs/dwn-ipfs/internal/kubotest"
)

func random(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

// add adds data to a daemon as dwnd does and checks the root is the dataCid.
func add(t testing.TB, d *kubotest.Daemon, data []byte) cid.Cid {
	t.Helper()
	h, err := d.Add(data)
	if err != nil {
		t.Fatal(err)
	}
	c, err := cid.Decode(h)
	if err != nil || !c.Equals(importer.Sum(data)) {
		t.Fatalf("add gave %s, want the dataCid %s", h, importer.Sum(data))
	}
	return c
}

func read(t testing.TB, f *Fetcher, root cid.Cid, size, offset int64) ([]byte, error) {
	t.Helper()
	rc, err := f.Open(context.Background(), root, size, offset)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

func TestReadBack(t *testing.T) {
	d := kubotest.Start(t, kubotest.Options{})
	sizes := []int{0, 1024, 256 << 10, 256<<10 + 1, 5<<20 + 3, 174*(256<<10) + 700_001}
	files := map[int][]byte{}
	roots := map[int]cid.Cid{}
	for _, n := range sizes {
		files[n] = random(n)
		roots[n] = add(t, d, files[n])
	}
	remotes := []Remote{NewKuboRPC(d.API, nil), NewGateway(d.Gateway, nil)}
	for _, r := range remotes {
		f := New([]Remote{r}, Options{})
		for _, n := range sizes {
			offsets := []int{0, 1000, 256 << 10, n - 1, n}
			if n > 10<<20 {
				offsets = []int{0, 174 * (256 << 10), n - 1}
			}
			for _, off := range offsets {
				if off < 0 || off > n {
					continue
				}
				t.Run(fmt.Sprintf("%s/%d@%d", r.Name(), n, off), func(t *testing.T) {
					got, err := read(t, f, roots[n], int64(n), int64(off))
					if err != nil || !bytes.Equal(got, files[n][off:]) {
						t.Fatalf("read %d bytes, %v; want %d bytes", len(got), err, n-off)
					}
				})
			}
		}
		// A wrong size fails.
		if _, err := f.Open(context.Background(), roots[1024], 1025, 0); err == nil {
			t.Fatal("Open with the wrong size succeeded")
		}
	}
}

// status returns the status of the remote named name.
func status(f *Fetcher, name string) RemoteStatus {
	for _, s := range f.Status() {
		if s.Name == name {
			return s
		}
	}
	return RemoteStatus{}
}

func TestFailoverWhenPrimaryDies(t *testing.T) {
	a := kubotest.Start(t, kubotest.Options{})
	b := kubotest.Start(t, kubotest.Options{})
	data := random(3<<20 + 5)
	root := add(t, a, data)
	add(t, b, data)
	primary := NewKuboRPC(a.API, nil)
	f := New([]Remote{primary, NewGateway(b.Gateway, nil)}, Options{})
	if got, err := read(t, f, root, int64(len(data)), 0); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("read with both up: %d bytes, %v", len(got), err)
	}
	a.Kill()
	start := time.Now()
	got, err := read(t, f, root, int64(len(data)), 0)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("read with the primary dead: %d bytes, %v", len(got), err)
	}
	t.Logf("read of %d bytes with the primary dead: %v", len(data), time.Since(start))
	if s := status(f, primary.Name()); s.Healthy || s.LastFailure != KindUnreachable {
		t.Fatalf("dead primary's status: %+v", s)
	}
	if err := f.Ready(context.Background()); err != nil {
		t.Fatalf("ready with a gateway up: %v", err)
	}
}

// lyingProxy serves a daemon's gateway with one byte of every block flipped, except
// the blocks of the CIDs in honest.
func lyingProxy(t *testing.T, gateway string, honest ...cid.Cid) *httptest.Server {
	u, _ := url.Parse(gateway)
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.ModifyResponse = func(resp *http.Response) error {
		for _, c := range honest {
			if strings.Contains(resp.Request.URL.Path, c.String()) {
				return nil
			}
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return err
		}
		if len(b) > 0 {
			b[len(b)/2] ^= 0x40
		}
		resp.Body = io.NopCloser(bytes.NewReader(b))
		resp.ContentLength = int64(len(b))
		resp.Header.Del("Content-Length")
		return nil
	}
	s := httptest.NewServer(rp)
	t.Cleanup(s.Close)
	return s
}

func TestLyingGatewayIsDetected(t *testing.T) {
	d := kubotest.Start(t, kubotest.Options{})
	data := random(1<<20 + 17)
	root := add(t, d, data)
	liar := NewGateway(lyingProxy(t, d.Gateway).URL, nil)
	reg := prometheus.NewRegistry()
	f := New([]Remote{liar, NewGateway(d.Gateway, nil)}, Options{Registerer: reg})
	got, err := read(t, f, root, int64(len(data)), 0)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("read past a lying gateway: %d bytes, %v", len(got), err)
	}
	if n := counter(t, reg, "dwn_ipfs_remote_verification_failures_total", liar.Name()); n < 1 {
		t.Fatalf("verification failures counted: %v", n)
	}
	if s := status(f, liar.Name()); s.Healthy || s.LastFailure != KindVerify {
		t.Fatalf("liar's status: %+v", s)
	}
}

// counter returns the value of the counter name for remote in reg.
func counter(t *testing.T, reg *prometheus.Registry, name, remote string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "remote" && l.GetValue() == remote {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	return 0
}

// hangingServer accepts connections and never answers.
func hangingServer(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns []net.Conn
	done := make(chan struct{})
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				close(done)
				return
			}
			conns = append(conns, c)
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
		for _, c := range conns {
			c.Close()
		}
	})
	return "http://" + ln.Addr().String()
}

func TestHangingGatewayIsHedged(t *testing.T) {
	d := kubotest.Start(t, kubotest.Options{})
	data := random(2<<20 + 9)
	root := add(t, d, data)
	f := New([]Remote{NewGateway(hangingServer(t), nil), NewGateway(d.Gateway, nil)}, Options{})
	start := time.Now()
	rc, err := f.Open(context.Background(), root, int64(len(data)), 0)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	first := make([]byte, 1)
	if _, err := io.ReadFull(rc, first); err != nil {
		t.Fatal(err)
	}
	ttfb := time.Since(start)
	rest, err := io.ReadAll(rc)
	if err != nil || !bytes.Equal(append(first, rest...), data) {
		t.Fatalf("read past a hanging gateway: %v", err)
	}
	t.Logf("time to first byte with the first gateway hanging: %v", ttfb)
	if ttfb > time.Second {
		t.Fatalf("time to first byte %v, want under 1s", ttfb)
	}
}

func TestAllRemotesBad(t *testing.T) {
	d := kubotest.Start(t, kubotest.Options{})
	empty := kubotest.Start(t, kubotest.Options{})
	data := random(1<<20 + 3)
	root := add(t, d, data)
	// Nobody honest: a liar and a node without the data.
	f := New([]Remote{NewGateway(lyingProxy(t, d.Gateway).URL, nil), NewKuboRPC(empty.API, nil)}, Options{})
	_, err := f.Open(context.Background(), root, int64(len(data)), 0)
	if err == nil || !strings.Contains(err.Error(), KindVerify) || !strings.Contains(err.Error(), KindNotFound) {
		t.Fatalf("Open with no honest remote: %v", err)
	}
	// A liar that serves the root honestly but corrupts the leaves: the read fails
	// and what came before the failure is correct.
	f = New([]Remote{NewGateway(lyingProxy(t, d.Gateway, root).URL, nil)}, Options{})
	got, err := read(t, f, root, int64(len(data)), 0)
	if err == nil {
		t.Fatal("read of corrupted leaves succeeded")
	}
	if !bytes.Equal(got, data[:len(got)]) {
		t.Fatal("wrong bytes returned before the error")
	}
}

// BenchmarkRead compares reading a 64 MiB file through the Fetcher from the local
// Kubo's RPC API with Kubo's own cat.
func BenchmarkRead(b *testing.B) {
	d := kubotest.Start(b, kubotest.Options{})
	data := random(64 << 20)
	root := add(b, d, data)
	b.Run("fetcher-kubo-rpc", func(b *testing.B) {
		f := New([]Remote{NewKuboRPC(d.API, nil)}, Options{})
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			rc, err := f.Open(context.Background(), root, int64(len(data)), 0)
			if err != nil {
				b.Fatal(err)
			}
			if n, err := io.Copy(io.Discard, rc); err != nil || n != int64(len(data)) {
				b.Fatal(n, err)
			}
			rc.Close()
		}
	})
	b.Run("kubo-cat", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			resp, err := http.Post(d.API+"/api/v0/cat?arg="+root.String(), "", nil)
			if err != nil {
				b.Fatal(err)
			}
			if n, err := io.Copy(io.Discard, resp.Body); err != nil || n != int64(len(data)) {
				b.Fatal(n, err)
			}
			resp.Body.Close()
		}
	})
}

// corruptBlock flips a byte of the block file holding want in a daemon's flatfs.
func corruptBlock(t *testing.T, d *kubotest.Daemon, want []byte) {
	t.Helper()
	var found string
	filepath.WalkDir(filepath.Join(d.Repo, "blocks"), func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() || found != "" || !strings.HasSuffix(p, ".data") {
			return nil
		}
		if b, err := os.ReadFile(p); err == nil && bytes.Equal(b, want) {
			found = p
		}
		return nil
	})
	if found == "" {
		t.Fatal("block file not found")
	}
	b, _ := os.ReadFile(found)
	b[100] ^= 1
	if err := os.WriteFile(found, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestCorruptedLocalBlock(t *testing.T) {
	a := kubotest.Start(t, kubotest.Options{})
	b := kubotest.Start(t, kubotest.Options{})
	data := random(1<<20 + 11)
	root := add(t, a, data)
	add(t, b, data)
	corruptBlock(t, a, data[256<<10:512<<10]) // the second leaf
	local := NewKuboRPC(a.API, nil)
	got, err := read(t, New([]Remote{local}, Options{}), root, int64(len(data)), 0)
	if err == nil || !strings.Contains(err.Error(), KindVerify) {
		t.Fatalf("read of a corrupted local block: %v", err)
	}
	if !bytes.Equal(got, data[:len(got)]) || len(got) > 256<<10 {
		t.Fatalf("%d bytes returned before the error, not a correct prefix ending before the bad block", len(got))
	}
	f := New([]Remote{local, NewGateway(b.Gateway, nil)}, Options{})
	if got, err := read(t, f, root, int64(len(data)), 0); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("read with a gateway behind the corrupted node: %d bytes, %v", len(got), err)
	}
}
