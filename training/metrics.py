"""Image-quality metrics of the evaluation table, from the field's libraries.

- ``ssim``: tf.image.ssim, the call of the paper's reference code, with the paper's settings (uint8
  images, max_val 255, 11x11 Gaussian window with sigma 1.5, k1 0.01, k2 0.03), so numbers are
  comparable with the paper's Table 1.
- ``srgb_to_lab`` / ``delta_e2000`` / ``mean_delta_e2000``: scikit-image's sRGB -> CIELAB (D65, 2°
  observer) and CIEDE2000 (Sharma, Wu & Dalal 2005; kL = kC = kH = 1).
- ``paper_whiteness``: how far a model moves blank paper away from white (mean CIEDE2000 to
  pure white over the pixels that are white paper in the ground truth).
- ``frechet_distance``: the distance between two Gaussians (FID's formula), the matrix square root
  by scipy.linalg.sqrtm as the reference FID implementations take it.
- ``region_bleed``: how much colour crosses the line art's boundaries, the share of the sketch's
  regions whose pixels span more than one hue (the regions come from the caller, e.g. the app's
  ganime_desktop/core/regions.py; this module stays free of it).

The app keeps its own small NumPy colour code (ganime_desktop/core/colour.py: no scikit-image in
its bundle). The feature extractors that feed ``frechet_distance`` need Keras: see ``training/fid.py``.
"""

from __future__ import annotations

import warnings

import cv2
import numpy as np
from scipy import linalg
from skimage.color import deltaE_ciede2000, rgb2lab

SSIM_FILTER_SIZE = 11
SSIM_SIGMA = 1.5
SSIM_K1 = 0.01
SSIM_K2 = 0.03

# Truth pixels this close to white (CIEDE2000) count as blank paper for ``paper_whiteness``:
# about the smallest difference an observer notices side by side on a screen.
PAPER_DELTA_E = 3.0


def _as_uint8_image(img: np.ndarray, name: str) -> np.ndarray:
    img = np.asarray(img)
    if img.dtype != np.uint8:
        raise ValueError(f"{name} must be uint8 (0..255), got {img.dtype}")
    if img.ndim == 2:
        img = img[:, :, None]
    if img.ndim != 3:
        raise ValueError(f"{name} must be HxW or HxWxC, got shape {img.shape}")
    return img


def ssim(a: np.ndarray, b: np.ndarray, *, max_val: float = 255.0) -> float:
    """SSIM of two uint8 images (HxW or HxWxC): tf.image.ssim(a, b, max_val=255) with the paper's
    window (the mean over the map, then over the channels)."""
    import tensorflow as tf

    a = _as_uint8_image(a, "first image")
    b = _as_uint8_image(b, "second image")
    if a.shape != b.shape:
        raise ValueError(f"images differ in shape: {a.shape} vs {b.shape}")
    h, w = a.shape[:2]
    if h < SSIM_FILTER_SIZE or w < SSIM_FILTER_SIZE:
        raise ValueError(f"SSIM needs images of at least {SSIM_FILTER_SIZE}x{SSIM_FILTER_SIZE} pixels, got {w}x{h}")
    return float(tf.image.ssim(tf.constant(a), tf.constant(b), max_val=max_val, filter_size=SSIM_FILTER_SIZE,
                               filter_sigma=SSIM_SIGMA, k1=SSIM_K1, k2=SSIM_K2))


def srgb_to_lab(rgb: np.ndarray) -> np.ndarray:
    """uint8 RGB (...x3) -> CIELAB (...x3, float64; L in [0, 100]): skimage.color.rgb2lab, D65."""
    rgb = np.asarray(rgb)
    if rgb.dtype != np.uint8 or rgb.shape[-1] != 3:
        raise ValueError(f"expected uint8 RGB with 3 channels last, got {rgb.dtype} {rgb.shape}")
    return rgb2lab(rgb)


def delta_e2000(lab1: np.ndarray, lab2: np.ndarray) -> np.ndarray:
    """CIEDE2000 between two broadcastable arrays of CIELAB colours (...x3): skimage.color.deltaE_ciede2000."""
    lab1, lab2 = np.broadcast_arrays(np.asarray(lab1, np.float64), np.asarray(lab2, np.float64))
    return deltaE_ciede2000(lab1, lab2)


def mean_delta_e2000(pred: np.ndarray, truth: np.ndarray) -> float:
    """Mean CIEDE2000 over the pixels of two uint8 RGB images of the same shape."""
    if pred.shape != truth.shape:
        raise ValueError(f"images differ in shape: {pred.shape} vs {truth.shape}")
    return float(delta_e2000(srgb_to_lab(pred), srgb_to_lab(truth)).mean())


# Blank paper is judged against CIE white (L* 100, a* b* 0), a colouring's distance from white against
# sRGB white in the same conversion: scikit-image's sRGB matrix and its D65 white point differ in the
# fifth digit, so RGB white lands 0.006 from CIE white (L* 100, a* -0.0025, b* 0.0047). Pure white paper
# so scores exactly 0, and the blank-paper masks are the ones of the former hand-written conversion
# (pixel for pixel on every test image of anime-faces and anime-fullbody).
CIE_WHITE_LAB = np.array([100.0, 0.0, 0.0])
SRGB_WHITE_LAB = srgb_to_lab(np.array([255, 255, 255], np.uint8))


