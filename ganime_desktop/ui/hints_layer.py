"""The colour hint layer: strokes of colour the artist paints over the sketch for hint models.

A transparent image the size of the sketch, separate from the line art; its edits share the
sketch's undo history (document.py). The hint brush paints opaque colour (no antialiasing: a
pixel is hinted or not, as the hint file format says, core/hints.py); the hint eraser makes
pixels transparent again. The fill bucket sets one pixel (``fill_at``): in the flat and shaded
colour modes a click fills its part of the drawing (core/hint_fill.py), and a Shift+click (alpha
``REGION_ONLY_ALPHA``) its region alone. Such points are too small to see on the canvas, so the
layer lists them (``points``) for the canvas to mark, and so a new fill can take the place of the
old ones where it fills (colour_tools.py).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from PySide6.QtCore import QObject, QRect, QSize, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPen

from ganime_desktop.core.hints import REGION_ONLY_ALPHA, fit_hints, has_hints, is_click, is_region_only
from ganime_desktop.core.regions import ndimage

from .document import EditHistory, PaintLayer, _PatchCommand
from .qimage import blank_layer, qimage_to_rgba, rgba_to_qimage

DEFAULT_HINT_COLOUR = QColor(220, 40, 40)


class HintPoint(NamedTuple):
    x: float  # the speck's centre, in page coordinates
    y: float
    colour: QColor
    rect: QRect  # the pixels it covers
    region_only: bool = False  # a Shift+click: its region alone


class HintLayer(PaintLayer):
    """The hint image (transparent = no hint) with its undo stack; ``colour`` is the brush's."""

    antialias = False

    def __init__(self, parent: QObject | None = None, history: EditHistory | None = None) -> None:
        super().__init__(blank_layer(1, 1), parent, history)
        self.colour = QColor(DEFAULT_HINT_COLOUR)
        self._points: list[HintPoint] | None = None
        self._rgba: np.ndarray | None = None
        for signal in (self.changed, self.replaced, self.region_changed):
            signal.connect(self._forget)

    def _forget(self, *_args) -> None:
        """The image changed: what was derived from it is stale."""
        self._points = self._rgba = None

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
        self._reset_history()
        self.replaced.emit()
        self.changed.emit()

    def set_rgba(self, rgba: np.ndarray, text: str = "Load hints") -> None:
        """Replace the hints by an RGBA layer (scaled to the page if needed), as one undoable step."""
        self.replace_undoably(rgba_to_qimage(self._normalised(rgba)), text)

    def fill_at(self, x: int, y: int, colour: QColor | None = None, replacing: list[HintPoint] = (),
                region_only: bool = False) -> bool:
        """The fill bucket: hint one pixel, removing the fill points ``replacing`` (one undoable
        step); ``region_only``: it fills its region alone (Shift+click). False outside the page."""
        if not self.image.rect().contains(x, y):
            return False
        colour = QColor(colour or self.colour)
        rect = QRect(x, y, 1, 1)
        for point in replacing:
            rect = rect.united(point.rect)
        before = self.image.copy(rect)
        after = QImage(before)
        painter = QPainter(after)
        painter.setCompositionMode(QPainter.CompositionMode.CompositionMode_Clear)
        for point in replacing:
            painter.fillRect(point.rect.translated(-rect.topLeft()), Qt.GlobalColor.transparent)
        painter.end()
        alpha = REGION_ONLY_ALPHA if region_only else 255
        after.setPixelColor(x - rect.x(), y - rect.y(), QColor(colour.red(), colour.green(), colour.blue(), alpha))
        self.undo_stack.push(_PatchCommand(self, "Fill", rect, before, after, False))
        return True

    def points(self) -> list[HintPoint]:
        """Each fill point: a hinted speck of at most CLICK_MAX_PIXELS pixels (core/hints.py)."""
        if self._points is None:
            self._points = []
            rgba = self.to_rgba()
            rows = np.flatnonzero(rgba[:, :, 3].any(axis=1))
            if rows.size == 0:
                return self._points
            cols = np.flatnonzero(rgba[rows[0]:rows[-1] + 1, :, 3].any(axis=0))
            top, left = int(rows[0]), int(cols[0])
            rgba = rgba[top:rows[-1] + 1, left:cols[-1] + 1]  # hints cover little of a page
            hinted = rgba[:, :, 3] > 0
            labels, n = ndimage().label(hinted, structure=np.ones((3, 3), bool))
            if n:
                ys, xs = np.nonzero(hinted)
                owner = labels[ys, xs]
                sizes = np.bincount(owner, minlength=n + 1)
                sum_y, sum_x = (np.bincount(owner, weights=v, minlength=n + 1) for v in (ys, xs))
                _labels, first = np.unique(owner, return_index=True)  # one pixel of each speck: its colour
                boxes = ndimage().find_objects(labels)
                for label in np.flatnonzero(is_click(sizes) & (sizes > 0)):
                    i = first[label - 1]
                    r, g, b = (int(v) for v in rgba[ys[i], xs[i], :3])
                    by, bx = boxes[label - 1]
                    rect = QRect(left + bx.start, top + by.start, bx.stop - bx.start, by.stop - by.start)
                    only = bool(is_region_only(rgba[ys[i], xs[i], 3]))
                    self._points.append(HintPoint(left + sum_x[label] / sizes[label] + 0.5,
                                                  top + sum_y[label] / sizes[label] + 0.5, QColor(r, g, b), rect, only))
        return self._points

    def clear(self) -> None:
        if not self.is_empty():
            self.replace_undoably(blank_layer(self.image.width(), self.image.height()), "Clear hints")

    def _normalised(self, rgba: np.ndarray) -> np.ndarray:
        """Fitted to the page; any alpha > 0 made opaque (as the hint model reads it), but for the
        "region only" alpha of Shift+clicks (core/hints.py)."""
        rgba = fit_hints(rgba, self.image.height(), self.image.width()).copy()
        hinted = rgba[:, :, 3] > 0
        rgba[:, :, 3] = np.where(is_region_only(rgba[:, :, 3]), REGION_ONLY_ALPHA, 255)
        rgba[~hinted] = 0
        return rgba

    def to_rgba(self) -> np.ndarray:
        """The layer as HxWx4 RGBA, read-only: converted once per edit, shared by the colouring,
        the refills and the canvas's fill points."""
        if self._rgba is None:
            self._rgba = qimage_to_rgba(self.image)
            self._rgba.setflags(write=False)
        return self._rgba

    def hints_or_none(self) -> np.ndarray | None:
        """The layer as RGBA for the colouring, or None when nothing is hinted."""
        rgba = self.to_rgba()
        return rgba if has_hints(rgba) else None

    def is_empty(self) -> bool:
        return self.hints_or_none() is None
