"""Read any page the user brings as HxWx3 uint8 RGB, and write results without half-written files.

OpenCV does the decoding (no Pillow in the app). Bytes go through ``np.fromfile`` and
``cv2.imdecode`` so paths with non-ASCII characters work on every OS (cv2.imread fails there on
Windows), and ``cv2.imencode`` + a temp file + ``os.replace`` on the way out.
"""

from __future__ import annotations

import os
import struct
import tempfile
import uuid
from pathlib import Path

import cv2
import numpy as np

from .image_header import image_size

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff")
WRITE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff")
MAX_PIXELS = 200_000_000  # 200 megapixels: an A3 scan at 1200 dpi is ~140 MP
TEMP_SUFFIX = ".part"  # temp files are ".<name>.<random>.part" beside the target
_UMASK = os.umask(0o022)  # read once at import: os.umask is process-wide and not thread-safe
os.umask(_UMASK)


class ImageReadError(Exception):
    """A page that cannot be read; the message names the file and what to do about it."""


class ImageWriteError(Exception):
    """A result that cannot be written; the message names the file and what to do about it."""


def is_image_path(path: str | os.PathLike) -> bool:
    return Path(path).suffix.lower() in IMAGE_SUFFIXES


# --- reading -------------------------------------------------------------------------------------

def _exif_orientation(exif: bytes) -> int:
    """The EXIF Orientation tag (1..8) from a raw TIFF-structured EXIF block; 1 when absent."""
    if exif[:6] == b"Exif\x00\x00":
        exif = exif[6:]
    if exif[:2] not in (b"II", b"MM"):
        return 1
    end = "<" if exif[:2] == b"II" else ">"
    try:
        (ifd,) = struct.unpack(end + "I", exif[4:8])
        (count,) = struct.unpack(end + "H", exif[ifd:ifd + 2])
        for k in range(count):
            base = ifd + 2 + 12 * k
            tag, _typ, _n, value = struct.unpack(end + "HHIH", exif[base:base + 10])
            if tag == 0x0112:
                return value if 1 <= value <= 8 else 1
    except struct.error:
        return 1
    return 1


def _apply_orientation(img: np.ndarray, orientation: int) -> np.ndarray:
    """Turn the stored pixels upright as the camera/scanner asked (EXIF 1..8)."""
    ops = {
        2: lambda a: cv2.flip(a, 1),
        3: lambda a: cv2.rotate(a, cv2.ROTATE_180),
        4: lambda a: cv2.flip(a, 0),
        5: lambda a: cv2.flip(cv2.rotate(a, cv2.ROTATE_90_CLOCKWISE), 1),
        6: lambda a: cv2.rotate(a, cv2.ROTATE_90_CLOCKWISE),
        7: lambda a: cv2.flip(cv2.rotate(a, cv2.ROTATE_90_COUNTERCLOCKWISE), 1),
        8: lambda a: cv2.rotate(a, cv2.ROTATE_90_COUNTERCLOCKWISE),
    }
    return ops[orientation](img) if orientation in ops else img


