"""How fast the desktop app feels: start-to-window time and colouring latency per model.

    python benchmarks/app_latency.py [--models-dir DIR] [--device auto|cpu|cuda] [--runs N]

1. Start to window: launches ``python -m ganime_desktop`` in a subprocess (the way users start
   it, offscreen here) and measures from the launch until the event loop has shown the window
   with the sample sketch, ``--runs`` times; prints each and the median.
2. Colouring latency per installed model, on a 256x256 sketch and on an A4 page at 300 dpi
   (2480x3508), both from the shipped sample sketch:
   - ``first``: the first colouring, which includes the sha256 check and the session load;
   - ``core``: median of the core's Colorizer.colorize (what every path calls);
   - ``window``: median from pressing Colour in a real MainWindow (offscreen) until the pane
     shows the result (worker thread, signals and QImage conversion included).
Style-transfer models get a synthetic colourful reference image.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

# Run as the child of part 1: start the app, report when the window is up, quit.
CHILD = r"""
import sys, time
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
app = QApplication(sys.argv[:1])
def shown():
    win = next((w for w in app.topLevelWidgets() if w.isVisible() and w.isWindow()), None)
    print("SHOWN" if win is not None else "NOT-SHOWN", flush=True)
    app.quit()
QTimer.singleShot(0, shown)  # runs once the event loop has started, i.e. after window.show()
from ganime_desktop.cli import main
sys.exit(main(sys.argv[1:]))
"""


def start_to_window(models_dirs: list[str], runs: int, data_dir: str) -> list[float]:
    args = [a for d in models_dirs for a in ("--models-dir", d)]
    env = {**os.environ, "GANIME_DATA_DIR": data_dir, "QT_QPA_PLATFORM": os.environ["QT_QPA_PLATFORM"]}
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        proc = subprocess.run([sys.executable, "-c", CHILD, *args], cwd=REPO, env=env, capture_output=True,
                              text=True, timeout=120)
        elapsed = time.perf_counter() - t0
        if "SHOWN" not in proc.stdout.split():
            raise SystemExit(f"the app did not show its window:\n{proc.stdout}\n{proc.stderr}")
        times.append(elapsed)
    return times


def test_images():
    import cv2
    import numpy as np

    from ganime_desktop.core.imageio import read_image
    from ganime_desktop.ui.app import sample_sketch_path

    sample = read_image(sample_sketch_path())

    def on_paper(h: int, w: int) -> np.ndarray:
        """The sample scaled to fit h x w, centred on white paper."""
        s = min(h / sample.shape[0], w / sample.shape[1])
        sh, sw = round(sample.shape[0] * s), round(sample.shape[1] * s)
        page = np.full((h, w, 3), 255, np.uint8)
        y, x = (h - sh) // 2, (w - sw) // 2
        interp = cv2.INTER_AREA if s < 1 else cv2.INTER_CUBIC
        page[y:y + sh, x:x + sw] = cv2.resize(sample, (sw, sh), interpolation=interp)
        return page

    yy, xx = np.mgrid[0:256, 0:256].astype(np.float32) / 255.0
    reference = (np.stack([0.9 * xx + 0.1, 0.5 + 0.4 * np.sin(6 * yy), 1.0 - 0.8 * xx * yy], axis=2) * 255)
    return {"256x256": on_paper(256, 256), "A4 2480x3508": on_paper(3508, 2480)}, reference.astype(np.uint8)


def core_latency(registry, device: str, runs: int):
    from ganime_desktop.core.pipeline import ColorizerCache

    images, reference = test_images()
    cache = ColorizerCache(registry)
    rows = []
    for entry in registry.available():
        for label, sketch in images.items():
            t0 = time.perf_counter()
            colorizer = cache.get(entry.name, device)
            ref = reference if colorizer.needs_reference else None
            colorizer.colorize(sketch, reference=ref)
            first = time.perf_counter() - t0
            times = []
            for _ in range(runs if sketch.shape[0] <= 256 else max(1, runs // 2)):
                t0 = time.perf_counter()
                colorizer.colorize(sketch, reference=ref)
                times.append(time.perf_counter() - t0)
            rows.append((entry.name, label, first, statistics.median(times), colorizer.provider_info.describe()))
    return rows


def window_latency(registry, device: str, runs: int, data_dir: str):
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from ganime_desktop.core.imageio import write_image_atomic
    from ganime_desktop.ui.main_window import MainWindow
    from ganime_desktop.ui.settings import AppSettings
    from ganime_desktop.ui.workers import wait_until

    app = QApplication.instance() or QApplication(sys.argv[:1])
    images, reference = test_images()
    settings = AppSettings(QSettings(str(Path(data_dir) / "bench.ini"), QSettings.Format.IniFormat))
    window = MainWindow(registry=registry, settings=settings)
    window.ask_before_discarding = False
    window.models.set_device(device)
    window.resize(1400, 860)
    window.show()
    ref_path = Path(data_dir) / "reference.png"
    write_image_atomic(ref_path, reference)
    window.set_reference(str(ref_path))  # what "Choose reference…" does after its file dialog
    rows = {}
    for entry in registry.available():
        window.reload_models([entry.name])
        for label, sketch in images.items():
            window.document.set_rgb(sketch)  # a new page colours by itself: let that finish first
            wait_until(lambda: not window.controller.is_busy(), window.controller.busy_changed, 600_000)
            times = []
            for _ in range(runs if sketch.shape[0] <= 256 else max(1, runs // 2)):
                t0 = time.perf_counter()
                window.colour_now()
                wait_until(lambda: not window.controller.is_busy(), window.controller.busy_changed, 600_000)
                app.processEvents()  # the pane's repaint
                times.append(time.perf_counter() - t0)
            pane = window.compare.panes[0]
            if pane.rgb is None:
                raise SystemExit(f"{entry.name}: no result in the window ({pane.view.message})")
            rows[(entry.name, label)] = statistics.median(times)
    window.close()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models-dir", action="append", default=[], help="extra models folder (repeatable)")
    parser.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    import onnxruntime as ort

    from ganime_desktop.core.registry import default_registry

    with tempfile.TemporaryDirectory(prefix="ganime-bench-") as data_dir:
        os.environ["GANIME_DATA_DIR"] = data_dir  # no user settings or user models in the numbers
        registry = default_registry([Path(d) for d in args.models_dir])
        print(f"onnxruntime {ort.__version__}, providers {ort.get_available_providers()}, "
              f"{os.cpu_count()} CPUs, QT_QPA_PLATFORM={os.environ['QT_QPA_PLATFORM']}")
        names = [f"{e.name} ({e.spec.approach}, {e.spec.input.working_size}px working size)"
                 for e in registry.available()]
        print("models: " + (", ".join(names) or "none installed"))

        times = start_to_window(args.models_dir, args.runs, data_dir)
        print(f"\nstart to window (python -m ganime_desktop, sample sketch): median {statistics.median(times):.2f} s "
              f"({', '.join(f'{t:.2f}' for t in times)})")
        if not registry.available():
            print("no models: nothing to colour")
            return
        core = core_latency(registry, args.device, args.runs)
        window = window_latency(registry, args.device, args.runs, data_dir)
        print(f"\ncolouring latency (device {args.device}), seconds:")
        print(f"{'model':<18}{'sketch':<15}{'first':>8}{'core':>9}{'window':>9}  provider")
        for name, label, first, median, provider in core:
            print(f"{name:<18}{label:<15}{first:>8.3f}{median:>9.3f}{window[(name, label)]:>9.3f}  {provider}")


if __name__ == "__main__":
    main()
