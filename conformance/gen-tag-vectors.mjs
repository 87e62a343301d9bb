#!/usr/bin/env node
// Generates the $tags test vectors of package protocols by running the reference's own
// code (@tbd54566975/dwn-sdk-js 0.5.2 and the Ajv it imports):
//
//   protocols/testdata/tags-verify.json   ProtocolAuthorization.verifyTagsIfNeeded
//   protocols/testdata/tags-schemas.json  the $tags part of
//                                         ProtocolsConfigure.validateRuleSetRecursively
//   protocols/testdata/tags-random.json   both, on random rules and tags (seeded)
//   protocols/testdata/tags-patterns.json random patterns, as Ajv compiles them (seeded)
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

  // Keywords inside items and contains: everything Ajv knows applies to the items,
  // which tags only ever make strings or numbers.

  // pattern (a JavaScript regular expression with the "u" flag; a search, not a match)
  ['items pattern passes', { a: arr({ items: { type: 'string', pattern: '^[a-z]+$' } }) }, { a: ['abc', 'xyz'] }],
  ['items pattern fails on the second item', { a: arr({ items: { type: 'string', pattern: '^[a-z]+$' } }) }, { a: ['abc', 'Abc'] }],
  ['pattern searches the string', { a: arr({ items: { pattern: 'b' } }) }, { a: ['abc', 'xyz'] }],
  ['pattern with classes and counts', { a: arr({ items: { pattern: '^\\d{3}-\\d{4}$' } }) }, { a: ['555-1234', '5551234'] }],
  ['pattern of an e-mail address', { a: arr({ items: { pattern: '^[\\w.-]+@[\\w-]+\\.[a-z]{2,}$' } }) }, { a: ['a.b@c-d.io', 'a@b'] }],
  ['pattern dot does not match a line feed', { a: arr({ items: { pattern: '^.$' } }) }, { a: ['\n'] }],
  ['pattern dot does not match a line separator', { a: arr({ items: { pattern: '^.$' } }) }, { a: ['\u2028'] }],
  ['pattern dot matches a character beyond U+FFFF', { a: arr({ items: { pattern: '^.$' } }) }, { a: ['😀'] }],
  ['pattern \\s matches a no-break space', { a: arr({ items: { pattern: '^\\s$' } }) }, { a: ['\u00a0', '\ufeff', 'x'] }],
  ['pattern \\S', { a: arr({ items: { pattern: '^\\S+$' } }) }, { a: ['ab', 'a b'] }],
  ['pattern \\w is ASCII only', { a: arr({ items: { pattern: '^\\w+$' } }) }, { a: ['abc_1', 'é'] }],
  ['pattern \\b is an ASCII word boundary', { a: arr({ items: { pattern: '\\bx' } }) }, { a: ['a x', 'éx', 'ax'] }],
  ['pattern \\u{…} escape', { a: arr({ items: { pattern: '^\\u{1F600}$' } }) }, { a: ['😀', 'x'] }],
  ['pattern surrogate pair escape is one character', { a: arr({ items: { pattern: '^\\uD83D\\uDE00$' } }) }, { a: ['😀'] }],
  ['pattern class of characters beyond U+FFFF', { a: arr({ items: { pattern: '^[😀-😂]+$' } }) }, { a: ['😀😂', '😃'] }],
  ['pattern named groups', { a: arr({ items: { pattern: '^(?<year>\\d{4})-(?<month>\\d{2})$' } }) }, { a: ['2024-05', '2024-5'] }],
  ['pattern alternation and lazy quantifier', { a: arr({ items: { pattern: '^(?:ab|a)+?c$' } }) }, { a: ['abac', 'abc', 'abd'] }],
  ['pattern [^] matches anything', { a: arr({ items: { pattern: '^[^]$' } }) }, { a: ['\n'] }],
  ['pattern [] matches nothing', { a: arr({ items: { pattern: '[]' } }) }, { a: ['a'] }],
  ['pattern class with escapes and a dash', { a: arr({ items: { pattern: '^[\\-\\].a-c]+$' } }) }, { a: ['-].b', 'd'] }],
  ['pattern control and hex escapes', { a: arr({ items: { pattern: '^\\x41\\cJ\\t\\0$' } }) }, { a: ['A\n\t\u0000', 'A'] }],
  ['pattern in the message as written', { a: arr({ items: { pattern: '^"\\\\[/]$' } }) }, { a: ['x'] }],
  ['pattern applies to strings only', { a: arr({ items: { pattern: '^a' } }) }, { a: [1, 2] }],
  ['pattern with type string given a number', { a: arr({ items: { type: 'string', pattern: '^a' } }) }, { a: [1] }],
  ['maxLength before pattern', { a: arr({ items: { pattern: '^a', maxLength: 2 } }) }, { a: ['bbb'] }],
  ['contains with a pattern', { a: arr({ contains: { pattern: '^x' }, minContains: 2 }) }, { a: ['xa', 'b', 'xb'] }],
  ['contains with a pattern, too few', { a: arr({ contains: { pattern: '^x' }, minContains: 2 }) }, { a: ['xa', 'b'] }],
  ['refused: lookbehind', { a: arr({ items: { pattern: '(?<=a)b' } }) }, { a: ['ab'] }, 'post', { unsupported: true }],
  ['refused: lookahead', { a: arr({ items: { pattern: '^(?!x)' } }) }, { a: ['ab'] }, 'post', { unsupported: true }],
  ['refused: backreference', { a: arr({ items: { pattern: '(a)\\1' } }) }, { a: ['aa'] }, 'post', { unsupported: true }],
  ['refused: Unicode property escape', { a: arr({ items: { pattern: '^\\p{Lu}' } }) }, { a: ['A'] }, 'post', { unsupported: true }],
  ['refused: not a regular expression', { a: arr({ items: { pattern: '[' } }) }, { a: ['a'] }, 'post', { unsupported: true }],
  ['refused: syntax the "u" flag rejects', { a: arr({ items: { pattern: '\\-' } }) }, { a: ['-'] }, 'post', { unsupported: true }],
  ['refused: a count beyond 1000', { a: arr({ items: { pattern: 'a{1001}' } }) }, { a: ['a'] }, 'post', { unsupported: true }],

  // numbers, strings and types inside items
  ['items exclusiveMinimum', { a: arr({ items: { type: 'number', exclusiveMinimum: 5 } }) }, { a: [6, 5] }],
  ['items exclusiveMaximum', { a: arr({ items: { exclusiveMaximum: 0.5 } }) }, { a: [0.25, 0.5] }],
  ['items integer', { a: arr({ items: { type: 'integer' } }) }, { a: [1, 1.5] }],
  ['items type list', { a: arr({ items: { type: ['integer', 'string'] } }) }, { a: ['x', 1, 1.5] }],
  ['items type null with nullable', { a: arr({ items: { type: 'string', nullable: true } }) }, { a: [1] }],
  ['items minLength in code points', { a: arr({ items: { minLength: 2 } }) }, { a: ['😀'] }],
  ['items const number', { a: arr({ items: { const: 2 } }) }, { a: [2, 2.5] }],
  ['items enum of numbers and strings', { a: arr({ items: { enum: [1, '1', null] } }) }, { a: [1, '1', 2] }],
  ['items type object, deferred', { a: arr({ items: { type: 'object', properties: { p: str } } }) }, { a: ['x'] }],
  ['items type array, deferred', { a: arr({ items: { type: 'array', items: str } }) }, { a: [1] }],
  ['object keywords do not apply to strings', { a: arr({ items: { properties: { p: str }, required: ['p'], additionalProperties: false, minProperties: 1 } }) }, { a: ['x'] }],
  ['array keywords do not apply to numbers', { a: arr({ items: { items: str, minItems: 3, uniqueItems: true, contains: str } }) }, { a: [1] }],
  ['nested items apply to nested arrays', { a: arr({ items: { items: { type: 'string' } } }) }, { a: [['x', 1]] }],

  // anyOf, oneOf, allOf, not
  ['anyOf passes', { a: arr({ items: { anyOf: [{ type: 'string', maxLength: 2 }, { type: 'number' }] } }) }, { a: ['ab', 3] }],
  ['anyOf fails: each branch, then anyOf', { a: arr({ items: { anyOf: [{ type: 'string', maxLength: 2 }, { pattern: '^x' }] } }) }, { a: ['ab', 'abc'] }],
  ['anyOf: a passing branch clears the others', { a: arr({ items: { anyOf: [{ maxLength: 1 }, { pattern: '^a' }] } }) }, { a: ['abc'] }],
  ['anyOf checks every branch', { a: arr({ items: { anyOf: [{ pattern: '^a' }, { maxLength: 1 }, { type: 'number' }] } }) }, { a: ['bc'] }],
  ['anyOf with an always valid branch', { a: arr({ items: { anyOf: [{ type: 'number' }, {}] } }) }, { a: ['x'] }],
  ['anyOf nested', { a: arr({ items: { anyOf: [{ anyOf: [{ maxLength: 1 }, { pattern: '^z' }] }, { type: 'number' }] } }) }, { a: ['ab'] }],
  ['oneOf passes with exactly one', { a: arr({ items: { oneOf: [{ maxLength: 2 }, { pattern: '^x' }] } }) }, { a: ['xyz'] }],
  ['oneOf fails with two: only its error', { a: arr({ items: { oneOf: [{ maxLength: 2 }, { pattern: '^x' }] } }) }, { a: ['xy'] }],
  ['oneOf fails with none', { a: arr({ items: { oneOf: [{ maxLength: 2 }, { pattern: '^x' }] } }) }, { a: ['abc'] }],
  ['oneOf keeps errors of branches before the second pass', { a: arr({ items: { oneOf: [{ pattern: '^z' }, { maxLength: 5 }, { minLength: 1 }, { pattern: '^q' }] } }) }, { a: ['abc'] }],
  ['oneOf with an always valid branch', { a: arr({ items: { oneOf: [{}, { maxLength: 1 }] } }) }, { a: ['ab', 'a'] }],
  ['allOf reports the first failing branch', { a: arr({ items: { allOf: [{ minLength: 2 }, { pattern: '^x' }] } }) }, { a: ['xy', 'a'] }],
  ['allOf second branch', { a: arr({ items: { allOf: [{ minLength: 2 }, { pattern: '^x' }] } }) }, { a: ['ab'] }],
  ['not fails', { a: arr({ items: { not: { pattern: '^x' } } }) }, { a: ['ya', 'xa'] }],
  ['not of an always valid schema', { a: arr({ items: { not: {} } }) }, { a: ['a'] }],
  ['not of a failing anyOf passes', { a: arr({ items: { not: { anyOf: [{ type: 'number' }, { maxLength: 1 }] } } }) }, { a: ['ab'] }],
  ['type error inside anyOf: any-type keywords still run', { a: arr({ items: { anyOf: [{ type: 'string', enum: ['x'] }] } }) }, { a: [5] }],
  ['type list error inside anyOf, then the number group', { a: arr({ items: { anyOf: [{ type: ['string', 'null'], minimum: 10 }] } }) }, { a: [5] }],
  ['keyword order: const, enum, not, anyOf, oneOf, allOf', { a: arr({ items: { allOf: [{ maxLength: 0 }], oneOf: [{ maxLength: 0 }], anyOf: [{ maxLength: 0 }], not: { minLength: 0 }, enum: ['a', 'b'] } }) }, { a: ['b'] }],
  ['applicators before the string keywords', { a: arr({ items: { maxLength: 1, anyOf: [{ pattern: '^a' }] } }) }, { a: ['bb'] }],
  ['contains lists failing items only inside a composite', { a: { type: 'array', anyOf: [{ contains: { pattern: '^x' } }] } }, { a: ['a', 'b'] }],

  // if, then, else
  ['if/then passes', { a: arr({ items: { if: { type: 'string' }, then: { minLength: 2 } } }) }, { a: ['ab', 1] }],
  ['then fails: only its error', { a: arr({ items: { if: { type: 'string' }, then: { minLength: 2 } } }) }, { a: ['a'] }],
  ['else fails', { a: arr({ items: { if: { type: 'string' }, then: { minLength: 2 }, else: { minimum: 3 } } }) }, { a: [1] }],
  ['if/then inside anyOf adds the if error', { a: arr({ items: { anyOf: [{ if: { pattern: '^a' }, then: { maxLength: 1 } }] } }) }, { a: ['ab'] }],
  ['if errors are not reported', { a: arr({ items: { if: { maxLength: 1 }, else: { pattern: '^x' } } }) }, { a: ['ab'] }],
  ['if with an always valid then', { a: arr({ items: { if: { pattern: '^a' }, then: true } }) }, { a: ['ab'] }],
  ['compile: if without then and else', { a: arr({ items: { if: { pattern: '^a' } } }) }, { a: ['ab'] }],
  ['compile: then without if', { a: arr({ items: { then: { pattern: '^a' } } }) }, { a: ['ab'] }],
  ['compile: else without if', { a: arr({ items: { else: true } }) }, { a: ['ab'] }],

  // $ref: "#/…" is a JSON Pointer into the schema Ajv compiles, {type: "object",
  // properties: the tags, required, additionalProperties}
  ['$ref to another tag schema', { a: arr({ items: { $ref: '#/properties/b' } }), b: str }, { a: ['x', 1] }],
  ['$ref to the items of another tag', { a: arr({ items: { $ref: '#/properties/b/items' } }), b: arr({ items: { type: 'string', maxLength: 3 } }) }, { a: ['abcd'] }],
  ['$ref to $defs in the same tag schema', { a: arr({ items: { $ref: '#/properties/a/items/$defs/short', $defs: { short: { maxLength: 2 } } } }) }, { a: ['ab', 'abc'] }],
  ['$ref with other keywords, $ref first', { a: arr({ items: { maxLength: 1, $ref: '#/properties/b' } }), b: { type: 'string', pattern: '^x' } }, { a: ['yy'] }],
  ['$ref to a schema with references is called', { a: arr({ items: { $ref: '#/properties/b/items' } }), b: arr({ items: { anyOf: [{ $ref: '#/properties/c' }, { maxLength: 1 }] } }), c: num }, { a: ['ab'] }],
  ['$ref "#" is the whole tags object', { a: arr({ items: { $ref: '#' } }) }, { a: ['x'] }],
  ['$ref with escapes in the pointer', { a: arr({ items: { $ref: '#/properties/x~1y/items' } }), 'x/y': arr({ items: num }) }, { a: ['x'] }],
  ['$ref with percent-encoding in the pointer', { a: arr({ items: { $ref: '#/properties/x%20y' } }), 'x y': num }, { a: ['x'] }],
  ['$ref to the meta-schema', { a: arr({ items: { $ref: 'https://json-schema.org/draft/2020-12/schema' } }) }, { a: ['x'] }],
  ['compile: $ref to a missing pointer', { a: arr({ items: { $ref: '#/properties/nope' } }) }, { a: ['x'] }],
  ['compile: $ref to $defs of the tag schema written as from its root', { a: arr({ items: { $ref: '#/$defs/x' }, $defs: { x: str } }) }, { a: ['x'] }],
  ['compile: $ref to another document', { a: arr({ items: { $ref: 'other.json' } }) }, { a: ['x'] }],
  ['compile: $ref that is no URI', { a: arr({ items: { $ref: 'not a URI at all' } }) }, { a: ['x'] }],
  ['compile: $ref to a URN', { a: arr({ items: { $ref: 'urn:example:x' } }) }, { a: ['x'] }],
  ['compile: $ref with a malformed escape', { a: arr({ items: { $ref: '#/properties/%zz' } }), '%zz': str }, { a: ['x'] }],
  ['compile: $ref to an anchor ($anchor is no Ajv keyword)', { a: arr({ items: { $ref: '#n' } }), b: { $anchor: 'n', type: 'string' } }, { a: ['x'] }],
  ['compile: format in a $ref target names the $ref', { a: arr({ items: { $ref: '#/properties/%62' } }), b: { format: 'email' } }, { a: ['x'] }],
  ['compile: a $ref that is its own target recurses without end', { a: arr({ items: { $ref: '#/properties/a/items' } }) }, { a: ['x'] }],
  ['$ref to itself without consuming data recurses without end', { a: arr({ items: { $ref: '#/properties/a/items', maxLength: 5 } }) }, { a: ['x'] }],
  ['$ref to itself, not reached', { a: arr({ items: { $ref: '#/properties/a/items', maxLength: 5 } }) }, { a: 'x' }],
  ['compile: $id with $ref only recurses without end', { a: arr({ items: { $id: 'http://example.com/tag', $defs: { d: { maxLength: 1 } }, $ref: '#/$defs/d' } }) }, { a: ['ab'] }],
  ['$ref relative to $id', { a: arr({ items: { $id: 'http://example.com/tag', $defs: { d: { maxLength: 1 } }, allOf: [{ $ref: '#/$defs/d' }] } }) }, { a: ['ab'] }],
  ['$id alone changes nothing', { a: arr({ items: { $id: 'http://example.com/s', type: 'string' } }) }, { a: ['x', 1] }],
  ['compile: the same $id twice', { a: arr({ items: { $id: 'x' } }), b: arr({ items: { $id: 'x' } }) }, { a: ['x'] }],
  ['compile: $anchor is unknown to Ajv', { a: arr({ items: { $anchor: 'n' } }) }, { a: ['x'] }],
  ['compile: an invalid $anchor', { a: arr({ items: { $anchor: '1n' } }) }, { a: ['x'] }],

  // $dynamicRef, $dynamicAnchor, $recursiveRef, $recursiveAnchor
  ['$dynamicRef without an anchor calls the whole tags object', { a: arr({ items: { $dynamicRef: '#n' } }) }, { a: ['x'] }],
  ['$dynamicRef to an anchor registered by an earlier tag', { a: arr({ items: { $dynamicAnchor: 'n', type: 'string', maxLength: 1 } }), b: arr({ items: { $dynamicRef: '#n' } }) }, { a: ['x'], b: ['yy'] }],
  ['$dynamicRef to an anchor not registered at run time', { a: arr({ items: { $dynamicAnchor: 'n', type: 'string', maxLength: 1 } }), b: arr({ items: { $dynamicRef: '#n' } }) }, { b: ['yy'] }],
  ['$recursiveRef calls the whole tags object', { a: arr({ items: { $recursiveRef: '#' } }) }, { a: ['x'] }],
  ['$dynamicRef: the keywords after it in its group do not run', { a: arr({ items: { $dynamicAnchor: 'n', minLength: 0 } }), b: arr({ items: { $dynamicRef: '#n', enum: ['z'] } }) }, { a: ['x'], b: ['y'] }],
  ['$dynamicRef: the next group runs', { a: arr({ items: { $dynamicAnchor: 'n', minLength: 0 } }), b: arr({ items: { $dynamicRef: '#n', enum: ['z'], maxLength: 0 } }) }, { a: ['x'], b: ['y'] }],
  ['compile: $dynamicRef not to a fragment', { a: arr({ items: { $dynamicRef: 'x' } }) }, { a: ['x'] }],
  ['compile: $recursiveAnchor must be a boolean', { a: arr({ items: { $recursiveAnchor: 'x' } }) }, { a: ['x'] }],

  // other compile errors inside items
  ['compile: nullable without type', { a: arr({ items: { nullable: true } }) }, { a: ['x'] }],
  ['compile: nullable false with type null', { a: arr({ items: { type: 'null', nullable: false } }) }, { a: ['x'] }],
  ['compile: $async', { a: arr({ items: { $async: true, type: 'string' } }) }, { a: ['x'] }],
  ['compile: patternProperties matching a property', { a: arr({ items: { properties: { foo: {} }, patternProperties: { '^f': {} } } }) }, { a: ['x'] }],
  ['compile: unknown keyword in an anyOf branch', { a: arr({ items: { anyOf: [{ type: 'string' }, { foo: 1 }] } }) }, { a: ['x'] }],
  ['compile: unknown keyword after an always valid anyOf branch', { a: arr({ items: { anyOf: [{}, { foo: 1 }] } }) }, { a: ['x'] }],
  ['compile: unknown keyword in not', { a: arr({ items: { not: { foo: 1 } } }) }, { a: ['x'] }],
  ['compile: unknown keyword in an unused else', { a: arr({ items: { if: true, then: { type: 'string' }, else: { foo: 1 } } }) }, { a: ['x'] }],
  ['compile: unknown keyword in $defs is not seen', { a: arr({ items: { $defs: { d: { foo: 1 } }, type: 'string' } }) }, { a: ['x'] }],
  ['compile: properties look at every schema first', { a: arr({ items: { properties: { p: { format: 'email' }, q: { foo: 1 } } } }) }, { a: ['x'] }],
  ['compile: dependentSchemas', { a: arr({ items: { dependentSchemas: { p: { foo: 1 } } } }) }, { a: ['x'] }],
  ['compile: propertyNames', { a: arr({ items: { propertyNames: { format: 'email' } } }) }, { a: ['x'] }],
  ['compile: unevaluatedItems', { a: arr({ items: { unevaluatedItems: { foo: 1 } } }) }, { a: ['x'] }],
  ['compile: prefixItems', { a: arr({ items: { prefixItems: [{ enum: [] }] } }) }, { a: ['x'] }],
  ['compile: unknown keyword in a discriminator', { a: arr({ items: { discriminator: { propertyName: 'p' } } }) }, { a: ['x'] }],
  ['compile: a keyword value of the wrong type behind a $ref', { a: arr({ items: { $ref: '#/properties/a/default' }, default: { minimum: 'x' } }) }, { a: ['x'] }],
  ['annotations and $comment inside anyOf', { a: arr({ items: { anyOf: [{ title: 't', $comment: 'c', contentMediaType: 'text/plain', contentEncoding: 'base64', contentSchema: { type: 'string' } }] } }) }, { a: ['x'] }],
  ['an always failing not before an applicator (Ajv reads an undeclared variable)', { a: arr({ items: { anyOf: [{ not: {}, oneOf: [{ $ref: '#/properties/a/items/anyOf/0' }, {}] }, { anyOf: [{ $ref: '#/properties/a/items/anyOf/0/oneOf/0' }, { title: 'x' }] }] } }) }, { a: [1] }],

  // data below the top level (not reachable through a RecordsWrite)
  ['properties of an object item', { a: arr({ items: { type: 'object', properties: { p: num }, required: ['q'] } }) }, { a: [{ q: 1, p: 'x' }] }],
  ['additionalProperties of an object item', { a: arr({ items: { properties: { p: num }, additionalProperties: { type: 'string' } } }) }, { a: [{ p: 1, q: 2 }] }],
  ['patternProperties and propertyNames', { a: arr({ items: { patternProperties: { '^x': num }, propertyNames: { maxLength: 2 } } }) }, { a: [{ xa: 1, xbc: 2 }] }],
  ['dependentRequired and dependencies', { a: arr({ items: { dependentRequired: { p: ['q', 'r'] }, dependencies: { s: ['t'] } } }) }, { a: [{ p: 1, q: 1 }] }],
  ['unevaluatedProperties after anyOf', { a: arr({ items: { anyOf: [{ properties: { p: num } }, { properties: { q: num } }], unevaluatedProperties: false } }) }, { a: [{ p: 1, r: 1 }] }],
  ['unevaluatedItems after prefixItems', { a: arr({ items: { prefixItems: [num], unevaluatedItems: { type: 'string' } } }) }, { a: [[1, 'x', 2]] }],
  ['prefixItems and items false', { a: arr({ items: { prefixItems: [num, str], items: false } }) }, { a: [[1, 'x', 2]] }],
  ['prefixItems with a short array skips the rest of its group', { a: arr({ items: { prefixItems: [str], contains: num } }) }, { a: [[]] }],
  ['propertyNames with no properties skips the rest of its group', { a: arr({ items: { propertyNames: { maxLength: 1 }, dependentSchemas: { x: false } } }) }, { a: [{}] }],
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

