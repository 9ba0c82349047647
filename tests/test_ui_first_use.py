"""The app on first use (issue 27), through real widgets offscreen: opened and dropped pages colour
every pane, keys stay on the panes in the one-pane view, hint tools paint on result panes, panes
laid out for the window's shape, the toolbar's Mode, hints saved on their own and reused across
page sizes, the reference chooser, the keyboard shortcuts list and the window's title."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from _onnx_models import make_model_dir
from _ui_helpers import draw, to_widget, wait_done
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QColor, QDragEnterEvent, QDropEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox

from ganime_desktop.core.hints import read_hints, write_hints
from ganime_desktop.ui import compare_panes
from ganime_desktop.ui.app import open_first_sketch, sample_sketch_path
from ganime_desktop.ui.compare_panes import PaneView
from ganime_desktop.ui.shortcuts_dialog import ShortcutsDialog

pytest_plugins = ["_ui_fixtures"]
pytestmark = pytest.mark.usefixtures("no_leaked_workers")
RED = QColor(230, 20, 30)


@pytest.fixture(scope="module")
def four_models(tmp_path_factory):
    """Three plain tiny generators and a tiny hint model (it copies hints into its output)."""
    return make_model_dir(tmp_path_factory.mktemp("four-models"), names=("tiny-a", "tiny-b", "tiny-c"),
                          hint_names=("tiny-hints",), size_multiple=16, working_size=256)


def page(path, size=(200, 256), box=(40, 40, 200, 160)):
    """Line art: a box (x0, y0, x1, y1) on white paper, written as PNG or JPEG by its suffix."""
    gray = np.full(size, 255, np.uint8)
    cv2.rectangle(gray, box[:2], box[2:], 0, 2)
    cv2.imwrite(str(path), gray)
    return path


def drop(window, path) -> None:
    """What a drag from a file manager ends with (Qt delivers drops only in a real drag)."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    args = (Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier)
    enter = QDragEnterEvent(QPoint(300, 300), *args)
    window.dragEnterEvent(enter)
    assert enter.isAccepted()
    window.dropEvent(QDropEvent(QPointF(300, 300), *args))


def key(qtbot, key, modifier=Qt.KeyboardModifier.NoModifier) -> None:
    """A key as typed: to the widget with the keyboard focus (shortcuts first, as Qt does)."""
    focus = QApplication.focusWidget()
    assert focus is not None, "no widget has the keyboard focus"
    QTest.keyClick(focus, key, modifier)
    qtbot.wait(10)


# --- 1. an opened or dropped page colours every ticked pane ----------------------------------------
def test_an_opened_or_dropped_page_colours_every_ticked_pane(make_window, four_models, qtbot, tmp_path,
                                                             monkeypatch):
    window = make_window(models_dir=four_models, selected=["tiny-a", "tiny-hints"])
    wait_done(qtbot, window)
    opened = page(tmp_path / "opened.png")
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *_a, **_k: (str(opened), ""))
    window.actions["open"].trigger()  # File → Open
    wait_done(qtbot, window)
    for pane in window.compare.panes:  # the default model's pane too, not only the hint model's
        assert pane.state == compare_panes.DONE and pane.rgb.shape == (200, 256, 3), pane.name
    assert "opened.png" in window.windowTitle()

    dropped = page(tmp_path / "dropped.png", (150, 120), (20, 20, 100, 130))
    drop(window, dropped)
    assert window.controller.is_busy()  # at once, no Colour press
    wait_done(qtbot, window)
    for pane in window.compare.panes:
        assert pane.state == compare_panes.DONE and pane.rgb.shape == (150, 120, 3), pane.name
    window.document.new_blank(100, 80)  # a blank page has nothing to colour: the panes wait
    wait_done(qtbot, window)
    assert all(p.state == compare_panes.IDLE and "Press Colour" in p.view.message for p in window.compare.panes)


def test_the_window_shows_first_then_the_default_pane_colours_first(qtbot, isolated_settings, four_models):
    from ganime_desktop.core.registry import ModelRegistry
    from ganime_desktop.ui.main_window import MainWindow

    window = MainWindow(registry=ModelRegistry([four_models]), settings=isolated_settings)
    qtbot.addWidget(window)
    window.ask_before_discarding = False
    window.reload_models(["tiny-a", "tiny-b", "tiny-hints"])
    assert open_first_sketch(window, None, remembered=False)  # as `ganime` starts: the sample
    assert "sketch_bust.png" in window.windowTitle()  # named, though untitled (Save asks where)
    assert window.document.path is None
    assert not window.controller.is_busy()  # nothing runs before the window is up
    coloured = []
    window.colouring.pane_updated.connect(coloured.append)
    window.show()
    qtbot.waitUntil(lambda: len(coloured) >= 3, timeout=30000)
    wait_done(qtbot, window)
    assert coloured[0] == "tiny-a"  # the default model's pane first, the others after it
    assert sorted(coloured[:3]) == ["tiny-a", "tiny-b", "tiny-hints"]
    window.close()


