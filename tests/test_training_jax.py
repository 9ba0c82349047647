"""Backend-portable training: the keras.ops losses against TensorFlow's, the JAX train step, a JAX
run killed and resumed, its weights exported through the TensorFlow path, and the one-shot GPU
script's dry run. JAX code runs in subprocesses: Keras picks its backend once per process."""

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

from training import losses

REPO = Path(__file__).resolve().parents[1]
TINY = ["--image-size", "64", "--ngf", "8", "--ndf", "8", "--batch-size", "2", "--limit", "6", "--workers", "1",
        "--pool-size", "16", "--log-every", "1"]

pytest.importorskip("jax")


def _env() -> dict:
    return {**os.environ, "KERAS_BACKEND": "jax", "TF_CPP_MIN_LOG_LEVEL": "3", "JAX_PLATFORMS": "cpu"}


def _python(code: str, timeout: int = 600) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], cwd=REPO, env=_env(), capture_output=True, text=True,
                          timeout=timeout)


def test_keras_ops_losses_equal_tensorflow_reference():
    rng = np.random.default_rng(0)
    images = rng.uniform(-1, 1, (3, 9, 7, 3)).astype("float32")
    logits = rng.normal(0, 3, (3, 5, 5, 1)).astype("float32")
    np.testing.assert_allclose(losses.total_variation(tf.constant(images), "l1"),
                               tf.image.total_variation(tf.constant(images)), rtol=1e-5)
    for target in (0.0, 1.0):
        ref = tf.reduce_mean(tf.reshape(tf.nn.sigmoid_cross_entropy_with_logits(
            labels=tf.fill(logits.shape, target), logits=logits), (3, -1)), axis=1)
        np.testing.assert_allclose(losses.bce_logits(tf.constant(logits), target), ref, rtol=1e-5, atol=1e-6)
    assert float(losses.average(tf.constant([1.0, 2.0, 3.0]), 6)) == pytest.approx(1.0)


def test_lab_l1_is_taken_in_the_space_colourings_are_scored_in():
    from training.metrics import srgb_to_lab

    rng = np.random.default_rng(0)
    colours = rng.integers(0, 256, (2, 500, 3)).astype(np.uint8)
    colours[:, :3] = [[255, 255, 255], [0, 0, 0], [2, 1, 3]]  # white, black, the cube root's and gamma's steep ends
    model_range = tf.constant(colours.astype("float32") / 127.5 - 1.0)
    lab = np.asarray(losses.lab_of_model_rgb(model_range)) * losses.LAB_SCALE
    np.testing.assert_allclose(lab, srgb_to_lab(colours), atol=2e-3)
    expected = np.abs(srgb_to_lab(colours[0]) - srgb_to_lab(colours[1])).mean() / losses.LAB_SCALE
    got = losses.colour_l1(model_range[:1], model_range[1:], "lab")
    assert float(got[0]) == pytest.approx(expected, rel=1e-4)
    np.testing.assert_allclose(losses.colour_l1(model_range[:1], model_range[1:], "rgb"),
                               losses.l1(model_range[:1], model_range[1:]))
    # weighted as CIEDE2000 weighs at the target's colour: lightness by S_L, a* b* by S_C
    target = srgb_to_lab(colours[1])
    s_l = 1 + 0.015 * (target[:, 0] - 50) ** 2 / np.sqrt(20 + (target[:, 0] - 50) ** 2)
    s_c = 1 + 0.045 * np.hypot(target[:, 1], target[:, 2])
    weighted = np.abs(srgb_to_lab(colours[0]) - target) / np.stack([s_l, s_c, s_c], axis=1)
    got_weighted = losses.colour_l1(model_range[:1], model_range[1:], "lab-weighted")
    assert float(got_weighted[0]) == pytest.approx(weighted.mean() / losses.LAB_SCALE, rel=1e-4)
    distance = np.sqrt((weighted**2).sum(axis=1)).mean() / losses.LAB_SCALE / 3
    got_distance = losses.colour_l1(model_range[:1], model_range[1:], "lab-distance")
    assert float(got_distance[0]) == pytest.approx(distance, rel=1e-4)
    from training.pix2pix import Pix2Pix  # --l1-space reaches the trainers' L1 (both steps call Pix2Pix.l1)

    for space, want in (("lab", got), ("lab-weighted", got_weighted), ("lab-distance", got_distance),
                        ("rgb", losses.l1(model_range[:1], model_range[1:]))):
        tuned = Pix2Pix({"batch_size": 1, "l1_space": space}).l1(model_range[:1], model_range[1:])
        np.testing.assert_allclose(tuned, want)
    with tf.GradientTape() as tape:
        tape.watch(model_range)
        total = tf.reduce_sum(losses.colour_l1(model_range, tf.zeros_like(model_range), "lab")
                              + losses.colour_l1(model_range, model_range[::-1], "lab-weighted")
                              + losses.colour_l1(model_range, model_range, "lab-distance"))  # 0 apart
    assert np.isfinite(tape.gradient(total, model_range).numpy()).all()  # none inf or NaN at the clamped ends
    with pytest.raises(ValueError, match="colour space"):
        losses.colour_l1(model_range, model_range, "hsv")


