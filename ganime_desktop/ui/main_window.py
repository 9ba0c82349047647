"""The main window: composes the canvas, the result panes, the model list, the batch panel and the
status bar, and wires them to the colourization controller. The widgets do their own work; this
class only connects them and handles files and settings."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QSize, Qt, QTimer
from PySide6.QtGui import (
    QCloseEvent,
    QDragEnterEvent,
    QDropEvent,
    QGuiApplication,
    QKeySequence,
    QPixmap,
    QShortcut,
)
from PySide6.QtWidgets import (
    QDialog,
    QDockWidget,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from ganime_desktop.core.imageio import (
    IMAGE_SUFFIXES,
    ImageReadError,
    ImageWriteError,
    is_image_path,
    read_image,
    write_image_atomic,
)
from ganime_desktop.core.registry import ModelRegistry, default_registry
from ganime_desktop.core.sessions import ProviderInfo

from . import compare_panes as panes_mod
from .about import APP_NAME, AboutDialog, about_text
from .actions import Act, StdKey, ToolControls, build_actions, build_menus, exclusive
from .canvas import ERASER, HINT, HINT_ERASER, PEN, SketchCanvas
from .colorize_controller import ColorizeController, Colouring
from .compare_panes import ComparePanes
from .document import SketchDocument
from .hints_panel import HintTools
from .models_panel import ModelsPanel, label_for, takes_hints_model
from .qimage import rgb_to_qimage
from .settings import AppSettings
from .view import WHEEL_STEP, SharedView

RECOLOUR_DELAY_MS = 600  # after the last stroke, so drawing a few strokes quickly colours once
IMAGE_FILTER = "Images (" + " ".join(f"*{s}" for s in IMAGE_SUFFIXES) + ")"


class MainWindow(QMainWindow):
    def __init__(self, registry: ModelRegistry | None = None, settings: AppSettings | None = None,
                 extra_model_dirs: list[Path] | None = None) -> None:
        super().__init__()
        self.settings = settings or AppSettings()
        self._cli_model_dirs = list(extra_model_dirs or [])
        self.registry = registry or default_registry(self._model_dirs())
        self.ask_before_discarding = True  # "save changes?" on close/open; off in tests
        self.last_message: QMessageBox | None = None
        self._reference_rgb: np.ndarray | None = None

        self.document = SketchDocument(self)
        self.shared_view = SharedView()
        self.canvas = SketchCanvas(self.document, self.shared_view)
        self.hint_tools = HintTools(self, self.canvas, self.settings)
        self.hint_tools.layer.reset(self.document.size())
        self.compare = ComparePanes(self.shared_view)
        self.models = ModelsPanel()
        self.controller = ColorizeController(self.registry, self.settings.device(), self)
        self.recolour_timer = QTimer(self)
        self.recolour_timer.setSingleShot(True)
        self.recolour_timer.setInterval(RECOLOUR_DELAY_MS)
        self.recolour_timer.timeout.connect(self.colour_now)

        self._build_layout()
        self._build_actions()
        self._build_status_bar()
        self._connect()
        self._restore_settings()
        self.setAcceptDrops(True)
        self._update_title()

    # --- construction --------------------------------------------------------------------------
    def _build_layout(self) -> None:
        sketch_box = QWidget()
        sketch_layout = QVBoxLayout(sketch_box)
        sketch_layout.setContentsMargins(3, 3, 3, 3)
        sketch_layout.setSpacing(2)
        self.sketch_header = QLabel("<b>Sketch</b>")
        sketch_layout.addWidget(self.sketch_header)
        sketch_layout.addWidget(self.canvas, 1)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(sketch_box)
        self.splitter.addWidget(self.compare)
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 1)
        self.setCentralWidget(self.splitter)

        self.models_dock = QDockWidget("Models", self)
        self.models_dock.setObjectName("ModelsDock")
        self.models_dock.setWidget(self.models)
        self.models_dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                                     | QDockWidget.DockWidgetFeature.DockWidgetFloatable)
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, self.models_dock)
        self.hints_dock = QDockWidget("Colour hints", self)
        self.hints_dock.setObjectName("HintsDock")
        self.hints_dock.setWidget(self.hint_tools.panel)
        self.hints_dock.setFeatures(self.models_dock.features())
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, self.hints_dock)
        self.batch_window: QDialog | None = None  # built on first use (batch_panel.py)
        self.batch_panel = None

    def _build_actions(self) -> None:
        a = self.actions = build_actions(self, [
            Act("new", "&New sketch", self.new_sketch, StdKey.New),
            Act("open", "&Open…", self.open_dialog, StdKey.Open, "Open a sketch (or drop an image on the window)",
                short="Open"),
            Act("save_sketch", "&Save sketch…", self.save_sketch_dialog, StdKey.Save, short="Save"),
            Act("save_result", "Save &result…", self.save_result_dialog, "Ctrl+Shift+S",
                "Save the colouring of the focused pane"),
            Act("save_all", "Save &all results…", self.save_all_dialog, "Ctrl+Alt+S"),
            Act("reference", "Choose &reference image…", self.choose_reference_dialog),
            Act("add_models", "Add &models folder…", self.add_models_dialog),
            Act("batch", "&Batch colour a folder…", self.show_batch_panel, "Ctrl+B"),
            Act("quit", "&Quit", self.close, StdKey.Quit),
            Act("undo", "&Undo", self.document.undo_stack.undo, StdKey.Undo),
            Act("redo", "&Redo", self.document.undo_stack.redo, StdKey.Redo),
            Act("clear", "C&lear sketch", self.document.clear, "Ctrl+Shift+Backspace", short="Clear"),
            Act("copy", "&Copy result", self.copy_result, StdKey.Copy, "Copy the focused pane's colouring"),
            Act("pen", "&Pen", lambda: self.set_tool(PEN), "P"),
            Act("eraser", "&Eraser", lambda: self.set_tool(ERASER), "E"),
            Act("zoom_in", "Zoom &in", lambda: self.shared_view.zoom_by(WHEEL_STEP), StdKey.ZoomIn,
                short="Zoom +"),
            Act("zoom_out", "Zoom &out", lambda: self.shared_view.zoom_by(1 / WHEEL_STEP), StdKey.ZoomOut,
                short="Zoom −"),
            Act("fit", "&Fit to window", self.fit_view, "Ctrl+0", short="Fit"),
            Act("actual", "&Actual pixels", lambda: self.shared_view.set_zoom(1.0), "Ctrl+1"),
            Act("colour", "&Colour", self.colour_now, "F5", "Colour the sketch with the ticked models"),
            Act("cancel", "Cance&l", self.controller.cancel, "Esc", "Stop the colourings in progress"),
            Act("auto_recolour", "Recolour after each &stroke", self._set_auto_recolour, None,
                "Colour again automatically a moment after each stroke", checkable=True, short="Auto recolour"),
            Act("about", "&About GANime Studio", self.show_about),
        ])
        a.update(self.hint_tools.actions)
        self.tool_group = exclusive(self, [a["pen"], a["eraser"], a["hint"], a["hint_eraser"]])
        a["pen"].setChecked(True)
        a["cancel"].setEnabled(False)
        # undo/redo follow the stack (enabled state and "Undo Pen stroke" text)
        stack = self.document.undo_stack
        stack.canUndoChanged.connect(a["undo"].setEnabled)
        stack.canRedoChanged.connect(a["redo"].setEnabled)
        a["undo"].setEnabled(False)
        a["redo"].setEnabled(False)
        build_menus(self, a, {
            "&File": ["new", "open", "save_sketch", None, "save_result", "save_all", "copy", None,
                      "reference", "add_models", "batch", None, "quit"],
            "&Edit": ["undo", "redo", None, "pen", "eraser", "clear"],
            "&View": ["zoom_in", "zoom_out", "fit", "actual"],
            "&Colour": ["colour", "cancel", "auto_recolour"],
            "&Hints": ["hint", "hint_eraser", "show_hints", None, "undo_hint", "redo_hint", "clear_hints", None,
                       "save_hints", "load_hints", "reuse_hints"],
            "&Help": ["about"],
        })
        self.tools = ToolControls(self, a)
        toolbar_actions = self.tools.toolbar.actions()
        after_eraser = toolbar_actions[toolbar_actions.index(a["eraser"]) + 1]
        self.tools.toolbar.insertActions(after_eraser, [a["hint"], a["hint_eraser"]])
        for n in range(1, 10):  # keys 1-9 focus a result pane
            QShortcut(QKeySequence(str(n)), self, lambda n=n: self.compare.focus_pane(n))

    def _build_status_bar(self) -> None:
        self.provider_label = QLabel()
        self.provider_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.busy_bar = QProgressBar()
        self.busy_bar.setMaximumWidth(160)
        self.busy_bar.setFormat("%v / %m models")
        self.busy_bar.hide()
        self.statusBar().addPermanentWidget(self.busy_bar)
        self.statusBar().addPermanentWidget(self.provider_label)
        self._show_provider(None)

    def _connect(self) -> None:
        self.document.changed.connect(self._on_document_changed)
        self.document.replaced.connect(lambda: QTimer.singleShot(0, self.fit_view))
        self.document.undo_stack.cleanChanged.connect(self._update_title)  # a bound slot: dropped with the window
        self.document.replaced.connect(self._on_sketch_replaced)
        self.hint_tools.edited.connect(self._on_hints_changed)
        self.hint_tools.layer.undo_stack.cleanChanged.connect(self._update_title)
        self.models.selection_changed.connect(self._on_selection_changed)
        self.models.choose_reference_requested.connect(self.choose_reference_dialog)
        self.tools.width.valueChanged.connect(self._on_width_changed)
        self.models.device.currentIndexChanged.connect(self._on_device_changed)
        c = self.controller
        c.job_queued.connect(lambda n: self._pane_state(n, panes_mod.QUEUED, "Waiting for the other models…"))
        c.job_progress.connect(lambda n, text: self._pane_state(n, panes_mod.RUNNING, text.capitalize() + "…"))
        c.job_done.connect(self._on_colouring)
        c.job_failed.connect(lambda n, msg: self._pane_state(n, panes_mod.FAILED, msg, "failed"))
        c.job_cancelled.connect(lambda n: self._pane_state(n, panes_mod.CANCELLED, "Cancelled. Press Colour (F5).",
                                                           "cancelled"))
        c.model_broken.connect(self._on_model_broken)
        c.provider_changed.connect(self._show_provider)
        c.busy_changed.connect(self._on_busy_changed)

    def _model_dirs(self) -> list[Path]:
        return [Path(d) for d in self.settings.extra_model_dirs()] + self._cli_model_dirs

    # --- settings ------------------------------------------------------------------------------
    def _restore_settings(self) -> None:
        s = self.settings
        if (geometry := s.window_geometry()) is not None:
            self.restoreGeometry(geometry)
        else:
            self.resize(QSize(1400, 860))
        if (state := s.window_state()) is not None:
            self.restoreState(state)
        for tool, default in ((PEN, 3.0), (ERASER, 24.0)):
            self.canvas.widths[tool] = s.tool_width(tool, default)
        for tool, default in ((HINT, 12.0), (HINT_ERASER, 24.0)):
            self.canvas.hint_widths[tool] = s.tool_width(tool, default)
        self.tools.width.setValue(round(self.canvas.width_for_tool))
        self.models.set_device(s.device())
        self.actions["auto_recolour"].setChecked(s.recolour_after_stroke())
        if ref := s.reference_image():
            self.set_reference(ref, quiet=True)
        self.reload_models(s.selected_models())

    def _save_settings(self) -> None:
        s = self.settings
        s.set_window(self.saveGeometry(), self.saveState())
        s.set_selected_models(self.models.selected())
        s.set_device(self.controller.device)
        s.set_recolour_after_stroke(self.actions["auto_recolour"].isChecked())
        for tool, width in [*self.canvas.widths.items(), *self.canvas.hint_widths.items()]:
            s.set_tool_width(tool, width)
        s.sync()

    # --- models --------------------------------------------------------------------------------
    def reload_models(self, selected: list[str] | None = None) -> None:
        """Show the registry's models; ``selected`` None means the defaults (else all available)."""
        entries = self.registry.entries()
        if selected is None:
            defaults = self.registry.defaults()
            selected = [e.name for e in defaults] if defaults else [e.name for e in self.registry.available()]
        usable = {e.name for e in entries if e.available}
        selected = [n for n in selected if n in usable]
        self.models.set_entries(entries, selected, self.registry.problems)
        self.compare.placeholder.setText(
            "Tick one or more models on the left to compare their colourings here." if entries else
            "No models installed yet: the Models panel on the left says how to get some.")
        self._on_selection_changed(self.models.selected())
        if not entries:
            self.statusBar().showMessage("No models installed: see the Models panel for how to get some.")

    def _on_selection_changed(self, names: list[str]) -> None:
        entries = self.models.entries()
        titles = []
        for name in names:
            entry = self.models.entry(name)
            titles.append((name, label_for(entry, entries) if entry else name))
        self.compare.set_models(titles)
        self.settings.set_selected_models(names)
        self.hint_tools.update_models(self._hint_models(names))

    def _hint_models(self, names: list[str]) -> list[str]:
        """The ticked models that follow colour hints."""
        entries = {e.name: e for e in self.models.entries()}
        return [n for n in names if n in entries and takes_hints_model(entries[n])]

    def _on_model_broken(self, name: str, reason: str) -> None:
        self.models.mark_unavailable(name, reason)
        self.statusBar().showMessage(f"Model {name} cannot be used: {reason}", 15000)

    # --- colouring -----------------------------------------------------------------------------
    def colour_now(self) -> None:
        self.recolour_timer.stop()
        names = self.models.selected()
        self._on_selection_changed(names)  # drops the panes of models found broken since
        if not names:
            self.statusBar().showMessage("Tick at least one model in the Models panel first.", 8000)
            return
        self.controller.colorize(self.document.to_rgb(), names, self._reference_rgb,
                                 hints=self.hint_tools.hints_for_colouring())
        self.busy_bar.setRange(0, len(names))
        self.busy_bar.setValue(0)

    def _on_document_changed(self) -> None:
        self._update_title()
        self.compare.mark_outdated()
        if self.actions["auto_recolour"].isChecked() and self.models.selected():
            self.recolour_timer.start()  # restarts: strokes in quick succession colour once

    def _on_sketch_replaced(self) -> None:
        self.hint_tools.on_sketch_replaced(self.document.size(), self.document.path)

    def _on_hints_changed(self) -> None:
        """Hint models follow the hints live: recolour a moment after the last hint edit."""
        self._update_title()
        if self._hint_models(self.models.selected()):
            self.compare.mark_outdated()
            self.recolour_timer.start()

    def _set_auto_recolour(self, on: bool) -> None:
        self.settings.set_recolour_after_stroke(on)
        if not on:
            self.recolour_timer.stop()

    def _pane_state(self, name: str, state: str, message: str, detail: str = "") -> None:
        pane = self.compare.pane(name)
        if pane is not None:
            pane.set_state(state, message, detail)
        if state in (panes_mod.FAILED, panes_mod.CANCELLED):
            self.busy_bar.setValue(self.busy_bar.value() + 1)

    def _on_colouring(self, result: Colouring) -> None:
        pane = self.compare.pane(result.name)
        if pane is not None:
            pane.set_result(result.rgb, f"{result.seconds * 1000:.0f} ms on {result.provider.active}")
        self.busy_bar.setValue(self.busy_bar.value() + 1)

    def _on_busy_changed(self, busy: bool) -> None:
        self.busy_bar.setVisible(busy)
        self.actions["cancel"].setEnabled(busy)
        if not busy:
            info = self.controller.provider
            if info is not None and info.reason and info.requested == "cuda":
                self.statusBar().showMessage(f"Colouring finished on CPU: CUDA was requested but is not used: "
                                             f"{info.reason}", 30000)
            else:
                self.statusBar().showMessage("Colouring finished.", 4000)

    def _on_device_changed(self, _index: int) -> None:
        device = self.models.device.currentData()
        self.controller.set_device(device)
        self.settings.set_device(device)
        self._show_provider(self.controller.provider)

    def _show_provider(self, info: ProviderInfo | None) -> None:
        if info is None:
            text = f"Provider: not used yet (device: {self.controller.device})"
            tip = "The models run on the first Colour; the provider they get is shown here."
        else:
            text = f"Provider: {info.active}"
            tip = f"Device setting: {info.requested}; running on {info.active}"
            if info.reason:
                text += " — CUDA not available"
                tip += f"\n{info.reason}"
        self.provider_label.setText(text)
        self.provider_label.setToolTip(tip)

    # --- tools and view ------------------------------------------------------------------------
    def set_tool(self, tool: str) -> None:
        self.canvas.set_tool(tool)
        self.actions[tool].setChecked(True)
        self.tools.width.blockSignals(True)
        self.tools.width.setValue(round(self.canvas.width_for_tool))
        self.tools.width.blockSignals(False)

    def _on_width_changed(self, value: int) -> None:
        self.canvas.set_tool_width(value)
        self.settings.set_tool_width(self.canvas.tool, value)

    def fit_view(self) -> None:
        self.shared_view.fit(self.document.size())

    # --- files ---------------------------------------------------------------------------------
    def _update_title(self, *_) -> None:
        name = self.document.path.name if self.document.path else "Untitled sketch"
        modified = "" if self._is_saved() else " *"
        self.setWindowTitle(f"{name}{modified} — {APP_NAME}")
        self.sketch_header.setText(f"<b>Sketch</b> <span style='color:#666'>— {name}{modified} "
                                   f"({self.document.image.width()}×{self.document.image.height()})</span>")

    def show_message(self, title: str, text: str, icon=QMessageBox.Icon.Warning) -> QMessageBox:
        """A window-modal message that does not block the event loop (workers keep running)."""
        box = QMessageBox(icon, title, text, QMessageBox.StandardButton.Ok, self)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        box.open()
        self.last_message = box
        return box

    def _is_saved(self) -> bool:
        """No unsaved edits of the line art nor of the colour hints."""
        return self.document.undo_stack.isClean() and self.hint_tools.is_clean()

    def _may_discard(self) -> bool:
        if not self.ask_before_discarding or self._is_saved():
            return True
        answer = QMessageBox.question(
            self, APP_NAME, "The sketch has unsaved changes. Save them first?",
            QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel)
        if answer == QMessageBox.StandardButton.Save:
            return self.save_sketch_dialog()
        return answer == QMessageBox.StandardButton.Discard

    def new_sketch(self) -> None:
        if self._may_discard():
            self.document.new_blank()

    def open_dialog(self) -> None:
        if not self._may_discard():
            return
        path, _ = QFileDialog.getOpenFileName(self, "Open a sketch", self.settings.last_dir("open"), IMAGE_FILTER)
        if path:
            self.open_path(path)

    def open_path(self, path: str | Path) -> bool:
        """Open an image as the sketch; a bad file gives a message and leaves the current sketch."""
        try:
            self.document.load(path)
        except ImageReadError as exc:
            self.show_message("Cannot open the image", str(exc))
            return False
        self.settings.set_last_dir("open", path)
        self.statusBar().showMessage(f"Opened {path}", 5000)
        return True

    def _ask_save_path(self, title: str, kind: str, suggested: str) -> Path | None:
        start = str(Path(self.settings.last_dir(kind)) / suggested)
        path, _ = QFileDialog.getSaveFileName(self, title, start, "PNG (*.png);;JPEG (*.jpg);;WebP (*.webp)")
        if not path:
            return None
        path = Path(path)
        if path.suffix.lower() not in IMAGE_SUFFIXES:
            path = path.with_suffix(".png")
        self.settings.set_last_dir(kind, path)
        return path

    def save_sketch_dialog(self) -> bool:
        stem = self.document.path.stem if self.document.path else "sketch"
        path = self._ask_save_path("Save the sketch", "save", f"{stem}.png")
        return path is not None and self.save_sketch(path)

    def save_sketch(self, path: str | Path) -> bool:
        try:
            written = self.document.save(path)
        except ImageWriteError as exc:
            self.show_message("Cannot save the sketch", str(exc))
            return False
        hints = self.hint_tools.save_beside(written)
        self._update_title()
        self.statusBar().showMessage(f"Saved the sketch to {written}" + (f" and its hints to {hints.name}"
                                                                          if hints else ""), 5000)
        return True

    def _result_name(self, model: str, suffix: str = ".png") -> str:
        stem = self.document.path.stem if self.document.path else "sketch"
        return f"{stem}_{model}{suffix}"

    def save_result_dialog(self) -> None:
        pane = self.compare.focused if self.compare.focused and self.compare.focused.rgb is not None else None
        pane = pane or next(iter(self.compare.results()), None)
        if pane is None:
            self.statusBar().showMessage("Nothing to save yet: press Colour (F5) first.", 6000)
            return
        path = self._ask_save_path(f"Save the colouring by {pane.title}", "save", self._result_name(pane.name))
        if path is not None:
            self.save_result(pane.name, path)

    def save_result(self, model: str, path: str | Path) -> bool:
        pane = self.compare.pane(model)
        if pane is None or pane.rgb is None:
            return False
        try:
            write_image_atomic(path, pane.rgb)
        except ImageWriteError as exc:
            self.show_message("Cannot save the colouring", str(exc))
            return False
        self.statusBar().showMessage(f"Saved {path}", 5000)
        return True

    def save_all_dialog(self) -> None:
        if not self.compare.results():
            self.statusBar().showMessage("Nothing to save yet: press Colour (F5) first.", 6000)
            return
        folder = QFileDialog.getExistingDirectory(self, "Save every colouring into", self.settings.last_dir("save"))
        if folder:
            self.settings.set_last_dir("save", folder)
            self.save_all(folder)

    def save_all(self, folder: str | Path) -> list[Path]:
        written = []
        for pane in self.compare.results():
            path = Path(folder) / self._result_name(pane.name)
            if self.save_result(pane.name, path):
                written.append(path)
        self.statusBar().showMessage(f"Saved {len(written)} colourings to {folder}", 6000)
        return written

    def copy_result(self) -> None:
        pane = self.compare.focused if self.compare.focused and self.compare.focused.rgb is not None else None
        pane = pane or next(iter(self.compare.results()), None)
        if pane is None:
            self.statusBar().showMessage("Nothing to copy yet: press Colour (F5) first.", 6000)
            return
        QGuiApplication.clipboard().setImage(rgb_to_qimage(pane.rgb))
        self.statusBar().showMessage(f"Copied the colouring by {pane.title}", 4000)

    def choose_reference_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Choose a colour reference", self.settings.last_dir("reference"),
                                              IMAGE_FILTER)
        if path:
            self.set_reference(path)

    def set_reference(self, path: str, quiet: bool = False) -> bool:
        try:
            rgb = read_image(path)
        except ImageReadError as exc:
            if not quiet:
                self.show_message("Cannot use this reference image", str(exc))
            return False
        self._reference_rgb = rgb
        self.models.set_reference(path, QPixmap.fromImage(rgb_to_qimage(rgb)))
        self.settings.set_reference_image(path)
        self.settings.set_last_dir("reference", path)
        return True

    def add_models_dialog(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "A folder with a manifest.json and its models",
                                                  self.settings.last_dir("models"))
        if folder:
            self.add_models_folder(folder)

    def add_models_folder(self, folder: str | Path) -> None:
        folder = Path(folder)
        if not (folder / "manifest.json").is_file():
            self.show_message("No models there", f"{folder} has no manifest.json: choose a folder written by "
                                                 "'python -m export' (it holds manifest.json and .onnx files).")
            return
        self.settings.add_extra_model_dir(str(folder))
        self.settings.set_last_dir("models", folder)
        self.controller.shutdown()
        self.registry = default_registry(self._model_dirs())
        self.controller.set_registry(self.registry)
        if self.batch_panel is not None:
            self.batch_panel.set_registry(self.registry, self.controller.cache)
        self.reload_models(self.models.selected() + [e.name for e in self.registry.entries()
                                                     if e.manifest and e.manifest.parent == folder])

    # --- drag and drop -------------------------------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802
        urls = event.mimeData().urls() if event.mimeData().hasUrls() else []
        if any(u.isLocalFile() and is_image_path(u.toLocalFile()) for u in urls):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        for url in event.mimeData().urls():
            if url.isLocalFile() and is_image_path(url.toLocalFile()):
                event.acceptProposedAction()
                if self._may_discard():
                    self.open_path(url.toLocalFile())
                return

    # --- panels and dialogs --------------------------------------------------------------------
    def show_batch_panel(self) -> None:
        """A separate, non-modal window: a long batch runs while the user keeps drawing."""
        from .batch_panel import BatchPanel  # imported on demand: most sessions never batch

        if self.batch_window is None:
            self.batch_panel = BatchPanel(self.registry, self.settings, cache=self.controller.cache)
            self.batch_window = QDialog(self)
            self.batch_window.setWindowTitle(f"Batch colour a folder — {APP_NAME}")
            layout = QVBoxLayout(self.batch_window)
            layout.setContentsMargins(0, 0, 0, 0)
            layout.addWidget(self.batch_panel)
            self.batch_window.resize(720, 640)
        self.batch_window.show()
        self.batch_window.raise_()
        self.batch_window.activateWindow()

    def about_text(self) -> str:
        return about_text(self.registry.entries(), self.controller.provider, self.controller.device,
                          self.settings.file_name)

    def show_about(self) -> AboutDialog:
        dialog = AboutDialog(self.about_text(), self)
        dialog.open()
        return dialog

    # --- closing -------------------------------------------------------------------------------
    def shutdown_workers(self) -> bool:
        done = self.controller.shutdown()
        if self.batch_panel is not None:
            done = self.batch_panel.shutdown() and done
        return done

    def showEvent(self, event) -> None:  # noqa: N802
        super().showEvent(event)
        if self.shared_view.fitting is None and self.shared_view.zoom == 1.0 and self.shared_view.center.isNull():
            self.fit_view()  # the first time: views have their sizes only now

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        if not self._may_discard():
            event.ignore()
            return
        self.recolour_timer.stop()
        self._save_settings()
        self.shutdown_workers()
        super().closeEvent(event)
