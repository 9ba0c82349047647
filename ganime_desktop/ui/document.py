"""The sketch being edited: a QImage of black line art on white, with a QUndoStack.

One pen or eraser stroke is one undo step. A stroke is painted live while the mouse moves; when
it ends, only the rectangle it touched is kept (before and after), so undo memory grows with the
strokes, not with the page size. A stroke with an opacity below 1 is painted opaque into a mask
and the mask laid over the image as it was before the stroke, so the stroke does not darken
where it crosses itself (as a brush's opacity works in painting programs). ``PaintLayer`` is
that mechanism; the sketch and the colour hint layer (hints_layer.py) are both PaintLayers.

They share one undo history (``EditHistory``, the window's): Ctrl+Z undoes the last edit
whatever it was, a pen stroke or a fill, as in every painting program. Each layer still knows
whether it changed since it was saved (``is_clean``): the sketch and its hints are saved apart.
"""

from __future__ import annotations

import itertools
import os
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, QPointF, QRect, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPen, QUndoCommand, QUndoStack

from ganime_desktop.core.imageio import read_image, write_image_atomic

from .qimage import blank_layer, blank_sketch, qimage_to_rgb, rgb_to_qimage

INK = QColor(0, 0, 0)
PAPER = QColor(255, 255, 255)
DEFAULT_SIZE = (768, 1024)  # width, height of "New sketch"


class EditHistory(QUndoStack):
    """The window's one undo history for every layer; ``cleared`` when a new page drops it."""

    cleared = Signal()

    def clear(self) -> None:
        super().clear()
        self.cleared.emit()


_command_ids = itertools.count(1)


class _PatchCommand(QUndoCommand):
    """Swap a rectangle of a layer between two saved states."""

    def __init__(self, doc: PaintLayer, text: str, rect: QRect, before: QImage, after: QImage,
                 already_applied: bool) -> None:
        super().__init__(text)
        self._doc, self._rect, self._before, self._after = doc, rect, before, after
        self._skip_first_redo = already_applied
        self.id_ = next(_command_ids)

    def _paste(self, patch: QImage) -> None:
        painter = QPainter(self._doc.image)
        painter.setCompositionMode(QPainter.CompositionMode.CompositionMode_Source)
        painter.drawImage(self._rect.topLeft(), patch)
        painter.end()
        self._doc.region_changed.emit(self._rect)
        self._doc.changed.emit()

    def redo(self) -> None:
        self._doc._applied(self.id_, True)
        if self._skip_first_redo:  # the stroke was painted live already
            self._skip_first_redo = False
            self._doc.changed.emit()
            return
        self._paste(self._after)

    def undo(self) -> None:
        self._doc._applied(self.id_, False)
        self._paste(self._before)


