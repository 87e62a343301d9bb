// Package client talks to any DWN over HTTP as the web5 client does (dwn-protocol.md
// §10.2): the JSON-RPC request in the dwn-request header, record data as the body, and
// data replies as the body with the JSON-RPC response in the dwn-response header.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"

	"github.com/dwn-ipfs/dwn-ipfs/dwn"
)

// Client sends DWN messages to one endpoint.
type Client struct {
	// Endpoint is the DWN URL, e.g. http://127.0.0.1:3000.
	Endpoint string
	// HTTP is the HTTP client; nil means a client with no overall timeout (data streams
	// can be long) and keep-alive connections.
	HTTP *http.Client

	seq atomic.Uint64
}

// New returns a client for endpoint.
func New(endpoint string) *Client {
	return &Client{Endpoint: strings.TrimSuffix(endpoint, "/"), HTTP: &http.Client{Transport: &http.Transport{
		MaxIdleConnsPerHost: 256, MaxConnsPerHost: 0, DisableCompression: true}}}
}

// Reply is a DWN reply as the client sees it.
type Reply struct {
	Status struct {
		Code   int    `json:"code"`
		Detail string `json:"detail"`
	} `json:"status"`
	Entries []json.RawMessage `json:"entries,omitempty"`
	Entry   json.RawMessage   `json:"entry,omitempty"`
	Cursor  json.RawMessage   `json:"cursor,omitempty"`
}

// RPCError is a JSON-RPC error returned by the server.
type RPCError struct {
	HTTPStatus int
	Code       int    `json:"code"`
	Message    string `json:"message"`
}

func (e *RPCError) Error() string {
	return fmt.Sprintf("JSON-RPC error %d (HTTP %d): %s", e.Code, e.HTTPStatus, e.Message)
}

type rpcResponse struct {
	Result *rpcResult
	Error  *RPCError
}

type rpcResult struct {
	Reply *Reply
}

// Send sends message (JSON) for target with optional data of the given size (-1:
// unknown, sent chunked). When the reply carries data, the returned ReadCloser streams
// it and must be closed; otherwise it is nil.
func (c *Client) Send(ctx context.Context, target string, message []byte, data io.Reader, size int64) (*Reply, io.ReadCloser, error) {
	id := c.seq.Add(1)
	// A header value cannot hold line breaks: send the message compact.
	message, err := dwn.CompactJSON(message)
	if err != nil {
		return nil, nil, fmt.Errorf("message is not valid JSON: %w", err)
	}
	req := fmt.Sprintf(`{"jsonrpc":"2.0","id":"%d","method":"dwn.processMessage","params":{"target":%s,"message":%s}}`,
		id, quote(target), message)
	var body io.Reader
	if data != nil {
		body = data
	}
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, c.Endpoint+"/", body)
	if err != nil {
		return nil, nil, err
	}
	hr.Header.Set("dwn-request", req)
	if data != nil {
		hr.Header.Set("Content-Type", "application/octet-stream")
		hr.ContentLength = size
		if size == 0 {
			hr.Body = http.NoBody
		}
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(hr)
	if err != nil {
		return nil, nil, fmt.Errorf("send to %s: %w", c.Endpoint, err)
	}
	var raw []byte
	stream := false
	if h := resp.Header.Get("dwn-response"); h != "" {
		raw, stream = []byte(h), true
	} else {
		raw, err = io.ReadAll(io.LimitReader(resp.Body, 64<<20))
		resp.Body.Close()
		if err != nil {
			return nil, nil, fmt.Errorf("read reply from %s: %w", c.Endpoint, err)
		}
	}
	r, err := parseResponse(raw)
	if err != nil {
		if stream {
			resp.Body.Close()
		}
		return nil, nil, fmt.Errorf("reply from %s (HTTP %d) is not JSON-RPC: %.200s", c.Endpoint, resp.StatusCode, raw)
	}
	if r.Error != nil {
		if stream {
			resp.Body.Close()
		}
		r.Error.HTTPStatus = resp.StatusCode
		return nil, nil, r.Error
	}
	if r.Result == nil || r.Result.Reply == nil {
		if stream {
			resp.Body.Close()
		}
		return nil, nil, errors.New("reply has neither result.reply nor error")
	}
	if stream {
		return r.Result.Reply, resp.Body, nil
	}
	return r.Result.Reply, nil, nil
}

// SendBytes is Send with data held in memory (nil for none).
func (c *Client) SendBytes(ctx context.Context, target string, message, data []byte) (*Reply, []byte, error) {
	var body io.Reader
	if data != nil {
		body = bytes.NewReader(data)
	}
	rep, rc, err := c.Send(ctx, target, message, body, int64(len(data)))
	if err != nil || rc == nil {
		return rep, nil, err
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	return rep, b, err
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
