"""Line art -> closed regions: the areas an artist fills with one colour each.

Trapped-ball segmentation, after Zhang et al. 2018 ("Two-stage sketch colorization") and the
style2paints line fillers, with scipy.ndimage doing every per-pixel step:

1. Lines are the pixels clearly darker than the paper (the threshold adapts to faint pencil).
2. A ball of radius r fits wherever the paper's distance to the nearest line exceeds r; the
   places a ball fits, joined, are a region's core. A ball cannot pass a gap narrower than 2r, so
   real pencil gaps do not join regions. Radii 5, 3, 2, 1 in turn: big regions get their cores
   from big balls, and a smaller ball only starts a region where no earlier core reaches (a
   narrow area), never re-joins two cores.
3. Everything else grows from the cores without crossing a line: the band of paper along the
   lines and the gaps go to the nearest core on their side of the line, the lines themselves to
   the nearest paper: lines belong to the regions they bound.
4. Narrow regions that touch (the paper between hatching strokes) join into one area; specks
   (tiny regions: dots, rings) merge into the neighbour they share the longest border with.
5. The paper: regions touching two sides of the page, or one side and covering much of it (a
   figure cut by the page's edge touches one side and stays a figure), and small pockets
   bordered mostly by paper.
6. Open shapes: a shape whose outline is left open (hair strands drawn as lines that end, a
   sleeve whose cuff is not closed) joins the paper through its open end. A big ball rolled in
   from the page's edge (radius a fiftieth of the page) cannot enter such a shape through an
   opening narrower than itself; the paper it cannot reach is split off as *open* regions
   (``is_open``). Whether one is paper or part of the figure is not in the lines: the colouring
   decides it (core/colour_modes.py: the network painted it, or a hint touched it).

Large pages are segmented at an integer fraction of their size, shrunk by taking the darkest
pixel of each block (lines survive, gaps narrow), and the labels are scaled back up.
Results are cached by content (``segment``), so the app and the pipeline compute them once per
sketch. ``python benchmarks/regions.py --repeat 3`` on the 2-core development machine, idle:
median 139 ms (max 213 ms) for the 27 real line arts scaled to 1024 px (growing inside the
lines, step 3, takes ~20 ms of it, the open shapes of step 6 ~16 ms), median 198 ms for an A4
page at 300 dpi.
"""

from __future__ import annotations

import hashlib
import math
import threading
from collections import OrderedDict
from dataclasses import dataclass
from functools import cached_property

import numpy as np

RADII = (5, 3, 2, 1)  # ball radii at the working scale, largest first (Zhang et al. use similar)
WORK_SIDE = 1280  # pages longer than this are segmented shrunk by an integer factor
PAPER_QUANTILE, INK_QUANTILE = 0.90, 0.01  # gray levels taken as the paper and as the darkest ink
LINE_FRACTION = 0.3  # a line is darker than the paper by this share of the paper-ink contrast
MIN_CONTRAST = 24  # below this paper-ink difference the page has no lines (blank or flat)
THIN_RADIUS = 2  # regions only balls this small fit in are narrow (<= ~6 px): slivers
MIN_CORE = 3  # core pixels a new region needs (a lone ball position is noise)
GROW_PASSES = 32  # at most this many px of paper regrown on a line's far side (the band is ~5 px)
SPECK_FRACTION, MIN_SPECK = 4e-5, 12  # regions under max(MIN_SPECK, share of the page) px are specks
BACKGROUND_FRACTION = 0.15  # a region touching one side of the page and this big is paper
POCKET_FRACTION, POCKET_PAPER_SHARE = 0.001, 0.75  # smaller regions with most of their border on paper
OPEN_BALL_FRACTION = 0.02  # the paper's ball: its radius as a share of the page's longer side
OPEN_GRID_RADIUS = 4  # the paper's ball is rolled on a grid where its radius is about this many cells
MIN_OPEN_AREA = 4.0  # an unreached part of the paper smaller than this many ball radii squared is a corner
LINE_SHARE = 2  # px of the line between an open shape and the paper that go to the shape
CACHE_SIZE = 8  # pages; and at most CACHE_BYTES of them (an A4 page at 300 dpi takes ~45 MB)
CACHE_BYTES = 256 * 2**20


