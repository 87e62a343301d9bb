package protocols

import (
	"strings"
	"testing"

	"github.com/dwn-ipfs/dwn-ipfs/dwn"
)

func TestValidate(t *testing.T) {
	const head = `{"protocol":"https://p.example","published":true,"types":{"a":{},"b":{"schema":"https://s.example/b"},"r":{}},"structure":`
	tests := []struct {
		name      string
		structure string
		protocol  string // replaces the protocol URL when set
		code      string // "" = valid
		detail    string // substring of the detail when set
	}{
		{name: "minimal", structure: `{"a":{}}`},
		{name: "nested with rules", structure: `{"a":{"$actions":[{"who":"anyone","can":["create","read"]}],"b":{"$actions":[{"who":"author","of":"a","can":["create","update"]},{"who":"recipient","of":"a","can":["create"]}]}}}`},
		{name: "protocol not normalized", protocol: "p.example/x/", structure: `{"a":{}}`, code: "UrlProtocolNotNormalized"},
		{name: "undeclared type", structure: `{"a":{"zz":{}}}`, code: "ProtocolsConfigureInvalidRuleSetRecordType", detail: "Rule set zz is not declared"},
		{name: "size max below min", structure: `{"a":{"$size":{"min":10,"max":5}}}`, code: "ProtocolsConfigureInvalidSize", detail: "max limit 5 less than min limit 10 at protocol path 'a'"},
		{name: "size max only", structure: `{"a":{"$size":{"max":5}}}`},
		{name: "role path missing", structure: `{"a":{"$actions":[{"role":"r","can":["create"]}]}}`, code: "ProtocolsConfigureRoleDoesNotExistAtGivenPath", detail: `Role in action {"role":"r","can":["create"]} for rule set a does not exist.`},
		{name: "role exists", structure: `{"r":{"$role":true},"a":{"$actions":[{"role":"r","can":["create"]}]}}`},
		{name: "role read without query", structure: `{"r":{"$role":true},"a":{"$actions":[{"role":"r","can":["read"]}]}}`, code: "ProtocolsConfigureRoleReadActionMissing"},
		{name: "role all reads", structure: `{"r":{"$role":true},"a":{"$actions":[{"role":"r","can":["read","query","subscribe"]}]}}`},
		{name: "anyone with of", structure: `{"a":{"$actions":[{"who":"anyone","of":"a","can":["read"]}]}}`, code: "ProtocolsConfigureInvalidActionOfNotAllowed", detail: "(a)"},
		{name: "recipient without of reads", structure: `{"a":{"$actions":[{"who":"recipient","can":["read"]}]}}`, code: "ProtocolsConfigureInvalidRecipientOfAction"},
		{name: "recipient without of co-update", structure: `{"a":{"$actions":[{"who":"recipient","can":["co-update","co-delete"]}]}}`},
		{name: "author without of", structure: `{"a":{"$actions":[{"who":"author","can":["create"]}]}}`, code: "ProtocolsConfigureInvalidActionMissingOf"},
		{name: "update without create", structure: `{"a":{"$actions":[{"who":"anyone","can":["update"]}]}}`, code: "ProtocolsConfigureInvalidActionUpdateWithoutCreate"},
		{name: "delete without create", structure: `{"a":{"$actions":[{"who":"anyone","can":["delete"]}]}}`, code: "ProtocolsConfigureInvalidActionDeleteWithoutCreate"},
		{name: "duplicate actor", structure: `{"a":{"$actions":[{"who":"anyone","can":["read"]},{"who":"anyone","can":["create"]}]}}`, code: "ProtocolsConfigureDuplicateActorInRuleSet", detail: "actor anyone of undefined"},
		{name: "duplicate role", structure: `{"r":{"$role":true},"a":{"$actions":[{"role":"r","can":["create"]},{"role":"r","can":["update","create"]}]}}`, code: "ProtocolsConfigureDuplicateRoleInRuleSet"},
		{name: "depth 10 ok", structure: nest(10)},
		{name: "depth 11", structure: nest(11), code: "ProtocolsConfigureRecordNestingDepthExceeded"},
		{name: "first error in key order wins", structure: `{"a":{"$actions":[{"who":"author","can":["create"]}]},"zz":{}}`, code: "ProtocolsConfigureInvalidActionMissingOf"},
		{name: "rules checked before children", structure: `{"a":{"zz":{},"$size":{"min":2,"max":1}}}`, code: "ProtocolsConfigureInvalidSize"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			raw := head + tc.structure + "}"
			if tc.protocol != "" {
				raw = strings.Replace(raw, "https://p.example", tc.protocol, 1)
			}
			d, err := ParseDefinition([]byte(raw))
			if err != nil {
				t.Fatal(err)
			}
			err = d.Validate()
			if tc.code == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if got := dwn.CodeOf(err); got != tc.code {
				t.Fatalf("code %q (%v), want %q", got, err, tc.code)
			}
			if dwn.KindOf(err) != dwn.Invalid {
				t.Fatalf("kind %v, want invalid (400)", dwn.KindOf(err))
			}
			if !strings.Contains(dwn.StatusOf(err).Detail, tc.detail) {
				t.Fatalf("detail %q does not contain %q", dwn.StatusOf(err).Detail, tc.detail)
			}
		})
	}
}

// nest returns a structure with a chain of n nested "a" types.
func nest(n int) string {
	return strings.Repeat(`{"a":`, n) + "{}" + strings.Repeat("}", n)
}

func TestAt(t *testing.T) {
	d, err := ParseDefinition([]byte(`{"protocol":"https://p","published":false,"types":{"a":{},"b":{}},"structure":{"a":{"$role":true,"b":{"$size":{"max":3}}}}}`))
	if err != nil {
		t.Fatal(err)
	}
	if rs := d.At("a"); rs == nil || !rs.Role {
		t.Fatalf("At(a) = %+v", rs)
	}
	if rs := d.At("a/b"); rs == nil || rs.Size == nil || !rs.Size.HasMax || rs.Size.Max != 3 {
		t.Fatalf("At(a/b) = %+v", rs)
	}
	for _, p := range []string{"b", "a/c", "a/b/c", ""} {
		if rs := d.At(p); rs != nil {
			t.Fatalf("At(%q) = %+v, want nil", p, rs)
		}
	}
}
