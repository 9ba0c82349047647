"""What a batch will do: which files of a folder are pages, in which order, and where each
colouring goes. Pure file-system planning, no pixels."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from .batch_report import REPORT_NAMES
from .hints import is_hint_file
from .imageio import is_image_path, is_temp_name
from .natural_sort import natural_key
from .regular_file import not_regular_reason

OUTPUT_FORMATS = ("png", "jpg", "webp")
NOT_AN_IMAGE = "not an image file (or an unsupported format)"


@dataclass(frozen=True)
class NotAPage:
    relative: str  # path relative to the input folder, POSIX style
    reason: str  # NOT_AN_IMAGE, or why a special file (a pipe, a link to a device) is not read


@dataclass(frozen=True)
class PlannedPage:
    source: Path  # absolute path of the page
    relative: str  # path relative to the input folder, POSIX style (report, GUI list)
    outputs: dict[str, Path]  # model name -> output file


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.relative_to(folder)
        return True
    except ValueError:
        return False


def is_earlier_output(folder: Path) -> bool:
    """A folder an earlier batch wrote (it holds our report files): its colourings are not pages."""
    return all((folder / name).is_file() for name in REPORT_NAMES)


def list_files(input_dir: Path, output_dir: Path, recursive: bool) -> list[Path]:
    """Every visible file under ``input_dir`` (one level unless recursive), naturally sorted,
    never anything inside ``output_dir`` or inside an earlier run's output folder (an output
    folder inside the input folder is not input), never a page's colour hints (``*.hints.png``)."""
    input_dir, output_dir = input_dir.resolve(), output_dir.resolve()
    found: list[Path] = []
    for root, dirs, files in os.walk(input_dir):
        root_path = Path(root)
        dirs[:] = [d for d in dirs if not d.startswith(".") and not _inside(root_path / d, output_dir)
                   and not is_earlier_output(root_path / d)]
        if not recursive:
            dirs[:] = []
        if _inside(root_path, output_dir):
            continue
        found.extend(root_path / f for f in files
                     if not f.startswith(".") and not is_temp_name(f) and not is_hint_file(f))
    return sorted(found, key=lambda p: natural_key(p.relative_to(input_dir)))


def output_names(pages: list[Path], model: str, fmt: str) -> dict[Path, str]:
    """``{stem}_{model}.{fmt}``; pages sharing a stem in one folder (p1.png, p1.jpg) get their
    suffix in the name too (p1-png_model.png) so no result overwrites another."""
    stems: dict[tuple[Path, str], int] = {}
    for p in pages:
        key = (p.parent, p.stem.casefold())
        stems[key] = stems.get(key, 0) + 1
    names = {}
    for p in pages:
        stem = p.stem if stems[(p.parent, p.stem.casefold())] == 1 else f"{p.stem}-{p.suffix.lstrip('.')}"
        names[p] = f"{stem}_{model}.{fmt}"
    return names


def plan_pages(input_dir: Path, output_dir: Path, models: list[str], fmt: str,
               recursive: bool) -> tuple[list[PlannedPage], list[NotAPage]]:
    """(pages with their outputs, files that are not pages: not images, or not regular files)."""
    input_dir = input_dir.resolve()
    out_root = output_dir.resolve()
    images, others = [], []
    for f in list_files(input_dir, out_root, recursive):
        special = not_regular_reason(f)  # looked at, never opened: a pipe would hang the batch
        if special is None and is_image_path(f):
            images.append(f)
        else:
            others.append(NotAPage(f.relative_to(input_dir).as_posix(), special or NOT_AN_IMAGE))
    names = {m: output_names(images, m, fmt) for m in models}
    pages = []
    for f in images:
        rel = f.relative_to(input_dir)
        folder = out_root / rel.parent
        pages.append(PlannedPage(f, rel.as_posix(), {m: folder / names[m][f] for m in models}))
    return pages, others


def stale_temp_files(output_dir: Path, planned: list[PlannedPage]) -> list[Path]:
    """Temp files a killed earlier run left beside outputs of this plan (safe to delete: the
    names are ours, ``.<output name>.<random>.part``)."""
    by_folder: dict[Path, set[str]] = {}
    for page in planned:
        for out in page.outputs.values():
            by_folder.setdefault(out.parent, set()).add(out.name)
    stale = []
    for folder, names in by_folder.items():
        if not folder.is_dir():
            continue
        for entry in folder.iterdir():
            if is_temp_name(entry) and entry.is_file():
                inner = entry.name[1:].rsplit(".", 2)[0]  # ".p1_m.png.ab12cd34.part" -> "p1_m.png"
                if inner in names:
                    stale.append(entry)
    return stale
