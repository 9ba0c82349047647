"""Colour a whole folder of pages with one or more models: the runner behind the batch panel and
``ganime colorize``.

Use::

    job = BatchJob(BatchOptions(input_dir, output_dir, models=["pix2pix-tv"]))
    job.prepare()              # BatchUsageError for a missing folder, unknown model, ...
    # hint models: BatchOptions(..., hints_dir=DIR) takes each page's colour hints from DIR
    # ({stem}.hints.png, or an RGBA image with the page's stem; none there = no hints)
    # mode=one of core/colour_modes.py's MODES (default DEFAULT_MODE); layers=True also writes
    # each result's flats, shading, line art and an OpenRaster file beside it (core/layers.py)
    # like=PATH colours every page like that coloured page (like_sketch=PATH: its line art;
    # core/like_page.py, core/reference_match.py): the reader thread matches each page's regions
    # to it, the network then colours only what it does not show
    report = job.run(on_progress=callback, cancel_event=threading.Event())
    # or in one call: run_batch(options, on_progress=..., cancel_event=...)

Threads: a reader thread decodes pages (and, in the flat and shaded modes, finds their closed
regions, which do not depend on the model) into a queue of at most QUEUE_DEPTH, the inference
thread runs the network on them (each page is read once for all models) into a queue of at most
QUEUE_DEPTH, a writer thread renders the colour mode, encodes and writes atomically. Memory stays
bounded however many pages, and the three stages overlap: an A4 page at 300 dpi spends about as
long in each (benchmarks/batch.py, docs/performance.md).

Events: ``on_progress(progress: BatchProgress)`` is called ONLY on the thread that called
``run()`` (the GUI runs the job in a worker thread and forwards progress with a Qt signal):

- ``progress.event == "start"``: once, before any page; ``total`` is known, ``result`` is None.
- ``progress.event == "item"``: once per settled item, with ``result: PageResult``. An item is
  one (page, model) output, or one file that is not an image (``model`` None). ``result.status``:
  ``"done"`` written (``reason``: a note, e.g. its hints were scaled to it, or None);
  ``"skipped"`` output already there (re-run without --overwrite); ``"not-an-image"`` a file that
  is not a page, or not a regular file (a pipe, a link to a device: never opened), with the reason
  (listed, not an error); ``"failed"`` with ``reason`` (unreadable page, model error, unwritable
  output); ``"cancelled"`` discarded. Names that are not UTF-8 come with ``\\xNN`` escapes.
  Skips and non-images come first, then pages in natural order (p2 before p10).
- ``progress.event == "finish"``: once, at the end; ``report`` holds the BatchReport.
``done``/``total`` count items; ``items_per_minute`` (colourings: a page with three models is
three) and ``eta_seconds`` count only items that were actually coloured (None until the first
one); ``pages_per_minute`` is that over the ``models`` each page goes through.

What a batch refuses, and why: docs/batch.md. The output folder is locked while ``run()`` runs
(LOCK_FILE, core/folder_lock.py): a second batch into it gets BatchUsageError. A report that
cannot be written (a full disk) leaves ``report.write_error`` set, never an exception.

Cancel: set ``cancel_event``; the page being coloured is abandoned between model steps (nothing
is written for it), results already coloured are still written (atomically), the rest are
reported as cancelled. A killed process leaves no partial output: each file is written to a
temp file and renamed, and the next run deletes temp files a killed run left behind.
"""

from __future__ import annotations

import queue
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from .batch_plan import OUTPUT_FORMATS, NotAPage, PlannedPage, plan_pages, stale_temp_files
from .batch_report import REPORT_NAMES, BatchReport, PageResult, write_reports
from .cancel import Cancelled
from .colour_modes import colour_mode, layer_modes, region_modes, spoken
from .errors import GanimeError
from .folder_lock import FolderInUseError, FolderLock
from .hint_fill import FillSettings
from .hints import HintFileError, find_page_hints, fit_hints, read_hints
from .imageio import ImageReadError, ImageWriteError, read_image, write_image_atomic
from .layers import Layers, layer_paths, write_layers
from .like_page import LikeReferenceError, load_like_reference
from .pipeline import DEFAULT_MODE, DEFAULT_STRATEGY, MODES, Colorizer, ColorizerCache, PageColouring
from .preprocess import to_gray
from .reference_colours import ReferenceColours
from .reference_match import LikeReference, match_page, recolour_raw
from .regions import Regions, segment
from .registry import ModelRegistry, UnknownModelError, default_registry
from .safe_text import printable
from .sessions import DEVICES, ModelLoadError
from .stages import stage

