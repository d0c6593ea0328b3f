#!/usr/bin/env bash
# Measures connectd's data plane and control plane against references in the same run, on the
# same machine, and writes BENCHMARKS.md.
# Usage: scripts/bench.sh [--lines N] [--runs R] [--scale CONNECTORS] [--only PARTS] [--out FILE] [--baseline REF]
# The default input is the issue's 1 GiB file: 10,737,418 lines of 100 bytes.
# --only runs some parts and prints only their rows, comma-separated: data (file <-> topic, with
# transforms, a DLQ, metrics off and the baseline build), create, sarama, write, read, failover,
# scale (1,000 connectors x 10 tasks and the GET /metrics scrape on them). By default all of them
# run and the table goes to BENCHMARKS.md; a run of some parts writes a file only when --out names one.
# REF is the build the clean data path is compared with (issue 15: within 3%); by default main
# just before the error handling (recover, tolerance, retries, DLQ) was merged. It needs the git
# history.
# Needs kcat (apt-get install kcat), curl and python3.
set -euo pipefail
cd "$(dirname "$0")/.."
ALL=data,create,sarama,write,read,failover,scale
LINES=10737418 RUNS=3 SCALE=1000 OUT= ONLY=$ALL BASELINE=0ab0b90^1
while [ $# -gt 0 ]; do
  case "$1" in
    --lines) LINES=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    --scale) SCALE=$2; shift 2 ;;
    --only) ONLY=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    --baseline) BASELINE=$2; shift 2 ;;
    *) echo "unknown flag $1" >&2; exit 2 ;;
  esac
done
# want PART: whether PART is to run.
want() { [[ ",$ONLY," == *",$1,"* ]]; }
for part in ${ONLY//,/ }; do
  case "$part" in data|create|sarama|write|read|failover|scale) ;; *) echo "bench: unknown part $part" >&2; exit 2 ;; esac
done
if want data || want sarama; then
  command -v kcat >/dev/null || { echo "bench: kcat is required (apt-get install kcat)" >&2; exit 1; }
fi

WORK=$(mktemp -d)
if [ -z "$OUT" ]; then
  if [ "$ONLY" = "$ALL" ]; then OUT=BENCHMARKS.md; else OUT=$WORK/bench.md; fi
fi
BROKER=127.0.0.1:19092
REST=18083
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT

CGO_ENABLED=0 go build -o "$WORK/connectd" ./cmd/connectd
BASE_REV=
if want data; then
  if BASE_REV=$(git rev-parse --short --verify -q "$BASELINE^{commit}" 2>/dev/null); then
    mkdir "$WORK/base" && git archive "$BASE_REV" | tar -x -C "$WORK/base"
    (cd "$WORK/base" && CGO_ENABLED=0 go build -o "$WORK/connectd-base" ./cmd/connectd)
    rm -rf "$WORK/base"
  else
    echo "bench: baseline $BASELINE is not in this clone (shallow?); its rows stay empty" >&2
    BASE_REV=
  fi
fi
now() { python3 -c 'import time; print(time.time())'; }
median() { python3 -c 'import sys,statistics; print(statistics.median([float(x) for x in sys.argv[1:]]))' "$@"; }
pct() { python3 -c 'import sys; v=sorted(float(x) for x in sys.argv[2:]); print(v[min(len(v)-1, int(len(v)*float(sys.argv[1])/100))])' "$@"; }
put() { curl -sf -X PUT -H 'Content-Type: application/json' "$@"; }
# wait_position NAME SIZE: polls a source connector's committed position every 50 ms from one
# process (a curl and a python per poll would take CPU from what is measured).
wait_position() {
  python3 - "$URL" "$1" "$2" <<'PY'
import http.client, json, sys, time, urllib.parse
url, name, size = urllib.parse.urlparse(sys.argv[1]), sys.argv[2], int(sys.argv[3])
conn = http.client.HTTPConnection(url.hostname, url.port)
while True:
    conn.request("GET", "/connectors/%s/offsets" % name)
    resp = conn.getresponse()
    body = resp.read()
    offsets = json.loads(body).get("offsets", []) if resp.status == 200 else []
    if offsets and offsets[0]["offset"]["position"] >= size:
        break
    time.sleep(0.05)
PY
}

