"""Close gaps: which part of the page's paper a hint on it belongs to.

The segmentation (regions.py) closes pencil gaps up to about 10 px and calls the regions that
reach the page's sides "paper". On real line art that is not always the paper: a leg whose
outline has a wider gap, or hair cut by the page's edge, joins the paper, and a hint on it would
colour the whole background. Painting programs answer this with "close gaps": the fill stops at
openings narrower than a chosen size. Here the paper is looked at with balls of growing radius
(the *levels*); at each level the places a ball fits, with the paper it sweeps, split the paper
into parts, and the paper it cannot reach through an opening narrower than itself (a leg narrower
than the ball) makes parts of its own, as the open shapes of regions.py step 6. The *open paper* is the largest part and any part larger than ``OPEN_FRACTION`` of
the page; every other part is a *pocket*: a place the paper reaches only through an opening
narrower than the ball (a leg, a lock of hair cut by the page's edge, the space between an arm
and the body).

Level 0 is the segmentation's own paper regions: one that is neither the largest nor large (hair
in a corner of the page) is a pocket already. A hint on the paper fills the pocket found at the
smallest level that separates it from the open paper, up to the artist's setting (``GAP_LEVELS``:
off, small, medium, large). Only a hint on the open paper itself reaches the open paper
(hint_fill.py decides what it does there); a click there fills the paper region, pockets and all,
except the pockets that have fills of their own.

Levels are computed once per page and level, at the regions' working scale, when first asked.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from .regions import Regions, _fill_nearest, _min_pool, _octagonal_distance, ndimage

# Ball radii (px at the regions' working scale) tried for each "close gaps" setting, smallest
# first. The segmentation's own balls go up to 5 px (gaps up to ~10 px); these close 16-36 px.
GAP_LEVELS: dict[str, tuple[int, ...]] = {"off": (0,), "small": (0, 8), "medium": (0, 8, 12),
                                          "large": (0, 8, 12, 18)}
GAP_SETTINGS = tuple(GAP_LEVELS)
DEFAULT_GAP_SETTING = "medium"
OPEN_FRACTION = 0.15  # a part of the paper larger than this share of the page is open paper
MIN_POCKET_AREA = 4.0  # paper a ball cannot reach, smaller than this many radii squared, is a corner
GRID_RADIUS = 4  # a level's ball is rolled on a grid where its radius is about this many cells


def check_gap_setting(setting: str) -> str:
    if setting not in GAP_LEVELS:
        raise ValueError(f"unknown gap setting {setting!r}; use one of {', '.join(GAP_SETTINGS)}")
    return setting


@dataclass(frozen=True, eq=False)
class PaperParts:
    """The paper split at one level: ``small_ids`` (the working-scale page) gives each paper
    pixel its part, 0 elsewhere; ``is_open[id]``: the part is open paper (id 0 counts as open)."""

    small_ids: np.ndarray
    is_open: np.ndarray

    def part_of(self, small_ys: np.ndarray, small_xs: np.ndarray) -> int:
        """The part most of these working-scale pixels lie in (0: none on the paper)."""
        ids = self.small_ids[small_ys, small_xs]
        ids = ids[ids > 0]
        return int(np.bincount(ids).argmax()) if ids.size else 0


class PaperLevels:
    """The page's paper at each level, computed on first use (thread-safe)."""

    def __init__(self, regions: Regions, paper: np.ndarray):
        """``paper``: (count,) bool, the regions that are paper in this colouring."""
        self.regions = regions
        self.paper = paper
        self._levels: dict[int, PaperParts] = {}
        self._lock = threading.Lock()

    def at(self, radius: int) -> PaperParts:
        with self._lock:
            if radius not in self._levels:
                self._levels[radius] = self._split(radius)
            return self._levels[radius]

    def _split(self, radius: int) -> PaperParts:
        r = self.regions
        on_paper = self.paper[r.small_labels]
        if radius == 0:
            ids = np.where(on_paper, r.small_labels + 1, 0).astype(np.int32)
        else:
            ids = np.where(on_paper, self._ball_parts(on_paper, radius), 0).astype(np.int32)
        area = np.bincount(ids.ravel())
        is_open = area > OPEN_FRACTION * ids.size
        if area.size > 1:
            is_open[int(np.argmax(area[1:])) + 1] = True
        is_open[0] = True
        ids.setflags(write=False)
        return PaperParts(ids, is_open)

    @cached_property
    def _free(self) -> np.ndarray:
        """The paper off the lines (the figure bounds the paper as its lines do), for every level."""
        return ~(self.regions.small_lines | ~self.paper[self.regions.small_labels])

    def _ball_parts(self, on_paper: np.ndarray, radius: int) -> np.ndarray:
        """Working-scale part ids (1..) of the paper at one level: where a ball of ``radius`` fits,
        each connected stretch of its centres is a part with the paper it sweeps; the paper it
        cannot reach (a leg narrower than the ball) is a part of its own when larger than
        ``MIN_POCKET_AREA`` ball radii squared (smaller: a corner, it joins its neighbour).

        The ball is rolled on a grid of cells about ``radius / GRID_RADIUS`` px wide (a cell is
        free when all its pixels are; regions.py step 6 does the same): a ball this big only cares
        about openings wider than a cell, and a level costs a cell's area times less (a 1024 px
        page's three levels took ~150 ms at full size, the first hover of the paper waited for them)."""
        free = self._free
        cell = max(1, radius // GRID_RADIUS)
        grid_free = free if cell == 1 else _min_pool(free.view(np.uint8), cell) > 0
        seeds = self._grid_parts(grid_free, radius / cell)
        if not seeds.any():
            return free.astype(np.int32)
        ids = _fill_nearest(seeds)  # the corners, the lines and the cells a line cuts: the nearest part
        if cell > 1:
            h, w = free.shape
            ids = np.repeat(np.repeat(ids, cell, axis=0)[:h], cell, axis=1)[:, :w]
        return ids

    @staticmethod
    def _grid_parts(free: np.ndarray, radius: float) -> np.ndarray:
        """``_ball_parts`` on one grid: part ids where they are found, 0 elsewhere."""
        ndi = ndimage()
        centre_ids, n = ndi.label(_octagonal_distance(free) > radius * 256)
        if n:
            # The paper a ball sweeps (within its radius of a centre: a square, which holds the
            # ball) belongs to its stretch of centres, the nearest one: so the paper beside a
            # pocket's mouth does not go to the pocket.
            reach, (iy, ix) = ndi.distance_transform_cdt(centre_ids == 0, "chessboard", return_distances=True,
                                                          return_indices=True)
            swept = free & (reach <= radius)
            seeds = np.where(swept, centre_ids[iy, ix], 0).astype(np.int32)
        else:
            swept, seeds = np.zeros(free.shape, bool), centre_ids
        rest, m = ndi.label(free & ~swept)
        if m:
            big = np.bincount(rest.ravel(), minlength=m + 1) >= MIN_POCKET_AREA * radius * radius
            big[0] = False
            ids = np.zeros(m + 1, np.int32)
            ids[big] = np.arange(n + 1, n + 1 + int(big.sum()), dtype=np.int32)
            np.copyto(seeds, ids[rest], where=ids[rest] > 0)
        return seeds

    def pocket(self, small_ys: np.ndarray, small_xs: np.ndarray, setting: str) -> tuple[int, int] | None:
        """(radius, part id) of the pocket these working-scale pixels of the paper lie in, at the
        smallest level of ``setting`` that separates them from the open paper; None: open paper."""
        for radius in GAP_LEVELS[check_gap_setting(setting)]:
            parts = self.at(radius)
            part = parts.part_of(small_ys, small_xs)
            if part and not parts.is_open[part]:
                return radius, part
        return None

    def open_part(self, small_ys: np.ndarray, small_xs: np.ndarray) -> tuple[int, int] | None:
        """(0, part id) of the paper region these working-scale pixels lie in: what a click on the
        open paper fills, pockets and all (a pocket an artist coloured keeps its colour: its fill
        is the more specific one). None: not paper."""
        part = self.at(0).part_of(small_ys, small_xs)
        return (0, part) if part else None

    def part_mask(self, radius: int, part: int) -> np.ndarray:
        """Working-scale bool mask of one part of the paper (a pocket or open paper)."""
        return self.at(radius).small_ids == part
