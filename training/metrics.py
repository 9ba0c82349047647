"""Image-quality metrics of the evaluation table, in NumPy/OpenCV (no TensorFlow).

- ``ssim``: exactly tf.image.ssim as the paper used it (uint8 images, max_val 255, 11x11 Gaussian
  window with sigma 1.5, k1 0.01, k2 0.03, 'valid' filtering, mean over the map, then over the
  channels), so numbers are comparable with the paper's Table 1.
- ``delta_e2000`` / ``mean_delta_e2000``: the CIEDE2000 colour difference (Sharma, Wu & Dalal
  2005) on sRGB -> CIELAB (D65), vectorised.
- ``paper_whiteness``: how far a model moves blank paper away from white (mean CIEDE2000 to
  pure white over the pixels that are white paper in the ground truth).
- ``frechet_distance``: the distance between two Gaussians (FID's formula) with the matrix
  square root taken by symmetric eigen-decompositions (no scipy).
- ``region_bleed``: how much colour crosses the line art's boundaries, the share of the sketch's
  regions whose pixels span more than one hue (the regions come from the caller, e.g. the app's
  ganime_desktop/core/regions.py; this module stays free of it).

The feature extractors that feed ``frechet_distance`` need Keras: see ``training/fid.py``.
"""

from __future__ import annotations

import cv2
import numpy as np

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


def _gaussian_window(size: int, sigma: float) -> np.ndarray:
    # The same normalised separable window as tf.image.ssim's _fspecial_gauss.
    coords = np.arange(size, dtype=np.float64) - (size - 1) / 2.0
    g = np.exp(-0.5 * coords**2 / sigma**2)
    return g / g.sum()


def ssim(a: np.ndarray, b: np.ndarray, *, max_val: float = 255.0) -> float:
    """SSIM of two uint8 images (HxW or HxWxC), as tf.image.ssim(a, b, max_val=255) computes it."""
    a = _as_uint8_image(a, "first image").astype(np.float64)
    b = _as_uint8_image(b, "second image").astype(np.float64)
    if a.shape != b.shape:
        raise ValueError(f"images differ in shape: {a.shape} vs {b.shape}")
    h, w = a.shape[:2]
    size = SSIM_FILTER_SIZE
    if h < size or w < size:
        raise ValueError(f"SSIM needs images of at least {size}x{size} pixels, got {w}x{h}")
    g = _gaussian_window(size, SSIM_SIGMA)
    anchor = size // 2  # OpenCV's kernel anchor; output row i sees rows i - anchor ... i - anchor + size - 1

    def mean_filter(x: np.ndarray) -> np.ndarray:
        # 'valid' filtering: filter with any border, then drop the border the window overhangs.
        out = cv2.sepFilter2D(x, cv2.CV_64F, g, g, borderType=cv2.BORDER_REFLECT)
        if out.ndim == 2:
            out = out[:, :, None]
        return out[anchor:h - size + anchor + 1, anchor:w - size + anchor + 1]

    c1 = (SSIM_K1 * max_val) ** 2
    c2 = (SSIM_K2 * max_val) ** 2
    mu_a, mu_b = mean_filter(a), mean_filter(b)
    num0 = 2.0 * mu_a * mu_b
    den0 = mu_a**2 + mu_b**2
    luminance = (num0 + c1) / (den0 + c1)
    num1 = 2.0 * mean_filter(a * b)
    den1 = mean_filter(a * a + b * b)
    cs = (num1 - num0 + c2) / (den1 - den0 + c2)
    per_channel = (luminance * cs).mean(axis=(0, 1))
    return float(per_channel.mean())


# sRGB (D65) -> XYZ, IEC 61966-2-1; the reference white is the matrix's image of RGB white so that
# white maps to exactly a* = b* = 0.
_SRGB_TO_XYZ = np.array([[0.4124564, 0.3575761, 0.1804375],
                         [0.2126729, 0.7151522, 0.0721750],
                         [0.0193339, 0.1191920, 0.9503041]])
