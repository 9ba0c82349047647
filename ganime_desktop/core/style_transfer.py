"""Magenta arbitrary style transfer (Ghiasi et al. 2017) around two onnxruntime sessions.

Conventions of the exported files: RGB in [0, 1]; ``predict`` takes the style image as
1x256x256x3 (centre-cropped square, resized) and gives a 1x1x1x100 style vector; ``transform``
takes (content 1x384x384x3, style vector) and is FIXED at 384x384, so the content is resized to
a longer side of 384, reflect-padded to a square, and the result cropped back and resized.
"""

from __future__ import annotations

import hashlib

import numpy as np
import onnxruntime as ort

from .preprocess import scale_to_fit, upscale
from .resize import AREA, CUBIC, resize

STYLE_SIZE = 256
CONTENT_SIZE = 384


def style_input(reference: np.ndarray) -> np.ndarray:
    """HxWx3 uint8 RGB -> 1x256x256x3 float32 in [0, 1] (centre square, area-resized)."""
    h, w = reference.shape[:2]
    side = min(h, w)
    top, left = (h - side) // 2, (w - side) // 2
    square = reference[top:top + side, left:left + side]
    resized = resize(square, STYLE_SIZE, STYLE_SIZE, AREA if side > STYLE_SIZE else CUBIC)
    return (resized.astype(np.float32) / 255.0)[None]


def content_input(rgb: np.ndarray) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    """HxWx3 uint8 -> (1x384x384x3 float32 in [0, 1], crop box (top, left, h, w) of the content)."""
    h, w = scale_to_fit(rgb.shape[0], rgb.shape[1], CONTENT_SIZE)
    resized = upscale(rgb, h, w)
    top, left = (CONTENT_SIZE - h) // 2, (CONTENT_SIZE - w) // 2
    # numpy's "reflect" mirrors without repeating the edge pixel (OpenCV's BORDER_REFLECT_101).
    padded = np.pad(resized, ((top, CONTENT_SIZE - h - top), (left, CONTENT_SIZE - w - left), (0, 0)), mode="reflect")
    return (padded.astype(np.float32) / 255.0)[None], (top, left, h, w)


def _style_vector_input(session: ort.InferenceSession) -> tuple[str, str]:
    """(content input name, style vector input name) of a transform session, told apart by shape."""
    inputs = session.get_inputs()
    if len(inputs) != 2:
        raise ValueError(f"a style transform model takes 2 inputs, this one takes {len(inputs)}")
    style = next((i for i in inputs if list(i.shape)[-1] == 100 and list(i.shape)[1:3] == [1, 1]), inputs[1])
    content = inputs[0] if style is inputs[1] else inputs[1]
    return content.name, style.name


class StyleTransfer:
    """predict + transform sessions; remembers the last reference's style vector."""

    def __init__(self, predict: ort.InferenceSession, transform: ort.InferenceSession):
        self.predict = predict
        self.transform = transform
        self._content_name, self._style_name = _style_vector_input(transform)
        self._cached: tuple[str, np.ndarray] | None = None

    def style_vector(self, reference: np.ndarray) -> np.ndarray:
        x = style_input(reference)
        key = hashlib.blake2b(x.tobytes(), digest_size=16).hexdigest()
        if self._cached is not None and self._cached[0] == key:
            return self._cached[1]
        vector = self.predict.run(None, {self.predict.get_inputs()[0].name: x})[0]
        self._cached = (key, vector)
        return vector

    def stylize(self, rgb: np.ndarray, reference: np.ndarray) -> np.ndarray:
        """HxWx3 uint8 content + reference -> stylized HxWx3 uint8 at the content's size."""
        vector = self.style_vector(reference)
        x, (top, left, h, w) = content_input(rgb)
        y = self.transform.run(None, {self._content_name: x, self._style_name: vector})[0][0]
        out = np.clip(y[top:top + h, left:left + w] * 255.0 + 0.5, 0, 255).astype(np.uint8)
        return upscale(out, rgb.shape[0], rgb.shape[1])
