package protocols

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Compiling a $tags rule as ajv.compile compiles the reference's schema {type: object,
// properties, required, additionalProperties}: first the references of the schema
// ($id, $anchor and $dynamicAnchor, Ajv's getSchemaRefs), then the meta-schema, then
// code generation, which walks the schema keyword by keyword in Ajv's rule order and
// throws on some schemas (strict mode). The compiler follows that walk, so the first
// error it meets is the one Ajv throws, and builds a tree of snodes that the evaluator
// (tags_eval.go) runs as Ajv's generated code runs.

// tagFault is why a rule cannot be compiled: Ajv's exception (msg), or a construct
// this server does not support (unsupported).
type tagFault struct {
	msg         string
	unsupported string
}

func (f *tagFault) Error() string {
	if f.unsupported != "" {
		return f.unsupported
	}
	return f.msg
}

func ajvThrow(format string, args ...any) *tagFault {
	return &tagFault{msg: fmt.Sprintf(format, args...)}
}

func unsupportedf(format string, args ...any) *tagFault {
	return &tagFault{unsupported: fmt.Sprintf(format, args...)}
}

// unsupportedURI turns a URI error into a fault.
func unsupportedURI(err error) *tagFault {
	if e, ok := err.(*errUnsupportedURI); ok {
		return unsupportedf("uses the URI reference %q, which this server does not support in tag schemas", e.ref)
	}
	return unsupportedf("%v", err)
}

// Ajv's rules: the keywords with code, in the order Ajv runs them, by data type
// group ("" for any type).
var ruleGroups = []struct {
	typ      string
	keywords []string
}{
	{"", []string{"$dynamicAnchor", "$dynamicRef", "$recursiveAnchor", "$recursiveRef", "$comment", "id", "$ref",
		"type", "nullable", "const", "enum", "not", "anyOf", "oneOf", "allOf", "if", "then", "else"}},
	{"number", []string{"maximum", "minimum", "exclusiveMaximum", "exclusiveMinimum", "multipleOf", "format"}},
	{"string", []string{"maxLength", "minLength", "pattern", "format"}},
	{"array", []string{"maxItems", "minItems", "prefixItems", "items", "contains", "uniqueItems", "maxContains",
		"minContains", "unevaluatedItems"}},
	{"object", []string{"maxProperties", "minProperties", "required", "propertyNames", "additionalProperties",
		"dependencies", "properties", "patternProperties", "dependentRequired", "dependentSchemas",
		"unevaluatedProperties"}},
}

// ruleSchemaTypes are the JSON types each rule's value must have (Ajv's schemaType).
var ruleSchemaTypes = map[string][]string{
	"$dynamicAnchor": {"string"}, "$dynamicRef": {"string"}, "$recursiveAnchor": {"boolean"},
	"$recursiveRef": {"string"}, "$ref": {"string"}, "type": {"string", "array"}, "nullable": {"boolean"},
	"enum": {"array"}, "not": {"object", "boolean"}, "anyOf": {"array"}, "oneOf": {"array"}, "allOf": {"array"},
	"if": {"object", "boolean"}, "then": {"object", "boolean"}, "else": {"object", "boolean"},
	"maximum": {"number"}, "minimum": {"number"}, "exclusiveMaximum": {"number"}, "exclusiveMinimum": {"number"},
	"multipleOf": {"number"}, "format": {"string"}, "maxLength": {"number"}, "minLength": {"number"},
	"pattern": {"string"}, "maxItems": {"number"}, "minItems": {"number"}, "prefixItems": {"array"},
	"items": {"object", "boolean"}, "contains": {"object", "boolean"}, "uniqueItems": {"boolean"},
	"maxContains": {"number"}, "minContains": {"number"}, "unevaluatedItems": {"boolean", "object"},
	"maxProperties": {"number"}, "minProperties": {"number"}, "required": {"array"},
	"propertyNames": {"object", "boolean"}, "additionalProperties": {"boolean", "object"},
	"dependencies": {"object"}, "properties": {"object"}, "patternProperties": {"object"},
	"dependentRequired": {"object"}, "dependentSchemas": {"object"}, "unevaluatedProperties": {"boolean", "object"},
}

// ajvRules is the set of keywords with a rule (Ajv's RULES.all).
var ajvRules = func() map[string]bool {
	m := map[string]bool{}
	for _, g := range ruleGroups {
		for _, k := range g.keywords {
			m[k] = true
		}
	}
	return m
}()

// ajvKeywords are the keywords an Ajv 2020 instance knows; any other key in a schema
// fails compilation in strict mode.
var ajvKeywords = func() map[string]bool {
	m := map[string]bool{}
	for k := range ajvRules {
		m[k] = true
	}
	for _, k := range []string{"$async", "$schema", "$id", "$defs", "$vocabulary", "definitions", "title",
		"description", "default", "deprecated", "readOnly", "writeOnly", "examples", "contentMediaType",
		"contentEncoding", "contentSchema"} {
		m[k] = true
	}
	return m
}()

// The draft 2020-12 meta-schema and its vocabularies, known to every Ajv 2020
// instance.
const metaSchemaID = "https://json-schema.org/draft/2020-12/schema"

var metaVocabularyIDs = []string{"applicator", "unevaluated", "content", "core", "format-annotation", "meta-data", "validation"}

// schemaEnv is Ajv's SchemaEnv: a schema with the base URI of its references,
// compiled into a function of its own.
type schemaEnv struct {
	schema any
	baseID string
	async  bool
	meta   bool // a meta-schema
	vocab  bool // a vocabulary meta-schema
	fn     *tagFunc
}

// tagFunc is a compiled validation function.
type tagFunc struct {
	env  *schemaEnv
	body *snode
	meta bool // validates against the meta-schema
	done bool
	// What a caller learns of the properties and items it evaluated (validate.evaluated).
	props, items evTrack
	endReads     []nameRead     // what the end of the function reads (validate.evaluated = …)
	counters     map[string]int // of variable names
}

// refTarget is a resolved reference: a schema to inline, or a function to call.
type refTarget struct {
	inline bool
	schema any
	env    *schemaEnv
}

type tagCompiler struct {
	less       func(a, b string) int
	rootEnv    *schemaEnv
	refs       map[string]any // Ajv's refs: a string (an alias) or a *schemaEnv
	localRefs  map[string]any
	rootRefs   map[string]refTarget
	compiling  []*schemaEnv
	dynAnchors map[string]bool
	depth      int
}

func newTagCompiler(less func(a, b string) int) *tagCompiler {
	c := &tagCompiler{
		less:       less,
		refs:       map[string]any{},
		localRefs:  map[string]any{},
		rootRefs:   map[string]refTarget{},
		dynAnchors: map[string]bool{},
	}
	meta := &schemaEnv{meta: true, baseID: metaSchemaID}
	metaProps := map[string]bool{}
	for _, k := range metaKeywordOrder {
		metaProps[k] = true
	}
	meta.fn = &tagFunc{env: meta, meta: true, done: true, props: evTrack{defined: true, names: metaProps}}
	c.refs[metaSchemaID] = meta
	for _, v := range metaVocabularyIDs {
		id := "https://json-schema.org/draft/2020-12/meta/" + v
		c.refs[id] = &schemaEnv{meta: true, vocab: true, baseID: id}
	}
	c.refs["http://json-schema.org/schema"] = metaSchemaID
	return c
}

// compileTagRule compiles the reference's schema for a $tags rule, with object keys in
// less order.
func compileTagRule(rule map[string]any, less func(a, b string) int) (*tagFunc, error) {
	props := map[string]any{}
	for k, v := range rule {
		switch k {
		case requiredTagsKey, allowUndefinedTagsKey, objectPrototypeKeyName:
			continue
		}
		props[k] = v
	}
	additional := rule[allowUndefinedTagsKey]
	if !truthy(additional) {
		additional = false
	}
	required := rule[requiredTagsKey]
	if !truthy(required) {
		required = []any{}
	}
	root := map[string]any{"type": "object", "properties": props, "required": required, "additionalProperties": additional}

	c := newTagCompiler(less)
	if err := c.schemaRefs(root); err != nil {
		return nil, err
	}
	c.rootEnv = &schemaEnv{schema: root}
	c.refs[""] = c.rootEnv
	if errs := metaValidate(root, "", less); errs != nil {
		return nil, ajvThrow("schema is invalid: %s", errorsText(errs, "data"))
	}
	env, err := c.compileSchema(c.rootEnv)
	if err != nil {
		return nil, err
	}
	return env.fn, nil
}

// ---------------------------------------------------------------------------
// references

// Keywords json-schema-traverse descends into, as getSchemaRefs walks a schema. Its
// tests use the "in" operator, so Object.prototype's names count too.
var (
	traverseKeywords      = map[string]bool{"additionalItems": true, "items": true, "contains": true, "additionalProperties": true, "propertyNames": true, "not": true, "if": true, "then": true, "else": true}
	traverseArrayKeywords = map[string]bool{"items": true, "allOf": true, "anyOf": true, "oneOf": true}
	traversePropsKeywords = map[string]bool{"$defs": true, "definitions": true, "properties": true, "patternProperties": true, "dependencies": true}
	traverseSkipKeywords  = map[string]bool{"default": true, "enum": true, "const": true, "required": true, "maximum": true, "minimum": true, "exclusiveMaximum": true, "exclusiveMinimum": true, "multipleOf": true, "maxLength": true, "minLength": true, "pattern": true, "format": true, "maxItems": true, "minItems": true, "uniqueItems": true, "maxProperties": true, "minProperties": true}
)

