"""Where a model's colour error on real line art lies: lightness or colour, paper or figure.

Run by hand: .venv/bin/python benchmarks/real_error_parts.py [--data DIR] [--split test] [--manifest FILE]
[--name MODEL] (default: the validation pages of the fine-tunes, /tmp/real-split/val-root from
benchmarks/real_validation_split.py, and the default model of assets/models/manifest.json; choose on
those, not on sketch-pairs-real/test). Each kind of page apart (`kg_` Kaggle-style, `tw_` hand-drawn),
mode `raw`, pages as they are; ΔE2000 to the truth of:
  model        the model's colouring
  true L       the model's colouring with the truth's lightness (what its colours cost)
  true a*b*    the model's lightness with the truth's colours (what its lightness costs)
  gray         the model's lightness, no colour (a*b* = 0)
  half chroma  the model's colouring with half its chroma
and the figure's mean lightness (where the truth is not blank paper), the model's and the truth's.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from ganime_desktop.core.manifest import ManifestError, find_generator  # noqa: E402  (run as a script)
from ganime_desktop.core.pipeline import Colorizer  # noqa: E402
from training.evaluate.pairs import load_pairs  # noqa: E402
from training.metrics import blank_paper, delta_e2000, srgb_to_lab  # noqa: E402

KINDS = {"Kaggle-style kg_": "kg_*", "hand-drawn tw_": "tw_*"}
COLUMNS = ("model", "true L", "true a*b*", "gray", "half chroma", "figure L model", "figure L truth")


def page_row(out: np.ndarray, truth: np.ndarray) -> list[float]:
    model, real = srgb_to_lab(out), srgb_to_lab(truth)
    true_l, true_ab, gray, half = model.copy(), model.copy(), model.copy(), model.copy()
    true_l[..., 0] = real[..., 0]
    true_ab[..., 1:] = real[..., 1:]
    gray[..., 1:] = 0.0
    half[..., 1:] *= 0.5
    figure = ~blank_paper(truth)
    errors = [float(delta_e2000(lab, real).mean()) for lab in (model, true_l, true_ab, gray, half)]
    return errors + [float(model[..., 0][figure].mean()), float(real[..., 0][figure].mean())]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="/tmp/real-split/val-root")
    parser.add_argument("--split", default="test")
    parser.add_argument("--manifest", type=Path, default=REPO / "assets" / "models" / "manifest.json")
    parser.add_argument("--name", default=None, help="a generator of the manifest (default: its default)")
    args = parser.parse_args()
    try:
        spec = find_generator(args.manifest, args.name)
    except ManifestError as exc:
        parser.error(str(exc))
    colorizer = Colorizer(spec, device="cpu")
    print(f"{spec.name} ({args.manifest}) on {args.data} {args.split}, raw, ΔE2000 to the truth")
    print(f"| pages | {' | '.join(COLUMNS)} |\n|---|{'---|' * len(COLUMNS)}")
    for label, pattern in KINDS.items():
        pairs = load_pairs(args.data, "kaggle", args.split, image_size=0, seed=0, limit=None, cache_dir=None,
                           whole=True, only=[pattern])
        rows = [page_row(colorizer.colorize(p.sketch, mode="raw"), p.truth) for p in pairs]
        means = np.mean(rows, axis=0) if rows else [float("nan")] * len(COLUMNS)
        print(f"| {label} ({len(rows)}) | {' | '.join(f'{v:.2f}' for v in means)} |", flush=True)


if __name__ == "__main__":
    main()
