#!/usr/bin/env node
// Generates the $tags test vectors of package protocols by running the reference's own
// code (@tbd54566975/dwn-sdk-js 0.5.2 and the Ajv it imports):
//
//   protocols/testdata/tags-verify.json   ProtocolAuthorization.verifyTagsIfNeeded
//   protocols/testdata/tags-schemas.json  the $tags part of
//                                         ProtocolsConfigure.validateRuleSetRecursively
//
//   cd conformance && node gen-tag-vectors.mjs
//
// Key order. Ajv reports the first error it meets, so which tag fails first depends on
// the order of object keys:
//   - at write time the reference reads the protocol definition back from its message
//     store, which is dag-cbor: the rule's keys come back sorted by length, then
//     bytewise (and JavaScript moves integer-like keys to the front). The generator
//     round-trips every rule through dag-cbor the same way before verifying.
//   - the record's tags and, at configure time, the $tags value keep the order the
//     client sent. The Go API takes maps, so the generator puts those keys in the
//     order the Go code uses: integer-like keys ascending, then the others bytewise.
//
// Each vector also records whether it is reachable through the public API: whether the
// reference's rule-set JSON Schema and configure check accept the rule (or the $tags
// value), and whether the RecordsWrite JSON Schema accepts the tags.

import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import * as cbor from '@ipld/dag-cbor';
import Ajv from 'ajv/dist/2020.js';
import { ProtocolsConfigure } from '@tbd54566975/dwn-sdk-js';

import { ProtocolAuthorization } from './node_modules/@tbd54566975/dwn-sdk-js/dist/esm/src/core/protocol-authorization.js';
import { validateJsonSchema } from './node_modules/@tbd54566975/dwn-sdk-js/dist/esm/src/schema-validator.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const OUT = path.join(HERE, '..', 'protocols', 'testdata');
const sdkVersion = JSON.parse(readFileSync(path.join(HERE, 'node_modules/@tbd54566975/dwn-sdk-js/package.json'))).version;
const ajvVersion = JSON.parse(readFileSync(path.join(HERE, 'node_modules/ajv/package.json'))).version;
const REFERENCE = `@tbd54566975/dwn-sdk-js@${sdkVersion}`;

// j parses JSON text; used where a case needs an own "__proto__" key, which an object
// literal would turn into a prototype.
const j = (s) => JSON.parse(s);

// ---------------------------------------------------------------------------
// key orders

const isIndex = (k) => /^(0|[1-9][0-9]*)$/.test(k) && Number(k) <= 4294967294;
const byBytes = (a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b));

// canonical rebuilds every object with its keys in the Go code's order for client-sent
// JSON: integer-like keys ascending (JavaScript does that anyway), then bytewise.
function canonical(v) {
  if (Array.isArray(v)) return v.map(canonical);
  if (v === null || typeof v !== 'object') return v;
  const keys = Object.keys(v).sort(byBytes);
  return Object.fromEntries(keys.map((k) => [k, canonical(v[k])]));
}

// cborOrder rebuilds every object with its keys in dag-cbor order (length first, then
// bytewise), as the reference's message store returns them.
function cborOrder(v) {
  if (Array.isArray(v)) return v.map(cborOrder);
  if (v === null || typeof v !== 'object') return v;
  const keys = Object.keys(v).sort((a, b) => (a.length - b.length) || byBytes(a, b));
  return Object.fromEntries(keys.map((k) => [k, cborOrder(v[k])]));
}

// storeRoundTrip is what the reference's message store does to a stored definition.
// It throws for keys that are Object.prototype members ("constructor", "__proto__", …):
// cborg rejects them as repeated keys.
function storeRoundTrip(v) {
  return cbor.decode(cbor.encode(v));
}

// ---------------------------------------------------------------------------
// reachability

// The tags part of the reference's records-write-unidentified.json, copied from its
// precompiled validators.
const recordsWriteTags = {
  type: 'object', minProperties: 1, maxProperties: 10,
  additionalProperties: {
    oneOf: [
      { type: 'string' }, { type: 'number' }, { type: 'boolean' },
      { type: 'array', minItems: 1, maxItems: 10, items: { type: 'string' } },
      { type: 'array', minItems: 1, maxItems: 10, items: { type: 'number' } },
    ],
  },
};
const tagsShapeOK = new Ajv.default().compile(recordsWriteTags);

