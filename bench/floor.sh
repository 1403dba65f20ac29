#!/usr/bin/env bash
# How far a DynamoKad get is above the floor of its stack, by topology, in one run: alternating runs (64 callers, 16-byte
# keys, 100-byte values) of
#   hop-single     the echo relayed over one batched TCP link to a frame echo and back (compare.sh's one-hop floor);
#   hop-ring       three echo servers, each also serving a frame echo and relaying to the next one's: every process is
#                  an echo's coordinator and another's peer, as the nodes are under a spread load;
#   dk-get-one     R=2 gets with every caller on node 1 (node 1 coordinates, the others serve replica reads);
#   dk-get-spread  R=2 gets spread over the three nodes, as compare.sh runs them;
# each with the server CPU (all processes of that target, from /proc/PID/stat) and the client's CPU per operation.
#
#   dotnet publish DynamoKad.Node -c Release -o /tmp/pub
#   BENCH_NODE_DIR=/tmp/pub bench/floor.sh            # FLOOR_ROUNDS (default 3; the first warms up), FLOOR_SECONDS (6)
#
# Everything it starts is stopped by PID and its data removed.
set -euo pipefail
NODE_DIR=${BENCH_NODE_DIR:?set BENCH_NODE_DIR to a published DynamoKad.Node}
PORT_BASE=${BENCH_PORT_BASE:-28500}
WORK=$(mktemp -d /tmp/dynamokad-floor.XXXXXX)
NODE=(dotnet "$NODE_DIR/DynamoKad.Node.dll")
PIDS=()
trap 'kill "${PIDS[@]}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$WORK"' EXIT

# shellcheck source=dk-cluster.sh
source "$(dirname "$0")/dk-cluster.sh"
DK_NODE=("${NODE[@]}")
DK_PIDS=()
dk_start "$WORK" "$PORT_BASE" floor
NODES=("${DK_PIDS[@]}")
PIDS=("${DK_PIDS[@]}")

"${NODE[@]}" bench echo-server --listen "127.0.0.1:$((PORT_BASE + 51))" --relay "127.0.0.1:$((PORT_BASE + 52))" \
  --frame-echo "127.0.0.1:$((PORT_BASE + 52))" >"$WORK/single.log" 2>&1 &
SINGLE=($!)
PIDS+=($!)
RING=()
RING_ENDPOINTS=""
for i in 1 2 3; do
  "${NODE[@]}" bench echo-server --listen "127.0.0.1:$((PORT_BASE + 60 + i))" --frame-echo "127.0.0.1:$((PORT_BASE + 70 + i))" \
    --relay "127.0.0.1:$((PORT_BASE + 70 + i % 3 + 1))" >"$WORK/ring$i.log" 2>&1 &
  RING+=($!)
  PIDS+=($!)
  RING_ENDPOINTS+="${RING_ENDPOINTS:+,}http://127.0.0.1:$((PORT_BASE + 60 + i))"
done

dk_ready_preloaded "$WORK" floor.sh || exit 1

ticks() { # utime + stime of the given processes together, in clock ticks
  local sum=0 pid
  for pid in "$@"; do sum=$((sum + $(awk '{print $14 + $15}' "/proc/$pid/stat"))); done
  echo "$sum"
}
run() { # label "pids" bench options...
  local label=$1 pids=$2 before after line
  shift 2
  # shellcheck disable=SC2086 # pids is a list
  before=$(ticks $pids)
  line=$(dk_bench "$@" --concurrency 64 --keys 10000 --key-size 16 --value-size 100 --duration "${FLOOR_SECONDS:-6}" \
    --warmup 1 --preload false 2>/dev/null | tail -n 1)
  # shellcheck disable=SC2086
  after=$(ticks $pids)
  python3 - "$label" "$before" "$after" "$(getconf CLK_TCK)" "$line" <<'PY'
import json, sys
label, before, after, hz, line = sys.argv[1:6]
d = json.loads(line)
ops = max(1, d["ops"])
server = (int(after) - int(before)) * 1e6 / int(hz) / ops
client = d["client_cpu_s"] * 1e6 / ops
print(f"{label:<14} {d['ops_per_sec']:>8,.0f}/s  server {server:6.1f} µs/op  client {client:5.1f} µs/op  "
      f"total {server + client:6.1f} µs/op  errors {d['errors']}")
PY
}
for round in $(seq 1 "${FLOOR_ROUNDS:-3}"); do
  echo "round $round"
  run hop-single "${SINGLE[*]}" --target echo --endpoint "http://127.0.0.1:$((PORT_BASE + 51))"
  run hop-ring "${RING[*]}" --target echo --endpoint "$RING_ENDPOINTS"
  run dk-get-one "${NODES[*]}" --target dynamokad --endpoint "http://127.0.0.1:$((PORT_BASE + 1))" --op get
  run dk-get-spread "${NODES[*]}" --target dynamokad --endpoint "$DK_ENDPOINTS" --op get
done
