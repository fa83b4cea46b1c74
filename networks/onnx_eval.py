#!/usr/bin/python3
"""A small pure-numpy reference evaluator for the ONNX networks in this folder.

onnxruntime is not available, so this runs the graphs directly. It implements
only the ops the networks here are allowed to use:

    Conv, Gemm, MatMul, Relu, MaxPool, AveragePool, GlobalAveragePool, Add,
    Flatten, Reshape, BatchNormalization, Mul (by a scalar constant only: the
    2^-shift of the hybrid networks)   (plus Constant, for shape tensors and
    scalars)

Any other op, or an attribute value outside what is implemented (groups,
dilations, auto_pad, ceil_mode, ...), raises NotImplementedError rather than
being silently mis-evaluated. The batch dimension may be any size as long as
the graph itself is batch-agnostic (Flatten / Reshape with 0 or -1).

Library use:
    g = OnnxGraph("networks/fmnist_cnn.onnx")
    logits = g.run(x)            # x float32 [N,1,28,28]
Command line (accuracy on the Fashion-MNIST test set, normalisation from JSON):
    /usr/bin/python3 networks/onnx_eval.py networks/fmnist_cnn.onnx
"""

import json
import os
import sys

try:
    import numpy as np
    import onnx
    from onnx import numpy_helper
except ImportError:  # the pyenv python3 on PATH lacks numpy/onnx; Debian's has
    if os.path.exists("/usr/bin/python3") and sys.executable != "/usr/bin/python3":
        os.execv("/usr/bin/python3", ["/usr/bin/python3"] + sys.argv)
    raise

ALLOWED_OPS = {"Conv", "Gemm", "MatMul", "Relu", "MaxPool", "AveragePool",
               "GlobalAveragePool", "Add", "Flatten", "Reshape",
               "BatchNormalization", "Mul"}
# Constant only ever carries a shape for Reshape or a scalar for Mul; it is
# not a compute op.
_HELPER_OPS = {"Constant"}


def _attrs(node):
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def _spatial_pads(pads, nsp):
    pads = list(pads) if pads else [0] * (2 * nsp)
    return [(pads[i], pads[i + nsp]) for i in range(nsp)]


def _check_auto_pad(a, op):
    ap = a.get("auto_pad", b"NOTSET")
    ap = ap.decode() if isinstance(ap, bytes) else ap
    if ap not in ("NOTSET", "VALID"):
        raise NotImplementedError(f"{op}: auto_pad={ap}")


def _windows(x, kernel, strides, pads, pad_value):
    """x [N,C,H,W] -> strided view [N,C,Ho,Wo,kh,kw] after padding."""
    if any(p for pr in pads for p in pr):
        x = np.pad(x, [(0, 0), (0, 0)] + pads, mode="constant",
                   constant_values=pad_value)
    v = np.lib.stride_tricks.sliding_window_view(x, tuple(kernel), axis=(2, 3))
    return v[:, :, ::strides[0], ::strides[1]]


def conv(x, w, b, a):
    _check_auto_pad(a, "Conv")
    if a.get("group", 1) != 1:
        raise NotImplementedError("Conv: group != 1")
    if any(d != 1 for d in a.get("dilations", [1, 1])):
        raise NotImplementedError("Conv: dilations != 1")
    if x.ndim != 4:
        raise NotImplementedError("Conv: only 2-D convolution")
    kernel = a.get("kernel_shape", list(w.shape[2:]))
    strides = a.get("strides", [1, 1])
    pads = _spatial_pads(a.get("pads"), 2)
    cols = _windows(x, kernel, strides, pads, 0.0)          # N,C,Ho,Wo,kh,kw
    y = np.tensordot(cols, w, axes=([1, 4, 5], [1, 2, 3]))   # N,Ho,Wo,M
    y = y.transpose(0, 3, 1, 2)
    if b is not None:
        y = y + b.reshape(1, -1, 1, 1)
    return np.ascontiguousarray(y, dtype=x.dtype)


def pool(x, a, kind):
    _check_auto_pad(a, kind)
    if a.get("ceil_mode", 0) != 0:
        raise NotImplementedError(f"{kind}: ceil_mode=1")
    if any(d != 1 for d in a.get("dilations", [1, 1])):
        raise NotImplementedError(f"{kind}: dilations != 1")
    kernel = a["kernel_shape"]
    strides = a.get("strides", [1, 1])
    pads = _spatial_pads(a.get("pads"), 2)
    if kind == "MaxPool":
        return _windows(x, kernel, strides, pads, -np.inf).max(axis=(4, 5))
    s = _windows(x, kernel, strides, pads, 0.0).sum(axis=(4, 5))
    if a.get("count_include_pad", 0) or not any(p for pr in pads for p in pr):
        return (s / np.prod(kernel)).astype(x.dtype)
    ones = np.ones((1, 1) + x.shape[2:], dtype=x.dtype)
    n = _windows(ones, kernel, strides, pads, 0.0).sum(axis=(4, 5))
    return (s / n).astype(x.dtype)


def gemm(A, B, C, a):
    if a.get("transA", 0):
        A = A.T
    if a.get("transB", 0):
        B = B.T
    y = a.get("alpha", 1.0) * (A @ B)
    if C is not None:
        y = y + a.get("beta", 1.0) * C
    return y.astype(A.dtype)


