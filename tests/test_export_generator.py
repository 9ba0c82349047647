"""python -m export on real (small, briefly fitted) U-Net generators: ONNX, parity, variants, manifest."""

import json
import os
import shutil

import numpy as np
import onnx
import pytest
from _keras_generators import pix2pix_exported, run_dir_for
from _onnx_models import generator_spec, make_generator_onnx

from export.__main__ import main
from export.convert import keras_predict, to_onnx
from export.parity import (
    ParityError,
    cpu_session,
    measure_agreement,
    measure_parity,
    parity_probes,
    require_agreement,
    require_parity,
    run_session,
)
from export.sketches import SketchSet
from export.variants import to_int8
from ganime_desktop.core.manifest import MANIFEST_NAME, load_manifest, write_manifest
from training.model_loading import load_keras_model


@pytest.fixture(scope="module")
def runs(tmp_path_factory, faces_dir):
    return tmp_path_factory.getbasetemp() / "export-runs"  # shared with the other export test modules


@pytest.fixture(scope="module")
def pix2pix_export(runs):
    """A Pix2Pix + TV run (batch norm, depth 6) with eval figures, exported with fp16 and int8 variants."""
    return pix2pix_exported(runs)


def _entries(out):
    return {s.name: s for s in load_manifest(out / MANIFEST_NAME)}


def _keras_vs_onnx(model, session, batch, h, w, seed=0):
    x = np.random.default_rng(seed).uniform(-1, 1, (batch, h, w, 3)).astype(np.float32)
    return float(np.max(np.abs(run_session(session, x) - keras_predict(model, x))))


def test_pix2pix_export_writes_models_and_manifest(pix2pix_export, capsys):
    run, out = pix2pix_export
    entries = _entries(out)
    assert set(entries) == {"p2p-tiny", "p2p-tiny-fp16", "p2p-tiny-int8"}
    fp32 = entries["p2p-tiny"]
    assert fp32.approach == "pix2pix-tv"  # config: pix2pix with tv_loss l1
    assert (fp32.kind, fp32.precision, fp32.default) == ("generator", "fp32", True)
    assert fp32.input.size_multiple == 64 and fp32.input.working_size == 64
    assert fp32.input.value_range == (-1.0, 1.0) and fp32.input.hint_channels == 0
    # where it came from, relative to the manifest's folder: no machine's absolute path
    assert fp32.provenance["source"] == os.path.relpath(run / "generator.keras", out).replace(os.sep, "/")
    assert fp32.provenance["steps"] == 6 and fp32.provenance["config"]["norm"] == "batch"
    assert fp32.provenance["tools"]["tf2onnx"] and fp32.provenance["exported"]
    diffs = fp32.provenance["parity"]["max_abs_diff"]
    assert set(diffs) == {"sketches 64x64", "random 64x64", "sketches 64x128", "random 64x128"}
    assert all(0 <= d <= 1e-4 for d in diffs.values())
    # eval figures kept, per-image lists dropped
    assert fp32.evaluation == {"faces-test": {"ssim_mean": 0.61, "ssim_sd": 0.08, "delta_e": 20.5,
                                              "fid": {"vgg16": 41.0}}}
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no temp folders left


def test_onnx_is_dynamic_and_matches_keras_at_batch_1_and_3(pix2pix_export):
    run, out = pix2pix_export
    proto = onnx.load(str(out / "p2p-tiny.onnx"))
    dims = [d.dim_param or d.dim_value for d in proto.graph.input[0].type.tensor_type.shape.dim]
    assert dims == ["batch", "height", "width", 3]
    model = load_keras_model(run / "generator.keras")
    session = cpu_session(out / "p2p-tiny.onnx")
    for batch in (1, 3):
        for h, w in ((64, 64), (128, 64)):
            assert _keras_vs_onnx(model, session, batch, h, w, seed=batch) <= 1e-4


