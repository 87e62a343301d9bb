// Package encryption is the at-rest format of private record data and its key
// hierarchy.
//
// # Stream format
//
// Data of unpublished records is encrypted before it leaves the process:
//
//	header   "DWNE" | version 1 | tenant key ID (16 bytes) | salt (32 random bytes)
//	segment  AES-256-GCM(data key, nonce, 64 KiB of plaintext, associated data)
//	...      the last segment may be shorter; empty data is one empty last segment
//
// The data key is HKDF-SHA256(tenant key, salt, info), where info names the format and
// holds the tenant DID and the dataCid, each length-prefixed: a fresh salt per stream
// gives a fresh key, so counter nonces never repeat under one key. The nonce of segment
// i is i as 11 big-endian bytes and a flag byte, 1 on the last segment. The associated
// data of segment i is SHA-256(header | info) followed by i as 8 big-endian bytes. So a
// stream opened for another tenant or dataCid, a segment moved, dropped, or taken from
// another stream, a stream cut at a segment boundary, and bytes after the last segment
// all fail to decrypt.
//
// Segments make range reads cheap: plaintext offset o is in segment o / SegmentSize,
// which starts at a known ciphertext offset.
//
// # Keys
//
// A master key (MasterKeys: a 0600 file generated on first start, or an environment
// variable) wraps a random key per tenant (TenantKey); wrapped tenant keys are stored
// with the data's indexes. Rotating the master key re-wraps tenant keys without touching
// data. Each key has an ID: encrypted data names its tenant key, a wrapped tenant key
// names its master key.
package encryption

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

const (
	// SegmentSize is the plaintext size of every segment but the last.
	SegmentSize = 64 << 10
	// HeaderSize is the size of the stream header.
	HeaderSize = 4 + 1 + keyIDSize + saltSize

	version   = 1
	keyIDSize = 16
	saltSize  = 32
	tagSize   = 16
	nonceSize = 12
	// maxSegments keeps the segment counter within the 11 bytes of the nonce.
	maxSegments = 1 << 40
)

var magic = [4]byte{'D', 'W', 'N', 'E'}

// Errors of decryption. A stream that fails to decrypt never yields plaintext for the
// failing segment.
var (
	// ErrFormat reports a stream that is not in this format or version.
	ErrFormat = errors.New("encryption: not an encrypted stream of a known version")
	// ErrAuth reports a segment that fails authentication: wrong key, tenant or
	// dataCid, or modified, moved or foreign data.
	ErrAuth = errors.New("encryption: data failed authentication")
	// ErrTruncated reports a stream that ends before its last segment.
	ErrTruncated = errors.New("encryption: stream truncated")
	// ErrTrailing reports bytes after the last segment.
	ErrTrailing = errors.New("encryption: bytes after the end of the stream")
	// ErrSize reports a stream that does not hold the size of data expected.
	ErrSize = errors.New("encryption: stream does not hold the expected size of data")
)

// CiphertextSize is the size of the stream that encrypts size bytes of plaintext.
func CiphertextSize(size int64) int64 {
	return HeaderSize + size + segments(size)*tagSize
}

// segments is the number of segments of size bytes of plaintext.
func segments(size int64) int64 {
	if size == 0 {
		return 1
	}
	return (size + SegmentSize - 1) / SegmentSize
}

// streamKeys is the per-stream state shared by the writer and the reader.
type streamKeys struct {
	aead   cipher.AEAD
	adBase [sha256.Size + 8]byte // SHA-256(header | info), then the segment index
	nonce  [nonceSize]byte
}

