package jwk_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/asn1"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math/big"
	"os"
	"strings"
	"testing"

	"github.com/decred/dcrd/dcrec/secp256k1/v4"
	k1ecdsa "github.com/decred/dcrd/dcrec/secp256k1/v4/ecdsa"

	"github.com/dwn-ipfs/dwn-ipfs/dwn"
	"github.com/dwn-ipfs/dwn-ipfs/dwn/jwk"
)

var b64 = base64.RawURLEncoding

// seven is the private key d = 32 bytes of 0x07 used by the reference vectors.
var seven = b64.EncodeToString(bytes.Repeat([]byte{7}, 32))

// fixedKeys are the private keys with d = seven, as the reference computed them.
var fixedKeys = map[string]*jwk.JWK{
	jwk.Ed25519: {Kty: "OKP", Crv: "Ed25519", X: "6kpsY-KcUgq-9VB7Ey7F-ZVHdq6-vnuSQh7qaRRG0iw", D: seven},
	jwk.Secp256k1: {Kty: "EC", Crv: "secp256k1", X: "mJwLdstWOXH9yb7zHsBsNWDzJJ1u6eXYPFdiVZbgX28",
		Y: "Yx9NBbOuUYd27gh1WncD5ksuvDJUdQTeC1WhQtTs34A", D: seven},
	jwk.P256: {Kty: "EC", Crv: "P-256", X: "HhhTL9R1TALzBB2cdc6zO4P_2BrHzk_ogsyxyYvFiW4",
		Y: "pGwxHE4v9A3ZajZT5uRURdMt_khuztdcepDGoYiBwKM", D: seven},
}

var curves = []string{jwk.Ed25519, jwk.Secp256k1, jwk.P256}

func TestGenerateSignVerify(t *testing.T) {
	for _, crv := range curves {
		t.Run(crv, func(t *testing.T) {
			k, err := jwk.Generate(crv)
			if err != nil {
				t.Fatal(err)
			}
			if err := k.Validate(); err != nil {
				t.Fatalf("Validate: %v", err)
			}
			if k.Alg != jwk.DefaultAlg(crv) || !k.IsPrivate() {
				t.Fatalf("Generate = %+v", k)
			}
			pub := k.Public()
			if pub.D != "" || pub.IsPrivate() || k.D == "" {
				t.Fatal("Public kept d or changed the receiver")
			}
			if err := pub.Validate(); err != nil {
				t.Fatalf("Validate(public): %v", err)
			}
			data := []byte("payload")
			sig, err := k.Sign(data)
			if err != nil {
				t.Fatal(err)
			}
			if len(sig) != 64 {
				t.Fatalf("signature is %d bytes, want 64", len(sig))
			}
			if err := pub.Verify(data, sig); err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if _, err := pub.Sign(data); dwn.CodeOf(err) != jwk.CodeNotPrivate {
				t.Fatalf("Sign with a public key: %v", err)
			}
		})
	}
	if _, err := jwk.Generate("X25519"); dwn.KindOf(err) != dwn.Invalid {
		t.Fatalf("Generate(X25519) = %v, want an Invalid error", err)
	}
}

func TestDefaultAlg(t *testing.T) {
	for crv, want := range map[string]string{"Ed25519": "EdDSA", "secp256k1": "ES256K", "P-256": "ES256",
		"X25519": "", "P-384": "", "": ""} {
		if got := jwk.DefaultAlg(crv); got != want {
			t.Errorf("DefaultAlg(%q) = %q, want %q", crv, got, want)
		}
	}
}

// refVectors is testdata/reference-signatures.json, produced by dwn-sdk-js.
type refVectors struct {
	Header  map[string]string `json:"header"`
	Vectors []struct {
		Name       string          `json:"name"`
		PrivateJwk *jwk.JWK        `json:"privateJwk"`
		Data       string          `json:"data"`
		Signature  string          `json:"signature"`
		Verify     json.RawMessage `json:"verify"` // true, false or an exception's text
	} `json:"vectors"`
}

