#!/usr/bin/env python3
"""Reads q3d tuning logs (JSON Lines) and answers the two questions of the tuning benchmark.

1. Search efficiency, per workload: how many trials does each strategy need to come within 5% of the
   best config that a long random search found?

       python3 Scripts/tuning_analysis.py search --random random.jsonl --model model.jsonl \
           [--tolerance 0.05] [--svg search.svg]

   The target is the best time in the random log (all its trials, e.g. 2,000). For random search two
   numbers are given: the trial at which this run got within 5% of it, and the expected number for a
   random order of the same trials, (N + 1) / (m + 1) for m such configs among N.

2. The time a user waits, for a whole model: given the log of `q3d tune --model ... --json` and its
   JSON output (one object per workload, with `nodes` and `trial_workload`), after how many seconds of
   tuning was the model's convolution time (each workload's best so far, times its node count) within
   5% of where it ended?

       python3 Scripts/tuning_analysis.py model --log tune.jsonl --summaries tune.json --start EPOCH_S

Logs may be gzipped (.gz). Only the standard library; prints Markdown tables.
"""
import argparse
import gzip
import json
import math
import sys


def load(path):
    records = []
    with (gzip.open(path, "rt") if path.endswith(".gz") else open(path)) as f:
        for number, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError:
                print(f"warning: {path}:{number}: skipped an unreadable line", file=sys.stderr)
    return records


def key(workload):
    return json.dumps(workload, sort_keys=True)


def name(workload):
    n, c, d, h, w = workload["input"]
    k, _, kd, kh, kw = workload["weight"]
    stride = "" if workload["stride"] == [1, 1, 1] else " s" + "x".join(map(str, workload["stride"]))
    return f"n{n} c{c}→{k} {d}x{h}x{w} f{kd}x{kh}x{kw}{stride}"


def by_workload(records):
    groups = {}
    for r in records:
        groups.setdefault((key(r["workload"]), r.get("impl"), r.get("output")), []).append(r)
    return groups


def first_within(records, limit):
    for i, r in enumerate(records, 1):
        if r.get("ms") is not None and r["ms"] <= limit:
            return i
    return None


