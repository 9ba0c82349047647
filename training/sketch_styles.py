"""Synthesized sketches that look like real line art, not only like XDoG ink.

Real line art (pencil scans, the users' own drawings) differs from clean XDoG lines in ways a model
trained on XDoG alone never sees, and on real sketch-colour pairs such models do worse than on XDoG
ones. So with ``--sketch-style mixed`` each training sample draws one base extractor and a few
modifiers (probabilities below), all from the colour crop it is made from:

Base lines (one of):
- ``ink`` (25 %): XDoG (training/xdog.py), sigma U(0.3, 0.5): clean black lines, the old default;
- ``pencil`` (50 %): XDoG with a soft threshold (phi U(8, 40)) and lines lightened to a grey
  U(0.35, 0.85) of black, with graphite grain: thin grey pencil strokes of varying darkness;
- ``shrunk`` (25 %): XDoG at twice the size, then area-downscaled: the thin, antialiased grey lines
  a large page has once the app shrinks it to the model's working size.
Modifiers (each independently):
- line weight (10 %): lines thickened by a 2x2 minimum filter (a bolder pen);
- broken strokes (35 %): lines cut where a smooth random field is low: gaps of a few pixels, as in
  quick pencil work (what region filling in the app must also survive);
- hatching (20 %): parallel strokes (angle, spacing 3-7 px, darkness random) over the crop's dark
  areas (lightness of the colour below a threshold): shading drawn as lines;
- paper (35 %): an off-white paper tone (235-255) and a little grain;
- JPEG (25 %): re-encoded at quality 35-85: the blur and ringing of scans and web images.

Calibrated against real line art (issue 29; ``benchmarks/sketch_stats.py`` compares the statistics of
training/sketch_stats.py on the real pairs of sketch-pairs-real/train and on the same pictures drawn
in each style, at the app's scale): real lines are grey (median line pixel 146-172; ~90 % of line
pixels lighter than 100) and thin (1.5-1.6 px), and the first ``mixed`` (ink 40 %, pencil 35 %,
sigma up to 0.6, bolder line 30 %) drew them dark (median 62-74) and 2.2-2.4 px wide; the pencil
base alone was close. So pencil is now half the bases, ink's sigma stops at 0.5 and the bolder line
is rare; the numbers before and after are in docs/models.md.

All NumPy/OpenCV with an explicit ``numpy.random.Generator``: the same seed gives the same sketch.
"""

from __future__ import annotations

import cv2
import numpy as np

from training.xdog import xdog

STYLES = ("xdog", "mixed")
BASES = (("ink", 0.25), ("pencil", 0.50), ("shrunk", 0.25))
P_WEIGHT, P_BROKEN, P_HATCH, P_PAPER, P_JPEG = 0.10, 0.35, 0.20, 0.35, 0.25


def _gray(rgb: np.ndarray) -> np.ndarray:
    return rgb if rgb.ndim == 2 else cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)


