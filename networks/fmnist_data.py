"""Fashion-MNIST loader: reads the IDX files (plain or gzipped) with numpy only.

The data comes from Debian's `dataset-fashion-mnist` package, which installs
    /usr/share/datasets/fashion-mnist/{train,t10k}-{images-idx3,labels-idx1}-ubyte.gz
Override the folder with the FMNIST_DIR environment variable.

IDX format (big-endian): 2 zero bytes, 1 type byte (0x08 = uint8, 0x09 int8,
0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64), 1 byte ndim, then ndim
uint32 sizes, then the data in C order.
"""

import gzip
import os

import numpy as np

DEFAULT_DIR = "/usr/share/datasets/fashion-mnist"

CLASS_NAMES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
               "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]

_IDX_TYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: np.dtype(">i2"),
              0x0C: np.dtype(">i4"), 0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}

# The normalisation every network in this folder expects (also in <name>.json):
# x = pixel / 255, pixel an integer 0..255, so x lies in [0, 1]; no mean/std.
PIXEL_SCALE = 1.0 / 255.0


def read_idx(path):
    """Return the array stored in one IDX file (path may end in .gz)."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        raw = f.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0:
        raise ValueError(f"{path}: not an IDX file (bad magic)")
    type_code, ndim = raw[2], raw[3]
    if type_code not in _IDX_TYPES:
        raise ValueError(f"{path}: unknown IDX element type 0x{type_code:02x}")
    header = 4 + 4 * ndim
    dims = tuple(int(d) for d in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    dtype = np.dtype(_IDX_TYPES[type_code])
    count = int(np.prod(dims)) if dims else 1
    if len(raw) != header + count * dtype.itemsize:
        raise ValueError(f"{path}: size {len(raw)} does not match header dims {dims}")
    data = np.frombuffer(raw, dtype=dtype, count=count, offset=header).reshape(dims)
    return data.astype(dtype.newbyteorder("="))


def _find(folder, stem):
    for name in (stem + ".gz", stem):
        p = os.path.join(folder, name)
        if os.path.exists(p):
            return p
    raise FileNotFoundError(
        f"{stem}(.gz) not found in {folder}; install it with "
        "`apt-get install dataset-fashion-mnist` or set FMNIST_DIR")


def load_split(split, folder=None):
    """Return (images uint8 [N,28,28], labels int64 [N]) for 'train' or 'test'."""
    folder = folder or os.environ.get("FMNIST_DIR", DEFAULT_DIR)
    prefix = {"train": "train", "test": "t10k"}[split]
    images = read_idx(_find(folder, f"{prefix}-images-idx3-ubyte"))
    labels = read_idx(_find(folder, f"{prefix}-labels-idx1-ubyte"))
    if images.ndim != 3 or labels.ndim != 1 or images.shape[0] != labels.shape[0]:
        raise ValueError(f"unexpected shapes {images.shape} / {labels.shape}")
    return images, labels.astype(np.int64)


def normalise(images_u8):
    """uint8 [N,28,28] -> float32 [N,1,28,28] in [0,1] (pixel / 255)."""
    return (images_u8.astype(np.float32) / np.float32(255.0))[:, None, :, :]