def _two_pairs_setup(faces_dir: Path) -> str:
    """Code that loads two test faces as one 64 px batch and a tiny pix2pix config ``CFG`` to vary."""
    return f"""
import numpy as np, keras
from training import data
from training.pix2pix import Pix2Pix
sources = data.list_sources({str(faces_dir)!r}, "color", "test")[:2]
loader = data.PairLoader(load_size=64)
pairs = [loader.load(s) for s in sources]
batch = {{"colour": np.stack([c[:64, :64] for c, _ in pairs]), "sketch": np.stack([s[:64, :64, None] for _, s in pairs])}}
CFG = dict(image_size=64, ngf=8, ndf=8, norm="batch", upsample="resize", padding="reflect", lambda_l1=100.0,
           tv_loss="l1", lambda_tv=1e-4, lr=2e-3, d_lr=2e-4, beta1=0.5, beta2=0.999, adam_epsilon=1e-7,
           batch_size=2, ema=0.99, hints=False)
"""


def _fine_tune_setup(faces_dir: Path, root: Path) -> str:
    """The two-pair setup and ``fine_tune(cfg, name)``: a seeded generator as a fine-tune's start, its run
    folder under ``root``, the start the pulls aim at, the step and its state."""
    return _two_pairs_setup(faces_dir) + f"""
from training.run_config import RunDir
from training.jax_trainer import make_step, initial_state, start_weights, write_back, START_WEIGHTS_FILE
base = dict(CFG, ema=0.0, freeze_norm=True, init_from="a run")

def fine_tune(cfg, name):
    keras.utils.set_random_seed(0)
    approach = Pix2Pix(cfg)
    approach.build()
    run = RunDir({str(root)!r} + "/" + name)
    run.path.mkdir(parents=True)
    anchor = start_weights(run, approach, cfg, fresh=True)
    return approach, run, anchor, make_step(approach, cfg)
"""


@pytest.mark.slow
@pytest.mark.parametrize("l1_space", ["rgb", "lab-weighted"])
def test_jax_steps_overfit_two_pairs(faces_dir, l1_space):
    code = _two_pairs_setup(faces_dir) + f"""
assert keras.backend.backend() == "jax"
from training.jax_trainer import make_step, initial_state, write_back
cfg = dict(CFG, l1_space={l1_space!r})
""" + """
keras.utils.set_random_seed(0)
approach = Pix2Pix(cfg)
approach.build()
before = approach.generator.trainable_variables[0].numpy().copy()
step = make_step(approach, cfg)
state = initial_state(approach)
first = []
for i in range(60):
    state, out = step(state, batch, None)
    if i < 3:
        first.append(float(out["g_l1"]))
last = {k: float(v) for k, v in out.items()}
write_back(approach, state)
assert set(last) == {"g_total", "g_gan", "g_l1", "g_tv", "d"}, last
assert all(np.isfinite(v) for v in last.values()), last
assert last["g_l1"] < 0.6 * np.mean(first), (first, last)
assert not np.allclose(before, approach.generator.trainable_variables[0].numpy())
print("ok", first, last["g_l1"])
"""
    res = _python(code)
    assert res.returncode == 0, res.stderr[-3000:]
    assert res.stdout.startswith("ok")


