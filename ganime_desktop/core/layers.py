"""A colouring as the layers an artist keeps editing: flats, shading, line art; and OpenRaster.

Three layers, bottom to top, each HxW(x3) uint8:

- flats: one colour per region (opaque);
- shading: gray, blended with *multiply* (255 = no change), the network's light and shadow;
- line art: gray, 255 = paper; written as black ink whose alpha is 255 - gray, which over
  any colour c gives c * gray / 255, i.e. multiply, in every editor.

A page coloured like a reference page (core/reference_match.py) also has a *reference mask*:
gray, 255 where the reference decided the colour, 0 where the network did. It is not part of the
picture: ``{stem}.reference.png`` and a hidden top layer of the ``.ora``.

``compose`` is what an editor shows when it stacks them, rounded the way 8-bit editors do it
(one layer at a time), so a file opened in Krita, GIMP or MyPaint looks like the app's result.
``write_layers`` writes the three PNGs and an OpenRaster (``.ora``) file of the stack, each
atomically (a temp file renamed over the target, as the rest of core does).
"""

from __future__ import annotations

import io
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import quoteattr

import numpy as np

from .imageio import ImageWriteError, encode_png, write_bytes_atomic
from .resize import AREA, resize

ORA_MIMETYPE = b"image/openraster"
THUMBNAIL_SIDE = 256  # OpenRaster: the thumbnail is at most 256 px on its longer side
# What write_layers writes beside ``{stem}.png``: "{stem}{suffix}".
LAYER_SUFFIXES = {"flats": ".flats.png", "shading": ".shading.png", "lines": ".lines.png", "ora": ".ora"}
REFERENCE_SUFFIX = ".reference.png"  # the reference mask, for pages coloured like a reference page
REFERENCE_LAYER = "From the reference (white)"  # its name in the .ora


COMPOSE_ROWS = 64  # compose works on blocks of rows: its uint16 temporaries stay in the CPU's cache


def multiply(base: np.ndarray, gray: np.ndarray) -> np.ndarray:
    """uint8 RGB times an HxW uint8 multiply layer, rounded to nearest as 8-bit editors do."""
    t = base.astype(np.uint16) * gray[:, :, None]
    t += 128
    t += t >> 8  # (t + (t >> 8)) >> 8 == round(a * b / 255) exactly for 8-bit a, b, without a division
    t >>= 8
    return t.astype(np.uint8)


def _multiply_into(t: np.ndarray, gray: np.ndarray, scratch: np.ndarray) -> None:
    """``multiply`` in place on a uint16 block holding uint8 values (same rounding)."""
    t *= gray[:, :, None]
    t += 128
    np.right_shift(t, 8, out=scratch)
    t += scratch
    t >>= 8


@dataclass(frozen=True, eq=False)
class Layers:
    flats: np.ndarray  # HxWx3 uint8
    shading: np.ndarray  # HxW uint8, multiply
    lines: np.ndarray  # HxW uint8, multiply (255 = paper)
    reference: np.ndarray | None = None  # HxW uint8 mask: 255 where a reference page decided the colour

    def compose(self) -> np.ndarray:
        """The flattened image: line art multiplied over shading multiplied over flats, each
        rounded as ``multiply`` does; a block of rows at a time, and in it only the columns where
        a layer is below 255 (multiplying by 255, paper, changes nothing)."""
        h, w = self.lines.shape
        out = np.empty((h, w, 3), np.uint8)
        rows = min(COMPOSE_ROWS, max(h, 1))
        t, scratch = np.empty((rows, w, 3), np.uint16), np.empty((rows, w, 3), np.uint16)
        for top in range(0, h, rows):
            n = min(rows, h - top)
            out[top:top + n] = self.flats[top:top + n]
            shading, lines = self.shading[top:top + n], self.lines[top:top + n]
            # Only the columns where a layer is below 255 change (paper beside a figure does not).
            cols = np.flatnonzero((shading.min(axis=0) < 255) | (lines.min(axis=0) < 255))
            if cols.size == 0:
                continue
            c = slice(cols[0], cols[-1] + 1)
            shading, lines = shading[:, c], lines[:, c]
            block, spare = t[:n, : c.stop - c.start], scratch[:n, : c.stop - c.start]
            block[...] = out[top:top + n, c]
            if shading.min() < 255:
                _multiply_into(block, shading, spare)
            if lines.min() < 255:
                _multiply_into(block, lines, spare)
            out[top:top + n, c] = block
        return out

    def line_rgba(self) -> np.ndarray:
        """The line art as black ink on transparency (alpha = 255 - gray)."""
        h, w = self.lines.shape
        rgba = np.zeros((h, w, 4), np.uint8)
        rgba[:, :, 3] = 255 - self.lines
        return rgba


