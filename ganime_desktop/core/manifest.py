"""The model manifest: which ONNX models exist, how to feed them, and where they came from.

One JSON file (``assets/models/manifest.json`` for the shipped models, ``manifest.json`` in the
user models folder for the user's own) written by ``python -m export`` and read by the app.
Qt-free and TensorFlow-free: the exporter and the app share this module.

Conventions every generator follows (the exporter guarantees them):
- input ``NHWC`` float32, the sketch as 3 identical RGB channels, value range [-1, 1] with white
  paper at +1; H and W multiples of ``size_multiple``;
- output ``NHWC`` float32 RGB in [-1, 1].

Colour hints (approach ``pix2pix-hints``; ``input.channels`` 7, ``input.hint_channels`` 4): the
sketch's 3 channels are followed by 4 hint channels at the same (full) resolution:
  3-5: the hint colour, RGB in the value range, times the mask (so exactly 0 where no hint),
  6:   the mask, 1 where the artist painted a hint and 0 elsewhere.
Padding to the size multiple is "no hint" (all four 0). A page larger than the working size is
shrunk together with its hints (a small pixel is hinted if any page pixel under it is, with their
mean colour: ``core.hints.shrink_hints``). A generator without hint channels ignores hints. On
disk a hint layer is an RGBA PNG the size of the page, ``{stem}.hints.png`` beside the sketch:
alpha > 0 marks hinted pixels, RGB their colour (``core.hints``). Training simulates the same
channels from the true colours (``training/hints.py``).
A ``style-transfer`` entry (fast-nst) has two files, ``style_predict`` and ``transform``, with
the Magenta conventions: RGB in [0, 1], style image 256x256, transform fixed at 384x384.

A generator may have a second file, ``generator_int8`` (``CPU_INT8_ROLE``): the same network
statically quantized to int8, with the same inputs and outputs, which the app runs instead of
``generator`` when it runs on the CPU (ganime_desktop/core/sessions.py). The exporter writes it
only when its colourings pass the int8 gate (export/cpu_int8.py) and records the measurements in
``provenance["cpu_int8"]``; ``precision`` describes the ``generator`` file.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any

from .errors import GanimeError
from .imageio import write_text_atomic

SCHEMA_VERSION = 1
MANIFEST_NAME = "manifest.json"
KINDS = ("generator", "style-transfer")
APPROACHES = ("pix2pix", "pix2pix-tv", "cyclegan", "fast-nst", "nst", "pix2pix-hints")
PRECISIONS = ("fp32", "fp16", "int8")
FILE_ROLES = {"generator": ("generator",), "style-transfer": ("style_predict", "transform")}
CPU_INT8_ROLE = "generator_int8"  # optional: the int8 file a generator runs on the CPU

_FILE_SCHEMA = {
    "type": "object",
    "required": ["path", "sha256", "bytes"],
    "properties": {
        "path": {"type": "string", "minLength": 1},
        "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
        "bytes": {"type": "integer", "minimum": 1},
    },
    "additionalProperties": False,
}

_TENSOR_SCHEMA = {
    "type": "object",
    "required": ["layout", "channels", "value_range"],
    "properties": {
        "layout": {"enum": ["NHWC"]},
        "channels": {"type": "integer", "minimum": 1},
        "hint_channels": {"type": "integer", "minimum": 0},
        "value_range": {"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 2},
        "size_multiple": {"type": "integer", "minimum": 1},
        "working_size": {"type": "integer", "minimum": 1},
    },
}

# JSON Schema (draft 2020-12) of the manifest; ``validate`` checks the same rules without a
# jsonschema dependency, and a test keeps the two in agreement.
MANIFEST_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "GANime Studio model manifest",
    "type": "object",
    "required": ["schema_version", "models"],
    "properties": {
        "schema_version": {"const": SCHEMA_VERSION},
        "models": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["name", "display_name", "approach", "kind", "precision", "files", "input",
                             "output"],
                "properties": {
                    "name": {"type": "string", "pattern": "^[a-z0-9][a-z0-9._-]*$"},
                    "display_name": {"type": "string", "minLength": 1},
                    "approach": {"enum": list(APPROACHES)},
                    "kind": {"enum": list(KINDS)},
                    "precision": {"enum": list(PRECISIONS)},
                    "description": {"type": "string"},
                    "default": {"type": "boolean"},
                    "files": {"type": "object", "additionalProperties": _FILE_SCHEMA, "minProperties": 1},
                    "input": _TENSOR_SCHEMA,
                    "output": _TENSOR_SCHEMA,
                    "provenance": {"type": "object"},
                    "evaluation": {"type": ["object", "null"]},
                },
            },
        },
    },
}


class ManifestError(GanimeError, ValueError):
    """A manifest that cannot be read or breaks the schema; the message names the file."""


@dataclass(frozen=True)
class ModelFile:
    path: str  # relative to the manifest's folder
    sha256: str
    bytes: int


@dataclass(frozen=True)
class TensorSpec:
    layout: str = "NHWC"
    channels: int = 3
    value_range: tuple[float, float] = (-1.0, 1.0)
    hint_channels: int = 0
    size_multiple: int = 1
    working_size: int = 256


@dataclass(frozen=True)
class ModelSpec:
    name: str
    display_name: str
    approach: str
    kind: str
    precision: str
    files: dict[str, ModelFile]
    input: TensorSpec
    output: TensorSpec
    description: str = ""
    default: bool = False
    provenance: dict[str, Any] = field(default_factory=dict)
    evaluation: dict[str, Any] | None = None
    base_dir: Path = Path(".")  # the manifest's folder; not written to JSON

    def file_path(self, role: str) -> Path:
        return self.base_dir / self.files[role].path

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("base_dir")
        for key in ("input", "output"):
            data[key]["value_range"] = list(data[key]["value_range"])
        return data


def sha256_of(path: str | os.PathLike, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def describe_file(path: Path, base_dir: Path) -> ModelFile:
    """The manifest's record of a model file: relative path, sha256, size."""
    return ModelFile(path=Path(os.path.relpath(path, base_dir)).as_posix(), sha256=sha256_of(path),
                     bytes=path.stat().st_size)


