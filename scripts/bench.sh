#!/usr/bin/env bash
# Measures connectd's data plane and control plane against references in the same run, on the
# same machine, and writes BENCHMARKS.md. Usage: scripts/bench.sh [--lines N] [--runs R] [--out FILE]
# Needs kcat (apt-get install kcat), curl and python3.
set -euo pipefail
cd "$(dirname "$0")/.."
LINES=1000000 RUNS=3 OUT=BENCHMARKS.md
while [ $# -gt 0 ]; do
  case "$1" in
    --lines) LINES=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    *) echo "unknown flag $1" >&2; exit 2 ;;
  esac
done
command -v kcat >/dev/null || { echo "bench: kcat is required (apt-get install kcat)" >&2; exit 1; }

WORK=$(mktemp -d)
BROKER=127.0.0.1:19092
REST=18083
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT

CGO_ENABLED=0 go build -o "$WORK/connectd" ./cmd/connectd
now() { python3 -c 'import time; print(time.time())'; }
median() { python3 -c 'import sys,statistics; print(statistics.median([float(x) for x in sys.argv[1:]]))' "$@"; }
pct() { python3 -c 'import sys; v=sorted(float(x) for x in sys.argv[2:]); print(v[min(len(v)-1, int(len(v)*float(sys.argv[1])/100))])' "$@"; }
json() { python3 -c "import sys,json; d=json.load(sys.stdin); print($1)"; }
put() { curl -sf -X PUT -H 'Content-Type: application/json' "$@"; }

# 100-byte lines (99 characters and a newline).
python3 - "$WORK/in.txt" "$LINES" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    for i in range(int(sys.argv[2])):
        f.write(("%010d " % i).ljust(99, "x") + "\n")
PY
SIZE=$(stat -c %s "$WORK/in.txt")

"$WORK/connectd" broker --listen "$BROKER" >"$WORK/broker.log" 2>&1 & PIDS+=($!)
sleep 1
"$WORK/connectd" dev --nodes 3 --broker none --rest-port $REST --data-dir "$WORK/dev" \
  --set bootstrap.servers=$BROKER --set offset.flush.interval.ms=500 --set log.level=WARN >"$WORK/dev.log" 2>&1 & PIDS+=($!)
for _ in $(seq 100); do curl -sf localhost:$REST/health >/dev/null && break; sleep 0.2; done
URL=http://localhost:$REST
CONV='"key.converter":"org.apache.kafka.connect.storage.StringConverter","value.converter":"org.apache.kafka.connect.storage.StringConverter"'

declare -a SRC KCATP SINK KCATC CREATE
for r in $(seq "$RUNS"); do
  # kcat -P: the reference producer.
  t0=$(now); kcat -b $BROKER -P -t kcat-$r -l "$WORK/in.txt"; t1=$(now)
  KCATP+=($(python3 -c "print($LINES/($t1-$t0))"))

  # FileStreamSource: until its committed position covers the whole file.
  t0=$(now)
  put "$URL/connectors/src-$r/config" -d "{\"connector.class\":\"FileStreamSource\",\"file\":\"$WORK/in.txt\",\"topic\":\"src-$r\",$CONV}" >/dev/null
  until [ "$(curl -sf "$URL/connectors/src-$r/offsets" | json 'd["offsets"][0]["offset"]["position"] if d["offsets"] else 0')" = "$SIZE" ]; do sleep 0.05; done
  t1=$(now); SRC+=($(python3 -c "print($LINES/($t1-$t0))"))

  # kcat -C: the reference consumer, to a file.
  t0=$(now); kcat -b $BROKER -C -t src-$r -e -q > "$WORK/kcat-out-$r.txt"; t1=$(now)
  KCATC+=($(python3 -c "print($LINES/($t1-$t0))"))

  # FileStreamSink draining the same topic.
  t0=$(now)
  put "$URL/connectors/sink-$r/config" -d "{\"connector.class\":\"FileStreamSink\",\"file\":\"$WORK/sink-$r.txt\",\"topics\":\"src-$r\",$CONV}" >/dev/null
  until [ -f "$WORK/sink-$r.txt" ] && [ "$(wc -l < "$WORK/sink-$r.txt")" -ge "$LINES" ]; do sleep 0.05; done
  t1=$(now); SINK+=($(python3 -c "print($LINES/($t1-$t0))"))
  curl -sf -X DELETE "$URL/connectors/src-$r" >/dev/null; curl -sf -X DELETE "$URL/connectors/sink-$r" >/dev/null
done

# Create -> every one of 10 tasks RUNNING.
for r in $(seq $((RUNS * 10))); do
  t0=$(now)
  put "$URL/connectors/c-$r/config" -d '{"connector.class":"VerifiableSource","topic":"v","tasks.max":"10","throughput":"1"}' >/dev/null
  until [ "$(curl -s "$URL/connectors/c-$r/status" | json 'sum(1 for t in d.get("tasks",[]) if t["state"]=="RUNNING")' 2>/dev/null)" = "10" ]; do sleep 0.005; done
  t1=$(now); CREATE+=($(python3 -c "print(($t1-$t0)*1000)"))
  curl -sf -X DELETE "$URL/connectors/c-$r" >/dev/null
done

fmt() { python3 -c "print(f'{float(\"$1\"):,.0f}')"; }
ratio() { python3 -c "print(f'{float(\"$1\")/float(\"$2\"):.2f}')"; }
mSRC=$(median "${SRC[@]}"); mKP=$(median "${KCATP[@]}"); mSINK=$(median "${SINK[@]}"); mKC=$(median "${KCATC[@]}")
{
  echo "# Benchmarks"
  echo
  echo "Measured by \`scripts/bench.sh --lines $LINES --runs $RUNS\` on $(nproc) cores, $(go version | cut -d' ' -f3), $(date -u +%F)."
  echo "Medians of $RUNS runs; a 3-node \`connectd dev\` cluster and the embedded broker, all on one machine."
  echo
  echo "| Measure | connectd | Reference | Ratio | Reproduce |"
  echo "|---|---|---|---|---|"
  echo "| File -> topic, $LINES lines of 100 B, records/s | $(fmt "$mSRC") (FileStreamSource) | $(fmt "$mKP") (\`kcat -P -l\`) | $(ratio "$mSRC" "$mKP") | \`scripts/bench.sh\` |"
  echo "| Topic -> file, records/s | $(fmt "$mSINK") (FileStreamSink) | $(fmt "$mKC") (\`kcat -C -e\`) | $(ratio "$mSINK" "$mKC") | \`scripts/bench.sh\` |"
  echo "| Create -> 10 tasks RUNNING, ms p50 / p99 | $(fmt "$(pct 50 "${CREATE[@]}")") / $(fmt "$(pct 99 "${CREATE[@]}")") | — | — | \`scripts/bench.sh\` |"
  echo
  echo "REST write latency (follower vs leader vs bare raft.Apply) is a Go benchmark:"
  echo "\`go test ./agent -run '^\$' -bench Write -benchtime 3000x\`."
} > "$OUT"
cat "$OUT"