def _to_uint8(img: np.ndarray) -> np.ndarray:
    if img.dtype == np.uint8:
        return img
    if img.dtype == np.uint16:
        return ((img.astype(np.uint32) + 128) // 257).astype(np.uint8)
    if img.dtype in (np.float32, np.float64, np.float16):  # float TIFF/EXR: [0, 1]
        return np.clip(img.astype(np.float32) * 255.0 + 0.5, 0, 255).astype(np.uint8)
    info = np.iinfo(img.dtype)
    scaled = (img.astype(np.float64) - info.min) / (info.max - info.min)
    return np.clip(scaled * 255.0 + 0.5, 0, 255).astype(np.uint8)


def _to_rgb(img: np.ndarray) -> np.ndarray:
    """OpenCV's gray / gray+alpha / BGR / BGRA (uint8) -> RGB, transparency composited on white."""
    if img.ndim == 2:
        return cv2.cvtColor(img, cv2.COLOR_GRAY2RGB)
    channels = img.shape[2]
    if channels == 1:
        return cv2.cvtColor(img[:, :, 0], cv2.COLOR_GRAY2RGB)
    if channels in (2, 4):
        colour = img[:, :, :1] if channels == 2 else img[:, :, :3]
        alpha = img[:, :, -1:].astype(np.float32) / 255.0
        on_white = colour.astype(np.float32) * alpha + 255.0 * (1.0 - alpha)
        colour = np.clip(on_white + 0.5, 0, 255).astype(np.uint8)
        if channels == 2:
            return cv2.cvtColor(colour[:, :, 0], cv2.COLOR_GRAY2RGB)
        return cv2.cvtColor(colour, cv2.COLOR_BGR2RGB)
    return cv2.cvtColor(img[:, :, :3], cv2.COLOR_BGR2RGB)


def read_image(path: str | os.PathLike, *, max_pixels: int = MAX_PIXELS) -> np.ndarray:
    """Any PNG/JPEG/WebP/BMP/TIFF page -> HxWx3 uint8 RGB, upright, transparency on white.

    Raises ImageReadError (never cv2.error) with the file name and the fix.
    """
    path = Path(path)
    try:
        buf = np.fromfile(path, dtype=np.uint8)
    except FileNotFoundError:
        raise ImageReadError(f"{path}: no such file; check the path") from None
    except IsADirectoryError:
        raise ImageReadError(f"{path}: is a folder, not an image; choose an image file") from None
    except PermissionError:
        raise ImageReadError(f"{path}: permission denied; check the file's access rights") from None
    except OSError as exc:
        raise ImageReadError(f"{path}: cannot read the file ({exc.strerror or exc})") from None
    if buf.size == 0:
        raise ImageReadError(f"{path}: the file is empty (0 bytes); re-export or re-scan the page")
    size = image_size(memoryview(buf))  # no copy; TIFF may keep its header at the end of the file
    if size is not None and size[0] * size[1] > max_pixels:
        raise ImageReadError(
            f"{path}: {size[0]}x{size[1]} pixels is more than the {max_pixels // 1_000_000} megapixel limit; "
            "scale the page down (600 dpi is plenty for line art)")
    try:
        img, _types, metadata = cv2.imdecodeWithMetadata(buf, flags=cv2.IMREAD_UNCHANGED)
    except cv2.error as exc:
        raise ImageReadError(f"{path}: the image cannot be decoded ({str(exc).strip().splitlines()[-1]}); "
                             "save it again as PNG or JPEG") from None
    if img is None or img.size == 0:
        suffix = path.suffix.lower() or "(no suffix)"
        raise ImageReadError(f"{path}: not a readable image (damaged, or not really a {suffix} file); "
                             f"open it in an image editor and save it again as PNG or JPEG "
                             f"(supported: {', '.join(IMAGE_SUFFIXES)})")
    if img.ndim == 3 and img.shape[2] not in (1, 2, 3, 4):
        raise ImageReadError(f"{path}: {img.shape[2]} colour channels are not supported; save it as RGB")
    if img.shape[0] * img.shape[1] > max_pixels:
        raise ImageReadError(f"{path}: {img.shape[1]}x{img.shape[0]} pixels is more than the "
                             f"{max_pixels // 1_000_000} megapixel limit; scale the page down")
    # IMREAD_UNCHANGED keeps alpha and 16 bits but ignores EXIF orientation (libtiff applies
    # TIFF's own), so apply it here from the EXIF block OpenCV hands back.
    orientation = 1
    for block in metadata or ():
        orientation = _exif_orientation(np.asarray(block, dtype=np.uint8).tobytes())
        if orientation != 1:
            break
    rgb = _to_rgb(_to_uint8(img))
    return np.ascontiguousarray(_apply_orientation(rgb, orientation))


# --- writing -------------------------------------------------------------------------------------

def encode_image(rgb: np.ndarray, suffix: str, quality: int = 95) -> bytes:
    """HxWx3 uint8 RGB -> file bytes in the format the suffix names (".png", ".jpg", ...)."""
    suffix = suffix.lower()
    if suffix not in WRITE_SUFFIXES:
        raise ValueError(f"cannot write {suffix!r} files; use one of {', '.join(WRITE_SUFFIXES)}")
    if rgb.dtype != np.uint8 or rgb.ndim != 3 or rgb.shape[2] != 3:
        raise ValueError(f"expected HxWx3 uint8 RGB, got {rgb.dtype} {rgb.shape}")
    params: list[int] = []
    if suffix in (".jpg", ".jpeg"):
        params = [cv2.IMWRITE_JPEG_QUALITY, int(quality)]
    elif suffix == ".webp":
        params = [cv2.IMWRITE_WEBP_QUALITY, int(quality)]
    elif suffix == ".png":
        params = [cv2.IMWRITE_PNG_COMPRESSION, 3]  # fast; level 9 is ~3x slower for ~5 % smaller
    ok, encoded = cv2.imencode(suffix, cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), params)
    if not ok:
        raise ValueError(f"OpenCV could not encode a {suffix} image")
    return encoded.tobytes()


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


def write_image_atomic(path: str | os.PathLike, rgb: np.ndarray, quality: int = 95) -> Path:
    """Encode by the path's suffix and write atomically; raises ImageWriteError naming the file."""
    path = Path(path)
    try:
        data = encode_image(rgb, path.suffix, quality)
    except ValueError as exc:
        raise ImageWriteError(f"{path}: {exc}") from None
    try:
        write_bytes_atomic(path, data)
    except OSError as exc:
        raise ImageWriteError(f"{path}: cannot write the file ({exc.strerror or exc}); "
                              "check that the folder exists, is writable and has free space") from None
    return path
