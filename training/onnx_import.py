"""A shipped ONNX generator back into a Keras run folder, to fine-tune from (``--init-from``).

``python -m training from-onnx --model assets/models/manifest.json --name pix2pix-tv --data DIR ...
--run-dir runs/shipped-pix2pix-tv`` writes RUN/config.json (the architecture the manifest's
provenance records) and RUN/generator.keras, which ``--init-from RUN`` reads like a GPU run that
kept only its generator: the discriminator starts fresh.

Why: the training runs behind the shipped models stay on the machines that trained them; the
ONNX file is what the project keeps. Its graph holds every weight, but with each batch norm folded
into the convolution before it (tf2onnx): a kernel ``k*s`` and a bias ``b'`` per channel instead
of the kernel ``k`` and the norm's gamma, beta, moving mean and variance. Inference needs only the
folded pair; training does not: in training mode batch norm normalizes the convolution's output by
the batch's own statistics, which undoes any scale in the kernel. So the norm is rebuilt from the
statistics of that output on training-like sketches (``calibrate``): with ``m`` and ``v`` its
per-channel mean and variance, moving mean ``m``, moving variance ``v``, gamma ``sqrt(v + eps)``
and beta ``m + b'`` give exactly the folded network in inference mode, and in training mode the
same output for any batch whose statistics are ``m`` and ``v``. The import is accepted only when
Keras reproduces the ONNX file's colours (``PARITY_TOLERANCE``).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import numpy as np

from training.errors import TrainingError

PARITY_TOLERANCE = 1e-3  # max |Keras - ONNX| on outputs in [-1, 1]; float16 storage is exact in both
FP16_SUFFIX = "__fp16"  # export/variants.py: float16 storage, cast back to float32 in the graph


def onnx_initializers(path: Path) -> dict[str, np.ndarray]:
    """Every initializer of an ONNX file as float32 (float16 storage undone), by name without the
    storage suffix."""
    import onnx
    from onnx import numpy_helper

    model = onnx.load(str(path))
    out = {}
    for tensor in model.graph.initializer:
        name = tensor.name[: -len(FP16_SUFFIX)] if tensor.name.endswith(FP16_SUFFIX) else tensor.name
        array = numpy_helper.to_array(tensor)
        if array.dtype.kind == "f":
            out[name] = array.astype(np.float32)
    return out


def _one(weights: dict[str, np.ndarray], layer: str, part: str) -> np.ndarray:
    """The initializer tf2onnx named after Keras layer ``layer`` (``.../down2_conv_1/<part>``)."""
    found = [k for k in weights if f"/{layer}_1/" in k and k.endswith(part)]
    if len(found) != 1:
        raise TrainingError(f"the ONNX file has {len(found)} initializers for layer {layer!r} ({part}); "
                            "it is not a generator this project exported with the same architecture")
    return weights[found[0]]


def folded_weights(generator, weights: dict[str, np.ndarray]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """{conv layer name: (HWIO kernel, bias)} of the folded network: for a convolution followed by a
    batch norm, the norm's folded bias."""
    from keras import layers

    norms = {layer.name.replace("_norm", "_conv"): layer.name for layer in generator.layers
             if isinstance(layer, layers.BatchNormalization)}
    out = {}
    for layer in generator.layers:
        if not isinstance(layer, layers.Conv2D):
            continue
        if layer.name in norms:
            kernel = _one(weights, layer.name, "convolution/merged_input:0")
            bias = _one(weights, norms[layer.name], "batchnorm/sub:0")
        else:
            kernel = _one(weights, layer.name, "convolution/ReadVariableOp:0")
            bias = _one(weights, layer.name, "Squeeze:0")
        kernel = kernel.transpose(2, 3, 1, 0)  # ONNX OIHW -> Keras HWIO
        if kernel.shape != tuple(layer.kernel.shape):
            raise TrainingError(f"layer {layer.name!r}: the ONNX kernel is {kernel.shape}, the network's "
                                f"{tuple(layer.kernel.shape)}; the architectures differ")
        out[layer.name] = (kernel, bias)
    return out


