package protocols

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/dwn-ipfs/dwn-ipfs/dwn"
)

// The $tags rules of a rule set, checked exactly as the reference checks them with Ajv
// 8.12 (draft 2020-12, default options: first error only, strict mode on):
//
//   - at configure time every tag schema must pass Ajv's validateSchema
//     (ValidateTagSchemas);
//   - at write time the record's tags must pass the schema {type: object, properties:
//     the tag schemas, required: $requiredTags, additionalProperties:
//     $allowUndefinedTags || false} (VerifyTags). Compiling that schema can itself
//     fail; the reference then answers 400 with Ajv's bare message.
//
// This file evaluates the keywords a tag schema is made of: type, enum, const, the
// number, string-length and array limits, uniqueItems, items, contains with
// minContains/maxContains, multipleOf, the annotation keywords (title, description,
// default, examples, deprecated, readOnly, writeOnly, $comment, contentEncoding,
// contentMediaType), and the keywords whose only effect is a compile error in the
// reference (format, id, and keywords Ajv does not know). Other JSON Schema keywords
// (pattern, $ref, anyOf, properties, …) can only appear inside items or contains; the
// reference accepts and enforces them, this file refuses them: at configure time with
// ProtocolsConfigureInvalidTagSchema, and at write time, should such a definition be
// stored, with ProtocolAuthorizationTagsInvalidSchema. Never silently accepts them.
//
// Key order. Ajv reports the first error it meets, so where several tags are wrong the
// order of object keys decides which one is named. At write time the reference reads
// the definition back from its store as dag-cbor, so the rule's keys come in dag-cbor
// order (length first, then bytewise; JavaScript moves integer-like keys to the front):
// VerifyTags uses that order and matches the reference exactly. The record's tags are
// in the client's order, but no error text depends on it. At configure time the $tags
// keys are in the client's order; ValidateTagSchemas takes a map and uses integer-like
// keys ascending, then the others bytewise, which differs from the reference only when
// two tag schemas are invalid and the client did not send them in that order.

// Error codes of the reference for $tags.
const (
	codeInvalidTagSchema   = "ProtocolsConfigureInvalidTagSchema"
	codeTagsInvalidSchema  = "ProtocolAuthorizationTagsInvalidSchema"
	tagsErrorPrefix        = "tags schema validation error: "
	requiredTagsKey        = "$requiredTags"
	allowUndefinedTagsKey  = "$allowUndefinedTags"
	objectPrototypeKeyName = "__proto__"
)

// ValidateTagSchemas checks a rule set's $tags value at ProtocolsConfigure time as the
// reference does (ProtocolsConfigure.validateRuleSetRecursively): every property other
// than $requiredTags and $allowUndefinedTags must be a valid JSON Schema by Ajv's
// validateSchema. ruleSetPath is the rule set's protocol path ("a/b"), which the
// reference puts in the message. A nil map passes.
//
// The error is a 400 with code ProtocolsConfigureInvalidTagSchema and the message
// "tags schema validation error: <ruleSetPath>/$tags/<tag><path> <Ajv message>", or,
// for the two inputs on which the reference throws a plain TypeError, that error's
// message and no code. Tags are checked in the order described in this file's header.
func ValidateTagSchemas(ruleSetPath string, tags map[string]any) error {
	return validateTagSchemasInOrder(ruleSetPath, tags, jsKeyOrder(tags, canonicalLess))
}

// validateTagSchemasInOrder is ValidateTagSchemas with the $tags keys in the order the
// client sent them.
func validateTagSchemasInOrder(ruleSetPath string, tags map[string]any, keys []string) error {
	if tags == nil {
		return nil
	}
	for _, e := range tagSchemaEntries(tags, keys) {
		dataVar := ruleSetPath + "/$tags/" + e.name
		if m, ok := e.schema.(map[string]any); ok {
			if s, ok := m["$schema"]; ok {
				if _, ok := s.(string); !ok {
					return dwn.Errorf(dwn.Invalid, "", "$schema must be a string")
				}
			}
		}
		switch e.schema.(type) {
		case bool:
			continue // validateSchema(true|false) is true without a look
		case nil:
			return dwn.Errorf(dwn.Invalid, "", "Cannot read properties of null (reading '$schema')")
		}
		if f := metaCheck2020(e.schema, ""); f != nil {
			return f.asError(codeInvalidTagSchema, dataVar)
		}
	}
	return nil
}

