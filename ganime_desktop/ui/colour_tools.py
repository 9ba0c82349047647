"""The click tools: the fill bucket and the eyedropper, on the sketch canvas or on any result pane
(the same image coordinates everywhere: the views share one zoom and pan).

- Fill bucket: a click is a one-point hint of the hint colour (hints_layer.py ``fill_at``); in
  the flat and shaded modes every pane fills the clicked region with exactly that colour at
  once (colouring.py), and hint models take it as a hint when they re-run. A new fill takes
  the place of the earlier fill points in the same region (core/regions.py: the regions the
  panes' colourings use, else the sketch's), so filling a region again changes its colour
  instead of splitting it between two colours (hint strokes of two colours in one region still
  split it). A click beside the page does nothing but say so.
- Eyedropper: takes the colour under the click, from a result pane's colouring, or on the
  canvas from the hint there (else the sketch's own pixel), makes it the hint colour, and goes
  back to the colour tool used before (the hint brush or the fill bucket).
"""

from __future__ import annotations

import math

from PySide6.QtCore import QObject, QPointF
from PySide6.QtGui import QColor

from ganime_desktop.core.preprocess import to_gray
from ganime_desktop.core.regions import segment

from .tools import FILL, PICK


class ColourTools(QObject):
    def __init__(self, window, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.window = window
        self._regions = None  # of the sketch as it is, for the fill bucket
        window.canvas.clicked.connect(lambda pos: self.click(None, pos))
        window.compare.pane_clicked.connect(self.click)
        window.document.changed.connect(self._forget_regions)
        window.document.replaced.connect(self._forget_regions)

    def _forget_regions(self) -> None:
        self._regions = None

    def regions(self):
        """The regions the panes show (their colourings computed them already), else the sketch's."""
        size = self.window.document.size()
        shown = next((p.page.regions for p in self.window.compare.panes if p.page is not None
                      and p.page.shape == (size.height(), size.width())), None)
        if shown is not None:
            return shown
        if self._regions is None:
            self._regions = segment(to_gray(self.window.document.to_rgb()))
        return self._regions

    def click(self, pane_name: str | None, pos: QPointF) -> None:
        x, y = math.floor(pos.x()), math.floor(pos.y())
        tool = self.window.toolbox.tool
        if tool == FILL:
            self.fill(x, y)
        elif tool == PICK:
            self.pick(pane_name, x, y)

    def fill(self, x: int, y: int) -> bool:
        layer = self.window.hint_tools.layer
        if not layer.image.rect().contains(x, y):
            self.window.statusBar().showMessage("Click inside the page to fill a region.", 4000)
            return False
        regions = self.regions()
        label = regions.label_at(x, y)
        old = [p for p in layer.points() if regions.label_at(int(p.x), int(p.y)) == label]
        return layer.fill_at(x, y, replacing=old)

    def colour_at(self, pane_name: str | None, x: int, y: int) -> QColor | None:
        """The colour a click at page pixel (x, y) picks, or None beside the page."""
        if pane_name is not None:
            pane = self.window.compare.pane(pane_name)
            rgb = None if pane is None else pane.rgb
            if rgb is None or not (0 <= y < rgb.shape[0] and 0 <= x < rgb.shape[1]):
                return None
            return QColor(*(int(v) for v in rgb[y, x]))
        layer, sketch = self.window.hint_tools.layer.image, self.window.document.image
        if not sketch.rect().contains(x, y):
            return None
        hint = layer.pixelColor(x, y) if layer.rect().contains(x, y) else QColor(0, 0, 0, 0)
        return QColor(hint.rgb()) if hint.alpha() > 0 else QColor(sketch.pixelColor(x, y).rgb())

    def pick(self, pane_name: str | None, x: int, y: int) -> QColor | None:
        colour = self.colour_at(pane_name, x, y)
        if colour is None:
            self.window.statusBar().showMessage("Click inside the page to pick a colour.", 4000)
            return None
        self.window.hint_tools.set_colour(colour)  # back to the hint brush or the fill bucket
        where = "the sketch" if pane_name is None else self.window.compare.pane(pane_name).title
        self.window.statusBar().showMessage(f"Picked {colour.name()} from {where}", 4000)
        return colour
