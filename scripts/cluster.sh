#!/usr/bin/env bash
# Runs a connectd cluster -- the embedded broker plus three agents -- and controls its nodes.
#
# Usage: scripts/cluster.sh [--docker|--local|--vagrant|--target T] COMMAND [ARGS]
#   up                     build, start the broker and node1..node3, wait for /health 200 on all
#   down [--purge]         stop everything; --purge also deletes the nodes' and the broker's state
#   status                 /health of each node and the state of every connector and task
#   logs [NODE] [-f]       the last lines of the logs (of one node); -f follows them
# Node control, used by scripts/chaos.sh (NODE is node1, node2 or node3):
#   nodes                  one line per node: name, REST URL, worker_id
#   kill NODE              kill -9            start NODE    start a stopped or killed node
#   stop NODE              SIGTERM and wait   health NODE   HTTP code of GET /health (000: none)
#   freeze NODE            SIGSTOP (docker pause)            thaw NODE     SIGCONT (docker unpause)
#   cut NODE               isolate the node from the network  heal NODE    undo cut
#   heal-all               undo every cut and freeze          leader        the node whose Raft state
#                                                                           says it leads (GET /connectd/cluster)
# Targets:
#   docker (default)  scripts/docker-compose.yml; the binary and the FROM-scratch image connectd:dev
#                     are built first. REST on 127.0.0.1:8083-8085. cut = docker network disconnect.
#   local             local processes, each node on its own loopback address (broker 127.0.0.10:9092,
#                     nodeN 127.0.0.1N:8083 REST, :8300 Raft, :8301 gossip), state, properties, pid and
#                     log files under $STATE_DIR. As root every agent runs under its own uid (101N) so
#                     that cut can drop its traffic: iptables DROP of what reaches 127.0.0.1N plus an
#                     owner match on what the node sends (its outgoing connections leave from 127.0.0.1,
#                     so an address match alone would not isolate it).
#   vagrant           the three VMs of the top-level Vagrantfile (192.168.56.11-13; node1 runs the
#                     broker), driven through `vagrant ssh -c`.
# Environment: STATE_DIR (local state, default /tmp/connectd-local), SHARED_DIR (mounted at /shared
# in containers and VMs, default /tmp/connectd-shared), SESSION_TIMEOUT_MS (3000), REBALANCE_DELAY_MS
# (5000), LOG_LEVEL (INFO), UP_TIMEOUT (seconds, 120), COMPOSE_PROJECT (connectd), SKIP_BUILD=1 (use the
# existing build/connectd instead of running go build).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

TARGET=docker
ARGS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --local) TARGET=local; shift ;;
    --docker) TARGET=docker; shift ;;
    --vagrant) TARGET=vagrant; shift ;;
    --target) TARGET=$2; shift 2 ;;
    *) ARGS+=("$1"); shift ;;
  esac
done
set -- "${ARGS[@]+"${ARGS[@]}"}"
case "$TARGET" in docker|local|vagrant) ;; *) echo "cluster: unknown target $TARGET" >&2; exit 2 ;; esac
[ $# -ge 1 ] || { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2; }
CMD=$1; shift

export SHARED_DIR=${SHARED_DIR:-/tmp/connectd-shared}
export SESSION_TIMEOUT_MS=${SESSION_TIMEOUT_MS:-3000}
export REBALANCE_DELAY_MS=${REBALANCE_DELAY_MS:-5000}
export LOG_LEVEL=${LOG_LEVEL:-INFO}
STATE_DIR=${STATE_DIR:-/tmp/connectd-local}
UP_TIMEOUT=${UP_TIMEOUT:-120}
PROJECT=${COMPOSE_PROJECT:-connectd}
NODES=(node1 node2 node3)
# SECURE=1: https, Basic auth, Raft mTLS and gossip encryption (scripts/secure.sh).
. "$(dirname "$0")/secure.sh"

die() { echo "cluster: $*" >&2; exit 1; }
num() { case "$1" in node[123]) echo "${1#node}" ;; *) die "unknown node '$1' (node1, node2 or node3)" ;; esac; }

url() {
  local n; n=$(num "$1")
  case "$TARGET" in
    docker) echo "$REST_SCHEME://127.0.0.1:$((8082 + n))" ;;
    local) echo "$REST_SCHEME://127.0.0.1$n:8083" ;;
    vagrant) echo "$REST_SCHEME://192.168.56.1$n:8083" ;;
  esac
}

