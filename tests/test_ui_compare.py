"""Colouring in the window with real tiny ONNX models: panes side by side, cancel, a damaged
model, the reference model, keys 1-9, saving and copying, recolour after a stroke."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from _ui_helpers import SAMPLE_H, SAMPLE_W, draw, wait_done
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from ganime_desktop.ui import compare_panes
from ganime_desktop.ui.app import sample_sketch_path

pytest_plugins = ["_ui_fixtures"]
pytestmark = pytest.mark.usefixtures("no_leaked_workers")


def test_two_models_colour_into_two_panes(make_window, qtbot, tmp_path):
    window = make_window(selected=["tiny-a", "tiny-b"])
    window.open_path(sample_sketch_path())
    window.actions["colour"].trigger()
    assert window.actions["cancel"].isEnabled()
    wait_done(qtbot, window)
    a, b = window.compare.panes
    assert (a.name, b.name) == ("tiny-a", "tiny-b")
    assert a.state == b.state == compare_panes.DONE
    sketch = window.document.to_rgb()
    for pane in (a, b):
        assert pane.rgb.shape == (SAMPLE_H, SAMPLE_W, 3)
        assert "ms on CPU" in pane.header.text()
        paper = pane.rgb[sketch.min(axis=2) == 255]
        assert np.abs(paper.astype(int) - 255).mean() > 10  # the paper got a colour, unlike the sketch
    assert np.abs(a.rgb.astype(int) - b.rgb.astype(int)).mean() > 10  # two models, two colourings
    assert window.provider_label.text().startswith("Provider: CPU")  # no GPU here; says why in the tooltip
    assert not window.actions["cancel"].isEnabled()
    window.grab().save(str(tmp_path / "ui_compare_two.png"))


def test_cancel_stops_the_queued_models(make_window, qtbot):
    window = make_window(selected=["tiny-a", "tiny-b", "tiny-c"])
    window.open_path(sample_sketch_path())
    window.colour_now()
    window.actions["cancel"].trigger()  # before the event loop ran: the last two are still queued
    wait_done(qtbot, window)
    states = [p.state for p in window.compare.panes]
    assert states[1:] == [compare_panes.CANCELLED, compare_panes.CANCELLED]
    assert states[0] in (compare_panes.CANCELLED, compare_panes.DONE)  # the first may have finished
    assert window.compare.panes[2].rgb is None
    # and colouring again afterwards works
    window.colour_now()
    wait_done(qtbot, window)
    assert all(p.state == compare_panes.DONE for p in window.compare.panes)


def test_a_new_request_replaces_the_running_one(make_window, qtbot):
    window = make_window(selected=["tiny-a"])
    window.document.new_blank(256, 256)
    window.colour_now()
    draw(window.canvas, [(20, 128), (236, 128)])
    window.colour_now()  # the first result, if it arrives, is stale and must be dropped
    wait_done(qtbot, window)
    pane = window.compare.panes[0]
    assert pane.state == compare_panes.DONE
    line = pane.rgb[128, 60:200].astype(int).sum(axis=1)
    assert line.mean() < pane.rgb[20, 60:200].astype(int).sum(axis=1).mean() - 100  # the stroke is in it


def test_damaged_model_is_reported_and_the_others_work(make_window, qtbot, tiny_models, tmp_path):
    onnx_file = tiny_models / "tiny-b.onnx"
    data = bytearray(onnx_file.read_bytes())
    data[len(data) // 2:len(data) // 2 + 64] = b"\0" * 64  # same size, wrong content: only sha256 tells
    onnx_file.write_bytes(bytes(data))
    (tiny_models / "tiny-c.onnx").write_bytes(b"truncated")  # wrong size: caught when the list loads

    window = make_window(selected=["tiny-a", "tiny-b", "tiny-c"])
    items = {window.models.list.item(i).data(Qt.ItemDataRole.UserRole): window.models.list.item(i)
             for i in range(window.models.list.count())}
    assert not items["tiny-c"].flags() & Qt.ItemFlag.ItemIsEnabled  # greyed from the start
    assert "tiny-c.onnx" in items["tiny-c"].toolTip()
    assert "tiny-c" not in window.models.selected()
    assert window.models.problems_label.isVisible()

    window.open_path(sample_sketch_path())
    window.colour_now()
    wait_done(qtbot, window)
    a, b = window.compare.panes
    assert a.state == compare_panes.DONE
    assert b.state == compare_panes.FAILED and "sha256" in b.view.message and "tiny-b.onnx" in b.view.message
    window.grab().save(str(tmp_path / "ui_damaged_model.png"))
    # the broken model is now greyed in the list with its reason, and untick-ed
    item = window.models.list.item(1)
    assert item.data(Qt.ItemDataRole.UserRole) == "tiny-b"
    assert not item.flags() & Qt.ItemFlag.ItemIsEnabled and "sha256" in item.toolTip()
    assert window.models.selected() == ["tiny-a"]
    window.colour_now()  # the rest keeps working
    wait_done(qtbot, window)
    assert window.compare.panes[0].state == compare_panes.DONE


def test_colour_from_reference(make_window, qtbot, tmp_path):
    window = make_window(selected=["tiny-style"])
    item = window.models.list.item(3)
    assert item.text() == "Colour from reference"
    assert window.models.reference_box.isVisible()
    window.open_path(sample_sketch_path())
    window.colour_now()
    wait_done(qtbot, window)
    pane = window.compare.panes[0]  # it does not run without a reference, and says what is missing
    assert pane.state == compare_panes.IDLE and "reference image" in pane.view.message

    reference = np.zeros((120, 160, 3), np.uint8)
    reference[:] = (40, 90, 200)  # BGR: an orange picture
    path = tmp_path / "orange.png"
    cv2.imwrite(str(path), reference)
    assert window.set_reference(str(path))
    assert window.models.reference_label.text() == "orange.png"
    window.colour_now()
    wait_done(qtbot, window)
    assert pane.state == compare_panes.DONE and pane.rgb.shape == (SAMPLE_H, SAMPLE_W, 3)
    window.grab().save(str(tmp_path / "ui_reference.png"))


def test_keys_focus_panes_and_results_can_be_saved_and_copied(make_window, qtbot, tmp_path):
    window = make_window(selected=["tiny-a", "tiny-b"])
    window.open_path(sample_sketch_path())
    window.colour_now()
    wait_done(qtbot, window)
    window.canvas.setFocus()
    QTest.keyClick(window, Qt.Key.Key_2)
    assert window.compare.focused is window.compare.panes[1]
    QTest.keyClick(window, Qt.Key.Key_1)
    assert window.compare.focused is window.compare.panes[0]

    window.files.copy_result()
    copied = QApplication.clipboard().image()
    assert (copied.width(), copied.height()) == (SAMPLE_W, SAMPLE_H)

    written = window.files.save_all(tmp_path)
    assert sorted(p.name for p in written) == ["sketch_bust_tiny-a.png", "sketch_bust_tiny-b.png"]
    saved = cv2.cvtColor(cv2.imread(str(written[1])), cv2.COLOR_BGR2RGB)
    assert np.array_equal(saved, window.compare.panes[1].rgb)


def test_recolour_after_each_stroke(make_window, qtbot):
    window = make_window(selected=["tiny-a"])
    window.document.new_blank(256, 256)
    window.actions["auto_recolour"].setChecked(True)
    draw(window.canvas, [(30, 30), (220, 220)])
    assert window.recolour_timer.isActive()  # debounced, not run inside the mouse handler
    qtbot.waitUntil(lambda: window.compare.panes[0].state == compare_panes.DONE, timeout=20000)
    wait_done(qtbot, window)
    window.actions["auto_recolour"].setChecked(False)
    draw(window.canvas, [(30, 220), (220, 30)])
    assert not window.recolour_timer.isActive()
    assert "outdated" in window.compare.panes[0].header.text()


def test_status_bar_tells_when_cuda_was_asked_for_but_not_obtained(make_window, qtbot):
    window = make_window(selected=["tiny-a"])
    window.models.set_device("cuda")
    assert window.controller.device == "cuda"
    window.document.new_blank(64, 64)
    window.colour_now()
    wait_done(qtbot, window)
    info = window.controller.provider
    assert info.requested == "cuda"
    if info.active == "CUDA":  # a machine with a working GPU
        assert window.provider_label.text() == "Provider: CUDA"
    else:
        assert window.provider_label.text() == "Provider: CPU — CUDA not available"
        assert info.reason and info.reason in window.provider_label.toolTip()
        assert "CUDA was requested" in window.statusBar().currentMessage()


def test_a_model_without_its_gpu_file_is_offered_and_colours_on_the_cpu(make_window, qtbot, tiny_models):
    """The CPU package's layout: a generator with an int8 file but without its float file (the CUDA
    add-on brings that) is listed as usable, says why in its tooltip and the About box, and colours."""
    from _onnx_models import TINTS, make_generator_onnx, with_int8_file

    from ganime_desktop.core.manifest import MANIFEST_NAME, load_manifest, write_manifest
    from ganime_desktop.ui.about import about_text

    int8 = make_generator_onnx(tiny_models / "tiny-b.cpu-int8.onnx", seed=7, tint=TINTS["tiny-b"])
    specs = load_manifest(tiny_models / MANIFEST_NAME)
    write_manifest(tiny_models / MANIFEST_NAME, [with_int8_file(s, int8) if s.name == "tiny-b" else s for s in specs])
    (tiny_models / "tiny-b.onnx").unlink()

    window = make_window(selected=["tiny-b"])
    item = next(window.models.list.item(i) for i in range(window.models.list.count())
                if window.models.list.item(i).data(Qt.ItemDataRole.UserRole) == "tiny-b")
    assert item.flags() & Qt.ItemFlag.ItemIsEnabled and "unavailable" not in item.text()
    assert "colours on the CPU only" in item.toolTip() and "tiny-b.onnx is not installed" in item.toolTip()
    assert not window.models.problems_label.isVisible()
    assert "available (colours on the CPU only" in about_text(window.registry.entries(), None, "auto", "settings.ini")
    window.open_path(sample_sketch_path())
    window.colour_now()
    wait_done(qtbot, window)
    [pane] = window.compare.panes
    assert pane.state == compare_panes.DONE and "ms on CPU" in pane.header.text()
    assert window.controller.provider.precision == "int8"