@pytest.mark.slow
def test_start_penalty_holds_the_fine_tune_near_the_weights_it_started_from(faces_dir, tmp_path):
    """L2-SP: the same steps from the same start drift far less with the penalty; the logged distance is
    the squared distance of the weights the step saw; a resumed run pulls toward the saved start."""
    code = _fine_tune_setup(faces_dir, tmp_path) + """
from training.errors import TrainingError

def distance(a, b):
    return sum(float(np.sum((np.asarray(x, np.float64) - np.asarray(y, np.float64)) ** 2)) for x, y in zip(a, b))

drift, logged = {}, []
for weight in (0.0, 3.0):
    cfg = dict(base, lambda_start_penalty=weight)
    approach, run, anchor, step = fine_tune(cfg, f"run-{weight}")
    start = [np.array(v.value) for v in approach.generator.trainable_variables]
    state = initial_state(approach)
    for i in range(25):
        before = [np.array(v) for v in state[0]]
        state, out = step(state, batch, anchor)
        if weight > 0 and i in (10, 24):
            logged.append((float(out["g_start_distance"]), distance(before, start)))
    drift[weight] = distance(state[0], start)
    if weight > 0:
        assert (run.path / START_WEIGHTS_FILE).is_file()
        write_back(approach, state)  # as a resumed run: its weights moved on from the start
        for var in approach.generator.trainable_variables:
            var.assign(np.asarray(var.value) + 0.5)
        again = start_weights(run, approach, cfg, fresh=False)
        assert distance(again[0], start) == 0.0, distance(again[0], start)
        assert distance(again[1], [v.value for v in approach.generator.non_trainable_variables]) == 0.0
        (run.path / START_WEIGHTS_FILE).unlink()
        try:
            start_weights(run, approach, cfg, fresh=False)
            raise AssertionError("a resumed run without its start weights must stop")
        except TrainingError as exc:
            assert START_WEIGHTS_FILE in str(exc) and "resume without them" in str(exc), exc
assert drift[3.0] < 0.5 * drift[0.0], drift
for got, want in logged:
    assert got > 0 and abs(got - want) <= 1e-3 * want, logged
print("ok", drift, logged)
"""
    res = _python(code)
    assert res.returncode == 0, res.stderr[-3000:]
    assert res.stdout.startswith("ok")


@pytest.mark.slow
def test_start_outputs_keep_the_start_colouring_of_drawn_sketches_only(faces_dir, tmp_path):
    """Learning without Forgetting: a sample whose sketch was drawn learns the start generator's colouring
    in place of its truth, so it keeps it; a pair with a real sketch adds nothing to the pull and still
    learns its truth (through the shared weights the pull slows it too, in this tiny net)."""
    code = _fine_tune_setup(faces_dir, tmp_path) + """
from training.model_loading import keras_colour
batch["held"] = np.array([[1], [0]], np.uint8)
sketches = np.repeat(batch["sketch"], 3, axis=3)

def colour_error(a, b):
    return [float(np.mean(np.abs(x.astype(np.float32) - y.astype(np.float32)))) for x, y in zip(a, b)]

moved = {}
for weight in (0.0, 100.0):
    cfg = dict(base, lambda_start_outputs=weight)
    approach, run, anchor, step = fine_tune(cfg, f"run-{weight}")
    assert (anchor is None) == (weight == 0)
    before = keras_colour(approach.generator, sketches)
    state = initial_state(approach)
    for i in range(30):
        state, out = step(state, batch, anchor)
    if weight > 0:
        state, none_drawn = step(state, dict(batch, held=np.zeros((2, 1), np.uint8)), anchor)
        assert float(none_drawn["g_start_outputs"]) == 0.0, none_drawn
    write_back(approach, state)
    after = keras_colour(approach.generator, sketches)
    moved[weight] = (colour_error(before, after), colour_error(before, batch["colour"]),
                     colour_error(after, batch["colour"]))
assert moved[100.0][0][0] < 0.5 * moved[0.0][0][0], moved  # the drawn sample keeps the start's colouring
assert moved[100.0][2][1] < 0.9 * moved[100.0][1][1], moved  # the real pair still learns its truth
print("ok", moved)
"""
    res = _python(code)
    assert res.returncode == 0, res.stderr[-3000:]
    assert res.stdout.startswith("ok")


