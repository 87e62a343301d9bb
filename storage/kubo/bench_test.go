package kubo

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/ipfs/boxo/files"
	caopts "github.com/ipfs/kubo/core/coreiface/options"

	"github.com/dwn-ipfs/dwn-ipfs/encryption"
	"github.com/dwn-ipfs/dwn-ipfs/storage/badger"
	"github.com/dwn-ipfs/dwn-ipfs/storage/vault"

	"github.com/dwn-ipfs/dwn-ipfs/internal/kubotest"
)

// BenchmarkWrite64MiB compares, on one daemon, a raw add of 64 MiB through the RPC API
// with the backend's writes of the same size: plaintext (published) and encrypted.
// Every iteration writes new random bytes, so that no add is a re-add.
func BenchmarkWrite64MiB(b *testing.B) {
	d := kubotest.Start(b, kubotest.Options{})
	ctx := context.Background()
	master, err := encryption.LoadMasterKeys(filepath.Join(b.TempDir(), "master.json"), "")
	if err != nil {
		b.Fatal(err)
	}
	v := vault.New(master)
	be, err := New(ctx, d.API, Options{Sealer: v})
	if err != nil {
		b.Fatal(err)
	}
	s, err := badger.Open(b.TempDir(), badger.Options{InMemory: true})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	v.Attach(s)
	const size = 64 << 20
	data := random(size)
	fresh := func() { // new bytes: change one byte of every 256 KiB chunk
		for i := 0; i < size; i += 256 << 10 {
			data[i]++
		}
	}
	b.Run("raw-add", func(b *testing.B) {
		b.SetBytes(size)
		for b.Loop() {
			fresh()
			if _, err := be.api.Unixfs().Add(ctx, files.NewBytesFile(data), caopts.Unixfs.CidVersion(1),
				caopts.Unixfs.RawLeaves(true), caopts.Unixfs.Chunker("size-262144"), caopts.Unixfs.Pin(false, "")); err != nil {
				b.Fatal(err)
			}
		}
	})
	for _, published := range []bool{true, false} {
		name := "backend-encrypted"
		if published {
			name = "backend-plaintext"
		}
		b.Run(name, func(b *testing.B) {
			b.SetBytes(size)
			for b.Loop() {
				fresh()
				w, _, err := be.Create(ctx, badger.BlobInfo{Tenant: "did:example:bench", DataCID: "bafkreibench", Published: published})
				if err != nil {
					b.Fatal(err)
				}
				for off := 0; off < size; off += 1 << 20 { // as an HTTP body arrives
					if _, err := w.Write(data[off : off+1<<20]); err != nil {
						b.Fatal(err)
					}
				}
				if _, err := w.Finish(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
