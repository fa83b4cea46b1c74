#!/usr/bin/python3
"""Hybrid RRAM/SRAM compensation at the paper's low precision, with the
platform's ADC in the training loop.

networks/train_hybrid.py trains the hybrid networks with float activations;
the simulator reads them with 8-bit activations and 8-bit ADCs, and there
the compensation does not help (docs/techniques/hybrid.md). The paper's
ResNet-20 row is a precision-starved network: 2-bit RRAM weights, 3-bit
activations, the RRAM macro's output quantized (its test chip: a 3-bit flash
ADC per 8 columns), and the SRAM branch adds exact digital precision beside
it. This script trains that case on the Fashion-MNIST CNN of fmnist_cnn.onnx
with the simulator's own arithmetic in the forward pass:

  - activations (and the input) quantized to ACT_BITS unsigned integers with
    the compiler's scales (compile.quant, Calibration::Max: the largest
    post-ReLU value of the float network over the first 1000 training
    images, recalibrated at the start of every epoch; input x = pixel/255 on
    the 1/(2^A - 1) grid), straight-through;
  - the crossbars as the platform reads them (docs/crossbar.md "Matrix-vector
    multiply"): weight rows in im2col order (c kh + ky) kw + kx, cut into
    chunks of ROWS rows (one crossbar each); inputs bit-serial, one bit per
    step; each step's column current sum_r bit_r u_rc (u: a cell's
    conductance in level units, per-level log-normal variation as in
    train_hybrid.py) converted by an ADC of ADC_BITS with LSB 2^ADC_LSB_LOG2,
    code = clamp(floor(I / 2^k + 1/2), 0, 2^b - 1), the positive and negative
    columns of the differential pair converted separately; codes shift-added
    over steps and summed over chunks. The ADC's error enters the forward
    pass as a constant (straight-through: the gradient is that of the exact
    product);
  - the compensation branch exact (the SRAM macro's digital MACs), scaled by
    2^-shift and added to the RRAM macro's shift-added output.

Stages (the paper's Algorithm 1, as train_hybrid.py): A. QAT (no variation),
B. VAT at the variation scale k (fresh variation every batch), C. freeze B,
train the 1-bit compensation with group lasso (lambda LAMBDA, alpha ALPHA,
groups of 4 input channels), prune, fine-tune. Run once per k in {1, 2}, the
two in parallel (one single-threaded process each).

    /usr/bin/python3 networks/train_hybrid_lowprec.py --no-eval # the committed files: 1528 s on 2 cores
    /usr/bin/python3 networks/train_hybrid_lowprec.py           # the same, plus torch accuracies (~30 min more)
    /usr/bin/python3 networks/train_hybrid_lowprec.py --quick --out-dir OUT

Writes into --out-dir (default: this folder):
    fmnist_cnn_vat_lp{1,2}x.onnx      VAT alone at 1x / 2x (plain graph)
    fmnist_cnn_hybrid_lp{1,2}x.onnx   its 1-bit compensation (shift SHIFT)
    fmnist_cnn_hybrid_lowprec.json    settings, times, accuracies, pruning
The scenarios scenarios/fmnist_cnn_{vat,hybrid}_lp*.yaml run them on the
platform with the same ACT_BITS, ADC_BITS and ADC_LSB_LOG2.
"""

import argparse
import json
import os
import platform
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import train_hybrid as th  # noqa: E402  (re-runs this script under Debian's python3 if torch is missing)
import train  # noqa: E402
import numpy as np  # noqa: E402
import onnx  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

SEED = 20241205
ACT_BITS = 3        # the paper's ResNet-20 activations (Table III)
ADC_BITS = 3        # the paper's test chip: a 3-bit flash ADC
ADC_LSB_LOG2 = 2    # LSB 4 unit currents: range 0..28 (chosen, see docs/techniques/hybrid.md)
ROWS = 64           # crossbar rows (the paper's 64 x 64 macro)
SHIFT = 1           # the paper's ResNet-20 shift
SRAM_BITS = 1       # the paper's ResNet-20 SRAM precision
LAMBDA = 2e-4       # group lasso (the 10x smaller lambda of train_hybrid.py's later try)
ALPHA = 1.0        # prune groups below the layer's mean norm (train_hybrid.py: 1.5; chosen to keep more of the branch)
TRAIN_IMAGES = 30000
EPOCHS = {"qat": 1, "vat": 2, "comp": 2, "finetune": 1}
LR = {"qat": 1e-3, "vat": 1e-3, "comp": 5e-3, "finetune": 1e-3}
DRAWS = 3           # chips in the torch evaluation (seeds th.EVAL_SEED + d)
CALIB_IMAGES = 1000
EVAL_BATCH = 250

AMAX = 2 ** ACT_BITS - 1