// Tag schemas with keywords inside items: the reference accepts them at configure time
// unless their value is malformed. unsupported: the Go code refuses the schema (its
// pattern is outside what it translates), where the reference accepts it.
const itemSchemaCases = [
  ['items pattern', { status: arr({ items: { type: 'string', pattern: '^[a-z]+$' } }) }],
  ['items pattern that is not a regular expression', { status: arr({ items: { type: 'string', pattern: '[' } }) }, 'post', { unsupported: true }],
  ['items anyOf', { status: arr({ items: { anyOf: [str, num] } }) }],
  ['items $ref', { status: arr({ items: { $ref: '#/x' } }) }],
  ['items $id', { status: arr({ items: { $id: 'x' } }) }],
  ['items not', { status: arr({ items: { not: str } }) }],
  ['items nullable', { status: arr({ items: { type: 'string', nullable: true } }) }],
  ['items required', { status: arr({ items: { required: ['a'] } }) }],

  // each keyword's value, as the meta-schema checks it
  ['items pattern not a string', { status: arr({ items: { pattern: 5 } }) }],
  ['items anyOf not an array', { status: arr({ items: { anyOf: {} } }) }],
  ['items oneOf empty', { status: arr({ items: { oneOf: [] } }) }],
  ['items allOf entry not a schema', { status: arr({ items: { allOf: [str, 5] } }) }],
  ['items anyOf entry invalid deep down', { status: arr({ items: { anyOf: [{ not: { items: { minLength: -1 } } }] } }) }],
  ['items not not a schema', { status: arr({ items: { not: 'x' } }) }],
  ['items if, then, else not schemas', { status: arr({ items: { if: 1, then: 2, else: 3 } }) }],
  ['items $ref not a string', { status: arr({ items: { $ref: 5 } }) }],
  ['items $ref any string', { status: arr({ items: { $ref: 'not a URI at all' } }) }],
  ['items $id with a fragment', { status: arr({ items: { $id: 'x#y' } }) }],
  ['items $id with an empty fragment', { status: arr({ items: { $id: 'http://example.com/x#' } }) }],
  ['items $anchor not an anchor', { status: arr({ items: { $anchor: '1x' } }) }],
  ['items $dynamicAnchor not a string', { status: arr({ items: { $dynamicAnchor: 5 } }) }],
  ['items $dynamicRef not a string', { status: arr({ items: { $dynamicRef: false } }) }],
  ['items $recursiveRef not a string', { status: arr({ items: { $recursiveRef: 1 } }) }],
  ['items $recursiveAnchor boolean', { status: arr({ items: { $recursiveAnchor: true } }) }],
  ['items $vocabulary value not a boolean', { status: arr({ items: { $vocabulary: { 'https://x': 1 } } }) }],
  ['items $defs not an object', { status: arr({ items: { $defs: [] } }) }],
  ['items $defs entry invalid', { status: arr({ items: { $defs: { a: str, b: { type: 'x' } } } }) }],
  ['items definitions entry invalid', { status: arr({ items: { definitions: { a: 5 } } }) }],
  ['items properties not an object', { status: arr({ items: { properties: 5 } }) }],
  ['items properties entry invalid', { status: arr({ items: { properties: { p: { minimum: 'x' } } } }) }],
  ['items patternProperties entry invalid', { status: arr({ items: { patternProperties: { '^x': 5 } } }) }],
  ['items patternProperties key not a regular expression', { status: arr({ items: { patternProperties: { '(': str } } }) }, 'post', { unsupported: true }],
  ['items additionalProperties invalid', { status: arr({ items: { additionalProperties: 'x' } }) }],
  ['items propertyNames invalid', { status: arr({ items: { propertyNames: { maxLength: -1 } } }) }],
  ['items dependentSchemas entry invalid', { status: arr({ items: { dependentSchemas: { p: null } } }) }],
  ['items dependentRequired entry not an array', { status: arr({ items: { dependentRequired: { p: 'q' } } }) }],
  ['items dependentRequired entry not unique', { status: arr({ items: { dependentRequired: { p: ['q', 'q'] } } }) }],
  ['items dependencies entry neither schema nor string array', { status: arr({ items: { dependencies: { p: 5 } } }) }],
  ['items dependencies entry array with a number', { status: arr({ items: { dependencies: { p: ['q', 1] } } }) }],
  ['items dependencies entry valid', { status: arr({ items: { dependencies: { p: ['q'], r: str } } }) }],
  ['items required not unique', { status: arr({ items: { required: ['a', 'b', 'a'] } }) }],
  ['items required with a number', { status: arr({ items: { required: ['a', 1] } }) }],
  ['items prefixItems empty', { status: arr({ items: { prefixItems: [] } }) }],
  ['items unevaluatedItems invalid', { status: arr({ items: { unevaluatedItems: 1 } }) }],
  ['items unevaluatedProperties invalid', { status: arr({ items: { unevaluatedProperties: [] } }) }],
  ['items contentSchema invalid', { status: arr({ items: { contentSchema: 'x' } }) }],
  ['items nested contains invalid', { status: arr({ items: { contains: { contains: { maxContains: 1.5 } } } }) }],
  ['items maxProperties negative', { status: arr({ items: { maxProperties: -1 } }) }],
  ['items exclusiveMinimum not a number', { status: arr({ items: { exclusiveMinimum: '1' } }) }],
  ['items type list with an unknown type', { status: arr({ items: { anyOf: [{ type: ['string', 'date'] }] } }) }],
  ['meta-schema order: applicators before validation keywords', { status: arr({ items: { maxLength: 'x', anyOf: 5 } }) }],
  ['meta-schema order: core keywords first', { status: arr({ items: { anyOf: 5, $ref: 5 } }) }],
  ['meta-schema order: the meta-schema\'s own keywords last', { status: arr({ items: { definitions: 5, format: 5 } }) }],
  ['keywords Ajv does not know are valid here', { status: arr({ items: { $anchor: 'a', discriminator: {}, nullable: 'x', foo: 1 } }) }],
  ['compile errors are no reason to refuse here', { status: arr({ items: { format: 'email', if: str, enum: [] } }) }],
  ['$schema of draft 2020-12', { status: { $schema: 'https://json-schema.org/draft/2020-12/schema', type: 'string' } }],
  ['$schema of draft 2020-12 with an empty fragment', { status: { $schema: 'https://json-schema.org/draft/2020-12/schema#', type: 'string' } }],
  ['$schema of another draft', { status: { $schema: 'http://json-schema.org/draft-07/schema#', type: 'string' } }],
  ['$schema empty', { status: { $schema: '', type: 'string' } }],
  ['refused: items pattern with lookbehind', { status: arr({ items: { pattern: '(?<=a)b' } }) }, 'post', { unsupported: true }],
  ['refused: items pattern with a backreference', { status: arr({ items: { anyOf: [{ pattern: '(a)\\1' }] } }) }, 'post', { unsupported: true }],
  ['refused: contains pattern with \\p', { status: arr({ contains: { pattern: '\\p{L}' } }) }, 'post', { unsupported: true }],
  ['refused: $ref with percent-escapes before the fragment', { status: arr({ items: { $ref: 'other%2Ejson' } }) }, 'post', { unsupported: true }],
  ['refused: $id outside the supported subset', { status: arr({ items: { $id: 'urn:example:x' } }) }, 'post', { unsupported: true }],
  ['refused: second tag', { a: arr({ items: { pattern: '^a' } }), b: arr({ items: { pattern: '(?=a)' } }) }, 'post', { unsupported: true }],
  ['meta-schema errors before refusals', { a: arr({ items: { pattern: '(?=a)' } }), b: { minimum: 'x' } }, 'post', { unsupported: true }],
];

