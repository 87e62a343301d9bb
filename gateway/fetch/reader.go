package fetch

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/ipfs/boxo/ipld/merkledag"
	"github.com/ipfs/boxo/ipld/unixfs"
	"github.com/ipfs/go-cid"
)

// maxDepth bounds the depth of a file's DAG (a 1 GiB file of 256 KiB leaves with 174
// links per node is three levels deep).
const maxDepth = 8

// leaf is a leaf block of a file: its CID, its size, and how many of its first bytes
// to skip (for the first leaf of a range).
type leaf struct {
	c    cid.Cid
	size uint64
	skip uint64
}

// Open returns the bytes of the UnixFS file with root root, of size bytes, from
// offset: blocks are fetched and verified in order, Window of them ahead of the reader.
// A file whose DAG does not add up to size fails, and so does a read that cannot get
// a block from any remote; bytes already returned were verified.
func (f *Fetcher) Open(ctx context.Context, root cid.Cid, size, offset int64) (io.ReadCloser, error) {
	if offset < 0 || offset > size {
		return nil, fmt.Errorf("fetch: offset %d out of range of %d bytes", offset, size)
	}
	ctx, cancel := context.WithCancel(ctx)
	r := &fileReader{f: f, cancel: cancel, left: size - offset,
		futures: make(chan chan attempt, f.o.Window), slots: make(chan struct{}, f.o.Window)}
	// Fetch the root before returning, so that a missing file fails the Open.
	data, err := f.Block(ctx, root)
	if err != nil {
		cancel()
		return nil, err
	}
	total, err := fileSize(root, data)
	if err != nil {
		cancel()
		return nil, err
	}
	if total != uint64(size) {
		cancel()
		return nil, fmt.Errorf("fetch: file %s holds %d bytes, want %d", root, total, size)
	}
	go r.produce(ctx, root, data, uint64(offset))
	return r, nil
}

// fileSize is the size of the file whose root block is data.
func fileSize(c cid.Cid, data []byte) (uint64, error) {
	switch c.Type() {
	case cid.Raw:
		return uint64(len(data)), nil
	case cid.DagProtobuf:
		_, fs, err := decodeNode(data)
		if err != nil {
			return 0, err
		}
		return fs.FileSize(), nil
	}
	return 0, fmt.Errorf("fetch: block %s: codec %#x is not raw or dag-pb", c, c.Type())
}

func decodeNode(data []byte) (*merkledag.ProtoNode, *unixfs.FSNode, error) {
	n, err := merkledag.DecodeProtobuf(data)
	if err != nil {
		return nil, nil, fmt.Errorf("fetch: bad dag-pb node: %w", err)
	}
	fs, err := unixfs.FSNodeFromBytes(n.Data())
	if err != nil {
		return nil, nil, fmt.Errorf("fetch: bad UnixFS node: %w", err)
	}
	return n, fs, nil
}

// fileReader streams a file's leaves in order.
type fileReader struct {
	f       *Fetcher
	cancel  context.CancelFunc
	futures chan chan attempt // one per leaf, in file order; closed at the end
	slots   chan struct{}     // bounds leaves fetched but not yet read
	cur     []byte
	left    int64 // bytes still to return
	err     error
}

// produce walks the DAG from root, skipping subtrees before offset, and starts the
// fetch of every leaf in order, at most Window ahead of the reader.
func (r *fileReader) produce(ctx context.Context, root cid.Cid, rootData []byte, offset uint64) {
	defer close(r.futures)
	emit := func(l leaf, data []byte) bool {
		select {
		case r.slots <- struct{}{}:
		case <-ctx.Done():
			return false
		}
		fut := make(chan attempt, 1)
		select {
		case r.futures <- fut:
		case <-ctx.Done():
			return false
		}
		if data != nil {
			fut <- attempt{data: data[l.skip:]}
			return true
		}
		go func() {
			b, err := r.f.Block(ctx, l.c)
			if err == nil && uint64(len(b)) != l.size {
				err = fmt.Errorf("fetch: block %s holds %d bytes, its parent says %d", l.c, len(b), l.size)
			}
			if err == nil {
				b = b[l.skip:]
			}
			fut <- attempt{data: b, err: err}
		}()
		return true
	}
	fail := func(err error) {
		fut := make(chan attempt, 1)
		fut <- attempt{err: err}
		select {
		case r.futures <- fut:
		case <-ctx.Done():
		}
	}
	var walk func(c cid.Cid, data []byte, offset uint64, depth int) bool
	walk = func(c cid.Cid, data []byte, offset uint64, depth int) bool {
		if depth > maxDepth {
			fail(fmt.Errorf("fetch: file DAG deeper than %d", maxDepth))
			return false
		}
		if c.Type() == cid.Raw {
			return emit(leaf{c: c, size: uint64(len(data)), skip: offset}, data)
		}
		n, fs, err := decodeNode(data)
		if err != nil {
			fail(err)
			return false
		}
		links := n.Links()
		if len(links) == 0 {
			d := fs.Data()
			if offset > uint64(len(d)) {
				fail(fmt.Errorf("fetch: node %s is shorter than its parent says", c))
				return false
			}
			return emit(leaf{c: c, size: uint64(len(d)), skip: offset}, d)
		}
		if len(links) != fs.NumChildren() {
			fail(fmt.Errorf("fetch: node %s has %d links and %d block sizes", c, len(links), fs.NumChildren()))
			return false
		}
		if len(fs.Data()) != 0 {
			fail(fmt.Errorf("fetch: node %s mixes data and links", c))
			return false
		}
		for i, l := range links {
			bs := fs.BlockSize(i)
			if offset >= bs && !(offset == 0 && bs == 0) {
				offset -= bs
				continue
			}
			child := l.Cid
			if child.Type() == cid.Raw {
				if !emit(leaf{c: child, size: bs, skip: offset}, nil) {
					return false
				}
			} else {
				// Inner nodes are fetched in order (they are few: one per 174 leaves).
				cd, err := r.f.Block(ctx, child)
				if err != nil {
					fail(err)
					return false
				}
				if sz, err := fileSize(child, cd); err != nil || sz != bs {
					fail(fmt.Errorf("fetch: node %s does not hold the %d bytes its parent says", child, bs))
					return false
				}
				if !walk(child, cd, offset, depth+1) {
					return false
				}
			}
			offset = 0
		}
		return true
	}
	walk(root, rootData, offset, 0)
}

// Read implements io.Reader.
func (r *fileReader) Read(p []byte) (int, error) {
	for len(r.cur) == 0 {
		if r.err != nil {
			return 0, r.err
		}
		fut, ok := <-r.futures
		if !ok {
			if r.left != 0 {
				r.err = fmt.Errorf("fetch: file ended %d bytes early", r.left)
			} else {
				r.err = io.EOF
			}
			continue
		}
		a := <-fut
		<-r.slots
		if a.err != nil {
			r.err = a.err
			continue
		}
		if int64(len(a.data)) > r.left {
			r.err = errors.New("fetch: file longer than its size")
			continue
		}
		r.cur = a.data
		r.left -= int64(len(a.data))
	}
	n := copy(p, r.cur)
	r.cur = r.cur[n:]
	r.f.m.served.Add(float64(n))
	return n, nil
}

// Close stops the fetches in flight.
func (r *fileReader) Close() error {
	r.cancel()
	return nil
}
