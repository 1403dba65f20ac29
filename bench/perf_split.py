#!/usr/bin/env python3
"""Where the nodes' CPU goes, from `perf script -F comm,pid,tid,ip,sym,dso` of a system-wide `perf record -g`.

Only samples of the given node PIDs count (the load generator and everything else are left out). Prints the
share per thread kind and library (JIT-compiled .NET code is resolved through the /tmp/perf-PID.map files that
DOTNET_PerfMapEnabled=1 writes), then the hottest functions by exclusive samples, then the inclusive share of
the frames whose names contain one of the given patterns, then the runtime's own samples (libcoreclr.so, which
has no symbols here: allocation, GC, casts, stubs, locks) charged to the managed frame that called into it.

    perf script -i perf.data -F comm,pid,tid,ip,sym,dso | bench/perf_split.py PID[,PID...] [TOP] [PATTERN...]
"""
import collections
import os
import re
import sys

pids = set(sys.argv[1].split(","))
top = int(sys.argv[2]) if len(sys.argv) > 2 else 40
patterns = sys.argv[3:]
header = re.compile(r"^(.*?)\s+(\d+)/(\d+)\s*$")


def clean(sym):
    sym = re.sub(r"\[(OptimizedTier1|Optimized|Tier0|Tier1|QuickJitted|PreJIT)\]", "", sym)
    sym = re.sub(r"\[[^\]]*\]", "", sym)
    sym = re.sub(r"\(.*$", "", sym)
    return sym.strip()[-140:]


split = collections.Counter()
exclusive = collections.Counter()
inclusive = collections.Counter()
runtime_callers = collections.Counter()
total = 0
comm = None
stack = []


def flush():
    global total
    if comm is None or not stack:
        return
    total += 1
    dso, sym = stack[0]
    split[(comm, dso)] += 1
    exclusive[f"{dso[:14]:14s} {sym}"] += 1
    for name in {s for _, s in stack}:
        inclusive[name] += 1
    if dso == "libcoreclr.so":
        runtime_callers[next((s for d, s in stack if d == "JIT"), "(no managed caller)")] += 1


for line in sys.stdin:
    if not line.strip():
        flush()
        comm, stack = None, []
        continue
    if line[0] not in " \t":
        m = header.match(line)
        comm = m.group(1).strip()[:15] if m and m.group(2) in pids else None
        stack = []
        continue
    if comm is None:
        continue
    parts = line.strip().split(" ", 1)
    if len(parts) < 2:
        continue
    sym, _, dso = parts[1].rpartition(" (")
    dso = os.path.basename(dso.rstrip(")"))
    if dso.startswith("perf-") or dso.startswith("[JIT]"):
        dso = "JIT"
    stack.append((dso, clean(sym)))
flush()

if total == 0:
    sys.exit("no samples of those PIDs")
print(f"node samples: {total}")
print("--- by thread and library (exclusive)")
for (c, d), n in split.most_common(20):
    print(f"{100 * n / total:6.2f}%  {c:16s} {d}")
print("--- hottest functions (exclusive)")
for name, n in exclusive.most_common(top):
    print(f"{100 * n / total:6.2f}%  {name}")
if patterns:
    print("--- inclusive, frames matching " + " ".join(patterns))
    for name, n in inclusive.most_common():
        if any(p in name for p in patterns) and 100 * n / total >= 0.5:
            print(f"{100 * n / total:6.2f}%  {name}")
runtime = sum(runtime_callers.values())
if runtime:
    print(f"--- libcoreclr.so samples ({100 * runtime / total:.2f}% of the nodes') by the managed frame that called in")
    for name, n in runtime_callers.most_common(top // 2):
        print(f"{100 * n / total:6.2f}%  {name}")
