#!/usr/bin/env bash
# On-CPU profile of one DynamoKad node under load: starts a 3-node cluster (N=3 R=2 W=2, durability always) from
# a published node, preloads the keys, runs the bench verb's OP workload with 64 callers, and samples node 1 with
# dotnet-trace for SECONDS, then prints the hottest frames (bench/speedscope_top.py); PROFILE_COUNTERS=1 collects
# the runtime's counters (allocation rate, GC, lock contention, thread pool) instead.
#
#   dotnet publish DynamoKad.Node -c Release -o /tmp/pub
#   BENCH_NODE_DIR=/tmp/pub bench/profile.sh put 10      # or get
#
# PROFILE_PERF=1 samples the whole machine with Linux perf instead (real on-CPU time, kernel included; the
# nodes write perf maps so JIT-compiled code has names) and prints the nodes' split (bench/perf_split.py).
# PROFILE_ALLOC=1 samples node 1's allocations instead (GCAllocationTick events) over one whole measured run and prints
# them by type and by the first DynamoKad frame, and node 1's allocated bytes per operation of the cluster
# (bench/alloc_report.cs; the nodes share the work alike, so the cluster allocates about three times that per operation).
# PROFILE_GC=1 traces node 1's garbage collections instead and prints each one's pause, promoted bytes and card
# scan, and the share of the time the node was paused (bench/gc_report.cs).
# PROFILE_PATTERNS (with PROFILE_PERF=1) lists the frame-name patterns whose inclusive share is printed (default
# "DynamoKad fdatasync") and PROFILE_TOP how many of the hottest functions (default 40). PROFILE_NODE_ARGS adds node options (e.g. "--DynamoKad:Replication:R 1"), PROFILE_WARMUP sets the warm-up (s, default
# 30: the tiered JIT still recompiles hot code for tens of seconds after start, and with 2 s it took a fifth of the
# nodes' samples).
# The trace (speedscope JSON) and node logs stay in the printed work directory; the nodes are stopped by PID.
set -euo pipefail
OP=${1:-put}
SECONDS_TO_TRACE=${2:-10}
NODE_DIR=${BENCH_NODE_DIR:?set BENCH_NODE_DIR to a published DynamoKad.Node}
PORT_BASE=${BENCH_PORT_BASE:-27600}
WORK=$(mktemp -d /tmp/dynamokad-profile.XXXXXX)
NODE=(dotnet "$NODE_DIR/DynamoKad.Node.dll")
PIDS=()
NODE_ENV=()
# Perf maps name JIT-compiled code for perf; W^X double-mapping would hide it behind memfd:doublemapper.
[[ ${PROFILE_PERF:-0} == 1 ]] && NODE_ENV=(env DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0)
trap 'kill "${PIDS[@]}" 2>/dev/null || true; wait 2>/dev/null || true' EXIT

# shellcheck source=dk-cluster.sh
source "$(dirname "$0")/dk-cluster.sh"
DK_NODE=("${NODE_ENV[@]}" "${NODE[@]}")
DK_BENCH=("${NODE[@]}")
DK_PIDS=()
# shellcheck disable=SC2086 # PROFILE_NODE_ARGS is a list of options
dk_start "$WORK" "$PORT_BASE" prof ${PROFILE_NODE_ARGS:-}
PIDS=("${DK_PIDS[@]}")
endpoints=$DK_ENDPOINTS
dk_ready_preloaded "$WORK" profile.sh || exit 1
# PROFILE_BENCH_ARGS adds load-generator options (e.g. "--client session").
read -r -a profile_bench_args <<<"${PROFILE_BENCH_ARGS:-}"
BENCH_ARGS=(--target dynamokad --endpoint "$endpoints" --op "$OP" --concurrency 64 --keys 10000 --key-size 16
  --value-size 100 --preload false --server-pid "${PIDS[@]}" "${profile_bench_args[@]}")
TOOLS=$HOME/.dotnet/tools
TRACE_TOOL=$(command -v dotnet-trace || echo "$TOOLS/dotnet-trace")
if [[ ${PROFILE_ALLOC:-0} == 1 ]]; then
  # Settle unmeasured, then trace node 1 from before one measured run starts until after it ends: every operation of
  # the run falls inside the trace, so the trace's bytes over the run's operations is node 1's share per operation
  # (plus the idle cluster's few allocations in the 2 s either side).
  dk_bench "${BENCH_ARGS[@]}" --duration "${PROFILE_WARMUP:-30}" --warmup 0 >/dev/null 2>&1
  "$TRACE_TOOL" collect -p "${PIDS[0]}" --providers Microsoft-Windows-DotNETRuntime:0x1:5 \
    --duration "00:00:00:$(printf %02d $((SECONDS_TO_TRACE + 4)))" -o "$WORK/alloc.nettrace" >/dev/null &
  TRACE=$!
  sleep 2
  dk_bench "${BENCH_ARGS[@]}" --duration "$SECONDS_TO_TRACE" --warmup 0 >"$WORK/bench.out" 2>/dev/null
  wait "$TRACE"
  tail -n 1 "$WORK/bench.out"
  ops=$(tail -n 1 "$WORK/bench.out" | python3 -c "import json, sys; print(json.load(sys.stdin)['ops'])")
  echo "node 1's allocations (one node of three) over a run of $ops operations of the cluster:"
  dotnet run "$(dirname "$0")/alloc_report.cs" -- "$WORK/alloc.nettrace" "$ops"
  echo "work directory: $WORK"
  exit 0