def test_variants_are_smaller_and_agree_with_fp32(pix2pix_export, faces_dir):
    _, out = pix2pix_export
    entries = _entries(out)
    sizes = {p: entries[n].files["generator"].bytes for p, n in
             (("fp32", "p2p-tiny"), ("fp16", "p2p-tiny-fp16"), ("int8", "p2p-tiny-int8"))}
    assert sizes["fp16"] < 0.6 * sizes["fp32"] and sizes["int8"] < 0.4 * sizes["fp32"]
    for name in ("p2p-tiny-fp16", "p2p-tiny-int8"):
        spec = entries[name]
        assert spec.provenance["variant_of"] == "p2p-tiny"
        assert spec.provenance["parity"]["ssim_worst"] >= 0.98
    fp32 = cpu_session(out / "p2p-tiny.onnx")
    # Our own measurement on other sketches than the exporter used (the train split).
    sketches = SketchSet(faces_dir, "color").batch(4, 64, 64, split="train", offset=7)
    for name in ("p2p-tiny-fp16", "p2p-tiny-int8"):
        session = cpu_session(out / f"{name}.onnx")
        assert session.get_inputs()[0].type == "tensor(float)"  # fp32 IO kept
        agreement = measure_agreement(name, lambda x: run_session(fp32, x), session, sketches)
        assert agreement.worst >= 0.98, agreement
    int8_ops = {n.op_type for n in onnx.load(str(out / "p2p-tiny-int8.onnx")).graph.node}
    assert {"QuantizeLinear", "DequantizeLinear"} <= int8_ops


def test_fp16_variant_stores_half_precision_weights_but_computes_in_float32(pix2pix_export, faces_dir, tmp_path):
    """float16 arithmetic gave different colours on different CPUs: the variant must compute exactly
    as the fp32 model would with its weights rounded to float16, on any machine."""
    _, out = pix2pix_export
    half = onnx.load(str(out / "p2p-tiny-fp16.onnx"))
    stored = {t.name for t in half.graph.initializer if t.data_type == onnx.TensorProto.FLOAT16}
    assert stored, "no float16 weights stored"
    readers = [n for n in half.graph.node if set(n.input) & stored]
    assert readers and all(n.op_type == "Cast" and n.attribute[0].i == onnx.TensorProto.FLOAT for n in readers)
    rounded = onnx.load(str(out / "p2p-tiny.onnx"))
    for tensor in rounded.graph.initializer:
        if f"{tensor.name}__fp16" in stored:
            weights = onnx.numpy_helper.to_array(tensor).astype(np.float16).astype(np.float32)
            tensor.CopyFrom(onnx.numpy_helper.from_array(weights, tensor.name))
    onnx.save(rounded, str(tmp_path / "rounded.onnx"))
    x = SketchSet(faces_dir, "color").batch(2, 64, 128, split="train", offset=3)
    got = run_session(cpu_session(out / "p2p-tiny-fp16.onnx"), x)
    want = run_session(cpu_session(tmp_path / "rounded.onnx"), x)
    assert np.max(np.abs(got - want)) <= 1e-5


@pytest.mark.slow
def test_cyclegan_instance_norm_depth8_export(runs, tmp_path):
    out = tmp_path / "models"
    assert main([str(run_dir_for("cyclegan-d8", runs)), "--name", "cyc-tiny", "--out-dir", str(out)]) == 0
    spec = _entries(out)["cyc-tiny"]
    assert spec.approach == "cyclegan" and spec.input.size_multiple == 256 and spec.input.working_size == 256
    assert set(spec.provenance["parity"]["max_abs_diff"]) == {
        "sketches 256x256", "random 256x256", "sketches 256x512", "random 256x512"}
    session = cpu_session(out / "cyc-tiny.onnx")
    model = load_keras_model(run_dir_for("cyclegan-d8", runs) / "generator.keras")
    for batch in (1, 3):
        assert _keras_vs_onnx(model, session, batch, 256, 256, seed=batch) <= 1e-4


