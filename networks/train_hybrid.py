#!/usr/bin/python3
"""Hybrid RRAM/SRAM compensation training for the Fashion-MNIST CNN.

Reproduces the training method (Algorithm 1) of Krishnan et al., "Hybrid
RRAM/SRAM In-Memory Computing for Robust DNN Acceleration", IEEE TCAD 2022,
on networks/fmnist_cnn.onnx:

  A. quantize: 3-bit symmetric per-output-channel weights (sign + 2-bit
     magnitude, q in -3..3; QAT, STE), every layer, biases float;
  B. variation-aware training (VAT): the same, with the simulator's RRAM
     device variation drawn afresh for every batch;
  C. hybrid: freeze B, add a bias-free compensation layer of the same shape
     beside every layer whose integer weights c (b bits, in units of the RRAM
     scale s[o]) are scaled by 2^-shift and added to the noisy RRAM output;
     train only c (device noise still injected), with group lasso over groups
     of 4 input channels (penalty lambda * sum_g min(||W_g||, delta_l),
     delta_l = alpha * mean_g ||W_g||), then prune the groups below delta_l and
     fine-tune one epoch with the mask fixed.

    /usr/bin/python3 networks/train_hybrid.py            # all files, 10-20 min on 2 cores
    /usr/bin/python3 networks/train_hybrid.py --quick --out-dir OUT   # smoke test, ~2 min

The stages run in 2 single-threaded worker processes (2 threads in all; on a
loaded 2-core machine one thread per process ran about 4x faster than two).
Every stage has its own seed, so the files do not depend on the scheduling:
the same files every run on the same machine / torch build.

Writes into --out-dir (default: this folder):
    fmnist_cnn_vat.onnx          VAT at 1x (plain graph, quantized weights)
    fmnist_cnn_hybrid_s{0..3}.onnx  b=1 compensation, shift 0..3, from the 1x VAT net
    fmnist_cnn_vat2x.onnx        VAT at 2x
    fmnist_cnn_hybrid2x.onnx     b=1 compensation at 2x, best 1x shift
    fmnist_cnn_hybrid_b2.onnx    b=2 compensation at 1x, best 1x shift
    fmnist_cnn_hybrid.json       epochs, times, accuracies, pruning, settings

Device model (the paper's; DIFFERENTIAL form on 3-bit, 8-level cells): a
weight q in -3..3 is a pair of cells at levels Lp = max(q, 0), Ln = max(-q, 0)
(the four lowest levels); each cell's programmed conductance in level units is
u = (L + g0) * exp(sigma_L * k * z) - g0 with its own z ~ N(0, 1) (two per
weight), g0 = 7/149 (on/off 150, 7 level steps); effective weight
(u_p - u_n) * s[o]. The variation is multiplicative on the magnitude, so a
zero weight (both cells at level 0) is nearly noise-free.
"""

import argparse
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
import train  # noqa: E402  (load_data, seed_everything, strip_identities)

SEED = 20240601
THREADS = 1        # per process; under load 1 thread ran ~4x faster than 2
WORKERS = 2        # single-threaded worker processes (2 threads in all)
BATCH = 128
OPSET = 13
SRC_ONNX = "fmnist_cnn.onnx"

# ---- device model (Table I of the paper; differential pair of 3-bit cells) --
RRAM_BITS = 3
WMAX = 2 ** (RRAM_BITS - 1) - 1          # 3: q in -3..3 (sign + 2-bit magnitude)
CELL_LEVELS = 8                           # 3-bit cells; only levels 0..3 are used
G0 = 7.0 / 149.0                          # off conductance in level units (on/off 150, 7 steps)
SIGMA = [0.1035, 0.1035, 0.2760, 0.2760]  # sigma per cell level 0..3
GROUP = 4                                 # input channels per pruning group

# ---- training settings ---------------------------------------------------
LR_QAT = 1e-3
LR_VAT = 1e-3
LR_COMP = 5e-3     # compensation latents are in units of s[o], O(1)
LAMBDA = 2e-3      # group lasso strength (sum over all groups and layers)
ALPHA = 1.5        # delta_l = ALPHA * mean_g ||W_g|| (chosen by a short sweep, see README)
EPOCHS = {"qat": 2, "vat": 3, "comp": 3, "finetune": 1}
EVAL_DRAWS = 5
EVAL_SEED = 777000   # draw d uses seed EVAL_SEED + d (the same chips for every model)


def round_away(x):
    """Round half away from zero (the compiler's rounding)."""
    return torch.sign(x) * torch.floor(x.abs() + 0.5)


def rram_scale(w):
    """Per-output-channel scale s[o] = max_i |w[o, i]| / WMAX, shaped for broadcasting."""
    s = w.detach().abs().flatten(1).amax(1) / WMAX
    s = torch.where(s > 0, s, torch.ones_like(s))
    return s.view(-1, *([1] * (w.dim() - 1)))


def rram_quant(w):
    """-> (q integer-valued float tensor, s broadcastable scale)."""
    s = rram_scale(w)
    q = torch.clamp(round_away(w.detach() / s), -WMAX, WMAX)
    return q, s


def cell_conductance(level, k, z):
    """Programmed conductance (level units) of cells at `level` with draws z."""
    sig = torch.tensor(SIGMA, dtype=z.dtype)[level.long()]
    return (level + G0) * torch.exp(sig * k * z) - G0


