"""Small REAL ONNX models for tests, built with onnx.helper (no TensorFlow, no download).

- ``make_generator_onnx``: a generator that follows the app's model conventions (input "sketch"
  NHWC float32 [N,H,W,3] with dynamic N/H/W in [-1, 1], output NHWC RGB in [-1, 1] via Tanh).
  Inside: Transpose to NCHW, a 3x3 Conv (a local average of the sketch plus seeded random
  feature maps), a 1x1 Conv that maps paper and lines to two different colours (``tint``), Tanh,
  Transpose back. Two models with different tints give clearly different colourings.
- ``make_hint_generator_onnx``: a colour-hint generator (7 input channels, manifest.py's
  encoding) that colours like the above where there is no hint and copies the hint colour exactly
  where there is one, so tests can see where the pipeline put each hint.
- ``make_model_dir``: several such generators plus a valid manifest.json.
- ``with_int8_file``: a generator's manifest entry with a second, int8 CPU file
  (``CPU_INT8_ROLE``); any generator file can stand in for it, e.g. one with another tint, so a
  test sees which of the two ran. ``make_nan_generator_onnx``: a generator whose output is NaN.
- ``make_style_transfer_pair``: a tiny pair with the Magenta arbitrary-stylization interface
  (predict: style [1,256,256,3] in [0,1] -> [1,1,1,100]; transform: content [1,384,384,3] in
  [0,1] + style vector -> [1,384,384,3] in [0,1]).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from ganime_desktop.core.manifest import (
    CPU_INT8_ROLE,
    MANIFEST_NAME,
    ModelSpec,
    TensorSpec,
    describe_file,
    write_manifest,
)

OPSET = 17
# Default colours (RGB in [0, 1]) that paper and lines become; distinct per model name below.
TINTS = {
    "tiny-a": ((1.0, 0.85, 0.7), (0.15, 0.05, 0.4)),   # warm paper, purple lines
    "tiny-b": ((0.7, 0.9, 1.0), (0.4, 0.1, 0.05)),     # cool paper, brown lines
    "tiny-c": ((0.85, 1.0, 0.8), (0.05, 0.3, 0.1)),    # green paper, dark green lines
}
FEATURES = 8  # channels of the hidden conv


def _atanh_target(rgb01: Sequence[float]) -> np.ndarray:
    """Pre-Tanh value whose Tanh is the colour in [-1, 1] (clipped so atanh stays finite)."""
    v = np.clip(np.asarray(rgb01, np.float64) * 2.0 - 1.0, -0.96, 0.96)
    return np.arctanh(v)


def _generator_graph(seed: int, paper: Sequence[float], line: Sequence[float]) -> onnx.ModelProto:
    rng = np.random.default_rng(seed)
    # Conv1 (3 -> FEATURES, 3x3): channel 0 is the local mean of the sketch (a gray value in
    # [-1, 1]); the others are seeded random features that give the output some texture.
    w1 = rng.normal(0.0, 0.05, size=(FEATURES, 3, 3, 3)).astype(np.float32)
    w1[0] = 1.0 / 27.0
    b1 = np.zeros(FEATURES, np.float32)
    # Conv2 (FEATURES -> 3, 1x1): out_c = slope_c * gray + offset_c maps gray -1 (line) to the
    # line colour and +1 (paper) to the paper colour, before Tanh.
    t_paper, t_line = _atanh_target(paper), _atanh_target(line)
    slope, offset = (t_paper - t_line) / 2.0, (t_paper + t_line) / 2.0
    w2 = rng.normal(0.0, 0.05, size=(3, FEATURES, 1, 1)).astype(np.float32)
    w2[:, 0, 0, 0] = slope
    b2 = offset.astype(np.float32)

    nodes = [
        helper.make_node("Transpose", ["sketch"], ["x_nchw"], perm=[0, 3, 1, 2]),
        helper.make_node("Conv", ["x_nchw", "w1", "b1"], ["h1"], kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
        helper.make_node("Conv", ["h1", "w2", "b2"], ["h2"], kernel_shape=[1, 1]),
        helper.make_node("Tanh", ["h2"], ["y_nchw"]),
        helper.make_node("Transpose", ["y_nchw"], ["colour"], perm=[0, 2, 3, 1]),
    ]
    inits = [numpy_helper.from_array(a, n) for a, n in ((w1, "w1"), (b1, "b1"), (w2, "w2"), (b2, "b2"))]
    graph = helper.make_graph(
        nodes, "tiny_generator",
        [helper.make_tensor_value_info("sketch", TensorProto.FLOAT, ["N", "H", "W", 3])],
        [helper.make_tensor_value_info("colour", TensorProto.FLOAT, ["N", "H", "W", 3])],
        initializer=inits,
    )
    return _checked_model(graph)


def _checked_model(graph) -> onnx.ModelProto:
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = 8  # readable by every onnxruntime we support
    onnx.checker.check_model(model)
    return model


def make_generator_onnx(path: str | Path, *, seed: int = 0,
                        tint: tuple[Sequence[float], Sequence[float]] = TINTS["tiny-a"]) -> Path:
    """Write a tiny generator; ``tint`` = (paper colour, line colour), RGB in [0, 1]."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    paper, line = tint
    onnx.save(_generator_graph(seed, paper, line), str(path))
    return path