@pytest.mark.parametrize("config", ["pix2pix-d8", "cyclegan-d6"])
def test_parity_of_other_norm_depth_combinations(config, runs, faces_dir, tmp_path):
    run = run_dir_for(config, runs)
    model = load_keras_model(run / "generator.keras")
    path = tmp_path / "g.onnx"
    onnx.save(to_onnx(model), str(path))
    depth = json.loads((run / "config.json").read_text())["depth"]
    results = measure_parity(lambda x: keras_predict(model, x), cpu_session(path),
                             parity_probes(SketchSet(faces_dir, "color"), 2**depth))
    require_parity(results)
    assert len(results) == 4
    if depth == 6:  # int8 of an instance-norm graph (ReduceMean, Sqrt...) : cheap at 64 px
        to_int8(path, tmp_path / "g8.onnx", SketchSet(faces_dir, "color").batch(8, 64, 64, split="train"))
        session = cpu_session(path)
        agreement = measure_agreement("int8", lambda x: run_session(session, x), cpu_session(tmp_path / "g8.onnx"),
                                      SketchSet(faces_dir, "color").batch(4, 64, 64))
        require_agreement(agreement)


def test_refuses_when_parity_fails_and_writes_nothing(runs, tmp_path, capsys):
    out = tmp_path / "models"
    out.mkdir()
    (out / "keep.txt").write_text("the user's file")
    rc = main([str(run_dir_for("pix2pix-d6", runs)), "--name", "strict", "--out-dir", str(out),
               "--tolerance", "1e-12", "--fp16"])
    assert rc == 1
    err = capsys.readouterr().err
    assert "refused" in err and "tolerance 1e-12" in err and "nothing was written" in err
    assert sorted(p.name for p in out.iterdir()) == ["keep.txt"]
    # a new out dir is not even created
    assert main([str(run_dir_for("pix2pix-d6", runs)), "--name", "strict", "--out-dir", str(tmp_path / "new"),
                 "--tolerance", "1e-12"]) == 1
    assert not (tmp_path / "new").exists()


def test_a_perturbed_onnx_graph_fails_parity(pix2pix_export, faces_dir, tmp_path):
    run, out = pix2pix_export
    proto = onnx.load(str(out / "p2p-tiny.onnx"))
    # Scale the last layer's kernel by 2%: a small, real change to what the graph computes.
    out_conv = next(n for n in proto.graph.node if n.op_type in ("Conv", "ConvTranspose") and "out_" in n.name)
    weights = next(t for t in proto.graph.initializer if t.name == out_conv.input[1])
    arr = onnx.numpy_helper.to_array(weights) * np.float32(1.02)
    weights.CopyFrom(onnx.numpy_helper.from_array(arr, weights.name))
    onnx.save(proto, str(tmp_path / "bad.onnx"))
    model = load_keras_model(run / "generator.keras")
    results = measure_parity(lambda x: keras_predict(model, x), cpu_session(tmp_path / "bad.onnx"),
                             parity_probes(SketchSet(faces_dir, "color"), 64))
    with pytest.raises(ParityError, match="differs from Keras"):
        require_parity(results)


def test_a_variant_of_another_model_fails_the_ssim_check(pix2pix_export, runs, faces_dir):
    _, out = pix2pix_export
    other = load_keras_model(run_dir_for("cyclegan-d6", runs) / "generator.keras")
    sketches = SketchSet(faces_dir, "color").batch(2, 64, 64)
    agreement = measure_agreement("int8", lambda x: keras_predict(other, x),
                                  cpu_session(out / "p2p-tiny-int8.onnx"), sketches)
    with pytest.raises(ParityError, match="worst SSIM"):
        require_agreement(agreement)


def test_reexport_replaces_entry_drops_its_stale_variants_keeps_others(pix2pix_export, runs, tmp_path):
    _, out = pix2pix_export
    copy = tmp_path / "models"
    shutil.copytree(out, copy)
    other = generator_spec("tiny-a", make_generator_onnx(copy / "tiny-a.onnx"), copy)
    write_manifest(copy / MANIFEST_NAME, [*load_manifest(copy / MANIFEST_NAME), other])
    assert main([str(run_dir_for("cyclegan-d6", runs)), "--name", "p2p-tiny", "--out-dir", str(copy),
                 "--display-name", "Replaced"]) == 0
    entries = _entries(copy)
    assert set(entries) == {"p2p-tiny", "tiny-a"}
    assert not (copy / "p2p-tiny-int8.onnx").exists() and not (copy / "p2p-tiny-fp16.onnx").exists()
    assert entries["p2p-tiny"].approach == "cyclegan" and entries["p2p-tiny"].display_name == "Replaced"
    assert entries["p2p-tiny"].default  # kept from the first export


