"""Where each hint's colour goes: parts of the figure, pockets of the paper, the paper, a wash.

A hint layer (hints.py) holds strokes of colour: connected hinted pixels. Each stroke fills,
for every region (regions.py) it touches:

- a region of the figure: the region's whole **part** (parts.py: strands of hair, a sleeve
  with its fold lines), or the region alone for a "this region only" hint (a Shift+click,
  ``hints.REGION_ONLY_ALPHA``);
- the paper: the **pocket** the stroke lies in, found by closing gaps (gap_close.py: a leg
  whose outline has a gap, hair cut by the page's edge); never the open paper through a gap;
- the open paper itself: a fill-bucket **click** (a speck of at most ``hints.CLICK_MAX_PIXELS``)
  fills it; a stroke or dot lays a soft **wash** of its colour on the paper around it, out to
  ``WASH_REACH`` times its distance from the nearest line (a glow, a bit of sky), so a dab near a
  figure never floods the page.

Measured on the 127 real pairs of ``sketch-pairs-real/train`` with the shipped model (shaded):
with 10 careful dots (figure only, >= 4 px from a line) on the extracted-line pages, flooding
the paper from every dot on it gave ΔE2000 13.41 and paper 5.97 ΔE from white where the truth
is white; washes 14.72 and 4.94. The floods won on pages whose paintings colour the whole
background, the washes on figures on white paper, where a dot on a glow or a cast shadow
flooded the page; a click on the paper still fills it.

Several colours in one fill split it, each pixel taking the colour of the nearest hinted pixel;
in a part, the regions a hint touches keep their hints' colours and each other region takes the
colour of the hint nearest to it. Specific fills win over general ones: a region-only hint over
its part, a pocket over the paper.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from .gap_close import DEFAULT_GAP_SETTING, PaperLevels, check_gap_setting
from .hints import is_click, is_region_only
from .parts import DEFAULT_TOLERANCE
from .regions import Regions, ndimage

WASH_REACH = 2.0  # a wash reaches this many times the stroke's distance from the nearest line
WASH_PLATEAU = 0.7  # full colour over this share of the reach, then fading to nothing
SPLIT_PIXELS = 250_000  # a fill in several colours is split on a grid of at most about this


@dataclass(frozen=True)
class FillSettings:
    """The artist's fill settings: how far gaps are closed (gap_close.GAP_LEVELS) and how alike
    two touching regions' network colours must be to form one part (0: no parts)."""

    close_gaps: str = DEFAULT_GAP_SETTING
    part_tolerance: float = DEFAULT_TOLERANCE

    def __post_init__(self):
        check_gap_setting(self.close_gaps)
        if not (self.part_tolerance >= 0):
            raise ValueError(f"the part tolerance must be >= 0, got {self.part_tolerance}")


def pack(rgb: np.ndarray) -> np.ndarray:
    """...x3 uint8 colours -> ... uint32, one word per pixel: gathers and masked copies of one
    word are several times faster than of three bytes."""
    words = np.zeros((*rgb.shape[:-1], 4), np.uint8)
    words[..., :3] = rgb
    return words.view(np.uint32)[..., 0]


