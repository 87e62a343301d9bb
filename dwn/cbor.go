package dwn

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"

	"github.com/ipfs/go-cid"
	"github.com/multiformats/go-multihash"
)

// maxSafeInteger is JavaScript's Number.MAX_SAFE_INTEGER (2^53 - 1).
const maxSafeInteger = 1<<53 - 1

// maxCBORDepth bounds the nesting of values given to EncodeDagCBOR.
const maxCBORDepth = 64

// EncodeDagCBOR encodes a decoded JSON value (map[string]any, []any, string, bool, nil,
// json.Number, float64, int, int64) exactly as the reference's @ipld/dag-cbor encoder does
// with values that came from JSON.parse:
//   - map keys are sorted length-first, then bytewise;
//   - a number whose value is integral and within ±(2^53-1) becomes a CBOR integer (so the
//     JSON texts 1.0, 1e3 and -0 encode as integers), every other number a float64;
//   - strings, booleans, null and arrays encode in their minimal forms.
//
// It returns an error for values JSON cannot produce and for nesting deeper than 64.
func EncodeDagCBOR(v any) ([]byte, error) {
	b := make([]byte, 0, 512)
	return appendCBOR(b, v, 0)
}

func appendHead(b []byte, major byte, n uint64) []byte {
	m := major << 5
	switch {
	case n < 24:
		return append(b, m|byte(n))
	case n <= math.MaxUint8:
		return append(b, m|24, byte(n))
	case n <= math.MaxUint16:
		return binary.BigEndian.AppendUint16(append(b, m|25), uint16(n))
	case n <= math.MaxUint32:
		return binary.BigEndian.AppendUint32(append(b, m|26), uint32(n))
	default:
		return binary.BigEndian.AppendUint64(append(b, m|27), n)
	}
}

func appendNumber(b []byte, f float64) []byte {
	if f == math.Trunc(f) && math.Abs(f) <= maxSafeInteger {
		if f >= 0 {
			return appendHead(b, 0, uint64(f))
		}
		return appendHead(b, 1, uint64(-f)-1)
	}
	return binary.BigEndian.AppendUint64(append(b, 0xfb), math.Float64bits(f))
}

func appendCBOR(b []byte, v any, depth int) ([]byte, error) {
	if depth > maxCBORDepth {
		return nil, fmt.Errorf("dag-cbor: nesting deeper than %d", maxCBORDepth)
	}
	switch x := v.(type) {
	case nil:
		return append(b, 0xf6), nil
	case bool:
		if x {
			return append(b, 0xf5), nil
		}
		return append(b, 0xf4), nil
	case string:
		return append(appendHead(b, 3, uint64(len(x))), x...), nil
	case json.Number:
		f, err := strconv.ParseFloat(string(x), 64)
		if err != nil {
			return nil, fmt.Errorf("dag-cbor: number %.32q: %w", string(x), err)
		}
		if math.IsInf(f, 0) {
			return nil, fmt.Errorf("dag-cbor: number out of range")
		}
		return appendNumber(b, f), nil
	case float64:
		if math.IsInf(x, 0) || math.IsNaN(x) {
			return nil, fmt.Errorf("dag-cbor: non-finite number")
		}
		return appendNumber(b, x), nil
	case int:
		return appendNumber(b, float64(x)), nil
	case int64:
		return appendNumber(b, float64(x)), nil
	case []any:
		b = appendHead(b, 4, uint64(len(x)))
		var err error
		for _, e := range x {
			if b, err = appendCBOR(b, e, depth+1); err != nil {
				return nil, err
			}
		}
		return b, nil
	case []string:
		b = appendHead(b, 4, uint64(len(x)))
		for _, e := range x {
			b = append(appendHead(b, 3, uint64(len(e))), e...)
		}
		return b, nil
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.SortFunc(keys, compareDagCBORKeys)
		b = appendHead(b, 5, uint64(len(keys)))
		var err error
		for _, k := range keys {
			b = append(appendHead(b, 3, uint64(len(k))), k...)
			if b, err = appendCBOR(b, x[k], depth+1); err != nil {
				return nil, err
			}
		}
		return b, nil
	default:
		return nil, fmt.Errorf("dag-cbor: unsupported type %T", v)
	}
}

// compareDagCBORKeys orders map keys as dag-cbor requires: shorter first, then bytewise.
func compareDagCBORKeys(a, b string) int {
	if len(a) != len(b) {
		return len(a) - len(b)
	}
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// CIDOfBytes returns the CIDv1 (sha2-256) with the given codec of data.
func CIDOfBytes(codec uint64, data []byte) cid.Cid {
	sum := sha256.Sum256(data)
	mh := make([]byte, 0, 34)
	mh = append(mh, multihash.SHA2_256, 32)
	mh = append(mh, sum[:]...)
	return cid.NewCidV1(codec, multihash.Multihash(mh))
}

// ComputeCID returns the dag-cbor CID of a decoded JSON value, rendered as the reference
// renders it (base32 lower case, "bafyrei…").
func ComputeCID(v any) (string, error) {
	enc, err := EncodeDagCBOR(v)
	if err != nil {
		return "", err
	}
	return CIDOfBytes(cid.DagCBOR, enc).String(), nil
}