class PaintLayer(QObject):
    """An image painted with strokes, each stroke one step on the layer's own undo stack.

    Signals: ``changed`` after every finished edit (stroke, undo, redo, clear, load): this is
    what triggers recolouring; ``region_changed(QRect)`` for repaints during a stroke;
    ``replaced`` when a new image (possibly of another size) takes the place of the old one.
    Subclasses say how a stroke paints (``_stroke_pen``, ``_stroke_mode``, ``antialias``).
    """

    changed = Signal()
    region_changed = Signal(QRect)
    replaced = Signal()
    clean_changed = Signal(bool)
    antialias = True

    def __init__(self, image: QImage, parent: QObject | None = None, history: EditHistory | None = None) -> None:
        super().__init__(parent)
        self.image = image
        self.undo_stack = history if history is not None else EditHistory(self)
        self.undo_stack.cleared.connect(self._on_history_cleared)
        self._stroke: dict | None = None
        self._edits: list[int] = []  # the ids of this layer's edits in effect, oldest first
        self._saved: int | None = 0  # the last of them when saved (0: none; None: lost with the history)

    # --- changed since saved -------------------------------------------------------------------
    def _state(self) -> int:
        return self._edits[-1] if self._edits else 0

    def is_clean(self) -> bool:
        """No edit since the layer was loaded or saved (undoing back to that point counts as none)."""
        return self._state() == self._saved

    def set_clean(self) -> None:
        was = self.is_clean()
        self._saved = self._state()
        if not was:
            self.clean_changed.emit(True)

    def _applied(self, command_id: int, done: bool) -> None:
        was = self.is_clean()
        if done:
            self._edits.append(command_id)
        elif self._edits and self._edits[-1] == command_id:
            self._edits.pop()
        if self.is_clean() != was:
            self.clean_changed.emit(not was)

    def _on_history_cleared(self) -> None:
        """A new page dropped the history: what is unsaved stays unsaved, but cannot be undone."""
        clean = self.is_clean()
        self._edits = []
        self._saved = 0 if clean else None

    def _reset_history(self) -> None:
        """A new image in this layer: no history, nothing unsaved."""
        was = self.is_clean()
        self.undo_stack.clear()
        self._edits, self._saved = [], 0
        if not was:
            self.clean_changed.emit(True)

    def _stroke_pen(self, width: float, erase: bool) -> QPen:
        raise NotImplementedError

    def _stroke_mode(self, erase: bool) -> QPainter.CompositionMode:
        return QPainter.CompositionMode.CompositionMode_SourceOver

    def _stroke_text(self, erase: bool) -> str:
        return "Erase" if erase else "Pen stroke"

    def size(self):
        return self.image.size()

    # --- strokes -------------------------------------------------------------------------------
    def begin_stroke(self, pos: QPointF, width: float, erase: bool, opacity: float = 1.0) -> QRect:
        self._stroke = {
            "before": self.image.copy(),  # cropped to the touched rect when the stroke ends
            "pen": self._stroke_pen(width, erase),
            "last": pos,
            "bounds": QRectF(pos, pos),
            "erase": erase,
            "opacity": opacity,
            "mask": blank_layer(self.image.width(), self.image.height()) if opacity < 1.0 else None,
        }
        return self._paint_segment(pos, pos)

    def extend_stroke(self, pos: QPointF) -> QRect:
        if self._stroke is None:
            return QRect()
        rect = self._paint_segment(self._stroke["last"], pos)
        self._stroke["last"] = pos
        return rect

    def end_stroke(self) -> None:
        stroke, self._stroke = self._stroke, None
        if stroke is None:
            return
        rect = self._touched(stroke["bounds"], stroke["pen"].widthF())
        if rect.isEmpty():
            return
        before = stroke["before"].copy(rect)
        after = self.image.copy(rect)
        self.undo_stack.push(_PatchCommand(self, self._stroke_text(stroke["erase"]), rect, before, after, True))

    def in_stroke(self) -> bool:
        return self._stroke is not None

    def _paint_segment(self, a: QPointF, b: QPointF) -> QRect:
        stroke = self._stroke
        mask = stroke["mask"]
        painter = QPainter(self.image if mask is None else mask)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, self.antialias)
        painter.setCompositionMode(self._stroke_mode(stroke["erase"]) if mask is None
                                   else QPainter.CompositionMode.CompositionMode_SourceOver)
        painter.setPen(stroke["pen"])
        if a == b:
            painter.drawPoint(a)
        else:
            painter.drawLine(a, b)
        painter.end()
        seg = QRectF(a, b).normalized()
        stroke["bounds"] = stroke["bounds"].united(seg)
        rect = self._touched(seg, stroke["pen"].widthF())
        if mask is not None:  # the image under the segment = before the stroke, the mask over it
            painter = QPainter(self.image)
            painter.setCompositionMode(QPainter.CompositionMode.CompositionMode_Source)
            painter.drawImage(rect.topLeft(), stroke["before"], rect)
            painter.setCompositionMode(QPainter.CompositionMode.CompositionMode_SourceOver)
            painter.setOpacity(stroke["opacity"])
            painter.drawImage(rect.topLeft(), mask, rect)
            painter.end()
        self.region_changed.emit(rect)
        return rect

    def _touched(self, bounds: QRectF, width: float) -> QRect:
        margin = width / 2.0 + 2.0  # antialiasing spills a pixel past the pen's edge
        rect = bounds.adjusted(-margin, -margin, margin, margin).toAlignedRect()
        return rect.intersected(self.image.rect())

    def replace_undoably(self, image: QImage, text: str) -> None:
        """Swap the whole image for another of the same size, as one undoable step."""
        before = self.image.copy()
        painter = QPainter(self.image)
        painter.setCompositionMode(QPainter.CompositionMode.CompositionMode_Source)
        painter.drawImage(0, 0, image)
        painter.end()
        self.undo_stack.push(_PatchCommand(self, text, self.image.rect(), before, self.image.copy(), True))
        self.region_changed.emit(self.image.rect())


class SketchDocument(PaintLayer):
    """Holds the sketch image, its file path and its edits (signals: see PaintLayer)."""

    def __init__(self, parent: QObject | None = None, history: EditHistory | None = None) -> None:
        super().__init__(blank_sketch(*DEFAULT_SIZE), parent, history)
        self.path: Path | None = None
        self.untitled_name = ""  # what an untitled sketch is called, e.g. the sample it came from

    @property
    def display_name(self) -> str:
        """The name the window's title shows."""
        return self.path.name if self.path else (self.untitled_name or "Untitled sketch")

    def untitle(self, name: str) -> None:
        """Keep the image but forget its file, so Save asks where (a sample is a starting point,
        not a file to overwrite); ``name`` is what the title calls it meanwhile."""
        self.path, self.untitled_name = None, name

    def _stroke_pen(self, width: float, erase: bool) -> QPen:
        return QPen(PAPER if erase else INK, width, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap,
                    Qt.PenJoinStyle.RoundJoin)

    # --- whole-image operations ----------------------------------------------------------------
    def new_blank(self, width: int = DEFAULT_SIZE[0], height: int = DEFAULT_SIZE[1]) -> None:
        self._replace(blank_sketch(width, height), None)

    def load(self, path: str | os.PathLike) -> None:
        """Open any image the core can read; raises core.imageio.ImageReadError with the reason."""
        rgb = read_image(path)
        self._replace(rgb_to_qimage(rgb), Path(path))

    def set_rgb(self, rgb: np.ndarray, path: Path | None = None) -> None:
        self._replace(rgb_to_qimage(rgb), path)

    def _replace(self, image: QImage, path: Path | None) -> None:
        self._stroke = None
        self.image = image
        self.path, self.untitled_name = path, ""
        self.undo_stack.clear()
        self.undo_stack.setClean()
        self.replaced.emit()
        self.changed.emit()

    def save(self, path: str | os.PathLike) -> Path:
        """Write the sketch (format from the suffix) atomically; raises ImageWriteError."""
        written = write_image_atomic(path, self.to_rgb())
        self.path, self.untitled_name = written, ""
        self.undo_stack.setClean()
        return written

    def to_rgb(self) -> np.ndarray:
        return qimage_to_rgb(self.image)

    def clear(self) -> None:
        """Blank the page, as one undoable step."""
        self.replace_undoably(blank_sketch(self.image.width(), self.image.height()), "Clear")
