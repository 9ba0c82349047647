"""Render the app icon's PNGs (and the Windows .ico) from ganime-studio.svg.

    python assets/icons/render_icons.py          # writes ganime-studio-<N>.png and ganime-studio.ico
    python assets/icons/render_icons.py --check  # exit 1 when a PNG is missing or stale

The PNGs are committed: the app, the Linux packages (hicolor theme) and the Windows installer use
them, and the bundle carries no SVG renderer (build.spec leaves QtSvg out). Rendered with Qt's
QSvgRenderer (PySide6-Essentials has QtSvg), antialiased, on a transparent background; the .ico
(16-256 px, Windows: exe, shortcuts, installer) is packed from the same PNGs with Pillow.

``--check`` compares the decoded pixels, not the PNG bytes: Qt's antialiasing rounds a level
differently on another CPU (its SIMD paths), so a PNG is stale only when a pixel is off by more
than MAX_LEVEL_DIFF or the pixels are off by more than MAX_MEAN_DIFF on average (premultiplied, so
that the colour of an almost transparent pixel does not count).
"""

from __future__ import annotations

import argparse
import io
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SVG = HERE / "ganime-studio.svg"
SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
# Measured: one pixel of the 256 px icon one level apart between two x86-64 CPUs. A changed
# drawing moves whole edges or colours: tens of levels.
MAX_LEVEL_DIFF = 8
MAX_MEAN_DIFF = 0.5


def png_path(size: int) -> Path:
    return HERE / f"ganime-studio-{size}.png"


def render_png(size: int) -> bytes:
    """The SVG drawn at size x size pixels, as PNG bytes."""
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    _app = QGuiApplication.instance() or QGuiApplication([sys.argv[0]])  # noqa: F841 - Qt needs one
    renderer = QSvgRenderer(str(SVG))
    if not renderer.isValid():
        raise SystemExit(f"{SVG} is not a valid SVG")
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.SmoothPixmapTransform)
    renderer.render(painter)
    painter.end()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.convertToFormat(QImage.Format.Format_ARGB32).save(buffer, "PNG")
    return bytes(data.data())


def _premultiplied(png: bytes):
    import numpy as np
    from PIL import Image

    rgba = np.asarray(Image.open(io.BytesIO(png)).convert("RGBA"), np.int32)
    return np.concatenate([rgba[..., :3] * rgba[..., 3:] // 255, rgba[..., 3:]], axis=-1)


def same_pixels(png: bytes, rendered: bytes) -> bool:
    """Whether two PNGs show the same icon, up to the rounding of another CPU (module docstring)."""
    a, b = _premultiplied(png), _premultiplied(rendered)
    if a.shape != b.shape:
        return False
    diff = abs(a - b)
    return int(diff.max()) <= MAX_LEVEL_DIFF and float(diff.mean()) <= MAX_MEAN_DIFF


def stale_pngs(folder: Path = HERE) -> list[str]:
    """Names of the PNGs in ``folder`` that are missing, unreadable or do not match the SVG."""
    stale = []
    for size in SIZES:
        path = folder / png_path(size).name
        try:
            ok = same_pixels(path.read_bytes(), render_png(size))
        except (OSError, ValueError, SyntaxError):  # missing, or not a PNG
            ok = False
        if not ok:
            stale.append(path.name)
    return stale


def ico_bytes() -> bytes:
    from PIL import Image

    images = [Image.open(png_path(size)).convert("RGBA") for size in ICO_SIZES]
    out = io.BytesIO()
    images[-1].save(out, format="ICO", sizes=[(s, s) for s in ICO_SIZES], append_images=images[:-1])
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check that the PNGs match the SVG")
    args = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    if args.check:
        stale = stale_pngs()
        if stale:
            print(f"stale or missing: {', '.join(stale)}; run python {Path(__file__).name}")
            return 1
        print(f"all {len(SIZES)} PNGs match {SVG.name}")
        return 0
    for size in SIZES:
        png = render_png(size)
        png_path(size).write_bytes(png)
        print(f"wrote {png_path(size).name} ({len(png):,} bytes)")
    ico = HERE / "ganime-studio.ico"
    ico.write_bytes(ico_bytes())
    print(f"wrote {ico.name} ({ico.stat().st_size:,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