def blank_paper_of_lab(lab: np.ndarray, *, paper_delta_e: float = PAPER_DELTA_E) -> np.ndarray:
    """...xHxW bool: CIELAB colours within ``paper_delta_e`` (CIEDE2000) of white: blank paper."""
    return delta_e2000(lab, CIE_WHITE_LAB) <= paper_delta_e


def from_white(lab: np.ndarray) -> np.ndarray:
    """CIEDE2000 of CIELAB colours from white paper (sRGB white: 0 for RGB 255, 255, 255)."""
    return delta_e2000(lab, SRGB_WHITE_LAB)


def blank_paper(truth: np.ndarray, *, paper_delta_e: float = PAPER_DELTA_E) -> np.ndarray:
    """HxW bool: the truth's blank paper, pixels within ``paper_delta_e`` (CIEDE2000) of white."""
    return blank_paper_of_lab(srgb_to_lab(truth), paper_delta_e=paper_delta_e)


def paper_whiteness(pred: np.ndarray, truth: np.ndarray, *, paper_delta_e: float = PAPER_DELTA_E) -> float:
    """Mean CIEDE2000 from pure white of ``pred`` over the truth's blank-paper pixels.

    Blank paper = truth pixels within ``paper_delta_e`` of white. 0 means the model leaves paper
    white; a yellow fog over the background shows as a large value. NaN when the truth has no
    blank paper (a face crop filled edge to edge).
    """
    if pred.shape != truth.shape:
        raise ValueError(f"images differ in shape: {pred.shape} vs {truth.shape}")
    paper = blank_paper(truth, paper_delta_e=paper_delta_e)
    if not paper.any():
        return float("nan")
    return float(from_white(srgb_to_lab(pred)[paper]).mean())


# --------------------------------------------------------------------------- decoder artefacts

EDGE_RING = 4  # pixels: the width of the border ring where an "edge frame" would show


def checkerboard_ratio(pred: np.ndarray, truth: np.ndarray) -> float:
    """Period-2 checkerboard texture of ``pred`` relative to the truth's (> 1: more than the real art).

    The mean |response| of the CIELAB lightness to the 2x2 kernel [[1, -1], [-1, 1]], the pattern
    transposed convolutions leave (Odena et al. 2016, "Deconvolution and Checkerboard Artifacts").
    """
    def energy(img: np.ndarray) -> float:
        light = srgb_to_lab(img)[..., 0]
        response = light[:-1, :-1] - light[:-1, 1:] - light[1:, :-1] + light[1:, 1:]
        return float(np.abs(response).mean())

    return energy(pred) / max(energy(truth), 1e-6)


def edge_frame_delta_e(pred: np.ndarray, truth: np.ndarray, ring: int = EDGE_RING) -> float:
    """Mean ΔE2000 to the truth on the outer ``ring`` pixels minus that inside: > 0 when the image
    edges are worse than the rest (a coloured frame, as zero padding can leave)."""
    if pred.shape != truth.shape:
        raise ValueError(f"images differ in shape: {pred.shape} vs {truth.shape}")
    error = delta_e2000(srgb_to_lab(pred), srgb_to_lab(truth))
    inside = np.zeros(error.shape, bool)
    inside[ring:-ring, ring:-ring] = True
    return float(error[~inside].mean() - error[inside].mean())


# --------------------------------------------------------------------------- colour across lines

# A pixel's hue class for ``region_bleed`` (HSV on the sRGB values: hue and saturation do not
# change when a gray multiply layer or the line art scales a colour, so a flat colour under the
# app's shading or lines keeps its class):
BLEED_MIN_VALUE = 48  # pixels darker than this (HSV value, 0-255) are not judged: their hue is noise
BLEED_MIN_SATURATION = 0.12  # below: "neutral" (white, grey, black paper and ink), one class of its own
BLEED_HUE_BINS = 24  # chromatic pixels: hue in 24 bins of 15 degrees
BLEED_HUE_WINDOW = 1  # one hue = a window of the dominant bin and this many bins each side (45 degrees)
BLEED_SHARE = 0.10  # a region spans more than one hue when over this share of its pixels lie outside it
BLEED_MIN_PIXELS = 16  # regions with fewer judged pixels are not counted


