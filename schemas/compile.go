package schemas

import (
	"fmt"
	"math"
	"math/big"
	"net/url"
	"strconv"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/dwn-ipfs/dwn-ipfs/internal/ordered"
)

// typeSet is a set of JSON types, as in the "type" keyword.
type typeSet uint8

const (
	tNull typeSet = 1 << iota
	tBoolean
	tNumber
	tInteger
	tString
	tArray
	tObject
)

func typeBit(name string) typeSet {
	switch name {
	case "null":
		return tNull
	case "boolean":
		return tBoolean
	case "number":
		return tNumber
	case "integer":
		return tInteger
	case "string":
		return tString
	case "array":
		return tArray
	case "object":
		return tObject
	}
	return 0
}

// Keyword groups in the order Ajv evaluates them. Ajv runs the keywords that apply to any
// type first, then the number, string, array and object keywords, each group only while no
// error has been found.
const (
	groupNone = iota
	groupNumber
	groupString
	groupArray
	groupObject
)

// node is one compiled schema, rearranged for evaluation in Ajv's keyword order. It is built
// once from the library's compiled *jsonschema.Schema (which resolved every $ref and checked
// the schema against the draft 2020-12 meta-schema) plus the raw document, which keeps the
// order of properties that Ajv follows and the library's maps lose.
type node struct {
	loc string // absolute location, for diagnostics

	boolean *bool // a true/false schema

	types     typeSet
	typeNames string // the "type" value as Ajv prints it, e.g. "string,number"
	typeGroup int    // group that reports a type mismatch; groupNone means before everything

	// any type, in Ajv order
	ref        *node
	constVal   *any
	enum       []any
	not        *node
	anyOf      []*node
	oneOf      []*node
	allOf      []*node
	ifN        *node
	thenN      *node
	elseN      *node
	hasGroup   [groupObject + 1]bool
	numMax     *float64
	numMin     *float64
	numExclMax *float64
	numExclMin *float64
	multipleOf *float64

	maxLength int // -1 if absent
	minLength int
	pattern   jsonschema.Regexp
	patternS  string
	fast      func(string) bool // hand-written equivalent of pattern, if any

	maxItems int
	minItems int
	unique   bool
	items    *node

	maxProps          int
	minProps          int
	required          []string
	additionalFalse   bool
	additional        *node
	props             []prop // in document order
	propIndex         map[string]*node
	patternProps      []patternProp // in document order
	dependentRequired []dependency  // in document order
	dependentSchemas  []dependentSchema
	unevaluatedFalse  bool
}

type prop struct {
	name string
	n    *node
}

type patternProp struct {
	re   jsonschema.Regexp
	fast func(string) bool // hand-written equivalent of re, if any
	n    *node
}

func (pp *patternProp) match(k string) bool {
	if pp.fast != nil {
		return pp.fast(k)
	}
	return pp.re.MatchString(k)
}

type dependency struct {
	prop string
	deps []string
}

type dependentSchema struct {
	prop string
	n    *node
}

// indexRaw records every object of a raw document under the location string the library
// gives the schema at that place ("<url>#<json pointer>", each token path-escaped).
func indexRaw(idx map[string]*ordered.Object, base string, ptr []string, v any) {
	switch v := v.(type) {
	case *ordered.Object:
		idx[base+"#"+encodePointer(ptr)] = v
		for _, k := range v.Keys {
			indexRaw(idx, base, append(ptr[:len(ptr):len(ptr)], k), v.Vals[k])
		}
	case []any:
		for i, e := range v {
			indexRaw(idx, base, append(ptr[:len(ptr):len(ptr)], strconv.Itoa(i)), e)
		}
	}
}

func encodePointer(ptr []string) string {
	var sb strings.Builder
	for _, tok := range ptr {
		tok = strings.ReplaceAll(tok, "~", "~0")
		tok = strings.ReplaceAll(tok, "/", "~1")
		sb.WriteByte('/')
		sb.WriteString(url.PathEscape(tok))
	}
	return sb.String()
}

