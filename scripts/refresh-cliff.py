#!/usr/bin/env python3
"""Draws the latency cliff of a TTL cache and its removal by refresh-ahead.

Usage: scripts/refresh-cliff.py [calls.csv] [out.svg]

Without a CSV, runs `cargo run --release --example refresh_cliff` to make
one (and prints its percentiles). Draws every call of the first WINDOW_MS
milliseconds, latency (log scale) over the time it started, `ttl` alone and
`ttl` with `refresh` on one chart, as a hand-written SVG (no packages).
Writes docs/refresh-cliff.svg unless told otherwise.
"""
import csv
import math
import os
import subprocess
import sys
import tempfile

WINDOW_MS = 120
CPU = "AMD EPYC, 2 cores (shared)"
SERIES = [
    ("ttl alone", "#d62728", "ttl = \"20ms\""),
    ("ttl + refresh 15ms", "#1f77b4", "ttl = \"20ms\", refresh = \"15ms\""),
]
WIDTH, HEIGHT = 900, 420
LEFT, RIGHT, TOP, BOTTOM = 70, 20, 50, 60
Y_MIN_NS, Y_MAX_NS = 50, 10_000_000


def calls_csv():
    if len(sys.argv) > 1:
        return sys.argv[1]
    path = os.path.join(tempfile.mkdtemp(), "calls.csv")
    subprocess.run(
        ["cargo", "run", "--quiet", "--release", "--example", "refresh_cliff", "--", path],
        check=True,
    )
    return path


def read(path):
    calls = {name: [] for name, _, _ in SERIES}
    with open(path) as f:
        for row in csv.DictReader(f):
            start_ms = int(row["start_us"]) / 1000
            if row["configuration"] in calls and start_ms <= WINDOW_MS:
                calls[row["configuration"]].append((start_ms, int(row["latency_ns"])))
    return calls


def x_of(ms):
    return LEFT + (WIDTH - LEFT - RIGHT) * ms / WINDOW_MS


def y_of(ns):
    ns = min(max(ns, Y_MIN_NS), Y_MAX_NS)
    span = math.log10(Y_MAX_NS) - math.log10(Y_MIN_NS)
    return TOP + (HEIGHT - TOP - BOTTOM) * (math.log10(Y_MAX_NS) - math.log10(ns)) / span


def label(ns):
    for unit, size in (("ms", 1e6), ("µs", 1e3)):
        if ns >= size:
            return f"{ns / size:g} {unit}"
    return f"{ns:g} ns"


def clusters(points, slow_ns=100_000, gap_ms=2.0):
    """(start of the cluster in ms, calls in it) of the calls that took at
    least slow_ns, grouped where they start within gap_ms of each other."""
    found = []
    for ms, ns in sorted(points):
        if ns < slow_ns:
            continue
        if found and ms - found[-1][2] <= gap_ms:
            found[-1][1] += 1
            found[-1][2] = ms
        else:
            found.append([ms, 1, ms])
    return [(ms, count) for ms, count, _ in found]


def svg(calls):
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif" font-size="12">',
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="white"/>',
        f'<text x="{WIDTH / 2}" y="20" text-anchor="middle" font-size="14">'
        "Call latency of a hot key whose computation takes 1 ms, 8 callers</text>",
        f'<text x="{WIDTH / 2}" y="38" text-anchor="middle" fill="#555">'
        f"each dot one call; the numbers count the calls slower than 100 µs at each expiry or refresh; "
        f"first {WINDOW_MS} ms of a 2 s run; {CPU}</text>",
    ]
    plot_bottom = HEIGHT - BOTTOM
    for ns in (100, 1_000, 10_000, 100_000, 1_000_000):
        y = y_of(ns)
        out.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>')
        out.append(f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{label(ns)}</text>')
    for ms in range(0, WINDOW_MS + 1, 20):
        x = x_of(ms)
        out.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{TOP}" y2="{plot_bottom}" stroke="#eee"/>')
        out.append(f'<text x="{x:.1f}" y="{plot_bottom + 16}" text-anchor="middle">{ms} ms</text>')
    out.append(
        f'<text x="{(LEFT + WIDTH - RIGHT) / 2}" y="{HEIGHT - 22}" text-anchor="middle">'
        "time the call started</text>"
    )
    out.append(
        f'<text transform="translate(16 {(TOP + plot_bottom) / 2}) rotate(-90)" '
        'text-anchor="middle">call latency (log scale)</text>'
    )
    out.append(
        f'<rect x="{LEFT}" y="{TOP}" width="{WIDTH - LEFT - RIGHT}" '
        f'height="{plot_bottom - TOP}" fill="none" stroke="#888"/>'
    )
    for i, (name, color, attribute) in enumerate(SERIES):
        points = calls[name]
        slow = sum(1 for _, ns in points if ns >= 1_000_000)
        out.append(f'<g fill="{color}" fill-opacity="0.55">')
        for ms, ns in points:
            out.append(f'<circle cx="{x_of(ms):.1f}" cy="{y_of(ns):.1f}" r="2"/>')
        out.append("</g>")
        # Dots of calls that waited for one computation fall on each other:
        # each cluster of slow calls is labelled with how many it holds.
        for ms, count in clusters(points):
            above = 12 + 12 * i
            out.append(
                f'<text x="{x_of(ms):.1f}" y="{y_of(2_000_000) - above + 12:.1f}" '
                f'text-anchor="middle" fill="{color}" font-weight="bold">{count}</text>'
            )
        lx, ly = LEFT + 12, y_of(250_000) + 16 * i
        out.append(f'<circle cx="{lx}" cy="{ly - 4}" r="4" fill="{color}"/>')
        out.append(
            f'<text x="{lx + 10}" y="{ly}">#[cached({attribute})]: '
            f"{slow} of {len(points)} calls took ≥ 1 ms</text>"
        )
    out.append("</svg>")
    return "\n".join(out) + "\n"


def main():
    path = calls_csv()
    target = sys.argv[2] if len(sys.argv) > 2 else "docs/refresh-cliff.svg"
    os.makedirs(os.path.dirname(target) or ".", exist_ok=True)
    with open(target, "w") as f:
        f.write(svg(read(path)))
    print(f"wrote {target}")


if __name__ == "__main__":
    main()
