package jws_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/dwn-ipfs/dwn-ipfs/did"
	"github.com/dwn-ipfs/dwn-ipfs/did/didjwk"
	"github.com/dwn-ipfs/dwn-ipfs/did/didkey"
	"github.com/dwn-ipfs/dwn-ipfs/dwn"
	"github.com/dwn-ipfs/dwn-ipfs/dwn/jwk"
	"github.com/dwn-ipfs/dwn-ipfs/dwn/jws"
)

var b64 = base64.RawURLEncoding

var seven = b64.EncodeToString(bytes.Repeat([]byte{7}, 32))

// Keys with d = 32 bytes of 0x07, as in the reference vectors.
var (
	edKey = &jwk.JWK{Kty: "OKP", Crv: "Ed25519", X: "6kpsY-KcUgq-9VB7Ey7F-ZVHdq6-vnuSQh7qaRRG0iw", D: seven}
	k1Key = &jwk.JWK{Kty: "EC", Crv: "secp256k1", X: "mJwLdstWOXH9yb7zHsBsNWDzJJ1u6eXYPFdiVZbgX28",
		Y: "Yx9NBbOuUYd27gh1WncD5ksuvDJUdQTeC1WhQtTs34A", D: seven}
	p256Key = &jwk.JWK{Kty: "EC", Crv: "P-256", X: "HhhTL9R1TALzBB2cdc6zO4P_2BrHzk_ogsyxyYvFiW4",
		Y: "pGwxHE4v9A3ZajZT5uRURdMt_khuztdcepDGoYiBwKM", D: seven}
)

var defaultResolver = did.Methods{didjwk.Method: didjwk.Resolver{}, didkey.Method: didkey.Resolver{}}

// outcome is the result of GeneralJwsVerifier.verifySignatures in the reference.
type outcome struct {
	OK      bool     `json:"ok"`
	Signers []string `json:"signers"`
	Code    *string  `json:"code"` // null: the reference threw an exception without a code
	Message string   `json:"message"`
}

// vectorFile is testdata/reference-jws.json, produced with @tbd54566975/dwn-sdk-js 0.5.2.
type vectorFile struct {
	Header  map[string]string `json:"header"`
	Vectors []struct {
		Name             string       `json:"name"`
		JWS              *jws.General `json:"jws"`
		Expect           outcome      `json:"expect"`
		GoExpect         *outcome     `json:"goExpect"` // where dwn-ipfs deliberately differs
		Why              string       `json:"why"`
		Note             string       `json:"note"`
		SignerPrivateJwk *jwk.JWK     `json:"signerPrivateJwk"`
		PayloadJSON      string       `json:"payloadJson"`
	} `json:"vectors"`
}

// TestReferenceVectors verifies JWSs signed by the reference, including the
// reference's own verdict on tampered, non-canonical and mis-addressed ones, and checks
// that Sign reproduces the reference's JWSs byte for byte.
func TestReferenceVectors(t *testing.T) {
	raw, err := os.ReadFile("testdata/reference-jws.json")
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
		if k != "reference" && k != "generator" && k != "resolver" {
			t.Fatalf("unknown header key %q", k)
		}
	}
	if f.Header["reference"] != "@tbd54566975/dwn-sdk-js@0.5.2" {
		t.Fatalf("vectors from %q", f.Header["reference"])
	}
	names := map[string]bool{}
	for _, v := range f.Vectors {
		names[v.Name] = true
		t.Run(v.Name, func(t *testing.T) {
			t.Parallel()
			want := v.Expect
			if v.GoExpect != nil {
				want = *v.GoExpect
			}
			ver := &jws.Verifier{Resolver: defaultResolver}
			signers, err := ver.Verify(context.Background(), v.JWS)
			if want.OK {
				if err != nil {
					t.Fatalf("Verify = %v, want signers %v", err, want.Signers)
				}
				if !slices.Equal(signers, want.Signers) {
					t.Fatalf("signers = %v, want %v", signers, want.Signers)
				}
			} else {
				wantCode := jws.CodeInvalidSignature // what a bare exception of the reference becomes
				if want.Code != nil {
					wantCode = *want.Code
				}
				if dwn.KindOf(err) != dwn.Unauthorized || dwn.CodeOf(err) != wantCode {
					t.Fatalf("Verify = %v, want Unauthorized %s (reference: %s)", err, wantCode, want.Message)
				}
			}
			if v.SignerPrivateJwk == nil {
				return
			}
			h, err := v.JWS.Signatures[0].Header()
			if err != nil {
				t.Fatal(err)
			}
			payload, err := b64.DecodeString(v.JWS.Payload)
			if err != nil || string(payload) != v.PayloadJSON {
				t.Fatalf("payload %q, %v", payload, err)
			}
			g, err := jws.Sign(payload, jws.PrivateKeySigner{Key: v.SignerPrivateJwk, KID: h.Kid})
			if err != nil {
				t.Fatal(err)
			}
			if g.Payload != v.JWS.Payload || !slices.Equal(g.Signatures, v.JWS.Signatures) {
				t.Fatalf("Sign = %+v\nreference %+v", g, v.JWS)
			}
		})
	}
	for _, n := range []string{"valid/secp256k1/jwk", "valid/secp256k1/key", "valid/P-256/jwk", "valid/Ed25519/key",
		"noncanonical/secp256k1/high-s", "noncanonical/secp256k1/der", "noncanonical/P-256/der", "valid/two-signers"} {
		if !names[n] {
			t.Errorf("vector %s is missing", n)
		}
	}
}

