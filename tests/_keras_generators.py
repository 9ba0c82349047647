"""Small REAL Keras generators and run directories for the export tests.

The U-Net comes from training.networks and is briefly fitted (L1, a few eager Adam steps) to map
real XDoG sketches of anime faces to their colours: an untrained U-Net outputs a near-constant
grey (tanh of tiny values), which would make parity and SSIM checks pass trivially.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

FACES = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "anime-faces"


def training_pairs(count: int, size: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(sketches, colours) NHWC float32 in [-1, 1] from the real face crops (train split)."""
    from training.data import PairLoader, list_sources

    sources = list_sources(FACES, "color", "train")[seed * count:(seed + 1) * count]
    loader = PairLoader(load_size=size, seed=0)
    colours, sketches = zip(*(loader.load(s) for s in sources), strict=True)
    x = np.stack([np.repeat(s[..., None], 3, -1) for s in sketches]).astype(np.float32) / 127.5 - 1
    y = np.stack(colours).astype(np.float32) / 127.5 - 1
    return x, y


def fitted_generator(*, depth: int, norm: str, upsample: str = "transpose", padding: str = "zero", ngf: int = 8,
                     steps: int = 6, batch: int = 2, seed: int = 0):
    """A small U-Net fitted for a few steps; BatchNorm moving statistics are set from real sketches."""
    import keras
    import tensorflow as tf

    from training.networks import build_unet_generator

    keras.utils.set_random_seed(seed)
    model = build_unet_generator(ngf=ngf, depth=depth, norm=norm, upsample=upsample, padding=padding)
    size = 2**depth
    x, y = training_pairs(steps * batch, size, seed)
    optimizer = keras.optimizers.Adam(1e-2)  # large steps: colours, not grey, after 6 steps
    for i in range(steps):
        xb, yb = x[i * batch:(i + 1) * batch], y[i * batch:(i + 1) * batch]
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.abs(model(xb, training=True) - yb))
        optimizer.apply_gradients(zip(tape.gradient(loss, model.trainable_variables),
                                      model.trainable_variables, strict=True))
    # A few steps barely move BatchNorm's moving averages (momentum 0.99): set them from one pass,
    # so inference mode (what the exporter converts) normalises like a trained model.
    bn = [layer for layer in model.layers if isinstance(layer, keras.layers.BatchNormalization)]
    for layer in bn:
        layer.momentum = 0.0
    model(x[: 2 * batch], training=True)
    for layer in bn:
        layer.momentum = 0.99
    return model


def write_run_dir(run_dir: Path, model, *, approach: str, norm: str, upsample: str, padding: str, depth: int,
                  ngf: int = 8, tv_loss: str | None = None, data_dir: Path = FACES, steps: int = 6) -> Path:
    """A run directory as training writes it: config.json, generator.keras, state.json."""
    run_dir.mkdir(parents=True, exist_ok=True)
    config = {
        "approach": approach, "image_size": 2**depth, "ngf": ngf, "norm": norm, "upsample": upsample,
        "padding": padding, "depth": depth, "size_multiple": 2**depth, "tv_loss": tv_loss,
        "data": [str(data_dir)], "data_dir": str(data_dir), "data_format": "color", "seed": 0,
        "batch_size": 2, "command": f"python -m training {approach} --data {data_dir} (tests)",
    }
    (run_dir / "config.json").write_text(json.dumps(config, indent=2))
    (run_dir / "state.json").write_text(json.dumps({"steps": steps, "state": "finished"}))
    model.save(run_dir / "generator.keras")
    return run_dir


# Each configuration is fitted and saved once per test session, whichever test module asks first.
CONFIGS = {
    # name: (approach, tv_loss, build options, fit options); 256 px fits are kept short
    "pix2pix-d6": ("pix2pix", "l1", {"depth": 6, "norm": "batch", "upsample": "transpose", "padding": "zero"},
                   {}),
    "cyclegan-d8": ("cyclegan", None, {"depth": 8, "norm": "instance", "upsample": "resize",
                                       "padding": "reflect"}, {"steps": 4, "batch": 1}),
    "pix2pix-d8": ("pix2pix", None, {"depth": 8, "norm": "batch", "upsample": "resize", "padding": "reflect"},
                   {"steps": 4, "batch": 1}),
    "cyclegan-d6": ("cyclegan", None, {"depth": 6, "norm": "instance", "upsample": "transpose", "padding": "zero"},
                    {}),
}
_RUNS: dict[str, Path] = {}


def run_dir_for(config: str, base: Path) -> Path:
    """The run directory of a CONFIGS entry under ``base`` (built on first use, then reused)."""
    if config not in _RUNS:
        approach, tv_loss, options, fit = CONFIGS[config]
        model = fitted_generator(**options, **fit)
        _RUNS[config] = write_run_dir(base / config, model, approach=approach, tv_loss=tv_loss,
                                      steps=fit.get("steps", 6), **options)
    return _RUNS[config]


EVAL_FIGURES = {"ssim_mean": 0.61, "ssim_sd": 0.08, "delta_e": 20.5, "per_image": [0.6, 0.62],
                "fid": {"vgg16": 41.0}}
_EXPORTS: dict[str, tuple[Path, Path]] = {}


def pix2pix_exported(base: Path) -> tuple[Path, Path]:
    """(run_dir, out_dir): the pix2pix-d6 run with eval/faces-test.json, exported once per session by
    ``python -m export RUN --name p2p-tiny --fp16 --int8 --default``. Tests must not modify either:
    copy first."""
    if "p2p" not in _EXPORTS:
        import shutil

        from export.__main__ import main

        run, out = base / "p2p-run", base / "p2p-models"
        shutil.copytree(run_dir_for("pix2pix-d6", base), run)
        (run / "eval").mkdir()
        (run / "eval" / "faces-test.json").write_text(json.dumps(EVAL_FIGURES))
        rc = main([str(run), "--name", "p2p-tiny", "--out-dir", str(out), "--fp16", "--int8", "--default"])
        if rc != 0:
            raise RuntimeError(f"the export of {run} failed with exit code {rc}")
        _EXPORTS["p2p"] = (run, out)
    return _EXPORTS["p2p"]
