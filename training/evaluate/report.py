"""What an evaluation writes: table.md, table.csv, results.json, grid.png and, with the colour
modes, their table (modes.csv, modes_grid.png, a section of table.md and of results.json)."""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from ganime_desktop.core.imageio import write_image_atomic, write_text_atomic
from training import metrics
from training.hint_dots import CAREFUL_GAP, DotSet, hint_dots

from .modes import ModeRun
from .pairs import Pair, pair_regions
from .scoring import Scores


def _pct(v: float | None) -> str:
    return "n/a" if v is None else f"{100 * v:.1f}"


def modes_markdown(run: ModeRun, fid_label: str | None = None) -> list[str]:
    """The colour-mode table (one row per model, mode, dots) and ΔE2000 pivoted by dots."""
    fid = fid_label is not None and any(r.fid is not None for r in run.rows)
    header = ["model", "mode", "dots", "n", "ΔE2000 ↓", "SSIM mean ↑", "paper ΔE2000 ↓", "bleed % ↓"]
    header += [f"{fid_label} ↓"] if fid else []
    rows = []
    for r in run.rows:
        agg = r.summary()
        rows.append([r.name, r.mode, r.dot_set.label, str(agg["n"]), _fmt(agg["delta_e_mean"], 2),
                     _fmt(agg["ssim_mean"], 4), _fmt(agg["paper_delta_e_mean"], 2), _pct(agg["bleed_share"])]
                    + ([_fmt(r.fid, 2)] if fid else []))
    pivot_header = ["model", "mode", *(f"ΔE2000, {d.label} dots" for d in run.dots)]
    by_key: dict[tuple[str, str], dict[DotSet, Scores]] = {}
    for r in run.rows:
        by_key.setdefault((r.name, r.mode), {})[r.dot_set] = r
    pivot = [[name, mode, *(_fmt(cells[d].summary()["delta_e_mean"], 2) if d in cells else "—" for d in run.dots)]
             for (name, mode), cells in by_key.items()]
    placed = ", ".join(f"{d.label}: {np.mean(v):.1f}" for d, v in run.placed.items() if d.count > 0)
    on_paper = ", ".join(f"{d.label} dots: {sum(v)} of {len(v)}" for d, v in run.on_paper.items() if d.count > 0)
    notes = [
        "- Modes: the app's colour modes (ganime_desktop/core/colour_modes.py) through its own code: "
        "`Colorizer.colour_page` (or the Keras run's output as the network's colour) then "
        "`PageColouring.render(mode, hints)`.",
        f"- Hint dots (training/hint_dots.py): discs of radius {run.dot_radius} px of the truth's colour (3x3 "
        f"mean at the centre); careful: the disc {CAREFUL_GAP} px or more from any line, its centre on the figure "
        "(not the truth's blank paper); sloppy: anywhere off the lines. Seed "
        f"{run.seed} per image and placement, the 10 dots are the first 10 of the 40. Hint models see them; in "
        "flat and shaded they fill as the app's hints do (ganime_desktop/core/hint_fill.py)."
        + (f" Dots placed per image (mean): {placed}." if placed else "")
        + (f" Images where a dot fell in a region the app takes for paper: {on_paper}." if on_paper else ""),
        f"- bleed %: share of the sketch's regions (core/regions.py) whose pixels span more than one hue "
        f"(training/metrics.py `region_bleed`: HSV hue in 15° bins, a 45° window or 'neutral' must hold "
        f"{100 * (1 - metrics.BLEED_SHARE):.0f} % of a region's pixels; lines and pixels darker than value "
        f"{metrics.BLEED_MIN_VALUE} not judged; regions under {metrics.BLEED_MIN_PIXELS} such pixels not counted). "
        f"The truth itself: {_pct(run.truth_bleed['bleed_share'])} % of {run.truth_bleed['bleed_regions']} regions.",
        "- oracle flats: each region its true median colour (paper regions too): what the segmentation loses. "
        "oracle, app's rules: the truth as the network's colour, rendered as the app does (paper regions white).",
    ]
    return [markdown_table(header, rows), "", "ΔE2000 by hint dots:", "", markdown_table(pivot_header, pivot), "",
            *notes]


def modes_json(run: ModeRun) -> dict[str, Any]:
    return {"modes": run.modes, "dots": [d.count for d in run.dots if d.placement == "careful"],
            "sloppy_dots": [d.count for d in run.dots if d.placement == "sloppy"], "seed": run.seed, "dot_radius": run.dot_radius,
            "dots_placed": {d.label: v for d, v in run.placed.items()},
            "dots_on_paper": {d.label: v for d, v in run.on_paper.items()}, "truth_bleed": run.truth_bleed,
            "rows": [{"name": r.name, "kind": r.kind, "mode": r.mode, "dots": r.dots, "placement": r.placement,
                      "seconds": r.seconds,
                      "fid": r.fid, **r.summary(),
                      "per_image": {"ssim": r.ssim, "delta_e2000": r.delta_e,
                                    "paper_delta_e2000": [None if not math.isfinite(v) else v for v in r.paper],
                                    "bleed": r.bleed}}
                     for r in run.rows]}


