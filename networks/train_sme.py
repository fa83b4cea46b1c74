#!/usr/bin/python3
"""SME bit-sparse quantization-aware fine-tuning of the Fashion-MNIST CNN.

Prepares networks/fmnist_cnn.onnx for the SME technique of Liu et al., "SME:
ReRAM-based Sparse-Multiplication-Engine to Squeeze-Out Bit Sparsity of
Neural Network" (ICCD 2021, arXiv 2103.01705). SME maps each magnitude bit of
the 8-bit weights onto its own crossbars of 1-bit cells (bit planes). It
keeps at most N nonzero bits in each weight's magnitude, so every bit plane is
sparse, and then compacts and squeezes the planes (compiler/sme_mapping.cpp).
This script fine-tunes the network with that projection in the forward pass,
so that the compiler's bit-sparse weights lose as little accuracy as possible.

    /usr/bin/python3 networks/train_sme.py                        # N = 1, 2, 3: ~5 min on 2 busy cores
    /usr/bin/python3 networks/train_sme.py --quick --out-dir OUT  # smoke test, ~30 s

Contract with the compiler (compiler/quantize.cpp, compiler/sme_mapping.cpp):
  1. BatchNorm is folded into the preceding conv first (w *= g/sqrt(v+eps)
     per output channel, b' = (b - m) g/sqrt(v+eps) + beta; train_basisn.fold).
     Each Conv/Gemm output channel o is quantized to 8 bits:
       s[o] = max|w[o]| / 127,  q = clamp(round_away(w / s[o]), -127, 127),
       round_away(x) = sign(x) floor(|x| + 0.5),
     computed in float64 from the float32 weights.
  2. Bit-sparse projection (bit_sparse_value): q' = sign(q) v, v the value
     nearest |q| whose binary form has at most N ones (v <= 127); ties go to
     the smaller magnitude. Equivalently: down = the top N one-bits of |q|;
     up = the smallest value > |q| with <= N ones (<= 127), if any;
     v = up if up - |q| < |q| - down else down.
  3. Training forward pass: the weight is s[o] * q' (fake-quant; a
     straight-through estimator for the rounding and the projection; s[o]
     recomputed from the current latent weights every step and not
     differentiated). Biases float; activations float (the compiler
     quantizes them to 8 bits after calibration).
  4. Export: the LATENT float weights (not s * q'): the compiler recomputes
     s from max|w| and applies 1. and 2. itself, which reproduces the
     training forward pass. Plain graph Conv Relu MaxPool Conv Relu MaxPool
     Flatten Gemm Relu Gemm (opset 13, no BatchNormalization), input "input"
     [1,1,28,28] = pixel / 255, output "logits" [1,10]; initializer names as
     in fmnist_cnn.onnx (the convs now have a bias). metadata_props:
     imcvp.sme.nonzero_bits = N (informational; the scenario's
     network.sme.nonzero_bits is what the compiler uses).
  5. Check after export: reload the file, recompute q' in float64 with an
     independent numpy implementation of 1. and 2., count the weights where
     it differs from the training forward's q', and evaluate the file's
     network with those fake-quantized weights in torch on the test images.

The lookup table of 2. over 0..127 is built with the compiler's integer rule
and checked at start against a brute force (the nearest value with <= N ones,
smaller on a tie) for N = 1..7; so is the torch projection of -127..127.

Runs: N = 1, 2, 3, each fine-tuned from the BN-folded network: Adam (latent
weights and biases), cross-entropy, cosine-annealed learning rate, batch 128,
EPOCHS epochs over the 60,000 training images. The jobs run in 2
single-threaded worker processes, each with its own seed and data order, so
the files do not depend on the scheduling: the same command writes the same
.onnx files on the same machine / torch build (the JSON differs only in the
timings and the load average).

Writes into --out-dir (default: this folder):
    fmnist_cnn_sme_n{N}.onnx   N = 1, 2, 3
    fmnist_cnn_sme.json        accuracies (float, 8-bit, post-training and
                               fine-tuned bit-sparse), epochs, seeds, times,
                               bit-plane statistics, check results, sha256
"""

import argparse
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
import train  # noqa: E402  (load_data, strip_identities)
from train_basisn import (accuracy, fold, load_base, logits_of,  # noqa: E402
                          round_away, round_away_np, sha256)

