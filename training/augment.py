"""Training-sample augmentation settings, and their NumPy/OpenCV form for the sample pool
(training/sample_pool.py), which the JAX trainer uses; training/pipeline.py is the tf.data form.

Both apply the same geometry to colour and sketch alike:
- random jitter: resize so the shorter side is size x U(1, max_zoom) (1.12 is pix2pix's 286/256),
  random crop back to size x size; random horizontal flip;
- placement on white paper: with probability ``paper_prob`` the whole image is scaled so its longer
  side is size x U(paper_scale) and put at a random place on a white canvas, so the model learns
  that blank paper stays white;
- line darkness x' = 1 - lam (1 - x), lam ~ U(darkness_min, 1) (Ci et al.).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np


@dataclass(frozen=True)
class AugmentConfig:
    max_zoom: float = 1.12
    flip: bool = True
    darkness_min: float = 0.7
    paper_prob: float = 0.3
    paper_scale: tuple[float, float] = (0.45, 0.9)


NO_AUGMENT = AugmentConfig(max_zoom=1.0, flip=False, darkness_min=1.0, paper_prob=0.0)


def _resize(img: np.ndarray, height: int, width: int) -> np.ndarray:
    shrinking = height < img.shape[0] or width < img.shape[1]
    return cv2.resize(img, (width, height), interpolation=cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR)


def random_resized_crop(img: np.ndarray, size: int, max_zoom: float, rng: np.random.Generator) -> np.ndarray:
    """Shorter side -> size x U(1, max_zoom), then a random size x size crop (HxWxC uint8)."""
    h, w = img.shape[:2]
    target = size * (rng.uniform(1.0, max_zoom) if max_zoom > 1.0 else 1.0)
    scale = target / min(h, w)
    nh, nw = max(size, int(np.ceil(h * scale))), max(size, int(np.ceil(w * scale)))
    img = _resize(img, nh, nw)
    top, left = rng.integers(0, nh - size + 1), rng.integers(0, nw - size + 1)
    return img[top:top + size, left:left + size]


def on_white_paper(img: np.ndarray, size: int, scale_range: tuple[float, float],
                   rng: np.random.Generator) -> np.ndarray:
    """The whole image, longer side size x U(scale_range), at a random spot on a white canvas; a
    scale above 1 shows a random part of it (a figure larger than the crop, still on paper)."""
    h, w = img.shape[:2]
    longer = size * rng.uniform(*scale_range)
    nh, nw = max(1, round(h * longer / max(h, w))), max(1, round(w * longer / max(h, w)))
    small = _resize(img, nh, nw)
    canvas = np.full((size, size, img.shape[2]), 255, np.uint8)
    top = int(rng.integers(min(0, size - nh), max(0, size - nh) + 1))
    left = int(rng.integers(min(0, size - nw), max(0, size - nw) + 1))
    src = small[max(0, -top):max(0, -top) + size - max(0, top), max(0, -left):max(0, -left) + size - max(0, left)]
    canvas[max(0, top):max(0, top) + src.shape[0], max(0, left):max(0, left) + src.shape[1]] = src
    return canvas


def augment_geometry(img: np.ndarray, size: int, cfg: AugmentConfig, rng: np.random.Generator) -> np.ndarray:
    """HxWxC uint8 (colour, or colour and sketch stacked) -> size x size x C, augmented."""
    if cfg.paper_prob > 0 and rng.random() < cfg.paper_prob:
        out = on_white_paper(img, size, cfg.paper_scale, rng)
    else:
        out = random_resized_crop(img, size, cfg.max_zoom, rng)
    if cfg.flip and rng.random() < 0.5:
        out = out[:, ::-1]
    return np.ascontiguousarray(out)


def darken_lines(sketch: np.ndarray, darkness_min: float, rng: np.random.Generator) -> np.ndarray:
    """x' = 1 - lam (1 - x) on a uint8 sketch, lam ~ U(darkness_min, 1)."""
    if darkness_min >= 1.0:
        return sketch
    lam = rng.uniform(darkness_min, 1.0)
    return (255.0 - lam * (255.0 - sketch.astype(np.float32)) + 0.5).astype(np.uint8)
