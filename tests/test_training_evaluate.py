"""`python -m training evaluate` end to end on 4 real test faces, and the FID feature labelling."""

from __future__ import annotations

import csv
import json

import cv2
import numpy as np
import pytest
import tensorflow as tf
from _tiny_vgg import write_tiny_vgg

from training import data, evaluate, fid, metrics, model_loading
from training.__main__ import main
from training.networks import build_unet_generator


def _tiny_run(run_dir, finished: bool = True, hints: bool = False):
    """An untrained depth-6 U-Net saved like a finished run (or one still training), with two checkpoints."""
    run_dir.mkdir()
    model = build_unet_generator(ngf=4, depth=6, norm="batch", upsample="resize", padding="reflect",
                                 in_channels=7 if hints else 3)
    manager = tf.train.CheckpointManager(tf.train.Checkpoint(generator=model), str(run_dir / "checkpoints"),
                                         max_to_keep=5)
    manager.save(checkpoint_number=10)
    for w in model.trainable_weights:
        w.assign(w * 1.5)
    manager.save(checkpoint_number=20)
    (run_dir / "config.json").write_text(json.dumps({
        "approach": "pix2pix", "tv_loss": "l1", "lambda_tv": 1e-4, "image_size": 64, "ngf": 4, "norm": "batch",
        "upsample": "resize", "padding": "reflect", "depth": 6, "hints": hints}))
    if finished:
        model.save(run_dir / "generator.keras")
        (run_dir / "state.json").write_text(json.dumps({"steps": 20, "total_steps": 20, "state": "finished"}))
    return run_dir, model


def test_evaluate_writes_the_table_with_baselines_and_curves(faces_dir, tmp_path, capsys):
    run, _ = _tiny_run(tmp_path / "tiny-run")
    vgg_file = write_tiny_vgg(tmp_path / "vgg16.ckpt")
    out = tmp_path / "eval"
    rc = main(["evaluate", "--data", str(faces_dir), "--split", "test", "--runs", str(run), "--limit", "4",
               "--image-size", "64", "--out", str(out), "--cache-dir", str(tmp_path / "cache"),
               "--fid-features", "vgg16", "--vgg-weights", str(vgg_file), "--nst-steps", "2", "--nst-limit", "2",
               "--no-fast-nst", "--curves"])
    assert rc == 0, capsys.readouterr().err
    for name in ("table.md", "table.csv", "results.json", "grid.png", "curves_fid.png", "curves_ssim.png",
                 "curves.json"):
        assert (out / name).is_file(), name

    results = json.loads((out / "results.json").read_text())
    assert results["fid_label"] == "FID-VGG16"
    assert [p["color"].rsplit("/", 1)[1] for p in results["pairs"]] == ["0000.jpg", "0001.jpg", "0002.jpg", "0003.jpg"]
    assert all(p["sketch"] == "XDoG" and p["xdog_sigma"] in (0.3, 0.4, 0.5) for p in results["pairs"])
    models = {m["name"]: m for m in results["models"]}
    assert list(models) == ["tiny-run", "NST", "sketch (passthrough)"]
    assert models["NST"]["n"] == 2 and models["tiny-run"]["n"] == 4

    # The recorded pairs are reproducible: reload them and recompute the passthrough row.
    pairs = evaluate.load_pairs(str(faces_dir), "auto", "test", image_size=64, seed=0, limit=4,
                                cache_dir=str(tmp_path / "cache"))
    passthrough = [metrics.ssim(p.sketch, p.truth) for p in pairs]
    assert models["sketch (passthrough)"]["per_image"]["ssim"] == pytest.approx(passthrough, abs=1e-12)
    assert models["sketch (passthrough)"]["ssim_mean"] == pytest.approx(np.mean(passthrough))
    assert models["sketch (passthrough)"]["ssim_sd"] == pytest.approx(np.std(passthrough, ddof=1))
    for m in models.values():
        assert m["fid"] is not None and m["fid"] >= -1e-6
        assert 0 <= m["delta_e_mean"] < 100

    table = (out / "table.md").read_text()
    assert "FID-VGG16 ↓" in table and "| FID ↓" not in table
    assert "first 2 pairs only" in table and "paper ΔE2000" in table
    rows = list(csv.DictReader((out / "table.csv").open()))
    assert [r["model"] for r in rows] == list(models) and "FID-VGG16" in rows[0]

    grid = cv2.imread(str(out / "grid.png"))
    assert grid.shape[1] == 64 * 5 and grid.shape[0] > 64 * 4  # sketch, 3 models, truth; 4 rows + titles
    curves = json.loads((out / "curves.json").read_text())
    points = curves["runs"][0]["points"]
    assert [p["step"] for p in points] == [10, 20]
    assert points[0]["ssim_mean"] != points[1]["ssim_mean"]  # each checkpoint really was restored
    assert points[0]["delta_e_mean"] != points[1]["delta_e_mean"] and points[0]["delta_e_mean"] > 0
    assert (out / "curves_delta_e.png").is_file()


def test_a_run_still_training_is_evaluated_from_config_and_latest_checkpoint(tmp_path):
    run, model = _tiny_run(tmp_path / "training", finished=False)
    loaded = model_loading.load_run_generator(run)
    x = np.random.default_rng(0).uniform(-1, 1, (1, 64, 64, 3)).astype(np.float32)
    np.testing.assert_allclose(loaded(x, training=False), model(x, training=False), atol=1e-6)
    assert "latest checkpoint 20 (still training)" in evaluate.run_label(run)[1]
    # a hint model still training: its generator takes the sketch and the hint channels
    run, model = _tiny_run(tmp_path / "hints", finished=False, hints=True)
    x = np.random.default_rng(1).uniform(-1, 1, (1, 64, 64, 7)).astype(np.float32)
    np.testing.assert_allclose(model_loading.load_run_generator(run)(x, training=False), model(x, training=False), atol=1e-6)
    # config.json that does not describe the checkpoint: a plain error naming both
    cfg = json.loads((run / "config.json").read_text())
    (run / "config.json").write_text(json.dumps({**cfg, "hints": False}))
    with pytest.raises(data.DataError, match="does not match the networks of"):
        model_loading.load_run_generator(run)


def test_run_without_a_generator_is_a_clear_error(faces_dir, tmp_path, capsys):
    (tmp_path / "run").mkdir()
    rc = main(["evaluate", "--data", str(faces_dir), "--runs", str(tmp_path / "run"), "--limit", "2",
               "--image-size", "64", "--out", str(tmp_path / "eval"), "--no-nst", "--no-fast-nst"])
    assert rc == 2
    err = capsys.readouterr().err
    assert "no trained generator" in err and "Traceback" not in err
    assert not (tmp_path / "eval").exists()


def test_vgg_features_are_never_labelled_plain_fid(tmp_path):
    extractor = fid.choose_extractor("vgg16", vgg_weights=write_tiny_vgg(tmp_path / "v.ckpt"))
    assert extractor.label == "FID-VGG16" and "block5_conv3" in extractor.description
    images = [np.random.default_rng(i).integers(0, 256, (40, 50, 3), dtype=np.uint8) for i in range(3)]
    feats = extractor.embed(images, batch=2)
    assert feats.shape == (3, 8)
    assert metrics.frechet_distance_of_features(feats, feats) == pytest.approx(0.0, abs=1e-6)
