"""Read a file only when it is a regular file of bounded size: what a folder of pages may hold
besides pages (a named pipe, a link to /dev/zero) must neither hang a batch nor fill the memory.

A pipe is opened without blocking (O_NONBLOCK: open() on a pipe waits for a writer otherwise) and
refused after ``fstat`` says what it is; a link is followed, and refused unless it leads to a
regular file. The size is checked before reading, and a file that grows while read stops at the cap.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path

HEAD_BYTES = 64 * 1024  # enough for the header of every format the app reads (TIFF's may be at the end)
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_BINARY", 0)


class NotARegularFileError(OSError):
    """A pipe, device, socket or folder where a file was expected; ``str()`` says which."""


class FileTooLargeError(OSError):
    """A file above the size cap; ``size`` and ``limit`` in bytes."""

    def __init__(self, size: int, limit: int):
        super().__init__(f"{size:,} bytes is more than the {limit:,} byte limit")
        self.size, self.limit = size, limit


def kind_of(mode: int) -> str:
    """What a file of this ``st_mode`` is, in words ("a named pipe", "a device", ...)."""
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISDIR(mode):
        return "a folder"
    return "a regular file" if stat.S_ISREG(mode) else "a special file"


def not_regular_reason(path: Path) -> str | None:
    """Why ``path`` is no regular file (links followed), for a listing; None when it is one.
    Only looks (stat), never opens: a pipe is not touched."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return "a link to nothing (its target is missing)" if path.is_symlink() else "gone (deleted while listed)"
    except OSError as exc:  # a link loop, a name too long, no access
        return f"cannot be looked at ({exc.strerror or exc})"
    if stat.S_ISREG(mode):
        return None
    what = kind_of(mode)
    if path.is_symlink():
        what = f"a link to {what} ({os.path.realpath(path)})"
    return f"{what}, not a file: only regular files are read"


def read_regular_file(path: str | os.PathLike, max_bytes: int,
                      check_head: Callable[[bytes], None] | None = None) -> bytes:
    """The bytes of a regular file of at most ``max_bytes``.

    ``check_head(first_bytes)`` runs before the rest is read (e.g. to refuse an image by its
    header) and may raise. Raises NotARegularFileError, FileTooLargeError or the OSError of open().
    """
    fd = os.open(path, _OPEN_FLAGS)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise NotARegularFileError(f"{kind_of(st.st_mode)}, not a file")
        if st.st_size > max_bytes:
            raise FileTooLargeError(st.st_size, max_bytes)
        if check_head is not None:
            check_head(os.pread(fd, HEAD_BYTES, 0) if hasattr(os, "pread") else _read_head(fd))
        with open(fd, "rb", closefd=False) as fh:
            fh.seek(0)
            data = fh.read(st.st_size + 1)  # one byte more: a file that grew since fstat shows it
            if len(data) > st.st_size:
                data += fh.read(max_bytes + 1 - len(data))
                if len(data) > max_bytes:
                    raise FileTooLargeError(len(data), max_bytes)
        return data
    finally:
        os.close(fd)


def _read_head(fd: int) -> bytes:
    os.lseek(fd, 0, os.SEEK_SET)
    return os.read(fd, HEAD_BYTES)
