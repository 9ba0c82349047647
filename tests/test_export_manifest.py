"""Manifest handling of the exporter: good manifests round-trip, bad ones are refused clearly."""

import dataclasses
import json
import subprocess
import sys

import pytest
from _keras_generators import pix2pix_exported, run_dir_for
from _onnx_models import make_model_dir

from export.__main__ import REPO, main
from export.manifest_entry import generator_entry
from export.run_source import read_evaluation
from ganime_desktop.core.manifest import MANIFEST_NAME, load_manifest, upsert, write_manifest


def test_exported_manifest_round_trips(tmp_path_factory, tmp_path, faces_dir):
    _, out = pix2pix_exported(tmp_path_factory.getbasetemp() / "export-runs")
    original = json.loads((out / MANIFEST_NAME).read_text())
    specs = load_manifest(out / MANIFEST_NAME)
    write_manifest(tmp_path / MANIFEST_NAME, specs)
    assert json.loads((tmp_path / MANIFEST_NAME).read_text()) == original


def test_generator_entry_round_trips(tmp_path):
    models = make_model_dir(tmp_path, names=("tiny-a",))
    spec = generator_entry(name="tiny-b", display_name="Tiny B", approach="cyclegan", precision="int8",
                           onnx_path=models / "tiny-a.onnx", out_dir=models, channels=3, size_multiple=16,
                           working_size=64, provenance={"source": "x.keras", "parity": {"ssim_worst": 0.99}},
                           evaluation={"test": {"ssim_mean": 0.5}})
    write_manifest(models / MANIFEST_NAME, [*load_manifest(models / MANIFEST_NAME), spec])
    back = {s.name: s for s in load_manifest(models / MANIFEST_NAME)}["tiny-b"]
    assert back == spec


def test_a_re_exported_model_keeps_its_place_in_the_list(tmp_path):
    """The app lists models in manifest order: re-exporting one must not move it to the end."""
    models = make_model_dir(tmp_path, names=("first", "second", "third"))
    specs = load_manifest(models / MANIFEST_NAME)
    again = dataclasses.replace(specs[0], description="re-exported")
    assert [s.name for s in upsert(specs, again)] == ["first", "second", "third"]
    assert upsert(specs, again)[0].description == "re-exported"
    new = dataclasses.replace(specs[0], name="fourth")
    assert [s.name for s in upsert(specs, new)] == ["first", "second", "third", "fourth"]


@pytest.mark.parametrize("content, message", [
    ("{not json", "cannot read the manifest"),
    (json.dumps({"schema_version": 99, "models": []}), "schema_version must be 1"),
    (json.dumps({"schema_version": 1, "models": [{"name": "x"}]}), "lacks 'display_name'"),
])
def test_export_refuses_to_touch_a_broken_manifest(content, message, tmp_path_factory, tmp_path, capsys,
                                                  faces_dir):
    run = run_dir_for("pix2pix-d6", tmp_path_factory.getbasetemp() / "export-runs")
    (tmp_path / MANIFEST_NAME).write_text(content)
    assert main([str(run), "--name", "m", "--out-dir", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and str(tmp_path / MANIFEST_NAME) in err and message in err
    assert "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == [MANIFEST_NAME]
    assert (tmp_path / MANIFEST_NAME).read_text() == content


def test_check_reports_a_broken_manifest(tmp_path, capsys):
    bad = tmp_path / MANIFEST_NAME
    bad.write_text(json.dumps({"schema_version": 1, "models": [{"name": "a"}, {"name": "b"}]}))
    assert main(["--check", "--manifest", str(bad)]) == 1
    err = capsys.readouterr().err
    assert str(bad) in err and "lacks" in err
    assert main(["--check", "--manifest", str(tmp_path / "none.json")]) == 1
    assert "no such manifest" in capsys.readouterr().err


@pytest.mark.parametrize("args, message", [
    (["--name", "Bad Name"], "--name 'Bad Name'"),
    (["--name", "ok", "--working-size", "100"], "multiple of the model's size multiple 64"),
])
def test_bad_options_are_refused_clearly(args, message, tmp_path_factory, tmp_path, capsys, faces_dir):
    run = run_dir_for("pix2pix-d6", tmp_path_factory.getbasetemp() / "export-runs")
    assert main([str(run), "--out-dir", str(tmp_path / "m"), *args]) == 1
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not (tmp_path / "m").exists()


def test_bad_sources_are_refused_clearly(tmp_path, capsys):
    (tmp_path / "empty-run").mkdir()
    (tmp_path / "model.h5").write_bytes(b"x")
    (tmp_path / "broken.keras").write_bytes(b"not a zip")
    cases = [(tmp_path / "nothing", "no such run directory"), (tmp_path / "empty-run", "no config.json"),
             (tmp_path / "model.h5", "expected a .keras model file"),
             (tmp_path / "broken.keras", "pass --approach")]
    for source, message in cases:
        assert main([str(source), "--name", "m", "--out-dir", str(tmp_path / "out")]) == 1
        assert message in capsys.readouterr().err
    assert main([str(tmp_path / "broken.keras"), "--name", "m", "--approach", "cyclegan",
                 "--out-dir", str(tmp_path / "out")]) == 1
    assert "cannot load the Keras model" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_evaluation_figures_are_summarised(tmp_path):
    (tmp_path / "eval").mkdir()
    (tmp_path / "eval" / "table.json").write_text(json.dumps(
        {"model": "p2p", "ssim": {"mean": 0.6, "sd": 0.1, "per_image": [0.5, 0.7]}, "images": ["a.jpg"]}))
    (tmp_path / "eval" / "half-written.json").write_text("{")
    assert read_evaluation(tmp_path) == {"table": {"model": "p2p", "ssim": {"mean": 0.6, "sd": 0.1}}}
    assert read_evaluation(tmp_path / "nope") is None


def test_help_runs_without_tensorflow():
    code = ("import sys, runpy; sys.argv = ['python -m export', '--help']\n"
            "try:\n    runpy.run_module('export', run_name='__main__')\n"
            "except SystemExit as e:\n    assert e.code == 0, e.code\n"
            "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules\n")
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    for word in ("--fp16", "--int8", "--check", "fast-nst", "--working-size", "--data", "--default"):
        assert word in proc.stdout
    proc = subprocess.run([sys.executable, "-m", "export"], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "give exactly one of" in proc.stderr
