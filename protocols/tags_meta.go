package protocols

import (
	"math"
	"strconv"
	"strings"
)

// The JSON Schema draft 2020-12 meta-schema, as Ajv validates a schema against it
// (ajv.validateSchema): the errors it returns, in its order. The meta-schema is the
// allOf of seven vocabulary meta-schemas (core, applicator, unevaluated, validation,
// meta-data, format-annotation, content) plus four keywords of its own; each checks the
// keywords it lists, in its order, and stops at the first error. Subschemas are
// checked against the whole meta-schema. Formats (uri, regex, …) are not checked:
// Ajv compiles the meta-schema without format validation.

// metaKeywordOrder lists the keywords the meta-schema checks, in the order Ajv checks
// them.
var metaKeywordOrder = []string{
	// core
	"$id", "$schema", "$ref", "$anchor", "$dynamicRef", "$dynamicAnchor", "$vocabulary", "$comment", "$defs",
	// applicator
	"prefixItems", "items", "contains", "additionalProperties", "properties", "patternProperties",
	"dependentSchemas", "propertyNames", "if", "then", "else", "allOf", "anyOf", "oneOf", "not",
	// unevaluated
	"unevaluatedItems", "unevaluatedProperties",
	// validation
	"type", "const", "enum", "multipleOf", "maximum", "exclusiveMaximum", "minimum", "exclusiveMinimum",
	"maxLength", "minLength", "pattern", "maxItems", "minItems", "uniqueItems", "maxContains", "minContains",
	"maxProperties", "minProperties", "required", "dependentRequired",
	// meta-data
	"title", "description", "default", "deprecated", "readOnly", "writeOnly", "examples",
	// format-annotation
	"format",
	// content
	"contentEncoding", "contentMediaType", "contentSchema",
	// the meta-schema's own
	"definitions", "dependencies", "$recursiveAnchor", "$recursiveRef",
}

var simpleTypes = map[string]bool{
	"array": true, "boolean": true, "integer": true, "null": true, "number": true, "object": true, "string": true,
}

const (
	anchorPattern = "^[A-Za-z_][-A-Za-z0-9._]*$"
	idPattern     = "^[^#]*#?$"
)

func oneError(at, msg string) []ajvError { return []ajvError{{at, msg}} }

// metaValidate returns the errors of validating schema s, at JSON Pointer at, against
// the meta-schema, or nil. Object keys are visited in JavaScript order with the others
// in less order.
func metaValidate(s any, at string, less func(a, b string) int) []ajvError {
	if _, ok := s.(bool); ok {
		return nil
	}
	m, ok := s.(map[string]any)
	if !ok {
		return oneError(at, "must be object,boolean")
	}
	for _, k := range metaKeywordOrder {
		if v, ok := m[k]; ok {
			if errs := metaKeyword(k, v, at+"/"+escapePointer(k), less); errs != nil {
				return errs
			}
		}
	}
	return nil
}