worker_id() {
  local n; n=$(num "$1")
  case "$TARGET" in
    docker) echo "node$n:8083" ;;
    local) echo "127.0.0.1$n:8083" ;;
    vagrant) echo "192.168.56.1$n:8083" ;;
  esac
}

health_code() { curl -s -o /dev/null -m 2 -w '%{http_code}' "$(url "$1")/health" || true; }

wait_healthy() { # wait_healthy SECONDS NODE...
  local limit=$1 n; shift
  local deadline=$((SECONDS + limit))
  for n in "$@"; do
    until [ "$(health_code "$n")" = 200 ]; do
      [ $SECONDS -lt $deadline ] || { echo "cluster: $n not healthy after ${limit}s (GET /health: $(health_code "$n"))" >&2; return 1; }
      sleep 0.2
    done
  done
}

build() {
  [ "${SKIP_BUILD:-}" = 1 ] && [ -x build/connectd ] && return
  echo "building build/connectd"
  CGO_ENABLED=0 go build -o build/connectd ./cmd/connectd
  ./scripts/plugins.sh # the image ships the connector plugins
}

prepare_shared() { mkdir -p "$SHARED_DIR"; chmod 1777 "$SHARED_DIR" 2>/dev/null || true; secure_init; }

# ---------------------------------------------------------------------------------------- docker
compose() {
  if docker compose version >/dev/null 2>&1; then
    docker compose -p "$PROJECT" -f scripts/docker-compose.yml "$@"
  else
    docker-compose -p "$PROJECT" -f scripts/docker-compose.yml "$@"
  fi
}
cid() { local id; id=$(compose ps -q "$1" 2>/dev/null); [ -n "$id" ] || die "no container for $1 (is the cluster up?)"; echo "$id"; }
dnet() { echo "${PROJECT}_connectd"; }

docker_cmd() {
  case "$CMD" in
    up)
      build
      out=$(docker build -q -t connectd:dev . 2>&1) || die "docker build failed: $out"
      prepare_shared
      compose up -d
      wait_healthy "$UP_TIMEOUT" "${NODES[@]}" ;;
    down)
      if [ "${1:-}" = --purge ]; then compose down -v --remove-orphans; else compose down --remove-orphans; fi ;;
    logs)
      local follow=() svc=()
      for a in "$@"; do case "$a" in -f) follow=(-f) ;; *) svc=("$a") ;; esac; done
      compose logs --tail "${TAIL:-50}" "${follow[@]+"${follow[@]}"}" "${svc[@]+"${svc[@]}"}" ;;
    kill) docker kill -s KILL "$(cid "$1")" >/dev/null ;;
    stop) docker stop -t 30 "$(cid "$1")" >/dev/null ;;
    start) docker start "$(cid "$1")" >/dev/null ;;
    freeze) docker pause "$(cid "$1")" >/dev/null ;;
    thaw) docker unpause "$(cid "$1")" >/dev/null ;;
    cut) docker network disconnect "$(dnet)" "$(cid "$1")" ;;
    heal)
      local n; n=$(num "$1")
      docker network connect --ip "172.28.56.1$n" --alias "$1" "$(dnet)" "$(cid "$1")" ;;
    heal-all)
      local n c
      for n in "${NODES[@]}"; do
        c=$(compose ps -q "$n" 2>/dev/null) || continue
        [ -n "$c" ] || continue
        [ "$(docker inspect -f '{{.State.Paused}}' "$c")" = true ] && docker unpause "$c" >/dev/null
        if ! docker inspect -f '{{json .NetworkSettings.Networks}}' "$c" | grep -q "\"$(dnet)\""; then
          docker network connect --ip "172.28.56.1${n#node}" --alias "$n" "$(dnet)" "$c" || true
        fi
      done ;;
    nodelog) docker logs "$(cid "$1")" 2>&1 ;;
    *) die "unknown command $CMD" ;;
  esac
}

# ----------------------------------------------------------------------------------------- local
lpid() { cat "$STATE_DIR/$1.pid" 2>/dev/null || true; }
lalive() { local p; p=$(lpid "$1"); [ -n "$p" ] && kill -0 "$p" 2>/dev/null; }
luid() { echo $((1010 + $(num "$1"))); }
asroot() { [ "$(id -u)" = 0 ]; }

