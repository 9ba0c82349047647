"""Simulated colour hints: what an artist's strokes of colour would be, drawn from the true colours.

A hint model (``python -m training pix2pix --hints``) is trained on the sketch plus hint
channels (the encoding is documented in ganime_desktop/core/manifest.py; the app builds the same
channels from a painted hint layer with ``core.hints.encode_hints``). Users do not paint
hints everywhere, so neither does the simulation (after Zhang et al. 2017 and Ci et al. 2018):

- with probability ``no_hint_prob`` a sample gets no hints at all, so the model still colours
  a bare sketch;
- otherwise 1..``max_points`` small dots (the mean true colour around a random pixel) and
  0..``max_strokes`` short straight strokes in the true colour at their start, both counts
  skewed towards few (n = 1 + floor(max * u^2));
- a hint covers only pixels whose true colour is within ``tolerance`` of the hint colour: an
  artist paints red on the hair, not across the outline onto the face.
Later hints cover earlier ones. Sizes are fractions of the image's shorter side, so a hint
looks the same relative to the picture at 64 px and at 512 px.

With ``placement="parts"`` (issue 29) hints are placed as an artist places them in the app: each
dot or short stroke inside one closed region of the line art, its centre ``PART_GAP`` of the shorter
side or more from any line, in the region's true median colour, and never across the region's
lines; the same counts as above. The hint model is then trained on what it will be given, and
``hinted_region_mask`` names the regions a hint asks to colour, for a loss over the whole region
(``--lambda-hint-region``, training/jax_trainer.py).

Hints that only ever repeat the true colours teach a model to follow a hint only where it
agrees with what the model would have guessed anyway (a face is skin-coloured with or without a
hint), and an artist asks for colours the data set never had. So in training, with probability
``recolour_prob`` each closed region of the line art (a connected area of paper between lines)
that received a hint gets its true colour hue-rotated by a random angle, target and hints alike:
the hint is then the only way to know that region's colour, everywhere in the region, while
regions without hints keep their true colours.

NumPy/OpenCV with an explicit seed (wrapped for tf.data with ``tf.numpy_function`` in
training/pipeline.py; called directly by the JAX trainer's sample pool): held-out
and evaluation images get the same hints on every run.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ganime_desktop.core.hints import HINT_CHANNELS

HINT_PLACEMENTS = ("anywhere", "parts")
PART_GAP = 0.008  # x the shorter side: 1 px at 128, 4 px at 512 (training/hint_dots.py's careful dots)


@dataclass(frozen=True)
class HintConfig:
    no_hint_prob: float = 0.3
    max_points: int = 24
    max_strokes: int = 6
    # x the shorter side; at 128 px: dots of radius 1-3 px, strokes 10-38 px long and 2-6 px wide,
    # what a 12 px brush on a page gives once the page is shrunk to the model's working size
    point_radius: tuple[float, float] = (0.006, 0.02)
    stroke_length: tuple[float, float] = (0.08, 0.3)
    stroke_width: tuple[float, float] = (0.015, 0.05)
    tolerance: float = 0.2  # Euclidean RGB distance in [0, 1] units
    recolour_prob: float = 0.0  # per hinted region, training only (see the module docstring)
    placement: str = "anywhere"  # or "parts": inside closed regions, in their median colour

    def __post_init__(self):
        if not 0.0 <= self.no_hint_prob <= 1.0:
            raise ValueError(f"the share of samples without hints must be in [0, 1], got {self.no_hint_prob}")
        if not 0.0 <= self.recolour_prob <= 1.0:
            raise ValueError(f"the recolouring probability must be in [0, 1], got {self.recolour_prob}")
        if self.max_points < 1 or self.max_strokes < 0:
            raise ValueError("max_points must be >= 1 and max_strokes >= 0")
        if self.placement not in HINT_PLACEMENTS:
            raise ValueError(f"unknown hint placement {self.placement!r}; use one of {', '.join(HINT_PLACEMENTS)}")


def _count(rng: np.random.Generator, minimum: int, maximum: int) -> int:
    u = rng.random()
    return minimum + int(np.floor(u * u * (maximum - minimum + 1)))


def simulate_hints_np(color, cfg: HintConfig, seed: tuple[int, int] | np.ndarray) -> np.ndarray:
    """HxWx3 true colour (uint8, or float in [0, 1]) -> HxWx4 float32 hint channels:
    RGB in [-1, 1] times the mask, then the mask. The same ``seed`` gives the same hints.

    Rasterised with OpenCV, each hint only inside its own bounding box: ~1 ms per 256 px image.
    """
    color = np.asarray(color)
    color01 = color.astype(np.float32) / 255.0 if color.dtype == np.uint8 else color.astype(np.float32)
    h, w = color01.shape[:2]
    out = np.zeros((h, w, HINT_CHANNELS), np.float32)
    rng = np.random.default_rng([int(v) & 0xFFFFFFFF for v in np.ravel(seed)])
    if rng.random() < cfg.no_hint_prob:
        return out
    short = float(min(h, w))
    kinds = [False] * _count(rng, 1, cfg.max_points) + [True] * _count(rng, 0, cfg.max_strokes)
    # The hint colour: the true colour around where the brush went down (3x3 mean).
    blurred = cv2.blur(color01, (3, 3), borderType=cv2.BORDER_REFLECT)
    for stroke in kinds:
        y0, x0 = rng.uniform(0, h - 1), rng.uniform(0, w - 1)
        if stroke:
            radius = max(0.5, rng.uniform(*cfg.stroke_width) * short / 2.0)
            angle, length = rng.uniform(0, 2 * np.pi), rng.uniform(*cfg.stroke_length) * short
            y1, x1 = y0 + length * np.sin(angle), x0 + length * np.cos(angle)
        else:
            radius = max(0.5, rng.uniform(*cfg.point_radius) * short)
            y1, x1 = y0, x0
        pad = int(np.ceil(radius)) + 1
        top, left = max(0, int(min(y0, y1)) - pad), max(0, int(min(x0, x1)) - pad)
        bottom, right = min(h, int(max(y0, y1)) + pad + 1), min(w, int(max(x0, x1)) + pad + 1)
        if bottom <= top or right <= left:
            continue
        local = np.zeros((bottom - top, right - left), np.uint8)
        p0 = (int(round(x0)) - left, int(round(y0)) - top)
        p1 = (int(round(x1)) - left, int(round(y1)) - top)
        if stroke:
            cv2.line(local, p0, p1, 1, thickness=max(1, int(round(2 * radius))), lineType=cv2.LINE_8)
        else:
            cv2.circle(local, p0, int(round(radius - 0.5)), 1, thickness=-1, lineType=cv2.LINE_8)
        colour = blurred[int(round(y0)), int(round(x0))]
        region = color01[top:bottom, left:right]
        covered = (local > 0) & (np.linalg.norm(region - colour, axis=-1) <= cfg.tolerance)
        patch = out[top:bottom, left:right]  # a view: later hints cover earlier ones
        patch[covered, :3] = colour * 2.0 - 1.0
        patch[covered, 3] = 1.0
    return out


def paper_regions(gray01: np.ndarray, threshold: float = 0.8) -> tuple[int, np.ndarray]:
    """Closed areas of paper between lines: (count, int32 labels), 0 on the lines. Lines are
    thickened by a pixel first so small gaps in the line art do not merge two areas."""
    paper = cv2.erode((np.asarray(gray01) > threshold).astype(np.uint8), np.ones((3, 3), np.uint8))
    return cv2.connectedComponents(paper, connectivity=4, ltype=cv2.CV_32S)


def _region_labels(gray01: np.ndarray, labels: np.ndarray | None) -> np.ndarray:
    """``paper_regions``' labels, unless a caller that needs them several times made them once."""
    return paper_regions(gray01)[1] if labels is None else labels