def ink(rgb: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    return xdog(rgb, float(rng.uniform(0.3, 0.5)))


def pencil(rgb: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Soft XDoG lines, lightened to grey, with graphite grain along them."""
    soft = xdog(rgb, float(rng.uniform(0.35, 0.6)), phi=float(rng.uniform(8.0, 40.0)), eps=-0.01)
    darkness = rng.uniform(0.35, 0.85)
    lines = (255.0 - soft.astype(np.float32)) * darkness
    grain = rng.normal(1.0, 0.25, lines.shape).astype(np.float32)
    lines = np.clip(lines * grain, 0.0, 255.0)
    return (255.0 - lines + 0.5).astype(np.uint8)


def shrunk(rgb: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """XDoG drawn at twice the size and area-downscaled: thin antialiased grey lines."""
    h, w = rgb.shape[:2]
    big = cv2.resize(rgb, (w * 2, h * 2), interpolation=cv2.INTER_CUBIC)
    lines = xdog(big, float(rng.uniform(0.4, 0.8)))
    return cv2.resize(lines, (w, h), interpolation=cv2.INTER_AREA)


BASE_FUNCTIONS = {"ink": ink, "pencil": pencil, "shrunk": shrunk}


def thicken(sketch: np.ndarray) -> np.ndarray:
    return cv2.erode(sketch, np.ones((2, 2), np.uint8))  # min filter: dark lines grow


def smooth_field(shape: tuple[int, int], scale: float, rng: np.random.Generator) -> np.ndarray:
    """Random field in [0, 1] varying over about ``scale`` pixels."""
    h, w = shape
    small = rng.random((max(2, int(h / scale)), max(2, int(w / scale)))).astype(np.float32)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC).clip(0.0, 1.0)


def break_strokes(sketch: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Lift the pencil where a smooth random field is low: short gaps along the lines."""
    field = smooth_field(sketch.shape, rng.uniform(3.0, 8.0), rng)
    gaps = field < rng.uniform(0.12, 0.3)
    out = sketch.copy()
    out[gaps] = 255
    return out


def hatch(sketch: np.ndarray, rgb: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Parallel strokes over the colour's dark areas."""
    h, w = sketch.shape
    lightness = cv2.GaussianBlur(_gray(rgb), (0, 0), 2.0)
    dark = lightness < rng.uniform(70, 130)
    if not dark.any():
        return sketch
    spacing = int(rng.integers(3, 8))
    angle = rng.uniform(0, np.pi)
    strokes = np.full((h, w), 255, np.uint8)
    dx, dy = np.cos(angle), np.sin(angle)
    reach = h + w
    for offset in range(-reach, reach, spacing):  # one cv2.line per stroke, not per pixel
        cx, cy = w / 2 - dy * offset, h / 2 + dx * offset
        p0 = (int(cx - dx * reach), int(cy - dy * reach))
        p1 = (int(cx + dx * reach), int(cy + dy * reach))
        cv2.line(strokes, p0, p1, int(rng.integers(40, 160)), 1, cv2.LINE_AA)
    strokes = np.where(dark, strokes, 255).astype(np.uint8)
    return np.minimum(sketch, strokes)


def paper(sketch: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    tone = rng.uniform(235, 255)
    grain = rng.normal(0.0, rng.uniform(1.0, 5.0), sketch.shape).astype(np.float32)
    out = sketch.astype(np.float32) * (tone / 255.0) + grain
    return np.clip(out + 0.5, 0, 255).astype(np.uint8)


def jpeg(sketch: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    ok, buf = cv2.imencode(".jpg", sketch, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(35, 86))])
    return cv2.imdecode(buf, cv2.IMREAD_GRAYSCALE) if ok else sketch


def choose_base(rng: np.random.Generator) -> str:
    names, weights = zip(*BASES, strict=True)
    return str(rng.choice(names, p=np.asarray(weights) / sum(weights)))


def mixed_sketch(rgb: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """HxWx3 uint8 colour -> HxW uint8 sketch in a random style (the module docstring)."""
    sketch = BASE_FUNCTIONS[choose_base(rng)](rgb, rng)
    if rng.random() < P_WEIGHT:
        sketch = thicken(sketch)
    if rng.random() < P_BROKEN:
        sketch = break_strokes(sketch, rng)
    if rng.random() < P_HATCH:
        sketch = hatch(sketch, rgb, rng)
    if rng.random() < P_PAPER:
        sketch = paper(sketch, rng)
    if rng.random() < P_JPEG:
        sketch = jpeg(sketch, rng)
    return sketch


def synthesize(rgb: np.ndarray, style: str, rng: np.random.Generator) -> np.ndarray:
    """A training sketch of a colour crop: ``xdog`` (ink only) or ``mixed``."""
    if style == "xdog":
        return ink(rgb, rng)
    if style == "mixed":
        return mixed_sketch(rgb, rng)
    raise ValueError(f"unknown sketch style {style!r}; use {' or '.join(STYLES)}")
