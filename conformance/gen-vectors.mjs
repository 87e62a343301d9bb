#!/usr/bin/env node
// Generates conformance vectors by running scenarios against an in-process
// reference DWN (@tbd54566975/dwn-sdk-js 0.5.2) and recording its replies.
//
//   node gen-vectors.mjs [--out DIR] [--only NAME[,NAME...]]
//
// Every scenario uses its own tenant DIDs, so all vector files can be replayed
// against one server in any order. Personas are deterministic did:key DIDs
// derived from fixed Ed25519 seeds (sha256 of "<scenario>/<persona>") and all
// timestamps are fixed, so regenerating gives byte-identical files.

import { createHash, createPrivateKey } from 'node:crypto';
import { mkdtempSync, mkdirSync, readFileSync, readdirSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import {
  Cid,
  DataStoreLevel,
  DataStream,
  Dwn,
  EventLogLevel,
  Message,
  MessageStoreLevel,
  PermissionGrant,
  PermissionsProtocol,
  PrivateKeySigner,
  ProtocolsConfigure,
  ProtocolsQuery,
  RecordsDelete,
  RecordsQuery,
  RecordsRead,
  RecordsWrite,
  ResumableTaskStoreLevel,
  Time,
} from '@tbd54566975/dwn-sdk-js';
import { DidKey } from '@web5/dids';

const REFERENCE = '@tbd54566975/dwn-sdk-js@0.5.2';
const HERE = path.dirname(fileURLToPath(import.meta.url));

// ---------------------------------------------------------------------------
// small helpers

const B58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
function base58btc(bytes) {
  let n = BigInt('0x' + Buffer.from(bytes).toString('hex'));
  let out = '';
  while (n > 0n) {
    out = B58[Number(n % 58n)] + out;
    n /= 58n;
  }
  for (const b of bytes) {
    if (b !== 0) break;
    out = '1' + out;
  }
  return out;
}

const b64url = (bytes) => Buffer.from(bytes).toString('base64url');
const clone = (v) => JSON.parse(JSON.stringify(v));
const utf8 = (s) => new TextEncoder().encode(s);

/** Deterministic bytes: n bytes of ((i + salt) mod 251). */
function detBytes(n, salt = 0) {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i + salt) % 251;
  return out;
}

/** DWN timestamp (exactly 6 fractional digits) `seconds` after 2024-01-01T00:00:00Z. */
function timestamp(seconds) {
  const iso = new Date(Date.UTC(2024, 0, 1) + seconds * 1000).toISOString(); // …T00:00:00.000Z
  return iso.replace(/\.(\d{3})Z$/, '.$1000Z');
}

/** A did:key persona built from a fixed Ed25519 seed. */
async function makePersona(label) {
  const seed = createHash('sha256').update(`dwn-ipfs conformance persona ${label}`).digest();
  const pkcs8 = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed]);
  const jwk = createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' }).export({ format: 'jwk' });
  const publicKey = Buffer.from(jwk.x, 'base64url');
  const did = 'did:key:z' + base58btc(Buffer.concat([Buffer.from([0xed, 0x01]), publicKey]));
  // Cross-check with @web5/dids: the key id must be the one the resolver hands out.
  const { didDocument } = await DidKey.resolve(did);
  const method = await DidKey.getSigningMethod({ didDocument });
  if (method.publicKeyJwk.x !== jwk.x) throw new Error(`did:key derivation mismatch for ${label}`);
  const privateJwk = { kty: 'OKP', crv: 'Ed25519', x: jwk.x, d: jwk.d, alg: 'EdDSA' };
  const keyId = method.id;
  return {
    did,
    keyId,
    keyPair: { publicJwk: method.publicKeyJwk, privateJwk },
    signer: new PrivateKeySigner({ privateJwk, keyId, algorithm: 'EdDSA' }),
  };
}

/** Flips one bit in the middle of a base64url string's decoded bytes. */
function flipBase64url(s) {
  const bytes = Buffer.from(s, 'base64url');
  bytes[bytes.length >> 1] ^= 0x01;
  return bytes.toString('base64url');
}

async function replyToJson(reply) {
  const out = { ...reply };
  if (out.entry !== undefined) {
    out.entry = { ...out.entry };
    if (out.entry.data !== undefined) {
      const bytes = await DataStream.toBytes(out.entry.data);
      delete out.entry.data;
      out.entry.dataBase64url = b64url(bytes);
    }
  }
  if (out.subscription !== undefined) {
    out.subscription = { ...out.subscription };
    delete out.subscription.close;
  }
  return clone(out);
}

// ---------------------------------------------------------------------------
// scenario recorder

class Scenario {
  constructor(dwn, name, description) {
    this.dwn = dwn;
    this.name = name;
    this.description = description;
    this.steps = [];
    this.seconds = 0;
  }

  persona(label) {
    return makePersona(`${this.name}/${label}`);
  }

  /** Next timestamp; strictly increasing within the scenario. */
  ts(advance = 1) {
    this.seconds += advance;
    return timestamp(this.seconds);
  }

  /**
   * Sends `message` (+ optional data) to the reference DWN and records the step.
   * `expect` is the status code the scenario author intends; a different reply aborts generation.
   * `ids` (optional) asserts the recordIds of the reply entries, in order.
   * `dwnd` (optional) records a documented difference: what dwnd answers instead
   * ({status, code, why}; see docs/compatibility.md). Such a step must not change state
   * that later steps look at.
   */
  async step(name, tenant, message, { data, expect, ids, cursor, dwnd } = {}) {
    const sent = clone(message);
    const options = data !== undefined ? { dataStream: DataStream.fromBytes(data) } : {};
    const reply = await this.dwn.processMessage(tenant, clone(sent), options);
    const json = await replyToJson(reply);
    const where = `${this.name} / ${name}`;
    if (expect !== undefined && json.status.code !== expect) {
      throw new Error(`${where}: expected ${expect}, reference replied ${json.status.code} ${json.status.detail}`);
    }
    if (ids !== undefined) {
      const got = (json.entries ?? []).map((e) => e.recordId);
      if (JSON.stringify(got) !== JSON.stringify(ids)) {
        throw new Error(`${where}: expected entries ${JSON.stringify(ids)}, reference replied ${JSON.stringify(got)}`);
      }
    }
    if (cursor !== undefined && (json.cursor !== undefined) !== cursor) {
      throw new Error(`${where}: expected cursor ${cursor ? 'present' : 'absent'}, reference disagrees`);
    }
    const step = { name, tenant, message: sent };
    if (data !== undefined) step.data = b64url(data);
    step.expect = { status: json.status.code, detail: json.status.detail, reply: json };
    if (dwnd !== undefined) step.dwnd = dwnd;
    this.steps.push(step);
    return json;
  }

  toJSON() {
    return { reference: REFERENCE, name: this.name, description: this.description, steps: this.steps };
  }
}

// ---------------------------------------------------------------------------
// message builders with fixed timestamps

async function write(s, author, opts) {
  const ts = opts.messageTimestamp ?? s.ts();
  const input = { dataFormat: 'text/plain', ...opts, signer: author.signer, messageTimestamp: ts };
  if (input.dateCreated === undefined && input.recordId === undefined) input.dateCreated = ts;
  if (input.published === true && input.datePublished === undefined) input.datePublished = ts;
  return RecordsWrite.create(input);
}

async function update(s, author, recordsWrite, opts = {}) {
  const ts = opts.messageTimestamp ?? s.ts();
  const input = { ...opts, recordsWriteMessage: recordsWrite.message, signer: author.signer, messageTimestamp: ts };
  if (input.published === true && input.datePublished === undefined) input.datePublished = ts;
  return RecordsWrite.createFrom(input);
}

async function query(s, signer, filter, extra = {}) {
  const q = await RecordsQuery.create({ filter, messageTimestamp: s.ts(), signer: signer?.signer, ...extra });
  return q.message;
}

async function read(s, signer, filter, extra = {}) {
  const r = await RecordsRead.create({ filter, messageTimestamp: s.ts(), signer: signer?.signer, ...extra });
  return r.message;
}

async function del(s, signer, recordId, extra = {}) {
  const d = await RecordsDelete.create({ recordId, messageTimestamp: s.ts(), signer: signer.signer, prune: false, ...extra });
  return d.message;
}

/** Signs an arbitrary descriptor (for messages the SDK's create() refuses to build). */
async function signedRaw(author, descriptor) {
  const authorization = await Message.createAuthorization({ descriptor, signer: author.signer });
  return { descriptor, authorization };
}

async function missingRecordId(label) {
  return Cid.computeCid({ missing: label });
}

const SCHEMA_POST = 'https://example.com/schemas/post';
const SCHEMA_NOTE = 'https://example.com/schemas/note';

// ---------------------------------------------------------------------------
// scenarios

const scenarios = [];
const scenario = (name, description, fn) => scenarios.push({ name, description, fn });

scenario('records-write-basic',
  'Flat RecordsWrite with inline data (<= 30000 bytes) and with data just above the inline threshold; owner reads and queries them.',
  async (s) => {
    const alice = await s.persona('alice');
    const hello = await write(s, alice, { data: utf8('hello'), schema: SCHEMA_POST });
    await s.step('alice writes 5 bytes', alice.did, hello.message, { data: utf8('hello'), expect: 202 });
    const d30000 = detBytes(30000);
    const w30000 = await write(s, alice, { data: d30000, dataFormat: 'application/octet-stream', schema: SCHEMA_POST });
    await s.step('alice writes exactly 30000 bytes (inline limit)', alice.did, w30000.message, { data: d30000, expect: 202 });
    const d30001 = detBytes(30001);
    const w30001 = await write(s, alice, { data: d30001, dataFormat: 'application/octet-stream', schema: SCHEMA_POST });
    await s.step('alice writes 30001 bytes (data store)', alice.did, w30001.message, { data: d30001, expect: 202 });
    await s.step('alice re-sends the identical first write -> 409', alice.did, hello.message, { data: utf8('hello'), expect: 409 });
    await s.step('owner query returns encodedData only for records <= 30000 bytes', alice.did,
      await query(s, alice, { schema: SCHEMA_POST }),
      { expect: 200, ids: [hello.message.recordId, w30000.message.recordId, w30001.message.recordId] });
    await s.step('owner reads the 5-byte record', alice.did, await read(s, alice, { recordId: hello.message.recordId }), { expect: 200 });
    await s.step('owner reads the 30001-byte record', alice.did, await read(s, alice, { recordId: w30001.message.recordId }), { expect: 200 });
  });

scenario('records-write-large-data',
  'RecordsWrite with 300000 bytes of data (two 262144-byte chunks, dag-pb dataCid); read back; update without data keeps it.',
  async (s) => {
    const alice = await s.persona('alice');
    const data = detBytes(300000, 7);
    const w = await write(s, alice, { data, dataFormat: 'application/octet-stream' });
    await s.step('alice writes 300000 bytes', alice.did, w.message, { data, expect: 202 });
    await s.step('owner query: entry without encodedData', alice.did,
      await query(s, alice, { dataFormat: 'application/octet-stream' }), { expect: 200, ids: [w.message.recordId] });
    await s.step('owner reads 300000 bytes back', alice.did, await read(s, alice, { recordId: w.message.recordId }), { expect: 200 });
    const u = await update(s, alice, w, { tags: { revision: 2 } });
    await s.step('update without data (same dataCid) -> 202', alice.did, u.message, { expect: 202 });
    await s.step('read after update returns the same bytes and initialWrite', alice.did,
      await read(s, alice, { recordId: w.message.recordId }), { expect: 200 });
    const data2 = detBytes(300000, 11);
    const u2 = await update(s, alice, u, { data: data2 });
    await s.step('update with new 300000-byte data -> 202', alice.did, u2.message, { data: data2, expect: 202 });
    await s.step('read returns the new data', alice.did, await read(s, alice, { recordId: w.message.recordId }), { expect: 200 });
  });

scenario('records-write-initial-without-data',
  'Initial write without data is accepted with 204 but is neither queryable nor readable; re-sending it with data is a conflict; a newer write with data makes the record live.',
  async (s) => {
    const alice = await s.persona('alice');
    const data = utf8('data that arrives later');
    const w = await write(s, alice, { data });
    await s.step('initial write without data -> 204', alice.did, w.message, { expect: 204 });
    await s.step('query does not see the data-less record', alice.did, await query(s, alice, { recordId: w.message.recordId }), { expect: 200, ids: [] });
    await s.step('read of the data-less record -> 404', alice.did, await read(s, alice, { recordId: w.message.recordId }), { expect: 404 });
    await s.step('same initial write again, now with data -> 409', alice.did, w.message, { data, expect: 409 });
    const u = await update(s, alice, w, { data });
    await s.step('newer write with data -> 202', alice.did, u.message, { data, expect: 202 });
    await s.step('query now returns the record with initialWrite', alice.did,
      await query(s, alice, { recordId: w.message.recordId }), { expect: 200, ids: [w.message.recordId] });
    await s.step('read returns data and initialWrite', alice.did, await read(s, alice, { recordId: w.message.recordId }), { expect: 200 });
    const big = detBytes(40000, 3);
    const w2 = await write(s, alice, { data: big, dataFormat: 'application/octet-stream' });
    await s.step('large initial write without data -> 204', alice.did, w2.message, { expect: 204 });
    const u2 = await update(s, alice, w2, {});
    await s.step('newer write without data when no data was ever stored -> 400', alice.did, u2.message, { expect: 400 });
  });

scenario('records-write-update',
  'Updates of a flat record (newer messageTimestamp) with and without data; older or identical updates conflict.',
  async (s) => {
    const alice = await s.persona('alice');
    const v1 = utf8('version 1');
    const w = await write(s, alice, { data: v1, schema: SCHEMA_NOTE, tags: { state: 'draft' } });
    await s.step('initial write', alice.did, w.message, { data: v1, expect: 202 });
    const v2 = utf8('version 2, longer');
    const u1 = await update(s, alice, w, { data: v2, tags: { state: 'review' } });
    await s.step('update with new data -> 202', alice.did, u1.message, { data: v2, expect: 202 });
    const u2 = await update(s, alice, u1, { published: true, tags: { state: 'final' } });
    await s.step('update without data (publish, retag) -> 202', alice.did, u2.message, { expect: 202 });
    await s.step('query shows latest state with initialWrite and encodedData', alice.did,
      await query(s, alice, { schema: SCHEMA_NOTE }), { expect: 200, ids: [w.message.recordId] });
    await s.step('query by the new tag value matches', alice.did,
      await query(s, alice, { tags: { state: 'final' } }), { expect: 200, ids: [w.message.recordId] });
    await s.step('query by an old tag value does not match', alice.did,
      await query(s, alice, { tags: { state: 'draft' } }), { expect: 200, ids: [] });
    await s.step('read shows latest data and initialWrite', alice.did, await read(s, alice, { recordId: w.message.recordId }), { expect: 200 });
    await s.step('re-sending the older update -> 409', alice.did, u1.message, { data: v2, expect: 409 });
    await s.step('re-sending the initial write -> 409', alice.did, w.message, { data: v1, expect: 409 });
    const stale = await update(s, alice, u2, { data: utf8('stale'), messageTimestamp: timestamp(2) });
    await s.step('update with a timestamp older than the latest -> 409', alice.did, stale.message, { data: utf8('stale'), expect: 409 });
  });

scenario('records-write-update-immutable',
  'Updates that change an immutable descriptor property are rejected with 400.',
  async (s) => {
    const alice = await s.persona('alice');
    const bob = await s.persona('bob');
    const data = utf8('immutable test');
    const w = await write(s, alice, { data, schema: SCHEMA_POST, recipient: bob.did });
    await s.step('initial write', alice.did, w.message, { data, expect: 202 });
    const base = { recordId: w.message.recordId, dateCreated: w.message.descriptor.dateCreated, data };
    const schemaChanged = await write(s, alice, { ...base, schema: SCHEMA_NOTE, recipient: bob.did });
    await s.step('update changing schema -> 400', alice.did, schemaChanged.message, { data, expect: 400 });
    const recipientChanged = await write(s, alice, { ...base, schema: SCHEMA_POST, recipient: alice.did });
    await s.step('update changing recipient -> 400', alice.did, recipientChanged.message, { data, expect: 400 });
    const recipientRemoved = await write(s, alice, { ...base, schema: SCHEMA_POST });
    await s.step('update removing recipient -> 400', alice.did, recipientRemoved.message, { data, expect: 400 });
    const dateChanged = await write(s, alice, { ...base, schema: SCHEMA_POST, recipient: bob.did, dateCreated: timestamp(0) });
    await s.step('update changing dateCreated -> 400', alice.did, dateChanged.message, { data, expect: 400 });
    const okUpdate = await write(s, alice, { ...base, schema: SCHEMA_POST, recipient: bob.did, dataFormat: 'text/markdown' });
    await s.step('update changing only mutable dataFormat -> 202', alice.did, okUpdate.message, { data, expect: 202 });
    const unknown = await write(s, alice, { recordId: await missingRecordId(`${s.name}/unknown`), dateCreated: timestamp(0), data });
    await s.step('non-initial write of an unknown record -> 400', alice.did, unknown.message, { data, expect: 400 });
  });

scenario('records-write-after-delete',
  'A deleted record cannot be written again.',
  async (s) => {
    const alice = await s.persona('alice');
    const data = utf8('soon deleted');
    const w = await write(s, alice, { data });
    await s.step('initial write', alice.did, w.message, { data, expect: 202 });
    await s.step('delete (prune false) -> 202', alice.did, await del(s, alice, w.message.recordId), { expect: 202 });
    const u = await update(s, alice, w, { data: utf8('resurrect') });
    await s.step('newer write after delete -> 400', alice.did, u.message, { data: utf8('resurrect'), expect: 400 });
    await s.step('re-sending the initial write after delete -> 409', alice.did, w.message, { data, expect: 409 });
  });

scenario('records-write-conflict',
  'Two updates with the same messageTimestamp: the message with the larger CID wins regardless of arrival order.',
  async (s) => {
    const alice = await s.persona('alice');
    // record 1: smaller CID first, then larger CID
    for (const order of ['smaller-first', 'larger-first']) {
      const data = utf8(`conflict base ${order}`);
      const w = await write(s, alice, { data });
      await s.step(`${order}: initial write`, alice.did, w.message, { data, expect: 202 });
      const ts = s.ts();
      const a = await update(s, alice, w, { data: utf8('candidate A'), messageTimestamp: ts });
      const b = await update(s, alice, w, { data: utf8('candidate B'), messageTimestamp: ts });
      const [cidA, cidB] = [await Message.getCid(a.message), await Message.getCid(b.message)];
      const [small, large] = cidA < cidB ? [[a, 'candidate A'], [b, 'candidate B']] : [[b, 'candidate B'], [a, 'candidate A']];
      if (order === 'smaller-first') {
        await s.step(`${order}: same timestamp, smaller CID -> 202`, alice.did, small[0].message, { data: utf8(small[1]), expect: 202 });
        await s.step(`${order}: same timestamp, larger CID -> 202`, alice.did, large[0].message, { data: utf8(large[1]), expect: 202 });
      } else {
        await s.step(`${order}: same timestamp, larger CID -> 202`, alice.did, large[0].message, { data: utf8(large[1]), expect: 202 });
        await s.step(`${order}: same timestamp, smaller CID -> 409`, alice.did, small[0].message, { data: utf8(small[1]), expect: 409 });
      }
      await s.step(`${order}: read returns the larger-CID data`, alice.did, await read(s, alice, { recordId: w.message.recordId }), { expect: 200 });
    }
  });

scenario('records-write-data-integrity',
  'Data that does not match descriptor.dataCid / dataSize is rejected with 400, for inline and data-store sized data and for data-less updates.',
  async (s) => {
    const alice = await s.persona('alice');
    const real = utf8('the real data');
    const other = utf8('other data!!!'); // same length
    const cidMismatch = await write(s, alice, { data: real });
    await s.step('dataCid mismatch (inline) -> 400', alice.did, cidMismatch.message, { data: other, expect: 400 });
    const realCid = await Cid.computeDagPbCidFromBytes(real);
    const sizeMismatch = await write(s, alice, { dataCid: realCid, dataSize: real.length + 1 });
    await s.step('dataSize mismatch (inline) -> 400', alice.did, sizeMismatch.message, { data: real, expect: 400 });
    const big = detBytes(40000, 1);
    const bigOther = detBytes(40000, 2);
    const bigMismatch = await write(s, alice, { data: big, dataFormat: 'application/octet-stream' });
    await s.step('dataCid mismatch (data store) -> 400', alice.did, bigMismatch.message, { data: bigOther, expect: 400 });
    const bigCid = await Cid.computeDagPbCidFromBytes(big);
    const bigSize = await write(s, alice, { dataCid: bigCid, dataSize: big.length - 1, dataFormat: 'application/octet-stream' });
    await s.step('dataSize mismatch (data store) -> 400', alice.did, bigSize.message, { data: big, expect: 400 });
    const w = await write(s, alice, { data: real });
    await s.step('valid write', alice.did, w.message, { data: real, expect: 202 });
    const otherCid = await Cid.computeDagPbCidFromBytes(other);
    const steal = await write(s, alice, { recordId: w.message.recordId, dateCreated: w.message.descriptor.dateCreated, dataCid: otherCid, dataSize: other.length });
    await s.step('update without data whose dataCid differs from the stored one -> 400', alice.did, steal.message, { expect: 400 });
    await s.step('the record still reads with its original data', alice.did, await read(s, alice, { recordId: w.message.recordId }), { expect: 200 });
  });