local_props() { # local_props NODE
  local n; n=$(num "$1")
  cat <<EOF
# $1 of the local connectd cluster (scripts/cluster.sh --local); regenerated by 'up'.
node.id=$1
data.dir=$STATE_DIR/$1/data
group.id=connect-cluster
listeners=$REST_SCHEME://127.0.0.1$n:8083
rest.advertised.host.name=127.0.0.1$n
raft.listener=127.0.0.1$n:8300
cluster.listener=127.0.0.1$n:8301
cluster.join=127.0.0.11:8301,127.0.0.12:8301,127.0.0.13:8301
cluster.bootstrap.expect=3
bootstrap.servers=127.0.0.10:9092
offset.flush.interval.ms=1000
scheduled.rebalance.max.delay.ms=$REBALANCE_DELAY_MS
session.timeout.ms=$SESSION_TIMEOUT_MS
heartbeat.interval.ms=500
gossip.probe.interval.ms=200
gossip.probe.timeout.ms=100
gossip.suspicion.mult=2
raft.heartbeat.timeout.ms=500
raft.election.timeout.ms=500
raft.leader.lease.timeout.ms=250
log.level=$LOG_LEVEL
EOF
  [ "$SECURE" = 1 ] || return 0
  cat <<EOF
rest.extension.classes=$SEC_EXT
rest.basic.auth.credentials.file=$SEC_USERS
listeners.https.ssl.keystore.type=PEM
listeners.https.ssl.keystore.location=$SEC_CERT
listeners.https.ssl.truststore.type=PEM
listeners.https.ssl.truststore.location=$SEC_CA
cluster.tls.ca.file=$SEC_CA
cluster.tls.cert.file=$SEC_CERT
cluster.tls.key.file=$SEC_CERT
cluster.gossip.key=$SEC_GOSSIP
EOF
}

local_start() { # local_start NODE
  lalive "$1" && return
  local run=()
  if asroot; then run=(setpriv --reuid="$(luid "$1")" --regid="$(luid "$1")" --clear-groups); fi
  echo "--- $(date -u +%FT%T.%3NZ) start $1" >>"$STATE_DIR/$1.log"
  setsid "${run[@]+"${run[@]}"}" "$STATE_DIR/bin/connectd" agent --config "$STATE_DIR/$1.properties" \
    </dev/null >>"$STATE_DIR/$1.log" 2>&1 &
  echo $! >"$STATE_DIR/$1.pid"
}

local_stop() { # local_stop NODE SIGNAL
  local p; p=$(lpid "$1")
  [ -n "$p" ] || return 0
  kill -CONT "$p" 2>/dev/null || true
  kill "-$2" "$p" 2>/dev/null || true
  for _ in $(seq 300); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$p" 2>/dev/null; then echo "cluster: $1 ignored SIG$2 for 30s; killing it" >&2; kill -KILL "$p" 2>/dev/null || true; fi
  rm -f "$STATE_DIR/$1.pid"
}

ipt_chains() {
  command -v iptables >/dev/null || die "iptables is needed to cut a node off (apt-get install iptables)"
  asroot || die "cutting a node off needs root (iptables)"
  iptables -N CONNECTD_IN 2>/dev/null || true
  iptables -N CONNECTD_OUT 2>/dev/null || true
  iptables -C INPUT -j CONNECTD_IN 2>/dev/null || iptables -I INPUT -j CONNECTD_IN
  iptables -C OUTPUT -j CONNECTD_OUT 2>/dev/null || iptables -I OUTPUT -j CONNECTD_OUT
}
ipt_rules() { # ipt_rules -A|-D NODE
  local n; n=$(num "$2")
  iptables "$1" CONNECTD_IN -d "127.0.0.1$n" -j DROP -m comment --comment "connectd-$2"
  iptables "$1" CONNECTD_OUT -m owner --uid-owner "$(luid "$2")" -j DROP -m comment --comment "connectd-$2"
}
ipt_cut() { ipt_chains; iptables -S CONNECTD_OUT 2>/dev/null | grep -q "connectd-$1" || ipt_rules -A "$1"; }
ipt_heal() { command -v iptables >/dev/null && asroot || return 0; while iptables -S CONNECTD_OUT 2>/dev/null | grep -q "connectd-$1"; do ipt_rules -D "$1" 2>/dev/null || break; done; }
ipt_remove() {
  command -v iptables >/dev/null && asroot || return 0
  iptables -D INPUT -j CONNECTD_IN 2>/dev/null || true
  iptables -D OUTPUT -j CONNECTD_OUT 2>/dev/null || true
  iptables -F CONNECTD_IN 2>/dev/null || true; iptables -X CONNECTD_IN 2>/dev/null || true
  iptables -F CONNECTD_OUT 2>/dev/null || true; iptables -X CONNECTD_OUT 2>/dev/null || true
}

