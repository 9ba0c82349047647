"""core.registry and core.paths: model folders read into entries; missing, damaged and broken
models are reported with a reason and never stop the others."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import numpy as np
import pytest
from _onnx_models import make_model_dir

from ganime_desktop.core import paths, registry
from ganime_desktop.core.pipeline import Colorizer, ColorizerCache, ModelLoadError
from ganime_desktop.core.registry import ModelRegistry, UnknownModelError, default_registry


@pytest.fixture
def models(tmp_path) -> Path:
    return make_model_dir(tmp_path / "models", names=("tiny-a", "tiny-b", "tiny-c"))


def _flip_bytes(path: Path, offset: int = -64) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0xFF
    path.write_bytes(bytes(data))


def test_reads_every_model_of_a_folder(models):
    reg = ModelRegistry([models])
    assert reg.names() == ["tiny-a", "tiny-b", "tiny-c"]
    entry = reg.get("tiny-b")
    assert entry.available and entry.reason is None and entry.source == "user"
    assert entry.spec.file_path("generator") == models / "tiny-b.onnx"
    assert [e.name for e in reg.defaults()] == ["tiny-a"]


def test_unknown_name_lists_the_known_ones(models):
    with pytest.raises(UnknownModelError) as err:
        ModelRegistry([models]).get("nope")
    assert "nope" in str(err.value) and "tiny-a" in str(err.value)


def test_missing_and_damaged_models_leave_the_others_working(models):
    (models / "tiny-a.onnx").unlink()
    _flip_bytes(models / "tiny-b.onnx")  # same size, different content: only sha256 can tell
    reg = ModelRegistry([models])

    missing = reg.get("tiny-a")
    assert not missing.available and "missing" in missing.reason and "tiny-a.onnx" in missing.reason
    assert reg.get("tiny-b").available  # the cheap check passes...
    damaged = reg.verify("tiny-b")  # ...the sha256 check does not
    assert not damaged.available and damaged.reason.startswith("sha256 mismatch")
    assert not reg.get("tiny-b").available
    assert reg.verify("tiny-c").available
    assert [e.name for e in reg.available()] == ["tiny-c"]
    assert [e.name for e in reg.defaults()] == ["tiny-c"]  # the marked default is gone: first usable

    cache = ColorizerCache(reg)
    with pytest.raises(ModelLoadError, match="sha256 mismatch"):
        cache.get("tiny-b")
    with pytest.raises(ModelLoadError, match="missing"):
        cache.get("tiny-a")
    out = cache.get("tiny-c", "cpu").colorize(np.full((20, 30, 3), 255, np.uint8))
    assert out.shape == (20, 30, 3)


def test_truncated_file_is_caught_without_hashing(models):
    path = models / "tiny-c.onnx"
    path.write_bytes(path.read_bytes()[:100])
    entry = ModelRegistry([models]).get("tiny-c")
    assert not entry.available and "damaged" in entry.reason


def test_sha256_is_cached_per_file_version(models):
    reg = ModelRegistry([models])
    assert reg.verify("tiny-a").available
    path = (models / "tiny-a.onnx").resolve()
    st = path.stat()
    assert registry._HASH_CACHE[(str(path), st.st_size, st.st_mtime_ns)] == reg.get("tiny-a").spec.files[
        "generator"].sha256
    # A new version of the file (new mtime) is hashed again and caught.
    _flip_bytes(path)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))  # coarse clocks: make it differ
    assert not ModelRegistry([models]).verify("tiny-a").available


def test_broken_manifest_makes_only_its_models_unavailable(tmp_path):
    good = make_model_dir(tmp_path / "good", names=("tiny-a",))
    invalid = make_model_dir(tmp_path / "invalid", names=("tiny-b",))
    data = json.loads((invalid / "manifest.json").read_text())
    data["models"][0]["kind"] = "teleporter"
    (invalid / "manifest.json").write_text(json.dumps(data))
    garbage = tmp_path / "garbage"
    garbage.mkdir()
    (garbage / "manifest.json").write_text("{ not json")

    reg = ModelRegistry([good, invalid, garbage])
    assert reg.get("tiny-a").available
    broken = reg.get("tiny-b")
    assert not broken.available and "teleporter" in broken.reason and broken.spec is None
    assert len(reg.problems) == 2 and any("garbage" in p for p in reg.problems)


def test_folder_without_manifest_is_simply_empty(tmp_path):
    reg = ModelRegistry([tmp_path / "does-not-exist", tmp_path])
    assert reg.entries() == [] and reg.problems == [] and reg.defaults() == []


def test_later_folders_override_earlier_ones(tmp_path):
    first = make_model_dir(tmp_path / "first", names=("tiny-a",))
    second = make_model_dir(tmp_path / "second", names=("tiny-a",))
    assert ModelRegistry([first, second]).get("tiny-a").spec.base_dir == second


def test_user_data_dir_per_os(monkeypatch, tmp_path):
    monkeypatch.delenv(paths.DATA_DIR_ENV, raising=False)
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert paths.user_data_dir() == tmp_path / "xdg" / "ganime-studio"
    monkeypatch.delenv("XDG_DATA_HOME")
    assert paths.user_data_dir() == Path.home() / ".local" / "share" / "ganime-studio"
    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setenv("APPDATA", str(tmp_path / "Roaming"))
    assert paths.user_data_dir() == tmp_path / "Roaming" / "GANime Studio"
    monkeypatch.setattr(sys, "platform", "darwin")
    assert paths.user_data_dir() == Path.home() / "Library" / "Application Support" / "GANime Studio"
    monkeypatch.setenv(paths.DATA_DIR_ENV, str(tmp_path / "portable"))
    assert paths.user_data_dir() == tmp_path / "portable"
    assert paths.user_models_dir() == tmp_path / "portable" / "models"


def test_shipped_models_dir_in_repo_and_frozen(monkeypatch, tmp_path):
    repo = Path(__file__).resolve().parents[1]
    assert paths.shipped_models_dir() == repo / "assets" / "models"
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    assert paths.shipped_models_dir() == tmp_path / "assets" / "models"


def test_default_registry_reads_user_and_env_folders(monkeypatch, tmp_path):
    monkeypatch.setenv(paths.DATA_DIR_ENV, str(tmp_path / "data"))
    make_model_dir(tmp_path / "data" / "models", names=("tiny-a",))
    make_model_dir(tmp_path / "extra", names=("tiny-b",))
    monkeypatch.setenv(paths.MODELS_DIR_ENV, str(tmp_path / "extra"))
    reg = default_registry()
    assert {"tiny-a", "tiny-b"} <= set(reg.names())
    assert reg.get("tiny-a").source == "user"
    assert isinstance(Colorizer(reg.verify("tiny-b"), "cpu"), Colorizer)
