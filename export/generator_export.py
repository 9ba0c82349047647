"""Export one trained generator: ONNX + parity + optional fp16/int8 variants + manifest entries.

The graph tf2onnx makes is rewritten to do only the network's work (export/clean_graph.py: one
Resize per upsampling, channels-first inside, sub-pixel convolutions) before anything else, so
the parity check against Keras judges the graph that ships. ``cpu_int8`` adds an int8 model the
app runs on the CPU, kept only if it passes the int8 gate (export/cpu_int8.py).

All or nothing: every file is written into a hidden temp folder inside the output folder and
checked there; only when every requested model has passed its check are the files moved into
place (os.replace) and the manifest rewritten (atomically, by write_manifest). A refused export
leaves the output folder as it was.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from export import convert, parity, variants
from export.clean_graph import clean_generator
from export.cpu_int8 import CPU_INT8_SUFFIX, GATE_DATA, build_cpu_int8, provenance_record
from export.manifest_entry import check_name, display_name_for, export_date, generator_entry, variant_name
from export.provenance import portable_path, training_record
from export.run_source import blend_with_start, read_evaluation, resolve_source, restore_checkpoint
from export.sketches import SketchSet, random_batch, resolve_data_dir
from ganime_desktop.core.errors import GanimeError
from ganime_desktop.core.hints import HINT_CHANNELS
from ganime_desktop.core.manifest import (
    CPU_INT8_ROLE,
    MANIFEST_NAME,
    ModelSpec,
    describe_file,
    load_manifest,
    upsert,
    write_manifest,
)
from training.architecture import SKETCH_CHANNELS
from training.model_loading import (
    CONFIG_FILE,
    encoder_depth,
    generator_from_config,
    input_channels,
    load_keras_model,
    onnx_generator_spec,
)

CALIBRATION_SKETCHES = 16
AGREEMENT_SKETCHES = 8


class ExportError(GanimeError, ValueError):
    """A user-facing reason the export cannot go ahead (bad option, model, folder)."""


@dataclass(frozen=True)
class ExportRequest:
    source: Path
    name: str
    out_dir: Path
    display_name: str | None = None
    description: str = ""
    fp16: bool = False
    int8: bool = False
    data: Path | None = None
    working_size: int | None = None
    default: bool = False
    approach: str | None = None
    only: str | None = None  # "fp16" | "int8": install only that variant, under NAME (fp32 is still the reference)
    checkpoint: str | None = None  # a step, a checkpoint prefix or a range A-B (mean weights) instead of the final
    blend_start: float | None = None  # this share of the run's starting weights blended in (WiSE-FT)
    tolerance: float = parity.PARITY_TOLERANCE
    min_ssim: float = parity.SSIM_THRESHOLD
    cpu_int8: bool = False  # also an int8 CPU model, if it passes the gate
    gate_data: tuple[Path, ...] | None = None  # the gate's data sets (default GATE_DATA)
    clean_graph: bool = True  # rewrite tf2onnx's graph (export/clean_graph.py)
    gate_limit: int | None = None  # at most this many test images per gate split (tests)


@dataclass
class _Staged:
    precision: str
    path: Path  # in the temp folder
    provenance: dict
    cpu_int8: Path | None = None  # the int8 CPU model that passed the gate, for the model NAME itself


def export_generator(req: ExportRequest, log: Callable[[str], None] = print) -> list[ModelSpec]:
    """Run the whole export; returns the manifest entries written. Raises on refusal, writing nothing."""
    check_name(req.name)
    src = resolve_source(req.source, req.checkpoint)
    approach = src.manifest_approach(req.approach)
    manifest_path = req.out_dir / MANIFEST_NAME
    existing = load_manifest(manifest_path) if manifest_path.exists() else []  # a bad one stops us here

    if src.keras_path is None:  # a run still training: its networks as config.json describes them
        log(f"building the generator that {src.run_dir / CONFIG_FILE} describes")
        model = generator_from_config(src.config)
    else:
        log(f"loading {src.keras_path}")
        model = load_keras_model(src.keras_path)
    if req.checkpoint is not None:
        src = restore_checkpoint(model, src, req.checkpoint)
        log(f"weights from {src.state['checkpoint']} (step {src.steps})")
    if req.blend_start is not None:
        src = blend_with_start(model, src, req.blend_start)
        log(f"weights: {src.state['checkpoint']}")
    channels = input_channels(model)
    depth = encoder_depth(model)
    multiple = 2**depth
    if src.config.get("depth") not in (None, depth):
        log(f"warning: config.json says depth {src.config['depth']}, the model has {depth}; using the model's")
    working_size = req.working_size or int(src.config.get("image_size") or multiple)
    if working_size < multiple or working_size % multiple:
        raise ExportError(f"--working-size {working_size} must be a multiple of the model's size multiple "
                          f"{multiple} (2**depth, depth {depth})")
    if channels not in (SKETCH_CHANNELS, SKETCH_CHANNELS + HINT_CHANNELS):
        raise ExportError(f"{src.keras_path or src.run_dir}: the generator takes {channels} input channels; the exporter "
                          f"handles {SKETCH_CHANNELS}-channel sketches, or {SKETCH_CHANNELS} + {HINT_CHANNELS} for "
                          "a colour-hint model")
    hint_channels = channels - SKETCH_CHANNELS
    if hint_channels and approach != "pix2pix-hints":
        log(f"note: the generator takes {channels} channels: recorded as a colour-hint model (pix2pix-hints)")
        approach = "pix2pix-hints"
    data_dir, layout = resolve_data_dir(req.data, src.config)
    sketches = SketchSet(data_dir, layout, seed=int(src.config.get("seed") or 0), hint_channels=hint_channels)
    log(f"parity sketches from {sketches.describe()}")

    created_out_dir = not req.out_dir.exists()
    req.out_dir.mkdir(parents=True, exist_ok=True)
    try:
        with tempfile.TemporaryDirectory(prefix=".export-", dir=req.out_dir) as tmp:
            staged = _convert_and_check(req, model, sketches, multiple, channels, working_size, Path(tmp), log)
            specs = _install(req, src, staged, existing, approach, channels, multiple, working_size,
                             data_dir, layout, log)
    except BaseException:
        if created_out_dir:
            shutil.rmtree(req.out_dir, ignore_errors=True)
        raise
    return specs


class _Stages:
    """Numbered stage headings ``[2/4] parity ...`` with the time each stage took."""

    def __init__(self, names: list[str], log):
        self.names, self.log, self.index, self.t0 = names, log, 0, None

    def next(self, text: str) -> None:
        self.done()
        self.index += 1
        self.t0 = time.perf_counter()
        self.log(f"[{self.index}/{len(self.names)}] {text}")

    def done(self) -> None:
        if self.t0 is not None:
            self.log(f"      {self.names[self.index - 1]} done in {time.perf_counter() - self.t0:.1f} s")
            self.t0 = None


def _convert_and_check(req: ExportRequest, model, sketches: SketchSet, multiple: int, channels: int,
                       working_size: int, tmp: Path, log) -> list[_Staged]:
    variants_wanted = [p for p, wanted in (("fp16", req.fp16), ("int8", req.int8)) if wanted]
    stages = _Stages(["convert", *(["clean graph"] if req.clean_graph else []), "parity",
                      *(f"{p} variant" for p in variants_wanted), *(["int8 gate"] if req.cpu_int8 else [])], log)
    stages.next(f"converting with tf2onnx (opset {convert.OPSET}, dynamic batch/height/width)")
    proto = convert.to_onnx(model)
    graph = {"clean": False}
    if req.clean_graph:
        stages.next("rewriting the graph (export/clean_graph.py)")
        proto, report = clean_generator(proto, random_batch(1, 2 * multiple, 3 * multiple, channels, seed=7))
        log(f"clean graph (export/clean_graph.py):\n{report.summary()}")
        graph = {"clean": True, "nodes": sum(report.ops_after.values()), "upsamplings_to_resize": report.upsamplings,
                 "subpixel_convolutions": report.subpixel, "transposes": report.ops_after.get("Transpose", 0)}
    fp32_path = convert.save_onnx(proto, tmp / f"{req.name}.onnx")
    stages.next("parity: Keras vs onnxruntime on real sketches and random inputs")
    session = parity.cpu_session(fp32_path)
    results = parity.measure_parity(lambda x: convert.keras_predict(model, x), session,
                                    parity.parity_probes(sketches, multiple, channels))
    log(f"parity Keras vs onnxruntime (CPU), tolerance {req.tolerance:g}:\n{parity.format_parity(results, req.tolerance)}")
    parity.require_parity(results, req.tolerance)
    staged = [_Staged("fp32", fp32_path, {"graph": graph, "parity": {
        "reference": "keras", "tolerance": req.tolerance,
        "max_abs_diff": {r.label: r.max_abs_diff for r in results}}})]

    if req.fp16 or req.int8:
        check_sketches = sketches.batch(AGREEMENT_SKETCHES, working_size, working_size, split="test")
        fp32_reference = lambda x: parity.run_session(session, x)  # noqa: E731
    for precision in variants_wanted:
        path = tmp / f"{variant_name(req.name, precision)}.onnx"
        if precision == "fp16":
            stages.next("fp16 variant: float16 weights, float32 compute and inputs/outputs")
            variants.to_fp16(fp32_path, path)
            extra = {}
        else:
            stages.next(f"int8 variant: static QDQ, per-channel, calibrated on {CALIBRATION_SKETCHES} train sketches")
            calibration = sketches.batch(CALIBRATION_SKETCHES, working_size, working_size, split="train")
            variants.to_int8(fp32_path, path, calibration)
            extra = {"calibration": {"sketches": CALIBRATION_SKETCHES, "size": working_size, "split": "train",
                                     "method": "MinMax, QDQ, per-channel int8 weights, uint8 activations"}}
        agreement = parity.measure_agreement(f"{precision} vs fp32", fp32_reference,
                                             parity.cpu_session(path), check_sketches)
        log(parity.format_agreement(agreement, req.min_ssim))
        parity.require_agreement(agreement, req.min_ssim)
        staged.append(_Staged(precision, path, {"parity": {
            "reference": "fp32 onnx", "metric": "ssim (uint8, 11x11 gaussian 1.5)", "threshold": req.min_ssim,
            "ssim_mean": agreement.mean, "ssim_worst": agreement.worst, "sketches": len(agreement.ssims),
            "size": working_size}, **extra}))
    if req.cpu_int8:
        stages.next("int8 model for the CPU and its gate (export/cpu_int8.py)")
        _cpu_int8(req, staged, fp32_path, channels, multiple, working_size, tmp, log)
    stages.done()
    return staged


def _cpu_int8(req: ExportRequest, staged: list[_Staged], fp32_path: Path, channels: int, multiple: int,
              working_size: int, tmp: Path, log) -> None:
    """Build and judge the int8 CPU model against the fp32 model; attach it to the model NAME."""
    spec = onnx_generator_spec(fp32_path, hint_channels=channels - SKETCH_CHANNELS, size_multiple=multiple,
                               working_size=working_size, name=req.name)
    path = tmp / f"{req.name}{CPU_INT8_SUFFIX}"
    gate = req.gate_data or GATE_DATA
    verdict = build_cpu_int8(spec, fp32_path, path, data_dirs=gate, limit=req.gate_limit, log=log)
    own = next(item for item in staged if item.precision == (req.only or "fp32"))
    own.provenance["cpu_int8"] = provenance_record(verdict, gate)
    own.cpu_int8 = path if verdict.passed else None


def _install(req: ExportRequest, src, staged: list[_Staged], existing: list[ModelSpec], approach: str,
             channels: int, multiple: int, working_size: int, data_dir: Path, layout: str, log) -> list[ModelSpec]:
    """Every check passed: move the files into place, then write the manifest."""
    base_provenance = {
        "source": portable_path(src.keras_path, req.out_dir),
        "run_dir": portable_path(src.run_dir, req.out_dir),
        "data": portable_path(data_dir, req.out_dir), "data_format": layout,
        "training": training_record(src.state, src.config),
        "steps": src.steps, "checkpoint": src.state.get("checkpoint"), "command": src.config.get("command"),
        "config": src.config_excerpt(), "exported": export_date(), "tools": convert.tool_versions(),
    }
    evaluation = read_evaluation(src.run_dir)
    if req.only:  # smaller files to ship: only the checked variant, as the model itself
        staged = [item for item in staged if item.precision == req.only]
    fresh = set() if req.only else {item.precision for item in staged}  # NAME itself is the variant now
    specs = _drop_stale_variants(existing, req, fresh, log)
    written = []
    for item in staged:
        own_name = req.only == item.precision or item.precision == "fp32"
        entry_name = req.name if own_name else variant_name(req.name, item.precision)
        final = req.out_dir / f"{entry_name}.onnx"
        os.replace(item.path, final)
        extra_files = {}
        if own_name and item.cpu_int8 is not None:
            int8_final = req.out_dir / f"{req.name}{CPU_INT8_SUFFIX}"
            os.replace(item.cpu_int8, int8_final)
            extra_files[CPU_INT8_ROLE] = describe_file(int8_final, req.out_dir)
        elif own_name:
            _drop_old_cpu_int8(existing, entry_name, req.out_dir)
        provenance = {**base_provenance, **item.provenance}
        if not own_name:
            provenance["variant_of"] = req.name
        spec = generator_entry(
            name=entry_name,
            display_name=display_name_for(req.display_name, approach, req.name, "fp32" if own_name else item.precision),
            approach=approach, precision=item.precision, onnx_path=final, out_dir=req.out_dir,
            channels=channels, hint_channels=channels - SKETCH_CHANNELS, size_multiple=multiple, working_size=working_size,
            provenance=provenance,
            evaluation=evaluation, description=req.description,
            default=_keeps_default(existing, entry_name, req.default and own_name))
        if extra_files:
            spec = replace(spec, files={**spec.files, **extra_files})
        specs = upsert(specs, spec)
        written.append(spec)
        log(f"wrote {final} ({final.stat().st_size / 1e6:.1f} MB) as '{entry_name}'")
    write_manifest(req.out_dir / MANIFEST_NAME, specs)
    log(f"manifest {req.out_dir / MANIFEST_NAME}: {len(specs)} model(s)")
    return written


def _drop_old_cpu_int8(existing: list[ModelSpec], name: str, out_dir: Path) -> None:
    """The int8 CPU model of the entry this export replaces no longer matches it."""
    for spec in existing:
        if spec.name == name and CPU_INT8_ROLE in spec.files:
            path = spec.file_path(CPU_INT8_ROLE)
            if path.parent.resolve() == out_dir.resolve():
                path.unlink(missing_ok=True)


def _keeps_default(existing: list[ModelSpec], name: str, asked: bool) -> bool:
    """--default marks the model; re-exporting without it keeps what the entry had."""
    return asked or any(s.name == name and s.default for s in existing)


def _drop_stale_variants(existing: list[ModelSpec], req: ExportRequest, fresh: set[str], log) -> list[ModelSpec]:
    """Variants of an earlier model under this name would no longer match it: remove them."""
    kept = []
    for spec in existing:
        stale = (spec.provenance.get("variant_of") == req.name and spec.precision not in fresh
                 and spec.name == variant_name(req.name, spec.precision))
        if not stale:
            kept.append(spec)
            continue
        path = spec.file_path("generator")
        if path.parent.resolve() == req.out_dir.resolve():
            path.unlink(missing_ok=True)
        log(f"removed '{spec.name}': a variant of the model this export replaces")
    return kept