def generator_spec(name: str, onnx_path: Path, base_dir: Path, *, size_multiple: int = 16,
                   working_size: int = 64, default: bool = False) -> ModelSpec:
    """The manifest entry of a generator file written by make_generator_onnx."""
    tensor = TensorSpec(size_multiple=size_multiple, working_size=working_size)
    return ModelSpec(
        name=name, display_name=f"Tiny test model {name}", approach="pix2pix-tv", kind="generator",
        precision="fp32", files={"generator": describe_file(onnx_path, base_dir)},
        input=tensor, output=tensor, description="tests/_onnx_models.py",
        default=default, provenance={"source": "tests/_onnx_models.py"}, base_dir=base_dir,
    )


def with_int8_file(spec: ModelSpec, int8_path: Path) -> ModelSpec:
    """``spec`` with ``int8_path`` as its int8 CPU file (``CPU_INT8_ROLE``)."""
    return replace(spec, files={**spec.files, CPU_INT8_ROLE: describe_file(int8_path, spec.base_dir)})


def make_nan_generator_onnx(path: str | Path) -> Path:
    """A generator with the usual interface whose every output value is NaN (0 / 0): it loads and
    runs, and only a check of the raw outputs can tell."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    nodes = [
        helper.make_node("Sub", ["sketch", "sketch"], ["zero"]),
        helper.make_node("Div", ["zero", "zero"], ["colour"]),
    ]
    graph = helper.make_graph(
        nodes, "tiny_nan_generator",
        [helper.make_tensor_value_info("sketch", TensorProto.FLOAT, ["N", "H", "W", 3])],
        [helper.make_tensor_value_info("colour", TensorProto.FLOAT, ["N", "H", "W", 3])],
    )
    onnx.save(_checked_model(graph), str(path))
    return path


def _hint_generator_graph(seed: int, paper: Sequence[float], line: Sequence[float]) -> onnx.ModelProto:
    """A hint model by the manifest's convention (7 channels: sketch, hint RGB x mask, mask): the
    tiny generator's colouring where there is no hint, exactly the hint colour where there is."""
    base = _generator_graph(seed, paper, line)
    inits = list(base.graph.initializer)
    for name, value in (("c0", [0]), ("c3", [3]), ("c6", [6]), ("c7", [7]), ("axis_c", [1])):
        inits.append(numpy_helper.from_array(np.array(value, np.int64), name))
    inits.append(numpy_helper.from_array(np.array(1.0, np.float32), "one"))
    nodes = [
        helper.make_node("Transpose", ["sketch"], ["in_nchw"], perm=[0, 3, 1, 2]),
        helper.make_node("Slice", ["in_nchw", "c0", "c3", "axis_c"], ["x_nchw"]),
        helper.make_node("Slice", ["in_nchw", "c3", "c6", "axis_c"], ["hint_rgb"]),
        helper.make_node("Slice", ["in_nchw", "c6", "c7", "axis_c"], ["mask"]),
        *[n for n in base.graph.node if n.op_type in ("Conv", "Tanh")],
        helper.make_node("Sub", ["one", "mask"], ["unhinted"]),
        helper.make_node("Mul", ["y_nchw", "unhinted"], ["kept"]),
        helper.make_node("Add", ["kept", "hint_rgb"], ["out_nchw"]),
        helper.make_node("Transpose", ["out_nchw"], ["colour"], perm=[0, 2, 3, 1]),
    ]
    graph = helper.make_graph(
        nodes, "tiny_hint_generator",
        [helper.make_tensor_value_info("sketch", TensorProto.FLOAT, ["N", "H", "W", 7])],
        [helper.make_tensor_value_info("colour", TensorProto.FLOAT, ["N", "H", "W", 3])],
        initializer=inits,
    )
    return _checked_model(graph)


