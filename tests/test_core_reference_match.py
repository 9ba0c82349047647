"""Colouring a page like a coloured reference page (issue 28): synthetic figures drawn again moved,
turned, scaled and mirrored take their counterparts' colours; what the reference does not show
falls back to the network; hints still win; the reference mask in the layers; files that cannot
be used give plain messages."""

from __future__ import annotations

import numpy as np
import pytest
from _like_pages import Part, box, draw, figure, majority_part
from _ora import check_and_compose
from PIL import Image

from ganime_desktop.core.cancel import Cancelled
from ganime_desktop.core.colour_modes import PageColouring
from ganime_desktop.core.layers import Layers, write_layers
from ganime_desktop.core.like_page import LikeReferenceError, load_like_reference, reference_from_arrays
from ganime_desktop.core.reference_match import match_page, prepare_reference, recolour_raw
from ganime_desktop.core.regions import segment

PARTS = figure()
PALETTE = np.array([(255, 255, 255)] + [p.colour for p in PARTS], np.int64)
MIN_AREA = 40  # px: regions smaller than this (slivers where outlines meet) are not judged


@pytest.fixture(scope="module")
def reference():
    gray, colour, _ = draw(PARTS)
    return prepare_reference(colour, gray)


def _colours_of(gray: np.ndarray, which: np.ndarray, reference):
    regions = segment(gray)
    colours = match_page(gray, regions, reference)
    part, share = majority_part(regions.labels, which, regions.count)
    return regions, colours, part, share


@pytest.mark.parametrize("move", [
    dict(),
    dict(mirror=True),
    dict(angle=14.0, scale=0.85, shift=(0.04, -0.06), mirror=True),
    dict(angle=-20.0, scale=1.1, shift=(-0.03, 0.05)),
    dict(size=(420, 300), angle=8.0, scale=0.7),  # a page of another size, the figure smaller on it
], ids=["same", "mirrored", "moved-mirrored", "turned-scaled", "other-size"])
def test_every_region_of_a_moved_mirrored_copy_gets_its_counterparts_colour(reference, move):
    move = dict(move)
    gray, _, which = draw(PARTS, move.pop("size", (320, 256)), **move)
    regions, colours, part, share = _colours_of(gray, which, reference)
    # Pockets of paper that the figure encloses are left out: whether one is paper or a part the
    # reference does not show is the network's to say.
    judged = (regions.areas >= MIN_AREA) & (share > 0.9) & ((part > 0) | regions.is_background)
    figure_regions = judged & (part > 0)
    assert figure_regions.sum() >= len(PARTS)
    assert colours.decided[figure_regions].all()
    error = np.abs(colours.rgb.astype(np.int64) - PALETTE[part]).max(axis=1)
    assert (error[figure_regions] <= 8).all(), [(PARTS[p - 1].name, colours.rgb[i].tolist())
                                                for i, p in enumerate(part) if figure_regions[i] and error[i] > 8]
    # The paper is paper where the reference shows it; where it lies beyond the reference's edges
    # the reference does not decide it (and the app keeps it white).
    paper = judged & regions.is_background
    assert (colours.paper[paper] | ~colours.decided[paper]).all()
    assert colours.score > 0.9


def test_a_mirrored_copy_is_not_coloured_as_the_unmirrored_picture(reference):
    """The legs and arms differ left and right: a mirrored page swaps their colours."""
    gray, _, which = draw(PARTS, mirror=True)
    regions, colours, part, _ = _colours_of(gray, which, reference)
    left_leg = 1 + next(i for i, p in enumerate(PARTS) if p.name == "left leg")
    region = int(np.argmax((part == left_leg) * regions.areas))
    assert np.abs(colours.rgb[region].astype(int) - PARTS[left_leg - 1].colour).max() <= 8
    # on the page the mirrored left leg lies on the right: its colour is not the right leg's
    right = np.array(next(p.colour for p in PARTS if p.name == "right leg"))
    assert np.abs(colours.rgb[region].astype(int) - right).max() > 30


