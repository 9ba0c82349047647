"""The main window: composes the canvas, the result panes, the model list, the batch panel and the
status bar, and wires them together. The parts do their own work: tools.py the tools,
colour_tools.py the fill bucket and eyedropper, colouring.py what the panes show and when models
run, files.py the files. They share the colouring state (state.py) and say what they have to say
through ``Messages``, never through this class: it only builds and connects them, keeps the
state's models in step with the Models panel, binds its widgets to the state, and keeps the
window's own settings (geometry, layout, device)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSize, Qt, QTimer
from PySide6.QtGui import (
    QActionGroup,
    QCloseEvent,
    QDragEnterEvent,
    QDropEvent,
    QKeySequence,
    QPixmap,
    QShortcut,
)
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDockWidget,
    QMainWindow,
    QMenu,
    QMessageBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from ganime_desktop.core.imageio import is_image_path
from ganime_desktop.core.registry import ModelRegistry, default_registry

from .about import APP_NAME, AboutDialog, about_text
from .actions import Act, StdKey, ToolControls, build_actions, build_menus, exclusive, follow_history
from .canvas import SketchCanvas
from .colorize_controller import ColorizeController
from .colour_like import LIKE_PANE, ColourLike
from .colour_tools import ColourTools
from .colouring import RECOLOUR_DELAY_MS, ColouringSession
from .compare_panes import DONE, ComparePanes
from .dialogs import return_focus, return_focus_after
from .document import EditHistory, SketchDocument
from .files import WindowFiles
from .hints_layer import HintLayer
from .hints_panel import HintTools
from .messages import Messages
from .models_panel import ModelsPanel, label_for, short_label_for
from .modes import set_combo_mode
from .pane_header import PaneHeader
from .pane_layout import row_sizes
from .qimage import rgb_to_qimage
from .settings import AppSettings
from .shortcuts_dialog import ShortcutsDialog, shortcut_rows
from .state import ColouringState
from .status_widgets import StatusWidgets
from .tools import TOOLS, ToolBox, tool_acts
from .view import WHEEL_STEP, SharedView
from .workers import wait_until

__all__ = ["RECOLOUR_DELAY_MS", "MainWindow"]
PANE_LAYOUTS = (("auto", "Panes in one row up to three, then a grid"), ("row", "Panes side by side"),
                ("grid", "Panes in a grid"))


class MainWindow(QMainWindow):
    def __init__(self, registry: ModelRegistry | None = None, settings: AppSettings | None = None,
                 extra_model_dirs: list[Path] | None = None, device: str | None = None) -> None:
        """``device``: the models' device for this run (``ganime --device``), else the settings'."""
        super().__init__()
        self.settings = settings or AppSettings()
        self._cli_model_dirs = list(extra_model_dirs or [])
        self.registry = registry or default_registry(self._model_dirs())
        self.last_message: QMessageBox | None = None
        self.messages = Messages(self.statusBar(), self.show_message)

        self.history = EditHistory(self)  # one undo history for the sketch and its hints
        self.document = SketchDocument(self, self.history)
        self.state = ColouringState(self.settings, self.document, HintLayer(self, self.history), self)
        self.shared_view = SharedView()
        self.canvas = SketchCanvas(self.document, self.shared_view)
        self.compare = ComparePanes(self.shared_view, self.state)
        self.models = ModelsPanel()
        self.controller = ColorizeController(self.registry, self.settings.device(), self)
        self.files = WindowFiles(self.state, self.compare, self.settings, self.messages, self)

        self._build_actions()
        self.hint_tools.layer.reset(self.document.size())
        self.compare.set_page_size(self.document.size())
        self.colouring = ColouringSession(self.state, self.compare, self.controller, self.messages, self)
        self.colour_tools = ColourTools(self.state, self.canvas, self.compare, self.shared_view, self.toolbox,
                                        self.messages, self)
        self._build_layout()
        self._build_status_bar()
        self._connect()
        # issue 28: a pane coloured like a coloured page
        self.colour_like = ColourLike(self.state, self.compare, self.colouring, self.settings, self.messages, self)
        self._connect_colour_like()
        self._restore_settings()
        if device:
            self.models.set_device(device)
        self.setAcceptDrops(True)
        self.update_title()

    # --- construction --------------------------------------------------------------------------
    def _build_layout(self) -> None:
        self.sketch_box = QWidget()
        sketch_layout = QVBoxLayout(self.sketch_box)
        sketch_layout.setContentsMargins(3, 3, 3, 3)
        sketch_layout.setSpacing(2)
        self.sketch_header = PaneHeader()  # elided: a long file name never widens the sketch's side
        sketch_layout.addWidget(self.sketch_header)
        sketch_layout.addWidget(self.canvas, 1)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setObjectName("SketchResultsSplitter")
        self.splitter.addWidget(self.sketch_box)
        self.splitter.addWidget(self.compare)
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 2)
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
        f = self.files
        view = self.shared_view
        a = self.actions = build_actions(self, [
            Act("new", "&New sketch", self.new_sketch, StdKey.New),
            Act("open", "&Open…", f.open_dialog, StdKey.Open, "Open a sketch (or drop an image on the window)",
                short="Open"),
            Act("save_sketch", "&Save", f.save, StdKey.Save,
                "Save the changes: hints alone go beside the page as {name}.hints.png (the page is not "
                "rewritten); a changed sketch asks where to save it", short="Save"),
            Act("save_sketch_as", "Save sketch &as…", f.save_sketch_dialog, None,
                "Save the sketch (and its hints) under a name you choose"),
            Act("save_result", "Save &result…", f.save_result_dialog, "Ctrl+Shift+S",
                "Save the colouring of the focused pane"),
            Act("save_all", "Save &all results…", f.save_all_dialog, "Ctrl+Alt+S"),
            Act("save_layers", "Save &layers…", f.save_layers_dialog, "Ctrl+Shift+L",
                "Save the focused pane's colouring as layers: flats, shading and line art (PNG), and an "
                "OpenRaster file for Krita, GIMP or MyPaint"),
            Act("reference", "Choose &reference image…", f.choose_reference_dialog),
            Act("add_models", "Add &models folder…", f.add_models_dialog),
            Act("batch", "&Batch colour a folder…", self.show_batch_panel, "Ctrl+B"),
            Act("quit", "&Quit", self.close, StdKey.Quit),
            Act("undo", "&Undo", self.history.undo, StdKey.Undo, "Undo the last edit: a stroke, a fill, a clear"),
            Act("redo", "&Redo", self.history.redo, [StdKey.Redo, "Ctrl+Y", "Ctrl+Shift+Z"]),
            Act("clear", "C&lear sketch", self.document.clear, "Ctrl+Shift+Backspace", short="Clear"),
            Act("copy", "&Copy result", f.copy_result, StdKey.Copy, "Copy the focused pane's colouring"),
            *tool_acts(self.set_tool),
            Act("zoom_in", "Zoom &in", lambda: view.zoom_by(WHEEL_STEP), StdKey.ZoomIn, short="Zoom +"),
            Act("zoom_out", "Zoom &out", lambda: view.zoom_by(1 / WHEEL_STEP), StdKey.ZoomOut, short="Zoom −"),
            Act("fit", "&Fit to window", self.fit_view, "Ctrl+0", short="Fit"),
            Act("actual", "&Actual pixels (100 %)", lambda: view.set_zoom(1.0), "Ctrl+1"),
            Act("alone", "Focused pane &alone", self.compare.set_alone, "F",
                "Show the focused pane alone, large (keys 1-9 choose the pane; F again, Esc or a "
                "double-click shows them all)", checkable=True),
            *[Act(f"layout_{key}", text, lambda on, k=key: on and self.set_pane_layout(k)) for key, text in PANE_LAYOUTS],
            Act("colour", "&Colour", self.colour_now, "F5", "Colour the sketch with the ticked models"),
            Act("cancel", "Cance&l", self.controller.cancel, "Esc", "Stop the colourings in progress"),
            Act("auto_recolour", "Recolour after each &stroke", self._set_auto_recolour, None,
                "Colour again automatically a moment after each stroke", checkable=True, short="Auto recolour"),
            Act("shortcuts", "&Keyboard shortcuts", self.show_shortcuts, StdKey.HelpContents,
                "Every key of the app, searchable"),
            Act("about", "&About GANime Studio", self.show_about),
        ])
        self.hint_tools = HintTools(self.state, self.canvas, self.settings, {k: a[k] for k in (*TOOLS, "undo", "redo")},
                                    self.messages, f.save_beside_page, f.save_sketch_dialog, self)
        a.update(self.hint_tools.actions)
        self.tool_group = exclusive(self, [a[k] for k in TOOLS])
        self.layout_group = QActionGroup(self)
        for key, _text in PANE_LAYOUTS:
            a[f"layout_{key}"].setCheckable(True)
            self.layout_group.addAction(a[f"layout_{key}"])
        a["cancel"].setEnabled(False)
        follow_history(self.history, a["undo"], a["redo"])  # enabled, and named: "Undo fill"
        build_menus(self, a, {
            "&File": ["new", "open", "save_sketch", "save_sketch_as", None, "save_result", "save_all", "save_layers",
                      "copy", None, "reference", "add_models", "batch", None, "quit"],
            "&Edit": ["undo", "redo", None, "pen", "eraser", "clear"],
            "&View": ["zoom_in", "zoom_out", "fit", "actual", None, "alone", None,
                      *[f"layout_{k}" for k, _t in PANE_LAYOUTS]],
            "&Colour": ["colour", "cancel", "auto_recolour"],
            "&Hints": ["hint", "hint_eraser", "fill", "pick", "show_hints", None, "clear_hints", None, "save_hints",
                       "load_hints", "reuse_hints"],
            "&Help": ["shortcuts", None, "about"],
        })
        self.tools = ToolControls(self, a, list(TOOLS))
        self.toolbox = ToolBox(self.canvas, self.compare, self.settings, a, self.tools.width, self.tools.opacity, self)
        for n in range(1, 10):  # keys 1-9 focus a result pane
            key = QShortcut(QKeySequence(str(n)), self, lambda n=n: self.compare.focus_pane(n))
            key.setWhatsThis(f"Focus result pane {n} (shown alone if the panes are)")  # in Help → Keyboard shortcuts

    def _build_status_bar(self) -> None:
        status = StatusWidgets(self.statusBar(), self.state, self.controller, self.shared_view)
        self.provider_label, self.zoom_label, self.busy_bar = status.provider_label, status.zoom_label, status.busy_bar
        self._show_provider = status.show_provider

    def _connect(self) -> None:
        s = self.state
        s.reference_changed.connect(self._show_reference)
        s.mode_changed.connect(lambda mode: set_combo_mode(self.tools.mode, mode))
        s.fill_changed.connect(lambda _fill: self.colouring.on_fill_changed())
        self.document.changed.connect(self._on_document_changed)
        self.document.replaced.connect(lambda: QTimer.singleShot(0, self.fit_view))
        self.document.clean_changed.connect(self.update_title)  # a bound slot: dropped with the window
        self.document.replaced.connect(self._on_sketch_replaced)
        self.hint_tools.edited.connect(self._on_hints_changed)
        self.hint_tools.colour_tool_wanted.connect(lambda: self.set_tool(self.toolbox.last_colour_tool))
        self.colour_tools.picked.connect(self.hint_tools.set_colour)
        self.hint_tools.layer.clean_changed.connect(self.update_title)
        self.models.selection_changed.connect(self._on_selection_changed)
        self.models.choose_reference_requested.connect(self.files.choose_reference_dialog)
        self.files.sketch_saved.connect(self.update_title)
        self.files.reference_chosen.connect(self.colouring.colour_style_panes)
        self.files.models_folder_chosen.connect(self.add_models_folder)
        self.models.device.currentIndexChanged.connect(self._on_device_changed)
        self.toolbox.tool_changed.connect(self.hint_tools.on_tool)
        # activated: picking the mode the box shows again still sets every pane (some may differ)
        for signal in (self.tools.mode.currentIndexChanged, self.tools.mode.activated):
            signal.connect(lambda _i: self.state.set_mode(self.tools.mode.currentData()))
        self.compare.alone_changed.connect(self._on_alone_changed)
        c = self.controller
        c.model_broken.connect(self._on_model_broken)
        c.busy_changed.connect(self.state.set_busy)
        s.busy_changed.connect(self._on_busy_changed)

    def _connect_colour_like(self) -> None:
        like = self.colour_like
        menu = self.menuBar().findChild(QMenu, "Colour")
        menu.addSeparator()
        menu.addActions(list(like.actions.values()))
        self.actions["cancel"].triggered.connect(like.cancel)
        like.busy_changed.connect(lambda busy: self.actions["cancel"].setEnabled(busy or self.controller.is_busy()))
        like.changed.connect(self._on_like_changed)

    def _on_like_changed(self) -> None:
        if self.colour_like.path is not None and self.batch_panel is not None:
            self.batch_panel.like_field.set_path(self.colour_like.path)
        self._set_panes(self.models.selected())

    def _model_dirs(self) -> list[Path]:
        return [Path(d) for d in self.settings.extra_model_dirs()] + self._cli_model_dirs

    def focus_home(self) -> QWidget:
        """Where the keyboard focus goes back to after a dialog (dialogs.py): the canvas, or the
        pane shown alone (the canvas is hidden then)."""
        if self.compare.alone and self.compare.focused is not None:
            return self.compare.focused.view
        return self.canvas

    # --- settings ------------------------------------------------------------------------------
    def _restore_settings(self) -> None:
        s = self.settings
        if (geometry := s.window_geometry()) is not None:
            self.restoreGeometry(geometry)
        else:
            self.resize(QSize(1400, 860))
        if (state := s.window_state()) is not None:
            self.restoreState(state)
        self._splitter_state = s.splitter_state()  # restored when shown, at the window's own size
        self.models.set_device(s.device())
        self.actions["auto_recolour"].setChecked(self.state.auto_recolour)
        set_combo_mode(self.tools.mode, self.state.mode)
        self.set_pane_layout(s.pane_layout())
        if ref := s.reference_image():
            self.files.set_reference(ref, quiet=True)
        self.reload_models(s.selected_models())

    def _save_settings(self) -> None:
        s = self.settings
        s.set_window(self.saveGeometry(), self.saveState())
        s.set_splitter_state(self.splitter.saveState())
        s.set_selected_models(self.models.selected())
        s.set_device(self.controller.device)
        self.toolbox.save()
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
        self._models_to_state()
        self.compare.placeholder.setText(
            "Tick one or more models on the left to compare their colourings here." if entries else
            "No models installed yet: the Models panel on the left says how to get some.")
        self._set_panes(self.models.selected())
        if not entries:
            self.statusBar().showMessage("No models installed: see the Models panel for how to get some.")

    def _set_panes(self, names: list[str]) -> list[str]:
        """One pane per ticked model; returns the new panes' names."""
        entries = self.models.entries()
        titles = []
        for name in names:
            entry = self.models.entry(name)
            titles.append((name, label_for(entry, entries), short_label_for(entry, entries)) if entry else
                          (name, name, name))
        new = self.compare.set_models(titles + self.colour_like.panes())
        self.settings.set_selected_models(names)
        self.hint_tools.update_models(self.state.hint_models(names))
        return [n for n in new if n != LIKE_PANE]  # the models' panes: the like pane follows the first

    def _models_to_state(self) -> None:
        """The state's models are the Models panel's: what it lists and what is ticked there."""
        self.state.set_models(self.models.entries(), self.models.selected())

    def _on_selection_changed(self, names: list[str]) -> None:
        self._models_to_state()
        new = self._set_panes(names)
        if self.colouring.wait_for_reference(new):  # say what is missing at once, and ask for it
            QTimer.singleShot(0, self.files.choose_reference_dialog)  # not inside the list's signal
        self.colouring.on_new_panes(new)

    def _on_model_broken(self, name: str, reason: str) -> None:
        self.models.mark_unavailable(name, reason)
        self._models_to_state()
        self.statusBar().showMessage(f"Model {name} cannot be used: {reason}", 15000)

    # --- colouring -----------------------------------------------------------------------------
    @property
    def recolour_timer(self) -> QTimer:
        return self.colouring.timer

    def colour_now(self) -> None:
        self.colouring.stop()
        names = self.models.selected()
        self._set_panes(names)  # drops the panes of models found broken since
        if not names:
            self.statusBar().showMessage("Tick at least one model in the Models panel first.", 8000)
            return
        self.colouring.colour(names)

    def _on_document_changed(self) -> None:
        self.update_title()
        self.colouring.on_sketch_changed()

    def _on_sketch_replaced(self) -> None:
        self.colouring.on_sketch_replaced()  # first: the panes drop the old page before the hints change
        self.compare.set_page_size(self.document.size())
        self.hint_tools.on_sketch_replaced(self.document.size(), self.document.path)

    def _on_hints_changed(self) -> None:
        """Panes in the flat and shaded modes refill at once; hint models re-run a moment later."""
        self.update_title()
        self.colouring.on_hints_changed()

    def _set_auto_recolour(self, on: bool) -> None:
        self.state.set_auto_recolour(on)
        if not on:
            self.colouring.stop()

    def _show_reference(self) -> None:
        rgb = self.state.reference
        self.models.set_reference(self.state.reference_path, QPixmap.fromImage(rgb_to_qimage(rgb)))

    def _on_busy_changed(self, busy: bool) -> None:
        self.actions["cancel"].setEnabled(busy)
        if not busy:
            info = self.controller.provider
            if info is not None and info.reason and info.requested == "cuda":
                self.statusBar().showMessage(f"Colouring finished on CPU: CUDA was requested but is not used: "
                                             f"{info.reason}", 30000)
            elif not self.statusBar().currentMessage():  # never over what the user should read
                self.statusBar().showMessage("Colouring finished.", 4000)

    def _on_device_changed(self, _index: int) -> None:
        device = self.models.device.currentData()
        self.controller.set_device(device)
        self.settings.set_device(device)
        self._show_provider(self.controller.provider)

    # --- tools and view ------------------------------------------------------------------------
    def set_tool(self, tool: str) -> None:
        self.toolbox.select(tool)

    def fit_view(self) -> None:
        self.shared_view.fit(self.document.size())

    def set_pane_layout(self, layout: str) -> None:
        self.actions[f"layout_{layout}"].setChecked(True)
        self.compare.set_layout(layout)
        self.settings.set_pane_layout(layout)

    def _on_alone_changed(self, alone: bool) -> None:
        self.sketch_box.setVisible(not alone)
        self.actions["alone"].setChecked(alone)
        if self.shared_view.fitting is not None:
            QTimer.singleShot(0, self.fit_view)  # the pane's new size

    # --- starting (app.py) ---------------------------------------------------------------------
    def open_first_sketch(self, sketch: str | None, sample: Path, remembered: bool = True) -> bool:
        """Open ``sketch``, else (``remembered``) the sketch opened last time, else ``sample``,
        which opens untitled: a starting point, not a file to overwrite. False if none opened."""
        last = self.settings.last_sketch() if remembered and not sketch else ""
        if sketch or last:
            if self.open_path(sketch or last):
                return True
            if last:  # there, but unreadable now: do not try it again
                self.settings.set_last_sketch(None)
        if sketch or not sample.is_file() or not self.open_path(sample):
            return False
        self.document.untitle(f"{sample.name} (sample)")
        self.settings.set_last_sketch(None)
        self.update_title()
        return True

    def colour_with_defaults(self, timeout_ms: int) -> list[str] | None:
        """Show the window with the default models (else every available one) ticked, colour the
        sketch and wait (``ganime --screenshot``): what went wrong, a line each; None without models."""
        defaults = [e.name for e in self.registry.defaults()] or [e.name for e in self.registry.available()]
        self.reload_models(defaults)
        self.show()
        QApplication.processEvents()
        self.fit_view()
        if not self.models.selected():
            return None
        self.colour_now()
        problems = []
        if not wait_until(lambda: not self.controller.is_busy(), self.controller.busy_changed, timeout_ms):
            problems.append(f"the models did not finish within {timeout_ms / 1000:.0f} s")
        return problems + [f"{p.title}: {p.view.message or p.state}" for p in self.compare.panes if p.state != DONE]

    def model_notices(self) -> list[str]:
        """What the model registry has to say (a user model replacing a shipped one): for the log."""
        return list(self.registry.notices)

    # --- files ---------------------------------------------------------------------------------
    def update_title(self, *_) -> None:
        name = self.document.display_name
        modified = "" if self.is_saved() else " *"
        self.setWindowTitle(f"{name}{modified} — {APP_NAME}")
        self.sketch_header.set_parts("", "Sketch", f"{name}{modified} "
                                     f"({self.document.image.width()}×{self.document.image.height()})")

    def show_message(self, title: str, text: str, icon=QMessageBox.Icon.Warning) -> QMessageBox:
        """A window-modal message that does not block the event loop (workers keep running)."""
        box = QMessageBox(icon, title, text, QMessageBox.StandardButton.Ok, self)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        return_focus_after(box, self)
        box.open()
        self.last_message = box
        return box

    def is_saved(self) -> bool:
        """No unsaved edits of the line art nor of the colour hints."""
        return self.state.is_saved()

    @property
    def ask_before_discarding(self) -> bool:
        """"Save changes?" on close and open (files.py); off in tests."""
        return self.files.ask_before_discarding

    @ask_before_discarding.setter
    def ask_before_discarding(self, on: bool) -> None:
        self.files.ask_before_discarding = on

    def new_sketch(self) -> None:
        if self.files.may_discard():
            self.document.new_blank()

    def open_path(self, path: str | Path) -> bool:
        return self.files.open_path(path)

    def save_sketch(self, path: str | Path) -> bool:
        return self.files.save_sketch(path)

    def save_sketch_dialog(self) -> bool:
        return self.files.save_sketch_dialog()

    def set_reference(self, path: str, quiet: bool = False) -> bool:
        return self.files.set_reference(path, quiet)

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

    def keyPressEvent(self, event) -> None:  # noqa: N802
        # Esc is Cancel's shortcut while models run; otherwise it reaches here and leaves the
        # one-pane view (so the first Esc stops the colourings, the next shows every pane)
        if event.key() == Qt.Key.Key_Escape and self.compare.alone:
            self.compare.set_alone(False)
            event.accept()
            return
        super().keyPressEvent(event)

    # --- drag and drop -------------------------------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802
        urls = event.mimeData().urls() if event.mimeData().hasUrls() else []
        if any(u.isLocalFile() and is_image_path(u.toLocalFile()) for u in urls):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        for url in event.mimeData().urls():
            if url.isLocalFile() and is_image_path(url.toLocalFile()):
                event.acceptProposedAction()
                if self.files.may_discard():
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
            return_focus_after(self.batch_window, self)
        self.batch_window.show()
        self.batch_window.raise_()
        self.batch_window.activateWindow()

    def about_text(self) -> str:
        return about_text(self.registry.entries(), self.controller.provider, self.controller.device,
                          self.settings.file_name)

    def show_shortcuts(self) -> ShortcutsDialog:
        dialog = ShortcutsDialog(shortcut_rows(self), self)
        return_focus_after(dialog, self)
        dialog.open()
        return dialog

    def show_about(self) -> AboutDialog:
        dialog = AboutDialog(self.about_text(), self)
        return_focus_after(dialog, self)
        dialog.open()
        return dialog

    # --- closing -------------------------------------------------------------------------------
    def shutdown_workers(self) -> bool:
        done = self.colouring.shutdown()
        done = self.colour_like.shutdown() and done
        done = self.controller.shutdown() and done
        if self.batch_panel is not None:
            done = self.batch_panel.shutdown() and done
        return done

    def showEvent(self, event) -> None:  # noqa: N802
        super().showEvent(event)
        if self.shared_view.fitting is None and self.shared_view.zoom == 1.0 and self.shared_view.center.isNull():
            if self._splitter_state is not None:
                self.splitter.restoreState(self._splitter_state)
            else:  # the sketch as wide as one pane of the first row (the panes take about 2/3)
                total = sum(self.splitter.sizes()) or self.splitter.width()
                page = self.document.size()
                per_row = row_sizes(len(self.compare.panes), self.compare.layout_mode,
                                    (total * 2 // 3, self.splitter.height()), (page.width(), page.height()))[:1] or [1]
                self.splitter.setSizes([total // (per_row[0] + 1), total - total // (per_row[0] + 1)])
            self.fit_view()  # the first time: views have their sizes only now
            return_focus(self)  # shortcuts work at once, with or without a window manager
            QTimer.singleShot(0, lambda: return_focus(self))  # and once the window is really up
        self.colouring.on_window_shown()  # a page opened before the window showed colours now

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        if not self.files.may_discard():
            event.ignore()
            return
        self.colouring.stop()
        self._save_settings()
        self.shutdown_workers()
        super().closeEvent(event)
