"""What to export: a training run directory or a bare .keras file, and what the run recorded.

Run directory contract (training/trainer.py): config.json (the full training config), the final
generator.keras (sketch -> colour; CycleGAN also generator_f.keras), state.json (steps done),
checkpoints/, and optionally eval/*.json with evaluation results.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from export.provenance import portable_path
from ganime_desktop.core.errors import GanimeError
from ganime_desktop.core.manifest import APPROACHES
from training.architecture import ARCHITECTURE_KEYS
from training.model_loading import (
    CONFIG_FILE,
    GENERATOR_FILE,
    CheckpointGone,
    CheckpointMismatch,
    ModelLoadError,
    generator_from_config,
    load_keras_model,
    read_config,
    restore_generator,
    select_checkpoints,
)

STATE_FILE = "state.json"
EVAL_DIR = "eval"
# Config keys worth keeping in the manifest's provenance (the rest stay in the run directory).
CONFIG_EXCERPT_KEYS = (*ARCHITECTURE_KEYS, "load_size", "size_multiple", "tv_loss", "lambda_tv", "lambda_l1", "l1_space", "lambda_cycle",
                       "lambda_identity", "batch_size", "lr", "data_format", "split", "seed", "max_steps",
                       "no_hint_prob", "gan_loss", "lambda_perceptual")


class SourceError(GanimeError, ValueError):
    """The export source cannot be used; the message names the path and the fix."""


@dataclass(frozen=True)
class ExportSource:
    keras_path: Path | None  # None: a run still training, exported from a checkpoint (config.json builds the networks)
    run_dir: Path | None
    config: dict[str, Any] = field(default_factory=dict)
    state: dict[str, Any] = field(default_factory=dict)

    @property
    def steps(self) -> int | None:
        steps = self.state.get("steps", self.config.get("steps"))
        return int(steps) if isinstance(steps, int | float) else None

    def manifest_approach(self, override: str | None = None) -> str:
        """The manifest's approach: Pix2Pix trained with a TV loss is the paper's "pix2pix-tv", with
        colour hints (``--hints``) "pix2pix-hints"."""
        approach = override or self.config.get("approach")
        if approach == "pix2pix" and self.config.get("hints"):
            return "pix2pix-hints"
        if not approach:
            raise SourceError(f"{self.keras_path}: no config.json beside it says which approach trained it; "
                              f"pass --approach ({', '.join(APPROACHES)})")
        tv = self.config.get("tv_loss")
        if approach == "pix2pix" and tv and str(tv).lower() not in ("none", "off", "false", "0"):
            approach = "pix2pix-tv"
        if approach not in APPROACHES:
            raise SourceError(f"approach {approach!r} is not one of {', '.join(APPROACHES)}")
        return approach

    def config_excerpt(self) -> dict[str, Any]:
        return {k: self.config[k] for k in CONFIG_EXCERPT_KEYS if k in self.config}


def _read_json(path: Path, what: str) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SourceError(f"{path}: cannot read the {what} ({exc})") from None
    if not isinstance(data, dict):
        raise SourceError(f"{path}: the {what} must be a JSON object")
    return data


def resolve_source(path: str | Path, checkpoint: str | None = None) -> ExportSource:
    """A run directory (its generator.keras) or a .keras file (with its folder's config.json if any).
    With ``checkpoint``, a run still training (no generator.keras yet) is a source too."""
    path = Path(path)
    if path.is_dir():
        keras_path, run_dir = path / GENERATOR_FILE, path
        if not (run_dir / CONFIG_FILE).is_file():
            raise SourceError(f"{run_dir}: not a training run directory (no {CONFIG_FILE}); pass the run "
                              f"directory of `python -m training ...` or a .keras file")
        if not keras_path.is_file() and checkpoint is None:
            raise SourceError(f"{run_dir}: no {GENERATOR_FILE} yet; it is written when training finishes "
                              "or is stopped (Ctrl+C); or export one of its checkpoints with --checkpoint N")
        if not keras_path.is_file():
            keras_path = None
    elif path.is_file():
        if path.suffix != ".keras":
            raise SourceError(f"{path}: expected a .keras model file or a run directory")
        keras_path = path
        run_dir = path.parent if (path.parent / CONFIG_FILE).is_file() else None
    else:
        raise SourceError(f"{path}: no such run directory or .keras file")
    config = _read_json(run_dir / CONFIG_FILE, "training config") if run_dir else {}
    state_path = run_dir / STATE_FILE if run_dir else None
    state = _read_json(state_path, "training state") if state_path and state_path.is_file() else {}
    return ExportSource(keras_path.resolve() if keras_path else None, run_dir.resolve() if run_dir else None,
                        config, state)


def read_evaluation(run_dir: Path | None) -> dict[str, Any] | None:
    """Figures from RUN_DIR/eval/*.json (numbers and short texts, nested up to 3 levels), by file stem."""
    if run_dir is None or not (run_dir / EVAL_DIR).is_dir():
        return None
    figures = {}
    for path in sorted((run_dir / EVAL_DIR).glob("*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError):
            continue  # a half-written or foreign file must not block an export
        kept = _figures(data, 3)
        if kept:
            figures[path.stem] = kept
    return figures or None


def _figures(value: Any, levels: int) -> Any:
    """Keep numbers, booleans and short strings; drop per-image lists and deep nesting."""
    if isinstance(value, bool | int | float) or (isinstance(value, str) and len(value) <= 200):
        return value
    if isinstance(value, dict) and levels > 0:
        kept = {str(k): _figures(v, levels - 1) for k, v in value.items()}
        return {k: v for k, v in kept.items() if v is not None and v != {}} or None
    return None


def restore_checkpoint(model, src: ExportSource, checkpoint: str) -> ExportSource:
    """Load training checkpoint weights of the run into ``model`` (the run's generator architecture).

    ``checkpoint``: a step number (RUN/checkpoints/ckpt-N), a checkpoint's path, or a range of steps
    ``A-B``: the mean of the weights of every checkpoint kept from A to B. Either trainer's
    checkpoints (training/model_loading.py). GAN training oscillates from checkpoint to checkpoint;
    averaging their weights smooths that out (Yazici et al. 2019, "The Unusual Effectiveness of
    Averaging in GAN Training"). Choose with `evaluate --curves`.
    """
    try:
        chosen = select_checkpoints(src.run_dir, checkpoint)
    except ValueError as exc:
        raise SourceError(f"--checkpoint {checkpoint}: {exc}") from None
    total = None
    for ckpt in chosen:
        try:
            restore_generator(model, ckpt)
        except (CheckpointMismatch, CheckpointGone) as exc:
            raise SourceError(f"--checkpoint {checkpoint}: {str(exc).splitlines()[0]}") from None
        weights = model.get_weights()
        total = [t + w for t, w in zip(total, weights, strict=True)] if total else [w.astype("float64") for w in weights]
    if len(chosen) > 1:
        model.set_weights([(t / len(chosen)).astype(w.dtype) for t, w in zip(total, model.get_weights(),
                                                                              strict=True)])
    described = (portable_path(chosen[0].path) if len(chosen) == 1 else  # no absolute path in a shipped manifest
                 f"mean of {len(chosen)} checkpoints: {', '.join(c.name for c in chosen)}")
    state = {**src.state, "steps": chosen[-1].step, "checkpoint": described}
    return ExportSource(src.keras_path, src.run_dir, src.config, state)


def blend_with_start(model, src: ExportSource, share: float) -> ExportSource:
    """Move every weight of ``model`` (the fine-tuned generator) ``share`` of the way back to the
    weights the run started from (its ``--init-from``): weight-space ensembling of a fine-tune with
    its start (WiSE-FT, Wortsman et al. 2022, "Robust fine-tuning of zero-shot models"). A fine-tune
    on a small new set gains there and forgets elsewhere; along the straight line between the two
    weight sets the loss stays low (both come from one start), and a point on it keeps much of each.
    Choose ``share`` on validation pages of both kinds (docs/models.md)."""
    from training.errors import TrainingError
    from training.warm_start import resolve_checkpoint

    if not 0.0 < share < 1.0:
        raise SourceError(f"--blend-start {share}: give the start's share as a number between 0 and 1")
    # the weights the warm start actually read (recorded by training/warm_start.py), else --init-from
    start_path = (src.config.get("initialised_from") or {}).get("checkpoint") or src.config.get("init_from")
    if not start_path:
        raise SourceError(f"{src.run_dir or src.keras_path}: --blend-start needs a run that started from another "
                          "run's weights (--init-from); this one trained from scratch")
    try:
        checkpoint, start_dir = resolve_checkpoint(start_path)
        if checkpoint is None:
            start = load_keras_model(start_dir / GENERATOR_FILE)
        else:
            start = generator_from_config(read_config(start_dir))
            restore_generator(start, checkpoint)
    except (TrainingError, ModelLoadError, CheckpointMismatch, CheckpointGone) as exc:
        raise SourceError(f"--blend-start: the run's start {start_path} cannot be read "
                          f"({str(exc).splitlines()[0]}); put it back where the run found it") from None
    tuned, initial = model.get_weights(), start.get_weights()
    if [w.shape for w in tuned] != [w.shape for w in initial]:
        raise SourceError(f"--blend-start: the start {start_path} has other weight shapes than this generator "
                          "(a start widened by --hints, or other architecture flags); blend only runs whose "
                          "generator kept the start's architecture")
    model.set_weights([((1.0 - share) * t + share * i.astype("float64")).astype(t.dtype)
                       for t, i in zip(tuned, initial, strict=True)])
    described = src.state.get("checkpoint") or portable_path(src.keras_path)
    state = {**src.state, "checkpoint": f"{described}, blended with {share:g} of its start {portable_path(start_dir)}",
             "blend_start": {"share": share, "start": portable_path(start_dir)}}
    return ExportSource(src.keras_path, src.run_dir, src.config, state)