SEED = 20240601
THREADS = 1        # per process (a loaded 2-core machine)
WORKERS = 2        # single-threaded worker processes
BATCH = 128
OPSET = 13
SRC_ONNX = "fmnist_cnn.onnx"
VERIFY_IMAGES = 500
QUICK_TRAIN_IMAGES = 2000
QUICK_TEST_IMAGES = 2000

WEIGHT_BITS = 8
MAG_BITS = WEIGHT_BITS - 1
QMAX = 2 ** MAG_BITS - 1   # 127
NS = (1, 2, 3)             # nonzero-bit budgets
EPOCHS = 3
LR = 5e-4                  # Adam lr of the latent weights (from a 0.5-epoch probe)
LR_BIAS = 5e-4             # Adam lr of the biases
META_KEY = "imcvp.sme.nonzero_bits"


def file_name(n):
    return f"fmnist_cnn_sme_n{n}.onnx"


# -------------------------------------------------- bit-sparse values --

def ones(v):
    return bin(v).count("1")


def bit_sparse_int(m, n, mag_bits=MAG_BITS):
    """The compiler's rule (sme_mapping.cpp bit_sparse_value) for one
    magnitude 0 <= m < 2^mag_bits and a budget of n ones."""
    if ones(m) <= n:
        return m
    down, rest = 0, m
    for _ in range(n):                       # the top n ones of m
        top = 1 << (rest.bit_length() - 1)
        down |= top
        rest ^= top
    up = 0
    for p in range(mag_bits):                # lowest zero bit p with room for one more one
        if not (m >> p) & 1 and ones(m >> (p + 1)) + 1 <= n:
            up = ((m >> (p + 1)) << (p + 1)) | (1 << p)
            break
    return up if up and up - m < m - down else down


def bit_sparse_brute(m, n):
    """The definition: the value in 0..QMAX with <= n ones nearest m, the
    smaller one on a tie."""
    return min((v for v in range(QMAX + 1) if ones(v) <= n), key=lambda v: (abs(v - m), v))


def bit_sparse_table(n):
    """int64 [QMAX + 1]: magnitude -> its bit-sparse magnitude."""
    return np.array([bit_sparse_int(m, n) for m in range(QMAX + 1)], dtype=np.int64)


def project(q, table):
    """Bit-sparse projection of integer-valued q (any float torch tensor,
    |q| <= QMAX) with a table from bit_sparse_table (a torch int64 tensor)."""
    return torch.sign(q) * table[q.abs().long()].to(q.dtype)


def self_check():
    """Table and torch projection against the brute force, N = 1..7."""
    ints = torch.arange(-QMAX, QMAX + 1, dtype=torch.float64)
    changed = {}
    for n in range(1, MAG_BITS + 1):
        brute = np.array([bit_sparse_brute(m, n) for m in range(QMAX + 1)])
        table = bit_sparse_table(n)
        bad = np.nonzero(table != brute)[0]
        assert len(bad) == 0, f"N={n}: table != brute force at {bad.tolist()}"
        assert all(ones(int(v)) <= n and v <= QMAX for v in table)
        want = np.sign(ints.numpy()) * brute[np.abs(ints.numpy()).astype(int)]
        got = project(ints, torch.from_numpy(table)).numpy()
        assert np.array_equal(got, want), f"N={n}: torch projection != brute force"
        changed[n] = int((table != np.arange(QMAX + 1)).sum())
    return changed


# ------------------------------------------------------ quantization --

def quantize_torch(w, table):
    """Training path: float32 weight [O, ...] -> (q, q' as float64 tensors,
    s float64 [O])."""
    w64 = w.detach().double()
    s = w64.abs().flatten(1).amax(1) / QMAX
    s = torch.where(s > 0, s, torch.ones_like(s))        # an all-zero channel stays 0
    shape = (-1,) + (1,) * (w.dim() - 1)
    q = round_away(w64 / s.view(shape)).clamp(-QMAX, QMAX)
    return q, project(q, table), s


