#!/usr/bin/env bash
# DynamoKad side by side with etcd and the gRPC echo floor, on this machine, in one run.
#
#   bench/compare.sh [--duration S] [--warmup S] [--settle S] [--rounds R] [--concurrency C] [--keys K] [--no-build]
#                    [--no-r1-floor] [--one-endpoint] [--dk-client session|unary] [--no-other-client]
#   BENCH_NODE_DIR=DIR runs a node published in DIR instead of publishing this tree (to compare builds).
#
# Starts a 3-member etcd cluster and a 3-node DynamoKad cluster (Release build, N=3 R=2 W=2, durability
# always) on loopback, plus the echo server; runs put, get and 50/50 mixed workloads with the same
# load generator (bench verb) against each, alternating targets and their order each round so that drift
# on a shared machine hits both; prints a table with DynamoKad/etcd ratios, then ONE JSON line.
# Before the first round every target runs each workload for --settle seconds, unmeasured (default 20; the
# nodes are .NET processes whose hot code is still being recompiled by the tiered JIT for tens of seconds after
# start, etcd is compiled ahead of time): the rounds then measure running clusters. --settle 0 measures fresh ones.
# Each round also measures the floor of a DynamoKad get: gets with R=1 (a per-request override) are answered by the
# coordinator's own replica with no replica hop, so they bound what an R=2 get, which adds one, can reach here.
# And the floor of the stack for an RPC with one replica hop: the echo server relaying each echo over one batched TCP
# connection to a frame echo (`bench echo-server --relay`, `bench frame-echo`), with no storage, Protobuf or quorum work.
# DynamoKad's load is sent the way a pipelining client sends it (--dk-client session, the default): on one KeyValue.Session
# call per node, each caller still waiting for its own answer before its next request; etcd's API has no such call, so
# etcd gets one unary call per request. Each round also runs DynamoKad's put and get with the other client (unary by
# default, target "dynamokad_unary" in the table and `put_ratio_unary` / `get_ratio_unary` in the JSON), so both are
# always measured side by side; --no-other-client skips those runs.
# --one-endpoint sends every caller to the first node / member of each system instead of spreading them over all three
# (a variant: the issue's comparison spreads them; for etcd a put sent to a follower is forwarded to the leader).
# Everything it starts is stopped by PID and its data removed, however it exits.
set -euo pipefail

DURATION=10
WARMUP=3
SETTLE=20
ROUNDS=2
CONCURRENCY=64
KEYS=10000
KEY_SIZE=16
VALUE_SIZE=100
BUILD=1
R1_FLOOR=1
ONE_ENDPOINT=0
DK_CLIENT=session
OTHER_CLIENT=1
PORT_BASE=${BENCH_PORT_BASE:-27000}
EXTRA_NODE_ARGS=()

while [[ $# -gt 0 ]]; do
  case "$1" in
    --duration) DURATION=$2; shift 2 ;;
    --warmup) WARMUP=$2; shift 2 ;;
    --settle) SETTLE=$2; shift 2 ;;
    --rounds) ROUNDS=$2; shift 2 ;;
    --concurrency) CONCURRENCY=$2; shift 2 ;;
    --keys) KEYS=$2; shift 2 ;;
    --no-build) BUILD=0; shift ;;
    --no-r1-floor) R1_FLOOR=0; shift ;;
    --one-endpoint) ONE_ENDPOINT=1; shift ;;
    --dk-client) DK_CLIENT=$2; shift 2 ;;
    --no-other-client) OTHER_CLIENT=0; shift ;;
    --node-arg) EXTRA_NODE_ARGS+=("$2"); shift 2 ;;
    -h|--help) sed -n '2,23p' "$0"; exit 0 ;;
    *) echo "compare.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done

case $DK_CLIENT in
  session) DK_OTHER_CLIENT=unary ;;
  unary) DK_OTHER_CLIENT=session ;;
  *) echo "compare.sh: --dk-client must be session or unary, got $DK_CLIENT" >&2; exit 2 ;;
esac

ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d /tmp/dynamokad-compare.XXXXXX)
PIDS=()
LOG() { echo "compare: $*" >&2; }

