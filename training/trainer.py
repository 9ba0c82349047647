"""The TensorFlow trainer: tf.distribute strategy, tf.data, tf.train checkpoints with resume,
progress bar, TensorBoard, and the final saved generators.

Flags, config and the run folder are in training/run_config.py, the approach interface in
training/approach.py, the loss terms in training/losses.py (all backend-neutral); the JAX trainer
is training/jax_trainer.py.
"""

from __future__ import annotations

import math
import os
import time
from pathlib import Path
from typing import Any

import keras
import tensorflow as tf

from training import pipeline
from training.approach import Approach, adam, augment_config  # noqa: F401  (re-exported for approaches)
from training.errors import TrainingError  # noqa: F401  (re-exported for approaches)
from training.hints import hint_config, hint_overlay
from training.losses import bce_logits, l1, per_example_mean, total_variation  # noqa: F401  (re-exported)
from training.run_config import (  # noqa: F401  (re-exported: the CLI and tests import them from here)
    ARCHITECTURE_KEYS,
    RunDir,
    StopRequested,
    add_common_arguments,
    config_from_args,
    held_out_sources,
    parse_with_presets,
    prepare_data,
    write_json_atomic,
)
from training.run_lock import RunLock

# ----------------------------------------------------------------------------- strategy

def make_strategy(kind: str) -> tf.distribute.Strategy:
    """Mirrored over all visible GPUs, else the CPU; multi-worker reads TF_CONFIG."""
    if kind == "default":
        return tf.distribute.get_strategy()
    if kind == "multi-worker":
        if "TF_CONFIG" not in os.environ:
            raise TrainingError("--strategy multi-worker needs the TF_CONFIG environment variable "
                                "(cluster and task) on every worker")
        return tf.distribute.MultiWorkerMirroredStrategy()
    gpus = tf.config.list_logical_devices("GPU")
    if gpus:
        return tf.distribute.MirroredStrategy([d.name for d in gpus])
    cpus = tf.config.list_logical_devices("CPU")
    return tf.distribute.MirroredStrategy([d.name for d in cpus])


def describe_strategy(strategy: tf.distribute.Strategy) -> str:
    devices = getattr(strategy.extended, "worker_devices", ())
    return f"{type(strategy).__name__} over {strategy.num_replicas_in_sync} replica(s) {list(devices)}"


# ----------------------------------------------------------------------------- the loop

def fit(approach_cls: type[Approach], cfg: dict[str, Any], log=print) -> Path:
    """Train an approach as configured; returns the run directory."""
    run = RunDir(cfg["run_dir"])
    if cfg["batch_size"] < 1:
        raise TrainingError("--batch-size must be at least 1")
    if cfg.get("sketch_style", "xdog") != "xdog":
        raise TrainingError("--sketch-style mixed draws a sketch per sample in the sample pool, which "
                            "--backend jax uses; the TensorFlow pipeline caches one XDoG sketch per image")
    if cfg.get("lambda_hint_region", 0.0) > 0:
        raise TrainingError("--lambda-hint-region needs the hinted regions the sample pool marks: train with "
                            "--backend jax")
    from training.jax_trainer import START_PULLS, flag_of

    for key in START_PULLS:
        if cfg.get(key, 0.0) > 0:
            raise TrainingError(f"{flag_of(key)} trains with --backend jax only")
    for flag, key in (("--data-weights", "data_weights"), ("--page-size", "page_size")):
        if cfg.get(key) is not None:
            raise TrainingError(f"{flag} is the sample pool's (--backend jax); with TensorFlow, name a folder "
                                "several times in --data to weight it")
    sources, loader = prepare_data(cfg, log)  # fails fast on bad data, before any model exists
    with RunLock(run.path, log):  # one run per folder, until this process ends
        run.prepare(cfg, resume=not cfg["no_resume"])
        return _fit_locked(approach_cls, cfg, run, sources, loader, log)