def quantize_np(w32, table):
    """The compiler's path, written again in numpy for the check:
    float32 weight [O, ...] -> (q int64, q' int64, s float64 [O])."""
    w = w32.astype(np.float64).reshape(w32.shape[0], -1)
    s = np.abs(w).max(1) / QMAX
    s = np.where(s > 0, s, 1.0)
    q = np.clip(round_away_np(w / s[:, None]), -QMAX, QMAX).astype(np.int64)
    qs = np.sign(q) * table[np.abs(q)]
    return q.reshape(w32.shape), qs.reshape(w32.shape), s


class SmeNet(nn.Module):
    """The folded network with bit-sparse fake-quantized weights (STE).
    The latent weights and biases are those of plain's Conv/Linear modules."""

    def __init__(self, plain, layers, n):
        super().__init__()
        self.plain = plain
        self.n = n
        self.table = torch.from_numpy(bit_sparse_table(n))
        self.mods = [l["module"] for l in layers]
        self.leaves = [m for _, m in plain.named_modules() if len(list(m.children())) == 0]

    def weight(self, mod):
        w = mod.weight
        _, qs, s = quantize_torch(w, self.table)
        shape = (-1,) + (1,) * (w.dim() - 1)
        wq = (qs * s.view(shape)).float()
        return w + (wq - w).detach()

    def forward(self, x):
        for mod in self.leaves:
            if isinstance(mod, nn.Conv2d):
                x = F.conv2d(x, self.weight(mod), mod.bias, mod.stride, mod.padding,
                             mod.dilation, mod.groups)
            elif isinstance(mod, nn.Linear):
                x = F.linear(x, self.weight(mod), mod.bias)
            else:
                x = mod(x)
        return x

    def integers(self):
        """Per layer (q, q'): the training forward's 8-bit and bit-sparse
        integer weights (int64 numpy)."""
        out = []
        for m in self.mods:
            q, qs, _ = quantize_torch(m.weight, self.table)
            out.append((q.numpy().astype(np.int64), qs.numpy().astype(np.int64)))
        return out


def bit_stats(ints, names):
    """ints: per layer (q, q'). Per layer and in all: weights, zeros in q',
    weights the projection changed, mean ones per weight, and the density
    of each magnitude bit plane of q'."""
    def one(qs, q):
        mag = np.abs(qs).reshape(-1)
        planes = [float(((mag >> b) & 1).mean()) for b in range(MAG_BITS)]
        return {"weights": int(mag.size), "zeros": int((mag == 0).sum()),
                "changed_by_projection": int((qs != q).sum()),
                "ones_per_weight": float(sum(planes)),
                "plane_density_bit0_to_6": planes}
    out = {nm: one(qs, q) for nm, (q, qs) in zip(names, ints)}
    out["all"] = one(np.concatenate([qs.reshape(-1) for _, qs in ints]),
                     np.concatenate([q.reshape(-1) for q, _ in ints]))
    return out


# ------------------------------------------------------------ training --

def train_net(net, layers, data, epochs, lrs, seed, tag, log):
    xtr, ytr = data
    opt = torch.optim.Adam([{"params": [l["module"].weight for l in layers], "lr": lrs[0]},
                            {"params": [l["module"].bias for l in layers], "lr": lrs[1]}])
    per_epoch = (len(xtr) + BATCH - 1) // BATCH
    steps = epochs * per_epoch if epochs >= 1 else int(math.ceil(epochs * len(xtr) / BATCH))
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=max(1, steps))
    gen = torch.Generator().manual_seed(seed)
    t0 = time.time()
    hist, done, ep = [], 0, 0
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


# -------------------------------------------------------------- export --

def export(plain, path, n):
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore")
        torch.onnx.export(plain.eval(), torch.zeros(1, 1, 28, 28), path, opset_version=OPSET,
                          do_constant_folding=True, input_names=["input"],
                          output_names=["logits"])
    m = onnx.load(path)
    train.strip_identities(m)
    del m.metadata_props[:]
    e = m.metadata_props.add()
    e.key, e.value = META_KEY, str(n)
    onnx.checker.check_model(m)
    ops = [nd.op_type for nd in m.graph.node]
    bad = sorted(set(ops) - onnx_eval.ALLOWED_OPS)
    assert not bad and "BatchNormalization" not in ops, f"{path}: ops {ops}"
    onnx.save(m, path)
    return ops