// VerifyTags checks a RecordsWrite's descriptor.tags (nil when absent) against a rule
// set's $tags value, exactly as the reference's verifyTagsIfNeeded does. Numbers may be
// json.Number or float64. A nil tagsRule passes.
//
// Failures are 400s: code ProtocolAuthorizationTagsInvalidSchema with "tags schema
// validation error: " and Ajv's errorsText, whose subject is
// "<protocol>/<protocolPath>/$tags" (for example "…/$tags/status must be string"); or,
// when Ajv cannot compile the schema, Ajv's own message with no code (for example
// `strict mode: "minContains" without "contains" is ignored`), as the reference replies.
func VerifyTags(tagsRule map[string]any, protocol, protocolPath string, tags map[string]any) error {
	if tagsRule == nil {
		return nil
	}
	dataVar := protocol + "/" + protocolPath + "/$tags"
	c, err := compileTagRule(tagsRule, dataVar)
	if err != nil {
		return err
	}
	if tags == nil {
		tags = map[string]any{}
	}
	if e := c.validate(tags); e != nil {
		return dwn.Errorf(dwn.Invalid, codeTagsInvalidSchema, "%s%s", tagsErrorPrefix, errorsText([]ajvError{*e}, dataVar))
	}
	return nil
}

// ---------------------------------------------------------------------------
// errors

// ajvError is one Ajv error: the JSON Pointer of the failing value and the message.
type ajvError struct {
	path string
	msg  string
}

// errorsText joins errors as Ajv's errorsText does, with dataVar before each path.
func errorsText(errs []ajvError, dataVar string) string {
	var b strings.Builder
	for i, e := range errs {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(dataVar)
		b.WriteString(e.path)
		b.WriteByte(' ')
		b.WriteString(e.msg)
	}
	return b.String()
}

// metaFault is why a tag schema fails the draft 2020-12 meta-schema: Ajv's errors, or
// a keyword this file does not evaluate (keyword set, at its container's path).
type metaFault struct {
	errs    []ajvError
	keyword string
	at      string
}

func metaError(at, msg string) *metaFault {
	return &metaFault{errs: []ajvError{{at, msg}}}
}

// asError renders the fault for a reply, under code and dataVar.
func (f *metaFault) asError(code, dataVar string) error {
	if f.keyword != "" {
		return dwn.Errorf(dwn.Invalid, code, "%s%s%s uses keyword %q, which this server does not support in tag schemas",
			tagsErrorPrefix, dataVar, f.at, f.keyword)
	}
	return dwn.Errorf(dwn.Invalid, code, "%s%s", tagsErrorPrefix, errorsText(f.errs, dataVar))
}

// ---------------------------------------------------------------------------
// key order

// canonicalLess orders keys bytewise: the order this file assumes for JSON whose key
// order it was not given.
func canonicalLess(a, b string) int { return strings.Compare(a, b) }

// dagCBORLess orders keys as dag-cbor encodes them: length first, then bytewise.
func dagCBORLess(a, b string) int {
	if len(a) != len(b) {
		return len(a) - len(b)
	}
	return strings.Compare(a, b)
}

// jsKeyOrder returns m's keys in the order a JavaScript object built from them in
// `less` order enumerates them: integer-like keys first, ascending, then the rest.
func jsKeyOrder(m map[string]any, less func(a, b string) int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, less)
	return jsEnumerationOrder(keys)
}

// jsEnumerationOrder moves integer-like keys (array indices) to the front, ascending,
// keeping the others in their order, as JavaScript enumerates object keys.
func jsEnumerationOrder(keys []string) []string {
	var idx, rest []string
	for _, k := range keys {
		if isArrayIndex(k) {
			idx = append(idx, k)
		} else {
			rest = append(rest, k)
		}
	}
	slices.SortFunc(idx, func(a, b string) int { return dagCBORLess(a, b) }) // canonical decimal: length, then digits
	return append(idx, rest...)
}

func isArrayIndex(k string) bool {
	if k == "" || len(k) > 10 || (len(k) > 1 && k[0] == '0') {
		return false
	}
	for i := 0; i < len(k); i++ {
		if k[i] < '0' || k[i] > '9' {
			return false
		}
	}
	n, err := strconv.ParseUint(k, 10, 64)
	return err == nil && n <= math.MaxUint32-1
}

// tagSchemaEntry is one tag schema, as the reference's for-in loop meets it.
type tagSchemaEntry struct {
	name   string
	schema any
}

