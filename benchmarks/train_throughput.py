"""Images/s of the Pix2Pix trainer with its real input pipeline vs a bare compiled step on a fixed batch.

If the two are close, the tf.data pipeline (decode, XDoG cache, augmentation) is not the
bottleneck. Run by hand:

    .venv/bin/python benchmarks/train_throughput.py --data ../shared/data/anime-faces --steps 20
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import tensorflow as tf  # noqa: E402

from training.pix2pix import Pix2Pix  # noqa: E402
from training.trainer import (  # noqa: E402
    add_common_arguments,
    config_from_args,
    make_strategy,
    prepare_data,
)


def make_config(data: str, size: int, batch: int, ngf: int, extra: list[str]) -> dict:
    parser = argparse.ArgumentParser()
    add_common_arguments(parser)
    Pix2Pix.add_arguments(parser)
    args = parser.parse_args(["--data", data, "--run-dir", tempfile.mkdtemp(), "--image-size", str(size),
                              "--batch-size", str(batch), "--ngf", str(ngf), "--ndf", str(ngf),
                              "--limit", "256", *extra])
    return config_from_args(args, "pix2pix")


def measure(cfg: dict, steps: int, warmup: int = 3) -> tuple[float, float]:
    strategy = make_strategy(cfg["strategy"])
    sources, loader = prepare_data(cfg, log=lambda *_: None)
    with strategy.scope():
        approach = Pix2Pix(cfg, strategy)
        approach.build()
    data_iter = iter(strategy.experimental_distribute_dataset(approach.make_datasets(sources, loader, cfg)))

    @tf.function
    def step(batch):
        return strategy.run(approach.train_step, args=batch)

    def rate(next_batch) -> float:
        for _ in range(warmup):
            step(next_batch())
        t0 = time.perf_counter()
        for _ in range(steps):
            out = step(next_batch())
        float(out["g_total"])  # wait for the last step
        return steps * cfg["batch_size"] / (time.perf_counter() - t0)

    fixed = next(data_iter)
    bare = rate(lambda: fixed)
    full = rate(lambda: next(data_iter))
    return full, bare


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default="../shared/data/anime-faces")
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--ngf", type=int, default=32)
    parser.add_argument("--configs", default="128:4,256:1,256:4", help="size:batch pairs")
    parser.add_argument("--extra", default="--tv-loss l1", help="more trainer flags")
    args = parser.parse_args()
    print(f"Pix2Pix train throughput, ngf {args.ngf}, {args.extra!r}, {os.cpu_count()} CPU cores, "
          f"TensorFlow {tf.__version__}")
    print(f"{'size':>5} {'batch':>5} {'full trainer img/s':>19} {'bare step img/s':>16} {'ratio':>6}")
    for item in args.configs.split(","):
        size, batch = (int(v) for v in item.split(":"))
        cfg = make_config(args.data, size, batch, args.ngf, args.extra.split())
        full, bare = measure(cfg, args.steps)
        print(f"{size:>5} {batch:>5} {full:>19.2f} {bare:>16.2f} {full / bare:>6.2f}")


if __name__ == "__main__":
    main()
