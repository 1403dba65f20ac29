#!/usr/bin/env bash
# How often the nodes' threads are switched off a core per operation, by thread name: starts a 3-node cluster (N=3
# R=2 W=2, durability always) from a published node, preloads the keys, settles OP for SWITCHES_SETTLE s (default
# 20), then counts the context switches of every thread of the nodes (voluntary: the thread blocked, e.g. the WAL
# flusher waiting for its next batch; involuntary: the scheduler preempted it) over one measured run of
# SWITCHES_SECONDS (default 10), from /proc/PID/task/*/status, and divides them by the run's operations.
#
#   dotnet publish DynamoKad.Node -c Release -o /tmp/pub
#   BENCH_NODE_DIR=/tmp/pub bench/switches.sh put
#
# 64 callers spread over the nodes, 10,000 keys of 16 bytes, 100-byte values. The nodes are stopped by PID and their
# data removed.
set -euo pipefail
OP=${1:-put}
# shellcheck source=dk-cluster.sh
source "$(dirname "$0")/dk-cluster.sh"
dk_own_cluster switches "${BENCH_PORT_BASE:-27700}"
PIDS=("${DK_PIDS[@]}")
ARGS=(--target dynamokad --endpoint "$DK_ENDPOINTS" --op "$OP" --concurrency 64 --keys 10000 --key-size 16 --value-size 100)
dk_bench "${ARGS[@]}" --duration "${SWITCHES_SETTLE:-20}" --warmup 0 >/dev/null 2>&1

snapshot() { # one line per thread: tid, name, voluntary and involuntary switches so far
  local pid task
  for pid in "${PIDS[@]}"; do
    for task in /proc/"$pid"/task/*; do
      echo "$(basename "$task") $(tr ' ' '_' <"$task/comm") $(awk '/^voluntary_ctxt/{v=$2} /^nonvoluntary_ctxt/{n=$2} END{print v, n}' "$task/status" 2>/dev/null)"
    done
  done
}

snapshot >"$WORK/before"
dk_bench "${ARGS[@]}" --duration "${SWITCHES_SECONDS:-10}" --warmup 0 2>/dev/null | tail -n 1 >"$WORK/run.json"
snapshot >"$WORK/after"
python3 - "$WORK" <<'PY'
import collections, json, sys
work = sys.argv[1]
run = json.load(open(f"{work}/run.json"))
ops = run["ops"]

def read(name):
    threads = {}
    for line in open(f"{work}/{name}"):
        parts = line.split()
        if len(parts) == 4:
            threads[parts[0]] = (parts[1], int(parts[2]), int(parts[3]))
    return threads

before, after = read("before"), read("after")
voluntary, involuntary = collections.Counter(), collections.Counter()
for tid, (name, v, n) in after.items():
    _, v0, n0 = before.get(tid, (name, 0, 0))
    voluntary[name] += v - v0
    involuntary[name] += n - n0
print(f"{run['ops_per_sec']:.0f} {run['op']}s/s; context switches of the nodes' threads per operation: "
      f"voluntary {sum(voluntary.values()) / ops:.2f}, involuntary {sum(involuntary.values()) / ops:.2f}")
print(f"  {'thread':22s} {'voluntary':>9s} {'involuntary':>11s}")
for name in sorted(set(voluntary) | set(involuntary), key=lambda n: -(voluntary[n] + involuntary[n]))[:10]:
    print(f"  {name.replace('_', ' '):22s} {voluntary[name] / ops:9.2f} {involuntary[name] / ops:11.2f}")
PY
