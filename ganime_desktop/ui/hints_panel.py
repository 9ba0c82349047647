"""Colour hint tools: the panel (colour, recent colours, brush, eraser, fill bucket, eyedropper,
undo, files, fill settings) and the controller that ties the hint layer (the colouring state's,
state.py) to its files and the colouring. The tools themselves are tools.py's; the panel shows their
buttons. Saving the hints beside the page is files.py's.

Hints live beside the sketch as ``{stem}.hints.png`` (core/hints.py), the file the batch reads:
they are loaded with the sketch and saved on their own (Save, Save hints, or "save changes?"
write only that file when only the hints changed; a saved sketch takes its hints along). "Hints
from previous page" takes the nearest earlier page's hints in the same folder (or, for an unsaved
sketch, the hints of the sketch open before), scaled to a page of another size and refused for a
page of another shape, so a chapter keeps its colours from page to page. The hint brush and
eraser paint from the sketch or from any result pane (compare_panes.py).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, QSize, Qt, Signal
from PySide6.QtGui import QColor, QIcon, QPixmap
from PySide6.QtWidgets import (
    QColorDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ganime_desktop.core.colour_modes import COLOUR_MODES, spoken
from ganime_desktop.core.hint_fill import FillSettings
from ganime_desktop.core.hints import (
    HintFileError,
    HintShapeError,
    hints_for_another_page,
    hints_path_for,
    previous_page_hints,
    read_hints,
)

from .actions import Act, build_actions
from .dialogs import get_open_file, return_focus_after
from .fill_controls import FillControls
from .messages import Messages
from .settings import AppSettings
from .state import ColouringState
from .tools import COLOUR_TOOLS

RECENT_COUNT = 8
SWATCH = 22


def swatch_icon(colour: QColor, size: int = SWATCH) -> QIcon:
    pixmap = QPixmap(size, size)
    pixmap.fill(colour)
    return QIcon(pixmap)


class HintsPanel(QWidget):
    """Shows the hint colour and the recent ones; ``colour_clicked`` asks for the picker,
    ``recent_chosen(QColor)`` reports a click on a recent swatch."""

    colour_clicked = Signal()
    recent_chosen = Signal(QColor)

    def __init__(self, actions: dict, fill: FillSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Colour hints")
        self.fill_controls = FillControls(fill)
        self.colour_button = QToolButton()
        self.colour_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.colour_button.setIconSize(QSize(SWATCH, SWATCH))
        self.colour_button.setToolTip("Choose the hint colour")
        self.colour_button.clicked.connect(self.colour_clicked)
        self.recent_buttons: list[QToolButton] = []
        recent_row = QHBoxLayout()
        recent_row.setSpacing(2)
        for _ in range(RECENT_COUNT):
            button = QToolButton()
            button.setIconSize(QSize(SWATCH - 6, SWATCH - 6))
            button.setAutoRaise(True)
            button.hide()
            button.clicked.connect(lambda _checked=False, b=button: self.recent_chosen.emit(b.property("colour")))
            recent_row.addWidget(button)
            self.recent_buttons.append(button)
        recent_row.addStretch(1)

        def tool(key: str) -> QToolButton:
            button = QToolButton()
            button.setDefaultAction(actions[key])
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
            return button

        grid = QGridLayout()
        grid.setSpacing(3)
        for i, key in enumerate(("hint", "hint_eraser", "show_hints", "fill", "pick", "clear_hints",
                                 "undo", "redo", None, "save_hints", "load_hints", "reuse_hints")):
            if key is None:
                continue
            grid.addWidget(tool(key), i // 3, i % 3)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setStyleSheet("color: #555;")

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(4)
        layout.addWidget(self.colour_button)
        self.recent_label = QLabel("Recent colours")
        layout.addWidget(self.recent_label)
        layout.addLayout(recent_row)
        layout.addLayout(grid)
        layout.addWidget(self.fill_controls)
        layout.addWidget(self.status)
        layout.addStretch(1)

    def set_colour(self, colour: QColor) -> None:
        self.colour_button.setIcon(swatch_icon(colour))
        self.colour_button.setText(f" {colour.name()}  Colour…")

    def set_recent(self, colours: list[QColor]) -> None:
        for button, colour in zip(self.recent_buttons, [*colours, *[None] * RECENT_COUNT], strict=False):
            button.setVisible(colour is not None)
            if colour is not None:
                button.setProperty("colour", QColor(colour))
                button.setIcon(swatch_icon(colour, SWATCH - 6))
                button.setToolTip(f"Hint colour {colour.name()}")
        self.recent_label.setVisible(bool(colours))

    def recent_colours(self) -> list[str]:
        return [b.property("colour").name() for b in self.recent_buttons if not b.isHidden()]


class HintTools(QObject):
    """The hint layer of a window: its actions, panel, files and what the colouring gets.

    ``edited`` fires after every change of the hints (stroke, undo, clear, load, new page);
    ``colour_tool_wanted`` when a new colour is chosen while another kind of tool is in use.
    ``save_beside_page()`` and ``save_sketch_dialog()`` are the window's file actions (files.py).
    """

    edited = Signal()
    colour_tool_wanted = Signal()

    def __init__(self, state: ColouringState, canvas, settings: AppSettings, tool_actions: dict, messages: Messages,
                 save_beside_page: Callable[[], bool], save_sketch_dialog: Callable[[], bool],
                 parent: QWidget) -> None:
        super().__init__(parent)
        self.state, self.canvas, self.settings, self.messages = state, canvas, settings, messages
        self._dialog_parent = parent  # the colour picker's
        self.save_beside_page, self._save_sketch_dialog = save_beside_page, save_sketch_dialog
        self.layer = state.hint_layer  # undone with the sketch's edits: one history
        canvas.set_hint_layer(self.layer)
        self.layer.changed.connect(self.edited)
        self._previous: object = None  # RGBA hints of the sketch open before (for unsaved pages)
        self._dialog: QColorDialog | None = None
        self.actions = build_actions(parent, [
            Act("show_hints", "S&how hints", self.set_visible, "Ctrl+H",
                "Show or hide the hints on the canvas (they guide the colouring either way)", checkable=True,
                short="Show"),
            Act("clear_hints", "&Clear hints", self.layer.clear, None, short="Clear hints"),
            Act("save_hints", "&Save hints", self.save, None,
                "Save the hints beside the sketch as {name}.hints.png", short="Save"),
            Act("load_hints", "&Load hints…", self.load_dialog, None, "Load a hint image (RGBA PNG)",
                short="Load…"),
            Act("reuse_hints", "Hints from &previous page", self.reuse_previous, "Ctrl+Shift+H",
                "Take the hints of the previous page of the chapter (same folder)", short="From previous"),
        ])
        self.panel = HintsPanel({**tool_actions, **self.actions}, state.fill)
        self.panel.fill_controls.changed.connect(state.set_fill)
        self.panel.colour_clicked.connect(self.choose_colour)
        self.panel.recent_chosen.connect(self.set_colour)
        self.recent = [QColor(c) for c in settings.recent_hint_colours()][:RECENT_COUNT]
        if self.recent:
            self.layer.colour = QColor(self.recent[0])
        self.panel.set_colour(self.layer.colour)
        self.panel.set_recent(self.recent)
        self.actions["show_hints"].setChecked(settings.show_hints())
        canvas.set_show_hints(settings.show_hints())
        self.update_models([])

    # --- tools and colour ----------------------------------------------------------------------
    def on_tool(self, tool: str) -> None:
        """The window switched tools: hints one cannot see while painting them help nobody."""
        if tool not in ("pen", "eraser"):
            self.set_visible(True)

    def set_visible(self, on: bool) -> None:
        self.canvas.set_show_hints(on)
        self.actions["show_hints"].setChecked(on)
        self.settings.set_show_hints(on)

    def choose_colour(self) -> QColorDialog:
        """The colour picker, opened with open(): it does not block the event loop, so colourings
        keep running while it is up."""
        if self._dialog is None:
            self._dialog = QColorDialog(self.layer.colour, self._dialog_parent)
            self._dialog.setWindowTitle("Hint colour")
            self._dialog.colorSelected.connect(self.set_colour)
            return_focus_after(self._dialog, self._dialog_parent)
        self._dialog.setCurrentColor(self.layer.colour)
        self._dialog.open()
        return self._dialog

    def set_colour(self, colour: QColor) -> None:
        """Paint (or fill) with ``colour`` from now on; it goes to the front of the recent colours.
        Unless the hint brush or the fill bucket is in use, the one used last is taken up."""
        if not colour.isValid():
            return
        colour = QColor(colour.red(), colour.green(), colour.blue())
        self.layer.colour = colour
        self.recent = [colour, *[c for c in self.recent if c.rgb() != colour.rgb()]][:RECENT_COUNT]
        self.settings.set_recent_hint_colours([c.name() for c in self.recent])
        self.panel.set_colour(colour)
        self.panel.set_recent(self.recent)
        if self.canvas.tool not in COLOUR_TOOLS:
            self.colour_tool_wanted.emit()
        self.canvas.update()

    def update_models(self, hint_models: list[str]) -> None:
        """Say which ticked models follow the hints."""
        filling = "Hints fill their parts at once in " + spoken((m.label for m in COLOUR_MODES if m.uses_regions), "and")
        if hint_models:
            self.panel.status.setText(f"{filling}; " + ", ".join(hint_models) + " also re-run after each hint.")
        else:
            self.panel.status.setText(f"{filling}. No ticked model takes hints (Pix2Pix with hints does).")

    @property
    def fill(self) -> FillSettings:
        """How hints fill: the panel's Gaps and Parts, the state's."""
        return self.state.fill

    # --- pages and files -----------------------------------------------------------------------
    def on_sketch_replaced(self, size, sketch_path: Path | None) -> None:
        """A new page: keep the old hints for "from previous page", load the page's own hints."""
        old = self.layer.hints_or_none()
        if old is not None:
            self._previous = old
        rgba = None
        if sketch_path is not None and hints_path_for(sketch_path).is_file():
            try:
                rgba = read_hints(hints_path_for(sketch_path), page_size=(size.height(), size.width()))
            except HintFileError as exc:
                self.messages.say(f"The page's hints were not loaded: {exc}", 15000)
        self.layer.reset(size, rgba)
        if rgba is not None and rgba.shape[:2] != (size.height(), size.width()):
            self.messages.say(
                f"The page's hints ({hints_path_for(sketch_path).name}, {rgba.shape[1]}x{rgba.shape[0]}) were scaled "
                f"to the page ({size.width()}x{size.height()}).", 15000)

    def save(self) -> Path | None:
        """Hints → Save hints: beside the page; an untitled sketch is saved first (where the user says)."""
        sketch = self.state.sketch.path
        if sketch is None:
            self.messages.say("Save the sketch first: its hints are saved beside it.", 8000)
            if self._save_sketch_dialog():
                return hints_path_for(self.state.sketch.path)
            return None
        return hints_path_for(sketch) if self.save_beside_page() else None

    def _page_size(self) -> tuple[int, int]:
        """(height, width) of the page the hints are for: caps the hint images read for it."""
        return self.layer.image.height(), self.layer.image.width()

    def load_dialog(self) -> None:
        path = get_open_file(self._dialog_parent, "Load colour hints", self.settings.last_dir("open"), "Hint images (*.png)")
        if path:
            self.load_file(path)

    def load_file(self, path: str | Path) -> bool:
        try:
            rgba = read_hints(path, page_size=self._page_size())
        except HintFileError as exc:
            self.messages.alert("Cannot load the hints", str(exc))
            return False
        self.layer.set_rgba(rgba, "Load hints")
        self.messages.say(f"Loaded hints from {path}", 5000)
        return True

    def reuse_previous(self) -> bool:
        """The previous page's hints (same folder, natural order), else the last sketch's; scaled
        to this page when its size differs (and said so), refused when its shape differs much."""
        sketch = self.state.sketch.path
        source = previous_page_hints(sketch) if sketch is not None else None
        if source is not None:
            try:
                rgba, where = read_hints(source, page_size=self._page_size()), source.name
            except HintFileError as exc:
                self.messages.alert("Cannot load the hints", str(exc))
                return False
        elif self._previous is not None:
            rgba, where = self._previous, "the sketch open before"
        else:
            self.messages.say("No earlier page with hints: paint some, save the page, then open the next one.", 8000)
            return False
        size = self.layer.size()
        try:
            rgba, note = hints_for_another_page(rgba, size.height(), size.width())
        except HintShapeError as exc:
            self.messages.alert("Hints not taken", f"The hints of {where} were not taken: {exc}. Paint this "
                                "page's hints, or use Hints → Load hints… to take them anyway.")
            return False
        self.layer.set_rgba(rgba, "Hints from previous page")
        self.messages.say(f"Hints taken from {where}" + (f", {note}" if note else ""), 8000)
        return True
