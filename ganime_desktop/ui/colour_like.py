"""Colour like… (issue 28): the page coloured like a coloured page, in a pane beside the models'.

- Colour ▸ "Colour like a coloured page…" picks a coloured page: a PNG/JPEG/…, or an .ora the app
  saved (core/like_page.py: its line art from the .ora, a ``.lines.png`` beside it, else the
  page's own dark strokes); "Colour like this page" takes the focused pane's colouring and the
  sketch it was coloured on (colour one page with the fill bucket, then the next pages like it);
  "Stop colouring like a page" drops the pane.
- The reference is prepared once, off the UI thread. Whenever the first ticked model's pane shows
  a new colouring of the sketch, the sketch's regions are matched to the reference off the UI
  thread (cancellable with Cancel / Esc) and the "Like …" pane shows the page coloured like it:
  the reference decides the colours it shows, the model colours the rest and shades; hints
  still win and refill the pane like any other (its ``page`` is a ``PageColouring``).
- The batch window's "Colour like" field gets the same page (for "this page", the colouring and
  its sketch saved in the user's data folder as ``like-page.png`` and ``like-page.lines.png``).

The ticked models, the page and its hints are the colouring state's (state.py); the panes and the
colouring session are given; the window puts the actions in its Colour menu, lets Cancel stop the
matching (``busy_changed``) and tells the batch window of a new page (``changed``, ``path``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QHBoxLayout, QLineEdit, QPushButton, QWidget

from ganime_desktop.core.colour import gray_to_rgb
from ganime_desktop.core.colour_modes import PageColouring
from ganime_desktop.core.errors import GanimeError
from ganime_desktop.core.imageio import IMAGE_SUFFIXES, ImageWriteError, write_image_atomic
from ganime_desktop.core.layers import LAYER_SUFFIXES
from ganime_desktop.core.like_page import load_like_reference, reference_from_arrays
from ganime_desktop.core.paths import user_data_dir
from ganime_desktop.core.preprocess import to_gray
from ganime_desktop.core.reference_match import LikeReference, match_page, recolour_raw

from . import compare_panes as panes_mod
from .colouring import ColouringSession
from .compare_panes import ComparePanes
from .dialogs import get_open_file
from .messages import Messages
from .settings import AppSettings
from .state import ColouringState
from .workers import CancelToken, GeneratorWorker, new_pool, wait_for_pool

LIKE_PANE = "like"  # the pane's name among the models' (never a model's name: models are checked against it)
LIKE_FILTER = "Coloured pages (" + " ".join(f"*{s}" for s in (*IMAGE_SUFFIXES, ".ora")) + ")"
THIS_PAGE = "like-page"  # "this page" saved for the batch window, in the user's data folder


def _prepare_file(_cancel: CancelToken, path: str) -> LikeReference:
    return load_like_reference(path)


def _prepare_arrays(_cancel: CancelToken, rgb: np.ndarray, sketch: np.ndarray) -> LikeReference:
    return reference_from_arrays(rgb, sketch, name="this page")


def _match(cancel: CancelToken, reference: LikeReference, source: PageColouring, mode: str, hints: np.ndarray | None):
    """Generator job: the source pane's colouring, like the reference: (page, its image in
    ``mode`` with ``hints``, mode, hints)."""
    yield "matching the page to the coloured page"
    colours = match_page(source.gray, source.regions, reference, cancel)
    regions = source.regions
    page = PageColouring(source.gray, source.colour, seen=lambda: source.seen, regions=regions, reference=colours,
                         raw=lambda: recolour_raw(source.raw, regions, colours))
    return page, page.render(mode, hints), mode, hints


class ColourLike(QObject):
    """``changed`` after a coloured page is chosen or dropped; ``busy_changed(bool)`` when a
    matching starts or ends."""

    changed = Signal()
    busy_changed = Signal(bool)

    def __init__(self, state: ColouringState, compare: ComparePanes, colouring: ColouringSession,
                 settings: AppSettings, messages: Messages, parent: QWidget) -> None:
        super().__init__(parent)
        self.state, self.compare, self.colouring = state, compare, colouring
        self.settings, self.messages = settings, messages
        self._dialog_parent = parent
        self.reference: LikeReference | None = None
        self.label = ""  # what the pane's title names: the file, or "this page"
        self.path: Path | None = None  # a file the batch window can read
        self.pool = new_pool(1, self)
        self._worker: GeneratorWorker | None = None
        self._source: PageColouring | None = None  # the colouring the pane shows like the reference
        self.actions = {
            "like": QAction("Colour &like a coloured page…", parent),
            "like_this": QAction("Colour like &this page", parent),
            "like_stop": QAction("Stop colouring like a page", parent),
        }
        self.actions["like"].setStatusTip("Colour the sketch like a page coloured before (by hand or in the app): "
                                          "each region takes the colour the coloured page shows there")
        self.actions["like_this"].setStatusTip("Colour the next pages like the focused pane's colouring of this "
                                               "sketch (after filling it with the fill bucket)")
        self.actions["like"].triggered.connect(self.choose_dialog)
        self.actions["like_this"].triggered.connect(self.use_this_page)
        self.actions["like_stop"].triggered.connect(self.stop)
        self.actions["like_stop"].setEnabled(False)
        colouring.pane_updated.connect(self._on_pane_updated)

    # --- choosing the coloured page ----------------------------------------------------------------
    def panes(self) -> list[tuple[str, str, str]]:
        """The pane to show beside the models' as (name, title, short title): none until a coloured
        page is chosen."""
        return [(LIKE_PANE, f"Like {self.label}", "Like")] if self.label else []

    def choose_dialog(self) -> None:
        settings = self.settings
        path = get_open_file(self._dialog_parent, "Colour like a coloured page", settings.last_dir("like"), LIKE_FILTER)
        if path:
            settings.set_last_dir("like", path)
            self.use_file(path)

    def use_file(self, path: str | Path) -> None:
        self._prepare(_prepare_file, str(path), label=Path(path).name, path=Path(path))

    def use_this_page(self) -> None:
        compare = self.compare
        pane = compare.focused if compare.focused is not None and compare.focused.rgb is not None else \
            next(iter(compare.results()), None)
        if pane is None:
            self.messages.say("Colour the sketch first (F5; fill its regions with the fill bucket), then colour the "
                              "next pages like it.", 8000)
            return
        rgb, sketch = pane.rgb, to_gray(self.state.sketch.to_rgb())
        if rgb.shape[:2] != sketch.shape:
            return
        path = user_data_dir() / f"{THIS_PAGE}.png"
        try:  # for the batch window: the colouring and, beside it, the line art it was coloured on
            path.parent.mkdir(parents=True, exist_ok=True)
            write_image_atomic(path, rgb)
            write_image_atomic(path.with_name(THIS_PAGE + LAYER_SUFFIXES["lines"]), gray_to_rgb(sketch))
        except (ImageWriteError, OSError):
            path = None  # the app colours like it all the same; the batch window has no file of it
        self._prepare(_prepare_arrays, rgb, sketch, label="this page", path=path)

    def _prepare(self, job, *args, label: str, path: Path | None) -> None:
        worker = GeneratorWorker(job, *args)
        worker.signals.returned.connect(lambda ref: self._set(ref, label, path))
        worker.signals.errored.connect(self._on_prepare_error)
        self.messages.say(f"Preparing {label} as the page to colour like…")
        self.pool.start(worker)

    def _on_prepare_error(self, exc: Exception) -> None:
        text = str(exc) if isinstance(exc, GanimeError) else f"{type(exc).__name__}: {exc}"
        self.messages.alert("Cannot colour like this page", text)

    def _set(self, reference: LikeReference, label: str, path: Path | None) -> None:
        self.reference, self.label, self.path = reference, label, path
        self._source = None
        self.actions["like_stop"].setEnabled(True)
        if path is not None:  # the batch window's "Colour like" (the window tells an open one)
            self.settings.set_batch_value("like", str(path))
        self.messages.say(f"Colouring like {label}: the “Like {label}” pane follows the first ticked model", 8000)
        self.changed.emit()
        self._refresh()

    def stop(self) -> None:
        self.cancel()
        self.reference, self.label, self.path, self._source = None, "", None, None
        self.actions["like_stop"].setEnabled(False)
        self.changed.emit()

    # --- following the source pane -------------------------------------------------------------------
    def _source_pane(self):
        ticked = self.state.ticked
        return self.compare.pane(ticked[0]) if ticked else None

    def _on_pane_updated(self, name: str) -> None:
        source = self._source_pane()
        if source is not None and name == source.name:
            self._refresh()

    def _refresh(self) -> None:
        """Match the source pane's colouring when it is new (a refill of the same one is not)."""
        source, pane = self._source_pane(), self.compare.pane(LIKE_PANE)
        if self.reference is None or pane is None or source is None or source.page is None:
            return
        if source.page is self._source:
            return
        self.cancel()
        self._source = source.page
        hints = self.state.hints()
        worker = GeneratorWorker(_match, self.reference, source.page, pane.mode, hints)
        worker.signals.yielded.connect(lambda text: pane.set_state(panes_mod.RUNNING, text.capitalize() + "…"))
        worker.signals.returned.connect(lambda result, w=worker: self._on_matched(w, result))
        worker.signals.errored.connect(lambda exc: pane.set_state(panes_mod.FAILED, str(exc), "failed"))
        worker.signals.cancelled.connect(lambda: pane.set_state(panes_mod.CANCELLED, "Cancelled. Press Colour (F5).",
                                                                "cancelled"))
        worker.signals.finished.connect(lambda w=worker: self._on_finished(w))
        self._worker = worker
        pane.set_state(panes_mod.QUEUED, "Waiting…")
        self.busy_changed.emit(True)
        self.pool.start(worker)

    def _on_matched(self, worker: GeneratorWorker, result) -> None:
        pane = self.compare.pane(LIKE_PANE)
        page, rgb, mode, hints = result
        if worker is not self._worker or pane is None:
            return
        share = float((page.reference.decided * page.regions.areas).sum() / page.regions.areas.sum())
        pane.set_result(rgb, f"{100 * share:.0f} % of the page from {self.label}", page, mode, hints)
        self.colouring.pane_updated.emit(pane.name)
        self.colouring.refill([pane])  # hints or the mode may have changed while it matched

    def _on_finished(self, worker: GeneratorWorker) -> None:
        if worker is self._worker:
            self._worker = None
            self.busy_changed.emit(False)

    def cancel(self) -> None:
        if self._worker is not None:
            self._worker.cancel()
            self._source = None  # matched again on the next colouring

    def shutdown(self, timeout_ms: int = 30000) -> bool:
        self.cancel()
        return wait_for_pool(self.pool, timeout_ms)


class LikeField(QWidget):
    """The batch window's "Colour like" row: a coloured page (optional) and Browse…"""

    def __init__(self, settings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        self.edit = QLineEdit(settings.batch_value("like", "") or "")
        self.edit.setPlaceholderText("Optional: a coloured page; every page is coloured like it")
        self.edit.setToolTip("Each page's regions take the colours this coloured page shows (its line art: an .ora's, "
                             "a .lines.png beside it, else its own strokes); the model colours what it does not show")
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.edit, 1)
        layout.addWidget(browse)

    def _browse(self) -> None:
        path = get_open_file(self, "Colour every page like", self.settings.last_dir("like"), LIKE_FILTER)
        if path:
            self.set_path(path)

    def set_path(self, path: str | Path) -> None:
        self.edit.setText(str(path))

    def path(self) -> Path | None:
        text = self.edit.text().strip()
        return Path(text) if text else None

    def remember(self) -> None:
        self.settings.set_batch_value("like", self.edit.text().strip())
