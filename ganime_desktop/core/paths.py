"""Where the app keeps its data: the per-user data folder and the shipped models folder.

Never next to the executable (it may be read-only, and an update would wipe it).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

APP_DIR_NAME = "GANime Studio"  # Windows and macOS style
APP_DIR_NAME_XDG = "ganime-studio"  # Linux style
DATA_DIR_ENV = "GANIME_DATA_DIR"  # tests and portable installs point this elsewhere
MODELS_DIR_ENV = "GANIME_MODELS_DIR"  # an extra folder of models (one with a manifest.json)
CACHE_DIR_ENV = "GANIME_CACHE_DIR"  # training's caches: synthesized sketches, downloaded weights


def user_cache_dir() -> Path:
    """$GANIME_CACHE_DIR, else the platform's user cache folder + ganime-studio. Not created here."""
    override = os.environ.get(CACHE_DIR_ENV)
    if override:
        return Path(override).expanduser()
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or str(Path.home() / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = str(Path.home() / "Library" / "Caches")
    else:
        base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / APP_DIR_NAME_XDG


def user_data_dir() -> Path:
    """The per-user data folder: settings, user models, logs. Not created here."""
    override = os.environ.get(DATA_DIR_ENV)
    if override:
        return Path(override).expanduser()
    if sys.platform == "win32":
        base = os.environ.get("APPDATA") or str(Path.home() / "AppData" / "Roaming")
        return Path(base) / APP_DIR_NAME
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / APP_DIR_NAME
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / APP_DIR_NAME_XDG


def user_models_dir() -> Path:
    """Where the user's own exported models go (``python -m export --to-user``, drag and drop)."""
    return user_data_dir() / "models"


def shipped_models_dir() -> Path:
    """The models that ship with the app: ``assets/models/`` in the repo or the PyInstaller bundle."""
    frozen_root = getattr(sys, "_MEIPASS", None)
    if frozen_root:
        return Path(frozen_root) / "assets" / "models"
    return Path(__file__).resolve().parents[2] / "assets" / "models"


def extra_models_dirs() -> list[Path]:
    """Folders named by GANIME_MODELS_DIR (os.pathsep-separated)."""
    value = os.environ.get(MODELS_DIR_ENV, "")
    return [Path(p).expanduser() for p in value.split(os.pathsep) if p.strip()]
