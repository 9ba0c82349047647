"""Colour modes: a network's colouring made to respect the line art's regions, with hints that fill.

The modes are a registry (``COLOUR_MODES``, one ``ColourMode`` each): its name, how the app's
switches show it, what ``ganime colorize --mode`` says of it, whether it uses the line art's
regions and writes layers. Everything else (the UI, the CLI, the batch, evaluate) reads these,
and ``PageColouring`` below is the renderer: a new mode is an entry here and, if it looks like
none of these, a branch in ``PageColouring.layers``.

- ``raw``: the network's output as the pipeline has always made it.
- ``flat``: one colour per part (core/parts.py: the regions of core/regions.py that an artist
  sees as one thing), the network's robust colour there, the per-channel median in CIE Lab;
  where hints touch, their exact colours fill as hint_fill.py says (a part, a pocket of the
  paper, the paper, a wash). The paper stays white unless it is hinted; so do the open shapes
  of the line art (regions.py, step 6) that the network left paper-white
  (``OPEN_PAPER_LIGHTNESS``, ``OPEN_PAPER_CHROMA``). Colour edges are anti-aliased.
- ``shaded`` (the default): the flats times a shading layer, the network's lightness variation
  inside each region, so shading survives while hue stays inside the lines.

Both are layers (core/layers.py) composed by multiplication, the line art multiplied over
everything at full resolution, so "save layers" gives exactly what the app showed.

The shading is the network's luma with the lines it saw divided out (as preprocess's
``multiply_line_art`` does), over the region's median of it, darken-only: a multiply layer
cannot lighten, and the median keeps the flat colour on the lit half of a region. Hints change
colours, never the shading: under a hint it is what it is without one; only where a hint
*model* saw a stroke (its lightness there is the stroke's) is it taken from around the stroke.

``PageColouring`` holds one network run on one page with its regions and per-region
statistics; ``render(mode, hints, fill)`` re-renders it for new hints or fill settings
(hint_fill.FillSettings) without running the network again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from PIL import Image

from .colour import lab_to_rgb, rgb8_to_lab, rgb_to_gray
from .gap_close import GAP_LEVELS, PaperLevels
from .hint_fill import FillSettings, HintFill, PageTargets, pack, unpack
from .hints import check_hints
from .layers import Layers
from .parts import DEFAULT_TOLERANCE, RegionGraph, part_labels
from .preprocess import MAX_LINE_GAIN
from .reference_colours import ReferenceColours
from .regions import Regions, ndimage, segment
from .resize import resize


@dataclass(frozen=True)
class ColourMode:
    name: str  # the settings', the CLI's and the code's
    label: str  # the app's mode switches
    tip: str  # their tooltip
    summary: str  # ``ganime colorize --mode``'s help
    uses_regions: bool  # rendered region by region (core/regions.py): hints fill, regions are found
    writes_layers: bool  # splits into flats, shading and line art (core/layers.py: Save layers, --layers)
    shading: bool = False  # the renderer multiplies the network's shading over the flats


# Plainest first: the CLI's order (its choices, its help); the app's switches list them the other
# way round, the richest (the default) at the top.
COLOUR_MODES = (
    ColourMode("raw", "Raw", "The model's output as it is (hint models still follow the hints)",
               "the model's output as it is", uses_regions=False, writes_layers=False),
    ColourMode("flat", "Flat", "One flat colour per region of the line art; hints fill their regions",
               "one colour per closed region of the line art", uses_regions=True, writes_layers=True),
    ColourMode("shaded", "Shaded",
               "One colour per region of the line art, with the model's light and shadow; hints fill their regions",
               "flat colours with the model's shading", uses_regions=True, writes_layers=True, shading=True),
)
MODES = tuple(m.name for m in COLOUR_MODES)
DEFAULT_MODE = "shaded"  # the app's, the batch's and the CLI's
# The network's output as it is: what Colorizer.colorize returns and evaluate scores unless told
# otherwise (they measure the network; not a default of the app)
NETWORK_MODE = "raw"

MIN_PAPER_LEVEL = 128  # darker "paper" (a black page) is not lifted to white in the line layer
_AB_OFFSET = 128  # a and b are binned as integers in -128..127
EDGE_RESAMPLE = Image.Resampling.BILINEAR  # flats of a large page are enlarged so: smooth edges
OPEN_PAPER_LIGHTNESS, OPEN_PAPER_CHROMA = 88.0, 10.0  # an open shape coloured lighter and greyer is paper
STATS_SAMPLES = 300_000  # pixels the region statistics need at most (a 1024 px page has ~870 000)
SHADING_ROWS = 64  # the full-page shading layer is computed this many rows at a time
# min(256 / (seen + 1), MAX_LINE_GAIN) for each uint8 level, computed as float32 exactly as per pixel
_LINE_GAIN = np.minimum(256.0 / (np.arange(256, dtype=np.uint8).astype(np.float32) + 1.0), MAX_LINE_GAIN)


def colour_mode(name: str) -> ColourMode:
    """The registry's entry of ``name``; ValueError for an unknown mode."""
    for mode in COLOUR_MODES:
        if mode.name == name:
            return mode
    raise ValueError(f"unknown colour mode {name!r}; use one of {', '.join(MODES)}")