def check_file(path, layers, n, train_qs, fresh, xte, yte):
    """Read the file as the compiler does, redo 1. and 2. in numpy float64,
    count the weights whose q' differs from the training forward's, and
    evaluate the file's network with those weights (fake-quant) in torch.
    layers: the trained network's (the file must hold their latent weights);
    fresh: fold() output (any weights) to load the file into.
    Returns (mismatches, per layer, accuracy, [(q, q') per layer])."""
    m = onnx.load(path)
    props = {p.key: p.value for p in m.metadata_props}
    assert props.get(META_KEY) == str(n), props
    init = {t.name: numpy_helper.to_array(t) for t in m.graph.initializer}
    table = bit_sparse_table(n)
    mismatch, per_layer = 0, {}
    quantized = []
    for l, qs_train in zip(layers, train_qs):
        w32 = init[l["name"] + ".weight"]
        b32 = init[l["name"] + ".bias"]
        mod = l["module"]
        # the file holds the latent weights and biases exactly
        assert np.array_equal(w32, mod.weight.detach().numpy()), l["name"]
        assert np.array_equal(b32, mod.bias.detach().numpy()), l["name"]
        q, qs, s = quantize_np(w32, table)
        assert np.abs(q).max() <= QMAX and all(ones(int(v)) <= n for v in np.unique(np.abs(qs)))
        bad = int((qs != qs_train).sum())
        mismatch += bad
        per_layer[l["name"]] = bad
        quantized.append((q, qs, s, b32))
    # the file's network with fake-quantized weights
    fresh_plain, fresh_layers = fresh
    for fl, (_, qs, s, b32) in zip(fresh_layers, quantized):
        w = (qs.reshape(qs.shape[0], -1) * s[:, None]).reshape(qs.shape)
        with torch.no_grad():
            fl["module"].weight.copy_(torch.from_numpy(w.astype(np.float32)))
            fl["module"].bias.copy_(torch.from_numpy(b32.copy()))
    acc = accuracy(fresh_plain, xte, yte)
    return mismatch, per_layer, acc, [(q, qs) for q, qs, _, _ in quantized]


def numpy_check(path, plain, xte):
    """onnx_eval.py (numpy) on the file against torch on the latent network."""
    g = onnx_eval.OnnxGraph(path)
    k = min(VERIFY_IMAGES, len(xte))
    x = xte[:k].numpy()
    o_logits = g.run_batched(x)
    t_logits = logits_of(plain, xte[:k]).numpy()
    agree = int((o_logits.argmax(1) == t_logits.argmax(1)).sum())
    assert agree == k, f"{path}: numpy-ONNX and torch disagree on {k - agree} of {k}"
    return {"images": k, "argmax_agree": agree,
            "max_abs_logit_diff": float(np.abs(o_logits - t_logits).max())}


# ------------------------------------------------------------- the jobs --

_G = {}


def _init_worker():
    torch.set_num_threads(THREADS)
    torch.use_deterministic_algorithms(True)


def job(n, seed):
    G = _G
    log = G["log"]
    xte, yte = G["test"]
    tag = f"N{n}"
    torch.manual_seed(seed)
    np.random.seed(seed % 2 ** 32)
    plain, layers = fold(G["base"])
    net = SmeNet(plain, layers, n)
    names = [l["name"] for l in layers]
    stats_before = bit_stats(net.integers(), names)
    acc_post = accuracy(net, xte, yte)
    log(f"  [{tag}] post-training (no fine-tuning) {acc_post:.4f}; "
        f"ones/weight {stats_before['all']['ones_per_weight']:.3f}")

    secs, hist = train_net(net, layers, G["train"], G["epochs"], G["lr"], seed, tag, log)
    acc_tuned = accuracy(net, xte, yte)
    acc_latent = accuracy(plain, xte, yte)      # the exported float weights, unquantized
    train_qs = [qs for _, qs in net.integers()]

    name = file_name(n)
    path = os.path.join(G["out_dir"], name)
    ops = export(plain, path, n)
    mismatch, per_layer, acc_file, file_ints = check_file(
        path, layers, n, train_qs, fold(G["base"]), xte, yte)
    if mismatch == 0:   # then the file's fake-quantized weights are the training forward's
        assert acc_file == acc_tuned, (acc_file, acc_tuned)
    numpy_res = numpy_check(path, plain, xte)
    stats_after = bit_stats(file_ints, names)
    size = os.path.getsize(path)
    log(f"  [{tag}] fine-tuned {acc_tuned:.4f} (file, fake-quant {acc_file:.4f}; latent float "
        f"{acc_latent:.4f}); q' mismatches {mismatch}; wrote {name}: {size} bytes")
    return {
        "file": name, "nonzero_bits": n, "weight_bits": WEIGHT_BITS,
        "epochs": G["epochs"], "seconds": round(secs, 1), "seed": seed,
        "lr_weights": G["lr"][0], "lr_bias": G["lr"][1],
        "accuracy_float": G["acc_float"], "accuracy_int8": G["acc_int8"],
        "accuracy_post_training": acc_post,
        "accuracy_finetuned": acc_tuned,
        "accuracy_file_fake_quant": acc_file,
        "accuracy_latent_float": acc_latent,
        "check": {"qprime_mismatches": mismatch, "qprime_mismatches_per_layer": per_layer},
        "bits_post_training": stats_before, "bits_finetuned": stats_after,
        "history": hist,
        "onnx": {"bytes": size, "sha256": sha256(path), "node_sequence": ops,
                 "numpy_check_latent": numpy_res},
    }