cleanup() {
  local code=$?
  trap - EXIT INT TERM
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  if [[ ${KEEP_WORK:-0} == 1 ]]; then LOG "kept $WORK"; else rm -rf "$WORK"; fi
  exit "$code"
}
trap cleanup EXIT INT TERM

# --- tools -------------------------------------------------------------------------------------------
if ! command -v etcd >/dev/null || ! command -v etcdctl >/dev/null; then
  LOG "installing etcd-server and etcd-client through apt"
  SUDO=""; [[ $(id -u) == 0 ]] || SUDO=sudo
  $SUDO apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq etcd-server etcd-client >/dev/null
  # Debian's package enables a service on port 2379; we run our own members on other ports and leave it be.
fi
command -v python3 >/dev/null || { LOG "python3 is needed for the table"; exit 2; }

NODE_DIR="$WORK/node-bin"
if [[ -n ${BENCH_NODE_DIR:-} ]]; then
  # A build published elsewhere (e.g. an older commit, to compare two builds against the same etcd run).
  NODE_DIR="$BENCH_NODE_DIR"
elif [[ $BUILD == 1 ]]; then
  LOG "building DynamoKad.Node (Release)"
  dotnet publish "$ROOT/DynamoKad.Node/DynamoKad.Node.csproj" -c Release -o "$NODE_DIR" --nologo -v quiet >"$WORK/build.log" 2>&1 \
    || { cat "$WORK/build.log" >&2; exit 1; }
else
  NODE_DIR="$ROOT/DynamoKad.Node/bin/Release/net10.0"
fi
NODE="$NODE_DIR/DynamoKad.Node"

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for offset in 1 2 3 11 12 13 21 22 23 31 32 33 90; do
  port_free $((PORT_BASE + offset)) || { LOG "port $((PORT_BASE + offset)) is taken: set BENCH_PORT_BASE"; exit 2; }
done

wait_until() { # seconds command...
  local deadline=$((SECONDS + $1)); shift
  until "$@" >/dev/null 2>&1; do
    (( SECONDS < deadline )) || return 1
    sleep 0.5
  done
}

# --- etcd: 3 members, client ports BASE+11..13, peer ports BASE+21..23 --------------------------------
ETCD_CLUSTER="e1=http://127.0.0.1:$((PORT_BASE + 21)),e2=http://127.0.0.1:$((PORT_BASE + 22)),e3=http://127.0.0.1:$((PORT_BASE + 23))"
ETCD_ENDPOINTS=""
ETCD_PIDS=()
for i in 1 2 3; do
  client="http://127.0.0.1:$((PORT_BASE + 10 + i))"
  peer="http://127.0.0.1:$((PORT_BASE + 20 + i))"
  etcd --name "e$i" --data-dir "$WORK/etcd$i" \
    --listen-client-urls "$client" --advertise-client-urls "$client" \
    --listen-peer-urls "$peer" --initial-advertise-peer-urls "$peer" \
    --initial-cluster "$ETCD_CLUSTER" --initial-cluster-token "bench-$$" --initial-cluster-state new \
    --logger zap --log-level error >"$WORK/etcd$i.log" 2>&1 &
  PIDS+=($!); ETCD_PIDS+=($!)
  ETCD_ENDPOINTS+="${ETCD_ENDPOINTS:+,}$client"
done

# --- DynamoKad: 3 nodes, gRPC BASE+1..3, HTTP BASE+31..33 ---------------------------------------------
# shellcheck source=dk-cluster.sh
source "$ROOT/bench/dk-cluster.sh"
DK_NODE=("$NODE")
DK_PIDS=()
dk_start "$WORK" "$PORT_BASE" bench "${EXTRA_NODE_ARGS[@]}"
PIDS+=("${DK_PIDS[@]}")

