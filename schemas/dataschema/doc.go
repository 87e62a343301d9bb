// Package dataschema validates the data of records against JSON Schemas, an addition of
// ours beyond the reference DWN, off unless configured: a RecordsWrite whose schema URI
// names a known JSON Schema and whose dataFormat is application/json has its data
// validated before it is accepted, and a violation is a 400 reply whose detail carries
// the JSON Pointer of the offending value.
//
// # Usage
//
// Create one Registry at start-up, load the operator's directory, and share it; it is safe
// for concurrent use:
//
//	reg := dataschema.New(dataschema.Options{Source: tenantSchemas})
//	if _, err := reg.LoadDir(ctx, cfg.DataSchemaDir); err != nil {
//		return err // names the offending file
//	}
//
// On a RecordsWrite with a schema and dataFormat application/json (the caller checks
// the format; Validate assumes JSON):
//
//	known, err := reg.Known(ctx, tenant, schemaURI) // buffer the data only if known
//	...
//	if err := reg.Validate(ctx, tenant, schemaURI, data); err != nil {
//		return err // dwn.StatusOf(err): 400 "DataSchemaMismatch: data does not match schema ..."
//	}
//
// When a tenant writes a record of the schema protocol (installing a schema for a URI),
// call CheckSchema first and refuse the write on error; after such a record is written
// or deleted, call Invalidate(tenant, uri).
//
// # Schema URIs and precedence
//
// A schema is known by a URI, matched byte for byte with the schema property of a
// RecordsWrite, as the node has normalized it (an empty fragment, a trailing "#", is
// ignored on both sides). A URI must be absolute and have no other fragment.
//
// Directory (operator) schemas apply to every tenant; each is known by its own $id.
// Tenant schemas apply only to the tenant that installed them, under the URI it installed
// them for; a $id in a tenant schema is optional but must equal that URI. For a given
// tenant and URI, the tenant's schema takes precedence over the directory's. If neither
// exists, Validate returns nil at once without looking at the data (a map lookup, and
// a cached Source lookup when tenant schemas are enabled).
//
// # Directory schemas
//
// LoadDir reads the *.json files directly in one directory (not its subdirectories,
// and not names starting with "."), each one schema with an absolute $id. Files may
// $ref each other by $id (plus a fragment); a duplicate $id, a file without one, invalid
// JSON, a schema that does not compile or a $ref to anything not loaded is an error that
// names the file. A later LoadDir replaces the set atomically; a failed one changes
// nothing.
//
// # Tenant schemas
//
// Tenant schemas are looked up lazily through the Source the node provides, compiled on
// first use and cached: compiled ones up to Options.MaxCompiled and "this tenant has no
// schema for this URI" answers up to Options.MaxAbsent, each evicting the least recently
// used. Invalidate drops both for a (tenant, URI), including the result of a lookup in
// flight when it is called, so the next Validate sees the new record. Errors of the
// Source are returned wrapped and not cached. The cache is per process: several
// processes serving the same tenants must each be told to Invalidate.
//
// A tenant schema may $ref directory schemas by $id and its own fragments, never other
// tenant schemas; a successful LoadDir therefore drops all compiled tenant schemas. A
// tenant schema that cannot be used (it no longer compiles, say, because the directory
// schema it referred to was removed) makes writes naming it fail with CodeSchemaInvalid.
//
// # Nothing is fetched
//
// The compiler resolves references only to the loaded documents and to the meta-schemas
// of the JSON Schema drafts that jsonschema/v6 embeds. Any other URL, in a $ref or a
// $schema (http, https, file or anything else), makes compilation fail with "reference
// to <url> refused"; neither the network nor the filesystem (the library's default
// loader) is ever used.
//
// # Validation
//
// Schemas are compiled by github.com/santhosh-tekuri/jsonschema/v6 with draft 2020-12 as
// the default; a $schema naming draft-04, -06, -07 or 2019-09 selects that draft. The
// library's defaults apply: format is asserted in draft-07 and earlier and only
// annotated in 2019-09 and 2020-12 (unless a meta-schema requires it); content keywords
// are not asserted; patterns use Go's regexp syntax (RE2: no look-around or
// back-references), and a schema whose pattern does not compile is refused.
//
// Data is decoded strictly, with a json.Decoder using UseNumber as the library expects
// (numbers keep their precision): exactly one JSON value with nothing but white space
// after it, no duplicate property names in an object, at most Options.MaxDepth levels
// of nesting, and numbers of at most 128 characters whose exponent is within ±400. The
// last bound exists because the library compares numbers as math/big rationals, whose
// cost grows quickly with digits and exponents; it admits every float64. Schemas are
// decoded the same way.
//
// # Errors
//
// Validate returns a *ValidationError for a violation. jsonschema/v6 reports every
// violation as a tree; the one reported is the deepest leaf: of the errors without
// causes (and those of contains, minContains, propertyNames and contentSchema, whose
// causes are attempts, not the failure), the one whose instance location has the most
// tokens; among equally deep ones, the first by instance location compared token by
// token in byte order, then by keyword name, then by message. The rule depends only on
// the set of errors, so it is deterministic even where the library iterates over maps.
// For required, additionalProperties and dependentRequired the pointer is the object's
// and the message names the property:
//
//	data does not match schema https://schemas.example.com/post.json: /author/address/zip: does not match pattern "^[0-9]{5}$"
//	data does not match schema https://schemas.example.com/post.json: (root): missing required property "title"
//
// ValidationError wraps a *dwn.Error of kind dwn.Invalid, so dwn.StatusOf gives 400 and
// the detail "DataSchemaMismatch: <Error()>". All other errors are *dwn.Error values
// with the codes CodeInvalidData, CodeDataTooLarge (kind dwn.TooLarge), CodeSchemaInvalid
// and CodeSchemaTooLarge (kind dwn.TooLarge), except the Source's, which keep their own.
//
// Messages never quote data values and bound what they take from the input: property
// names and schema values to 64 bytes, URIs and pointers to 256 (pointers cut in the
// middle), a message to 256, with non-printable runes shown as '?'. ValidationError's
// Pointer field itself is exact and unbounded.
//
// # Limits
//
//	Options.MaxSchemaBytes  256 KiB  per schema file or tenant schema; over: LoadDir fails, CheckSchema says CodeSchemaTooLarge
//	Options.MaxDataBytes    1 MiB    data validated in memory; over, with a known schema: CodeDataTooLarge (see MaxDataBytes)
//	Options.MaxCompiled     1024     compiled tenant schemas cached
//	Options.MaxAbsent       16384    (tenant, URI) pairs cached as having no tenant schema
//	Options.MaxDepth        128      nesting of data and schemas; deeper: CodeInvalidData / CodeSchemaInvalid
//
// # Cost
//
// A typical 1 KiB document validates in tens of microseconds (BenchmarkValidate), about
// half of it decoding. The library's cost per value is high for adversarial input that
// stays within the limits: a 1 MiB array of numbers checked against minimum or
// multipleOf, or deeply nested data against a recursive schema, takes on the order of a
// second or more of CPU. Validation cannot be interrupted, so MaxDataBytes (and the
// node's limit on concurrent requests) is what bounds it. A tenant schema can also be
// made expensive on purpose (nested anyOf over recursive references); operators who do
// not trust tenants with that leave Options.Source nil.
package dataschema
