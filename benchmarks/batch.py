"""Batch colouring of A4 pages at 300 dpi (2480x3508): pages/min end to end and where the time goes.

    python benchmarks/batch.py [--pages 12] [--modes raw shaded] [--model NAME] [--models-dir DIR]
                               [--device auto] [--no-cli]

Pages: XDoG sketches of the full-body test images (../shared/data/anime-fullbody/test) upscaled
onto white A4 paper at 300 dpi, as PNG files (benchmarks/_pages.py). For each colour mode:

- **stages**: a sequential read -> colour -> write loop with the pipeline's stage timer on
  (ganime_desktop/core/stages.py): median ms per page of each stage (decode, gray, shrink,
  model, enlarge, lines, regions, render, encode, write) and their sum;
- **run_batch**: the batch runner in this process (reader, colouring and writer threads
  overlapped): pages/min and seconds per page;
- **ganime colorize**: the real command in a fresh process, start-up and model loading included,
  seconds per page and the process's peak resident memory (VmHWM; Linux).

Then, as the app recolours after each stroke: a --recolour-size px page (the sample sketch, a new
stroke each time, so its regions are found anew), median ms per mode.

The model is --model from the installed manifests (default: the app's default model). The
machine's load average is printed first: on a shared 2-core machine, compare runs only at
similar load.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks._pages import A4_300DPI, FULLBODY_TEST, make_page  # noqa: E402
from ganime_desktop.core.batch import BatchOptions, run_batch  # noqa: E402
from ganime_desktop.core.colour_modes import DEFAULT_MODE, MODES, NETWORK_MODE, colour_mode  # noqa: E402
from ganime_desktop.core.imageio import read_image, write_image_atomic  # noqa: E402
from ganime_desktop.core.pipeline import ColorizerCache  # noqa: E402
from ganime_desktop.core.registry import default_registry  # noqa: E402
from ganime_desktop.core.stages import collect, stage  # noqa: E402

STAGES = ("decode", "gray", "shrink", "model", "enlarge", "lines", "regions", "render", "encode", "write")
# Peak memory from VmHWM (this process image's own high-water mark): ru_maxrss of a child started
# from a big parent reports at least the parent's size at fork time on Linux.
_CLI = ("import sys; from ganime_desktop.batch_cli import run_colorize; rc = run_colorize(sys.argv[1:]); "
        "print('peak_rss_kb', next(int(l.split()[1]) for l in open('/proc/self/status') if l.startswith('VmHWM'))); "
        "sys.exit(rc)")


def write_pages(folder: Path, count: int) -> list[Path]:
    sources = sorted(FULLBODY_TEST.glob("*.jpg"))
    pages = []
    for i in range(count):
        _, sketch, _ = make_page(read_image(sources[i % len(sources)]), sigma=(0.3, 0.4, 0.5)[i % 3], size=A4_300DPI)
        pages.append(write_image_atomic(folder / f"page{i + 1:03d}.png", sketch))
    return pages


def stage_breakdown(colorizer, pages: list[Path], mode: str, out: Path) -> tuple[dict[str, float], dict[str, float]]:
    """(wall, CPU) median ms per page of each stage over a sequential loop (the pipeline's own
    stage timer; CPU: the process's, onnxruntime's threads included)."""
    out.mkdir(parents=True, exist_ok=True)
    with collect() as times:
        for page in pages:
            with stage("decode"):
                rgb = read_image(page)
            if not colour_mode(mode).uses_regions:  # the network's image: nothing to render
                result = colorizer.colorize(rgb, mode=mode)
            else:
                coloured = colorizer.colour_page(rgb)
                with stage("render"):
                    result = coloured.render(mode)
            write_image_atomic(out / f"{page.stem}.png", result)
    wall, cpu = times.summary(), times.cpu_summary()
    return ({name: wall[name][2] * 1000.0 for name in STAGES if name in wall},
            {name: cpu[name][2] * 1000.0 for name in STAGES if name in cpu})


def recolour_latency(colorizer, size: int, modes: list[str], reps: int = 7) -> dict[str, tuple[float, float]]:
    """Median (wall, CPU) ms to colour a size-px page again after a stroke, as the app does: the
    sketch changed, so its regions are found anew (no cache hit), then the network and the mode."""
    import numpy as np

    from ganime_desktop.core.imageio import read_image as read
    from ganime_desktop.core.preprocess import scale_to_fit, upscale

    sample = read(REPO / "assets" / "samples" / "sketch_bust.png")
    h, w = scale_to_fit(*sample.shape[:2], size)
    page = upscale(sample, h, w)
    out = {}
    for mode in modes:
        wall, cpu = [], []
        for i in range(reps + 1):
            sketch = page.copy()
            sketch[10 + i: 14 + i, 10: w // 2] = 0  # a new stroke each time
            t0, c0 = time.perf_counter(), time.process_time()
            colorizer.colorize(sketch, mode=mode)
            if i:  # the first run warms up
                wall.append((time.perf_counter() - t0) * 1e3)
                cpu.append((time.process_time() - c0) * 1e3)
        out[mode] = (float(np.median(wall)), float(np.median(cpu)))
    return out


def cli_run(inp: Path, out: Path, name: str, mode: str, models_dirs: list[Path], device: str) -> tuple[float, int]:
    """(wall seconds, peak RSS in MB) of `ganime colorize` in a fresh process."""
    args = [str(inp), str(out), "--model", name, "--mode", mode, "--overwrite", "--device", device]
    for d in models_dirs:
        args += ["--models-dir", str(d)]
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", _CLI, *args], capture_output=True, text=True, cwd=REPO)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"ganime colorize failed ({done.returncode}):\n{done.stderr[-2000:]}")
    peak_kb = int(done.stdout.split("peak_rss_kb")[-1].split()[0])
    return seconds, peak_kb // 1024


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--pages", type=int, default=12)
    p.add_argument("--modes", nargs="+", default=[NETWORK_MODE, DEFAULT_MODE], choices=MODES)
    p.add_argument("--models-dir", dest="models_dirs", type=Path, action="append", default=[])
    p.add_argument("--model")
    p.add_argument("--device", default="auto")
    p.add_argument("--no-cli", action="store_true", help="skip the `ganime colorize` subprocess runs")
    p.add_argument("--recolour-size", type=int, default=1024, help="also time recolouring a page of this size "
                   "after a stroke (0: skip)")
    args = p.parse_args(argv)

    registry = default_registry(args.models_dirs)
    name = args.model or registry.defaults()[0].name
    colorizer = ColorizerCache(registry).get(name, args.device)
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; model {name}: "
          f"{registry.get(name).spec.display_name}, {colorizer.provider_info.describe()}")
    with tempfile.TemporaryDirectory(prefix="ganime-batch-bench-") as tmp:
        tmp = Path(tmp)
        (tmp / "in").mkdir()
        started = time.perf_counter()
        pages = write_pages(tmp / "in", args.pages)
        h, w = A4_300DPI
        print(f"{len(pages)} pages of {w}x{h} written in {time.perf_counter() - started:.1f} s")
        colorizer.colorize(read_image(pages[0]))  # warm-up: session, memory arenas
        for mode in args.modes:
            print(f"\nmode {mode}")
            wall, cpu = stage_breakdown(colorizer, pages, mode, tmp / f"seq-{mode}")
            for label, stages in (("wall", wall), ("CPU", cpu)):
                print(f"  stages, median {label} ms per page (sequential): "
                      + ", ".join(f"{k} {v:.0f}" for k, v in stages.items()) + f"; sum {sum(stages.values()):.0f}")
            options = BatchOptions(tmp / "in", tmp / f"batch-{mode}", models=[name], models_dirs=args.models_dirs,
                                   device=args.device, mode=mode)
            started, cpu_started = time.perf_counter(), time.process_time()
            report = run_batch(options)
            seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
            assert report.counts()["done"] == len(pages), report.summary()
            print(f"  run_batch (threads overlapped): {seconds / len(pages):.3f} s/page, "
                  f"{len(pages) / seconds * 60:.1f} pages/min; CPU {cpu_seconds / len(pages):.3f} s/page "
                  f"(on {os.cpu_count()} idle cores at most {60 * os.cpu_count() / (cpu_seconds / len(pages)):.0f} "
                  "pages/min)")
            if not args.no_cli:
                seconds, peak = cli_run(tmp / "in", tmp / f"cli-{mode}", name, mode, args.models_dirs, args.device)
                print(f"  ganime colorize (fresh process, start-up included): {seconds / len(pages):.3f} s/page, "
                      f"{len(pages) / seconds * 60:.1f} pages/min, peak memory {peak} MB")
        if args.recolour_size:
            print(f"\nrecolouring a {args.recolour_size} px page after a stroke (regions anew, network, mode), "
                  "median wall / CPU ms:")
            for mode, (wall, cpu) in recolour_latency(colorizer, args.recolour_size, args.modes).items():
                print(f"  {mode:<7} {wall:6.0f} / {cpu:4.0f}")
        print(f"\nload average at the end {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
