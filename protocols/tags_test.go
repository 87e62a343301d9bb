package protocols

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/dwn-ipfs/dwn-ipfs/dwn"
)

// The vectors come from conformance/gen-tag-vectors.mjs, which runs the reference's own
// functions (dwn-sdk-js 0.5.2 with its Ajv) on every case.

type tagVectorHeader struct {
	Reference   string          `json:"reference"`
	Ajv         string          `json:"ajv"`
	Name        string          `json:"name"`
	Description string          `json:"description"`
	Generator   string          `json:"generator"`
	Cases       json.RawMessage `json:"cases"`
}

type tagWant struct {
	OK     bool   `json:"ok"`
	Detail string `json:"detail"`
}

type verifyVector struct {
	Name         string          `json:"name"`
	Protocol     string          `json:"protocol"`
	ProtocolPath string          `json:"protocolPath"`
	Rule         json.RawMessage `json:"rule"`
	Tags         json.RawMessage `json:"tags"`
	Reachable    struct {
		Rule           bool   `json:"rule"`
		Tags           bool   `json:"tags"`
		Stored         bool   `json:"stored"`
		RuleRejectedBy string `json:"ruleRejectedBy"`
	} `json:"reachable"`
	Unsupported bool    `json:"unsupported"`
	Want        tagWant `json:"want"`
}

type schemaVector struct {
	Name               string          `json:"name"`
	RuleSetPath        string          `json:"ruleSetPath"`
	Tags               json.RawMessage `json:"tags"`
	Reachable          bool            `json:"reachable"`
	RuleSetSchemaError string          `json:"ruleSetSchemaError"`
	Unsupported        bool            `json:"unsupported"`
	Want               tagWant         `json:"want"`
}

// strictDecode decodes JSON into v, refusing unknown fields.
func strictDecode(t *testing.T, data []byte, v any) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatal(err)
	}
}

// loadTagVectors reads a vector file, checks its header and decodes its cases.
func loadTagVectors(t *testing.T, name string, cases any) {
	t.Helper()
	loadTagVectorsFrom(t, "", name, cases)
}

// loadTagVectorsFrom is loadTagVectors reading the file named by the environment
// variable env instead, when it is set.
func loadTagVectorsFrom(t *testing.T, env, name string, cases any) {
	t.Helper()
	file := filepath.Join("testdata", name)
	if f := os.Getenv(env); env != "" && f != "" {
		file = f
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var h tagVectorHeader
	strictDecode(t, data, &h)
	if h.Reference != "@tbd54566975/dwn-sdk-js@0.5.2" || h.Ajv != "ajv@8.12.0" {
		t.Fatalf("%s: vectors of %s with %s, want dwn-sdk-js 0.5.2 with ajv 8.12.0", name, h.Reference, h.Ajv)
	}
	strictDecode(t, h.Cases, cases)
}

// decodeJSON decodes a JSON object with json.Number numbers, or with float64 numbers;
// "null" and an absent value give nil.
func decodeJSON(t testing.TB, raw []byte, useNumber bool) map[string]any {
	t.Helper()
	if len(raw) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if useNumber {
		dec.UseNumber()
	}
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatal(err)
	}
	return m
}

// checkWant compares an error with a vector's expected outcome: nil, or a 400 whose
// reply detail is want.Detail.
func checkWant(t *testing.T, err error, want tagWant) {
	t.Helper()
	if want.OK {
		if err != nil {
			t.Fatalf("got %v, want success", err)
		}
		return
	}
	if err == nil {
		t.Fatalf("got success, want %q", want.Detail)
	}
	if k := dwn.KindOf(err); k != dwn.Invalid {
		t.Errorf("kind %v, want invalid", k)
	}
	if got := dwn.StatusOf(err); got.Code != 400 || got.Detail != want.Detail {
		t.Errorf("got %d %q\nwant 400 %q", got.Code, got.Detail, want.Detail)
	}
}

func TestVerifyTagsVectors(t *testing.T) {
	var cases []verifyVector
	loadTagVectors(t, "tags-verify.json", &cases)
	if len(cases) < 60 {
		t.Fatalf("%d vectors, want at least 60", len(cases))
	}
	for _, c := range cases {
		for _, useNumber := range []bool{true, false} {
			name := c.Name + "/float64"
			if useNumber {
				name = c.Name + "/json.Number"
			}
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				rule := decodeJSON(t, c.Rule, useNumber)
				var tags map[string]any
				if len(c.Tags) > 0 {
					tags = decodeJSON(t, c.Tags, useNumber)
				}
				err := VerifyTags(rule, c.Protocol, c.ProtocolPath, tags)
				if c.Unsupported {
					checkRefusal(t, err, "ProtocolAuthorizationTagsInvalidSchema")
					return
				}
				checkWant(t, err, c.Want)
			})
		}
	}
}