def make_hint_generator_onnx(path: str | Path, *, seed: int = 0,
                             tint: tuple[Sequence[float], Sequence[float]] = TINTS["tiny-a"]) -> Path:
    """Write a tiny hint generator (see ``_hint_generator_graph``)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(_hint_generator_graph(seed, *tint), str(path))
    return path


def hint_generator_spec(name: str, onnx_path: Path, base_dir: Path, *, size_multiple: int = 16,
                        working_size: int = 64) -> ModelSpec:
    tensor_in = TensorSpec(channels=7, hint_channels=4, size_multiple=size_multiple, working_size=working_size)
    tensor_out = TensorSpec(size_multiple=size_multiple, working_size=working_size)
    return ModelSpec(
        name=name, display_name=f"Tiny hint model {name}", approach="pix2pix-hints", kind="generator",
        precision="fp32", files={"generator": describe_file(onnx_path, base_dir)},
        input=tensor_in, output=tensor_out, description="tests/_onnx_models.py",
        provenance={"source": "tests/_onnx_models.py"}, base_dir=base_dir,
    )


def make_model_dir(directory: str | Path, names: Sequence[str] = ("tiny-a", "tiny-b"), size_multiple: int = 16,
                   working_size: int = 64, *, with_style_transfer: bool = False,
                   hint_names: Sequence[str] = ()) -> Path:
    """Write one generator per name plus manifest.json into ``directory``; returns the folder.

    The first name is marked default. ``with_style_transfer`` adds a "tiny-style" entry;
    ``hint_names`` adds tiny hint models (7 input channels) by those names.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    specs = []
    for i, name in enumerate(names):
        tint = TINTS.get(name, TINTS["tiny-a"] if i % 2 == 0 else TINTS["tiny-b"])
        path = make_generator_onnx(directory / f"{name}.onnx", seed=i, tint=tint)
        specs.append(generator_spec(name, path, directory, size_multiple=size_multiple,
                                    working_size=working_size, default=(i == 0)))
    for i, name in enumerate(hint_names):
        path = make_hint_generator_onnx(directory / f"{name}.onnx", seed=10 + i)
        specs.append(hint_generator_spec(name, path, directory, size_multiple=size_multiple,
                                         working_size=working_size))
    if with_style_transfer:
        predict, transform = make_style_transfer_pair(directory)
        specs.append(style_transfer_spec("tiny-style", predict, transform, directory))
    write_manifest(directory / MANIFEST_NAME, specs)
    return directory


# --- Magenta-style arbitrary stylization pair ------------------------------------------------------

STYLE_DIM = 100
STYLE_SIZE = 256
CONTENT_SIZE = 384
STYLE_VECTOR_NAME = "mobilenet_conv/Conv/BiasAdd"  # the name Magenta's files use on both sides


