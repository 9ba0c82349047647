"""Inference speed of the shipped generators beside this machine's measured peak, in one run.

    python benchmarks/infer.py [--models pix2pix-tv ...] [--files OLD.onnx ...] [--sizes 256 384]
                               [--reps 20] [--settings]

For every generator of the manifest (default: the shipped one) and each of its files (the float
model ``generator``, the int8 CPU model ``generator_int8`` where there is one) and every extra
--files ONNX generator (e.g. a model before its graph was rewritten), at each size, batch 1, on the
CPU with the app's session settings (ganime_desktop/core/sessions.py): median wall ms, median
process CPU ms (all threads: on a shared machine wall time includes waiting for a core), the
network's GMAC (the Keras network's convolutions) and GMAC/s, the GMAC the graph executes (a
clean graph's sub-pixel convolutions do 4/9 of the decoder's) with their rate, and that rate as a
share of the peak measured in the same run: float32 matrix multiply (onnxruntime's own MLAS kernels and numpy's BLAS) and uint8 x int8
(onnxruntime MatMulInteger: VNNI/AMX where the CPU has them).

--settings also times the default model's files under other session settings (threads, graph
optimisation level, memory arena, spin-waiting) to show why the app uses the ones it does.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402
import onnx  # noqa: E402
import onnxruntime as ort  # noqa: E402
from onnx import TensorProto, helper  # noqa: E402

from export.graph_stats import onnx_conv_macs  # noqa: E402
from ganime_desktop.core.manifest import CPU_INT8_ROLE, load_manifest  # noqa: E402
from ganime_desktop.core.sessions import session_options  # noqa: E402

SHIPPED = REPO / "assets" / "models" / "manifest.json"


def timed(fn, reps: int, warmup: int = 2) -> tuple[float, float]:
    """(median wall ms, median process CPU ms) of ``fn()``."""
    for _ in range(warmup):
        fn()
    wall, cpu = [], []
    for _ in range(reps):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        wall.append((time.perf_counter() - t0) * 1e3)
        cpu.append((time.process_time() - c0) * 1e3)
    return statistics.median(wall), statistics.median(cpu)


def _matmul_model(n: int, integer: bool) -> bytes:
    if integer:
        node = helper.make_node("MatMulInteger", ["a", "b"], ["c"])
        types = (TensorProto.UINT8, TensorProto.INT8, TensorProto.INT32)
    else:
        node = helper.make_node("MatMul", ["a", "b"], ["c"])
        types = (TensorProto.FLOAT,) * 3
    graph = helper.make_graph([node], "peak", [helper.make_tensor_value_info("a", types[0], [n, n]),
                                               helper.make_tensor_value_info("b", types[1], [n, n])],
                              [helper.make_tensor_value_info("c", types[2], [n, n])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    return model.SerializeToString()


def peaks(reps: int, n: int = 1536) -> dict[str, float]:
    """GMAC/s of an n x n x n matrix multiply: onnxruntime fp32, numpy fp32, onnxruntime u8 x s8."""
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((n, n), np.float32), rng.standard_normal((n, n), np.float32)
    out = {}
    fp32 = ort.InferenceSession(_matmul_model(n, False), session_options(), providers=["CPUExecutionProvider"])
    out["fp32 onnxruntime"] = n**3 / 1e6 / timed(lambda: fp32.run(None, {"a": a, "b": b}), reps)[0]
    out["fp32 numpy"] = n**3 / 1e6 / timed(lambda: a @ b, reps)[0]
    qa = rng.integers(0, 256, (n, n), dtype=np.uint8)
    qb = rng.integers(-128, 128, (n, n), dtype=np.int8)
    int8 = ort.InferenceSession(_matmul_model(n, True), session_options(), providers=["CPUExecutionProvider"])
    out["int8 onnxruntime"] = n**3 / 1e6 / timed(lambda: int8.run(None, {"a": qa, "b": qb}), reps)[0]
    return out


def cpu_session(path: Path, options: ort.SessionOptions | None = None) -> ort.InferenceSession:
    return ort.InferenceSession(str(path), options or session_options(), providers=["CPUExecutionProvider"])


def sketch_input(path: Path, size: int, seed: int = 0) -> np.ndarray:
    """A sketch-like input: white paper (+1) with a few dark strokes, plus the model's channels."""
    channels = onnx.load(str(path), load_external_data=False).graph.input[0].type.tensor_type.shape.dim[3].dim_value
    rng = np.random.default_rng(seed)
    x = np.ones((1, size, size, channels), np.float32)
    if channels > 3:
        x[..., 3:] = 0.0  # no hints
    for _ in range(40):
        r, c = rng.integers(0, size, 2)
        x[0, r:r + 2, max(0, c - 20):c + 20, :3] = -1.0
        x[0, max(0, r - 20):r + 20, c:c + 2, :3] = -1.0
    return x