// ---------------------------------------------------------------------------
// random cases: rules built from the keywords tag schemas can use inside items and
// contains, with random tags, checked by the reference (a differential test of the Go
// code). The generator is seeded, so the file is reproducible. TAG_RANDOM_CASES,
// TAG_RANDOM_SEED and TAG_RANDOM_OUT (a file) make other sets, for example a large one
// to run the Go test on during development; TAG_RANDOM_UNSUPPORTED=1 also draws
// patterns the Go code refuses, and marks those cases.

function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SUPPORTED_PATTERNS = [
  '^[a-z]+$', '^\\d{3}-\\d{4}$', 'a|b', '^(foo|bar)baz', 'x*', '^$', '[^a-c]', '\\bab', '.', '^.$', '😀', '^[\\u0041-\\u005A]+$',
  '\\s', '\\S+', '^\\w+@\\w+\\.com$', '(?:ab)+c', '(?<n>a)b', '^a{2,3}$', 'a{0}', '[\\-]', '[a-]', '\\.', '^[😀-😂]$',
  '\\u{1F600}', '\\x41', '\\cJ', '\\0', '[\\b]', '^\\/', 'é', '[^]', '[]', 'a??b', '^(a|ab)(c|bcd)?$', '^\\W', '\\D', '[\\d.]+',
  '^[^\\s]*$', 'B$', '^\\u00e9', '[\\u{1F600}-\\u{1F64F}]', '(a|)+$', '^.{2}$', '\\t', '[\\^$]', '^-?\\d+(\\.\\d+)?$',
];
const UNSUPPORTED_PATTERNS = ['(?=a)', '(?<=a)b', '(a)\\1', '\\p{L}', '[', '(', 'a{2,1}', '\\k<n>', '\\-', 'a{1001}', '\\uD800', '(?i)a', '{', 'a**'];
const STRINGS = ['', 'a', 'abc', 'ABC', 'foo', 'bar', 'foobaz', '123-4567', 'ab here', 'x@y.com', '😀', 'é', 'a\nb', ' ', '\t', '\u00a0',
  '0', '1.5', '__proto__', 'constructor', 'ab', 'aab', 'aaa', 'abcd', 'z', '-', '/', '.', '\u2028', 'B', 'aB', 'abbcd', 'x'];
