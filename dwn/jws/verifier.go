package jws

import (
	"container/list"
	"context"
	"crypto/sha256"
	"errors"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/dwn-ipfs/dwn-ipfs/did"
	"github.com/dwn-ipfs/dwn-ipfs/dwn"
	"github.com/dwn-ipfs/dwn-ipfs/dwn/jwk"
)

// Defaults of the Verifier cache, the reference's values.
const (
	// DefaultCacheSize is the number of successful verifications remembered.
	DefaultCacheSize = 100_000
	// DefaultCacheTTL is how long a successful verification is remembered.
	DefaultCacheTTL = 600 * time.Second
)

// DefaultAlgorithms returns the algorithms a Verifier allows when Verifier.Algorithms is
// nil: EdDSA, ES256K and ES256, the ones the reference can verify.
func DefaultAlgorithms() []string { return slices.Clone(defaultAlgorithms) }

var defaultAlgorithms = []string{jwk.EdDSA, jwk.ES256K, jwk.ES256}

// Verifier verifies General JWSs against the keys in the signers' DID documents. Set the
// fields before the first Verify and do not change them afterwards; a Verifier must not
// be copied after first use. It is safe for concurrent use.
type Verifier struct {
	// Resolver resolves signer DIDs. Required.
	Resolver did.Resolver

	// Algorithms is the allow-list of alg values. Nil means DefaultAlgorithms(). An alg
	// must also match the key's curve (see the package documentation); an allowed alg
	// that no curve uses can never verify.
	Algorithms []string

	// CacheSize is the number of successful verifications remembered, so that a message
	// seen again (a retry, or a grant embedded in many messages) is not verified twice.
	// Zero means DefaultCacheSize (100,000 entries, about 20 MB); a negative value disables the
	// cache. Least recently used entries are evicted first.
	CacheSize int

	// CacheTTL is how long a successful verification is remembered. Zero means
	// DefaultCacheTTL (600 s). Within this time a key removed from a DID document still
	// verifies the JWSs it already verified; lower it if key rotation must take effect
	// sooner.
	CacheTTL time.Duration

	now func() time.Time // for tests; nil means time.Now

	once  sync.Once
	mu    sync.Mutex
	cache *lru // nil if disabled
}

func (v *Verifier) init() {
	v.once.Do(func() {
		size, ttl := v.CacheSize, v.CacheTTL
		if size == 0 {
			size = DefaultCacheSize
		}
		if ttl <= 0 {
			ttl = DefaultCacheTTL
		}
		if size > 0 {
			v.cache = &lru{size: size, ttl: ttl, ll: list.New(), m: make(map[[32]byte]*list.Element)}
		}
		if v.now == nil {
			v.now = time.Now
		}
	})
}

// Verify verifies every signature of g and returns the signer DIDs in signature order.
// It fails on the first signature that does not verify; see the package documentation
// for the checks and the errors. A JWS without signatures fails.
func (v *Verifier) Verify(ctx context.Context, g *General) (signerDIDs []string, err error) {
	v.init()
	if g == nil || len(g.Signatures) == 0 {
		return nil, dwn.Errorf(dwn.Unauthorized, CodeInvalidSignature, "the JWS has no signatures")
	}
	signers := make([]string, 0, len(g.Signatures))
	for i := range g.Signatures {
		d, err := v.verifyOne(ctx, g.Payload, &g.Signatures[i])
		if err != nil {
			return nil, err
		}
		signers = append(signers, d)
	}
	return signers, nil
}

func (v *Verifier) verifyOne(ctx context.Context, payload string, s *Signature) (string, error) {
	h, err := s.Header()
	if err != nil {
		return "", &dwn.Error{Kind: dwn.Unauthorized, Code: CodeInvalidSignature,
			Message: "the protected header cannot be decoded", Err: err}
	}
	algs := v.Algorithms
	if algs == nil {
		algs = defaultAlgorithms
	}
	if !slices.Contains(algs, h.Alg) {
		return "", dwn.Errorf(dwn.Unauthorized, CodeInvalidSignature, "alg is not one of %s",
			strings.Join(algs, ", "))
	}
	signer := SignerDID(h.Kid)
	key := cacheKey(s.Protected, payload, s.Signature)
	if v.cacheGet(key) {
		return signer, nil
	}

	pub, err := v.publicKey(ctx, h.Kid, signer)
	if err != nil {
		return "", err
	}
	want := jwk.DefaultAlg(pub.Crv)
	if want == "" {
		return "", dwn.Errorf(dwn.Unauthorized, jwk.CodeUnsupportedCrv,
			"unsupported crv. crv must be one of Ed25519,secp256k1,P-256")
	}
	if h.Alg != want {
		return "", dwn.Errorf(dwn.Unauthorized, CodeInvalidSignature,
			"alg does not match the key: a %s key needs alg %s", pub.Crv, want)
	}
	sig, err := strict.DecodeString(s.Signature)
	if err != nil {
		return "", dwn.Errorf(dwn.Unauthorized, CodeInvalidSignature, "signature is not base64url without padding")
	}
	input := make([]byte, 0, len(s.Protected)+1+len(payload))
	input = append(append(append(input, s.Protected...), '.'), payload...)
	if err := pub.Verify(input, sig); err != nil {
		if errors.Is(err, jwk.ErrInvalidSignature) {
			// The DID has resolved, so it is a well-formed DID of bounded length.
			return "", dwn.Errorf(dwn.Unauthorized, CodeInvalidSignature, "Signature verification failed for %s", signer)
		}
		return "", err
	}
	v.cachePut(key)
	return signer, nil
}