func TestSignHeader(t *testing.T) {
	tests := []struct{ kid, want string }{
		{"did:jwk:abc#0", `{"kid":"did:jwk:abc#0","alg":"EdDSA"}`},
		// JSON.stringify escapes only ", \ and control characters.
		{"a\"b\\c<>&/\u2028\u2029\x01\x1f\b\f\n\r\t\x7fé", `{"kid":"a\"b\\c<>&/` + "\u2028\u2029" + `\u0001\u001f\b\f\n\r\t` + "\x7fé" + `","alg":"EdDSA"}`},
	}
	for _, tt := range tests {
		g, err := jws.Sign([]byte(`{}`), jws.PrivateKeySigner{Key: edKey, KID: tt.kid})
		if err != nil {
			t.Fatal(err)
		}
		h, err := b64.DecodeString(g.Signatures[0].Protected)
		if err != nil {
			t.Fatal(err)
		}
		if string(h) != tt.want {
			t.Errorf("protected header = %s\nwant %s", h, tt.want)
		}
		if ph, err := g.Signatures[0].Header(); err != nil || ph.Kid != tt.kid || ph.Alg != "EdDSA" {
			t.Errorf("Header() = %+v, %v", ph, err)
		}
	}
	// The kid of the key is used when KID is empty, and the curve's alg when the key has none.
	k := *k1Key
	k.Kid = "did:example:k1#key"
	s := jws.PrivateKeySigner{Key: &k}
	if s.KeyID() != k.Kid || s.Algorithm() != "ES256K" {
		t.Errorf("KeyID, Algorithm = %q, %q", s.KeyID(), s.Algorithm())
	}
	k.Alg = "ES256K-R"
	if s.Algorithm() != "ES256K-R" {
		t.Errorf("Algorithm ignores the key's alg")
	}

	bad := []struct {
		name    string
		signers []jws.Signer
	}{
		{"no signers", nil},
		{"no kid", []jws.Signer{jws.PrivateKeySigner{Key: edKey}}},
		{"invalid UTF-8 kid", []jws.Signer{jws.PrivateKeySigner{Key: edKey, KID: "did:a:\xff"}}},
		{"public key", []jws.Signer{jws.PrivateKeySigner{Key: edKey.Public(), KID: "did:a:b#c"}}},
		{"unsupported crv", []jws.Signer{jws.PrivateKeySigner{Key: &jwk.JWK{Kty: "OKP", Crv: "X25519", X: edKey.X, D: seven}, KID: "did:a:b#c"}}},
	}
	for _, tt := range bad {
		if _, err := jws.Sign([]byte(`{}`), tt.signers...); dwn.KindOf(err) != dwn.Invalid {
			t.Errorf("%s: Sign = %v, want an Invalid error", tt.name, err)
		}
	}
}