// tagSchemaEntries lists the tag schemas of a $tags value as the reference enumerates
// them: the reference copies $tags without $requiredTags and $allowUndefinedTags into a
// new object by assignment, and a "__proto__" key thereby becomes that object's
// prototype, whose keys a for-in loop then visits after the own keys.
func tagSchemaEntries(tags map[string]any, keys []string) []tagSchemaEntry {
	var out []tagSchemaEntry
	own := map[string]bool{}
	for _, k := range jsEnumerationOrder(keys) {
		switch k {
		case requiredTagsKey, allowUndefinedTagsKey, objectPrototypeKeyName:
			continue
		}
		own[k] = true
		out = append(out, tagSchemaEntry{k, tags[k]})
	}
	switch p := tags[objectPrototypeKeyName].(type) {
	case map[string]any:
		for _, k := range jsKeyOrder(p, canonicalLess) {
			if !own[k] {
				out = append(out, tagSchemaEntry{k, p[k]})
			}
		}
	case []any:
		for i, v := range p {
			if k := strconv.Itoa(i); !own[k] {
				out = append(out, tagSchemaEntry{k, v})
			}
		}
	}
	return out
}

// objectPrototypeKeys are the properties of Object.prototype. A plain JavaScript
// object "has" them: Ajv's required check (data[key] !== undefined) finds them, and its
// properties keyword validates the inherited function against the tag's schema.
var objectPrototypeKeys = map[string]bool{
	"constructor": true, "__defineGetter__": true, "__defineSetter__": true,
	"hasOwnProperty": true, "__lookupGetter__": true, "__lookupSetter__": true,
	"isPrototypeOf": true, "propertyIsEnumerable": true, "toString": true,
	"valueOf": true, objectPrototypeKeyName: true, "toLocaleString": true,
}

// jsFunction stands for a value inherited from Object.prototype: a function, which is
// no JSON type and equals no JSON value.
type jsFunction struct{}

// ---------------------------------------------------------------------------
// the draft 2020-12 meta-schema, for the keywords of a tag schema

// metaKeywordOrder lists the keywords the meta-schema checks, in the order Ajv checks
// them: its allOf (core, applicator, unevaluated, validation, meta-data,
// format-annotation, content), then its own properties.
var metaKeywordOrder = []string{
	"$id", "$schema", "$ref", "$anchor", "$dynamicRef", "$dynamicAnchor", "$vocabulary", "$comment", "$defs",
	"prefixItems", "items", "contains", "additionalProperties", "properties", "patternProperties",
	"dependentSchemas", "propertyNames", "if", "then", "else", "allOf", "anyOf", "oneOf", "not",
	"unevaluatedItems", "unevaluatedProperties",
	"type", "const", "enum", "multipleOf", "maximum", "exclusiveMaximum", "minimum", "exclusiveMinimum",
	"maxLength", "minLength", "pattern", "maxItems", "minItems", "uniqueItems", "maxContains", "minContains",
	"maxProperties", "minProperties", "required", "dependentRequired",
	"title", "description", "default", "deprecated", "readOnly", "writeOnly", "examples",
	"format",
	"contentEncoding", "contentMediaType", "contentSchema",
	"definitions", "dependencies", "$recursiveAnchor", "$recursiveRef",
}

var simpleTypes = map[string]bool{
	"array": true, "boolean": true, "integer": true, "null": true, "number": true, "object": true, "string": true,
}

// metaCheck2020 returns the first meta-schema fault of schema s, whose JSON Pointer is
// at, or nil.
func metaCheck2020(s any, at string) *metaFault {
	if _, ok := s.(bool); ok {
		return nil
	}
	m, ok := s.(map[string]any)
	if !ok {
		return metaError(at, "must be object,boolean")
	}
	for _, k := range metaKeywordOrder {
		v, ok := m[k]
		if !ok {
			continue
		}
		if f := metaCheckKeyword(k, v, at); f != nil {
			return f
		}
	}
	// Ajv keywords the meta-schema does not know.
	for _, k := range []string{"nullable", "$async"} {
		if _, ok := m[k]; ok {
			return &metaFault{keyword: k, at: at}
		}
	}
	return nil
}

