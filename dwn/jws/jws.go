// Package jws implements the general JWS JSON serialization (RFC 7515 §7.2.1) the way DWN
// messages use it for authorization.signature, ownerSignature and attestation, compatible
// with @tbd54566975/dwn-sdk-js 0.5.2 (src/jose/jws/general).
//
// # Format
//
//	{"payload":"<base64url(JSON object)>",
//	 "signatures":[{"protected":"<base64url({\"kid\":\"did:…#key\",\"alg\":\"EdDSA\"})>",
//	                "signature":"<base64url(signature)>"}]}
//
// The protected header is exactly JSON.stringify({kid, alg}): those two members in that
// order, no white space. The signing input is the ASCII string protected + "." + payload,
// and every base64url value has no padding. Payload bytes are verified as sent; nothing
// is re-serialized.
//
// # Usage
//
//	g, err := jws.Sign(payload, jws.PrivateKeySigner{Key: key, KID: did + "#0"})
//	v := &jws.Verifier{Resolver: resolver}
//	signers, err := v.Verify(ctx, g) // the DIDs of the signers, in order
//
// # Verification
//
// Verify follows src/jose/jws/general/verifier.ts: the signer DID is the kid up to the
// first '#'; it is resolved, and the first entry of the document's verificationMethod
// (only that array) whose id is a suffix of the kid is used. The method must be of type
// JsonWebKey or JsonWebKey2020 and carry a public JWK; the JWK's curve picks the algorithm
// (see package jwk). Successful verifications are cached (Verifier.CacheSize,
// Verifier.CacheTTL), keyed by protected.payload.signature, as the reference does.
//
// Unlike the reference, Verify checks alg: it must be in Verifier.Algorithms and must be
// the algorithm of the key's curve (EdDSA for Ed25519, ES256K for secp256k1, ES256 for
// P-256). The reference ignores alg entirely, so a message whose alg contradicts its key
// verifies there and fails here with GeneralJwsVerifierInvalidSignature. The SDK always
// writes the matching alg, so honest clients are not affected.
//
// # Errors
//
// All errors are *dwn.Error values. Verification failures have kind Unauthorized (401)
// with the reference codes GeneralJwsVerifierGetPublicKeyNotFound,
// GeneralJwsVerifierInvalidSignature or JwsVerifySignatureUnsupportedCrv; a resolver
// failure of kind Unavailable is returned as is (503, retry later) instead of being
// reported as a missing key. DecodePayload fails with kind Invalid and code
// JwsDecodePlainObjectPayloadInvalid.
package jws

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/dwn-ipfs/dwn-ipfs/dwn"
	"github.com/dwn-ipfs/dwn-ipfs/dwn/jwk"
)

// Error codes. The reference defines all but CodeHeaderInvalid; for a protected header it
// cannot parse it throws a bare exception, which surfaces as a 401 without a code.
const (
	// CodePayloadInvalid: the payload is not base64url of a JSON object (400).
	CodePayloadInvalid = "JwsDecodePlainObjectPayloadInvalid"
	// CodeHeaderInvalid: a protected header cannot be decoded (this project's code).
	CodeHeaderInvalid = "JwsProtectedHeaderInvalid"
	// CodeInvalidSignature: a signature, or its header, does not verify (401).
	CodeInvalidSignature = "GeneralJwsVerifierInvalidSignature"
	// CodePublicKeyMissing: the kid names no usable key in the signer's DID document (401).
	CodePublicKeyMissing = "GeneralJwsVerifierGetPublicKeyNotFound"
)

// General is a JWS in the general JSON serialization.
type General struct {
	Payload    string      `json:"payload"`
	Signatures []Signature `json:"signatures"`
}

// Signature is one entry of General.Signatures.
type Signature struct {
	Protected string `json:"protected"`
	Signature string `json:"signature"`
}

// Header is the decoded protected header of a Signature.
type Header struct {
	Kid string `json:"kid"` // DID URL of the signing key, e.g. "did:jwk:…#0"
	Alg string `json:"alg"` // "EdDSA", "ES256K" or "ES256"
}

// Signer produces one signature of a JWS.
type Signer interface {
	// KeyID returns the kid: a DID URL that resolves to the verification key.
	KeyID() string
	// Algorithm returns the alg written into the protected header.
	Algorithm() string
	// Sign signs the JWS signing input.
	Sign(data []byte) ([]byte, error)
}

// PrivateKeySigner is a Signer that holds a private JWK, like the reference's
// PrivateKeySigner.
type PrivateKeySigner struct {
	Key *jwk.JWK // private key
	KID string   // key ID; if empty, Key.Kid is used
}

var _ Signer = PrivateKeySigner{}

// KeyID returns KID, or Key.Kid if KID is empty.
func (s PrivateKeySigner) KeyID() string {
	if s.KID != "" {
		return s.KID
	}
	return s.Key.Kid
}

// Algorithm returns Key.Alg, or the algorithm of the key's curve if Key.Alg is empty.
func (s PrivateKeySigner) Algorithm() string {
	if s.Key.Alg != "" {
		return s.Key.Alg
	}
	return jwk.DefaultAlg(s.Key.Crv)
}

