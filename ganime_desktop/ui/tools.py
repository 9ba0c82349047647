"""The drawing tools and their shared plumbing.

One table (``TOOLS``) says what each tool is: which layer a stroke paints (the line art or the
colour hints), whether it erases, whether a click does the job instead of a stroke (fill bucket,
eyedropper), and which options it has. ``ToolBox`` selects tools for the window: it checks the
tool's action, tells the canvas and the result panes, keeps each tool's width and opacity
(remembered in the settings) and drives the toolbar's Width and Opacity boxes. Strokes are
painted by the canvas (canvas.py); clicks are handled by colour_tools.py.

Shortcuts follow the painting programs artists know: P pen, E eraser, B brush, G fill bucket
(Photoshop, Clip Studio), I eyedropper (Photoshop, Clip Studio, Paint.NET).
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QSpinBox

from .actions import Act

PEN, ERASER = "pen", "eraser"
HINT, HINT_ERASER = "hint", "hint_eraser"
FILL, PICK = "fill", "pick"
SKETCH_LAYER, HINT_LAYER = "sketch", "hints"


@dataclass(frozen=True)
class ToolSpec:
    key: str
    text: str
    shortcut: str
    tip: str
    short: str
    layer: str | None = SKETCH_LAYER  # what a stroke paints; None: a click tool
    erase: bool = False
    width: float = 0.0  # default width in sketch pixels; 0: the tool has none
    opacity: bool = False  # the tool has an opacity

    @property
    def is_click(self) -> bool:
        return self.layer is None


TOOLS: dict[str, ToolSpec] = {t.key: t for t in (
    ToolSpec(PEN, "&Pen", "P", "Draw line art", "Pen", SKETCH_LAYER, width=3.0, opacity=True),
    ToolSpec(ERASER, "&Eraser", "E", "Erase line art", "Eraser", SKETCH_LAYER, erase=True, width=24.0, opacity=True),
    ToolSpec(HINT, "Hint &brush", "B", "Paint colour hints: strokes of the colour a region should get",
             "Hint brush", HINT_LAYER, width=12.0),
    ToolSpec(HINT_ERASER, "Hint e&raser", "Shift+B", "Erase colour hints (the line art is not touched)",
             "Hint eraser", HINT_LAYER, erase=True, width=24.0),
    ToolSpec(FILL, "&Fill bucket", "G", "Fill a region with the hint colour: click it on the sketch or on a result",
             "Fill", None),
    ToolSpec(PICK, "Eye&dropper", "I", "Pick the hint colour: click the sketch or a result", "Pick", None),
)}
COLOUR_TOOLS = (HINT, FILL)  # the tools the eyedropper hands the colour back to


def tool_acts(select) -> list[Act]:
    """The tools' actions for actions.build_actions; ``select(key)`` switches tools."""
    return [Act(t.key, t.text, lambda _checked=False, k=t.key: select(k), t.shortcut, t.tip, short=t.short)
            for t in TOOLS.values()]


class ToolBox(QObject):
    """The current tool and every tool's options. ``tool_changed(key)`` after a switch."""

    tool_changed = Signal(str)

    def __init__(self, canvas, compare, settings, actions: dict[str, QAction], width: QSpinBox,
                 opacity: QSpinBox, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.canvas, self.compare, self.settings, self.actions = canvas, compare, settings, actions
        self.width, self.opacity = width, opacity
        self.last_colour_tool = HINT  # where the eyedropper returns
        for key, spec in TOOLS.items():
            if spec.width:
                canvas.set_width(key, settings.tool_width(key, spec.width))
            if spec.opacity:
                canvas.opacities[key] = settings.tool_opacity(key)
        width.valueChanged.connect(self._on_width)
        opacity.valueChanged.connect(self._on_opacity)
        self.select(PEN)

    @property
    def tool(self) -> str:
        return self.canvas.tool

    def select(self, key: str) -> None:
        spec = TOOLS[key]
        if key in COLOUR_TOOLS:
            self.last_colour_tool = key
        self.canvas.set_tool(key)
        self.compare.set_tool(spec.is_click, self.canvas if self.canvas.paints_on_panes() else None)
        self.actions[key].setChecked(True)
        for box, value, enabled in ((self.width, self.canvas.width_for_tool, bool(spec.width)),
                                    (self.opacity, self.canvas.opacities.get(key, 1.0) * 100, spec.opacity)):
            box.blockSignals(True)
            box.setValue(round(value))
            box.setEnabled(enabled)
            box.blockSignals(False)
        self.opacity.setToolTip("Opacity of the pen or eraser" if spec.opacity else
                                "Hints are exact colours: the hint tools have no opacity")
        self.tool_changed.emit(key)

    def _on_width(self, value: int) -> None:
        if TOOLS[self.tool].width:
            self.canvas.set_tool_width(value)
            self.settings.set_tool_width(self.tool, value)

    def _on_opacity(self, percent: int) -> None:
        if TOOLS[self.tool].opacity:
            self.canvas.opacities[self.tool] = percent / 100.0
            self.settings.set_tool_opacity(self.tool, percent / 100.0)

    def save(self) -> None:
        for key, spec in TOOLS.items():
            if spec.width:
                self.settings.set_tool_width(key, self.canvas.width_of(key))