# --- 2. the one-pane view keeps the keys on the panes ----------------------------------------------
def test_f_keeps_the_keys_on_the_panes_and_esc_leaves_the_one_pane_view(make_window, qtbot, tmp_path):
    window = make_window(selected=["tiny-a", "tiny-b", "tiny-c"])
    qtbot.waitUntil(lambda: QApplication.focusWidget() is window.canvas)
    width = window.tools.width.value()
    key(qtbot, Qt.Key.Key_F)
    assert window.compare.alone and not window.sketch_box.isVisible()
    assert isinstance(QApplication.focusWidget(), PaneView)  # not the toolbar's Width box
    key(qtbot, Qt.Key.Key_2)
    assert [p.isVisible() for p in window.compare.panes] == [False, True, False]
    assert QApplication.focusWidget() is window.compare.panes[1].view
    key(qtbot, Qt.Key.Key_3)
    assert [p.isVisible() for p in window.compare.panes] == [False, False, True]
    assert window.tools.width.value() == width  # the digits chose panes, not a brush width
    window.grab().save(str(tmp_path / "ui_one_pane.png"))
    window.show_message("Title", "text").accept()  # after a dialog the keys are back on the pane alone
    qtbot.waitUntil(lambda: QApplication.focusWidget() is window.compare.panes[2].view)
    key(qtbot, Qt.Key.Key_Escape)  # Esc leaves the one-pane view
    assert not window.compare.alone and window.sketch_box.isVisible()
    assert all(p.isVisible() for p in window.compare.panes)
    assert isinstance(QApplication.focusWidget(), PaneView)
    key(qtbot, Qt.Key.Key_F)  # and F works again, and again
    assert window.compare.alone
    key(qtbot, Qt.Key.Key_F)
    assert not window.compare.alone and window.tools.width.value() == width


# --- 3. hint tools on a result pane -----------------------------------------------------------------
@pytest.fixture
def coloured(make_window, four_models, qtbot, tmp_path):
    """tiny-a (flat) and tiny-hints (raw) coloured a box page; the canvas fitted."""
    window = make_window(models_dir=four_models, selected=["tiny-a", "tiny-hints"])
    window.compare.panes[0].set_mode("flat")
    window.compare.panes[1].set_mode("raw")
    assert window.open_path(page(tmp_path / "box.png"))
    wait_done(qtbot, window)
    return window


def test_the_hint_brush_and_eraser_paint_on_a_result_pane(coloured, qtbot, tmp_path):
    window = coloured
    flat, raw = window.compare.panes
    window.hint_tools.set_colour(RED)  # the hint brush
    center = QPointF(window.shared_view.center)
    view = raw.view
    points = [to_widget(view, x, 100) for x in (60, 100, 140, 180)]
    QTest.mousePress(view, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, points[0])
    for p in points[1:]:
        QTest.mouseMove(view, p)
    qtbot.wait(10)
    shot = view.grab().toImage()  # the stroke in progress is drawn over the pane's colouring
    shot.save(str(tmp_path / "ui_pane_stroke_in_progress.png"))
    trace = shot.pixelColor(to_widget(view, 120, 100))
    assert trace.red() > 150 and trace.green() < 110 and trace.blue() < 110
    QTest.mouseRelease(view, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, points[-1])
    assert window.shared_view.center == center  # painted, did not pan
    rgba = window.hint_tools.layer.to_rgba()  # the same page coordinates as on the sketch
    assert tuple(rgba[100, 120]) == (230, 20, 30, 255) and rgba[60, 120, 3] == 0 and rgba[100, 30, 3] == 0
    assert window.document.is_clean() and window.history.count() == 1  # the line art is untouched
    assert window.history.undoText() == "Hint stroke"
    qtbot.waitUntil(lambda: flat.rgb[70, 150, 0] > 150 and flat.rgb[70, 150, 1] < 90, timeout=5000)  # the box fills
    raw_page = raw.page
    qtbot.waitUntil(lambda: raw.page is not raw_page, timeout=20000)  # the hint model ran again, with the stroke
    wait_done(qtbot, window)
    assert np.abs(raw.rgb[100, 120].astype(int) - (230, 20, 30)).max() <= 3  # this tiny model copies hints
    window.grab().save(str(tmp_path / "ui_pane_painted.png"))

    window.actions["hint_eraser"].trigger()
    draw(flat.view, [(120, 80), (120, 120)])  # the eraser on the other pane
    assert window.hint_tools.layer.to_rgba()[100, 120, 3] == 0
    assert window.hint_tools.layer.to_rgba()[100, 70, 3] == 255
    window.actions["undo"].trigger()
    assert window.hint_tools.layer.to_rgba()[100, 120, 3] == 255
    wait_done(qtbot, window)


