"""The pipeline's faster paths compute exactly what the plain formulas compute: PNG writing, gray,
Lab of uint8 colours, the composed layers, the shading layer and the regions' min-pooling."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from ganime_desktop.core.colour import rgb8_to_lab, rgb_to_gray, rgb_to_lab
from ganime_desktop.core.colour_modes import PageColouring
from ganime_desktop.core.hint_fill import FillSettings
from ganime_desktop.core.imageio import encode_png
from ganime_desktop.core.layers import Layers, multiply
from ganime_desktop.core.regions import _min_pool

RNG = np.random.default_rng(0)


@pytest.mark.parametrize("shape", [(1, 1), (1, 1, 3), (5, 7, 4), (300, 131, 3), (257, 3), (129, 2, 4)])
def test_encode_png_reads_back_exactly(shape):
    pixels = RNG.integers(0, 256, shape, dtype=np.uint8)
    pixels[: shape[0] // 2] = 255  # paper: long runs
    back = np.array(Image.open(io.BytesIO(encode_png(pixels))))
    np.testing.assert_array_equal(back, pixels)


def test_gray_of_gray_and_colour_blocks_is_the_weighted_formula():
    rgb = RNG.integers(0, 256, (300, 40, 3), dtype=np.uint8)
    rgb[:150] = rgb[:150, :, :1]  # gray rows, then colour rows (blocks of both kinds)
    wr, wg, wb = 9798, 19235, 3735
    want = ((rgb[..., 0] * np.uint32(wr) + rgb[..., 1] * np.uint32(wg) + rgb[..., 2] * np.uint32(wb) + 16384)
            >> 15).astype(np.uint8)
    np.testing.assert_array_equal(rgb_to_gray(rgb), want)
    np.testing.assert_array_equal(rgb_to_gray(rgb[::3, ::2]), want[::3, ::2])  # strided views too


def test_lab_of_uint8_is_exactly_the_float_conversion():
    rgb = RNG.integers(0, 256, (200_000, 3), dtype=np.uint8)
    np.testing.assert_array_equal(rgb8_to_lab(rgb), rgb_to_lab(rgb.astype(np.float32) / 255.0))


def test_blockwise_compose_equals_multiplying_whole_layers():
    h, w = 150, 37
    flats = RNG.integers(0, 256, (h, w, 3), dtype=np.uint8)
    shading = RNG.integers(0, 256, (h, w), dtype=np.uint8)
    lines = np.full((h, w), 255, np.uint8)
    lines[70:90] = RNG.integers(0, 256, (20, w), dtype=np.uint8)
    shading[:64] = 255  # a block where one multiplication is skipped
    np.testing.assert_array_equal(Layers(flats, shading, lines).compose(), multiply(multiply(flats, shading), lines))


def test_blockwise_shading_equals_the_whole_page_formula():
    gray = np.full((200, 90), 255, np.uint8)
    gray[40:160:7] = 0
    gray[:, 30:33] = 0
    colour = RNG.integers(60, 256, (200, 90, 3), dtype=np.uint8)
    seen = np.clip(gray.astype(int) + 40, 0, 255).astype(np.uint8)
    page = PageColouring(gray, colour, seen=lambda: seen)
    median = np.maximum(page._stats[1], 1.0)[page.regions.labels]
    want = np.clip(page._clean_luma(colour, seen) / median * 255.0 + 0.5, 0, 255).astype(np.uint8)
    np.testing.assert_array_equal(page._shading, want)
    want[page.regions.is_background[page.regions.labels]] = 255
    np.testing.assert_array_equal(page._unhinted_shading, want)
    assert PageColouring(gray, colour, raw=lambda: colour[::-1]).raw[0, 0, 0] == colour[-1, 0, 0]


def test_min_pool_is_the_darkest_pixel_of_each_block():
    gray = RNG.integers(0, 256, (31, 17), dtype=np.uint8)
    k = 4
    padded = np.pad(gray, ((0, 1), (0, 3)), constant_values=255)
    np.testing.assert_array_equal(_min_pool(gray, k), padded.reshape(8, k, 5, k).min(axis=(1, 3)))


def test_flats_of_a_large_page_come_from_the_small_labels_and_fills_have_smooth_edges():
    """A large page's flats are made at the regions' working scale and enlarged: without hints
    exactly as the labels are (the regions' edges lie under the lines); with a fill, smoothly:
    each region's colour away from its edges, a blend of the two sides on an edge."""
    from ganime_desktop.core.regions import ndimage, segment

    gray = np.full((1500, 700), 255, np.uint8)
    gray[100:1400:90] = 0
    gray[:, 200:1200:130] = 0
    regions = segment(gray, cache=False)
    assert regions.scale == 2
    colour = RNG.integers(0, 256, (*gray.shape, 3), dtype=np.uint8)
    page = PageColouring(gray, colour, regions=regions)
    alone = FillSettings(part_tolerance=0)
    table = page._stats[0]
    np.testing.assert_array_equal(page.layers("flat", fill=alone).flats, table[regions.labels])
    hints = np.zeros((*gray.shape, 4), np.uint8)
    hints[150, 250] = (10, 200, 30, 255)  # a click: one region green
    flats = page.layers("flat", hints, fill=alone).flats
    table = table.copy()
    table[regions.labels[150, 250]] = (10, 200, 30)
    edge = ndimage().morphological_gradient(regions.labels, size=(5, 5)) > 0
    np.testing.assert_array_equal(flats[~edge], table[regions.labels[~edge]])
    ys, xs = np.nonzero(edge & ~regions.lines)
    near = [table[regions.labels[np.clip(ys + dy, 0, 1499), np.clip(xs + dx, 0, 699)]]
            for dy in (-2, 0, 2) for dx in (-2, 0, 2)]
    lo, hi = np.minimum.reduce(near), np.maximum.reduce(near)
    assert ((flats[ys, xs] >= lo) & (flats[ys, xs] <= hi)).all()
    blended = (flats[ys, xs] != table[regions.labels[ys, xs]]).any(axis=1)
    assert blended.any()  # smooth, not blocky
