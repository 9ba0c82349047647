"""Colour modes, the fill bucket, the eyedropper and "Save layers" in the real window (offscreen),
on a synthetic drawing whose closed regions are known (tests/_region_pages.py)."""

from __future__ import annotations

import numpy as np
import pytest
from _ora import check_and_compose
from _region_pages import A1, A2, CIRCLE, PAPER, B, C, drawing, interior
from _ui_helpers import draw, to_widget, wait_done
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtTest import QTest

from ganime_desktop.core.imageio import write_image_atomic
from ganime_desktop.ui.settings import AppSettings

pytest_plugins = ["_ui_fixtures"]
pytestmark = pytest.mark.usefixtures("no_leaked_workers")
GREEN = (20, 160, 60)


@pytest.fixture
def regions_window(make_window, tmp_path, qtbot):
    """tiny-a and tiny-b coloured the drawing (2 px gaps in its lines), flat in pane 1."""
    gray, truth = drawing(2)
    path = tmp_path / "regions.png"
    write_image_atomic(path, np.repeat(gray[:, :, None], 3, axis=2))
    window = make_window(selected=["tiny-a", "tiny-b"])
    assert window.open_path(path)
    window.compare.panes[0].set_mode("flat")
    window.colour_now()
    wait_done(qtbot, window)
    window.truth = truth
    return window


def click(view, x: float, y: float) -> None:
    QTest.mouseClick(view, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, to_widget(view, x, y))


def test_fill_bucket_fills_exactly_the_clicked_region_live(regions_window, qtbot, tmp_path):
    window, truth = regions_window, regions_window.truth
    flat, shaded = window.compare.panes
    assert (flat.mode, shaded.mode) == ("flat", "shaded")  # shaded is the default
    before_flat, before_shaded = flat.rgb.copy(), shaded.rgb.copy()
    window.hint_tools.set_colour(QColor(*GREEN))
    QTest.keyClick(window, Qt.Key.Key_G)  # the fill bucket
    assert window.toolbox.tool == "fill" and window.actions["fill"].isChecked()
    cy, cx, _r = CIRCLE
    with qtbot.waitSignals([window.colouring.pane_updated] * 2, timeout=5000):
        click(flat.view, cx, cy)  # on a result pane: the same page coordinates as the sketch
    assert int((window.hint_tools.layer.to_rgba()[:, :, 3] > 0).sum()) == 1  # a click is a one-point hint
    assert not window.controller.is_busy() and not window.recolour_timer.isActive()  # no model re-runs
    inside = interior(truth, B)
    assert (flat.rgb[inside] == GREEN).all(axis=1).mean() >= 0.95
    others = interior(truth, A1) | interior(truth, A2) | interior(truth, C) | interior(truth, PAPER)
    np.testing.assert_array_equal(flat.rgb[others], before_flat[others])  # nothing outside the region
    np.testing.assert_array_equal(shaded.rgb[others], before_shaded[others])
    assert np.abs(shaded.rgb[inside].astype(int) - GREEN).max(axis=1).mean() < 40  # its hue, the model's shading
    window.grab().save(str(tmp_path / "ui_fill_bucket.png"))

    # a click on the canvas fills too, beside the page does nothing; undo takes a fill back
    with qtbot.waitSignals([window.colouring.pane_updated] * 2, timeout=5000):
        click(window.canvas, 60, 100)  # A1
    assert (flat.rgb[interior(truth, A1)] == GREEN).all(axis=1).mean() >= 0.95
    click(window.canvas, -20, 100)
    assert "inside the page" in window.statusBar().currentMessage()
    with qtbot.waitSignals([window.colouring.pane_updated] * 2, timeout=5000):
        window.actions["undo"].trigger()
    np.testing.assert_array_equal(flat.rgb[interior(truth, A1)], before_flat[interior(truth, A1)])

    # filling the region again changes its colour (the new fill takes the old one's place)
    window.hint_tools.set_colour(QColor(240, 200, 0))
    with qtbot.waitSignals([window.colouring.pane_updated] * 2, timeout=5000):
        click(flat.view, cx + 10, cy - 5)
    assert (flat.rgb[inside] == (240, 200, 0)).all(axis=1).mean() >= 0.95
    assert int((window.hint_tools.layer.to_rgba()[:, :, 3] > 0).sum()) == 1
    with qtbot.waitSignals([window.colouring.pane_updated] * 2, timeout=5000):
        window.actions["undo"].trigger()
    assert (flat.rgb[inside] == GREEN).all(axis=1).mean() >= 0.95


