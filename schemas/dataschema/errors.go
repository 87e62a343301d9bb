package dataschema

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"

	"github.com/dwn-ipfs/dwn-ipfs/dwn"
)

// Error codes of the *dwn.Error values this package returns; a reply's detail starts with
// one of them. They are our own: the reference DWN has no data schema validation.
const (
	// CodeMismatch: the data is JSON but breaks its schema (see ValidationError).
	CodeMismatch = "DataSchemaMismatch"
	// CodeInvalidData: the data is not one strict JSON value within the limits.
	CodeInvalidData = "DataSchemaInvalidData"
	// CodeDataTooLarge: the data is over Options.MaxDataBytes (kind dwn.TooLarge).
	CodeDataTooLarge = "DataSchemaDataTooLarge"
	// CodeSchemaInvalid: a schema a tenant installs (CheckSchema) or has installed
	// (Validate) cannot be used.
	CodeSchemaInvalid = "DataSchemaInvalid"
	// CodeSchemaTooLarge: a schema is over Options.MaxSchemaBytes (kind dwn.TooLarge).
	CodeSchemaTooLarge = "DataSchemaTooLarge"
)

// Bounds on the text of messages, in bytes.
const (
	maxToken   = 64  // a property name, a schema value, a pattern
	maxPointer = 256 // a JSON Pointer, shown cut in the middle
	maxURIText = 256 // a schema URI
	maxMessage = 256 // a ValidationError message, a compiler error
)

// ValidationError reports data that breaks its schema. It describes one violation, picked
// from all those found (see the package documentation for the rule). Its Error text is
// bounded and safe to put into a DWN reply; it wraps a *dwn.Error of kind dwn.Invalid and
// code CodeMismatch, so dwn.StatusOf maps it to a 400 reply with that text as detail.
type ValidationError struct {
	// URI is the schema the data was validated against.
	URI string
	// Pointer is the JSON Pointer (RFC 6901) of the offending value in the data, "" for
	// the whole document. For keywords about an object's properties (required,
	// additionalProperties, dependentRequired, ...) it is the object; Message names the
	// property. It is exact and therefore unbounded; Error shows it bounded.
	Pointer string
	// Keyword is the schema keyword that failed, such as "required", "type" or
	// "pattern"; "false" for a false schema.
	Keyword string
	// Message says what is wrong, in at most a few hundred bytes. It never quotes data
	// values; it may name properties (bounded).
	Message string
}

// Error returns "data does not match schema <URI>: <Pointer>: <Message>", with "(root)"
// for an empty pointer and URI and pointer bounded.
func (e *ValidationError) Error() string {
	return "data does not match schema " + clip(e.URI, maxURIText) + ": " + displayPointer(e.Pointer) + ": " + e.Message
}

// Unwrap returns the *dwn.Error equivalent of e: kind dwn.Invalid, code CodeMismatch and
// e.Error() as message.
func (e *ValidationError) Unwrap() error {
	return &dwn.Error{Kind: dwn.Invalid, Code: CodeMismatch, Message: e.Error()}
}

// newValidationError turns an error of jsonschema/v6's Schema.Validate into a
// *ValidationError for the schema uri.
func newValidationError(uri string, err error) error {
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) { // unreachable: Validate returns only *ValidationError
		return fmt.Errorf("dataschema: validating against %s: %w", clip(uri, maxURIText), err)
	}
	leaf := pickLeaf(ve)
	kw, msg := describe(leaf.ErrorKind)
	return &ValidationError{URI: uri, Pointer: pointer(leaf.InstanceLocation), Keyword: kw, Message: msg}
}

// pickLeaf chooses the error to report from the tree jsonschema/v6 returns. The
// candidates are the leaves: errors without causes, and errors whose causes describe
// attempts rather than the failure's place (contains, minContains, propertyNames,
// contentSchema). Of these it picks the one whose instance location is deepest (has the
// most tokens), and among equally deep ones the first by instance location (token by
// token, in byte order), then by keyword, then by message. The library's order of
// causes follows Go map iteration in places, so only a rule on the errors themselves is
// deterministic.
func pickLeaf(root *jsonschema.ValidationError) *jsonschema.ValidationError {
	var best *jsonschema.ValidationError
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if !isLeaf(e) {
			for _, c := range e.Causes {
				walk(c)
			}
			return
		}
		if best == nil || before(e, best) {
			best = e
		}
	}
	walk(root)
	if best == nil { // unreachable: a tree has leaves
		return root
	}
	return best
}

