#!/usr/bin/env python3
"""compare.sh's table: one JSON line per run in, ratios DynamoKad/etcd out, then ONE JSON line."""
import json
import statistics
import sys

results_path, duration, rounds, concurrency, cores = sys.argv[1:6]
settle = sys.argv[6] if len(sys.argv) > 6 else "0"
one_endpoint = len(sys.argv) > 7 and sys.argv[7] == "1"
runs = [json.loads(line) for line in open(results_path) if line.strip()]


def pick(target, op, r=None):
    """The runs of target and op; with r, only those sent with that per-request R (else only the cluster's R)."""
    return [x for x in runs if x["target"] == target and x["op"] == op and x.get("r") == r]


def mean(rs, field):
    values = [r[field] for r in rs if field in r]
    return statistics.fmean(values) if values else float("nan")


def ratio(a, b):
    return round(a / b, 3) if b and b == b and a == a else None


print()
print(f"per run ({rounds} rounds, {duration} s measured each, {concurrency} callers"
      f"{' all on one endpoint of each system' if one_endpoint else ''}, {cores} cores, after {settle} s of unmeasured settling per target and workload):")
print(f"{'round':>5} {'target':<17} {'op':<8} {'ops/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'p99.9 ms':>9} {'errors':>7} {'srv µs/op':>10} {'cli CPU%':>9}")
for r in runs:
    op_label = r["op"] + (f" R={r['r']}" if "r" in r else "")
    print(f"{r['round']:>5} {r['target']:<17} {op_label:<8} {r['ops_per_sec']:>9.0f} {r['p50_ms']:>8.2f} {r['p99_ms']:>8.2f} "
          f"{r['p999_ms']:>9.2f} {r['errors']:>7} {r.get('server_cpu_us_per_op', float('nan')):>10.0f} {r['client_cpu_pct']:>9.0f}")

dk_client = next((r["client"] for r in runs if r["target"] == "dynamokad" and "client" in r), "unary")
other = next((r for r in runs if r["target"].startswith("dynamokad_")), None)
other_target, other_client = (other["target"], other.get("client", "?")) if other else (None, None)

print()
print(f"mean over rounds, DynamoKad ({dk_client} client) / etcd:")
print(f"{'workload':<8} {'DK ops/s':>9} {'etcd ops/s':>10} {'ratio':>6} | {'DK p99':>7} {'etcd p99':>8} {'ratio':>6} | {'DK p50':>7} {'etcd p50':>8} | {'DK µs/op':>8} {'etcd µs/op':>10} | errors DK/etcd")
summary = {}
for op in ("put", "get", "mixed"):
    dk, etcd = pick("dynamokad", op), pick("etcd", op)
    s = {
        "dk_ops": mean(dk, "ops_per_sec"), "etcd_ops": mean(etcd, "ops_per_sec"),
        "dk_p99": mean(dk, "p99_ms"), "etcd_p99": mean(etcd, "p99_ms"),
        "dk_p50": mean(dk, "p50_ms"), "etcd_p50": mean(etcd, "p50_ms"),
        "dk_cpu": mean(dk, "server_cpu_us_per_op"), "etcd_cpu": mean(etcd, "server_cpu_us_per_op"),
        "dk_err": sum(r["errors"] for r in dk), "etcd_err": sum(r["errors"] for r in etcd),
    }
    s["ratio"] = ratio(s["dk_ops"], s["etcd_ops"])
    s["p99_ratio"] = ratio(s["dk_p99"], s["etcd_p99"])
    summary[op] = s
    print(f"{op:<8} {s['dk_ops']:>9.0f} {s['etcd_ops']:>10.0f} {s['ratio'] or float('nan'):>6.2f} | "
          f"{s['dk_p99']:>7.2f} {s['etcd_p99']:>8.2f} {s['p99_ratio'] or float('nan'):>6.2f} | "
          f"{s['dk_p50']:>7.2f} {s['etcd_p50']:>8.2f} | {s['dk_cpu']:>8.0f} {s['etcd_cpu']:>10.0f} | {s['dk_err']}/{s['etcd_err']}")

other_summary = {}
if other_target:
    print()
    print(f"DynamoKad with the {other_client} client, in the same rounds (/ etcd's runs above):")
    for op in ("put", "get"):
        o = pick(other_target, op)
        if not o:
            continue
        s = {"ops": mean(o, "ops_per_sec"), "p99": mean(o, "p99_ms"), "cpu": mean(o, "server_cpu_us_per_op"), "err": sum(r["errors"] for r in o)}
        s["ratio"] = ratio(s["ops"], summary[op]["etcd_ops"])
        s["p99_ratio"] = ratio(s["p99"], summary[op]["etcd_p99"])
        s["vs_main"] = ratio(summary[op]["dk_ops"], s["ops"])
        other_summary[op] = s
        print(f"{op:<8} {s['ops']:>9.0f} ops/s = {s['ratio'] or float('nan'):.2f}x etcd's, p99 {s['p99']:.2f} ms = {s['p99_ratio'] or float('nan'):.2f} of etcd's, "
              f"{s['cpu']:.0f} µs server CPU per op, {s['err']} errors; the {dk_client} client ran {s['vs_main'] or float('nan'):.2f}x its throughput")

echo = pick("echo", "put")
echo_ops = mean(echo, "ops_per_sec")
print()
print(f"gRPC echo floor: {echo_ops:.0f} RPC/s, p99 {mean(echo, 'p99_ms'):.2f} ms, "
      f"{mean(echo, 'server_cpu_us_per_op'):.0f} µs server CPU per RPC (same callers, same client)")
