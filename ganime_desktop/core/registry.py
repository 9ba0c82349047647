"""The models the app can offer: every manifest folder read into one list, each entry usable or not.

A broken manifest or a missing or damaged model file makes only the models concerned unavailable,
with a plain reason the GUI and the CLI show; it never stops the other models or the app.
The sha256 check costs ~1 s per 200 MB, so it runs on first load (``verify``) and its result is
cached per file path, size and mtime.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, replace
from pathlib import Path

from .manifest import MANIFEST_NAME, ManifestError, ModelSpec, load_manifest, sha256_of
from .paths import extra_models_dirs, shipped_models_dir, user_data_dir, user_models_dir

__all__ = [
    "ModelEntry", "ModelRegistry", "UnknownModelError", "default_registry", "shipped_models_dir",
    "user_data_dir", "user_models_dir",
]


class UnknownModelError(KeyError):
    """A model name that no manifest lists; str() is a message for the user."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "unknown model"


@dataclass(frozen=True)
class ModelEntry:
    spec: ModelSpec | None
    name: str
    display_name: str
    available: bool
    reason: str | None  # why it is unavailable, in words for the user
    source: str  # "shipped" | "user"
    manifest: Path | None = None


# (path, size, mtime_ns) -> sha256 hex, shared by every registry of the process.
_HASH_CACHE: dict[tuple[str, int, int], str] = {}
_HASH_LOCK = threading.Lock()


def _cached_sha256(path: Path) -> str:
    st = path.stat()
    key = (str(path.resolve()), st.st_size, st.st_mtime_ns)
    with _HASH_LOCK:
        if key in _HASH_CACHE:
            return _HASH_CACHE[key]
    digest = sha256_of(path)
    with _HASH_LOCK:
        _HASH_CACHE[key] = digest
    return digest


def _quick_check(spec: ModelSpec) -> str | None:
    """Cheap checks (existence, size) for every file of a model; the reason or None."""
    for role, f in spec.files.items():
        path = spec.file_path(role)
        if not path.is_file():
            return f"file {path} is missing — reinstall or re-export the model"
        size = path.stat().st_size
        if size != f.bytes:
            return (f"file {path} has {size} bytes, the manifest says {f.bytes}: the file is damaged "
                    "or was replaced — reinstall or re-export the model")
    return None


def _names_in_broken_manifest(path: Path) -> list[tuple[str, str]]:
    """(name, display name) pairs still readable from a manifest that fails validation."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        models = data.get("models", []) if isinstance(data, dict) else []
        return [(str(m["name"]), str(m.get("display_name", m["name"])))
                for m in models if isinstance(m, dict) and "name" in m]
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, TypeError):
        return []


class ModelRegistry:
    """All models listed by the manifests in ``manifest_dirs`` (later folders override earlier ones)."""

    def __init__(self, manifest_dirs: list[Path], *, shipped_dir: Path | None = None):
        self.manifest_dirs = [Path(d) for d in manifest_dirs]
        shipped = (shipped_dir or shipped_models_dir()).resolve()
        self.problems: list[str] = []  # folder-level problems (a broken manifest), for the GUI/CLI
        self._entries: dict[str, ModelEntry] = {}
        self._lock = threading.Lock()
        for folder in self.manifest_dirs:
            source = "shipped" if folder.resolve() == shipped else "user"
            self._read_folder(folder, source)

    def _read_folder(self, folder: Path, source: str) -> None:
        manifest = folder / MANIFEST_NAME
        if not manifest.is_file():
            return  # an empty or new models folder: nothing to offer, nothing wrong
        try:
            specs = load_manifest(manifest)
        except ManifestError as exc:
            reason = f"the manifest is broken ({exc}) — re-export the models or reinstall"
            self.problems.append(reason)
            for name, display in _names_in_broken_manifest(manifest):
                self._entries[name] = ModelEntry(None, name, display, False, reason, source, manifest)
            return
        for spec in specs:
            reason = _quick_check(spec)
            self._entries[spec.name] = ModelEntry(spec, spec.name, spec.display_name, reason is None,
                                                  reason, source, manifest)

    def entries(self) -> list[ModelEntry]:
        with self._lock:
            return list(self._entries.values())

    def available(self) -> list[ModelEntry]:
        return [e for e in self.entries() if e.available]

    def names(self) -> list[str]:
        return [e.name for e in self.entries()]

    def get(self, name: str) -> ModelEntry:
        with self._lock:
            entry = self._entries.get(name)
        if entry is None:
            known = ", ".join(self.names()) or "none installed"
            raise UnknownModelError(f"unknown model {name!r}; available models: {known}")
        return entry

    def defaults(self) -> list[ModelEntry]:
        """The models marked default that are usable; else the first usable one; else none."""
        usable = self.available()
        marked = [e for e in usable if e.spec is not None and e.spec.default]
        return marked or usable[:1]

    def verify(self, name: str) -> ModelEntry:
        """Check existence and sha256 of the model's files (cached); returns the updated entry.

        A failure marks the entry unavailable with the reason; it never raises for a bad file.
        """
        entry = self.get(name)
        if entry.spec is None or not entry.available:
            return entry
        reason = _quick_check(entry.spec)
        if reason is None:
            for role, f in entry.spec.files.items():
                path = entry.spec.file_path(role)
                try:
                    digest = _cached_sha256(path)
                except OSError as exc:
                    reason = f"file {path} cannot be read ({exc.strerror or exc}) — check its access rights"
                    break
                if digest != f.sha256:
                    reason = (f"sha256 mismatch: the file {path} is damaged — "
                              "reinstall or re-export the model")
                    break
        if reason is not None:
            entry = replace(entry, available=False, reason=reason)
            with self._lock:
                self._entries[name] = entry
        return entry


def default_manifest_dirs() -> list[Path]:
    """Shipped models, then the user's models folder, then GANIME_MODELS_DIR folders."""
    return [shipped_models_dir(), user_models_dir(), *extra_models_dirs()]


def default_registry(extra_dirs: list[Path] | None = None) -> ModelRegistry:
    """The registry the app and CLI use; ``extra_dirs`` (e.g. --models-dir) come last and win."""
    return ModelRegistry([*default_manifest_dirs(), *(extra_dirs or [])])
