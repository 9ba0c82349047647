"""Trained generators as evaluation, hint evaluation and export read them, in one place.

- ``load_keras_model``: a saved .keras model with the project's custom layers, uncompiled.
- ``load_run_generator``: a run folder's generator: RUN/generator.keras, or for a run still
  training the networks of its config.json (``Architecture.from_config``) with its latest checkpoint.
- Checkpoints of both trainers (``list_checkpoints``, ``select_checkpoints``, ``restore_networks``):
  TensorFlow's RUN/checkpoints/ckpt-N.index/.data (tf.train.CheckpointManager) and the JAX trainer's
  portable RUN/checkpoints/ckpt-N/ folders (training/portable_checkpoint.py). A JAX run with
  ``--ema`` saves the moving average of the generator's weights as its generator.keras, so its
  checkpoints are read the same way: the generator from generator_ema.weights.h5.
- ``keras_colour``: sketches through a Keras generator as the app feeds an ONNX one (padded with
  paper to the U-Net's size multiple, hints encoded as the app encodes them, the app's rounding).
- ``onnx_generator_spec``: the manifest entry of a bare .onnx generator (no manifest beside it).
"""

from __future__ import annotations

import json
import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from training import portable_checkpoint
from training.architecture import SKETCH_CHANNELS, Architecture
from training.data import DataError

GENERATOR_FILE = "generator.keras"
CONFIG_FILE = "config.json"
CHECKPOINTS_DIR = "checkpoints"
UNET_SIZE_MULTIPLE = 256  # 2**8: any of our U-Nets takes inputs whose sides are multiples of this


class ModelLoadError(DataError):
    """A trained model that cannot be loaded; the message names the file and what to do."""


class CheckpointMismatch(ValueError):
    """The checkpoint does not hold the networks it was asked for."""


class CheckpointGone(FileNotFoundError):
    """The checkpoint was deleted (a running training keeps only its newest few)."""


# ----------------------------------------------------------------------------- Keras files

def load_keras_model(path: str | os.PathLike):
    """A saved .keras model with the project's custom layers, without compiling."""
    import keras

    from training.networks import CUSTOM_OBJECTS

    path = Path(path)
    if not path.is_file():
        raise ModelLoadError(f"{path}: no such Keras model file")
    try:
        return keras.saving.load_model(path, custom_objects=CUSTOM_OBJECTS, compile=False)
    except Exception as exc:  # Keras raises many types for a bad file; all mean the same to the user
        raise ModelLoadError(f"{path}: cannot load the Keras model ({type(exc).__name__}: "
                             f"{str(exc).splitlines()[0][:200] if str(exc) else ''}); pass a generator saved with "
                             "model.save(...)") from None


def read_config(run_dir: Path) -> dict[str, Any]:
    """RUN/config.json, or {} when there is none."""
    path = Path(run_dir) / CONFIG_FILE
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def generator_from_config(cfg: dict[str, Any]):
    """A fresh (untrained) generator with the networks a run's config describes."""
    return Architecture.from_config(cfg).build_generator()


def load_run_generator(run_dir: str | os.PathLike):
    """RUN/generator.keras; for a run still training, the networks of config.json + its latest checkpoint."""
    run_dir = Path(run_dir)
    path = run_dir / GENERATOR_FILE
    if path.is_file():
        return load_keras_model(path)
    latest = list_checkpoints(run_dir)[-1:] if (run_dir / CONFIG_FILE).is_file() else []
    if not latest:
        raise ModelLoadError(f"{path}: no trained generator (and no config.json + checkpoint) in this run "
                             "directory; train it first")
    model = generator_from_config(read_config(run_dir))
    try:
        restore_generator(model, latest[0])
    except (CheckpointMismatch, CheckpointGone) as exc:  # other networks than config.json says
        raise ModelLoadError(f"{exc}: it does not match the networks of {run_dir / CONFIG_FILE}") from None
    return model


# ----------------------------------------------------------------------------- the model's shape

def input_channels(model) -> int:
    shape = model.inputs[0].shape
    if len(shape) != 4 or shape[-1] is None:
        raise ModelLoadError(f"the generator's input must be NHWC with known channels, got {shape}")
    return int(shape[-1])


