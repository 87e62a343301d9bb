package dataschema

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

func TestDecodeStrict(t *testing.T) {
	many := func(n int, dupAt int) string { // an object of n properties, the last named like property dupAt
		var b strings.Builder
		b.WriteString("{")
		for i := range n {
			if i > 0 {
				b.WriteString(",")
			}
			name := i
			if i == n-1 && dupAt >= 0 {
				name = dupAt
			}
			fmt.Fprintf(&b, `"p%d":%d`, name, i)
		}
		b.WriteString("}")
		return b.String()
	}
	tests := []struct {
		name    string
		in      string
		wantErr string // substring; "" means success
	}{
		{"object", `{"a": 1, "b": [true, false, null, "s", 1.5e3, -0]}`, ""},
		{"scalar", ` "just a string" `, ""},
		{"same name in sibling objects", `[{"a": 1}, {"a": 2}, {"b": {"a": 3}, "a": 4}]`, ""},
		{"same name at different depths", `{"a": {"a": {"a": 1}}}`, ""},
		{"large object", many(100, -1), ""},
		{"strings that look like structure", `{"a": "{[\"]}\\", "b": "e999999", "c": ",:"}`, ""},

		{"empty", ``, "no JSON value"},
		{"truncated", `{"a": [1, 2`, "unexpected end"},
		{"syntax", `{"a" 1}`, "invalid JSON at offset"},
		{"trailing value", `{} []`, "after the JSON value at offset 3"},
		{"trailing garbage", "1\n\tx", "after the JSON value at offset 3"},
		{"duplicate", `{"a": 1, "b": 2, "a": 3}`, "duplicate property name at /a"},
		{"duplicate escaped", `{"a": 1, "\u0061": 2}`, "duplicate property name at /a"},
		{"duplicate both escaped", `{"\u00e9": 1, "\u00E9": 2}`, "duplicate property name at /é"},
		{"duplicate in large object", many(40, 3), "duplicate property name at /p3"},
		{"duplicate in large object, escaped", strings.TrimSuffix(many(40, -1), "}") + `, "\u0070\u0031": 0}`, "duplicate property name at /p1"},
		{"duplicate nested", `{"x": [0, {"y": {"z": 1, "z": 2}}]}`, "duplicate property name at /x/1/y/z"},
		{"duplicate after nested", `{"x": {"a": 1}, "y": 2, "x": 3}`, "duplicate property name at /x"},
		{"too deep", `{"a": [[[[1]]]]}`, "nesting deeper than 4 at /a/0/0/0"},
		{"long number", `{"n": [1, ` + strings.Repeat("9", 129) + `]}`, "number at /n/1 is longer than 128"},
		{"exponent", `{"n": 1e401}`, "number at /n has an exponent beyond ±400"},
		{"negative exponent", `[1E-1000000000000000000000]`, "number at /0 has an exponent"},
		{"pointer escaping", `{"a/b": {"c~d": 1e999}}`, "number at /a~1b/c~0d"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := decodeStrict([]byte(tt.in), 4)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("decodeStrict: %v", err)
				}
				d := json.NewDecoder(strings.NewReader(tt.in))
				d.UseNumber()
				var want any
				if err := d.Decode(&want); err != nil {
					t.Fatal(err)
				}
				if fmt.Sprint(v) != fmt.Sprint(want) {
					t.Errorf("decodeStrict = %v, want %v", v, want)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("decodeStrict: %v, want an error containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestDecodeStrictNumbers(t *testing.T) {
	v, err := decodeStrict([]byte(`[12345678901234567890123456789, 0.1, 1e400]`), 4)
	if err != nil {
		t.Fatal(err)
	}
	want := []any{json.Number("12345678901234567890123456789"), json.Number("0.1"), json.Number("1e400")}
	if fmt.Sprintf("%#v", v) != fmt.Sprintf("%#v", want) {
		t.Errorf("got %#v, want json.Number values %#v", v, want)
	}
}

func TestCheckLimitsAllocs(t *testing.T) {
	data := []byte(`{"title": "t", "author": {"name": "a", "tags": ["x", "y"]}, "n": [1, 2.5, -3e10]}`)
	if n := testing.AllocsPerRun(100, func() {
		if err := checkLimits(data, 16); err != nil {
			t.Fatal(err)
		}
	}); n > 2 {
		t.Errorf("checkLimits allocates %v times, want at most 2", n)
	}
}
