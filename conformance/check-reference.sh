#!/usr/bin/env bash
# Starts the reference server (reference-server.mjs) on 127.0.0.1:$PORT (default 29390,
# below Linux's ephemeral port range so that no outgoing connection holds it; if the
# port is taken anyway, the next ones are tried), replays the vectors against it (extra
# arguments go to replay.mjs, e.g. --strict or a list of files), stops the server and
# exits with replay.mjs's exit code.
set -euo pipefail
cd "$(dirname "$0")"
PORT="${PORT:-29390}"
out="$(mktemp)"
pid=""
cleanup() {
  if [ -n "$pid" ]; then
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
  rm -f "$out"
}
trap cleanup EXIT
url=""
for attempt in 1 2 3 4 5; do
  : >"$out"
  node reference-server.mjs --port "$PORT" >"$out" &
  pid=$!
  for _ in $(seq 1 240); do
    url="$(grep -m1 '^http' "$out" || true)"
    [ -n "$url" ] && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.25
  done
  [ -n "$url" ] && break
  wait "$pid" 2>/dev/null || true
  pid=""
  echo "reference server did not start on port $PORT (attempt $attempt); trying port $((PORT + 1))" >&2
  PORT=$((PORT + 1))
done
[ -n "$url" ] || { echo "reference server failed to start" >&2; exit 1; }
node "${SCRIPT:-replay.mjs}" --url "$url" "$@"