local_cmd() {
  case "$CMD" in
    up)
      build
      prepare_shared
      mkdir -p "$STATE_DIR/bin" "$STATE_DIR/broker"
      chmod 755 "$STATE_DIR"
      install -m 0755 build/connectd "$STATE_DIR/bin/connectd"
      if ! { [ -f "$STATE_DIR/broker.pid" ] && kill -0 "$(cat "$STATE_DIR/broker.pid")" 2>/dev/null; }; then
        setsid "$STATE_DIR/bin/connectd" broker --listen 127.0.0.10:9092 --partitions 3 --data-dir "$STATE_DIR/broker" \
          </dev/null >>"$STATE_DIR/broker.log" 2>&1 &
        echo $! >"$STATE_DIR/broker.pid"
      fi
      local n
      for n in "${NODES[@]}"; do
        mkdir -p "$STATE_DIR/$n/data"
        local_props "$n" >"$STATE_DIR/$n.properties"
        if asroot; then chown -R "$(luid "$n"):$(luid "$n")" "$STATE_DIR/$n"; fi
        local_start "$n"
      done
      wait_healthy "$UP_TIMEOUT" "${NODES[@]}" ;;
    down)
      local n
      ipt_remove
      for n in "${NODES[@]}"; do local_stop "$n" TERM; done
      [ -f "$STATE_DIR/broker.pid" ] && { kill "$(cat "$STATE_DIR/broker.pid")" 2>/dev/null || true; rm -f "$STATE_DIR/broker.pid"; }
      if [ "${1:-}" = --purge ]; then rm -rf "$STATE_DIR"; fi ;;
    logs)
      local follow=() files=()
      for a in "$@"; do case "$a" in -f) follow=(-F) ;; *) num "$a" >/dev/null; files=("$STATE_DIR/$a.log") ;; esac; done
      [ ${#files[@]} -gt 0 ] || files=("$STATE_DIR"/broker.log "$STATE_DIR"/node?.log)
      tail -n "${TAIL:-50}" "${follow[@]+"${follow[@]}"}" "${files[@]}" ;;
    kill)
      local p; p=$(lpid "$1")
      [ -n "$p" ] || return 0
      kill -KILL "$p" 2>/dev/null || true
      for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.05; done
      rm -f "$STATE_DIR/$1.pid" ;;
    stop) local_stop "$1" TERM ;;
    start) local_start "$1" ;;
    freeze) kill -STOP "$(lpid "$1")" ;;
    thaw) kill -CONT "$(lpid "$1")" ;;
    cut) ipt_cut "$1" ;;
    heal) ipt_heal "$1" ;;
    heal-all)
      local n p
      for n in "${NODES[@]}"; do ipt_heal "$n"; p=$(lpid "$n"); [ -z "$p" ] || kill -CONT "$p" 2>/dev/null || true; done ;;
    nodelog) cat "$STATE_DIR/$1.log" ;;
    *) die "unknown command $CMD" ;;
  esac
}

# --------------------------------------------------------------------------------------- vagrant
vssh() { # vssh NODE COMMAND
  command -v vagrant >/dev/null || die "vagrant is not installed"
  vagrant ssh "$1" -c "$2" -- -q -o LogLevel=ERROR
}

