package didjwk_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/dwn-ipfs/dwn-ipfs/did"
	"github.com/dwn-ipfs/dwn-ipfs/did/didjwk"
	"github.com/dwn-ipfs/dwn-ipfs/dwn"
	"github.com/dwn-ipfs/dwn-ipfs/dwn/jwk"
)

// appendixDID is the did:jwk of the Ed25519 key whose seed is 32 bytes of 0x07, as
// @tbd54566975/dwn-sdk-js 0.5.2 vectors use it (design/dwn-protocol.md, Appendix A).
const appendixDID = "did:jwk:eyJjcnYiOiJFZDI1NTE5Iiwia3R5IjoiT0tQIiwieCI6IjZrcHNZLUtjVWdxLTlWQjdFeTdGLVpWSGRxNi12bnVTUWg3cWFSUkcwaXcifQ"

func TestNewReproducesReference(t *testing.T) {
	seed := base64.RawURLEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32))
	priv := &jwk.JWK{Kty: "OKP", Crv: "Ed25519", X: "6kpsY-KcUgq-9VB7Ey7F-ZVHdq6-vnuSQh7qaRRG0iw", D: seed, Alg: "EdDSA"}
	for _, k := range []*jwk.JWK{priv, priv.Public(), {Kty: "OKP", Crv: "Ed25519", X: priv.X}} {
		got, err := didjwk.New(k)
		if err != nil {
			t.Fatal(err)
		}
		if got != appendixDID {
			t.Fatalf("New(%+v) = %s\nwant %s", k, got, appendixDID)
		}
	}
	if _, err := didjwk.New(&jwk.JWK{Kty: "OKP", Crv: "Ed25519", X: "short"}); dwn.KindOf(err) != dwn.Invalid {
		t.Fatalf("New(bad key) = %v", err)
	}
}

// vectorFile is testdata/reference-didjwk.json, produced with @web5/dids 1.2.0.
type vectorFile struct {
	Header  map[string]string `json:"header"`
	Vectors []struct {
		Name       string          `json:"name"`
		DID        string          `json:"did"`
		PrivateJwk *jwk.JWK        `json:"privateJwk"`
		Document   json.RawMessage `json:"document"`
		Error      string          `json:"error"`
	} `json:"vectors"`
}

func readVectors(t *testing.T) vectorFile {
	t.Helper()
	raw, err := os.ReadFile("testdata/reference-didjwk.json")
	if err != nil {
		t.Fatal(err)
	}
	var f vectorFile
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		t.Fatal(err)
	}
	for k := range f.Header {
		if k != "reference" && k != "generator" && k != "note" {
			t.Fatalf("unknown header key %q", k)
		}
	}
	if f.Header["reference"] != "@web5/dids@1.2.0" {
		t.Fatalf("vectors from %q", f.Header["reference"])
	}
	return f
}

