#!/usr/bin/env node
// Replays conformance vectors against a DWN server over HTTP, the way the web5
// client talks to @web5/dwn-server (JSON-RPC request in the `dwn-request`
// header, record data as the raw body).
//
//   node replay.mjs --url http://127.0.0.1:PORT [--strict] [--chunked] [--dwnd] [--verbose] [files...]
//
// Without files, every testdata/vectors/*.json is replayed (sorted by name).
// Vectors are not idempotent (writes conflict the second time): replay them
// against a server with empty storage.
//
// Checked per step:
//   - the DWN status code, exactly;
//   - the detail's first word (up to the first ':'), exactly;
//   - for replies with entries: the entries' recordIds (in order) and each encodedData;
//   - for replies with an entry (RecordsRead): entry.recordsWrite.recordId, presence of
//     entry.initialWrite / entry.recordsDelete, and the data bytes;
//   - presence of a cursor.
// With --strict, the full detail string and the full reply (key order ignored) must match too.
// With --chunked, data is sent as a stream (transfer-encoding: chunked) instead of with content-length.
// With --dwnd, a step that records a documented difference of dwnd (its `dwnd` member:
// {status, code, why}; see docs/compatibility.md) is checked against that instead: the
// status and the detail's first word.
//
// Uses only Node built-ins (Node >= 18).

import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));

function usage(msg) {
  if (msg) console.error(msg);
  console.error('usage: node replay.mjs --url http://127.0.0.1:PORT [--strict] [--chunked] [--dwnd] [--verbose] [files...]');
  process.exit(2);
}

function parseArgs(argv) {
  const args = { url: undefined, strict: false, chunked: false, dwnd: false, verbose: false, files: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--url') args.url = argv[++i];
    else if (a.startsWith('--url=')) args.url = a.slice(6);
    else if (a === '--strict') args.strict = true;
    else if (a === '--chunked') args.chunked = true;
    else if (a === '--dwnd') args.dwnd = true;
    else if (a === '--verbose' || a === '-v') args.verbose = true;
    else if (a === '--help' || a === '-h') usage();
    else if (a.startsWith('--')) usage(`unknown option ${a}`);
    else args.files.push(a);
  }
  if (!args.url) usage('--url is required');
  args.url = args.url.replace(/\/+$/, '');
  if (args.files.length === 0) {
    const dir = path.join(HERE, 'testdata', 'vectors');
    args.files = readdirSync(dir).filter((f) => f.endsWith('.json')).sort().map((f) => path.join(dir, f));
  }
  return args;
}

/** Canonical JSON (object keys sorted) for order-insensitive comparison. */
function canonical(v) {
  if (Array.isArray(v)) return '[' + v.map(canonical).join(',') + ']';
  if (v !== null && typeof v === 'object') {
    return '{' + Object.keys(v).sort().filter((k) => v[k] !== undefined).map((k) => JSON.stringify(k) + ':' + canonical(v[k])).join(',') + '}';
  }
  return JSON.stringify(v);
}

const firstWord = (detail) => String(detail ?? '').split(':')[0];
const short = (s, n = 160) => (s.length > n ? s.slice(0, n) + '…' : s);

/** Identity of a reply entry: recordId for records, the canonical descriptor otherwise. */
function entryKey(e) {
  if (e === null || typeof e !== 'object') return JSON.stringify(e);
  if (e.recordId !== undefined) return e.recordId;
  return canonical(e.descriptor ?? e);
}

/** Sends one step; returns { reply, data } or { error }. */
async function send(url, step, chunked) {
  const rpc = {
    jsonrpc: '2.0',
    id: randomUUID(),
    method: 'dwn.processMessage',
    params: { target: step.tenant, message: step.message },
  };
  const headers = { 'dwn-request': JSON.stringify(rpc) };
  const init = { method: 'POST', headers, signal: AbortSignal.timeout(60_000) };
  if (step.data !== undefined) {
    const bytes = Buffer.from(step.data, 'base64url');
    headers['content-type'] = 'application/octet-stream';
    if (chunked) {
      const chunk = 64 * 1024;
      init.body = new ReadableStream({
        start(controller) {
          for (let i = 0; i < bytes.length; i += chunk) controller.enqueue(new Uint8Array(bytes.subarray(i, i + chunk)));
          controller.close();
        },
      });
      init.duplex = 'half';
    } else {
      init.body = bytes;
    }
  }
  let res;
  try {
    res = await fetch(url + '/', init);
  } catch (err) {
    return { error: `request failed: ${err.cause?.message ?? err.message}` };
  }
  const header = res.headers.get('dwn-response');
  let rpcResponse;
  let data;
  try {
    if (header !== null) {
      rpcResponse = JSON.parse(header);
      data = Buffer.from(await res.arrayBuffer());
    } else {
      const text = await res.text();
      try {
        rpcResponse = JSON.parse(text);
      } catch {
        return { error: `HTTP ${res.status}, body is not JSON: ${short(text)}` };
      }
    }
  } catch (err) {
    return { error: `HTTP ${res.status}, reading response failed: ${err.message}` };
  }
  if (rpcResponse?.error !== undefined) {
    return { error: `HTTP ${res.status}, JSON-RPC error ${rpcResponse.error.code}: ${rpcResponse.error.message}` };
  }
  if (res.status !== 200) {
    return { error: `HTTP ${res.status} (expected 200): ${short(JSON.stringify(rpcResponse))}` };
  }
  if (rpcResponse?.id !== rpc.id) {
    return { error: `JSON-RPC id ${JSON.stringify(rpcResponse?.id)} does not echo request id ${rpc.id}` };
  }
  const reply = rpcResponse?.result?.reply;
  if (reply === undefined || typeof reply.status?.code !== 'number') {
    return { error: `no result.reply.status in response: ${short(JSON.stringify(rpcResponse))}` };
  }
  return { reply, data };
}

