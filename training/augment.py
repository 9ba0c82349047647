"""Training-sample augmentation settings, and their NumPy/OpenCV form for the sample pool
(training/sample_pool.py), which the JAX trainer uses; training/pipeline.py is the tf.data form.

Both apply the same geometry to colour and sketch alike:
- random jitter: resize so the shorter side is size x U(1, max_zoom) (1.12 is pix2pix's 286/256),
  random crop back to size x size; random horizontal flip;
- placement on white paper: with probability ``paper_prob`` the whole image is scaled so its longer
  side is size x U(paper_scale) and put at a random place on a white canvas, so the model learns
  that blank paper stays white;
- line darkness x' = 1 - lam (1 - x), lam ~ U(darkness_min, 1) (Ci et al.);
- pages at the app's scale (``page_crop``, for real line art that brings its own sketch): the page
  as the app runs it, zoomed by U(PAGE_ZOOM) only, then a random crop; no placement on paper.
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


# Real pages reach the app in many sizes; around the scale it runs them at, a little jitter only
# (the synthesized sets' jitter rescales every image to the crop's size, 2-4x smaller than a page).
PAGE_ZOOM = (0.8, 1.25)

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


def page_crop(img: np.ndarray, size: int, zoom: tuple[float, float], rng: np.random.Generator) -> np.ndarray:
    """A size x size crop of a page at about its own scale (x U(zoom)); a page smaller than the crop
    lies at a random spot on white paper (the sketch channel's paper is white too)."""
    h, w = img.shape[:2]
    scale = rng.uniform(*zoom)
    nh, nw = max(1, round(h * scale)), max(1, round(w * scale))
    img = _resize(img, nh, nw).reshape(nh, nw, -1)
    if nh < size or nw < size:
        canvas = np.full((max(nh, size), max(nw, size), img.shape[2]), 255, np.uint8)
        top, left = int(rng.integers(0, canvas.shape[0] - nh + 1)), int(rng.integers(0, canvas.shape[1] - nw + 1))
        canvas[top:top + nh, left:left + nw] = img
        img, nh, nw = canvas, canvas.shape[0], canvas.shape[1]
    top, left = int(rng.integers(0, nh - size + 1)), int(rng.integers(0, nw - size + 1))
    return img[top:top + size, left:left + size]


def augment_geometry(img: np.ndarray, size: int, cfg: AugmentConfig, rng: np.random.Generator,
                     at_page_scale: bool = False) -> np.ndarray:
    """HxWxC uint8 (colour, or colour and sketch stacked) -> size x size x C, augmented;
    ``at_page_scale``: a page already at the app's scale (``page_crop``)."""
    if at_page_scale:
        out = page_crop(img, size, PAGE_ZOOM, rng)
    elif cfg.paper_prob > 0 and rng.random() < cfg.paper_prob:
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