func newStreamKeys(header []byte, key TenantKey, tenant, dataCID string) (*streamKeys, error) {
	info := streamInfo(tenant, dataCID)
	dk, err := hkdf.Key(sha256.New, key.key[:], header[5+keyIDSize:HeaderSize], string(info), 32)
	if err != nil {
		return nil, fmt.Errorf("encryption: derive data key: %w", err)
	}
	block, err := aes.NewCipher(dk)
	if err != nil {
		return nil, fmt.Errorf("encryption: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("encryption: %w", err)
	}
	s := &streamKeys{aead: aead}
	h := sha256.New()
	h.Write(header[:HeaderSize])
	h.Write(info)
	h.Sum(s.adBase[:0])
	return s, nil
}

// streamInfo is the HKDF info of a stream: the format name, then the tenant and the
// dataCid, each with a 4-byte big-endian length.
func streamInfo(tenant, dataCID string) []byte {
	b := []byte("dwn-ipfs data stream v1")
	b = binary.BigEndian.AppendUint32(b, uint32(len(tenant)))
	b = append(b, tenant...)
	b = binary.BigEndian.AppendUint32(b, uint32(len(dataCID)))
	return append(b, dataCID...)
}

// prepare sets the nonce and associated data of segment i.
func (s *streamKeys) prepare(i int64, last bool) {
	clear(s.nonce[:])
	binary.BigEndian.PutUint64(s.nonce[3:11], uint64(i))
	if last {
		s.nonce[11] = 1
	}
	binary.BigEndian.PutUint64(s.adBase[sha256.Size:], uint64(i))
}

// Writer encrypts a stream; see NewWriter.
type Writer struct {
	dst  io.Writer
	keys *streamKeys
	buf  []byte // plaintext of the pending segment, with room for the tag
	n    int    // plaintext bytes in buf
	seg  int64
	err  error
}

// NewWriter returns a writer that encrypts what is written to it into dst with tenant
// key key, for the data dataCID of tenant. It writes the header at once; Close seals
// the last segment (and does not close dst). Memory use is one segment.
func NewWriter(dst io.Writer, key TenantKey, tenant, dataCID string) (*Writer, error) {
	header := make([]byte, HeaderSize)
	copy(header, magic[:])
	header[4] = version
	copy(header[5:], key.id[:])
	if _, err := rand.Read(header[5+keyIDSize:]); err != nil {
		return nil, fmt.Errorf("encryption: salt: %w", err)
	}
	keys, err := newStreamKeys(header, key, tenant, dataCID)
	if err != nil {
		return nil, err
	}
	if _, err := dst.Write(header); err != nil {
		return nil, fmt.Errorf("encryption: write header: %w", err)
	}
	return &Writer{dst: dst, keys: keys, buf: make([]byte, SegmentSize+tagSize)}, nil
}

// Write implements io.Writer. A full segment is sealed only when more data follows, so
// that Close can flag the last one.
func (w *Writer) Write(p []byte) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	total := 0
	for len(p) > 0 {
		if w.n == SegmentSize {
			if err := w.flush(false); err != nil {
				return total, err
			}
		}
		c := copy(w.buf[w.n:SegmentSize], p)
		w.n += c
		p = p[c:]
		total += c
	}
	return total, nil
}

// Close seals the last segment. The Writer cannot be used afterwards.
func (w *Writer) Close() error {
	if w.err != nil {
		return w.err
	}
	if err := w.flush(true); err != nil {
		return err
	}
	w.err = errors.New("encryption: write after close")
	return nil
}

func (w *Writer) flush(last bool) error {
	if w.seg >= maxSegments {
		w.err = errors.New("encryption: stream too long")
		return w.err
	}
	w.keys.prepare(w.seg, last)
	sealed := w.keys.aead.Seal(w.buf[:0], w.keys.nonce[:], w.buf[:w.n], w.keys.adBase[:])
	if _, err := w.dst.Write(sealed); err != nil {
		w.err = fmt.Errorf("encryption: write: %w", err)
		return w.err
	}
	w.seg++
	w.n = 0
	return nil
}

// KeyLookup finds a tenant key by its ID (TenantKey.ID).
type KeyLookup func(id string) (TenantKey, error)

// HeaderKeyID returns the ID of the tenant key a stream header names.
func HeaderKeyID(header []byte) (string, error) {
	if len(header) < HeaderSize || !bytes.Equal(header[:4], magic[:]) || header[4] != version {
		return "", ErrFormat
	}
	var id [keyIDSize]byte
	copy(id[:], header[5:])
	return keyIDString(id), nil
}

// Reader decrypts a stream; see NewReader and OpenAt.
type Reader struct {
	src  io.Reader
	keys *streamKeys
	seg  int64 // index of the next segment
	last int64 // index of the last segment; -1 when the size is not known
	size int64 // plaintext size, when last is known
	buf  []byte
	out  []byte // decrypted bytes not yet returned
	skip int    // plaintext bytes to drop from the next segment
	// carry is the first byte of the next segment, read ahead to learn whether the
	// previous one was the last (hasCarry tells whether it is set).
	carry    byte
	hasCarry bool
	err      error
}

// NewReader returns a reader of the plaintext of the whole stream in src, for the data
// dataCID of tenant; lookup finds the tenant key the header names.
func NewReader(src io.Reader, lookup KeyLookup, tenant, dataCID string) (*Reader, error) {
	keys, err := readHeader(src, lookup, tenant, dataCID)
	if err != nil {
		return nil, err
	}
	return &Reader{src: src, keys: keys, last: -1, buf: make([]byte, SegmentSize+tagSize+1)}, nil
}

