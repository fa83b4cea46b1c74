#!/usr/bin/python3
"""Train the Fashion-MNIST networks the accelerator scenarios use; export ONNX.

    /usr/bin/python3 networks/train.py --all          # mlp, cnn, resnet
    /usr/bin/python3 networks/train.py cnn resnet     # some of them

For each network <name> it writes, beside this script:
    fmnist_<name>.onnx   opset 13, input "input" float32 [1,1,28,28] (NCHW),
                         output "logits" float32 [1,10] (no softmax)
    fmnist_<name>.json   input shape, normalisation, accuracies, epochs, seed,
                         op list, parameter count, training wall time, ...

Input normalisation (all three): x = pixel / 255, pixel the uint8 0..255 value,
so x is in [0, 1]; no mean/std subtraction.

Data: Debian's dataset-fashion-mnist (IDX files read by fmnist_data.py).
Training: Adam (lr 1e-3, cosine-annealed to 0 over the run), batch 128, a few
epochs, 2 CPU threads, fixed seed, deterministic algorithms. Each model reseeds
before it is built, so training one alone gives the same result as --all
(on the same machine / torch build / thread count).

After export the ONNX graph is checked: only the allowed ops appear; the pure
numpy evaluator (onnx_eval.py) reproduces the torch logits on the first 500
test images, and its accuracy over all 10,000 test images is recorded beside
the torch accuracy (they must match).
"""

import argparse
import hashlib
import json
import os
import platform
import random
import sys
import time
import warnings

try:
    import numpy as np
    import torch
    import torch.nn as nn
    import onnx
except ImportError:  # the pyenv python3 on PATH has none of these; Debian's has
    if os.path.exists("/usr/bin/python3") and sys.executable != "/usr/bin/python3":
        os.execv("/usr/bin/python3", ["/usr/bin/python3"] + sys.argv)
    raise

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import fmnist_data  # noqa: E402
import onnx_eval  # noqa: E402

SEED = 20240601
THREADS = 2
BATCH = 128
LR = 1e-3
OPSET = 13
VERIFY_IMAGES = 500
ALLOWED_OPS = onnx_eval.ALLOWED_OPS


# ---------------------------------------------------------------- networks --

class MLP(nn.Module):
    """784-256-128-10, ReLU."""

    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(
            nn.Flatten(),
            nn.Linear(784, 256), nn.ReLU(),
            nn.Linear(256, 128), nn.ReLU(),
            nn.Linear(128, 10))

    def forward(self, x):
        return self.net(x)


class CNN(nn.Module):
    """conv16-bn-relu-pool2, conv32-bn-relu-pool2, fc 1568->64-relu, fc 64->10."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16),
            nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1, bias=False), nn.BatchNorm2d(32),
            nn.ReLU(), nn.MaxPool2d(2))
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Linear(32 * 7 * 7, 64), nn.ReLU(),
            nn.Linear(64, 10))

    def forward(self, x):
        return self.classifier(self.features(x))


class BasicBlock(nn.Module):
    """conv3x3-bn-relu-conv3x3-bn, + skip (1x1 conv-bn projection when the
    stride or channel count changes), then relu."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.relu = nn.ReLU()
        self.proj = None
        if stride != 1 or cin != cout:
            self.proj = nn.Sequential(
                nn.Conv2d(cin, cout, 1, stride=stride, bias=False),
                nn.BatchNorm2d(cout))

    def forward(self, x):
        y = self.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        skip = x if self.proj is None else self.proj(x)
        return self.relu(y + skip)


