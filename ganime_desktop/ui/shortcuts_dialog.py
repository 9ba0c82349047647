"""Help → Keyboard shortcuts: every key of the window, read from its menus' actions and its other
shortcuts (keys 1-9) when the dialog opens, so the list cannot go stale; a search box filters it
by action, key or menu. The keys and mouse gestures that are no action (Esc out of the one-pane
view, pan, zoom) close the list."""

from __future__ import annotations

from typing import NamedTuple

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLineEdit,
    QMainWindow,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

EXTRAS = (  # what no action does: main_window.py's Esc, the views' mouse (view.py, compare_panes.py)
    ("Show every pane again (from one pane alone)", "Esc", "View"),
    ("Zoom", "Wheel", "Mouse"),
    ("Pan", "Middle button drag, or Space + drag", "Mouse"),
    ("Show a result pane alone, or all again", "Double-click the pane", "Mouse"),
    ("Paint hints on a result pane", "Drag with the hint brush or hint eraser", "Mouse"),
)


class ShortcutRow(NamedTuple):
    action: str
    keys: str
    where: str

    def matches(self, needle: str) -> bool:
        needle = needle.strip().lower()
        return not needle or any(needle in part.lower() for part in self)


def _on_a_keyboard(sequence: QKeySequence) -> bool:
    """Leaves out the dedicated keys some standard shortcuts also bind (Help, Open, Copy, Zoom In
    media keys: Qt's key codes from Key_Help on), which no artist's keyboard has."""
    return not sequence.isEmpty() and sequence[0].key().value < Qt.Key.Key_Help.value


def _keys_text(sequences: list[QKeySequence]) -> str:
    return ", ".join(s.toString(QKeySequence.SequenceFormat.NativeText) for s in sequences if _on_a_keyboard(s))


def shortcut_rows(window: QMainWindow) -> list[ShortcutRow]:
    """The menus' actions that have keys, in menu order, then the window's other shortcuts (each
    described by its whatsThis), then EXTRAS."""
    rows = []
    for menu_action in window.menuBar().actions():
        menu = menu_action.menu()
        if menu is None:
            continue
        where = menu.title().replace("&", "")
        for action in menu.actions():
            keys = _keys_text(action.shortcuts())
            if keys and not action.isSeparator():
                rows.append(ShortcutRow(action.text().replace("&", "").replace("…", ""), keys, where))
    for shortcut in window.findChildren(QShortcut):
        if shortcut.whatsThis():
            rows.append(ShortcutRow(shortcut.whatsThis(), _keys_text([shortcut.key()]), "Window"))
    rows += [ShortcutRow(*extra) for extra in EXTRAS]
    return rows


class ShortcutsDialog(QDialog):
    """The list, with a search box that has the focus when it opens; Esc closes it."""

    def __init__(self, rows: list[ShortcutRow], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        self.rows = rows
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search: an action, a key (Ctrl+Z) or a menu")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self.filter)
        self.table = QTreeWidget()
        self.table.setHeaderLabels(["Action", "Keys", "Menu"])
        self.table.setRootIsDecorated(False)
        self.table.setUniformRowHeights(True)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        for row in rows:
            self.table.addTopLevelItem(QTreeWidgetItem(list(row)))
        header = self.table.header()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.search)
        layout.addWidget(self.table, 1)
        layout.addWidget(buttons)
        self.resize(620, 560)
        self.search.setFocus()

    def filter(self, text: str) -> None:
        for i, row in enumerate(self.rows):
            self.table.topLevelItem(i).setHidden(not row.matches(text))

    def shown_rows(self) -> list[ShortcutRow]:
        return [row for i, row in enumerate(self.rows) if not self.table.topLevelItem(i).isHidden()]
