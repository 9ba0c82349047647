"""The NumPy input pipeline of the JAX trainer: augmentation, realistic sketch styles, and the
sample pool's worker processes (real processes, real images)."""

from __future__ import annotations

import time

import numpy as np
import pytest

from training import sketch_styles
from training.augment import AugmentConfig, augment_geometry, darken_lines, on_white_paper
from training.data import PairLoader, list_sources
from training.hints import HintConfig, simulate_hints_np
from training.sample_pool import (
    SamplePool,
    SampleSpec,
    hints_to_uint8,
    load_store,
    make_sample,
    to_model_inputs,
)


def _drawing(size: int = 96) -> np.ndarray:
    """A colour picture with flat areas and a dark patch: edges to draw and shade to hatch."""
    img = np.full((size, size, 3), 230, np.uint8)
    img[10:50, 10:50] = (200, 40, 40)
    img[55:90, 20:80] = (30, 30, 60)
    return img


@pytest.mark.parametrize("base", sorted(sketch_styles.BASE_FUNCTIONS))
def test_each_base_style_draws_lines_on_paper(base):
    sketch = sketch_styles.BASE_FUNCTIONS[base](_drawing(), np.random.default_rng(1))
    assert sketch.shape == (96, 96) and sketch.dtype == np.uint8
    dark = sketch < 200
    assert 0.01 < dark.mean() < 0.4, dark.mean()  # lines, not a blank or a black page
    assert np.median(sketch) > 200  # mostly paper


def test_mixed_styles_are_seeded_and_varied():
    img = _drawing()
    a = sketch_styles.synthesize(img, "mixed", np.random.default_rng(5))
    b = sketch_styles.synthesize(img, "mixed", np.random.default_rng(5))
    assert np.array_equal(a, b)
    variants = {sketch_styles.synthesize(img, "mixed", np.random.default_rng(i)).tobytes() for i in range(12)}
    assert len(variants) == 12
    with pytest.raises(ValueError, match="unknown sketch style"):
        sketch_styles.synthesize(img, "charcoal", np.random.default_rng(0))


def test_modifiers_break_hatch_and_tone():
    rng = np.random.default_rng(0)
    img = _drawing()
    ink = sketch_styles.ink(img, rng)
    broken = sketch_styles.break_strokes(ink, np.random.default_rng(3))
    assert (broken < 128).sum() < (ink < 128).sum()  # gaps: fewer line pixels, none added
    assert np.all(broken[ink >= 128] == ink[ink >= 128])
    hatched = sketch_styles.hatch(ink, img, np.random.default_rng(4))
    dark_area = np.zeros((96, 96), bool)
    dark_area[60:85, 25:75] = True
    assert (hatched[dark_area] < ink[dark_area]).mean() > 0.1  # strokes over the dark patch
    assert np.array_equal(hatched[:5, :5], ink[:5, :5])  # none on the light paper
    toned = sketch_styles.paper(np.full((32, 32), 255, np.uint8), np.random.default_rng(2))
    assert 225 < toned.mean() < 256


def test_paper_placement_larger_than_the_crop_shows_part_of_the_figure():
    rng = np.random.default_rng(0)
    figure = np.zeros((100, 50, 3), np.uint8)  # a black figure
    small = on_white_paper(figure, 64, (0.5, 0.5), rng)
    assert small.shape == (64, 64, 3) and 0.05 < (small == 0).all(axis=2).mean() < 0.3
    big = on_white_paper(figure, 64, (2.0, 2.0), rng)
    assert (big == 0).all()  # 128 x 64 px of figure covers the whole 64 px crop
    crop = augment_geometry(np.zeros((80, 120, 4), np.uint8), 64, AugmentConfig(paper_prob=0.0), rng)
    assert crop.shape == (64, 64, 4)
    lighter = darken_lines(np.zeros((4, 4), np.uint8), 0.5, np.random.default_rng(1))
    assert 0 < lighter[0, 0] <= 128


def test_samples_and_hint_encoding_round_trip(faces_dir):
    sources = list_sources(faces_dir, "color", "test")[:3]
    store = load_store(sources + sources[:1], PairLoader(load_size=64))
    assert store.colours[0] is store.colours[3]  # a source listed twice is decoded once
    spec = SampleSpec(64, AugmentConfig(), "mixed", HintConfig(no_hint_prob=0.0, recolour_prob=0.0))
    sample = make_sample(store, spec, np.random.default_rng(0))
    assert sample["sketch"].shape == (64, 64, 1) and sample["colour"].shape == (64, 64, 3)
    assert sample["hints"].shape == (64, 64, 4) and sample["hints"].dtype == np.uint8
    x, colour = to_model_inputs({k: v[None] for k, v in sample.items()})
    assert x.shape == (1, 64, 64, 7) and colour.shape == (1, 64, 64, 3)
    mask = x[0, ..., 6]
    assert set(np.unique(mask)) <= {0.0, 1.0} and mask.any()
    assert np.all(x[0, ..., 3:6][mask == 0] == 0)  # no hint: zeros, as the app encodes it
    # the pool's uint8 hints decode to the simulation's float channels, to uint8 precision
    ref = simulate_hints_np(store.colours[0], HintConfig(no_hint_prob=0.0), (3, 4))
    decoded, _ = to_model_inputs({"sketch": np.zeros((1, 64, 64, 1), np.uint8),
                                  "colour": np.zeros((1, 64, 64, 3), np.uint8), "hints": hints_to_uint8(ref)[None]})
    assert ref[..., 3].any()
    np.testing.assert_allclose(decoded[0, ..., 3:], ref, atol=1.0 / 127.5)


def test_pool_workers_fill_refresh_and_stop(faces_dir):
    sources = list_sources(faces_dir, "color", "test")[:4]
    spec = SampleSpec(32, AugmentConfig(paper_prob=0.5), "xdog", None)
    with SamplePool(sources, PairLoader(load_size=48), spec, size=16, workers=1, chunk=4, log=lambda m: None) as pool:
        first = pool.batch(np.random.default_rng(0), 8)
        assert first["sketch"].shape == (8, 32, 32, 1) and first["colour"].dtype == np.uint8
        assert "hints" not in first
        made = pool.produced
        for _ in range(600):  # the workers keep replacing samples while batches are drawn
            if pool.produced > made + 8:
                break
            pool.batch(np.random.default_rng(1), 4)
            time.sleep(0.05)
        assert pool.produced > made
