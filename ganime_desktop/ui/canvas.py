"""The sketch canvas: draw with the pen or eraser, pan with the middle button or Space + drag.

Mouse handlers only paint into the document; colouring is started elsewhere, by the document's
``changed`` signal through a debounce timer, never from here. Dropped files are handled by the
main window (drops anywhere on it open the image).
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRect, QRectF, Qt
from PySide6.QtGui import QColor, QImage, QKeyEvent, QMouseEvent, QPainter, QPen
from PySide6.QtWidgets import QWidget

from .document import SketchDocument
from .view import ImageView, SharedView

PEN, ERASER = "pen", "eraser"


class SketchCanvas(ImageView):
    """Left button draws with the current tool."""

    def __init__(self, document: SketchDocument, shared: SharedView, parent: QWidget | None = None) -> None:
        super().__init__(shared, parent)
        self.document = document
        self.tool = PEN
        self.widths = {PEN: 3.0, ERASER: 24.0}
        self._space_down = False
        self._hover: QPointF | None = None
        self.setMouseTracking(True)  # for the brush outline
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setAccessibleName("Sketch canvas")
        document.region_changed.connect(self._update_region)
        document.replaced.connect(self.update)

    def image(self) -> QImage:
        return self.document.image

    @property
    def width_for_tool(self) -> float:
        return self.widths[self.tool]

    def set_tool(self, tool: str) -> None:
        self.tool = tool
        self.update()

    def set_tool_width(self, width: float) -> None:
        self.widths[self.tool] = float(width)
        self.update()

    def _update_region(self, rect: QRect) -> None:
        self.update(self.to_widget_rect(QRectF(rect)).toAlignedRect().adjusted(-2, -2, 2, 2))

    # --- drawing -------------------------------------------------------------------------------
    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if event.button() == Qt.MouseButton.LeftButton and self._space_down:
            self.start_pan(event.position())
        elif event.button() == Qt.MouseButton.LeftButton:
            self.document.begin_stroke(self.to_image(event.position()), self.width_for_tool, self.tool == ERASER)
        else:
            super().mousePressEvent(event)
            return
        event.accept()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        old_hover, self._hover = self._hover, event.position()
        if self.document.in_stroke() and not self.is_panning():
            self.document.extend_stroke(self.to_image(event.position()))
            event.accept()
        else:
            super().mouseMoveEvent(event)
        self._update_brush_outline(old_hover)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if event.button() == Qt.MouseButton.LeftButton and self.document.in_stroke():
            self.document.extend_stroke(self.to_image(event.position()))
            self.document.end_stroke()
            event.accept()
            return
        super().mouseReleaseEvent(event)

    def leaveEvent(self, event) -> None:  # noqa: N802
        old, self._hover = self._hover, None
        self._update_brush_outline(old)
        super().leaveEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space_down = True
            self.setCursor(Qt.CursorShape.OpenHandCursor)
            event.accept()
            return
        super().keyPressEvent(event)

    def keyReleaseEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space_down = False
            self.setCursor(Qt.CursorShape.CrossCursor)
            event.accept()
            return
        super().keyReleaseEvent(event)

    # --- brush outline -------------------------------------------------------------------------
    def _outline_rect(self, pos: QPointF) -> QRect:
        r = self.width_for_tool * self.shared.zoom / 2.0 + 3.0
        return QRectF(pos.x() - r, pos.y() - r, 2 * r, 2 * r).toAlignedRect()

    def _update_brush_outline(self, old: QPointF | None) -> None:
        for pos in (old, self._hover):
            if pos is not None:
                self.update(self._outline_rect(pos))

    def paint_overlay(self, painter: QPainter) -> None:
        if self._hover is None or self.is_panning() or self._space_down:
            return
        r = self.width_for_tool * self.shared.zoom / 2.0
        if r < 2.0:
            return
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.setPen(QPen(QColor(40, 120, 220, 200), 1.0))
        painter.drawEllipse(self._hover, r, r)
