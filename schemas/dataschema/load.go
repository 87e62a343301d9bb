package dataschema

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/dwn-ipfs/dwn-ipfs/dwn"
)

// LoadDir loads the operator schemas: every regular file (or symbolic link to one) named
// *.json directly in dir, not in its subdirectories, skipping names that start with a
// dot. Each file must hold one schema, no larger than Options.MaxSchemaBytes, with an
// absolute $id ("id" in draft-04) that no other file has; that $id is the URI records
// name it by. $ref between the files resolves by their $id. Every file must compile; a
// $ref to anything that is not one of the files (or a fragment of one) is an error, as
// nothing is ever fetched.
//
// On success the loaded schemas replace those of any earlier LoadDir, compiled tenant
// schemas are dropped (they may refer to directory schemas), and n is the number of
// schemas. On error nothing changes, and the error names the file (both files for a
// duplicate $id).
func (r *Registry) LoadDir(ctx context.Context, dir string) (n int, err error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return 0, fmt.Errorf("dataschema: loading schemas: %w", err)
	}
	c := newCompiler(nil)
	docs := map[string]any{}
	fileOf := map[string]string{} // $id -> path
	var ids []string              // in file name order
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			return 0, fmt.Errorf("dataschema: loading schemas from %s: %w", dir, err)
		}
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".json") || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		path := filepath.Join(dir, e.Name())
		doc, err := r.readSchemaFile(path)
		if err != nil {
			return 0, err
		}
		if doc == nil {
			continue // not a regular file
		}
		id, ok, err := schemaID(doc)
		switch {
		case err != nil:
			return 0, fmt.Errorf("dataschema: %s: %w", path, err)
		case !ok:
			return 0, fmt.Errorf("dataschema: %s: no $id: a directory schema needs an absolute $id, the URI records name it by", path)
		}
		if prev, dup := fileOf[id]; dup {
			return 0, fmt.Errorf("dataschema: %s and %s both have $id %s", prev, path, id)
		}
		if err := c.AddResource(id, doc); err != nil {
			return 0, fmt.Errorf("dataschema: %s: $id %s cannot be used: %w", path, id, err)
		}
		fileOf[id] = path
		docs[id] = doc
		ids = append(ids, id)
	}
	schemas := make(map[string]*jsonschema.Schema, len(ids))
	for _, id := range ids {
		if err := ctx.Err(); err != nil {
			return 0, fmt.Errorf("dataschema: loading schemas from %s: %w", dir, err)
		}
		sch, err := c.Compile(id)
		if err != nil {
			return 0, fmt.Errorf("dataschema: %s does not compile: %s", fileOf[id], compileMessage(err, false))
		}
		schemas[id] = sch
	}

	r.mu.Lock()
	defer r.mu.Unlock()
	r.dir.Store(&dirSet{schemas: schemas, docs: docs})
	r.epoch++
	r.compiled.clear()
	return len(schemas), nil
}

// readSchemaFile reads and decodes one schema file; it returns nil, nil if path is not a
// regular file.
func (r *Registry) readSchemaFile(path string) (any, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("dataschema: %w", err)
	}
	if !info.Mode().IsRegular() {
		return nil, nil
	}
	if info.Size() > int64(r.opts.MaxSchemaBytes) {
		return nil, fmt.Errorf("dataschema: %s: %d bytes is over the %d-byte schema limit (MaxSchemaBytes)",
			path, info.Size(), r.opts.MaxSchemaBytes)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("dataschema: %w", err)
	}
	if len(data) > r.opts.MaxSchemaBytes { // it grew since Stat
		return nil, fmt.Errorf("dataschema: %s: over the %d-byte schema limit (MaxSchemaBytes)", path, r.opts.MaxSchemaBytes)
	}
	doc, err := decodeStrict(data, r.opts.MaxDepth)
	if err != nil {
		return nil, fmt.Errorf("dataschema: %s: not valid JSON: %w", path, err)
	}
	return doc, nil
}

// CheckSchema checks a schema a tenant is installing under uri (the node calls it before
// accepting the schema record): it must be at most Options.MaxSchemaBytes long, one strict
// JSON value, compile (its $refs may name directory schemas by $id and its own
// fragments, nothing else), and if it has a $id, that must be uri. It returns nil or a
// *dwn.Error of code CodeSchemaTooLarge (kind dwn.TooLarge) or CodeSchemaInvalid (kind
// dwn.Invalid) whose message is short and quotes at most a bounded part of the schema.
func (r *Registry) CheckSchema(uri string, schema []byte) error {
	_, err := r.compileTenant(normalizeURI(uri), schema, r.dir.Load())
	return err
}

