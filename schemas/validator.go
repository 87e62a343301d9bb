package schemas

import (
	"bytes"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/dwn-ipfs/dwn-ipfs/dwn"
	"github.com/dwn-ipfs/dwn-ipfs/internal/ordered"
)

//go:embed json/*.json
var schemaFiles embed.FS

// baseURL is the $id prefix of every embedded schema. Nothing is ever fetched from it.
const baseURL = "https://github.com/dwn-ipfs/dwn-ipfs/schemas/"

// Error codes of schema validation failures. They are the reference's DwnErrorCode values,
// and a reply's detail starts with one of them.
const (
	// CodeSchemaNotFound: no schema has the requested name (e.g. an unknown
	// interface+method pair).
	CodeSchemaNotFound = "SchemaValidatorSchemaNotFound"
	// CodeAdditionalProperty: an object has a property its schema does not declare.
	CodeAdditionalProperty = "SchemaValidatorAdditionalPropertyNotAllowed"
	// CodeUnevaluatedProperty: a RecordsWrite (or data-encoded RecordsWrite) carries a
	// top-level property no part of its schema accounts for, such as encodedData.
	CodeUnevaluatedProperty = "SchemaValidatorUnevaluatedPropertyNotAllowed"
	// CodeFailure: any other violation.
	CodeFailure = "SchemaValidatorFailure"
)

// schemaNames maps each schema name to its file in json/. The names are those the reference
// registers, so that Validate(descriptor.interface+descriptor.method) finds exactly the
// schemas the reference finds.
var schemaNames = [...]struct{ name, file string }{
	{"Authorization", "authorization.json"},
	{"AuthorizationDelegatedGrant", "authorization-delegated-grant.json"},
	{"AuthorizationOwner", "authorization-owner.json"},
	{"Definitions", "definitions.json"},
	{"GeneralJwk", "general-jwk.json"},
	{"GeneralJws", "general-jws.json"},
	{"GenericSignaturePayload", "generic-signature-payload.json"},
	{"JwkVerificationMethod", "jwk-verification-method.json"},
	{"MessagesFilter", "messages-filter.json"},
	{"MessagesQuery", "messages-query.json"},
	{"MessagesRead", "messages-read.json"},
	{"MessagesSubscribe", "messages-subscribe.json"},
	{"NumberRangeFilter", "number-range-filter.json"},
	{"PaginationCursor", "pagination-cursor.json"},
	{"PermissionGrantData", "permission-grant-data.json"},
	{"PermissionRequestData", "permission-request-data.json"},
	{"PermissionRevocationData", "permission-revocation-data.json"},
	{"PermissionsDefinitions", "permissions-definitions.json"},
	{"PermissionsScopes", "permissions-scopes.json"},
	{"ProtocolDefinition", "protocol-definition.json"},
	{"ProtocolRuleSet", "protocol-rule-set.json"},
	{"ProtocolsConfigure", "protocols-configure.json"},
	{"ProtocolsQuery", "protocols-query.json"},
	{"PublicJwk", "public-jwk.json"},
	{"RecordsDelete", "records-delete.json"},
	{"RecordsFilter", "records-filter.json"},
	{"RecordsQuery", "records-query.json"},
	{"RecordsRead", "records-read.json"},
	{"RecordsSubscribe", "records-subscribe.json"},
	{"RecordsWrite", "records-write.json"},
	{"RecordsWriteDataEncoded", "records-write-data-encoded.json"},
	{"RecordsWriteSignaturePayload", "records-write-signature-payload.json"},
	{"RecordsWriteUnidentified", "records-write-unidentified.json"},
	{"StringRangeFilter", "string-range-filter.json"},
}

// Validator validates decoded JSON against the DWN message schemas. It is immutable after
// New and safe for concurrent use.
type Validator struct {
	roots map[string]*node
	lib   map[string]*jsonschema.Schema // the library's compiled schemas, kept for tests
}

