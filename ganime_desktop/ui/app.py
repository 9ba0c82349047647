"""The GUI entry point: ``run_app(argv)`` behind ``ganime`` and ``python -m ganime_desktop``.

    ganime [SKETCH] [--models-dir DIR ...] [--device auto|cpu|cuda] [--screenshot PNG]

Opens the window with SKETCH, else the sketch opened last time, else the sample sketch, and the
default models (or those ticked last time), and colours it in the background once the window shows. ``--screenshot``
does the same offscreen, colours the sketch with every default model, waits for the workers,
saves the window as a PNG and exits: a smoke test of the whole app, also used for the docs.
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from pathlib import Path

from ganime_desktop.version import version_line

SCREENSHOT_TIMEOUT_S = 600.0  # a big real model on a slow CPU, first load included


def sample_sketch_path() -> Path:
    """The shipped sample sketch (repo checkout or PyInstaller bundle)."""
    root = getattr(sys, "_MEIPASS", None)
    base = Path(root) if root else Path(__file__).resolve().parents[2]
    return base / "assets" / "samples" / "sketch_bust.png"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ganime", description="GANime Studio: colour manga and anime line art with neural networks. "
                                   "Use 'ganime colorize --help' for headless batch colouring.")
    parser.add_argument("sketch", nargs="?", help="an image to open instead of the sample sketch")
    parser.add_argument("-V", "--version", action="version", version=version_line())
    parser.add_argument("--models-dir", action="append", default=[], metavar="DIR", type=Path,
                        help="also offer the models in DIR (a folder with manifest.json); repeatable")
    parser.add_argument("--device", choices=("auto", "cpu", "cuda"),
                        help="where models run (default: the saved choice, else auto)")
    parser.add_argument("--screenshot", metavar="PNG", type=Path,
                        help="offscreen: colour the sketch with the default models, save the window "
                             "to PNG and exit")
    return parser


def _fail(message: str) -> int:
    print(f"ganime: {message}", file=sys.stderr)
    return 1


def run_app(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    for folder in args.models_dir:
        if not folder.is_dir():
            return _fail(f"--models-dir {folder}: no such folder")
    if args.screenshot is not None:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        if not args.screenshot.parent.is_dir():
            return _fail(f"--screenshot {args.screenshot}: the folder {args.screenshot.parent} does not exist")

    # the widgets are imported only now: `ganime --help` and argument errors answer at once
    from PySide6.QtWidgets import QApplication

    from .about import APP_NAME, ICON_NAME, add_cuda_hint, app_icon
    from .main_window import MainWindow
    from .settings import APPLICATION, ORGANIZATION

    app = QApplication.instance() or QApplication([sys.argv[0] if sys.argv else "ganime"])
    app.setApplicationName(APPLICATION)
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationDisplayName(APP_NAME)
    app.setWindowIcon(app_icon())  # every window and dialog, and the taskbar
    app.setDesktopFileName(ICON_NAME)  # ties the windows to ganime-studio.desktop (Wayland, taskbars)

    settings = None
    if args.screenshot is not None:  # a throwaway settings file: a smoke run must not change the user's
        import tempfile

        from PySide6.QtCore import QSettings

        from .settings import SETTINGS_FILE, AppSettings

        scratch = tempfile.TemporaryDirectory(prefix="ganime-screenshot-")
        settings = AppSettings(QSettings(str(Path(scratch.name) / SETTINGS_FILE), QSettings.Format.IniFormat))
    # Into the window (justified): the launcher makes it and drives it through its public methods
    # (open the first sketch, colour for --screenshot, close); nothing here reaches into its parts
    window = MainWindow(settings=settings, extra_model_dirs=args.models_dir, device=args.device)
    for notice in window.model_notices():  # the log; the About box lists them too
        print(f"ganime: note: {notice}", file=sys.stderr)
    open_first_sketch(window, args.sketch, remembered=args.screenshot is None)
    add_cuda_hint(window)  # an NVIDIA GPU without the CUDA add-on: say how to get it

    if args.screenshot is not None:
        return _screenshot(app, window, args.screenshot)

    _install_error_dialog(window)
    # the opening sketch is coloured as soon as the window has shown (colouring.py): the window
    # first, then the default model's pane, then the others, one model at a time
    window.show()
    code = app.exec()
    window.shutdown_workers()  # the loop can also end without closing the window (app.quit())
    return code


def open_first_sketch(window, sketch: str | None, remembered: bool = True) -> bool:
    """Open ``sketch``, else (``remembered``) the sketch opened last time, else the sample sketch,
    which opens untitled: a starting point, not a file to overwrite. False if none opened."""
    return window.open_first_sketch(sketch, sample_sketch_path(), remembered)


def _install_error_dialog(window) -> None:
    """An unexpected error in a slot shows a message with the details instead of vanishing in a console."""
    previous = sys.excepthook

    def hook(exc_type, exc, tb):
        details = "".join(traceback.format_exception(exc_type, exc, tb))
        print(details, file=sys.stderr)
        try:
            box = window.show_message("Unexpected error",
                                      f"{exc_type.__name__}: {exc}\n\nThe app keeps running; please report this "
                                      "with the details (Help → About has the versions).")
            box.setDetailedText(details)
        except Exception:  # noqa: BLE001 - the window itself may be gone
            previous(exc_type, exc, tb)

    sys.excepthook = hook


def _screenshot(app, window, out: Path) -> int:
    from ganime_desktop.core.imageio import ImageWriteError, write_image_atomic

    from .qimage import qimage_to_rgb

    window.ask_before_discarding = False
    window.resize(1500, 900)
    problems = window.colour_with_defaults(int(SCREENSHOT_TIMEOUT_S * 1000))
    status = 0
    if problems is None:
        print("ganime: no models installed; the screenshot shows how to get them", file=sys.stderr)
    for problem in problems or []:
        status = _fail(problem)
    app.processEvents()
    try:
        write_image_atomic(out, qimage_to_rgb(window.grab().toImage()))
    except ImageWriteError as exc:
        status = _fail(str(exc))
    else:
        print(f"Saved the window to {out}")
    window.close()
    window.deleteLater()
    app.processEvents()
    return status
