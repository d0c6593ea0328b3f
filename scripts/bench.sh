#!/usr/bin/env bash
# Measures connectd's data plane and control plane against references in the same run, on the
# same machine, and writes BENCHMARKS.md.
# Usage: scripts/bench.sh [--lines N] [--runs R] [--scale CONNECTORS] [--only PARTS] [--out FILE] [--baseline REF]
# The default input is the issue's 1 GiB file: 10,737,418 lines of 100 bytes.
# --only runs some parts and prints only their rows, comma-separated: data (file <-> topic, with
# transforms, a DLQ, metrics off and the baseline build), create, sarama, write, read, failover,
# scale (1,000 connectors x 10 tasks and the GET /metrics scrape on them), conduit (issue 17's
# external connector rows: the generator plugin -> topic and a PostgreSQL snapshot of a 100,000-row
# table -> topic, each through connectd and through Conduit v0.14.0 running the same plugin binaries
# of build/plugins/ into the same broker; and the generator plugin vs the in-process
# VerifiableSource at the same record size). By default all of them
# run and the table goes to BENCHMARKS.md; a run of some parts writes a file only when --out names one.
# REF is the build the clean data path is compared with (issue 15: within 3%); by default main
# just before the error handling (recover, tolerance, retries, DLQ) was merged. It needs the git
# history.
# The conduit part scales its record counts with --lines (at most 1,000,000 generated records and
# 100,000 rows), builds Conduit once into build/conduit/ (minutes), and skips its rows with a message
# when the plugins (scripts/plugins.sh), Conduit or PostgreSQL's server binaries are missing.
# BENCH_PORT_OFFSET=N moves every port the script listens on by N, to run beside another run.
# Needs kcat (apt-get install kcat), curl and python3.
set -euo pipefail
cd "$(dirname "$0")/.."
ALL=data,create,conduit,sarama,write,read,failover,scale
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
  case "$part" in data|create|conduit|sarama|write|read|failover|scale) ;; *) echo "bench: unknown part $part" >&2; exit 2 ;; esac
done
if want data || want sarama || want conduit; then
  command -v kcat >/dev/null || { echo "bench: kcat is required (apt-get install kcat)" >&2; exit 1; }
fi

WORK=$(mktemp -d)
if [ -z "$OUT" ]; then
  if [ "$ONLY" = "$ALL" ]; then OUT=BENCHMARKS.md; else OUT=$WORK/bench.md; fi
fi
# BENCH_PORT_OFFSET shifts every port the script listens on, so that two runs can share a machine.
OFF=${BENCH_PORT_OFFSET:-0}
BROKER=127.0.0.1:$((19092 + OFF))
REST=$((18083 + OFF))
PIDS=()
cleanup() {
  # Conduit first, with SIGINT: on SIGTERM it leaves its plugins running.
  if [ -n "${CONDUIT_PID:-}" ]; then stop_conduit "$CONDUIT_PID"; fi
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true
  if [ -n "${PGDIR:-}" ]; then pg_stop; fi
  rm -rf "$WORK"
}
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
# now: the wall clock, from bash itself: a python3 start-up per timestamp can take a second on a
# busy machine, inside the interval it measures.
now() { local t=$EPOCHREALTIME; echo "${t/,/.}"; }
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
  # Lines that JsonConverter turns into records of the size the three-transform chain makes of a
  # 100-byte line (126 B): the chain's own cost, apart from moving a quarter more bytes.
  python3 - "$WORK/in-126.txt" "$LINES" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    for i in range(int(sys.argv[2])):
        f.write(("%010d " % i).ljust(124, "x") + "\n")
PY
  SIZE126=$(stat -c %s "$WORK/in-126.txt")
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

