"""``python -m training evaluate``: its options, the run (pairs, candidates, the main table, the
colour modes, curves) and its report."""

from __future__ import annotations

import argparse
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from ganime_desktop.core.colour_modes import NETWORK_MODE
from training import data as data_lib
from training.hint_dots import DotSet
from training.model_loading import load_run_generator

from .candidates import (
    Candidate,
    baseline_fast_nst,
    baseline_nst,
    baseline_passthrough,
    keras_colorizer,
    keras_pages,
    keras_takes_hints,
    onnx_candidates,
    oracle_candidates,
    run_label,
)
from .curves import checkpoint_curves, write_curves
from .modes import add_mode_arguments, colour_mode_rows, mode_settings
from .pairs import Pair, load_pairs, pair_regions
from .report import write_report
from .scoring import score

GRID_PAIRS = 4  # pairs in grid.png


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", required=True, help="dataset root folder (any layout training reads)")
    parser.add_argument("--data-format", default="auto", choices=["auto", *data_lib.LAYOUTS],
                        help="dataset layout (default: %(default)s)")
    parser.add_argument("--split", default="test", help="split to evaluate on (default: %(default)s)")
    parser.add_argument("--runs", nargs="*", default=[], metavar="RUN_DIR",
                        help="training run folders: their generator.keras, or for a run still training its "
                             "config.json + latest checkpoint")
    parser.add_argument("--onnx", nargs="*", default=[], metavar="MANIFEST_OR_FILE",
                        help="exported models: a manifest.json (all its models) or one generator .onnx")
    parser.add_argument("--out", required=True, help="folder for table.md, table.csv, results.json, grid.png")
    parser.add_argument("--limit", type=int, default=None, help="only the first N test pairs (default: all)")
    parser.add_argument("--image-size", type=int, default=256,
                        help="pairs are centre crops of this size, as training's (default: %(default)s)")
    parser.add_argument("--only", nargs="+", default=None, metavar="PATTERN",
                        help="only the pairs whose file name matches one of these patterns, e.g. 'tw_*'")
    parser.add_argument("--exclude", nargs="+", default=None, metavar="PATTERN",
                        help="leave out the pairs whose file name matches one of these patterns")
    parser.add_argument("--whole-pages", action="store_true",
                        help="whole images with the shorter side --image-size instead of centre crops (a figure "
                             "on its paper, as a page; the app's pipeline shrinks pages above a model's working "
                             "size and lays the lines back)")
    parser.add_argument("--seed", type=int, default=0, help="XDoG sketch seed (default: %(default)s)")
    parser.add_argument("--cache-dir", default=None, help="cache of synthesized sketches (default: the user cache)")
    parser.add_argument("--nst-steps", type=int, default=1000, help="NST steps per image (default: %(default)s)")
    parser.add_argument("--nst-limit", type=int, default=4,
                        help="NST runs on the first N pairs only; 1-2 s per step per 256 px image on 2 CPU cores "
                             "(default: %(default)s)")
    parser.add_argument("--no-nst", action="store_true", help="skip the NST baseline")
    parser.add_argument("--no-fast-nst", action="store_true", help="skip the fast NST baseline")
    parser.add_argument("--fid-features", default="auto", choices=["auto", "inception", "vgg16"],
                        help="FID network: Inception when its weights exist, else VGG16 (default: %(default)s)")
    parser.add_argument("--inception-weights", default=None, help="Keras InceptionV3 no-top weights file")
    parser.add_argument("--vgg-weights", default=None, help="VGG weights file for NST and FID-VGG16")
    parser.add_argument("--device", default="auto", choices=["auto", "cuda", "cpu"],
                        help="onnxruntime device for ONNX models and fast NST (default: %(default)s)")
    parser.add_argument("--grid", type=int, default=GRID_PAIRS, help="pairs in grid.png (default: %(default)s)")
    parser.add_argument("--curves", action="store_true",
                        help="also plot FID and SSIM over each run's checkpoints")
    add_mode_arguments(parser, modes=[NETWORK_MODE], dots=[0])
    parser.add_argument("--names", nargs="+", default=None, metavar="NAME",
                        help="only these models of the --onnx manifests (default: all)")
    parser.add_argument("--mode-fid", action="store_true",
                        help="also the FID of every (model, mode, dots) row (slow: one embedding per image and row)")


