#!/usr/bin/env node
// Runs a websocket scenario against a DWN server the way web5 apps use it
// (dwn-protocol.md §11): JSON-RPC error frames, RecordsSubscribe as owner and
// anonymously, events for writes, updates and deletes made over HTTP, closing a
// subscription. Messages are built with the reference SDK; the checks are the same for
// every server, so a failure against the reference server means the scenario is wrong.
//
//   node ws-scenario.mjs --url http://127.0.0.1:PORT [--dwnd] [--verbose]
//
// With --dwnd, the documented differences of dwnd (docs/compatibility.md) are expected
// instead: an unknown method gets -32601 (the reference does not answer at all).
//
// Exits 0 when every check passes, 1 otherwise (listing the failures).

import { randomUUID } from 'node:crypto';

import { Message, MessagesQuery, PrivateKeySigner, RecordsDelete, RecordsSubscribe, RecordsWrite } from '@tbd54566975/dwn-sdk-js';
import { DidKey } from '@web5/dids';
import WebSocket from 'ws';

const args = process.argv.slice(2);
const url = args[args.indexOf('--url') + 1];
const verbose = args.includes('--verbose');
const dwnd = args.includes('--dwnd');
if (!url || !url.startsWith('http')) {
  console.error('usage: node ws-scenario.mjs --url http://127.0.0.1:PORT [--verbose]');
  process.exit(2);
}

const failures = [];
function check(name, ok, got) {
  if (verbose || !ok) console.error(`${ok ? 'ok  ' : 'FAIL'} ${name}${ok ? '' : ': got ' + JSON.stringify(got)}`);
  if (!ok) failures.push(name);
}

async function persona() {
  const did = await DidKey.create({ options: { algorithm: 'Ed25519' } });
  const portable = await did.export();
  const privateJwk = portable.privateKeys[0];
  const keyId = did.document.verificationMethod[0].id;
  return { did: did.uri, signer: new PrivateKeySigner({ privateJwk, keyId, algorithm: 'EdDSA' }) };
}

/** Sends a message over HTTP as web5 does; returns the DWN reply. */
async function http(target, message, data) {
  const req = { jsonrpc: '2.0', id: randomUUID(), method: 'dwn.processMessage', params: { target, message } };
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'dwn-request': JSON.stringify(req), 'content-type': 'application/octet-stream' },
    body: data,
  });
  const body = await res.json();
  return body.result?.reply;
}

/** A websocket whose frames are queued until read. */
async function connect() {
  const ws = new WebSocket(url.replace(/^http/, 'ws'));
  const frames = [];
  const waiters = [];
  ws.on('message', (b) => {
    const f = JSON.parse(b.toString());
    const w = waiters.shift();
    if (w) w(f); else frames.push(f);
  });
  await new Promise((resolve, reject) => { ws.on('open', resolve); ws.on('error', reject); });
  return {
    send: (frame) => ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame)),
    next: (ms = 3000) => frames.length > 0 ? Promise.resolve(frames.shift()) : new Promise((resolve) => {
      const t = setTimeout(() => { waiters.splice(waiters.indexOf(done), 1); resolve(undefined); }, ms);
      const done = (f) => { clearTimeout(t); resolve(f); };
      waiters.push(done);
    }),
    close: () => ws.close(),
  };
}

const schema = 'https://example.com/ws-scenario';
const alice = await persona();
const ws = await connect();

// Error frames.
ws.send('');
let f = await ws.next();
check('empty frame', f?.error?.code === -50400 && f.error.message === 'request payload required.', f);
ws.send('{');
f = await ws.next();
check('bad JSON', f?.error?.code === -50400, f);
ws.send({ jsonrpc: '2.0', id: 'm', method: 'no.such.method', params: {} });
if (dwnd) {
  f = await ws.next();
  check('unknown method: -32601 (documented difference)', f?.id === 'm' && f?.error?.code === -32601, f);
} else {
  f = await ws.next(500);
  check('unknown method: no answer', f === undefined, f);
}

const write = await RecordsWrite.create({ data: new TextEncoder().encode('over ws'), dataFormat: 'text/plain', schema, signer: alice.signer });
ws.send({ jsonrpc: '2.0', id: 'w', method: 'dwn.processMessage', params: { target: alice.did, message: write.message } });
f = await ws.next();
check('RecordsWrite over ws', f?.id === 'w' && f?.error?.code === -32602 && f.error.message === 'RecordsWrite is not supported via ws', f);

const sub = await RecordsSubscribe.create({ filter: { schema }, signer: alice.signer });
const subCid = await Message.getCid(sub.message);
ws.send({ jsonrpc: '2.0', id: 's0', method: 'dwn.processMessage', params: { target: alice.did, message: sub.message } });
f = await ws.next();
check('Subscribe without subscription context', f?.id === 's0' && f?.error?.code === -32600 &&
  f.error.message === 'subscribe methods must contain a subscriptionRequest context', f);

// Subscriptions: the owner, and anonymous (published records).
ws.send({ jsonrpc: '2.0', id: 's1', method: 'rpc.subscribe.dwn.processMessage', params: { target: alice.did, message: sub.message }, subscription: { id: 'sub-1' } });
f = await ws.next();
check('owner subscribe reply', f?.id === 's1' && f.result?.reply?.status?.code === 200 && f.result.reply.subscription?.id === subCid, f);
ws.send({ jsonrpc: '2.0', id: 's2', method: 'rpc.subscribe.dwn.processMessage', params: { target: alice.did, message: sub.message }, subscription: { id: 'sub-1' } });
f = await ws.next();
check('subscription id in use', f?.id === 's2' && f?.error?.code === -32602 &&
  f.error.message === 'the subscribe id: sub-1 is in use by an active subscription', f);
