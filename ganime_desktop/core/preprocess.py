"""Pixel plumbing around a model: sketch -> model input, sizes and padding, and putting the
full-resolution line art back over a colour prediction made at a smaller working size."""

from __future__ import annotations

import math

import numpy as np

from .colour import gray_to_rgb, lab_to_rgb, rgb8_to_lab, rgb_to_gray, rgb_to_lab
from .resize import AREA, CUBIC, resize


def as_rgb_uint8(image: np.ndarray) -> np.ndarray:
    """Accept HxW gray, HxWx3 RGB or HxWx4 RGBA (on white) uint8; return HxWx3 uint8 RGB."""
    if not isinstance(image, np.ndarray) or image.dtype != np.uint8:
        raise ValueError(f"expected a uint8 image array, got {getattr(image, 'dtype', type(image))}")
    if image.ndim == 2:
        return gray_to_rgb(image)
    if image.ndim != 3 or image.shape[2] not in (3, 4) or image.shape[0] == 0 or image.shape[1] == 0:
        raise ValueError(f"expected an HxW, HxWx3 or HxWx4 image, got shape {image.shape}")
    if image.shape[2] == 4:
        alpha = image[:, :, 3:].astype(np.float32) / 255.0
        on_white = image[:, :, :3].astype(np.float32) * alpha + 255.0 * (1.0 - alpha)
        return np.clip(on_white + 0.5, 0, 255).astype(np.uint8)
    return image


def to_gray(rgb: np.ndarray) -> np.ndarray:
    """HxWx3 uint8 RGB -> HxW uint8 gray (the sketch's luminance; colour in a sketch is ignored)."""
    return rgb_to_gray(rgb)


def scale_to_fit(height: int, width: int, longer_side: int) -> tuple[int, int]:
    """(h, w) with the longer side ``longer_side`` and the aspect kept (each side at least 1)."""
    scale = longer_side / max(height, width)
    return max(1, round(height * scale)), max(1, round(width * scale))


def round_up(value: int, multiple: int) -> int:
    return int(math.ceil(value / multiple) * multiple)


def gray_to_model_input(gray: np.ndarray, value_range: tuple[float, float], size_multiple: int) -> np.ndarray:
    """HxW uint8 -> 1xH'xW'x3 float32 in ``value_range``, padded with white (paper) at the right
    and bottom to multiples of ``size_multiple``."""
    h, w = gray.shape
    ph, pw = round_up(h, size_multiple), round_up(w, size_multiple)
    if (ph, pw) != (h, w):
        gray = np.pad(gray, ((0, ph - h), (0, pw - w)), constant_values=255)
    low, high = value_range
    x = gray.astype(np.float32) * ((high - low) / 255.0) + low
    return np.repeat(x[None, :, :, None], 3, axis=3)


def model_output_to_rgb(y: np.ndarray, value_range: tuple[float, float]) -> np.ndarray:
    """HxWx3 float32 in ``value_range`` -> HxWx3 uint8 RGB (any leading dimensions too)."""
    low, high = value_range
    scaled = (np.asarray(y).astype(np.float32) - low) * (255.0 / (high - low))
    return np.clip(scaled + 0.5, 0, 255).astype(np.uint8)


def to_uint8(y: np.ndarray) -> np.ndarray:
    """A generator's tanh output in [-1, 1] (any shape) -> uint8, rounded as the app shows and saves it.
    Training, evaluation and export use this one rule (``model_output_to_rgb``)."""
    return model_output_to_rgb(y, (-1.0, 1.0))


# uint8 gray level -> CIE L (0..100); a gray pixel is R = G = B.
GRAY_TO_L = rgb_to_lab(gray_to_rgb(np.arange(256, dtype=np.float32)[None] / 255.0))[0, :, 0]


def merge_line_art(colour: np.ndarray, gray: np.ndarray) -> np.ndarray:
    """Lay the full-resolution line art over a colour image of the same size (both uint8).

    Lab: L = min(colour's L, sketch's L) so every line is at least as dark as drawn, and the
    chroma shrinks with the darkening so lines come out black rather than oversaturated; paper
    and flat areas keep the colour exactly.
    """
    out = colour.copy()
    flat = out.reshape(-1, 3)
    # Lightness never exceeds that of the gray max(R, G, B), so only pixels where the sketch is
    # darker than the colour's brightest channel can change: the lines, a few % of a page. Only
    # those go through Lab (a whole A4 page there and back costs ~150 ms).
    brightest = np.maximum(np.maximum(colour[:, :, 0], colour[:, :, 1]), colour[:, :, 2]).reshape(-1)
    where = np.flatnonzero(gray.reshape(-1) < brightest)
    if where.size == 0:
        return out
    lab = rgb8_to_lab(flat[where])
    sketch_l = GRAY_TO_L[gray.reshape(-1)[where]]
    darker = sketch_l < lab[:, 0]
    px = lab[darker]
    new_l = sketch_l[darker]
    px[:, 1:] *= (new_l / np.maximum(px[:, 0], 1e-3))[:, None]
    px[:, 0] = new_l
    flat[where[darker]] = np.clip(lab_to_rgb(px) * 255.0 + 0.5, 0, 255).astype(np.uint8)
    return out


MAX_LINE_GAIN = 4.0  # how much a pixel may brighten when a blurred low-resolution line is taken off


def multiply_line_art(colour: np.ndarray, gray: np.ndarray, seen: np.ndarray) -> np.ndarray:
    """Swap the blurred line art a prediction was made from for the crisp full-resolution one.

    ``colour`` is the model's prediction upscaled to full size, ``seen`` the sketch it was given,
    upscaled the same way, ``gray`` the full-resolution sketch. Line art on colour is a multiply
    layer (how manga is coloured), so colour * gray / seen divides the soft upscaled lines out of
    the prediction and multiplies the sharp ones in: no dark halo where the small lines were
    blown up, black where the real lines are. Pixels where gray == seen are left as they are.
    """
    out = colour.copy()
    flat_out, g, s = out.reshape(-1, 3), gray.reshape(-1), seen.reshape(-1)
    where = np.flatnonzero(g != s)  # paper and flat fills match exactly: only the line zones change
    if where.size:
        gain = (g[where].astype(np.float32) + 1.0) / (s[where].astype(np.float32) + 1.0)
        gain = np.minimum(gain, MAX_LINE_GAIN)
        flat_out[where] = np.clip(flat_out[where].astype(np.float32) * gain[:, None] + 0.5, 0, 255).astype(np.uint8)
    return out


def upscale(rgb: np.ndarray, height: int, width: int) -> np.ndarray:
    """Resize a uint8 image to (height, width): bicubic up, area down."""
    if rgb.shape[:2] == (height, width):
        return rgb
    shrinking = height < rgb.shape[0] and width < rgb.shape[1]
    return resize(rgb, height, width, AREA if shrinking else CUBIC)


def downscale_gray(gray: np.ndarray, height: int, width: int) -> np.ndarray:
    """Shrink line art with area averaging (thin lines fade to gray instead of vanishing)."""
    if gray.shape == (height, width):
        return gray
    return resize(gray, height, width, AREA)
