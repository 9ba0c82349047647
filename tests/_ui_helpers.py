"""Helpers for the GUI tests (no fixtures here: those are in _ui_fixtures.py)."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtTest import QTest

SAMPLE_W, SAMPLE_H = 640, 768  # assets/samples/sketch_bust.png


def wait_done(qtbot, window, timeout: int = 20000) -> None:
    qtbot.waitUntil(lambda: not window.controller.is_busy(), timeout=timeout)


def to_widget(view, x: float, y: float) -> QPoint:
    return view.transform().map(QPointF(x, y)).toPoint()


def draw(canvas, points) -> None:
    """A real mouse stroke through image points."""
    first, *rest = [to_widget(canvas, x, y) for x, y in points]
    QTest.mousePress(canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, first)
    for p in rest:
        QTest.mouseMove(canvas, p)
    QTest.mouseRelease(canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, rest[-1] if rest else first)