scenario('records-write-authentication',
  'Signature and descriptor tampering, and writes signed by a DID other than the tenant.',
  async (s) => {
    const alice = await s.persona('alice');
    const bob = await s.persona('bob');
    const data = utf8('auth test');
    const w = await write(s, alice, { data });
    const tampered = clone(w.message);
    tampered.descriptor.dataFormat = 'text/html';
    await s.step('tampered descriptor -> 400 AuthenticateDescriptorCidMismatch', alice.did, tampered, { data, expect: 400 });
    const badSig = clone(w.message);
    badSig.authorization.signature.signatures[0].signature = flipBase64url(badSig.authorization.signature.signatures[0].signature);
    await s.step('flipped signature bits -> 401', alice.did, badSig, { data, expect: 401 });
    const bobsWrite = await write(s, bob, { data });
    await s.step('bob-signed write to alice\'s DWN -> 401', alice.did, bobsWrite.message, { data, expect: 401 });
    await s.step('the same bob-signed write to bob\'s own DWN -> 202', bob.did, bobsWrite.message, { data, expect: 202 });
    await s.step('alice-signed write to alice\'s DWN -> 202', alice.did, w.message, { data, expect: 202 });
    const noAuth = clone(w.message);
    delete noAuth.authorization;
    await s.step('RecordsWrite without authorization -> 400', alice.did, noAuth, { data, expect: 400 });
    const q = await query(s, bob, { dataFormat: 'text/plain' });
    const badQuerySig = clone(q);
    badQuerySig.authorization.signature.signatures[0].signature = flipBase64url(badQuerySig.authorization.signature.signatures[0].signature);
    await s.step('RecordsQuery with flipped signature bits -> 401', alice.did, badQuerySig, { expect: 401 });
  });

scenario('records-write-schema-validation',
  'Messages rejected by JSON Schema validation or interface/method dispatch (400).',
  async (s) => {
    const alice = await s.persona('alice');
    const data = utf8('schema test');
    const w = await write(s, alice, { data });
    const extra = { ...clone(w.message), extra: 'not allowed' };
    await s.step('extra top-level property -> 400', alice.did, extra, { data, expect: 400 });
    const withEncoded = { ...clone(w.message), encodedData: b64url(data) };
    await s.step('encodedData on an incoming RecordsWrite -> 400', alice.did, withEncoded, { expect: 400 });
    const extraDescriptor = clone(w.message);
    extraDescriptor.descriptor.color = 'blue';
    await s.step('extra descriptor property -> 400', alice.did, extraDescriptor, { data, expect: 400 });
    const badTimestamp = clone(w.message);
    badTimestamp.descriptor.messageTimestamp = '2024-01-01T00:00:01.00000Z';
    await s.step('timestamp with 5 fractional digits -> 400', alice.did, badTimestamp, { data, expect: 400 });
    const publishedNoDate = clone(w.message);
    publishedNoDate.descriptor.published = true;
    await s.step('published true without datePublished -> 400', alice.did, publishedNoDate, { data, expect: 400 });
    await s.step('unknown interface/method EventsQuery -> 400', alice.did,
      { descriptor: { interface: 'Events', method: 'Query', messageTimestamp: s.ts(), filters: [] } }, { expect: 400 });
    await s.step('descriptor without method -> 400', alice.did,
      { descriptor: { interface: 'Records', messageTimestamp: s.ts() } }, { expect: 400 });
    const q = await query(s, alice, { dataFormat: 'text/plain' });
    const emptyFilter = clone(q);
    emptyFilter.descriptor.filter = {};
    await s.step('RecordsQuery with an empty filter -> 400', alice.did, emptyFilter, { expect: 400 });
    await s.step('the valid write is still accepted -> 202', alice.did, w.message, { data, expect: 202 });
  });

// Shared data set for the query scenarios. Returns the records in creation order.
async function seedQueryRecords(s, alice, bob, carol) {
  const recs = {};
  const put = async (key, author, opts, data) => {
    const w = await write(s, author, { ...opts, data });
    if (author !== alice) await w.signAsOwner(alice.signer);
    await s.step(`seed ${key}`, alice.did, w.message, { data, expect: 202 });
    recs[key] = w.message;
  };
  await put('r1 (post, published, text/plain, 10 bytes)', alice,
    { schema: SCHEMA_POST, published: true, tags: { status: 'draft', priority: 1, label: 'alpha' } }, detBytes(10, 1));
  await put('r2 (post, unpublished, to bob, json, 20 bytes)', alice,
    { schema: SCHEMA_POST, recipient: bob.did, dataFormat: 'application/json', tags: { status: 'final', priority: 3, label: 'beta' } },
    utf8('{"n":"twenty bytes"}'));
  await put('r3 (note, unpublished, text/plain, 40 bytes)', alice,
    { schema: SCHEMA_NOTE, tags: { status: 'draft', priority: 5, label: 'alphabet' } }, detBytes(40, 3));
  await put('r4 (note, published, to carol, json, 80 bytes)', alice,
    { schema: SCHEMA_NOTE, published: true, recipient: carol.did, dataFormat: 'application/json', tags: { status: 'final', priority: 7, label: 'gamma', topics: ['x', 'y'] } },
    detBytes(80, 4));
  await put('r5 (post, unpublished, to bob, text/plain, 30001 bytes)', alice,
    { schema: SCHEMA_POST, recipient: bob.did }, detBytes(30001, 5));
  await put('r6 (note, unpublished, authored by bob, owner-signed by alice)', bob,
    { schema: SCHEMA_NOTE, tags: { status: 'draft' } }, detBytes(60, 6));
  const keys = Object.keys(recs);
  const ids = keys.map((k) => recs[k].recordId);
  return { recs, ids, r: (i) => ids[i - 1], dateOf: (i) => recs[keys[i - 1]].descriptor.dateCreated };
}

scenario('records-query-filters',
  'Owner RecordsQuery with each filter property (schema, recipient, tags equality/range/startsWith/number range/array, dataFormat, published, dateCreated, datePublished, dataSize, recordId, author, contextId).',
  async (s) => {
    const alice = await s.persona('alice');
    const bob = await s.persona('bob');
    const carol = await s.persona('carol');
    const { r, dateOf } = await seedQueryRecords(s, alice, bob, carol);
    const q = async (name, filter, ids) => s.step(name, alice.did, await query(s, alice, filter), { expect: 200, ids });
    await q('schema post', { schema: SCHEMA_POST }, [r(1), r(2), r(5)]);
    await q('schema note', { schema: SCHEMA_NOTE }, [r(3), r(4), r(6)]);
    await q('recipient bob', { recipient: bob.did }, [r(2), r(5)]);
    await q('recipient [bob, carol]', { recipient: [bob.did, carol.did] }, [r(2), r(4), r(5)]);
    await q('author bob', { author: bob.did }, [r(6)]);
    await q('author [alice]', { author: [alice.did] }, [r(1), r(2), r(3), r(4), r(5)]);
    await q('tag equality status=draft', { tags: { status: 'draft' } }, [r(1), r(3), r(6)]);
    await q('tag number range priority gte 3 lt 7', { tags: { priority: { gte: 3, lt: 7 } } }, [r(2), r(3)]);
    await q('tag number range priority gt 3 lte 7', { tags: { priority: { gt: 3, lte: 7 } } }, [r(3), r(4)]);
    await q('tag startsWith label alpha', { tags: { label: { startsWith: 'alpha' } } }, [r(1), r(3)]);
    await q('tag string range label gt alpha lte beta', { tags: { label: { gt: 'alpha', lte: 'beta' } } }, [r(2), r(3)]);
    await q('tag array element topics=y', { tags: { topics: 'y' } }, [r(4)]);
    await q('two tags AND', { tags: { status: 'final', priority: 7 } }, [r(4)]);
    await q('dataFormat application/json', { dataFormat: 'application/json' }, [r(2), r(4)]);
    await q('published true', { published: true }, [r(1), r(4)]);
    await q('published false', { published: false }, [r(2), r(3), r(5), r(6)]);
    await q('dateCreated from r2 (inclusive) to r4 (exclusive)', { dateCreated: { from: dateOf(2), to: dateOf(4) } }, [r(2), r(3)]);
    await q('dateCreated from r4', { dateCreated: { from: dateOf(4) } }, [r(4), r(5), r(6)]);
    await q('dateCreated to r2 (exclusive)', { dateCreated: { to: dateOf(2) } }, [r(1)]);
    await q('datePublished from r1 to r4 (exclusive)', { datePublished: { from: dateOf(1), to: dateOf(4) } }, [r(1)]);
    await q('dataSize gte 20 lte 80', { dataSize: { gte: 20, lte: 80 } }, [r(2), r(3), r(4), r(6)]);
    await q('dataSize gt 20 lt 30001', { dataSize: { gt: 20, lt: 30001 } }, [r(3), r(4), r(6)]);
    await q('dataSize gt 30000', { dataSize: { gt: 30000 } }, [r(5)]);
    await q('recordId r3', { recordId: r(3) }, [r(3)]);
    await q('recordId of a missing record', { recordId: await missingRecordId(`${s.name}/q`) }, []);
    await q('schema post AND published false', { schema: SCHEMA_POST, published: false }, [r(2), r(5)]);
    await q('contextId on flat records matches nothing', { contextId: r(1) }, []);
    await q('dataCid of r4', { dataCid: (await seedDataCid(detBytes(80, 4))) }, [r(4)]);
  });

async function seedDataCid(bytes) {
  return Cid.computeDagPbCidFromBytes(bytes);
}

scenario('records-query-visibility',
  'Who sees what: anonymous sees published only; another DID sees published, records it authored and records where it is the recipient.',
  async (s) => {
    const alice = await s.persona('alice');
    const bob = await s.persona('bob');
    const carol = await s.persona('carol');
    const { r } = await seedQueryRecords(s, alice, bob, carol);
    const all = { dataFormat: 'text/plain' }; // r1, r3, r5, r6
    const any = [SCHEMA_POST, SCHEMA_NOTE];
    for (const schema of any) {
      const label = schema === SCHEMA_POST ? 'post' : 'note';
      await s.step(`anonymous query schema ${label}`, alice.did, await query(s, null, { schema }), { expect: 200,
        ids: label === 'post' ? [r(1)] : [r(4)] });
      await s.step(`owner query schema ${label}`, alice.did, await query(s, alice, { schema }), { expect: 200,
        ids: label === 'post' ? [r(1), r(2), r(5)] : [r(3), r(4), r(6)] });
      await s.step(`bob query schema ${label}`, alice.did, await query(s, bob, { schema }), { expect: 200,
        ids: label === 'post' ? [r(1), r(2), r(5)] : [r(4), r(6)] });
      await s.step(`carol query schema ${label}`, alice.did, await query(s, carol, { schema }), { expect: 200,
        ids: label === 'post' ? [r(1)] : [r(4)] });
    }
    await s.step('anonymous query text/plain', alice.did, await query(s, null, all), { expect: 200, ids: [r(1)] });
    await s.step('anonymous query published false -> 401', alice.did, await query(s, null, { published: false }), { expect: 401 });
    await s.step('bob query published false', alice.did, await query(s, bob, { published: false }), { expect: 200, ids: [r(2), r(5), r(6)] });
    await s.step('bob query recipient carol (published only)', alice.did, await query(s, bob, { recipient: carol.did }), { expect: 200, ids: [r(4)] });
    await s.step('bob query author alice', alice.did, await query(s, bob, { author: alice.did }), { expect: 200, ids: [r(1), r(2), r(4), r(5)] });
    await s.step('bob query author bob', alice.did, await query(s, bob, { author: bob.did }), { expect: 200, ids: [r(6)] });
    await s.step('carol query published false', alice.did, await query(s, carol, { published: false }), { expect: 200, ids: [] });
    await s.step('bob query of his own (empty) DWN', bob.did, await query(s, bob, { schema: SCHEMA_POST }), { expect: 200, ids: [] });
  });

scenario('records-query-sort-pagination',
  'dateSort (all four) and pagination with limit and cursor, following the cursor to the end.',
  async (s) => {
    const alice = await s.persona('alice');
    // five published records whose datePublished order differs from dateCreated order, one unpublished
    const publishOffsets = [400, 100, 500, 200, 300];
    const ids = [];
    for (let i = 0; i < 5; i++) {
      const ts = s.ts();
      const data = utf8(`record ${i + 1}`);
      const w = await write(s, alice, { data, schema: SCHEMA_POST, published: true, messageTimestamp: ts, dateCreated: ts,
        datePublished: timestamp(publishOffsets[i]) });
      await s.step(`seed published record ${i + 1}`, alice.did, w.message, { data, expect: 202 });
      ids.push(w.message.recordId);
    }
    const hidden = await write(s, alice, { data: utf8('unpublished'), schema: SCHEMA_POST });
    await s.step('seed unpublished record 6', alice.did, hidden.message, { data: utf8('unpublished'), expect: 202 });
    const [a, b, c, d, e] = ids;
    const f = hidden.message.recordId;
    const filter = { schema: SCHEMA_POST };
    const q = (extra) => query(s, alice, filter, extra);
    await s.step('no dateSort = createdAscending', alice.did, await q({}), { expect: 200, ids: [a, b, c, d, e, f] });
    await s.step('createdAscending', alice.did, await q({ dateSort: 'createdAscending' }), { expect: 200, ids: [a, b, c, d, e, f] });
    await s.step('createdDescending', alice.did, await q({ dateSort: 'createdDescending' }), { expect: 200, ids: [f, e, d, c, b, a] });
    await s.step('publishedAscending (published only)', alice.did, await q({ dateSort: 'publishedAscending' }), { expect: 200, ids: [b, d, e, a, c] });
    await s.step('publishedDescending (published only)', alice.did, await q({ dateSort: 'publishedDescending' }), { expect: 200, ids: [c, a, e, d, b] });
    await s.step('published false with publishedAscending -> 400', alice.did,
      await signedRaw(alice, { interface: 'Records', method: 'Query', messageTimestamp: s.ts(),
        filter: { schema: SCHEMA_POST, published: false }, dateSort: 'publishedAscending' }), { expect: 400 });

    const follow = async (label, dateSort, limit, expected) => {
      let cursor;
      for (let i = 0, page = 1; ; i += limit, page++) {
        const pagination = cursor === undefined ? { limit } : { limit, cursor };
        const more = i + limit < expected.length;
        const reply = await s.step(`${label} page ${page}`, alice.did, await q({ dateSort, pagination }),
          { expect: 200, ids: expected.slice(i, i + limit), cursor: more });
        if (!more) break;
        cursor = reply.cursor;
      }
    };
    await follow('createdAscending limit 2', 'createdAscending', 2, [a, b, c, d, e, f]);
    await follow('createdDescending limit 4', 'createdDescending', 4, [f, e, d, c, b, a]);
    await follow('publishedAscending limit 2', 'publishedAscending', 2, [b, d, e, a, c]);
    await follow('publishedDescending limit 3', 'publishedDescending', 3, [c, a, e, d, b]);
    await s.step('limit equal to the result count: no cursor', alice.did,
      await q({ dateSort: 'createdAscending', pagination: { limit: 6 } }), { expect: 200, ids: [a, b, c, d, e, f], cursor: false });
    await s.step('limit larger than the result count: no cursor', alice.did,
      await q({ pagination: { limit: 100 } }), { expect: 200, ids: [a, b, c, d, e, f], cursor: false });
    await s.step('anonymous, limit 2: published only, cursor present', alice.did,
      await query(s, null, filter, { dateSort: 'createdDescending', pagination: { limit: 2 } }), { expect: 200, ids: [e, d], cursor: true });
  });

scenario('records-read',
  'RecordsRead as owner, anonymously (published / unpublished), by the recipient and by a stranger; missing record; updated record; ambiguous filter.',
  async (s) => {
    const alice = await s.persona('alice');
    const bob = await s.persona('bob');
    const carol = await s.persona('carol');
    const pub = await write(s, alice, { data: utf8('published data'), published: true, schema: SCHEMA_POST });
    await s.step('write published record', alice.did, pub.message, { data: utf8('published data'), expect: 202 });
    const priv = await write(s, alice, { data: utf8('private data for bob'), recipient: bob.did, schema: SCHEMA_POST });
    await s.step('write unpublished record to bob', alice.did, priv.message, { data: utf8('private data for bob'), expect: 202 });
    await s.step('owner reads published record', alice.did, await read(s, alice, { recordId: pub.message.recordId }), { expect: 200 });
    await s.step('owner reads unpublished record', alice.did, await read(s, alice, { recordId: priv.message.recordId }), { expect: 200 });
    await s.step('anonymous reads published record', alice.did, await read(s, null, { recordId: pub.message.recordId }), { expect: 200 });
    await s.step('anonymous reads unpublished record -> 401', alice.did, await read(s, null, { recordId: priv.message.recordId }), { expect: 401 });
    await s.step('recipient bob reads unpublished record', alice.did, await read(s, bob, { recordId: priv.message.recordId }), { expect: 200 });
    await s.step('stranger carol reads unpublished record -> 401', alice.did, await read(s, carol, { recordId: priv.message.recordId }), { expect: 401 });
    await s.step('stranger carol reads published record', alice.did, await read(s, carol, { recordId: pub.message.recordId }), { expect: 200 });
    await s.step('owner reads a missing record -> 404', alice.did, await read(s, alice, { recordId: await missingRecordId(`${s.name}/missing`) }), { expect: 404 });
    await s.step('anonymous reads a missing record -> 404', alice.did, await read(s, null, { recordId: await missingRecordId(`${s.name}/missing`) }), { expect: 404 });
    const upd = await update(s, alice, pub, { data: utf8('published data v2') });
    await s.step('update published record', alice.did, upd.message, { data: utf8('published data v2'), expect: 202 });
    await s.step('read of the updated record includes initialWrite', alice.did, await read(s, alice, { recordId: pub.message.recordId }), { expect: 200 });
    await s.step('anonymous read of the updated record includes initialWrite', alice.did, await read(s, null, { recordId: pub.message.recordId }), { expect: 200 });
    await s.step('read by a filter matching two records -> 400', alice.did, await read(s, alice, { schema: SCHEMA_POST }), { expect: 400 });
    await s.step('read by a filter matching one record (recipient)', alice.did, await read(s, alice, { recipient: bob.did }), { expect: 200 });
    await s.step('recipient bob reads by a filter (recipient)', alice.did, await read(s, bob, { recipient: bob.did }), { expect: 200 });
    await s.step('stranger carol reads by a filter matching an unpublished record -> 401', alice.did, await read(s, carol, { recipient: bob.did }), { expect: 401 });
    const big = new Uint8Array(40000).map((_, i) => (i * 7) % 251);
    const large = await write(s, alice, { data: big, published: true, schema: SCHEMA_NOTE });
    await s.step('write a published record above the inline limit', alice.did, large.message, { data: big, expect: 202 });
    await s.step('anonymous reads the large published record by a filter (schema)', alice.did, await read(s, null, { schema: SCHEMA_NOTE }), { expect: 200 });
    await s.step('stranger carol reads the large published record by a filter (schema)', alice.did, await read(s, carol, { schema: SCHEMA_NOTE }), { expect: 200 });
  });

scenario('records-delete',
  'RecordsDelete (prune false): deleted records disappear from queries; reads return 404 with recordsDelete and initialWrite; repeated, foreign, missing and stale deletes.',
  async (s) => {
    const alice = await s.persona('alice');
    const bob = await s.persona('bob');
    const data = utf8('to be deleted');
    const w = await write(s, alice, { data, published: true, schema: SCHEMA_NOTE });
    await s.step('write published record', alice.did, w.message, { data, expect: 202 });
    const keep = await write(s, alice, { data: utf8('kept'), schema: SCHEMA_NOTE });
    await s.step('write a second record', alice.did, keep.message, { data: utf8('kept'), expect: 202 });
    const u = await update(s, alice, w, { data: utf8('updated before delete') });
    await s.step('update first record', alice.did, u.message, { data: utf8('updated before delete'), expect: 202 });
    await s.step('bob deletes alice\'s record -> 401', alice.did, await del(s, bob, w.message.recordId), { expect: 401 });
    const stale = await del(s, alice, w.message.recordId, { messageTimestamp: timestamp(1) });
    await s.step('delete older than the latest write -> 409', alice.did, stale, { expect: 409 });
    await s.step('owner deletes (prune false) -> 202', alice.did, await del(s, alice, w.message.recordId), { expect: 202 });
    await s.step('query no longer returns the deleted record', alice.did, await query(s, alice, { schema: SCHEMA_NOTE }), { expect: 200, ids: [keep.message.recordId] });
    await s.step('owner read after delete -> 404 with recordsDelete and initialWrite', alice.did, await read(s, alice, { recordId: w.message.recordId }), { expect: 404 });
    await s.step('anonymous read of deleted published record -> 404', alice.did, await read(s, null, { recordId: w.message.recordId }), { expect: 404 });
    await s.step('delete again -> 404', alice.did, await del(s, alice, w.message.recordId), { expect: 404 });
    await s.step('delete of a missing record -> 404', alice.did, await del(s, alice, await missingRecordId(`${s.name}/missing`)), { expect: 404 });
    await s.step('bob deletes a missing record -> 404', alice.did, await del(s, bob, await missingRecordId(`${s.name}/missing`)), { expect: 404 });
    await s.step('prune true after a non-prune delete -> 202', alice.did, await del(s, alice, w.message.recordId, { prune: true }), { expect: 202 });
    await s.step('delete (prune false) after the prune -> 404', alice.did, await del(s, alice, w.message.recordId), { expect: 404 });
    await s.step('the second record is untouched', alice.did, await read(s, alice, { recordId: keep.message.recordId }), { expect: 200 });
  });

