# Sourced by the bench scripts: a 3-node DynamoKad cluster as the benchmarks run it (N=3 R=2 W=2, durability
# always, logging at Warning) on loopback, gRPC on PORT_BASE+1..3 and HTTP on PORT_BASE+31..33, data under WORK.
# DK_NODE is the command that runs a node (e.g. (dotnet DIR/DynamoKad.Node.dll), possibly behind env); DK_BENCH the
# one that runs the load generator (default: DK_NODE).

# dk_bench ARGS...: the load generator, `bench ARGS...`, for every run of the scripts. Without dynamic PGO: the bench
# verb runs for seconds, and PGO's instrumented tier (on in the node's runtimeconfig, for the long-lived nodes) made
# such a short-lived client cost 57-70 µs of CPU per echo RPC instead of 43-46 (docs/BENCHMARKS.md, step 23). The
# same client for every target either way.
dk_bench() {
  env DOTNET_TieredPGO=0 "${DK_BENCH[@]:-${DK_NODE[@]}}" bench "$@"
}

# dk_start WORK PORT_BASE NAME [node options...]: starts the nodes; appends their PIDs to DK_PIDS, sets DK_ENDPOINTS.
# The nodes run with the gen0 budget every launcher gives them (DK_GEN0SIZE, default 64 MiB as in the AppHost's
# DynamoKadResourceExtensions.Gen0Budget; an env in DK_NODE, such as ab.sh's BENCH_*_ENV, still overrides it).
dk_start() {
  local work=$1 base=$2 name=$3 i j seeds
  shift 3
  DK_ENDPOINTS=""
  for i in 1 2 3; do
    seeds=()
    for j in 1 2 3; do [[ $j == "$i" ]] || seeds+=(--seed "http://127.0.0.1:$((base + j))"); done
    env DOTNET_GCgen0size="${DK_GEN0SIZE:-0x4000000}" "${DK_NODE[@]}" serve --listen "127.0.0.1:$((base + i))" --http "127.0.0.1:$((base + 30 + i))" \
      --data-dir "$work/node$i" --name "$name$i" "${seeds[@]}" \
      --DynamoKad:Replication:N 3 --DynamoKad:Replication:R 2 --DynamoKad:Replication:W 2 \
      --DynamoKad:Storage:Durability always \
      --Logging:LogLevel:Default Warning --Logging:LogLevel:Microsoft.Hosting.Lifetime Warning \
      "$@" >"$work/node$i.log" 2>&1 &
    DK_PIDS+=($!)
    DK_ENDPOINTS+="${DK_ENDPOINTS:+,}http://127.0.0.1:$((base + i))"
  done
}

# dk_ready ENDPOINTS: true once a quorum write succeeds (health says a node serves, not that it has found its peers).
dk_ready() {
  dk_bench --target dynamokad --endpoint "$1" --op put --concurrency 3 --duration 1 --warmup 0 \
    --keys 100 2>/dev/null | tail -n 1 \
    | python3 -c 'import json,sys; d=json.load(sys.stdin); sys.exit(0 if d["errors"]==0 and d["ops"]>0 else 1)'
}

# dk_wait_ready ENDPOINTS [SECONDS]: waits (default 60 tries a second apart) until dk_ready; false if it never is.
dk_wait_ready() {
  local try
  for try in $(seq 1 "${2:-60}"); do
    dk_ready "$1" && return 0
    sleep 1
  done
  return 1
}

# dk_preload ENDPOINTS KEYS: writes every key once (16-byte keys, 100-byte values), not measured.
dk_preload() {
  dk_bench --target dynamokad --endpoint "$1" --op put --preload true --concurrency 64 --keys "$2" \
    --key-size 16 --value-size 100 --duration 0.5 --warmup 0 2>/dev/null | tail -n 1 >/dev/null
}

# dk_ready_preloaded WORK WHO: waits until the cluster dk_start started last takes a quorum write, then preloads 10,000
# keys; false (after printing WHO's complaint and the nodes' last log lines) if it never does.
dk_ready_preloaded() {
  dk_wait_ready "$DK_ENDPOINTS" || { echo "$2: the cluster never took a quorum write" >&2; tail -n 20 "$1"/node*.log >&2; return 1; }
  dk_preload "$DK_ENDPOINTS" 10000
}

# dk_own_cluster NAME PORT_BASE: a bench script's own cluster from BENCH_NODE_DIR, under a fresh work directory in
# /tmp (WORK): started (PIDs in DK_PIDS), ready and preloaded; the nodes are stopped and WORK removed when the
# script exits.
dk_own_cluster() {
  local node_dir=${BENCH_NODE_DIR:?set BENCH_NODE_DIR to a published DynamoKad.Node}
  WORK=$(mktemp -d "/tmp/dynamokad-$1.XXXXXX")
  DK_NODE=(dotnet "$node_dir/DynamoKad.Node.dll")
  DK_PIDS=()
  trap 'kill "${DK_PIDS[@]}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$WORK"' EXIT
  dk_start "$WORK" "$2" "$1"
  dk_ready_preloaded "$WORK" "$1.sh" || exit 1
}
