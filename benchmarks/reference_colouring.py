"""Colour a chapter like one coloured page (issue 28), measured: tables for docs/reference-colouring.md.

    python benchmarks/reference_colouring.py [--protocol warp portrait-splash speed] [--limit N]
        [--sets kaggle-kinds hand-drawn faces fullbody scenes] [--json OUT.json]
        [--contact-sheet runs/reference-colouring/contact-sheet.png]

- ``warp``: each test pair's own truth, moved by a random affine + elastic warp and mirrored half
  the time, is the coloured page (training/reference_eval.py). Sets: sketch-pairs-real/test, the
  learned extractors' sketches (``kaggle-kinds``: kg_, db_, lx_, hd_) and the artists' hand-drawn
  ones (``hand-drawn``: tw_) apart, whole pairs with the shorter side 512 px; anime-faces/test
  (XDoG, 256 px crops); anime-fullbody/test and anime-scenes/test (XDoG, whole, shorter side 512).
- ``portrait-splash``: anime-fullbody's characters with a standing portrait and a splash art: the
  13 test portraits coloured like their character's splash art in train/, and (reported apart)
  like another character's (what the line art cannot tell apart), and the 50 train characters
  in both directions. ΔE2000 on the figure (the truth's non-blank pixels).
- ``speed``: a 1024 px page (a full-body test portrait's XDoG sketch) coloured like its splash
  art: the reference's preparation (once per chapter), the matching per page, and the whole page
  with the network with and without the reference.

The default model (pix2pix-tv; int8 on the CPU) colours every page; "Colour from reference" is the
shipped fast style transfer (fast-nst-magenta) with the coloured page as its style. The contact
sheet shows copyrighted test art: write it under runs/ and never commit it.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from ganime_desktop.core.manifest import load_manifest  # noqa: E402
from ganime_desktop.core.pipeline import Colorizer  # noqa: E402
from ganime_desktop.core.preprocess import scale_to_fit  # noqa: E402
from ganime_desktop.core.reference_match import match_page  # noqa: E402
from ganime_desktop.core.regions import clear_cache, segment  # noqa: E402
from ganime_desktop.core.resize import AREA, CUBIC, resize  # noqa: E402
from training import reference_eval  # noqa: E402

DATA = REPO.parent / "shared" / "data"
MANIFEST = REPO / "assets" / "models" / "manifest.json"
SETS = ("kaggle-kinds", "hand-drawn", "faces", "fullbody", "scenes")


def _colorizer(name: str) -> Colorizer:
    spec = next(s for s in load_manifest(MANIFEST) if s.name == name)
    return Colorizer(spec, "cpu")


def _fmt(v: float | None, digits: int = 2) -> str:
    return "–" if v is None else f"{v:.{digits}f}"


def _table(title: str, rows: list[reference_eval.Row], figure: bool) -> str:
    head = ("| method | ΔE2000 ↓ | " + ("ΔE2000 on the figure ↓ | " if figure else "")
            + "paper ΔE ↓ (mean / pooled) | decided by the reference | s / page (matching) |")
    lines = [f"### {title}", "", head, "|" + "---|" * (head.count("|") - 1)]
    for r in rows:
        s = r.summary()
        decided = "" if s["decided"] is None else f"{100 * s['decided']:.0f} %"
        lines.append(f"| {r.name} | {_fmt(s['delta_e'])} | " + (f"{_fmt(s['figure'])} | " if figure else "")
                     + f"{_fmt(s['paper'])} / {_fmt(s['paper_pooled'])} | {decided} | {_fmt(s['seconds'])} |")
    return "\n".join(lines) + f"\n\n{rows[0].summary()['n']} pages.\n"


def warp_sets(names: list[str], limit: int | None) -> dict[str, list]:
    from training.evaluate import load_pairs

    out = {}
    for name in names:
        if name in ("kaggle-kinds", "hand-drawn"):
            pairs = load_pairs(str(DATA / "sketch-pairs-real"), "kaggle", "test", image_size=512, seed=0, limit=None,
                               cache_dir=None, whole=True)
            hand = name == "hand-drawn"
            pairs = [p for p in pairs if Path(p.color_path).name.startswith("tw_") == hand][:limit]
            title = ("sketch-pairs-real/test, artists' hand-drawn line art (tw_)" if hand else
                     "sketch-pairs-real/test, learned extractors' line art (kg_, db_, lx_, hd_: Kaggle-style)")
        elif name == "faces":
            pairs = load_pairs(str(DATA / "anime-faces"), "color", "test", image_size=256, seed=0, limit=limit or 40,
                               cache_dir=None)
            title = "anime-faces/test, XDoG, 256 px crops"
        else:
            folder = {"fullbody": "anime-fullbody", "scenes": "anime-scenes"}[name]
            pairs = load_pairs(str(DATA / folder), "color", "test", image_size=512, seed=0, limit=limit,
                               cache_dir=None, whole=True)
            title = f"{folder}/test, XDoG, whole, shorter side 512 px"
        out[title] = reference_eval.warp_cases(pairs)
    return out


def speed(colorizer: Colorizer, repeat: int = 5) -> str:
    folder = DATA / "anime-fullbody"
    truth, sketch = reference_eval._fullbody(folder, "test", "noelle_portrait.jpg", 1024)
    h, w = scale_to_fit(*sketch.shape, 1024)
    sketch = resize(sketch, h, w, AREA if max(sketch.shape) > 1024 else CUBIC)
    reference, reference_sketch = reference_eval._fullbody(folder, "train", "noelle_gacha-splash.jpg", 1024)
    from ganime_desktop.core.like_page import reference_from_arrays

    t0 = time.perf_counter()
    like = reference_from_arrays(reference, reference_sketch)
    prepare = time.perf_counter() - t0
    own_lines = time.perf_counter()
    reference_from_arrays(reference)
    own_lines = time.perf_counter() - own_lines
    times: dict[str, list[float]] = {"segment": [], "match": [], "network + shaded, no reference": [],
                                     "network + shaded, like the reference (all steps)": []}
    for _ in range(repeat):
        clear_cache()
        t0 = time.perf_counter()
        regions = segment(sketch, cache=False)
        t1 = time.perf_counter()
        colours = match_page(sketch, regions, like)
        t2 = time.perf_counter()
        colorizer.colour_page(sketch, regions=regions).render("shaded")
        t3 = time.perf_counter()
        regions = segment(sketch, cache=False)
        colours = match_page(sketch, regions, like)
        colorizer.colour_page(sketch, regions=regions, like=colours).render("shaded")
        t4 = time.perf_counter()
        times["segment"].append(t1 - t0)
        times["match"].append(t2 - t1)
        times["network + shaded, no reference"].append(t3 - t2 + t1 - t0)
        times["network + shaded, like the reference (all steps)"].append(t4 - t3)
    lines = [f"### Speed: a 1024 px page (CPU, median of {repeat})", "",
             f"page {sketch.shape[1]}x{sketch.shape[0]}, reference {reference.shape[1]}x{reference.shape[0]}", "",
             "| step | s |", "|---|---|",
             f"| prepare the reference, its line art given (once per chapter) | {prepare:.2f} |",
             f"| prepare the reference, lines from the coloured page (once per chapter) | {own_lines:.2f} |"]
    lines += [f"| {k} | {statistics.median(v):.2f} |" for k, v in times.items()]
    return "\n".join(lines) + "\n"


def contact_sheet(path: Path, cases: list[reference_eval.Case], colorizer: Colorizer, style: Colorizer) -> None:
    """truth | the coloured reference | the model | Colour from reference | like the reference, per row."""
    from ganime_desktop.core.colour_modes import PageColouring
    from ganime_desktop.core.imageio import write_image_atomic
    from ganime_desktop.core.like_page import reference_from_arrays

    rows = []
    for case in cases:
        regions = segment(case.sketch)
        page = colorizer.colour_page(case.sketch, regions=regions)
        colours = match_page(case.sketch, regions, reference_from_arrays(case.reference, case.reference_sketch))
        liked = PageColouring(case.sketch, page.colour, seen=page.seen, regions=regions, reference=colours)
        styled = style.colour_page(case.sketch, reference=case.reference, regions=regions).render("shaded")
        cells = [case.truth, case.reference, page.render("shaded"), styled, liked.render("shaded")]
        fitted = []
        for cell in cells:
            h, w = scale_to_fit(*cell.shape[:2], 320)
            canvas = np.full((320, 320, 3), 255, np.uint8)
            small = resize(cell, h, w, AREA)
            canvas[(320 - h) // 2:(320 - h) // 2 + h, (320 - w) // 2:(320 - w) // 2 + w] = small
            fitted.append(canvas)
        rows.append(np.concatenate(fitted, axis=1))
    path.parent.mkdir(parents=True, exist_ok=True)
    write_image_atomic(path, np.concatenate(rows, axis=0))
    print(f"contact sheet (copyrighted art: never commit it): {path}", file=sys.stderr)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--protocol", nargs="+", default=["warp", "portrait-splash", "speed"],
                        choices=["warp", "portrait-splash", "speed"])
    parser.add_argument("--sets", nargs="+", default=list(SETS), choices=SETS, help="the warp protocol's test sets")
    parser.add_argument("--limit", type=int, help="at most this many pages per set (faces: 40 by default)")
    parser.add_argument("--no-train", action="store_true", help="portrait-splash: the 13 test pairs only")
    parser.add_argument("--json", type=Path, help="also write every summary here")
    parser.add_argument("--contact-sheet", type=Path, help="portrait-splash test pairs side by side (not to commit)")
    args = parser.parse_args()
    colorizer, style = _colorizer("pix2pix-tv"), _colorizer("fast-nst-magenta")
    log = lambda msg: print(msg, file=sys.stderr, flush=True)  # noqa: E731
    out, summaries = [], {}
    if "warp" in args.protocol:
        for title, cases in warp_sets(args.sets, args.limit).items():
            log(f"warp protocol: {title}")
            rows = reference_eval.score_cases(cases, colorizer, log=log)
            out.append(_table(f"Warp protocol: {title}", rows, figure=False))
            summaries[f"warp: {title}"] = {r.name: r.summary() for r in rows}
            print(out[-1], flush=True)
    if "portrait-splash" in args.protocol:
        folder = DATA / "anime-fullbody"
        sets = ["test", "test-other"] + ([] if args.no_train else ["train-portrait", "train-splash"])
        titles = {"test": "the 13 test portraits, coloured like their character's splash art (train/)",
                  "test-other": "the 13 test portraits, coloured like ANOTHER character's splash art",
                  "train-portrait": "the 50 train portraits, coloured like their splash art",
                  "train-splash": "the 50 train splash arts, coloured like their portrait"}
        for which in sets:
            cases = reference_eval.portrait_splash_cases(folder, which)[: args.limit]
            log(f"portrait <-> splash: {titles[which]}")
            rows = reference_eval.score_cases(cases, colorizer, style=style, oracle=False, log=log)
            out.append(_table(f"Portrait ↔ splash: {titles[which]}", rows, figure=True))
            summaries[f"portrait-splash: {which}"] = {r.name: r.summary() for r in rows}
            print(out[-1], flush=True)
            if which == "test" and args.contact_sheet:
                contact_sheet(args.contact_sheet, cases, colorizer, style)
    if "speed" in args.protocol:
        out.append(speed(colorizer))
        print(out[-1], flush=True)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(summaries, indent=1))


if __name__ == "__main__":
    main()
