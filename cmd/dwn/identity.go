package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/dwn-ipfs/dwn-ipfs/did/didjwk"
	"github.com/dwn-ipfs/dwn-ipfs/did/didkey"
	"github.com/dwn-ipfs/dwn-ipfs/dwn/jwk"
	"github.com/dwn-ipfs/dwn-ipfs/dwn/jws"
)

// identity is the content of an identity file.
type identity struct {
	DID        string   `json:"did"`        // did:jwk or did:key of the key
	KID        string   `json:"kid"`        // DID URL of the signing key, the JWS kid
	PrivateJWK *jwk.JWK `json:"privateJwk"` // the private key
}

// signer returns the JWS signer of the identity.
func (id *identity) signer() jws.Signer { return jws.PrivateKeySigner{Key: id.PrivateJWK, KID: id.KID} }

const hintNewIdentity = "create one with: dwn id new"

// newIdentity generates a key on curve and the DID of the method ("jwk" or "key").
func newIdentity(method, curve string) (*identity, error) {
	var mk func(*jwk.JWK) (string, error)
	switch method {
	case "jwk":
		mk = didjwk.New
	case "key":
		mk = didkey.New
	default:
		return nil, usageError("id new", fmt.Errorf("--method %q: use jwk or key", method))
	}
	switch curve {
	case jwk.Ed25519, jwk.Secp256k1, jwk.P256:
	default:
		return nil, usageError("id new", fmt.Errorf("--curve %q: use Ed25519, secp256k1 or P-256", curve))
	}
	key, err := jwk.Generate(curve)
	if err != nil {
		return nil, err
	}
	d, err := mk(key)
	if err != nil {
		return nil, err
	}
	return &identity{DID: d, KID: kidOf(d), PrivateJWK: key}, nil
}

// kidOf returns the DID URL of the verification method of a did:jwk or did:key DID.
func kidOf(d string) string {
	if rest, ok := strings.CutPrefix(d, "did:key:"); ok {
		return d + "#" + rest
	}
	return d + "#0"
}

// check reports whether the identity is consistent: a private key whose DID is DID.
func (id *identity) check() error {
	if id.PrivateJWK == nil || !id.PrivateJWK.IsPrivate() {
		return errors.New("it has no privateJwk with a private key")
	}
	if err := id.PrivateJWK.Validate(); err != nil {
		return fmt.Errorf("its privateJwk is invalid: %v", err)
	}
	var want string
	var err error
	switch {
	case strings.HasPrefix(id.DID, "did:jwk:"):
		want, err = didjwk.New(id.PrivateJWK)
	case strings.HasPrefix(id.DID, "did:key:"):
		want, err = didkey.New(id.PrivateJWK)
	default:
		return fmt.Errorf("its did %q is neither did:jwk nor did:key", id.DID)
	}
	if err != nil {
		return err
	}
	if want != id.DID {
		return errors.New("its did does not belong to its privateJwk")
	}
	if !strings.HasPrefix(id.KID, id.DID+"#") {
		return errors.New("its kid is not a DID URL of its did")
	}
	return nil
}

// identityPath returns the identity file to use: flagValue, else $DWN_IDENTITY, else
// $HOME/.dwn/identity.json.
func identityPath(e *env, flagValue string) (string, error) {
	if flagValue != "" {
		return flagValue, nil
	}
	if p := e.getenv("DWN_IDENTITY"); p != "" {
		return p, nil
	}
	home := e.getenv("HOME")
	if home == "" {
		return "", withHint(errors.New("cannot find the identity file: $HOME is not set"),
			"pass --identity FILE or set DWN_IDENTITY")
	}
	return filepath.Join(home, ".dwn", "identity.json"), nil
}

// loadIdentity reads and checks the identity file at path. It warns on e.stderr when the
// file is readable by others.
func loadIdentity(e *env, path string) (*identity, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, withHint(fmt.Errorf("no identity at %s", path), hintNewIdentity,
			"or use an existing one with --identity FILE or DWN_IDENTITY=FILE")
	}
	if err != nil {
		return nil, withHint(fmt.Errorf("read identity: %w", err), "check the permissions of "+path)
	}
	var id identity
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&id); err != nil {
		return nil, withHint(fmt.Errorf("identity file %s is not valid JSON: %v", path, err),
			"create a new identity with: dwn id new --force (this replaces the old key)")
	}
	if err := id.check(); err != nil {
		return nil, withHint(fmt.Errorf("identity file %s is invalid: %v", path, err),
			"create a new identity with: dwn id new --force (this replaces the old key)")
	}
	if st, err := os.Stat(path); err == nil && st.Mode().Perm()&0o077 != 0 {
		fmt.Fprintf(e.stderr, "warning: identity file %s is readable by others (mode %v); fix with: chmod 600 %s\n",
			path, st.Mode().Perm(), path)
	}
	return &id, nil
}

