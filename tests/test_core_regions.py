"""core.regions: line art -> closed regions, on a drawing whose regions are known (with the gaps
real pencil lines leave), on faint noisy pencil, hatching and bad pages, and through the cache."""

from __future__ import annotations

import numpy as np
import pytest
from _region_pages import A1, A2, GAP, LINE, PAPER, REGIONS, B, C, drawing, interior, open_shapes

from ganime_desktop.core import regions as regions_module
from ganime_desktop.core.regions import clear_cache, segment


def _majority(labels: np.ndarray, where: np.ndarray) -> tuple[int, float]:
    values, counts = np.unique(labels[where], return_counts=True)
    return int(values[counts.argmax()]), counts.max() / where.sum()


def _assert_known_regions(gray: np.ndarray, truth: np.ndarray) -> None:
    r = segment(gray)
    found = {}
    for region in REGIONS:
        label, share = _majority(r.labels, interior(truth, region))
        assert share == 1.0, f"region {region}: only {share:.1%} in one label"
        found[region] = label
    assert len(set(found.values())) == len(REGIONS), f"regions joined: {found}"
    assert r.is_background[found[PAPER]]
    assert not r.is_background[[found[t] for t in (A1, A2, B, C)]].any()
    # Every pixel belongs to a region; lines go to a region they bound.
    assert r.labels.shape == gray.shape and r.labels.dtype == np.int32
    assert r.labels.min() == 0 and r.labels.max() == r.count - 1
    np.testing.assert_array_equal(r.areas, np.bincount(r.labels.ravel(), minlength=r.count))
    line_labels = set(np.unique(r.labels[truth == LINE]).tolist())
    assert line_labels <= set(found.values())
    assert (truth[r.lines] >= 0).mean() < 0.001 and r.lines[truth == LINE].all()  # (paper grain: a dot or two)


@pytest.mark.parametrize("gap", [0, 1, 2, 3, 4])
def test_a_drawing_with_gaps_comes_out_as_its_regions(gap):
    _assert_known_regions(*drawing(gap))


def test_faint_noisy_pencil():
    gray, truth = drawing(4, ink=160, paper=238, noise=5.0)
    _assert_known_regions(gray, truth)
    assert abs(segment(gray).paper_level - 238) <= 8


def test_gaps_that_are_too_wide_do_join_regions():
    """The segmentation is not told the answer: a 16 px gap is an opening, not a pencil gap."""
    gray, truth = drawing(16)
    r = segment(gray)
    assert _majority(r.labels, interior(truth, A1))[0] == _majority(r.labels, interior(truth, A2))[0]


def test_hatching_stays_inside_its_area():
    gray, truth = drawing(2, hatch=True)
    r = segment(gray)
    hatched = set(np.unique(r.labels[interior(truth, A2)]).tolist())
    for region in (PAPER, A1, B, C):
        assert not hatched & set(np.unique(r.labels[interior(truth, region)]).tolist()), region
    assert len(hatched) <= 2  # the strips between the strokes join into one shaded area
    _majority_label, share = _majority(r.labels, interior(truth, A2))
    assert share >= 0.9


def test_specks_merge_into_their_neighbours():
    gray, truth = drawing(0)
    dots = gray.copy()
    for y, x in ((60, 60), (70, 150), (200, 100), (120, 262)):  # small closed rings inside A1, A2, C, B
        dots[y - 2:y + 3, x - 2:x + 3] = 0
        dots[y - 1:y + 2, x - 1:x + 2] = 255
    r, plain = segment(dots), segment(gray)
    assert r.count == plain.count == len(REGIONS)