def ndimage():
    """scipy.ndimage, imported on first use: the import takes ~0.3 s that app start-up should not pay."""
    from scipy import ndimage as ndi

    return ndi


@dataclass(frozen=True, eq=False)
class Regions:
    """The closed regions of one page. Arrays are read-only (they are shared through the cache).

    ``labels``: HxW int32, every pixel's region in 0..count-1 (line pixels included).
    ``areas``: (count,) pixels per region; ``is_background``: (count,) the paper.
    ``lines``: HxW bool, the line art's pixels. ``small_labels`` / ``small_lines``: the same at the
    working scale (``scale`` times smaller), where per-region statistics are cheap.
    ``paper_level``: the paper's gray level (255 for a clean page).
    ``is_open``: (count,) the parts of the paper that the page's open shapes enclose (step 6 above):
    never ``is_background``; the colouring decides whether each is paper.
    """

    labels: np.ndarray
    areas: np.ndarray
    is_background: np.ndarray
    lines: np.ndarray
    small_labels: np.ndarray
    small_lines: np.ndarray
    scale: int
    paper_level: int
    is_open: np.ndarray | None = None

    def __post_init__(self):
        if self.is_open is None:
            object.__setattr__(self, "is_open", np.zeros(self.areas.size, bool))

    @property
    def count(self) -> int:
        return int(self.areas.size)

    @property
    def shape(self) -> tuple[int, int]:
        return self.labels.shape

    def label_at(self, x: int, y: int) -> int | None:
        """The region under page pixel (x, y); None outside the page (a click beside it)."""
        h, w = self.labels.shape
        if not (0 <= x < w and 0 <= y < h):
            return None
        return int(self.labels[y, x])

    def mask(self, label: int) -> np.ndarray:
        """HxW bool: the pixels of one region."""
        return self.labels == label

    @cached_property
    def boxes(self) -> list[tuple[slice, slice] | None]:
        """Each region's bounding box (slices into the page), by label."""
        ndi = ndimage()
        return ndi.find_objects(self.labels + 1, max_label=self.count)


# --- the steps -----------------------------------------------------------------------------------

def line_threshold(gray: np.ndarray) -> tuple[int, int]:
    """(paper level, threshold): pixels below the threshold are lines; threshold -1: no lines."""
    cdf = np.cumsum(np.bincount(gray.ravel(), minlength=256)) / gray.size
    paper = int(np.searchsorted(cdf, PAPER_QUANTILE))
    ink = int(np.searchsorted(cdf, INK_QUANTILE))
    if paper - ink < MIN_CONTRAST:
        return paper, -1
    return paper, int(round(paper - LINE_FRACTION * (paper - ink)))