func metaKeyword(k string, v any, p string, less func(a, b string) int) []ajvError {
	switch k {
	case "items", "contains", "additionalProperties", "propertyNames", "if", "then", "else", "not",
		"unevaluatedItems", "unevaluatedProperties", "contentSchema":
		return metaValidate(v, p, less)
	case "prefixItems", "allOf", "anyOf", "oneOf":
		list, ok := v.([]any)
		if !ok {
			return oneError(p, "must be array")
		}
		if len(list) == 0 {
			return oneError(p, "must NOT have fewer than 1 items")
		}
		for i, e := range list {
			if errs := metaValidate(e, p+"/"+strconv.Itoa(i), less); errs != nil {
				return errs
			}
		}
	case "$defs", "properties", "patternProperties", "dependentSchemas", "definitions":
		return metaEachValue(v, p, less, func(e any, ep string) []ajvError { return metaValidate(e, ep, less) })
	case "dependentRequired":
		return metaEachValue(v, p, less, metaStringArray)
	case "dependencies":
		return metaEachValue(v, p, less, func(e any, ep string) []ajvError {
			first := metaValidate(e, ep, less)
			if first == nil {
				return nil
			}
			second := metaStringArray(e, ep)
			if second == nil {
				return nil
			}
			errs := append(append(first, second...), ajvError{ep, "must match a schema in anyOf"})
			return errs
		})
	case "$vocabulary":
		return metaEachValue(v, p, less, func(e any, ep string) []ajvError {
			if _, ok := e.(bool); !ok {
				return oneError(ep, "must be boolean")
			}
			return nil
		})
	case "type":
		return metaType(v, p)
	case "enum", "examples":
		if _, ok := v.([]any); !ok {
			return oneError(p, "must be array")
		}
	case "multipleOf":
		f, ok := finiteNumber(v)
		if !ok {
			return oneError(p, "must be number")
		}
		if f <= 0 {
			return oneError(p, "must be > 0")
		}
	case "maximum", "exclusiveMaximum", "minimum", "exclusiveMinimum":
		if _, ok := finiteNumber(v); !ok {
			return oneError(p, "must be number")
		}
	case "maxLength", "minLength", "maxItems", "minItems", "maxContains", "minContains", "maxProperties", "minProperties":
		f, ok := finiteNumber(v)
		if !ok || f != math.Trunc(f) {
			return oneError(p, "must be integer")
		}
		if f < 0 {
			return oneError(p, "must be >= 0")
		}
	case "required":
		return metaStringArray(v, p)
	case "uniqueItems", "deprecated", "readOnly", "writeOnly":
		if _, ok := v.(bool); !ok {
			return oneError(p, "must be boolean")
		}
	case "$comment", "title", "description", "format", "contentEncoding", "contentMediaType",
		"$schema", "$ref", "$dynamicRef", "$recursiveRef", "pattern":
		if _, ok := v.(string); !ok {
			return oneError(p, "must be string")
		}
	case "$id":
		s, ok := v.(string)
		if !ok {
			return oneError(p, "must be string")
		}
		if strings.Contains(strings.TrimSuffix(s, "#"), "#") {
			return oneError(p, `must match pattern "`+idPattern+`"`)
		}
	case "$anchor", "$dynamicAnchor", "$recursiveAnchor":
		s, ok := v.(string)
		if !ok {
			return oneError(p, "must be string")
		}
		if !isAnchor(s) {
			return oneError(p, `must match pattern "`+anchorPattern+`"`)
		}
	}
	return nil
}

// metaEachValue checks an object of subschemas (or string arrays): the object type,
// then each value in key order.
func metaEachValue(v any, p string, less func(a, b string) int, check func(e any, ep string) []ajvError) []ajvError {
	m, ok := v.(map[string]any)
	if !ok {
		return oneError(p, "must be object")
	}
	for _, k := range jsKeyOrder(m, less) {
		if errs := check(m[k], p+"/"+escapePointer(k)); errs != nil {
			return errs
		}
	}
	return nil
}

// metaStringArray checks the meta-schema's stringArray: an array of unique strings.
func metaStringArray(v any, p string) []ajvError {
	list, ok := v.([]any)
	if !ok {
		return oneError(p, "must be array")
	}
	for i, e := range list {
		if _, ok := e.(string); !ok {
			return oneError(p+"/"+strconv.Itoa(i), "must be string")
		}
	}
	if a, b, dup := duplicateItems(list, []string{"string"}); dup {
		return oneError(p, duplicateMessage(a, b))
	}
	return nil
}

func isAnchor(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		letter := 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || c == '_'
		if i == 0 && !letter || i > 0 && !letter && !('0' <= c && c <= '9' || c == '-' || c == '.') {
			return false
		}
	}
	return s != ""
}

// metaType checks a type value: anyOf [simpleTypes, array of unique simpleTypes with
// at least one item]. Ajv reports the first branch's error, the second's and the anyOf
// error.
func metaType(v any, at string) []ajvError {
	if s, ok := v.(string); ok && simpleTypes[s] {
		return nil
	}
	var second *ajvError
	list, ok := v.([]any)
	switch {
	case !ok:
		second = &ajvError{at, "must be array"}
	case len(list) == 0:
		second = &ajvError{at, "must NOT have fewer than 1 items"}
	default:
		for i, e := range list {
			if s, ok := e.(string); !ok || !simpleTypes[s] {
				second = &ajvError{at + "/" + strconv.Itoa(i), "must be equal to one of the allowed values"}
				break
			}
		}
		if second == nil {
			if a, b, dup := duplicateItems(list, nil); dup {
				second = &ajvError{at, duplicateMessage(a, b)}
			}
		}
	}
	if second == nil {
		return nil
	}
	return []ajvError{
		{at, "must be equal to one of the allowed values"},
		*second,
		{at, "must match a schema in anyOf"},
	}
}