func readHeader(src io.Reader, lookup KeyLookup, tenant, dataCID string) (*streamKeys, error) {
	header := make([]byte, HeaderSize)
	if _, err := io.ReadFull(src, header); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, ErrTruncated
		}
		return nil, fmt.Errorf("encryption: read header: %w", err)
	}
	id, err := HeaderKeyID(header)
	if err != nil {
		return nil, err
	}
	key, err := lookup(id)
	if err != nil {
		return nil, fmt.Errorf("encryption: tenant key %s: %w", id, err)
	}
	return newStreamKeys(header, key, tenant, dataCID)
}

// OpenAt returns a reader of the plaintext of a stream of size bytes of plaintext, from
// offset. open reads the stream from a ciphertext offset to its end; OpenAt reads the
// header, then starts at the segment that holds offset. The stream must encrypt
// exactly size bytes.
func OpenAt(ctx context.Context, open func(ctx context.Context, offset int64) (io.ReadCloser, error),
	lookup KeyLookup, tenant, dataCID string, size, offset int64) (io.ReadCloser, error) {
	if offset < 0 || offset > size || size < 0 {
		return nil, fmt.Errorf("encryption: offset %d out of range of %d bytes", offset, size)
	}
	last := segments(size) - 1
	seg := min(offset/SegmentSize, last)
	rc, err := open(ctx, 0)
	if err != nil {
		return nil, err
	}
	keys, err := readHeader(rc, lookup, tenant, dataCID)
	if err != nil {
		rc.Close()
		return nil, err
	}
	if seg > 0 {
		// Start a second read at the segment rather than read the ones before.
		rc.Close()
		if rc, err = open(ctx, HeaderSize+seg*(SegmentSize+tagSize)); err != nil {
			return nil, err
		}
	}
	r := &Reader{src: rc, keys: keys, seg: seg, last: last, size: size, buf: make([]byte, SegmentSize+tagSize+1),
		skip: int(offset - seg*SegmentSize)}
	return &readCloser{Reader: r, c: rc}, nil
}

type readCloser struct {
	*Reader
	c io.Closer
}

func (r *readCloser) Close() error { return r.c.Close() }

// Read implements io.Reader.
func (r *Reader) Read(p []byte) (int, error) {
	for len(r.out) == 0 {
		if r.err != nil {
			return 0, r.err
		}
		r.err = r.next()
	}
	n := copy(p, r.out)
	r.out = r.out[n:]
	return n, nil
}

// next decrypts the next segment into r.out; it returns io.EOF after the last one.
func (r *Reader) next() error {
	if r.last >= 0 && r.seg > r.last {
		// Nothing may follow the last segment.
		if n, _ := io.ReadFull(r.src, r.buf[:1]); n > 0 || r.hasCarry {
			return ErrTrailing
		}
		return io.EOF
	}
	// Read one byte beyond a full segment to learn whether this one is the last.
	want := SegmentSize + tagSize + 1
	start := 0
	if r.hasCarry {
		r.buf[0], start, r.hasCarry = r.carry, 1, false
	}
	n, err := io.ReadFull(r.src, r.buf[start:want])
	n += start
	if start == 1 && errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	short := false
	switch {
	case err == nil:
		if r.last >= 0 && r.seg == r.last {
			return ErrTrailing
		}
		n--
	case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
		short = true // the stream ends within this segment: it is the last
	default:
		return fmt.Errorf("encryption: read: %w", err)
	}
	if n < tagSize {
		return ErrTruncated
	}
	isLast := short
	if r.last >= 0 && isLast != (r.seg == r.last) {
		return ErrTruncated
	}
	if r.seg >= maxSegments {
		return ErrAuth
	}
	r.keys.prepare(r.seg, isLast)
	pt, err := r.keys.aead.Open(r.buf[:0], r.keys.nonce[:], r.buf[:n], r.keys.adBase[:])
	if err != nil {
		return ErrAuth
	}
	if r.last >= 0 {
		want := int64(SegmentSize)
		if isLast {
			want = r.size - r.last*SegmentSize
		}
		if int64(len(pt)) != want {
			return ErrSize
		}
	}
	if !isLast {
		// The extra byte read belongs to the next segment.
		r.carry, r.hasCarry = r.buf[n], true
	}
	r.seg++
	if r.skip > 0 {
		if r.skip > len(pt) {
			return ErrTruncated
		}
		pt = pt[r.skip:]
		r.skip = 0
	}
	r.out = pt
	if isLast {
		r.last = r.seg - 1
	}
	return nil
}
