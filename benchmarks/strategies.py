"""Large pages: which strategy colours a page bigger than the model's working size best, and how fast?

For a few full-body test images (../shared/data/anime-fullbody/test), each is upscaled onto a
white A4 page at 200 dpi (1654x2339); its XDoG sketch (made at the image's own size, then
upscaled: lines a few pixels wide, like a scan) is coloured by one model with:

- passthrough: the sketch itself (the baseline every table carries: it scores a high SSIM
  against the colour image while colouring nothing);
- resize:             model at working size, prediction upscaled, no line merge;
- recombine-multiply: resize, then the blurred lines divided out and the full-resolution ones
                      multiplied in (line art as a multiply layer);
- recombine-min:      resize, then L = min(prediction, sketch) in Lab;
- tile:               model at full resolution in overlapping working-size tiles, blended.

Prints SSIM (the paper's definition, training.metrics) and mean CIEDE2000 vs the colour page,
and the median seconds per page. Usage:

    python benchmarks/strategies.py --models-dir DIR --model NAME [--images 4] [--working-size 256]

Measured on the 2-core CPU box (busy with other jobs) with a Pix2Pix+TV U-Net (ngf 16, 2,500 steps
at 128 px on anime-fullbody, exported by ``python -m export``), 4 images, --working-size 512:

    method             | SSIM mean (sd)  | ΔE2000 | s/page
    passthrough        | 0.7948 (0.0418) | 10.81  | 0.000
    resize             | 0.7744 (0.0349) | 11.16  | 0.357
    recombine-multiply | 0.7782 (0.0410) | 11.16  | 0.375
    recombine-min      | 0.7880 (0.0361) | 10.74  | 0.620
    tile               | 0.8092 (0.0419) | 11.30  | 7.538

(--working-size 256: recombine-min 0.7915 / 10.69 / 0.53 s, tile 0.8091 / 11.29 / 8.8 s.) Looking
at the pages explains tile's SSIM: at full scale the model only tints the lines and leaves regions
white (near passthrough); recombine colours whole regions and has the lowest colour error.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks._pages import FULLBODY_TEST, PAGE_H, PAGE_W, make_page  # noqa: E402
from ganime_desktop.core.imageio import read_image  # noqa: E402
from ganime_desktop.core.pipeline import Colorizer  # noqa: E402
from ganime_desktop.core.preprocess import downscale_gray, scale_to_fit, to_gray, upscale  # noqa: E402
from ganime_desktop.core.registry import default_registry  # noqa: E402
from training.metrics import mean_delta_e2000, ssim  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--models-dir", dest="models_dirs", type=Path, action="append", default=[])
    p.add_argument("--model", help="model name (default: the registry's default)")
    p.add_argument("--images", type=int, default=4)
    p.add_argument("--working-size", type=int, default=None)
    args = p.parse_args(argv)

    registry = default_registry(args.models_dirs)
    name = args.model or (registry.defaults()[0].name if registry.defaults() else None)
    if name is None:
        print("no model: pass --models-dir and --model", file=sys.stderr)
        return 2
    entry = registry.verify(name)
    variants = {
        "recombine-multiply": Colorizer(entry, "auto", strategy="recombine", line_merge="multiply"),
        "recombine-min": Colorizer(entry, "auto", strategy="recombine", line_merge="min"),
        "tile": Colorizer(entry, "auto", strategy="tile"),
    }
    base = variants["tile"]
    size = args.working_size or base.spec.input.working_size
    print(f"model {name} ({base.provider_info.describe()}), working size {size}, page {PAGE_W}x{PAGE_H}")

    def resize_only(sketch: np.ndarray) -> np.ndarray:
        gray = to_gray(sketch)
        sh, sw = scale_to_fit(*gray.shape, size)
        return upscale(base.colorize(downscale_gray(gray, sh, sw), working_size=size), *gray.shape)

    methods = {
        "passthrough": lambda s: s,
        "resize": resize_only,
        **{v: (lambda s, c=c: c.colorize(s, working_size=size)) for v, c in variants.items()},
    }
    scores: dict[str, dict[str, list[float]]] = {m: {"ssim": [], "de": [], "s": []} for m in methods}
    files = sorted(FULLBODY_TEST.glob("*.jpg"))[: args.images]
    for path in files:
        colour, sketch, box = make_page(read_image(path))
        for method, run in methods.items():
            started = time.perf_counter()
            out = run(sketch)
            scores[method]["s"].append(time.perf_counter() - started)
            scores[method]["ssim"].append(ssim(out[box], colour[box]))
            scores[method]["de"].append(mean_delta_e2000(out[box], colour[box]))
        print(f"  {path.name}: " + ", ".join(f"{m} {scores[m]['ssim'][-1]:.3f}/{scores[m]['de'][-1]:.1f}"
                                            for m in methods), flush=True)
    print(f"\n{len(files)} pages         | SSIM mean (sd) | ΔE2000 mean | s/page median")
    for method, s in scores.items():
        print(f"{method:18s} | {statistics.mean(s['ssim']):.4f} ({statistics.pstdev(s['ssim']):.4f}) | "
              f"{statistics.mean(s['de']):6.2f}      | {statistics.median(s['s']):.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