// ---- protocol scenarios (file names start with protocols-) ----

const SOCIAL = 'https://example.com/conformance/social';
const socialDefinition = {
  protocol: SOCIAL,
  published: true,
  types: {
    post: { schema: SCHEMA_POST, dataFormats: ['application/json'] },
    comment: { dataFormats: ['application/json'] },
  },
  structure: {
    post: {
      $actions: [{ who: 'anyone', can: ['create', 'read'] }],
      comment: {
        $actions: [{ who: 'anyone', can: ['create', 'read'] }],
      },
    },
  },
};

scenario('protocols-basic',
  'ProtocolsConfigure of a published protocol, a root record and a child record, anonymous reads and queries, and contextId filters.',
  async (s) => {
    const alice = await s.persona('alice');
    const bob = await s.persona('bob');
    const pc = await ProtocolsConfigure.create({ definition: socialDefinition, messageTimestamp: s.ts(), signer: alice.signer });
    await s.step('alice configures the social protocol', alice.did, pc.message, { expect: 202 });
    await s.step('re-sending the same configure -> 409', alice.did, pc.message, { expect: 409 });
    const pq = await ProtocolsQuery.create({ filter: { protocol: SOCIAL }, messageTimestamp: s.ts() });
    await s.step('anonymous ProtocolsQuery sees the published definition', alice.did, pq.message, { expect: 200 });
    const json = (o) => utf8(JSON.stringify(o));
    const postData = json({ title: 'hello protocol' });
    const post = await write(s, alice, { protocol: SOCIAL, protocolPath: 'post', schema: SCHEMA_POST, dataFormat: 'application/json', data: postData });
    await s.step('alice writes a root post', alice.did, post.message, { data: postData, expect: 202 });
    const commentData = json({ text: 'first comment' });
    const comment = await write(s, alice, { protocol: SOCIAL, protocolPath: 'post/comment', parentContextId: post.message.contextId,
      dataFormat: 'application/json', data: commentData });
    await s.step('alice writes a child comment', alice.did, comment.message, { data: commentData, expect: 202 });
    await s.step('re-sending the child -> 409', alice.did, comment.message, { data: commentData, expect: 409 });
    const bobData = json({ text: 'comment by bob' });
    const bobComment = await write(s, bob, { protocol: SOCIAL, protocolPath: 'post/comment', parentContextId: post.message.contextId,
      dataFormat: 'application/json', data: bobData });
    await s.step('bob writes a comment (anyone can create)', alice.did, bobComment.message, { data: bobData, expect: 202 });
    const badFormat = await write(s, alice, { protocol: SOCIAL, protocolPath: 'post', schema: SCHEMA_POST, dataFormat: 'text/plain', data: utf8('x') });
    await s.step('post with a disallowed dataFormat -> 400', alice.did, badFormat.message, { data: utf8('x'), expect: 400 });
    const badPath = await write(s, alice, { protocol: SOCIAL, protocolPath: 'comment', dataFormat: 'application/json', data: json({}) });
    await s.step('parentless comment -> 400', alice.did, badPath.message, { data: json({}), expect: 400 });
    const unknownProto = await write(s, alice, { protocol: 'https://example.com/conformance/unknown', protocolPath: 'post', dataFormat: 'application/json', data: json({}) });
    await s.step('write to an unconfigured protocol -> 400', alice.did, unknownProto.message, { data: json({}), expect: 400 });
    await s.step('anonymous reads the root post (anyone can read)', alice.did, await read(s, null, { recordId: post.message.recordId }), { expect: 200 });
    await s.step('anonymous reads the child comment', alice.did, await read(s, null, { recordId: comment.message.recordId }), { expect: 200 });
    await s.step('anonymous query: protocol records are unpublished -> empty', alice.did,
      await query(s, null, { protocol: SOCIAL }), { expect: 200, ids: [] });
    await s.step('owner query by protocol', alice.did, await query(s, alice, { protocol: SOCIAL }),
      { expect: 200, ids: [post.message.recordId, comment.message.recordId, bobComment.message.recordId] });
    await s.step('owner query by protocolPath post/comment', alice.did, await query(s, alice, { protocol: SOCIAL, protocolPath: 'post/comment' }),
      { expect: 200, ids: [comment.message.recordId, bobComment.message.recordId] });
    await s.step('owner query by contextId of the root (prefix match)', alice.did, await query(s, alice, { contextId: post.message.contextId }),
      { expect: 200, ids: [post.message.recordId, comment.message.recordId, bobComment.message.recordId] });
    await s.step('owner query by contextId of a child', alice.did, await query(s, alice, { contextId: comment.message.contextId }),
      { expect: 200, ids: [comment.message.recordId] });
    await s.step('owner query by parentId', alice.did, await query(s, alice, { protocol: SOCIAL, parentId: post.message.recordId }),
      { expect: 200, ids: [comment.message.recordId, bobComment.message.recordId] });
    await s.step('bob query by protocol sees only his own record', alice.did, await query(s, bob, { protocol: SOCIAL }),
      { expect: 200, ids: [bobComment.message.recordId] });
  });

// ---- protocol scenario helpers ----

/** Collects every nested type name of a structure (keys not starting with `$`) into `types` ({ name: {} }). */
function typesOf(structure, types = {}) {
  for (const [k, v] of Object.entries(structure)) {
    if (k.startsWith('$')) continue;
    types[k] ??= {};
    typesOf(v, types);
  }
  return types;
}

/** A ProtocolsConfigure built by the SDK (which normalizes the definition and refuses invalid ones). */
async function configure(s, author, definition, { messageTimestamp } = {}) {
  const pc = await ProtocolsConfigure.create({ definition, messageTimestamp: messageTimestamp ?? s.ts(), signer: author.signer });
  return pc.message;
}

/** A ProtocolsConfigure signed verbatim (the definition is neither normalized nor validated). */
async function configureRaw(s, author, definition, { messageTimestamp } = {}) {
  return signedRaw(author, { interface: 'Protocols', method: 'Configure', messageTimestamp: messageTimestamp ?? s.ts(), definition });
}

async function protocolsQuery(s, signer, filter) {
  const q = await ProtocolsQuery.create({ filter, messageTimestamp: s.ts(), signer: signer?.signer });
  return q.message;
}

/**
 * s.step plus extra generation-time assertions:
 * `code`: the detail's first word (the DwnErrorCode, or 'Accepted' / 'OK' / ...);
 * `configures`: the ProtocolsQuery entries, as the messages expected (compared by CID, in order).
 */
async function check(s, name, tenant, message, { code, configures, ...opts } = {}) {
  const json = await s.step(name, tenant, message, opts);
  const where = `${s.name} / ${name}`;
  if (code !== undefined && String(json.status.detail).split(':')[0] !== code) {
    throw new Error(`${where}: expected detail ${code}, reference replied ${json.status.detail}`);
  }
  if (configures !== undefined) {
    const got = await Promise.all((json.entries ?? []).map((e) => Message.getCid(e)));
    const want = await Promise.all(configures.map((m) => Message.getCid(m)));
    if (JSON.stringify(got) !== JSON.stringify(want)) {
      throw new Error(`${where}: expected ProtocolsConfigure entries ${JSON.stringify(want)}, reference replied ${JSON.stringify(got)}`);
    }
  }
  return json;
}

/** A protocol RecordsWrite with deterministic JSON data; returns { message, data } (usable as `update`'s source). */
async function pwrite(s, author, protocol, protocolPath, opts = {}) {
  const data = opts.data ?? utf8(JSON.stringify({ protocolPath, n: s.seconds + 1 }));
  const w = await write(s, author, { protocol, protocolPath, dataFormat: 'application/json', ...opts, data });
  return { message: w.message, data };
}

/** An update (RecordsWrite.createFrom) with new deterministic data; returns { message, data }. */
async function pupdate(s, author, source, opts = {}) {
  const data = opts.data ?? utf8(JSON.stringify({ update: source.message.recordId.slice(-8), n: s.seconds + 1 }));
  const u = await update(s, author, source, { ...opts, data });
  return { message: u.message, data };
}

/** Sends a { message, data } pair from pwrite / pupdate. */
async function send(s, name, tenant, w, opts = {}) {
  return check(s, name, tenant, w.message, { data: w.data, ...opts });
}

const CV = 'https://example.com/conformance/cv';

scenario('protocols-configure-validation',
  'ProtocolsConfigure accepted and rejected by every check of ProtocolsConfigure.parse (URL normalization, structure, $size, $tags, roles, action rules, duplicates), which check wins when several fail, authorization, and the conflict rule (older / same timestamp smaller CID -> 409, newer replaces).',
  async (s) => {
    const alice = await s.persona('alice');
    const bob = await s.persona('bob');
    const def = (name, structure, extra = {}) => ({ protocol: `${CV}/${name}`, published: true, types: typesOf(structure), structure, ...extra });
    const anyone = [{ who: 'anyone', can: ['create', 'read'] }];
    const ok = async (name, definition) => check(s, name, alice.did, await configure(s, alice, definition), { expect: 202, code: 'Accepted' });
    const bad = async (name, definition, code) => check(s, name, alice.did, await configureRaw(s, alice, definition), { expect: 400, code });

    // a valid definition exercising most features
    await ok('valid definition with actors, roles, $size and $tags -> 202', {
      protocol: `${CV}/valid`,
      published: true,
      types: {
        post: { schema: SCHEMA_POST, dataFormats: ['application/json'] },
        comment: { dataFormats: ['application/json', 'text/plain'] },
        friend: {},
        member: {},
        unused: {},
      },
      structure: {
        friend: { $role: true },
        post: {
          $size: { min: 1, max: 1000 },
          $tags: { $requiredTags: ['status'], $allowUndefinedTags: false, status: { type: 'string', enum: ['draft', 'final'] } },
          $actions: [
            { who: 'anyone', can: ['create', 'read'] },
            { role: 'friend', can: ['read', 'query', 'subscribe', 'co-update', 'co-delete'] },
          ],
          member: { $role: true },
          comment: {
            $actions: [
              { who: 'author', of: 'post', can: ['create', 'update', 'delete', 'co-update', 'co-delete', 'prune', 'co-prune'] },
              { who: 'recipient', of: 'post', can: ['create', 'read'] },
              { who: 'recipient', can: ['co-update', 'co-delete', 'co-prune'] },
              { role: 'post/member', can: ['create', 'read', 'query', 'subscribe'] },
            ],
          },
        },
      },
    });
    await ok('empty types and structure -> 202', { protocol: `${CV}/empty`, published: false, types: {}, structure: {} });

    // URL normalization (protocol)
    const url = async (name, protocol, expect) => {
      const d = { protocol, published: true, types: { post: {} }, structure: { post: { $actions: anyone } } };
      if (expect === 202) await ok(name, d);
      else await bad(name, d, 'UrlProtocolNotNormalized');
    };
    await url('protocol with a trailing slash -> 400', `${CV}/trailing/`, 400);
    await url('protocol without a scheme -> 400', 'example.com/conformance/cv/noscheme', 400);
    await url('protocol with a query string -> 400', `${CV}/query?v=1`, 400);
    await url('protocol with a fragment -> 400', `${CV}/fragment#x`, 400);
    await url('protocol with an upper-case host -> 400', 'https://EXAMPLE.com/conformance/cv/upper', 400);
    await url('protocol with the default port -> 400', 'https://example.com:443/conformance/cv/port', 400);
    await url('protocol with a dot segment -> 400', `${CV}/a/../dot`, 400);
    await url('protocol with a space -> 400', `${CV}/with space`, 400);
    await url('protocol that is not a URL (:foo:) -> 400', ':foo:', 400);
    await url('protocol as a bare origin (no trailing slash) -> 202', 'https://cv-origin.example.com', 202);
    await url('protocol as a urn -> 202', 'urn:conformance:cv-urn', 202);
    await url('protocol with a non-default port -> 202', 'https://example.com:8443/conformance/cv/port', 202);

    // URL normalization (types.*.schema)
    const schemaDef = (name, schema) => ({ protocol: `${CV}/${name}`, published: true, types: { post: { schema } }, structure: { post: { $actions: anyone } } });
    await bad('type schema with a trailing slash -> 400', schemaDef('schema-slash', `${SCHEMA_POST}/`), 'UrlSchemaNotNormalized');
    await bad('type schema without a scheme -> 400', schemaDef('schema-noscheme', 'example.com/schemas/post'), 'UrlSchemaNotNormalized');
    await ok('type schema as a urn -> 202', schemaDef('schema-urn', 'urn:conformance:schema'));

    // structure
    await bad('undeclared type at the root -> 400', { ...def('undeclared-root', { post: { $actions: anyone } }), types: {} },
      'ProtocolsConfigureInvalidRuleSetRecordType');
    await bad('undeclared nested type -> 400', { ...def('undeclared-nested', { post: { $actions: anyone, reply: { $actions: anyone } } }), types: { post: {} } },
      'ProtocolsConfigureInvalidRuleSetRecordType');
    const nest = (levels, leaf = {}) => (levels === 0 ? leaf : { a: { $actions: anyone, ...nest(levels - 1, leaf) } });
    await ok('nesting depth 10 -> 202', def('depth-10', nest(10)));
    await bad('nesting depth 11 -> 400', def('depth-11', nest(11)), 'ProtocolsConfigureRecordNestingDepthExceeded');
    await ok('nesting depth 12 below a $role type (depth is not checked under roles) -> 202',
      def('depth-under-role', { r: { $role: true, ...nest(11) } }));

    // $size
    await bad('$size max < min -> 400', def('size-inverted', { post: { $actions: anyone, $size: { min: 10, max: 9 } } }), 'ProtocolsConfigureInvalidSize');
    await ok('$size max == min -> 202', def('size-equal', { post: { $actions: anyone, $size: { min: 10, max: 10 } } }));
    await ok('$size max 0 without min -> 202', def('size-max0', { post: { $actions: anyone, $size: { max: 0 } } }));
    await bad('$size with a negative min -> 400 (JSON schema)', def('size-negative', { post: { $actions: anyone, $size: { min: -1 } } }));
    await bad('$size with an unknown key -> 400 (JSON schema)', def('size-unknown', { post: { $actions: anyone, $size: { limit: 3 } } }));

    // $tags
    await bad('$tags property with minLength -1 (invalid JSON schema) -> 400', def('tags-minlength',
      { post: { $actions: anyone, $tags: { status: { type: 'string', minLength: -1 } } } }), 'ProtocolsConfigureInvalidTagSchema');
    await bad('$tags property with a non-array enum -> 400', def('tags-enum',
      { post: { $actions: anyone, $tags: { status: { type: 'string', enum: 'draft' } } } }), 'ProtocolsConfigureInvalidTagSchema');
    await bad('$tags property of type object -> 400 (JSON schema)', def('tags-object',
      { post: { $actions: anyone, $tags: { status: { type: 'object' } } } }));
    await bad('$tags property with an unsupported keyword (pattern) -> 400 (JSON schema)', def('tags-pattern',
      { post: { $actions: anyone, $tags: { status: { type: 'string', pattern: '^a' } } } }));
    await bad('empty $tags -> 400 (JSON schema)', def('tags-empty', { post: { $actions: anyone, $tags: {} } }));
    await ok('$tags with only $requiredTags -> 202', def('tags-required-only', { post: { $actions: anyone, $tags: { $requiredTags: ['x'] } } }));

    // unknown $ keys
    await bad('$recordLimit (unknown $ key) -> 400 (JSON schema)', def('record-limit', { post: { $actions: anyone, $recordLimit: { max: 1, strategy: 'reject' } } }));
    await bad('unknown $ key $foo -> 400 (JSON schema)', def('dollar-foo', { post: { $actions: anyone, $foo: true } }));
    await bad('empty $actions -> 400 (JSON schema)', def('actions-empty', { post: { $actions: [] } }));
    await bad('unknown who -> 400 (JSON schema)', def('who-unknown', { post: { $actions: [{ who: 'everyone', can: ['read'] }] } }));
    await bad('missing published -> 400 (JSON schema)', (({ published, ...d }) => d)(def('no-published', { post: { $actions: anyone } })));

    // role rules
    await bad('role rule naming a non-role path -> 400', def('role-not-role',
      { post: { $actions: [{ role: 'post', can: ['create'] }] } }), 'ProtocolsConfigureRoleDoesNotExistAtGivenPath');
    await bad('role rule naming a missing path -> 400', def('role-missing',
      { post: { $actions: [{ role: 'friend', can: ['create'] }] } }), 'ProtocolsConfigureRoleDoesNotExistAtGivenPath');
    await bad('role rule naming a role nested under another role -> 400', def('role-under-role',
      { friend: { $role: true, best: { $role: true } }, post: { $actions: [{ role: 'friend/best', can: ['create'] }] } }),
    'ProtocolsConfigureRoleDoesNotExistAtGivenPath');
    await ok('role rule naming a context role -> 202', def('role-context',
      { thread: { $actions: anyone, member: { $role: true }, chat: { $actions: [{ role: 'thread/member', can: ['create'] }] } } }));
    await bad('role rule with read only -> 400', def('role-read-only',
      { friend: { $role: true }, post: { $actions: [{ role: 'friend', can: ['read'] }] } }), 'ProtocolsConfigureRoleReadActionMissing');
    await bad('role rule with query only -> 400', def('role-query-only',
      { friend: { $role: true }, post: { $actions: [{ role: 'friend', can: ['create', 'query'] }] } }), 'ProtocolsConfigureRoleReadActionMissing');
    await bad('role rule with read and query but no subscribe -> 400', def('role-no-subscribe',
      { friend: { $role: true }, post: { $actions: [{ role: 'friend', can: ['read', 'query'] }] } }), 'ProtocolsConfigureRoleReadActionMissing');
    await ok('role rule with read, query and subscribe -> 202', def('role-all-reads',
      { friend: { $role: true }, post: { $actions: [{ role: 'friend', can: ['subscribe', 'query', 'read'] }] } }));
    await bad('role rule with co-prune -> 400 (JSON schema)', def('role-prune',
      { friend: { $role: true }, post: { $actions: [{ role: 'friend', can: ['co-prune'] }] } }));

    // actor rules
    await bad('who:anyone with of -> 400', def('anyone-of',
      { post: { $actions: anyone, comment: { $actions: [{ who: 'anyone', of: 'post', can: ['create'] }] } } }), 'ProtocolsConfigureInvalidActionOfNotAllowed');
    await bad('who:author without of -> 400', def('author-no-of',
      { post: { $actions: [{ who: 'author', can: ['create'] }] } }), 'ProtocolsConfigureInvalidActionMissingOf');
    await bad('who:recipient without of with read -> 400', def('recipient-read',
      { post: { $actions: [{ who: 'recipient', can: ['read'] }] } }), 'ProtocolsConfigureInvalidRecipientOfAction');
    await bad('who:recipient without of with create and co-update -> 400', def('recipient-create',
      { post: { $actions: [{ who: 'recipient', can: ['co-update', 'create'] }] } }), 'ProtocolsConfigureInvalidRecipientOfAction');
    await ok('who:recipient without of with co-update, co-delete, co-prune -> 202', def('recipient-co',
      { post: { $actions: [{ who: 'recipient', can: ['co-update', 'co-delete', 'co-prune'] }] } }));
    await ok('who:author of a path that does not exist (of is not checked) -> 202', def('author-of-nowhere',
      { post: { $actions: [{ who: 'author', of: 'nowhere', can: ['create'] }] } }));
    await bad('update without create -> 400', def('update-no-create',
      { post: { $actions: [{ who: 'anyone', can: ['update'] }] } }), 'ProtocolsConfigureInvalidActionUpdateWithoutCreate');
    await bad('delete without create -> 400', def('delete-no-create',
      { post: { $actions: anyone, comment: { $actions: [{ who: 'author', of: 'post', can: ['read', 'delete'] }] } } }),
    'ProtocolsConfigureInvalidActionDeleteWithoutCreate');
    await bad('role rule with update without create -> 400', def('role-update-no-create',
      { friend: { $role: true }, post: { $actions: [{ role: 'friend', can: ['update'] }] } }), 'ProtocolsConfigureInvalidActionUpdateWithoutCreate');
    await ok('co-update, co-delete and prune without create -> 202', def('co-no-create',
      { post: { $actions: [{ who: 'anyone', can: ['co-update', 'co-delete', 'prune'] }] } }));

    // duplicates
    await bad('two who:anyone rules -> 400', def('dup-anyone',
      { post: { $actions: [{ who: 'anyone', can: ['create'] }, { who: 'anyone', can: ['read'] }] } }), 'ProtocolsConfigureDuplicateActorInRuleSet');
    await bad('two who:author of post rules -> 400', def('dup-author',
      { post: { $actions: anyone, comment: { $actions: [{ who: 'author', of: 'post', can: ['create'] }, { who: 'author', of: 'post', can: ['read'] }] } } }),
    'ProtocolsConfigureDuplicateActorInRuleSet');
    await ok('who:author of post and who:recipient of post -> 202', def('author-and-recipient',
      { post: { $actions: anyone, comment: { $actions: [{ who: 'author', of: 'post', can: ['create'] }, { who: 'recipient', of: 'post', can: ['create'] }] } } }));
    await bad('two rules for the same role -> 400', def('dup-role',
      { friend: { $role: true }, post: { $actions: [{ role: 'friend', can: ['create'] }, { role: 'friend', can: ['co-update'] }] } }),
    'ProtocolsConfigureDuplicateRoleInRuleSet');

    // which check wins
    await bad('precedence: JSON schema ($recordLimit) before URL normalization -> 400 schema error',
      { ...def('prec-schema', { post: { $actions: anyone, $recordLimit: { max: 1 } } }), protocol: `${CV}/prec-schema/` });
    await bad('precedence: protocol URL before schema URL and undeclared type', {
      protocol: `${CV}/prec-url/`, published: true, types: { post: { schema: `${SCHEMA_POST}/` } }, structure: { ghost: {} },
    }, 'UrlProtocolNotNormalized');
    await bad('precedence: schema URL before undeclared type', {
      protocol: `${CV}/prec-schema-url`, published: true, types: { post: { schema: `${SCHEMA_POST}/` } }, structure: { ghost: {} },
    }, 'UrlSchemaNotNormalized');
    await bad('precedence: nesting depth before $size and undeclared types', {
      ...def('prec-depth', { post: { $size: { min: 2, max: 1 } }, ...nest(11) }), types: { a: {} },
    }, 'ProtocolsConfigureRecordNestingDepthExceeded');
    await bad('precedence: $size before $tags and action rules in the same rule set', def('prec-size',
      { post: { $size: { min: 2, max: 1 }, $tags: { x: { minLength: -1 } }, $actions: [{ who: 'anyone', of: 'post', can: ['create'] }] } }),
    'ProtocolsConfigureInvalidSize');
    await bad('precedence: $tags before action rules', def('prec-tags',
      { post: { $tags: { x: { minLength: -1 } }, $actions: [{ who: 'author', can: ['create'] }] } }), 'ProtocolsConfigureInvalidTagSchema');
    await bad('precedence: a rule set\'s own action rules before its undeclared child type', {
      ...def('prec-parent', { post: { $actions: [{ who: 'author', can: ['create'] }], ghost: { $actions: anyone } } }), types: { post: {} },
    }, 'ProtocolsConfigureInvalidActionMissingOf');
    await bad('precedence: an undeclared type before the action rules inside it', {
      ...def('prec-child', { post: { $actions: anyone, ghost: { $actions: [{ who: 'author', can: ['create'] }] } } }), types: { post: {} },
    }, 'ProtocolsConfigureInvalidRuleSetRecordType');
    await bad('precedence: sibling types are checked in JSON key order (first: $size error)', def('prec-order-size',
      { zeta: { $actions: anyone, $size: { min: 2, max: 1 } }, alpha: { $actions: [{ who: 'author', can: ['create'] }] } }),
    'ProtocolsConfigureInvalidSize');
    await bad('precedence: sibling types are checked in JSON key order (first: missing of)', def('prec-order-of',
      { alpha: { $actions: [{ who: 'author', can: ['create'] }] }, zeta: { $actions: anyone, $size: { min: 2, max: 1 } } }),
    'ProtocolsConfigureInvalidActionMissingOf');
    await bad('precedence: rule 0 duplicated by rule 1 is reported before rule 1\'s own error', def('prec-dup',
      { post: { $actions: anyone, comment: { $actions: [{ who: 'author', of: 'post', can: ['create'] }, { who: 'author', of: 'post', can: ['update'] }] } } }),
    'ProtocolsConfigureDuplicateActorInRuleSet');
    await bad('precedence: a role rule\'s missing role before its missing read actions', def('prec-role',
      { post: { $actions: [{ role: 'ghost', can: ['read'] }] } }), 'ProtocolsConfigureRoleDoesNotExistAtGivenPath');
    await check(s, 'precedence: an invalid definition from a non-tenant -> 400 (validation before authorization)', alice.did,
      await configureRaw(s, bob, def('prec-auth', { post: { $actions: [{ who: 'author', can: ['create'] }] } })),
      { expect: 400, code: 'ProtocolsConfigureInvalidActionMissingOf' });

    // authorization
    const bobs = def('bobs', { post: { $actions: anyone } });
    const bobConfigure = await configure(s, bob, bobs);
    await check(s, 'bob configures a protocol on alice\'s DWN -> 401', alice.did, bobConfigure, { expect: 401, code: 'ProtocolsConfigureAuthorizationFailed' });
    await check(s, 'the same message on bob\'s own DWN -> 202', bob.did, bobConfigure, { expect: 202 });
    const unsigned = { descriptor: clone(bobConfigure.descriptor) };
    await check(s, 'ProtocolsConfigure without authorization -> 400', alice.did, unsigned, { expect: 400 });
    const tampered = clone(bobConfigure);
    tampered.descriptor.definition.published = false;
    await check(s, 'ProtocolsConfigure with a tampered definition -> 400', bob.did, tampered, { expect: 400 });

    // conflict rule
    const cf = (variant, extra = {}) => ({
      protocol: `${CV}/conflict`, published: true,
      types: { note: { dataFormats: ['text/plain'] }, [`v${variant}`]: {} },
      structure: { note: { $actions: anyone } },
      ...extra,
    });
    const tOld = s.ts();
    const tMid = s.ts();
    const c1 = await configure(s, alice, cf(0), { messageTimestamp: tMid });
    await check(s, 'conflict: first configure -> 202', alice.did, c1, { expect: 202 });
    await check(s, 'conflict: identical configure again -> 409', alice.did, c1, { expect: 409, code: 'Conflict' });
    const c0 = await configure(s, alice, cf(1), { messageTimestamp: tOld });
    await check(s, 'conflict: older configure -> 409', alice.did, c0, { expect: 409 });
    const cid1 = await Message.getCid(c1);
    let smaller;
    let larger;
    for (let v = 2; (smaller === undefined || larger === undefined) && v < 50; v++) {
      const m = await configure(s, alice, cf(v), { messageTimestamp: tMid });
      const c = await Message.getCid(m);
      if (c < cid1) smaller ??= m;
      else larger ??= m;
    }
    await check(s, 'conflict: same timestamp, smaller CID -> 409', alice.did, smaller, { expect: 409 });
    await check(s, 'conflict: same timestamp, larger CID -> 202 (replaces)', alice.did, larger, { expect: 202 });
    await check(s, 'conflict: owner query returns only the replacement', alice.did,
      await protocolsQuery(s, alice, { protocol: `${CV}/conflict` }), { expect: 200, configures: [larger] });
    await check(s, 'conflict: the replaced configure again -> 409', alice.did, c1, { expect: 409 });
    const w1 = await write(s, alice, { protocol: `${CV}/conflict`, protocolPath: 'note', data: utf8('note under the first definition') });
    await check(s, 'conflict: a text/plain note is accepted under the current definition', alice.did, w1.message,
      { data: utf8('note under the first definition'), expect: 202 });
    const cNew = await configure(s, alice, cf(99, { types: { note: { dataFormats: ['application/json'] } } }));
    await check(s, 'conflict: newer configure -> 202 (replaces)', alice.did, cNew, { expect: 202 });
    await check(s, 'conflict: owner query returns only the newest', alice.did,
      await protocolsQuery(s, alice, { protocol: `${CV}/conflict` }), { expect: 200, configures: [cNew] });
    await check(s, 'conflict: anonymous query returns only the newest', alice.did,
      await protocolsQuery(s, null, { protocol: `${CV}/conflict` }), { expect: 200, configures: [cNew] });
    const w2 = await write(s, alice, { protocol: `${CV}/conflict`, protocolPath: 'note', data: utf8('note under the newest definition') });
    await check(s, 'conflict: a text/plain note is now rejected (the newest definition applies)', alice.did, w2.message,
      { data: utf8('note under the newest definition'), expect: 400, code: 'ProtocolAuthorizationIncorrectDataFormat' });
    await check(s, 'conflict: the older configure again -> 409', alice.did, c0, { expect: 409 });
  });

