"""A training run's flags, config and folder, shared by every backend (no TensorFlow import, so the
JAX trainer runs where TensorFlow is not installed).

Run folder: config.json (every flag), checkpoints/ (TensorFlow: ckpt-N.index/.data written by
tf.train.CheckpointManager; JAX: ckpt-N/ folders in Keras' portable formats, training/portable_checkpoint.py),
logs/ (TensorBoard), state.json, and the final .keras models.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import signal
import sys
import time
from pathlib import Path
from typing import Any

from training import architecture
from training import data as data_lib
from training.architecture import ARCHITECTURE_KEYS
from training.errors import TrainingError
from training.networks import size_multiple, unet_depth

BACKENDS = ("tensorflow", "jax")

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
    architecture.add_arguments(g, ("depth",))
    g.add_argument("--load-size", type=int, default=None,
                   help="images are shrunk so their shorter side is this before random crops; larger "
                        "than --image-size gives crops of big pages (default: image size)")
    g.add_argument("--max-zoom", type=float, default=1.12,
                   help="random jitter: shorter side resized to size x U(1, max-zoom) (default: %(default)s)")
    g.add_argument("--paper-prob", type=float, default=0.3,
                   help="probability of placing a pair scaled down on white paper (default: %(default)s)")
    g.add_argument("--paper-scale", type=float, nargs=2, default=(0.45, 0.9), metavar=("MIN", "MAX"),
                   help="longer side of a pair placed on paper, x image size; above 1 shows part of a figure "
                        "larger than the crop (default: 0.45 0.9)")
    g.add_argument("--darkness-min", type=float, default=0.7,
                   help="line darkness factor lambda ~ U(darkness-min, 1) (default: %(default)s)")
    g.add_argument("--cache-dir", default=None, help="cache for synthesized sketches "
                   "(default: ~/.cache/ganime-studio/sketches)")
    g.add_argument("--limit", type=int, default=None, help="use only the first N images (default: all)")
    g.add_argument("--data-weights", type=float, nargs="+", default=None, metavar="W",
                   help="jax: share of the samples drawn from each --data folder, in the same order (folder i: "
                        "W_i / sum), evenly over its images; e.g. real line art at a fixed share beside large "
                        "synthesized sets (default: every image alike; name a folder twice to oversample it)")
    g.add_argument("--page-size", type=int, default=None, metavar="N",
                   help="jax: crop pairs that bring their own sketch (real line art: kaggle or paired layout) at "
                        "the app's scale: the whole page shrunk to a longer side of at most N (the model's "
                        "working size), zoomed by 0.8-1.25 only, never placed on paper (default: cropped like "
                        "the synthesized pairs)")

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
    g.add_argument("--backend", default=os.environ.get("KERAS_BACKEND", "tensorflow"), choices=BACKENDS,
                   help="Keras backend that trains: tensorflow (tf.data, tf.distribute) or jax (a jitted step; "
                        "GPUs where TensorFlow has none, e.g. Linux/WSL2 with CUDA) (default: KERAS_BACKEND or "
                        "%(default)s)")
    g.add_argument("--pool-size", type=int, default=None,
                   help="jax: training samples held ready in memory, refreshed by worker processes while the "
                        "model trains (default: 64 x batch size)")
    g.add_argument("--workers", type=int, default=None,
                   help="jax: processes that make training samples (default: CPU cores - 1)")
    g.add_argument("--ema", type=float, default=0.999,
                   help="jax: decay of the moving average of the generator's weights saved as generator.keras; "
                        "0 saves the last weights (default: %(default)s)")
    g.add_argument("--max-minutes", type=float, default=None,
                   help="stop cleanly (checkpoint and final models) after this many minutes of training "
                        "(default: no limit)")
    g.add_argument("--sketch-style", default="xdog", choices=["xdog", "mixed"],
                   help="synthesized sketches: xdog (clean ink lines), or mixed: a style drawn per sample "
                        "(ink, thin grey pencil, broken strokes, hatching, paper texture, JPEG blur; "
                        "training/sketch_styles.py); mixed needs --backend jax or the sample pool "
                        "(default: %(default)s)")


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
    cfg["depth"] = cfg.get("depth") or unet_depth(cfg["image_size"])
    cfg["size_multiple"] = size_multiple(cfg["depth"])
    cfg["command"] = "python -m training " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    return cfg




class RunDir:
    """The run directory: config.json, checkpoints/, logs/ (TensorBoard), final .keras models."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self.checkpoints = self.path / "checkpoints"
        self.logs = self.path / "logs"
        self.config_path = self.path / "config.json"

    def has_checkpoint(self) -> bool:
        """Whether either backend left a checkpoint here (TensorFlow's index file or a portable ckpt-N/)."""
        from training import portable_checkpoint

        return ((self.checkpoints / "checkpoint").is_file()
                or portable_checkpoint.latest(self.checkpoints) is not None)

    def prepare(self, cfg: dict[str, Any], resume: bool) -> None:
        if self.has_checkpoint():
            if not resume:
                raise TrainingError(f"{self.path} already holds checkpoints; drop --no-resume to continue "
                                    "that run, or choose a new --run-dir (nothing was deleted)")
            old = json.loads(self.config_path.read_text()) if self.config_path.exists() else {}
            old_backend, new_backend = old.get("backend", "tensorflow"), cfg.get("backend", "tensorflow")
            if old_backend != new_backend:
                raise TrainingError(f"{self.path} was trained with --backend {old_backend}; resume it with "
                                    f"--backend {old_backend} (export reads runs of either backend)")
            changed = [k for k in ARCHITECTURE_KEYS if k in old and old.get(k) != cfg.get(k)]
            if changed:
                diffs = ", ".join(f"{k}: {old[k]!r} -> {cfg.get(k)!r}" for k in changed)
                raise TrainingError(f"{self.path} holds a different model ({diffs}); use the same flags "
                                    "to resume, or a new --run-dir")
        self.path.mkdir(parents=True, exist_ok=True)
        write_json_atomic(self.config_path, cfg)

    def save_model(self, model, name: str) -> Path:
        """Save a .keras file atomically: a killed run never leaves a half-written model."""
        final = self.path / name
        tmp = self.path / f".{name}.tmp.keras"
        model.save(tmp)
        os.replace(tmp, final)
        return final


def write_json_atomic(path: Path, obj: Any) -> None:
    """JSON through the app's atomic write: a killed run never leaves half a config.json or state.json."""
    from ganime_desktop.core.imageio import write_text_atomic

    write_text_atomic(path, json.dumps(obj, indent=2, default=str) + "\n")



class StopRequested:
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


def prepare_data(cfg: dict[str, Any], log=print, synthesize: bool = True):
    """Scan, validate and (for colour-only data, unless ``synthesize`` is off) synthesize sketches,
    before any model is built."""
    sources = []
    for folder in cfg["data"]:
        found = data_lib.list_sources(folder, cfg["data_format"], cfg["split"])
        sources += found[: cfg["limit"]] if cfg.get("limit") else found
    cache_dir = Path(cfg["cache_dir"]) if cfg.get("cache_dir") else data_lib.default_cache_dir()
    loader = data_lib.PairLoader(load_size=cfg["load_size"], seed=cfg["seed"], cache_dir=cache_dir)
    t0 = time.perf_counter()
    sources = data_lib.prepare_sources(sources, loader, synthesize=synthesize)
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