if want data; then
  # 100-byte lines (99 characters and a newline).
  python3 - "$WORK/in.txt" "$LINES" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    for i in range(int(sys.argv[2])):
        f.write(("%010d " % i).ljust(99, "x") + "\n")
PY
  SIZE=$(stat -c %s "$WORK/in.txt")
  # The error-handling rows' topics: each line a JSON string whose value the sink writes as 99
  # bytes; in the mixed file every 100th line is malformed JSON.
  python3 - "$WORK/json-good.txt" "$WORK/json-mixed.txt" "$LINES" <<'PY'
import sys
good, mixed, n = open(sys.argv[1], "w"), open(sys.argv[2], "w"), int(sys.argv[3])
for i in range(n):
    s = ("%010d " % i).ljust(98, "x")
    good.write('"%s"\n' % s)
    mixed.write(('{"bad %s\n' % s) if i % 100 == 99 else '"%s"\n' % s)
PY
  MIXED_GOOD=$((LINES - LINES / 100))
fi

BROKER_PID=
# fresh_broker restarts the embedded broker, empty: it holds every record in memory (about six
# times the data), so each 1 GiB topic gets a broker of its own. connectd reconnects by itself.
fresh_broker() {
  if [ -n "$BROKER_PID" ]; then kill "$BROKER_PID"; wait "$BROKER_PID" 2>/dev/null || true; fi
  "$WORK/connectd" broker --listen "$BROKER" >>"$WORK/broker.log" 2>&1 & BROKER_PID=$!; PIDS+=($!)
  for _ in $(seq 100); do kcat -b $BROKER -L -m 1 >/dev/null 2>&1 && return; sleep 0.1; done
  echo "bench: the embedded broker did not start; see $WORK/broker.log" >&2; exit 1
}
# The source row ends when the committed offset covers the file, which trails the last
# acknowledgement by up to one flush interval; at 100 ms that is about 1% of the row.
# start_dev BINARY [--set KEY=VALUE]...: a fresh 3-node dev cluster of BINARY.
DEV_PID=
start_dev() {
  if [ -n "$DEV_PID" ]; then kill "$DEV_PID"; wait "$DEV_PID" 2>/dev/null || true; fi
  rm -rf "$WORK/dev"
  "$1" dev --nodes 3 --broker none --rest-port $REST --data-dir "$WORK/dev" "${@:2}" \
    --set bootstrap.servers=$BROKER --set offset.flush.interval.ms=100 --set log.level=WARN >>"$WORK/dev.log" 2>&1 & DEV_PID=$!; PIDS+=($!)
  for _ in $(seq 100); do curl -sf localhost:$REST/health >/dev/null && return; sleep 0.2; done
  echo "bench: the dev cluster did not start; see $WORK/dev.log" >&2; exit 1
}
if want data || want create; then
  fresh_broker
  start_dev "$WORK/connectd" --set metrics.enable=true
fi
URL=http://localhost:$REST
CONV='"key.converter":"org.apache.kafka.connect.storage.StringConverter","value.converter":"org.apache.kafka.connect.storage.StringConverter"'

JSONCONV='"key.converter":"org.apache.kafka.connect.storage.StringConverter","value.converter":"org.apache.kafka.connect.json.JsonConverter","value.converter.schemas.enable":"false"'
CHAIN='"transforms":"hoist,insert,route","transforms.hoist.type":"org.apache.kafka.connect.transforms.HoistField$Value","transforms.hoist.field":"line","transforms.insert.type":"org.apache.kafka.connect.transforms.InsertField$Value","transforms.insert.static.field":"origin","transforms.insert.static.value":"file","transforms.route.type":"RegexRouter","transforms.route.regex":"srct-(.*)","transforms.route.replacement":"routed-$1"'

