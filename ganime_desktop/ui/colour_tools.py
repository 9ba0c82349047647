"""The click tools: the fill bucket and the eyedropper, on the sketch canvas or on any result pane
(the same image coordinates everywhere: the views share one zoom and pan).

- Fill bucket: a click is a one-point hint of the hint colour (hints_layer.py ``fill_at``); in
  the flat and shaded modes every pane fills at once what the click reaches (core/hint_fill.py:
  the clicked region's part, a pocket of the paper the gaps close off, or the paper), with no
  model run (hint models re-run a moment later); Shift+click fills the clicked region alone. A
  new fill takes the place of the earlier fill points that reached the same thing (in a part, the
  same region of it), so filling again changes the colour instead of splitting it between two;
  clicks of two colours in two regions of one part colour each its region, and the part's other
  regions take the nearest one's colour. While the bucket hovers, every view outlines what a click
  there would fill (the pane under the mouse's colouring decides; on the sketch, the focused
  pane's). A click beside the page does nothing but say so.
- Eyedropper: takes the colour under the click, from a result pane's colouring, or on the
  canvas from the hint there (else the sketch's own pixel), makes it the hint colour, and goes
  back to the colour tool used before (the hint brush or the fill bucket): ``picked(QColor)``.

The page, its hint layer and the fill settings are the colouring state's (state.py); the views
and panes are given, not looked up in the window.
"""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QObject, QPointF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QApplication

from ganime_desktop.core.colour import gray_to_rgb
from ganime_desktop.core.colour_modes import PageColouring
from ganime_desktop.core.preprocess import to_gray

from .canvas import SketchCanvas
from .compare_panes import ComparePanes
from .messages import Messages
from .qimage import rgba_to_qimage
from .state import ColouringState
from .tools import FILL, PICK, ToolBox
from .view import SharedView

PREVIEW_DELAY_MS = 15  # mouse moves within this coalesce into one preview
PREVIEW_FILL_ALPHA = 70  # the previewed area's tint; its edge is drawn opaque
DASH = 4  # px of each black and white dash of the outline


def shift_held() -> bool:
    return bool(QApplication.keyboardModifiers() & Qt.KeyboardModifier.ShiftModifier)