def device_weight(q, s, k, z):
    """Effective weight of q stored as a differential pair of cells at levels
    max(q, 0), max(-q, 0); z [2, *q.shape] = the draws of the +/- cells."""
    lp, ln = torch.clamp(q, min=0), torch.clamp(-q, min=0)
    return (cell_conductance(lp, k, z[0]) - cell_conductance(ln, k, z[1])) * s


def comp_quant(v, bits):
    """Compensation integers from the latent v (units of s): forward value, STE."""
    if bits == 1:
        c = torch.where(v >= 0, torch.ones_like(v), -torch.ones_like(v))
        # straight-through, clipped to |v| <= 1 (hardtanh STE)
        vc = torch.clamp(v, -1.0, 1.0)
        return vc + (c - vc).detach()
    lo, hi = -2 ** (bits - 1), 2 ** (bits - 1) - 1
    c = torch.clamp(round_away(v.detach()), lo, hi)
    return v + (c - v).detach()


def group_norms(v):
    """||v_g||_2 for groups of GROUP consecutive input channels x all kernel
    positions, per output channel. v [O, I, ...] -> [O, ceil(I/GROUP)]."""
    sq = (v ** 2).flatten(2).sum(2) if v.dim() > 2 else v ** 2   # [O, I]
    o, i = sq.shape
    g = (i + GROUP - 1) // GROUP
    if g * GROUP != i:
        sq = F.pad(sq, (0, g * GROUP - i))
    return torch.sqrt(sq.view(o, g, GROUP).sum(2) + 1e-12)


def expand_group_mask(gmask, shape):
    """[O, G] group mask -> weight-shaped mask."""
    m = gmask.repeat_interleave(GROUP, dim=1)[:, :shape[1]]
    return m.view(shape[0], shape[1], *([1] * (len(shape) - 2))).expand(shape).contiguous()


# ---------------------------------------------------------------- model --

class Ctx:
    """How to form the RRAM weights in a forward pass.
    mode: 'float' | 'quant' (no noise) | 'noisy'; k: variation scale;
    gen: generator for fresh draws; z: fixed draws per layer name (eval)."""

    def __init__(self, mode="quant", k=1.0, gen=None, z=None):
        self.mode, self.k, self.gen, self.z = mode, k, gen, z


class HybridLayer(nn.Module):
    def __init__(self, name, w, b, kind):
        super().__init__()
        self.name, self.kind = name, kind
        self.weight = nn.Parameter(torch.tensor(w, dtype=torch.float32))
        self.bias = nn.Parameter(torch.tensor(b, dtype=torch.float32))
        self.comp = None            # latent compensation weights (units of s)
        self.register_buffer("mask", torch.ones_like(self.weight))
        self.bits, self.shift = 1, 0

    def op(self, x, w, b):
        if self.kind == "conv":
            return F.conv2d(x, w, b, padding=1)
        return F.linear(x, w, b)

    def rram_weight(self, ctx):
        w = self.weight
        if ctx.mode == "float":
            return w
        q, s = rram_quant(w)
        wq = w + (q * s - w).detach()          # STE (s treated as a constant)
        if ctx.mode == "quant":
            return wq
        z = ctx.z[self.name] if ctx.z is not None else \
            torch.randn((2,) + tuple(q.shape), generator=ctx.gen)
        return wq + (device_weight(q, s, ctx.k, z) - q * s).detach()

    def comp_weight(self):
        """Compensation weight in float, c * s[o] (no 2^-shift)."""
        _, s = rram_quant(self.weight)
        return comp_quant(self.comp, self.bits) * self.mask * s

    def forward(self, x, ctx):
        y = self.op(x, self.rram_weight(ctx), self.bias)
        if self.comp is not None:
            y = y + self.op(x, self.comp_weight(), None) * (2.0 ** -self.shift)
        return y


class HybridCNN(nn.Module):
    NAMES = ["conv1", "conv2", "fc1", "fc2"]

    def __init__(self, folded):
        super().__init__()
        self.layers = nn.ModuleList(
            [HybridLayer(n, folded[n][0], folded[n][1], "conv" if n.startswith("conv") else "fc")
             for n in self.NAMES])

    def forward(self, x, ctx):
        c1, c2, f1, f2 = self.layers
        x = F.max_pool2d(F.relu(c1(x, ctx)), 2)
        x = F.max_pool2d(F.relu(c2(x, ctx)), 2)
        x = torch.flatten(x, 1)
        x = F.relu(f1(x, ctx))
        return f2(x, ctx)

    def add_compensation(self, bits, shift, init):
        """init: 'residual' -> latent = (w - q s)/s * 2^shift (the quantization
        error the compensation could first learn), clamped to the range."""
        for l in self.layers:
            l.weight.requires_grad_(False)
            l.bias.requires_grad_(False)
            q, s = rram_quant(l.weight)
            r = (l.weight.detach() - q * s) / s * (2.0 ** shift)
            hi = 1.0 if bits == 1 else 2.0 ** (bits - 1)
            l.comp = nn.Parameter(torch.clamp(r, -hi, hi).clone())
            l.mask = torch.ones_like(l.weight)
            l.bits, l.shift = bits, shift


