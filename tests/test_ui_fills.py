"""Fills an artist trusts, in the real window (offscreen): one click fills hair drawn as strands and
Shift+click one strand, the bucket outlines what it will fill while it hovers, Ctrl+Z / Ctrl+Y /
Ctrl+Shift+Z undo and redo a fill, and the Gaps and Parts settings re-render the panes."""

from __future__ import annotations

import numpy as np
import pytest
from _fill_pages import hair_page, leg_page
from _ui_helpers import to_widget, wait_done
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtTest import QTest

from ganime_desktop.core.hint_fill import FillSettings
from ganime_desktop.core.imageio import write_image_atomic

pytest_plugins = ["_ui_fixtures"]
pytestmark = pytest.mark.usefixtures("no_leaked_workers")
HAIR = (150, 70, 40)


def _open(make_window, qtbot, tmp_path, gray: np.ndarray, tolerance: float = 40.0):
    """The page coloured by tiny-a in the flat mode, with parts of ``tolerance`` (the tiny model's
    colours are noisy: a wide tolerance makes its strands one part)."""
    path = tmp_path / "page.png"
    write_image_atomic(path, np.repeat(gray[:, :, None], 3, axis=2))
    window = make_window(selected=["tiny-a"])
    window.hint_tools.panel.fill_controls.parts.setValue(tolerance)
    assert window.open_path(path)
    window.compare.panes[0].set_mode("flat")
    window.colour_now()
    wait_done(qtbot, window)
    qtbot.waitUntil(lambda: window.compare.panes[0].rgb is not None and window.compare.panes[0].shown_mode == "flat",
                    timeout=5000)
    window.hint_tools.set_colour(QColor(*HAIR))
    window.set_tool("fill")
    return window, window.compare.panes[0]


def _click(view, x, y, modifier=Qt.KeyboardModifier.NoModifier) -> None:
    QTest.mouseClick(view, Qt.MouseButton.LeftButton, modifier, to_widget(view, x, y))


def _is_hair(rgb: np.ndarray) -> np.ndarray:
    return np.abs(rgb.astype(int) - HAIR).max(axis=-1) <= 3


def test_a_click_fills_the_strands_and_shift_click_one_and_ctrl_z_undoes_a_fill(make_window, qtbot, tmp_path):
    gray, hair, _ornament, strands = hair_page()
    window, pane = _open(make_window, qtbot, tmp_path, gray)
    before = pane.rgb.copy()
    with qtbot.waitSignal(window.colouring.pane_updated, timeout=5000):
        _click(pane.view, 45, 60)
    assert _is_hair(pane.rgb[hair]).mean() > 0.97  # every strand: the part
    assert window.actions["undo"].text().replace("&", "") == "Undo fill"
    window.grab().save(str(tmp_path / "ui_fill_part.png"))

    with qtbot.waitSignal(window.colouring.pane_updated, timeout=5000):
        QTest.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    np.testing.assert_array_equal(pane.rgb, before)  # the colours before the fill, exactly
    with qtbot.waitSignal(window.colouring.pane_updated, timeout=5000):
        QTest.keyClick(window, Qt.Key.Key_Y, Qt.KeyboardModifier.ControlModifier)
    assert _is_hair(pane.rgb[hair]).mean() > 0.97
    with qtbot.waitSignal(window.colouring.pane_updated, timeout=5000):
        QTest.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    with qtbot.waitSignal(window.colouring.pane_updated, timeout=5000):
        QTest.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert _is_hair(pane.rgb[hair]).mean() > 0.97  # Ctrl+Shift+Z redoes too

    window.actions["undo"].trigger()
    qtbot.waitUntil(lambda: not _is_hair(pane.rgb[hair]).any(), timeout=5000)
    with qtbot.waitSignal(window.colouring.pane_updated, timeout=5000):
        _click(pane.view, 45, 60, Qt.KeyboardModifier.ShiftModifier)  # this strand alone
    assert _is_hair(pane.rgb[strands[0]]).mean() > 0.97
    for strand in strands[1:]:
        assert not _is_hair(pane.rgb[strand]).any()
    assert window.hint_tools.layer.points()[0].region_only