def _hinted_labels(labels: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The labels of the closed regions that hold a hinted pixel."""
    hinted = np.unique(labels[mask & (labels > 0)])
    return hinted[hinted > 0]


def simulate_part_hints_np(color01: np.ndarray, gray01: np.ndarray, cfg: HintConfig, seed,
                           labels: np.ndarray | None = None) -> np.ndarray:
    """Hints placed in parts (``placement="parts"``): HxWx4 float32 like ``simulate_hints_np``. Each hint
    picks a centre at least PART_GAP x the shorter side from any line, inside a closed region, and
    paints a dot (or a short stroke) clipped to that region in the region's true median colour.
    Fewer hints where fewer centres qualify; none on a page without closed regions."""
    color01 = np.asarray(color01, np.float32)
    h, w = color01.shape[:2]
    out = np.zeros((h, w, HINT_CHANNELS), np.float32)
    rng = np.random.default_rng([int(v) & 0xFFFFFFFF for v in np.ravel(seed)])
    if rng.random() < cfg.no_hint_prob:
        return out
    labels = _region_labels(gray01, labels)
    if not labels.any():
        return out
    short = float(min(h, w))
    clearance = cv2.distanceTransform((labels > 0).astype(np.uint8), cv2.DIST_L2, 3)
    ys, xs = np.nonzero(clearance >= max(1.0, PART_GAP * short))
    if ys.size == 0:
        return out
    kinds = [False] * _count(rng, 1, cfg.max_points) + [True] * _count(rng, 0, cfg.max_strokes)
    medians: dict[int, np.ndarray] = {}
    for stroke in kinds:
        i = int(rng.integers(ys.size))
        y0, x0 = int(ys[i]), int(xs[i])
        label = int(labels[y0, x0])
        if label not in medians:
            medians[label] = np.median(color01[labels == label], axis=0)
        local = np.zeros((h, w), np.uint8)
        if stroke:
            angle, length = rng.uniform(0, 2 * np.pi), rng.uniform(*cfg.stroke_length) * short / 2.0
            end = (int(round(x0 + length * np.cos(angle))), int(round(y0 + length * np.sin(angle))))
            width = max(1, int(round(rng.uniform(*cfg.stroke_width) * short)))
            cv2.line(local, (x0, y0), end, 1, thickness=width, lineType=cv2.LINE_8)
        else:
            radius = max(1, int(round(min(rng.uniform(*cfg.point_radius) * short, clearance[y0, x0]))))
            cv2.circle(local, (x0, y0), radius, 1, thickness=-1, lineType=cv2.LINE_8)
        covered = (local > 0) & (labels == label)  # an artist's dab stays inside the part it colours
        out[covered, :3] = medians[label] * 2.0 - 1.0
        out[covered, 3] = 1.0
    return out


def hinted_region_mask(hints: np.ndarray, gray01: np.ndarray, labels: np.ndarray | None = None) -> np.ndarray:
    """HxW bool: the closed regions holding a hint, out to their lines (as ``recolour_hinted_regions``
    takes them), and the hinted pixels themselves: where a hint asks for its colour."""
    labels = _region_labels(gray01, labels)
    mask = hints[..., 3] > 0
    region = np.isin(labels, _hinted_labels(labels, mask)).astype(np.uint8)
    return (cv2.dilate(region, np.ones((3, 3), np.uint8)) > 0) | mask


def recolour_hinted_regions(color01: np.ndarray, hints: np.ndarray, gray01: np.ndarray, prob: float,
                            rng: np.random.Generator, labels: np.ndarray | None = None
                            ) -> tuple[np.ndarray, np.ndarray]:
    """Hue-rotate, with probability ``prob`` each, the regions holding a hint: the colour and the
    hint colours in them by the same random angle. Returns new (colour01, hints)."""
    labels = _region_labels(gray01, labels)
    mask = hints[..., 3] > 0
    chosen = [int(label) for label in _hinted_labels(labels, mask) if rng.random() < prob]
    if not chosen:
        return color01, hints
    hsv = cv2.cvtColor(np.ascontiguousarray(color01, np.float32), cv2.COLOR_RGB2HSV)  # H in [0, 360)
    hint_hsv = cv2.cvtColor(np.ascontiguousarray((hints[..., :3] + 1.0) / 2.0, np.float32), cv2.COLOR_RGB2HSV)
    ring = np.ones((3, 3), np.uint8)
    for label in chosen:
        angle = rng.uniform(60.0, 300.0)
        region = cv2.dilate((labels == label).astype(np.uint8), ring) > 0  # back out to the lines
        hsv[region, 0] = (hsv[region, 0] + angle) % 360.0
        in_hints = region & mask
        hint_hsv[in_hints, 0] = (hint_hsv[in_hints, 0] + angle) % 360.0
    colour = np.clip(cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB), 0.0, 1.0)
    out = hints.copy()
    out[..., :3] = (np.clip(cv2.cvtColor(hint_hsv, cv2.COLOR_HSV2RGB), 0.0, 1.0) * 2.0 - 1.0) * mask[..., None]
    return colour, out


def simulate_training_hints_np(color01: np.ndarray, gray01: np.ndarray, cfg: HintConfig,
                               seed, labels: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Hints for a training sample, with hinted regions recoloured (``cfg.recolour_prob``):
    (hints HxWx4, target colour HxWx3 in [0, 1]). ``labels``: the sketch's ``paper_regions``, when
    the caller needs them too (made here otherwise)."""
    color01 = np.asarray(color01, np.float32)
    if cfg.placement == "parts":
        hints = simulate_part_hints_np(color01, np.asarray(gray01, np.float32), cfg, seed, labels)
    else:
        hints = simulate_hints_np(color01, cfg, seed)
    if cfg.recolour_prob <= 0 or not hints[..., 3].any():
        return hints, color01
    rng = np.random.default_rng([*(int(v) & 0xFFFFFFFF for v in np.ravel(seed)), 1])
    colour, hints = recolour_hinted_regions(color01, hints, np.asarray(gray01, np.float32), cfg.recolour_prob, rng,
                                            labels)
    return hints, colour.astype(np.float32)


def hint_overlay(inputs):
    """[..., 7] generator inputs -> [..., 3] the sketch with the hints painted over it (for
    TensorBoard grids): what an artist would see on the canvas."""
    sketch, hint_rgb, mask = inputs[..., :3], inputs[..., 3:6], inputs[..., 6:7]
    return sketch * (1.0 - mask) + hint_rgb


def hint_region_weight(cfg: dict) -> float:
    """The weight of the L1 over hinted regions (``--lambda-hint-region``); 0 for models without hints."""
    return float(cfg.get("lambda_hint_region", 0.0)) if cfg.get("hints") else 0.0


def hint_config(cfg: dict) -> HintConfig | None:
    """The run's hint simulation, or None for a model without hints (``--hints`` not given)."""
    if not cfg.get("hints"):
        return None
    return HintConfig(no_hint_prob=cfg.get("no_hint_prob", HintConfig.no_hint_prob),
                      max_points=cfg.get("max_hint_points", HintConfig.max_points),
                      max_strokes=cfg.get("max_hint_strokes", HintConfig.max_strokes),
                      recolour_prob=cfg.get("hint_recolour_prob", HintConfig.recolour_prob),
                      placement=cfg.get("hint_placement", HintConfig.placement))