const PQ = 'https://example.com/conformance/pq';

scenario('protocols-query',
  'ProtocolsQuery visibility: the tenant sees published and unpublished definitions; anonymous callers and other DIDs get 200 with published ones only; filter by protocol; invalid filters; a tenant without protocols.',
  async (s) => {
    const alice = await s.persona('alice');
    const bob = await s.persona('bob');
    const carol = await s.persona('carol');
    const simple = (protocol, published) => ({ protocol, published, types: { item: {} }, structure: { item: { $actions: [{ who: 'anyone', can: ['create'] }] } } });
    await check(s, 'owner query of a tenant without protocols -> 200, empty', carol.did, await protocolsQuery(s, carol, undefined), { expect: 200, configures: [] });
    await check(s, 'anonymous query of a tenant without protocols -> 200, empty', carol.did, await protocolsQuery(s, null, undefined), { expect: 200, configures: [] });
    await check(s, 'anonymous query by protocol of a tenant without protocols -> 200, empty', carol.did,
      await protocolsQuery(s, null, { protocol: `${PQ}/zeta` }), { expect: 200, configures: [] });

    // configured in this order: zeta (published), alpha (unpublished), mid (published)
    const zeta = await configure(s, alice, simple(`${PQ}/zeta`, true));
    await check(s, 'alice configures zeta (published)', alice.did, zeta, { expect: 202 });
    const alpha = await configure(s, alice, simple(`${PQ}/alpha`, false));
    await check(s, 'alice configures alpha (unpublished)', alice.did, alpha, { expect: 202 });
    const mid = await configure(s, alice, simple(`${PQ}/mid`, true));
    await check(s, 'alice configures mid (published)', alice.did, mid, { expect: 202 });
    const bobOwn = await configure(s, bob, simple(`${PQ}/bob-private`, false));
    await check(s, 'bob configures an unpublished protocol on his own DWN', bob.did, bobOwn, { expect: 202 });

    await check(s, 'owner query without filter: all three', alice.did, await protocolsQuery(s, alice, undefined),
      { expect: 200, configures: [zeta, alpha, mid] });
    await check(s, 'owner query by the unpublished protocol', alice.did, await protocolsQuery(s, alice, { protocol: `${PQ}/alpha` }),
      { expect: 200, configures: [alpha] });
    await check(s, 'owner query by a published protocol', alice.did, await protocolsQuery(s, alice, { protocol: `${PQ}/mid` }),
      { expect: 200, configures: [mid] });
    await check(s, 'owner query by an unknown protocol -> 200, empty', alice.did, await protocolsQuery(s, alice, { protocol: `${PQ}/unknown` }),
      { expect: 200, configures: [] });
    await check(s, 'anonymous query without filter: published only', alice.did, await protocolsQuery(s, null, undefined),
      { expect: 200, configures: [zeta, mid] });
    await check(s, 'anonymous query by the unpublished protocol -> 200, empty', alice.did, await protocolsQuery(s, null, { protocol: `${PQ}/alpha` }),
      { expect: 200, configures: [] });
    await check(s, 'anonymous query by a published protocol', alice.did, await protocolsQuery(s, null, { protocol: `${PQ}/zeta` }),
      { expect: 200, configures: [zeta] });
    await check(s, 'bob query without filter: published only (200, not 401)', alice.did, await protocolsQuery(s, bob, undefined),
      { expect: 200, configures: [zeta, mid] });
    await check(s, 'bob query by the unpublished protocol -> 200, empty', alice.did, await protocolsQuery(s, bob, { protocol: `${PQ}/alpha` }),
      { expect: 200, configures: [] });
    await check(s, 'bob query by a published protocol', alice.did, await protocolsQuery(s, bob, { protocol: `${PQ}/mid` }),
      { expect: 200, configures: [mid] });
    await check(s, 'bob queries his own DWN: sees his unpublished protocol', bob.did, await protocolsQuery(s, bob, undefined),
      { expect: 200, configures: [bobOwn] });
    await check(s, 'alice queries bob\'s DWN: published only -> empty', bob.did, await protocolsQuery(s, alice, undefined),
      { expect: 200, configures: [] });

    // invalid queries
    const raw = async (signer, filter) => {
      const descriptor = { interface: 'Protocols', method: 'Query', messageTimestamp: s.ts() };
      if (filter !== undefined) descriptor.filter = filter;
      return signer === null ? { descriptor } : signedRaw(signer, descriptor);
    };
    await check(s, 'owner query with a non-normalized protocol (trailing slash) -> 400', alice.did, await raw(alice, { protocol: `${PQ}/alpha/` }),
      { expect: 400, code: 'UrlProtocolNotNormalized' });
    await check(s, 'anonymous query with a non-normalized protocol (no scheme) -> 400', alice.did,
      await raw(null, { protocol: 'example.com/conformance/pq/zeta' }), { expect: 400, code: 'UrlProtocolNotNormalized' });
    await check(s, 'bob query with a non-normalized protocol (upper-case host) -> 400', alice.did,
      await raw(bob, { protocol: 'https://EXAMPLE.com/conformance/pq/zeta' }), { expect: 400, code: 'UrlProtocolNotNormalized' });
    await check(s, 'query with an empty filter -> 400 (JSON schema)', alice.did, await raw(alice, {}), { expect: 400 });
    await check(s, 'query with a filter of recipient only (protocol missing, so not normalized) -> 400', alice.did,
      await raw(alice, { recipient: bob.did }), { expect: 400, code: 'UrlProtocolNotNormalized' });
    await check(s, 'query with an unknown filter property -> 400 (JSON schema)', alice.did, await raw(alice, { protocol: `${PQ}/zeta`, published: true }),
      { expect: 400 });
    const badSig = await protocolsQuery(s, bob, undefined);
    badSig.authorization.signature.signatures[0].signature = flipBase64url(badSig.authorization.signature.signatures[0].signature);
    await check(s, 'bob query with a corrupted signature -> 401 (not the published fallback)', alice.did, badSig, { expect: 401 });

    // publishing a protocol with a newer configure
    const alpha2 = await configure(s, alice, simple(`${PQ}/alpha`, true));
    await check(s, 'alice re-configures alpha as published', alice.did, alpha2, { expect: 202 });
    await check(s, 'anonymous query now sees alpha (ordered by messageTimestamp)', alice.did, await protocolsQuery(s, null, undefined),
      { expect: 200, configures: [zeta, mid, alpha2] });
    await check(s, 'owner query: the old alpha definition is gone', alice.did, await protocolsQuery(s, alice, undefined),
      { expect: 200, configures: [zeta, mid, alpha2] });
    const zeta2 = await configure(s, alice, simple(`${PQ}/zeta`, false));
    await check(s, 'alice re-configures zeta as unpublished', alice.did, zeta2, { expect: 202 });
    await check(s, 'bob query no longer sees zeta', alice.did, await protocolsQuery(s, bob, undefined),
      { expect: 200, configures: [mid, alpha2] });
    await check(s, 'owner query sees all three, newest definitions', alice.did, await protocolsQuery(s, alice, undefined),
      { expect: 200, configures: [mid, alpha2, zeta2] });
  });

const ACT = 'https://example.com/conformance/actions';
const actionsDefinition = {
  protocol: ACT,
  published: false,
  types: {
    thread: { dataFormats: ['application/json'] },
    reply: { dataFormats: ['application/json'] },
    attachment: {},
    note: { schema: SCHEMA_NOTE, dataFormats: ['text/plain'] },
    secret: {},
  },
  structure: {
    thread: {
      $actions: [
        { who: 'anyone', can: ['create', 'update'] },
        { who: 'recipient', can: ['co-update', 'co-delete', 'co-prune'] },
      ],
      reply: {
        $actions: [
          { who: 'author', of: 'thread', can: ['create', 'update', 'delete', 'co-update'] },
          { who: 'recipient', of: 'thread', can: ['create', 'read'] },
        ],
        attachment: {
          $actions: [
            { who: 'author', of: 'thread/reply', can: ['create', 'delete', 'prune'] },
            { who: 'anyone', can: ['read'] },
          ],
        },
      },
    },
    note: { $actions: [{ who: 'anyone', can: ['create', 'read'] }] },
    secret: {},
  },
};

