"""Does a colour-hint model follow its hints? `python -m training hint-eval`.

    python -m training hint-eval --model RUN_DIR_OR_ONNX --data DIR --split test --out DIR

On the same fixed test pairs (training/evaluate/pairs.py's ``load_pairs``: centre crops, recorded XDoG
sketches) the model colours every sketch twice: without hints, and with hints simulated from the
truth (training/hints.py, seeded per image, every image hinted). Reported for both, with the
sketch passed through as a baseline:
- mean CIEDE2000 to the truth over all pixels, and over the pixels no hint covered (a model that
  only copies hint pixels gains nothing there);
- the Fréchet distance of VGG16 features (labelled FID-VGG16; training/fid.py).
And the check the artist cares about: in each image one closed region of the line art (a
connected area of paper between lines) gets one short stroke of a colour far from its true
colour; over the region's pixels away from the stroke, is the colouring closer (CIEDE2000) to the
hint colour with the stroke than without? Reported: how many regions moved toward their hint and
the mean distances. Keras runs are evaluated with training=False; ONNX models through the app's
own Colorizer with an RGBA hint layer, exactly as the GUI feeds them.

Colour modes and hint dots (``--mode raw flat shaded --hint-dots 0 10 40``, the default): the
model, the sketch passed through and the "oracle" (each region its true median colour) rendered
in each of the app's colour modes with N dots of the true colour, through the app's own
``Colorizer.colour_page`` and ``PageColouring.render`` (training/evaluate/modes.py ``colour_mode_rows``:
the same table as ``python -m training evaluate --mode ... --hint-dots ...``): ΔE2000, SSIM, paper
whiteness and bleed (the share of the sketch's regions whose pixels span more than one hue).

Writes hints_eval.json (settings, per-image numbers), hints_eval.md and grid.png (and
modes_grid.png with the colour modes).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from ganime_desktop.core.colour_modes import MODES
from ganime_desktop.core.hints import HINT_CHANNELS
from ganime_desktop.core.imageio import write_image_atomic, write_text_atomic
from training import data as data_lib
from training import metrics
from training.architecture import SKETCH_CHANNELS
from training.evaluate.candidates import Candidate, baseline_passthrough, oracle_candidates
from training.evaluate.modes import add_mode_arguments, colour_mode_rows, mode_settings
from training.evaluate.pairs import Pair, load_pairs
from training.evaluate.report import modes_grid, modes_json, modes_markdown
from training.hints import HintConfig, paper_regions, simulate_hints_np
from training.model_loading import (
    hint_channels,
    keras_colour,
    load_keras_model,
    load_run_generator,
    onnx_generator_spec,
    read_config,
)
from training.progress import Progress

# Saturated colours a hint may ask for; each region gets the one farthest from its true colour.
HINT_PALETTE = {"red": (225, 30, 35), "green": (40, 170, 60), "blue": (40, 80, 220), "yellow": (245, 215, 40),
                "magenta": (210, 40, 190), "cyan": (40, 200, 215)}
REGION_FRACTION = (0.01, 0.3)  # a region covers this share of the image

Colorize = Callable[[np.ndarray, np.ndarray | None], np.ndarray]  # (sketch RGB, RGBA hints | None) -> RGB


# ----------------------------------------------------------------------------- regions and strokes

@dataclass(frozen=True)
class RegionHint:
    hints: np.ndarray  # HxWx4 RGBA layer with the stroke
    region: np.ndarray  # HxW bool: the closed area the stroke is in
    measured: np.ndarray  # HxW bool: the region away from the stroke (where propagation shows)
    colour: tuple[int, int, int]
    colour_name: str


def pick_region(gray: np.ndarray, fraction: tuple[float, float] = REGION_FRACTION) -> np.ndarray | None:
    """The largest closed area of paper between lines (training/hints.py's ``paper_regions``)
    covering ``fraction`` of the image, or None."""
    count, labels = paper_regions(gray.astype(np.float32) / 255.0)
    areas = np.bincount(labels.ravel(), minlength=count)
    total = gray.size
    fits = [(int(areas[i]), i) for i in range(1, count) if fraction[0] * total <= areas[i] <= fraction[1] * total]
    return labels == max(fits)[1] if fits else None


STROKE_WIDTH = 0.025  # x the image's shorter side: a brush of 12 px on a 500 px page


def stroke_in_region(region: np.ndarray, colour: tuple[int, int, int]) -> tuple[np.ndarray, np.ndarray]:
    """(RGBA hint layer, stroke mask): one short horizontal stroke through the region's widest
    point, kept inside the region, as an artist would dab a region."""
    dist = cv2.distanceTransform(region.astype(np.uint8), cv2.DIST_L2, 3)
    y, x = np.unravel_index(int(np.argmax(dist)), dist.shape)
    r = float(dist[y, x])
    stroke = np.zeros(region.shape, np.uint8)
    half = max(1, int(round(0.8 * r)))
    width = max(1, int(round(STROKE_WIDTH * min(region.shape))))
    cv2.line(stroke, (int(x) - half, int(y)), (int(x) + half, int(y)), 1, width)
    mask = (stroke > 0) & region
    rgba = np.zeros((*region.shape, 4), np.uint8)
    rgba[mask] = (*colour, 255)
    return rgba, mask


def region_hint(sketch_gray: np.ndarray, truth: np.ndarray, colour: tuple[int, int, int] | None = None) -> RegionHint | None:
    """A stroke in the sketch's largest closed region, in ``colour`` or the palette colour
    farthest (CIEDE2000) from the region's true mean colour; None if the sketch has no region."""
    region = pick_region(sketch_gray)
    if region is None:
        return None
    if colour is None:
        mean = truth[region].reshape(1, -1, 3).mean(axis=1, keepdims=True).astype(np.uint8)
        lab = metrics.srgb_to_lab(mean)[0, 0]
        name = max(HINT_PALETTE, key=lambda k: float(metrics.delta_e2000(
            lab, metrics.srgb_to_lab(np.array([[HINT_PALETTE[k]]], np.uint8))[0, 0])))
        colour = HINT_PALETTE[name]
    else:
        name = "given"
    hints, stroke = stroke_in_region(region, colour)
    r = max(2, int(round(0.15 * np.sqrt(region.sum()))))
    near = cv2.dilate(stroke.astype(np.uint8), cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1)))
    measured = region & (near == 0)
    if not measured.any():
        measured = region & ~stroke
    return RegionHint(hints, region, measured, tuple(colour), name)


