#!/usr/bin/python3
"""Writes five ImageNet-scale networks as ONNX files, at their real layer
shapes, with randomly initialised weights (no pretrained weights exist here).

Definitions (the torchvision layouts of the published networks):

  resnet18, resnet50
      K. He, X. Zhang, S. Ren, J. Sun, "Deep Residual Learning for Image
      Recognition", CVPR 2016, Table 1 (18-layer and 50-layer columns).
      torchvision layout ("v1.5"): the stride 2 of a bottleneck sits on its
      3x3 conv, not on its first 1x1. Stem conv7x7/2 64 + BN + ReLU, maxpool
      3x3/2 pad 1; basic blocks [2,2,2,2] / bottlenecks [3,4,6,3] (expansion
      4); a 1x1 projection conv + BN on the shortcut where the shape changes;
      global average pool; FC to the classes.
  vgg16
      K. Simonyan, A. Zisserman, "Very Deep Convolutional Networks for
      Large-Scale Image Recognition", ICLR 2015, Table 1, configuration D.
      13 conv3x3 pad 1 (with bias) + ReLU, 5 maxpool 2x2/2, FC 25088-4096-4096-
      classes with ReLU between. No BN. Dropout is omitted (inference), and so
      is torchvision's AdaptiveAvgPool2d(7): it is the identity at 224 input.
      (At another resolution the first FC takes the 512 x h x w features the
      last maxpool gives, so its size, and the parameter count, change.)
  mobilenet_v2
      M. Sandler, A. Howard, M. Zhu, A. Zhmoginov, L.-C. Chen, "MobileNetV2:
      Inverted Residuals and Linear Bottlenecks", CVPR 2018, Table 2, width 1.0.
      Stem conv3x3/2 32; inverted residual blocks (t,c,n,s) = (1,16,1,1),
      (6,24,2,2), (6,32,3,2), (6,64,4,2), (6,96,3,1), (6,160,3,2), (6,320,1,1):
      1x1 expand (absent when t = 1), depthwise 3x3 (Conv, group = channels),
      1x1 linear projection; BN after every conv; ReLU6 (Clip with scalar
      initializers relu6.min = 0, relu6.max = 6); a residual Add where
      stride is 1 and in = out channels. Final conv1x1 1280 + BN + ReLU6,
      global average pool, FC 1280-classes (dropout omitted).
  densenet121
      G. Huang, Z. Liu, L. van der Maaten, K. Q. Weinberger, "Densely
      Connected Convolutional Networks", CVPR 2017, Table 1 (DenseNet-121,
      i.e. DenseNet-BC: growth 32, blocks [6,12,24,16], bottleneck 4 x 32,
      compression 0.5). Stem conv7x7/2 64 + BN + ReLU + maxpool 3x3/2 pad 1;
      dense layer = BN, ReLU, conv1x1 128, BN, ReLU, conv3x3 pad 1 32, and the
      block's running tensor becomes Concat(running, new 32 channels);
      transition = BN, ReLU, conv1x1 halving the channels, AveragePool 2x2/2;
      after the last block BN + ReLU, global average pool, FC 1024-classes.

Weights: torchvision's initialisation of each model, drawn with numpy's PCG64
(numpy.random.default_rng(seed + a fixed offset per network)), tensor after
tensor in graph order. The values differ from torch's for the same seed; the
distributions are the same:
  conv weight   ResNet, VGG, MobileNet-v2: kaiming_normal_(mode='fan_out',
                nonlinearity='relu'): N(0, 2 / (out_ch * kh * kw)).
                DenseNet-121: kaiming_normal_() (mode='fan_in'):
                N(0, 2 / (in_ch/groups * kh * kw)).
  conv bias     VGG: 0 (the others have no conv bias).
  FC            VGG, MobileNet-v2: weight N(0, 0.01^2), bias 0.
                ResNet: nn.Linear's default, weight and bias
                U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
                DenseNet-121: weight U(-1/sqrt(fan_in), 1/sqrt(fan_in)), bias 0.
  BatchNorm     gamma 1, beta 0, running mean 0, running var 1, epsilon 1e-5
                (a fresh torchvision model in eval mode).

ONNX: opset 13, IR version 7; input `input` float32 [1,3,R,R], output
`logits` float32 [1,classes]. Ops: Conv, BatchNormalization, Relu, Clip,
MaxPool, AveragePool, GlobalAveragePool, Add, Concat, Flatten, Gemm. Node
names follow torchvision's module names. Weights are raw float32 data. The
file is a function of the arguments only (fixed producer fields, no time).

Parameters count conv/FC weights and biases and BN gamma + beta (torchvision's
sum of p.numel(); running statistics are buffers). MACs count the
multiply-accumulates of Conv and Gemm only, at batch 1.

Usage: /usr/bin/python3 networks/imagenet/generate.py NAME... --out DIR
           [--resolution 224] [--classes 1000] [--seed 1] [--shapes-only]
NAME: resnet18 resnet50 vgg16 mobilenet_v2 densenet121, or all.
"""

