"""export/clean_graph.py on real tf2onnx graphs of small fitted U-Nets: the rewrite computes what the
original graph computes (float32 and float16 storage), does only the network's work, and leaves
what it does not recognise alone."""

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from _keras_generators import run_dir_for
from onnx import TensorProto, helper, numpy_helper

from export.clean_graph import clean_generator
from export.convert import keras_predict, to_onnx
from export.graph_stats import onnx_conv_macs
from export.parity import cpu_session, run_session
from export.sketches import SketchSet
from export.variants import to_fp16
from training.model_loading import load_keras_model


@pytest.fixture(scope="module")
def runs(tmp_path_factory, faces_dir):
    return tmp_path_factory.getbasetemp() / "export-runs"  # shared with the other export test modules


def _graphs(config, runs, tmp_path):
    run = run_dir_for(config, runs)
    model = load_keras_model(run / "generator.keras")
    depth = {"pix2pix-d8": 8, "cyclegan-d8": 8, "pix2pix-d6": 6, "cyclegan-d6": 6}[config]
    m = 2**depth
    raw = to_onnx(model)
    clean, report = clean_generator(raw, np.random.default_rng(0).uniform(-1, 1, (1, 2 * m, 3 * m, 3)).astype(np.float32))
    paths = {}
    for name, proto in (("raw", raw), ("clean", clean)):
        paths[name] = tmp_path / f"{name}.onnx"
        onnx.save(proto, str(paths[name]))
    return model, m, paths, report


@pytest.mark.slow
@pytest.mark.parametrize("config", ["pix2pix-d8", "cyclegan-d8", "pix2pix-d6"])
def test_clean_graph_matches_the_original_and_keras(config, runs, faces_dir, tmp_path):
    model, m, paths, report = _graphs(config, runs, tmp_path)
    raw, clean = cpu_session(paths["raw"]), cpu_session(paths["clean"])
    sketches = SketchSet(faces_dir, "color")
    inputs = [sketches.batch(2, m, 2 * m), np.random.default_rng(1).uniform(-1, 1, (1, 2 * m, m, 3)).astype(np.float32)]
    for x in inputs:
        got = run_session(clean, x)
        assert got.shape == x.shape
        assert np.abs(got - run_session(raw, x)).max() <= 1e-5
        assert np.abs(got - keras_predict(model, x)).max() <= 1e-4
    ops = report.ops_after
    assert ops["Transpose"] - ops["MatMul"] <= 2  # one in, one out; the others reorder constant weights
    if config.endswith("d8"):  # resize-convolution decoders: every one became a sub-pixel convolution
        assert report.upsamplings == 2 * 8 and report.subpixel == 8
        assert not {"Resize", "Tile", "Shape"} & set(ops)
        executed, network = onnx_conv_macs(paths["clean"], m, m)
        assert network == onnx_conv_macs(paths["raw"], m, m)[1] and executed < 0.7 * network


def test_float16_storage_stays_bit_for_bit_and_is_cast_once_when_loading(runs, faces_dir, tmp_path):
    _, m, paths, _ = _graphs("pix2pix-d8", runs, tmp_path)
    to_fp16(paths["raw"], tmp_path / "half.onnx")
    half = onnx.load(str(tmp_path / "half.onnx"))
    clean, _ = clean_generator(half, np.zeros((1, 2 * m, 3 * m, 3), np.float32))
    onnx.save(clean, str(tmp_path / "half-clean.onnx"))

    def stored(proto):
        return sorted(numpy_helper.to_array(t).tobytes() for t in proto.graph.initializer
                      if t.data_type == TensorProto.FLOAT16)

    assert stored(clean) and stored(clean) == stored(half)
    x = SketchSet(faces_dir, "color").batch(2, m, 2 * m, offset=3)
    got = run_session(cpu_session(tmp_path / "half-clean.onnx"), x)
    assert np.abs(got - run_session(cpu_session(tmp_path / "half.onnx"), x)).max() <= 1e-5
    # onnxruntime folds the casts and the sub-pixel weight arithmetic into float32 constants at load
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC
    options.optimized_model_filepath = str(tmp_path / "loaded.onnx")
    ort.InferenceSession(str(tmp_path / "half-clean.onnx"), options, providers=["CPUExecutionProvider"])
    loaded = {n.op_type for n in onnx.load(str(tmp_path / "loaded.onnx")).graph.node}
    assert not loaded & {"Cast", "MatMul", "Reshape"}, loaded


def test_a_tile_that_is_not_a_nearest_repeat_is_left_alone():
    """Unsqueeze -> Tile -> Reshape that stacks the image twice (a tiling, not an upsampling)."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 4, 5])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3, 8, 5])
    inits = [numpy_helper.from_array(np.array([2], np.int64), "axes"),
             numpy_helper.from_array(np.array([1, 1, 2, 1, 1], np.int64), "reps"),
             numpy_helper.from_array(np.array([1, 3, 8, 5], np.int64), "shape")]
    nodes = [helper.make_node("Unsqueeze", ["x", "axes"], ["u"]), helper.make_node("Tile", ["u", "reps"], ["t"]),
             helper.make_node("Reshape", ["t", "shape"], ["y"])]
    model = helper.make_model(helper.make_graph(nodes, "tiling", [x], [y], initializer=inits),
                              opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    probe = np.random.default_rng(0).standard_normal((1, 3, 4, 5)).astype(np.float32)
    clean, report = clean_generator(model, probe, input_layout="NCHW")
    assert report.upsamplings == 0 and report.skipped and "Tile" in report.ops_after
    session = ort.InferenceSession(clean.SerializeToString(), providers=["CPUExecutionProvider"])
    np.testing.assert_array_equal(session.run(None, {"x": probe})[0], np.concatenate([probe, probe], axis=2))
