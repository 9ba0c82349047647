"""Smaller variants of an fp32 ONNX generator.

- fp16: weights and compute in float16, inputs and outputs stay float32 (the app feeds fp32);
  half the file. Not faster on CPU (GUIDE §2), useful for storage and on GPUs.
- int8: static QDQ quantization, per-channel weights, activation ranges calibrated on real
  XDoG sketches (random noise would calibrate for inputs the model never sees).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import onnx
from onnxruntime.quantization import (
    CalibrationDataReader,
    CalibrationMethod,
    QuantFormat,
    QuantType,
    quantize_static,
)
from onnxruntime.quantization.shape_inference import quant_pre_process

PRECISION_SUFFIX = {"fp16": "-fp16", "int8": "-int8"}


def to_fp16(src: Path, dst: Path) -> Path:
    from onnxruntime.transformers.float16 import convert_float_to_float16

    model = convert_float_to_float16(onnx.load(str(src)), keep_io_types=True)
    _sort_topologically(model.graph)  # the converter appends its input casts at the end
    onnx.checker.check_model(model)
    onnx.save(model, str(dst))
    return dst


def _sort_topologically(graph: onnx.GraphProto) -> None:
    available = {i.name for i in graph.input} | {t.name for t in graph.initializer} | {""}
    pending, ordered = list(graph.node), []
    while pending:
        ready = [n for n in pending if all(i in available for i in n.input)]
        if not ready:
            raise ValueError("the fp16 graph has a cycle or a dangling input")
        for node in ready:
            available.update(node.output)
        ordered.extend(ready)
        pending = [n for n in pending if n not in ready]
    graph.ClearField("node")
    graph.node.extend(ordered)


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
