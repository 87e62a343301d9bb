package badger

import (
	"encoding/binary"
	"encoding/json"
	"errors"

	"github.com/dwn-ipfs/dwn-ipfs/dwn"
)

// Message values: version(1) | uvarint len | JSON | uvarint len | indexes JSON |
// flag(1: 1 = has encoded data) | uvarint len | encoded data.
const messageValueVersion = 1

func encodeMessage(m *dwn.StoredMessage) ([]byte, error) {
	ix, err := json.Marshal(m.Indexes)
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
	if len(b) == 0 || b[0] != messageValueVersion {
		return nil, errCorrupt
	}
	b = b[1:]
	js, b, err := takeBytes(b)
	if err != nil {
		return nil, err
	}
	ix, b, err := takeBytes(b)
	if err != nil {
		return nil, err
	}
	m := &dwn.StoredMessage{CID: cid, JSON: append([]byte(nil), js...)}
	if withIndexes {
		if err := json.Unmarshal(ix, &m.Indexes); err != nil {
			return nil, errCorrupt
		}
	}
	if len(b) == 0 {
		return nil, errCorrupt
	}
	if b[0] == 1 {
		enc, _, err := takeBytes(b[1:])
		if err != nil {
			return nil, err
		}
		m.EncodedData = append([]byte{}, enc...)
	}
	return m, nil
}

// dataRefValue is the stored form of a data reference.
type dataRefValue struct {
	Size int64  `json:"s"`
	Blob string `json:"b"`
	Refs int64  `json:"r"`
}

// indexKeyList encodes the list of index keys of a record's queryable message.
func encodeKeyList(keys [][]byte) []byte {
	n := 0
	for _, k := range keys {
		n += len(k) + 3
	}
	b := make([]byte, 0, n+4)
	b = binary.AppendUvarint(b, uint64(len(keys)))
	for _, k := range keys {
		b = binary.AppendUvarint(b, uint64(len(k)))
		b = append(b, k...)
	}
	return b
}

func decodeKeyList(b []byte) ([][]byte, error) {
	n, k := binary.Uvarint(b)
	if k <= 0 {
		return nil, errCorrupt
	}
	b = b[k:]
	out := make([][]byte, 0, n)
	for i := uint64(0); i < n; i++ {
		var kb []byte
		var err error
		if kb, b, err = takeBytes(b); err != nil {
			return nil, err
		}
		out = append(out, append([]byte(nil), kb...))
	}
	return out, nil
}
