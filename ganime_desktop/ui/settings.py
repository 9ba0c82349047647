"""The app's persistent settings (QSettings, INI format), in the user's data folder.

Where: ``settings.ini`` in core/paths.py's ``user_data_dir()`` (``~/.local/share/ganime-studio``,
``%APPDATA%\\GANime Studio``, ``~/Library/Application Support/GANime Studio``; ``$GANIME_DATA_DIR``
moves it, for portable installs and tests), beside the user's models. Never next to the
executable. Settings an earlier version kept in Qt's per-user config folder are copied over once.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings

from ganime_desktop.core.colour_modes import DEFAULT_MODE, MODES
from ganime_desktop.core.gap_close import GAP_SETTINGS
from ganime_desktop.core.hint_fill import FillSettings
from ganime_desktop.core.paths import DATA_DIR_ENV, user_data_dir

ORGANIZATION = "GANime"
APPLICATION = "GANime Studio"
SETTINGS_FILE = "settings.ini"
DEVICES = ("auto", "cpu", "cuda")
PANE_LAYOUTS = ("auto", "row", "grid")  # compare_panes.py: one row up to 3 then a grid; one row; a grid


def open_qsettings() -> QSettings:
    path = user_data_dir() / SETTINGS_FILE
    if not os.environ.get(DATA_DIR_ENV) and not path.exists():
        _copy_old_settings(path)
    return QSettings(str(path), QSettings.Format.IniFormat)


def _copy_old_settings(path: Path) -> None:
    """Versions before this one kept the settings in Qt's per-user config folder: take them once."""
    old = Path(QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, ORGANIZATION, APPLICATION).fileName())
    if old.is_file():
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(old, path)
        except OSError:
            pass  # start from the defaults


def _as_bool(value, default: bool) -> bool:
    if value is None:
        return default
    if isinstance(value, str):
        return value.lower() in ("1", "true", "yes", "on")
    return bool(value)


def _as_list(value) -> list[str]:
    """INI files give back a str for one-element lists and None for empty ones."""
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value]


