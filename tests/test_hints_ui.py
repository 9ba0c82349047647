"""The colour hint tools in the real window (pytest-qt, offscreen): hint brush and eraser on their
own layer with their own undo, colour picker and recent colours, visibility, live recolouring of
hint models, hints saved beside the sketch and reused on the next page."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from _onnx_models import make_model_dir
from _ui_helpers import draw, to_widget, wait_done
from PySide6.QtGui import QColor

from ganime_desktop.core.hints import hints_path_for, read_hints, write_hints
from ganime_desktop.ui import compare_panes
from ganime_desktop.ui.hints_panel import RECENT_COUNT
from ganime_desktop.ui.settings import AppSettings

pytest_plugins = ["_ui_fixtures"]
pytestmark = pytest.mark.usefixtures("no_leaked_workers")
RED = QColor(230, 20, 30)


@pytest.fixture
def hint_models(tmp_path):
    return make_model_dir(tmp_path / "hint-models", names=("tiny-a",), hint_names=("tiny-hints",),
                          size_multiple=16, working_size=256)


@pytest.fixture
def window(make_window, hint_models, qtbot):
    w = make_window(models_dir=hint_models, selected=["tiny-hints"])
    w.document.new_blank(256, 200)
    qtbot.wait(10)
    w.fit_view()
    return w


def _page(path, seed=0):
    gray = np.full((200, 256), 255, np.uint8)
    cv2.rectangle(gray, (40 + seed, 40), (200, 160), 0, 2)
    cv2.imwrite(str(path), gray)
    return path


def test_hint_brush_and_eraser_paint_their_own_layer_with_one_undo_history(window):
    """Hints are a layer of their own, but one Ctrl+Z history holds every edit, sketch or hint, in
    order, and the Edit menu names the edit it undoes."""
    sketch_before = window.document.to_rgb()
    hints = window.hint_tools
    hints.set_colour(RED)  # choosing a colour picks the hint brush
    assert window.canvas.tool == "hint" and window.actions["hint"].isChecked()
    draw(window.canvas, [(40, 100), (120, 100), (200, 100)])
    layer = hints.layer.to_rgba()
    assert tuple(layer[100, 120]) == (230, 20, 30, 255) and layer[30, 120, 3] == 0
    assert set(np.unique(layer[..., 3])) == {0, 255}  # hinted or not: no antialiased alpha
    np.testing.assert_array_equal(window.document.to_rgb(), sketch_before)  # line art untouched
    assert window.document.is_clean() and not hints.layer.is_clean()
    assert window.history.count() == 1 and window.actions["undo"].isEnabled()
    assert window.actions["undo"].text().replace("&", "") == "Undo hint stroke"
    assert "*" in window.windowTitle()

    window.actions["hint_eraser"].trigger()
    draw(window.canvas, [(120, 80), (120, 120)])
    layer2 = hints.layer.to_rgba()
    assert layer2[100, 120, 3] == 0 and layer2[100, 60, 3] == 255
    window.actions["pen"].trigger()  # the pen draws lines, never hints
    draw(window.canvas, [(40, 150), (200, 150)])
    np.testing.assert_array_equal(hints.layer.to_rgba(), layer2)
    assert window.history.count() == 3 and window.actions["undo"].text().replace("&", "") == "Undo pen stroke"

    window.actions["undo"].trigger()  # the last edit, whatever its layer: the pen stroke
    np.testing.assert_array_equal(window.document.to_rgb(), sketch_before)
    np.testing.assert_array_equal(hints.layer.to_rgba(), layer2)
    assert window.document.is_clean()  # undone back to what was loaded
    window.actions["undo"].trigger()
    np.testing.assert_array_equal(hints.layer.to_rgba(), layer)
    window.actions["undo"].trigger()
    assert not hints.layer.to_rgba().any() and hints.layer.is_clean()
    assert window.actions["redo"].text().replace("&", "") == "Redo hint stroke"
    window.actions["redo"].trigger()
    window.actions["clear_hints"].trigger()
    assert hints.layer.is_empty()
    window.actions["undo"].trigger()
    np.testing.assert_array_equal(hints.layer.to_rgba(), layer)


def test_colour_picker_recent_colours_and_visibility(window, qtbot, isolated_settings, tmp_path):
    hints = window.hint_tools
    dialog = hints.choose_colour()
    assert dialog.isVisible()  # opened with open(): the event loop (and the colourings) keep running
    dialog.setCurrentColor(QColor(10, 200, 90))
    dialog.accept()  # what the OK button does
    assert hints.layer.colour == QColor(10, 200, 90)
    for i in range(RECENT_COUNT + 2):
        hints.set_colour(QColor(20 * i, 0, 255 - 20 * i))
    hints.set_colour(QColor(40, 0, 215))  # used again: back to the front, not twice
    recent = hints.panel.recent_colours()
    assert len(recent) == RECENT_COUNT and recent[0] == "#2800d7" and recent.count("#2800d7") == 1
    hints.panel.recent_buttons[3].click()
    assert hints.layer.colour.name() == recent[3] and hints.panel.recent_colours()[0] == recent[3]
    assert AppSettings(isolated_settings.qs).recent_hint_colours()[0] == recent[3]

    draw(window.canvas, [(60, 100), (200, 100)])
    qtbot.wait(10)
    at = to_widget(window.canvas, 130, 100)
    shown = window.canvas.grab().toImage().pixelColor(at)
    colour = hints.layer.colour
    for got, want in ((shown.red(), colour.red()), (shown.green(), colour.green()), (shown.blue(), colour.blue())):
        assert abs(got - (0.8 * want + 0.2 * 255)) <= 3  # the hint colour at 80 % over white paper
    window.actions["show_hints"].trigger()
    assert not window.canvas.show_hints
    assert window.canvas.grab().toImage().pixelColor(at) == QColor(255, 255, 255)
    assert not hints.layer.is_empty()  # hidden, not deleted
    window.actions["hint"].trigger()  # painting shows them again
    assert window.canvas.show_hints and window.actions["show_hints"].isChecked()
    window.grab().save(str(tmp_path / "ui_hints_tools.png"))


def test_hint_models_follow_the_hints_live(window, qtbot):
    window.tools.mode.setCurrentIndex(window.tools.mode.findData("raw"))  # the network's own output
    window.colour_now()
    wait_done(qtbot, window)
    pane = window.compare.pane("tiny-hints")
    bare = pane.rgb.copy()
    window.hint_tools.set_colour(RED)
    draw(window.canvas, [(60, 100), (200, 100)])
    assert window.recolour_timer.isActive()  # debounced: not coloured inside the mouse handler
    qtbot.waitUntil(lambda: pane.state == compare_panes.DONE and pane.rgb is not None
                    and not np.array_equal(pane.rgb, bare), timeout=20000)
    wait_done(qtbot, window)
    assert np.abs(pane.rgb[100, 130].astype(int) - (230, 20, 30)).max() <= 3  # this tiny model copies hints
    np.testing.assert_array_equal(pane.rgb[20:60], bare[20:60])
    assert "tiny-hints" in window.hint_tools.panel.status.text()
    window.actions["undo"].trigger()
    qtbot.waitUntil(lambda: pane.state == compare_panes.DONE and np.array_equal(pane.rgb, bare), timeout=20000)
    wait_done(qtbot, window)


def test_hints_are_saved_beside_the_sketch_and_reused_on_the_next_page(window, tmp_path, qtbot):
    chapter = tmp_path / "chapter"
    chapter.mkdir()
    p1, p2, p10 = _page(chapter / "p1.png"), _page(chapter / "p2.png", 5), _page(chapter / "p10.png", 9)
    assert window.open_path(p1)
    window.hint_tools.set_colour(RED)
    draw(window.canvas, [(60, 100), (180, 100)])
    painted = window.hint_tools.layer.to_rgba()
    assert window.save_sketch(chapter / "p1.png")
    assert (chapter / "p1.hints.png").is_file() and "*" not in window.windowTitle()
    np.testing.assert_array_equal(read_hints(chapter / "p1.hints.png"), painted)

    assert window.open_path(p2)
    assert window.hint_tools.layer.is_empty()
    assert window.actions["reuse_hints"].isEnabled()
    window.actions["reuse_hints"].trigger()
    np.testing.assert_array_equal(window.hint_tools.layer.to_rgba(), painted)
    assert "p1.hints.png" in window.statusBar().currentMessage()
    window.actions["undo"].trigger()  # reusing is one undoable step
    assert window.hint_tools.layer.is_empty()

    write_hints(chapter / "p2.hints.png", np.zeros((200, 256, 4), np.uint8))  # p2 saved without hints
    assert window.open_path(p10)  # natural order: p2 comes before p10, and p2 has an empty file...
    window.actions["reuse_hints"].trigger()  # ...which is still p2's hints: none
    assert window.hint_tools.layer.is_empty()

    assert window.open_path(p1)  # reopening the page brings its hints back, nothing unsaved
    np.testing.assert_array_equal(window.hint_tools.layer.to_rgba(), painted)
    assert "*" not in window.windowTitle()

    window.document.new_blank(128, 100)  # an unsaved sketch: the hints of the one open before
    assert window.hint_tools.reuse_previous()
    assert window.hint_tools.layer.to_rgba().shape == (100, 128, 4)  # scaled to the new page
    assert window.hint_tools.layer.to_rgba()[50, 60, 3] == 255


def test_loading_a_bad_hint_file_says_why(window, tmp_path):
    bad = tmp_path / "flat.png"
    cv2.imwrite(str(bad), np.full((20, 20, 3), 255, np.uint8))
    assert not window.hint_tools.load_file(bad)
    assert "no transparency" in window.last_message.text() and "flat.png" in window.last_message.text()
    window.last_message.close()
    good = tmp_path / "good.png"
    rgba = np.zeros((400, 512, 4), np.uint8)
    rgba[100:200, 100:300] = (0, 128, 255, 255)
    write_hints(good, rgba)
    assert window.hint_tools.load_file(good)
    layer = window.hint_tools.layer.to_rgba()
    assert layer.shape == (200, 256, 4) and tuple(layer[75, 100]) == (0, 128, 255, 255)


def test_batch_window_colours_pages_with_the_hints_saved_beside_them(window, tmp_path, qtbot):
    chapter = tmp_path / "chapter"
    chapter.mkdir()
    _page(chapter / "p1.png"), _page(chapter / "p2.png", 5)
    red = np.zeros((200, 256, 4), np.uint8)
    red[60:140, 60:180] = (230, 20, 30, 255)
    write_hints(chapter / "p1.hints.png", red)  # as the app saves them; p2 has none
    window.show_batch_panel()
    panel = window.batch_panel
    panel.set_models(["tiny-hints"])
    panel.input_edit.setText(str(chapter))
    panel.output_edit.setText(str(tmp_path / "with"))
    assert panel.hints_edit.placeholderText().startswith("Only for hint models")
    with qtbot.waitSignal(panel.finished, timeout=60000) as done:
        assert panel.start()
    qtbot.waitUntil(lambda: not panel.is_running())
    assert done.args[0].counts()["done"] == 2  # the hint file is not taken for a page
    # the same pages with an empty hints folder: p1 changes, p2 (no hints either way) does not
    (tmp_path / "no-hints").mkdir()
    panel.hints_edit.setText(str(tmp_path / "no-hints"))
    panel.output_edit.setText(str(tmp_path / "without"))
    with qtbot.waitSignal(panel.finished, timeout=60000):
        assert panel.start()
    qtbot.waitUntil(lambda: not panel.is_running())
    with_hints, without = (cv2.imread(str(tmp_path / d / "p1_tiny-hints.png")) for d in ("with", "without"))
    assert np.abs(with_hints.astype(int) - without.astype(int)).max() > 10
    np.testing.assert_array_equal(cv2.imread(str(tmp_path / "with" / "p2_tiny-hints.png")),
                                  cv2.imread(str(tmp_path / "without" / "p2_tiny-hints.png")))
    assert window.settings.batch_value("hints") == str(tmp_path / "no-hints")
    window.batch_window.grab().save(str(tmp_path / "ui_batch_hints.png"))


def test_hint_strokes_fill_at_once_and_re_run_only_the_hint_models(make_window, hint_models, qtbot, tmp_path):
    window = make_window(models_dir=hint_models, selected=["tiny-a", "tiny-hints"])
    window.open_path(_page(tmp_path / "p.png"))  # a box: its inside is one region
    qtbot.wait(10)
    window.colour_now()
    wait_done(qtbot, window)
    plain, hinted = window.compare.pane("tiny-a"), window.compare.pane("tiny-hints")
    plain_page, hinted_page = plain.page, hinted.page
    window.hint_tools.set_colour(RED)
    window.recolour_timer.setInterval(4000)  # the hint model's re-run waits; the refills must not
    with qtbot.waitSignals([window.colouring.pane_updated] * 2, timeout=3000):
        draw(window.canvas, [(80, 100), (120, 100)])
    assert window.recolour_timer.isActive()  # the refill did not wait for it
    for pane in (plain, hinted):  # shaded: the whole box in the hint's hue, the paper still white
        assert pane.rgb[70, 160, 0] > 150 and pane.rgb[70, 160, 1] < 90 and pane.rgb[10, 10].min() == 255
    assert hinted.page is hinted_page
    window.recolour_timer.start(1)
    qtbot.waitUntil(lambda: hinted.page is not hinted_page, timeout=20000)  # the hint model ran again...
    wait_done(qtbot, window)
    assert plain.page is plain_page  # ...the other did not


def test_a_pages_hints_of_another_size_are_scaled_with_a_notice_and_huge_ones_refused(window, tmp_path):
    page = tmp_path / "p1.png"
    cv2.imwrite(str(page), np.full((200, 256, 3), 255, np.uint8))
    rgba = np.zeros((100, 128, 4), np.uint8)
    rgba[20:40, 20:60] = (0, 128, 255, 255)
    write_hints(hints_path_for(page), rgba)
    assert window.open_path(page)
    assert window.hint_tools.layer.to_rgba().shape == (200, 256, 4)
    assert "scaled" in window.statusBar().currentMessage() and "p1.hints.png" in window.statusBar().currentMessage()
    huge = np.zeros((1000, 1200, 4), np.uint8)  # more than twice the page on a side: refused from its header
    huge[:10, :10] = (255, 0, 0, 255)
    write_hints(hints_path_for(page), huge)
    assert window.open_path(page)
    assert window.hint_tools.layer.is_empty() and "not loaded" in window.statusBar().currentMessage()