def hint_channels(model) -> int:
    """The hint channels the generator takes after the sketch's (0 for a plain generator)."""
    return input_channels(model) - SKETCH_CHANNELS


def encoder_depth(model) -> int:
    """Stride-2 convolutions on the way down: the U-Net's depth (H, W must be multiples of 2**depth)."""
    import keras

    return sum(1 for layer in model.layers
               if type(layer) is keras.layers.Conv2D and tuple(layer.strides) == (2, 2))


def size_multiple(model) -> int:
    return 2 ** encoder_depth(model)


def keras_colour(model, sketches: np.ndarray, hints: list[np.ndarray | None] | None = None) -> list[np.ndarray]:
    """N x H x W x 3 uint8 sketches (with an RGBA hint layer or None each) -> N colourings, HxWx3 uint8.

    Inference mode (training=False); the sketches padded with paper (white) at the right and bottom
    to the U-Net's size multiple; a colour-hint generator gets the hints encoded as the app encodes
    them (``core.hints.hints_to_model_input``), the padding "no hint"; other generators ignore them."""
    from ganime_desktop.core.hints import hints_to_model_input
    from ganime_desktop.core.preprocess import to_uint8

    multiple = size_multiple(model)
    n, h, w = sketches.shape[:3]
    ph, pw = -h % multiple, -w % multiple
    x = np.pad(sketches.astype(np.float32) / 127.5 - 1.0, ((0, 0), (0, ph), (0, pw), (0, 0)), constant_values=1.0)
    if hint_channels(model):
        hints = hints if hints is not None else [None] * n
        x = np.concatenate([x, np.concatenate([hints_to_model_input(layer, h, w, (-1.0, 1.0), h + ph, w + pw)
                                               for layer in hints])], axis=3)
    return list(to_uint8(np.asarray(model(x, training=False))[:, :h, :w]))


# ----------------------------------------------------------------------------- checkpoints

def step_of(prefix: str | os.PathLike) -> int | None:
    """N of a checkpoint .../ckpt-N; None for a name without a step."""
    step = os.fspath(prefix).rsplit("-", 1)[-1]
    return int(step) if step.isdigit() else None


@dataclass(frozen=True)
class Checkpoint:
    """One training checkpoint: TensorFlow's (``path`` is the prefix .../ckpt-N) or a portable one
    (``path`` is the folder .../ckpt-N/); ``ema``: the generator is read from its moving average."""

    step: int | None
    path: Path
    portable: bool
    ema: bool = False

    @property
    def name(self) -> str:
        return self.path.name

    def __str__(self) -> str:
        return str(self.path)


def _uses_ema(cfg: dict[str, Any]) -> bool:
    return float(cfg.get("ema") or 0.0) > 0 and cfg.get("backend") == "jax"


def checkpoint_at(path: str | os.PathLike, cfg: dict[str, Any] | None = None) -> Checkpoint | None:
    """The checkpoint at ``path`` (a TensorFlow prefix or a portable folder), or None."""
    path = Path(path)
    if Path(f"{path}.index").is_file():
        return Checkpoint(step_of(path), path, portable=False)
    # A run folder holds a state.json too: its config.json says it is a run, not a checkpoint.
    if path.is_dir() and (path / portable_checkpoint.STATE_FILE).is_file() and not (path / CONFIG_FILE).is_file():
        return Checkpoint(step_of(path), path, portable=True, ema=_uses_ema(cfg or {}))
    return None


def list_checkpoints(run_dir: str | os.PathLike, cfg: dict[str, Any] | None = None) -> list[Checkpoint]:
    """Every complete checkpoint kept in RUN/checkpoints (either trainer's), in step order."""
    run_dir = Path(run_dir)
    folder = run_dir / CHECKPOINTS_DIR
    if not folder.is_dir():
        return []
    cfg = read_config(run_dir) if cfg is None else cfg
    found = [Checkpoint(step_of(p.with_suffix("")), p.with_suffix(""), portable=False)
             for p in folder.glob("ckpt-*.index") if step_of(p.with_suffix("")) is not None]
    found += [Checkpoint(step, path, portable=True, ema=_uses_ema(cfg))
              for step, path in portable_checkpoint.list_checkpoints(folder)]
    return sorted(found, key=lambda c: c.step)


