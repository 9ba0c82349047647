"""The tf.data input pipeline: load pairs, augment identically, scale to [-1, 1], batch, prefetch.

Augmentations (train only), all applied to the stacked (sketch, colour) tensor so both sides
move together:
- random jitter: resize so the shorter side is size x U(1, max_zoom) (1.12 is pix2pix's 286/256),
  random crop back to size x size; random horizontal flip; a larger max_zoom gives crops of
  large pages at several scales;
- sketch variety so models trained on synthesized sketches work on real line art: line darkness
  x' = 1 - lam * (1 - x), lam ~ U(0.7, 1) (Ci et al.); thickness varies through the per-image
  XDoG sigma; placement on white paper: with probability ``paper_prob`` the whole pair is scaled
  down and put at a random place on a white canvas, so the model learns blank paper stays white.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from ganime_desktop.core.hints import HINT_CHANNELS
from training.augment import NO_AUGMENT, AugmentConfig  # noqa: F401  (re-exported)
from training.data import PairLoader, PairSource
from training.hints import HintConfig, simulate_hints_np, simulate_training_hints_np

AUTOTUNE = tf.data.AUTOTUNE


def _load_fn(sources: list[PairSource], loader: PairLoader):
    def load(index):
        color, sketch = loader.load(sources[int(index)])
        return color, sketch[:, :, None]

    def tf_load(index):
        color, sketch = tf.numpy_function(load, [index], [tf.uint8, tf.uint8], stateful=False)
        color.set_shape([None, None, 3])
        sketch.set_shape([None, None, 1])
        return tf.concat([sketch, color], axis=-1)  # uint8, so the in-memory cache stays small

    return tf_load


def _to_unit(pair: tf.Tensor) -> tf.Tensor:
    return tf.cast(pair, tf.float32) / 255.0


def _random_resized_crop(pair: tf.Tensor, size: int, max_zoom: float) -> tf.Tensor:
    shape = tf.cast(tf.shape(pair)[:2], tf.float32)
    short = tf.reduce_min(shape)
    target = size * tf.random.uniform([], 1.0, max_zoom) if max_zoom > 1.0 else tf.constant(float(size))
    new_hw = tf.cast(tf.math.ceil(shape * target / short), tf.int32)
    new_hw = tf.maximum(new_hw, size)
    pair = tf.image.resize(pair, new_hw, method="area" if max_zoom <= 1.0 else "bilinear", antialias=True)
    return tf.image.random_crop(pair, [size, size, 4])


def _center_crop(pair: tf.Tensor, size: int) -> tf.Tensor:
    shape = tf.cast(tf.shape(pair)[:2], tf.float32)
    new_hw = tf.maximum(tf.cast(tf.math.ceil(shape * size / tf.reduce_min(shape)), tf.int32), size)
    pair = tf.image.resize(pair, new_hw, method="area", antialias=True)
    return tf.image.resize_with_crop_or_pad(pair, size, size)


def _on_white_paper(pair: tf.Tensor, size: int, scale_range: tuple[float, float]) -> tf.Tensor:
    """The whole image, scaled so its longer side is size x U(scale_range), at a random spot on a
    white canvas (value 1): whole figures on blank paper, as on a manga page."""
    hw = tf.cast(tf.shape(pair)[:2], tf.float32)
    longer = size * tf.random.uniform([], *scale_range)
    new_hw = tf.maximum(tf.cast(tf.round(hw * longer / tf.reduce_max(hw)), tf.int32), 1)
    small = tf.image.resize(pair, new_hw, method="area", antialias=True)
    new_hw = tf.minimum(new_hw, size)  # a scale above 1: a random part of the figure (training/augment.py)
    small = tf.image.random_crop(small, [new_hw[0], new_hw[1], 4])
    top = tf.random.uniform([], 0, size - new_hw[0] + 1, dtype=tf.int32)
    left = tf.random.uniform([], 0, size - new_hw[1] + 1, dtype=tf.int32)
    # pad (x - 1) with zeros, then add 1 back: the new area is white paper
    return tf.image.pad_to_bounding_box(small - 1.0, top, left, size, size) + 1.0


def augment(pair: tf.Tensor, size: int, cfg: AugmentConfig) -> tf.Tensor:
    """[H, W, 4] in [0, 1] (sketch, R, G, B) -> [size, size, 4] augmented."""
    if cfg.paper_prob > 0:
        pair = tf.cond(tf.random.uniform([]) < cfg.paper_prob,
                       lambda: _on_white_paper(pair, size, cfg.paper_scale),
                       lambda: _random_resized_crop(pair, size, cfg.max_zoom))
    else:
        pair = _random_resized_crop(pair, size, cfg.max_zoom)
    if cfg.flip:
        pair = tf.image.random_flip_left_right(pair)
    if cfg.darkness_min < 1.0:
        lam = tf.random.uniform([], cfg.darkness_min, 1.0)
        pair = tf.concat([1.0 - lam * (1.0 - pair[..., :1]), pair[..., 1:]], axis=-1)
    return pair


def to_model_range(pair: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
    """Split into (sketch as 3 channels, colour), both in [-1, 1]."""
    pair = tf.clip_by_value(pair, 0.0, 1.0) * 2.0 - 1.0  # antialiased resizing can overshoot slightly
    return tf.repeat(pair[..., :1], 3, axis=-1), pair[..., 1:]


def make_dataset(
    sources: list[PairSource],
    loader: PairLoader,
    *,
    image_size: int,
    batch_size: int,
    training: bool = True,
    augment_cfg: AugmentConfig | None = None,
    seed: int = 0,
    cache_in_memory: bool = True,
    drop_remainder: bool = True,
    repeat: bool = False,
    hints: HintConfig | None = None,
) -> tf.data.Dataset:
    """Batches of (sketch, colour) float32 [-1, 1], shape [B, size, size, 3] each.

    With ``hints``, the first element is the hint model's input instead: the sketch followed by
    simulated hint channels from the true colour ([B, size, size, 7], training/hints.py), random
    per sample in training, fixed per image (``seed``, index) otherwise.
    """
    cfg = augment_cfg or (AugmentConfig() if training else NO_AUGMENT)
    ds = tf.data.Dataset.from_tensor_slices(np.arange(len(sources), dtype=np.int64))
    ds = ds.map(_load_fn(sources, loader), num_parallel_calls=AUTOTUNE, deterministic=True)
    if cache_in_memory:
        ds = ds.cache()
    if training:
        ds = ds.shuffle(min(len(sources), 4096), seed=seed, reshuffle_each_iteration=True)
    if repeat:
        ds = ds.repeat()
    if training:
        ds = ds.map(lambda p: augment(_to_unit(p), image_size, cfg), num_parallel_calls=AUTOTUNE)
    else:
        ds = ds.map(lambda p: _center_crop(_to_unit(p), image_size), num_parallel_calls=AUTOTUNE)
    ds = ds.map(to_model_range, num_parallel_calls=AUTOTUNE)
    if hints is not None:
        ds = ds.enumerate().map(lambda i, pair: _with_hints(pair, hints, i, seed, training),
                                num_parallel_calls=AUTOTUNE)
    return ds.batch(batch_size, drop_remainder=drop_remainder).prefetch(AUTOTUNE)


def _with_hints(pair, cfg: HintConfig, index, seed: int, training: bool):
    sketch, color = pair
    if training:  # random hints, hinted regions possibly recoloured (training/hints.py)
        hints, color01 = simulate_training_hints((color + 1.0) / 2.0, (sketch[..., 0] + 1.0) / 2.0, cfg,
                                                 random_seed())
        return tf.concat([sketch, hints], axis=-1), color01 * 2.0 - 1.0
    hint_seed = tf.stack([tf.constant(seed, tf.int32), tf.cast(index, tf.int32)])
    return tf.concat([sketch, simulate_hints((color + 1.0) / 2.0, cfg, hint_seed)], axis=-1), color


def fits_in_memory(sources: list[PairSource], load_size: int, budget_bytes: int = 8 << 30) -> bool:
    """Rough check that the decoded uint8 pairs fit a memory budget."""
    per_pair = load_size * load_size * 1.8 * 4  # 4 uint8 channels, aspect up to 1.8
    return len(sources) * per_pair <= budget_bytes


# ----------------------------------------------------------------------------- hints as tf.data ops

def simulate_hints(color01: tf.Tensor, cfg: HintConfig, seed: tf.Tensor) -> tf.Tensor:
    """The tf.data form of ``simulate_hints_np``: [H, W, 3] in [0, 1] and an int [2] seed ->
    [H, W, 4] float32 hint channels."""
    def run(color, s):
        return simulate_hints_np(color, cfg, s)

    hints = tf.numpy_function(run, [color01, seed], tf.float32, stateful=False)
    hints.set_shape(tf.TensorShape(color01.shape[:-1]).concatenate([HINT_CHANNELS]))
    return hints


def simulate_training_hints(color01: tf.Tensor, gray01: tf.Tensor, cfg: HintConfig,
                            seed: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
    """The tf.data form of ``simulate_training_hints_np``."""
    def run(color, gray, s):
        return simulate_training_hints_np(color, gray, cfg, s)

    hints, colour = tf.numpy_function(run, [color01, gray01, seed], [tf.float32, tf.float32], stateful=False)
    hints.set_shape(tf.TensorShape(color01.shape[:-1]).concatenate([HINT_CHANNELS]))
    colour.set_shape(color01.shape)
    return hints, colour


def random_seed() -> tf.Tensor:
    """A fresh seed from the global (stateful, run-seeded) random stream, for training samples."""
    return tf.random.uniform([2], 0, 2**31 - 1, dtype=tf.int32)
