"""The models the app can offer: every manifest folder read into one list, each entry usable or not.

A broken manifest or a missing or damaged model file makes only the models concerned unavailable,
with a plain reason the GUI and the CLI show; it never stops the other models or the app. A
manifest entry that breaks the schema (a path out of its folder, an unknown kind) is refused on
its own, with its own reason; the manifest's other entries load.

Later folders override earlier ones: a user model named like a shipped model replaces it. That is
never silent: the entry's ``replaces`` and the registry's ``notices`` say so (the CLI, the
self-test and the About box show them).
The sha256 check costs ~1 s per 200 MB, so it runs on first load (``verify``) and its result is
cached per file path, size and mtime.

A generator with an int8 CPU file (``CPU_INT8_ROLE``) has two files that can each colour on their
own: the float file (``generator``), which CUDA runs, and the int8 file, which the CPU runs
(core/sessions.py). The installers put the float file of such a generator in the CUDA add-on only
(docs/packaging.md), so the CPU package lacks it. Such a model is available while at least one of
the two is intact: the entry's ``spec`` then lists only the intact files (so the sessions never pick
a missing or damaged one), and its ``note`` says in words what that means, e.g. that it colours on
the CPU only. Only when both are missing or damaged is the model unavailable.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, replace
from pathlib import Path

from .manifest import (
    CPU_INT8_ROLE,
    MANIFEST_NAME,
    ManifestError,
    ModelSpec,
    read_manifest_entries,
    sha256_of,
)
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
    spec: ModelSpec | None  # with only the files that can run (see the module docstring)
    name: str
    display_name: str
    available: bool
    reason: str | None  # why it is unavailable, in words for the user
    source: str  # "shipped" | "user"
    manifest: Path | None = None
    note: str | None = None  # an available model that lacks one of its files: what that means
    replaces: str | None = None  # the model of the same name this one overrides, in words


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


FLOAT_ROLE = "generator"
_FIX = " — reinstall or re-export the model"


def _inside_folder(path: Path, folder: Path) -> bool:
    """Whether ``path``, links followed, lies in ``folder`` (the manifest refuses '..' and absolute
    paths; this catches a symbolic link that leads out)."""
    try:
        return path.resolve().is_relative_to(folder.resolve())
    except (OSError, RuntimeError):  # a link loop
        return False


def _file_problem(spec: ModelSpec, role: str, *, hashed: bool) -> str | None:
    """What is wrong with one file of a model (missing, wrong size, unreadable, and with
    ``hashed`` a sha256 mismatch), in words without the fix; None when it is intact."""
    f = spec.files[role]
    path = spec.file_path(role)
    if not _inside_folder(path, spec.base_dir):
        return (f"file {path} points outside its model folder {spec.base_dir} (a link to elsewhere); a model's "
                "files must lie in its folder")
    if not path.is_file():
        return f"file {path} is missing"
    size = path.stat().st_size
    if size != f.bytes:
        return (f"file {path} has {size} bytes, the manifest says {f.bytes}: the file is damaged "
                "or was replaced")
    if hashed:
        try:
            digest = _cached_sha256(path)
        except OSError as exc:
            return f"file {path} cannot be read ({exc.strerror or exc}) — check its access rights"
        if digest != f.sha256:
            return f"sha256 mismatch: the file {path} is damaged"
    return None


def _with_fix(problem: str) -> str:
    return problem if "access rights" in problem else problem + _FIX


def _assess(spec: ModelSpec, *, hashed: bool) -> tuple[ModelSpec | None, str | None, str | None]:
    """(the spec with only its usable files, or None when the model cannot run; why it cannot
    run; a note about a missing or damaged file it can do without)."""
    problems = {role: _file_problem(spec, role, hashed=hashed) for role in spec.files}
    optional = (FLOAT_ROLE, CPU_INT8_ROLE) if spec.kind == "generator" and CPU_INT8_ROLE in spec.files else ()
    for role, problem in problems.items():
        if problem is not None and role not in optional:
            return None, _with_fix(problem), None
    broken = {role: problems[role] for role in optional if problems[role] is not None}
    if not broken:
        return spec, None, None
    if len(broken) == len(optional):  # neither the float nor the int8 file can run
        return None, _with_fix("; ".join(broken.values())), None
    usable = replace(spec, files={r: f for r, f in spec.files.items() if r not in broken})
    if FLOAT_ROLE in broken:
        why = (f"its GPU model file {spec.files[FLOAT_ROLE].path} is not installed (the CUDA add-on brings it)"
               if not spec.file_path(FLOAT_ROLE).is_file() else
               f"its GPU model file is damaged ({broken[FLOAT_ROLE]}); reinstall the CUDA add-on or re-export "
               "the model")
        return usable, None, f"colours on the CPU only, with its int8 model: {why}"
    return usable, None, (f"its int8 CPU model file is missing or damaged ({broken[CPU_INT8_ROLE]}), so the "
                          f"CPU runs its float model instead (slower){_FIX}")


def _same_file(a: Path | None, b: Path | None) -> bool:
    """The same manifest, however its folder was spelled (--models-dir and GANIME_MODELS_DIR alike)."""
    if a is None or b is None:
        return a is b
    try:
        return a.resolve() == b.resolve()
    except (OSError, RuntimeError):
        return a == b


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
        self.notices: list[str] = []  # models that replace another of the same name, for the logs
        self._entries: dict[str, ModelEntry] = {}
        self._specs: dict[str, ModelSpec] = {}  # as the manifests list them, all files
        self._lock = threading.Lock()
        for folder in self.manifest_dirs:
            source = "shipped" if folder.resolve() == shipped else "user"
            self._read_folder(folder, source)

    def _read_folder(self, folder: Path, source: str) -> None:
        manifest = folder / MANIFEST_NAME
        if not manifest.is_file():
            return  # an empty or new models folder: nothing to offer, nothing wrong
        try:
            specs, refused = read_manifest_entries(manifest)
        except ManifestError as exc:
            reason = f"the manifest is broken ({exc}) — re-export the models or reinstall"
            self.problems.append(reason)
            for name, display in _names_in_broken_manifest(manifest):
                self._add(ModelEntry(None, name, display, False, reason, source, manifest))
                self._specs.pop(name, None)
            return
        for spec in specs:
            usable, reason, note = _assess(spec, hashed=False)
            self._specs[spec.name] = spec
            self._add(ModelEntry(usable or spec, spec.name, spec.display_name, usable is not None,
                                 reason, source, manifest, note))
        valid = {spec.name for spec in specs}
        for bad in refused:
            reason = f"its entry in {manifest} is refused: {bad.problem} — re-export the model"
            if bad.name is None or bad.name in valid:  # no name to grey out, or its name's valid entry stays
                self.problems.append(reason.replace("its entry", f"an entry ({bad.display_name})", 1))
                continue
            self._add(ModelEntry(None, bad.name, bad.display_name, False, reason, source, manifest))
            self._specs.pop(bad.name, None)

    def _add(self, entry: ModelEntry) -> None:
        """Add a folder's entry; one that overrides an earlier folder's says so."""
        earlier = self._entries.get(entry.name)
        if earlier is not None and not _same_file(earlier.manifest, entry.manifest):
            entry = replace(entry, replaces=f"the {earlier.source} model of that name ({earlier.manifest})")
            self.notices.append(f"the {entry.source} model {entry.name!r} of {entry.manifest} replaces "
                                f"{entry.replaces}")
        self._entries[entry.name] = entry

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

        A failure marks the entry unavailable with the reason; it never raises for a bad file. A
        generator that can do without a damaged file (module docstring) stays available, with a
        ``note`` and only its intact files in ``spec``.
        """
        entry = self.get(name)
        with self._lock:
            spec = self._specs.get(name)
        if spec is None or not entry.available:
            return entry
        usable, reason, note = _assess(spec, hashed=True)
        entry = replace(entry, spec=usable or spec, available=usable is not None, reason=reason, note=note)
        with self._lock:
            self._entries[name] = entry
        return entry


def default_manifest_dirs() -> list[Path]:
    """Shipped models, then the user's models folder, then GANIME_MODELS_DIR folders."""
    return [shipped_models_dir(), user_models_dir(), *extra_models_dirs()]


def default_registry(extra_dirs: list[Path] | None = None) -> ModelRegistry:
    """The registry the app and CLI use; ``extra_dirs`` (e.g. --models-dir) come last and win."""
    return ModelRegistry([*default_manifest_dirs(), *(extra_dirs or [])])
