"""Shared test setup: Qt offscreen, quiet TensorFlow, paths to the real data in ../shared, and the
PyInstaller bundle built once per session."""

import os
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import pytest  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


def _shared_data(name: str) -> Path:
    path = SHARED_DATA / name
    if not path.is_dir():
        pytest.skip(f"real data not found at {path}")
    return path


@pytest.fixture(scope="session")
def faces_dir() -> Path:
    return _shared_data("anime-faces")


@pytest.fixture(scope="session")
def fullbody_dir() -> Path:
    return _shared_data("anime-fullbody")


@pytest.fixture(scope="session")
def real_pairs_dir() -> Path:
    """Real sketches with their true colours (issue 29)."""
    return _shared_data("sketch-pairs-real")


@pytest.fixture(scope="session")
def bundle() -> Path:
    """dist/ganime, built once per session (or reused when fresh): the frozen-app tests
    (test_bundle.py) and the installer tests (test_packaging.py) share it. Slow the first time."""
    from _bundle import build_or_reuse

    return build_or_reuse()
