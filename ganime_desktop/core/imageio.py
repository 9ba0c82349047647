"""Read any page the user brings as HxWx3 uint8 RGB, and write results without half-written files.

Pillow does the decoding and encoding (the app ships without OpenCV). Files are read as bytes and
decoded from memory, and written by encoding to bytes + a temp file + ``os.replace``.
"""

from __future__ import annotations

import io
import os
import struct
import tempfile
import uuid
import zlib
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from .errors import GanimeError
from .image_header import image_size
from .preprocess import as_rgb_uint8
from .regular_file import FileTooLargeError, NotARegularFileError, read_regular_file
from .stages import stage

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff")
WRITE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff")
_PILLOW_FORMATS = ("PNG", "JPEG", "WEBP", "BMP", "TIFF")  # the formats of IMAGE_SUFFIXES; no other parser runs
_FORMAT_OF_SUFFIX = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".webp": "WEBP", ".bmp": "BMP",
                     ".tif": "TIFF", ".tiff": "TIFF"}
PNG_COMPRESSION = 3  # Pillow's level where Pillow still writes PNG; level 9 is ~3x slower for ~5 % smaller
PNG_ROWS_PER_BLOCK = 128  # encode_png filters and deflates this many rows at a time (cache-sized)
_PNG_COLOR_TYPES = {1: 0, 3: 2, 4: 6}  # channels -> PNG colour type: gray, RGB, RGBA
MAX_PIXELS = 200_000_000  # 200 megapixels: an A3 scan at 1200 dpi is ~140 MP
# Bytes a page file may have, checked before reading: uncompressed 8-bit RGBA at the pixel limit,
# plus room for metadata. Only what no page needs is refused (a link to /dev/zero reads forever).
MAX_FILE_BYTES = 4 * MAX_PIXELS + 16 * 2**20
# Pillow's own decompression-bomb guard warns from 89 megapixels, below pages we accept, and its
# error names no file: our limit (max_pixels, checked from the header before decoding) replaces it.
Image.MAX_IMAGE_PIXELS = None
# What Pillow raises on bytes it cannot decode (UnidentifiedImageError is an OSError; truncated
# data, bad checksums and broken headers raise the others).
DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, IndexError, struct.error, zlib.error)
_GRAY_16_BIT_MODES = ("I;16", "I;16L", "I;16B", "I;16N", "I")  # Pillow gives 16-bit RGB(A) as 8-bit
TEMP_SUFFIX = ".part"  # temp files are ".<name>.<random>.part" beside the target
_UMASK = os.umask(0o022)  # read once at import: os.umask is process-wide and not thread-safe
os.umask(_UMASK)


class ImageReadError(GanimeError):
    """A page that cannot be read; the message names the file and what to do about it."""


class ImageWriteError(GanimeError):
    """A result that cannot be written; the message names the file and what to do about it."""


def is_image_path(path: str | os.PathLike) -> bool:
    return Path(path).suffix.lower() in IMAGE_SUFFIXES


# --- reading -------------------------------------------------------------------------------------

def open_image(data: bytes) -> Image.Image:
    """Pillow's image of file bytes: the header is parsed, the pixels are decoded by ``load()``.

    Raises UnidentifiedImageError unless the bytes are a PNG, JPEG, WebP, BMP or TIFF file.
    """
    return Image.open(io.BytesIO(data), formats=_PILLOW_FORMATS)


