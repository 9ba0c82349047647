"""Simulated hint dots: dabs of the true colour, placed as an artist would place them or anyhow.

A dot is a disc of radius ``dot_radius`` (1 % of the page's shorter side: 3 px at 256 px, 5 px
at 512) painted with the truth's 3x3 mean colour at its centre. Two placements (issue 25's
protocol for real line art):

- ``careful``: the whole disc at least ``CAREFUL_GAP`` px from any line of the sketch (the app's
  segmentation's lines) and its centre on the figure (not the truth's blank paper): an artist
  dabbing colour into a part of the drawing;
- ``sloppy``: the disc anywhere off the lines, blank paper included: dabs that miss, glows,
  backgrounds.

Seeded by (seed, placement, image index): the same image gets the same dots in every run, and
its first k dots are the same whatever the count (10 dots are the first 10 of 40). Fewer are
placed when fewer centres qualify (a blank page: none).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from training import metrics

DOT_RADIUS_FRACTION = 0.01  # radius 1 % of the shorter side, a brush dab
CAREFUL_GAP = 4  # px between a careful dot and the nearest line
PLACEMENTS = ("careful", "sloppy")
_STREAM = {"careful": (), "sloppy": (1,)}  # careful keeps the stream the dots always had


@dataclass(frozen=True, order=True)
class DotSet:
    """``count`` dots placed ``placement``-ly; its label names it in tables ("10", "40 sloppy")."""

    count: int
    placement: str = "careful"

    def __post_init__(self):
        if self.count < 0:
            raise ValueError(f"hint dot counts must be >= 0, got {self.count}")
        if self.placement not in PLACEMENTS:
            raise ValueError(f"unknown dot placement {self.placement!r}; use one of {', '.join(PLACEMENTS)}")

    @property
    def label(self) -> str:
        return str(self.count) if self.placement == "careful" or self.count == 0 else f"{self.count} {self.placement}"


def dot_sets(careful: list[int], sloppy: list[int] | None = None) -> list[DotSet]:
    """The runs asked for: each careful count (0 = no dots), then each sloppy count."""
    sets = [DotSet(d) for d in sorted(set(careful))] + [DotSet(d, "sloppy") for d in sorted(set(sloppy or [])) if d > 0]
    return sets or [DotSet(0)]


def dot_radius(shape: tuple[int, ...]) -> int:
    return max(1, round(DOT_RADIUS_FRACTION * min(shape[:2])))


def hint_dots(truth: np.ndarray, lines: np.ndarray, count: int, seed: int, index: int,
              placement: str = "careful") -> tuple[np.ndarray, int]:
    """(HxWx4 uint8 RGBA hint layer, dots placed): ``count`` dots of the true colour placed as
    the module docstring says."""
    import cv2

    from ganime_desktop.core.regions import ndimage

    h, w = truth.shape[:2]
    layer = np.zeros((h, w, 4), np.uint8)
    if count <= 0:
        return layer, 0
    r = dot_radius(truth.shape)
    gap = CAREFUL_GAP if placement == "careful" else 0
    ok = ~metrics.blank_paper(truth) if placement == "careful" else np.ones((h, w), bool)
    if lines.any():
        ok &= ndimage().distance_transform_edt(~lines) > r + gap
    border = np.zeros((h, w), bool)
    border[r:h - r, r:w - r] = True
    eligible = np.flatnonzero(ok & border)
    rng = np.random.default_rng([seed, 0x0D075, index, *_STREAM[placement]])  # its own stream beside the sketches'
    centres = eligible[rng.permutation(eligible.size)[:count]]
    if centres.size == 0:
        return layer, 0
    cy, cx = np.divmod(centres, w)
    colour = cv2.blur(truth, (3, 3), borderType=cv2.BORDER_REFLECT)[cy, cx]
    oy, ox = np.mgrid[-r:r + 1, -r:r + 1]
    disc = oy ** 2 + ox ** 2 <= r * r
    ys, xs = cy[:, None] + oy[disc][None], cx[:, None] + ox[disc][None]
    layer[ys, xs, :3] = colour[:, None]
    layer[ys, xs, 3] = 255
    return layer, int(centres.size)


def dot_layers(truths: list[np.ndarray], indices: list[int], regions: list[Any], sets: list[DotSet], seed: int
               ) -> tuple[dict[DotSet, list[np.ndarray | None]], dict[DotSet, list[int]], dict[DotSet, list[bool]]]:
    """Per dot set: each image's hint layer (None without dots), the dots placed, and whether a
    dot touches a region the app takes for paper (``is_background``)."""
    layers: dict[DotSet, list[np.ndarray | None]] = {}
    placed: dict[DotSet, list[int]] = {}
    on_paper: dict[DotSet, list[bool]] = {}
    for s in sets:
        made = [hint_dots(t, r.lines, s.count, seed, i, s.placement) if s.count > 0 else (None, 0)
                for t, i, r in zip(truths, indices, regions, strict=True)]
        layers[s], placed[s] = [m[0] for m in made], [m[1] for m in made]
        on_paper[s] = [layer is not None and bool(r.is_background[r.labels[layer[..., 3] > 0]].any())
                       for layer, r in zip(layers[s], regions, strict=True)]
    return layers, placed, on_paper
