// Package jwk implements the JSON Web Keys (RFC 7517) that DWN messages are signed with.
//
// # Usage
//
// A DWN signer holds a private JWK; a verifier gets the public JWK from the signer's DID
// document. Generate makes a key, Public drops the private part, Sign and Verify do the
// signature algorithm chosen by the key's curve:
//
//	key, _ := jwk.Generate(jwk.Ed25519)
//	sig, _ := key.Sign(data)
//	err := key.Public().Verify(data, sig)
//
// # Algorithms
//
// The curve decides the algorithm, exactly as in @tbd54566975/dwn-sdk-js 0.5.2
// (src/jose/algorithms/signing/signature-algorithms.ts). The alg member of the key is
// never consulted for verification:
//
//	crv        kty  alg     signature                     verification accepts
//	Ed25519    OKP  EdDSA   64 bytes (RFC 8032)            64 bytes only
//	secp256k1  EC   ES256K  sha256, then 64-byte r||s      64-byte r||s only (DER is rejected);
//	                        with low S (RFC 6979 nonce)    high S is accepted, as the reference does
//	P-256      EC   ES256   sha256, then 64-byte r||s      64-byte r||s, or ASN.1 DER of any
//	                        (RFC 6979 nonce)               other length; high S is accepted
//
// Any other curve fails verification with code JwsVerifySignatureUnsupportedCrv (401).
// X25519 keys are understood by Validate (they appear in did:key documents) but they
// are key-agreement keys and can never sign or verify.
//
// Ed25519 verification uses crypto/ed25519, which is stricter than the reference's
// @noble/ed25519 (cofactored, ZIP-215-like). The two disagree only on crafted signatures
// (small-order components, non-canonical R), which this package rejects.
//
// # Errors
//
// Every error is a *dwn.Error. Validate returns kind Invalid; Sign returns kind Invalid
// for an unusable key; Verify returns kind Unauthorized, and ErrInvalidSignature when the
// signature does not verify. Test with errors.Is and dwn.CodeOf, never with the text.
package jwk

import (
	"bytes"
	"crypto/ecdh"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/dwn-ipfs/dwn-ipfs/dwn"
)

// Curve names (the JWK "crv" member).
const (
	// Ed25519 is the EdDSA curve of RFC 8037 (kty OKP).
	Ed25519 = "Ed25519"
	// Secp256k1 is the Koblitz curve used with ES256K (kty EC).
	Secp256k1 = "secp256k1"
	// P256 is NIST P-256 used with ES256 (kty EC).
	P256 = "P-256"
	// X25519 is the Diffie-Hellman curve of RFC 8037 (kty OKP); it cannot sign.
	X25519 = "X25519"
)

// Key type names (the JWK "kty" member).
const (
	// KeyTypeOKP is the octet key pair type of Ed25519 and X25519 keys.
	KeyTypeOKP = "OKP"
	// KeyTypeEC is the elliptic curve type of secp256k1 and P-256 keys.
	KeyTypeEC = "EC"
)

// Algorithm names (the JWS "alg" header and the JWK "alg" member).
const (
	// EdDSA signs with Ed25519.
	EdDSA = "EdDSA"
	// ES256K signs with secp256k1 over a SHA-256 digest.
	ES256K = "ES256K"
	// ES256 signs with P-256 over a SHA-256 digest.
	ES256 = "ES256"
)

// Error codes of this package. CodeInvalid and CodeNotPrivate are this project's; the
// others, and Ed25519InvalidJwk, Secp256k1KeyNotValid, Secp256r1KeyNotValid and
// GeneralJwsVerifierInvalidSignature, are the reference's.
const (
	// CodeInvalid reports a JWK that is malformed in a way not tied to one curve.
	CodeInvalid = "JwkInvalid"
	// CodeNotPrivate reports an attempt to sign with a key that has no "d".
	CodeNotPrivate = "JwkNotPrivate"
	// CodeUnsupportedCrv is the reference's code for a key whose curve cannot sign or
	// verify.
	CodeUnsupportedCrv = "JwsVerifySignatureUnsupportedCrv"
)

