"""Small ONNX models that cover each operator Q3D imports, with inputs and ONNX Runtime's outputs.

Each model is written at the oldest opset Q3D reads (11; 13 for per-axis quantization) and at the
newest the onnx package defines, in the form each opset wants (ReduceMean's axes become an input at 18,
for example). Files: NAME.opsetN.onnx, NAME.input.npy, NAME.opsetN.outK.npy.
"""
import os

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper
from onnx.external_data_helper import convert_model_to_external_data

NEWEST = onnx.defs.onnx_opset_version()
rng = np.random.default_rng(11)


def rand(*shape, scale=1.0):
    return (rng.standard_normal(shape) * scale).astype(np.float32)


def value(name, shape, dtype=TensorProto.FLOAT):
    return helper.make_tensor_value_info(name, dtype, shape)


class Builder:
    def __init__(self, opset):
        self.opset, self.nodes, self.inits = opset, [], []

    def const(self, name, array):
        self.inits.append(numpy_helper.from_array(np.asarray(array), name))
        return name

    def node(self, op, inputs, outputs, **attrs):
        self.nodes.append(helper.make_node(op, inputs, outputs, name=f"{op.lower()}_{len(self.nodes)}", **attrs))
        return outputs[0]

    def reduce_mean(self, x, y, axes, keepdims):
        if self.opset >= 18:
            return self.node("ReduceMean", [x, self.const(f"{y}_axes", np.array(axes, np.int64))], [y], keepdims=keepdims)
        return self.node("ReduceMean", [x], [y], axes=axes, keepdims=keepdims)

    def model(self, name, inputs, outputs, x):
        """The model, its output types filled in from what ONNX Runtime computes on `x`."""
        def build(outs):
            graph = helper.make_graph(self.nodes, name, inputs, outs, self.inits)
            m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", self.opset)], producer_name="Q3D fixtures")
            m.ir_version = max(v[1] for v in helper.VERSION_TABLE if v[2] <= self.opset)
            return m
        ys = run_ort(build([value(o.name, None) for o in outputs]), x)
        m = build([value(o.name, list(y.shape)) for o, y in zip(outputs, ys)])
        onnx.checker.check_model(m)
        return m


def conv1d(b):
    b.node("Conv", ["x", b.const("w", rand(6, 2, 3)), b.const("b", rand(6))], ["y"], group=2, strides=[2], pads=[1, 2])
    return [value("x", [2, 4, 20])], [value("y", None)], rand(2, 4, 20)


def conv2d(b):
    h = b.node("Conv", ["x", b.const("w", rand(4, 3, 3, 3))], ["h"], auto_pad="SAME_UPPER", strides=[2, 2])
    b.node("Conv", [h, b.const("w2", rand(5, 4, 2, 3))], ["y"], dilations=[2, 1], pads=[0, 1, 1, 0])
    return [value("x", [1, 3, 11, 13])], [value("y", None)], rand(1, 3, 11, 13)


def conv3d(b):
    h = b.node("Conv", ["x", b.const("w", rand(4, 1, 3, 3, 3)), b.const("b", rand(4))], ["h"],
               group=2, auto_pad="SAME_LOWER", strides=[1, 2, 2])
    b.node("Conv", [h, b.const("w2", rand(3, 4, 2, 3, 2))], ["y"], dilations=[2, 1, 2], pads=[1, 0, 2, 0, 1, 1], strides=[1, 1, 2])
    return [value("x", ["N", 2, 7, 8, 9])], [value("y", None)], rand(2, 2, 7, 8, 9)


def conv_bn_relu(b):
    h = b.node("Conv", ["x", b.const("w", rand(4, 3, 3, 3, 3, scale=0.3))], ["c1"], pads=[1] * 6)
    h = b.node("BatchNormalization", [h, b.const("g", rand(4) + 1), b.const("be", rand(4)), b.const("m", rand(4)),
                                      b.const("v", np.abs(rand(4)) + 0.5)], ["bn1"], epsilon=1e-3)
    skip = b.node("Relu", [h], ["r1"])
    h = b.node("Conv", [skip, b.const("w2", rand(4, 4, 1, 3, 3, scale=0.3)), b.const("b2", rand(4))], ["c2"], pads=[0, 1, 1, 0, 1, 1])
    h = b.node("Add", [h, skip], ["sum"])
    b.node("Relu", [h], ["y"])
    return [value("x", [2, 3, 6, 8, 8])], [value("y", None)], rand(2, 3, 6, 8, 8)


