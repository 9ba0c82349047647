"""Fixtures shared by the GUI tests (tests/test_ui_*.py); each module loads them with
``pytest_plugins = ["_ui_fixtures"]`` (helpers without fixtures live in _ui_helpers.py).

- ``isolated_settings`` (autouse there): GANIME_DATA_DIR -> a temp folder, so settings and the
  user models folder never touch the real user's; gives an AppSettings on a temp INI file.
- ``no_leaked_workers`` (autouse there): fails a test that leaves a colouring or batch worker, or
  a batch thread, running; it cancels and drains them first so one failure does not cascade.
- ``tiny_models``: a folder with two real tiny ONNX generators and a tiny style-transfer pair.
- ``make_window``: builds MainWindows on a registry of ``tiny_models`` and closes them after.
"""

from __future__ import annotations

import shutil
import threading

import pytest
from _onnx_models import make_model_dir
from PySide6.QtCore import QSettings

from ganime_desktop.core.registry import ModelRegistry
from ganime_desktop.ui import workers
from ganime_desktop.ui.settings import SETTINGS_FILE, AppSettings


@pytest.fixture
def isolated_settings(tmp_path, monkeypatch) -> AppSettings:
    data = tmp_path / "user-data"
    data.mkdir()
    monkeypatch.setenv("GANIME_DATA_DIR", str(data))
    monkeypatch.delenv("GANIME_MODELS_DIR", raising=False)
    return AppSettings(QSettings(str(data / SETTINGS_FILE), QSettings.Format.IniFormat))


@pytest.fixture
def no_leaked_workers(qapp):
    yield
    leaked = workers.live_workers()
    batch_threads = [t.name for t in threading.enumerate() if t.name.startswith("batch-")]
    for worker in leaked:
        worker.cancel()
    deadline = 200
    while (workers.live_workers() or any(t.name.startswith("batch-") for t in threading.enumerate())) and deadline:
        qapp.processEvents()
        threading.Event().wait(0.05)
        deadline -= 1
    assert not leaked, f"the test left {len(leaked)} worker(s) running"
    assert not batch_threads, f"the test left batch threads running: {batch_threads}"


@pytest.fixture(scope="session")
def tiny_models_master(tmp_path_factory):
    return make_model_dir(tmp_path_factory.mktemp("tiny-models"), names=("tiny-a", "tiny-b", "tiny-c"),
                          with_style_transfer=True)


@pytest.fixture
def tiny_models(tmp_path, tiny_models_master):
    """A private copy (tests may damage files in it)."""
    return shutil.copytree(tiny_models_master, tmp_path / "models")


@pytest.fixture
def make_window(qtbot, isolated_settings, tiny_models):
    from ganime_desktop.ui.main_window import MainWindow

    made = []

    def make(models_dir=None, settings: AppSettings | None = None, selected: list[str] | None = None,
             resize: bool = True):
        registry = ModelRegistry([models_dir or tiny_models])
        window = MainWindow(registry=registry, settings=settings or isolated_settings)
        window.ask_before_discarding = False
        qtbot.addWidget(window)
        if selected is not None:
            window.reload_models(selected)
        if resize:
            window.resize(1200, 760)
        window.show()
        qtbot.waitExposed(window)
        made.append(window)
        return window

    yield make
    for window in made:
        window.close()  # shuts its workers down and saves its settings
    qtbot.wait(1)
