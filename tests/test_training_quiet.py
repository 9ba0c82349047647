"""Quiet consoles: TensorFlow's C++ notices hidden from `python -m training`, real errors kept."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from training.quiet import is_noise

REPO = Path(__file__).resolve().parents[1]
NOTICES = [
    "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR",
    "I0000 00:00:1795705038.838719   29088 port.cc:153] oneDNN custom operations are on. You may see ...",
    "E0000 00:00:1795705038.838719   29088 meta_optimizer.cc:967] remapper failed: INVALID_ARGUMENT: Mutation::Apply",
]


def _env_without_log_level() -> dict:
    return {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}


def test_notices_are_noise_and_errors_are_not():
    assert all(is_noise(line) for line in NOTICES)
    for kept in ("E0000 00:00:1795705038.8 123 cuda_driver.cc:1] failed call to cuInit: no device",
                 "Traceback (most recent call last):", "error: --data: no such folder", "data: 6 pairs from x"):
        assert not is_noise(kept)


def test_the_filter_hides_notices_and_passes_errors_through_descriptor_2():
    code = ("import os\nfrom training import quiet\nquiet.install()\n"
            + "".join(f"os.write(2, {(line + chr(10)).encode()!r})\n" for line in NOTICES)
            + "os.write(2, b'real error\\n')\nimport sys; print('python error', file=sys.stderr)\n")
    res = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=_env_without_log_level(), capture_output=True,
                         text=True, timeout=120)
    assert res.returncode == 0
    assert res.stderr.splitlines() == ["real error", "python error"]


@pytest.mark.slow
def test_a_training_run_prints_no_tensorflow_notices(faces_dir, tmp_path):
    res = subprocess.run([sys.executable, "-m", "training", "pix2pix", "--data", str(faces_dir), "--split", "test",
                          "--limit", "4", "--image-size", "64", "--ngf", "4", "--ndf", "4", "--batch-size", "2",
                          "--max-steps", "2", "--cache-dir", str(tmp_path / "cache"), "--run-dir", str(tmp_path / "r")],
                         cwd=REPO, env=_env_without_log_level(), capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr[-3000:]
    assert not [line for line in res.stderr.splitlines() if is_noise(line)], res.stderr[-3000:]
    assert "finished at step 2/2" in res.stdout
