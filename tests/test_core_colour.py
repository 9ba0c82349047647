"""core.colour: numpy gray and CIE Lab conversions, against published Lab values and against OpenCV
(the reference training uses) where it is installed."""

from __future__ import annotations

import numpy as np
import pytest

from ganime_desktop.core.colour import gray_to_rgb, lab_to_rgb, rgb_to_gray, rgb_to_lab


def _all_rgb_colours() -> np.ndarray:
    """Every 8-bit RGB colour once, as a 4096x4096x3 image."""
    v = np.arange(1 << 24, dtype=np.uint32)
    return np.stack([v >> 16, (v >> 8) & 255, v & 255], axis=-1).astype(np.uint8).reshape(4096, 4096, 3)


def test_known_lab_values():
    rgb = np.array([[1, 1, 1], [0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1], [0.5, 0.5, 0.5]], np.float32)
    expected = [[100, 0, 0], [0, 0, 0], [53.24, 80.09, 67.20], [87.73, -86.18, 83.18], [32.30, 79.19, -107.86],
                [53.39, 0, 0]]
    np.testing.assert_allclose(rgb_to_lab(rgb), expected, atol=0.02)


def test_lab_round_trip_over_every_eighth_level():
    levels = np.arange(0, 256, 8, dtype=np.float32) / 255.0
    rgb = np.stack(np.meshgrid(levels, levels, levels, indexing="ij"), axis=-1)
    lab = rgb_to_lab(rgb)
    assert lab.dtype == np.float32 and lab.shape == rgb.shape
    np.testing.assert_allclose(lab_to_rgb(lab), rgb, atol=2e-4)


def test_out_of_gamut_lab_clips_into_rgb_range():
    lab = np.array([[50, 127, -128], [100, -128, 127], [0, 50, 50], [120, 0, 0]], np.float32)
    rgb = lab_to_rgb(lab)
    assert rgb.min() >= 0 and rgb.max() <= 1


def test_gray_to_rgb_and_back():
    gray = np.arange(256, dtype=np.uint8).reshape(16, 16)
    rgb = gray_to_rgb(gray)
    assert rgb.shape == (16, 16, 3) and (rgb == gray[:, :, None]).all()
    np.testing.assert_array_equal(rgb_to_gray(rgb), gray)


def test_gray_is_bit_identical_to_opencv_for_every_colour():
    cv2 = pytest.importorskip("cv2")
    rgb = _all_rgb_colours()
    np.testing.assert_array_equal(rgb_to_gray(rgb), cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY))


def test_lab_matches_opencv_for_every_colour():
    cv2 = pytest.importorskip("cv2")
    rgb = _all_rgb_colours().astype(np.float32) / 255.0
    ours = rgb_to_lab(rgb)
    # OpenCV interpolates float RGB -> Lab from a lookup table: within half a unit of the formula.
    assert np.abs(ours - cv2.cvtColor(rgb, cv2.COLOR_RGB2Lab)).max() < 0.5
    # Its Lab -> RGB is the formula itself.
    assert np.abs(lab_to_rgb(ours) - cv2.cvtColor(ours, cv2.COLOR_Lab2RGB)).max() < 1e-3
