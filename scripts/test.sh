#!/usr/bin/env bash
# The project's test command: formatting, vet, staticcheck, and every test with the race detector.
set -euo pipefail
cd "$(dirname "$0")/.."
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then
  echo "gofmt would change:" >&2
  echo "$unformatted" >&2
  exit 1
fi
go vet ./...
# staticcheck, pinned; installed into GOPATH/bin on first use (.ci/run installs it up front).
staticcheck_version=v0.8.2
staticcheck="$(go env GOPATH)/bin/staticcheck"
if ! "$staticcheck" -version 2>/dev/null | grep -q "${staticcheck_version#v}"; then
  go install "honnef.co/go/tools/cmd/staticcheck@$staticcheck_version"
fi
"$staticcheck" ./...
go test -race -count=1 -timeout 12m ./...
# Fuzz targets, a few seconds each (go test fuzzes one target per run); their seed corpora
# (testdata/fuzz) already ran above as regression tests. FUZZTIME=0 skips this.
fuzztime=${FUZZTIME:-3s}
if [ "$fuzztime" != 0 ]; then
  for target in plugins:FuzzJSONConverter plugins:FuzzStringAndByteArrayConverters plugins:FuzzValidate plugins:FuzzAppendString \
      api:FuzzRequestBodies config:FuzzParse fsm:FuzzApplyCommand fsm:FuzzRestore \
      transforms:FuzzFieldPath connect:FuzzDecimalBytes; do
    go test -run='^$' -fuzz="^${target#*:}\$" -fuzztime="$fuzztime" "./${target%%:*}"
  done
fi
