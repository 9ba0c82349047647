"""Provenance in manifests says where a model came from in machine-independent words."""

from __future__ import annotations

import json
from pathlib import Path

from export.provenance import portable_path, resolve_portable, training_record

REPO = Path(__file__).resolve().parents[1]


def test_paths_are_relative_to_the_repository_or_the_data_root(tmp_path):
    repo, data, models = tmp_path / "checkout", tmp_path / "shared" / "data", tmp_path / "out" / "models"
    roots = {"repo": repo, "data_root": data}
    cases = {repo / "runs" / "a" / "generator.keras": "runs/a/generator.keras",
             data / "anime-faces": "data:anime-faces",
             tmp_path / "out" / "run" / "generator.keras": "../run/generator.keras",
             models / "sub" / "g.keras": "./sub/g.keras"}
    for path, text in cases.items():
        assert portable_path(path, models, **roots) == text
        assert resolve_portable(text, models, **roots) == path  # and back, for export --check
    assert portable_path(tmp_path / "elsewhere" / "x" / "y.keras", None, **roots) == "…/x/y.keras"
    assert resolve_portable("…/x/y.keras", models, **roots) is None
    assert portable_path(None) is None


def test_training_record_names_backend_device_steps_and_time():
    state = {"steps": 4315, "state": "stopped", "backend": "jax", "device": "cuda:0", "time": "2026-11-26 14:26:00"}
    assert training_record(state, {}) == {"backend": "jax", "device": "cuda:0", "steps": 4315,
                                          "finished": "2026-11-26 14:26:00", "state": "stopped"}
    assert training_record({"steps": 10}, {})["backend"] == "tensorflow"  # runs from before the JAX trainer
    start = {"checkpoint": "runs/gpu-p2p-tv/generator.keras", "source_step": 4315, "networks": ["generator"],
             "source_training": {"backend": "jax", "device": "cuda:0", "steps": 4315}}
    assert training_record({"steps": 5000, "backend": "jax", "device": "cpu:0"},
                           {"initialised_from": start})["initialised_from"] == start  # a fine-tune tells its start


def test_the_shipped_manifest_holds_no_absolute_paths():
    def strings(obj):
        if isinstance(obj, dict):
            for v in obj.values():
                yield from strings(v)
        elif isinstance(obj, list):
            for v in obj:
                yield from strings(v)
        elif isinstance(obj, str):
            yield obj

    manifest = json.loads((REPO / "assets" / "models" / "manifest.json").read_text())
    absolute = [s for s in strings(manifest) if s.startswith(("/", "~")) or (len(s) > 2 and s[1:3] == ":\\")]
    assert not absolute, absolute
