"""`python -m export` talks plainly: TensorFlow's C++ notices hidden (training/quiet.py), numbered stages,
progress for the parity probes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from _keras_generators import write_run_dir

from training.architecture import Architecture
from training.quiet import is_noise

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_an_export_prints_no_tensorflow_notices_and_shows_its_stages(faces_dir, tmp_path):
    arch = Architecture(image_size=16, ngf=4, ndf=4, depth=4, upsample="resize", padding="reflect")
    run = write_run_dir(tmp_path / "run", arch.build_generator(), approach="pix2pix", norm="batch",
                        upsample="resize", padding="reflect", depth=4, ngf=4, data_dir=faces_dir)
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    res = subprocess.run([sys.executable, "-m", "export", str(run), "--name", "quiet", "--out-dir", str(tmp_path / "m"),
                          "--raw-graph"], cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr[-3000:] + res.stdout[-2000:]
    assert not [line for line in res.stderr.splitlines() if is_noise(line)], res.stderr[-3000:]
    assert "[1/2] converting with tf2onnx" in res.stdout and "[2/2] parity" in res.stdout
    assert "parity: 4/4 probes in" in res.stderr
    assert (tmp_path / "m" / "quiet.onnx").is_file()
