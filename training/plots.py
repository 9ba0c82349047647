"""Small OpenCV drawings for evaluation reports (matplotlib is not a dependency): an image grid
with column titles, and line plots of metrics over training steps."""

from __future__ import annotations

import math
from collections.abc import Sequence

import cv2
import numpy as np

FONT = cv2.FONT_HERSHEY_SIMPLEX
# Distinct line colours (RGB), cycled.
PALETTE = [(31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189), (140, 86, 75),
           (227, 119, 194), (127, 127, 127), (188, 189, 34), (23, 190, 207)]


def _fit_text(text: str, width: int, scale: float) -> str:
    """``text``, cut and marked with "~" if it is wider than ``width`` pixels."""
    def fits(t: str) -> bool:
        return cv2.getTextSize(t, FONT, scale, 1)[0][0] <= width - 6

    if fits(text):
        return text
    while text and not fits(text + "~"):
        text = text[:-1]
    return text + "~"


def image_grid(rows: Sequence[Sequence[np.ndarray]], titles: Sequence[str], cell: int,
               title_height: int = 28) -> np.ndarray:
    """RGB uint8 grid: one row per pair, one column per title, each image fitted into cell x cell."""
    cols = len(titles)
    grid = np.full((title_height + cell * len(rows), cell * cols, 3), 255, np.uint8)
    for c, title in enumerate(titles):
        cv2.putText(grid, _fit_text(title, cell, 0.45), (c * cell + 4, title_height - 9), FONT, 0.45,
                    (0, 0, 0), 1, cv2.LINE_AA)
    for r, row in enumerate(rows):
        if len(row) != cols:
            raise ValueError(f"row {r} has {len(row)} images for {cols} titles")
        for c, img in enumerate(row):
            h, w = img.shape[:2]
            scale = cell / max(h, w)
            fitted = cv2.resize(img, (max(1, round(w * scale)), max(1, round(h * scale))),
                                interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC)
            y0, x0 = title_height + r * cell, c * cell
            grid[y0:y0 + fitted.shape[0], x0:x0 + fitted.shape[1]] = fitted
    return grid


def _nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    if hi <= lo:
        hi = lo + 1.0
    raw = (hi - lo) / count
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    start = math.floor(lo / step) * step
    return [start + i * step for i in range(int(math.ceil((hi - start) / step)) + 1)]


def line_plot(series: dict[str, Sequence[tuple[float, float]]], *, title: str, xlabel: str, ylabel: str,
              size: tuple[int, int] = (800, 480)) -> np.ndarray:
    """RGB uint8 line plot of named (x, y) series with axes, ticks and a legend."""
    width, height = size
    img = np.full((height, width, 3), 255, np.uint8)
    left, right, top, bottom = 80, 20, 40, 60
    points = [(x, y) for s in series.values() for x, y in s if math.isfinite(y)]
    if not points:
        cv2.putText(img, f"{title}: no data", (left, height // 2), FONT, 0.6, (0, 0, 0), 1, cv2.LINE_AA)
        return img
    xs, ys = zip(*points, strict=True)
    xt, yt = _nice_ticks(min(xs), max(xs)), _nice_ticks(min(ys), max(ys))
    x0, x1, y0, y1 = xt[0], xt[-1], yt[0], yt[-1]

    def px(x: float, y: float) -> tuple[int, int]:
        return (round(left + (x - x0) / (x1 - x0) * (width - left - right)),
                round(height - bottom - (y - y0) / (y1 - y0) * (height - top - bottom)))

    grey, black = (215, 215, 215), (0, 0, 0)
    for x in xt:
        cv2.line(img, px(x, y0), px(x, y1), grey, 1)
        label = f"{x:g}"
        tw = cv2.getTextSize(label, FONT, 0.4, 1)[0][0]
        cv2.putText(img, label, (px(x, y0)[0] - tw // 2, height - bottom + 18), FONT, 0.4, black, 1, cv2.LINE_AA)
    for y in yt:
        cv2.line(img, px(x0, y), px(x1, y), grey, 1)
        label = f"{y:.4g}"
        tw = cv2.getTextSize(label, FONT, 0.4, 1)[0][0]
        cv2.putText(img, label, (left - tw - 6, px(x0, y)[1] + 4), FONT, 0.4, black, 1, cv2.LINE_AA)
    cv2.rectangle(img, px(x0, y1), px(x1, y0), black, 1)
    cv2.putText(img, title, (left, 26), FONT, 0.6, black, 1, cv2.LINE_AA)
    cv2.putText(img, xlabel, (width // 2 - 30, height - 15), FONT, 0.45, black, 1, cv2.LINE_AA)
    cv2.putText(img, ylabel, (8, top - 10), FONT, 0.45, black, 1, cv2.LINE_AA)
    for i, (name, pts) in enumerate(series.items()):
        colour = PALETTE[i % len(PALETTE)]
        good = sorted((x, y) for x, y in pts if math.isfinite(y))
        poly = np.array([px(x, y) for x, y in good], np.int32)
        if len(poly) > 1:
            cv2.polylines(img, [poly], False, colour, 2, cv2.LINE_AA)
        for p in poly:
            cv2.circle(img, tuple(int(v) for v in p), 3, colour, -1, cv2.LINE_AA)
        ly = top + 16 + 18 * i
        cv2.line(img, (width - right - 190, ly - 4), (width - right - 165, ly - 4), colour, 2)
        cv2.putText(img, _fit_text(name, 160, 0.4), (width - right - 160, ly), FONT, 0.4, black, 1, cv2.LINE_AA)
    return img