_WHITE_XYZ = _SRGB_TO_XYZ.sum(axis=1)


def srgb_to_lab(rgb: np.ndarray) -> np.ndarray:
    """uint8 RGB (...x3) -> CIELAB (...x3, float64; L in [0, 100]), D65, sRGB transfer curve."""
    rgb = np.asarray(rgb)
    if rgb.dtype != np.uint8 or rgb.shape[-1] != 3:
        raise ValueError(f"expected uint8 RGB with 3 channels last, got {rgb.dtype} {rgb.shape}")
    c = rgb.astype(np.float64) / 255.0
    linear = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    xyz = linear @ _SRGB_TO_XYZ.T / _WHITE_XYZ
    eps, kappa = 216.0 / 24389.0, 24389.0 / 27.0
    f = np.where(xyz > eps, np.cbrt(xyz), (kappa * xyz + 16.0) / 116.0)
    lab = np.empty_like(f)
    lab[..., 0] = 116.0 * f[..., 1] - 16.0
    lab[..., 1] = 500.0 * (f[..., 0] - f[..., 1])
    lab[..., 2] = 200.0 * (f[..., 1] - f[..., 2])
    return lab


def delta_e2000(lab1: np.ndarray, lab2: np.ndarray) -> np.ndarray:
    """CIEDE2000 between two broadcastable arrays of CIELAB colours (...x3); kL = kC = kH = 1."""
    lab1 = np.asarray(lab1, np.float64)
    lab2 = np.asarray(lab2, np.float64)
    L1, a1, b1 = lab1[..., 0], lab1[..., 1], lab1[..., 2]
    L2, a2, b2 = lab2[..., 0], lab2[..., 1], lab2[..., 2]

    c_mean = (np.hypot(a1, b1) + np.hypot(a2, b2)) / 2.0
    c7 = c_mean**7
    g = 0.5 * (1.0 - np.sqrt(c7 / (c7 + 25.0**7)))
    a1p, a2p = (1.0 + g) * a1, (1.0 + g) * a2
    c1p, c2p = np.hypot(a1p, b1), np.hypot(a2p, b2)
    # Hue angles in degrees [0, 360); 0 for achromatic colours (atan2(0, 0) is 0).
    h1p = np.degrees(np.arctan2(b1, a1p)) % 360.0
    h2p = np.degrees(np.arctan2(b2, a2p)) % 360.0

    chroma_prod = c1p * c2p
    achromatic = chroma_prod == 0
    dh = h2p - h1p
    dh = np.where(dh > 180.0, dh - 360.0, np.where(dh < -180.0, dh + 360.0, dh))
    dh = np.where(achromatic, 0.0, dh)
    dL = L2 - L1
    dC = c2p - c1p
    dH = 2.0 * np.sqrt(chroma_prod) * np.sin(np.radians(dh) / 2.0)

    L_mean = (L1 + L2) / 2.0
    cp_mean = (c1p + c2p) / 2.0
    h_sum = h1p + h2p
    h_mean = np.where(np.abs(h1p - h2p) <= 180.0, h_sum / 2.0,
                      np.where(h_sum < 360.0, (h_sum + 360.0) / 2.0, (h_sum - 360.0) / 2.0))
    h_mean = np.where(achromatic, h_sum, h_mean)

    t = (1.0 - 0.17 * np.cos(np.radians(h_mean - 30.0)) + 0.24 * np.cos(np.radians(2.0 * h_mean))
         + 0.32 * np.cos(np.radians(3.0 * h_mean + 6.0)) - 0.20 * np.cos(np.radians(4.0 * h_mean - 63.0)))
    d_theta = 30.0 * np.exp(-(((h_mean - 275.0) / 25.0) ** 2))
    cp7 = cp_mean**7
    r_c = 2.0 * np.sqrt(cp7 / (cp7 + 25.0**7))
    s_l = 1.0 + 0.015 * (L_mean - 50.0) ** 2 / np.sqrt(20.0 + (L_mean - 50.0) ** 2)
    s_c = 1.0 + 0.045 * cp_mean
    s_h = 1.0 + 0.015 * cp_mean * t
    r_t = -np.sin(np.radians(2.0 * d_theta)) * r_c
    term_l, term_c, term_h = dL / s_l, dC / s_c, dH / s_h
    return np.sqrt(np.maximum(term_l**2 + term_c**2 + term_h**2 + r_t * term_c * term_h, 0.0))


