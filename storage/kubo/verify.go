package kubo

import (
	"context"
	"fmt"
	"io"

	"github.com/ipfs/go-cid"

	"github.com/dwn-ipfs/dwn-ipfs/gateway/importer"
)

// checkedReader passes a whole file's plaintext through and computes its dataCid on the
// way; at the end it answers an error instead of io.EOF unless the plaintext hashes to
// the dataCid. (Decrypted data is authenticated already; this also catches data that
// was encrypted wrongly, for example under another dataCid by a bug.)
type checkedReader struct {
	rc   io.ReadCloser
	want cid.Cid
	pw   *io.PipeWriter
	done chan struct{}
	got  cid.Cid
	err  error
}

func newCheckedReader(rc io.ReadCloser, dataCID string) (io.ReadCloser, error) {
	want, err := cid.Decode(dataCID)
	if err != nil {
		rc.Close()
		return nil, fmt.Errorf("kubo: dataCid %q: %w", dataCID, err)
	}
	pr, pw := io.Pipe()
	c := &checkedReader{rc: rc, want: want, pw: pw, done: make(chan struct{})}
	go func() {
		defer close(c.done)
		c.got, _, c.err = importer.Import(context.Background(), pr, importer.Discard)
		pr.CloseWithError(c.err)
	}()
	return c, nil
}

func (c *checkedReader) Read(p []byte) (int, error) {
	n, err := c.rc.Read(p)
	if n > 0 {
		if _, werr := c.pw.Write(p[:n]); werr != nil {
			return n, fmt.Errorf("kubo: check dataCid: %w", werr)
		}
	}
	if err == io.EOF {
		c.pw.Close()
		<-c.done
		if c.err != nil {
			return n, fmt.Errorf("kubo: check dataCid: %w", c.err)
		}
		if !c.got.Equals(c.want) {
			return n, fmt.Errorf("kubo: the data read does not match its dataCid %s", c.want)
		}
	}
	return n, err
}

func (c *checkedReader) Close() error {
	c.pw.CloseWithError(io.ErrClosedPipe)
	return c.rc.Close()
}