def load_folded(generator, weights: dict[str, np.ndarray]) -> list:
    """Put the folded network into ``generator``: kernels and biases where the convolution has one;
    each batch norm the identity plus the folded bias (moving mean 0, variance 1 - eps, gamma 1).
    Returns the batch-norm layers (to calibrate)."""
    from keras import layers

    folded = folded_weights(generator, weights)
    norms = []
    for layer in generator.layers:
        if isinstance(layer, layers.Conv2D):
            kernel, bias = folded[layer.name]
            layer.set_weights([kernel, bias] if layer.use_bias else [kernel])
        elif isinstance(layer, layers.BatchNormalization):
            _, bias = folded[layer.name.replace("_norm", "_conv")]
            ones = np.ones_like(bias)
            layer.set_weights([ones, bias, np.zeros_like(bias), ones - layer.epsilon])
            norms.append(layer)
        elif layer.weights:
            raise TrainingError(f"layer {layer.name!r} ({type(layer).__name__}) has weights the import does not know")
    return norms


def calibrate(generator, norms: list, sketches: np.ndarray, batch: int = 16) -> None:
    """Rebuild each batch norm from its input's per-channel statistics on ``sketches`` (N x S x S x 3
    in [-1, 1]), keeping the folded network's inference output (the module docstring)."""
    import keras

    probe = keras.Model(generator.inputs, [layer.input for layer in norms])
    sums = [np.zeros((3, layer.input.shape[-1])) for layer in norms]  # count, sum, sum of squares
    for i in range(0, len(sketches), batch):
        outs = probe(sketches[i: i + batch], training=False)
        for total, out in zip(sums, outs if isinstance(outs, list | tuple) else [outs], strict=True):
            x = np.asarray(out, np.float64).reshape(-1, out.shape[-1])
            total += np.stack([np.full(x.shape[1], x.shape[0]), x.sum(0), (x * x).sum(0)])
    for layer, (n, s1, s2) in zip(norms, sums, strict=True):
        mean = s1 / n
        var = np.maximum(s2 / n - mean * mean, 0.0)
        _, folded_bias, _, _ = layer.get_weights()
        gamma = np.sqrt(var + layer.epsilon)
        layer.set_weights([gamma.astype(np.float32), (mean + folded_bias).astype(np.float32),
                           mean.astype(np.float32), var.astype(np.float32)])


def onnx_colours(path: Path, sketches: np.ndarray) -> np.ndarray:
    """The ONNX file's output for N x S x S x 3 (or 7) generator inputs in [-1, 1] (onnxruntime on the CPU)."""
    import onnxruntime as ort

    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    feed = session.get_inputs()[0].name
    return np.concatenate([session.run(None, {feed: sketches[i: i + 1]})[0] for i in range(len(sketches))])


def import_generator(onnx_path: Path, cfg: dict[str, Any], sketches: np.ndarray):
    """A Keras generator (the architecture of ``cfg``) holding the ONNX file's weights, its batch
    norms rebuilt on ``sketches``; raises TrainingError unless it colours as the file does.
    Returns (generator, max |Keras - ONNX|)."""
    from training.architecture import Architecture

    arch = Architecture.from_config(cfg)
    if arch.generator_norm != "batch":
        raise TrainingError("the import knows Pix2Pix generators with batch norm")
    generator = arch.build_generator()
    norms = load_folded(generator, onnx_initializers(onnx_path))
    calibrate(generator, norms, sketches)
    probe = sketches[: min(4, len(sketches))]
    diff = float(np.max(np.abs(np.asarray(generator(probe, training=False)) - onnx_colours(onnx_path, probe))))
    if diff > PARITY_TOLERANCE:
        raise TrainingError(f"the imported generator differs from {onnx_path} by up to {diff:.2e} "
                            f"(tolerance {PARITY_TOLERANCE:g}); the import does not understand this graph")
    return generator, diff


