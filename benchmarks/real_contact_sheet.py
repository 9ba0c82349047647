"""A contact sheet of real test pages coloured before and after (issue 29): sketch | each model | truth.

Run by hand:
  .venv/bin/python benchmarks/real_contact_sheet.py --model OLD_MANIFEST:NAME --model NEW_MANIFEST:NAME \\
      [--mode raw] [--pages 4] [--hint-dots N] [--out runs/real-contact-sheet.png]

The first --pages hand-drawn (``tw_``) and the first --pages Kaggle-style (``kg_``) pairs of
../shared/data/sketch-pairs-real/test (sorted by name, so every run shows the same pages), each
coloured through the app's pipeline (``Colorizer.colorize``, CPU) in --mode, one row per page at a
height of 256 px. ``--hint-dots N``: N careful dots of the true colour (training/hint_dots.py, seed 0)
given to every model and drawn on the sketch column. The sheet shows copyrighted test art: keep it
under runs/ (git-ignored), never commit it.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np

from ganime_desktop.core.manifest import ManifestError, find_generator
from ganime_desktop.core.pipeline import Colorizer
from ganime_desktop.core.preprocess import to_gray
from ganime_desktop.core.regions import segment
from training.data import NATIVE_SIZE, PairLoader, list_sources
from training.hint_dots import hint_dots
from training.nst import sketch_rgb

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "sketch-pairs-real"
ROW_HEIGHT = 256


def colorizer(spec_text: str) -> tuple[str, Colorizer]:
    """MANIFEST:NAME (or MANIFEST for its default generator) -> (label, colorizer)."""
    manifest, _, name = spec_text.partition(":")
    try:
        spec = find_generator(manifest, name or None)
    except ManifestError as exc:
        raise SystemExit(str(exc)) from None
    return f"{spec.name} ({Path(manifest).parent.name})", Colorizer(spec, device="cpu")


def row(images: list[np.ndarray]) -> np.ndarray:
    h, w = images[0].shape[:2]
    width = max(1, round(w * ROW_HEIGHT / h))
    return np.concatenate([cv2.resize(i, (width, ROW_HEIGHT), interpolation=cv2.INTER_AREA) for i in images], 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", action="append", required=True, metavar="MANIFEST[:NAME]",
                        help="a model to show (give it once per column, before first)")
    parser.add_argument("--mode", default="raw", help="the app's colour mode (default: %(default)s)")
    parser.add_argument("--pages", type=int, default=4, help="pages of each kind (default: %(default)s)")
    parser.add_argument("--hint-dots", type=int, default=0, help="careful dots of the true colour (default: none)")
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--out", type=Path, default=Path("runs/real-contact-sheet.png"))
    args = parser.parse_args()
    models = [colorizer(m) for m in args.model]
    sources = list_sources(args.data, "kaggle", "test")
    chosen = ([s for s in sources if s.color.name.startswith("tw_")][: args.pages]
              + [s for s in sources if s.color.name.startswith("kg_")][: args.pages])
    loader = PairLoader(NATIVE_SIZE)
    rows = []
    for index, src in enumerate(chosen):
        truth, sketch = loader.load(src)
        page = sketch_rgb(sketch)
        hints = None
        if args.hint_dots > 0:  # dots off the app's lines, as `evaluate --hint-dots` places them
            hints, _ = hint_dots(truth, segment(to_gray(page)).lines, args.hint_dots, seed=0, index=index)
        shown = page if hints is None else np.where(hints[..., 3:] > 0, hints[..., :3], page)
        rows.append(row([shown, *[c.colorize(page, mode=args.mode, hints=hints) for _, c in models], truth]))
    width = max(r.shape[1] for r in rows)
    sheet = np.concatenate([np.pad(r, ((0, 0), (0, width - r.shape[1]), (0, 0)), constant_values=255) for r in rows])
    args.out.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(args.out), cv2.cvtColor(sheet, cv2.COLOR_RGB2BGR))
    print(f"{args.out}: {len(rows)} pages ({', '.join(s.color.name for s in chosen)}); columns: sketch | "
          + " | ".join(label for label, _ in models) + f" | truth; mode {args.mode}, {args.hint_dots} hint dots")


if __name__ == "__main__":
    main()
