"""The fill settings in the hints panel: how far fills close gaps, and how alike regions must be
to fill as one part (core/hint_fill.py ``FillSettings``). The same settings as ``ganime
colorize --close-gaps --part-tolerance``."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QDoubleSpinBox, QHBoxLayout, QLabel, QWidget

from ganime_desktop.core.gap_close import GAP_SETTINGS
from ganime_desktop.core.hint_fill import FillSettings

GAP_TIPS = {
    "off": "Fills stop only at the gaps the line art closes itself (about 10 px)",
    "small": "Fills also stop at gaps up to about 16 px",
    "medium": "Fills also stop at gaps up to about 24 px (a leg or a lock of hair joined to the paper "
              "through a gap fills alone, not the page)",
    "large": "Fills also stop at gaps up to about 36 px",
}
MAX_TOLERANCE = 40.0


class FillControls(QWidget):
    """``changed(FillSettings)`` when the artist changes one of them."""

    changed = Signal(object)

    def __init__(self, fill: FillSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.gaps = QComboBox()
        for i, setting in enumerate(GAP_SETTINGS):
            self.gaps.addItem(setting.capitalize(), setting)
            self.gaps.setItemData(i, GAP_TIPS[setting], 3)  # Qt.ToolTipRole
        self.gaps.setToolTip("Close gaps: how wide an opening in the lines a fill stops at. A click on the "
                             "paper always fills the paper")
        self.parts = QDoubleSpinBox()
        self.parts.setRange(0.0, MAX_TOLERANCE)
        self.parts.setDecimals(0)
        self.parts.setSingleStep(2.0)
        self.parts.setSpecialValueText("Off")
        self.parts.setToolTip("Parts: regions separated by lines that end inside them (strands of hair, folds) "
                              "and that the model coloured within this colour distance fill as one part. "
                              "Off: each region alone. Shift+click fills one region whatever this says")
        row = QHBoxLayout(self)  # one row: the panel shares the window's height with the models
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(4)
        for text, box in (("Gaps", self.gaps), ("Parts", self.parts)):
            label = QLabel(text)
            label.setToolTip(box.toolTip())
            label.setBuddy(box)
            row.addWidget(label)
            row.addWidget(box, 1)
        self.set_fill(fill)
        self.gaps.currentIndexChanged.connect(self._emit)
        self.parts.valueChanged.connect(self._emit)

    def fill(self) -> FillSettings:
        return FillSettings(self.gaps.currentData(), float(self.parts.value()))

    def set_fill(self, fill: FillSettings) -> None:
        for box in (self.gaps, self.parts):
            box.blockSignals(True)
        self.gaps.setCurrentIndex(max(0, GAP_SETTINGS.index(fill.close_gaps)))
        self.parts.setValue(min(MAX_TOLERANCE, fill.part_tolerance))
        for box in (self.gaps, self.parts):
            box.blockSignals(False)

    def _emit(self, *_) -> None:
        self.changed.emit(self.fill())
