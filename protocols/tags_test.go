package protocols

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
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
	Want tagWant `json:"want"`
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
	data, err := os.ReadFile(filepath.Join("testdata", name))
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
				checkWant(t, VerifyTags(rule, c.Protocol, c.ProtocolPath, tags), c.Want)
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
				// The reference accepts and enforces keywords this package does not
				// evaluate; it refuses them instead.
				if !errors.Is(err, &dwn.Error{Kind: dwn.Invalid, Code: "ProtocolsConfigureInvalidTagSchema"}) {
					t.Fatalf("got %v, want ProtocolsConfigureInvalidTagSchema", err)
				}
				return
			}
			checkWant(t, err, c.Want)
		})
	}
}

// TestVerifyTagsRefusesUnsupportedKeywords checks that a stored rule using a keyword
// this package does not evaluate fails every write instead of passing it.
func TestVerifyTagsRefusesUnsupportedKeywords(t *testing.T) {
	for _, rule := range []string{
		`{"a": {"type": "array", "items": {"type": "string", "pattern": "^x"}}}`,
		`{"a": {"type": "array", "contains": {"anyOf": [{"type": "string"}]}}}`,
		`{"a": {"type": "array", "items": {"type": "string", "nullable": true}}}`,
		`{"$allowUndefinedTags": {"type": "string"}}`,
	} {
		t.Run(rule, func(t *testing.T) {
			err := VerifyTags(decodeJSON(t, []byte(rule), true), "https://p.example", "a", map[string]any{"a": []any{"x"}})
			if !errors.Is(err, &dwn.Error{Kind: dwn.Invalid, Code: "ProtocolAuthorizationTagsInvalidSchema"}) {
				t.Fatalf("got %v, want ProtocolAuthorizationTagsInvalidSchema", err)
			}
		})
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
	var cases []verifyVector
	data, err := os.ReadFile(filepath.Join("testdata", "tags-verify.json"))
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
