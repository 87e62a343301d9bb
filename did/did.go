// Package did declares the vocabulary of DID resolution used by the DWN server: DID
// documents, verification methods, the Resolver interface, DID syntax checking, and
// Methods, which dispatches to one resolver per DID method.
//
// # Usage
//
// Each DID method is implemented by a sibling package (did/didjwk, did/didkey). A server
// composes them:
//
//	r := did.Methods{didjwk.Method: didjwk.Resolver{}, didkey.Method: didkey.Resolver{}}
//	doc, err := r.Resolve(ctx, "did:key:z6Mk…")
//
// The methods a Methods value supports are exactly its keys; an unknown method fails with
// code DidMethodNotSupported (401), and the error names the supported methods. The
// reference (@tbd54566975/dwn-sdk-js 0.5.2) resolves did:dht, did:jwk, did:key and did:web
// by default; this project implements did:jwk and did:key so far.
//
// # Limits and errors
//
// A DID is at most MaxLength bytes. Errors are *dwn.Error values: a malformed DID has kind
// Invalid and code CodeInvalidDID; an unsupported method has kind Unauthorized and code
// CodeMethodNotSupported; a DID that does not exist has kind NotFound and code
// CodeNotFound; a resolver whose remote source is down returns kind Unavailable. Error
// messages never quote the DID.
package did

import (
	"context"
	"slices"
	"strings"

	"github.com/dwn-ipfs/dwn-ipfs/dwn"
	"github.com/dwn-ipfs/dwn-ipfs/dwn/jwk"
)

// MaxLength is the longest DID accepted, in bytes. A did:jwk of a P-256 key with kid and
// alg is about 300 bytes; 8 KiB leaves room for any real DID and bounds the work an
// attacker can cause.
const MaxLength = 8 << 10

// Error codes of DID resolution. The reference reports these conditions as
// didResolutionMetadata.error values (invalidDid, methodNotSupported, notFound) rather
// than as DwnErrorCodes.
const (
	// CodeInvalidDID reports a string that is not a DID, or a DID whose method-specific
	// identifier the method cannot decode.
	CodeInvalidDID = "DidInvalid"
	// CodeMethodNotSupported reports a DID method no resolver is configured for.
	CodeMethodNotSupported = "DidMethodNotSupported"
	// CodeNotFound reports a well-formed DID that does not resolve to a document.
	CodeNotFound = "DidNotFound"
)

// Document is a DID document (W3C DID Core §5). Only the members the DWN uses are typed;
// relationship entries (Authentication, …) are either DID URL strings or embedded
// verification methods, as in the JSON.
type Document struct {
	Context              any                  `json:"@context,omitempty"`
	ID                   string               `json:"id"`
	VerificationMethod   []VerificationMethod `json:"verificationMethod,omitempty"`
	Authentication       []any                `json:"authentication,omitempty"`
	AssertionMethod      []any                `json:"assertionMethod,omitempty"`
	CapabilityInvocation []any                `json:"capabilityInvocation,omitempty"`
	CapabilityDelegation []any                `json:"capabilityDelegation,omitempty"`
	KeyAgreement         []any                `json:"keyAgreement,omitempty"`
	Service              []Service            `json:"service,omitempty"`
}

// VerificationMethod is one public key of a DID document. The DWN verifies signatures only
// with methods of type JsonWebKey or JsonWebKey2020 that carry a PublicKeyJwk.
type VerificationMethod struct {
	ID                 string   `json:"id"`
	Type               string   `json:"type"`
	Controller         string   `json:"controller"`
	PublicKeyJwk       *jwk.JWK `json:"publicKeyJwk,omitempty"`
	PublicKeyMultibase string   `json:"publicKeyMultibase,omitempty"`
}

// Service is a service endpoint of a DID document, such as a DecentralizedWebNode entry
// whose ServiceEndpoint lists DWN URLs.
type Service struct {
	ID              string `json:"id"`
	Type            string `json:"type"`
	ServiceEndpoint any    `json:"serviceEndpoint"`
}

// Resolver resolves a DID (not a DID URL) to its document. Implementations must be safe
// for concurrent use, must honour ctx for any I/O, and must return *dwn.Error values with
// the codes of this package.
type Resolver interface {
	Resolve(ctx context.Context, did string) (*Document, error)
}

// Method checks that did is a syntactically valid DID (W3C DID Core §3.1: "did:", a
// method name of [a-z0-9]+, ":", and a non-empty method-specific identifier of ALPHA,
// DIGIT, ".", "-", "_", percent-encodings and inner colons; no path, query or fragment)
// of at most MaxLength bytes, and returns its method name.
func Method(did string) (string, error) {
	if len(did) > MaxLength {
		return "", dwn.Errorf(dwn.Invalid, CodeInvalidDID, "DID is longer than %d bytes", MaxLength)
	}
	rest, ok := strings.CutPrefix(did, "did:")
	if !ok {
		return "", dwn.Errorf(dwn.Invalid, CodeInvalidDID, "DID does not start with did:")
	}
	method, id, ok := strings.Cut(rest, ":")
	if !ok || method == "" {
		return "", dwn.Errorf(dwn.Invalid, CodeInvalidDID, "DID has no method name")
	}
	for i := 0; i < len(method); i++ {
		if c := method[i]; !('a' <= c && c <= 'z' || '0' <= c && c <= '9') {
			return "", dwn.Errorf(dwn.Invalid, CodeInvalidDID, "DID method name is not [a-z0-9]+")
		}
	}
	if !validMethodID(id) {
		return "", dwn.Errorf(dwn.Invalid, CodeInvalidDID, "DID method-specific identifier is not valid")
	}
	return method, nil
}

// validMethodID reports whether id matches *( *idchar ":" ) 1*idchar.
func validMethodID(id string) bool {
	if id == "" || id[len(id)-1] == ':' {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9',
			c == '.', c == '-', c == '_', c == ':':
		case c == '%':
			if i+2 >= len(id) || !isHex(id[i+1]) || !isHex(id[i+2]) {
				return false
			}
			i += 2
		default:
			return false
		}
	}
	return true
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// Methods is a Resolver that dispatches on the DID method: the key is a method name
// ("jwk", "key", …) and the value resolves DIDs of that method. The supported methods are
// exactly the keys. The map must not be modified while Resolve may run.
type Methods map[string]Resolver

// Resolve checks the DID syntax and calls the resolver of its method. A DID whose method
// has no resolver fails with kind Unauthorized and code CodeMethodNotSupported.
func (m Methods) Resolve(ctx context.Context, did string) (*Document, error) {
	method, err := Method(did)
	if err != nil {
		return nil, err
	}
	r, ok := m[method]
	if !ok || r == nil {
		supported := strings.Join(m.Names(), ", ")
		if supported == "" {
			supported = "none"
		}
		return nil, dwn.Errorf(dwn.Unauthorized, CodeMethodNotSupported,
			"DID method not supported; supported methods: %s", supported)
	}
	return r.Resolve(ctx, did)
}

// Names returns the supported method names, sorted.
func (m Methods) Names() []string {
	names := make([]string, 0, len(m))
	for n, r := range m {
		if r != nil {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	return names
}
