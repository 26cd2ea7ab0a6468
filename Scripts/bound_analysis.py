#!/usr/bin/env python3
"""What bounds each benchmark layer's best imma / imma_wgmma config: bytes, waves, occupancy.

Reads the rows `q3d bench --rows` wrote (one JSON object per candidate: config, ms, registers), the
objects of `q3d conv3d --json` (Scripts/gpu_session.sh candidates), or tuning logs (`q3d tune --log`,
plain or .gz; registers from each record's `detail`), and
the PyTorch timings of the same device run (Scripts/bench_torch.py), and prints a Markdown table per
layer for its fastest passing config:

- L2->SM MB: the bytes the implicit GEMM's cp.async loaders move into shared memory. Every block
  loads a (block_m + block_n) x block_k stage per k-tile, so the activations are read once per tap
  and per output-channel tile, the weights once per pixel tile; split-K adds its int32 workspace
  (written and read back once per split).
- TB/s: those bytes over the kernel's median time: the rate the L2 and the SMs' load path sustain.
- blocks/SM: resident blocks per SM as the shared memory (227 KiB per SM usable), the registers
  (64 K per SM, allocated per warp in units of 256) and the 2048-thread limit allow.
- waves: blocks over (SMs x blocks/SM); a fraction just above a whole number idles most SMs in the
  last wave.
- peak ms: the operations at the int8 dense tensor-core peak (ANCHORS.md: about 1979 TOPS on H100).

    python3 Scripts/bound_analysis.py bench/results/X-bench-imma-wgmma.jsonl [more.jsonl] \
        --torch bench/results/X-torch.json [--sms 132]
"""
import argparse
import gzip
import json
import math
import re

LAYERS = {
    # name: N, C, K, (D, H, W), (kd, kh, kw), stride, pad
    "r3d.stem": (8, 3, 64, (16, 112, 112), (3, 7, 7), (1, 2, 2), (1, 3, 3)),
    "r3d.l1": (8, 64, 64, (16, 56, 56), (3, 3, 3), (1, 1, 1), (1, 1, 1)),
    "r3d.l2": (8, 128, 128, (8, 28, 28), (3, 3, 3), (1, 1, 1), (1, 1, 1)),
    "r3d.l3": (8, 256, 256, (4, 14, 14), (3, 3, 3), (1, 1, 1), (1, 1, 1)),
    "r3d.l4": (8, 512, 512, (2, 7, 7), (3, 3, 3), (1, 1, 1), (1, 1, 1)),
    "r2p1d.s": (8, 64, 144, (16, 56, 56), (1, 3, 3), (1, 1, 1), (0, 1, 1)),
    "r2p1d.t": (8, 144, 64, (16, 56, 56), (3, 1, 1), (1, 1, 1), (1, 0, 0)),
    "i3d.pw": (8, 256, 64, (8, 28, 28), (1, 1, 1), (1, 1, 1), (0, 0, 0)),
    "unet.64": (1, 64, 64, (64, 64, 64), (3, 3, 3), (1, 1, 1), (1, 1, 1)),
}
PEAK_TOPS = 1979.0
SMEM_PER_SM = 227 * 1024
REGS_PER_SM = 65536


def layer_of(workload):
    """The LAYERS name of a tuning-log workload (input, weight, stride, padding), or None."""
    n, c, d, h, w = workload["input"]
    k, _, kd, kh, kw = workload["weight"]
    for name, (ln, lc, lk, dhw, kernel, stride, pad) in LAYERS.items():
        if ((ln, lc, lk, tuple(dhw), tuple(kernel), tuple(stride)) == (n, c, k, (d, h, w), (kd, kh, kw), tuple(workload["stride"]))
                and list(workload["padding"][:3]) == list(pad) and workload.get("groups", 1) == 1):
            return name
    return None


def round_up(x, m):
    return (x + m - 1) // m * m


