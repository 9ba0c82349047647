"""Colour conversions in numpy (the app ships without OpenCV): gray <-> RGB and sRGB <-> CIE Lab.

With OpenCV's constants, so results stay what the app computed with OpenCV: ``rgb_to_gray`` is
bit-identical to ``cv2.COLOR_RGB2GRAY`` on uint8, and the Lab pair is OpenCV's formula for float
RGB in [0, 1] (L in 0..100, a and b unscaled; OpenCV's own float RGB -> Lab interpolates from a
table and is off by up to 0.5). tests/test_core_colour.py checks both against OpenCV.
"""

from __future__ import annotations

import numpy as np

# sRGB primaries, D65 white (OpenCV's sRGB2XYZ_D65 / XYZ2sRGB_D65 and its D65 white point).
_RGB_TO_XYZ = np.array([[0.412453, 0.357580, 0.180423],
                        [0.212671, 0.715160, 0.072169],
                        [0.019334, 0.119193, 0.950227]], np.float32)
_XYZ_TO_RGB = np.array([[3.240479, -1.53715, -0.498535],
                        [-0.969256, 1.875991, 0.041556],
                        [0.055648, -0.204043, 1.057311]], np.float32)
_WHITE = np.array([0.950456, 1.0, 1.088754], np.float32)
_T = 0.008856  # CIE's (6/29)^3 as OpenCV rounds it; below it L and f(t) are linear
_K = 903.3  # L = _K * Y below _T
_SLOPE = 7.787  # f(t) = _SLOPE * t + 16/116 below _T
# BT.601 luma in OpenCV 5's 15-bit fixed point: (9798 R + 19235 G + 3735 B + 2^14) >> 15.
_GRAY_WEIGHTS = (9798, 19235, 3735)


def gray_to_rgb(gray: np.ndarray) -> np.ndarray:
    """HxW -> HxWx3 with three identical channels (a new array)."""
    return np.repeat(gray[:, :, None], 3, axis=2)


_GRAY_ROWS = 128  # rows per block: the uint32 sums of a block stay in the CPU's cache


def rgb_to_gray(rgb: np.ndarray) -> np.ndarray:
    """HxWx3 uint8 RGB -> HxW uint8 luma, exactly as cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY).

    A block of rows at a time, in place; a block whose three channels are equal (line art is
    gray) is copied, since the weights sum to 2^15 and the luma of a gray pixel is itself."""
    h, w = rgb.shape[:2]
    out = np.empty((h, w), np.uint8)
    rows = min(_GRAY_ROWS, max(h, 1))
    acc, term = np.empty((rows, w), np.uint32), np.empty((rows, w), np.uint32)
    same = np.empty((rows, w), bool)
    for top in range(0, h, rows):
        block = rgb[top:top + rows]
        n = block.shape[0]
        r, g, b = block[:, :, 0], block[:, :, 1], block[:, :, 2]
        eq = same[:n]
        if np.equal(r, g, out=eq).all() and np.equal(g, b, out=eq).all():
            out[top:top + n] = r
            continue
        a, t = acc[:n], term[:n]
        np.multiply(r, _GRAY_WEIGHTS[0], out=a, dtype=np.uint32)
        np.multiply(g, _GRAY_WEIGHTS[1], out=t, dtype=np.uint32)
        a += t
        np.multiply(b, _GRAY_WEIGHTS[2], out=t, dtype=np.uint32)
        a += t
        a += 1 << 14
        a >>= 15
        out[top:top + n] = a
    return out


def _transform(matrix: np.ndarray, v: np.ndarray) -> np.ndarray:
    """``matrix`` times each 3-vector of ``v``, element-wise: a BLAS matmul with an inner size of 3
    is slower, and erratic when its threads compete with onnxruntime's."""
    return np.stack([v[..., 0] * m[0] + v[..., 1] * m[1] + v[..., 2] * m[2] for m in matrix], axis=-1)


def _srgb_to_linear(c: np.ndarray) -> np.ndarray:
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4).astype(np.float32)


def _linear_to_srgb(c: np.ndarray) -> np.ndarray:
    return np.where(c <= 0.0031308, c * 12.92, 1.055 * np.power(c, 1 / 2.4) - 0.055).astype(np.float32)


def rgb_to_lab(rgb: np.ndarray) -> np.ndarray:
    """...x3 float RGB in [0, 1] (clipped) -> ...x3 float32 CIE Lab (D65): L in 0..100, a and b."""
    return _linear_to_lab(_srgb_to_linear(np.clip(np.asarray(rgb, np.float32), 0.0, 1.0)))


# The linear value of each uint8 sRGB level, computed as rgb_to_lab computes it for level / 255.
_LINEAR_OF_LEVEL = _srgb_to_linear(np.arange(256, dtype=np.float32) / 255.0)


def rgb8_to_lab(rgb: np.ndarray) -> np.ndarray:
    """...x3 uint8 RGB -> ...x3 float32 CIE Lab: exactly ``rgb_to_lab(rgb.astype(np.float32) / 255)``
    (the same float32 operations in the same order), ~2x faster: the sRGB curve is looked up per
    level, and each channel is a contiguous array instead of a stride-3 view."""
    linear = [_LINEAR_OF_LEVEL[rgb[..., c]] for c in range(3)]
    m = _RGB_TO_XYZ / _WHITE[:, None]
    f = []
    for row in m:
        v = linear[0] * row[0] + linear[1] * row[1] + linear[2] * row[2]
        f.append(np.where(v > _T, np.cbrt(v), _SLOPE * v + 16 / 116))
        if len(f) == 2:
            y = v
    lab = np.empty((*rgb.shape[:-1], 3), np.float32)
    lab[..., 0] = np.where(y > _T, 116 * f[1] - 16, _K * y)
    lab[..., 1] = 500 * (f[0] - f[1])
    lab[..., 2] = 200 * (f[1] - f[2])
    return lab


def _linear_to_lab(linear: np.ndarray) -> np.ndarray:
    xyz = _transform(_RGB_TO_XYZ / _WHITE[:, None], linear)  # X and Z relative to the white point
    f = np.where(xyz > _T, np.cbrt(xyz), _SLOPE * xyz + 16 / 116)
    y = xyz[..., 1]
    lab = np.empty_like(xyz)
    lab[..., 0] = np.where(y > _T, 116 * f[..., 1] - 16, _K * y)
    lab[..., 1] = 500 * (f[..., 0] - f[..., 1])
    lab[..., 2] = 200 * (f[..., 1] - f[..., 2])
    return lab


def lab_to_rgb(lab: np.ndarray) -> np.ndarray:
    """...x3 CIE Lab (D65) -> ...x3 float32 RGB in [0, 1] (out-of-gamut colours clipped)."""
    lab = np.asarray(lab, np.float32)
    lightness, a, b = lab[..., 0], lab[..., 1], lab[..., 2]
    dark = lightness <= _T * _K
    y = np.where(dark, lightness / _K, ((lightness + 16) / 116) ** 3)
    fy = np.where(dark, _SLOPE * y + 16 / 116, (lightness + 16) / 116)
    fxz = np.stack([fy + a / 500, fy - b / 200], axis=-1)
    xz = np.where(fxz <= _SLOPE * _T + 16 / 116, (fxz - 16 / 116) / _SLOPE, fxz ** 3)
    xyz = np.stack([xz[..., 0], y, xz[..., 1]], axis=-1)
    linear = _transform(_XYZ_TO_RGB * _WHITE[None, :], xyz)
    return _linear_to_srgb(np.clip(linear, 0.0, 1.0))
