"""The JAX trainer's input pipeline: NumPy/OpenCV worker processes keep a pool of ready training
samples fresh while the accelerator trains on random batches drawn from it.

Why a pool: a GPU step of the compact U-Net takes a few milliseconds, less than the CPU needs to
crop, draw a sketch and simulate hints for a batch. Drawing batches from a pool of recent
samples decouples the two: the accelerator never waits, and each sample is reused a few times
when the CPU is slower (the log reports the reuse). Workers replace the oldest samples first.
No TensorFlow: this runs where only JAX (or PyTorch) is installed.

Each sample: every worker decodes the images once at ``load_size`` (shorter side; with ``page_size``,
pairs that bring their own sketch, real line art, as the app runs the page: longer side at most
``page_size``); it picks an image (uniformly, or by ``weights``: ``--data-weights``), augments it (training/augment.py), draws
its sketch from the colour crop in the run's style (training/sketch_styles.py) unless the data
brings its own sketches, darkens the lines, and for hint models simulates hints and recolours
hinted regions (training/hints.py).
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from ganime_desktop.core.hints import HINT_CHANNELS, decode_hints
from training import sketch_styles
from training.augment import AugmentConfig, augment_geometry, darken_lines
from training.data import NATIVE_SIZE, DataError, PairLoader, PairSource, fit_long_side, read_rgb
from training.hints import HintConfig, hinted_region_mask, paper_regions, simulate_training_hints_np


@dataclass(frozen=True)
class SampleSpec:
    image_size: int
    augment: AugmentConfig
    sketch_style: str = "xdog"
    hints: HintConfig | None = None
    page_size: int | None = None  # pairs with their own sketches: cropped at the app's scale (this working size)
    weights: tuple[float, ...] | None = None  # per source probabilities (data.sampling_weights); None: uniform
    hint_region: bool = False  # hint models: also the mask of the regions holding a hint (--lambda-hint-region)
    # --lambda-start-outputs: per source, whether its drawn sketches learn the start's colouring; each
    # sample then says whether it does ("held": drawn here, from such a source). None: no such mark.
    held_sources: tuple[bool, ...] | None = None


@dataclass
class ImageStore:
    """Decoded training images: colour (HxWx3 uint8) and, where the data has them, sketches (HxW)."""

    colours: list[np.ndarray]
    sketches: list[np.ndarray | None]
    cdf: np.ndarray | None = None  # cumulative sampling weights; None: every image alike

    def __len__(self) -> int:
        return len(self.colours)

    @property
    def nbytes(self) -> int:
        unique = {id(a): a.nbytes for a in [*self.colours, *self.sketches] if a is not None}
        return sum(unique.values())


def load_store(sources: list[PairSource], loader: PairLoader, page_size: int | None = None,
               weights: tuple[float, ...] | None = None) -> ImageStore:
    """Decode every source at the loader's size; colour-only data keeps no sketch (drawn per sample).
    With ``page_size``, pairs that bring their own sketch are decoded whole and shrunk as the app
    shrinks a page (longer side at most ``page_size``). A source listed several times (a folder given
    twice in --data, to weight it) is decoded once and shared."""
    if weights is not None and len(weights) != len(sources):
        raise ValueError(f"{len(weights)} sampling weights for {len(sources)} sources")
    whole = PairLoader(NATIVE_SIZE, loader.seed, loader.cache_dir)
    colours, sketches, seen = [], [], {}
    for src in sources:
        if src in seen:
            colours.append(colours[seen[src]])
            sketches.append(sketches[seen[src]])
            continue
        seen[src] = len(colours)
        if src.layout == "color":
            rgb = read_rgb(src.color)
            if rgb is None:
                raise DataError(f"{src.color}: not a readable image")
            colours.append(loader._fit(rgb))
            sketches.append(None)
        elif page_size is not None:
            colour, sketch = whole.load(src)
            colours.append(fit_long_side(colour, page_size))
            sketches.append(fit_long_side(sketch, page_size))
        else:
            colour, sketch = loader.load(src)
            colours.append(colour)
            sketches.append(sketch)
    cdf = None if weights is None else np.cumsum(np.asarray(weights, np.float64) / np.sum(weights))
    return ImageStore(colours, sketches, cdf)


def make_sample(store: ImageStore, spec: SampleSpec, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """One augmented sample: sketch SxSx1, colour SxSx3 and (hint models) hints SxSx4, all uint8."""
    if store.cdf is None:
        index = int(rng.integers(len(store)))
    else:
        index = min(int(np.searchsorted(store.cdf, rng.random(), side="right")), len(store) - 1)
    colour, given = store.colours[index], store.sketches[index]
    stacked = colour if given is None else np.concatenate([colour, given[:, :, None]], axis=2)
    at_page_scale = given is not None and spec.page_size is not None
    crop = augment_geometry(stacked, spec.image_size, spec.augment, rng, at_page_scale)
    colour = np.ascontiguousarray(crop[:, :, :3])
    sketch = crop[:, :, 3] if given is not None else sketch_styles.synthesize(colour, spec.sketch_style, rng)
    sketch = darken_lines(np.ascontiguousarray(sketch), spec.augment.darkness_min, rng)
    sample = {"sketch": sketch[:, :, None], "colour": colour}
    if spec.held_sources is not None:
        sample["held"] = np.full((1,), given is None and spec.held_sources[index], np.uint8)
    if spec.hints is not None:
        seed = rng.integers(0, 2**31 - 1, size=2)
        gray01 = sketch.astype(np.float32) / 255.0
        labels = paper_regions(gray01)[1]  # made once: part hints, their recolouring and the hinted-region mask
        hints, target = simulate_training_hints_np(colour.astype(np.float32) / 255.0, gray01, spec.hints, seed,
                                                   labels)
        sample["hints"] = hints_to_uint8(hints)
        sample["colour"] = (target * 255.0 + 0.5).clip(0, 255).astype(np.uint8)
        if spec.hint_region:
            sample["hint_region"] = (hinted_region_mask(hints, gray01, labels)[:, :, None] * 255).astype(np.uint8)
    return sample


def hints_to_uint8(hints: np.ndarray) -> np.ndarray:
    """HxWx4 float hint channels (RGB in [-1, 1] x mask, mask) -> uint8 (RGB 0-255 where hinted, mask
    0/255): a quarter of the pool's memory; ``to_model_inputs`` and the JAX step decode it."""
    return decode_hints(hints)  # the app's decoding (ganime_desktop/core/hints.py)


