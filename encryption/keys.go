package encryption

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// TenantKey is a tenant's data-encryption key: 32 random bytes and a random ID. Its
// String and log forms show the ID only.
type TenantKey struct {
	id  [keyIDSize]byte
	key [32]byte
}

// NewTenantKey makes a random tenant key.
func NewTenantKey() (TenantKey, error) {
	var k TenantKey
	if _, err := rand.Read(k.id[:]); err != nil {
		return k, fmt.Errorf("encryption: new tenant key: %w", err)
	}
	if _, err := rand.Read(k.key[:]); err != nil {
		return k, fmt.Errorf("encryption: new tenant key: %w", err)
	}
	return k, nil
}

// ID is the key's ID, 32 hex digits.
func (k TenantKey) ID() string { return keyIDString(k.id) }

// String implements fmt.Stringer without the key.
func (k TenantKey) String() string { return "TenantKey(" + k.ID() + ")" }

// GoString implements fmt.GoStringer without the key.
func (k TenantKey) GoString() string { return k.String() }

// LogValue implements slog.LogValuer without the key.
func (k TenantKey) LogValue() slog.Value { return slog.StringValue(k.String()) }

func keyIDString(id [keyIDSize]byte) string { return hex.EncodeToString(id[:]) }

func parseKeyID(s string) ([keyIDSize]byte, error) {
	var id [keyIDSize]byte
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != keyIDSize {
		return id, fmt.Errorf("encryption: bad key ID %q", s)
	}
	copy(id[:], b)
	return id, nil
}

// masterKey is one master key.
type masterKey struct {
	id      string
	key     [32]byte
	created time.Time
}

// MasterKeys are the server's master keys: the active one wraps new tenant keys, the
// older ones still unwrap what they wrapped. Their String and log forms show IDs only.
type MasterKeys struct {
	keys   []masterKey // oldest first
	active string
	file   bool // loaded from a file (so Rotate can persist)
}

// The file form of MasterKeys.
type masterFile struct {
	Version int             `json:"version"`
	Active  string          `json:"active"`
	Keys    []masterFileKey `json:"keys"`
}

type masterFileKey struct {
	ID      string    `json:"id"`
	Key     string    `json:"key"` // standard base64
	Created time.Time `json:"created"`
}

// masterID derives a master key's ID from the key (a hash: the ID reveals nothing).
func masterID(key []byte) string {
	h := sha256.Sum256(append([]byte("dwn-ipfs master key id\x00"), key...))
	return hex.EncodeToString(h[:8])
}

// LoadMasterKeys returns the master keys. With env non-empty (the value of an
// environment variable: the standard base64 of 32 bytes) that is the one key. Otherwise
// they are read from the file at path, which is created with a new key (mode 0600, its
// directory 0700) if it does not exist; a file others may read is refused.
func LoadMasterKeys(path, env string) (*MasterKeys, error) {
	if env != "" {
		b, err := base64.StdEncoding.DecodeString(env)
		if err != nil || len(b) != 32 {
			return nil, errors.New("encryption: the master key in the environment must be the base64 of 32 bytes (make one with: head -c 32 /dev/urandom | base64)")
		}
		k := masterKey{id: masterID(b)}
		copy(k.key[:], b)
		clear(b)
		return &MasterKeys{keys: []masterKey{k}, active: k.id}, nil
	}
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		k, err := newMasterKey()
		if err != nil {
			return nil, err
		}
		m := &MasterKeys{keys: []masterKey{k}, active: k.id, file: true}
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, fmt.Errorf("encryption: create the directory of the master key file: %w", err)
		}
		if err := m.save(path); err != nil {
			return nil, err
		}
		return m, nil
	case err != nil:
		return nil, fmt.Errorf("encryption: master key file: %w", err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("encryption: the master key file %s can be read by others (mode %04o); restrict it with: chmod 600 %s", path, fi.Mode().Perm(), path)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("encryption: master key file: %w", err)
	}
	var f masterFile
	if err := json.Unmarshal(data, &f); err != nil || f.Version != 1 || len(f.Keys) == 0 {
		return nil, fmt.Errorf("encryption: the master key file %s is not a version 1 key file", path)
	}
	m := &MasterKeys{active: f.Active, file: true}
	for _, fk := range f.Keys {
		b, err := base64.StdEncoding.DecodeString(fk.Key)
		if err != nil || len(b) != 32 || masterID(b) != fk.ID {
			return nil, fmt.Errorf("encryption: the master key file %s has a damaged key %s", path, fk.ID)
		}
		k := masterKey{id: fk.ID, created: fk.Created}
		copy(k.key[:], b)
		clear(b)
		m.keys = append(m.keys, k)
	}
	if m.find(f.Active) == nil {
		return nil, fmt.Errorf("encryption: the master key file %s names an active key it does not hold", path)
	}
	return m, nil
}