def evaluate(args: argparse.Namespace, log: Callable[[str], None] = print) -> dict[str, Any]:
    from training import fid

    out = Path(args.out)
    whole = bool(getattr(args, "whole_pages", False))
    pairs = load_pairs(args.data, args.data_format, args.split, image_size=args.image_size, seed=args.seed,
                       only=getattr(args, "only", None), exclude=getattr(args, "exclude", None),
                       limit=args.limit, cache_dir=args.cache_dir, whole=whole)
    if len(pairs) < 2:
        raise data_lib.DataError(f"{args.data}: only {len(pairs)} test pair(s); the table needs at least 2")
    log(f"{len(pairs)} test pairs from {args.data} ({args.split}), "
        + (f"{args.image_size} px" if args.image_size > 0 else "as they are"))
    candidates: list[Candidate] = []
    for run_dir in map(Path, args.runs):
        name, detail = run_label(run_dir)
        note = "" if (run_dir / "generator.keras").is_file() else "still training: latest checkpoint"
        model = load_run_generator(run_dir)
        candidates.append(Candidate(name, "keras run", detail, keras_colorizer(model), note=note,
                                    pages=keras_pages(model), sees_hints=keras_takes_hints(model)))
    names = getattr(args, "names", None)
    for path in map(Path, args.onnx):
        candidates += onnx_candidates(path, args.device, names)
    if names:
        found = {c.name for c in candidates}
        missing = [n for n in names if n not in found]
        if missing:
            raise data_lib.DataError(f"no model named {', '.join(missing)} in {', '.join(map(str, args.onnx))}")
    if not args.no_fast_nst and (c := baseline_fast_nst(args.device, log)):
        candidates.append(c)
    if not args.no_nst and args.nst_limit > 0 and (c := baseline_nst(args.nst_steps, min(args.nst_limit, len(pairs)),
                                                                      args.vgg_weights, log)):
        candidates.append(c)
    candidates.append(baseline_passthrough())
    modes, dots, fill = mode_settings(args)
    with_modes = modes != [NETWORK_MODE] or dots != [DotSet(0)]
    if with_modes:
        candidates += oracle_candidates()
    _check_unique_names(candidates)

    try:
        extractor = fid.choose_extractor(args.fid_features, inception_weights=args.inception_weights,
                                         vgg_weights=args.vgg_weights, log=log)
        log(f"{extractor.label}: {extractor.description}; embedding the {len(pairs)} ground truths")
        truth_features = extractor.embed([p.truth for p in pairs])
        fid_label, fid_description = extractor.label, extractor.description
    except fid.FeaturesUnavailable as exc:
        log(f"FID skipped: {exc}")
        extractor, truth_features, fid_label, fid_description = None, None, "FID", None

    regions = pair_regions(pairs)
    all_scores, outputs, base_pages = [], {}, {}
    for c in candidates:
        if not c.table:
            continue
        if c.pages is None or not with_modes:
            s, outputs[c.name] = score(c, pairs, extractor, truth_features, log, regions)
        else:  # one network run for the table and every mode: its pages are kept for the modes
            s, outputs[c.name] = score(c, pairs, extractor, truth_features, log, regions,
                                       colour=_keeping_pages(c, base_pages.setdefault(c.name, [])))
        all_scores.append(s)
    mode_run = None
    if with_modes:
        log(f"colour modes {', '.join(modes)} x hint dots {', '.join(d.label for d in dots)}")
        mode_run = colour_mode_rows(candidates, pairs, modes, dots, args.seed, regions=regions, fill=fill,
                                    extractor=extractor if getattr(args, "mode_fid", False) else None,
                                    truth_features=truth_features, base_pages=base_pages, grid=args.grid, log=log)
        base_pages.clear()
    settings = {
        "data": str(args.data), "data_format": args.data_format, "split": args.split, "limit": args.limit,
        "image_size": args.image_size, "seed": args.seed, "nst_steps": args.nst_steps, "nst_limit": args.nst_limit,
        "whole_pages": whole, "only": getattr(args, "only", None), "exclude": getattr(args, "exclude", None),
        "pairs_rule": (f"the split's files in natural name order (first {args.limit})" if args.limit else
                       "all of the split's files in natural name order")
                      + (f" matching {' or '.join(args.only)}" if getattr(args, "only", None) else "")
                      + (f" except {' and '.join(args.exclude)}" if getattr(args, "exclude", None) else "")
                      + (", as they are (whole images)" if args.image_size <= 0 else
                         f", shorter side {args.image_size} " + ("(whole images)" if whole else "then centre crop"))
                      + "; sketches from the dataset or XDoG (per-image sigma recorded)",
        "runs": [str(r) for r in args.runs], "onnx": [str(o) for o in args.onnx], "names": names,
        "modes": modes, "hint_dots": [d.count for d in dots if d.placement == "careful"],
        "sloppy_dots": [d.count for d in dots if d.placement == "sloppy"],
        "close_gaps": fill.close_gaps, "part_tolerance": fill.part_tolerance, "mode_fid": bool(getattr(args, "mode_fid", False)),
        "date": time.strftime("%Y-%m-%d %H:%M:%S"), "python": platform.python_version(),
        "command": "python -m training evaluate " + " ".join(sys.argv[2:]),
    }
    write_report(out, settings, pairs, all_scores, outputs, fid_label, fid_description, args.grid, mode_run)
    if args.curves:
        curves = [checkpoint_curves(Path(r), pairs, extractor, truth_features, log) for r in args.runs]
        write_curves(out, curves, fid_label)
    log(f"wrote {out / 'table.md'}")
    return {"settings": settings, "scores": all_scores, "modes": mode_run}


def _keeping_pages(c: Candidate, kept: list) -> Callable[[list[Pair]], list[np.ndarray]]:
    """Colour pairs through ``c.pages`` (no hints), keeping the pages in ``kept``."""

    def colour(chunk: list[Pair]) -> list[np.ndarray]:
        pages = c.pages(chunk, [None] * len(chunk))
        kept.extend(pages)
        return [page.raw for page in pages]

    return colour


def _check_unique_names(candidates: list[Candidate]) -> None:
    seen: dict[str, int] = {}
    for c in candidates:
        if c.name in seen:
            seen[c.name] += 1
            c.name = f"{c.name} ({seen[c.name]})"
        else:
            seen[c.name] = 1


def run(args: argparse.Namespace) -> int:
    from ganime_desktop.core.imageio import ImageWriteError
    from ganime_desktop.core.manifest import ManifestError
    from ganime_desktop.core.sessions import ModelLoadError

    try:
        evaluate(args)
    except (ManifestError, ModelLoadError, ImageWriteError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"error: cannot write the report in {args.out}: {exc}", file=sys.stderr)
        return 2