def test_large_pages_are_segmented_shrunk_and_scaled_back():
    gray, truth = drawing(3)
    big, big_truth = (np.kron(a, np.ones((5, 5), a.dtype)) for a in (gray, truth))  # 1200x1600
    r = segment(big)
    assert r.scale > 1 and r.labels.shape == big.shape and r.small_labels.shape[0] < big.shape[0]
    for region in REGIONS:
        label, share = _majority(r.labels, interior(big_truth, region, margin=8))
        assert share == 1.0
    assert r.label_at(big.shape[1] // 2, 5) == _majority(r.labels, interior(big_truth, PAPER))[0]


@pytest.mark.parametrize("page", ["blank", "black", "gray", "tiny", "row", "column", "scribble", "noise"])
def test_bad_pages_give_sensible_regions(page):
    rng = np.random.default_rng(0)
    gray = {
        "blank": np.full((120, 90), 255, np.uint8),
        "black": np.zeros((120, 90), np.uint8),
        "gray": np.full((64, 64), 128, np.uint8),
        "tiny": np.zeros((1, 1), np.uint8),
        "row": np.full((1, 50), 255, np.uint8),
        "column": np.full((40, 2), 0, np.uint8),
        "noise": rng.integers(0, 256, (80, 80), dtype=np.uint8),
    }.get(page)
    if page == "scribble":  # strokes that close nothing
        gray = np.full((160, 200), 255, np.uint8)
        t = np.linspace(0, 6 * np.pi, 400)
        gray[(80 + 30 * np.sin(t)).astype(int), (20 + 8 * t).astype(int)] = 0
    r = segment(gray)
    assert r.labels.shape == gray.shape and r.count >= 1 and r.areas.sum() == gray.size
    if page in ("blank", "black", "gray", "tiny", "row", "column"):
        assert r.count == 1 and r.is_background[0]
    if page == "scribble":
        assert r.is_background[r.labels].mean() > 0.95  # all paper, lines included


def test_label_at_and_masks():
    gray, truth = drawing(0)
    r = segment(gray)
    a1 = r.label_at(50, 50)
    assert a1 == _majority(r.labels, interior(truth, A1))[0]
    assert r.label_at(-1, 10) is None and r.label_at(10, gray.shape[0]) is None
    assert r.mask(a1)[50, 50] and not r.mask(a1)[50, 150]
    box = r.boxes[a1]
    assert r.mask(a1)[box].sum() == r.areas[a1]


def test_results_are_cached_by_content_and_read_only():
    gray, _ = drawing(1)
    clear_cache()
    first = segment(gray)
    assert segment(gray.copy()) is first  # same content, another array: from the cache
    assert segment(gray.T.copy()) is not first  # another page
    with pytest.raises(ValueError):
        first.labels[0, 0] = 5
    for size in range(regions_module.CACHE_SIZE):  # least recently used pages drop out
        segment(np.full((8, 8 + size), 255, np.uint8))
    again = segment(gray)
    assert again is not first
    np.testing.assert_array_equal(again.labels, first.labels)


@pytest.mark.parametrize("bad", [np.zeros((4, 4), np.float32), np.zeros((4, 4, 3), np.uint8),
                                 np.zeros((0, 4), np.uint8), [[0, 1]]])
def test_rejects_what_is_not_gray_line_art(bad):
    with pytest.raises(ValueError, match="HxW uint8"):
        segment(bad)


def test_gap_pixels_go_to_a_neighbouring_region():
    gray, truth = drawing(3)
    r = segment(gray)
    a1, paper = (_majority(r.labels, interior(truth, t))[0] for t in (A1, PAPER))
    top_gap = (truth == GAP) & (np.arange(gray.shape[0])[:, None] < 25)
    assert set(np.unique(r.labels[top_gap]).tolist()) <= {a1, paper}


def test_small_pockets_in_the_paper_are_paper_but_not_inside_a_figure():
    gray = np.kron(drawing(0)[0], np.ones((2, 2), np.uint8))  # 480x640: rings of 16 px are pockets
    assert 16 * 16 < regions_module.POCKET_FRACTION * gray.size
    for y, x in ((410, 500), (120, 120)):  # a small closed ring on the paper, and one inside A1
        gray[y - 8:y + 8, x - 8:x + 8] = 0
        gray[y - 6:y + 6, x - 6:x + 6] = 255
    r = segment(gray)
    on_paper, in_a1 = r.label_at(500, 410), r.label_at(120, 120)
    a1 = r.label_at(100, 200)
    assert len({on_paper, in_a1, a1, r.label_at(5, 5)}) == 4  # both rings are regions of their own
    assert r.is_background[on_paper] and not r.is_background[in_a1] and not r.is_background[a1]


def test_an_open_shape_too_narrow_for_the_papers_ball_is_split_from_the_paper():
    """A strand drawn as two lines that end joins the paper through its open end; the paper's big
    ball cannot enter it, so it is a region of its own, marked open (the colouring decides whether
    it is paper). A wide opening is paper."""
    gray, narrow, wide = open_shapes()
    r = segment(gray)
    strand, gap, paper = _majority(r.labels, narrow), _majority(r.labels, wide), r.label_at(5, 5)
    assert strand[1] == 1.0 and gap[1] == 1.0
    assert strand[0] != paper and r.is_open[strand[0]] and not r.is_background[strand[0]]
    assert gap[0] == paper and r.is_background[paper] and not r.is_open[paper]
    assert r.is_open.sum() == 1 and r.is_open.size == r.count
    np.testing.assert_array_equal(r.areas, np.bincount(r.labels.ravel(), minlength=r.count))
    # Lines between the strand and the paper go to one of the two; none to anything else.
    assert set(np.unique(r.labels[r.lines]).tolist()) <= {strand[0], paper}


def test_closed_drawings_have_no_open_shapes():
    for gap in (0, 4):
        assert not segment(drawing(gap)[0]).is_open.any()


def test_paper_beside_a_line_stays_on_its_side():
    """A thin strip (a ribbon 5 px across) beside a wide area: the strip's core lies nearer the
    line between them than the wide area's, yet no pixel of paper on the wide side may join the
    strip (colour would cross the line), and a spike narrowing to a point keeps its tip."""
    gray = np.full((160, 200), 255, np.uint8)
    gray[20:22, 20:180] = 0  # the box's top, its bottom, its sides
    gray[138:140, 20:180] = 0
    gray[20:140, 20:22] = 0
    gray[20:140, 178:180] = 0
    gray[27:29, 22:178] = 0  # the line between the strip (rows 22..26) and the area below it
    yy, xx = np.mgrid[:160, :200]
    spike = (yy >= 29) & (yy < 110) & (np.abs(xx - 100) <= (110 - yy) * 0.25)  # a spike hanging into the area
    edge = spike & ~(np.abs(xx - 100) <= (110 - yy) * 0.25 - 2)
    gray[edge] = 0
    r = segment(gray)
    paper = ~r.lines
    strip, area = r.label_at(100, 24), r.label_at(40, 100)
    assert strip != area
    assert set(np.unique(r.labels[22:27, 22:178][paper[22:27, 22:178]]).tolist()) == {strip}
    inside_area = np.zeros_like(paper)
    inside_area[29:138, 22:178] = True
    inside_area &= paper & ~spike
    assert set(np.unique(r.labels[inside_area]).tolist()) == {area}
    inside_spike = spike & paper
    assert inside_spike.sum() > 200
    assert (r.labels[inside_spike] != area).all()  # the tip too: it never goes to the area around it
