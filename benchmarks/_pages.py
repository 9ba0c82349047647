"""Synthetic manga pages for the benchmarks: full-body test art upscaled onto white A4 paper at
200 dpi, and its XDoG sketch (made at the art's own size, then upscaled like a scan)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from ganime_desktop.core.preprocess import scale_to_fit
from training.xdog import xdog

PAGE_W, PAGE_H = 1654, 2339  # A4 at 200 dpi
A4_300DPI = (3508, 2480)  # (height, width)
FULLBODY_TEST = Path(__file__).resolve().parents[2] / "shared" / "data" / "anime-fullbody" / "test"


def make_page(colour: np.ndarray, sigma: float = 0.4, size: tuple[int, int] = (PAGE_H, PAGE_W),
              ) -> tuple[np.ndarray, np.ndarray, tuple[slice, slice]]:
    """(colour page, sketch page, the figure's box): pages ``size`` (H, W; default A4 at 200 dpi)
    x 3 uint8 RGB with the figure centred on white. Scores belong inside the box: empty paper
    flatters every method alike."""
    page_h, page_w = size
    h, w = scale_to_fit(colour.shape[0], colour.shape[1], int(0.92 * page_h))
    if w > 0.92 * page_w:
        h, w = scale_to_fit(colour.shape[0], colour.shape[1], int(0.92 * page_w * max(h, w) / w))
    sketch = cv2.cvtColor(xdog(colour, sigma), cv2.COLOR_GRAY2RGB)
    page_c = np.full((page_h, page_w, 3), 255, np.uint8)
    page_s = page_c.copy()
    top, left = (page_h - h) // 2, (page_w - w) // 2
    page_c[top:top + h, left:left + w] = cv2.resize(colour, (w, h), interpolation=cv2.INTER_CUBIC)
    page_s[top:top + h, left:left + w] = cv2.resize(sketch, (w, h), interpolation=cv2.INTER_CUBIC)
    return page_c, page_s, (slice(top, top + h), slice(left, left + w))