def _predict_graph(seed: int) -> onnx.ModelProto:
    rng = np.random.default_rng(seed)
    # Global mean colour of the style image -> 100-d vector (a fixed random projection).
    w = rng.normal(0.0, 1.0, size=(STYLE_DIM, 3, 1, 1)).astype(np.float32)
    nodes = [
        helper.make_node("Transpose", ["style_image"], ["s_nchw"], perm=[0, 3, 1, 2]),
        helper.make_node("GlobalAveragePool", ["s_nchw"], ["s_mean"]),
        helper.make_node("Conv", ["s_mean", "w_style"], ["v_nchw"], kernel_shape=[1, 1]),
        helper.make_node("Transpose", ["v_nchw"], [STYLE_VECTOR_NAME], perm=[0, 2, 3, 1]),
    ]
    graph = helper.make_graph(
        nodes, "tiny_style_predict",
        [helper.make_tensor_value_info("style_image", TensorProto.FLOAT, [1, STYLE_SIZE, STYLE_SIZE, 3])],
        [helper.make_tensor_value_info(STYLE_VECTOR_NAME, TensorProto.FLOAT, [1, 1, 1, STYLE_DIM])],
        initializer=[numpy_helper.from_array(w, "w_style")],
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], ir_version=8)


def _transform_graph(seed: int) -> onnx.ModelProto:
    rng = np.random.default_rng(seed + 1)
    # Content: a 3x3 conv that keeps the image (identity centre tap) plus small random taps;
    # style vector: a 1x1 conv back to a per-channel colour shift. Sigmoid -> [0, 1] like Magenta.
    wc = rng.normal(0.0, 0.05, size=(3, 3, 3, 3)).astype(np.float32)
    for c in range(3):
        wc[c, c, 1, 1] += 4.0
    bc = np.full(3, -2.0, np.float32)  # so content 0.5 maps near sigmoid(0)
    ws = rng.normal(0.0, 0.02, size=(3, STYLE_DIM, 1, 1)).astype(np.float32)
    nodes = [
        helper.make_node("Transpose", ["content_image"], ["c_nchw"], perm=[0, 3, 1, 2]),
        helper.make_node("Conv", ["c_nchw", "wc", "bc"], ["c_feat"], kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
        helper.make_node("Transpose", [STYLE_VECTOR_NAME], ["v_nchw"], perm=[0, 3, 1, 2]),
        helper.make_node("Conv", ["v_nchw", "ws"], ["shift"], kernel_shape=[1, 1]),
        helper.make_node("Add", ["c_feat", "shift"], ["mixed"]),
        helper.make_node("Sigmoid", ["mixed"], ["y_nchw"]),
        helper.make_node("Transpose", ["y_nchw"], ["stylized_image"], perm=[0, 2, 3, 1]),
    ]
    graph = helper.make_graph(
        nodes, "tiny_style_transform",
        [helper.make_tensor_value_info("content_image", TensorProto.FLOAT, [1, CONTENT_SIZE, CONTENT_SIZE, 3]),
         helper.make_tensor_value_info(STYLE_VECTOR_NAME, TensorProto.FLOAT, [1, 1, 1, STYLE_DIM])],
        [helper.make_tensor_value_info("stylized_image", TensorProto.FLOAT, [1, CONTENT_SIZE, CONTENT_SIZE, 3])],
        initializer=[numpy_helper.from_array(a, n) for a, n in ((wc, "wc"), (bc, "bc"), (ws, "ws"))],
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], ir_version=8)


def make_style_transfer_pair(directory: str | Path, *, seed: int = 0) -> tuple[Path, Path]:
    """Write tiny_style_predict.onnx and tiny_style_transform.onnx; returns (predict, transform)."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    predict, transform = directory / "tiny_style_predict.onnx", directory / "tiny_style_transform.onnx"
    for model, path in ((_predict_graph(seed), predict), (_transform_graph(seed), transform)):
        onnx.checker.check_model(model)
        onnx.save(model, str(path))
    return predict, transform


def style_transfer_spec(name: str, predict: Path, transform: Path, base_dir: Path) -> ModelSpec:
    """The manifest entry of a style-transfer pair (Magenta conventions: [0, 1], 384 fixed)."""
    tensor = TensorSpec(value_range=(0.0, 1.0), size_multiple=1, working_size=CONTENT_SIZE)
    return ModelSpec(
        name=name, display_name=f"Tiny style transfer {name}", approach="fast-nst", kind="style-transfer",
        precision="fp32",
        files={"style_predict": describe_file(predict, base_dir), "transform": describe_file(transform, base_dir)},
        input=tensor, output=tensor, description="tests/_onnx_models.py",
        provenance={"source": "tests/_onnx_models.py"}, base_dir=base_dir,
    )
