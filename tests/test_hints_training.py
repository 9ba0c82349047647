"""Training a colour-hint model: simulated hints (shapes, statistics, determinism, the app's
encoding), the tf.data pipeline with hints, the 7-channel networks, and short real train steps
with BCE, WGAN-GP and the VGG perceptual loss."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import tensorflow as tf
from _tiny_vgg import write_tiny_vgg

from ganime_desktop.core.hints import decode_hints, encode_hints
from training import data, pipeline
from training.hints import (
    HintConfig,
    hint_config,
    hint_overlay,
    paper_regions,
    recolour_hinted_regions,
    simulate_hints_np,
)
from training.pipeline import simulate_hints, simulate_training_hints
from training.pix2pix import Pix2Pix
from training.trainer import TrainingError


@pytest.fixture(scope="module")
def face(faces_dir) -> np.ndarray:
    color, _ = data.PairLoader(load_size=128).load(data.list_sources(faces_dir, "color", "test")[0])
    return color[:128, :128]


def test_simulated_hints_statistics(face):
    cfg = HintConfig(no_hint_prob=0.3)
    hints = np.stack([simulate_hints_np(face, cfg, (7, i)) for i in range(400)])
    assert hints.shape == (400, 128, 128, 4) and hints.dtype == np.float32
    mask = hints[..., 3]
    assert set(np.unique(mask)) <= {0.0, 1.0}
    assert not hints[..., :3][mask == 0].any()  # RGB x mask: exactly 0 where there is no hint
    coverage = mask.mean(axis=(1, 2))
    assert 0.24 < np.mean(coverage == 0) < 0.36  # the share of samples without hints
    hinted = coverage[coverage > 0]
    assert 0.0005 < hinted.mean() < 0.03 and hinted.max() < 0.1  # a few dots and strokes, not a fill
    # hint colours are the true colours where they were painted (within the tolerance)
    truth = np.broadcast_to(face.astype(np.float32) / 127.5 - 1.0, hints[..., :3].shape)
    diff = np.linalg.norm(hints[..., :3] - truth, axis=-1)[mask == 1] / 2.0  # in [0, 1] units
    assert np.median(diff) < 0.05 and diff.max() <= cfg.tolerance + 0.02
    # strokes: some hints are long thin runs, not only dots
    assert max(np.count_nonzero(m) for m in mask) > 40


def test_simulated_hints_are_seeded_and_match_the_apps_encoding(face):
    cfg = HintConfig(no_hint_prob=0.0)
    a, b = simulate_hints_np(face, cfg, (1, 2)), simulate_hints_np(face, cfg, (1, 2))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, simulate_hints_np(face, cfg, (1, 3)))
    # the tf.data form gives the same channels
    tf_hints = simulate_hints(tf.constant(face, tf.float32) / 255.0, cfg, tf.constant([1, 2])).numpy()
    np.testing.assert_allclose(tf_hints, a, atol=1e-6)
    # what the app builds from a painted layer of these colours is the same model input
    np.testing.assert_allclose(encode_hints(decode_hints(a)), a, atol=1.0 / 127.5)
    none = simulate_hints_np(face, HintConfig(no_hint_prob=1.0), (1, 2))
    assert not none.any()
    with pytest.raises(ValueError, match="share of samples without hints"):
        HintConfig(no_hint_prob=1.5)


def test_hinted_regions_are_recoloured_with_their_hints_and_nothing_else():
    """Two closed areas of paper split by a line; a hint in the left one only."""
    gray = np.ones((40, 60), np.float32)
    gray[:, 29:31] = 0.0  # the line
    colour = np.zeros((40, 60, 3), np.float32)
    colour[:, :30] = (0.9, 0.1, 0.1)
    colour[:, 30:] = (0.1, 0.2, 0.9)
    hints = np.zeros((40, 60, 4), np.float32)
    hints[18:22, 8:14] = (0.8, -0.8, -0.8, 1.0)  # red, in [-1, 1]
    count, labels = paper_regions(gray)
    assert count == 3 and labels[20, 10] != labels[20, 50] and labels[20, 29] == 0
    new_colour, new_hints = recolour_hinted_regions(colour, hints, gray, 1.0, np.random.default_rng(0))
    np.testing.assert_allclose(new_colour[:, 31:], colour[:, 31:], atol=1e-6)  # no hint: true colour
    left = new_colour[5, 5]
    assert np.abs(left - colour[5, 5]).max() > 0.3  # a new hue...
    assert abs(left.max() - 0.9) < 0.01 and abs(left.min() - 0.1) < 0.01  # ...same value and saturation
    np.testing.assert_allclose(new_colour[:, :28], np.broadcast_to(left, (40, 28, 3)), atol=1e-5)  # everywhere
    hint_colour = (new_hints[20, 10, :3] + 1.0) / 2.0
    expected = cv2.cvtColor(np.float32([[[0.9, 0.1, 0.1]]]), cv2.COLOR_RGB2HSV)
    got = cv2.cvtColor(np.float32([[hint_colour]]), cv2.COLOR_RGB2HSV)
    rotated = cv2.cvtColor(np.float32([[left]]), cv2.COLOR_RGB2HSV)
    # the hint turned by the same angle as its region
    assert abs(((got[0, 0, 0] - expected[0, 0, 0]) - (rotated[0, 0, 0] - expected[0, 0, 0]) + 180) % 360 - 180) < 1
    assert not new_hints[..., :3][hints[..., 3] == 0].any()
    same, same_hints = recolour_hinted_regions(colour, hints, gray, 0.0, np.random.default_rng(0))
    assert same is colour and same_hints is hints


def test_training_hints_recolour_only_when_asked(face):
    gray = cv2.cvtColor(face, cv2.COLOR_RGB2GRAY).astype(np.float32) / 255.0
    colour = face.astype(np.float32) / 255.0
    seed = tf.constant([4, 2])
    hints, target = simulate_training_hints(tf.constant(colour), tf.constant(gray), HintConfig(no_hint_prob=0.0),
                                            seed)
    np.testing.assert_array_equal(target.numpy(), colour)
    np.testing.assert_array_equal(hints.numpy(), simulate_hints_np(colour, HintConfig(no_hint_prob=0.0), (4, 2)))
    cfg = HintConfig(no_hint_prob=0.0, recolour_prob=1.0)
    changed = [not np.array_equal(simulate_training_hints(tf.constant(colour), tf.constant(gray), cfg,
                                                          tf.constant([4, i]))[1].numpy(), colour) for i in range(6)]
    assert any(changed)


def test_dataset_with_hints_gives_seven_channels(faces_dir):
    sources = data.list_sources(faces_dir, "color", "test")[:4]
    loader = data.PairLoader(load_size=64)
    cfg = HintConfig(no_hint_prob=0.0)
    plain = next(iter(pipeline.make_dataset(sources, loader, image_size=64, batch_size=4, training=False)))
    first = next(iter(pipeline.make_dataset(sources, loader, image_size=64, batch_size=4, training=False,
                                            hints=cfg, seed=3)))
    again = next(iter(pipeline.make_dataset(sources, loader, image_size=64, batch_size=4, training=False,
                                            hints=cfg, seed=3)))
    x, y = first
    assert x.shape == (4, 64, 64, 7) and y.shape == (4, 64, 64, 3)
    np.testing.assert_array_equal(x[..., :3], plain[0])  # the sketch is untouched
    np.testing.assert_array_equal(x, again[0])  # held-out hints are the same every run
    assert all(float(tf.reduce_sum(x[i, ..., 6])) > 0 for i in range(4))
    overlay = hint_overlay(x).numpy()
    m = x[..., 6].numpy() == 1
    np.testing.assert_array_equal(overlay[m], x[..., 3:6].numpy()[m])
    train = next(iter(pipeline.make_dataset(sources, loader, image_size=64, batch_size=2, training=True,
                                            hints=cfg, repeat=True)))
    assert train[0].shape == (2, 64, 64, 7)
    assert hint_config({"hints": False}) is None and hint_config({"hints": True}).no_hint_prob == 0.3


def _config(**over):
    cfg = {"image_size": 64, "ngf": 8, "ndf": 8, "norm": "batch", "upsample": "resize", "padding": "reflect",
           "lambda_l1": 100.0, "tv_loss": "l1", "lambda_tv": 1e-4, "lr": 2e-3, "d_lr": 2e-4, "beta1": 0.5,
           "beta2": 0.999, "adam_epsilon": 1e-7, "batch_size": 2, "hints": True, "gan_loss": "bce",
           "lambda_gan": 1.0, "lambda_gp": 10.0, "drift": 1e-3, "lambda_perceptual": 0.0}
    return {**cfg, **over}


@pytest.fixture(scope="module")
def batch(faces_dir):
    sources = data.list_sources(faces_dir, "color", "test")[:2]
    return next(iter(pipeline.make_dataset(sources, data.PairLoader(load_size=64), image_size=64, batch_size=2,
                                           training=False, hints=HintConfig(no_hint_prob=0.0))))


def test_hint_networks_shapes():
    approach = Pix2Pix(_config(), tf.distribute.get_strategy())
    approach.build()
    assert approach.generator.input_shape == (None, None, None, 7)
    assert approach.generator.output_shape == (None, None, None, 3)
    assert approach.discriminator.input_shape == (None, None, None, 10)  # sketch + hints + colour
    x = np.zeros((1, 128, 192, 7), np.float32)
    assert approach.generate(x).shape == (1, 128, 192, 3)
    wgan = Pix2Pix(_config(gan_loss="wgan-gp"), tf.distribute.get_strategy())
    wgan.build()
    kinds = {type(layer).__name__ for layer in wgan.discriminator.layers}
    assert "InstanceNormalization" in kinds and "BatchNormalization" not in kinds  # per-sample critic


@pytest.mark.slow
@pytest.mark.parametrize("options, extra", [
    ({"gan_loss": "bce"}, set()),
    ({"gan_loss": "wgan-gp", "lambda_perceptual": 0.5}, {"d_gp", "g_perceptual"}),
])
def test_hint_model_trains(batch, tmp_path, options, extra):
    if options.get("lambda_perceptual"):
        options = {**options, "vgg_weights": str(write_tiny_vgg(tmp_path / "vgg16.ckpt"))}
    approach = Pix2Pix(_config(**options), tf.distribute.get_strategy())
    approach.build()
    step = tf.function(approach.train_step)
    x, y = batch
    g_before = approach.generator.trainable_variables[0].numpy().copy()
    d_before = approach.discriminator.trainable_variables[0].numpy().copy()
    first = [float(step(x, y)["g_l1"]) for _ in range(2)]
    for _ in range(25):
        last = step(x, y)
    assert set(last) == {"g_total", "g_gan", "g_l1", "g_tv", "d"} | extra
    assert all(np.isfinite(float(v)) for v in last.values())
    assert float(last["g_l1"]) < np.mean(first)
    assert not np.allclose(g_before, approach.generator.trainable_variables[0].numpy())
    assert not np.allclose(d_before, approach.discriminator.trainable_variables[0].numpy())
    if "d_gp" in last:
        assert float(last["d_gp"]) >= 0.0


def test_gradient_penalty_is_zero_for_a_unit_slope_critic():
    """(|grad|_2 - 1)^2: a critic whose input gradient has norm exactly 1 gets no penalty."""
    approach = Pix2Pix(_config(gan_loss="wgan-gp"), tf.distribute.get_strategy())
    approach.build()
    approach.discriminator = lambda inputs, training: inputs[..., -3:] * 0.0 + tf.reduce_sum(
        inputs[..., -3:], axis=[1, 2, 3], keepdims=True) / np.sqrt(64 * 64 * 3.0)
    x = tf.random.uniform([2, 64, 64, 7])
    y, fake = tf.random.uniform([2, 64, 64, 3]), tf.random.uniform([2, 64, 64, 3])
    np.testing.assert_allclose(approach._gradient_penalty(x, y, fake).numpy(), 0.0, atol=1e-6)


def test_perceptual_loss_without_weights_says_how_to_get_them(tmp_path):
    approach = Pix2Pix(_config(lambda_perceptual=1.0, vgg_weights=str(tmp_path / "missing.ckpt")),
                       tf.distribute.get_strategy())
    with pytest.raises(TrainingError, match="--lambda-perceptual needs ImageNet VGG weights.*missing.ckpt"):
        approach.build()
