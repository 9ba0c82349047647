"""What the result panes show, and when models run: the window's colouring logic.

- Colour (F5) runs the ticked models (colorize_controller.py) on the sketch and the hints; each
  pane gets the image in its colour mode and keeps the model's PageColouring.
- A hint edit (stroke, fill, undo, clear) re-renders every pane in the flat or shaded mode at
  once from its PageColouring (refill.py: tens of milliseconds, no model run): hints fill their
  regions live. Hint models are also re-run a moment after the last edit (debounced), since the
  hints guide their shading and their guesses for the other regions; other models are not.
- A sketch edit marks the panes outdated, and with Auto recolour re-runs every model a moment
  after the last stroke. A new page (opened, dropped, the sample at start) clears the panes at
  once (its sketch shown faded) and every ticked model colours it, with the page's own hints;
  a page opened before the window is shown is coloured once it is, so the window comes first.
  Models run one at a time in the panes' order: the first pane (the default model) first.
- A pane ticked while others show colourings, or with Auto recolour on, is coloured at once.
- "Colour from reference" needs a reference image: without one its pane says so instead of
  running (the window opens the chooser when it is ticked, and colours it once one is chosen).
- Modes: the toolbar's switch sets every pane; a pane's own switch overrides it for that model.
  Both are the state's (state.py), which remembers them; a pane whose mode changed is rendered
  again.

What it reads (the ticked models, the modes, the page, its hints and their fill, the reference
image) and what it reports (progress) is the window's ``ColouringState``; what it says goes
through ``Messages``; it drives the result panes and the models' runs.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer, Signal

from ganime_desktop.core.colour_modes import colour_mode

from . import compare_panes as panes_mod
from .colorize_controller import ColorizeController, Colouring
from .compare_panes import ComparePanes
from .messages import Messages
from .refill import Refiller, RefillJob
from .state import ColouringState

RECOLOUR_DELAY_MS = 600  # after the last edit, so a few quick strokes colour once
NEEDS_REFERENCE = ("This model copies the colours of a reference image: choose one "
                   "(Choose reference… in the Models panel) and it colours at once.")


class ColouringSession(QObject):
    """``pane_updated(name)`` whenever a pane shows a new image (a colouring or a refill)."""

    pane_updated = Signal(str)

    def __init__(self, state: ColouringState, compare: ComparePanes, controller: ColorizeController,
                 messages: Messages, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.state, self.compare, self.controller = state, compare, controller
        self._new_page = False  # a page replaced the sketch: colour it once its hints are loaded
        self._colour_when_shown = False
        self.refiller = Refiller(self)
        self.refiller.rendered.connect(self._on_rendered)
        self.refiller.failed.connect(lambda msg: messages.say(f"Refill failed: {msg}", 15000))
        self._pending: list[str] = []  # models to run when the timer fires
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(RECOLOUR_DELAY_MS)
        self.timer.timeout.connect(self._run_pending)
        c = controller
        c.job_queued.connect(lambda n: self._pane_state(n, panes_mod.QUEUED, "Waiting for the other models…"))
        c.job_progress.connect(lambda n, text: self._pane_state(n, panes_mod.RUNNING, text.capitalize() + "…"))
        c.job_done.connect(self._on_colouring)
        c.job_failed.connect(lambda n, msg: self._pane_state(n, panes_mod.FAILED, msg, "failed"))
        c.job_cancelled.connect(lambda n: self._pane_state(n, panes_mod.CANCELLED, "Cancelled. Press Colour (F5).",
                                                           "cancelled"))
        state.pane_mode_changed.connect(self._on_pane_mode)

    # --- running models ------------------------------------------------------------------------
    def wait_for_reference(self, names: list[str]) -> list[str]:
        """The style-transfer models among ``names`` while no reference image is chosen (they
        cannot run): their panes say what is missing. Returns them."""
        waiting = [n for n in names if self.state.reference is None and self.state.is_style(n)]
        for name in waiting:
            self.compare.pane(name).set_state(panes_mod.IDLE, NEEDS_REFERENCE, "needs a reference image")
        return waiting

    def colour_style_panes(self) -> None:
        """A reference image was chosen: the panes that copy its colours colour at once."""
        self.colour([p.name for p in self.compare.panes if self.state.is_style(p.name)])

    def colour(self, names: list[str]) -> None:
        """Run ``names`` now on the sketch and hints as they are."""
        names = [n for n in names if self.compare.pane(n) is not None]
        self._pending = [n for n in self._pending if n not in names]
        waiting = self.wait_for_reference(names)
        names = [n for n in names if n not in waiting]
        if not names:
            return
        state = self.state
        state.ask(len(names), anew=not self.controller.is_busy())
        self.controller.colorize(state.sketch.to_rgb(), names, state.reference, hints=state.hints(),
                                 modes={n: state.mode_for(n) for n in names}, token=state.version(), fill=state.fill)

    def schedule(self, names: list[str]) -> None:
        """Run ``names`` a moment after the last call (the timer restarts)."""
        self._pending += [n for n in names if n not in self._pending]
        if self._pending:
            self.timer.start()

    def _run_pending(self) -> None:
        names, self._pending = self._pending, []
        self.colour([n for n in names if n in self.state.ticked])

    def stop(self) -> None:
        self.timer.stop()
        self._pending = []

    # --- what happened -------------------------------------------------------------------------
    def on_sketch_changed(self) -> None:
        if self._new_page:  # the page's hints are loaded by now: colour it with them
            self._new_page = False
            self.colour_new_page()
            return
        self.compare.mark_outdated()
        selected = self.state.ticked
        if self.state.auto_recolour and selected:
            self.schedule(selected)

    def on_sketch_replaced(self) -> None:
        self.stop()
        self.controller.cancel()  # colourings of the page before: their results are dropped anyway
        rgb = self.state.sketch.to_rgb()
        self.compare.clear_results(rgb)
        self._new_page = bool(rgb.min() < 255)  # a blank page (New sketch) has nothing to colour yet

    def colour_new_page(self) -> None:
        """Every ticked model colours the page just opened; before the window shows, once it has."""
        if not self.compare.isVisible():  # the panes show exactly when the window does
            self._colour_when_shown = True
            return
        self.colour(self.state.ticked)

    def on_window_shown(self) -> None:
        if self._colour_when_shown:
            self._colour_when_shown = False
            QTimer.singleShot(0, self._colour_waiting_panes)  # after the window's first paint

    def _colour_waiting_panes(self) -> None:
        """Colour the ticked panes that neither show nor await a colouring of this page."""
        busy = (panes_mod.QUEUED, panes_mod.RUNNING)
        self.colour([n for n in self.state.ticked
                     if (p := self.compare.pane(n)) is not None and p.page is None and p.state not in busy])

    def on_hints_changed(self) -> None:
        self.refill(self.compare.panes)
        hint_models = self.state.hint_models()
        for name in hint_models:
            pane = self.compare.pane(name)
            if pane is not None and not colour_mode(pane.mode).uses_regions:
                pane.mark_outdated()  # nothing to refill: only the model's run shows the hints
        self.schedule(hint_models)

    def on_new_panes(self, names: list[str]) -> None:
        """Colour a newly ticked model at once where the others show (or will show) colourings."""
        others = [p for p in self.compare.panes if p.name not in names]
        if names and (self.state.auto_recolour or any(p.page is not None or p.state in (panes_mod.QUEUED,
                                                                                  panes_mod.RUNNING)
                                                 for p in others)):
            self.colour(names)

    def _pane_state(self, name: str, state: str, message: str, detail: str = "") -> None:
        pane = self.compare.pane(name)
        if pane is not None:
            pane.set_state(state, message, detail)
        if state in (panes_mod.FAILED, panes_mod.CANCELLED):
            self.state.settle()

    def _on_colouring(self, result: Colouring) -> None:
        self.state.settle()
        pane = self.compare.pane(result.name)
        pages, edits, hints = result.token
        if pane is None:
            return
        if pages != self.state.pages:  # a colouring of the page open before: not shown
            pane.set_state(panes_mod.IDLE, panes_mod.PRESS_COLOUR)
            return
        pane.set_result(result.rgb, f"{result.seconds * 1000:.0f} ms on {result.provider.active}",
                        result.page, result.mode, result.hints)
        if edits != self.state.edits:
            pane.mark_outdated()  # the sketch changed while the model ran
        self.pane_updated.emit(pane.name)
        fill = self.state.fill
        if hints != self.state.hints_version or result.mode != pane.mode or result.fill != fill:
            self.refill([pane], whole=result.fill != fill)  # changed while the model ran

    # --- refills and modes ---------------------------------------------------------------------
    def on_fill_changed(self) -> None:
        """The hints panel's Close gaps or Parts changed: every pane renders again."""
        self.refill(self.compare.panes, whole=True)

    def refill(self, panes, whole: bool = False) -> None:
        """Re-render ``panes`` that keep a colouring, for the current hints, fill settings and their
        modes (``whole``: the whole page, not only what the hints changed: new fill settings)."""
        jobs = []
        hints, fill = self.state.hints(), self.state.fill
        for pane in panes:
            if pane.page is None or (hints is not None and hints.shape[:2] != pane.page.shape):
                continue
            if not colour_mode(pane.mode).uses_regions:  # the network's image: nothing to render
                if pane.rgb is not pane.page.raw:
                    pane.show_rgb(pane.page.render(pane.mode), pane.mode)
                    self.pane_updated.emit(pane.name)
            elif pane.shown_mode == pane.mode and pane.rgb is not None and not whole:  # what the hints changed
                jobs.append(RefillJob(pane.name, pane.page, pane.mode, pane.rgb, pane.shown_hints, fill))
            else:
                jobs.append(RefillJob(pane.name, pane.page, pane.mode, fill=fill))
        if jobs:
            self.refiller.request(jobs, hints)

    def _on_rendered(self, job: RefillJob, hints, rgb) -> None:
        pane = self.compare.pane(job.name)
        if pane is not None and pane.page is job.page and pane.mode == job.mode:
            pane.show_rgb(rgb, job.mode, hints)
            self.pane_updated.emit(pane.name)

    def _on_pane_mode(self, name: str, _mode: str) -> None:
        pane = self.compare.pane(name)
        if pane is not None:
            self.refill([pane])

    def shutdown(self) -> bool:
        self.stop()
        return self.refiller.shutdown()