def ste_round(x):
    return x + (torch.floor(x + 0.5) - x).detach()


def act_quant(x, scale):
    """Unsigned ACT_BITS integers (as float) on the grid `scale`; the
    compiler's requantization rounds half up and clamps at 0..2^A - 1."""
    return ste_round(torch.clamp(x / scale, 0, AMAX))


def adc_mvm(cols, gp, gn):
    """The platform's crossbar read of integer inputs cols [N, K] against the
    differential pair's conductances gp, gn [K, O] (level units): per chunk of
    ROWS rows and per input bit, the ADC code of each column, shift-added.
    Returns [N, O] = positive minus negative. No gradient."""
    n, k = cols.shape
    o = gp.shape[1]
    r = min(ROWS, k)
    nch = (k + r - 1) // r
    g = torch.cat([gp, gn], 1)
    pad = nch * r - k
    if pad:
        cols = F.pad(cols, (0, pad))
        g = F.pad(g, (0, 0, 0, pad))
    g = g.view(nch, r, 2 * o)
    xi = cols.to(torch.int32)
    out = torch.zeros(n, 2 * o)
    lsb = 2.0 ** ADC_LSB_LOG2
    for s in range(ACT_BITS):
        bits = ((xi >> s) & 1).float().view(n, nch, r).transpose(0, 1)
        cur = torch.bmm(bits, g)                              # [nch, N, 2O]
        code = torch.clamp(torch.floor(cur / lsb + 0.5), 0, 2 ** ADC_BITS - 1)
        out += code.sum(0) * (lsb * 2 ** s)
    return out[:, :o] - out[:, o:]


class LowPrecNet:
    """The HybridCNN's parameters, run with the platform's integer arithmetic."""

    def __init__(self, model):
        self.m = model
        self.scales = None

    def layer(self, l, xi, ctx, adc):
        q, s = th.rram_quant(l.weight)
        wn = l.weight / s                                     # level units
        if ctx.mode == "noisy":
            z = ctx.z[l.name] if ctx.z is not None else \
                torch.randn((2,) + tuple(q.shape), generator=ctx.gen)
            gp = th.cell_conductance(torch.clamp(q, min=0), ctx.k, z[0])
            gn = th.cell_conductance(torch.clamp(-q, min=0), ctx.k, z[1])
        else:
            gp, gn = torch.clamp(q, min=0), torch.clamp(-q, min=0)
        ste = wn - wn.detach()
        weff = gp - gn + ste
        if l.comp is not None:
            weff = weff + th.comp_quant(l.comp, l.bits) * l.mask * 2.0 ** -l.shift
        acc = l.op(xi, weff, None)
        if adc:
            with torch.no_grad():
                fan = q[0].numel()
                gpm, gnm = gp.reshape(len(q), -1).t(), gn.reshape(len(q), -1).t()
                if l.kind == "conv":
                    nb, _, h, w = xi.shape
                    cols = F.unfold(xi.detach(), 3, padding=1).transpose(1, 2).reshape(-1, fan)
                else:
                    cols = xi.detach()
                err = adc_mvm(cols, gpm, gnm) - cols @ (gpm - gnm)
                if l.kind == "conv":
                    err = err.view(nb, h * w, -1).transpose(1, 2).reshape(nb, -1, h, w)
            acc = acc + err
        return acc, (s.view(1, -1, 1, 1) if l.kind == "conv" else s.view(1, -1))

    def forward(self, x, ctx, adc=True, quant=True):
        """-> (logits, [post-ReLU outputs of conv1, conv2, fc1])."""
        c1, c2, f1, f2 = self.m.layers
        sc = self.scales
        xi, si = (act_quant(x, sc[0]), sc[0]) if quant else (x, 1.0)
        outs = []
        for i, l in enumerate((c1, c2, f1)):
            acc, sv = self.layer(l, xi, ctx, adc)
            y = F.relu(acc * (sv * si) + l.bias.view(sv.shape))
            outs.append(y)
            if l.kind == "conv":
                y = F.max_pool2d(y, 2)
            if i == 1:
                y = torch.flatten(y, 1)
            xi, si = (act_quant(y, sc[i + 1]), sc[i + 1]) if quant else (y, 1.0)
        acc, sv = self.layer(f2, xi, ctx, adc)
        return acc * (sv * si) + f2.bias.view(1, -1), outs

    def calibrate(self, x):
        """The compiler's Calibration::Max on the float network of the exported
        file (quantized weights, compensation included, float activations)."""
        with torch.no_grad():
            _, outs = self.forward(x, th.Ctx("quant"), adc=False, quant=False)
        self.scales = [1.0 / AMAX] + [max(float(o.max()), 1e-12) / AMAX for o in outs]


