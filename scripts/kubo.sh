#!/usr/bin/env bash
# Prints the path of a Kubo (ipfs) daemon binary, building it first if it is not cached.
#
#   scripts/kubo.sh            build if needed, print the binary's path
#
# `go install github.com/ipfs/kubo/cmd/ipfs@VERSION` does not work with our module proxy
# (see shared/design/kubo.md), so this downloads the Kubo module, copies it to a
# scratch directory and builds ./cmd/ipfs there with Kubo's own go.mod and go.sum. The
# binary is cached outside the repository, keyed by the Kubo and Go versions:
# $DWN_KUBO_CACHE (default ${XDG_CACHE_HOME:-$HOME/.cache}/dwn-ipfs/kubo). A cold build
# takes about 4 minutes on 2 cores; a cached one is reused at once.
set -euo pipefail

version=v0.43.0
gover=$(go env GOVERSION)
cache=${DWN_KUBO_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/dwn-ipfs/kubo}
bin="$cache/ipfs-$version-$gover"

if [ -x "$bin" ]; then
  echo "$bin"
  exit 0
fi

mkdir -p "$cache"
echo "building Kubo $version with $gover into $cache (about 4 minutes on 2 cores, once)" >&2
dir=$(go mod download -json "github.com/ipfs/kubo@$version" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
if [ -z "$dir" ] || [ ! -d "$dir" ]; then
  echo "kubo.sh: go mod download of github.com/ipfs/kubo@$version gave no module directory" >&2
  exit 1
fi
work=$(mktemp -d)
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT
cp -r "$dir/." "$work/"
chmod -R u+w "$work"
(cd "$work" && GOFLAGS=-mod=mod go build -trimpath -ldflags='-s -w' -o "$bin.tmp" ./cmd/ipfs)
mv "$bin.tmp" "$bin"
echo "$bin"