def _fit_locked(approach_cls, cfg: dict[str, Any], run: RunDir, sources, loader, log) -> Path:
    keras.utils.set_random_seed(cfg["seed"])

    strategy = make_strategy(cfg["strategy"])
    log(f"strategy: {describe_strategy(strategy)}")
    if cfg["batch_size"] % strategy.num_replicas_in_sync:
        raise TrainingError(f"--batch-size {cfg['batch_size']} must be a multiple of the "
                            f"{strategy.num_replicas_in_sync} replicas")
    with strategy.scope():
        approach = approach_cls(cfg, strategy)
        trackables = approach.build()
        step = tf.Variable(0, dtype=tf.int64, trainable=False, name="global_step")
    sizes = ", ".join(f"{name} {model.count_params() / 1e6:.2f} M" for name, model in approach.saved_models().items())
    log(f"parameters: {sizes}; checkpoints in {run.checkpoints}")
    ckpt = tf.train.Checkpoint(step=step, **trackables)
    manager = tf.train.CheckpointManager(ckpt, str(run.checkpoints), max_to_keep=cfg["keep_checkpoints"])
    if manager.latest_checkpoint:
        ckpt.restore(manager.latest_checkpoint).assert_existing_objects_matched()
        log(f"resumed from {manager.latest_checkpoint} at step {int(step.numpy())}")
    elif cfg.get("init_from"):
        from training.warm_start import warm_start

        cfg["initialised_from"] = warm_start(approach_cls, cfg, trackables, strategy, log)
        write_json_atomic(run.config_path, cfg)

    steps_per_epoch = max(1, len(sources) // cfg["batch_size"])
    total_steps = cfg["max_steps"] or cfg["epochs"] * steps_per_epoch
    train_ds = approach.make_datasets(sources, loader, cfg)
    dist_ds = iter(strategy.experimental_distribute_dataset(train_ds))

    @tf.function
    def distributed_step(batch):
        losses = strategy.run(approach.train_step, args=batch)
        return {k: strategy.reduce(tf.distribute.ReduceOp.SUM, v, axis=None) for k, v in losses.items()}

    samples = _sample_batch(held_out_sources(cfg, sources, cfg["samples"]), loader, cfg)
    writer = tf.summary.create_file_writer(str(run.logs))
    start = int(step.numpy())
    if start >= total_steps:
        log(f"already trained {start} of {total_steps} steps")
    epoch = start // steps_per_epoch
    bar = None
    t_start = time.perf_counter()
    seen, t_window, compiled = 0, time.perf_counter(), False
    with StopRequested() as stop, writer.as_default():
        while int(step.numpy()) < total_steps and not stop.flag:
            s = int(step.numpy())
            if bar is None or s % steps_per_epoch == 0:
                epoch = s // steps_per_epoch + 1
                n_epochs = math.ceil(total_steps / steps_per_epoch)
                log(f"epoch {epoch}/{n_epochs}")
                bar = keras.utils.Progbar(min(steps_per_epoch, total_steps - s + s % steps_per_epoch),
                                          stateful_metrics=["img/s"])
            losses = distributed_step(next(dist_ds))
            step.assign_add(1)
            s += 1
            values = {k: float(v) for k, v in losses.items()}
            now = time.perf_counter()
            if not compiled:  # the first step traces and compiles the graph: not part of the speed
                compiled, seen, t_window = True, 0, now
                log(f"\ncompiled and ran the first step in {now - t_start:.1f} s")
            else:
                seen += cfg["batch_size"]
            rate = seen / max(now - t_window, 1e-9)
            bar.update(min((s - 1) % steps_per_epoch + 1, bar.target),
                       values=[*values.items(), ("img/s", rate)])
            if s % cfg["log_every"] == 0 or s == total_steps:
                for k, v in values.items():
                    tf.summary.scalar(f"loss/{k}", v, step=s)
                tf.summary.scalar("speed/images_per_second", rate, step=s)
                seen, t_window = 0, now
            if s % steps_per_epoch == 0 or s == total_steps:
                _write_image_grid(approach, samples, s)
            if s % cfg["checkpoint_every"] == 0:
                manager.save(checkpoint_number=s)
    final = int(step.numpy())
    if manager.latest_checkpoint is None or not manager.latest_checkpoint.endswith(f"-{final}"):
        manager.save(checkpoint_number=final)
    for name, model in approach.saved_models().items():
        run.save_model(model, name)
    state = "stopped" if final < total_steps else "finished"
    write_json_atomic(run.path / "state.json", {"steps": final, "total_steps": total_steps, "state": state,
                                                "time": time.strftime("%Y-%m-%d %H:%M:%S")})
    log(f"{state} at step {final}/{total_steps}; models and checkpoints in {run.path}")
    return run.path


def _sample_batch(sources, loader, cfg):
    ds = pipeline.make_dataset(sources, loader, image_size=cfg["image_size"], batch_size=len(sources),
                               training=False, cache_in_memory=False, drop_remainder=False,
                               seed=cfg["seed"], hints=hint_config(cfg))
    return next(iter(ds))


def _write_image_grid(approach: Approach, samples, step: int) -> None:
    """TensorBoard image: rows of sketch (with its colour hints, if any) | generated | truth."""
    sketch, color = samples
    fake = approach.generate(sketch)
    shown = hint_overlay(sketch) if sketch.shape[-1] > 3 else sketch
    rows = tf.concat([shown, fake, color], axis=2)  # side by side
    grid = tf.concat(tf.unstack(rows), axis=0)[None]
    tf.summary.image("samples/sketch_generated_truth", (grid + 1.0) / 2.0, step=step, max_outputs=1)

