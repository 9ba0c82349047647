"""Quiet consoles for `python -m training` and `python -m export`: TensorFlow's C++ notices hidden.

TensorFlow and XLA log through absl's C++ logging straight to file descriptor 2, at import and when
Grappler optimises a graph: "oneDNN custom operations are on", "All log messages before
absl::InitializeLog() ...", and an error-looking "remapper failed: INVALID_ARGUMENT: Mutation::Apply"
that is harmless (Grappler skips one optimisation) and that no user can act on. TF_CPP_MIN_LOG_LEVEL
does not reach all of them, so ``install`` puts a filter on descriptor 2: a pipe whose reader thread
passes every line on except those notices (info and warning lines in absl's format, and the
remapper line). Real errors (other E/F lines, Python tracebacks, our own messages) pass.

Skipped with ``--verbose``, or when the user set TF_CPP_MIN_LOG_LEVEL themselves.
"""

from __future__ import annotations

import atexit
import logging
import os
import re
import sys
import threading

NOISE = re.compile(
    r"^(WARNING: All log messages before absl::InitializeLog\(\) is called"
    r"|[IW]\d{4} \d\d:\d\d:\d+\.\d+\s+\d+ "  # absl C++ info / warning lines
    r"|E\d{4} \d\d:\d\d:\d+\.\d+\s+\d+ meta_optimizer\.cc:\d+\] remapper failed)")

_installed: dict = {}


def is_noise(line: str) -> bool:
    return NOISE.match(line) is not None


def install(verbose: bool = False) -> bool:
    """Filter descriptor 2 for the rest of the process; returns whether the filter is on."""
    if verbose or _installed or "TF_CPP_MIN_LOG_LEVEL" in os.environ:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "0" if verbose else "2")
        return bool(_installed)
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"
    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    try:
        sys.stderr.flush()
        original = os.dup(2)
        read_fd, write_fd = os.pipe()
        os.dup2(write_fd, 2)
        os.close(write_fd)
    except OSError:  # no descriptor 2 (a GUI launcher): nothing to filter
        return False

    def pump() -> None:
        with os.fdopen(read_fd, "rb") as source:
            for raw in source:
                if not is_noise(raw.decode("utf-8", "replace")):
                    os.write(original, raw)

    thread = threading.Thread(target=pump, name="quiet-stderr", daemon=True)
    thread.start()
    _installed.update(original=original, thread=thread)
    atexit.register(uninstall)
    return True


def console():
    """Where our own progress lines go: the real standard error while the filter is on (so a terminal
    is seen as one, and a line is not held back until the filter's next newline), else sys.stderr."""
    if not _installed:
        return sys.stderr
    if "console" not in _installed:
        _installed["console"] = os.fdopen(os.dup(_installed["original"]), "w", buffering=1,
                                          encoding=sys.stderr.encoding or "utf-8", errors="replace")
    return _installed["console"]


def uninstall() -> None:
    """Put descriptor 2 back and let the reader pass on what is left in the pipe."""
    if not _installed:
        return
    try:
        sys.stderr.flush()
    except (OSError, ValueError):
        pass
    os.dup2(_installed["original"], 2)  # closes the pipe's last write end: the reader sees EOF
    _installed["thread"].join(timeout=2.0)
    _installed.clear()
