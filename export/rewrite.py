"""``python -m export clean``: rewrite the generators of a manifest in place into clean graphs
(export/clean_graph.py), for models whose Keras weights are gone, and give each a gated int8 CPU
model (export/cpu_int8.py).

Per generator, in manifest order:

1. the graph is rewritten (ONNX -> ONNX; float16 storage stays float16, bit for bit);
2. parity against the ORIGINAL file, which is the reference now: real sketches and random inputs,
   batch 2, at the smallest legal size, twice as wide, and the working size, max |diff| at most
   ``tolerance`` (1e-4), else the whole run is refused and nothing is written;
3. unless --no-int8: an int8 model calibrated on the gate data sets' train splits, kept as the
   entry's ``generator_int8`` file only if it passes the gate on their test splits.

All or nothing, like an export: files are staged in a hidden folder beside the manifest and moved
into place (same file names, names, display names and order) only when every model has passed;
the manifest then gets the new sha256 and sizes, and provenance records the rewrite, its parity
and the int8 verdict. A graph that is already clean is left as it is (nothing to rewrite).
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx

from export import parity
from export.clean_graph import CleanReport, clean_generator
from export.cpu_int8 import (
    CPU_INT8_SUFFIX,
    GATE_DATA,
    MAX_DELTA_E_CHANGE,
    MIN_SSIM,
    build_cpu_int8,
    provenance_record,
)
from export.manifest_entry import export_date
from export.sketches import SHARED_FALLBACK, SketchSet, SketchSourceError, random_batch
from ganime_desktop.core.manifest import (
    CPU_INT8_ROLE,
    ModelSpec,
    describe_file,
    load_manifest,
    sha256_of,
    write_manifest,
)


@dataclass
class _Staged:
    spec: ModelSpec
    clean: Path | None  # None: already clean, file kept
    int8: Path | None  # None: no int8 (not asked, or refused)
    provenance: dict
    int8_judged: bool = False  # False: the entry keeps whatever int8 model it had


def probe_input(spec: ModelSpec) -> np.ndarray:
    """One input with H != W (2 x 3 size multiples) for the rewrite's upsampling checks."""
    m = spec.input.size_multiple
    return random_batch(1, 2 * m, 3 * m, spec.input.channels, seed=7)


def parity_vs_original(spec: ModelSpec, original: Path, clean: Path, sketches: SketchSet | None,
                       ) -> list[parity.ParityResult]:
    reference = parity.cpu_session(original)
    probes = parity.parity_probes(sketches, spec.input.size_multiple, spec.input.channels)
    size = spec.input.working_size
    if sketches is not None:
        probes.append(parity.Probe(f"sketches {size}x{size}", sketches.batch(parity.PARITY_BATCH, size, size)))
    return parity.measure_parity(lambda x: parity.run_session(reference, x), parity.cpu_session(clean), probes)


def clean_manifest(manifest: Path, *, names: Sequence[str] | None = None, int8: bool = True,
                   gate_data: Sequence[Path] = GATE_DATA, parity_data: Path = SHARED_FALLBACK,
                   tolerance: float = parity.PARITY_TOLERANCE, min_ssim: float = MIN_SSIM,
                   max_delta_e_change: float = MAX_DELTA_E_CHANGE, gate_limit: int | None = None,
                   log: Callable[[str], None] = print) -> list[ModelSpec]:
    """Rewrite every generator of ``manifest`` (or those in ``names``); returns the new entries.
    Raises parity.ParityError (nothing written) when a rewritten graph disagrees with its original."""
    manifest = Path(manifest)
    specs = load_manifest(manifest)
    chosen = [s for s in specs if s.kind == "generator" and (not names or s.name in names)]
    unknown = sorted(set(names or ()) - {s.name for s in chosen})
    if unknown:
        raise ValueError(f"no generator named {', '.join(unknown)} in {manifest}")
    folder = manifest.parent
    remove_stale_stage_dirs(folder)
    staged: list[_Staged] = []
    with tempfile.TemporaryDirectory(prefix=".clean-", dir=folder) as tmp:
        for spec in chosen:
            staged.append(_stage(spec, Path(tmp), int8=int8, gate_data=gate_data, parity_data=parity_data,
                                 tolerance=tolerance, min_ssim=min_ssim, max_delta_e_change=max_delta_e_change,
                                 gate_limit=gate_limit, log=log))
        return _install(manifest, specs, staged, log)


