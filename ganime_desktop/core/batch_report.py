"""The record of a batch run: one row per output (or non-image file), counts, and the
report.json / report.csv written into the output folder at the end."""

from __future__ import annotations

import csv
import io
import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .imageio import IMAGE_SUFFIXES, write_bytes_atomic
from .safe_text import printable

REPORT_NAMES = ("report.json", "report.csv")
STATUSES = ("done", "skipped", "not-an-image", "failed", "cancelled")
CSV_FIELDS = ("source", "model", "output", "status", "reason", "seconds")


@dataclass(frozen=True)
class PageResult:
    source: str  # the page, relative to the input folder (POSIX separators)
    model: str | None  # None for a file that is not an image
    output: str | None  # relative to the output folder
    status: str  # one of STATUSES
    reason: str | None  # why it failed / was skipped / is not a page, or a note on a page done
    seconds: float  # colouring + writing time; 0 when nothing was done


@dataclass
class BatchReport:
    options: dict[str, Any]
    devices: dict[str, str]  # model -> "CPU (reason)" / "CUDA"
    started_at: float
    finished_at: float | None = None
    cancelled: bool = False
    results: list[PageResult] = field(default_factory=list)
    write_error: str | None = None  # why report.json / report.csv could not be written (not in them)

    @classmethod
    def begin(cls, options: Any, devices: dict[str, str]) -> BatchReport:
        opts = {k: (printable(str(v)) if isinstance(v, Path) else [printable(str(x)) for x in v]
                    if k == "models_dirs" else v)
                for k, v in asdict(options).items()}
        return cls(options=opts, devices=devices, started_at=time.time())

    def add(self, result: PageResult) -> None:
        self.results.append(result)

    def finish(self, cancelled: bool) -> None:
        self.cancelled = cancelled
        self.finished_at = time.time()

    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(STATUSES, 0)
        for r in self.results:
            counts[r.status] += 1
        return counts

    def failures(self) -> list[PageResult]:
        return [r for r in self.results if r.status == "failed"]

    @property
    def exit_code(self) -> int:
        """0 everything done (or already there), 1 some page failed, the run was cancelled or its
        report could not be written."""
        return 1 if self.failures() or self.cancelled or self.write_error else 0

    def summary(self) -> str:
        c = self.counts()
        seconds = (self.finished_at or time.time()) - self.started_at
        text = (f"{c['done']} coloured, {c['skipped']} already there, {c['failed']} failed, "
                f"{c['not-an-image']} not images")
        if c["cancelled"]:
            text += f", {c['cancelled']} cancelled"
        models = max(1, len(self.options.get("models") or ()))  # each page is coloured once per model
        rate = f", {c['done'] / models / seconds * 60:.1f} pages/min" if c["done"] and seconds > 0 else ""
        text = f"{text} in {seconds:.1f} s{rate}"
        if not any(r.model for r in self.results):  # an empty folder, or the wrong one
            where = self.options.get("input_dir", "the input folder")
            sub = "" if self.options.get("recursive") else "; subfolders are read only when recursive"
            text = (f"no pages found in {where} (a page is a {'/'.join(s.lstrip('.') for s in IMAGE_SUFFIXES)} "
                    f"file{sub}): {text}")
        return text

    def to_json(self) -> dict[str, Any]:
        return {
            "summary": self.summary(), "counts": self.counts(), "cancelled": self.cancelled,
            "started_at": self.started_at, "finished_at": self.finished_at, "devices": self.devices,
            "options": self.options, "results": [asdict(r) for r in self.results],
        }


def write_reports(report: BatchReport, output_dir: Path) -> tuple[Path, Path]:
    """report.json and report.csv in ``output_dir``, each written atomically."""
    json_path, csv_path = (output_dir / n for n in REPORT_NAMES)
    write_bytes_atomic(json_path, (json.dumps(report.to_json(), indent=2, ensure_ascii=False) + "\n").encode())
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=CSV_FIELDS, lineterminator="\n")
    writer.writeheader()
    for r in report.results:
        writer.writerow({k: ("" if v is None else v) for k, v in asdict(r).items()})
    write_bytes_atomic(csv_path, buf.getvalue().encode("utf-8-sig"))  # BOM: Excel opens UTF-8 correctly
    return json_path, csv_path


def format_clock(seconds: float | None) -> str:
    """An ETA or duration as mm:ss or h:mm:ss ("--:--" when unknown); the CLI and the app share it."""
    if seconds is None:
        return "--:--"
    seconds = int(round(seconds))
    h, rest = divmod(seconds, 3600)
    return f"{h}:{rest // 60:02d}:{rest % 60:02d}" if h else f"{rest // 60:02d}:{rest % 60:02d}"
