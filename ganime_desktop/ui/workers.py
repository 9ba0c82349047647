"""Generator workers on a QThreadPool (the superqt pattern): a long job is a generator function
that yields progress and returns its result; it runs off the UI thread and can be cancelled.

    def job(cancel: CancelToken, rgb):
        yield "loading model"
        colorizer = ...
        yield "colouring"
        return colorizer.colorize(rgb, should_cancel=cancel)

    worker = GeneratorWorker(job, rgb)
    worker.signals.yielded.connect(...); worker.signals.returned.connect(...)
    pool.start(worker)

Signals are emitted from the pool thread and delivered queued on the UI thread. Every worker
stays in ``live_workers()`` from creation until its ``finished`` has been delivered, so the
window can wait for them on close and tests can check that nothing was left running.
"""

from __future__ import annotations

import threading
import traceback
from collections.abc import Callable, Generator
from typing import Any

from PySide6.QtCore import (
    QCoreApplication,
    QDeadlineTimer,
    QEventLoop,
    QObject,
    QRunnable,
    QThreadPool,
    QTimer,
    Signal,
)

from ganime_desktop.core.cancel import Cancelled

_LIVE: set[GeneratorWorker] = set()


def live_workers() -> set[GeneratorWorker]:
    """Workers created and not yet finished (UI-thread bookkeeping)."""
    return set(_LIVE)


class CancelToken:
    """Thread-safe flag; calling it answers "should I stop?" (the core's should_cancel)."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    def __call__(self) -> bool:
        return self._event.is_set()

    @property
    def event(self) -> threading.Event:
        return self._event


class WorkerSignals(QObject):
    started = Signal()
    yielded = Signal(object)
    returned = Signal(object)
    errored = Signal(object)  # the exception, with .traceback_text for logs
    cancelled = Signal()
    finished = Signal()


class GeneratorWorker(QRunnable):
    """Runs ``func(cancel_token, *args, **kwargs)``.

    A generator function reports progress by yielding; a plain function that takes a progress
    callback instead (like the core's batch runner) names its keyword in ``progress_kwarg`` and
    gets a thread-safe callable that emits ``yielded``.
    """

    def __init__(self, func: Callable[..., Generator[Any, None, Any] | Any], *args: Any,
                 progress_kwarg: str | None = None, **kwargs: Any) -> None:
        super().__init__()
        self.setAutoDelete(False)  # Python owns it; _LIVE keeps it alive until finished
        self.cancel_token = CancelToken()
        self.signals = WorkerSignals()
        if progress_kwarg is not None:
            kwargs[progress_kwarg] = self.signals.yielded.emit
        self._func, self._args, self._kwargs = func, args, kwargs
        self._done = threading.Event()
        _LIVE.add(self)
        self.signals.finished.connect(self._forget)

    def cancel(self) -> None:
        self.cancel_token.cancel()

    @property
    def is_cancelled(self) -> bool:
        return self.cancel_token()

    def is_done(self) -> bool:
        return self._done.is_set()

    def _forget(self) -> None:
        _LIVE.discard(self)

    def run(self) -> None:
        sig = self.signals
        try:
            if self.is_cancelled:  # cancelled while still queued
                sig.cancelled.emit()
                return
            sig.started.emit()
            out = self._func(self.cancel_token, *self._args, **self._kwargs)
            if isinstance(out, Generator):
                try:
                    while True:
                        value = next(out)
                        if self.is_cancelled:
                            out.close()
                            raise Cancelled()
                        sig.yielded.emit(value)
                except StopIteration as stop:
                    out = stop.value
            sig.returned.emit(out)  # a job that returns despite a cancel has its own say (a batch report)
        except Exception as exc:  # noqa: BLE001 - every failure must reach the UI, not the console
            if isinstance(exc, Cancelled):
                sig.cancelled.emit()
            else:
                exc.traceback_text = traceback.format_exc()  # type: ignore[attr-defined]
                sig.errored.emit(exc)
        finally:
            self._done.set()
            sig.finished.emit()


def new_pool(threads: int, parent: QObject | None = None) -> QThreadPool:
    pool = QThreadPool(parent)
    pool.setMaxThreadCount(threads)
    pool.setExpiryTimeout(5000)
    return pool


def wait_for_pool(pool: QThreadPool, timeout_ms: int = 30000) -> bool:
    """Block until the pool's jobs end, then deliver their queued signals; False on timeout."""
    done = pool.waitForDone(QDeadlineTimer(timeout_ms))
    QCoreApplication.processEvents()
    return done


def wait_until(done: Callable[[], bool], signal, timeout_ms: int) -> bool:
    """Run a local event loop until ``done()`` holds, re-checked whenever ``signal`` fires, or until
    the timeout; True if done. For scripted runs (``--screenshot``, benchmarks): it sleeps in the
    event loop instead of spinning, so the workers get the CPU."""
    if done():
        return True
    loop = QEventLoop()

    def check(*_args) -> None:
        if done():
            loop.quit()

    signal.connect(check)
    QTimer.singleShot(timeout_ms, loop.quit)
    loop.exec()
    signal.disconnect(check)
    return done()
