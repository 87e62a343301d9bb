// Package importer computes the dataCid of record data while streaming it: the UnixFS CID
// that Kubo's `ipfs add --cid-version=1 --raw-leaves` gives with its defaults (fixed
// 262144-byte chunks, balanced layout with at most 174 links per node, raw leaves, CIDv1,
// sha2-256), which is also what the reference SDK computes (dwn-protocol.md §3.4).
//
// Data of at most one chunk becomes a single raw block, so its CID starts "bafkrei";
// larger data gets a dag-pb root ("bafybei"). Blocks are handed to a BlockSink in the
// order they are made: leaves in data order, each internal node after its children.
package importer

import (
	"context"
	"errors"
	"fmt"
	"io"

	chunk "github.com/ipfs/boxo/chunker"
	"github.com/ipfs/boxo/ipld/unixfs/importer/balanced"
	"github.com/ipfs/boxo/ipld/unixfs/importer/helpers"
	blocks "github.com/ipfs/go-block-format"
	"github.com/ipfs/go-cid"
	ipld "github.com/ipfs/go-ipld-format"
	"github.com/multiformats/go-multihash"
)

// ChunkSize is the size of UnixFS leaves, Kubo's default.
const ChunkSize = 262144

// MaxLinks is the maximum number of links of an internal node, Kubo's default.
const MaxLinks = 174

// A BlockSink receives the blocks of a DAG as they are made. Raw reports whether the
// block is a raw leaf (its data is a contiguous piece of the file).
type BlockSink interface {
	PutBlock(ctx context.Context, b blocks.Block, raw bool) error
}

// Discard is a BlockSink that keeps nothing: use it to compute a CID only.
var Discard BlockSink = discard{}

type discard struct{}

func (discard) PutBlock(context.Context, blocks.Block, bool) error { return nil }

// Import reads r to its end, builds the UnixFS DAG and returns its root CID and the
// number of bytes read. It stops with the first error of r or of sink.
func Import(ctx context.Context, r io.Reader, sink BlockSink) (cid.Cid, int64, error) {
	cr := &countingReader{r: r}
	ds := &sinkService{ctx: ctx, sink: sink}
	params := helpers.DagBuilderParams{
		Maxlinks:   MaxLinks,
		RawLeaves:  true,
		CidBuilder: cid.V1Builder{Codec: cid.DagProtobuf, MhType: multihash.SHA2_256},
		Dagserv:    ds,
	}
	db, err := params.New(chunk.NewSizeSplitter(cr, ChunkSize))
	if err != nil {
		return cid.Undef, 0, fmt.Errorf("importer: %w", err)
	}
	nd, err := balanced.Layout(db)
	if err != nil {
		if ds.err != nil {
			return cid.Undef, cr.n, ds.err
		}
		if cr.err != nil {
			return cid.Undef, cr.n, cr.err
		}
		return cid.Undef, cr.n, fmt.Errorf("importer: %w", err)
	}
	if cr.err != nil {
		// The splitter takes a short read for the end of the data; a reader that failed
		// part-way (a truncated body) must still fail the import.
		return cid.Undef, cr.n, cr.err
	}
	return nd.Cid(), cr.n, nil
}

// Sum returns the dataCid of data held in memory.
func Sum(data []byte) cid.Cid {
	c, _, err := Import(context.Background(), &byteReader{b: data}, Discard)
	if err != nil {
		panic("importer.Sum: " + err.Error()) // cannot happen: memory reads and Discard never fail
	}
	return c
}

type byteReader struct{ b []byte }

func (r *byteReader) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, io.EOF
	}
	n := copy(p, r.b)
	r.b = r.b[n:]
	return n, nil
}

type countingReader struct {
	r   io.Reader
	n   int64
	err error
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	if err != nil && !errors.Is(err, io.EOF) {
		c.err = err
	}
	return n, err
}

// sinkService adapts a BlockSink to the ipld.DAGService the boxo builder writes to.
type sinkService struct {
	ctx  context.Context
	sink BlockSink
	err  error
}

var errWriteOnly = errors.New("importer: write-only DAG service")

func (s *sinkService) Add(_ context.Context, n ipld.Node) error {
	if s.err != nil {
		return s.err
	}
	if err := s.ctx.Err(); err != nil {
		s.err = err
		return err
	}
	raw := n.Cid().Prefix().Codec == cid.Raw
	if err := s.sink.PutBlock(s.ctx, n, raw); err != nil {
		s.err = err
		return err
	}
	return nil
}

func (s *sinkService) AddMany(ctx context.Context, ns []ipld.Node) error {
	for _, n := range ns {
		if err := s.Add(ctx, n); err != nil {
			return err
		}
	}
	return nil
}

func (s *sinkService) Get(context.Context, cid.Cid) (ipld.Node, error) { return nil, errWriteOnly }

func (s *sinkService) GetMany(context.Context, []cid.Cid) <-chan *ipld.NodeOption {
	ch := make(chan *ipld.NodeOption, 1)
	ch <- &ipld.NodeOption{Err: errWriteOnly}
	close(ch)
	return ch
}

func (s *sinkService) Remove(context.Context, cid.Cid) error       { return errWriteOnly }
func (s *sinkService) RemoveMany(context.Context, []cid.Cid) error { return errWriteOnly }
