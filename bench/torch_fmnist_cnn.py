#!/usr/bin/env python3
"""The reference point for bench_fmnist_cnn: the same Fashion-MNIST CNN's
inference time in PyTorch (float32, CPU) on this machine, over the same
10,000 test images. The weights come from networks/fmnist_cnn.onnx (its
initializers carry the module's parameter names), the module from
networks/train.py. Prints "name: value unit" lines; run by scripts/bench
when python3-torch and python3-onnx are installed."""
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "networks"))

import numpy as np  # noqa: E402
import onnx  # noqa: E402
import torch  # noqa: E402
from onnx import numpy_helper  # noqa: E402

import fmnist_data  # noqa: E402
from train import CNN  # noqa: E402


def main():
    torch.set_num_threads(os.cpu_count() or 1)
    model = CNN()
    init = {i.name: torch.from_numpy(numpy_helper.to_array(i).copy())
            for i in onnx.load(os.path.join(HERE, "..", "networks", "fmnist_cnn.onnx")).graph.initializer}
    missing = [k for k in model.state_dict() if k not in init and not k.endswith("num_batches_tracked")]
    if missing:
        sys.exit(f"torch_fmnist_cnn: the ONNX file lacks {missing}")
    model.load_state_dict(init, strict=False)
    model.eval()
    x, y = fmnist_data.load_split("test")
    x = torch.from_numpy(fmnist_data.normalise(x))
    y = torch.from_numpy(y)
    with torch.no_grad():
        for batch, name in ((1000, "batch1000"), (1, "batch1")):
            t0 = time.perf_counter()
            pred = torch.cat([model(x[i:i + batch]).argmax(1) for i in range(0, len(x), batch)])
            dt = time.perf_counter() - t0
            print(f"torch_fmnist_cnn_{name}_time: {dt:.3f} s")
    acc = (pred == y).double().mean().item() * 100
    print(f"torch_fmnist_cnn_images: {len(x)} images")
    print(f"torch_fmnist_cnn_threads: {torch.get_num_threads()} threads")
    print(f"torch_fmnist_cnn_accuracy: {acc:.2f} %")


if __name__ == "__main__":
    main()