def hue_classes(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(HxW int class, HxW bool judged) of a uint8 RGB image for ``region_bleed``: class 0 is
    neutral (HSV saturation < BLEED_MIN_SATURATION), 1..BLEED_HUE_BINS the hue bins; judged =
    HSV value >= BLEED_MIN_VALUE."""
    rgb = _as_uint8_image(rgb, "image")
    if rgb.shape[2] != 3:
        raise ValueError(f"expected RGB, got {rgb.shape[2]} channels")
    hsv = cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2HSV_FULL)  # H, S, V in 0-255
    hue = (hsv[..., 0].astype(np.int32) * BLEED_HUE_BINS) >> 8
    neutral = hsv[..., 1] < BLEED_MIN_SATURATION * 255.0
    return np.where(neutral, 0, hue + 1), hsv[..., 2] >= BLEED_MIN_VALUE


def region_bleed(rgb: np.ndarray, labels: np.ndarray, exclude: np.ndarray | None = None) -> dict[str, float]:
    """How much colour crosses the line art: the share of regions whose pixels span more than one hue.

    ``labels``: HxW int, the sketch's closed regions 0..count-1 (the app's segmentation);
    ``exclude``: HxW bool pixels not judged (the line art's own pixels). Each remaining pixel with
    HSV value >= BLEED_MIN_VALUE gets a class (``hue_classes``): neutral, or one of 24 hue bins of
    15 degrees. A region's dominant hue is the most populated of: the neutral class, or a window of
    3 adjacent hue bins (45 degrees, so a colour on a bin edge is still one hue). A region **bleeds**
    when more than BLEED_SHARE (10 %) of its judged pixels lie outside its dominant hue: a second
    colour came into it across its lines, or one colour washes over several regions unevenly.
    Regions with fewer than BLEED_MIN_PIXELS judged pixels are not counted.

    Returns ``share`` (bleeding regions / counted regions; NaN when none is counted),
    ``area_share`` (their judged pixels / all judged pixels of counted regions), ``regions``
    (counted) and ``bleeding``. A flat fill, and a flat fill under a gray multiply layer, give 0.
    """
    classes, judged = hue_classes(rgb)
    labels = np.asarray(labels)
    if labels.shape != classes.shape:
        raise ValueError(f"labels {labels.shape} do not match the image {classes.shape}")
    if exclude is not None:
        judged &= ~np.asarray(exclude, bool)
    count = int(labels.max()) + 1 if labels.size else 0
    n_classes = BLEED_HUE_BINS + 1
    hist = np.bincount(labels[judged].astype(np.int64) * n_classes + classes[judged],
                       minlength=count * n_classes).reshape(count, n_classes)
    hue = hist[:, 1:]
    window = sum(np.roll(hue, shift, axis=1) for shift in range(-BLEED_HUE_WINDOW, BLEED_HUE_WINDOW + 1))
    dominant = np.maximum(hist[:, 0], window.max(axis=1))
    total = hist.sum(axis=1)
    counted = total >= BLEED_MIN_PIXELS
    bleeding = counted & (dominant < (1.0 - BLEED_SHARE) * total)
    n = int(counted.sum())
    return {"share": float(bleeding.sum() / n) if n else float("nan"),
            "area_share": float(total[bleeding].sum() / total[counted].sum()) if n else float("nan"),
            "regions": n, "bleeding": int(bleeding.sum())}


def frechet_distance(mu1: np.ndarray, sigma1: np.ndarray, mu2: np.ndarray, sigma2: np.ndarray,
                     eps: float = 1e-6) -> float:
    """Fréchet distance between N(mu1, sigma1) and N(mu2, sigma2), the quantity FID reports:
    d^2 = |mu1 - mu2|^2 + tr(S1 + S2 - 2 (S1 S2)^(1/2)), the square root by scipy.linalg.sqrtm.

    As the reference FID code: when the product is too singular for a finite root, ``eps`` is added to
    both diagonals; the root's imaginary part (round-off of the product's zero eigenvalues, which few
    images and many features give) is dropped.
    """
    mu1, mu2 = np.asarray(mu1, np.float64), np.asarray(mu2, np.float64)
    sigma1, sigma2 = np.atleast_2d(sigma1).astype(np.float64), np.atleast_2d(sigma2).astype(np.float64)
    if mu1.shape != mu2.shape or sigma1.shape != sigma2.shape:
        raise ValueError(f"mismatched statistics: {mu1.shape}/{sigma1.shape} vs {mu2.shape}/{sigma2.shape}")
    with warnings.catch_warnings():  # "singular matrix": expected with fewer images than features
        warnings.simplefilter("ignore", linalg.LinAlgWarning)
        covmean = linalg.sqrtm(sigma1 @ sigma2)
        if not np.isfinite(covmean).all():
            offset = np.eye(sigma1.shape[0]) * eps
            covmean = linalg.sqrtm((sigma1 + offset) @ (sigma2 + offset))
    diff = mu1 - mu2
    return float(diff @ diff + np.trace(sigma1) + np.trace(sigma2) - 2.0 * np.trace(covmean).real)


def gaussian_stats(features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and covariance (N - 1 normalised, as FID) of an N x D feature matrix."""
    features = np.asarray(features, np.float64)
    if features.ndim != 2 or features.shape[0] < 2:
        raise ValueError(f"need an N x D feature matrix with N >= 2, got shape {features.shape}")
    return features.mean(axis=0), np.cov(features, rowvar=False)


def frechet_distance_of_features(feats1: np.ndarray, feats2: np.ndarray) -> float:
    """Fréchet distance between the Gaussians fitted to two N x D feature sets."""
    return frechet_distance(*gaussian_stats(feats1), *gaussian_stats(feats2))