func isLeaf(e *jsonschema.ValidationError) bool {
	if len(e.Causes) == 0 {
		return true
	}
	switch e.ErrorKind.(type) {
	case *kind.Contains, *kind.MinContains, *kind.PropertyNames, *kind.ContentSchema:
		return true
	}
	return false
}

// before reports whether leaf a is preferred to leaf b.
func before(a, b *jsonschema.ValidationError) bool {
	if la, lb := len(a.InstanceLocation), len(b.InstanceLocation); la != lb {
		return la > lb
	}
	if c := slices.Compare(a.InstanceLocation, b.InstanceLocation); c != 0 {
		return c < 0
	}
	ka, ma := describe(a.ErrorKind)
	kb, mb := describe(b.ErrorKind)
	if ka != kb {
		return ka < kb
	}
	return ma < mb
}

// describe returns the keyword and a bounded message for an error kind. The messages are
// ours, not the library's, because the library's quote data values (a pattern mismatch
// shows the string, a format error the value).
func describe(k jsonschema.ErrorKind) (keyword, message string) {
	keyword, message = describeKind(k)
	return keyword, clip(message, maxMessage)
}

func describeKind(k jsonschema.ErrorKind) (keyword, message string) {
	switch k := k.(type) {
	case *kind.Type:
		return "type", fmt.Sprintf("must be of type %s, not %s", strings.Join(k.Want, " or "), k.Got)
	case *kind.Enum:
		return "enum", "must be one of " + values(k.Want)
	case *kind.Const:
		return "const", "must be " + values([]any{k.Want})
	case *kind.Format:
		return "format", "is not a valid " + clip(k.Want, maxToken)
	case *kind.MinProperties:
		return "minProperties", fmt.Sprintf("must have at least %d properties, has %d", k.Want, k.Got)
	case *kind.MaxProperties:
		return "maxProperties", fmt.Sprintf("must have at most %d properties, has %d", k.Want, k.Got)
	case *kind.MinItems:
		return "minItems", fmt.Sprintf("must have at least %d items, has %d", k.Want, k.Got)
	case *kind.MaxItems:
		return "maxItems", fmt.Sprintf("must have at most %d items, has %d", k.Want, k.Got)
	case *kind.AdditionalItems:
		return "additionalItems", fmt.Sprintf("has %d more items than allowed", k.Count)
	case *kind.Required:
		return "required", "missing required " + plural("property", "properties", k.Missing)
	case *kind.Dependency:
		return "dependencies", "property " + name(k.Prop) + " requires " + plural("property", "properties", k.Missing)
	case *kind.DependentRequired:
		return "dependentRequired", "property " + name(k.Prop) + " requires " + plural("property", "properties", k.Missing)
	case *kind.AdditionalProperties:
		props := slices.Clone(k.Properties)
		sort.Strings(props) // the library lists them in map order
		return "additionalProperties", plural("property", "properties", props) + " not allowed"
	case *kind.PropertyNames:
		return "propertyNames", "property name " + name(k.Property) + " is not allowed"
	case *kind.UniqueItems:
		return "uniqueItems", fmt.Sprintf("items %d and %d are equal", k.Duplicates[0], k.Duplicates[1])
	case *kind.Contains:
		return "contains", "must contain a matching item"
	case *kind.MinContains:
		return "minContains", fmt.Sprintf("must contain at least %d matching items, has %d", k.Want, len(k.Got))
	case *kind.MaxContains:
		return "maxContains", fmt.Sprintf("must contain at most %d matching items, has %d", k.Want, len(k.Got))
	case *kind.MinLength:
		return "minLength", fmt.Sprintf("must be at least %d characters long, is %d", k.Want, k.Got)
	case *kind.MaxLength:
		return "maxLength", fmt.Sprintf("must be at most %d characters long, is %d", k.Want, k.Got)
	case *kind.Pattern:
		return "pattern", "does not match pattern " + name(k.Want)
	case *kind.ContentEncoding:
		return "contentEncoding", "is not valid " + clip(k.Want, maxToken)
	case *kind.ContentMediaType:
		return "contentMediaType", "is not valid " + clip(k.Want, maxToken)
	case *kind.ContentSchema:
		return "contentSchema", "content does not match its schema"
	case *kind.Minimum:
		return "minimum", "must be >= " + rat(k.Want)
	case *kind.Maximum:
		return "maximum", "must be <= " + rat(k.Want)
	case *kind.ExclusiveMinimum:
		return "exclusiveMinimum", "must be > " + rat(k.Want)
	case *kind.ExclusiveMaximum:
		return "exclusiveMaximum", "must be < " + rat(k.Want)
	case *kind.MultipleOf:
		return "multipleOf", "must be a multiple of " + rat(k.Want)
	case *kind.Not:
		return "not", "must not match the schema in not"
	case *kind.OneOf:
		if len(k.Subschemas) >= 2 {
			return "oneOf", fmt.Sprintf("matches more than one schema of oneOf (%d and %d)", k.Subschemas[0], k.Subschemas[1])
		}
		return "oneOf", "matches no schema of oneOf"
	case *kind.AnyOf:
		return "anyOf", "matches no schema of anyOf"
	case *kind.AllOf:
		return "allOf", "does not match all schemas of allOf"
	case *kind.FalseSchema:
		return "false", "is not allowed"
	case *kind.RefCycle:
		return "$ref", "schema references form a cycle"
	}
	if p := k.KeywordPath(); len(p) > 0 {
		return clip(p[0], maxToken), "is invalid"
	}
	return "", "is invalid"
}

