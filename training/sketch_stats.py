"""Statistics of a line-art image, to compare synthesized sketches with real ones (issue 29).

One job: a gray page (uint8, 255 = paper) -> numbers a reader can check by eye:
- ``darkness``: 255 minus the median value of the line pixels (value < LINE): 255 is black ink;
- ``grey_share``: share of line pixels lighter than 100 (grey pencil rather than black ink);
- ``coverage``: share of the page that is line (%);
- ``width``: mean stroke width in px, the line pixels' area over the length of their skeleton;
- ``ends``: stroke ends per 1,000 px of skeleton: broken strokes, gaps and short hatching raise it;
- ``paper``: mean value of the paper (pixels 3 px or more from any line), ``grain``: its standard
  deviation (the paper's noise, tone and faint strokes; a clean white page has 0).
"""

from __future__ import annotations

import cv2
import numpy as np

LINE = 200  # a pixel darker than this is line (the rest is paper, tone or grain)
GREY = 100  # line pixels lighter than this are grey (pencil), darker ones ink
KEYS = ("darkness", "grey_share", "coverage", "width", "ends", "paper", "grain")


def skeleton_ends(mask: np.ndarray) -> tuple[int, int]:
    """(skeleton length in px, stroke ends: skeleton pixels with exactly one 8-neighbour)."""
    from skimage.morphology import skeletonize

    skel = skeletonize(mask).astype(np.uint8)
    neighbours = cv2.filter2D(skel, -1, np.ones((3, 3), np.float32), borderType=cv2.BORDER_CONSTANT) - skel
    return int(skel.sum()), int(((skel == 1) & (neighbours == 1)).sum())


def sketch_statistics(gray: np.ndarray) -> dict[str, float]:
    """The module docstring's numbers for one HxW uint8 sketch (NaN where there is no line or paper)."""
    mask = gray < LINE
    lines = gray[mask]
    length, ends = skeleton_ends(mask) if lines.size else (0, 0)
    far = cv2.erode((~mask).astype(np.uint8), np.ones((7, 7), np.uint8)).astype(bool)
    paper = gray[far].astype(np.float64)
    return {
        "darkness": float(255 - np.median(lines)) if lines.size else float("nan"),
        "grey_share": float((lines >= GREY).mean() * 100) if lines.size else float("nan"),
        "coverage": float(mask.mean() * 100),
        "width": float(mask.sum() / length) if length else float("nan"),
        "ends": float(1000.0 * ends / length) if length else float("nan"),
        "paper": float(paper.mean()) if paper.size else float("nan"),
        "grain": float(paper.std()) if paper.size else float("nan"),
    }
