"""The U-Net/PatchGAN networks, the Pix2Pix losses and train step, resume, distribution, CLI."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf

from training import networks
from training.model_loading import step_of
from training.pix2pix import Pix2Pix
from training.trainer import total_variation

REPO = Path(__file__).resolve().parents[1]
TINY = ["--image-size", "64", "--ngf", "8", "--ndf", "8", "--batch-size", "2", "--limit", "6"]


def _cli(*args: str, timeout: int = 300) -> subprocess.CompletedProcess:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    return subprocess.run([sys.executable, "-m", "training", *args], cwd=REPO, env=env, text=True,
                          capture_output=True, timeout=timeout)


@pytest.mark.parametrize("size,depth", [(64, 6), (128, 7), (256, 8), (512, 8)])
@pytest.mark.parametrize("upsample,padding,norm", [("transpose", "zero", "batch"),
                                                   ("resize", "reflect", "instance")])
def test_unet_output_shapes_at_each_size(size, depth, upsample, padding, norm):
    g = networks.build_unet_generator(size, ngf=4, upsample=upsample, padding=padding, norm=norm)
    assert networks.unet_depth(size) == depth
    x = np.random.default_rng(0).uniform(-1, 1, (1, size, size, 3)).astype("float32")
    y = g(x, training=False).numpy()
    assert y.shape == (1, size, size, 3)
    assert np.abs(y).max() <= 1.0


def test_paper_sizes_unet_and_patchgan():
    g = networks.build_unet_generator(256)  # ngf 64: the paper's 54.4 M parameters
    assert g.count_params() == pytest.approx(54.4e6, rel=0.01)
    d = networks.build_patchgan_discriminator()
    assert d(np.zeros((1, 256, 256, 6), "float32")).shape == (1, 30, 30, 1)  # 70x70 patches


def test_total_variation_terms():
    img = np.zeros((1, 4, 4, 1), "float32")
    img[0, :, 2:] = 1.0  # one vertical edge of height 4
    assert float(total_variation(tf.constant(img), "l1")[0]) == pytest.approx(4.0)
    diag = np.zeros((1, 3, 3, 1), "float32")
    diag[0, 1, 1] = 1.0
    # l1 counts |dx| + |dy|; l2 takes sqrt(dx^2 + dy^2) per pixel: at (0,0)..(1,1) the centre
    # pixel gives dx=1 at (1,0), dy=1 at (0,1), and dx=-1, dy=-1 together at (1,1)
    assert float(total_variation(tf.constant(diag), "l1")[0]) == pytest.approx(4.0)
    assert float(total_variation(tf.constant(diag), "l2")[0]) == pytest.approx(2.0 + np.sqrt(2.0), abs=1e-3)


def _config(**over):
    cfg = {"image_size": 64, "ngf": 8, "ndf": 8, "norm": "batch", "upsample": "transpose", "padding": "zero",
           "lambda_l1": 100.0, "tv_loss": "l1", "lambda_tv": 1e-4, "lr": 2e-3, "d_lr": 2e-4, "beta1": 0.5,
           "beta2": 0.999, "adam_epsilon": 1e-7, "batch_size": 2}
    return {**cfg, **over}


def test_overfitting_two_pairs_lowers_l1(faces_dir):
    from training import data, pipeline

    sources = data.list_sources(faces_dir, "color", "test")[:2]
    loader = data.PairLoader(load_size=64)
    sketch, color = next(iter(pipeline.make_dataset(sources, loader, image_size=64, batch_size=2,
                                                    training=False)))
    strategy = tf.distribute.get_strategy()
    approach = Pix2Pix(_config(), strategy)
    approach.build()
    step = tf.function(approach.train_step)
    first = [float(step(sketch, color)["g_l1"]) for _ in range(3)]
    for _ in range(60):
        last = step(sketch, color)
    assert set(last) == {"g_total", "g_gan", "g_l1", "g_tv", "d"}
    assert float(last["g_l1"]) < 0.6 * np.mean(first)


def test_frozen_batch_norms_keep_their_statistics_while_the_convolutions_learn():
    """--freeze-norm (fine-tuning at batch 4 on a new mix of data): the generator's batch norms are
    not trained and a training step leaves their moving statistics as they were."""
    import keras

    x = np.random.default_rng(0).uniform(-1, 1, (2, 64, 64, 3)).astype("float32")
    approach = Pix2Pix(_config(freeze_norm=True), tf.distribute.get_strategy())
    approach.build()
    norms = [layer for layer in approach.generator.layers if isinstance(layer, keras.layers.BatchNormalization)]
    assert norms and all(not layer.trainable_weights for layer in norms)
    before = [[w.copy() for w in layer.get_weights()] for layer in norms]
    conv = next(layer for layer in approach.generator.layers if isinstance(layer, keras.layers.Conv2D))
    kernel = conv.get_weights()[0].copy()
    approach.train_step(tf.constant(x), tf.constant(x[::-1].copy()))
    for layer, old in zip(norms, before, strict=True):
        for now, then in zip(layer.get_weights(), old, strict=True):
            np.testing.assert_array_equal(now, then)
    assert not np.allclose(kernel, conv.get_weights()[0])
    learning = Pix2Pix(_config(), tf.distribute.get_strategy())  # without the flag the statistics move
    learning.build()
    stats = [layer for layer in learning.generator.layers if isinstance(layer, keras.layers.BatchNormalization)]
    mean = stats[0].get_weights()[2].copy()
    learning.train_step(tf.constant(x), tf.constant(x[::-1].copy()))
    assert not np.allclose(mean, stats[0].get_weights()[2])


@pytest.mark.slow
def test_mirrored_step_over_two_logical_cpus():
    code = """
