"""Smaller variants of an fp32 ONNX generator.

- fp16: weights STORED in float16 (half the file) and cast back to float32 when onnxruntime
  loads the model (it folds the casts away), so the arithmetic is float32 everywhere: the same
  on every CPU whatever float16 kernels it has, and as fast on CPU as float16 arithmetic was.
  Inputs and outputs stay float32.
- int8: static QDQ quantization, per-channel weights, activation ranges calibrated on real
  XDoG sketches (random noise would calibrate for inputs the model never sees).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import onnx
from onnx import helper, numpy_helper
from onnxruntime.quantization import (
    CalibrationDataReader,
    CalibrationMethod,
    QuantFormat,
    QuantType,
    quantize_static,
)
from onnxruntime.quantization.shape_inference import quant_pre_process

PRECISION_SUFFIX = {"fp16": "-fp16", "int8": "-int8"}


FP16_MAX = float(np.finfo(np.float16).max)
SMALL_TENSOR = 64  # elements: shape constants and scalars stay float32 (no size to gain, exact values)


def to_fp16(src: Path, dst: Path) -> Path:
    """float16 storage, float32 compute: every large float32 weight becomes a float16 initializer
    plus a Cast back to float32 under the weight's own name, so the graph is otherwise unchanged."""
    model = onnx.load(str(src))
    graph = model.graph
    kept, casts = [], []
    for tensor in graph.initializer:
        weights = numpy_helper.to_array(tensor)
        if (tensor.data_type != onnx.TensorProto.FLOAT or weights.size < SMALL_TENSOR
                or np.abs(weights).max(initial=0.0) > FP16_MAX):
            kept.append(tensor)
            continue
        stored = f"{tensor.name}__fp16"
        kept.append(numpy_helper.from_array(weights.astype(np.float16), stored))
        casts.append(helper.make_node("Cast", [stored], [tensor.name], to=onnx.TensorProto.FLOAT,
                                      name=f"{tensor.name}__to_fp32"))
    graph.ClearField("initializer")
    graph.initializer.extend(kept)
    nodes = casts + list(graph.node)  # the casts only read initializers: first keeps the order topological
    graph.ClearField("node")
    graph.node.extend(nodes)
    onnx.checker.check_model(model)
    onnx.save(model, str(dst))
    return dst


class SketchCalibration(CalibrationDataReader):
    """Feeds calibration sketches one at a time, as the app runs them."""

    def __init__(self, input_name: str, sketches: np.ndarray):
        self._feeds = iter([{input_name: s[None].astype(np.float32)} for s in sketches])

    def get_next(self):
        return next(self._feeds, None)


def to_int8(src: Path, dst: Path, calibration_sketches: np.ndarray) -> Path:
    """Static int8 QDQ quantization (per-channel weights), calibrated on the given sketches."""
    input_name = onnx.load(str(src), load_external_data=False).graph.input[0].name
    with tempfile.TemporaryDirectory(prefix="ganime-int8-") as tmp:
        # Pre-processing (graph optimisation + shape inference) is what onnxruntime recommends
        # before quantizing; symbolic shape inference is skipped: N/H/W stay dynamic.
        prepared = Path(tmp) / "prepared.onnx"
        quant_pre_process(str(src), str(prepared), skip_symbolic_shape=True)
        quantize_static(
            str(prepared), str(dst), SketchCalibration(input_name, calibration_sketches),
            quant_format=QuantFormat.QDQ, per_channel=True, activation_type=QuantType.QUInt8,
            weight_type=QuantType.QInt8, calibrate_method=CalibrationMethod.MinMax,
        )
    return dst