func TestValidateTagSchemasVectors(t *testing.T) {
	var cases []schemaVector
	loadTagVectors(t, "tags-schemas.json", &cases)
	if len(cases) < 15 {
		t.Fatalf("%d vectors, want at least 15", len(cases))
	}
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			t.Parallel()
			tags := decodeJSON(t, c.Tags, true)
			err := ValidateTagSchemas(c.RuleSetPath, tags)
			if c.Unsupported && c.Want.OK {
				// The reference accepts a pattern this package does not translate; it
				// refuses the schema instead.
				checkRefusal(t, err, "ProtocolsConfigureInvalidTagSchema")
				return
			}
			checkWant(t, err, c.Want)
		})
	}
}

// checkRefusal checks that err refuses a construct this package does not support,
// with code.
func checkRefusal(t *testing.T, err error, code string) {
	t.Helper()
	if !errors.Is(err, &dwn.Error{Kind: dwn.Invalid, Code: code}) || !refusesUnsupported(err) {
		t.Fatalf("got %v, want a %s refusal", err, code)
	}
}

// TestVerifyTagsRefusals checks that a stored rule this package does not support fails
// every write instead of passing it, and says why.
func TestVerifyTagsRefusals(t *testing.T) {
	for _, tc := range []struct{ rule, detail string }{
		{`{"a": {"type": "array", "items": {"type": "string", "pattern": "(?<=x)y"}}}`,
			`tags schema validation error: https://p.example/a/$tags uses the pattern "(?<=x)y", whose regular expression syntax this server does not support`},
		{`{"a": {"type": "array", "contains": {"anyOf": [{"pattern": "\\p{L}"}]}}}`,
			`tags schema validation error: https://p.example/a/$tags uses the pattern "\\p{L}", whose regular expression syntax this server does not support`},
		{`{"a": {"type": "array", "items": {"$ref": "other%2Ejson"}}}`,
			`tags schema validation error: https://p.example/a/$tags uses the URI reference "other%2Ejson", which this server does not support in tag schemas`},
		{`{"a": {"type": "array", "items": {"$id": "urn:example:x", "type": "string"}}}`,
			`tags schema validation error: https://p.example/a/$tags uses the URI reference "urn:example:x", which this server does not support in tag schemas`},
		{`{"a": {"type": "array", "items": {"$ref": "#/properties/b/items/constructor"}}, "b": {"items": {}}}`,
			`tags schema validation error: https://p.example/a/$tags uses a reference into a JavaScript prototype ("constructor"), which this server does not support in tag schemas`},
	} {
		t.Run(tc.rule, func(t *testing.T) {
			err := VerifyTags(decodeJSON(t, []byte(tc.rule), true), "https://p.example", "a", map[string]any{"a": []any{"x"}})
			checkRefusal(t, err, "ProtocolAuthorizationTagsInvalidSchema")
			if got := dwn.StatusOf(err).Detail; got != "ProtocolAuthorizationTagsInvalidSchema: "+tc.detail {
				t.Errorf("detail %q", got)
			}
		})
	}
}

// TestValidateTagSchemasRefusalNamesThePattern checks that a refused pattern is named
// with where it is.
func TestValidateTagSchemasRefusalNamesThePattern(t *testing.T) {
	tags := decodeJSON(t, []byte(`{"status": {"type": "array", "items": {"anyOf": [{"pattern": "^a"}, {"pattern": "(?<=a)b"}]}}}`), true)
	err := ValidateTagSchemas("thread/post", tags)
	checkRefusal(t, err, "ProtocolsConfigureInvalidTagSchema")
	want := `ProtocolsConfigureInvalidTagSchema: tags schema validation error: thread/post/$tags/status/items/anyOf/1/pattern ` +
		`uses the pattern "(?<=a)b", whose regular expression syntax this server does not support`
	if got := dwn.StatusOf(err).Detail; got != want {
		t.Errorf("got %q\nwant %q", got, want)
	}
}

