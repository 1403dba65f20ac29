#!/usr/bin/env bash
# The long reliability run: the very tests `dotnet test` runs in CI (Category=Reliability), with every workload
# phase stretched to SECONDS (default 600) and, for the steady-load test, a node restarted every minute.
#
#   bench/soak.sh                 # every reliability test, 10-minute phases
#   bench/soak.sh 600 HistoryCheckTests.NoAcknowledgedWrite   # one test (a FullyQualifiedName fragment)
#   DYNAMOKAD_RELIABILITY_SEED=123 bench/soak.sh 60 HistoryCheckTests   # replay a seed
#   DYNAMOKAD_RELIABILITY_OWN_CONTEXTS=1 bench/soak.sh 120 HistoryCheckTests.NoAck   # finding R1 (see docs/RELIABILITY.md)
#
# The detailed log (seeds, nemesis schedules, summaries, per-window error rate and p99, memory) goes to
# bench/last-soak.log (not committed).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-600}"
test_filter="${2:-}"
export DYNAMOKAD_RELIABILITY_SECONDS="$seconds"
filter="Category=Reliability"
if [[ -n "$test_filter" ]]; then
  filter="$filter&FullyQualifiedName~$test_filter"
fi
dotnet build DynamoKad.Tests/DynamoKad.Tests.csproj -v q -nologo
# -- xUnit...: no test-collection parallelism, so each cluster has the machine to itself.
dotnet test DynamoKad.Tests/DynamoKad.Tests.csproj --no-build --filter "$filter" \
  --logger "console;verbosity=detailed" -- xUnit.ParallelizeTestCollections=false 2>&1 | tee bench/last-soak.log