scenario('protocols-actions',
  'Action rules for non-owners: who:anyone, who:author of, who:recipient of, who:recipient without of (co-update/co-delete/co-prune), update by the original author vs others, delete and prune, RecordsRead / RecordsQuery by non-owners, missing $actions, and the referential checks (type, schema, dataFormat, protocolPath, parent, contextId) that run before authorization.',
  async (s) => {
    const alice = await s.persona('alice');
    const bob = await s.persona('bob');
    const carol = await s.persona('carol');
    const dave = await s.persona('dave');
    const T = alice.did;
    const pw = (author, path, opts) => pwrite(s, author, ACT, path, opts);
    const under = (parent, opts = {}) => ({ parentContextId: parent.message.contextId, ...opts });
    const NOT_ALLOWED = 'ProtocolAuthorizationActionNotAllowed';
    const idOf = (w) => w.message.recordId;

    await check(s, 'alice configures the actions protocol', T, await configure(s, alice, actionsDefinition), { expect: 202 });

    // threads: who:anyone create + update; who:recipient (no of) co-update / co-delete / co-prune
    const t1 = await pw(bob, 'thread', { recipient: carol.did });
    await send(s, 'bob creates thread t1 to carol (anyone: create)', T, t1, { expect: 202 });
    const t2 = await pw(bob, 'thread', { recipient: carol.did });
    await send(s, 'bob creates thread t2 to carol', T, t2, { expect: 202 });
    const t3 = await pw(dave, 'thread');
    await send(s, 'dave creates thread t3 without recipient', T, t3, { expect: 202 });
    const t1b = await pupdate(s, bob, t1);
    await send(s, 'bob updates his t1 (anyone: update, original author)', T, t1b, { expect: 202 });
    await send(s, 'dave updates t1 -> 401 (non-authors need co-update)', T, await pupdate(s, dave, t1b), { expect: 401, code: NOT_ALLOWED });
    const t1c = await pupdate(s, carol, t1b);
    await send(s, 'carol co-updates t1 (recipient: co-update)', T, t1c, { expect: 202 });
    const t1d = await pupdate(s, bob, t1c);
    await send(s, 'bob updates t1 after carol\'s co-update', T, t1d, { expect: 202 });
    await send(s, 'carol co-updates t3 -> 401 (not its recipient)', T, await pupdate(s, carol, t3), { expect: 401, code: NOT_ALLOWED });

    // reading threads: no read rule
    await check(s, 'dave reads t1 -> 401 (no read rule)', T, await read(s, dave, { recordId: idOf(t1) }), { expect: 401, code: NOT_ALLOWED });
    await check(s, 'anonymous reads t1 -> 401', T, await read(s, null, { recordId: idOf(t1) }), { expect: 401, code: NOT_ALLOWED });
    await check(s, 'carol reads t1 (recipient may always read)', T, await read(s, carol, { recordId: idOf(t1) }), { expect: 200 });
    await check(s, 'bob reads t1 (author)', T, await read(s, bob, { recordId: idOf(t1) }), { expect: 200 });

    // replies: who:author of thread (create/update/delete/co-update), who:recipient of thread (create/read)
    const r1 = await pw(bob, 'thread/reply', under(t1));
    await send(s, 'bob replies r1 in t1 (author of thread)', T, r1, { expect: 202 });
    const r2 = await pw(carol, 'thread/reply', under(t1));
    await send(s, 'carol replies r2 in t1 (recipient of thread)', T, r2, { expect: 202 });
    await send(s, 'dave replies in t1 -> 401', T, await pw(dave, 'thread/reply', under(t1)), { expect: 401, code: NOT_ALLOWED });
    const r4 = await pw(dave, 'thread/reply', under(t3));
    await send(s, 'dave replies r4 in his own t3 (author of thread)', T, r4, { expect: 202 });
    await send(s, 'bob replies in t3 -> 401', T, await pw(bob, 'thread/reply', under(t3)), { expect: 401, code: NOT_ALLOWED });
    const r1b = await pupdate(s, bob, r1);
    await send(s, 'bob updates r1 (update, original author)', T, r1b, { expect: 202 });
    await send(s, 'carol updates her own r2 -> 401 (her rule has no update)', T, await pupdate(s, carol, r2), { expect: 401, code: NOT_ALLOWED });
    await check(s, 'bob reads carol\'s r2 -> 401 (author of thread has no read)', T, await read(s, bob, { recordId: idOf(r2) }), { expect: 401, code: NOT_ALLOWED });
    await check(s, 'carol reads bob\'s r1 (recipient of thread: read)', T, await read(s, carol, { recordId: idOf(r1) }), { expect: 200 });
    await check(s, 'dave reads r1 -> 401', T, await read(s, dave, { recordId: idOf(r1) }), { expect: 401, code: NOT_ALLOWED });
    const r2b = await pupdate(s, bob, r2);
    await send(s, 'bob co-updates carol\'s r2 (author of thread: co-update)', T, r2b, { expect: 202 });
    await check(s, 'bob now reads r2 (he signed its latest write)', T, await read(s, bob, { recordId: idOf(r2) }), { expect: 200 });
    await check(s, 'carol reads r2 (recipient of thread: read)', T, await read(s, carol, { recordId: idOf(r2) }), { expect: 200 });

    // RecordsQuery by non-owners: never 401 without a role, only filtered (author of the latest write / recipient)
    await check(s, 'dave queries the protocol: only records he authored', T, await query(s, dave, { protocol: ACT }),
      { expect: 200, ids: [idOf(t3), idOf(r4)] });
    await check(s, 'carol queries thread/reply: r2 is not hers anymore (latest write by bob), r1 not visible', T,
      await query(s, carol, { protocol: ACT, protocolPath: 'thread/reply' }), { expect: 200, ids: [] });
    await check(s, 'carol queries thread: records where she is recipient', T,
      await query(s, carol, { protocol: ACT, protocolPath: 'thread' }), { expect: 200, ids: [idOf(t1), idOf(t2)] });
    await check(s, 'bob queries thread/reply: r1 and r2 (latest writes are his)', T,
      await query(s, bob, { protocol: ACT, protocolPath: 'thread/reply' }), { expect: 200, ids: [idOf(r1), idOf(r2)] });
    await check(s, 'anonymous queries the protocol -> 200, empty', T, await query(s, null, { protocol: ACT }), { expect: 200, ids: [] });
    await check(s, 'owner queries thread/reply', T, await query(s, alice, { protocol: ACT, protocolPath: 'thread/reply' }),
      { expect: 200, ids: [idOf(r1), idOf(r2), idOf(r4)] });

    // attachments: three levels deep, who:author of thread/reply (create/delete/prune), who:anyone read
    const a1 = await pw(bob, 'thread/reply/attachment', under(r1));
    await send(s, 'bob attaches a1 to his r1 (author of thread/reply)', T, a1, { expect: 202 });
    await send(s, 'carol attaches to r1 -> 401', T, await pw(carol, 'thread/reply/attachment', under(r1)), { expect: 401, code: NOT_ALLOWED });
    const a2 = await pw(carol, 'thread/reply/attachment', under(r2));
    await send(s, 'carol attaches a2 to r2 (initial author of r2, although bob wrote its latest version)', T, a2, { expect: 202 });
    await send(s, 'bob attaches to r2 -> 401 (only the initial author counts)', T, await pw(bob, 'thread/reply/attachment', under(r2)),
      { expect: 401, code: NOT_ALLOWED });
    await check(s, 'anonymous reads a1 (anyone: read)', T, await read(s, null, { recordId: idOf(a1) }), { expect: 200 });
    await check(s, 'dave reads a2 (anyone: read)', T, await read(s, dave, { recordId: idOf(a2) }), { expect: 200 });
    await check(s, 'dave queries attachments: anyone-read does not make them queryable', T,
      await query(s, dave, { protocol: ACT, protocolPath: 'thread/reply/attachment' }), { expect: 200, ids: [] });

    // published protocol records bypass read rules
    const t4 = await pw(bob, 'thread', { published: true });
    await send(s, 'bob creates published thread t4', T, t4, { expect: 202 });
    await check(s, 'dave reads published t4 (no read rule needed)', T, await read(s, dave, { recordId: idOf(t4) }), { expect: 200 });
    await check(s, 'anonymous queries thread: the published t4 only', T, await query(s, null, { protocol: ACT, protocolPath: 'thread' }),
      { expect: 200, ids: [idOf(t4)] });

    // type, schema and dataFormat checks
    const noteData = utf8('a note');
    const note = await write(s, dave, { protocol: ACT, protocolPath: 'note', schema: SCHEMA_NOTE, dataFormat: 'text/plain', data: noteData });
    await check(s, 'dave writes a note with the declared schema and dataFormat', T, note.message, { data: noteData, expect: 202 });
    await check(s, 'anonymous reads the note (anyone: read)', T, await read(s, null, { recordId: note.message.recordId }), { expect: 200 });
    const noteW = async (opts) => write(s, dave, { protocol: ACT, protocolPath: 'note', data: noteData, ...opts });
    await check(s, 'note without schema -> 400', T, (await noteW({ dataFormat: 'text/plain' })).message,
      { data: noteData, expect: 400, code: 'ProtocolAuthorizationInvalidSchema' });
    await check(s, 'note with another schema -> 400', T, (await noteW({ schema: SCHEMA_POST, dataFormat: 'text/plain' })).message,
      { data: noteData, expect: 400, code: 'ProtocolAuthorizationInvalidSchema' });
    await check(s, 'note with a disallowed dataFormat -> 400', T, (await noteW({ schema: SCHEMA_NOTE, dataFormat: 'application/json' })).message,
      { data: noteData, expect: 400, code: 'ProtocolAuthorizationIncorrectDataFormat' });
    await check(s, 'note with wrong schema and wrong dataFormat -> 400 InvalidSchema (schema first)', T,
      (await noteW({ schema: SCHEMA_POST, dataFormat: 'application/json' })).message,
      { data: noteData, expect: 400, code: 'ProtocolAuthorizationInvalidSchema' });
    await send(s, 'type not declared in the protocol -> 400', T, await pw(alice, 'ghost'), { expect: 400, code: 'ProtocolAuthorizationInvalidType' });
    await send(s, 'undeclared type under a valid parent -> 400 InvalidType (type before path)', T, await pw(alice, 'thread/ghost', under(t1)),
      { expect: 400, code: 'ProtocolAuthorizationInvalidType' });
    await send(s, 'thread/reply without a parent -> 400', T, await pw(alice, 'thread/reply'),
      { expect: 400, code: 'ProtocolAuthorizationParentlessIncorrectProtocolPath' });
    await send(s, 'reply at the root (no rule set at path reply) -> 400', T, await pw(alice, 'reply'),
      { expect: 400, code: 'ProtocolAuthorizationMissingRuleSet' });
    await send(s, 'protocolPath reply under thread t1 -> 400', T, await pw(alice, 'reply', under(t1)),
      { expect: 400, code: 'ProtocolAuthorizationIncorrectProtocolPath' });
    await send(s, 'thread/reply under a note (wrong parent type) -> 400', T,
      await pw(alice, 'thread/reply', { parentContextId: note.message.contextId }), { expect: 400, code: 'ProtocolAuthorizationIncorrectProtocolPath' });
    await send(s, 'thread/reply under a missing parent -> 400', T,
      await pw(alice, 'thread/reply', { parentContextId: await missingRecordId(`${s.name}/parent`) }), { expect: 400, code: 'ProtocolAuthorizationIncorrectProtocolPath' });
    await send(s, 'thread/reply/attachment directly under a thread -> 400', T, await pw(alice, 'thread/reply/attachment', under(t1)),
      { expect: 400, code: 'ProtocolAuthorizationIncorrectProtocolPath' });
    await send(s, 'thread/attachment under a thread (declared type, no rule set there) -> 400', T, await pw(alice, 'thread/attachment', under(t1)),
      { expect: 400, code: 'ProtocolAuthorizationMissingRuleSet' });
    await send(s, 'attachment whose contextId names the wrong thread -> 400', T,
      await pw(alice, 'thread/reply/attachment', { parentContextId: `${t2.message.contextId}/${idOf(r1)}` }),
      { expect: 400, code: 'ProtocolAuthorizationIncorrectContextId' });
    await send(s, 'dave replies in t1 with a wrong dataFormat -> 400 (checks before authorization)', T,
      await pw(dave, 'thread/reply', under(t1, { dataFormat: 'text/plain' })), { expect: 400, code: 'ProtocolAuthorizationIncorrectDataFormat' });

    // a rule set without $actions
    await send(s, 'bob writes a secret (no $actions) -> 401', T, await pw(bob, 'secret'), { expect: 401, code: 'ProtocolAuthorizationActionRulesNotFound' });
    const secret = await pw(alice, 'secret');
    await send(s, 'alice writes a secret', T, secret, { expect: 202 });
    await check(s, 'bob reads the secret -> 401', T, await read(s, bob, { recordId: idOf(secret) }), { expect: 401, code: 'ProtocolAuthorizationActionRulesNotFound' });
    await check(s, 'anonymous reads the secret -> 401', T, await read(s, null, { recordId: idOf(secret) }), { expect: 401, code: 'ProtocolAuthorizationActionRulesNotFound' });
    await check(s, 'bob deletes the secret -> 401', T, await del(s, bob, idOf(secret)), { expect: 401, code: 'ProtocolAuthorizationActionRulesNotFound' });
    await check(s, 'bob queries secrets -> 200, empty (queries do not consult rules)', T,
      await query(s, bob, { protocol: ACT, protocolPath: 'secret' }), { expect: 200, ids: [] });

    // delete and prune
    await check(s, 'dave deletes r1 -> 401', T, await del(s, dave, idOf(r1)), { expect: 401, code: NOT_ALLOWED });
    await check(s, 'carol deletes r1 -> 401 (recipient of thread: create/read only)', T, await del(s, carol, idOf(r1)), { expect: 401, code: NOT_ALLOWED });
    await check(s, 'bob deletes carol\'s r2 -> 401 (delete is for the original author; no co-delete)', T, await del(s, bob, idOf(r2)),
      { expect: 401, code: NOT_ALLOWED });
    await check(s, 'bob deletes his r1 (author of thread: delete)', T, await del(s, bob, idOf(r1)), { expect: 202 });
    await send(s, 'attachment under the deleted r1 -> 400 (parent must be live)', T, await pw(alice, 'thread/reply/attachment', under(r1)),
      { expect: 400, code: 'ProtocolAuthorizationIncorrectProtocolPath' });
    await check(s, 'a1 survives the delete of its parent (prune false)', T, await read(s, alice, { recordId: idOf(a1) }), { expect: 200 });
    await check(s, 'dave prunes a2 -> 401', T, await del(s, dave, idOf(a2), { prune: true }), { expect: 401, code: NOT_ALLOWED });
    await check(s, 'carol prunes her a2 (prune, author of thread/reply)', T, await del(s, carol, idOf(a2), { prune: true }), { expect: 202 });
    await check(s, 'bob deletes his t1 -> 401 (thread rules have no delete)', T, await del(s, bob, idOf(t1)), { expect: 401, code: NOT_ALLOWED });
    await check(s, 'dave deletes t1 -> 401', T, await del(s, dave, idOf(t1)), { expect: 401, code: NOT_ALLOWED });
    await check(s, 'carol co-deletes t1 (recipient: co-delete)', T, await del(s, carol, idOf(t1)), { expect: 202 });
    await check(s, 'carol co-prunes t3 -> 401 (not its recipient)', T, await del(s, carol, idOf(t3), { prune: true }), { expect: 401, code: NOT_ALLOWED });
    const r3 = await pw(carol, 'thread/reply', under(t2));
    await send(s, 'carol replies r3 in t2', T, r3, { expect: 202 });
    const a3 = await pw(carol, 'thread/reply/attachment', under(r3));
    await send(s, 'carol attaches a3 to r3', T, a3, { expect: 202 });
    await check(s, 'bob prunes his t2 -> 401 (no prune rule for threads)', T, await del(s, bob, idOf(t2), { prune: true }), { expect: 401, code: NOT_ALLOWED });
    await check(s, 'carol co-prunes t2 (recipient: co-prune)', T, await del(s, carol, idOf(t2), { prune: true }), { expect: 202 });
    await check(s, 'owner read of a3 after the prune -> 404', T, await read(s, alice, { recordId: idOf(a3) }), { expect: 404 });
    await check(s, 'owner query after deletes and prune: r2 and a1 outlive their deleted ancestors (prune false)', T, await query(s, alice, { protocol: ACT }),
      { expect: 200, ids: [idOf(t3), idOf(r2), idOf(r4), idOf(a1), idOf(t4), note.message.recordId, idOf(secret)] });
  });

const ROLES = 'https://example.com/conformance/roles';
const rolesDefinition = {
  protocol: ROLES,
  published: true,
  types: {
    friend: {}, admin: {}, thread: {}, participant: {}, message: {}, chat: {},
  },
  structure: {
    friend: { $role: true },
    admin: { $role: true },
    thread: {
      $actions: [
        { role: 'friend', can: ['create', 'read', 'query', 'subscribe'] },
        { role: 'admin', can: ['co-update', 'co-delete'] },
      ],
      participant: {
        $role: true,
        $actions: [{ who: 'author', of: 'thread', can: ['create'] }],
      },
      message: {
        $actions: [
          { role: 'thread/participant', can: ['create', 'read', 'query', 'subscribe', 'co-update', 'co-delete'] },
        ],
      },
    },
    chat: { $actions: [{ who: 'anyone', can: ['create'] }] },
  },
};

