package dataschema_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/dwn-ipfs/dwn-ipfs/dwn"
	"github.com/dwn-ipfs/dwn-ipfs/schemas/dataschema"
)

func TestCheckSchema(t *testing.T) {
	r := loaded(t, dataschema.Options{MaxSchemaBytes: 16384})
	const uri = "https://alice.example/schemas/note.json"
	long := strings.Repeat("x", 3000)
	tests := []struct {
		name   string
		uri    string
		schema string
		kind   dwn.Kind
		code   string // "" means valid
		msgHas string
	}{
		{name: "no $id", uri: uri, schema: `{"type": "object", "required": ["a"]}`},
		{name: "matching $id", uri: uri, schema: `{"$id": "` + uri + `", "type": "object"}`},
		{name: "matching $id with empty fragment", uri: uri, schema: `{"$id": "` + uri + `#"}`},
		{name: "uri with empty fragment", uri: uri + "#", schema: `{"$id": "` + uri + `"}`},
		{name: "boolean schema", uri: uri, schema: `true`},
		{name: "ref to a directory schema", uri: uri, schema: `{"properties": {"home": {"$ref": "` + addressURI + `"}}}`},
		{name: "ref to its own $defs", uri: uri, schema: `{"$ref": "#/$defs/a", "$defs": {"a": {"type": "string"}}}`},
		{name: "draft-07", uri: uri, schema: `{"$schema": "http://json-schema.org/draft-07/schema#", "definitions": {"a": {}}, "items": [{"type": "string"}]}`},
		{name: "draft-04 id", uri: uri, schema: `{"$schema": "http://json-schema.org/draft-04/schema#", "id": "` + uri + `"}`},

		{name: "too large", uri: uri, schema: `{"description": "` + strings.Repeat("x", 20000) + `"}`,
			kind: dwn.TooLarge, code: dataschema.CodeSchemaTooLarge, msgHas: "16384"},
		{name: "not JSON", uri: uri, schema: `{type: object}`, kind: dwn.Invalid, code: dataschema.CodeSchemaInvalid, msgHas: "not valid JSON"},
		{name: "empty", uri: uri, schema: ``, kind: dwn.Invalid, code: dataschema.CodeSchemaInvalid, msgHas: "not valid JSON"},
		{name: "trailing garbage", uri: uri, schema: `{}}`, kind: dwn.Invalid, code: dataschema.CodeSchemaInvalid, msgHas: "not valid JSON"},
		{name: "duplicate keyword", uri: uri, schema: `{"type": "object", "type": "string"}`,
			kind: dwn.Invalid, code: dataschema.CodeSchemaInvalid, msgHas: "duplicate"},
		{name: "huge exponent", uri: uri, schema: `{"minimum": 1e9999999}`,
			kind: dwn.Invalid, code: dataschema.CodeSchemaInvalid, msgHas: "/minimum"},
		{name: "other $id", uri: uri, schema: `{"$id": "https://alice.example/schemas/other.json"}`,
			kind: dwn.Invalid, code: dataschema.CodeSchemaInvalid, msgHas: "is not the schema URI"},
		{name: "$id not a string", uri: uri, schema: `{"$id": 7}`, kind: dwn.Invalid, code: dataschema.CodeSchemaInvalid, msgHas: "$id"},
		{name: "$id with fragment", uri: uri, schema: `{"$id": "` + uri + `#frag"}`,
			kind: dwn.Invalid, code: dataschema.CodeSchemaInvalid, msgHas: "fragment"},
		{name: "relative uri", uri: "note.json", schema: `{}`, kind: dwn.Invalid, code: dataschema.CodeSchemaInvalid, msgHas: "absolute"},
		{name: "meta-schema uri", uri: "https://json-schema.org/draft/2020-12/schema", schema: `{}`,
			kind: dwn.Invalid, code: dataschema.CodeSchemaInvalid},
		{name: "does not compile", uri: uri, schema: `{"properties": {"a": {"type": "objet"}}}`,
			kind: dwn.Invalid, code: dataschema.CodeSchemaInvalid, msgHas: "/properties/a/type"},
		{name: "bad regex", uri: uri, schema: `{"pattern": "(?<=x)"}`, kind: dwn.Invalid, code: dataschema.CodeSchemaInvalid, msgHas: "regex"},
		{name: "remote ref", uri: uri, schema: `{"$ref": "https://remote.example.net/s.json"}`,
			kind: dwn.Invalid, code: dataschema.CodeSchemaInvalid, msgHas: "nothing is fetched"},
		{name: "file ref", uri: uri, schema: `{"$ref": "file:///etc/passwd"}`,
			kind: dwn.Invalid, code: dataschema.CodeSchemaInvalid, msgHas: "refused"},
		{name: "relative ref to a file that is not loaded", uri: uri, schema: `{"$ref": "other.json"}`,
			kind: dwn.Invalid, code: dataschema.CodeSchemaInvalid, msgHas: "https://alice.example/schemas/other.json"},
		{name: "missing fragment", uri: uri, schema: `{"$ref": "#/$defs/none"}`, kind: dwn.Invalid, code: dataschema.CodeSchemaInvalid},
		{name: "custom meta-schema", uri: uri, schema: `{"$schema": "https://meta.example.net/schema"}`,
			kind: dwn.Invalid, code: dataschema.CodeSchemaInvalid, msgHas: "refused"},
		{name: "long ref is bounded", uri: uri, schema: `{"$ref": "https://remote.example.net/` + long + `"}`,
			kind: dwn.Invalid, code: dataschema.CodeSchemaInvalid, msgHas: "refused"},
		{name: "long enum value is bounded", uri: uri, schema: `{"properties": {"` + long + `": {"type": ["` + long + `"]}}}`,
			kind: dwn.Invalid, code: dataschema.CodeSchemaInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := r.CheckSchema(tt.uri, []byte(tt.schema))
			if tt.code == "" {
				if err != nil {
					t.Fatalf("CheckSchema: %v, want nil", err)
				}
				return
			}
			var de *dwn.Error
			if !errors.As(err, &de) || de.Kind != tt.kind || de.Code != tt.code {
				t.Fatalf("CheckSchema: %v, want a *dwn.Error of kind %v code %s", err, tt.kind, tt.code)
			}
			if !strings.Contains(de.Message, tt.msgHas) {
				t.Errorf("message %q does not contain %q", de.Message, tt.msgHas)
			}
			if n := len(de.Detail()); n > 800 {
				t.Errorf("detail is %d bytes: %q", n, de.Detail())
			}
		})
	}
}
