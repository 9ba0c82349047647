"""Real line art in training (issue 29): pairs that bring their own sketch at their own sampling share
(--data-weights), cropped at the app's scale (--page-size), the sketch statistics that calibrate the
synthesized styles, and a shipped ONNX generator brought back to Keras to fine-tune from."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from training.augment import AugmentConfig, augment_geometry, page_crop
from training.data import DataError, PairLoader, fit_long_side, list_sources, sampling_weights
from training.sample_pool import SampleSpec, load_store, make_sample
from training.sketch_stats import sketch_statistics

REPO = Path(__file__).resolve().parents[1]


def _kaggle_folder(root: Path, count: int, width: int, height: int, tone: int = 0) -> Path:
    """A kaggle-layout set (colour | sketch side by side) of striped pages: colour stripes 8 px wide,
    a black sketch line on each stripe's edge; page i's red channel is ``tone + 40 i``."""
    split = root / "train"
    split.mkdir(parents=True)
    for i in range(count):
        colour = np.zeros((height, width, 3), np.uint8)
        colour[:, :, 2] = tone + 40 * i  # OpenCV writes BGR
        colour[:, :, 1] = np.where((np.arange(width) // 8) % 2, 200, 60)[None, :]
        sketch = np.full((height, width, 3), 255, np.uint8)
        sketch[:, ::8] = 0
        cv2.imwrite(str(split / f"p{i}.png"), np.concatenate([colour, sketch], axis=1))
    return root


def test_data_weights_give_each_folder_its_share(tmp_path):
    a, b = _kaggle_folder(tmp_path / "a", 3, 32, 32), _kaggle_folder(tmp_path / "b", 1, 32, 32)
    sources = list_sources(a) + list_sources(b)
    p = sampling_weights(sources, [str(a), str(b)], [0.75, 0.25])
    np.testing.assert_allclose(p, [0.25, 0.25, 0.25, 0.25])  # b's one image is as likely as each of a's
    p = sampling_weights(sources, [str(a), str(b)], [0.5, 0.5])
    np.testing.assert_allclose(p[:3].sum(), 0.5) and np.testing.assert_allclose(p[3], 0.5)
    # a folder named twice (listed twice in the sources too) adds its weights
    twice = sampling_weights(sources + list_sources(b), [str(a), str(b), str(b)], [1, 1, 2])
    np.testing.assert_allclose(twice[3] + twice[4], 0.75)
    with pytest.raises(DataError, match="one per folder"):
        sampling_weights(sources, [str(a), str(b)], [1.0])
    with pytest.raises(DataError, match="non-negative"):
        sampling_weights(sources, [str(a), str(b)], [0.0, 0.0])


def test_weighted_store_draws_only_where_the_weight_is(tmp_path):
    a, b = _kaggle_folder(tmp_path / "a", 2, 32, 32), _kaggle_folder(tmp_path / "b", 2, 32, 32, tone=120)
    sources = list_sources(a) + list_sources(b)
    weights = tuple(sampling_weights(sources, [str(a), str(b)], [0.0, 1.0]))
    store = load_store(sources, PairLoader(load_size=32), weights=weights)
    spec = SampleSpec(32, AugmentConfig(max_zoom=1.0, paper_prob=0.0, darkness_min=1.0))
    rng = np.random.default_rng(0)
    reds = {int(np.median(make_sample(store, spec, rng)["colour"][..., 0])) for _ in range(40)}
    assert reds == {120, 160}  # the red channel names the page: b's two pages, never a's


def test_samples_say_whether_they_are_held_to_the_start(tmp_path):
    """--lambda-start-outputs holds samples whose sketch the pool drew from a colour image, of every
    folder or of the --start-outputs-data folders; pairs with their own sketch never."""
    from training.errors import TrainingError
    from training.jax_trainer import held_to_start

    real_dir = _kaggle_folder(tmp_path / "real", 1, 32, 32, tone=120)
    for tone in (160, 200):
        folder = tmp_path / f"colour{tone}" / "train"
        folder.mkdir(parents=True)
        cv2.imwrite(str(folder / "0.png"), np.full((32, 32, 3), tone, np.uint8))
    folders = [str(real_dir), str(tmp_path / "colour160"), str(tmp_path / "colour200")]
    sources = list_sources(real_dir) + list_sources(folders[1], "color") + list_sources(folders[2], "color")
    store = load_store(sources, PairLoader(load_size=32))
    cfg = {"lambda_start_outputs": 100.0, "data": folders}
    rng = np.random.default_rng(0)
    for named, held_pages in ((None, {160, 200}), ([folders[2]], {200})):
        held = held_to_start(sources, dict(cfg, start_outputs_data=named))
        spec = SampleSpec(32, AugmentConfig(max_zoom=1.0, paper_prob=0.0, darkness_min=1.0), held_sources=held)
        pages = set()
        for _ in range(30):
            sample = make_sample(store, spec, rng)
            page = int(np.median(sample["colour"][..., 0]))  # the red channel names the page: 120 the real pair
            assert sample["held"].tolist() == [int(page in held_pages)], (named, page, sample["held"])
            pages.add(page)
        assert pages == {120, 160, 200}
    assert held_to_start(sources, dict(cfg, lambda_start_outputs=0.0)) is None
    assert "held" not in make_sample(store, SampleSpec(32, spec.augment), rng)
    with pytest.raises(TrainingError, match="not a --data folder"):
        held_to_start(sources, dict(cfg, start_outputs_data=[str(tmp_path / "elsewhere")]))


def test_pages_are_cropped_at_the_apps_scale(tmp_path):
    """A 1024 px page with 8 px stripes: the app runs it at 512 (stripes 4 px), so crops at the
    page's scale show stripes about 4 px wide; the synthesized sets' jitter would shrink the page
    to the crop (stripes under 1 px) instead."""
    folder = _kaggle_folder(tmp_path / "real", 1, 1024, 768)
    store = load_store(list_sources(folder, "kaggle"), PairLoader(load_size=128), page_size=512)
    assert store.colours[0].shape[:2] == (384, 512) and store.sketches[0].shape == (384, 512)
    spec = SampleSpec(128, AugmentConfig(max_zoom=1.4, paper_prob=1.0, darkness_min=1.0), page_size=512)
    rng = np.random.default_rng(1)
    for _ in range(10):
        sample = make_sample(store, spec, rng)
        assert sample["colour"].shape == (128, 128, 3) and sample["sketch"].shape == (128, 128, 1)
        row = sample["colour"][64, :, 1].astype(int)
        runs = np.diff(np.flatnonzero(np.diff(row > 130)))
        assert 2.5 <= np.median(runs) <= 5.5, row  # 4 px x U(0.8, 1.25), never placed small on paper
        # colour and sketch cut alike: every sketch line lies on a stripe edge
        lines = np.flatnonzero(sample["sketch"][64, :, 0] < 128)
        edges = np.flatnonzero(np.diff(row > 130)) + 0.5
        assert all(np.min(np.abs(edges - x)) <= 2 for x in lines)
    # without --page-size the same page is rescaled to the crop like the synthesized sets
    small = augment_geometry(store.colours[0], 128, AugmentConfig(max_zoom=1.0, paper_prob=0.0), rng)
    assert small.shape == (128, 128, 3)


def test_a_page_smaller_than_the_crop_lies_on_white_paper():
    page = np.zeros((40, 60, 4), np.uint8)
    crop = page_crop(page, 64, (1.0, 1.0), np.random.default_rng(0))
    assert crop.shape == (64, 64, 4)
    assert (crop == 0).all(axis=2).sum() == 40 * 60 and ((crop == 255).all(axis=2) | (crop == 0).all(axis=2)).all()


def test_fit_long_side_shrinks_never_enlarges():
    assert fit_long_side(np.zeros((100, 50), np.uint8), 512).shape == (100, 50)
    assert fit_long_side(np.zeros((1000, 500, 3), np.uint8), 512).shape == (512, 256, 3)


def test_sketch_statistics_of_a_known_drawing():
    page = np.full((200, 200), 255, np.uint8)
    page[50:53, 20:180] = 0  # one black stroke 3 px wide, 160 px long
    page[120:121, 20:180] = 150  # one grey stroke 1 px wide
    stats = sketch_statistics(page)
    assert stats["darkness"] == 255 and stats["grey_share"] == pytest.approx(100 * 160 / 640)
    assert stats["width"] == pytest.approx(640 / 320, rel=0.1)  # area over skeleton length
    assert stats["ends"] == pytest.approx(1000 * 4 / 320, rel=0.1)  # two strokes, two ends each
    assert stats["paper"] == 255 and stats["grain"] == 0
    grainy = np.clip(page + np.random.default_rng(0).normal(0, 3, page.shape), 0, 255).astype(np.uint8)
    assert 1.5 < sketch_statistics(grainy)["grain"] < 4


def test_tensorflow_refuses_the_pools_data_flags(tmp_path, faces_dir):
    res = subprocess.run([sys.executable, "-m", "training", "pix2pix", "--backend", "tensorflow", "--data",
                          str(faces_dir), "--data-weights", "1", "--run-dir", str(tmp_path / "run")],
                         cwd=REPO, capture_output=True, text=True, timeout=300)
    assert res.returncode == 2 and "--data-weights is the sample pool's" in res.stderr


@pytest.mark.parametrize("name", ["pix2pix-tv", "pix2pix-hints"])
def test_shipped_onnx_generator_comes_back_to_keras_exactly(name, faces_dir):
    """A shipped ONNX file (batch norms folded into the convolutions) rebuilt as a Keras generator:
    the same colours in inference, and in training mode on the calibration crops nearly so. The hint
    model's inputs are the sketch and simulated hints (7 channels)."""
    from ganime_desktop.core.manifest import load_manifest
    from training.onnx_import import calibration_sketches, import_generator, onnx_colours

    spec = next(s for s in load_manifest(REPO / "assets" / "models" / "manifest.json") if s.name == name)
    cfg = {**spec.provenance["config"], "sketch_style": "mixed", "max_zoom": 1.4, "paper_prob": 0.5}
    sketches = calibration_sketches(cfg, [str(faces_dir)], 32, seed=0)
    assert sketches.shape[-1] == (7 if spec.input.hint_channels else 3)
    generator, diff = import_generator(spec.file_path("generator"), cfg, sketches)
    assert diff <= 1e-3
    probe = sketches[:8]
    # training mode normalizes by the batch's own statistics: the rebuilt norms make that close too
    # (dropout off: the decoder's dropout layers are what training mode adds on purpose)
    for layer in generator.layers:
        if "dropout" in layer.name:
            layer.rate = 0.0
    trained = np.asarray(generator(probe, training=True))
    assert np.mean(np.abs(trained - onnx_colours(spec.file_path("generator"), probe))) < 0.1


@pytest.mark.slow
def test_jax_run_trains_on_real_pairs_at_their_share(tmp_path, faces_dir):
    real = _kaggle_folder(tmp_path / "real", 3, 96, 80)
    run = tmp_path / "run"
    env = {**os.environ, "KERAS_BACKEND": "jax", "TF_CPP_MIN_LOG_LEVEL": "3", "JAX_PLATFORMS": "cpu"}
    res = subprocess.run([sys.executable, "-m", "training", "pix2pix", "--backend", "jax", "--data", str(faces_dir),
                          str(real), "--data-weights", "3", "1", "--page-size", "64", "--split", "train",
                          "--sketch-style", "mixed", "--image-size", "64", "--ngf", "8", "--ndf", "8", "--batch-size",
                          "2", "--limit", "6", "--workers", "1", "--pool-size", "16", "--max-steps", "2",
                          "--run-dir", str(run)], cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr[-3000:]
    assert "data shares: anime-faces 75%, real 25%" in res.stdout
    cfg = json.loads((run / "config.json").read_text())
    assert cfg["data_weights"] == [3.0, 1.0] and cfg["page_size"] == 64
    assert (run / "generator.keras").is_file()