def _stage(spec: ModelSpec, tmp: Path, *, int8: bool, gate_data, parity_data, tolerance, min_ssim,
           max_delta_e_change, gate_limit, log) -> _Staged:
    original = spec.file_path("generator")
    log(f"{spec.name}: {original.name} ({original.stat().st_size / 1e6:.1f} MB)")
    proto = onnx.load(str(original))
    clean, report = clean_generator(proto, probe_input(spec))
    provenance = dict(spec.provenance)
    clean_path: Path | None = tmp / original.name
    if report.upsamplings == 0 and report.subpixel == 0:
        log("  already clean: the graph is kept as it is")
        clean_path = None
    else:
        log(report.summary())
        onnx.save(clean, str(clean_path))
        try:
            sketches = SketchSet(parity_data, "color", hint_channels=spec.input.hint_channels)
            sketches.sources("test")
        except SketchSourceError as exc:
            log(f"  no real sketches for parity ({exc}); random inputs only")
            sketches = None
        results = parity_vs_original(spec, original, clean_path, sketches)
        log(f"  parity vs the original ONNX, tolerance {tolerance:g}:\n{parity.format_parity(results, tolerance)}")
        parity.require_parity(results, tolerance)
        provenance["graph"] = _graph_provenance(original, report, results, tolerance)
    int8_path = None
    if int8:
        source = clean_path or original
        candidate = tmp / f"{spec.name}{CPU_INT8_SUFFIX}"
        verdict = build_cpu_int8(spec, source, candidate, data_dirs=gate_data, limit=gate_limit,
                                 min_ssim=min_ssim, max_delta_e_change=max_delta_e_change, log=log)
        provenance["cpu_int8"] = {**provenance_record(verdict, gate_data), "date": export_date()}
        int8_path = candidate if verdict.passed else None
    return _Staged(spec, clean_path, int8_path, provenance, int8_judged=int8)


def _graph_provenance(original: Path, report: CleanReport, results, tolerance: float) -> dict:
    return {
        "rewrite": "export/clean_graph.py (python -m export clean)",
        "date": export_date(),
        "from_sha256": sha256_of(original),
        "nodes": {"before": sum(report.ops_before.values()), "after": sum(report.ops_after.values())},
        "upsamplings_to_resize": report.upsamplings,
        "subpixel_convolutions": report.subpixel,
        "transposes": {"before": report.ops_before.get("Transpose", 0), "after": report.ops_after.get("Transpose", 0)},
        "parity": {"reference": "original onnx", "tolerance": tolerance,
                   "max_abs_diff": {r.label: r.max_abs_diff for r in results}},
    }


def _install(manifest: Path, specs: list[ModelSpec], staged: list[_Staged], log) -> list[ModelSpec]:
    """Every model passed: move the files into place and rewrite the manifest (same order)."""
    folder = manifest.parent
    new_specs = {}
    for item in staged:
        spec = item.spec
        files = dict(spec.files)
        if item.clean is not None:
            target = spec.file_path("generator")
            os.replace(item.clean, target)
            files["generator"] = describe_file(target, folder)
        old_int8 = spec.file_path(CPU_INT8_ROLE) if CPU_INT8_ROLE in spec.files and item.int8_judged else None
        if item.int8_judged:
            files.pop(CPU_INT8_ROLE, None)
        if item.int8 is not None:
            target = folder / item.int8.name
            os.replace(item.int8, target)
            files[CPU_INT8_ROLE] = describe_file(target, folder)
        elif old_int8 is not None and old_int8.parent.resolve() == folder.resolve():
            old_int8.unlink(missing_ok=True)  # judged again and refused
        new_specs[spec.name] = dataclasses.replace(spec, files=files, provenance=item.provenance)
        for role, f in files.items():
            log(f"  {spec.name} {role}: {f.path} ({f.bytes / 1e6:.1f} MB, sha256 {f.sha256[:12]}...)")
    result = [new_specs.get(s.name, s) for s in specs]
    write_manifest(manifest, result)
    log(f"manifest {manifest}: {len(result)} model(s), {len(new_specs)} generator(s) cleaned and judged")
    return [new_specs[s.name] for s in specs if s.name in new_specs]


def remove_stale_stage_dirs(folder: Path) -> None:
    """Hidden staging folders a killed run left behind."""
    for path in folder.glob(".clean-*"):
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
