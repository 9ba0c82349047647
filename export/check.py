"""``python -m export --check``: re-verify every model of a manifest.

Per model: each file exists with the recorded byte size and sha256; onnxruntime loads it and runs
a tiny input; and where the Keras source recorded in provenance is still present, Keras-vs-ONNX
parity again (max |diff| for fp32, SSIM against Keras for fp16/int8 variants).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from export import parity
from export.provenance import resolve_portable
from export.sketches import SketchSet, SketchSourceError, resolve_data_dir
from export.smoke import smoke
from ganime_desktop.core.manifest import ModelSpec, load_manifest, sha256_of

CHECK_SKETCHES = 4


@dataclass
class ModelCheck:
    name: str
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def report(self) -> str:
        lines = [f"{'OK  ' if self.ok else 'FAIL'} {self.name}"]
        lines += [f"     problem: {p}" for p in self.problems]
        lines += [f"     {n}" for n in self.notes]
        return "\n".join(lines)


def check_files(spec: ModelSpec) -> list[str]:
    problems = []
    for role, recorded in spec.files.items():
        path = spec.file_path(role)
        if not path.is_file():
            problems.append(f"{path}: missing ({role}); re-export the model or fix the manifest path")
            continue
        size = path.stat().st_size
        if size != recorded.bytes:
            problems.append(f"{path}: {size} bytes, the manifest records {recorded.bytes} (truncated or replaced)")
        digest = sha256_of(path)
        if digest != recorded.sha256:
            problems.append(f"{path}: sha256 {digest[:16]}... differs from the manifest's "
                            f"{recorded.sha256[:16]}... (damaged or replaced); re-export the model")
    return problems


def check_manifest(manifest: Path, data: Path | None = None, log: Callable[[str], None] = print) -> list[ModelCheck]:
    """Check every model; ManifestError (bad manifest) propagates, model problems are collected."""
    specs = load_manifest(manifest)
    loaded_models: dict[str, object] = {}
    checks = []
    for spec in specs:
        check = ModelCheck(spec.name)
        check.problems += check_files(spec)
        if not check.problems:
            check.problems += smoke(spec)
        if not check.problems:
            check.notes.append("files, sha256 and a test run: ok")
            if spec.kind == "generator":
                _keras_parity(spec, data, check, loaded_models)
        checks.append(check)
        log(check.report())
    return checks


def _keras_parity(spec: ModelSpec, data: Path | None, check: ModelCheck, cache: dict) -> None:
    source = spec.provenance.get("source")
    if not source or not str(source).endswith(".keras"):
        check.notes.append("no Keras source recorded: parity not re-checked")
        return
    if spec.provenance.get("checkpoint"):  # the run's generator.keras holds other weights than were exported
        check.notes.append(f"exported from {spec.provenance['checkpoint']}: parity was checked at export only")
        return
    source_path = resolve_portable(str(source), spec.base_dir)
    if source_path is None or not source_path.is_file():
        check.notes.append(f"Keras source {source_path or source} not present: parity not re-checked")
        return
    from export.convert import keras_predict
    from training.model_loading import ModelLoadError, load_keras_model

    try:
        if source not in cache:
            cache[source] = load_keras_model(source_path)
    except ModelLoadError as exc:
        check.problems.append(f"the recorded Keras source cannot be loaded: {exc}")
        return
    model = cache[source]
    reference = lambda x: keras_predict(model, x)  # noqa: E731
    recorded = spec.provenance.get("parity") or {}
    try:
        recorded_data = resolve_portable(spec.provenance.get("data"), spec.base_dir)
        data_dir, layout = resolve_data_dir(data, {"data_dir": str(recorded_data) if recorded_data else None,
                                                   "data_format": spec.provenance.get("data_format")})
        sketches = SketchSet(data_dir, layout, hint_channels=spec.input.hint_channels)
    except SketchSourceError as exc:
        sketches = None
        check.notes.append(f"no real sketches ({exc}); random inputs only")
    session = parity.cpu_session(spec.file_path("generator"))
    multiple = spec.input.size_multiple
    if spec.precision == "fp32":
        tolerance = float(recorded.get("tolerance", parity.PARITY_TOLERANCE))
        results = parity.measure_parity(reference, session, parity.parity_probes(sketches, multiple,
                                                                                  spec.input.channels))
        worst = max(r.max_abs_diff for r in results)
        if not worst <= tolerance:
            check.problems.append(f"Keras vs ONNX max |diff| {worst:.3g} > {tolerance:g}:\n"
                                  + parity.format_parity(results, tolerance))
        else:
            check.notes.append(f"Keras parity: max |diff| {worst:.3g} (tolerance {tolerance:g})")
        return
    if sketches is None:
        check.notes.append("variant SSIM not re-checked: no real sketches")
        return
    threshold = float(recorded.get("threshold", parity.SSIM_THRESHOLD))
    size = spec.input.working_size
    agreement = parity.measure_agreement(f"{spec.precision} vs keras", reference, session,
                                         sketches.batch(CHECK_SKETCHES, size, size))
    if agreement.worst < threshold:
        check.problems.append(f"SSIM vs Keras worst {agreement.worst:.4f} < {threshold}")
    else:
        check.notes.append(f"SSIM vs Keras: mean {agreement.mean:.4f}, worst {agreement.worst:.4f}")
