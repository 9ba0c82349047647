"""Result panes: one per selected model, each showing that model's colouring of the sketch through
the shared zoom and pan, with its state (waiting, colouring, done in N ms on CPU/CUDA, failed)
and its colour mode (modes.py): the colouring state's (state.py), which its switch changes and
shows.

A pane keeps the model's ``PageColouring`` (core/colour_modes.py) beside the image it shows, so a
new hint or another mode re-renders it without running the model again (colouring.py does that).

Layout: panes fill the space, in rows chosen by pane_layout.py: by default the arrangement that
shows the page largest for the panes' space and the page's shape, again whenever either changes;
or always one row, or always a grid (``set_layout``). A pane's header shows a short name (the
full one in its tooltip). The focused pane can be shown alone (``set_alone``); it then keeps the
keyboard focus, so keys act on the panes.

The left button on a pane: with a click tool (fill bucket, eyedropper) a click emits
``pane_clicked``; with a hint tool it paints, through the canvas's stroke calls (``set_tool``:
the same edit as on the sketch, the pane drawing the stroke in progress over its image); with
the pen or eraser (line art is drawn on the sketch) it pans. Space + left drag and the middle
button pan with any tool (view.py).
"""

from __future__ import annotations

from typing import Protocol

import numpy as np
from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QImage, QMouseEvent, QPainter, QPen, QPolygonF
from PySide6.QtWidgets import QApplication, QFrame, QHBoxLayout, QLabel, QProgressBar, QVBoxLayout, QWidget

from .modes import mode_combo, set_combo_mode
from .pane_header import PaneHeader
from .pane_layout import SPACING, row_sizes
from .qimage import rgb_to_qimage
from .state import ColouringState
from .view import ImageView, SharedView

IDLE, QUEUED, RUNNING, DONE, FAILED, CANCELLED = "idle", "queued", "running", "done", "failed", "cancelled"
PRESS_COLOUR = "Press Colour (F5) to colour the sketch with this model"
GHOST_LEVEL = 0.3  # a new page's sketch shown faded in the panes until its colourings arrive


class StrokeTarget(Protocol):
    """Who paints a stroke started on a pane: the sketch canvas (canvas.py), in page points."""

    def begin_stroke_at(self, pos: QPointF) -> None: ...
    def extend_stroke_to(self, pos: QPointF) -> None: ...
    def end_stroke_at(self, pos: QPointF) -> None: ...
    def stroke_preview_pen(self) -> QPen: ...
    def outline_at_zoom(self, zoom: float) -> tuple[float, QPen] | None: ...


