"""Optional wall-clock timing of the pipeline's stages, for ``benchmarks/batch.py``.

Off by default: ``stage(name)`` then costs one global read. ``with collect() as times:`` turns it
on for the whole process (every thread) until the block ends; ``times.summary()`` gives, per
stage, the number of calls and the total and median seconds, ``times.cpu_summary()`` the same for
the process's CPU time (every thread's: meaningful when one stage runs at a time, as in a
sequential loop, where it also counts onnxruntime's worker threads and is not inflated by waiting
for a core on a busy machine).
"""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager


class StageTimes:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.seconds: dict[str, list[float]] = {}
        self.cpu_seconds: dict[str, list[float]] = {}

    def add(self, name: str, seconds: float, cpu_seconds: float = 0.0) -> None:
        with self._lock:
            self.seconds.setdefault(name, []).append(seconds)
            self.cpu_seconds.setdefault(name, []).append(cpu_seconds)

    def summary(self) -> dict[str, tuple[int, float, float]]:
        """stage -> (calls, total s, median s), in the order the stages first ran."""
        with self._lock:
            return {name: (len(s), sum(s), statistics.median(s)) for name, s in self.seconds.items()}

    def cpu_summary(self) -> dict[str, tuple[int, float, float]]:
        """stage -> (calls, total CPU s, median CPU s) of the process."""
        with self._lock:
            return {name: (len(s), sum(s), statistics.median(s)) for name, s in self.cpu_seconds.items()}


_active: StageTimes | None = None


@contextmanager
def stage(name: str) -> Iterator[None]:
    times = _active
    if times is None:
        yield
        return
    started, cpu = time.perf_counter(), time.process_time()
    try:
        yield
    finally:
        times.add(name, time.perf_counter() - started, time.process_time() - cpu)


@contextmanager
def collect() -> Iterator[StageTimes]:
    global _active
    times = StageTimes()
    previous, _active = _active, times
    try:
        yield times
    finally:
        _active = previous
