#!/usr/bin/env bash
# Fault-injection run against a 3-node connectd cluster started by scripts/cluster.sh.
#
# Usage: scripts/chaos.sh [--target docker|local|vagrant] [--seed N] [--faults N] [--duration S]
#                         [--throughput R] [--keep]
#   --faults N     faults to inject (at least 7: every kind below runs once, in a seeded order, then
#                  N-7 more drawn from the same kinds); default 12
#   --duration S   no new fault starts after S seconds of faults (default 1080); kinds never run count
#                  as a violation
#   --throughput R records per second per source task (default 100)
#   --keep         leave the cluster running at the end
# Fault kinds: kill_leader and kill_follower (kill -9, restart after a hold), freeze (SIGSTOP /
# docker pause of any node for longer than the lease), cut_follower and cut_leader (the node, alone
# in a minority, is cut off the network, then healed), rolling_restart (SIGTERM, start, /health 200,
# next node), full_restart (all three stopped, then started).
#
# The run creates a VerifiableSource (tasks.max=3), a VerifiableSink (tasks.max=1, one writer for the
# file) on the same topic writing to $SHARED_DIR, and a connector created PAUSED. A background
# monitor reads /connectors?expand=status and writes a cluster-scoped logger level (a Raft write) on
# every node not under a fault. After each fault it checks that every request on the majority side
# answered within 2 s (a 409 must be resolved by retrying), and that once healed every connector and
# task is RUNNING (the paused one PAUSED) on every node's view, balanced (task counts per worker_id
# differ by at most 1), within a bound derived from session.timeout.ms, the lease skew and
# scheduled.rebalance.max.delay.ms. At the end the source is stopped, the sink drained and its file
# audited: no gap in any source task's seqnos, duplicates counted, no two nodes producing one task's
# records at overlapping times, no task reported RUNNING on two workers, the PAUSED connector never
# RUNNING. Exit status 1 on any violation. Outputs go to $CHAOS_DIR/<run> (default /tmp/connectd-chaos).
# Needs curl and python3; the local target needs root and iptables; docker needs Docker with compose.
set -euo pipefail
cd "$(dirname "$0")/.."
TARGET=docker SEED=1 FAULTS=12 DURATION=1080 THROUGHPUT=100 KEEP=0
while [ $# -gt 0 ]; do
  case "$1" in
    --target) TARGET=$2; shift 2 ;;
    --seed) SEED=$2; shift 2 ;;
    --faults) FAULTS=$2; shift 2 ;;
    --duration) DURATION=$2; shift 2 ;;
    --throughput) THROUGHPUT=$2; shift 2 ;;
    --keep) KEEP=1; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "chaos: unknown flag $1" >&2; exit 2 ;;
  esac
done
case "$TARGET" in docker|local|vagrant) ;; *) echo "chaos: unknown target $TARGET" >&2; exit 2 ;; esac
if [ "$FAULTS" -lt 7 ]; then echo "chaos: --faults $FAULTS is raised to 7, one of each kind" >&2; FAULTS=7; fi

# Tight tunings, read by scripts/cluster.sh (properties, compose environment, Vagrantfile).
export SESSION_TIMEOUT_MS=${SESSION_TIMEOUT_MS:-3000}
export REBALANCE_DELAY_MS=${REBALANCE_DELAY_MS:-3000}
export SHARED_DIR=${SHARED_DIR:-/tmp/connectd-shared}
# SECURE=1 runs everything with https, Basic auth, Raft mTLS and gossip encryption on.
. scripts/secure.sh
LEASE_SKEW_MS=2000  # session.lease.skew.ms (its default)
ELECTION_MS=1000    # raft.election.timeout.ms 500 plus its randomisation
SLACK_S=${SLACK_S:-10}
# A departed worker's work is kept for its lease (+ skew) and then held for the rebalance delay.
BOUND_S=$(( (SESSION_TIMEOUT_MS + LEASE_SKEW_MS + REBALANCE_DELAY_MS + ELECTION_MS) / 1000 + SLACK_S ))
LEASE_S=$(( (SESSION_TIMEOUT_MS + LEASE_SKEW_MS) / 1000 ))
DELAY_S=$(( REBALANCE_DELAY_MS / 1000 ))
[ "$TARGET" = vagrant ] && export SKEW_MS=${SKEW_MS:-250}  # VM clocks differ a little