func TestParseHeader(t *testing.T) {
	enc := func(s string) string { return b64.EncodeToString([]byte(s)) }
	tests := []struct {
		in       string
		kid, alg string // kid "" means error
	}{
		{enc(`{"kid":"did:a:b#c","alg":"EdDSA"}`), "did:a:b#c", "EdDSA"},
		{enc(`{"alg":"ES256","kid":"did:a:b#c","typ":"JWT"}`), "did:a:b#c", "ES256"},
		{enc(`{"kid":"did:a:b#c"}`), "did:a:b#c", ""},
		{enc(`{"kid":"did:a:b#c","alg":"EdDSA"}`) + "=", "", ""},
		{base64.URLEncoding.EncodeToString([]byte(`{"kid":"did:a:b#c","alg":"EdDS"}`)), "", ""},
		{strings.ReplaceAll(enc(`{"kid":"did:a:b?c>>>"}`), "-", "+"), "", ""},
		{enc(`{"kid":"did:a:b#c"`), "", ""},
		{enc(`{"kid":1,"alg":"EdDSA"}`), "", ""},
		{enc(`{"kid":"did:a:b#c","alg":null}`), "", ""},
		{enc(`{"KID":"did:a:b#c","alg":"EdDSA"}`), "", ""},
		{enc(`{"kid":"","alg":"EdDSA"}`), "", ""},
		{enc(`["kid"]`), "", ""},
		{enc(`null`), "", ""},
		{"", "", ""},
		{"e30.", "", ""},
	}
	for _, tt := range tests {
		h, err := jws.ParseHeader(tt.in)
		if tt.kid == "" {
			if dwn.KindOf(err) != dwn.Invalid || dwn.CodeOf(err) != jws.CodeHeaderInvalid {
				t.Errorf("ParseHeader(%s) = %+v, %v; want an Invalid %s error", tt.in, h, err, jws.CodeHeaderInvalid)
			}
			continue
		}
		if err != nil || h.Kid != tt.kid || h.Alg != tt.alg {
			t.Errorf("ParseHeader(%s) = %+v, %v", tt.in, h, err)
		}
	}
}

