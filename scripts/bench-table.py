#!/usr/bin/env python3
"""Markdown tables from the criterion results of compare/benches/hits.rs.

Usage: scripts/bench-table.py [compare/target/criterion]
Prints one table per group: time per call (ns) and, where the group has a
memokit row, each row's time relative to memokit's. The thread group prints
hits per second per contestant and thread count.

The time is that of the fastest of criterion's samples (each sample is
thousands to millions of calls), not the mean: on a machine shared with
other work, preemption only ever adds time, so the fastest sample is the
least disturbed one. Pass --mean for criterion's mean instead.

The thread group is the exception: there the fastest sample is the one in
which the threads overlapped least (one ran while the other waited for a
core), which hides contention, so it reports the median sample.
"""
import json
import os
import sys

ARGS = [a for a in sys.argv[1:] if not a.startswith("--")]
MEAN = "--mean" in sys.argv
ROOT = ARGS[0] if ARGS else "compare/target/criterion"
GROUPS = ["hit_no_arg", "hit_keyed", "hit_ttl", "hit_bounded", "hit_str", "miss"]


def median_ns(path):
    with open(os.path.join(path, "new", "sample.json")) as f:
        sample = json.load(f)
    per_call = sorted(t / n for t, n in zip(sample["times"], sample["iters"]))
    middle = len(per_call) // 2
    if len(per_call) % 2:
        return per_call[middle]
    return (per_call[middle - 1] + per_call[middle]) / 2


def mean_ns(path):
    if MEAN:
        with open(os.path.join(path, "new", "estimates.json")) as f:
            return json.load(f)["mean"]["point_estimate"]
    with open(os.path.join(path, "new", "sample.json")) as f:
        sample = json.load(f)
    return min(t / n for t, n in zip(sample["times"], sample["iters"]))


def group(name):
    base = os.path.join(ROOT, name)
    if not os.path.isdir(base):
        return
    rows = {b: mean_ns(os.path.join(base, b)) for b in sorted(os.listdir(base))
            if os.path.isfile(os.path.join(base, b, "new", "estimates.json"))}
    ours = rows.get("memokit")
    print(f"\n#### {name}\n")
    print("| contestant | ns/call | × memokit |")
    print("|---|---:|---:|")
    for b, ns in sorted(rows.items(), key=lambda r: r[1]):
        rel = f"{ns / ours:.2f}" if ours else ""
        print(f"| {b} | {ns:.1f} | {rel} |")


def threads():
    base = os.path.join(ROOT, "threads_keyed")
    if not os.path.isdir(base):
        return
    print("\n#### threads_keyed (million hits/s, all threads together, median sample)\n")
    print("| contestant | 1 thread | 2 threads | 4 threads | 2t / 1t |")
    print("|---|---:|---:|---:|---:|")
    names = sorted({d.rsplit("_", 1)[0] for d in os.listdir(base) if d != "report"})
    for who in names:
        rates = {}
        for t in ("1", "2", "4"):
            path = os.path.join(base, f"{who}_{t}")
            if os.path.isdir(path):
                rates[t] = int(t) / median_ns(path) * 1e3
        if rates:
            cells = " | ".join(f"{rates.get(t, 0):.1f}" for t in ("1", "2", "4"))
            scale = rates.get("2", 0) / rates["1"] if rates.get("1") else 0
            print(f"| {who} | {cells} | {scale:.2f} |")


for g in GROUPS:
    group(g)
threads()
