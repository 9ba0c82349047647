"""Dataset layouts, scanning and pair loading (NumPy/OpenCV; the tf.data pipeline is in pipeline.py).

Three layouts, detected or chosen with ``--data-format``:
- ``kaggle``: the "anime-sketch-colorization-pair" set: ``train/`` and ``val/`` folders of images
  twice as wide as high, colour on the left half, sketch on the right;
- ``paired``: ``sketch/`` and ``color/`` folders (optionally under ``train/`` etc.) with matching names;
- ``color``: colour images only (e.g. anime-faces); the sketch is synthesized with XDoG,
  deterministic for an image and seed, and cached on disk so epochs and runs don't recompute it.
"""

from __future__ import annotations

import hashlib
import os
import sys
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from ganime_desktop.core.errors import GanimeError
from ganime_desktop.core.imageio import write_bytes_atomic
from ganime_desktop.core.natural_sort import natural_key
from ganime_desktop.core.paths import user_cache_dir
from training.progress import Progress
from training.xdog import sketch_for

LAYOUTS = ("kaggle", "paired", "color")
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff"}
SPLIT_ALIASES = {"train": ("train", "trainB"), "test": ("test", "val", "testB"), "val": ("val", "test", "testB")}


class DataError(GanimeError):
    """A data folder that cannot be used; the message says which and what to do."""


@dataclass(frozen=True)
class PairSource:
    """Where one training pair comes from."""

    color: Path
    sketch: Path | None  # None: right half of ``color`` (kaggle) or synthesized (color layout)
    layout: str
    root: Path | None = None  # the dataset folder that was listed

    @property
    def key(self) -> str:
        """The image's path inside its dataset folder (e.g. ``test/0001.jpg``): what a synthesized
        sketch's XDoG sigma is drawn from, so the same dataset gives the same sketches wherever it lies."""
        if self.root is not None and self.color.is_relative_to(self.root):
            return self.color.relative_to(self.root).as_posix()
        return self.color.name


def list_images(folder: Path) -> list[Path]:
    return sorted((p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES),
                  key=lambda p: natural_key(p.name))


def split_dir(data_dir: Path, split: str) -> Path:
    """The folder of a split (``train``, ``test``/``val``), or ``data_dir`` itself if it has no splits."""
    for name in SPLIT_ALIASES.get(split, (split,)):
        if (data_dir / name).is_dir():
            return data_dir / name
    return data_dir


def detect_layout(folder: Path) -> str:
    """Guess the layout of a split folder from its contents."""
    if (folder / "sketch").is_dir() and (folder / "color").is_dir():
        return "paired"
    images = list_images(folder)
    if not images:
        raise DataError(f"{folder}: no images found. Point --data at a folder with train/ (and test/ or "
                        "val/) holding images, or with sketch/ and color/ subfolders.")
    sample = images[: min(8, len(images))]
    wide = 0
    for path in sample:
        shape = _image_shape(path)
        if shape and abs(shape[1] - 2 * shape[0]) <= 2:
            wide += 1
    return "kaggle" if wide > len(sample) // 2 else "color"


def _image_shape(path: Path) -> tuple[int, int] | None:
    img = _decode(path, cv2.IMREAD_REDUCED_GRAYSCALE_2)
    return None if img is None else (img.shape[0] * 2, img.shape[1] * 2)


def list_sources(data_dir: str | os.PathLike, layout: str = "auto", split: str = "train") -> list[PairSource]:
    """All pair sources of a split; raises DataError for an empty or wrong folder."""
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise DataError(f"{data_dir}: no such folder. Give --data the dataset's root folder.")
    folder = split_dir(data_dir, split)
    if layout == "auto":
        layout = detect_layout(folder)
    if layout not in LAYOUTS:
        raise DataError(f"unknown --data-format {layout!r}; use auto, {', '.join(LAYOUTS)}")
    if layout == "paired":
        sketch_dir, color_dir = folder / "sketch", folder / "color"
        if not (sketch_dir.is_dir() and color_dir.is_dir()):
            raise DataError(f"{folder}: the paired layout needs sketch/ and color/ subfolders")
        sketches = {p.stem: p for p in list_images(sketch_dir)}
        sources = [PairSource(c, sketches[c.stem], layout, data_dir) for c in list_images(color_dir) if c.stem in sketches]
        if not sources:
            raise DataError(f"{folder}: no file names match between sketch/ and color/")
        return sources
    images = list_images(folder)
    if not images:
        raise DataError(f"{folder}: no images found for the {layout} layout")
    return [PairSource(p, None, layout, data_dir) for p in images]


