package kubo

import (
	"bytes"
	"io"
	"testing"

	"github.com/dwn-ipfs/dwn-ipfs/gateway/importer"
)

func TestCheckedReader(t *testing.T) {
	data := random(700_000)
	other := bytes.Clone(data)
	other[500_000] ^= 1
	for _, c := range []struct {
		name    string
		dataCID string
		ok      bool
	}{
		{"matching dataCid", importer.Sum(data).String(), true},
		{"other data's dataCid", importer.Sum(other).String(), false},
		{"truncated data's dataCid", importer.Sum(data[:600_000]).String(), false},
	} {
		t.Run(c.name, func(t *testing.T) {
			rc, err := newCheckedReader(io.NopCloser(bytes.NewReader(data)), c.dataCID)
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(rc)
			rc.Close()
			if (err == nil) != c.ok || !bytes.Equal(got, data) {
				t.Fatalf("read %d bytes, err %v; want ok=%v", len(got), err, c.ok)
			}
		})
	}
}
