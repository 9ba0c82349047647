"""A model folder's manifest may only name files inside that folder: a path that climbs out
('..', absolute, a drive) or a symbolic link that points out is refused with a plain reason, and
the folder's other models and every other folder keep working."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from _onnx_models import make_model_dir

from ganime_desktop.core.manifest import ManifestError, find_generator, validate
from ganime_desktop.core.registry import ModelRegistry


def _manifest_with_path(folder: Path, path: str) -> dict:
    data = json.loads((folder / "manifest.json").read_text())
    data["models"][0]["files"]["generator"]["path"] = path
    return data


@pytest.mark.parametrize("path", ["../../../etc/hostname", "/etc/hostname", "sub/../../x.onnx", "C:\\x.onnx",
                                  "\\\\server\\share\\x.onnx", "..\\x.onnx", ""])
def test_paths_that_leave_the_folder_are_refused(tmp_path, path):
    folder = make_model_dir(tmp_path / "user", names=("tiny-a",))
    with pytest.raises(ManifestError, match="leaves the manifest's folder|needs exactly|file"):
        validate(_manifest_with_path(folder, path), "manifest.json")


@pytest.mark.parametrize("path", ["tiny-a.onnx", "sub/tiny-a.onnx", "./tiny-a.onnx"])
def test_paths_inside_the_folder_are_accepted(tmp_path, path):
    folder = make_model_dir(tmp_path / "user", names=("tiny-a",))
    validate(_manifest_with_path(folder, path), "manifest.json")


def test_a_user_folder_pointing_outside_is_refused_and_the_rest_keeps_working(tmp_path):
    good = make_model_dir(tmp_path / "shipped", names=("tiny-a",))
    evil = make_model_dir(tmp_path / "user", names=("tiny-b",))
    (tmp_path / "secret.txt").write_text("not a model")
    (evil / "manifest.json").write_text(json.dumps(_manifest_with_path(evil, "../secret.txt")))
    reg = ModelRegistry([good, evil])
    assert reg.get("tiny-a").available
    refused = reg.get("tiny-b")
    assert not refused.available and "leaves the manifest's folder" in refused.reason, refused.reason


@pytest.mark.skipif(os.name == "nt", reason="symbolic links need privileges on Windows")
def test_a_symbolic_link_out_of_the_folder_is_refused(tmp_path):
    folder = make_model_dir(tmp_path / "user", names=("tiny-a",))
    outside = tmp_path / "outside.onnx"
    os.replace(folder / "tiny-a.onnx", outside)
    (folder / "tiny-a.onnx").symlink_to(outside)
    entry = ModelRegistry([folder]).verify("tiny-a")
    assert not entry.available and "outside" in entry.reason, entry.reason


def test_find_generator_gives_the_named_or_the_default_one_and_names_the_file_otherwise(tmp_path):
    """What the benchmarks and `python -m training from-onnx` use to pick a model from a manifest file."""
    manifest = make_model_dir(tmp_path / "models", names=("tiny-a", "tiny-b")) / "manifest.json"
    assert find_generator(manifest).name == "tiny-a"  # marked default
    assert find_generator(manifest, "tiny-b").name == "tiny-b"
    with pytest.raises(ManifestError, match="no generator 'tiny-c'; there are: tiny-a, tiny-b") as refused:
        find_generator(manifest, "tiny-c")
    assert str(manifest) in str(refused.value)