__all__ = ["BatchJob", "BatchOptions", "BatchProgress", "BatchReport", "BatchUsageError", "PageResult",
           "run_batch"]

QUEUE_DEPTH = 1  # pages waiting between stages: bounds memory on folders of big scans (one keeps
# every stage busy: measured with 2, the same pages/min and ~300 MB more at A4 300 dpi)
_END = object()  # end-of-stream marker between the threads
LOCK_FILE = ".ganime-batch.lock"  # in the output folder: one batch at a time writes there


class BatchUsageError(GanimeError, ValueError):
    """The job cannot start (bad folder, unknown or unusable model, ...); the message says why."""


@dataclass
class BatchOptions:
    input_dir: Path
    output_dir: Path
    models: list[str]
    recursive: bool = False
    overwrite: bool = False
    format: str = "png"
    device: str = "auto"
    reference: Path | None = None
    models_dirs: list[Path] = field(default_factory=list)  # extra manifest folders (--models-dir)
    working_size: int | None = None
    strategy: str = DEFAULT_STRATEGY
    quality: int = 95
    hints_dir: Path | None = None  # per-page colour hints (core/hints.py)
    mode: str = DEFAULT_MODE  # one of core/colour_modes.py's MODES
    layers: bool = False  # also write flats, shading, line art and .ora beside each result
    fill: FillSettings = field(default_factory=FillSettings)  # how hints fill (core/hint_fill.py)
    like: Path | None = None  # colour every page like this coloured page (issue 28)
    like_sketch: Path | None = None  # ... whose line art is this (default: see core/like_page.py)


@dataclass(frozen=True)
class BatchProgress:
    event: str  # "start" | "item" | "finish"
    done: int
    total: int
    result: PageResult | None = None
    items_per_minute: float | None = None
    eta_seconds: float | None = None
    report: BatchReport | None = None
    models: int = 1  # outputs per page

    @property
    def pages_per_minute(self) -> float | None:
        return None if self.items_per_minute is None else self.items_per_minute / max(1, self.models)

    def rate_text(self) -> str:
        """"12.0 pages/min", with the colourings per minute beside it when pages go through several models."""
        if not self.items_per_minute:
            return "-- pages/min"
        text = f"{self.pages_per_minute:.1f} pages/min"
        if self.models > 1:
            text += f" ({self.items_per_minute:.1f} colourings/min, {self.models} models)"
        return text


@dataclass
class _Item:
    page: PlannedPage
    model: str
    output: Path


@dataclass
class _Coloured:
    """What the inference thread hands the writer: the raw image, or a page to render."""

    image: np.ndarray | None = None  # a mode without regions: the network's image
    page: PageColouring | None = None  # a mode with regions: rendered by the writer
    hints: np.ndarray | None = None
    note: str | None = None  # for the user about a page that was coloured (its hints were scaled)
    like: ReferenceColours | None = None  # what the reference page decided (for the layers' mask)


