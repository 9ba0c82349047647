"""int8 for the CPU: build it, judge it against the float model through the app's own pipeline,
and decide whether the app runs it on the CPU.

The rule (``judge``): an int8 model becomes a model's CPU file (manifest role
``generator_int8``, ganime_desktop/core/manifest.py) only if, on the test split of every gate data
set (by default anime faces and full-body art, ../shared/data), coloured by the app's pipeline
(``Colorizer.colorize``, mode raw, at the model's working size; hint models get seeded hint strokes
on every other page, the same for both models):

- the mean SSIM (the paper's, training.metrics) of its colourings against the float model's is at
  least ``MIN_SSIM`` (0.98), and
- the mean CIEDE2000 of its colourings to the true colours differs from the float model's by at
  most ``MAX_DELTA_E_CHANGE`` (0.5).

Anything else (a split below either bound, a missing gate data set) keeps the float model on the
CPU. On CUDA the app always runs the float model (ganime_desktop/core/sessions.py).
Calibration uses the train splits of the same data sets, fed exactly as the app feeds the model.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from export.sketches import REPO, random_hint_layer
from ganime_desktop.core.manifest import ModelSpec, describe_file
from training.progress import Progress

MIN_SSIM = 0.98
MAX_DELTA_E_CHANGE = 0.5
GATE_DATA = (REPO.parent / "shared" / "data" / "anime-faces", REPO.parent / "shared" / "data" / "anime-fullbody")
CALIBRATION_PER_SET = 24  # train pages per data set (plain MinMax, faces CIEDE2000 vs fp32: 12 +0.62, 24 +0.41)
CPU_INT8_SUFFIX = ".cpu-int8.onnx"


@dataclass(frozen=True)
class SplitAgreement:
    """One gate data set: the int8 model's colourings against the float model's."""

    data: str  # the data set's folder name
    images: int
    ssim_mean: float
    ssim_worst: float
    delta_e_float: float  # mean CIEDE2000 to the truth, float model
    delta_e_int8: float

    @property
    def delta_e_change(self) -> float:
        return self.delta_e_int8 - self.delta_e_float

    def to_json(self) -> dict:
        return {**dataclasses.asdict(self), "delta_e_change": self.delta_e_change}


@dataclass(frozen=True)
class Verdict:
    passed: bool
    reasons: tuple[str, ...]  # why not, when it did not pass
    splits: tuple[SplitAgreement, ...]
    min_ssim: float
    max_delta_e_change: float
    calibration: str | None = None  # which calibration was kept (build_cpu_int8)
    alternatives: dict | None = None  # the verdicts of the calibrations not kept

    def to_json(self) -> dict:
        out = {"passed": self.passed, "reasons": list(self.reasons), "min_ssim": self.min_ssim,
               "max_delta_e_change": self.max_delta_e_change, "splits": [s.to_json() for s in self.splits]}
        if self.calibration is not None:
            out["calibration"] = self.calibration
        if self.alternatives:
            out["alternatives"] = self.alternatives
        return out

    def report(self) -> str:
        lines = [f"  {s.data:<16} {s.images:4d} images: SSIM vs float mean {s.ssim_mean:.4f} (worst "
                 f"{s.ssim_worst:.4f}), CIEDE2000 float {s.delta_e_float:.2f} -> int8 {s.delta_e_int8:.2f} "
                 f"({s.delta_e_change:+.2f})" for s in self.splits]
        verdict = "int8 is the CPU model" if self.passed else "int8 refused: " + "; ".join(self.reasons)
        return "\n".join([*lines, f"  {verdict} (needs SSIM >= {self.min_ssim}, |change| <= "
                                  f"{self.max_delta_e_change} on every split)"])


def judge(splits: Sequence[SplitAgreement], *, expected: Sequence[str] | None = None, min_ssim: float = MIN_SSIM,
          max_delta_e_change: float = MAX_DELTA_E_CHANGE) -> Verdict:
    """The selection rule. ``expected``: the data sets that must all have been measured."""
    reasons = []
    measured = {s.data for s in splits}
    for name in expected or ():
        if name not in measured:
            reasons.append(f"{name}: not measured (data missing)")
    if not splits:
        reasons.append("no gate data")
    for s in splits:
        if s.images == 0:
            reasons.append(f"{s.data}: no images")
            continue
        if not s.ssim_mean >= min_ssim:  # NaN fails too
            reasons.append(f"{s.data}: SSIM {s.ssim_mean:.4f} < {min_ssim}")
        if not abs(s.delta_e_change) <= max_delta_e_change:
            reasons.append(f"{s.data}: CIEDE2000 changes by {s.delta_e_change:+.2f} (more than {max_delta_e_change})")
    return Verdict(not reasons, tuple(reasons), tuple(splits), min_ssim, max_delta_e_change)


# --- data, as the app sees it ---------------------------------------------------------------------

def _color_sources(data_dir: Path, split: str):
    from training.data import list_sources

    return list_sources(data_dir, "color", split)


def page_and_truth(source) -> tuple[np.ndarray, np.ndarray]:
    """(sketch page RGB, true colours RGB) at the image's own size: the recorded XDoG sketch (seed 0)."""
    from ganime_desktop.core.imageio import read_image
    from training.xdog import sketch_for

    truth = read_image(source.color)
    gray = sketch_for(truth, source.key, 0)
    return np.repeat(gray[:, :, None], 3, axis=2), truth