import argparse
import math
import os
import sys
import time

if __name__ == "__main__" and sys.executable != "/usr/bin/python3":
    try:
        import onnx  # noqa: F401
    except ImportError:
        os.execv("/usr/bin/python3", ["/usr/bin/python3"] + sys.argv)

import numpy as np
import onnx
from onnx import TensorProto, helper

NAMES = ["resnet18", "resnet50", "vgg16", "mobilenet_v2", "densenet121"]
SEED_OFFSET = {"resnet18": 1000, "resnet50": 2000, "vgg16": 3000,
               "mobilenet_v2": 4000, "densenet121": 5000}
DEFINITION = {
    "resnet18": "ResNet-18: He et al., Deep Residual Learning for Image Recognition, CVPR 2016, "
                "Table 1; torchvision layout",
    "resnet50": "ResNet-50: He et al., Deep Residual Learning for Image Recognition, CVPR 2016, "
                "Table 1; torchvision layout (v1.5: stride 2 on the bottleneck's 3x3 conv)",
    "vgg16": "VGG-16: Simonyan and Zisserman, Very Deep Convolutional Networks for Large-Scale "
             "Image Recognition, ICLR 2015, Table 1, configuration D; torchvision layout",
    "mobilenet_v2": "MobileNet-v2: Sandler et al., MobileNetV2: Inverted Residuals and Linear "
                    "Bottlenecks, CVPR 2018, Table 2, width 1.0; torchvision layout",
    "densenet121": "DenseNet-121: Huang et al., Densely Connected Convolutional Networks, CVPR 2017, "
                   "Table 1 (DenseNet-BC, k=32); torchvision layout",
}
OPSET = 13
IR_VERSION = 7
PRODUCER = "imcvp networks/imagenet/generate.py"
PRODUCER_VERSION = "1"
BN_EPS = 1e-5
# ImageNet normalisation, one value for all channels (the importer takes one):
# mean of (0.485, 0.456, 0.406) and of (0.229, 0.224, 0.225).
INPUT_MEAN = "0.449"
INPUT_STD = "0.226"