scenario('protocols-roles',
  'Global ($role at the root) and context (nested) roles: role records need a unique recipient; invoking protocolRole for create, read, query, co-update and co-delete; not-a-role, missing role record, missing contextId; revoked roles.',
  async (s) => {
    const alice = await s.persona('alice');
    const bob = await s.persona('bob');
    const carol = await s.persona('carol');
    const dave = await s.persona('dave');
    const T = alice.did;
    const pw = (author, path, opts) => pwrite(s, author, ROLES, path, opts);
    const under = (parent, opts = {}) => ({ parentContextId: parent.message.contextId, ...opts });
    const idOf = (w) => w.message.recordId;

    await check(s, 'alice configures the roles protocol', T, await configure(s, alice, rolesDefinition), { expect: 202 });

    // global role records
    const bobFriend = await pw(alice, 'friend', { recipient: bob.did });
    await send(s, 'alice assigns the friend role to bob', T, bobFriend, { expect: 202 });
    await send(s, 'friend role record without recipient -> 400', T, await pw(alice, 'friend'),
      { expect: 400, code: 'ProtocolAuthorizationRoleMissingRecipient' });
    await send(s, 'second friend role record for bob -> 400', T, await pw(alice, 'friend', { recipient: bob.did }),
      { expect: 400, code: 'ProtocolAuthorizationDuplicateRoleRecipient' });
    await send(s, 'updating bob\'s friend role record is not a duplicate -> 202', T, await pupdate(s, alice, bobFriend), { expect: 202 });
    await send(s, 'dave writes a friend role record without recipient -> 400 (before authorization)', T, await pw(dave, 'friend'),
      { expect: 400, code: 'ProtocolAuthorizationRoleMissingRecipient' });
    await send(s, 'dave assigns himself the friend role -> 401 (no $actions)', T, await pw(dave, 'friend', { recipient: dave.did }),
      { expect: 401, code: 'ProtocolAuthorizationActionRulesNotFound' });
    const carolAdmin = await pw(alice, 'admin', { recipient: carol.did });
    await send(s, 'alice assigns the admin role to carol', T, carolAdmin, { expect: 202 });

    // invoking the global role for create
    const t0 = await pw(alice, 'thread');
    await send(s, 'alice creates thread t0', T, t0, { expect: 202 });
    const tb = await pw(bob, 'thread', { protocolRole: 'friend' });
    await send(s, 'bob creates thread tb invoking friend', T, tb, { expect: 202 });
    await send(s, 'bob creates a thread without invoking a role -> 401', T, await pw(bob, 'thread'),
      { expect: 401, code: 'ProtocolAuthorizationActionNotAllowed' });
    await send(s, 'dave creates a thread invoking friend -> 401 (no role record)', T, await pw(dave, 'thread', { protocolRole: 'friend' }),
      { expect: 401, code: 'ProtocolAuthorizationMatchingRoleRecordNotFound' });
    await send(s, 'bob creates a thread invoking thread (not a role) -> 401', T, await pw(bob, 'thread', { protocolRole: 'thread' }),
      { expect: 401, code: 'ProtocolAuthorizationNotARole' });
    await send(s, 'bob creates a thread invoking a missing path -> 401', T, await pw(bob, 'thread', { protocolRole: 'enemy' }),
      { expect: 401, code: 'ProtocolAuthorizationNotARole' });
    await send(s, 'carol creates a thread invoking admin -> 401 (admin rule has no create)', T, await pw(carol, 'thread', { protocolRole: 'admin' }),
      { expect: 401, code: 'ProtocolAuthorizationActionNotAllowed' });
    await send(s, 'bob creates a chat invoking friend -> 202 (who:anyone matches even when a role is invoked)', T,
      await pw(bob, 'chat', { protocolRole: 'friend' }), { expect: 202 });
    await send(s, 'dave creates a chat invoking friend -> 401 (the invoked role is verified before who:anyone)', T,
      await pw(dave, 'chat', { protocolRole: 'friend' }), { expect: 401, code: 'ProtocolAuthorizationMatchingRoleRecordNotFound' });
    await send(s, 'bob creates a chat without a role (anyone: create)', T, await pw(bob, 'chat'), { expect: 202 });

    // invoking the global role for read and query
    await check(s, 'bob reads t0 invoking friend', T, await read(s, bob, { recordId: idOf(t0) }, { protocolRole: 'friend' }), { expect: 200 });
    await check(s, 'bob reads t0 without a role -> 401', T, await read(s, bob, { recordId: idOf(t0) }),
      { expect: 401, code: 'ProtocolAuthorizationActionNotAllowed' });
    await check(s, 'dave reads t0 invoking friend -> 401', T, await read(s, dave, { recordId: idOf(t0) }, { protocolRole: 'friend' }),
      { expect: 401, code: 'ProtocolAuthorizationMatchingRoleRecordNotFound' });
    await check(s, 'bob reads t0 invoking a non-role path -> 401', T, await read(s, bob, { recordId: idOf(t0) }, { protocolRole: 'thread/message' }),
      { expect: 401, code: 'ProtocolAuthorizationNotARole' });
    await check(s, 'bob queries threads invoking friend: all threads', T,
      await query(s, bob, { protocol: ROLES, protocolPath: 'thread' }, { protocolRole: 'friend' }), { expect: 200, ids: [idOf(t0), idOf(tb)] });
    await check(s, 'bob queries threads without a role: only his own', T,
      await query(s, bob, { protocol: ROLES, protocolPath: 'thread' }), { expect: 200, ids: [idOf(tb)] });
    await check(s, 'bob queries invoking friend without protocolPath -> 400', T,
      await query(s, bob, { protocol: ROLES }, { protocolRole: 'friend' }), { expect: 400, code: 'RecordsQueryFilterMissingRequiredProperties' });
    await check(s, 'dave queries threads invoking friend -> 401', T,
      await query(s, dave, { protocol: ROLES, protocolPath: 'thread' }, { protocolRole: 'friend' }),
      { expect: 401, code: 'ProtocolAuthorizationMatchingRoleRecordNotFound' });
    await check(s, 'carol queries threads invoking admin -> 401 (admin rule has no query)', T,
      await query(s, carol, { protocol: ROLES, protocolPath: 'thread' }, { protocolRole: 'admin' }),
      { expect: 401, code: 'ProtocolAuthorizationActionNotAllowed' });
    await check(s, 'bob queries chats invoking friend -> 401 (chat has no role rule)', T,
      await query(s, bob, { protocol: ROLES, protocolPath: 'chat' }, { protocolRole: 'friend' }),
      { expect: 401, code: 'ProtocolAuthorizationActionNotAllowed' });
    await check(s, 'bob queries roles invoking friend -> 401 (friend has no $actions)', T,
      await query(s, bob, { protocol: ROLES, protocolPath: 'friend' }, { protocolRole: 'friend' }),
      { expect: 401, code: 'ProtocolAuthorizationActionRulesNotFound' });

    // context role: thread/participant
    const carolInTb = await pw(bob, 'thread/participant', under(tb, { recipient: carol.did }));
    await send(s, 'bob (author of tb) makes carol a participant of tb', T, carolInTb, { expect: 202 });
    await send(s, 'second participant record for carol in tb -> 400', T, await pw(bob, 'thread/participant', under(tb, { recipient: carol.did })),
      { expect: 400, code: 'ProtocolAuthorizationDuplicateRoleRecipient' });
    await send(s, 'participant record without recipient -> 400', T, await pw(bob, 'thread/participant', under(tb)),
      { expect: 400, code: 'ProtocolAuthorizationRoleMissingRecipient' });
    await send(s, 'bob makes dave a participant of t0 -> 401 (not author of t0)', T, await pw(bob, 'thread/participant', under(t0, { recipient: dave.did })),
      { expect: 401, code: 'ProtocolAuthorizationActionNotAllowed' });
    const daveInT0 = await pw(alice, 'thread/participant', under(t0, { recipient: dave.did }));
    await send(s, 'alice makes dave a participant of t0', T, daveInT0, { expect: 202 });
    await send(s, 'alice makes carol a participant of t0 (same recipient, other context) -> 202', T,
      await pw(alice, 'thread/participant', under(t0, { recipient: carol.did })), { expect: 202 });
    const m0 = await pw(alice, 'thread/message', under(tb));
    await send(s, 'alice writes message m0 in tb', T, m0, { expect: 202 });
    const mc = await pw(carol, 'thread/message', under(tb, { protocolRole: 'thread/participant' }));
    await send(s, 'carol writes a message in tb invoking thread/participant', T, mc, { expect: 202 });
    await send(s, 'dave writes a message in tb invoking thread/participant -> 401 (his role is in t0)', T,
      await pw(dave, 'thread/message', under(tb, { protocolRole: 'thread/participant' })),
      { expect: 401, code: 'ProtocolAuthorizationMatchingRoleRecordNotFound' });
    const md = await pw(dave, 'thread/message', under(t0, { protocolRole: 'thread/participant' }));
    await send(s, 'dave writes a message in t0 invoking thread/participant', T, md, { expect: 202 });
    await send(s, 'bob writes a message in tb invoking friend -> 401 (no friend rule for messages)', T,
      await pw(bob, 'thread/message', under(tb, { protocolRole: 'friend' })), { expect: 401, code: 'ProtocolAuthorizationActionNotAllowed' });
    await send(s, 'bob writes a message in tb invoking participant (wrong path for the role) -> 401', T,
      await pw(bob, 'thread/message', under(tb, { protocolRole: 'participant' })), { expect: 401, code: 'ProtocolAuthorizationNotARole' });
    await check(s, 'carol reads m0 invoking thread/participant', T,
      await read(s, carol, { recordId: idOf(m0) }, { protocolRole: 'thread/participant' }), { expect: 200 });
    await check(s, 'carol reads m0 without a role -> 401', T, await read(s, carol, { recordId: idOf(m0) }),
      { expect: 401, code: 'ProtocolAuthorizationActionNotAllowed' });
    await check(s, 'dave reads m0 invoking thread/participant -> 401 (context mismatch)', T,
      await read(s, dave, { recordId: idOf(m0) }, { protocolRole: 'thread/participant' }),
      { expect: 401, code: 'ProtocolAuthorizationMatchingRoleRecordNotFound' });
    await check(s, 'carol reads her own participant record invoking a non-role path (recipients skip role checks)', T,
      await read(s, carol, { recordId: idOf(carolInTb) }, { protocolRole: 'thread' }), { expect: 200 });
    await check(s, 'carol queries messages invoking thread/participant without contextId -> 401', T,
      await query(s, carol, { protocol: ROLES, protocolPath: 'thread/message' }, { protocolRole: 'thread/participant' }),
      { expect: 401, code: 'ProtocolAuthorizationMissingContextId' });
    await check(s, 'carol queries messages of tb invoking thread/participant', T,
      await query(s, carol, { protocol: ROLES, protocolPath: 'thread/message', contextId: tb.message.contextId }, { protocolRole: 'thread/participant' }),
      { expect: 200, ids: [idOf(m0), idOf(mc)] });
    await check(s, 'carol queries messages of t0 invoking thread/participant (she is a participant there too)', T,
      await query(s, carol, { protocol: ROLES, protocolPath: 'thread/message', contextId: t0.message.contextId }, { protocolRole: 'thread/participant' }),
      { expect: 200, ids: [idOf(md)] });
    await check(s, 'dave queries messages of tb invoking thread/participant -> 401', T,
      await query(s, dave, { protocol: ROLES, protocolPath: 'thread/message', contextId: tb.message.contextId }, { protocolRole: 'thread/participant' }),
      { expect: 401, code: 'ProtocolAuthorizationMatchingRoleRecordNotFound' });
    await check(s, 'carol queries messages without a role: only her own', T,
      await query(s, carol, { protocol: ROLES, protocolPath: 'thread/message' }), { expect: 200, ids: [idOf(mc)] });

    // role rules for co-update / co-delete
    await send(s, 'carol co-updates m0 invoking thread/participant', T,
      await pupdate(s, carol, m0, { protocolRole: 'thread/participant' }), { expect: 202 });
    await send(s, 'dave co-updates m0 invoking thread/participant -> 401', T,
      await pupdate(s, dave, m0, { protocolRole: 'thread/participant' }), { expect: 401, code: 'ProtocolAuthorizationMatchingRoleRecordNotFound' });
    const tbAdmin = await pupdate(s, carol, tb, { protocolRole: 'admin' });
    await send(s, 'carol co-updates bob\'s tb invoking admin', T, tbAdmin, { expect: 202 });
    await send(s, 'bob updates his tb invoking friend -> 401 (friend rule has no update)', T,
      await pupdate(s, bob, tbAdmin, { protocolRole: 'friend' }), { expect: 401, code: 'ProtocolAuthorizationActionNotAllowed' });
    await send(s, 'dave co-updates tb invoking admin -> 401', T,
      await pupdate(s, dave, tbAdmin, { protocolRole: 'admin' }), { expect: 401, code: 'ProtocolAuthorizationMatchingRoleRecordNotFound' });
    await check(s, 'bob deletes his tb invoking friend -> 401', T, await del(s, bob, idOf(tb), { protocolRole: 'friend' }),
      { expect: 401, code: 'ProtocolAuthorizationActionNotAllowed' });
    await check(s, 'carol co-deletes md in t0 invoking thread/participant', T, await del(s, carol, idOf(md), { protocolRole: 'thread/participant' }),
      { expect: 202 });
    await check(s, 'carol co-deletes t0 invoking admin', T, await del(s, carol, idOf(t0), { protocolRole: 'admin' }), { expect: 202 });
    await check(s, 'carol prunes tb invoking admin -> 401 (co-prune not granted)', T,
      await del(s, carol, idOf(tb), { protocolRole: 'admin', prune: true }), { expect: 401, code: 'ProtocolAuthorizationActionNotAllowed' });

    // revoking a role
    await check(s, 'alice deletes bob\'s friend role record', T, await del(s, alice, idOf(bobFriend)), { expect: 202 });
    await send(s, 'bob creates a thread invoking friend after revocation -> 401', T, await pw(bob, 'thread', { protocolRole: 'friend' }),
      { expect: 401, code: 'ProtocolAuthorizationMatchingRoleRecordNotFound' });
    const bobFriend2 = await pw(alice, 'friend', { recipient: bob.did });
    await send(s, 'alice assigns the friend role to bob again (no duplicate after delete)', T, bobFriend2, { expect: 202 });
    await check(s, 'bob queries threads invoking friend again', T,
      await query(s, bob, { protocol: ROLES, protocolPath: 'thread' }, { protocolRole: 'friend' }), { expect: 200, ids: [idOf(tb)] });
  });

const ST = 'https://example.com/conformance/size-tags';
const sizeTagsDefinition = {
  protocol: ST,
  published: false,
  types: { blob: {}, minonly: {}, maxonly: {}, tagged: { dataFormats: ['application/json'] }, open: {}, closed: {} },
  structure: {
    blob: { $size: { min: 5, max: 10 }, $actions: [{ who: 'anyone', can: ['create', 'update'] }] },
    minonly: { $size: { min: 3 } },
    maxonly: { $size: { max: 4 } },
    tagged: {
      $size: { max: 64 },
      $actions: [{ who: 'anyone', can: ['create', 'update'] }],
      $tags: {
        $requiredTags: ['status'],
        $allowUndefinedTags: false,
        status: { type: 'string', enum: ['draft', 'final'] },
        priority: { type: 'integer', minimum: 1, maximum: 5 },
        score: { type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 1 },
        flag: { type: 'boolean' },
        label: { type: 'string', minLength: 2, maxLength: 4 },
        topics: { type: 'array', minItems: 2, maxItems: 3, uniqueItems: true, items: { type: 'string', maxLength: 5 } },
        nums: { type: 'array', items: { type: 'number', minimum: 0 }, contains: { type: 'number', minimum: 10 } },
      },
    },
    open: { $tags: { $allowUndefinedTags: true, kind: { type: 'string', enum: ['a', 'b'] } } },
    closed: { $tags: { kind: { type: 'string' } } },
  },
};

scenario('protocols-size-tags',
  '$size (min/max at limit-1, limit, limit+1; data-less writes use descriptor.dataSize) and $tags ($requiredTags, $allowUndefinedTags false/true/default, enum, types, number and string ranges, arrays); these checks run before authorization.',
  async (s) => {
    const alice = await s.persona('alice');
    const bob = await s.persona('bob');
    const T = alice.did;
    const bytes = (path, n, author = alice, opts = {}) =>
      pwrite(s, author, ST, path, { dataFormat: 'application/octet-stream', data: detBytes(n, n), ...opts });
    const MIN = 'ProtocolAuthorizationMinSizeInvalid';
    const MAX = 'ProtocolAuthorizationMaxSizeInvalid';
    const TAGS = 'ProtocolAuthorizationTagsInvalidSchema';

    await check(s, 'alice configures the size-tags protocol', T, await configure(s, alice, sizeTagsDefinition), { expect: 202 });

    // $size min 5 max 10
    for (const [n, expect, code] of [[4, 400, MIN], [5, 202], [6, 202], [9, 202], [10, 202], [11, 400, MAX]]) {
      await send(s, `blob (min 5, max 10) with ${n} bytes -> ${expect}`, T, await bytes('blob', n), { expect, code });
    }
    await send(s, 'bob writes a 4-byte blob -> 400 (size checked for non-owners too)', T, await bytes('blob', 4, bob), { expect: 400, code: MIN });
    await send(s, 'bob writes a 7-byte blob (anyone: create)', T, await bytes('blob', 7, bob), { expect: 202 });
    for (const [n, expect, code] of [[2, 400, MIN], [3, 202], [4, 202]]) {
      await send(s, `minonly (min 3) with ${n} bytes -> ${expect}`, T, await bytes('minonly', n), { expect, code });
    }
    for (const [n, expect, code] of [[3, 202], [4, 202], [5, 400, MAX]]) {
      await send(s, `maxonly (max 4) with ${n} bytes -> ${expect}`, T, await bytes('maxonly', n), { expect, code });
    }
    await send(s, 'bob writes a 5-byte maxonly -> 400 (size before authorization)', T, await bytes('maxonly', 5, bob), { expect: 400, code: MAX });
    await send(s, 'bob writes a 4-byte maxonly -> 401 (no $actions)', T, await bytes('maxonly', 4, bob), { expect: 401, code: 'ProtocolAuthorizationActionRulesNotFound' });
    const noData = async (n) => {
      const w = await write(s, alice, { protocol: ST, protocolPath: 'blob', dataFormat: 'application/octet-stream', data: detBytes(n, n) });
      return w.message;
    };
    await check(s, 'blob initial write without data, dataSize 11 -> 400 (descriptor dataSize is checked)', T, await noData(11), { expect: 400, code: MAX });
    await check(s, 'blob initial write without data, dataSize 7 -> 204', T, await noData(7), { expect: 204 });
    const blob = await bytes('blob', 8);
    await send(s, 'blob with 8 bytes', T, blob, { expect: 202 });
    await send(s, 'update of the blob to 11 bytes -> 400', T,
      await pupdate(s, alice, blob, { data: detBytes(11, 1), dataFormat: 'application/octet-stream' }), { expect: 400, code: MAX });
    await send(s, 'update of the blob to 10 bytes -> 202', T,
      await pupdate(s, alice, blob, { data: detBytes(10, 1), dataFormat: 'application/octet-stream' }), { expect: 202 });
    await send(s, 'blob with tags (no $tags rule: tags unchecked) -> 202', T, await bytes('blob', 6, alice, { tags: { anything: 'goes', n: 1 } }), { expect: 202 });

    // $tags on tagged
    const tagged = (tags, author = alice, extra = {}) => pwrite(s, author, ST, 'tagged', { ...(tags === undefined ? {} : { tags }), ...extra });
    const tagCase = async (name, tags, expect, code = expect === 400 ? TAGS : undefined) =>
      send(s, `tagged ${name} -> ${expect}`, T, await tagged(tags), { expect, code });
    await tagCase('without tags (status required)', undefined, 400);
    await tagCase('status draft', { status: 'draft' }, 202);
    await tagCase('status not in enum', { status: 'other' }, 400);
    await tagCase('status as a number', { status: 1 }, 400);
    await tagCase('with an undefined tag', { status: 'draft', extra: 'x' }, 400);
    await tagCase('priority without the required status', { priority: 3 }, 400);
    await tagCase('priority 0 (minimum 1)', { status: 'draft', priority: 0 }, 400);
    await tagCase('priority 1', { status: 'draft', priority: 1 }, 202);
    await tagCase('priority 5', { status: 'draft', priority: 5 }, 202);
    await tagCase('priority 6 (maximum 5)', { status: 'draft', priority: 6 }, 400);
    await tagCase('priority 2.5 (integer)', { status: 'draft', priority: 2.5 }, 400);
    await tagCase('priority as a string', { status: 'draft', priority: '3' }, 400);
    await tagCase('score 0 (exclusiveMinimum 0)', { status: 'final', score: 0 }, 400);
    await tagCase('score 0.5', { status: 'final', score: 0.5 }, 202);
    await tagCase('score 1 (exclusiveMaximum 1)', { status: 'final', score: 1 }, 400);
    await tagCase('flag true', { status: 'final', flag: true }, 202);
    await tagCase('flag as a string', { status: 'final', flag: 'true' }, 400);
    await tagCase('label of 1 char (minLength 2)', { status: 'draft', label: 'a' }, 400);
    await tagCase('label of 2 chars', { status: 'draft', label: 'ab' }, 202);
    await tagCase('label of 4 chars', { status: 'draft', label: 'abcd' }, 202);
    await tagCase('label of 5 chars (maxLength 4)', { status: 'draft', label: 'abcde' }, 400);
    await tagCase('topics with 2 unique items', { status: 'draft', topics: ['a', 'b'] }, 202);
    await tagCase('topics with 3 unique items', { status: 'draft', topics: ['a', 'b', 'c'] }, 202);
    await tagCase('topics with 1 item (minItems 2)', { status: 'draft', topics: ['a'] }, 400);
    await tagCase('topics with 4 items (maxItems 3)', { status: 'draft', topics: ['a', 'b', 'c', 'd'] }, 400);
    await tagCase('topics with duplicates (uniqueItems)', { status: 'draft', topics: ['a', 'a'] }, 400);
    await tagCase('topics with a 6-char item (items.maxLength 5)', { status: 'draft', topics: ['a', 'toolong'] }, 400);
    await tagCase('topics as a string (type array)', { status: 'draft', topics: 'a' }, 400);
    await tagCase('topics as numbers (items.type string)', { status: 'draft', topics: [1, 2] }, 400);
    await tagCase('nums containing an item >= 10', { status: 'draft', nums: [1, 12] }, 202);
    await tagCase('nums without an item >= 10 (contains)', { status: 'draft', nums: [1, 2] }, 400);
    await tagCase('nums with a negative item (items.minimum 0)', { status: 'draft', nums: [-1, 12] }, 400);
    await tagCase('all tags valid at once', { status: 'final', priority: 2, score: 0.25, flag: false, label: 'abc', topics: ['x', 'y'], nums: [10] }, 202);
    await tagCase('several violations at once', { status: 'bad', priority: 9, label: 'a' }, 400);
    await send(s, 'tagged with a mixed-type array -> 400 (message JSON schema, not $tags)', T, await tagged({ status: 'draft', topics: ['a', 1] }), { expect: 400 });
    await send(s, 'tagged with an empty array -> 400 (message JSON schema)', T, await tagged({ status: 'draft', topics: [] }), { expect: 400 });
    await send(s, 'bob writes tagged without status -> 400 (tags checked for non-owners too)', T, await tagged({ priority: 2 }, bob), { expect: 400, code: TAGS });
    await send(s, 'tagged with 65 bytes and invalid tags -> 400 MaxSizeInvalid ($size before $tags)', T,
      await tagged({ status: 'bad' }, alice, { data: detBytes(65, 65) }), { expect: 400, code: MAX });
    await send(s, 'tagged with a wrong dataFormat and invalid tags -> 400 IncorrectDataFormat (type before $tags)', T,
      await tagged({ status: 'bad' }, alice, { dataFormat: 'text/plain' }), { expect: 400, code: 'ProtocolAuthorizationIncorrectDataFormat' });
    const rec = await tagged({ status: 'draft', priority: 2 });
    await send(s, 'tagged record for updates', T, rec, { expect: 202 });
    await send(s, 'update that omits tags -> 400 (status required; tags are not inherited)', T, await pupdate(s, alice, rec), { expect: 400, code: TAGS });
    await send(s, 'update with an invalid tag value -> 400', T, await pupdate(s, alice, rec, { tags: { status: 'draft', priority: 7 } }), { expect: 400, code: TAGS });
    await send(s, 'update with valid tags -> 202', T, await pupdate(s, alice, rec, { tags: { status: 'final' } }), { expect: 202 });

    // $allowUndefinedTags true and default (false)
    const other = (path, tags) => pwrite(s, alice, ST, path, tags === undefined ? {} : { tags });
    await send(s, 'open (allowUndefinedTags true) with an undefined tag -> 202', T, await other('open', { kind: 'a', other: 1 }), { expect: 202 });
    await send(s, 'open with a defined tag not in its enum -> 400', T, await other('open', { kind: 'c', other: 1 }), { expect: 400, code: TAGS });
    await send(s, 'open without tags -> 202', T, await other('open'), { expect: 202 });
    await send(s, 'closed (allowUndefinedTags omitted) with an undefined tag -> 400', T, await other('closed', { other: 'x' }), { expect: 400, code: TAGS });
    await send(s, 'closed with its defined tag -> 202', T, await other('closed', { kind: 'x' }), { expect: 202 });
    await send(s, 'closed without tags -> 202', T, await other('closed'), { expect: 202 });
    await check(s, 'owner queries tagged records by tag priority range', T,
      await query(s, alice, { protocol: ST, protocolPath: 'tagged', tags: { priority: { gte: 2 } } }), { expect: 200 });
  });

// ---- permission grants (file name starts with permissions-) ----

const GT = 'https://example.com/grants-test';
const GT_OTHER = 'https://example.com/grants-test/other';
const PERMISSIONS = PermissionsProtocol.uri;
const GRANT_FAR_EXPIRY = '2030-01-01T00:00:00.000000Z';

const grantsTestDefinition = {
  protocol: GT,
  published: true,
  types: {
    post: { dataFormats: ['application/json'] },
    comment: { dataFormats: ['application/json'] },
  },
  // no $actions anywhere: only the tenant, grants and delegates can write or read unpublished records
  structure: { post: { comment: {} } },
};

const grantsOtherDefinition = {
  protocol: GT_OTHER,
  published: false,
  types: { note: { dataFormats: ['application/json'] } },
  structure: { note: {} },
};

/**
 * Runs `fn` with the SDK clock (Time.getCurrentTimestamp) fixed at `ts`. PermissionsProtocol.createRevocation
 * takes no timestamp at all and createRequest takes one only for messageTimestamp (dateCreated comes from the
 * clock), so this is how their messages get fixed timestamps.
 */
async function atClock(ts, fn) {
  const original = Time.getCurrentTimestamp;
  Time.getCurrentTimestamp = () => ts;
  try {
    return await fn();
  } finally {
    Time.getCurrentTimestamp = original;
  }
}

/**
 * A grant built by PermissionsProtocol.createGrant. Returns { message, data, encoded (message + encodedData,
 * as embedded for delegation), id, grant (PermissionGrant) }. `owner`: also signed as owner by that persona.
 */
async function makeGrant(s, grantor, grantee, scope, opts = {}) {
  const dateGranted = opts.dateGranted ?? s.ts();
  const { recordsWrite, permissionGrantBytes } = await PermissionsProtocol.createGrant({
    signer: grantor.signer,
    grantedTo: grantee.did,
    dateGranted,
    dateExpires: opts.dateExpires ?? GRANT_FAR_EXPIRY,
    scope,
    conditions: opts.conditions,
    delegated: opts.delegated,
    description: opts.description,
  });
  if (opts.owner !== undefined) await recordsWrite.signAsOwner(opts.owner.signer);
  const message = recordsWrite.message;
  const encoded = { ...clone(message), encodedData: b64url(permissionGrantBytes) };
  return { message, data: permissionGrantBytes, encoded, id: message.recordId, grant: await PermissionGrant.parse(encoded) };
}