// publicKey resolves the signer DID and selects the verification method for kid.
func (v *Verifier) publicKey(ctx context.Context, kid, signer string) (*jwk.JWK, error) {
	if v.Resolver == nil {
		return nil, &dwn.Error{Kind: dwn.Internal, Op: "jws.Verify", Err: errors.New("Verifier.Resolver is nil")}
	}
	notFound := func(msg string, cause error) error {
		return &dwn.Error{Kind: dwn.Unauthorized, Code: CodePublicKeyMissing, Message: msg, Err: cause}
	}
	doc, err := v.Resolver.Resolve(ctx, signer)
	if err != nil {
		if ctx.Err() != nil || dwn.KindOf(err) == dwn.Unavailable {
			return nil, &dwn.Error{Kind: dwn.Unavailable, Op: "jws.Verify", Message: "DID resolution is unavailable", Err: err}
		}
		return nil, notFound("public key needed to verify signature not found in DID Document", err)
	}
	if doc == nil {
		return nil, notFound("public key needed to verify signature not found in DID Document", nil)
	}
	for i := range doc.VerificationMethod {
		vm := &doc.VerificationMethod[i]
		if !strings.HasSuffix(kid, vm.ID) {
			continue
		}
		if err := checkMethod(vm); err != nil {
			return nil, notFound(err.Error(), nil)
		}
		return vm.PublicKeyJwk, nil
	}
	return nil, notFound("public key needed to verify signature not found in DID Document", nil)
}

// checkMethod applies the reference's jwk-verification-method.json schema: type JsonWebKey
// or JsonWebKey2020, a DID as controller, a public JWK with a known kty (and crv and x for
// EC and OKP keys), and no publicKeyMultibase. The schema also forbids any other member;
// did.VerificationMethod does not keep unknown members, so that part is not checked.
func checkMethod(vm *did.VerificationMethod) error {
	switch {
	case vm.Type != "JsonWebKey" && vm.Type != "JsonWebKey2020":
		return errors.New("verification method type must be JsonWebKey or JsonWebKey2020")
	case vm.PublicKeyMultibase != "":
		return errors.New("verification method must not have publicKeyMultibase")
	case vm.PublicKeyJwk == nil:
		return errors.New("verification method has no publicKeyJwk")
	case vm.PublicKeyJwk.IsPrivate():
		return errors.New("verification method publicKeyJwk must not contain d")
	}
	if _, err := did.Method(vm.Controller); err != nil {
		return errors.New("verification method controller is not a DID")
	}
	k := vm.PublicKeyJwk
	switch k.Kty {
	case jwk.KeyTypeEC, jwk.KeyTypeOKP:
		if k.Crv == "" || k.X == "" {
			return errors.New("verification method publicKeyJwk needs crv and x")
		}
	case "RSA", "oct":
	default:
		return errors.New("verification method publicKeyJwk has no valid kty")
	}
	return nil
}

// cacheKey hashes the reference's cache key protected.payload.signature, so that entries
// have a fixed size.
func cacheKey(protected, payload, signature string) [32]byte {
	h := sha256.New()
	h.Write([]byte(protected))
	h.Write([]byte{'.'})
	h.Write([]byte(payload))
	h.Write([]byte{'.'})
	h.Write([]byte(signature))
	var k [32]byte
	h.Sum(k[:0])
	return k
}

func (v *Verifier) cacheGet(key [32]byte) bool {
	if v.cache == nil {
		return false
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.cache.get(key, v.now())
}

func (v *Verifier) cachePut(key [32]byte) {
	if v.cache == nil {
		return
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	v.cache.put(key, v.now())
}

// lru is a size-bounded set of keys with expiry; the caller holds the lock.
type lru struct {
	size int
	ttl  time.Duration
	ll   *list.List // of *entry, most recently used first
	m    map[[32]byte]*list.Element
}

type entry struct {
	key     [32]byte
	expires time.Time
}

func (c *lru) get(key [32]byte, now time.Time) bool {
	el, ok := c.m[key]
	if !ok {
		return false
	}
	if !now.Before(el.Value.(*entry).expires) {
		c.ll.Remove(el)
		delete(c.m, key)
		return false
	}
	c.ll.MoveToFront(el)
	return true
}

func (c *lru) put(key [32]byte, now time.Time) {
	if el, ok := c.m[key]; ok {
		el.Value.(*entry).expires = now.Add(c.ttl)
		c.ll.MoveToFront(el)
		return
	}
	c.m[key] = c.ll.PushFront(&entry{key: key, expires: now.Add(c.ttl)})
	for c.ll.Len() > c.size {
		last := c.ll.Back()
		c.ll.Remove(last)
		delete(c.m, last.Value.(*entry).key)
	}
}

// len returns the number of entries, expired or not.
func (c *lru) len() int { return c.ll.Len() }
