"""Build (or reuse) the PyInstaller bundle dist/ganime/ once per test session: tests/conftest.py's
``bundle`` fixture, shared by test_bundle.py (the frozen app) and test_packaging.py (the installers
around it). A bundle newer than every input it is built from, of the wanted flavour, is reused."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
BUNDLE = REPO / "dist" / "ganime"
PROGRAM = BUNDLE / ("ganime.exe" if sys.platform == "win32" else "ganime")
BUILD_INPUTS = [REPO / "ganime_desktop", REPO / "assets", REPO / "build.spec", REPO / "pyproject.toml",
                REPO / "scripts" / "build_bundle.sh", REPO / "scripts" / "bundle_entry.py",
                REPO / "packaging" / "elf.py"]
SETUP_FAILED = 3  # build_bundle.sh's exit code when .venv-build cannot be set up
BUILD_TIMEOUT_S = 1500


def wants_cuda() -> bool:
    return os.environ.get("GANIME_BUNDLE_CUDA", "1") != "0"


def _newest_input_mtime() -> float:
    newest = 0.0
    for item in BUILD_INPUTS:
        paths = item.rglob("*") if item.is_dir() else [item]
        for path in paths:
            if path.is_file() and "__pycache__" not in path.parts:
                newest = max(newest, path.stat().st_mtime)
    return newest


def is_fresh() -> bool:
    """A bundle newer than everything it is built from, of the wanted flavour (CUDA or CPU-only)."""
    if not PROGRAM.is_file() or PROGRAM.stat().st_mtime <= _newest_input_mtime():
        return False
    has_cuda = any((BUNDLE / "_internal" / "onnxruntime" / "capi").glob("*onnxruntime_providers_cuda*"))
    return has_cuda == wants_cuda()


def build_or_reuse() -> Path:
    """dist/ganime, rebuilt with scripts/build_bundle.sh unless a fresh one is there; skips the
    test when the build environment cannot be set up (no package registry)."""
    if is_fresh():
        return BUNDLE
    env = {**os.environ, "GANIME_SKIP_SELFTEST": "1",
           "PYTHON": os.environ.get("PYTHON") or getattr(sys, "_base_executable", sys.executable)}
    done = subprocess.run(["bash", str(REPO / "scripts" / "build_bundle.sh")], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=BUILD_TIMEOUT_S)
    if done.returncode == SETUP_FAILED:
        pytest.skip(f"cannot create the bundle's build environment .venv-build: {done.stderr.strip()[-600:]}")
    assert done.returncode == 0, f"scripts/build_bundle.sh failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    assert PROGRAM.is_file(), f"the build did not produce {PROGRAM}"
    return BUNDLE