function outcome(fn) {
  try {
    fn();
    return { ok: true };
  } catch (e) {
    return { ok: false, detail: e.message, code: e.code ?? '' };
  }
}

// ruleSetAccepts reports whether ProtocolsConfigure would accept a rule set whose only
// directive is $tags: the reference's rule-set JSON Schema, then its configure checks.
function ruleSetAccepts(tags) {
  const ruleSet = { $tags: tags };
  const s = outcome(() => validateJsonSchema('ProtocolRuleSet', ruleSet));
  if (!s.ok) return { accepted: false, rejectedBy: s.detail };
  const c = outcome(() => ProtocolsConfigure.validateRuleSetRecursively({ ruleSet, ruleSetProtocolPath: 'x', recordTypes: [], roles: [] }));
  if (!c.ok) return { accepted: false, rejectedBy: c.detail };
  return { accepted: true };
}

// ---------------------------------------------------------------------------
// verify cases: [name, rule, tags (undefined: none), protocolPath?]

const P = 'https://example.com/proto';
const str = { type: 'string' };
const num = { type: 'number' };
const arr = (extra) => ({ type: 'array', ...extra });

const verifyCases = [
  // $requiredTags and $allowUndefinedTags
  ['no tags, nothing required', { status: str }, undefined],
  ['no tags, one required', { $requiredTags: ['status'], status: str }, undefined],
  ['required present', { $requiredTags: ['status'], status: str }, { status: 'draft' }],
  ['first of two required missing', { $requiredTags: ['status', 'kind'], status: str, kind: str }, { kind: 'a' }],
  ['second of two required missing', { $requiredTags: ['status', 'kind'], status: str, kind: str }, { status: 'a' }],
  ['both required missing, array order', { $requiredTags: ['zeta', 'alpha'], zeta: str, alpha: str }, { other: 1 }],
  ['required tag without a schema', { $requiredTags: ['free'] }, { free: [1, 2] }],
  ['required tag without a schema, missing', { $requiredTags: ['free'] }, undefined],
  ['undefined tag, default not allowed', { status: str }, { status: 'a', extra: 1 }],
  ['undefined tag, explicitly not allowed', { $allowUndefinedTags: false, status: str }, { extra: true }],
  ['undefined tag allowed', { $allowUndefinedTags: true, status: str }, { status: 'a', extra: 1 }],
  ['undefined tag allowed, defined one wrong', { $allowUndefinedTags: true, status: str }, { status: 1, extra: 1 }],
  ['required missing and undefined tag: required first', { $requiredTags: ['status'], status: str }, { extra: 'x' }],
  ['undefined tag and wrong type: undefined first', { status: str }, { status: 1, extra: 'x' }],
  ['required missing and wrong type: required first', { $requiredTags: ['a'], a: str, b: num }, { b: 'x' }],
  ['required missing, undefined allowed', { $requiredTags: ['a'], $allowUndefinedTags: true }, { b: 'x' }],
  ['empty rule', {}, { a: 1 }],
  ['empty rule, no tags', {}, undefined],

  // type
  ['string given number', { a: str }, { a: 1 }],
  ['string given boolean', { a: str }, { a: true }],
  ['string given array', { a: str }, { a: ['x'] }],
  ['number given string', { a: num }, { a: '1' }],
  ['number ok', { a: num }, { a: -1.25 }],
  ['integer given fraction', { a: { type: 'integer' } }, { a: 1.5 }],
  ['integer ok', { a: { type: 'integer' } }, { a: 3 }],
  ['integer ok, large', { a: { type: 'integer' } }, { a: 1e300 }],
  ['integer given string', { a: { type: 'integer' } }, { a: '3' }],
  ['boolean given string', { a: { type: 'boolean' } }, { a: 'true' }],
  ['boolean ok', { a: { type: 'boolean' } }, { a: false }],
  ['array given string', { a: arr() }, { a: 'x' }],
  ['array ok', { a: arr() }, { a: ['x', 'y'] }],
  ['empty tag schema accepts anything', { a: {} }, { a: [1, 2, 3] }],

  // enum
  ['enum mismatch', { a: { type: 'string', enum: ['draft', 'final'] } }, { a: 'other' }],
  ['enum ok', { a: { type: 'string', enum: ['draft', 'final'] } }, { a: 'final' }],
  ['enum number mismatch', { a: { type: 'number', enum: [1, 2] } }, { a: 3 }],
  ['enum number ok', { a: { enum: [1, 2] } }, { a: 2 }],
  ['enum and type, type checked first', { a: { type: 'string', enum: ['x'] } }, { a: 1 }],
  ['enum before a deferred type check', { a: { type: 'string', enum: ['x'], minLength: 2 } }, { a: 1 }],
  ['enum mixed types', { a: { enum: [1, '1'] } }, { a: '1' }],
  ['enum of arrays, same order', { a: { enum: [['a', 'b']] } }, { a: ['a', 'b'] }],
  ['enum of arrays, other order', { a: { enum: [['a', 'b']] } }, { a: ['b', 'a'] }],
  ['enum without type, wrong type', { a: { enum: ['x'] } }, { a: true }],

  // numbers
  ['minimum fails', { a: { type: 'number', minimum: 5 } }, { a: 4 }],
  ['minimum at the limit', { a: { type: 'number', minimum: 5 } }, { a: 5 }],
  ['maximum fails', { a: { type: 'number', maximum: 5 } }, { a: 6 }],
  ['maximum at the limit', { a: { type: 'number', maximum: 5 } }, { a: 5 }],
  ['exclusiveMinimum at the limit', { a: { type: 'number', exclusiveMinimum: 5 } }, { a: 5 }],
  ['exclusiveMaximum at the limit', { a: { type: 'number', exclusiveMaximum: 5 } }, { a: 5 }],
  ['exclusive bounds ok', { a: { type: 'number', exclusiveMinimum: 5, exclusiveMaximum: 6 } }, { a: 5.5 }],
  ['maximum checked before minimum', { a: { type: 'number', minimum: 10, maximum: 5 } }, { a: 7 }],
  ['minimum checked before exclusiveMaximum', { a: { type: 'number', minimum: 10, exclusiveMaximum: 5 } }, { a: 7 }],
  ['exclusiveMaximum before exclusiveMinimum', { a: { exclusiveMinimum: 10, exclusiveMaximum: 5 } }, { a: 7 }],
  ['minimum with type number given string', { a: { type: 'number', minimum: 1 } }, { a: 'x' }],
  ['minimum without type given string', { a: { minimum: 1 } }, { a: 'x' }],
  ['minimum with type integer given fraction', { a: { type: 'integer', minimum: 3 } }, { a: 1.5 }],
  ['minimum with type integer fails', { a: { type: 'integer', minimum: 3 } }, { a: 2 }],
  ['fractional limit', { a: { type: 'number', minimum: 0.5 } }, { a: 0.25 }],
  ['large limit is printed as JavaScript does', { a: { type: 'number', minimum: 1e21 } }, { a: 5 }],
  ['tiny limit is printed as JavaScript does', { a: { type: 'number', maximum: -1.5e-7 } }, { a: 0 }],
  ['long fraction limit', { a: { type: 'number', maximum: 123456789.125 } }, { a: 1e10 }],
  ['negative zero limit', { a: { type: 'number', exclusiveMinimum: -0 } }, { a: 0 }],

  // strings
  ['maxLength fails', { a: { type: 'string', maxLength: 3 } }, { a: 'abcd' }],
  ['minLength fails', { a: { type: 'string', minLength: 3 } }, { a: 'ab' }],
  ['minLength 1 fails', { a: { type: 'string', minLength: 1 } }, { a: '' }],
  ['maxLength 1 fails', { a: { type: 'string', maxLength: 1 } }, { a: 'ab' }],
  ['maxLength counts code points', { a: { type: 'string', maxLength: 2 } }, { a: '😀😀' }],
  ['maxLength counts code points, fails', { a: { type: 'string', maxLength: 1 } }, { a: '😀😀' }],
  ['maxLength checked before minLength', { a: { type: 'string', minLength: 5, maxLength: 2 } }, { a: 'abc' }],
  ['minLength with type string given number', { a: { type: 'string', minLength: 1 } }, { a: 5 }],
  ['minLength without type given number', { a: { minLength: 3 } }, { a: 5 }],

  // arrays
  ['minItems fails', { a: arr({ minItems: 3 }) }, { a: ['x', 'y'] }],
  ['maxItems fails', { a: arr({ maxItems: 1 }) }, { a: ['x', 'y'] }],
  ['minItems with type array given string', { a: arr({ minItems: 1 }) }, { a: 'x' }],
  ['uniqueItems, typed string items', { a: arr({ items: str, uniqueItems: true }) }, { a: ['x', 'y', 'x'] }],
  ['uniqueItems, untyped items', { a: arr({ uniqueItems: true }) }, { a: [1, 2, 1] }],
  ['uniqueItems, typed number items', { a: arr({ items: num, uniqueItems: true }) }, { a: [1, 2, 1.0, 3] }],
  ['uniqueItems, typed items, two pairs', { a: arr({ items: str, uniqueItems: true }) }, { a: ['a', 'b', 'a', 'b'] }],
  ['uniqueItems, untyped items, two pairs', { a: arr({ uniqueItems: true }) }, { a: ['a', 'b', 'a', 'b'] }],
  ['uniqueItems ok', { a: arr({ items: str, uniqueItems: true }) }, { a: ['x', 'y'] }],
  ['uniqueItems false', { a: arr({ uniqueItems: false }) }, { a: [1, 1] }],
  ['uniqueItems misses "__proto__" with typed string items', { a: arr({ items: str, uniqueItems: true }) }, { a: ['__proto__', '__proto__'] }],
  ['uniqueItems sees "__proto__" with untyped items', { a: arr({ uniqueItems: true }) }, { a: ['__proto__', '__proto__'] }],
  ['uniqueItems sees "constructor" with typed items', { a: arr({ items: str, uniqueItems: true }) }, { a: ['constructor', 'constructor'] }],
  ['items type fails on second item', { a: arr({ items: str }) }, { a: ['x', 1] }],
  ['items enum', { a: arr({ items: { type: 'string', enum: ['x', 'y'] } }) }, { a: ['x', 'z'] }],
  ['items minimum', { a: arr({ items: { type: 'number', minimum: 0 } }) }, { a: [1, -1] }],
  ['items maxLength', { a: arr({ items: { type: 'string', maxLength: 2 } }) }, { a: ['ab', 'abc'] }],
  ['items const', { a: arr({ items: { const: 'x' } }) }, { a: ['x', 'y'] }],
  ['items multipleOf', { a: arr({ items: { type: 'number', multipleOf: 2 } }) }, { a: [2, 3] }],
  ['items multipleOf, binary fraction', { a: arr({ items: { type: 'number', multipleOf: 0.1 } }) }, { a: [0.3] }],
  ['items multipleOf, quotient past 1e21', { a: arr({ items: { type: 'number', multipleOf: 1 } }) }, { a: [1e21] }],
  ['items ok', { a: arr({ items: { type: 'number', minimum: 0, maximum: 10 } }) }, { a: [0, 10] }],
  ['maxItems before items', { a: arr({ maxItems: 1, items: str }) }, { a: [1, 2] }],
  ['items before uniqueItems', { a: arr({ items: str, uniqueItems: true }) }, { a: [1, 1] }],
  ['contains fails', { a: arr({ contains: num }) }, { a: ['x', 'y'] }],
  ['contains ok', { a: arr({ contains: num }) }, { a: ['x', 1] }],
  ['contains with minimum', { a: arr({ contains: { type: 'number', minimum: 5 } }) }, { a: [1, 2] }],
  ['minContains fails', { a: arr({ contains: num, minContains: 2 }) }, { a: [1, 'x'] }],
  ['maxContains fails', { a: arr({ contains: num, maxContains: 1 }) }, { a: [1, 2] }],
  ['minContains and maxContains ok', { a: arr({ contains: num, minContains: 2, maxContains: 3 }) }, { a: [1, 2, 'x'] }],
  ['minContains and maxContains, too many', { a: arr({ contains: num, minContains: 2, maxContains: 3 }) }, { a: [1, 2, 3, 4] }],
  ['minContains 0 with maxContains', { a: arr({ contains: num, minContains: 0, maxContains: 1 }) }, { a: [1, 2] }],
  ['minContains 0 with maxContains, none', { a: arr({ contains: num, minContains: 0, maxContains: 1 }) }, { a: ['x'] }],
  ['contains always valid, maxContains', { a: arr({ contains: {}, maxContains: 1 }) }, { a: [1, 2] }],
  ['contains before uniqueItems', { a: arr({ contains: num, uniqueItems: true }) }, { a: ['x', 'x'] }],
  ['items before contains', { a: arr({ items: str, contains: num }) }, { a: ['x', 1] }],
  ['minItems before contains', { a: arr({ minItems: 3, contains: num }) }, { a: ['x'] }],

  // several tags: the first failing one in the rule's (dag-cbor) key order
  ['two wrong tags, same length', { b: str, a: str }, { a: 1, b: 1 }],
  ['two wrong tags, shorter first', { bb: str, c: str }, { bb: 1, c: 1 }],
  ['integer-like tag names first', { x: str, 10: str, 9: str }, { x: 1, 10: 1, 9: 1 }],
  ['tag names escaped in the path', { 'a/b': str, 'c~d': num }, { 'a/b': 1 }],
  ['tag name with ~ in the path', { 'c~d': num }, { 'c~d': 'x' }],
  ['nested protocol path', { a: str }, { a: 1 }, 'post/comment/reply'],

  // JavaScript object quirks
  ['required "constructor" is satisfied by Object.prototype', { $requiredTags: ['constructor', 'toString'] }, undefined],
  ['required "__proto__" is satisfied by Object.prototype', { $requiredTags: ['__proto__'], $allowUndefinedTags: true }, { a: 1 }],
  ['"constructor" tag is an undefined tag', { a: str }, { constructor: 'x' }],
  ['"__proto__" tag is an undefined tag', { a: str }, j('{"__proto__": "x"}')],
  ['"hasOwnProperty" tag defined', { hasOwnProperty: str }, { hasOwnProperty: 1 }],
  ['missing "valueOf" tag is validated as a function', { $allowUndefinedTags: true, valueOf: str }, { a: 1 }],
  ['missing "valueOf" tag, deferred type check', { $allowUndefinedTags: true, valueOf: { type: 'string', maxLength: 3 } }, { a: 1 }],
  ['missing "valueOf" tag, enum', { $allowUndefinedTags: true, valueOf: { enum: ['x'] } }, { a: 1 }],
  ['missing "toString" tag, schema without type', { $allowUndefinedTags: true, toString: { minLength: 2 } }, { a: 1 }],

  // Ajv compile errors: plain Error, status 400, message as is
  ['compile: minContains without contains', { a: arr({ minContains: 2 }) }, { a: [1] }],
  ['compile: maxContains and minContains without contains', { a: arr({ minContains: 1, maxContains: 2 }) }, { a: [1] }],
  ['compile: minContains 0 without maxContains', { a: arr({ contains: num, minContains: 0 }) }, { a: [1] }],
  ['compile: minContains greater than maxContains', { a: arr({ contains: num, minContains: 3, maxContains: 2 }) }, { a: [1] }],
  ['compile: empty enum', { a: { enum: [] } }, undefined],
  ['compile: unknown keyword in items', { a: arr({ items: { type: 'string', foo: 1 } }) }, { a: ['x'] }],
  ['compile: unknown keyword in contains', { a: arr({ contains: { 'x-note': 'n' } }) }, { a: ['x'] }],
  ['compile: keyword id in items', { a: arr({ items: { id: 'x' } }) }, { a: ['x'] }],
  ['compile: format in items', { a: arr({ items: { type: 'string', format: 'email' } }) }, { a: ['x'] }],
  ['compile: format in contains of an odd tag', { 'odd tag/%': arr({ contains: { format: 'date' } }) }, undefined],
  ['compile: duplicate required tags', { $requiredTags: ['a', 'b', 'a'], a: str }, { a: 'x' }],
  ['compile: duplicate "__proto__" required tags pass', { $requiredTags: ['__proto__', '__proto__'] }, { a: 1 }],
  ['compile: first tag in order throws first', { b: { enum: [] }, a: arr({ minContains: 1 }) }, undefined],
  ['compile: unknown keyword before empty enum', { a: { enum: [], foo: 1 } }, undefined],
  ['compile: unknown keyword of a later tag before code of an earlier one', { a: { enum: [] }, b: { foo: 1 } }, undefined],
  ['compile: unknown keyword in items is found while generating code', { a: { enum: [] }, b: arr({ items: { foo: 1 } }) }, undefined],
  ['compile: empty enum before contains checks', { a: { enum: [], minContains: 1 } }, undefined],
  ['compile: meta-schema error before compile errors', { a: { enum: [] }, b: { minimum: 'x' } }, undefined],
  ['metadata keywords are ignored', { a: arr({ items: { type: 'number', title: 't', description: 'd', default: 1, examples: [1], deprecated: true, readOnly: false, writeOnly: false, $comment: 'c' } }) }, { a: [1] }],
  ['items false', { a: arr({ items: false }) }, { a: [1] }],
];

