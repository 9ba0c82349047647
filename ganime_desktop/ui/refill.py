"""Live refills: re-render panes' colourings for new hints or another mode, off the UI thread.

A refill is ``PageColouring.render(mode, hints)`` (core/colour_modes.py): the page's regions and
the network's colour are kept, so it never runs a model; given the image the pane shows and the
hints it was rendered with, ``PageColouring.rerender`` renders only the regions whose hints
changed (a few milliseconds for a stroke or a fill, tens for a whole page). Refills
run on their own pool, so they never wait behind a model run on the colouring pool, one job per
pane, two panes at a time (numpy releases the GIL: two renders take little longer than one on
two cores; ``python benchmarks/app_refill.py``). Requests coalesce per pane: while a pane's
refill runs, only its latest request waits, and the running one's image is dropped as stale.
Each pane's image is delivered as soon as it is rendered.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QObject, Signal

from ganime_desktop.core.hint_fill import FillSettings

from .workers import CancelToken, GeneratorWorker, new_pool, wait_for_pool


@dataclass(frozen=True, eq=False)
class RefillJob:
    name: str  # the pane's model
    page: object  # its PageColouring
    mode: str
    shown: np.ndarray | None = None  # what the pane shows now, if it is this page in this mode...
    shown_hints: np.ndarray | None = None  # ...rendered with these hints
    fill: FillSettings | None = None  # how the hints fill (the same as ``shown``'s)


REFILL_THREADS = 2


def _refill(cancel: CancelToken, job: RefillJob, hints: np.ndarray | None):
    if job.shown is None:
        yield job, hints, job.page.render(job.mode, hints, job.fill)
    else:
        yield job, hints, job.page.rerender(job.mode, hints, job.shown, job.shown_hints, job.fill)


class Refiller(QObject):
    """``rendered(job, hints, rgb)`` per pane; ``idle`` when nothing is left to render."""

    rendered = Signal(object, object, object)
    failed = Signal(str)
    idle = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.pool = new_pool(REFILL_THREADS, self)
        self._running: dict[str, GeneratorWorker] = {}
        self._wanted: dict[str, RefillJob] = {}  # pane -> its latest job not started yet
        self._hints: np.ndarray | None = None

    def request(self, jobs: list[RefillJob], hints: np.ndarray | None) -> None:
        self._hints = hints
        for job in jobs:
            self._wanted[job.name] = job
            if job.name in self._running:
                self._running[job.name].cancel()  # its image would be stale; this job starts when it ends
            else:
                self._start(job.name)

    def is_busy(self) -> bool:
        return bool(self._running or self._wanted)

    def _start(self, name: str) -> None:
        job = self._wanted.pop(name)
        worker = GeneratorWorker(_refill, job, self._hints)
        worker.signals.yielded.connect(lambda out: self.rendered.emit(*out))
        worker.signals.errored.connect(lambda exc: self.failed.emit(f"{type(exc).__name__}: {exc}"))
        worker.signals.finished.connect(lambda: self._on_finished(name))
        self._running[name] = worker
        self.pool.start(worker)

    def _on_finished(self, name: str) -> None:
        del self._running[name]
        if name in self._wanted:
            self._start(name)
        elif not self.is_busy():
            self.idle.emit()

    def shutdown(self, timeout_ms: int = 10000) -> bool:
        self._wanted.clear()
        for worker in self._running.values():
            worker.cancel()
        return wait_for_pool(self.pool, timeout_ms)
