package jwk

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/asn1"
	"encoding/base64"
	"errors"
	"math/big"

	"github.com/decred/dcrd/dcrec/secp256k1/v4"
	k1ecdsa "github.com/decred/dcrd/dcrec/secp256k1/v4/ecdsa"

	"github.com/dwn-ipfs/dwn-ipfs/dwn"
)

// pub is a decoded public key; exactly one field is set.
type pub struct {
	ed     ed25519.PublicKey
	k1     *secp256k1.PublicKey
	p256   *ecdsa.PublicKey
	x25519 []byte
}

// publicKey decodes and validates the public part of k. Errors get the given kind.
func (k *JWK) publicKey(kind dwn.Kind) (*pub, error) {
	return k.decodePublic(kind, true)
}

// decodePublic decodes the public part of k. If checkPoint is false, an Ed25519 point is
// not decompressed: ed25519.Verify rejects a bad point anyway, and the check costs about
// as much as a verification.
func (k *JWK) decodePublic(kind dwn.Kind, checkPoint bool) (*pub, error) {
	if err := k.checkShape(); err != nil {
		err.Kind = kind
		return nil, err
	}
	switch k.Crv {
	case Ed25519:
		x, err := decodeMember(kind, k.Crv, "x", k.X, ed25519.PublicKeySize)
		if err != nil {
			return nil, err
		}
		if checkPoint && !validEd25519Point(x) {
			return nil, dwn.Errorf(kind, codeFor(k.Crv), "x is not a point on the Ed25519 curve")
		}
		return &pub{ed: x}, nil
	case X25519:
		x, err := decodeMember(kind, k.Crv, "x", k.X, 32)
		if err != nil {
			return nil, err
		}
		return &pub{x25519: x}, nil
	}
	x, err := decodeMember(kind, k.Crv, "x", k.X, 32)
	if err != nil {
		return nil, err
	}
	y, err := decodeMember(kind, k.Crv, "y", k.Y, 32)
	if err != nil {
		return nil, err
	}
	sec1 := make([]byte, 0, 65)
	sec1 = append(append(append(sec1, 4), x...), y...)
	if k.Crv == Secp256k1 {
		p, err := secp256k1.ParsePubKey(sec1)
		if err != nil {
			return nil, dwn.Errorf(kind, codeFor(k.Crv), "x, y is not a point on the secp256k1 curve")
		}
		return &pub{k1: p}, nil
	}
	p, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), sec1)
	if err != nil {
		return nil, dwn.Errorf(kind, codeFor(k.Crv), "x, y is not a point on the P-256 curve")
	}
	return &pub{p256: p}, nil
}

// priv is a decoded private key; exactly one field is set.
type priv struct {
	ed   ed25519.PrivateKey
	k1   *secp256k1.PrivateKey
	p256 *ecdsa.PrivateKey
}

// privateKey decodes d and checks that it matches the public members. Errors have kind
// Invalid.
func (k *JWK) privateKey() (*priv, error) {
	if k.D == "" {
		return nil, invalid(CodeNotPrivate, "the key has no private part d")
	}
	p, err := k.publicKey(dwn.Invalid)
	if err != nil {
		return nil, err
	}
	mismatch := invalid(codeFor(k.Crv), "d does not match the public key")
	switch k.Crv {
	case Ed25519:
		d, err := decodeMember(dwn.Invalid, k.Crv, "d", k.D, ed25519.SeedSize)
		if err != nil {
			return nil, err
		}
		sk := ed25519.NewKeyFromSeed(d)
		if subtle.ConstantTimeCompare(sk.Public().(ed25519.PublicKey), p.ed) != 1 {
			return nil, mismatch
		}
		return &priv{ed: sk}, nil
	case Secp256k1:
		d, err := decodeMember(dwn.Invalid, k.Crv, "d", k.D, 32)
		if err != nil {
			return nil, err
		}
		var s secp256k1.ModNScalar
		if overflow := s.SetByteSlice(d); overflow || s.IsZero() {
			return nil, invalid(codeFor(k.Crv), "d is out of range")
		}
		sk := secp256k1.NewPrivateKey(&s)
		if !sk.PubKey().IsEqual(p.k1) {
			return nil, mismatch
		}
		return &priv{k1: sk}, nil
	case P256:
		d, err := decodeMember(dwn.Invalid, k.Crv, "d", k.D, 32)
		if err != nil {
			return nil, err
		}
		sk, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), d)
		if err != nil {
			return nil, invalid(codeFor(k.Crv), "d is out of range")
		}
		if !sk.PublicKey.Equal(p.p256) {
			return nil, mismatch
		}
		return &priv{p256: sk}, nil
	}
	return nil, invalid(codeFor(k.Crv), "%s keys cannot sign", k.Crv)
}

