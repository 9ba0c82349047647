"""One model-loading module (training/model_loading.py): run folders and checkpoints of both trainers
(TensorFlow's ckpt-N.index and the JAX trainer's portable ckpt-N/ folders) for evaluate and export."""

from __future__ import annotations

import json

import numpy as np
import pytest
import tensorflow as tf

from export.run_source import SourceError, resolve_source, restore_checkpoint
from training import model_loading, portable_checkpoint
from training.model_loading import (
    ModelLoadError,
    generator_from_config,
    list_checkpoints,
    load_run_generator,
    restore_generator,
)

CONFIG = {"approach": "pix2pix", "image_size": 64, "ngf": 4, "ndf": 4, "norm": "batch", "upsample": "resize",
          "padding": "reflect", "depth": 6, "hints": False}
X = np.random.default_rng(0).uniform(-1, 1, (1, 64, 64, 3)).astype(np.float32)


def _scaled(model, factor: float) -> None:
    for w in model.trainable_weights:
        w.assign(w * factor)


def _run(run_dir, portable: bool, ema: bool = False):
    """A run folder with checkpoints at steps 2 and 4 (the generator's weights x1.5 between them);
    returns the generator at step 4."""
    cfg = {**CONFIG, "backend": "jax" if portable else "tensorflow", "ema": 0.9 if ema else 0.0}
    run_dir.mkdir()
    (run_dir / "config.json").write_text(json.dumps(cfg))
    model = generator_from_config(cfg)
    manager = tf.train.CheckpointManager(tf.train.Checkpoint(generator=model), str(run_dir / "checkpoints"), 5)
    for step in (2, 4):
        if step == 4:
            _scaled(model, 1.5)
        if portable:
            networks = {"generator": model}
            if ema:  # the moving average differs from the last weights: x0.5
                networks["generator_ema"] = (model, [w.numpy() * 0.5 for w in model.weights])
            portable_checkpoint.save(run_dir / "checkpoints", step, networks, {}, keep=5)
        else:
            manager.save(checkpoint_number=step)
    return model


@pytest.mark.parametrize("portable", [False, True], ids=["tensorflow", "portable"])
def test_a_run_still_training_loads_from_its_latest_checkpoint_of_either_format(tmp_path, portable):
    model = _run(tmp_path / "run", portable)
    found = list_checkpoints(tmp_path / "run")
    assert [(c.step, c.portable) for c in found] == [(2, portable), (4, portable)]
    np.testing.assert_allclose(load_run_generator(tmp_path / "run")(X, training=False), model(X, training=False),
                               atol=1e-6)
    early = generator_from_config(CONFIG)
    restore_generator(early, found[0])
    assert not np.allclose(early(X, training=False), model(X, training=False), atol=1e-4)
    other = generator_from_config({**CONFIG, "ngf": 8})
    with pytest.raises(model_loading.CheckpointMismatch):
        restore_generator(other, found[0])


def test_a_portable_checkpoint_of_an_ema_run_gives_the_moving_average(tmp_path):
    model = _run(tmp_path / "run", portable=True, ema=True)
    expected = [w.numpy() * 0.5 for w in model.weights]
    loaded = load_run_generator(tmp_path / "run")
    for got, want in zip(loaded.weights, expected, strict=True):
        np.testing.assert_allclose(got.numpy(), want, atol=1e-6)


@pytest.mark.parametrize("portable", [False, True], ids=["tensorflow", "portable"])
def test_export_checkpoint_steps_and_ranges_on_either_format(tmp_path, portable):
    run = tmp_path / "run"
    final = _run(run, portable)
    final.save(run / "generator.keras")
    src = resolve_source(run)
    mean = model_loading.load_keras_model(run / "generator.keras")
    described = restore_checkpoint(mean, src, "2-4")
    assert described.steps == 4 and described.state["checkpoint"] == "mean of 2 checkpoints: ckpt-2, ckpt-4"
    first = generator_from_config(CONFIG)
    restore_generator(first, list_checkpoints(run)[0])
    for w_mean, w_first, w_last in zip(mean.trainable_weights, first.trainable_weights, final.trainable_weights,
                                       strict=True):
        np.testing.assert_allclose(w_mean.numpy(), (w_first.numpy() + w_last.numpy()) / 2, atol=1e-6)
    with pytest.raises(SourceError, match="no such checkpoint .* kept: ckpt-2, ckpt-4"):
        restore_checkpoint(mean, src, "9")
    path = list_checkpoints(run)[0].path
    assert restore_checkpoint(mean, src, str(path)).steps == 2


def test_missing_or_foreign_models_are_plain_errors(tmp_path):
    with pytest.raises(ModelLoadError, match="no trained generator"):
        load_run_generator(tmp_path)
    (tmp_path / "bad.keras").write_bytes(b"not a zip")
    with pytest.raises(ModelLoadError, match="cannot load the Keras model"):
        model_loading.load_keras_model(tmp_path / "bad.keras")
