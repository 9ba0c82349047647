"""core.batch through its Python API (what the GUI's batch panel uses): outputs, events, report,
resume, overwrite, cancel, and usage errors."""

from __future__ import annotations

import csv
import json
import threading
from pathlib import Path

import numpy as np
import pytest
from _batch_pages import GOOD_PAGES, make_chapter
from _onnx_models import make_model_dir

from ganime_desktop.core.batch import BatchJob, BatchOptions, BatchUsageError, run_batch
from ganime_desktop.core.batch_plan import output_names
from ganime_desktop.core.imageio import read_image
from ganime_desktop.core.natural_sort import natural_key

MODELS = ["tiny-a", "tiny-b"]


@pytest.fixture(scope="module")
def models_dir(tmp_path_factory) -> Path:
    return make_model_dir(tmp_path_factory.mktemp("models"), names=("tiny-a", "tiny-b"), with_style_transfer=True)


@pytest.fixture
def chapter(tmp_path) -> Path:
    return make_chapter(tmp_path / "chapter")


def _options(chapter: Path, models_dir: Path, **kw) -> BatchOptions:
    kw.setdefault("output_dir", chapter / "coloured")  # inside the input folder on purpose
    return BatchOptions(input_dir=chapter, models=list(kw.pop("models", MODELS)), models_dirs=[models_dir],
                        device="cpu", **kw)


def _expected_output(page: str, model: str) -> str:
    stem = page.rsplit(".", 1)[0]
    return f"{stem}_{model}.png"


