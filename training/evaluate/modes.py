"""The colour-mode table: every candidate that has pages, in each of the app's colour modes
(ganime_desktop/core/colour_modes.py's registry) with each set of simulated hint dots
(training/hint_dots.py), rendered by the app's own ``PageColouring``; and the command-line
options that ask for it (shared with hint_eval)."""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from ganime_desktop.core.colour_modes import MODES, NETWORK_MODE, colour_mode
from training import metrics
from training.hint_dots import DotSet, dot_layers, dot_radius, dot_sets
from training.progress import Progress

from .candidates import Candidate
from .pairs import Pair, pair_regions
from .scoring import Scores, bleed_summary, score_line, score_outputs, truth_stats


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
                log(score_line(row, extractor))
        bar.close()
    return run


def add_mode_arguments(parser: argparse.ArgumentParser, *, modes: list[str], dots: list[int]) -> None:
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
