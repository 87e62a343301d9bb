package badger

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/dwn-ipfs/dwn-ipfs/dwn"
)

// Message values: version(1) | uvarint len | JSON | uvarint len | indexes JSON |
// flag(1: 1 = has encoded data) | uvarint len | encoded data.
const messageValueVersion = 1

// Indexes are encoded as: uvarint count, then per property: uvarint len | name | value,
// where a value is 's' uvarint len | bytes, 'n' float64 bits (8 bytes, big-endian),
// 't' (true), 'f' (false), or 'a' uvarint count | values (strings and numbers only).
func encodeIndexes(b []byte, ix dwn.Indexes) ([]byte, error) {
	b = binary.AppendUvarint(b, uint64(len(ix)))
	for k, v := range ix {
		b = binary.AppendUvarint(b, uint64(len(k)))
		b = append(b, k...)
		var err error
		if b, err = appendValue(b, v, true); err != nil {
			return nil, err
		}
	}
	return b, nil
}

func appendValue(b []byte, v any, arrays bool) ([]byte, error) {
	switch x := v.(type) {
	case string:
		b = append(b, 's')
		b = binary.AppendUvarint(b, uint64(len(x)))
		return append(b, x...), nil
	case float64:
		return binary.BigEndian.AppendUint64(append(b, 'n'), math.Float64bits(x)), nil
	case int:
		return appendValue(b, float64(x), arrays)
	case int64:
		return appendValue(b, float64(x), arrays)
	case bool:
		if x {
			return append(b, 't'), nil
		}
		return append(b, 'f'), nil
	case []any:
		if arrays {
			b = append(b, 'a')
			b = binary.AppendUvarint(b, uint64(len(x)))
			var err error
			for _, e := range x {
				if b, err = appendValue(b, e, false); err != nil {
					return nil, err
				}
			}
			return b, nil
		}
	}
	return nil, fmt.Errorf("storage/badger: cannot index a %T", v)
}

func decodeIndexes(b []byte) (dwn.Indexes, error) {
	n, k := binary.Uvarint(b)
	if k <= 0 || n > uint64(len(b)) {
		return nil, errCorrupt
	}
	b = b[k:]
	ix := make(dwn.Indexes, n)
	for range n {
		name, rest, err := takeBytes(b)
		if err != nil {
			return nil, err
		}
		var v any
		if v, b, err = takeValue(rest, true); err != nil {
			return nil, err
		}
		ix[string(name)] = v
	}
	return ix, nil
}

// encodedIndexes are a message's indexes in their stored form; Lookup decodes only the
// property asked for, so matching a candidate against a filter allocates little.
type encodedIndexes []byte

// Lookup implements dwn.IndexLookup; a corrupt encoding reads as absent.
func (e encodedIndexes) Lookup(name string) any {
	b := []byte(e)
	n, k := binary.Uvarint(b)
	if k <= 0 || n > uint64(len(b)) {
		return nil
	}
	b = b[k:]
	for range n {
		nm, rest, err := takeBytes(b)
		if err != nil {
			return nil
		}
		if string(nm) == name {
			v, _, err := takeValue(rest, true)
			if err != nil {
				return nil
			}
			return v
		}
		if b, err = skipValue(rest, true); err != nil {
			return nil
		}
	}
	return nil
}

// skipValue returns what follows the encoded value at the start of b.
func skipValue(b []byte, arrays bool) ([]byte, error) {
	if len(b) == 0 {
		return nil, errCorrupt
	}
	switch b[0] {
	case 's':
		_, rest, err := takeBytes(b[1:])
		return rest, err
	case 'n':
		if len(b) < 9 {
			return nil, errCorrupt
		}
		return b[9:], nil
	case 't', 'f':
		return b[1:], nil
	case 'a':
		if !arrays {
			return nil, errCorrupt
		}
		n, k := binary.Uvarint(b[1:])
		if k <= 0 || n > uint64(len(b)) {
			return nil, errCorrupt
		}
		b = b[1+k:]
		for range n {
			var err error
			if b, err = skipValue(b, false); err != nil {
				return nil, err
			}
		}
		return b, nil
	}
	return nil, errCorrupt
}