// ---------------------------------------------------------------------------
// schema cases: [name, $tags value, ruleSetPath?]

const schemaCases = [
  ['valid tag schemas', { $requiredTags: ['status'], $allowUndefinedTags: false, status: { type: 'string', enum: ['a', 'b'] }, n: { type: 'number', minimum: 0, maximum: 10 }, l: arr({ items: str, minItems: 1, maxItems: 3, uniqueItems: true, contains: str, minContains: 1, maxContains: 2 }) }],
  ['minimum not a number', { status: { type: 'number', minimum: 'x' } }],
  ['maximum not a number', { status: { maximum: null } }],
  ['exclusiveMinimum boolean', { status: { type: 'number', exclusiveMinimum: true } }],
  ['exclusiveMaximum string', { status: { exclusiveMaximum: '5' } }],
  ['minLength negative', { status: { type: 'string', minLength: -1 } }],
  ['minLength fraction', { status: { type: 'string', minLength: 1.5 } }],
  ['maxLength string', { status: { type: 'string', maxLength: '3' } }],
  ['minItems negative fraction', { status: arr({ minItems: -0.5 }) }],
  ['maxItems object', { status: arr({ maxItems: {} }) }],
  ['minContains negative', { status: arr({ contains: str, minContains: -2 }) }],
  ['maxContains fraction', { status: arr({ contains: str, maxContains: 0.5 }) }],
  ['uniqueItems string', { status: arr({ uniqueItems: 'yes' }) }],
  ['enum not an array', { status: { enum: 'x' } }],
  ['enum empty is a valid schema', { status: { enum: [] } }],
  ['items minimum not a number', { status: arr({ items: { type: 'number', minimum: 'x' } }) }],
  ['items checked before minimum', { status: arr({ items: { minimum: 'y' }, minimum: 'x' }) }],
  ['contains checked before maximum', { status: arr({ contains: { maximum: 'y' }, maximum: 'x' }) }],
  ['items checked before contains', { status: arr({ contains: { maximum: 'y' }, items: { minimum: 'x' } }) }],
  ['maximum value checked before minimum value', { status: { minimum: 'y', maximum: 'x' } }],
  ['exclusiveMaximum checked before minimum', { status: { minimum: 'y', exclusiveMaximum: 'x' } }],
  ['minimum checked before exclusiveMinimum', { status: { exclusiveMinimum: 'y', minimum: 'x' } }],
  ['maxLength checked before minLength', { status: { minLength: 'y', maxLength: 'x' } }],
  ['uniqueItems value checked before maxContains value', { status: arr({ contains: str, maxContains: 'x', uniqueItems: 1 }) }],
  ['nested items', { status: arr({ items: { items: { maxLength: 'a' } } }) }],
  ['nested items type unknown', { status: arr({ items: { items: { type: 'foo' } } }) }],
  ['nested items type number', { status: arr({ items: { items: { type: 5 } } }) }],
  ['nested items type duplicate list', { status: arr({ items: { items: { type: ['string', 'string'] } } }) }],
  ['nested items type empty list', { status: arr({ items: { items: { type: [] } } }) }],
  ['nested items type list with unknown', { status: arr({ items: { items: { type: ['string', 'x'] } } }) }],
  ['nested items type list ok', { status: arr({ items: { items: { type: ['string', 'null'] } } }) }],
  ['items multipleOf zero', { status: arr({ items: { type: 'number', multipleOf: 0 } }) }],
  ['items multipleOf string', { status: arr({ items: { type: 'number', multipleOf: 'x' } }) }],
  ['items title not a string', { status: arr({ items: { title: 5 } }) }],
  ['items examples not an array', { status: arr({ items: { examples: 5 } }) }],
  ['items deprecated not a boolean', { status: arr({ items: { deprecated: 'x' } }) }],
  ['items $comment not a string', { status: arr({ items: { $comment: 5 } }) }],
  ['items format not a string', { status: arr({ items: { format: 5 } }) }],
  ['items contentEncoding not a string', { status: arr({ items: { contentEncoding: 5 } }) }],
  ['items const object is fine', { status: arr({ items: { const: { a: [1] } } }) }],
  ['items unknown keyword is fine here', { status: arr({ items: { foo: 1 } }) }],
  ['items id is fine here', { status: arr({ items: { id: 'x' } }) }],
  ['items format is fine here', { status: arr({ items: { format: 'email' } }) }],
  ['items minContains without contains is fine here', { status: arr({ items: str, minContains: 2 }) }],
  ['items false is a valid schema', { status: arr({ items: false }) }],
  ['second tag invalid', { a: { type: 'string' }, b: { minimum: 'x' } }],
  ['two tags invalid, first reported', { b: { minimum: 'x' }, a: { maximum: 'y' } }],
  ['nested rule set path', { status: { minLength: -1 } }, 'thread/post/comment'],
  ['tag name is not escaped in the message', { 'a/b~c': { minLength: -1 } }],
  ['$requiredTags and $allowUndefinedTags are not tag schemas', { $requiredTags: 5, $allowUndefinedTags: 'x', a: str }],
  ['tag schema not an object', { status: 'string' }],
  ['tag schema true', { status: true }],
  ['tag schema false', { status: false }],
  ['tag schema null', { status: null }],
  ['tag schema number', { status: 5 }],
  ['tag schema array', { status: ['x'] }],
  ['"__proto__" tag: its keys become tags', j('{"a": {"type": "string"}, "__proto__": {"type": "string"}}')],
  ['"__proto__" tag with a schema-valued key', j('{"__proto__": {"items": {"minimum": "x"}}}')],
  ['"__proto__" tag with a valid schema-valued key', j('{"__proto__": {"items": {"minimum": 1}}}')],
  ['"__proto__" tag shadowed by an own tag', j('{"type": {"type": "string"}, "__proto__": {"type": {"minimum": 1}}}')],
  ['"__proto__" tag that is empty', j('{"__proto__": {}}')],
];