def svg_plot(series, path, title):
    """A small line plot of best-so-far (relative to the best known) against trials, log-scaled x."""
    width, height, left, bottom, top, right = 760, 420, 70, 50, 40, 230
    xmax = max(len(s["best"]) for s in series)
    ymax = 2.0
    def x(i):
        return left + (width - left - right) * math.log10(i) / math.log10(max(xmax, 10))
    def y(v):
        return height - bottom - (height - bottom - top) * (min(v, ymax) - 1.0) / (ymax - 1.0)
    colors = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"]
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="12">',
           f'<rect width="{width}" height="{height}" fill="white"/>',
           f'<text x="{left}" y="22" font-size="14">{title}</text>']
    for v in (1.0, 1.05, 1.25, 1.5, 2.0):
        out.append(f'<line x1="{left}" x2="{width - right}" y1="{y(v):.1f}" y2="{y(v):.1f}" stroke="#ddd"/>')
        out.append(f'<text x="{left - 8}" y="{y(v) + 4:.1f}" text-anchor="end">{v:g}x</text>')
    t = 1
    while t <= xmax:
        out.append(f'<line x1="{x(t):.1f}" x2="{x(t):.1f}" y1="{top}" y2="{height - bottom}" stroke="#eee"/>')
        out.append(f'<text x="{x(t):.1f}" y="{height - bottom + 16}" text-anchor="middle">{t}</text>')
        t *= 10
    out.append(f'<text x="{(left + width - right) / 2}" y="{height - 12}" text-anchor="middle">trials (log scale)</text>')
    out.append(f'<text x="16" y="{(top + height - bottom) / 2}" transform="rotate(-90 16 {(top + height - bottom) / 2})" '
               'text-anchor="middle">best so far / best known</text>')
    for n, s in enumerate(series):
        color = colors[(n // 2) % len(colors)]
        dash = ' stroke-dasharray="5,4"' if s["strategy"] == "random" else ""
        points = [(x(i), y(v)) for i, v in enumerate(s["best"], 1) if v is not None]
        if points:
            out.append(f'<polyline fill="none" stroke="{color}" stroke-width="1.8"{dash} points="'
                       + " ".join(f"{a:.1f},{b:.1f}" for a, b in points) + '"/>')
        ly = top + 16 * n
        out.append(f'<line x1="{width - right + 10}" x2="{width - right + 34}" y1="{ly}" y2="{ly}" stroke="{color}" '
                   f'stroke-width="1.8"{dash}/>')
        out.append(f'<text x="{width - right + 40}" y="{ly + 4}">{s["label"]}</text>')
    out.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


def search(args):
    random_groups = by_workload(load(args.random))
    model_groups = by_workload(load(args.model))
    print(f"| workload | impl | random trials (failed) | best of random ms | random configs within {args.tolerance:.0%} | "
          "random: expected trials | random: this run | model-guided: trials | random / model | best of model ms |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    series = []
    for group, rand in random_groups.items():
        model = model_groups.get(group, [])
        ok = [r["ms"] for r in rand if r.get("ms") is not None]
        if not ok:
            continue
        # The target of the issue: within 5% of the best config the random search found.
        best_random = min(ok)
        limit = best_random * (1 + args.tolerance)
        good = sum(1 for v in ok if v <= limit)
        this_run = first_within(rand, limit)
        expected = (len(rand) + 1) / (good + 1)
        reached = first_within(model, limit)
        best_model = min((r["ms"] for r in model if r.get("ms") is not None), default=None)
        label = name(json.loads(group[0]))
        print(f"| {label} | {group[1]} | {len(rand)} ({len(rand) - len(ok)}) | {best_random:.4f} | {good} | "
              f"{expected:.0f} | {this_run} | {reached or f'not in {len(model)}'} | "
              f"{f'{expected / reached:.1f}x' if reached else '-'} | "
              f"{f'{best_model:.4f}' if best_model is not None else '-'} |")
        best = min(best_random, best_model) if best_model is not None else best_random
        for strategy, recs in (("model", model), ("random", rand)):
            running, curve = math.inf, []
            for r in recs:
                if r.get("ms") is not None:
                    running = min(running, r["ms"])
                curve.append(running / best if running < math.inf else None)
            if curve:
                series.append({"strategy": strategy, "label": f"{label.split(' ')[1]} {strategy}", "best": curve})
    if args.svg and series:
        svg_plot(series, args.svg, "Best time so far / best found by either search (dashed: random)")
        print(f"\nplot: {args.svg}")


def model(args):
    records = load(args.log)
    summaries = []
    with open(args.summaries) as f:
        for line in f:
            line = line.strip()
            if line.startswith("{"):
                summaries.append(json.loads(line))
    counts = {key(s["trial_workload"]): max(len(s.get("nodes") or []), 1) for s in summaries}
    events = sorted((r["time"], key(r["workload"]), r.get("ms")) for r in records if key(r["workload"]) in counts)
    if not events:
        sys.exit("no record of the log belongs to the summaries' workloads")
    best, curve = {}, []
    for t, k, ms in events:
        if ms is not None and ms < best.get(k, math.inf):
            best[k] = ms
        if len(best) == len(counts):
            curve.append((t, sum(counts[w] * best[w] for w in counts)))
    if not curve:
        sys.exit("some workload has no successful trial")
    final = curve[-1][1]
    start = args.start if args.start is not None else events[0][0]
    reached = next(t for t, total in curve if total <= final * (1 + args.tolerance))
    print("| workloads | nodes | trials | wall-clock of the run | model conv time at the end | "
          f"within {args.tolerance:.0%} after |")
    print("|---:|---:|---:|---:|---:|---:|")
    print(f"| {len(counts)} | {sum(counts.values())} | {len(events)} | {(events[-1][0] - start) / 60:.1f} min | "
          f"{final:.3f} ms | {(reached - start) / 60:.1f} min |")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="command", required=True)
    s = sub.add_parser("search")
    s.add_argument("--random", required=True)
    s.add_argument("--model", required=True)
    s.add_argument("--tolerance", type=float, default=0.05)
    s.add_argument("--svg")
    m = sub.add_parser("model")
    m.add_argument("--log", required=True)
    m.add_argument("--summaries", required=True)
    m.add_argument("--start", type=float)
    m.add_argument("--tolerance", type=float, default=0.05)
    args = ap.parse_args()
    search(args) if args.command == "search" else model(args)


if __name__ == "__main__":
    main()
