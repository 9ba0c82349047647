"""A result pane's header line: "[1] Model name — 352 ms on CPU", elided to the pane's width.

A QLabel asks its layout for the width of its whole text, so a longer state ("outdated: the
sketch changed") widened its pane and the panes' widths jumped. This widget asks for no width
(its width is the pane's, given by the layout's stretch alone), draws the key and the state in
grey and the model name in bold, elides the state first and then the name ("…"), and keeps the
full text as its tooltip. A result pane shows its model's short name; the tooltip names it in full.
"""

from __future__ import annotations

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter
from PySide6.QtWidgets import QSizePolicy, QWidget

KEY_COLOUR, DETAIL_COLOUR = QColor("#888888"), QColor("#666666")
ELLIPSIS = "…"


class PaneHeader(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.key = self.title = self.detail = self.full_title = ""
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)

    def set_parts(self, key: str, title: str, detail: str, full_title: str = "") -> None:
        """``title`` is drawn; ``full_title`` (default: the same) is what the tooltip names."""
        self.key, self.title, self.detail, self.full_title = key, title, detail, full_title or title
        self.setToolTip(self.text())
        self.update()

    def text(self) -> str:
        """The full text, as the tooltip shows it."""
        return f"{self.key} {self.full_title}".strip() + (f" — {self.detail}" if self.detail else "")

    def _fonts(self) -> tuple[QFont, QFont]:
        bold = QFont(self.font())
        bold.setBold(True)
        return self.font(), bold

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(0, round(QFontMetricsF(self._fonts()[1]).height()) + 2)

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        return self.sizeHint()

    def shown_parts(self, width: float | None = None) -> list[tuple[str, QFont, QColor]]:
        """What is drawn in ``width`` pixels (default: the widget's): (text, font, colour) each."""
        width = self.width() - 2 if width is None else width
        plain, bold = self._fonts()
        pm, bm = QFontMetricsF(plain), QFontMetricsF(bold)
        key = f"{self.key} " if self.key else ""
        detail = f" — {self.detail}" if self.detail else ""
        room = width - pm.horizontalAdvance(key)
        title = self.title
        if bm.horizontalAdvance(title) > room:  # not even the name fits: elide it, drop the state
            title, detail = bm.elidedText(title, Qt.TextElideMode.ElideRight, max(0.0, room)), ""
        elif detail:
            detail = pm.elidedText(detail, Qt.TextElideMode.ElideRight, room - bm.horizontalAdvance(title))
            if len(detail) <= len(f" — {ELLIPSIS}"):  # nothing of it would be readable
                detail = ""
        text_colour = self.palette().windowText().color()
        return [(t, f, c) for t, f, c in ((key, plain, KEY_COLOUR), (title, bold, text_colour),
                                          (detail, plain, DETAIL_COLOUR)) if t]

    def paintEvent(self, _event) -> None:  # noqa: N802
        painter = QPainter(self)
        x = 1.0
        for text, font, colour in self.shown_parts():
            painter.setFont(font)
            painter.setPen(colour)
            advance = QFontMetricsF(font).horizontalAdvance(text)
            painter.drawText(QRectF(x, 0, advance + 1, self.height()),
                             Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, text)
            x += advance
        painter.end()

    def shown_text(self) -> str:
        return "".join(t for t, _f, _c in self.shown_parts())
