"""The ``ganime`` command: ``ganime colorize ...`` runs the headless batch (no Qt imported),
``ganime --selftest`` checks every installed model (no Qt), ``ganime --version`` prints the
version (no Qt), anything else starts the desktop app (ganime_desktop.ui.app.run_app parses its own options).

Both accept ``--models-dir DIR`` (repeatable) to add a folder of models; the environment
variable GANIME_MODELS_DIR (os.pathsep-separated) does the same for both via default_registry().
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    # onnxruntime 1.31 starts Microsoft's telemetry client when imported: it writes a device id and an
    # event database into ~/.cache/Microsoft/DeveloperTools/.onnxruntime (left behind after an
    # uninstall) and may try to send events. The app opens no network connection and keeps nothing
    # outside its data folder, so it switches that off before anything imports onnxruntime.
    os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
    if argv[:1] in (["--version"], ["-V"]):
        from .version import version_line

        print(version_line())
        return 0
    if argv and argv[0] == "colorize":
        from .batch_cli import run_colorize

        return run_colorize(argv[1:])
    if "--selftest" in argv:
        from .selftest import selftest_main  # Qt-free check of every model (installers, CI)

        return selftest_main(argv)
    from .ui.app import run_app  # Qt is imported only here

    return run_app(argv)