def _decode(path: Path, flags: int = cv2.IMREAD_COLOR) -> np.ndarray | None:
    """cv2.imread that survives non-ASCII paths; None when the file is not a readable image."""
    try:
        buf = np.fromfile(str(path), dtype=np.uint8)
    except OSError:
        return None
    if buf.size == 0:
        return None
    return cv2.imdecode(buf, flags)


def read_rgb(path: Path) -> np.ndarray | None:
    img = _decode(path, cv2.IMREAD_UNCHANGED)
    if img is None:
        return None
    if img.dtype != np.uint8:  # 16-bit scans
        img = (img / 257.0 + 0.5).astype(np.uint8) if img.dtype == np.uint16 else cv2.convertScaleAbs(img)
    if img.ndim == 2:
        return cv2.cvtColor(img, cv2.COLOR_GRAY2RGB)
    if img.shape[2] == 4:  # composite transparency on white paper
        alpha = img[:, :, 3:4].astype(np.float32) / 255.0
        img = (img[:, :, :3] * alpha + 255.0 * (1.0 - alpha) + 0.5).astype(np.uint8)
    return cv2.cvtColor(img, cv2.COLOR_BGR2RGB)


NATIVE_SIZE = 1 << 30  # a load size no image reaches: images as they are


def resize_short_side(img: np.ndarray, short_side: int) -> np.ndarray:
    """Shrink (never enlarge) so the shorter side is ``short_side``."""
    h, w = img.shape[:2]
    scale = short_side / min(h, w)
    if scale >= 1.0:
        return img
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return cv2.resize(img, size, interpolation=cv2.INTER_AREA)


def fit_long_side(img: np.ndarray, long_side: int) -> np.ndarray:
    """Shrink (never enlarge) so the longer side is at most ``long_side``: a page as the app runs it
    at a working size of ``long_side`` (core/pipeline.py shrinks larger pages to fit)."""
    h, w = img.shape[:2]
    if max(h, w) <= long_side:
        return img
    scale = long_side / max(h, w)
    return cv2.resize(img, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA)


def sampling_weights(sources: list[PairSource], folders: list[str], weights: list[float]) -> np.ndarray:
    """Per-source probabilities for ``--data-weights``: folder i gets ``weights[i] / sum(weights)`` of the
    samples, spread evenly over its images (a folder named twice adds its weights), so a small set of
    real pairs can get a fixed share without being listed dozens of times."""
    if len(weights) != len(folders):
        raise DataError(f"--data-weights gives {len(weights)} weight(s) for {len(folders)} --data folder(s); "
                        "give one per folder, in the same order")
    if any(w < 0 for w in weights) or sum(weights) <= 0:
        raise DataError("--data-weights must be non-negative and not all zero")
    share: dict[Path, float] = {}
    for folder, weight in zip(folders, weights, strict=True):
        share[Path(folder)] = share.get(Path(folder), 0.0) + weight
    counts: dict[Path | None, int] = {}
    for src in sources:
        counts[src.root] = counts.get(src.root, 0) + 1
    p = np.array([share.get(src.root, 0.0) / counts[src.root] for src in sources], np.float64)
    return p / p.sum()


def default_cache_dir() -> Path:
    """The user's cache of synthesized sketches: ``sketches/`` in the project's cache folder."""
    return user_cache_dir() / "sketches"