// converter turns library schemas into nodes, sharing one node per schema so that recursive
// schemas (the protocol rule set, the embedded delegated grant) stay finite.
type converter struct {
	raw   map[string]*ordered.Object
	nodes map[*jsonschema.Schema]*node
}

func (c *converter) convert(s *jsonschema.Schema) (*node, error) {
	if s == nil {
		return nil, nil
	}
	if n, ok := c.nodes[s]; ok {
		return n, nil
	}
	n := &node{loc: s.Location, maxLength: -1, minLength: -1, maxItems: -1, minItems: -1, maxProps: -1, minProps: -1}
	c.nodes[s] = n
	if s.Bool != nil {
		b := *s.Bool
		n.boolean = &b
		return n, nil
	}
	raw := c.raw[s.Location]
	if raw == nil {
		return nil, fmt.Errorf("no source for schema %s", s.Location)
	}
	if err := unsupported(s); err != nil {
		return nil, fmt.Errorf("%s: %w", s.Location, err)
	}
	var err error
	sub := func(x *jsonschema.Schema) *node {
		if err != nil {
			return nil
		}
		var r *node
		r, err = c.convert(x)
		return r
	}
	subs := func(xs []*jsonschema.Schema) []*node {
		var out []*node
		for _, x := range xs {
			out = append(out, sub(x))
		}
		return out
	}

	// type, printed the way the document spells it
	switch t := raw.Vals["type"].(type) {
	case string:
		n.types = typeBit(t)
		n.typeNames = t
	case []any:
		var names []string
		for _, e := range t {
			name, _ := e.(string)
			n.types |= typeBit(name)
			names = append(names, name)
		}
		n.typeNames = strings.Join(names, ",")
	}

	n.ref = sub(s.Ref)
	n.constVal = s.Const
	if s.Enum != nil {
		n.enum = s.Enum.Values
	}
	n.not = sub(s.Not)
	n.anyOf = subs(s.AnyOf)
	n.oneOf = subs(s.OneOf)
	n.allOf = subs(s.AllOf)
	n.ifN, n.thenN, n.elseN = sub(s.If), sub(s.Then), sub(s.Else)

	// number
	n.numMax, n.numMin = ratFloat(s.Maximum), ratFloat(s.Minimum)
	n.numExclMax, n.numExclMin = ratFloat(s.ExclusiveMaximum), ratFloat(s.ExclusiveMinimum)
	n.multipleOf = ratFloat(s.MultipleOf)
	n.hasGroup[groupNumber] = n.numMax != nil || n.numMin != nil || n.numExclMax != nil || n.numExclMin != nil || n.multipleOf != nil

	// string
	if s.MaxLength != nil {
		n.maxLength = *s.MaxLength
	}
	if s.MinLength != nil {
		n.minLength = *s.MinLength
	}
	if s.Pattern != nil {
		n.pattern = s.Pattern
		n.patternS = s.Pattern.String()
		n.fast = fastMatcher(n.patternS)
	}
	n.hasGroup[groupString] = n.maxLength >= 0 || n.minLength >= 0 || n.pattern != nil

	// array
	if s.MaxItems != nil {
		n.maxItems = *s.MaxItems
	}
	if s.MinItems != nil {
		n.minItems = *s.MinItems
	}
	n.unique = s.UniqueItems
	n.items = sub(s.Items2020)
	n.hasGroup[groupArray] = n.maxItems >= 0 || n.minItems >= 0 || n.unique || n.items != nil

	// object
	if s.MaxProperties != nil {
		n.maxProps = *s.MaxProperties
	}
	if s.MinProperties != nil {
		n.minProps = *s.MinProperties
	}
	n.required = s.Required
	switch a := s.AdditionalProperties.(type) {
	case bool:
		n.additionalFalse = !a
		if a {
			n.additional = &node{loc: s.Location + "/additionalProperties", boolean: &a}
		}
	case *jsonschema.Schema:
		n.additional = sub(a)
	}
	if o, ok := raw.Vals["properties"].(*ordered.Object); ok {
		n.propIndex = map[string]*node{}
		for _, k := range o.Keys {
			p := prop{name: k, n: sub(s.Properties[k])}
			n.props = append(n.props, p)
			n.propIndex[k] = p.n
		}
	}
	if o, ok := raw.Vals["patternProperties"].(*ordered.Object); ok {
		for _, k := range o.Keys {
			for re, ps := range s.PatternProperties {
				if re.String() == k {
					n.patternProps = append(n.patternProps, patternProp{re: re, fast: fastMatcher(k), n: sub(ps)})
				}
			}
		}
	}
	if o, ok := raw.Vals["dependentRequired"].(*ordered.Object); ok {
		for _, k := range o.Keys {
			n.dependentRequired = append(n.dependentRequired, dependency{prop: k, deps: s.DependentRequired[k]})
		}
	}
	if o, ok := raw.Vals["dependentSchemas"].(*ordered.Object); ok {
		for _, k := range o.Keys {
			n.dependentSchemas = append(n.dependentSchemas, dependentSchema{prop: k, n: sub(s.DependentSchemas[k])})
		}
	}
	if u := s.UnevaluatedProperties; u != nil {
		if u.Bool == nil || *u.Bool {
			return nil, fmt.Errorf("%s: only unevaluatedProperties:false is supported", s.Location)
		}
		n.unevaluatedFalse = true
	}
	n.hasGroup[groupObject] = n.maxProps >= 0 || n.minProps >= 0 || len(n.required) > 0 || n.additionalFalse ||
		n.additional != nil || len(n.props) > 0 || len(n.patternProps) > 0 || len(n.dependentRequired) > 0 ||
		len(n.dependentSchemas) > 0 || n.unevaluatedFalse
	if err != nil {
		return nil, err
	}

	// Where Ajv reports a type mismatch: with exactly one type that has keywords of its own
	// group in this schema, the error comes when that group is reached (after the keywords
	// that apply to any type); otherwise before anything else.
	n.typeGroup = groupNone
	if n.types != 0 && strings.Count(n.typeNames, ",") == 0 {
		g := map[typeSet]int{tNumber: groupNumber, tString: groupString, tArray: groupArray, tObject: groupObject}[n.types]
		if g != groupNone && n.hasGroup[g] {
			n.typeGroup = g
		}
	}
	return n, nil
}