func metaCheckKeyword(k string, v any, at string) *metaFault {
	p := at + "/" + escapePointer(k)
	unsupported := &metaFault{keyword: k, at: at}
	switch k {
	case "items", "contains":
		return metaCheck2020(v, p)
	case "type":
		return metaCheckType(v, p)
	case "const", "default":
		return nil
	case "enum", "examples":
		if _, ok := v.([]any); !ok {
			return metaError(p, "must be array")
		}
	case "multipleOf":
		f, ok := finiteNumber(v)
		if !ok {
			return metaError(p, "must be number")
		}
		if f <= 0 {
			return metaError(p, "must be > 0")
		}
	case "maximum", "exclusiveMaximum", "minimum", "exclusiveMinimum":
		if _, ok := finiteNumber(v); !ok {
			return metaError(p, "must be number")
		}
	case "maxLength", "minLength", "maxItems", "minItems", "maxContains", "minContains":
		f, ok := finiteNumber(v)
		if !ok || f != math.Trunc(f) {
			return metaError(p, "must be integer")
		}
		if f < 0 {
			return metaError(p, "must be >= 0")
		}
	case "uniqueItems", "deprecated", "readOnly", "writeOnly":
		if _, ok := v.(bool); !ok {
			return metaError(p, "must be boolean")
		}
	case "$comment", "title", "description", "format", "contentEncoding", "contentMediaType":
		if _, ok := v.(string); !ok {
			return metaError(p, "must be string")
		}
	case "$id":
		s, ok := v.(string)
		if !ok {
			return metaError(p, "must be string")
		}
		if strings.Contains(strings.TrimSuffix(s, "#"), "#") {
			return metaError(p, `must match pattern "^[^#]*#?$"`)
		}
		return unsupported
	case "$anchor", "$dynamicAnchor", "$recursiveAnchor":
		s, ok := v.(string)
		if !ok {
			return metaError(p, "must be string")
		}
		if !isAnchor(s) {
			return metaError(p, `must match pattern "^[A-Za-z_][-A-Za-z0-9._]*$"`)
		}
		return unsupported
	case "$schema", "$ref", "$dynamicRef", "$recursiveRef", "pattern":
		if _, ok := v.(string); !ok {
			return metaError(p, "must be string")
		}
		return unsupported
	default:
		return unsupported
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

// metaCheckType checks a type value: anyOf [simpleTypes, array of unique simpleTypes
// with at least one item]. Ajv reports the first branch's error, the second's and the
// anyOf error.
func metaCheckType(v any, at string) *metaFault {
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
	return &metaFault{errs: []ajvError{
		{at, "must be equal to one of the allowed values"},
		*second,
		{at, "must match a schema in anyOf"},
	}}
}

// ---------------------------------------------------------------------------
// compiling the write-time schema

// compiledTagRule is a $tags rule that Ajv compiles.
type compiledTagRule struct {
	props          []string // tag names with a schema, in Ajv's order
	schemas        map[string]any
	required       []string
	allowUndefined bool
}

// compileTagRule does what ajv.compile does with the reference's tags schema: check it
// against the meta-schema, then generate code, which throws on some schemas. dataVar
// names the tags in the error for keywords this file does not evaluate.
func compileTagRule(rule map[string]any, dataVar string) (*compiledTagRule, error) {
	c := &compiledTagRule{schemas: map[string]any{}}
	for _, k := range jsKeyOrder(rule, dagCBORLess) {
		switch k {
		case requiredTagsKey, allowUndefinedTagsKey, objectPrototypeKeyName:
			continue
		}
		c.props = append(c.props, k)
		c.schemas[k] = rule[k]
	}

	// The meta-schema, in its order: additionalProperties, properties, required.
	additional := rule[allowUndefinedTagsKey]
	if !truthy(additional) {
		additional = false
	}
	switch a := additional.(type) {
	case bool:
		c.allowUndefined = a
	case map[string]any:
		return nil, dwn.Errorf(dwn.Invalid, codeTagsInvalidSchema, "%s%s: $allowUndefinedTags is not a boolean", tagsErrorPrefix, dataVar)
	default:
		return nil, schemaInvalid([]ajvError{{"/additionalProperties", "must be object,boolean"}})
	}
	for _, k := range c.props {
		if f := metaCheck2020(c.schemas[k], "/properties/"+escapePointer(k)); f != nil {
			if f.keyword != "" {
				f.at = strings.TrimPrefix(f.at, "/properties")
				return nil, f.asError(codeTagsInvalidSchema, dataVar)
			}
			return nil, schemaInvalid(f.errs)
		}
	}
	required := rule[requiredTagsKey]
	if !truthy(required) {
		required = []any{}
	}
	list, ok := required.([]any)
	if !ok {
		return nil, schemaInvalid([]ajvError{{"/required", "must be array"}})
	}
	for i, e := range list {
		s, ok := e.(string)
		if !ok {
			return nil, schemaInvalid([]ajvError{{"/required/" + strconv.Itoa(i), "must be string"}})
		}
		c.required = append(c.required, s)
	}
	if a, b, dup := duplicateItems(list, []string{"string"}); dup {
		return nil, schemaInvalid([]ajvError{{"/required", duplicateMessage(a, b)}})
	}

	// Code generation. The properties keyword first looks at every tag schema's own
	// keys (in Ajv's alwaysValidSchema), then generates each tag's code in turn.
	for _, k := range c.props {
		if m, ok := c.schemas[k].(map[string]any); ok {
			if msg := unknownKeyword(m); msg != "" {
				return nil, dwn.Errorf(dwn.Invalid, "", "%s", msg)
			}
		}
	}
	for _, k := range c.props {
		if msg := compileCheck(c.schemas[k], "#/properties/"+escapeFragment(k)); msg != "" {
			return nil, dwn.Errorf(dwn.Invalid, "", "%s", msg)
		}
	}
	return c, nil
}

func schemaInvalid(errs []ajvError) error {
	return dwn.Errorf(dwn.Invalid, "", "schema is invalid: %s", errorsText(errs, "data"))
}

// ajvKeywords are the keywords an Ajv 2020 instance knows; any other key in a schema
// fails compilation in strict mode.
var ajvKeywords = map[string]bool{
	"$async": true, "$dynamicAnchor": true, "$dynamicRef": true, "$recursiveAnchor": true, "$recursiveRef": true,
	"$schema": true, "$id": true, "$defs": true, "$vocabulary": true, "$comment": true, "definitions": true,
	"id": true, "$ref": true, "maximum": true, "minimum": true, "exclusiveMaximum": true, "exclusiveMinimum": true,
	"multipleOf": true, "maxLength": true, "minLength": true, "pattern": true, "maxProperties": true,
	"minProperties": true, "required": true, "maxItems": true, "minItems": true, "uniqueItems": true, "type": true,
	"nullable": true, "const": true, "enum": true, "not": true, "anyOf": true, "oneOf": true, "allOf": true,
	"if": true, "then": true, "else": true, "propertyNames": true, "additionalProperties": true,
	"dependencies": true, "properties": true, "patternProperties": true, "prefixItems": true, "items": true,
	"contains": true, "format": true, "title": true, "description": true, "default": true, "deprecated": true,
	"readOnly": true, "writeOnly": true, "examples": true, "contentMediaType": true, "contentEncoding": true,
	"contentSchema": true, "dependentRequired": true, "dependentSchemas": true, "maxContains": true,
	"minContains": true, "unevaluatedProperties": true, "unevaluatedItems": true,
}

// unknownKeyword returns Ajv's strict-mode error for the first key of m that is no
// keyword, or "".
func unknownKeyword(m map[string]any) string {
	for _, k := range jsKeyOrder(m, dagCBORLess) {
		if !ajvKeywords[k] {
			return `strict mode: unknown keyword: "` + k + `"`
		}
	}
	return ""
}

// compileCheck returns the message Ajv throws while generating code for schema s (a
// tag schema that passed the meta-schema), whose schema path is errSchemaPath, or "".
func compileCheck(s any, errSchemaPath string) string {
	m, ok := s.(map[string]any)
	if !ok {
		return ""
	}
	if msg := unknownKeyword(m); msg != "" {
		return msg
	}
	// Keywords that apply to any type, then the number, string and array groups.
	if _, ok := m["id"]; ok {
		return `NOT SUPPORTED: keyword "id", use "$id" for schema ID`
	}
	if e, ok := m["enum"].([]any); ok && len(e) == 0 {
		return "enum must have non-empty array"
	}
	if f, ok := m["format"].(string); ok {
		return `unknown format "` + f + `" ignored in schema at path "` + errSchemaPath + `"`
	}
	if items, ok := m["items"]; ok {
		if msg := compileCheck(items, errSchemaPath+"/items"); msg != "" {
			return msg
		}
	}
	if contains, ok := m["contains"]; ok {
		lo, hasLo := finiteNumber(m["minContains"])
		if !hasLo {
			lo = 1
		}
		hi, hasHi := finiteNumber(m["maxContains"])
		switch {
		case !hasHi && lo == 0:
			return `strict mode: "minContains" == 0 without "maxContains": "contains" keyword ignored`
		case hasHi && lo > hi:
			return `strict mode: "minContains" > "maxContains" is always invalid`
		}
		if msg := compileCheck(contains, errSchemaPath+"/contains"); msg != "" {
			return msg
		}
	} else {
		for _, k := range []string{"maxContains", "minContains"} {
			if _, ok := m[k]; ok {
				return `strict mode: "` + k + `" without "contains" is ignored`
			}
		}
	}
	return ""
}

// ---------------------------------------------------------------------------
// validating tags

// validate checks tags as the compiled schema does: required, then undefined tags, then
// each tag schema; the first error wins.
func (c *compiledTagRule) validate(tags map[string]any) *ajvError {
	for _, r := range c.required {
		if _, ok := tags[r]; !ok && !objectPrototypeKeys[r] {
			return &ajvError{"", "must have required property '" + r + "'"}
		}
	}
	if !c.allowUndefined {
		for k := range tags {
			if _, ok := c.schemas[k]; !ok {
				return &ajvError{"", "must NOT have additional properties"}
			}
		}
	}
	for _, k := range c.props {
		v, ok := tags[k]
		if !ok {
			if !objectPrototypeKeys[k] {
				continue
			}
			v = jsFunction{}
		}
		if e := evaluate(c.schemas[k], v, "/"+escapePointer(k)); e != nil {
			return e
		}
	}
	return nil
}

// Keywords by the data type they apply to; a schema of a single type that uses a
// keyword of that type's group has its type checked in that group, after enum and const.
var (
	numberKeywords = []string{"maximum", "minimum", "exclusiveMaximum", "exclusiveMinimum", "multipleOf", "format"}
	stringKeywords = []string{"maxLength", "minLength", "pattern", "format"}
	arrayKeywords  = []string{"maxItems", "minItems", "prefixItems", "items", "contains", "uniqueItems", "maxContains", "minContains"}
	objectKeywords = []string{"maxProperties", "minProperties", "required", "propertyNames", "additionalProperties",
		"dependencies", "properties", "patternProperties", "dependentRequired", "dependentSchemas"}
)

func usesAny(m map[string]any, keywords []string) bool {
	for _, k := range keywords {
		if _, ok := m[k]; ok {
			return true
		}
	}
	return false
}

// schemaTypes returns the schema's type keyword as a list.
func schemaTypes(m map[string]any) []string {
	switch t := m["type"].(type) {
	case string:
		return []string{t}
	case []any:
		out := make([]string, 0, len(t))
		for _, e := range t {
			s, _ := e.(string)
			out = append(out, s)
		}
		return out
	}
	return nil
}

// evaluate returns the first error of value v, at path at, against schema s.
func evaluate(s, v any, at string) *ajvError {
	switch s := s.(type) {
	case bool:
		if !s {
			return &ajvError{at, "boolean schema is false"}
		}
		return nil
	case map[string]any:
		return evaluateObject(s, v, at)
	}
	return nil
}

func evaluateObject(m map[string]any, v any, at string) *ajvError {
	types := schemaTypes(m)
	deferred := ""
	if len(types) == 1 {
		switch t := types[0]; {
		case t == "number" && usesAny(m, numberKeywords),
			t == "string" && usesAny(m, stringKeywords),
			t == "array" && usesAny(m, arrayKeywords),
			t == "object" && usesAny(m, objectKeywords):
			deferred = t
		}
	}
	typeError := &ajvError{at, "must be " + strings.Join(types, ",")}
	if len(types) > 0 && deferred == "" && !isAnyType(types, v) {
		return typeError
	}

	if want, ok := m["const"]; ok && !jsEqual(v, want) {
		return &ajvError{at, "must be equal to constant"}
	}
	if list, ok := m["enum"].([]any); ok && !slices.ContainsFunc(list, func(e any) bool { return jsEqual(v, e) }) {
		return &ajvError{at, "must be equal to one of the allowed values"}
	}

	if usesAny(m, numberKeywords) {
		if x, ok := finiteNumber(v); ok {
			if e := evaluateNumber(m, x, at); e != nil {
				return e
			}
		} else if deferred == "number" {
			return typeError
		}
	}
	if usesAny(m, stringKeywords) {
		if str, ok := v.(string); ok {
			n := utf8.RuneCountInString(str)
			if limit, ok := finiteNumber(m["maxLength"]); ok && float64(n) > limit {
				return &ajvError{at, "must NOT have more than " + jsNumberString(limit) + " characters"}
			}
			if limit, ok := finiteNumber(m["minLength"]); ok && float64(n) < limit {
				return &ajvError{at, "must NOT have fewer than " + jsNumberString(limit) + " characters"}
			}
		} else if deferred == "string" {
			return typeError
		}
	}
	if usesAny(m, arrayKeywords) {
		if list, ok := v.([]any); ok {
			if e := evaluateArray(m, list, at); e != nil {
				return e
			}
		} else if deferred == "array" {
			return typeError
		}
	}
	if deferred == "object" {
		if _, ok := v.(map[string]any); !ok {
			return typeError
		}
	}
	return nil
}

func evaluateNumber(m map[string]any, x float64, at string) *ajvError {
	checks := []struct {
		keyword, op string
		fails       func(x, limit float64) bool
	}{
		{"maximum", "<=", func(x, l float64) bool { return x > l }},
		{"minimum", ">=", func(x, l float64) bool { return x < l }},
		{"exclusiveMaximum", "<", func(x, l float64) bool { return x >= l }},
		{"exclusiveMinimum", ">", func(x, l float64) bool { return x <= l }},
	}
	for _, c := range checks {
		if limit, ok := finiteNumber(m[c.keyword]); ok && c.fails(x, limit) {
			return &ajvError{at, "must be " + c.op + " " + jsNumberString(limit)}
		}
	}
	if d, ok := finiteNumber(m["multipleOf"]); ok && (d == 0 || !isParseIntExact(x/d)) {
		return &ajvError{at, "must be multiple of " + jsNumberString(d)}
	}
	return nil
}

// isParseIntExact reports whether parseInt(q) === q in JavaScript, Ajv's multipleOf
// test: true for integers printed without an exponent.
func isParseIntExact(q float64) bool {
	if math.IsNaN(q) || math.IsInf(q, 0) {
		return false
	}
	s := jsNumberString(q)
	end := 0
	if strings.HasPrefix(s, "-") {
		end = 1
	}
	start := end
	for end < len(s) && '0' <= s[end] && s[end] <= '9' {
		end++
	}
	if end == start {
		return false
	}
	n, err := strconv.ParseFloat(s[:end], 64)
	return err == nil && n == q
}

func evaluateArray(m map[string]any, list []any, at string) *ajvError {
	n := float64(len(list))
	if limit, ok := finiteNumber(m["maxItems"]); ok && n > limit {
		return &ajvError{at, "must NOT have more than " + jsNumberString(limit) + " items"}
	}
	if limit, ok := finiteNumber(m["minItems"]); ok && n < limit {
		return &ajvError{at, "must NOT have fewer than " + jsNumberString(limit) + " items"}
	}
	if items, ok := m["items"]; ok {
		for i, item := range list {
			if e := evaluate(items, item, at+"/"+strconv.Itoa(i)); e != nil {
				return e
			}
		}
	}
	if contains, ok := m["contains"]; ok {
		lo, ok := finiteNumber(m["minContains"])
		if !ok {
			lo = 1
		}
		hi, hasHi := finiteNumber(m["maxContains"])
		count := 0.0
		for _, item := range list {
			if evaluate(contains, item, "") == nil {
				count++
			}
		}
		if count < lo || hasHi && count > hi {
			msg := "must contain at least " + jsNumberString(lo) + " valid item(s)"
			if hasHi {
				msg = "must contain at least " + jsNumberString(lo) + " and no more than " + jsNumberString(hi) + " valid item(s)"
			}
			return &ajvError{at, msg}
		}
	}
	if unique, _ := m["uniqueItems"].(bool); unique {
		var itemTypes []string
		if items, ok := m["items"].(map[string]any); ok {
			itemTypes = schemaTypes(items)
		}
		if a, b, dup := duplicateItems(list, itemTypes); dup {
			return &ajvError{at, duplicateMessage(a, b)}
		}
	}
	return nil
}

func duplicateMessage(a, b int) string {
	return fmt.Sprintf("must NOT have duplicate items (items ## %d and %d are identical)", a, b)
}

// duplicateItems finds a duplicate pair as Ajv's uniqueItems does and returns the two
// indices in the order its message prints them. With scalar item types Ajv walks the
// list from the end, keying a plain object by each item's string form (so it skips
// items of other types, and never sees a duplicate "__proto__"); otherwise it compares
// every pair, from the end.
func duplicateItems(list []any, itemTypes []string) (int, int, bool) {
	scalar := len(itemTypes) > 0 && !slices.Contains(itemTypes, "object") && !slices.Contains(itemTypes, "array")
	if !scalar {
		for i := len(list) - 1; i > 0; i-- {
			for j := i - 1; j >= 0; j-- {
				if jsEqual(list[i], list[j]) {
					return j, i, true
				}
			}
		}
		return 0, 0, false
	}
	seen := map[string]int{}
	for i := len(list) - 1; i >= 0; i-- {
		item := list[i]
		if !isAnyType(itemTypes, item) {
			continue
		}
		key := jsString(item)
		if _, ok := item.(string); ok && len(itemTypes) > 1 {
			key += "_"
		}
		if key == objectPrototypeKeyName {
			continue
		}
		if j, ok := seen[key]; ok {
			return j, i, true
		}
		seen[key] = i
	}
	return 0, 0, false
}

// ---------------------------------------------------------------------------
// JavaScript values

// finiteNumber returns v as a number when it is a finite JSON number (Ajv's number).
func finiteNumber(v any) (float64, bool) {
	f, ok := jsonNumber(v)
	if !ok || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, false
	}
	return f, true
}

// jsonNumber returns v as JavaScript's JSON.parse would make it: numbers beyond float64
// range become ±Infinity.
func jsonNumber(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case json.Number:
		f, err := strconv.ParseFloat(string(x), 64)
		if err != nil && !math.IsInf(f, 0) {
			return math.NaN(), true
		}
		return f, true
	case float32:
		return float64(x), true
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	}
	return 0, false
}

