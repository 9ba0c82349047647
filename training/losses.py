"""The GAN approaches' loss terms in backend-neutral Keras 3 (``keras.ops``): the same formulas run
inside the TensorFlow train step (a tf.function) and the JAX one (a jitted function).

Every function returns one value per example; the train steps average them over the global batch.
"""

from __future__ import annotations

from keras import ops


def _per_example(x):
    """[B, ...] -> [B, N]: each example's values in a row."""
    return ops.reshape(x, (ops.shape(x)[0], -1))


def per_example_mean(x):
    """Mean over every axis but the batch."""
    return ops.mean(_per_example(x), axis=1)


def bce_logits(logits, target: float):
    """Per-example binary cross-entropy from logits against a constant target (PatchGAN maps).

    max(x, 0) - x z + log(1 + exp(-|x|)): tf.nn.sigmoid_cross_entropy_with_logits' stable form.
    """
    elementwise = ops.relu(logits) - logits * target + ops.log1p(ops.exp(-ops.abs(logits)))
    return per_example_mean(elementwise)


def l1(a, b):
    return per_example_mean(ops.abs(a - b))


# sRGB (D65) -> XYZ, the matrix scikit-image's rgb2lab uses (training/metrics.py scores with it), rows
# divided by the D65 white so that white maps to (1, 1, 1).
_RGB_TO_XYZ_OVER_WHITE = (
    (0.412453 / 0.95047, 0.357580 / 0.95047, 0.180423 / 0.95047),
    (0.212671, 0.715160, 0.072169),
    (0.019334 / 1.08883, 0.119193 / 1.08883, 0.950227 / 1.08883),
)
LAB_SCALE = 50.0  # CIELAB units per model unit: L 0-100 spans 2, as the model's RGB range -1..1 does


def lab_of_model_rgb(x):
    """Model-range RGB ([..., 3] in -1..1, sRGB) -> CIELAB / LAB_SCALE, differentiable everywhere
    (the cube root's and the gamma's steep ends are clamped, so no gradient is inf or NaN)."""
    c = ops.clip((x + 1.0) * 0.5, 0.0, 1.0)
    linear = ops.where(c > 0.04045, ops.power(ops.maximum(c, 0.04045) + 0.055, 2.4) / (1.055 ** 2.4), c / 12.92)
    xyz = ops.einsum("...c,kc->...k", linear, ops.convert_to_tensor(_RGB_TO_XYZ_OVER_WHITE, dtype=x.dtype))
    delta = 6.0 / 29.0
    f = ops.where(xyz > delta ** 3, ops.power(ops.maximum(xyz, delta ** 3), 1.0 / 3.0),
                  xyz / (3.0 * delta * delta) + 4.0 / 29.0)
    fx, fy, fz = f[..., 0], f[..., 1], f[..., 2]
    lab = ops.stack([116.0 * fy - 16.0, 500.0 * (fx - fy), 200.0 * (fy - fz)], axis=-1)
    return lab / LAB_SCALE


L1_SPACES = ("rgb", "lab", "lab-weighted", "lab-distance")


def _ciede_tolerances(lab_target):
    """CIEDE2000's tolerances at the target's colours ([..., 3] CIELAB / LAB_SCALE, no gradient):
    S_L = 1 + 0.015 (L - 50)^2 / sqrt(20 + (L - 50)^2) for lightness, S_C = 1 + 0.045 C* for a* and
    b* (the hue's S_H lies between 1 and S_C; S_C stands for both)."""
    target = ops.stop_gradient(lab_target) * LAB_SCALE
    off_mid = ops.square(target[..., 0:1] - 50.0)
    s_l = 1.0 + 0.015 * off_mid / ops.sqrt(20.0 + off_mid)
    s_c = 1.0 + 0.045 * ops.sqrt(ops.square(target[..., 1:2]) + ops.square(target[..., 2:3]) + 1e-6)
    return ops.concatenate([s_l, s_c, s_c], axis=-1)


def colour_l1(a, b, space: str = "rgb"):
    """Per-example L1 from a model-range colouring ``a`` to its target ``b``: in RGB (Pix2Pix's) or
    in CIELAB, the space colourings are scored in (CIEDE2000), where an unsure part's best guess is
    its median lightness and colour rather than each RGB channel's median (a browner, more
    saturated mix of the candidates). ``lab-weighted``: each difference divided by CIEDE2000's
    tolerance at the target's colour (``_ciede_tolerances``), so errors count as the metric counts
    them, an error in a vivid or near-white part less; ``lab-distance``: the pixel's weighted
    distance itself (the metric's form, CIE94 with CIEDE2000's S_L), divided by 3 to keep the
    L1's scale."""
    if space == "rgb":
        return l1(a, b)
    lab_a, lab_b = lab_of_model_rgb(a), lab_of_model_rgb(b)
    if space == "lab":
        return l1(lab_a, lab_b)
    if space in ("lab-weighted", "lab-distance"):
        tolerance = _ciede_tolerances(lab_b)
        weighted = (lab_a - lab_b) / tolerance
        if space == "lab-weighted":
            return per_example_mean(ops.abs(weighted))
        # the square root's gradient stays finite at a perfect pixel (1e-8 is 5e-3 CIELAB units)
        return per_example_mean(ops.sqrt(ops.sum(ops.square(weighted), axis=-1) + 1e-8)) / 3.0
    raise ValueError(f"unknown colour space {space!r} for the L1 (one of {', '.join(L1_SPACES)})")


def masked_l1(a, b, mask):
    """Per-example mean |a - b| over the pixels where ``mask`` ([B, H, W, 1] in [0, 1]) is set: every
    masked region counts fully however small it is; an example without any mask adds 0."""
    weighted = ops.sum(_per_example(ops.abs(a - b) * mask), axis=1)
    return weighted / (ops.sum(_per_example(mask), axis=1) * ops.shape(a)[-1] + 1e-6)


def total_variation(images, kind: str):
    """Per-example total variation, summed over pixels like tf.image.total_variation.

    ``l1``: anisotropic, sum |dx| + |dy| (exactly tf.image.total_variation);
    ``l2``: isotropic, sum sqrt(dx^2 + dy^2).
    """
    if kind == "l1":
        dy = images[:, 1:, :, :] - images[:, :-1, :, :]
        dx = images[:, :, 1:, :] - images[:, :, :-1, :]
        return ops.sum(ops.abs(dy), axis=(1, 2, 3)) + ops.sum(ops.abs(dx), axis=(1, 2, 3))
    if kind == "l2":
        dy = images[:, 1:, :-1, :] - images[:, :-1, :-1, :]
        dx = images[:, :-1, 1:, :] - images[:, :-1, :-1, :]
        return ops.sum(ops.sqrt(dx * dx + dy * dy + 1e-8), axis=(1, 2, 3))
    raise ValueError(f"unknown TV loss {kind!r}")


def average(per_example, global_batch: int):
    """Sum over the replica's examples / the global batch: summed across replicas this is the mean
    (tf.nn.compute_average_loss' rule; with one replica, the plain mean)."""
    return ops.sum(per_example) / float(global_batch)