def _min_pool(gray: np.ndarray, k: int) -> np.ndarray:
    """The darkest pixel of each k x k block (padded with paper): thin lines and gaps survive."""
    if k == 1:
        return gray
    h, w = gray.shape
    hs, ws = -(-h // k), -(-w // k)
    padded = np.pad(gray, ((0, hs * k - h), (0, ws * k - w)), constant_values=255)
    # Columns, then rows, as element-wise minima of strided slices: ~10x faster than a
    # reduction over the (1, 3) axes of a (hs, k, ws, k) view, and the same result.
    cols = padded[:, 0::k].copy()
    for i in range(1, k):
        np.minimum(cols, padded[:, i::k], out=cols)
    pooled = cols[0::k].copy()
    for i in range(1, k):
        np.minimum(pooled, cols[i::k], out=pooled)
    return pooled


def _trapped_ball_cores(lines: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(int32 labels 1..count where a ball of some radius fits, 0 elsewhere; (count + 1,) the
    radius that found each label)."""
    ndi = ndimage()
    dist = _octagonal_distance(~lines)
    labels = np.zeros(lines.shape, np.int32)
    found_at = [np.zeros(1, np.int32)]
    for radius in RADII:
        core, n = ndi.label(dist > radius * 256)
        if n == 0:
            continue
        new = np.ones(n + 1, bool)  # components holding an earlier core grow from it, unsplit
        new[core[labels > 0]] = False
        new[0] = False
        if radius == RADII[-1]:  # a lone position of the smallest ball is noise
            new &= np.bincount(core.ravel(), minlength=n + 1) >= MIN_CORE
        fresh = int(new.sum())
        if fresh == 0:
            continue
        count = sum(f.size for f in found_at) - 1
        ids = np.zeros(n + 1, np.int32)
        ids[new] = np.arange(count + 1, count + 1 + fresh, dtype=np.int32)
        found_at.append(np.full(fresh, radius, np.int32))
        np.maximum(labels, np.take(ids, core), out=labels)  # new cores never overlap earlier ones
    return labels, np.concatenate(found_at)


def _fill_nearest(labels: np.ndarray) -> np.ndarray:
    """Give every 0 pixel the label of the nearest labelled pixel (taxicab metric: the exact
    Euclidean transform costs twice as much and differs only on ties along the lines)."""
    iy, ix = ndimage().distance_transform_cdt(labels == 0, "taxicab", return_distances=False,
                                              return_indices=True)
    return np.take(labels.ravel(), iy * labels.shape[1] + ix)


def _grow_inside_lines(cores: np.ndarray, lines: np.ndarray) -> np.ndarray:
    """Every pixel's region: the nearest core, except that paper never takes a core from across a
    line. Nearest-core filling hands the band of paper along a line to whichever core is closer,
    often the one across it (a thin region's core sits near its lines): a hair spike's tip went to
    the face beside it. Such paper is regrown from its side's correctly labelled paper, one pixel
    a pass through 4-neighbours (which never cross a line), on the list of those pixels only.
    Paper no ball reached (pockets too small for any) keeps its nearest core."""
    paper = ~lines
    filled = _fill_nearest(cores)
    stretch, count = ndimage().label(paper)  # the stretches of paper that lines enclose
    home = np.zeros(int(cores.max()) + 1, stretch.dtype)  # the stretch each core lies in (0: none)
    home[cores.ravel()] = stretch.ravel()
    has_core = np.zeros(count + 1, bool)
    has_core[home[1:]] = True
    has_core[0] = False
    # Astray: paper labelled with a core from another stretch, in a stretch that has a core.
    astray = np.flatnonzero(paper & (home[filled] != stretch) & has_core[stretch])
    if astray.size == 0:
        return filled
    h, w = lines.shape
    flat = filled.ravel()  # a view: updated in place
    settled = paper.ravel().copy()
    settled[astray] = False
    col = astray % w
    for _ in range(GROW_PASSES):
        taken = np.zeros(astray.size, bool)
        label = np.zeros(astray.size, flat.dtype)
        for step, inside in ((-1, col > 0), (1, col < w - 1), (-w, astray >= w), (w, astray < (h - 1) * w)):
            nb = np.where(inside, astray + step, astray)
            donor = inside & settled[nb] & ~taken
            label[donor] = flat[nb[donor]]
            taken |= donor
        if not taken.any():
            break
        flat[astray[taken]] = label[taken]
        settled[astray[taken]] = True
        astray, col = astray[~taken], col[~taken]
        if astray.size == 0:
            break
    return filled


def _neighbours(labels: np.ndarray, count: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(a, b, shared): each pair of touching labels a < b once, with the length of their border."""
    h_diff = labels[:, :-1] != labels[:, 1:]
    v_diff = labels[:-1, :] != labels[1:, :]
    a = np.concatenate([labels[:, :-1][h_diff], labels[:-1, :][v_diff]]).astype(np.int64)
    b = np.concatenate([labels[:, 1:][h_diff], labels[1:, :][v_diff]]).astype(np.int64)
    pairs, shared = np.unique(np.minimum(a, b) * (count + 1) + np.maximum(a, b), return_counts=True)
    return pairs // (count + 1), pairs % (count + 1), shared


def _resolve(lut: np.ndarray) -> np.ndarray:
    """Follow chains of merges (a -> b -> c) to their ends."""
    for _ in range(64):
        nxt = lut[lut]
        if np.array_equal(nxt, lut):
            break
        lut = nxt
    return lut


def join_labels(lut: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``lut`` with the labels joined along the edges (a, b): the connected components of that
    graph, each as its smallest label (propagated until nothing changes)."""
    while a.size:
        low = np.minimum(lut[a], lut[b])
        nxt = lut.copy()
        np.minimum.at(nxt, a, low)
        np.minimum.at(nxt, b, low)
        nxt = _resolve(nxt)
        if np.array_equal(nxt, lut):
            break
        lut = nxt
    return lut


def _join_slivers(lut: np.ndarray, thin: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Touching narrow regions (only small balls fit) become one: the paper between hatching
    strokes is one shaded area, not dozens of strips. Narrow regions touching only wide ones stay."""
    both = thin[a] & thin[b]
    return join_labels(lut, a[both], b[both])


def _merge_specks(lut: np.ndarray, areas: np.ndarray, a: np.ndarray, b: np.ndarray, shared: np.ndarray,
                  min_area: int) -> np.ndarray:
    """Regions under ``min_area`` merge into the neighbour they share the longest border with (a
    bigger region when a speck touches only specks)."""
    n = lut.size
    for _ in range(4):
        area = np.bincount(lut, weights=areas, minlength=n)
        speck = (area < min_area) & (area > 0)
        if not speck.any():
            break
        ca, cb = lut[a], lut[b]
        apart = ca != cb
        src = np.concatenate([ca[apart], cb[apart]])
        dst = np.concatenate([cb[apart], ca[apart]])
        length = np.concatenate([shared[apart], shared[apart]])
        # Into a non-speck, or a speck that is bigger (ties by label): no merge cycles.
        allowed = speck[src] & (~speck[dst] | (area[dst] > area[src]) | ((area[dst] == area[src]) & (dst > src)))
        if not allowed.any():
            break
        pairs, which = np.unique(src[allowed] * n + dst[allowed], return_inverse=True)
        border = np.bincount(which, weights=length[allowed])
        s, d = pairs // n, pairs % n
        score = border + np.where(speck[d], 0, areas.sum())  # a non-speck neighbour first
        order = np.lexsort((score, s))
        best = np.r_[s[order][1:] != s[order][:-1], True]
        step = np.arange(n)
        step[s[order][best]] = d[order][best]
        lut = _resolve(step)[lut]
    return lut


def _merge(labels: np.ndarray, found_at: np.ndarray, min_area: int) -> tuple[np.ndarray, tuple]:
    """Labels 1..count -> 0..n-1 with slivers joined and specks merged, all decided on the graph
    of touching regions (one pass over the pixels to build it, one to relabel); and that graph
    (a, b, border length) in the new labels."""
    count = found_at.size - 1
    areas = np.bincount(labels.ravel(), minlength=count + 1)
    a, b, shared = _neighbours(labels, count)
    lut = np.arange(count + 1)
    thin = found_at <= THIN_RADIUS
    thin[0] = False
    lut = _join_slivers(lut, thin, a, b)
    lut = _merge_specks(lut, areas, a, b, shared, min_area)
    present = np.bincount(lut, weights=areas, minlength=count + 1) > 0
    compact = (np.cumsum(present) - 1).astype(np.int32)
    final = compact[lut]
    fa, fb = final[a], final[b]
    apart = fa != fb
    return np.take(final, labels), (np.minimum(fa, fb)[apart], np.maximum(fa, fb)[apart], shared[apart])


def _background(labels: np.ndarray, areas: np.ndarray, graph: tuple | None) -> np.ndarray:
    """Regions that are paper: touching two sides of the page, or one side and covering much of it;
    then small pockets bordered mostly by paper (where strokes that wander into the paper touch):
    the network's colour there is a blotch, white is what the artist expects."""
    sides = np.zeros(areas.size, np.int32)
    for edge in (labels[0], labels[-1], labels[:, 0], labels[:, -1]):
        sides[np.unique(edge)] += 1
    paper = (sides >= 2) | ((sides >= 1) & (areas > BACKGROUND_FRACTION * labels.size))
    if graph is None or not paper.any():
        return paper
    a, b, shared = graph
    border = np.bincount(a, weights=shared, minlength=areas.size) + np.bincount(b, weights=shared, minlength=areas.size)
    on_paper = (np.bincount(a, weights=shared * paper[b], minlength=areas.size)
                + np.bincount(b, weights=shared * paper[a], minlength=areas.size))
    pocket = (areas < POCKET_FRACTION * labels.size) & (on_paper > POCKET_PAPER_SHARE * np.maximum(border, 1))
    return paper | pocket


def _octagonal_distance(mask: np.ndarray) -> np.ndarray:
    """Distance of each True pixel to the nearest False one, in 1/256 px: the larger of the
    chessboard and taxicab/sqrt(2) distances, never more than the Euclidean one (balls stay
    trapped) and 2-3x faster than the exact transform."""
    ndi = ndimage()
    return np.maximum(ndi.distance_transform_cdt(mask, "chessboard") * 256,
                      ndi.distance_transform_cdt(mask, "taxicab") * 181)


def _split_open_shapes(labels: np.ndarray, lines: np.ndarray, background: np.ndarray) -> tuple[np.ndarray, int]:
    """(labels with the paper's open shapes as new labels count.., how many): step 6 above. The
    ball is rolled on a coarse grid (a cell is paper when all its pixels are): the same places
    at a fraction of the cost, since a ball this big only cares about openings wider than a cell.
    Only the boxes of the shapes the grid finds are looked at in full."""
    ndi = ndimage()
    count = background.size
    in_paper = background[labels]
    paper = in_paper & ~lines
    radius = OPEN_BALL_FRACTION * max(labels.shape)
    min_area = MIN_OPEN_AREA * radius * radius
    cell = max(1, int(radius // OPEN_GRID_RADIUS))
    all_paper = _min_pool(paper.view(np.uint8), cell) > 0
    centres = _octagonal_distance(all_paper) > radius / cell * 256
    spots, n = ndi.label(centres)
    if n == 0:
        return labels, 0
    # The ball comes in from outside: from the page's edges, or the widest stretch of paper.
    outside = np.zeros(n + 1, bool)
    for edge in (spots[0], spots[-1], spots[:, 0], spots[:, -1]):
        outside[edge] = True
    outside[np.argmax(np.bincount(spots.ravel(), minlength=n + 1)[1:]) + 1] = True
    outside[0] = False
    # Where the ball reaches: within its radius of a centre, plus a cell (cells along a line
    # hold some paper the grid did not count).
    reached = _octagonal_distance(~outside[spots]) <= (radius / cell + 1) * 256
    some_paper = _min_pool((~paper).view(np.uint8), cell) == 0
    cells, m = ndi.label(some_paper & ~reached)
    if m == 0:
        return labels, 0
    candidates = np.flatnonzero(np.bincount(cells.ravel(), minlength=m + 1)[1:] * cell * cell >= min_area)
    if candidates.size == 0:
        return labels, 0
    boxes = [b for i, b in enumerate(ndi.find_objects(cells), 1) if i - 1 in candidates]
    pad = int(radius) + 2  # the lines between a shape and the paper, in pixels
    h, w = labels.shape
    box = (slice(max(0, min(b[0].start for b in boxes) * cell - pad), min(h, max(b[0].stop for b in boxes) * cell + pad)),
           slice(max(0, min(b[1].start for b in boxes) * cell - pad), min(w, max(b[1].stop for b in boxes) * cell + pad)))
    up = np.repeat(np.repeat(reached, cell, axis=0), cell, axis=1)[box] if cell > 1 else reached[box]
    unreached, m = ndi.label(paper[box] & ~up)
    big = np.bincount(unreached.ravel(), minlength=m + 1) >= min_area
    big[0] = False
    opened = int(big.sum())
    if opened == 0:
        return labels, 0
    ids = np.zeros(m + 1, np.int32)
    ids[big] = np.arange(count, count + opened, dtype=np.int32)
    shapes = ids[unreached]
    # The paper's line pixels along a shape go to it for LINE_SHARE pixels, as every line pixel
    # goes to the regions it bounds (step 3): the line's other side stays the paper's.
    paper_lines = in_paper[box] & lines[box]
    for _ in range(LINE_SHARE):
        np.copyto(shapes, ndi.maximum_filter(shapes, size=3), where=paper_lines & (shapes == 0))
    out = labels.copy()
    np.copyto(out[box], shapes, where=shapes > 0)
    return out, opened


def _full_areas(small_labels: np.ndarray, k: int, h: int, w: int) -> np.ndarray:
    """``np.bincount`` of the labels scaled up k times and cut to h x w, counted on the small
    labels (each small pixel weighs the page pixels it covers): a ninth of the work at k = 3."""
    hs, ws = small_labels.shape
    rows = np.minimum(k, h - k * np.arange(hs))
    cols = np.minimum(k, w - k * np.arange(ws))
    counts = np.bincount(small_labels.ravel(), weights=np.outer(rows, cols).ravel()).astype(np.intp)
    return counts[:np.flatnonzero(counts)[-1] + 1]  # as long as the page's own count: up to its last label


def _segment(gray: np.ndarray) -> Regions:
    h, w = gray.shape
    k = max(1, math.ceil(max(h, w) / WORK_SIDE))
    small = _min_pool(gray, k)
    paper, threshold = line_threshold(small)
    small_lines = small < threshold
    cores, found_at = _trapped_ball_cores(small_lines)
    graph = None
    if found_at.size == 1:  # blank, all ink, or no paper wide enough for a ball: one region
        small_labels = np.zeros(small.shape, np.int32)
    else:
        min_area = max(MIN_SPECK, int(SPECK_FRACTION * small.size))
        small_labels, graph = _merge(_grow_inside_lines(cores, small_lines), found_at, min_area)
    background = _background(small_labels, np.bincount(small_labels.ravel()), graph)
    opened = 0
    if background.any():
        small_labels, opened = _split_open_shapes(small_labels, small_lines, background)
    background = np.r_[background, np.zeros(opened, bool)]
    is_open = np.r_[np.zeros(background.size - opened, bool), np.ones(opened, bool)]
    # Columns first: cutting rows off the result keeps it contiguous (no copy of ~35 MB).
    labels = small_labels if k == 1 else np.repeat(np.repeat(small_labels, k, 1)[:, :w], k, 0)[:h]
    labels = np.ascontiguousarray(labels)
    areas = np.bincount(labels.ravel()) if k == 1 else _full_areas(small_labels, k, h, w)
    lines = small_lines if k == 1 else gray < threshold
    regions = Regions(labels, areas, background, lines, small_labels, small_lines, k, paper, is_open)
    for array in (labels, areas, regions.is_background, regions.is_open, lines, small_labels, small_lines):
        array.setflags(write=False)
    return regions


# --- the cache -----------------------------------------------------------------------------------

_cache: OrderedDict[bytes, Regions] = OrderedDict()
_cache_lock = threading.Lock()


def _key(gray: np.ndarray) -> bytes:
    digest = hashlib.blake2b(np.ascontiguousarray(gray).data, digest_size=16)
    digest.update(repr(gray.shape).encode())
    return digest.digest()


def segment(gray: np.ndarray, *, cache: bool = True) -> Regions:
    """HxW uint8 line art -> its Regions; the same content again comes from a small LRU cache.
    ``cache=False``: neither look in the cache nor keep the result there (a batch sees each page
    once; an A4 page's regions take ~45 MB)."""
    if not isinstance(gray, np.ndarray) or gray.dtype != np.uint8 or gray.ndim != 2 or 0 in gray.shape:
        raise ValueError(f"expected HxW uint8 line art, got {getattr(gray, 'dtype', type(gray))} "
                         f"{getattr(gray, 'shape', '')}")
    if not cache:
        return _segment(gray)
    key = _key(gray)
    with _cache_lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    regions = _segment(gray)
    with _cache_lock:
        _cache[key] = regions
        while len(_cache) > CACHE_SIZE or (len(_cache) > 1 and _cache_bytes() > CACHE_BYTES):
            _cache.popitem(last=False)
    return regions


def _cache_bytes() -> int:
    return sum(r.labels.nbytes + r.lines.nbytes + r.small_labels.nbytes for r in _cache.values())


def clear_cache() -> None:
    with _cache_lock:
        _cache.clear()