/** A permission request built by PermissionsProtocol.createRequest at the next timestamp. */
async function makeRequest(s, author, scope, opts = {}) {
  const ts = s.ts();
  const { recordsWrite, permissionRequestBytes } = await atClock(ts, () => PermissionsProtocol.createRequest({
    signer: author.signer, dateRequested: ts, delegated: opts.delegated ?? false, scope, description: opts.description,
  }));
  return { message: recordsWrite.message, data: permissionRequestBytes };
}

/** A revocation built by PermissionsProtocol.createRevocation at `ts` (default: the next timestamp). */
async function makeRevocation(s, author, grant, { ts, description } = {}) {
  const at = ts ?? s.ts();
  const { recordsWrite, permissionRevocationBytes } = await atClock(at, () => PermissionsProtocol.createRevocation({
    signer: author.signer, grant: grant.grant, description,
  }));
  if (recordsWrite.message.descriptor.messageTimestamp !== at) throw new Error('createRevocation did not use the fixed clock');
  return { message: recordsWrite.message, data: permissionRevocationBytes };
}

/** A permissions-protocol record with arbitrary JSON data (for records createGrant/createRequest refuse or fix up). */
async function rawPermissionRecord(s, author, protocolPath, dataObject, opts = {}) {
  const data = utf8(JSON.stringify(dataObject));
  const w = await write(s, author, { protocol: PERMISSIONS, protocolPath, dataFormat: 'application/json', ...opts, data });
  return { message: w.message, data };
}

/** Replaces a message's authorization by one signed by `signer` that carries `permissionGrantId` (for messages whose create() has no such option). */
async function withGrantId(message, signer, permissionGrantId) {
  const authorization = await Message.createAuthorization({ descriptor: message.descriptor, signer: signer.signer, permissionGrantId });
  return { ...clone(message), authorization };
}

scenario('permissions-grants',
  'Permission requests, grants and revocations (https://tbd.website/dwn/permissions) and their validation; grants invoked with permissionGrantId by RecordsWrite / RecordsRead / RecordsQuery / RecordsDelete / ProtocolsConfigure / ProtocolsQuery (every failure: missing, not a grant, grantee, grantor, not yet active, expired, revoked before/after, interface, method, protocol, contextId, protocolPath, publication conditions, query scope, which check wins); delegated grants (authorDelegatedGrant on writes, reads, queries, deletes and configures; ownerDelegatedGrant) and their failures.',
  async (s) => {
    const alice = await s.persona('alice'); // tenant
    const bob = await s.persona('bob'); // grantee
    const carol = await s.persona('carol'); // stranger
    const dave = await s.persona('dave'); // alice's app key (delegate)
    const eve = await s.persona('eve'); // another app key
    const T = alice.did;
    const NOT_ALLOWED = 'ProtocolAuthorizationActionNotAllowed';
    const NO_RULES = 'ProtocolAuthorizationActionRulesNotFound';
    const idOf = (w) => w.message.recordId;
    const scope = (iface, method, extra = {}) => ({ interface: iface, method, ...extra });
    const RW = scope('Records', 'Write', { protocol: GT });
    const grantSent = async (name, grantor, grantee, sc, opts = {}) => {
      const g = await makeGrant(s, grantor, grantee, sc, opts);
      await send(s, name, T, g, { expect: 202 });
      return g;
    };
    const bobWrites = (path, grantId, { protocol = GT, ...opts } = {}) => pwrite(s, bob, protocol, path, { permissionGrantId: grantId, ...opts });
    const readWith = async (signer, recordId, grantId) => read(s, signer, { recordId }, grantId === undefined ? {} : { permissionGrantId: grantId });
    const missingGrantId = await missingRecordId(`${s.name}/missing-grant`);

    // ---- setup: two protocols and some records of alice
    const gtConfigure = await configure(s, alice, grantsTestDefinition);
    await check(s, 'alice configures grants-test (published, no $actions) -> 202', T, gtConfigure, { expect: 202 });
    const otherConfigure = await configure(s, alice, grantsOtherDefinition);
    await check(s, 'alice configures grants-test/other (unpublished) -> 202', T, otherConfigure, { expect: 202 });
    const p1 = await pwrite(s, alice, GT, 'post');
    await send(s, 'alice writes unpublished post p1', T, p1, { expect: 202 });
    const c1 = await pwrite(s, alice, GT, 'post/comment', { parentContextId: p1.message.contextId });
    await send(s, 'alice writes comment c1 under p1', T, c1, { expect: 202 });
    const p2 = await pwrite(s, alice, GT, 'post');
    await send(s, 'alice writes unpublished post p2', T, p2, { expect: 202 });
    const c2 = await pwrite(s, alice, GT, 'post/comment', { parentContextId: p2.message.contextId });
    await send(s, 'alice writes comment c2 under p2', T, c2, { expect: 202 });
    const pub = await pwrite(s, alice, GT, 'post', { published: true });
    await send(s, 'alice writes published post pub', T, pub, { expect: 202 });
    const flatData = utf8('flat unpublished record');
    const flat = await write(s, alice, { data: flatData });
    await check(s, 'alice writes an unpublished flat record', T, flat.message, { data: flatData, expect: 202 });
    const note = await pwrite(s, alice, GT_OTHER, 'note');
    await send(s, 'alice writes a note in grants-test/other', T, note, { expect: 202 });

    // ---- permission records: requests
    const request = await makeRequest(s, bob, RW, { description: 'bob asks to write posts' });
    await send(s, 'bob writes a permission request (anyone can create) -> 202', T, request, { expect: 202 });
    await send(s, 'request scoped to a protocol without the protocol tag -> 400', T,
      await rawPermissionRecord(s, bob, 'request', { delegated: false, scope: RW }), { expect: 400, code: 'PermissionsProtocolValidateScopeMissingProtocolTag' });
    await send(s, 'request data without delegated (PermissionRequestData schema) -> 400', T,
      await rawPermissionRecord(s, bob, 'request', { scope: RW }, { tags: { protocol: GT } }), { expect: 400, code: 'SchemaValidatorFailure' });

    // ---- permission records: grants
    const gWrite = await grantSent('alice grants bob Records Write on grants-test -> 202', alice, bob, RW);
    await send(s, 'bob writes a grant (to carol) into alice\'s DWN -> 401', T, await makeGrant(s, bob, carol, RW), { expect: 401, code: NOT_ALLOWED });
    const grantData = (extra) => ({ dateExpires: GRANT_FAR_EXPIRY, scope: RW, ...extra });
    const rawGrant = async (dataObject, opts = {}) => rawPermissionRecord(s, alice, 'grant', dataObject, { recipient: bob.did, tags: { protocol: GT }, ...opts });
    await send(s, 'grant data without dateExpires (PermissionGrantData schema) -> 400', T,
      await rawGrant({ scope: RW }), { expect: 400, code: 'SchemaValidatorFailure' });
    await send(s, 'grant data with an unknown property -> 400', T,
      await rawGrant(grantData({ color: 'blue' })), { expect: 400, code: 'SchemaValidatorAdditionalPropertyNotAllowed' });
    await send(s, 'protocol-scoped grant without the protocol tag -> 400', T,
      await rawGrant(grantData(), { tags: undefined }), { expect: 400, code: 'PermissionsProtocolValidateScopeMissingProtocolTag' });
    await send(s, 'protocol-scoped grant with a mismatched protocol tag -> 400', T,
      await rawGrant(grantData(), { tags: { protocol: GT_OTHER } }), { expect: 400, code: 'PermissionsProtocolValidateScopeProtocolMismatch' });
    await send(s, 'grant scope with both contextId and protocolPath -> 400', T,
      await rawGrant(grantData({ scope: { ...RW, contextId: p1.message.contextId, protocolPath: 'post' } })),
      { expect: 400, code: 'PermissionsProtocolValidateScopeContextIdProhibitedProperties' });
    await send(s, 'grant of 10001 bytes ($size max 10000) -> 400', T,
      await rawGrant(grantData({ description: 'x'.repeat(10001 - JSON.stringify(grantData({ description: '' })).length) })),
      { expect: 400, code: 'ProtocolAuthorizationMaxSizeInvalid' });

    // ---- permission records: revocations
    const gRevoked = await grantSent('alice grants bob Records Write (to be revoked) -> 202', alice, bob, RW);
    const tBeforeRevocation = s.ts();
    const revocation = await makeRevocation(s, alice, gRevoked, { description: 'no longer' });
    const tRevocation = revocation.message.descriptor.messageTimestamp;
    await send(s, 'bob revokes alice\'s grant to him -> 401', T, await makeRevocation(s, bob, gRevoked), { expect: 401, code: NOT_ALLOWED });
    await send(s, 'alice revokes the grant -> 202', T, revocation, { expect: 202 });
    await send(s, 'revocation whose protocol tag differs from the grant scope -> 400', T,
      await rawPermissionRecord(s, alice, 'grant/revocation', {}, { parentContextId: gWrite.id, tags: { protocol: GT_OTHER } }),
      { expect: 400, code: 'PermissionsProtocolValidateRevocationProtocolTagMismatch' });
    await send(s, 'revocation of a protocol-scoped grant without a protocol tag -> 400', T,
      await rawPermissionRecord(s, alice, 'grant/revocation', {}, { parentContextId: gWrite.id }),
      { expect: 400, code: 'PermissionsProtocolValidateRevocationProtocolTagMismatch' });
    const unsentGrant = await makeGrant(s, alice, bob, RW);
    await send(s, 'revocation of a grant that is not in the DWN -> 400', T, await makeRevocation(s, alice, unsentGrant),
      { expect: 400, code: 'ProtocolAuthorizationIncorrectProtocolPath' });
    await check(s, 'anonymous reads the revocation (anyone can read) -> 200', T, await read(s, null, { recordId: idOf(revocation) }), { expect: 200 });
    await check(s, 'bob (recipient) reads his grant -> 200', T, await read(s, bob, { recordId: gWrite.id }), { expect: 200 });
    await check(s, 'bob queries the grants: the two granted to him', T,
      await query(s, bob, { protocol: PERMISSIONS, protocolPath: 'grant' }), { expect: 200, ids: [gWrite.id, gRevoked.id] });
    await check(s, 'carol reads bob\'s grant -> 401', T, await read(s, carol, { recordId: gWrite.id }), { expect: 401, code: NOT_ALLOWED });

    // ---- RecordsWrite with permissionGrantId
    const bobPost = await bobWrites('post', gWrite.id);
    await send(s, 'write: bob writes a post with his grant -> 202', T, bobPost, { expect: 202 });
    await send(s, 'write: bob writes a post without a grant -> 401', T, await bobWrites('post', undefined), { expect: 401, code: NO_RULES });
    await send(s, 'write: grant missing -> 401', T, await bobWrites('post', missingGrantId), { expect: 401, code: 'GrantAuthorizationGrantMissing' });
    await send(s, 'write: permissionGrantId of a request record (not a grant) -> 401', T, await bobWrites('post', idOf(request)),
      { expect: 401, code: 'GrantAuthorizationGrantMissing' });
    await send(s, 'write: carol invokes bob\'s grant -> 401', T, await pwrite(s, carol, GT, 'post', { permissionGrantId: gWrite.id }),
      { expect: 401, code: 'GrantAuthorizationNotGrantedToAuthor' });
    const gByBob = await grantSent('grant authored by bob (to carol), owner-signed by alice -> 202', bob, carol, RW, { owner: alice });
    await send(s, 'write: carol invokes the grant authored by bob -> 401', T, await pwrite(s, carol, GT, 'post', { permissionGrantId: gByBob.id }),
      { expect: 401, code: 'GrantAuthorizationNotGrantedForTenant' });
    const gFuture = await grantSent('alice grants bob Records Write from 2024-01-12 -> 202', alice, bob, RW, { dateGranted: timestamp(1000000) });
    await send(s, 'write: grant not yet active -> 401', T, await bobWrites('post', gFuture.id), { expect: 401, code: 'GrantAuthorizationGrantNotYetActive' });
    const gExpiring = await makeGrant(s, alice, bob, RW, { dateExpires: timestamp(s.seconds + 2) });
    await send(s, 'alice grants bob Records Write expiring 2 seconds later -> 202', T, gExpiring, { expect: 202 });
    await send(s, 'write: at exactly dateGranted -> 202', T,
      await bobWrites('post', gExpiring.id, { messageTimestamp: gExpiring.message.descriptor.dateCreated }), { expect: 202 });
    s.ts(); // the next message is at exactly dateExpires
    await send(s, 'write: at exactly dateExpires -> 401', T, await bobWrites('post', gExpiring.id), { expect: 401, code: 'GrantAuthorizationGrantExpired' });
    await send(s, 'write: revoked grant, timestamp after the revocation -> 401', T, await bobWrites('post', gRevoked.id),
      { expect: 401, code: 'GrantAuthorizationGrantRevoked' });
    await send(s, 'write: revoked grant, timestamp equal to the revocation -> 401', T,
      await bobWrites('post', gRevoked.id, { messageTimestamp: tRevocation }), { expect: 401, code: 'GrantAuthorizationGrantRevoked' });
    await send(s, 'write: revoked grant, timestamp before the revocation -> 202', T,
      await bobWrites('post', gRevoked.id, { messageTimestamp: tBeforeRevocation }), { expect: 202 });
    const gPQ = await grantSent('alice grants bob Protocols Query (unrestricted) -> 202', alice, bob, scope('Protocols', 'Query'));
    await send(s, 'write: Protocols grant (interface mismatch) -> 401', T, await bobWrites('post', gPQ.id),
      { expect: 401, code: 'GrantAuthorizationInterfaceMismatch' });
    const gRead = await grantSent('alice grants bob Records Read on grants-test -> 202', alice, bob, scope('Records', 'Read', { protocol: GT }));
    await send(s, 'write: Records Read grant (method mismatch) -> 401', T, await bobWrites('post', gRead.id),
      { expect: 401, code: 'GrantAuthorizationMethodMismatch' });
    const gWriteOther = await grantSent('alice grants bob Records Write on grants-test/other -> 202', alice, bob,
      scope('Records', 'Write', { protocol: GT_OTHER }));
    await send(s, 'write: grant for another protocol -> 401', T, await bobWrites('post', gWriteOther.id),
      { expect: 401, code: 'RecordsGrantAuthorizationScopeProtocolMismatch' });
    const flatByBob = await write(s, bob, { data: utf8('flat by bob'), permissionGrantId: gWrite.id });
    await check(s, 'write: flat record with a protocol-scoped grant -> 401', T, flatByBob.message,
      { data: utf8('flat by bob'), expect: 401, code: 'RecordsGrantAuthorizationScopeProtocolMismatch' });
    const gCtx = await grantSent('alice grants bob Records Write in the context of p1 -> 202', alice, bob, { ...RW, contextId: p1.message.contextId });
    const bobCommentP1 = await bobWrites('post/comment', gCtx.id, { parentContextId: p1.message.contextId });
    await send(s, 'write: comment under p1 with the p1 context grant (prefix match) -> 202', T, bobCommentP1, { expect: 202 });
    await send(s, 'write: comment under p2 with the p1 context grant -> 401', T,
      await bobWrites('post/comment', gCtx.id, { parentContextId: p2.message.contextId }), { expect: 401, code: 'RecordsGrantAuthorizationScopeContextIdMismatch' });
    const gPath = await grantSent('alice grants bob Records Write on protocolPath post/comment -> 202', alice, bob, { ...RW, protocolPath: 'post/comment' });
    await send(s, 'write: post with the post/comment grant -> 401', T, await bobWrites('post', gPath.id),
      { expect: 401, code: 'RecordsGrantAuthorizationScopeProtocolPathMismatch' });
    const bobCommentP2 = await bobWrites('post/comment', gPath.id, { parentContextId: p2.message.contextId });
    await send(s, 'write: comment under p2 with the post/comment grant -> 202', T, bobCommentP2, { expect: 202 });
    const gPubReq = await grantSent('alice grants bob Records Write with publication Required -> 202', alice, bob, RW,
      { conditions: { publication: 'Required' } });
    await send(s, 'write: unpublished post under publication Required -> 401', T, await bobWrites('post', gPubReq.id),
      { expect: 401, code: 'RecordsGrantAuthorizationConditionPublicationRequired' });
    await send(s, 'write: published post under publication Required -> 202', T, await bobWrites('post', gPubReq.id, { published: true }), { expect: 202 });
    const gPubProh = await grantSent('alice grants bob Records Write with publication Prohibited -> 202', alice, bob, RW,
      { conditions: { publication: 'Prohibited' } });
    await send(s, 'write: published post under publication Prohibited -> 401', T, await bobWrites('post', gPubProh.id, { published: true }),
      { expect: 401, code: 'RecordsGrantAuthorizationConditionPublicationProhibited' });
    await send(s, 'write: unpublished post under publication Prohibited -> 202', T, await bobWrites('post', gPubProh.id), { expect: 202 });
    const bobUpdate = await pwrite(s, bob, GT, 'post', { recordId: idOf(bobPost), dateCreated: bobPost.message.descriptor.dateCreated, permissionGrantId: gWrite.id });
    await send(s, 'write: bob updates his post with his grant -> 202', T, bobUpdate, { expect: 202 });

    // which check wins
    await send(s, 'precedence: carol with bob\'s expired grant -> 401 NotGrantedToAuthor (grantee before time)', T,
      await pwrite(s, carol, GT, 'post', { permissionGrantId: gExpiring.id }), { expect: 401, code: 'GrantAuthorizationNotGrantedToAuthor' });
    await check(s, 'precedence: expired Records grant on a ProtocolsConfigure -> 401 GrantExpired (time before interface)', T,
      (await ProtocolsConfigure.create({ definition: { ...grantsOtherDefinition, protocol: `${GT}/expired` }, messageTimestamp: s.ts(), signer: bob.signer,
        permissionGrantId: gExpiring.id })).message, { expect: 401, code: 'GrantAuthorizationGrantExpired' });
    await send(s, 'precedence: revoked grant for a note in another protocol -> 401 GrantRevoked (revocation before scope)', T,
      await pwrite(s, bob, GT_OTHER, 'note', { permissionGrantId: gRevoked.id }), { expect: 401, code: 'GrantAuthorizationGrantRevoked' });
    await send(s, 'precedence: post/comment grant requiring publication, unpublished post -> 401 protocolPath (scope before conditions)', T,
      await bobWrites('post', (await grantSent('alice grants bob Records Write on post/comment with publication Required -> 202', alice, bob,
        { ...RW, protocolPath: 'post/comment' }, { conditions: { publication: 'Required' } })).id),
      { expect: 401, code: 'RecordsGrantAuthorizationScopeProtocolPathMismatch' });

    // ---- RecordsRead with permissionGrantId
    await check(s, 'read: bob reads p1 without a grant -> 401', T, await readWith(bob, idOf(p1)), { expect: 401, code: NO_RULES });
    await check(s, 'read: bob reads p1 with his Records Read grant -> 200', T, await readWith(bob, idOf(p1), gRead.id), { expect: 200 });
    await check(s, 'read: grant missing -> 401', T, await readWith(bob, idOf(p1), missingGrantId), { expect: 401, code: 'GrantAuthorizationGrantMissing' });
    await check(s, 'read: published post with a missing grant -> 200 (published is checked first)', T, await readWith(bob, idOf(pub), missingGrantId),
      { expect: 200 });
    await check(s, 'read: carol invokes bob\'s read grant -> 401', T, await readWith(carol, idOf(p1), gRead.id),
      { expect: 401, code: 'GrantAuthorizationNotGrantedToAuthor' });
    await check(s, 'read: Records Write grant (method mismatch) -> 401', T, await readWith(bob, idOf(p1), gWrite.id),
      { expect: 401, code: 'GrantAuthorizationMethodMismatch' });
    await check(s, 'read: flat record with a protocol-scoped grant -> 401', T, await readWith(bob, idOf(flat), gRead.id),
      { expect: 401, code: 'RecordsGrantAuthorizationScopeProtocolMismatch' });
    const gReadCtx = await grantSent('alice grants bob Records Read in the context of p1 -> 202', alice, bob,
      scope('Records', 'Read', { protocol: GT, contextId: p1.message.contextId }));
    await check(s, 'read: c1 with the p1 context grant -> 200', T, await readWith(bob, idOf(c1), gReadCtx.id), { expect: 200 });
    await check(s, 'read: c2 with the p1 context grant -> 401', T, await readWith(bob, idOf(c2), gReadCtx.id),
      { expect: 401, code: 'RecordsGrantAuthorizationScopeContextIdMismatch' });
    const gReadPath = await grantSent('alice grants bob Records Read on protocolPath post/comment -> 202', alice, bob,
      scope('Records', 'Read', { protocol: GT, protocolPath: 'post/comment' }));
    await check(s, 'read: p1 with the post/comment grant -> 401', T, await readWith(bob, idOf(p1), gReadPath.id),
      { expect: 401, code: 'RecordsGrantAuthorizationScopeProtocolPathMismatch' });
    await check(s, 'read: c2 with the post/comment grant -> 200', T, await readWith(bob, idOf(c2), gReadPath.id), { expect: 200 });

    // ---- RecordsQuery / RecordsDelete with permissionGrantId: the reference does not look at it
    const gQuery = await grantSent('alice grants bob Records Query on grants-test -> 202', alice, bob, scope('Records', 'Query', { protocol: GT }));
    const queryWithGrant = async (grantId) =>
      withGrantId((await RecordsQuery.create({ filter: { protocol: GT, protocolPath: 'post/comment' }, messageTimestamp: s.ts() })).message, bob, grantId);
    await check(s, 'query: bob with a Records Query grant -> 200, only his own comments (grant not used)', T, await queryWithGrant(gQuery.id),
      { expect: 200, ids: [idOf(bobCommentP1), idOf(bobCommentP2)] });
    await check(s, 'query: bob with a missing grant -> 200, the same (grant not checked)', T, await queryWithGrant(missingGrantId),
      { expect: 200, ids: [idOf(bobCommentP1), idOf(bobCommentP2)] });
    const gDelete = await grantSent('alice grants bob Records Delete on grants-test -> 202', alice, bob, scope('Records', 'Delete', { protocol: GT }));
    await check(s, 'delete: bob deletes p2 with a Records Delete grant -> 401 (grant not used)', T,
      await withGrantId(await del(s, bob, idOf(p2)), bob, gDelete.id), { expect: 401, code: NO_RULES });
    await check(s, 'delete: bob deletes the flat record with a Records Delete grant -> 401', T,
      await withGrantId(await del(s, bob, idOf(flat)), bob, gDelete.id), { expect: 401, code: 'RecordsDeleteAuthorizationFailed' });

    // ---- ProtocolsConfigure with permissionGrantId
    const pcBy = async (author, protocol, grantId) => (await ProtocolsConfigure.create({
      definition: { ...grantsOtherDefinition, protocol }, messageTimestamp: s.ts(), signer: author.signer, permissionGrantId: grantId,
    })).message;
    const configures = [gtConfigure, otherConfigure];
    await check(s, 'configure: bob without a grant -> 401', T, await pcBy(bob, `${GT}/bob-a`), { expect: 401, code: 'ProtocolsConfigureAuthorizationFailed' });
    const gPC = await grantSent('alice grants bob Protocols Configure (unrestricted) -> 202', alice, bob, scope('Protocols', 'Configure'));
    const bobA = await pcBy(bob, `${GT}/bob-a`, gPC.id);
    await check(s, 'configure: bob configures a protocol with the unrestricted grant -> 202', T, bobA, { expect: 202 });
    configures.push(bobA);
    const gPCScoped = await grantSent('alice grants bob Protocols Configure for grants-test/scoped -> 202', alice, bob,
      scope('Protocols', 'Configure', { protocol: `${GT}/scoped` }));
    const bobScoped = await pcBy(bob, `${GT}/scoped`, gPCScoped.id);
    await check(s, 'configure: bob configures grants-test/scoped with the scoped grant -> 202', T, bobScoped, { expect: 202 });
    configures.push(bobScoped);
    await check(s, 'configure: another protocol with the scoped grant -> 401', T, await pcBy(bob, `${GT}/bob-b`, gPCScoped.id),
      { expect: 401, code: 'ProtocolsGrantAuthorizationScopeProtocolMismatch' });
    await check(s, 'configure: Records grant (interface mismatch) -> 401', T, await pcBy(bob, `${GT}/bob-b`, gWrite.id),
      { expect: 401, code: 'GrantAuthorizationInterfaceMismatch' });
    await check(s, 'configure: grant missing -> 401', T, await pcBy(bob, `${GT}/bob-b`, missingGrantId), { expect: 401, code: 'GrantAuthorizationGrantMissing' });

    // ---- ProtocolsQuery with permissionGrantId
    const pqBy = async (author, filter, grantId) => (await ProtocolsQuery.create({
      filter, messageTimestamp: s.ts(), signer: author.signer, permissionGrantId: grantId,
    })).message;
    await check(s, 'protocols query: bob without a grant -> 200, published only', T, await pqBy(bob, undefined), { expect: 200, configures: [gtConfigure] });
    await check(s, 'protocols query: bob with the unrestricted Protocols Query grant -> 200, all', T, await pqBy(bob, undefined, gPQ.id),
      { expect: 200, configures: [...configures] });
    const gPQScoped = await grantSent('alice grants bob Protocols Query for grants-test/other -> 202', alice, bob,
      scope('Protocols', 'Query', { protocol: GT_OTHER }));
    await check(s, 'protocols query: scoped grant, filter grants-test/other -> 200, the unpublished definition', T,
      await pqBy(bob, { protocol: GT_OTHER }, gPQScoped.id), { expect: 200, configures: [otherConfigure] });
    await check(s, 'protocols query: scoped grant, filter grants-test -> 200 (scope mismatch falls back to published)', T,
      await pqBy(bob, { protocol: GT }, gPQScoped.id), { expect: 200, configures: [gtConfigure] });
    await check(s, 'protocols query: scoped grant, no filter -> 200 (falls back to published)', T, await pqBy(bob, undefined, gPQScoped.id), { expect: 200, configures: [gtConfigure] });
    await check(s, 'protocols query: grant missing -> 401 (no fallback)', T, await pqBy(bob, undefined, missingGrantId),
      { expect: 401, code: 'GrantAuthorizationGrantMissing' });
    await check(s, 'protocols query: Records grant (interface mismatch) -> 401', T, await pqBy(bob, undefined, gRead.id),
      { expect: 401, code: 'GrantAuthorizationInterfaceMismatch' });

    // ---- delegated grants (authorDelegatedGrant)
    const dWrite = await grantSent('alice grants dave a delegated Records Write on grants-test -> 202', alice, dave, RW, { delegated: true });
    const daveWrites = (path, grant, { protocol = GT, ...opts } = {}) => pwrite(s, dave, protocol, path, { delegatedGrant: grant.encoded, ...opts });
    const davePost = await daveWrites('post', dWrite);
    await send(s, 'delegated: dave writes a post as alice -> 202', T, davePost, { expect: 202 });
    await send(s, 'delegated: dave writes a note in another protocol -> 401', T, await daveWrites('note', dWrite, { protocol: GT_OTHER }),
      { expect: 401, code: 'RecordsGrantAuthorizationScopeProtocolMismatch' });
    await check(s, 'delegated: dave reads p1 with the write grant -> 401', T, await read(s, dave, { recordId: idOf(p1) }, { delegatedGrant: dWrite.encoded }),
      { expect: 401, code: 'GrantAuthorizationMethodMismatch' });
    const dUnsent = await makeGrant(s, alice, dave, RW, { delegated: true });
    await send(s, 'delegated: grant that was never written to the DWN -> 202', T, await daveWrites('post', dUnsent), { expect: 202 });
    const gDave = await grantSent('alice grants dave a non-delegated Records Write -> 202', alice, dave, RW);
    await send(s, 'delegated: non-delegated grant embedded -> 400', T, await daveWrites('post', gDave),
      { expect: 400, code: 'RecordsAuthorDelegatedGrantNotADelegatedGrant' });
    await send(s, 'delegated: eve signs with dave\'s delegated grant -> 400', T,
      await pwrite(s, eve, GT, 'post', { delegatedGrant: dWrite.encoded }), { expect: 400, code: 'RecordsAuthorDelegatedGrantGrantedToAndOwnerSignatureMismatch' });
    const tamperedAfter = await daveWrites('post', dWrite);
    tamperedAfter.message = clone(tamperedAfter.message);
    tamperedAfter.message.authorization.authorDelegatedGrant.descriptor.dataFormat = 'text/plain';
    await send(s, 'delegated: embedded grant edited after signing -> 400 (CID mismatch)', T, tamperedAfter,
      { expect: 400, code: 'RecordsAuthorDelegatedGrantCidMismatch' });
    const badSigGrant = clone(dWrite.encoded);
    badSigGrant.authorization.signature.signatures[0].signature = flipBase64url(badSigGrant.authorization.signature.signatures[0].signature);
    await send(s, 'delegated: embedded grant with a corrupted signature (re-signed by dave) -> 401', T,
      await pwrite(s, dave, GT, 'post', { delegatedGrant: badSigGrant }), { expect: 401, code: 'GeneralJwsVerifierInvalidSignature' });
    const editedGrant = clone(dWrite.encoded);
    editedGrant.descriptor.dataFormat = 'text/plain';
    await send(s, 'delegated: embedded grant with an edited descriptor (re-signed by dave) -> 401', T,
      await pwrite(s, dave, GT, 'post', { delegatedGrant: editedGrant }), { expect: 401, code: 'AuthenticateDescriptorCidMismatch' });
    const dRead = await grantSent('alice grants dave a delegated Records Read on grants-test -> 202', alice, dave,
      scope('Records', 'Read', { protocol: GT }), { delegated: true });
    const widened = clone(dRead.encoded);
    widened.encodedData = b64url(utf8(JSON.stringify({ dateExpires: GRANT_FAR_EXPIRY, delegated: true, scope: RW })));
    const forged = await pwrite(s, dave, GT, 'post', { delegatedGrant: widened });
    await check(s, 'delegated: dave reads p1 as alice -> 200', T, await read(s, dave, { recordId: idOf(p1) }, { delegatedGrant: dRead.encoded }), { expect: 200 });
    await check(s, 'delegated: dave reads the flat record -> 401', T, await read(s, dave, { recordId: idOf(flat) }, { delegatedGrant: dRead.encoded }),
      { expect: 401, code: 'RecordsGrantAuthorizationScopeProtocolMismatch' });
    const dQuery = await grantSent('alice grants dave a delegated Records Query on grants-test -> 202', alice, dave,
      scope('Records', 'Query', { protocol: GT }), { delegated: true });
    await check(s, 'delegated: dave queries grants-test comments as alice -> 200, all of them', T,
      await query(s, dave, { protocol: GT, protocolPath: 'post/comment' }, { delegatedGrant: dQuery.encoded }),
      { expect: 200, ids: [idOf(c1), idOf(c2), idOf(bobCommentP1), idOf(bobCommentP2)] });
    await check(s, 'delegated: dave queries another protocol -> 401', T, await query(s, dave, { protocol: GT_OTHER }, { delegatedGrant: dQuery.encoded }),
      { expect: 401, code: 'RecordsGrantAuthorizationQueryOrSubscribeProtocolScopeMismatch' });
    const dDelete = await grantSent('alice grants dave a delegated Records Delete on grants-test -> 202', alice, dave,
      scope('Records', 'Delete', { protocol: GT }), { delegated: true });
    await check(s, 'delegated: dave deletes the flat record -> 401', T, await del(s, dave, idOf(flat), { delegatedGrant: dDelete.encoded }),
      { expect: 401, code: 'RecordsGrantAuthorizationDeleteProtocolScopeMismatch' });
    await check(s, 'delegated: dave deletes p2 as alice -> 202', T, await del(s, dave, idOf(p2), { delegatedGrant: dDelete.encoded }), { expect: 202 });

    // delegated ProtocolsConfigure
    const pcDelegated = async (signer, protocol, grant) => (await ProtocolsConfigure.create({
      definition: { ...grantsOtherDefinition, protocol }, messageTimestamp: s.ts(), signer: signer.signer, delegatedGrant: grant,
    })).message;
    const dPC = await grantSent('alice grants dave a delegated Protocols Configure (unrestricted) -> 202', alice, dave,
      scope('Protocols', 'Configure'), { delegated: true });
    const daveConfigure = await pcDelegated(dave, `${GT}/by-dave`, dPC.encoded);
    await check(s, 'delegated: dave configures a protocol as alice -> 202', T, daveConfigure, { expect: 202 });
    configures.push(daveConfigure);
    await check(s, 'delegated: eve configures with dave\'s grant -> 401', T, await pcDelegated(eve, `${GT}/by-eve`, dPC.encoded),
      { expect: 401, code: 'GrantAuthorizationNotGrantedToAuthor' });
    const gDavePC = await grantSent('alice grants dave a non-delegated Protocols Configure -> 202', alice, dave, scope('Protocols', 'Configure'));
    const daveConfigure2 = await pcDelegated(dave, `${GT}/by-dave-2`, gDavePC.encoded);
    await check(s, 'delegated: configure with a non-delegated grant embedded -> 202 (not checked for ProtocolsConfigure)', T, daveConfigure2, { expect: 202 });
    configures.push(daveConfigure2);
    const pcEdited = clone(await pcDelegated(dave, `${GT}/by-dave-3`, dPC.encoded));
    pcEdited.authorization.authorDelegatedGrant.descriptor.dataFormat = 'text/plain';
    await check(s, 'delegated: configure whose embedded grant was edited after signing -> 401', T, pcEdited,
      { expect: 401, code: 'AuthenticateDescriptorCidMismatch' });
    await check(s, 'owner ProtocolsQuery: protocols configured through grants and delegates', T,
      await protocolsQuery(s, alice, undefined), { expect: 200, configures });

    // revoked and expired delegated grants
    const dRevoked = await grantSent('alice grants dave a delegated Records Write (to be revoked) -> 202', alice, dave, RW, { delegated: true });
    const tBeforeDelegateRevocation = s.ts();
    await send(s, 'alice revokes dave\'s delegated grant -> 202', T, await makeRevocation(s, alice, dRevoked), { expect: 202 });
    await send(s, 'delegated: revoked grant, timestamp after the revocation -> 401', T, await daveWrites('post', dRevoked),
      { expect: 401, code: 'GrantAuthorizationGrantRevoked' });
    await send(s, 'delegated: revoked grant, timestamp before the revocation -> 202', T,
      await daveWrites('post', dRevoked, { messageTimestamp: tBeforeDelegateRevocation }), { expect: 202 });

    // ownerDelegatedGrant: dave retains carol's record for alice
    const retained = await write(s, carol, { protocol: GT, protocolPath: 'post', dataFormat: 'application/json', data: utf8('{"by":"carol"}') });
    await retained.signAsOwnerDelegate(dave.signer, dWrite.encoded);
    await check(s, 'owner-delegate: dave signs carol\'s post as owner delegate for alice -> 202', T, retained.message,
      { data: utf8('{"by":"carol"}'), expect: 202 });
    const retainedBad = await write(s, carol, { protocol: GT, protocolPath: 'post', dataFormat: 'application/json', data: utf8('{"by":"carol2"}') });
    await retainedBad.signAsOwnerDelegate(dave.signer, gDave.encoded);
    await check(s, 'owner-delegate: non-delegated grant as ownerDelegatedGrant -> 400', T, retainedBad.message,
      { data: utf8('{"by":"carol2"}'), expect: 400, code: 'RecordsOwnerDelegatedGrantNotADelegatedGrant' });
    const retainedOther = await write(s, carol, { protocol: GT_OTHER, protocolPath: 'note', dataFormat: 'application/json', data: utf8('{"by":"carol3"}') });
    await retainedOther.signAsOwnerDelegate(dave.signer, dWrite.encoded);
    await check(s, 'owner-delegate: note in another protocol -> 401', T, retainedOther.message,
      { data: utf8('{"by":"carol3"}'), expect: 401, code: 'RecordsGrantAuthorizationScopeProtocolMismatch' });
    await check(s, 'owner query of grants-test posts: authored by alice (delegate), bob and carol (retained)', T,
      await query(s, alice, { protocol: GT, protocolPath: 'post' }), { expect: 200 });
    // Last, because the reference stores the forged record and dwnd does not.
    await send(s, 'delegated: read grant whose encodedData was edited to Records Write -> 202 (encodedData is not checked against dataCid)', T,
      forged, { expect: 202, dwnd: { status: 401, code: 'PermissionGrantDataMismatch',
        why: 'the encodedData of a delegated grant must hash to the dataCid its grantor signed' } });
  });

