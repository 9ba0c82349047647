"""The batch panel: colour a whole folder with the core's batch runner (the same one as
``ganime colorize``), in a colour mode, optionally with each result's layers, with progress,
pages per minute, ETA, a per-file list and cancel.

The runner counts items, one per page and model; the panel shows pages: pages done (a page is
done when every model has coloured, skipped or failed it; pages cancelled are not), and the
runner's pages per minute, with the colourings per minute beside it when several models run.
Pages already coloured are skipped, and the panel says which box redoes them (the command
line's --overwrite).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Qt, QUrl, Signal
from PySide6.QtGui import QBrush, QColor, QDesktopServices
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ganime_desktop.core.batch import BatchJob, BatchOptions, BatchProgress, BatchReport
from ganime_desktop.core.batch_plan import OUTPUT_FORMATS
from ganime_desktop.core.batch_report import format_clock
from ganime_desktop.core.colour_modes import COLOUR_MODES, colour_mode, layer_modes, spoken
from ganime_desktop.core.pipeline import ColorizerCache
from ganime_desktop.core.registry import ModelRegistry

from .colour_like import LikeField
from .dialogs import get_folder, get_open_file
from .models_panel import NAME_ROLE, is_style_model, label_for, takes_hints_model
from .modes import mode_combo, set_combo_mode
from .settings import AppSettings
from .workers import CancelToken, GeneratorWorker, new_pool, wait_for_pool

STATUS_COLOURS = {"done": "#1a7f37", "failed": "#c62828", "cancelled": "#9a6700", "skipped": "#6e7781",
                  "not-an-image": "#6e7781"}
DEVICE_CHOICES = (("Auto", "auto"), ("CPU", "cpu"), ("CUDA", "cuda"))
REDO_BOX = "Redo pages already coloured"
SKIPPED_DETAIL = f"already coloured: tick “{REDO_BOX}” to colour it again"


def _run_job(cancel: CancelToken, job: BatchJob, *, emit) -> BatchReport:
    """Worker body: prepare (loads the models) and run; progress goes out through ``emit``."""
    job.prepare()
    return job.run(on_progress=emit, cancel_event=cancel.event)


class PageCount:
    """Pages done and to do, from the runner's per-item progress (items: one per page and model;
    files that are not images are items without a model and come before every page's)."""

    def __init__(self, total_items: int, models: int) -> None:
        self.total_items, self.models = total_items, max(1, models)
        self.not_images = 0
        self.settled: dict[str, int] = {}
        self.done = 0
        self.cancelled: set[str] = set()

    @property
    def total(self) -> int:
        return (self.total_items - self.not_images) // self.models

    def add(self, source: str, model: str | None, status: str = "done") -> None:
        if model is None:
            self.not_images += 1
            return
        if status == "cancelled":  # not done: a later run colours it
            self.cancelled.add(source)
            return
        self.settled[source] = self.settled.get(source, 0) + 1
        if self.settled[source] == self.models:
            self.done += 1

    def text(self, cancelled: bool = False) -> str:
        return f"{self.done} / {self.total} pages" + (" (cancelled)" if cancelled else "")


def _folder_row(edit: QLineEdit, button_text: str, on_browse) -> QWidget:
    row = QWidget()
    layout = QHBoxLayout(row)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(edit, 1)
    button = QPushButton(button_text)
    button.clicked.connect(on_browse)
    layout.addWidget(button)
    return row


