"""Multiply-accumulates of a Keras generator's convolutions at a given input size.

Convolutions are >99% of a U-Net's arithmetic, so their MACs are the model's cost: the number
that says whether a CPU is at its peak (benchmarks/infer.py prints it beside a measured matrix-multiply
peak) and how much a compact model saves.
"""

from __future__ import annotations

import numpy as np


def conv_macs(model, height: int, width: int, channels: int | None = None) -> int:
    """Sum of MACs of every Conv2D / Conv2DTranspose for one HxW image (batch 1)."""
    import keras

    convs = [layer for layer in model.layers
             if isinstance(layer, keras.layers.Conv2D | keras.layers.Conv2DTranspose)]
    if not convs:
        return 0
    channels = channels or int(model.inputs[0].shape[-1])
    # Real output shapes from one forward pass: no re-implementation of padding arithmetic.
    probe = keras.Model(model.inputs[0], [layer.output for layer in convs])
    outputs = probe(np.zeros((1, height, width, channels), np.float32), training=False)
    total = 0
    for layer, out in zip(convs, outputs, strict=True):
        kh, kw = layer.kernel_size
        out_h, out_w, out_c = (int(d) for d in out.shape[1:])
        in_c = int(layer.input.shape[-1])
        if isinstance(layer, keras.layers.Conv2DTranspose):
            sh, sw = layer.strides
            total += (out_h // sh) * (out_w // sw) * kh * kw * in_c * out_c  # every input pixel x kernel
        else:
            total += out_h * out_w * kh * kw * in_c * out_c
    return total


def onnx_conv_macs(path, height: int, width: int) -> tuple[int, int]:
    """(executed, network) multiply-accumulates of an ONNX generator's convolutions for one HxW
    image (batch 1), read from the shapes onnxruntime computes (any precision, QDQ included).

    ``network`` counts what the Keras network defines, the same for every export of it: a
    sub-pixel convolution of a clean graph (export/clean_graph.py: 2x2 kernels, four phases,
    then DepthToSpace) counts as the 3x3 convolution at the doubled size it replaces."""
    import onnx

    from export.clean_graph import probe_values

    model = onnx.load(str(path))
    inits = {t.name: t for t in model.graph.initializer}
    consumers: dict[str, list] = {}
    for node in model.graph.node:
        for name in node.input:
            consumers.setdefault(name, []).append(node)
    convs = [n for n in model.graph.node if n.op_type in ("Conv", "ConvTranspose")]
    wanted = {n.output[0] for n in convs} | {n.input[1] for n in convs if n.input[1] not in inits}
    dims = model.graph.input[0].type.tensor_type.shape.dim
    channels = dims[3].dim_value or dims[1].dim_value
    x = np.zeros((1, height, width, channels), np.float32)
    values = probe_values(model, x, wanted)
    executed = network = 0
    for node in convs:
        weight = list(inits[node.input[1]].dims) if node.input[1] in inits else list(values[node.input[1]].shape)
        out = values[node.output[0]].shape
        if node.op_type == "ConvTranspose":  # every input pixel times the whole kernel
            stride = next((list(a.ints) for a in node.attribute if a.name == "strides"), [1, 1])
            macs = (out[2] // stride[0]) * (out[3] // stride[1]) * int(np.prod(weight))
        else:
            macs = int(np.prod(out)) * int(np.prod(weight[1:]))
        executed += macs
        network += _network_macs(node, out, weight, consumers, macs)
    return executed, network


_PASS_THROUGH = ("Relu", "LeakyRelu", "Tanh", "QuantizeLinear", "DequantizeLinear")


def _network_macs(node, out, weight, consumers, macs: int) -> int:
    after = consumers.get(node.output[0], [])
    for _ in range(4):  # through activations and QDQ pairs to the DepthToSpace, if there is one
        if len(after) != 1 or after[0].op_type not in _PASS_THROUGH:
            break
        after = consumers.get(after[0].output[0], [])
    if node.op_type == "Conv" and weight[2:] == [2, 2] and len(after) == 1 and after[0].op_type == "DepthToSpace":
        h, w = out[2] - 1, out[3] - 1  # the small tensor's size (the conv ran on it padded by 1)
        return (2 * h) * (2 * w) * (weight[0] // 4) * weight[1] * 9
    return macs
