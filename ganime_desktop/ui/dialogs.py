"""File dialogs and messages that give the keyboard focus back when they close.

Without a window manager (and with some), closing a dialog leaves no window active, so the
main window's shortcuts stop working until it is clicked. Every dialog of the window goes
through here: static file dialogs call ``return_focus`` when they return, dialogs opened with
``open()`` call it from their ``finished`` signal. The focus goes to the window's ``focus_home()``
(the sketch canvas) or, for a dialog over another window (the batch window), to that window.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QFileDialog, QWidget


def return_focus(window: QWidget) -> None:
    """Activate ``window`` and put the keyboard focus where its shortcuts work."""
    top = window.window()
    top.activateWindow()
    top.raise_()
    # Into the window (justified): where its shortcuts work is the window's to say (main_window.py
    # ``focus_home``); any other top-level window takes the focus itself
    home = getattr(top, "focus_home", None)
    target = home() if callable(home) else top
    target.setFocus(Qt.FocusReason.OtherFocusReason)


def return_focus_after(dialog: QDialog, window: QWidget) -> None:
    dialog.finished.connect(lambda _result: return_focus(window))


def get_open_file(window: QWidget, title: str, folder: str, filter_: str = "") -> str:
    path, _ = QFileDialog.getOpenFileName(window, title, folder, filter_)
    return_focus(window)
    return path


def get_save_file(window: QWidget, title: str, start: str, filter_: str = "") -> str:
    path, _ = QFileDialog.getSaveFileName(window, title, start, filter_)
    return_focus(window)
    return path


def get_folder(window: QWidget, title: str, folder: str) -> str:
    path = QFileDialog.getExistingDirectory(window, title, folder)
    return_focus(window)
    return path
