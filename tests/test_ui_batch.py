"""The batch panel on the core's batch runner, offscreen, on a small real folder."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

pytest_plugins = ["_ui_fixtures"]
pytestmark = pytest.mark.usefixtures("no_leaked_workers")


def sketch_folder(folder, n: int, size: int = 96):
    folder.mkdir()
    rng = np.random.default_rng(0)
    for i in range(n):
        page = np.full((size, size + 16, 3), 255, np.uint8)
        for _ in range(4):
            p, q = rng.integers(0, size, 2), rng.integers(0, size, 2)
            cv2.line(page, tuple(int(v) for v in p), tuple(int(v) for v in q), (0, 0, 0), 2, cv2.LINE_AA)
        cv2.imwrite(str(folder / f"p{i + 1}.png"), page)
    return folder


def open_panel(window, qtbot):
    window.show_batch_panel()
    panel = window.batch_panel
    qtbot.waitExposed(panel)
    return panel


def test_batch_panel_colours_a_folder(make_window, qtbot, tmp_path):
    src = sketch_folder(tmp_path / "chapter 1", 3)
    (src / "notes.txt").write_text("not a page")
    (src / "p9.png").write_bytes(b"damaged")
    dst = tmp_path / "coloured"
    window = make_window(selected=["tiny-a", "tiny-b"])
    panel = open_panel(window, qtbot)
    assert panel.selected_models() == ["tiny-a", "tiny-b"]  # starts from the window's selection
    panel.input_edit.setText(str(src))
    panel.output_edit.setText(str(dst))
    panel.format.setCurrentText("jpg")
    panel.mode.setCurrentIndex(panel.mode.findData("raw"))
    assert not panel.progress.isTextVisible() and not panel.layers.isEnabled()  # no "0 / 100"; raw has no layers
    rates = []
    with qtbot.waitSignal(panel.finished, timeout=60000) as finished:
        assert panel.start()
        assert not panel.start_button.isEnabled() and panel.cancel_button.isEnabled()
        panel.worker.signals.yielded.connect(lambda _p: rates.append(panel.rate_label.text()))
    qtbot.waitUntil(lambda: not panel.is_running())
    report = finished.args[0]
    counts = report.counts()
    assert counts["done"] == 6 and counts["failed"] == 2 and counts["not-an-image"] == 1
    for i in (1, 2, 3):
        for model in ("tiny-a", "tiny-b"):
            out = cv2.imread(str(dst / f"p{i}_{model}.jpg"))
            assert out is not None and out.shape == (96, 112, 3)
    assert json.loads((dst / "report.json").read_text())["counts"]["done"] == 6
    # the per-file list shows every item, failures with the file name and reason
    rows = [[panel.files.topLevelItem(i).text(c) for c in range(4)] for i in range(panel.files.topLevelItemCount())]
    assert len(rows) == 9
    failed = [r for r in rows if r[2] == "failed"]
    assert len(failed) == 2 and all("p9.png" in r[0] and "not a readable image" in r[3] for r in failed)
    assert panel.progress.value() == panel.progress.maximum() == 4 and panel.progress.text() == "4 / 4 pages"
    # pages, not page x model items: the rate is the items' over the 2 models, and says so
    last = next(r for r in reversed(rates) if "colourings/min" in r)
    pages, items = (float(last.split(word)[0].split()[-1].strip("(")) for word in (" pages/min", " colourings/min"))
    assert last.startswith("4 / 4 pages") and "ETA" in last and pages == pytest.approx(items / 2, abs=0.06)
    assert "6 coloured" in panel.message.text()
    assert panel.start_button.isEnabled() and not panel.cancel_button.isEnabled()
    qtbot.wait(50)  # let the layout take the two-line summary
    window.batch_window.grab().save(str(tmp_path / "ui_batch.png"))

    # a second run skips what is there (resume), and remembers the form in the settings
    with qtbot.waitSignal(panel.finished, timeout=60000) as again:
        panel.start()
    qtbot.waitUntil(lambda: not panel.is_running())
    assert again.args[0].counts()["skipped"] == 6
    skipped = [panel.files.topLevelItem(i).text(3) for i in range(panel.files.topLevelItemCount())
               if panel.files.topLevelItem(i).text(2) == "skipped"]
    assert len(skipped) == 6 and all(panel.overwrite.text() in d and "--overwrite" not in d for d in skipped)
    assert panel.overwrite.text() in panel.message.text()  # the box that redoes them, not a command-line flag
    assert window.settings.batch_value("input") == str(src)
    assert window.settings.batch_value("format") == "jpg" and window.settings.batch_value("mode") == "raw"


def test_batch_panel_cancel(make_window, qtbot, tmp_path):
    src = sketch_folder(tmp_path / "in", 150, size=48)
    window = make_window(selected=["tiny-a"])
    panel = open_panel(window, qtbot)
    panel.input_edit.setText(str(src))
    panel.output_edit.setText(str(tmp_path / "out"))
    with qtbot.waitSignal(panel.finished, timeout=60000) as finished:
        panel.start()
        # cancel as soon as the runner reports its start (the pages are then being coloured)
        panel.worker.signals.yielded.connect(lambda _p: panel.cancel())
    qtbot.waitUntil(lambda: not panel.is_running())
    report = finished.args[0]
    assert report.cancelled and report.counts()["cancelled"] > 0
    assert "Cancelled" in panel.message.text()
    done = report.counts()["done"]  # the bar counts the pages coloured, not those cancelled
    assert panel.progress.value() == done < panel.progress.maximum() == 150
    assert panel.progress.text() == f"{done} / 150 pages (cancelled)"
    written = {p.name for p in (tmp_path / "out").glob("p*.png")}
    assert len(written) == report.counts()["done"]  # nothing half-written for cancelled pages
    assert not list((tmp_path / "out").glob(".*part"))


def test_batch_panel_explains_what_is_missing(make_window, qtbot, tmp_path):
    window = make_window(selected=["tiny-a"])
    panel = open_panel(window, qtbot)
    assert not panel.start()
    assert "folder of sketches" in panel.message.text()
    panel.input_edit.setText(str(tmp_path / "does-not-exist"))
    panel.mode.setCurrentIndex(panel.mode.findData("flat"))
    panel.layers.setChecked(True)
    options = panel.options()  # hints fill regions for every model in the flat and shaded modes
    assert options.mode == "flat" and options.layers and options.hints_dir == tmp_path / "does-not-exist"
    assert panel.start()
    qtbot.waitUntil(lambda: not panel.is_running(), timeout=20000)
    assert "does not exist" in panel.message.text()
    assert panel.start_button.isEnabled()
