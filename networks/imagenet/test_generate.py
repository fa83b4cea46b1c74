#!/usr/bin/python3
"""Checks networks/imagenet/generate.py. Plain python, no pytest: exits 1 on
the first failure. Takes about 15 s (it writes about 300 MB to a temp dir).

  /usr/bin/python3 networks/imagenet/test_generate.py

- At 224 x 224 and 1000 classes, without drawing weights (--shapes-only):
  the parameter counts equal the published ones (torchvision's sum of
  p.numel()), the MAC counts are within 3 % of the usual figures, and ONNX's
  strict shape inference agrees with every shape the script computed.
- At resolution 32 (small files): all five are written through the command
  line and pass onnx.checker and strict shape inference, hold
  only the allowed ops and the expected node patterns; two runs of resnet18
  give byte-identical files.
"""

import os
import subprocess
import sys
import tempfile
import time

if sys.executable != "/usr/bin/python3":
    try:
        import onnx  # noqa: F401
    except ImportError:
        os.execv("/usr/bin/python3", ["/usr/bin/python3"] + sys.argv)

import onnx

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import generate  # noqa: E402

PARAMS = {"resnet18": 11_689_512, "resnet50": 25_557_032, "vgg16": 138_357_544,
          "mobilenet_v2": 3_504_872, "densenet121": 7_978_856}
GMACS = {"resnet18": 1.8, "resnet50": 4.1, "vgg16": 15.5, "mobilenet_v2": 0.30, "densenet121": 2.87}
OPS = {"Conv", "BatchNormalization", "Relu", "Clip", "MaxPool", "AveragePool", "GlobalAveragePool",
       "Add", "Concat", "Flatten", "Gemm"}

failures = 0


def check(cond, msg):
    global failures
    if not cond:
        failures += 1
        print("FAIL:", msg)
    return cond


def test_counts_224():
    for name in generate.NAMES:
        net, model = generate.build(name, 224, 1000, 1, shapes_only=True)
        assert model is None
        check(net.params == PARAMS[name], f"{name}: {net.params} parameters, published {PARAMS[name]}")
        err = abs(net.macs / 1e9 - GMACS[name]) / GMACS[name]
        check(err <= 0.03, f"{name}: {net.macs / 1e9:.3f} GMACs, {100 * err:.1f} % from {GMACS[name]}")
        generate.check_shapes(net, 224)  # raises on a mismatch
        print(f"ok {name} @224: params {net.params}, MACs {net.macs} ({net.macs / 1e9:.3f} G, "
              f"{100 * err:.1f} % from {GMACS[name]} G)")


def run_cli(*args):
    r = subprocess.run(["/usr/bin/python3", os.path.join(HERE, "generate.py"), *args],
                       capture_output=True, text=True)
    if r.returncode != 0:
        print(r.stdout, r.stderr)
        raise SystemExit(f"FAIL: generate.py {' '.join(args)} exited {r.returncode}")
    return r.stdout


def infer_without_weights(m):
    """Strict ONNX shape inference on m's graph with its initializers turned
    into typed graph inputs (fast: no weight bytes are copied)."""
    f = onnx.TensorProto.FLOAT
    g = m.graph
    inputs = list(g.input) + [onnx.helper.make_tensor_value_info(t.name, f, list(t.dims)) for t in g.initializer]
    s = onnx.helper.make_model(onnx.helper.make_graph(g.node, g.name, inputs, g.output),
                               opset_imports=list(m.opset_import))
    s.ir_version = m.ir_version
    return onnx.shape_inference.infer_shapes(s, check_type=True, strict_mode=True)


