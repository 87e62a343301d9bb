package schemas

import (
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// failure is the first error found, described the way Ajv describes it.
type failure struct {
	keyword string   // Ajv keyword, e.g. "required", "additionalProperties"
	rpath   []string // instance path tokens, innermost first
	msg     string   // Ajv's message, e.g. "must have required property 'x'"
	prop    string   // the offending property for additional/unevaluated properties
}

// invalid is returned instead of a described failure when the caller only needs to know
// whether a value is valid (the branches of anyOf, oneOf, not and if). It keeps those
// checks free of allocations.
var invalid = &failure{keyword: "invalid"}

func (f *failure) at(tok string) *failure {
	if f != invalid {
		f.rpath = append(f.rpath, tok)
	}
	return f
}

func fail(want bool, keyword, msg string) *failure {
	if !want {
		return invalid
	}
	return &failure{keyword: keyword, msg: msg}
}

// jsonType returns the type bit of a decoded JSON value, or 0 if v is not a JSON value.
// It accepts what encoding/json produces, with or without UseNumber, and Go integers.
func jsonType(v any) typeSet {
	switch v := v.(type) {
	case nil:
		return tNull
	case bool:
		return tBoolean
	case string:
		return tString
	case map[string]any:
		return tObject
	case []any:
		return tArray
	case json.Number:
		if _, ok := number(v); !ok {
			return 0
		}
		return tNumber
	case float64:
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return 0
		}
		return tNumber
	case float32:
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return 0
		}
		return tNumber
	case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
		return tNumber
	}
	return 0
}

// number returns a JSON number as the float64 JavaScript would see after JSON.parse: a
// json.Number with a huge exponent becomes ±Inf, exactly like JS, with no big-number
// arithmetic (so an attacker's "1e999999999" costs nothing).
func number(v any) (float64, bool) {
	switch v := v.(type) {
	case json.Number:
		f, err := strconv.ParseFloat(string(v), 64)
		if err != nil {
			if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
				return f, true
			}
			return 0, false
		}
		return f, true
	case float64:
		return v, true
	case float32:
		return float64(v), true
	case int:
		return float64(v), true
	case int8:
		return float64(v), true
	case int16:
		return float64(v), true
	case int32:
		return float64(v), true
	case int64:
		return float64(v), true
	case uint:
		return float64(v), true
	case uint8:
		return float64(v), true
	case uint16:
		return float64(v), true
	case uint32:
		return float64(v), true
	case uint64:
		return float64(v), true
	}
	return 0, false
}

// typeOK reports whether a value of type t with value v satisfies the type set.
func typeOK(set typeSet, t typeSet, v any) bool {
	if set == 0 || set&t != 0 {
		return true
	}
	if t == tNumber && set&tInteger != 0 {
		f, _ := number(v)
		return f == math.Trunc(f)
	}
	return false
}

