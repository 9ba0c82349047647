"""The coloured page a chapter is coloured like (``ganime colorize --like``, the app's "Colour
like…"), read from files with plain messages, and its line art.

The line art the page was coloured on comes, in this order, from: ``--like-sketch`` (the page's
own line art, same picture, same aspect ratio); an OpenRaster file's "Line art" layer (``--like
page.ora``, as the app and ``--layers`` write it); a ``{stem}.lines.png`` beside the coloured
page (the line layer ``--layers`` writes); else the coloured page's own dark strokes
(``lines_of_coloured_page``: the XDoG line extractor the project's training sketches come from).
"""

from __future__ import annotations

import os
import zipfile
from dataclasses import replace
from pathlib import Path
from xml.etree import ElementTree

import numpy as np

from .colour import rgb8_to_lab
from .errors import GanimeError
from .imageio import DECODE_ERRORS, ImageReadError, open_image, read_image
from .layers import LAYER_SUFFIXES
from .preprocess import as_rgb_uint8, scale_to_fit, to_gray
from .reference_match import SAMPLE_SIDE, LikeReference, prepare_reference
from .regions import ndimage
from .resize import AREA, CUBIC, resize

MIN_CHROMA = 8.0  # CIELAB chroma the most colourful 1 % of a coloured page reaches at least
ASPECT_TOLERANCE = 0.01  # a line art this close in aspect ratio is the same picture at another size
# XDoG (Winnemoeller 2012) as training/xdog.py draws the training sketches, in scipy.
XDOG_SIGMA, XDOG_TAU, XDOG_KAPPA = 0.4, 0.95, 4.5
ORA_LINE_LAYER = "Line art"  # the name core/layers.py gives the line layer in its .ora files


class LikeReferenceError(GanimeError, ValueError):
    """A coloured reference page (or its line art) that cannot be used; the message says which
    file and what to do."""


def lines_of_coloured_page(rgb: np.ndarray) -> np.ndarray:
    """HxWx3 uint8 coloured page -> HxW uint8 line art (255 paper, 0 line): its dark strokes and
    the dark side of its colour edges, by XDoG."""
    ndi = ndimage()
    gray = to_gray(rgb).astype(np.float32) / 255.0
    d = (ndi.gaussian_filter(gray, XDOG_SIGMA, mode="nearest")
         - XDOG_TAU * ndi.gaussian_filter(gray, XDOG_SIGMA * XDOG_KAPPA, mode="nearest"))
    return np.where(d >= 0.0, 255, 0).astype(np.uint8)


def _check_coloured(rgb: np.ndarray, name: str) -> None:
    h, w = scale_to_fit(*rgb.shape[:2], min(256, max(rgb.shape[:2])))
    lab = rgb8_to_lab(resize(rgb, h, w, AREA) if (h, w) != rgb.shape[:2] else rgb)
    if np.percentile(np.hypot(lab[..., 1], lab[..., 2]), 99) < MIN_CHROMA:
        raise LikeReferenceError(
            f"{name}: has no colours (it is greyscale), so there is nothing to colour the pages like; "
            "colour one page first (in the app with the fill bucket, or in any editor) and give that page")


def _fit_line_art(line_art: np.ndarray, shape: tuple[int, int], name: str, coloured: str) -> np.ndarray:
    """The line art at the coloured page's size: the same picture at another resolution is
    resized; another picture is refused."""
    if line_art.shape == shape:
        return line_art
    (h, w), (lh, lw) = shape, line_art.shape
    if abs((lw / lh) / (w / h) - 1.0) > ASPECT_TOLERANCE:
        raise LikeReferenceError(
            f"{name}: its line art is {lw}x{lh} pixels but the coloured page {coloured} is {w}x{h}; give the "
            "line art that page was coloured on (the same picture), or leave --like-sketch out to take the "
            "lines from the coloured page itself")
    return resize(line_art, h, w, AREA if lh > h else CUBIC)


