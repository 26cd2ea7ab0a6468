#!/usr/bin/env python3
"""PyTorch's conv3d on the benchmark layers of shared/ANCHORS.md, timed with CUDA events.

The anchor Q3D is compared with, measured in the same device run: fp16 channels-last (cuDNN), the
fastest path a PyTorch user has, and optionally fp32/tf32/fp16. Prints a table and writes JSON.

    python3 Scripts/bench_torch.py --out torch.json [--modes fp16cl,fp16] [--repeats 50] [--depthwise] [--grouped]
"""
import argparse
import json
import sys
import time

import torch

LAYERS = [
    # name, N, C, K, (D, H, W), (kd, kh, kw), stride, pad
    ("r3d.stem", 8, 3, 64, (16, 112, 112), (3, 7, 7), (1, 2, 2), (1, 3, 3)),
    ("r3d.l1", 8, 64, 64, (16, 56, 56), (3, 3, 3), (1, 1, 1), (1, 1, 1)),
    ("r3d.l2", 8, 128, 128, (8, 28, 28), (3, 3, 3), (1, 1, 1), (1, 1, 1)),
    ("r3d.l3", 8, 256, 256, (4, 14, 14), (3, 3, 3), (1, 1, 1), (1, 1, 1)),
    ("r3d.l4", 8, 512, 512, (2, 7, 7), (3, 3, 3), (1, 1, 1), (1, 1, 1)),
    ("r2p1d.s", 8, 64, 144, (16, 56, 56), (1, 3, 3), (1, 1, 1), (0, 1, 1)),
    ("r2p1d.t", 8, 144, 64, (16, 56, 56), (3, 1, 1), (1, 1, 1), (1, 0, 0)),
    ("i3d.pw", 8, 256, 64, (8, 28, 28), (1, 1, 1), (1, 1, 1), (0, 0, 0)),
    ("unet.64", 1, 64, 64, (64, 64, 64), (3, 3, 3), (1, 1, 1), (1, 1, 1)),
]

# Grouped layers of AnchorLayers.groupedSet (ResNeXt-3D-like, 32 groups; channel-separated-like, 4
# groups), for --grouped: name, N, C, K, groups, (D, H, W), stride; 3x3x3, padding 1.
GROUPED = [
    ("g32.c128", 8, 128, 128, 32, (8, 56, 56), (1, 1, 1)),
    ("g32.c256", 8, 256, 256, 32, (8, 28, 28), (1, 1, 1)),
    ("g32.c512s2", 8, 512, 512, 32, (8, 28, 28), (1, 2, 2)),
    ("g4.c256", 8, 256, 256, 4, (8, 14, 14), (1, 1, 1)),
]

# Depthwise layers (groups = C = K) of AnchorLayers.depthwiseSet, for --depthwise; the odd dw.c21d2
# is a correctness workload and is not timed.
DEPTHWISE = [
    ("dw.c96", 8, 96, (16, 56, 56), (1, 1, 1)),
    ("dw.c96s2", 8, 96, (16, 56, 56), (1, 2, 2)),
    ("dw.c54", 8, 54, (16, 28, 28), (1, 1, 1)),
]