func inSet(set map[string]bool, k string) bool { return set[k] || objectPrototypeKeys[k] }

var rootKeyOrder = []string{"type", "properties", "required", "additionalProperties"}

// schemaRefs is Ajv's getSchemaRefs for the root: it registers every $id (in refs, or
// in localRefs for "#…" ones) and every $anchor and $dynamicAnchor, and throws on an
// invalid anchor or an ambiguous reference.
func (c *tagCompiler) schemaRefs(root map[string]any) error {
	baseIDs := map[string]string{"": ""}
	seen := map[string]bool{}
	var walk func(sch any, ptr, parent string, top bool) error
	addRef := func(baseID, ref, fullPath string, sch any) (string, error) {
		if baseID != "" {
			r, err := uriResolve(baseID, ref)
			if err != nil {
				return "", unsupportedURI(err)
			}
			ref = r
		}
		ref = normalizeID(ref)
		ambiguous := ajvThrow("reference \"%s\" resolves to more than one schema", ref)
		if seen[ref] {
			return "", ambiguous
		}
		seen[ref] = true
		existing := c.refs[ref]
		if s, ok := existing.(string); ok {
			existing = c.refs[s]
		}
		switch {
		case existing != nil:
			if _, ok := existing.(*schemaEnv); ok {
				return "", ambiguous // a meta-schema, which no tag schema equals
			}
		case ref != normalizeID(fullPath):
			if strings.HasPrefix(ref, "#") {
				if prev, ok := c.localRefs[ref]; ok && !jsEqual(prev, sch) {
					return "", ambiguous
				}
				c.localRefs[ref] = sch
			} else {
				c.refs[ref] = fullPath
			}
		}
		return ref, nil
	}
	walk = func(sch any, ptr, parent string, top bool) error {
		m, ok := sch.(map[string]any)
		if !ok {
			return nil
		}
		if !top {
			fullPath := "#" + ptr
			baseID := baseIDs[parent]
			if id, ok := m["$id"].(string); ok {
				r, err := addRef(baseID, id, fullPath, sch)
				if err != nil {
					return err
				}
				baseID = r
			}
			for _, k := range []string{"$anchor", "$dynamicAnchor"} {
				if a, ok := m[k].(string); ok {
					if !isAnchor(a) {
						return ajvThrow("invalid anchor \"%s\"", a)
					}
					if _, err := addRef(baseID, "#"+a, fullPath, sch); err != nil {
						return err
					}
				}
			}
			baseIDs[ptr] = baseID
		}
		keys := forInKeys(m, c.less)
		if top {
			keys = rootKeyOrder // the object literal of verifyTagsIfNeeded
		}
		for _, k := range keys {
			v := m[k]
			p := ptr + "/" + k
			if list, ok := v.([]any); ok {
				if inSet(traverseArrayKeywords, k) {
					for i, e := range list {
						if err := walk(e, p+"/"+strconv.Itoa(i), ptr, false); err != nil {
							return err
						}
					}
				}
				continue
			}
			if inSet(traversePropsKeywords, k) {
				if obj, ok := v.(map[string]any); ok {
					for _, pk := range forInKeys(obj, c.less) {
						if err := walk(obj[pk], p+"/"+escapePointer(pk), ptr, false); err != nil {
							return err
						}
					}
				}
				continue
			}
			if inSet(traverseKeywords, k) || !inSet(traverseSkipKeywords, k) {
				if err := walk(v, p, ptr, false); err != nil {
					return err
				}
			}
		}
		return nil
	}
	return walk(root, "", "", true)
}

// sameSchema reports whether a and b are the same schema value (identity for objects
// and arrays).
func sameSchema(a, b any) bool {
	switch x := a.(type) {
	case map[string]any:
		y, ok := b.(map[string]any)
		return ok && reflect.ValueOf(x).UnsafePointer() == reflect.ValueOf(y).UnsafePointer()
	case []any:
		y, ok := b.([]any)
		return ok && len(x) == len(y) && (len(x) == 0 || &x[0] == &y[0])
	}
	return jsStrictEqual(a, b)
}

// resolveRef is Ajv's resolveRef: the target of ref seen from baseID, or a zero
// refTarget when there is none.
func (c *tagCompiler) resolveRef(baseID, ref string) (refTarget, error) {
	full, err := resolveURL(baseID, ref)
	if err != nil {
		// Outside the subset, uri-js keeps the characters it does not allow
		// percent-encoded, so such a reference names none of the schemas, whose URIs are
		// in the subset; unless it has escapes of its own, which might decode to one.
		before, _, _ := strings.Cut(ref, "#")
		if strings.Contains(before, "%") {
			return refTarget{}, unsupportedURI(err)
		}
		return refTarget{}, nil
	}
	if t, ok := c.rootRefs[full]; ok {
		return t, nil
	}
	env, err := c.resolve(full)
	if err != nil {
		return refTarget{}, err
	}
	if env == nil {
		if s, ok := c.localRefs[full]; ok {
			env = &schemaEnv{schema: s, baseID: baseID}
		}
	}
	if env == nil {
		return refTarget{}, nil
	}
	var t refTarget
	if env.meta {
		t = refTarget{env: env}
	} else if inlineRef(env.schema) {
		t = refTarget{inline: true, schema: env.schema}
	} else {
		e, err := c.compileSchema(env)
		if err != nil {
			return refTarget{}, err
		}
		t = refTarget{env: e}
	}
	c.rootRefs[full] = t
	return t, nil
}

// resolve is Ajv's resolve: refs aliases, then resolveSchema.
func (c *tagCompiler) resolve(ref string) (*schemaEnv, error) {
	for {
		s, ok := c.refs[ref].(string)
		if !ok {
			break
		}
		ref = s
	}
	if env, ok := c.refs[ref].(*schemaEnv); ok {
		return env, nil
	}
	return c.resolveSchema(ref)
}

// resolveSchema is Ajv's resolveSchema.
func (c *tagCompiler) resolveSchema(ref string) (*schemaEnv, error) {
	c.depth++
	defer func() { c.depth-- }()
	if c.depth > 500 {
		return nil, ajvThrow("Maximum call stack size exceeded")
	}
	p, err := uriParse(ref)
	if err != nil {
		return nil, unsupportedURI(err)
	}
	refPath, err := p.fullPath()
	if err != nil {
		return nil, unsupportedURI(err)
	}
	const baseID = "#" // getFullPath of the root's base, ""
	if refPath == baseID {
		return c.jsonPointer(p, c.rootEnv)
	}
	id := normalizeID(refPath)
	switch target := c.refs[id].(type) {
	case string:
		env, err := c.resolveSchema(target)
		if err != nil || env == nil {
			return nil, err
		}
		if _, ok := env.schema.(map[string]any); !ok {
			if _, ok := env.schema.([]any); !ok {
				return nil, nil
			}
		}
		return c.jsonPointer(p, env)
	case *schemaEnv:
		if target.meta || target == c.rootEnv {
			// Into a meta-schema, or the root seen under another base: not modelled.
			return nil, unsupportedf("uses the reference %q, which this server does not support in tag schemas", ref)
		}
	}
	return nil, nil
}

// preventScopeChange lists the JSON Pointer tokens after which getJsonPointer does not
// apply an $id.
var preventScopeChange = map[string]bool{"properties": true, "patternProperties": true, "enum": true, "dependencies": true, "definitions": true}

// jsonPointer is Ajv's getJsonPointer: the schema at the fragment of p (a JSON
// Pointer) within env.
func (c *tagCompiler) jsonPointer(p uriParts, env *schemaEnv) (*schemaEnv, error) {
	if !p.hasFragment || !strings.HasPrefix(p.fragment, "/") {
		return nil, nil
	}
	schema, baseID := env.schema, env.baseID
	for _, part := range strings.Split(p.fragment[1:], "/") {
		if _, ok := schema.(bool); ok {
			return nil, nil
		}
		key, ok := decodeURIComponent(part)
		if !ok {
			return nil, ajvThrow("URI malformed")
		}
		next, found, err := jsGet(schema, unescapePointer(key))
		if err != nil {
			return nil, err
		}
		if !found {
			return nil, nil
		}
		schema = next
		if schema == nil {
			return nil, ajvThrow("Cannot read properties of null (reading '$id')")
		}
		if id, ok := ownProperty(schema, "$id"); ok && !preventScopeChange[part] && truthy(id) {
			s, ok := id.(string)
			if !ok {
				return nil, unsupportedf("uses a non-string $id, which this server does not support in tag schemas")
			}
			r, err := resolveURL(baseID, s)
			if err != nil {
				return nil, unsupportedURI(err)
			}
			baseID = r
		}
	}
	var target *schemaEnv
	if ref, ok := ownProperty(schema, "$ref"); ok && truthy(ref) && !schemaHasRulesButRef(schema) {
		s, ok := ref.(string)
		if !ok {
			return nil, unsupportedf("uses a non-string $ref, which this server does not support in tag schemas")
		}
		r, err := resolveURL(baseID, s)
		if err != nil {
			return nil, unsupportedURI(err)
		}
		if target, err = c.resolveSchema(r); err != nil {
			return nil, err
		}
	}
	if target == nil {
		target = &schemaEnv{schema: schema, baseID: baseID}
	}
	if sameSchema(target.schema, c.rootEnv.schema) {
		return nil, nil
	}
	return target, nil
}

