"""``ganime --selftest`` from source (the frozen run is in test_bundle.py): every model colours the
sample sketch, a damaged model or an empty install fails with a plain message, and the check stays
Qt-GUI-free and TensorFlow-free. Subprocesses, because pytest-qt has Qt loaded in this process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from _onnx_models import generator_spec, make_generator_onnx, make_model_dir

from ganime_desktop.core.manifest import MANIFEST_NAME, load_manifest, write_manifest
from ganime_desktop.core.registry import ModelRegistry, shipped_models_dir

REPO = Path(__file__).resolve().parents[1]
SHIPPED_MANIFEST = REPO / "assets" / "models" / MANIFEST_NAME


def _selftest(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    code = "import sys; from ganime_desktop.selftest import selftest_main; sys.exit(selftest_main(sys.argv[1:]))"
    env = {**os.environ, "GANIME_DATA_DIR": str(tmp_path / "data")}
    env.pop("GANIME_MODELS_DIR", None)
    return subprocess.run([sys.executable, "-c", code, "--selftest", *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=180)


def test_every_model_colours_the_sample(tmp_path):
    models = make_model_dir(tmp_path / "models", names=("tiny-a", "tiny-b"), with_style_transfer=True)
    done = _selftest(tmp_path, "--models-dir", str(models))
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    for name in ("tiny-a", "tiny-b", "tiny-style"):
        assert any(line.split()[:2] == ["ok", name] for line in lines), done.stdout
    assert f"user data folder: {tmp_path / 'data'} (set by GANIME_DATA_DIR)" in done.stdout
    assert "self-test passed" in done.stdout and "Traceback" not in done.stderr


def test_a_model_that_returns_gray_fails(tmp_path):
    """A generator mapping lines to black and paper to white loads and runs fine and changes the
    pixels a little: only the colour check catches that it does not colour."""
    models = make_model_dir(tmp_path / "models", names=("tiny-a",))
    gray = make_generator_onnx(models / "gray.onnx", tint=((1.0, 1.0, 1.0), (0.0, 0.0, 0.0)))
    write_manifest(models / MANIFEST_NAME, [*load_manifest(models / MANIFEST_NAME), generator_spec("gray", gray, models)])
    done = _selftest(tmp_path, "--models-dir", str(models))
    assert done.returncode == 1, done.stdout
    assert any(line.split()[:2] == ["ok", "tiny-a"] for line in done.stdout.splitlines()), done.stdout
    assert "FAIL gray" in done.stdout and "the result is gray, not coloured" in done.stdout
    shipped = len(ModelRegistry([shipped_models_dir()]).entries())  # the shipped models are checked too
    assert f"self-test FAILED: 1 of {2 + shipped} model(s) failed" in done.stdout
    assert "Traceback" not in done.stderr


def test_a_damaged_model_file_fails_with_the_reason(tmp_path):
    models = make_model_dir(tmp_path / "models", names=("tiny-a", "tiny-b"))
    (models / "tiny-a.onnx").write_bytes(b"\0" * (models / "tiny-a.onnx").stat().st_size)
    done = _selftest(tmp_path, "--models-dir", str(models))
    assert done.returncode == 1
    assert "FAIL tiny-a" in done.stdout and "sha256 mismatch" in done.stdout
    assert any(line.split()[:2] == ["ok", "tiny-b"] for line in done.stdout.splitlines()), done.stdout


@pytest.mark.skipif(SHIPPED_MANIFEST.is_file(), reason="models ship in assets/models")
def test_no_models_at_all_fails_plainly(tmp_path):
    done = _selftest(tmp_path)
    assert done.returncode == 1
    assert "no models to test" in done.stdout and "--models-dir" in done.stdout


def test_bad_arguments_are_a_usage_error(tmp_path):
    done = _selftest(tmp_path, "--models-dri", "x")
    assert done.returncode == 2 and "usage: ganime --selftest" in done.stderr