RUN=chaos-$SEED-$(date +%Y%m%d-%H%M%S)
WORK=${CHAOS_DIR:-/tmp/connectd-chaos}/$RUN
mkdir -p "$WORK" "$SHARED_DIR"
chmod 1777 "$SHARED_DIR" 2>/dev/null || true
SINK=$SHARED_DIR/$RUN.jsonl
case "$TARGET" in local) SINK_NODE=$SINK ;; *) SINK_NODE=/shared/$RUN.jsonl ;; esac
: >"$WORK/down"
: >"$WORK/events.jsonl"

C() { scripts/cluster.sh --target "$TARGET" "$@"; }
PY() { python3 scripts/chaos.py "$@"; }
now() { date +%s.%3N; }
log() { echo "[$(date +%T)] $*"; }
ev() { # ev I KIND EVENT [json fields]
  printf '{"t":%s,"i":%s,"fault":"%s","event":"%s"%s}\n' "$(now)" "$1" "$2" "$3" "${4:+,$4}" >>"$WORK/events.jsonl"
}
sink_pos() { stat -c %s "$SINK" 2>/dev/null || echo 0; }
mark_down() { { cat "$WORK/down"; printf '%s\n' "$@"; } | sort -u >"$WORK/down.tmp"; mv "$WORK/down.tmp" "$WORK/down"; }
mark_up() { local n; for n in "$@"; do grep -vxF "$n" "$WORK/down" >"$WORK/down.tmp" || true; mv "$WORK/down.tmp" "$WORK/down"; done; }
url() { awk -v n="$1" '$1 == n { print $2 }' "$WORK/nodes.txt"; }
up_nodes() { awk '{ print $1 }' "$WORK/nodes.txt" | grep -vxF -f "$WORK/down" || true; }
fdiv() { python3 -c "print('%.1f' % ($1))"; }

# write METHOD PATH [BODY]: a REST write on the first healthy node, retrying 409 for up to 30 s.
write() {
  local deadline=$((SECONDS + 30)) code n
  while :; do
    for n in $(up_nodes); do
      code=$(curl -s -o "$WORK/last-write.json" -w '%{http_code}' -m 10 -X "$1" -H 'Content-Type: application/json' \
        "$(url "$n")$2" ${3:+-d "$3"}) || code=000
      case "$code" in 2??) return 0 ;; 409|000|5??) ;; *) echo "chaos: $1 $2 -> $code $(cat "$WORK/last-write.json")" >&2; return 1 ;; esac
    done
    [ $SECONDS -lt $deadline ] || { echo "chaos: $1 $2 kept failing ($code)" >&2; return 1; }
    sleep 0.5
  done
}

wait_health() { # wait_health NODE...: /health 200 within 60 s
  local n deadline=$((SECONDS + 60))
  for n in "$@"; do
    until [ "$(C health "$n")" = 200 ]; do
      [ $SECONDS -lt $deadline ] || return 1
      sleep 0.2
    done
  done
}

