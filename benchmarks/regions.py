"""How fast line art becomes regions, and how fast hints refill them.

    python benchmarks/regions.py [--repeat N] [--lineart DIR]

For each page size: the median time of ``core.regions.segment`` (cache cleared before each
run), and of ``PageColouring.render`` in the flat and shaded modes with a few hint strokes (what
the app does after each stroke: regions and the network's colour are cached, the network does
not run). Pages:

- ``real``: the authentic line arts of ``../shared/data/lineart-real`` (read there, never copied
  into the repository), at their own size (<= 1024 px) and scaled to a 1024 px longer side;
- ``real A4``: each of them scaled onto an A4 page at 300 dpi (2480x3508), as a scan would be;
- ``synthetic``: tests/_region_pages.py's drawing (known regions, 1-4 px gaps) tiled to 1024x1024
  and to A4 at 300 dpi.

The network's colour is a smooth synthetic colour field (the refill does not depend on what it
is). Targets (issue 14): <= 150 ms per 1024 px page and <= 1.5 s per A4 300 dpi page for
the regions, < 100 ms for a refill at 1024 px, on the 2-core development machine.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

from _region_pages import drawing  # noqa: E402

from ganime_desktop.core.colour_modes import PageColouring  # noqa: E402
from ganime_desktop.core.regions import clear_cache, segment  # noqa: E402

LINEART = REPO.parent / "shared" / "data" / "lineart-real"
A4 = (3508, 2480)  # 300 dpi, portrait (h, w)


def _fit(gray: np.ndarray, longer: int) -> np.ndarray:
    h, w = gray.shape
    scale = longer / max(h, w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return np.array(Image.fromarray(gray).resize(size, Image.Resampling.BICUBIC))


def _on_a4(gray: np.ndarray) -> np.ndarray:
    page = np.full(A4, 255, np.uint8)
    art = _fit(gray, int(0.92 * A4[0]))
    if art.shape[1] > 0.92 * A4[1]:
        art = _fit(gray, int(0.92 * A4[1] * max(gray.shape) / gray.shape[1]))
    top, left = (A4[0] - art.shape[0]) // 2, (A4[1] - art.shape[1]) // 2
    page[top:top + art.shape[0], left:left + art.shape[1]] = art
    return page


def _synthetic(h: int, w: int) -> np.ndarray:
    tile, _ = drawing(gap=3)
    reps = (-(-h // tile.shape[0]), -(-w // tile.shape[1]))
    return np.ascontiguousarray(np.tile(tile, reps)[:h, :w])


def _colour_field(h: int, w: int) -> np.ndarray:
    """A smooth colour wash, like an upscaled network output."""
    small = np.random.default_rng(0).integers(40, 255, (8, 8, 3), dtype=np.uint8)
    return np.array(Image.fromarray(small).resize((w, h), Image.Resampling.BICUBIC))


def _hints(h: int, w: int) -> np.ndarray:
    hints = np.zeros((h, w, 4), np.uint8)
    for i, colour in enumerate(((230, 20, 30), (20, 90, 220), (40, 170, 60))):
        y = h * (i + 1) // 4
        hints[y:y + max(2, h // 200), w // 4:w // 2] = (*colour, 255)
    hints[h // 2:h // 2 + 4, w // 2:w // 2 + 4] = (250, 200, 40, 255)  # a second colour in some region
    return hints


def _median_ms(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000.0)
    return statistics.median(times)


def measure(gray: np.ndarray, repeat: int) -> tuple[float, float, float, int]:
    """(segment ms, flat refill ms, shaded refill ms, regions)."""
    def fresh():
        clear_cache()
        return segment(gray)

    seg_ms = _median_ms(fresh, repeat)
    regions = segment(gray)
    page = PageColouring(gray, _colour_field(*gray.shape), regions=regions)
    hints = _hints(*gray.shape)
    page.render("shaded", hints)  # per-page statistics, once per network run
    flat_ms = _median_ms(lambda: page.render("flat", hints), repeat)
    shaded_ms = _median_ms(lambda: page.render("shaded", hints), repeat)
    return seg_ms, flat_ms, shaded_ms, regions.count


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--repeat", type=int, default=3, help="runs per measurement (median)")
    p.add_argument("--lineart", type=Path, default=LINEART, help="folder of real line art PNGs")
    p.add_argument("--a4-pages", type=int, default=3, help="how many real line arts to time on A4")
    args = p.parse_args(argv)

    real = sorted(args.lineart.glob("*.png")) if args.lineart.is_dir() else []
    if not real:
        print(f"no line art in {args.lineart}; timing synthetic pages only", file=sys.stderr)
    rows: list[tuple[str, str, tuple[float, float, float, int]]] = []
    grays = {path.name: np.array(Image.open(path).convert("L")) for path in real}
    for name, gray in grays.items():
        rows.append((f"real {name}", f"{gray.shape[1]}x{gray.shape[0]}", measure(gray, args.repeat)))
    for name, gray in grays.items():
        g = _fit(gray, 1024)
        rows.append((f"real {name} @1024", f"{g.shape[1]}x{g.shape[0]}", measure(g, args.repeat)))
    for name in list(grays)[:args.a4_pages]:
        rows.append((f"real {name} on A4", "2480x3508", measure(_on_a4(grays[name]), max(1, args.repeat // 2))))
    rows.append(("synthetic", "1024x1024", measure(_synthetic(1024, 1024), args.repeat)))
    rows.append(("synthetic A4", "2480x3508", measure(_synthetic(*A4), max(1, args.repeat // 2))))

    print(f"{'page':<26} {'size':>10} {'regions':>8} {'segment ms':>11} {'flat ms':>8} {'shaded ms':>10}")
    for name, size, (seg, flat, shaded, count) in rows:
        print(f"{name:<26} {size:>10} {count:>8} {seg:>11.0f} {flat:>8.0f} {shaded:>10.0f}")
    groups = {"real, own size": [r for r in rows if r[0].startswith("real") and "@" not in r[0] and "A4" not in r[0]],
              "real @1024": [r for r in rows if "@1024" in r[0]],
              "real on A4": [r for r in rows if "on A4" in r[0]]}
    for label, group in groups.items():
        if group:
            seg = [r[2][0] for r in group]
            flat, shaded = [r[2][1] for r in group], [r[2][2] for r in group]
            print(f"{label}: segment median {statistics.median(seg):.0f} ms (max {max(seg):.0f}); refill flat "
                  f"{statistics.median(flat):.0f} ms, shaded {statistics.median(shaded):.0f} ms (max {max(shaded):.0f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