def calibration_sketches(cfg: dict[str, Any], data: list[str], count: int, seed: int) -> np.ndarray:
    """``count`` training-like generator inputs (N x S x S x 3 in [-1, 1], or x 7 for a hint model: the
    sketch and simulated hints): crops of the data as the run trained on them
    (training/sample_pool.make_sample, its sketch style, augmentation and hints)."""
    from training.augment import AugmentConfig
    from training.data import PairLoader, list_sources
    from training.hints import hint_config
    from training.sample_pool import SampleSpec, load_store, make_sample, to_model_inputs

    sources = [s for folder in data for s in list_sources(folder, "auto", "train")]
    rng = np.random.default_rng(seed)
    sources = [sources[i] for i in rng.choice(len(sources), size=min(len(sources), 4 * count), replace=False)]
    store = load_store(sources, PairLoader(load_size=int(cfg.get("load_size") or cfg["image_size"]), seed=seed))
    augment = AugmentConfig(max_zoom=float(cfg.get("max_zoom", 1.4)), paper_prob=float(cfg.get("paper_prob", 0.5)))
    spec = SampleSpec(int(cfg["image_size"]), augment, cfg.get("sketch_style", "mixed"), hints=hint_config(cfg))
    samples = [make_sample(store, spec, rng) for _ in range(count)]
    batch = {key: np.stack([s[key] for s in samples]) for key in samples[0]}
    return np.ascontiguousarray(to_model_inputs(batch)[0])


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", default="assets/models/manifest.json",
                        help="the manifest that lists the generator (default: %(default)s)")
    parser.add_argument("--name", default=None, help="the generator's name (default: the manifest's default)")
    parser.add_argument("--data", nargs="+", required=True, metavar="DIR",
                        help="training data whose crops rebuild the batch norms (the data it trained on)")
    parser.add_argument("--samples", type=int, default=128, help="crops for the batch norms (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=0, help="(default: %(default)s)")
    parser.add_argument("--run-dir", required=True, help="the run folder to write (config.json, generator.keras)")


def run(args: argparse.Namespace) -> int:
    from ganime_desktop.core.manifest import ManifestError, find_generator
    from training.run_config import RunDir, write_json_atomic

    try:
        spec = find_generator(args.model, args.name)
    except ManifestError as exc:
        raise TrainingError(str(exc)) from None
    provenance = spec.provenance
    cfg = {**provenance.get("config", {}), **_training_flags(provenance.get("command", ""))}
    if cfg.get("approach") != "pix2pix":
        raise TrainingError(f"{spec.name}: its provenance records no Pix2Pix architecture to rebuild")
    onnx_path = spec.file_path("generator")
    sketches = calibration_sketches(cfg, args.data, args.samples, args.seed)
    generator, diff = import_generator(onnx_path, cfg, sketches)
    run_dir = RunDir(args.run_dir)
    run_dir.path.mkdir(parents=True, exist_ok=True)
    cfg = {**cfg, "imported_from": {"onnx": str(onnx_path), "sha256": spec.files["generator"].sha256,
                                    "name": spec.name, "calibration": {"data": args.data, "samples": args.samples,
                                                                       "seed": args.seed},
                                    "max_abs_diff": diff}}
    write_json_atomic(run_dir.config_path, cfg)
    run_dir.save_model(generator, "generator.keras")
    training = provenance.get("training", {})
    write_json_atomic(run_dir.path / "state.json", {"steps": training.get("steps"), "backend": training.get("backend"),
                                                    "device": training.get("device"), "state": "imported",
                                                    "time": training.get("finished")})
    print(f"{spec.name}: {onnx_path} -> {run_dir.path / 'generator.keras'} (max |Keras - ONNX| {diff:.1e}); "
          f"fine-tune it with --init-from {run_dir.path}")
    return 0


def _training_flags(command: str) -> dict[str, Any]:
    """The crop settings a model trained with, from its recorded command (the manifest's config keeps
    the architecture, not the augmentation): --max-zoom, --paper-prob, --sketch-style."""
    import shlex

    words = shlex.split(command)
    out: dict[str, Any] = {}
    for flag, key, cast in (("--max-zoom", "max_zoom", float), ("--paper-prob", "paper_prob", float),
                            ("--sketch-style", "sketch_style", str)):
        if flag in words and words.index(flag) + 1 < len(words):
            out[key] = cast(words[words.index(flag) + 1])
    return out
