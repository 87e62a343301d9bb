package dataschema

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/dwn-ipfs/dwn-ipfs/dwn"
)

// Defaults of the Options limits.
const (
	// DefaultMaxSchemaBytes is the default of Options.MaxSchemaBytes: 256 KiB.
	DefaultMaxSchemaBytes = 256 << 10
	// DefaultMaxDataBytes is the default of Options.MaxDataBytes: 1 MiB.
	DefaultMaxDataBytes = 1 << 20
	// DefaultMaxCompiled is the default of Options.MaxCompiled.
	DefaultMaxCompiled = 1024
	// DefaultMaxAbsent is the default of Options.MaxAbsent.
	DefaultMaxAbsent = 16384
	// DefaultMaxDepth is the default of Options.MaxDepth.
	DefaultMaxDepth = 128
)

// Source finds the schemas tenants have installed as records of the schema protocol. The
// node implements it over its message and data stores.
type Source interface {
	// TenantSchema returns the schema document the tenant has installed for uri, ok=false
	// if it has none, or an error if the lookup failed (the error is passed on, wrapped, to
	// the caller of Registry.Validate or Registry.Known and the result is not cached).
	// It must be safe for concurrent use.
	TenantSchema(ctx context.Context, tenant, uri string) (schema []byte, ok bool, err error)
}

// Options configure a Registry. A zero or negative limit means its default.
type Options struct {
	// MaxSchemaBytes bounds the size of one schema document, from the directory or from a
	// tenant. Default DefaultMaxSchemaBytes (256 KiB). A larger file makes LoadDir fail;
	// a larger tenant schema is refused by CheckSchema and, if one is found through
	// Source anyway, makes writes naming it fail with CodeSchemaInvalid. Raise it if
	// operators ship large schemas; compiled schemas take several times their size in
	// memory.
	MaxSchemaBytes int

	// MaxDataBytes bounds the data validated against a known schema. Default
	// DefaultMaxDataBytes (1 MiB). Data is validated whole, in memory, not streamed, so
	// larger data with a known schema is refused with CodeDataTooLarge (kind
	// dwn.TooLarge); data naming no known schema is not affected. Validation costs
	// roughly linear time in the data size.
	MaxDataBytes int64

	// MaxCompiled bounds the number of compiled tenant schemas kept in memory (the least
	// recently used is evicted). Default DefaultMaxCompiled. Too small a value shows as
	// repeated Source lookups and compilations under load.
	MaxCompiled int

	// MaxAbsent bounds the number of (tenant, uri) pairs remembered as having no tenant
	// schema (the least recently used is forgotten). Default DefaultMaxAbsent. These
	// entries are small; the bound only keeps writes naming random schema URIs from
	// growing memory without limit.
	MaxAbsent int

	// MaxDepth bounds the nesting of arrays and objects in data and schemas. Default
	// DefaultMaxDepth. Deeper documents are refused as invalid JSON.
	MaxDepth int

	// Source looks up tenant schemas. Nil means tenants cannot install schemas: only the
	// directory schemas apply.
	Source Source
}

func (o Options) withDefaults() Options {
	if o.MaxSchemaBytes <= 0 {
		o.MaxSchemaBytes = DefaultMaxSchemaBytes
	}
	if o.MaxDataBytes <= 0 {
		o.MaxDataBytes = DefaultMaxDataBytes
	}
	if o.MaxCompiled <= 0 {
		o.MaxCompiled = DefaultMaxCompiled
	}
	if o.MaxAbsent <= 0 {
		o.MaxAbsent = DefaultMaxAbsent
	}
	if o.MaxDepth <= 0 {
		o.MaxDepth = DefaultMaxDepth
	}
	return o
}

// Registry knows the data schemas: those loaded from a directory by LoadDir, which apply
// to every tenant, and those tenants install, found through Options.Source. It is safe
// for concurrent use.
type Registry struct {
	opts Options
	dir  atomic.Pointer[dirSet]

	mu       sync.Mutex
	compiled *lru[cacheKey, *tenantEntry] // tenant schemas found, compiled or broken
	absent   *lru[cacheKey, struct{}]     // (tenant, uri) pairs without a tenant schema
	pending  map[cacheKey]*pending        // Source lookups in flight
	epoch    uint64                       // incremented by every successful LoadDir
}

// dirSet is the immutable result of one LoadDir.
type dirSet struct {
	schemas map[string]*jsonschema.Schema // by $id
	docs    map[string]any                // decoded documents by $id, for tenant $refs
}

type cacheKey struct{ tenant, uri string }

// tenantEntry is a cached tenant schema: compiled, or the reason it cannot be used.
type tenantEntry struct {
	sch *jsonschema.Schema
	err error
}

// pending tracks the Source lookups in flight for one key. Invalidate marks it stale so
// that a lookup that may have read the old schema does not cache its result.
type pending struct {
	n     int
	stale bool
}

// New returns a Registry with no schemas; call LoadDir to add the directory schemas.
func New(opts Options) *Registry {
	opts = opts.withDefaults()
	r := &Registry{
		opts:     opts,
		compiled: newLRU[cacheKey, *tenantEntry](opts.MaxCompiled),
		absent:   newLRU[cacheKey, struct{}](opts.MaxAbsent),
		pending:  map[cacheKey]*pending{},
	}
	r.dir.Store(&dirSet{})
	return r
}

// MaxDataBytes returns the effective Options.MaxDataBytes, so the node can refuse a write
// whose declared dataSize is over it before reading any data.
func (r *Registry) MaxDataBytes() int64 { return r.opts.MaxDataBytes }

