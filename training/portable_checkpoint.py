"""Backend-portable training checkpoints (the JAX trainer's): RUN/checkpoints/ckpt-N/ holding

- ``<network>.weights.h5`` for each network, Keras' own weights format (``model.save_weights``),
  which any Keras backend loads (``model.load_weights``): TensorFlow reads what JAX wrote;
- ``generator_ema.weights.h5``: the exponential moving average of the generator's weights;
- ``optimizers.npz``: every optimizer variable by its Keras path (``adam/m_3`` ...), for resuming;
- ``state.json``: the step.

A checkpoint is written into ``ckpt-N.tmp/`` and renamed when complete, so a killed run never leaves
a half-written one; only complete ``ckpt-N`` folders count.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import numpy as np

_NAME = re.compile(r"^ckpt-(\d+)$")
STATE_FILE = "state.json"
OPTIMIZERS_FILE = "optimizers.npz"


def list_checkpoints(folder: str | os.PathLike) -> list[tuple[int, Path]]:
    """(step, path) of every complete checkpoint in ``folder``, in step order."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    found = []
    for path in folder.iterdir():
        match = _NAME.match(path.name)
        if match and path.is_dir() and (path / STATE_FILE).is_file():
            found.append((int(match.group(1)), path))
    return sorted(found)


def latest(folder: str | os.PathLike) -> Path | None:
    found = list_checkpoints(folder)
    return found[-1][1] if found else None


def weights_file(checkpoint: Path, network: str) -> Path:
    return checkpoint / f"{network}.weights.h5"


def save(folder: str | os.PathLike, step: int, networks: dict, optimizers: dict, keep: int) -> Path:
    """Write ckpt-``step`` from Keras models (``networks``: name -> model, or name -> (model, weights)
    to save other weights through that model) and optimizers; keep the ``keep`` newest."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    final = folder / f"ckpt-{step}"
    tmp = folder / f"ckpt-{step}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    for name, model in networks.items():
        if isinstance(model, tuple):
            model, weights = model
            current = [v.numpy() if hasattr(v, "numpy") else np.asarray(v) for v in model.weights]
            _assign(model.weights, weights)
            model.save_weights(weights_file(tmp, name))
            _assign(model.weights, current)
        else:
            model.save_weights(weights_file(tmp, name))
    arrays = {}
    for name, opt in optimizers.items():
        for var in opt.variables:
            arrays[f"{name}/{var.path}"] = np.asarray(var.value)
    np.savez(tmp / OPTIMIZERS_FILE, **arrays)
    (tmp / STATE_FILE).write_text(json.dumps({"step": step}) + "\n")
    if final.exists():
        shutil.rmtree(final)
    os.replace(tmp, final)
    for _, old in list_checkpoints(folder)[:-keep] if keep > 0 else []:
        shutil.rmtree(old, ignore_errors=True)
    return final


def restore(checkpoint: Path, networks: dict, optimizers: dict) -> int:
    """Load a checkpoint into models and optimizers (already built); returns its step.
    Raises ValueError naming the file when something does not match."""
    for name, model in networks.items():
        path = weights_file(checkpoint, name)
        try:
            model.load_weights(path)
        except (OSError, ValueError, KeyError) as exc:
            raise ValueError(f"{path}: does not hold this run's {name} ({str(exc).splitlines()[0][:200]})") from None
    if optimizers:
        with np.load(checkpoint / OPTIMIZERS_FILE) as saved:
            for name, opt in optimizers.items():
                for var in opt.variables:
                    key = f"{name}/{var.path}"
                    if key not in saved or saved[key].shape != tuple(var.shape):
                        raise ValueError(f"{checkpoint / OPTIMIZERS_FILE}: no matching {key}")
                    var.assign(saved[key])
    return int(json.loads((checkpoint / STATE_FILE).read_text())["step"])


def load_weights_arrays(model, path: Path) -> list[np.ndarray]:
    """The weights a .weights.h5 file holds for ``model``'s architecture, leaving the model as it was."""
    current = [np.asarray(v.numpy() if hasattr(v, "numpy") else v) for v in model.weights]
    model.load_weights(path)
    loaded = [np.asarray(v.numpy() if hasattr(v, "numpy") else v) for v in model.weights]
    _assign(model.weights, current)
    return loaded


def _assign(variables, values) -> None:
    for var, value in zip(variables, values, strict=True):
        var.assign(value)