// ErrInvalidSignature is returned by Verify when the signature is malformed or does not
// verify. It has kind Unauthorized and the reference code GeneralJwsVerifierInvalidSignature;
// match it with errors.Is.
var ErrInvalidSignature = &dwn.Error{Kind: dwn.Unauthorized, Code: "GeneralJwsVerifierInvalidSignature",
	Message: "signature verification failed"}

// JWK is a JSON Web Key as the DWN uses it: an Ed25519, X25519, secp256k1 or P-256 key,
// public or private. Members are base64url strings without padding, as in RFC 7518.
//
// Decoding from JSON is strict about the members it knows (their names match exactly,
// with case, and their values must be strings) and ignores the others (key_ops, x5c, …),
// as a JWK consumer must. A zero JWK is not valid; call Validate before trusting one.
type JWK struct {
	Kty string `json:"kty,omitempty"` // key type: "OKP" or "EC"
	Crv string `json:"crv,omitempty"` // curve: "Ed25519", "secp256k1", "P-256" or "X25519"
	X   string `json:"x,omitempty"`   // public key, or its x coordinate for EC keys
	Y   string `json:"y,omitempty"`   // y coordinate of an EC public key
	D   string `json:"d,omitempty"`   // private key; empty in a public key
	Alg string `json:"alg,omitempty"` // intended algorithm; informational only
	Kid string `json:"kid,omitempty"` // key ID; informational only
	Use string `json:"use,omitempty"` // "sig" or "enc"; used by did:jwk documents
}

// known maps the JSON member names that UnmarshalJSON decodes to their fields.
func (k *JWK) known() map[string]*string {
	return map[string]*string{"kty": &k.Kty, "crv": &k.Crv, "x": &k.X, "y": &k.Y, "d": &k.D,
		"alg": &k.Alg, "kid": &k.Kid, "use": &k.Use}
}

// UnmarshalJSON decodes a JWK object. Known members must be JSON strings and match their
// names exactly (encoding/json would also accept "X" for "x", which the reference does
// not); unknown members are ignored.
func (k *JWK) UnmarshalJSON(b []byte) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return invalid(CodeInvalid, "JWK is not a JSON object")
	}
	if m == nil {
		return invalid(CodeInvalid, "JWK is not a JSON object")
	}
	var out JWK
	for name, dst := range out.known() {
		raw, ok := m[name]
		if !ok {
			continue
		}
		if !isJSONString(raw) || json.Unmarshal(raw, dst) != nil {
			return invalid(CodeInvalid, "JWK member %s is not a string", name)
		}
	}
	*k = out
	return nil
}

func isJSONString(raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	return len(raw) > 0 && raw[0] == '"'
}

// DefaultAlg returns the JWS algorithm of a curve: EdDSA for Ed25519, ES256K for
// secp256k1, ES256 for P-256, and "" for any other curve.
func DefaultAlg(crv string) string {
	switch crv {
	case Ed25519:
		return EdDSA
	case Secp256k1:
		return ES256K
	case P256:
		return ES256
	}
	return ""
}

// IsPrivate reports whether the key has private key material.
func (k *JWK) IsPrivate() bool { return k.D != "" }

// Public returns a copy of the key without its private part "d". Alg, Kid and Use are kept.
func (k *JWK) Public() *JWK {
	p := *k
	p.D = ""
	return &p
}