def test_start_penalty_needs_a_start_and_the_jax_backend(tmp_path):
    from training import trainer
    from training.errors import TrainingError
    from training.jax_trainer import check_supported

    with pytest.raises(TrainingError, match="--init-from"):
        check_supported({"lambda_start_penalty": 1.0})
    with pytest.raises(TrainingError, match="0 \\(off\\) or more"):
        check_supported({"lambda_start_penalty": -1.0, "init_from": "runs/x"})
    check_supported({"lambda_start_penalty": 1.0, "init_from": "runs/x"})
    with pytest.raises(TrainingError, match="--lambda-start-outputs pulls"):
        check_supported({"lambda_start_outputs": 1.0})
    with pytest.raises(TrainingError, match="--lambda-start-outputs must be 0"):
        check_supported({"lambda_start_outputs": -1.0, "init_from": "runs/x"})
    with pytest.raises(TrainingError, match="--start-outputs-data chooses the folders"):
        check_supported({"start_outputs_data": ["faces"], "init_from": "runs/x"})
    check_supported({"start_outputs_data": ["faces"], "lambda_start_outputs": 100.0, "init_from": "runs/x"})
    with pytest.raises(TrainingError, match="--backend jax only"):
        trainer.fit(None, {"run_dir": str(tmp_path / "run"), "batch_size": 4, "lambda_start_penalty": 1.0})
    with pytest.raises(TrainingError, match="--lambda-start-outputs trains with --backend jax only"):
        trainer.fit(None, {"run_dir": str(tmp_path / "run"), "batch_size": 4, "lambda_start_outputs": 1.0})
    assert not (tmp_path / "run").exists()


def _newest_checkpoint(run: Path) -> int:
    from training import portable_checkpoint

    found = portable_checkpoint.list_checkpoints(run / "checkpoints")
    return found[-1][0] if found else 0