def time_ms(fn, warmup, repeats):
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(repeats):
        start = torch.cuda.Event(enable_timing=True)
        end = torch.cuda.Event(enable_timing=True)
        start.record()
        fn()
        end.record()
        end.synchronize()
        times.append(start.elapsed_time(end))
    times.sort()
    return times[len(times) // 2], times[0], times[-1]


def int8_ceiling(warmup, repeats):
    """The int8 tensor-core ceiling as this card reaches it through cuBLASLt: torch._int_mm on large
    square matrices (int8 x int8 -> int32), the best of a few sizes."""
    best = {"tops": 0.0}
    for size in (4096, 8192, 16384):
        a = torch.randint(-128, 127, (size, size), device="cuda", dtype=torch.int8)
        # cuBLASLt's int8 tensor-core kernels take B column-major: a transposed view.
        b = torch.randint(-128, 127, (size, size), device="cuda", dtype=torch.int8).t()
        try:
            med, lo, hi = time_ms(lambda: torch._int_mm(a, b), warmup, max(10, repeats // 5))
        except RuntimeError as error:
            print(f"int8 ceiling {size}: {error}", file=sys.stderr)
            continue
        tops = 2 * size**3 / med / 1e9
        print(f"int8 _int_mm {size}^3 {med:8.3f} ms  {tops:6.1f} TOPS", file=sys.stderr)
        if tops > best["tops"]:
            best = {"size": size, "ms": med, "tops": tops}
    return best


def copy_ceiling(warmup, repeats):
    """Device-to-device copy bandwidth (bytes read + bytes written per second) of a 1 GiB buffer:
    the ceiling a memory-bound kernel such as depthwise conv3d is judged against."""
    a = torch.empty(1 << 30, device="cuda", dtype=torch.uint8).fill_(1)
    b = torch.empty_like(a)
    med, lo, hi = time_ms(lambda: b.copy_(a), warmup, max(10, repeats // 5))
    gbs = 2 * a.numel() / med / 1e6
    print(f"copy 1 GiB {med:8.3f} ms  {gbs:7.1f} GB/s (read + write)", file=sys.stderr)
    return {"bytes": a.numel(), "ms": med, "gb_per_s": gbs}


def time_conv(mode, n, c, k, dhw, kernel, stride, pad, groups, warmup, repeats):
    """Times one nn.Conv3d in `mode` (fp32, tf32, fp16; a `cl` suffix: channels-last); returns the
    median, fastest and slowest ms and the input's element count."""
    dtype = torch.float16 if mode.startswith("fp16") else torch.float32
    torch.backends.cuda.matmul.allow_tf32 = mode == "tf32"
    torch.backends.cudnn.allow_tf32 = mode == "tf32"
    conv = torch.nn.Conv3d(c, k, kernel, stride=stride, padding=pad, groups=groups, bias=False).to("cuda", dtype)
    x = torch.randn(n, c, *dhw, device="cuda", dtype=dtype)
    if mode.endswith("cl"):
        conv = conv.to(memory_format=torch.channels_last_3d)
        x = x.contiguous(memory_format=torch.channels_last_3d)
    with torch.no_grad():
        med, lo, hi = time_ms(lambda: conv(x), warmup, repeats)
    return med, lo, hi, x.numel()


def conv_rows(layers, modes, warmup, repeats):
    """One row per layer (name, N, C, K, groups, DHW, kernel, stride, pad): GFLOP and, per mode, the
    median and spread in ms with TOPS; for depthwise layers (groups = C = K) also GB/s, counting
    input, weights and output once at the mode's element size."""
    rows = []
    for name, n, c, k, groups, dhw, kernel, stride, pad in layers:
        out = [(dhw[i] + 2 * pad[i] - kernel[i]) // stride[i] + 1 for i in range(3)]
        taps = kernel[0] * kernel[1] * kernel[2]
        row = {"name": name, "gflop": 2 * n * k * out[0] * out[1] * out[2] * (c // groups) * taps / 1e9}
        for mode in modes:
            med, lo, hi, inputs = time_conv(mode, n, c, k, dhw, kernel, stride, pad, groups, warmup, repeats)
            row[mode] = {"ms": med, "ms_min": lo, "ms_max": hi, "tops": row["gflop"] / med}
            rate = f"{row['gflop'] / med:6.1f} TOPS"
            if groups == c == k:
                size = 2 if mode.startswith("fp16") else 4
                moved = size * (inputs + c * taps + n * k * out[0] * out[1] * out[2])
                row[mode]["gb_per_s"] = moved / med / 1e6
                rate = f"{moved / med / 1e6:7.1f} GB/s"
            print(f"{name:10s} {mode:7s} {med:8.3f} ms  ({lo:.3f}-{hi:.3f})  {rate}", file=sys.stderr)
        rows.append(row)
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="torch_anchors.json")
    ap.add_argument("--modes", default="fp16cl")
    ap.add_argument("--repeats", type=int, default=50)
    ap.add_argument("--warmup", type=int, default=10)
    ap.add_argument("--depthwise", action="store_true", help="also time the depthwise layers and a copy")
    ap.add_argument("--grouped", action="store_true", help="also time the grouped layers")
    args = ap.parse_args()
    torch.backends.cudnn.benchmark = True
    results = {"device": torch.cuda.get_device_name(0), "torch": torch.__version__,
               "cudnn": torch.backends.cudnn.version(), "date": time.strftime("%Y-%m-%d")}
    modes = args.modes.split(",")
    results["layers"] = conv_rows(
        [(name, n, c, k, 1, dhw, kernel, stride, pad) for name, n, c, k, dhw, kernel, stride, pad in LAYERS],
        modes, args.warmup, args.repeats)
    results["int8_matmul_ceiling"] = int8_ceiling(args.warmup, args.repeats)
    if args.grouped:
        results["grouped"] = conv_rows(
            [(name, n, c, k, g, dhw, (3, 3, 3), stride, (1, 1, 1)) for name, n, c, k, g, dhw, stride in GROUPED],
            modes, args.warmup, args.repeats)
    if args.depthwise:
        results["depthwise"] = conv_rows(
            [(name, n, c, c, c, dhw, (3, 3, 3), stride, (1, 1, 1)) for name, n, c, dhw, stride in DEPTHWISE],
            modes, args.warmup, args.repeats)
        results["copy_ceiling"] = copy_ceiling(args.warmup, args.repeats)
    with open(args.out, "w") as f:
        json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