def unpack(words: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(words[..., None].view(np.uint8)[..., :3])


@dataclass(frozen=True, eq=False)
class PageTargets:
    """What hint fills need of one colouring of one page, computed once: its regions, which of
    them are paper in it, its parts, the paper's levels and (for washes) each paper pixel's
    distance from the lines."""

    regions: Regions
    paper: np.ndarray  # (count,) bool
    parts: np.ndarray  # (count,) each region's part (a region label)
    levels: PaperLevels

    @cached_property
    def clearance(self) -> np.ndarray:
        """Working-scale distance of every pixel from the nearest line (float32, working-scale px)."""
        lines = self.regions.small_lines
        if not lines.any():
            return np.full(lines.shape, float(max(lines.shape)), np.float32)
        return ndimage().distance_transform_edt(~lines).astype(np.float32)

    def part_regions(self, part: int) -> np.ndarray:
        return np.flatnonzero(self.parts == part)

    @cached_property
    def centres(self) -> np.ndarray:
        """(count, 2) each region's centre (y, x) in page pixels."""
        r = self.regions
        ys, xs = np.indices(r.small_labels.shape)
        n = np.maximum(np.bincount(r.small_labels.ravel(), minlength=r.count), 1)
        return np.stack([np.bincount(r.small_labels.ravel(), weights=v.ravel(), minlength=r.count) / n
                         for v in (ys, xs)], axis=1) * r.scale + (r.scale - 1) / 2

    def target(self, region: int, small_ys: np.ndarray, small_xs: np.ndarray, *, click: bool,
               region_only: bool, settings: FillSettings) -> tuple:
        """What a stroke's pixels in ``region`` (their working-scale coordinates) fill, as a key:
        ("part", part) | ("region", label) | ("pocket", radius, id) | ("paper", radius, id) |
        ("wash",)."""
        if not self.paper[region]:
            return ("region", region) if region_only else ("part", int(self.parts[region]))
        pocket = self.levels.pocket(small_ys, small_xs, settings.close_gaps)
        if pocket is not None:
            return ("pocket", *pocket)
        if not click:
            return ("wash",)
        paper = self.levels.open_part(small_ys, small_xs)
        return ("paper", *paper) if paper is not None else ("wash",)

    def target_at(self, x: int, y: int, settings: FillSettings, *, click: bool = True,
                  region_only: bool = False) -> tuple | None:
        """The target key (``target``) of a one-pixel hint at page pixel (x, y); None beside the page."""
        label = self.regions.label_at(x, y)
        if label is None:
            return None
        k = self.regions.scale
        return self.target(label, np.array([y // k]), np.array([x // k]), click=click, region_only=region_only,
                           settings=settings)

    def reach(self, x: int, y: int, settings: FillSettings, *, click: bool = True,
              region_only: bool = False) -> np.ndarray | None:
        """Working-scale bool mask of what a hint at page pixel (x, y) fills (the fill bucket's
        preview); None beside the page."""
        key = self.target_at(x, y, settings, click=click, region_only=region_only)
        if key is None:
            return None
        r, k = self.regions, self.regions.scale
        sy, sx = np.array([y // k]), np.array([x // k])
        if key[0] == "region":
            return r.small_labels == key[1]
        if key[0] == "part":
            return np.isin(r.small_labels, self.part_regions(key[1]))
        if key[0] in ("pocket", "paper"):
            return self.levels.part_mask(key[1], key[2])
        reach = WASH_REACH * max(float(self.clearance[sy[0], sx[0]]), 1.0)
        yy, xx = np.ogrid[:r.small_labels.shape[0], :r.small_labels.shape[1]]
        return ((yy - sy[0]) ** 2 + (xx - sx[0]) ** 2 <= reach * reach) & self.paper[r.small_labels]


@dataclass
class _Fill:
    """One target's hinted pixels (page coordinates) and their colours (packed)."""

    key: tuple
    ys: np.ndarray
    xs: np.ndarray
    colours: np.ndarray
    strokes: np.ndarray  # each pixel's stroke (connected hinted pixels)

    @cached_property
    def single(self) -> int | None:
        colours = np.unique(self.colours)
        return int(colours[0]) if colours.size == 1 else None

    def fingerprint(self, width: int) -> bytes:
        return np.stack([self.ys.astype(np.int64) * width + self.xs, self.colours.astype(np.int64)]).tobytes()


class HintFill:
    """A hint layer resolved into fills on one page (``PageTargets``)."""

    def __init__(self, targets: PageTargets, hints: np.ndarray | None, settings: FillSettings):
        self.targets = targets
        self.settings = settings
        self.fills: dict[tuple, _Fill] = {}
        self._plans: dict[tuple, tuple] = {}
        r = targets.regions
        hinted = None if hints is None else hints[:, :, 3] > 0
        rows = None if hinted is None else np.flatnonzero(hinted.any(axis=1))
        if rows is None or rows.size == 0:
            return
        cols = np.flatnonzero(hinted[rows[0]:rows[-1] + 1].any(axis=0))
        box = (slice(rows[0], rows[-1] + 1), slice(cols[0], cols[-1] + 1))  # strokes cover little of a page
        hinted, lines = hinted[box], r.lines[box]
        strokes, n = ndimage().label(hinted, structure=np.ones((3, 3), bool))
        # A stroke that reaches paper fills from there, not from where it crosses a line (each line
        # pixel belongs to one side); a stroke wholly on a line (a click on it) fills that side.
        reaches_paper = np.zeros(n + 1, bool)
        reaches_paper[strokes[hinted & ~lines]] = True
        use = hinted & ~(lines & reaches_paper[strokes])
        ys, xs = np.nonzero(use)
        stroke = strokes[ys, xs]
        ys, xs = ys + box[0].start, xs + box[1].start
        size = np.bincount(strokes.ravel(), minlength=n + 1)
        alpha = hints[ys, xs, 3]
        # Region only: every pixel of the stroke says so (a Shift+click); an edited file's soft
        # stroke edges do not turn a stroke into one.
        used = np.bincount(stroke, minlength=n + 1)
        only = (np.bincount(stroke, weights=is_region_only(alpha), minlength=n + 1) == used) & (used > 0)
        colours = pack(hints[ys, xs, :3])
        labels = r.labels[ys, xs]
        k = r.scale
        pairs, which = np.unique(stroke.astype(np.int64) * r.count + labels, return_inverse=True)
        order = np.argsort(which, kind="stable")
        bounds = np.r_[0, np.cumsum(np.bincount(which, minlength=pairs.size))]
        grouped: dict[tuple, list[np.ndarray]] = {}
        for i, pair in enumerate(pairs):
            s, label = divmod(int(pair), r.count)
            idx = order[bounds[i]:bounds[i + 1]]
            key = targets.target(label, ys[idx] // k, xs[idx] // k, click=bool(is_click(size[s])),
                                 region_only=bool(only[s]), settings=settings)
            grouped.setdefault(key, []).append(idx)
        for key, parts in grouped.items():
            idx = np.concatenate(parts)
            self.fills[key] = _Fill(key, ys[idx], xs[idx], colours[idx], stroke[idx])

    def is_empty(self) -> bool:
        return not self.fills

    @property
    def hinted_regions(self) -> np.ndarray:
        """(count,) bool: regions filled from their own paper or figure hints (not washes)."""
        out = np.zeros(self.targets.regions.count, bool)
        for key in self.fills:
            if key[0] == "region":
                out[key[1]] = True
            elif key[0] == "part":
                out[self.targets.part_regions(key[1])] = True
        return out

    def changed(self, old: HintFill) -> set[tuple]:
        """The targets whose hinted pixels or colours differ from ``old``'s (same page)."""
        w = self.targets.regions.shape[1]
        mine = {k: f.fingerprint(w) for k, f in self.fills.items()}
        theirs = {k: f.fingerprint(w) for k, f in old.fills.items()}
        return {k for k in mine.keys() | theirs.keys() if mine.get(k) != theirs.get(k)}

    def regions_of(self, keys: set[tuple]) -> np.ndarray | None:
        """(count,) bool: the regions these figure targets fill; None if one fills paper (pocket,
        paper, wash: the caller renders the whole page)."""
        out = np.zeros(self.targets.regions.count, bool)
        for key in keys:
            if key[0] == "part":
                out[self.targets.part_regions(key[1])] = True
            elif key[0] == "region":
                out[key[1]] = True
            else:
                return None
        return out

    # --- flats ----------------------------------------------------------------------------------

    def table(self, region_words: np.ndarray) -> np.ndarray:
        """(count,) packed colours: the regions' own, with the fills of parts, then of single
        regions (most specific last); a region hinted in several colours is split by ``paint``."""
        table = region_words.copy()
        for kind in ("part", "region"):
            for key, fill in self.fills.items():
                if key[0] != kind:
                    continue
                if kind == "region":
                    if fill.single is not None:
                        table[key[1]] = fill.single
                    continue
                labels, words, _split_regions = self._part_plan(key, fill)
                table[labels] = words
        return table

    def _part_plan(self, key: tuple, fill: _Fill) -> tuple[np.ndarray, np.ndarray, list[tuple[int, _Fill]]]:
        """How a part's fill colours its regions: (labels, their colours, [(region, its hints)]
        for the regions hinted in several colours, split pixel by pixel). One colour: every region.
        Several: each hinted region keeps its hints' colour, each other region of the part takes
        the colour of the hint nearest its centre (hair and a face the network joined into one part
        keep the two colours they were clicked with)."""
        if key in self._plans:
            return self._plans[key]
        self._plans[key] = plan = self._plan(key, fill)
        return plan

    def _plan(self, key: tuple, fill: _Fill) -> tuple[np.ndarray, np.ndarray, list[tuple[int, _Fill]]]:
        members = self._part_unhinted_or_all(key)
        if fill.single is not None:
            return members, np.full(members.size, fill.single, np.uint32), []
        own = self.targets.regions.labels[fill.ys, fill.xs]
        labels, words, several = [], [], []
        for label in np.unique(own):
            mine = own == label
            colours = np.unique(fill.colours[mine])
            if colours.size == 1:
                labels.append(int(label))
                words.append(int(colours[0]))
            else:
                several.append((int(label), _Fill(key, fill.ys[mine], fill.xs[mine], fill.colours[mine],
                                                  fill.strokes[mine])))
        rest = members[~np.isin(members, own)]
        if rest.size:
            centres = self.targets.centres[rest]
            d = (centres[:, None, 0] - fill.ys[None]) ** 2 + (centres[:, None, 1] - fill.xs[None]) ** 2
            labels += rest.tolist()
            words += fill.colours[np.argmin(d, axis=1)].tolist()
        keep = np.isin(labels, members) if labels else np.zeros(0, bool)
        return (np.asarray(labels, np.int64)[keep], np.asarray(words, np.uint32)[keep],
                [(label, f) for label, f in several if label in set(members.tolist())])

    def _part_unhinted_or_all(self, key: tuple) -> np.ndarray:
        """A part's regions, less those a region-only hint fills."""
        members = self.targets.part_regions(key[1])
        own = [k[1] for k in self.fills if k[0] == "region"]
        return members[~np.isin(members, own)] if own else members

    def paint(self, flats: np.ndarray, box: tuple[slice, slice], scale: int) -> np.ndarray:
        """Apply the fills that need pixels (several colours, pockets, washes) to ``flats``: the
        packed flats of ``box`` of the page at 1/``scale`` of its size (1, or the regions' working
        scale), with the table's fills in them already. Each fill is worked out over its whole
        extent, then written where it meets ``box``: a part of the page renders as the whole does.
        Returns the bool mask of the pixels of ``box`` that hints coloured (table fills included)."""
        t = self.targets
        labels = t.regions.labels if scale == 1 else t.regions.small_labels
        touched = self.table_filled()[labels[box]]
        for kind in ("part", "region", "paper", "pocket"):  # the most specific last
            for key, fill in self.fills.items():
                if key[0] != kind or (kind in ("part", "region") and fill.single is not None):
                    continue
                pieces = ([(("region", label), sub) for label, sub in self._part_plan(key, fill)[2]]
                          if kind == "part" else [(key, fill)])
                for piece, sub in pieces:
                    where, mask = self._extent(piece, scale)
                    colours = sub.single if sub.single is not None else _split(mask, where, sub, scale)
                    _write(flats, box, where, mask, colours)
                    _write(touched, box, where, mask, True)
        washes = [f for k, f in self.fills.items() if k[0] == "wash"]
        if washes:
            _wash(flats, box, washes, t, scale)
        return touched

    def table_filled(self) -> np.ndarray:
        """(count,) bool: the regions ``table`` gives a hint's colour."""
        out = np.zeros(self.targets.regions.count, bool)
        for key, fill in self.fills.items():
            if key[0] == "part":
                out[self._part_plan(key, fill)[0]] = True
            elif key[0] == "region" and fill.single is not None:
                out[key[1]] = True
        return out

    def _extent(self, key: tuple, scale: int) -> tuple[tuple[slice, slice], np.ndarray]:
        """(box, bool mask in it) of what a pixel fill covers, at 1/``scale`` of the page."""
        r = self.targets.regions
        if key[0] in ("pocket", "paper"):
            small = self.targets.levels.part_mask(key[1], key[2])
            where = _box_of(small)
            mask = small[where]
            if scale == 1 and r.scale > 1:
                k, (h, w) = r.scale, r.shape
                where = (slice(where[0].start * k, min(h, where[0].stop * k)),
                         slice(where[1].start * k, min(w, where[1].stop * k)))
                mask = np.repeat(np.repeat(mask, k, 0), k, 1)[:where[0].stop - where[0].start,
                                                               :where[1].stop - where[1].start]
            return where, mask
        members = self._part_unhinted_or_all(key) if key[0] == "part" else np.array([key[1]])
        boxes = [r.boxes[m] for m in members if r.boxes[m] is not None]
        where = (slice(min(b[0].start for b in boxes) // scale, -(-max(b[0].stop for b in boxes) // scale)),
                 slice(min(b[1].start for b in boxes) // scale, -(-max(b[1].stop for b in boxes) // scale)))
        labels = r.labels if scale == 1 else r.small_labels
        return where, np.isin(labels[where], members)


def _box_of(mask: np.ndarray) -> tuple[slice, slice]:
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    if rows.size == 0:
        return slice(0, 0), slice(0, 0)
    return slice(rows[0], rows[-1] + 1), slice(cols[0], cols[-1] + 1)


def _write(flats: np.ndarray, box: tuple[slice, slice], where: tuple[slice, slice], mask: np.ndarray,
           colours: np.ndarray | int | None) -> None:
    """Write ``colours`` (one word, or an array shaped like ``mask``) where ``mask`` (placed at
    ``where``) meets ``box`` (the part of the page ``flats`` holds)."""
    top, bottom = max(box[0].start, where[0].start), min(box[0].stop, where[0].stop)
    left, right = max(box[1].start, where[1].start), min(box[1].stop, where[1].stop)
    if top >= bottom or left >= right:
        return
    src = (slice(top - where[0].start, bottom - where[0].start), slice(left - where[1].start, right - where[1].start))
    dst = (slice(top - box[0].start, bottom - box[0].start), slice(left - box[1].start, right - box[1].start))
    values = colours if np.isscalar(colours) else colours[src]
    np.copyto(flats[dst], np.asarray(values, flats.dtype), where=mask[src])


def _split(mask: np.ndarray, where: tuple[slice, slice], fill: _Fill, scale: int) -> np.ndarray:
    """Each pixel of ``mask`` (at ``where``) coloured like its nearest hinted pixel of ``fill``
    (packed words shaped like ``mask``). Big masks are split on a coarser grid: where two hints
    meet inside a fill there is no line to follow."""
    step = max(1, int(np.sqrt(mask.size / SPLIT_PIXELS)))
    hy = (fill.ys // scale - where[0].start) // step
    hx = (fill.xs // scale - where[1].start) // step
    grid = (-(-mask.shape[0] // step), -(-mask.shape[1] // step))
    keep = (hy >= 0) & (hx >= 0) & (hy < grid[0]) & (hx < grid[1])
    not_seed = np.ones(grid, bool)
    not_seed[hy[keep], hx[keep]] = False
    seed_colour = np.zeros(grid, np.uint32)
    seed_colour[hy[keep], hx[keep]] = fill.colours[keep]
    iy, ix = ndimage().distance_transform_edt(not_seed, return_distances=False, return_indices=True)
    nearest = seed_colour[iy, ix]
    if step > 1:
        nearest = np.repeat(np.repeat(nearest, step, axis=0), step, axis=1)[:mask.shape[0], :mask.shape[1]]
    return nearest


def _wash(flats: np.ndarray, box: tuple[slice, slice], washes: list[_Fill], t: PageTargets, scale: int) -> None:
    """Blend the washes' colours over the open paper of ``box``: full colour near each stroke,
    fading to nothing at its reach; overlapping washes mix by their weights."""
    k = t.regions.scale
    labels = t.regions.labels if scale == 1 else t.regions.small_labels
    size = labels.shape
    h, w = flats.shape
    num = np.zeros((h, w, 3), np.float32)
    den = np.zeros((h, w), np.float32)
    strength = np.zeros((h, w), np.float32)
    for fill in washes:
        keys = (fill.strokes.astype(np.int64) << 32) | fill.colours
        for one in np.unique(keys):  # each stroke (and colour, where strokes of two colours touch)
            mine = keys == one
            colour = fill.colours[mine][0]
            ys, xs = fill.ys[mine] // scale, fill.xs[mine] // scale
            reach = WASH_REACH * max(float(t.clearance[fill.ys[mine] // k, fill.xs[mine] // k].max()), 1.0) * k / scale
            where = (slice(max(0, int(ys.min() - reach)), min(size[0], int(ys.max() + reach) + 1)),
                     slice(max(0, int(xs.min() - reach)), min(size[1], int(xs.max() + reach) + 1)))
            top, bottom = max(box[0].start, where[0].start), min(box[0].stop, where[0].stop)
            left, right = max(box[1].start, where[1].start), min(box[1].stop, where[1].stop)
            if top >= bottom or left >= right:
                continue
            seeds = np.ones((where[0].stop - where[0].start, where[1].stop - where[1].start), bool)
            seeds[ys - where[0].start, xs - where[1].start] = False
            distance = ndimage().distance_transform_edt(seeds)
            weight = np.clip((1.0 - distance / reach) / (1.0 - WASH_PLATEAU), 0.0, 1.0).astype(np.float32)
            weight *= t.paper[labels[where]]
            src = (slice(top - where[0].start, bottom - where[0].start), slice(left - where[1].start, right - where[1].start))
            dst = (slice(top - box[0].start, bottom - box[0].start), slice(left - box[1].start, right - box[1].start))
            rgb = unpack(np.array([colour], np.uint32))[0].astype(np.float32)
            num[dst] += weight[src][..., None] * rgb
            den[dst] += weight[src]
            np.maximum(strength[dst], weight[src], out=strength[dst])
    on = den > 0
    if not on.any():
        return
    base = unpack(flats[on]).astype(np.float32)
    mix = num[on] / den[on][:, None]
    s = strength[on][:, None]
    flats[on] = pack(np.clip(base * (1.0 - s) + mix * s + 0.5, 0, 255).astype(np.uint8))
