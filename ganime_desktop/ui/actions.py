"""The window's actions, menus and toolbar, built from one table so menus and shortcuts stay in sync."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QLabel, QMainWindow, QSpinBox, QToolBar

StdKey = QKeySequence.StandardKey


@dataclass
class Act:
    key: str
    text: str
    slot: Callable | None = None
    shortcut: QKeySequence.StandardKey | str | None = None
    tip: str = ""
    checkable: bool = False
    short: str = ""  # toolbar text, where the menu text is too long


def build_actions(window: QMainWindow, specs: list[Act]) -> dict[str, QAction]:
    actions = {}
    for spec in specs:
        action = QAction(spec.text, window)
        if spec.shortcut is not None:
            action.setShortcut(QKeySequence(spec.shortcut))
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


def exclusive(window: QMainWindow, actions: list[QAction]) -> QActionGroup:
    group = QActionGroup(window)
    group.setExclusive(True)
    for action in actions:
        action.setCheckable(True)
        group.addAction(action)
    return group


class ToolControls:
    """The toolbar: file, tools with a width box, zoom, colour."""

    def __init__(self, window: QMainWindow, a: dict[str, QAction]) -> None:
        self.toolbar = QToolBar("Tools", window)
        self.toolbar.setObjectName("ToolsToolbar")
        self.toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.width = QSpinBox()
        self.width.setRange(1, 200)
        self.width.setSuffix(" px")
        self.width.setToolTip("Width of the pen or eraser, in sketch pixels")
        tb = self.toolbar
        for key in ("open", "save_sketch"):
            tb.addAction(a[key])
        tb.addSeparator()
        for key in ("pen", "eraser"):
            tb.addAction(a[key])
        tb.addWidget(QLabel(" Width "))
        tb.addWidget(self.width)
        for key in ("undo", "redo", "clear"):
            tb.addAction(a[key])
        tb.addSeparator()
        for key in ("zoom_in", "zoom_out", "fit"):
            tb.addAction(a[key])
        tb.addSeparator()
        for key in ("colour", "cancel", "auto_recolour"):
            tb.addAction(a[key])
        window.addToolBar(Qt.ToolBarArea.TopToolBarArea, tb)