declare -a SRC KCATP SINK KCATC CREATE SRCJ SRCT JCLEAN JDLQ SRCOFF SINKOFF SRCBASE SINKBASE
# file_rows SRCVAR SINKVAR: file -> topic, then topic -> file from that topic, on the running
# cluster; appends records/s to the arrays named.
file_rows() {
  local t0 t1
  fresh_broker
  t0=$(now)
  put "$URL/connectors/src-$r/config" -d "{\"connector.class\":\"FileStreamSource\",\"file\":\"$WORK/in.txt\",\"topic\":\"src-$r\",$CONV}" >/dev/null
  wait_position "src-$r" "$SIZE"
  t1=$(now); eval "$1+=($(python3 -c "print($LINES/($t1-$t0))"))"
  t0=$(now)
  put "$URL/connectors/sink-$r/config" -d "{\"connector.class\":\"FileStreamSink\",\"file\":\"$WORK/sink-$r.txt\",\"topics\":\"src-$r\",$CONV}" >/dev/null
  until [ -f "$WORK/sink-$r.txt" ] && [ "$(stat -c %s "$WORK/sink-$r.txt")" -ge "$SIZE" ]; do sleep 0.05; done
  t1=$(now); eval "$2+=($(python3 -c "print($LINES/($t1-$t0))"))"
  rm -f "$WORK/sink-$r.txt"
}
# json_sink NAME TOPIC LINES EXTRA: a FileStreamSink with JsonConverter values until it wrote
# LINES lines of 99 bytes; prints records/s of the whole topic.
json_sink() {
  local t0 t1 total
  total=$(wc -l < "$WORK/$2.txt")
  t0=$(now)
  put "$URL/connectors/$1/config" -d "{\"connector.class\":\"FileStreamSink\",\"file\":\"$WORK/$1.out\",\"topics\":\"$2\",$JSONCONV$4}" >/dev/null
  until [ -f "$WORK/$1.out" ] && [ "$(stat -c %s "$WORK/$1.out")" -ge $(($3 * 99)) ]; do sleep 0.05; done
  t1=$(now); python3 -c "print($total/($t1-$t0))"
  curl -sf -X DELETE "$URL/connectors/$1" >/dev/null; rm -f "$WORK/$1.out"
}
for r in $(seq "$RUNS"); do
  want data || break
  # kcat -P: the reference producer.
  fresh_broker
  t0=$(now); kcat -b $BROKER -P -t kcat-$r -l "$WORK/in.txt"; t1=$(now)
  KCATP+=($(python3 -c "print($LINES/($t1-$t0))"))

  # FileStreamSource: until its committed position covers the whole file.
  fresh_broker
  t0=$(now)
  put "$URL/connectors/src-$r/config" -d "{\"connector.class\":\"FileStreamSource\",\"file\":\"$WORK/in.txt\",\"topic\":\"src-$r\",$CONV}" >/dev/null
  wait_position "src-$r" "$SIZE"
  t1=$(now); SRC+=($(python3 -c "print($LINES/($t1-$t0))"))

  # kcat -C: the reference consumer, to a file.
  t0=$(now); kcat -b $BROKER -C -t src-$r -e -q > "$WORK/kcat-out-$r.txt"; t1=$(now)
  KCATC+=($(python3 -c "print($LINES/($t1-$t0))"))

  # FileStreamSink draining the same topic.
  t0=$(now)
  put "$URL/connectors/sink-$r/config" -d "{\"connector.class\":\"FileStreamSink\",\"file\":\"$WORK/sink-$r.txt\",\"topics\":\"src-$r\",$CONV}" >/dev/null
  # Every line is 100 bytes, so the size tells when all arrived without reading the file.
  until [ -f "$WORK/sink-$r.txt" ] && [ "$(stat -c %s "$WORK/sink-$r.txt")" -ge "$SIZE" ]; do sleep 0.05; done
  t1=$(now); SINK+=($(python3 -c "print($LINES/($t1-$t0))"))
  curl -sf -X DELETE "$URL/connectors/src-$r" >/dev/null; curl -sf -X DELETE "$URL/connectors/sink-$r" >/dev/null
  rm -f "$WORK/kcat-out-$r.txt" "$WORK/sink-$r.txt"

  # The same file with JsonConverter, without and with a three-transform chain.
  fresh_broker
  t0=$(now)
  put "$URL/connectors/srcj-$r/config" -d "{\"connector.class\":\"FileStreamSource\",\"file\":\"$WORK/in.txt\",\"topic\":\"srcj-$r\",$JSONCONV}" >/dev/null
  wait_position "srcj-$r" "$SIZE"
  t1=$(now); SRCJ+=($(python3 -c "print($LINES/($t1-$t0))"))
  curl -sf -X DELETE "$URL/connectors/srcj-$r" >/dev/null
  fresh_broker
  t0=$(now)
  put "$URL/connectors/srct-$r/config" -d "{\"connector.class\":\"FileStreamSource\",\"file\":\"$WORK/in.txt\",\"topic\":\"srct-$r\",$JSONCONV,$CHAIN}" >/dev/null
  wait_position "srct-$r" "$SIZE"
  t1=$(now); SRCT+=($(python3 -c "print($LINES/($t1-$t0))"))
  curl -sf -X DELETE "$URL/connectors/srct-$r" >/dev/null
  fresh_broker
  cp "$WORK/json-good.txt" "$WORK/jgood-$r.txt"; kcat -b $BROKER -P -t "jgood-$r" -l "$WORK/jgood-$r.txt"
  JCLEAN+=($(json_sink "jclean-$r" "jgood-$r" "$LINES" ""))
  fresh_broker
  cp "$WORK/json-mixed.txt" "$WORK/jmixed-$r.txt"; kcat -b $BROKER -P -t "jmixed-$r" -l "$WORK/jmixed-$r.txt"
  JDLQ+=($(json_sink "jdlq-$r" "jmixed-$r" "$MIXED_GOOD" ',"errors.tolerance":"all","errors.deadletterqueue.topic.name":"dlq-'$r'","errors.deadletterqueue.topic.replication.factor":"1"'))
  rm -f "$WORK/jgood-$r.txt" "$WORK/jmixed-$r.txt"
  # The same two rows with metrics.enable=false, in the same run: what collecting costs.
  start_dev "$WORK/connectd" --set metrics.enable=false
  file_rows SRCOFF SINKOFF
  # And with the baseline build, which has no metrics: what the error handling costs the clean path.
  if [ -n "$BASE_REV" ]; then
    start_dev "$WORK/connectd-base"
    file_rows SRCBASE SINKBASE
  fi
  start_dev "$WORK/connectd" --set metrics.enable=true
