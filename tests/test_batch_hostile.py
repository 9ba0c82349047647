"""A batch as a hostile user (or a zip from Japanese Windows) sets it up: a pipe and a link to
/dev/zero among the pages, a page whose name is not UTF-8, an output folder that is read-only or
on a completely full disk, two batches into one output folder, an empty folder, hint files far
larger than their page. Real subprocesses and real file systems (a pipe, a tmpfs, a read-only
mount); each ends in a plain message, never a traceback or a hang."""

from __future__ import annotations

import json
import os
import resource
import shlex
import shutil
import struct
import subprocess
import sys
import tempfile
import threading
import tracemalloc
import zlib
from functools import cache
from pathlib import Path

import cv2
import numpy as np
import pytest
from _batch_pages import sketch_page
from _onnx_models import make_model_dir

from ganime_desktop.core.batch import LOCK_FILE, BatchOptions, run_batch
from ganime_desktop.core.hints import HintFileError, read_hints
from ganime_desktop.core.imageio import MAX_FILE_BYTES, ImageReadError, read_image

pytestmark = pytest.mark.skipif(os.name != "posix", reason="pipes, /dev/zero and byte file names are POSIX")

REPO = Path(__file__).resolve().parents[1]
PAGE = (64, 48)  # h, w
MEMORY_GUARD = 4 * 2**30  # a regression that reads /dev/zero fails here, not in the machine's OOM killer


@pytest.fixture(scope="module")
def models_dir(tmp_path_factory) -> Path:
    return make_model_dir(tmp_path_factory.mktemp("models"), names=("tiny-a",))


def _pages(folder: Path, count: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(1, count + 1):
        cv2.imencode(".png", sketch_page(*PAGE, seed=i))[1].tofile(folder / f"p{i}.png")
    return folder


def _colorize_args(pages: Path, out: Path, models_dir: Path, *more: str) -> list[str]:
    return [sys.executable, "-m", "ganime_desktop", "colorize", str(pages), str(out), "--model", "tiny-a",
            "--models-dir", str(models_dir), "--device", "cpu", "--mode", "raw", *more]


def _run(command: list[str], *, file_size_limit: int | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    def limits() -> None:
        resource.setrlimit(resource.RLIMIT_DATA, (MEMORY_GUARD, MEMORY_GUARD))
        if file_size_limit is not None:  # writes beyond it fail with EFBIG (Python ignores SIGXFSZ)
            resource.setrlimit(resource.RLIMIT_FSIZE, (file_size_limit, file_size_limit))

    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, cwd=REPO, preexec_fn=limits)


@cache
def _mount_namespace() -> list[str] | None:
    """``unshare`` arguments for a private mount namespace where this user may mount (root: a mount
    namespace; anyone else: a user namespace too), or None where the system allows neither."""
    if shutil.which("unshare") is None or not sys.platform.startswith("linux"):
        return None
    command = ["unshare", "--mount"] if os.geteuid() == 0 else ["unshare", "--user", "--map-root-user", "--mount"]
    with tempfile.TemporaryDirectory() as target:
        probe = subprocess.run([*command, "mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", target],
                               capture_output=True, timeout=30)
    return command if probe.returncode == 0 else None


def _in_mount_namespace(setup: str, command: list[str]) -> subprocess.CompletedProcess:
    """``command`` after the shell ``setup`` (mounts) in a private mount namespace: the mounts vanish
    with the process, the machine's file systems are never touched."""
    unshare = _mount_namespace()
    if unshare is None:
        pytest.skip("this system lets this user mount nothing, not even in a namespace of its own")
    script = f"{setup} && exec {shlex.join(command)}"
    return _run([*unshare, "sh", "-c", script])


def _report(out: Path) -> dict:
    return json.loads((out / "report.json").read_bytes().decode("utf-8"))  # strict UTF-8


# --- special files ------------------------------------------------------------------------------

def test_a_pipe_and_a_link_to_dev_zero_are_listed_never_read(tmp_path, models_dir):
    pages = _pages(tmp_path / "pages", 2)
    os.mkfifo(pages / "fifo.png")  # reading it waits for a writer forever
    (pages / "z.png").symlink_to("/dev/zero")  # reading it never ends
    (pages / "gone.png").symlink_to(pages / "deleted.png")
    (pages / "linked.png").symlink_to(pages / "p1.png")  # a link to a page is a page
    out = tmp_path / "out"
    done = _run(_colorize_args(pages, out, models_dir))
    assert done.returncode == 0, done.stderr
    assert "3 coloured, 0 already there, 0 failed, 3 not images" in done.stderr and "Traceback" not in done.stderr
    reasons = {r["source"]: r["reason"] for r in _report(out)["results"] if r["status"] == "not-an-image"}
    assert reasons["fifo.png"] == "a named pipe, not a file: only regular files are read"
    assert reasons["z.png"] == "a link to a device (/dev/zero), not a file: only regular files are read"
    assert reasons["gone.png"] == "a link to nothing (its target is missing)"
    assert read_image(out / "linked_tiny-a.png").shape == (*PAGE, 3)


def test_reading_a_pipe_is_refused_at_once(tmp_path):
    fifo = tmp_path / "fifo.png"
    os.mkfifo(fifo)
    errors: list[str] = []

    def read() -> None:
        with pytest.raises(ImageReadError) as page:
            read_image(fifo)
        with pytest.raises(HintFileError) as hints:
            read_hints(fifo)
        errors.extend([str(page.value), str(hints.value)])

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(60)  # a hang guard: open() of a pipe blocks until someone writes
    assert errors == [f"{fifo}: is a named pipe, not a file; only regular files are read (move it out of the folder)"] * 2


def _png_header(width: int, height: int) -> bytes:
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + struct.pack(">I", len(ihdr)) + b"IHDR" + ihdr
            + struct.pack(">I", zlib.crc32(ihdr, zlib.crc32(b"IHDR"))))


