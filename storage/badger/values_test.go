package badger

import (
	"reflect"
	"testing"

	"github.com/dwn-ipfs/dwn-ipfs/dwn"
)

func TestIndexesRoundTrip(t *testing.T) {
	ix := dwn.Indexes{"s": "x", "e": "", "n": -1.5, "t": true, "f": false,
		"a": []any{"a", 2.0}, "i": 3}
	b, err := encodeIndexes(nil, ix)
	if err != nil {
		t.Fatal(err)
	}
	got, err := decodeIndexes(b)
	if err != nil {
		t.Fatal(err)
	}
	ix["i"] = 3.0
	if !reflect.DeepEqual(got, ix) {
		t.Fatalf("got %v, want %v", got, ix)
	}
	for i := range b {
		decodeIndexes(b[:i]) // must not panic on truncated input
	}
	if _, err := encodeIndexes(nil, dwn.Indexes{"x": map[string]any{}}); err == nil {
		t.Fatal("a map value was encoded")
	}
}