def delta_e_to(rgb: np.ndarray, colour: tuple[int, int, int], where: np.ndarray) -> float:
    """Mean CIEDE2000 from ``colour`` over the pixels ``where``."""
    target = metrics.srgb_to_lab(np.array([[colour]], np.uint8))[0, 0]
    return float(metrics.delta_e2000(metrics.srgb_to_lab(rgb[where].reshape(-1, 1, 3)), target).mean())


# ----------------------------------------------------------------------------- models

def keras_hint_colorizer(model) -> Colorize:
    """A Keras hint generator in inference mode (``model_loading.keras_colour``)."""
    return lambda sketch, hints: keras_colour(model, sketch[None], [hints])[0]


Page = Callable[[np.ndarray, np.ndarray | None], Any]  # (sketch RGB, RGBA hints | None) -> PageColouring


def load_model(path: Path, name: str | None, device: str) -> tuple[Colorize, str, dict[str, Any]]:
    """(colorize, description, the run's config if any) for a run dir, .keras, .onnx or manifest."""
    page, description, config = load_page_model(path, name, device)
    return (lambda sketch, hints: page(sketch, hints).raw), description, config


def load_page_model(path: Path, name: str | None, device: str) -> tuple[Page, str, dict[str, Any]]:
    """(page, description, config) as ``load_model``; ``page(sketch, hints)`` is the app's
    PageColouring (``.raw`` the network's colouring; ``.render(mode, hints)`` each colour mode)."""
    from ganime_desktop.core.colour_modes import PageColouring
    from ganime_desktop.core.preprocess import to_gray

    if path.is_dir() or path.suffix == ".keras":
        run_dir = path if path.is_dir() else path.parent
        model = load_run_generator(run_dir) if path.is_dir() else load_keras_model(path)
        if hint_channels(model) != HINT_CHANNELS:
            raise data_lib.DataError(f"{path}: the generator takes {model.input_shape[-1]} channels; a colour-hint "
                                     f"model (python -m training pix2pix --hints) takes {SKETCH_CHANNELS + HINT_CHANNELS}")
        config = read_config(run_dir)
        colorize = keras_hint_colorizer(model)
        return (lambda sketch, hints: PageColouring(to_gray(sketch), colorize(sketch, hints))), f"Keras {path}", config
    from ganime_desktop.core.manifest import load_manifest
    from ganime_desktop.core.pipeline import Colorizer

    if path.suffix.lower() == ".json":
        specs = [s for s in load_manifest(path) if s.input.hint_channels and (name is None or s.name == name)]
        if not specs:
            raise data_lib.DataError(f"{path}: no colour-hint model{f' named {name!r}' if name else ''} in the manifest")
        spec = specs[0]
    else:
        spec = onnx_generator_spec(path, hint_channels=HINT_CHANNELS)
    colorizer = Colorizer(spec, device)

    def page(sketch: np.ndarray, hints: np.ndarray | None):
        return colorizer.colour_page(sketch, hints=hints, working_size=max(sketch.shape[:2]))

    return page, f"ONNX {spec.name} ({colorizer.provider_info.active})", {}


