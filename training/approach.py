"""The approach interface every GAN approach implements, independent of the Keras backend.

An approach subclasses ``Approach`` (the shape of junyanz/pytorch-CycleGAN-and-pix2pix's
BaseModel): it adds its own flags, builds its networks and optimizers, defines its loss terms with
``keras.ops`` (training/losses.py) and, for TensorFlow, one per-replica ``train_step``. The
backend's trainer runs the rest: training/trainer.py (TensorFlow) or training/jax_trainer.py.
"""

from __future__ import annotations

import argparse
from typing import Any

import keras

from training import losses
from training.architecture import Adam


class Approach:
    """One trainable approach. Subclasses set ``name`` and implement the hooks."""

    name = "base"
    description = ""
    presets: dict[str, dict[str, Any]] = {}
    # Backends with a train step for this approach (training/jax_trainer.py has Pix2Pix's).
    backends: tuple[str, ...] = ("tensorflow",)

    @classmethod
    def add_arguments(cls, parser: argparse.ArgumentParser) -> None:
        """Approach-specific flags (called after the common ones)."""

    def __init__(self, cfg: dict[str, Any], strategy=None):
        self.cfg = cfg
        self.strategy = strategy  # a tf.distribute.Strategy on TensorFlow, None on JAX
        self.global_batch = cfg["batch_size"]

    def build(self) -> dict[str, Any]:
        """Create networks and optimizers (inside the strategy scope); return the trackables to
        checkpoint, by name."""
        raise NotImplementedError

    def train_step(self, sketch, color) -> dict[str, Any]:
        """TensorFlow: one per-replica step; returns the replica's loss terms (already averaged with
        ``self.average``), summed across replicas by ``fit``."""
        raise NotImplementedError

    def generate(self, sketch):
        """Sketch -> colour in inference mode (training=False)."""
        raise NotImplementedError

    def saved_models(self) -> dict[str, keras.Model]:
        """Final models to save as .keras files: {'generator.keras': G, ...}."""
        raise NotImplementedError

    def make_datasets(self, sources, loader, cfg):
        """TensorFlow: training batches of (sketch, colour) as a tf.data.Dataset; CycleGAN overrides
        it to unpair the sides."""
        from training import pipeline
        from training.hints import hint_config

        return pipeline.make_dataset(
            sources, loader, image_size=cfg["image_size"], batch_size=self.global_batch, training=True,
            augment_cfg=augment_config(cfg), seed=cfg["seed"],
            cache_in_memory=pipeline.fits_in_memory(sources, cfg["load_size"]), repeat=True,
            hints=hint_config(cfg))

    def average(self, per_example):
        return losses.average(per_example, self.global_batch)


def augment_config(cfg: dict[str, Any]):
    from training.augment import AugmentConfig

    return AugmentConfig(max_zoom=cfg["max_zoom"], paper_prob=cfg["paper_prob"], darkness_min=cfg["darkness_min"],
                         paper_scale=tuple(cfg.get("paper_scale", AugmentConfig.paper_scale)))


def adam(lr: float, beta_1: float = Adam.beta1, beta_2: float = Adam.beta2,
         epsilon: float = Adam.adam_epsilon) -> keras.optimizers.Adam:
    return keras.optimizers.Adam(learning_rate=lr, beta_1=beta_1, beta_2=beta_2, epsilon=epsilon)