// TestReferenceSignatures checks that Verify agrees with the reference on every vector
// and that Sign reproduces the reference's signatures byte for byte (all three
// algorithms are deterministic).
func TestReferenceSignatures(t *testing.T) {
	raw, err := os.ReadFile("testdata/reference-signatures.json")
	if err != nil {
		t.Fatal(err)
	}
	var f refVectors
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		t.Fatal(err)
	}
	for k := range f.Header {
		if k != "reference" && k != "generator" {
			t.Fatalf("unknown header key %q", k)
		}
	}
	if f.Header["reference"] != "@tbd54566975/dwn-sdk-js@0.5.2" {
		t.Fatalf("vectors from %q", f.Header["reference"])
	}
	if len(f.Vectors) < 10 {
		t.Fatalf("only %d vectors", len(f.Vectors))
	}
	for _, v := range f.Vectors {
		t.Run(v.Name, func(t *testing.T) {
			t.Parallel()
			sig, err := b64.DecodeString(v.Signature)
			if err != nil {
				t.Fatal(err)
			}
			wantOK := string(v.Verify) == "true"
			err = v.PrivateJwk.Public().Verify([]byte(v.Data), sig)
			if (err == nil) != wantOK {
				t.Fatalf("Verify = %v, reference said %s", err, v.Verify)
			}
			if err != nil && !errors.Is(err, jwk.ErrInvalidSignature) {
				t.Fatalf("Verify = %v, want ErrInvalidSignature", err)
			}
			if strings.Contains(v.Name, "/sign/") {
				got, err := v.PrivateJwk.Sign([]byte(v.Data))
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, sig) {
					t.Fatalf("Sign = %s, reference = %s", b64.EncodeToString(got), v.Signature)
				}
			}
		})
	}
}

func TestFixedKeysMatchReference(t *testing.T) {
	for crv, k := range fixedKeys {
		if err := k.Validate(); err != nil {
			t.Errorf("%s: %v", crv, err)
		}
	}
}

// highS returns the secp256k1 signature (r, N-s) for a compact signature (r, s).
func highS(t *testing.T, sig []byte) []byte {
	t.Helper()
	var s secp256k1.ModNScalar
	s.SetByteSlice(sig[32:])
	if s.IsOverHalfOrder() {
		t.Fatal("signature already has high S")
	}
	s.Negate()
	out := append([]byte(nil), sig...)
	s.PutBytesUnchecked(out[32:])
	return out
}

