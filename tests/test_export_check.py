"""python -m export --check: files, sha256, a test run, and Keras parity again where the source exists."""

import json
import shutil

import numpy as np
import onnx
import pytest
from _keras_generators import pix2pix_exported

from export.__main__ import main
from ganime_desktop.core.manifest import MANIFEST_NAME, describe_file


@pytest.fixture()
def models(tmp_path_factory, tmp_path, faces_dir):
    """A private copy of the exported fp32/fp16/int8 models (tests damage it), beside a copy of the
    run they came from: the manifest records its source relative to its own folder."""
    run, out = pix2pix_exported(tmp_path_factory.getbasetemp() / "export-runs")
    copy = tmp_path / "models"
    shutil.copytree(out, copy)
    shutil.copytree(run, tmp_path / run.name)
    return copy


def _check(models, capsys):
    rc = main(["--check", "--manifest", str(models / MANIFEST_NAME)])
    captured = capsys.readouterr()
    return rc, captured.out + captured.err


def test_check_passes_with_keras_parity(models, capsys):
    rc, text = _check(models, capsys)
    assert rc == 0, text
    assert "Keras parity: max |diff|" in text  # fp32 against the recorded .keras source
    assert text.count("SSIM vs Keras") == 2  # fp16 and int8
    assert "all 3 model(s)" in text


def test_flipped_bytes_are_caught(models, capsys):
    path = models / "p2p-tiny.onnx"
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle:middle + 64] = bytes(b ^ 0xFF for b in data[middle:middle + 64])
    path.write_bytes(bytes(data))
    rc, text = _check(models, capsys)
    assert rc == 1
    assert "FAIL p2p-tiny\n" in text and "sha256" in text and "damaged or replaced" in text
    assert "OK   p2p-tiny-int8" in text  # the others are still reported fine
    assert "1 of 3 model(s) failed: p2p-tiny" in text


def test_truncated_and_missing_files_are_caught(models, capsys):
    (models / "p2p-tiny-fp16.onnx").write_bytes((models / "p2p-tiny-fp16.onnx").read_bytes()[:1000])
    (models / "p2p-tiny-int8.onnx").unlink()
    rc, text = _check(models, capsys)
    assert rc == 1
    assert "bytes, the manifest records" in text and "missing (generator)" in text


def test_consistent_manifest_but_wrong_weights_fail_keras_parity(models, capsys):
    """Someone replaced the file and updated the manifest: sha256 passes, parity does not."""
    path = models / "p2p-tiny.onnx"
    proto = onnx.load(str(path))
    out_conv = next(n for n in proto.graph.node if n.op_type in ("Conv", "ConvTranspose") and "out_" in n.name)
    weights = next(t for t in proto.graph.initializer if t.name == out_conv.input[1])
    weights.CopyFrom(onnx.numpy_helper.from_array(onnx.numpy_helper.to_array(weights) * np.float32(1.05),
                                                  weights.name))
    onnx.save(proto, str(path))
    manifest = json.loads((models / MANIFEST_NAME).read_text())
    entry = next(m for m in manifest["models"] if m["name"] == "p2p-tiny")
    f = describe_file(path, models)
    entry["files"]["generator"] = {"path": f.path, "sha256": f.sha256, "bytes": f.bytes}
    (models / MANIFEST_NAME).write_text(json.dumps(manifest))
    rc, text = _check(models, capsys)
    assert rc == 1
    assert "FAIL p2p-tiny\n" in text and "Keras vs ONNX max |diff|" in text


def test_without_the_keras_source_the_rest_is_still_checked(models, capsys):
    manifest = json.loads((models / MANIFEST_NAME).read_text())
    for m in manifest["models"]:
        m["provenance"]["source"] = str(models / "gone" / "generator.keras")
    (models / MANIFEST_NAME).write_text(json.dumps(manifest))
    rc, text = _check(models, capsys)
    assert rc == 0, text
    assert text.count("not present: parity not re-checked") == 3