# --- the floor ----------------------------------------------------------------------------------------
"$NODE" bench echo-server --listen "127.0.0.1:$((PORT_BASE + 90))" >"$WORK/echo.log" 2>&1 &
PIDS+=($!); ECHO_PIDS=($!)
ECHO_ENDPOINT="http://127.0.0.1:$((PORT_BASE + 90))"
# The floor of a get with one replica hop: the same echo, each RPC first sent to a frame echo and back over one
# batched TCP connection (bench/RelayLink: a replica link's framing and batching, none of its work).
"$NODE" bench frame-echo --listen "127.0.0.1:$((PORT_BASE + 92))" >"$WORK/frame-echo.log" 2>&1 &
PIDS+=($!); HOP_PIDS=($!)
"$NODE" bench echo-server --listen "127.0.0.1:$((PORT_BASE + 91))" --relay "127.0.0.1:$((PORT_BASE + 92))" >"$WORK/echo-hop.log" 2>&1 &
PIDS+=($!); HOP_PIDS+=($!)
HOP_ENDPOINT="http://127.0.0.1:$((PORT_BASE + 91))"

LOG "waiting for etcd"
wait_until 60 etcdctl --endpoints="$ETCD_ENDPOINTS" endpoint health || { tail -n 20 "$WORK"/etcd*.log >&2; exit 1; }
LOG "waiting for DynamoKad"
for i in 1 2 3; do
  wait_until 60 curl -fsS "http://127.0.0.1:$((PORT_BASE + 30 + i))/health" || { tail -n 30 "$WORK/node$i.log" >&2; exit 1; }
done
# Health says a node serves, not that it has found its peers: wait until a quorum write succeeds.
[[ ${BENCH_SKIP_DYNAMOKAD:-0} == 1 ]] || wait_until 60 dk_ready "$DK_ENDPOINTS" || { LOG "DynamoKad never took a quorum write"; tail -n 30 "$WORK"/node*.log >&2; exit 1; }
wait_until 30 dk_bench --target echo --endpoint "$ECHO_ENDPOINT" --concurrency 1 --duration 1 --warmup 0 \
  || { tail -n 20 "$WORK/echo.log" >&2; exit 1; }
wait_until 30 dk_bench --target echo --endpoint "$HOP_ENDPOINT" --concurrency 1 --duration 1 --warmup 0 \
  || { tail -n 20 "$WORK/echo-hop.log" "$WORK/frame-echo.log" >&2; exit 1; }

# --- the runs -----------------------------------------------------------------------------------------
RESULTS="$WORK/results.jsonl"
: >"$RESULTS"

# Every key written once before the first round (not measured), so that every get finds a value; then settling.
TARGETS=(dynamokad etcd)
# BENCH_SKIP_DYNAMOKAD=1 measures etcd and the floor only (to check the script where no node serves KV).
[[ ${BENCH_SKIP_DYNAMOKAD:-0} == 1 ]] && TARGETS=(etcd)
# DynamoKad's client for the main runs, and the other one's (the dynamokad_unary / dynamokad_session rows).
DK_ARGS=(--client "$DK_CLIENT")
DK_OTHER_ARGS=(--client "$DK_OTHER_CLIENT")
for target in "${TARGETS[@]}"; do
  client_args=()
  if [[ $target == dynamokad ]]; then endpoints=$DK_ENDPOINTS; client_args=("${DK_ARGS[@]}"); else endpoints=$ETCD_ENDPOINTS; fi
  dk_bench --target "$target" --endpoint "$endpoints" --op put --preload true --concurrency "$CONCURRENCY" \
    --keys "$KEYS" --key-size "$KEY_SIZE" --value-size "$VALUE_SIZE" --duration 0.5 --warmup 0 2>&1 | grep -E '^preloaded' >&2
  # Settling: each workload once, unmeasured, so that the rounds measure a running cluster (see the header).
  [[ $SETTLE == 0 ]] && continue
  for op in put get mixed; do
    LOG "settling: $target $op for ${SETTLE}s (not measured)"
    dk_bench --target "$target" --endpoint "$endpoints" --op "$op" --concurrency "$CONCURRENCY" \
      --keys "$KEYS" --key-size "$KEY_SIZE" --value-size "$VALUE_SIZE" --duration "$SETTLE" --warmup 0 \
      --preload false "${client_args[@]}" >/dev/null 2>&1
  done
  if [[ $target == dynamokad && $OTHER_CLIENT == 1 ]]; then
    for op in put get; do
      LOG "settling: dynamokad $op with the $DK_OTHER_CLIENT client for ${SETTLE}s (not measured)"
      dk_bench --target dynamokad --endpoint "$endpoints" --op "$op" --concurrency "$CONCURRENCY" \
        --keys "$KEYS" --key-size "$KEY_SIZE" --value-size "$VALUE_SIZE" --duration "$SETTLE" --warmup 0 \
        --preload false "${DK_OTHER_ARGS[@]}" >/dev/null 2>&1
    done
  fi
