"""One training run per run folder: RUN/.lock, held with an OS file lock for the life of the process
(ganime_desktop/core/folder_lock.py, which a batch also uses for its output folder).

The operating system releases the lock when the process ends, however it ends (Ctrl+C, kill -9, a
crash), so a lock is never stale: a second run finds it held exactly while the first process lives.
A lock file left by a process that is gone is taken over with a one-line notice.
"""

from __future__ import annotations

import os

from ganime_desktop.core.folder_lock import FolderInUseError, FolderLock
from training.errors import TrainingError

LOCK_FILE = ".lock"


class RunLock(FolderLock):
    """``with RunLock(run_dir, log):`` for the whole of a training run."""

    def __init__(self, run_dir: str | os.PathLike, log=print):
        super().__init__(run_dir, LOCK_FILE, log)

    def acquire(self) -> None:
        try:
            super().acquire()
        except FolderInUseError as exc:
            raise TrainingError(
                f"{exc.folder} is in use by another training run ({exc.holder}). Wait for it to "
                f"finish or stop it (Ctrl+C saves a checkpoint), then run this command again to resume; or give "
                f"this run another --run-dir.") from None
