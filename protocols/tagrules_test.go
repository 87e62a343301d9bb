package protocols

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/dwn-ipfs/dwn-ipfs/dwn"
)

const tagsDef = `{"protocol":"https://p.example","published":true,"types":{"t":{}},"structure":{"t":{"$tags":%s}}}`

func tagRuleSet(t *testing.T, tags string) (*Definition, error) {
	t.Helper()
	d, err := ParseDefinition([]byte(strings.Replace(tagsDef, "%s", tags, 1)))
	if err != nil {
		t.Fatal(err)
	}
	return d, d.Validate()
}

func TestTagSchemasAtConfigure(t *testing.T) {
	tests := []struct {
		tags string
		want string // "" = valid; else the detail after the code
	}{
		{`{"s":{"type":"string","enum":["a","b"]}}`, ""},
		{`{"s":{"type":"string","minLength":-1}}`, "t/$tags/s/minLength must be >= 0"},
		{`{"s":{"type":"string","maxLength":1.5}}`, "t/$tags/s/maxLength must be integer"},
		{`{"s":{"type":"string","enum":"a"}}`, "t/$tags/s/enum must be array"},
		{`{"n":{"type":"number","minimum":"1"}}`, "t/$tags/n/minimum must be number"},
		{`{"n":{"type":"number","multipleOf":0}}`, "t/$tags/n/multipleOf must be > 0"},
		{`{"a":{"type":"array","items":{"type":"string","minLength":-2}}}`, "t/$tags/a/items/minLength must be >= 0"},
		{`{"a":{"type":"array","uniqueItems":"yes"}}`, "t/$tags/a/uniqueItems must be boolean"},
		{`{"a":{"type":"array","items":{"minLength":-1},"minItems":-1}}`, "t/$tags/a/items/minLength must be >= 0"},
	}
	for _, tc := range tests {
		_, err := tagRuleSet(t, tc.tags)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v", tc.tags, err)
		case tc.want != "" && (dwn.CodeOf(err) != "ProtocolsConfigureInvalidTagSchema" ||
			dwn.StatusOf(err).Detail != "ProtocolsConfigureInvalidTagSchema: tags schema validation error: "+tc.want):
			t.Errorf("%s: %v, want %q", tc.tags, err, tc.want)
		}
	}
}

func TestCheckTags(t *testing.T) {
	const rule = `{"$requiredTags":["status"],"status":{"type":"string","enum":["draft","final"]},` +
		`"priority":{"type":"integer","minimum":1,"maximum":5},"label":{"type":"string","minLength":2},` +
		`"topics":{"type":"array","uniqueItems":true,"items":{"type":"string"}},"nums":{"type":"array","contains":{"type":"number","minimum":10}}}`
	d, err := tagRuleSet(t, rule)
	if err != nil {
		t.Fatal(err)
	}
	rs := d.At("t")
	const at = "https://p.example/t/$tags"
	tests := []struct {
		tags map[string]any
		want string
	}{
		{map[string]any{"status": "draft"}, ""},
		{nil, at + " must have required property 'status'"},
		{map[string]any{"status": "draft", "other": 1.0}, at + " must NOT have additional properties"},
		{map[string]any{"status": "bad"}, at + "/status must be equal to one of the allowed values"},
		{map[string]any{"status": "draft", "priority": 2.5}, at + "/priority must be integer"},
		{map[string]any{"status": "draft", "priority": 9.0}, at + "/priority must be <= 5"},
		// Keys are checked in dag-cbor order (shorter first): label before status.
		{map[string]any{"status": "bad", "priority": 9.0, "label": "a"}, at + "/label must NOT have fewer than 2 characters"},
		{map[string]any{"status": "final", "topics": []any{"a", "b", "a"}}, at + "/topics must NOT have duplicate items (items ## 2 and 0 are identical)"},
		{map[string]any{"status": "final", "nums": []any{1.0, 2.0}}, at + "/nums must contain at least 1 valid item(s)"},
		{map[string]any{"status": "final", "nums": []any{1.0, 12.0}}, ""},
	}
	for _, tc := range tests {
		err := rs.checkTags("https://p.example", "t", tc.tags)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%v: %v", tc.tags, err)
		case tc.want != "" && dwn.StatusOf(err).Detail != "ProtocolAuthorizationTagsInvalidSchema: tags schema validation error: "+tc.want:
			t.Errorf("%v: %v, want %q", tc.tags, err, tc.want)
		}
	}
}

func FuzzCheckTags(f *testing.F) {
	f.Add(`{"status":{"type":"string","enum":["a"]}}`, `{"status":"a"}`)
	f.Add(`{"$allowUndefinedTags":true,"n":{"type":"array","items":{"type":"number"},"uniqueItems":true}}`, `{"n":[1,1,"x"]}`)
	f.Fuzz(func(t *testing.T, rule, tags string) {
		d, err := ParseDefinition([]byte(strings.Replace(tagsDef, "%s", rule, 1)))
		if err != nil || d.Validate() != nil {
			return
		}
		var v map[string]any
		if json.Unmarshal([]byte(tags), &v) != nil {
			return
		}
		rs := d.At("t")
		if rs == nil || rs.tags == nil {
			return
		}
		rs.checkTags("https://p.example", "t", v) // must not panic
	})
}
