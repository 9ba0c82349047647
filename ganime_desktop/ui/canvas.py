"""The sketch canvas: draw with the pen or eraser, pan with the middle button or Space + drag.

Mouse handlers only paint into the document; colouring is started elsewhere, by the document's
``changed`` signal through a debounce timer, never from here. Dropped files are handled by the
main window (drops anywhere on it open the image).

The colour hint layer (hints_layer.py), when set, is shown over the line art and painted by the
hint brush and hint eraser; the pen and eraser never touch it, nor the hint tools the sketch.
Which layer a tool paints is tools.py's table; a click tool (fill bucket, eyedropper) paints
nothing here: a click emits ``clicked(image point)`` for colour_tools.py. Fill points are marked
with a dot of their colour.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRect, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QImage, QKeyEvent, QMouseEvent, QPainter, QPen
from PySide6.QtWidgets import QWidget

from .document import PaintLayer, SketchDocument
from .hints_layer import HintLayer
from .tools import ERASER, FILL, HINT, HINT_ERASER, HINT_LAYER, PEN, PICK, TOOLS
from .view import ImageView, SharedView

__all__ = ["ERASER", "FILL", "HINT", "HINT_ERASER", "HINT_TOOLS", "PEN", "PICK", "SketchCanvas"]
HINT_TOOLS = (HINT, HINT_ERASER)
HINT_OPACITY = 0.8  # hints over the lines, the lines still visible through them
POINT_RADIUS = 5.0  # screen pixels of a fill point's mark


class SketchCanvas(ImageView):
    """Left button draws with the current tool, or clicks with a click tool."""

    clicked = Signal(QPointF)  # image point, for the click tools

    def __init__(self, document: SketchDocument, shared: SharedView, parent: QWidget | None = None) -> None:
        super().__init__(shared, parent)
        self.document = document
        self.tool = PEN
        self.widths = {PEN: 3.0, ERASER: 24.0}
        self.hint_widths = {HINT: 12.0, HINT_ERASER: 24.0}
        self.opacities = {PEN: 1.0, ERASER: 1.0}
        self.hints: HintLayer | None = None
        self.show_hints = True
        self._target: PaintLayer | None = None  # the layer the stroke in progress paints on
        self._space_down = False
        self._hover: QPointF | None = None
        self.setMouseTracking(True)  # for the brush outline
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setAccessibleName("Sketch canvas")
        document.region_changed.connect(self._update_region)
        document.replaced.connect(self.update)

    def image(self) -> QImage:
        return self.document.image

    def _widths(self, tool: str | None = None) -> dict[str, float]:
        return self.hint_widths if (tool or self.tool) in HINT_TOOLS else self.widths

    def width_of(self, tool: str) -> float:
        return self._widths(tool).get(tool, 0.0)

    def set_width(self, tool: str, width: float) -> None:
        self._widths(tool)[tool] = float(width)

    @property
    def width_for_tool(self) -> float:
        return self.width_of(self.tool)

    def set_tool(self, tool: str) -> None:
        self.tool = tool
        self._set_cursor()
        self.update()

    def _set_cursor(self) -> None:
        shape = (Qt.CursorShape.OpenHandCursor if self._space_down else
                 Qt.CursorShape.PointingHandCursor if self.tool in (FILL, PICK) else Qt.CursorShape.CrossCursor)
        self.setCursor(shape)

    def set_tool_width(self, width: float) -> None:
        self.set_width(self.tool, width)
        self.update()

    def set_hint_layer(self, layer: HintLayer) -> None:
        self.hints = layer
        layer.region_changed.connect(self._update_region)
        layer.replaced.connect(self.update)
        layer.changed.connect(self.update)  # undo/redo of hints

    def set_show_hints(self, on: bool) -> None:
        self.show_hints = bool(on)
        self.update()

    def _layer_for_tool(self) -> PaintLayer:
        return self.hints if TOOLS[self.tool].layer == HINT_LAYER and self.hints is not None else self.document

    def _update_region(self, rect: QRect) -> None:
        self.update(self.to_widget_rect(QRectF(rect)).toAlignedRect().adjusted(-2, -2, 2, 2))

    # --- drawing -------------------------------------------------------------------------------
    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if event.button() == Qt.MouseButton.LeftButton and self._space_down:
            self.start_pan(event.position())
        elif event.button() == Qt.MouseButton.LeftButton and TOOLS[self.tool].is_click:
            self.clicked.emit(self.to_image(event.position()))
        elif event.button() == Qt.MouseButton.LeftButton:
            self._target = self._layer_for_tool()
            self._target.begin_stroke(self.to_image(event.position()), self.width_for_tool,
                                      TOOLS[self.tool].erase, self.opacities.get(self.tool, 1.0))
        else:
            super().mousePressEvent(event)
            return
        event.accept()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        old_hover, self._hover = self._hover, event.position()
        if self._target is not None and self._target.in_stroke() and not self.is_panning():
            self._target.extend_stroke(self.to_image(event.position()))
            event.accept()
        else:
            super().mouseMoveEvent(event)
        self._update_brush_outline(old_hover)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if event.button() == Qt.MouseButton.LeftButton and self._target is not None and self._target.in_stroke():
            target, self._target = self._target, None
            target.extend_stroke(self.to_image(event.position()))
            target.end_stroke()
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
            self._set_cursor()
            event.accept()
            return
        super().keyPressEvent(event)

    def keyReleaseEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space_down = False
            self._set_cursor()
            event.accept()
            return
        super().keyReleaseEvent(event)

    # --- brush outline -------------------------------------------------------------------------
    def restore_cursor(self) -> None:  # after a pan (view.py)
        self._set_cursor()

    def _outline_rect(self, pos: QPointF) -> QRect:
        r = self.width_for_tool * self.shared.zoom / 2.0 + 3.0
        return QRectF(pos.x() - r, pos.y() - r, 2 * r, 2 * r).toAlignedRect()

    def _update_brush_outline(self, old: QPointF | None) -> None:
        for pos in (old, self._hover):
            if pos is not None:
                self.update(self._outline_rect(pos))

    def paint_overlay(self, painter: QPainter) -> None:
        if self.hints is not None and self.show_hints:
            painter.save()
            painter.setTransform(self.transform())
            painter.setOpacity(HINT_OPACITY)
            painter.drawImage(QPointF(0, 0), self.hints.image)
            painter.restore()
            self._paint_points(painter)
        if self._hover is None or self.is_panning() or self._space_down or TOOLS[self.tool].is_click:
            return
        r = self.width_for_tool * self.shared.zoom / 2.0
        if r < 2.0:
            return
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        outline = QColor(40, 120, 220, 200)
        if self.tool == HINT and self.hints is not None:
            outline = QColor(self.hints.colour)
        painter.setPen(QPen(outline, 1.0 if self.tool != HINT else 2.0))
        painter.drawEllipse(self._hover, r, r)

    def _paint_points(self, painter: QPainter) -> None:
        """A dot of its colour, ringed black and white, on each fill point."""
        points = self.hints.points()
        if not points:
            return
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        transform = self.transform()
        for x, y, colour, _rect in points:
            centre = transform.map(QPointF(x, y))
            painter.setPen(QPen(QColor(0, 0, 0), 3.0))
            painter.setBrush(colour)
            painter.drawEllipse(centre, POINT_RADIUS, POINT_RADIUS)
            painter.setPen(QPen(QColor(255, 255, 255), 1.2))
            painter.drawEllipse(centre, POINT_RADIUS, POINT_RADIUS)
        painter.restore()
