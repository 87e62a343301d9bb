package protocols

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/dwn-ipfs/dwn-ipfs/dwn"
	"github.com/dwn-ipfs/dwn-ipfs/schemas"
)

// The $tags rule of a rule set: $requiredTags, $allowUndefinedTags (default false) and a
// JSON Schema per tag. A write's tags are checked as the reference checks them, with
// Ajv: against {type: object, properties, required, additionalProperties}, the first
// error reported with the path "<protocol>/<protocolPath>/$tags".

// tagsSchema builds the object schema of a $tags rule as JSON. Ajv checks the tag
// properties in the order of their keys, and the reference reads the definition back
// from its store as dag-cbor, which orders keys by length, then bytewise: so that order.
func tagsSchema(t *object) []byte {
	var props strings.Builder
	props.WriteByte('{')
	required := []any{}
	additional := false
	n := 0
	keys := slices.Clone(t.keys)
	slices.SortFunc(keys, func(a, b string) int {
		if len(a) != len(b) {
			return len(a) - len(b)
		}
		return strings.Compare(a, b)
	})
	for _, k := range keys {
		v := t.vals[k]
		switch k {
		case "$requiredTags":
			if r, ok := v.([]any); ok {
				required = r
			}
			continue
		case "$allowUndefinedTags":
			additional, _ = v.(bool)
			continue
		}
		if n > 0 {
			props.WriteByte(',')
		}
		n++
		kb, _ := json.Marshal(k)
		props.Write(kb)
		props.WriteByte(':')
		props.WriteString(rawJSON(v))
	}
	props.WriteByte('}')
	rb, _ := json.Marshal(required)
	return fmt.Appendf(nil, `{"type":"object","properties":%s,"required":%s,"additionalProperties":%t}`, props.String(), rb, additional)
}

// rawJSON renders a decoded value, objects as received.
func rawJSON(v any) string {
	if o, ok := v.(*object); ok {
		return o.raw
	}
	b, _ := json.Marshal(plainValue(v))
	return string(b)
}

// checkTags checks a write's tags (nil: none) against the rule set's $tags.
func (rs *RuleSet) checkTags(protocol, protocolPath string, tags map[string]any) error {
	rs.tagsOnce.Do(func() { rs.tagsSch, rs.tagsErr = schemas.Compile(tagsSchema(rs.tags)) })
	if rs.tagsErr != nil {
		// The definition passed validateTagSchemas when it was configured.
		return dwn.Errorf(dwn.Invalid, "ProtocolAuthorizationTagsInvalidSchema", "tags schema validation error: %v", rs.tagsErr)
	}
	var inst any = map[string]any{}
	if tags != nil {
		inst = tags
	}
	if msg := rs.tagsSch.ErrorText(inst, protocol+"/"+protocolPath+"/$tags"); msg != "" {
		return dwn.Errorf(dwn.Invalid, "ProtocolAuthorizationTagsInvalidSchema", "tags schema validation error: %s", msg)
	}
	return nil
}

// validateTagSchemas checks at configure time that every tag's schema is a valid JSON
// Schema, as the reference's Ajv.validateSchema does, for the keywords a tag schema can
// carry: the first error in the order of the draft 2020-12 meta-schema, with Ajv's
// message and the path "<ruleSetPath>/$tags/<tag>".
func validateTagSchemas(ruleSetPath string, t *object) error {
	for _, k := range t.keys {
		if k == "$requiredTags" || k == "$allowUndefinedTags" {
			continue
		}
		if msg := metaCheck(t.vals[k], ruleSetPath+"/$tags/"+k); msg != "" {
			return dwn.Errorf(dwn.Invalid, "ProtocolsConfigureInvalidTagSchema", "tags schema validation error: %s", msg)
		}
	}
	return nil
}

// Keyword groups of the draft 2020-12 meta-schema, in its order: subschemas of the
// applicator vocabulary first, then the validation vocabulary.
var (
	metaSubschemas   = []string{"items", "contains", "additionalProperties", "not"}
	metaNonNegative  = map[string]bool{"maxLength": true, "minLength": true, "maxItems": true, "minItems": true, "maxContains": true, "minContains": true, "maxProperties": true, "minProperties": true}
	metaValidation   = []string{"type", "const", "enum", "multipleOf", "maximum", "exclusiveMaximum", "minimum", "exclusiveMinimum", "maxLength", "minLength", "pattern", "maxItems", "minItems", "uniqueItems", "maxContains", "minContains", "maxProperties", "minProperties", "required"}
	metaSimpleTypes  = map[string]bool{"array": true, "boolean": true, "integer": true, "null": true, "number": true, "object": true, "string": true}
	metaNumberFields = map[string]bool{"maximum": true, "exclusiveMaximum": true, "minimum": true, "exclusiveMinimum": true}
)

// metaCheck returns Ajv's errorsText for the first meta-schema error of schema at path,
// or "" when none of the checked keywords is malformed.
func metaCheck(schema any, path string) string {
	if _, ok := schema.(bool); ok {
		return ""
	}
	o, ok := schema.(*object)
	if !ok {
		return path + " must be object,boolean"
	}
	for _, k := range metaSubschemas {
		if v, ok := o.vals[k]; ok {
			if msg := metaCheck(v, path+"/"+k); msg != "" {
				return msg
			}
		}
	}
	for _, k := range metaValidation {
		v, ok := o.vals[k]
		if !ok {
			continue
		}
		at := path + "/" + k
		switch {
		case k == "type":
			if s, ok := v.(string); ok && !metaSimpleTypes[s] {
				return at + " must be equal to one of the allowed values, " + at + " must be array, " + at + " must match a schema in anyOf"
			}
		case k == "enum":
			if _, ok := v.([]any); !ok {
				return at + " must be array"
			}
		case k == "multipleOf":
			f, ok := number(v)
			if !ok {
				return at + " must be number"
			}
			if f <= 0 {
				return at + " must be > 0"
			}
		case metaNumberFields[k]:
			if _, ok := number(v); !ok {
				return at + " must be number"
			}
		case metaNonNegative[k]:
			f, ok := number(v)
			if !ok || f != math.Trunc(f) {
				return at + " must be integer"
			}
			if f < 0 {
				return at + " must be >= 0"
			}
		case k == "pattern":
			if _, ok := v.(string); !ok {
				return at + " must be string"
			}
		case k == "uniqueItems":
			if _, ok := v.(bool); !ok {
				return at + " must be boolean"
			}
		case k == "required":
			list, ok := v.([]any)
			if !ok {
				return at + " must be array"
			}
			for i, e := range list {
				if _, ok := e.(string); !ok {
					return fmt.Sprintf("%s/%d must be string", at, i)
				}
			}
		}
	}
	return ""
}
