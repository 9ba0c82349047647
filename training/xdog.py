"""XDoG line extraction: synthesize a sketch from a colour image (Winnemoeller 2012, Ci et al. 2018).

D = G_sigma(I) - tau * G_(kappa*sigma)(I);  sketch = 1 where D >= eps, else 1 + tanh(phi * (D - eps)).
With phi = 1e9 the result is practically binary line art. NumPy/OpenCV only, so the exporter's
parity checks and tests can make sketches without TensorFlow.
"""

from __future__ import annotations

import hashlib

import cv2
import numpy as np

SIGMAS = (0.3, 0.4, 0.5)
TAU = 0.95
KAPPA = 4.5
PHI = 1e9
EPS = 0.0


def xdog(rgb: np.ndarray, sigma: float = 0.4, *, tau: float = TAU, kappa: float = KAPPA, phi: float = PHI,
         eps: float = EPS) -> np.ndarray:
    """HxWx3 (or HxW) uint8 -> HxW uint8 sketch, white paper 255, black lines 0."""
    gray = rgb if rgb.ndim == 2 else cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    img = gray.astype(np.float32) / 255.0
    g1 = cv2.GaussianBlur(img, (0, 0), sigmaX=sigma, borderType=cv2.BORDER_REPLICATE)
    g2 = cv2.GaussianBlur(img, (0, 0), sigmaX=sigma * kappa, borderType=cv2.BORDER_REPLICATE)
    d = g1 - tau * g2
    with np.errstate(over="ignore"):
        out = np.where(d >= eps, 1.0, 1.0 + np.tanh(phi * (d - eps)))
    return np.clip(out * 255.0 + 0.5, 0, 255).astype(np.uint8)


def sigma_for(key: str, seed: int) -> float:
    """The per-image sigma drawn from SIGMAS: deterministic for an image key and a seed."""
    digest = hashlib.sha256(f"{seed}:{key}".encode()).digest()
    return SIGMAS[digest[0] % len(SIGMAS)]


def sketch_for(rgb: np.ndarray, key: str, seed: int) -> np.ndarray:
    """The training sketch of one colour image: XDoG with its deterministic sigma."""
    return xdog(rgb, sigma_for(key, seed))