def mean_delta_e2000(pred: np.ndarray, truth: np.ndarray) -> float:
    """Mean CIEDE2000 over the pixels of two uint8 RGB images of the same shape."""
    if pred.shape != truth.shape:
        raise ValueError(f"images differ in shape: {pred.shape} vs {truth.shape}")
    return float(delta_e2000(srgb_to_lab(pred), srgb_to_lab(truth)).mean())


_WHITE_LAB = np.array([100.0, 0.0, 0.0])


def blank_paper(truth: np.ndarray, *, paper_delta_e: float = PAPER_DELTA_E) -> np.ndarray:
    """HxW bool: the truth's blank paper, pixels within ``paper_delta_e`` (CIEDE2000) of white."""
    return delta_e2000(srgb_to_lab(truth), _WHITE_LAB) <= paper_delta_e


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
    return float(delta_e2000(srgb_to_lab(pred)[paper], _WHITE_LAB).mean())


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


def _sqrt_psd(mat: np.ndarray) -> np.ndarray:
    """Square root of a symmetric positive semi-definite matrix (negative round-off clipped)."""
    vals, vecs = np.linalg.eigh((mat + mat.T) / 2.0)
    return (vecs * np.sqrt(np.clip(vals, 0.0, None))) @ vecs.T


def frechet_distance(mu1: np.ndarray, sigma1: np.ndarray, mu2: np.ndarray, sigma2: np.ndarray) -> float:
    """Fréchet distance between N(mu1, sigma1) and N(mu2, sigma2), the quantity FID reports.

    d^2 = |mu1 - mu2|^2 + tr(S1 + S2 - 2 (S1 S2)^(1/2)). tr((S1 S2)^(1/2)) equals
    tr((S1^(1/2) S2 S1^(1/2))^(1/2)), whose argument is symmetric PSD, so two eigh calls give it
    exactly where a general sqrtm would return complex round-off.
    """
    mu1, mu2 = np.asarray(mu1, np.float64), np.asarray(mu2, np.float64)
    sigma1, sigma2 = np.atleast_2d(sigma1).astype(np.float64), np.atleast_2d(sigma2).astype(np.float64)
    if mu1.shape != mu2.shape or sigma1.shape != sigma2.shape:
        raise ValueError(f"mismatched statistics: {mu1.shape}/{sigma1.shape} vs {mu2.shape}/{sigma2.shape}")
    root1 = _sqrt_psd(sigma1)
    inner = root1 @ sigma2 @ root1
    tr_covmean = float(np.sqrt(np.clip(np.linalg.eigvalsh((inner + inner.T) / 2.0), 0.0, None)).sum())
    diff = mu1 - mu2
    return float(diff @ diff + np.trace(sigma1) + np.trace(sigma2) - 2.0 * tr_covmean)


def gaussian_stats(features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and covariance (N - 1 normalised, as FID) of an N x D feature matrix."""
    features = np.asarray(features, np.float64)
    if features.ndim != 2 or features.shape[0] < 2:
        raise ValueError(f"need an N x D feature matrix with N >= 2, got shape {features.shape}")
    return features.mean(axis=0), np.cov(features, rowvar=False)


def frechet_distance_of_features(feats1: np.ndarray, feats2: np.ndarray) -> float:
    """Fréchet distance between the Gaussians fitted to two N x D feature sets."""
    return frechet_distance(*gaussian_stats(feats1), *gaussian_stats(feats2))
