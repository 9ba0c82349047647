"""Start a new run from another run's weights (``--init-from``): fine-tuning on new data, or turning a
trained colouring model into a colour-hint model without training from scratch.

The networks are copied layer by layer (by name); optimizers and the step count start fresh. When a
layer gained input channels (``--hints`` adds the hint channels after the sketch's three), the new
channels get zero weights, so the warm-started model begins by colouring exactly like its source
and learns to use the new inputs from there.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

import keras
import numpy as np

from training.architecture import DEFAULTS, SKETCH_CHANNELS  # inputs: the sketch, any hint channels, colour
from training.errors import TrainingError
from training.model_loading import (
    CHECKPOINTS_DIR,
    CONFIG_FILE,
    GENERATOR_FILE,
    Checkpoint,
    CheckpointGone,
    CheckpointMismatch,
    ModelLoadError,
    checkpoint_at,
    list_checkpoints,
    load_keras_model,
    read_config,
    restore_networks,
)

SAME_FLAGS = "use the source run's --ngf, --ndf, --norm, --upsample, --padding and --image-size"


def resolve_checkpoint(source: str | Path) -> tuple[Checkpoint | None, Path]:
    """(checkpoint, run folder) for a run folder, its checkpoints/ folder, or a checkpoint inside it
    (either trainer's: RUN/checkpoints/ckpt-N of TensorFlow or the JAX trainer's ckpt-N/ folder).
    The checkpoint is None for a run folder that kept only its final generator.keras (a run brought
    back from the GPU machine), or for RUN/generator.keras itself (what a warm start from such a run
    records): then only the generator can start from it."""
    path = Path(source)
    if path.name == GENERATOR_FILE and path.is_file() and (path.parent / CONFIG_FILE).is_file():
        return None, path.parent
    checkpoint = checkpoint_at(path)
    if checkpoint is None and path.is_dir():
        run_dir = path.parent if path.name == CHECKPOINTS_DIR else path
        found = list_checkpoints(run_dir)
        if not found and (run_dir / GENERATOR_FILE).is_file() and (run_dir / CONFIG_FILE).is_file():
            return None, run_dir
        if not found:
            raise TrainingError(f"--init-from {source}: no training checkpoint in {run_dir / CHECKPOINTS_DIR}; give "
                                "a run folder that holds checkpoints/ or a checkpoint such as RUN/checkpoints/ckpt-5000")
        checkpoint = found[-1]
    elif checkpoint is None:
        raise TrainingError(f"--init-from {source}: not a run folder or a checkpoint (expected {path}.index or a "
                            f"{path}/ checkpoint folder)")
    run_dir = checkpoint.path.parent
    if run_dir.name == CHECKPOINTS_DIR:
        run_dir = run_dir.parent
    if not (run_dir / CONFIG_FILE).is_file():
        raise TrainingError(f"--init-from {source}: {run_dir / CONFIG_FILE} is missing, so the source "
                            "networks cannot be rebuilt")
    # A JAX run's generator: its moving average when the run kept one, as its generator.keras.
    return checkpoint_at(checkpoint.path, read_config(run_dir)), run_dir


def copy_weights(source: keras.Model, target: keras.Model) -> list[str]:
    """Copy every layer of ``source`` into the same-named layer of ``target``; returns the layers that
    were widened (input channels added with zero weights). Raises on any other mismatch."""
    widened = []
    source_layers = {layer.name: layer for layer in source.layers}
    for layer in target.layers:
        if not layer.weights:
            continue
        src = source_layers.get(layer.name)
        if src is None or len(src.weights) != len(layer.weights):
            raise TrainingError(f"--init-from: layer {layer.name!r} of {target.name} has no counterpart in the "
                                f"source network; the architectures differ ({SAME_FLAGS})")
        values = []
        for old, new in zip(src.get_weights(), layer.get_weights(), strict=True):
            if old.shape == new.shape:
                values.append(old)
            elif _widens_inputs(old.shape, new.shape):
                values.append(_widen(old, new.shape))
                widened.append(layer.name)
            else:
                raise TrainingError(f"--init-from: layer {layer.name!r} of {target.name} has weights "
                                    f"{new.shape} but the source has {old.shape}; the architectures differ "
                                    f"({SAME_FLAGS})")
        layer.set_weights(values)
    return sorted(set(widened))


def _widens_inputs(old: tuple, new: tuple) -> bool:
    """A conv kernel (kh, kw, in, out) whose input channels grew and nothing else changed."""
    return (len(old) == 4 and len(new) == 4 and old[:2] == new[:2] and old[3] == new[3]
            and new[2] > old[2] >= SKETCH_CHANNELS)


def _widen(kernel: np.ndarray, shape: tuple) -> np.ndarray:
    """Zero weights for the channels inserted after the sketch's: (sketch, [colour]) -> (sketch, new, [colour])."""
    out = np.zeros(shape, kernel.dtype)
    added = shape[2] - kernel.shape[2]
    out[:, :, :SKETCH_CHANNELS] = kernel[:, :, :SKETCH_CHANNELS]
    out[:, :, SKETCH_CHANNELS + added:] = kernel[:, :, SKETCH_CHANNELS:]
    return out


