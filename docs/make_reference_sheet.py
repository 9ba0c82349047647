"""Regenerate docs/reference-colouring-sheet.png: colouring pages like a coloured page, on the
project's own synthetic figure (tests/_like_pages.py), through the app's pipeline on CPU.

Rows: the figure turned, scaled and mirrored; the figure beside a shape the coloured page does
not show (it falls back to the model). Columns: the coloured page (its line art given) | the
page's sketch | the default model alone (shaded) | coloured like the page (shaded) | the
reference mask (white: the coloured page decided). The contact sheet of the real portrait ↔
splash pairs shows copyrighted art: ``benchmarks/reference_colouring.py --contact-sheet`` writes
it under runs/, never to commit.
Run: ``python docs/make_reference_sheet.py [OUT.png]``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from _like_pages import Part, box, draw, figure  # noqa: E402

from ganime_desktop.core.colour import gray_to_rgb  # noqa: E402
from ganime_desktop.core.manifest import load_manifest  # noqa: E402
from ganime_desktop.core.pipeline import Colorizer  # noqa: E402
from ganime_desktop.core.reference_match import match_page, prepare_reference  # noqa: E402
from ganime_desktop.core.regions import segment  # noqa: E402

OUT = Path(__file__).with_name("reference-colouring-sheet.png")
TILE, LABEL = 240, 22


def tile(rgb: np.ndarray, label: str) -> Image.Image:
    image = Image.fromarray(rgb if rgb.ndim == 3 else gray_to_rgb(rgb))
    image.thumbnail((TILE, TILE), Image.Resampling.LANCZOS)
    out = Image.new("RGB", (TILE, TILE + LABEL), "white")
    left, top = (TILE - image.width) // 2, LABEL + (TILE - image.height) // 2
    out.paste(image, (left, top))
    pen = ImageDraw.Draw(out)
    pen.text((4, 5), label, fill="black")
    pen.rectangle((left - 1, top - 1, left + image.width, top + image.height), outline=(190, 190, 190))
    return out


def main(out: Path) -> None:
    parts = figure()
    spec = next(s for s in load_manifest(REPO / "assets" / "models" / "manifest.json") if s.default)
    colorizer = Colorizer(spec, "cpu")
    gray, colour, _ = draw(parts, (400, 320))
    reference = prepare_reference(colour, gray)
    stranger = Part("new", box(0.3, 0.8, 1.02, 1.3), (0, 0, 0))
    pages = [("turned, scaled, mirrored", draw(parts, (400, 320), angle=15.0, scale=0.85, mirror=True)[0]),
             ("with a new shape", draw([*parts, stranger], (400, 440), shift=(0.0, -0.12))[0])]
    rows = []
    for title, page in pages:
        regions = segment(page)
        colours = match_page(page, regions, reference)
        alone = colorizer.colour_page(page, regions=regions)
        liked = colorizer.colour_page(page, regions=regions, like=colours)
        tiles = [tile(colour, "the coloured page"), tile(page, f"page: {title}"),
                 tile(alone.render("shaded"), f"{spec.name} alone"), tile(liked.render("shaded"), "like the page"),
                 tile(colours.mask(regions.labels), "from the page (white)")]
        row = Image.new("RGB", (TILE * len(tiles), TILE + LABEL), "white")
        for i, t in enumerate(tiles):
            row.paste(t, (i * TILE, 0))
        rows.append(row)
    sheet = Image.new("RGB", (rows[0].width, sum(r.height for r in rows)), "white")
    for i, row in enumerate(rows):
        sheet.paste(row, (0, i * row.height))
    sheet.save(out, optimize=True)
    print(out)


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT)
