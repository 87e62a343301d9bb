package did_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/dwn-ipfs/dwn-ipfs/did"
	"github.com/dwn-ipfs/dwn-ipfs/did/didjwk"
	"github.com/dwn-ipfs/dwn-ipfs/did/didkey"
	"github.com/dwn-ipfs/dwn-ipfs/dwn"
)

func TestMethod(t *testing.T) {
	tests := []struct {
		in, method string // method "" means invalid
	}{
		{"did:jwk:eyJjcnYiOiJFZDI1NTE5In0", "jwk"},
		{"did:key:z6MkvDqGT54cXesYGvABpF1UapVNwjCqRcafi4Px6Thv5T3Z", "key"},
		{"did:web:example.com:user:alice", "web"},
		{"did:web:example.com%3A8080", "web"},
		{"did:web:a::b", "web"},
		{"did:a1:b.c-d_e", "a1"},
		{"did:example:" + strings.Repeat("a", did.MaxLength-len("did:example:")), "example"},
		{"did:example:" + strings.Repeat("a", did.MaxLength), ""},
		{"", ""},
		{"did", ""},
		{"did:", ""},
		{"did:jwk", ""},
		{"did:jwk:", ""},
		{"did::abc", ""},
		{"DID:jwk:abc", ""},
		{"did:JWK:abc", ""},
		{"did:j-k:abc", ""},
		{"did:jwk:abc#0", ""},
		{"did:jwk:abc/path", ""},
		{"did:jwk:abc?query", ""},
		{"did:jwk:abc:", ""},
		{"did:jwk:abc=", ""},
		{"did:jwk:a b", ""},
		{"did:jwk:\u00e9", ""},
		{"did:jwk:%zz", ""},
		{"did:jwk:%4", ""},
		{"did:jwk:abc%4", ""},
		{" did:jwk:abc", ""},
	}
	for _, tt := range tests {
		m, err := did.Method(tt.in)
		if tt.method == "" {
			if err == nil || dwn.KindOf(err) != dwn.Invalid || dwn.CodeOf(err) != did.CodeInvalidDID {
				t.Errorf("Method(%.40q) = %q, %v; want an Invalid %s error", tt.in, m, err, did.CodeInvalidDID)
			}
			continue
		}
		if err != nil || m != tt.method {
			t.Errorf("Method(%.40q) = %q, %v; want %q", tt.in, m, err, tt.method)
		}
	}
}

// fake is a Resolver that records the DIDs it was asked for.
type fake struct{ asked []string }

func (f *fake) Resolve(_ context.Context, id string) (*did.Document, error) {
	f.asked = append(f.asked, id)
	return &did.Document{ID: id}, nil
}

func TestMethods(t *testing.T) {
	jwk, key := &fake{}, &fake{}
	m := did.Methods{"jwk": jwk, "key": key, "nil": nil}
	if got := m.Names(); fmt.Sprint(got) != "[jwk key]" {
		t.Fatalf("Names = %v", got)
	}
	ctx := context.Background()
	doc, err := m.Resolve(ctx, "did:key:z6Mk")
	if err != nil || doc.ID != "did:key:z6Mk" || len(key.asked) != 1 || len(jwk.asked) != 0 {
		t.Fatalf("Resolve(did:key) = %v, %v; asked jwk=%v key=%v", doc, err, jwk.asked, key.asked)
	}
	tests := []struct {
		in   string
		kind dwn.Kind
		code string
	}{
		{"did:web:example.com", dwn.Unauthorized, did.CodeMethodNotSupported},
		{"did:nil:abc", dwn.Unauthorized, did.CodeMethodNotSupported},
		{"did:jwk:abc#0", dwn.Invalid, did.CodeInvalidDID},
		{"not a did", dwn.Invalid, did.CodeInvalidDID},
	}
	for _, tt := range tests {
		_, err := m.Resolve(ctx, tt.in)
		if !errors.Is(err, &dwn.Error{Kind: tt.kind, Code: tt.code}) {
			t.Errorf("Resolve(%q) = %v, want %v %s", tt.in, err, tt.kind, tt.code)
		}
	}
	_, err = m.Resolve(ctx, "did:web:example.com")
	if !strings.Contains(err.Error(), "supported methods: jwk, key") || strings.Contains(err.Error(), "example.com") {
		t.Errorf("unsupported-method error %q should list the methods and not quote the DID", err)
	}
	_, err = did.Methods{}.Resolve(ctx, "did:web:example.com")
	if !strings.Contains(err.Error(), "supported methods: none") {
		t.Errorf("empty Methods error = %q", err)
	}
}

func ExampleMethods() {
	r := did.Methods{didjwk.Method: didjwk.Resolver{}, didkey.Method: didkey.Resolver{}}
	doc, err := r.Resolve(context.Background(), "did:key:z6MkvDqGT54cXesYGvABpF1UapVNwjCqRcafi4Px6Thv5T3Z")
	if err != nil {
		fmt.Println(err)
		return
	}
	vm := doc.VerificationMethod[0]
	fmt.Println(vm.Type, vm.PublicKeyJwk.Crv, vm.PublicKeyJwk.X)
	_, err = r.Resolve(context.Background(), "did:web:example.com")
	fmt.Println(dwn.StatusOf(err).Code, err)
	// Output:
	// JsonWebKey2020 Ed25519 6kpsY-KcUgq-9VB7Ey7F-ZVHdq6-vnuSQh7qaRRG0iw
	// 401 DidMethodNotSupported: DID method not supported; supported methods: jwk, key
}
