package dataschema

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// Bounds on JSON numbers, in data and in schemas. jsonschema/v6 compares numbers as
// math/big rationals parsed from their text, which costs time quadratic in the number of
// digits, and large exponents make big arithmetic (1e999999 takes tens of milliseconds);
// these bounds keep the cost of a document proportional to its size. They admit every
// float64 and every integer below 10^128.
const (
	maxNumberLen   = 128 // characters of one number literal
	maxExponentAbs = 400 // magnitude of the exponent written after e or E
)

// decodeStrict decodes one JSON value the way jsonschema/v6 expects it: with a
// json.Decoder and UseNumber, so objects are map[string]any, arrays []any and numbers
// json.Number, without loss of precision. It is stricter than encoding/json: it refuses
// anything but white space after the value, duplicate property names in an object (which
// JSON parsers resolve differently), nesting deeper than maxDepth, and numbers outside
// the bounds above. Errors are short and quote at most a bounded part of the input.
func decodeStrict(data []byte, maxDepth int) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		var se *json.SyntaxError
		switch {
		case err == io.EOF:
			return nil, errors.New("no JSON value")
		case errors.Is(err, io.ErrUnexpectedEOF):
			return nil, errors.New("unexpected end of JSON")
		case errors.As(err, &se):
			return nil, fmt.Errorf("invalid JSON at offset %d: %s", se.Offset, clip(se.Error(), maxMessage))
		}
		return nil, fmt.Errorf("invalid JSON: %s", clip(err.Error(), maxMessage))
	}
	end := int(dec.InputOffset())
	for i, c := range data[end:] {
		if !isSpace(c) {
			return nil, fmt.Errorf("unexpected data after the JSON value at offset %d", end+i)
		}
	}
	if err := checkLimits(data[:end], maxDepth); err != nil {
		return nil, err
	}
	return v, nil
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// checkLimits walks valid JSON text (encoding/json has checked the syntax) and enforces
// maxDepth, unique property names and the number bounds. It allocates only for escaped
// property names, objects of more than smallObject properties and errors.
func checkLimits(data []byte, maxDepth int) error {
	w := walker{data: data, levels: make([]level, 0, 8), keys: make([]key, 0, 32)}
	for i := 0; i < len(data); {
		switch c := data[i]; c {
		case '{', '[':
			if len(w.levels) >= maxDepth {
				return fmt.Errorf("nesting deeper than %d at %s", maxDepth, w.where())
			}
			w.levels = append(w.levels, level{array: c == '[', first: len(w.keys), wantKey: c == '{'})
			i++
		case '}', ']':
			top := &w.levels[len(w.levels)-1]
			w.keys = w.keys[:top.first]
			w.levels = w.levels[:len(w.levels)-1]
			i++
		case ',':
			top := &w.levels[len(w.levels)-1]
			if top.array {
				top.index++
			} else {
				top.wantKey = true
			}
			i++
		case '"':
			j, escaped := stringEnd(data, i)
			if n := len(w.levels); n > 0 && w.levels[n-1].wantKey {
				if err := w.addKey(key{start: i, end: j, escaped: escaped}); err != nil {
					return err
				}
			}
			i = j
		case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
			j := i + 1
			for j < len(data) && isNumberByte(data[j]) {
				j++
			}
			if err := checkNumber(data[i:j]); err != nil {
				return fmt.Errorf("number at %s %s", w.where(), err)
			}
			i = j
		default: // white space, ':', and the letters of true, false and null
			i++
		}
	}
	return nil
}

// smallObject is the number of properties up to which duplicates are found by comparing
// each name with those before it; larger objects use a map.
const smallObject = 16

type walker struct {
	data   []byte
	levels []level
	keys   []key // property names of the open objects, innermost last
}

// level is one open array or object.
type level struct {
	array   bool
	index   int                 // array: index of the current element
	first   int                 // object: index in walker.keys of its first property name
	wantKey bool                // object: the next string is a property name
	seen    map[string]struct{} // object: names, once it has more than smallObject
}

