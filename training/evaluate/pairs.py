"""The evaluation's pairs: the fixed, recorded list of (sketch, truth) every model colours, and
what the app's pipeline reads of each sketch (its gray, its regions)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ganime_desktop.core.preprocess import to_uint8
from training import data as data_lib

BATCH = 8  # pairs coloured at once


@dataclass(frozen=True)
class Pair:
    index: int
    color_path: str
    sketch_path: str | None  # None: synthesized by XDoG
    xdog_sigma: float | None
    sketch: np.ndarray  # HxWx3 uint8, three identical channels
    truth: np.ndarray  # HxWx3 uint8

    def record(self) -> dict[str, Any]:
        return {"index": self.index, "color": self.color_path,
                "sketch": self.sketch_path or "XDoG", "xdog_sigma": self.xdog_sigma}


def load_pairs(data: str, data_format: str, split: str, *, image_size: int, seed: int, limit: int | None,
               cache_dir: str | None, whole: bool = False, only: list[str] | None = None,
               exclude: list[str] | None = None) -> list[Pair]:
    """The fixed evaluation pairs: the split's files in natural order, centre-cropped like training's
    held-out images (tf.data pipeline, no augmentation); ``whole``: the whole images instead, the
    shorter side ``image_size`` (the same sketches, uncropped: a figure on its paper, as a page),
    or as they are for ``image_size`` 0 (pages as artists bring them: real line art).
    ``only`` / ``exclude``: file-name patterns (fnmatch) the pairs must / must not match, e.g. the
    two kinds of sketch-pairs-real (``tw_*`` hand-drawn, the rest extracted)."""
    from fnmatch import fnmatch

    from training import pipeline, xdog

    if image_size <= 0 and not whole:
        raise data_lib.DataError("--image-size 0 (pages as they are) needs --whole-pages")
    sources = [s for s in data_lib.list_sources(data, data_format, split)
               if (not only or any(fnmatch(s.color.name, p) for p in only))
               and not any(fnmatch(s.color.name, p) for p in exclude or [])][:limit]
    loader = data_lib.PairLoader(load_size=image_size if image_size > 0 else data_lib.NATIVE_SIZE, seed=seed,
                                 cache_dir=Path(cache_dir) if cache_dir else data_lib.default_cache_dir())
    sources = data_lib.prepare_sources(sources, loader)
    if whole:
        from ganime_desktop.core.colour import gray_to_rgb

        pairs = []
        for i, src in enumerate(sources):
            color, sketch = loader.load(src)
            synthesized = src.layout == "color"
            sketch_path = {"color": None, "kaggle": f"{src.color} (right half)"}.get(src.layout, str(src.sketch))
            pairs.append(Pair(i, str(src.color), sketch_path, xdog.sigma_for(src.key, seed) if synthesized else None,
                              gray_to_rgb(sketch), color))
        return pairs
    ds = pipeline.make_dataset(sources, loader, image_size=image_size, batch_size=1, training=False,
                               cache_in_memory=False, drop_remainder=False)
    pairs = []
    for i, (src, (sketch, color)) in enumerate(zip(sources, ds, strict=True)):
        synthesized = src.layout == "color"
        sketch_path = {"color": None, "kaggle": f"{src.color} (right half)"}.get(src.layout, str(src.sketch))
        pairs.append(Pair(i, str(src.color), sketch_path, xdog.sigma_for(src.key, seed) if synthesized else None,
                          to_uint8(sketch[0].numpy()), to_uint8(color[0].numpy())))
    return pairs


def batches(items: list, size: int = BATCH) -> Iterator[list]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


def sketch_gray(pair: Pair) -> np.ndarray:
    """The pair's sketch as the app's pipeline reads it (``to_gray``): the input of its regions."""
    from ganime_desktop.core.preprocess import to_gray

    return to_gray(pair.sketch)


def pair_regions(pairs: list[Pair]) -> list[Any]:
    """The app's regions of each pair's sketch (core/regions.py ``segment``, as the pipeline reads it)."""
    from ganime_desktop.core.regions import segment

    return [segment(sketch_gray(p)) for p in pairs]
