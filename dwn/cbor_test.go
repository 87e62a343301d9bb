package dwn

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"testing"
)

func decodeJSON(t testing.TB, s string) any {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader([]byte(s)))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestEncodeDagCBORNumbers(t *testing.T) {
	// From dwn-protocol.md Appendix A: JS encodes 1.0, 1e3 and -0 as integers.
	got, err := EncodeDagCBOR(decodeJSON(t, `{"a":1.0,"b":1e3,"c":-0,"d":0.5}`))
	if err != nil {
		t.Fatal(err)
	}
	if want := "a461610161621903e86163006164fb3fe0000000000000"; hex.EncodeToString(got) != want {
		t.Fatalf("got %x, want %s", got, want)
	}
}

func TestEncodeDagCBORCases(t *testing.T) {
	tests := []struct {
		json, hex string
	}{
		{`{"bb":1,"a":2,"ccc":3,"aa":4}`, "a461610262616104626262016363636303"},
		{`-1`, "20"},
		{`-25`, "3818"},
		{`9007199254740991`, "1b001fffffffffffff"},
		{`9007199254740992`, "fb4340000000000000"},
		{`true`, "f5"},
		{`null`, "f6"},
		{`[1,"x"]`, "82016178"},
		{`1.5`, "fb3ff8000000000000"},
		{`65536`, "1a00010000"},
	}
	for _, tc := range tests {
		got, err := EncodeDagCBOR(decodeJSON(t, tc.json))
		if err != nil {
			t.Fatalf("%s: %v", tc.json, err)
		}
		if hex.EncodeToString(got) != tc.hex {
			t.Errorf("%s: got %x, want %s", tc.json, got, tc.hex)
		}
	}
}

// The RecordsWrite vector of dwn-protocol.md Appendix A.
const vectorDescriptor = `{"interface":"Records","method":"Write","schema":"https://example.com/schema","dataCid":"bafkreibm6jg3ux5qumhcn2b3flc3tyu6dmlb4xa7u5bf44yegnrjhc4yeq","dataSize":5,"dateCreated":"2024-01-02T03:04:05.678901Z","messageTimestamp":"2024-01-02T03:04:05.678901Z","dataFormat":"text/plain"}`

func TestComputeCIDVectors(t *testing.T) {
	desc := decodeJSON(t, vectorDescriptor)
	enc, _ := EncodeDagCBOR(desc)
	wantHex := "a8666d6574686f6465577269746566736368656d61781a68747470733a2f2f6578616d706c652e636f6d2f736368656d616764617461436964783b6261666b726569626d366a673375783571756d68636e326233666c633374797536646d6c62347861377535626634347965676e726a686334796571686461746153697a650569696e74657266616365675265636f7264736a64617461466f726d61746a746578742f706c61696e6b6461746543726561746564781b323032342d30312d30325430333a30343a30352e3637383930315a706d65737361676554696d657374616d70781b323032342d30312d30325430333a30343a30352e3637383930315a"
	if hex.EncodeToString(enc) != wantHex {
		t.Fatalf("descriptor encoding mismatch:\n got %x", enc)
	}
	c, err := ComputeCID(desc)
	if err != nil || c != "bafyreihb3rdk7ghqmvcn327anuqdi4am4x2g7qewjtvovzwoj55fz2c6wy" {
		t.Fatalf("descriptorCid = %s, %v", c, err)
	}
	// entryId = CID of descriptor + author.
	m := desc.(map[string]any)
	m["author"] = "did:jwk:eyJjcnYiOiJFZDI1NTE5Iiwia3R5IjoiT0tQIiwieCI6IjZrcHNZLUtjVWdxLTlWQjdFeTdGLVpWSGRxNi12bnVTUWg3cWFSUkcwaXcifQ"
	if c, _ := ComputeCID(m); c != "bafyreia523uyczhrkptzhmxmr7p2w2cu46lwknjrd3zeaajlzaosumjo54" {
		t.Fatalf("entryId = %s", c)
	}
	q := decodeJSON(t, `{"interface":"Records","method":"Query","messageTimestamp":"2024-01-02T03:04:07.000000Z","filter":{"protocol":"https://example.com/proto"},"dateSort":"createdAscending","pagination":{"limit":10}}`)
	if c, _ := ComputeCID(q); c != "bafyreiergdzmzg7cakw6uolfjh6ownf2iqf2pon7s62q73k2whwaaxgj64" {
		t.Fatalf("query descriptor CID = %s", c)
	}
}

func BenchmarkComputeCID(b *testing.B) {
	desc := decodeJSON(b, vectorDescriptor)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ComputeCID(desc); err != nil {
			b.Fatal(err)
		}
	}
}
