"""Conversions between QImage and the core's HxWx3 uint8 RGB arrays (always copies: no shared
buffers between a numpy array and a QImage that may outlive it).

Images for the screen are Format_RGB32: Qt paints it ~10x faster than RGB888 when scaling (an A4
page at 300 dpi: 3 ms against 31 ms per repaint, measured offscreen). numpy's RGB layout is Qt's
RGB888, and Qt converts between the two formats in one pass (A4 at 300 dpi: ~20 ms to RGB32,
~8 ms back; a numpy channel shuffle takes 2-4x longer).
"""

from __future__ import annotations

import numpy as np
from PySide6.QtGui import QImage


def rgb_to_qimage(rgb: np.ndarray) -> QImage:
    """HxWx3 uint8 RGB -> Format_RGB32 QImage."""
    if rgb.dtype != np.uint8 or rgb.ndim != 3 or rgb.shape[2] != 3:
        raise ValueError(f"expected HxWx3 uint8 RGB, got {rgb.dtype} {rgb.shape}")
    h, w = rgb.shape[:2]
    rgb = np.ascontiguousarray(rgb)
    return QImage(rgb.data, w, h, 3 * w, QImage.Format.Format_RGB888).convertToFormat(QImage.Format.Format_RGB32)


def qimage_to_rgb(image: QImage) -> np.ndarray:
    """Any QImage -> HxWx3 uint8 RGB (alpha ignored)."""
    return _to_array(image, QImage.Format.Format_RGB888, 3)


def _to_array(image: QImage, fmt: QImage.Format, channels: int) -> np.ndarray:
    """A copy of ``image`` converted to the byte format ``fmt``, as HxWxchannels uint8 (rows unpadded)."""
    if image.isNull():
        raise ValueError("empty image")
    h, w = image.height(), image.width()
    img = image.convertToFormat(fmt)
    rows = np.frombuffer(img.constBits(), np.uint8, count=img.bytesPerLine() * h).reshape(h, -1)
    return rows[:, : channels * w].reshape(h, w, channels).copy()


def blank_sketch(width: int, height: int) -> QImage:
    """White paper in the format the canvas paints on."""
    img = QImage(width, height, QImage.Format.Format_RGB32)
    img.fill(0xFFFFFFFF)
    return img


# Hint layers (hints_layer.py) are painted and shown as premultiplied ARGB32, Qt's fastest format
# with alpha; hint pixels are opaque or empty, so premultiplying loses nothing.
LAYER_FORMAT = QImage.Format.Format_ARGB32_Premultiplied


def rgba_to_qimage(rgba: np.ndarray) -> QImage:
    """HxWx4 uint8 RGBA -> a QImage in LAYER_FORMAT."""
    if rgba.dtype != np.uint8 or rgba.ndim != 3 or rgba.shape[2] != 4:
        raise ValueError(f"expected HxWx4 uint8 RGBA, got {rgba.dtype} {rgba.shape}")
    h, w = rgba.shape[:2]
    rgba = np.ascontiguousarray(rgba)
    return QImage(rgba.data, w, h, 4 * w, QImage.Format.Format_RGBA8888).convertToFormat(LAYER_FORMAT)


def qimage_to_rgba(image: QImage) -> np.ndarray:
    """Any QImage -> HxWx4 uint8 RGBA (not premultiplied)."""
    return _to_array(image, QImage.Format.Format_RGBA8888, 4)


def blank_layer(width: int, height: int) -> QImage:
    """A fully transparent layer."""
    img = QImage(width, height, LAYER_FORMAT)
    img.fill(0)
    return img
