#!/usr/bin/python3
"""BasisN training for the Fashion-MNIST CNN: kernels as combinations of a global basis.

Reproduces the idea of Eldebiky et al., "BasisN: Reprogramming-Free
RRAM-Based In-Memory-Computing by Basis Combination for Deep Neural
Networks" (arXiv 2407.03738) on networks/fmnist_cnn.onnx. Every kernel (the
weight row of one output channel) of every Conv / FC layer is cut into
segments of L consecutive weights, and each segment is written as a
combination of K basis vectors of length L that are shared by ALL layers.
The crossbars hold only the basis (written once, never reprogrammed); a
digital scaler forms each output from the K basis outputs of each segment
with quantized coefficients.

    /usr/bin/python3 networks/train_basisn.py                        # the sweep, ~18 min on 2 busy cores
    /usr/bin/python3 networks/train_basisn.py --quick --out-dir OUT  # smoke test, ~20 s

Contract with the compiler (what the .onnx files mean):
  1. Weight row of output channel o: Conv weight[o].reshape(-1), i.e. the
     order (input channel of its group, ky, kx); FC (Gemm) weight[o] (input in
     CHW flatten order). Length Kg. Segment s = 0..S-1, S = ceil(Kg / L),
     holds rows [s*L, s*L + L); the last one is zero-padded to L.
  2. BatchNorm is folded into the preceding conv first (w *= g/sqrt(v+eps)
     per output channel, b' = (b - m) g/sqrt(v+eps) + beta); the exported
     graph has no BatchNormalization.
  3. Basis (PCA, fixed here): every layer's rows, each divided by its own
     max|w[o]|, cut into zero-padded segments; the segments of all layers
     stacked into X (N x L); B = the K eigenvectors of X^T X (uncentred) with
     the largest eigenvalues, descending, each signed so that its
     largest-magnitude component is positive (ties: lowest index);
     numpy.linalg.eigh in float64. B is L x K (column j = vector j).
  4. Quantization, round half away from zero everywhere
     (round_away(x) = sign(x) floor(|x| + 0.5)):
       basis:  s_B = max|B| / 127, B_q = round_away(B / s_B)  (8 bits, fixed);
       coefficients c[o][s][j]: s_c[o] = max_{s,j} |c[o][s][j]| / (2^(cb-1) - 1),
               c_q = round_away(c / s_c)  (so max|c_q[o]| = 2^(cb-1) - 1);
       effective weight W[o][s*L + r] = s_c[o] * s_B * sum_j c_q[o][s][j] B_q[r][j]
               for s*L + r < Kg (padding rows dropped); computed in float64 as
               (s_c[o] * s_B) * (integer sum), stored as float32.
     Initial c: least squares of each BN-folded float segment on the columns
     of B_q * s_B, on the segment's valid rows only (numpy.linalg.lstsq: the
     minimum-norm solution where the last segment has fewer valid rows than K).
  5. Export: a plain graph, Conv Relu MaxPool Conv Relu MaxPool Flatten Gemm
     Relu Gemm (opset 13, no BatchNormalization), each Conv/Gemm weight the
     effective W above (float32), biases float (trained); input "input"
     [1,1,28,28] = pixel / 255, output "logits" [1,10]. metadata_props:
       imcvp.basisn.length = L, imcvp.basisn.count = K,
       imcvp.basisn.coef_bits = cb,
       imcvp.basisn.basis = the float B (not B_q), L*K numbers row-major
         [r][j], comma-separated, each repr(float) (round-trips exactly).

Training: the basis stays fixed (PCA + 8-bit quantization, computed once from
the BN-folded float network). The coefficients and the biases are fine-tuned
with the effective weights in the forward pass (fake-quant, straight-through
estimator for round_away; s_c recomputed every step from the current c and
not differentiated), Adam, cross-entropy, cosine-annealed learning rate,
EPOCHS epochs over the 60,000 training images, batch 128. The coefficients
are trained in units of their channel's initial max|c[o]| (a per-channel
rescaling of the learning rate; the function is the same). Activations stay
float (the compiler quantizes them to 8 bits after calibration).

Configurations: L = 9; K in {1, 2, 3, 4, 6, 9} at cb = 4, and K = 4 at cb = 8.
Writes into --out-dir (default: this folder):
    fmnist_cnn_basisn_k{K}.onnx   cb = 4
    fmnist_cnn_basisn_k4_c8.onnx  K = 4, cb = 8
    fmnist_cnn_basisn.json        per file: K, L, cb, epochs, seconds,
                                  accuracies (float, before and after
                                  fine-tuning), energy fraction, sha256, ...

The configurations run in 2 single-threaded worker processes (2 threads in
all). Each one has its own seed and data order, so the files do not depend
on the scheduling: the same files every run on the same machine / torch build.
Every file is checked with onnx.checker and run by onnx_eval.py (numpy) on
500 test images: the predictions must equal torch's.
"""