def test_export_of_a_chosen_checkpoint_holds_its_weights_not_the_final_ones(runs, tmp_path, capsys):
    import tensorflow as tf

    run = tmp_path / "run"
    shutil.copytree(run_dir_for("pix2pix-d6", runs), run)
    model = load_keras_model(run / "generator.keras")
    x = np.random.default_rng(5).uniform(-1, 1, (1, 64, 64, 3)).astype(np.float32)
    final = keras_predict(model, x)
    rng = np.random.default_rng(6)
    # trainable weights only: noise on a BatchNorm moving variance can make it negative (NaN out)
    for v in model.trainable_weights:
        v.assign(v.numpy() + rng.normal(0, 0.05, v.shape).astype(v.dtype))
    chosen = keras_predict(model, x)
    ckpt = tf.train.Checkpoint(generator=model)  # as the trainer saves them
    tf.train.CheckpointManager(ckpt, str(run / "checkpoints"), max_to_keep=3).save(checkpoint_number=4)
    assert np.abs(chosen - final).max() > 1e-2

    out = tmp_path / "models"
    assert main([str(run), "--name", "p2p-ckpt", "--out-dir", str(out), "--checkpoint", "4"]) == 0
    entry = _entries(out)["p2p-ckpt"]
    assert entry.provenance["steps"] == 4 and entry.provenance["checkpoint"].endswith("ckpt-4")
    onnx_out = run_session(cpu_session(entry.file_path("generator")), x)
    assert np.abs(onnx_out - chosen).max() < 1e-4 and np.abs(onnx_out - final).max() > 1e-2

    # a range: the mean of the weights of the checkpoints kept in it
    weights_4 = model.get_weights()
    model.set_weights([w * 0.5 for w in weights_4])
    tf.train.CheckpointManager(ckpt, str(run / "checkpoints"), max_to_keep=3).save(checkpoint_number=6)
    model.set_weights([w * 0.75 for w in weights_4])  # = the mean of ckpt-4 and ckpt-6
    mean = keras_predict(model, x)
    assert main([str(run), "--name", "p2p-mean", "--out-dir", str(out), "--checkpoint", "3-6"]) == 0
    entry = _entries(out)["p2p-mean"]
    assert entry.provenance["steps"] == 6 and "mean of 2 checkpoints: ckpt-4, ckpt-6" in entry.provenance["checkpoint"]
    assert np.abs(run_session(cpu_session(entry.file_path("generator")), x) - mean).max() < 1e-4

    capsys.readouterr()
    assert main([str(run), "--name", "p2p-ckpt", "--out-dir", str(out), "--checkpoint", "9"]) == 1
    err = capsys.readouterr().err
    assert "no such checkpoint" in err and "kept: ckpt-4, ckpt-6" in err and "Traceback" not in err

    # --check does not hold a checkpoint's export against the run's final generator.keras
    capsys.readouterr()
    assert main(["--check", "--manifest", str(out / "manifest.json")]) == 0
    assert "exported from" in capsys.readouterr().out

    # a run still training has no generator.keras yet: its checkpoints export all the same
    (run / "generator.keras").unlink()
    assert main([str(run), "--name", "p2p-training", "--out-dir", str(out)]) == 1
    assert "--checkpoint N" in capsys.readouterr().err
    assert main([str(run), "--name", "p2p-training", "--out-dir", str(out), "--checkpoint", "4"]) == 0
    entry = _entries(out)["p2p-training"]
    assert np.abs(run_session(cpu_session(entry.file_path("generator")), x) - chosen).max() < 1e-4


