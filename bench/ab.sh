#!/usr/bin/env bash
# Two builds (or two settings) of DynamoKad side by side, paired: starts two 3-node clusters at once (N=3 R=2 W=2,
# durability always), A from BENCH_A_DIR with the environment BENCH_A_ENV and B from BENCH_B_DIR with BENCH_B_ENV,
# preloads both, settles each workload on each, then alternates short runs A, B, A, B, ... so that the host's drift
# (this VM's speed moves by 2x within minutes) hits both alike. Prints every run (ops/s, server CPU per operation of
# that cluster's three node processes from /proc/PID/stat, p99) and per workload the medians and the median of the
# per-pair ratios B/A.
#
#   dotnet publish DynamoKad.Node -c Release -o /tmp/a     # the baseline
#   dotnet publish DynamoKad.Node -c Release -o /tmp/b     # the change
#   BENCH_A_DIR=/tmp/a BENCH_B_DIR=/tmp/b bench/ab.sh get put
#   BENCH_A_DIR=/tmp/b BENCH_B_DIR=/tmp/b BENCH_A_ENV=DynamoKad__Replication__ReplicaLinks=false bench/ab.sh get
#
# AB_BENCH_ARGS adds load-generator options to every run (e.g. "--client session" for the pipelined client).
# AB_PAIRS (default 8) pairs of AB_SECONDS (default 3) per workload after AB_SETTLE (default 15) s of unmeasured load
# on each cluster; 64 callers, 10,000 keys of 16 bytes, 100-byte values, the bench verb of BENCH_A_DIR for both. The
# idle cluster costs little (its background rounds) while the other is measured. Both clusters are stopped by PID
# and their data removed. The method itself favoured B by 2-8 % of the µs/op in runs on this VM (B runs second in
# each pair): for an effect near that size, run it again with A and B swapped.
set -euo pipefail
OPS=("${@:-get}")
A_DIR=${BENCH_A_DIR:?set BENCH_A_DIR to a published DynamoKad.Node}
B_DIR=${BENCH_B_DIR:?set BENCH_B_DIR to a published DynamoKad.Node}
PAIRS=${AB_PAIRS:-8}
SECONDS_PER_RUN=${AB_SECONDS:-3}
SETTLE=${AB_SETTLE:-15}
WORKS=()
ALL_PIDS=()
trap 'kill "${ALL_PIDS[@]}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "${WORKS[@]}"' EXIT

# shellcheck source=dk-cluster.sh
source "$(dirname "$0")/dk-cluster.sh"
declare -A ENDPOINTS PIDS_OF
# One load generator for both clusters (A's build), never behind either cluster's BENCH_*_ENV.
DK_BENCH=(dotnet "$A_DIR/DynamoKad.Node.dll")
start() { # NAME DIR ENV PORT_BASE
  local work
  work=$(mktemp -d /tmp/dynamokad-ab.XXXXXX)
  WORKS+=("$work")
  read -r -a env_words <<<"${3:-}"
  DK_NODE=(env "${env_words[@]}" dotnet "$2/DynamoKad.Node.dll")
  DK_PIDS=()
  dk_start "$work" "$4" "ab$1"
  ALL_PIDS+=("${DK_PIDS[@]}")
  dk_ready_preloaded "$work" "ab.sh (cluster $1)" || exit 1
  ENDPOINTS[$1]=$DK_ENDPOINTS
  PIDS_OF[$1]="${DK_PIDS[*]}"
}
start A "$A_DIR" "${BENCH_A_ENV:-}" "${BENCH_PORT_BASE:-27700}"
start B "$B_DIR" "${BENCH_B_ENV:-}" "$(( ${BENCH_PORT_BASE:-27700} + 100 ))"

read -r -a bench_args <<<"${AB_BENCH_ARGS:-}"
BENCH=(dk_bench --target dynamokad --concurrency 64 --keys 10000 --key-size 16
  --value-size 100 --warmup 0 --preload false "${bench_args[@]}")
ticks() { for pid in $1; do awk '{print $14 + $15}' "/proc/$pid/stat"; done | paste -sd+ - | bc; }
for op in "${OPS[@]}"; do
  for c in A B; do
    echo "ab.sh: settling $c $op for ${SETTLE}s" >&2
    "${BENCH[@]}" --endpoint "${ENDPOINTS[$c]}" --op "$op" --duration "$SETTLE" >/dev/null 2>&1
  done
  for i in $(seq 1 "$PAIRS"); do
    for c in A B; do
      before=$(ticks "${PIDS_OF[$c]}")
      line=$("${BENCH[@]}" --endpoint "${ENDPOINTS[$c]}" --op "$op" --duration "$SECONDS_PER_RUN" 2>/dev/null | tail -n 1)
      after=$(ticks "${PIDS_OF[$c]}")
      echo "$op $c $i $((after - before)) $line"
    done
  done
done | python3 -c '
import json, statistics, sys
runs = {}
for line in sys.stdin:
    op, cluster, i, ticks, text = line.split(" ", 4)
    d = json.loads(text)
    ops = max(1, d["ops"])
    srv = int(ticks) * 1e4 / ops  # clock ticks (1/100 s) to microseconds per operation
    runs.setdefault(op, {}).setdefault(cluster, []).append((d["ops_per_sec"], srv, d["p99_ms"], d["errors"]))
    rate, p99, errors = d["ops_per_sec"], d["p99_ms"], d["errors"]
    print(f"{op:5} {cluster} {i:>2}: {rate:8,.0f}/s  srv {srv:6.1f} µs/op  p99 {p99:7.2f} ms  errors {errors}", flush=True)
print()
for op, by in runs.items():
    a, b = by.get("A", []), by.get("B", [])
    if not a or not b:
        continue
    ops_ratio = [y[0] / x[0] for x, y in zip(a, b)]
    srv_ratio = [y[1] / x[1] for x, y in zip(a, b)]
    med = statistics.median
    print(f"{op}: A {med(r[0] for r in a):,.0f}/s {med(r[1] for r in a):.1f} µs/op; B {med(r[0] for r in b):,.0f}/s "
          f"{med(r[1] for r in b):.1f} µs/op; B/A ops/s {med(ops_ratio):.3f} (pairs {min(ops_ratio):.2f}-{max(ops_ratio):.2f}), "
          f"B/A µs/op {med(srv_ratio):.3f}; B faster in {sum(r > 1 for r in ops_ratio)} of {len(ops_ratio)} pairs")
'