def _to_uint8(pixels: np.ndarray) -> np.ndarray:
    """16-bit gray (Pillow's I;16 and I modes) or float TIFF in [0, 1] -> uint8."""
    if pixels.dtype.kind == "f":
        return np.clip(pixels.astype(np.float32) * 255.0 + 0.5, 0, 255).astype(np.uint8)
    return ((np.clip(pixels, 0, 65535).astype(np.uint32) + 128) // 257).astype(np.uint8)


def _pixels(img: Image.Image) -> np.ndarray:
    """A decoded image -> uint8 HxW gray, HxWx3 RGB or HxWx4 RGBA (a new, writable array)."""
    if img.mode in _GRAY_16_BIT_MODES or img.mode == "F":
        return _to_uint8(np.asarray(img))
    if img.has_transparency_data and img.mode != "RGBA":  # gray+alpha, palette or tRNS transparency
        img = img.convert("RGBA")
    elif img.mode not in ("L", "RGB", "RGBA"):  # bilevel, palette, CMYK, YCbCr, ...
        img = img.convert("RGB")
    return np.array(img)


def _too_large(path: Path, width: int, height: int, max_pixels: int) -> ImageReadError:
    return ImageReadError(
        f"{path}: {width}x{height} pixels is more than the {max_pixels // 1_000_000} megapixel limit; "
        "scale the page down (600 dpi is plenty for line art)")


def read_file_for(path: Path, max_bytes: int, check_head: Callable[[bytes], None] | None, what: str,
                  error: type[GanimeError] = ImageReadError) -> bytes:
    """The bytes of a regular file (``core/regular_file.py``), every refusal as ``error`` naming
    the file and the fix; ``what`` names the kind of file in the message ("a page", "a hint image")."""
    try:
        return read_regular_file(path, max_bytes, check_head)
    except FileNotFoundError:
        raise error(f"{path}: no such file; check the path") from None
    except IsADirectoryError:
        raise error(f"{path}: is a folder, not an image; choose an image file") from None
    except NotARegularFileError as exc:
        raise error(f"{path}: is {exc}; only regular files are read (move it out of the folder)") from None
    except FileTooLargeError as exc:
        raise error(f"{path}: the file has {exc.size / 1e6:,.0f} MB, more than the {exc.limit / 1e6:,.0f} MB "
                    f"{what} may have; save it compressed (PNG or JPEG) or scaled down") from None
    except PermissionError:
        raise error(f"{path}: permission denied; check the file's access rights") from None
    except OSError as exc:
        raise error(f"{path}: cannot read the file ({exc.strerror or exc})") from None


def read_image(path: str | os.PathLike, *, max_pixels: int = MAX_PIXELS) -> np.ndarray:
    """Any PNG/JPEG/WebP/BMP/TIFF page -> HxWx3 uint8 RGB, upright, transparency on white.

    Raises ImageReadError (never a Pillow error) with the file name and the fix.
    """
    path = Path(path)

    def refuse_by_header(data: bytes) -> None:  # before the pixels are read, let alone decoded
        size = image_size(data)  # None: TIFF may keep its header at the end of the file
        if size is not None and size[0] * size[1] > max_pixels:
            raise _too_large(path, *size, max_pixels)

    data = read_file_for(path, MAX_FILE_BYTES, refuse_by_header, "a page")
    if not data:
        raise ImageReadError(f"{path}: the file is empty (0 bytes); re-export or re-scan the page")
    refuse_by_header(data)
    try:
        img = open_image(data)
    except DECODE_ERRORS:
        suffix = path.suffix.lower() or "(no suffix)"
        raise ImageReadError(f"{path}: not a readable image (damaged, or not really a {suffix} file); "
                             f"open it in an image editor and save it again as PNG or JPEG "
                             f"(supported: {', '.join(IMAGE_SUFFIXES)})") from None
    if img.width * img.height > max_pixels:  # a header the probe above does not know
        raise _too_large(path, img.width, img.height, max_pixels)
    try:
        img.load()
    except DECODE_ERRORS as exc:
        raise ImageReadError(f"{path}: the image cannot be decoded ({exc or type(exc).__name__}); "
                             "save it again as PNG or JPEG") from None
    try:  # upright, as the camera or scanner asked (EXIF or TIFF Orientation)
        ImageOps.exif_transpose(img, in_place=True)
    except DECODE_ERRORS:  # a damaged EXIF block: keep the pixels as stored
        pass
    return as_rgb_uint8(_pixels(img))


# --- writing -------------------------------------------------------------------------------------

def encode_with_pillow(pixels: np.ndarray, image_format: str, **options) -> bytes:
    """A uint8 image array (HxW, HxWx3 RGB, HxWx4 RGBA) -> file bytes in a Pillow format."""
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, format=image_format, **options)
    return buf.getvalue()


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(data, zlib.crc32(kind)))


def encode_png(pixels: np.ndarray) -> bytes:
    """uint8 HxW gray, HxWx3 RGB or HxWx4 RGBA -> PNG file bytes, fast.

    Every row gets PNG's "Up" filter (the row minus the row above: paper, flat colour and the
    smooth colour of an enlarged prediction become runs of zeros and small values) and zlib
    deflates with its run-length strategy at level 1, a block of rows at a time (zlib works
    without holding the GIL, so it overlaps with the other batch threads). On A4 colourings at
    300 dpi this is ~4x faster than Pillow's adaptive filters at compress_level 3, for files
    ~5 % larger (docs/performance.md); any PNG reader decodes it (tests read it back with Pillow).
    """
    if pixels.dtype != np.uint8 or pixels.ndim not in (2, 3) or (pixels.ndim == 3 and pixels.shape[2] not in (3, 4)):
        raise ValueError(f"expected HxW, HxWx3 or HxWx4 uint8, got {pixels.dtype} {pixels.shape}")
    h, w = pixels.shape[:2]
    channels = 1 if pixels.ndim == 2 else pixels.shape[2]
    rows = np.ascontiguousarray(pixels).reshape(h, w * channels)
    compressor = zlib.compressobj(1, zlib.DEFLATED, 15, 9, zlib.Z_RLE)
    parts = []
    block = np.empty((min(PNG_ROWS_PER_BLOCK, h), 1 + w * channels), np.uint8)
    block[:, 0] = 2  # filter type Up (row 0 has an all-zero row above: itself)
    for top in range(0, h, PNG_ROWS_PER_BLOCK):
        n = min(PNG_ROWS_PER_BLOCK, h - top)
        body = block[:n, 1:]
        if top == 0:
            body[0] = rows[0]
            np.subtract(rows[1:n], rows[:n - 1], out=body[1:])
        else:
            np.subtract(rows[top:top + n], rows[top - 1:top + n - 1], out=body)
        parts.append(compressor.compress(block[:n]))
    parts.append(compressor.flush())
    header = struct.pack(">IIBBBBB", w, h, 8, _PNG_COLOR_TYPES[channels], 0, 0, 0)
    return b"".join([b"\x89PNG\r\n\x1a\n", _png_chunk(b"IHDR", header), _png_chunk(b"IDAT", b"".join(parts)),
                     _png_chunk(b"IEND", b"")])