func takeValue(b []byte, arrays bool) (any, []byte, error) {
	if len(b) == 0 {
		return nil, nil, errCorrupt
	}
	switch b[0] {
	case 's':
		s, rest, err := takeBytes(b[1:])
		return string(s), rest, err
	case 'n':
		if len(b) < 9 {
			return nil, nil, errCorrupt
		}
		return math.Float64frombits(binary.BigEndian.Uint64(b[1:9])), b[9:], nil
	case 't':
		return true, b[1:], nil
	case 'f':
		return false, b[1:], nil
	case 'a':
		if !arrays {
			return nil, nil, errCorrupt
		}
		n, k := binary.Uvarint(b[1:])
		if k <= 0 || n > uint64(len(b)) {
			return nil, nil, errCorrupt
		}
		b = b[1+k:]
		out := make([]any, 0, n)
		for range n {
			var v any
			var err error
			if v, b, err = takeValue(b, false); err != nil {
				return nil, nil, err
			}
			out = append(out, v)
		}
		return out, b, nil
	}
	return nil, nil, errCorrupt
}

func encodeMessage(m *dwn.StoredMessage) ([]byte, error) {
	ix, err := encodeIndexes(nil, m.Indexes)
	if err != nil {
		return nil, err
	}
	b := make([]byte, 0, 16+len(m.JSON)+len(ix)+len(m.EncodedData))
	b = append(b, messageValueVersion)
	b = binary.AppendUvarint(b, uint64(len(m.JSON)))
	b = append(b, m.JSON...)
	b = binary.AppendUvarint(b, uint64(len(ix)))
	b = append(b, ix...)
	if m.EncodedData != nil {
		b = append(b, 1)
		b = binary.AppendUvarint(b, uint64(len(m.EncodedData)))
		b = append(b, m.EncodedData...)
	} else {
		b = append(b, 0)
	}
	return b, nil
}

var errCorrupt = errors.New("corrupt message value")

func takeBytes(b []byte) ([]byte, []byte, error) {
	n, k := binary.Uvarint(b)
	if k <= 0 || uint64(len(b)-k) < n {
		return nil, nil, errCorrupt
	}
	return b[k : k+int(n)], b[k+int(n):], nil
}

// decodeMessage decodes a message value; the result does not alias b.
func decodeMessage(cid string, b []byte, withIndexes bool) (*dwn.StoredMessage, error) {
	v, err := splitMessage(b)
	if err != nil {
		return nil, err
	}
	m := v.copy(cid)
	if withIndexes {
		if m.Indexes, err = decodeIndexes(v.indexes); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// messageParts are the parts of a stored message value; they alias the value.
type messageParts struct {
	json, encodedData []byte
	indexes           encodedIndexes
}

func splitMessage(b []byte) (messageParts, error) {
	var p messageParts
	if len(b) == 0 || b[0] != messageValueVersion {
		return p, errCorrupt
	}
	var err error
	if p.json, b, err = takeBytes(b[1:]); err != nil {
		return p, err
	}
	var ix []byte
	if ix, b, err = takeBytes(b); err != nil {
		return p, err
	}
	p.indexes = ix
	if len(b) == 0 {
		return p, errCorrupt
	}
	if b[0] == 1 {
		if p.encodedData, _, err = takeBytes(b[1:]); err != nil {
			return p, err
		}
	}
	return p, nil
}

// copy returns the message with its JSON and encoded data copied out of the value and
// no indexes.
func (p messageParts) copy(cid string) *dwn.StoredMessage {
	m := &dwn.StoredMessage{CID: cid, JSON: append([]byte(nil), p.json...)}
	if p.encodedData != nil {
		m.EncodedData = append([]byte{}, p.encodedData...)
	}
	return m
}

// dataRefValue is the stored form of a data reference.
type dataRefValue struct {
	Size int64  `json:"s"`
	Blob string `json:"b"`
	Refs int64  `json:"r"`
	// Pub counts the references of published records: with a PublicBlobs backend the
	// blob is in public form exactly while it is above zero.
	Pub int64 `json:"p,omitempty"`
}
