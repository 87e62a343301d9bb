package dataschema_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dwn-ipfs/dwn-ipfs/schemas/dataschema"
)

func TestLoadDir(t *testing.T) {
	r := dataschema.New(dataschema.Options{})
	n, err := r.LoadDir(context.Background(), "testdata/schemas")
	if err != nil {
		t.Fatalf("LoadDir: %v", err)
	}
	// post.json, address.json and profile.json; not README.txt, .hidden.json or
	// subdir/broken.json.
	if n != 3 {
		t.Errorf("LoadDir loaded %d schemas, want 3", n)
	}
}

func TestLoadDirErrors(t *testing.T) {
	tests := []struct {
		dir  string
		opts dataschema.Options
		// The error must contain each of these (file names, the $id, the reason).
		want []string
	}{
		{dir: "missing-id", want: []string{"a.json", "no $id"}},
		{dir: "relative-id", want: []string{"a.json", "$id a.json is not an absolute URI"}},
		{dir: "duplicate-id", want: []string{"a.json", "b.json", "https://schemas.example.com/same.json"}},
		{dir: "invalid-json", want: []string{"a.json", "not valid JSON"}},
		{dir: "trailing-data", want: []string{"a.json", "not valid JSON", "after the JSON value"}},
		{dir: "not-compile", want: []string{"a.json", "does not compile", "/properties/n/type"}},
		{dir: "bad-pattern", want: []string{"a.json", "does not compile", "regex"}},
		{dir: "remote-ref", want: []string{"a.json", "https://remote.example.net/schemas/x.json", "refused", "nothing is fetched"}},
		{dir: "unknown-ref", want: []string{"a.json", "https://schemas.example.com/b.json", "refused"}},
		{dir: "file-ref", want: []string{"a.json", "file:///etc/hostname", "refused"}},
		{dir: "too-large", opts: dataschema.Options{MaxSchemaBytes: 64}, want: []string{"big.json", "over the 64-byte"}},
		{dir: "no-such-dir", want: []string{"no-such-dir"}},
	}
	for _, tt := range tests {
		t.Run(tt.dir, func(t *testing.T) {
			r := dataschema.New(tt.opts)
			n, err := r.LoadDir(context.Background(), filepath.Join("testdata/load", tt.dir))
			if err == nil {
				t.Fatalf("LoadDir succeeded with %d schemas, want an error", n)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestLoadDirCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := dataschema.New(dataschema.Options{}).LoadDir(ctx, "testdata/schemas")
	if !errors.Is(err, context.Canceled) {
		t.Errorf("LoadDir with a canceled context: %v, want context.Canceled", err)
	}
}

// TestLoadDirReplaces checks that a successful LoadDir replaces the schemas and a failed
// one keeps them.
func TestLoadDirReplaces(t *testing.T) {
	ctx := context.Background()
	r := loaded(t, dataschema.Options{})
	if _, err := r.LoadDir(ctx, "testdata/load/duplicate-id"); err == nil {
		t.Fatal("LoadDir of duplicate-id succeeded")
	}
	if ok, _ := r.Known(ctx, "t", postURI); !ok {
		t.Error("a failed LoadDir dropped the schemas loaded before")
	}
	if n, err := r.LoadDir(ctx, "testdata/load/unknown-ref"); err == nil {
		t.Fatalf("LoadDir of unknown-ref loaded %d", n)
	}
	if n, err := r.LoadDir(ctx, "testdata/load/too-large"); err != nil || n != 1 {
		t.Fatalf("LoadDir of too-large with the default limit: %d, %v", n, err)
	}
	if ok, _ := r.Known(ctx, "t", postURI); ok {
		t.Error("a successful LoadDir kept the schemas loaded before")
	}
	if ok, _ := r.Known(ctx, "t", "https://schemas.example.com/big.json"); !ok {
		t.Error("the reloaded schema is not known")
	}
}
