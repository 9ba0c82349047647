"""Fills an artist trusts (core/hint_fill.py, parts.py, gap_close.py through PageColouring): a dot
on a figure fills its part and never the paper through a gap or the page's edge, one click fills
hair drawn as strands (Shift+click one strand), no unfilled pixel inside a filled part, shading
kept under hints, and sensible results on bad input."""

from __future__ import annotations

import numpy as np
import pytest
from _fill_pages import hair_page, leg_page

from ganime_desktop.core.colour import gray_to_rgb
from ganime_desktop.core.colour_modes import PageColouring
from ganime_desktop.core.gap_close import GAP_SETTINGS
from ganime_desktop.core.hint_fill import FillSettings
from ganime_desktop.core.hints import REGION_ONLY_ALPHA
from training.metrics import delta_e2000, srgb_to_lab

SKIN, HAIR, OTHER = (235, 190, 160), (150, 70, 40), (60, 120, 200)


def _de(pixels: np.ndarray, colour) -> np.ndarray:
    return delta_e2000(srgb_to_lab(pixels), srgb_to_lab(np.array(colour, np.uint8)[None, None]))


def _hints(shape, dots, radius: int = 0, alpha: int = 255) -> np.ndarray:
    """A hint layer with a dot of ``radius`` (0: a one-pixel fill-bucket click) per (y, x, colour)."""
    hints = np.zeros((*shape, 4), np.uint8)
    for y, x, colour in dots:
        hints[y - radius:y + radius + 1, x - radius:x + radius + 1] = (*colour, alpha)
    return hints


