"""core.imageio: every kind of page a user brings reads as HxWx3 uint8 RGB, bad files give a clear
error naming the file, and writes are atomic."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import cv2
import numpy as np
import pytest

from ganime_desktop.core.image_header import image_size
from ganime_desktop.core.imageio import (
    IMAGE_SUFFIXES,
    ImageReadError,
    ImageWriteError,
    read_image,
    write_image_atomic,
)


def _page(h: int = 40, w: int = 60) -> np.ndarray:
    """A small RGB test page with distinct colours per region (to catch channel swaps and flips)."""
    rgb = np.full((h, w, 3), 255, np.uint8)
    rgb[: h // 2, : w // 3] = (200, 30, 40)  # red block top-left
    rgb[h // 2:, w // 3: 2 * w // 3] = (20, 180, 60)  # green block bottom-middle
    rgb[::7, :] = 0  # lines
    return rgb


def _save_cv2(path: Path, rgb: np.ndarray) -> None:
    ok, data = cv2.imencode(path.suffix, cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    assert ok
    data.tofile(path)


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def _png_bytes(pixels: np.ndarray, colour_type: int, *, width: int | None = None, height: int | None = None) -> bytes:
    """A hand-made 8-bit PNG (colour type 4 = gray+alpha, which OpenCV cannot write)."""
    h, w = pixels.shape[:2]
    raw = b"".join(b"\x00" + pixels[y].tobytes() for y in range(h))
    ihdr = struct.pack(">IIBBBBB", width or w, height or h, 8, colour_type, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr) + _png_chunk(b"IDAT", zlib.compress(raw))
            + _png_chunk(b"IEND", b""))


def _jpeg_with_orientation(rgb: np.ndarray, orientation: int) -> bytes:
    """A JPEG with an EXIF APP1 segment holding only the Orientation tag."""
    ok, jpg = cv2.imencode(".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 100])
    assert ok
    tiff = b"MM\x00*" + struct.pack(">I", 8) + struct.pack(">H", 1)
    tiff += struct.pack(">HHIHH", 0x0112, 3, 1, orientation, 0) + struct.pack(">I", 0)
    payload = b"Exif\x00\x00" + tiff
    app1 = b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload
    data = jpg.tobytes()
    return data[:2] + app1 + data[2:]


@pytest.mark.parametrize("suffix", [".png", ".bmp", ".tif", ".tiff"])
def test_lossless_formats_read_back_exactly(tmp_path, suffix):
    rgb = _page()
    path = tmp_path / f"page{suffix}"
    _save_cv2(path, rgb)
    out = read_image(path)
    assert out.dtype == np.uint8 and out.shape == rgb.shape
    np.testing.assert_array_equal(out, rgb)


@pytest.mark.parametrize("suffix", [".jpg", ".jpeg", ".webp"])
def test_lossy_formats_read_as_rgb(tmp_path, suffix):
    rgb = _page()
    path = tmp_path / f"page{suffix}"
    _save_cv2(path, rgb)
    out = read_image(path)
    assert out.shape == rgb.shape and out.dtype == np.uint8
    # RGB order (not BGR): the red block stays red.
    r, g, b = out[5, 5].astype(int)
    assert r > 150 and g < 90 and b < 90
    assert np.abs(out.astype(int) - rgb.astype(int)).mean() < 8


def test_grayscale_becomes_three_identical_channels(tmp_path):
    gray = cv2.cvtColor(_page(), cv2.COLOR_RGB2GRAY)
    path = tmp_path / "gray.png"
    cv2.imencode(".png", gray)[1].tofile(path)
    out = read_image(path)
    assert out.shape == (*gray.shape, 3)
    for c in range(3):
        np.testing.assert_array_equal(out[:, :, c], gray)


def test_rgba_is_composited_on_white(tmp_path):
    bgra = np.zeros((10, 20, 4), np.uint8)
    bgra[:, :, :3] = (0, 0, 255)  # red in BGR
    bgra[:, :10, 3] = 0  # left half fully transparent -> white paper
    bgra[:, 10:, 3] = 128  # right half half transparent -> pink
    path = tmp_path / "alpha.png"
    cv2.imencode(".png", bgra)[1].tofile(path)
    out = read_image(path)
    assert out.shape == (10, 20, 3)
    np.testing.assert_array_equal(out[:, :10], 255)
    np.testing.assert_allclose(out[0, 15], (255, 127, 127), atol=2)


def test_gray_alpha_png_is_composited_on_white(tmp_path):
    la = np.zeros((6, 8, 2), np.uint8)  # black ink...
    la[:, :4, 1] = 0  # ...invisible on the left
    la[:, 4:, 1] = 255  # ...opaque on the right
    path = tmp_path / "la.png"
    path.write_bytes(_png_bytes(la, colour_type=4))
    out = read_image(path)
    assert out.shape == (6, 8, 3)
    np.testing.assert_array_equal(out[:, :4], 255)
    np.testing.assert_array_equal(out[:, 4:], 0)


def test_16_bit_becomes_8_bit(tmp_path):
    img16 = np.zeros((4, 5, 3), np.uint16)
    img16[0] = 65535
    img16[1] = 257 * 100
    path = tmp_path / "deep.png"
    cv2.imencode(".png", img16)[1].tofile(path)
    out = read_image(path)
    assert out.dtype == np.uint8
    assert (out[0] == 255).all() and (out[1] == 100).all() and (out[2] == 0).all()


def test_non_ascii_path(tmp_path):
    folder = tmp_path / "Manga_漫画"
    folder.mkdir()
    path = folder / "Seite_ü_ページ.png"
    write_image_atomic(path, _page())
    np.testing.assert_array_equal(read_image(path), _page())


def test_exif_orientation_is_applied(tmp_path):
    rgb = _page(30, 50)
    path = tmp_path / "rotated.jpg"
    path.write_bytes(_jpeg_with_orientation(rgb, 6))  # 6: the viewer turns it 90 degrees clockwise
    out = read_image(path)
    assert out.shape == (50, 30, 3)
    expected = cv2.rotate(rgb, cv2.ROTATE_90_CLOCKWISE)
    assert np.abs(out.astype(int) - expected.astype(int)).mean() < 6
    # OpenCV's own orientation handling (IMREAD_COLOR) agrees with ours.
    reference = cv2.cvtColor(cv2.imdecode(np.fromfile(path, np.uint8), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
    np.testing.assert_array_equal(out, reference)


def test_missing_file(tmp_path):
    with pytest.raises(ImageReadError, match="no such file") as err:
        read_image(tmp_path / "nope.png")
    assert "nope.png" in str(err.value)


def test_folder_is_not_an_image(tmp_path):
    with pytest.raises(ImageReadError, match="folder"):
        read_image(tmp_path)


def test_empty_file(tmp_path):
    path = tmp_path / "empty.png"
    path.write_bytes(b"")
    with pytest.raises(ImageReadError, match="empty") as err:
        read_image(path)
    assert "empty.png" in str(err.value)


def test_text_file_named_png(tmp_path):
    path = tmp_path / "notes.png"
    path.write_text("this is not a picture\n", encoding="utf-8")
    with pytest.raises(ImageReadError, match="not a readable image") as err:
        read_image(path)
    assert "notes.png" in str(err.value) and "PNG" in str(err.value)


def test_corrupt_image(tmp_path):
    good = cv2.imencode(".png", _page())[1].tobytes()
    rng = np.random.default_rng(0)
    path = tmp_path / "corrupt.png"
    path.write_bytes(good[:40] + rng.integers(0, 256, 400, dtype=np.uint8).tobytes())
    with pytest.raises(ImageReadError) as err:
        read_image(path)
    assert "corrupt.png" in str(err.value)


def test_huge_dimensions_are_refused_before_decoding(tmp_path):
    # A valid little PNG whose header claims 30000 x 30000 (900 megapixels).
    path = tmp_path / "huge.png"
    path.write_bytes(_png_bytes(np.zeros((1, 1), np.uint8), colour_type=0, width=30000, height=30000))
    with pytest.raises(ImageReadError, match="megapixel limit") as err:
        read_image(path)
    assert "30000x30000" in str(err.value) and "huge.png" in str(err.value)


@pytest.mark.parametrize("suffix", [".png", ".jpg", ".webp", ".bmp", ".tif"])
def test_header_probe_matches_real_size(suffix):
    ok, data = cv2.imencode(suffix, np.zeros((37, 91, 3), np.uint8))
    assert ok
    assert image_size(data.tobytes()) == (91, 37)


@pytest.mark.parametrize("suffix", [".png", ".jpg", ".webp"])
def test_write_image_atomic_round_trip_and_no_temp_files(tmp_path, suffix):
    path = tmp_path / f"out{suffix}"
    write_image_atomic(path, _page())
    write_image_atomic(path, _page())  # replacing an existing file works too
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]
    out = read_image(path)
    assert out.shape == _page().shape
    if suffix == ".png":
        np.testing.assert_array_equal(out, _page())


def test_write_errors_name_the_file(tmp_path):
    with pytest.raises(ImageWriteError, match="cannot write") as err:
        write_image_atomic(tmp_path / "missing-folder" / "x.png", _page())
    assert "x.png" in str(err.value)
    with pytest.raises(ImageWriteError, match=r"\.gif"):
        write_image_atomic(tmp_path / "x.gif", _page())
    assert list(tmp_path.iterdir()) == []


def test_suffix_list_covers_the_documented_formats():
    for suffix in (".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff"):
        assert suffix in IMAGE_SUFFIXES
