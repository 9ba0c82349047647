"""The app as an artist uses it (issue 17), through real widgets offscreen: new panes colour at
once, panes clear on a new page, headers elide, a pane alone with the zoom shown, standard keys,
folders and the last sketch remembered, panes that fill the space, brush opacity, and the
keyboard focus back on the canvas after every dialog."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from _ui_helpers import draw, wait_done
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QFileDialog

from ganime_desktop.ui import compare_panes
from ganime_desktop.ui.app import open_first_sketch
from ganime_desktop.ui.compare_panes import row_sizes
from ganime_desktop.ui.settings import AppSettings

pytest_plugins = ["_ui_fixtures"]
pytestmark = pytest.mark.usefixtures("no_leaked_workers")


def page(path, size=(120, 160), x=30):
    gray = np.full((*size, 3), 255, np.uint8)
    cv2.rectangle(gray, (x, 20), (size[1] - 20, size[0] - 20), (0, 0, 0), 2)
    cv2.imwrite(str(path), gray)
    return path


def test_a_ticked_model_colours_at_once_and_a_new_page_clears_the_panes(make_window, qtbot, tmp_path):
    window = make_window(selected=["tiny-a"])
    window.open_path(page(tmp_path / "p1.png"))
    window.actions["auto_recolour"].setChecked(True)
    wait_done(qtbot, window)  # an opened page colours by itself (issue 27)
    first = window.compare.pane("tiny-a").page
    assert first is not None
    window.models.set_checked("tiny-b", True)
    assert window.controller.is_busy()  # coloured at once, no Colour press needed
    wait_done(qtbot, window)
    assert window.compare.pane("tiny-b").state == compare_panes.DONE
    assert window.compare.pane("tiny-a").page is first  # the others are not coloured again

    window.actions["auto_recolour"].setChecked(False)
    window.colour_now()  # still running, or its results still queued, when the next page opens
    window.open_path(page(tmp_path / "p2.png", (200, 150)))
    for pane in window.compare.panes:  # at once, before any event: no stale colouring of p1
        assert pane.rgb is None and pane.page is None
        ghost = pane.view.image()
        assert (ghost.width(), ghost.height()) == (150, 200) and ghost.pixelColor(30, 100).lightness() > 150
    wait_done(qtbot, window)
    for pane in window.compare.panes:  # p1's colourings never show on p2: p2's own do
        assert pane.state == compare_panes.DONE and pane.rgb.shape == (200, 150, 3)
    assert "failed" not in window.statusBar().currentMessage()


def test_pane_headers_elide_and_pane_widths_stay(make_window, qtbot):
    window = make_window(selected=["tiny-a", "tiny-b", "tiny-c"])
    window.actions["layout_row"].trigger()
    qtbot.wait(20)
    panes = window.compare.panes
    widths = [p.width() for p in panes]
    assert max(widths) - min(widths) <= 2
    long = "outdated: the sketch changed, and this text is far longer than any pane is wide"
    panes[1].set_state(compare_panes.DONE, "", long)
    qtbot.wait(20)
    assert [p.width() for p in panes] == widths
    header = panes[1].header
    assert header.shown_text().endswith("…") and len(header.shown_text()) < len(header.text())
    assert long in header.toolTip() and "Tiny test model tiny-b" in header.toolTip()


def test_panes_fill_the_space_and_one_can_be_shown_alone(make_window, qtbot):
    # without the sizes: one row up to two panes, a grid beyond; rows balanced, fuller ones first
    assert [row_sizes(n) for n in (1, 2, 3, 4, 5, 7)] == [[1], [2], [2, 1], [2, 2], [3, 2], [3, 2, 2]]
    assert row_sizes(4, "row") == [4] and row_sizes(3, "grid") == [2, 1]
    portrait = (640, 768)  # by shape: four portrait pages side by side in a wide, low space, else a grid
    assert row_sizes(4, "auto", (1600, 500), portrait) == [4]
    assert row_sizes(4, "auto", (800, 700), portrait) == [2, 2]
    assert row_sizes(2, "auto", (500, 1200), portrait) == [1, 1]
    window = make_window(selected=["tiny-a", "tiny-b", "tiny-c"])
    qtbot.waitUntil(window.isActiveWindow)  # its shortcuts work
    window.actions["layout_row"].trigger()
    qtbot.wait(20)
    tops = {p.mapTo(window, p.rect().topLeft()).y() for p in window.compare.panes}
    assert len(tops) == 1  # "row": one row
    window.actions["layout_grid"].trigger()
    qtbot.wait(20)
    a, b, c = window.compare.panes
    assert a.y() == b.y() and c.width() > 1.8 * a.width()  # the last row's pane takes the whole row
    assert window.settings.pane_layout() == "grid"

    window.compare.focus_pane(2)
    QTest.keyClick(window, Qt.Key.Key_F)  # the focused pane alone, large
    qtbot.wait(20)
    assert [p.isVisible() for p in window.compare.panes] == [False, True, False]
    assert not window.sketch_box.isVisible() and window.actions["alone"].isChecked()
    QTest.keyClick(window, Qt.Key.Key_3)
    qtbot.wait(20)
    assert [p.isVisible() for p in window.compare.panes] == [False, False, True]
    QTest.keyClick(window, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
    assert window.zoom_label.text() == "Zoom 100 %"
    QTest.keyClick(window, Qt.Key.Key_0, Qt.KeyboardModifier.ControlModifier)
    assert window.zoom_label.text().endswith("(fit)")
    QTest.keyClick(window, Qt.Key.Key_F)
    qtbot.wait(20)
    assert all(p.isVisible() for p in window.compare.panes) and window.sketch_box.isVisible()


def test_standard_keys_and_ctrl_y_redo(make_window, qtbot):
    window = make_window()
    qtbot.waitUntil(lambda: window.isActiveWindow() and QApplication.focusWidget() is window.canvas)
    window.document.new_blank(200, 150)
    window.fit_view()
    draw(window.canvas, [(20, 75), (180, 75)])
    QTest.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert window.document.undo_stack.count() == 1 and window.document.undo_stack.index() == 0
    QTest.keyClick(window, Qt.Key.Key_Y, Qt.KeyboardModifier.ControlModifier)  # the Windows habit
    assert window.document.undo_stack.index() == 1
    window.actions["undo"].trigger()
    QTest.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert window.document.undo_stack.index() == 1
    keys = {k: [s.toString() for s in window.actions[k].shortcuts()] for k in ("open", "save_sketch", "zoom_in", "redo")}
    assert "Ctrl+O" in keys["open"] and "Ctrl+S" in keys["save_sketch"] and "Ctrl++" in keys["zoom_in"]
    assert {"Ctrl+Y", "Ctrl+Shift+Z"} <= set(keys["redo"])


def test_brush_opacity_does_not_darken_where_a_stroke_crosses_itself(make_window, qtbot):
    window = make_window()
    window.document.new_blank(200, 200)
    window.fit_view()
    window.set_tool("pen")
    window.tools.width.setValue(10)
    window.tools.opacity.setValue(50)
    draw(window.canvas, [(20, 100), (180, 100), (100, 20), (100, 180)])  # crosses itself at (100, 100)
    rgb = window.document.to_rgb()
    assert abs(int(rgb[100, 100, 0]) - 128) <= 3 and abs(int(rgb[100, 50, 0]) - 128) <= 3
    window.set_tool("hint")
    assert not window.tools.opacity.isEnabled()  # hints are exact colours
    window.set_tool("pen")
    assert window.tools.opacity.value() == 50 and window.settings.tool_opacity("pen") == 0.5


def test_dialogs_start_in_the_sketchs_folder_and_give_the_focus_back(make_window, qtbot, tmp_path, monkeypatch):
    chapter = tmp_path / "chapter"
    chapter.mkdir()
    window = make_window(selected=["tiny-a"])
    window.open_path(page(chapter / "p1.png"))
    window.colour_now()
    wait_done(qtbot, window)
    asked = {}

    def fake_save(parent, title, start, filter_=""):
        asked["start"] = start
        return str(tmp_path / "out.png"), filter_

    monkeypatch.setattr(QFileDialog, "getSaveFileName", fake_save)
    window.models.list.setFocus()  # the focus elsewhere, as a dialog leaves it
    window.actions["save_result"].trigger()
    assert asked["start"] == str(chapter / "p1_tiny-a.png")
    assert (tmp_path / "out.png").is_file()
    assert QApplication.focusWidget() is window.canvas

    for open_dialog in (window.show_about, window.hint_tools.choose_colour,
                        lambda: window.show_message("Title", "text")):
        dialog = open_dialog()
        dialog.reject()
        assert QApplication.focusWidget() is window.canvas, open_dialog
    QTest.keyClick(window, Qt.Key.Key_E)  # shortcuts work again
    assert window.toolbox.tool == "eraser"


def test_last_sketch_and_splitter_are_remembered(make_window, qtbot, tmp_path, isolated_settings):
    first = make_window(selected=["tiny-a"])
    path = page(tmp_path / "p7.png")
    first.open_path(path)
    first.resize(700, 650)  # inside the offscreen screen (800x800), which restoreGeometry respects
    qtbot.wait(20)
    first.splitter.setSizes([150, 400])
    sizes = first.splitter.sizes()
    first.close()
    second = make_window(settings=AppSettings(isolated_settings.qs), resize=False)
    assert open_first_sketch(second, None) and second.document.path == path.resolve()
    assert second.splitter.sizes() == sizes
    path.unlink()  # gone: the sample opens, untitled
    assert open_first_sketch(second, None) and second.document.path is None