// unsupported rejects keywords the evaluator does not implement, so that a schema edit that
// needs one fails New instead of being silently ignored.
func unsupported(s *jsonschema.Schema) error {
	switch {
	case s.RecursiveRef != nil, s.DynamicRef != nil:
		return fmt.Errorf("dynamic references are not supported")
	case s.Format != nil:
		return fmt.Errorf("format is not supported")
	case s.PropertyNames != nil:
		return fmt.Errorf("propertyNames is not supported")
	case len(s.Dependencies) > 0:
		return fmt.Errorf("dependencies is not supported; use dependentRequired/dependentSchemas")
	case s.Contains != nil, s.MinContains != nil, s.MaxContains != nil:
		return fmt.Errorf("contains is not supported")
	case len(s.PrefixItems) > 0, s.Items != nil, s.AdditionalItems != nil, s.UnevaluatedItems != nil:
		return fmt.Errorf("only items (draft 2020-12) is supported for arrays")
	case s.ContentEncoding != nil, s.ContentMediaType != nil, s.ContentSchema != nil:
		return fmt.Errorf("content keywords are not supported")
	case len(s.Extensions) > 0:
		return fmt.Errorf("extension keywords are not supported")
	}
	return nil
}

func ratFloat(r *big.Rat) *float64 {
	if r == nil {
		return nil
	}
	f, _ := r.Float64()
	if math.IsInf(f, 0) {
		return nil
	}
	return &f
}

// refuseLoader keeps the compiler from fetching anything: every schema is embedded.
type refuseLoader struct{}

func (refuseLoader) Load(u string) (any, error) {
	return nil, fmt.Errorf("schema %s is not embedded", u)
}
