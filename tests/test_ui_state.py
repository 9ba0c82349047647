"""The window's colouring state (ui/state.py) on its own: what it remembers, and the signals a mode
switch gives (one per pane whose mode changed, no round trip through the panes)."""

from __future__ import annotations

from ganime_desktop.core.hint_fill import FillSettings
from ganime_desktop.ui.document import EditHistory, SketchDocument
from ganime_desktop.ui.hints_layer import HintLayer
from ganime_desktop.ui.settings import AppSettings
from ganime_desktop.ui.state import PERSISTED, ColouringState

pytest_plugins = ["_ui_fixtures"]


def _state(settings: AppSettings) -> ColouringState:
    history = EditHistory()
    return ColouringState(settings, SketchDocument(None, history), HintLayer(None, history))


def test_what_is_remembered_is_declared_once_and_written_on_every_change(qapp, isolated_settings):
    state = _state(isolated_settings)
    assert {p.attribute for p in PERSISTED} == {"mode", "pane_modes", "fill", "auto_recolour"}
    assert (state.mode, state.pane_modes, state.fill, state.auto_recolour) == ("shaded", {}, FillSettings(), False)
    state.set_pane_mode("tiny-a", "raw")
    state.set_fill(FillSettings("off", 40.0))
    state.set_auto_recolour(True)
    again = _state(AppSettings(isolated_settings.qs))
    assert (again.pane_modes, again.fill, again.auto_recolour) == ({"tiny-a": "raw"}, FillSettings("off", 40.0), True)
    again.set_mode("flat")
    assert AppSettings(isolated_settings.qs).colour_mode() == "flat" and AppSettings(isolated_settings.qs).pane_modes() == {}


def test_a_mode_switch_says_which_panes_it_changed(qapp, isolated_settings):
    state = _state(isolated_settings)
    state.set_panes(["a", "b", "c"])
    state.set_pane_mode("a", "flat")
    changed = []
    state.pane_mode_changed.connect(lambda name, mode: changed.append((name, mode)))
    state.set_mode("flat")  # "a" shows flat already
    assert changed == [("b", "flat"), ("c", "flat")] and state.mode_for("a") == "flat"
    changed.clear()
    state.set_pane_mode("b", "flat")  # no change
    state.set_pane_mode("b", "raw")
    state.set_pane_mode("b", "flat")  # back to the toolbar's: no override left
    assert changed == [("b", "raw"), ("b", "flat")] and state.pane_modes == {}


def test_versions_count_pages_edits_and_hint_edits(qapp, isolated_settings):
    state = _state(isolated_settings)
    hint_versions = []
    state.hints_changed.connect(hint_versions.append)
    state.sketch.new_blank(40, 30)
    state.hint_layer.reset(state.sketch.size())
    assert state.version()[0] == 1 and hint_versions == [1] and state.hints() is None
    state.ask(2, anew=True)
    state.settle()
    assert (state.settled, state.asked) == (1, 2)
    state.ask(1, anew=False)
    assert (state.settled, state.asked) == (1, 3)
