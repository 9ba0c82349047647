"""CycleGAN: instance norm, the losses lowering on real faces, unpaired batches, trainA/trainB runs."""

from __future__ import annotations

import json

import cv2
import keras
import numpy as np
import pytest
import tensorflow as tf

from training import data, pipeline
from training.__main__ import main
from training.cyclegan import CycleGAN
from training.networks import CUSTOM_OBJECTS, InstanceNormalization

TINY = ["--image-size", "64", "--ngf", "8", "--ndf", "8", "--batch-size", "1"]


def _config(**over):
    cfg = {"image_size": 64, "ngf": 8, "ndf": 8, "upsample": "transpose", "padding": "zero", "lambda_cycle": 10.0,
           "lambda_identity": 0.5, "lr": 2e-4, "beta1": 0.5, "batch_size": 2}
    return {**cfg, **over}


def test_instance_norm_matches_numpy():
    x = np.random.default_rng(0).normal(3.0, 2.0, (2, 5, 7, 4)).astype(np.float32)
    layer = InstanceNormalization()
    layer.build(x.shape)
    scale, offset = np.array([1.0, 2.0, 0.5, -1.0], np.float32), np.array([0.0, 1.0, -2.0, 3.0], np.float32)
    layer.set_weights([scale, offset])
    mean = x.mean(axis=(1, 2), keepdims=True)
    var = x.var(axis=(1, 2), keepdims=True)
    want = scale * (x - mean) / np.sqrt(var + 1e-5) + offset
    np.testing.assert_allclose(layer(x).numpy(), want, rtol=1e-5, atol=1e-5)


def test_both_sides_of_the_same_pairs_are_drawn_independently(faces_dir):
    sources = data.list_sources(faces_dir, "color", "test")[:6]
    loader = data.PairLoader(load_size=64)
    cfg = {**_config(), "data": [str(faces_dir)], "split": "test", "limit": 6, "load_size": 64, "seed": 0,
           "max_zoom": 1.0, "paper_prob": 0.0, "darkness_min": 1.0, "batch_size": 1}
    keras.utils.set_random_seed(0)
    ds = CycleGAN(cfg, tf.distribute.get_strategy()).make_datasets(sources, loader, cfg)
    plain = list(pipeline.make_dataset(sources, loader, image_size=64, batch_size=1, training=False))
    sketches = [s.numpy()[0] for s, _ in plain]
    colours = [c.numpy()[0] for _, c in plain]

    def index(img, pool):  # which source this augmented (maybe mirrored) image is
        dist = [min(np.abs(img - p).mean(), np.abs(img - p[:, ::-1]).mean()) for p in pool]
        assert min(dist) < 1e-3
        return int(np.argmin(dist))

    same = sum(index(s.numpy()[0], sketches) == index(c.numpy()[0], colours) for s, c in ds.take(12))
    assert same <= 6  # independent draws: ~1 in 6 batches pair a sketch with its own colour image


def _write_unpaired(root, faces_dir):
    from training.xdog import sketch_for

    for k, name in enumerate(["0000.jpg", "0001.jpg", "0002.jpg"]):
        rgb = cv2.cvtColor(cv2.imread(str(faces_dir / "test" / name)), cv2.COLOR_BGR2RGB)
        (root / "trainB").mkdir(parents=True, exist_ok=True)
        (root / "trainA").mkdir(exist_ok=True)
        cv2.imwrite(str(root / "trainB" / name), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
        other = cv2.cvtColor(cv2.imread(str(faces_dir / "test" / f"00{10 + k}.jpg")), cv2.COLOR_BGR2RGB)
        cv2.imwrite(str(root / "trainA" / f"sketch{k}.png"), sketch_for(other, "k", 0))


def _scalars(log_dir, tag: str) -> list[float]:
    values = []
    for path in sorted(log_dir.glob("events.out.tfevents.*")):
        for event in tf.compat.v1.train.summary_iterator(str(path)):
            values += [float(tf.make_ndarray(v.tensor)) for v in event.summary.value if v.tag == tag]
    return values


@pytest.mark.slow
def test_unpaired_folders_train_lower_the_cycle_loss_save_both_generators_and_resume(faces_dir, tmp_path,
                                                                                     capsys):
    _write_unpaired(tmp_path / "data", faces_dir)
    run = tmp_path / "run"
    args = ["cyclegan", "--data", str(tmp_path / "data"), "--run-dir", str(run), "--cache-dir",
            str(tmp_path / "cache"), "--max-zoom", "1", "--paper-prob", "0", "--darkness-min", "1",
            "--lr", "5e-3", "--log-every", "1", "--checkpoint-every", "1000", "--seed", "1", *TINY]
    assert main([*args, "--max-steps", "24"]) == 0
    cycle = _scalars(run / "logs", "loss/cycle")
    assert len(cycle) == 24
    assert np.mean(cycle[-4:]) < 0.7 * np.mean(cycle[:2])  # measured: ~1.5 -> ~0.7
    # Rerun with the same target: restores all four networks and optimizers from the checkpoint
    # (assert_existing_objects_matched) and saves the models again, without training (no retrace).
    assert main([*args, "--max-steps", "24"]) == 0
    out = capsys.readouterr().out
    assert "resumed from" in out and "at step 24" in out
    assert json.loads((run / "state.json").read_text())["steps"] == 24
    assert json.loads((run / "config.json").read_text())["lambda_cycle"] == 10.0
    for name in ("generator.keras", "generator_f.keras"):
        model = keras.saving.load_model(run / name, custom_objects=CUSTOM_OBJECTS, compile=False)
        assert model.output_shape == (None, None, None, 3)
        assert any(isinstance(layer, InstanceNormalization) for layer in model.layers)


def test_empty_sketch_folder_is_a_clear_error(faces_dir, tmp_path, capsys):
    _write_unpaired(tmp_path / "data", faces_dir)
    for p in (tmp_path / "data" / "trainA").iterdir():
        p.unlink()
    rc = main(["cyclegan", "--data", str(tmp_path / "data"), "--run-dir", str(tmp_path / "run"), *TINY,
               "--max-steps", "1"])
    assert rc == 2
    assert "no sketch images found" in capsys.readouterr().err


@pytest.mark.parametrize("bad", ["--lambda-cycle"])
def test_help_lists_the_paper_defaults(bad, capsys):
    with pytest.raises(SystemExit):
        main(["cyclegan", "--help"])
    out = capsys.readouterr().out
    assert bad in out and "default: 10.0" in out and "--lambda-identity" in out
