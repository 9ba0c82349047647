"""What every GAN approach shares: run directory and config, tf.distribute strategy, data,
checkpoints with resume, progress bar, TensorBoard, and the final saved generators.

An approach subclasses ``Approach`` (the shape of junyanz/pytorch-CycleGAN-and-pix2pix's
BaseModel): it adds its own flags, builds its networks and optimizers under the strategy's
scope, and defines one per-replica ``train_step``. ``fit`` runs the rest.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shlex
import signal
import sys
import time
from pathlib import Path
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from training import data as data_lib
from training import pipeline
from training.errors import TrainingError  # noqa: F401  (re-exported for approaches)
from training.hints import hint_config, hint_overlay
from training.networks import size_multiple, unet_depth

# ----------------------------------------------------------------------------- flags and config

def add_common_arguments(parser: argparse.ArgumentParser) -> None:
    g = parser.add_argument_group("data")
    g.add_argument("--data", required=True, nargs="+", metavar="DIR",
                   help="dataset root folder(s); several are mixed (default: %(default)s)")
    g.add_argument("--data-format", default="auto", choices=["auto", *data_lib.LAYOUTS],
                   help="dataset layout: kaggle (colour|sketch side by side), paired (sketch/ + color/), "
                        "color (colour only; sketches by XDoG) (default: %(default)s)")
    g.add_argument("--split", default="train", help="split folder to train on (default: %(default)s)")
    g.add_argument("--image-size", type=int, default=256, choices=[64, 128, 256, 512],
                   help="training crop size (default: %(default)s)")
    g.add_argument("--load-size", type=int, default=None,
                   help="images are shrunk so their shorter side is this before random crops; larger "
                        "than --image-size gives crops of big pages (default: image size)")
    g.add_argument("--max-zoom", type=float, default=1.12,
                   help="random jitter: shorter side resized to size x U(1, max-zoom) (default: %(default)s)")
    g.add_argument("--paper-prob", type=float, default=0.3,
                   help="probability of placing a pair scaled down on white paper (default: %(default)s)")
    g.add_argument("--darkness-min", type=float, default=0.7,
                   help="line darkness factor lambda ~ U(darkness-min, 1) (default: %(default)s)")
    g.add_argument("--cache-dir", default=None, help="cache for synthesized sketches "
                   "(default: ~/.cache/ganime-studio/sketches)")
    g.add_argument("--limit", type=int, default=None, help="use only the first N images (default: all)")

    g = parser.add_argument_group("run")
    g.add_argument("--run-dir", required=True, help="folder for checkpoints, logs, config and the final "
                   "models; rerunning with the same folder resumes (default: %(default)s)")
    g.add_argument("--batch-size", type=int, default=1, help="global batch size (default: %(default)s)")
    g.add_argument("--epochs", type=int, default=150, help="training epochs (default: %(default)s)")
    g.add_argument("--max-steps", type=int, default=None,
                   help="stop after this many steps in total (default: epochs x steps per epoch)")
    g.add_argument("--seed", type=int, default=0, help="random seed (default: %(default)s)")
    g.add_argument("--checkpoint-every", type=int, default=500,
                   help="save a checkpoint every N steps (default: %(default)s)")
    g.add_argument("--keep-checkpoints", type=int, default=3, help="checkpoints kept (default: %(default)s)")
    g.add_argument("--init-from", default=None, metavar="RUN_OR_CKPT",
                   help="start from another run's networks (a run folder or RUN/checkpoints/ckpt-N): fine-tune on "
                        "new data, or add --hints to a trained model (the new input channels start at zero); "
                        "optimizers and the step count start fresh; ignored when resuming (default: none)")
    g.add_argument("--no-resume", action="store_true",
                   help="refuse to continue from the checkpoints in --run-dir (default: resume)")
    g.add_argument("--log-every", type=int, default=50, help="TensorBoard scalars every N steps "
                   "(default: %(default)s)")
    g.add_argument("--samples", type=int, default=4, help="held-out images in the TensorBoard grid "
                   "(default: %(default)s)")
    g.add_argument("--strategy", default="mirrored", choices=["mirrored", "multi-worker", "default"],
                   help="tf.distribute strategy: mirrored over all visible GPUs (CPU otherwise), "
                        "multi-worker from TF_CONFIG, or default (no distribution) (default: %(default)s)")
    g.add_argument("--preset", default=None, help="a named set of defaults; explicit flags win")


def parse_with_presets(parser: argparse.ArgumentParser, argv: list[str], presets: dict[str, dict]):
    """Parse twice: once to find --preset, then with the preset's values as the defaults."""
    known, _ = parser.parse_known_args(argv)
    if known.preset:
        if known.preset not in presets:
            parser.error(f"unknown --preset {known.preset!r}; choose from {', '.join(presets)}")
        parser.set_defaults(**presets[known.preset])
    return parser.parse_args(argv)


