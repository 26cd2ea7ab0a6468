#!/usr/bin/env python3
"""Writes an R3D-18 (the 3D ResNet-18 of video recognition) as a float ONNX model with random weights.

The architecture is the published one: a 3x7x7 stem (stride 1,2,2) to 64 channels, four stages of
two basic blocks (3x3x3 convolutions with BatchNorm and ReLU, the first block of stages 2-4 with
stride 2 and a 1x1x1 stride-2 projection on the skip path), global average pooling and a linear
classifier. Weights are seeded random (He-normal), BatchNorm statistics random but positive: enough
for what it is used for, tuning the distinct convolution workloads of a real network and timing
them, not for accuracy.

    python3 Scripts/make_r3d18.py --out r3d18.onnx [--batch 8] [--frames 16] [--size 112] [--classes 400]

Needs numpy and onnx (pip).
"""
import argparse

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


class Builder:
    def __init__(self, seed):
        self.rng = np.random.default_rng(seed)
        self.nodes, self.inits = [], []
        self.count = 0

    def name(self, stem):
        self.count += 1
        return f"{stem}_{self.count}"

    def const(self, stem, array):
        n = self.name(stem)
        self.inits.append(numpy_helper.from_array(array.astype(np.float32), n))
        return n

    def conv_bn(self, x, cin, cout, kernel, stride, pad, relu):
        fan_in = cin * kernel[0] * kernel[1] * kernel[2]
        w = self.const("w", self.rng.normal(0, np.sqrt(2.0 / fan_in), (cout, cin, *kernel)))
        y = self.name("conv")
        self.nodes.append(helper.make_node(
            "Conv", [x, w], [y], kernel_shape=list(kernel), strides=list(stride), pads=list(pad) * 2))
        scale = self.const("bn_scale", self.rng.uniform(0.5, 1.5, cout))
        bias = self.const("bn_bias", self.rng.uniform(-0.1, 0.1, cout))
        mean = self.const("bn_mean", self.rng.uniform(-0.1, 0.1, cout))
        var = self.const("bn_var", self.rng.uniform(0.5, 1.5, cout))
        z = self.name("bn")
        self.nodes.append(helper.make_node("BatchNormalization", [y, scale, bias, mean, var], [z], epsilon=1e-5))
        if not relu:
            return z
        r = self.name("relu")
        self.nodes.append(helper.make_node("Relu", [z], [r]))
        return r

    def block(self, x, cin, cout, stride):
        s = (stride, stride, stride)
        y = self.conv_bn(x, cin, cout, (3, 3, 3), s, (1, 1, 1), True)
        y = self.conv_bn(y, cout, cout, (3, 3, 3), (1, 1, 1), (1, 1, 1), False)
        skip = x if stride == 1 and cin == cout else self.conv_bn(x, cin, cout, (1, 1, 1), s, (0, 0, 0), False)
        added = self.name("add")
        self.nodes.append(helper.make_node("Add", [y, skip], [added]))
        out = self.name("relu")
        self.nodes.append(helper.make_node("Relu", [added], [out]))
        return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="r3d18.onnx")
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--frames", type=int, default=16)
    ap.add_argument("--size", type=int, default=112)
    ap.add_argument("--classes", type=int, default=400)
    ap.add_argument("--seed", type=int, default=18)
    args = ap.parse_args()
    b = Builder(args.seed)
    x = b.conv_bn("clip", 3, 64, (3, 7, 7), (1, 2, 2), (1, 3, 3), True)
    channels = 64
    for stage, width in enumerate([64, 128, 256, 512]):
        x = b.block(x, channels, width, 1 if stage == 0 else 2)
        x = b.block(x, width, width, 1)
        channels = width
    pooled = b.name("pool")
    b.nodes.append(helper.make_node("GlobalAveragePool", [x], [pooled]))
    flat = b.name("flat")
    b.nodes.append(helper.make_node("Flatten", [pooled], [flat], axis=1))
    fc_w = b.const("fc_w", b.rng.normal(0, 0.01, (args.classes, 512)))
    fc_b = b.const("fc_b", np.zeros(args.classes))
    b.nodes.append(helper.make_node("Gemm", [flat, fc_w, fc_b], ["logits"], transB=1))
    graph = helper.make_graph(
        b.nodes, "r3d_18",
        [helper.make_tensor_value_info("clip", TensorProto.FLOAT, [args.batch, 3, args.frames, args.size, args.size])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [args.batch, args.classes])], b.inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="q3d make_r3d18.py")
    onnx.checker.check_model(model)
    onnx.save(model, args.out)
    convs = sum(1 for n in b.nodes if n.op_type == "Conv")
    print(f"wrote {args.out}: {convs} convolutions, {sum(i.dims[0] * int(np.prod(i.dims[1:])) for i in b.inits) / 1e6:.1f} M parameters")


if __name__ == "__main__":
    main()