// Properties of JavaScript's prototypes, which a JSON Pointer into a schema could
// reach; this file does not model them.
var (
	arrayPrototypeKeys  = "length at concat copyWithin fill find findIndex findLast findLastIndex lastIndexOf pop push reverse shift unshift slice sort splice includes indexOf join keys entries values forEach filter flat flatMap map every some reduce reduceRight toReversed toSorted toSpliced with"
	stringPrototypeKeys = "length anchor at big blink bold charAt charCodeAt codePointAt concat endsWith fontcolor fontsize fixed includes indexOf isWellFormed italics lastIndexOf link localeCompare match matchAll normalize padEnd padStart repeat replace replaceAll search slice small split strike sub substr substring sup startsWith toWellFormed trim trimStart trimLeft trimEnd trimRight toLocaleLowerCase toLocaleUpperCase toLowerCase toUpperCase"
	numberPrototypeKeys = "toExponential toFixed toPrecision"
)

func hasWord(list, w string) bool {
	return slices.Contains(strings.Fields(list), w)
}

// jsGet is v[key] for a JSON value, as a JSON Pointer walk reads it. found is false for
// undefined; inherited properties are refused as unsupported.
func jsGet(v any, key string) (any, bool, error) {
	inherited := func() (any, bool, error) {
		return nil, false, unsupportedf("uses a reference into a JavaScript prototype (%q), which this server does not support in tag schemas", key)
	}
	switch x := v.(type) {
	case nil:
		return nil, false, ajvThrow("Cannot read properties of null (reading '%s')", key)
	case map[string]any:
		if e, ok := x[key]; ok {
			return e, true, nil
		}
		if objectPrototypeKeys[key] {
			return inherited()
		}
		return nil, false, nil
	case []any:
		if isArrayIndex(key) {
			if i, _ := strconv.Atoi(key); i < len(x) {
				return x[i], true, nil
			}
			return nil, false, nil
		}
		if objectPrototypeKeys[key] || hasWord(arrayPrototypeKeys, key) {
			return inherited()
		}
		return nil, false, nil
	case string:
		if isArrayIndex(key) {
			if i, _ := strconv.Atoi(key); i < utf16Len(x) {
				if !utf8.ValidString(x) || strings.ContainsFunc(x, func(r rune) bool { return r > 0xFFFF }) {
					return inherited()
				}
				return string([]rune(x)[i]), true, nil
			}
			return nil, false, nil
		}
		if objectPrototypeKeys[key] || hasWord(stringPrototypeKeys, key) {
			return inherited()
		}
		return nil, false, nil
	}
	if objectPrototypeKeys[key] || hasWord(numberPrototypeKeys, key) {
		return inherited()
	}
	return nil, false, nil
}

// refKeywords make a schema impossible to inline.
var refKeywords = map[string]bool{"$ref": true, "$recursiveRef": true, "$recursiveAnchor": true, "$dynamicRef": true, "$dynamicAnchor": true}

// inlineRef is Ajv's inlineRef with inlineRefs: true: a schema without references.
func inlineRef(s any) bool {
	if _, ok := s.(bool); ok {
		return true
	}
	return !hasRef(s)
}

func hasRef(s any) bool {
	for _, k := range forInKeys(s, canonicalLess) {
		if refKeywords[k] {
			return true
		}
		var v any
		switch x := s.(type) {
		case map[string]any:
			v = x[k]
		case []any:
			i, _ := strconv.Atoi(k)
			v = x[i]
		}
		switch y := v.(type) {
		case []any:
			if slices.ContainsFunc(y, hasRef) {
				return true
			}
		case map[string]any:
			if hasRef(y) {
				return true
			}
		}
	}
	return false
}

// schemaHasRulesButRef reports whether a schema has a rule other than $ref.
func schemaHasRulesButRef(s any) bool {
	if b, ok := s.(bool); ok {
		return !b
	}
	for _, k := range forInKeys(s, canonicalLess) {
		if k != "$ref" && ajvRules[k] {
			return true
		}
	}
	return false
}

// ---------------------------------------------------------------------------
// functions and schemas

// compileSchema is Ajv's compileSchema: env's function, compiled now unless it is
// being compiled (a recursive reference), in which case that one.
func (c *tagCompiler) compileSchema(env *schemaEnv) (*schemaEnv, error) {
	for _, e := range c.compiling {
		if sameSchema(e.schema, env.schema) && e.baseID == env.baseID {
			return e, nil
		}
	}
	if env.fn != nil && env.fn.done {
		return env, nil
	}
	if m, ok := env.schema.(map[string]any); ok {
		env.async = truthy(m["$async"])
	}
	fn := &tagFunc{env: env}
	env.fn = fn
	c.compiling = append(c.compiling, env)
	baseID := env.baseID
	if baseID == "" {
		baseID = "#" // the root's full path
	}
	it := &cctx{c: c, env: env, fn: fn, schema: env.schema, baseID: baseID, errSchemaPath: "#"}
	body, err := it.functionCode()
	c.compiling = c.compiling[:len(c.compiling)-1]
	if err != nil {
		env.fn = nil
		return nil, err
	}
	fn.body, fn.done = body, true
	fn.props, fn.items = it.props, it.items
	if body.always == 0 {
		for _, t := range []evTrack{it.props, it.items} {
			if t.name != nil {
				fn.endReads = append(fn.endReads, nameRead{first: t.name})
			}
		}
	}
	return env, nil
}

// evTrack is what Ajv knows while compiling of the properties (or items) a schema
// evaluates (it.props, it.items): nothing (undefined), all (true), some names (or a
// count of leading items), or a variable of the generated code (a Name) that holds
// them at run time, on top of what is known.
type evTrack struct {
	defined, all bool
	name         *jsName
	names        map[string]bool
	n            int
}

// jsName is a variable of Ajv's generated code that holds evaluated properties or
// items (props0, items1, …). dead: declared only in code Ajv's optimizer drops (after
// a "not" that always fails), so that reading it throws a ReferenceError.
type jsName struct {
	label string
	dead  bool
}

// isTrue is Ajv's `=== true`.
func (t *evTrack) isTrue() bool { return t.all && t.name == nil }

func (t *evTrack) setAll() { *t = evTrack{defined: true, all: true} }

// nameRead is generated code that reads variables: first, then, unless first holds
// true at run time, second. items says whether they hold items or properties.
type nameRead struct {
	first, second *jsName
	items         bool
	firstAll      bool // first is known to hold true
}

// newName declares a variable of the current function, as gen.var(prefix) does.
func (it *cctx) newName(prefix string) *jsName {
	if it.fn.counters == nil {
		it.fn.counters = map[string]int{}
	}
	n := it.fn.counters[prefix]
	it.fn.counters[prefix]++
	return &jsName{label: prefix + strconv.Itoa(n), dead: it.dead || it.deadAll}
}

// mergeEv is Ajv's mergeEvaluated.props or .items (items) of from into t; toName makes
// the result a variable. It returns what the generated code reads.
func (it *cctx) mergeEv(t *evTrack, from evTrack, toName, items bool) []nameRead {
	var reads []nameRead
	res := evTrack{defined: true, all: t.all || from.all, n: max(t.n, from.n)}
	for _, m := range []map[string]bool{t.names, from.names} {
		for k := range m {
			if res.names == nil {
				res.names = map[string]bool{}
			}
			res.names[k] = true
		}
	}
	switch {
	case !t.defined:
		res = from
	case t.name != nil:
		reads = append(reads, nameRead{t.name, from.name, items, t.all})
		res.name = t.name
	case from.name != nil:
		reads = append(reads, nameRead{first: from.name, items: items})
		res.name = from.name
	}
	if res.all && res.name == nil {
		res.names, res.n = nil, 0
	}
	if toName && res.name == nil {
		prefix := "props"
		if items {
			prefix = "items"
		}
		res.name = it.newName(prefix)
	}
	*t = res
	return reads
}

// mergeChild is Ajv's KeywordCxt.mergeEvaluated of a subschema's context.
func (it *cctx) mergeChild(sc *cctx, toName bool) []nameRead {
	var reads []nameRead
	if !it.props.isTrue() && sc.props.defined {
		reads = append(reads, it.mergeEv(&it.props, sc.props, toName, false)...)
	}
	if !it.items.isTrue() && sc.items.defined {
		reads = append(reads, it.mergeEv(&it.items, sc.items, toName, true)...)
	}
	return reads
}

// mergeValidChild is Ajv's mergeValidEvaluated; merged is false when there was
// nothing to merge into.
func (it *cctx) mergeValidChild(sc *cctx) (reads []nameRead, merged bool) {
	if it.props.isTrue() && it.items.isTrue() {
		return nil, false
	}
	return it.mergeChild(sc, true), true
}

