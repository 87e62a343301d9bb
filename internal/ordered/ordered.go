// Package ordered decodes JSON keeping the order of object keys, which encoding/json's
// maps lose and which the reference implementation's behaviour depends on (Ajv checks
// schema properties in key order; protocol definitions are validated in key order).
package ordered

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// Object is a decoded JSON object.
type Object struct {
	Keys []string       // in the order of the document
	Vals map[string]any // values: *Object, []any, string, json.Number, bool or nil
	Raw  string         // the object's text as it appears in the document
}

// Decode decodes one JSON value: objects as *Object, numbers as json.Number. With
// strict, a repeated key is an error; otherwise the last value wins, in the position of
// the first (as in JavaScript).
func Decode(doc []byte, strict bool) (any, error) {
	d := json.NewDecoder(bytes.NewReader(doc))
	d.UseNumber()
	return decode(d, doc, strict)
}

func decode(d *json.Decoder, doc []byte, strict bool) (any, error) {
	start := d.InputOffset()
	tok, err := d.Token()
	if err != nil {
		return nil, err
	}
	t, ok := tok.(json.Delim)
	if !ok {
		return tok, nil
	}
	switch t {
	case '{':
		o := &Object{Vals: map[string]any{}}
		for d.More() {
			kt, err := d.Token()
			if err != nil {
				return nil, err
			}
			k, _ := kt.(string)
			v, err := decode(d, doc, strict)
			if err != nil {
				return nil, err
			}
			if _, dup := o.Vals[k]; !dup {
				o.Keys = append(o.Keys, k)
			} else if strict {
				return nil, fmt.Errorf("duplicate key %q", k)
			}
			o.Vals[k] = v
		}
		if _, err := d.Token(); err != nil { // '}'
			return nil, err
		}
		o.Raw = strings.TrimLeft(string(doc[start:d.InputOffset()]), " \t\r\n,:")
		return o, nil
	case '[':
		list := []any{}
		for d.More() {
			v, err := decode(d, doc, strict)
			if err != nil {
				return nil, err
			}
			list = append(list, v)
		}
		_, err := d.Token() // ']'
		return list, err
	}
	return nil, fmt.Errorf("unexpected delimiter %v", t)
}

// Plain converts a decoded value into plain JSON values: objects become
// map[string]any; numbers stay json.Number.
func Plain(v any) any {
	switch x := v.(type) {
	case *Object:
		m := make(map[string]any, len(x.Keys))
		for _, k := range x.Keys {
			m[k] = Plain(x.Vals[k])
		}
		return m
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = Plain(e)
		}
		return out
	}
	return v
}
