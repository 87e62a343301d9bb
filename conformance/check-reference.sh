#!/usr/bin/env bash
# Starts the reference server (reference-server.mjs) on 127.0.0.1:$PORT (default 39390),
# replays the vectors against it (extra arguments go to replay.mjs, e.g. --strict or
# a list of files), stops the server and exits with replay.mjs's exit code.
set -euo pipefail
cd "$(dirname "$0")"
PORT="${PORT:-39390}"
out="$(mktemp)"
node reference-server.mjs --port "$PORT" >"$out" &
pid=$!
cleanup() {
  kill -TERM "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  rm -f "$out"
}
trap cleanup EXIT
url=""
for _ in $(seq 1 240); do
  url="$(grep -m1 '^http' "$out" || true)"
  [ -n "$url" ] && break
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "reference server failed to start" >&2
    exit 1
  fi
  sleep 0.25
done
[ -n "$url" ] || { echo "reference server did not become ready" >&2; exit 1; }
node replay.mjs --url "$url" "$@"