def test_blend_start_exports_the_weights_moved_back_toward_the_runs_start(runs, tmp_path, capsys):
    start = tmp_path / "start"
    shutil.copytree(run_dir_for("pix2pix-d6", runs), start)
    tuned = tmp_path / "tuned"  # a fine-tune of it: other weights, and --init-from in its config
    shutil.copytree(start, tuned)
    model = load_keras_model(start / "generator.keras")
    initial = model.get_weights()
    rng = np.random.default_rng(7)
    for v in model.trainable_weights:
        v.assign(v.numpy() + rng.normal(0, 0.05, v.shape).astype(v.dtype))
    model.save(tuned / "generator.keras")
    config = json.loads((tuned / "config.json").read_text())
    (tuned / "config.json").write_text(json.dumps({**config, "init_from": str(start)}))
    x = np.random.default_rng(8).uniform(-1, 1, (1, 64, 64, 3)).astype(np.float32)
    tuned_out = keras_predict(model, x)
    model.set_weights([0.75 * t + 0.25 * i for t, i in zip(model.get_weights(), initial, strict=True)])
    blended = keras_predict(model, x)
    assert np.abs(blended - tuned_out).max() > 1e-2

    out = tmp_path / "models"
    assert main([str(tuned), "--name", "p2p-blend", "--out-dir", str(out), "--blend-start", "0.25"]) == 0
    entry = _entries(out)["p2p-blend"]
    assert np.abs(run_session(cpu_session(entry.file_path("generator")), x) - blended).max() < 1e-4
    assert "blended with 0.25 of its start" in entry.provenance["checkpoint"]
    capsys.readouterr()
    assert main(["--check", "--manifest", str(out / "manifest.json")]) == 0  # not held against generator.keras

    # the weights the warm start recorded reading (a run that kept only its generator.keras) win over
    # --init-from, which may name a run that has trained on or gone since
    (tuned / "config.json").write_text(json.dumps({**config, "init_from": str(tmp_path / "moved-on"),
                                                   "initialised_from": {"checkpoint": str(start / "generator.keras")}}))
    assert main([str(tuned), "--name", "p2p-recorded", "--out-dir", str(out), "--blend-start", "0.25"]) == 0
    entry = _entries(out)["p2p-recorded"]
    assert np.abs(run_session(cpu_session(entry.file_path("generator")), x) - blended).max() < 1e-4

    # a share outside (0, 1), a run that trained from scratch, or one whose start is gone: said, nothing written
    assert main([str(tuned), "--name", "p2p-all", "--out-dir", str(out), "--blend-start", "1"]) == 1
    assert "between 0 and 1" in capsys.readouterr().err
    (tuned / "config.json").write_text(json.dumps(config))
    assert main([str(tuned), "--name", "p2p-none", "--out-dir", str(out), "--blend-start", "0.5"]) == 1
    assert "--init-from" in capsys.readouterr().err
    (tuned / "config.json").write_text(json.dumps({**config, "init_from": str(tmp_path / "gone")}))
    assert main([str(tuned), "--name", "p2p-gone", "--out-dir", str(out), "--blend-start", "0.5"]) == 1
    err = capsys.readouterr().err
    assert "gone" in err and "Traceback" not in err
    assert set(_entries(out)) == {"p2p-blend", "p2p-recorded"}


def test_only_fp16_ships_the_checked_half_size_model_under_its_own_name(pix2pix_export, tmp_path):
    run, full = pix2pix_export
    out = tmp_path / "models"
    shutil.copytree(full, out)  # holds p2p-tiny (fp32) and its -fp16/-int8 variants
    assert main([str(run), "--name", "p2p-tiny", "--out-dir", str(out), "--only", "fp16", "--default"]) == 0
    entries = _entries(out)
    assert set(entries) == {"p2p-tiny"}  # the old variants of p2p-tiny are gone with it
    entry = entries["p2p-tiny"]
    assert entry.precision == "fp16" and entry.default and "variant_of" not in entry.provenance
    assert entry.provenance["parity"]["ssim_mean"] >= 0.98
    assert entry.file_path("generator").name == "p2p-tiny.onnx"
    fp32 = _entries(full)["p2p-tiny"].file_path("generator")
    assert entry.file_path("generator").stat().st_size < 0.6 * fp32.stat().st_size
    assert sorted(p.name for p in out.glob("*.onnx")) == ["p2p-tiny.onnx"]