def test_a_chapter_end_to_end(chapter, models_dir):
    events = []
    # raw: the tiny models' own colours (paper included) are what tells them apart below
    report = run_batch(_options(chapter, models_dir, recursive=True, mode="raw"), on_progress=events.append)
    out = chapter / "coloured"

    # Every good page coloured by every model, at the page's size; subfolder mirrored.
    for page, (h, w) in GOOD_PAGES.items():
        for model in MODELS:
            img = read_image(out / _expected_output(page, model))
            assert img.shape == (h, w, 3)
    # RGBA page: its transparent top half was paper, so it is coloured like paper (tiny-a: warm).
    alpha = read_image(out / "alpha_tiny-a.png")
    assert alpha[5, 20, 0] > alpha[5, 20, 2]
    # The two models give different colourings of the same page.
    a, b = read_image(out / "p1_tiny-a.png"), read_image(out / "p1_tiny-b.png")
    assert np.abs(a.astype(int) - b.astype(int)).mean() > 20

    counts = report.counts()
    assert counts == {"done": 14, "skipped": 0, "not-an-image": 1, "failed": 2, "cancelled": 0}
    assert report.exit_code == 1
    failed = report.failures()
    assert {f.source for f in failed} == {"broken.jpg"} and "broken.jpg" in failed[0].reason

    # Events: start, one per item, finish; items counted up to the total; pages in natural order.
    assert events[0].event == "start" and events[-1].event == "finish" and events[-1].report is report
    items = [e for e in events if e.event == "item"]
    assert len(items) == events[0].total == 17
    assert [e.done for e in items] == list(range(1, 18))
    coloured = [e.result.source for e in items if e.result.status == "done"]
    assert coloured.index("p2.jpg") < coloured.index("p10.png")
    assert all(e.pages_per_minute > 0 for e in items if e.result.status == "done")
    # Two models: a page is two colourings, so pages/min is half the colourings/min, and both are said.
    last = items[-1]
    assert last.models == 2 and last.pages_per_minute == pytest.approx(last.items_per_minute / 2)
    assert f"{last.pages_per_minute:.1f} pages/min ({last.items_per_minute:.1f} colourings/min, 2 models)" == last.rate_text()

    # Reports: JSON and CSV with one row per item; no temp files anywhere; outputs never read as input.
    data = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert data["counts"]["done"] == 14 and len(data["results"]) == 17 and data["devices"]["tiny-a"].startswith("CPU")
    with open(out / "report.csv", encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 17 and {r["status"] for r in rows} == {"done", "failed", "not-an-image"}
    assert not [p for p in chapter.rglob("*") if p.name.endswith(".part")]
    assert not any("coloured" in r["source"] for r in rows)


def test_second_run_skips_everything_and_overwrite_redoes(chapter, models_dir):
    run_batch(_options(chapter, models_dir, recursive=True))
    target = chapter / "coloured" / "p1_tiny-a.png"
    before = target.stat().st_mtime_ns

    again = run_batch(_options(chapter, models_dir, recursive=True))
    counts = again.counts()
    assert counts["done"] == 0 and counts["skipped"] == 14 and counts["failed"] == 2
    assert target.stat().st_mtime_ns == before

    redo = run_batch(_options(chapter, models_dir, recursive=True, overwrite=True, models=["tiny-a"]))
    assert redo.counts()["done"] == 7 and target.stat().st_mtime_ns != before


def test_not_recursive_ignores_subfolders(chapter, models_dir):
    report = run_batch(_options(chapter, models_dir, models=["tiny-a"], output_dir=chapter.parent / "out"))
    assert report.counts()["done"] == 6
    assert not (chapter.parent / "out" / "sub").exists()


def test_jpg_output_and_style_transfer_with_reference(chapter, models_dir, tmp_path):
    reference = tmp_path / "ref.png"
    from ganime_desktop.core.imageio import write_image_atomic

    write_image_atomic(reference, np.full((64, 64, 3), (240, 100, 40), np.uint8))
    report = run_batch(_options(chapter, models_dir, models=["tiny-style"], format="jpg", reference=reference,
                                output_dir=tmp_path / "styled"))
    assert report.counts()["done"] == 6
    assert read_image(tmp_path / "styled" / "p10_tiny-style.jpg").shape == (70, 90, 3)


def test_cancel_stops_cleanly(chapter, models_dir):
    cancel = threading.Event()

    def on_progress(p):
        if p.event == "item" and p.result.status == "done":
            cancel.set()

    report = run_batch(_options(chapter, models_dir, recursive=True, models=["tiny-a"]), on_progress=on_progress,
                       cancel_event=cancel)
    counts = report.counts()
    assert report.cancelled and counts["cancelled"] >= 1 and counts["done"] >= 1
    assert counts["done"] + counts["cancelled"] + counts["failed"] == 8  # 7 pages + the broken one
    for r in report.results:
        written = chapter / "coloured" / r.output if r.output else None
        if r.status == "done":
            assert read_image(written).ndim == 3
        elif r.status == "cancelled":
            assert not written.exists()
    assert not [p for p in chapter.rglob("*") if p.name.endswith(".part")]
    # A rerun finishes the job.
    assert run_batch(_options(chapter, models_dir, recursive=True, models=["tiny-a"])).counts()["done"] == counts[
        "cancelled"]


@pytest.mark.parametrize("change, message", [
    ({"input_dir": Path("/nonexistent/chapter")}, "does not exist"),
    ({"models": ["nope"]}, "unknown model 'nope'"),
    ({"models": ["tiny-style"]}, "--reference"),
    ({"format": "gif"}, "unknown output format"),
    ({"output_dir": None}, "must differ"),
])
def test_usage_errors(chapter, models_dir, change, message):
    options = _options(chapter, models_dir)
    for key, value in change.items():
        setattr(options, key, chapter if (key == "output_dir" and value is None) else value)
    with pytest.raises(BatchUsageError, match=message):
        BatchJob(options).prepare()


def test_stale_temp_files_of_a_killed_run_are_removed(chapter, models_dir):
    out = chapter / "coloured"
    out.mkdir()
    stale = out / ".p1_tiny-a.png.0123abcd.part"
    stale.write_bytes(b"half a png")
    unrelated = out / ".mine.part"
    unrelated.write_bytes(b"not ours")
    run_batch(_options(chapter, models_dir, models=["tiny-a"]))
    assert not stale.exists() and unrelated.exists()


def test_natural_order_and_name_clashes():
    names = ["p10.png", "P2.png", "p1.png", "ch2/p1.png", "ch10/p1.png", "ch1/p9.png"]
    assert sorted(names, key=natural_key) == ["ch1/p9.png", "ch2/p1.png", "ch10/p1.png", "p1.png", "P2.png",
                                              "p10.png"]
    pages = [Path("/c/p1.png"), Path("/c/p1.jpg"), Path("/c/p2.png")]
    assert output_names(pages, "m", "png") == {pages[0]: "p1-png_m.png", pages[1]: "p1-jpg_m.png",
                                               pages[2]: "p2_m.png"}


def test_an_earlier_output_folder_inside_the_chapter_is_not_read_as_pages(chapter, models_dir):
    run_batch(_options(chapter, models_dir, recursive=True, models=["tiny-a"]))  # -> chapter/coloured
    second = run_batch(_options(chapter, models_dir, recursive=True, models=["tiny-a"],
                                output_dir=chapter.parent / "elsewhere"))
    assert not any(r.source.startswith("coloured/") for r in second.results)
    assert second.counts()["done"] == 7