def _hints_for(index: int, shape: tuple[int, ...], hint_channels: int) -> np.ndarray | None:
    if not hint_channels or index % 2 == 0:
        return None
    return random_hint_layer(shape[0], shape[1], np.random.default_rng(index))


def calibration_inputs(spec: ModelSpec, data_dirs: Sequence[Path], per_set: int = CALIBRATION_PER_SET) -> list[np.ndarray]:
    """1xHxWxC inputs exactly as the app builds them for ``spec`` (shrunk to the working size,
    padded with paper to the size multiple, hint channels for hint models) from train images."""
    from ganime_desktop.core.hints import has_hints, hints_to_model_input, shrink_hints
    from ganime_desktop.core.preprocess import downscale_gray, gray_to_model_input, scale_to_fit, to_gray

    inputs = []
    for data_dir in data_dirs:
        sources = _color_sources(Path(data_dir), "train")
        step = max(1, len(sources) // per_set)
        for i, source in enumerate(sources[::step][:per_set]):
            page, _ = page_and_truth(source)
            gray = to_gray(page)
            hints = _hints_for(i, gray.shape, spec.input.hint_channels)
            h, w = gray.shape
            if max(h, w) > spec.input.working_size:
                h, w = scale_to_fit(h, w, spec.input.working_size)
                gray = downscale_gray(gray, h, w)
                hints = None if hints is None else shrink_hints(hints, h, w)
            x = gray_to_model_input(gray, spec.input.value_range, spec.input.size_multiple)
            if spec.input.hint_channels:
                hint_x = (hints_to_model_input(hints, h, w, spec.input.value_range, x.shape[1], x.shape[2])
                          if hints is not None and has_hints(hints)
                          else np.zeros((*x.shape[:3], spec.input.hint_channels), np.float32))
                x = np.concatenate([x, hint_x], axis=3)
            inputs.append(x)
    return inputs


def _single_file_spec(spec: ModelSpec, path: Path) -> ModelSpec:
    return dataclasses.replace(spec, files={"generator": describe_file(path, path.parent)}, base_dir=path.parent)


def measure(spec: ModelSpec, float_path: Path, int8_path: Path, data_dirs: Sequence[Path], *,
            limit: int | None = None, log: Callable[[str], None] = print) -> list[SplitAgreement]:
    """Colour each gate test split with both files through the app's pipeline (CPU)."""
    from ganime_desktop.core.pipeline import Colorizer
    from training.metrics import mean_delta_e2000, ssim

    reference = Colorizer(_single_file_spec(spec, float_path), "cpu")
    candidate = Colorizer(_single_file_spec(spec, int8_path), "cpu")
    results = []
    for data_dir in data_dirs:
        sources = _color_sources(Path(data_dir), "test")[:limit]
        ssims, e_float, e_int8 = [], [], []
        bar = Progress(len(sources), f"int8 gate, {Path(data_dir).name}")
        for i, source in enumerate(sources):
            page, truth = page_and_truth(source)
            hints = _hints_for(i, page.shape, spec.input.hint_channels)
            a = reference.colorize(page, hints=hints)
            b = candidate.colorize(page, hints=hints)
            ssims.append(ssim(a, b))
            e_float.append(mean_delta_e2000(a, truth))
            e_int8.append(mean_delta_e2000(b, truth))
            bar.update()
        results.append(SplitAgreement(Path(data_dir).name, len(ssims), float(np.mean(ssims)) if ssims else float("nan"),
                                      float(np.min(ssims)) if ssims else float("nan"),
                                      float(np.mean(e_float)) if e_float else float("nan"),
                                      float(np.mean(e_int8)) if e_int8 else float("nan")))
    return results


CALIBRATIONS = ("minmax", "moving-average")  # tried in turn; the better one that passes is kept


def build_cpu_int8(spec: ModelSpec, float_path: Path, dst: Path, *, data_dirs: Sequence[Path] = GATE_DATA,
                   limit: int | None = None, min_ssim: float = MIN_SSIM,
                   max_delta_e_change: float = MAX_DELTA_E_CHANGE, calibrations: Sequence[str] = CALIBRATIONS,
                   log: Callable[[str], None] = print) -> Verdict:
    """Quantize ``float_path`` (calibrated on the data sets' train splits) into ``dst`` and judge
    it on their test splits; ``dst`` is written either way, the caller installs it only if the
    verdict passed. Each calibration of ``calibrations`` (activation ranges from the extremes over
    all calibration pages, or from the mean of each page's extremes) is built and judged; of those
    that pass, the one whose worst split keeps the higher SSIM to the float model is kept (on the
    shipped Pix2Pix + TV it was the extremes, on a GPU-trained one the means). ``limit``: at most
    this many test images per split (tests)."""
    from export.variants import to_int8

    present = [Path(d) for d in data_dirs if _has_split(Path(d))]
    expected = [Path(d).name for d in data_dirs]
    if not present:
        return judge([], expected=expected, min_ssim=min_ssim, max_delta_e_change=max_delta_e_change)
    calibration = calibration_inputs(spec, present)
    best: tuple[Verdict, Path] | None = None
    tried = {}
    for method in calibrations:
        candidate = dst.with_name(f".{method}.{dst.name}")
        log(f"int8 for the CPU: static QDQ, per-channel, {method} ranges from {len(calibration)} train pages of "
            + ", ".join(p.name for p in present))
        to_int8(float_path, candidate, calibration, moving_average=method == "moving-average")
        splits = measure(spec, float_path, candidate, present, limit=limit, log=log)
        verdict = judge(splits, expected=expected, min_ssim=min_ssim, max_delta_e_change=max_delta_e_change)
        log(verdict.report())
        tried[method] = verdict
        score = (verdict.passed, min(s.ssim_mean for s in splits))
        if best is None or score > (best[0].passed, min(s.ssim_mean for s in best[0].splits)):
            if best is not None:
                best[1].unlink(missing_ok=True)
            best = (verdict, candidate)
        else:
            candidate.unlink(missing_ok=True)
    verdict, path = best
    path.replace(dst)
    chosen = next(m for m, v in tried.items() if v is verdict)
    return dataclasses.replace(verdict, calibration=chosen,
                               alternatives={m: v.to_json() for m, v in tried.items() if v is not verdict})


def provenance_record(verdict: Verdict, data_dirs: Sequence[Path]) -> dict:
    """What a manifest entry records of its int8 gate (``provenance["cpu_int8"]``)."""
    return {**verdict.to_json(), "calibration_data": "train splits of " + ", ".join(Path(d).name for d in data_dirs),
            "quantization": "static QDQ, per-channel int8 weights, uint8 activations; the first and the last "
                            "convolution float32 (export/variants.py)"}


def _has_split(data_dir: Path) -> bool:
    from training.data import DataError

    try:
        _color_sources(data_dir, "test")
        _color_sources(data_dir, "train")
    except DataError:
        return False
    return True
