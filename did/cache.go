package did

import (
	"context"
	"sync"
)

// DefaultMemoryCacheSize is the number of documents a MemoryCache keeps by default.
const DefaultMemoryCacheSize = 10000

// MemoryCache remembers successfully resolved documents of a Resolver in memory. It is
// meant for methods whose documents never change (did:key, did:jwk: the document is a
// function of the DID), where resolving again only costs CPU (decoding and validating the
// key). When full, an arbitrary entry is evicted. Safe for concurrent use.
type MemoryCache struct {
	r    Resolver
	size int

	mu   sync.RWMutex
	docs map[string]*Document
}

// NewMemoryCache returns a cache of at most size documents (DefaultMemoryCacheSize if
// size <= 0) in front of r.
func NewMemoryCache(r Resolver, size int) *MemoryCache {
	if size <= 0 {
		size = DefaultMemoryCacheSize
	}
	return &MemoryCache{r: r, size: size, docs: make(map[string]*Document)}
}

// Resolve returns the cached document of did or resolves and caches it. Callers must not
// modify the returned document.
func (c *MemoryCache) Resolve(ctx context.Context, did string) (*Document, error) {
	c.mu.RLock()
	doc := c.docs[did]
	c.mu.RUnlock()
	if doc != nil {
		return doc, nil
	}
	doc, err := c.r.Resolve(ctx, did)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if len(c.docs) >= c.size {
		for k := range c.docs {
			delete(c.docs, k)
			break
		}
	}
	c.docs[did] = doc
	c.mu.Unlock()
	return doc, nil
}
