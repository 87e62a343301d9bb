#!/usr/bin/env node
// Runs the reference DWN server (@web5/dwn-server from node_modules) on
// 127.0.0.1 with all of its storage in a fresh temporary directory.
//
//   node reference-server.mjs [--port PORT] [--log-level LEVEL]
//
// Prints the server URL (one line, on stdout) once GET /health answers; the
// server's own logs go to stderr. On SIGTERM or SIGINT the server is shut down
// gracefully and the temporary directory is removed.
//
// Environment given to the server:
//   DS_PORT                          the port (default 3939, or $PORT)
//   DWN_BASE_URL                     http://127.0.0.1:PORT
//   DWN_STORAGE_MESSAGES             level://<tmp>/data   (MESSAGESTORE + INDEX)
//   DWN_STORAGE_DATA                 level://<tmp>/data   (DATASTORE)
//   DWN_STORAGE_EVENTS               level://<tmp>/data   (EVENTLOG)
//   DWN_STORAGE_RESUMABLE_TASKS      level://<tmp>/data   (RESUMABLE-TASK-STORE)
//   DWN_TTL_CACHE_URL                sqlite://  (anonymous temporary SQLite database, Web5 Connect cache)
//   DWN_SERVER_PACKAGE_JSON          node_modules/@web5/dwn-server/package.json (for /info)
//   DWN_SERVER_LOG_LEVEL             warn unless --log-level is given
// DWN_STORAGE and DWN_REGISTRATION_STORE_URL are left unset, so there is no tenant
// registration (every DID is an active tenant). The working directory of the
// server is the temporary directory, because the SDK's default DID resolver keeps
// its cache in ./RESOLVERCACHE.

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const SERVER_PKG = path.join(HERE, 'node_modules', '@web5', 'dwn-server');
const SERVER_MAIN = path.join(SERVER_PKG, 'dist', 'esm', 'src', 'main.js');
const HOST = '127.0.0.1';

if (process.argv[2] === '--child') {
  // Child mode: dwn-server calls server.listen(port) without a host, which
  // listens on every interface. Bind it to the loopback address instead.
  const listen = http.Server.prototype.listen;
  http.Server.prototype.listen = function (...args) {
    if (typeof args[0] === 'number' && (args.length === 1 || typeof args[1] === 'function')) {
      args.splice(1, 0, HOST);
    }
    return listen.apply(this, args);
  };
  await import(pathToFileURL(SERVER_MAIN).href);
} else {
  await supervise();
}

function parseArgs(argv) {
  const args = { port: Number(process.env.PORT ?? 3939), logLevel: 'warn' };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--port') args.port = Number(argv[++i]);
    else if (argv[i] === '--log-level') args.logLevel = argv[++i];
    else {
      console.error('usage: node reference-server.mjs [--port PORT] [--log-level trace|debug|info|warn|error]');
      process.exit(2);
    }
  }
  if (!Number.isInteger(args.port) || args.port <= 0 || args.port > 65535) {
    console.error(`invalid port ${args.port}`);
    process.exit(2);
  }
  return args;
}

async function health(url) {
  try {
    const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2000) });
    return res.ok && (await res.json()).ok === true;
  } catch {
    return false;
  }
}

async function supervise() {
  const { port, logLevel } = parseArgs(process.argv.slice(2));
  const url = `http://${HOST}:${port}`;
  if (await health(url)) {
    console.error(`something already answers on ${url}; choose another --port`);
    process.exit(1);
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'dwn-reference-'));
  const storage = `level://${path.join(dir, 'data')}`;
  const env = {
    ...process.env,
    DS_PORT: String(port),
    DWN_BASE_URL: url,
    DWN_STORAGE_MESSAGES: storage,
    DWN_STORAGE_DATA: storage,
    DWN_STORAGE_EVENTS: storage,
    DWN_STORAGE_RESUMABLE_TASKS: storage,
    DWN_TTL_CACHE_URL: 'sqlite://',
    DWN_SERVER_PACKAGE_JSON: path.join(SERVER_PKG, 'package.json'),
    DWN_SERVER_LOG_LEVEL: logLevel,
  };
  for (const k of ['DWN_STORAGE', 'DWN_REGISTRATION_STORE_URL', 'DWN_TERMS_OF_SERVICE_FILE_PATH',
    'DWN_REGISTRATION_PROOF_OF_WORK_ENABLED', 'DWN_EVENT_STREAM_PLUGIN_PATH', 'npm_package_json', 'npm_package_name']) {
    delete env[k];
  }

  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), '--child'], {
    cwd: dir,
    env,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  child.stdout.pipe(process.stderr); // keep our stdout for the URL only

  let exited = false;
  const exitPromise = new Promise((resolve) => child.on('exit', (code, signal) => { exited = true; resolve({ code, signal }); }));
  const cleanup = () => rmSync(dir, { recursive: true, force: true });

  let stopping = false;
  const stop = async (sig) => {
    if (stopping) return;
    stopping = true;
    if (!exited) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => { if (!exited) child.kill('SIGKILL'); }, 10_000);
      await exitPromise;
      clearTimeout(timer);
    }
    cleanup();
    console.error(`reference server stopped (${sig})`);
    process.exit(0);
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));

  const deadline = Date.now() + 60_000;
  while (!(await health(url))) {
    if (exited) {
      const { code, signal } = await exitPromise;
      cleanup();
      console.error(`reference server exited before it was ready (code ${code}, signal ${signal})`);
      process.exit(1);
    }
    if (Date.now() > deadline) {
      console.error('reference server did not answer GET /health within 60 s');
      await stop('timeout');
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  console.log(url);

  const { code, signal } = await exitPromise;
  if (!stopping) {
    cleanup();
    console.error(`reference server exited unexpectedly (code ${code}, signal ${signal})`);
    process.exit(1);
  }
}
