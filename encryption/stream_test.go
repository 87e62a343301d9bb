package encryption

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"testing"
)

const (
	tenant  = "did:example:alice"
	dataCID = "bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi"
)

func mustKey(t testing.TB) TenantKey {
	t.Helper()
	k, err := NewTenantKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func lookupOf(keys ...TenantKey) KeyLookup {
	return func(id string) (TenantKey, error) {
		for _, k := range keys {
			if k.ID() == id {
				return k, nil
			}
		}
		return TenantKey{}, errors.New("no such key")
	}
}

func seal(t testing.TB, k TenantKey, tenant, dataCID string, plain []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := NewWriter(&buf, k, tenant, dataCID)
	if err != nil {
		t.Fatal(err)
	}
	// Odd write sizes cross segment boundaries.
	for p := plain; len(p) > 0; {
		n := min(len(p), 10007)
		if _, err := w.Write(p[:n]); err != nil {
			t.Fatal(err)
		}
		p = p[n:]
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func random(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

// opener serves a ciphertext held in memory to OpenAt.
func opener(ct []byte) func(context.Context, int64) (io.ReadCloser, error) {
	return func(_ context.Context, off int64) (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(ct[off:])), nil
	}
}

func TestRoundTrip(t *testing.T) {
	k := mustKey(t)
	for _, size := range []int{0, 1, SegmentSize - 1, SegmentSize, SegmentSize + 1, 3 * SegmentSize, 1<<20 + 7} {
		plain := random(size)
		ct := seal(t, k, tenant, dataCID, plain)
		if int64(len(ct)) != CiphertextSize(int64(size)) {
			t.Fatalf("%d bytes: ciphertext %d, CiphertextSize says %d", size, len(ct), CiphertextSize(int64(size)))
		}
		if size > 64 && bytes.Contains(ct, plain[:64]) {
			t.Fatalf("%d bytes: plaintext visible in the ciphertext", size)
		}
		r, err := NewReader(bytes.NewReader(ct), lookupOf(k), tenant, dataCID)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(r)
		if err != nil || !bytes.Equal(got, plain) {
			t.Fatalf("%d bytes: read %d bytes back, %v", size, len(got), err)
		}
		offsets := []int{0, 1, size / 2, SegmentSize, SegmentSize + 1, 2*SegmentSize - 1, size - 1, size}
		for _, off := range offsets {
			if off < 0 || off > size {
				continue
			}
			rc, err := OpenAt(context.Background(), opener(ct), lookupOf(k), tenant, dataCID, int64(size), int64(off))
			if err != nil {
				t.Fatalf("%d bytes at %d: %v", size, off, err)
			}
			got, err := io.ReadAll(rc)
			rc.Close()
			if err != nil || !bytes.Equal(got, plain[off:]) {
				t.Fatalf("%d bytes at %d: %d bytes, %v", size, off, len(got), err)
			}
		}
	}
}

// TestSameDataTwice checks that two encryptions of the same data differ (fresh salt).
func TestSameDataTwice(t *testing.T) {
	k := mustKey(t)
	plain := random(1000)
	if bytes.Equal(seal(t, k, tenant, dataCID, plain), seal(t, k, tenant, dataCID, plain)) {
		t.Fatal("two encryptions of the same data are equal")
	}
}

func TestTampering(t *testing.T) {
	k, other := mustKey(t), mustKey(t)
	size := 3*SegmentSize + 100
	plain := random(size)
	ct := seal(t, k, tenant, dataCID, plain)
	seg := func(i int) (int, int) { // ciphertext bounds of segment i
		start := HeaderSize + i*(SegmentSize+tagSize)
		return start, min(start+SegmentSize+tagSize, len(ct))
	}
	flip := func(at int) []byte {
		c := bytes.Clone(ct)
		c[at] ^= 1
		return c
	}
	s1, e1 := seg(1)
	s2, e2 := seg(2)
	s3, _ := seg(3)
	foreign := seal(t, k, tenant, dataCID, plain) // same key, same data, another stream
	cases := []struct {
		name    string
		ct      []byte
		tenant  string
		dataCID string
		keys    KeyLookup
		size    int64
	}{
		{name: "header magic", ct: flip(0)},
		{name: "header key ID", ct: flip(6)},
		{name: "header salt", ct: flip(HeaderSize - 1)},
		{name: "first segment", ct: flip(HeaderSize + 5)},
		{name: "middle segment tag", ct: flip(e1 - 1)},
		{name: "last segment", ct: flip(len(ct) - 1)},
		{name: "last segment dropped", ct: ct[:s3]},
		{name: "cut inside a segment", ct: ct[:s2+100]},
		{name: "header only", ct: ct[:HeaderSize]},
		{name: "cut header", ct: ct[:HeaderSize-1]},
		{name: "middle segment dropped", ct: append(bytes.Clone(ct[:s1]), ct[e1:]...)},
		{name: "segments swapped", ct: append(append(append(bytes.Clone(ct[:s1]), ct[s2:e2]...), ct[s1:e1]...), ct[e2:]...)},
		{name: "segment from another stream", ct: append(append(bytes.Clone(ct[:s1]), foreign[s1:e1]...), ct[e1:]...)},
		{name: "bytes appended", ct: append(bytes.Clone(ct), 0)},
		{name: "another tenant", ct: ct, tenant: "did:example:mallory"},
		{name: "another dataCid", ct: ct, dataCID: "bafkreiother"},
		{name: "another key", ct: ct, keys: func(string) (TenantKey, error) { return other, nil }},
		{name: "size too small", ct: ct, size: int64(size - 1)},
		{name: "size too large", ct: ct, size: int64(size + SegmentSize)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tn, dc, keys, sz := tenant, dataCID, lookupOf(k), int64(size)
			if c.tenant != "" {
				tn = c.tenant
			}
			if c.dataCID != "" {
				dc = c.dataCID
			}
			if c.keys != nil {
				keys = c.keys
			}
			if c.size != 0 {
				sz = c.size
			}
			check := func(how string, got []byte, err error) {
				t.Helper()
				if err == nil {
					t.Fatalf("%s: read %d bytes without an error", how, len(got))
				}
				// Whatever came before the error is a correct prefix.
				if !bytes.Equal(got, plain[:min(len(got), len(plain))]) {
					t.Fatalf("%s: wrong bytes before the error", how)
				}
			}
			if c.size == 0 {
				r, err := NewReader(bytes.NewReader(c.ct), keys, tn, dc)
				var got []byte
				if err == nil {
					got, err = io.ReadAll(r)
				}
				check("NewReader", got, err)
			}
			rc, err := OpenAt(context.Background(), opener(c.ct), keys, tn, dc, sz, 0)
			var got []byte
			if err == nil {
				got, err = io.ReadAll(rc)
			}
			check("OpenAt", got, err)
		})
	}
}

func FuzzReader(f *testing.F) {
	k := mustKey(f)
	f.Add(seal(f, k, tenant, dataCID, []byte("hello")))
	f.Add(seal(f, k, tenant, dataCID, random(SegmentSize+3)))
	f.Fuzz(func(t *testing.T, ct []byte) {
		r, err := NewReader(bytes.NewReader(ct), lookupOf(k), tenant, dataCID)
		if err != nil {
			return
		}
		// The fuzzer cannot forge a tag: whatever it changes must fail, unless it left
		// a stream the writer made intact.
		got, err := io.ReadAll(r)
		if err == nil && string(got) != "hello" && len(got) != SegmentSize+3 {
			t.Fatalf("decrypted %d forged bytes", len(got))
		}
	})
}

func BenchmarkSeal(b *testing.B) {
	k := mustKey(b)
	plain := random(64 << 20)
	b.SetBytes(int64(len(plain)))
	for b.Loop() {
		w, _ := NewWriter(io.Discard, k, tenant, dataCID)
		w.Write(plain)
		w.Close()
	}
}

func BenchmarkOpen(b *testing.B) {
	k := mustKey(b)
	plain := random(64 << 20)
	ct := seal(b, k, tenant, dataCID, plain)
	b.SetBytes(int64(len(plain)))
	buf := make([]byte, 256<<10)
	for b.Loop() {
		r, _ := NewReader(bytes.NewReader(ct), lookupOf(k), tenant, dataCID)
		if _, err := io.CopyBuffer(io.Discard, r, buf); err != nil {
			b.Fatal(err)
		}
	}
}