# ----------------------------------------------------------------------------- evaluation

def evaluate_hints(colorize: Colorize, pairs: list[Pair], cfg: HintConfig, seed: int, extractor=None,
                   log: Callable[[str], None] = print) -> dict[str, Any]:
    from ganime_desktop.core.hints import decode_hints

    cfg = HintConfig(**{**cfg.__dict__, "no_hint_prob": 0.0})  # every image hinted in the "with" run
    rows, outputs = [], {"no hints": [], "simulated hints": [], "hints shown": [], "region without": [],
                         "region with": []}
    bar = Progress(len(pairs), "with and without hints")
    for p in pairs:
        channels = simulate_hints_np(p.truth, cfg, (seed, p.index))
        hints = decode_hints(channels)
        bare, hinted = colorize(p.sketch, None), colorize(p.sketch, hints)
        unhinted = channels[..., 3] == 0
        lab_truth = metrics.srgb_to_lab(p.truth)
        row = {"index": p.index, "hinted_pixels": int((~unhinted).sum())}
        for key, out in (("no_hints", bare), ("simulated_hints", hinted), ("passthrough", p.sketch)):
            de = metrics.delta_e2000(metrics.srgb_to_lab(out), lab_truth)
            row[key] = {"delta_e": float(de.mean()), "delta_e_unhinted": float(de[unhinted].mean())}
        outputs["no hints"].append(bare)
        outputs["simulated hints"].append(hinted)
        shown = p.sketch.copy()
        shown[~unhinted] = hints[~unhinted, :3]  # what an artist would see on the canvas
        outputs["hints shown"].append(shown)
        probe = region_hint(p.sketch[..., 0], p.truth)
        if probe is not None:
            with_stroke = colorize(p.sketch, probe.hints)
            row["region"] = {"colour": probe.colour_name, "pixels": int(probe.measured.sum()),
                             "delta_e_to_hint_without": delta_e_to(bare, probe.colour, probe.measured),
                             "delta_e_to_hint_with": delta_e_to(with_stroke, probe.colour, probe.measured)}
            outputs["region without"].append(bare)
            outputs["region with"].append(with_stroke)
        rows.append(row)
        bar.update()
    bar.close()
    summary = summarize(rows)
    if extractor is not None and len(pairs) >= 2:
        truth_features = extractor.embed([p.truth for p in pairs])
        for key, name in (("no_hints", "no hints"), ("simulated_hints", "simulated hints")):
            summary[key]["fid"] = metrics.frechet_distance_of_features(extractor.embed(outputs[name]), truth_features)
        summary["passthrough"]["fid"] = metrics.frechet_distance_of_features(
            extractor.embed([p.sketch for p in pairs]), truth_features)
    log(format_summary(summary, extractor.label if extractor else "FID"))
    return {"summary": summary, "per_image": rows, "outputs": outputs}


