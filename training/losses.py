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