// TestVerifyTagsWorkLimit checks that a rule whose check would take exponential work
// fails instead of spinning: each of n tag schemas tries the next one twice.
func TestVerifyTagsWorkLimit(t *testing.T) {
	const n = 30
	rule := map[string]any{}
	for i := 0; i < n; i++ {
		next := fmt.Sprintf("#/properties/t%d", i+1)
		var s any = map[string]any{"anyOf": []any{
			map[string]any{"$ref": next, "maxLength": 100},
			map[string]any{"$ref": next, "maxLength": 200},
		}}
		if i == n-1 {
			s = map[string]any{"type": "number"}
		}
		rule[fmt.Sprintf("t%d", i)] = s
	}
	rule["a"] = map[string]any{"type": "array", "items": map[string]any{"$ref": "#/properties/t0"}}
	err := VerifyTags(rule, "https://p.example", "a", map[string]any{"a": []any{"x"}})
	if !errors.Is(err, &dwn.Error{Kind: dwn.Invalid, Code: "ProtocolAuthorizationTagsInvalidSchema"}) ||
		!strings.Contains(dwn.StatusOf(err).Detail, "too much work") {
		t.Fatalf("got %v, want the work limit", err)
	}
}

// BenchmarkVerifyTags measures a write's check of a typical rule, compiled on each call
// as VerifyTags does.
func BenchmarkVerifyTags(b *testing.B) {
	rule := decodeJSON(b, []byte(`{
		"$requiredTags": ["status"],
		"status": {"type": "string", "enum": ["draft", "published", "archived"]},
		"labels": {"type": "array", "maxItems": 5, "uniqueItems": true,
			"items": {"type": "string", "pattern": "^[a-z][a-z0-9-]{0,31}$"}},
		"score": {"type": "number", "minimum": 0, "maximum": 10}
	}`), true)
	tags := map[string]any{"status": "draft", "labels": []any{"go", "dwn"}, "score": json.Number("7.5")}
	b.ReportAllocs()
	for b.Loop() {
		if err := VerifyTags(rule, "https://p.example", "post", tags); err != nil {
			b.Fatal(err)
		}
	}
}

// TestValidateTagSchemasInOrder checks that with the client's key order the first
// invalid tag in that order is named, as the reference names it.
func TestValidateTagSchemasInOrder(t *testing.T) {
	tags := map[string]any{
		"b":  map[string]any{"minimum": "x"},
		"a":  map[string]any{"maximum": "y"},
		"10": map[string]any{"minLength": -1},
	}
	for _, tc := range []struct {
		keys []string
		want string
	}{
		{[]string{"b", "a", "10"}, "ProtocolsConfigureInvalidTagSchema: tags schema validation error: p/$tags/10/minLength must be >= 0"},
		{[]string{"b", "a"}, "ProtocolsConfigureInvalidTagSchema: tags schema validation error: p/$tags/b/minimum must be number"},
		{[]string{"a", "b"}, "ProtocolsConfigureInvalidTagSchema: tags schema validation error: p/$tags/a/maximum must be number"},
	} {
		err := validateTagSchemasInOrder("p", tags, tc.keys)
		if got := dwn.StatusOf(err).Detail; got != tc.want {
			t.Errorf("keys %v: got %q, want %q", tc.keys, got, tc.want)
		}
	}
}

func TestJSNumberString(t *testing.T) {
	for _, tc := range []struct {
		f    float64
		want string
	}{
		{0, "0"}, {math.Copysign(0, -1), "0"}, {1, "1"}, {-1.5, "-1.5"}, {0.1, "0.1"},
		{1e20, "100000000000000000000"}, {1e21, "1e+21"}, {1.5e21, "1.5e+21"},
		{1e-6, "0.000001"}, {1e-7, "1e-7"}, {-1.5e-7, "-1.5e-7"}, {123456789.125, "123456789.125"},
		{0.30000000000000004, "0.30000000000000004"}, {math.MaxFloat64, "1.7976931348623157e+308"},
		{5e-324, "5e-324"}, {math.Inf(1), "Infinity"}, {math.NaN(), "NaN"},
	} {
		if got := jsNumberString(tc.f); got != tc.want {
			t.Errorf("jsNumberString(%v) = %q, want %q", tc.f, got, tc.want)
		}
	}
}

func TestJSKeyOrder(t *testing.T) {
	m := map[string]any{"zz": 1, "b": 1, "10": 1, "2": 1, "aaa": 1, "01": 1, "4294967295": 1, "4294967294": 1}
	got := jsKeyOrder(m, dagCBORLess)
	want := []string{"2", "10", "4294967294", "b", "01", "zz", "aaa", "4294967295"}
	if len(got) != len(want) {
		t.Fatalf("got %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("got %q, want %q", got, want)
		}
	}
}

