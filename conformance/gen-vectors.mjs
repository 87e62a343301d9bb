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
import { mkdtempSync, mkdirSync, readdirSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
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
  PrivateKeySigner,
  ProtocolsConfigure,
  ProtocolsQuery,
  RecordsDelete,
  RecordsQuery,
  RecordsRead,
  RecordsWrite,
  ResumableTaskStoreLevel,
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
   */
  async step(name, tenant, message, { data, expect, ids, cursor } = {}) {
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

async function read(s, signer, filter) {
  const r = await RecordsRead.create({ filter, messageTimestamp: s.ts(), signer: signer?.signer });
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