// eval returns nil if v is valid against n, otherwise the first error in Ajv's order. With
// want false it returns the shared invalid value instead of a description.
func (n *node) eval(v any, want bool) *failure {
	if n.boolean != nil {
		if *n.boolean {
			return nil
		}
		return fail(want, "false schema", "boolean schema is false")
	}
	t := jsonType(v)
	if t == 0 {
		return fail(want, "type", "must be a JSON value")
	}
	tOK := typeOK(n.types, t, v)
	if !tOK && n.typeGroup == groupNone {
		return n.typeFailure(want)
	}

	// keywords for any type
	if n.ref != nil {
		if f := n.ref.eval(v, want); f != nil {
			return f
		}
	}
	if n.constVal != nil && !equal(v, *n.constVal) {
		return fail(want, "const", "must be equal to constant")
	}
	if n.enum != nil {
		ok := false
		for _, e := range n.enum {
			if equal(v, e) {
				ok = true
				break
			}
		}
		if !ok {
			return fail(want, "enum", "must be equal to one of the allowed values")
		}
	}
	if n.not != nil && n.not.eval(v, false) == nil {
		return fail(want, "not", "must NOT be valid")
	}
	if len(n.anyOf) > 0 {
		// Ajv keeps the errors of every failed branch, so the first error is the first
		// branch's. Each branch is evaluated once, so the cost stays linear in the input.
		first := n.anyOf[0].eval(v, want)
		if first != nil {
			for _, b := range n.anyOf[1:] {
				if b.eval(v, false) == nil {
					first = nil
					break
				}
			}
			if first != nil {
				return first
			}
		}
	}
	if len(n.oneOf) > 0 {
		if f := n.evalOneOf(v, want); f != nil {
			return f
		}
	}
	for _, b := range n.allOf {
		if f := b.eval(v, want); f != nil {
			return f
		}
	}
	if n.ifN != nil {
		if n.ifN.eval(v, false) == nil {
			if n.thenN != nil {
				if f := n.thenN.eval(v, want); f != nil {
					return f
				}
			}
		} else if n.elseN != nil {
			if f := n.elseN.eval(v, want); f != nil {
				return f
			}
		}
	}

	// keywords for one type, in Ajv's group order
	for g := groupNumber; g <= groupObject; g++ {
		if !n.hasGroup[g] {
			continue
		}
		if !groupApplies(g, t) {
			if !tOK && n.typeGroup == g {
				return n.typeFailure(want)
			}
			continue
		}
		var f *failure
		switch g {
		case groupNumber:
			f = n.evalNumber(v, want)
		case groupString:
			f = n.evalString(v.(string), want)
		case groupArray:
			f = n.evalArray(v.([]any), want)
		case groupObject:
			f = n.evalObject(v.(map[string]any), want)
		}
		if f != nil {
			return f
		}
	}
	if !tOK {
		return n.typeFailure(want)
	}
	return nil
}

func groupApplies(g int, t typeSet) bool {
	switch g {
	case groupNumber:
		return t == tNumber
	case groupString:
		return t == tString
	case groupArray:
		return t == tArray
	case groupObject:
		return t == tObject
	}
	return false
}

func (n *node) typeFailure(want bool) *failure {
	if !want {
		return invalid
	}
	return &failure{keyword: "type", msg: "must be " + n.typeNames}
}

// evalOneOf follows Ajv: branches are tried in order and stop once a second one passes; the
// reported error is the first failed branch's first error, or the oneOf error itself when no
// branch failed before two passed.
func (n *node) evalOneOf(v any, want bool) *failure {
	passed := 0
	var firstFailure *failure
	for _, b := range n.oneOf {
		f := b.eval(v, want && firstFailure == nil)
		if f == nil {
			passed++
			if passed == 2 {
				break
			}
		} else if firstFailure == nil {
			firstFailure = f
		}
	}
	switch {
	case passed == 1:
		return nil
	case firstFailure != nil:
		return firstFailure
	}
	return fail(want, "oneOf", "must match exactly one schema in oneOf")
}

func (n *node) evalNumber(v any, want bool) *failure {
	f, _ := number(v)
	switch {
	case n.numMax != nil && !(f <= *n.numMax):
		if !want {
			return invalid
		}
		return &failure{keyword: "maximum", msg: "must be <= " + jsNumber(*n.numMax)}
	case n.numMin != nil && !(f >= *n.numMin):
		if !want {
			return invalid
		}
		return &failure{keyword: "minimum", msg: "must be >= " + jsNumber(*n.numMin)}
	case n.numExclMax != nil && !(f < *n.numExclMax):
		if !want {
			return invalid
		}
		return &failure{keyword: "exclusiveMaximum", msg: "must be < " + jsNumber(*n.numExclMax)}
	case n.numExclMin != nil && !(f > *n.numExclMin):
		if !want {
			return invalid
		}
		return &failure{keyword: "exclusiveMinimum", msg: "must be > " + jsNumber(*n.numExclMin)}
	case n.multipleOf != nil:
		if q := f / *n.multipleOf; q != math.Trunc(q) {
			if !want {
				return invalid
			}
			return &failure{keyword: "multipleOf", msg: "must be multiple of " + jsNumber(*n.multipleOf)}
		}
	}
	return nil
}