def _network(gray: np.ndarray, colour=(200, 200, 200)) -> np.ndarray:
    """A network that painted the page one grey with a light shadow over its lower half, lines dark."""
    out = np.empty((*gray.shape, 3), np.uint8)
    out[:] = colour
    out[gray.shape[0] // 2:, :] = (np.array(colour) * 0.93).astype(np.uint8)
    out[gray < 128] = 40
    return out


@pytest.mark.parametrize("radius", [0, 3])
def test_a_dot_on_a_leg_cut_by_the_page_edge_through_a_gap_fills_the_leg_not_the_paper(radius):
    gray, leg, paper = leg_page(edge_gap=6, side_gap=6)
    page = PageColouring(gray, _network(gray))
    assert page.background[page.regions.labels[leg]].any()  # the leg joins the paper in the regions
    for y in (270, 205):  # low on the leg (in the paper's region) and high on it
        out = page.render("flat", _hints(gray.shape, [(y, 110, SKIN)], radius))
        assert (_de(out[leg], SKIN) < 3).mean() > 0.9, y
        assert (_de(out[paper], SKIN) < 10).sum() < 0.002 * paper.sum(), y  # at most the gap's mouth
    # "off": no gap closing; the dot's region is the paper, and a dab there only washes around itself
    out = page.render("flat", _hints(gray.shape, [(270, 110, SKIN)], 3), FillSettings(close_gaps="off"))
    far = paper.copy()
    far[150:] = False
    np.testing.assert_array_equal(out[far], 255)


def test_a_click_on_the_paper_fills_the_paper_and_a_coloured_leg_keeps_its_colour():
    gray, leg, paper = leg_page()
    page = PageColouring(gray, _network(gray))
    body = np.zeros(gray.shape, bool)
    body[45:155, 65:175] = True
    out = page.render("flat", _hints(gray.shape, [(10, 10, OTHER)]))
    assert (_de(out[paper], OTHER) < 3).mean() > 0.97
    assert not (_de(out[body], OTHER) < 10).any()
    # the leg joins the paper through its gap: the paper's fill reaches it until the leg is coloured
    out = page.render("flat", _hints(gray.shape, [(10, 10, OTHER), (270, 110, SKIN)]))
    assert (_de(out[paper], OTHER) < 3).mean() > 0.97
    assert (_de(out[leg], SKIN) < 3).mean() > 0.9


def test_hair_drawn_as_strands_fills_as_one_part_and_shift_click_fills_one_strand():
    gray, hair, ornament, strands = hair_page()
    page = PageColouring(gray, _network(gray))
    out = page.render("flat", _hints(gray.shape, [(60, 45, HAIR)]))
    assert (_de(out[hair], HAIR) < 3).all()  # every strand: no unfilled pixel inside the part
    assert not (_de(out[ornament], HAIR) < 10).any()  # the ornament, closed by its own line, is its own part
    only = page.render("flat", _hints(gray.shape, [(60, 45, HAIR)], alpha=REGION_ONLY_ALPHA))
    assert (_de(only[strands[0]], HAIR) < 3).all()
    for strand in strands[1:]:
        assert not (_de(only[strand], HAIR) < 10).any()
    # tolerance 0: every region its own part, as before parts
    single = page.render("flat", _hints(gray.shape, [(60, 45, HAIR)]), FillSettings(part_tolerance=0))
    assert not (_de(single[strands[2]], HAIR) < 10).any()


def test_clicks_of_two_colours_in_one_part_colour_each_its_region():
    """Hair and a face the network coloured alike are one part: a click of each colour keeps its
    region, and the part's other regions take the nearest click's colour."""
    gray, hair, _ornament, strands = hair_page()
    page = PageColouring(gray, _network(gray))
    out = page.render("flat", _hints(gray.shape, [(60, 45, HAIR), (60, 195, SKIN)]))
    assert (_de(out[strands[0]], HAIR) < 3).all() and (_de(out[strands[-1]], SKIN) < 3).all()
    assert (_de(out[strands[1]], HAIR) < 3).all() and (_de(out[strands[-2]], SKIN) < 3).all()  # the nearer click
    for strand in strands:
        assert ((_de(out[strand], HAIR) < 3) | (_de(out[strand], SKIN) < 3)).mean() > 0.99  # each strand one colour


def test_parts_join_only_regions_the_network_coloured_alike():
    gray, hair, _ornament, strands = hair_page()
    network = _network(gray)
    network[strands[2]] = (200, 60, 60)  # the network saw that strand as another thing
    page = PageColouring(gray, network)
    out = page.render("flat", _hints(gray.shape, [(60, 45, HAIR)]))
    assert (_de(out[strands[1]], HAIR) < 3).all()
    assert not (_de(out[strands[2]], HAIR) < 10).any()


def test_without_hints_each_part_takes_one_colour():
    gray, hair, _ornament, strands = hair_page()
    network = _network(gray)
    network[strands[1]] = (190, 205, 200)  # a little patchy, within the tolerance
    page = PageColouring(gray, network)
    flat = page.render("flat")
    assert len(np.unique(flat[hair].reshape(-1, 3), axis=0)) == 1
    patchwork = page.render("flat", fill=FillSettings(part_tolerance=0))
    assert len(np.unique(patchwork[hair].reshape(-1, 3), axis=0)) > 1


@pytest.mark.parametrize("setting", GAP_SETTINGS)
def test_shading_under_a_hint_is_the_shading_without_it(setting):
    gray, hair, _ornament, _strands = hair_page()
    page = PageColouring(gray, _network(gray))
    fill = FillSettings(close_gaps=setting)
    hints = _hints(gray.shape, [(60, 45, HAIR), (200, 100, SKIN)], radius=4)
    shading = page.layers("shaded", hints, fill).shading
    np.testing.assert_array_equal(shading, page.layers("shaded", None, fill).shading)
    assert shading[220, 100] < shading[60, 100] == 255  # the network's shadow over the lower half


def test_fill_edges_are_anti_aliased_where_two_hints_meet():
    gray, hair, _ornament, strands = hair_page()
    page = PageColouring(gray, _network(gray))
    out = page.render("flat", _hints(gray.shape, [(60, 45, HAIR), (200, 45, SKIN)]))
    column = out[40:240, 45]
    blended = [c for c in column if _de(c[None, None], HAIR)[0, 0] > 3 and _de(c[None, None], SKIN)[0, 0] > 3]
    assert 1 <= len(blended) <= 3  # one soft step between the two colours, not a hard one or a smear


@pytest.mark.parametrize("kind", ["blank", "black", "on a line", "everywhere"])
def test_bad_hints_and_pages_give_sensible_fills(kind):
    gray, hair, _ornament, _strands = hair_page()
    if kind == "blank":
        gray = np.full_like(gray, 255)
    elif kind == "black":
        gray = np.zeros_like(gray)
    hints = _hints(gray.shape, [(31, 100, HAIR)])  # on the hair's top outline
    if kind == "everywhere":
        hints[:] = (*HAIR, 255)
    page = PageColouring(gray, _network(gray))
    for mode in ("flat", "shaded"):
        out = page.render(mode, hints)
        assert out.shape == (*gray.shape, 3) and out.dtype == np.uint8
    if kind == "on a line":
        assert (_de(page.render("flat", hints)[hair], HAIR) < 3).mean() > 0.95  # the side below the line
    if kind == "everywhere":
        assert (_de(page.render("flat", hints)[hair], HAIR) < 3).all()
    assert page.reach(-1, 5) is None and page.reach(5, gray.shape[0]) is None


def test_the_fill_bucket_preview_is_what_the_click_fills():
    gray, leg, paper = leg_page()
    page = PageColouring(gray, _network(gray))
    for y, x in ((270, 110), (10, 10), (100, 100)):
        reach = page.reach(x, y)
        out = page.render("flat", _hints(gray.shape, [(y, x, OTHER)]))
        filled = _de(out, OTHER) < 3
        assert reach.shape == page.regions.small_labels.shape and page.regions.scale == 1
        inside = reach & (gray == 255)
        assert (filled[inside]).mean() > 0.98 and not (filled & ~reach).any()  # edges blend


def test_rgb_pages_and_the_pipeline_fill_alike():
    gray, leg, _paper = leg_page()
    a = PageColouring(gray, _network(gray)).render("flat", _hints(gray.shape, [(270, 110, SKIN)]))
    b = PageColouring(gray_to_rgb(gray)[:, :, 0], _network(gray)).render("flat", _hints(gray.shape, [(270, 110, SKIN)]))
    np.testing.assert_array_equal(a, b)


def test_a_hint_models_stroke_leaves_no_pale_band_in_the_shading():
    """A hint model paints the stroke's own lightness under it: that is not light and shadow, so
    the shading there comes from around the stroke, in the panes and the saved shading layer."""
    gray, hair, _ornament, strands = hair_page()
    network = _network(gray)
    hints = _hints(gray.shape, [(200, 45, HAIR)], radius=3)  # in the network's shadow
    painted = network.copy()
    painted[hints[:, :, 3] > 0] = (250, 250, 250)  # the model copied a pale stroke
    page = PageColouring(gray, painted, network_hints=hints)
    shading = page.layers("shaded", hints).shading
    under = hints[:, :, 3] > 0
    around = np.zeros(gray.shape, bool)
    around[190:211, 35:56] = True
    around &= ~under & strands[0]
    assert abs(int(np.median(shading[under])) - int(np.median(shading[around]))) <= 2 < 255 - np.median(shading[around])
    unaware = PageColouring(gray, painted).layers("shaded", hints).shading  # as if the stroke were shading
    assert int(np.median(unaware[under])) > int(np.median(unaware[around]))
