"""The sketch canvas in the real window: sample sketch, opening files, strokes with undo/redo, shared
zoom and pan (pytest-qt, offscreen)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from _ui_helpers import SAMPLE_H, SAMPLE_W, draw, to_widget
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QWheelEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from ganime_desktop.ui.app import sample_sketch_path

pytest_plugins = ["_ui_fixtures"]
pytestmark = pytest.mark.usefixtures("no_leaked_workers")


def test_sample_sketch_is_line_art_on_white():
    img = cv2.imread(str(sample_sketch_path()), cv2.IMREAD_GRAYSCALE)
    assert img is not None and img.shape == (SAMPLE_H, SAMPLE_W)
    assert np.median(img) == 255  # white paper
    assert 0.02 < (img < 128).mean() < 0.2  # a real drawing: some ink, mostly paper
    assert len(np.unique(img)) > 50  # anti-aliased lines, not a 1-bit image


def test_window_opens_with_the_sample(make_window, qtbot, tmp_path):
    window = make_window()
    assert window.open_path(sample_sketch_path())
    qtbot.wait(10)
    rgb = window.document.to_rgb()
    assert rgb.shape == (SAMPLE_H, SAMPLE_W, 3)
    assert np.array_equal(rgb, cv2.cvtColor(cv2.imread(str(sample_sketch_path())), cv2.COLOR_BGR2RGB))
    # the default model (the manifest's first) has a pane; the view fits the whole sketch
    assert [p.name for p in window.compare.panes] == ["tiny-a"]
    tl, br = to_widget(window.canvas, 0, 0), to_widget(window.canvas, SAMPLE_W, SAMPLE_H)
    assert window.canvas.rect().contains(tl) and window.canvas.rect().contains(br)
    assert "sketch_bust.png" in window.windowTitle()
    window.grab().save(str(tmp_path / "ui_window_sample.png"))


def test_open_image_and_refuse_a_broken_one(make_window, tmp_path, qtbot):
    window = make_window()
    page = np.full((300, 200, 3), 255, np.uint8)
    cv2.line(page, (10, 10), (190, 290), (0, 0, 0), 3)
    path = tmp_path / "page ü.png"  # non-ASCII on purpose
    cv2.imencode(".png", page)[1].tofile(str(path))
    assert window.open_path(path)
    assert window.document.to_rgb().shape == (300, 200, 3)

    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    assert not window.open_path(broken)
    box = window.last_message
    assert box is not None and box.isVisible()
    assert "broken.png" in box.text()
    assert window.document.to_rgb().shape == (300, 200, 3)  # the open sketch stays
    box.close()


def test_dropping_an_image_opens_it(make_window, tmp_path):
    window = make_window()
    path = tmp_path / "dropped.png"
    cv2.imwrite(str(path), np.full((120, 90, 3), 255, np.uint8))
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    # Qt delivers drop events only during a real drag, so call the handlers the drag would reach
    enter = QDragEnterEvent(QPoint(50, 50), Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton,
                            Qt.KeyboardModifier.NoModifier)
    window.dragEnterEvent(enter)
    assert enter.isAccepted()
    window.dropEvent(QDropEvent(QPointF(50, 50), Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton,
                                Qt.KeyboardModifier.NoModifier))
    assert window.document.path == path
    assert window.document.image.width() == 90


def test_stroke_undo_redo(make_window, qtbot):
    window = make_window()
    window.document.new_blank(400, 300)
    qtbot.wait(10)
    window.fit_view()
    canvas, stack = window.canvas, window.document.undo_stack
    blank = window.document.to_rgb()
    draw(canvas, [(50, 150), (150, 150), (250, 150), (350, 150)])
    drawn = window.document.to_rgb()
    assert drawn[150, 200].max() < 60 and drawn[150, 40].min() == 255  # ink on the line only
    assert drawn[20, 200].min() == 255
    assert stack.count() == 1 and stack.undoText() == "Pen stroke"  # one stroke = one step
    assert window.actions["undo"].isEnabled()

    draw(canvas, [(200, 30), (200, 270)])
    assert stack.count() == 2
    window.actions["undo"].trigger()
    assert np.array_equal(window.document.to_rgb(), drawn)
    window.actions["undo"].trigger()
    assert np.array_equal(window.document.to_rgb(), blank)
    window.actions["redo"].trigger()
    assert np.array_equal(window.document.to_rgb(), drawn)
    assert "*" in window.windowTitle()  # unsaved changes


def test_eraser_and_clear(make_window, qtbot):
    window = make_window()
    window.document.new_blank(400, 300)
    qtbot.wait(10)
    window.fit_view()
    draw(window.canvas, [(50, 150), (350, 150)])
    window.set_tool("eraser")
    window.tools.width.setValue(30)
    draw(window.canvas, [(200, 120), (200, 180)])
    rgb = window.document.to_rgb()
    assert rgb[150, 200].min() == 255 and rgb[150, 100].max() < 60
    assert window.canvas.widths == {"pen": 3.0, "eraser": 30.0}
    window.actions["clear"].trigger()
    assert window.document.to_rgb().min() == 255
    window.actions["undo"].trigger()
    assert np.array_equal(window.document.to_rgb(), rgb)


def test_panes_share_zoom_and_pan_with_the_canvas(make_window, qtbot):
    window = make_window(selected=["tiny-a", "tiny-b"])
    window.open_path(sample_sketch_path())
    qtbot.wait(10)
    canvas, pane = window.canvas, window.compare.panes[1].view
    before = canvas.zoom()  # fitted: each view at its own size's zoom; the wheel starts from the canvas's
    anchor = QPointF(canvas.width() / 2 + 40, canvas.height() / 2 - 30)
    image_point = canvas.to_image(anchor)
    QTest.mouseMove(canvas, anchor.toPoint())
    for _ in range(2):  # two wheel notches up over the canvas
        wheel = QWheelEvent(anchor, canvas.mapToGlobal(anchor), QPoint(0, 0), QPoint(0, 120),
                            Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase,
                            False)
        QApplication.sendEvent(canvas, wheel)
    assert window.shared_view.zoom == pytest.approx(before * 1.25 ** 2)
    # the image point under the cursor stayed there, and the pane zoomed by the same factor
    assert (canvas.to_image(anchor) - image_point).manhattanLength() < 1e-6
    assert pane.transform().m11() == pytest.approx(canvas.transform().m11())

    # panning a pane with the left button moves the canvas view too
    centre = window.shared_view.center
    start = QPoint(pane.width() // 2, pane.height() // 2)
    QTest.mousePress(pane, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
    QTest.mouseMove(pane, start + QPoint(60, 0))
    QTest.mouseRelease(pane, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start + QPoint(60, 0))
    moved = window.shared_view.center - centre
    assert moved.x() == pytest.approx(-60 / window.shared_view.zoom)
    assert window.document.undo_stack.count() == 0  # panning a pane never draws

    window.actions["fit"].trigger()
    for view in (canvas, pane):  # after "fit" the whole sketch is visible in every view
        assert view.rect().contains(to_widget(view, 0, 0))
        assert view.rect().contains(to_widget(view, SAMPLE_W, SAMPLE_H))
