"""``ganime colorize CHAPTER OUT --like COLOURED [--like-sketch LINE_ART]`` end to end with a real
tiny ONNX model (issue 28): every page coloured like the coloured page in every mode, the reference
mask among the layers, what the reference does not show left to the model, plain usage errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from _like_pages import Part, box, draw, figure, majority_part
from _onnx_models import make_model_dir
from _ora import check_and_compose
from PIL import Image

from ganime_desktop.core.batch import BatchJob, BatchOptions, BatchUsageError
from ganime_desktop.core.imageio import read_image
from ganime_desktop.core.layers import layer_paths
from ganime_desktop.core.regions import segment

REPO = Path(__file__).resolve().parents[1]
PARTS = figure()
BODY = 1 + next(i for i, p in enumerate(PARTS) if p.name == "body")
STRANGER = Part("a new character", box(0.25, 0.75, 1.0, 1.25), (0, 0, 0))


@pytest.fixture(scope="module")
def models_dir(tmp_path_factory) -> Path:
    return make_model_dir(tmp_path_factory.mktemp("models"), names=("tiny-a",), size_multiple=16, working_size=64)


@pytest.fixture
def chapter(tmp_path):
    """A coloured first page with its line art, and a chapter of two more pages: the figure turned
    and mirrored, and the figure beside a shape the coloured page does not show."""
    pages = tmp_path / "pages"
    pages.mkdir()
    gray, colour, _ = draw(PARTS)
    Image.fromarray(colour).save(tmp_path / "coloured.png")
    Image.fromarray(gray).save(tmp_path / "lines.png")
    moved = draw(PARTS, angle=10.0, scale=0.9, mirror=True)
    beside = draw([*PARTS, STRANGER], (320, 360), shift=(0.0, -0.12))
    Image.fromarray(moved[0]).save(pages / "p1.png")
    Image.fromarray(beside[0]).save(pages / "p2.png")
    return tmp_path, pages, {"p1": moved, "p2": beside}


def _ganime(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ganime_desktop", "colorize", *map(str, args)],
                          capture_output=True, text=True, timeout=180, cwd=REPO)


def _part_pixels(gray: np.ndarray, which: np.ndarray, part: int) -> np.ndarray:
    """The pixels of the page's biggest region showing ``part``, off the lines."""
    regions = segment(gray)
    majority, _ = majority_part(regions.labels, which, regions.count)
    region = int(np.argmax((majority == part) * regions.areas))
    return (regions.labels == region) & ~regions.lines


@pytest.mark.parametrize("mode", ["flat", "shaded", "raw"])
def test_cli_colours_a_chapter_like_its_coloured_page(chapter, models_dir, mode):
    root, pages, drawn = chapter
    out = root / f"out-{mode}"
    layers = () if mode == "raw" else ("--layers",)
    done = _ganime(pages, out, "--model", "tiny-a", "--models-dir", models_dir, "--device", "cpu", "--mode", mode,
                   "--like", root / "coloured.png", "--like-sketch", root / "lines.png", *layers)
    assert done.returncode == 0, done.stderr
    assert f"colouring every page like {root / 'coloured.png'} (its line art: {root / 'lines.png'})" in done.stderr
    body_colour = np.array(PARTS[BODY - 1].colour)
    for name, (gray, _, which) in drawn.items():
        result = read_image(out / f"{name}_tiny-a.png")
        body = _part_pixels(gray, which, BODY)
        error = np.abs(result[body].astype(int) - body_colour).max(axis=1)
        assert np.median(error) <= (10 if mode == "flat" else 40), (name, mode)
        hue = result[body].astype(int)
        assert (hue[:, 1] > hue[:, 0] + 40).mean() > 0.9  # green, whatever the model's tint and shading
    if mode == "raw":
        return
    gray, _, which = drawn["p2"]
    stranger = _part_pixels(gray, which, len(PARTS) + 1)
    paths = layer_paths(out / "p2_tiny-a.png", reference=True)
    mask = np.array(Image.open(paths["reference"]))
    assert (mask[stranger] == 0).all() and (mask[_part_pixels(gray, which, BODY)] == 255).all()
    composite, merged, entries = check_and_compose(paths["ora"])
    assert entries[0]["visibility"] == "hidden"
    np.testing.assert_array_equal(merged, read_image(out / "p2_tiny-a.png"))
    # The shape the coloured page does not show has the model's colour, not a colour of the figure.
    without = root / f"without-{mode}"
    _ganime(pages, without, "--model", "tiny-a", "--models-dir", models_dir, "--device", "cpu", "--mode", mode)
    plain = read_image(without / "p2_tiny-a.png")
    np.testing.assert_array_equal(read_image(out / "p2_tiny-a.png")[stranger], plain[stranger])
    again = _ganime(pages, out, "--model", "tiny-a", "--models-dir", models_dir, "--device", "cpu", "--mode", mode,
                    "--like", root / "coloured.png", "--layers")
    assert "0 coloured, 2 already there" in again.stderr  # resumes: the mask counts among the layers


@pytest.mark.parametrize("make, message", [
    (lambda root: ["--like-sketch", root / "lines.png"], "--like-sketch is the line art of the page given with --like"),
    (lambda root: ["--like", root / "lines.png"], "has no colours (it is greyscale)"),
    (lambda root: ["--like", root / "nowhere.png"], "nowhere.png: no such file"),
    (lambda root: ["--like", root / "coloured.png", "--like-sketch", root / "pages" / "p2.png"],
     "the coloured page"),
])
def test_cli_like_usage_errors(chapter, models_dir, make, message):
    root, pages, _ = chapter
    done = _ganime(pages, root / "o", "--model", "tiny-a", "--models-dir", models_dir, *make(root))
    assert done.returncode == 2, done.stderr
    assert message in done.stderr and "Traceback" not in done.stderr


def test_batch_like_cancel_and_help(chapter, models_dir):
    root, pages, _ = chapter
    options = BatchOptions(pages, root / "out", models=["tiny-a"], device="cpu", models_dirs=[models_dir],
                           like=root / "coloured.png")
    import threading

    cancel = threading.Event()
    cancel.set()
    report = BatchJob(options).run(cancel_event=cancel)
    assert report.cancelled and report.counts()["cancelled"] == 2 and report.counts()["done"] == 0
    with pytest.raises(BatchUsageError, match="greyscale"):
        BatchJob(BatchOptions(pages, root / "out", models=["tiny-a"], device="cpu", models_dirs=[models_dir],
                              like=root / "lines.png")).prepare()
    done = _ganime("--help")
    assert "--like COLOURED" in done.stdout and "--like-sketch LINE_ART" in done.stdout
