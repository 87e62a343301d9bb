package client

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// A reply to a query can hold hundreds of entries. encoding/json reads such a document
// twice (once to validate it, once to decode) and copies every raw entry; this scanner
// walks it once and hands out entries as slices of the document. It checks structure
// (balanced brackets, terminated strings, separators), not every detail of the grammar:
// an entry that a caller decodes further is fully validated then.

var errSyntax = errors.New("malformed JSON")

type scanner struct {
	b []byte
	i int
}

func (s *scanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\r', '\n':
			s.i++
		default:
			return
		}
	}
}

// peek returns the next non-space byte, or 0 at the end.
func (s *scanner) peek() byte {
	s.ws()
	if s.i >= len(s.b) {
		return 0
	}
	return s.b[s.i]
}

func (s *scanner) expect(c byte) error {
	if s.peek() != c {
		return fmt.Errorf("%w: want %q at offset %d", errSyntax, c, s.i)
	}
	s.i++
	return nil
}

// str reads a string and returns its raw contents (escapes not decoded).
func (s *scanner) str() ([]byte, error) {
	if err := s.expect('"'); err != nil {
		return nil, err
	}
	start := s.i
	for {
		j := bytes.IndexByte(s.b[s.i:], '"')
		if j < 0 {
			return nil, fmt.Errorf("%w: unterminated string at offset %d", errSyntax, start-1)
		}
		end := s.i + j
		s.i = end + 1
		// The quote ends the string unless an odd number of backslashes precede it.
		bs := 0
		for k := end - 1; k >= start && s.b[k] == '\\'; k-- {
			bs++
		}
		if bs%2 == 0 {
			return s.b[start:end], nil
		}
	}
}

// skip consumes one value and returns it.
func (s *scanner) skip() ([]byte, error) {
	c := s.peek()
	start := s.i
	switch {
	case c == '"':
		if _, err := s.str(); err != nil {
			return nil, err
		}
	case c == '{':
		if err := s.object(func(_ []byte) error { _, err := s.skip(); return err }); err != nil {
			return nil, err
		}
	case c == '[':
		if err := s.array(func() error { _, err := s.skip(); return err }); err != nil {
			return nil, err
		}
	case c == '-' || c >= '0' && c <= '9' || c == 't' || c == 'f' || c == 'n':
		for s.i < len(s.b) {
			d := s.b[s.i]
			if d == ',' || d == '}' || d == ']' || d == ' ' || d == '\t' || d == '\r' || d == '\n' {
				break
			}
			s.i++
		}
		if lit := s.b[start:s.i]; c >= 'a' && !(string(lit) == "true" || string(lit) == "false" || string(lit) == "null") {
			return nil, fmt.Errorf("%w: bad literal at offset %d", errSyntax, start)
		}
	default:
		return nil, fmt.Errorf("%w: unexpected %q at offset %d", errSyntax, c, s.i)
	}
	return s.b[start:s.i], nil
}

// object walks an object; member is called with each raw key and must consume the value.
func (s *scanner) object(member func(key []byte) error) error {
	if err := s.expect('{'); err != nil {
		return err
	}
	if s.peek() == '}' {
		s.i++
		return nil
	}
	for {
		k, err := s.str()
		if err != nil {
			return err
		}
		if err := s.expect(':'); err != nil {
			return err
		}
		if err := member(k); err != nil {
			return err
		}
		switch s.peek() {
		case ',':
			s.i++
		case '}':
			s.i++
			return nil
		default:
			return fmt.Errorf("%w: want ',' or '}' at offset %d", errSyntax, s.i)
		}
	}
}

// array walks an array; elem must consume each element.
func (s *scanner) array(elem func() error) error {
	if err := s.expect('['); err != nil {
		return err
	}
	if s.peek() == ']' {
		s.i++
		return nil
	}
	for {
		if err := elem(); err != nil {
			return err
		}
		switch s.peek() {
		case ',':
			s.i++
		case ']':
			s.i++
			return nil
		default:
			return fmt.Errorf("%w: want ',' or ']' at offset %d", errSyntax, s.i)
		}
	}
}

// key returns which of names the object key raw is, as encoding/json matches keys to
// fields (escapes decoded, case folded), or "" for none.
func key(raw []byte, names ...string) string {
	k := string(raw)
	if bytes.IndexByte(raw, '\\') >= 0 {
		if json.Unmarshal(append(append([]byte{'"'}, raw...), '"'), &k) != nil {
			return ""
		}
	}
	for _, n := range names {
		if k == n || strings.EqualFold(k, n) {
			return n
		}
	}
	return ""
}

// parseResponse decodes a JSON-RPC response holding a DWN reply in one pass. Entries,
// entry and cursor alias raw.
func parseResponse(raw []byte) (*rpcResponse, error) {
	s := &scanner{b: raw}
	var r rpcResponse
	// Repeated keys and nulls behave as with encoding/json: the last one wins, a null
	// clears, and a repeated object merges into the earlier one.
	err := s.object(func(k []byte) error {
		name := key(k, "result", "error")
		if name != "" && s.peek() == 'n' {
			if _, err := s.skip(); err != nil {
				return err
			}
			if name == "result" {
				r.Result = nil
			} else {
				r.Error = nil
			}
			return nil
		}
		switch name {
		case "result":
			if r.Result == nil {
				r.Result = &rpcResult{}
			}
			return s.object(func(k []byte) error {
				if key(k, "reply") == "" {
					_, err := s.skip()
					return err
				}
				if s.peek() == 'n' {
					r.Result.Reply = nil
					_, err := s.skip()
					return err
				}
				if r.Result.Reply == nil {
					r.Result.Reply = &Reply{}
				}
				return parseReply(s, r.Result.Reply)
			})
		case "error":
			v, err := s.skip()
			if err != nil {
				return err
			}
			if r.Error == nil {
				r.Error = &RPCError{}
			}
			return json.Unmarshal(v, r.Error)
		default:
			_, err := s.skip()
			return err
		}
	})
	if err != nil {
		return nil, err
	}
	if s.peek() != 0 {
		return nil, fmt.Errorf("%w: data after the response at offset %d", errSyntax, s.i)
	}
	return &r, nil
}

func parseReply(s *scanner, rep *Reply) error {
	return s.object(func(k []byte) error {
		name := key(k, "status", "entries", "entry", "cursor")
		if name == "entries" && s.peek() == '[' {
			if rep.Entries == nil {
				rep.Entries = []json.RawMessage{} // present but empty is not absent
			}
			rep.Entries = rep.Entries[:0]
			return s.array(func() error {
				e, err := s.skip()
				rep.Entries = append(rep.Entries, e)
				return err
			})
		}
		v, err := s.skip()
		if err != nil {
			return err
		}
		null := string(v) == "null"
		switch name {
		case "status":
			return json.Unmarshal(v, &rep.Status)
		case "entries":
			if null {
				rep.Entries = nil
			}
		case "entry":
			rep.Entry = v
			if null {
				rep.Entry = nil
			}
		case "cursor":
			rep.Cursor = v
			if null {
				rep.Cursor = nil
			}
		}
		return nil
	})
}