import argparse
import copy
import hashlib
import json
import math
import os
import platform
import sys
import time
import warnings

try:
    import numpy as np
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
    import onnx
    from onnx import numpy_helper
except ImportError:  # the pyenv python3 on PATH has none of these; Debian's has
    if os.path.exists("/usr/bin/python3") and sys.executable != "/usr/bin/python3":
        os.execv("/usr/bin/python3", ["/usr/bin/python3"] + sys.argv)
    raise

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import onnx_eval  # noqa: E402
import train  # noqa: E402  (CNN, load_data, seed_everything, strip_identities)

SEED = 20240601
THREADS = 1        # per process (a loaded 2-core machine)
WORKERS = 2        # single-threaded worker processes
BATCH = 128
OPSET = 13
SRC_ONNX = "fmnist_cnn.onnx"
VERIFY_IMAGES = 500

L = 9                       # segment length
BASIS_BITS = 8              # bb: s_B = max|B| / 127
CONFIGS = [(k, 4) for k in (1, 2, 3, 4, 6, 9)] + [(4, 8)]   # (K, cb)
EPOCHS = 5
LR_COEF = 3e-2     # Adam lr of the coefficients, in units of the channel's initial max|c|
LR_BIAS = 1e-3     # Adam lr of the biases (raw units)
META = "imcvp.basisn."


def file_name(k, cb):
    return f"fmnist_cnn_basisn_k{k}.onnx" if cb == 4 else f"fmnist_cnn_basisn_k{k}_c{cb}.onnx"


def round_away_np(x):
    return np.sign(x) * np.floor(np.abs(x) + 0.5)


def round_away(x):
    return torch.sign(x) * torch.floor(x.abs() + 0.5)


def qmax(bits):
    return 2 ** (bits - 1) - 1


# ------------------------------------------------------- base network --

def load_base(path):
    """train.CNN with the weights of fmnist_cnn.onnx (initializer names are the
    state-dict names)."""
    m = onnx.load(path)
    init = {t.name: torch.from_numpy(numpy_helper.to_array(t).copy()) for t in m.graph.initializer}
    model = train.CNN()
    sd = model.state_dict()
    for k in sd:
        if k.endswith("num_batches_tracked"):
            continue
        assert k in init and tuple(init[k].shape) == tuple(sd[k].shape), k
        sd[k] = init[k]
    model.load_state_dict(sd)
    return model.eval()


