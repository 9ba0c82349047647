"""``ganime colorize --mode raw|flat|shaded --layers`` end to end with a real tiny ONNX model: hint
fills in the written pages, the layers beside them, resume, a bad page in the folder, usage errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from _onnx_models import make_model_dir
from _ora import check_and_compose
from _region_pages import A1, PAPER, drawing, interior
from PIL import Image

from ganime_desktop.core.batch import BatchJob, BatchOptions, BatchUsageError
from ganime_desktop.core.hints import write_hints
from ganime_desktop.core.imageio import read_image
from ganime_desktop.core.layers import layer_paths

REPO = Path(__file__).resolve().parents[1]
GREEN = (40, 160, 90)


@pytest.fixture(scope="module")
def models_dir(tmp_path_factory) -> Path:
    return make_model_dir(tmp_path_factory.mktemp("models"), names=("tiny-a",), size_multiple=16, working_size=64)


@pytest.fixture
def chapter(tmp_path) -> tuple[Path, Path, np.ndarray]:
    pages, hints = tmp_path / "pages", tmp_path / "hints"
    pages.mkdir()
    hints.mkdir()
    gray, truth = drawing(3)
    Image.fromarray(gray).save(pages / "p1.png")
    Image.fromarray(drawing(1)[0]).save(pages / "p2.png")
    (pages / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64))
    layer = np.zeros((*gray.shape, 4), np.uint8)
    layer[100:103, 60:63] = (*GREEN, 255)
    write_hints(hints / "p1.hints.png", layer)
    return pages, hints, truth


def _ganime(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ganime_desktop", "colorize", *map(str, args)],
                          capture_output=True, text=True, timeout=180, cwd=REPO)


def _green_share(rgb: np.ndarray, where: np.ndarray) -> float:
    return float((np.abs(rgb[where].astype(int) - GREEN).max(axis=1) <= 3).mean())


def test_cli_flat_with_layers(chapter, models_dir, tmp_path):
    pages, hints, truth = chapter
    out = tmp_path / "out"
    common = ("--model", "tiny-a", "--models-dir", models_dir, "--device", "cpu", "--hints", hints)
    done = _ganime(pages, out, *common, "--mode", "flat", "--layers")
    assert done.returncode == 1, done.stderr  # broken.png failed; the batch went on
    assert "2 coloured, 0 already there, 1 failed" in done.stderr and "Traceback" not in done.stderr
    p1 = read_image(out / "p1_tiny-a.png")
    assert _green_share(p1, truth == A1) >= 0.95 and _green_share(p1, interior(truth, PAPER)) == 0
    np.testing.assert_array_equal(p1[interior(truth, PAPER, margin=1)], 255)
    for page in ("p1", "p2"):
        paths = layer_paths(out / f"{page}_tiny-a.png")
        assert all(p.is_file() for p in paths.values()), page
        composite, merged, _ = check_and_compose(paths["ora"])
        result = read_image(out / f"{page}_tiny-a.png")
        np.testing.assert_array_equal(merged, result)
        assert np.abs(composite.astype(int) - result).max() <= 2
    assert not layer_paths(out / "broken_tiny-a.png")["ora"].exists()
    assert not list(out.glob(".*"))

    again = _ganime(pages, out, *common, "--mode", "flat", "--layers")
    assert "0 coloured, 2 already there" in again.stderr


def test_cli_default_mode_is_shaded_and_raw_differs(chapter, models_dir, tmp_path):
    pages, hints, truth = chapter
    common = ("--model", "tiny-a", "--models-dir", models_dir, "--device", "cpu", "--hints", hints)
    _ganime(pages, tmp_path / "default", *common)
    _ganime(pages, tmp_path / "shaded", *common, "--mode", "shaded")
    refused = _ganime(pages, tmp_path / "raw", *common, "--mode", "raw")  # tiny-a takes no hints: in raw they do nothing
    assert refused.returncode == 2 and "none of the chosen models takes colour hints" in refused.stderr
    _ganime(pages, tmp_path / "raw", *common[:-2], "--mode", "raw")
    default, shaded, raw = (read_image(tmp_path / d / "p1_tiny-a.png") for d in ("default", "shaded", "raw"))
    np.testing.assert_array_equal(default, shaded)
    np.testing.assert_array_equal(shaded[interior(truth, PAPER, margin=1)], 255)
    assert np.abs(raw[interior(truth, PAPER)].astype(int) - 255).mean() > 10  # tiny-a tints the paper
    assert _green_share(shaded, truth == A1) > 0.8
    assert not any(p.name.endswith(".ora") for p in (tmp_path / "default").iterdir())  # no layers unasked


@pytest.mark.parametrize("args, message", [
    (["--mode", "raw", "--layers"], "the raw mode does not have"),
    (["--mode", "sepia"], "invalid choice: 'sepia'"),
])
def test_cli_usage_errors(chapter, models_dir, tmp_path, args, message):
    pages, _, _ = chapter
    done = _ganime(pages, tmp_path / "o", "--model", "tiny-a", "--models-dir", models_dir, *args)
    assert done.returncode == 2 and message in done.stderr and "Traceback" not in done.stderr


def test_cli_help_names_the_modes_and_layers():
    done = _ganime("--help")
    assert "--mode {raw,flat,shaded}" in done.stdout and "--layers" in done.stdout and ".ora" in done.stdout


def test_batch_redoes_pages_whose_layers_are_missing(chapter, models_dir, tmp_path):
    pages, _, _ = chapter
    (pages / "broken.png").unlink()
    out = tmp_path / "out"
    options = dict(models=["tiny-a"], device="cpu", models_dirs=[models_dir])
    first = BatchJob(BatchOptions(pages, out, mode="flat", **options)).run()
    assert first.counts()["done"] == 2 and not layer_paths(out / "p1_tiny-a.png")["ora"].exists()
    second = BatchJob(BatchOptions(pages, out, mode="flat", layers=True, **options)).run()
    assert second.counts()["done"] == 2 and layer_paths(out / "p1_tiny-a.png")["ora"].is_file()
    with pytest.raises(BatchUsageError, match="unknown colour mode"):
        BatchJob(BatchOptions(pages, out, mode="sepia", **options)).prepare()