done

# The runs' endpoints: all three of each system, or with --one-endpoint the first only (preload and settling use all).
RUN_DK_ENDPOINTS=$DK_ENDPOINTS
RUN_ETCD_ENDPOINTS=$ETCD_ENDPOINTS
if [[ $ONE_ENDPOINT == 1 ]]; then
  RUN_DK_ENDPOINTS=${DK_ENDPOINTS%%,*}
  RUN_ETCD_ENDPOINTS=${ETCD_ENDPOINTS%%,*}
  LOG "every caller on one endpoint: $RUN_DK_ENDPOINTS and $RUN_ETCD_ENDPOINTS"
fi

run() { # round target op [bench options...]; target echo_hop is the echo target through the relay (recorded as echo_hop),
        # dynamokad_unary / dynamokad_session DynamoKad with the other client
  local round=$1 target=$2 op=$3 endpoints pids kind
  shift 3
  kind=$target
  case $target in
    dynamokad) endpoints=$RUN_DK_ENDPOINTS; pids=("${DK_PIDS[@]}"); set -- "${DK_ARGS[@]}" "$@" ;;
    dynamokad_*) endpoints=$RUN_DK_ENDPOINTS; pids=("${DK_PIDS[@]}"); kind=dynamokad; set -- "${DK_OTHER_ARGS[@]}" "$@" ;;
    etcd) endpoints=$RUN_ETCD_ENDPOINTS; pids=("${ETCD_PIDS[@]}") ;;
    echo) endpoints=$ECHO_ENDPOINT; pids=("${ECHO_PIDS[@]}") ;;
    echo_hop) endpoints=$HOP_ENDPOINT; pids=("${HOP_PIDS[@]}"); kind=echo ;;
  esac
  LOG "round $round: $target $op${*:+ $*}"
  local line
  line=$(dk_bench --target "$kind" --endpoint "$endpoints" --op "$op" --concurrency "$CONCURRENCY" \
    --keys "$KEYS" --key-size "$KEY_SIZE" --value-size "$VALUE_SIZE" --duration "$DURATION" --warmup "$WARMUP" \
    --preload false "$@" --server-pid "${pids[@]}" 2>"$WORK/progress.log" | tail -n 1)
  python3 -c 'import json,sys; d=json.loads(sys.argv[1]); d["round"]=int(sys.argv[2]); d["target"]=sys.argv[3]; print(json.dumps(d))' \
    "$line" "$round" "$target" >>"$RESULTS"
}

for round in $(seq 1 "$ROUNDS"); do
  if (( round % 2 == 1 )); then order=("${TARGETS[@]}"); else order=($(printf '%s\n' "${TARGETS[@]}" | tac)); fi
  for op in put get mixed; do
    for target in "${order[@]}"; do run "$round" "$target" "$op"; done
  done
  if [[ $OTHER_CLIENT == 1 && ${BENCH_SKIP_DYNAMOKAD:-0} != 1 ]]; then
    for op in put get; do run "$round" "dynamokad_$DK_OTHER_CLIENT" "$op"; done
  fi
  run "$round" echo put
  run "$round" echo_hop put
  if [[ $R1_FLOOR == 1 && ${BENCH_SKIP_DYNAMOKAD:-0} != 1 ]]; then run "$round" dynamokad get --r 1; fi
done

python3 "$ROOT/bench/report.py" "$RESULTS" "$DURATION" "$ROUNDS" "$CONCURRENCY" "$(nproc)" "$SETTLE" "$ONE_ENDPOINT"
