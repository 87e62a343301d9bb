package dataschema_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/dwn-ipfs/dwn-ipfs/dwn"
	"github.com/dwn-ipfs/dwn-ipfs/schemas/dataschema"
)

// URIs of the schemas in testdata/schemas.
const (
	postURI    = "https://schemas.example.com/post.json"
	addressURI = "https://schemas.example.com/address.json"
	profileURI = "https://schemas.example.com/profile.json" // draft-07, $id ends in '#'
)

// validPost is a document that post.json accepts.
const validPost = `{
	"title": "Hello",
	"body": "First post.",
	"author": {"name": "Ann", "address": {"street": "1 Main St", "zip": "12345", "country": "US"}},
	"tags": ["intro", "misc"],
	"rating": 4,
	"published": true,
	"comments": [{"by": "Bob", "text": "Welcome!"}]
}`

func loaded(t testing.TB, opts dataschema.Options) *dataschema.Registry {
	t.Helper()
	r := dataschema.New(opts)
	if _, err := r.LoadDir(context.Background(), "testdata/schemas"); err != nil {
		t.Fatalf("LoadDir: %v", err)
	}
	return r
}

func TestValidate(t *testing.T) {
	r := loaded(t, dataschema.Options{})
	tests := []struct {
		name string
		uri  string
		data string
		// For a *ValidationError: the expected pointer and keyword, and a word the message
		// must contain (or ""). An empty keyword means the data is valid.
		ptr, keyword, msgHas string
	}{
		{name: "valid post", uri: postURI, data: validPost},
		{name: "valid minimal post", uri: postURI, data: `{"title":"t","body":"","author":{"name":"a"}}`},
		{name: "valid address", uri: addressURI, data: `{"street":"s","zip":"00000"}`},
		{name: "valid profile draft-07", uri: profileURI, data: `{"handle":"ann","email":"ann@example.com","links":[{"href":"https://example.com/"}]}`},
		{name: "uri with empty fragment", uri: profileURI + "#", data: `{"handle":"ann"}`},
		{name: "3.0 is an integer", uri: postURI, data: `{"title":"t","body":"","author":{"name":"a"},"rating":3.0}`},

		{name: "missing required at root", uri: postURI, data: `{"body":"","author":{"name":"a"}}`,
			ptr: "", keyword: "required", msgHas: `"title"`},
		{name: "missing several required", uri: postURI, data: `{"author":{"name":"a"}}`,
			ptr: "", keyword: "required", msgHas: `"title", "body"`},
		{name: "additional property", uri: postURI, data: `{"title":"t","body":"","author":{"name":"a"},"extra":1}`,
			ptr: "", keyword: "additionalProperties", msgHas: `"extra"`},
		{name: "wrong root type", uri: postURI, data: `[]`, ptr: "", keyword: "type", msgHas: "object"},
		{name: "empty title", uri: postURI, data: `{"title":"","body":"","author":{"name":"a"}}`,
			ptr: "/title", keyword: "minLength"},
		{name: "nested required", uri: postURI, data: `{"title":"t","body":"","author":{}}`,
			ptr: "/author", keyword: "required", msgHas: `"name"`},
		{name: "ref to other file, pattern", uri: postURI,
			data: `{"title":"t","body":"","author":{"name":"a","address":{"street":"s","zip":"123"}}}`,
			ptr:  "/author/address/zip", keyword: "pattern"},
		{name: "ref to other file, required", uri: postURI,
			data: `{"title":"t","body":"","author":{"name":"a","address":{"street":"s"}}}`,
			ptr:  "/author/address", keyword: "required", msgHas: `"zip"`},
		{name: "ref to other file, enum", uri: postURI,
			data: `{"title":"t","body":"","author":{"name":"a","address":{"street":"s","zip":"12345","country":"FR"}}}`,
			ptr:  "/author/address/country", keyword: "enum", msgHas: `"US"`},
		{name: "array item pattern", uri: postURI, data: `{"title":"t","body":"","author":{"name":"a"},"tags":["ok","Not OK"]}`,
			ptr: "/tags/1", keyword: "pattern"},
		{name: "unique items", uri: postURI, data: `{"title":"t","body":"","author":{"name":"a"},"tags":["a","b","a"]}`,
			ptr: "/tags", keyword: "uniqueItems"},
		{name: "integer type", uri: postURI, data: `{"title":"t","body":"","author":{"name":"a"},"rating":2.5}`,
			ptr: "/rating", keyword: "type", msgHas: "integer"},
		{name: "maximum", uri: postURI, data: `{"title":"t","body":"","author":{"name":"a"},"rating":7}`,
			ptr: "/rating", keyword: "maximum", msgHas: "5"},
		{name: "local $defs ref", uri: postURI, data: `{"title":"t","body":"","author":{"name":"a"},"comments":[{"by":"x","text":"y"},{"by":"x"}]}`,
			ptr: "/comments/1", keyword: "required", msgHas: `"text"`},
		{name: "deepest error wins", uri: postURI,
			data: `{"body":1,"author":{"name":"a","address":{"street":"s","zip":"1"}}}`,
			ptr:  "/author/address/zip", keyword: "pattern"},
		{name: "equally deep: first pointer in byte order", uri: postURI,
			data: `{"title":"t","body":"","author":{"name":"a","address":{"street":5,"zip":"1"}}}`,
			ptr:  "/author/address/street", keyword: "type"},
		{name: "draft-07 format asserted", uri: profileURI, data: `{"handle":"ann","email":"not an email"}`,
			ptr: "/email", keyword: "format", msgHas: "email"},
		{name: "draft-07 definitions ref", uri: profileURI, data: `{"handle":"ann","links":[{"href":"https://example.com/","rel":"me"}]}`,
			ptr: "/links/0", keyword: "additionalProperties", msgHas: `"rel"`},
		{name: "pointer escapes", uri: postURI, data: `{"title":"t","body":"","author":{"name":"a"},"a/b~c":1}`,
			ptr: "", keyword: "additionalProperties", msgHas: `"a/b~c"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := r.Validate(context.Background(), "did:example:alice", tt.uri, []byte(tt.data))
			if tt.keyword == "" {
				if err != nil {
					t.Fatalf("Validate: %v, want nil", err)
				}
				return
			}
			var ve *dataschema.ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("Validate: %v, want a *ValidationError", err)
			}
			if ve.Pointer != tt.ptr || ve.Keyword != tt.keyword {
				t.Errorf("got pointer %q keyword %q, want %q %q (message %q)", ve.Pointer, ve.Keyword, tt.ptr, tt.keyword, ve.Message)
			}
			if !strings.Contains(ve.Message, tt.msgHas) {
				t.Errorf("message %q does not contain %q", ve.Message, tt.msgHas)
			}
			if ve.URI != strings.TrimSuffix(tt.uri, "#") {
				t.Errorf("URI %q, want %q", ve.URI, tt.uri)
			}
			if !errors.Is(err, &dwn.Error{Kind: dwn.Invalid, Code: dataschema.CodeMismatch}) {
				t.Errorf("error is not a dwn.Invalid %s", dataschema.CodeMismatch)
			}
		})
	}
}

// TestValidationErrorReply checks what a DWN reply carries for a schema violation.
func TestValidationErrorReply(t *testing.T) {
	r := loaded(t, dataschema.Options{})
	err := r.Validate(context.Background(), "did:example:alice", postURI,
		[]byte(`{"title":"t","body":"","author":{"name":"a","address":{"street":"s","zip":"1"}}}`))
	st := dwn.StatusOf(err)
	want := dataschema.CodeMismatch + ": data does not match schema " + postURI + ": /author/address/zip: "
	if st.Code != 400 || !strings.HasPrefix(st.Detail, want) {
		t.Errorf("status %d %q, want 400 starting %q", st.Code, st.Detail, want)
	}
	err = r.Validate(context.Background(), "did:example:alice", postURI, []byte(`{}`))
	if got := err.Error(); !strings.HasPrefix(got, "data does not match schema "+postURI+": (root): ") {
		t.Errorf("Error() = %q, want the root shown as (root)", got)
	}
}

// TestValidatePickIsDeterministic validates, many times, data whose errors the library
// reports in map order.
func TestValidatePickIsDeterministic(t *testing.T) {
	r := loaded(t, dataschema.Options{})
	data := []byte(`{"title":1,"body":2,"author":3,"tags":4,"rating":"5","published":6,"comments":7,"x":8,"y":9,"z":10}`)
	var first string
	for i := range 200 {
		err := r.Validate(context.Background(), "t", postURI, data)
		if err == nil {
			t.Fatal("Validate: nil, want an error")
		}
		if i == 0 {
			first = err.Error()
			continue
		}
		if err.Error() != first {
			t.Fatalf("run %d: %q, run 0: %q", i, err, first)
		}
	}
	if want := "/author: must be of type object, not number"; !strings.HasSuffix(first, want) {
		t.Errorf("got %q, want it to end in %q", first, want)
	}
}

func TestValidateBoundsText(t *testing.T) {
	r := loaded(t, dataschema.Options{})
	long := strings.Repeat("k", 5000) + `\u0000\n`
	data := []byte(`{"title":"t","body":"","author":{"name":"a"},"comments":[{"` + long + `":{"` + long + `":1}}], "` + long + `": 1}`)
	err := r.Validate(context.Background(), "t", postURI, data)
	var ve *dataschema.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("Validate: %v, want a *ValidationError", err)
	}
	if n := len(ve.Message); n > 300 {
		t.Errorf("message is %d bytes", n)
	}
	if n := len(err.Error()); n > 1000 {
		t.Errorf("Error() is %d bytes: %q", n, err)
	}
	if strings.ContainsAny(err.Error(), "\x00\n") {
		t.Errorf("Error() contains control characters: %q", err)
	}
	if !strings.HasPrefix(ve.Pointer, "/comments/0") {
		t.Errorf("pointer %.40q..., want the exact pointer", ve.Pointer)
	}
}

func TestValidateData(t *testing.T) {
	r := loaded(t, dataschema.Options{MaxDataBytes: 2000, MaxDepth: 8})
	tests := []struct {
		name string
		uri  string
		data string
		kind dwn.Kind
		code string // "" means no error
	}{
		{"unknown schema, not JSON", "https://schemas.example.com/unknown.json", `not json`, 0, ""},
		{"unknown schema, too large", "https://schemas.example.com/unknown.json", strings.Repeat(" ", 3000), 0, ""},
		{"too large", postURI, `{"title":"` + strings.Repeat("x", 2000) + `"}`, dwn.TooLarge, dataschema.CodeDataTooLarge},
		{"exactly the limit", addressURI, `{"street":"` + strings.Repeat("x", 2000-len(`{"street":"","zip":"12345"}`)) + `","zip":"12345"}`, 0, ""},
		{"not JSON", postURI, `{"title": nope}`, dwn.Invalid, dataschema.CodeInvalidData},
		{"empty", postURI, ``, dwn.Invalid, dataschema.CodeInvalidData},
		{"only space", postURI, " \n\t", dwn.Invalid, dataschema.CodeInvalidData},
		{"truncated", postURI, `{"title": "t"`, dwn.Invalid, dataschema.CodeInvalidData},
		{"trailing garbage", addressURI, `{"street":"s","zip":"12345"} x`, dwn.Invalid, dataschema.CodeInvalidData},
		{"second value", addressURI, `{"street":"s","zip":"12345"} {}`, dwn.Invalid, dataschema.CodeInvalidData},
		{"trailing space is fine", addressURI, "{\"street\":\"s\",\"zip\":\"12345\"} \n", 0, ""},
		{"duplicate property", addressURI, `{"street":"s","zip":"12345","zip":"1"}`, dwn.Invalid, dataschema.CodeInvalidData},
		{"duplicate nested property", postURI, `{"title":"t","body":"","author":{"name":"a","name":"b"}}`, dwn.Invalid, dataschema.CodeInvalidData},
		{"too deep", postURI, `{"title":"t","body":"","author":{"name":"a"},"x":[[[[[[[[1]]]]]]]]}`, dwn.Invalid, dataschema.CodeInvalidData},
		{"number too long", postURI, `{"rating":` + strings.Repeat("1", 200) + `}`, dwn.Invalid, dataschema.CodeInvalidData},
		{"exponent too large", postURI, `{"rating":1e999999}`, dwn.Invalid, dataschema.CodeInvalidData},
		{"exponent too small", postURI, `{"rating":1E-401}`, dwn.Invalid, dataschema.CodeInvalidData},
		{"exponent at the bound", addressURI, `{"street":"s","zip":"12345","n":[1e400,1e-400,1e+0400,1e0000000000000000000000000000000000000001]}`, 0, ""},
		{"invalid UTF-8 is replaced, not refused", addressURI, "{\"street\":\"\xff\",\"zip\":\"12345\"}", 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := r.Validate(context.Background(), "t", tt.uri, []byte(tt.data))
			if tt.code == "" {
				if err != nil {
					t.Fatalf("Validate: %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, &dwn.Error{Kind: tt.kind, Code: tt.code}) {
				t.Fatalf("Validate: %v (kind %v code %q), want kind %v code %s", err, dwn.KindOf(err), dwn.CodeOf(err), tt.kind, tt.code)
			}
			if len(err.Error()) > 600 {
				t.Errorf("error is %d bytes long", len(err.Error()))
			}
		})
	}
}

func TestKnown(t *testing.T) {
	r := loaded(t, dataschema.Options{})
	for uri, want := range map[string]bool{
		postURI:          true,
		addressURI:       true,
		profileURI:       true,
		profileURI + "#": true,
		"https://schemas.example.com/unknown.json":       false,
		"https://schemas.example.com/subdir/broken.json": false,
		"": false,
	} {
		got, err := r.Known(context.Background(), "t", uri)
		if err != nil || got != want {
			t.Errorf("Known(%q) = %v, %v; want %v", uri, got, err, want)
		}
	}
	if got := r.MaxDataBytes(); got != dataschema.DefaultMaxDataBytes {
		t.Errorf("MaxDataBytes() = %d, want the default %d", got, dataschema.DefaultMaxDataBytes)
	}
}

func TestNoSchemasLoaded(t *testing.T) {
	r := dataschema.New(dataschema.Options{})
	if err := r.Validate(context.Background(), "t", postURI, []byte("not json")); err != nil {
		t.Errorf("Validate without schemas: %v", err)
	}
}
