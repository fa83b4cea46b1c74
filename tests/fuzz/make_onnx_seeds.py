#!/usr/bin/python3
"""Writes the small ONNX seeds of tests/fuzz/corpus/onnx/ (python3-onnx):
a Gemm+Relu classifier, a Conv+Relu+MaxPool+Flatten+Gemm CNN and an
Add/GlobalAveragePool/Concat graph, each with at most 13 KB of weights."""
import os
import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "onnx")
rng = np.random.default_rng(1)


def w(name, *shape):
    return numpy_helper.from_array(rng.standard_normal(shape).astype(np.float32), name)


def save(name, nodes, inits, in_shape, out_shape):
    g = helper.make_graph(nodes, name, [helper.make_tensor_value_info("x", TensorProto.FLOAT, in_shape)],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, out_shape)], inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    onnx.save(m, os.path.join(out, name + ".onnx"))


save("mlp", [helper.make_node("Flatten", ["x"], ["f"]),
             helper.make_node("Gemm", ["f", "w1", "b1"], ["h"], transB=1),
             helper.make_node("Relu", ["h"], ["r"]),
             helper.make_node("Gemm", ["r", "w2", "b2"], ["y"], transB=1)],
     [w("w1", 4, 784), w("b1", 4), w("w2", 10, 4), w("b2", 10)], [1, 1, 28, 28], [1, 10])
save("cnn", [helper.make_node("Conv", ["x", "cw", "cb"], ["c"], kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
             helper.make_node("Relu", ["c"], ["r"]),
             helper.make_node("MaxPool", ["r"], ["p"], kernel_shape=[4, 4], strides=[4, 4]),
             helper.make_node("Flatten", ["p"], ["f"]),
             helper.make_node("Gemm", ["f", "w", "b"], ["y"], transB=1)],
     [w("cw", 2, 1, 3, 3), w("cb", 2), w("w", 10, 2 * 7 * 7), w("b", 10)], [1, 1, 28, 28], [1, 10])
save("residual", [helper.make_node("Conv", ["x", "cw", "cb"], ["c"], kernel_shape=[1, 1]),
                  helper.make_node("Add", ["c", "x"], ["a"]),
                  helper.make_node("Relu", ["a"], ["r"]),
                  helper.make_node("Concat", ["r", "x"], ["k"], axis=1),
                  helper.make_node("GlobalAveragePool", ["k"], ["g"]),
                  helper.make_node("Flatten", ["g"], ["f"]),
                  helper.make_node("Gemm", ["f", "w", "b"], ["y"], transB=1)],
     [w("cw", 1, 1, 1, 1), w("cb", 1), w("w", 10, 2), w("b", 10)], [1, 1, 28, 28], [1, 10])