// plural renders property names: `property "a"` or `properties "a", "b"`, listing at most
// five.
func plural(one, many string, names []string) string {
	if len(names) == 1 {
		return one + " " + name(names[0])
	}
	var b strings.Builder
	b.WriteString(many)
	for i, n := range names {
		if i == 5 {
			fmt.Fprintf(&b, " and %d more", len(names)-i)
			break
		}
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte(' ')
		b.WriteString(name(n))
	}
	return b.String()
}

// name quotes a property name or pattern, bounded.
func name(s string) string { return strconv.Quote(clip(s, maxToken)) }

// values renders schema values (of enum or const) as JSON, at most eight, bounded.
func values(vs []any) string {
	var b strings.Builder
	for i, v := range vs {
		if i == 8 {
			fmt.Fprintf(&b, " or %d more", len(vs)-i)
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		j, err := json.Marshal(v)
		if err != nil {
			j = []byte("?")
		}
		b.WriteString(clip(string(j), maxToken))
	}
	return clip(b.String(), maxMessage)
}

// rat renders a schema number: exactly if it is an integer, else as the nearest float64.
func rat(r *big.Rat) string {
	if r == nil {
		return "?"
	}
	if r.IsInt() {
		return clip(r.Num().String(), maxToken)
	}
	f, _ := r.Float64()
	return strconv.FormatFloat(f, 'g', -1, 64)
}

// pointer renders tokens as a JSON Pointer.
func pointer(toks []string) string {
	if len(toks) == 0 {
		return ""
	}
	var b strings.Builder
	for _, t := range toks {
		b.WriteByte('/')
		if strings.ContainsAny(t, "~/") {
			t = strings.ReplaceAll(t, "~", "~0")
			t = strings.ReplaceAll(t, "/", "~1")
		}
		b.WriteString(t)
	}
	return b.String()
}

// displayPointer bounds a JSON Pointer for a message: "(root)" for the empty pointer,
// non-printable runes as '?', and at most maxPointer bytes, cut in the middle.
func displayPointer(p string) string {
	if p == "" {
		return "(root)"
	}
	p = printable(p)
	if len(p) <= maxPointer {
		return p
	}
	head, tail := p[:maxPointer/2], p[len(p)-maxPointer/2:]
	for len(head) > 0 && !utf8.ValidString(head) {
		head = head[:len(head)-1]
	}
	for len(tail) > 0 && !utf8.ValidString(tail) {
		tail = tail[1:]
	}
	return head + "…" + tail
}

// clip makes text safe to show: newlines become "; ", other non-printable runes '?', and
// it is cut to at most n bytes (plus "…") on a rune boundary.
func clip(s string, n int) string {
	if strings.Contains(s, "\n") {
		s = strings.ReplaceAll(s, "\n", "; ")
	}
	s = printable(s)
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// printable replaces runes that are not printable (and invalid UTF-8) with '?'.
func printable(s string) string {
	ok := true
	for _, r := range s {
		if r == utf8.RuneError || !unicode.IsPrint(r) {
			ok = false
			break
		}
	}
	if ok {
		return s
	}
	return strings.Map(func(r rune) rune {
		if r == utf8.RuneError || !unicode.IsPrint(r) {
			return '?'
		}
		return r
	}, s)
}