def summarize(rows: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in ("no_hints", "simulated_hints", "passthrough"):
        out[key] = {"delta_e": float(np.mean([r[key]["delta_e"] for r in rows])),
                    "delta_e_unhinted": float(np.mean([r[key]["delta_e_unhinted"] for r in rows]))}
    regions = [r["region"] for r in rows if "region" in r]
    if regions:
        without = np.array([r["delta_e_to_hint_without"] for r in regions])
        with_ = np.array([r["delta_e_to_hint_with"] for r in regions])
        out["region"] = {"n": len(regions), "moved_toward_hint": int((with_ < without).sum()),
                         "delta_e_to_hint_without": float(without.mean()),
                         "delta_e_to_hint_with": float(with_.mean())}
    return out


def format_summary(s: dict[str, Any], fid_label: str) -> str:
    lines = [f"| condition | ΔE2000 (all) ↓ | ΔE2000 (unhinted pixels) ↓ | {fid_label} ↓ |", "|---|---|---|---|"]
    for key, title in (("no_hints", "no hints"), ("simulated_hints", "simulated hints from the truth"),
                       ("passthrough", "sketch (passthrough)")):
        fid = s[key].get("fid")
        lines.append(f"| {title} | {s[key]['delta_e']:.2f} | {s[key]['delta_e_unhinted']:.2f} | "
                     f"{'n/a' if fid is None else f'{fid:.2f}'} |")
    if "region" in s:
        r = s["region"]
        lines += ["", f"Region check: {r['moved_toward_hint']} of {r['n']} regions moved toward their hint colour; "
                      f"mean ΔE2000 to the hint colour away from the stroke {r['delta_e_to_hint_without']:.2f} "
                      f"without -> {r['delta_e_to_hint_with']:.2f} with the stroke."]
    return "\n".join(lines)


# ----------------------------------------------------------------------------- CLI

def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", required=True, type=Path,
                        help="a hint model: training run folder, .keras file, exported .onnx, or manifest.json")
    parser.add_argument("--name", help="the model's name when --model is a manifest with several hint models")
    parser.add_argument("--data", required=True, help="dataset root folder (any layout training reads)")
    parser.add_argument("--data-format", default="auto", choices=["auto", *data_lib.LAYOUTS],
                        help="dataset layout (default: %(default)s)")
    parser.add_argument("--split", default="test", help="split to evaluate on (default: %(default)s)")
    parser.add_argument("--limit", type=int, default=32, help="the first N test pairs (default: %(default)s)")
    parser.add_argument("--image-size", type=int, default=None,
                        help="pairs are centre crops of this size (default: the run's image size, else 256)")
    parser.add_argument("--seed", type=int, default=0, help="sketch and hint seed (default: %(default)s)")
    parser.add_argument("--cache-dir", default=None, help="cache of synthesized sketches (default: the user cache)")
    parser.add_argument("--vgg-weights", default=None, help="VGG weights file for FID-VGG16")
    parser.add_argument("--no-fid", action="store_true", help="skip FID-VGG16")
    parser.add_argument("--device", default="auto", choices=["auto", "cuda", "cpu"],
                        help="onnxruntime device for ONNX models (default: %(default)s)")
    parser.add_argument("--out", required=True, help="folder for hints_eval.json, hints_eval.md and grid.png")
    parser.add_argument("--whole-pages", action="store_true",
                        help="whole images with the shorter side --image-size instead of centre crops")
    add_mode_arguments(parser, modes=list(MODES), dots=[0, 10, 40])