class ResNet(nn.Module):
    """stem conv3x3 16 (28x28) -> block 16 (28x28, identity skip)
    -> block 32 stride 2 (14x14, 1x1 projection) -> block 64 stride 2 (7x7,
    1x1 projection) -> GlobalAveragePool -> fc 64->10."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16), nn.ReLU())
        self.layer1 = BasicBlock(16, 16, 1)
        self.layer2 = BasicBlock(16, 32, 2)
        self.layer3 = BasicBlock(32, 64, 2)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.flatten = nn.Flatten()
        self.fc = nn.Linear(64, 10)

    def forward(self, x):
        x = self.layer3(self.layer2(self.layer1(self.stem(x))))
        return self.fc(self.flatten(self.pool(x)))


# name -> (class, epochs, one-line description)
MODELS = {
    "mlp": (MLP, 10, "784-256-128-10 MLP, ReLU"),
    "cnn": (CNN, 8, "2x(conv3x3-BN-ReLU-maxpool2) 16/32 ch, FC 1568-64-10"),
    "resnet": (ResNet, 6, "stem conv16 + 3 basic blocks (16, 32/s2, 64/s2; "
                          "1x1 projections), GAP, FC 64-10"),
}


# ---------------------------------------------------------------- training --

def seed_everything(seed):
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def evaluate_torch(model, x, batch=1000):
    model.eval()
    out = []
    with torch.no_grad():
        for i in range(0, len(x), batch):
            out.append(model(x[i:i + batch]))
    return torch.cat(out).numpy()


def train_one(name, data, log=print):
    cls, epochs, desc = MODELS[name]
    xtr, ytr, xte, yte = data
    seed_everything(SEED)
    model = cls()
    nparams = sum(p.numel() for p in model.parameters())
    opt = torch.optim.Adam(model.parameters(), lr=LR)
    steps_per_epoch = (len(xtr) + BATCH - 1) // BATCH
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs * steps_per_epoch)
    loss_fn = nn.CrossEntropyLoss()
    gen = torch.Generator().manual_seed(SEED)
    log(f"[{name}] {desc}: {nparams} parameters, {epochs} epochs")
    t0 = time.time()
    history = []
    for ep in range(epochs):
        model.train()
        perm = torch.randperm(len(xtr), generator=gen)
        total, correct, seen = 0.0, 0, 0
        for i in range(0, len(xtr), BATCH):
            idx = perm[i:i + BATCH]
            xb, yb = xtr[idx], ytr[idx]
            opt.zero_grad(set_to_none=True)
            out = model(xb)
            loss = loss_fn(out, yb)
            loss.backward()
            opt.step()
            sched.step()
            total += float(loss) * len(idx)
            correct += int((out.argmax(1) == yb).sum())
            seen += len(idx)
        test_acc = float((evaluate_torch(model, xte).argmax(1) == yte.numpy()).mean())
        history.append({"epoch": ep + 1, "train_loss": round(total / seen, 5),
                        "train_acc": round(correct / seen, 5),
                        "test_acc": round(test_acc, 5)})
        log(f"[{name}] epoch {ep + 1}/{epochs}: loss {total / seen:.4f} "
            f"train acc {correct / seen:.4f} test acc {test_acc:.4f} "
            f"({time.time() - t0:.0f} s)")
    wall = time.time() - t0
    model.eval()
    return model, nparams, epochs, wall, history


# ------------------------------------------------------------ export+check --

def strip_identities(m):
    """The exporter deduplicates initializers with equal values (e.g. an
    untrained BatchNorm's running_var == weight == 1) and links them with
    Identity nodes. Replace each such Identity by a copy of the initializer
    under its output name, and bypass any other Identity, so that the graph
    keeps to the allowed op set. Returns the number of nodes removed."""
    g = m.graph
    inits = {t.name: t for t in g.initializer}
    graph_outputs = {o.name for o in g.output}
    removed = 0
    for n in [n for n in g.node if n.op_type == "Identity"]:
        src, dst = n.input[0], n.output[0]
        if src in inits:
            t = onnx.TensorProto()
            t.CopyFrom(inits[src])
            t.name = dst
            g.initializer.append(t)
            inits[dst] = t
        elif dst not in graph_outputs:
            for other in g.node:
                for i, name in enumerate(other.input):
                    if name == dst:
                        other.input[i] = src
        else:
            continue
        g.node.remove(n)
        removed += 1
    return removed


def export_onnx(model, path):
    model.eval()
    dummy = torch.zeros(1, 1, 28, 28)
    # PRESERVE with the model in eval mode keeps BatchNormalization nodes (in
    # inference form, running statistics as initializers) instead of letting
    # the exporter fold them: the accelerator compiler does the folding.
    # (The exporter warns about constant folding in PRESERVE mode; that only
    # matters for a model in training mode, so the warning is silenced.)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*constant folding.*")
        torch.onnx.export(model, dummy, path, opset_version=OPSET,
                          do_constant_folding=True,
                          training=torch.onnx.TrainingMode.PRESERVE,
                          input_names=["input"], output_names=["logits"])
    m = onnx.load(path)
    if strip_identities(m):
        onnx.save(m, path)
    onnx.checker.check_model(m)
    ops = [n.op_type for n in m.graph.node]
    bad = sorted(set(ops) - ALLOWED_OPS)
    assert not bad, f"{path}: ops outside the allowed set: {bad}"
    for n in m.graph.node:
        if n.op_type == "BatchNormalization":
            assert len(n.output) == 1, "BatchNormalization exported in training form"
    return m, ops


def describe_io(vi):
    dims = [d.dim_value if d.HasField("dim_value") else d.dim_param
            for d in vi.type.tensor_type.shape.dim]
    return {"name": vi.name, "shape": dims,
            "dtype": onnx_dtype_name(vi.type.tensor_type.elem_type)}


def onnx_dtype_name(elem_type):
    if hasattr(onnx.helper, "tensor_dtype_to_np_dtype"):  # onnx >= 1.13
        return np.dtype(onnx.helper.tensor_dtype_to_np_dtype(elem_type)).name
    return np.dtype(onnx.mapping.TENSOR_TYPE_TO_NP_TYPE[elem_type]).name


def op_counts(ops):
    counts = {}
    for o in ops:
        counts[o] = counts.get(o, 0) + 1
    return dict(sorted(counts.items()))


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def run(name, data, log=print):
    model, nparams, epochs, wall, history = train_one(name, data, log)
    xtr, ytr, xte, yte = data
    onnx_path = os.path.join(HERE, f"fmnist_{name}.onnx")
    m, ops = export_onnx(model, onnx_path)
    size = os.path.getsize(onnx_path)

    labels = yte.numpy()
    t_logits = evaluate_torch(model, xte)
    t_acc = float((t_logits.argmax(1) == labels).mean())

    graph = onnx_eval.OnnxGraph(onnx_path)
    x_np = xte.numpy()
    # Strict check at the declared batch size 1, image by image ...
    n_strict = 50
    one = np.concatenate([graph.run(x_np[i:i + 1]) for i in range(n_strict)])
    # ... and batched over the first VERIFY_IMAGES and then all of them.
    o_logits = graph.run_batched(x_np)
    diff_strict = float(np.abs(one - t_logits[:n_strict]).max())
    diff = float(np.abs(o_logits[:VERIFY_IMAGES] - t_logits[:VERIFY_IMAGES]).max())
    scale = float(np.abs(t_logits[:VERIFY_IMAGES]).max())
    assert diff_strict <= 1e-4 * max(1.0, scale), f"{name}: batch-1 mismatch {diff_strict}"
    assert diff <= 1e-4 * max(1.0, scale), f"{name}: ONNX/torch logits differ by {diff}"
    o_acc = float((o_logits.argmax(1) == labels).mean())
    disagree = int((o_logits.argmax(1) != t_logits.argmax(1)).sum())
    assert o_acc == t_acc, f"{name}: onnx acc {o_acc} != torch acc {t_acc}"
    log(f"[{name}] torch acc {t_acc:.4f}  numpy-ONNX acc {o_acc:.4f}  "
        f"max |dlogit| {diff:.2e} on {VERIFY_IMAGES}  {size} bytes  "
        f"ops {sorted(set(ops))}")

    meta = {
        "name": name,
        "file": os.path.basename(onnx_path),
        "description": MODELS[name][2],
        "dataset": "Fashion-MNIST (Debian dataset-fashion-mnist, IDX); "
                   "60,000 train / 10,000 test",
        "class_names": fmnist_data.CLASS_NAMES,
        "input": describe_io(m.graph.input[0]),
        "input_layout": "NCHW",
        "output": describe_io(m.graph.output[0]),
        "output_meaning": "logits (no softmax); prediction = argmax",
        "normalisation": {
            "formula": "x = pixel / 255",
            "pixel": "uint8 0..255, image row-major as stored in the IDX file",
            "scale": 1.0 / 255.0, "mean": 0.0, "std": 1.0,
            "range": [0.0, 1.0],
            "note": "no mean/std subtraction; the input is exactly representable "
                    "as an unsigned 8-bit code with scale 1/255 and zero point 0",
        },
        "test_accuracy_torch_float32": t_acc,
        "test_accuracy_onnx_numpy_float32": o_acc,
        "test_images": int(len(labels)),
        "prediction_disagreements_torch_vs_onnx": disagree,
        "onnx_vs_torch_max_abs_logit_diff": {"images": VERIFY_IMAGES, "value": diff},
        "training": {
            "epochs": epochs, "seed": SEED, "optimizer": "Adam",
            "lr": LR, "lr_schedule": "cosine annealing to 0 over all steps",
            "batch": BATCH, "loss": "cross-entropy", "augmentation": "none",
            "torch_threads": THREADS, "deterministic_algorithms": True,
            "wall_time_s": round(wall, 1),
            "wall_time_note": f"{os.cpu_count()} CPU cores, shared with other jobs "
                              f"(1-min load average {os.getloadavg()[0]:.1f} at the end); "
                              "the time depends on that load",
            "history": history,
        },
        "parameter_count": nparams,
        "onnx": {
            "opset": OPSET, "bytes": size, "sha256": sha256(onnx_path),
            "ops": sorted(set(ops)), "op_counts": op_counts(ops),
            "node_sequence": ops,
            "batchnorm": "kept as BatchNormalization (inference form) after "
                         "each Conv; fold it into the conv weights",
        },
        "made_with": {
            "command": f"/usr/bin/python3 networks/train.py {name}",
            "torch": torch.__version__, "onnx": onnx.__version__,
            "numpy": np.__version__, "python": platform.python_version(),
        },
    }
    with open(os.path.join(HERE, f"fmnist_{name}.json"), "w") as f:
        json.dump(meta, f, indent=2)
        f.write("\n")
    return meta


def load_data():
    xtr, ytr = fmnist_data.load_split("train")
    xte, yte = fmnist_data.load_split("test")
    return (torch.from_numpy(fmnist_data.normalise(xtr)), torch.from_numpy(ytr),
            torch.from_numpy(fmnist_data.normalise(xte)), torch.from_numpy(yte))


def main(argv):
    ap = argparse.ArgumentParser(description="Train and export the Fashion-MNIST networks.")
    ap.add_argument("models", nargs="*", help=f"some of {list(MODELS)}")
    ap.add_argument("--all", action="store_true", help="train every network")
    args = ap.parse_args(argv)
    names = list(MODELS) if args.all else args.models
    unknown = [n for n in names if n not in MODELS]
    if not names or unknown:
        ap.error(f"name networks from {list(MODELS)} or pass --all"
                 + (f" (unknown: {unknown})" if unknown else ""))
    torch.set_num_threads(THREADS)
    torch.use_deterministic_algorithms(True)
    data = load_data()
    for n in names:
        run(n, data)


if __name__ == "__main__":
    main(sys.argv[1:])