const NUMBERS = [0, 1, -1, 2, 3, 2.5, 0.1, 0.3, 1e21, 100, 7, 10, 1.5, -2.5, 5];
const GARBLE_KEYWORDS = ['type', 'enum', 'const', 'minimum', 'maxLength', 'pattern', 'items', 'prefixItems', 'contains', 'minContains',
  'anyOf', 'oneOf', 'allOf', 'not', 'if', 'then', 'properties', 'patternProperties', 'additionalProperties', 'required',
  'dependentRequired', 'dependencies', 'propertyNames', '$ref', '$id', '$anchor', '$dynamicRef', '$defs', 'definitions', 'uniqueItems',
  'multipleOf', 'format', 'title', 'examples', '$vocabulary', '$comment', 'unevaluatedItems', 'contentSchema', 'nullable', '$recursiveAnchor'];

function randomCases(count, seed, withUnsupported) {
  const rnd = mulberry32(seed);
  const int = (lo, hi) => lo + Math.floor(rnd() * (hi - lo + 1));
  const pick = (list) => list[Math.floor(rnd() * list.length)];
  const chance = (p) => rnd() < p;
  let usedUnsupported = false;
  const scalar = () => (chance(0.5) ? pick(STRINGS) : pick(NUMBERS));
  const pattern = () => {
    if (withUnsupported && chance(0.08)) {
      usedUnsupported = true;
      return pick(UNSUPPORTED_PATTERNS);
    }
    return pick(SUPPORTED_PATTERNS);
  };
  let tagNames = [];
  const refs = () => [
    '#', '#/properties/' + pick(tagNames), '#/properties/' + pick(tagNames) + '/items', '#/properties/' + pick(tagNames) + '/contains',
    '#/properties/' + pick(tagNames) + '/items/anyOf/0', '#/properties/' + pick(tagNames) + '/items/$defs/d', '#/nope', 'other.json',
    '#foo', '#/properties/' + pick(tagNames) + '/items/not', '#/additionalProperties', 'x', 'http://example.com/x#/$defs/d',
    'http://example.com/a/b', 'b#/$defs/d', 'http://example.com/c', '/d#/anyOf/0', 'f', 'g?q=1#/items', '//h/i', 'j/l', '#/properties/' + pick(tagNames) + '/items/$defs',
    'HTTP://EXAMPLE.COM/x', '#/properties/' + pick(tagNames) + '/%69tems', '#/properties/' + pick(tagNames) + '/items/prefixItems/0',
  ];
  const types = ['string', 'number', 'integer', 'boolean', 'null', 'array', 'object'];
  const keywordMakers = [
    [8, (s) => { s.type = chance(0.8) ? pick(types.slice(0, 3)) : [pick(types), pick(types)]; }],
    [6, (s) => { s.pattern = pattern(); }],
    [3, (s) => { s.minLength = int(0, 4); }],
    [3, (s) => { s.maxLength = int(0, 4); }],
    [3, (s) => { s[pick(['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum'])] = pick(NUMBERS); }],
    [1, (s) => { s.multipleOf = pick([1, 2, 0.5, 0.1, 3]); }],
    [2, (s) => { s.const = scalar(); }],
    [2, (s) => { s.enum = [scalar(), scalar()]; }],
    [4, (s, d) => { if (d > 0) s[pick(['anyOf', 'oneOf', 'allOf'])] = Array.from({ length: int(1, 3) }, () => sub(d - 1)); }],
    [2, (s, d) => { if (d > 0) s.not = sub(d - 1); }],
    [2, (s, d) => {
      if (d <= 0) return;
      s.if = sub(d - 1);
      if (chance(0.8)) s.then = sub(d - 1);
      if (chance(0.6)) s.else = sub(d - 1);
    }],
    [3, (s) => { s.$ref = chance(0.7) ? '@ref' : pick(refs()); }],
    [1, (s, d) => { if (d > 0) s.$defs = { d: sub(d - 1) }; }],
    [1, (s) => { s.$id = pick(['http://example.com/x', 'x', 'y/z', 'http://example.com/a/b', '../c', '/d', 'http://Example.COM:80/e', 'f#', 'g?q=1', '//h/i', 'j/./k/../l']); }],
    [0.1, (s) => { s.$anchor = 'foo'; }],
    [0.5, (s) => { s.$dynamicAnchor = 'foo'; }],
    [0.5, (s) => { s.$dynamicRef = pick(['#foo', '#bar', '#']); }],
    [1, (s, d) => { if (d > 0) s[pick(['items', 'contains'])] = sub(d - 1); }],
    [0.5, (s, d) => { if (d > 0) s.prefixItems = [sub(d - 1)]; }],
    [1, (s, d) => { if (d > 0) s.properties = { p: sub(d - 1) }; }],
    [0.5, (s) => { s.required = ['p']; }],
    [0.5, (s, d) => { if (d > 0) s.additionalProperties = chance(0.5) ? false : sub(d - 1); }],
    // Not the patterns with characters beyond U+FFFF: with "properties" alongside, Ajv
    // also runs them without the "u" flag, which the Go code refuses to model.
    [0.5, (s, d) => { if (d > 0) s.patternProperties = { [pick(SUPPORTED_PATTERNS.filter((p) => !/\\u\{|[\u{10000}-\u{10FFFF}]/u.test(p)))]: sub(d - 1) }; }],
    [0.1, (s) => { s.format = 'email'; }],
    [0.1, (s) => { s.foo = 1; }],
    [0.5, (s) => { if (s.type !== undefined) s.nullable = chance(0.8); }],
    [0.3, (s) => { s.minContains = 1; }],
    [1, (s) => { s[pick(['title', 'description', '$comment'])] = 'x'; }],
    [0.5, (s) => { s.default = scalar(); }],
    [0.5, (s) => { s.uniqueItems = true; }],
    [0.5, (s) => { s.minItems = int(0, 2); }],
    [0.3, (s) => { s.dependentRequired = { p: ['q'] }; }],
    [0.3, (s, d) => { if (d > 0) s.propertyNames = sub(d - 1); }],
    [0.3, (s, d) => { if (d > 0) s.unevaluatedItems = sub(d - 1); }],
    [0.3, (s, d) => { if (d > 0) s.unevaluatedProperties = chance(0.5) ? false : sub(d - 1); }],
    [0.05, (s) => { s.id = 'x'; }],
    [0.05, (s) => { s.$async = true; }],
    // a keyword with a value of any type, which the meta-schema may reject
    [0.6, (s) => { s[pick(GARBLE_KEYWORDS)] = garble(); }],
  ];
  function garble() {
    switch (int(0, 7)) {
      case 0: return scalar();
      case 1: return chance(0.5);
      case 2: return null;
      case 3: return [];
      case 4: return [scalar(), chance(0.5) ? scalar() : {}];
      case 5: return {};
      case 6: return { k: scalar() };
      default: return -int(0, 3) + 0.5 * int(0, 1);
    }
  }
  const totalWeight = keywordMakers.reduce((n, [w]) => n + w, 0);
  function sub(d) {
    if (chance(0.05)) return chance(0.7);
    const s = {};
    for (let i = int(1, 3); i > 0; i--) {
      let x = rnd() * totalWeight;
      for (const [w, make] of keywordMakers) {
        if ((x -= w) < 0) {
          make(s, d);
          break;
        }
      }
    }
    return s;
  }
  function top() {
    switch (int(0, 5)) {
      case 0: case 1: case 2: {
        const s = { type: 'array', items: sub(2) };
        if (chance(0.3)) s.contains = sub(1);
        if (chance(0.2)) s.uniqueItems = true;
        if (chance(0.2)) s.minItems = int(0, 2);
        if (s.contains && chance(0.3)) s.maxContains = int(1, 2);
        if (chance(0.15)) delete s.items;
        return s;
      }
      case 3: return { type: pick(['string', 'number', 'integer']), ...sub(0) };
      case 4: return sub(2);
      default: return { type: pick(['string', 'number', 'boolean', 'array']) };
    }
  }
  function value(schema) {
    // Mostly of the tag schema's type, as clients send them.
    const type = schema && typeof schema === 'object' ? schema.type : undefined;
    if (type === 'array' && chance(0.85)) {
      return Array.from({ length: int(1, 4) }, chance(0.5) ? () => pick(STRINGS) : () => pick(NUMBERS));
    }
    if (type === 'string' && chance(0.8)) return pick(STRINGS);
    if ((type === 'number' || type === 'integer') && chance(0.8)) return pick(NUMBERS);
    const r = rnd();
    if (r < 0.3) return pick(STRINGS);
    if (r < 0.5) return pick(NUMBERS);
    if (r < 0.55) return chance(0.5);
    if (r < 0.75) return Array.from({ length: int(1, 4) }, () => pick(STRINGS));
    if (r < 0.93) return Array.from({ length: int(1, 4) }, () => pick(NUMBERS));
    return pick([[], [['a']], { k: 'v' }, [1, 'a'], null]);
  }
  const cases = [];
  for (let n = 0; n < count; n++) {
    usedUnsupported = false;
    tagNames = ['a', 'b', 'status', '10', 'x y'].slice(0, int(1, 3));
    const rule = {};
    for (const t of tagNames) rule[t] = top();
    if (chance(0.2)) rule.$requiredTags = [pick(tagNames)];
    if (chance(0.2)) rule.$allowUndefinedTags = true;
    const tags = {};
    for (const t of tagNames) if (chance(0.9)) tags[t] = value(rule[t]);
    if (chance(0.1)) tags.extra = value();
    // "@ref" stands for a reference to a schema of the rule (from the root {type,
    // properties: the tags, …}), or sometimes the root itself.
    const pointers = ['#'];
    const collect = (v, ptr) => {
      if (v === null || typeof v !== 'object') return;
      if (!Array.isArray(v)) pointers.push(ptr);
      for (const [k, e] of Object.entries(v)) collect(e, ptr + '/' + k.replace(/~/g, '~0').replace(/\//g, '~1'));
    };
    for (const t of tagNames) collect(rule[t], '#/properties/' + t.replace(/ /g, '%20'));
    const fill = (v) => {
      if (v === null || typeof v !== 'object') return;
      for (const [k, e] of Object.entries(v)) {
        if (k === '$ref' && e === '@ref') v[k] = pick(pointers);
        else fill(e);
      }
    };
    fill(rule);
    const orderedRule = cborOrder(rule);
    const orderedTags = canonical(tags);
    const descriptor = { protocol: P, protocolPath: 'post', tags: orderedTags };
    const got = outcome(() => ProtocolAuthorization.verifyTagsIfNeeded({ message: { descriptor } }, { $tags: orderedRule }));
    const conf = outcome(() => ProtocolsConfigure.validateRuleSetRecursively({ ruleSet: { $tags: canonical(rule) }, ruleSetProtocolPath: 'post', recordTypes: [], roles: [] }));
    const v = { name: `random ${seed}/${n}`, rule: orderedRule, tags: orderedTags };
    if (usedUnsupported) v.unsupported = true;
    v.configure = conf.ok ? { ok: true } : { detail: conf.detail };
    v.want = got.ok ? { ok: true } : { detail: got.detail };
    cases.push(v);
  }
  return cases;
}

// ---------------------------------------------------------------------------
// run

function verifyOne([name, rule, tags, protocolPath = 'post', { unsupported = false } = {}]) {
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
  if (unsupported) v.unsupported = true;
  v.want = got.ok ? { ok: true } : { detail: got.detail };
  return v;
}

function schemaOne([name, tags, ruleSetPath = 'post', { unsupported = false } = {}]) {
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

for (const list of [verifyCases, [...schemaCases, ...itemSchemaCases]]) {
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
  'unsupported: the Go code refuses the tag schema at configure time (a pattern it does not translate). want.detail is the reply\'s status.detail (400).',
  [...schemaCases, ...itemSchemaCases].map(schemaOne));

const randomCount = Number(process.env.TAG_RANDOM_CASES ?? 400);
const randomSeed = Number(process.env.TAG_RANDOM_SEED ?? 20240501);
const randomDoc = {
  reference: REFERENCE,
  ajv: `ajv@${ajvVersion}`,
  name: 'tags-random',
  description: 'Random $tags rules and tags (seeded, see randomCases): want is verifyTagsIfNeeded\'s outcome with the rule in dag-cbor key order, ' +
    'configure is validateRuleSetRecursively\'s outcome on the same $tags in Go map order. unsupported: the rule uses a pattern the Go code refuses.',
  generator: 'conformance/gen-tag-vectors.mjs',
  cases: randomCases(randomCount, randomSeed, process.env.TAG_RANDOM_UNSUPPORTED === '1'),
};
const randomOut = process.env.TAG_RANDOM_OUT ?? path.join(OUT, 'tags-random.json');
writeFileSync(randomOut, JSON.stringify(randomDoc, null, 2) + '\n');
console.log(`${path.basename(randomOut)}: ${randomDoc.cases.length} cases`);

// ---------------------------------------------------------------------------
// patterns: random JavaScript regular expressions, as Ajv compiles them (new RegExp(p,
// "u")), with strings to test. valid: JavaScript accepts the pattern; matches: test's
// answer per string. The Go code may refuse a valid pattern, but must never accept an
// invalid one, and must answer as JavaScript does for every pattern it accepts.

function randomPatterns(count, seed) {
  const rnd = mulberry32(seed);
  const int = (lo, hi) => lo + Math.floor(rnd() * (hi - lo + 1));
  const pick = (list) => list[Math.floor(rnd() * list.length)];
  const atoms = [
    'a', 'b', 'c', 'é', '😀', '-', '.', '\\.', '\\d', '\\D', '\\w', '\\W', '\\s', '\\S', '\\n', '\\t', '\\x41', '\\u00e9',
    '\\u{1F600}', '\\uD83D\\uDE00', '\\cJ', '\\0', '\\/', '\\-', '\\p{L}', '\\1', '[abc]', '[^abc]', '[a-c]', '[\\d-]',
    '[\\w.]', '[^]', '[]', '[😀-😂]', '[\\b]', '[\\s\\S]', '[-a]', '[a-]', '[z-a]', '[\\d-z]', ' ', '\\b', '\\B', '^', '$',
    '(?=a)', '(?<=a)', '{', '}', ']', ')', '\\u{110000}', '\\uD800', '\\k<x>', '\\', '\\e',
  ];
  const quants = ['', '', '', '*', '+', '?', '*?', '+?', '??', '{2}', '{1,3}', '{2,}', '{0}', '{3,1}', '{1001}', '{,2}'];
  const gen = (d) => {
    let out = '';
    for (let n = int(1, 4); n > 0; n--) {
      const r = rnd();
      if (d > 0 && r < 0.15) out += pick(['(', '(?:', '(?<g' + int(0, 9) + '>']) + gen(d - 1) + ')' + pick(quants);
      else if (d > 0 && r < 0.22) out += gen(d - 1) + '|' + gen(d - 1);
      else out += pick(atoms) + pick(quants);
    }
    return out;
  };
  const alphabet = ['a', 'b', 'c', 'z', 'A', 'é', '😀', '😁', '-', '.', '1', '9', ' ', '\n', '\t', '\u00a0', '\u2028', '_', '/', '\u0000', 'aa', 'abc'];
  const cases = [];
  for (let n = 0; n < count; n++) {
    const pattern = gen(2);
    let re;
    try {
      re = new RegExp(pattern, 'u');
    } catch {
      cases.push({ pattern, valid: false });
      continue;
    }
    const strings = Array.from({ length: 8 }, () => Array.from({ length: int(0, 5) }, () => pick(alphabet)).join(''));
    cases.push({ pattern, valid: true, strings, matches: strings.map((s) => re.test(s)) });
  }
  return cases;
}

const patternCount = Number(process.env.TAG_PATTERN_CASES ?? 1500);
const patternDoc = {
  reference: REFERENCE,
  ajv: `ajv@${ajvVersion}`,
  name: 'tags-patterns',
  description: 'Random JavaScript regular expressions (seeded, see randomPatterns) as Ajv compiles patterns: new RegExp(pattern, "u"). ' +
    'valid: JavaScript accepts the pattern; matches[i]: RegExp.prototype.test(strings[i]).',
  generator: 'conformance/gen-tag-vectors.mjs',
  cases: randomPatterns(patternCount, Number(process.env.TAG_PATTERN_SEED ?? 7)),
};
const patternOut = process.env.TAG_PATTERN_OUT ?? path.join(OUT, 'tags-patterns.json');
writeFileSync(patternOut, JSON.stringify(patternDoc, null, 2) + '\n');
console.log(`${path.basename(patternOut)}: ${patternDoc.cases.length} cases`);
