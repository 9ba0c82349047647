"""Colour modes: a network's colouring made to respect the line art's regions, with hints that fill.

- ``raw``: the network's output as the pipeline has always made it.
- ``flat``: one colour per region (core/regions.py): a hint's exact colour where a hint touches
  the region (hints of several colours in one region split it, each pixel taking the nearest
  hint's colour), else the network's robust colour there, the per-channel median in CIE Lab.
  The paper stays white unless it is hinted; so do the open shapes of the line art (regions.py,
  step 6) that the network left paper-white (``OPEN_PAPER_LIGHTNESS``, ``OPEN_PAPER_CHROMA``).
- ``shaded`` (the default): the flats times a shading layer, the network's lightness variation
  inside each region, so shading survives while hue stays inside the lines.

Both are layers (core/layers.py) composed by multiplication, the line art multiplied over
everything at full resolution, so "save layers" gives exactly what the app showed.

The shading is the network's luma with the lines it saw divided out (as preprocess's
``multiply_line_art`` does), over the region's median of it, darken-only: a multiply layer
cannot lighten, and the median keeps the flat colour on the lit half of a region. Under a hint
stroke it is neutral: there the network's lightness is the hint's, not light and shadow.

``PageColouring`` holds one network run on one page with its regions and per-region
statistics; ``render(mode, hints)`` re-renders it for new hints without running the network
again: ``benchmarks/regions.py``, 2 cores, real line art at 1024 px with four hint strokes,
shaded: median 27 ms, max 86 ms (A4 at 300 dpi: ~0.4 s).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property

import numpy as np

from .colour import lab_to_rgb, rgb8_to_lab, rgb_to_gray
from .hints import check_hints
from .layers import Layers
from .preprocess import MAX_LINE_GAIN
from .reference_colours import ReferenceColours
from .regions import Regions, ndimage, segment

MODES = ("raw", "flat", "shaded")
DEFAULT_MODE = "shaded"
MIN_PAPER_LEVEL = 128  # darker "paper" (a black page) is not lifted to white in the line layer
_AB_OFFSET = 128  # a and b are binned as integers in -128..127
SPLIT_PIXELS = 250_000  # a region hinted in several colours is split on a grid of at most about this
OPEN_PAPER_LIGHTNESS, OPEN_PAPER_CHROMA = 88.0, 10.0  # an open shape coloured lighter and greyer is paper
STATS_SAMPLES = 300_000  # pixels the region statistics need at most (a 1024 px page has ~870 000)
SHADING_ROWS = 64  # the full-page shading layer is computed this many rows at a time
# min(256 / (seen + 1), MAX_LINE_GAIN) for each uint8 level, computed as float32 exactly as per pixel
_LINE_GAIN = np.minimum(256.0 / (np.arange(256, dtype=np.uint8).astype(np.float32) + 1.0), MAX_LINE_GAIN)


def check_mode(mode: str) -> str:
    if mode not in MODES:
        raise ValueError(f"unknown colour mode {mode!r}; use one of {', '.join(MODES)}")
    return mode


def region_medians(labels: np.ndarray, values: np.ndarray, bins: int, count: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-region median of integer ``values`` in 0..bins-1 (both flat arrays): (medians, sample
    counts), by histogram: one bincount, no sort. Regions without samples get median 0."""
    hist = np.bincount(labels.astype(np.int64) * bins + values, minlength=count * bins).reshape(count, bins)
    cdf = np.cumsum(hist, axis=1)
    total = cdf[:, -1]
    medians = (cdf < ((total + 1) // 2)[:, None]).sum(axis=1)
    return np.where(total > 0, medians, 0), total


def _medians_with_fallback(labels: np.ndarray, paper: np.ndarray, values: np.ndarray, bins: int,
                           count: int) -> np.ndarray:
    """Medians over each region's paper samples; a region made only of line samples uses those."""
    med, total = region_medians(labels[paper], values[paper], bins, count)
    if (total == 0).any():
        med_all, _ = region_medians(labels, values, bins, count)
        med = np.where(total > 0, med, med_all)
    return med


class PageColouring:
    """One network colouring of one page, ready to render in any mode with any hints."""

    def __init__(self, gray: np.ndarray, colour: np.ndarray, *,
                 seen: np.ndarray | Callable[[], np.ndarray] | None = None,
                 raw: np.ndarray | Callable[[], np.ndarray] | None = None, regions: Regions | None = None,
                 reference: ReferenceColours | None = None):
        """``gray``: HxW uint8 sketch at full size. ``colour``: HxWx3 uint8, the network's colour
        at full size before the line art goes back. ``seen``: the sketch as the network saw it,
        at full size (default ``gray``). ``raw``: mode "raw"'s image (default ``colour``).
        ``seen`` and ``raw`` may be functions that make them: called on first use (the batch's
        shaded pages never need the raw image, a page's work of ~0.1 s at A4 300 dpi).
        ``regions``: default ``segment(gray)`` (cached by content). ``reference``: the region
        colours a coloured reference page decides (core/reference_match.py, issue 28), laid over
        the network's; hints still win."""
        if gray.ndim != 2 or colour.shape != (*gray.shape, 3):
            raise ValueError(f"sketch {gray.shape} and colour {colour.shape} do not match")
        self.gray, self.colour = gray, colour
        self._seen = gray if seen is None else seen
        self._raw = colour if raw is None else raw
        self.regions = segment(gray) if regions is None else regions
        self.reference = reference

    @property
    def seen(self) -> np.ndarray:
        if callable(self._seen):
            self._seen = self._seen()
        return self._seen

    @property
    def raw(self) -> np.ndarray:
        if callable(self._raw):
            self._raw = self._raw()
        return self._raw

    @property
    def shape(self) -> tuple[int, int]:
        return self.gray.shape

    # --- per-page statistics (once per network run) --------------------------------------------

    def _clean_luma(self, colour: np.ndarray, seen: np.ndarray) -> np.ndarray:
        """The network's luma with the lines it saw divided out (float32)."""
        return np.minimum(rgb_to_gray(colour).astype(np.float32) * _LINE_GAIN[seen], 255.0)

    def prepare(self, mode: str = DEFAULT_MODE) -> None:
        """Compute now what ``render(mode, hints)`` needs whatever the hints (the regions'
        colours, the shading): the batch does it on its network thread, the writer then only
        fills, composes and encodes."""
        if check_mode(mode) == "raw":
            return
        self._stats  # noqa: B018 (a cached property: computed here)
        if mode == "shaded":
            self._unhinted_shading  # noqa: B018

    @property
    def background(self) -> np.ndarray:
        """(count,) bool: the regions that are paper in this colouring: the regions' paper, and
        the open shapes the network left paper-white (an artist left them uncoloured too, or the
        shape is a gap between figures); white unless hinted."""
        return self._stats[2]

    def _samples(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(labels, paper, colour Nx3, seen) of the pixels the region statistics are taken from:
        one per block of the regions' working scale, on a coarser grid when that is more than about
        STATS_SAMPLES (a median needs no more; a 1024 px page's statistics took ~100 ms), plus
        every pixel of the regions the grid misses (small ones), so each region keeps its own."""
        r, k = self.regions, self.regions.scale
        step = max(1, round(float(np.sqrt(r.small_labels.size / STATS_SAMPLES))))
        colour, seen = self.colour[::k, ::k], self.seen[::k, ::k]
        if step == 1:
            return r.small_labels.ravel(), ~r.small_lines.ravel(), colour.reshape(-1, 3), seen.ravel()
        grid = (slice(None, None, step), slice(None, None, step))
        labels = r.small_labels[grid].ravel()
        missed = np.bincount(labels, minlength=r.count) == 0
        ys, xs = np.nonzero(missed[r.small_labels]) if missed.any() else (np.zeros(0, np.intp),) * 2
        return (np.concatenate([labels, r.small_labels[ys, xs]]),
                np.concatenate([~r.small_lines[grid].ravel(), ~r.small_lines[ys, xs]]),
                np.concatenate([colour[grid].reshape(-1, 3), colour[ys, xs]]),
                np.concatenate([seen[grid].ravel(), seen[ys, xs]]))

    @cached_property
    def _stats(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(count x 3 uint8 region colours, count float32 median clean luma, count bool paper),
        from ``_samples``."""
        r = self.regions
        labels, paper, colour, seen = self._samples()
        # The paper's colour is white whatever the network made of it: Lab and medians only for
        # the samples of other regions (the paper is often most of a page).
        figure = np.flatnonzero(~r.is_background[labels])
        lab = rgb8_to_lab(colour[figure])
        q = np.empty(lab.shape, np.int64)
        q[:, 0] = np.clip(np.rint(lab[:, 0]), 0, 100)
        q[:, 1:] = np.clip(np.rint(lab[:, 1:]) + _AB_OFFSET, 0, 255)
        median_lab = np.stack([_medians_with_fallback(labels[figure], paper[figure], q[:, c], 101 if c == 0 else 256,
                                                      r.count) for c in range(3)], axis=1).astype(np.float32)
        median_lab[:, 1:] -= _AB_OFFSET
        rgb = np.clip(lab_to_rgb(median_lab) * 255.0 + 0.5, 0, 255).astype(np.uint8)
        chroma = np.hypot(median_lab[:, 1], median_lab[:, 2])
        background = r.is_background | (r.is_open & (median_lab[:, 0] >= OPEN_PAPER_LIGHTNESS)
                                        & (chroma <= OPEN_PAPER_CHROMA))
        if self.reference is not None:  # issue 28: the reference decides the regions it shows
            rgb, background = self.reference.apply(rgb, background)
        rgb[background] = 255  # the paper stays white unless hinted
        luma = self._clean_luma(colour[None], seen[None]).ravel()  # one row: rgb_to_gray works by rows
        median_luma = _medians_with_fallback(labels, paper, np.rint(luma).astype(np.int64), 256, r.count)
        return rgb, median_luma.astype(np.float32), background

    @cached_property
    def _shading(self) -> np.ndarray:
        """HxW uint8 multiply layer before hints: clean luma over its region's median, darken-only."""
        return self._shading_layer(paper_neutral=False)

    @cached_property
    def _unhinted_shading(self) -> np.ndarray:
        """``_shading`` with the paper neutral (255): the shading layer of a page without hints."""
        if "_shading" in self.__dict__:
            shading = self._shading.copy()
            shading[self.background[self.regions.labels]] = 255
            return shading
        return self._shading_layer(paper_neutral=True)

    def _shading_layer(self, paper_neutral: bool) -> np.ndarray:
        """The shading layer computed a block of rows at a time (the same arithmetic as on the
        whole page, with its float32 temporaries in the CPU's cache instead of ~35 MB each)."""
        h, w = self.shape
        median = np.maximum(self._stats[1], 1.0)
        background = self.background
        out = np.empty((h, w), np.uint8)
        for top in range(0, h, SHADING_ROWS):
            rows = slice(top, min(h, top + SHADING_ROWS))
            labels = self.regions.labels[rows]
            cols = slice(0, w)
            paper = None
            if paper_neutral:  # only the columns holding something else than paper are computed
                paper = background[labels]
                inside = np.flatnonzero(~paper.all(axis=0))
                out[rows] = 255
                if inside.size == 0:  # blank paper above and below the figures
                    continue
                cols = slice(inside[0], inside[-1] + 1)
                labels, paper = labels[:, cols], paper[:, cols]
            ratio = self._clean_luma(self.colour[rows, cols], self.seen[rows, cols]) / median[labels]
            block = np.clip(ratio * 255.0 + 0.5, 0, 255).astype(np.uint8)
            if paper is not None:
                block[paper] = 255
            out[rows, cols] = block
        return out

    @cached_property
    def line_layer(self) -> np.ndarray:
        """HxW uint8 line art for multiplying: the sketch with its paper level lifted to white."""
        paper = self.regions.paper_level
        if paper < MIN_PAPER_LEVEL or paper >= 255:
            return self.gray
        lut = np.clip(np.arange(256, dtype=np.float32) * (255.0 / paper) + 0.5, 0, 255).astype(np.uint8)
        return lut[self.gray]

    # --- per render (each hint edit) -----------------------------------------------------------

    def layers(self, mode: str = DEFAULT_MODE, hints: np.ndarray | None = None) -> Layers:
        """Flats, shading and line art for ``mode`` "flat" or "shaded" (flat: no shading)."""
        if check_mode(mode) == "raw":
            raise ValueError("the raw colouring has no layers; use mode 'flat' or 'shaded'")
        h, w = self.shape
        fill = _HintFill(self.regions, check_hints(hints, h, w) if hints is not None else None)
        flats = fill.flats(self._stats[0])
        if mode == "flat":
            shading = np.full((h, w), 255, np.uint8)
        elif fill.pixels is None:  # no hints: the paper is neutral, the rest as the network shaded it
            shading = self._unhinted_shading
        else:
            shading = self._shading
            neutral = self.background & ~fill.hinted_regions  # white paper stays white
            if neutral.any() or fill.pixels is not None:
                shading = shading.copy()
                if neutral.any():
                    shading[neutral[self.regions.labels]] = 255
                if fill.pixels is not None:
                    shading[fill.pixels[0], fill.pixels[1]] = 255
        return Layers(flats, shading, self.line_layer)

    def render(self, mode: str = DEFAULT_MODE, hints: np.ndarray | None = None) -> np.ndarray:
        """HxWx3 uint8: the page in ``mode`` with ``hints`` (HxWx4 RGBA, alpha > 0 = hinted)."""
        if check_mode(mode) == "raw":
            return self.raw
        return self.layers(mode, hints).compose()

    def rerender(self, mode: str, hints: np.ndarray | None, previous: np.ndarray,
                 previous_hints: np.ndarray | None) -> np.ndarray:
        """``render(mode, hints)``, pixel for pixel, given ``previous == render(mode, previous_hints)``:
        only the regions whose hints changed are rendered again (the app after each hint edit).
        A stroke or a fill touches a few regions of a figure, a few per cent of the page: a few
        milliseconds instead of a whole page's render. Hints that change the paper (a region
        whose box is the page) render the whole page. ``previous`` is not modified."""
        if check_mode(mode) == "raw":
            return self.raw
        h, w = self.shape
        new = _HintFill(self.regions, check_hints(hints, h, w) if hints is not None else None)
        old = _HintFill(self.regions, check_hints(previous_hints, h, w) if previous_hints is not None else None)
        changed = new.changed_regions(old, w)
        if not changed.any():
            return previous
        labels = np.flatnonzero(changed)
        boxes = [self.regions.boxes[label] for label in labels]
        box = (slice(min(b[0].start for b in boxes), max(b[0].stop for b in boxes)),
               slice(min(b[1].start for b in boxes), max(b[1].stop for b in boxes)))
        if (changed & self.background).any() or (box[0].stop - box[0].start) * (box[1].stop - box[1].start) > h * w // 2:
            return self.render(mode, hints)
        table = _pack(self._stats[0])
        if new.pixels is not None:
            table[new.single[0]] = new.single[1]
        flats = np.empty((h, w), np.uint32)  # only the box is filled and read
        flats[box] = np.take(table, self.regions.labels[box])
        for label in np.intersect1d(new.several, labels):
            new._split(flats, int(label))
        shading = np.full(flats[box].shape, 255, np.uint8) if mode == "flat" else self._shading[box].copy()
        if mode != "flat" and new.pixels is not None:
            ys, xs = new.pixels
            inside = (ys >= box[0].start) & (ys < box[0].stop) & (xs >= box[1].start) & (xs < box[1].stop)
            shading[ys[inside] - box[0].start, xs[inside] - box[1].start] = 255
        rgb = Layers(_unpack(flats[box]), shading, self.line_layer[box]).compose()
        out = previous.copy()
        mine = changed[self.regions.labels[box]]
        out[box][mine] = rgb[mine]
        return out


def _pack(rgb: np.ndarray) -> np.ndarray:
    """...x3 uint8 colours -> ... uint32, one word per pixel: gathers and masked copies of one
    word are several times faster than of three bytes."""
    words = np.zeros((*rgb.shape[:-1], 4), np.uint8)
    words[..., :3] = rgb
    return words.view(np.uint32)[..., 0]


def _unpack(words: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(words[..., None].view(np.uint8)[..., :3])


class _HintFill:
    """Where a hint layer's colours go: whole regions, or parts of regions hinted in several colours."""

    def __init__(self, regions: Regions, hints: np.ndarray | None):
        self.regions = regions
        self.hinted_regions = np.zeros(regions.count, bool)
        self.pixels: tuple[np.ndarray, np.ndarray] | None = None
        hinted = None if hints is None else hints[:, :, 3] > 0
        rows = None if hinted is None else np.flatnonzero(hinted.any(axis=1))
        if rows is None or rows.size == 0:
            return
        cols = np.flatnonzero(hinted[rows[0]:rows[-1] + 1].any(axis=0))
        box = (slice(rows[0], rows[-1] + 1), slice(cols[0], cols[-1] + 1))  # strokes cover little of a page
        hinted, lines = hinted[box], regions.lines[box]
        # A stroke that reaches paper fills from there, not from where it crosses a line (each line
        # pixel belongs to one side); a stroke wholly on a line (a click on it) fills that side.
        on_line = hinted & lines
        if on_line.any():
            strokes, n = ndimage().label(hinted, structure=np.ones((3, 3), bool))
            reaches_paper = np.zeros(n + 1, bool)
            reaches_paper[strokes[hinted & ~lines]] = True
            hinted &= ~(on_line & reaches_paper[strokes])
        ys, xs = np.nonzero(hinted)
        ys, xs = ys + box[0].start, xs + box[1].start
        self.pixels = (ys, xs)
        self.colours = _pack(hints[ys, xs, :3])
        self.labels = regions.labels[ys, xs]
        pairs = np.unique((self.labels.astype(np.int64) << 32) | self.colours)
        pair_labels, pair_colours = pairs >> 32, (pairs & 0xFFFFFFFF).astype(np.uint32)
        labels, first, colours = np.unique(pair_labels, return_index=True, return_counts=True)
        self.hinted_regions[labels] = True
        one = colours == 1
        self.single = labels[one], pair_colours[first[one]]
        self.several = labels[~one]

    def changed_regions(self, old: _HintFill, width: int) -> np.ndarray:
        """(count,) bool: the regions whose hinted pixels or their colours differ from ``old``'s
        (same page): every region whose colours or shading can differ between the two."""
        keys = [np.zeros(0, np.int64) if f.pixels is None else
                ((f.pixels[0].astype(np.int64) * width + f.pixels[1]) << 32) | f.colours for f in (self, old)]
        diff = np.setxor1d(*keys, assume_unique=True)
        changed = np.zeros(self.regions.count, bool)
        pixels = diff >> 32
        changed[self.regions.labels.ravel()[pixels]] = True
        return changed

    def flats(self, region_rgb: np.ndarray) -> np.ndarray:
        """HxWx3 uint8: each region in its colour, hinted regions in their hints' colours."""
        table = _pack(region_rgb)
        if self.pixels is not None:
            table[self.single[0]] = self.single[1]
        r = self.regions
        if r.scale > 1 and (self.pixels is None or not len(self.several)):
            # The labels are the working-scale labels enlarged (regions.py), so are the flats:
            # colour the small labels, then enlarge (a scale^2-th of the lookups, the same result).
            k, (h, w) = r.scale, r.shape
            small = _unpack(np.take(table, r.small_labels))
            return np.repeat(np.repeat(small, k, axis=1)[:, :w], k, axis=0)[:h]
        flats = np.take(table, r.labels)
        if self.pixels is not None:
            for label in self.several:
                self._split(flats, int(label))
        return _unpack(flats)

    def _split(self, flats: np.ndarray, label: int) -> None:
        """Colour each pixel of a region hinted in several colours like its nearest hint pixel.
        Big regions are split on a coarser grid: where two hints meet inside a region there is no
        line to follow, and the full-resolution transform of a whole page would cost ~100 ms."""
        box = self.regions.boxes[label]
        inside = self.regions.labels[box] == label
        mine = self.labels == label
        step = max(1, int(np.sqrt(inside.size / SPLIT_PIXELS)))
        hy = (self.pixels[0][mine] - box[0].start) // step
        hx = (self.pixels[1][mine] - box[1].start) // step
        grid = (-(-inside.shape[0] // step), -(-inside.shape[1] // step))
        not_seed = np.ones(grid, bool)
        not_seed[hy, hx] = False
        seed_colour = np.zeros(grid, np.uint32)
        seed_colour[hy, hx] = self.colours[mine]
        iy, ix = ndimage().distance_transform_edt(not_seed, return_distances=False, return_indices=True)
        nearest = seed_colour[iy, ix]
        if step > 1:
            nearest = np.repeat(np.repeat(nearest, step, axis=0), step, axis=1)[:inside.shape[0], :inside.shape[1]]
        np.copyto(flats[box], nearest, where=inside)
