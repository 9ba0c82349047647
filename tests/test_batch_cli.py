"""``ganime colorize`` as a user runs it: real subprocesses, exit codes, messages without
tracebacks, no Qt/TensorFlow on this path, and a run killed with SIGKILL mid-batch."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import cv2
import pytest
from _batch_pages import make_chapter, sketch_page
from _onnx_models import make_model_dir

from ganime_desktop.core.batch import LOCK_FILE
from ganime_desktop.core.imageio import read_image

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def models_dir(tmp_path_factory) -> Path:
    return make_model_dir(tmp_path_factory.mktemp("models"), names=("tiny-a", "tiny-b"), with_style_transfer=True)


def _ganime(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ganime_desktop", *args], capture_output=True, text=True,
                          timeout=timeout, cwd=REPO)


def test_chapter_exit_codes_and_summary(tmp_path, models_dir):
    chapter = make_chapter(tmp_path / "chapter")
    out = tmp_path / "out"
    first = _ganime("colorize", str(chapter), str(out), "--model", "tiny-a", "--recursive",
                    "--models-dir", str(models_dir), "--device", "cpu", "--format", "webp")
    assert first.returncode == 1, first.stderr  # broken.jpg failed, the rest was coloured
    assert "7 coloured, 0 already there, 1 failed, 1 not images" in first.stderr
    assert "broken.jpg" in first.stderr and "Traceback" not in first.stderr
    assert read_image(out / "sub" / "p3_tiny-a.webp").shape == (60, 60, 3)
    assert (out / "report.json").is_file() and (out / "report.csv").is_file()

    (chapter / "broken.jpg").unlink()
    second = _ganime("colorize", str(chapter), str(out), "--model", "tiny-a", "--recursive",
                     "--models-dir", str(models_dir), "--device", "cpu", "--format", "webp")
    assert second.returncode == 0, second.stderr
    assert "0 coloured, 7 already there, 0 failed" in second.stderr


@pytest.mark.parametrize("args, message", [
    (["{missing}", "{out}", "--model", "tiny-a"], "does not exist"),
    (["{chapter}", "{out}", "--model", "nope"], "unknown model 'nope'; available models: "),
    (["{chapter}", "{out}", "--model", "tiny-style"], "--reference IMAGE"),
    (["{chapter}", "{out}", "--model", "tiny-a", "--reference", "{missing}"], "reference image"),
    (["{chapter}", "{out}", "--format", "gif"], "invalid choice"),
    (["{chapter}"], "required"),
])
def test_usage_errors_exit_2_without_traceback(tmp_path, models_dir, args, message):
    chapter = make_chapter(tmp_path / "chapter")
    values = {"missing": str(tmp_path / "missing"), "out": str(tmp_path / "out"), "chapter": str(chapter)}
    done = _ganime("colorize", *[a.format(**values) for a in args], "--models-dir", str(models_dir))
    assert done.returncode == 2
    assert message in done.stderr and "Traceback" not in done.stderr


def test_cli_path_imports_no_qt_and_no_tensorflow(tmp_path, models_dir):
    chapter = make_chapter(tmp_path / "chapter")
    code = textwrap.dedent(f"""
        import sys
        from ganime_desktop.cli import main
        rc = main(["colorize", {str(chapter)!r}, {str(tmp_path / 'out')!r}, "--model", "tiny-b",
                   "--models-dir", {str(models_dir)!r}])
        print("RC", rc, "LOADED", [m for m in ("PySide6", "tensorflow", "keras", "tf2onnx") if m in sys.modules])
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=REPO)
    assert "RC 1 LOADED []" in done.stdout, done.stderr


def test_sigkill_mid_batch_leaves_no_partial_file_and_rerun_completes(tmp_path, models_dir):
    pages = tmp_path / "pages"
    pages.mkdir()
    for i in range(1, 9):  # big enough, with many small tiles, that the batch takes a few seconds
        cv2.imencode(".png", sketch_page(400, 300, seed=i))[1].tofile(pages / f"p{i}.png")
    out = tmp_path / "out"
    args = [sys.executable, "-m", "ganime_desktop", "colorize", str(pages), str(out), "--model", "tiny-a",
            "--models-dir", str(models_dir), "--device", "cpu", "--strategy", "tile", "--working-size", "16"]
    proc = subprocess.Popen(args, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while not any(out.glob("p*_tiny-a.png")) and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.02)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL, "the batch finished before it could be killed"
    written = sorted(out.glob("p*_tiny-a.png"))
    assert 1 <= len(written) < 8
    for path in written:  # every output that exists is a complete image
        assert read_image(path).shape == (400, 300, 3)
    # no temp files either; the killed batch's lock file stays (the OS released its lock)
    assert [p.name for p in out.iterdir() if p.name.startswith(".")] in ([], [LOCK_FILE])

    rerun = subprocess.run(args, cwd=REPO, capture_output=True, text=True, timeout=180)
    assert rerun.returncode == 0, rerun.stderr
    assert f"{8 - len(written)} coloured, {len(written)} already there, 0 failed" in rerun.stderr
    assert len(list(out.glob("p*_tiny-a.png"))) == 8
    assert [p.name for p in out.iterdir() if p.name.startswith(".")] == []  # a finished batch removes its lock

