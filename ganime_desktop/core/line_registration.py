"""Where each point of one line art lies in another: the same drawing moved, mirrored, bent, or
the same character drawn again.

Both line arts become *ink* images (0 paper .. 1 line) at a few small sizes, so pages of any
size cost the same. Then:

1. **Global search** (``ALIGN_SIDE`` px): every mirror x angle x scale of the reference
   (``prepare``: once per reference), cut to the page's box with the two ink centroids together,
   is correlated with the page by FFT (zero-mean, normalised), which gives each one's best shift
   at once: ~50 ms a page for 182 hypotheses.
2. **Bending** (demons registration, Thirion 1998): the ``TOP_HYPOTHESES`` best, one per mirror
   and angle, are refined by a smooth displacement field at the first ``LEVELS`` (coarse to
   fine); the one whose ink agrees best with the page after that is bent to the finest level.

The result, ``Correspondence``, maps every page point (normalised coordinates, 0..1) to the
reference. The choices (the search's normalisation, forces in the reference's frame, 6
hypotheses, 3 levels) were measured on the two protocols of benchmarks/reference_colouring.py;
docs/reference-colouring.md has the numbers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .cancel import check
from .preprocess import scale_to_fit
from .regions import line_threshold, ndimage
from .resize import AREA, resize

ALIGN_SIDE = 128  # px, the global search's longer side
ANGLES = np.arange(-30.0, 30.1, 10.0)  # degrees; a tilted camera or pose, not an upside-down page
SCALES = 2.0 ** np.arange(-1.5, 1.51, 0.25)  # reference figure 0.35x .. 2.8x the page's
ALIGN_BLUR = 2.0  # px at ALIGN_SIDE: lines a few px apart still overlap
TOP_HYPOTHESES = 6  # global hypotheses bent and compared
LEVELS = (64, 128, 256)  # demons levels (longer side, px)
ITERATIONS = (40, 40, 30)
COMPARED_LEVELS = 2  # every global hypothesis is bent at the first levels; the best one at the rest
DEMONS_BLUR = 1.0  # px: the ink images' blur at every level
DEMONS_ALPHA = 1.0  # limits a step to 1 / (2 alpha) px
FLUID_SIGMA, DIFFUSION_SIGMA = 1.0, 2.0  # px: smoothing of the updates and of the field
SCORE_BLUR = 2.0  # px: ink blurred this much when judging an alignment


def ink_image(gray: np.ndarray, side: int) -> np.ndarray:
    """HxW uint8 line art -> float32 ink (0 paper .. 1 darkest line) with the longer side ``side``
    (area-averaged: thin lines fade instead of vanishing)."""
    h, w = scale_to_fit(*gray.shape, side)
    small = resize(gray, h, w, AREA) if (h, w) != gray.shape else gray
    paper, _ = line_threshold(gray)
    darkest = float(np.percentile(gray, 1))
    scale = 1.0 / max(paper - darkest, 1.0)
    return np.clip((paper - small.astype(np.float32)) * scale, 0.0, 1.0)


def _blur(image: np.ndarray, sigma: float) -> np.ndarray:
    return ndimage().gaussian_filter(image, sigma, mode="constant")


def _pixel_grid(shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    yy, xx = np.mgrid[0:shape[0], 0:shape[1]]
    return yy.astype(np.float32), xx.astype(np.float32)


def _sample(image: np.ndarray, y: np.ndarray, x: np.ndarray) -> np.ndarray:
    return ndimage().map_coordinates(image, [y, x], order=1, mode="constant", cval=0.0)


@dataclass(frozen=True)
class Hypothesis:
    """Reference pixel = ``matrix`` @ page pixel + ``offset`` at ALIGN_SIDE; ``score``: the
    normalised correlation of the blurred inks under it."""

    matrix: np.ndarray
    offset: np.ndarray
    score: float
    mirrored: bool
    angle: float
    scale: float


@dataclass(frozen=True)
class PreparedLines:
    """One reference line art, ready to be searched for many pages (``prepare``)."""

    pyramid: dict[int, np.ndarray]  # side -> ink image
    canvas: int  # the side of the transformed images: twice ALIGN_SIDE, any page fits on them
    images: np.ndarray  # (hypotheses, canvas, canvas) float16: the blurred ink mirrored, turned and
    # scaled about its centroid, which lies at the canvas' centre (~24 MB)
    transforms: list[tuple[bool, float, float]]  # (mirrored, angle, scale) of each
    centre: np.ndarray  # the reference ink's centroid at ALIGN_SIDE


def prepare(gray: np.ndarray) -> PreparedLines:
    """The reference's ink pyramid and the FFTs of its mirrored, turned and scaled copies
    (once per reference: ~0.3 s)."""
    pyramid = {side: ink_image(gray, side) for side in {ALIGN_SIDE, *LEVELS}}
    ink = pyramid[ALIGN_SIDE]
    blurred = _blur(ink, ALIGN_BLUR)
    centre = np.array(ndimage().center_of_mass(ink)) if ink.sum() > 0 else (np.array(ink.shape) - 1) / 2.0
    canvas = 2 * ALIGN_SIDE
    yy, xx = _pixel_grid((canvas, canvas))
    y0, x0 = yy - canvas / 2, xx - canvas / 2
    images, transforms = [], []
    for mirrored in (False, True):
        xm = -x0 if mirrored else x0
        for angle in ANGLES:
            c, s = np.cos(np.deg2rad(angle)), np.sin(np.deg2rad(angle))
            for scale in SCALES:
                # canvas point p shows the reference at centre + scale * R * M * (p - canvas centre)
                image = _sample(blurred, centre[0] + scale * (c * y0 - s * xm), centre[1] + scale * (s * y0 + c * xm))
                images.append(image.astype(np.float16))
                transforms.append((mirrored, float(angle), float(scale)))
    return PreparedLines(pyramid, canvas, np.stack(images), transforms, centre)


def _matrix(mirrored: bool, angle: float, scale: float) -> np.ndarray:
    c, s = np.cos(np.deg2rad(angle)), np.sin(np.deg2rad(angle))
    m = np.array([[c, -s], [s, c]]) * scale
    return m @ np.diag([1.0, -1.0]) if mirrored else m


def search(page_ink: np.ndarray, ref: PreparedLines, top: int = TOP_HYPOTHESES) -> list[Hypothesis]:
    """The ``top`` best global alignments of the page (ink at ALIGN_SIDE) onto the reference,
    best first, at most one per (mirror, angle) so that they differ.

    Each transformed reference is cut to the page's box with the two centroids together, and
    that cut is correlated with the page at every shift (zero-padded FFTs: no wrap-around),
    normalised by the two cuts' norms. What lies outside the page's box (a splash art's effects
    around the figure) neither matches nor counts against a hypothesis; measured against
    correlating whole transformed images, this picks better alignments of the same character
    in another picture and as good ones of a moved page."""
    blurred = _blur(page_ink, ALIGN_BLUR)
    h, w = blurred.shape
    n = ref.canvas
    centre = np.array(ndimage().center_of_mass(page_ink)) if page_ink.sum() > 0 else (np.array((h, w)) - 1) / 2.0
    top_left = np.rint(n / 2 - centre).astype(int)  # the page's origin on the canvas: centroids together
    size = (2 * h, 2 * w)
    # Zero-mean: a page dense with lines everywhere (a painted scene) correlates with anything,
    # most of all with the reference shrunk to a texture; its mean ink is no evidence.
    page = blurred - blurred.mean()
    spectrum = np.fft.rfft2(page, size)
    norm = float(np.sqrt((page * page).sum())) + 1e-9
    cut = (slice(None), slice(top_left[0], top_left[0] + h), slice(top_left[1], top_left[1] + w))
    cuts = ref.images[cut].astype(np.float32)
    cuts -= cuts.mean(axis=(1, 2), keepdims=True)
    norms = np.sqrt((cuts * cuts).sum(axis=(1, 2)))
    best: dict[tuple[bool, float], Hypothesis] = {}
    for i, (mirrored, angle, scale) in enumerate(ref.transforms):
        if norms[i] <= 1e-6:
            continue
        corr = np.fft.irfft2(spectrum * np.conj(np.fft.rfft2(cuts[i], size)), size)
        k = int(np.argmax(corr))  # corr[d] = sum_p page(p + d) cut(p): page point p + d matches cut p
        score = float(corr.flat[k]) / (norm * norms[i])
        if (mirrored, angle) in best and best[(mirrored, angle)].score >= score:
            continue
        d = np.array(np.unravel_index(k, corr.shape))
        d = np.where(d > np.array(size) // 2, d - np.array(size), d)
        m = _matrix(mirrored, angle, scale)
        # page pixel q matches cut pixel q - d, canvas point q - d + top_left
        offset = ref.centre + m @ (top_left - d - n / 2)
        best[(mirrored, angle)] = Hypothesis(m, offset, score, mirrored, angle, scale)
    return sorted(best.values(), key=lambda hyp: -hyp.score)[:top]


@dataclass(frozen=True)
class Correspondence:
    """For each pixel of a page grid (``y``, ``x``: HxW, normalised 0..1 coordinates of the
    reference), where it lies in the reference; ``score``: the bent alignment's normalised
    correlation; ``agreement``: HxW local agreement of the two inks (0..1)."""

    y: np.ndarray
    x: np.ndarray
    score: float
    agreement: np.ndarray
    hypothesis: Hypothesis

    def lookup(self, y: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Page points (normalised) -> reference points (normalised), bilinear in the grid."""
        return self._at(self.y, y, x), self._at(self.x, y, x)

    def _at(self, grid: np.ndarray, y: np.ndarray, x: np.ndarray) -> np.ndarray:
        h, w = grid.shape
        return ndimage().map_coordinates(grid, [y * h - 0.5, x * w - 0.5], order=1, mode="nearest")


