"""Synthetic coloured figures and their line art, drawn again moved, turned, scaled or mirrored,
for the reference-colouring tests (issue 28).

``figure()`` is a simple character: head, hair, body with a button, two arms, two legs of
different colours and a bag on one side (so a mirror image is not the same picture). ``draw``
renders it (or it plus extra shapes) into a page of any size under a similarity transform, with
crisp 2 px outlines: the line art (gray), the colour page (flat colours, black lines) and which
shape each pixel shows (-1 on a line, 0 paper, i + 1 for shape i).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

Shape = Callable[[np.ndarray, np.ndarray], np.ndarray]  # (u, v) -> bool, u down, v right, in figure units


def ellipse(cu: float, cv: float, ru: float, rv: float) -> Shape:
    return lambda u, v: ((u - cu) / ru) ** 2 + ((v - cv) / rv) ** 2 <= 1.0


def box(u0: float, u1: float, v0: float, v1: float) -> Shape:
    return lambda u, v: (u >= u0) & (u <= u1) & (v >= v0) & (v <= v1)


def triangle(a: tuple[float, float], b: tuple[float, float], c: tuple[float, float]) -> Shape:
    def inside(u, v):
        def side(p, q):
            return (q[1] - p[1]) * (u - p[0]) - (q[0] - p[0]) * (v - p[1])
        s1, s2, s3 = side(a, b), side(b, c), side(c, a)
        return ((s1 >= 0) & (s2 >= 0) & (s3 >= 0)) | ((s1 <= 0) & (s2 <= 0) & (s3 <= 0))
    return inside


@dataclass(frozen=True)
class Part:
    name: str
    shape: Shape
    colour: tuple[int, int, int]


def figure() -> list[Part]:
    """Bottom to top. Units: the figure is about 1.0 tall and 0.7 wide, centred on (0.5, 0.5)."""
    return [
        Part("hair", ellipse(0.14, 0.5, 0.12, 0.15), (120, 60, 150)),
        Part("head", ellipse(0.18, 0.5, 0.09, 0.1), (245, 205, 175)),
        Part("left arm", box(0.32, 0.62, 0.2, 0.29), (70, 120, 200)),
        Part("right arm", box(0.32, 0.62, 0.71, 0.8), (200, 90, 60)),
        Part("body", box(0.3, 0.66, 0.32, 0.68), (40, 160, 90)),
        Part("button", ellipse(0.44, 0.5, 0.035, 0.035), (230, 200, 30)),
        Part("left leg", box(0.68, 0.95, 0.36, 0.47), (90, 90, 100)),
        Part("right leg", box(0.68, 0.95, 0.53, 0.64), (150, 100, 50)),
        Part("bag", triangle((0.5, 0.84), (0.66, 0.78), (0.66, 0.95)), (220, 60, 140)),
    ]


def draw(parts: list[Part], size: tuple[int, int] = (320, 256), *, angle: float = 0.0, scale: float = 1.0,
         shift: tuple[float, float] = (0.0, 0.0), mirror: bool = False, figure_height: float = 0.85,
         ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(gray HxW uint8, colour HxWx3 uint8, which HxW int) of ``parts`` drawn on a page of
    ``size``: the figure ``figure_height`` of the page tall, turned by ``angle`` degrees, scaled,
    shifted (fractions of the page's height and width) and mirrored, about the page's centre."""
    h, w = size
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float64) + 0.5
    unit = figure_height * h * scale  # page pixels per figure unit
    py, px = yy - h / 2 - shift[0] * h, xx - w / 2 - shift[1] * w
    c, s = np.cos(np.deg2rad(angle)), np.sin(np.deg2rad(angle))
    u = (c * py + s * px) / unit
    v = (-s * py + c * px) / unit
    if mirror:
        v = -v
    u, v = u + 0.5, v + 0.5
    which = np.zeros((h, w), np.int32)
    for i, part in enumerate(parts):
        which[part.shape(u, v)] = i + 1
    edge = np.zeros((h, w), bool)
    edge[:, 1:] |= which[:, 1:] != which[:, :-1]
    edge[1:, :] |= which[1:, :] != which[:-1, :]
    lines = edge.copy()  # 2 px: the changing pixel and its left / upper neighbour
    lines[:, :-1] |= edge[:, 1:]
    lines[:-1, :] |= edge[1:, :]
    palette = np.array([(255, 255, 255)] + [p.colour for p in parts], np.uint8)
    colour = palette[which]
    colour[lines] = 0
    gray = np.where(lines, 0, 255).astype(np.uint8)
    which = np.where(lines, -1, which)
    return gray, colour, which


def majority_part(labels: np.ndarray, which: np.ndarray, count: int) -> tuple[np.ndarray, np.ndarray]:
    """(part index + 1 that most of each region's non-line pixels show, that share)."""
    keep = which >= 0
    table = np.zeros((count, int(which.max()) + 1), np.int64)
    np.add.at(table, (labels[keep], which[keep]), 1)
    total = np.maximum(table.sum(axis=1), 1)
    return table.argmax(axis=1), table.max(axis=1) / total