def fold(model):
    """Fold each BatchNorm2d into the Conv2d just before it (float64).
    Returns (plain, layers): plain = a copy of the model with the BNs replaced
    by Identity (not exported) and the convs given a bias; layers = the
    Conv/Linear modules of plain in forward order with their folded float64
    weights {"name", "module", "w", "b"}. Only Sequential-style models (the
    leaf modules in forward order), as train.CNN / train.MLP."""
    plain = copy.deepcopy(model).eval()
    named = [(n, m) for n, m in plain.named_modules() if len(list(m.children())) == 0]
    layers = []
    for i, (name, mod) in enumerate(named):
        if isinstance(mod, nn.Conv2d):
            w = mod.weight.detach().double().numpy().copy()
            b = (mod.bias.detach().double().numpy().copy() if mod.bias is not None
                 else np.zeros(w.shape[0]))
            if i + 1 < len(named) and isinstance(named[i + 1][1], nn.BatchNorm2d):
                bn_name, bn = named[i + 1]
                g = bn.weight.detach().double().numpy()
                beta = bn.bias.detach().double().numpy()
                mean = bn.running_mean.detach().double().numpy()
                var = bn.running_var.detach().double().numpy()
                k = g / np.sqrt(var + bn.eps)
                w = w * k[:, None, None, None]
                b = (b - mean) * k + beta
                parent, _, idx = bn_name.rpartition(".")
                setattr(plain.get_submodule(parent), idx, nn.Identity())
            mod.bias = nn.Parameter(torch.zeros(w.shape[0]))
            layers.append({"name": name, "module": mod, "w": w, "b": b})
        elif isinstance(mod, nn.Linear):
            layers.append({"name": name, "module": mod,
                           "w": mod.weight.detach().double().numpy().copy(),
                           "b": mod.bias.detach().double().numpy().copy()})
        elif isinstance(mod, nn.BatchNorm2d):
            assert i > 0 and isinstance(named[i - 1][1], nn.Conv2d), f"{name}: BN not after a conv"
        else:
            assert isinstance(mod, (nn.ReLU, nn.MaxPool2d, nn.Flatten, nn.Identity)), \
                f"{name}: {type(mod).__name__} not supported"
    for l in layers:
        set_weights(l, l["w"], l["b"])
    return plain, layers


def set_weights(layer, w, b):
    mod = layer["module"]
    with torch.no_grad():
        mod.weight.copy_(torch.from_numpy(np.asarray(w, dtype=np.float32).reshape(mod.weight.shape)))
        mod.bias.copy_(torch.from_numpy(np.asarray(b, dtype=np.float32)))


# ------------------------------------------------------------ segments --

