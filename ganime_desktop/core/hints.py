"""Colour hints: the strokes of colour an artist paints over a sketch, as a file and as model input.

A hint layer is an HxWx4 uint8 RGBA image the size of the page: alpha > 0 marks a hinted pixel,
its RGB is the colour asked for there; alpha 0 is "no hint". On disk it is an RGBA PNG named
``{stem}.hints.png`` beside the sketch (``hints_path_for``). The encoding a hint model gets is
documented in manifest.py; ``encode_hints`` implements it (and training's simulated hints give
exactly the same channels).

Qt-free and TensorFlow-free: the pipeline, the batch runner, the exporter and the GUI share it.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from .errors import GanimeError
from .image_header import image_size
from .imageio import (
    DECODE_ERRORS,
    IMAGE_SUFFIXES,
    MAX_PIXELS,
    PNG_COMPRESSION,
    encode_with_pillow,
    open_image,
    read_file_for,
    write_bytes_atomic,
)
from .natural_sort import natural_key
from .resize import AREA, NEAREST, resize

HINT_SUFFIX = ".hints.png"
HINT_CHANNELS = 4  # hint RGB x mask, then the mask
# A hinted speck this small is a fill-bucket click (the bucket sets one pixel; a layer scaled 2x
# makes it 4): on the open paper a click fills the paper, a larger dab only washes it (hint_fill.py).
CLICK_MAX_PIXELS = 4
# A hinted pixel with alpha below REGION_ONLY_BELOW fills its region alone, not its part (the
# bucket's Shift+click writes REGION_ONLY_ALPHA); hint models read every alpha > 0 as a hint.
REGION_ONLY_ALPHA = 128
REGION_ONLY_BELOW = 192
HINT_SCALE_MARGIN = 2  # a page's hint image is read up to this many times the page's size per side
REUSE_SHAPE_TOLERANCE = 0.08  # width/height ratios further apart than 8 %: another layout of page


class HintFileError(GanimeError, ValueError):
    """A hint file that cannot be read or written; the message names the file and the fix."""


class HintShapeError(GanimeError, ValueError):
    """Hints of a page whose shape differs too much from this one's to be reused; says why."""


def hints_path_for(sketch_path: str | os.PathLike) -> Path:
    """Where the hints of a sketch live: ``page.png`` -> ``page.hints.png`` in the same folder."""
    path = Path(sketch_path)
    return path.with_name(path.stem + HINT_SUFFIX)


def is_hint_file(path: str | os.PathLike) -> bool:
    return Path(path).name.lower().endswith(HINT_SUFFIX)


def is_click(pixels: int | np.ndarray) -> bool | np.ndarray:
    """Whether a hinted speck of this many pixels is a fill-bucket click."""
    return np.asarray(pixels) <= CLICK_MAX_PIXELS


def is_region_only(alpha: np.ndarray) -> np.ndarray:
    """Which hinted pixels (alpha > 0) ask for their region alone."""
    return (alpha > 0) & (alpha < REGION_ONLY_BELOW)


def empty_hints(height: int, width: int) -> np.ndarray:
    return np.zeros((height, width, 4), np.uint8)


def has_hints(rgba: np.ndarray | None) -> bool:
    return rgba is not None and bool(np.any(rgba[:, :, 3]))


def check_hints(rgba: np.ndarray, height: int, width: int) -> np.ndarray:
    """Raise ValueError unless ``rgba`` is an HxWx4 uint8 layer of exactly this page size."""
    if not isinstance(rgba, np.ndarray) or rgba.dtype != np.uint8 or rgba.ndim != 3 or rgba.shape[2] != 4:
        raise ValueError(f"colour hints must be an HxWx4 uint8 RGBA image, got "
                         f"{getattr(rgba, 'dtype', type(rgba))} {getattr(rgba, 'shape', '')}")
    if rgba.shape[:2] != (height, width):
        raise ValueError(f"the colour hints are {rgba.shape[1]}x{rgba.shape[0]} but the page is {width}x{height}; "
                         "scale them to the page first (fit_hints)")
    return rgba


def fit_hints(rgba: np.ndarray, height: int, width: int) -> np.ndarray:
    """The layer scaled to a page of another size (nearest: hint colours are never blended with
    "no hint"), e.g. hints reused from the previous page of a chapter."""
    if rgba.shape[:2] == (height, width):
        return rgba
    return resize(rgba, height, width, NEAREST)