def accuracy(net, x, y, ctx):
    with torch.no_grad():
        pred = torch.cat([net.forward(x[i:i + EVAL_BATCH], ctx)[0].argmax(1)
                          for i in range(0, len(x), EVAL_BATCH)])
    return float((pred == y).float().mean())


def chips(net, x, y, k, draws):
    accs = [accuracy(net, x, y, th.Ctx("noisy", k, z=th.draw_z(net.m, th.EVAL_SEED + d)))
            for d in range(draws)]
    return {"mean": float(np.mean(accs)), "std": float(np.std(accs)),
            "draws": [round(a, 4) for a in accs]}


def fit(net, data, mode, k, epochs, lr, seed, params, tag, calib, lasso=None, log=print):
    xtr, ytr = data
    opt = torch.optim.Adam(params, lr=lr)
    steps = epochs * ((len(xtr) + th.BATCH - 1) // th.BATCH)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=max(1, steps))
    data_gen = torch.Generator().manual_seed(seed)
    ctx = th.Ctx(mode, k, gen=torch.Generator().manual_seed(seed + 1))
    t0, hist = time.time(), []
    for ep in range(epochs):
        net.calibrate(calib)
        perm = torch.randperm(len(xtr), generator=data_gen)
        tot, correct = 0.0, 0
        for i in range(0, len(xtr), th.BATCH):
            idx = perm[i:i + th.BATCH]
            out, _ = net.forward(xtr[idx], ctx)
            loss = F.cross_entropy(out, ytr[idx])
            pen = torch.zeros(())
            if lasso is not None:
                for l in net.m.layers:
                    gn = th.group_norms(l.comp)
                    pen = pen + torch.minimum(gn, lasso[1] * gn.detach().mean()).sum()
                pen = lasso[0] * pen
            opt.zero_grad(set_to_none=True)
            (loss + pen).backward()
            opt.step()
            sched.step()
            tot += float(loss) * len(idx)
            correct += int((out.argmax(1) == ytr[idx]).sum())
        h = {"epoch": ep + 1, "train_loss": round(tot / len(xtr), 5),
             "train_acc": round(correct / len(xtr), 5), "seconds": round(time.time() - t0, 1)}
        hist.append(h)
        log(f"  [{tag}] epoch {ep + 1}/{epochs}: loss {h['train_loss']:.4f} "
            f"train acc {h['train_acc']:.4f} ({h['seconds']:.0f} s)")
    net.calibrate(calib)
    return round(time.time() - t0, 1), hist


_G = {}


def pipeline(k):
    """QAT -> VAT at k -> 1-bit compensation; returns the two state dicts and figures."""
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    G, log = _G, (lambda s: print(f"[{k:g}x] {s}", flush=True))
    (xtr, ytr), (xte, yte), ep, draws = G["train"], G["test"], G["epochs"], G["draws"]
    calib = xtr[:CALIB_IMAGES]
    torch.manual_seed(SEED)
    net = LowPrecNet(th.HybridCNN(G["folded"]))
    net.calibrate(calib)
    ev = G["eval"]
    fig = {"ptq": accuracy(net, xte, yte, th.Ctx("quant"))} if ev else {}
    times, hists = {}, {}
    params = list(net.m.parameters())
    times["qat"], hists["qat"] = fit(net, (xtr, ytr), "quant", k, ep["qat"], LR["qat"],
                                     SEED + 10, params, "qat", calib, log=log)
    if ev:
        fig["qat_ideal"] = accuracy(net, xte, yte, th.Ctx("quant"))
    times["vat"], hists["vat"] = fit(net, (xtr, ytr), "noisy", k, ep["vat"], LR["vat"],
                                     SEED + 20 + int(k), params, "vat", calib, log=log)
    if ev:
        fig["vat_ideal"] = accuracy(net, xte, yte, th.Ctx("quant"))
        fig["vat"] = chips(net, xte, yte, k, draws)
        log(f"VAT: ideal device {fig['vat_ideal']:.4f}, {k:g}x variation {fig['vat']}")
    vat_state = {n: t.detach().clone() for n, t in net.m.state_dict().items()}
    net.m.add_compensation(SRAM_BITS, SHIFT, "residual")
    comp = [l.comp for l in net.m.layers]
    times["comp"], hists["comp"] = fit(net, (xtr, ytr), "noisy", k, ep["comp"], LR["comp"],
                                       SEED + 40 + int(k), comp, "comp", calib,
                                       lasso=(LAMBDA, ALPHA), log=log)
    pr = th.prune(net.m, ALPHA)
    times["finetune"], hists["finetune"] = fit(net, (xtr, ytr), "noisy", k, ep["finetune"],
                                               LR["finetune"], SEED + 50 + int(k), comp,
                                               "finetune", calib, log=log)
    with torch.no_grad():
        for l in net.m.layers:
            l.comp.mul_(l.mask)
    if ev:
        fig["hybrid_ideal"] = accuracy(net, xte, yte, th.Ctx("quant"))
        fig["hybrid"] = chips(net, xte, yte, k, draws)
        log(f"hybrid: ideal device {fig['hybrid_ideal']:.4f}, {k:g}x variation {fig['hybrid']}")
    log(f"pruned {pr['pruning_ratio'] * 100:.1f} % of the compensation weights")
    hyb_state = {n: t.detach().clone() for n, t in net.m.state_dict().items()}
    return ({n: t.numpy() for n, t in vat_state.items()},
            {n: t.numpy() for n, t in hyb_state.items()},
            {"variation_scale": k, "accuracy": fig, "seconds": times, "history": hists,
             "pruning": pr, "pruning_ratio": pr["pruning_ratio"]})


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out-dir", default=HERE)
    ap.add_argument("--quick", action="store_true", help="tiny smoke-test run (~2 min)")
    ap.add_argument("--no-eval", action="store_true",
                    help="skip the torch accuracy figures (slow: ~3 min per pass over the test set); "
                         "the platform's scenarios measure them")
    args = ap.parse_args(argv)
    t0 = time.time()
    train.seed_everything(SEED)
    xtr, ytr, xte, yte = train.load_data()
    xtr, ytr = xtr[:TRAIN_IMAGES], ytr[:TRAIN_IMAGES]
    epochs, draws = dict(EPOCHS), DRAWS
    if args.quick:
        xtr, ytr, xte, yte = xtr[:1024], ytr[:1024], xte[:500], yte[:500]
        epochs, draws = {s: 1 for s in epochs}, 1
    _G.update({"folded": th.load_folded(os.path.join(HERE, th.SRC_ONNX)), "train": (xtr, ytr),
               "test": (xte, yte), "epochs": epochs, "draws": draws,
               "eval": not args.no_eval})
    th._G["folded"] = _G["folded"]
    os.makedirs(args.out_dir, exist_ok=True)
    ctx = __import__("multiprocessing").get_context("fork")
    with ctx.Pool(2) as pool:
        results = pool.map(pipeline, [1.0, 2.0], chunksize=1)
    torch.set_num_threads(1)
    files = {}
    for (vat, hyb, st), k in zip(results, (1, 2)):
        for name, state, hybrid in ((f"fmnist_cnn_vat_lp{k}x.onnx", vat, False),
                                    (f"fmnist_cnn_hybrid_lp{k}x.onnx", hyb, True)):
            m = th.HybridCNN(_G["folded"])
            if hybrid:
                m.add_compensation(SRAM_BITS, SHIFT, "residual")
            m.load_state_dict({n: torch.from_numpy(v) for n, v in state.items()})
            files[name] = th.export(m, os.path.join(args.out_dir, name), hybrid, xte, yte)
        st["files"] = [f"fmnist_cnn_vat_lp{k}x.onnx", f"fmnist_cnn_hybrid_lp{k}x.onnx"]
    meta = {
        "description": "Hybrid RRAM/SRAM compensation (Krishnan et al., IEEE TCAD 2022) at "
                       "3-bit activations with the platform's 3-bit ADC in the training loop",
        "command": "/usr/bin/python3 networks/train_hybrid_lowprec.py" + (" --quick" if args.quick else "")
                   + (" --no-eval" if args.no_eval else ""),
        "source_network": th.SRC_ONNX, "train_images": int(len(ytr)), "test_images": int(len(yte)),
        "settings": {"act_bits": ACT_BITS, "adc_bits": ADC_BITS, "adc_lsb_log2": ADC_LSB_LOG2,
                     "crossbar_rows": ROWS, "rram_weight_bits": th.RRAM_BITS,
                     "sram_weight_bits": SRAM_BITS, "shift": SHIFT, "lambda": LAMBDA,
                     "alpha": ALPHA, "group_channels": th.GROUP, "epochs": epochs, "lr": LR,
                     "batch": th.BATCH, "seed": SEED, "calibration_images": CALIB_IMAGES,
                     "sigma_per_level": th.SIGMA, "g0": th.G0},
        "evaluation": {"draws": draws, "draw_seeds": [th.EVAL_SEED + d for d in range(draws)],
                       "note": "torch, the platform's arithmetic; one draw = one chip"},
        "runs": [r[2] for r in results],
        "files": files,
        "total_seconds": round(time.time() - t0, 1),
        "made_with": {"torch": torch.__version__, "onnx": onnx.__version__,
                      "numpy": np.__version__, "python": platform.python_version(),
                      "cpu_cores": os.cpu_count()},
    }
    with open(os.path.join(args.out_dir, "fmnist_cnn_hybrid_lowprec.json"), "w") as f:
        json.dump(meta, f, indent=1)
        f.write("\n")
    print(f"total {time.time() - t0:.0f} s", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