class Net:
    """Builds the graph, tracks shapes, counts parameters and MACs, and draws
    the weights (unless shapes_only)."""

    def __init__(self, name, resolution, classes, seed, shapes_only=False):
        self.name = name
        self.classes = classes
        self.shapes_only = shapes_only
        self.rng = np.random.default_rng(seed + SEED_OFFSET[name])
        self.proto = onnx.ModelProto()  # initializers go straight in: no copies
        self.nodes = []
        self.const_shapes = {}  # initializer name -> dims (also when shapes_only)
        self.shape = {"input": (3, resolution, resolution)}  # tensor -> (C,H,W) or (F,)
        self.params = 0
        self.macs = 0
        self.clip_consts = False

    # -- initializers -------------------------------------------------------
    def _tensor(self, name, shape, draw):
        """draw(shape) -> float32 array; not called when shapes_only."""
        assert name not in self.const_shapes, name
        self.const_shapes[name] = list(shape)
        if self.shapes_only:
            return
        a = np.asarray(draw(shape), dtype=np.float32)
        assert a.shape == tuple(shape), (name, a.shape, shape)
        t = self.proto.graph.initializer.add()
        t.name = name
        t.data_type = TensorProto.FLOAT
        t.dims.extend(shape)
        t.raw_data = a.tobytes()

    def param(self, name, shape, draw):
        self.params += int(np.prod(shape))
        self._tensor(name, shape, draw)

    def buffer(self, name, shape, draw):
        self._tensor(name, shape, draw)

    def normal(self, std):
        return lambda shape: self.rng.standard_normal(shape, dtype=np.float32) * np.float32(std)

    def uniform(self, bound):
        b = np.float32(bound)
        return lambda shape: self.rng.random(shape, dtype=np.float32) * (2 * b) - b

    @staticmethod
    def const(v):
        return lambda shape: np.full(shape, v, dtype=np.float32)

    # -- nodes ----------------------------------------------------------------
    def node(self, op, name, inputs, out_shape, **attrs):
        self.nodes.append(helper.make_node(op, inputs, [name], name=name, **attrs))
        self.shape[name] = out_shape
        return name

    @staticmethod
    def _out(size, k, s, p):
        return (size + 2 * p - k) // s + 1

    def conv(self, name, x, cout, k, stride=1, pad=0, groups=1, bias=False, init="fan_out"):
        cin, h, w = self.shape[x]
        assert cin % groups == 0 and cout % groups == 0
        ho, wo = self._out(h, k, stride, pad), self._out(w, k, stride, pad)
        if ho < 1 or wo < 1:
            sys.exit(f"{self.name}: {name} has no output at this resolution (input {h}x{w})")
        cin_g = cin // groups
        fan = cout * k * k if init == "fan_out" else cin_g * k * k
        self.param(name + ".weight", [cout, cin_g, k, k], self.normal(math.sqrt(2.0 / fan)))
        inputs = [x, name + ".weight"]
        if bias:
            self.param(name + ".bias", [cout], self.const(0.0))
            inputs.append(name + ".bias")
        self.macs += cout * ho * wo * cin_g * k * k
        return self.node("Conv", name, inputs, (cout, ho, wo), kernel_shape=[k, k], strides=[stride, stride],
                         pads=[pad] * 4, dilations=[1, 1], group=groups)

    def bn(self, name, x):
        c = self.shape[x][0]
        self.param(name + ".weight", [c], self.const(1.0))
        self.param(name + ".bias", [c], self.const(0.0))
        self.buffer(name + ".running_mean", [c], self.const(0.0))
        self.buffer(name + ".running_var", [c], self.const(1.0))
        return self.node("BatchNormalization", name,
                         [x, name + ".weight", name + ".bias", name + ".running_mean", name + ".running_var"],
                         self.shape[x], epsilon=BN_EPS)

    def relu(self, name, x):
        return self.node("Relu", name, [x], self.shape[x])

    def relu6(self, name, x):
        if not self.clip_consts:  # one scalar pair, shared by every Clip
            self.clip_consts = True
            self.buffer("relu6.min", [], self.const(0.0))
            self.buffer("relu6.max", [], self.const(6.0))
        return self.node("Clip", name, [x, "relu6.min", "relu6.max"], self.shape[x])

    def pool(self, op, name, x, k, stride, pad=0):
        c, h, w = self.shape[x]
        ho, wo = self._out(h, k, stride, pad), self._out(w, k, stride, pad)
        if ho < 1 or wo < 1:
            sys.exit(f"{self.name}: {name} has no output at this resolution (input {h}x{w})")
        return self.node(op, name, [x], (c, ho, wo), kernel_shape=[k, k], strides=[stride, stride], pads=[pad] * 4)

    def maxpool(self, name, x, k, stride, pad=0):
        return self.pool("MaxPool", name, x, k, stride, pad)

    def avgpool(self, name, x, k, stride):
        return self.pool("AveragePool", name, x, k, stride)

    def gap(self, name, x):
        return self.node("GlobalAveragePool", name, [x], (self.shape[x][0], 1, 1))

    def flatten(self, name, x):
        return self.node("Flatten", name, [x], (int(np.prod(self.shape[x])),), axis=1)

    def add(self, name, a, b):
        assert self.shape[a] == self.shape[b], (name, self.shape[a], self.shape[b])
        return self.node("Add", name, [a, b], self.shape[a])

    def concat(self, name, a, b):
        (ca, h, w), (cb, hb, wb) = self.shape[a], self.shape[b]
        assert (h, w) == (hb, wb)
        return self.node("Concat", name, [a, b], (ca + cb, h, w), axis=1)

    def gemm(self, name, x, out, weight, bias, out_name=None):
        (fin,) = self.shape[x]
        self.param(name + ".weight", [out, fin], weight(fin))
        self.param(name + ".bias", [out], bias(fin))
        self.macs += fin * out
        node = helper.make_node("Gemm", [x, name + ".weight", name + ".bias"], [out_name or name], name=name,
                                alpha=1.0, beta=1.0, transB=1)
        self.nodes.append(node)
        self.shape[out_name or name] = (out,)
        return out_name or name

    # FC initialisations (functions of fan_in)
    def fc_default_weight(self, fin):  # nn.Linear: kaiming_uniform_(a=sqrt(5)) = U(+-1/sqrt(fan_in))
        return self.uniform(1.0 / math.sqrt(fin))

    def fc_default_bias(self, fin):
        return self.uniform(1.0 / math.sqrt(fin))

    def fc_normal_weight(self, fin):  # normal_(0, 0.01)
        return self.normal(0.01)

    def fc_zero_bias(self, fin):
        return self.const(0.0)

    # -- model ----------------------------------------------------------------
    def model(self, resolution, doc):
        m = self.proto  # make_graph/make_model would copy every initializer
        m.ir_version = IR_VERSION
        m.producer_name = PRODUCER
        m.producer_version = PRODUCER_VERSION
        m.opset_import.append(helper.make_opsetid("", OPSET))
        g = m.graph
        g.name = self.name
        g.node.extend(self.nodes)
        g.input.append(helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, resolution, resolution]))
        g.output.append(helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, self.classes]))
        helper.set_model_props(m, {
            "imcvp.input_mean": INPUT_MEAN,
            "imcvp.input_std": INPUT_STD,
            "imcvp.definition": doc,
            "imcvp.weights": "torchvision's initialisation, drawn with numpy PCG64",
            "imcvp.params": str(self.params),
            "imcvp.macs": str(self.macs),
        })
        return m


