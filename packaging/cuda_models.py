"""The model files of a bundle that only CUDA runs, which the installers put in the CUDA add-on.

A generator with an int8 CPU file (the manifest's ``generator_int8`` role) runs that file on the
CPU and its float file (``generator``) only on CUDA (ganime_desktop/core/sessions.py), so the CPU
packages leave the float file out and the CUDA add-on brings it; the app takes such a model as
usable on the CPU without it (ganime_desktop/core/registry.py). Used by scripts/package_linux.sh,
scripts/package_windows.ps1 and tests/test_packaging.py.

    python packaging/cuda_models.py BUNDLE    one path per line, relative to BUNDLE, with /

Standard library only: the packaging scripts run it with the system's Python.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path, PurePosixPath

MODELS_DIR = PurePosixPath("_internal/assets/models")  # where build.spec puts the shipped models
MANIFEST_NAME = "manifest.json"
FLOAT_ROLE = "generator"
CPU_INT8_ROLE = "generator_int8"  # ganime_desktop.core.manifest.CPU_INT8_ROLE (a test keeps them equal)


def cuda_only_models(bundle: str | Path) -> list[str]:
    """Paths, relative to ``bundle`` and with ``/``, of the float files of the shipped generators
    that have an int8 file in the bundle. Raises ValueError for an unreadable manifest."""
    bundle = Path(bundle)
    manifest = bundle / MODELS_DIR / MANIFEST_NAME
    if not manifest.is_file():
        return []
    try:
        models = json.loads(manifest.read_text(encoding="utf-8"))["models"]
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"{manifest}: cannot read the model manifest ({exc})") from None
    found = []
    for model in models:
        files = model.get("files") or {}
        if model.get("kind") != "generator" or FLOAT_ROLE not in files or CPU_INT8_ROLE not in files:
            continue
        int8 = MODELS_DIR / files[CPU_INT8_ROLE]["path"]
        float_file = MODELS_DIR / files[FLOAT_ROLE]["path"]
        if (bundle / int8).is_file() and (bundle / float_file).is_file():
            found.append(str(float_file))
    return found


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python packaging/cuda_models.py BUNDLE", file=sys.stderr)
        return 2
    try:
        paths = cuda_only_models(argv[0])
    except ValueError as exc:
        print(f"cuda_models.py: {exc}", file=sys.stderr)
        return 1
    for path in paths:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