def test_a_region_the_reference_does_not_show_falls_back_to_the_network(reference):
    stranger = Part("a new character", box(0.25, 0.75, 1.0, 1.25), (10, 10, 10))  # where the reference has paper
    gray, _, which = draw([*PARTS, stranger], (320, 360), shift=(0.0, -0.12))
    regions, colours, part, share = _colours_of(gray, which, reference)
    new = (part == len(PARTS) + 1) & (share > 0.9) & (regions.areas >= MIN_AREA)
    assert new.any()
    assert not colours.decided[new].any() and (colours.confidence[new] == 0).all()
    known = (part > 0) & (part <= len(PARTS)) & (share > 0.9) & (regions.areas >= MIN_AREA)
    assert colours.decided[known].all()
    # Through the colour modes: the new region keeps the network's colour, the rest take the reference's.
    network = np.zeros((*gray.shape, 3), np.uint8)
    network[...] = (200, 180, 40)
    page = PageColouring(gray, network, regions=regions, reference=colours)
    flat = page.render("flat")
    inside = (regions.labels == int(np.argmax(new * regions.areas))) & ~regions.lines
    assert (np.abs(flat[inside].astype(int) - (200, 180, 40)).max(axis=1) <= 2).all()
    body = 1 + next(i for i, p in enumerate(PARTS) if p.name == "body")
    body_pixels = (part[regions.labels] == body) & ~regions.lines
    assert np.median(np.abs(flat[body_pixels].astype(int) - PARTS[body - 1].colour).max(axis=1)) <= 8
    assert (np.abs(page.layers("flat").flats[new[regions.labels]].astype(int) - (200, 180, 40)) <= 2).all()


def test_a_page_that_shows_nothing_of_the_reference_keeps_the_network(reference):
    gray = np.full((200, 200), 255, np.uint8)
    gray[60:62, 20:180] = 0  # one stroke: no figure
    regions = segment(gray)
    colours = match_page(gray, regions, reference)
    assert not (colours.decided & ~colours.paper).any()


def test_hints_win_over_the_reference_and_shading_stays_the_networks(reference):
    gray, _, which = draw(PARTS, angle=5.0)
    regions, colours, part, _ = _colours_of(gray, which, reference)
    network = np.zeros((*gray.shape, 3), np.uint8)
    network[...] = np.linspace(40, 250, gray.shape[1]).astype(np.uint8)[None, :, None]  # light to the right
    page = PageColouring(gray, network, regions=regions, reference=colours)
    body = 1 + next(i for i, p in enumerate(PARTS) if p.name == "body")
    region = int(np.argmax((part == body) * regions.areas))
    inside = (regions.labels == region) & ~regions.lines
    shaded = page.render("shaded")
    lightness = shaded[inside].astype(int).sum(axis=1)
    assert lightness.max() - lightness.min() > 40  # the network's light and shadow
    assert np.abs(page.render("flat")[inside].astype(int) - PARTS[body - 1].colour).max() <= 8
    ys, xs = np.nonzero(inside)
    hints = np.zeros((*gray.shape, 4), np.uint8)
    hints[ys[0], xs[0]] = (255, 0, 0, 255)
    hinted = page.render("flat", hints)
    assert (hinted[inside] == (255, 0, 0)).all(axis=1).mean() > 0.97  # but for its anti-aliased edges at gaps
    mask = colours.mask(regions.labels, hints)
    assert (mask[inside] == 0).all() and (mask[(part[regions.labels] == 2) & ~regions.lines] == 255).all()


