package dataschema_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/dwn-ipfs/dwn-ipfs/dwn"
	"github.com/dwn-ipfs/dwn-ipfs/schemas/dataschema"
)

// fakeSource is a Source over a map that counts lookups.
type fakeSource struct {
	mu      sync.Mutex
	schemas map[string]string // by tenant + " " + uri
	calls   map[string]int
	err     error
	hook    func(tenant, uri string) // if set, called first by every lookup
}

func newFakeSource() *fakeSource {
	return &fakeSource{schemas: map[string]string{}, calls: map[string]int{}}
}

func (s *fakeSource) TenantSchema(ctx context.Context, tenant, uri string) ([]byte, bool, error) {
	s.mu.Lock()
	hook := s.hook
	s.mu.Unlock()
	if hook != nil {
		hook(tenant, uri)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	k := tenant + " " + uri
	s.calls[k]++
	if s.err != nil {
		return nil, false, s.err
	}
	v, ok := s.schemas[k]
	return []byte(v), ok, nil
}

func (s *fakeSource) set(tenant, uri, schema string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if schema == "" {
		delete(s.schemas, tenant+" "+uri)
		return
	}
	s.schemas[tenant+" "+uri] = schema
}

func (s *fakeSource) setErr(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.err = err
}

func (s *fakeSource) setHook(hook func(tenant, uri string)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hook = hook
}

func (s *fakeSource) count(tenant, uri string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[tenant+" "+uri]
}

const (
	alice   = "did:example:alice"
	bob     = "did:example:bob"
	noteURI = "https://alice.example/schemas/note.json"
)

// pointerOf returns the pointer of a *ValidationError, "valid" for nil, or the error text.
func pointerOf(err error) string {
	var ve *dataschema.ValidationError
	switch {
	case err == nil:
		return "valid"
	case errors.As(err, &ve):
		return ve.Pointer + " " + ve.Keyword
	}
	return err.Error()
}

func TestTenantSchemas(t *testing.T) {
	src := newFakeSource()
	r := loaded(t, dataschema.Options{Source: src})
	src.set(alice, postURI, `{"$id": "`+postURI+`", "type": "object", "required": ["headline"]}`)
	src.set(alice, noteURI, `{"type": "object", "properties": {"home": {"$ref": "`+addressURI+`"}}}`)

	tests := []struct {
		name, tenant, uri, data string
		want                    string // pointerOf the result
	}{
		{"tenant schema takes precedence", alice, postURI, validPost, " required"},
		{"tenant schema accepts", alice, postURI, `{"headline": "x"}`, "valid"},
		{"directory schema for other tenants", bob, postURI, validPost, "valid"},
		{"directory schema refuses", bob, postURI, `{"headline": "x"}`, " additionalProperties"},
		{"tenant-only URI", alice, noteURI, `{"home": {"street": "s", "zip": "1"}}`, "/home/zip pattern"},
		{"tenant-only URI unknown to others", bob, noteURI, `{"home": 1}`, "valid"},
		{"tenant without schemas falls back to directory", bob, addressURI, `{"street": "s"}`, " required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := pointerOf(r.Validate(context.Background(), tt.tenant, tt.uri, []byte(tt.data)))
			if got != tt.want {
				t.Errorf("Validate: %q, want %q", got, tt.want)
			}
		})
	}
	for _, k := range []struct {
		tenant, uri string
		want        bool
	}{{alice, noteURI, true}, {bob, noteURI, false}, {bob, postURI, true}, {alice, "https://x.example/none", false}} {
		if got, err := r.Known(context.Background(), k.tenant, k.uri); got != k.want || err != nil {
			t.Errorf("Known(%s, %s) = %v, %v; want %v", k.tenant, k.uri, got, err, k.want)
		}
	}
}

func TestSourceError(t *testing.T) {
	src := newFakeSource()
	r := loaded(t, dataschema.Options{Source: src})
	boom := errors.New("store unavailable")
	src.setErr(boom)
	err := r.Validate(context.Background(), alice, postURI, []byte(validPost))
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), postURI) {
		t.Errorf("Validate: %v, want it to wrap %v and name the URI", err, boom)
	}
	if _, err := r.Known(context.Background(), alice, postURI); !errors.Is(err, boom) {
		t.Errorf("Known: %v, want it to wrap %v", err, boom)
	}
	kindErr := &dwn.Error{Kind: dwn.Unavailable, Message: "try later"}
	src.setErr(kindErr)
	if err := r.Validate(context.Background(), alice, postURI, []byte(validPost)); dwn.KindOf(err) != dwn.Unavailable {
		t.Errorf("Validate: %v, want kind %v", err, dwn.Unavailable)
	}
	// Failures are not cached.
	src.setErr(nil)
	if err := r.Validate(context.Background(), alice, postURI, []byte(validPost)); err != nil {
		t.Errorf("Validate after the source recovered: %v", err)
	}
	if n := src.count(alice, postURI); n != 4 {
		t.Errorf("source called %d times, want 4", n)
	}
}

