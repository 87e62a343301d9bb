package node

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"

	"github.com/dwn-ipfs/dwn-ipfs/dwn"
	"github.com/dwn-ipfs/dwn-ipfs/dwn/jws"
)

// signed is a parsed signature of a message: who signed and what the payload says.
type signed struct {
	jws     *dwn.GeneralJWS
	signer  string         // DID of the signer (kid up to '#')
	payload map[string]any // decoded payload, numbers as json.Number
	// author is whom the signature speaks for: the signer, or the grantor of the
	// delegated grant the signer signed under.
	author string
	// delegation is the delegated grant the signer signed under, nil if none.
	delegation *delegation
}

func (s *signed) str(k string) string {
	v, _ := s.payload[k].(string)
	return v
}

var b64 = base64.RawURLEncoding

// parseSignature checks the structure of a signature as the reference's
// Message.validateSignatureStructure does: exactly one signature, a JSON-object payload
// valid against payloadSchema, and a descriptorCid equal to the descriptor's CID.
func (n *Node) parseSignature(g *dwn.GeneralJWS, descriptorCID, payloadSchema string) (*signed, error) {
	if len(g.Signatures) != 1 {
		return nil, dwn.Errorf(dwn.Invalid, "AuthenticationMoreThanOneSignatureNotSupported",
			"expected no more than 1 signature for authorization purpose")
	}
	raw, err := b64.DecodeString(g.Payload)
	if err != nil {
		return nil, dwn.Errorf(dwn.Invalid, "JwsDecodePlainObjectPayloadInvalid", "payload is not a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var payload map[string]any
	if err := dec.Decode(&payload); err != nil || payload == nil {
		return nil, dwn.Errorf(dwn.Invalid, "JwsDecodePlainObjectPayloadInvalid", "payload is not a JSON object")
	}
	if err := n.schemas.Validate(payloadSchema, payload); err != nil {
		return nil, err
	}
	s := &signed{jws: g, payload: payload}
	if got := s.str("descriptorCid"); got != descriptorCID {
		return nil, dwn.Errorf(dwn.Invalid, "AuthenticateDescriptorCidMismatch",
			"provided descriptorCid %s does not match expected CID %s", truncate(got, 100), descriptorCID)
	}
	s.signer = signerOf(g.Signatures[0].Protected)
	s.author = s.signer
	return s, nil
}

// genericSignature parses the message's signature with the generic payload
// (descriptorCid, permissionGrantId, protocolRole, ...); nil when the message has none.
func (n *Node) genericSignature(r *request) (*signed, error) {
	a := r.msg.Authorization
	if a == nil || a.Signature == nil {
		return nil, nil
	}
	descCID, err := dwn.ComputeCID(r.descriptor())
	if err != nil {
		return nil, dwn.Errorf(dwn.Invalid, "SchemaValidatorFailure", "descriptor cannot be encoded")
	}
	return n.parseSignature(a.Signature, descCID, "GenericSignaturePayload")
}

// requiredSignature is genericSignature for messages that must be signed: 401
// AuthenticateJwsMissing when there is none.
func (n *Node) requiredSignature(r *request) (*signed, error) {
	s, err := n.genericSignature(r)
	if err == nil && s == nil {
		err = missingJWS()
	}
	return s, err
}

// signerOf returns the DID in the kid of a protected header, or "" if it has none.
func signerOf(protected string) string {
	raw, err := b64.DecodeString(protected)
	if err != nil {
		return ""
	}
	var h struct {
		Kid string `json:"kid"`
	}
	if json.Unmarshal(raw, &h) != nil {
		return ""
	}
	did, _, _ := strings.Cut(h.Kid, "#")
	return did
}

// authenticate verifies the signatures cryptographically (401 on failure).
func (n *Node) authenticate(ctx context.Context, sigs ...*signed) error {
	for _, s := range sigs {
		if s == nil {
			continue
		}
		g := &jws.General{Payload: s.jws.Payload}
		for _, e := range s.jws.Signatures {
			g.Signatures = append(g.Signatures, jws.Signature{Protected: e.Protected, Signature: e.Signature})
		}
		if _, err := n.verifier.Verify(ctx, g); err != nil {
			return err
		}
	}
	for _, s := range sigs {
		if s != nil && s.delegation != nil {
			if err := n.authenticateDelegation(ctx, s.delegation); err != nil {
				return err
			}
		}
	}
	return nil
}

// missingJWS is the reference's error for a message without authorization where one is needed.
func missingJWS() error {
	return dwn.Errorf(dwn.Unauthorized, "AuthenticateJwsMissing", "Missing JWS.")
}
