package protocols

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// JavaScript semantics of JSON values, as Ajv and the reference see them. A JSON value
// is nil, bool, string, a number (json.Number or float64), []any or map[string]any;
// jsFunction stands for a value inherited from Object.prototype.

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

// jsUndefined is undefined, which one of Ajv's loops reads past an array's items.
type jsUndefined struct{}

// jsTypeof is JavaScript's typeof.
func jsTypeof(v any) string {
	switch v.(type) {
	case nil, map[string]any, []any:
		return "object"
	case bool:
		return "boolean"
	case string:
		return "string"
	case jsFunction:
		return "function"
	case jsUndefined:
		return "undefined"
	}
	if _, ok := jsonNumber(v); ok {
		return "number"
	}
	return "undefined"
}

// isPlainObject reports whether v is a JSON object: v && typeof v == "object" &&
// !Array.isArray(v).
func isPlainObject(v any) bool {
	_, ok := v.(map[string]any)
	return ok
}

// forInKeys lists the keys a for-in loop visits on v: an object's keys in JavaScript
// order (integer-like keys first, then the others in `less` order), an array's indices,
// a string's UTF-16 code unit indices, and none for other values.
func forInKeys(v any, less func(a, b string) int) []string {
	switch x := v.(type) {
	case map[string]any:
		return jsKeyOrder(x, less)
	case []any:
		return indexKeys(len(x))
	case string:
		return indexKeys(utf16Len(x))
	}
	return nil
}

func indexKeys(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = strconv.Itoa(i)
	}
	return out
}

// utf16Len is a string's JavaScript length.
func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

// ownProperty returns m[key] when v is an object that has key as its own property.
func ownProperty(v any, key string) (any, bool) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, false
	}
	x, ok := m[key]
	return x, ok
}

// dataProperty is data[key] for a JSON object data, as Ajv reads a property of the
// data: own properties, then the ones inherited from Object.prototype.
func dataProperty(data map[string]any, key string) (any, bool) {
	if v, ok := data[key]; ok {
		return v, true
	}
	if objectPrototypeKeys[key] {
		return jsFunction{}, true
	}
	return nil, false
}

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
		if isType(t, v) {
			return true
		}
	}
	return false
}

func isType(t string, v any) bool {
	switch t {
	case "string":
		_, ok := v.(string)
		return ok
	case "number":
		_, ok := finiteNumber(v)
		return ok
	case "integer":
		f, ok := finiteNumber(v)
		return ok && f == math.Trunc(f)
	case "boolean":
		_, ok := v.(bool)
		return ok
	case "null":
		return v == nil
	case "array":
		_, ok := v.([]any)
		return ok
	case "object":
		return isPlainObject(v)
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

// jsStrictEqual is JavaScript's ===, for a scalar a.
func jsStrictEqual(a, b any) bool {
	if x, ok := jsonNumber(a); ok {
		y, ok := jsonNumber(b)
		return ok && x == y
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
	}
	return false
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

// jsToString is JavaScript's String(v) for any JSON value: arrays are joined with ","
// (null and undefined as ""), objects are "[object Object]".
func jsToString(v any) string {
	switch x := v.(type) {
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			if e != nil {
				parts[i] = jsToString(e)
			}
		}
		return strings.Join(parts, ",")
	case map[string]any:
		return "[object Object]"
	case jsFunction:
		return "function"
	}
	return jsString(v)
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

var pointerEscaper = strings.NewReplacer("~", "~0", "/", "~1")

// escapePointer escapes a JSON Pointer token.
func escapePointer(s string) string { return pointerEscaper.Replace(s) }

// unescapePointer is Ajv's unescapeJsonPointer: "~1" then "~0", each everywhere.
func unescapePointer(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~1", "/"), "~0", "~")
}

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

// decodeURIComponent is JavaScript's decodeURIComponent for a string whose percent
// escapes it decodes; ok is false where JavaScript throws "URI malformed".
func decodeURIComponent(s string) (string, bool) {
	if !strings.Contains(s, "%") {
		return s, true
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		if s[i] != '%' {
			b.WriteByte(s[i])
			i++
			continue
		}
		// Collect the bytes of one UTF-8 sequence.
		first, ok := hexByte(s, i)
		if !ok {
			return "", false
		}
		n := 1
		switch {
		case first < 0x80:
		case first&0xE0 == 0xC0:
			n = 2
		case first&0xF0 == 0xE0:
			n = 3
		case first&0xF8 == 0xF0:
			n = 4
		default:
			return "", false
		}
		buf := []byte{first}
		for k := 1; k < n; k++ {
			c, ok := hexByte(s, i+3*k)
			if !ok || c&0xC0 != 0x80 {
				return "", false
			}
			buf = append(buf, c)
		}
		r, size := utf8.DecodeRune(buf)
		if r == utf8.RuneError || size != n {
			return "", false
		}
		b.Write(buf)
		i += 3 * n
	}
	return b.String(), true
}

// hexByte decodes the escape "%XX" at s[i:].
func hexByte(s string, i int) (byte, bool) {
	if i+3 > len(s) || s[i] != '%' {
		return 0, false
	}
	v, err := strconv.ParseUint(s[i+1:i+3], 16, 8)
	return byte(v), err == nil
}