# -- the networks --------------------------------------------------------------

def resnet(net, blocks, bottleneck):
    x = net.conv("conv1", "input", 64, 7, stride=2, pad=3)
    x = net.bn("bn1", x)
    x = net.relu("relu", x)
    x = net.maxpool("maxpool", x, 3, 2, 1)
    cin = 64
    for li, (n, width) in enumerate(zip(blocks, [64, 128, 256, 512])):
        for bi in range(n):
            p = f"layer{li + 1}.{bi}"
            stride = 2 if (bi == 0 and li > 0) else 1
            cout = width * 4 if bottleneck else width
            skip = x
            if bottleneck:
                y = net.relu(p + ".relu1", net.bn(p + ".bn1", net.conv(p + ".conv1", x, width, 1)))
                y = net.relu(p + ".relu2", net.bn(p + ".bn2", net.conv(p + ".conv2", y, width, 3, stride, 1)))
                y = net.bn(p + ".bn3", net.conv(p + ".conv3", y, cout, 1))
            else:
                y = net.relu(p + ".relu1", net.bn(p + ".bn1", net.conv(p + ".conv1", x, width, 3, stride, 1)))
                y = net.bn(p + ".bn2", net.conv(p + ".conv2", y, width, 3, 1, 1))
            if stride != 1 or cin != cout:
                skip = net.bn(p + ".downsample.1", net.conv(p + ".downsample.0", x, cout, 1, stride))
            x = net.relu(p + ".relu", net.add(p + ".add", y, skip))
            cin = cout
    x = net.flatten("flatten", net.gap("avgpool", x))
    return net.gemm("fc", x, net.classes, net.fc_default_weight, net.fc_default_bias, out_name="logits")