// Canonical returns the members that RFC 7638 uses for a thumbprint, in lexicographic
// order and without white space: {"crv","kty","x"} for OKP keys and {"crv","kty","x","y"}
// for EC keys. did:jwk identifiers made by this project (see package didjwk) are the
// base64url of these bytes, which reproduces the reference vectors.
func (k *JWK) Canonical() ([]byte, error) {
	if _, err := k.publicKey(dwn.Invalid); err != nil {
		return nil, err
	}
	members := map[string]string{"crv": k.Crv, "kty": k.Kty, "x": k.X}
	if k.Kty == KeyTypeEC {
		members["y"] = k.Y
	}
	names := make([]string, 0, len(members))
	for n := range members {
		names = append(names, n)
	}
	sort.Strings(names)
	var b bytes.Buffer
	b.WriteByte('{')
	for i, n := range names {
		if i > 0 {
			b.WriteByte(',')
		}
		// The values are curve names or validated base64url, so %q quotes them exactly
		// as JSON does.
		fmt.Fprintf(&b, "%q:%q", n, members[n])
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// Thumbprint returns the RFC 7638 SHA-256 thumbprint of the public key, base64url without
// padding. @web5/dids sets it as the kid of the keys in did:key documents.
func (k *JWK) Thumbprint() (string, error) {
	c, err := k.Canonical()
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(c)
	return base64.RawURLEncoding.EncodeToString(sum[:]), nil
}

// Validate checks that the key is a well-formed Ed25519, X25519, secp256k1 or P-256 key:
// kty matches crv, every member decodes as strict base64url of the right length, the
// public point is on the curve, and a private part, if present, matches the public part.
// Errors have kind Invalid.
func (k *JWK) Validate() error {
	if _, err := k.publicKey(dwn.Invalid); err != nil {
		return err
	}
	switch {
	case k.D == "":
	case k.Crv == X25519:
		d, err := decodeMember(dwn.Invalid, k.Crv, "d", k.D, 32)
		if err != nil {
			return err
		}
		sk, err := ecdh.X25519().NewPrivateKey(d)
		if err != nil || b64(sk.PublicKey().Bytes()) != k.X {
			return invalid(CodeInvalid, "d does not match the public key")
		}
	default:
		if _, err := k.privateKey(); err != nil {
			return err
		}
	}
	return nil
}

// checkShape checks kty, crv and the presence of the members, not their contents.
func (k *JWK) checkShape() *dwn.Error {
	switch k.Crv {
	case Ed25519, X25519:
		if k.Kty != KeyTypeOKP {
			return invalid(codeFor(k.Crv), "kty must be %s for crv %s", KeyTypeOKP, k.Crv)
		}
		if k.X == "" || k.Y != "" {
			return invalid(codeFor(k.Crv), "an %s key has x and no y", k.Crv)
		}
	case Secp256k1, P256:
		if k.Kty != KeyTypeEC {
			return invalid(codeFor(k.Crv), "kty must be %s for crv %s", KeyTypeEC, k.Crv)
		}
		if k.X == "" || k.Y == "" {
			return invalid(codeFor(k.Crv), "an %s key has x and y", k.Crv)
		}
	case "":
		return invalid(CodeInvalid, "crv is missing")
	default:
		return invalid(CodeInvalid, "unsupported crv; supported: Ed25519, secp256k1, P-256, X25519")
	}
	return nil
}

// codeFor returns the reference's error code for a bad key of a curve.
func codeFor(crv string) string {
	switch crv {
	case Ed25519:
		return "Ed25519InvalidJwk"
	case Secp256k1:
		return "Secp256k1KeyNotValid"
	case P256:
		return "Secp256r1KeyNotValid"
	}
	return CodeInvalid
}

// decodeMember decodes a base64url member that must be exactly n bytes long.
func decodeMember(kind dwn.Kind, crv, name, v string, n int) ([]byte, error) {
	b, err := base64.RawURLEncoding.Strict().DecodeString(v)
	if err != nil {
		return nil, dwn.Errorf(kind, codeFor(crv), "%s is not base64url without padding", name)
	}
	if len(b) != n {
		return nil, dwn.Errorf(kind, codeFor(crv), "%s of an %s key must be %d bytes", name, crv, n)
	}
	return b, nil
}

func invalid(code, format string, args ...any) *dwn.Error {
	return dwn.Errorf(dwn.Invalid, code, format, args...)
}