@pytest.mark.slow
def test_jax_run_killed_resumes_then_exports_through_tensorflow(faces_dir, tmp_path):
    run = tmp_path / "run"
    args = [sys.executable, "-m", "training", "pix2pix", "--backend", "jax", "--data", str(faces_dir), "--split",
            "test", "--run-dir", str(run), "--checkpoint-every", "2", "--tv-loss", "l1", "--sketch-style", "mixed",
            "--upsample", "resize", "--padding", "reflect", *TINY]
    log = tmp_path / "first.log"
    with log.open("wb") as sink:
        proc = subprocess.Popen([*args, "--max-steps", "100000"], cwd=REPO, env=_env(), stdout=sink,
                                stderr=subprocess.STDOUT)
    try:
        deadline = time.time() + 600  # a hang guard only: compilation alone takes a while on 2 busy cores
        while time.time() < deadline and proc.poll() is None and _newest_checkpoint(run) < 4:
            time.sleep(0.2)
        assert _newest_checkpoint(run) >= 4, f"exit {proc.poll()}: {log.read_text(errors='replace')[-3000:]}"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    # a checkpoint being written when the run died is never taken for a complete one
    latest = _newest_checkpoint(run)
    config = json.loads((run / "config.json").read_text())
    assert config["backend"] == "jax" and config["sketch_style"] == "mixed"
    res = subprocess.run([*args, "--max-steps", str(latest + 2)], cwd=REPO, env=_env(), capture_output=True,
                         text=True, timeout=600)
    assert res.returncode == 0, res.stderr[-3000:]
    assert f"resumed from {run / 'checkpoints' / f'ckpt-{latest}'} at step {latest}" in res.stdout
    state = json.loads((run / "state.json").read_text())
    assert state["steps"] == latest + 2 and state["state"] == "finished" and state["backend"] == "jax"
    assert (run / "logs" / "scalars.csv").read_text().startswith("step,")
    # the TensorFlow trainer refuses to resume a JAX run instead of starting over beside it
    tf_args = [a if a not in ("jax", "mixed") else {"jax": "tensorflow", "mixed": "xdog"}[a] for a in args]
    tf_res = subprocess.run([*tf_args, "--max-steps", str(latest + 4)], cwd=REPO,
                            env={**_env(), "KERAS_BACKEND": "tensorflow"}, capture_output=True, text=True, timeout=600)
    assert tf_res.returncode == 2 and "was trained with --backend jax" in tf_res.stderr, tf_res.stderr[-2000:]
    # JAX-trained weights export through tf2onnx with the usual parity gate (max |diff| <= 1e-4)
    out = tmp_path / "models"
    exp = subprocess.run([sys.executable, "-m", "export", str(run), "--name", "jax-tiny", "--out-dir", str(out)],
                         cwd=REPO, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}, capture_output=True, text=True,
                         timeout=600)
    assert exp.returncode == 0, exp.stderr[-3000:] + exp.stdout[-2000:]
    assert "FAIL" not in exp.stdout and (out / "jax-tiny.onnx").is_file()


@pytest.mark.slow
def test_jax_run_starts_from_a_run_that_kept_only_its_generator(faces_dir, tmp_path):
    """A run brought back from the GPU machine holds config.json and generator.keras, no checkpoints:
    a CPU fine-tune takes its generator (a fresh discriminator) and records where it started."""
    from training.model_loading import generator_from_config

    source = tmp_path / "from-gpu"
    source.mkdir()
    arch = {"approach": "pix2pix", "image_size": 64, "ngf": 8, "ndf": 8, "upsample": "resize", "padding": "reflect"}
    (source / "config.json").write_text(json.dumps(arch))
    generator = generator_from_config(arch)
    rng = np.random.default_rng(0)
    generator.set_weights([rng.normal(0, 0.1, w.shape).astype(w.dtype) for w in generator.get_weights()])
    generator.save(source / "generator.keras")
    (source / "state.json").write_text(json.dumps({"steps": 4315, "state": "stopped", "backend": "jax"}))

    run = tmp_path / "fine-tune"
    # learning rates 0 and no moving average: the saved generator must be the source's, weight for weight
    res = subprocess.run([sys.executable, "-m", "training", "pix2pix", "--backend", "jax", "--data", str(faces_dir),
                          "--split", "test", "--run-dir", str(run), "--init-from", str(source), "--upsample", "resize",
                          "--padding", "reflect", "--lr", "0", "--d-lr", "0", "--ema", "0", "--max-steps", "1", *TINY],
                         cwd=REPO, env=_env(), capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr[-3000:]
    assert f"initialised generator from {source / 'generator.keras'}" in res.stdout
    assert "discriminator starts fresh" in res.stdout
    started = json.loads((run / "config.json").read_text())["initialised_from"]
    assert started == {"checkpoint": str(source / "generator.keras"), "source_step": 4315, "networks": ["generator"],
                       "source_training": {"backend": "jax", "steps": 4315}}
    from training.model_loading import load_keras_model

    tuned = load_keras_model(run / "generator.keras")
    for before, after in zip(generator.trainable_weights, tuned.trainable_weights, strict=True):
        np.testing.assert_array_equal(np.asarray(before), np.asarray(after))


@pytest.mark.slow
def test_device_script_dry_run_trains_returns_and_unpacks(tmp_path):
    res = subprocess.run([sys.executable, "scripts/device_train.py", "dry-run", "--keep", str(tmp_path)], cwd=REPO,
                         env=_env(), capture_output=True, text=True, timeout=900)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-2000:]
    returned = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert len(returned) <= 8 and all((tmp_path / "out" / n).stat().st_size <= 16 * 2**20 for n in returned)
    for name in ("gpu-p2p-tv", "gpu-p2p-hints"):
        run = tmp_path / "runs" / name
        assert (run / "generator.keras").stat().st_size > 0
        cfg = json.loads((run / "config.json").read_text())
        assert cfg["backend"] == "jax" and cfg["sketch_style"] == "mixed"
        assert cfg["data"][0].endswith("anime-faces")  # relocated to the shared data for export and evaluation
        # the real line art travels too, at its own share, cropped at the app's scale (issue 29)
        assert cfg["data"][-1].endswith("sketch-pairs-real") and len(cfg["data_weights"]) == len(cfg["data"])
        assert cfg["page_size"] == 512
    packed = sorted((tmp_path / "device" / "data" / "real" / "train").glob("*.jpg"))
    assert packed and not (tmp_path / "device" / "data" / "real" / "test").exists()  # never the test split
    hint_cfg = json.loads((tmp_path / "runs" / "gpu-p2p-hints" / "config.json").read_text())
    assert hint_cfg["hints"] is True and hint_cfg["hint_placement"] == "parts" and hint_cfg["lambda_hint_region"] > 0


