"""Resizing numpy images with Pillow (the app ships without OpenCV).

AREA to shrink (each small pixel averages the page pixels under it, so thin lines fade to gray
instead of vanishing), CUBIC to enlarge, NEAREST where values must not blend (hint layers).
"""

from __future__ import annotations

import numpy as np
from PIL import Image

AREA = Image.Resampling.BOX  # Pillow's box filter widens with the scale: area averaging when shrinking
CUBIC = Image.Resampling.BICUBIC
NEAREST = Image.Resampling.NEAREST


def resize(image: np.ndarray, height: int, width: int, method: Image.Resampling) -> np.ndarray:
    """HxW or HxWxC uint8 or float32 -> a new array at (height, width), same dtype and channels.

    Channels are resized independently (Pillow would premultiply an RGBA image by its alpha).
    """
    if image.dtype not in (np.uint8, np.float32):
        raise ValueError(f"can resize uint8 or float32 images, not {image.dtype}")
    if image.ndim == 3 and image.dtype == np.uint8 and image.shape[2] == 3:  # RGB: one pass
        return np.array(Image.fromarray(image).resize((width, height), method))
    if image.ndim == 3:
        return np.stack([resize(image[:, :, c], height, width, method) for c in range(image.shape[2])], axis=2)
    return np.array(Image.fromarray(image).resize((width, height), method))  # mode L (uint8) or F (float32)