def test_the_bucket_outlines_what_it_fills_while_it_hovers(make_window, qtbot, tmp_path):
    gray, leg, paper = leg_page()
    window, pane = _open(make_window, qtbot, tmp_path, gray)
    QTest.mouseMove(pane.view, to_widget(pane.view, 110, 270))  # on the leg, joined to the paper by a gap
    qtbot.waitUntil(lambda: window.shared_view.overlay is not None, timeout=3000)
    mask = window.colour_tools.preview_at(pane.name, 110, 270)
    assert mask[leg].mean() > 0.9 and mask[paper].mean() < 0.01  # the leg, not the page
    window.grab().save(str(tmp_path / "ui_fill_preview.png"))
    shown = pane.view.grab().toImage()
    on_leg, far = to_widget(pane.view, 110, 240), to_widget(pane.view, 20, 250)
    tint, paper_shown = shown.pixelColor(on_leg), shown.pixelColor(far)
    window.colour_tools.clear_preview()
    plain = pane.view.grab().toImage()
    assert tint != plain.pixelColor(on_leg) and paper_shown == plain.pixelColor(far)  # drawn on the leg only
    QTest.mouseMove(pane.view, to_widget(pane.view, 110, 271))
    with qtbot.waitSignal(window.colouring.pane_updated, timeout=5000):
        _click(pane.view, 110, 270)
    filled = _is_hair(pane.rgb)
    assert filled[leg].mean() > 0.9 and filled[paper].mean() < 0.01  # what the outline showed
    window.set_tool("hint")
    assert window.shared_view.overlay is None  # the outline goes with the bucket


def test_gaps_and_parts_settings_render_the_panes_again_and_are_remembered(make_window, qtbot, tmp_path,
                                                                           isolated_settings):
    gray, leg, paper = leg_page()
    window, pane = _open(make_window, qtbot, tmp_path, gray)
    with qtbot.waitSignal(window.colouring.pane_updated, timeout=5000):
        _click(pane.view, 110, 270)
    assert _is_hair(pane.rgb[leg]).mean() > 0.9
    controls = window.hint_tools.panel.fill_controls
    with qtbot.waitSignal(window.colouring.pane_updated, timeout=5000):
        controls.gaps.setCurrentIndex(controls.gaps.findData("off"))  # no gap closing: the click is on the paper
    assert _is_hair(pane.rgb[paper]).mean() > 0.9
    assert isolated_settings.fill_settings() == FillSettings("off", 40.0)
    assert window.hint_tools.fill == FillSettings("off", 40.0)
    window.grab().save(str(tmp_path / "ui_fill_gaps_off.png"))


def test_a_second_colour_clicked_in_the_same_part_keeps_both_and_a_click_in_the_same_region_recolours(
        make_window, qtbot, tmp_path):
    gray, hair, _ornament, strands = hair_page()
    window, pane = _open(make_window, qtbot, tmp_path, gray)
    with qtbot.waitSignal(window.colouring.pane_updated, timeout=5000):
        _click(pane.view, 45, 60)
    skin = (235, 190, 160)
    window.hint_tools.set_colour(QColor(*skin))
    window.set_tool("fill")
    with qtbot.waitSignal(window.colouring.pane_updated, timeout=5000):
        _click(pane.view, 195, 60)  # another strand of the same part
    assert len(window.hint_tools.layer.points()) == 2
    assert _is_hair(pane.rgb[strands[0]]).mean() > 0.97
    assert (np.abs(pane.rgb[strands[-1]].astype(int) - skin).max(axis=-1) <= 3).mean() > 0.97
    with qtbot.waitSignal(window.colouring.pane_updated, timeout=5000):
        _click(pane.view, 45, 120)  # the first strand again, in the new colour: it replaces the first click
    assert len(window.hint_tools.layer.points()) == 2
    assert (np.abs(pane.rgb[strands[0]].astype(int) - skin).max(axis=-1) <= 3).mean() > 0.97
