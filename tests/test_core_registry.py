"""core.registry and core.paths: model folders read into entries; missing, damaged and broken
models are reported with a reason and never stop the others; a generator with an int8 CPU file
stays usable while either of its two files is intact (the CPU package lacks the float one)."""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest
from _onnx_models import TINTS, make_generator_onnx, make_model_dir, with_int8_file

from ganime_desktop.core import paths, registry
from ganime_desktop.core.manifest import CPU_INT8_ROLE, MANIFEST_NAME, load_manifest, write_manifest
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
    # the bad entry is refused on its own (its reason above); only the unreadable file is a folder problem
    assert len(reg.problems) == 1 and "garbage" in reg.problems[0]


def test_one_bad_entry_in_a_user_manifest_is_refused_alone(tmp_path):
    """A path out of the folder in one entry, and an entry without a name: the folder's other
    models load, the bad one is greyed out with its own reason, the nameless one is a problem."""
    folder = make_model_dir(tmp_path / "user", names=("tiny-a", "tiny-b"))
    manifest = folder / MANIFEST_NAME
    data = json.loads(manifest.read_text())
    evil = json.loads(json.dumps(data["models"][0]))
    evil.update(name="evil", display_name="Evil", default=False)
    evil["files"]["generator"]["path"] = "../../etc/hostname"
    data["models"] = [data["models"][0], evil, {"display_name": "no name"}, data["models"][1]]
    manifest.write_text(json.dumps(data))

    reg = ModelRegistry([folder])
    for name in ("tiny-a", "tiny-b"):
        entry = reg.verify(name)
        assert entry.available and entry.reason is None, entry.reason
    refused = reg.get("evil")
    assert not refused.available and refused.spec is None and refused.display_name == "Evil"
    assert refused.reason.startswith(f"its entry in {manifest} is refused: model 'evil': file 'generator' path "
                                     "'../../etc/hostname' leaves the manifest's folder"), refused.reason
    assert "tiny-a" not in refused.reason
    assert reg.problems == [f"an entry (models[2]) in {manifest} is refused: models[2] lacks 'name' — re-export "
                            "the model"]
    assert [e.name for e in reg.defaults()] == ["tiny-a"]


def test_a_user_model_named_like_a_shipped_one_says_it_replaces_it(tmp_path):
    shipped = make_model_dir(tmp_path / "shipped", names=("tiny-a", "tiny-b"))
    user = make_model_dir(tmp_path / "user", names=("tiny-a",))
    reg = ModelRegistry([shipped, user], shipped_dir=shipped)
    replaced = f"the shipped model of that name ({shipped / MANIFEST_NAME})"
    entry = reg.verify("tiny-a")
    assert entry.source == "user" and entry.spec.base_dir == user and entry.replaces == replaced
    assert reg.notices == [f"the user model 'tiny-a' of {user / MANIFEST_NAME} replaces {replaced}"]
    assert reg.get("tiny-b").replaces is None
    assert ModelRegistry([shipped, shipped.parent / "." / shipped.name], shipped_dir=shipped).notices == []


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


# --- a generator with an int8 CPU file: each of its two files can colour on its own -------------------
# The float file ("generator") is what CUDA runs, the int8 file what the CPU runs; the CPU package ships
# without the float file of such a model (the CUDA add-on brings it: docs/packaging.md).

WARM, COOL = TINTS["tiny-a"], TINTS["tiny-b"]  # the float file colours paper warm, the int8 file cool
WHITE_PAGE = np.full((24, 40, 3), 255, np.uint8)


@pytest.fixture
def dual(tmp_path) -> Path:
    """A folder with "dual" (a float file and an int8 file that colour differently) and "plain"."""
    folder = make_model_dir(tmp_path / "models", names=("dual", "plain"))
    int8 = make_generator_onnx(folder / "dual.cpu-int8.onnx", seed=5, tint=COOL)
    specs = load_manifest(folder / MANIFEST_NAME)
    specs = [with_int8_file(s, int8) if s.name == "dual" else s for s in specs]
    write_manifest(folder / MANIFEST_NAME, specs)
    return folder


def _paper(reg: ModelRegistry, device: str = "cpu") -> tuple[np.ndarray, Colorizer]:
    """The colour a white page gets from "dual" through the one pipeline, and its colorizer."""
    colorizer = ColorizerCache(reg).get("dual", device)
    return colorizer.colorize(WHITE_PAGE)[12, 20].astype(int), colorizer


def _is_cool(rgb: np.ndarray) -> bool:
    return rgb[2] - rgb[0] > 40  # COOL paper is (0.7, 0.9, 1.0), WARM (1.0, 0.85, 0.7)