def segments(w):
    """[O, ...] weights -> ([O, S, L] zero-padded segments, Kg, S)."""
    rows = w.reshape(w.shape[0], -1)
    kg = rows.shape[1]
    s = -(-kg // L)
    pad = np.zeros((rows.shape[0], s * L), dtype=rows.dtype)
    pad[:, :kg] = rows
    return pad.reshape(rows.shape[0], s, L), kg, s


def pca(layers):
    """Eigen-decomposition of X^T X (X = all max-normalised segments).
    Returns (V [L, L] columns = eigenvectors, descending, signed; eigenvalues
    descending; N = rows of X)."""
    xs = []
    for l in layers:
        rows = l["w"].reshape(l["w"].shape[0], -1)
        m = np.abs(rows).max(1, keepdims=True)
        m[m == 0] = 1.0
        seg, _, _ = segments(rows / m)
        xs.append(seg.reshape(-1, L))
    x = np.concatenate(xs).astype(np.float64)
    vals, vecs = np.linalg.eigh(x.T @ x)
    order = np.argsort(-vals, kind="stable")
    vals, vecs = vals[order], vecs[:, order].copy()
    for j in range(L):
        i = int(np.argmax(np.abs(vecs[:, j])))   # first index on a tie
        if vecs[i, j] < 0:
            vecs[:, j] = -vecs[:, j]
    return vecs, vals, x.shape[0]


def quant_basis(b):
    s_b = float(np.abs(b).max()) / qmax(BASIS_BITS)
    return round_away_np(b / s_b), s_b


def init_coefs(w, bq, s_b):
    """Least squares of each segment on the columns of B_q * s_B over its
    valid rows -> c [O, S, K] float64."""
    seg, kg, s = segments(w)
    o, k = seg.shape[0], bq.shape[1]
    a = bq * s_b
    c = np.zeros((o, s, k))
    for si in range(s):
        v = min(L, kg - si * L)
        # one lstsq per segment index, all output channels as right-hand sides
        c[:, si, :] = np.linalg.lstsq(a[:v], seg[:, si, :v].T, rcond=None)[0].T
    return c


def quant_coefs(c, cb):
    """-> (c_q integers as float64 [O, S, K], s_c [O])."""
    s_c = np.abs(c).reshape(c.shape[0], -1).max(1) / qmax(cb)
    s_c = np.where(s_c > 0, s_c, 1.0)
    return round_away_np(c / s_c[:, None, None]), s_c


def effective_weight(c_q, s_c, bq, s_b, shape):
    """W[o][s*L + r] = (s_c[o] * s_B) * sum_j c_q[o][s][j] B_q[r][j], float64."""
    o = c_q.shape[0]
    ints = np.einsum("osj,rj->osr", c_q, bq)          # exact: small integers
    w = (s_c * s_b)[:, None, None] * ints
    kg = int(np.prod(shape[1:]))
    return w.reshape(o, -1)[:, :kg].reshape(shape)


# ------------------------------------------------------------- training --

class BasisNet(nn.Module):
    """Forward pass with the BasisN effective weights (fake-quant, STE).
    Coefficients as u = c / m[o] (m[o] = initial max|c[o]|)."""

    def __init__(self, plain, layers, coefs, bq, s_b, cb):
        super().__init__()
        self.plain = plain                       # its Conv/Linear weights are not used
        self.cb = cb
        self.names = [l["name"] for l in layers]
        self.register_buffer("bq", torch.tensor(bq, dtype=torch.float32))
        self.s_b = float(s_b)
        self.u = nn.ParameterList()
        self.bias = nn.ParameterList()
        self.m = []
        self.shapes = []
        for l, c in zip(layers, coefs):
            m = np.abs(c).reshape(c.shape[0], -1).max(1)
            m = np.where(m > 0, m, 1.0)
            self.m.append(m)
            self.u.append(nn.Parameter(torch.tensor(c / m[:, None, None], dtype=torch.float32)))
            self.bias.append(nn.Parameter(torch.tensor(l["b"], dtype=torch.float32)))
            self.shapes.append(tuple(l["w"].shape))
        self.mt = [torch.tensor(m, dtype=torch.float32).view(-1, 1, 1) for m in self.m]
        self.mods = [l["module"] for l in layers]
        self.leaves = [m for _, m in plain.named_modules() if len(list(m.children())) == 0]

    def weight(self, i):
        c = self.u[i] * self.mt[i]
        s_c = (c.detach().abs().flatten(1).amax(1) / qmax(self.cb)).clamp_min(1e-30).view(-1, 1, 1)
        cq = c + (round_away(c / s_c) * s_c - c).detach()      # STE
        w = torch.matmul(cq, self.bq.t()) * self.s_b          # [O, S, L]
        shape = self.shapes[i]
        kg = int(np.prod(shape[1:]))
        return w.flatten(1)[:, :kg].reshape(shape)

    def forward(self, x):
        ws = {id(m): i for i, m in enumerate(self.mods)}
        for mod in self.leaves:
            if id(mod) in ws:
                i = ws[id(mod)]
                if isinstance(mod, nn.Conv2d):
                    x = F.conv2d(x, self.weight(i), self.bias[i], mod.stride, mod.padding,
                                 mod.dilation, mod.groups)
                else:
                    x = F.linear(x, self.weight(i), self.bias[i])
            else:
                x = mod(x)
        return x

    def final(self):
        """The exported quantities in float64: per layer (c_q, s_c, bias)."""
        out = []
        for i in range(len(self.mods)):
            c = self.u[i].detach().double().numpy() * self.m[i][:, None, None]
            c_q, s_c = quant_coefs(c, self.cb)
            out.append((c_q, s_c, self.bias[i].detach().double().numpy()))
        return out


def logits_of(model, x, batch=1000):
    model.eval()
    with torch.no_grad():
        return torch.cat([model(x[i:i + batch]) for i in range(0, len(x), batch)])


def accuracy(model, x, y):
    return float((logits_of(model, x).argmax(1) == y).float().mean())


def apply_basisn(plain, layers, quantized, bq, s_b):
    """Set plain's weights to the effective weights; returns per-layer info."""
    info = {}
    for l, (c_q, s_c, b) in zip(layers, quantized):
        w = effective_weight(c_q, s_c, bq, s_b, l["w"].shape)
        set_weights(l, w, b)
        info[l["name"]] = float(np.linalg.norm(w - l["w"]) / np.linalg.norm(l["w"]))
    return info


def train_coefs(net, data, epochs, seed, tag, log):
    xtr, ytr = data
    opt = torch.optim.Adam([{"params": list(net.u), "lr": _G["lr"][0]},
                            {"params": list(net.bias), "lr": _G["lr"][1]}])
    steps = epochs * ((len(xtr) + BATCH - 1) // BATCH) if epochs >= 1 else \
        int(math.ceil(epochs * len(xtr) / BATCH))
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=max(1, steps))
    gen = torch.Generator().manual_seed(seed)
    t0 = time.time()
    hist = []
    done = 0
    ep = 0
    while done < steps:
        net.train()
        perm = torch.randperm(len(xtr), generator=gen)
        tot, correct, seen = 0.0, 0, 0
        for i in range(0, len(xtr), BATCH):
            if done >= steps:
                break
            idx = perm[i:i + BATCH]
            xb, yb = xtr[idx], ytr[idx]
            opt.zero_grad(set_to_none=True)
            out = net(xb)
            loss = F.cross_entropy(out, yb)
            loss.backward()
            opt.step()
            sched.step()
            done += 1
            tot += float(loss) * len(idx)
            correct += int((out.argmax(1) == yb).sum())
            seen += len(idx)
        ep += 1
        hist.append({"epoch": ep, "steps": done, "train_loss": round(tot / seen, 5),
                     "train_acc": round(correct / seen, 5), "seconds": round(time.time() - t0, 1)})
        log(f"  [{tag}] epoch {ep}: loss {tot / seen:.4f} train acc {correct / seen:.4f} "
            f"({time.time() - t0:.0f} s)")
    return time.time() - t0, hist


# --------------------------------------------------------------- export --

def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def basis_string(b):
    return ",".join(repr(float(b[r, j])) for r in range(b.shape[0]) for j in range(b.shape[1]))


def export(plain, path, k, cb, b):
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore")
        torch.onnx.export(plain.eval(), torch.zeros(1, 1, 28, 28), path, opset_version=OPSET,
                          do_constant_folding=True, input_names=["input"],
                          output_names=["logits"])
    m = onnx.load(path)
    train.strip_identities(m)
    props = {META + "length": str(L), META + "count": str(k),
             META + "coef_bits": str(cb), META + "basis": basis_string(b)}
    del m.metadata_props[:]
    for key, val in props.items():
        e = m.metadata_props.add()
        e.key, e.value = key, val
    onnx.checker.check_model(m)
    ops = [n.op_type for n in m.graph.node]
    bad = sorted(set(ops) - onnx_eval.ALLOWED_OPS)
    assert not bad and "BatchNormalization" not in ops, f"{path}: ops {ops}"
    onnx.save(m, path)
    return m, ops


def check_file(path, m, layers, quantized, b, bq, s_b, k, cb):
    """Re-read what the compiler reads: the basis string must round-trip, the
    stored weights must equal float32 of the effective weights."""
    props = {p.key: p.value for p in onnx.load(path).metadata_props}
    assert int(props[META + "length"]) == L and int(props[META + "count"]) == k
    assert int(props[META + "coef_bits"]) == cb
    b_file = np.array([float(v) for v in props[META + "basis"].split(",")]).reshape(L, k)
    assert np.array_equal(b_file, b), "basis string does not round-trip"
    bq2, s_b2 = quant_basis(b_file)
    assert np.array_equal(bq2, bq) and s_b2 == s_b
    init = {t.name: numpy_helper.to_array(t) for t in m.graph.initializer}
    partial_max = 0
    for l, (c_q, s_c, bias) in zip(layers, quantized):
        w32 = init[l["name"] + ".weight"]
        want = effective_weight(c_q, s_c, bq, s_b, l["w"].shape).astype(np.float32)
        assert np.array_equal(w32, want), l["name"]
        assert np.array_equal(init[l["name"] + ".bias"], bias.astype(np.float32)), l["name"]
        assert np.abs(c_q).max() <= qmax(cb)
        kg = int(np.prod(l["w"].shape[1:]))
        if kg % L:
            # channels whose max |c_q| lies only in the (partial) last segment
            partial_max += int((np.abs(c_q[:, :kg // L]).reshape(c_q.shape[0], -1).max(1)
                                < qmax(cb)).sum())
    return partial_max


# ------------------------------------------------------------- the jobs --

_G = {}


def _init_worker():
    torch.set_num_threads(THREADS)
    torch.use_deterministic_algorithms(True)


def job(k, cb, seed):
    G = _G
    log = G["log"]
    xte, yte = G["test"]
    vecs = G["vecs"]
    b = vecs[:, :k].copy()
    bq, s_b = quant_basis(b)
    plain, layers = fold(G["base"])
    coefs = [init_coefs(l["w"], bq, s_b) for l in layers]
    before_q = [quant_coefs(c, cb) + (l["b"],) for c, l in zip(coefs, layers)]
    rel_err_before = apply_basisn(plain, layers, before_q, bq, s_b)
    acc_before = accuracy(plain, xte, yte)
    tag = f"K{k}_c{cb}"
    log(f"  [{tag}] before fine-tuning {acc_before:.4f}  rel. weight error "
        + " ".join(f"{n} {e:.3f}" for n, e in rel_err_before.items()))

    torch.manual_seed(seed)
    net = BasisNet(plain, layers, coefs, bq, s_b, cb)
    secs, hist = train_coefs(net, G["train"], G["epochs"], seed, tag, log)
    quantized = net.final()
    rel_err_after = apply_basisn(plain, layers, quantized, bq, s_b)
    t_logits = logits_of(plain, xte)
    acc_after = float((t_logits.argmax(1) == yte).float().mean())
    acc_train_graph = accuracy(net, xte, yte)      # the training forward pass (float32 path)

    name = file_name(k, cb)
    path = os.path.join(G["out_dir"], name)
    m, ops = export(plain, path, k, cb, b)
    partial_max = check_file(path, m, layers, quantized, b, bq, s_b, k, cb)
    g = onnx_eval.OnnxGraph(path)
    n = min(VERIFY_IMAGES, len(xte))
    x = xte[:n].numpy()
    o_logits = g.run_batched(x)
    one = np.concatenate([g.run(x[i:i + 1]) for i in range(5)])
    tl = t_logits[:n].numpy()
    agree = int((o_logits.argmax(1) == tl.argmax(1)).sum())
    diff = float(np.abs(o_logits - tl).max())
    assert agree == n, f"{name}: numpy-ONNX and torch disagree on {n - agree} of {n}"
    assert np.allclose(one, o_logits[:5], atol=1e-4)
    size = os.path.getsize(path)
    log(f"  [{tag}] after fine-tuning {acc_after:.4f} (training graph {acc_train_graph:.4f}); "
        f"wrote {name}: {size} bytes, numpy-ONNX agrees {agree}/{n}, max |dlogit| {diff:.1e}")
    total_coefs = sum(int(np.prod(q[0].shape)) for q in quantized)
    return {
        "file": name, "K": k, "L": L, "cb": cb, "basis_bits": BASIS_BITS,
        "epochs": G["epochs"], "seconds": round(secs, 1), "seed": seed,
        "accuracy_float": G["acc_float"],
        "accuracy_before_finetune": acc_before,
        "accuracy_after_finetune": acc_after,
        "accuracy_after_finetune_training_graph": acc_train_graph,
        "energy_fraction": G["energy"][k - 1],
        "relative_weight_error_before": rel_err_before,
        "relative_weight_error_after": rel_err_after,
        "coefficients": total_coefs,
        "channels_with_max_coef_only_in_partial_segment": partial_max,
        "basis": b.tolist(), "basis_q": bq.astype(int).tolist(), "s_B": s_b,
        "history": hist,
        "onnx": {"bytes": size, "sha256": sha256(path), "node_sequence": ops,
                 "numpy_check": {"images": n, "argmax_agree": agree,
                                 "max_abs_logit_diff": diff}},
    }


def _call(args):
    fn, a = args
    return fn(*a)


# ----------------------------------------------------------------- main --

def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out-dir", default=HERE, help="where the .onnx / .json go (default: networks/)")
    ap.add_argument("--quick", action="store_true",
                    help="smoke test: K=4, cb=4, a tenth of an epoch, 2,000 test images")
    ap.add_argument("--configs", default=None,
                    help="comma-separated K:cb pairs instead of the sweep (e.g. 4:4,9:4)")
    ap.add_argument("--epochs", type=float, default=None, help="override the epochs")
    ap.add_argument("--lr-coef", type=float, default=LR_COEF, help="coefficient learning rate")
    ap.add_argument("--lr-bias", type=float, default=LR_BIAS, help="bias learning rate")
    args = ap.parse_args(argv)
    _init_worker()
    t_start = time.time()
    log = lambda s: print(s, flush=True)  # noqa: E731

    xtr, ytr, xte, yte = train.load_data()
    configs = list(CONFIGS)
    epochs = EPOCHS
    if args.quick:
        configs, epochs = [(4, 4)], 0.1
        xte, yte = xte[:2000], yte[:2000]
    if args.configs:
        configs = [tuple(int(v) for v in p.split(":")) for p in args.configs.split(",")]
    if args.epochs is not None:
        epochs = args.epochs if args.epochs < 1 else int(args.epochs)
    os.makedirs(args.out_dir, exist_ok=True)

    base = load_base(os.path.join(HERE, SRC_ONNX))
    plain, layers = fold(base)
    acc_float = accuracy(plain, xte, yte)
    vecs, vals, n_rows = pca(layers)
    energy = [float(vals[:k].sum() / vals.sum()) for k in range(1, L + 1)]
    log(f"float (BN folded) {acc_float:.4f}; X: {n_rows} segments of {L}; energy of the top "
        f"K vectors: " + " ".join(f"{k}:{e:.4f}" for k, e in enumerate(energy, 1)))
    _G.update({"base": base, "train": (xtr, ytr), "test": (xte, yte), "epochs": epochs,
               "vecs": vecs, "energy": energy, "acc_float": acc_float, "log": log,
               "out_dir": args.out_dir, "lr": (args.lr_coef, args.lr_bias)})

    jobs = [(job, (k, cb, SEED + 100 * k + cb)) for k, cb in configs]
    mp = __import__("multiprocessing").get_context("fork")
    with mp.Pool(min(WORKERS, len(jobs)), initializer=_init_worker) as pool:
        results = pool.map(_call, jobs, chunksize=1)

    layer_info = []
    for l in layers:
        seg, kg, s = segments(l["w"])
        layer_info.append({"name": l["name"], "kind": type(l["module"]).__name__,
                           "shape": list(l["w"].shape), "Kg": kg, "S": s,
                           "last_segment_valid_rows": kg - (s - 1) * L})
    summary = [{"file": r["file"], "K": r["K"], "L": r["L"], "cb": r["cb"],
                "epochs": r["epochs"], "seconds": r["seconds"],
                "accuracy_float": r["accuracy_float"],
                "accuracy_before_finetune": r["accuracy_before_finetune"],
                "accuracy_after_finetune": r["accuracy_after_finetune"],
                "energy_fraction": r["energy_fraction"],
                "bytes": r["onnx"]["bytes"], "sha256": r["onnx"]["sha256"]} for r in results]
    meta = {
        "description": "BasisN (Eldebiky et al., arXiv 2407.03738): every Conv/FC kernel cut "
                       "into segments of L weights, each a quantized combination of K global "
                       "basis vectors shared by all layers; basis = PCA of the BN-folded "
                       "fmnist_cnn.onnx, fixed; coefficients and biases fine-tuned",
        "source_network": SRC_ONNX,
        "command": "/usr/bin/python3 networks/train_basisn.py" + (" --quick" if args.quick else "")
                   + (f" --configs {args.configs}" if args.configs else "")
                   + (f" --epochs {args.epochs:g}" if args.epochs is not None else "")
                   + (f" --lr-coef {args.lr_coef:g}" if args.lr_coef != LR_COEF else "")
                   + (f" --lr-bias {args.lr_bias:g}" if args.lr_bias != LR_BIAS else ""),
        "quick": args.quick,
        "test_images": int(len(yte)), "train_images": int(len(ytr)),
        "input": {"name": "input", "shape": [1, 1, 28, 28], "normalisation": "x = pixel / 255",
                  "layout": "NCHW"},
        "output": {"name": "logits", "shape": [1, 10]},
        "contract": {
            "weight_row": "Conv: weight[o].reshape(-1) (input channel of the group, ky, kx); "
                          "FC: weight[o]; length Kg",
            "segments": "S = ceil(Kg / L); segment s = rows [s*L, s*L+L), last zero-padded",
            "batchnorm": "folded into the preceding conv first; no BN in the graph",
            "basis": "top-K eigenvectors of X^T X (uncentred), X = segments of every row "
                     "divided by its own max|w[o]|, all layers; descending eigenvalue; sign: "
                     "largest-magnitude component positive (tie: lowest index); numpy eigh float64",
            "rounding": "round_away(x) = sign(x) * floor(|x| + 0.5)",
            "basis_quantization": "s_B = max|B| / 127, B_q = round_away(B / s_B)",
            "coefficient_quantization": "s_c[o] = max_{s,j} |c[o][s][j]| / (2^(cb-1) - 1), "
                                        "c_q = round_away(c / s_c)",
            "effective_weight": "W[o][s*L+r] = (s_c[o] * s_B) * sum_j c_q[o][s][j] * B_q[r][j] "
                                "(float64, stored as float32), rows >= Kg dropped",
            "initial_coefficients": "numpy.linalg.lstsq of each folded float segment on B_q*s_B, "
                                    "valid rows only (minimum norm when underdetermined)",
            "metadata_props": {META + "length": "L", META + "count": "K",
                               META + "coef_bits": "cb",
                               META + "basis": "float B, L*K numbers row-major [r][j], "
                                               "comma-separated repr(float)"},
        },
        "layers": layer_info,
        "pca": {"segments_N": n_rows, "eigenvalues_descending": [float(v) for v in vals],
                "energy_fraction_top_k": energy, "eigenvectors_columns": vecs.tolist()},
        "training": {"seed": SEED, "job_seed": "SEED + 100*K + cb",
                     "optimizer": "Adam, cosine annealing to 0",
                     "lr_coefficients": args.lr_coef,
                     "lr_coefficients_unit": "the channel's initial max|c[o]| (coefficients "
                                             "trained as u = c / m[o])",
                     "lr_bias": args.lr_bias, "batch": BATCH, "loss": "cross-entropy",
                     "epochs": epochs, "trained": "coefficients and biases; basis fixed",
                     "quantization_in_training": "fake-quant with STE; s_c recomputed from c "
                                                 "every step, not differentiated",
                     "activations": "float",
                     "torch_threads_per_process": THREADS, "worker_processes": WORKERS,
                     "deterministic_algorithms": True},
        "accuracy_float_folded": acc_float,
        "summary": summary,
        "files": {r["file"]: r for r in results},
        "total_seconds": round(time.time() - t_start, 1),
        "made_with": {"torch": torch.__version__, "onnx": onnx.__version__,
                      "numpy": np.__version__, "python": platform.python_version(),
                      "cpu_cores": os.cpu_count(),
                      "load_average_at_end": round(os.getloadavg()[0], 2)},
    }
    with open(os.path.join(args.out_dir, "fmnist_cnn_basisn.json"), "w") as f:
        json.dump(meta, f, indent=1)
        f.write("\n")
    for r in summary:
        log(f"{r['file']}: K={r['K']} cb={r['cb']} energy {r['energy_fraction']:.4f} "
            f"before {r['accuracy_before_finetune']:.4f} after {r['accuracy_after_finetune']:.4f} "
            f"({r['seconds']:.0f} s, {r['bytes']} bytes)")
    log(f"total {time.time() - t_start:.0f} s")


if __name__ == "__main__":
    main(sys.argv[1:])
