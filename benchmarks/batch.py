"""Batch throughput: pages/min of ``run_batch`` (reader -> inference -> writer threads) against a
plain sequential read-colour-write loop with the same Colorizer, on A4 pages at 200 dpi
(1654x2339 PNG sketches synthesized by XDoG from the full-body test images).

    python benchmarks/batch.py [--pages 50] [--models-dir DIR --model NAME] [--device auto]

Model: --model from --models-dir / the installed manifests; without one, a compact real-size
U-Net (training.networks, ngf 32, 8 levels, untrained weights: speed does not depend on them) is
converted with tf2onnx into a temp folder (TensorFlow is fine in a benchmark, never in the app).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks._pages import FULLBODY_TEST, make_page  # noqa: E402
from ganime_desktop.core.batch import BatchOptions, run_batch  # noqa: E402
from ganime_desktop.core.imageio import read_image, write_image_atomic  # noqa: E402
from ganime_desktop.core.manifest import MANIFEST_NAME, ModelSpec, TensorSpec, describe_file, write_manifest  # noqa: E402
from ganime_desktop.core.pipeline import ColorizerCache  # noqa: E402
from ganime_desktop.core.registry import default_registry  # noqa: E402


def build_unet_model(folder: Path, ngf: int = 32) -> str:
    """Write a compact U-Net generator as ONNX + manifest into ``folder``; returns its name."""
    import os

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from export.convert import save_onnx, to_onnx
    from training.networks import build_unet_generator, size_multiple, unet_depth

    folder.mkdir(parents=True, exist_ok=True)
    model = build_unet_generator(256, ngf=ngf)
    path = save_onnx(to_onnx(model), folder / f"unet-ngf{ngf}.onnx")
    tensor = TensorSpec(size_multiple=size_multiple(unet_depth(256)), working_size=256)
    name = f"bench-unet-ngf{ngf}"
    spec = ModelSpec(name=name, display_name=f"Benchmark U-Net ngf {ngf} (untrained)", approach="pix2pix-tv",
                     kind="generator", precision="fp32", files={"generator": describe_file(path, folder)},
                     input=tensor, output=tensor, base_dir=folder)
    write_manifest(folder / MANIFEST_NAME, [spec])
    return name


def write_pages(folder: Path, count: int) -> list[Path]:
    sources = sorted(FULLBODY_TEST.glob("*.jpg"))
    pages = []
    for i in range(count):
        _, sketch, _ = make_page(read_image(sources[i % len(sources)]), sigma=(0.3, 0.4, 0.5)[i % 3])
        pages.append(write_image_atomic(folder / f"page{i + 1:03d}.png", sketch))
    return pages


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--pages", type=int, default=50)
    p.add_argument("--models-dir", dest="models_dirs", type=Path, action="append", default=[])
    p.add_argument("--model")
    p.add_argument("--device", default="auto")
    args = p.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="ganime-batch-bench-") as tmp:
        tmp = Path(tmp)
        models_dirs = list(args.models_dirs)
        name = args.model
        if name is None:
            defaults = default_registry(models_dirs).defaults()
            if defaults:
                name = defaults[0].name
            else:
                models_dirs.append(tmp / "model")
                name = build_unet_model(tmp / "model")
        registry = default_registry(models_dirs)
        colorizer = ColorizerCache(registry).get(name, args.device)
        print(f"model {name}: {registry.get(name).spec.display_name}, {colorizer.provider_info.describe()}")

        (tmp / "in").mkdir()
        started = time.perf_counter()
        pages = write_pages(tmp / "in", args.pages)
        print(f"{len(pages)} pages of 1654x2339 written in {time.perf_counter() - started:.1f} s")
        colorizer.colorize(read_image(pages[0]))  # warm-up: session and memory arenas

        (tmp / "seq").mkdir()
        started = time.perf_counter()
        for page in pages:
            write_image_atomic(tmp / "seq" / f"{page.stem}_{name}.png", colorizer.colorize(read_image(page)))
        sequential = time.perf_counter() - started

        options = BatchOptions(tmp / "in", tmp / "batch", models=[name], models_dirs=models_dirs,
                               device=args.device)
        started = time.perf_counter()
        report = run_batch(options)
        threaded = time.perf_counter() - started
        assert report.counts()["done"] == len(pages), report.summary()

        n = len(pages)
        print(f"sequential loop : {sequential:7.1f} s  {n / sequential * 60:6.1f} pages/min")
        print(f"run_batch       : {threaded:7.1f} s  {n / threaded * 60:6.1f} pages/min  "
              f"(x{sequential / threaded:.2f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
