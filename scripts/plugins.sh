#!/usr/bin/env bash
# Builds the Conduit standalone connector plugins connectd ships (PostgreSQL and generator) into
# build/plugins/, as static binaries that report their release version.
# Usage: scripts/plugins.sh [OUT_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-build/plugins}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
# The checksum database does not answer for these modules; the proxy serves them.
export GONOSUMDB=github.com/conduitio,buf.build GOFLAGS=-mod=mod CGO_ENABLED=0
PLUGINS=(
  "github.com/conduitio/conduit-connector-postgres v0.14.0"
  "github.com/conduitio/conduit-connector-generator v0.10.0"
)
for entry in "${PLUGINS[@]}"; do
  read -r module version <<<"$entry"
  name=${module##*/}
  bin="$OUT/$name"
  if [ -x "$bin" ] && [ "$("$bin" version 2>/dev/null || true)" = "$version" ]; then
    echo "$name $version: up to date"
    continue
  fi
  dir=$(go mod download -json "$module@$version" | python3 -c 'import json,sys; print(json.load(sys.stdin)["Dir"])')
  # Built from the module's own directory so that its go.mod and go.sum pin its dependencies.
  (cd "$dir" && go build -trimpath -ldflags "-s -w -X '$module.version=$version'" -o "$bin" ./cmd/connector)
  echo "$name $version: built $bin"
done