def variants(manifest: Path, names: list[str] | None, files: list[Path]) -> list[tuple[str, Path, bool]]:
    """(label, file, is int8) for every file to time."""
    rows = []
    for spec in load_manifest(manifest):
        if spec.kind != "generator" or (names and spec.name not in names):
            continue
        rows.append((f"{spec.name} {spec.precision}", spec.file_path("generator"), False))
        if CPU_INT8_ROLE in spec.files:
            rows.append((f"{spec.name} int8 (CPU)", spec.file_path(CPU_INT8_ROLE), True))
    for path in files:
        is_int8 = any(n.op_type in ("QuantizeLinear", "QLinearConv") for n in onnx.load(str(path)).graph.node)
        rows.append((path.name, path, is_int8))
    return rows


def bench(rows, sizes: list[int], reps: int, peak: dict[str, float]) -> None:
    for size in sizes:
        print(f"\n{size}x{size}, batch 1")
        print(f"  {'model':<32} {'wall ms':>8} {'CPU ms':>8} {'GMAC':>6} {'GMAC/s':>7} {'executed':>8} "
              f"{'GMAC/s':>7} {'of peak':>8}")
        for label, path, is_int8 in rows:
            session = cpu_session(path)
            x = sketch_input(path, size)
            name = session.get_inputs()[0].name
            wall, cpu = timed(lambda s=session, x=x, n=name: s.run(None, {n: x}), reps)
            executed, network = onnx_conv_macs(path, size, size)
            limit = peak["int8 onnxruntime"] if is_int8 else peak["fp32 onnxruntime"]
            done = executed / 1e6 / wall
            print(f"  {label:<32} {wall:8.1f} {cpu:8.1f} {network / 1e9:6.2f} {network / 1e6 / wall:7.1f} "
                  f"{executed / 1e9:8.2f} {done:7.1f} {done / limit:8.0%}")


def settings_sweep(rows, size: int, reps: int) -> None:
    """The default model's files under other session settings than the app's."""
    def options(spinning: bool = False, **change) -> ort.SessionOptions:
        o = session_options(spinning=spinning)
        for key, value in change.items():
            setattr(o, key, value)
        return o

    level = ort.GraphOptimizationLevel
    cases = {
        "app settings": {},
        "1 thread": {"intra_op_num_threads": 1},
        "2 threads": {"intra_op_num_threads": 2},
        "4 threads": {"intra_op_num_threads": 4},
        "basic optimisation": {"graph_optimization_level": level.ORT_ENABLE_BASIC},
        "extended optimisation": {"graph_optimization_level": level.ORT_ENABLE_EXTENDED},
        "no memory arena": {"enable_cpu_mem_arena": False, "enable_mem_pattern": False},
        "spin-waiting on": {"spinning": True},
    }
    print(f"\nsession settings, {size}x{size}, median wall ms / CPU ms")
    for label, path, _ in rows:
        x = sketch_input(path, size)
        cells = []
        for case, change in cases.items():
            session = cpu_session(path, options(**change))
            name = session.get_inputs()[0].name
            wall, cpu = timed(lambda s=session, n=name, x=x: s.run(None, {n: x}), reps)
            cells.append(f"{case} {wall:.1f}/{cpu:.1f}")
        print(f"  {label}: " + ", ".join(cells))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--manifest", type=Path, default=SHIPPED)
    p.add_argument("--models", nargs="+", help="only these generators of the manifest")
    p.add_argument("--files", type=Path, nargs="+", default=[], help="extra ONNX generators to time")
    p.add_argument("--sizes", type=int, nargs="+", default=[256, 384])
    p.add_argument("--reps", type=int, default=20, help="timed runs per row (median reported)")
    p.add_argument("--settings", action="store_true", help="also sweep session settings (default model)")
    args = p.parse_args(argv)
    load = os.getloadavg()[0]
    print(f"{os.cpu_count()} CPU cores, load average {load:.1f}; onnxruntime {ort.__version__} (CPU provider)")
    peak = peaks(max(3, args.reps // 4))
    print("measured peak, GMAC/s: " + ", ".join(f"{k} {v:.0f}" for k, v in peak.items()))
    rows = variants(args.manifest, args.models, args.files)
    bench(rows, args.sizes, args.reps, peak)
    if args.settings:
        specs = [s for s in load_manifest(args.manifest) if s.kind == "generator"]
        default = next((s.name for s in specs if s.default), specs[0].name)
        settings_sweep([r for r in rows if r[0].startswith(f"{default} ")], args.sizes[-1], args.reps)
    print(f"\nload average at the end {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