def outline_image(mask: np.ndarray, colour: QColor) -> QImage:
    """A bool mask as a light tint of ``colour`` with its edge (mask pixels with a 4-neighbour
    outside it) dashed black and white, like a selection: visible on any colour."""
    edge = mask.copy()
    inner = mask[1:-1, 1:-1] & mask[:-2, 1:-1] & mask[2:, 1:-1] & mask[1:-1, :-2] & mask[1:-1, 2:]
    edge[1:-1, 1:-1] &= ~inner
    rgba = np.zeros((*mask.shape, 4), np.uint8)
    rgba[mask, :3] = (colour.red(), colour.green(), colour.blue())
    rgba[mask, 3] = PREVIEW_FILL_ALPHA
    ys, xs = np.nonzero(edge)
    dark = ((ys + xs) // DASH) % 2 == 0
    rgba[ys, xs, :3] = np.where(dark[:, None], 0, 255).astype(np.uint8)
    rgba[ys, xs, 3] = 255
    return rgba_to_qimage(rgba)


class ColourTools(QObject):
    picked = Signal(QColor)  # the eyedropper's colour: the hint colour from now on

    def __init__(self, state: ColouringState, canvas: SketchCanvas, compare: ComparePanes, shared_view: SharedView,
                 toolbox: ToolBox, messages: Messages, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.state, self.compare, self.shared_view, self.toolbox = state, compare, shared_view, toolbox
        self.messages = messages
        self._sketch_page: PageColouring | None = None  # the sketch alone, before any colouring
        self._hover: tuple[str | None, QPointF] | None = None
        self._preview_key: tuple | None = None
        self._preview_timer = QTimer(self)
        self._preview_timer.setSingleShot(True)
        self._preview_timer.setInterval(PREVIEW_DELAY_MS)
        self._preview_timer.timeout.connect(self._show_preview)
        canvas.clicked.connect(lambda pos: self.click(None, pos))
        compare.pane_clicked.connect(self.click)
        state.sketch.changed.connect(self._forget_sketch)
        state.sketch.replaced.connect(self._forget_sketch)
        shared_view.hovered.connect(self._on_hover)
        state.fill_changed.connect(lambda _fill: self.clear_preview())
        state.hints_changed.connect(lambda _version: self.clear_preview())
        toolbox.tool_changed.connect(lambda _tool: self.clear_preview())

    def _forget_sketch(self) -> None:
        self._sketch_page = None
        self.clear_preview()

    # --- what a click reaches ------------------------------------------------------------------
    def page(self, pane_name: str | None = None) -> PageColouring:
        """The colouring whose parts and paper a click on ``pane_name`` reaches (on the sketch:
        the focused pane's, else any pane's); before any colouring, the sketch's own regions."""
        size = self.state.sketch.size()
        shape = (size.height(), size.width())
        panes = self.compare.panes
        pane = self.compare.pane(pane_name) if pane_name else self.compare.focused
        for p in ([pane] if pane is not None else []) + list(panes):
            if p is not None and p.page is not None and p.page.shape == shape:
                return p.page
        if self._sketch_page is None:
            gray = to_gray(self.state.sketch.to_rgb())
            self._sketch_page = PageColouring(gray, gray_to_rgb(gray))
        return self._sketch_page

    def regions(self):
        """The regions the panes show (their colourings computed them already), else the sketch's."""
        return self.page().regions

    def _target(self, page: PageColouring, x: int, y: int, region_only: bool) -> tuple | None:
        fill = self.state.fill
        return page.fill_targets(fill.part_tolerance).target_at(x, y, fill, region_only=region_only)

    # --- clicks --------------------------------------------------------------------------------
    def click(self, pane_name: str | None, pos: QPointF) -> None:
        x, y = math.floor(pos.x()), math.floor(pos.y())
        tool = self.toolbox.tool
        if tool == FILL:
            self.fill(x, y, region_only=shift_held(), pane_name=pane_name)
        elif tool == PICK:
            self.pick(pane_name, x, y)

    def fill(self, x: int, y: int, region_only: bool = False, pane_name: str | None = None) -> bool:
        layer = self.state.hint_layer
        if not layer.image.rect().contains(x, y):
            self.messages.say("Click inside the page to fill a region.", 4000)
            return False
        page = self.page(pane_name)
        key = self._target(page, x, y, region_only)
        region = page.regions.label_at(x, y)
        # The fill points this click replaces: those that reached the same thing. In a part, only
        # those in the same region: two clicks of two colours in one part (hair and a face the
        # network coloured alike) keep both, each region its colour.
        old = [p for p in layer.points()
               if self._target(page, int(p.x), int(p.y), p.region_only) == key
               and (key[0] != "part" or page.regions.label_at(int(p.x), int(p.y)) == region)]
        return layer.fill_at(x, y, replacing=old, region_only=region_only)

    # --- the preview ---------------------------------------------------------------------------
    def _on_hover(self, view, pos: QPointF | None) -> None:
        if self.toolbox.tool != FILL or pos is None:
            self._hover = None
            if pos is None or self.toolbox.tool != FILL:
                self.clear_preview()
            return
        pane = next((p.name for p in self.compare.panes if p.view is view), None)
        self._hover = (pane, pos)
        self._preview_timer.start()

    def _show_preview(self) -> None:
        if self._hover is None:
            return
        pane_name, pos = self._hover
        self.preview_at(pane_name, math.floor(pos.x()), math.floor(pos.y()), shift_held())

    def preview_at(self, pane_name: str | None, x: int, y: int, region_only: bool = False) -> np.ndarray | None:
        """Outline in every view what a click at page pixel (x, y) would fill; returns the mask
        (at the regions' working scale), None beside the page."""
        page = self.page(pane_name)
        h, w = page.shape
        if not (0 <= x < w and 0 <= y < h):
            self.clear_preview()
            return None
        key = (id(page), self._target(page, x, y, region_only))
        mask = page.reach(x, y, self.state.fill, region_only=region_only)
        if key != self._preview_key or key[1][0] == "wash":  # a wash follows the mouse
            self._preview_key = key
            self.shared_view.set_overlay(outline_image(mask, self.state.hint_layer.colour), page.regions.scale)
        return mask

    def clear_preview(self) -> None:
        self._preview_key = None
        self.shared_view.set_overlay(None)

    # --- the eyedropper ------------------------------------------------------------------------
    def colour_at(self, pane_name: str | None, x: int, y: int) -> QColor | None:
        """The colour a click at page pixel (x, y) picks, or None beside the page."""
        if pane_name is not None:
            pane = self.compare.pane(pane_name)
            rgb = None if pane is None else pane.rgb
            if rgb is None or not (0 <= y < rgb.shape[0] and 0 <= x < rgb.shape[1]):
                return None
            return QColor(*(int(v) for v in rgb[y, x]))
        layer, sketch = self.state.hint_layer.image, self.state.sketch.image
        if not sketch.rect().contains(x, y):
            return None
        hint = layer.pixelColor(x, y) if layer.rect().contains(x, y) else QColor(0, 0, 0, 0)
        return QColor(hint.rgb()) if hint.alpha() > 0 else QColor(sketch.pixelColor(x, y).rgb())

    def pick(self, pane_name: str | None, x: int, y: int) -> QColor | None:
        colour = self.colour_at(pane_name, x, y)
        if colour is None:
            self.messages.say("Click inside the page to pick a colour.", 4000)
            return None
        self.picked.emit(colour)  # the hint colour, and back to the hint brush or the fill bucket
        where = "the sketch" if pane_name is None else self.compare.pane(pane_name).title
        self.messages.say(f"Picked {colour.name()} from {where}", 4000)
        return colour