def hints_for_another_page(rgba: np.ndarray, height: int, width: int) -> tuple[np.ndarray, str]:
    """Another page's hints (a chapter's previous page) for a page of height x width: unchanged
    on a page of the same size; scaled to it when the two pages have about the same shape
    (width/height within REUSE_SHAPE_TOLERANCE), with a note that says so; else HintShapeError:
    stretched to another shape, a stroke on the old page's hair would land on the new one's face.
    Returns (hints at the page's size, note: "" or "scaled from 1200×1700 to 600×850")."""
    old_h, old_w = rgba.shape[:2]
    if (old_h, old_w) == (height, width):
        return rgba, ""
    old_ratio, new_ratio = old_w / old_h, width / height
    if abs(old_ratio / new_ratio - 1.0) > REUSE_SHAPE_TOLERANCE:
        raise HintShapeError(f"they were painted on a {old_w}×{old_h} page and this one is {width}×{height}, "
                             "another shape: scaled to it, they would land in the wrong places")
    return fit_hints(rgba, height, width), f"scaled from {old_w}×{old_h} to {width}×{height}"


def shrink_hints(rgba: np.ndarray, height: int, width: int) -> np.ndarray:
    """The layer at a smaller working size: a small pixel is hinted if any page pixel under it is,
    with the mean colour of those hinted pixels. Nearest sampling would drop thin strokes."""
    if rgba.shape[:2] == (height, width):
        return rgba
    mask = (rgba[:, :, 3] > 0).astype(np.float32)
    premultiplied = rgba[:, :, :3].astype(np.float32) * mask[:, :, None]
    coverage = resize(mask, height, width, AREA)
    colour = resize(premultiplied, height, width, AREA)
    hinted = coverage > 1e-6
    out = np.zeros((height, width, 4), np.uint8)
    out[hinted, :3] = np.clip(colour[hinted] / coverage[hinted, None] + 0.5, 0, 255).astype(np.uint8)
    out[hinted, 3] = 255
    return out


def encode_hints(rgba: np.ndarray, value_range: tuple[float, float] = (-1.0, 1.0)) -> np.ndarray:
    """HxWx4 uint8 RGBA layer -> HxWx4 float32 model channels: hint RGB in ``value_range``
    times the mask (0 where there is no hint), then the mask in {0, 1}."""
    low, high = value_range
    mask = (rgba[:, :, 3] > 0).astype(np.float32)
    rgb = rgba[:, :, :3].astype(np.float32) * ((high - low) / 255.0) + low
    return np.concatenate([rgb * mask[:, :, None], mask[:, :, None]], axis=2)


def decode_hints(channels: np.ndarray, value_range: tuple[float, float] = (-1.0, 1.0)) -> np.ndarray:
    """The inverse of ``encode_hints`` (model channels -> RGBA layer), e.g. for simulated hints."""
    low, high = value_range
    mask = channels[:, :, 3] > 0.5
    rgb = (channels[:, :, :3].astype(np.float32) - low) * (255.0 / (high - low))
    out = np.zeros((*channels.shape[:2], 4), np.uint8)
    out[mask, :3] = np.clip(rgb[mask] + 0.5, 0, 255).astype(np.uint8)
    out[mask, 3] = 255
    return out


# --- files ---------------------------------------------------------------------------------------

def max_hint_size(page_height: int, page_width: int) -> tuple[int, int]:
    """The largest hint layer (height, width) read for a page of this size: hints are the size of
    their page, with room for one scaled to twice its size (a page re-scanned at double dpi)."""
    return page_height * HINT_SCALE_MARGIN, page_width * HINT_SCALE_MARGIN


