#!/usr/bin/env python3
"""Top frames of a dotnet-trace speedscope file, counting only on-CPU time (leaf CPU_TIME).

    dotnet-trace collect -p PID --duration 00:00:00:10 --format speedscope -o put.nettrace
    python3 bench/speedscope_top.py put.speedscope.json [N]
"""
import collections
import json
import sys

data = json.load(open(sys.argv[1]))
top = int(sys.argv[2]) if len(sys.argv) > 2 else 40
frames = data["shared"]["frames"]
names = [f["name"] for f in frames]
cpu = {i for i, n in enumerate(names) if n == "CPU_TIME"}
excl, incl, total = collections.Counter(), collections.Counter(), 0.0
for profile in data["profiles"]:
    stack, last = [], None
    for event in profile.get("events", []):
        at = event["at"]
        if stack and last is not None and stack[-1] in cpu:
            dt = at - last
            total += dt
            real = [f for f in stack if f not in cpu]
            if real:
                excl[real[-1]] += dt
            for f in set(real):
                incl[f] += dt
        if event["type"] == "O":
            stack.append(event["frame"])
        elif stack:
            stack.pop()
        last = at

print(f"on-CPU time {total:.0f} ms")
for title, counter in (("exclusive", excl), ("inclusive", incl)):
    print(f"--- {title}")
    for frame, weight in counter.most_common(top):
        print(f"{100 * weight / total:6.2f}% {names[frame][:160]}")