func TestVerifyRejections(t *testing.T) {
	data := []byte("hello dwn")
	sigs := map[string][]byte{}
	for crv, k := range fixedKeys {
		s, err := k.Sign(data)
		if err != nil {
			t.Fatal(err)
		}
		sigs[crv] = s
	}
	k1 := fixedKeys[jwk.Secp256k1]
	var r, s secp256k1.ModNScalar
	r.SetByteSlice(sigs[jwk.Secp256k1][:32])
	s.SetByteSlice(sigs[jwk.Secp256k1][32:])
	k1DER := k1ecdsa.NewSignature(&r, &s).Serialize()
	p256DER, err := asn1.Marshal(struct{ R, S *big.Int }{
		new(big.Int).SetBytes(sigs[jwk.P256][:32]), new(big.Int).SetBytes(sigs[jwk.P256][32:])})
	if err != nil {
		t.Fatal(err)
	}
	other, err := jwk.Generate(jwk.Secp256k1)
	if err != nil {
		t.Fatal(err)
	}
	// S + L is the classic Ed25519 malleation; RFC 8032 requires S < L.
	edL, _ := new(big.Int).SetString("7237005577332262213973186563042994240857116359379907606001950938285454250989", 10)
	edMalleable := append([]byte(nil), sigs[jwk.Ed25519]...)
	le := func(b []byte) []byte {
		out := make([]byte, len(b))
		for i := range b {
			out[len(b)-1-i] = b[i]
		}
		return out
	}
	sPlusL := new(big.Int).Add(new(big.Int).SetBytes(le(edMalleable[32:])), edL)
	copy(edMalleable[32:], le(sPlusL.FillBytes(make([]byte, 32))))
	var zero [64]byte
	overflow := bytes.Repeat([]byte{0xff}, 64)
	x25519 := &jwk.JWK{Kty: "OKP", Crv: "X25519", X: b64.EncodeToString(bytes.Repeat([]byte{9}, 32))}

	tests := []struct {
		name string
		key  *jwk.JWK
		data []byte
		sig  []byte
		code string // "" means the signature verifies
	}{
		{"Ed25519 ok", fixedKeys[jwk.Ed25519], data, sigs[jwk.Ed25519], ""},
		{"secp256k1 ok", k1, data, sigs[jwk.Secp256k1], ""},
		{"P-256 ok", fixedKeys[jwk.P256], data, sigs[jwk.P256], ""},
		{"Ed25519 tampered data", fixedKeys[jwk.Ed25519], []byte("hello dwn!"), sigs[jwk.Ed25519], "GeneralJwsVerifierInvalidSignature"},
		{"secp256k1 tampered data", k1, []byte("hello dwn!"), sigs[jwk.Secp256k1], "GeneralJwsVerifierInvalidSignature"},
		{"P-256 tampered data", fixedKeys[jwk.P256], []byte("hello dwn!"), sigs[jwk.P256], "GeneralJwsVerifierInvalidSignature"},
		{"secp256k1 wrong key", other, data, sigs[jwk.Secp256k1], "GeneralJwsVerifierInvalidSignature"},
		{"Ed25519 short signature", fixedKeys[jwk.Ed25519], data, sigs[jwk.Ed25519][:63], "GeneralJwsVerifierInvalidSignature"},
		{"Ed25519 S+L rejected", fixedKeys[jwk.Ed25519], data, edMalleable, "GeneralJwsVerifierInvalidSignature"},
		{"Ed25519 empty signature", fixedKeys[jwk.Ed25519], data, nil, "GeneralJwsVerifierInvalidSignature"},
		{"secp256k1 high S accepted", k1, data, highS(t, sigs[jwk.Secp256k1]), ""},
		{"secp256k1 DER rejected", k1, data, k1DER, "GeneralJwsVerifierInvalidSignature"},
		{"secp256k1 zero r s", k1, data, zero[:], "GeneralJwsVerifierInvalidSignature"},
		{"secp256k1 r s over N", k1, data, overflow, "GeneralJwsVerifierInvalidSignature"},
		{"P-256 DER accepted", fixedKeys[jwk.P256], data, p256DER, ""},
		{"P-256 DER with trailing byte", fixedKeys[jwk.P256], data, append(p256DER, 0), "GeneralJwsVerifierInvalidSignature"},
		{"P-256 zero r s", fixedKeys[jwk.P256], data, zero[:], "GeneralJwsVerifierInvalidSignature"},
		{"X25519 unsupported", x25519, data, sigs[jwk.Ed25519], "JwsVerifySignatureUnsupportedCrv"},
		{"unknown crv", &jwk.JWK{Kty: "EC", Crv: "P-384", X: "AA", Y: "AA"}, data, sigs[jwk.P256], "JwsVerifySignatureUnsupportedCrv"},
		{"no crv", &jwk.JWK{Kty: "OKP", X: fixedKeys[jwk.Ed25519].X}, data, sigs[jwk.Ed25519], "JwsVerifySignatureUnsupportedCrv"},
		{"Ed25519 kty EC", &jwk.JWK{Kty: "EC", Crv: "Ed25519", X: fixedKeys[jwk.Ed25519].X}, data, sigs[jwk.Ed25519], "Ed25519InvalidJwk"},
		{"secp256k1 kty OKP", &jwk.JWK{Kty: "OKP", Crv: "secp256k1", X: k1.X, Y: k1.Y}, data, sigs[jwk.Secp256k1], "Secp256k1KeyNotValid"},
		{"P-256 point off curve", &jwk.JWK{Kty: "EC", Crv: "P-256", X: k1.X, Y: k1.Y}, data, sigs[jwk.P256], "Secp256r1KeyNotValid"},
		{"secp256k1 point off curve", &jwk.JWK{Kty: "EC", Crv: "secp256k1", X: k1.X, Y: fixedKeys[jwk.P256].Y}, data, sigs[jwk.Secp256k1], "Secp256k1KeyNotValid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.key.Public().Verify(tt.data, tt.sig)
			if tt.code == "" {
				if err != nil {
					t.Fatalf("Verify = %v, want success", err)
				}
				return
			}
			if dwn.KindOf(err) != dwn.Unauthorized || dwn.CodeOf(err) != tt.code {
				t.Fatalf("Verify = %v, want Unauthorized %s", err, tt.code)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	ed := fixedKeys[jwk.Ed25519]
	k1 := fixedKeys[jwk.Secp256k1]
	p := fixedKeys[jwk.P256]
	with := func(k *jwk.JWK, f func(*jwk.JWK)) *jwk.JWK {
		c := *k
		f(&c)
		return &c
	}
	// y = p (2^255 - 19) is a non-canonical encoding of y = 0.
	nonCanonicalY := make([]byte, 32)
	nonCanonicalY[0] = 0xed
	for i := 1; i < 31; i++ {
		nonCanonicalY[i] = 0xff
	}
	nonCanonicalY[31] = 0x7f
	// y = 2 gives x^2 = 3/(4d+1), which is not a square mod p.
	notOnCurve := make([]byte, 32)
	notOnCurve[0] = 2
	// y = 1 is the identity, x = 0; with the sign bit set it is invalid.
	negZero := make([]byte, 32)
	negZero[0] = 1
	negZero[31] = 0x80
	x25519, err := b64.DecodeString("hSDwCYkwp1R0i33ctD73Wg2_Og0mOBr066SpjqqbTmo") // RFC 7748 §6.1 Alice
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name string
		key  *jwk.JWK
		ok   bool
	}{
		{"Ed25519 private", ed, true},
		{"Ed25519 public", ed.Public(), true},
		{"secp256k1 private", k1, true},
		{"P-256 private", p, true},
		{"X25519 public", &jwk.JWK{Kty: "OKP", Crv: "X25519", X: b64.EncodeToString(x25519)}, true},
		{"X25519 private", &jwk.JWK{Kty: "OKP", Crv: "X25519", X: b64.EncodeToString(x25519),
			D: "dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCo"}, true},
		{"X25519 private mismatch", &jwk.JWK{Kty: "OKP", Crv: "X25519", X: b64.EncodeToString(x25519), D: seven}, false},
		{"empty", &jwk.JWK{}, false},
		{"unknown crv", &jwk.JWK{Kty: "EC", Crv: "P-384", X: k1.X, Y: k1.Y}, false},
		{"Ed25519 with y", with(ed, func(k *jwk.JWK) { k.Y = k.X }), false},
		{"Ed25519 padded x", with(ed, func(k *jwk.JWK) { k.X += "=" }), false},
		{"Ed25519 std base64 x", with(ed, func(k *jwk.JWK) { k.X = strings.ReplaceAll(k.X, "-", "+") }), false},
		{"Ed25519 short x", with(ed, func(k *jwk.JWK) { k.X = k.X[:40] }), false},
		{"Ed25519 non-canonical y", &jwk.JWK{Kty: "OKP", Crv: "Ed25519", X: b64.EncodeToString(nonCanonicalY)}, false},
		{"Ed25519 not on curve", &jwk.JWK{Kty: "OKP", Crv: "Ed25519", X: b64.EncodeToString(notOnCurve)}, false},
		{"Ed25519 x=0 with sign bit", &jwk.JWK{Kty: "OKP", Crv: "Ed25519", X: b64.EncodeToString(negZero)}, false},
		{"Ed25519 d mismatch", with(ed, func(k *jwk.JWK) { k.D = b64.EncodeToString(make([]byte, 32)) }), false},
		{"secp256k1 missing y", with(k1, func(k *jwk.JWK) { k.Y = "" }), false},
		{"secp256k1 d mismatch", with(k1, func(k *jwk.JWK) { k.D = p.X }), false},
		{"secp256k1 d zero", with(k1, func(k *jwk.JWK) { k.D = b64.EncodeToString(make([]byte, 32)) }), false},
		{"secp256k1 d over N", with(k1, func(k *jwk.JWK) { k.D = b64.EncodeToString(bytes.Repeat([]byte{0xff}, 32)) }), false},
		{"P-256 d mismatch", with(p, func(k *jwk.JWK) { k.D = k1.X }), false},
		{"P-256 x y of secp256k1", with(p, func(k *jwk.JWK) { k.X, k.Y, k.D = k1.X, k1.Y, "" }), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.key.Validate()
			if tt.ok != (err == nil) {
				t.Fatalf("Validate = %v, want ok=%v", err, tt.ok)
			}
			if err != nil && dwn.KindOf(err) != dwn.Invalid {
				t.Fatalf("Validate = %v, want kind Invalid", err)
			}
		})
	}
}

func TestUnmarshalStrict(t *testing.T) {
	tests := []struct {
		in   string
		want *jwk.JWK // nil: error
	}{
		{`{"kty":"OKP","crv":"Ed25519","x":"abc","key_ops":["verify"],"ext":true}`, &jwk.JWK{Kty: "OKP", Crv: "Ed25519", X: "abc"}},
		{`{"kty":"OKP","crv":"Ed25519","X":"abc"}`, &jwk.JWK{Kty: "OKP", Crv: "Ed25519"}},
		{`{"kty":"OKP","crv":"Ed25519","x":1}`, nil},
		{`{"kty":"OKP","crv":"Ed25519","x":null}`, nil},
		{`[]`, nil},
		{`null`, nil},
	}
	for _, tt := range tests {
		var k jwk.JWK
		err := json.Unmarshal([]byte(tt.in), &k)
		if tt.want == nil {
			if err == nil {
				t.Errorf("Unmarshal(%s) succeeded", tt.in)
			}
			continue
		}
		if err != nil || k != *tt.want {
			t.Errorf("Unmarshal(%s) = %+v, %v; want %+v", tt.in, k, err, tt.want)
		}
	}
}

func TestMarshalOrder(t *testing.T) {
	b, err := json.Marshal(fixedKeys[jwk.Secp256k1])
	if err != nil {
		t.Fatal(err)
	}
	want := `{"kty":"EC","crv":"secp256k1","x":"mJwLdstWOXH9yb7zHsBsNWDzJJ1u6eXYPFdiVZbgX28","y":"Yx9NBbOuUYd27gh1WncD5ksuvDJUdQTeC1WhQtTs34A","d":"` + seven + `"}`
	if string(b) != want {
		t.Fatalf("Marshal = %s\nwant %s", b, want)
	}
}

func TestCanonicalAndThumbprint(t *testing.T) {
	ed := *fixedKeys[jwk.Ed25519]
	ed.Alg, ed.Kid = "EdDSA", "ignored"
	c, err := ed.Canonical()
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"crv":"Ed25519","kty":"OKP","x":"6kpsY-KcUgq-9VB7Ey7F-ZVHdq6-vnuSQh7qaRRG0iw"}`; string(c) != want {
		t.Fatalf("Canonical = %s", c)
	}
	// Thumbprints as @web5/dids 1.2.0 put them in the kid of did:key documents.
	for crv, want := range map[string]string{
		jwk.Ed25519:   "--6IM5l0OosLj9yWskISYhUA3n_3CURQkmrYMSha_ck",
		jwk.Secp256k1: "n-_IA2d9PGoEyZzbEixYiJUwBTiR73MQYf22UDfFG6Q",
	} {
		got, err := fixedKeys[crv].Thumbprint()
		if err != nil || got != want {
			t.Errorf("%s Thumbprint = %q, %v; want %q", crv, got, err, want)
		}
	}
	// RFC 7638 §3.1 example would need RSA; check the EC one by hand instead.
	k1 := fixedKeys[jwk.Secp256k1]
	c, _ = k1.Canonical()
	sum := sha256.Sum256([]byte(`{"crv":"secp256k1","kty":"EC","x":"` + k1.X + `","y":"` + k1.Y + `"}`))
	if tp, _ := k1.Thumbprint(); string(c) == "" || tp != b64.EncodeToString(sum[:]) {
		t.Fatalf("Thumbprint is not sha256 of the canonical form")
	}
	if _, err := (&jwk.JWK{Kty: "OKP", Crv: "Ed25519", X: "a\"b"}).Canonical(); err == nil {
		t.Fatal("Canonical accepted a non-base64url member")
	}
}

func TestPublicBytesRoundTrip(t *testing.T) {
	for crv, k := range fixedKeys {
		b, err := k.PublicBytes()
		if err != nil {
			t.Fatal(err)
		}
		wantLen := 33
		if crv == jwk.Ed25519 {
			wantLen = 32
		}
		if len(b) != wantLen {
			t.Fatalf("%s PublicBytes is %d bytes", crv, len(b))
		}
		back, err := jwk.FromPublicBytes(crv, b)
		if err != nil {
			t.Fatal(err)
		}
		if *back != *k.Public() {
			t.Fatalf("%s round trip = %+v, want %+v", crv, back, k.Public())
		}
	}
	bad := [][2]any{
		{jwk.Ed25519, make([]byte, 31)},
		{jwk.Secp256k1, append([]byte{2}, bytes.Repeat([]byte{0xff}, 32)...)},
		{jwk.P256, append([]byte{5}, make([]byte, 32)...)},
		{jwk.P256, append([]byte{2}, bytes.Repeat([]byte{0xff}, 32)...)},
		{"P-384", make([]byte, 49)},
	}
	for _, c := range bad {
		if _, err := jwk.FromPublicBytes(c[0].(string), c[1].([]byte)); dwn.KindOf(err) != dwn.Invalid {
			t.Errorf("FromPublicBytes(%s, %x) = %v", c[0], c[1], err)
		}
	}
}

func BenchmarkVerify(b *testing.B) {
	data := []byte("eyJraWQiOiJkaWQ6a2V5In0.eyJhIjoxfQ")
	for _, crv := range curves {
		k := fixedKeys[crv]
		sig, err := k.Sign(data)
		if err != nil {
			b.Fatal(err)
		}
		pub := k.Public()
		b.Run(crv, func(b *testing.B) {
			for b.Loop() {
				if err := pub.Verify(data, sig); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