declare -a SRC KCATP SINK KCATC CREATE SRCJ SRCT SRC126 JCLEAN JDLQ SRCOFF SINKOFF SRCBASE SINKBASE
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
# json_source NAME FILE SIZE EXTRA: a FileStreamSource with JsonConverter values until its
# committed position covers FILE (SIZE bytes); prints records/s. The broker is the caller's: in a
# command substitution, fresh_broker's restart would not be seen by the rest of the script.
json_source() {
  local t0 t1
  t0=$(now)
  put "$URL/connectors/$1/config" -d "{\"connector.class\":\"FileStreamSource\",\"file\":\"$2\",\"topic\":\"$1\",$JSONCONV$4}" >/dev/null
  wait_position "$1" "$3"
  t1=$(now); python3 -c "print($LINES/($t1-$t0))"
  curl -sf -X DELETE "$URL/connectors/$1" >/dev/null
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

  # The same file with JsonConverter, without and with a three-transform chain, and lines that
  # make records of the chain's size.
  fresh_broker; SRCJ+=($(json_source "srcj-$r" "$WORK/in.txt" "$SIZE" ""))
  fresh_broker; SRCT+=($(json_source "srct-$r" "$WORK/in.txt" "$SIZE" ",$CHAIN"))
  fresh_broker; SRC126+=($(json_source "src126-$r" "$WORK/in-126.txt" "$SIZE126" ""))
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

# Conduit rows (issue 17): the standalone plugins of build/plugins/ (scripts/plugins.sh), run by
# connectd and by Conduit itself into the same embedded broker. Each row ends when the topic's high
# watermark covers its records, read the same way (kcat -Q) for both sides. Their clock is bash's
# EPOCHREALTIME: a python start-up per timestamp, as now() costs, can take a second on a busy machine.
CONDUIT_VERSION=v0.14.0
PLUGINS=$PWD/build/plugins
# The generator plugin (SDK v0.13) refuses any sdk.batch.delay but 0, so a batch waits until it
# is full: its record count is a multiple of the batch size. Unbatched, Conduit's v2 pipeline moves
# one record per round trip (about 100 records/s with the destination's 10 ms delay), so both sides
# batch it; but that SDK's batching stalls (a few hundred records, then none, the plugin spinning)
# or panics ("send on closed channel", source_middleware.go:777) in some runs, under connectd and
# under Conduit alike: a stalled run is left out (wait_records) and named in the output.
GEN_N=$(((LINES < 1000000 ? LINES : 1000000) / 10000 * 10000)); GEN_N=$((GEN_N > 0 ? GEN_N : 10000))
PG_N=$((LINES < 100000 ? LINES : 100000))
CONDUIT= CONDUIT_SKIP= PG_SKIP= PLUGIN_SKIP=
declare -a VERIF GENC GENK PGC PGK
# conduit_binary: Conduit, built once from its module into build/conduit/ and kept there (like
# the plugins), since go install cannot fetch it here. A fresh clone (CI) pays the build: about
# 3 minutes on 2 quiet cores (over 20 when 4 builds share them); bounded to 10, after which the
# Conduit rows are skipped.
conduit_binary() {
  local bin=$PWD/build/conduit/conduit-$CONDUIT_VERSION dir
  if [ ! -x "$bin" ]; then
    echo "bench: building Conduit $CONDUIT_VERSION into $bin (minutes, once)" >&2
    mkdir -p "$(dirname "$bin")"
    dir=$(GONOSUMDB=github.com/conduitio,buf.build go mod download -json "github.com/conduitio/conduit@$CONDUIT_VERSION" |
      python3 -c 'import json,sys; print(json.load(sys.stdin).get("Dir", ""))') || return 1
    # The module cache is read-only, and -mod=mod may write go.sum: build from a copy.
    rm -rf "$WORK/conduit-src" && cp -r "$dir" "$WORK/conduit-src" && chmod -R u+w "$WORK/conduit-src" || return 1
    (cd "$WORK/conduit-src" && GONOSUMDB=github.com/conduitio,buf.build GOFLAGS=-mod=mod CGO_ENABLED=0 \
      timeout 600 go build -o "$bin.tmp" ./cmd/conduit) >"$(dirname "$bin")/build.log" 2>&1 || return 1
    mv "$bin.tmp" "$bin"; rm -rf "$WORK/conduit-src"
  fi
  CONDUIT=$bin
}
# topic_end TOPIC: the topic's high watermark (the embedded broker makes one partition), 0 before
# the topic exists.
topic_end() { kcat -b $BROKER -Q -t "$1:0:-1" 2>/dev/null | awk '{print $NF}'; }
# wait_records TOPIC N: until TOPIC holds N records; polled every 50 ms. It gives up (returns 1)
# when the topic has not grown for 30 s: the measurement is then left out, the other rows still run.
wait_records() {
  local end last=-1 since=$SECONDS
  while end=$(topic_end "$1"); [ "${end:-0}" -lt "$2" ]; do
    if [ "${end:-0}" != "$last" ]; then last=${end:-0} since=$SECONDS; fi
    if [ $((SECONDS - since)) -ge 30 ]; then echo "bench: topic $1 stuck at $last of $2 records for 30 s; run left out" >&2; return 1; fi
    sleep 0.05
  done
}
# put_config NAME CONFIG: creates or updates a connector, retried while the cluster answers 409
# (a rebalance after the previous row's delete).
put_config() {
  for _ in $(seq 100); do put "$URL/connectors/$1/config" -d "$2" >/dev/null 2>&1 && return; sleep 0.1; done
  echo "bench: could not create connector $1" >&2; exit 1
}
# cmedian VALUE...: the median, nan when every run was left out.
cmedian() { if [ $# -eq 0 ]; then echo nan; else median "$@"; fi; }
# connectd_rate ARRAY NAME TOPIC N CONFIG: creates connector NAME and appends to ARRAY its
# records/s until TOPIC holds N records, then deletes it.
connectd_rate() {
  local t0 t1
  t0=$EPOCHREALTIME
  put_config "$2" "$5"
  if wait_records "$3" "$4"; then t1=$EPOCHREALTIME; eval "$1+=($(python3 -c "print($4/($t1-$t0))"))"; fi
  curl -sf -X DELETE "$URL/connectors/$2" >/dev/null
}
# conduit_rate ARRAY TOPIC N: runs Conduit with the pipeline YAML on stdin (pipeline "bench",
# stopped), starts the pipeline over Conduit's API and appends to ARRAY its records/s until TOPIC
# holds N records; Conduit's own start-up is not counted, as connectd's is not. Conduit gets its
# best settings: pipeline architecture v2 without its byte metrics, an in-memory store.
conduit_rate() {
  local dir=$WORK/conduit pid t0 t1
  rm -rf "$dir" && mkdir -p "$dir/pipelines" && cat >"$dir/pipelines/bench.yaml"
  (cd "$dir" && exec "$CONDUIT" run --db.type inmemory --api.http.address 127.0.0.1:$((18180 + OFF)) --api.grpc.address 127.0.0.1:$((18184 + OFF)) \
    --connectors.path "$PLUGINS" --processors.path "$dir/processors" --pipelines.path "$dir/pipelines" \
    --preview.pipeline-arch-v2 --preview.pipeline-arch-v2-disable-metrics --log.level warn) >>"$WORK/conduit.log" 2>&1 &
  pid=$!; PIDS+=($pid); CONDUIT_PID=$pid
  for _ in $(seq 300); do curl -sf http://127.0.0.1:$((18180 + OFF))/v1/pipelines/bench >/dev/null && break; sleep 0.1; done
  t0=$EPOCHREALTIME
  curl -sf -X POST http://127.0.0.1:$((18180 + OFF))/v1/pipelines/bench/start >/dev/null || { echo "bench: Conduit did not start its pipeline; see $WORK/conduit.log" >&2; exit 1; }
  if wait_records "$2" "$3"; then t1=$EPOCHREALTIME; eval "$1+=($(python3 -c "print($3/($t1-$t0))"))"; fi
  stop_conduit "$pid"; CONDUIT_PID=
}
# stop_conduit PID: SIGINT, since on SIGTERM Conduit leaves its plugins running; killed after 20 s,
# as it then waits for good on a pipeline whose plugin crashed.
stop_conduit() {
  kill -INT "$1" 2>/dev/null || return 0
  for _ in $(seq 200); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$1" 2>/dev/null; then
    echo "bench: Conduit did not stop within 20 s of SIGINT; killed" >&2
    pkill -KILL -P "$1" 2>/dev/null || true; kill -KILL "$1" 2>/dev/null || true
  fi
  wait "$1" 2>/dev/null || true
}
# conduit_source PLUGIN: a Conduit pipeline file's head, up to its source's settings, for the
# standalone plugin PLUGIN.
conduit_source() {
  cat <<YAML
version: "2.2"
pipelines:
  - id: bench
    status: stopped
    connectors:
      - id: src
        type: source
        plugin: standalone:$1
YAML
}
# The Kafka destination's settings on the Conduit side: the same broker, acks and bytes as connectd
# (the payload only, uncompressed), and the same batching as its source.
CONDUIT_BATCH='sdk.batch.size: "10000"
          sdk.batch.delay: "10ms"'
conduit_kafka() {
  cat <<YAML
      - id: dst
        type: destination
        plugin: builtin:kafka
        settings:
          servers: $BROKER
          topic: $1
          acks: all
          compression: none
          $CONDUIT_BATCH
          sdk.schema.extract.key.enabled: "false"
          sdk.schema.extract.payload.enabled: "false"
          sdk.record.format: template
          sdk.record.format.options: '{{ if typeIs "opencdc.RawData" .Payload.After }}{{ printf "%s" .Payload.After }}{{ else }}{{ toJson .Payload.After }}{{ end }}'
YAML
}
PGDIR= PGBIN= PGPORT=15432 AS_PG=()
# pg_start: a PostgreSQL server in a temporary directory (wal_level=logical), as the postgres user
# when run as root, like the integration tests'; the source table holds PG_N rows.
pg_start() {
  PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
  if [ ! -x "$PGBIN/postgres" ]; then PGBIN=$(dirname "$(command -v postgres 2>/dev/null || echo /none/postgres)"); fi
  if [ ! -x "$PGBIN/postgres" ]; then PG_SKIP="no PostgreSQL server binaries (apt-get install postgresql)"; return; fi
  PGDIR=$(mktemp -d) && chmod 755 "$PGDIR" && mkdir -m 700 "$PGDIR/data"
  if [ "$(id -u)" = 0 ]; then chown postgres: "$PGDIR/data"; AS_PG=(runuser -u postgres --); fi
  "${AS_PG[@]}" "$PGBIN/initdb" -D "$PGDIR/data" -U postgres --auth=trust --no-sync >>"$WORK/pg.log" 2>&1
  "${AS_PG[@]}" "$PGBIN/pg_ctl" -D "$PGDIR/data" -l "$PGDIR/data/server.log" -w -o "-p $PGPORT -c listen_addresses=127.0.0.1 \
    -c unix_socket_directories=$PGDIR/data -c wal_level=logical -c max_replication_slots=20 -c max_wal_senders=20 \
    -c fsync=off -c synchronous_commit=off" start >>"$WORK/pg.log" 2>&1
  psql_do "CREATE TABLE src (id int PRIMARY KEY, name text NOT NULL, n int NOT NULL);
    INSERT INTO src SELECT g, 'name-' || g, 0 FROM generate_series(1, $PG_N) g"
}
pg_stop() { "${AS_PG[@]}" "$PGBIN/pg_ctl" -D "$PGDIR/data" -m immediate stop >/dev/null 2>&1 || true; rm -rf "$PGDIR"; }
psql_do() { "$PGBIN/psql" -h 127.0.0.1 -p $PGPORT -U postgres -d postgres -X -q -v ON_ERROR_STOP=1 -c "$1" >>"$WORK/pg.log"; }
PGURL=postgres://postgres@127.0.0.1:$PGPORT/postgres?sslmode=disable
JSONKV='"key.converter":"org.apache.kafka.connect.json.JsonConverter","key.converter.schemas.enable":"false","value.converter":"org.apache.kafka.connect.json.JsonConverter","value.converter.schemas.enable":"false"'
BYTES='"key.converter":"org.apache.kafka.connect.converters.ByteArrayConverter","value.converter":"org.apache.kafka.connect.converters.ByteArrayConverter"'
if want conduit; then
  for p in conduit-connector-generator conduit-connector-postgres; do
    [ -x "$PLUGINS/$p" ] || PLUGIN_SKIP="$p is not in build/plugins (run scripts/plugins.sh)"
  done
  if [ -z "$PLUGIN_SKIP" ]; then
    conduit_binary || CONDUIT_SKIP="Conduit $CONDUIT_VERSION could not be built (see build/conduit/build.log)"
    pg_start || PG_SKIP="the PostgreSQL server did not start (initdb or pg_ctl failed)"
    start_dev "$WORK/connectd" --set plugin.path="$PLUGINS"
  else
    CONDUIT_SKIP=$PLUGIN_SKIP PG_SKIP=$PLUGIN_SKIP
  fi
fi
for r in $(seq "$RUNS"); do
  want conduit && [ -z "$PLUGIN_SKIP" ] || break
  # A fresh broker for each measurement: it keeps every record in memory.
  fresh_broker
  # In-process VerifiableSource; its last record's value is then the generator's payload, so
  # that the plugin path carries records of the same size.
  connectd_rate VERIF "verif-$r" "verif-$r" "$GEN_N" "{\"connector.class\":\"VerifiableSource\",\"topic\":\"verif-$r\",$CONV}"
  if [ "$r" = 1 ]; then kcat -b $BROKER -C -t verif-1 -o -1 -c 1 -e -q -D '' >"$WORK/payload"; fi
  fresh_broker
  # The generator plugin, the file format: every record's payload is that file, read once.
  connectd_rate GENC "gen-$r" "gen-$r" "$GEN_N" "{\"connector.class\":\"GeneratorSource\",\"topic\":\"gen-$r\",\"recordCount\":\"$GEN_N\",\"format.type\":\"file\",\"format.options.path\":\"$WORK/payload\",\"sdk.batch.size\":\"10000\",$BYTES}"
  if [ -z "$CONDUIT_SKIP" ]; then
    fresh_broker
    conduit_rate GENK "cgen-$r" "$GEN_N" <<YAML
$(conduit_source generator)
        settings:
          recordCount: "$GEN_N"
          format.type: file
          format.options.path: $WORK/payload
          sdk.batch.size: "10000"
          sdk.schema.extract.key.enabled: "false"
          sdk.schema.extract.payload.enabled: "false"
$(conduit_kafka "cgen-$r")
YAML
  fi
  if [ -z "$CONDUIT_SKIP$PG_SKIP" ]; then
    fresh_broker
    # A snapshot each, on a replication slot and publication of its own.
    connectd_rate PGC "pg-$r" "pg-$r" "$PG_N" "{\"connector.class\":\"PostgresSource\",\"url\":\"$PGURL\",\"tables\":\"src\",\"topic\":\"pg-$r\",\"logrepl.slotName\":\"cd_$r\",\"logrepl.publicationName\":\"cd_$r\",\"logrepl.withAvroSchema\":\"false\",$JSONKV}"
    fresh_broker
    conduit_rate PGK "cpg-$r" "$PG_N" <<YAML
$(conduit_source postgres)
        settings:
          url: "$PGURL"
          tables: src
          logrepl.slotName: ck_$r
          logrepl.publicationName: ck_$r
          logrepl.withAvroSchema: "false"
          $CONDUIT_BATCH
          sdk.schema.extract.key.enabled: "false"
          sdk.schema.extract.payload.enabled: "false"
$(conduit_kafka "cpg-$r")
YAML
    psql_do "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE NOT active" || true
  fi
done

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
  mSRC=$(median "${SRC[@]}"); mSRCJ=$(median "${SRCJ[@]}"); mSRCT=$(median "${SRCT[@]}"); mSRC126=$(median "${SRC126[@]}"); mKP=$(median "${KCATP[@]}"); mSINK=$(median "${SINK[@]}"); mKC=$(median "${KCATC[@]}")
  mSRCOFF=$(median "${SRCOFF[@]}"); mSINKOFF=$(median "${SINKOFF[@]}")
  if [ -n "$BASE_REV" ]; then mSRCBASE=$(median "${SRCBASE[@]}"); mSINKBASE=$(median "${SINKBASE[@]}"); else mSRCBASE=nan mSINKBASE=nan; fi
  mJCLEAN=$(median "${JCLEAN[@]}"); mJDLQ=$(median "${JDLQ[@]}")
fi
if want conduit && [ -z "$PLUGIN_SKIP" ]; then
  mVERIF=$(cmedian "${VERIF[@]}"); mGENC=$(cmedian "${GENC[@]}"); PAYLOAD_B=$(stat -c %s "$WORK/payload")
  if [ -z "$CONDUIT_SKIP" ]; then mGENK=$(cmedian "${GENK[@]}"); fi
  if [ -z "$CONDUIT_SKIP$PG_SKIP" ]; then mPGC=$(cmedian "${PGC[@]}"); mPGK=$(cmedian "${PGK[@]}"); fi
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
  if want data; then echo "| File -> topic through the same 3 transforms vs records of the same size (126 B) without them, records/s | $(fmt "$mSRCT") | $(fmt "$mSRC126") (lines JsonConverter turns into 126 B records, no transforms) | $(ratio "$mSRCT" "$mSRC126") | \`scripts/bench.sh\` |"; fi
  if want data; then echo "| Topic -> file, records/s | $(fmt "$mSINK") (FileStreamSink) | $(fmt "$mKC") (\`kcat -C -e\`) | $(ratio "$mSINK" "$mKC") | \`scripts/bench.sh\` |"; fi
  if want data; then echo "| Topic -> file, JsonConverter, 1% malformed records skipped to a DLQ (errors.tolerance=all), records/s | $(fmt "$mJDLQ") | $(fmt "$mJCLEAN") (same sink, clean topic) | $(ratio "$mJDLQ" "$mJCLEAN") | \`scripts/bench.sh\` |"; fi
  if want data; then echo "| File -> topic, clean path with error handling (metrics off), records/s | $(fmt "$mSRCOFF") | $(fmt "$mSRCBASE") (build $BASE_REV, before it) | $(ratio "$mSRCOFF" "$mSRCBASE") | \`scripts/bench.sh --baseline $BASE_REV\` |"; fi
  if want data; then echo "| Topic -> file, clean path with error handling (metrics off), records/s | $(fmt "$mSINKOFF") | $(fmt "$mSINKBASE") (build $BASE_REV, before it) | $(ratio "$mSINKOFF" "$mSINKBASE") | \`scripts/bench.sh --baseline $BASE_REV\` |"; fi
  if want write; then echo "| REST write to a follower, ms p50 / p99 | $(fmt1 "$wF50") / $(fmt1 "$wF99") | leader $(fmt1 "$wL50") / $(fmt1 "$wL99"); bare raft.Apply $(fmt1 "$wR50") / $(fmt1 "$wR99") | $(ratio "$wF50" "$wR50") (p50 vs raft.Apply) | \`$GB Write\` |"; fi
  if want create; then echo "| Create -> 10 tasks RUNNING, ms p50 / p99 | $(fmt "$(pct 50 "${CREATE[@]}")") / $(fmt "$(pct 99 "${CREATE[@]}")") | — | — | \`scripts/bench.sh\` |"; fi
  if want conduit && [ -z "$CONDUIT_SKIP" ]; then echo "| Generator plugin -> topic, $GEN_N records of $PAYLOAD_B B (sdk.batch.size 10000 on both), records/s | $(fmt "$mGENC") (GeneratorSource: the standalone plugin) | $(fmt "$mGENK") (Conduit $CONDUIT_VERSION: the same plugin, its Kafka destination) | $(ratio "$mGENC" "$mGENK") | \`scripts/bench.sh --only conduit\` |"; fi
  if want conduit && [ -z "$CONDUIT_SKIP$PG_SKIP" ]; then echo "| PostgreSQL snapshot of a $PG_N-row table -> topic (sdk.batch.size 10000, delay 10 ms on both), rows/s | $(fmt "$mPGC") (PostgresSource: the standalone plugin) | $(fmt "$mPGK") (Conduit $CONDUIT_VERSION: the same plugin, its Kafka destination) | $(ratio "$mPGC" "$mPGK") | \`scripts/bench.sh --only conduit\` |"; fi
  if want conduit && [ -z "$PLUGIN_SKIP" ]; then echo "| Plugin source -> topic vs in-process, $PAYLOAD_B B records (sdk.batch.size 10000), records/s | $(fmt "$mGENC") (generator plugin, own process) | $(fmt "$mVERIF") (VerifiableSource, in-process) | $(ratio "$mGENC" "$mVERIF") | \`scripts/bench.sh --only conduit\` |"; fi
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
  runs() { local out=() v; for v in "$@"; do out+=("$(fmt "$v")"); done; (IFS=/; echo "${out[*]}"); }
  # leftout COUNT...: says how many of the RUNS measurements of each series were left out (stalled).
  leftout() { local n miss=0; for n in "$@"; do miss=$((miss + RUNS - n)); done; if [ $miss -gt 0 ]; then echo " ($miss measurement(s) left out: the topic stopped growing)"; fi; }
  if want conduit; then
    if [ -n "$PLUGIN_SKIP" ]; then echo "Plugin rows skipped: $PLUGIN_SKIP."
    else
      echo "Plugin rows, each run in order: VerifiableSource $(runs "${VERIF[@]}"), generator plugin $(runs "${GENC[@]}") records/s$(leftout ${#VERIF[@]} ${#GENC[@]})."
      if [ -n "$CONDUIT_SKIP" ]; then echo "Conduit rows skipped: $CONDUIT_SKIP."; else echo "Conduit $CONDUIT_VERSION, generator: $(runs "${GENK[@]}") records/s$(leftout ${#GENK[@]})."; fi
      if [ -n "$CONDUIT_SKIP$PG_SKIP" ]; then echo "PostgreSQL row skipped: ${PG_SKIP:-$CONDUIT_SKIP}."; else echo "PostgreSQL snapshot: connectd $(runs "${PGC[@]}"), Conduit $(runs "${PGK[@]}") rows/s$(leftout ${#PGC[@]} ${#PGK[@]})."; fi
    fi
  fi
  if want data; then
    echo "Each run, in order: file -> topic $(runs "${SRC[@]}") vs kcat -P $(runs "${KCATP[@]}");"
    echo "with JsonConverter $(runs "${SRCJ[@]}"), through 3 transforms $(runs "${SRCT[@]}"), 126 B records without transforms $(runs "${SRC126[@]}");"
    echo "topic -> file $(runs "${SINK[@]}") vs kcat -C $(runs "${KCATC[@]}") records/s."
    echo "With metrics.enable=false: file -> topic $(runs "${SRCOFF[@]}"), topic -> file $(runs "${SINKOFF[@]}") records/s."
    echo "Build $BASE_REV: file -> topic $(runs "${SRCBASE[@]}"), topic -> file $(runs "${SINKBASE[@]}") records/s."
    echo "JsonConverter sink: clean topic $(runs "${JCLEAN[@]}"), 1% malformed to a DLQ $(runs "${JDLQ[@]}") records/s."
  fi
} > "$OUT"
cat "$OUT"