if echo_ops == echo_ops and summary["put"]["dk_ops"] == summary["put"]["dk_ops"] and summary["put"]["dk_ops"] > 0:
    print(f"DynamoKad put = {echo_ops / summary['put']['dk_ops']:.1f} echo RPCs of capacity; "
          f"get = {echo_ops / summary['get']['dk_ops']:.1f}" if summary["get"]["dk_ops"] else "")

hop = pick("echo_hop", "put")
hop_ops = mean(hop, "ops_per_sec")
if hop:
    etcd_get = summary["get"]["etcd_ops"]
    print(f"one-hop floor (the echo relayed over one batched TCP link to a frame echo and back, no storage or quorum work): "
          f"{hop_ops:.0f} RPC/s, {mean(hop, 'server_cpu_us_per_op'):.0f} µs server CPU per RPC = "
          f"{ratio(hop_ops, etcd_get) or float('nan'):.2f}x etcd's gets; an R=2 get does this and its own work")


def cpu_per_op(rs):
    """Client + server CPU per operation (µs): with both cores busy, throughput is about cores / this."""
    values = [r["client_cpu_s"] * 1e6 / r["ops"] + r["server_cpu_us_per_op"] for r in rs if r.get("ops") and "server_cpu_us_per_op" in r]
    return statistics.fmean(values) if values else float("nan")


print("client + server CPU per operation (µs; 2 cores / this ~ ops/s): "
      + ", ".join(f"{name} {cpu_per_op(rs):.0f}" for name, rs in (
          ("DK get", pick("dynamokad", "get")), ("etcd get", pick("etcd", "get")), ("DK put", pick("dynamokad", "put")),
          ("etcd put", pick("etcd", "put")), (f"DK {other_client} get", pick(other_target, "get")),
          (f"DK {other_client} put", pick(other_target, "put")), ("echo", echo), ("one-hop floor", hop)) if rs))

r1 = pick("dynamokad", "get", r=1)
r1_ops = mean(r1, "ops_per_sec")
if r1:
    etcd_get = summary["get"]["etcd_ops"]
    print(f"DynamoKad get at R=1 (the coordinator's own replica, no replica hop: the floor of a get here): {r1_ops:.0f} gets/s, "
          f"{mean(r1, 'server_cpu_us_per_op'):.0f} µs server CPU per get = {ratio(r1_ops, etcd_get) or float('nan'):.2f}x etcd's gets, "
          f"{ratio(r1_ops, echo_ops) or float('nan'):.2f} of the echo floor; 2x etcd's gets = {ratio(2 * etcd_get, echo_ops) or float('nan'):.2f} of it")

final = {
    "dynamokad_client": dk_client,
    "put_ratio": summary["put"]["ratio"],
    "get_ratio": summary["get"]["ratio"],
    "mixed_ratio": summary["mixed"]["ratio"],
    "put_p99_ratio": summary["put"]["p99_ratio"],
    "get_p99_ratio": summary["get"]["p99_ratio"],
    "mixed_p99_ratio": summary["mixed"]["p99_ratio"],
    "dynamokad_put_ops": round(summary["put"]["dk_ops"], 1),
    "etcd_put_ops": round(summary["put"]["etcd_ops"], 1),
    "dynamokad_get_ops": round(summary["get"]["dk_ops"], 1),
    "etcd_get_ops": round(summary["get"]["etcd_ops"], 1),
    "dynamokad_mixed_ops": round(summary["mixed"]["dk_ops"], 1),
    "etcd_mixed_ops": round(summary["mixed"]["etcd_ops"], 1),
    "dynamokad_put_p99_ms": round(summary["put"]["dk_p99"], 3),
    "etcd_put_p99_ms": round(summary["put"]["etcd_p99"], 3),
    "dynamokad_get_p99_ms": round(summary["get"]["dk_p99"], 3),
    "etcd_get_p99_ms": round(summary["get"]["etcd_p99"], 3),
    **({f"put_ratio_{other_client}": other_summary["put"]["ratio"],
        f"get_ratio_{other_client}": other_summary["get"]["ratio"],
        f"put_p99_ratio_{other_client}": other_summary["put"]["p99_ratio"],
        f"get_p99_ratio_{other_client}": other_summary["get"]["p99_ratio"],
        f"dynamokad_{other_client}_put_ops": round(other_summary["put"]["ops"], 1),
        f"dynamokad_{other_client}_get_ops": round(other_summary["get"]["ops"], 1)} if "put" in other_summary and "get" in other_summary else {}),
    "echo_rpc_per_sec": round(echo_ops, 1),
    "echo_hop_rpc_per_sec": round(hop_ops, 1) if hop else None,
    "echo_hop_vs_etcd_get": ratio(hop_ops, summary["get"]["etcd_ops"]) if hop else None,
    "dynamokad_get_r1_ops": round(r1_ops, 1) if r1 else None,
    "get_r1_ratio": ratio(r1_ops, summary["get"]["etcd_ops"]) if r1 else None,
    "errors": sum(r["errors"] for r in runs),
    "rounds": int(rounds),
    "duration_s": float(duration),
    "concurrency": int(concurrency),
    "cores": int(cores),
    "settle_s": float(settle),
    "one_endpoint": one_endpoint,
}
print()
print(json.dumps({k: (None if isinstance(v, float) and v != v else v) for k, v in final.items()}))