def _read_ora(path: Path) -> tuple[np.ndarray, np.ndarray | None]:
    """(merged colour image, line art or None) of an OpenRaster file."""
    try:
        with zipfile.ZipFile(path) as zf:
            merged = zf.read("mergedimage.png")
            stack = ElementTree.fromstring(zf.read("stack.xml"))
            src = next((layer.get("src") for layer in stack.iter("layer") if layer.get("name") == ORA_LINE_LAYER), None)
            lines_png = zf.read(src) if src else None
    except FileNotFoundError:
        raise ImageReadError(f"{path}: no such file; check the path") from None
    except (OSError, KeyError, zipfile.BadZipFile, ElementTree.ParseError) as exc:
        raise ImageReadError(f"{path}: not a readable OpenRaster file ({exc}); save the page again from the "
                             "app, or export it as PNG") from None
    try:
        colour = as_rgb_uint8(np.array(open_image(merged).convert("RGBA")))
        lines = None
        if lines_png is not None:  # black ink whose alpha is the line: gray = 255 - alpha over white
            lines = 255 - np.array(open_image(lines_png).convert("RGBA"))[:, :, 3]
    except DECODE_ERRORS:
        raise ImageReadError(f"{path}: its images cannot be decoded; save the page again from the app") from None
    return colour, lines


def _sibling_lines(path: Path) -> Path | None:
    """``p1_model.png`` -> ``p1_model.lines.png`` when it exists (what ``--layers`` writes)."""
    candidate = path.with_name(path.stem + LAYER_SUFFIXES["lines"])
    return candidate if candidate.is_file() else None


def _read_lines_png(path: Path) -> np.ndarray:
    """A line art file as gray; a line layer on transparency (``.lines.png``) as ink over white."""
    return to_gray(read_image(path))


def reference_from_arrays(colour: np.ndarray, line_art: np.ndarray | None = None, *,
                          name: str = "the coloured page", lines_from: str = "the line art given") -> LikeReference:
    """A coloured page (HxWx3 uint8) and, when known, the line art it was coloured on (HxW
    uint8, same picture) -> the prepared reference. LikeReferenceError when it cannot be used."""
    colour = as_rgb_uint8(colour)
    _check_coloured(colour, name)
    if line_art is not None:
        line_art = _fit_line_art(line_art if line_art.ndim == 2 else to_gray(as_rgb_uint8(line_art)),
                                 colour.shape[:2], name, name)
    h, w = scale_to_fit(*colour.shape[:2], min(SAMPLE_SIDE, max(colour.shape[:2])))
    if (h, w) != colour.shape[:2]:  # the lines are found at the size the reference is kept at
        colour = resize(colour, h, w, AREA)
        line_art = None if line_art is None else resize(line_art, h, w, AREA)
    if line_art is None:
        line_art, lines_from = lines_of_coloured_page(colour), "its own dark strokes"
    return replace(prepare_reference(colour, line_art), lines_from=lines_from)


def load_like_reference(coloured: str | os.PathLike, line_art: str | os.PathLike | None = None) -> LikeReference:
    """Read and prepare the coloured page a chapter is coloured like (module docstring for
    where its line art comes from). Raises LikeReferenceError naming the file and the fix."""
    coloured = Path(coloured)
    lines_from = ""
    try:
        if coloured.suffix.lower() == ".ora":
            colour, lines = _read_ora(coloured)
            lines_from = "the .ora's line layer"
        else:
            colour, lines = read_image(coloured), None
        if line_art is not None:
            lines = _read_lines_png(Path(line_art))
            lines = _fit_line_art(lines, colour.shape[:2], str(line_art), str(coloured))
            lines_from = str(line_art)
        elif lines is None and (sibling := _sibling_lines(coloured)) is not None:
            lines = _fit_line_art(_read_lines_png(sibling), colour.shape[:2], str(sibling), str(coloured))
            lines_from = str(sibling)
    except ImageReadError as exc:
        raise LikeReferenceError(f"the page to colour like: {exc}") from None
    return reference_from_arrays(colour, lines, name=str(coloured), lines_from=lines_from)