# leader: the one node that is not faulted and whose Raft log says it leads.
leader() {
  local i ls
  for i in $(seq 80); do
    ls=$(C leader | grep -vxF -f "$WORK/down" || true)
    if [ "$(wc -w <<<"$ls")" = 1 ]; then echo "$ls"; return 0; fi
    sleep 0.25
  done
  echo "chaos: cannot tell the leader (candidates: ${ls:-none})" >&2
  return 1
}
# pick FRACTION NODE...: one of the nodes, chosen by a fraction in [0,1) from the plan.
pick() { local f=$1; shift; local a=("$@"); echo "${a[$(python3 -c "print(int($f * ${#a[@]}))")]}"; }

MONITOR=
cleanup() {
  local rc=$?
  set +e
  touch "$WORK/monitor.stop"
  [ -n "$MONITOR" ] && { kill "$MONITOR" 2>/dev/null; wait "$MONITOR" 2>/dev/null; }
  C heal-all >/dev/null 2>&1
  mkdir -p "$WORK/logs"
  for n in node1 node2 node3; do C nodelog "$n" >"$WORK/logs/$n.log" 2>&1; done
  if [ "$KEEP" = 1 ]; then log "cluster left running (scripts/cluster.sh --target $TARGET down)"; else C down >/dev/null 2>&1; fi
  log "outputs in $WORK"
  exit $rc
}
trap cleanup EXIT
trap "exit 130" INT TERM

T0=$SECONDS
log "run $RUN: target $TARGET, seed $SEED, $FAULTS faults, session.timeout.ms=$SESSION_TIMEOUT_MS," \
  "scheduled.rebalance.max.delay.ms=$REBALANCE_DELAY_MS, recovery bound ${BOUND_S}s"
C down --purge >/dev/null 2>&1 || true
C up
secure_env # the credentials C up made, for this script's curl and chaos.py
C nodes >"$WORK/nodes.txt"

# Connectors: the sink file is created world-writable, as local agents run under different uids.
: >"$SINK"; chmod 666 "$SINK"
CONV='"key.converter":"org.apache.kafka.connect.storage.StringConverter","value.converter":"org.apache.kafka.connect.storage.StringConverter"'
write POST /connectors "{\"name\":\"chaos-source\",\"config\":{\"connector.class\":\"VerifiableSource\",\"topic\":\"$RUN\",\"tasks.max\":\"3\",\"throughput\":\"$THROUGHPUT\",$CONV}}"
write POST /connectors "{\"name\":\"chaos-sink\",\"config\":{\"connector.class\":\"VerifiableSink\",\"topics\":\"$RUN\",\"tasks.max\":\"1\",\"file\":\"$SINK_NODE\",$CONV}}"
write POST /connectors "{\"name\":\"chaos-paused\",\"initial_state\":\"PAUSED\",\"config\":{\"connector.class\":\"VerifiableSource\",\"topic\":\"$RUN-paused\",\"tasks.max\":\"2\",$CONV}}"
cat >"$WORK/expect.json" <<EOF
{"source": "chaos-source", "paused": "chaos-paused", "connectors": {
  "chaos-source": {"state": "RUNNING", "tasks": 3, "task_state": "RUNNING"},
  "chaos-sink": {"state": "RUNNING", "tasks": 1, "task_state": "RUNNING"},
  "chaos-paused": {"state": "PAUSED", "tasks": 2, "task_state": "PAUSED"}}}
EOF
out=$(PY wait-recovered "$WORK" 60) || { echo "chaos: connectors never all ran: $out" >&2; exit 1; }
log "connectors running after ${out}s"

PY monitor "$WORK" & MONITOR=$!
sleep 3

PY plan "$SEED" "$FAULTS" >"$WORK/plan.txt"
TF=$SECONDS
i=0
while read -r -u 3 kind frac pickf order; do
  i=$((i + 1))
  if [ $((SECONDS - TF)) -ge "$DURATION" ]; then
    log "duration of ${DURATION}s used up; skipping the remaining faults"
    break
  fi
  hold=""
  node=""
  case "$kind" in
    kill_leader|kill_follower)
      L=$(leader)
      if [ "$kind" = kill_leader ]; then node=$L; else node=$(pick "$pickf" $(up_nodes | grep -vxF "$L")); fi
      hold=$(fdiv "1 + $frac * ($LEASE_S + $DELAY_S + 1)")
      log "[$i/$FAULTS] $kind: kill -9 $node, restart after ${hold}s"
      mark_down "$node"; ev $i $kind inject "\"node\":\"$node\",\"hold\":$hold,\"sink_pos\":$(sink_pos)"
      C kill "$node"
      sleep "$hold"
      C start "$node"
      ;;
    freeze)
      node=$(pick "$pickf" $(up_nodes))
      hold=$(fdiv "$LEASE_S + 1 + $frac * ($DELAY_S + 2)")
      log "[$i/$FAULTS] freeze: $node frozen for ${hold}s (lease ${SESSION_TIMEOUT_MS}ms)"
      mark_down "$node"; ev $i $kind inject "\"node\":\"$node\",\"hold\":$hold,\"sink_pos\":$(sink_pos)"
      C freeze "$node"
      sleep "$hold"
      C thaw "$node"
      ;;
    cut_follower|cut_leader)
      L=$(leader)
      if [ "$kind" = cut_leader ]; then node=$L; else node=$(pick "$pickf" $(up_nodes | grep -vxF "$L")); fi
      hold=$(fdiv "$LEASE_S + 1 + $frac * ($DELAY_S + 2)")
      log "[$i/$FAULTS] $kind: $node cut off for ${hold}s"
      mark_down "$node"; ev $i $kind inject "\"node\":\"$node\",\"hold\":$hold,\"sink_pos\":$(sink_pos)"
      C cut "$node"
      sleep "$hold"
      C heal "$node"
      ;;
    rolling_restart)
      node=all
      log "[$i/$FAULTS] rolling restart: node${order:0:1}, node${order:1:1}, node${order:2:1}"
      ev $i $kind inject "\"node\":\"all\",\"sink_pos\":$(sink_pos)"
      for k in 0 1 2; do
        n=node${order:$k:1}
        mark_down "$n"
        C stop "$n"
        C start "$n"
        wait_health "$n" || { ev $i $kind note "\"why\":\"$n not healthy 60 s after its restart\""; }
        mark_up "$n"
      done
      ;;
    full_restart)
      node=all
      hold=$(fdiv "1 + $frac * 2")
      log "[$i/$FAULTS] full restart: all nodes stopped for ${hold}s"
      mark_down node1 node2 node3; ev $i $kind inject "\"node\":\"all\",\"hold\":$hold,\"sink_pos\":$(sink_pos)"
      pids=()
      for n in node1 node2 node3; do C stop "$n" & pids+=($!); done
      wait "${pids[@]}"
      sleep "$hold"
      C start node1; C start node2; C start node3
      ;;
  esac
  ev $i $kind heal
  healed=(node1 node2 node3)
  if ! wait_health "${healed[@]}"; then
    ev $i $kind note "\"why\":\"a node was not healthy 60 s after healing\""
  fi
  mark_up node1 node2 node3
  if out=$(PY wait-recovered "$WORK" "$BOUND_S"); then
    ev $i $kind recovered "\"secs\":$out"
    log "    recovered ${out}s after healing"
  else
    ev $i $kind timeout "\"why\":\"$out\""
    log "    NOT RECOVERED: $out"
    C status | sed 's/^/    /' || true
    # Repair, so that the next faults start from a sound cluster: restart the nodes that run
    # nothing (or, failing that, the faulted node), one at a time.
    repair=$(PY idle "$WORK" || true)
    [ -n "$repair" ] || repair=$([ "$node" = all ] && echo node1 node2 node3 || echo "$node")
    for n in $repair; do
      log "    repair: restarting $n"
      mark_down "$n"; C stop "$n"; C start "$n"; wait_health "$n" || true; mark_up "$n"
    done
    if out=$(PY wait-recovered "$WORK" "$BOUND_S"); then
      ev $i $kind note "\"why\":\"not recovered within ${BOUND_S}s; restarting $(echo $repair) repaired it in ${out}s\""
      log "    repaired ${out}s after restarting $(echo $repair)"
    else
      ev $i $kind note "\"why\":\"restarting $(echo $repair) did not repair it: $out\""
      log "    still not recovered after restarting $(echo $repair): $out; no further faults"
      break
    fi
  fi
  sleep 2
done 3<"$WORK/plan.txt"
log "faults done after $((SECONDS - TF))s"

# Stop the source, let the sink drain, audit.
write PUT /connectors/chaos-source/stop
for _ in $(seq 120); do
  st=$(curl -s -m 2 "$(url "$(up_nodes | head -n 1)")/connectors/chaos-source/status" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["connector"]["state"], len(d["tasks"]))' 2>/dev/null || true)
  [ "$st" = "STOPPED 0" ] && break
  sleep 0.5
done
log "source stopped ($st); draining the sink"
if out=$(PY drain "$WORK" "$SINK" 120); then log "sink drained in ${out}s"; else log "DRAIN: $out"; fi
touch "$WORK/monitor.stop"; wait "$MONITOR" 2>/dev/null || true; MONITOR=
set +e
PY audit "$WORK" "$SINK" | tee "$WORK/report.md"
rc=${PIPESTATUS[0]}
set -e
log "total $((SECONDS - T0))s"
exit "$rc"
