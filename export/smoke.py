"""Can onnxruntime load a manifest entry's files and run a tiny input through them?

Shared by ``--check`` and the fast-nst export. Returns a list of problems (empty = fine), each a
sentence naming the file; never raises for a broken model.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from export.parity import cpu_session, run_session
from ganime_desktop.core.manifest import CPU_INT8_ROLE, ModelSpec


def _load(path: Path, problems: list[str]):
    try:
        return cpu_session(path)
    except Exception as exc:  # onnxruntime raises several types for a damaged file
        problems.append(f"{path}: onnxruntime cannot load it ({type(exc).__name__}: {str(exc)[:300]})")
        return None


def smoke_generator(spec: ModelSpec) -> list[str]:
    """One random input of the smallest legal size through every file of the generator (its int8
    CPU model too); output must be (1, m, m, 3), finite, in range."""
    problems: list[str] = []
    for role in ("generator", CPU_INT8_ROLE):
        if role in spec.files:
            problems += _smoke_generator_file(spec, spec.file_path(role))
    return problems


def _smoke_generator_file(spec: ModelSpec, path: Path) -> list[str]:
    problems: list[str] = []
    session = _load(path, problems)
    if session is None:
        return problems
    m = max(1, spec.input.size_multiple)
    x = np.random.default_rng(0).uniform(*spec.input.value_range, size=(1, m, m, spec.input.channels))
    try:
        y = run_session(session, x.astype(np.float32))
    except Exception as exc:
        return [f"{path}: running a 1x{m}x{m}x{spec.input.channels} input failed ({exc})"]
    low, high = spec.output.value_range
    if y.shape != (1, m, m, spec.output.channels):
        problems.append(f"{path}: output shape {y.shape}, expected {(1, m, m, spec.output.channels)}")
    elif not np.all(np.isfinite(y)):
        problems.append(f"{path}: the output holds NaN or infinity")
    elif y.min() < low - 1e-3 or y.max() > high + 1e-3:
        problems.append(f"{path}: output range [{y.min():.3g}, {y.max():.3g}] outside [{low}, {high}]")
    return problems


def smoke_style_pair(predict: Path, transform: Path) -> list[str]:
    """A style through the app's own StyleTransfer (style vector, 384x384 transform, crop back)."""
    from ganime_desktop.core.style_transfer import StyleTransfer

    problems: list[str] = []
    p_sess, t_sess = _load(predict, problems), _load(transform, problems)
    if problems:
        return problems
    rng = np.random.default_rng(0)
    content = rng.integers(0, 256, size=(120, 200, 3), dtype=np.uint8)
    reference = rng.integers(0, 256, size=(300, 260, 3), dtype=np.uint8)
    try:
        pair = StyleTransfer(p_sess, t_sess)
        vector = pair.style_vector(reference)
        out = pair.stylize(content, reference)
    except Exception as exc:  # a wrong file in either role fails here in many ways
        return [f"{predict} + {transform}: stylizing a test image failed ({type(exc).__name__}: "
                f"{str(exc)[:300]})"]
    if not np.all(np.isfinite(vector)):
        problems.append(f"{predict}: the style vector holds NaN or infinity")
    if out.shape != content.shape:
        problems.append(f"{transform}: stylized shape {out.shape}, expected {content.shape}")
    return problems


def smoke(spec: ModelSpec) -> list[str]:
    if spec.kind == "generator":
        return smoke_generator(spec)
    return smoke_style_pair(spec.file_path("style_predict"), spec.file_path("transform"))
