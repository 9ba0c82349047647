"""The colour-mode switch (core/colour_modes.py): one combo box per result pane and one in the
toolbar for all of them, with the same entries and explanations."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QWidget

from ganime_desktop.core.colour_modes import MODES

MODE_TEXT = {"shaded": "Shaded", "flat": "Flat", "raw": "Raw"}
MODE_TIPS = {
    "shaded": "One colour per region of the line art, with the model's light and shadow; hints fill their regions",
    "flat": "One flat colour per region of the line art; hints fill their regions",
    "raw": "The model's output as it is (hint models still follow the hints)",
}
ORDER = ("shaded", "flat", "raw")
assert set(ORDER) == set(MODES)


def mode_combo(tip: str, parent: QWidget | None = None) -> QComboBox:
    combo = QComboBox(parent)
    for i, mode in enumerate(ORDER):
        combo.addItem(MODE_TEXT[mode], mode)
        combo.setItemData(i, MODE_TIPS[mode], Qt.ItemDataRole.ToolTipRole)
    combo.setToolTip(tip)
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
    return combo


def set_combo_mode(combo: QComboBox, mode: str) -> None:
    """Show ``mode`` without emitting a change (the caller already knows)."""
    combo.blockSignals(True)
    combo.setCurrentIndex(max(0, combo.findData(mode)))
    combo.blockSignals(False)
