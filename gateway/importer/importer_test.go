package importer

import (
	"bytes"
	"context"
	"errors"
	"io"
	"testing"

	blocks "github.com/ipfs/go-block-format"
)

// det returns n bytes with det[i] = i % 251, the data of dwn-protocol.md Appendix A.
func det(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i % 251)
	}
	return b
}

func TestSumVectors(t *testing.T) {
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku"},
		{"det1", det(1), "bafkreidogqfzz75tpkmjzjke425xqcrmpcib2p5tg44hnbirumdbpl5adu"},
		{"hello", []byte("hello"), "bafkreibm6jg3ux5qumhcn2b3flc3tyu6dmlb4xa7u5bf44yegnrjhc4yeq"},
		{"det30000", det(30000), "bafkreiei5mlujn4p6526gluqvzrgwqaxukqmjheeugqi74rhlubjczmmr4"},
		{"det30001", det(30001), "bafkreiezc7bf3ak7o7opvi77r72wsihibnfrgnf7ryyxyc5zo6izerrwl4"},
		{"det262144", det(262144), "bafkreibruh455iawsviqslif5c7uurdcfdemh22mtnytyzvnzn75kpejxy"},
		{"det262145", det(262145), "bafybeiexg2oqkfnj56l7fcmawswqbijt5shq4b5rg6a546uwpkqqzwjioi"},
		{"det1MiB", det(1048576), "bafybeiedpcapwld4tkgtzwahfofgn4wex5ryysf4se6hwpmlrsh4ntnrau"},
	}
	if !testing.Short() {
		tests = append(tests,
			struct {
				name string
				data []byte
				want string
			}{"det174chunks", det(174 * 262144), "bafybeihpe5snhzneq7xs53nivmsopto5lrogo3wjynauqylqeym5a3irbm"},
			struct {
				name string
				data []byte
				want string
			}{"det174chunks+1", det(174*262144 + 1), "bafybeib4y7ghw2rq7bracc4xwtxrbzo7cfvagdpte2tmrkgwl6dyard3cm"},
		)
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Sum(tc.data).String(); got != tc.want {
				t.Fatalf("dataCid = %s, want %s", got, tc.want)
			}
		})
	}
}

type collect struct {
	leaves   bytes.Buffer
	internal int
}

func (c *collect) PutBlock(_ context.Context, b blocks.Block, raw bool) error {
	if raw {
		c.leaves.Write(b.RawData())
	} else {
		c.internal++
	}
	return nil
}

func TestImportLeavesInOrder(t *testing.T) {
	data := det(3*ChunkSize + 17)
	var c collect
	root, n, err := Import(context.Background(), bytes.NewReader(data), &c)
	if err != nil {
		t.Fatal(err)
	}
	if n != int64(len(data)) || !bytes.Equal(c.leaves.Bytes(), data) || c.internal != 1 {
		t.Fatalf("n=%d leaves equal=%v internal=%d", n, bytes.Equal(c.leaves.Bytes(), data), c.internal)
	}
	if root != Sum(data) {
		t.Fatal("root differs from Sum")
	}
}

type failingReader struct{ n int }

func (f *failingReader) Read(p []byte) (int, error) {
	if f.n <= 0 {
		return 0, io.ErrUnexpectedEOF
	}
	k := min(len(p), f.n)
	f.n -= k
	return k, nil
}

func TestImportReaderError(t *testing.T) {
	_, _, err := Import(context.Background(), &failingReader{n: ChunkSize + 5}, Discard)
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("err = %v, want the reader's error", err)
	}
}

func BenchmarkImport1MiB(b *testing.B) {
	data := det(1 << 20)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := Import(context.Background(), bytes.NewReader(data), Discard); err != nil {
			b.Fatal(err)
		}
	}
}
