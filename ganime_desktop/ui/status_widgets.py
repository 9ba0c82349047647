"""The status bar's permanent widgets, bound to what they show: the busy bar (the colouring
state's progress: colourings settled of those asked for, shown while models run), the zoom of the
shared view, and the provider the models run on (the controller's)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QProgressBar, QStatusBar

from ganime_desktop.core.sessions import ProviderInfo

from .colorize_controller import ColorizeController
from .state import ColouringState
from .view import SharedView, ZoomLabel


class StatusWidgets:
    def __init__(self, bar: QStatusBar, state: ColouringState, controller: ColorizeController,
                 shared_view: SharedView) -> None:
        self.controller = controller
        self.provider_label = QLabel()
        self.provider_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.zoom_label = ZoomLabel(shared_view)
        self.busy_bar = QProgressBar()
        self.busy_bar.setMaximumWidth(160)
        self.busy_bar.setFormat("%v / %m models")
        self.busy_bar.hide()
        bar.addPermanentWidget(self.busy_bar)
        bar.addPermanentWidget(self.zoom_label)
        bar.addPermanentWidget(self.provider_label)
        self.show_provider(None)
        state.progress_changed.connect(self._show_progress)
        state.busy_changed.connect(self.busy_bar.setVisible)
        controller.provider_changed.connect(self.show_provider)

    def _show_progress(self, settled: int, asked: int) -> None:
        self.busy_bar.setRange(0, asked)
        self.busy_bar.setValue(settled)

    def show_provider(self, info: ProviderInfo | None) -> None:
        if info is None:
            text = f"Provider: not used yet (device: {self.controller.device})"
            tip = "The models run on the first Colour; the provider they get is shown here."
        else:
            text = f"Provider: {info.active}"
            tip = f"Device setting: {info.requested}; running on {info.active}"
            if info.reason:
                text += " — CUDA not available"
                tip += f"\n{info.reason}"
        self.provider_label.setText(text)
        self.provider_label.setToolTip(tip)
