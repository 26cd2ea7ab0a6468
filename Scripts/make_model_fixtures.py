#!/usr/bin/env python3
"""Makes the ONNX fixtures under Tests/Fixtures and ONNX Runtime's reference numbers.

    python3 Scripts/make_model_fixtures.py                 # everything (about 10 minutes on 2 cores)
    python3 Scripts/make_model_fixtures.py --only ops      # the small op-coverage models
    python3 Scripts/make_model_fixtures.py --only motion   # train the motion model again
    python3 Scripts/make_model_fixtures.py --only ort      # ORT's float and int8 numbers on it
    python3 Scripts/make_model_fixtures.py --only ort --json --no-write   # measure and print only

Needs numpy, onnx and onnxruntime (pip). Everything is seeded: a rerun writes the same files, up to
the BLAS library's float rounding during training.

ops/      one small model per supported operator group, at opset 11 (13 where per-axis quantization
          needs it) and at the newest opset the onnx package defines, each with an input and ORT's
          output (.npy); plus a model with external data and one with typed-field initializers.
motion3d/ the trained 3D CNN (motion3d.onnx), its calibration clips, test clips and labels (uint8
          raw pixels; the model's first nodes normalize them), ORT's float logits on the test clips,
          ORT's own QDQ int8 model and logits, and ort_reference.json.
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import motion_net  # noqa: E402
import op_fixtures  # noqa: E402

SEED = 2026
STEPS = 240
BATCH = 32
CALIBRATION_CLIPS = 32
TEST_CLIPS = 160


def log(message):
    print(message, file=sys.stderr, flush=True)


def export_motion_model(net, path):
    """The trained network as an NCDHW ONNX graph, opset 17, the way PyTorch exports it: convolutions
    without bias followed by BatchNormalization, a residual Add, 3D global average pooling, Gemm."""
    inits, nodes = [], []

    def const(name, array):
        inits.append(numpy_helper.from_array(np.asarray(array, dtype=np.float32), name))
        return name

    x = "clip"
    nodes.append(helper.make_node("Mul", [x, const("pixel_scale", np.float32(1 / 64))], ["scaled"], name="normalize_scale"))
    nodes.append(helper.make_node("Add", ["scaled", const("pixel_shift", np.float32(-2.0))], ["normalized"], name="normalize_shift"))

    def unit(name, x, residual=None):
        conv = net.convs[name]
        bn = net.bns[name]
        w = conv.w.transpose(4, 3, 0, 1, 2)  # [kd, kh, kw, C, K] -> [K, C, kd, kh, kw]
        pads = list(conv.p) * 2
        nodes.append(helper.make_node(
            "Conv", [x, const(f"{name}.weight", w)], [f"{name}.conv"], name=f"{name}.conv",
            kernel_shape=list(conv.k), strides=list(conv.s), pads=pads))
        nodes.append(helper.make_node(
            "BatchNormalization",
            [f"{name}.conv", const(f"{name}.bn.gamma", bn.gamma), const(f"{name}.bn.beta", bn.beta),
             const(f"{name}.bn.mean", bn.mean), const(f"{name}.bn.var", bn.var)],
            [f"{name}.bn"], name=f"{name}.bn", epsilon=bn.eps))
        y = f"{name}.bn"
        if residual is not None:
            nodes.append(helper.make_node("Add", [y, residual], [f"{name}.sum"], name=f"{name}.add"))
            y = f"{name}.sum"
        nodes.append(helper.make_node("Relu", [y], [f"{name}.relu"], name=f"{name}.relu"))
        return f"{name}.relu"

    h = unit("stem", "normalized")
    h = unit("a_s", h)
    skip = unit("a_t", h)
    h = unit("b_s", skip)
    h = unit("b_t", h, residual=skip)
    nodes.append(helper.make_node("GlobalAveragePool", [h], ["pooled"], name="pool"))
    nodes.append(helper.make_node("Flatten", ["pooled"], ["features"], name="flatten", axis=1))
    nodes.append(helper.make_node(
        "Gemm", ["features", const("fc.weight", net.fc_w.T), const("fc.bias", net.fc_b)], ["logits"],
        name="fc", transB=1))
    graph = helper.make_graph(
        nodes, "motion3d",
        [helper.make_tensor_value_info("clip", TensorProto.FLOAT, ["N", 3, motion_net.T, motion_net.H, motion_net.W])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", motion_net.CLASSES])],
        inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="Q3D fixtures")
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, path)


def ort_logits(path, clips, batch=16):
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    return np.concatenate([
        session.run(None, {name: clips[i:i + batch].astype(np.float32)})[0] for i in range(0, len(clips), batch)])


def sqnr_db(reference, approximation):
    noise = np.sum((reference.astype(np.float64) - approximation) ** 2)
    signal = np.sum(reference.astype(np.float64) ** 2)
    return float("inf") if noise == 0 else float(10 * np.log10(signal / noise))


def train_motion(out):
    start = time.time()
    net = motion_net.train(SEED, STEPS, BATCH, log=lambda m: log(f"  {m} ({time.time() - start:.0f}s)"))
    rng = np.random.default_rng(SEED + 100)
    calibration, _ = motion_net.make_clips(CALIBRATION_CLIPS, rng)
    test, labels = motion_net.make_clips(TEST_CLIPS, rng)
    os.makedirs(out, exist_ok=True)
    model = os.path.join(out, "motion3d.onnx")
    export_motion_model(net, model)
    np.save(os.path.join(out, "calibration.npy"), calibration)
    np.save(os.path.join(out, "test_clips.npy"), test)
    np.save(os.path.join(out, "test_labels.npy"), labels)
    logits = ort_logits(model, test)
    numpy_logits = np.concatenate([net.forward(test[i:i + 32]) for i in range(0, len(test), 32)])
    assert np.abs(logits - numpy_logits).max() < 1e-3, "the exported graph disagrees with the trained network"
    np.save(os.path.join(out, "test_logits.npy"), logits.astype(np.float32))
    accuracy = float((logits.argmax(1) == labels).mean())
    log(f"motion3d: held-out top-1 {accuracy:.4f} on {TEST_CLIPS} clips, trained in {time.time() - start:.0f}s")


class _Reader:
    """ONNX Runtime's calibration reader over the calibration clips, 8 at a time."""

    def __init__(self, clips):
        self.batches = iter([{"clip": clips[i:i + 8].astype(np.float32)} for i in range(0, len(clips), 8)])

    def get_next(self):
        return next(self.batches, None)


