"""Synthetic line art whose closed regions are known, for the region and colour-mode tests.

``drawing()`` is a 240x320 page: a box split in two by a divider (A1, A2), a circle (B) and a
small box (C) on paper, outlined with 2 px lines. ``gap`` cuts a gap that wide into four of the
outlines (A1 to paper, A1 to A2, B to paper, C to paper), as pencil lines leave them. ``truth``
names every pixel: LINE, GAP, or the region it belongs to.
"""

from __future__ import annotations

import numpy as np

H, W = 240, 320
PAPER, A1, A2, B, C = 0, 1, 2, 3, 4
REGIONS = (PAPER, A1, A2, B, C)
LINE, GAP = -1, -2
BOX = (20, 150, 20, 200)  # top, bottom, left, right (outline rows/cols, inclusive start)
DIVIDER = 110
CIRCLE = (110, 262, 44)  # centre y, x, inner radius (the line is 2 px outside it)
SMALL = (175, 225, 30, 160)


def _outline(mask: np.ndarray, top: int, bottom: int, left: int, right: int) -> None:
    mask[top:top + 2, left:right] = True
    mask[bottom - 2:bottom, left:right] = True
    mask[top:bottom, left:left + 2] = True
    mask[top:bottom, right - 2:right] = True


def drawing(gap: int = 0, *, ink: int = 0, paper: int = 255, noise: float = 0.0, hatch: bool = False,
            seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(gray HxW uint8, truth HxW int8). ``hatch`` adds diagonal hatching (1 px strokes every 5 px)
    across A2, which stays one area of the drawing."""
    yy, xx = np.mgrid[:H, :W]
    truth = np.full((H, W), PAPER, np.int8)
    top, bottom, left, right = BOX
    truth[top:bottom, left:DIVIDER] = A1
    truth[top:bottom, DIVIDER:right] = A2
    cy, cx, radius = CIRCLE
    r2 = (yy - cy) ** 2 + (xx - cx) ** 2
    truth[r2 < radius ** 2] = B
    s_top, s_bottom, s_left, s_right = SMALL
    truth[s_top:s_bottom, s_left:s_right] = C

    lines = np.zeros((H, W), bool)
    _outline(lines, *BOX)
    lines[top:bottom, DIVIDER:DIVIDER + 2] = True
    lines |= (r2 >= radius ** 2) & (r2 < (radius + 2) ** 2)
    _outline(lines, *SMALL)
    hatching = np.zeros((H, W), bool)
    if hatch:  # part of A2 in ``truth``: it shades the area, it bounds nothing
        hatching = (truth == A2) & ~lines & ((yy + xx) % 5 == 0)

    gaps = np.zeros((H, W), bool)
    if gap:
        gaps[top:top + 2, 60:60 + gap] = True  # A1 to paper
        gaps[80:80 + gap, DIVIDER:DIVIDER + 2] = True  # A1 to A2
        gaps[cy:cy + gap, cx - radius - 3:cx - radius + 1] = True  # B to paper, the circle's left side
        gaps[s_bottom - 2:s_bottom, 90:90 + gap] = True  # C to paper
        gaps &= lines
    lines &= ~gaps
    truth[lines] = LINE
    truth[gaps] = GAP

    gray = np.where(lines | hatching, ink, paper).astype(np.float32)
    if noise:
        gray += np.random.default_rng(seed).normal(0.0, noise, gray.shape)
    return np.clip(gray + 0.5, 0, 255).astype(np.uint8), truth


def interior(truth: np.ndarray, region: int, margin: int = 3) -> np.ndarray:
    """The region's pixels farther than ``margin`` (taxicab) from any line or gap."""
    from scipy import ndimage

    near = ndimage.binary_dilation(truth < 0, iterations=margin)
    return (truth == region) & ~near


def near_gaps(truth: np.ndarray, margin: int = 4) -> np.ndarray:
    from scipy import ndimage

    return ndimage.binary_dilation(truth == GAP, iterations=margin)


OPEN_NARROW, OPEN_WIDE = (40, 200, 60, 70), (40, 200, 200, 250)  # top, bottom (open), left, right: inside


def open_shapes() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(gray 240x320, narrow, wide): two shapes outlined on three sides and open at the bottom, as
    hair strands drawn with lines that end: ``narrow`` (10 px across, a strand) and ``wide`` (50 px
    across, a gap between two figures). Masks of their insides, the lines' band excluded."""
    gray = np.full((H, W), 255, np.uint8)
    masks = []
    for top, bottom, left, right in (OPEN_NARROW, OPEN_WIDE):
        gray[top - 2:top, left - 2:right + 2] = 0  # the closed end
        gray[top - 2:bottom, left - 2:left] = 0
        gray[top - 2:bottom, right:right + 2] = 0
        inside = np.zeros((H, W), bool)
        inside[top + 2:bottom - 6, left + 2:right - 2] = True
        masks.append(inside)
    return gray, masks[0], masks[1]