def config_from_args(args: argparse.Namespace, approach: str) -> dict[str, Any]:
    cfg = {k: v for k, v in vars(args).items() if k not in ("func",)}
    cfg["approach"] = approach
    cfg["load_size"] = cfg.get("load_size") or cfg["image_size"]
    cfg["data_dir"] = cfg["data"][0]  # the first folder: held-out samples, export parity, evaluation
    cfg["depth"] = unet_depth(cfg["image_size"])
    cfg["size_multiple"] = size_multiple(cfg["depth"])
    cfg["command"] = "python -m training " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    return cfg


# Keys that must match to resume: they define the networks' variables.
ARCHITECTURE_KEYS = ("approach", "image_size", "ngf", "ndf", "norm", "upsample", "padding", "depth", "hints")


class RunDir:
    """The run directory: config.json, checkpoints/, logs/ (TensorBoard), final .keras models."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self.checkpoints = self.path / "checkpoints"
        self.logs = self.path / "logs"
        self.config_path = self.path / "config.json"

    def has_checkpoint(self) -> bool:
        return tf.train.latest_checkpoint(str(self.checkpoints)) is not None

    def prepare(self, cfg: dict[str, Any], resume: bool) -> None:
        if self.has_checkpoint():
            if not resume:
                raise TrainingError(f"{self.path} already holds checkpoints; drop --no-resume to continue "
                                    "that run, or choose a new --run-dir (nothing was deleted)")
            old = json.loads(self.config_path.read_text()) if self.config_path.exists() else {}
            changed = [k for k in ARCHITECTURE_KEYS if k in old and old.get(k) != cfg.get(k)]
            if changed:
                diffs = ", ".join(f"{k}: {old[k]!r} -> {cfg.get(k)!r}" for k in changed)
                raise TrainingError(f"{self.path} holds a different model ({diffs}); use the same flags "
                                    "to resume, or a new --run-dir")
        self.path.mkdir(parents=True, exist_ok=True)
        write_json_atomic(self.config_path, cfg)

    def save_model(self, model: keras.Model, name: str) -> Path:
        """Save a .keras file atomically: a killed run never leaves a half-written model."""
        final = self.path / name
        tmp = self.path / f".{name}.tmp.keras"
        model.save(tmp)
        os.replace(tmp, final)
        return final


def write_json_atomic(path: Path, obj: Any) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(obj, indent=2, default=str) + "\n")
    os.replace(tmp, path)


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


# ----------------------------------------------------------------------------- losses shared by approaches

def per_example_mean(x: tf.Tensor) -> tf.Tensor:
    """Mean over every axis but the batch."""
    return tf.reduce_mean(tf.reshape(x, [tf.shape(x)[0], -1]), axis=1)


def bce_logits(logits: tf.Tensor, target: float) -> tf.Tensor:
    """Per-example binary cross-entropy from logits against a constant target (PatchGAN maps)."""
    labels = tf.fill(tf.shape(logits), target)
    return per_example_mean(tf.nn.sigmoid_cross_entropy_with_logits(labels=labels, logits=logits))


def l1(a: tf.Tensor, b: tf.Tensor) -> tf.Tensor:
    return per_example_mean(tf.abs(a - b))


def total_variation(images: tf.Tensor, kind: str) -> tf.Tensor:
    """Per-example total variation, summed over pixels like tf.image.total_variation.

    ``l1``: anisotropic, sum |dx| + |dy| (exactly tf.image.total_variation);
    ``l2``: isotropic, sum sqrt(dx^2 + dy^2).
    """
    if kind == "l1":
        return tf.image.total_variation(images)
    if kind == "l2":
        dy = images[:, 1:, :-1, :] - images[:, :-1, :-1, :]
        dx = images[:, :-1, 1:, :] - images[:, :-1, :-1, :]
        return tf.reduce_sum(tf.sqrt(dx * dx + dy * dy + 1e-8), axis=[1, 2, 3])
    raise ValueError(f"unknown TV loss {kind!r}")


# ----------------------------------------------------------------------------- the approach interface

class Approach:
    """One trainable approach. Subclasses set ``name`` and implement the hooks."""

    name = "base"
    description = ""
    presets: dict[str, dict[str, Any]] = {}

    @classmethod
    def add_arguments(cls, parser: argparse.ArgumentParser) -> None:
        """Approach-specific flags (called after the common ones)."""

    def __init__(self, cfg: dict[str, Any], strategy: tf.distribute.Strategy):
        self.cfg = cfg
        self.strategy = strategy
        self.global_batch = cfg["batch_size"]

    def build(self) -> dict[str, Any]:
        """Create networks and optimizers (inside the strategy scope); return the trackables to
        checkpoint, by name."""
        raise NotImplementedError

    def train_step(self, sketch: tf.Tensor, color: tf.Tensor) -> dict[str, tf.Tensor]:
        """One per-replica step; returns the replica's loss terms (already averaged with
        ``self.average``), summed across replicas by ``fit``."""
        raise NotImplementedError

    def generate(self, sketch: tf.Tensor) -> tf.Tensor:
        """Sketch -> colour in inference mode (training=False)."""
        raise NotImplementedError

    def saved_models(self) -> dict[str, keras.Model]:
        """Final models to save as .keras files: {'generator.keras': G, ...}."""
        raise NotImplementedError

    def make_datasets(self, sources, loader, cfg) -> tf.data.Dataset:
        """Training batches of (sketch, colour); CycleGAN overrides it to unpair the sides."""
        return pipeline.make_dataset(
            sources, loader, image_size=cfg["image_size"], batch_size=self.global_batch, training=True,
            augment_cfg=augment_config(cfg), seed=cfg["seed"],
            cache_in_memory=pipeline.fits_in_memory(sources, cfg["load_size"]), repeat=True,
            hints=hint_config(cfg))

    def average(self, per_example: tf.Tensor) -> tf.Tensor:
        return tf.nn.compute_average_loss(per_example, global_batch_size=self.global_batch)


def augment_config(cfg: dict[str, Any]) -> pipeline.AugmentConfig:
    return pipeline.AugmentConfig(max_zoom=cfg["max_zoom"], paper_prob=cfg["paper_prob"],
                                  darkness_min=cfg["darkness_min"])


def adam(lr: float, beta_1: float = 0.5, beta_2: float = 0.999, epsilon: float = 1e-7) -> keras.optimizers.Adam:
    return keras.optimizers.Adam(learning_rate=lr, beta_1=beta_1, beta_2=beta_2, epsilon=epsilon)


# ----------------------------------------------------------------------------- the loop

class _StopRequested:
    """SIGTERM/SIGINT set a flag; the loop saves a checkpoint and exits cleanly."""

    def __init__(self):
        self.flag = False
        self._old = {}

    def __enter__(self):
        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                self._old[sig] = signal.signal(sig, self._handle)
            except ValueError:  # not the main thread
                pass
        return self

    def _handle(self, signum, frame):
        if self.flag:  # a second Ctrl+C: stop now
            raise KeyboardInterrupt
        self.flag = True
        print("\nstopping: saving a checkpoint (press Ctrl+C again to abort at once)", file=sys.stderr)

    def __exit__(self, *exc):
        for sig, old in self._old.items():
            signal.signal(sig, old)


def prepare_data(cfg: dict[str, Any], log=print):
    """Scan, validate and (for colour-only data) synthesize sketches, before any model is built."""
    sources = []
    for folder in cfg["data"]:
        found = data_lib.list_sources(folder, cfg["data_format"], cfg["split"])
        sources += found[: cfg["limit"]] if cfg.get("limit") else found
    cache_dir = Path(cfg["cache_dir"]) if cfg.get("cache_dir") else data_lib.default_cache_dir()
    loader = data_lib.PairLoader(load_size=cfg["load_size"], seed=cfg["seed"], cache_dir=cache_dir)
    t0 = time.perf_counter()
    sources = data_lib.prepare_sources(sources, loader)
    log(f"data: {len(sources)} pairs from {', '.join(cfg['data'])} "
        f"(checked in {time.perf_counter() - t0:.1f} s)")
    return sources, loader


def held_out_sources(cfg: dict[str, Any], train_sources, count: int):
    """Fixed images for the TensorBoard grid: the test/val split when there is one."""
    root = Path(cfg["data"][0])
    for split in ("test", "val"):
        if split != cfg["split"] and (root / split).is_dir():
            try:
                return data_lib.list_sources(root, cfg["data_format"], split)[:count]
            except data_lib.DataError:
                pass
    return train_sources[:count]


def fit(approach_cls: type[Approach], cfg: dict[str, Any], log=print) -> Path:
    """Train an approach as configured; returns the run directory."""
    run = RunDir(cfg["run_dir"])
    if cfg["batch_size"] < 1:
        raise TrainingError("--batch-size must be at least 1")
    sources, loader = prepare_data(cfg, log)  # fails fast on bad data, before any model exists
    run.prepare(cfg, resume=not cfg["no_resume"])
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
    seen, t_window = 0, time.perf_counter()
    with _StopRequested() as stop, writer.as_default():
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
            seen += cfg["batch_size"]
            values = {k: float(v) for k, v in losses.items()}
            now = time.perf_counter()
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


def to_uint8(images: tf.Tensor | np.ndarray) -> np.ndarray:
    return np.clip((np.asarray(images) + 1.0) * 127.5 + 0.5, 0, 255).astype(np.uint8)