done

# Create -> every one of 10 tasks RUNNING, polled every 2 ms from one client process (a curl and a
# python per poll would cost more than what is measured).
if want create; then
  CREATE=($(python3 - "$URL" $((RUNS * 10)) <<'PY'
import http.client, json, sys, time, urllib.parse
url, runs = urllib.parse.urlparse(sys.argv[1]), int(sys.argv[2])
conn = http.client.HTTPConnection(url.hostname, url.port)
def call(method, path, body=None):
    conn.request(method, path, body, {"Content-Type": "application/json"} if body else {})
    resp = conn.getresponse()
    return resp.status, resp.read()
out = []
for r in range(runs):
    name = "c-%d" % r
    t0 = time.monotonic()
    call("PUT", "/connectors/%s/config" % name, json.dumps({"connector.class": "VerifiableSource", "topic": "v", "tasks.max": "10", "throughput": "1"}))
    while True:
        status, body = call("GET", "/connectors/%s/status" % name)
        if status == 200 and sum(1 for t in json.loads(body).get("tasks", []) if t["state"] == "RUNNING") == 10:
            break
        time.sleep(0.002)
    out.append((time.monotonic() - t0) * 1000)
    call("DELETE", "/connectors/%s" % name)
print(" ".join("%.1f" % x for x in out))
PY
))
fi

# Go benchmarks for the reference producers (sarama's, franz-go's kgo) and the control-plane rows;
# each runs RUNS times.
GOBENCH="$WORK/gobench.txt"
touch "$GOBENCH"
# What of a Go benchmark's output is shown: its results, or why it failed.
SHOW='^(Benchmark|--- FAIL|FAIL|panic:|    [a-z_]+_test\.go:[0-9]+:)'
# gobench PKG BENCH BENCHTIME [BEFORE] runs the matching benchmarks RUNS times, in rounds, so that
# rows compared with each other are measured side by side rather than one after the other; the
# command BEFORE, if given, runs before each round.
gobench() {
  go test -c -o "$WORK/bench-$(basename "$1").test" "$1"
  for _ in $(seq "$RUNS"); do
    if [ -n "${4:-}" ]; then "$4"; fi
    (cd "$1" && "$WORK/bench-$(basename "$1").test" -test.run '^$' -test.bench "$2" -test.benchtime "$3" -test.timeout 60m) | tee -a "$GOBENCH" | grep -E "$SHOW" || true
  done
}
if want sarama; then
  # A rate: 2 M records measure it as well as the whole file would, and hold less broker memory;
  # each round gets a fresh broker, which then holds both producers' records.
  BENCH_BROKER=$BROKER BENCH_RECORDS=$((LINES < 2000000 ? LINES : 2000000)) gobench ./worker 'SaramaAsyncProducer|KgoProducer' 1x fresh_broker