def resnet18(net):
    return resnet(net, [2, 2, 2, 2], bottleneck=False)


def resnet50(net):
    return resnet(net, [3, 4, 6, 3], bottleneck=True)


def vgg16(net):
    cfg = [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"]
    x, i = "input", 0
    for v in cfg:  # torchvision's features.<index> names
        if v == "M":
            x = net.maxpool(f"features.{i}", x, 2, 2)
            i += 1
        else:
            x = net.conv(f"features.{i}", x, v, 3, 1, 1, bias=True)
            x = net.relu(f"features.{i + 1}", x)
            i += 2
    x = net.flatten("flatten", x)
    x = net.relu("classifier.1", net.gemm("classifier.0", x, 4096, net.fc_normal_weight, net.fc_zero_bias))
    x = net.relu("classifier.4", net.gemm("classifier.3", x, 4096, net.fc_normal_weight, net.fc_zero_bias))
    return net.gemm("classifier.6", x, net.classes, net.fc_normal_weight, net.fc_zero_bias, out_name="logits")


def mobilenet_v2(net):
    def cbr(p, x, cout, k, stride, groups=1):
        pad = (k - 1) // 2
        return net.relu6(p + ".relu6", net.bn(p + ".bn", net.conv(p + ".conv", x, cout, k, stride, pad, groups)))

    x = cbr("features.0", "input", 32, 3, 2)
    cin, i = 32, 1
    for t, c, n, s in [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2),
                       (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)]:
        for j in range(n):
            stride = s if j == 0 else 1
            p = f"features.{i}"
            hidden = cin * t
            y = x
            if t != 1:
                y = cbr(p + ".expand", y, hidden, 1, 1)
            y = cbr(p + ".dw", y, hidden, 3, stride, groups=hidden)
            y = net.bn(p + ".project.bn", net.conv(p + ".project.conv", y, c, 1))
            if stride == 1 and cin == c:
                y = net.add(p + ".add", y, x)
            x, cin, i = y, c, i + 1
    x = cbr(f"features.{i}", x, 1280, 1, 1)
    x = net.flatten("flatten", net.gap("avgpool", x))
    return net.gemm("classifier.1", x, net.classes, net.fc_normal_weight, net.fc_zero_bias, out_name="logits")


