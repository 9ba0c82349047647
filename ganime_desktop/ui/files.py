"""The window's files: open and save the sketch, save and copy colourings, save a colouring's
layers, the reference image, "save changes?".

Hints are saved on their own: when only the hints changed, Save (and "save changes?" on
closing or opening another page) writes ``{stem}.hints.png`` beside the page, the file the batch
reads, and never rewrites the page itself; the page is saved only when its line art changed (or
it has no file yet), and Save then proposes its own name and format, so a chapter's folder never
gains a second copy of a page.

Save dialogs open in the sketch's folder (else the folder saved to last); every dialog gives
the keyboard focus back to the canvas when it closes (dialogs.py). "Save layers" writes the
focused pane's flats, shading and line art as PNGs and one OpenRaster file (core/layers.py),
exactly the layers its flat or shaded colouring is made of.

The page, its hints and the reference image are the colouring state's (state.py); the colourings
are the result panes'; what is said goes through ``Messages``. What the window does next it hears
by signals: ``sketch_saved``, ``reference_chosen`` (the panes that copy it colour),
``models_folder_chosen(folder)``.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from ganime_desktop.core.colour_modes import layers_mode
from ganime_desktop.core.hints import HintFileError, has_hints, hints_path_for, write_hints
from ganime_desktop.core.imageio import (
    IMAGE_SUFFIXES,
    ImageReadError,
    ImageWriteError,
    read_image,
    write_image_atomic,
)
from ganime_desktop.core.layers import write_layers

from .about import APP_NAME
from .compare_panes import ComparePanes
from .dialogs import get_folder, get_open_file, get_save_file, return_focus
from .messages import Messages
from .qimage import rgb_to_qimage
from .settings import AppSettings
from .state import ColouringState

IMAGE_FILTER = "Images (" + " ".join(f"*{s}" for s in IMAGE_SUFFIXES) + ")"
SAVE_FORMATS = {".png": "PNG (*.png)", ".jpg": "JPEG (*.jpg *.jpeg)", ".webp": "WebP (*.webp)"}
SAVE_FILTER = ";;".join(SAVE_FORMATS.values())


def sketch_suffix(path: Path | None) -> str:
    """The format a sketch is saved in: its own file's, where the app writes that format, else PNG."""
    suffix = path.suffix.lower() if path is not None else ""
    suffix = ".jpg" if suffix == ".jpeg" else suffix
    return suffix if suffix in SAVE_FORMATS else ".png"


def save_filter(first: str) -> str:
    """SAVE_FILTER with ``first``'s format first (the dialog's initial choice)."""
    return ";;".join([SAVE_FORMATS[first], *(f for s, f in SAVE_FORMATS.items() if s != first)])
LAYERS_FILTER = "OpenRaster, with the layers as PNGs beside it (*.ora)"


