#!/usr/bin/env bash
# Where a DynamoKad operation's server CPU goes, by process: starts a 3-node cluster (N=3 R=2 W=2, durability always)
# from a published node, preloads the keys, then runs OP with every caller on node 1, so node 1 only coordinates
# and nodes 2 and 3 only serve replica items; prints each node's CPU per operation (from /proc/PID/stat) per run.
#
#   dotnet publish DynamoKad.Node -c Release -o /tmp/pub
#   BENCH_NODE_DIR=/tmp/pub bench/hop.sh get            # R=2 gets: node 1 reads locally and asks one other node
#   BENCH_NODE_DIR=/tmp/pub bench/hop.sh get --r 1      # the same gets at R=1: no replica hop (bench options follow OP)
#
# HOP_RUNS (default 3) runs of HOP_SECONDS (default 8) each, 64 callers, 10,000 keys of 16 bytes, 100-byte values; the
# first run is the cluster's warm-up. The nodes are stopped by PID and their data removed.
set -euo pipefail
OP=${1:-get}
shift || true
NODE_DIR=${BENCH_NODE_DIR:?set BENCH_NODE_DIR to a published DynamoKad.Node}
PORT_BASE=${BENCH_PORT_BASE:-27800}
WORK=$(mktemp -d /tmp/dynamokad-hop.XXXXXX)
NODE=(dotnet "$NODE_DIR/DynamoKad.Node.dll")
PIDS=()
trap 'kill "${PIDS[@]}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$WORK"' EXIT

# shellcheck source=dk-cluster.sh
source "$(dirname "$0")/dk-cluster.sh"
DK_NODE=("${NODE[@]}")
DK_PIDS=()
dk_start "$WORK" "$PORT_BASE" hop
PIDS=("${DK_PIDS[@]}")
dk_ready_preloaded "$WORK" hop.sh || exit 1

ticks() { # utime + stime of each node, in clock ticks
  for pid in "${PIDS[@]}"; do awk '{print $14 + $15}' "/proc/$pid/stat"; done | paste -sd, -
}
for run in $(seq 1 "${HOP_RUNS:-3}"); do
  before=$(ticks)
  line=$(dk_bench --target dynamokad --endpoint "http://127.0.0.1:$((PORT_BASE + 1))" --op "$OP" --concurrency 64 \
    --keys 10000 --key-size 16 --value-size 100 --duration "${HOP_SECONDS:-8}" --warmup 0 --preload false "$@" 2>/dev/null | tail -n 1)
  after=$(ticks)
  python3 - "$run" "$before" "$after" "$(getconf CLK_TCK)" "$line" <<'PY'
import json, sys
run, before, after, hz, line = sys.argv[1:6]
d = json.loads(line)
us = [(b - a) * 1e6 / int(hz) / max(1, d["ops"]) for a, b in zip(map(int, before.split(",")), map(int, after.split(",")))]
print(f"run {run}: {d['ops_per_sec']:,.0f} {d['op']}/s, errors {d['errors']}; server CPU per op: node 1 (coordinator) "
      f"{us[0]:.1f} µs, node 2 {us[1]:.1f} µs, node 3 {us[2]:.1f} µs, all {sum(us):.1f} µs")
PY
done