class _Level:
    """Demons at one size: the page's and the reference's blurred inks and the affine map
    between their pixels."""

    def __init__(self, page_ink: np.ndarray, ref_ink: np.ndarray, hyp: Hypothesis, align_shapes):
        (ph, pw), (rh, rw) = align_shapes
        self.page = _blur(page_ink, DEMONS_BLUR)
        self.ref = _blur(ref_ink, DEMONS_BLUR)
        # pixel coordinates at ALIGN_SIDE -> at this level: p_l = (p_a + 0.5) * k - 0.5, per axis
        kp = np.array(page_ink.shape, float) / (ph, pw)
        kr = np.array(ref_ink.shape, float) / (rh, rw)
        self.matrix = (kr[:, None] * hyp.matrix) / kp[None, :]
        self.offset = kr * (hyp.matrix @ (0.5 / kp - 0.5) + hyp.offset + 0.5) - 0.5
        self.yy, self.xx = _pixel_grid(self.page.shape)

    def reference_points(self, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Where each page pixel lies in the reference: the affine map, then the bend ``v``
        (2xHxW, in reference pixels of this level)."""
        m, o = self.matrix, self.offset
        return (m[0, 0] * self.yy + m[0, 1] * self.xx + o[0] + v[0],
                m[1, 0] * self.yy + m[1, 1] * self.xx + o[1] + v[1])

    def warped(self, v: np.ndarray) -> np.ndarray:
        return _sample(self.ref, *self.reference_points(v))

    def bend(self, v: np.ndarray, iterations: int, should_cancel: Callable[[], bool] | None) -> np.ndarray:
        """Demons: each point moves down the reference's ink gradient where the two inks
        differ, by at most 1 / (2 alpha) px a step; the steps and the field are smoothed
        (fluid and diffusion regularisers). Measured against forces in the page's frame: these
        keep their step in the reference's pixels whatever the scale between the two, and
        colour the same character in another picture better (docs/reference-colouring.md)."""
        ndi = ndimage()
        grad_y, grad_x = np.gradient(self.ref)
        for i in range(iterations):
            if i % 10 == 0:
                check(should_cancel)
            ry, rx = self.reference_points(v)
            diff = _sample(self.ref, ry, rx) - self.page
            gy, gx = _sample(grad_y, ry, rx), _sample(grad_x, ry, rx)
            den = gy * gy + gx * gx + (DEMONS_ALPHA * DEMONS_ALPHA) * diff * diff
            step = np.where(den > 1e-9, -diff / np.maximum(den, 1e-9), 0.0).astype(np.float32)
            v[0] += ndi.gaussian_filter(step * gy, FLUID_SIGMA)
            v[1] += ndi.gaussian_filter(step * gx, FLUID_SIGMA)
            v[0] = ndi.gaussian_filter(v[0], DIFFUSION_SIGMA)
            v[1] = ndi.gaussian_filter(v[1], DIFFUSION_SIGMA)
        return v

    def score(self, v: np.ndarray) -> float:
        """Zero-mean normalised correlation of the page's ink and the bent reference's."""
        a, b = _blur(self.page, SCORE_BLUR), _blur(self.warped(v), SCORE_BLUR)
        a, b = a - a.mean(), b - b.mean()
        return float((a * b).sum() / np.sqrt((a * a).sum() * (b * b).sum() + 1e-12))

    def agreement(self, v: np.ndarray, sigma: float) -> np.ndarray:
        """Local normalised correlation of the two inks (0..1) in a Gaussian window."""
        ndi = ndimage()
        a, b = _blur(self.page, SCORE_BLUR), _blur(self.warped(v), SCORE_BLUR)
        ab, aa, bb = (ndi.gaussian_filter(t, sigma) for t in (a * b, a * a, b * b))
        return np.clip(ab / np.sqrt(aa * bb + 1e-4), 0.0, 1.0)

    def normalised(self, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        ry, rx = self.reference_points(v)
        rh, rw = self.ref.shape
        return (ry + 0.5) / rh, (rx + 0.5) / rw


def _upsample(v: np.ndarray, old: _Level, new: _Level) -> np.ndarray:
    """A bend (reference pixels of ``old``, on its page grid) resampled onto ``new``'s grid, in
    ``new``'s reference pixels."""
    h, w = new.page.shape
    oh, ow = old.page.shape
    py, px = (new.yy + 0.5) * (oh / h) - 0.5, (new.xx + 0.5) * (ow / w) - 0.5
    ky, kx = np.array(new.ref.shape, float) / old.ref.shape
    ndi = ndimage()
    return np.stack([ndi.map_coordinates(v[0], [py, px], order=1, mode="nearest") * ky,
                     ndi.map_coordinates(v[1], [py, px], order=1, mode="nearest") * kx]).astype(np.float32)


AGREEMENT_SIGMA = 8.0  # px at the finest level: the window of the local agreement


def _bend_at(page: dict, ref: PreparedLines, hyp: Hypothesis, align_shapes, side: int, iterations: int,
             level: _Level | None, v: np.ndarray | None, should_cancel) -> tuple[_Level, np.ndarray]:
    """One level of the bending, started from the coarser level's field (or from none)."""
    nxt = _Level(page[side], ref.pyramid[side], hyp, align_shapes)
    v = np.zeros((2, *nxt.page.shape), np.float32) if level is None else _upsample(v, level, nxt)
    return nxt, nxt.bend(v, iterations, should_cancel)


def register(page_gray: np.ndarray, ref: PreparedLines,
             should_cancel: Callable[[], bool] | None = None) -> Correspondence:
    """The page's line art onto the prepared reference: global search, then bending (every
    hypothesis at the coarse levels; the one that agrees best after them to the end)."""
    return register_several(page_gray, ref, 1, should_cancel=should_cancel)[0]


def register_several(page_gray: np.ndarray, ref: PreparedLines, count: int, below: float = 1.0,
                     should_cancel: Callable[[], bool] | None = None) -> list[Correspondence]:
    """``register``'s best correspondence first, then, when its score is under ``below``, the
    next best hypotheses (after the coarse levels) bent to the end too: ``count`` at most."""
    page = {side: ink_image(page_gray, side) for side in {ALIGN_SIDE, *LEVELS}}
    align_shapes = (page[ALIGN_SIDE].shape, ref.pyramid[ALIGN_SIDE].shape)
    hypotheses = search(page[ALIGN_SIDE], ref)
    check(should_cancel)
    candidates = []
    for hyp in hypotheses:  # every hypothesis is bent at the coarse levels, where it is cheap
        level, v = None, None
        for side, iterations in zip(LEVELS[:COMPARED_LEVELS], ITERATIONS, strict=False):
            level, v = _bend_at(page, ref, hyp, align_shapes, side, iterations, level, v, should_cancel)
        candidates.append((level.score(v), hyp, level, v))
    candidates.sort(key=lambda c: -c[0])
    out: list[Correspondence] = []
    for _score, hyp, level, v in candidates[:count]:
        for side, iterations in zip(LEVELS[COMPARED_LEVELS:], ITERATIONS[COMPARED_LEVELS:], strict=True):
            level, v = _bend_at(page, ref, hyp, align_shapes, side, iterations, level, v, should_cancel)
        y, x = level.normalised(v)
        out.append(Correspondence(y.astype(np.float32), x.astype(np.float32), level.score(v),
                                  level.agreement(v, AGREEMENT_SIGMA), hyp))
        if out[0].score >= below:
            break
    return out
