"""The model picker: installed models with checkboxes, unavailable ones greyed with the reason,
the reference image for "Colour from reference", and plain instructions when there are none."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from ganime_desktop.core.paths import user_models_dir
from ganime_desktop.core.registry import ModelEntry

STYLE_KIND = "style-transfer"
NAME_ROLE = Qt.ItemDataRole.UserRole


def is_style_model(entry: ModelEntry) -> bool:
    return entry.spec is not None and entry.spec.kind == STYLE_KIND


def takes_hints_model(entry: ModelEntry) -> bool:
    return entry.spec is not None and entry.spec.kind == "generator" and entry.spec.input.hint_channels > 0


def label_for(entry: ModelEntry, entries: list[ModelEntry]) -> str:
    """What the user sees: style models are "Colour from reference" (named if there are several)."""
    if entry.spec is not None and entry.spec.kind == STYLE_KIND:
        several = sum(1 for e in entries if is_style_model(e)) > 1
        return f"Colour from reference ({entry.display_name})" if several else "Colour from reference"
    return entry.display_name


def short_label_for(entry: ModelEntry, entries: list[ModelEntry]) -> str:
    """What a narrow pane header shows: the label without a trailing "(…)" detail ("Pix2Pix + TV
    (compact)" -> "Pix2Pix + TV"), unless another model would then read the same."""
    label = label_for(entry, entries)
    short = re.sub(r"\s*\([^()]*\)$", "", label)
    if not short or short == label:
        return label
    others = {re.sub(r"\s*\([^()]*\)$", "", label_for(e, entries)) for e in entries if e.name != entry.name}
    return label if short in others else short


def no_models_message() -> str:
    folder = user_models_dir()
    return (
        "<b>No colourization models are installed.</b><br><br>"
        "To get models:<ul>"
        f"<li>copy an exported model folder (a <tt>manifest.json</tt> with its <tt>.onnx</tt> files) into "
        f"<tt>{folder}</tt> and restart, or use <i>File → Add models folder…</i>;</li>"
        "<li>or train and export your own: <tt>python -m training pix2pix …</tt> then "
        "<tt>python -m export …</tt>;</li>"
        "<li>or start the app with <tt>--models-dir FOLDER</tt>.</li></ul>"
        "You can still draw and save sketches meanwhile."
    )


class ModelsPanel(QWidget):
    """Emits ``selection_changed(list[str])`` when a box is ticked and ``reference_changed(str)``."""

    selection_changed = Signal(list)
    reference_changed = Signal(str)
    choose_reference_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._entries: list[ModelEntry] = []
        self._problems: list[str] = []
        self._reference = ""

        self.list = QListWidget()
        self.list.setAccessibleName("Models")
        self.list.itemChanged.connect(self._on_item_changed)
        self.empty_label = QLabel(no_models_message())
        self.empty_label.setWordWrap(True)
        self.empty_label.setTextFormat(Qt.TextFormat.RichText)
        self.empty_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.problems_label = QLabel()
        self.problems_label.setWordWrap(True)
        self.problems_label.setStyleSheet("color: #a33;")
        self.problems_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.device = QComboBox()
        self.device.addItem("Auto (CUDA if available)", "auto")
        self.device.addItem("CPU", "cpu")
        self.device.addItem("CUDA (GPU)", "cuda")
        self.device.setToolTip("Where the models run; the status bar shows what is really used")
        device_row = QHBoxLayout()
        device_row.addWidget(QLabel("Run on"))
        device_row.addWidget(self.device, 1)

        self.reference_box = QWidget()
        self.reference_thumb = QLabel()
        self.reference_thumb.setFixedSize(64, 64)
        self.reference_thumb.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.reference_thumb.setStyleSheet("border: 1px solid #999; background: #eee;")
        self.reference_label = QLabel()
        self.reference_label.setWordWrap(True)
        self.reference_button = QPushButton("Choose reference…")
        self.reference_button.clicked.connect(self.choose_reference_requested)
        ref_text = QVBoxLayout()
        ref_text.addWidget(QLabel("<b>Reference colours</b>"))
        ref_text.addWidget(self.reference_label)
        ref_text.addWidget(self.reference_button)
        ref_layout = QHBoxLayout(self.reference_box)
        ref_layout.setContentsMargins(0, 4, 0, 0)
        ref_layout.addWidget(self.reference_thumb)
        ref_layout.addLayout(ref_text, 1)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.empty_label, 1)
        layout.addWidget(self.problems_label)
        layout.addWidget(self.reference_box)
        layout.addLayout(device_row)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Expanding)
        self._set_reference_text()

    # --- content -------------------------------------------------------------------------------
    def set_entries(self, entries: list[ModelEntry], selected: list[str], problems: list[str] = ()) -> None:
        self._entries = list(entries)
        self._problems = list(problems)
        self.list.blockSignals(True)
        self.list.clear()
        for entry in self._entries:
            item = QListWidgetItem()
            item.setData(NAME_ROLE, entry.name)
            self.list.addItem(item)
            self._style_item(item, entry, entry.name in selected)
        self.list.blockSignals(False)
        has_models = bool(self._entries)
        self.list.setVisible(has_models)
        self.empty_label.setVisible(not has_models)
        self.reference_box.setVisible(any(is_style_model(e) and e.available for e in self._entries))
        self._show_problems(self._problems)

    def _style_item(self, item: QListWidgetItem, entry: ModelEntry, checked: bool) -> None:
        label = label_for(entry, self._entries)
        tip = entry.spec.description if entry.spec is not None and entry.spec.description else entry.display_name
        if entry.available:
            item.setText(label)
            item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsSelectable)
            item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)
            note = f"\n{entry.note}" if entry.note else ""  # e.g. colours on the CPU only
            item.setToolTip(f"{entry.display_name} ({entry.name})\n{tip}{note}")
        else:
            item.setText(f"{label} — unavailable")
            item.setFlags(Qt.ItemFlag.ItemIsSelectable)  # greyed, cannot be ticked
            item.setCheckState(Qt.CheckState.Unchecked)
            item.setToolTip(f"{entry.display_name} ({entry.name}) is unavailable:\n{entry.reason}")

    def _show_problems(self, problems: list[str]) -> None:
        lines = [f"• {label_for(e, self._entries)}: {e.reason}" for e in self._entries if not e.available]
        lines += [f"• {p}" for p in problems if not any(p in line for line in lines)]
        self.problems_label.setText("\n".join(lines))
        self.problems_label.setVisible(bool(lines))

    def mark_unavailable(self, name: str, reason: str) -> None:
        """A model that failed its checksum or would not load: grey it out, keep the reason."""
        for i, entry in enumerate(self._entries):
            if entry.name == name:
                self._entries[i] = replace(entry, available=False, reason=reason)
        # no selection_changed here: its pane stays, showing the error, until the next Colour
        self.set_entries(self._entries, [n for n in self.selected() if n != name], self._problems)

    def set_device(self, device: str) -> None:
        self.device.setCurrentIndex(max(0, self.device.findData(device)))

    # --- selection -----------------------------------------------------------------------------
    def selected(self) -> list[str]:
        out = []
        for i in range(self.list.count()):
            item = self.list.item(i)
            if item.checkState() == Qt.CheckState.Checked:
                out.append(item.data(NAME_ROLE))
        return out

    def set_checked(self, name: str, checked: bool) -> None:
        for i in range(self.list.count()):
            item = self.list.item(i)
            if item.data(NAME_ROLE) == name and item.flags() & Qt.ItemFlag.ItemIsUserCheckable:
                item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)

    def entry(self, name: str) -> ModelEntry | None:
        return next((e for e in self._entries if e.name == name), None)

    def entries(self) -> list[ModelEntry]:
        return list(self._entries)

    def _on_item_changed(self, _item: QListWidgetItem) -> None:
        self.selection_changed.emit(self.selected())

    # --- reference image -----------------------------------------------------------------------
    @property
    def reference(self) -> str:
        return self._reference

    def set_reference(self, path: str, thumbnail: QPixmap | None = None) -> None:
        self._reference = path
        if thumbnail is not None and not thumbnail.isNull():
            self.reference_thumb.setPixmap(thumbnail.scaled(
                64, 64, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation))
        else:
            self.reference_thumb.clear()
        self._set_reference_text()
        self.reference_changed.emit(path)

    def _set_reference_text(self) -> None:
        if self._reference:
            self.reference_label.setText(Path(self._reference).name)
            self.reference_label.setToolTip(self._reference)
        else:
            self.reference_label.setText("None chosen: pick a colour image whose palette to use.")
            self.reference_label.setToolTip("")
