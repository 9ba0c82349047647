"""A colour-hint model end to end through the real CLIs: `python -m training pix2pix --hints
--gan-loss wgan-gp` -> `python -m export` (7 channels, parity, manifest with hint_channels 4) ->
`python -m export --check` -> the app's Colorizer with a hint layer."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from export.__main__ import main as export_main
from export.check import check_manifest
from export.convert import keras_predict
from export.parity import cpu_session, parity_probes, run_session
from export.sketches import SketchSet
from ganime_desktop.core.manifest import MANIFEST_NAME, load_manifest
from ganime_desktop.core.pipeline import Colorizer
from training.model_loading import load_keras_model
from training.pix2pix import Pix2Pix

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def hint_run(tmp_path_factory, faces_dir) -> Path:
    base = tmp_path_factory.mktemp("hint-run")
    run = base / "run"
    res = subprocess.run(
        [sys.executable, "-m", "training", "pix2pix", "--hints", "--gan-loss", "wgan-gp", "--no-hint-prob", "0.3",
         "--data", str(faces_dir), "--split", "test", "--image-size", "64", "--ngf", "8", "--ndf", "8",
         "--batch-size", "2", "--limit", "6", "--max-steps", "3", "--upsample", "resize", "--padding", "reflect",
         "--run-dir", str(run), "--cache-dir", str(base / "cache")],
        cwd=REPO, capture_output=True, text=True, timeout=300, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert res.returncode == 0, res.stderr[-3000:]
    return run


@pytest.mark.slow
def test_training_cli_records_a_hint_model(hint_run):
    config = json.loads((hint_run / "config.json").read_text())
    assert config["hints"] is True and config["gan_loss"] == "wgan-gp" and config["no_hint_prob"] == 0.3
    model = load_keras_model(hint_run / "generator.keras")
    assert model.input_shape == (None, None, None, 7) and model.output_shape == (None, None, None, 3)
    parser = argparse.ArgumentParser()
    Pix2Pix.add_arguments(parser)  # what `python -m training pix2pix --help` lists
    for flag in ("--hints", "--gan-loss", "--lambda-gp", "--drift", "--lambda-perceptual", "--no-hint-prob"):
        assert flag in parser.format_help()


@pytest.mark.slow
def test_export_declares_the_hint_channels_and_keeps_parity(hint_run, tmp_path, faces_dir):
    out = tmp_path / "models"
    assert export_main([str(hint_run), "--name", "hints-tiny", "--out-dir", str(out), "--data", str(faces_dir)]) == 0
    (spec,) = load_manifest(out / MANIFEST_NAME)
    assert spec.approach == "pix2pix-hints"
    assert (spec.input.channels, spec.input.hint_channels, spec.output.channels) == (7, 4, 3)
    assert spec.input.size_multiple == 64
    diffs = spec.provenance["parity"]["max_abs_diff"]
    assert any(k.startswith("sketches") for k in diffs) and max(diffs.values()) <= 1e-4
    assert spec.provenance["config"]["hints"] is True

    # parity again by hand, on real sketches with and without hints
    model = load_keras_model(hint_run / "generator.keras")
    session = cpu_session(spec.file_path("generator"))
    probes = parity_probes(SketchSet(faces_dir, "color", hint_channels=4), 64, 7)
    sketch_probe = probes[0].inputs
    assert sketch_probe.shape == (2, 64, 64, 7)
    assert not sketch_probe[0, ..., 3:].any() and sketch_probe[1, ..., 6].any()  # bare, then hinted
    for probe in probes:
        assert np.abs(run_session(session, probe.inputs) - keras_predict(model, probe.inputs)).max() <= 1e-4

    checks = check_manifest(out / MANIFEST_NAME, data=faces_dir, log=lambda _m: None)
    assert all(c.ok for c in checks), [c.report() for c in checks]

    # the app colours with it, hints or not
    colorizer = Colorizer(spec, "cpu")
    assert colorizer.accepts_hints
    page = np.full((90, 70, 3), 255, np.uint8)
    page[20:22, :] = 0
    hints = np.zeros((90, 70, 4), np.uint8)
    hints[40:50, 10:60] = (255, 0, 0, 255)
    assert colorizer.colorize(page, hints=hints).shape == (90, 70, 3)
    assert colorizer.colorize(page).shape == (90, 70, 3)