// addEvaluatedFrom is what a call of fn (nil: a function known only at run time)
// merges into the caller's evaluated properties and items, when it passes.
func (it *cctx) addEvaluatedFrom(fn *tagFunc) []nameRead {
	var reads []nameRead
	for _, items := range []bool{false, true} {
		to, prefix := &it.props, "props"
		var from *evTrack
		if fn != nil {
			from = &fn.props
		}
		if items {
			to, prefix = &it.items, "items"
			if fn != nil {
				from = &fn.items
			}
		}
		if to.isTrue() {
			continue
		}
		if fn != nil && fn.done && from.name == nil {
			if from.defined {
				reads = append(reads, it.mergeEv(to, *from, false, items)...)
			}
			continue
		}
		v := it.newName(prefix)
		reads = append(reads, it.mergeEv(to, evTrack{defined: true, name: v}, true, items)...)
	}
	return reads
}

// cctx is Ajv's schema compilation context.
type cctx struct {
	c             *tagCompiler
	env           *schemaEnv
	fn            *tagFunc
	schema        any
	baseID        string
	errSchemaPath string
	props, items  evTrack
	// dead: the rest of the keyword group follows a "not" that always fails, code
	// Ajv's optimizer drops; deadAll: the whole schema is in such code.
	dead, deadAll bool
}

// sub is the context of a subschema at errSchemaPath path.
func (it *cctx) sub(s any, path string) *cctx {
	return &cctx{c: it.c, env: it.env, fn: it.fn, schema: s, baseID: it.baseID, errSchemaPath: path, deadAll: it.dead || it.deadAll}
}

// checkUnknown is Ajv's checkUnknownRules (strict mode).
func (it *cctx) checkUnknown(s any) error {
	if _, ok := s.(bool); ok {
		return nil
	}
	for _, k := range forInKeys(s, it.c.less) {
		if !ajvKeywords[k] {
			return ajvThrow("strict mode: unknown keyword: \"%s\"", k)
		}
	}
	return nil
}

func hasRules(s any) bool {
	if b, ok := s.(bool); ok {
		return !b
	}
	for _, k := range forInKeys(s, canonicalLess) {
		if ajvRules[k] {
			return true
		}
	}
	return false
}

// alwaysValid is Ajv's alwaysValidSchema.
func (it *cctx) alwaysValid(s any) (bool, error) {
	switch x := s.(type) {
	case bool:
		return x, nil
	case nil:
		return false, ajvThrow("Cannot convert undefined or null to object")
	}
	if len(forInKeys(s, it.c.less)) == 0 {
		return true, nil
	}
	if err := it.checkUnknown(s); err != nil {
		return false, err
	}
	return !hasRules(s), nil
}

// functionCode is Ajv's validateFunctionCode (the top of a function).
func (it *cctx) functionCode() (*snode, error) {
	if _, ok := it.schema.(bool); !ok {
		if err := it.checkUnknown(it.schema); err != nil {
			return nil, err
		}
		if hasRules(it.schema) {
			return it.typeAndKeywords()
		}
	}
	return boolNode(it.schema), nil
}

// subschemaCode is Ajv's subschemaCode.
func (it *cctx) subschemaCode() (*snode, error) {
	if _, ok := it.schema.(bool); !ok {
		if err := it.checkUnknown(it.schema); err != nil {
			return nil, err
		}
		if hasRules(it.schema) {
			m := it.schema.(map[string]any)
			if id, ok := m["$id"]; ok && truthy(id) {
				s, ok := id.(string)
				if !ok {
					return nil, unsupportedf("uses a non-string $id, which this server does not support in tag schemas")
				}
				b, err := resolveURL(it.baseID, s)
				if err != nil {
					return nil, unsupportedURI(err)
				}
				it.baseID = b
			}
			if truthy(m["$async"]) && !it.env.async {
				return nil, ajvThrow("async schema in sync schema")
			}
			return it.typeAndKeywords()
		}
	}
	return boolNode(it.schema), nil
}

func boolNode(s any) *snode {
	if b, ok := s.(bool); ok && !b {
		return &snode{always: -1}
	}
	return &snode{always: 1}
}

// compileSub compiles subschema s at path, returning its node and context.
func (it *cctx) compileSub(s any, path string) (*snode, *cctx, error) {
	sc := it.sub(s, path)
	n, err := sc.subschemaCode()
	if err != nil {
		return nil, nil, err
	}
	return n, sc, nil
}

// schemaTypes is Ajv's getSchemaTypes.
func schemaTypes(s any) ([]string, error) {
	m, _ := s.(map[string]any)
	var list []any
	switch t := m["type"].(type) {
	case []any:
		list = t
	default:
		if truthy(t) {
			list = []any{t}
		}
	}
	types := make([]string, 0, len(list)+1)
	for _, e := range list {
		s, ok := e.(string)
		if !ok || !simpleTypes[s] {
			return nil, ajvThrow("type must be JSONType or JSONType[]: %s", jsToString(list))
		}
		types = append(types, s)
	}
	nullable, hasNullable := m["nullable"]
	if slices.Contains(types, "null") {
		if hasNullable && nullable == false {
			return nil, ajvThrow("type: null contradicts nullable: false")
		}
	} else {
		if len(types) == 0 && hasNullable {
			return nil, ajvThrow(`"nullable" cannot be used without "type"`)
		}
		if nullable == true {
			types = append(types, "null")
		}
	}
	return types, nil
}

// usesGroup is Ajv's shouldUseGroup.
func usesGroup(m map[string]any, keywords []string) bool {
	return slices.ContainsFunc(keywords, func(k string) bool { _, ok := m[k]; return ok })
}

// typeAndKeywords is Ajv's typeAndKeywords: the node of an object schema with rules.
func (it *cctx) typeAndKeywords() (*snode, error) {
	m := it.schema.(map[string]any)
	types, err := schemaTypes(m)
	if err != nil {
		return nil, err
	}
	n := &snode{types: types, typeMsg: "must be " + jsToString(m["type"])}
	deferred := ""
	if len(types) == 1 {
		for _, g := range ruleGroups[1:] {
			if g.typ == types[0] && usesGroup(m, g.keywords) {
				deferred = g.typ
			}
		}
	}
	n.upfront = len(types) > 0 && deferred == ""

	if ref, ok := m["$ref"]; ok && truthy(ref) && !schemaHasRulesButRef(m) {
		kw, err := it.keyword(m, "$ref")
		if err != nil {
			return nil, err
		}
		n.groups = []kgroup{{kws: nonNil(kw)}}
	} else {
		for _, g := range ruleGroups {
			if !usesGroup(m, g.keywords) {
				continue
			}
			kg := kgroup{typ: g.typ, typeErr: g.typ != "" && g.typ == deferred}
			it.dead = false
			for _, k := range g.keywords {
				if _, ok := m[k]; !ok {
					continue
				}
				kw, err := it.keyword(m, k)
				if err != nil {
					return nil, err
				}
				kg.kws = append(kg.kws, nonNil(kw)...)
			}
			it.dead = false
			n.groups = append(n.groups, kg)
		}
	}
	n.static = evaluatedOf(it.props, it.items)
	return n, nil
}

func nonNil(kw kwFunc) []kwFunc {
	if kw == nil {
		return nil
	}
	return []kwFunc{kw}
}

// validSchemaType is Ajv's check of a keyword's value type.
func validSchemaType(v any, types []string) bool {
	if len(types) == 0 {
		return true
	}
	for _, t := range types {
		switch t {
		case "array":
			if _, ok := v.([]any); ok {
				return true
			}
		case "object":
			if isPlainObject(v) {
				return true
			}
		default:
			if jsTypeof(v) == t {
				return true
			}
		}
	}
	return false
}

