"""One training run per run folder: RUN/.lock, held with an OS file lock for the life of the process.

The operating system releases the lock when the process ends, however it ends (Ctrl+C, kill -9, a
crash), so a lock is never stale: a second run finds it held exactly while the first process lives.
The file also records who holds it (PID, host, start time, command) for the message. A lock file
left by a process that is gone is taken over with a one-line notice.

POSIX: fcntl.flock; Windows: msvcrt.locking on the file's first byte.
"""

from __future__ import annotations

import json
import os
import socket
import sys
import time
from pathlib import Path

from training.errors import TrainingError

LOCK_FILE = ".lock"


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


def _describe(info: dict) -> str:
    started = info.get("started")
    when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(started)) if isinstance(started, int | float) else "?"
    return f"PID {info.get('pid', '?')} on {info.get('host', '?')}, started {when}"


class RunLock:
    """``with RunLock(run_dir, log):`` for the whole of a training run."""

    def __init__(self, run_dir: str | os.PathLike, log=print):
        self.path = Path(run_dir) / LOCK_FILE
        self.log = log
        self._fd: int | None = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        if not _try_lock(fd):
            holder = self._read(fd)
            os.close(fd)
            raise TrainingError(
                f"{self.path.parent} is in use by another training run ({_describe(holder)}). Wait for it to "
                f"finish or stop it (Ctrl+C saves a checkpoint), then run this command again to resume; or give "
                f"this run another --run-dir.")
        previous = self._read(fd)
        if previous.get("pid") and previous.get("pid") != os.getpid():
            self.log(f"note: taking over the lock of a run that is gone ({_describe(previous)})")
        info = {"pid": os.getpid(), "host": socket.gethostname(), "started": int(time.time()),
                "command": " ".join(sys.argv)}
        os.ftruncate(fd, 0)
        os.lseek(fd, 0, os.SEEK_SET)
        os.write(fd, (json.dumps(info) + "\n").encode())
        os.fsync(fd)
        self._fd = fd

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
        try:  # an empty file says nobody holds it; the OS lock goes with the descriptor
            os.ftruncate(self._fd, 0)
        finally:
            os.close(self._fd)
            self._fd = None

    def __enter__(self):
        self.acquire()
        return self

    def __exit__(self, *exc):
        self.release()