def load_folded(path):
    """Read fmnist_cnn.onnx and fold each BatchNormalization into its conv."""
    m = onnx.load(path)
    init = {t.name: numpy_helper.to_array(t).astype(np.float64) for t in m.graph.initializer}
    nodes = list(m.graph.node)
    out = {}
    convs = [n for n in nodes if n.op_type == "Conv"]
    gemms = [n for n in nodes if n.op_type == "Gemm"]
    assert len(convs) == 2 and len(gemms) == 2, [n.op_type for n in nodes]
    for name, cv in zip(["conv1", "conv2"], convs):
        bn = next(n for n in nodes if n.op_type == "BatchNormalization" and n.input[0] == cv.output[0])
        eps = next((a.f for a in bn.attribute if a.name == "epsilon"), 1e-5)
        w = init[cv.input[1]]
        b = init[cv.input[2]] if len(cv.input) > 2 else np.zeros(w.shape[0])
        g, beta, mean, var = (init[i] for i in bn.input[1:5])
        k = g / np.sqrt(var + eps)
        out[name] = ((w * k[:, None, None, None]).astype(np.float32),
                     ((b - mean) * k + beta).astype(np.float32))
    for name, gm in zip(["fc1", "fc2"], gemms):
        attrs = {a.name: onnx.helper.get_attribute_value(a) for a in gm.attribute}
        assert attrs.get("transB", 0) == 1
        out[name] = (init[gm.input[1]].astype(np.float32), init[gm.input[2]].astype(np.float32))
    return out


# ------------------------------------------------------------- training --

def logits_of(model, x, ctx, batch=1000):
    model.eval()
    with torch.no_grad():
        return torch.cat([model(x[i:i + batch], ctx) for i in range(0, len(x), batch)])


def accuracy(model, x, y, ctx):
    return float((logits_of(model, x, ctx).argmax(1) == y).float().mean())


def draw_z(model, seed):
    gen = torch.Generator().manual_seed(seed)
    return {l.name: torch.randn((2,) + tuple(l.weight.shape), generator=gen)
            for l in model.layers}


def noisy_accuracy(model, x, y, k, draws):
    accs = [accuracy(model, x, y, Ctx("noisy", k, z=draw_z(model, EVAL_SEED + d)))
            for d in range(draws)]
    return {"mean": float(np.mean(accs)), "std": float(np.std(accs)),
            "draws": [round(a, 4) for a in accs]}