/** Returns a list of mismatch descriptions (empty when the step passes). */
function compare(expected, reply, data, strict) {
  const problems = [];
  const exp = expected.reply;
  if (reply.status.code !== expected.status) {
    problems.push(`status: expected ${expected.status}, actual ${reply.status.code}`);
  }
  if (strict) {
    if (reply.status.detail !== expected.detail) {
      problems.push(`detail: expected ${JSON.stringify(expected.detail)}, actual ${JSON.stringify(reply.status.detail)}`);
    }
  } else if (firstWord(reply.status.detail) !== firstWord(expected.detail)) {
    problems.push(`detail: expected ${JSON.stringify(firstWord(expected.detail))}, actual ${JSON.stringify(short(String(reply.status.detail)))}`);
  }

  if (exp.entries !== undefined || reply.entries !== undefined) {
    if (!Array.isArray(reply.entries)) {
      problems.push(`entries: expected ${exp.entries?.length ?? 'no'} entries, actual ${reply.entries === undefined ? 'none' : typeof reply.entries}`);
    } else if (!Array.isArray(exp.entries)) {
      problems.push(`entries: expected none, actual ${reply.entries.length}`);
    } else {
      const want = exp.entries.map(entryKey);
      const got = reply.entries.map(entryKey);
      if (canonical(want) !== canonical(got)) {
        problems.push(`entries: expected [${want.join(', ')}], actual [${got.join(', ')}]`);
      } else {
        exp.entries.forEach((e, i) => {
          const a = reply.entries[i];
          if (e?.encodedData !== a?.encodedData) {
            const fmt = (v) => (v === undefined ? 'absent' : JSON.stringify(short(v, 40)));
            problems.push(`entries[${i}].encodedData: expected ${fmt(e?.encodedData)}, actual ${fmt(a?.encodedData)}`);
          }
        });
      }
    }
  }

  if (exp.entry !== undefined || reply.entry !== undefined) {
    const e = exp.entry ?? {};
    const a = reply.entry ?? {};
    if (reply.entry === undefined) problems.push('entry: expected an entry, actual none');
    else if (exp.entry === undefined) problems.push('entry: expected none, actual an entry');
    if (e.recordsWrite?.recordId !== a.recordsWrite?.recordId) {
      problems.push(`entry.recordsWrite.recordId: expected ${e.recordsWrite?.recordId ?? 'absent'}, actual ${a.recordsWrite?.recordId ?? 'absent'}`);
    }
    for (const k of ['recordsWrite', 'initialWrite', 'recordsDelete']) {
      if ((e[k] !== undefined) !== (a[k] !== undefined)) {
        problems.push(`entry.${k}: expected ${e[k] !== undefined ? 'present' : 'absent'}, actual ${a[k] !== undefined ? 'present' : 'absent'}`);
      }
    }
    const wantData = e.dataBase64url !== undefined ? Buffer.from(e.dataBase64url, 'base64url') : undefined;
    if (wantData === undefined && data !== undefined) {
      problems.push(`data: expected none, actual ${data.length} bytes`);
    } else if (wantData !== undefined && data === undefined) {
      problems.push(`data: expected ${wantData.length} bytes, actual none (no dwn-response header)`);
    } else if (wantData !== undefined && !wantData.equals(data)) {
      problems.push(`data: expected ${wantData.length} bytes, actual ${data.length} bytes with different content`);
    }
  }

  if ((exp.cursor !== undefined) !== (reply.cursor !== undefined)) {
    problems.push(`cursor: expected ${exp.cursor !== undefined ? 'present' : 'absent'}, actual ${reply.cursor !== undefined ? 'present' : 'absent'}`);
  }

  if (strict) {
    const actual = { ...reply };
    if (actual.entry !== undefined && data !== undefined) {
      actual.entry = { ...actual.entry, dataBase64url: data.toString('base64url') };
    }
    if (canonical(actual) !== canonical(exp)) {
      problems.push(`reply (strict): expected ${short(canonical(exp), 400)}, actual ${short(canonical(actual), 400)}`);
    }
  }
  return problems;
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  let passed = 0;
  let failed = 0;
  for (const file of args.files) {
    let vector;
    try {
      vector = JSON.parse(readFileSync(file, 'utf8'));
    } catch (err) {
      console.log(`FAIL ${file}: cannot read vector file: ${err.message}`);
      failed++;
      continue;
    }
    const label = path.basename(file);
    for (const [i, step] of vector.steps.entries()) {
      const where = `${label} step ${i + 1} "${step.name}"`;
      const result = await send(args.url, step, args.chunked);
      let problems;
      if (result.error !== undefined) {
        problems = [`expected ${step.expect.status} ${firstWord(step.expect.detail)}, actual ${result.error}`];
      } else if (args.dwnd && step.dwnd !== undefined) {
        const got = result.reply.status;
        problems = got.code === step.dwnd.status && firstWord(got.detail) === step.dwnd.code ? []
          : [`documented difference: expected ${step.dwnd.status} ${step.dwnd.code}, actual ${got.code} ${short(String(got.detail))}`];
      } else {
        problems = compare(step.expect, result.reply, result.data, args.strict);
      }
      if (problems.length === 0) {
        passed++;
        if (args.verbose) console.log(`ok   ${where}`);
      } else {
        failed++;
        console.log(`FAIL ${where}: ${problems.join('; ')}`);
      }
    }
  }
  console.log(`${passed} passed, ${failed} failed`);
  process.exitCode = failed > 0 ? 1 : 0;
}

await main();
