"""The colour hint layer: strokes of colour the artist paints over the sketch for hint models.

A transparent image the size of the sketch, separate from the line art and with its own undo
stack. The hint brush paints opaque colour (no antialiasing: a pixel is hinted or not, as the
hint file format says, core/hints.py); the hint eraser makes pixels transparent again.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QObject, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPen

from ganime_desktop.core.hints import fit_hints, has_hints

from .document import PaintLayer
from .qimage import blank_layer, qimage_to_rgba, rgba_to_qimage

DEFAULT_HINT_COLOUR = QColor(220, 40, 40)


class HintLayer(PaintLayer):
    """The hint image (transparent = no hint) with its undo stack; ``colour`` is the brush's."""

    antialias = False

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(blank_layer(1, 1), parent)
        self.colour = QColor(DEFAULT_HINT_COLOUR)

    def _stroke_pen(self, width: float, erase: bool) -> QPen:
        colour = QColor(0, 0, 0, 0) if erase else QColor(self.colour.red(), self.colour.green(), self.colour.blue())
        return QPen(colour, width, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap, Qt.PenJoinStyle.RoundJoin)

    def _stroke_mode(self, erase: bool) -> QPainter.CompositionMode:
        # Source: a new colour replaces the old one (no blending); Clear: back to transparent.
        return QPainter.CompositionMode.CompositionMode_Clear if erase else QPainter.CompositionMode.CompositionMode_Source

    def _stroke_text(self, erase: bool) -> str:
        return "Erase hints" if erase else "Hint stroke"

    # --- whole-layer operations ----------------------------------------------------------------
    def reset(self, size: QSize, rgba: np.ndarray | None = None) -> None:
        """A new page: an empty layer of its size (or ``rgba``, fitted to it), undo history cleared."""
        self._stroke = None
        self.image = blank_layer(size.width(), size.height())
        if rgba is not None and has_hints(rgba):
            self.image = rgba_to_qimage(self._normalised(rgba))
        self.undo_stack.clear()
        self.undo_stack.setClean()
        self.replaced.emit()
        self.changed.emit()

    def set_rgba(self, rgba: np.ndarray, text: str = "Load hints") -> None:
        """Replace the hints by an RGBA layer (scaled to the page if needed), as one undoable step."""
        self.replace_undoably(rgba_to_qimage(self._normalised(rgba)), text)

    def clear(self) -> None:
        if not self.is_empty():
            self.replace_undoably(blank_layer(self.image.width(), self.image.height()), "Clear hints")

    def _normalised(self, rgba: np.ndarray) -> np.ndarray:
        """Fitted to the page; any alpha > 0 made opaque, as the hint model reads it."""
        rgba = fit_hints(rgba, self.image.height(), self.image.width()).copy()
        hinted = rgba[:, :, 3] > 0
        rgba[hinted, 3] = 255
        rgba[~hinted] = 0
        return rgba

    def to_rgba(self) -> np.ndarray:
        return qimage_to_rgba(self.image)

    def hints_or_none(self) -> np.ndarray | None:
        """The layer as RGBA for the colouring, or None when nothing is hinted."""
        rgba = self.to_rgba()
        return rgba if has_hints(rgba) else None

    def is_empty(self) -> bool:
        return self.hints_or_none() is None