// ---- the protocol definitions of the reference's tests/vectors/protocol-definitions ----

/**
 * The 16 protocol definitions of dwn-sdk-js tests/vectors/protocol-definitions/*.json, read from the
 * ProtocolsConfigure cases of ../schemas/testdata/cases.json (named ProtocolsConfigure/valid/vector-<file name>).
 */
function loadDefinitionVectors() {
  const file = path.join(HERE, '..', 'schemas', 'testdata', 'cases.json');
  const { cases } = JSON.parse(readFileSync(file, 'utf8'));
  const out = [];
  for (const c of cases) {
    const m = /^ProtocolsConfigure\/valid\/vector-(.+)$/.exec(c.name);
    const descriptor = c.instance?.descriptor;
    if (m === null || descriptor?.interface !== 'Protocols' || descriptor.method !== 'Configure' || descriptor.definition === undefined) continue;
    out.push({ file: `${m[1]}.json`, definition: descriptor.definition });
  }
  if (out.length !== 16) throw new Error(`${file}: expected 16 protocol-definition vectors, found ${out.length}`);
  return out;
}

scenario('protocols-definition-vectors',
  'The 16 protocol definitions of the reference repository (tests/vectors/protocol-definitions/*.json, taken from ../schemas/testdata/cases.json), each configured for its own tenant, re-configured with a later timestamp (the newer replaces it), and queried by the owner and anonymously.',
  async (s) => {
    const vectors = loadDefinitionVectors();
    const tenants = [];
    const first = [];
    for (const v of vectors) {
      const tenant = await s.persona(`tenant-${v.file}`);
      tenants.push(tenant);
      const pc = await configure(s, tenant, v.definition);
      first.push(pc);
      await check(s, `${v.file}: configure -> 202`, tenant.did, pc, { expect: 202, code: 'Accepted' });
    }
    for (let i = 0; i < vectors.length; i++) {
      const v = vectors[i];
      const tenant = tenants[i];
      const again = await configure(s, tenant, v.definition);
      await check(s, `${v.file}: configure again with a later timestamp -> 202 (replaces)`, tenant.did, again, { expect: 202, code: 'Accepted' });
      const protocol = again.descriptor.definition.protocol;
      await check(s, `${v.file}: owner ProtocolsQuery -> 200, only the newer configure`, tenant.did,
        await protocolsQuery(s, tenant, { protocol }), { expect: 200, configures: [again] });
      const published = again.descriptor.definition.published === true;
      await check(s, `${v.file}: anonymous ProtocolsQuery -> 200, ${published ? 'the newer configure' : 'empty (unpublished)'}`, tenant.did,
        await protocolsQuery(s, null, { protocol }), { expect: 200, configures: published ? [again] : [] });
      await check(s, `${v.file}: the first configure again -> 409`, tenant.did, first[i], { expect: 409, code: 'Conflict' });
    }
  });

// ---------------------------------------------------------------------------
// main

function parseArgs(argv) {
  const args = { out: path.join(HERE, 'testdata', 'vectors'), only: undefined };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--out') args.out = path.resolve(argv[++i]);
    else if (argv[i] === '--only') args.only = new Set(argv[++i].split(','));
    else throw new Error(`unknown argument ${argv[i]} (usage: node gen-vectors.mjs [--out DIR] [--only NAME,...])`);
  }
  return args;
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const work = mkdtempSync(path.join(tmpdir(), 'dwn-gen-vectors-'));
  // Dwn.create's default resolver keeps its cache in ./RESOLVERCACHE: keep it out of the repo.
  process.chdir(work);
  const dwn = await Dwn.create({
    messageStore: new MessageStoreLevel({ blockstoreLocation: path.join(work, 'MESSAGESTORE'), indexLocation: path.join(work, 'INDEX') }),
    dataStore: new DataStoreLevel({ blockstoreLocation: path.join(work, 'DATASTORE') }),
    eventLog: new EventLogLevel({ location: path.join(work, 'EVENTLOG') }),
    resumableTaskStore: new ResumableTaskStoreLevel({ location: path.join(work, 'RESUMABLE-TASK-STORE') }),
  });
  mkdirSync(args.out, { recursive: true });
  if (args.only === undefined) {
    for (const f of readdirSync(args.out)) if (f.endsWith('.json')) unlinkSync(path.join(args.out, f));
  }
  let files = 0;
  let steps = 0;
  try {
    for (const sc of scenarios) {
      if (args.only !== undefined && !args.only.has(sc.name)) continue;
      const s = new Scenario(dwn, sc.name, sc.description);
      await sc.fn(s);
      writeFileSync(path.join(args.out, `${sc.name}.json`), JSON.stringify(s.toJSON(), null, 2) + '\n');
      files++;
      steps += s.steps.length;
      console.log(`${sc.name}: ${s.steps.length} steps`);
    }
  } finally {
    await dwn.close();
    process.chdir(HERE);
    rmSync(work, { recursive: true, force: true });
  }
  console.log(`wrote ${files} files, ${steps} steps to ${path.relative(process.cwd(), args.out) || '.'}`);
}

await main();
