"""The sketch canvas: draw with the pen or eraser, pan with the middle button or Space + drag.

Mouse handlers only paint into the document; colouring is started elsewhere, by the document's
``changed`` signal through a debounce timer, never from here. Dropped files are handled by the
main window (drops anywhere on it open the image).

The colour hint layer (hints_layer.py), when set, is shown over the line art and painted by the
hint brush and hint eraser; the pen and eraser never touch it, nor the hint tools the sketch.
Which layer a tool paints is tools.py's table; a click tool (fill bucket, eyedropper) paints
nothing here: a click emits ``clicked(image point)`` for colour_tools.py. Fill points are marked
with a dot of their colour.

The hint tools also paint from a result pane (compare_panes.py): the pane turns its mouse into
page points and calls ``begin_stroke_at`` / ``extend_stroke_to`` / ``end_stroke_at`` here, the
same calls the canvas's own mouse makes, so a stroke is the same edit wherever it is painted.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRect, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QImage, QMouseEvent, QPainter, QPen
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
        shape = (Qt.CursorShape.OpenHandCursor if self.shared.space_down else
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

    # --- strokes: the same code for the canvas's mouse and a result pane's -------------------
    def paints_on_panes(self) -> bool:
        """Whether the tool's strokes may start on a result pane: the hint tools (the panes show
        colour, so the line art is drawn on the sketch only)."""
        return TOOLS[self.tool].layer == HINT_LAYER and self.hints is not None

    def begin_stroke_at(self, pos: QPointF) -> None:
        """Start a stroke of the current tool at page point ``pos``, on the layer it paints."""
        self._target = self._layer_for_tool()
        self._target.begin_stroke(pos, self.width_for_tool, TOOLS[self.tool].erase, self.opacities.get(self.tool, 1.0))

    def extend_stroke_to(self, pos: QPointF) -> None:
        if self._target is not None and self._target.in_stroke():
            self._target.extend_stroke(pos)

    def end_stroke_at(self, pos: QPointF) -> None:
        """Finish the stroke (one undo step); nothing if none is in progress."""
        target, self._target = self._target, None
        if target is not None and target.in_stroke():
            target.extend_stroke(pos)
            target.end_stroke()

    def in_stroke(self) -> bool:
        return self._target is not None and self._target.in_stroke()

    def stroke_preview_pen(self) -> QPen:
        """How a pane draws the stroke in progress, in page units: the hint colour as the canvas
        shows hints, or a light trace for the hint eraser."""
        erase = TOOLS[self.tool].erase
        colour = QColor(255, 255, 255, 170) if erase or self.hints is None else QColor(self.hints.colour)
        if not erase:
            colour.setAlphaF(HINT_OPACITY)
        return QPen(colour, self.width_for_tool, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap,
                    Qt.PenJoinStyle.RoundJoin)

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if self.pans_on_press(event) or event.button() != Qt.MouseButton.LeftButton:
            super().mousePressEvent(event)
            return
        if TOOLS[self.tool].is_click:
            self.clicked.emit(self.to_image(event.position()))
        else:
            self.begin_stroke_at(self.to_image(event.position()))
        event.accept()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if self.in_stroke() and not self.is_panning():
            self.track_hover(event.position())
            self.extend_stroke_to(self.to_image(event.position()))
            event.accept()
        else:
            super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if event.button() == Qt.MouseButton.LeftButton and self.in_stroke():
            self.end_stroke_at(self.to_image(event.position()))
            event.accept()
            return
        super().mouseReleaseEvent(event)

    # --- cursor, brush outline and overlays ----------------------------------------------------
    def restore_cursor(self) -> None:  # after a pan, or when Space changes (view.py)
        self._set_cursor()

    def outline_at_zoom(self, zoom: float) -> tuple[float, QPen] | None:
        """The brush's outline in a view at ``zoom``: (radius in screen pixels, pen), or None for
        a click tool or a brush too small to ring."""
        if TOOLS[self.tool].is_click:
            return None
        r = self.width_for_tool * zoom / 2.0
        if r < 2.0:
            return None
        if self.tool == HINT and self.hints is not None:
            return r, QPen(QColor(self.hints.colour), 2.0)
        return r, QPen(QColor(40, 120, 220, 200), 1.0)

    def brush_outline(self) -> tuple[float, QPen] | None:
        return self.outline_at_zoom(self.zoom())

    def paint_overlay(self, painter: QPainter) -> None:
        if self.hints is not None and self.show_hints:
            painter.save()
            painter.setTransform(self.transform())
            painter.setOpacity(HINT_OPACITY)
            painter.drawImage(QPointF(0, 0), self.hints.image)
            painter.restore()
            self._paint_points(painter)

    def _paint_points(self, painter: QPainter) -> None:
        """A dot of its colour, ringed black and white, on each fill point (a square for a Shift+click:
        its region alone)."""
        points = self.hints.points()
        if not points:
            return
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        transform = self.transform()
        for point in points:
            centre = transform.map(QPointF(point.x, point.y))
            box = QRectF(centre.x() - POINT_RADIUS, centre.y() - POINT_RADIUS, 2 * POINT_RADIUS, 2 * POINT_RADIUS)
            shape = painter.drawRect if point.region_only else painter.drawEllipse
            painter.setPen(QPen(QColor(0, 0, 0), 3.0))
            painter.setBrush(point.colour)
            shape(box)
            painter.setPen(QPen(QColor(255, 255, 255), 1.2))
            shape(box)
        painter.restore()