def modes_csv(run: ModeRun, fid_label: str = "FID") -> str:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(["model", "kind", "mode", "dots", "placement", "n", "delta_e2000", "ssim_mean", "ssim_sd", "paper_delta_e2000",
                     "paper_images", "bleed_share", "bleed_area_share", "bleed_regions", fid_label, "seconds"])
    for r in run.rows:
        a = r.summary()
        writer.writerow([r.name, r.kind, r.mode, r.dots, r.placement, a["n"], f"{a['delta_e_mean']:.6g}", f"{a['ssim_mean']:.6g}",
                         f"{a['ssim_sd']:.6g}", "" if a["paper_delta_e_mean"] is None else f"{a['paper_delta_e_mean']:.6g}",
                         a["paper_images"], "" if a["bleed_share"] is None else f"{a['bleed_share']:.6g}",
                         "" if a["bleed_area_share"] is None else f"{a['bleed_area_share']:.6g}", a["bleed_regions"],
                         "" if r.fid is None else f"{r.fid:.6g}", f"{r.seconds:.1f}"])
    return buf.getvalue()


def modes_grid(run: ModeRun, pairs: list[Pair], count: int) -> np.ndarray | None:
    """One row per (model, pair) of the first ``count`` pairs: sketch with the most dots | each
    (mode, dots) | truth."""
    from training.plots import image_grid

    if not run.grid:
        return None
    most = max(run.dots, key=lambda d: (d.placement == "careful", d.count))
    columns = [(m, d) for d in run.dots for m in run.modes]
    import cv2

    names = list(dict.fromkeys(k[0] for k in run.grid))
    blank = np.full_like(pairs[0].truth, 200)
    count = min(count, len(pairs), *(len(v) for v in run.grid.values()))
    sketches = []
    for p in pairs[:count]:
        shown = p.sketch.copy()
        if most.count > 0:
            layer, _ = hint_dots(p.truth, pair_regions([p])[0].lines, most.count, run.seed, p.index, most.placement)
            hinted = layer[..., 3] > 0
            shown[hinted] = layer[hinted, :3]
        sketches.append(shown)
    rows = []
    for name in names:
        for i in range(count):
            shown = sketches[i].copy()
            cv2.putText(shown, name[:28], (3, 14), cv2.FONT_HERSHEY_SIMPLEX, 0.4, (200, 0, 0), 1, cv2.LINE_AA)
            cells = [run.grid[(name, m, d)][i] if (name, m, d) in run.grid else blank for m, d in columns]
            rows.append([shown, *cells, pairs[i].truth])
    titles = [f"sketch + {most.label} dots", *(f"{m} {d.label}" for m, d in columns), "truth"]
    return image_grid(rows, titles, cell=grid_cell(pairs))


def _fmt(v: float | None, digits: int) -> str:
    return "n/a" if v is None or (isinstance(v, float) and not math.isfinite(v)) else f"{v:.{digits}f}"


def table_rows(all_scores: list[Scores], fid_label: str, n: int | None = None) -> tuple[list[str], list[list[str]]]:
    header = ["model", "kind", "n", f"{fid_label} ↓", "SSIM mean ↑", "SSIM sd", "ΔE2000 ↓", "paper ΔE2000 ↓",
              "checker ×truth", "edge ΔE2000 +", "bleed % ↓", "notes"]
    rows = []
    for s in all_scores:
        agg = s.summary(n)
        paper = _fmt(agg["paper_delta_e_mean"], 2)
        if agg["paper_delta_e_mean"] is not None:
            paper += f" ({agg['paper_images']} img)"
        rows.append([s.name, s.kind, str(agg["n"]), _fmt(s.fid, 2) if n is None else "—", _fmt(agg["ssim_mean"], 4),
                     _fmt(agg["ssim_sd"], 4), _fmt(agg["delta_e_mean"], 2), paper,
                     _fmt(agg["checkerboard_ratio"], 2), _fmt(agg["edge_frame_delta_e"], 2),
                     _pct(agg["bleed_share"]), s.note])
    return header, rows


def markdown_table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(c.replace("|", "/") for c in row) + " |" for row in rows]
    return "\n".join(lines)


