"""The colour-mode switch (core/colour_modes.py's registry): one combo box per result pane and one
in the toolbar for all of them, with the same entries and explanations."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QWidget

from ganime_desktop.core.colour_modes import COLOUR_MODES

SWITCH_ORDER = tuple(reversed(COLOUR_MODES))  # the richest first: the default at the top


def mode_combo(tip: str, parent: QWidget | None = None) -> QComboBox:
    combo = QComboBox(parent)
    for i, mode in enumerate(SWITCH_ORDER):
        combo.addItem(mode.label, mode.name)
        combo.setItemData(i, mode.tip, Qt.ItemDataRole.ToolTipRole)
    combo.setToolTip(tip)
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
    return combo


def set_combo_mode(combo: QComboBox, mode: str) -> None:
    """Show ``mode`` without emitting a change (the caller already knows)."""
    combo.blockSignals(True)
    combo.setCurrentIndex(max(0, combo.findData(mode)))
    combo.blockSignals(False)