def test_device_script_packs_a_start_only_for_the_fine_tune_plan():
    for args in (["--plan", "finetune"], ["--start", "runs/x"]):
        res = subprocess.run([sys.executable, "scripts/device_train.py", "pack", *args], cwd=REPO, env=_env(),
                             capture_output=True, text=True, timeout=120)
        assert res.returncode == 2 and "--plan finetune and --start RUN" in res.stderr, (args, res.stderr[-500:])


@pytest.mark.slow
def test_device_script_fine_tune_plan_starts_from_the_packed_generator(tmp_path, real_pairs_dir):
    """--plan finetune: the start travels as fp16 weights, is rebuilt there, and the run fine-tunes it with
    run R's pulls; the real pairs that travel leave the validation pages out."""
    from training.real_validation import held_out

    res = subprocess.run([sys.executable, "scripts/device_train.py", "dry-run", "--plan", "finetune", "--keep",
                          str(tmp_path)], cwd=REPO, env=_env(), capture_output=True, text=True, timeout=900)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-2000:]
    assert "packed the start" in res.stdout and "restored the start" in (tmp_path / "remote-runs" / "start.log").read_text()
    cfg = json.loads((tmp_path / "runs" / "gpu-p2p-tv-ft" / "config.json").read_text())
    start = tmp_path / "remote-runs" / "start"
    assert cfg["initialised_from"]["checkpoint"] == str(start / "generator.keras")
    assert cfg["freeze_norm"] and cfg["lambda_start_penalty"] == 10 and cfg["lambda_start_outputs"] == 370
    assert cfg["l1_space"] == "lab-distance" and cfg["lambda_l1"] == 370  # the shipped default's recipe (run Y)
    assert cfg["start_outputs_data"] == [str(tmp_path / "device" / "data" / "scenes")]
    packed = {p.name for p in (tmp_path / "device" / "data" / "real" / "train").glob("*.jpg")}
    val = held_out(sorted(p.name for p in (real_pairs_dir / "train").iterdir()))
    assert packed and val and not packed & {Path(n).stem + ".jpg" for n in val}
    from training.model_loading import load_keras_model

    tiny, restored = (load_keras_model(tmp_path / d / "generator.keras") for d in ("tiny-start", "remote-runs/start"))
    for before, after in zip(tiny.weights, restored.weights, strict=True):  # fp16 on the way, nothing lost else
        np.testing.assert_allclose(np.asarray(after), np.asarray(before), rtol=1e-3, atol=1e-4)
