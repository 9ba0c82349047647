"""core.imageio and core.hints on Pillow: the less common kinds of file a user brings (palette,
transparency by colour key, CMYK, 16-bit and float gray, every EXIF orientation), huge pages
refused by our limit and not Pillow's, the writer's options, and hint PNGs."""

from __future__ import annotations

import struct
import warnings
import zlib

import numpy as np
import pytest
from PIL import Image

from ganime_desktop.core.hints import HintFileError, read_hints, write_hints
from ganime_desktop.core.imageio import ImageReadError, encode_image, read_image, write_image_atomic

# What a viewer shows for each EXIF orientation of the stored pixels.
UPRIGHT = {1: lambda a: a, 2: lambda a: a[:, ::-1], 3: lambda a: a[::-1, ::-1], 4: lambda a: a[::-1],
           5: lambda a: a.transpose(1, 0, 2), 6: lambda a: np.rot90(a, -1),
           7: lambda a: a[::-1, ::-1].transpose(1, 0, 2), 8: lambda a: np.rot90(a, 1)}


def _page(h: int = 30, w: int = 50) -> np.ndarray:
    rgb = np.full((h, w, 3), 255, np.uint8)
    rgb[: h // 2, : w // 3] = (200, 30, 40)
    rgb[h // 2:, w // 3: 2 * w // 3] = (20, 180, 60)
    rgb[::7, :] = 0
    return rgb


def _save(path, image: Image.Image, **options):
    image.save(path, **options)
    return path


def _png_header_only(width: int, height: int, colour_type: int) -> bytes:
    """A PNG whose (valid) header claims width x height 8-bit pixels, with no pixel data."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, colour_type, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00")) + chunk(b"IEND", b"")


def test_palette_png_reads_as_its_colours(tmp_path):
    indices = np.arange(24, dtype=np.uint8).reshape(4, 6) % 3
    img = Image.fromarray(indices, "P")
    img.putpalette([255, 0, 0, 0, 255, 0, 0, 0, 255])
    out = read_image(_save(tmp_path / "palette.png", img))
    np.testing.assert_array_equal(out, np.array([(255, 0, 0), (0, 255, 0), (0, 0, 255)], np.uint8)[indices])


def test_transparent_palette_entry_and_colour_key_become_white_paper(tmp_path):
    indices = np.array([[0, 1], [1, 0]], np.uint8)
    img = Image.fromarray(indices, "P")
    img.putpalette([10, 20, 30, 200, 0, 0])
    out = read_image(_save(tmp_path / "palette.png", img, transparency=0))
    np.testing.assert_array_equal(out[indices == 0], 255)
    np.testing.assert_array_equal(out[indices == 1], [[200, 0, 0]] * 2)
    rgb = np.zeros((2, 2, 3), np.uint8)
    rgb[0, 0] = (9, 9, 9)  # black is the colour key (PNG tRNS): transparent
    out = read_image(_save(tmp_path / "keyed.png", Image.fromarray(rgb), transparency=(0, 0, 0)))
    np.testing.assert_array_equal(out[0, 0], (9, 9, 9))
    np.testing.assert_array_equal(out[1, 1], (255, 255, 255))


def test_bilevel_png_reads_as_black_and_white(tmp_path):
    bits = np.array([[0, 255, 0], [255, 0, 255]], np.uint8)
    out = read_image(_save(tmp_path / "bits.png", Image.fromarray(bits).convert("1")))
    np.testing.assert_array_equal(out, np.repeat(bits[:, :, None], 3, axis=2))


def test_cmyk_jpeg_reads_as_rgb(tmp_path):
    cmyk = np.zeros((16, 16, 4), np.uint8)
    cmyk[:, :8] = (0, 255, 255, 0)  # red
    cmyk[:, 8:] = (0, 0, 0, 255)  # black
    path = _save(tmp_path / "cmyk.jpg", Image.fromarray(cmyk, "CMYK"), quality=100)
    out = read_image(path).astype(int)
    assert np.abs(out[:, :6] - (255, 0, 0)).max() < 8 and np.abs(out[:, 10:]).max() < 8
    cv2 = pytest.importorskip("cv2")  # what the app read before it dropped OpenCV
    reference = cv2.cvtColor(cv2.imdecode(np.fromfile(path, np.uint8), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
    assert np.abs(out - reference).max() <= 2


@pytest.mark.parametrize("suffix", [".png", ".tif"])
def test_16_bit_gray_is_scaled_and_rounded(tmp_path, suffix):
    levels = np.array([[0, 128, 129, 257 * 100, 32767, 65535]], np.uint16)
    out = read_image(_save(tmp_path / f"gray16{suffix}", Image.fromarray(levels)))
    np.testing.assert_array_equal(out[0, :, 0], [0, 0, 1, 100, 127, 255])  # round(v / 257)
    assert (out == out[:, :, :1]).all()


def test_float_gray_tiff_is_read_as_0_to_1(tmp_path):
    values = np.array([[0.0, 0.5, 1.0, 1.5, -0.25]], np.float32)
    out = read_image(_save(tmp_path / "float.tif", Image.fromarray(values)))
    np.testing.assert_array_equal(out[0, :, 0], [0, 128, 255, 255, 0])


@pytest.mark.parametrize("orientation", range(1, 9))
def test_every_exif_orientation_is_turned_upright(tmp_path, orientation):
    rgb = _page(30, 50)
    exif = Image.Exif()
    exif[0x0112] = orientation
    jpeg = _save(tmp_path / "photo.jpg", Image.fromarray(rgb), quality=100, subsampling=0, exif=exif.tobytes())
    expected = UPRIGHT[orientation](rgb)
    out = read_image(jpeg)
    assert out.shape == expected.shape and np.abs(out.astype(int) - expected).mean() < 3
    # TIFF keeps the orientation in its own tag; lossless, so exact.
    tiff = _save(tmp_path / "scan.tif", Image.fromarray(rgb), tiffinfo={0x0112: orientation})
    np.testing.assert_array_equal(read_image(tiff), expected)


def test_pages_over_pillows_bomb_limit_but_under_ours_reach_the_decoder(tmp_path):
    """190 megapixels is over Pillow's decompression-bomb limit (~179) but under the app's (200):
    the header is accepted, and this file's missing pixel data is a plain decode error."""
    path = tmp_path / "big.png"
    path.write_bytes(_png_header_only(13000, 14600, colour_type=0))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no DecompressionBombWarning either
        with pytest.raises(ImageReadError, match="big.png") as err:
            read_image(path)
    assert "megapixel limit" not in str(err.value)
    with pytest.raises(ImageReadError, match="13000x14600 pixels is more than the 100 megapixel limit"):
        read_image(path, max_pixels=100_000_000)


def test_writer_options(tmp_path):
    rng = np.random.default_rng(0)
    noisy = np.clip(_page(200, 300).astype(int) + rng.integers(-20, 21, (200, 300, 3)), 0, 255).astype(np.uint8)
    for suffix in (".jpg", ".webp"):
        assert len(encode_image(noisy, suffix, quality=30)) < len(encode_image(noisy, suffix, quality=95)) / 2
    for suffix in (".png", ".bmp", ".tif"):
        np.testing.assert_array_equal(read_image(write_image_atomic(tmp_path / f"out{suffix}", noisy)), noisy)
    assert Image.open(tmp_path / "out.tif").info["compression"] == "tiff_lzw"


def test_written_files_read_the_same_in_opencv(tmp_path):
    cv2 = pytest.importorskip("cv2")  # training and export read the app's results with OpenCV
    for suffix in (".png", ".bmp", ".tif"):
        path = write_image_atomic(tmp_path / f"out{suffix}", _page())
        np.testing.assert_array_equal(cv2.imread(str(path))[:, :, ::-1], _page())
    rgba = np.random.default_rng(1).integers(0, 256, (9, 7, 4), np.uint8)
    rgba[rgba[:, :, 3] == 0] = 0
    write_hints(tmp_path / "p.hints.png", rgba)
    bgra = cv2.imread(str(tmp_path / "p.hints.png"), cv2.IMREAD_UNCHANGED)
    np.testing.assert_array_equal(bgra[:, :, [2, 1, 0, 3]], rgba)


def test_hint_files_with_other_kinds_of_transparency(tmp_path):
    la = np.zeros((4, 4, 2), np.uint8)
    la[:2, :, 0], la[:2, :, 1] = 90, 255  # a gray stroke on the top half
    out = read_hints(_save(tmp_path / "la.png", Image.fromarray(la, "LA")))
    np.testing.assert_array_equal(out[:2], np.broadcast_to((90, 90, 90, 255), (2, 4, 4)))
    assert not out[2:].any()
    palette = Image.fromarray(np.array([[0, 1]], np.uint8), "P")
    palette.putpalette([0, 0, 0, 250, 10, 20])
    out = read_hints(_save(tmp_path / "p.png", palette, transparency=0))
    np.testing.assert_array_equal(out[0], [(0, 0, 0, 0), (250, 10, 20, 255)])
    deep = (np.arange(2 * 3 * 4, dtype=np.uint16).reshape(2, 3, 4) * 2570 + 257)
    cv2 = pytest.importorskip("cv2")  # Pillow cannot write 16-bit RGBA
    cv2.imwrite(str(tmp_path / "deep.png"), deep[:, :, [2, 1, 0, 3]])
    np.testing.assert_array_equal(read_hints(tmp_path / "deep.png"), (deep // 257).astype(np.uint8))


def test_hint_files_too_large_or_not_images_are_refused(tmp_path):
    (tmp_path / "huge.hints.png").write_bytes(_png_header_only(20000, 20000, colour_type=6))
    with pytest.raises(HintFileError, match=r"huge\.hints\.png: 20000x20000 pixels .* megapixel limit"):
        read_hints(tmp_path / "huge.hints.png")
    (tmp_path / "empty.hints.png").write_bytes(b"")
    with pytest.raises(HintFileError, match=r"empty\.hints\.png: not a readable image"):
        read_hints(tmp_path / "empty.hints.png")
