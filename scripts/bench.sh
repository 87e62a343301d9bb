#!/usr/bin/env bash
# Side-by-side load benchmark of dwnd and the reference server (@web5/dwn-server 0.6.1,
# default LevelDB storage), both on 127.0.0.1, driven by the same `dwn bench` client in
# the same run. Prints a Markdown table for docs/benchmarks.md and keeps the raw JSON
# lines in $OUT (default bench-results.jsonl).
#
#   scripts/bench.sh                 default sizes (about 10 minutes on 2 cores)
#   N=500 REF_QUERY_N=50 scripts/bench.sh
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-2000}                  # requests per op against dwnd
REF_N=${REF_N:-1000}          # requests per write/read op against the reference
REF_QUERY_N=${REF_QUERY_N:-100} # the reference answers about 10 queries/s
RECORDS=${RECORDS:-10000}
C=${C:-16}
OUT=${OUT:-bench-results.jsonl}
: >"$OUT"
tmp=$(mktemp -d)
trap 'kill ${pids:-} 2>/dev/null || true; rm -rf "$tmp"' EXIT
go build -o "$tmp/dwnd" ./cmd/dwnd
go build -o "$tmp/dwn" ./cmd/dwn
if [ ! -d conformance/node_modules ]; then (cd conformance && npm ci --no-audit --no-fund); fi

run() { # name url pid op n extra...
  local name=$1 url=$2 pid=$3 op=$4 n=$5; shift 5
  echo "-- $name $op n=$n $*" >&2
  "$tmp/dwn" bench --endpoint "$url" --op "$op" --n "$n" --c "$C" --records "$RECORDS" --server-pid "$pid" --json "$@" |
    node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const o=JSON.parse(s);o.server=process.argv[1];o.label=process.argv[2];console.log(JSON.stringify(o))})' "$name" "$op $*" >>"$OUT"
}

suite() { # name url pid n querry_n
  local name=$1 url=$2 pid=$3 n=$4 qn=$5
  run "$name" "$url" "$pid" write "$n"
  run "$name" "$url" "$pid" write "$((n / 10))" --size 1048576
  run "$name" "$url" "$pid" read "$n"
  run "$name" "$url" "$pid" query "$qn"
  run "$name" "$url" "$pid" query-cursor "$qn"
  run "$name" "$url" "$pid" query-tag "$qn"
  run "$name" "$url" "$pid" protocol-write "$n"
}

# dwnd
"$tmp/dwnd" --listen 127.0.0.1:0 --data "$tmp/dwnd-data" --log-level warn >"$tmp/dwnd.out" &
dpid=$!; pids="$dpid"
for _ in $(seq 1 100); do grep -q listening "$tmp/dwnd.out" && break; sleep 0.1; done
durl=$(grep -o 'http://[0-9.:]*' "$tmp/dwnd.out")
suite dwnd "$durl" "$dpid" "$N" "$N"
kill "$dpid"; wait "$dpid" 2>/dev/null || true

# reference
port=${REFERENCE_PORT:-29395}
node conformance/reference-server.mjs --port "$port" >"$tmp/ref.out" &
pids="$pids $!"
for _ in $(seq 1 200); do grep -q '^http' "$tmp/ref.out" && break; sleep 0.25; done
rpid=$(pgrep -f 'reference-server.mjs --child' | head -1)
suite reference "http://127.0.0.1:$port" "$rpid" "$REF_N" "$REF_QUERY_N"

node - "$OUT" <<'JS'
const fs = require('fs');
const rows = fs.readFileSync(process.argv[2], 'utf8').trim().split('\n').map(JSON.parse);
const by = {};
for (const r of rows) (by[r.label] ??= {})[r.server] = r;
const f = (x, d = 1) => x === undefined ? '–' : Number(x).toFixed(d);
console.log('| operation | dwnd ops/s | reference ops/s | ratio | dwnd p50 / p99 ms | reference p50 / p99 ms | dwnd MiB/s | reference MiB/s | dwnd peak RSS MiB | reference peak RSS MiB | errors (dwnd/ref) |');
console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
for (const [label, s] of Object.entries(by)) {
  const d = s.dwnd ?? {}, r = s.reference ?? {};
  console.log(`| ${label} | ${f(d.ops_per_s)} | ${f(r.ops_per_s)} | ${f(d.ops_per_s / r.ops_per_s)}× | ${f(d.p50_ms)} / ${f(d.p99_ms)} | ${f(r.p50_ms)} / ${f(r.p99_ms)} | ${f(d.mib_per_s)} | ${f(r.mib_per_s)} | ${f(d.server_vmhwm_mib, 0)} | ${f(r.server_vmhwm_mib, 0)} | ${d.errors ?? '–'}/${r.errors ?? '–'} |`);
}
JS
