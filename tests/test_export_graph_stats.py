"""Conv MAC counting (the GMACs the inference benchmark reports)."""

import keras

from export.graph_stats import conv_macs
from training.networks import build_unet_generator, encoder_filters


def test_macs_of_hand_counted_layers():
    inputs = keras.Input((None, None, 3))
    x = keras.layers.Conv2D(4, 3, padding="same")(inputs)  # 8*8 outputs x 3*3*3 x 4
    x = keras.layers.Conv2D(6, 4, strides=2, padding="same")(x)  # 4*4 outputs x 4*4*4 x 6
    x = keras.layers.Conv2DTranspose(2, 4, strides=2, padding="same")(x)  # 4*4 inputs x 4*4*6 x 2
    model = keras.Model(inputs, x)
    assert conv_macs(model, 8, 8) == 8 * 8 * 27 * 4 + 4 * 4 * 64 * 6 + 4 * 4 * 96 * 2


def test_unet_encoder_macs_scale_with_pixels():
    model = build_unet_generator(ngf=4, depth=6)
    small, large = conv_macs(model, 64, 64), conv_macs(model, 128, 128)
    assert large == 4 * small
    # the first encoder conv alone: 32x32 outputs, 4x4x3 kernel, ngf filters
    assert small > 32 * 32 * 4 * 4 * 3 * encoder_filters(6, 4)[0]