// Tag schemas using keywords the Go code does not evaluate: the reference accepts them
// at configure time (unless their value is malformed); the Go code refuses them. The
// vectors record the reference's answer; the Go test checks that the Go code refuses.
const unsupportedSchemaCases = [
  ['items pattern', { status: arr({ items: { type: 'string', pattern: '^[a-z]+$' } }) }],
  ['items pattern that is not a regular expression', { status: arr({ items: { type: 'string', pattern: '[' } }) }],
  ['items anyOf', { status: arr({ items: { anyOf: [str, num] } }) }],
  ['items $ref', { status: arr({ items: { $ref: '#/x' } }) }],
  ['items $id', { status: arr({ items: { $id: 'x' } }) }],
  ['items not', { status: arr({ items: { not: str } }) }],
  ['items nullable', { status: arr({ items: { type: 'string', nullable: true } }) }],
  ['items required', { status: arr({ items: { required: ['a'] } }) }],
];

// ---------------------------------------------------------------------------
// run

function verifyOne([name, rule, tags, protocolPath = 'post']) {
  let storedRule;
  let storable = true;
  try {
    storedRule = storeRoundTrip(rule);
  } catch {
    storable = false;
  }
  const orderedRule = cborOrder(rule);
  if (storable && JSON.stringify(storedRule) !== JSON.stringify(orderedRule)) {
    throw new Error(`${name}: dag-cbor order differs from cborOrder`);
  }
  const orderedTags = tags === undefined ? undefined : canonical(tags);
  const descriptor = { protocol: P, protocolPath };
  if (orderedTags !== undefined) descriptor.tags = orderedTags;
  const got = outcome(() => ProtocolAuthorization.verifyTagsIfNeeded({ message: { descriptor } }, { $tags: orderedRule }));
  const acc = ruleSetAccepts(canonical(rule));
  const v = {
    name,
    protocol: P,
    protocolPath,
    rule: orderedRule,
  };
  if (orderedTags !== undefined) v.tags = orderedTags;
  v.reachable = {
    rule: acc.accepted,
    tags: orderedTags === undefined || tagsShapeOK(orderedTags),
    stored: storable,
  };
  if (!acc.accepted) v.reachable.ruleRejectedBy = acc.rejectedBy;
  v.want = got.ok ? { ok: true } : { detail: got.detail };
  return v;
}

