// Package schemas holds our JSON Schemas (draft 2020-12) for every DWN message and checks
// decoded messages against them, rejecting what the reference implementation,
// @tbd54566975/dwn-sdk-js 0.5.2, rejects and describing the failure the way it does.
//
// # Usage
//
// Create one Validator at start-up and share it; it is immutable and safe for concurrent
// use. Decode a message with encoding/json (UseNumber is fine, so is float64) and validate
// it under the name <Interface><Method> taken from its descriptor:
//
//	v, err := schemas.New()
//	...
//	if err := v.Validate("RecordsWrite", msg); err != nil {
//		return err // a *dwn.Error of kind dwn.Invalid: reply 400 with err.Detail()
//	}
//
// # Schemas
//
// The schemas are embedded from json/ and registered under the names the reference uses:
// the ten messages RecordsWrite, RecordsQuery, RecordsRead, RecordsSubscribe,
// RecordsDelete, ProtocolsConfigure, ProtocolsQuery, MessagesQuery, MessagesRead and
// MessagesSubscribe; RecordsWriteDataEncoded (a RecordsWrite with a required encodedData
// string, as embedded for delegated grants) and RecordsWriteUnidentified (the shape both
// build on); the permission record data PermissionGrantData, PermissionRequestData and
// PermissionRevocationData; the decoded signature payloads GenericSignaturePayload and
// RecordsWriteSignaturePayload; and the pieces Authorization, AuthorizationDelegatedGrant,
// AuthorizationOwner, GeneralJws, GeneralJwk, PublicJwk, JwkVerificationMethod,
// RecordsFilter, MessagesFilter, NumberRangeFilter, StringRangeFilter, PaginationCursor,
// ProtocolDefinition, ProtocolRuleSet, Definitions, PermissionsDefinitions and
// PermissionsScopes. Having exactly the reference's names matters: a message whose
// interface+method happens to name a helper schema (say Records+Filter) is validated
// against it, as the reference does, instead of failing with SchemaValidatorSchemaNotFound.
//
// Each document's $id is https://github.com/dwn-ipfs/dwn-ipfs/schemas/<file>; they refer
// to each other by relative $ref and nothing is ever fetched. We wrote them from the
// message structure in shared/design/dwn-protocol.md (§1.3, §2, §7.1, §9) and shaped them
// to behave like the reference, which we established by running its validators (see Test
// vectors). Highlights: every descriptor and most objects are closed with
// additionalProperties:false; RecordsWrite is closed with unevaluatedProperties:false on
// top of records-write-unidentified.json, so encodedData is refused on an incoming write
// but allowed by RecordsWriteDataEncoded; protocol, protocolPath and contextId come all
// together or not at all; parentId needs protocol; published:true needs datePublished and
// datePublished needs published:true; a records filter with datePublished needs published
// absent or true; ownerSignature needs signature; tags have 1 to 10 properties whose values
// are a string, number, boolean, or an array of 1 to 10 strings or of 1 to 10 numbers;
// ranges take gt or gte and lt or lte, never both of a pair; filters need at least one
// property. Patterns: base64url is ^[A-Za-z0-9_-]+$ (unpadded, non-empty), a timestamp is
// YYYY-MM-DDThh:mm:ss.ffffffZ with exactly six fractional digits, and a DID follows the
// W3C DID syntax including DID URL parameters, path, query and fragment.
//
// # Evaluation
//
// New compiles every schema with github.com/santhosh-tekuri/jsonschema/v6, which checks
// them against the draft 2020-12 meta-schema, resolves every $ref and compiles the
// patterns. The compiled schemas are then rearranged into an evaluator that applies the
// keywords in the order Ajv 8 (the reference's validator) does and stops at the first
// error, because the reference reports Ajv's first error and clients match on its code:
// the keywords that apply to any type ($ref, const, enum, not, anyOf, oneOf, allOf, if)
// come first, then those of numbers, strings, arrays and objects; within an object,
// required comes before additionalProperties, which comes before properties (in schema
// order) and unevaluatedProperties last; an anyOf or oneOf that fails reports its first
// branch's first error. A valid message costs no allocation, and the hot patterns
// (base64url, timestamps, DIDs, context ids, protocol paths) are matched by hand-written
// loops that the tests compare with the regular expressions. The library stays the oracle:
// the tests check that it and the evaluator agree on every vector and on tens of thousands
// of random mutations of them.
//
// Numbers may be json.Number, float64, float32 or any Go integer type. They are compared as
// the float64 JavaScript sees after JSON.parse: json.Number("1e999999999") is +Inf, just as
// in the reference, and costs no big-number arithmetic.
//
// # Errors
//
// Validate returns nil or a *dwn.Error of kind dwn.Invalid; its Detail() is what a DWN
// reply carries, in the reference's words:
//
//	SchemaValidatorSchemaNotFound: schema for <name> not found.
//	SchemaValidatorAdditionalPropertyNotAllowed: must NOT have additional properties: <path>: <property>
//	SchemaValidatorUnevaluatedPropertyNotAllowed: must NOT have unevaluated properties: <path>: <property>
//	SchemaValidatorFailure: <path>: <Ajv's message, e.g. must have required property 'recordId'>
//
// <path> is the JSON Pointer of the offending value (as Ajv's instancePath), or the schema
// name when that is the whole message. Attacker-supplied text is bounded: the schema name
// and each property name are cut to 64 bytes with non-printable runes shown as '?', and a
// path longer than 256 bytes is cut in the middle.
//
// Known differences from the reference, all in the detail text only, never in validity or
// in the code word: where an object has several offending properties Ajv names the first
// in the JSON text, which a decoded Go map no longer knows, so we name the smallest; long
// or non-printable names are bounded as above; and the DID pattern quoted by a DID failure
// is our own expression of the same syntax, so its text differs.
//
// # Test vectors
//
// testdata/cases.json holds 559 cases produced with the reference: valid messages of every
// kind built with the SDK itself (RecordsWrite.create with and without protocol, tags,
// attestation, owner signature, encryption and a delegated grant; the queries, reads,
// subscriptions and deletes; ProtocolsConfigure of all 16 definitions in
// tests/vectors/protocol-definitions plus one using every rule-set directive;
// ProtocolsQuery; Messages*; permission requests, grants and revocations; decoded
// signature payloads; JWKs), signed by did:key personas from
// TestDataGenerator.generateDidKeyPersona(), and mutations of them (extra, missing and
// mistyped properties, bad timestamps, base64url and DIDs, broken cross rules, tags and
// ranges out of bounds, encodedData on a write, unknown schema names, ...). Every instance
// was run through the reference's own validateJsonSchema (src/schema-validator.ts over its
// precompiled Ajv validators) and its answer recorded as valid, code and detail; the file
// header names the package and version. The generator was a throwaway Node script over an
// npm install of the package outside this repository. TestCases requires the same
// validity and code word for every case and the same detail except for the known
// differences above.
package schemas