def test_raw_mode_takes_the_references_colours_and_keeps_the_networks_light(reference):
    gray, _, which = draw(PARTS, mirror=True)
    regions, colours, part, _ = _colours_of(gray, which, reference)
    raw = np.full((*gray.shape, 3), 128, np.uint8)
    raw[:, : gray.shape[1] * 2 // 5] = 100  # the network's shadow on the left
    out = recolour_raw(raw, regions, colours)
    body = 1 + next(i for i, p in enumerate(PARTS) if p.name == "body")
    region = int(np.argmax((part == body) * regions.areas))
    inside = (regions.labels == region) & ~regions.lines
    lit, shadow = inside & (raw[:, :, 0] == 128), inside & (raw[:, :, 0] == 100)
    assert lit.sum() > shadow.sum() > 100  # the region's median is lit
    assert np.abs(out[lit].astype(int) - colours.rgb[region]).max() <= 3
    assert np.abs(out[lit].astype(int) - PARTS[body - 1].colour).max() <= 8
    assert (out[shadow].astype(int).sum(axis=1) < sum(PARTS[body - 1].colour) - 30).all()  # the shadow stays


def test_cancel(reference):
    gray, _, _ = draw(PARTS)
    with pytest.raises(Cancelled):
        match_page(gray, segment(gray), reference, should_cancel=lambda: True)


def test_the_layers_mark_what_came_from_the_reference(reference, tmp_path):
    gray, _, which = draw(PARTS, angle=-6.0)
    regions, colours, _, _ = _colours_of(gray, which, reference)
    page = PageColouring(gray, np.full((*gray.shape, 3), 200, np.uint8), regions=regions, reference=colours)
    plain = page.layers("shaded")
    layers = Layers(plain.flats, plain.shading, plain.lines, colours.mask(regions.labels))
    paths = write_layers(tmp_path / "p1_model.png", layers)
    assert set(paths) == {"flats", "shading", "lines", "ora", "reference"}
    mask = np.array(Image.open(paths["reference"]))
    assert mask.shape == gray.shape and set(np.unique(mask)) <= {0, 255} and (mask == 255).mean() > 0.5
    composite, merged, entries = check_and_compose(paths["ora"])
    assert entries[0]["visibility"] == "hidden" and "reference" in entries[0]["name"].lower()
    assert np.abs(composite.astype(int) - layers.compose()).max() <= 1
    assert (merged == layers.compose()).all()


# --- reading the reference: files and plain messages ------------------------------------------------


def _save(path, pixels):
    Image.fromarray(pixels).save(path)
    return path


def test_the_reference_from_files_with_and_without_its_line_art(tmp_path):
    gray, colour, _ = draw(PARTS)
    page, _, which = draw(PARTS, angle=10.0, mirror=True)
    coloured = _save(tmp_path / "coloured.png", colour)
    sketch2x = _save(tmp_path / "sketch@2x.png", np.array(Image.fromarray(gray).resize((512, 640), Image.NEAREST)))
    assert load_like_reference(coloured).lines_from == "its own dark strokes"
    for like in (load_like_reference(coloured, sketch2x), load_like_reference(coloured)):  # own lines, or its strokes
        regions, colours, part, share = _colours_of(page, which, like)
        big = (regions.areas >= 300) & (share > 0.9) & (part > 0)
        error = np.abs(colours.rgb.astype(np.int64) - PALETTE[part]).max(axis=1)
        assert colours.decided[big].all() and (error[big] <= 10).all()


def test_the_apps_layer_files_carry_the_line_art(tmp_path):
    """A page coloured and saved with layers: its .ora (and the .lines.png beside the PNG) hold
    the line art it was coloured on, and the reference reads them."""
    gray, colour, _ = draw(PARTS)
    flats = colour.copy()
    flats[gray == 0] = 255
    paths = write_layers(tmp_path / "p1.png", Layers(flats, np.full(gray.shape, 255, np.uint8), gray))
    _save(tmp_path / "p1.png", colour)
    from_ora, from_png = load_like_reference(paths["ora"]), load_like_reference(tmp_path / "p1.png")
    expected = prepare_reference(colour, gray)
    assert from_ora.lines_from == "the .ora's line layer" and from_png.lines_from == str(tmp_path / "p1.lines.png")
    for like in (from_ora, from_png):
        assert (like.line_pixels == expected.line_pixels).all()
        assert np.abs(like.colour.astype(int) - colour).max() <= 1


def test_plain_messages_for_references_that_cannot_be_used(tmp_path):
    gray, colour, _ = draw(PARTS)
    coloured = _save(tmp_path / "coloured.png", colour)
    greyscale = _save(tmp_path / "grey.png", np.repeat(gray[:, :, None], 3, axis=2))
    with pytest.raises(LikeReferenceError, match=r"grey\.png.*greyscale.*colour one page first"):
        load_like_reference(greyscale)
    other = _save(tmp_path / "other.png", np.full((100, 300), 255, np.uint8))
    with pytest.raises(LikeReferenceError, match=r"other\.png.*300x100.*coloured\.png.*256x320.*same picture"):
        load_like_reference(coloured, other)
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(40))
    with pytest.raises(LikeReferenceError, match=r"broken\.png.*not a readable image"):
        load_like_reference(broken)
    with pytest.raises(LikeReferenceError, match=r"missing\.png.*no such file"):
        load_like_reference(tmp_path / "missing.png")
    bad_ora = tmp_path / "page.ora"
    bad_ora.write_bytes(b"not a zip")
    with pytest.raises(LikeReferenceError, match=r"page\.ora.*OpenRaster"):
        load_like_reference(bad_ora)
    with pytest.raises(LikeReferenceError, match="greyscale"):
        reference_from_arrays(np.repeat(gray[:, :, None], 3, axis=2))


