"""Colour like… in the real window (offscreen, issue 28): a coloured page chosen from a file, or
"this page" after colouring it with the fill bucket, gives a pane beside the models' that colours
the next page like it; hints refill it; the batch window takes the same page; bad files give a
plain message."""

from __future__ import annotations

import numpy as np
import pytest
from _like_pages import draw, figure, majority_part
from _ui_helpers import wait_done
from PIL import Image
from PySide6.QtGui import QColor

from ganime_desktop.core.imageio import write_image_atomic
from ganime_desktop.core.regions import segment
from ganime_desktop.ui.colour_like import LIKE_PANE

pytest_plugins = ["_ui_fixtures"]
pytestmark = pytest.mark.usefixtures("no_leaked_workers")
PARTS = figure()
BODY = 1 + next(i for i, p in enumerate(PARTS) if p.name == "body")


def _open(window, path, pixels) -> None:
    write_image_atomic(path, np.repeat(pixels[:, :, None], 3, axis=2) if pixels.ndim == 2 else pixels)
    assert window.open_path(path)


def _body(gray, which) -> np.ndarray:
    regions = segment(gray)
    part, _ = majority_part(regions.labels, which, regions.count)
    return (regions.labels == int(np.argmax((part == BODY) * regions.areas))) & ~regions.lines


def _like_pane(window, qtbot):
    qtbot.waitUntil(lambda: window.compare.pane(LIKE_PANE) is not None, timeout=10000)
    pane = window.compare.pane(LIKE_PANE)
    qtbot.waitUntil(lambda: pane.page is not None and window.colour_like._worker is None, timeout=20000)
    return pane


def test_colour_like_a_coloured_page_from_a_file(make_window, qtbot, tmp_path):
    gray, colour, _ = draw(PARTS)
    Image.fromarray(colour).save(tmp_path / "coloured.png")
    Image.fromarray(gray).save(tmp_path / "coloured.lines.png")  # its line art, as --layers writes it
    window = make_window(selected=["tiny-a", "tiny-b"])
    page, _, which = draw(PARTS, angle=12.0, mirror=True)
    _open(window, tmp_path / "p2.png", page)
    window.colour_like.use_file(tmp_path / "coloured.png")
    qtbot.waitUntil(lambda: window.colour_like.reference is not None, timeout=10000)
    window.colour_now()
    wait_done(qtbot, window)
    pane = _like_pane(window, qtbot)
    assert [p.name for p in window.compare.panes] == ["tiny-a", "tiny-b", LIKE_PANE]
    assert pane.title == "Like coloured.png" and "% of the page from coloured.png" in pane.detail
    body = _body(page, which)
    pane.set_mode("flat")
    qtbot.waitUntil(lambda: pane.shown_mode == "flat", timeout=5000)
    assert np.median(np.abs(pane.rgb[body].astype(int) - PARTS[BODY - 1].colour).max(axis=1)) <= 10
    tiny_a = window.compare.pane("tiny-a")
    assert np.median(np.abs(tiny_a.rgb[body].astype(int) - PARTS[BODY - 1].colour).max(axis=1)) > 30  # the model alone
    # A fill-bucket click on the body wins over the reference, at once, in the like pane too.
    ys, xs = np.nonzero(body)
    window.hint_tools.set_colour(QColor(255, 0, 0))
    with qtbot.waitSignals([window.colouring.pane_updated] * 3, timeout=5000):
        assert window.colour_tools.fill(int(xs[0]), int(ys[0]))
    qtbot.waitUntil(lambda: (pane.rgb[body] == (255, 0, 0)).all(axis=1).mean() > 0.95, timeout=5000)
    # The batch window takes the same page.
    window.show_batch_panel()
    assert window.batch_panel.like_field.path() == tmp_path / "coloured.png"
    options = window.batch_panel.options()
    assert options is None or options.like == tmp_path / "coloured.png"
    window.colour_like.stop()
    assert window.compare.pane(LIKE_PANE) is None


def test_colour_like_this_page_after_filling_it(make_window, qtbot, tmp_path):
    gray, colour, which = draw(PARTS)
    window = make_window(selected=["tiny-a"])
    _open(window, tmp_path / "p1.png", gray)
    window.compare.panes[0].set_mode("flat")
    window.colour_now()
    wait_done(qtbot, window)
    pane = window.compare.panes[0]
    regions = segment(gray)
    part, share = majority_part(regions.labels, which, regions.count)
    for label in np.flatnonzero((part > 0) & (share > 0.9) & (regions.areas >= 40)):  # the artist fills each part
        ys, xs = np.nonzero((regions.labels == label) & ~regions.lines)
        window.hint_tools.set_colour(QColor(*PARTS[part[label] - 1].colour))
        with qtbot.waitSignal(window.colouring.pane_updated, timeout=5000):
            assert window.colour_tools.fill(int(xs[len(xs) // 2]), int(ys[len(ys) // 2]))
    body = _body(gray, which)
    assert (pane.rgb[body] == PARTS[BODY - 1].colour).all(axis=1).mean() > 0.95
    window.colour_like.use_this_page()
    qtbot.waitUntil(lambda: window.colour_like.reference is not None, timeout=10000)
    assert window.colour_like.path is not None and window.colour_like.path.with_name("like-page.lines.png").is_file()
    page, _, which2 = draw(PARTS, angle=-8.0, scale=0.9)
    _open(window, tmp_path / "p2.png", page)
    window.colour_now()
    wait_done(qtbot, window)
    like = _like_pane(window, qtbot)
    assert like.title == "Like this page"
    like.set_mode("flat")
    qtbot.waitUntil(lambda: like.shown_mode == "flat", timeout=5000)
    body2 = _body(page, which2)
    assert np.median(np.abs(like.rgb[body2].astype(int) - PARTS[BODY - 1].colour).max(axis=1)) <= 10


def test_a_greyscale_page_gives_a_plain_message(make_window, qtbot, tmp_path):
    gray, _, _ = draw(PARTS)
    Image.fromarray(gray).save(tmp_path / "grey.png")
    window = make_window(selected=["tiny-a"])
    window.colour_like.use_file(tmp_path / "grey.png")
    qtbot.waitUntil(lambda: window.last_message is not None, timeout=10000)
    assert "greyscale" in window.last_message.text() and "grey.png" in window.last_message.text()
    assert window.compare.pane(LIKE_PANE) is None
