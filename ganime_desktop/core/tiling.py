"""Run a model over a large page in overlapping tiles at full resolution and blend the seams.

The alternative to running once at the working size (see pipeline.py for which is the default
and why). Neighbouring tiles overlap; in the overlap each tile's weight ramps linearly to zero,
and its outermost pixels (computed without context, next to the model's zero padding) get no
weight at all, so seams neither show as lines nor carry border artefacts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np

from .cancel import check


def tile_origins(length: int, tile: int, stride: int) -> list[int]:
    """Start offsets covering [0, length) with tiles of ``tile`` every ``stride``; the last one is
    pulled back so it ends exactly at ``length`` (no tile sticks out when length >= tile)."""
    if length <= tile:
        return [0]
    starts = list(range(0, length - tile, stride))
    starts.append(length - tile)
    return sorted(set(starts))


def _ramp(tile: int, overlap: int, rise: bool, fall: bool) -> np.ndarray:
    """1-D weights: 0 over the outer ``overlap // 4`` pixels (where the tile lacks context), then a
    linear rise to 1. Two neighbours' ramps over their shared ``overlap`` sum to exactly 1.
    A side on the page border (``rise``/``fall`` False) keeps full weight."""
    x = np.arange(tile, dtype=np.float32) + 0.5
    margin = overlap // 4
    span = max(overlap - 2 * margin, 1)
    weights = np.ones(tile, np.float32)
    if rise:
        weights = np.minimum(weights, np.clip((x - margin) / span, 0.0, 1.0))
    if fall:
        weights = np.minimum(weights, np.clip((tile - x - margin) / span, 0.0, 1.0))
    return weights


def blend_window(tile: int, overlap: int, top: bool = False, bottom: bool = False, left: bool = False,
                 right: bool = False) -> np.ndarray:
    """tile x tile weights; ``top`` etc. say which sides lie on the page border (no fade there)."""
    return _ramp(tile, overlap, not top, not bottom)[:, None] * _ramp(tile, overlap, not left, not right)[None, :]


def iter_tiles(height: int, width: int, tile: int, overlap: int) -> Iterator[tuple[int, int]]:
    stride = max(1, tile - overlap)
    for y in tile_origins(height, tile, stride):
        for x in tile_origins(width, tile, stride):
            yield y, x


def run_tiled(x: np.ndarray, run: Callable[[np.ndarray], np.ndarray], tile: int, overlap: int,
              batch: int = 4, should_cancel: Callable[[], bool] | None = None) -> np.ndarray:
    """x: 1xHxWxC model input with H, W >= tile; run: NxTxTxC -> NxTxTx3. Returns HxWx3 float32.

    Tiles go to the model ``batch`` at a time (a little faster than one by one, bounded memory).
    """
    _, height, width, _ = x.shape
    acc = np.zeros((height, width, 3), np.float32)
    weight = np.zeros((height, width, 1), np.float32)
    origins = list(iter_tiles(height, width, tile, overlap))
    for i in range(0, len(origins), batch):
        check(should_cancel)  # raises Cancelled between tile batches
        group = origins[i:i + batch]
        y = run(np.concatenate([x[:, oy:oy + tile, ox:ox + tile] for oy, ox in group], axis=0))
        for k, (oy, ox) in enumerate(group):
            window = blend_window(tile, overlap, oy == 0, oy + tile >= height, ox == 0, ox + tile >= width)
            acc[oy:oy + tile, ox:ox + tile] += y[k] * window[:, :, None]
            weight[oy:oy + tile, ox:ox + tile] += window[:, :, None]
    return acc / np.maximum(weight, 1e-6)
