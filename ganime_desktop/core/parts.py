"""Parts: the regions an artist sees as one thing (hair drawn as strands, a sleeve with fold lines).

The line art's closed regions (regions.py) are often fragments of one part: strands of hair are
separated by lines that end inside the hair, fold lines cut a sleeve into pieces. Two touching
regions of the figure belong to one part when

- they touch through paper, not only through a line (at least ``MIN_CONTACT`` px of their border
  is paper on both sides): a line that ends inside the part (a strand, a fold) separates them,
  and the trapped balls closed the gap at its end; and
- the network coloured them alike: their median colours within ``tolerance`` in CIE Lab, and so
  are the mean colours of the parts they would join (pairs joined most alike first), so a part
  cannot creep from dark hair to a pale face through a chain of in-between regions.

Measured on the 127 real pairs of ``sketch-pairs-real/train`` (the true median colour of every
region; 100,295 touching pairs of figure regions): regions that touch through 4 px of paper or
more share their true colour (ΔE2000 < 8) 56-59 % of the time, 67-80 % when the network also
coloured them within 5 (ΔE2000); regions that touch only across a line 24-27 %, and hardly more
when the network coloured them alike (31-32 %). So parts never join across a complete line.

The default tolerance, measured on the same pages in the shaded mode (ΔE2000 with 0 / 10 / 40
careful dots; extracted lines | hand-drawn): 0 (no parts) 19.49 / 14.34 / 12.22 | 29.52 / 22.84 /
18.37; 10: 19.47 / 14.07 / 11.88 | 29.53 / 22.15 / 17.67; 20: 19.38 / 13.86 / 11.57 | 29.51 /
21.74 / 17.21; 30: 19.24 / 13.66 / 11.45 | 29.39 / 21.58 / 16.98. Wider parts fill more of a
figure per dot but also carry a hint into white parts beside it (the paper's ΔE from white where
the truth is white, 10 dots, extracted: 5.19 / 5.50 / 5.86 / 5.86), and on a real page looked at
in the app a tolerance of 40 joined a pale face to dark hair: 20 is the default.

Small holes (regions enclosed by one part, under ``HOLE_FRACTION`` of the page: specks of pencil
grain, a dot) join the part around them: a filled part has no unfilled specks.

A fill (hint_fill.py) fills a hinted region's whole part; without hints each part takes one colour
(colour_modes.py), so a part is not a patchwork of its fragments' colours.
"""

from __future__ import annotations

import numpy as np

from .regions import Regions, join_labels

DEFAULT_TOLERANCE = 20.0  # CIE Lab distance between two regions' network colours that still join them
MIN_CONTACT = 3  # px of a border (at the regions' working scale) paper on both sides: a gap, not a line
HOLE_FRACTION = 1e-4  # an enclosed region smaller than this share of the page joins its part


class RegionGraph:
    """Which regions of a page touch, how long their border is and how much of it is paper on
    both sides (computed once per page at the regions' working scale)."""

    def __init__(self, regions: Regions):
        labels, lines = regions.small_labels, regions.small_lines
        n = regions.count
        a_parts, b_parts, line_parts = [], [], []
        for left, right, left_line, right_line in (
                (labels[:, :-1], labels[:, 1:], lines[:, :-1], lines[:, 1:]),
                (labels[:-1], labels[1:], lines[:-1], lines[1:])):
            apart = left != right
            a_parts.append(left[apart])
            b_parts.append(right[apart])
            line_parts.append(left_line[apart] | right_line[apart])
        a = np.concatenate(a_parts).astype(np.int64)
        b = np.concatenate(b_parts).astype(np.int64)
        on_line = np.concatenate(line_parts)
        keys = np.minimum(a, b) * n + np.maximum(a, b)
        pairs, which, border = np.unique(keys, return_inverse=True, return_counts=True)
        self.a, self.b = pairs // n, pairs % n
        self.border = border
        self.contact = border - np.bincount(which, weights=on_line, minlength=pairs.size).astype(np.int64)
        self.count = n

    def holes(self, lut: np.ndarray, small: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(hole, a region around it): the ``small`` regions whose neighbours all lie in one part
        of ``lut`` other than their own."""
        ends = np.concatenate([self.a, self.b])
        around = lut[np.concatenate([self.b, self.a])]
        keep = small[ends] & (around != lut[ends])
        pairs = np.unique(ends[keep] * self.count + around[keep])
        hole, part = pairs // self.count, pairs % self.count
        one = np.bincount(hole, minlength=self.count) == 1
        alone = np.bincount(ends, weights=~keep & small[ends], minlength=self.count) == 0  # no other neighbour
        pick = one[hole] & alone[hole]
        return hole[pick], part[pick]


def _join_alike(lut: np.ndarray, a: np.ndarray, b: np.ndarray, distance: np.ndarray, lab: np.ndarray,
                areas: np.ndarray, tolerance: float) -> np.ndarray:
    """Join the touching pairs (a, b), most alike first, while the two parts' mean colours (by
    area) stay within ``tolerance``: parts do not creep along a gradient of colours, a pair at a
    time, from dark hair to a pale face."""
    parent = np.arange(lut.size)
    total = lab.astype(np.float64) * areas[:, None]
    weight = areas.astype(np.float64).copy()

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for k in np.argsort(distance, kind="stable"):
        ra, rb = root(int(a[k])), root(int(b[k]))
        if ra == rb:
            continue
        mean_a, mean_b = total[ra] / max(weight[ra], 1.0), total[rb] / max(weight[rb], 1.0)
        if np.sqrt(((mean_a - mean_b) ** 2).sum()) >= tolerance:
            continue
        low, high = min(ra, rb), max(ra, rb)
        parent[high] = low
        total[low] += total[high]
        weight[low] += weight[high]
    return np.array([root(i) for i in range(lut.size)])


def part_labels(regions: Regions, graph: RegionGraph, lab: np.ndarray, paper: np.ndarray,
                tolerance: float = DEFAULT_TOLERANCE) -> np.ndarray:
    """(count,) each region's part: the smallest region label of its part. ``lab``: (count, 3)
    the network's colour of each region in CIE Lab; ``paper``: (count,) bool, the regions that are
    paper in this colouring (never joined). ``tolerance`` <= 0: every region is its own part."""
    lut = np.arange(regions.count)
    if tolerance <= 0 or regions.count < 2:
        return lut
    a, b = graph.a, graph.b
    distance = np.sqrt(((lab[a] - lab[b]) ** 2).sum(axis=1))
    candidate = (distance < tolerance) & ~paper[a] & ~paper[b] & (graph.contact >= MIN_CONTACT)
    lut = _join_alike(lut, a[candidate], b[candidate], distance[candidate], lab, regions.areas, tolerance)
    small = ~paper & (regions.areas < HOLE_FRACTION * regions.labels.size)
    hole, around = graph.holes(lut, small)
    inside = ~paper[around]
    return join_labels(lut, hole[inside], around[inside])
