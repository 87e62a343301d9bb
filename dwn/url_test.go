package dwn

import "testing"

func TestNormalizeURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"example.com", "http://example.com"},
		{"example.com/", "http://example.com"},
		{"example.com/path/?x#y", "http://example.com/path"},
		{"http://example.com", "http://example.com"},
		{"https://Example.COM:443/a", "https://example.com/a"},
		{"http://example.com:8080/a/", "http://example.com:8080/a"},
		{"foo:example?foo=bar", "foo:example"},
		{"did:example:alice", "did:example:alice"},
		{"https://example.com/schema", "https://example.com/schema"},
		{"https://example.com/a/../dot", "https://example.com/dot"},
		{"https://example.com/a/./b/%2E%2e/c", "https://example.com/a/c"},
		{"https://example.com/a/b/..", "https://example.com/a"},
		{"https://example.com/..", "https://example.com"},
		{"https://example.com/v1.2/x.json", "https://example.com/v1.2/x.json"},
	}
	for _, tc := range tests {
		got, ok := NormalizeURL(tc.in)
		if !ok || got != tc.want {
			t.Errorf("NormalizeURL(%q) = %q, %v; want %q", tc.in, got, ok, tc.want)
		}
	}
	if _, ok := NormalizeURL(":foo:"); ok {
		t.Error(`NormalizeURL(":foo:") succeeded, want an error`)
	}
}
