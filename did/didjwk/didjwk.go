// Package didjwk implements the did:jwk method: the DID is "did:jwk:" followed by the
// base64url (no padding) of a public JWK, and resolving it needs no network.
//
// # Usage
//
//	id, err := didjwk.New(key.Public())      // "did:jwk:eyJjcnYiOi…"
//	doc, err := didjwk.Resolver{}.Resolve(ctx, id)
//	// doc.VerificationMethod[0].ID == id + "#0"; its publicKeyJwk is the key.
//
// # Format
//
// New serializes only the RFC 7638 members of the key (crv, kty, x and, for EC keys, y)
// in lexicographic order, with no white space, so one key always gives one DID. For the
// Ed25519 key with x = 6kpsY-KcUgq-9VB7Ey7F-ZVHdq6-vnuSQh7qaRRG0iw that is
//
//	{"crv":"Ed25519","kty":"OKP","x":"6kpsY-KcUgq-9VB7Ey7F-ZVHdq6-vnuSQh7qaRRG0iw"}
//	did:jwk:eyJjcnYiOiJFZDI1NTE5Iiwia3R5IjoiT0tQIiwieCI6IjZrcHNZLUtjVWdxLTlWQjdFeTdGLVpWSGRxNi12bnVTUWg3cWFSUkcwaXcifQ
//
// which is the DID of the reference vectors. Resolve accepts any member order and extra
// members (DidJwk.create of @web5/dids 1.2.0 includes kid and alg), as the reference does.
//
// Resolve builds the document as @web5/dids 1.2.0 does: one verification method
// {id: did+"#0", type: "JsonWebKey", controller: did, publicKeyJwk}, referenced from
// authentication, assertionMethod, capabilityInvocation, capabilityDelegation and
// keyAgreement; a JWK with "use":"sig" drops keyAgreement and one with "use":"enc" keeps
// only keyAgreement.
//
// # Differences from the reference
//
// The reference resolves any JSON object. Resolve also requires a valid public key on a
// supported curve (Ed25519, secp256k1, P-256 or X25519) with no "d"; anything else fails
// with kind Invalid and code did.CodeInvalidDID. Such DIDs could never sign a DWN message
// in the reference either, so the visible difference is only the error code.
package didjwk

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"

	"github.com/dwn-ipfs/dwn-ipfs/did"
	"github.com/dwn-ipfs/dwn-ipfs/dwn"
	"github.com/dwn-ipfs/dwn-ipfs/dwn/jwk"
)

// Method is the DID method name this package resolves.
const Method = "jwk"

const prefix = "did:jwk:"

// Resolver resolves did:jwk DIDs offline. The zero value is ready to use and safe for
// concurrent use.
type Resolver struct{}

var _ did.Resolver = Resolver{}

// New returns the did:jwk DID of a key (see the package documentation for the format).
// Only the public members crv, kty, x and y are used, so a private key gives the DID of
// its public key. The key must be valid.
func New(key *jwk.JWK) (string, error) {
	c, err := key.Public().Canonical()
	if err != nil {
		return "", dwn.Wrap("didjwk.New", err)
	}
	return prefix + base64.RawURLEncoding.EncodeToString(c), nil
}

// Resolve returns the DID document of a did:jwk DID. It fails with kind Invalid and code
// did.CodeInvalidDID if the DID is malformed or does not hold a valid public JWK.
func (Resolver) Resolve(_ context.Context, id string) (*did.Document, error) {
	method, err := did.Method(id)
	if err != nil {
		return nil, err
	}
	if method != Method {
		return nil, dwn.Errorf(dwn.Invalid, did.CodeInvalidDID, "not a did:jwk DID")
	}
	enc := strings.TrimPrefix(id, prefix)
	raw, err := base64.RawURLEncoding.Strict().DecodeString(enc)
	if err != nil {
		return nil, dwn.Errorf(dwn.Invalid, did.CodeInvalidDID, "did:jwk identifier is not base64url")
	}
	var key jwk.JWK
	if err := json.Unmarshal(raw, &key); err != nil {
		return nil, &dwn.Error{Kind: dwn.Invalid, Code: did.CodeInvalidDID,
			Message: "did:jwk identifier is not a JWK JSON object", Err: err}
	}
	if key.IsPrivate() {
		return nil, dwn.Errorf(dwn.Invalid, did.CodeInvalidDID, "did:jwk holds a private key")
	}
	if err := key.Validate(); err != nil {
		return nil, &dwn.Error{Kind: dwn.Invalid, Code: did.CodeInvalidDID,
			Message: "did:jwk does not hold a valid public key", Err: err}
	}
	vmID := id + "#0"
	doc := &did.Document{
		Context: []any{"https://www.w3.org/ns/did/v1"},
		ID:      id,
		VerificationMethod: []did.VerificationMethod{{
			ID: vmID, Type: "JsonWebKey", Controller: id, PublicKeyJwk: &key,
		}},
	}
	ref := []any{vmID}
	if key.Use != "enc" {
		doc.Authentication, doc.AssertionMethod = ref, ref
		doc.CapabilityInvocation, doc.CapabilityDelegation = ref, ref
	}
	if key.Use != "sig" {
		doc.KeyAgreement = ref
	}
	return doc, nil
}
