#!/usr/bin/env bash
# The whole test suite, on a fresh machine with only Go and Node: installs what the
# tests need (Go modules; the reference DWN packages in conformance/ with npm ci; a Kubo
# daemon built from its module source once, cached outside the repository), checks
# formatting and vet, runs every Go test, replays the conformance vectors against the
# reference server (so a vector the reference fails is a wrong vector) and against a
# freshly built dwnd, and fuzzes message parsing for a bounded time.
#
#   scripts/test.sh            everything
#   FUZZTIME=0 scripts/test.sh skip the fuzzing step (local iteration only)
#
# Fuzzing runs a fixed number of inputs per target (FUZZTIME, default 100000x: a few
# seconds for the schema matchers, about 20 s for message processing) rather than a
# duration: Go's fuzzer can end a duration-bounded run with a spurious "context deadline
# exceeded" when the deadline falls in the middle of minimizing an input.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
step() { printf '\n== %s\n' "$*"; }

step "Go modules"
go mod download

step "Node packages for conformance/ (npm ci)"
stamp=conformance/node_modules/.lock-sha256
want=$(sha256sum conformance/package-lock.json | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  # better-sqlite3 (needed by the reference server) compiles from source here: point
  # node-gyp at the installed Node headers so it downloads nothing.
  if [ -d /usr/include/node ]; then export npm_config_nodedir=/usr; fi
  (cd conformance && npm ci --no-audit --no-fund)
  echo "$want" >"$stamp"
else
  echo "up to date"
fi

step "Kubo daemon for the IPFS tests (built once, cached outside the repository)"
DWN_KUBO_BIN=$(scripts/kubo.sh)
export DWN_KUBO_BIN
echo "$DWN_KUBO_BIN"

step "gofmt and go vet"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './conformance/node_modules/*'))
if [ -n "$unformatted" ]; then
  echo "gofmt would change:"; echo "$unformatted"; exit 1
fi
go vet ./...

step "go test"
go test -count=1 -timeout 20m ./...

step "conformance vectors against the reference server"
(cd conformance && PORT=${REFERENCE_PORT:-29390} ./check-reference.sh)

step "websocket scenario against the reference server"
(cd conformance && PORT=${REFERENCE_PORT:-29390} SCRIPT=ws-scenario.mjs ./check-reference.sh)

step "conformance vectors against dwnd (black box)"
bin=$(mktemp -d)
data=$(mktemp -d)
trap 'kill "${dwnd_pid:-}" 2>/dev/null || true; rm -rf "$bin" "$data"' EXIT
go build -o "$bin/dwnd" ./cmd/dwnd
"$bin/dwnd" --listen 127.0.0.1:0 --data "$data" >"$bin/out" 2>"$bin/err" &
dwnd_pid=$!
url=""
for _ in $(seq 1 100); do
  url=$(grep -m1 -o 'http://[0-9.:]*' "$bin/out" || true)
  [ -n "$url" ] && break
  sleep 0.1
done
[ -n "$url" ] || { echo "dwnd did not start:"; cat "$bin/err"; exit 1; }
(cd conformance && node replay.mjs --url "$url" --strict --dwnd testdata/vectors/records-*.json testdata/vectors/protocols-*.json testdata/vectors/permissions-*.json)
(cd conformance && node ws-scenario.mjs --url "$url" --dwnd)
kill "$dwnd_pid"; wait "$dwnd_pid" 2>/dev/null || true

fuzztime=${FUZZTIME:-100000x}
if [ "$fuzztime" != "0" ]; then
  for target in $(grep -rhoE '^func (Fuzz[A-Za-z0-9_]+)' --include='*_test.go' . | sed 's/func //' | sort -u); do
    pkg=$(dirname "$(grep -rlE "^func $target\(" --include='*_test.go' . | head -1)")
    step "fuzz $target in $pkg for $fuzztime"
    go test -run='^$' -fuzz="^$target\$" -fuzztime="$fuzztime" -fuzzminimizetime=2000x -timeout=10m "$pkg"
  done
fi

step "all tests passed"