@dataclass(frozen=True)
class PairLoader:
    """Loads one (colour RGB, sketch gray) uint8 pair, both with the shorter side ``load_size``."""

    load_size: int
    seed: int = 0
    cache_dir: Path | None = None

    def _cache_path(self, src: PairSource) -> Path | None:
        if self.cache_dir is None:
            return None
        st = src.color.stat()
        ident = f"{src.color.resolve()}|{st.st_size}|{st.st_mtime_ns}|{src.key}|{self.seed}|{self.load_size}|xdog2"
        return self.cache_dir / f"{hashlib.sha1(ident.encode()).hexdigest()}.png"

    def load(self, src: PairSource) -> tuple[np.ndarray, np.ndarray]:
        """Raises DataError naming the file when it cannot be read."""
        color = read_rgb(src.color)
        if color is None:
            raise DataError(f"{src.color}: not a readable image")
        if src.layout == "kaggle":
            w = color.shape[1] // 2
            color, sketch_rgb = color[:, :w], color[:, w: 2 * w]
            return self._fit(color), self._fit(cv2.cvtColor(sketch_rgb, cv2.COLOR_RGB2GRAY))
        if src.layout == "paired":
            sketch_rgb = read_rgb(src.sketch)
            if sketch_rgb is None:
                raise DataError(f"{src.sketch}: not a readable image")
            sketch = cv2.cvtColor(sketch_rgb, cv2.COLOR_RGB2GRAY)
            color = self._fit(color)
            if sketch.shape[:2] != color.shape[:2]:
                sketch = cv2.resize(sketch, color.shape[1::-1], interpolation=cv2.INTER_AREA)
            return color, sketch
        color = self._fit(color)
        return color, self._synthesized_sketch(src, color)

    def needs_synthesis(self, src: PairSource) -> bool:
        """Whether loading ``src`` draws its sketch (colour-only data not in the cache yet)."""
        if src.layout != "color":
            return False
        path = self._cache_path(src)
        return path is None or not path.exists()

    def _fit(self, img: np.ndarray) -> np.ndarray:
        return resize_short_side(img, self.load_size)

    def _synthesized_sketch(self, src: PairSource, color: np.ndarray) -> np.ndarray:
        path = self._cache_path(src)
        if path is not None and path.exists():
            cached = _decode(path, cv2.IMREAD_GRAYSCALE)
            if cached is not None and cached.shape == color.shape[:2]:
                return cached
        sketch = sketch_for(color, src.key, self.seed)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            ok, buf = cv2.imencode(".png", sketch)
            if ok:  # atomically: threads and the sample pool's processes may fill the cache at once
                write_bytes_atomic(path, buf.tobytes())
        return sketch


def prepare_sources(sources: Iterable[PairSource], loader: PairLoader, workers: int = 4,
                    log=None, synthesize: bool = True) -> list[PairSource]:
    """Read every pair once (synthesizing and caching sketches, unless ``synthesize`` is off: the
    sample pool draws its own); drop unreadable ones with one warning. Synthesizing shows progress
    with an ETA (the cache's first fill: about 0.1 s per image)."""
    sources = list(sources)
    drawn = {id(s) for s in sources if synthesize and loader.needs_synthesis(s)}
    where = f" into {loader.cache_dir}" if loader.cache_dir is not None else ""
    bar = Progress(len(drawn), f"XDoG sketches{where}", unit="sketch")

    def check(src: PairSource) -> str | None:
        try:
            if synthesize or src.layout != "color":
                loader.load(src)
            elif read_rgb(src.color) is None:
                raise DataError(f"{src.color}: not a readable image")
        except DataError as exc:
            return str(exc)
        return None

    problems = []
    with ThreadPoolExecutor(max_workers=workers) as pool, bar:
        for src, problem in zip(sources, pool.map(check, sources), strict=True):
            problems.append(problem)
            if id(src) in drawn:
                bar.update()
    good = [s for s, p in zip(sources, problems, strict=True) if p is None]
    bad = [p for p in problems if p is not None]
    if bad:
        shown = "\n  ".join(bad[:20]) + (f"\n  ... and {len(bad) - 20} more" if len(bad) > 20 else "")
        (log or _warn)(f"warning: skipping {len(bad)} unreadable file(s):\n  {shown}")
    if not good:
        raise DataError("no readable image pairs in the data folder; check --data and --data-format")
    return good


def _warn(msg: str) -> None:
    print(msg, file=sys.stderr)
