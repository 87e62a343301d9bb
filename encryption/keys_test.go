package encryption

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestMasterKeyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys", "master.json")
	m, err := LoadMasterKeys(path, "")
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v, %v; want 0600", fi.Mode().Perm(), err)
	}
	if di, _ := os.Stat(filepath.Dir(path)); di.Mode().Perm() != 0o700 {
		t.Fatalf("key directory mode %v, want 0700", di.Mode().Perm())
	}
	k := mustKey(t)
	wrapped, err := m.Wrap(tenant, k)
	if err != nil {
		t.Fatal(err)
	}
	// Reloading gives the same key.
	m2, err := LoadMasterKeys(path, "")
	if err != nil {
		t.Fatal(err)
	}
	got, err := m2.Unwrap(tenant, k.ID(), wrapped)
	if err != nil || got != k {
		t.Fatalf("unwrap after reload: %v, %v", got, err)
	}
	// A wrapped key opens only for its tenant and ID.
	if _, err := m2.Unwrap("did:example:mallory", k.ID(), wrapped); !errors.Is(err, ErrAuth) {
		t.Fatalf("unwrap for another tenant: %v", err)
	}
	if _, err := m2.Unwrap(tenant, mustKey(t).ID(), wrapped); !errors.Is(err, ErrAuth) {
		t.Fatalf("unwrap with another ID: %v", err)
	}
	// Rotation: the new key wraps, the old one still unwraps, rewrap moves keys over.
	old := m2.Active()
	id, err := m2.Rotate(path)
	if err != nil || id == old || m2.Active() != id {
		t.Fatalf("rotate: %s, %v", id, err)
	}
	m3, err := LoadMasterKeys(path, "")
	if err != nil || m3.Active() != id || len(m3.IDs()) != 2 {
		t.Fatalf("after rotation: %v, %v", m3, err)
	}
	if got, err := m3.Unwrap(tenant, k.ID(), wrapped); err != nil || got != k {
		t.Fatalf("unwrap under the old master key: %v", err)
	}
	rewrapped, err := m3.Rewrap(tenant, k.ID(), wrapped)
	if err != nil {
		t.Fatal(err)
	}
	if by, _ := WrappedBy(rewrapped); by != id {
		t.Fatalf("rewrapped by %s, want %s", by, id)
	}
	// The derived key does not change with rotation.
	d1, _ := m.DeriveKey("badger", 32)
	d3, _ := m3.DeriveKey("badger", 32)
	if !bytes.Equal(d1, d3) || len(d1) != 32 {
		t.Fatal("the derived key changed with rotation")
	}
	// A file others can read is refused, with the fix in the message.
	os.Chmod(path, 0o644)
	if _, err := LoadMasterKeys(path, ""); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("0644 key file: %v", err)
	}
}

func TestMasterKeyFromEnvironment(t *testing.T) {
	raw := random(32)
	m, err := LoadMasterKeys(filepath.Join(t.TempDir(), "unused"), base64.StdEncoding.EncodeToString(raw))
	if err != nil {
		t.Fatal(err)
	}
	k := mustKey(t)
	wrapped, _ := m.Wrap(tenant, k)
	m2, _ := LoadMasterKeys("", base64.StdEncoding.EncodeToString(raw))
	if got, err := m2.Unwrap(tenant, k.ID(), wrapped); err != nil || got != k {
		t.Fatalf("unwrap with the same environment key: %v", err)
	}
	if _, err := m.Rotate(filepath.Join(t.TempDir(), "x")); err == nil {
		t.Fatal("rotated a key from the environment")
	}
	for _, bad := range []string{"short", base64.StdEncoding.EncodeToString(raw[:16])} {
		if _, err := LoadMasterKeys("", bad); err == nil {
			t.Fatalf("accepted %q as a master key", bad)
		}
	}
}

// TestKeysAreNotPrinted checks that no key material reaches fmt or slog output.
func TestKeysAreNotPrinted(t *testing.T) {
	path := filepath.Join(t.TempDir(), "master.json")
	m, err := LoadMasterKeys(path, "")
	if err != nil {
		t.Fatal(err)
	}
	k := mustKey(t)
	var out bytes.Buffer
	fmt.Fprintf(&out, "%v %+v %#v %s %v %+v %#v %s", k, k, k, k, m, m, m, m)
	slog.New(slog.NewJSONHandler(&out, nil)).Info("keys", "tenantKey", k, "master", m)
	secrets := []string{hex.EncodeToString(k.key[:]), base64.StdEncoding.EncodeToString(k.key[:]),
		hex.EncodeToString(m.keys[0].key[:]), base64.StdEncoding.EncodeToString(m.keys[0].key[:])}
	for _, s := range secrets {
		if strings.Contains(out.String(), s) {
			t.Fatalf("key material printed: %s", out.String())
		}
	}
	if !strings.Contains(out.String(), k.ID()) {
		t.Fatalf("the key ID is not printed: %s", out.String())
	}
}