func newMasterKey() (masterKey, error) {
	var k masterKey
	if _, err := rand.Read(k.key[:]); err != nil {
		return k, fmt.Errorf("encryption: new master key: %w", err)
	}
	k.id, k.created = masterID(k.key[:]), time.Now().UTC()
	return k, nil
}

// save writes the keys to path atomically (a synced temporary file renamed over it).
func (m *MasterKeys) save(path string) error {
	f := masterFile{Version: 1, Active: m.active}
	for _, k := range m.keys {
		f.Keys = append(f.Keys, masterFileKey{ID: k.id, Key: base64.StdEncoding.EncodeToString(k.key[:]), Created: k.created})
	}
	data, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return fmt.Errorf("encryption: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".master-key-*")
	if err != nil {
		return fmt.Errorf("encryption: write the master key file: %w", err)
	}
	defer os.Remove(tmp.Name())
	err = tmp.Chmod(0o600)
	if err == nil {
		_, err = tmp.Write(append(data, '\n'))
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		return fmt.Errorf("encryption: write the master key file: %w", err)
	}
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

func (m *MasterKeys) find(id string) *masterKey {
	for i := range m.keys {
		if m.keys[i].id == id {
			return &m.keys[i]
		}
	}
	return nil
}

// Active is the ID of the key that wraps new tenant keys.
func (m *MasterKeys) Active() string { return m.active }

// IDs lists the IDs of the keys, oldest first.
func (m *MasterKeys) IDs() []string {
	ids := make([]string, len(m.keys))
	for i, k := range m.keys {
		ids[i] = k.id
	}
	return ids
}

// String implements fmt.Stringer without the keys.
func (m *MasterKeys) String() string {
	return fmt.Sprintf("MasterKeys(%d, active %s)", len(m.keys), m.active)
}

// GoString implements fmt.GoStringer without the keys.
func (m *MasterKeys) GoString() string { return m.String() }

// LogValue implements slog.LogValuer without the keys.
func (m *MasterKeys) LogValue() slog.Value { return slog.StringValue(m.String()) }

// Rotate adds a new master key, makes it the active one and writes the key file at
// path. Older keys stay, so that tenant keys they wrapped still unwrap until they are
// rewrapped (Rewrap). Keys from the environment cannot rotate: set a new one there.
func (m *MasterKeys) Rotate(path string) (string, error) {
	if !m.file {
		return "", errors.New("encryption: the master key comes from the environment; to rotate it, keep a key file instead")
	}
	k, err := newMasterKey()
	if err != nil {
		return "", err
	}
	next := &MasterKeys{keys: append(slices.Clone(m.keys), k), active: k.id, file: true}
	if err := next.save(path); err != nil {
		return "", err
	}
	m.keys, m.active = next.keys, next.active
	return k.id, nil
}

// DeriveKey derives a key of n bytes for purpose from the oldest master key with
// HKDF-SHA256. It does not change when the master key rotates (older keys are kept):
// it suits keys that cannot be re-wrapped, such as Badger's encryption-at-rest key.
func (m *MasterKeys) DeriveKey(purpose string, n int) ([]byte, error) {
	k, err := hkdf.Key(sha256.New, m.keys[0].key[:], nil, "dwn-ipfs derived key v1\x00"+purpose, n)
	if err != nil {
		return nil, fmt.Errorf("encryption: derive key: %w", err)
	}
	return k, nil
}

// Wrapped tenant keys: version 1 | master ID length | master ID | nonce (12) |
// AES-256-GCM(master key, nonce, tenant key, wrapAD(tenant, tenant key ID)).
const wrapVersion = 1

func wrapAD(tenant string, id [keyIDSize]byte) []byte {
	b := []byte("dwn-ipfs tenant key v1\x00")
	b = append(b, tenant...)
	b = append(b, 0)
	return append(b, id[:]...)
}

func gcm(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// Wrap seals tenant's key k under the active master key. The result names that master
// key, and unwraps only for the same tenant and key ID.
func (m *MasterKeys) Wrap(tenant string, k TenantKey) ([]byte, error) {
	mk := m.find(m.active)
	aead, err := gcm(mk.key[:])
	if err != nil {
		return nil, fmt.Errorf("encryption: wrap: %w", err)
	}
	out := []byte{wrapVersion, byte(len(mk.id))}
	out = append(out, mk.id...)
	nonce := make([]byte, nonceSize)
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("encryption: wrap: %w", err)
	}
	out = append(out, nonce...)
	return aead.Seal(out, nonce, k.key[:], wrapAD(tenant, k.id)), nil
}

// ErrUnknownMasterKey reports a wrapped key sealed under a master key this server does
// not hold.
var ErrUnknownMasterKey = errors.New("encryption: wrapped under a master key this server does not have")

// Unwrap opens tenant's key with ID id from wrapped (see Wrap).
func (m *MasterKeys) Unwrap(tenant, id string, wrapped []byte) (TenantKey, error) {
	var k TenantKey
	kid, err := parseKeyID(id)
	if err != nil {
		return k, err
	}
	if len(wrapped) < 2 || wrapped[0] != wrapVersion || len(wrapped) < 2+int(wrapped[1])+nonceSize+32+tagSize {
		return k, errors.New("encryption: not a wrapped key of a known version")
	}
	mid := string(wrapped[2 : 2+wrapped[1]])
	mk := m.find(mid)
	if mk == nil {
		return k, fmt.Errorf("%w (master key %s)", ErrUnknownMasterKey, mid)
	}
	aead, err := gcm(mk.key[:])
	if err != nil {
		return k, fmt.Errorf("encryption: unwrap: %w", err)
	}
	rest := wrapped[2+wrapped[1]:]
	plain, err := aead.Open(nil, rest[:nonceSize], rest[nonceSize:], wrapAD(tenant, kid))
	if err != nil || len(plain) != 32 {
		return k, fmt.Errorf("encryption: unwrap tenant key %s: %w", id, ErrAuth)
	}
	k.id = kid
	copy(k.key[:], plain)
	clear(plain)
	return k, nil
}

// Rewrap opens a wrapped tenant key and wraps it again under the active master key.
func (m *MasterKeys) Rewrap(tenant, id string, wrapped []byte) ([]byte, error) {
	k, err := m.Unwrap(tenant, id, wrapped)
	if err != nil {
		return nil, err
	}
	return m.Wrap(tenant, k)
}

// WrappedBy returns the ID of the master key that wrapped a tenant key.
func WrappedBy(wrapped []byte) (string, error) {
	if len(wrapped) < 2 || wrapped[0] != wrapVersion || len(wrapped) < 2+int(wrapped[1]) {
		return "", errors.New("encryption: not a wrapped key of a known version")
	}
	return string(wrapped[2 : 2+wrapped[1]]), nil
}