fi
# These patterns also run the Secure* rows (https, Basic auth, Raft mTLS, gossip key), same run.
if want write; then gobench ./agent 'WriteREST|WriteRaft' $((LINES < 100000 ? 200 : 2000))x; fi
if want read; then gobench ./agent 'RESTRead' $((LINES < 100000 ? 2000 : 20000))x; fi
if want failover; then gobench ./agent 'LeaderFailover|CrashReassign' 1x; fi
if want scale; then
  SCALE_CONNECTORS=$SCALE go test ./agent -run '^$' -bench Scale -benchtime 1x -count 1 -timeout 60m | tee -a "$GOBENCH" | grep -E "$SHOW" || true
fi
# metric BENCH UNIT: the median of a Go benchmark's reported metric over its runs.
metric() {
  python3 - "$GOBENCH" "$1" "$2" <<'PY'
import re, statistics, sys
path, bench, unit = sys.argv[1:]
vals = []
for line in open(path):
    f = line.split()
    if f and re.fullmatch("Benchmark%s(-\\d+)?" % bench, f[0]):
        vals += [float(f[i - 1]) for i in range(3, len(f)) if f[i] == unit]
print(statistics.median(vals) if vals else "nan")
PY
}

fmt() { python3 -c "print(f'{float(\"$1\"):,.0f}')"; }
fmt1() { python3 -c "print(f'{float(\"$1\"):,.1f}')"; }
ratio() { python3 -c "print(f'{float(\"$1\")/float(\"$2\"):.2f}')"; }
if want data; then
  mSRC=$(median "${SRC[@]}"); mSRCJ=$(median "${SRCJ[@]}"); mSRCT=$(median "${SRCT[@]}"); mKP=$(median "${KCATP[@]}"); mSINK=$(median "${SINK[@]}"); mKC=$(median "${KCATC[@]}")
  mSRCOFF=$(median "${SRCOFF[@]}"); mSINKOFF=$(median "${SINKOFF[@]}")
  if [ -n "$BASE_REV" ]; then mSRCBASE=$(median "${SRCBASE[@]}"); mSINKBASE=$(median "${SINKBASE[@]}"); else mSRCBASE=nan mSINKBASE=nan; fi
  mJCLEAN=$(median "${JCLEAN[@]}"); mJDLQ=$(median "${JDLQ[@]}")