// Known reports whether a schema for uri applies to the tenant's data: a tenant schema
// (even one that cannot be used, which Validate then reports) or a directory schema. The
// node calls it to decide whether it must buffer a write's data for Validate. Errors come
// only from Source.
func (r *Registry) Known(ctx context.Context, tenant, uri string) (bool, error) {
	uri = normalizeURI(uri)
	e, err := r.tenantSchema(ctx, tenant, uri)
	if err != nil {
		return false, err
	}
	if e != nil {
		return true, nil
	}
	_, ok := r.dir.Load().schemas[uri]
	return ok, nil
}

// Validate checks data, the bytes of a record whose schema is uri and whose dataFormat is
// application/json, against the schema that applies to the tenant: its own schema for uri
// if it has one, else the directory schema for uri. If neither exists, Validate returns
// nil without reading data. Otherwise it returns nil if data is one JSON value that the
// schema accepts, and an error of the dwn vocabulary if not:
//
//   - a *ValidationError (which wraps a *dwn.Error of kind dwn.Invalid, code
//     CodeMismatch) if the data breaks the schema;
//   - a *dwn.Error of kind dwn.TooLarge, code CodeDataTooLarge, if data is longer than
//     Options.MaxDataBytes;
//   - a *dwn.Error of kind dwn.Invalid, code CodeInvalidData, if data is not strict JSON
//     within the limits (see the package documentation);
//   - a *dwn.Error of kind dwn.Invalid, code CodeSchemaInvalid, if the tenant's schema
//     for uri cannot be used (it does not compile, is too large, ...);
//   - the error of Source, wrapped, if the tenant lookup failed.
func (r *Registry) Validate(ctx context.Context, tenant, uri string, data []byte) error {
	uri = normalizeURI(uri)
	sch, err := r.lookup(ctx, tenant, uri)
	if err != nil || sch == nil {
		return err
	}
	if int64(len(data)) > r.opts.MaxDataBytes {
		return dwn.Errorf(dwn.TooLarge, CodeDataTooLarge,
			"data of %d bytes is over the %d-byte limit for validation against schema %s",
			len(data), r.opts.MaxDataBytes, clip(uri, maxURIText))
	}
	v, err := decodeStrict(data, r.opts.MaxDepth)
	if err != nil {
		return dwn.Errorf(dwn.Invalid, CodeInvalidData, "data for schema %s: %s", clip(uri, maxURIText), err)
	}
	if err := sch.Validate(v); err != nil {
		return newValidationError(uri, err)
	}
	return nil
}

// lookup returns the compiled schema for uri that applies to the tenant, or nil.
func (r *Registry) lookup(ctx context.Context, tenant, uri string) (*jsonschema.Schema, error) {
	e, err := r.tenantSchema(ctx, tenant, uri)
	if err != nil {
		return nil, err
	}
	if e != nil {
		return e.sch, e.err
	}
	return r.dir.Load().schemas[uri], nil
}

// tenantSchema returns the tenant's schema for uri from the cache or Source, or nil if the
// tenant has none (or there is no Source).
func (r *Registry) tenantSchema(ctx context.Context, tenant, uri string) (*tenantEntry, error) {
	if r.opts.Source == nil {
		return nil, nil
	}
	k := cacheKey{tenant, uri}
	r.mu.Lock()
	if e, ok := r.compiled.get(k); ok {
		r.mu.Unlock()
		return e, nil
	}
	if _, ok := r.absent.get(k); ok {
		r.mu.Unlock()
		return nil, nil
	}
	p := r.pending[k]
	if p == nil {
		p = &pending{}
		r.pending[k] = p
	}
	p.n++
	epoch, dir := r.epoch, r.dir.Load()
	r.mu.Unlock()

	raw, ok, err := r.opts.Source.TenantSchema(ctx, tenant, uri)
	var e *tenantEntry
	if err == nil && ok {
		sch, cerr := r.compileTenant(uri, raw, dir)
		if cerr != nil {
			why := cerr.Error()
			var de *dwn.Error
			if errors.As(cerr, &de) {
				why = de.Message
			}
			cerr = dwn.Errorf(dwn.Invalid, CodeSchemaInvalid, "tenant schema %s cannot be used: %s",
				clip(uri, maxURIText), why)
		}
		e = &tenantEntry{sch: sch, err: cerr}
	}

	r.mu.Lock()
	p.n--
	if p.n == 0 && r.pending[k] == p {
		delete(r.pending, k)
	}
	switch {
	case err != nil || p.stale:
	case e != nil:
		if r.epoch == epoch { // compiled against the current directory
			r.compiled.add(k, e)
		}
	default:
		r.absent.add(k, struct{}{})
	}
	r.mu.Unlock()

	if err != nil {
		return nil, fmt.Errorf("dataschema: looking up tenant schema %s: %w", clip(uri, maxURIText), err)
	}
	return e, nil
}

// Invalidate forgets what the registry knows about the tenant's schema for uri, found or
// not. The node calls it after a tenant's schema record for uri is written or deleted;
// lookups that started before are not cached.
func (r *Registry) Invalidate(tenant, uri string) {
	k := cacheKey{tenant, normalizeURI(uri)}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.compiled.remove(k)
	r.absent.remove(k)
	if p := r.pending[k]; p != nil {
		p.stale = true
		delete(r.pending, k)
	}
}

// normalizeURI drops an empty fragment, so that "https://x/s.json#" (the way draft-07
// schemas often spell their $id) and "https://x/s.json" name the same schema.
func normalizeURI(uri string) string {
	return strings.TrimSuffix(uri, "#")
}