func TestInvalidate(t *testing.T) {
	ctx := context.Background()
	src := newFakeSource()
	r := loaded(t, dataschema.Options{Source: src})
	const uri = "https://alice.example/schemas/v.json"
	data := []byte(`{"b": 1}`)

	src.set(alice, uri, `{"required": ["a"]}`)
	if got := pointerOf(r.Validate(ctx, alice, uri, data)); got != " required" {
		t.Fatalf("Validate: %q", got)
	}
	src.set(alice, uri, `{"required": ["b"]}`)
	if got := pointerOf(r.Validate(ctx, alice, uri, data)); got != " required" {
		t.Errorf("Validate before Invalidate: %q, want the cached schema's result", got)
	}
	r.Invalidate(alice, uri)
	if got := pointerOf(r.Validate(ctx, alice, uri, data)); got != "valid" {
		t.Errorf("Validate after Invalidate: %q, want the new schema's result", got)
	}
	if n := src.count(alice, uri); n != 2 {
		t.Errorf("source called %d times, want 2", n)
	}

	// Deleting the schema record makes the URI unknown again.
	src.set(alice, uri, "")
	r.Invalidate(alice, uri+"#") // the same URI
	if ok, err := r.Known(ctx, alice, uri); ok || err != nil {
		t.Errorf("Known after delete: %v, %v", ok, err)
	}

	// "No schema" is cached too, until Invalidate.
	for range 5 {
		if err := r.Validate(ctx, bob, uri, data); err != nil {
			t.Fatal(err)
		}
	}
	if n := src.count(bob, uri); n != 1 {
		t.Errorf("source called %d times for an absent schema, want 1", n)
	}
	src.set(bob, uri, `{"required": ["c"]}`)
	r.Invalidate(bob, uri)
	if got := pointerOf(r.Validate(ctx, bob, uri, data)); got != " required" {
		t.Errorf("Validate after installing: %q", got)
	}
	if n := src.count(bob, uri); n != 2 {
		t.Errorf("source called %d times, want 2", n)
	}
}

// TestInvalidateDuringLookup checks that a lookup that read a schema before Invalidate
// does not leave it cached.
func TestInvalidateDuringLookup(t *testing.T) {
	ctx := context.Background()
	src := newFakeSource()
	r := loaded(t, dataschema.Options{Source: src})
	const uri = "https://alice.example/schemas/v.json"
	data := []byte(`{"b": 1}`)
	src.set(alice, uri, `{"required": ["a"]}`)

	entered, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	src.setHook(func(string, string) {
		once.Do(func() {
			close(entered)
			<-release
		})
	})
	done := make(chan error)
	go func() { done <- r.Validate(ctx, alice, uri, data) }()
	<-entered
	// The lookup is in flight. The tenant replaces the schema; the node invalidates.
	src.set(alice, uri, `{"required": ["b"]}`)
	r.Invalidate(alice, uri)
	close(release)
	<-done // its result may be either; what matters is what is cached

	if got := pointerOf(r.Validate(ctx, alice, uri, data)); got != "valid" {
		t.Errorf("Validate after Invalidate: %q, want the new schema's result", got)
	}
	if n := src.count(alice, uri); n != 2 {
		t.Errorf("source called %d times, want 2", n)
	}
}

func TestCacheBounds(t *testing.T) {
	ctx := context.Background()
	src := newFakeSource()
	r := loaded(t, dataschema.Options{Source: src, MaxCompiled: 2, MaxAbsent: 2})
	const uri = "https://x.example/s.json"
	for _, tenant := range []string{"t1", "t2", "t3"} {
		src.set(tenant, uri, `{"type": "object"}`)
	}
	for _, tenant := range []string{"t1", "t2", "t3", "t3", "t2", "t1"} {
		if err := r.Validate(ctx, tenant, uri, []byte(`{}`)); err != nil {
			t.Fatal(err)
		}
	}
	// t1 was evicted by t3; t2 and t3 stayed.
	for tenant, want := range map[string]int{"t1": 2, "t2": 1, "t3": 1} {
		if n := src.count(tenant, uri); n != want {
			t.Errorf("source called %d times for %s, want %d", n, tenant, want)
		}
	}
	for _, tenant := range []string{"a1", "a2", "a3", "a3", "a2", "a1"} {
		if err := r.Validate(ctx, tenant, uri, []byte(`{}`)); err != nil {
			t.Fatal(err)
		}
	}
	for tenant, want := range map[string]int{"a1": 2, "a2": 1, "a3": 1} {
		if n := src.count(tenant, uri); n != want {
			t.Errorf("source called %d times for absent %s, want %d", n, tenant, want)
		}
	}
}