def _pool(labels, colours, agreement, count):
    from ganime_desktop.core.colour import rgb8_to_lab
    from ganime_desktop.core.reference_pool import VotePool

    lab = rgb8_to_lab(np.array(colours, np.uint8)[None])[0]
    own_paper = np.zeros(count, bool)
    own_paper[0] = True
    return VotePool(np.array(labels), lab.astype(np.float32), np.array(agreement, np.float32), own_paper)


def _hedged_toward_network(rgb, reference_rgb, network_rgb, share=0.5) -> bool:
    """``rgb`` lies ``share`` of the way from the reference's colour to the network's (CIE Lab)."""
    from ganime_desktop.core.colour import rgb8_to_lab

    lab, ref, net = (rgb8_to_lab(np.array(c, np.uint8)[None])[0] for c in (rgb, reference_rgb, network_rgb))
    return bool(np.abs(lab - (ref * (1 - share) + net * share)).max() <= 1.5)


def test_a_page_matched_in_part_takes_the_colour_its_best_aligned_votes_land_on():
    # region 1: a few votes where the two line arts agree, landing on red; most where they do
    # not, landing on blue (the other pose's sleeve): the median of the votes would be blue
    red, blue = (200, 30, 30), (30, 30, 200)
    pool = _pool([1] * 10, [red] * 3 + [blue] * 7, [0.99] * 3 + [0.6] * 7, 2)
    rgb = pool.region_rgb()
    assert np.abs(rgb[1].astype(int) - red).max() <= 3


def test_a_region_whose_votes_agree_badly_takes_its_parts_colour_and_stays_decided():
    from ganime_desktop.core.reference_colours import ReferenceColours

    red, blue, green = (200, 30, 30), (30, 30, 200), (30, 160, 30)
    # regions 1 and 2 are one part (strands of one lock of hair); 3 is alone; 0 is the paper
    labels = [1] * 5 + [2] * 5 + [3] * 5
    pool = _pool(labels, [red] * 5 + [blue] * 5 + [green] * 5, [0.98] * 5 + [0.6] * 5 + [0.6] * 5, 4)
    own = pool.region_rgb()
    colours = ReferenceColours(own, np.array([True, True, True, True]), np.array([True, False, False, False]),
                               np.ones(4, np.float32), 0.6, pool)
    network = np.full((4, 3), 128, np.uint8)
    parts = np.array([0, 1, 1, 3])
    rgb, paper = colours.apply(network, np.array([True, False, False, False]), parts)
    assert _hedged_toward_network(rgb[2], red, network[2])  # the badly aligned strand: its part's colour
    assert _hedged_toward_network(rgb[3], green, network[3])  # alone in its part: its own votes
    assert _hedged_toward_network(rgb[1], red, network[1])
    assert paper.tolist() == [True, False, False, False]
    unpooled, _ = colours.apply(network, np.array([True, False, False, False]))  # without the parts
    assert np.abs(unpooled[2].astype(int) - blue).max() <= 3
    # the better the page matched, the less the network's colour counts: none at CROSS_POSE_SCORE
    from ganime_desktop.core.reference_pool import CROSS_POSE_SCORE, network_share

    assert network_share(0.6) == 0.5 and 0 < network_share(0.8) < 0.5 == network_share(0.1)
    assert network_share(CROSS_POSE_SCORE) == 0.0
    closer = ReferenceColours(own, colours.decided, colours.paper, colours.confidence, 0.8, pool)
    rgb, _ = closer.apply(network, np.array([True, False, False, False]), parts)
    assert _hedged_toward_network(rgb[3], green, network[3], network_share(0.8))
    labels_map = np.array([[0, 1, 2, 3]])
    assert colours.mask(labels_map).tolist() == [[255, 255, 255, 255]]  # still all from the reference


def test_a_page_that_matches_the_whole_reference_keeps_each_regions_own_votes(reference):
    gray, _, _ = draw(PARTS, (320, 256), angle=14.0, scale=0.85, shift=(0.04, -0.06), mirror=True)
    colours = match_page(gray, segment(gray), reference)
    assert colours.score >= 0.85 and colours.pool is None
