"""Colour a page like a coloured reference page: each region of the page takes the colour that
the reference shows where the region lies in it (issue 28).

``prepare_reference(colour, line_art)`` once per chapter (the reference's line art searched in
every mirror, angle and scale, its regions and blank paper found); ``match_page(gray, regions,
reference)`` per page: the page's line art is registered onto the reference's
(core/line_registration.py: a global search, then a smooth bending), a grid of the page's
non-line pixels is carried into the reference, and each region votes with the reference colours
its pixels land on:

- a region of the figure (or an open shape) most of whose votes land on the reference's colour
  (not on its lines, not on its blank paper) takes their median (CIE Lab, per channel, as the
  app takes a network's colour);
- a region the app takes for paper, or an open shape, whose votes land mostly on blank paper
  is paper (white); the page's paper takes a colour only where the reference's paper is coloured
  too (a backdrop), never from the figure it happens to lie over;
- otherwise (most of the region lies beyond the reference's edges, or a figure's region lands on
  blank paper: a hand the reference hides, a new character beside the known one) the reference
  does not decide, and the network colours the region. So does every region of a page whose
  line art matches the reference's nowhere (``MIN_SCORE``).

What the line art alone cannot tell: another character standing where the reference's stood
takes the reference's colours (measured: docs/reference-colouring.md).

A page that matches the reference only in part (another pose: the registration's score under
``CROSS_POSE_SCORE``) colours its decided regions from votes weighted by the local agreement of
the two line arts, pooled over two registrations and, for a region whose votes agree badly, over
its part, then hedged toward the network's colour, the more the worse the page matched
(core/reference_pool.py); which regions are decided does not change.

Each region's ``confidence`` is the share of its votes behind its decision. Measured in
benchmarks/reference_colouring.py and docs/reference-colouring.md.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .cancel import check
from .colour import lab_to_rgb, rgb8_to_lab
from .colour_modes import OPEN_PAPER_CHROMA, OPEN_PAPER_LIGHTNESS, region_medians
from .line_registration import Correspondence, PreparedLines, prepare, register_several
from .preprocess import scale_to_fit
from .reference_colours import ReferenceColours
from .reference_pool import CROSS_POSE_SCORE, FUSED_HYPOTHESES, VotePool
from .regions import Regions, segment
from .resize import AREA, resize

SAMPLE_SIDE = 1024  # the reference's colours and regions are kept at most this big
MAX_VOTES = 120_000  # page pixels that vote (a grid over the page, plus every pixel of regions it misses)
MIN_VOTES = 3  # a region needs this many votes on the reference's colour to take it
MIN_SHARE = 0.5  # ... and this share of its votes inside the reference, off its lines
MIN_SEEN = 0.25  # a region decides only when this share of its votes lands inside the reference at all
MIN_SCORE = 0.25  # a page whose bent line art correlates less with the reference's shares nothing with it
_AB_OFFSET = 128
FIGURE, BLANK, BACKDROP = 0, 1, 2  # what a reference pixel off its lines shows


@dataclass(frozen=True, eq=False)
class LikeReference:
    """A coloured reference page, prepared once for a chapter."""

    colour: np.ndarray  # HxWx3 uint8 (at most SAMPLE_SIDE)
    lines: PreparedLines  # its line art, ready for the global search
    line_pixels: np.ndarray  # HxW bool: the line art's lines
    ground: np.ndarray  # HxW uint8: FIGURE, BLANK (its paper regions where white) or BACKDROP (coloured)
    lines_from: str = ""  # where its line art came from, for messages (core/like_page.py)


def _is_white(lab: np.ndarray) -> np.ndarray:
    return (lab[..., 0] >= OPEN_PAPER_LIGHTNESS) & (np.hypot(lab[..., 1], lab[..., 2]) <= OPEN_PAPER_CHROMA)


def prepare_reference(colour: np.ndarray, line_art: np.ndarray) -> LikeReference:
    """``colour``: HxWx3 uint8 coloured page; ``line_art``: HxW uint8, its line art at the same size."""
    if colour.ndim != 3 or colour.shape[2] != 3 or line_art.shape != colour.shape[:2]:
        raise ValueError(f"a colour page {colour.shape} and its line art {line_art.shape} of the same size are needed")
    h, w = scale_to_fit(*line_art.shape, min(SAMPLE_SIDE, max(line_art.shape)))
    if (h, w) != line_art.shape:
        colour, line_art = resize(colour, h, w, AREA), resize(line_art, h, w, AREA)
    regions = segment(line_art, cache=False)
    paper = regions.is_background[regions.labels]
    white = _is_white(rgb8_to_lab(colour))
    ground = np.where(paper, np.where(white, BLANK, BACKDROP), FIGURE).astype(np.uint8)
    return LikeReference(colour, prepare(line_art), regions.lines, ground)


def _votes(regions: Regions) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(labels, y, x) of the voting page pixels, y and x normalised (0..1): a grid over the
    regions' working scale without its line pixels, plus every pixel of the regions it misses."""
    small, k = regions.small_labels, regions.scale
    step = max(1, round(float(np.sqrt(small.size / MAX_VOTES))))
    ys, xs = np.mgrid[0:small.shape[0]:step, 0:small.shape[1]:step]
    ys, xs = ys.ravel(), xs.ravel()
    keep = ~regions.small_lines[ys, xs]
    ys, xs = ys[keep], xs[keep]
    missed = np.bincount(small[ys, xs], minlength=regions.count) == 0
    if missed.any():
        my, mx = np.nonzero(missed[small] & ~regions.small_lines)
        ys, xs = np.concatenate([ys, my]), np.concatenate([xs, mx])
    h, w = regions.shape
    return small[ys, xs], (ys * k + k / 2) / h, (xs * k + k / 2) / w