def elementwise(b):
    h = b.node("Clip", ["x", b.const("lo", np.float32(-1.5)), b.const("hi", np.float32(2.0))], ["clip"])
    h = b.node("Clip", [h, b.const("lo2", np.float32(-1.0))], ["clip2"])
    h = b.node("Sigmoid", [h], ["sig"])
    h = b.node("Mul", [h, b.const("scale", rand(1, 3, 1, 1))], ["mul"])
    b.node("Add", [h, b.const("shift", np.float32(0.25))], ["y"])
    return [value("x", [2, 3, 4, 5])], [value("y", None)], rand(2, 3, 4, 5, scale=2)


def pools(b):
    m = b.node("MaxPool", ["x"], ["max"], kernel_shape=[2, 3, 3], strides=[2, 2, 2], pads=[0, 1, 1, 1, 1, 1], ceil_mode=1)
    a1 = b.node("AveragePool", [m], ["avg1"], kernel_shape=[3, 3, 3], pads=[1] * 6, count_include_pad=0)
    a2 = b.node("AveragePool", [m], ["avg2"], kernel_shape=[3, 3, 3], pads=[1] * 6, count_include_pad=1)
    s = b.node("Add", [a1, a2], ["sum"])
    b.node("GlobalAveragePool", [s], ["y"])
    b.reduce_mean(s, "y2", [2, 3, 4], keepdims=0)
    return [value("x", [1, 2, 7, 9, 9])], [value("y", None), value("y2", None)], rand(1, 2, 7, 9, 9)


def dense(b):
    h = b.node("Flatten", ["x"], ["flat"], axis=1)
    h = b.node("Gemm", [h, b.const("w", rand(5, 48)), b.const("c", rand(5))], ["gemm"], transB=1, alpha=0.5, beta=2.0)
    h = b.node("Reshape", [h, b.const("shape", np.array([0, 5, -1], np.int64))], ["r"])
    b.node("MatMul", [h, b.const("m", rand(1, 4))], ["y"])
    return [value("x", [2, 3, 4, 4])], [value("y", None)], rand(2, 3, 4, 4)


def layout(b):
    h = b.node("Transpose", ["x"], ["t"], perm=[0, 2, 3, 1])
    h = b.node("Pad", [h, b.const("pads", np.array([0, 1, 0, 2, 0, 0, 1, 0], np.int64)), b.const("pv", np.float32(0.5))], ["p"], mode="constant")
    h = b.node("Identity", [h], ["i"])
    h = b.node("Dropout", [h], ["d"])
    b.nodes.append(helper.make_node("Constant", [], ["k"], name="constant",
                                    value=numpy_helper.from_array(rand(1, 1, 1, 5), "k")))
    h = b.node("Mul", [h, "k"], ["mk"])
    b.node("Concat", [h, "p"], ["y"], axis=-1)
    return [value("x", [2, 3, 4, 5])], [value("y", None)], rand(2, 3, 4, 5)