def _peak_bytes_while(call) -> int:
    tracemalloc.start()
    try:
        call()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_a_page_over_the_pixel_limit_is_refused_from_its_header_unread(tmp_path):
    huge = tmp_path / "huge.png"
    with open(huge, "wb") as fh:  # the header of 20000x20000 pixels, then 600 MB (sparse: no disk used)
        fh.write(_png_header(20000, 20000))
        fh.truncate(600 * 2**20)

    def read() -> None:
        with pytest.raises(ImageReadError, match=r"huge\.png: 20000x20000 pixels is more than the 200 megapixel"):
            read_image(huge)

    assert _peak_bytes_while(read) < 8 * 2**20  # the header was read, not the 600 MB


def test_a_page_file_over_the_size_cap_is_refused_unread(tmp_path):
    big = tmp_path / "big.png"
    cv2.imencode(".png", sketch_page(*PAGE))[1].tofile(big)
    with open(big, "r+b") as fh:  # a valid small page, then zeros up to past the cap (sparse)
        fh.truncate(MAX_FILE_BYTES + 2**28)

    def read() -> None:
        with pytest.raises(ImageReadError, match=rf"big\.png: the file has {(MAX_FILE_BYTES + 2**28) / 1e6:,.0f} MB, "
                                                 rf"more than the {MAX_FILE_BYTES / 1e6:,.0f} MB a page may have"):
            read_image(big)

    assert _peak_bytes_while(read) < 8 * 2**20


# --- names that are not UTF-8 ---------------------------------------------------------------------

@pytest.mark.skipif(sys.platform == "darwin", reason="macOS file systems store only UTF-8 names")
def test_a_page_whose_name_is_not_utf8_is_coloured_and_reported(tmp_path, models_dir):
    pages = _pages(tmp_path / "pages", 1)
    sjis = "ページ2".encode("shift_jis")  # b"\x83y\x81[\x83W2": what a zip from Japanese Windows holds
    try:
        cv2.imencode(".png", sketch_page(*PAGE, seed=2))[1].tofile(pages / os.fsdecode(sjis + b".png"))
    except (OSError, UnicodeError):
        pytest.skip("this file system refuses names that are not UTF-8")
    out = tmp_path / "out"
    first = _run(_colorize_args(pages, out, models_dir))
    assert first.returncode == 0 and "Traceback" not in first.stderr, first.stderr
    assert "2 coloured, 0 already there, 0 failed" in first.stderr
    assert sjis + b"_tiny-a.png" in os.listdir(os.fsencode(out))  # the result keeps the page's own name
    shown = r"\x83y\x81[\x83W2.png"
    assert {r["source"] for r in _report(out)["results"]} == {"p1.png", shown}
    assert shown in (out / "report.csv").read_bytes().decode("utf-8-sig")
    again = _run(_colorize_args(pages, out, models_dir))  # every rerun gets its report too
    assert again.returncode == 0 and "0 coloured, 2 already there, 0 failed" in again.stderr, again.stderr


# --- the output folder ----------------------------------------------------------------------------

def test_a_read_only_output_folder_is_refused_before_any_page_is_coloured(tmp_path, models_dir):
    pages = _pages(tmp_path / "pages", 2)
    out = tmp_path / "out"
    out.mkdir()
    command = _colorize_args(pages, out, models_dir)
    if os.geteuid() != 0:
        out.chmod(0o555)
        try:
            done = _run(command)
        finally:
            out.chmod(0o755)
    else:  # root writes through any mode bits: a read-only bind mount makes the folder read-only for real
        q = shlex.quote(str(out))
        done = _in_mount_namespace(f"mount --bind {q} {q} && mount -o remount,bind,ro {q}", command)
    assert done.returncode == 2, done.stderr
    assert f"ganime colorize: error: cannot write into the output folder {out} (" in done.stderr
    assert "Traceback" not in done.stderr and "coloured" not in done.stderr
    assert list(out.iterdir()) == []