func FuzzVerifyTags(f *testing.F) {
	for _, name := range []string{"tags-verify.json", "tags-random.json"} {
		var cases []struct {
			Rule, Tags json.RawMessage
		}
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		var h tagVectorHeader
		if err := json.Unmarshal(data, &h); err != nil {
			f.Fatal(err)
		}
		if err := json.Unmarshal(h.Cases, &cases); err != nil {
			f.Fatal(err)
		}
		for _, c := range cases {
			tags := c.Tags
			if len(tags) == 0 {
				tags = []byte("null")
			}
			f.Add(string(c.Rule), string(tags))
		}
	}
	f.Add(`{"a":{"items":{"items":{"items":{"contains":{"minContains":1e400}}}}}}`, `{"a":[[[["x"]]]]}`)
	f.Add(`{"__proto__":{"x":null},"$requiredTags":"yes"}`, `{"constructor":{}}`)
	f.Fuzz(func(t *testing.T, rule, tags string) {
		decode := func(s string, useNumber bool) (map[string]any, bool) {
			dec := json.NewDecoder(bytes.NewReader([]byte(s)))
			if useNumber {
				dec.UseNumber()
			}
			var m map[string]any
			return m, dec.Decode(&m) == nil
		}
		r, ok1 := decode(rule, true)
		d, ok2 := decode(tags, true)
		if !ok1 || !ok2 {
			return
		}
		err := VerifyTags(r, "https://p.example", "a/b", d)
		_ = ValidateTagSchemas("a/b", r)
		// The two number representations must agree.
		rf, ok1 := decode(rule, false)
		df, ok2 := decode(tags, false)
		if !ok1 || !ok2 {
			return
		}
		errF := VerifyTags(rf, "https://p.example", "a/b", df)
		if dwn.StatusOf(err) != dwn.StatusOf(errF) {
			t.Fatalf("json.Number: %v\nfloat64: %v", err, errF)
		}
	})
}

type randomVector struct {
	Name        string          `json:"name"`
	Rule        json.RawMessage `json:"rule"`
	Tags        json.RawMessage `json:"tags"`
	Unsupported bool            `json:"unsupported"`
	Configure   tagWant         `json:"configure"`
	Want        tagWant         `json:"want"`
}

// refusesUnsupported reports whether err is this server's refusal of a construct it
// does not support.
func refusesUnsupported(err error) bool {
	return err != nil && strings.Contains(dwn.StatusOf(err).Detail, "does not support")
}

// TestTagsRandomVectors replays random rules and tags checked by the reference. The
// environment variable TAGS_RANDOM_VECTORS names another file of the same form (the
// generator makes large ones on request).
func TestTagsRandomVectors(t *testing.T) {
	var cases []randomVector
	loadTagVectorsFrom(t, "TAGS_RANDOM_VECTORS", "tags-random.json", &cases)
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			rule := decodeJSON(t, c.Rule, true)
			tags := decodeJSON(t, c.Tags, true)
			err := VerifyTags(rule, "https://example.com/proto", "post", tags)
			if !(c.Unsupported && refusesUnsupported(err)) {
				checkWant(t, err, c.Want)
			}
			err = ValidateTagSchemas("post", rule)
			if !(c.Unsupported && refusesUnsupported(err)) {
				checkWant(t, err, c.Configure)
			}
		})
	}
}

type patternVector struct {
	Pattern string   `json:"pattern"`
	Valid   bool     `json:"valid"`
	Strings []string `json:"strings"`
	Matches []bool   `json:"matches"`
}

// TestJSRegexpVectors checks the translation of patterns against JavaScript: a pattern
// JavaScript rejects is refused, and one that is translated matches as JavaScript
// does. The environment variable TAGS_PATTERN_VECTORS names another file of the same
// form.
func TestJSRegexpVectors(t *testing.T) {
	var cases []patternVector
	loadTagVectorsFrom(t, "TAGS_PATTERN_VECTORS", "tags-patterns.json", &cases)
	translated := 0
	for _, c := range cases {
		re, err := compileJSRegexp(c.Pattern)
		switch {
		case err != nil:
			continue
		case !c.Valid:
			t.Errorf("%q: JavaScript rejects it, translated to %s", c.Pattern, re.re)
			continue
		}
		translated++
		for i, s := range c.Strings {
			if got := re.test(s); got != c.Matches[i] {
				t.Errorf("%q (as %s) on %q: got %v, want %v", c.Pattern, re.re, s, got, c.Matches[i])
			}
		}
	}
	if valid := slices.IndexFunc(cases, func(c patternVector) bool { return c.Valid }); valid >= 0 && translated == 0 {
		t.Fatal("no pattern translated")
	}
}
