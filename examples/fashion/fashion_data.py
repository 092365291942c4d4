"""Fashion-MNIST from Debian's dataset-fashion-mnist: the gzipped IDX files, read with numpy."""

import gzip
import os

import numpy as np

DEFAULT_DIR = "/usr/share/datasets/fashion-mnist"
CLASS_NAMES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
               "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")
FILES = {"train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
         "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")}


def _idx(path, magic, dims):
    with gzip.open(path, "rb") as stream:
        data = stream.read()
    header = np.frombuffer(data, ">u4", 1 + dims)
    if header[0] != magic:
        raise ValueError(f"{path}: not an IDX file of {dims} dimension(s) of bytes")
    shape = tuple(int(n) for n in header[1:])
    values = np.frombuffer(data, np.uint8, offset=4 * (1 + dims))
    if values.size != int(np.prod(shape)):
        raise ValueError(f"{path}: {values.size} bytes of data for shape {shape}")
    return values.reshape(shape)


def load(split, directory=DEFAULT_DIR):
    """(images uint8 (N, 28, 28), labels uint8 (N,)) of split 'train' or 'test'."""
    images_name, labels_name = FILES[split]
    images = _idx(os.path.join(directory, images_name), 0x803, 3)
    labels = _idx(os.path.join(directory, labels_name), 0x801, 1)
    if len(images) != len(labels):
        raise ValueError(f"{directory}: {len(images)} {split} images but {len(labels)} labels")
    return images, labels
