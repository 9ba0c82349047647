"""Multiply-accumulates of a Keras generator's convolutions at a given input size.

Convolutions are >99% of a U-Net's arithmetic, so their MACs are the model's cost: the number
that says whether a CPU is at its peak (GUIDE §2) and how much a compact model saves.
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