function schemaOne([name, tags, ruleSetPath = 'post'], unsupported) {
  const ordered = canonical(tags);
  const got = outcome(() => ProtocolsConfigure.validateRuleSetRecursively({ ruleSet: { $tags: ordered }, ruleSetProtocolPath: ruleSetPath, recordTypes: [], roles: [] }));
  const schemaCheck = outcome(() => validateJsonSchema('ProtocolRuleSet', { $tags: ordered }));
  const v = { name, ruleSetPath, tags: ordered };
  v.reachable = schemaCheck.ok;
  if (!schemaCheck.ok) v.ruleSetSchemaError = schemaCheck.detail;
  if (unsupported) v.unsupported = true;
  v.want = got.ok ? { ok: true } : { detail: got.detail };
  return v;
}

function write(file, name, description, cases) {
  const doc = {
    reference: REFERENCE,
    ajv: `ajv@${ajvVersion}`,
    name,
    description,
    generator: 'conformance/gen-tag-vectors.mjs',
    cases,
  };
  writeFileSync(path.join(OUT, file), JSON.stringify(doc, null, 2) + '\n');
  console.log(`${file}: ${cases.length} cases`);
}

for (const list of [verifyCases, [...schemaCases, ...unsupportedSchemaCases]]) {
  const names = new Set();
  for (const c of list) {
    if (names.has(c[0])) throw new Error(`duplicate case name ${c[0]}`);
    names.add(c[0]);
  }
}

write('tags-verify.json', 'tags-verify',
  'ProtocolAuthorization.verifyTagsIfNeeded: a RecordsWrite\'s descriptor.tags (absent when "tags" is missing) against a rule set\'s $tags. ' +
  'The rule is in dag-cbor key order, as the reference reads it from its store; the tags in Go map order (integer-like keys, then bytewise). ' +
  'want.detail is the reply\'s status.detail (all failures are 400).',
  verifyCases.map(verifyOne));
write('tags-schemas.json', 'tags-schemas',
  'The $tags part of ProtocolsConfigure.validateRuleSetRecursively: every tag schema must pass Ajv.validateSchema (draft 2020-12). ' +
  'The $tags value is in Go map order. reachable: the reference rule-set JSON Schema accepts it. ' +
  'unsupported: the tag schema uses a keyword the Go code refuses at configure time. want.detail is the reply\'s status.detail (400).',
  [...schemaCases.map((c) => schemaOne(c, false)), ...unsupportedSchemaCases.map((c) => schemaOne(c, true))]);