class BatchJob:
    def __init__(self, options: BatchOptions, *, registry: ModelRegistry | None = None,
                 cache: ColorizerCache | None = None):
        self.options = options
        self.registry = registry or (cache.registry if cache else default_registry(options.models_dirs))
        self.cache = cache or ColorizerCache(self.registry)
        self.pages: list[PlannedPage] = []
        self.not_pages: list[NotAPage] = []  # not images, and special files (pipes, links to devices)
        self.colorizers: dict[str, Colorizer] = {}
        self.reference: np.ndarray | None = None
        self.like: LikeReference | None = None
        self._prepared = False

    # --- setup ---------------------------------------------------------------------------------

    def prepare(self) -> None:
        """Check the options, load the models and plan the pages; BatchUsageError if it cannot start."""
        o = self.options
        o.input_dir, o.output_dir = Path(o.input_dir), Path(o.output_dir)
        if not o.input_dir.is_dir():
            raise BatchUsageError(f"input folder {o.input_dir} does not exist or is not a folder")
        if o.output_dir.resolve() == o.input_dir.resolve():
            raise BatchUsageError("the output folder must differ from the input folder "
                                  "(choose e.g. a 'coloured' subfolder)")
        if o.output_dir.exists() and not o.output_dir.is_dir():
            raise BatchUsageError(f"output {o.output_dir} exists and is not a folder")
        if o.format not in OUTPUT_FORMATS:
            raise BatchUsageError(f"unknown output format {o.format!r}; use one of {', '.join(OUTPUT_FORMATS)}")
        if o.device not in DEVICES:
            raise BatchUsageError(f"unknown device {o.device!r}; use one of {', '.join(DEVICES)}")
        if o.mode not in MODES:
            raise BatchUsageError(f"unknown colour mode {o.mode!r}; use one of {', '.join(MODES)}")
        if o.layers and not colour_mode(o.mode).writes_layers:
            raise BatchUsageError(f"layers split a colouring into flats, shading and line art, which the {o.mode} "
                                  f"mode does not have: use the {spoken(layer_modes())} mode with layers")
        if not o.models:
            defaults = self.registry.defaults()
            if not defaults:
                raise BatchUsageError("no usable model is installed; install the app's models or pass "
                                      "--models-dir")
            o.models = [defaults[0].name]
        if len(set(o.models)) != len(o.models):
            raise BatchUsageError("a model is named twice")
        for name in o.models:
            try:
                self.colorizers[name] = self.cache.get(name, o.device, strategy=o.strategy)
            except UnknownModelError as exc:
                raise BatchUsageError(str(exc)) from None
            except ModelLoadError as exc:
                raise BatchUsageError(f"model {name!r} cannot be used: {exc}") from None
        needs_reference = [n for n, c in self.colorizers.items() if c.needs_reference]
        if needs_reference and o.reference is None:
            raise BatchUsageError(f"model {needs_reference[0]!r} is a style-transfer model: pass "
                                  "--reference IMAGE (the picture whose colours it should copy)")
        if o.hints_dir is not None:
            o.hints_dir = Path(o.hints_dir)
            if not o.hints_dir.is_dir():
                raise BatchUsageError(f"hints folder {o.hints_dir} does not exist or is not a folder")
            if not colour_mode(o.mode).uses_regions and not any(c.accepts_hints for c in self.colorizers.values()):
                raise BatchUsageError("--hints was given but none of the chosen models takes colour hints and "
                                      f"the {o.mode} mode fills no regions; choose a hint model (approach "
                                      f"pix2pix-hints) with --model, or the {spoken(region_modes())} mode")
        if o.reference is not None:
            try:
                self.reference = read_image(o.reference)
            except ImageReadError as exc:
                raise BatchUsageError(f"reference image: {exc}") from None
        if o.like_sketch is not None and o.like is None:
            raise BatchUsageError("--like-sketch is the line art of the page given with --like: pass --like "
                                  "COLOURED_PAGE too")
        if o.like is not None:
            try:
                self.like = load_like_reference(o.like, o.like_sketch)
            except LikeReferenceError as exc:
                raise BatchUsageError(str(exc)) from None
        try:
            o.output_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise BatchUsageError(f"cannot create the output folder {o.output_dir} ({exc.strerror})") from None
        try:  # a read-only folder is found now, not page after page and then at the report
            with tempfile.TemporaryFile(dir=o.output_dir):
                pass
        except OSError as exc:
            raise BatchUsageError(f"cannot write into the output folder {o.output_dir} ({exc.strerror or exc}); "
                                  "check its access rights, or choose another output folder") from None
        self.pages, self.not_pages = plan_pages(o.input_dir, o.output_dir, o.models, o.format, o.recursive)
        self._prepared = True

    def _remove_stale_temp_files(self) -> None:
        report_page = PlannedPage(self.options.output_dir, "", {n: self.options.output_dir / n for n in REPORT_NAMES})
        with_mask = self.like is not None
        layer_pages = [PlannedPage(p.source, p.relative, {f"{m} {k}": path for m, out in p.outputs.items()
                                                          for k, path in layer_paths(out, reference=with_mask).items()})
                       for p in self.pages]
        for path in stale_temp_files(self.options.output_dir, [*self.pages, *layer_pages, report_page]):
            try:
                path.unlink(missing_ok=True)
            except OSError:  # left for a later run: a temp file is never taken for an output
                pass

    # --- the three stages ----------------------------------------------------------------------

    def _read(self, todo: list[tuple[PlannedPage, list[_Item]]], pages_q: queue.Queue,
              cancel: threading.Event) -> None:
        try:
            for page, items in todo:
                if cancel.is_set():
                    break
                try:
                    with stage("decode"):
                        rgb = read_image(page.source)
                    hints, note = self._page_hints(page, rgb.shape[:2])
                    if not self._needs_rgb:  # the generators see the sketch's gray only: a third of the memory
                        with stage("gray"):
                            rgb = to_gray(rgb)
                    regions = like = None
                    if colour_mode(self.options.mode).uses_regions or self.like is not None:  # alike for every model:
                        gray = rgb if rgb.ndim == 2 else to_gray(rgb)  # found here, beside the network
                        with stage("regions"):
                            regions = segment(gray, cache=False)
                        if self.like is not None:
                            with stage("reference"):
                                like = match_page(gray, regions, self.like, cancel.is_set)
                    pages_q.put((items, rgb, hints, regions, like, note, None))
                except Cancelled:
                    break
                except (ImageReadError, HintFileError) as exc:
                    pages_q.put((items, None, None, None, None, None, str(exc)))
                except Exception as exc:  # e.g. MemoryError on one page: not the batch
                    pages_q.put((items, None, None, None, None, None,
                                 f"{page.source}: cannot read ({type(exc).__name__}: {exc})"))
        finally:
            pages_q.put(_END)

    @property
    def _needs_rgb(self) -> bool:
        """Style-transfer models colour from the page's RGB; generators from its gray."""
        return any(c.needs_reference for c in self.colorizers.values())

    def _page_hints(self, page: PlannedPage, shape: tuple[int, int]) -> tuple[np.ndarray | None, str | None]:
        """(the page's hint layer from --hints DIR scaled to the page, or None when it has none;
        a note when it had to be scaled). HintFileError for a hint file far larger than the page."""
        if self.options.hints_dir is None:
            return None, None
        path = find_page_hints(self.options.hints_dir, page.source, page.relative)
        if path is None:
            return None, None
        rgba = read_hints(path, page_size=shape)  # capped by the page's size before decoding
        if rgba.shape[:2] == shape:
            return rgba, None
        note = (f"the hints {path.name} are {rgba.shape[1]}x{rgba.shape[0]}, the page {shape[1]}x{shape[0]}: "
                "scaled to the page")
        return fit_hints(rgba, *shape), note

    def _infer(self, pages_q: queue.Queue, out_q: queue.Queue, events: queue.Queue,
               cancel: threading.Event) -> None:
        try:
            while (got := pages_q.get()) is not _END:
                items, rgb, hints, regions, like, note, error = got
                for item in items:
                    if error is not None:
                        events.put(self._result(item, "failed", error))
                        continue
                    if cancel.is_set():
                        events.put(self._result(item, "cancelled", "cancelled by the user"))
                        continue
                    started = time.perf_counter()
                    try:
                        coloured = self._colour(item, rgb, hints, regions, like, cancel)
                    except Cancelled:
                        events.put(self._result(item, "cancelled", "cancelled by the user"))
                        continue
                    except Exception as exc:  # one bad page never stops the batch
                        events.put(self._result(item, "failed", f"{item.page.source}: colouring failed "
                                                f"({type(exc).__name__}: {exc})"))
                        continue
                    coloured.note = note
                    out_q.put((item, coloured, time.perf_counter() - started))
                del rgb, hints, regions, like, got  # not held while waiting for the next page
        finally:
            out_q.put(_END)

    def _colour(self, item: _Item, rgb: np.ndarray, hints: np.ndarray | None, regions: Regions | None,
                like: ReferenceColours | None, cancel: threading.Event) -> _Coloured:
        """One page with one model in the job's mode: the network's part (the writer renders)."""
        o = self.options
        args = dict(reference=self.reference, hints=hints, working_size=o.working_size, should_cancel=cancel.is_set)
        colorizer = self.colorizers[item.model]
        network_only = not colour_mode(o.mode).uses_regions
        if network_only and like is None:
            return _Coloured(image=colorizer.colorize(rgb, mode=o.mode, **args))
        page = colorizer.colour_page(rgb, regions=regions, like=like, **args)
        if network_only:  # the network's image with the reference's colours where it decides
            with stage("render"):
                return _Coloured(image=recolour_raw(page.raw, page.regions, like))
        with stage("render"):
            if hints is None:  # what does not depend on hints, here: the writer has the rest
                page.prepare(o.mode, o.fill)
        return _Coloured(page=page, hints=hints, like=like)

    def _render(self, coloured: _Coloured) -> tuple[np.ndarray, Layers | None]:
        """(image, its layers when asked for) of a colouring in the job's mode."""
        if coloured.page is None:
            return coloured.image, None
        with stage("render"):
            if not self.options.layers:
                return coloured.page.render(self.options.mode, coloured.hints, self.options.fill), None
            layers = coloured.page.layers(self.options.mode, coloured.hints, self.options.fill)
            if coloured.like is not None:
                layers = replace(layers, reference=coloured.like.mask(coloured.page.regions.labels, coloured.hints))
            return layers.compose(), layers

    def _done_before(self, item: _Item) -> bool:
        """The item's output (and, when asked for, its layers) exist from an earlier run."""
        if not item.output.exists():
            return False
        paths = layer_paths(item.output, reference=self.like is not None)
        return not self.options.layers or all(p.exists() for p in paths.values())

    def _write(self, out_q: queue.Queue, events: queue.Queue) -> None:
        try:
            while (got := out_q.get()) is not _END:
                item, coloured, seconds = got
                del got
                started = time.perf_counter()
                note = coloured.note
                try:
                    colour, layers = self._render(coloured)
                except Exception as exc:  # one bad page never stops the batch
                    events.put(self._result(item, "failed", f"{item.page.source}: colouring failed "
                                            f"({type(exc).__name__}: {exc})"))
                    continue
                finally:
                    del coloured
                try:
                    item.output.parent.mkdir(parents=True, exist_ok=True)
                    write_image_atomic(item.output, colour, quality=self.options.quality)
                    if layers is not None:
                        write_layers(item.output, layers)
                except (ImageWriteError, OSError) as exc:
                    events.put(self._result(item, "failed", str(exc)))
                    continue
                events.put(self._result(item, "done", note, seconds + time.perf_counter() - started))
        finally:
            events.put(_END)

    def _result(self, item: _Item, status: str, reason: str | None, seconds: float = 0.0) -> PageResult:
        """The report's row; names that are not UTF-8 written with \\xNN escapes (core/safe_text.py)."""
        out = item.output.relative_to(self.options.output_dir.resolve()).as_posix()
        return PageResult(printable(item.page.relative), item.model, printable(out), status,
                          None if reason is None else printable(reason), round(seconds, 3))

    # --- the run --------------------------------------------------------------------------------

    def run(self, on_progress: Callable[[BatchProgress], None] | None = None,
            cancel_event: threading.Event | None = None) -> BatchReport:
        """Colour the planned pages (``prepare()`` first if not done). BatchUsageError when another
        batch writes into the same output folder: the folder is locked while a batch runs."""
        if not self._prepared:
            self.prepare()
        # silent takeover of a killed batch's lock: the rerun resumes it
        lock = FolderLock(self.options.output_dir, LOCK_FILE, log=lambda _note: None, remove=True)
        try:
            lock.acquire()
        except FolderInUseError as exc:
            raise BatchUsageError(f"the output folder {exc.folder} is in use by another batch ({exc.holder}); wait "
                                  "for it to finish, or choose another output folder") from None
        except OSError as exc:
            raise BatchUsageError(f"cannot write into the output folder {self.options.output_dir} "
                                  f"({exc.strerror or exc}); check its access rights, or choose another "
                                  "output folder") from None
        try:
            return self._run(on_progress or (lambda _p: None), cancel_event or threading.Event())
        finally:
            lock.release()

    def _run(self, emit: Callable[[BatchProgress], None], cancel: threading.Event) -> BatchReport:
        o = self.options
        report = BatchReport.begin(o, {n: c.provider_info.describe() for n, c in self.colorizers.items()})
        self._remove_stale_temp_files()

        settled: list[PageResult] = [PageResult(printable(p.relative), None, None, "not-an-image",
                                                printable(p.reason), 0.0) for p in self.not_pages]
        todo: list[tuple[PlannedPage, list[_Item]]] = []
        for page in self.pages:
            items = []
            for model in o.models:
                item = _Item(page, model, page.outputs[model])
                if not o.overwrite and self._done_before(item):
                    settled.append(self._result(item, "skipped", "output exists (use --overwrite to redo)"))
                else:
                    items.append(item)
            if items:
                todo.append((page, items))
        total = len(settled) + sum(len(items) for _, items in todo)
        models = max(1, len(o.models))
        emit(BatchProgress("start", 0, total, models=models))
        for result in settled:
            report.add(result)
            emit(BatchProgress("item", len(report.results), total, result, models=models))

        pages_q: queue.Queue = queue.Queue(maxsize=QUEUE_DEPTH)
        out_q: queue.Queue = queue.Queue(maxsize=QUEUE_DEPTH)
        events: queue.Queue = queue.Queue()
        threads = [
            threading.Thread(target=self._read, args=(todo, pages_q, cancel), name="batch-read", daemon=True),
            threading.Thread(target=self._infer, args=(pages_q, out_q, events, cancel), name="batch-infer",
                             daemon=True),
            threading.Thread(target=self._write, args=(out_q, events), name="batch-write", daemon=True),
        ]
        for t in threads:
            t.start()
        started, coloured = time.perf_counter(), 0
        try:
            while (result := events.get()) is not _END:
                report.add(result)
                if result.status == "done":
                    coloured += 1
                rate = eta = None
                if coloured:
                    rate = coloured / max(time.perf_counter() - started, 1e-6) * 60.0
                    eta = (total - len(report.results)) / rate * 60.0
                emit(BatchProgress("item", len(report.results), total, result, rate, eta, models=models))
        except BaseException:
            cancel.set()  # a failing callback or Ctrl+C: stop the workers, let them drain
            while events.get() is not _END:
                pass
            raise
        finally:
            for t in threads:
                t.join()
        # Items the reader never reached after a cancel.
        seen = {(r.source, r.model) for r in report.results}
        for page, items in todo:
            for item in items:
                if (page.relative, item.model) not in seen:
                    report.add(self._result(item, "cancelled", "cancelled by the user"))
        report.finish(cancelled=cancel.is_set())
        try:
            write_reports(report, o.output_dir)
        except (OSError, UnicodeError) as exc:  # a full disk, a folder made read-only during the run
            report.write_error = (f"the report could not be written into {printable(str(o.output_dir))} "
                                  f"({getattr(exc, 'strerror', None) or exc}); free some space or make the folder "
                                  "writable and run the batch again: the pages written are kept and skipped")
        emit(BatchProgress("finish", len(report.results), total, None, report=report, models=models))
        return report


def run_batch(options: BatchOptions, on_progress: Callable[[BatchProgress], None] | None = None,
              cancel_event: threading.Event | None = None) -> BatchReport:
    """Prepare and run a batch job (BatchUsageError if it cannot start)."""
    job = BatchJob(options)
    job.prepare()
    return job.run(on_progress=on_progress, cancel_event=cancel_event)
