"""SSIM (against tf.image.ssim), CIEDE2000 (against Sharma et al. 2005), paper whiteness, Fréchet distance."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from training import metrics
from training.nst import sketch_rgb
from training.xdog import sketch_for

# Sharma, Wu & Dalal (2005), "The CIEDE2000 color-difference formula: implementation notes,
# supplementary test data, and mathematical observations", Table 1: (Lab1, Lab2, dE00).
SHARMA = [
    ((50.0000, 2.6772, -79.7751), (50.0000, 0.0000, -82.7485), 2.0425),
    ((50.0000, 3.1571, -77.2803), (50.0000, 0.0000, -82.7485), 2.8615),
    ((50.0000, 2.8361, -74.0200), (50.0000, 0.0000, -82.7485), 3.4412),
    ((50.0000, -1.3802, -84.2814), (50.0000, 0.0000, -82.7485), 1.0000),
    ((50.0000, -1.1848, -84.8006), (50.0000, 0.0000, -82.7485), 1.0000),
    ((50.0000, -0.9009, -85.5211), (50.0000, 0.0000, -82.7485), 1.0000),
    ((50.0000, 0.0000, 0.0000), (50.0000, -1.0000, 2.0000), 2.3669),
    ((50.0000, -1.0000, 2.0000), (50.0000, 0.0000, 0.0000), 2.3669),
    ((50.0000, 2.4900, -0.0010), (50.0000, -2.4900, 0.0009), 7.1792),
    ((50.0000, 2.4900, -0.0010), (50.0000, -2.4900, 0.0010), 7.1792),
    ((50.0000, 2.4900, -0.0010), (50.0000, -2.4900, 0.0011), 7.2195),
    ((50.0000, 2.4900, -0.0010), (50.0000, -2.4900, 0.0012), 7.2195),
    ((50.0000, -0.0010, 2.4900), (50.0000, 0.0009, -2.4900), 4.8045),
    ((50.0000, -0.0010, 2.4900), (50.0000, 0.0010, -2.4900), 4.8045),
    ((50.0000, -0.0010, 2.4900), (50.0000, 0.0011, -2.4900), 4.7461),
    ((50.0000, -0.0010, 2.4900), (50.0000, 0.0012, -2.4900), 4.7461),
    ((50.0000, 2.5000, 0.0000), (50.0000, 0.0000, -2.5000), 4.3065),
    ((50.0000, 2.5000, 0.0000), (73.0000, 25.0000, -18.0000), 27.1492),
    ((50.0000, 2.5000, 0.0000), (61.0000, -5.0000, 29.0000), 22.8977),
    ((50.0000, 2.5000, 0.0000), (56.0000, -27.0000, -3.0000), 31.9030),
    ((50.0000, 2.5000, 0.0000), (58.0000, 24.0000, 15.0000), 19.4535),
    ((50.0000, 2.5000, 0.0000), (50.0000, 3.1736, 0.5854), 1.0000),
    ((50.0000, 2.5000, 0.0000), (50.0000, 3.2972, 0.0000), 1.0000),
    ((50.0000, 2.5000, 0.0000), (50.0000, 1.8634, 0.5757), 1.0000),
    ((50.0000, 2.5000, 0.0000), (50.0000, 3.2592, 0.3350), 1.0000),
    ((60.2574, -34.0099, 36.2677), (60.4626, -34.1751, 39.4387), 1.2644),
    ((63.0109, -31.0961, -5.8663), (62.8187, -29.7946, -4.0864), 1.2630),
    ((61.2901, 3.7196, -5.3901), (61.4292, 2.2480, -4.9620), 1.8731),
    ((35.0831, -44.1164, 3.7933), (35.0232, -40.0716, 1.5901), 1.8645),
    ((22.7233, 20.0904, -46.6940), (23.0331, 14.9730, -42.5619), 2.0373),
    ((36.4612, 47.8580, 18.3852), (36.2715, 50.5065, 21.2231), 1.4146),
    ((90.8027, -2.0831, 1.4410), (91.1528, -1.6435, 0.0447), 1.4441),
    ((90.9257, -0.5406, -0.9208), (88.6381, -0.8985, -0.7239), 1.5381),
    ((6.7747, -0.2908, -2.4247), (5.8714, -0.0985, -2.2286), 0.6377),
    ((2.0776, 0.0795, -1.1350), (0.9033, -0.0636, -0.5514), 0.9082),
]


def _face(faces_dir, name: str) -> np.ndarray:
    return cv2.cvtColor(cv2.imread(str(faces_dir / "test" / name)), cv2.COLOR_BGR2RGB)


def test_ssim_matches_tf_image_ssim_on_real_images(faces_dir):
    import tensorflow as tf

    a, b = _face(faces_dir, "0000.jpg"), _face(faces_dir, "0001.jpg")
    sketch = sketch_rgb(sketch_for(a, "k", 0))
    gray = np.random.default_rng(0).integers(0, 256, (40, 23, 1), dtype=np.uint8)
    noisy = np.clip(gray + np.random.default_rng(1).normal(0, 20, gray.shape), 0, 255).astype(np.uint8)
    for x, y in [(a, b), (a, sketch), (gray, noisy)]:
        want = float(tf.image.ssim(tf.constant(x), tf.constant(y), max_val=255, filter_size=11,
                                   filter_sigma=1.5, k1=0.01, k2=0.03))
        assert metrics.ssim(x, y) == pytest.approx(want, abs=2e-4)  # TF computes in float32
    assert metrics.ssim(a, a) == 1.0


def test_ssim_refuses_float_and_tiny_images():
    with pytest.raises(ValueError, match="uint8"):
        metrics.ssim(np.zeros((16, 16, 3)), np.zeros((16, 16, 3)))
    with pytest.raises(ValueError, match="at least 11x11"):
        metrics.ssim(np.zeros((10, 16, 3), np.uint8), np.zeros((10, 16, 3), np.uint8))


def test_ciede2000_reproduces_sharma_test_data_and_is_symmetric():
    lab1 = np.array([p[0] for p in SHARMA])
    lab2 = np.array([p[1] for p in SHARMA])
    want = np.array([p[2] for p in SHARMA])
    got = metrics.delta_e2000(lab1, lab2)
    np.testing.assert_allclose(got, want, atol=1e-4)
    np.testing.assert_allclose(metrics.delta_e2000(lab2, lab1), got, atol=1e-12)
    assert float(metrics.delta_e2000(lab1[0], lab1[0])) == 0.0


def test_srgb_to_lab_of_known_colours():
    rgb = np.array([[255, 0, 0], [0, 255, 0], [0, 0, 255], [255, 255, 255], [0, 0, 0]], np.uint8)
    want = [[53.24, 80.09, 67.20], [87.73, -86.18, 83.18], [32.30, 79.19, -107.86], [100, 0, 0], [0, 0, 0]]
    np.testing.assert_allclose(metrics.srgb_to_lab(rgb), want, atol=0.01)


def test_mean_delta_e_of_images(faces_dir):
    a = _face(faces_dir, "0002.jpg")
    assert metrics.mean_delta_e2000(a, a) == 0.0
    red = np.full((8, 8, 3), (200, 30, 30), np.uint8)
    blue = np.full((8, 8, 3), (30, 30, 200), np.uint8)
    one = float(metrics.delta_e2000(metrics.srgb_to_lab(red[0, 0]), metrics.srgb_to_lab(blue[0, 0])))
    assert metrics.mean_delta_e2000(red, blue) == pytest.approx(one)
    assert one > 40


def test_paper_whiteness_measures_fog_on_blank_paper_only():
    truth = np.full((32, 32, 3), 255, np.uint8)
    truth[8:24, 8:24] = (180, 60, 40)  # a coloured figure on white paper
    assert metrics.paper_whiteness(truth, truth) == 0.0
    fogged = truth.copy()
    fogged[truth.min(axis=2) == 255] = (240, 235, 190)  # yellow-green fog over the paper only
    fog = float(metrics.from_white(metrics.srgb_to_lab(np.array([240, 235, 190], np.uint8))))
    assert metrics.paper_whiteness(fogged, truth) == pytest.approx(fog)
    recoloured = truth.copy()
    recoloured[8:24, 8:24] = (0, 0, 255)  # the figure's colour does not count
    assert metrics.paper_whiteness(recoloured, truth) == 0.0
    assert np.isnan(metrics.paper_whiteness(truth, np.zeros_like(truth)))


def test_frechet_distance_known_cases():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(6, 6))
    s1 = a @ a.T + np.eye(6)
    mu = rng.normal(size=6)
    assert metrics.frechet_distance(mu, s1, mu, s1) == pytest.approx(0.0, abs=1e-8)
    shift = np.arange(6.0)
    assert metrics.frechet_distance(mu, s1, mu + shift, s1) == pytest.approx(shift @ shift, rel=1e-9)
    # diagonal covariances: tr(S1 + S2 - 2 sqrt(S1 S2)) = sum (sigma1 - sigma2)^2
    d1, d2 = np.array([1.0, 4.0, 9.0]), np.array([4.0, 1.0, 9.0])
    assert metrics.frechet_distance(np.zeros(3), np.diag(d1), np.zeros(3), np.diag(d2)) == pytest.approx(2.0)
    # general case against the eigenvalues of the (non-symmetric) product S1 S2
    b = rng.normal(size=(6, 6))
    s2 = b @ b.T + 0.5 * np.eye(6)
    tr_sqrt = np.sqrt(np.linalg.eigvals(s1 @ s2).real).sum()
    want = np.trace(s1) + np.trace(s2) - 2 * tr_sqrt
    assert metrics.frechet_distance(mu, s1, mu, s2) == pytest.approx(want, rel=1e-8)


def test_frechet_distance_of_features_and_rank_deficient_covariances():
    rng = np.random.default_rng(1)
    feats = rng.normal(size=(10, 32))  # fewer samples than dimensions, as 100 test images with 512-d features
    assert metrics.frechet_distance_of_features(feats, feats) == pytest.approx(0.0, abs=1e-5)  # trace ~ 32
    moved = feats + 3.0
    assert metrics.frechet_distance_of_features(feats, moved) == pytest.approx(32 * 9.0, rel=1e-7)
    with pytest.raises(ValueError, match="N >= 2"):
        metrics.gaussian_stats(feats[:1])


def test_checkerboard_ratio_sees_the_period_two_pattern_of_transposed_convolutions(faces_dir):
    truth = _face(faces_dir, "0002.jpg")
    assert metrics.checkerboard_ratio(truth, truth) == pytest.approx(1.0)
    yy, xx = np.mgrid[: truth.shape[0], : truth.shape[1]]
    checker = np.where((yy + xx) % 2 == 0, 6, -6)[..., None]  # ±6 levels, barely visible
    patterned = np.clip(truth.astype(int) + checker, 0, 255).astype(np.uint8)
    blurred = cv2.GaussianBlur(truth, (5, 5), 1.5)
    assert metrics.checkerboard_ratio(patterned, truth) > 2.0
    assert metrics.checkerboard_ratio(blurred, truth) < 0.7  # smooth colouring: less than the art


def test_edge_frame_delta_e_is_positive_only_for_a_frame():
    truth = np.full((64, 64, 3), 200, np.uint8)
    assert metrics.edge_frame_delta_e(truth, truth) == 0.0
    framed = truth.copy()
    framed[:2], framed[-2:], framed[:, :2], framed[:, -2:] = (255, 0, 255), (255, 0, 255), (255, 0, 255), (255, 0, 255)
    assert metrics.edge_frame_delta_e(framed, truth) > 10  # a 2 px frame in the 4 px ring
    tinted = np.full_like(truth, (220, 180, 180))  # wrong everywhere alike: no frame
    assert abs(metrics.edge_frame_delta_e(tinted, truth)) < 1e-6


def test_white_paper_scores_zero_and_blank_paper_is_judged_against_cie_white():
    page = np.full((4, 4, 3), 255, np.uint8)
    page[0, 0] = (244, 244, 244)  # L* 95.9: within 3 of white
    page[0, 1] = (230, 230, 230)  # L* 91.0: not blank paper
    assert float(metrics.from_white(metrics.srgb_to_lab(page[1, 1]))) == 0.0
    assert metrics.blank_paper(page).sum() == 15 and not metrics.blank_paper(page)[0, 1]
    np.testing.assert_allclose(metrics.blank_paper_of_lab(metrics.srgb_to_lab(page)), metrics.blank_paper(page))
