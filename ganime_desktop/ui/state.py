"""The window's colouring state: one observable object that the window's parts read and change
instead of reaching into the window (napari's models, krita-ai-diffusion's ``model.py``): widgets
bind to its signals, the parts that colour read it.

- The models: the registry's entries as the Models panel lists them and the ticked ones, with what
  each does (follows hints, copies a reference image's colours).
- The colour modes: the toolbar's, for every pane, and a pane's own where it differs from it; the
  names of the panes shown, so a change of the toolbar's says which panes it changed.
- The open page: the sketch, its hint layer (with a count of hint edits: a colouring records what
  it was made from), the reference image; how hints fill (core/hint_fill.FillSettings: the hints
  panel's Gaps and Parts).
- Whether models run, and how many of the colourings asked for have settled; Auto recolour.

What is remembered between runs is declared once, in ``PERSISTED``: read when the state is made,
written on every change.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, Signal

from ganime_desktop.core.hint_fill import FillSettings
from ganime_desktop.core.registry import ModelEntry

from .document import SketchDocument
from .hints_layer import HintLayer
from .models_panel import is_style_model, takes_hints_model
from .settings import AppSettings


@dataclass(frozen=True)
class Persisted:
    """An attribute of the state kept in the settings: how to read it and how to write it."""

    attribute: str
    read: Callable[[AppSettings], Any]
    write: Callable[[AppSettings, Any], None]


PERSISTED = (
    Persisted("mode", AppSettings.colour_mode, AppSettings.set_colour_mode),
    Persisted("pane_modes", AppSettings.pane_modes, AppSettings.set_pane_modes),
    Persisted("fill", AppSettings.fill_settings, AppSettings.set_fill_settings),
    Persisted("auto_recolour", AppSettings.recolour_after_stroke, AppSettings.set_recolour_after_stroke),
)


class ColouringState(QObject):
    """Signals: ``models_changed`` (entries or ticked), ``mode_changed(mode)`` (the toolbar's: every
    pane follows it), ``pane_mode_changed(name, mode)`` (a pane's mode changed, by either switch),
    ``fill_changed(FillSettings)``, ``hints_changed(version)``, ``reference_changed``,
    ``busy_changed(bool)``, ``progress_changed(settled, asked)``, ``auto_recolour_changed(bool)``."""

    models_changed = Signal()
    mode_changed = Signal(str)
    pane_mode_changed = Signal(str, str)
    fill_changed = Signal(object)
    hints_changed = Signal(int)
    reference_changed = Signal()
    busy_changed = Signal(bool)
    progress_changed = Signal(int, int)
    auto_recolour_changed = Signal(bool)

    def __init__(self, settings: AppSettings, sketch: SketchDocument, hint_layer: HintLayer,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        self.mode: str
        self.pane_modes: dict[str, str]
        self.fill: FillSettings
        self.auto_recolour: bool
        for p in PERSISTED:
            setattr(self, p.attribute, p.read(settings))
        self.sketch, self.hint_layer = sketch, hint_layer
        self.entries: dict[str, ModelEntry] = {}
        self.ticked: list[str] = []
        self.panes: list[str] = []  # the names of the result panes shown
        self.reference: np.ndarray | None = None  # the reference image's RGB
        self.reference_path = ""
        self.busy = False
        self.settled = self.asked = 0  # colourings settled and asked for since the models last idled
        # What a colouring is made from; counted here first, before the parts hear of the edit.
        self.pages = self.edits = self.hints_version = 0
        sketch.replaced.connect(self._count_page)
        sketch.changed.connect(self._count_edit)
        hint_layer.changed.connect(self._count_hint_edit)

    def _store(self, attribute: str, value) -> None:
        setattr(self, attribute, value)
        for p in PERSISTED:
            if p.attribute == attribute:
                p.write(self.settings, value)

    # --- the page ------------------------------------------------------------------------------
    def _count_page(self) -> None:
        self.pages += 1

    def _count_edit(self) -> None:
        self.edits += 1

    def _count_hint_edit(self) -> None:
        self.hints_version += 1
        self.hints_changed.emit(self.hints_version)

    def version(self) -> tuple[int, int, int]:
        """What a colouring is made from: (page, sketch edit, hint edit) counters."""
        return self.pages, self.edits, self.hints_version

    def hints(self) -> np.ndarray | None:
        """RGBA hints at the sketch's size, or None when nothing is hinted."""
        return self.hint_layer.hints_or_none()

    def is_saved(self) -> bool:
        """No unsaved edits of the line art nor of the colour hints."""
        return self.sketch.is_clean() and self.hint_layer.is_clean()

    def set_reference(self, rgb: np.ndarray, path: str) -> None:
        self.reference, self.reference_path = rgb, path
        self.reference_changed.emit()

    def set_fill(self, fill: FillSettings) -> None:
        self._store("fill", fill)
        self.fill_changed.emit(fill)

    # --- models --------------------------------------------------------------------------------
    def set_models(self, entries: list[ModelEntry], ticked: list[str]) -> None:
        """The models as the Models panel lists them, and the ticked ones."""
        self.entries = {e.name: e for e in entries}
        self.ticked = list(ticked)
        self.models_changed.emit()

    def hint_models(self, names: list[str] | None = None) -> list[str]:
        """The models among ``names`` (default: the ticked) that follow colour hints."""
        return [n for n in (self.ticked if names is None else names)
                if n in self.entries and takes_hints_model(self.entries[n])]

    def is_style(self, name: str) -> bool:
        """Whether ``name`` copies the colours of a reference image (it cannot run without one)."""
        entry = self.entries.get(name)
        return entry is not None and is_style_model(entry)

    # --- colour modes --------------------------------------------------------------------------
    def mode_for(self, name: str) -> str:
        return self.pane_modes.get(name, self.mode)

    def set_panes(self, names: list[str]) -> None:
        self.panes = list(names)

    def set_mode(self, mode: str) -> None:
        """The toolbar's switch: every pane, and new panes, in ``mode``."""
        before = {name: self.mode_for(name) for name in self.panes}
        self._store("mode", mode)
        self._store("pane_modes", {})
        self.mode_changed.emit(mode)
        for name, was in before.items():
            if was != mode:
                self.pane_mode_changed.emit(name, mode)

    def set_pane_mode(self, name: str, mode: str) -> None:
        """A pane's own switch: ``name`` in ``mode``, whatever the toolbar's."""
        if mode == self.mode_for(name):
            return
        modes = {n: m for n, m in self.pane_modes.items() if n != name}
        if mode != self.mode:
            modes[name] = mode
        self._store("pane_modes", modes)
        self.pane_mode_changed.emit(name, mode)

    # --- running -------------------------------------------------------------------------------
    def set_busy(self, busy: bool) -> None:
        self.busy = busy
        self.busy_changed.emit(busy)

    def ask(self, count: int, anew: bool) -> None:
        """``count`` more colourings asked for; ``anew``: none was running, count from 0 again."""
        if anew:
            self.settled = self.asked = 0
        self.asked += count
        self.progress_changed.emit(self.settled, self.asked)

    def settle(self) -> None:
        """One colouring asked for has ended (done, failed or cancelled)."""
        self.settled += 1
        self.progress_changed.emit(self.settled, self.asked)

    def set_auto_recolour(self, on: bool) -> None:
        self._store("auto_recolour", on)
        self.auto_recolour_changed.emit(on)