// truthy reports JavaScript truthiness of a JSON value.
func truthy(v any) bool {
	switch x := v.(type) {
	case nil:
		return false
	case bool:
		return x
	case string:
		return x != ""
	}
	if f, ok := jsonNumber(v); ok {
		return f != 0 && !math.IsNaN(f)
	}
	return true
}

// isAnyType reports whether v has one of the JSON Schema types (Ajv's checks, with
// strict numbers).
func isAnyType(types []string, v any) bool {
	for _, t := range types {
		switch t {
		case "string":
			if _, ok := v.(string); ok {
				return true
			}
		case "number":
			if _, ok := finiteNumber(v); ok {
				return true
			}
		case "integer":
			if f, ok := finiteNumber(v); ok && f == math.Trunc(f) {
				return true
			}
		case "boolean":
			if _, ok := v.(bool); ok {
				return true
			}
		case "null":
			if v == nil {
				return true
			}
		case "array":
			if _, ok := v.([]any); ok {
				return true
			}
		case "object":
			if _, ok := v.(map[string]any); ok {
				return true
			}
		}
	}
	return false
}

// jsEqual is deep equality of JSON values as Ajv's fast-deep-equal sees them.
func jsEqual(a, b any) bool {
	if x, ok := jsonNumber(a); ok {
		y, ok := jsonNumber(b)
		return ok && (x == y || math.IsNaN(x) && math.IsNaN(y))
	}
	switch x := a.(type) {
	case nil:
		return b == nil
	case string:
		y, ok := b.(string)
		return ok && x == y
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	case []any:
		y, ok := b.([]any)
		return ok && len(x) == len(y) && equalLists(x, y)
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, xv := range x {
			yv, ok := y[k]
			if !ok || !jsEqual(xv, yv) {
				return false
			}
		}
		return true
	}
	return false
}