// New compiles every embedded schema. It fails only if the embedded schemas are broken,
// which tests rule out; callers create one Validator at start-up and share it.
func New() (*Validator, error) {
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.UseLoader(refuseLoader{})
	raw := map[string]*ordered.Object{}
	entries, err := fs.ReadDir(schemaFiles, "json")
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		data, err := fs.ReadFile(schemaFiles, path.Join("json", e.Name()))
		if err != nil {
			return nil, err
		}
		u := baseURL + e.Name()
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
		if err != nil {
			return nil, fmt.Errorf("schemas: %s: %w", e.Name(), err)
		}
		if id, _ := doc.(map[string]any)["$id"].(string); id != u {
			return nil, fmt.Errorf("schemas: %s: $id is %q, want %q", e.Name(), id, u)
		}
		if err := c.AddResource(u, doc); err != nil {
			return nil, fmt.Errorf("schemas: %s: %w", e.Name(), err)
		}
		ordDoc, err := ordered.Decode(data, true)
		if err != nil {
			return nil, fmt.Errorf("schemas: %s: %w", e.Name(), err)
		}
		indexRaw(raw, u, nil, ordDoc)
	}
	v := &Validator{roots: map[string]*node{}, lib: map[string]*jsonschema.Schema{}}
	conv := &converter{raw: raw, nodes: map[*jsonschema.Schema]*node{}}
	for _, sn := range schemaNames {
		s, err := c.Compile(baseURL + sn.file)
		if err != nil {
			return nil, fmt.Errorf("schemas: %s: %w", sn.name, err)
		}
		n, err := conv.convert(s)
		if err != nil {
			return nil, fmt.Errorf("schemas: %s: %w", sn.name, err)
		}
		v.roots[sn.name] = n
		v.lib[sn.name] = s
	}
	return v, nil
}

// Has reports whether a schema of that name exists.
func (v *Validator) Has(name string) bool {
	_, ok := v.roots[name]
	return ok
}

// Names returns the names of all schemas, sorted.
func (v *Validator) Names() []string {
	names := make([]string, 0, len(v.roots))
	for n := range v.roots {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Validate checks instance, a value decoded from JSON (map[string]any, []any, string, bool,
// nil, and json.Number or float64 for numbers), against the schema called name. It returns
// nil if the instance is valid and otherwise a *dwn.Error of kind dwn.Invalid whose Code is
// one of the Code constants and whose Message describes the first violation the way the
// reference does (see the package documentation). Validate never modifies instance.
func (v *Validator) Validate(name string, instance any) error {
	n, ok := v.roots[name]
	if !ok {
		return dwn.Errorf(dwn.Invalid, CodeSchemaNotFound, "schema for %s not found.", bounded(name))
	}
	f := n.eval(instance, false)
	if f == nil {
		return nil
	}
	f = n.eval(instance, true)
	if f == nil || f == invalid { // unreachable: eval is deterministic
		return dwn.Errorf(dwn.Invalid, CodeFailure, "%s: is invalid", bounded(name))
	}
	where := instancePath(f.rpath)
	if where == "" {
		where = bounded(name)
	}
	switch f.keyword {
	case "additionalProperties":
		return dwn.Errorf(dwn.Invalid, CodeAdditionalProperty, "%s: %s: %s", f.msg, where, bounded(f.prop))
	case "unevaluatedProperties":
		return dwn.Errorf(dwn.Invalid, CodeUnevaluatedProperty, "%s: %s: %s", f.msg, where, bounded(f.prop))
	}
	return dwn.Errorf(dwn.Invalid, CodeFailure, "%s: %s", where, f.msg)
}

// maxToken and maxPath bound what of the instance can reach an error message: property
// names and the schema name are cut to maxToken bytes, a whole path to maxPath bytes.
const (
	maxToken = 64
	maxPath  = 256
)

// bounded makes attacker-supplied text safe to show: at most maxToken bytes, cut on a rune
// boundary and marked with "…", with control and other non-printable runes replaced by '?'.
func bounded(s string) string {
	clean := true
	for _, r := range s {
		if r == utf8.RuneError || !unicode.IsPrint(r) {
			clean = false
			break
		}
	}
	if clean && len(s) <= maxToken {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if r == utf8.RuneError || !unicode.IsPrint(r) {
			r = '?'
		}
		if b.Len()+utf8.RuneLen(r) > maxToken {
			b.WriteString("…")
			break
		}
		b.WriteRune(r)
	}
	return b.String()
}

// instancePath renders reversed path tokens as a JSON Pointer, like Ajv's instancePath,
// with every token bounded and the whole cut in the middle beyond maxPath bytes.
func instancePath(rpath []string) string {
	if len(rpath) == 0 {
		return ""
	}
	var b strings.Builder
	for i := len(rpath) - 1; i >= 0; i-- {
		tok := strings.ReplaceAll(rpath[i], "~", "~0")
		tok = strings.ReplaceAll(tok, "/", "~1")
		b.WriteByte('/')
		b.WriteString(bounded(tok))
	}
	p := b.String()
	if len(p) <= maxPath {
		return p
	}
	head, tail := p[:maxPath/2], p[len(p)-maxPath/2:]
	for !utf8.ValidString(head) {
		head = head[:len(head)-1]
	}
	for !utf8.ValidString(tail) {
		tail = tail[1:]
	}
	return head + "…" + tail
}
