#!/usr/bin/env python3
"""The reference point for bench_fmnist_cnn: the same Fashion-MNIST CNN's
inference time in PyTorch (float32, CPU, every core) on this machine, over
the same 10,000 test images. The weights come from networks/fmnist_cnn.onnx
(its initializers carry the module's parameter names), the module from
networks/train.py.

Usage: torch_fmnist_cnn.py [IMCVP_SECONDS]
  IMCVP_SECONDS  bench_fmnist_cnn's wall time for the same images (same
                 scripts/bench run): prints fmnist_cnn_torch_ratio =
                 imcvp seconds / torch's batch-1000 seconds

Prints "name: value unit" lines; run by scripts/bench. Where torch is not
installed (Debian python3-torch: scripts/setup --bench) it says so on stderr
and, where numpy and onnx are, times the numpy evaluator networks/onnx_eval.py
instead under names that say numpy (fmnist_cnn_numpy_s, _numpy_ratio): that
figure is not torch's and not comparable with the issue's target."""
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
NETWORKS = os.path.join(HERE, "..", "networks")
ONNX = os.path.join(NETWORKS, "fmnist_cnn.onnx")
sys.path.insert(0, NETWORKS)

import fmnist_data  # noqa: E402  (numpy only)


def ratio_line(name, imcvp_s, ref_s):
    if imcvp_s is not None and ref_s > 0:
        print(f"{name}: {imcvp_s / ref_s:.2f}")


def run_torch(imcvp_s):
    import onnx
    import torch
    from onnx import numpy_helper
    from train import CNN

    torch.set_num_threads(os.cpu_count() or 1)
    model = CNN()
    init = {i.name: torch.from_numpy(numpy_helper.to_array(i).copy())
            for i in onnx.load(ONNX).graph.initializer}
    missing = [k for k in model.state_dict() if k not in init and not k.endswith("num_batches_tracked")]
    if missing:
        sys.exit(f"torch_fmnist_cnn: the ONNX file lacks {missing}")
    model.load_state_dict(init, strict=False)
    model.eval()
    x, y = fmnist_data.load_split("test")
    x = torch.from_numpy(fmnist_data.normalise(x))
    y = torch.from_numpy(y)
    times = {}
    with torch.no_grad():
        model(x[:1000])  # warm-up: first-call allocations and thread start
        for batch, name in ((1000, "batch1000"), (1, "batch1")):
            t0 = time.perf_counter()
            pred = torch.cat([model(x[i:i + batch]).argmax(1) for i in range(0, len(x), batch)])
            dt = time.perf_counter() - t0
            times[batch] = dt
            print(f"torch_fmnist_cnn_{name}_time: {dt:.3f} s")
    acc = (pred == y).double().mean().item() * 100
    print(f"torch_fmnist_cnn_images: {len(x)} images")
    print(f"torch_fmnist_cnn_threads: {torch.get_num_threads()} threads")
    print(f"torch_fmnist_cnn_accuracy: {acc:.2f} %")
    # The issue 13 figure: torch at batch 1000 on every core, and imcvp's share.
    print(f"fmnist_cnn_torch_s: {times[1000]:.3f} s")
    ratio_line("fmnist_cnn_torch_ratio", imcvp_s, times[1000])


def run_numpy(imcvp_s):
    import numpy as np
    import onnx_eval

    g = onnx_eval.OnnxGraph(ONNX)
    x, y = fmnist_data.load_split("test")
    x = fmnist_data.normalise(x)
    t0 = time.perf_counter()
    logits = np.concatenate([g.run(x[i:i + 1000]) for i in range(0, len(x), 1000)])
    dt = time.perf_counter() - t0
    acc = float((logits.argmax(1) == y).mean()) * 100
    print(f"fmnist_cnn_numpy_images: {len(x)} images")
    print(f"fmnist_cnn_numpy_accuracy: {acc:.2f} %")
    print(f"fmnist_cnn_numpy_s: {dt:.3f} s")
    ratio_line("fmnist_cnn_numpy_ratio", imcvp_s, dt)


def main():
    imcvp_s = float(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1] else None
    try:
        import onnx  # noqa: F401
        import torch  # noqa: F401
        have_torch = True
    except ImportError as e:
        have_torch = False
        why = str(e)
    if have_torch:
        run_torch(imcvp_s)
        return 0
    print(f"fmnist_cnn_torch_s: skipped (python3-torch or python3-onnx not installed: {why}; "
          "scripts/setup --bench installs them)", file=sys.stderr)
    try:
        import onnx_eval  # noqa: F401
    except ImportError as e:
        print(f"fmnist_cnn_numpy_s: skipped ({e})", file=sys.stderr)
        return 0
    print("fmnist_cnn_numpy_s: the numpy evaluator networks/onnx_eval.py instead, NOT torch "
          "(single-threaded numpy; not the issue's torch reference)", file=sys.stderr)
    run_numpy(imcvp_s)
    return 0


if __name__ == "__main__":
    sys.exit(main())
