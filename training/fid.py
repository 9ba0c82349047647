"""Feature extractors for the Fréchet distance of the evaluation table (needs Keras).

- Inception v3 (the standard FID network) when its ImageNet weights exist: a given file, Keras'
  cache, or a download when online. Keras' InceptionV3, pool features (2048-d) at 299x299;
  close to, not bit-identical with, the TF-FID graph that published FIDs use.
- Otherwise the Fréchet distance on VGG16 features, always labelled "FID-VGG16", never "FID":
  torchvision's ImageNet VGG16 (training.vgg, offline from PyPI), block5_conv3 averaged over
  positions (512-d) at 224x224.

The numbers of the two are not comparable with each other; the label travels with the value.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cv2
import keras
import numpy as np

from training import vgg

INCEPTION_NOTOP = ("inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5",
                   "https://storage.googleapis.com/tensorflow/keras-applications/inception_v3/"
                   "inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5",
                   "bcbd6486424b2319ff4ef7d526e38f63")  # as keras.applications.inception_v3 fetches it
INCEPTION_SIZE = 299
VGG_SIZE = 224
VGG_LAYER = "block5_conv3"
KINDS = ("auto", "inception", "vgg16")


class FeaturesUnavailable(RuntimeError):
    """The requested feature network has no weights here; the message says how to provide them."""


@dataclass
class FeatureExtractor:
    label: str  # the column name: "FID" or "FID-VGG16"
    description: str  # network, weights source, layer, input size
    embed_batch: Callable[[np.ndarray], np.ndarray]  # N x S x S x 3 float32 in [0, 1] -> N x D
    size: int

    def embed(self, images: list[np.ndarray], batch: int = 16) -> np.ndarray:
        """uint8 HxWx3 images (any sizes) -> N x D float64 features."""
        out = []
        for i in range(0, len(images), batch):
            x = np.stack([cv2.resize(img, (self.size, self.size), interpolation=cv2.INTER_AREA
                                     if min(img.shape[:2]) > self.size else cv2.INTER_CUBIC)
                          for img in images[i:i + batch]]).astype(np.float32) / 255.0
            out.append(np.asarray(self.embed_batch(x), np.float64))
        return np.concatenate(out)


def _inception_weights(path: str | Path | None, allow_download: bool) -> Path:
    if path is not None:
        if not Path(path).is_file():
            raise FeaturesUnavailable(f"{path}: no such Inception weights file")
        return Path(path)
    try:
        return vgg.keras_weights_file(*INCEPTION_NOTOP, allow_download=allow_download)
    except vgg.KerasWeightsUnavailable as exc:
        raise FeaturesUnavailable(f"Inception v3: {exc}") from None


def inception_extractor(weights: str | Path | None = None, *, allow_download: bool = True) -> FeatureExtractor:
    path = _inception_weights(weights, allow_download)
    model = keras.applications.InceptionV3(include_top=False, weights=str(path), pooling="avg",
                                           input_shape=(INCEPTION_SIZE, INCEPTION_SIZE, 3))

    def embed(x01: np.ndarray) -> np.ndarray:
        return model(x01 * 2.0 - 1.0, training=False).numpy()  # Inception's [-1, 1] preprocessing

    return FeatureExtractor("FID", f"Keras InceptionV3 ImageNet ({path.name}), 2048-d average pool, "
                            f"{INCEPTION_SIZE} px", embed, INCEPTION_SIZE)


def vgg16_extractor(weights: str | Path | None = None, *, allow_download: bool = True,
                    log: Callable[[str], None] = print) -> FeatureExtractor:
    try:
        w = vgg.resolve_vgg_weights(weights, prefer="vgg16", allow_download=allow_download, log=log)
    except vgg.VggWeightsUnavailable as exc:
        raise FeaturesUnavailable(str(exc)) from None
    features = vgg.VggFeatures(w, (VGG_LAYER,))

    def embed(x01: np.ndarray) -> np.ndarray:
        return np.asarray(features(x01)[0]).mean(axis=(1, 2))

    return FeatureExtractor("FID-VGG16", f"{w.source}, {VGG_LAYER} averaged over positions (512-d), "
                            f"{VGG_SIZE} px", embed, VGG_SIZE)


def choose_extractor(kind: str = "auto", *, inception_weights: str | Path | None = None,
                     vgg_weights: str | Path | None = None, log: Callable[[str], None] = print) -> FeatureExtractor:
    """Inception when it can be had (kind auto/inception), else VGG16; FeaturesUnavailable if neither."""
    if kind not in KINDS:
        raise ValueError(f"unknown feature kind {kind!r}; use one of {', '.join(KINDS)}")
    if kind in ("auto", "inception"):
        try:
            return inception_extractor(inception_weights)
        except FeaturesUnavailable as exc:
            if kind == "inception":
                raise FeaturesUnavailable(f"{exc}; give --inception-weights FILE (Keras "
                                          f"{INCEPTION_NOTOP[0]}) or run once online") from None
            log(f"FID: no Inception v3 weights ({exc}); using FID-VGG16 instead")
    return vgg16_extractor(vgg_weights, log=log)