func jsonStringify(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// keyword compiles one keyword of m (Ajv's keywordCode). A nil kwFunc has no run-time
// effect.
func (it *cctx) keyword(m map[string]any, k string) (kwFunc, error) {
	v := m[k]
	if st := ruleSchemaTypes[k]; !validSchemaType(v, st) {
		return nil, ajvThrow("%s value must be %s", k, jsonStringify(st))
	}
	path := it.errSchemaPath + "/" + k
	switch k {
	case "$comment", "type", "nullable":
		return nil, nil
	case "id":
		return nil, ajvThrow(`NOT SUPPORTED: keyword "id", use "$id" for schema ID`)
	case "$dynamicAnchor":
		return it.dynamicAnchor(v.(string))
	case "$recursiveAnchor":
		if v == true {
			return it.dynamicAnchor("")
		}
		return nil, ajvThrow("strict mode: $recursiveAnchor: false is ignored")
	case "$dynamicRef", "$recursiveRef":
		return it.dynamicRef(k, v.(string))
	case "$ref":
		return it.ref(v.(string))
	case "const":
		return kwConst(v), nil
	case "enum":
		return kwEnum(v.([]any))
	case "not":
		return it.not(v, path)
	case "anyOf":
		return it.anyOf(v.([]any), path)
	case "oneOf":
		return it.oneOf(v.([]any), path)
	case "allOf":
		return it.allOf(v.([]any), path)
	case "if":
		return it.ifThenElse(m, path)
	case "then", "else":
		if _, ok := m["if"]; !ok {
			return nil, ajvThrow(`strict mode: "%s" without "if" is ignored`, k)
		}
		return nil, nil
	case "maximum", "minimum", "exclusiveMaximum", "exclusiveMinimum":
		return kwLimit(k, v), nil
	case "multipleOf":
		return kwMultipleOf(v), nil
	case "format":
		return nil, ajvThrow("unknown format \"%s\" ignored in schema at path \"%s\"", v, it.errSchemaPath)
	case "maxLength", "minLength":
		return kwLength(k, v), nil
	case "pattern":
		return kwPattern(v.(string))
	case "maxItems", "minItems", "maxProperties", "minProperties":
		return kwCount(k, v), nil
	case "prefixItems":
		return it.prefixItems(v.([]any), path)
	case "items":
		return it.itemsKeyword(m, v, path)
	case "contains":
		return it.contains(m, v, path)
	case "uniqueItems":
		return kwUniqueItems(m, v)
	case "maxContains", "minContains":
		if _, ok := m["contains"]; !ok {
			return nil, ajvThrow(`strict mode: "%s" without "contains" is ignored`, k)
		}
		return nil, nil
	case "unevaluatedItems":
		return it.unevaluatedItems(v, path)
	case "required":
		return kwRequired(v.([]any))
	case "propertyNames":
		return it.propertyNames(v, path)
	case "additionalProperties":
		return it.additionalProperties(m, v, path)
	case "dependencies":
		return it.dependencies(v.(map[string]any), path, true)
	case "properties":
		return it.properties(v.(map[string]any), path)
	case "patternProperties":
		return it.patternProperties(m, v.(map[string]any), path)
	case "dependentRequired":
		return it.dependencies(v.(map[string]any), path, false)
	case "dependentSchemas":
		return it.schemaDeps(v.(map[string]any), forInKeys(v, it.c.less), path)
	case "unevaluatedProperties":
		return it.unevaluatedProperties(v, path)
	}
	return nil, nil
}

// ---------------------------------------------------------------------------
// references at compile time

// callTarget prepares a call of env's function (Ajv's callRef): the function, and
// what the caller's code reads when the call passes.
func (it *cctx) callTarget(env *schemaEnv) (kwFunc, error) {
	if env.vocab {
		return nil, unsupportedf("uses a reference to a vocabulary meta-schema, which this server does not support in tag schemas")
	}
	if env.async {
		if !it.env.async {
			return nil, ajvThrow("async schema referenced by sync schema")
		}
		return nil, unsupportedf("uses $async, which this server does not support in tag schemas")
	}
	return callKeyword(env.fn, it.addEvaluatedFrom(env.fn)), nil
}

func (it *cctx) ref(ref string) (kwFunc, error) {
	c := it.c
	if (ref == "#" || ref == "#/") && it.baseID == c.rootEnv.baseID {
		return it.callTarget(c.rootEnv)
	}
	t, err := c.resolveRef(it.baseID, ref)
	if err != nil {
		return nil, err
	}
	switch {
	case t.env != nil:
		return it.callTarget(t.env)
	case t.inline:
		sc := it.sub(t.schema, ref)
		n, err := sc.subschemaCode()
		if err != nil {
			return nil, err
		}
		reads := it.mergeChild(sc, false)
		return func(r *run, data any, at string, comp bool, ev *evaluated) bool {
			valid, cev := n.eval(r, data, at, comp)
			if r.stopped() {
				return false
			}
			ev.add(cev)
			r.read(reads, ev)
			return valid
		}, nil
	}
	return nil, ajvThrow("can't resolve reference %s from id %s", ref, it.baseID)
}

// callKeyword calls fn on the data (Ajv's callRef at run time); reads are what the
// caller's code reads when the call passes.
func callKeyword(fn *tagFunc, reads []nameRead) kwFunc {
	return func(r *run, data any, at string, comp bool, ev *evaluated) bool {
		valid, cev := r.call(fn, data, at)
		if valid {
			ev.add(cev)
			r.read(reads, ev)
		}
		return valid
	}
}

func (it *cctx) dynamicAnchor(anchor string) (kwFunc, error) {
	it.c.dynAnchors[anchor] = true
	fn := it.fn
	if it.errSchemaPath != "#" {
		env, err := it.c.compileSchema(&schemaEnv{schema: it.schema, baseID: ""})
		if err != nil {
			return nil, err
		}
		fn = env.fn
	}
	if fn.env.async {
		return nil, unsupportedf("uses $async, which this server does not support in tag schemas")
	}
	return func(r *run, data any, at string, comp bool, ev *evaluated) bool {
		if r.dyn[anchor] == nil {
			r.dyn[anchor] = fn
		}
		return true
	}, nil
}

func (it *cctx) dynamicRef(keyword, ref string) (kwFunc, error) {
	if !strings.HasPrefix(ref, "#") {
		return nil, ajvThrow("\"%s\" only supports hash fragment reference", keyword)
	}
	anchor := ref[1:]
	registered := it.c.dynAnchors[anchor]
	self := it.fn
	if self.env.async {
		return nil, unsupportedf("uses $async, which this server does not support in tag schemas")
	}
	// With an anchor registered, Ajv generates two calls: of the function the anchor
	// holds at run time, else of the current function. Its code then declares a new
	// variable for the result instead of setting the one it tests, so the keywords
	// after $dynamicRef in its group never run.
	var anchorReads []nameRead
	if registered {
		anchorReads = it.addEvaluatedFrom(nil)
	}
	selfReads := it.addEvaluatedFrom(nil)
	return func(r *run, data any, at string, comp bool, ev *evaluated) bool {
		target, reads := self, selfReads
		if registered && r.dyn[anchor] != nil {
			target, reads = r.dyn[anchor], anchorReads
		}
		if valid, cev := r.call(target, data, at); valid {
			ev.add(cev)
			r.read(reads, ev)
		}
		return false
	}, nil
}

// ---------------------------------------------------------------------------
// applicators

func (it *cctx) not(v any, path string) (kwFunc, error) {
	always, err := it.alwaysValid(v)
	if err != nil {
		return nil, err
	}
	if always {
		it.dead = true
		return func(r *run, data any, at string, comp bool, ev *evaluated) bool {
			r.report(at, "must NOT be valid", comp)
			return false
		}, nil
	}
	n, _, err := it.compileSub(v, path)
	if err != nil {
		return nil, err
	}
	return func(r *run, data any, at string, comp bool, ev *evaluated) bool {
		start := len(r.errs)
		valid, _ := n.eval(r, data, at, true)
		if r.stopped() {
			return false
		}
		if valid {
			r.report(at, "must NOT be valid", comp)
			return false
		}
		r.truncate(start)
		return true
	}, nil
}

func (it *cctx) anyOf(list []any, path string) (kwFunc, error) {
	for _, s := range list {
		always, err := it.alwaysValid(s)
		if err != nil {
			return nil, err
		}
		if always {
			break
		}
	}
	type branch struct {
		n        *snode
		reads    []nameRead
		shortcut bool // the branches after it run only while none passed
	}
	var branches []branch
	for i, s := range list {
		n, sc, err := it.compileSub(s, path+"/"+strconv.Itoa(i))
		if err != nil {
			return nil, err
		}
		reads, merged := it.mergeValidChild(sc)
		branches = append(branches, branch{n, reads, !merged})
	}
	return func(r *run, data any, at string, comp bool, ev *evaluated) bool {
		start := len(r.errs)
		valid := false
		for i, b := range branches {
			if i > 0 && branches[i-1].shortcut && valid {
				break
			}
			sv, cev := b.n.eval(r, data, at, true)
			if r.stopped() {
				return false
			}
			valid = valid || sv
			if sv && !b.shortcut {
				ev.add(cev)
				if r.read(b.reads, ev); r.fault != nil {
					return false
				}
			}
		}
		if valid {
			r.truncate(start)
			return true
		}
		r.reportExtra(at, "must match a schema in anyOf", comp)
		return false
	}, nil
}

func (it *cctx) oneOf(list []any, path string) (kwFunc, error) {
	nodes := make([]*snode, len(list))
	reads := make([][]nameRead, len(list))
	for i, s := range list {
		always, err := it.alwaysValid(s)
		if err != nil {
			return nil, err
		}
		if always {
			continue
		}
		n, sc, err := it.compileSub(s, path+"/"+strconv.Itoa(i))
		if err != nil {
			return nil, err
		}
		reads[i] = it.mergeChild(sc, true)
		nodes[i] = n
	}
	return func(r *run, data any, at string, comp bool, ev *evaluated) bool {
		start := len(r.errs)
		valid := false
		for i, n := range nodes {
			sv, cev := true, (*evaluated)(nil)
			if n != nil {
				sv, cev = n.eval(r, data, at, true)
				if r.stopped() {
					return false
				}
			}
			if i > 0 && sv && valid {
				valid = false
				break
			}
			if sv {
				valid = true
				ev.add(cev)
				if r.read(reads[i], ev); r.fault != nil {
					return false
				}
			}
		}
		if valid {
			r.truncate(start)
			return true
		}
		r.reportExtra(at, "must match exactly one schema in oneOf", comp)
		return false
	}, nil
}

func (it *cctx) allOf(list []any, path string) (kwFunc, error) {
	var nodes []*snode
	var reads [][]nameRead
	for i, s := range list {
		always, err := it.alwaysValid(s)
		if err != nil {
			return nil, err
		}
		if always {
			continue
		}
		n, sc, err := it.compileSub(s, path+"/"+strconv.Itoa(i))
		if err != nil {
			return nil, err
		}
		nodes = append(nodes, n)
		reads = append(reads, it.mergeChild(sc, false))
	}
	return func(r *run, data any, at string, comp bool, ev *evaluated) bool {
		for i, n := range nodes {
			valid, cev := n.eval(r, data, at, comp)
			if r.stopped() || !valid {
				return false
			}
			ev.add(cev)
			if r.read(reads[i], ev); r.fault != nil {
				return false
			}
		}
		return true
	}, nil
}

func (it *cctx) ifThenElse(m map[string]any, path string) (kwFunc, error) {
	thenV, hasThenKey := m["then"]
	elseV, hasElseKey := m["else"]
	if !hasThenKey && !hasElseKey {
		return nil, ajvThrow(`strict mode: "if" without "then" and "else" is ignored`)
	}
	hasClause := func(v any, present bool) (bool, error) {
		if !present {
			return false, nil
		}
		always, err := it.alwaysValid(v)
		return !always, err
	}
	hasThen, err := hasClause(thenV, hasThenKey)
	if err != nil {
		return nil, err
	}
	hasElse, err := hasClause(elseV, hasElseKey)
	if err != nil {
		return nil, err
	}
	if !hasThen && !hasElse {
		return nil, nil
	}
	ifNode, sc, err := it.compileSub(m["if"], path)
	if err != nil {
		return nil, err
	}
	ifReads := it.mergeChild(sc, false)
	var thenNode, elseNode *snode
	var thenReads, elseReads []nameRead
	for _, cl := range []struct {
		has   bool
		v     any
		name  string
		node  **snode
		reads *[]nameRead
	}{{hasThen, thenV, "then", &thenNode, &thenReads}, {hasElse, elseV, "else", &elseNode, &elseReads}} {
		if !cl.has {
			continue
		}
		n, sc, err := it.compileSub(cl.v, it.errSchemaPath+"/"+cl.name)
		if err != nil {
			return nil, err
		}
		*cl.reads, _ = it.mergeValidChild(sc)
		*cl.node = n
	}
	return func(r *run, data any, at string, comp bool, ev *evaluated) bool {
		start := len(r.errs)
		ifValid, cev := ifNode.eval(r, data, at, true)
		if r.stopped() {
			return false
		}
		r.truncate(start)
		ev.add(cev)
		if r.read(ifReads, ev); r.fault != nil {
			return false
		}
		clause, node, reads := "then", thenNode, thenReads
		if !ifValid {
			clause, node, reads = "else", elseNode, elseReads
		}
		if node == nil {
			return true
		}
		valid, cev := node.eval(r, data, at, comp)
		if r.stopped() {
			return false
		}
		if valid {
			ev.add(cev)
			r.read(reads, ev)
			return r.fault == nil
		}
		r.reportExtra(at, `must match "`+clause+`" schema`, comp)
		return false
	}, nil
}

// ---------------------------------------------------------------------------
// validation keywords of any type, numbers and strings

func kwConst(want any) kwFunc {
	deep := want != nil && jsTypeof(want) == "object"
	return func(r *run, data any, at string, comp bool, ev *evaluated) bool {
		equal := jsStrictEqual(want, data)
		if deep {
			equal = jsEqual(data, want)
		}
		if !equal {
			r.report(at, "must be equal to constant", comp)
		}
		return equal
	}
}

func kwEnum(list []any) (kwFunc, error) {
	if len(list) == 0 {
		return nil, ajvThrow("enum must have non-empty array")
	}
	return func(r *run, data any, at string, comp bool, ev *evaluated) bool {
		for _, e := range list {
			if e != nil && jsTypeof(e) == "object" {
				if jsEqual(data, e) {
					return true
				}
			} else if jsStrictEqual(e, data) {
				return true
			}
		}
		r.report(at, "must be equal to one of the allowed values", comp)
		return false
	}, nil
}

func kwLimit(k string, v any) kwFunc {
	limit, _ := jsonNumber(v)
	ops := map[string]struct {
		ok   string
		fail func(x float64) bool
	}{
		"maximum":          {"<=", func(x float64) bool { return x > limit }},
		"minimum":          {">=", func(x float64) bool { return x < limit }},
		"exclusiveMaximum": {"<", func(x float64) bool { return x >= limit }},
		"exclusiveMinimum": {">", func(x float64) bool { return x <= limit }},
	}
	op := ops[k]
	msg := "must be " + op.ok + " " + jsNumberString(limit)
	return func(r *run, data any, at string, comp bool, ev *evaluated) bool {
		x, _ := jsonNumber(data)
		if op.fail(x) {
			r.report(at, msg, comp)
			return false
		}
		return true
	}
}

func kwMultipleOf(v any) kwFunc {
	d, _ := jsonNumber(v)
	msg := "must be multiple of " + jsNumberString(d)
	return func(r *run, data any, at string, comp bool, ev *evaluated) bool {
		x, _ := jsonNumber(data)
		if d == 0 || !isParseIntExact(x/d) {
			r.report(at, msg, comp)
			return false
		}
		return true
	}
}

func kwLength(k string, v any) kwFunc {
	limit, _ := jsonNumber(v)
	more := k == "maxLength"
	msg := "must NOT have fewer than " + jsNumberString(limit) + " characters"
	if more {
		msg = "must NOT have more than " + jsNumberString(limit) + " characters"
	}
	return func(r *run, data any, at string, comp bool, ev *evaluated) bool {
		n := float64(utf8.RuneCountInString(data.(string)))
		if more && n > limit || !more && n < limit {
			r.report(at, msg, comp)
			return false
		}
		return true
	}
}

func kwPattern(pattern string) (kwFunc, error) {
	re, err := compileJSRegexp(pattern)
	if err != nil {
		return nil, unsupportedPattern(pattern)
	}
	msg := `must match pattern "` + pattern + `"`
	return func(r *run, data any, at string, comp bool, ev *evaluated) bool {
		if !re.test(data.(string)) {
			r.report(at, msg, comp)
			return false
		}
		return true
	}, nil
}

func unsupportedPattern(pattern string) *tagFault {
	return unsupportedf("uses the pattern %q, whose regular expression syntax this server does not support", pattern)
}

// kwCount is maxItems, minItems, maxProperties and minProperties.
func kwCount(k string, v any) kwFunc {
	limit, _ := jsonNumber(v)
	more := strings.HasPrefix(k, "max")
	noun := " items"
	if strings.HasSuffix(k, "Properties") {
		noun = " properties"
	}
	msg := "must NOT have fewer than " + jsNumberString(limit) + noun
	if more {
		msg = "must NOT have more than " + jsNumberString(limit) + noun
	}
	return func(r *run, data any, at string, comp bool, ev *evaluated) bool {
		var n float64
		switch x := data.(type) {
		case []any:
			n = float64(len(x))
		case map[string]any:
			n = float64(len(x))
		}
		if more && n > limit || !more && n < limit {
			r.report(at, msg, comp)
			return false
		}
		return true
	}
}

// ---------------------------------------------------------------------------
// arrays

func (it *cctx) prefixItems(list []any, path string) (kwFunc, error) {
	var reads []nameRead
	if len(list) > 0 && !it.items.isTrue() {
		reads = it.mergeEv(&it.items, evTrack{defined: true, n: len(list)}, false, true)
	}
	nodes := make([]*snode, len(list))
	for i, s := range list {
		always, err := it.alwaysValid(s)
		if err != nil {
			return nil, err
		}
		if always {
			continue
		}
		n, _, err := it.compileSub(s, path+"/"+strconv.Itoa(i))
		if err != nil {
			return nil, err
		}
		nodes[i] = n
	}
	return func(r *run, data any, at string, comp bool, ev *evaluated) bool {
		if r.read(reads, ev); r.fault != nil {
			return false
		}
		items := data.([]any)
		valid := false // a variable that stays undefined when the array is too short
		for i, n := range nodes {
			if n == nil {
				continue
			}
			if i < len(items) {
				valid, _ = n.eval(r, items[i], at+"/"+strconv.Itoa(i), comp)
				if r.stopped() {
					return false
				}
			}
			if !valid {
				return false
			}
		}
		return true
	}, nil
}

func (it *cctx) itemsKeyword(m map[string]any, v any, path string) (kwFunc, error) {
	it.items.setAll()
	always, err := it.alwaysValid(v)
	if err != nil || always {
		return nil, err
	}
	if prefix, ok := m["prefixItems"]; ok && truthy(prefix) {
		plen := len(prefix.([]any))
		if v == false {
			msg := "must NOT have more than " + strconv.Itoa(plen) + " items"
			return func(r *run, data any, at string, comp bool, ev *evaluated) bool {
				if len(data.([]any)) > plen {
					r.report(at, msg, comp)
					return false
				}
				return true
			}, nil
		}
		if !isPlainObject(v) {
			return nil, nil
		}
		if always, err := it.alwaysValid(v); err != nil || always {
			return nil, err
		}
		n, _, err := it.compileSub(v, path)
		if err != nil {
			return nil, err
		}
		return func(r *run, data any, at string, comp bool, ev *evaluated) bool {
			items := data.([]any)
			if len(items) <= plen {
				return true
			}
			for i := plen; i < len(items); i++ {
				if valid, _ := n.eval(r, items[i], at+"/"+strconv.Itoa(i), comp); r.stopped() || !valid {
					return false
				}
			}
			return true
		}, nil
	}
	n, _, err := it.compileSub(v, path)
	if err != nil {
		return nil, err
	}
	return func(r *run, data any, at string, comp bool, ev *evaluated) bool {
		for i, item := range data.([]any) {
			valid, _ := n.eval(r, item, at+"/"+strconv.Itoa(i), comp)
			if r.stopped() || !valid {
				return false
			}
		}
		return true
	}, nil
}

func (it *cctx) contains(m map[string]any, v any, path string) (kwFunc, error) {
	min, max, hasMax := 1.0, 0.0, false
	if x, ok := m["minContains"]; ok {
		f, ok := jsonNumber(x)
		if !ok {
			return nil, unsupportedf("uses a minContains that is not a number, which this server does not support in tag schemas")
		}
		min = f
	}
	if x, ok := m["maxContains"]; ok {
		f, ok := jsonNumber(x)
		if !ok {
			return nil, unsupportedf("uses a maxContains that is not a number, which this server does not support in tag schemas")
		}
		max, hasMax = f, true
	}
	if !hasMax && min == 0 {
		return nil, ajvThrow(`strict mode: "minContains" == 0 without "maxContains": "contains" keyword ignored`)
	}
	if hasMax && min > max {
		return nil, ajvThrow(`strict mode: "minContains" > "maxContains" is always invalid`)
	}
	msg := "must contain at least " + jsNumberString(min) + " valid item(s)"
	if hasMax {
		msg = "must contain at least " + jsNumberString(min) + " and no more than " + jsNumberString(max) + " valid item(s)"
	}
	always, err := it.alwaysValid(v)
	if err != nil {
		return nil, err
	}
	if always {
		return func(r *run, data any, at string, comp bool, ev *evaluated) bool {
			n := float64(len(data.([]any)))
			if n >= min && (!hasMax || n <= max) {
				return true
			}
			r.report(at, msg, comp)
			return false
		}, nil
	}
	it.items.setAll()
	n, _, err := it.compileSub(v, path)
	if err != nil {
		return nil, err
	}
	return func(r *run, data any, at string, comp bool, ev *evaluated) bool {
		start := len(r.errs)
		items := data.([]any)
		check := func(i int) (bool, bool) {
			ok, _ := n.eval(r, items[i], at+"/"+strconv.Itoa(i), true)
			return ok, !r.stopped()
		}
		valid := false
		switch {
		case !hasMax && min == 1:
			for i := range items {
				ok, alive := check(i)
				if !alive {
					return false
				}
				if valid = ok; ok {
					break
				}
			}
		default:
			valid = min == 0
			if min == 0 && !(hasMax && len(items) > 0) {
				break
			}
			count := 0.0
			for i := range items {
				ok, alive := check(i)
				if !alive {
					return false
				}
				if !ok {
					continue
				}
				count++
				if !hasMax {
					if count >= min {
						valid = true
						break
					}
					continue
				}
				if count > max {
					valid = false
					break
				}
				if min == 1 || count >= min {
					valid = true
				}
			}
		}
		if !valid {
			r.report(at, msg, comp)
			return false
		}
		r.truncate(start)
		return true
	}, nil
}

func kwUniqueItems(m map[string]any, v any) (kwFunc, error) {
	if v == false {
		return nil, nil
	}
	var itemTypes []string
	if items, ok := m["items"]; ok && truthy(items) {
		t, err := schemaTypes(items)
		if err != nil {
			return nil, err
		}
		itemTypes = t
	}
	return func(r *run, data any, at string, comp bool, ev *evaluated) bool {
		if a, b, dup := duplicateItems(data.([]any), itemTypes); dup {
			r.report(at, duplicateMessage(a, b), comp)
			return false
		}
		return true
	}, nil
}

func (it *cctx) unevaluatedItems(v any, path string) (kwFunc, error) {
	if it.items.isTrue() {
		return nil, nil
	}
	static, staticAll, dyn := it.items.n, it.items.all, it.items.name != nil
	var reads []nameRead
	if dyn {
		reads = []nameRead{{first: it.items.name, items: true}}
	}
	defer it.items.setAll()
	// limit is the count of evaluated items. Known only at run time, it can be true,
	// which JavaScript compares as 1 and prints as "true"; Ajv's loop then starts at
	// index true (no item: undefined) and goes on with 2.
	limit := func(ev *evaluated) (n int, label string, isTrue bool) {
		switch {
		case !dyn:
			return static, strconv.Itoa(static), false
		case staticAll || ev.allItems:
			return 1, "true", true
		}
		n = max(static, ev.items)
		return n, strconv.Itoa(n), false
	}
	if v == false {
		return func(r *run, data any, at string, comp bool, ev *evaluated) bool {
			if r.read(reads, ev); r.fault != nil {
				return false
			}
			if n, label, _ := limit(ev); len(data.([]any)) > n {
				r.report(at, "must NOT have more than "+label+" items", comp)
				return false
			}
			return true
		}, nil
	}
	if !isPlainObject(v) {
		return nil, nil
	}
	if always, err := it.alwaysValid(v); err != nil || always {
		return nil, err
	}
	n, _, err := it.compileSub(v, path)
	if err != nil {
		return nil, err
	}
	return func(r *run, data any, at string, comp bool, ev *evaluated) bool {
		if r.read(reads, ev); r.fault != nil {
			return false
		}
		items := data.([]any)
		lim, _, isTrue := limit(ev)
		if len(items) <= lim {
			return true
		}
		if isTrue {
			if valid, _ := n.eval(r, jsUndefined{}, at+"/true", comp); r.stopped() || !valid {
				return false
			}
			lim = 2
		}
		for i := lim; i < len(items); i++ {
			if valid, _ := n.eval(r, items[i], at+"/"+strconv.Itoa(i), comp); r.stopped() || !valid {
				return false
			}
		}
		return true
	}, nil
}

// ---------------------------------------------------------------------------
// objects

func kwRequired(list []any) (kwFunc, error) {
	if len(list) == 0 {
		return nil, nil
	}
	names := make([]string, len(list))
	for i, e := range list {
		s, ok := e.(string)
		if !ok {
			return nil, unsupportedf("uses a required list with a non-string entry, which this server does not support in tag schemas")
		}
		names[i] = s
	}
	return func(r *run, data any, at string, comp bool, ev *evaluated) bool {
		obj := data.(map[string]any)
		for _, p := range names {
			if _, ok := dataProperty(obj, p); !ok {
				r.report(at, "must have required property '"+p+"'", comp)
				return false
			}
		}
		return true
	}, nil
}

func (it *cctx) propertyNames(v any, path string) (kwFunc, error) {
	always, err := it.alwaysValid(v)
	if err != nil || always {
		return nil, err
	}
	n, _, err := it.compileSub(v, path)
	if err != nil {
		return nil, err
	}
	return func(r *run, data any, at string, comp bool, ev *evaluated) bool {
		valid := false // undefined without keys
		for _, k := range forInKeys(data, r.less) {
			valid, _ = n.eval(r, k, at, true)
			if r.stopped() {
				return false
			}
			if !valid {
				r.reportExtra(at, "property name must be valid", comp)
				return false
			}
		}
		return valid
	}, nil
}

// schemaKeys is Ajv's allSchemaProperties: Object.keys without "__proto__".
func schemaKeys(v any, less func(a, b string) int) []string {
	if !truthy(v) {
		return nil
	}
	var out []string
	for _, k := range forInKeys(v, less) {
		if k != objectPrototypeKeyName {
			out = append(out, k)
		}
	}
	return out
}

func (it *cctx) additionalProperties(m map[string]any, v any, path string) (kwFunc, error) {
	it.props.setAll()
	always, err := it.alwaysValid(v)
	if err != nil || always {
		return nil, err
	}
	props := schemaKeys(m["properties"], it.c.less)
	propsObj, _ := m["properties"].(map[string]any)
	var pats []*jsRegexp
	for _, p := range schemaKeys(m["patternProperties"], it.c.less) {
		re, err := compileJSRegexp(p)
		if err != nil {
			return nil, unsupportedPattern(p)
		}
		pats = append(pats, re)
	}
	additional := func(k string) bool {
		if len(props) > 8 {
			if _, ok := propsObj[k]; ok {
				return false
			}
		} else if slices.Contains(props, k) {
			return false
		}
		return !slices.ContainsFunc(pats, func(re *jsRegexp) bool { return re.test(k) })
	}
	if v == false {
		return func(r *run, data any, at string, comp bool, ev *evaluated) bool {
			for _, k := range forInKeys(data, r.less) {
				if additional(k) {
					r.report(at, "must NOT have additional properties", comp)
					return false
				}
			}
			return true
		}, nil
	}
	if !isPlainObject(v) {
		return nil, nil
	}
	if always, err := it.alwaysValid(v); err != nil || always {
		return nil, err
	}
	n, _, err := it.compileSub(v, path)
	if err != nil {
		return nil, err
	}
	return func(r *run, data any, at string, comp bool, ev *evaluated) bool {
		start := len(r.errs)
		obj := data.(map[string]any)
		for _, k := range forInKeys(obj, r.less) {
			if !additional(k) {
				continue
			}
			valid, _ := n.eval(r, obj[k], at+"/"+escapePointer(k), comp)
			if r.stopped() {
				return false
			}
			if !valid {
				break
			}
		}
		return len(r.errs) == start
	}, nil
}

// dependencies compiles dependencies (withSchemas) and dependentRequired.
func (it *cctx) dependencies(v map[string]any, path string, withSchemas bool) (kwFunc, error) {
	type propDep struct {
		prop string
		deps []string
		msg  string
	}
	var propDeps []propDep
	var schemaProps []string
	for _, k := range forInKeys(v, it.c.less) {
		if withSchemas && k == objectPrototypeKeyName {
			continue
		}
		list, isList := v[k].([]any)
		if withSchemas && !isList {
			schemaProps = append(schemaProps, k)
			continue
		}
		if !isList {
			return nil, unsupportedf("uses dependentRequired with a value that is not an array, which this server does not support in tag schemas")
		}
		if len(list) == 0 {
			continue
		}
		d := propDep{prop: k}
		for _, e := range list {
			s, ok := e.(string)
			if !ok {
				return nil, unsupportedf("uses a dependency list with a non-string entry, which this server does not support in tag schemas")
			}
			d.deps = append(d.deps, s)
		}
		noun := "properties"
		if len(d.deps) == 1 {
			noun = "property"
		}
		d.msg = "must have " + noun + " " + strings.Join(d.deps, ", ") + " when property " + k + " is present"
		propDeps = append(propDeps, d)
	}
	var schemaDeps kwFunc
	if withSchemas {
		f, err := it.schemaDeps(v, schemaProps, path)
		if err != nil {
			return nil, err
		}
		schemaDeps = f
	}
	return func(r *run, data any, at string, comp bool, ev *evaluated) bool {
		obj := data.(map[string]any)
		for _, d := range propDeps {
			if _, ok := dataProperty(obj, d.prop); !ok {
				continue
			}
			for _, dep := range d.deps {
				if _, ok := dataProperty(obj, dep); !ok {
					r.report(at, d.msg, comp)
					return false
				}
			}
		}
		if schemaDeps != nil {
			return schemaDeps(r, data, at, comp, ev)
		}
		return true
	}, nil
}

// schemaDeps compiles the schema dependencies of props (dependentSchemas, and the
// schema part of dependencies).
func (it *cctx) schemaDeps(v map[string]any, props []string, path string) (kwFunc, error) {
	type dep struct {
		prop  string
		n     *snode
		reads []nameRead
	}
	var deps []dep
	for _, p := range props {
		always, err := it.alwaysValid(v[p])
		if err != nil {
			return nil, err
		}
		if always {
			continue
		}
		n, sc, err := it.compileSub(v[p], path+"/"+escapeFragment(p))
		if err != nil {
			return nil, err
		}
		reads, _ := it.mergeValidChild(sc)
		deps = append(deps, dep{p, n, reads})
	}
	return func(r *run, data any, at string, comp bool, ev *evaluated) bool {
		obj := data.(map[string]any)
		for _, d := range deps {
			if _, ok := dataProperty(obj, d.prop); !ok {
				continue
			}
			valid, cev := d.n.eval(r, data, at, comp)
			if r.stopped() || !valid {
				return false
			}
			ev.add(cev)
			if r.read(d.reads, ev); r.fault != nil {
				return false
			}
		}
		return true
	}, nil
}

func (it *cctx) properties(v map[string]any, path string) (kwFunc, error) {
	all := schemaKeys(v, it.c.less)
	var reads []nameRead
	if len(all) > 0 && !it.props.isTrue() {
		names := map[string]bool{}
		for _, p := range all {
			names[p] = true
		}
		reads = it.mergeEv(&it.props, evTrack{defined: true, names: names}, false, false)
	}
	var props []string
	for _, p := range all {
		always, err := it.alwaysValid(v[p])
		if err != nil {
			return nil, err
		}
		if !always {
			props = append(props, p)
		}
	}
	nodes := make([]*snode, len(props))
	for i, p := range props {
		n, _, err := it.compileSub(v[p], path+"/"+escapeFragment(p))
		if err != nil {
			return nil, err
		}
		nodes[i] = n
	}
	return func(r *run, data any, at string, comp bool, ev *evaluated) bool {
		if r.read(reads, ev); r.fault != nil {
			return false
		}
		obj := data.(map[string]any)
		for i, p := range props {
			value, ok := dataProperty(obj, p)
			if !ok {
				continue
			}
			valid, _ := nodes[i].eval(r, value, at+"/"+escapePointer(p), comp)
			if r.stopped() || !valid {
				return false
			}
		}
		return true
	}, nil
}

func (it *cctx) patternProperties(m map[string]any, v map[string]any, path string) (kwFunc, error) {
	patterns := schemaKeys(v, it.c.less)
	alwaysValid := make([]bool, len(patterns))
	allAlways := true
	for i, p := range patterns {
		always, err := it.alwaysValid(v[p])
		if err != nil {
			return nil, err
		}
		alwaysValid[i] = always
		allAlways = allAlways && always
	}
	if len(patterns) == 0 || allAlways && it.props.isTrue() {
		return nil, nil
	}
	checkProps := m["properties"]
	if !it.props.isTrue() && it.props.name == nil {
		it.props.defined = true
		it.props.name = it.newName("props")
	}
	var recordReads []nameRead
	record := !it.props.isTrue()
	if record {
		recordReads = []nameRead{{first: it.props.name}}
	}
	type pat struct {
		re *jsRegexp
		n  *snode
	}
	var pats []pat
	for i, p := range patterns {
		re, err := compileJSRegexp(p)
		if truthy(checkProps) {
			for _, prop := range forInKeys(checkProps, it.c.less) {
				if err != nil {
					return nil, unsupportedPattern(p)
				}
				match, ok := re.testNonUnicode(prop)
				if !ok {
					return nil, unsupportedPattern(p)
				}
				if match {
					return nil, ajvThrow("strict mode: property %s matches pattern %s (use allowMatchingProperties)", prop, p)
				}
			}
		}
		if err != nil {
			return nil, unsupportedPattern(p)
		}
		var n *snode
		if !alwaysValid[i] {
			n, _, err = it.compileSub(v[p], path+"/"+escapeFragment(p))
			if err != nil {
				return nil, err
			}
		}
		pats = append(pats, pat{re, n})
	}
	return func(r *run, data any, at string, comp bool, ev *evaluated) bool {
		obj := data.(map[string]any)
		for _, p := range pats {
			valid := true
			for _, k := range forInKeys(obj, r.less) {
				if !p.re.test(k) {
					continue
				}
				if p.n != nil {
					valid, _ = p.n.eval(r, obj[k], at+"/"+escapePointer(k), comp)
					if r.stopped() {
						return false
					}
				}
				if record {
					if r.read(recordReads, ev); r.fault != nil {
						return false
					}
					ev.addProp(k)
				} else if p.n != nil && !valid {
					break
				}
			}
			if !valid {
				return false
			}
		}
		return true
	}, nil
}

func (it *cctx) unevaluatedProperties(v any, path string) (kwFunc, error) {
	if it.props.isTrue() {
		return nil, nil
	}
	static := it.props
	var reads []nameRead
	if static.name != nil {
		reads = []nameRead{{first: static.name}}
	}
	defer it.props.setAll()
	evaluatedKey := func(ev *evaluated, k string) bool {
		if static.all || static.names[k] {
			return true
		}
		return static.name != nil && (ev.allProps || ev.props[k])
	}
	if v == false {
		return func(r *run, data any, at string, comp bool, ev *evaluated) bool {
			if r.read(reads, ev); r.fault != nil {
				return false
			}
			for _, k := range forInKeys(data, r.less) {
				if !evaluatedKey(ev, k) {
					r.report(at, "must NOT have unevaluated properties", comp)
					return false
				}
			}
			return true
		}, nil
	}
	always, err := it.alwaysValid(v)
	if err != nil || always {
		return nil, err
	}
	n, _, err := it.compileSub(v, path)
	if err != nil {
		return nil, err
	}
	return func(r *run, data any, at string, comp bool, ev *evaluated) bool {
		if r.read(reads, ev); r.fault != nil {
			return false
		}
		start := len(r.errs)
		obj := data.(map[string]any)
		for _, k := range forInKeys(obj, r.less) {
			if evaluatedKey(ev, k) {
				continue
			}
			valid, _ := n.eval(r, obj[k], at+"/"+escapePointer(k), comp)
			if r.stopped() {
				return false
			}
			if !valid {
				break
			}
		}
		return len(r.errs) == start
	}, nil
}