def _stays_inside(path: Any) -> bool:
    """A relative path with no '..' and no root or drive, in POSIX or Windows spelling."""
    if not isinstance(path, str) or not path:
        return False
    posix, windows = PurePosixPath(path), PureWindowsPath(path)
    return (not posix.is_absolute() and not windows.anchor and ".." not in posix.parts
            and ".." not in windows.parts)


def _top_level_problem(data: Any) -> str | None:
    """What makes a whole manifest unusable (not its entries), or None."""
    if not isinstance(data, dict):
        return "the top level must be a JSON object"
    if data.get("schema_version") != SCHEMA_VERSION:
        return (f"schema_version must be {SCHEMA_VERSION}, got {data.get('schema_version')!r} "
                "(a manifest from another version of GANime Studio; re-export the models)")
    if not isinstance(data.get("models"), list):
        return "'models' must be a list"
    return None


def _entry_problem(m: Any, index: int) -> str | None:
    """The first problem of one ``models`` entry, or None (duplicate names are the caller's)."""
    where = f"models[{index}]"
    if not isinstance(m, dict):
        return f"{where} must be an object"
    item_schema = MANIFEST_SCHEMA["properties"]["models"]["items"]
    for key in item_schema["required"]:
        if key not in m:
            return f"{where} lacks '{key}'"
    where = f"model {m['name']!r}"
    for key in ("approach", "kind", "precision"):
        allowed = item_schema["properties"][key]["enum"]
        if m[key] not in allowed:
            return f"{where}: {key} {m[key]!r} is not one of {', '.join(allowed)}"
    files = m["files"]
    if not isinstance(files, dict):
        return f"{where}: 'files' must be an object"
    missing = set(FILE_ROLES[m["kind"]]) - set(files)
    if missing:
        return f"{where}: a {m['kind']} needs files {sorted(missing)}"
    for role, f in files.items():
        if not isinstance(f, dict) or set(f) != {"path", "sha256", "bytes"}:
            return f"{where}: file '{role}' needs exactly path, sha256 and bytes"
        if not _stays_inside(f["path"]):
            return (f"{where}: file '{role}' path {f['path']!r} leaves the manifest's folder; a model's "
                    "files must lie in its folder or below it (a relative path without '..')")
        if not isinstance(f["sha256"], str) or len(f["sha256"]) != 64:
            return f"{where}: file '{role}' has a malformed sha256"
        if not isinstance(f["bytes"], int) or f["bytes"] < 1:
            return f"{where}: file '{role}' has a bad byte size"
    for key in ("input", "output"):
        t = m[key]
        if not isinstance(t, dict) or t.get("layout") != "NHWC":
            return f"{where}: {key}.layout must be NHWC"
        rng = t.get("value_range")
        if not (isinstance(rng, list) and len(rng) == 2 and rng[0] < rng[1]):
            return f"{where}: {key}.value_range must be [low, high]"
    return None


def _entry_names(m: Any) -> tuple[str, str] | None:
    """(name, display name) of an entry whose name can still be read, else None."""
    if not isinstance(m, dict) or not isinstance(m.get("name"), str):
        return None
    return m["name"], str(m.get("display_name") or m["name"])