def check_mode(mode: str) -> str:
    return colour_mode(mode).name


def region_modes() -> tuple[str, ...]:
    """The modes that fill the line art's regions (hints fill there)."""
    return tuple(m.name for m in COLOUR_MODES if m.uses_regions)


def layer_modes() -> tuple[str, ...]:
    """The modes that write layers."""
    return tuple(m.name for m in COLOUR_MODES if m.writes_layers)


def layers_mode(mode: str) -> str:
    """The mode whose layers are saved for a colouring shown in ``mode``: its own, or the default's
    for a mode without layers (the app's Save layers of a pane showing the raw output)."""
    return mode if colour_mode(mode).writes_layers else DEFAULT_MODE


def spoken(names: Iterable[str], conjunction: str = "or", quote: str = "") -> str:
    """Mode names as a sentence says them: "flat or shaded" (help texts and messages name the
    modes the registry gives, so a new mode appears in them)."""
    names = [f"{quote}{n}{quote}" for n in names]
    return f"{', '.join(names[:-1])} {conjunction} {names[-1]}" if len(names) > 1 else "".join(names)


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
                 network_hints: np.ndarray | None = None, reference: ReferenceColours | None = None):
        """``gray``: HxW uint8 sketch at full size. ``colour``: HxWx3 uint8, the network's colour
        at full size before the line art goes back. ``seen``: the sketch as the network saw it,
        at full size (default ``gray``). ``raw``: mode "raw"'s image (default ``colour``).
        ``seen`` and ``raw`` may be functions that make them: called on first use (the batch's
        shaded pages never need the raw image, a page's work of ~0.1 s at A4 300 dpi).
        ``regions``: default ``segment(gray)`` (cached by content). ``network_hints``: the hint
        layer a hint model saw when it made ``colour`` (its lightness under a stroke is the
        stroke's, not light and shadow). ``reference``: the region colours a coloured reference
        page decides (core/reference_match.py, issue 28), laid over the network's; hints still win."""
        if gray.ndim != 2 or colour.shape != (*gray.shape, 3):
            raise ValueError(f"sketch {gray.shape} and colour {colour.shape} do not match")
        self.gray, self.colour = gray, colour
        self._seen = gray if seen is None else seen
        self._raw = colour if raw is None else raw
        self.regions = segment(gray) if regions is None else regions
        self._network_hints = network_hints
        self.reference = reference
        self._targets: dict[float, PageTargets] = {}
        self._tables: dict[float, np.ndarray] = {}
        self._paper_shading_cache: dict[tuple, tuple[np.ndarray, np.ndarray]] = {}

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

    def prepare(self, mode: str = DEFAULT_MODE, fill: FillSettings | None = None) -> None:
        """Compute now what ``render(mode, hints, fill)`` needs whatever the hints (the regions'
        and parts' colours, the shading): the batch does it on its network thread, the writer
        then only fills, composes and encodes."""
        how = colour_mode(mode)
        if not how.uses_regions:
            return
        self._table((fill or FillSettings()).part_tolerance)
        if how.shading:
            self._unhinted_shading  # noqa: B018 (a cached property: computed here)

    def prepare_fills(self, fill: FillSettings | None = None) -> None:
        """Compute now what a hint's fill needs on this page (its parts, the paper at each level
        of the gap setting), so the first click or the fill bucket's first outline is quick: the
        app does it on the colouring's thread."""
        fill = fill or FillSettings()
        targets = self.fill_targets(fill.part_tolerance)
        for radius in GAP_LEVELS[fill.close_gaps]:
            targets.levels.at(radius)

    @property
    def background(self) -> np.ndarray:
        """(count,) bool: the regions that are paper in this colouring: the regions' paper, and
        the open shapes the network left paper-white (an artist left them uncoloured too, or the
        shape is a gap between figures); white unless hinted."""
        return self._stats[2]

    @cached_property
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
    def _figure_samples(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(labels, paper, quantised Lab Nx3: L 0..100, a and b offset to 0..255) of the samples
        outside the regions' paper: the paper's colour is white whatever the network made of it,
        so Lab and medians are only taken for the other regions (the paper is often most of a page)."""
        labels, paper, colour, _seen = self._samples
        figure = np.flatnonzero(~self.regions.is_background[labels])
        lab = rgb8_to_lab(colour[figure])
        q = np.empty(lab.shape, np.int64)
        q[:, 0] = np.clip(np.rint(lab[:, 0]), 0, 100)
        q[:, 1:] = np.clip(np.rint(lab[:, 1:]) + _AB_OFFSET, 0, 255)
        return labels[figure], paper[figure], q

    def _median_lab(self, groups: np.ndarray | None = None) -> np.ndarray:
        """(count, 3) float32 median Lab of each region, or of each region's group (``groups``:
        (count,) a group label per region, e.g. its part)."""
        labels, paper, q = self._figure_samples
        if groups is not None:
            labels = groups[labels]
        count = self.regions.count
        median = np.stack([_medians_with_fallback(labels, paper, q[:, c], 101 if c == 0 else 256, count)
                           for c in range(3)], axis=1).astype(np.float32)
        median[:, 1:] -= _AB_OFFSET
        return median

    @cached_property
    def _stats(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(count x 3 uint8 region colours, count float32 median clean luma, count bool paper,
        count x 3 float32 median Lab), from ``_samples``."""
        r = self.regions
        median_lab = self._median_lab()
        rgb = _lab_to_rgb8(median_lab)
        chroma = np.hypot(median_lab[:, 1], median_lab[:, 2])
        background = r.is_background | (r.is_open & (median_lab[:, 0] >= OPEN_PAPER_LIGHTNESS)
                                        & (chroma <= OPEN_PAPER_CHROMA))
        if self.reference is not None:  # issue 28: the reference decides the regions it shows
            # a page that matches the reference only in part pools votes over the network's
            # parts (core/reference_pool.py), made here with the network's own paper
            parts = (part_labels(r, self._graph, median_lab, background, DEFAULT_TOLERANCE)
                     if self.reference.pool is not None else None)
            rgb, background = self.reference.apply(rgb, background, parts)
        rgb[background] = 255  # the paper stays white unless hinted
        labels, paper, colour, seen = self._samples
        luma = self._clean_luma(colour[None], seen[None]).ravel()  # one row: rgb_to_gray works by rows
        median_luma = _medians_with_fallback(labels, paper, np.rint(luma).astype(np.int64), 256, r.count)
        return rgb, median_luma.astype(np.float32), background, median_lab

    @property
    def _decided(self) -> np.ndarray:
        """(count,) bool: the regions whose colour a reference page decides (none without one)."""
        if self.reference is None:
            return np.zeros(self.regions.count, bool)
        return self.reference.decided & ~self.reference.paper

    @cached_property
    def _graph(self) -> RegionGraph:
        return RegionGraph(self.regions)

    @cached_property
    def _paper_levels(self) -> PaperLevels:
        return PaperLevels(self.regions, self.background)

    def fill_targets(self, tolerance: float) -> PageTargets:
        """What hint fills need of this colouring with parts of this tolerance (made once)."""
        targets = self._targets.get(tolerance)
        if targets is None:
            parts = part_labels(self.regions, self._graph, self._stats[3], self.background, tolerance)
            targets = self._targets.setdefault(tolerance, PageTargets(self.regions, self.background, parts,
                                                                       self._paper_levels))
        return targets

    def _table(self, tolerance: float) -> np.ndarray:
        """(count,) packed colours of the regions without hints: each part's median colour."""
        table = self._tables.get(tolerance)
        if table is None:
            rgb = self._stats[0]
            parts = self.fill_targets(tolerance).parts
            if not np.array_equal(parts, np.arange(parts.size)):
                keep = self.background | self._decided  # the paper, and the reference's colours
                rgb = np.where(keep[:, None], rgb, _lab_to_rgb8(self._median_lab(parts))[parts])
            table = self._tables.setdefault(tolerance, pack(rgb))
        return table

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
        if self._network_hints is not None:
            _fill_under(out, self._network_hints[:, :, 3] > 0)
        return out

    def _paper_shading(self, where: np.ndarray) -> np.ndarray:
        """The shading of a part of the paper (its flat pixel indices) a hint fills, as a region's."""
        colour, seen = self.colour.reshape(-1, 3).take(where, axis=0), self.seen.ravel().take(where)
        luma = self._clean_luma(colour[None], seen[None]).ravel()
        median = max(float(np.median(luma)), 1.0) if luma.size else 255.0
        return np.clip(luma * (255.0 / median) + 0.5, 0, 255).astype(np.uint8)

    @cached_property
    def line_layer(self) -> np.ndarray:
        """HxW uint8 line art for multiplying: the sketch with its paper level lifted to white."""
        paper = self.regions.paper_level
        if paper < MIN_PAPER_LEVEL or paper >= 255:
            return self.gray
        lut = np.clip(np.arange(256, dtype=np.float32) * (255.0 / paper) + 0.5, 0, 255).astype(np.uint8)
        return lut[self.gray]

    # --- per render (each hint edit) -----------------------------------------------------------

    def _hint_fill(self, hints: np.ndarray | None, fill: FillSettings) -> HintFill:
        h, w = self.shape
        return HintFill(self.fill_targets(fill.part_tolerance), check_hints(hints, h, w) if hints is not None else None,
                        fill)

    def _flats(self, hint_fill: HintFill, fill: FillSettings) -> np.ndarray:
        """HxWx3 uint8 flats with smooth colour edges where hints fill. A large page's flats are
        made at the regions' working scale (its labels are that scale's, enlarged) and enlarged,
        smoothly where there are fills (A4 at 300 dpi: ~80 ms more than enlarging the labels)."""
        r = self.regions
        table = hint_fill.table(self._table(fill.part_tolerance))
        if r.scale == 1:
            flats = np.take(table, r.labels)
            filled = hint_fill.paint(flats, (slice(0, flats.shape[0]), slice(0, flats.shape[1])), 1)
            return smooth_edges(flats, r.lines, filled)
        small = np.take(table, r.small_labels)
        k, (h, w) = r.scale, r.shape
        if hint_fill.is_empty():  # the regions' own edges lie under the lines: enlarged as the labels are
            return unpack(np.repeat(np.repeat(small, k, axis=1)[:, :w], k, axis=0)[:h])
        hint_fill.paint(small, (slice(0, small.shape[0]), slice(0, small.shape[1])), r.scale)
        return resize(unpack(small), small.shape[0] * k, small.shape[1] * k, EDGE_RESAMPLE)[:h, :w]

    def _shading_with(self, hint_fill: HintFill) -> np.ndarray:
        """The shading layer with these hints: hints never change the figure's shading; a part of
        the paper that a hint fills (a pocket, the open paper) takes the network's shading there."""
        paper_fills = [key for key in hint_fill.fills if key[0] in ("paper", "pocket")]
        if not paper_fills:
            return self._unhinted_shading
        shading = self._unhinted_shading.copy()
        for key in paper_fills:
            where, values = self._paper_shades(hint_fill.targets.levels, key[1], key[2])
            shading.ravel()[where] = values
        return shading

    def _paper_shades(self, levels: PaperLevels, radius: int, part: int) -> tuple[np.ndarray, np.ndarray]:
        """(flat indices, shading) of a part of the paper a hint fills, made once per part: the
        open paper is most of a page, and every click elsewhere renders it again."""
        key = (id(levels), radius, part)
        if key not in self._paper_shading_cache:
            r = self.regions
            small = levels.part_mask(radius, part)
            mask = small if r.scale == 1 else np.repeat(np.repeat(small, r.scale, 0), r.scale, 1)[:r.shape[0], :r.shape[1]]
            where = np.flatnonzero(mask)
            self._paper_shading_cache[key] = (where, self._paper_shading(where))
        return self._paper_shading_cache[key]

    def layers(self, mode: str = DEFAULT_MODE, hints: np.ndarray | None = None,
               fill: FillSettings | None = None, hint_fill: HintFill | None = None) -> Layers:
        """Flats, shading and line art for a ``mode`` that writes layers (flat: no shading);
        ``hint_fill``: the hints already resolved for these settings (rerender has them)."""
        how = colour_mode(mode)
        if not how.writes_layers:
            modes = spoken(layer_modes(), quote="'")
            raise ValueError(f"the {mode} colouring has no layers; use mode {modes}")
        fill = fill or FillSettings()
        hint_fill = hint_fill or self._hint_fill(hints, fill)
        flats = self._flats(hint_fill, fill)
        if how.shading:
            shading = self._shading_with(hint_fill)
        else:
            shading = np.full(self.shape, 255, np.uint8)
        return Layers(flats, shading, self.line_layer)

    def render(self, mode: str = DEFAULT_MODE, hints: np.ndarray | None = None,
               fill: FillSettings | None = None) -> np.ndarray:
        """HxWx3 uint8: the page in ``mode`` with ``hints`` (HxWx4 RGBA, alpha > 0 = hinted) and
        the ``fill`` settings (default ``FillSettings()``)."""
        if not colour_mode(mode).uses_regions:
            return self.raw
        return self.layers(mode, hints, fill).compose()

    def reach(self, x: int, y: int, fill: FillSettings | None = None, *, region_only: bool = False) -> np.ndarray | None:
        """What a fill-bucket click at page pixel (x, y) would fill, as a bool mask at the
        regions' working scale (``regions.scale`` times smaller than the page); None beside it."""
        fill = fill or FillSettings()
        return self.fill_targets(fill.part_tolerance).reach(x, y, fill, region_only=region_only)

    def rerender(self, mode: str, hints: np.ndarray | None, previous: np.ndarray,
                 previous_hints: np.ndarray | None, fill: FillSettings | None = None) -> np.ndarray:
        """``render(mode, hints, fill)``, pixel for pixel, given ``previous == render(mode,
        previous_hints, fill)``: only the parts whose hints changed are rendered again (the app
        after each hint edit), a few milliseconds instead of a whole page's render. Fills of the
        paper, large pages and changes over half the page render the whole page. ``previous`` is
        not modified."""
        how = colour_mode(mode)
        if not how.uses_regions:
            return self.raw
        fill = fill or FillSettings()
        new, old = self._hint_fill(hints, fill), self._hint_fill(previous_hints, fill)
        changed = new.changed(old)
        if not changed:
            return previous
        r = self.regions
        dirty_new, dirty_old = new.regions_of(changed), old.regions_of(changed)
        if r.scale > 1 or dirty_new is None or dirty_old is None:
            return self.layers(mode, hints, fill, new).compose()
        dirty = dirty_new | dirty_old
        parts = new.targets.parts
        for key in changed:  # a region-only fill changes what its part's other fills cover
            if key[0] == "region":
                dirty |= parts == parts[key[1]]
        boxes = [r.boxes[label] for label in np.flatnonzero(dirty) if r.boxes[label] is not None]
        h, w = self.shape
        box = (slice(max(0, min(b[0].start for b in boxes) - EDGE_MARGIN), min(h, max(b[0].stop for b in boxes) + EDGE_MARGIN)),
               slice(max(0, min(b[1].start for b in boxes) - EDGE_MARGIN), min(w, max(b[1].stop for b in boxes) + EDGE_MARGIN)))
        if (box[0].stop - box[0].start) * (box[1].stop - box[1].start) > h * w // 2:
            return self.layers(mode, hints, fill, new).compose()
        flats = np.take(new.table(self._table(fill.part_tolerance)), r.labels[box])
        filled = new.paint(flats, box, 1)
        shading = self._shading_with(new)[box] if how.shading else np.full(flats.shape, 255, np.uint8)
        rgb = Layers(smooth_edges(flats, r.lines[box], filled), shading, self.line_layer[box]).compose()
        out = previous.copy()
        mine = ndimage().binary_dilation(dirty[r.labels[box]], structure=np.ones((3, 3), bool))  # their smoothed edges
        out[box][mine] = rgb[mine]
        return out