func TestBrokenTenantSchema(t *testing.T) {
	ctx := context.Background()
	src := newFakeSource()
	r := dataschema.New(dataschema.Options{Source: src, MaxSchemaBytes: 100})
	src.set(alice, "https://x.example/bad.json", `{"type": 12}`)
	src.set(alice, "https://x.example/big.json", `{"description": "`+strings.Repeat("x", 100)+`"}`)
	src.set(alice, "https://x.example/remote.json", `{"$ref": "https://remote.example.net/s.json"}`)
	for _, uri := range []string{"https://x.example/bad.json", "https://x.example/big.json", "https://x.example/remote.json"} {
		if ok, err := r.Known(ctx, alice, uri); !ok || err != nil {
			t.Errorf("Known(%s) = %v, %v; want true", uri, ok, err)
		}
		for range 2 {
			err := r.Validate(ctx, alice, uri, []byte(`{}`))
			if !errors.Is(err, &dwn.Error{Kind: dwn.Invalid, Code: dataschema.CodeSchemaInvalid}) || !strings.Contains(err.Error(), uri) {
				t.Errorf("Validate(%s): %v, want %s naming the URI", uri, err, dataschema.CodeSchemaInvalid)
			}
		}
		if n := src.count(alice, uri); n != 1 {
			t.Errorf("source called %d times for %s, want 1", n, uri)
		}
	}
}

// TestLoadDirDropsTenantSchemas checks that tenant schemas compiled against the old
// directory are compiled again after LoadDir.
func TestLoadDirDropsTenantSchemas(t *testing.T) {
	ctx := context.Background()
	src := newFakeSource()
	r := loaded(t, dataschema.Options{Source: src})
	src.set(alice, noteURI, `{"properties": {"home": {"$ref": "`+addressURI+`"}}}`)
	if got := pointerOf(r.Validate(ctx, alice, noteURI, []byte(`{"home": {}}`))); got != "/home required" {
		t.Fatalf("Validate: %q", got)
	}
	if _, err := r.LoadDir(ctx, "testdata/load/too-large"); err != nil {
		t.Fatal(err)
	}
	err := r.Validate(ctx, alice, noteURI, []byte(`{"home": {}}`))
	if dwn.CodeOf(err) != dataschema.CodeSchemaInvalid || !strings.Contains(err.Error(), addressURI) {
		t.Errorf("Validate after the referenced schema went away: %v, want %s", err, dataschema.CodeSchemaInvalid)
	}
}

// TestConcurrent validates, invalidates, replaces tenant schemas and reloads the directory
// from many goroutines; run it with -race.
func TestConcurrent(t *testing.T) {
	ctx := context.Background()
	src := newFakeSource()
	r := loaded(t, dataschema.Options{Source: src, MaxCompiled: 3, MaxAbsent: 3})
	tenants := []string{"t0", "t1", "t2", "t3", "t4"}
	strict := `{"type": "object", "required": ["headline"], "properties": {"home": {"$ref": "` + addressURI + `"}}}`
	lax := `{"type": "object"}`
	for _, tenant := range tenants[:3] {
		src.set(tenant, noteURI, strict)
	}

	var wg sync.WaitGroup
	errc := make(chan error, 100)
	for g := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 300 {
				tenant := tenants[(g+i)%len(tenants)]
				switch {
				case g == 0 && i%3 == 0:
					schema := strict
					if i%2 == 0 {
						schema = lax
					}
					src.set(tenant, noteURI, schema)
					r.Invalidate(tenant, noteURI)
				case g == 1 && i%50 == 0:
					if _, err := r.LoadDir(ctx, "testdata/schemas"); err != nil {
						errc <- err
						return
					}
				case i%2 == 0:
					err := r.Validate(ctx, tenant, postURI, []byte(validPost))
					if err != nil && pointerOf(err) != " required" { // some tenants own a post schema below
						errc <- fmt.Errorf("post for %s: %w", tenant, err)
						return
					}
				default:
					err := r.Validate(ctx, tenant, noteURI, []byte(`{"home": {"street": "s", "zip": "12345"}}`))
					if got := pointerOf(err); got != "valid" && got != " required" {
						errc <- fmt.Errorf("note for %s: %w", tenant, err)
						return
					}
				}
				if g == 2 && i%10 == 0 {
					src.set(tenant, postURI, `{"required": ["headline"]}`)
					r.Invalidate(tenant, postURI)
				}
			}
		}()
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Error(err)
	}

	// Once quiet, every result reflects the source.
	for _, tenant := range tenants {
		src.set(tenant, noteURI, lax)
		r.Invalidate(tenant, noteURI)
		if err := r.Validate(ctx, tenant, noteURI, []byte(`{}`)); err != nil {
			t.Errorf("%s: %v", tenant, err)
		}
	}
}
