"""The int8 CPU model: the selection rule, the quantized graph, and `python -m export clean` (a
manifest's generators rewritten in place, parity against the original ONNX, gated int8)."""

import json
import shutil

import numpy as np
import onnx
import pytest
from _keras_generators import run_dir_for

from export.__main__ import main
from export.convert import to_onnx
from export.cpu_int8 import MAX_DELTA_E_CHANGE, MIN_SSIM, SplitAgreement, build_cpu_int8, judge
from export.parity import cpu_session, run_session
from export.rewrite import clean_manifest
from export.variants import to_fp16
from ganime_desktop.core.manifest import (
    CPU_INT8_ROLE,
    ModelSpec,
    TensorSpec,
    describe_file,
    load_manifest,
    sha256_of,
    write_manifest,
)
from training.model_loading import load_keras_model


def _split(data="anime-faces", ssim=0.99, e_float=20.0, e_int8=20.2, images=10):
    return SplitAgreement(data, images, ssim, ssim - 0.01, e_float, e_int8)


def test_the_rule_needs_every_split_within_both_bounds():
    assert MIN_SSIM == 0.98 and MAX_DELTA_E_CHANGE == 0.5
    both = ["anime-faces", "anime-fullbody"]
    good = [_split(), _split("anime-fullbody", ssim=0.98, e_int8=19.5)]  # at the bounds: passes
    assert judge(good, expected=both).passed
    for bad, why in (([_split(ssim=0.9799), good[1]], "SSIM"),
                     ([_split(e_int8=20.51), good[1]], "CIEDE2000"),
                     ([_split(e_int8=19.49), good[1]], "CIEDE2000"),  # a change either way
                     ([_split(ssim=float("nan")), good[1]], "SSIM"),
                     ([good[0]], "anime-fullbody: not measured"),
                     ([_split(images=0), good[1]], "no images")):
        verdict = judge(bad, expected=both)
        assert not verdict.passed and any(why in r for r in verdict.reasons), (bad, verdict.reasons)
    assert not judge([], expected=both).passed
    record = judge(good, expected=both).to_json()
    assert json.loads(json.dumps(record))["splits"][1]["delta_e_change"] == pytest.approx(-0.5)


@pytest.fixture(scope="module")
def runs(tmp_path_factory, faces_dir):
    return tmp_path_factory.getbasetemp() / "export-runs"


@pytest.fixture(scope="module")
def shipped_like(runs, tmp_path_factory):
    """A manifest like the shipped one: a raw tf2onnx graph (resize decoder, reflect padding) in
    float16 storage, next to a non-generator entry that must stay as it is."""
    folder = tmp_path_factory.mktemp("shipped")
    model = load_keras_model(run_dir_for("pix2pix-d8", runs) / "generator.keras")
    onnx.save(to_onnx(model), str(folder / "raw.onnx"))
    to_fp16(folder / "raw.onnx", folder / "tiny-tv.onnx")
    (folder / "raw.onnx").unlink()
    tensor = TensorSpec(size_multiple=256, working_size=256)
    specs = [ModelSpec(name="tiny-tv", display_name="Tiny TV", approach="pix2pix-tv", kind="generator",
                       precision="fp16", files={"generator": describe_file(folder / "tiny-tv.onnx", folder)},
                       input=tensor, output=tensor, default=True, provenance={"source": "x.keras"}, base_dir=folder)]
    write_manifest(folder / "manifest.json", specs)
    return folder


@pytest.mark.slow
def test_int8_graph_runs_conv_in_int8_and_pads_the_quantized_tensors(shipped_like, faces_dir, fullbody_dir, tmp_path):
    spec = load_manifest(shipped_like / "manifest.json")[0]
    verdict = build_cpu_int8(spec, spec.file_path("generator"), tmp_path / "g8.onnx",
                             data_dirs=(faces_dir, fullbody_dir), limit=2, log=lambda _: None)
    assert [s.data for s in verdict.splits] == ["anime-faces", "anime-fullbody"]
    assert all(s.images == 2 and 0 < s.ssim_mean <= 1 for s in verdict.splits)
    graph = onnx.load(str(tmp_path / "g8.onnx")).graph
    producers = {o: n for n in graph.node for o in n.output}
    pads = [n for n in graph.node if n.op_type == "Pad"]
    assert pads and all(producers[p.input[0]].op_type == "QuantizeLinear" for p in pads[1:])  # uint8 in
    convs = [n for n in graph.node if n.op_type == "Conv"]
    int8_convs = [c for c in convs if getattr(producers.get(c.input[1]), "op_type", None) == "DequantizeLinear"]
    assert len(int8_convs) == len(convs) - 2  # the first and the last stay float32
    x = np.ones((1, 256, 256, 3), np.float32)
    assert run_session(cpu_session(tmp_path / "g8.onnx"), x).shape == x.shape


@pytest.mark.slow
@pytest.mark.parametrize("passes", [True, False])
def test_clean_rewrites_in_place_and_keeps_int8_only_when_it_passes(shipped_like, faces_dir, fullbody_dir,
                                                                     tmp_path, passes):
    folder = tmp_path / "models"
    shutil.copytree(shipped_like, folder)
    before = load_manifest(folder / "manifest.json")[0]
    bounds = dict(min_ssim=0.0, max_delta_e_change=100.0) if passes else dict(min_ssim=1.01)
    new = clean_manifest(folder / "manifest.json", gate_data=(faces_dir, fullbody_dir), gate_limit=2,
                         log=lambda _: None, **bounds)[0]
    after = load_manifest(folder / "manifest.json")[0]
    assert (after.name, after.display_name, after.default, after.precision) == ("tiny-tv", "Tiny TV", True, "fp16")
    assert after.files["generator"].path == "tiny-tv.onnx" and after == new
    assert after.files["generator"].sha256 == sha256_of(folder / "tiny-tv.onnx") != before.files["generator"].sha256
    graph = after.provenance["graph"]
    assert graph["from_sha256"] == before.files["generator"].sha256 and graph["subpixel_convolutions"] == 8
    assert max(graph["parity"]["max_abs_diff"].values()) <= 1e-4
    assert after.provenance["cpu_int8"]["passed"] is passes
    assert (CPU_INT8_ROLE in after.files) is passes
    assert (folder / "tiny-tv.cpu-int8.onnx").exists() is passes
    assert not [p for p in folder.iterdir() if p.name.startswith(".")]  # no staging folder left
    ops = {n.op_type for n in onnx.load(str(folder / "tiny-tv.onnx")).graph.node}
    assert "Tile" not in ops and "DepthToSpace" in ops
    # a second run finds nothing to rewrite; without int8 it keeps what the entry has
    clean_manifest(folder / "manifest.json", int8=False, log=lambda _: None)
    again = load_manifest(folder / "manifest.json")[0]
    assert again.files == after.files


def test_clean_refuses_a_rewrite_that_breaks_parity_and_writes_nothing(shipped_like, tmp_path, capsys):
    folder = tmp_path / "models"
    shutil.copytree(shipped_like, folder)
    manifest = (folder / "manifest.json").read_bytes()
    model = (folder / "tiny-tv.onnx").read_bytes()
    assert main(["clean", "--manifest", str(folder / "manifest.json"), "--tolerance", "1e-12", "--no-int8"]) == 1
    assert "refused" in capsys.readouterr().err
    assert (folder / "manifest.json").read_bytes() == manifest and (folder / "tiny-tv.onnx").read_bytes() == model
    assert sorted(p.name for p in folder.iterdir()) == ["manifest.json", "tiny-tv.onnx"]
