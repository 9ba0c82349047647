"""``ganime --selftest`` from source (the frozen run is in test_bundle.py): every model colours the
sample sketch, a damaged model or an empty install fails with a plain message, and the check stays
Qt-GUI-free and TensorFlow-free. Subprocesses, because pytest-qt has Qt loaded in this process."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from _onnx_models import (
    TINTS,
    generator_spec,
    make_generator_onnx,
    make_model_dir,
    make_nan_generator_onnx,
    with_int8_file,
)

from ganime_desktop.core.manifest import MANIFEST_NAME, load_manifest, write_manifest
from ganime_desktop.core.registry import ModelRegistry, shipped_models_dir

REPO = Path(__file__).resolve().parents[1]
SHIPPED_MANIFEST = REPO / "assets" / "models" / MANIFEST_NAME


def _selftest(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    code = "import sys; from ganime_desktop.selftest import selftest_main; sys.exit(selftest_main(sys.argv[1:]))"
    base = {**os.environ, "GANIME_DATA_DIR": str(tmp_path / "data")}
    base.pop("GANIME_MODELS_DIR", None)
    env = {**base, **(env or {})}
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
    assert "closed regions in the sample" in done.stdout  # scipy.ndimage works here (and in the bundle)


def test_the_models_of_ganime_models_dir_are_checked_and_a_replaced_shipped_model_is_said(tmp_path):
    """GANIME_MODELS_DIR adds folders for the app and the batch: the self-test checks them too, and
    a user model named like a shipped one (it replaces it) is named in the output."""
    shipped = ModelRegistry([shipped_models_dir()]).entries()
    names = ("tiny-a", shipped[-1].name) if shipped else ("tiny-a",)
    models = make_model_dir(tmp_path / "models", names=names)
    done = _selftest(tmp_path, env={"GANIME_MODELS_DIR": str(models)})
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    for name in names:
        assert any(line.split()[:2] == ["ok", name] for line in lines), done.stdout
    assert f"self-test passed: {len(shipped) + 1} model(s)" in done.stdout
    if shipped:
        assert (f"note: the user model {names[1]!r} of {models / MANIFEST_NAME} replaces the shipped model of "
                f"that name ({shipped_models_dir() / MANIFEST_NAME})") in lines, done.stdout


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


# --- generators with an int8 CPU file: the self-test checks the file that runs here --------------------

def _dual_model(folder: Path, name: str, *, float_kind: str = "good", int8_kind: str = "good"):
    """A generator with a float and an int8 file, each "good" (colours), "nan" or "gray"."""
    def make(path: Path, kind: str, seed: int) -> Path:
        if kind == "nan":
            return make_nan_generator_onnx(path)
        tint = ((1.0, 1.0, 1.0), (0.0, 0.0, 0.0)) if kind == "gray" else TINTS["tiny-a" if seed % 2 else "tiny-b"]
        return make_generator_onnx(path, seed=seed, tint=tint)

    float_file = make(folder / f"{name}.onnx", float_kind, 1)
    int8_file = make(folder / f"{name}.cpu-int8.onnx", int8_kind, 2)
    return with_int8_file(generator_spec(name, float_file, folder), int8_file)


def test_generators_are_checked_with_the_file_that_runs_here(tmp_path):
    """On this CPU machine the int8 file runs: its NaN or gray output fails the model, the float
    file's does not matter; a model without its float file, or with a damaged int8 file, passes
    with a note."""
    from ganime_desktop.core.sessions import cuda_starts

    if cuda_starts():
        pytest.skip("CUDA starts here: the float files run")
    models = tmp_path / "models"
    specs = [_dual_model(models, "cpu-only"), _dual_model(models, "int8-damaged"),
             _dual_model(models, "float-nan", float_kind="nan"), _dual_model(models, "int8-nan", int8_kind="nan"),
             _dual_model(models, "int8-gray", int8_kind="gray")]
    write_manifest(models / MANIFEST_NAME, specs)
    (models / "cpu-only.onnx").unlink()  # the CPU package's layout: the CUDA add-on brings it
    damaged = models / "int8-damaged.cpu-int8.onnx"
    damaged.write_bytes(b"\0" * damaged.stat().st_size)

    done = _selftest(tmp_path, "--models-dir", str(models))
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    result = {line.split()[1]: line for line in lines if line.split()[:1] in (["ok"], ["FAIL"])}
    assert result["cpu-only"].startswith("ok") and "CPU with cpu-only.cpu-int8.onnx (int8)" in result["cpu-only"]
    assert result["float-nan"].startswith("ok") and "float-nan.cpu-int8.onnx (int8)" in result["float-nan"]
    assert result["int8-damaged"].startswith("ok") and "CPU with int8-damaged.onnx (fp32)" in result["int8-damaged"]
    assert result["int8-nan"].startswith("FAIL") and "file int8-nan.cpu-int8.onnx outputs NaN" in result["int8-nan"]
    assert result["int8-gray"].startswith("FAIL") and "not coloured" in result["int8-gray"]
    notes = [line for line in lines if "note:" in line]
    assert any("colours on the CPU only" in n and "cpu-only.onnx is not installed" in n for n in notes), notes
    assert any("int8 CPU model file is missing or damaged" in n and "int8-damaged" in n for n in notes), notes
    shipped = len(ModelRegistry([shipped_models_dir()]).entries())
    assert f"self-test FAILED: 2 of {5 + shipped} model(s) failed" in done.stdout


def test_the_shipped_models_pass_in_the_cpu_packages_layout(tmp_path):
    """The shipped models without the float files the CPU package leaves to the CUDA add-on (given
    as --models-dir, they replace the shipped entries of the same names)."""
    from ganime_desktop.core.manifest import CPU_INT8_ROLE

    if not SHIPPED_MANIFEST.is_file():
        pytest.skip("no shipped models")
    specs = load_manifest(SHIPPED_MANIFEST)
    cuda_only = {s.files["generator"].path for s in specs if CPU_INT8_ROLE in s.files}
    cpu = tmp_path / "cpu-package"
    cpu.mkdir()
    for f in {f.path for s in specs for f in s.files.values()} - cuda_only:
        shutil.copyfile(SHIPPED_MANIFEST.parent / f, cpu / f)
    shutil.copyfile(SHIPPED_MANIFEST, cpu / MANIFEST_NAME)
    done = _selftest(tmp_path, "--models-dir", str(cpu))
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"self-test passed: {len(specs)} model(s)" in done.stdout
    assert done.stdout.count("note: colours on the CPU only") == len(cuda_only), done.stdout