import tensorflow as tf, numpy as np
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
from training.trainer import make_strategy
from training.pix2pix import Pix2Pix
strategy = make_strategy("mirrored")
assert strategy.num_replicas_in_sync == 2, strategy.num_replicas_in_sync
cfg = dict(image_size=64, ngf=4, ndf=4, norm="batch", upsample="transpose", padding="zero", lambda_l1=100.0,
           tv_loss="none", lambda_tv=1e-4, lr=2e-4, d_lr=2e-4, beta1=0.5, beta2=0.999, adam_epsilon=1e-7,
           batch_size=4)
with strategy.scope():
    a = Pix2Pix(cfg, strategy); a.build()
x = np.random.default_rng(0).uniform(-1, 1, (4, 64, 64, 3)).astype("float32")
ds = strategy.experimental_distribute_dataset(tf.data.Dataset.from_tensor_slices((x, x)).batch(4))
@tf.function
def step(batch):
    per_replica = strategy.run(a.train_step, args=batch)
    return {k: strategy.reduce("SUM", v, axis=None) for k, v in per_replica.items()}
before = a.generator.trainable_variables[0].numpy().copy()
out = step(next(iter(ds)))
assert np.isfinite(float(out["g_total"]))
assert not np.allclose(before, a.generator.trainable_variables[0].numpy())
print("replicas", strategy.num_replicas_in_sync)
"""
    res = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=300,
                         env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert res.returncode == 0, res.stderr[-3000:]
    assert "replicas 2" in res.stdout


def test_cli_help_lists_approaches_and_every_flag_with_default():
    top = _cli("--help")
    assert top.returncode == 0 and "pix2pix" in top.stdout
    sub = _cli("pix2pix", "--help")
    assert sub.returncode == 0
    for flag in ("--tv-loss", "--lambda-tv", "--lambda-l1", "--d-lr", "--ngf", "--data-format", "--preset",
                 "--strategy", "--checkpoint-every", "--image-size", "--upsample", "--padding"):
        assert flag in sub.stdout
    assert "default: 0.0001" in sub.stdout and "cpu-quick" in sub.stdout


def test_bad_data_folder_fails_before_any_model_is_built(tmp_path):
    (tmp_path / "train").mkdir()
    (tmp_path / "train" / "readme.txt").write_text("no images")
    res = _cli("pix2pix", "--data", str(tmp_path), "--run-dir", str(tmp_path / "run"), *TINY)
    assert res.returncode == 2
    assert "no images found" in res.stderr and "Traceback" not in res.stderr
    assert not (tmp_path / "run").exists()


def _newest_checkpoint_step(run: Path) -> int:
    return max((step_of(p.with_suffix("")) for p in (run / "checkpoints").glob("ckpt-*.index")), default=0)


@pytest.mark.slow
def test_training_run_killed_then_resumed_continues_its_step_count(faces_dir, tmp_path):
    run = tmp_path / "run"
    args = ["pix2pix", "--data", str(faces_dir), "--split", "test", "--run-dir", str(run), "--cache-dir",
            str(tmp_path / "cache"), "--checkpoint-every", "2", "--tv-loss", "l2", *TINY]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    log = tmp_path / "first-run.log"
    with log.open("wb") as sink:
        proc = subprocess.Popen([sys.executable, "-m", "training", *args, "--max-steps", "100000"], cwd=REPO,
                                env=env, stdout=sink, stderr=subprocess.STDOUT)
    try:
        # Only a guard against a hang: on a loaded 2-core machine start-up alone has taken minutes.
        # Any checkpoint at step >= 4, not ckpt-4 itself: the run keeps 3, so on a fast machine
        # ckpt-4 is pruned between two polls (CI once waited the whole guard for it).
        deadline = time.time() + 600
        while time.time() < deadline and proc.poll() is None and _newest_checkpoint_step(run) < 4:
            time.sleep(0.2)
        assert _newest_checkpoint_step(run) >= 4, \
            f"no checkpoint appeared (exit code {proc.poll()}): {log.read_text(errors='replace')[-3000:]}"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    config = json.loads((run / "config.json").read_text())
    assert config["tv_loss"] == "l2" and config["approach"] == "pix2pix" and config["depth"] == 6
    latest = step_of(tf.train.latest_checkpoint(str(run / "checkpoints")))
    res = _cli(*args, "--max-steps", str(latest + 2))
    assert res.returncode == 0, res.stderr[-3000:]
    assert "resumed from" in res.stdout and f"at step {latest}" in res.stdout
    state = json.loads((run / "state.json").read_text())
    assert state == {**state, "steps": latest + 2, "state": "finished"}
    assert (run / "generator.keras").exists()
    assert list((run / "logs").glob("events.out.tfevents.*"))
    # the saved generator loads for export and is the trained one
    import keras

    g = keras.saving.load_model(run / "generator.keras", custom_objects=networks.CUSTOM_OBJECTS, compile=False)
    assert g.output_shape == (None, None, None, 3)
    # a different architecture in the same run dir is refused, nothing deleted
    res = _cli("pix2pix", "--data", str(faces_dir), "--split", "test", "--run-dir", str(run),
               "--image-size", "128", "--ngf", "8", "--ndf", "8", "--limit", "6", "--max-steps", "1")
    assert res.returncode == 2 and "different model" in res.stderr
    assert tf.train.latest_checkpoint(str(run / "checkpoints")).endswith(f"-{latest + 2}")
