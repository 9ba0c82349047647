"""Inference speed of the U-Net generator: Keras vs onnxruntime fp32 / fp16 / int8, and its GMACs.

Median milliseconds per image, batch 1, at 256 and 512 px, for the paper's U-Net (ngf 64) and a
compact one (ngf 32), both 8 levels deep. Weights are random (speed does not depend on them);
the int8 model is calibrated on real XDoG sketches all the same. CUDA rows appear when
onnxruntime really gets a GPU (session.get_providers(), not get_available_providers()).
Run by hand:

    .venv/bin/python benchmarks/infer.py [--ngf 64 32] [--sizes 256 512] [--reps 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import onnxruntime as ort  # noqa: E402
import tensorflow as tf  # noqa: E402

from export.convert import keras_predict, save_onnx, to_onnx  # noqa: E402
from export.graph_stats import conv_macs  # noqa: E402
from export.parity import cpu_session, run_session  # noqa: E402
from export.sketches import SHARED_FALLBACK, SketchSet, random_batch  # noqa: E402
from export.variants import to_fp16, to_int8  # noqa: E402
from training.networks import build_unet_generator  # noqa: E402

DEPTH = 8


def median_ms(fn, x: np.ndarray, reps: int, warmup: int = 1) -> tuple[float, float]:
    """(median wall ms, median CPU ms of this process). On a shared machine wall time includes
    waiting for cores; CPU time (all threads) shows the work itself."""
    for _ in range(warmup):
        fn(x)
    wall, cpu = [], []
    for _ in range(reps):
        t0, c0 = time.perf_counter(), time.process_time()
        fn(x)
        wall.append((time.perf_counter() - t0) * 1000.0)
        cpu.append((time.process_time() - c0) * 1000.0)
    return statistics.median(wall), statistics.median(cpu)


def cuda_session(path: Path) -> ort.InferenceSession | None:
    if "CUDAExecutionProvider" not in ort.get_available_providers():
        return None
    options = ort.SessionOptions()
    options.log_severity_level = 3
    ort.set_default_logger_severity(4)  # without a GPU the CUDA library fails to load: no error spam
    try:
        session = ort.InferenceSession(str(path), options,
                                       providers=["CUDAExecutionProvider", "CPUExecutionProvider"])
    finally:
        ort.set_default_logger_severity(2)
    return session if session.get_providers()[0] == "CUDAExecutionProvider" else None


def bench_model(ngf: int, sizes: list[int], reps: int, sketches: SketchSet, tmp: Path) -> None:
    model = build_unet_generator(ngf=ngf, depth=DEPTH)
    print(f"\nU-Net ngf {ngf}, depth {DEPTH}: {model.count_params() / 1e6:.1f} M parameters")
    t0 = time.perf_counter()
    fp32 = save_onnx(to_onnx(model), tmp / f"ngf{ngf}.onnx")
    fp16 = to_fp16(fp32, tmp / f"ngf{ngf}-fp16.onnx")
    int8 = to_int8(fp32, tmp / f"ngf{ngf}-int8.onnx", sketches.batch(8, 256, 256, split="train"))
    print(f"  export + fp16 + int8 (8 calibration sketches): {time.perf_counter() - t0:.0f} s; files "
          + ", ".join(f"{p.name.split('-')[-1].removesuffix('.onnx')} {p.stat().st_size / 1e6:.0f} MB"
                      for p in (fp32, fp16, int8)))

    graph_fn = tf.function(lambda x: model(x, training=False), autograph=False,
                           input_signature=[tf.TensorSpec((None, None, None, 3), tf.float32)])
    runners = {
        "keras eager": lambda x: keras_predict(model, x),
        "keras tf.function": lambda x: graph_fn(x).numpy(),
    }
    for label, path in (("ort fp32", fp32), ("ort fp16", fp16), ("ort int8", int8)):
        session = cpu_session(path)
        runners[f"{label} cpu"] = lambda x, s=session: run_session(s, x)
        gpu = cuda_session(path)
        if gpu is not None:
            runners[f"{label} cuda"] = lambda x, s=gpu: run_session(s, x)

    for size in sizes:
        x = random_batch(1, size, size, seed=size)
        gmacs = conv_macs(model, size, size) / 1e9
        print(f"  {size}x{size}, batch 1, {gmacs:.2f} GMAC")
        for label, fn in runners.items():
            ms, cpu_ms = median_ms(fn, x, reps)
            print(f"    {label:<22} {ms:8.1f} ms wall  {cpu_ms:8.1f} ms CPU  {gmacs / (ms / 1000):6.1f} GMAC/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ngf", type=int, nargs="+", default=[64, 32])
    parser.add_argument("--sizes", type=int, nargs="+", default=[256, 512])
    parser.add_argument("--reps", type=int, default=5, help="timed runs per row (median reported)")
    parser.add_argument("--data", type=Path, default=SHARED_FALLBACK, help="colour images for int8 calibration")
    args = parser.parse_args()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"CPU cores {os.cpu_count()}, load average {load:.1f}; onnxruntime {ort.__version__} providers "
          f"{ort.get_available_providers()}; TensorFlow {tf.__version__}")
    sketches = SketchSet(args.data, "auto")
    with tempfile.TemporaryDirectory(prefix="ganime-bench-") as tmp:
        for ngf in args.ngf:
            bench_model(ngf, args.sizes, args.reps, sketches, Path(tmp))


if __name__ == "__main__":
    main()