def train_stage(model, data, ctx_mode, k, epochs, lr, seed, tag, params,
                lasso=None, log=print):
    """Adam + cosine to 0, CE loss (+ group lasso on the compensation latents)."""
    xtr, ytr = data
    opt = torch.optim.Adam(params, lr=lr)
    steps = epochs * ((len(xtr) + BATCH - 1) // BATCH)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=max(1, steps))
    data_gen = torch.Generator().manual_seed(seed)
    noise_gen = torch.Generator().manual_seed(seed + 1)
    ctx = Ctx(ctx_mode, k, gen=noise_gen)
    t0 = time.time()
    hist = []
    for ep in range(epochs):
        model.train()
        perm = torch.randperm(len(xtr), generator=data_gen)
        tot, pen_tot, correct, seen = 0.0, 0.0, 0, 0
        for i in range(0, len(xtr), BATCH):
            idx = perm[i:i + BATCH]
            xb, yb = xtr[idx], ytr[idx]
            opt.zero_grad(set_to_none=True)
            out = model(xb, ctx)
            loss = F.cross_entropy(out, yb)
            pen = torch.zeros(())
            if lasso is not None:
                lam, alpha = lasso
                for l in model.layers:
                    n = group_norms(l.comp)
                    delta = alpha * n.detach().mean()
                    pen = pen + torch.minimum(n, delta).sum()
                pen = lam * pen
            (loss + pen).backward()
            opt.step()
            sched.step()
            tot += float(loss) * len(idx)
            pen_tot += float(pen) * len(idx)
            correct += int((out.argmax(1) == yb).sum())
            seen += len(idx)
        h = {"epoch": ep + 1, "train_loss": round(tot / seen, 5),
             "train_acc": round(correct / seen, 5), "seconds": round(time.time() - t0, 1)}
        if lasso is not None:
            h["lasso_penalty"] = round(pen_tot / seen, 5)
        hist.append(h)
        log(f"  [{tag}] epoch {ep + 1}/{epochs}: loss {tot / seen:.4f} "
            f"train acc {correct / seen:.4f}"
            + (f" penalty {pen_tot / seen:.4f}" if lasso is not None else "")
            + f" ({time.time() - t0:.0f} s)")
    return time.time() - t0, hist


def prune(model, alpha):
    """Hard-prune groups with ||v_g|| < alpha * mean_g ||v_g|| per layer."""
    stats = {}
    for l in model.layers:
        with torch.no_grad():
            n = group_norms(l.comp)
            delta = alpha * n.mean()
            gmask = (n >= delta).float()
            l.mask = expand_group_mask(gmask, l.weight.shape)
            l.comp.mul_(l.mask)
        stats[l.name] = {"groups": int(gmask.numel()), "groups_kept": int(gmask.sum()),
                         "weights": int(l.mask.numel()), "weights_kept": int(l.mask.sum()),
                         "delta": float(delta)}
    total = sum(s["weights"] for s in stats.values())
    kept = sum(s["weights_kept"] for s in stats.values())
    return {"per_layer": stats, "weights_total": total, "weights_kept": kept,
            "pruning_ratio": 1.0 - kept / total}


# --------------------------------------------------------------- export --

class ExportLayer(nn.Module):
    def __init__(self, kind, w_rram, bias, w_sram, shift):
        super().__init__()
        o, i = w_rram.shape[:2]
        if kind == "conv":
            self.rram = nn.Conv2d(i, o, 3, padding=1, bias=True)
            self.sram = nn.Conv2d(i, o, 3, padding=1, bias=False) if w_sram is not None else None
        else:
            self.rram = nn.Linear(i, o, bias=True)
            self.sram = nn.Linear(i, o, bias=False) if w_sram is not None else None
        with torch.no_grad():
            self.rram.weight.copy_(w_rram)
            self.rram.bias.copy_(bias)
            if self.sram is not None:
                self.sram.weight.copy_(w_sram)
        self.factor = 2.0 ** -shift

    def forward(self, x):
        if self.sram is None:
            return self.rram(x)
        return self.rram(x) + self.sram(x) * self.factor


class ExportCNN(nn.Module):
    def __init__(self, model, hybrid):
        super().__init__()
        for l in model.layers:
            q, s = rram_quant(l.weight)
            w_rram = (q * s).float()
            w_sram = None
            if hybrid:
                c = comp_quant(l.comp.detach(), l.bits) * l.mask
                w_sram = (c * s).float()
            setattr(self, l.name, ExportLayer(l.kind, w_rram, l.bias.detach(), w_sram,
                                              l.shift if hybrid else 0))
        self.pool = nn.MaxPool2d(2)
        self.relu = nn.ReLU()
        self.flatten = nn.Flatten()

    def forward(self, x):
        x = self.pool(self.relu(self.conv1(x)))
        x = self.pool(self.relu(self.conv2(x)))
        x = self.relu(self.fc1(self.flatten(x)))
        return self.fc2(x)


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def tidy_graph(m):
    """torch exports a bias-free Linear as MatMul(x, W^T) and a python scalar as
    a Constant node. Rewrite them to what the other layers look like:
    Gemm(x, W [out, in], transB=1) with the weight stored as <layer>.sram.weight,
    and the Mul's scalar as an initializer <layer>.sram_scale."""
    g = m.graph
    inits = {t.name: t for t in g.initializer}
    for i, n in enumerate(list(g.node)):
        if n.op_type == "MatMul" and n.input[1] in inits:
            layer = n.name.strip("/").split("/")[0]
            wt = numpy_helper.to_array(inits[n.input[1]])
            w = numpy_helper.from_array(np.ascontiguousarray(wt.T), f"{layer}.sram.weight")
            g.initializer.remove(inits.pop(n.input[1]))
            g.initializer.append(w)
            inits[w.name] = w
            gemm = onnx.helper.make_node("Gemm", [n.input[0], w.name],
                                         [n.output[0].replace("MatMul", "Gemm")],
                                         name=n.name.replace("MatMul", "Gemm"),
                                         alpha=1.0, beta=1.0, transB=1)
            idx = list(g.node).index(n)
            g.node.remove(n)
            g.node.insert(idx, gemm)
            for other in g.node:
                for j, name in enumerate(other.input):
                    if name == n.output[0]:
                        other.input[j] = gemm.output[0]
        elif n.op_type == "Constant":
            layer = n.name.strip("/").split("/")[0]
            val = numpy_helper.to_array(onnx.helper.get_attribute_value(n.attribute[0]))
            t = numpy_helper.from_array(val.astype(np.float32), f"{layer}.sram_scale")
            g.initializer.append(t)
            for other in g.node:
                for j, name in enumerate(other.input):
                    if name == n.output[0]:
                        other.input[j] = t.name
            g.node.remove(n)


def export(model, path, hybrid, xte, yte, log=print):
    em = ExportCNN(model, hybrid).eval()
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore")
        torch.onnx.export(em, torch.zeros(1, 1, 28, 28), path, opset_version=OPSET,
                          do_constant_folding=True, input_names=["input"],
                          output_names=["logits"])
    m = onnx.load(path)
    train.strip_identities(m)
    tidy_graph(m)
    init = {t.name: numpy_helper.to_array(t) for t in m.graph.initializer}
    mm = [n for n in m.graph.node if n.op_type in ("Conv", "Gemm")]
    info = {}
    if hybrid:
        l0 = model.layers[0]
        pairs = []
        for l in model.layers:
            rn = next(n for n in mm if n.input[1] == f"{l.name}.rram.weight")
            sn = next(n for n in mm if n.input[1] == f"{l.name}.sram.weight")
            pairs.append(f"{rn.name}={sn.name}")
        props = {"imcvp.hybrid.pairs": ";".join(pairs),
                 "imcvp.hybrid.shift": str(l0.shift),
                 "imcvp.hybrid.sram_weight_bits": str(l0.bits),
                 "imcvp.hybrid.group_channels": str(GROUP),
                 "imcvp.hybrid.rram_weight_bits": str(RRAM_BITS)}
        del m.metadata_props[:]
        for k_, v_ in props.items():
            e = m.metadata_props.add()
            e.key, e.value = k_, v_
        info["metadata_props"] = props
    onnx.checker.check_model(m)
    onnx.save(m, path)

    # the stored weights must be exactly q*s and c*s (integers after / s)
    for l in model.layers:
        wname = f"{l.name}.rram.weight"
        w32 = init[wname].reshape(init[wname].shape[0], -1)
        q_t, s_t = rram_quant(l.weight)
        s32 = s_t.flatten().numpy().astype(np.float32)
        # the compiler's scale from the stored weights: max|w_q[o]| / WMAX
        s_file = np.abs(w32.astype(np.float64)).max(1) / WMAX
        assert np.allclose(s_file, s32, rtol=1e-6, atol=0), l.name
        q = np.round(w32.astype(np.float64) / s32[:, None])
        assert np.abs(q).max() <= WMAX, l.name
        assert np.array_equal((q.astype(np.float32) * s32[:, None]).astype(np.float32), w32), l.name
        assert np.array_equal(q, q_t.reshape(q.shape).numpy()), l.name
        if hybrid:
            c32 = init[f"{l.name}.sram.weight"].reshape(w32.shape[0], -1)
            c = np.round(c32.astype(np.float64) / s32[:, None])
            assert np.array_equal((c.astype(np.float32) * s32[:, None]).astype(np.float32), c32), l.name
            lo = -1 if l.bits == 1 else -2 ** (l.bits - 1)
            hi = 1 if l.bits == 1 else 2 ** (l.bits - 1) - 1
            assert c.min() >= lo and c.max() <= hi, l.name
            if l.bits == 1:
                assert set(np.unique(c)) <= {-1.0, 0.0, 1.0}

    g = onnx_eval.OnnxGraph(path)
    x = xte.numpy()
    o_logits = g.run_batched(x)
    t_logits = logits_of(model, xte, Ctx("quant")).numpy()
    agree = int((o_logits.argmax(1) == t_logits.argmax(1)).sum())
    diff = float(np.abs(o_logits - t_logits).max())
    one = g.run(x[:1])
    assert np.allclose(one, o_logits[:1], atol=1e-4)
    o_acc = float((o_logits.argmax(1) == yte.numpy()).mean())
    assert agree >= len(x) - 2, f"{path}: torch/ONNX argmax disagree on {len(x) - agree}"
    ops = [n.op_type for n in m.graph.node]
    log(f"  wrote {os.path.basename(path)}: {os.path.getsize(path)} bytes, ops {sorted(set(ops))}, "
        f"numpy-ONNX acc {o_acc:.4f}, argmax agree {agree}/{len(x)}, max |dlogit| {diff:.2e}")
    info.update({"file": os.path.basename(path), "bytes": os.path.getsize(path),
                 "sha256": sha256(path), "node_sequence": ops,
                 "node_names": [n.name for n in m.graph.node],
                 "onnx_numpy_accuracy_no_noise": o_acc,
                 "onnx_vs_torch": {"images": len(x), "argmax_agree": agree,
                                   "max_abs_logit_diff": diff}})
    return info


# ------------------------------------------------------------- the jobs --
# Stages run as jobs in WORKERS single-threaded processes (fork). Each job is
# seeded on its own, so the results do not depend on which worker runs it or
# when. Data and settings reach the workers as module globals set before the
# fork; models travel as numpy state dicts.

_G = {}


def to_np(sd):
    return {k: v.detach().numpy().copy() for k, v in sd.items()}


def to_torch(sd):
    return {k: torch.from_numpy(v) for k, v in sd.items()}


def build(state=None, bits=None, shift=None):
    m = HybridCNN(_G["folded"])
    if bits is not None:
        m.add_compensation(bits, shift, "residual")
    if state is not None:
        m.load_state_dict(to_torch(state))
    return m


def _init_worker():
    torch.set_num_threads(THREADS)
    torch.use_deterministic_algorithms(True)


def job_vat(state_a, k, seed):
    G = _G
    xte, yte = G["test"]
    m = build(state_a)
    tag = f"vat{k:g}x"
    secs, hist = train_stage(m, G["train"], "noisy", k, G["epochs"]["vat"], LR_VAT, seed, tag,
                             list(m.parameters()), log=G["log"])
    acc = {"no_noise": accuracy(m, xte, yte, Ctx("quant")),
           "noise": noisy_accuracy(m, xte, yte, k, G["draws"])}
    G["log"](f"  [{tag}] no noise {acc['no_noise']:.4f}, under {k:g}x noise "
             f"{acc['noise']['mean']:.4f} +- {acc['noise']['std']:.4f}")
    return to_np(m.state_dict()), {"variation_scale": k, "epochs": G["epochs"]["vat"],
                                   "seconds": round(secs, 1), "lr": LR_VAT, "seed": seed,
                                   "history": hist, "accuracy": acc}


def job_hybrid(vat_state, k, bits, shift, seed, lasso=None, comp_data=None, comp_epochs=None):
    """lasso / comp_data / comp_epochs: overrides for the alpha sweep only."""
    G = _G
    lam, alpha = lasso or G["lasso"]
    xte, yte = G["test"]
    log, draws, epochs = G["log"], G["draws"], dict(G["epochs"])
    if comp_epochs is not None:
        epochs.update(comp_epochs)
    cdata = comp_data or G["train"]
    m = build(vat_state)
    m.add_compensation(bits, shift, "residual")
    params = [l.comp for l in m.layers]
    tag = f"hyb{k:g}x_b{bits}_s{shift}" + (f"_a{alpha:g}" if lasso else "")
    secs_c, hist_c = train_stage(m, cdata, "noisy", k, epochs["comp"], LR_COMP, seed, tag,
                                 params, lasso=(lam, alpha), log=log)
    diag = min(2, draws)
    acc_before = noisy_accuracy(m, xte, yte, k, diag)
    pr = prune(m, alpha)
    acc_pruned = noisy_accuracy(m, xte, yte, k, diag)
    log(f"  [{tag}] before pruning {acc_before['mean']:.4f}; pruned "
        f"{pr['pruning_ratio'] * 100:.1f} % of the weights -> {acc_pruned['mean']:.4f}")
    secs_f, hist_f = train_stage(m, cdata, "noisy", k, epochs["finetune"], LR_COMP / 5,
                                 seed + 2, tag + "_ft", params, log=log)
    with torch.no_grad():
        for l in m.layers:
            l.comp.mul_(l.mask)
    acc = {"no_noise": accuracy(m, xte, yte, Ctx("quant")),
           "noise": noisy_accuracy(m, xte, yte, k, draws),
           "noise_before_pruning_diag": acc_before,
           "noise_after_pruning_before_finetune_diag": acc_pruned,
           "diag_note": f"diagnostics use the first {diag} draws only"}
    log(f"  [{tag}] hybrid: no noise {acc['no_noise']:.4f}, under {k:g}x noise "
        f"{acc['noise']['mean']:.4f} +- {acc['noise']['std']:.4f}")
    return to_np(m.state_dict()), {
        "variation_scale": k, "sram_weight_bits": bits, "shift": shift,
        "lambda": lam, "alpha": alpha, "seed": seed,
        "epochs": {"compensation": epochs["comp"], "finetune": epochs["finetune"]},
        "seconds": {"compensation": round(secs_c, 1), "finetune": round(secs_f, 1)},
        "lr": {"compensation": LR_COMP, "finetune": LR_COMP / 5},
        "history": {"compensation": hist_c, "finetune": hist_f},
        "pruning": pr, "pruning_ratio": pr["pruning_ratio"],
        "compensation_weights_kept": pr["weights_kept"],
        "compensation_weights_total": pr["weights_total"],
        "accuracy": acc}


def vat_seed(k):
    """The VAT stage's seed at variation scale k (1x or 2x): the sweep's VAT net is the full run's."""
    return SEED + (20 if k == 1.0 else 30)


def _call(args):
    fn, a = args
    return fn(*a)


# ----------------------------------------------------------------- main --

def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out-dir", default=HERE, help="where the .onnx / .json go (default: networks/)")
    ap.add_argument("--quick", action="store_true", help="tiny smoke-test run")
    ap.add_argument("--lam", type=float, default=LAMBDA, help="group-lasso lambda")
    ap.add_argument("--alpha", type=float, default=ALPHA, help="threshold factor alpha")
    ap.add_argument("--sweep", metavar="SHIFT", type=int, default=None,
                    help="only QAT + VAT 1x + b=1 hybrids at SHIFT, one per --sweep-alphas "
                         "value, print their figures (for the alpha sweep); writes nothing")
    ap.add_argument("--sweep-alphas", default=None,
                    help="comma-separated alphas for --sweep (default: --alpha)")
    ap.add_argument("--sweep-images", type=int, default=20000,
                    help="training images for the sweep's compensation + fine-tune")
    ap.add_argument("--sweep-k", type=float, default=1.0,
                    help="variation scale of the sweep's VAT and hybrids (1 or 2)")
    ap.add_argument("--sweep-epochs", type=int, default=1,
                    help="compensation epochs in the sweep (fine-tune: 1)")
    args = ap.parse_args(argv)
    _init_worker()
    t_start = time.time()
    log = lambda s: print(s, flush=True)  # noqa: E731

    xtr, ytr, xte, yte = train.load_data()
    epochs = dict(EPOCHS)
    draws = EVAL_DRAWS
    if args.quick:
        xtr, ytr, xte, yte = xtr[:1024], ytr[:1024], xte[:500], yte[:500]
        epochs = {k: 1 for k in epochs}
        draws = 2
    folded = load_folded(os.path.join(HERE, SRC_ONNX))
    _G.update({"folded": folded, "train": (xtr, ytr), "test": (xte, yte), "epochs": epochs,
               "draws": draws, "lasso": (args.lam, args.alpha), "log": log})
    if args.sweep is None:
        os.makedirs(args.out_dir, exist_ok=True)

    train.seed_everything(SEED)
    base = build()
    figures = {"float_folded": accuracy(base, xte, yte, Ctx("float")),
               "ptq_3bit_no_noise": accuracy(base, xte, yte, Ctx("quant"))}
    log(f"float {figures['float_folded']:.4f}  3-bit PTQ (no training) {figures['ptq_3bit_no_noise']:.4f}")

    # A: quantization-aware training (no noise)
    secs_qat, hist_qat = train_stage(base, (xtr, ytr), "quant", 1.0, epochs["qat"], LR_QAT,
                                     SEED + 10, "qat", list(base.parameters()), log=log)
    state_a = to_np(base.state_dict())
    stage_a = {"epochs": epochs["qat"], "seconds": round(secs_qat, 1), "lr": LR_QAT,
               "seed": SEED + 10, "history": hist_qat,
               "accuracy": {"no_noise": accuracy(base, xte, yte, Ctx("quant"))}}
    log(f"  [qat] no noise {stage_a['accuracy']['no_noise']:.4f}")

    ctx = __import__("multiprocessing").get_context("fork")
    with ctx.Pool(WORKERS, initializer=_init_worker) as pool:
        run = lambda jobs: pool.map(_call, jobs, chunksize=1)  # noqa: E731
        if args.sweep is not None:
            k = args.sweep_k
            (vat1, st1), = run([(job_vat, (state_a, k, vat_seed(k)))])
            alphas = [float(a) for a in (args.sweep_alphas or str(args.alpha)).split(",")]
            n = args.sweep_images
            sub = (xtr[:n], ytr[:n])
            res = run([(job_hybrid, (vat1, k, 1, args.sweep, SEED + 100 + args.sweep,
                                     (args.lam, a), sub, {"comp": args.sweep_epochs}))
                       for a in alphas])
            for a, (_, st) in zip(alphas, res):
                ac = st["accuracy"]
                print(json.dumps({"lambda": args.lam, "alpha": a, "shift": args.sweep, "k": k,
                                  "images": n, "comp_epochs": args.sweep_epochs,
                                  "pruning_ratio": round(st["pruning_ratio"], 4),
                                  "per_layer_kept": {k_: f"{v['groups_kept']}/{v['groups']}"
                                                     for k_, v in st["pruning"]["per_layer"].items()},
                                  "noise_before_pruning": round(ac["noise_before_pruning_diag"]["mean"], 4),
                                  "noise_after_pruning": round(ac["noise_after_pruning_before_finetune_diag"]["mean"], 4),
                                  "noise_final": round(ac["noise"]["mean"], 4),
                                  "noise_final_std": round(ac["noise"]["std"], 4),
                                  "no_noise": round(ac["no_noise"], 4),
                                  "vat_noise": round(st1["accuracy"]["noise"]["mean"], 4),
                                  "vat_no_noise": round(st1["accuracy"]["no_noise"], 4)}),
                      flush=True)
            return
        # QAT-only under noise (why VAT is needed), in the workers
        (vat1, st_vat1), (vat2, st_vat2) = run([(job_vat, (state_a, 1.0, vat_seed(1.0))),
                                                 (job_vat, (state_a, 2.0, vat_seed(2.0)))])
        sweep = run([(job_hybrid, (vat1, 1.0, 1, s, SEED + 100 + s)) for s in range(4)])
        best_shift = max(range(4), key=lambda s: sweep[s][1]["accuracy"]["noise"]["mean"])
        log(f"best 1x shift: {best_shift}")
        (h2x, st_h2x), (hb2, st_hb2) = run([
            (job_hybrid, (vat2, 2.0, 1, best_shift, SEED + 200)),
            (job_hybrid, (vat1, 1.0, 2, best_shift, SEED + 300))])
        extra = run([(_noisy_job, (state_a, 1.0)), (_noisy_job, (state_a, 2.0)),
                     (_noisy_job, (vat1, 2.0))])
    figures["qat_noise_1x"], figures["qat_noise_2x"], figures["vat1x_model_under_2x_noise"] = extra

    out = lambda n: os.path.join(args.out_dir, n)  # noqa: E731
    files = {}

    def put(name, kind, state, vat_stats, comp_stats=None, src=None):
        if comp_stats is None:
            m = build(state)
        else:
            m = build(state, comp_stats["sram_weight_bits"], comp_stats["shift"])
        entry = {"kind": kind, "variation_scale": (comp_stats or vat_stats)["variation_scale"],
                 "qat": stage_a, "vat": vat_stats}
        if comp_stats is not None:
            entry.update({"from": src, "compensation": comp_stats})
        entry["export"] = export(m, out(name), kind == "hybrid", xte, yte, log)
        files[name] = entry

    put("fmnist_cnn_vat.onnx", "vat", vat1, st_vat1)
    for s in range(4):
        put(f"fmnist_cnn_hybrid_s{s}.onnx", "hybrid", sweep[s][0], st_vat1, sweep[s][1],
            "fmnist_cnn_vat.onnx")
    put("fmnist_cnn_vat2x.onnx", "vat", vat2, st_vat2)
    put("fmnist_cnn_hybrid2x.onnx", "hybrid", h2x, st_vat2, st_h2x, "fmnist_cnn_vat2x.onnx")
    put("fmnist_cnn_hybrid_b2.onnx", "hybrid", hb2, st_vat1, st_hb2, "fmnist_cnn_vat.onnx")

    summary = []
    for name, f in files.items():
        row = {"file": name, "variation_scale": f["variation_scale"],
               "vat_no_noise": f["vat"]["accuracy"]["no_noise"],
               "vat_noise_mean": f["vat"]["accuracy"]["noise"]["mean"],
               "vat_noise_std": f["vat"]["accuracy"]["noise"]["std"],
               "train_seconds": {"qat": f["qat"]["seconds"], "vat": f["vat"]["seconds"]}}
        if f["kind"] == "hybrid":
            c = f["compensation"]
            row.update({"sram_weight_bits": c["sram_weight_bits"], "shift": c["shift"],
                        "hybrid_no_noise": c["accuracy"]["no_noise"],
                        "hybrid_noise_mean": c["accuracy"]["noise"]["mean"],
                        "hybrid_noise_std": c["accuracy"]["noise"]["std"],
                        "pruning_ratio": c["pruning_ratio"],
                        "compensation_weights_kept": c["compensation_weights_kept"],
                        "compensation_weights_total": c["compensation_weights_total"]})
            row["train_seconds"].update(c["seconds"])
        summary.append(row)

    meta = {
        "description": "Hybrid RRAM/SRAM compensation (Krishnan et al., IEEE TCAD 2022, "
                       "Algorithm 1) on the Fashion-MNIST CNN of fmnist_cnn.onnx",
        "source_network": SRC_ONNX,
        "command": "/usr/bin/python3 networks/train_hybrid.py" + (" --quick" if args.quick else "")
                   + (f" --lam {args.lam:g}" if args.lam != LAMBDA else "")
                   + (f" --alpha {args.alpha:g}" if args.alpha != ALPHA else ""),
        "quick": args.quick,
        "test_images": int(len(yte)), "train_images": int(len(ytr)),
        "input": {"name": "input", "shape": [1, 1, 28, 28], "normalisation": "x = pixel / 255",
                  "layout": "NCHW"},
        "output": {"name": "logits", "shape": [1, 10]},
        "device_model": {
            "rram_weight_bits": RRAM_BITS, "form": "differential",
            "cell_bits": 3, "cell_levels": CELL_LEVELS, "levels_used": [0, 1, 2, 3],
            "level": "q in -3..3 (sign + 2-bit magnitude); Lp = max(q, 0), Ln = max(-q, 0)",
            "conductance": "u = (L + g0) * exp(sigma_L * k * z) - g0, independent z ~ N(0,1) "
                           "per cell (two per weight)",
            "effective_weight": "(u_p - u_n) * s[o]",
            "g0": G0, "g0_formula": "7/149 (on/off ratio 150, 7 level steps)",
            "sigma_per_level": SIGMA, "sigma_source": "Table I of the paper (levels 0..3)",
            "variation_scale_k": "1 for 1x, 2 for 2x",
        },
        "quantization": {
            "rram": "3-bit symmetric per output channel, s[o] = max_i |w[o,i]| / 3, "
                    "q = clamp(round_half_away(w/s), -3, 3), STE; all four layers; biases float",
            "compensation": "integers c in units of s[o] (b=1: {-1,+1}, sign with hardtanh STE; "
                            "b>=2: two's complement, round half away, clamp), no bias, "
                            "output * 2^-shift added before ReLU/MaxPool",
            "activations": "float in training; the simulator uses 8-bit activations "
                           "and finite ADCs, which training does not model",
        },
        "group_lasso": {
            "group": "4 input channels x all kernel positions of one output channel "
                     "(FC: 4 consecutive inputs; shorter last group)",
            "penalty": "lambda * sum_groups min(||v_g||_2, delta_l), delta_l = alpha * mean_g ||v_g||_2 "
                       "(recomputed every step, not differentiated), summed over all layers",
            "applied_to": "the latent float compensation weights v in units of s[o] "
                          "(for b=1 the quantized weights all have magnitude 1)",
            "lambda": args.lam, "alpha": args.alpha,
            "prune": "after the compensation epochs, groups with ||v_g|| < delta_l are set to 0 "
                     "and masked; then fine-tune with the mask fixed",
            "pruning_ratio": "pruned groups' weights / all compensation weights",
        },
        "training": {"seed": SEED, "optimizer": "Adam, cosine annealing to 0 per stage",
                     "batch": BATCH, "loss": "cross-entropy", "torch_threads_per_process": THREADS,
                     "worker_processes": WORKERS, "deterministic_algorithms": True,
                     "epochs": epochs,
                     "noise_during_training": "fresh z for every batch (VAT and compensation)",
                     "compensation_init": "latent = clamp((w - q s) / s * 2^shift): the "
                                          "quantization residual of the VAT latent weights",
                     "frozen_in_compensation": "RRAM weights and biases"},
        "evaluation": {"draws": draws, "draw_seeds": [EVAL_SEED + d for d in range(draws)],
                       "note": "each draw is one chip: z fixed over all test images; "
                               "accuracy mean/std over the draws; compensation weights exact; "
                               "the same draws are used for every model (paired)",
                       "best_shift_selection": "highest mean 1x hybrid accuracy on the test draws "
                                               "(no validation split: the test set picks the shift)"},
        "accuracy": figures,
        "best_shift_1x": best_shift,
        "summary": summary,
        "files": files,
        "total_seconds": round(time.time() - t_start, 1),
        "made_with": {"torch": torch.__version__, "onnx": onnx.__version__,
                      "numpy": np.__version__, "python": platform.python_version(),
                      "cpu_cores": os.cpu_count(),
                      "load_average_at_end": round(os.getloadavg()[0], 2)},
    }
    with open(out("fmnist_cnn_hybrid.json"), "w") as f:
        json.dump(meta, f, indent=1)
        f.write("\n")
    log(json.dumps(summary, indent=1))
    log(f"total {time.time() - t_start:.0f} s")


def _noisy_job(state, k):
    xte, yte = _G["test"]
    return noisy_accuracy(build(state), xte, yte, k, _G["draws"])


if __name__ == "__main__":
    main(sys.argv[1:])