func TestDecodePayload(t *testing.T) {
	enc := func(s string) string { return b64.EncodeToString([]byte(s)) }
	good := []struct {
		in   string
		want map[string]any
	}{
		{enc(`{"descriptorCid":"bafy","n":12345678901234567890}`), map[string]any{"descriptorCid": "bafy", "n": json.Number("12345678901234567890")}},
		{enc(` {"a":{"b":[1.5]}} `), map[string]any{"a": map[string]any{"b": []any{json.Number("1.5")}}}},
		{enc(`{}`), map[string]any{}},
	}
	for _, tt := range good {
		got, err := (&jws.General{Payload: tt.in}).DecodePayload()
		b1, _ := json.Marshal(got)
		b2, _ := json.Marshal(tt.want)
		if err != nil || !bytes.Equal(b1, b2) {
			t.Errorf("DecodePayload(%s) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
		if n, ok := got["n"]; ok {
			if _, isNum := n.(json.Number); !isNum {
				t.Errorf("number decoded as %T", n)
			}
		}
	}
	for _, in := range []string{enc(`[]`), enc(`null`), enc(`1`), enc(`"s"`), enc(`{"a":1} {}`), enc(`{"a":1}x`),
		enc(`{"a":`), enc(`{}`) + "=", "!!", ""} {
		_, err := (&jws.General{Payload: in}).DecodePayload()
		if dwn.KindOf(err) != dwn.Invalid || dwn.CodeOf(err) != jws.CodePayloadInvalid {
			t.Errorf("DecodePayload(%q) = %v, want an Invalid %s error", in, err, jws.CodePayloadInvalid)
		}
	}
}

func TestSignerDID(t *testing.T) {
	for kid, want := range map[string]string{
		"did:jwk:abc#0":       "did:jwk:abc",
		"did:example:a#b#c":   "did:example:a",
		"did:example:a":       "did:example:a",
		"#key":                "",
		"did:web:x.com:u#k-1": "did:web:x.com:u",
	} {
		if got := jws.SignerDID(kid); got != want {
			t.Errorf("SignerDID(%q) = %q, want %q", kid, got, want)
		}
	}
}

// docs is a Resolver over fixed documents; errs maps a DID to the error to return.
type docs struct {
	m     map[string]*did.Document
	errs  map[string]error
	calls atomic.Int64
}

func (d *docs) Resolve(_ context.Context, id string) (*did.Document, error) {
	d.calls.Add(1)
	if err := d.errs[id]; err != nil {
		return nil, err
	}
	return d.m[id], nil
}

func vm(id, typ, controller string, k *jwk.JWK) did.VerificationMethod {
	return did.VerificationMethod{ID: id, Type: typ, Controller: controller, PublicKeyJwk: k}
}

func TestVerify(t *testing.T) {
	const alice = "did:example:alice"
	pubEd, pubK1, pubP256 := edKey.Public(), k1Key.Public(), p256Key.Public()
	x25519 := &jwk.JWK{Kty: "OKP", Crv: "X25519", X: edKey.X}
	withMultibase := vm("#mb", "JsonWebKey2020", alice, pubEd)
	withMultibase.PublicKeyMultibase = "z6Mk"
	r := &docs{m: map[string]*did.Document{
		alice: {ID: alice, VerificationMethod: []did.VerificationMethod{
			vm("#rel", "JsonWebKey2020", alice, pubEd),
			vm(alice+"#abs", "JsonWebKey", alice, pubEd),
			vm("#k1", "JsonWebKey", alice, pubK1),
			vm("#p256", "JsonWebKey", alice, pubP256),
			vm("#dup", "JsonWebKey", alice, pubK1), // first match wins
			vm("#dup", "JsonWebKey", alice, pubEd),
			vm("#multikey", "Multikey", alice, pubEd),
			withMultibase,
			vm("#private", "JsonWebKey", alice, edKey),
			vm("#nojwk", "JsonWebKey", alice, nil),
			vm("#badcontroller", "JsonWebKey", "alice", pubEd),
			vm("#x25519", "JsonWebKey", alice, x25519),
			vm("#rsa", "JsonWebKey", alice, &jwk.JWK{Kty: "RSA"}),
			vm("#nokty", "JsonWebKey", alice, &jwk.JWK{Crv: "Ed25519", X: edKey.X}),
		}, Authentication: []any{map[string]any{"id": "#auth-only", "type": "JsonWebKey",
			"controller": alice, "publicKeyJwk": map[string]any{"kty": "OKP", "crv": "Ed25519", "x": edKey.X}}}},
		"did:example:empty-id": {VerificationMethod: []did.VerificationMethod{vm("", "JsonWebKey", alice, pubEd)}},
	}, errs: map[string]error{
		"did:example:down":    dwn.Errorf(dwn.Unavailable, "", "gateway down"),
		"did:example:missing": dwn.Errorf(dwn.NotFound, did.CodeNotFound, "no such DID"),
		"did:example:weird":   errors.New("boom"),
	}}
	payload := []byte(`{"descriptorCid":"bafy"}`)
	sign := func(key *jwk.JWK, kid, alg string) *jws.General {
		t.Helper()
		k := *key
		k.Alg = alg
		g, err := jws.Sign(payload, jws.PrivateKeySigner{Key: &k, KID: kid})
		if err != nil {
			t.Fatal(err)
		}
		return g
	}
	valid := sign(edKey, alice+"#rel", "EdDSA")
	modify := func(f func(g *jws.General)) *jws.General {
		g := &jws.General{Payload: valid.Payload, Signatures: slices.Clone(valid.Signatures)}
		f(g)
		return g
	}
	two := sign(edKey, alice+"#rel", "EdDSA")
	two.Signatures = append(two.Signatures, sign(k1Key, alice+"#k1", "ES256K").Signatures...)

	tests := []struct {
		name string
		g    *jws.General
		algs []string
		kind dwn.Kind // 0 (Other) means success
		code string
	}{
		{"relative vm id", valid, nil, 0, ""},
		{"absolute vm id", sign(edKey, alice+"#abs", "EdDSA"), nil, 0, ""},
		{"secp256k1", sign(k1Key, alice+"#k1", "ES256K"), nil, 0, ""},
		{"P-256", sign(p256Key, alice+"#p256", "ES256"), nil, 0, ""},
		{"two signatures", two, nil, 0, ""},
		{"empty vm id matches any kid", sign(edKey, "did:example:empty-id#whatever", "EdDSA"), nil, 0, ""},
		{"first matching vm wins", sign(edKey, alice+"#dup", "EdDSA"), nil, dwn.Unauthorized, jws.CodeInvalidSignature},
		{"vm only in authentication", sign(edKey, alice+"#auth-only", "EdDSA"), nil, dwn.Unauthorized, jws.CodePublicKeyMissing},
		{"no such vm", sign(edKey, alice+"#nope", "EdDSA"), nil, dwn.Unauthorized, jws.CodePublicKeyMissing},
		{"Multikey vm", sign(edKey, alice+"#multikey", "EdDSA"), nil, dwn.Unauthorized, jws.CodePublicKeyMissing},
		{"vm with publicKeyMultibase", sign(edKey, alice+"#mb", "EdDSA"), nil, dwn.Unauthorized, jws.CodePublicKeyMissing},
		{"vm with private key", sign(edKey, alice+"#private", "EdDSA"), nil, dwn.Unauthorized, jws.CodePublicKeyMissing},
		{"vm without jwk", sign(edKey, alice+"#nojwk", "EdDSA"), nil, dwn.Unauthorized, jws.CodePublicKeyMissing},
		{"vm controller not a DID", sign(edKey, alice+"#badcontroller", "EdDSA"), nil, dwn.Unauthorized, jws.CodePublicKeyMissing},
		{"vm jwk without kty", sign(edKey, alice+"#nokty", "EdDSA"), nil, dwn.Unauthorized, jws.CodePublicKeyMissing},
		{"X25519 vm", sign(edKey, alice+"#x25519", "EdDSA"), nil, dwn.Unauthorized, jwk.CodeUnsupportedCrv},
		{"RSA vm", sign(edKey, alice+"#rsa", "EdDSA"), nil, dwn.Unauthorized, jwk.CodeUnsupportedCrv},
		{"wrong key", sign(edKey, alice+"#k1", "ES256K"), nil, dwn.Unauthorized, jws.CodeInvalidSignature},
		{"alg not allowed", sign(k1Key, alice+"#k1", "ES256K"), []string{"EdDSA", "ES256"}, dwn.Unauthorized, jws.CodeInvalidSignature},
		{"alg unknown", sign(edKey, alice+"#rel", "HS256"), nil, dwn.Unauthorized, jws.CodeInvalidSignature},
		{"alg EdDSA with P-256 key", sign(p256Key, alice+"#p256", "EdDSA"), nil, dwn.Unauthorized, jws.CodeInvalidSignature},
		{"alg ES256 with secp256k1 key", sign(k1Key, alice+"#k1", "ES256"), nil, dwn.Unauthorized, jws.CodeInvalidSignature},
		{"tampered payload", modify(func(g *jws.General) { g.Payload = b64.EncodeToString([]byte(`{"descriptorCid":"bafz"}`)) }), nil, dwn.Unauthorized, jws.CodeInvalidSignature},
		{"padded signature", modify(func(g *jws.General) { g.Signatures[0].Signature += "==" }), nil, dwn.Unauthorized, jws.CodeInvalidSignature},
		{"truncated signature", modify(func(g *jws.General) { g.Signatures[0].Signature = g.Signatures[0].Signature[:40] }), nil, dwn.Unauthorized, jws.CodeInvalidSignature},
		{"garbage protected header", modify(func(g *jws.General) { g.Signatures[0].Protected = "!!" }), nil, dwn.Unauthorized, jws.CodeInvalidSignature},
		{"no alg in header", modify(func(g *jws.General) {
			g.Signatures[0].Protected = b64.EncodeToString([]byte(`{"kid":"` + alice + `#rel"}`))
		}), nil, dwn.Unauthorized, jws.CodeInvalidSignature},
		{"no signatures", &jws.General{Payload: valid.Payload}, nil, dwn.Unauthorized, jws.CodeInvalidSignature},
		{"nil JWS", nil, nil, dwn.Unauthorized, jws.CodeInvalidSignature},
		{"resolver unavailable", sign(edKey, "did:example:down#k", "EdDSA"), nil, dwn.Unavailable, ""},
		{"DID not found", sign(edKey, "did:example:missing#k", "EdDSA"), nil, dwn.Unauthorized, jws.CodePublicKeyMissing},
		{"resolver plain error", sign(edKey, "did:example:weird#k", "EdDSA"), nil, dwn.Unauthorized, jws.CodePublicKeyMissing},
		{"no document", sign(edKey, "did:example:nobody#k", "EdDSA"), nil, dwn.Unauthorized, jws.CodePublicKeyMissing},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := &jws.Verifier{Resolver: r, Algorithms: tt.algs}
			signers, err := v.Verify(context.Background(), tt.g)
			if tt.kind == 0 {
				if err != nil {
					t.Fatalf("Verify = %v", err)
				}
				if len(signers) != len(tt.g.Signatures) {
					t.Fatalf("signers = %v", signers)
				}
				for i, s := range tt.g.Signatures {
					h, _ := s.Header()
					if signers[i] != jws.SignerDID(h.Kid) {
						t.Fatalf("signer %d = %s, want %s", i, signers[i], jws.SignerDID(h.Kid))
					}
				}
				return
			}
			if dwn.KindOf(err) != tt.kind {
				t.Fatalf("Verify = %v, want kind %v", err, tt.kind)
			}
			if tt.code != "" && dwn.CodeOf(err) != tt.code {
				t.Fatalf("Verify = %v, want code %s", err, tt.code)
			}
			if signers != nil {
				t.Fatalf("signers = %v on error", signers)
			}
		})
	}

	if _, err := (&jws.Verifier{}).Verify(context.Background(), valid); dwn.KindOf(err) != dwn.Internal {
		t.Fatalf("Verify without a resolver = %v, want Internal", err)
	}
}

