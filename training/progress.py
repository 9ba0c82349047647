"""Progress with an ETA for the long loops of evaluation, export and the sketch cache's first fill.

One line per task on standard error (standard output stays for results: ``evaluate`` prints its
table there; with training/quiet.py's filter on, the real standard error): on a terminal the line is redrawn in place, elsewhere (a log file, CI) a line is
written every ``LOG_INTERVAL`` seconds and at the end, so logs stay short.

    with Progress(len(pairs), "pix2pix-tv", unit="image") as bar:
        for pair in pairs:
            ...
            bar.update()

prints ``pix2pix-tv: 12/100 images (12 %), 3.1 images/s, ETA 28 s`` and finally
``pix2pix-tv: 100/100 images in 32 s``. The training loops keep Keras' Progbar (losses beside the bar).
"""

from __future__ import annotations

import time
from typing import TextIO

from training import quiet

TTY_INTERVAL = 0.2  # seconds between redraws on a terminal
LOG_INTERVAL = 10.0  # seconds between lines elsewhere


def format_seconds(seconds: float) -> str:
    """12 s, 3 min 05 s, 1 h 02 min."""
    seconds = max(0, int(round(seconds)))
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


class Progress:
    """Done/total, rate and ETA of one task; ``update`` after each item (or ``n`` items)."""

    def __init__(self, total: int, label: str, *, unit: str = "image", stream: TextIO | None = None,
                 enabled: bool = True):
        self.total = max(0, int(total))
        self.label = label
        self.unit = unit
        self.stream = stream if stream is not None else quiet.console()
        self.enabled = enabled and self.total > 0
        self.done = 0
        self.detail = ""
        self._start = time.perf_counter()
        self._last = -float("inf")
        self._tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self._width = 0
        self._closed = False

    def _units(self, n: int) -> str:
        if n == 1:
            return self.unit
        return self.unit + ("es" if self.unit.endswith(("s", "x", "ch", "sh")) else "s")

    def line(self) -> str:
        """The current progress line (without redraw characters)."""
        elapsed = time.perf_counter() - self._start
        head = f"{self.label}: {self.done}/{self.total} {self._units(self.total)}"
        if self.done >= self.total:
            return f"{head} in {format_seconds(elapsed)}" + (f" ({self.detail})" if self.detail else "")
        text = f"{head} ({100 * self.done // self.total} %)"
        if self.done and elapsed > 0:
            rate = self.done / elapsed
            shown = f"{rate:.1f} {self._units(2)}/s" if rate >= 1 else f"{1 / rate:.1f} s/{self.unit}"
            text += f", {shown}, ETA {format_seconds((self.total - self.done) / rate)}"
        return text + (f", {self.detail}" if self.detail else "")

    def _write(self, final: bool = False) -> None:
        text = self.line()
        if self._tty:
            pad = " " * max(0, self._width - len(text))
            self.stream.write(f"\r{text}{pad}" + ("\n" if final else ""))
            self._width = len(text)
        else:
            self.stream.write(text + "\n")
        self.stream.flush()

    def update(self, n: int = 1, detail: str | None = None) -> None:
        self.done = min(self.total, self.done + n)
        if detail is not None:
            self.detail = detail
        if not self.enabled or self._closed:
            return
        if self.done >= self.total:
            self.close()
            return
        now = time.perf_counter()
        if now - self._last >= (TTY_INTERVAL if self._tty else LOG_INTERVAL):
            self._last = now
            self._write()

    def clear(self) -> None:
        """Take the redrawn line off a terminal before other output (the next update draws it again)."""
        if self._tty and self._width and not self._closed:
            self.stream.write("\r" + " " * self._width + "\r")
            self.stream.flush()
            self._width = 0
            self._last = -float("inf")

    def close(self) -> None:
        """The final line (once), whether or not every item was done."""
        if self.enabled and not self._closed:
            self._closed = True
            self._write(final=True)

    def __enter__(self) -> Progress:
        if self.enabled and self._tty:
            self._last = time.perf_counter()
            self._write()
        return self

    def __exit__(self, *exc) -> None:
        if exc[0] is None:
            self.close()
        elif self.enabled and self._tty and not self._closed:  # leave the line, end it
            self._closed = True
            self.stream.write("\n")
            self.stream.flush()