class WindowFiles(QObject):
    sketch_saved = Signal()
    reference_chosen = Signal()
    models_folder_chosen = Signal(str)

    def __init__(self, state: ColouringState, compare: ComparePanes, settings: AppSettings, messages: Messages,
                 parent: QWidget) -> None:
        super().__init__(parent)
        self.state, self.compare, self.settings, self.messages = state, compare, settings, messages
        self._dialog_parent = parent  # the file dialogs' and the questions'
        self.ask_before_discarding = True  # "save changes?" on close/open; off in tests

    @property
    def document(self):
        return self.state.sketch

    def _status(self, text: str, ms: int = 5000) -> None:
        self.messages.say(text, ms)

    # --- the sketch ----------------------------------------------------------------------------
    def may_discard(self) -> bool:
        """Whether the window may drop the open page (closing, opening another): asks to save
        unsaved changes first; True unless the user cancels or saving fails."""
        w = self._dialog_parent
        if not self.ask_before_discarding or self.state.is_saved():
            return True
        if self._only_hints_changed():
            hints = hints_path_for(self.document.path).name
            question = (f"The colour hints of {self.document.path.name} have unsaved changes. Save them to "
                        f"{hints}? The page itself is not changed.")
        else:
            question = "The sketch has unsaved changes. Save them first?"
        answer = QMessageBox.question(
            w, APP_NAME, question,
            QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel)
        return_focus(w)
        if answer == QMessageBox.StandardButton.Save:
            return self.save()
        return answer == QMessageBox.StandardButton.Discard

    def _only_hints_changed(self) -> bool:
        return self.document.path is not None and self.document.is_clean()

    def save(self) -> bool:
        """Save (Ctrl+S): hints alone beside the page, else the sketch (and its hints) where the
        user says."""
        if self._only_hints_changed():
            return self.save_beside_page()
        return self.save_sketch_dialog()


    def open_dialog(self) -> None:
        if self.may_discard():
            path = get_open_file(self._dialog_parent, "Open a sketch", self.settings.last_dir("open"), IMAGE_FILTER)
            if path:
                self.open_path(path)

    def open_path(self, path: str | Path) -> bool:
        """Open an image as the sketch; a bad file gives a message and leaves the current sketch."""
        self.messages.clear()  # what is said while the page loads is about it
        try:
            self.document.load(path)
        except ImageReadError as exc:
            self.messages.alert("Cannot open the image", str(exc))
            return False
        self.settings.set_last_dir("open", path)
        self.settings.set_last_sketch(Path(path).resolve())
        said = self.messages.current()  # what loading the page's hints had to say
        self._status(f"Opened {path}" + (f". {said}" if said else ""), 15000 if said else 5000)
        return True

    def save_folder(self) -> str:
        """Where save dialogs open: the sketch's folder, else the folder saved to last."""
        path = self.document.path
        if path is not None and path.parent.is_dir():
            return str(path.parent)
        return self.settings.last_dir("save")

    def _ask_save_path(self, title: str, suggested: str, filter_: str = SAVE_FILTER,
                       suffixes=IMAGE_SUFFIXES, default_suffix: str = ".png") -> Path | None:
        path = get_save_file(self._dialog_parent, title, str(Path(self.save_folder()) / suggested), filter_)
        if not path:
            return None
        path = Path(path)
        if path.suffix.lower() not in suffixes:
            path = path.with_suffix(default_suffix)
        self.settings.set_last_dir("save", path)
        return path

    def save_sketch_dialog(self) -> bool:
        """Save the sketch as…: its own name and format proposed (a .jpg page stays a .jpg)."""
        stem = self.document.path.stem if self.document.path else "sketch"
        suffix = sketch_suffix(self.document.path)
        path = self._ask_save_path("Save the sketch", f"{stem}{suffix}", save_filter(suffix), default_suffix=suffix)
        return path is not None and self.save_sketch(path)

    def save_sketch(self, path: str | Path) -> bool:
        try:
            written = self.document.save(path)
        except ImageWriteError as exc:
            self.messages.alert("Cannot save the sketch", str(exc))
            return False
        try:
            hints = self.save_hints_beside(written)
        except HintFileError as exc:
            self.messages.alert("Cannot save the hints", str(exc))
            hints = None
        self.settings.set_last_sketch(Path(written).resolve())
        self.sketch_saved.emit()
        self._status(f"Saved the sketch to {written}" + (f" and its hints to {hints.name}" if hints else ""))
        return True

    # --- the hints -----------------------------------------------------------------------------
    def save_hints_beside(self, sketch_path: Path) -> Path | None:
        """Write the hints beside a sketch as ``{stem}.hints.png`` (the file the batch reads); the
        sketch's own file is not touched. A sketch without hints writes none, but an empty layer
        replaces an older hints file, so a reopened page shows what was saved. Returns the file
        written, None when there was nothing to write; raises HintFileError."""
        layer = self.state.hint_layer
        path = hints_path_for(sketch_path)
        rgba = layer.to_rgba()
        if not has_hints(rgba) and not path.exists():
            layer.set_clean()
            return None
        write_hints(path, rgba)
        layer.set_clean()
        return path

    def save_beside_page(self) -> bool:
        """Save the open page's hints beside it; False if that failed (the user was told why)."""
        page = self.document.path
        try:
            written = self.save_hints_beside(page)
        except HintFileError as exc:
            self.messages.alert("Cannot save the hints", str(exc))
            return False
        self._status(f"Saved the hints to {written} ({page.name} itself is unchanged)" if written else
                     "No hints to save", 6000)
        return True

    # --- colourings ----------------------------------------------------------------------------
    def _result_name(self, model: str, suffix: str = ".png") -> str:
        stem = self.document.path.stem if self.document.path else "sketch"
        return f"{stem}_{model}{suffix}"

    def _chosen_pane(self, need_page: bool = False):
        """The focused pane if it has a colouring, else the first that has one."""
        compare = self.compare
        has = (lambda p: p.page is not None) if need_page else (lambda p: p.rgb is not None)
        if compare.focused is not None and has(compare.focused):
            return compare.focused
        return next((p for p in compare.panes if has(p)), None)

    def save_result_dialog(self) -> None:
        pane = self._chosen_pane()
        if pane is None:
            self._status("Nothing to save yet: press Colour (F5) first.", 6000)
            return
        path = self._ask_save_path(f"Save the colouring by {pane.title}", self._result_name(pane.name))
        if path is not None:
            self.save_result(pane.name, path)

    def save_result(self, model: str, path: str | Path) -> bool:
        pane = self.compare.pane(model)
        if pane is None or pane.rgb is None:
            return False
        try:
            write_image_atomic(path, pane.rgb)
        except ImageWriteError as exc:
            self.messages.alert("Cannot save the colouring", str(exc))
            return False
        self._status(f"Saved {path}")
        return True

    def save_all_dialog(self) -> None:
        if not self.compare.results():
            self._status("Nothing to save yet: press Colour (F5) first.", 6000)
            return
        folder = get_folder(self._dialog_parent, "Save every colouring into", self.save_folder())
        if folder:
            self.settings.set_last_dir("save", folder)
            self.save_all(folder)

    def save_all(self, folder: str | Path) -> list[Path]:
        written = []
        for pane in self.compare.results():
            path = Path(folder) / self._result_name(pane.name)
            if self.save_result(pane.name, path):
                written.append(path)
        self._status(f"Saved {len(written)} colourings to {folder}", 6000)
        return written

    def save_layers_dialog(self) -> None:
        pane = self._chosen_pane(need_page=True)
        if pane is None:
            self._status("No layers yet: press Colour (F5) first.", 6000)
            return
        path = self._ask_save_path(f"Save the layers of {pane.title}'s colouring", self._result_name(pane.name, ".ora"),
                                   LAYERS_FILTER, (".ora",), ".ora")
        if path is not None:
            self.save_layers(pane.name, path)

    def save_layers(self, model: str, path: str | Path) -> dict[str, Path] | None:
        """Write ``{stem}.flats.png``, ``.shading.png``, ``.lines.png`` and ``{stem}.ora`` for the
        pane's colouring, in its mode (a pane showing the raw output gives the shaded layers)."""
        pane = self.compare.pane(model)
        if pane is None or pane.page is None:
            return None
        mode = layers_mode(pane.mode)
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            hints = self.state.hints()
            layers = pane.page.layers(mode, hints, self.state.fill)
            if pane.page.reference is not None:  # coloured like a page: where its colours came from
                layers = replace(layers, reference=pane.page.reference.mask(pane.page.regions.labels, hints))
            written = write_layers(Path(path).with_suffix(".png"), layers)
        except (ImageWriteError, ValueError) as exc:
            self.messages.alert("Cannot save the layers", str(exc))
            return None
        finally:
            QApplication.restoreOverrideCursor()
        note = f" (the {mode} layers: the pane shows the {pane.mode} output)" if mode != pane.mode else ""
        self._status(f"Saved the layers to {written['ora']} and {len(written) - 1} PNGs beside it{note}", 8000)
        return written

    def copy_result(self) -> None:
        pane = self._chosen_pane()
        if pane is None:
            self._status("Nothing to copy yet: press Colour (F5) first.", 6000)
            return
        QGuiApplication.clipboard().setImage(rgb_to_qimage(pane.rgb))
        self._status(f"Copied the colouring by {pane.title}", 4000)

    # --- reference and models ------------------------------------------------------------------
    def choose_reference_dialog(self) -> None:
        """Ask for a reference image (starting in the folder of the last one, else the sketch's);
        once one is chosen, the panes that use it colour at once."""
        folder = self.settings.last_dir("reference", fallback="open")
        path = get_open_file(self._dialog_parent, "Choose a colour reference", folder, IMAGE_FILTER)
        if path and self.set_reference(path):
            self.reference_chosen.emit()

    def set_reference(self, path: str, quiet: bool = False) -> bool:
        try:
            rgb = read_image(path)
        except ImageReadError as exc:
            if not quiet:
                self.messages.alert("Cannot use this reference image", str(exc))
            return False
        self.state.set_reference(rgb, path)  # the Models panel shows it
        self.settings.set_reference_image(path)
        self.settings.set_last_dir("reference", path)
        return True

    def add_models_dialog(self) -> None:
        folder = get_folder(self._dialog_parent, "A folder with a manifest.json and its models",
                            self.settings.last_dir("models"))
        if folder:
            self.models_folder_chosen.emit(folder)