class AppSettings:
    """Typed access to the few things the app remembers between runs."""

    def __init__(self, qsettings: QSettings | None = None) -> None:
        self.qs = qsettings if qsettings is not None else open_qsettings()

    @property
    def file_name(self) -> str:
        return self.qs.fileName()

    def sync(self) -> None:
        self.qs.sync()

    def _str(self, key: str, default: str = "") -> str:
        value = self.qs.value(key, default)
        return str(value) if value is not None else default

    # --- folders -------------------------------------------------------------------------------
    def last_dir(self, kind: str, fallback: str | None = None) -> str:
        """Last folder used for ``kind`` ("open", "save", "reference", "batch-in", "batch-out"),
        else the one for ``fallback``, else the home folder."""
        folder = self._str(f"folders/{kind}")
        if folder and Path(folder).is_dir():
            return folder
        return self.last_dir(fallback) if fallback else str(Path.home())

    def set_last_dir(self, kind: str, path: str | os.PathLike) -> None:
        p = Path(path)
        self.qs.setValue(f"folders/{kind}", str(p if p.is_dir() else p.parent))

    # --- models and device ---------------------------------------------------------------------
    def selected_models(self) -> list[str] | None:
        """The models ticked last time; None if never saved (use the registry's defaults)."""
        if not self.qs.contains("models/selected"):
            return None
        return _as_list(self.qs.value("models/selected"))

    def set_selected_models(self, names: list[str]) -> None:
        # an explicit marker keeps "nothing selected" apart from "never saved" in INI files
        self.qs.setValue("models/selected", list(names) if names else "")

    def device(self) -> str:
        value = self._str("inference/device", "auto")
        return value if value in DEVICES else "auto"

    def set_device(self, device: str) -> None:
        if device not in DEVICES:
            raise ValueError(f"unknown device {device!r}")
        self.qs.setValue("inference/device", device)

    def recolour_after_stroke(self) -> bool:
        return _as_bool(self.qs.value("inference/recolour_after_stroke"), False)

    def set_recolour_after_stroke(self, on: bool) -> None:
        self.qs.setValue("inference/recolour_after_stroke", bool(on))

    def reference_image(self) -> str:
        path = self._str("inference/reference_image")
        return path if path and Path(path).is_file() else ""

    def set_reference_image(self, path: str) -> None:
        self.qs.setValue("inference/reference_image", path)

    def extra_model_dirs(self) -> list[str]:
        """Model folders added with File → Add models folder (kept while they exist)."""
        return [d for d in _as_list(self.qs.value("models/extra_dirs")) if Path(d).is_dir()]

    def add_extra_model_dir(self, folder: str) -> None:
        dirs = [d for d in _as_list(self.qs.value("models/extra_dirs")) if d != folder]
        self.qs.setValue("models/extra_dirs", [*dirs, folder])

    # --- tools ---------------------------------------------------------------------------------
    def tool_width(self, tool: str, default: float) -> float:
        try:
            return float(self.qs.value(f"tools/{tool}_width", default))
        except (TypeError, ValueError):
            return default

    def set_tool_width(self, tool: str, width: float) -> None:
        self.qs.setValue(f"tools/{tool}_width", float(width))

    def tool_opacity(self, tool: str) -> float:
        """0..1; 1 when never set."""
        try:
            return min(1.0, max(0.01, float(self.qs.value(f"tools/{tool}_opacity", 1.0))))
        except (TypeError, ValueError):
            return 1.0

    def set_tool_opacity(self, tool: str, opacity: float) -> None:
        self.qs.setValue(f"tools/{tool}_opacity", float(opacity))

    # --- colour modes and panes ----------------------------------------------------------------
    def colour_mode(self) -> str:
        """The mode new panes show (core/colour_modes.py)."""
        value = self._str("colour/mode", DEFAULT_MODE)
        return value if value in MODES else DEFAULT_MODE

    def set_colour_mode(self, mode: str) -> None:
        self.qs.setValue("colour/mode", mode)

    def pane_modes(self) -> dict[str, str]:
        """Model name -> the mode its pane was switched to (where it differs from the global one)."""
        pairs = (item.partition("=") for item in _as_list(self.qs.value("colour/pane_modes")))
        return {name: mode for name, _eq, mode in pairs if name and mode in MODES}

    def set_pane_modes(self, modes: dict[str, str]) -> None:
        self.qs.setValue("colour/pane_modes", [f"{n}={m}" for n, m in modes.items()] or "")

    def pane_layout(self) -> str:
        value = self._str("window/pane_layout", "auto")
        return value if value in PANE_LAYOUTS else "auto"

    def set_pane_layout(self, layout: str) -> None:
        self.qs.setValue("window/pane_layout", layout)

    # --- the sketch ----------------------------------------------------------------------------
    def last_sketch(self) -> str:
        """The sketch opened last (reopened on start), if it still exists."""
        path = self._str("files/last_sketch")
        return path if path and Path(path).is_file() else ""

    def set_last_sketch(self, path: str | os.PathLike | None) -> None:
        self.qs.setValue("files/last_sketch", str(path) if path else "")

    # --- colour hints --------------------------------------------------------------------------
    def recent_hint_colours(self) -> list[str]:
        """Hint colours used last, most recent first, as '#rrggbb'."""
        return [c for c in _as_list(self.qs.value("hints/recent_colours")) if len(c) == 7 and c.startswith("#")]

    def set_recent_hint_colours(self, colours: list[str]) -> None:
        self.qs.setValue("hints/recent_colours", list(colours) if colours else "")

    def fill_settings(self) -> FillSettings:
        """How hints fill (core/hint_fill.py): the Close gaps and Parts settings of the hints panel."""
        default = FillSettings()
        gaps = self._str("hints/close_gaps", default.close_gaps)
        try:
            tolerance = float(self.qs.value("hints/part_tolerance", default.part_tolerance))
            return FillSettings(gaps if gaps in GAP_SETTINGS else default.close_gaps, tolerance)
        except (TypeError, ValueError):
            return default

    def set_fill_settings(self, fill: FillSettings) -> None:
        self.qs.setValue("hints/close_gaps", fill.close_gaps)
        self.qs.setValue("hints/part_tolerance", float(fill.part_tolerance))

    def show_hints(self) -> bool:
        return _as_bool(self.qs.value("hints/visible"), True)

    def set_show_hints(self, on: bool) -> None:
        self.qs.setValue("hints/visible", bool(on))

    # --- window --------------------------------------------------------------------------------
    def window_geometry(self) -> QByteArray | None:
        value = self.qs.value("window/geometry")
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    def window_state(self) -> QByteArray | None:
        value = self.qs.value("window/state")
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    def set_window(self, geometry: QByteArray, state: QByteArray) -> None:
        self.qs.setValue("window/geometry", geometry)
        self.qs.setValue("window/state", state)

    def splitter_state(self) -> QByteArray | None:
        value = self.qs.value("window/splitter")
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    def set_splitter_state(self, state: QByteArray) -> None:
        self.qs.setValue("window/splitter", state)

    # --- batch panel ---------------------------------------------------------------------------
    def batch_value(self, key: str, default=None):
        value = self.qs.value(f"batch/{key}", default)
        if isinstance(default, bool):
            return _as_bool(value, default)
        if isinstance(default, list):
            return _as_list(value) if self.qs.contains(f"batch/{key}") else default
        return value

    def set_batch_value(self, key: str, value) -> None:
        self.qs.setValue(f"batch/{key}", value)
