"""One training run per run folder: a second run is refused while the first process lives, and a
lock left by a killed run is taken over. Real processes: the OS file lock is what is tested."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from training.errors import TrainingError
from training.run_lock import LOCK_FILE, RunLock

REPO = Path(__file__).resolve().parents[1]
HOLD = """
import sys, time
from training.run_lock import RunLock
lock = RunLock(sys.argv[1]); lock.acquire()
print("held", flush=True)
time.sleep(600)
"""


def _holder(run: Path) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(run)], cwd=REPO, stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "held"
    return proc


def test_a_second_training_on_a_folder_in_use_stops_at_once(faces_dir, tmp_path):
    run = tmp_path / "run"
    holder = _holder(run)
    try:
        res = subprocess.run([sys.executable, "-m", "training", "pix2pix", "--data", str(faces_dir), "--split", "test",
                              "--limit", "4", "--image-size", "64", "--ngf", "4", "--ndf", "4", "--max-steps", "1",
                              "--cache-dir", str(tmp_path / "cache"), "--run-dir", str(run)],
                             cwd=REPO, capture_output=True, text=True, timeout=600)
        assert res.returncode == 2, res.stderr[-2000:]
        assert f"in use by another training run (PID {holder.pid} on" in res.stderr
        assert "Traceback" not in res.stderr
        assert not (run / "config.json").exists()  # nothing of the first run was touched
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()


def test_a_lock_left_by_a_killed_run_is_taken_over(tmp_path):
    run = tmp_path / "run"
    holder = _holder(run)
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    assert json.loads((run / LOCK_FILE).read_text())["pid"] == holder.pid  # left behind
    notes = []
    with RunLock(run, notes.append):
        assert json.loads((run / LOCK_FILE).read_text())["pid"] == os.getpid()
        with pytest.raises(TrainingError, match=f"PID {os.getpid()}"):
            RunLock(run).acquire()  # a second acquisition, even in this process, is refused
    assert notes and f"PID {holder.pid}" in notes[0] and "gone" in notes[0]
    with RunLock(run, notes.append):  # released: free again, with no takeover notice
        pass
    assert len(notes) == 1