fi
dk_bench "${BENCH_ARGS[@]}" --duration $((SECONDS_TO_TRACE + 6)) --warmup "${PROFILE_WARMUP:-30}" \
  >"$WORK/bench.out" 2>/dev/null &
BENCH=$!
sleep $((${PROFILE_WARMUP:-30} + 1))
# PROFILE_GC=1: node 1's garbage collections (the GC keyword's informational events), reported by bench/gc_report.cs.
[[ ${PROFILE_GC:-0} == 1 ]] && PROFILE_PROVIDERS=${PROFILE_PROVIDERS:-Microsoft-Windows-DotNETRuntime:0x1:4}
if [[ -n ${PROFILE_PROVIDERS:-} ]]; then
  # Raw runtime events (e.g. PROFILE_PROVIDERS=Microsoft-Windows-DotNETRuntime:0x8010:5 for JIT + exceptions).
  "$TRACE_TOOL" collect -p "${PIDS[0]}" --providers "$PROFILE_PROVIDERS" \
    --duration "00:00:00:$(printf %02d "$SECONDS_TO_TRACE")" -o "$WORK/events.nettrace" >/dev/null
  wait "$BENCH"
  tail -n 1 "$WORK/bench.out"
  if [[ ${PROFILE_GC:-0} == 1 ]]; then
    echo "node 1's garbage collections:"
    dotnet run "$(dirname "$0")/gc_report.cs" -- "$WORK/events.nettrace"
  fi
elif [[ ${PROFILE_PERF:-0} == 1 ]]; then
  perf record -F 499 -a -g -o "$WORK/perf.data" -- sleep "$SECONDS_TO_TRACE" >/dev/null 2>&1
  wait "$BENCH"
  tail -n 1 "$WORK/bench.out"
  perf script -i "$WORK/perf.data" -F comm,pid,tid,ip,sym,dso 2>/dev/null \
    | python3 "$(dirname "$0")/perf_split.py" "$(IFS=,; echo "${PIDS[*]}")" "${PROFILE_TOP:-40}" ${PROFILE_PATTERNS:-DynamoKad fdatasync}
  for pid in "${PIDS[@]}"; do rm -f "/tmp/perf-$pid.map"; done
elif [[ ${PROFILE_COUNTERS:-0} == 1 ]]; then
  # Runtime counters instead of a trace: allocation rate, GCs, lock contention, thread-pool queue.
  "$(command -v dotnet-counters || echo "$TOOLS/dotnet-counters")" collect -p "${PIDS[0]}" --refresh-interval 1 \
    --duration "00:00:00:$(printf %02d "$SECONDS_TO_TRACE")" --format csv -o "$WORK/counters.csv" \
    --counters System.Runtime >/dev/null
  wait "$BENCH"
  tail -n 1 "$WORK/bench.out"
  python3 - "$WORK/counters.csv" <<'PY'
import csv, collections, sys
rows = list(csv.reader(open(sys.argv[1])))
series = collections.defaultdict(list)
for row in rows[1:]:
    try:
        series[row[2]].append(float(row[4]))
    except (IndexError, ValueError):
        pass
for name, values in sorted(series.items()):
    print(f"{name[:90]:90s} mean {sum(values) / len(values):14.2f}  max {max(values):14.2f}")
PY
else
  # Note: on Linux dotnet-trace cannot tell waiting from running, so "CPU_TIME" here is thread time: the
  # finalizer thread, idle pool workers (LowLevelLifoSemaphore.Wait) and lock waits appear although they sleep.
  "$TRACE_TOOL" collect -p "${PIDS[0]}" \
    --duration "00:00:00:$(printf %02d "$SECONDS_TO_TRACE")" --format speedscope -o "$WORK/$OP.nettrace" >/dev/null
  wait "$BENCH"
  tail -n 1 "$WORK/bench.out"
  python3 "$(dirname "$0")/speedscope_top.py" "$WORK/$OP.speedscope.json" 45
fi
echo "work directory: $WORK"