def _median_lab(labels: np.ndarray, lab: np.ndarray, count: int) -> np.ndarray:
    q = np.empty(lab.shape, np.int64)
    q[:, 0] = np.clip(np.rint(lab[:, 0]), 0, 100)
    q[:, 1:] = np.clip(np.rint(lab[:, 1:]) + _AB_OFFSET, 0, 255)
    med = np.stack([region_medians(labels, q[:, c], 101 if c == 0 else 256, count)[0] for c in range(3)], axis=1)
    med = med.astype(np.float32)
    med[:, 1:] -= _AB_OFFSET
    return med


def _landing(reference: LikeReference, where: Correspondence, y: np.ndarray,
             x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(usable, ground, iy, ix) of page points carried into the reference: usable where they land
    inside it off its lines; ground: what they land on there."""
    ry, rx = where.lookup(y, x)
    rh, rw = reference.line_pixels.shape
    iy, ix = np.floor(ry * rh).astype(np.int64), np.floor(rx * rw).astype(np.int64)
    inside = (iy >= 0) & (iy < rh) & (ix >= 0) & (ix < rw)
    iy, ix = np.clip(iy, 0, rh - 1), np.clip(ix, 0, rw - 1)
    return inside & ~reference.line_pixels[iy, ix], reference.ground[iy, ix], iy, ix


def _voters(regions: Regions, labels: np.ndarray, usable: np.ndarray, ground: np.ndarray) -> np.ndarray:
    """The votes on a colour: the page's paper takes the colour of the reference's backdrop only;
    a figure's region (or an open shape) the colour of the figure or of a backdrop."""
    paper_page = regions.is_background & ~regions.is_open
    return usable & np.where(paper_page[labels], ground == BACKDROP, ground != BLANK)


def _pool(regions: Regions, reference: LikeReference, wheres: list[Correspondence], labels: np.ndarray,
          y: np.ndarray, x: np.ndarray) -> VotePool:
    """Every hypothesis's votes on a colour, with the local agreement where each landed."""
    parts = []
    for where in wheres:
        usable, ground, iy, ix = _landing(reference, where, y, x)
        keep = _voters(regions, labels, usable, ground)
        parts.append((labels[keep], rgb8_to_lab(reference.colour[iy[keep], ix[keep]]),
                      where._at(where.agreement, y[keep], x[keep])))
    return VotePool(*(np.concatenate(a) for a in zip(*parts, strict=True)),
                    own_paper=regions.is_background | regions.is_open)


def region_votes(regions: Regions, reference: LikeReference, where: Correspondence,
                 others: list[Correspondence] | tuple = ()) -> ReferenceColours:
    """Each region's decision from the reference colours its pixels land on (module docstring).
    ``others``: the next best registrations, whose votes colour a page that matches the
    reference only in part (``where.score`` under CROSS_POSE_SCORE: core/reference_pool.py)."""
    count = regions.count
    labels, y, x = _votes(regions)
    usable, ground, iy, ix = _landing(reference, where, y, x)
    n_all = np.bincount(labels, minlength=count)
    n_usable = np.bincount(labels[usable], minlength=count)
    n_blank = np.bincount(labels[usable & (ground == BLANK)], minlength=count)
    voters = _voters(regions, labels, usable, ground)
    n_colour = np.bincount(labels[voters], minlength=count)
    lab = _median_lab(labels[voters], rgb8_to_lab(reference.colour[iy[voters], ix[voters]]), count)
    rgb = np.clip(lab_to_rgb(lab) * 255.0 + 0.5, 0, 255).astype(np.uint8)
    seen = n_usable >= np.maximum(MIN_VOTES, MIN_SEEN * n_all)  # enough of the region lands inside the reference
    paper_like = regions.is_background | regions.is_open
    paper = seen & paper_like & (n_blank >= MIN_SHARE * n_usable)
    colour = seen & ~paper & (n_colour >= np.maximum(MIN_VOTES, MIN_SHARE * n_usable))
    decided = paper | colour
    support = np.where(paper, n_blank, np.where(colour, n_colour, 0)) / np.maximum(n_all, 1)
    if where.score < MIN_SCORE:
        decided = np.zeros(count, bool)
    pool = None
    if MIN_SCORE <= where.score < CROSS_POSE_SCORE:  # matched in part: votes weighted by agreement
        pool = _pool(regions, reference, [where, *others][:FUSED_HYPOTHESES], labels, y, x)
        rgb[colour] = pool.region_rgb()[colour]
    rgb[paper | (n_colour == 0)] = 255  # (no colour votes: an undecided region, white for tidiness)
    return ReferenceColours(rgb, decided, paper & decided, np.where(decided, support, 0.0).astype(np.float32),
                            float(where.score), pool)


def match_page(gray: np.ndarray, regions: Regions, reference: LikeReference,
               should_cancel: Callable[[], bool] | None = None) -> ReferenceColours:
    """The reference's decisions for the regions of one page (HxW uint8 line art and its regions)."""
    if regions.shape != gray.shape:
        raise ValueError(f"regions {regions.shape} of another page than {gray.shape}")
    where, *others = register_several(gray, reference.lines, FUSED_HYPOTHESES, CROSS_POSE_SCORE, should_cancel)
    check(should_cancel)
    return region_votes(regions, reference, where, others)


def recolour_raw(raw: np.ndarray, regions: Regions, colours: ReferenceColours) -> np.ndarray:
    """Mode "raw" of a page coloured like a reference: the network's image, its chroma replaced
    in each decided region by the reference's and its lightness moved so the region's median
    lightness is the reference's (the network's light, shadow and lines stay). Regions the
    reference leaves to the network are unchanged."""
    if not colours.decided.any():
        return raw
    lab = rgb8_to_lab(raw)
    labels = regions.labels
    lightness = np.clip(np.rint(lab[..., 0]), 0, 100).astype(np.int64)
    median, _ = region_medians(labels.ravel(), lightness.ravel(), 101, regions.count)
    target = rgb8_to_lab(colours.rgb)
    target[colours.paper] = (100.0, 0.0, 0.0)
    shift = np.where(colours.decided, target[:, 0] - median, 0.0).astype(np.float32)
    decided = colours.decided[labels]
    lab[..., 0] += shift[labels]
    tinted = decided & ~regions.lines  # the lines keep their own (neutral) colour
    lab[..., 1] = np.where(tinted, target[:, 1][labels], lab[..., 1])
    lab[..., 2] = np.where(tinted, target[:, 2][labels], lab[..., 2])
    out = raw.copy()
    out[decided] = np.clip(lab_to_rgb(lab[decided]) * 255.0 + 0.5, 0, 255).astype(np.uint8)
    return out