class PaneView(ImageView):
    """A result image; the left button clicks (click tools), paints (hint tools) or pans."""

    clicked = Signal(QPointF)  # image point
    double_clicked = Signal()

    def __init__(self, shared: SharedView, parent: QWidget | None = None) -> None:
        super().__init__(shared, parent)
        self._image: QImage | None = None
        self.message = ""
        self.message_is_error = False
        self.click_tool = False
        self.strokes: StrokeTarget | None = None  # set while a hint tool is selected
        self._stroke: list[QPointF] = []  # page points of the stroke in progress on this pane
        self._stroke_pen: QPen | None = None
        self.setMouseTracking(True)  # the brush outline

    def image(self) -> QImage | None:
        return self._image

    def set_image(self, image: QImage | None) -> None:
        self._image = image
        self.update()

    def set_message(self, text: str, error: bool = False) -> None:
        self.message, self.message_is_error = text, error
        self.update()

    def set_tool(self, click_tool: bool, strokes: StrokeTarget | None = None) -> None:
        self.click_tool, self.strokes = click_tool, strokes
        self.restore_cursor()
        self.update()

    def restore_cursor(self) -> None:
        if self.shared.space_down:
            self.setCursor(Qt.CursorShape.OpenHandCursor)
        elif self.click_tool:
            self.setCursor(Qt.CursorShape.PointingHandCursor)
        elif self.strokes is not None:
            self.setCursor(Qt.CursorShape.CrossCursor)
        else:
            self.unsetCursor()

    def brush_outline(self) -> tuple[float, QPen] | None:
        return self.strokes.outline_at_zoom(self.zoom()) if self.strokes is not None else None

    # --- mouse ---------------------------------------------------------------------------------
    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if self.pans_on_press(event) or event.button() != Qt.MouseButton.LeftButton:
            super().mousePressEvent(event)
            return
        self.setFocus()
        pos = self.to_image(event.position())
        if self.click_tool:
            self.clicked.emit(pos)
        elif self.strokes is not None:
            self._stroke, self._stroke_pen = [pos], self.strokes.stroke_preview_pen()
            self.strokes.begin_stroke_at(pos)
            self._update_stroke(pos, pos)
        else:
            self.start_pan(event.position())
        event.accept()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if self._stroke and not self.is_panning():
            self.track_hover(event.position())
            pos = self.to_image(event.position())
            self._update_stroke(self._stroke[-1], pos)
            self._stroke.append(pos)
            self.strokes.extend_stroke_to(pos)
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if event.button() == Qt.MouseButton.LeftButton and self._stroke:
            self._stroke = []
            if self.strokes is not None:
                self.strokes.end_stroke_at(self.to_image(event.position()))
            self.update()  # the stroke's trace goes; the pane's refill shows its effect
            event.accept()
            return
        super().mouseReleaseEvent(event)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if event.button() == Qt.MouseButton.LeftButton and not self.click_tool and self.strokes is None:
            self.double_clicked.emit()
            event.accept()
            return
        super().mouseDoubleClickEvent(event)

    def _update_stroke(self, a: QPointF, b: QPointF) -> None:
        margin = (self._stroke_pen.widthF() if self._stroke_pen is not None else 1.0) / 2.0 + 2.0
        rect = QRectF(a, b).normalized().adjusted(-margin, -margin, margin, margin)
        self.update(self.to_widget_rect(rect).toAlignedRect().adjusted(-2, -2, 2, 2))

    def paint_overlay(self, painter: QPainter) -> None:
        if self._stroke and self._stroke_pen is not None:
            painter.save()
            painter.setTransform(self.transform())
            painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
            painter.setPen(self._stroke_pen)
            if len(self._stroke) == 1:
                painter.drawPoint(self._stroke[0])
            else:
                painter.drawPolyline(QPolygonF(self._stroke))
            painter.restore()
        self._paint_message(painter)

    def _paint_message(self, painter: QPainter) -> None:
        if not self.message:
            return
        box = QRectF(self.rect()).adjusted(16, 16, -16, -16)
        painter.setFont(QFont(self.font().family(), max(9, self.font().pointSize())))
        flags = Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap
        bounds = painter.boundingRect(box, flags, self.message).adjusted(-10, -8, 10, 8)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(120, 20, 20, 225) if self.message_is_error else QColor(20, 20, 20, 190))
        painter.drawRoundedRect(bounds, 6, 6)
        painter.setPen(QColor(255, 255, 255))
        painter.drawText(box, flags, self.message)