# ----------------------------------------------------------------------------- worker processes

_worker_state: dict[str, Any] = {}


def _init_worker(sources: list[PairSource], loader: PairLoader, spec: SampleSpec) -> None:
    import cv2

    cv2.setNumThreads(1)  # one OpenCV thread per worker: the workers are the parallelism
    _worker_state.update(store=load_store(sources, loader, spec.page_size, spec.weights), spec=spec)


def _make_chunk(task: tuple[int, int, int]) -> dict[str, np.ndarray]:
    seed, task_id, count = task
    rng = np.random.default_rng([seed, task_id])
    samples = [make_sample(_worker_state["store"], _worker_state["spec"], rng) for _ in range(count)]
    return {k: np.stack([s[k] for s in samples]) for k in samples[0]}


def default_workers() -> int:
    return max(1, (os.cpu_count() or 2) - 1)


class SamplePool:
    """A pool of ``size`` samples, kept fresh by ``workers`` processes; ``batch`` draws at random.

    The workers are spawned, not forked (a fork copies OpenCV's and JAX's thread pools in whatever
    state they are, and a worker can hang on their locks), and each decodes the images itself.
    ``close`` stops them; it is also a context manager.
    """

    def __init__(self, sources: list[PairSource], loader: PairLoader, spec: SampleSpec, *, size: int,
                 workers: int | None = None, seed: int = 0, chunk: int = 8, log=print):
        if not sources:
            raise DataError("no training images")
        self.spec, self.size, self.chunk, self.seed = spec, size, chunk, seed
        s = spec.image_size
        self.arrays = {"sketch": np.empty((size, s, s, 1), np.uint8), "colour": np.empty((size, s, s, 3), np.uint8)}
        if spec.hints is not None:
            self.arrays["hints"] = np.empty((size, s, s, HINT_CHANNELS), np.uint8)
            if spec.hint_region:
                self.arrays["hint_region"] = np.empty((size, s, s, 1), np.uint8)
        if spec.held_sources is not None:
            self.arrays["held"] = np.empty((size, 1), np.uint8)
        self._lock = threading.Lock()
        self._next_slot = 0
        self.produced = 0
        self.drawn = 0
        self._stop = threading.Event()
        workers = workers or default_workers()
        self._pool = multiprocessing.get_context("spawn").Pool(workers, _init_worker, (sources, loader, spec))
        t0 = time.perf_counter()
        results = self._pool.imap_unordered(_make_chunk, self._tasks())
        while self.produced < size:  # the first fill, before any training step
            self._store_chunk(next(results))
        log(f"sample pool: {size} samples of {s} px from {len(sources)} images by {workers} worker(s) "
            f"in {time.perf_counter() - t0:.1f} s")
        self._thread = threading.Thread(target=self._refill, args=(results,), daemon=True)
        self._thread.start()

    def _tasks(self):
        task_id = 0
        while not self._stop.is_set():
            yield (self.seed, task_id, self.chunk)
            task_id += 1

    def _store_chunk(self, chunk: dict[str, np.ndarray]) -> None:
        n = len(chunk["sketch"])
        slots = (self._next_slot + np.arange(n)) % self.size
        with self._lock:
            for key, array in self.arrays.items():
                array[slots] = chunk[key]
            self._next_slot = int(slots[-1] + 1) % self.size
            self.produced += n

    def _refill(self, results) -> None:
        try:
            for chunk in results:
                if self._stop.is_set():
                    return
                self._store_chunk(chunk)
        except Exception:  # the pool was closed under us
            return

    def batch(self, rng: np.random.Generator, batch_size: int) -> dict[str, np.ndarray]:
        """``batch_size`` random samples (copies), uint8."""
        index = np.sort(rng.choice(self.size, size=batch_size, replace=batch_size > self.size))
        with self._lock:
            out = {k: a[index] for k, a in self.arrays.items()}
        self.drawn += batch_size
        return out

    @property
    def reuse(self) -> float:
        """Samples drawn per sample made: > 1 when training outpaces the workers."""
        return self.drawn / max(1, self.produced - self.size)

    def close(self) -> None:
        self._stop.set()
        self._pool.terminate()
        self._pool.join()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def to_model_inputs(batch: dict, xp=np) -> tuple:
    """uint8 pool batch -> (generator input [B,S,S,3 or 7], colour [B,S,S,3]) float32 in [-1, 1].
    ``xp`` is the array module: NumPy, or jax.numpy inside the jitted step (on the device)."""
    sketch = xp.repeat(batch["sketch"].astype(xp.float32) / 127.5 - 1.0, 3, axis=3)
    colour = batch["colour"].astype(xp.float32) / 127.5 - 1.0
    if "hints" in batch:
        mask = batch["hints"][..., 3:].astype(xp.float32) / 255.0
        rgb = (batch["hints"][..., :3].astype(xp.float32) / 127.5 - 1.0) * mask
        sketch = xp.concatenate([sketch, rgb, mask], axis=3)
    return sketch, colour