def select_checkpoints(run_dir: Path | None, text: str) -> list[Checkpoint]:
    """The checkpoints ``text`` names, in step order: a step N, a range of steps A-B (every one kept
    from A to B), or a checkpoint's path (a TensorFlow prefix or a portable ckpt-N folder).
    Raises ValueError saying what is kept."""
    kept = list_checkpoints(run_dir) if run_dir is not None else []
    kept_text = f"; kept: {', '.join(c.name for c in kept)}" if kept else ""
    first, _, last = text.partition("-")
    if first.isdigit() and (not last or last.isdigit()):  # N, or A-B
        if run_dir is None:
            raise ValueError("step numbers need a run directory as the source")
        lo, hi = int(first), int(last or first)
        chosen = [c for c in kept if lo <= c.step <= hi]
        if not chosen:
            raise ValueError(f"no such checkpoint in {run_dir / CHECKPOINTS_DIR}{kept_text}")
        return chosen
    found = checkpoint_at(text, read_config(run_dir) if run_dir is not None else None)
    if found is None:
        raise ValueError(f"neither {text}.index (TensorFlow) nor a {text}/ checkpoint folder (JAX) exists{kept_text}")
    return [found]


def restore_networks(checkpoint: Checkpoint, networks: dict[str, Any]) -> None:
    """Load networks (built, by the names the trainers save them under: 'generator',
    'discriminator', ...) from a checkpoint of either format.

    Raises CheckpointMismatch when the checkpoint holds other variables than the networks, and
    CheckpointGone when it was deleted meanwhile."""
    if checkpoint.portable:
        for name, model in networks.items():
            stored = "generator_ema" if name == "generator" and checkpoint.ema else name
            path = portable_checkpoint.weights_file(checkpoint.path, stored)
            if not path.is_file():
                raise CheckpointGone(f"{path}: no such file")
            with warnings.catch_warnings(record=True) as caught:  # Keras warns per layer it skips
                warnings.simplefilter("always")
                try:
                    model.load_weights(path)
                except (ValueError, KeyError) as exc:
                    raise CheckpointMismatch(f"{path} does not hold this {name} "
                                             f"({str(exc).splitlines()[0][:200]})") from None
            skipped = [w for w in caught if "freshly-initialized" in str(w.message)]
            if skipped:
                raise CheckpointMismatch(f"{path} does not hold this {name} ({str(skipped[0].message)[:200]})")
        return
    import tensorflow as tf

    try:
        tf.train.Checkpoint(**networks).restore(os.fspath(checkpoint.path)).expect_partial() \
            .assert_existing_objects_matched()
    except tf.errors.NotFoundError as exc:
        raise CheckpointGone(f"{checkpoint.path}: {str(exc).splitlines()[0][:200]}") from None
    except (AssertionError, ValueError) as exc:
        raise CheckpointMismatch(f"{checkpoint.path} does not hold this {', '.join(networks)} "
                                 f"({str(exc).splitlines()[0][:200]})") from None


def restore_generator(model, checkpoint: Checkpoint) -> None:
    """The generator's weights from a training checkpoint (saved as 'generator')."""
    restore_networks(checkpoint, {"generator": model})


# ----------------------------------------------------------------------------- ONNX

def onnx_generator_spec(path: Path, *, hint_channels: int = 0, size_multiple: int = UNET_SIZE_MULTIPLE,
                        working_size: int | None = None, name: str | None = None):
    """The manifest entry (core.manifest.ModelSpec) of a bare .onnx generator, as if its folder had a
    manifest: NHWC in [-1, 1], the sketch's 3 channels plus ``hint_channels``."""
    from ganime_desktop.core.manifest import ModelSpec, TensorSpec, describe_file

    path = Path(path)
    sizes = {"size_multiple": size_multiple, **({"working_size": working_size} if working_size else {})}
    return ModelSpec(name=name or path.stem, display_name=name or path.stem,
                     approach="pix2pix-hints" if hint_channels else "pix2pix", kind="generator", precision="fp32",
                     files={"generator": describe_file(path, path.parent)},
                     input=TensorSpec(channels=SKETCH_CHANNELS + hint_channels, hint_channels=hint_channels, **sizes),
                     output=TensorSpec(**sizes), base_dir=path.parent)
