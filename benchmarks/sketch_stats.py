"""Real line art against the synthesized sketch styles, by the numbers (training/sketch_stats.py).

Run by hand: .venv/bin/python benchmarks/sketch_stats.py [--data DIR] [--split train] [--page-size 512]

Every pair of ../shared/data/sketch-pairs-real/train (kaggle layout: colour | sketch), both halves
shrunk as the app shrinks a page (longer side at most --page-size). The real sketch is measured as it
is, and the same colour half is drawn by each synthesized style (training/sketch_styles.py: the three
bases alone, and ``mixed`` with its modifiers, seed = the pair's index; then lightened as training
lightens every sketch, ``darken_lines`` with --darkness-min), so real and synthesized are
compared on the same pictures at the same scale. Prints one markdown table: the median over pages
of each statistic, per kind (hand-drawn ``tw_``, extracted: the rest) and per style.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np

from training import sketch_styles
from training.augment import darken_lines
from training.data import NATIVE_SIZE, PairLoader, fit_long_side, list_sources
from training.sketch_stats import KEYS, sketch_statistics

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "sketch-pairs-real"
STYLES = ("ink", "pencil", "shrunk", "mixed")


def synthesized(colour: np.ndarray, style: str, rng: np.random.Generator) -> np.ndarray:
    if style == "mixed":
        return sketch_styles.mixed_sketch(colour, rng)
    return sketch_styles.BASE_FUNCTIONS[style](colour, rng)


def measure(data: Path, split: str, page_size: int, darkness_min: float) -> dict[str, list[dict[str, float]]]:
    """{row label: per-page statistics}."""
    loader = PairLoader(NATIVE_SIZE)
    rows: dict[str, list[dict[str, float]]] = {}
    for index, src in enumerate(list_sources(data, "kaggle", split)):
        colour, sketch = (fit_long_side(a, page_size) for a in loader.load(src))
        kind = "hand-drawn (tw_)" if src.color.name.startswith("tw_") else "extracted (kg_ db_ lx_ hd_)"
        rows.setdefault(f"real, {kind}", []).append(sketch_statistics(sketch))
        for style in STYLES:
            rng = np.random.default_rng([index, STYLES.index(style)])
            drawn = darken_lines(synthesized(colour, style, rng), darkness_min, rng)
            rows.setdefault(f"synthesized `{style}`, {kind}", []).append(sketch_statistics(drawn))
    return rows


def table(rows: dict[str, list[dict[str, float]]]) -> str:
    lines = ["| sketches | pages | " + " | ".join(KEYS) + " |", "|---|---|" + "---|" * len(KEYS)]
    for label, stats in sorted(rows.items(), key=lambda kv: ("synth" in kv[0], kv[0].split(", ")[1], kv[0])):
        medians = [np.nanmedian([s[k] for s in stats]) for k in KEYS]
        lines.append(f"| {label} | {len(stats)} | " + " | ".join(f"{m:.1f}" for m in medians) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA, help="a kaggle-layout folder (default: %(default)s)")
    parser.add_argument("--split", default="train", help="(default: %(default)s; never tune on test)")
    parser.add_argument("--page-size", type=int, default=512, help="the app's working size (default: %(default)s)")
    parser.add_argument("--darkness-min", type=float, default=0.7,
                        help="training's line lightening, as --darkness-min (default: %(default)s)")
    args = parser.parse_args()
    cv2.setNumThreads(1)
    print(table(measure(args.data, args.split, args.page_size, args.darkness_min)))


if __name__ == "__main__":
    main()
