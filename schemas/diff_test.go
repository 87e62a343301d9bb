package schemas

import (
	"encoding/json"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
	"time"
)

var patternSeeds = map[string][]string{
	patBase64URL: {"abc", "a-_Z09", "", "ab=", "a+b", "a b", "é"},
	patDateTime: {"2024-01-02T03:04:05.678901Z", "2024-12-31T23:59:60.000000Z", "2024-12-31T22:59:60.000000Z",
		"2024-01-02T03:04:05.678Z", "2024-19-39T29:59:59.999999Z", "2024-01-02T03:04:05.678901Z\n", "0000-00-00T00:00:00.000000Z"},
	patDID: {"did:example:123", "did:ex:a:b:c", "did:ex::a", "did:ex:a:", "did:EX:a", "did:ex:a%20b", "did:ex:a%2",
		"did:ex:a/p/x?q=1#f", "did:ex:a;p=1;q=", "did:ex:a;p", "did:ex:a#f\n", "did:ex:a#f\r", "did:ex:a#f\u2028",
		"did:ex:a/b\nc", "did:ex:a?b?c", "did:ex:é", "did:ex:a#é", "did:key:z6Mk#z6Mk", "did:ex:a;b=c/d", "did:ex:%41",
		"did:ex:a;=b", "did:ex:a;b=c;", "did::a", "did:a", "did:a:", "xdid:a:b", "did:ex:a#", "did:ex:a?", "did:ex:a/"},
	patContextID:    {"abc", "abc/def", "abc/", "/abc", "a//b", "a-b", "A1/b2/C3", ""},
	patProtocolPath: {"post", "post/comment", "post1", "post/", "Post/Reply", "", "a//b"},
	patNotDirective: {"post", "$actions", "", "$", "a$", "é", "\xff$"},
}

// TestFastMatchers checks every hand-written matcher against the regular expression it
// replaces, on seeds and on many random edits of them.
func TestFastMatchers(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := []string{"a", "Z", "0", "9", ":", ";", "=", "%", "/", "?", "#", "-", "_", ".", "T", "Z", "\n",
		"\r", "\u2028", "é", " ", "2", "3", "5", "6", "d", "i", "f", "F", "g", "+", "~"}
	for pattern, seeds := range patternSeeds {
		re := regexp.MustCompile(pattern)
		fast := fastMatcher(pattern)
		if fast == nil {
			t.Fatalf("no matcher for %s", pattern)
		}
		check := func(s string) {
			if got, want := fast(s), re.MatchString(s); got != want {
				t.Errorf("pattern %s on %q: matcher %v, regexp %v", pattern, s, got, want)
			}
		}
		for _, s := range seeds {
			check(s)
			for i := 0; i < 3000; i++ {
				b := []byte(s)
				for e := rng.IntN(3) + 1; e > 0; e-- {
					r := alphabet[rng.IntN(len(alphabet))]
					p := 0
					if len(b) > 0 {
						p = rng.IntN(len(b) + 1)
					}
					switch rng.IntN(3) {
					case 0: // insert
						b = append(b[:p:p], append([]byte(r), b[p:]...)...)
					case 1: // replace
						if p < len(b) {
							b = append(b[:p:p], append([]byte(r), b[p+1:]...)...)
						}
					case 2: // delete
						if p < len(b) {
							b = append(b[:p:p], b[p+1:]...)
						}
					}
				}
				check(string(b))
			}
		}
	}
}

// FuzzDID compares the DID matcher with its regular expression on fuzzed input.
func FuzzDID(f *testing.F) {
	for _, s := range patternSeeds[patDID] {
		f.Add(s)
	}
	re := regexp.MustCompile(patDID)
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := isDID(s), re.MatchString(s); got != want {
			t.Errorf("%q: matcher %v, regexp %v", s, got, want)
		}
	})
}

// FuzzDateTime compares the date-time matcher with its regular expression on fuzzed input.
func FuzzDateTime(f *testing.F) {
	for _, s := range patternSeeds[patDateTime] {
		f.Add(s)
	}
	re := regexp.MustCompile(patDateTime)
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := isDateTime(s), re.MatchString(s); got != want {
			t.Errorf("%q: matcher %v, regexp %v", s, got, want)
		}
	})
}

