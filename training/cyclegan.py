"""CycleGAN (Zhu et al. 2017) for sketches -> colour on unpaired data, as in the GANime paper.

G: sketch -> colour and F: colour -> sketch, U-Nets with instance norm; D_Y judges colour images,
D_X sketches (70x70 PatchGANs, 3 channels, instance norm). Losses, with lambda = 10:
  G: BCE(D_Y(G(x)), 1) + lambda (|F(G(x)) - x| + |G(F(y)) - y|) + 0.5 lambda |G(y) - y|
  F: BCE(D_X(F(y)), 1) + the same cycle term            + 0.5 lambda |F(x) - x|
  D_Y: 0.5 (BCE(D_Y(y), 1) + BCE(D_Y(G(x)), 0)), D_X likewise.
Adam 2e-4, beta1 0.5 for all four networks. (The paper's lambda_cyc is 10; the GANime reference
code's default of 1e-4 is a bug.)

Data: ``trainA/`` (sketches) + ``trainB/`` (colour images), or any layout Pix2Pix reads with the
two sides drawn independently, so no sketch is ever shown beside its own colour image.
Saves RUN_DIR/generator.keras (G, what the app and the exporter use) and generator_f.keras (F).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import tensorflow as tf

from training import architecture, pipeline
from training import data as data_lib
from training.architecture import Architecture
from training.trainer import Approach, TrainingError, adam, augment_config, bce_logits, l1

SKETCH_DIRS = {"train": ("trainA",), "test": ("testA",), "val": ("valA", "testA")}


def sketch_folder(data_dir: Path, split: str) -> Path | None:
    """The unpaired sketches folder of a split (trainA/ for train), if the dataset has one."""
    for name in SKETCH_DIRS.get(split, (f"{split}A",)):
        if (data_dir / name).is_dir():
            return data_dir / name
    return None


def sketch_sources(folder: Path, limit: int | None) -> list[data_lib.PairSource]:
    """Sketch files as PairSources whose sketch and 'colour' are the same file (only the sketch side is used)."""
    images = data_lib.list_images(folder)[:limit]
    if not images:
        raise data_lib.DataError(f"{folder}: no sketch images found; put line art images in it")
    return [data_lib.PairSource(p, p, "paired") for p in images]


class CycleGAN(Approach):
    name = "cyclegan"
    description = "CycleGAN: two U-Nets (instance norm) + two PatchGANs, cycle and identity losses (unpaired)"
    presets = {
        "paper": {"image_size": 256, "batch_size": 1, "epochs": 200, "ngf": 64, "ndf": 64},
        "cpu-quick": {"image_size": 128, "batch_size": 1, "epochs": 6, "ngf": 32, "ndf": 32,
                      "upsample": "resize", "padding": "reflect", "checkpoint_every": 250},
    }

    @classmethod
    def add_arguments(cls, parser: argparse.ArgumentParser) -> None:
        g = parser.add_argument_group("cyclegan")
        architecture.add_arguments(g, ("ngf", "ndf", "upsample", "padding"))
        g.add_argument("--lambda-cycle", type=float, default=10.0,
                       help="cycle-consistency weight lambda (default: %(default)s)")
        g.add_argument("--lambda-identity", type=float, default=0.5,
                       help="identity loss weight as a fraction of lambda (default: %(default)s)")
        architecture.add_arguments(g, ("lr", "beta1"), lr="Adam learning rate, all networks")

    def build(self):
        c = self.cfg
        arch = Architecture.from_config({**c, "approach": self.name})  # instance norm everywhere
        self.g = arch.build_generator(name="generator_g")
        self.f = arch.build_generator(name="generator_f")
        self.d_y = arch.build_discriminator(in_channels=3, norm="instance", name="patchgan_color")
        self.d_x = arch.build_discriminator(in_channels=3, norm="instance", name="patchgan_sketch")
        self.nets = {"generator": self.g, "generator_f": self.f, "discriminator_y": self.d_y,
                     "discriminator_x": self.d_x}
        self.opts = {name: adam(c["lr"], c["beta1"]) for name in self.nets}
        for name, net in self.nets.items():  # slots now, so a checkpoint restores them
            self.opts[name].build(net.trainable_variables)
        return {**self.nets, **{f"{name}_optimizer": opt for name, opt in self.opts.items()}}

    def train_step(self, sketch, color):
        lam = self.cfg["lambda_cycle"]
        lam_id = self.cfg["lambda_identity"] * lam
        with tf.GradientTape(persistent=True) as tape:
            fake_color = self.g(sketch, training=True)
            cycled_sketch = self.f(fake_color, training=True)
            fake_sketch = self.f(color, training=True)
            cycled_color = self.g(fake_sketch, training=True)
            same_color = self.g(color, training=True)
            same_sketch = self.f(sketch, training=True)

            real_y, fake_y = self.d_y(color, training=True), self.d_y(fake_color, training=True)
            real_x, fake_x = self.d_x(sketch, training=True), self.d_x(fake_sketch, training=True)

            g_gan, f_gan = bce_logits(fake_y, 1.0), bce_logits(fake_x, 1.0)
            cycle = l1(cycled_sketch, sketch) + l1(cycled_color, color)
            id_g, id_f = l1(same_color, color), l1(same_sketch, sketch)
            g_loss = self.average(g_gan + lam * cycle + lam_id * id_g)
            f_loss = self.average(f_gan + lam * cycle + lam_id * id_f)
            dy_loss = self.average(0.5 * (bce_logits(real_y, 1.0) + bce_logits(fake_y, 0.0)))
            dx_loss = self.average(0.5 * (bce_logits(real_x, 1.0) + bce_logits(fake_x, 0.0)))
        for name, loss in (("generator", g_loss), ("generator_f", f_loss), ("discriminator_y", dy_loss),
                           ("discriminator_x", dx_loss)):
            variables = self.nets[name].trainable_variables
            self.opts[name].apply_gradients(zip(tape.gradient(loss, variables), variables, strict=True))
        del tape
        return {"g_total": g_loss, "f_total": f_loss, "g_gan": self.average(g_gan), "f_gan": self.average(f_gan),
                "cycle": self.average(cycle), "identity_g": self.average(id_g),
                "identity_f": self.average(id_f), "d_y": dy_loss, "d_x": dx_loss}

    def generate(self, sketch):
        return self.g(sketch, training=False)

    def saved_models(self):
        return {"generator.keras": self.g, "generator_f.keras": self.f}

    def make_datasets(self, sources, loader, cfg) -> tf.data.Dataset:
        """Unpaired batches: sketches and colour images drawn by two independent shuffles."""
        sketch_side = []
        for root in map(Path, cfg["data"]):
            folder = sketch_folder(root, cfg["split"])
            if folder is not None:
                sketch_side += data_lib.prepare_sources(sketch_sources(folder, cfg.get("limit")), loader)
            else:
                sketch_side += [s for s in sources if s.color.is_relative_to(root)]
        if len(sketch_side) < 2 or len(sources) < 2:
            raise TrainingError("CycleGAN needs at least 2 sketches and 2 colour images to draw unpaired batches")

        def side(srcs, seed, index):
            ds = pipeline.make_dataset(
                srcs, loader, image_size=cfg["image_size"], batch_size=self.global_batch, training=True,
                augment_cfg=augment_config(cfg), seed=seed,
                cache_in_memory=pipeline.fits_in_memory(srcs, cfg["load_size"]), repeat=True)
            return ds.map(lambda sketch, color: (sketch, color)[index])

        # Different shuffle seeds: even when both sides come from the same pairs, a batch's
        # sketch and colour image are (almost always) different pictures.
        return tf.data.Dataset.zip((side(sketch_side, cfg["seed"], 0), side(sources, cfg["seed"] + 1, 1)))
