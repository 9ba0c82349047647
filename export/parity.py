"""Does the ONNX file compute what the Keras model computes?

fp32 exports: max |Keras - onnxruntime| over real sketches and random inputs, at two sizes, batch 2,
must stay within PARITY_TOLERANCE. fp16/int8 variants cannot meet that by design, so they are
judged as images: the paper's SSIM of the variant's colouring against the fp32 colouring of the
same real sketches, every sketch at least SSIM_THRESHOLD.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnxruntime as ort

from export.sketches import SketchSet, random_batch
from ganime_desktop.core.preprocess import to_uint8
from training.metrics import ssim
from training.progress import Progress

PARITY_TOLERANCE = 1e-4
SSIM_THRESHOLD = 0.98
PARITY_BATCH = 2


class ParityError(RuntimeError):
    """The exported model disagrees with its source; nothing was written."""


@dataclass(frozen=True)
class Probe:
    label: str
    inputs: np.ndarray


@dataclass(frozen=True)
class ParityResult:
    label: str
    shape: tuple[int, ...]
    max_abs_diff: float


def cpu_session(path: Path) -> ort.InferenceSession:
    """onnxruntime on the CPU: the reference provider, present on every machine."""
    options = ort.SessionOptions()
    options.log_severity_level = 3
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def run_session(session: ort.InferenceSession, x: np.ndarray) -> np.ndarray:
    return session.run(None, {session.get_inputs()[0].name: x})[0]


def parity_sizes(size_multiple: int) -> list[tuple[int, int]]:
    """Square at the smallest legal size, then twice as wide: checks a non-square H != W too."""
    return [(size_multiple, size_multiple), (size_multiple, 2 * size_multiple)]


def parity_probes(sketches: SketchSet | None, size_multiple: int, channels: int = 3) -> list[Probe]:
    """Real sketches (held-out split) and random inputs, batch 2, at each parity size."""
    probes = []
    for i, (h, w) in enumerate(parity_sizes(size_multiple)):
        if sketches is not None:
            batch = sketches.batch(PARITY_BATCH, h, w, offset=i)
            probes.append(Probe(f"sketches {h}x{w}", batch))
        probes.append(Probe(f"random {h}x{w}", random_batch(PARITY_BATCH, h, w, channels, seed=i)))
    return probes


def measure_parity(reference: Callable[[np.ndarray], np.ndarray], session: ort.InferenceSession,
                   probes: Sequence[Probe]) -> list[ParityResult]:
    results = []
    bar = Progress(len(probes), "parity", unit="probe")
    for probe in probes:
        expected = reference(probe.inputs)
        got = run_session(session, probe.inputs)
        if got.shape != expected.shape:
            diff = float("inf")
        else:
            diff = float(np.max(np.abs(got.astype(np.float64) - expected)))
        results.append(ParityResult(probe.label, tuple(probe.inputs.shape), diff))
        bar.update()
    return results


def format_parity(results: Sequence[ParityResult], tolerance: float = PARITY_TOLERANCE) -> str:
    return "\n".join(f"  {r.label:<22} input {'x'.join(map(str, r.shape)):<16} max |diff| {r.max_abs_diff:.3g}"
                     f"  {'ok' if r.max_abs_diff <= tolerance else 'FAIL'}" for r in results)


def require_parity(results: Sequence[ParityResult], tolerance: float = PARITY_TOLERANCE) -> None:
    worst = max(results, key=lambda r: r.max_abs_diff)
    if not worst.max_abs_diff <= tolerance:  # also catches NaN
        raise ParityError(f"ONNX output differs from Keras by {worst.max_abs_diff:.3g} on {worst.label} "
                          f"(tolerance {tolerance:g}):\n{format_parity(results, tolerance)}")


def batch_ssim(a: np.ndarray, b: np.ndarray) -> list[float]:
    """The paper's SSIM (training.metrics) per image of two NHWC outputs in [-1, 1]."""
    return [ssim(x, y) for x, y in zip(to_uint8(a), to_uint8(b), strict=True)]


@dataclass(frozen=True)
class Agreement:
    label: str
    ssims: tuple[float, ...]

    @property
    def worst(self) -> float:
        return min(self.ssims)

    @property
    def mean(self) -> float:
        return float(np.mean(self.ssims))


def measure_agreement(label: str, reference: Callable[[np.ndarray], np.ndarray],
                      session: ort.InferenceSession, sketches: np.ndarray) -> Agreement:
    """SSIM per sketch of the variant's colouring vs the reference colouring (one image at a time)."""
    ssims = []
    bar = Progress(len(sketches), label, unit="sketch")
    for sketch in sketches:
        x = sketch[None]
        ssims.extend(batch_ssim(run_session(session, x), reference(x)))
        bar.update()
    return Agreement(label, tuple(ssims))


def format_agreement(a: Agreement, threshold: float = SSIM_THRESHOLD) -> str:
    return (f"  {a.label:<22} SSIM vs reference over {len(a.ssims)} sketches: mean {a.mean:.4f}, "
            f"worst {a.worst:.4f}  {'ok' if a.worst >= threshold else 'FAIL'}")


def require_agreement(a: Agreement, threshold: float = SSIM_THRESHOLD) -> None:
    if not a.worst >= threshold:
        raise ParityError(f"{a.label}: its colourings drift from the reference (worst SSIM {a.worst:.4f}, "
                          f"needs {threshold}); keep the fp32 model\n{format_agreement(a, threshold)}")