// Generate returns a new private key on the curve crv (Ed25519, secp256k1 or P-256), with
// alg set to DefaultAlg(crv). Randomness comes from crypto/rand.
func Generate(crv string) (*JWK, error) {
	k := &JWK{Crv: crv, Alg: DefaultAlg(crv)}
	switch crv {
	case Ed25519:
		pk, sk, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return nil, dwn.Wrap("jwk.Generate", err)
		}
		k.Kty, k.X, k.D = KeyTypeOKP, b64(pk), b64(sk.Seed())
	case Secp256k1:
		sk, err := secp256k1.GeneratePrivateKey()
		if err != nil {
			return nil, dwn.Wrap("jwk.Generate", err)
		}
		u := sk.PubKey().SerializeUncompressed()
		k.Kty, k.X, k.Y, k.D = KeyTypeEC, b64(u[1:33]), b64(u[33:]), b64(sk.Serialize())
	case P256:
		sk, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return nil, dwn.Wrap("jwk.Generate", err)
		}
		d, err := sk.Bytes()
		if err != nil {
			return nil, dwn.Wrap("jwk.Generate", err)
		}
		u, err := sk.PublicKey.Bytes()
		if err != nil {
			return nil, dwn.Wrap("jwk.Generate", err)
		}
		k.Kty, k.X, k.Y, k.D = KeyTypeEC, b64(u[1:33]), b64(u[33:]), b64(d)
	default:
		return nil, invalid(CodeInvalid, "cannot generate keys for this crv; supported: Ed25519, secp256k1, P-256")
	}
	return k, nil
}

// FromPublicBytes returns the public JWK of a raw public key: 32 bytes for Ed25519 and
// X25519, or a SEC1 point (33 bytes compressed or 65 bytes uncompressed) for secp256k1 and
// P-256. The point is validated. This is the encoding did:key uses.
func FromPublicBytes(crv string, b []byte) (*JWK, error) {
	k := &JWK{Crv: crv}
	switch crv {
	case Ed25519, X25519:
		if len(b) != 32 {
			return nil, invalid(codeFor(crv), "an %s public key is 32 bytes", crv)
		}
		k.Kty, k.X = KeyTypeOKP, b64(b)
	case Secp256k1:
		p, err := secp256k1.ParsePubKey(b)
		if err != nil {
			return nil, invalid(codeFor(crv), "not a SEC1 point on the secp256k1 curve")
		}
		u := p.SerializeUncompressed()
		k.Kty, k.X, k.Y = KeyTypeEC, b64(u[1:33]), b64(u[33:])
	case P256:
		var u []byte
		switch {
		case len(b) == 33 && (b[0] == 2 || b[0] == 3):
			x, y := elliptic.UnmarshalCompressed(elliptic.P256(), b)
			if x == nil {
				return nil, invalid(codeFor(crv), "not a SEC1 point on the P-256 curve")
			}
			u = make([]byte, 65)
			u[0] = 4
			x.FillBytes(u[1:33])
			y.FillBytes(u[33:])
		case len(b) == 65 && b[0] == 4:
			u = b
		default:
			return nil, invalid(codeFor(crv), "not a SEC1 point on the P-256 curve")
		}
		k.Kty, k.X, k.Y = KeyTypeEC, b64(u[1:33]), b64(u[33:])
	default:
		return nil, invalid(CodeInvalid, "unsupported crv; supported: Ed25519, secp256k1, P-256, X25519")
	}
	if _, err := k.publicKey(dwn.Invalid); err != nil {
		return nil, err
	}
	return k, nil
}

// PublicBytes returns the compact encoding of the public key that did:key uses: the
// 32 raw bytes of an Ed25519 or X25519 key, or the 33-byte SEC1 compressed point of a
// secp256k1 or P-256 key.
func (k *JWK) PublicBytes() ([]byte, error) {
	p, err := k.publicKey(dwn.Invalid)
	if err != nil {
		return nil, err
	}
	switch {
	case p.ed != nil:
		return append([]byte(nil), p.ed...), nil
	case p.x25519 != nil:
		return p.x25519, nil
	case p.k1 != nil:
		return p.k1.SerializeCompressed(), nil
	}
	u, err := p.p256.Bytes()
	if err != nil {
		return nil, dwn.Wrap("jwk.PublicBytes", err)
	}
	c := make([]byte, 33)
	c[0] = 2 | u[64]&1
	copy(c[1:], u[1:33])
	return c, nil
}