fi
mSARAMA=$(metric SaramaAsyncProducer records/s); mKGO=$(metric KgoProducer records/s)
wF50=$(metric WriteRESTFollower p50-ms); wF99=$(metric WriteRESTFollower p99-ms)
wL50=$(metric WriteRESTLeader p50-ms); wL99=$(metric WriteRESTLeader p99-ms)
wR50=$(metric WriteRaftApply p50-ms); wR99=$(metric WriteRaftApply p99-ms)
rS=$(metric RESTReadStatus req/s); rB=$(metric RESTReadBare req/s)
sF50=$(metric SecureWriteRESTFollower p50-ms); sF99=$(metric SecureWriteRESTFollower p99-ms); sR=$(metric SecureRESTReadStatus req/s)
fo=$(metric LeaderFailover ms-to-write); foFloor=$(metric LeaderFailover ms-election-timeout)
cr=$(metric CrashReassign ms-to-reassign); crFloor=$(metric CrashReassign ms-lease-floor)
scScrape=$(metric Scale ms-metrics-scrape); scLines=$(metric Scale metrics-lines/node)
scConv=$(metric Scale s-to-converge); scCreate=$(metric Scale s-to-create); scTask=$(metric Scale KiB/task); scRSS=$(metric Scale MiB-RSS/node)
GB="go test ./agent -run '^\$' -bench"
ONLY_FLAG=; if [ "$ONLY" != "$ALL" ]; then ONLY_FLAG=" --only $ONLY"; fi
TIMINGS=; if want failover; then TIMINGS="Raft election timeout $foFloor ms, "; fi
{
  echo "# Benchmarks"
  echo
  echo "Measured by \`scripts/bench.sh --lines $LINES --runs $RUNS --scale $SCALE${ONLY_FLAG}\` on $(nproc) cores, $(go version | cut -d' ' -f3), $(date -u +%F)."
  echo "Medians of $RUNS runs. The data-plane rows use a 3-node \`connectd dev\` cluster and the embedded broker;"
  echo "the control-plane rows use in-process 3-node clusters with the test timings (${TIMINGS}session.timeout.ms"
  echo "1500, gossip probe 100 ms). Everything runs on this one machine."
  echo
  echo "| Measure | connectd | Reference | Ratio | Reproduce |"
  echo "|---|---|---|---|---|"
  if want data; then echo "| File -> topic, $LINES lines of 100 B, records/s | $(fmt "$mSRC") (FileStreamSource) | $(fmt "$mKP") (\`kcat -P -l\`) | $(ratio "$mSRC" "$mKP") | \`scripts/bench.sh\` |"; fi
  if want data && want sarama; then echo "| File -> topic vs sarama's own producer, records/s | $(fmt "$mSRC") | $(fmt "$mSARAMA") (bare sarama AsyncProducer, idempotent, acks=all) | $(ratio "$mSRC" "$mSARAMA") | \`BENCH_BROKER=host:port go test ./worker -run '^\$' -bench SaramaAsyncProducer -benchtime 1x\` |"; fi
  if want data && want sarama; then echo "| File -> topic vs franz-go's kgo producer, records/s | $(fmt "$mSRC") | $(fmt "$mKGO") (bare kgo producer, idempotent, acks=all) | $(ratio "$mSRC" "$mKGO") | \`BENCH_BROKER=host:port go test ./worker -run '^\$' -bench KgoProducer -benchtime 1x\` |"; fi
  if want data; then echo "| File -> topic through 3 transforms (HoistField\$Value, InsertField\$Value static field, RegexRouter), JsonConverter, records/s | $(fmt "$mSRCT") | $(fmt "$mSRCJ") (same file and converter, no transforms) | $(ratio "$mSRCT" "$mSRCJ") | \`scripts/bench.sh\` |"; fi
  if want data; then echo "| Topic -> file, records/s | $(fmt "$mSINK") (FileStreamSink) | $(fmt "$mKC") (\`kcat -C -e\`) | $(ratio "$mSINK" "$mKC") | \`scripts/bench.sh\` |"; fi
  if want data; then echo "| Topic -> file, JsonConverter, 1% malformed records skipped to a DLQ (errors.tolerance=all), records/s | $(fmt "$mJDLQ") | $(fmt "$mJCLEAN") (same sink, clean topic) | $(ratio "$mJDLQ" "$mJCLEAN") | \`scripts/bench.sh\` |"; fi
  if want data; then echo "| File -> topic, clean path with error handling (metrics off), records/s | $(fmt "$mSRCOFF") | $(fmt "$mSRCBASE") (build $BASE_REV, before it) | $(ratio "$mSRCOFF" "$mSRCBASE") | \`scripts/bench.sh --baseline $BASE_REV\` |"; fi
  if want data; then echo "| Topic -> file, clean path with error handling (metrics off), records/s | $(fmt "$mSINKOFF") | $(fmt "$mSINKBASE") (build $BASE_REV, before it) | $(ratio "$mSINKOFF" "$mSINKBASE") | \`scripts/bench.sh --baseline $BASE_REV\` |"; fi
  if want write; then echo "| REST write to a follower, ms p50 / p99 | $(fmt1 "$wF50") / $(fmt1 "$wF99") | leader $(fmt1 "$wL50") / $(fmt1 "$wL99"); bare raft.Apply $(fmt1 "$wR50") / $(fmt1 "$wR99") | $(ratio "$wF50" "$wR50") (p50 vs raft.Apply) | \`$GB Write\` |"; fi
  if want create; then echo "| Create -> 10 tasks RUNNING, ms p50 / p99 | $(fmt "$(pct 50 "${CREATE[@]}")") / $(fmt "$(pct 99 "${CREATE[@]}")") | — | — | \`scripts/bench.sh\` |"; fi
  if want failover; then echo "| Crash -> reassigned (kill a node, delay 0, lease skew 500 ms), ms | $(fmt "$cr") | $(fmt "$crFloor") (lease + skew: the floor) | $(ratio "$cr" "$crFloor") | \`$GB CrashReassign\` |"; fi
  if want failover; then echo "| Leader failover (kill the leader), ms until a write succeeds | $(fmt "$fo") | $(fmt "$foFloor") (Raft election timeout: the floor) | $(ratio "$fo" "$foFloor") | \`$GB LeaderFailover\` |"; fi
  if want scale; then echo "| Scale: $SCALE connectors x 10 tasks on 3 nodes, created one by one over REST | converged $(fmt1 "$(python3 -c "print(float('$scConv')-float('$scCreate'))")") s after the last create ($(fmt1 "$scConv") s after the first); $(fmt1 "$scTask") KiB heap/task; $(fmt "$scRSS") MiB RSS/node | — | — | \`SCALE_CONNECTORS=$SCALE $GB Scale -benchtime 1x\` |"; fi
  if want read; then echo "| REST read: GET /connectors/{n}/status, req/s (metrics on) | $(fmt "$rS") | $(fmt "$rB") (bare net/http handler, same JSON) | $(ratio "$rS" "$rB") | \`$GB RESTRead\` |"; fi
  if want data; then echo "| File -> topic with metrics on, records/s | $(fmt "$mSRC") | $(fmt "$mSRCOFF") (\`metrics.enable=false\`) | $(ratio "$mSRC" "$mSRCOFF") | \`scripts/bench.sh\` |"; fi
  if want data; then echo "| Topic -> file with metrics on, records/s | $(fmt "$mSINK") | $(fmt "$mSINKOFF") (\`metrics.enable=false\`) | $(ratio "$mSINK" "$mSINKOFF") | \`scripts/bench.sh\` |"; fi
  if want scale; then echo "| GET /metrics at $SCALE connectors x 10 tasks, slowest node, ms | $(fmt1 "$scScrape") ($(fmt "$scLines") lines) | 200 (the target) | $(ratio "$scScrape" 200) | \`SCALE_CONNECTORS=$SCALE $GB Scale -benchtime 1x\` |"; fi
  if want write; then echo "| REST write to a follower with security on (https, Basic auth, Raft mTLS, gossip key), ms p50 / p99 | $(fmt1 "$sF50") / $(fmt1 "$sF99") | $(fmt1 "$wF50") / $(fmt1 "$wF99") (security off) | $(ratio "$wF50" "$sF50") (off/on p50) | \`$GB SecureWriteRESTFollower\` |"; fi
  if want read; then echo "| REST read with security on, req/s | $(fmt "$sR") | $(fmt "$rS") (security off) | $(ratio "$sR" "$rS") | \`$GB SecureRESTRead\` |"; fi
  echo
  if want data; then
    runs() { local out=() v; for v in "$@"; do out+=("$(fmt "$v")"); done; (IFS=/; echo "${out[*]}"); }
    echo "Each run, in order: file -> topic $(runs "${SRC[@]}") vs kcat -P $(runs "${KCATP[@]}");"
    echo "with JsonConverter $(runs "${SRCJ[@]}"), and through 3 transforms $(runs "${SRCT[@]}");"
    echo "topic -> file $(runs "${SINK[@]}") vs kcat -C $(runs "${KCATC[@]}") records/s."
    echo "With metrics.enable=false: file -> topic $(runs "${SRCOFF[@]}"), topic -> file $(runs "${SINKOFF[@]}") records/s."
    echo "Build $BASE_REV: file -> topic $(runs "${SRCBASE[@]}"), topic -> file $(runs "${SINKBASE[@]}") records/s."
    echo "JsonConverter sink: clean topic $(runs "${JCLEAN[@]}"), 1% malformed to a DLQ $(runs "${JDLQ[@]}") records/s."
  fi
} > "$OUT"
cat "$OUT"