def _call(args):
    fn, a = args
    return fn(*a)


# ----------------------------------------------------------------- main --

def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out-dir", default=HERE, help="where the .onnx / .json go (default: networks/)")
    ap.add_argument("--quick", action="store_true",
                    help=f"smoke test: N = 1, 2, 3, 1 epoch over {QUICK_TRAIN_IMAGES} training "
                         f"images, {QUICK_TEST_IMAGES} test images")
    ap.add_argument("--ns", default=None, help="comma-separated budgets N instead of 1,2,3")
    ap.add_argument("--epochs", type=float, default=None, help="override the epochs")
    ap.add_argument("--lr", type=float, default=LR, help="latent weight learning rate")
    ap.add_argument("--lr-bias", type=float, default=LR_BIAS, help="bias learning rate")
    args = ap.parse_args(argv)
    _init_worker()
    t_start = time.time()
    log = lambda s: print(s, flush=True)  # noqa: E731

    changed = self_check()
    log("bit-sparse table = brute force for N = 1..7; magnitudes 0..127 changed: "
        + " ".join(f"N{n}:{c}" for n, c in changed.items()))

    xtr, ytr, xte, yte = train.load_data()
    ns = list(NS)
    epochs = EPOCHS
    if args.quick:
        epochs = 1
        xtr, ytr = xtr[:QUICK_TRAIN_IMAGES], ytr[:QUICK_TRAIN_IMAGES]
        xte, yte = xte[:QUICK_TEST_IMAGES], yte[:QUICK_TEST_IMAGES]
    if args.ns:
        ns = [int(v) for v in args.ns.split(",")]
        assert all(1 <= n <= MAG_BITS for n in ns), ns
    if args.epochs is not None:
        epochs = args.epochs if args.epochs < 1 else int(args.epochs)
    os.makedirs(args.out_dir, exist_ok=True)

    base = load_base(os.path.join(HERE, SRC_ONNX))
    plain, layers = fold(base)
    acc_float = accuracy(plain, xte, yte)
    acc_int8 = accuracy(SmeNet(plain, layers, MAG_BITS), xte, yte)   # N = 7: no projection
    log(f"float (BN folded) {acc_float:.4f}; 8-bit per-channel weights {acc_int8:.4f}")
    _G.update({"base": base, "train": (xtr, ytr), "test": (xte, yte), "epochs": epochs,
               "acc_float": acc_float, "acc_int8": acc_int8, "log": log,
               "out_dir": args.out_dir, "lr": (args.lr, args.lr_bias)})

    jobs = [(job, (n, SEED + n)) for n in ns]
    mp = __import__("multiprocessing").get_context("fork")
    with mp.Pool(min(WORKERS, len(jobs)), initializer=_init_worker) as pool:
        results = pool.map(_call, jobs, chunksize=1)

    summary = [{"file": r["file"], "nonzero_bits": r["nonzero_bits"], "epochs": r["epochs"],
                "seconds": r["seconds"],
                "accuracy_float": r["accuracy_float"],
                "accuracy_int8": r["accuracy_int8"],
                "accuracy_post_training": r["accuracy_post_training"],
                "accuracy_finetuned": r["accuracy_finetuned"],
                "qprime_mismatches": r["check"]["qprime_mismatches"],
                "ones_per_weight_finetuned": r["bits_finetuned"]["all"]["ones_per_weight"],
                "bytes": r["onnx"]["bytes"], "sha256": r["onnx"]["sha256"]} for r in results]
    cmd = ("/usr/bin/python3 networks/train_sme.py" + (" --quick" if args.quick else "")
           + (f" --ns {args.ns}" if args.ns else "")
           + (f" --epochs {args.epochs:g}" if args.epochs is not None else "")
           + (f" --lr {args.lr:g}" if args.lr != LR else "")
           + (f" --lr-bias {args.lr_bias:g}" if args.lr_bias != LR_BIAS else ""))
    meta = {
        "description": "SME (Liu et al., ICCD 2021, arXiv 2103.01705): 8-bit per-channel "
                       "weights whose magnitudes keep at most N nonzero bits; the BN-folded "
                       "fmnist_cnn.onnx fine-tuned with that projection (fake-quant, STE); "
                       "the files hold the latent float weights",
        "source_network": SRC_ONNX,
        "command": cmd,
        "quick": args.quick,
        "test_images": int(len(yte)), "train_images": int(len(ytr)),
        "input": {"name": "input", "shape": [1, 1, 28, 28], "normalisation": "x = pixel / 255",
                  "layout": "NCHW"},
        "output": {"name": "logits", "shape": [1, 10]},
        "contract": {
            "batchnorm": "folded into the preceding conv first; no BN in the graph",
            "rounding": "round_away(x) = sign(x) * floor(|x| + 0.5)",
            "weight_quantization": "per output channel o: s[o] = max|w[o]| / 127, "
                                   "q = clamp(round_away(w / s[o]), -127, 127), float64 "
                                   "from the float32 weights",
            "bit_sparse": "q' = sign(q) * v, v the value <= 127 nearest |q| with at most N "
                          "ones in binary, the smaller on a tie",
            "stored_weights": "the latent float weights; the compiler applies the two steps "
                              "above itself",
            "metadata_props": {META_KEY: "N (informational)"},
        },
        "bit_sparse_self_check": {"N_checked": list(range(1, MAG_BITS + 1)),
                                  "magnitudes_changed_of_128": changed},
        "training": {"seed": SEED, "job_seed": "SEED + N",
                     "optimizer": "Adam, cosine annealing to 0",
                     "lr_weights": args.lr, "lr_bias": args.lr_bias, "batch": BATCH,
                     "loss": "cross-entropy", "epochs": epochs,
                     "trained": "latent weights and biases of all 4 layers",
                     "quantization_in_training": "fake-quant s[o] * q' with STE; s[o] "
                                                 "recomputed from the latent weights every "
                                                 "step (float64), not differentiated",
                     "activations": "float",
                     "torch_threads_per_process": THREADS, "worker_processes": WORKERS,
                     "deterministic_algorithms": True},
        "accuracy_float_folded": acc_float,
        "accuracy_int8_weights": acc_int8,
        "summary": summary,
        "files": {r["file"]: r for r in results},
        "total_seconds": round(time.time() - t_start, 1),
        "made_with": {"torch": torch.__version__, "onnx": onnx.__version__,
                      "numpy": np.__version__, "python": platform.python_version(),
                      "cpu_cores": os.cpu_count(),
                      "load_average_at_end": round(os.getloadavg()[0], 2)},
    }
    with open(os.path.join(args.out_dir, "fmnist_cnn_sme.json"), "w") as f:
        json.dump(meta, f, indent=1)
        f.write("\n")
    for r in summary:
        log(f"{r['file']}: N={r['nonzero_bits']} post-training {r['accuracy_post_training']:.4f} "
            f"fine-tuned {r['accuracy_finetuned']:.4f} q' mismatches {r['qprime_mismatches']} "
            f"({r['seconds']:.0f} s, {r['bytes']} bytes)")
    log(f"total {time.time() - t_start:.0f} s")


if __name__ == "__main__":
    main(sys.argv[1:])
