// Package didkey implements the did:key method as @web5/dids 1.2.0 resolves it, which is
// what @tbd54566975/dwn-sdk-js 0.5.2 uses. Resolution needs no network.
//
// # Format
//
// The method-specific identifier is multibase base58btc ('z') of a multicodec varint
// prefix followed by the raw public key:
//
//	multicodec     code    key bytes                       JWK
//	ed25519-pub    0xed    32                              {kty OKP, crv Ed25519, x}
//	secp256k1-pub  0xe7    33, SEC1 compressed             {kty EC, crv secp256k1, x, y}
//	p256-pub       0x1200  33, SEC1 compressed             {kty EC, crv P-256, x, y}
//	x25519-pub     0xec    32                              {kty OKP, crv X25519, x}
//
// The document has one verification method {id: did+"#"+identifier, type:
// "JsonWebKey2020", controller: did, publicKeyJwk}, where publicKeyJwk carries the RFC
// 7638 thumbprint as kid, as @web5/dids does, and is referenced from authentication,
// assertionMethod, capabilityInvocation and capabilityDelegation. The @context is
// ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/suites/jws-2020/v1"].
//
// An x25519-pub DID resolves, but its key is a key-agreement key: a DWN signature that
// names it fails with JwsVerifySignatureUnsupportedCrv, as in the reference.
//
// # Differences from the reference
//
// @web5/dids 1.2.0 does not know p256-pub: it cannot create P-256 did:key DIDs and fails
// to resolve them (invalidDid). This package resolves them unless Resolver.ReferenceOnly
// is set, so a DWN using the default Resolver accepts messages signed by P-256 did:key
// DIDs that the reference rejects with 401. Also, a multicodec varint that is not
// minimally encoded is rejected here (the multicodec spec requires minimal varints).
//
// Every resolution failure has kind Invalid and code did.CodeInvalidDID.
package didkey

import (
	"context"
	"strings"

	"github.com/multiformats/go-multibase"
	"github.com/multiformats/go-varint"

	"github.com/dwn-ipfs/dwn-ipfs/did"
	"github.com/dwn-ipfs/dwn-ipfs/dwn"
	"github.com/dwn-ipfs/dwn-ipfs/dwn/jwk"
)

// Method is the DID method name this package resolves.
const Method = "key"

// Multicodec codes of the public keys this package understands.
const (
	Ed25519Pub   = 0xed   // ed25519-pub: 32-byte Ed25519 public key
	Secp256k1Pub = 0xe7   // secp256k1-pub: 33-byte compressed secp256k1 point
	P256Pub      = 0x1200 // p256-pub: 33-byte compressed P-256 point
	X25519Pub    = 0xec   // x25519-pub: 32-byte X25519 public key
)

const prefix = "did:key:"

// codecs maps a multicodec code to its curve and key length.
var codecs = map[uint64]struct {
	crv string
	n   int
}{
	Ed25519Pub:   {jwk.Ed25519, 32},
	Secp256k1Pub: {jwk.Secp256k1, 33},
	P256Pub:      {jwk.P256, 33},
	X25519Pub:    {jwk.X25519, 32},
}

// Resolver resolves did:key DIDs offline. The zero value resolves all four key types and
// is safe for concurrent use.
type Resolver struct {
	// ReferenceOnly restricts resolution to the key types @web5/dids 1.2.0 resolves
	// (ed25519-pub, secp256k1-pub, x25519-pub), so that P-256 did:key DIDs fail as they
	// do in the reference. Default false: P-256 did:key DIDs resolve.
	ReferenceOnly bool
}

var _ did.Resolver = Resolver{}

// New returns the did:key DID of a public key on Ed25519, secp256k1, P-256 or X25519.
// A private key gives the DID of its public key.
func New(key *jwk.JWK) (string, error) {
	var code uint64
	switch key.Crv {
	case jwk.Ed25519:
		code = Ed25519Pub
	case jwk.Secp256k1:
		code = Secp256k1Pub
	case jwk.P256:
		code = P256Pub
	case jwk.X25519:
		code = X25519Pub
	default:
		return "", dwn.Errorf(dwn.Invalid, jwk.CodeInvalid,
			"did:key supports crv Ed25519, secp256k1, P-256 and X25519")
	}
	b, err := key.Public().PublicBytes()
	if err != nil {
		return "", dwn.Wrap("didkey.New", err)
	}
	id, err := multibase.Encode(multibase.Base58BTC, append(varint.ToUvarint(code), b...))
	if err != nil {
		return "", dwn.Wrap("didkey.New", err)
	}
	return prefix + id, nil
}

// Resolve returns the DID document of a did:key DID (see the package documentation).
func (r Resolver) Resolve(_ context.Context, id string) (*did.Document, error) {
	method, err := did.Method(id)
	if err != nil {
		return nil, err
	}
	if method != Method {
		return nil, invalidDID("not a did:key DID", nil)
	}
	mb := strings.TrimPrefix(id, prefix)
	if !strings.HasPrefix(mb, "z") {
		return nil, invalidDID("did:key identifier is not multibase base58btc", nil)
	}
	enc, data, err := multibase.Decode(mb)
	if err != nil || enc != multibase.Base58BTC {
		return nil, invalidDID("did:key identifier is not multibase base58btc", err)
	}
	code, n, err := varint.FromUvarint(data)
	if err != nil {
		return nil, invalidDID("did:key identifier has no valid multicodec prefix", err)
	}
	c, ok := codecs[code]
	if !ok || (r.ReferenceOnly && code == P256Pub) {
		return nil, invalidDID("did:key multicodec is not supported", nil)
	}
	raw := data[n:]
	if len(raw) != c.n {
		return nil, invalidDID("did:key public key has the wrong length", nil)
	}
	key, err := jwk.FromPublicBytes(c.crv, raw)
	if err != nil {
		return nil, invalidDID("did:key public key is not valid", err)
	}
	if key.Kid, err = key.Thumbprint(); err != nil {
		return nil, invalidDID("did:key public key is not valid", err)
	}
	vmID := id + "#" + mb
	ref := []any{vmID}
	return &did.Document{
		Context: []any{"https://www.w3.org/ns/did/v1", "https://w3id.org/security/suites/jws-2020/v1"},
		ID:      id,
		VerificationMethod: []did.VerificationMethod{{
			ID: vmID, Type: "JsonWebKey2020", Controller: id, PublicKeyJwk: key,
		}},
		Authentication:       ref,
		AssertionMethod:      ref,
		CapabilityInvocation: ref,
		CapabilityDelegation: ref,
	}, nil
}

func invalidDID(msg string, cause error) error {
	return &dwn.Error{Kind: dwn.Invalid, Code: did.CodeInvalidDID, Message: msg, Err: cause}
}
