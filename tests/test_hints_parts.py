"""Hints placed as an artist places them, and a loss over the regions they hint (issue 29):
``--hint-placement parts`` and ``--lambda-hint-region`` (training/hints.py, training/losses.py,
the JAX step)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from training.augment import AugmentConfig
from training.hints import (
    HintConfig,
    hinted_region_mask,
    paper_regions,
    simulate_part_hints_np,
    simulate_training_hints_np,
)
from training.sample_pool import SampleSpec, make_sample

REPO = Path(__file__).resolve().parents[1]


def _two_part_page():
    """A 96 x 128 page: a line at x 62-65 splits it into a left part (a red-to-orange gradient, its
    median (0.9, 0.3, 0.1)) and a right part (blue); the sketch is the line."""
    gray = np.ones((96, 128), np.float32)
    gray[:, 62:66] = 0.0
    colour = np.zeros((96, 128, 3), np.float32)
    colour[:, :64] = (0.9, 0.3, 0.1)
    colour[:, :64, 1] = np.linspace(0.1, 0.5, 64)[None, :]  # a gradient: the median is not any dot's spot
    colour[:, 64:] = (0.1, 0.2, 0.9)
    return colour, gray


def test_part_hints_stay_inside_one_part_in_its_median_colour():
    colour, gray = _two_part_page()
    _, labels = paper_regions(gray)
    cfg = HintConfig(no_hint_prob=0.0, max_points=12, max_strokes=4, placement="parts")
    for seed in range(8):
        hints = simulate_part_hints_np(colour, gray, cfg, (seed, 1))
        mask = hints[..., 3] > 0
        assert mask.any()
        assert not mask[:, 61:67].any() and (labels[mask] > 0).all()  # never on or across the line
        left = (hints[mask, :3] + 1.0) / 2.0
        on_left = np.nonzero(mask)[1] < 62
        np.testing.assert_allclose(left[on_left], np.broadcast_to(np.median(colour[labels == labels[5, 5]], axis=0),
                                                                  left[on_left].shape), atol=1e-5)
        np.testing.assert_allclose(left[~on_left], np.broadcast_to((0.1, 0.2, 0.9), left[~on_left].shape), atol=1e-5)
    # seeded; the anywhere placement is the old one, untouched
    np.testing.assert_array_equal(simulate_part_hints_np(colour, gray, cfg, (3, 1)),
                                  simulate_part_hints_np(colour, gray, cfg, (3, 1)))
    with pytest.raises(ValueError, match="unknown hint placement"):
        HintConfig(placement="everywhere")


def test_part_hints_need_room_inside_a_part():
    gray = np.zeros((64, 64), np.float32)  # all line: nowhere to dab
    cfg = HintConfig(no_hint_prob=0.0, placement="parts")
    assert not simulate_part_hints_np(np.ones((64, 64, 3), np.float32), gray, cfg, (0, 0)).any()


def test_the_hinted_region_mask_covers_the_whole_part_a_dot_is_in():
    colour, gray = _two_part_page()
    hints = np.zeros((96, 128, 4), np.float32)
    hints[40:44, 20:24] = (0.8, -0.4, -0.8, 1.0)
    region = hinted_region_mask(hints, gray)
    assert region[:, :62].all()  # the whole left part, out to its line
    assert not region[:, 66:].any()  # not the right part
    hints, target = simulate_training_hints_np(colour, gray, HintConfig(no_hint_prob=0.0, placement="parts"), (1, 2))
    assert hints[..., 3].any() and target.shape == colour.shape


def test_masked_l1_weighs_each_hinted_region_alone():
    from keras import ops

    from training.losses import masked_l1

    a = np.zeros((2, 4, 4, 3), np.float32)
    b = np.zeros((2, 4, 4, 3), np.float32)
    b[0, :2] = 1.0  # example 0: wrong by 1 on the top half
    mask = np.zeros((2, 4, 4, 1), np.float32)
    mask[0, :1] = 1.0  # its mask: the top row, all wrong
    mask[1, :1] = 1.0  # example 1: nothing wrong
    got = ops.convert_to_numpy(masked_l1(a, b, mask))
    np.testing.assert_allclose(got, [1.0, 0.0], atol=1e-5)
    none = ops.convert_to_numpy(masked_l1(a, b, np.zeros_like(mask)))
    np.testing.assert_allclose(none, [0.0, 0.0], atol=1e-5)


def test_the_pool_marks_hinted_regions_when_the_loss_wants_them():
    from training.sample_pool import ImageStore

    colour, gray = _two_part_page()
    store = ImageStore([(colour * 255).astype(np.uint8)], [(gray * 255).astype(np.uint8)])
    spec = SampleSpec(96, AugmentConfig(max_zoom=1.0, flip=False, darkness_min=1.0, paper_prob=0.0),
                      hints=HintConfig(no_hint_prob=0.0, placement="parts"), hint_region=True)
    sample = make_sample(store, spec, np.random.default_rng(0))
    region = sample["hint_region"][..., 0] > 0
    hinted = sample["hints"][..., 3] > 0
    assert hinted.any() and region[hinted].all() and region.sum() > 4 * hinted.sum()
    plain = make_sample(store, SampleSpec(96, spec.augment, hints=spec.hints), np.random.default_rng(0))
    assert "hint_region" not in plain


def test_tensorflow_refuses_the_hint_region_loss(tmp_path, faces_dir):
    res = subprocess.run([sys.executable, "-m", "training", "pix2pix", "--backend", "tensorflow", "--hints",
                          "--lambda-hint-region", "50", "--data", str(faces_dir), "--run-dir", str(tmp_path / "run")],
                         cwd=REPO, capture_output=True, text=True, timeout=300)
    assert res.returncode == 2 and "--lambda-hint-region needs the hinted regions" in res.stderr


@pytest.mark.slow
def test_a_jax_hint_model_trains_with_part_hints_and_the_region_loss(tmp_path, faces_dir):
    run = tmp_path / "run"
    env = {**os.environ, "KERAS_BACKEND": "jax", "TF_CPP_MIN_LOG_LEVEL": "3", "JAX_PLATFORMS": "cpu"}
    res = subprocess.run([sys.executable, "-m", "training", "pix2pix", "--backend", "jax", "--hints",
                          "--hint-placement", "parts", "--lambda-hint-region", "50", "--data", str(faces_dir),
                          "--split", "train", "--image-size", "64", "--ngf", "8", "--ndf", "8", "--batch-size", "2",
                          "--limit", "6", "--workers", "1", "--pool-size", "16", "--max-steps", "2", "--log-every", "1",
                          "--run-dir", str(run)], cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr[-3000:]
    assert "g_hint_region" in res.stdout + res.stderr
    cfg = json.loads((run / "config.json").read_text())
    assert cfg["hint_placement"] == "parts" and cfg["lambda_hint_region"] == 50.0
    assert (run / "generator.keras").is_file()