class BatchPanel(QWidget):
    """Emits ``finished(report)`` at the end of a run (also after a cancel)."""

    finished = Signal(object)

    def __init__(self, registry: ModelRegistry, settings: AppSettings, parent: QObject | None = None,
                 cache: ColorizerCache | None = None) -> None:
        super().__init__(parent)
        self.registry = registry
        self.cache = cache or ColorizerCache(registry)
        self.settings = settings
        self.pool = new_pool(1, self)
        self.worker: GeneratorWorker | None = None
        self.report: BatchReport | None = None
        self._build()
        self._restore()

    # --- layout --------------------------------------------------------------------------------
    def _build(self) -> None:
        self.input_edit = QLineEdit()
        self.input_edit.setPlaceholderText("Folder of sketches")
        self.output_edit = QLineEdit()
        self.output_edit.setPlaceholderText("Where the colourings go (default: <input>/coloured)")
        self.reference_edit = QLineEdit()
        self.reference_edit.setPlaceholderText("Only for “Colour from reference”")
        self.hints_edit = QLineEdit()
        self.hints_edit.setPlaceholderText("Only for hint models (default: beside each sketch, where the app saves them)")
        self.hints_edit.setToolTip("Per-page colour hints: {page}.hints.png, as the app saves them, or an image with "
                                   "the page's name; sub-folders mirror the input's. Pages without one get no hints.")
        self.models_list = QListWidget()
        self.models_list.setMaximumHeight(110)
        self.recursive = QCheckBox("Include subfolders")
        self.overwrite = QCheckBox(REDO_BOX)
        self.overwrite.setToolTip("Colour pages again whose results are already in the output folder "
                                  "(otherwise they are skipped, so a stopped batch resumes where it was)")
        self.format = QComboBox()
        self.format.addItems(list(OUTPUT_FORMATS))
        self.mode = mode_combo("Colour mode of the results (as in the app's panes)")
        self.layers = QCheckBox("Also save layers")
        self.layers.setToolTip("Beside each result: its flats, shading and line art as PNGs and an OpenRaster (.ora) "
                               f"file ({spoken(layer_modes(), 'and')} modes)")
        self.like_field = LikeField(self.settings)  # issue 28: every page coloured like a coloured page
        self.device = QComboBox()
        for text, value in DEVICE_CHOICES:
            self.device.addItem(text, value)

        form = QFormLayout()
        form.addRow("Input", _folder_row(self.input_edit, "Browse…", self._browse_input))
        form.addRow("Output", _folder_row(self.output_edit, "Browse…", self._browse_output))
        form.addRow("Models", self.models_list)
        options = QHBoxLayout()
        options.addWidget(self.recursive)
        options.addWidget(self.overwrite)
        options.addStretch(1)
        form.addRow("", self._wrap(options))
        choices = QHBoxLayout()
        choices.addWidget(QLabel("Format"))
        choices.addWidget(self.format)
        choices.addSpacing(12)
        choices.addWidget(QLabel("Device"))
        choices.addWidget(self.device)
        choices.addSpacing(12)
        choices.addWidget(QLabel("Mode"))
        choices.addWidget(self.mode)
        choices.addWidget(self.layers)
        choices.addStretch(1)
        form.addRow("", self._wrap(choices))
        form.addRow("Reference", _folder_row(self.reference_edit, "Browse…", self._browse_reference))
        form.addRow("Hints", _folder_row(self.hints_edit, "Browse…", self._browse_hints))
        form.addRow("Colour like", self.like_field)

        self.start_button = QPushButton("Start")
        self.start_button.setDefault(True)
        self.start_button.clicked.connect(self.start)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        self.open_output_button = QPushButton("Open output folder")
        self.open_output_button.setEnabled(False)
        self.open_output_button.clicked.connect(self._open_output)
        buttons = QHBoxLayout()
        buttons.addWidget(self.start_button)
        buttons.addWidget(self.cancel_button)
        buttons.addStretch(1)
        buttons.addWidget(self.open_output_button)

        self.progress = QProgressBar()
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.progress.setTextVisible(False)  # no "0 / 100" before a run
        self.pages: PageCount | None = None
        self.rate_label = QLabel("")
        self.message = QLabel("")
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.files = QTreeWidget()
        self.files.setHeaderLabels(["Page", "Model", "Status", "Details"])
        self.files.setRootIsDecorated(False)
        self.files.setUniformRowHeights(True)
        self.files.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        header = self.files.header()
        header.setStretchLastSection(True)
        for col in (0, 1, 2):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addWidget(self.progress)
        layout.addWidget(self.rate_label)
        layout.addWidget(self.message)
        layout.addWidget(self.files, 1)

    @staticmethod
    def _wrap(layout) -> QWidget:
        w = QWidget()
        layout.setContentsMargins(0, 0, 0, 0)
        w.setLayout(layout)
        return w

    # --- settings ------------------------------------------------------------------------------
    def _restore(self) -> None:
        s = self.settings
        self.input_edit.setText(s.batch_value("input", "") or "")
        self.output_edit.setText(s.batch_value("output", "") or "")
        self.reference_edit.setText(s.batch_value("reference", "") or s.reference_image())
        self.hints_edit.setText(s.batch_value("hints", "") or "")
        self.recursive.setChecked(s.batch_value("recursive", False))
        self.overwrite.setChecked(s.batch_value("overwrite", False))
        self.format.setCurrentText(s.batch_value("format", "png") or "png")
        set_combo_mode(self.mode, s.batch_value("mode", s.colour_mode()))
        self.layers.setChecked(s.batch_value("layers", False))
        self.mode.currentIndexChanged.connect(self._on_mode)
        self._on_mode()
        self.device.setCurrentIndex(max(0, self.device.findData(s.batch_value("device", s.device()))))
        saved = s.batch_value("models", [])
        self.set_models(saved or s.selected_models() or [e.name for e in self.registry.defaults()])

    def _remember(self) -> None:
        s = self.settings
        for key, value in (("input", self.input_edit.text()), ("output", self.output_edit.text()),
                           ("reference", self.reference_edit.text()), ("hints", self.hints_edit.text()),
                           ("recursive", self.recursive.isChecked()),
                           ("overwrite", self.overwrite.isChecked()), ("format", self.format.currentText()),
                           ("mode", self.mode.currentData()), ("layers", self.layers.isChecked()),
                           ("device", self.device.currentData()), ("models", self.selected_models())):
            s.set_batch_value(key, value)
        self.like_field.remember()

    def set_registry(self, registry: ModelRegistry, cache: ColorizerCache) -> None:
        """After the window's model folders changed."""
        selected = self.selected_models()
        self.registry, self.cache = registry, cache
        self.set_models(selected)

    def set_models(self, selected: list[str]) -> None:
        entries = self.registry.entries()
        self.models_list.clear()
        for entry in entries:
            item = QListWidgetItem(label_for(entry, entries))
            item.setData(NAME_ROLE, entry.name)
            if entry.available:
                item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsUserCheckable)
                item.setCheckState(Qt.CheckState.Checked if entry.name in selected else Qt.CheckState.Unchecked)
            else:
                item.setFlags(Qt.ItemFlag.NoItemFlags)
                item.setText(f"{item.text()} — unavailable")
                item.setToolTip(entry.reason or "")
            self.models_list.addItem(item)

    def selected_models(self) -> list[str]:
        items = (self.models_list.item(i) for i in range(self.models_list.count()))
        return [it.data(NAME_ROLE) for it in items if it.checkState() == Qt.CheckState.Checked]

    def _on_mode(self, *_args) -> None:
        mode = colour_mode(self.mode.currentData())
        self.layers.setEnabled(mode.writes_layers)
        labels = spoken(m.label for m in COLOUR_MODES if m.writes_layers)
        self.layers.setToolTip(f"The {mode.name} output has no layers: choose {labels}" if not mode.writes_layers else
                               "Beside each result: its flats, shading and line art as PNGs and an OpenRaster "
                               "(.ora) file")

    # --- browsing ------------------------------------------------------------------------------
    def _browse_input(self) -> None:
        folder = get_folder(self, "Folder of sketches", self.settings.last_dir("batch-in"))
        if folder:
            self.input_edit.setText(folder)
            self.settings.set_last_dir("batch-in", folder)

    def _browse_output(self) -> None:
        folder = get_folder(self, "Output folder", self.settings.last_dir("batch-out"))
        if folder:
            self.output_edit.setText(folder)
            self.settings.set_last_dir("batch-out", folder)

    def _browse_reference(self) -> None:
        path = get_open_file(self, "Colour reference", self.settings.last_dir("reference"))
        if path:
            self.reference_edit.setText(path)

    def _browse_hints(self) -> None:
        folder = get_folder(self, "Folder of page hints", self.settings.last_dir("batch-hints"))
        if folder:
            self.hints_edit.setText(folder)
            self.settings.set_last_dir("batch-hints", folder)

    def _open_output(self) -> None:
        QDesktopServices.openUrl(QUrl.fromLocalFile(self.output_edit.text()))

    # --- running -------------------------------------------------------------------------------
    def options(self) -> BatchOptions | None:
        """The options from the form, or None after showing what is missing."""
        src = self.input_edit.text().strip()
        if not src:
            self._say("Choose the folder of sketches to colour.", error=True)
            return None
        dst = self.output_edit.text().strip() or str(Path(src) / "coloured")
        self.output_edit.setText(dst)
        models = self.selected_models()
        if not models:
            self._say("Tick at least one model.", error=True)
            return None
        needs_reference = any(is_style_model(self.registry.get(n)) for n in models)
        reference = self.reference_edit.text().strip()
        # Hints fill regions in the modes that use them, and hint models read them in every mode;
        # by default from beside each page, where the app saves them.
        mode = self.mode.currentData()
        takes_hints = colour_mode(mode).uses_regions or any(takes_hints_model(self.registry.get(n)) for n in models)
        hints = self.hints_edit.text().strip()
        return BatchOptions(
            input_dir=Path(src), output_dir=Path(dst), models=models, recursive=self.recursive.isChecked(),
            overwrite=self.overwrite.isChecked(), format=self.format.currentText(),
            device=self.device.currentData(),
            reference=Path(reference) if reference and needs_reference else None,
            hints_dir=Path(hints or src) if takes_hints else None,
            mode=mode, layers=self.layers.isChecked() and colour_mode(mode).writes_layers,
            fill=self.settings.fill_settings(),  # the hints panel's Gaps and Parts
            like=self.like_field.path())

    def is_running(self) -> bool:
        return self.worker is not None

    def start(self) -> bool:
        if self.is_running():
            return False
        options = self.options()
        if options is None:
            return False
        self._remember()
        self.files.clear()
        self.report = None
        self.pages = None
        self.progress.setTextVisible(False)
        self.progress.setRange(0, 0)  # busy until the job knows its total (models load first)
        self.rate_label.setText("Loading the models…")
        self._say("")
        job = BatchJob(options, registry=self.registry, cache=self.cache)
        worker = GeneratorWorker(_run_job, job, progress_kwarg="emit")  # progress arrives as a signal
        worker.signals.yielded.connect(self._on_progress)
        worker.signals.returned.connect(self._on_report)
        worker.signals.errored.connect(lambda exc: self._say(str(exc), error=True))
        worker.signals.cancelled.connect(lambda: self._say("Cancelled before it started."))
        worker.signals.finished.connect(self._on_finished)
        self.worker = worker
        self._set_running(True)
        self.pool.start(worker)
        return True

    def cancel(self) -> None:
        if self.worker is not None:
            self.worker.cancel()
            self.rate_label.setText("Cancelling: finishing the page in progress…")

    def shutdown(self, timeout_ms: int = 60000) -> bool:
        self.cancel()
        return wait_for_pool(self.pool, timeout_ms)

    def _set_running(self, running: bool) -> None:
        self.start_button.setEnabled(not running)
        self.cancel_button.setEnabled(running)
        for w in (self.input_edit, self.output_edit, self.models_list, self.recursive, self.overwrite,
                  self.format, self.device, self.mode, self.layers, self.reference_edit, self.hints_edit,
                  self.like_field):
            w.setEnabled(not running)
        if not running:
            self._on_mode()

    def _say(self, text: str, error: bool = False) -> None:
        self.message.setText(text)
        self.message.setStyleSheet("color: #c62828;" if error else "")

    def _on_progress(self, p: BatchProgress) -> None:
        if p.event == "start":
            self.pages = PageCount(p.total, len(self.selected_models()))
            self._show_pages()
            self.rate_label.setText(f"{self.pages.total} page(s) to go")
            return
        if p.event != "item" or p.result is None:
            return
        r = p.result
        self.pages.add(r.source, r.model, r.status)
        self._show_pages()
        self.rate_label.setText(self._rate_text(p))
        details = (r.reason if r.status in ("failed", "not-an-image", "cancelled") else
                   SKIPPED_DETAIL if r.status == "skipped" else r.output) or ""
        if r.status == "done" and r.reason:  # a note, e.g. hints scaled to the page
            details = f"{details} ({r.reason})"
        # the Page column names the file already; the reason starts with its full path
        head, sep, rest = details.partition(": ")
        short = rest if sep and Path(head).is_absolute() else details
        item = QTreeWidgetItem([r.source, r.model or "", r.status, short])
        item.setForeground(2, QBrush(QColor(STATUS_COLOURS.get(r.status, "#000"))))
        item.setToolTip(3, details)
        self.files.addTopLevelItem(item)
        if r.status == "failed":
            self.files.scrollToItem(item)

    def _show_pages(self, cancelled: bool = False) -> None:
        """The bar in pages: those done of all, whatever the models and the files that are not images."""
        self.progress.setRange(0, max(1, self.pages.total))
        self.progress.setValue(self.pages.done)
        self.progress.setFormat(self.pages.text(cancelled))
        self.progress.setTextVisible(True)

    def _rate_text(self, p: BatchProgress) -> str:
        return f"{self.pages.text()} · {p.rate_text()} · ETA {format_clock(p.eta_seconds)}"

    def _on_report(self, report: BatchReport) -> None:
        self.report = report
        if self.pages is not None:
            self._show_pages(cancelled=report.cancelled)
        prefix = "Cancelled: " if report.cancelled else ""
        skipped = report.counts()["skipped"]
        redo = (f"\nPages already coloured were skipped: tick “{REDO_BOX}” to colour them again."
                if skipped and not self.overwrite.isChecked() else "")
        error = report.write_error
        where = f"{error[:1].upper()}{error[1:]}." if error else "The output folder also has report.json and report.csv."
        self._say(f"{prefix}{report.summary()}.{redo}\n{where}", error=bool(report.failures() or report.write_error))
        self.message.setToolTip(str(Path(self.output_edit.text()) / "report.json"))
        self.rate_label.setText("")
        self.open_output_button.setEnabled(True)
        self.finished.emit(report)

    def _on_finished(self) -> None:
        self.worker = None
        self._set_running(False)
        if self.progress.maximum() == 0:  # failed before the start event
            self.progress.setRange(0, 1)
            self.progress.setValue(0)
            self.progress.setTextVisible(False)
            self.rate_label.setText("")
