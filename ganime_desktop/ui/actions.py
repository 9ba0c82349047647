"""The window's actions, menus and toolbar, built from one table so menus and shortcuts stay in sync.

Shortcuts are Qt's standard key sequences where one exists (the platform's own: on Windows
Redo is Ctrl+Y, elsewhere Ctrl+Shift+Z); an action may have several, and Redo always takes
both, since artists bring either habit from their painting program."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QActionGroup, QKeySequence, QUndoStack
from PySide6.QtWidgets import QLabel, QMainWindow, QSpinBox, QToolBar

from .modes import mode_combo

StdKey = QKeySequence.StandardKey
Shortcut = QKeySequence.StandardKey | str


@dataclass
class Act:
    key: str
    text: str
    slot: Callable | None = None
    shortcut: Shortcut | list[Shortcut] | None = None
    tip: str = ""
    checkable: bool = False
    short: str = ""  # toolbar text, where the menu text is too long


def key_sequences(shortcut: Shortcut | list[Shortcut]) -> list[QKeySequence]:
    """Every binding of the shortcuts (a standard key may have several), without repeats."""
    out: list[QKeySequence] = []
    for s in shortcut if isinstance(shortcut, list) else [shortcut]:
        for seq in QKeySequence.keyBindings(s) if isinstance(s, QKeySequence.StandardKey) else [QKeySequence(s)]:
            if not seq.isEmpty() and seq not in out:
                out.append(seq)
    return out


def build_actions(window: QMainWindow, specs: list[Act]) -> dict[str, QAction]:
    actions = {}
    for spec in specs:
        action = QAction(spec.text, window)
        if spec.shortcut is not None:
            action.setShortcuts(key_sequences(spec.shortcut))
        tip = spec.tip or spec.text.replace("…", "").replace("&", "")
        if spec.shortcut is not None:
            tip = f"{tip} ({action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)})"
        action.setToolTip(tip)
        action.setStatusTip(tip)
        action.setCheckable(spec.checkable)
        if spec.short:
            action.setIconText(spec.short)
        if spec.slot is not None:
            (action.toggled if spec.checkable else action.triggered).connect(spec.slot)
        actions[spec.key] = action
    return actions


def build_menus(window: QMainWindow, a: dict[str, QAction], menus: dict[str, list[str | None]]) -> None:
    """``menus``: title -> action keys; None is a separator, "menu:Title" a submenu placeholder."""
    bar = window.menuBar()
    for title, keys in menus.items():
        menu = bar.addMenu(title)
        menu.setObjectName(title.replace("&", ""))
        for key in keys:
            if key is None:
                menu.addSeparator()
            else:
                menu.addAction(a[key])


def follow_history(history: QUndoStack, undo: QAction, redo: QAction) -> None:
    """Undo and Redo enabled when there is something to undo or redo, and named after it
    ("Undo fill", "Redo pen stroke"), in the menu and the toolbar's tooltip."""

    def name(action: QAction, verb: str, text: str) -> None:
        what = f" {text[:1].lower()}{text[1:]}" if text else ""
        action.setText(f"&{verb}{what}")
        keys = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
        action.setToolTip(f"{verb}{what} ({keys})" if keys else f"{verb}{what}")
        action.setIconText(verb)

    history.canUndoChanged.connect(undo.setEnabled)
    history.canRedoChanged.connect(redo.setEnabled)
    history.undoTextChanged.connect(lambda text: name(undo, "Undo", text))
    history.redoTextChanged.connect(lambda text: name(redo, "Redo", text))
    undo.setEnabled(history.canUndo())
    redo.setEnabled(history.canRedo())
    name(undo, "Undo", history.undoText())
    name(redo, "Redo", history.redoText())


def exclusive(window: QMainWindow, actions: list[QAction]) -> QActionGroup:
    group = QActionGroup(window)
    group.setExclusive(True)
    for action in actions:
        action.setCheckable(True)
        group.addAction(action)
    return group


class ToolControls:
    """The toolbar: file, tools with their width and opacity, undo, fit, colour mode, colour."""

    def __init__(self, window: QMainWindow, a: dict[str, QAction], tools: list[str]) -> None:
        self.toolbar = QToolBar("Tools", window)
        self.toolbar.setObjectName("ToolsToolbar")
        self.toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.width = QSpinBox()
        self.width.setRange(1, 200)
        self.width.setSuffix(" px")
        self.width.setToolTip("Width of the brush, in sketch pixels")
        self.opacity = QSpinBox()
        self.opacity.setRange(1, 100)
        self.opacity.setSuffix(" %")
        self.mode = mode_combo("Colour mode of every pane (each pane can also switch its own)")
        tb = self.toolbar
        for key in ("open", "save_sketch"):
            tb.addAction(a[key])
        tb.addSeparator()
        for key in tools:
            tb.addAction(a[key])
        tb.addWidget(QLabel(" Width "))
        tb.addWidget(self.width)
        tb.addWidget(QLabel(" Opacity "))
        tb.addWidget(self.opacity)
        tb.addSeparator()
        for key in ("undo", "redo", "clear"):
            tb.addAction(a[key])
        tb.addSeparator()
        tb.addAction(a["fit"])  # zoom: the wheel, the View menu's keys; the status bar shows it
        tb.addSeparator()
        tb.addWidget(QLabel(" Mode "))
        tb.addWidget(self.mode)
        for key in ("colour", "cancel", "auto_recolour"):
            tb.addAction(a[key])
        window.addToolBar(Qt.ToolBarArea.TopToolBarArea, tb)
