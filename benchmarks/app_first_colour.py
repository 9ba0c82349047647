"""How soon the app shows something coloured: launch to window, to the first coloured pane, to all.

    python benchmarks/app_first_colour.py [--runs N] [--models-dir DIR] [--platform offscreen|xcb] [--busy N]

Launches ``python -m ganime_desktop`` (the way users start it: the sample sketch and the default
models, fresh settings) ``--runs`` times and prints, per run and as medians, the seconds from the
launch until

- ``window``: the event loop has shown the window,
- ``first``: the first result pane shows a colouring,
- ``all``: every ticked pane shows one.

The clock starts before the interpreter (imports included). Prints numbers; it is not a test:
they depend on the machine and its load (``--platform xcb`` needs a display, e.g. Xvfb).
``--busy N`` keeps N busy-looping processes running meanwhile: the app on a machine that is
doing other work (a build, a browser), as artists' machines are.
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

# The child: the app itself, plus a hook that reports when the window is up and when panes colour.
CHILD = r"""
import sys, time
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
app = QApplication(sys.argv[:1])
coloured = set()
def report(what):
    print(f"{what} {time.time():.4f}", flush=True)
def on_pane(window, name):
    pane = window.compare.pane(name)
    if pane is None or pane.rgb is None or name in coloured:
        return
    coloured.add(name)
    if len(coloured) == 1:
        report("FIRST")
    if coloured >= {p.name for p in window.compare.panes}:
        report("ALL")
        app.quit()
def shown():
    window = next((w for w in app.topLevelWidgets() if w.isVisible() and hasattr(w, "colouring")), None)
    if window is None:
        print("NOT-SHOWN", flush=True)
        app.quit()
        return
    report("SHOWN")
    window.ask_before_discarding = False
    window.colouring.pane_updated.connect(lambda name: on_pane(window, name))
    QTimer.singleShot(120_000, app.quit)
QTimer.singleShot(0, shown)  # runs once the event loop has started, i.e. after window.show()
from ganime_desktop.cli import main
sys.exit(main(sys.argv[1:]))
"""


def one_run(models_dirs: list[str], platform: str) -> dict[str, float]:
    args = [a for d in models_dirs for a in ("--models-dir", d)]
    with tempfile.TemporaryDirectory(prefix="ganime-bench-") as data_dir:
        env = {**os.environ, "GANIME_DATA_DIR": data_dir, "QT_QPA_PLATFORM": platform}
        t0 = time.time()
        proc = subprocess.run([sys.executable, "-c", CHILD, *args], cwd=REPO, env=env, capture_output=True,
                              text=True, timeout=180)
    marks = {}
    for line in proc.stdout.splitlines():
        what, _sep, when = line.partition(" ")
        if what in ("SHOWN", "FIRST", "ALL"):
            marks[what.lower()] = float(when) - t0
    if "shown" not in marks or "all" not in marks:
        raise SystemExit(f"the app did not show and colour its window:\n{proc.stdout}\n{proc.stderr[-3000:]}")
    return marks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--models-dir", action="append", default=[], help="extra models folder (repeatable)")
    parser.add_argument("--platform", default=os.environ.get("QT_QPA_PLATFORM", "offscreen"),
                        help="Qt platform plugin (default: $QT_QPA_PLATFORM, else offscreen)")
    parser.add_argument("--busy", type=int, default=0, metavar="N", help="busy-looping processes meanwhile")
    args = parser.parse_args()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"{os.cpu_count()} CPUs, load {load:.1f} before, {args.busy} busy processes, "
          f"QT_QPA_PLATFORM={args.platform}, {args.runs} runs")
    hogs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(args.busy)]
    runs = []
    try:
        for i in range(args.runs):
            marks = one_run(args.models_dir, args.platform)
            runs.append(marks)
            print(f"run {i + 1}: window {marks['shown']:.2f} s, first pane {marks['first']:.2f} s, "
                  f"all panes {marks['all']:.2f} s")
    finally:
        for hog in hogs:
            hog.kill()
            hog.wait()
    print("median: " + ", ".join(f"{label} {statistics.median(r[key] for r in runs):.2f} s"
                                 for key, label in (("shown", "window"), ("first", "first pane"),
                                                    ("all", "all panes"))))


if __name__ == "__main__":
    main()
