"""Regenerate docs/model-grid.png: the project's own sample sketch | each shipped generator.

The evaluation grids of `python -m training evaluate` (sketch | each model | truth on the test
splits) reproduce copyrighted test art, so they stay in runs/; this grid uses only the sample the
project drew itself (assets/samples/make_sample.py), through the app's own pipeline on CPU.
Run: ``python docs/make_model_grid.py [OUT.png]``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from ganime_desktop.core.imageio import read_image
from ganime_desktop.core.manifest import load_manifest
from ganime_desktop.core.pipeline import Colorizer

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "assets" / "samples" / "sketch_bust.png"
OUT = Path(__file__).with_name("model-grid.png")
TILE_WIDTH = 320
LABEL_HEIGHT = 24


def labelled(rgb: np.ndarray, label: str) -> Image.Image:
    image = Image.fromarray(rgb)
    image = image.resize((TILE_WIDTH, round(image.height * TILE_WIDTH / image.width)), Image.Resampling.LANCZOS)
    tile = Image.new("RGB", (image.width, image.height + LABEL_HEIGHT), "white")
    tile.paste(image, (0, LABEL_HEIGHT))
    ImageDraw.Draw(tile).text((6, 6), label, fill="black")
    return tile


def main(out: Path) -> None:
    sketch = read_image(SAMPLE)
    tiles = [labelled(sketch, "sketch")]
    for spec in load_manifest(REPO / "assets" / "models" / "manifest.json"):
        if spec.kind == "generator":  # the style-transfer model needs a reference image
            tiles.append(labelled(Colorizer(spec, device="cpu").colorize(sketch), spec.name))
    grid = Image.new("RGB", (sum(t.width for t in tiles), max(t.height for t in tiles)), "white")
    x = 0
    for tile in tiles:
        grid.paste(tile, (x, 0))
        x += tile.width
    grid.save(out)
    print(f"wrote {out} ({len(tiles) - 1} models)")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT)