def layer_paths(output: str | os.PathLike, *, reference: bool = False) -> dict[str, Path]:
    """Where ``write_layers`` puts the layers of the result ``output`` (``p1_model.png`` ->
    ``p1_model.flats.png``, ``.shading.png``, ``.lines.png``, ``.ora``; with ``reference``, also
    ``.reference.png``)."""
    output = Path(output)
    suffixes = {**LAYER_SUFFIXES, "reference": REFERENCE_SUFFIX} if reference else LAYER_SUFFIXES
    return {name: output.with_name(output.stem + suffix) for name, suffix in suffixes.items()}


def _png(pixels: np.ndarray) -> bytes:
    return encode_png(pixels)


def _stack_xml(width: int, height: int, entries: list[tuple[str, ...]]) -> bytes:
    """OpenRaster's stack.xml; ``entries`` top layer first: (name, file in the zip, composite op[,
    visibility])."""
    rows = "".join(f'    <layer name={quoteattr(e[0])} src={quoteattr(e[1])} composite-op="{e[2]}" x="0" y="0" '
                   f'opacity="1.0" visibility="{e[3] if len(e) > 3 else "visible"}"/>\n' for e in entries)
    return (f"<?xml version='1.0' encoding='UTF-8'?>\n"
            f'<image version="0.0.5" w="{width}" h="{height}" xres="72" yres="72">\n'
            f'  <stack>\n{rows}  </stack>\n</image>\n').encode()


def openraster_bytes(layers: Layers, merged: np.ndarray | None = None) -> bytes:
    """An OpenRaster file of the three layers: a zip whose first entry is ``mimetype``, stored
    uncompressed (how readers recognise the format), then stack.xml, data/*.png, the merged
    image and a thumbnail. Layers are RGBA PNGs (every reader takes those)."""
    merged = layers.compose() if merged is None else merged
    h, w = layers.lines.shape
    opaque = np.full((h, w, 1), 255, np.uint8)
    shading = np.repeat(layers.shading[:, :, None], 3, axis=2)
    files = [
        ("data/lines.png", layers.line_rgba()),
        ("data/shading.png", np.concatenate([shading, opaque], axis=2)),
        ("data/flats.png", np.concatenate([layers.flats, opaque], axis=2)),
    ]
    entries = [("Line art", files[0][0], "svg:src-over"),
               ("Shading", files[1][0], "svg:multiply"),
               ("Flats", files[2][0], "svg:src-over")]
    if layers.reference is not None:  # hidden: a record of where the colours came from, not paint
        mask = np.repeat(layers.reference[:, :, None], 3, axis=2)
        files.insert(0, ("data/reference.png", np.concatenate([mask, opaque], axis=2)))
        entries.insert(0, (REFERENCE_LAYER, files[0][0], "svg:src-over", "hidden"))
    stack = _stack_xml(w, h, entries)
    scale = min(1.0, THUMBNAIL_SIDE / max(h, w))
    thumb = resize(merged, max(1, round(h * scale)), max(1, round(w * scale)), AREA)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr(zipfile.ZipInfo("mimetype"), ORA_MIMETYPE, compress_type=zipfile.ZIP_STORED)
        zf.writestr("stack.xml", stack, compress_type=zipfile.ZIP_DEFLATED)
        for name, pixels in files:  # PNG is compressed already
            zf.writestr(name, _png(pixels), compress_type=zipfile.ZIP_STORED)
        zf.writestr("mergedimage.png", _png(merged), compress_type=zipfile.ZIP_STORED)
        zf.writestr("Thumbnails/thumbnail.png", _png(thumb), compress_type=zipfile.ZIP_STORED)
    return buf.getvalue()


def write_layers(output: str | os.PathLike, layers: Layers) -> dict[str, Path]:
    """Write the layers of the result ``output`` beside it (``layer_paths``), each atomically.
    Raises ImageWriteError naming the file."""
    paths = layer_paths(output, reference=layers.reference is not None)
    merged = layers.compose()
    contents = {"flats": lambda: _png(layers.flats), "shading": lambda: _png(layers.shading),
                "lines": lambda: _png(layers.line_rgba()), "ora": lambda: openraster_bytes(layers, merged),
                "reference": lambda: _png(layers.reference)}
    for name, path in paths.items():
        try:
            write_bytes_atomic(path, contents[name]())
        except OSError as exc:
            raise ImageWriteError(f"{path}: cannot write the layer ({exc.strerror or exc}); check that the "
                                  "folder exists, is writable and has free space") from None
    return paths