// saveIdentity writes id to path with mode 0600, creating the directory with mode 0700.
// Without force it never replaces an existing file.
func saveIdentity(path string, id *identity, force bool) error {
	b, err := json.MarshalIndent(id, "", "  ")
	if err != nil {
		return err
	}
	b = append(b, '\n')
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	if !force {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, fs.ErrExist) {
			return withHint(fmt.Errorf("%s already exists", path),
				"show its DID with: dwn id show --identity "+path,
				"replace it (its key is lost) with: dwn id new --force --out "+path,
				"or write a new identity elsewhere with: dwn id new --out FILE")
		}
		if err != nil {
			return err
		}
		if _, err := f.Write(b); err != nil {
			f.Close()
			os.Remove(path)
			return err
		}
		return f.Close()
	}
	// Replace atomically, so that a failure leaves the old identity in place.
	f, err := os.CreateTemp(dir, ".identity-*.tmp")
	if err != nil {
		return err
	}
	tmp := f.Name()
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}

func cmdID(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 {
		return usageErrorf("id needs a subcommand: new or show")
	}
	switch args[0] {
	case "new":
		return cmdIDNew(e, args[1:])
	case "show":
		return cmdIDShow(e, args[1:])
	case "-h", "-help", "--help":
		fmt.Fprintln(e.stdout, "usage: dwn id new [flags]   create an identity")
		fmt.Fprintln(e.stdout, "       dwn id show [flags]  print the DID of the identity in use")
		fmt.Fprintln(e.stdout, "\nRun 'dwn id new -h' or 'dwn id show -h' for their flags.")
		return nil
	}
	return usageErrorf("unknown id subcommand %q: use new or show", args[0])
}

func cmdIDNew(e *env, args []string) error {
	fs := newFlagSet(e, "id new", "[--method jwk|key] [--curve Ed25519|secp256k1|P-256] [--out FILE] [--force]",
		"Creates a key pair and its DID and writes them to an identity file (mode 0600).")
	method := fs.String("method", "jwk", "DID method: jwk or key")
	curve := fs.String("curve", jwk.Ed25519, "key curve: Ed25519, secp256k1 or P-256")
	out := fs.String("out", "", "identity file to write (default $DWN_IDENTITY, else ~/.dwn/identity.json)")
	force := fs.Bool("force", false, "replace an existing identity file (its key is lost)")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageError("id new", fmt.Errorf("unexpected argument %q", pos[0]))
	}
	path, err := identityPath(e, *out)
	if err != nil {
		return err
	}
	id, err := newIdentity(*method, *curve)
	if err != nil {
		return err
	}
	if err := saveIdentity(path, id, *force); err != nil {
		return err
	}
	w := e.stdout
	fmt.Fprintln(w, id.DID)
	fmt.Fprintf(w, "\nIdentity written to %s (keep it private: it holds your private key).\n", path)
	fmt.Fprintln(w, "Next steps:")
	if *out != "" && *out != e.getenv("DWN_IDENTITY") {
		fmt.Fprintf(w, "  use this identity:  export DWN_IDENTITY=%s   (or pass --identity %s)\n", path, path)
	}
	fmt.Fprintln(w, "  start a DWN:        go run ./cmd/dwnd")
	fmt.Fprintln(w, "  write a record:     dwn write --schema https://example.com/note FILE")
	fmt.Fprintln(w, "  list your records:  dwn query")
	return nil
}

func cmdIDShow(e *env, args []string) error {
	fs := newFlagSet(e, "id show", "[--identity FILE]", "Prints the DID of the identity in use.")
	file := fs.String("identity", "", "identity file (default $DWN_IDENTITY, else ~/.dwn/identity.json)")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageError("id show", fmt.Errorf("unexpected argument %q", pos[0]))
	}
	path, err := identityPath(e, *file)
	if err != nil {
		return err
	}
	id, err := loadIdentity(e, path)
	if err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, id.DID)
	return nil
}