class ResultPane(QFrame):
    """Header (number, model name, state, mode switch) above a PaneView."""

    def __init__(self, number: int, name: str, title: str, shared: SharedView, state: ColouringState,
                 parent: QWidget | None = None, short: str = ""):
        super().__init__(parent)
        self.number, self.name, self.title, self._colouring = number, name, title, state
        mode = self.mode
        self.short = short or title  # what the header shows; the tooltip has ``title``
        self.rgb: np.ndarray | None = None  # the image shown, for saving and copying
        self.page = None  # the model's PageColouring of the sketch, re-rendered for hints and modes
        self.shown_mode, self.shown_hints = mode, None  # how ``rgb`` was rendered from ``page``
        self.state = IDLE
        self.detail = ""
        self.setObjectName("ResultPane")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.header = PaneHeader()
        self.mode_box = mode_combo(f"Colour mode of {title}")
        set_combo_mode(self.mode_box, mode)
        self.mode_box.currentIndexChanged.connect(lambda _i: self.set_mode(self.mode_box.currentData()))
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)  # busy indicator: one model run has no finer steps to show
        self.progress.setMaximumHeight(6)
        self.progress.setTextVisible(False)
        self.progress.hide()
        self.view = PaneView(shared)
        self.view.setAccessibleName(f"Result of {title}")
        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.header, 1)
        top.addWidget(self.mode_box)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(3, 3, 3, 3)
        layout.setSpacing(2)
        layout.addLayout(top)
        layout.addWidget(self.progress)
        layout.addWidget(self.view, 1)
        self.set_state(IDLE, PRESS_COLOUR)
        self.set_focused(False)

    def _set_header(self, detail: str) -> None:
        self.header.set_parts(f"[{self.number}]" if self.number <= 9 else "", self.short, detail, self.title)

    def set_state(self, state: str, message: str = "", detail: str = "") -> None:
        self.state, self.detail = state, detail
        self.progress.setVisible(state in (QUEUED, RUNNING))
        self.view.set_message(message, error=(state == FAILED))
        self._set_header(detail)

    def set_result(self, rgb: np.ndarray, detail: str, page, mode: str, hints: np.ndarray | None = None) -> None:
        """A new colouring: ``rgb`` as shown now (``page`` rendered in ``mode`` with ``hints``),
        ``page`` to re-render it later."""
        self.page = page
        self.show_rgb(rgb, mode, hints)
        self.set_state(DONE, "", detail)

    def show_rgb(self, rgb: np.ndarray, mode: str, hints: np.ndarray | None = None) -> None:
        """Show a re-rendering of the same colouring (new hints, another mode)."""
        self.rgb, self.shown_mode, self.shown_hints = rgb, mode, hints
        self.view.set_image(rgb_to_qimage(rgb))

    def clear(self, ghost: QImage | None = None) -> None:
        """A new page: drop the old colouring at once; show the new sketch faded meanwhile."""
        self.rgb = self.page = self.shown_hints = None
        self.view.set_image(ghost)
        if self.state not in (QUEUED, RUNNING):
            self.set_state(IDLE, PRESS_COLOUR)

    @property
    def mode(self) -> str:
        return self._colouring.mode_for(self.name)

    def set_mode(self, mode: str) -> None:
        """This pane's own mode (its switch): the state's, which the switch then shows."""
        self._colouring.set_pane_mode(self.name, mode)

    def show_mode(self, mode: str) -> None:
        set_combo_mode(self.mode_box, mode)

    def renumber(self, number: int) -> None:
        self.number = number
        self._set_header(self.detail)

    def mark_outdated(self) -> None:
        if self.state == DONE:
            self._set_header("outdated: the sketch changed")

    def set_focused(self, focused: bool) -> None:
        colour = "#3b82f6" if focused else "transparent"
        self.setStyleSheet(f"#ResultPane {{ border: 2px solid {colour}; }}")


def ghost_image(sketch_rgb: np.ndarray) -> QImage:
    """The sketch faded towards white: what a pane shows while its colouring of a new page runs."""
    faded = sketch_rgb.astype(np.float32) * GHOST_LEVEL + 255.0 * (1.0 - GHOST_LEVEL)
    return rgb_to_qimage(faded.astype(np.uint8))


