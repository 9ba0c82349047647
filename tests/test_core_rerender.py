"""PageColouring.rerender (what the app runs after each hint edit) gives exactly render's image."""

from __future__ import annotations

import numpy as np
import pytest
from _region_pages import drawing

from ganime_desktop.core.colour_modes import PageColouring
from ganime_desktop.core.resize import CUBIC, resize
from ganime_desktop.selftest import colourful_reference


@pytest.mark.parametrize("mode", ["flat", "shaded"])
def test_rerender_after_each_edit_equals_a_full_render(mode):
    gray, _truth = drawing(2, hatch=True)
    page = PageColouring(gray, resize(colourful_reference(), *gray.shape, CUBIC))
    rng = np.random.default_rng(0)
    palette = [(230, 20, 30), (20, 90, 220), (40, 170, 60)]
    hints = np.zeros((*gray.shape, 4), np.uint8)
    shown, shown_hints = page.render(mode, hints), hints
    partial = 0
    for step in range(24):
        hints = shown_hints.copy()
        y, x = int(rng.integers(30, 230)), int(rng.integers(25, 300))
        if step % 6 == 5:
            hints[:] = 0  # clear
        elif step % 3 == 0:
            hints[y, x] = (*palette[step % 3], 255)  # a fill click (on paper or a line too)
        elif step % 3 == 1:
            hints[y:y + 3, x:x + 12] = (*palette[int(rng.integers(3))], 255)  # a stroke, maybe a second colour
        else:
            hints[y:y + 6, x:x + 6, 3] = 0  # erase
        full = page.render(mode, hints)
        quick = page.rerender(mode, hints, shown, shown_hints)
        np.testing.assert_array_equal(quick, full, err_msg=f"step {step}")
        partial += not np.shares_memory(quick, shown) and not (quick == shown).all()
        shown, shown_hints = quick, hints
    assert partial > 5
    assert page.rerender("raw", hints, shown, shown_hints) is page.raw
