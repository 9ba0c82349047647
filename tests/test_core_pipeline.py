"""core.pipeline: the one colourization path: sizes, pre-processing, both large-page strategies,
style transfer, cancellation, and no TensorFlow in the app process."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import cv2
import numpy as np
import onnxruntime as ort
import pytest
from _onnx_models import make_model_dir

from ganime_desktop.core.cancel import Cancelled
from ganime_desktop.core.pipeline import Colorizer, ColorizerCache, ReferenceRequired
from ganime_desktop.core.preprocess import merge_line_art
from ganime_desktop.core.registry import ModelRegistry

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def registry(tmp_path_factory) -> ModelRegistry:
    folder = make_model_dir(tmp_path_factory.mktemp("models"), names=("tiny-a", "tiny-b"), size_multiple=16,
                            working_size=64, with_style_transfer=True)
    return ModelRegistry([folder])


@pytest.fixture(scope="module")
def cache(registry) -> ColorizerCache:
    return ColorizerCache(registry)


def _sketch(h: int, w: int, seed: int = 0) -> np.ndarray:
    """White paper with black strokes, as RGB."""
    rng = np.random.default_rng(seed)
    gray = np.full((h, w), 255, np.uint8)
    for _ in range(max(3, (h + w) // 40)):
        p1 = (int(rng.integers(0, w)), int(rng.integers(0, h)))
        p2 = (int(rng.integers(0, w)), int(rng.integers(0, h)))
        cv2.line(gray, p1, p2, 0, 1)
    return cv2.cvtColor(gray, cv2.COLOR_GRAY2RGB)


@pytest.mark.parametrize("strategy", ["recombine", "tile"])
@pytest.mark.parametrize("shape", [(1, 1), (37, 50), (63, 65), (17, 300), (200, 30), (129, 77)])
def test_output_has_the_input_size(cache, shape, strategy):
    out = cache.get("tiny-a", "cpu", strategy=strategy).colorize(_sketch(*shape))
    assert out.shape == (*shape, 3) and out.dtype == np.uint8


def test_accepts_gray_and_rgba(cache):
    c = cache.get("tiny-a", "cpu")
    rgb = _sketch(40, 50)
    rgba = np.dstack([rgb, np.full((40, 50), 255, np.uint8)])
    expected = c.colorize(rgb)
    np.testing.assert_array_equal(c.colorize(rgb[:, :, 0]), expected)
    np.testing.assert_array_equal(c.colorize(rgba), expected)
    with pytest.raises(ValueError, match="uint8"):
        c.colorize(rgb.astype(np.float32))


def test_small_page_matches_the_model_run_by_hand(cache, registry):
    """Pre/post-processing by the conventions: gray in 3 channels in [-1, 1], white padding to the
    size multiple (16), output [-1, 1] -> uint8, cropped back."""
    rgb = _sketch(37, 50, seed=3)
    rgb[5:9, 5:9] = (255, 0, 0)  # colour in the sketch is ignored: it is gray that goes in
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    padded = np.full((48, 64), 255, np.uint8)
    padded[:37, :50] = gray
    x = np.repeat((padded.astype(np.float32) / 127.5 - 1.0)[None, :, :, None], 3, axis=3)
    session = ort.InferenceSession(str(registry.get("tiny-a").spec.file_path("generator")),
                                   providers=["CPUExecutionProvider"])
    y = session.run(None, {"sketch": x})[0][0, :37, :50]
    expected = np.clip((y + 1.0) * 127.5 + 0.5, 0, 255).astype(np.uint8)
    np.testing.assert_array_equal(cache.get("tiny-a", "cpu").colorize(rgb), expected)


def test_two_models_colour_differently(cache):
    rgb = _sketch(60, 60)
    a = cache.get("tiny-a", "cpu").colorize(rgb)
    b = cache.get("tiny-b", "cpu").colorize(rgb)
    assert np.abs(a.astype(int) - b.astype(int)).mean() > 30
    # tiny-a paints paper warm (more red than blue), tiny-b cool (more blue than red).
    assert a[30, 30, 0] > a[30, 30, 2] and b[30, 30, 2] > b[30, 30, 0]


def test_large_page_keeps_full_resolution_lines(cache):
    """An A4 page at 300 dpi through a model with working size 64: output at full size, and every
    line pixel of the sketch is at least as dark in the colouring (lines stay crisp)."""
    h, w = 3508, 2480
    rgb = np.full((h, w, 3), 255, np.uint8)
    rgb[1000, 100:2000] = 0  # a 1-pixel line: gone at working size, must be back in the result
    rgb[2000:2100, 1500] = 0
    out = cache.get("tiny-a", "cpu").colorize(rgb)
    assert out.shape == (h, w, 3)
    assert out[1000, 100:2000].max() < 60
    assert out[1001, 100:2000].min() > 120  # next to the line: paper colour, not smeared
    paper = out[500, 500].astype(int)
    assert paper[0] > paper[2] + 20  # paper got tiny-a's warm tint


def test_tiles_equal_one_full_resolution_run(cache):
    """The tiny model is local (3x3), so blended tiles must equal running it on the whole page."""
    rgb = _sketch(200, 150, seed=5)
    tiled = cache.get("tiny-a", "cpu").colorize(rgb, working_size=64, strategy="tile")
    whole = cache.get("tiny-a", "cpu").colorize(rgb, working_size=1024)
    assert np.abs(tiled.astype(int) - whole.astype(int)).max() <= 1


def test_merge_line_art_keeps_colour_off_the_lines():
    colour = np.full((4, 4, 3), (230, 180, 120), np.uint8)
    gray = np.full((4, 4), 255, np.uint8)
    gray[1] = 0
    out = merge_line_art(colour, gray)
    assert np.abs(out[0].astype(int) - colour[0].astype(int)).max() <= 2  # paper keeps its colour
    assert out[1].max() <= 5  # the line is black, not dark orange


def test_cancel(cache):
    with pytest.raises(Cancelled):
        cache.get("tiny-a", "cpu").colorize(_sketch(30, 30), should_cancel=lambda: True)
    calls = []

    def cancel_on_second_check():
        calls.append(1)
        return len(calls) >= 2

    with pytest.raises(Cancelled):
        cache.get("tiny-a", "cpu", strategy="tile").colorize(_sketch(400, 400), working_size=32,
                                                             should_cancel=cancel_on_second_check)


def test_style_transfer(cache):
    c = cache.get("tiny-style", "cpu")
    assert c.needs_reference
    sketch = _sketch(500, 300)
    with pytest.raises(ReferenceRequired, match="reference"):
        c.colorize(sketch)
    warm = np.zeros((300, 400, 3), np.uint8)
    warm[:] = (250, 120, 30)
    cool = np.zeros((200, 200, 3), np.uint8)
    cool[:] = (30, 120, 250)
    a = c.colorize(sketch, reference=warm)
    b = c.colorize(sketch, reference=cool)
    assert a.shape == b.shape == (500, 300, 3)
    assert np.abs(a.astype(int) - b.astype(int)).mean() > 1  # the reference changes the result
    assert c.colorize(_sketch(10, 700), reference=warm).shape == (10, 700, 3)


def test_cache_returns_one_colorizer_per_model_and_device(cache, registry):
    assert cache.get("tiny-a", "cpu") is cache.get("tiny-a", "cpu")
    assert cache.get("tiny-a", "cpu") is not cache.get("tiny-b", "cpu")
    c = Colorizer(registry.get("tiny-a"), "cpu")
    assert c.provider_info.active == "CPU" and c.spec.name == "tiny-a"


def test_no_tensorflow_or_qt_in_the_colouring_process(tmp_path):
    """The app's pipeline must not pull TensorFlow, Keras, tf2onnx (or Qt on this path): a fresh
    process, so other tests' imports cannot hide it."""
    code = textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(REPO / 'tests')!r})
        import numpy as np
        from _onnx_models import make_model_dir
        from ganime_desktop.core.pipeline import ColorizerCache
        from ganime_desktop.core.registry import ModelRegistry
        folder = make_model_dir({str(tmp_path / 'm')!r})
        out = ColorizerCache(ModelRegistry([folder])).get("tiny-a").colorize(np.full((300, 200, 3), 255, np.uint8))
        assert out.shape == (300, 200, 3)
        bad = [m for m in ("tensorflow", "keras", "tf2onnx", "PySide6") if m in sys.modules]
        print("LOADED:", bad)
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=REPO)
    assert done.returncode == 0, done.stderr
    assert "LOADED: []" in done.stdout


def test_tile_weights_sum_to_one_over_the_page():
    """Blending weights of all tiles form a partition of unity (no seams, no dark or bright bands),
    and each tile's outermost pixels inside the page get no weight."""
    from ganime_desktop.core.tiling import blend_window, iter_tiles

    height, width, tile, overlap = 104, 80, 32, 8  # the pipeline pads pages to fit the grid: 32 + k * 24
    total = np.zeros((height, width))
    for oy, ox in iter_tiles(height, width, tile, overlap):
        window = blend_window(tile, overlap, oy == 0, oy + tile >= height, ox == 0, ox + tile >= width)
        total[oy:oy + tile, ox:ox + tile] += window
        if oy > 0:
            assert window[0].max() == 0
    np.testing.assert_allclose(total, 1.0, atol=1e-6)
