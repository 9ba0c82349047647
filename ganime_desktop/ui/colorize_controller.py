"""Runs the core's colourization for every selected model off the UI thread.

Each model's request is a "generation": a new request for a model cancels that model's job
still running or queued, and a result from an older generation is dropped (the sketch or the
hints changed since); other models' jobs go on (a hint edit re-runs only the hint models).
Jobs run one at a time on a single-thread pool: onnxruntime already uses every core for one
model, and two models at once would only fight over them (or over GPU memory).

A job runs the network once (``Colorizer.colour_page``) and renders the page in the pane's
colour mode; the ``PageColouring`` comes back with the image, so the pane re-renders it for
new hints or another mode without the network (refill.py).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QObject, Signal

from ganime_desktop.core.colour_modes import DEFAULT_MODE, PageColouring
from ganime_desktop.core.hint_fill import FillSettings
from ganime_desktop.core.pipeline import ColorizerCache, ModelLoadError, ReferenceRequired
from ganime_desktop.core.registry import ModelRegistry, UnknownModelError
from ganime_desktop.core.sessions import ProviderInfo

from .workers import CancelToken, GeneratorWorker, new_pool, wait_for_pool


@dataclass(frozen=True)
class Colouring:
    name: str
    rgb: np.ndarray  # the page in ``mode``
    mode: str
    provider: ProviderInfo
    seconds: float
    page: PageColouring | None = None
    token: object = None  # the caller's tag of the request (colouring.py: page, sketch and hint versions)
    hints: np.ndarray | None = None  # the hints ``rgb`` was rendered with
    fill: FillSettings | None = None  # and the fill settings


def _colour_job(cancel: CancelToken, cache: ColorizerCache, name: str, device: str, sketch: np.ndarray,
                reference: np.ndarray | None, mode: str, hints: np.ndarray | None = None, token=None,
                fill: FillSettings | None = None):
    """Generator run in the pool: yields progress text, returns a Colouring."""
    yield "loading model"
    colorizer = cache.get(name, device)  # verifies sha256 and opens the session the first time
    yield "colouring"
    start = time.perf_counter()
    page = colorizer.colour_page(sketch, reference=reference, hints=hints, should_cancel=cancel)
    rgb = page.render(mode, hints, fill)  # flat and shaded: the regions and the page's statistics, once
    return Colouring(name, rgb, mode, colorizer.provider_info, time.perf_counter() - start, page, token, hints, fill)


class ColorizeController(QObject):
    """Signals carry the model name first; the main window routes them to the right pane."""

    job_queued = Signal(str)
    job_progress = Signal(str, str)
    job_done = Signal(object)  # Colouring
    job_failed = Signal(str, str)  # name, message for the user
    model_broken = Signal(str, str)  # name, reason: the model cannot be used at all
    job_cancelled = Signal(str)
    provider_changed = Signal(object)  # ProviderInfo of the latest finished job
    busy_changed = Signal(bool)

    def __init__(self, registry: ModelRegistry, device: str = "auto", parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.registry = registry
        self.cache = ColorizerCache(registry)
        self.device = device
        self.pool = new_pool(1, self)
        self.provider: ProviderInfo | None = None
        self._generation: dict[str, int] = {}
        self._workers: dict[str, GeneratorWorker] = {}

    def set_registry(self, registry: ModelRegistry) -> None:
        """After the model folders changed; call shutdown() first."""
        self.registry = registry
        self.cache = ColorizerCache(registry)

    def set_device(self, device: str) -> None:
        self.device = device

    def is_busy(self) -> bool:
        return bool(self._workers)

    def colorize(self, sketch: np.ndarray, names: list[str], reference: np.ndarray | None = None,
                 hints: np.ndarray | None = None, modes: dict[str, str] | None = None, token=None,
                 fill: FillSettings | None = None) -> None:
        """Colour ``sketch`` with each model in ``names``, cancelling those models' jobs still running.

        ``hints``: the RGBA colour hint layer at the sketch's size; hint models follow it, and
        the flat and shaded modes fill the regions it touches. ``modes``: each model's colour
        mode (default DEFAULT_MODE). ``token`` comes back in the Colouring."""
        was_busy = self.is_busy()
        for name in names:
            if name in self._workers:
                self._workers[name].cancel()
            generation = self._generation[name] = self._generation.get(name, 0) + 1
            mode = (modes or {}).get(name, DEFAULT_MODE)
            worker = GeneratorWorker(_colour_job, self.cache, name, self.device, sketch, reference, mode, hints, token,
                                     fill)
            s = worker.signals
            s.yielded.connect(lambda text, n=name, g=generation: self._on_progress(g, n, text))
            s.returned.connect(lambda result, g=generation: self._on_done(g, result))
            s.errored.connect(lambda exc, n=name, g=generation: self._on_error(g, n, exc))
            s.cancelled.connect(lambda n=name, g=generation: self._on_cancelled(g, n))
            s.finished.connect(lambda n=name, w=worker: self._on_finished(n, w))
            self._workers[name] = worker
            self.job_queued.emit(name)
            self.pool.start(worker)
        if names and not was_busy:
            self.busy_changed.emit(True)

    def cancel(self) -> None:
        for worker in self._workers.values():
            worker.cancel()

    def shutdown(self, timeout_ms: int = 30000) -> bool:
        """Cancel and wait for every job (window close); True if all ended in time."""
        self.cancel()
        done = wait_for_pool(self.pool, timeout_ms)
        self._workers.clear()
        return done

    # --- worker callbacks (UI thread) ----------------------------------------------------------
    def _current(self, generation: int, name: str) -> bool:
        return generation == self._generation.get(name)

    def _on_progress(self, generation: int, name: str, text: str) -> None:
        if self._current(generation, name):
            self.job_progress.emit(name, text)

    def _on_done(self, generation: int, result: Colouring) -> None:
        if not self._current(generation, result.name):
            return
        self.provider = result.provider
        self.provider_changed.emit(result.provider)
        self.job_done.emit(result)

    def _on_error(self, generation: int, name: str, exc: Exception) -> None:
        if not self._current(generation, name):
            return
        if isinstance(exc, (ModelLoadError, UnknownModelError)):
            self.model_broken.emit(name, str(exc))
            self.job_failed.emit(name, str(exc))
        elif isinstance(exc, ReferenceRequired):
            self.job_failed.emit(name, str(exc))
        elif isinstance(exc, MemoryError):
            self.job_failed.emit(name, "Out of memory: the page is too large for this model on this device. "
                                       "Scale the page down, or switch the device to CPU.")
        else:
            self.job_failed.emit(name, f"{type(exc).__name__}: {exc}")

    def _on_cancelled(self, generation: int, name: str) -> None:
        if self._current(generation, name):
            self.job_cancelled.emit(name)

    def _on_finished(self, name: str, worker: GeneratorWorker) -> None:
        if self._workers.get(name) is worker:
            del self._workers[name]
            if not self._workers:
                self.busy_changed.emit(False)