@pytest.mark.parametrize("disk", ["full-tmpfs", "file-size-limit"])
def test_a_full_disk_ends_in_a_summary_not_a_traceback(tmp_path, models_dir, disk):
    """A tmpfs filled to the last byte (where this user may mount one), and the same failure of
    every write through RLIMIT_FSIZE (anywhere): the pages fail, the report cannot be written,
    and the user gets the summary and why."""
    pages = _pages(tmp_path / "pages", 2)
    out = tmp_path / "out"
    out.mkdir()
    command = _colorize_args(pages, out, models_dir)
    if disk == "full-tmpfs":
        q = shlex.quote(str(out))
        done = _in_mount_namespace(f"mount -t tmpfs -o size=256k tmpfs {q} && "
                                   f"{{ dd if=/dev/zero of={q}/.filler bs=4k 2>/dev/null; true; }}", command)
        why = "No space left on device"
    else:
        done = _run(command, file_size_limit=64)
        why = "File too large"
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    assert "0 coloured, 0 already there, 2 failed" in done.stderr
    assert f"{out / 'p1_tiny-a.png'}: cannot write the file ({why})" in done.stderr
    assert f"ganime colorize: error: the report could not be written into {out} ({why})" in done.stderr


def test_a_second_batch_into_the_same_output_folder_is_refused_while_the_first_runs(tmp_path, models_dir):
    pages = _pages(tmp_path / "pages", 3)
    out = tmp_path / "out"
    second: list[subprocess.CompletedProcess] = []

    def start_another_batch(progress) -> None:  # the first batch is mid-run while this waits
        if progress.event == "item" and not second:
            second.append(_run(_colorize_args(pages, out, models_dir)))

    report = run_batch(BatchOptions(pages, out, ["tiny-a"], models_dirs=[models_dir], device="cpu", mode="raw"),
                       on_progress=start_another_batch)
    (refused,) = second
    assert refused.returncode == 2, refused.stderr
    assert f"the output folder {out} is in use by another batch (PID {os.getpid()} on " in refused.stderr
    assert "Traceback" not in refused.stderr
    assert report.counts()["done"] == 3 and not (out / LOCK_FILE).exists()  # released at the end
    after = _run(_colorize_args(pages, out, models_dir))
    assert after.returncode == 0 and "0 coloured, 3 already there" in after.stderr, after.stderr


def test_an_empty_input_folder_says_no_pages_found(tmp_path, models_dir):
    empty = tmp_path / "empty"
    empty.mkdir()
    done = _run(_colorize_args(empty, tmp_path / "out", models_dir))
    assert done.returncode == 0, done.stderr
    assert f"no pages found in {empty} (a page is a png/jpg/jpeg/webp/bmp/tif/tiff file; subfolders are read " \
           "only when recursive): 0 coloured" in done.stderr


# --- hint files -----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def hints_14000(tmp_path_factory) -> Path:
    """A real hint PNG of 14000x14000 transparent pixels: 762 KB on disk, 784 MB decoded (the
    issue's case, beside a 640x768 page)."""
    path = tmp_path_factory.mktemp("hints") / "p1.hints.png"
    compressor, row, idat = zlib.compressobj(9), bytes(1 + 14000 * 4), []
    for _ in range(14000):
        idat.append(compressor.compress(row))
    idat.append(compressor.flush())
    data = b"".join(idat)
    path.write_bytes(_png_header(14000, 14000) + struct.pack(">I", len(data)) + b"IDAT" + data
                     + struct.pack(">I", zlib.crc32(data, zlib.crc32(b"IDAT"))) + b"\0\0\0\0IEND\xaeB`\x82")
    return path


def test_a_hint_file_far_larger_than_its_page_is_refused_from_its_header(hints_14000):
    assert hints_14000.stat().st_size < 800_000

    def read() -> None:
        with pytest.raises(HintFileError, match=r"p1\.hints\.png: the hints are 14000x14000 pixels, their page "
                                                r"640x768 \(at most 1280x1536 is read\)"):
            read_hints(hints_14000, page_size=(768, 640))

    assert _peak_bytes_while(read) < 8 * 2**20  # neither the 762 KB read whole nor 784 MB decoded


def test_a_batch_refuses_an_oversized_hint_file_and_scales_a_reasonable_one_with_a_note(tmp_path, models_dir):
    pages = _pages(tmp_path / "pages", 2)
    hints = tmp_path / "hints"
    hints.mkdir()
    (hints / "p1.hints.png").write_bytes(_png_header(14000, 14000))  # declares it; refused before more is read
    twice = np.zeros((PAGE[0] * 2, PAGE[1] * 2, 4), np.uint8)
    twice[10:30, 10:30] = (200, 30, 30, 255)
    cv2.imwrite(str(hints / "p2.hints.png"), twice[:, :, [2, 1, 0, 3]])
    report = run_batch(BatchOptions(pages, tmp_path / "out", ["tiny-a"], models_dirs=[models_dir], device="cpu",
                                    hints_dir=hints, mode="flat"))
    results = {r.source: r for r in report.results}
    assert results["p1.png"].status == "failed"
    assert (f"{hints / 'p1.hints.png'}: the hints are 14000x14000 pixels, their page 48x64 "
            "(at most 96x128 is read)") in results["p1.png"].reason
    assert results["p2.png"].status == "done"
    assert results["p2.png"].reason == "the hints p2.hints.png are 96x128, the page 48x64: scaled to the page"
    assert report.exit_code == 1
