"""One process at a time in a folder: FOLDER/<lock file>, held with an OS file lock for the life of
the process. Training locks its run folder with it (training/run_lock.py), a batch its output
folder (core/batch.py).

The operating system releases the lock when the process ends, however it ends (Ctrl+C, kill -9, a
crash), so a lock is never stale: a second process finds it held exactly while the first lives.
The file also records who holds it (PID, host, start time, command) for the message; that record
is best effort (a full disk still locks). A lock file left by a process that is gone is taken
over with a one-line notice. With ``remove=True`` (a batch's output folder, which belongs to the
user) the file is deleted on release, so it is there only while a process holds it (or after a
kill -9, until the next run); a process that locked a file just deleted locks the new one.

POSIX: fcntl.flock; Windows: msvcrt.locking on the file's first byte.
"""

from __future__ import annotations

import json
import os
import socket
import sys
import time
from collections.abc import Callable
from pathlib import Path

from .errors import GanimeError


class FolderInUseError(GanimeError):
    """Another live process holds the folder's lock; ``holder`` describes it ("PID 12 on host, ...")."""

    def __init__(self, folder: Path, holder: str):
        super().__init__(f"{folder} is in use by another process ({holder})")
        self.folder, self.holder = folder, holder


def _try_lock(fd: int) -> bool:
    try:
        if os.name == "nt":
            import msvcrt

            os.lseek(fd, 0, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        else:
            import fcntl

            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


def describe_holder(info: dict) -> str:
    started = info.get("started")
    when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(started)) if isinstance(started, int | float) else "?"
    return f"PID {info.get('pid', '?')} on {info.get('host', '?')}, started {when}"


class FolderLock:
    """``with FolderLock(folder, ".lock", log):`` around the work; FolderInUseError while another
    process holds it, OSError when the lock file cannot be created (a read-only folder)."""

    def __init__(self, folder: str | os.PathLike, file_name: str, log: Callable[[str], object] = print, *,
                 remove: bool = False):
        self.path = Path(folder) / file_name
        self.log = log
        self.remove = remove
        self._fd: int | None = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            if not _try_lock(fd):
                holder = self._read(fd)
                os.close(fd)
                raise FolderInUseError(self.path.parent, describe_holder(holder))
            if self._names(fd):
                break
            os.close(fd)  # its holder deleted it between our open and our lock: lock the new file
        previous = self._read(fd)
        if previous.get("pid") and previous.get("pid") != os.getpid():
            self.log(f"note: taking over the lock of a process that is gone ({describe_holder(previous)})")
        info = {"pid": os.getpid(), "host": socket.gethostname(), "started": int(time.time()),
                "command": " ".join(sys.argv)}
        try:
            os.ftruncate(fd, 0)
            os.lseek(fd, 0, os.SEEK_SET)
            os.write(fd, (json.dumps(info) + "\n").encode("utf-8", "backslashreplace"))
            os.fsync(fd)
        except OSError:  # a full disk: the OS lock holds without the record; messages say "PID ?"
            pass
        self._fd = fd

    def _names(self, fd: int) -> bool:
        """Whether the open file is still the one the lock file's name leads to."""
        try:
            named = os.stat(self.path)
        except FileNotFoundError:
            return False
        opened = os.fstat(fd)
        return (named.st_dev, named.st_ino) == (opened.st_dev, opened.st_ino)

    @staticmethod
    def _read(fd: int) -> dict:
        os.lseek(fd, 0, os.SEEK_SET)
        try:
            data = json.loads(os.read(fd, 65536).decode("utf-8", "replace") or "{}")
        except ValueError:
            return {}
        return data if isinstance(data, dict) else {}

    def release(self) -> None:
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        try:
            if self.remove and os.name != "nt":
                self.path.unlink(missing_ok=True)  # while still locked: a waiting process re-checks the name
            else:
                os.ftruncate(fd, 0)  # an empty file says nobody holds it
        except OSError:
            pass
        finally:
            os.close(fd)  # the OS lock goes with the descriptor
        if self.remove and os.name == "nt":
            try:  # Windows deletes no open file: this fails while another process has it open
                self.path.unlink(missing_ok=True)
            except OSError:
                pass

    def __enter__(self):
        self.acquire()
        return self

    def __exit__(self, *exc):
        self.release()
