// Package fetch reads record data from IPFS through remotes it does not trust: the
// local Kubo node's RPC API and trustless HTTP gateways. Every block is hashed against
// its CID before a byte of it is used, so a remote can fail or lie but never make the
// server return wrong bytes. A Fetcher orders remotes by health (latency estimate,
// failures, cooldown with capped exponential back-off), bounds every attempt with a
// deadline, hedges a slow remote with the next one, and reads UnixFS files block by
// block with a bounded prefetch window.
package fetch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/ipfs/go-cid"
)

// MaxBlockSize bounds what a remote may send for one block: 1 MiB (the largest block
// Kubo exchanges is 2 MiB but the blocks of record data are at most 256 KiB plus the
// dag-pb nodes of at most 174 links).
const MaxBlockSize = 1 << 20

// Remote is a source of blocks. Implementations return the block's bytes as the
// remote sent them; the Fetcher verifies them.
type Remote interface {
	// Name identifies the remote in metrics, logs and status (no secrets: it is shown).
	Name() string
	// Block fetches the raw bytes of block c.
	Block(ctx context.Context, c cid.Cid) ([]byte, error)
	// Probe checks cheaply that the remote answers.
	Probe(ctx context.Context) error
}

// Failure kinds, for errors, metrics and status.
const (
	KindNotFound    = "not_found"
	KindTimeout     = "timeout"
	KindUnreachable = "unreachable"
	KindBadResponse = "bad_response"
	KindVerify      = "verification_failed"
)

// RemoteError is a failure of one remote, with its kind.
type RemoteError struct {
	Remote string
	Kind   string
	Err    error
}

func (e *RemoteError) Error() string {
	if e.Err == nil {
		return e.Remote + ": " + e.Kind
	}
	return e.Remote + ": " + e.Kind + ": " + e.Err.Error()
}

func (e *RemoteError) Unwrap() error { return e.Err }

// classify turns a transport error into a RemoteError of the right kind.
func classify(name string, err error) error {
	var re *RemoteError
	switch {
	case errors.As(err, &re):
		return err
	case errors.Is(err, context.DeadlineExceeded):
		return &RemoteError{Remote: name, Kind: KindTimeout}
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return &RemoteError{Remote: name, Kind: KindTimeout}
	}
	var oe *net.OpError
	if errors.As(err, &oe) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return &RemoteError{Remote: name, Kind: KindUnreachable}
	}
	return &RemoteError{Remote: name, Kind: KindUnreachable, Err: err}
}

// readBody reads at most MaxBlockSize bytes of a response body.
func readBody(name string, body io.Reader) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(body, MaxBlockSize+1))
	if err != nil {
		return nil, classify(name, err)
	}
	if len(b) > MaxBlockSize {
		return nil, &RemoteError{Remote: name, Kind: KindBadResponse, Err: errors.New("block too large")}
	}
	return b, nil
}

// drain discards what is left of a body (bounded) so the connection can be reused.
func drain(resp *http.Response) {
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
}

// KuboRPC fetches blocks from a Kubo node's RPC API with `block/get`, offline: a block
// the node lacks fails at once instead of being searched for (which would hang).
type KuboRPC struct {
	api    string
	client *http.Client
}

// NewKuboRPC returns a remote for the RPC API at api (http://127.0.0.1:5001).
func NewKuboRPC(api string, client *http.Client) *KuboRPC {
	if client == nil {
		client = http.DefaultClient
	}
	return &KuboRPC{api: strings.TrimRight(api, "/"), client: client}
}

// Name implements Remote.
func (k *KuboRPC) Name() string { return "kubo-rpc " + hostOf(k.api) }

// Block implements Remote.
func (k *KuboRPC) Block(ctx context.Context, c cid.Cid) ([]byte, error) {
	u := k.api + "/api/v0/block/get?offline=true&arg=" + url.QueryEscape(c.String())
	return k.post(ctx, u, true)
}

// Probe implements Remote.
func (k *KuboRPC) Probe(ctx context.Context) error {
	_, err := k.post(ctx, k.api+"/api/v0/version", false)
	return err
}

func (k *KuboRPC) post(ctx context.Context, u string, block bool) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, nil)
	if err != nil {
		return nil, err
	}
	resp, err := k.client.Do(req)
	if err != nil {
		return nil, classify(k.Name(), err)
	}
	defer drain(resp)
	if resp.StatusCode != http.StatusOK {
		// Kubo answers 500 with a JSON error for a block it does not have; the text is
		// the remote's and is not kept.
		if block && resp.StatusCode == http.StatusInternalServerError {
			return nil, &RemoteError{Remote: k.Name(), Kind: KindNotFound}
		}
		return nil, &RemoteError{Remote: k.Name(), Kind: KindBadResponse, Err: fmt.Errorf("HTTP %d", resp.StatusCode)}
	}
	return readBody(k.Name(), resp.Body)
}

// Gateway fetches blocks from a trustless HTTP gateway: GET /ipfs/{cid}?format=raw
// with Accept: application/vnd.ipld.raw.
type Gateway struct {
	base   string
	client *http.Client
}

// NewGateway returns a remote for the gateway at base (https://gateway.example).
func NewGateway(base string, client *http.Client) *Gateway {
	if client == nil {
		client = http.DefaultClient
	}
	return &Gateway{base: strings.TrimRight(base, "/"), client: client}
}

// Name implements Remote.
func (g *Gateway) Name() string { return "gateway " + hostOf(g.base) }

// identityEmpty is the CID of the empty block with the identity hash: every gateway
// can answer it without storage, which makes it a cheap probe.
const identityEmpty = "bafkqaaa"

// Block implements Remote.
func (g *Gateway) Block(ctx context.Context, c cid.Cid) ([]byte, error) {
	return g.get(ctx, c.String())
}

// Probe implements Remote.
func (g *Gateway) Probe(ctx context.Context) error {
	_, err := g.get(ctx, identityEmpty)
	return err
}

func (g *Gateway) get(ctx context.Context, c string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, g.base+"/ipfs/"+c+"?format=raw", nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/vnd.ipld.raw")
	resp, err := g.client.Do(req)
	if err != nil {
		return nil, classify(g.Name(), err)
	}
	defer drain(resp)
	switch {
	case resp.StatusCode == http.StatusOK:
		return readBody(g.Name(), resp.Body)
	case resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusGone:
		return nil, &RemoteError{Remote: g.Name(), Kind: KindNotFound}
	case resp.StatusCode == http.StatusGatewayTimeout:
		return nil, &RemoteError{Remote: g.Name(), Kind: KindTimeout}
	default:
		return nil, &RemoteError{Remote: g.Name(), Kind: KindBadResponse, Err: fmt.Errorf("HTTP %d", resp.StatusCode)}
	}
}

// hostOf is the host of a URL, for names (never its path, query or user info).
func hostOf(u string) string {
	p, err := url.Parse(u)
	if err != nil || p.Host == "" {
		return "?"
	}
	return p.Host
}
