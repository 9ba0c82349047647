"""Generator and discriminator networks of the GANime paper (Pix2Pix / CycleGAN).

U-Net generator: Conv k4 s2 encoder blocks 64-128-256-512-512-512-512-512 (the first without
normalization, LeakyReLU 0.2), a decoder of upsampling blocks with skip connections, dropout 0.5
on the first three, tanh output. PatchGAN: the 70x70 discriminator of Isola et al.

Two options beyond the paper, for the artefacts a transposed-convolution decoder and zero
padding leave (checkerboard grid, coloured frame at the edges): ``upsample="resize"`` (nearest
resize then a 3x3 convolution, Odena et al. 2016) and ``padding="reflect"``. The defaults are
the paper's.
"""

from __future__ import annotations

import math

import keras
from keras import layers, ops

INIT_STD = 0.02
MAX_DEPTH = 8  # the paper's 8-level U-Net: a 256 px input reaches a 1x1 bottleneck


def unet_depth(image_size: int) -> int:
    """Encoder levels for an image size: log2(size), capped at the paper's 8.

    64 px -> 6, 128 -> 7, 256 and 512 -> 8. The generator then needs H and W that are
    multiples of 2**depth (see ``size_multiple``).
    """
    if image_size < 16 or image_size & (image_size - 1):
        raise ValueError(f"image size must be a power of two >= 16, got {image_size}")
    return min(MAX_DEPTH, int(math.log2(image_size)))


def size_multiple(depth: int) -> int:
    """The multiple that H and W must be for a U-Net of this depth."""
    return 2**depth


def encoder_filters(depth: int, ngf: int) -> list[int]:
    """Filters per encoder level: ngf, 2ngf, 4ngf, 8ngf, 8ngf, ... (64-128-256-512-512-...)."""
    return [ngf * min(2**i, 8) for i in range(depth)]


class InstanceNormalization(layers.Layer):
    """Per-sample, per-channel normalization over H and W (Ulyanov et al.), as CycleGAN uses.

    Learned scale initialised from N(1, 0.02) and zero offset, epsilon 1e-5.
    """

    def __init__(self, epsilon: float = 1e-5, **kwargs):
        super().__init__(**kwargs)
        self.epsilon = epsilon

    def build(self, input_shape):
        channels = input_shape[-1]
        self.scale = self.add_weight(
            name="scale",
            shape=(channels,),
            initializer=keras.initializers.RandomNormal(1.0, INIT_STD),
        )
        self.offset = self.add_weight(name="offset", shape=(channels,), initializer="zeros")

    def call(self, x):
        mean = ops.mean(x, axis=(1, 2), keepdims=True)
        variance = ops.var(x, axis=(1, 2), keepdims=True)
        return self.scale * (x - mean) * ops.rsqrt(variance + self.epsilon) + self.offset

    def get_config(self):
        return {**super().get_config(), "epsilon": self.epsilon}


class ReflectPad2D(layers.Layer):
    """Reflect padding of H and W by ``pad`` pixels on each side."""

    def __init__(self, pad: int = 1, **kwargs):
        super().__init__(**kwargs)
        self.pad = pad

    def call(self, x):
        p = self.pad
        return ops.pad(x, [[0, 0], [p, p], [p, p], [0, 0]], mode="reflect")

    def get_config(self):
        return {**super().get_config(), "pad": self.pad}


def _norm(kind: str, name: str) -> layers.Layer:
    if kind == "batch":
        return layers.BatchNormalization(name=name)
    if kind == "instance":
        return InstanceNormalization(name=name)
    raise ValueError(f"unknown norm {kind!r}; use batch or instance")


def _init():
    return keras.initializers.RandomNormal(0.0, INIT_STD)


def _down(x, filters, *, norm, padding, name, apply_norm=True):
    """Conv k4 s2 -> [norm] -> LeakyReLU(0.2): halves H and W."""
    if padding == "reflect":
        x = ReflectPad2D(1, name=f"{name}_pad")(x)
        x = layers.Conv2D(filters, 4, strides=2, padding="valid", kernel_initializer=_init(),
                          use_bias=not apply_norm, name=f"{name}_conv")(x)
    else:
        x = layers.Conv2D(filters, 4, strides=2, padding="same", kernel_initializer=_init(),
                          use_bias=not apply_norm, name=f"{name}_conv")(x)
    if apply_norm:
        x = _norm(norm, f"{name}_norm")(x)
    return layers.LeakyReLU(0.2, name=f"{name}_act")(x)


