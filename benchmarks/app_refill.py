"""How fast hints fill regions in the app: from the end of a hint stroke (or a fill-bucket click)
to the result panes showing the refilled colouring, in a real MainWindow (offscreen).

    python benchmarks/app_refill.py [--models-dir DIR] [--model NAME ...] [--edits N] [--side PX]

The page: each authentic line art of ../shared/data/lineart-real (read there, never copied into
the repository) scaled to a ``--side`` px longer side (default 1024), else the shipped sample
sketch at that size. The models (default: the shipped defaults, pix2pix-tv and pix2pix-hints)
colour it once in the shaded mode; then ``--edits`` hint edits per page, alternating short hint
strokes and fill-bucket clicks, are made with real mouse events on the canvas, as an artist
colours a figure: each in a random region of the figure (not the paper, at least 400 px), in
that region's colour (a palette colour per region, so no region is split between two colours:
a region hinted in several colours costs the core a distance transform per region).
Each edit is timed from the mouse release until every pane has received and painted its refill
(colouring.py's ``pane_updated`` and the repaint), with no model run in between (the hint
models' debounced re-run is held back here; it runs on the other thread pool in the app).
Scenarios: one pane (the first model), and every model's pane. Target (issue 14): < 100 ms at
1024 px on the 2-core development machine.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
LINEART = REPO.parent / "shared" / "data" / "lineart-real"


def pages(side: int, limit: int) -> dict[str, np.ndarray]:
    from PIL import Image

    from ganime_desktop.ui.app import sample_sketch_path

    paths = sorted(LINEART.glob("*.png"))[:limit] if LINEART.is_dir() else []
    out = {}
    for path in paths or [sample_sketch_path()]:
        img = Image.open(path).convert("L")
        scale = side / max(img.size)
        img = img.resize((round(img.width * scale), round(img.height * scale)), Image.Resampling.BICUBIC)
        out[path.name] = np.repeat(np.array(img)[:, :, None], 3, axis=2)
    return out


def edit_points(rgb: np.ndarray, rng, edits: int) -> list[tuple[list[tuple[int, int]], tuple[int, int, int]]]:
    """(stroke points, colour) per edit: alternately a 3-point stroke and a click, inside one
    region of the figure each, in that region's colour."""
    from ganime_desktop.core.preprocess import to_gray
    from ganime_desktop.core.regions import segment

    regions = segment(to_gray(rgb))
    figure = np.flatnonzero(~regions.is_background & (regions.areas >= 400))
    palette = rng.integers(30, 230, (regions.count, 3))
    out = []
    while len(out) < edits:
        label = int(rng.choice(figure))
        ys, xs = np.nonzero((regions.labels == label) & ~regions.lines)
        i = int(rng.integers(ys.size))
        stroke = [(int(xs[i]), int(ys[i]))]
        if len(out) % 2 == 0:  # a short stroke staying inside the region
            j = int(np.argmin(np.abs(ys - ys[i]) + np.abs(np.abs(xs - xs[i]) - 12)))
            stroke += [((xs[i] + xs[j]) // 2, (ys[i] + ys[j]) // 2), (int(xs[j]), int(ys[j]))]
        out.append((stroke, tuple(int(v) for v in palette[label])))
    return out


def time_edits(window, app, rng, edits: int) -> list[float]:
    from PySide6.QtCore import QPointF, Qt
    from PySide6.QtGui import QColor
    from PySide6.QtTest import QTest

    from ganime_desktop.ui.workers import wait_until

    canvas, session = window.canvas, window.colouring
    panes = len(window.compare.panes)
    got = []
    session.pane_updated.connect(got.append)
    times = []
    for i, (stroke, colour) in enumerate(edit_points(window.document.to_rgb(), rng, edits)):
        window.hint_tools.set_colour(QColor(*colour))
        window.set_tool("hint" if i % 2 == 0 else "fill")
        points = [QPointF(x + 0.5, y + 0.5) for x, y in stroke]
        at = [canvas.transform().map(p).toPoint() for p in points]
        QTest.mousePress(canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, at[0])
        for p in at[1:]:
            QTest.mouseMove(canvas, p)
        got.clear()
        t0 = time.perf_counter()
        QTest.mouseRelease(canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, at[-1])
        wait_until(lambda: len(got) >= panes, session.pane_updated, 10_000)
        app.processEvents()  # the repaints the refills scheduled
        times.append((time.perf_counter() - t0) * 1000.0)
        session.stop()  # no model re-run between edits: time the refill alone
        app.processEvents()
    session.pane_updated.disconnect(got.append)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models-dir", action="append", default=[], help="extra models folder (repeatable)")
    parser.add_argument("--model", action="append", default=[], help="model to colour with (default: the defaults)")
    parser.add_argument("--edits", type=int, default=10, help="hint edits per page and scenario")
    parser.add_argument("--pages", type=int, default=6, help="how many real line arts")
    parser.add_argument("--side", type=int, default=1024, help="longer side of the pages, px")
    args = parser.parse_args()

    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from ganime_desktop.core.registry import default_registry
    from ganime_desktop.ui.main_window import MainWindow
    from ganime_desktop.ui.settings import AppSettings
    from ganime_desktop.ui.workers import wait_until

    app = QApplication.instance() or QApplication(sys.argv[:1])
    with tempfile.TemporaryDirectory(prefix="ganime-bench-") as data_dir:
        os.environ["GANIME_DATA_DIR"] = data_dir
        registry = default_registry([Path(d) for d in args.models_dir])
        models = args.model or [e.name for e in registry.defaults()] or [e.name for e in registry.available()][:2]
        settings = AppSettings(QSettings(str(Path(data_dir) / "bench.ini"), QSettings.Format.IniFormat))
        window = MainWindow(registry=registry, settings=settings)
        window.ask_before_discarding = False
        window.resize(1500, 900)
        window.show()
        rng = np.random.default_rng(0)
        results: dict[str, list[float]] = {}
        print(f"{os.cpu_count()} CPUs (load average {os.getloadavg()[0]:.1f}: other processes share them); "
              f"models {', '.join(models)}; pages at {args.side} px; shaded mode")
        for label, names in (("1 pane", models[:1]), (f"{len(models)} panes", models)):
            if label in results:
                continue
            window.reload_models(names)
            all_times = results.setdefault(label, [])
            for name, rgb in pages(args.side, args.pages).items():
                window.document.set_rgb(rgb)
                window.hint_tools.layer.reset(window.document.size())
                app.processEvents()
                window.fit_view()
                window.colour_now()
                wait_until(lambda: not window.controller.is_busy(), window.controller.busy_changed, 600_000)
                app.processEvents()
                times = time_edits(window, app, rng, args.edits)
                all_times += times
                print(f"  {label:<9} {name:<8} {rgb.shape[1]}x{rgb.shape[0]}: median {statistics.median(times):5.1f} ms,"
                      f" max {max(times):5.1f} ms")
        window.close()
        print(f"\nstroke or fill -> every pane refilled and painted, ms (load average now {os.getloadavg()[0]:.1f}):")
        for label, times in results.items():
            print(f"  {label:<9} median {statistics.median(times):5.1f}  p90 {np.percentile(times, 90):5.1f}  "
                  f"max {max(times):5.1f}  ({len(times)} edits)")


if __name__ == "__main__":
    main()