def run(args: argparse.Namespace, log: Callable[[str], None] = print) -> int:
    from ganime_desktop.core.manifest import ManifestError
    from ganime_desktop.core.sessions import ModelLoadError

    try:
        return _run(args, log)
    except (ManifestError, ModelLoadError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def _run(args: argparse.Namespace, log: Callable[[str], None]) -> int:
    from training import fid
    from training.hints import hint_config
    from training.plots import image_grid

    page, description, config = load_page_model(args.model, args.name, args.device)

    def colorize(sketch: np.ndarray, hints: np.ndarray | None) -> np.ndarray:
        return page(sketch, hints).raw

    size = args.image_size or int(config.get("image_size") or 256)
    pairs = load_pairs(args.data, args.data_format, args.split, image_size=size, seed=args.seed, limit=args.limit,
                       cache_dir=args.cache_dir, whole=bool(getattr(args, "whole_pages", False)))
    cfg = hint_config({**config, "hints": True})
    extractor = None
    if not args.no_fid:
        try:
            extractor = fid.vgg16_extractor(args.vgg_weights, log=log)
        except fid.FeaturesUnavailable as exc:
            log(f"FID-VGG16 skipped: {exc}")
    t0 = time.perf_counter()
    result = evaluate_hints(colorize, pairs, cfg, args.seed, extractor, log)
    modes, dots, fill = mode_settings(args) if getattr(args, "mode", None) else ([], [], None)
    mode_run = None
    if modes:
        model = Candidate(args.name or description, "hint model", description, None,
                          pages=lambda ps, hints: [page(p.sketch, h) for p, h in zip(ps, hints, strict=True)],
                          sees_hints=True)
        mode_run = colour_mode_rows([model, baseline_passthrough(), *oracle_candidates()], pairs, modes, dots,
                                    args.seed, grid=2, fill=fill, log=log)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    report = {"settings": {"model": str(args.model), "description": description, "data": args.data,
                           "split": args.split, "image_size": size, "limit": args.limit, "seed": args.seed,
                           "hints": {**cfg.__dict__, "no_hint_prob": 0.0},
                           "fid": extractor.description if extractor else None,
                           "seconds": round(time.perf_counter() - t0, 1), "date": time.strftime("%Y-%m-%d %H:%M:%S"),
                           "command": "python -m training hint-eval " + " ".join(sys.argv[2:])},
              "pairs": [p.record() for p in pairs], "summary": result["summary"], "per_image": result["per_image"]}
    md = [f"# Colour hints: {description}", "", f"{len(pairs)} pairs from {args.data} ({args.split}), {size} px, "
          f"seed {args.seed}.", "", format_summary(result["summary"], extractor.label if extractor else "FID"), ""]
    if mode_run is not None:
        report["settings"].update(modes=modes, hint_dots=[d.count for d in dots if d.placement == "careful"],
                                  sloppy_dots=[d.count for d in dots if d.placement == "sloppy"])
        report["colour_modes"] = modes_json(mode_run)
        md += ["## Colour modes and hint dots", "", *modes_markdown(mode_run), ""]
        grid = modes_grid(mode_run, pairs, 2)
        if grid is not None:
            write_image_atomic(out / "modes_grid.png", grid)
    write_text_atomic(out / "hints_eval.json", json.dumps(report, indent=2) + "\n")
    write_text_atomic(out / "hints_eval.md", "\n".join(md))
    o = result["outputs"]
    rows = [[p.sketch, a, shown, b, p.truth] for p, a, shown, b in
            zip(pairs[:4], o["no hints"], o["hints shown"], o["simulated hints"], strict=False)]
    if rows:
        titles = ["sketch", "no hints", "sketch + hints", "with hints", "truth"]
        write_image_atomic(out / "grid.png", image_grid(rows, titles, cell=size))
    log(f"wrote {out / 'hints_eval.md'}")
    return 0
