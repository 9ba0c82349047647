"""Smaller variants of an fp32 ONNX generator.

- fp16: weights STORED in float16 (half the file) and cast back to float32 when onnxruntime
  loads the model (it folds the casts away), so the arithmetic is float32 everywhere: the same
  on every CPU whatever float16 kernels it has, and as fast on CPU as float16 arithmetic was.
  Inputs and outputs stay float32.
- int8: static QDQ quantization, per-channel int8 weights, uint8 activations with ranges
  calibrated on real XDoG sketches (random noise would calibrate for inputs the model never sees),
  for onnxruntime's VNNI kernels (QLinearConv). An activation's range is either the extremes
  over all calibration sketches (MinMax) or the mean of each sketch's minimum and maximum
  ("moving average"): which is better depends on the model (export/cpu_int8.py tries both). The first convolution (3 input channels: little
  work) and the last (the colours themselves, before tanh) stay float32: quantizing the last one
  cost the face test split ~0.02 SSIM against fp32 (benchmarks/infer.py, docs/performance.md).
  Two things onnxruntime's quantizer leaves in float: the sub-pixel ``DepthToSpace`` of a clean
  graph (export/clean_graph.py) is registered as an 8-bit data-movement op like Transpose, and
  reflect/edge ``Pad`` nodes, which only copy values, are rewired to pad the uint8 tensor itself
  (onnxruntime keeps a DequantizeLinear -> float Pad -> QuantizeLinear round trip around them).
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator, Sequence
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
    """Feeds calibration inputs one at a time, as the app runs them: an NxHxWxC batch or a list
    of 1xHxWxC arrays of any sizes (whole pages shrunk to the working size, face crops, ...)."""

    def __init__(self, input_name: str, sketches: np.ndarray | Sequence[np.ndarray]):
        inputs = [s[None] for s in sketches] if isinstance(sketches, np.ndarray) else list(sketches)
        self._feeds = iter([{input_name: x.astype(np.float32)} for x in inputs])

    def get_next(self):
        return next(self._feeds, None)


KEEP_FLOAT = ("first", "last")  # convolutions left in float32 (see the module docstring)


def to_int8(src: Path, dst: Path, calibration_sketches: np.ndarray | Sequence[np.ndarray], *,
            keep_float: Sequence[str] = KEEP_FLOAT, moving_average: bool = False) -> Path:
    """Static int8 QDQ quantization (per-channel weights), calibrated on the given sketches.

    ``keep_float``: "first" and/or "last": those convolutions (in graph order) stay float32.
    ``moving_average``: activation ranges from the mean of each sketch's minimum and maximum
    (else the extremes over all sketches)."""
    input_name = onnx.load(str(src), load_external_data=False).graph.input[0].name
    with tempfile.TemporaryDirectory(prefix="ganime-int8-") as tmp:
        # Pre-processing (graph optimisation: float16 casts and constant weight arithmetic folded,
        # then shape inference) is what onnxruntime recommends before quantizing; symbolic shape
        # inference is skipped: N/H/W stay dynamic.
        prepared = Path(tmp) / "prepared.onnx"
        quant_pre_process(str(src), str(prepared), skip_symbolic_shape=True)
        convs = [n.name for n in onnx.load(str(prepared)).graph.node if n.op_type in ("Conv", "ConvTranspose")]
        excluded = sorted({convs[i] for end, i in (("first", 0), ("last", -1)) if end in keep_float and convs})
        with _depth_to_space_in_8_bits():
            quantize_static(
                str(prepared), str(dst), SketchCalibration(input_name, calibration_sketches),
                quant_format=QuantFormat.QDQ, per_channel=True, activation_type=QuantType.QUInt8,
                weight_type=QuantType.QInt8, calibrate_method=CalibrationMethod.MinMax,
                nodes_to_exclude=excluded, extra_options={"CalibMovingAverage": moving_average},
            )
    model = onnx.load(str(dst))
    pad_quantized_tensors(model)
    onnx.checker.check_model(model)
    onnx.save(model, str(dst))
    return dst


@contextlib.contextmanager
def _depth_to_space_in_8_bits() -> Iterator[None]:
    """DepthToSpace moves values like Transpose: quantize it as the quantizer does Transpose."""
    from onnxruntime.quantization.operators.direct_q8 import QDQDirect8BitOp
    from onnxruntime.quantization.registry import QDQRegistry

    had = QDQRegistry.get("DepthToSpace")
    QDQRegistry["DepthToSpace"] = QDQDirect8BitOp
    try:
        yield
    finally:
        if had is None:
            QDQRegistry.pop("DepthToSpace", None)
        else:
            QDQRegistry["DepthToSpace"] = had


def pad_quantized_tensors(model: onnx.ModelProto) -> int:
    """DequantizeLinear -> Pad (reflect/edge) -> QuantizeLinear with the same scale and zero point
    becomes Pad on the quantized tensor: such a pad only copies values, so the result is
    identical, without two float conversions of the whole tensor. Returns how many were rewired."""
    graph = model.graph
    values = {t.name: numpy_helper.to_array(t) for t in graph.initializer}
    producers = {o: n for n in graph.node for o in n.output}
    consumers: dict[str, list[onnx.NodeProto]] = {}
    for n in graph.node:
        for i in n.input:
            consumers.setdefault(i, []).append(n)
    dropped: set[int] = set()
    count = 0
    for pad in graph.node:
        mode = next((a.s for a in pad.attribute if a.name == "mode"), b"constant")
        if pad.op_type != "Pad" or mode not in (b"reflect", b"edge"):
            continue
        dq, after = producers.get(pad.input[0]), consumers.get(pad.output[0], [])
        if dq is None or dq.op_type != "DequantizeLinear" or len(after) != 1 or after[0].op_type != "QuantizeLinear":
            continue
        q = after[0]
        params = list(zip(dq.input[1:], q.input[1:], strict=False))
        if len(params) != 2 or not all(a in values and b in values and np.array_equal(values[a], values[b])
                                       and values[a].dtype == values[b].dtype for a, b in params):
            continue
        pad.input[0], pad.output[0] = dq.input[0], q.output[0]
        dropped.add(id(q))
        if len(consumers.get(dq.output[0], [])) == 1:
            dropped.add(id(dq))
        count += 1
    kept = [n for n in graph.node if id(n) not in dropped]
    graph.ClearField("node")
    graph.node.extend(kept)
    return count