def geometry(name):
    n, c, k, dhw, kernel, stride, pad = LAYERS[name]
    out = [(dhw[i] + 2 * pad[i] - kernel[i]) // stride[i] + 1 for i in range(3)]
    taps = kernel[0] * kernel[1] * kernel[2]
    cp, kp = round_up(c, 4), round_up(k, 4)
    m = n * out[0] * out[1] * out[2]
    return {
        "m": m, "n": kp, "reduction": taps * cp, "flops": 2 * m * k * c * taps,
        "min_bytes": n * dhw[0] * dhw[1] * dhw[2] * cp + kp * taps * cp + m * kp,
    }


def analyse_halo(row, sms):
    """An imma_halo row: each block holds a tile_z x tile_y x tile_x output box and block_n filters; per
    channel block it copies the box's halo (the box grown by the kernel minus one) once and streams the
    weights of every tap, so the activations are read once per box and output-channel tile."""
    name = row["workload"]
    g = geometry(name)
    n, c, k, dhw, kernel, stride, pad = LAYERS[name]
    cfg = json.loads(row["config"])
    box = (cfg["tile_z"], cfg["tile_y"], cfg["tile_x"])
    out = [(dhw[i] + 2 * pad[i] - kernel[i]) // stride[i] + 1 for i in range(3)]
    boxes = n * math.prod(math.ceil(out[i] / box[i]) for i in range(3))
    tiles = boxes * math.ceil(g["n"] / cfg["block_n"])
    halo = math.prod(box[i] + kernel[i] - 1 for i in range(3))
    cp = round_up(c, 4)
    threads = 128 * cfg["warpgroups"]
    resident = cfg.get("resident") == 1
    if resident:
        # Resident weights: a persistent grid (132 blocks per resident block per SM, whole n-tiles) copies its
        # n-tile's weights once per block; each warpgroup walks boxes.
        n_tiles = math.ceil(g["n"] / cfg["block_n"])
        grid = n_tiles * min(math.ceil(boxes / cfg["warpgroups"]), max(1, 132 * cfg.get("min_blocks", 1) // n_tiles))
        loads = tiles * halo * cp + grid * cfg["block_n"] * g["reduction"]
    else:
        loads = tiles * (halo * cp + cfg["block_n"] * g["reduction"])
    regs = row.get("registers") or 255
    found = re.search(r"(\d+) bytes of shared memory", row.get("detail") or "")
    smem = int(found.group(1)) if found else None
    warp_regs = round_up(regs * 32, 256)
    limits = [REGS_PER_SM // (warp_regs * threads // 32), 2048 // threads, 32]
    if smem:
        limits.append(SMEM_PER_SM // (smem + 1024))
    per_sm = min(limits)
    ms = row["ms"]
    return {
        "layer": name, "ms": ms, "tops": g["flops"] / ms / 1e9, "config": cfg,
        "l2_mb": loads / 1e6, "tbs": loads / ms / 1e9, "dram_mb": g["min_bytes"] / 1e6, "blocks": tiles,
        "per_sm": per_sm, "waves": tiles / (sms * max(per_sm, 1)), "registers": regs, "threads": threads,
        "smem_kb": (smem or 0) / 1024, "peak_ms": g["flops"] / PEAK_TOPS / 1e9,
        "tile": f"box {box[0]}x{box[1]}x{box[2]} x {cfg['block_n']}, channels {cfg['channel_block']}, "
                + ("resident" if resident else f"{cfg['stages']}"),
    }


def analyse(row, sms):
    cfg = json.loads(row["config"])
    if "tile_z" in cfg:
        return analyse_halo(row, sms)
    g = geometry(row["workload"])
    bm, bn, bk = cfg["block_m"], cfg["block_n"], cfg["block_k"]
    threads = 128 * cfg["warpgroups"] if "warpgroups" in cfg else 32 * cfg["warps_m"] * cfg["warps_n"]
    specialized = cfg.get("warp_specialized", 0) == 1
    if specialized:
        threads += 128  # the producer warpgroup
    split = cfg.get("split_k", 1)
    tiles = math.ceil(g["m"] / bm) * math.ceil(g["n"] / bn)
    k_tiles = math.ceil(g["reduction"] / bk)
    loads = tiles * k_tiles * (bm + bn) * bk
    workspace = 2 * tiles * split * bm * bn * 4 if split > 1 else 0
    stream_k = cfg.get("stream_k", 0) == 1
    if stream_k:
        # Stream-K: 132 x min_blocks blocks share the k-tiles; each publishes at most one partial tile.
        stream_blocks = min(tiles * k_tiles, sms * cfg.get("min_blocks", 1))
        workspace = 2 * stream_blocks * bm * bn * 4
    smem = cfg["stages"] * (bm + bn) * bk + (1024 if "warpgroups" in cfg else 0) + (16 * cfg["stages"] if specialized else 0)
    regs = row.get("registers") or 255
    warp_regs = round_up(regs * 32, 256)
    per_sm = min(SMEM_PER_SM // (smem + 1024), REGS_PER_SM // (warp_regs * threads // 32), 2048 // threads, 32)
    blocks = stream_blocks if stream_k else tiles * split
    ms = row["ms"]
    return {
        "layer": row["workload"], "ms": ms, "tops": g["flops"] / ms / 1e9, "config": cfg,
        "l2_mb": (loads + workspace) / 1e6, "tbs": (loads + workspace) / ms / 1e9,
        "dram_mb": g["min_bytes"] / 1e6, "blocks": blocks, "per_sm": per_sm,
        "waves": blocks / (sms * max(per_sm, 1)), "registers": regs, "threads": threads, "smem_kb": smem / 1024,
        "peak_ms": g["flops"] / PEAK_TOPS / 1e9,
        "tile": f"{bm}x{bn}x{bk}, {cfg['stages']}, " + ("stream-K" if stream_k else f"{split}")
                + (", warp-specialized" if specialized else ""),
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("rows", nargs="*")
    ap.add_argument("--peak", help="q3d peak --json lines of the same run: the measured wgmma ceiling")
    ap.add_argument("--torch", help="bench_torch.py JSON of the same run")
    ap.add_argument("--sms", type=int, default=132)
    args = ap.parse_args()
    torch_ms = {}
    ceiling = None
    if args.torch:
        with open(args.torch) as f:
            measured = json.load(f)
        for layer in measured["layers"]:
            torch_ms[layer["name"]] = layer["fp16cl"]["ms"]
        ceiling = (measured.get("int8_matmul_ceiling") or {}).get("tops")
    wgmma_peak = None
    if args.peak:
        with open(args.peak) as f:
            peaks = [json.loads(line) for line in f if line.strip().startswith("{")]
        print("| wgmma | data | blocks | regs | ms | TOPS | SM MHz | MAC/SM/clk | check |")
        print("|---|---|---|---|---|---|---|---|---|")
        for p in peaks:
            check = "exact" if p["mismatches"] + p["unwritten"] == 0 else f"{p['mismatches']} wrong, {p['unwritten']} unwritten"
            print(f"| {p['kernel']} | {p['data']} | {p['blocks']} | {p['registers']} | {p['medianMilliseconds']:.3f} "
                  f"| {p['tops']:.0f} | {p['clockMHz']:.0f} | {p['macsPerSMClock']:.0f} | {check} |")
        exact = [p for p in peaks if p["copyRows"] == 0 and p["data"] == "random" and p["mismatches"] + p["unwritten"] == 0]
        if exact:
            wgmma_peak = max(p["tops"] for p in exact)
            print(f"\nmeasured wgmma s8 ceiling (random operands, no copies): {wgmma_peak:.0f} TOPS\n")
    best = {}
    for path in args.rows:
        impl = "imma_halo" if "halo" in path else ("imma_wgmma" if "wgmma" in path else "imma")
        with (gzip.open(path, "rt") if path.endswith(".gz") else open(path)) as f:
            for line in f:
                row = json.loads(line)
                if isinstance(row.get("workload"), dict):
                    # A tuning-log record: the layer from its shapes, registers in `detail`.
                    name = layer_of(row["workload"])
                    found = re.search(r"(\d+) registers", row.get("detail") or "")
                    row = dict(row, workload=name, outcome="passed" if row.get("ms") is not None else "failed",
                               registers=int(found.group(1)) if found else None)
                    if name is None:
                        continue
                elif "layer" in row and "workload" not in row:
                    # A `q3d conv3d --json` object: the layer, `verified`, registers in `detail`.
                    found = re.search(r"(\d+) registers", row.get("detail", ""))
                    row = dict(row, workload=row["layer"], outcome="passed" if row.get("verified") else "failed",
                               registers=int(found.group(1)) if found else None)
                    if not isinstance(row["config"], str):
                        row["config"] = json.dumps(row["config"])
                if row.get("outcome") != "passed" or row.get("ms") is None or row["workload"] not in LAYERS:
                    continue
                if row["workload"] not in best or row["ms"] < best[row["workload"]][1]["ms"]:
                    best[row["workload"]] = (row.get("impl") or impl, row)
    if not best:
        return
    if ceiling:
        print(f"int8 ceiling of the run (torch._int_mm): {ceiling:.0f} TOPS\n")
    print("| layer | impl | ms | x fp16cl | TOPS | of ceiling | peak ms | L2->SM MB | TB/s | blocks | blocks/SM | waves "
          "| regs | smem KiB | tile (m x n x k, stages, split; or the halo box) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for name in LAYERS:
        if name not in best:
            continue
        impl, row = best[name]
        a = analyse(row, args.sms)
        c = a["config"]
        ratio = f"{torch_ms[name] / a['ms']:.2f}" if name in torch_ms else "-"
        share = f"{a['tops'] / ceiling:.0%}" if ceiling else "-"
        if wgmma_peak:
            share += f" ({a['tops'] / wgmma_peak:.0%} of wgmma)"
        print(f"| {name} | {impl} | {a['ms']:.4f} | {ratio} | {a['tops']:.0f} | {share} | {a['peak_ms']:.4f} "
              f"| {a['l2_mb']:.0f} | {a['tbs']:.1f} | {a['blocks']} | {a['per_sm']} | {a['waves']:.2f} "
              f"| {a['registers']} | {a['smem_kb']:.0f} | {a['tile']} |")


if __name__ == "__main__":
    main()