def write_report(out: Path, settings: dict[str, Any], pairs: list[Pair], all_scores: list[Scores],
                 outputs: dict[str, list[np.ndarray]], fid_label: str, fid_description: str | None,
                 grid_pairs: int, modes: ModeRun | None = None) -> None:
    out.mkdir(parents=True, exist_ok=True)
    header, rows = table_rows(all_scores, fid_label)
    size = ("whole pages as they are" if settings["image_size"] <= 0 else
            f"whole pages, shorter side {settings['image_size']} px" if settings.get("whole_pages") else
            f"{settings['image_size']} px")
    md = [f"# Evaluation: {settings['data']} ({settings['split']}, {len(pairs)} pairs, {size})",
          "", markdown_table(header, rows), ""]
    subset_sizes = sorted({s.n for s in all_scores if s.n < len(pairs)})
    for n in subset_sizes:
        h, r = table_rows([s for s in all_scores if s.n >= n], fid_label, n)
        md += [f"On the first {n} pairs only (what the subset-only rows saw):", "", markdown_table(h, r), ""]
    md += [f"- {fid_label}: {fid_description or 'not computed (no feature network available)'}; "
           "distances between feature Gaussians of model outputs and ground truths, over the n images. "
           "Few images give a biased, noisy estimate: compare only within one table.",
           "- SSIM: tf.image.ssim's definition on uint8 (max 255, 11x11 Gaussian sigma 1.5, k1 0.01, k2 0.03); "
           "sd over images (ddof 1).",
           f"- ΔE2000: mean CIEDE2000 to the truth in CIELAB (D65). paper ΔE2000: mean CIEDE2000 from pure white "
           f"over the truth's blank-paper pixels (within {metrics.PAPER_DELTA_E} of white); n/a when no truth has "
           "blank paper.",
           "- bleed %: the share of the sketch's closed regions (the app's ganime_desktop/core/regions.py) whose "
           "pixels span more than one hue (training/metrics.py `region_bleed`): colour crossing the lines.",
           "- Decoder artefacts: checker ×truth = period-2 checkerboard texture of the lightness (2x2 kernel "
           "[[1, -1], [-1, 1]]) relative to the truth's, > 1 means more than the real art; edge ΔE2000 + = mean "
           f"ΔE2000 on the outer {metrics.EDGE_RING} px minus inside, > 0 means the edges are worse (a frame).",
           f"- Pairs: {settings['pairs_rule']}; seed {settings['seed']}; the list is in results.json.",
           f"- Keras runs in inference mode (training=False). Generated {settings['date']}.", "",
           "Models:", ""]
    md += [f"- {s.name}: {s.detail}" for s in all_scores] + [""]
    if modes is not None:
        md += [f"## Colour modes and hint dots ({len(pairs)} pairs)", "",
               *modes_markdown(modes, fid_label if settings.get("mode_fid") else None), ""]
        write_text_atomic(out / "modes.csv", modes_csv(modes, fid_label))
        grid = modes_grid(modes, pairs, grid_pairs)
        if grid is not None:
            write_image_atomic(out / "modes_grid.png", grid)
    write_text_atomic(out / "table.md", "\n".join(md))
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(["model", "kind", "n", fid_label, "ssim_mean", "ssim_sd", "delta_e2000", "paper_delta_e2000",
                     "paper_images", "checkerboard_ratio", "edge_frame_delta_e2000", "bleed_share", "seconds", "detail",
                     "notes"])
    for s in all_scores:
        agg = s.summary()
        writer.writerow([s.name, s.kind, agg["n"], "" if s.fid is None else f"{s.fid:.6g}", f"{agg['ssim_mean']:.6g}",
                         f"{agg['ssim_sd']:.6g}", f"{agg['delta_e_mean']:.6g}",
                         "" if agg["paper_delta_e_mean"] is None else f"{agg['paper_delta_e_mean']:.6g}",
                         agg["paper_images"], f"{agg['checkerboard_ratio']:.6g}", f"{agg['edge_frame_delta_e']:.6g}",
                         "" if agg["bleed_share"] is None else f"{agg['bleed_share']:.6g}",
                         f"{s.seconds:.1f}", s.detail, s.note])
    write_text_atomic(out / "table.csv", buf.getvalue())
    results = {
        "settings": settings, "fid_label": fid_label, "fid_features": fid_description,
        "pairs": [p.record() for p in pairs],
        "models": [{"name": s.name, "kind": s.kind, "detail": s.detail, "note": s.note, "seconds": s.seconds,
                    "fid": s.fid, **s.summary(),
                    "per_image": {"ssim": s.ssim, "delta_e2000": s.delta_e,
                                  "paper_delta_e2000": [None if not math.isfinite(v) else v for v in s.paper],
                                  "checkerboard_ratio": s.checker, "edge_frame_delta_e2000": s.edge,
                                  "bleed": s.bleed}}
                   for s in all_scores],
    }
    if modes is not None:
        results["colour_modes"] = modes_json(modes)
    write_text_atomic(out / "results.json", json.dumps(results, indent=2) + "\n")
    _write_grid(out / "grid.png", pairs, all_scores, outputs, grid_pairs)


def grid_cell(pairs: list[Pair]) -> int:
    """Grid cells: the crops' size, whole pages fitted into at most 384 px."""
    return min(max(pairs[0].truth.shape[:2]), 384)


def _write_grid(path: Path, pairs: list[Pair], all_scores: list[Scores], outputs: dict[str, list[np.ndarray]],
                count: int) -> None:
    """sketch | each model | truth for the first ``count`` pairs; grey where a model skipped a pair (NST)."""
    from training.plots import image_grid

    count = min(count, len(pairs))
    skipped = np.full_like(pairs[0].truth, 200)
    titles = ["sketch", *(s.name for s in all_scores), "truth"]
    rows = [[pairs[i].sketch, *(outputs[s.name][i] if i < s.n else skipped for s in all_scores), pairs[i].truth]
            for i in range(count)]
    write_image_atomic(path, image_grid(rows, titles, cell=grid_cell(pairs)))