EDGE_MARGIN = 2  # px around re-rendered regions: their smoothed edges and the neighbours those read


def _lab_to_rgb8(lab: np.ndarray) -> np.ndarray:
    return np.clip(lab_to_rgb(lab) * 255.0 + 0.5, 0, 255).astype(np.uint8)


def smooth_edges(words: np.ndarray, lines: np.ndarray, filled: np.ndarray) -> np.ndarray:
    """Packed flats -> HxWx3 uint8 with each pixel on the edge of a hint's fill the mean of its
    3x3 neighbourhood: anti-aliased edges where a fill meets another colour through paper (a gap,
    two hints in one part, a pocket's mouth). An edge is two 4-neighbours off the ``lines`` in
    different colours, the fill (``filled``) on one side: edges along a line are the line art's
    (its multiply hides them), and the network's own region edges stay as they are."""
    rgb = unpack(words)
    if not filled.any():
        return rgb
    paper = ~lines
    edge = np.zeros(words.shape, bool)
    for a, b in (((slice(None), slice(1, None)), (slice(None), slice(None, -1))),
                 ((slice(1, None), slice(None)), (slice(None, -1), slice(None)))):
        across = (words[a] != words[b]) & paper[a] & paper[b] & (filled[a] | filled[b])
        edge[a] |= across
        edge[b] |= across
    ys, xs = np.nonzero(edge)
    if ys.size == 0:
        return rgb
    padded = np.pad(rgb, ((1, 1), (1, 1), (0, 0)), mode="edge")
    total = np.zeros((ys.size, 3), np.uint16)
    for dy in range(3):
        for dx in range(3):
            total += padded[ys + dy, xs + dx]
    rgb[ys, xs] = ((total + 4) // 9).astype(np.uint8)
    return rgb


def _fill_under(shading: np.ndarray, hinted: np.ndarray) -> None:
    """Give each ``hinted`` pixel of ``shading`` the value of the nearest pixel outside the
    hints (in place): a hint model's lightness under a stroke is the stroke's, not shading."""
    rows, cols = np.flatnonzero(hinted.any(axis=1)), np.flatnonzero(hinted.any(axis=0))
    if rows.size == 0 or hinted.all():
        return
    h, w = hinted.shape
    pad = 8  # the strokes are thin: their nearest outside pixels lie within a few px
    box = (slice(max(0, rows[0] - pad), min(h, rows[-1] + 1 + pad)), slice(max(0, cols[0] - pad), min(w, cols[-1] + 1 + pad)))
    inside = hinted[box]
    iy, ix = ndimage().distance_transform_edt(inside, return_distances=False, return_indices=True)
    block = shading[box]
    block[inside] = block[iy[inside], ix[inside]]