class ComparePanes(QWidget):
    """The ResultPanes, one per selected model, in the order of the selection."""

    focus_changed = Signal(str)  # the focused pane's model name
    pane_clicked = Signal(str, QPointF)  # model name, image point (click tools)
    alone_changed = Signal(bool)

    def __init__(self, shared: SharedView, state: ColouringState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.shared, self.state = shared, state
        state.pane_mode_changed.connect(self._show_mode)
        self.panes: list[ResultPane] = []
        self.focused: ResultPane | None = None
        self.layout_mode = "auto"
        self.alone = False
        self.click_tool = False
        self.strokes: StrokeTarget | None = None
        self.page_size = QSize()  # the sketch's: "auto" lays the panes out for its shape
        self._rows: list[QWidget] = []
        self._plan: list[int] = []  # panes per row as laid out now
        self.box = QVBoxLayout(self)
        self.box.setContentsMargins(0, 0, 0, 0)
        self.box.setSpacing(SPACING)
        self.placeholder = QLabel("Tick one or more models on the left to compare their colourings here.")
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setWordWrap(True)
        self.box.addWidget(self.placeholder)

    def set_models(self, models: list[tuple[str, str, str]]) -> list[str]:
        """(name, title, short title) per pane, each in the state's mode for it. Panes of models
        still selected keep their results. Returns the names of the new panes."""
        if [(p.name, p.title, p.short) for p in self.panes] == list(models):
            return []  # unchanged: no relayout (this runs before every colouring)
        old = {p.name: p for p in self.panes}
        keep, new = [], []
        for i, (name, title, short) in enumerate(models, start=1):
            pane = old.pop(name, None)
            if pane is None:
                pane = ResultPane(i, name, title, self.shared, self.state, short=short)
                pane.view.clicked.connect(lambda pos, n=name: self.pane_clicked.emit(n, pos))
                pane.view.double_clicked.connect(lambda p=pane: self._toggle_alone_on(p))
                pane.view.set_tool(self.click_tool, self.strokes)
                new.append(name)
            else:
                pane.renumber(i)
            keep.append(pane)
        for pane in old.values():
            self.shared.detach(pane.view)
            pane.setParent(None)
            pane.deleteLater()
        self.panes = keep
        self.state.set_panes([p.name for p in keep])
        if self.focused not in keep:
            self.focused = None
            if keep:
                self.focus_pane(1)
        if not keep:
            self.set_alone(False)
        self._relayout()
        return new

    # --- layout --------------------------------------------------------------------------------
    def set_layout(self, layout: str) -> None:
        """"auto", "row" or "grid" (pane_layout.py)."""
        self.layout_mode = layout
        self._relayout()

    def set_page_size(self, size: QSize) -> None:
        """The sketch's size: with "auto", a page of another shape may want other rows."""
        self.page_size = QSize(size)
        self._relayout_if_needed()

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._relayout_if_needed()

    def shown(self) -> list[ResultPane]:
        return [self.focused] if self.alone and self.focused is not None else list(self.panes)

    def plan(self) -> list[int]:
        """Panes per row for the panes shown, in this widget's size and for the page's shape."""
        known = self.isVisible() and not self.page_size.isEmpty()
        area = (self.width(), self.height()) if known else None
        page = (self.page_size.width(), self.page_size.height()) if known else None
        return row_sizes(len(self.shown()), self.layout_mode, area, page)

    def _relayout_if_needed(self) -> None:
        if self.plan() != self._plan:
            self._relayout()

    def _relayout(self) -> None:
        focus = QApplication.focusWidget()
        had_focus = focus is not None and self.isAncestorOf(focus)
        for pane in self.panes:
            pane.hide()
            pane.setParent(self)  # out of the old rows before they go
        for row in self._rows:
            self.box.removeWidget(row)
            row.deleteLater()
        self._rows = []
        shown = self.shown()
        self.placeholder.setVisible(not shown)
        start = 0
        self._plan = self.plan()
        for size in self._plan:
            row = QWidget(self)
            line = QHBoxLayout(row)
            line.setContentsMargins(0, 0, 0, 0)
            line.setSpacing(SPACING)
            for pane in shown[start:start + size]:
                line.addWidget(pane, 1)
                pane.show()
            start += size
            self.box.addWidget(row, 1)
            row.show()
            self._rows.append(row)
        if had_focus and self.focused in shown:  # hiding the panes moved the focus away (to the toolbar)
            self.focused.view.setFocus()

    def set_alone(self, alone: bool) -> None:
        """Show the focused pane alone (large), or every pane again."""
        alone = bool(alone and self.focused is not None)
        if alone != self.alone:
            self.alone = alone
            self._relayout()
            if self.focused is not None:  # keys (1-9, F, Esc) keep acting on the panes
                self.focused.view.setFocus()
            self.alone_changed.emit(alone)

    def _toggle_alone_on(self, pane: ResultPane) -> None:
        self.focus_pane(self.panes.index(pane) + 1)
        self.set_alone(not self.alone)

    # --- panes ---------------------------------------------------------------------------------
    def pane(self, name: str) -> ResultPane | None:
        return next((p for p in self.panes if p.name == name), None)

    def _show_mode(self, name: str, mode: str) -> None:
        pane = self.pane(name)
        if pane is not None:
            pane.show_mode(mode)

    def focus_pane(self, number: int) -> bool:
        """Keys 1-9: highlight pane ``number`` and give it the keyboard focus (shown alone if the
        panes are shown one at a time)."""
        if not 1 <= number <= len(self.panes):
            return False
        target = self.panes[number - 1]
        for pane in self.panes:
            pane.set_focused(pane is target)
        changed, self.focused = self.focused is not target, target
        if self.alone and changed:
            self._relayout()
        target.view.setFocus()
        self.focus_changed.emit(target.name)
        return True

    def set_tool(self, click_tool: bool, strokes: StrokeTarget | None = None) -> None:
        """A click tool (fill bucket, eyedropper), or ``strokes``: where a hint tool's strokes go."""
        self.click_tool, self.strokes = click_tool, strokes
        for pane in self.panes:
            pane.view.set_tool(click_tool, strokes)

    def results(self) -> list[ResultPane]:
        return [p for p in self.panes if p.rgb is not None]

    def mark_outdated(self) -> None:
        for pane in self.panes:
            pane.mark_outdated()

    def clear_results(self, sketch_rgb: np.ndarray | None = None) -> None:
        ghost = ghost_image(sketch_rgb) if sketch_rgb is not None else None
        for pane in self.panes:
            pane.clear(ghost)