const anonSub = await RecordsSubscribe.create({ filter: { schema } });
ws.send({ jsonrpc: '2.0', id: 's3', method: 'rpc.subscribe.dwn.processMessage', params: { target: alice.did, message: anonSub.message }, subscription: { id: 'sub-anon' } });
f = await ws.next();
check('anonymous subscribe reply', f?.id === 's3' && f.result?.reply?.status?.code === 200, f);

// Writes over HTTP: a private record, a published one, its update, the private one's delete.
const t0 = Date.now();
const ts = (i) => new Date(t0 + i * 1000).toISOString().replace('Z', '000Z');
async function writeRecord(data, opts) {
  const w = await RecordsWrite.create({ data, dataFormat: 'text/plain', schema, signer: alice.signer, ...opts });
  const reply = await http(alice.did, w.message, data);
  check(`write ${opts.published ? 'published' : 'private'} (${reply?.status?.code})`, reply?.status?.code === 202, reply);
  return w;
}
const a = await writeRecord(new TextEncoder().encode('private'), { messageTimestamp: ts(1), dateCreated: ts(1) });
const b = await writeRecord(new TextEncoder().encode('public'), { published: true, messageTimestamp: ts(2), dateCreated: ts(2), datePublished: ts(2) });
const bData = new TextEncoder().encode('public v2');
const b2 = await RecordsWrite.createFrom({ recordsWriteMessage: b.message, data: bData, messageTimestamp: ts(3), signer: alice.signer });
let reply = await http(alice.did, b2.message, bData);
check('update', reply?.status?.code === 202, reply);
const del = await RecordsDelete.create({ recordId: a.message.recordId, messageTimestamp: ts(4), signer: alice.signer });
reply = await http(alice.did, del.message);
check('delete', reply?.status?.code === 202, reply);

// Events, in any interleaving of the two subscriptions but in order within each.
const events = { 'sub-1': [], 'sub-anon': [] };
for (let i = 0; i < 6; i++) {
  const e = await ws.next();
  if (!e) break;
  if (events[e.id] === undefined || e.result?.event === undefined) {
    check('event frame', false, e);
    continue;
  }
  const ev = e.result.event;
  events[e.id].push(`${ev.message.descriptor.method} ${ev.message.recordId ?? ev.message.descriptor.recordId}${ev.initialWrite ? ' +initialWrite' : ''}${ev.message.encodedData ? ' +encodedData' : ''}`);
}
const A = a.message.recordId, B = b.message.recordId;
const wantOwner = [`Write ${A}`, `Write ${B}`, `Write ${B} +initialWrite`, `Delete ${A} +initialWrite`];
const wantAnon = [`Write ${B}`, `Write ${B} +initialWrite`];
check('owner events', JSON.stringify(events['sub-1']) === JSON.stringify(wantOwner), events['sub-1']);
check('anonymous events', JSON.stringify(events['sub-anon']) === JSON.stringify(wantAnon), events['sub-anon']);

// MessagesQuery over the websocket: the event log, with a cursor.
const wantLog = [await Message.getCid(a.message), await Message.getCid(b.message), await Message.getCid(b2.message), await Message.getCid(del.message)];
const mq = await MessagesQuery.create({ filters: [], signer: alice.signer });
ws.send({ jsonrpc: '2.0', id: 'q1', method: 'dwn.processMessage', params: { target: alice.did, message: mq.message } });
f = await ws.next();
const log = f?.result?.reply;
check('MessagesQuery entries', log?.status?.code === 200 && JSON.stringify(log.entries) === JSON.stringify(wantLog) &&
  log.cursor?.messageCid === wantLog[3], log);
if (log?.cursor) {
  const mq2 = await MessagesQuery.create({ filters: [{ interface: 'Records' }], cursor: log.cursor, signer: alice.signer });
  ws.send({ jsonrpc: '2.0', id: 'q2', method: 'dwn.processMessage', params: { target: alice.did, message: mq2.message } });
  f = await ws.next();
  check('MessagesQuery after the cursor', f?.result?.reply?.status?.code === 200 && f.result.reply.entries.length === 0 &&
    f.result.reply.cursor === undefined, f?.result?.reply);
}

// Close.
ws.send({ jsonrpc: '2.0', id: 'c1', method: 'rpc.subscribe.close', params: {}, subscription: { id: 'sub-1' } });
f = await ws.next();
check('close reply', f?.id === 'c1' && f.result?.reply?.status === 200 && f.result.reply.detail === 'Accepted', f);
ws.send({ jsonrpc: '2.0', id: 'c2', method: 'rpc.subscribe.close', params: {}, subscription: { id: 'sub-1' } });
f = await ws.next();
check('close of a closed subscription', f?.id === 'c2' && f?.error?.code === -32602 && f.error.message === 'subscription sub-1 does not exist.', f);
await writeRecord(new TextEncoder().encode('after close'), { messageTimestamp: ts(5), dateCreated: ts(5) });
f = await ws.next(300);
check('no event after close', f === undefined, f);

ws.close();
if (failures.length > 0) {
  console.error(`ws-scenario: ${failures.length} check(s) failed against ${url}`);
  process.exit(1);
}
console.log(`ws-scenario: all checks passed against ${url}`);
process.exit(0);