func jsNumber(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

func (n *node) evalString(s string, want bool) *failure {
	if n.maxLength >= 0 || n.minLength >= 0 {
		l := utf8.RuneCountInString(s)
		if n.maxLength >= 0 && l > n.maxLength {
			if !want {
				return invalid
			}
			return &failure{keyword: "maxLength", msg: "must NOT have more than " + strconv.Itoa(n.maxLength) + " characters"}
		}
		if n.minLength >= 0 && l < n.minLength {
			if !want {
				return invalid
			}
			return &failure{keyword: "minLength", msg: "must NOT have fewer than " + strconv.Itoa(n.minLength) + " characters"}
		}
	}
	if n.pattern != nil && !n.matches(s) {
		if !want {
			return invalid
		}
		return &failure{keyword: "pattern", msg: `must match pattern "` + n.patternS + `"`}
	}
	return nil
}

func (n *node) matches(s string) bool {
	if n.fast != nil {
		return n.fast(s)
	}
	return n.pattern.MatchString(s)
}

func (n *node) evalArray(a []any, want bool) *failure {
	if n.maxItems >= 0 && len(a) > n.maxItems {
		if !want {
			return invalid
		}
		return &failure{keyword: "maxItems", msg: "must NOT have more than " + strconv.Itoa(n.maxItems) + " items"}
	}
	if n.minItems >= 0 && len(a) < n.minItems {
		if !want {
			return invalid
		}
		return &failure{keyword: "minItems", msg: "must NOT have fewer than " + strconv.Itoa(n.minItems) + " items"}
	}
	if n.unique {
		// Ajv scans from the end and reports the later index first.
		for i := len(a) - 1; i > 0; i-- {
			for j := i - 1; j >= 0; j-- {
				if equal(a[i], a[j]) {
					if !want {
						return invalid
					}
					return &failure{keyword: "uniqueItems", msg: "must NOT have duplicate items (items ## " +
						strconv.Itoa(j) + " and " + strconv.Itoa(i) + " are identical)"}
				}
			}
		}
	}
	if n.items != nil {
		for i, e := range a {
			if f := n.items.eval(e, want); f != nil {
				if want {
					f.at(strconv.Itoa(i))
				}
				return f
			}
		}
	}
	return nil
}

func (n *node) evalObject(o map[string]any, want bool) *failure {
	if n.maxProps >= 0 && len(o) > n.maxProps {
		if !want {
			return invalid
		}
		return &failure{keyword: "maxProperties", msg: "must NOT have more than " + strconv.Itoa(n.maxProps) + " properties"}
	}
	if n.minProps >= 0 && len(o) < n.minProps {
		if !want {
			return invalid
		}
		return &failure{keyword: "minProperties", msg: "must NOT have fewer than " + strconv.Itoa(n.minProps) + " properties"}
	}
	for _, r := range n.required {
		if _, ok := o[r]; !ok {
			if !want {
				return invalid
			}
			return &failure{keyword: "required", msg: "must have required property '" + r + "'"}
		}
	}
	if n.additionalFalse || n.additional != nil {
		if f := n.evalAdditional(o, want); f != nil {
			return f
		}
	}
	for _, p := range n.props {
		pv, ok := o[p.name]
		if !ok {
			continue
		}
		if f := p.n.eval(pv, want); f != nil {
			return f.at(p.name)
		}
	}
	for _, pp := range n.patternProps {
		if f := pp.eval(o, want); f != nil {
			return f
		}
	}
	for _, d := range n.dependentRequired {
		if _, ok := o[d.prop]; !ok {
			continue
		}
		for _, dep := range d.deps {
			if _, ok := o[dep]; !ok {
				word := "property"
				if len(d.deps) > 1 {
					word = "properties"
				}
				if !want {
					return invalid
				}
				return &failure{keyword: "dependentRequired", msg: "must have " + word + " " + strings.Join(d.deps, ", ") +
					" when property " + d.prop + " is present"}
			}
		}
	}
	for _, d := range n.dependentSchemas {
		if _, ok := o[d.prop]; !ok {
			continue
		}
		if f := d.n.eval(o, want); f != nil {
			return f
		}
	}
	if n.unevaluatedFalse {
		// Ajv reports the first such key in the order of the JSON text, which a Go map does
		// not keep; the smallest key makes the choice deterministic.
		worst, found := "", false
		for k := range o {
			if n.evaluates(o, k) {
				continue
			}
			if !want {
				return invalid
			}
			if !found || k < worst {
				worst, found = k, true
			}
		}
		if found {
			return &failure{keyword: "unevaluatedProperties", msg: "must NOT have unevaluated properties", prop: worst}
		}
	}
	return nil
}

// evalAdditional checks the properties that neither properties nor patternProperties cover.
func (n *node) evalAdditional(o map[string]any, want bool) *failure {
	if !want {
		for k, v := range o {
			if !n.declares(k) && (n.additionalFalse || n.additional.eval(v, false) != nil) {
				return invalid
			}
		}
		return nil
	}
	for _, k := range sortedKeys(o, func(k string) bool { return !n.declares(k) }) {
		if n.additionalFalse {
			return &failure{keyword: "additionalProperties", msg: "must NOT have additional properties", prop: k}
		}
		if f := n.additional.eval(o[k], true); f != nil {
			return f.at(k)
		}
	}
	return nil
}

// eval validates the properties whose names match the pattern.
func (pp *patternProp) eval(o map[string]any, want bool) *failure {
	if !want {
		for k, v := range o {
			if pp.match(k) && pp.n.eval(v, false) != nil {
				return invalid
			}
		}
		return nil
	}
	for _, k := range sortedKeys(o, pp.match) {
		if f := pp.n.eval(o[k], true); f != nil {
			return f.at(k)
		}
	}
	return nil
}

// sortedKeys returns the keys of o that satisfy keep, sorted. Ajv reports the first failing
// property in the order of the JSON text, which a Go map does not keep; trying them in
// sorted order makes the report deterministic. It is only used when describing a failure.
func sortedKeys(o map[string]any, keep func(string) bool) []string {
	var keys []string
	for k := range o {
		if keep(k) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return keys
}

func (n *node) declares(k string) bool {
	if _, ok := n.propIndex[k]; ok {
		return true
	}
	for _, pp := range n.patternProps {
		if pp.match(k) {
			return true
		}
	}
	return false
}

// evaluates reports whether property k of o is evaluated by n or by one of n's in-place
// subschemas that o satisfies, as unevaluatedProperties requires. It is only called once
// every other keyword of n passed, so n.ref and n.allOf are known to be satisfied.
func (n *node) evaluates(o map[string]any, k string) bool {
	if n.boolean != nil {
		return false
	}
	if n.additionalFalse || n.additional != nil || n.declares(k) {
		return true
	}
	if n.ref != nil && n.ref.inPlace(o, k) {
		return true
	}
	for _, b := range n.allOf {
		if b.inPlace(o, k) {
			return true
		}
	}
	for _, bs := range [][]*node{n.anyOf, n.oneOf} {
		for _, b := range bs {
			if b.inPlace(o, k) && b.eval(o, false) == nil {
				return true
			}
		}
	}
	if n.ifN != nil {
		if n.ifN.eval(o, false) == nil {
			if n.ifN.inPlace(o, k) || (n.thenN != nil && n.thenN.inPlace(o, k)) {
				return true
			}
		} else if n.elseN != nil && n.elseN.inPlace(o, k) {
			return true
		}
	}
	for _, d := range n.dependentSchemas {
		if _, ok := o[d.prop]; ok && d.n.inPlace(o, k) {
			return true
		}
	}
	return false
}

// inPlace is evaluates for a subschema applied to the same object: its own
// unevaluatedProperties, having passed, evaluates every property.
func (n *node) inPlace(o map[string]any, k string) bool {
	return n.unevaluatedFalse || n.evaluates(o, k)
}

// equal is JSON value equality as Ajv's deep equal sees it: numbers compare by value.
func equal(a, b any) bool {
	ta, tb := jsonType(a), jsonType(b)
	if ta != tb {
		return false
	}
	switch ta {
	case tNull:
		return true
	case tBoolean:
		return a.(bool) == b.(bool)
	case tString:
		return a.(string) == b.(string)
	case tNumber:
		fa, _ := number(a)
		fb, _ := number(b)
		return fa == fb
	case tArray:
		aa, ab := a.([]any), b.([]any)
		return slices.EqualFunc(aa, ab, equal)
	case tObject:
		oa, ob := a.(map[string]any), b.(map[string]any)
		if len(oa) != len(ob) {
			return false
		}
		for k, va := range oa {
			vb, ok := ob[k]
			if !ok || !equal(va, vb) {
				return false
			}
		}
		return true
	}
	return false
}
