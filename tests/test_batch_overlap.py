"""The batch's overlapped stages (reader: decode + regions; network; writer: render + encode) give
exactly what a sequential loop over the same Colorizer gives, in every mode, layers included."""

from __future__ import annotations

import numpy as np
import pytest
from _batch_pages import sketch_page
from _onnx_models import make_model_dir

from ganime_desktop.core.batch import BatchOptions, run_batch
from ganime_desktop.core.colour import gray_to_rgb
from ganime_desktop.core.imageio import read_image, write_image_atomic
from ganime_desktop.core.layers import layer_paths
from ganime_desktop.core.pipeline import ColorizerCache
from ganime_desktop.core.registry import ModelRegistry


@pytest.mark.parametrize("mode", ["raw", "flat", "shaded"])
def test_overlapped_batch_equals_a_sequential_loop(tmp_path, mode):
    models = make_model_dir(tmp_path / "models", names=("tiny-a", "tiny-b"))
    pages = tmp_path / "pages"
    pages.mkdir()
    sizes = [(300, 200), (180, 260), (64, 48), (410, 150)]  # larger and smaller than the working size 64
    for i, (h, w) in enumerate(sizes):
        write_image_atomic(pages / f"p{i}.png", gray_to_rgb(sketch_page(h, w, seed=i)))
    layers = mode != "raw"
    report = run_batch(BatchOptions(pages, tmp_path / "out", models=["tiny-a", "tiny-b"], models_dirs=[models],
                                    device="cpu", mode=mode, layers=layers))
    assert report.counts()["done"] == 2 * len(sizes)
    cache = ColorizerCache(ModelRegistry([models]))
    for model in ("tiny-a", "tiny-b"):
        colorizer = cache.get(model, "cpu")
        for i in range(len(sizes)):
            rgb = read_image(pages / f"p{i}.png")
            out = tmp_path / "out" / f"p{i}_{model}.png"
            np.testing.assert_array_equal(read_image(out), colorizer.colorize(rgb, mode=mode))
            if layers:
                expected = colorizer.colour_page(rgb).layers(mode)
                paths = layer_paths(out)
                np.testing.assert_array_equal(read_image(paths["flats"]), expected.flats)
                np.testing.assert_array_equal(read_image(paths["shading"])[:, :, 0], expected.shading)