vagrant_cmd() {
  local n
  case "$CMD" in
    up)
      build
      prepare_shared
      command -v vagrant >/dev/null || die "vagrant is not installed"
      vagrant up --provision
      wait_healthy "$UP_TIMEOUT" "${NODES[@]}" ;;
    down)
      for n in node3 node2 node1; do
        if [ "${1:-}" = --purge ]; then
          vssh "$n" 'sudo systemctl stop connectd connectd-broker 2>/dev/null; sudo rm -rf /var/lib/connectd/data /var/lib/connectd-broker/data; sudo iptables -F CONNECTD_IN 2>/dev/null; sudo iptables -F CONNECTD_OUT 2>/dev/null; true' || true
        else
          vssh "$n" 'sudo systemctl stop connectd connectd-broker 2>/dev/null; true' || true
        fi
      done ;;
    logs)
      local follow="" sel=()
      for a in "$@"; do case "$a" in -f) follow=-f ;; *) num "$a" >/dev/null; sel=("$a") ;; esac; done
      [ ${#sel[@]} -gt 0 ] || sel=("${NODES[@]}")
      for n in "${sel[@]}"; do echo "== $n"; vssh "$n" "sudo journalctl -u connectd -u connectd-broker -o cat -n ${TAIL:-50} $follow"; done ;;
    kill) vssh "$1" 'sudo systemctl kill -s KILL connectd' ;;
    stop) vssh "$1" 'sudo systemctl stop connectd' ;;
    start) vssh "$1" 'sudo systemctl start connectd' ;;
    freeze) vssh "$1" 'sudo systemctl kill -s STOP connectd' ;;
    thaw) vssh "$1" 'sudo systemctl kill -s CONT connectd' ;;
    cut)
      # Only the agent is cut: its ports from outside and what its user sends out, so that the
      # broker on node1 stays reachable for the other nodes.
      vssh "$1" 'sudo sh -euc "
        iptables -N CONNECTD_IN 2>/dev/null || true; iptables -N CONNECTD_OUT 2>/dev/null || true
        iptables -C INPUT -j CONNECTD_IN 2>/dev/null || iptables -I INPUT -j CONNECTD_IN
        iptables -C OUTPUT -j CONNECTD_OUT 2>/dev/null || iptables -I OUTPUT -j CONNECTD_OUT
        iptables -F CONNECTD_IN; iptables -F CONNECTD_OUT
        iptables -A CONNECTD_IN ! -i lo -p tcp -m multiport --dports 8083,8300,8301 -j DROP
        iptables -A CONNECTD_IN ! -i lo -p udp --dport 8301 -j DROP
        iptables -A CONNECTD_OUT ! -o lo -m owner --uid-owner connectd -j DROP"' ;;
    heal) vssh "$1" 'sudo sh -c "iptables -F CONNECTD_IN 2>/dev/null; iptables -F CONNECTD_OUT 2>/dev/null; true"' ;;
    heal-all)
      for n in "${NODES[@]}"; do
        vssh "$n" 'sudo sh -c "iptables -F CONNECTD_IN 2>/dev/null; iptables -F CONNECTD_OUT 2>/dev/null; systemctl kill -s CONT connectd 2>/dev/null; true"' || true
      done ;;
    nodelog) vssh "$1" 'sudo journalctl -u connectd -o cat --no-pager' ;;
    *) die "unknown command $CMD" ;;
  esac
}

target_cmd() { case "$TARGET" in docker) docker_cmd "$@" ;; local) local_cmd "$@" ;; vagrant) vagrant_cmd "$@" ;; esac; }

# ------------------------------------------------------------------------------ common commands
case "$CMD" in
  nodes) for n in "${NODES[@]}"; do echo "$n $(url "$n") $(worker_id "$n")"; done ;;
  url) url "$1" ;;
  health) health_code "$1"; echo ;;
  leader)
    # Each node's own Raft state, from GET /connectd/cluster. A frozen node does not answer; a
    # node cut off may still believe it leads until its leader lease runs out.
    for n in "${NODES[@]}"; do
      state=$(curl -s -m 2 "$(url "$n")/connectd/cluster" 2>/dev/null \
        | python3 -c 'import json, sys; print(json.load(sys.stdin).get("raft_state", ""))' 2>/dev/null || true)
      if [ "$state" = leader ]; then echo "$n"; fi
    done ;;
  status)
    for n in "${NODES[@]}"; do
      out=$(curl -s -m 2 -w '\n%{http_code}' "$(url "$n")/health" || true)
      printf '%-6s %-24s %-18s GET /health: %s %s\n' "$n" "$(url "$n")" "$(worker_id "$n")" "${out##*$'\n'}" \
        "$(sed -n 's/.*"status":"\([^"]*\)".*/\1/p' <<<"$out")"
    done
    for n in "${NODES[@]}"; do
      body=$(curl -sf -m 2 "$(url "$n")/connectors?expand=status") || continue
      echo "connectors (as $n sees them):"
      python3 -c '
import json, sys
d = json.loads(sys.argv[1])
if not d:
    print("  (none)")
for name in sorted(d):
    s = d[name]["status"]
    print("  %-24s %-10s %s" % (name, s["connector"]["state"], s["connector"].get("worker_id", "")))
    for t in s.get("tasks", []):
        print("    task %-17s %-10s %s" % (t["id"], t["state"], t.get("worker_id", "")))
' "$body"
      break
    done ;;
  kill|stop|start|freeze|thaw|cut|heal)
    [ $# -eq 1 ] || die "$CMD needs a node name"
    num "$1" >/dev/null
    target_cmd "$@" ;;
  *) target_cmd "$@" ;;
esac
