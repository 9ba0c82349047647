"""How fast the fill bucket answers: the outline while it hovers, and the fill after a click.

    python benchmarks/fill_click.py [--clicks N] [--lineart DIR] [--model NAME]

On the authentic line arts of ``../shared/data/lineart-real`` scaled to a 1024 px longer side
(read there, never copied into the repository), coloured once by a shipped model (default
pix2pix-tv, as the app's panes are), N clicks at random places on each page (seeded):

- ``preview``: ``PageColouring.reach`` (what the app outlines while the bucket hovers);
- ``fill``: ``PageColouring.rerender`` in the shaded mode after the click, given the image before
  it (what a pane does after the click: only what the click changed is rendered again); as in the
  app, a click takes the place of the earlier clicks that reached the same thing (in a part, the
  same region: ui/colour_tools.py);
- each measured cold (the page's parts and the paper's levels computed on the page's first click,
  as after a colouring) and warm (later clicks).

Prints the median and the maximum per kind in milliseconds. Target (issue 25): preview and fill
<= 50 ms at 1024 px on the 2-core development machine.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from ganime_desktop.core.hint_fill import FillSettings  # noqa: E402
from ganime_desktop.core.manifest import load_manifest  # noqa: E402
from ganime_desktop.core.pipeline import Colorizer  # noqa: E402
from ganime_desktop.core.regions import clear_cache  # noqa: E402

LINEART = REPO.parent / "shared" / "data" / "lineart-real"
SIDE = 1024


def pages(folder: Path):
    for path in sorted(p for p in folder.iterdir() if p.suffix.lower() in (".png", ".jpg", ".jpeg", ".webp")):
        gray = Image.open(path).convert("L")
        scale = SIDE / max(gray.size)
        yield path.name, np.array(gray.resize((round(gray.width * scale), round(gray.height * scale)),
                                               Image.Resampling.LANCZOS))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clicks", type=int, default=8)
    parser.add_argument("--lineart", type=Path, default=LINEART)
    parser.add_argument("--model", default="pix2pix-tv")
    args = parser.parse_args()
    spec = next(s for s in load_manifest(REPO / "assets" / "models" / "manifest.json") if s.name == args.model)
    colorizer = Colorizer(spec, "cpu")
    fill = FillSettings()
    rng = np.random.default_rng(0)
    times: dict[str, list[float]] = {k: [] for k in ("preview cold", "preview warm", "fill cold", "fill warm")}
    for name, gray in pages(args.lineart):
        clear_cache()
        page = colorizer.colour_page(gray)
        shown, hints = page.render("shaded", None, fill), None
        h, w = gray.shape
        targets = page.fill_targets(fill.part_tolerance)
        clicks: list[tuple[int, int]] = []
        for i in range(args.clicks):
            x, y = int(rng.integers(w)), int(rng.integers(h))
            kind = "cold" if i == 0 else "warm"
            t0 = time.perf_counter()
            page.reach(x, y, fill)
            times[f"preview {kind}"].append(time.perf_counter() - t0)
            key = targets.target_at(x, y, fill)
            region = page.regions.label_at(x, y)
            clicks = [(cx, cy) for cx, cy in clicks if targets.target_at(cx, cy, fill) != key
                      or (key[0] == "part" and page.regions.label_at(cx, cy) != region)] + [(x, y)]
            new = np.zeros((h, w, 4), np.uint8)
            for cx, cy in clicks[:-1]:
                new[cy, cx] = hints[cy, cx]
            new[y, x] = (*rng.integers(0, 256, 3), 255)
            t0 = time.perf_counter()
            shown = page.rerender("shaded", new, shown, hints, fill)
            times[f"fill {kind}"].append(time.perf_counter() - t0)
            hints = new
        print(f"{name}: {w}x{h}, {page.regions.count} regions", flush=True)
    print(f"\n{len(times['fill cold'])} pages at {SIDE} px, {args.clicks} clicks each ({args.model}, shaded, "
          f"close gaps {fill.close_gaps}, parts {fill.part_tolerance:g}):")
    for key, values in times.items():
        ms = [1000 * v for v in values]
        print(f"  {key:13s} median {statistics.median(ms):6.1f} ms   max {max(ms):6.1f} ms")


if __name__ == "__main__":
    main()