def check_file(path, name, classes=1000, resolution=32):
    with open(path, "rb") as fh:
        data = fh.read()
    onnx.checker.check_model(data)  # the file's bytes, parsed by the C++ checker
    m = onnx.load_from_string(data)
    inferred = infer_without_weights(m)
    known = {v.name for v in inferred.graph.value_info} | {"logits"}
    check(all(n.output[0] in known for n in m.graph.node), f"{name}: shape inference left an output unknown")
    g = m.graph
    check(m.opset_import[0].version == 13 and m.ir_version == 7, f"{name}: opset/IR version")
    meta = {p.key: p.value for p in m.metadata_props}
    check(meta.get("imcvp.input_mean") == "0.449" and meta.get("imcvp.input_std") == "0.226",
          f"{name}: normalisation metadata {meta}")
    check("imcvp.definition" in meta, f"{name}: no imcvp.definition")
    dims = lambda v: [d.dim_value for d in v.type.tensor_type.shape.dim]  # noqa: E731
    check([i.name for i in g.input] == ["input"] and dims(g.input[0]) == [1, 3, resolution, resolution],
          f"{name}: graph inputs")
    check([o.name for o in g.output] == ["logits"] and dims(g.output[0]) == [1, classes], f"{name}: graph output")
    ops = {n.op_type for n in g.node}
    check(ops <= OPS, f"{name}: unexpected ops {ops - OPS}")
    names = [n.name for n in g.node]
    check(all(names) and len(set(names)) == len(names), f"{name}: node names empty or repeated")
    inits = {t.name: t for t in g.initializer}
    check(all(t.data_type == onnx.TensorProto.FLOAT and t.raw_data for t in inits.values()),
          f"{name}: every initializer is raw float32")
    consumers = {}
    for n in g.node:
        for i in n.input:
            consumers.setdefault(i, []).append(n)
    for n in g.node:
        if n.op_type == "Conv":  # torchvision: conv bias only in VGG (bias=False elsewhere)
            check(len(n.input) == (3 if name == "vgg16" else 2), f"{name}: {n.name}: conv bias")
            if name != "densenet121":  # elsewhere a BN follows every conv but VGG's
                after_bn = [c.op_type for c in consumers.get(n.output[0], [])] == ["BatchNormalization"]
                check(after_bn == (name != "vgg16"), f"{name}: {n.name}: BN after the conv")
        if n.op_type == "Concat":
            check(len(n.input) == 2, f"{name}: {n.name}: Concat with {len(n.input)} inputs")
        if n.op_type == "Clip":
            check(list(n.input[1:]) == ["relu6.min", "relu6.max"], f"{name}: {n.name}: Clip bounds")
        if n.op_type == "Gemm":
            check({a.name: a.i for a in n.attribute}.get("transB") == 1, f"{name}: {n.name}: Gemm transB")
    if name == "mobilenet_v2":
        import numpy as np
        from onnx import numpy_helper
        check(numpy_helper.to_array(inits["relu6.min"]).tolist() == 0.0 and
              numpy_helper.to_array(inits["relu6.max"]).tolist() == 6.0, "ReLU6 bounds are 0 and 6")
        dw = [n for n in g.node if n.op_type == "Conv" and {a.name: a.i for a in n.attribute}["group"] > 1]
        check(len(dw) == 17, f"mobilenet_v2: {len(dw)} depthwise convs, expected 17")
        w = numpy_helper.to_array(inits["features.1.dw.conv.weight"])
        check(w.shape == (32, 1, 3, 3) and np.isfinite(w).all(), "mobilenet_v2: depthwise weight shape")
    if name == "densenet121":
        check(sum(n.op_type == "Concat" for n in g.node) == 58, "densenet121: 58 Concat nodes")


def test_files_32():
    with tempfile.TemporaryDirectory() as d:
        a, b = os.path.join(d, "a"), os.path.join(d, "b")
        out = run_cli("all", "--out", a, "--resolution", "32")
        print(out, end="")
        run_cli("resnet18", "--out", b, "--resolution", "32")
        with open(os.path.join(a, "resnet18_r32.onnx"), "rb") as fa, open(os.path.join(b, "resnet18_r32.onnx"), "rb") as fb:
            da, db = fa.read(), fb.read()
        first = next((i for i, (x, y) in enumerate(zip(da, db)) if x != y), min(len(da), len(db)))
        check(da == db, f"two generations of resnet18 at 32 differ: {len(da)} and {len(db)} bytes, "
                        f"first difference at byte {first}")
        for name in generate.NAMES:
            path = os.path.join(a, f"{name}_r32.onnx")
            check(os.path.exists(path), f"{path} missing")
            check_file(path, name)
        # Another seed must give other weights, and another name.
        run_cli("resnet18", "--out", b, "--resolution", "32", "--seed", "2", "--classes", "10", "--no-check")
        other = os.path.join(b, "resnet18_r32_c10_s2.onnx")
        check(os.path.exists(other), "--seed 2 --classes 10 file name")
        check_file(other, "resnet18", classes=10)
        print("ok files at 32: onnx.checker, strict shape inference, node patterns, determinism")


if __name__ == "__main__":
    t0 = time.perf_counter()
    test_counts_224()
    test_files_32()
    print(f"{'FAILED' if failures else 'passed'} ({failures} failures) in {time.perf_counter() - t0:.1f} s")
    sys.exit(1 if failures else 0)
