"""Pix2Pix (Isola et al. 2017) with the GANime paper's total-variation loss.

G: U-Net, D: 70x70 PatchGAN on (sketch, colour). Loss:
  G: BCE(D(s, G(s)), 1) + lambda_l1 * |G(s) - y|_1 + lambda_tv * TV(G(s))   (TV optional: l1 | l2)
  D: BCE(D(s, y), 1) + BCE(D(s, G(s)), 0)
Adam 2e-4, beta1 0.5, beta2 0.999, eps 1e-7 (the paper's defaults).
"""

from __future__ import annotations

import argparse

import tensorflow as tf

from training.networks import build_patchgan_discriminator, build_unet_generator
from training.trainer import Approach, adam, bce_logits, l1, total_variation


class Pix2Pix(Approach):
    name = "pix2pix"
    description = "Pix2Pix C-GAN: U-Net + PatchGAN, adversarial + 100*L1, optional TV loss (paired data)"
    presets = {
        "paper": {"image_size": 256, "batch_size": 32, "epochs": 150, "ngf": 64, "ndf": 64},
        # Sized for 2 CPU cores: ~1 hour gives a model that visibly colours (see README).
        "cpu-quick": {"image_size": 128, "batch_size": 4, "epochs": 12, "ngf": 32, "ndf": 32,
                      "tv_loss": "l1", "upsample": "resize", "padding": "reflect",
                      "checkpoint_every": 250},
    }

    @classmethod
    def add_arguments(cls, parser: argparse.ArgumentParser) -> None:
        g = parser.add_argument_group("pix2pix")
        g.add_argument("--ngf", type=int, default=64, help="generator base width; 64 is the paper "
                       "(default: %(default)s)")
        g.add_argument("--ndf", type=int, default=64, help="discriminator base width (default: %(default)s)")
        g.add_argument("--norm", default="batch", choices=["batch", "instance"],
                       help="normalization layers (default: %(default)s)")
        g.add_argument("--upsample", default="transpose", choices=["transpose", "resize"],
                       help="decoder upsampling: transposed conv (paper) or resize + conv, which avoids "
                            "checkerboard artefacts (default: %(default)s)")
        g.add_argument("--padding", default="zero", choices=["zero", "reflect"],
                       help="convolution padding; reflect avoids a coloured frame at the edges "
                            "(default: %(default)s)")
        g.add_argument("--lambda-l1", type=float, default=100.0, help="L1 weight (default: %(default)s)")
        g.add_argument("--tv-loss", default="none", choices=["none", "l1", "l2"],
                       help="total-variation loss: anisotropic l1 or isotropic l2 (default: %(default)s)")
        g.add_argument("--lambda-tv", type=float, default=1e-4, help="TV weight (default: %(default)s)")
        g.add_argument("--lr", type=float, default=2e-4, help="generator learning rate (default: %(default)s)")
        g.add_argument("--d-lr", type=float, default=2e-4,
                       help="discriminator learning rate (default: %(default)s)")
        g.add_argument("--beta1", type=float, default=0.5, help="Adam beta1 (default: %(default)s)")
        g.add_argument("--beta2", type=float, default=0.999, help="Adam beta2 (default: %(default)s)")
        g.add_argument("--adam-epsilon", type=float, default=1e-7, help="Adam epsilon (default: %(default)s)")

    def build(self):
        c = self.cfg
        self.generator = build_unet_generator(c["image_size"], ngf=c["ngf"], norm=c["norm"],
                                              upsample=c["upsample"], padding=c["padding"])
        self.discriminator = build_patchgan_discriminator(in_channels=6, ndf=c["ndf"], norm=c["norm"])
        self.g_opt = adam(c["lr"], c["beta1"], c["beta2"], c["adam_epsilon"])
        self.d_opt = adam(c["d_lr"], c["beta1"], c["beta2"], c["adam_epsilon"])
        # Create the optimizer slots now so a checkpoint restores them instead of deferring.
        self.g_opt.build(self.generator.trainable_variables)
        self.d_opt.build(self.discriminator.trainable_variables)
        return {"generator": self.generator, "discriminator": self.discriminator,
                "generator_optimizer": self.g_opt, "discriminator_optimizer": self.d_opt}

    def train_step(self, sketch, color):
        c = self.cfg
        with tf.GradientTape(persistent=True) as tape:
            fake = self.generator(sketch, training=True)
            real_logits = self.discriminator(tf.concat([sketch, color], -1), training=True)
            fake_logits = self.discriminator(tf.concat([sketch, fake], -1), training=True)
            gan = bce_logits(fake_logits, 1.0)
            l1_term = l1(fake, color)
            g_total = gan + c["lambda_l1"] * l1_term
            losses = {"g_gan": self.average(gan), "g_l1": self.average(l1_term)}
            if c["tv_loss"] != "none":
                tv = total_variation(fake, c["tv_loss"])
                g_total += c["lambda_tv"] * tv
                losses["g_tv"] = self.average(tv)
            g_loss = self.average(g_total)
            d_loss = self.average(bce_logits(real_logits, 1.0) + bce_logits(fake_logits, 0.0))
        g_grads = tape.gradient(g_loss, self.generator.trainable_variables)
        d_grads = tape.gradient(d_loss, self.discriminator.trainable_variables)
        del tape
        self.g_opt.apply_gradients(zip(g_grads, self.generator.trainable_variables, strict=True))
        self.d_opt.apply_gradients(zip(d_grads, self.discriminator.trainable_variables, strict=True))
        return {"g_total": g_loss, **losses, "d": d_loss}

    def generate(self, sketch):
        return self.generator(sketch, training=False)

    def saved_models(self):
        return {"generator.keras": self.generator}
