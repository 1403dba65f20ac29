#!/usr/bin/env bash
# Items per replica frame on node 1 under a spread load: starts a 3-node cluster (bench/dk-cluster.sh) from a
# published node, preloads, settles with 15 s of OP (get, put or mixed), then reads node 1's
# dynamokad.replica.stream.frame_items histogram from /metrics before and after one measured 6 s run and prints the
# run's items per frame sent (its own requests to peers) and answered (its answers to peers' requests), and the
# replica reads it sent at a read's hedge delay (dynamokad.reads.hedged).
#
#   dotnet publish DynamoKad.Node -c Release -o /tmp/pub
#   BENCH_NODE_DIR=/tmp/pub bench/frames.sh get
#
# The nodes are stopped by PID and their data removed.
set -euo pipefail
OP=${1:-get}
NODE_DIR=${BENCH_NODE_DIR:?set BENCH_NODE_DIR to a published DynamoKad.Node}
PORT_BASE=${BENCH_PORT_BASE:-27900}
WORK=$(mktemp -d /tmp/dynamokad-frames.XXXXXX)
# shellcheck source=dk-cluster.sh
source "$(dirname "$0")/dk-cluster.sh"
DK_NODE=(dotnet "$NODE_DIR/DynamoKad.Node.dll")
DK_PIDS=()
trap 'kill "${DK_PIDS[@]}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$WORK"' EXIT
dk_start "$WORK" "$PORT_BASE" frames
dk_ready_preloaded "$WORK" frames.sh || exit 1
ARGS=(--target dynamokad --endpoint "$DK_ENDPOINTS" --op "$OP" --concurrency 64 --keys 10000 --key-size 16
  --value-size 100 --preload false)
dk_bench "${ARGS[@]}" --duration 15 --warmup 0 >/dev/null 2>&1
scrape() { curl -sf "http://127.0.0.1:$((PORT_BASE + 31))/metrics" | grep '^dynamokad_replica_stream_frame_items_\(sum\|count\)\|^dynamokad_reads_hedged_total' || true; }
scrape >"$WORK/before"
dk_bench "${ARGS[@]}" --duration 6 --warmup 0 2>/dev/null | tail -n 1 >"$WORK/run"
scrape >"$WORK/after"
python3 - "$WORK" <<'PY'
import json, re, sys
work = sys.argv[1]
def read(name):
    values = {}
    for line in open(f"{work}/{name}"):
        m = re.match(r'^dynamokad_replica_stream_frame_items_(sum|count)\{.*direction="(\w+)".*\}\s+([0-9.eE+-]+)', line)
        if m:
            values[(m.group(2), m.group(1))] = float(m.group(3))
        m = re.match(r'^dynamokad_reads_hedged_total(\{.*\})?\s+([0-9.eE+-]+)', line)
        if m:
            values["hedged"] = float(m.group(2))
    return values
before, after = read("before"), read("after")
run = json.load(open(f"{work}/run"))
print(f"{run['op']}: {run['ops_per_sec']:,.0f} ops/s, {run['errors']} errors")
for direction in ("sent", "answered"):
    count = after.get((direction, "count"), 0) - before.get((direction, "count"), 0)
    items = after.get((direction, "sum"), 0) - before.get((direction, "sum"), 0)
    print(f"node 1 {direction:8}: {items / count:5.1f} items per frame over {count:,.0f} frames" if count else f"node 1 {direction}: no frames")
hedged = after.get("hedged", 0) - before.get("hedged", 0)
print(f"node 1 hedged {hedged:,.0f} replica reads in the run ({1000 * hedged / max(run['ops'], 1):.1f} per 1,000 operations of the cluster)")
PY