func equalLists(x, y []any) bool {
	for i := range x {
		if !jsEqual(x[i], y[i]) {
			return false
		}
	}
	return true
}

// jsString is JavaScript's String(v) for a scalar.
func jsString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case bool:
		return strconv.FormatBool(x)
	case nil:
		return "null"
	}
	if f, ok := jsonNumber(v); ok {
		return jsNumberString(f)
	}
	return ""
}

// jsNumberString formats f as JavaScript's Number.prototype.toString does.
func jsNumberString(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	case f == 0:
		return "0"
	}
	sign := ""
	if f < 0 {
		sign, f = "-", -f
	}
	// Shortest digits that round-trip, and the decimal exponent.
	e := strconv.FormatFloat(f, 'e', -1, 64)
	mant, exp, _ := strings.Cut(e, "e")
	digits := strings.Replace(mant, ".", "", 1)
	x, _ := strconv.Atoi(exp)
	k, n := len(digits), x+1 // n: position of the decimal point
	switch {
	case k <= n && n <= 21:
		return sign + digits + strings.Repeat("0", n-k)
	case 0 < n && n <= 21:
		return sign + digits[:n] + "." + digits[n:]
	case -6 < n && n <= 0:
		return sign + "0." + strings.Repeat("0", -n) + digits
	}
	out := digits[:1]
	if k > 1 {
		out += "." + digits[1:]
	}
	if n-1 >= 0 {
		return sign + out + "e+" + strconv.Itoa(n-1)
	}
	return sign + out + "e-" + strconv.Itoa(1-n)
}

var pointerEscaper = strings.NewReplacer("~", "~0", "/", "~1")

// escapePointer escapes a JSON Pointer token.
func escapePointer(s string) string { return pointerEscaper.Replace(s) }

// escapeFragment is Ajv's escapeFragment: a JSON Pointer token through
// encodeURIComponent.
func escapeFragment(s string) string {
	const unreserved = "-_.!~*'()"
	var b strings.Builder
	for _, c := range []byte(escapePointer(s)) {
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || strings.IndexByte(unreserved, c) >= 0 {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}