def read_hints(path: str | os.PathLike, page_size: tuple[int, int] | None = None) -> np.ndarray:
    """An RGBA hint image -> HxWx4 uint8 RGBA. Raises HintFileError naming the file.

    ``page_size`` (height, width): the page the hints are for; a hint image more than
    HINT_SCALE_MARGIN times its size on a side is refused from its header, before it is read
    whole or decoded (a small file may declare gigapixels). Without it, the page pixel limit.
    """
    path = Path(path)
    if page_size is None:
        limit, max_pixels = None, MAX_PIXELS
    else:
        limit = max_hint_size(*page_size)
        max_pixels = limit[0] * limit[1]

    def refuse(width: int, height: int) -> None:
        if limit is not None and (height > limit[0] or width > limit[1]):
            raise HintFileError(
                f"{path}: the hints are {width}x{height} pixels, their page {page_size[1]}x{page_size[0]} "
                f"(at most {limit[1]}x{limit[0]} is read); hints are the size of their page: paint them "
                "again on the page in the app, or scale the hint image to the page")
        if width * height > MAX_PIXELS:
            raise HintFileError(f"{path}: {width}x{height} pixels is more than the {MAX_PIXELS // 1_000_000} "
                                "megapixel limit; hints are the size of their page")

    def refuse_by_header(head: bytes) -> None:
        size = image_size(head)
        if size is not None:
            refuse(*size)

    # 16-bit RGBA uncompressed is the most a hint image's pixels take; and room for metadata
    data = read_file_for(path, 8 * max_pixels + 2**20, refuse_by_header, "a hint image", HintFileError)
    unreadable = f"{path}: not a readable image; hints must be an RGBA PNG (transparent where there is no hint)"
    try:
        img = open_image(data)
    except DECODE_ERRORS:
        raise HintFileError(unreadable) from None
    refuse(img.width, img.height)  # Pillow's header, still before decoding
    try:
        img.load()
    except DECODE_ERRORS:
        raise HintFileError(unreadable) from None
    if not img.has_transparency_data:  # 16-bit RGBA comes as 8-bit RGBA; gray+alpha and palettes convert
        raise HintFileError(f"{path}: the hint image has no transparency; save it as an RGBA PNG where "
                            "transparent pixels mean 'no hint' and painted pixels carry the colour")
    rgba = np.array(img.convert("RGBA"))
    rgba[rgba[:, :, 3] == 0] = 0  # fully transparent: no hint, whatever colour the editor left there
    return rgba


def write_hints(path: str | os.PathLike, rgba: np.ndarray) -> Path:
    """Write an RGBA hint layer as PNG atomically. Raises HintFileError naming the file."""
    path = Path(path)
    if rgba.dtype != np.uint8 or rgba.ndim != 3 or rgba.shape[2] != 4:
        raise HintFileError(f"{path}: hints must be HxWx4 uint8 RGBA, got {rgba.dtype} {rgba.shape}")
    encoded = encode_with_pillow(rgba, "PNG", compress_level=PNG_COMPRESSION)
    try:
        write_bytes_atomic(path, encoded)
    except OSError as exc:
        raise HintFileError(f"{path}: cannot write the hint file ({exc.strerror or exc}); check that the "
                            "folder exists and is writable") from None
    return path


def find_page_hints(hints_dir: str | os.PathLike, page: str | os.PathLike, relative: str | None = None) -> Path | None:
    """The hint file of a page in ``hints_dir`` (batch ``--hints DIR``), or None (no hints).

    Looks for ``{stem}.hints.png``, then, unless the page itself lives in that folder, any image
    with the page's stem (``p1.jpg`` -> ``p1.png``). ``relative``: the page's path relative to the
    batch input folder; its sub-folders are mirrored under ``hints_dir``.
    """
    page = Path(page)
    folder = Path(hints_dir) / Path(relative).parent if relative else Path(hints_dir)
    candidate = folder / (page.stem + HINT_SUFFIX)
    if candidate.is_file():
        return candidate
    if folder.resolve() == page.parent.resolve():
        return None  # the page's own folder: a same-stem image there is the page itself
    for suffix in IMAGE_SUFFIXES:
        for name in (page.stem + suffix, page.stem + suffix.upper()):
            if (folder / name).is_file():
                return folder / name
    return None


def hints_to_model_input(rgba: np.ndarray | None, height: int, width: int, value_range: tuple[float, float],
                         padded_height: int, padded_width: int) -> np.ndarray:
    """1 x padded_height x padded_width x 4 float32 hint channels for a page of height x width
    (None: no hints); the padding beyond the page is "no hint"."""
    out = np.zeros((1, padded_height, padded_width, HINT_CHANNELS), np.float32)
    if rgba is not None:
        out[0, :height, :width] = encode_hints(check_hints(rgba, height, width), value_range)
    return out


def previous_page_hints(sketch_path: str | os.PathLike) -> Path | None:
    """The hint file of the nearest earlier page (natural name order: p2 before p10) in the
    sketch's folder that has one; None if none does. To reuse a chapter's hints page after page."""
    path = Path(sketch_path)
    folder = path.parent
    try:
        pages = [p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES
                 and not is_hint_file(p) and not p.name.startswith(".")]
    except OSError:
        return None
    earlier = sorted((p for p in pages if natural_key(p.name) < natural_key(path.name)),
                     key=lambda p: natural_key(p.name), reverse=True)
    for page in earlier:
        hints = hints_path_for(page)
        if hints.is_file():
            return hints
    return None
