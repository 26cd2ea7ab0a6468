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


def flops(n, c, k, dhw, kernel, stride, pad):
    out = [(dhw[i] + 2 * pad[i] - kernel[i]) // stride[i] + 1 for i in range(3)]
    return 2 * n * k * out[0] * out[1] * out[2] * c * kernel[0] * kernel[1] * kernel[2]


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


def depthwise(modes, warmup, repeats):
    """PyTorch's depthwise conv3d (groups = C) on the depthwise layers; GB/s counts input, weight and
    output bytes once at the mode's element size."""
    rows = []
    for name, n, c, dhw, stride in DEPTHWISE:
        out = [(dhw[i] + 2 - 3) // stride[i] + 1 for i in range(3)]
        row = {"name": name, "gflop": 2 * n * c * out[0] * out[1] * out[2] * 27 / 1e9}
        for mode in modes:
            dtype = torch.float16 if mode.startswith("fp16") else torch.float32
            size = 2 if dtype == torch.float16 else 4
            conv = torch.nn.Conv3d(c, c, 3, stride=stride, padding=1, groups=c, bias=False).to("cuda", dtype)
            x = torch.randn(n, c, *dhw, device="cuda", dtype=dtype)
            if mode.endswith("cl"):
                conv = conv.to(memory_format=torch.channels_last_3d)
                x = x.contiguous(memory_format=torch.channels_last_3d)
            with torch.no_grad():
                med, lo, hi = time_ms(lambda: conv(x), warmup, repeats)
            moved = size * (x.numel() + c * 27 + n * c * out[0] * out[1] * out[2])
            row[mode] = {"ms": med, "ms_min": lo, "ms_max": hi, "gb_per_s": moved / med / 1e6}
            print(f"{name:9s} {mode:7s} {med:8.3f} ms  ({lo:.3f}-{hi:.3f})  {moved / med / 1e6:7.1f} GB/s",
                  file=sys.stderr)
        rows.append(row)
    return rows


def grouped(modes, warmup, repeats):
    """PyTorch's grouped conv3d on the grouped layers."""
    rows = []
    for name, n, c, k, g, dhw, stride in GROUPED:
        out = [(dhw[i] + 2 - 3) // stride[i] + 1 for i in range(3)]
        row = {"name": name, "gflop": 2 * n * k * out[0] * out[1] * out[2] * (c // g) * 27 / 1e9}
        for mode in modes:
            dtype = torch.float16 if mode.startswith("fp16") else torch.float32
            conv = torch.nn.Conv3d(c, k, 3, stride=stride, padding=1, groups=g, bias=False).to("cuda", dtype)
            x = torch.randn(n, c, *dhw, device="cuda", dtype=dtype)
            if mode.endswith("cl"):
                conv = conv.to(memory_format=torch.channels_last_3d)
                x = x.contiguous(memory_format=torch.channels_last_3d)
            with torch.no_grad():
                med, lo, hi = time_ms(lambda: conv(x), warmup, repeats)
            row[mode] = {"ms": med, "ms_min": lo, "ms_max": hi, "tops": row["gflop"] / med}
            print(f"{name:10s} {mode:7s} {med:8.3f} ms  ({lo:.3f}-{hi:.3f})  {row['gflop'] / med:6.1f} TOPS",
                  file=sys.stderr)
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
    dev = torch.device("cuda")
    results = {"device": torch.cuda.get_device_name(0), "torch": torch.__version__,
               "cudnn": torch.backends.cudnn.version(), "date": time.strftime("%Y-%m-%d"), "layers": []}
    for name, n, c, k, dhw, kernel, stride, pad in LAYERS:
        row = {"name": name, "gflop": flops(n, c, k, dhw, kernel, stride, pad) / 1e9}
        for mode in args.modes.split(","):
            dtype = torch.float16 if mode.startswith("fp16") else torch.float32
            torch.backends.cuda.matmul.allow_tf32 = mode == "tf32"
            torch.backends.cudnn.allow_tf32 = mode == "tf32"
            conv = torch.nn.Conv3d(c, k, kernel, stride=stride, padding=pad, bias=False).to(dev, dtype)
            x = torch.randn(n, c, *dhw, device=dev, dtype=dtype)
            if mode.endswith("cl"):
                conv = conv.to(memory_format=torch.channels_last_3d)
                x = x.contiguous(memory_format=torch.channels_last_3d)
            with torch.no_grad():
                med, lo, hi = time_ms(lambda: conv(x), args.warmup, args.repeats)
            row[mode] = {"ms": med, "ms_min": lo, "ms_max": hi, "tops": row["gflop"] / med}
            print(f"{name:9s} {mode:7s} {med:8.3f} ms  ({lo:.3f}-{hi:.3f})  {row['gflop'] / med:6.1f} TOPS",
                  file=sys.stderr)
        results["layers"].append(row)
    results["int8_matmul_ceiling"] = int8_ceiling(args.warmup, args.repeats)
    if args.grouped:
        results["grouped"] = grouped(args.modes.split(","), args.warmup, args.repeats)
    if args.depthwise:
        results["depthwise"] = depthwise(args.modes.split(","), args.warmup, args.repeats)
        results["copy_ceiling"] = copy_ceiling(args.warmup, args.repeats)
    with open(args.out, "w") as f:
        json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