// key is a property name: the quoted string at data[start:end].
type key struct {
	start, end int
	escaped    bool   // it has a backslash escape
	name       string // the decoded name, set if escaped
}

func (w *walker) addKey(k key) error {
	top := &w.levels[len(w.levels)-1]
	top.wantKey = false
	if k.escaped {
		var name string
		if err := json.Unmarshal(w.data[k.start:k.end], &name); err != nil { // unreachable: valid JSON
			return fmt.Errorf("invalid property name at offset %d", k.start)
		}
		k.name = name
	}
	siblings := w.keys[top.first:]
	dup := false
	switch {
	case top.seen != nil:
		name := w.name(k)
		_, dup = top.seen[name]
		top.seen[name] = struct{}{}
	case len(siblings) < smallObject:
		for _, s := range siblings {
			if w.equal(s, k) {
				dup = true
				break
			}
		}
	default:
		top.seen = make(map[string]struct{}, 2*len(siblings))
		for _, s := range siblings {
			top.seen[w.name(s)] = struct{}{}
		}
		name := w.name(k)
		_, dup = top.seen[name]
		top.seen[name] = struct{}{}
	}
	w.keys = append(w.keys, k)
	if dup {
		return fmt.Errorf("duplicate property name at %s", w.where())
	}
	return nil
}

// name returns the decoded property name.
func (w *walker) name(k key) string {
	if k.escaped {
		return k.name
	}
	return string(w.data[k.start+1 : k.end-1])
}

func (w *walker) equal(a, b key) bool {
	switch {
	case !a.escaped && !b.escaped:
		return bytes.Equal(w.data[a.start+1:a.end-1], w.data[b.start+1:b.end-1])
	case a.escaped && b.escaped:
		return a.name == b.name
	case a.escaped:
		return a.name == string(w.data[b.start+1:b.end-1])
	default:
		return b.name == string(w.data[a.start+1:a.end-1])
	}
}

// where renders the walker's position as a bounded JSON Pointer, or "(root)".
func (w *walker) where() string {
	toks := make([]string, 0, len(w.levels))
	for li, l := range w.levels {
		if l.array {
			toks = append(toks, strconv.Itoa(l.index))
			continue
		}
		// The object's names are w.keys[l.first:end], end being where the next level's
		// begin; the walker is in the value of the last one unless it wants a name.
		end := len(w.keys)
		if li+1 < len(w.levels) {
			end = w.levels[li+1].first
		}
		if !l.wantKey && end > l.first {
			toks = append(toks, w.name(w.keys[end-1]))
		}
	}
	return displayPointer(pointer(toks))
}

// stringEnd returns the index just after the string that starts with the quote at i, and
// whether it has escapes.
func stringEnd(data []byte, i int) (int, bool) {
	escaped := false
	for j := i + 1; j < len(data); j++ {
		switch data[j] {
		case '\\':
			escaped = true
			j++ // skip the escaped byte; \u's hex digits need no care
		case '"':
			return j + 1, escaped
		}
	}
	return len(data), escaped // unreachable: valid JSON
}

func isNumberByte(c byte) bool {
	return '0' <= c && c <= '9' || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-'
}

// checkNumber enforces maxNumberLen and maxExponentAbs on a valid number literal.
func checkNumber(s []byte) error {
	if len(s) > maxNumberLen {
		return fmt.Errorf("is longer than %d characters", maxNumberLen)
	}
	i := bytes.IndexAny(s, "eE")
	if i < 0 {
		return nil
	}
	exp := 0
	for _, c := range s[i+1:] {
		if c == '+' || c == '-' {
			continue
		}
		exp = exp*10 + int(c-'0')
		if exp > maxExponentAbs {
			return fmt.Errorf("has an exponent beyond ±%d", maxExponentAbs)
		}
	}
	return nil
}