// Sign signs data with the private key, using the algorithm of its curve (see the package
// documentation). Signatures are deterministic: Ed25519 by design, ES256K and ES256 with
// RFC 6979 nonces, so they equal the reference's byte for byte. Errors have kind Invalid.
func (k *JWK) Sign(data []byte) ([]byte, error) {
	if DefaultAlg(k.Crv) == "" {
		return nil, invalid(CodeUnsupportedCrv, "cannot sign with this crv; supported: Ed25519, secp256k1, P-256")
	}
	sk, err := k.privateKey()
	if err != nil {
		return nil, err
	}
	switch {
	case sk.ed != nil:
		return ed25519.Sign(sk.ed, data), nil
	case sk.k1 != nil:
		h := sha256.Sum256(data)
		sig := k1ecdsa.Sign(sk.k1, h[:])
		r, s := sig.R(), sig.S()
		out := make([]byte, 64)
		r.PutBytesUnchecked(out[:32])
		s.PutBytesUnchecked(out[32:])
		return out, nil
	}
	h := sha256.Sum256(data)
	der, err := sk.p256.Sign(nil, h[:], crypto.SHA256) // nil: deterministic RFC 6979
	if err != nil {
		return nil, dwn.Wrap("jwk.Sign", err)
	}
	var rs struct{ R, S *big.Int }
	if rest, err := asn1.Unmarshal(der, &rs); err != nil || len(rest) != 0 {
		return nil, &dwn.Error{Kind: dwn.Internal, Op: "jwk.Sign", Err: errors.New("cannot parse the ECDSA signature")}
	}
	out := make([]byte, 64)
	rs.R.FillBytes(out[:32])
	rs.S.FillBytes(out[32:])
	return out, nil
}

// Verify checks sig over data with the public part of k, dispatching on crv exactly as
// the reference does (see the package documentation). It returns nil on success,
// ErrInvalidSignature (kind Unauthorized) if the signature is malformed or wrong, an
// Unauthorized error with code JwsVerifySignatureUnsupportedCrv for a curve that cannot
// sign, and an Unauthorized error with the reference's per-curve code for a bad key.
func (k *JWK) Verify(data, sig []byte) error {
	if DefaultAlg(k.Crv) == "" {
		return dwn.Errorf(dwn.Unauthorized, CodeUnsupportedCrv,
			"unsupported crv. crv must be one of Ed25519,secp256k1,P-256")
	}
	p, err := k.decodePublic(dwn.Unauthorized, false)
	if err != nil {
		return err
	}
	if len(sig) == 0 {
		return errInvalidSignature()
	}
	ok := false
	switch {
	case p.ed != nil:
		ok = len(sig) == ed25519.SignatureSize && ed25519.Verify(p.ed, data, sig)
	case p.k1 != nil:
		ok = verifySecp256k1(p.k1, data, sig)
	case p.p256 != nil:
		h := sha256.Sum256(data)
		if len(sig) == 64 {
			r := new(big.Int).SetBytes(sig[:32])
			s := new(big.Int).SetBytes(sig[32:])
			ok = ecdsa.Verify(p.p256, h[:], r, s)
		} else {
			ok = ecdsa.VerifyASN1(p.p256, h[:], sig)
		}
	}
	if !ok {
		return errInvalidSignature()
	}
	return nil
}

// verifySecp256k1 verifies a compact 64-byte r||s signature over sha256(data). High S is
// accepted; r and s must be in [1, N-1].
func verifySecp256k1(pk *secp256k1.PublicKey, data, sig []byte) bool {
	if len(sig) != 64 {
		return false
	}
	var r, s secp256k1.ModNScalar
	if r.SetByteSlice(sig[:32]) || s.SetByteSlice(sig[32:]) || r.IsZero() || s.IsZero() {
		return false
	}
	h := sha256.Sum256(data)
	return k1ecdsa.NewSignature(&r, &s).Verify(h[:], pk)
}

func errInvalidSignature() error {
	e := *ErrInvalidSignature
	return &e
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// Ed25519 point decoding (RFC 8032 §5.1.3), used only to validate public keys the way
// @web5/crypto does before it accepts a did:key.
var (
	edP = func() *big.Int { // 2^255 - 19
		p := new(big.Int).Lsh(big.NewInt(1), 255)
		return p.Sub(p, big.NewInt(19))
	}()
	edD = func() *big.Int { // -121665 / 121666 mod p
		n := new(big.Int).Neg(big.NewInt(121665))
		inv := new(big.Int).ModInverse(big.NewInt(121666), edP)
		n.Mul(n, inv)
		return n.Mod(n, edP)
	}()
)

// validEd25519Point reports whether b is the canonical encoding of a point on the
// Ed25519 curve: y < p, x^2 = (y^2-1)/(d*y^2+1) has a root, and x = 0 is not encoded with
// the sign bit set.
func validEd25519Point(b []byte) bool {
	if len(b) != 32 {
		return false
	}
	le := make([]byte, 32)
	for i := range b {
		le[31-i] = b[i]
	}
	sign := le[0] >> 7
	le[0] &= 0x7f
	y := new(big.Int).SetBytes(le)
	if y.Cmp(edP) >= 0 {
		return false
	}
	y2 := new(big.Int).Mul(y, y)
	y2.Mod(y2, edP)
	u := new(big.Int).Sub(y2, big.NewInt(1))
	u.Mod(u, edP)
	v := new(big.Int).Mul(edD, y2)
	v.Add(v, big.NewInt(1))
	v.Mod(v, edP)
	vInv := new(big.Int).ModInverse(v, edP)
	if vInv == nil {
		return false
	}
	x2 := u.Mul(u, vInv)
	x2.Mod(x2, edP)
	if x2.Sign() == 0 {
		return sign == 0
	}
	return new(big.Int).ModSqrt(x2, edP) != nil
}
