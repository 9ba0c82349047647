"""Result panes: one per selected model, each showing that model's colouring of the sketch through
the shared zoom and pan, with its state (waiting, colouring, done in N ms on CPU/CUDA, failed)."""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QImage, QMouseEvent, QPainter
from PySide6.QtWidgets import QFrame, QGridLayout, QLabel, QProgressBar, QVBoxLayout, QWidget

from .qimage import rgb_to_qimage
from .view import ImageView, SharedView

IDLE, QUEUED, RUNNING, DONE, FAILED, CANCELLED = "idle", "queued", "running", "done", "failed", "cancelled"


class PaneView(ImageView):
    """A result image; the left button pans (there is nothing to draw on here)."""

    def __init__(self, shared: SharedView, parent: QWidget | None = None) -> None:
        super().__init__(shared, parent)
        self._image: QImage | None = None
        self.message = ""
        self.message_is_error = False

    def image(self) -> QImage | None:
        return self._image

    def set_image(self, image: QImage | None) -> None:
        self._image = image
        self.update()

    def set_message(self, text: str, error: bool = False) -> None:
        self.message, self.message_is_error = text, error
        self.update()

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if event.button() == Qt.MouseButton.LeftButton:
            self.setFocus()
            self.start_pan(event.position())
            event.accept()
            return
        super().mousePressEvent(event)

    def paint_overlay(self, painter: QPainter) -> None:
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
    """Header (number, model name, state) above a PaneView."""

    def __init__(self, number: int, name: str, title: str, shared: SharedView, parent: QWidget | None = None):
        super().__init__(parent)
        self.number, self.name, self.title = number, name, title
        self.rgb: np.ndarray | None = None  # the last result, for saving and copying
        self.state = IDLE
        self.detail = ""
        self.setObjectName("ResultPane")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.header = QLabel()
        self.header.setTextFormat(Qt.TextFormat.RichText)
        self.header.setMinimumWidth(60)
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)  # busy indicator: one model run has no finer steps to show
        self.progress.setMaximumHeight(6)
        self.progress.setTextVisible(False)
        self.progress.hide()
        self.view = PaneView(shared)
        self.view.setAccessibleName(f"Result of {title}")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(3, 3, 3, 3)
        layout.setSpacing(2)
        layout.addWidget(self.header)
        layout.addWidget(self.progress)
        layout.addWidget(self.view, 1)
        self.set_state(IDLE, "Press Colour (F5) to colour the sketch with this model")
        self.set_focused(False)

    def _set_header(self, detail: str) -> None:
        key = f"<span style='color:#888'>[{self.number}]</span> " if self.number <= 9 else ""
        detail = f" <span style='color:#666'>— {detail}</span>" if detail else ""
        self.header.setText(f"{key}<b>{self.title}</b>{detail}")
        self.header.setToolTip(self.title)

    def set_state(self, state: str, message: str = "", detail: str = "") -> None:
        self.state, self.detail = state, detail
        self.progress.setVisible(state in (QUEUED, RUNNING))
        self.view.set_message(message, error=(state == FAILED))
        self._set_header(detail)

    def set_result(self, rgb: np.ndarray, detail: str) -> None:
        self.rgb = rgb
        self.view.set_image(rgb_to_qimage(rgb))
        self.set_state(DONE, "", detail)

    def renumber(self, number: int) -> None:
        self.number = number
        self._set_header(self.detail)

    def mark_outdated(self) -> None:
        if self.state == DONE:
            self._set_header("outdated: the sketch changed")

    def set_focused(self, focused: bool) -> None:
        colour = "#3b82f6" if focused else "transparent"
        self.setStyleSheet(f"#ResultPane {{ border: 2px solid {colour}; }}")


class ComparePanes(QWidget):
    """A grid of ResultPanes, one per selected model, in the order of the selection."""

    focus_changed = Signal(str)  # the focused pane's model name

    def __init__(self, shared: SharedView, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.shared = shared
        self.panes: list[ResultPane] = []
        self.focused: ResultPane | None = None
        self.grid = QGridLayout(self)
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.grid.setSpacing(4)
        self.placeholder = QLabel("Tick one or more models on the left to compare their colourings here.")
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setWordWrap(True)
        self.grid.addWidget(self.placeholder, 0, 0)

    def set_models(self, models: list[tuple[str, str]]) -> None:
        """(name, title) per pane. Panes of models still selected keep their results."""
        if [(p.name, p.title) for p in self.panes] == list(models):
            return  # unchanged: no relayout (this runs before every colouring)
        old = {p.name: p for p in self.panes}
        for pane in self.panes:
            self.grid.removeWidget(pane)
        keep = []
        for i, (name, title) in enumerate(models, start=1):
            pane = old.pop(name, None)
            if pane is None:
                pane = ResultPane(i, name, title, self.shared)
            else:
                pane.renumber(i)
            keep.append(pane)
        for pane in old.values():
            self.shared.detach(pane.view)
            pane.setParent(None)
            pane.deleteLater()
        self.panes = keep
        self.placeholder.setVisible(not keep)
        if keep:
            self.grid.removeWidget(self.placeholder)
        cols = 1 if len(keep) <= 1 else 2 if len(keep) <= 4 else math.ceil(math.sqrt(len(keep)))
        for i, pane in enumerate(keep):
            self.grid.addWidget(pane, i // cols, i % cols)
            pane.show()
        if not keep:
            self.grid.addWidget(self.placeholder, 0, 0)
        if self.focused not in keep:
            self.focused = None
            if keep:
                self.focus_pane(1)

    def pane(self, name: str) -> ResultPane | None:
        return next((p for p in self.panes if p.name == name), None)

    def focus_pane(self, number: int) -> bool:
        """Keys 1-9: highlight pane ``number`` and give it the keyboard focus."""
        if not 1 <= number <= len(self.panes):
            return False
        target = self.panes[number - 1]
        for pane in self.panes:
            pane.set_focused(pane is target)
        self.focused = target
        target.view.setFocus()
        self.focus_changed.emit(target.name)
        return True

    def results(self) -> list[ResultPane]:
        return [p for p in self.panes if p.rgb is not None]

    def mark_outdated(self) -> None:
        for pane in self.panes:
            pane.mark_outdated()
