package kubo

import (
	"context"
	"io"

	"github.com/ipfs/go-cid"

	"github.com/dwn-ipfs/dwn-ipfs/dwn"
	"github.com/dwn-ipfs/dwn-ipfs/storage/badger"
)

// Split keeps the data of published records in Kubo and the data of unpublished
// records in Local (files on the server's disk), so that nothing private leaves the
// process in plaintext. Blobs are told apart by name: Kubo's are CIDs, Local's are
// not.
type Split struct {
	Kubo  *Backend
	Local badger.Blobs
}

var _ badger.Blobs = (*Split)(nil)

// Kind implements badger.Blobs.
func (s *Split) Kind() string { return "kubo" }

func (s *Split) inKubo(blob string) bool { return isCID(blob) }

// isCID tells Kubo's blob names (CIDs, 59 characters and more) from the files
// backend's (32 hex digits, which some multibase prefixes could otherwise decode).
func isCID(blob string) bool {
	if len(blob) == 32 {
		return false
	}
	_, err := cid.Decode(blob)
	return err == nil
}

// Create implements badger.Blobs.
func (s *Split) Create(ctx context.Context, b badger.BlobInfo) (dwn.BlobWriter, string, error) {
	if b.Published {
		return s.Kubo.Create(ctx, b)
	}
	return s.Local.Create(ctx, b)
}

// Keep implements badger.Blobs.
func (s *Split) Keep(ctx context.Context, blob string) error {
	if s.inKubo(blob) {
		return s.Kubo.Keep(ctx, blob)
	}
	return s.Local.Keep(ctx, blob)
}

// Open implements badger.Blobs.
func (s *Split) Open(ctx context.Context, b badger.BlobInfo, blob string, size, offset int64) (io.ReadCloser, error) {
	if s.inKubo(blob) {
		return s.Kubo.Open(ctx, b, blob, size, offset)
	}
	return s.Local.Open(ctx, b, blob, size, offset)
}

// Delete implements badger.Blobs.
func (s *Split) Delete(ctx context.Context, blob string) error {
	if s.inKubo(blob) {
		return s.Kubo.Delete(ctx, blob)
	}
	return s.Local.Delete(ctx, blob)
}

// KuboBlobs keeps the names of blobs that live in Kubo (for reconciliation).
func KuboBlobs(names map[string]bool) map[string]bool {
	out := make(map[string]bool, len(names))
	for n := range names {
		if isCID(n) {
			out[n] = true
		}
	}
	return out
}