def test_without_its_float_file_a_generator_is_available_and_runs_int8(dual):
    (dual / "dual.onnx").unlink()
    reg = ModelRegistry([dual])
    entry = reg.get("dual")
    assert entry.available and entry.reason is None and reg.problems == []
    assert "CPU only" in entry.note and "dual.onnx is not installed" in entry.note and "CUDA add-on" in entry.note
    assert set(entry.spec.files) == {CPU_INT8_ROLE}  # the sessions never see the absent file
    entry = reg.verify("dual")  # the int8 file is intact
    assert entry.available and entry.note and [e.name for e in reg.defaults()] == ["dual"]
    for device in ("cpu", "auto", "cuda"):  # never a crash: on any device the CPU runs int8
        paper, colorizer = _paper(reg, device)
        assert _is_cool(paper), paper
        info = colorizer.provider_info
        assert (info.active, info.precision, info.model_file) == ("CPU", "int8", "dual.cpu-int8.onnx")
        assert (info.reason is None) == (device == "cpu")
    assert reg.get("plain").note is None


def test_on_cuda_a_missing_float_file_means_int8_on_the_cpu_with_the_reason(dual, monkeypatch):
    """Where CUDA starts (the CUDA provider is installed), a generator whose float file is absent
    still colours, on the CPU with int8, and the status line says why."""
    from ganime_desktop.core import sessions

    (dual / "dual.onnx").unlink()
    monkeypatch.setattr(sessions, "cuda_starts", lambda: True)
    paper, colorizer = _paper(ModelRegistry([dual]), "auto")
    assert _is_cool(paper)
    info = colorizer.provider_info
    assert (info.active, info.precision) == ("CPU", "int8")
    assert "no usable GPU model file" in info.reason and info.describe().startswith("CPU, int8 (")


def test_without_float_and_with_a_damaged_int8_file_the_model_is_unavailable(dual):
    (dual / "dual.onnx").unlink()
    _flip_bytes(dual / "dual.cpu-int8.onnx")
    reg = ModelRegistry([dual])
    assert reg.get("dual").available  # size and presence pass...
    entry = reg.verify("dual")  # ...the int8 file's sha256 does not
    assert not entry.available and entry.note is None
    assert "dual.onnx is missing" in entry.reason and "sha256 mismatch" in entry.reason
    assert "dual.cpu-int8.onnx" in entry.reason and entry.reason.endswith("reinstall or re-export the model")
    with pytest.raises(ModelLoadError, match="sha256 mismatch"):
        ColorizerCache(reg).get("dual", "cpu")
    assert reg.verify("plain").available


def test_without_either_file_the_model_is_unavailable(dual):
    (dual / "dual.onnx").unlink()
    (dual / "dual.cpu-int8.onnx").unlink()
    entry = ModelRegistry([dual]).get("dual")
    assert not entry.available and "dual.onnx is missing" in entry.reason and "dual.cpu-int8.onnx is missing" in entry.reason


@pytest.mark.parametrize("damage", ["missing", "sha256"])
def test_a_missing_or_damaged_int8_file_leaves_the_float_model_on_the_cpu(dual, damage):
    int8 = dual / "dual.cpu-int8.onnx"
    int8.unlink() if damage == "missing" else _flip_bytes(int8)
    reg = ModelRegistry([dual])
    entry = reg.verify("dual")
    assert entry.available and entry.reason is None
    assert set(entry.spec.files) == {"generator"}
    assert "int8 CPU model file is missing or damaged" in entry.note and "float model instead" in entry.note
    paper, colorizer = _paper(reg)
    assert not _is_cool(paper), paper  # the float file's warm paper
    info = colorizer.provider_info
    assert (info.active, info.precision, info.model_file) == ("CPU", "fp32", "dual.onnx")


def test_a_damaged_float_file_leaves_int8_on_the_cpu(dual):
    _flip_bytes(dual / "dual.onnx")
    reg = ModelRegistry([dual])
    entry = reg.verify("dual")
    assert entry.available and set(entry.spec.files) == {CPU_INT8_ROLE}
    assert "CPU only" in entry.note and "damaged" in entry.note and "sha256 mismatch" in entry.note
    assert _is_cool(_paper(reg)[0])


def test_the_shipped_models_without_their_cuda_only_files(tmp_path):
    """The CPU package's layout of the real shipped models: every model available, those with an int8
    file without their float file, noted, and verified by sha256."""
    shipped = Path(__file__).resolve().parents[1] / "assets" / "models"
    if not (shipped / MANIFEST_NAME).is_file():
        pytest.skip("no shipped models")
    specs = load_manifest(shipped / MANIFEST_NAME)
    cuda_only = {s.files["generator"].path for s in specs if CPU_INT8_ROLE in s.files}
    if not cuda_only:
        pytest.skip("no shipped model has an int8 file")
    cpu = tmp_path / "cpu-package"
    cpu.mkdir()
    for spec in specs:
        for f in spec.files.values():
            if f.path not in cuda_only:
                (cpu / f.path).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(shipped / f.path, cpu / f.path)
    shutil.copyfile(shipped / MANIFEST_NAME, cpu / MANIFEST_NAME)
    reg = ModelRegistry([cpu])
    assert [e.name for e in reg.available()] == [s.name for s in specs]
    for spec in specs:
        entry = reg.verify(spec.name)
        assert entry.available, entry.reason
        assert (entry.note is not None) == (CPU_INT8_ROLE in spec.files), entry.note
        assert "generator" not in entry.spec.files or spec.files["generator"].path not in cuda_only
