"""What the window's parts say to the user, without knowing the window: a line in its status bar,
or a message box over it (window-modal: the event loop, and the colourings, keep running)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QMessageBox, QStatusBar


class Messages:
    def __init__(self, status_bar: QStatusBar, alert: Callable[[str, str], QMessageBox]) -> None:
        self._bar = status_bar
        self.alert = alert  # (title, text) -> the message box shown

    def say(self, text: str, ms: int = 0) -> None:
        """A line in the status bar, for ``ms`` milliseconds (0: until the next one)."""
        self._bar.showMessage(text, ms)

    def current(self) -> str:
        return self._bar.currentMessage()

    def clear(self) -> None:
        self._bar.clearMessage()
