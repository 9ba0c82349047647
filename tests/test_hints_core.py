"""Colour hints in the app's core: the hint layer file, its encoding, the Colorizer feeding hint
models (whole page, recombine, tile), and the batch runner's ``--hints DIR``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import onnxruntime as ort
import pytest
from _batch_pages import sketch_page
from _onnx_models import make_model_dir

from ganime_desktop.core.batch import BatchJob, BatchOptions, BatchUsageError
from ganime_desktop.core.hints import (
    HintFileError,
    decode_hints,
    encode_hints,
    find_page_hints,
    fit_hints,
    hints_path_for,
    read_hints,
    shrink_hints,
    write_hints,
)
from ganime_desktop.core.imageio import read_image
from ganime_desktop.core.pipeline import ColorizerCache
from ganime_desktop.core.registry import ModelRegistry

REPO = Path(__file__).resolve().parents[1]
RED = (230, 20, 30)


@pytest.fixture(scope="module")
def models_dir(tmp_path_factory) -> Path:
    return make_model_dir(tmp_path_factory.mktemp("models"), names=("tiny-a",), hint_names=("tiny-hints",),
                          size_multiple=16, working_size=64)


@pytest.fixture(scope="module")
def cache(models_dir) -> ColorizerCache:
    return ColorizerCache(ModelRegistry([models_dir]))


def _page(h: int, w: int, seed: int = 0) -> np.ndarray:
    return cv2.cvtColor(sketch_page(h, w, seed), cv2.COLOR_GRAY2RGB)


def _hint_blob(h: int, w: int, box: tuple[int, int, int, int], colour=RED) -> np.ndarray:
    top, left, bottom, right = box
    rgba = np.zeros((h, w, 4), np.uint8)
    rgba[top:bottom, left:right] = (*colour, 255)
    return rgba


# --- the layer and its file ------------------------------------------------------------------------

def test_encoding_is_rgb_times_mask_then_mask_and_decodes_back():
    rgba = np.zeros((4, 5, 4), np.uint8)
    rgba[1, 2] = (255, 0, 128, 255)
    rgba[3, 4] = (10, 20, 30, 7)  # any alpha > 0 is a hint
    rgba[0, 0] = (200, 200, 200, 0)  # colour without alpha is no hint
    x = encode_hints(rgba)
    assert x.shape == (4, 5, 4) and x.dtype == np.float32
    np.testing.assert_allclose(x[1, 2], [1.0, -1.0, 128 / 127.5 - 1.0, 1.0], atol=1e-6)
    assert x[3, 4, 3] == 1.0 and not x[0, 0].any()
    assert np.count_nonzero(x[..., 3]) == 2
    back = decode_hints(x)
    np.testing.assert_array_equal(back[1, 2], [255, 0, 128, 255])
    np.testing.assert_array_equal(back[3, 4], [10, 20, 30, 255])
    assert not back[0, 0].any()


def test_hint_file_round_trip_and_clear_errors(tmp_path):
    sketch = tmp_path / "ページ 1.png"
    path = hints_path_for(sketch)
    assert path.name == "ページ 1.hints.png"
    rgba = _hint_blob(30, 40, (5, 6, 9, 20))
    rgba[20, 30] = (1, 2, 3, 128)
    write_hints(path, rgba)
    np.testing.assert_array_equal(read_hints(path), rgba)
    # transparent pixels read as "no hint" whatever colour an editor left under them
    bgra = np.zeros((8, 8, 4), np.uint8)
    bgra[..., :3] = 77
    cv2.imwrite(str(tmp_path / "editor.png"), bgra)
    assert not read_hints(tmp_path / "editor.png").any()
    rgb_only = tmp_path / "flat.png"
    cv2.imwrite(str(rgb_only), np.full((8, 8, 3), 255, np.uint8))
    with pytest.raises(HintFileError, match=r"flat\.png: the hint image has no transparency"):
        read_hints(rgb_only)
    (tmp_path / "junk.png").write_bytes(b"not a png")
    with pytest.raises(HintFileError, match=r"junk\.png: not a readable image"):
        read_hints(tmp_path / "junk.png")


def test_shrinking_keeps_thin_strokes_and_their_colour():
    rgba = np.zeros((256, 256, 4), np.uint8)
    cv2.line(rgba, (10, 100), (240, 100), (*RED, 255), 1)  # one pixel thin
    small = shrink_hints(rgba, 64, 64)
    hinted = small[..., 3] > 0
    assert hinted[25].sum() >= 55 and hinted.sum() <= 2 * 64  # still a line, still thin
    np.testing.assert_array_equal(np.unique(small[hinted][:, :3], axis=0), [RED])
    assert fit_hints(rgba, 128, 100).shape == (128, 100, 4)


# --- the Colorizer ---------------------------------------------------------------------------------

def test_small_page_feeds_the_seven_channels_by_hand(cache, models_dir):
    rgb = _page(37, 50, seed=1)
    hints = _hint_blob(37, 50, (10, 10, 20, 30))
    out = cache.get("tiny-hints", "cpu").colorize(rgb, hints=hints)
    # by hand: sketch in 3 channels padded with paper to 48x64, hints padded with "no hint"
    gray = np.full((48, 64), 255, np.uint8)
    gray[:37, :50] = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    x = np.zeros((1, 48, 64, 7), np.float32)
    x[0, :, :, :3] = (gray.astype(np.float32) / 127.5 - 1.0)[..., None]
    x[0, :37, :50, 3:] = encode_hints(hints)
    session = ort.InferenceSession(str(models_dir / "tiny-hints.onnx"), providers=["CPUExecutionProvider"])
    y = session.run(None, {session.get_inputs()[0].name: x})[0][0, :37, :50]
    np.testing.assert_array_equal(out, np.clip((y + 1.0) * 127.5 + 0.5, 0, 255).astype(np.uint8))
    # this tiny model copies hint colours: hinted pixels are red, the others as without hints
    bare = cache.get("tiny-hints", "cpu").colorize(rgb)
    inside = hints[..., 3] > 0
    assert np.abs(out[inside].astype(int) - RED).max() <= 1
    np.testing.assert_array_equal(out[~inside], bare[~inside])


@pytest.mark.parametrize("strategy", ["recombine", "tile"])
def test_large_page_hints_land_where_they_were_painted(cache, strategy):
    h, w = 150, 230  # larger than the working size 64: shrunk (recombine) or tiled
    rgb = _page(h, w, seed=2)
    box = (60, 150, 100, 200)
    hints = _hint_blob(h, w, box)
    colorizer = cache.get("tiny-hints", "cpu", strategy=strategy)
    out, bare = colorizer.colorize(rgb, hints=hints), colorizer.colorize(rgb)
    top, left, bottom, right = box
    core = (slice(top + 6, bottom - 6), slice(left + 6, right - 6))
    paper = rgb[core][..., 0] > 200  # not on a line: the lines laid back over the colour stay dark
    assert np.abs(out[core][paper].astype(int) - RED).mean() < 12
    np.testing.assert_array_equal(out[:, :100], bare[:, :100])  # far from the hint: unchanged


def test_hints_are_ignored_by_other_models_and_checked_for_size(cache):
    rgb = _page(40, 40)
    plain = cache.get("tiny-a", "cpu")
    assert not plain.accepts_hints and cache.get("tiny-hints", "cpu").accepts_hints
    np.testing.assert_array_equal(plain.colorize(rgb, hints=_hint_blob(40, 40, (0, 0, 20, 20))), plain.colorize(rgb))
    with pytest.raises(ValueError, match="the colour hints are 30x40 but the page is 40x40"):
        cache.get("tiny-hints", "cpu").colorize(rgb, hints=np.zeros((40, 30, 4), np.uint8))


# --- batch -----------------------------------------------------------------------------------------

def _chapter(root: Path) -> Path:
    pages = root / "chapter"
    pages.mkdir(parents=True)
    for i, name in enumerate(("p1.png", "p2.png", "p3.jpg")):
        cv2.imwrite(str(pages / name), sketch_page(64, 48, seed=i))
    return pages


def test_batch_takes_each_pages_hints_by_stem(tmp_path, models_dir):
    pages = _chapter(tmp_path)
    write_hints(pages / "p1.hints.png", _hint_blob(64, 48, (10, 10, 30, 30)))  # beside the page
    other = tmp_path / "hints"
    other.mkdir()
    write_hints(other / "p2.hints.png", _hint_blob(64, 48, (40, 20, 60, 40)))
    write_hints(other / "p3.png", _hint_blob(32, 24, (0, 0, 16, 12)))  # same stem, half size: scaled
    out = tmp_path / "out"
    report = BatchJob(BatchOptions(pages, out, ["tiny-hints"], device="cpu", models_dirs=[models_dir],
                                   hints_dir=pages, mode="raw")).run()  # raw: what the model did with them
    assert sorted(r.source for r in report.results) == ["p1.png", "p2.png", "p3.jpg"]  # hints are no pages
    assert all(r.status == "done" for r in report.results)
    p1, p2 = read_image(out / "p1_tiny-hints.png"), read_image(out / "p2_tiny-hints.png")
    assert np.abs(p1[15:25, 15:25].astype(int) - RED).max() <= 2
    assert np.abs(p2[45:55, 25:35].astype(int) - RED).max() > 60  # p2's hints are elsewhere

    report = BatchJob(BatchOptions(pages, tmp_path / "out2", ["tiny-hints"], device="cpu",
                                   models_dirs=[models_dir], hints_dir=other, mode="raw")).run()
    assert all(r.status == "done" for r in report.results)
    p1 = read_image(tmp_path / "out2" / "p1_tiny-hints.png")
    p2 = read_image(tmp_path / "out2" / "p2_tiny-hints.png")
    p3 = read_image(tmp_path / "out2" / "p3_tiny-hints.png")
    assert np.abs(p1[15:25, 15:25].astype(int) - RED).max() > 60  # no p1 hints in that folder
    assert np.abs(p2[45:55, 25:35].astype(int) - RED).max() <= 2
    assert np.abs(p3[4:28, 4:20].astype(int) - RED).max() <= 2


def test_batch_hint_errors(tmp_path, models_dir):
    pages = _chapter(tmp_path)
    with pytest.raises(BatchUsageError, match="none of the chosen models takes colour hints"):
        BatchJob(BatchOptions(pages, tmp_path / "o", ["tiny-a"], device="cpu", models_dirs=[models_dir],
                              hints_dir=pages, mode="raw")).prepare()
    # in the flat and shaded modes hints fill regions whatever the model: no error
    BatchJob(BatchOptions(pages, tmp_path / "o", ["tiny-a"], device="cpu", models_dirs=[models_dir],
                          hints_dir=pages, mode="flat")).prepare()
    with pytest.raises(BatchUsageError, match="hints folder .* does not exist"):
        BatchJob(BatchOptions(pages, tmp_path / "o", ["tiny-hints"], device="cpu", models_dirs=[models_dir],
                              hints_dir=tmp_path / "missing")).prepare()
    cv2.imwrite(str(pages / "p2.hints.png"), np.zeros((64, 48, 3), np.uint8))  # no alpha
    report = BatchJob(BatchOptions(pages, tmp_path / "o", ["tiny-hints"], device="cpu", models_dirs=[models_dir],
                                   hints_dir=pages)).run()
    status = {r.source: (r.status, r.reason) for r in report.results}
    assert status["p1.png"][0] == "done" and status["p3.jpg"][0] == "done"
    assert status["p2.png"][0] == "failed" and "p2.hints.png: the hint image has no transparency" in status["p2.png"][1]


def test_find_page_hints_prefers_the_hints_name_and_mirrors_subfolders(tmp_path):
    (tmp_path / "sub").mkdir()
    page = tmp_path / "in" / "sub" / "p1.jpg"
    write_hints(tmp_path / "sub" / "p1.png", np.zeros((2, 2, 4), np.uint8))
    assert find_page_hints(tmp_path, page, "sub/p1.jpg") == tmp_path / "sub" / "p1.png"
    write_hints(tmp_path / "sub" / "p1.hints.png", np.zeros((2, 2, 4), np.uint8))
    assert find_page_hints(tmp_path, page, "sub/p1.jpg") == tmp_path / "sub" / "p1.hints.png"
    assert find_page_hints(tmp_path, page, "p1.jpg") is None


def test_cli_colorize_with_hints(tmp_path, models_dir):
    pages = _chapter(tmp_path)
    write_hints(pages / "p1.hints.png", _hint_blob(64, 48, (10, 10, 30, 30)))
    out = tmp_path / "out"
    res = subprocess.run([sys.executable, "-m", "ganime_desktop", "colorize", str(pages), str(out), "--model",
                          "tiny-hints", "--hints", str(pages), "--models-dir", str(models_dir), "--device", "cpu",
                          "--mode", "raw"],
                         capture_output=True, text=True, timeout=120, cwd=REPO)
    assert res.returncode == 0, res.stderr
    assert "3 coloured" in res.stderr
    assert np.abs(read_image(out / "p1_tiny-hints.png")[15:25, 15:25].astype(int) - RED).max() <= 2
    res = subprocess.run([sys.executable, "-m", "ganime_desktop", "colorize", "--help"], capture_output=True,
                         text=True, timeout=60, cwd=REPO)
    assert "--hints DIR" in res.stdout


def test_selftest_checks_a_hint_model(cache):
    from ganime_desktop.selftest import check_model, colourful_reference, sample_sketch_path

    line, _note = check_model(cache, "tiny-hints", read_image(sample_sketch_path()), colourful_reference())
    assert "coloured" in line


def test_hints_of_another_page_are_scaled_to_the_same_shape_and_refused_for_another():
    from ganime_desktop.core.hints import HintShapeError, hints_for_another_page

    rgba = np.zeros((200, 300, 4), np.uint8)
    rgba[100:110, 150:160] = (10, 200, 30, 255)
    same, note = hints_for_another_page(rgba, 200, 300)
    assert same is rgba and note == ""
    half, note = hints_for_another_page(rgba, 100, 150)  # the same shape, another size: scaled, said so
    assert half.shape == (100, 150, 4) and tuple(half[52, 77]) == (10, 200, 30, 255) and half[20, 20, 3] == 0
    assert note == "scaled from 300×200 to 150×100"
    assert hints_for_another_page(rgba, 206, 300)[0].shape == (206, 300, 4)  # a scan cropped 3 % taller
    with pytest.raises(HintShapeError, match="300×200.*200×300"):
        hints_for_another_page(rgba, 300, 200)  # portrait after landscape: strokes would land elsewhere
