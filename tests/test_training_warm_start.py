"""--init-from: fine-tuning from another run, and turning a colouring model into a hint model whose
new hint inputs start at zero (so it first colours exactly like its source)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest

from training import networks
from training.errors import TrainingError
from training.warm_start import copy_weights

REPO = Path(__file__).resolve().parents[1]
TINY = ["--image-size", "64", "--ngf", "8", "--ndf", "8", "--batch-size", "2", "--limit", "4"]


def _cli(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    return subprocess.run([sys.executable, "-m", "training", *args], cwd=REPO, env=env, text=True,
                          capture_output=True, timeout=300)


def _randomised(model: keras.Model, seed: int) -> keras.Model:
    rng = np.random.default_rng(seed)
    model.set_weights([rng.normal(0, 0.2, w.shape).astype(w.dtype) for w in model.get_weights()])
    return model


def test_widened_generator_with_zero_hints_colours_like_its_source():
    kw = dict(ngf=8, upsample="resize", padding="reflect")
    source = _randomised(networks.build_unet_generator(64, **kw), 0)
    target = networks.build_unet_generator(64, in_channels=7, **kw)
    assert copy_weights(source, target) == ["down1_conv"]
    sketch = np.random.default_rng(1).uniform(-1, 1, (2, 64, 64, 3)).astype("float32")
    no_hints = np.concatenate([sketch, np.zeros((2, 64, 64, 4), "float32")], -1)
    np.testing.assert_allclose(target(no_hints, training=False), source(sketch, training=False), atol=1e-6)
    # ...and the hint channels are real inputs once trained: they are wired to the first conv
    kernel = target.get_layer("down1_conv").get_weights()[0]
    assert kernel.shape[2] == 7 and not kernel[:, :, 3:].any()


def test_widened_discriminator_keeps_the_colour_channels_after_the_hints():
    source = _randomised(networks.build_patchgan_discriminator(in_channels=6, ndf=8), 2)
    target = networks.build_patchgan_discriminator(in_channels=10, ndf=8)
    copy_weights(source, target)
    rng = np.random.default_rng(3)
    sketch, colour = (rng.uniform(-1, 1, (1, 64, 64, 3)).astype("float32") for _ in range(2))
    hints = np.zeros((1, 64, 64, 4), "float32")
    np.testing.assert_allclose(target(np.concatenate([sketch, hints, colour], -1), training=False),
                               source(np.concatenate([sketch, colour], -1), training=False), atol=1e-5)


def test_a_different_architecture_is_refused_with_the_flags_to_fix_it():
    source = networks.build_unet_generator(64, ngf=8)
    target = networks.build_unet_generator(64, ngf=16)
    with pytest.raises(TrainingError, match="--ngf"):
        copy_weights(source, target)


@pytest.mark.slow
def test_cli_fine_tunes_into_a_hint_model_and_records_where_it_started(faces_dir, tmp_path):
    common = ["--data", str(faces_dir), "--split", "test", "--cache-dir", str(tmp_path / "cache"), *TINY]
    base = tmp_path / "base"
    res = _cli("pix2pix", *common, "--run-dir", str(base), "--max-steps", "2", "--checkpoint-every", "1")
    assert res.returncode == 0, res.stderr[-3000:]

    hinted = tmp_path / "hinted"
    res = _cli("pix2pix", *common, "--hints", "--run-dir", str(hinted), "--max-steps", "2",
               "--init-from", str(base / "checkpoints" / "ckpt-1"))
    assert res.returncode == 0, res.stderr[-3000:]
    assert "initialised generator, discriminator from" in res.stdout and "widened" in res.stdout
    cfg = json.loads((hinted / "config.json").read_text())
    assert cfg["initialised_from"]["source_step"] == 1 and cfg["hints"] is True
    # the step count starts fresh: two steps of this run, not 1 + 2
    assert json.loads((hinted / "state.json").read_text())["steps"] == 2

    res = _cli("pix2pix", *common, "--run-dir", str(tmp_path / "bad"), "--max-steps", "1",
               "--init-from", str(tmp_path / "nowhere"))
    assert res.returncode == 2 and "not a run folder or a checkpoint" in res.stderr
    assert "Traceback" not in res.stderr