// compileTenant compiles a tenant schema for uri against a directory snapshot. Errors are
// *dwn.Error values as CheckSchema documents.
func (r *Registry) compileTenant(uri string, raw []byte, dir *dirSet) (*jsonschema.Schema, error) {
	if err := checkURI(uri); err != nil {
		return nil, dwn.Errorf(dwn.Invalid, CodeSchemaInvalid, "schema URI %s %s", clip(uri, maxURIText), err)
	}
	if len(raw) > r.opts.MaxSchemaBytes {
		return nil, dwn.Errorf(dwn.TooLarge, CodeSchemaTooLarge, "schema of %d bytes is over the %d-byte limit",
			len(raw), r.opts.MaxSchemaBytes)
	}
	doc, err := decodeStrict(raw, r.opts.MaxDepth)
	if err != nil {
		return nil, dwn.Errorf(dwn.Invalid, CodeSchemaInvalid, "schema is not valid JSON: %s", err)
	}
	id, ok, err := schemaID(doc)
	switch {
	case err != nil:
		return nil, dwn.Errorf(dwn.Invalid, CodeSchemaInvalid, "schema %s", err)
	case ok && id != uri:
		return nil, dwn.Errorf(dwn.Invalid, CodeSchemaInvalid, "schema $id %s is not the schema URI %s",
			clip(id, maxURIText), clip(uri, maxURIText))
	}
	c := newCompiler(dir.docs)
	if err := c.AddResource(uri, doc); err != nil {
		return nil, dwn.Errorf(dwn.Invalid, CodeSchemaInvalid, "schema URI %s cannot be used: %s",
			clip(uri, maxURIText), clip(err.Error(), maxMessage))
	}
	sch, err := c.Compile(uri)
	if err != nil {
		return nil, dwn.Errorf(dwn.Invalid, CodeSchemaInvalid, "schema does not compile: %s", compileMessage(err, true))
	}
	return sch, nil
}

// newCompiler returns a compiler for draft 2020-12 by default (a schema's $schema may
// choose draft-04, -06, -07 or 2019-09, whose meta-schemas the library embeds) that
// resolves URLs only to docs, the decoded directory schemas by $id, and refuses every
// other URL instead of reading files (the library's default) or the network.
func newCompiler(docs map[string]any) *jsonschema.Compiler {
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.UseLoader(docLoader(docs))
	return c
}

// docLoader serves decoded documents by URL and refuses all others. The documents are
// shared between compilers, which only read them.
type docLoader map[string]any

// Load implements jsonschema.URLLoader.
func (l docLoader) Load(u string) (any, error) {
	if doc, ok := l[u]; ok {
		return doc, nil
	}
	return nil, &refusedError{url: u}
}

// refusedError is the error of docLoader for a URL that is not a loaded schema.
type refusedError struct{ url string }

func (e *refusedError) Error() string {
	return "reference to " + clip(e.url, maxURIText) +
		" refused: only loaded schemas can be referenced, nothing is fetched from the network or the filesystem"
}

// compileMessage describes a compiler error briefly. If tenant is set it leaves out
// what the library reports beyond one bounded line.
func compileMessage(err error, tenant bool) string {
	var refused *refusedError
	var lue *jsonschema.LoadURLError // it has no Unwrap method
	if errors.As(err, &refused) || errors.As(err, &lue) && errors.As(lue.Err, &refused) {
		return refused.Error()
	}
	var sve *jsonschema.SchemaValidationError
	if errors.As(err, &sve) {
		var ve *jsonschema.ValidationError
		if errors.As(sve.Err, &ve) {
			leaf := pickLeaf(ve)
			_, msg := describe(leaf.ErrorKind)
			where := displayPointer(pointer(leaf.InstanceLocation))
			if u, _, _ := strings.Cut(sve.URL, "#"); !tenant && u != "" {
				where += " of " + clip(u, maxURIText)
			}
			return "invalid at " + where + ": " + msg
		}
	}
	if tenant {
		return clip(err.Error(), maxMessage)
	}
	return err.Error()
}

// schemaID returns the $id of a schema document ("id" for draft-04), normalized, and
// checks that it is an absolute URI without fragment.
func schemaID(doc any) (id string, ok bool, err error) {
	obj, isObj := doc.(map[string]any)
	if !isObj {
		return "", false, nil
	}
	v, ok := obj["$id"]
	if !ok {
		if s, _ := obj["$schema"].(string); strings.Contains(s, "json-schema.org/draft-04/") {
			v, ok = obj["id"]
		}
	}
	if !ok {
		return "", false, nil
	}
	s, isStr := v.(string)
	if !isStr {
		return "", false, errors.New("$id is not a string")
	}
	s = normalizeURI(s)
	if err := checkURI(s); err != nil {
		return "", false, fmt.Errorf("$id %s %s", clip(s, maxURIText), err)
	}
	return s, true, nil
}

// checkURI checks that a schema URI is absolute and has no fragment.
func checkURI(s string) error {
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return errors.New("is not a valid URI")
	case !u.IsAbs():
		return errors.New("is not an absolute URI")
	case u.Fragment != "":
		return errors.New("has a fragment")
	}
	return nil
}