func TestVerifyCache(t *testing.T) {
	id, err := didjwk.New(edKey)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := didjwk.Resolver{}.Resolve(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	r := &docs{m: map[string]*did.Document{id: doc}}
	g, err := jws.Sign([]byte(`{"a":1}`), jws.PrivateKeySigner{Key: edKey, KID: id + "#0"})
	if err != nil {
		t.Fatal(err)
	}
	bad := &jws.General{Payload: b64.EncodeToString([]byte(`{"a":2}`)), Signatures: g.Signatures}
	ctx := context.Background()

	v := &jws.Verifier{Resolver: r}
	for range 3 {
		if _, err := v.Verify(ctx, g); err != nil {
			t.Fatal(err)
		}
	}
	if n := r.calls.Load(); n != 1 {
		t.Fatalf("resolved %d times, want 1 (cached)", n)
	}
	for range 2 {
		if _, err := v.Verify(ctx, bad); !errors.Is(err, &dwn.Error{Kind: dwn.Unauthorized, Code: jws.CodeInvalidSignature}) {
			t.Fatalf("Verify(bad) = %v", err)
		}
	}
	if n := r.calls.Load(); n != 3 {
		t.Fatalf("resolved %d times, want 3 (failures are not cached)", n)
	}
	r.calls.Store(0)
	off := &jws.Verifier{Resolver: r, CacheSize: -1}
	for range 3 {
		if _, err := off.Verify(ctx, g); err != nil {
			t.Fatal(err)
		}
	}
	if n := r.calls.Load(); n != 3 {
		t.Fatalf("resolved %d times with the cache off, want 3", n)
	}

	// Concurrent use of one Verifier.
	r.calls.Store(0)
	shared := &jws.Verifier{Resolver: r, CacheSize: 4}
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := []byte(`{"i":` + strings.Repeat("1", i+1) + `}`)
			gi, err := jws.Sign(p, jws.PrivateKeySigner{Key: edKey, KID: id + "#0"})
			if err != nil {
				t.Error(err)
				return
			}
			for range 20 {
				if _, err := shared.Verify(ctx, gi); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
}

// cachedResolver resolves each DID once, then serves it from a map, so that the
// benchmarks measure signature verification rather than DID decoding.
type cachedResolver struct {
	mu sync.Mutex
	r  did.Resolver
	m  map[string]*did.Document
}

func (c *cachedResolver) Resolve(ctx context.Context, id string) (*did.Document, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if d, ok := c.m[id]; ok {
		return d, nil
	}
	d, err := c.r.Resolve(ctx, id)
	if err == nil {
		c.m[id] = d
	}
	return d, err
}

func benchmarkVerify(b *testing.B, key *jwk.JWK, cacheSize int) {
	id, err := didjwk.New(key)
	if err != nil {
		b.Fatal(err)
	}
	payload := []byte(`{"recordId":"bafyreia523uyczhrkptzhmxmr7p2w2cu46lwknjrd3zeaajlzaosumjo54","descriptorCid":"bafyreihb3rdk7ghqmvcn327anuqdi4am4x2g7qewjtvovzwoj55fz2c6wy"}`)
	g, err := jws.Sign(payload, jws.PrivateKeySigner{Key: key, KID: id + "#0"})
	if err != nil {
		b.Fatal(err)
	}
	v := &jws.Verifier{
		Resolver:  &cachedResolver{r: defaultResolver, m: map[string]*did.Document{}},
		CacheSize: cacheSize,
	}
	ctx := context.Background()
	if _, err := v.Verify(ctx, g); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(ctx, g); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyEd25519(b *testing.B) { benchmarkVerify(b, edKey, -1) }
func BenchmarkVerifyES256K(b *testing.B)  { benchmarkVerify(b, k1Key, -1) }
func BenchmarkVerifyES256(b *testing.B)   { benchmarkVerify(b, p256Key, -1) }
func BenchmarkVerifyCached(b *testing.B)  { benchmarkVerify(b, edKey, 0) }