def batchnorm(x, scale, bias, mean, var, a):
    if a.get("training_mode", 0):
        raise NotImplementedError("BatchNormalization: training_mode=1")
    eps = a.get("epsilon", 1e-5)
    shape = (1, -1) + (1,) * (x.ndim - 2)
    k = (scale / np.sqrt(var + eps)).reshape(shape)
    return ((x - mean.reshape(shape)) * k + bias.reshape(shape)).astype(x.dtype)


def mul_scalar(a, b, a_const, b_const):
    """Mul where one operand is a constant scalar (size 1); anything else is
    outside what the networks here use."""
    if b_const and np.size(b) == 1:
        x, k = a, b
    elif a_const and np.size(a) == 1:
        x, k = b, a
    else:
        raise NotImplementedError("Mul: only by a constant scalar")
    return (x * np.asarray(k, dtype=x.dtype).reshape(())).astype(x.dtype)


def flatten(x, a):
    axis = a.get("axis", 1)
    axis = axis + x.ndim if axis < 0 else axis
    return x.reshape(int(np.prod(x.shape[:axis])), -1)


def reshape(x, shape, a):
    shape = [int(s) for s in shape]
    if a.get("allowzero", 0):
        raise NotImplementedError("Reshape: allowzero=1")
    shape = [x.shape[i] if s == 0 else s for i, s in enumerate(shape)]
    return x.reshape(shape)


class OnnxGraph:
    """Loads an ONNX model once; run() evaluates it on a numpy input."""

    def __init__(self, path_or_model, dtype=np.float32):
        m = onnx.load(path_or_model) if isinstance(path_or_model, str) else path_or_model
        self.model = m
        self.dtype = dtype
        g = m.graph
        self.inits = {t.name: numpy_helper.to_array(t) for t in g.initializer}
        for k, v in self.inits.items():
            if v.dtype.kind == "f":
                self.inits[k] = v.astype(dtype)
        self.inputs = [i.name for i in g.input if i.name not in self.inits]
        self.outputs = [o.name for o in g.output]
        self.nodes = list(g.node)
        bad = {n.op_type for n in self.nodes} - ALLOWED_OPS - _HELPER_OPS
        if bad:
            raise NotImplementedError(f"ops not supported: {sorted(bad)}")

    def op_list(self):
        """Sorted unique op types (Constant included if present)."""
        return sorted({n.op_type for n in self.nodes})

    def run(self, x):
        env = dict(self.inits)
        env[self.inputs[0]] = np.asarray(x, dtype=self.dtype)
        const = set(self.inits)

        def get(name):
            return env[name] if name else None

        for n in self.nodes:
            op, a = n.op_type, _attrs(n)
            ins = [get(i) for i in n.input]
            if op == "Conv":
                y = conv(ins[0], ins[1], ins[2] if len(ins) > 2 else None, a)
            elif op == "Gemm":
                y = gemm(ins[0], ins[1], ins[2] if len(ins) > 2 else None, a)
            elif op == "MatMul":
                y = np.matmul(ins[0], ins[1])
            elif op == "Relu":
                y = np.maximum(ins[0], 0).astype(ins[0].dtype)
            elif op in ("MaxPool", "AveragePool"):
                y = pool(ins[0], a, op)
            elif op == "GlobalAveragePool":
                y = ins[0].mean(axis=tuple(range(2, ins[0].ndim)), keepdims=True)
            elif op == "Add":
                y = ins[0] + ins[1]
            elif op == "Mul":
                y = mul_scalar(ins[0], ins[1], n.input[0] in const, n.input[1] in const)
            elif op == "Flatten":
                y = flatten(ins[0], a)
            elif op == "Reshape":
                y = reshape(ins[0], ins[1], a)
            elif op == "BatchNormalization":
                y = batchnorm(*ins[:5], a)
            elif op == "Constant":
                y = numpy_helper.to_array(a["value"])
                if y.dtype.kind == "f":
                    y = y.astype(self.dtype)
                const.add(n.output[0])
            else:  # guarded in __init__
                raise NotImplementedError(op)
            env[n.output[0]] = y
        return env[self.outputs[0]]

    def run_batched(self, x, batch=250):
        return np.concatenate([self.run(x[i:i + batch])
                               for i in range(0, len(x), batch)])


def main(argv):
    import argparse
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path.insert(0, here)
    import fmnist_data

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("model", help="path to an .onnx file of this folder")
    ap.add_argument("--limit", type=int, default=0, help="only the first N test images")
    ap.add_argument("--float64", action="store_true", help="evaluate in float64")
    args = ap.parse_args(argv)

    meta_path = os.path.splitext(args.model)[0] + ".json"
    scale = fmnist_data.PIXEL_SCALE
    if os.path.exists(meta_path):
        with open(meta_path) as f:
            norm = json.load(f)["normalisation"]
        if norm.get("mean", 0.0) != 0.0 or norm.get("std", 1.0) != 1.0:
            raise SystemExit(f"{meta_path}: only pixel*scale normalisation supported")
        scale = norm["scale"]
    images, labels = fmnist_data.load_split("test")
    if args.limit:
        images, labels = images[:args.limit], labels[:args.limit]
    assert abs(scale - 1 / 255) < 1e-12
    x = fmnist_data.normalise(images)
    g = OnnxGraph(args.model, np.float64 if args.float64 else np.float32)
    logits = g.run_batched(x)
    acc = float((logits.argmax(1) == labels).mean())
    print(f"{os.path.basename(args.model)}: ops {g.op_list()}  "
          f"test accuracy {acc:.4f} on {len(labels)} images")


if __name__ == "__main__":
    main(sys.argv[1:])