func asJSONValue(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestReferenceVectors(t *testing.T) {
	f := readVectors(t)
	if len(f.Vectors) != 6 {
		t.Fatalf("%d vectors, want 6", len(f.Vectors))
	}
	for _, v := range f.Vectors {
		t.Run(v.Name, func(t *testing.T) {
			t.Parallel()
			if v.Error != "" {
				t.Fatalf("reference failed to resolve: %s", v.Error)
			}
			doc, err := didjwk.Resolver{}.Resolve(context.Background(), v.DID)
			if err != nil {
				t.Fatal(err)
			}
			var ref did.Document
			if err := json.Unmarshal(v.Document, &ref); err != nil {
				t.Fatal(err)
			}
			vm, rvm := doc.VerificationMethod[0], ref.VerificationMethod[0]
			if vm.ID != rvm.ID || vm.Type != rvm.Type || vm.Controller != rvm.Controller {
				t.Fatalf("verification method = %+v, reference %+v", vm, rvm)
			}
			k, rk := vm.PublicKeyJwk, rvm.PublicKeyJwk
			if k.Crv != rk.Crv || k.Kty != rk.Kty || k.X != rk.X || k.Y != rk.Y {
				t.Fatalf("publicKeyJwk = %+v, reference %+v", k, rk)
			}
			// The whole document, compared as JSON values.
			var want any
			if err := json.Unmarshal(v.Document, &want); err != nil {
				t.Fatal(err)
			}
			if got := asJSONValue(t, doc); !reflect.DeepEqual(got, want) {
				t.Fatalf("document = %v\nreference %v", got, want)
			}
			// New reproduces DIDs whose JWK is in canonical form.
			if strings.HasSuffix(v.Name, "-canonical") {
				got, err := didjwk.New(v.PrivateJwk)
				if err != nil || got != v.DID {
					t.Fatalf("New = %s, %v; want %s", got, err, v.DID)
				}
			}
			// The private key matches the DID's key.
			if err := v.PrivateJwk.Validate(); err != nil || v.PrivateJwk.X != k.X || v.PrivateJwk.Y != k.Y {
				t.Fatalf("private key %+v does not match %+v: %v", v.PrivateJwk, k, err)
			}
		})
	}
}

func encode(s string) string { return "did:jwk:" + base64.RawURLEncoding.EncodeToString([]byte(s)) }

func TestResolve(t *testing.T) {
	const x = "6kpsY-KcUgq-9VB7Ey7F-ZVHdq6-vnuSQh7qaRRG0iw"
	tests := []struct {
		name, did string
		ok        bool
		relations string // which relationships the document has: a=authentication…, k=keyAgreement
	}{
		{"canonical", appendixDID, true, "aicdk"},
		{"any member order", encode(`{"x":"` + x + `","kty":"OKP","crv":"Ed25519"}`), true, "aicdk"},
		{"unknown members", encode(`{"kty":"OKP","crv":"Ed25519","x":"` + x + `","key_ops":["verify"]}`), true, "aicdk"},
		{"use sig", encode(`{"kty":"OKP","crv":"Ed25519","x":"` + x + `","use":"sig"}`), true, "aicd"},
		{"use enc", encode(`{"kty":"OKP","crv":"X25519","x":"` + x + `","use":"enc"}`), true, "k"},
		{"private key", encode(`{"kty":"OKP","crv":"Ed25519","x":"` + x + `","d":"BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc"}`), false, ""},
		{"unsupported crv", encode(`{"kty":"EC","crv":"P-384","x":"` + x + `","y":"` + x + `"}`), false, ""},
		{"kty mismatch", encode(`{"kty":"EC","crv":"Ed25519","x":"` + x + `"}`), false, ""},
		{"x not a string", encode(`{"kty":"OKP","crv":"Ed25519","x":1}`), false, ""},
		{"x with other case", encode(`{"kty":"OKP","crv":"Ed25519","X":"` + x + `"}`), false, ""},
		{"array", encode(`[1]`), false, ""},
		{"null", encode(`null`), false, ""},
		{"trailing data", encode(`{"kty":"OKP","crv":"Ed25519","x":"` + x + `"} {}`), false, ""},
		{"not JSON", encode(`hello`), false, ""},
		{"standard base64", "did:jwk:" + base64.RawStdEncoding.EncodeToString([]byte(`{"kty":"OKP","crv":"Ed25519","x":"`+x+`","a":"??>>"}`)), false, ""},
		{"bad base64 length", "did:jwk:eyJ", false, ""},
		{"other method", "did:key:z6MkvDqGT54cXesYGvABpF1UapVNwjCqRcafi4Px6Thv5T3Z", false, ""},
		{"fragment", appendixDID + "#0", false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, err := didjwk.Resolver{}.Resolve(context.Background(), tt.did)
			if !tt.ok {
				if dwn.KindOf(err) != dwn.Invalid || dwn.CodeOf(err) != did.CodeInvalidDID {
					t.Fatalf("Resolve = %v, want an Invalid %s error", err, did.CodeInvalidDID)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got string
			for _, r := range []struct {
				c string
				l []any
			}{{"a", doc.Authentication}, {"i", doc.AssertionMethod}, {"c", doc.CapabilityInvocation},
				{"d", doc.CapabilityDelegation}, {"k", doc.KeyAgreement}} {
				if len(r.l) == 1 && r.l[0] == tt.did+"#0" {
					got += r.c
				}
			}
			if got != tt.relations {
				t.Fatalf("relationships %q, want %q", got, tt.relations)
			}
			if doc.ID != tt.did || len(doc.VerificationMethod) != 1 || doc.VerificationMethod[0].ID != tt.did+"#0" {
				t.Fatalf("document %+v", doc)
			}
		})
	}
}

func TestNewResolveRoundTrip(t *testing.T) {
	for _, crv := range []string{jwk.Ed25519, jwk.Secp256k1, jwk.P256} {
		k, err := jwk.Generate(crv)
		if err != nil {
			t.Fatal(err)
		}
		id, err := didjwk.New(k)
		if err != nil {
			t.Fatal(err)
		}
		doc, err := didjwk.Resolver{}.Resolve(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		got := doc.VerificationMethod[0].PublicKeyJwk
		if got.X != k.X || got.Y != k.Y || got.Crv != crv || got.D != "" {
			t.Fatalf("%s: resolved %+v from %+v", crv, got, k)
		}
	}
}