def qdq(b):
    """QDQ as quantization tools write it: int8 per-tensor activations, per-axis int8 weights, an int32
    bias, and a uint8 output with a zero point."""
    xs, ws = np.float32(0.02), (np.abs(rand(4)) * 0.01 + 0.005).astype(np.float32)
    q = b.node("QuantizeLinear", ["x", b.const("xs", xs), b.const("xz", np.int8(0))], ["xq"])
    xd = b.node("DequantizeLinear", [q, "xs", "xz"], ["xd"])
    wq = rng.integers(-127, 128, (4, 4, 3, 3)).astype(np.int8)
    wd = b.node("DequantizeLinear", [b.const("wq", wq), b.const("ws", ws), b.const("wz", np.zeros(4, np.int8))], ["wd"], axis=0)
    bq = rng.integers(-500, 500, 4).astype(np.int32)
    bd = b.node("DequantizeLinear", [b.const("bq", bq), b.const("bs", (xs * ws).astype(np.float32)), b.const("bz", np.zeros(4, np.int32))], ["bd"], axis=0)
    h = b.node("Conv", [xd, wd, bd], ["conv"], pads=[1, 1, 1, 1])
    h = b.node("Relu", [h], ["relu"])
    q2 = b.node("QuantizeLinear", [h, b.const("ys", np.float32(0.05)), b.const("yz", np.uint8(128))], ["yq"])
    b.node("DequantizeLinear", [q2, "ys", "yz"], ["y"])
    return [value("x", [1, 4, 5, 6])], [value("y", None)], rand(1, 4, 5, 6)


GROUPS = {
    "conv1d": conv1d, "conv2d": conv2d, "conv3d": conv3d, "conv_bn_relu": conv_bn_relu,
    "elementwise": elementwise, "pools": pools, "dense": dense, "layout": layout, "qdq": qdq,
}


def run_ort(model, x):
    """ORT's outputs; where ORT lacks a kernel for the newest version of an operator whose meaning did
    not change (QuantizeLinear 28), the same graph runs at opset 21."""
    try:
        session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    except ort.capi.onnxruntime_pybind11_state.NotImplemented:
        older = onnx.ModelProto()
        older.CopyFrom(model)
        older.opset_import[0].version = 21
        older.ir_version = 10
        session = ort.InferenceSession(older.SerializeToString(), providers=["CPUExecutionProvider"])
    return session.run(None, {session.get_inputs()[0].name: x})


def write_all(out, log):
    os.makedirs(out, exist_ok=True)
    for name, make in GROUPS.items():
        for opset in sorted({13 if name == "qdq" else 11, NEWEST}):
            global rng
            rng = np.random.default_rng(sum(map(ord, name)))  # the same weights and input at every opset
            b = Builder(opset)
            inputs, outputs, x = make(b)
            model = b.model(name, inputs, outputs, x)
            onnx.save(model, os.path.join(out, f"{name}.opset{opset}.onnx"))
            np.save(os.path.join(out, f"{name}.input.npy"), x)
            for k, y in enumerate(run_ort(model, x)):
                np.save(os.path.join(out, f"{name}.opset{opset}.out{k}.npy"), y.astype(np.float32))
        log(f"ops: {name}")

    # Weights in an external file next to the model.
    b = Builder(NEWEST)
    inputs, outputs, x = conv3d(b)
    model = b.model("external", inputs, outputs, x)
    convert_model_to_external_data(model, all_tensors_to_one_file=True, location="external_data.weights", size_threshold=0)
    onnx.save(model, os.path.join(out, "external_data.onnx"))
    np.save(os.path.join(out, "external_data.input.npy"), x)
    y = ort.InferenceSession(os.path.join(out, "external_data.onnx"), providers=["CPUExecutionProvider"]).run(None, {"x": x})[0]
    np.save(os.path.join(out, "external_data.out0.npy"), y)

    # Initializers in the typed fields (float_data, int64_data) instead of raw bytes.
    b = Builder(11)
    inputs, outputs, x = dense(b)
    typed = []
    for t in b.inits:
        array = numpy_helper.to_array(t)
        kind = helper.np_dtype_to_tensor_dtype(array.dtype)
        typed.append(helper.make_tensor(t.name, kind, array.shape, array.flatten().tolist(), raw=False))
    b.inits = typed
    model = b.model("typed_fields", inputs, outputs, x)
    onnx.save(model, os.path.join(out, "typed_fields.onnx"))
    np.save(os.path.join(out, "typed_fields.input.npy"), x)
    np.save(os.path.join(out, "typed_fields.out0.npy"), run_ort(model, x)[0])
    log("ops: external data, typed fields")
