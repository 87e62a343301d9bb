package ordered

import (
	"encoding/json"
	"reflect"
	"testing"
)

func TestDecode(t *testing.T) {
	tests := []struct {
		doc    string
		strict bool
		keys   []string
		raw    string
		err    bool
	}{
		{doc: `{"b":1,"a":{"z":true,"y":null},"c":[1,"x"]}`, keys: []string{"b", "a", "c"}, raw: `{"b":1,"a":{"z":true,"y":null},"c":[1,"x"]}`},
		{doc: ` { "b" : 1 , "a" : 2 } `, keys: []string{"b", "a"}, raw: `{ "b" : 1 , "a" : 2 }`},
		{doc: `{"a":1,"b":2,"a":3}`, keys: []string{"a", "b"}, raw: `{"a":1,"b":2,"a":3}`},
		{doc: `{"a":1,"b":2,"a":3}`, strict: true, err: true},
		{doc: `{"a":`, err: true},
	}
	for _, tc := range tests {
		v, err := Decode([]byte(tc.doc), tc.strict)
		if tc.err {
			if err == nil {
				t.Errorf("%s: accepted", tc.doc)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", tc.doc, err)
		}
		o := v.(*Object)
		if !reflect.DeepEqual(o.Keys, tc.keys) || o.Raw != tc.raw {
			t.Errorf("%s: keys %v raw %q", tc.doc, o.Keys, o.Raw)
		}
	}
	v, _ := Decode([]byte(`{"a":1,"b":2,"a":3}`), false)
	if got := v.(*Object).Vals["a"]; got != json.Number("3") {
		t.Errorf("last duplicate should win, got %v", got)
	}
	inner, _ := Decode([]byte(`{"x":{"k":[{"n":1}]}}`), false)
	if raw := inner.(*Object).Vals["x"].(*Object).Raw; raw != `{"k":[{"n":1}]}` {
		t.Errorf("nested raw %q", raw)
	}
	want := map[string]any{"x": map[string]any{"k": []any{map[string]any{"n": json.Number("1")}}}}
	if got := Plain(inner); !reflect.DeepEqual(got, want) {
		t.Errorf("Plain = %#v", got)
	}
}