def encode_image(rgb: np.ndarray, suffix: str, quality: int = 95) -> bytes:
    """HxWx3 uint8 RGB -> file bytes in the format the suffix names (".png", ".jpg", ...)."""
    suffix = suffix.lower()
    if suffix not in WRITE_SUFFIXES:
        raise ValueError(f"cannot write {suffix!r} files; use one of {', '.join(WRITE_SUFFIXES)}")
    if rgb.dtype != np.uint8 or rgb.ndim != 3 or rgb.shape[2] != 3:
        raise ValueError(f"expected HxWx3 uint8 RGB, got {rgb.dtype} {rgb.shape}")
    image_format = _FORMAT_OF_SUFFIX[suffix]
    if image_format == "PNG":
        return encode_png(rgb)
    options = {"JPEG": {"quality": int(quality)},
               "WEBP": {"quality": int(quality)}, "TIFF": {"compression": "tiff_lzw"}}.get(image_format, {})
    try:
        return encode_with_pillow(rgb, image_format, **options)
    except (OSError, ValueError) as exc:
        raise ValueError(f"could not encode a {suffix} image ({exc})") from None


def temp_name_for(path: Path) -> Path:
    """The temp file name used while writing ``path`` (hidden, same folder, ends in .part)."""
    return path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}{TEMP_SUFFIX}")


def is_temp_name(path: str | os.PathLike) -> bool:
    name = Path(path).name
    return name.startswith(".") and name.endswith(TEMP_SUFFIX)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _link_unnamed(fd: int, target: Path) -> bool:
    """Give an O_TMPFILE file the name ``target`` (atomically replacing it); False if not possible."""
    tmp = temp_name_for(target)
    proc_fd = os.open("/proc/self/fd", os.O_RDONLY | os.O_DIRECTORY)
    try:
        # A src_dir_fd makes Python use linkat(..., AT_SYMLINK_FOLLOW): plain link() would try to
        # hard-link the /proc symlink itself and fail with EXDEV.
        os.link(str(fd), tmp, src_dir_fd=proc_fd, follow_symlinks=True)
    except OSError:
        return False
    finally:
        os.close(proc_fd)
    try:
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return True


def write_bytes_atomic(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` so that ``path`` holds either the old content or all of the new, never part.

    On Linux the bytes go to an unnamed O_TMPFILE first, so a process killed mid-write leaves
    nothing behind (the named temp file exists only between link and rename); elsewhere a
    ``.<name>.<random>.part`` temp file in the same folder, renamed over the target.
    """
    path = Path(path)
    if hasattr(os, "O_TMPFILE") and os.path.isdir("/proc/self/fd"):
        try:
            fd = os.open(path.parent, os.O_TMPFILE | os.O_WRONLY, 0o666)
        except OSError:  # a filesystem without O_TMPFILE: use a named temp file
            fd = -1
        if fd >= 0:
            try:
                _write_all(fd, data)
                if _link_unnamed(fd, path):
                    return
            finally:
                os.close(fd)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=TEMP_SUFFIX, dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(name, 0o666 & ~_UMASK)  # mkstemp makes 0600; results should be readable like any file
        os.replace(name, path)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise


def write_text_atomic(path: str | os.PathLike, text: str) -> None:
    """``write_bytes_atomic`` of UTF-8 text (reports, configs, manifests)."""
    write_bytes_atomic(path, text.encode("utf-8"))


def write_image_atomic(path: str | os.PathLike, rgb: np.ndarray, quality: int = 95) -> Path:
    """Encode by the path's suffix and write atomically; raises ImageWriteError naming the file."""
    path = Path(path)
    try:
        with stage("encode"):
            data = encode_image(rgb, path.suffix, quality)
    except ValueError as exc:
        raise ImageWriteError(f"{path}: {exc}") from None
    try:
        with stage("write"):
            write_bytes_atomic(path, data)
    except OSError as exc:
        raise ImageWriteError(f"{path}: cannot write the file ({exc.strerror or exc}); "
                              "check that the folder exists, is writable and has free space") from None
    return path