def measure_ort(out, write):
    """ORT float and quantize_static (QDQ, per-channel int8, same calibration clips) on the test clips."""
    from onnxruntime.quantization import CalibrationMethod, QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process
    import tempfile

    model = os.path.join(out, "motion3d.onnx")
    calibration = np.load(os.path.join(out, "calibration.npy"))
    test = np.load(os.path.join(out, "test_clips.npy"))
    labels = np.load(os.path.join(out, "test_labels.npy"))
    start = time.time()
    float_logits = ort_logits(model, test)
    report = {
        "onnxruntime": ort.__version__,
        "test_clips": int(len(test)),
        "calibration_clips": int(len(calibration)),
        "float": {"top1": float((float_logits.argmax(1) == labels).mean())},
        "quantize_static": {},
    }
    with tempfile.TemporaryDirectory() as tmp:
        prepared = os.path.join(tmp, "prepared.onnx")
        quant_pre_process(model, prepared)
        for method in ["MinMax", "Entropy", "Percentile"]:
            quantized = os.path.join(tmp, f"{method}.onnx")
            quantize_static(
                prepared, quantized, _Reader(calibration), quant_format=QuantFormat.QDQ, per_channel=True,
                activation_type=QuantType.QInt8, weight_type=QuantType.QInt8,
                calibrate_method=getattr(CalibrationMethod, method))
            logits = ort_logits(quantized, test)
            report["quantize_static"][method] = {
                "top1": float((logits.argmax(1) == labels).mean()),
                "agreement": float((logits.argmax(1) == float_logits.argmax(1)).mean()),
                "logit_sqnr_db": sqnr_db(float_logits, logits),
            }
            if method == "MinMax" and write:
                with open(quantized, "rb") as f:
                    data = f.read()
                with open(os.path.join(out, "motion3d.ort_qdq.onnx"), "wb") as f:
                    f.write(data)
                np.save(os.path.join(out, "ort_qdq_logits.npy"), logits.astype(np.float32))
    report["seconds"] = round(time.time() - start, 1)
    if write:
        with open(os.path.join(out, "ort_reference.json"), "w") as f:
            json.dump(report, f, indent=2)
            f.write("\n")
    return report


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "Fixtures"))
    parser.add_argument("--only", choices=["ops", "motion", "ort"])
    parser.add_argument("--json", action="store_true", help="print ORT's measurements as JSON on stdout")
    parser.add_argument("--no-write", action="store_true", help="measure ORT without writing files")
    args = parser.parse_args()
    motion = os.path.join(args.out, "motion3d")
    if args.only in (None, "ops"):
        op_fixtures.write_all(os.path.join(args.out, "ops"), log)
    if args.only in (None, "motion"):
        train_motion(motion)
    if args.only in (None, "ort"):
        report = measure_ort(motion, write=not args.no_write)
        if args.json:
            print(json.dumps(report, indent=2))
        else:
            log(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
