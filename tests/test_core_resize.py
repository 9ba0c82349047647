"""core.resize (Pillow) and the reflect padding of style-transfer content: shapes and dtypes kept,
area averaging that keeps thin lines, channels resized independently, OpenCV where installed."""

from __future__ import annotations

import numpy as np
import pytest

from ganime_desktop.core.resize import AREA, CUBIC, NEAREST, resize
from ganime_desktop.core.style_transfer import CONTENT_SIZE, content_input


@pytest.mark.parametrize("shape,dtype", [((40, 60), np.uint8), ((40, 60, 3), np.uint8), ((40, 60, 4), np.uint8),
                                         ((40, 60), np.float32), ((40, 60, 3), np.float32)])
@pytest.mark.parametrize("method", [AREA, CUBIC, NEAREST])
def test_shape_dtype_and_channels_are_kept(shape, dtype, method):
    image = np.random.default_rng(0).integers(0, 256, shape).astype(dtype)
    for height, width in ((13, 29), (100, 70)):
        out = resize(image, height, width, method)
        assert out.shape == (height, width, *shape[2:]) and out.dtype == dtype and out.flags.writeable


def test_area_is_the_block_mean_on_whole_factors():
    image = np.random.default_rng(1).random((64, 96, 3)).astype(np.float32)
    expected = image.reshape(16, 4, 32, 3, 3).mean(axis=(1, 3))
    np.testing.assert_allclose(resize(image, 16, 32, AREA), expected, atol=1e-5)


def test_area_fades_a_thin_line_instead_of_dropping_it():
    page = np.full((300, 200), 255, np.uint8)
    page[:, 101] = 0  # one pixel wide
    small = resize(page, 64, 43, AREA)
    assert (small.min(axis=1) < 230).all()


def test_rgba_channels_are_not_premultiplied():
    rgba = np.zeros((8, 8, 4), np.uint8)
    rgba[..., :3] = (200, 100, 50)  # colour under alpha 0 survives: the channels are independent
    np.testing.assert_array_equal(resize(rgba, 4, 4, AREA)[..., :3], np.broadcast_to((200, 100, 50), (4, 4, 3)))


def test_other_dtypes_are_refused():
    with pytest.raises(ValueError, match="uint8 or float32"):
        resize(np.zeros((4, 4), np.float64), 2, 2, AREA)


def test_area_agrees_with_opencv_on_whole_factors():
    cv2 = pytest.importorskip("cv2")
    image = np.random.default_rng(2).integers(0, 256, (120, 90, 3), np.uint8)
    ours = resize(image, 40, 30, AREA).astype(int)
    # Pillow rounds to uint8 between its horizontal and vertical pass: one level at most.
    assert np.abs(ours - cv2.resize(image, (30, 40), interpolation=cv2.INTER_AREA)).max() <= 1


@pytest.mark.parametrize("height,width", [(500, 100), (100, 500), (400, 3), (1, 400), (384, 384)])
def test_content_is_reflect_padded_like_opencv(height, width):
    cv2 = pytest.importorskip("cv2")
    rgb = np.random.default_rng(3).integers(0, 256, (height, width, 3), np.uint8)
    x, (top, left, h, w) = content_input(rgb)
    assert x.shape == (1, CONTENT_SIZE, CONTENT_SIZE, 3)
    resized = np.rint(x[0, top:top + h, left:left + w] * 255).astype(np.uint8)
    expected = cv2.copyMakeBorder(resized, top, CONTENT_SIZE - h - top, left, CONTENT_SIZE - w - left,
                                  cv2.BORDER_REFLECT_101)
    np.testing.assert_array_equal(np.rint(x[0] * 255).astype(np.uint8), expected)
