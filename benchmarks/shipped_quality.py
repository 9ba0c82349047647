"""Colour error and paper whiteness of a shipped model through the app pipeline (CPU).

Run by hand: .venv/bin/python benchmarks/shipped_quality.py [--name MODEL] [--manifest FILE]
(default: the default model of assets/models/manifest.json; --manifest scores candidates exported elsewhere)
Faces: the first 8 test faces (256 px); full body: the 16 test pages at full size (whole figures
on white paper); scenes: the 10 test pages at full size (painted backgrounds, unseen by every choice
before issue 29). XDoG sketches with seed 0; the sketch passed through unchanged is the baseline.
Real line art has its own script: benchmarks/real_line_art_table.sh.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from ganime_desktop.core.colour_modes import MODES, NETWORK_MODE, spoken
from ganime_desktop.core.imageio import read_image
from ganime_desktop.core.manifest import ManifestError, find_generator
from ganime_desktop.core.pipeline import Colorizer
from training.data import list_sources
from training.metrics import mean_delta_e2000, paper_whiteness
from training.nst import sketch_rgb
from training.xdog import sketch_for

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--name", help="a generator of the manifest (default: the default one)")
    parser.add_argument("--manifest", type=Path, default=Path(__file__).resolve().parents[1] / "assets" / "models"
                        / "manifest.json", help="the models' manifest.json (default: the shipped one)")
    parser.add_argument("--mode", default=NETWORK_MODE, choices=MODES,
                        help=f"the app's colour mode: {spoken(MODES)} (default: {NETWORK_MODE})")
    args = parser.parse_args()
    name, manifest = args.name, args.manifest
    try:
        spec = find_generator(manifest, name)
    except ManifestError as exc:
        parser.error(str(exc))
    colorizer = Colorizer(spec, device="cpu")
    print(f"model {spec.name}, working size {spec.input.working_size}, mode {args.mode}")
    for split, sources in (("faces (8)", list_sources(DATA / "anime-faces", "color", "test")[:8]),
                           ("full body (16)", list_sources(DATA / "anime-fullbody", "color", "test")),
                           ("scenes (10)", list_sources(DATA / "anime-scenes", "color", "test"))):
        model_de, pass_de, paper = [], [], []
        for src in sources:
            truth = read_image(src.color)
            sketch = sketch_rgb(sketch_for(truth, src.key, 0))  # full size, as the dataset's XDoG
            out = colorizer.colorize(sketch, mode=args.mode)
            model_de.append(mean_delta_e2000(out, truth))
            pass_de.append(mean_delta_e2000(sketch, truth))
            paper.append(paper_whiteness(out, truth))
        print(f"{split:15} dE2000 model {np.mean(model_de):6.2f}  passthrough {np.mean(pass_de):6.2f}  "
              f"blank paper dE2000 from white {np.nanmean(paper):5.2f}")


if __name__ == "__main__":
    main()