def test_panes_pan_with_space_or_the_middle_button_and_the_bucket_never_pans(coloured, qtbot):
    window = coloured
    view = window.compare.panes[0].view
    window.set_tool("hint")
    start = QPoint(view.width() // 2, view.height() // 2)

    def drag(button, end):
        QTest.mousePress(view, button, Qt.KeyboardModifier.NoModifier, start)
        QTest.mouseMove(view, end)
        QTest.mouseRelease(view, button, Qt.KeyboardModifier.NoModifier, end)

    center = QPointF(window.shared_view.center)
    drag(Qt.MouseButton.MiddleButton, start + QPoint(40, 0))
    assert window.shared_view.center.x() < center.x()  # panned
    view.setFocus()
    QTest.keyPress(view, Qt.Key.Key_Space)  # held
    assert window.shared_view.space_down and view.cursor().shape() == Qt.CursorShape.OpenHandCursor
    center = QPointF(window.shared_view.center)
    drag(Qt.MouseButton.LeftButton, start + QPoint(0, 40))
    QTest.keyRelease(view, Qt.Key.Key_Space)
    assert window.shared_view.center.y() < center.y() and window.hint_tools.layer.is_empty()  # a pan, no stroke

    window.set_tool("fill")
    center = QPointF(window.shared_view.center)
    drag(Qt.MouseButton.LeftButton, start + QPoint(50, 30))
    assert window.shared_view.center == center  # the bucket clicks, it does not pan
    window.set_tool("pen")  # line art is drawn on the sketch: on a pane the pen's drag pans
    drag(Qt.MouseButton.LeftButton, start + QPoint(30, 0))
    assert window.shared_view.center != center and window.document.is_clean()  # no line drawn
    wait_done(qtbot, window)


# --- 4. layout by pane count and window shape ------------------------------------------------------
def test_four_panes_at_1280x720_are_a_readable_grid(make_window, four_models, qtbot, tmp_path):
    window = make_window(models_dir=four_models, selected=["tiny-a", "tiny-b", "tiny-c", "tiny-hints"],
                         resize=False)
    window.resize(1280, 720)
    assert window.open_path(sample_sketch_path())
    wait_done(qtbot, window)
    qtbot.wait(50)
    panes = window.compare.panes
    assert window.compare.plan() == [2, 2]  # a 2 x 2 grid, not four slivers side by side
    tops = sorted({p.mapTo(window, p.rect().topLeft()).y() for p in panes})
    assert len(tops) == 2
    grid_zoom = min(p.view.zoom() for p in panes)
    for pane in panes:  # names readable: the short name in full, the full one in the tooltip
        assert pane.short in pane.header.shown_text() and pane.title in pane.header.toolTip()
        assert pane.view.rect().contains(to_widget(pane.view, 640, 768))  # each pane shows the whole page
    shot = tmp_path / "ui_four_panes_1280x720.png"
    window.grab().save(str(shot))
    print(f"screenshot: {shot}")

    window.actions["layout_row"].trigger()  # the old layout, for comparison: every page smaller
    qtbot.wait(50)
    window.fit_view()
    assert max(p.view.zoom() for p in panes) < grid_zoom
    window.actions["layout_auto"].trigger()
    qtbot.wait(50)
    window.fit_view()

    # widening the sketch: the sketch shows larger, each pane fits its own (smaller) size
    sketch_before, pane_before = window.canvas.zoom(), panes[0].view.zoom()
    total = sum(window.splitter.sizes())
    window.splitter.setSizes([total // 2, total - total // 2])
    qtbot.wait(50)
    assert window.canvas.zoom() > sketch_before and panes[0].view.zoom() < pane_before
    assert window.canvas.zoom() > panes[0].view.zoom()  # not every image shrunk to the smallest view
    for view in (window.canvas, *(p.view for p in panes)):
        assert view.rect().contains(to_widget(view, 0, 0)) and view.rect().contains(to_widget(view, 640, 768))


def test_short_names_drop_the_detail_but_stay_distinct():
    from ganime_desktop.core.registry import ModelEntry
    from ganime_desktop.ui.models_panel import short_label_for

    def entry(name, display):
        return ModelEntry(spec=None, name=name, display_name=display, available=True, reason=None, source="user")

    entries = [entry("tv", "Pix2Pix + TV (compact)"), entry("a", "CycleGAN (compact)"), entry("b", "CycleGAN (large)"),
               entry("c", "Plain")]
    assert [short_label_for(e, entries) for e in entries] == ["Pix2Pix + TV", "CycleGAN (compact)",
                                                              "CycleGAN (large)", "Plain"]


# --- 5. the toolbar's Mode sets every pane ---------------------------------------------------------
def test_picking_the_toolbar_mode_it_shows_sets_every_pane(make_window, qtbot):
    window = make_window(selected=["tiny-a", "tiny-b"])
    wait_done(qtbot, window)
    a, b = window.compare.panes
    a.mode_box.setCurrentIndex(a.mode_box.findData("raw"))  # one pane switched on its own
    assert (a.mode, b.mode) == ("raw", "shaded") and window.tools.mode.currentData() == "shaded"
    combo = window.tools.mode
    combo.showPopup()  # the user opens the box and picks "Shaded", the value it shows
    view = combo.view()
    qtbot.waitUntil(view.isVisible)
    index = view.model().index(combo.findData("shaded"), 0)
    QTest.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     view.visualRect(index).center())
    assert (a.mode, b.mode) == ("shaded", "shaded")
    assert a.mode_box.currentData() == "shaded"
    wait_done(qtbot, window)


# --- 6. hints saved on their own --------------------------------------------------------------------
def test_hints_are_saved_on_their_own_and_the_page_is_never_rewritten(make_window, four_models, qtbot, tmp_path,
                                                                       monkeypatch):
    chapter = tmp_path / "chapter"
    chapter.mkdir()
    jpg = page(chapter / "p1.jpg")
    before = (jpg.stat().st_size, jpg.stat().st_mtime_ns)
    window = make_window(models_dir=four_models, selected=["tiny-a"])
    window.ask_before_discarding = True
    assert window.open_path(jpg)
    wait_done(qtbot, window)
    window.hint_tools.set_colour(RED)
    draw(window.canvas, [(60, 100), (180, 100)])
    painted = window.hint_tools.layer.to_rgba()
    assert "*" in window.windowTitle()

    asked = []

    def answer(_parent, _title, text, *_args):
        asked.append(text)
        return QMessageBox.StandardButton.Save

    def no_dialog(*_args, **_kwargs):
        raise AssertionError("hints alone must not ask where to save the page")

    monkeypatch.setattr(QMessageBox, "question", answer)
    monkeypatch.setattr(QFileDialog, "getSaveFileName", no_dialog)
    assert window.files.may_discard()  # closing or opening another page: "save the hints?"
    assert "p1.hints.png" in asked[0] and "not changed" in asked[0]
    np.testing.assert_array_equal(read_hints(chapter / "p1.hints.png"), painted)
    assert sorted(p.name for p in chapter.iterdir()) == ["p1.hints.png", "p1.jpg"]  # no second copy of the page
    assert (jpg.stat().st_size, jpg.stat().st_mtime_ns) == before
    assert "*" not in window.windowTitle()

    draw(window.canvas, [(60, 140), (180, 140)])  # more hints, then Ctrl+S: the hints file only
    window.canvas.setFocus()
    key(qtbot, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert read_hints(chapter / "p1.hints.png")[140, 100, 3] == 255
    assert (jpg.stat().st_size, jpg.stat().st_mtime_ns) == before and "*" not in window.windowTitle()

    proposed = {}

    def fake_save(_parent, _title, start, filter_=""):
        proposed["start"], proposed["filter"] = start, filter_
        return "", ""

    monkeypatch.setattr(QFileDialog, "getSaveFileName", fake_save)
    window.set_tool("pen")
    draw(window.canvas, [(20, 20), (60, 20)])  # the line art changed: Save asks, as the page's own file
    window.actions["save_sketch"].trigger()
    assert proposed["start"] == str(chapter / "p1.jpg") and proposed["filter"].startswith("JPEG")
    window.ask_before_discarding = False


# --- 7. hints from the previous page of another size -----------------------------------------------
def test_hints_from_a_previous_page_of_another_size_are_scaled_or_refused(make_window, qtbot, tmp_path):
    chapter = tmp_path / "chapter"
    chapter.mkdir()
    hints = np.zeros((200, 256, 4), np.uint8)
    hints[90:110, 100:150] = (230, 20, 30, 255)
    page(chapter / "p1.png")
    write_hints(chapter / "p1.hints.png", hints)
    half = page(chapter / "p2.png", (100, 128), (20, 20, 100, 80))  # the same shape, half the size
    turned = page(chapter / "p3.png", (256, 200), (20, 20, 180, 230))  # landscape -> portrait
    window = make_window(selected=["tiny-a"])

    assert window.open_path(half)
    assert window.hint_tools.reuse_previous()
    layer = window.hint_tools.layer.to_rgba()
    assert layer.shape == (100, 128, 4) and layer[50, 62, 3] == 255 and layer[50, 40, 3] == 0  # scaled
    assert "scaled from 256×200 to 128×100" in window.statusBar().currentMessage()

    write_hints(chapter / "p2.hints.png", np.zeros((100, 128, 4), np.uint8))  # p2's own: none
    (chapter / "p2.hints.png").unlink()
    assert window.open_path(turned)
    assert not window.hint_tools.reuse_previous()  # another shape: refused, with the reason
    assert window.hint_tools.layer.is_empty()
    text = window.last_message.text()
    assert "256×200" in text and "200×256" in text and "wrong places" in text
    window.last_message.close()
    wait_done(qtbot, window)


# --- 8. colour from reference -----------------------------------------------------------------------
def test_ticking_colour_from_reference_asks_for_the_image_and_colours_once_chosen(make_window, qtbot, tmp_path,
                                                                                  monkeypatch):
    refs = tmp_path / "refs"
    refs.mkdir()
    reference = refs / "orange.png"
    cv2.imwrite(str(reference), np.full((60, 80, 3), (40, 90, 200), np.uint8))
    window = make_window(selected=["tiny-a"])
    window.settings.set_last_dir("reference", refs)
    wait_done(qtbot, window)
    asked = {}

    def choose(_parent, title, folder, _filter=""):
        asked["folder"] = folder
        pane = window.compare.pane("tiny-style")  # meanwhile the pane says what is missing
        asked["message"] = pane.view.message
        return str(reference), ""

    monkeypatch.setattr(QFileDialog, "getOpenFileName", choose)
    window.models.set_checked("tiny-style", True)
    qtbot.waitUntil(lambda: "folder" in asked)  # the chooser opens by itself...
    assert asked["folder"] == str(refs)  # ...in the folder of the last reference
    assert "reference image" in asked["message"] and "Cancelled" not in asked["message"]
    pane = window.compare.pane("tiny-style")
    qtbot.waitUntil(lambda: pane.state == compare_panes.DONE, timeout=30000)  # coloured at once, no F5
    assert window.models.reference_label.text() == "orange.png"
    wait_done(qtbot, window)


# --- 10. keyboard shortcuts, About, the title -------------------------------------------------------
def test_keyboard_shortcuts_are_listed_from_the_actions_and_searchable(make_window, qtbot, tmp_path):
    window = make_window()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is window.canvas)
    key(qtbot, Qt.Key.Key_F1)  # Help → Keyboard shortcuts
    [dialog] = [d for d in window.findChildren(ShortcutsDialog) if d.isVisible()]
    rows = {(r.action, r.keys) for r in dialog.rows}
    assert ("Colour", "F5") in rows and ("Focus result pane 1 (shown alone if the panes are)", "1") in rows
    assert any(r.action == "Keyboard shortcuts" and r.keys == "F1" for r in dialog.rows)
    assert any(r.keys == "Esc" and "one pane" in r.action for r in dialog.rows)
    QTest.keyClicks(dialog.search, "f5")
    assert [r.action for r in dialog.shown_rows()] == ["Colour"]
    dialog.search.clear()
    QTest.keyClicks(dialog.search, "hint")
    assert dialog.shown_rows() and all("hint" in " ".join(r).lower() for r in dialog.shown_rows())
    dialog.grab().save(str(tmp_path / "ui_shortcuts.png"))
    QTest.keyClick(dialog, Qt.Key.Key_Escape)
    assert not dialog.isVisible()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is window.canvas)  # the keys work in the window again

    about = window.show_about()
    QTest.keyClick(about.browser, Qt.Key.Key_Escape)  # Esc closes About, even from its text
    assert not about.isVisible()