// mutate returns a deep copy of v with one random change somewhere inside: a property
// removed, added or replaced, an array item removed or replaced, or a scalar swapped.
func mutate(rng *rand.Rand, v any) any {
	vals := []any{nil, true, false, json.Number("0"), json.Number("1"), json.Number("-1.5"), json.Number("11"),
		"", "x", "did:example:123", "2024-01-02T03:04:05.678901Z", "abc=", "Records", "Write", "Query",
		"anyone", "read", "prune", "EC", "A256CTR", []any{}, []any{"a"}, []any{json.Number("1")},
		map[string]any{}, map[string]any{"gt": json.Number("1")}, map[string]any{"from": "x"}}
	keys := []string{"foo", "encodedData", "protocol", "protocolPath", "contextId", "published", "datePublished",
		"parentId", "ownerSignature", "d", "gt", "gte", "lt", "lte", "$role", "$size", "$foo", "who", "role",
		"can", "of", "tags", "limit", "cursor", "filter", "recipient", "signature", "authorDelegatedGrant"}
	pick := func() any { return clone(vals[rng.IntN(len(vals))]) }
	var walk func(v any, depth int) any
	walk = func(v any, depth int) any {
		switch x := v.(type) {
		case map[string]any:
			c := make(map[string]any, len(x))
			var names []string
			for k, e := range x {
				c[k] = clone(e)
				names = append(names, k)
			}
			if len(names) > 0 && rng.IntN(4) != 0 {
				k := names[rng.IntN(len(names))]
				switch rng.IntN(6) {
				case 0:
					delete(c, k)
				case 1:
					c[k] = pick()
				default:
					c[k] = walk(x[k], depth+1)
				}
				return c
			}
			c[keys[rng.IntN(len(keys))]] = pick()
			return c
		case []any:
			c := make([]any, len(x))
			for i, e := range x {
				c[i] = clone(e)
			}
			if len(c) == 0 {
				return append(c, pick())
			}
			i := rng.IntN(len(c))
			switch rng.IntN(4) {
			case 0:
				return append(c[:i:i], c[i+1:]...)
			case 1:
				c[i] = pick()
			default:
				c[i] = walk(x[i], depth+1)
			}
			return c
		}
		return pick()
	}
	return walk(v, 0)
}

func clone(v any) any {
	switch x := v.(type) {
	case map[string]any:
		c := make(map[string]any, len(x))
		for k, e := range x {
			c[k] = clone(e)
		}
		return c
	case []any:
		c := make([]any, len(x))
		for i, e := range x {
			c[i] = clone(e)
		}
		return c
	}
	return v
}

// TestMutationsAgreeWithLibrary mutates every case instance many times and checks that the
// evaluator and santhosh-tekuri/jsonschema agree on validity for each mutant, and that an
// invalid mutant always gets one of the schema error codes.
func TestMutationsAgreeWithLibrary(t *testing.T) {
	v := validator(t)
	rng := rand.New(rand.NewPCG(3, 4))
	rounds := 40
	if testing.Short() {
		rounds = 5
	}
	checked, invalidSeen := 0, 0
	for _, c := range loadCases(t).Cases {
		s, ok := v.lib[c.Schema]
		if !ok {
			continue
		}
		inst := c.Instance
		for i := 0; i < rounds; i++ {
			m := mutate(rng, inst)
			libErr := s.Validate(m)
			ourErr := v.Validate(c.Schema, m)
			if (libErr == nil) != (ourErr == nil) {
				b, _ := json.Marshal(m)
				t.Fatalf("%s mutant %d: library %v, evaluator %v\n%s", c.Name, i, libErr, ourErr, b)
			}
			if ourErr != nil {
				invalidSeen++
				if code := ourErr.(interface{ Detail() string }).Detail(); !strings.HasPrefix(code, "SchemaValidator") {
					t.Fatalf("%s: detail %q", c.Name, code)
				}
			}
			checked++
			if i%2 == 1 {
				inst = m // accumulate changes now and then
			}
		}
	}
	t.Logf("%d mutants checked, %d invalid", checked, invalidSeen)
}

// TestDeepNestingIsLinear checks that describing a failure deep in a recursive structure
// does not take quadratic time.
func TestDeepNestingIsLinear(t *testing.T) {
	v := validator(t)
	build := func(depth int) any {
		leaf := any(map[string]any{"$size": map[string]any{"min": json.Number("-1")}})
		for i := 0; i < depth; i++ {
			leaf = map[string]any{"a": leaf, "b": map[string]any{"$role": true}}
		}
		return map[string]any{"protocol": "x", "published": true, "types": map[string]any{}, "structure": map[string]any{"a": leaf}}
	}
	// The fastest of several runs, so that a GC pause or a busy CI machine does not make
	// one slow run look like super-linear work.
	timeIt := func(depth int) time.Duration {
		def := build(depth)
		best := time.Duration(1<<63 - 1)
		for range 5 {
			start := time.Now()
			if v.Validate("ProtocolDefinition", def) == nil {
				t.Fatal("valid")
			}
			best = min(best, time.Since(start))
		}
		return best
	}
	timeIt(100)
	small, large := timeIt(500), timeIt(5000)
	if large > 40*small+200*time.Millisecond {
		t.Fatalf("depth 500: %v, depth 5000: %v; not linear", small, large)
	}
}