def densenet121(net, growth=32, blocks=(6, 12, 24, 16), bn_size=4, init_features=64):
    conv = lambda *a, **k: net.conv(*a, init="fan_in", **k)  # noqa: E731  kaiming_normal_() default mode
    x = conv("features.conv0", "input", init_features, 7, 2, 3)
    x = net.relu("features.relu0", net.bn("features.norm0", x))
    x = net.maxpool("features.pool0", x, 3, 2, 1)
    for bi, n in enumerate(blocks):
        for li in range(n):
            p = f"features.denseblock{bi + 1}.denselayer{li + 1}"
            y = net.relu(p + ".relu1", net.bn(p + ".norm1", x))
            y = net.relu(p + ".relu2", net.bn(p + ".norm2", conv(p + ".conv1", y, bn_size * growth, 1)))
            y = conv(p + ".conv2", y, growth, 3, 1, 1)
            x = net.concat(p + ".concat", x, y)
        if bi != len(blocks) - 1:
            p = f"features.transition{bi + 1}"
            c = net.shape[x][0]
            y = net.relu(p + ".relu", net.bn(p + ".norm", x))
            x = net.avgpool(p + ".pool", conv(p + ".conv", y, c // 2, 1), 2, 2)
    x = net.relu("relu", net.bn("features.norm5", x))
    x = net.flatten("flatten", net.gap("avgpool", x))
    return net.gemm("classifier", x, net.classes, net.fc_default_weight, net.fc_zero_bias, out_name="logits")


BUILDERS = {"resnet18": resnet18, "resnet50": resnet50, "vgg16": vgg16,
            "mobilenet_v2": mobilenet_v2, "densenet121": densenet121}


def check_shapes(net, resolution):
    """Runs ONNX shape inference (strict) on the graph without its weights
    (the initializers become typed graph inputs) and checks that every node
    output has the shape this script computed its MACs from."""
    f = TensorProto.FLOAT
    inputs = [helper.make_tensor_value_info("input", f, [1, 3, resolution, resolution])]
    inputs += [helper.make_tensor_value_info(n, f, d) for n, d in net.const_shapes.items()]
    g = helper.make_graph(net.nodes, net.name, inputs,
                          [helper.make_tensor_value_info("logits", f, [1, net.classes])])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", OPSET)])
    m.ir_version = IR_VERSION
    onnx.checker.check_model(m)
    inferred = onnx.shape_inference.infer_shapes(m, check_type=True, strict_mode=True)
    dims = {v.name: [d.dim_value for d in v.type.tensor_type.shape.dim]
            for v in list(inferred.graph.value_info) + list(inferred.graph.output)}
    for n in net.nodes:
        want = [1] + list(net.shape[n.output[0]])
        if dims.get(n.output[0]) != want:
            raise AssertionError(f"{net.name}: {n.name}: ONNX infers {dims.get(n.output[0])}, expected {want}")


def build(name, resolution=224, classes=1000, seed=1, shapes_only=False):
    """Returns (Net, ModelProto or None)."""
    net = Net(name, resolution, classes, seed, shapes_only)
    out = BUILDERS[name](net)
    assert out == "logits" and net.shape["logits"] == (classes,)
    if shapes_only:
        return net, None
    doc = (DEFINITION[name] + f"; input 1x3x{resolution}x{resolution}, {classes} classes; "
           f"random weights (torchvision init, numpy PCG64, seed {seed})")
    return net, net.model(resolution, doc)


def file_name(name, resolution=224, classes=1000, seed=1):
    s = name
    if resolution != 224:
        s += f"_r{resolution}"
    if classes != 1000:
        s += f"_c{classes}"
    if seed != 1:
        s += f"_s{seed}"
    return s + ".onnx"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("names", nargs="+", metavar="NAME", help=" ".join(NAMES) + ", or all")
    ap.add_argument("--out", help="output folder (required unless --shapes-only)")
    ap.add_argument("--resolution", type=int, default=224)
    ap.add_argument("--classes", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--shapes-only", action="store_true",
                    help="build the graph and count parameters and MACs; draw no weights, write no file")
    ap.add_argument("--no-check", action="store_true",
                    help="skip onnx.checker and the shape-inference check of the graph")
    a = ap.parse_args(argv)
    names = []
    for n in a.names:
        for m in (NAMES if n == "all" else [n]):
            if m not in BUILDERS:
                ap.error(f"unknown network '{m}' (known: {' '.join(NAMES)}, all)")
            if m not in names:
                names.append(m)
    if not a.shapes_only and not a.out:
        ap.error("--out DIR is required (or --shapes-only)")
    if a.resolution < 32 or a.classes < 1 or a.seed < 0:
        ap.error("--resolution must be >= 32, --classes >= 1, --seed >= 0")
    if a.out:
        os.makedirs(a.out, exist_ok=True)

    for name in names:
        t0 = time.perf_counter()
        net, model = build(name, a.resolution, a.classes, a.seed, a.shapes_only)
        if not a.no_check:
            check_shapes(net, a.resolution)
        line = f"{name}: params {net.params}, MACs {net.macs} ({net.macs / 1e9:.3f} G) at {a.resolution}"
        if model is not None:
            path = os.path.join(a.out, file_name(name, a.resolution, a.classes, a.seed))
            data = model.SerializeToString()
            del model
            if not a.no_check:
                onnx.checker.check_model(data)  # the serialized bytes (all are far under 2 GB)
            tmp = f"{path}.tmp{os.getpid()}"
            with open(tmp, "wb") as f:
                f.write(data)
            del data
            os.replace(tmp, path)
            line += f", bytes {os.path.getsize(path)}, {time.perf_counter() - t0:.2f} s, {path}"
        print(line, flush=True)


if __name__ == "__main__":
    main()