// Sign signs data with Key.
func (s PrivateKeySigner) Sign(data []byte) ([]byte, error) { return s.Key.Sign(data) }

var b64 = base64.RawURLEncoding

// strict decodes base64url without padding and rejects any other character.
var strict = base64.RawURLEncoding.Strict()

// Sign returns a General JWS of payload with one signature per signer, in order. The
// output is byte-identical to the reference's GeneralJwsBuilder for the same inputs.
func Sign(payload []byte, signers ...Signer) (*General, error) {
	if len(signers) == 0 {
		return nil, dwn.Errorf(dwn.Invalid, "", "jws.Sign needs at least one signer")
	}
	g := &General{Payload: b64.EncodeToString(payload)}
	for _, s := range signers {
		kid, alg := s.KeyID(), s.Algorithm()
		if kid == "" || alg == "" {
			return nil, dwn.Errorf(dwn.Invalid, "", "a signer needs a key ID and an algorithm")
		}
		h, err := headerJSON(kid, alg)
		if err != nil {
			return nil, err
		}
		protected := b64.EncodeToString(h)
		sig, err := s.Sign([]byte(protected + "." + g.Payload))
		if err != nil {
			return nil, dwn.Wrap("jws.Sign", err)
		}
		g.Signatures = append(g.Signatures, Signature{Protected: protected, Signature: b64.EncodeToString(sig)})
	}
	return g, nil
}

// headerJSON returns JSON.stringify({kid, alg}).
func headerJSON(kid, alg string) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(`{"kid":`)
	if err := writeJSString(&b, kid); err != nil {
		return nil, err
	}
	b.WriteString(`,"alg":`)
	if err := writeJSString(&b, alg); err != nil {
		return nil, err
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// writeJSString writes s as JavaScript's JSON.stringify quotes it: only '"', '\\' and
// control characters are escaped (unlike encoding/json, which also escapes <, >, &,
// U+2028 and U+2029). s must be valid UTF-8.
func writeJSString(b *bytes.Buffer, s string) error {
	if !utf8.ValidString(s) {
		return dwn.Errorf(dwn.Invalid, "", "a JWS header value is not valid UTF-8")
	}
	const hex = "0123456789abcdef"
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		default:
			if c < 0x20 {
				b.WriteString(`\u00`)
				b.WriteByte(hex[c>>4])
				b.WriteByte(hex[c&0xf])
			} else {
				b.WriteByte(c)
			}
		}
	}
	b.WriteByte('"')
	return nil
}

// ParseHeader decodes a protected header: strict base64url without padding, then a JSON
// object whose "kid" is a non-empty string and whose "alg", if present, is a string.
// Member names match exactly; other members are ignored, as in the reference. Errors
// have kind Invalid and code CodeHeaderInvalid.
func ParseHeader(protected string) (*Header, error) {
	raw, err := strict.DecodeString(protected)
	if err != nil {
		return nil, dwn.Errorf(dwn.Invalid, CodeHeaderInvalid, "protected header is not base64url without padding")
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		return nil, dwn.Errorf(dwn.Invalid, CodeHeaderInvalid, "protected header is not a JSON object")
	}
	var h Header
	if err := stringMember(m, "kid", &h.Kid); err != nil || h.Kid == "" {
		return nil, dwn.Errorf(dwn.Invalid, CodeHeaderInvalid, "protected header kid must be a non-empty string")
	}
	if err := stringMember(m, "alg", &h.Alg); err != nil {
		return nil, dwn.Errorf(dwn.Invalid, CodeHeaderInvalid, "protected header alg must be a string")
	}
	return &h, nil
}

func stringMember(m map[string]json.RawMessage, name string, dst *string) error {
	raw, ok := m[name]
	if !ok {
		return nil
	}
	if len(raw) == 0 || raw[0] != '"' {
		return errors.New("not a string")
	}
	return json.Unmarshal(raw, dst)
}

// Header decodes the protected header of s; see ParseHeader.
func (s Signature) Header() (*Header, error) { return ParseHeader(s.Protected) }

// SignerDID returns the DID part of a kid: everything before the first '#', or the whole
// kid if it has no '#'.
func SignerDID(kid string) string {
	did, _, _ := strings.Cut(kid, "#")
	return did
}

// DecodePayload decodes the payload as a JSON object, with numbers as json.Number so that
// no precision is lost. Anything else (bad base64url, invalid JSON, an array, null,
// trailing data) fails with kind Invalid and code JwsDecodePlainObjectPayloadInvalid.
func (g *General) DecodePayload() (map[string]any, error) {
	raw, err := strict.DecodeString(g.Payload)
	if err != nil {
		return nil, dwn.Errorf(dwn.Invalid, CodePayloadInvalid, "payload is not a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, dwn.Errorf(dwn.Invalid, CodePayloadInvalid, "payload is not a JSON object")
	}
	if m == nil {
		return nil, dwn.Errorf(dwn.Invalid, CodePayloadInvalid, "signed payload must be a plain object")
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, dwn.Errorf(dwn.Invalid, CodePayloadInvalid, "payload is not a JSON object")
	}
	return m, nil
}