def _up(x, filters, *, norm, padding, upsample, dropout, name, apply_norm=True):
    """Doubles H and W: transposed conv k4 s2 (paper) or nearest resize + conv k3 -> norm -> [dropout]."""
    if upsample == "transpose":
        x = layers.Conv2DTranspose(filters, 4, strides=2, padding="same", kernel_initializer=_init(),
                                   use_bias=not apply_norm, name=f"{name}_deconv")(x)
    elif upsample == "resize":
        x = layers.UpSampling2D(2, interpolation="nearest", name=f"{name}_resize")(x)
        x = _conv3(x, filters, padding=padding, use_bias=not apply_norm, name=f"{name}_conv")
    else:
        raise ValueError(f"unknown upsample {upsample!r}; use transpose or resize")
    if apply_norm:
        x = _norm(norm, f"{name}_norm")(x)
    if dropout:
        x = layers.Dropout(0.5, name=f"{name}_dropout")(x)
    return x


def _conv3(x, filters, *, padding, use_bias, name):
    if padding == "reflect":
        x = ReflectPad2D(1, name=f"{name}_pad")(x)
        return layers.Conv2D(filters, 3, padding="valid", kernel_initializer=_init(), use_bias=use_bias,
                             name=name)(x)
    return layers.Conv2D(filters, 3, padding="same", kernel_initializer=_init(), use_bias=use_bias,
                         name=name)(x)


def build_unet_generator(
    image_size: int = 256,
    *,
    ngf: int = 64,
    in_channels: int = 3,
    out_channels: int = 3,
    norm: str = "batch",
    upsample: str = "transpose",
    padding: str = "zero",
    depth: int | None = None,
    name: str = "unet_generator",
) -> keras.Model:
    """The Pix2Pix U-Net; fully convolutional, so it accepts any H, W that are multiples of 2**depth.

    ``image_size`` only chooses the depth (``unet_depth``) unless ``depth`` is given.
    """
    if padding not in ("zero", "reflect"):
        raise ValueError(f"unknown padding {padding!r}; use zero or reflect")
    depth = depth or unet_depth(image_size)
    filters = encoder_filters(depth, ngf)
    inputs = keras.Input(shape=(None, None, in_channels), name="sketch")
    x = inputs
    skips = []
    for i, f in enumerate(filters):
        # The paper: no normalization on the first block; none on the 1x1 bottleneck either,
        # where instance norm would be undefined and batch norm zeroes it at batch 1.
        x = _down(x, f, norm=norm, padding=padding, name=f"down{i + 1}",
                  apply_norm=0 < i < depth - 1)
        skips.append(x)
    skips = skips[:-1][::-1]
    for i, (f, skip) in enumerate(zip(filters[:-1][::-1], skips, strict=True)):
        x = _up(x, f, norm=norm, padding=padding, upsample=upsample, dropout=i < 3, name=f"up{i + 1}")
        x = layers.ReLU(name=f"up{i + 1}_act")(x)
        x = layers.Concatenate(name=f"up{i + 1}_skip")([x, skip])
    if upsample == "transpose":
        x = layers.Conv2DTranspose(out_channels, 4, strides=2, padding="same", kernel_initializer=_init(),
                                   name="out_deconv")(x)
    else:
        x = layers.UpSampling2D(2, interpolation="nearest", name="out_resize")(x)
        x = _conv3(x, out_channels, padding=padding, use_bias=True, name="out_conv")
    outputs = layers.Activation("tanh", name="color", dtype="float32")(x)
    return keras.Model(inputs, outputs, name=name)


def build_patchgan_discriminator(
    *,
    in_channels: int = 6,
    ndf: int = 64,
    norm: str = "batch",
    name: str = "patchgan",
) -> keras.Model:
    """The 70x70 PatchGAN: C64-C128-C256 (stride 2), C512 (stride 1), 1-channel logits map.

    Pix2Pix feeds it the sketch and a colour image concatenated (6 channels); CycleGAN one
    3-channel image.
    """
    inputs = keras.Input(shape=(None, None, in_channels), name="image")
    x = _down(inputs, ndf, norm=norm, padding="zero", name="d1", apply_norm=False)
    x = _down(x, ndf * 2, norm=norm, padding="zero", name="d2")
    x = _down(x, ndf * 4, norm=norm, padding="zero", name="d3")
    x = layers.ZeroPadding2D(name="d4_pad")(x)
    x = layers.Conv2D(ndf * 8, 4, strides=1, kernel_initializer=_init(), use_bias=False, name="d4_conv")(x)
    x = _norm(norm, "d4_norm")(x)
    x = layers.LeakyReLU(0.2, name="d4_act")(x)
    x = layers.ZeroPadding2D(name="out_pad")(x)
    outputs = layers.Conv2D(1, 4, strides=1, kernel_initializer=_init(), name="logits", dtype="float32")(x)
    return keras.Model(inputs, outputs, name=name)


CUSTOM_OBJECTS = {"InstanceNormalization": InstanceNormalization, "ReflectPad2D": ReflectPad2D}
