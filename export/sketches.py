"""Real sketch batches for parity checks and int8 calibration.

The sketches come from the data set the way training reads it (training.data): real sketches of
kaggle / paired layouts, XDoG line art (training.xdog, the training seed's per-image sigma) of
colour-only images. They are fed the way every generator takes them: NHWC float32, 3 identical
channels, [-1, 1] with white paper at +1. Random inputs alone miss what matters (mostly white
paper, thin lines), so parity is always judged on these too.

For a colour-hint model (``hint_channels`` 4) every batch carries the hint channels too
(ganime_desktop/core/manifest.py's encoding, built by core.hints from an RGBA layer as the app
does): every other sketch without hints, the rest with a few seeded strokes and dots of random
colours, so both the bare and the hinted paths are checked.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np

from ganime_desktop.core.errors import GanimeError
from ganime_desktop.core.hints import HINT_CHANNELS, encode_hints
from training.data import DataError, PairLoader, PairSource, list_sources

REPO = Path(__file__).resolve().parents[1]
# Developer machines and CI keep the real data in ../shared/data beside the checkout; users pass --data.
SHARED_FALLBACK = REPO.parent / "shared" / "data" / "anime-faces"


class SketchSourceError(GanimeError, ValueError):
    """No usable images for sketches; the message says which folder and what to pass."""


def _sources(data_dir: Path, layout: str, split: str) -> list[PairSource]:
    return list_sources(data_dir, layout or "auto", split)


def resolve_data_dir(explicit: str | Path | None, config: dict | None) -> tuple[Path, str]:
    """(folder, layout): --data if given, else the run's data_dir if readable, else the shared faces."""
    layout = (config or {}).get("data_format") or "auto"
    if explicit is not None:
        path = Path(explicit)
        try:
            _sources(path, layout, "test")
        except DataError as exc:
            raise SketchSourceError(f"--data {path}: {exc}") from None
        return path, layout
    candidates = []
    if config and config.get("data_dir"):
        candidates.append((Path(config["data_dir"]), layout))
    candidates.append((SHARED_FALLBACK, "color"))
    for path, lay in candidates:
        try:
            _sources(path, lay, "test")
            return path, lay
        except DataError:
            continue
    tried = ", ".join(str(p) for p, _ in candidates)
    raise SketchSourceError(f"no images for parity sketches (tried {tried}); pass --data DIR with the data "
                            "set (colour images: sketches are synthesized by XDoG; or sketch-colour pairs)")


class SketchSet:
    """Picks sketches from one data folder: held-out (test/val) ones for checks, train ones for calibration."""

    def __init__(self, data_dir: Path, layout: str = "auto", seed: int = 0, hint_channels: int = 0):
        if hint_channels not in (0, HINT_CHANNELS):
            raise SketchSourceError(f"{hint_channels} hint channels: only 0 or {HINT_CHANNELS} are supported")
        self.data_dir, self.layout, self.seed = Path(data_dir), layout, seed
        self.hint_channels = hint_channels

    def sources(self, split: str) -> list[PairSource]:
        try:
            return _sources(self.data_dir, self.layout, split)
        except DataError:
            other = "train" if split != "train" else "test"
            try:
                return _sources(self.data_dir, self.layout, other)
            except DataError as exc:
                raise SketchSourceError(f"{self.data_dir}: {exc}") from None

    def batch(self, count: int, height: int, width: int, *, split: str = "test", offset: int = 0) -> np.ndarray:
        """``count`` sketches spread evenly over the split, as an NxHxWx3 float32 batch in [-1, 1]
        (NxHxWx7 with hint channels for a hint model)."""
        sources = self.sources(split)
        step = max(1, len(sources) // max(1, count))
        chosen = [sources[(offset + i * step) % len(sources)] for i in range(count)]
        batch = sketch_batch(chosen, height, width, self.seed)
        if self.hint_channels:
            batch = np.concatenate([batch, hint_batch(count, height, width, seed=offset)], axis=3)
        return batch

    def describe(self) -> str:
        return f"{self.data_dir} ({self.layout} layout)"


def sketch_batch(sources: Sequence[PairSource], height: int, width: int, seed: int = 0) -> np.ndarray:
    # Shrink so the image covers the target, as training's loader does, then centre-crop.
    loader = PairLoader(load_size=max(height, width), seed=seed)
    out = []
    for src in sources:
        try:
            _, sketch = loader.load(src)
        except DataError as exc:
            raise SketchSourceError(str(exc)) from None
        out.append(to_model_input(cover_crop(sketch, height, width)))
    return np.stack(out)


def cover_crop(img: np.ndarray, height: int, width: int) -> np.ndarray:
    """Scale to cover height x width (no distortion), then centre-crop."""
    h, w = img.shape[:2]
    scale = max(height / h, width / w)
    if abs(scale - 1.0) > 1e-9:
        size = (max(width, round(w * scale)), max(height, round(h * scale)))
        img = cv2.resize(img, size, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC)
        h, w = img.shape[:2]
    top, left = (h - height) // 2, (w - width) // 2
    return img[top:top + height, left:left + width]


def to_model_input(gray: np.ndarray) -> np.ndarray:
    """uint8 HxW sketch (white paper 255) -> HxWx3 float32 in [-1, 1], paper at +1."""
    x = gray.astype(np.float32) / 127.5 - 1.0
    return np.repeat(x[..., None], 3, axis=-1)


def random_hint_layer(height: int, width: int, rng: np.random.Generator) -> np.ndarray:
    """An RGBA hint layer with a few strokes and dots of random colours, as an artist paints."""
    rgba = np.zeros((height, width, 4), np.uint8)
    short = min(height, width)
    for _ in range(int(rng.integers(1, 6))):
        colour = (*(int(c) for c in rng.integers(0, 256, 3)), 255)
        p0 = (int(rng.integers(0, width)), int(rng.integers(0, height)))
        if rng.random() < 0.5:
            p1 = (int(rng.integers(0, width)), int(rng.integers(0, height)))
            cv2.line(rgba, p0, p1, colour, max(1, short // 32))
        else:
            cv2.circle(rgba, p0, max(1, short // 64), colour, -1)
    return rgba


def hint_batch(count: int, height: int, width: int, seed: int = 0) -> np.ndarray:
    """NxHxWx4 hint channels: even indices without hints, odd ones with random strokes."""
    rng = np.random.default_rng(seed)
    out = np.zeros((count, height, width, HINT_CHANNELS), np.float32)
    for i in range(1, count, 2):
        out[i] = encode_hints(random_hint_layer(height, width, rng))
    return out


def random_batch(count: int, height: int, width: int, channels: int = 3, seed: int = 0) -> np.ndarray:
    """Uniform noise in [-1, 1]: exercises every weight, unlike mostly-white sketches."""
    rng = np.random.default_rng(seed)
    return rng.uniform(-1.0, 1.0, size=(count, height, width, channels)).astype(np.float32)
