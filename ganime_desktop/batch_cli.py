"""``ganime colorize``: colour a folder of pages from the terminal, without Qt.

Exit codes: 0 everything coloured (or already there), 1 some page failed or the report could not
be written, 2 usage error (also: another batch writes into the output folder), 130 cancelled with
Ctrl+C (the page in progress is discarded, the report is still written).
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path
from typing import TextIO

from .core.batch import BatchJob, BatchOptions, BatchProgress, BatchUsageError
from .core.batch_plan import OUTPUT_FORMATS
from .core.batch_report import format_clock
from .core.colour_modes import COLOUR_MODES, layer_modes, region_modes, spoken
from .core.gap_close import DEFAULT_GAP_SETTING, GAP_SETTINGS
from .core.hint_fill import FillSettings
from .core.parts import DEFAULT_TOLERANCE
from .core.pipeline import DEFAULT_MODE, DEFAULT_STRATEGY, MODES, STRATEGIES
from .core.sessions import DEVICES

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_CANCELLED = 0, 1, 2, 130


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="ganime colorize",
        description="Colour every page in INPUT_DIR with one or more models; results go to OUTPUT_DIR as "
                    "{page}_{model}.{format}, with report.json and report.csv. Re-running resumes.")
    p.add_argument("input_dir", type=Path, metavar="INPUT_DIR", help="folder of sketches (PNG, JPEG, WebP, BMP, TIFF)")
    p.add_argument("output_dir", type=Path, metavar="OUTPUT_DIR", help="where the colourings go (created if needed)")
    p.add_argument("--model", dest="models", action="append", default=[], metavar="NAME",
                   help="model to use; repeat for several (default: the default model)")
    p.add_argument("--recursive", action="store_true", help="also colour subfolders, mirrored in OUTPUT_DIR")
    p.add_argument("--overwrite", action="store_true", help="redo pages whose output already exists")
    p.add_argument("--format", choices=OUTPUT_FORMATS, default="png", help="output format (default png)")
    p.add_argument("--device", choices=DEVICES, default="auto", help="auto: CUDA when it works, else CPU")
    p.add_argument("--reference", type=Path, metavar="IMAGE", help="colour reference for style-transfer models")
    p.add_argument("--hints", dest="hints_dir", type=Path, metavar="DIR",
                   help="colour hints: per page an RGBA PNG named {stem}.hints.png (or an RGBA image with the "
                        "page's stem) in DIR, transparent where there is no hint; hint models follow them, and "
                        f"in the {spoken(region_modes(), 'and')} modes they fill the regions they touch; a page without one is "
                        "coloured without hints")
    p.add_argument("--mode", choices=MODES, default=DEFAULT_MODE,
                   help="; ".join(f"{m.name}: {m.summary}" for m in COLOUR_MODES) + f" (default {DEFAULT_MODE})")
    p.add_argument("--layers", action="store_true",
                   help="also write each result's layers beside it: {name}.flats.png, {name}.shading.png "
                        "(multiply), {name}.lines.png (line art on transparency) and {name}.ora (OpenRaster, "
                        f"for Krita, GIMP, MyPaint); needs the {spoken(layer_modes())} mode")
    p.add_argument("--close-gaps", choices=GAP_SETTINGS, default=DEFAULT_GAP_SETTING,
                   help=f"{spoken(region_modes(), 'and')}: how wide a gap in the lines a hint's fill still stops at, so a hint on a leg "
                        "or a lock of hair joined to the paper through a gap fills that part, not the page "
                        f"(default {DEFAULT_GAP_SETTING})")
    p.add_argument("--part-tolerance", type=_tolerance, default=DEFAULT_TOLERANCE, metavar="DE",
                   help=f"{spoken(region_modes(), 'and')}: regions touching through a gap that the model coloured within this CIE Lab "
                        "distance fill as one part (hair drawn as strands); 0: each region alone "
                        f"(default {DEFAULT_TOLERANCE:g})")
    p.add_argument("--like", type=Path, metavar="COLOURED",
                   help="colour every page like this coloured page (one page of the chapter coloured by hand or in "
                        "the app; PNG/JPEG/..., or the app's .ora): each region takes the colour the coloured page "
                        "shows where that region lies in it, found by matching the two line arts (moved, turned, "
                        "mirrored, bent); the model colours what the page does not show and, in the shaded mode, "
                        "the shading; hints still win. With --layers, {name}.reference.png marks the regions that "
                        "came from the coloured page")
    p.add_argument("--like-sketch", type=Path, metavar="LINE_ART",
                   help="the line art COLOURED was coloured on (default: the .ora's line layer, a "
                        "{stem}.lines.png beside it, else the coloured page's own dark strokes)")
    p.add_argument("--models-dir", dest="models_dirs", action="append", type=Path, default=[], metavar="DIR",
                   help="an extra folder of models (with a manifest.json); also env GANIME_MODELS_DIR")
    p.add_argument("--working-size", type=int, metavar="PX", help="run the model at this size (default: the model's)")
    p.add_argument("--strategy", choices=STRATEGIES, default=DEFAULT_STRATEGY,
                   help=f"how pages larger than the working size are handled (default {DEFAULT_STRATEGY})")
    p.add_argument("--quality", type=int, default=95, metavar="Q", help="JPEG/WebP quality (default 95)")
    return p


class ProgressPrinter:
    """A live line on a terminal, plain lines otherwise (logs, CI, pipes)."""

    def __init__(self, stream: TextIO):
        self.stream = stream
        self.live = stream.isatty()

    def __call__(self, p: BatchProgress) -> None:
        if p.event == "start":
            print(f"{p.total} item(s) to go", file=self.stream, flush=True)
            return
        if p.event == "finish":
            if self.live:
                print(file=self.stream)
            return
        r = p.result
        head = f"[{p.done}/{p.total}] {p.rate_text()}, ETA {format_clock(p.eta_seconds)}"
        what = f"{r.source}" + (f" -> {r.output}" if r.output else "")
        told = r.reason if r.reason and r.status in ("failed", "done") else None  # a failure, or a note
        line = f"{head}  {what}: {r.status}" + (f" ({told})" if told else "")
        if self.live:
            if told:  # failures and notes stay visible above the live line
                label = "failed" if r.status == "failed" else f"note: {r.source}"
                print(f"\r\033[K{label}: {told}", file=self.stream)
            print(f"\r\033[K{head}  {what[-60:]}", end="", file=self.stream, flush=True)
        else:
            print(line, file=self.stream, flush=True)


def _tolerance(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a colour distance (a number, 0 or more)")
    return value


def run_colorize(argv: list[str]) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse printed the usage and the problem
        return EXIT_USAGE if exc.code else EXIT_OK
    options = BatchOptions(
        input_dir=args.input_dir, output_dir=args.output_dir, models=args.models, recursive=args.recursive,
        overwrite=args.overwrite, format=args.format, device=args.device, reference=args.reference,
        models_dirs=args.models_dirs, working_size=args.working_size, strategy=args.strategy,
        quality=args.quality, hints_dir=args.hints_dir, mode=args.mode, layers=args.layers,
        fill=FillSettings(args.close_gaps, args.part_tolerance), like=args.like, like_sketch=args.like_sketch)
    job = BatchJob(options)
    for problem in job.registry.problems:
        print(f"warning: {problem}", file=sys.stderr)
    for notice in job.registry.notices:  # a user model that replaces a shipped one
        print(f"note: {notice}", file=sys.stderr)
    try:
        job.prepare()
    except BatchUsageError as exc:
        return _usage_error(exc)
    for name, colorizer in job.colorizers.items():
        print(f"{name}: running on {colorizer.provider_info.describe()}", file=sys.stderr)
    if job.like is not None:
        print(f"colouring every page like {options.like} (its line art: {job.like.lines_from}); the model "
              "colours what it does not show", file=sys.stderr)

    cancel = threading.Event()
    previous = None
    if threading.current_thread() is threading.main_thread():
        def on_sigint(_sig, _frame):
            if cancel.is_set():
                raise KeyboardInterrupt
            cancel.set()
            print("\ncancelling: finishing the current page (Ctrl+C again to abort)", file=sys.stderr)
        previous = signal.signal(signal.SIGINT, on_sigint)
    try:
        report = job.run(on_progress=ProgressPrinter(sys.stderr), cancel_event=cancel)
    except BatchUsageError as exc:  # another batch writes into the same output folder
        return _usage_error(exc)
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)
    print(report.summary(), file=sys.stderr)
    for failure in report.failures():
        print(f"  failed: {failure.source} [{failure.model}]: {failure.reason}", file=sys.stderr)
    if report.write_error:
        print(f"ganime colorize: error: {report.write_error}", file=sys.stderr)
    else:
        print(f"report: {options.output_dir / 'report.json'} and report.csv", file=sys.stderr)
    if report.cancelled:
        return EXIT_CANCELLED
    return report.exit_code


def _usage_error(exc: BatchUsageError) -> int:
    print(f"ganime colorize: error: {exc}", file=sys.stderr)
    return EXIT_USAGE