def warm_start(approach_cls, cfg: dict[str, Any], trackables: dict[str, Any], strategy, log=print) -> dict:
    """Load ``cfg['init_from']`` into the freshly built networks in ``trackables``; returns what was done.
    ``strategy``: the TensorFlow distribution strategy, or None (JAX)."""
    checkpoint, run_dir = resolve_checkpoint(cfg["init_from"])
    source_cfg = read_config(run_dir)
    if source_cfg.get("approach") != cfg["approach"]:
        raise TrainingError(f"--init-from {cfg['init_from']}: that run trained {source_cfg.get('approach')!r}, "
                            f"not {cfg['approach']!r}")
    if checkpoint is None:
        return _generator_only(run_dir, trackables, log)
    if strategy is None and not checkpoint.portable:
        raise TrainingError(f"--init-from {cfg['init_from']}: {checkpoint} is a TensorFlow checkpoint, which a JAX "
                            "run cannot read; start from a JAX run, or from a run folder's generator.keras")
    # Rebuild the source's networks as it configured them; network keys older runs did not record take
    # the defaults those runs had (architecture.DEFAULTS: no hints ...), the loss BCE, and no perceptual
    # VGG is needed just to read weights.
    source_cfg = {**cfg, **DEFAULTS, "gan_loss": "bce", **source_cfg, "lambda_perceptual": 0.0}
    with strategy.scope() if strategy is not None else contextlib.nullcontext():
        source = approach_cls(source_cfg, strategy).build()
    networks = {k: v for k, v in source.items() if isinstance(v, keras.Model)}
    try:
        restore_networks(checkpoint, networks)
    except (CheckpointMismatch, CheckpointGone) as exc:
        raise TrainingError(f"--init-from {cfg['init_from']}: {exc}") from None
    widened = {}
    for name, model in networks.items():
        if isinstance(trackables.get(name), keras.Model):
            widened[name] = copy_weights(model, trackables[name])
    note = "; ".join(f"{n}: {', '.join(w)} widened" for n, w in widened.items() if w)
    log(f"initialised {', '.join(widened)} from {checkpoint}" + (f" ({note}, new inputs start at zero)" if note else ""))
    return {"checkpoint": str(checkpoint), "source_step": checkpoint.step, "networks": sorted(widened),
            **_source_training(run_dir)}


def _source_training(run_dir: Path) -> dict:
    """Where and how long the source run trained (its state.json: backend, device, steps, time), so a
    fine-tuned model's provenance tells its whole history."""
    path = run_dir / "state.json"
    if not path.is_file():
        return {}
    state = json.loads(path.read_text(encoding="utf-8"))
    kept = {k: state[k] for k in ("backend", "device", "steps", "time") if state.get(k) is not None}
    return {"source_training": kept} if kept else {}


def _generator_only(run_dir: Path, trackables: dict[str, Any], log) -> dict:
    """The generator from RUN/generator.keras (the EMA weights when that run kept an average); the
    discriminator, which that run did not keep, starts fresh."""
    path = run_dir / GENERATOR_FILE
    try:
        source = load_keras_model(path)
    except ModelLoadError as exc:
        raise TrainingError(f"--init-from {run_dir}: {exc}") from None
    widened = copy_weights(source, trackables["generator"])
    history = _source_training(run_dir)
    note = f" ({', '.join(widened)} widened, new inputs start at zero)" if widened else ""
    log(f"initialised generator from {path}{note}; that run kept no checkpoint, so the discriminator starts fresh")
    return {"checkpoint": str(path), "source_step": history.get("source_training", {}).get("steps"),
            "networks": ["generator"], **history}
