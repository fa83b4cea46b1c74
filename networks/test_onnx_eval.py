#!/usr/bin/python3
"""Self-test of onnx_eval.py against torch, covering every op it implements,
including those the three trained networks do not use (AveragePool, MatMul,
Reshape, Mul by a scalar (the hybrid networks use it), padded pooling,
stride-2 padded Conv, non-square kernels).

    /usr/bin/python3 networks/test_onnx_eval.py

Note: torch 1.13 exports F.avg_pool2d as Pad + AveragePool (Pad is outside
the allowed op set), so AveragePool is checked on hand-built ONNX nodes.
"""

import io
import os
import sys

try:
    import numpy as np
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
    import onnx
    from onnx import helper, TensorProto
except ImportError:  # the pyenv python3 on PATH lacks these; Debian's has them
    if os.path.exists("/usr/bin/python3") and sys.executable != "/usr/bin/python3":
        os.execv("/usr/bin/python3", ["/usr/bin/python3"] + sys.argv)
    raise

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import onnx_eval  # noqa: E402
import train  # noqa: E402  (for strip_identities)


class AllOps(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(3, 8, 3, stride=2, padding=1)
        self.bn = nn.BatchNorm2d(8)
        self.c2 = nn.Conv2d(8, 8, (3, 1), padding=(1, 0), bias=False)
        self.w = nn.Parameter(torch.randn(8 * 4 * 4, 12))
        self.fc = nn.Linear(12, 5)
        self.fc2 = nn.Linear(8, 5)

    def forward(self, x):                                   # x: 3x16x16
        y = F.relu(self.bn(self.c1(x)))                     # Conv s2 p1, BN: 8x8
        y = y + self.c2(y) * 0.25                           # Conv 3x1, Mul, Add
        y = F.max_pool2d(y, 3, stride=2, padding=1)         # MaxPool p1: 4x4
        z = y.reshape(-1, 8 * 4 * 4)                        # Reshape
        h = torch.matmul(z, self.w)                         # MatMul
        g = F.adaptive_avg_pool2d(y, 1).flatten(1)          # GAP, Flatten
        return self.fc(F.relu(h)) + self.fc2(g)             # Gemm, Add


def check_exported(model, shape, batch):
    model.eval()
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.uniform_(-1, 1)
                m.running_var.uniform_(0.5, 2)
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.5, 0.5)
    buf = io.BytesIO()
    torch.onnx.export(model, torch.zeros(batch, *shape), buf, opset_version=13,
                      do_constant_folding=True,
                      training=torch.onnx.TrainingMode.PRESERVE)
    proto = onnx.load_from_string(buf.getvalue())
    train.strip_identities(proto)
    g = onnx_eval.OnnxGraph(proto)
    x = torch.rand(batch, *shape)
    with torch.no_grad():
        want = model(x).numpy()
    err = float(np.abs(g.run(x.numpy()) - want).max())
    print(f"{type(model).__name__}: ops {g.op_list()}  max |diff| {err:.2e}")
    assert err < 1e-4, err
    return g.op_list()


def check_pools():
    x = torch.randn(2, 3, 9, 7)
    cases = [
        ("AveragePool", dict(pads=[1, 1, 1, 1], count_include_pad=0),
         lambda t: F.avg_pool2d(t, 3, 2, 1, count_include_pad=False)),
        ("AveragePool", dict(pads=[1, 1, 1, 1], count_include_pad=1),
         lambda t: F.avg_pool2d(t, 3, 2, 1, count_include_pad=True)),
        ("AveragePool", {}, lambda t: F.avg_pool2d(t, 3, 2)),
        ("MaxPool", dict(pads=[1, 1, 1, 1]), lambda t: F.max_pool2d(t, 3, 2, 1)),
    ]
    for op, extra, ref in cases:
        node = helper.make_node(op, ["x"], ["y"], kernel_shape=[3, 3],
                                strides=[2, 2], **extra)
        graph = helper.make_graph(
            [node], "pool",
            [helper.make_tensor_value_info("x", TensorProto.FLOAT, list(x.shape))],
            [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)])
        got = onnx_eval.OnnxGraph(helper.make_model(graph)).run(x.numpy())
        err = float(np.abs(got - ref(x).numpy()).max())
        print(f"{op} {extra}: max |diff| {err:.2e}")
        assert err < 1e-5, err


def main():
    torch.manual_seed(0)
    check_pools()
    ops = check_exported(AllOps(), (3, 16, 16), batch=4)
    for op in ("MatMul", "Reshape", "MaxPool", "Conv", "Add", "BatchNormalization",
               "GlobalAveragePool", "Gemm", "Flatten", "Relu", "Mul"):
        assert op in ops, f"{op} not exercised: {ops}"
    print("ok")


if __name__ == "__main__":
    main()
