package protocols

import (
	"errors"
	"math"
	"slices"
	"strconv"
	"strings"

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
// Every keyword of Ajv's draft 2020-12 instance is evaluated, wherever it appears: the
// core keywords ($ref, $dynamicRef and $dynamicAnchor, $recursiveRef and
// $recursiveAnchor, $id, $defs, definitions), the applicators (allOf, anyOf, oneOf,
// not, if/then/else, prefixItems, items, contains, properties, patternProperties,
// additionalProperties, propertyNames, dependentSchemas, dependencies,
// unevaluatedItems, unevaluatedProperties), the validation keywords (type, nullable,
// const, enum, the number, length, item and property limits, multipleOf, pattern,
// uniqueItems, minContains/maxContains, required, dependentRequired), the annotations,
// and the keywords whose only effect is a compile error (format, id, and the keys Ajv
// does not know, $anchor among them). tags_meta.go checks the meta-schema;
// tags_compile.go compiles as Ajv generates code: its strict-mode errors, and its
// resolution of references ("#/…" is a JSON Pointer into the compiled object schema,
// so "#/properties/<tag>/…" names a tag schema or a part of one); tags_eval.go runs the
// result with Ajv's error reporting (all the errors of a failed anyOf, oneOf, if or
// propertyNames, and of the items of a failed contains inside one); tags_regexp.go and
// tags_uri.go translate patterns and URI references. Ajv's quirks are reproduced too,
// among them that the keywords after a $dynamicRef in its group never run, that V8
// tries the empty match between the halves of a surrogate pair, and the ReferenceError
// of generated code that reads a variable its optimizer dropped.
//
// What this server refuses, at configure time with ProtocolsConfigureInvalidTagSchema
// and, should such a rule be stored anyway, at write time with
// ProtocolAuthorizationTagsInvalidSchema, where the reference accepts the definition:
//
//   - patterns (pattern, the keys of patternProperties) whose regular expression
//     syntax Go's regexp cannot match identically: lookaround, backreferences, \p{…},
//     counts beyond 1000, and what JavaScript itself rejects (on which the reference
//     throws at every write); see tags_regexp.go. This is the difference realistic
//     schemas can meet.
//   - constructs no realistic schema uses: $id values, and $ref values with "%" before
//     the fragment, outside the URI subset of tags_uri.go; references that walk into
//     JavaScript prototypes or into the meta-schemas, or name a vocabulary meta-schema
//     (also as $schema); $async; non-string entries where Ajv expects strings and
//     non-numbers for minContains or maxContains, behind references that escape the
//     meta-schema; patternProperties next to properties whose names or patterns have
//     characters beyond U+FFFF (Ajv also runs them without the "u" flag).
//
// A write whose check would take more than maxSteps schema evaluations fails with
// ProtocolAuthorizationTagsInvalidSchema (the reference would spin); one that recurses
// without end fails as in the reference, with "Maximum call stack size exceeded".
//
// Key order. Ajv reports the first error it meets, so where several tags are wrong the
// order of object keys decides which one is named. At write time the reference reads
// the definition back from its store as dag-cbor, so the rule's keys come in dag-cbor
// order (length first, then bytewise; JavaScript moves integer-like keys to the front):
// VerifyTags uses that order and matches the reference exactly. The record's tags are
// in the client's order, which VerifyTags cannot know; it uses integer-like keys, then
// the others bytewise, which matters only where an error names one of several tags
// that a schema iterates (never for tags the reference's RecordsWrite schema admits).
// At configure time the $tags keys are in the client's order; ValidateTagSchemas takes
// a map and uses the same order as for tags, which differs from the reference only when
// two tag schemas are invalid and the client did not send them in that order.
//
// Where data reaches. The reference's RecordsWrite schema admits tags that are
// strings, numbers, booleans, or arrays of strings or of numbers, and its rule-set
// schema limits a tag schema to type, items, contains and the limit keywords; so the
// schemas inside items and contains, whatever they use, only ever see strings and
// numbers. For other data (arrays or objects below the top level) the evaluation still
// follows Ajv, including the items and properties unevaluatedItems and
// unevaluatedProperties count as evaluated; that bookkeeping is modelled on Ajv's
// rather than copied, and only the random vectors check it.

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
// for the inputs on which the reference throws a plain Error, that error's message and
// no code. Tags are checked in the order described in this file's header. A tag schema
// that the reference accepts but this server does not support (see the header) is
// refused with ProtocolsConfigureInvalidTagSchema and a message that says so.
func ValidateTagSchemas(ruleSetPath string, tags map[string]any) error {
	return validateTagSchemasInOrder(ruleSetPath, tags, jsKeyOrder(tags, canonicalLess))
}

// validateTagSchemasInOrder is ValidateTagSchemas with the $tags keys in the order the
// client sent them.
func validateTagSchemasInOrder(ruleSetPath string, tags map[string]any, keys []string) error {
	if tags == nil {
		return nil
	}
	entries := tagSchemaEntries(tags, keys)
	for _, e := range entries {
		dataVar := ruleSetPath + "/$tags/" + e.name
		metaID := ""
		if m, ok := e.schema.(map[string]any); ok {
			if s, ok := m["$schema"]; ok {
				if metaID, ok = s.(string); !ok {
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
		if err := checkMetaSchemaID(metaID); err != nil {
			var f *tagFault
			if errors.As(err, &f) && f.unsupported != "" {
				return dwn.Errorf(dwn.Invalid, codeInvalidTagSchema, "%s%s/$schema %s", tagsErrorPrefix, dataVar, f.unsupported)
			}
			return dwn.Errorf(dwn.Invalid, "", "%s", err.Error())
		}
		if errs := metaValidate(e.schema, "", canonicalLess); errs != nil {
			return dwn.Errorf(dwn.Invalid, codeInvalidTagSchema, "%s%s", tagsErrorPrefix, errorsText(errs, dataVar))
		}
	}
	// What this server does not support: first what a look at each schema finds, then
	// what compiling the rule as the write-time check does finds. An error Ajv would
	// throw while compiling is no reason to refuse here: the reference accepts the
	// definition and then fails every write with that error, as VerifyTags does.
	for _, e := range entries {
		if at, f := scanUnsupported(e.schema, ""); f != nil {
			return dwn.Errorf(dwn.Invalid, codeInvalidTagSchema, "%s%s%s %s", tagsErrorPrefix, ruleSetPath+"/$tags/"+e.name, at, f.unsupported)
		}
	}
	if _, err := compileTagRule(tags, canonicalLess); err != nil {
		var f *tagFault
		if errors.As(err, &f) && f.unsupported != "" {
			return dwn.Errorf(dwn.Invalid, codeInvalidTagSchema, "%s%s/$tags %s", tagsErrorPrefix, ruleSetPath, f.unsupported)
		}
	}
	return nil
}

// checkMetaSchemaID checks a tag schema's $schema as validateSchema uses it: empty
// means the default meta-schema (draft 2020-12), which can also be named; any other
// value the reference cannot find throws. Names that reach into the meta-schemas in
// other ways are refused.
func checkMetaSchemaID(id string) error {
	if id == "" {
		return nil
	}
	isMeta := func(s string) bool {
		return s == metaSchemaID || s == "http://json-schema.org/schema" ||
			slices.ContainsFunc(metaVocabularyIDs, func(v string) bool { return s == "https://json-schema.org/draft/2020-12/meta/"+v })
	}
	refuse := unsupportedf("names a meta-schema this server does not support")
	switch n := normalizeID(id); {
	case n == metaSchemaID || n == "http://json-schema.org/schema":
		return nil
	case isMeta(n):
		return refuse
	}
	u, err := uriParse(id)
	if err != nil {
		if strings.Contains(id, "%") {
			return refuse
		}
	} else if base, err := u.fullPath(); err == nil && isMeta(normalizeID(base)) && strings.HasPrefix(u.fragment, "/") {
		return refuse
	}
	return ajvThrow("no schema with key or ref \"%s\"", id)
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
// A rule this server does not support (see the header) fails with
// ProtocolAuthorizationTagsInvalidSchema and a message that says so.
func VerifyTags(tagsRule map[string]any, protocol, protocolPath string, tags map[string]any) error {
	if tagsRule == nil {
		return nil
	}
	dataVar := protocol + "/" + protocolPath + "/$tags"
	fn, err := compileTagRule(tagsRule, dagCBORLess)
	if err != nil {
		return tagFaultError(err, dataVar)
	}
	if tags == nil {
		tags = map[string]any{}
	}
	r := newRun(canonicalLess)
	valid, _ := r.call(fn, tags, "")
	switch {
	case r.fault != nil:
		return tagFaultError(r.fault, dataVar)
	case !valid:
		return dwn.Errorf(dwn.Invalid, codeTagsInvalidSchema, "%s%s", tagsErrorPrefix, errorsText(r.errs, dataVar))
	}
	return nil
}

// tagFaultError renders a failure to compile or run a rule for a RecordsWrite reply.
func tagFaultError(err error, dataVar string) error {
	var f *tagFault
	switch {
	case errors.Is(err, errStackOverflow):
		return dwn.Errorf(dwn.Invalid, "", "%s", err.Error())
	case errors.Is(err, errTooComplex):
		return dwn.Errorf(dwn.Invalid, codeTagsInvalidSchema, "%s%s: %s", tagsErrorPrefix, dataVar, err.Error())
	case errors.As(err, &f) && f.unsupported != "":
		return dwn.Errorf(dwn.Invalid, codeTagsInvalidSchema, "%s%s %s", tagsErrorPrefix, dataVar, f.unsupported)
	}
	return dwn.Errorf(dwn.Invalid, "", "%s", err.Error())
}

// scanUnsupported looks through a tag schema (at JSON Pointer at) for what this server
// does not support and can be seen without compiling: patterns it cannot translate, and
// URI references outside its subset. It returns where, and why.
func scanUnsupported(s any, at string) (string, *tagFault) {
	m, ok := s.(map[string]any)
	if !ok {
		return "", nil
	}
	for _, k := range jsKeyOrder(m, canonicalLess) {
		v := m[k]
		p := at + "/" + escapePointer(k)
		switch k {
		case "pattern":
			if str, ok := v.(string); ok {
				if _, err := compileJSRegexp(str); err != nil {
					return p, unsupportedPattern(str)
				}
			}
		case "$ref", "$id":
			if str, ok := v.(string); ok {
				if _, err := uriParse(str); err != nil && (k == "$id" || strings.Contains(str, "%")) {
					return p, unsupportedURI(err)
				}
			}
		case "items", "contains", "additionalProperties", "propertyNames", "if", "then", "else", "not",
			"unevaluatedItems", "unevaluatedProperties", "contentSchema":
			if at, f := scanUnsupported(v, p); f != nil {
				return at, f
			}
		case "prefixItems", "allOf", "anyOf", "oneOf":
			list, _ := v.([]any)
			for i, e := range list {
				if at, f := scanUnsupported(e, p+"/"+strconv.Itoa(i)); f != nil {
					return at, f
				}
			}
		case "$defs", "properties", "patternProperties", "dependentSchemas", "definitions", "dependencies":
			obj, _ := v.(map[string]any)
			for _, pk := range jsKeyOrder(obj, canonicalLess) {
				if k == "patternProperties" {
					if _, err := compileJSRegexp(pk); err != nil {
						return p + "/" + escapePointer(pk), unsupportedPattern(pk)
					}
				}
				if at, f := scanUnsupported(obj[pk], p+"/"+escapePointer(pk)); f != nil {
					return at, f
				}
			}
		}
	}
	return "", nil
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
