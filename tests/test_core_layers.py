"""core.layers: flats, shading and line art as files and as one OpenRaster file that editors
recompose to the app's result."""

from __future__ import annotations

import numpy as np
import pytest
from _onnx_models import make_model_dir
from _ora import check_and_compose
from _region_pages import A1, LINE, drawing, interior
from PIL import Image

from ganime_desktop.core.colour import gray_to_rgb
from ganime_desktop.core.colour_modes import PageColouring
from ganime_desktop.core.imageio import ImageWriteError
from ganime_desktop.core.layers import Layers, layer_paths, multiply, openraster_bytes, write_layers
from ganime_desktop.core.pipeline import ColorizerCache
from ganime_desktop.core.registry import ModelRegistry
from ganime_desktop.core.resize import CUBIC, resize
from ganime_desktop.selftest import colourful_reference


def _page() -> tuple[PageColouring, np.ndarray, np.ndarray]:
    gray, truth = drawing(2)
    colour = resize(colourful_reference(), *gray.shape, CUBIC)  # a colourful "network" output, bleeding everywhere
    hints = np.zeros((*gray.shape, 4), np.uint8)
    hints[100:103, 60:63] = (40, 160, 90, 255)
    return PageColouring(gray, colour), hints, truth


def test_multiply_rounds_like_an_8_bit_editor():
    a = np.arange(256, dtype=np.uint8)
    base = np.repeat(np.repeat(a[:, None, None], 256, axis=1), 3, axis=2)
    gray = np.repeat(a[None, :], 256, axis=0)
    expected = np.floor(base.astype(np.float64) * gray[:, :, None] / 255.0 + 0.5)
    np.testing.assert_array_equal(multiply(base, gray), expected)


@pytest.mark.parametrize("mode", ["flat", "shaded"])
def test_openraster_is_valid_and_recomposes_to_the_result(tmp_path, mode):
    page, hints, truth = _page()
    layers = page.layers(mode, hints)
    result = page.render(mode, hints)
    np.testing.assert_array_equal(layers.compose(), result)
    paths = write_layers(tmp_path / "p1_model.png", layers)
    assert paths == layer_paths(tmp_path / "p1_model.png")
    composite, merged, stack = check_and_compose(paths["ora"])
    assert [s["name"] for s in stack] == ["Line art", "Shading", "Flats"]
    assert [s["composite-op"] for s in stack] == ["svg:src-over", "svg:multiply", "svg:src-over"]
    np.testing.assert_array_equal(merged, result)
    assert np.abs(composite.astype(int) - result).max() <= 2  # what Krita/GIMP/MyPaint show
    if mode == "shaded":
        assert (layers.shading < 250).mean() > 0.01  # the shading layer is not blank
    else:
        np.testing.assert_array_equal(layers.shading, 255)
    assert not list(tmp_path.glob(".*"))  # no temp files left


def test_the_separate_pngs(tmp_path):
    page, hints, truth = _page()
    layers = page.layers("shaded", hints)
    paths = write_layers(tmp_path / "out.png", layers)
    assert {p.name for p in paths.values()} == {"out.flats.png", "out.shading.png", "out.lines.png", "out.ora"}
    flats, shading, lines = (Image.open(paths[k]) for k in ("flats", "shading", "lines"))
    assert (flats.mode, shading.mode, lines.mode) == ("RGB", "L", "RGBA")
    np.testing.assert_array_equal(np.array(flats), layers.flats)
    np.testing.assert_array_equal(np.array(shading), layers.shading)
    line_rgba = np.array(lines)
    np.testing.assert_array_equal(line_rgba[:, :, :3], 0)  # black ink ...
    np.testing.assert_array_equal(line_rgba[:, :, 3], 255 - layers.lines)  # ... on transparency
    assert (line_rgba[:, :, 3][truth == LINE] > 200).all() and (line_rgba[:, :, 3][truth == A1] == 0).mean() > 0.95
    # The hinted region is one flat colour in the flats layer.
    assert len(np.unique(layers.flats[interior(truth, A1)], axis=0)) == 1


def test_writing_replaces_old_files_and_names_the_file_it_cannot_write(tmp_path):
    page, hints, _ = _page()
    layers = page.layers("flat", hints)
    target = tmp_path / "p.png"
    for path in layer_paths(target).values():
        path.write_bytes(b"old")
    write_layers(target, layers)
    assert all(p.read_bytes() != b"old" for p in layer_paths(target).values())
    with pytest.raises(ImageWriteError, match="missing"):
        write_layers(tmp_path / "missing" / "p.png", layers)


def test_openraster_of_a_tiny_page():
    layers = Layers(np.full((1, 1, 3), 200, np.uint8), np.full((1, 1), 128, np.uint8), np.full((1, 1), 255, np.uint8))
    data = openraster_bytes(layers)
    assert data[30:54] == b"mimetypeimage/openraster"
    np.testing.assert_array_equal(layers.compose(), [[[100, 100, 100]]])


def test_layers_of_a_page_coloured_by_the_pipeline(tmp_path):
    """The same path as the batch: a page from the Colorizer, its layers, the .ora."""
    folder = make_model_dir(tmp_path / "models", names=("tiny-a",))
    colorizer = ColorizerCache(ModelRegistry([folder])).get("tiny-a", "cpu")
    gray, _ = drawing(1)
    page = colorizer.colour_page(gray_to_rgb(gray))
    paths = write_layers(tmp_path / "x.png", page.layers("shaded"))
    composite, merged, _ = check_and_compose(paths["ora"])
    np.testing.assert_array_equal(merged, colorizer.colorize(gray_to_rgb(gray), mode="shaded"))
    assert np.abs(composite.astype(int) - merged).max() <= 2