def validate(data: Any, source: str = "manifest") -> None:
    """Raise ManifestError naming ``source`` and the first problem found."""
    problem = _top_level_problem(data)
    if problem is not None:
        raise ManifestError(f"{source}: {problem}")
    names = set()
    for i, m in enumerate(data["models"]):
        problem = _entry_problem(m, i)
        if problem is None and m["name"] in names:
            problem = f"model {m['name']!r} appears twice"
        if problem is not None:
            raise ManifestError(f"{source}: {problem}")
        names.add(m["name"])


@dataclass(frozen=True)
class RefusedEntry:
    """A manifest entry that breaks the schema, refused on its own (``read_manifest_entries``)."""

    name: str | None  # None when not even the name can be read
    display_name: str
    problem: str  # names the entry and what is wrong with it


def _spec_from_json(m: dict[str, Any], base_dir: Path) -> ModelSpec:
    def tensor(t: dict[str, Any]) -> TensorSpec:
        return TensorSpec(**{**t, "value_range": tuple(t["value_range"])})

    return ModelSpec(
        name=m["name"], display_name=m["display_name"], approach=m["approach"], kind=m["kind"],
        precision=m["precision"], files={r: ModelFile(**f) for r, f in m["files"].items()},
        input=tensor(m["input"]), output=tensor(m["output"]), description=m.get("description", ""),
        default=bool(m.get("default", False)), provenance=m.get("provenance") or {},
        evaluation=m.get("evaluation"), base_dir=base_dir,
    )


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ManifestError(f"{path}: no such manifest") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ManifestError(f"{path}: cannot read the manifest ({exc}); re-export the models") from None


def load_manifest(path: str | os.PathLike) -> list[ModelSpec]:
    """Read and validate a manifest; ModelSpec.base_dir is the manifest's folder."""
    path = Path(path)
    data = _read_json(path)
    validate(data, str(path))
    return [_spec_from_json(m, path.parent) for m in data["models"]]


def find_generator(path: str | os.PathLike, name: str | None = None) -> ModelSpec:
    """The generator ``name`` of a manifest file, or its default generator when ``name`` is None; a
    ManifestError naming the file and the generators it has when there is none such."""
    generators = [s for s in load_manifest(path) if s.kind == "generator"]
    spec = next((s for s in generators if (s.name == name if name else s.default)), None)
    if spec is None:
        wanted = f"generator {name!r}" if name else "default generator"
        raise ManifestError(f"{path}: no {wanted}; there are: {', '.join(s.name for s in generators) or 'none'}")
    return spec


def read_manifest_entries(path: str | os.PathLike) -> tuple[list[ModelSpec], list[RefusedEntry]]:
    """A manifest as the app reads it: every valid entry, and each invalid one refused on its own
    (one bad path in a user's manifest must not disable the folder's other models). Raises
    ManifestError only when the file itself cannot be used (unreadable, not JSON, wrong schema
    version). ``load_manifest`` is the strict reading the exporter uses before rewriting a manifest."""
    path = Path(path)
    data = _read_json(path)
    problem = _top_level_problem(data)
    if problem is not None:
        raise ManifestError(f"{path}: {problem}")
    specs: list[ModelSpec] = []
    refused: list[RefusedEntry] = []
    for i, m in enumerate(data["models"]):
        problem = _entry_problem(m, i)
        if problem is None and any(s.name == m["name"] for s in specs):
            problem = f"model {m['name']!r} appears twice (the first entry is used)"
        if problem is None:
            try:
                specs.append(_spec_from_json(m, path.parent))
                continue
            except (TypeError, ValueError) as exc:  # e.g. an unknown key in 'input'
                problem = f"model {m['name']!r}: cannot be read ({exc})"
        name, display = _entry_names(m) or (None, f"models[{i}]")
        refused.append(RefusedEntry(name, display, problem))
    return specs, refused


def write_manifest(path: str | os.PathLike, specs: list[ModelSpec]) -> None:
    """Validate and write atomically (a killed export never leaves a half-written manifest)."""
    path = Path(path)
    data = {"schema_version": SCHEMA_VERSION, "models": [s.to_json() for s in specs]}
    validate(data, str(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    write_text_atomic(path, text)


def upsert(specs: list[ModelSpec], spec: ModelSpec) -> list[ModelSpec]:
    """Replace the entry of the same name where it stands (the app lists models in manifest order),
    or append."""
    if any(s.name == spec.name for s in specs):
        return [spec if s.name == spec.name else s for s in specs]
    return [*specs, spec]
