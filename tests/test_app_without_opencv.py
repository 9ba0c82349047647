"""The app runs without OpenCV, as in the bundle (build.spec excludes cv2; only training and export
use it): every ganime_desktop module imports with ``import cv2`` made to fail, and the shipped
models colour the sample sketch through the core pipeline, written and read back as PNG and JPEG.
A subprocess, because this one has cv2 loaded (the tests and training use it)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ganime_desktop.core.manifest import load_manifest

REPO = Path(__file__).resolve().parents[1]
MANIFEST = REPO / "assets" / "models" / "manifest.json"

SCRIPT = """
import importlib, pkgutil, sys
from pathlib import Path

sys.modules["cv2"] = None  # from here on, "import cv2" raises ImportError
import numpy as np
import ganime_desktop

modules = [m.name for m in pkgutil.walk_packages(ganime_desktop.__path__, "ganime_desktop.")]
for name in modules:
    importlib.import_module(name)
assert {"ganime_desktop.cli", "ganime_desktop.core.pipeline", "ganime_desktop.ui.main_window"} <= set(modules)

from ganime_desktop.core.imageio import read_image, write_image_atomic
from ganime_desktop.core.manifest import load_manifest
from ganime_desktop.core.pipeline import Colorizer
from ganime_desktop.selftest import colourful_reference, coloured_fraction, sample_sketch_path

manifest, out_dir = Path(sys.argv[1]), Path(sys.argv[2])
sketch = read_image(sample_sketch_path())
for spec in load_manifest(manifest):
    reference = colourful_reference() if spec.kind == "style-transfer" else None
    out = Colorizer(spec, device="cpu").colorize(sketch, reference=reference)
    assert out.shape == sketch.shape and out.dtype == np.uint8, (spec.name, out.shape, out.dtype)
    assert np.abs(out.astype(int) - sketch).mean() > 3 and coloured_fraction(out) > 0.05, spec.name
    np.testing.assert_array_equal(read_image(write_image_atomic(out_dir / f"{spec.name}.png", out)), out)
    assert read_image(write_image_atomic(out_dir / f"{spec.name}.jpg", out)).shape == out.shape
    print("coloured without cv2:", spec.name)
"""


@pytest.mark.skipif(not MANIFEST.is_file(), reason="no shipped models in assets/models")
def test_app_imports_and_colours_with_opencv_blocked(tmp_path):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "GANIME_DATA_DIR": str(tmp_path / "data")}
    env.pop("GANIME_MODELS_DIR", None)
    done = subprocess.run([sys.executable, "-c", SCRIPT, str(MANIFEST), str(tmp_path)], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count("coloured without cv2:") == len(load_manifest(MANIFEST)), done.stdout
