"""Where a model came from, in words that mean the same on every machine, never one machine's
absolute paths: relative to the repository (``runs/p2p-tv/generator.keras``), to the data root
(``data:anime-fullbody``), or else to the manifest's own folder (``../my-run/generator.keras``, which
holds while the two folders move together); and how it was trained (backend, device, steps, time).
``resolve_portable`` turns such a path back into a file (``python -m export --check``)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
DATA_ROOT = REPO.parent / "shared" / "data"


DATA_PREFIX = "data:"


def _absolute(path: str | os.PathLike) -> Path:
    p = Path(path)
    return Path(os.path.normpath(p if p.is_absolute() else Path.cwd() / p))


def portable_path(path: str | os.PathLike | None, manifest_dir: str | os.PathLike | None = None, *,
                  repo: Path = REPO, data_root: Path = DATA_ROOT) -> str | None:
    """A path as the data root or the repository see it, else relative to ``manifest_dir`` (starting
    with ./ or ../), else only its last two parts after "…/"."""
    if path is None:
        return None
    p = _absolute(path)
    for root, prefix in ((_absolute(data_root), DATA_PREFIX), (_absolute(repo), "")):
        if p == root or root in p.parents:
            return prefix + p.relative_to(root).as_posix()
    if manifest_dir is not None:
        relative = Path(os.path.relpath(p, _absolute(manifest_dir))).as_posix()
        return relative if relative.startswith("../") else f"./{relative}"
    return "…/" + "/".join(p.parts[-2:])


def resolve_portable(text: str | None, manifest_dir: str | os.PathLike, *, repo: Path = REPO,
                     data_root: Path = DATA_ROOT) -> Path | None:
    """The file a portable path names on this machine; None for one recorded without a root."""
    if not text or text.startswith("…/"):
        return None
    if text.startswith(DATA_PREFIX):
        return data_root / text[len(DATA_PREFIX):]
    if text.startswith(("./", "../")):
        return Path(os.path.normpath(Path(manifest_dir) / text))
    if Path(text).is_absolute():  # a manifest written before paths were portable
        return Path(text)
    return repo / text


def training_record(state: dict[str, Any], config: dict[str, Any]) -> dict[str, Any]:
    """Backend, device, steps and when training stopped, from the run's state.json and config.json;
    for a fine-tuned run also the run it started from (``--init-from``) and how that one trained."""
    record = {"backend": state.get("backend") or config.get("backend") or "tensorflow",
              "device": state.get("device"), "steps": state.get("steps"), "finished": state.get("time"),
              "state": state.get("state"), "initialised_from": config.get("initialised_from")}
    return {k: v for k, v in record.items() if v is not None}
