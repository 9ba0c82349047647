"""Colour modes (core.colour_modes through core.pipeline): flat and shaded colourings that keep to
the line art's regions, hints that fill exactly their region, splits, the paper, bad input, and
re-rendering for new hints without the network."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from _onnx_models import make_model_dir
from _region_pages import A1, A2, LINE, PAPER, B, C, drawing, interior, near_gaps, open_shapes

from ganime_desktop.core.colour import gray_to_rgb
from ganime_desktop.core.colour_modes import (
    COLOUR_MODES,
    DEFAULT_MODE,
    MODES,
    NETWORK_MODE,
    PageColouring,
    colour_mode,
    layer_modes,
    layers_mode,
    region_modes,
    spoken,
)
from ganime_desktop.core.hint_fill import FillSettings
from ganime_desktop.core.pipeline import ColorizerCache
from ganime_desktop.core.registry import ModelRegistry
from training.metrics import delta_e2000, srgb_to_lab

GREEN, RED, BLUE = (40, 160, 90), (220, 30, 40), (30, 60, 200)


@pytest.fixture(scope="module")
def cache(tmp_path_factory) -> ColorizerCache:
    folder = make_model_dir(tmp_path_factory.mktemp("models"), names=("tiny-a",), hint_names=("tiny-hints",),
                            size_multiple=16, working_size=64)
    return ColorizerCache(ModelRegistry([folder]))


def _de(image: np.ndarray, colour) -> np.ndarray:
    """Per-pixel CIEDE2000 of an RGB image to one colour."""
    return delta_e2000(srgb_to_lab(image), srgb_to_lab(np.array(colour, np.uint8)[None, None]))


def _dot(shape, y: int, x: int, colour, radius: int = 1, hints: np.ndarray | None = None) -> np.ndarray:
    hints = np.zeros((*shape, 4), np.uint8) if hints is None else hints
    hints[y - radius:y + radius + 1, x - radius:x + radius + 1] = (*colour, 255)
    return hints


def _network_colour(truth: np.ndarray, seed: int = 0) -> np.ndarray:
    """What a weak network gives: a colour per area that bleeds over the lines, a stray blob of
    another hue inside A1, noise, fogged paper and a light-to-dark ramp across B."""
    rng = np.random.default_rng(seed)
    base = {PAPER: (245, 240, 200), A1: (230, 180, 150), A2: (120, 140, 200), B: (200, 90, 90), C: (90, 160, 90)}
    colour = np.zeros((*truth.shape, 3), np.float32)
    for region, rgb in base.items():
        colour[truth == region] = rgb
    colour[truth < 0] = (60, 50, 50)
    colour[40:70, 40:70] = (40, 200, 220)  # ~13 % of A1 in another hue
    ramp = np.interp(np.arange(truth.shape[0]), [66, 154], [1.2, 0.5])[:, None, None]  # B's rows
    colour = np.where((truth == B)[:, :, None], colour * ramp, colour)
    colour += rng.normal(0, 4, colour.shape)
    return np.clip(colour + 0.5, 0, 255).astype(np.uint8), base


def test_modes_and_default():
    assert MODES == ("raw", "flat", "shaded") and DEFAULT_MODE == "shaded"


def test_the_registry_says_what_each_mode_does():
    assert DEFAULT_MODE in MODES and NETWORK_MODE in MODES
    assert [(m.uses_regions, m.writes_layers, m.shading) for m in COLOUR_MODES] == [
        (False, False, False), (True, True, False), (True, True, True)]
    assert region_modes() == layer_modes() == ("flat", "shaded")
    assert layers_mode("raw") == DEFAULT_MODE and layers_mode("flat") == "flat"
    assert spoken(["flat", "shaded"], "and") == "flat and shaded" and spoken(["a", "b", "c"]) == "a, b or c"
    with pytest.raises(ValueError, match="unknown colour mode 'sepia'; use one of raw, flat, shaded"):
        colour_mode("sepia")


def test_flat_takes_each_regions_robust_colour_and_keeps_the_paper_white():
    gray, truth = drawing(2)
    colour, base = _network_colour(truth)
    flat = PageColouring(gray, colour).render("flat")
    for region in (A1, A2, C):
        assert np.percentile(_de(flat[interior(truth, region)], base[region]), 99) < 2.5, region
    paper = interior(truth, PAPER, margin=1)
    np.testing.assert_array_equal(flat[paper], 255)  # the network fogged it; the paper stays white
    assert (flat[truth == LINE] < 80).all()  # the line art, multiplied back
    raw_a1 = _de(colour[interior(truth, A1)], base[A1])
    assert (raw_a1 > 10).mean() > 0.05  # the stray blob was really there


def test_shaded_keeps_the_networks_light_and_shadow_inside_each_region():
    gray, truth = drawing(2)
    colour, base = _network_colour(truth)
    page = PageColouring(gray, colour)
    flat, shaded = page.render("flat"), page.render("shaded")
    b = interior(truth, B)
    rows = np.nonzero(b)[0]
    luma = shaded[b].astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)
    lower = rows > np.median(rows)  # the darker half of the ramp: darkened as the network did
    assert np.corrcoef(rows[lower], luma[lower])[0, 1] < -0.9
    assert luma[lower].min() < 0.75 * luma.max()
    # hue stays the region's: the ratio of the channels is the flat colour's
    ratio = shaded[b][lower].astype(np.float32) / np.maximum(flat[b][lower].astype(np.float32), 1)
    assert np.ptp(ratio, axis=1).max() < 0.06
    np.testing.assert_array_equal(shaded[interior(truth, PAPER, margin=1)], 255)
    assert (shaded[interior(truth, C)] <= flat[interior(truth, C)]).all()  # multiply only darkens


@pytest.mark.parametrize("gap", [1, 2, 3, 4])
def test_a_hint_fills_exactly_its_region(cache, gap):
    gray, truth = drawing(gap)
    rgb = gray_to_rgb(gray)
    hints = _dot(gray.shape, 100, 60, GREEN)
    colorizer = cache.get("tiny-a", "cpu")  # 240x320 > working size 64: the recombine path
    alone = FillSettings(part_tolerance=0)  # A1 alone, not the part it may form with A2 (test_core_hint_fill.py)
    flat = colorizer.colorize(rgb, hints=hints, mode="flat", fill=alone)
    region = truth == A1
    assert (_de(flat[region], GREEN) < 5).mean() >= 0.95
    outside = (truth >= 0) & (truth != A1) & ~near_gaps(truth)
    assert not (_de(flat[outside], GREEN) < 5).any()
    shaded = colorizer.colorize(rgb, hints=hints, mode="shaded", fill=alone)
    assert np.median(_de(shaded[region], GREEN)) < 3 and (_de(shaded[region], GREEN) < 5).mean() >= 0.8
    assert not (_de(shaded[outside], GREEN) < 5).any()


def test_two_hints_of_different_colours_split_their_region(cache):
    gray, truth = drawing(0)
    hints = _dot(gray.shape, 60, 125, RED, hints=_dot(gray.shape, 60, 185, BLUE))
    flat = cache.get("tiny-a", "cpu").colorize(gray_to_rgb(gray), hints=hints, mode="flat")
    a2 = interior(truth, A2, margin=1)
    xs = np.nonzero(a2)[1]
    left, right = flat[a2][xs < 150], flat[a2][xs > 160]  # the two hints meet at x = 155
    assert (_de(left, RED) < 5).mean() >= 0.95 and (_de(right, BLUE) < 5).mean() >= 0.95
    others = interior(truth, A1) | interior(truth, PAPER) | interior(truth, B)
    assert not ((_de(flat[others], RED) < 5) | (_de(flat[others], BLUE) < 5)).any()


def test_paper_is_white_unless_clicked_and_a_dab_on_it_only_washes_around_itself():
    """A fill-bucket click (one pixel) on the paper fills the paper; a dab of the brush there lays
    a soft wash around itself, out to twice its distance from the nearest line: a dot on a glow
    beside a figure never floods the page."""
    gray, truth = drawing(1)
    colour, _ = _network_colour(truth)
    page = PageColouring(gray, colour)
    sky = (150, 200, 240)
    paper = interior(truth, PAPER, margin=1)
    for mode in ("flat", "shaded"):
        out = page.render(mode, _dot(gray.shape, 5, 5, sky, radius=0))
        assert (_de(out[paper], sky) < 5).mean() > 0.99
        assert not (_de(out[interior(truth, A1)], sky) < 5).any()
        out = page.render(mode, _dot(gray.shape, 12, 150, sky))  # 8 px above the box's outline
        near = np.zeros(gray.shape, bool)
        near[8:17, 146:155] = True
        assert (_de(out[near & paper], sky) < 5).all()
        far = paper.copy()
        far[:40, 120:180] = False
        np.testing.assert_array_equal(out[far], 255)


def test_open_shapes_take_the_networks_colour_unless_it_left_them_paper():
    """A strand open at one end is coloured when the network coloured it (hair drawn with lines
    that end), white when the network left it paper-white (a gap), and a hint there fills the
    strand, not the whole paper."""
    gray, narrow, wide = open_shapes()
    hair = np.full((*gray.shape, 3), 250, np.uint8)
    hair[narrow] = BLUE
    paperish = np.full((*gray.shape, 3), 250, np.uint8)
    for mode in ("flat", "shaded"):
        coloured = PageColouring(gray, hair).render(mode)
        assert (_de(coloured[narrow], BLUE) < 5).mean() > 0.95
        np.testing.assert_array_equal(coloured[wide], 255)
        page = PageColouring(gray, paperish)
        np.testing.assert_array_equal(page.render(mode)[narrow], 255)
        filled = page.render(mode, _dot(gray.shape, 100, 65, RED))
        assert (_de(filled[narrow], RED) < 5).mean() > 0.95
        np.testing.assert_array_equal(filled[wide], 255)
        # Re-rendering for the hint, and back, gives what a full render gives.
        np.testing.assert_array_equal(page.rerender(mode, _dot(gray.shape, 100, 65, RED), page.render(mode), None), filled)
        np.testing.assert_array_equal(page.rerender(mode, None, filled, _dot(gray.shape, 100, 65, RED)), page.render(mode))


def test_hints_on_a_line_and_strokes_that_end_on_one(cache):
    gray, truth = drawing(0)
    colour, base = _network_colour(truth)
    page = PageColouring(gray, colour)
    # A stroke inside A1 that runs onto the divider (line pixels owned by A1 or A2): only A1.
    stroke = np.zeros((*gray.shape, 4), np.uint8)
    stroke[100:103, 80:112] = (*GREEN, 255)
    flat = page.render("flat", stroke)
    assert (_de(flat[truth == A1], GREEN) < 5).mean() >= 0.95
    assert not (_de(flat[interior(truth, A2, margin=1)], GREEN) < 5).any()
    # A click on a line pixel: it fills one of the two regions the line bounds, nothing else.
    click = _dot(gray.shape, 100, 110, RED, radius=0)
    assert truth[100, 110] == LINE
    flat = page.render("flat", click)
    filled = {region for region in (PAPER, A1, A2, B, C) if (_de(flat[interior(truth, region)], RED) < 5).mean() > 0.9}
    assert filled in ({A1}, {A2})
    assert not (_de(flat[interior(truth, B) | interior(truth, C) | interior(truth, PAPER)], RED) < 5).any()


def test_render_refills_for_new_hints_like_a_full_colouring(cache):
    gray, _ = drawing(3)
    rgb = gray_to_rgb(gray)
    colorizer = cache.get("tiny-a", "cpu")  # not a hint model: its output does not depend on hints
    page = colorizer.colour_page(rgb)
    np.testing.assert_array_equal(page.raw, colorizer.colorize(rgb))  # raw is still the default
    np.testing.assert_array_equal(page.render("raw"), colorizer.colorize(rgb, mode="raw"))
    for hints in (None, _dot(gray.shape, 100, 60, GREEN), _dot(gray.shape, 60, 125, RED, hints=_dot(gray.shape, 60, 185, BLUE))):
        for mode in ("flat", "shaded"):
            np.testing.assert_array_equal(page.render(mode, hints), colorizer.colorize(rgb, hints=hints, mode=mode))


def test_hint_models_still_get_the_hints_and_fills_apply_too(cache):
    gray, truth = drawing(2)
    rgb = gray_to_rgb(gray)
    hints = _dot(gray.shape, 100, 60, GREEN, radius=3)
    colorizer = cache.get("tiny-hints", "cpu")
    raw = colorizer.colorize(rgb, hints=hints, mode="raw")
    assert (_de(raw[interior(truth, A1)], GREEN) < 5).mean() < 0.2  # the tiny model colours the stroke only
    shaded = colorizer.colorize(rgb, hints=hints, mode="shaded")
    assert (_de(shaded[truth == A1], GREEN) < 5).mean() >= 0.9  # the fill does the rest
    # the page coloured without hints differs: the network saw them
    assert not np.array_equal(colorizer.colour_page(rgb).colour, colorizer.colour_page(rgb, hints=hints).colour)


@pytest.mark.parametrize("page", ["blank", "black", "scribble", "hatching", "tiny"])
@pytest.mark.parametrize("mode", ["flat", "shaded"])
def test_bad_pages_colour_sensibly(cache, page, mode):
    gray = {"blank": np.full((90, 70), 255, np.uint8), "black": np.zeros((90, 70), np.uint8),
            "tiny": np.full((1, 1), 255, np.uint8)}.get(page)
    if page == "scribble":
        gray = np.full((120, 160), 255, np.uint8)
        t = np.linspace(0, 4 * np.pi, 300)
        gray[(60 + 25 * np.sin(t)).astype(int), (20 + 9 * t).astype(int)] = 0
    if page == "hatching":
        yy, xx = np.mgrid[:120, :160]
        gray = np.where((yy + xx) % 4 == 0, 40, 255).astype(np.uint8)
    colorizer = cache.get("tiny-a", "cpu")
    out = colorizer.colorize(gray_to_rgb(gray), mode=mode)
    assert out.shape == (*gray.shape, 3) and out.dtype == np.uint8
    if page in ("blank", "tiny"):
        np.testing.assert_array_equal(out, 255)
    if page == "black":
        np.testing.assert_array_equal(out, 0)
    if page == "scribble":
        np.testing.assert_array_equal(out[gray == 255], 255)  # nothing closed: paper, stays white
    # a hint anywhere, even on the only pixel, fills without error
    hinted = colorizer.colorize(gray_to_rgb(gray), mode=mode, hints=_dot(gray.shape, 0, 0, RED, radius=0))
    assert hinted.shape == out.shape


def test_hints_must_be_the_page_size_and_modes_are_checked(cache):
    gray, _ = drawing(0)
    colorizer = cache.get("tiny-a", "cpu")
    with pytest.raises(ValueError, match="the colour hints are"):
        colorizer.colorize(gray_to_rgb(gray), hints=np.zeros((10, 10, 4), np.uint8), mode="flat")
    with pytest.raises(ValueError, match="unknown colour mode 'sepia'"):
        colorizer.colorize(gray_to_rgb(gray), mode="sepia")
    page = colorizer.colour_page(gray_to_rgb(gray))
    with pytest.raises(ValueError, match="the colour hints are"):
        page.render("shaded", np.zeros((*gray.shape[::-1], 4), np.uint8))
    with pytest.raises(ValueError, match="no layers"):
        page.layers("raw")
    assert page.regions.label_at(-3, 5) is None  # a click beside the page hits no region


def test_style_transfer_models_have_modes_too(tmp_path: Path):
    folder = make_model_dir(tmp_path / "models", names=("tiny-a",), with_style_transfer=True)
    colorizer = ColorizerCache(ModelRegistry([folder])).get("tiny-style", "cpu")
    gray, truth = drawing(0)
    reference = np.zeros((64, 64, 3), np.uint8)
    reference[..., 0] = 200
    out = colorizer.colorize(gray_to_rgb(gray), reference=reference, hints=_dot(gray.shape, 100, 60, GREEN),
                             mode="flat")
    assert (_de(out[truth == A1], GREEN) < 5).mean() >= 0.95
    np.testing.assert_array_equal(out[interior(truth, PAPER, margin=1)], 255)


def test_statistics_of_a_big_page_come_from_a_grid_and_keep_every_region(monkeypatch):
    """Above STATS_SAMPLES pixels the region colours come from every other pixel: the same
    colours as from all of them (a median needs no more), and a region the grid misses (here one
    pixel on an odd row and column) still gets its own colour, not black."""
    from ganime_desktop.core import colour_modes
    from ganime_desktop.core.regions import Regions

    h = w = 1000
    labels = np.zeros((h, w), np.int32)
    labels[:, w // 2:] = 1
    labels[301, 301] = 2  # on no even row or column
    lines = np.zeros((h, w), bool)
    regions = Regions(labels, np.bincount(labels.ravel()), np.zeros(3, bool), lines, labels, lines, 1, 255)
    rng = np.random.default_rng(1)
    colour = np.clip(rng.normal((200, 120, 80), 12, (h, w, 3)), 0, 255).astype(np.uint8)
    colour[:, w // 2:] = np.clip(rng.normal((60, 90, 200), 12, (h, w - w // 2, 3)), 0, 255).astype(np.uint8)
    colour[301, 301] = GREEN
    gray = np.full((h, w), 255, np.uint8)
    assert round((h * w / colour_modes.STATS_SAMPLES) ** 0.5) == 2
    coarse_rgb, coarse_luma = PageColouring(gray, colour, regions=regions)._stats[:2]
    monkeypatch.setattr(colour_modes, "STATS_SAMPLES", h * w)
    full_rgb, full_luma = PageColouring(gray, colour, regions=regions)._stats[:2]
    for region in (0, 1):
        assert _de(coarse_rgb[None, None, region], full_rgb[region])[0, 0] < 1.0
        assert abs(coarse_luma[region] - full_luma[region]) <= 2
    np.testing.assert_array_equal(coarse_rgb[2], full_rgb[2])
    assert _de(coarse_rgb[None, None, 2], GREEN)[0, 0] < 2
