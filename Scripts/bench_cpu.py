#!/usr/bin/env python3
"""CPU conv3d: Q3D's fast int8 and float paths and its reference against ONNX Runtime's CPU Conv.

Same machine, same run: each layer of shared/ANCHORS.md named below, at batch 1. Q3D is timed by
`q3d conv3d --bench --json` (median of its repeats); ONNX Runtime runs a one-node float Conv model
with all cores (median of the same number of runs after a warm-up). Prints a table, writes JSON.

    swift build -c release --product q3d
    python3 Scripts/bench_cpu.py [--q3d .build/release/q3d] [--repeats 10] [--out cpu.json]
"""
import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time

import numpy as np

LAYERS = {
    # name: (C, K, (D, H, W), (kd, kh, kw), pads (front, top, left, back, bottom, right))
    "r3d.l2": (128, 128, (8, 28, 28), (3, 3, 3), (1, 1, 1, 1, 1, 1)),
    "r2p1d.s": (64, 144, (16, 56, 56), (1, 3, 3), (0, 1, 1, 0, 1, 1)),
}


def q3d(binary, layer, dtype, impl, repeats):
    args = [binary, "conv3d", "--layer", layer, "--batch", "1", "--dtype", dtype, "--device", "cpu",
            "--impl", impl, "--bench", "--repeats", str(repeats), "--json"]
    out = subprocess.run(args, check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def ort_float(layer, repeats):
    import onnx
    import onnxruntime as ort
    from onnx import TensorProto, helper

    c, k, dhw, kernel, pads = LAYERS[layer]
    rng = np.random.default_rng(1)
    w = rng.uniform(-1, 1, size=(k, c) + kernel).astype(np.float32)
    x = rng.uniform(-1, 1, size=(1, c) + dhw).astype(np.float32)
    node = helper.make_node("Conv", ["x", "w"], ["y"], kernel_shape=list(kernel), pads=list(pads))
    graph = helper.make_graph(
        [node], "conv", [helper.make_tensor_value_info("x", TensorProto.FLOAT, x.shape)],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
        [helper.make_tensor("w", TensorProto.FLOAT, w.shape, w.flatten())])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    options = ort.SessionOptions()
    options.intra_op_num_threads = os.cpu_count()
    session = ort.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])
    session.run(None, {"x": x})
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        session.run(None, {"x": x})
        times.append((time.perf_counter() - start) * 1e3)
    return {"ms": statistics.median(times), "ms_min": min(times), "ms_max": max(times), "version": ort.__version__}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--q3d", default=".build/release/q3d")
    ap.add_argument("--repeats", type=int, default=10)
    ap.add_argument("--out", default="cpu_bench.json")
    args = ap.parse_args()
    rows = []
    for layer in LAYERS:
        print(f"{layer}: ...", file=sys.stderr)
        row = {"layer": layer}
        row["q3d_int8_fast"] = q3d(args.q3d, layer, "int8", "fast", args.repeats)
        row["q3d_float_fast"] = q3d(args.q3d, layer, "float32", "fast", args.repeats)
        row["q3d_int8_reference"] = q3d(args.q3d, layer, "int8", "reference", 1)
        row["ort_float"] = ort_float(layer, args.repeats)
        row["gflop"] = row["q3d_int8_fast"]["gflop"]
        rows.append(row)
    result = {"date": time.strftime("%Y-%m-%d"), "machine": platform.processor() or platform.machine(),
              "cores": os.cpu_count(), "layers": rows}
    with open(args.out, "w") as f:
        json.dump(result, f, indent=1)
    print(f"| layer | GFLOP | Q3D int8 fast ms | Q3D float fast ms | Q3D int8 reference ms | ORT float ms | "
          f"int8 fast vs ORT float |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        i8, f32, ref, o = (r["q3d_int8_fast"]["ms"], r["q3d_float_fast"]["ms"], r["q3d_int8_reference"]["ms"],
                           r["ort_float"]["ms"])
        print(f"| {r['layer']} | {r['gflop']:.2f} | {i8:.1f} | {f32:.1f} | {ref:.0f} | {o:.1f} | {o / i8:.2f}x |")


if __name__ == "__main__":
    main()
