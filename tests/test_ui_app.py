"""The window as a whole: settings kept between runs, About, no models installed, the worker
mechanism, and ``ganime --screenshot`` end to end in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import cv2
import numpy as np
import onnxruntime as ort
import PIL
import pytest
from _ui_helpers import draw
from PySide6.QtCore import QByteArray, qVersion

from ganime_desktop.ui.app import sample_sketch_path
from ganime_desktop.ui.settings import AppSettings, open_qsettings
from ganime_desktop.ui.workers import GeneratorWorker, live_workers, new_pool, wait_for_pool

pytest_plugins = ["_ui_fixtures"]
pytestmark = pytest.mark.usefixtures("no_leaked_workers")
REPO = Path(__file__).resolve().parents[1]


def test_settings_are_restored_in_a_new_window(make_window, isolated_settings, qtbot, tmp_path):
    first = make_window()
    assert Path(isolated_settings.file_name).parent == Path(os.environ["GANIME_DATA_DIR"])
    first.models.set_checked("tiny-a", False)
    first.models.set_checked("tiny-b", True)
    first.models.set_device("cpu")
    first.actions["auto_recolour"].setChecked(True)
    first.tools.width.setValue(7)
    first.resize(700, 650)  # inside the offscreen screen (800x800), which restoreGeometry respects
    page = tmp_path / "page.png"
    cv2.imwrite(str(page), np.full((64, 64, 3), 255, np.uint8))
    first.open_path(page)
    first.close()

    # the environment variable alone (no settings object passed) reaches the same file
    assert AppSettings(open_qsettings()).selected_models() == ["tiny-b"]
    second = make_window(settings=AppSettings(open_qsettings()), resize=False)
    assert second.models.selected() == ["tiny-b"]
    assert [p.name for p in second.compare.panes] == ["tiny-b"]
    assert second.controller.device == "cpu" and second.models.device.currentData() == "cpu"
    assert second.actions["auto_recolour"].isChecked()
    assert second.canvas.widths["pen"] == 7 and second.tools.width.value() == 7
    assert second.settings.last_dir("open") == str(tmp_path)
    assert isinstance(second.settings.window_geometry(), QByteArray)
    assert (second.width(), second.height()) == (700, 650)


def test_about_shows_versions_models_and_providers(make_window, tmp_path):
    window = make_window()
    dialog = window.show_about()
    text = dialog.text
    for needle in (ort.__version__, qVersion(), np.__version__, PIL.__version__, "tiny-a", "tiny-style",
                   "CPUExecutionProvider", "Settings file"):
        assert needle in text, needle
    dialog.grab().save(str(tmp_path / "ui_about.png"))
    dialog.close()


def test_no_models_installed_says_how_to_get_them(make_window, tmp_path):
    empty = tmp_path / "no-models"
    empty.mkdir()
    window = make_window(models_dir=empty)
    assert window.models.empty_label.isVisible() and not window.models.list.isVisible()
    assert "No colourization models" in window.models.empty_label.text()
    assert "--models-dir" in window.models.empty_label.text()
    assert window.compare.panes == []
    window.colour_now()  # says what to do instead of failing
    assert "model" in window.statusBar().currentMessage()
    window.document.new_blank(200, 200)
    draw(window.canvas, [(10, 10), (190, 190)])  # drawing still works
    assert window.document.undo_stack.count() == 1
    window.grab().save(str(tmp_path / "ui_no_models.png"))


def test_generator_worker_is_cancelled_between_yields(qapp, qtbot):
    reached, steps = threading.Event(), []

    def job(cancel, n):
        for i in range(n):
            yield i
            if i == 2:  # wait here until the UI thread cancels
                reached.set()
                assert cancel.event.wait(10)
        return "finished"

    worker = GeneratorWorker(job, 1000)
    got = {}
    worker.signals.yielded.connect(steps.append)
    worker.signals.returned.connect(lambda r: got.setdefault("returned", r))
    worker.signals.cancelled.connect(lambda: got.setdefault("cancelled", True))
    pool = new_pool(1)
    pool.start(worker)
    assert reached.wait(10)
    worker.cancel()
    assert wait_for_pool(pool, 10000)
    assert got == {"cancelled": True} and steps == [0, 1, 2]
    assert worker not in live_workers()


def test_generator_worker_reports_errors(qapp):
    def job(cancel):
        yield "loading"
        raise ValueError("bad page")

    worker = GeneratorWorker(job)
    errors = []
    worker.signals.errored.connect(errors.append)
    pool = new_pool(1)
    pool.start(worker)
    assert wait_for_pool(pool, 10000)
    assert len(errors) == 1 and str(errors[0]) == "bad page" and "ValueError" in errors[0].traceback_text


def test_closing_the_window_stops_its_workers(make_window, qtbot):
    window = make_window(selected=["tiny-a", "tiny-b", "tiny-c"])
    window.open_path(sample_sketch_path())
    window.colour_now()
    window.close()  # must cancel and wait, not leave threads behind
    assert not window.controller.is_busy() and not live_workers()


def test_screenshot_subprocess_writes_the_window(tmp_path, tiny_models_master):
    out = tmp_path / "shot.png"
    env = {**os.environ, "GANIME_DATA_DIR": str(tmp_path / "data"), "QT_QPA_PLATFORM": "offscreen"}
    env.pop("GANIME_MODELS_DIR", None)
    proc = subprocess.run([sys.executable, "-m", "ganime_desktop", "--models-dir", str(tiny_models_master),
                           "--screenshot", str(out)], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr
    shot = cv2.imread(str(out))
    assert shot is not None and shot.shape[0] >= 600 and shot.shape[1] >= 1000, proc.stderr
    assert not (tmp_path / "data" / "settings.ini").exists()  # a smoke run leaves the settings alone
    # the right third (the last result pane) is coloured, not gray or white; the page fills about
    # half of the pane's area, and the shipped models colour in pastel tones on white paper
    right = cv2.cvtColor(shot[100:-100, shot.shape[1] * 2 // 3:], cv2.COLOR_BGR2HSV)
    coloured = (right[:, :, 1] > 40).mean()
    assert coloured > 0.1, f"result pane looks uncoloured ({coloured:.2f}); stderr: {proc.stderr}"


def test_screenshot_fails_cleanly_for_a_bad_path(tmp_path):
    env = {**os.environ, "GANIME_DATA_DIR": str(tmp_path / "data"), "QT_QPA_PLATFORM": "offscreen"}
    proc = subprocess.run([sys.executable, "-m", "ganime_desktop", "--screenshot", str(tmp_path / "nope" / "x.png")],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0
    assert "does not exist" in proc.stderr and "Traceback" not in proc.stderr


def test_long_sessions_survive_the_pinned_pyside(tmp_path):
    """PySide6 6.12.0 on Python 3.11 drops a reference to None per void call and to True per emit, so
    a GUI aborts with 'Fatal Python error' after minutes; pyproject pins a release without the bug."""
    script = (
        "import ganime_desktop.ui\n"
        "from PySide6.QtCore import QObject, Signal\n"
        "from PySide6.QtWidgets import QApplication, QWidget\n"
        "app = QApplication([])\n"
        "class O(QObject):\n    s = Signal(object)\n"
        "o, w = O(), QWidget()\n"
        "o.s.connect(lambda v: None)\n"
        "for i in range(20000):\n    w.update(); w.setEnabled(i % 2 == 0); o.s.emit(i)\n"
        "print('survived')\n")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    proc = subprocess.run([sys.executable, "-c", script], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0 and "survived" in proc.stdout, proc.stderr[-2000:]


def test_save_sketch_and_add_a_models_folder(make_window, tmp_path, tiny_models, qtbot):
    empty = tmp_path / "none"
    empty.mkdir()
    window = make_window(models_dir=empty)
    window.document.new_blank(120, 80)
    draw(window.canvas, [(10, 40), (110, 40)])
    out = tmp_path / "mine.png"
    assert window.save_sketch(out)
    saved = cv2.imread(str(out))
    assert saved.shape == (80, 120, 3) and saved[40, 60].max() < 80
    assert window.document.undo_stack.isClean() and "mine.png" in window.windowTitle()

    window.add_models_folder(tiny_models)
    assert {"tiny-a", "tiny-b"} <= {e.name for e in window.registry.entries()}
    assert window.models.list.isVisible() and window.compare.panes
    assert str(tiny_models) in window.settings.extra_model_dirs()  # offered again next time
