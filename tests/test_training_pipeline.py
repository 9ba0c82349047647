"""The tf.data pipeline: shapes, ranges, and augmentations applied identically to both sides."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from training import data, pipeline


@pytest.fixture(scope="module")
def face_sources(faces_dir):
    return data.list_sources(faces_dir, "color", "test")[:4]


@pytest.mark.parametrize("size", [64, 128, 256, 512])
def test_batches_have_the_flagged_size_and_range(face_sources, tmp_path, size):
    loader = data.PairLoader(load_size=size, cache_dir=tmp_path)
    ds = pipeline.make_dataset(face_sources, loader, image_size=size, batch_size=2)
    sketch, color = next(iter(ds))
    assert sketch.shape == (2, size, size, 3) and color.shape == (2, size, size, 3)
    for t in (sketch, color):
        assert -1.0 <= float(tf.reduce_min(t)) and float(tf.reduce_max(t)) <= 1.0
    s = sketch.numpy()
    np.testing.assert_array_equal(s[..., 0], s[..., 2]), "the sketch is gray in 3 channels"


def test_jitter_crop_flip_and_paper_are_identical_for_sketch_and_colour():
    # A pair whose colour equals its sketch stays equal after every geometric augmentation.
    rng = np.random.default_rng(0)
    gray = tf.constant(rng.random((90, 120, 1)), tf.float32)
    pair = tf.concat([gray, gray, gray, gray], axis=-1)
    cfg = pipeline.AugmentConfig(max_zoom=1.5, paper_prob=0.5, darkness_min=1.0)
    tf.random.set_seed(1)
    for _ in range(12):
        out = pipeline.augment(pair, 64, cfg).numpy()
        assert out.shape == (64, 64, 4)
        for c in (1, 2, 3):
            np.testing.assert_allclose(out[..., 0], out[..., c], atol=1e-6)


def test_white_paper_placement_leaves_blank_white_margins():
    pair = tf.zeros((64, 64, 4))  # black everywhere: what's white afterwards is new paper
    cfg = pipeline.AugmentConfig(paper_prob=1.0, paper_scale=(0.5, 0.5), darkness_min=1.0, flip=False)
    out = pipeline.augment(pair, 64, cfg).numpy()
    white = (out == 1.0).all(axis=-1).mean()
    assert white == pytest.approx(0.75, abs=0.02), "a 32x32 drawing on a 64x64 white page"


def test_line_darkness_only_lightens_the_sketch():
    pair = tf.zeros((32, 32, 4))
    cfg = pipeline.AugmentConfig(max_zoom=1.0, paper_prob=0.0, darkness_min=0.7, flip=False)
    out = pipeline.augment(pair, 32, cfg).numpy()
    line = out[..., 0]
    assert 0.0 <= line.min() <= 0.3 and np.ptp(line) < 1e-6, "x' = 1 - lam (1 - x), lam in [0.7, 1]"
    assert out[..., 1:].max() == 0.0, "colour untouched"
