"""Render the app icon's PNGs (and the Windows .ico) from ganime-studio.svg.

    python assets/icons/render_icons.py          # writes ganime-studio-<N>.png and ganime-studio.ico
    python assets/icons/render_icons.py --check  # exit 1 when a PNG is missing or stale

The PNGs are committed: the app, the Linux packages (hicolor theme) and the Windows installer use
them, and the bundle carries no SVG renderer (build.spec leaves QtSvg out). Rendered with Qt's
QSvgRenderer (PySide6-Essentials has QtSvg), antialiased, on a transparent background; the .ico
(16-256 px, Windows: exe, shortcuts, installer) is packed from the same PNGs with Pillow.
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
    stale = []
    for size in SIZES:
        png = render_png(size)
        path = png_path(size)
        if args.check:
            if not path.is_file() or path.read_bytes() != png:
                stale.append(path.name)
        else:
            path.write_bytes(png)
            print(f"wrote {path.name} ({len(png):,} bytes)")
    if args.check:
        if stale:
            print(f"stale or missing: {', '.join(stale)}; run python {Path(__file__).name}")
            return 1
        print(f"all {len(SIZES)} PNGs match {SVG.name}")
        return 0
    ico = HERE / "ganime-studio.ico"
    ico.write_bytes(ico_bytes())
    print(f"wrote {ico.name} ({ico.stat().st_size:,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