def test_eyedropper_picks_from_a_pane_and_from_the_sketch(regions_window, qtbot):
    window = regions_window
    flat = window.compare.panes[0]
    window.set_tool("fill")
    QTest.keyClick(window, Qt.Key.Key_I)
    assert window.toolbox.tool == "pick"
    click(flat.view, 150, 80)  # inside A2
    want = QColor(*(int(v) for v in flat.rgb[80, 150]))
    assert window.hint_tools.layer.colour == want and want != QColor(255, 255, 255)
    assert window.toolbox.tool == "fill"  # back to the colour tool used before
    assert window.hint_tools.panel.recent_colours()[0] == want.name()
    window.hint_tools.set_colour(QColor(200, 30, 90))
    window.set_tool("hint")
    draw(window.canvas, [(30, 200), (60, 200)])  # a hint on the canvas is what it picks there
    window.hint_tools.set_colour(QColor(0, 0, 255))
    window.set_tool("pick")
    click(window.canvas, 40, 200)
    assert window.hint_tools.layer.colour == QColor(200, 30, 90)
    window.set_tool("pick")
    click(window.canvas, 21, 21)  # a line of the sketch (its pixels 20 and 21 both ink)
    assert window.hint_tools.layer.colour == QColor(0, 0, 0)


def test_mode_switch_changes_the_result_and_is_remembered(regions_window, qtbot, isolated_settings):
    window, truth = regions_window, regions_window.truth
    flat, shaded = window.compare.panes
    raw_a = flat.page.raw
    flat.mode_box.setCurrentIndex(flat.mode_box.findData("raw"))  # the pane's own switch
    assert flat.rgb is raw_a  # at once: the raw output needs no rendering
    paper = interior(truth, PAPER)
    assert np.abs(flat.rgb[paper].astype(int) - 255).mean() > 10  # the model tints the paper...
    assert (shaded.rgb[paper] == 255).all()  # ...which stays white in the region modes
    assert AppSettings(isolated_settings.qs).pane_modes() == {"tiny-a": "raw"}

    with qtbot.waitSignals([window.colouring.pane_updated] * 2, timeout=5000):
        window.tools.mode.setCurrentIndex(window.tools.mode.findData("flat"))  # every pane
    assert flat.mode == shaded.mode == "flat" and flat.mode_box.currentData() == "flat"
    for region in (A1, A2, B, C):  # one colour per region
        assert len(np.unique(shaded.rgb[interior(truth, region)], axis=0)) == 1
    saved = AppSettings(isolated_settings.qs)
    assert saved.colour_mode() == "flat" and saved.pane_modes() == {}


def test_save_layers_writes_the_panes_layers(regions_window, qtbot, tmp_path):
    window = regions_window
    window.hint_tools.layer.fill_at(262, 110, QColor(*GREEN))
    qtbot.waitUntil(lambda: not window.colouring.refiller.is_busy(), timeout=5000)
    flat = window.compare.panes[0]
    written = window.files.save_layers("tiny-a", tmp_path / "out" / "page_tiny-a.ora")
    assert written is None  # the folder does not exist: said in a message, nothing written
    assert "cannot write the layer" in window.last_message.text()
    window.last_message.close()
    (tmp_path / "out").mkdir()
    written = window.files.save_layers("tiny-a", tmp_path / "out" / "page_tiny-a.ora")
    assert sorted(p.name for p in written.values()) == ["page_tiny-a.flats.png", "page_tiny-a.lines.png",
                                                         "page_tiny-a.ora", "page_tiny-a.shading.png"]
    composite, merged, layers = check_and_compose(written["ora"])
    np.testing.assert_array_equal(merged, flat.rgb)  # exactly what the pane shows
    assert np.abs(composite.astype(int) - flat.rgb.astype(int)).max() <= 2
    assert [layer["name"] for layer in layers] == ["Line art", "Shading", "Flats"]
