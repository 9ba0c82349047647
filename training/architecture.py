"""The networks a run trains, in one place: their flags, defaults and how to build them.

``Architecture`` holds what defines the networks' variables (a run resumes only with the same
values, ``ARCHITECTURE_KEYS``); ``Adam`` the optimizer settings the approaches share. Each flag's
declaration (``--ngf``, ``--ndf``, ``--norm``, ``--upsample``, ``--padding``, ``--depth``, ``--lr``,
``--beta1`` ...) takes its default from these dataclasses, and every tool that rebuilds a run's
generator from its config.json (evaluation, export, warm starts, the JAX trainer) reads the
config with ``Architecture.from_config``: a key an older run did not record takes the default it
trained with. The defaults are the paper's (Isola et al. 2017 for Pix2Pix; Adam 2e-4, beta1 0.5).
"""

from __future__ import annotations

import argparse
from dataclasses import asdict, dataclass, fields
from typing import Any

from ganime_desktop.core.hints import HINT_CHANNELS

SKETCH_CHANNELS = 3  # the generator's input: the sketch (3 channels), then any hint channels
NORMS = ("batch", "instance")
UPSAMPLES = ("transpose", "resize")
PADDINGS = ("zero", "reflect")
DEPTHS = range(4, 9)  # U-Net levels; 8 is the paper's (a 256 px input reaches a 1x1 bottleneck)


@dataclass(frozen=True)
class Architecture:
    """The networks of a run (the U-Net generator and the PatchGAN discriminator)."""

    approach: str = "pix2pix"
    image_size: int = 256
    ngf: int = 64
    ndf: int = 64
    norm: str = "batch"
    upsample: str = "transpose"
    padding: str = "zero"
    depth: int | None = None  # None: log2(image size), at most 8 (networks.unet_depth)
    hints: bool = False

    @classmethod
    def from_config(cls, cfg: dict[str, Any]) -> Architecture:
        """A run's config (config.json or the parsed flags); missing keys take the defaults."""
        known = {f.name: cfg[f.name] for f in fields(cls) if cfg.get(f.name) is not None}
        return cls(**known)

    @property
    def generator_norm(self) -> str:
        """CycleGAN's generators always use instance norm (it has no --norm flag)."""
        return "instance" if self.approach == "cyclegan" else self.norm

    @property
    def in_channels(self) -> int:
        return SKETCH_CHANNELS + (HINT_CHANNELS if self.hints else 0)

    def build_generator(self, *, in_channels: int | None = None, name: str = "unet_generator"):
        from training.networks import build_unet_generator

        return build_unet_generator(self.image_size, ngf=self.ngf, norm=self.generator_norm,
                                    in_channels=self.in_channels if in_channels is None else in_channels,
                                    upsample=self.upsample, padding=self.padding, depth=self.depth, name=name)

    def build_discriminator(self, *, in_channels: int, norm: str | None = None, name: str = "patchgan"):
        from training.networks import build_patchgan_discriminator

        return build_patchgan_discriminator(in_channels=in_channels, ndf=self.ndf, norm=norm or self.norm, name=name)


@dataclass(frozen=True)
class Adam:
    """Adam's settings; the paper's for every network."""

    lr: float = 2e-4
    beta1: float = 0.5
    beta2: float = 0.999
    adam_epsilon: float = 1e-7


ARCHITECTURE_KEYS = tuple(f.name for f in fields(Architecture))  # they must match to resume a run
DEFAULTS = {**asdict(Architecture()), **asdict(Adam())}

# Each flag's argparse declaration; its default comes from DEFAULTS (unless given here).
FLAGS: dict[str, dict[str, Any]] = {
    "ngf": dict(type=int, help="generator base width; 64 is the paper"),
    "ndf": dict(type=int, help="discriminator base width"),
    "norm": dict(choices=NORMS, help="normalization layers"),
    "upsample": dict(choices=UPSAMPLES, help="decoder upsampling: transposed conv (paper) or resize + conv, which "
                                             "avoids checkerboard artefacts"),
    "padding": dict(choices=PADDINGS, help="convolution padding; reflect avoids a coloured frame at the edges"),
    "depth": dict(type=int, choices=DEPTHS, metavar="4..8",
                  help="U-Net levels; fewer than log2(image size) trains on larger crops with the receptive field "
                       "and speed of a smaller model (default: log2(image size), at most 8)"),
    "lr": dict(type=float, help="generator learning rate"),
    "d_lr": dict(type=float, default=Adam.lr, help="discriminator learning rate"),
    "beta1": dict(type=float, help="Adam beta1"),
    "beta2": dict(type=float, help="Adam beta2"),
    "adam_epsilon": dict(type=float, help="Adam epsilon"),
}


def add_arguments(group: argparse._ActionsContainer, names: tuple[str, ...], **helps: str) -> None:
    """Declare the flags ``names`` (keys of FLAGS) on a parser or argument group, with their defaults;
    ``helps`` overrides a flag's help text (e.g. ``lr="Adam learning rate, all networks"``)."""
    for name in names:
        spec = dict(FLAGS[name])
        spec.setdefault("default", DEFAULTS.get(name))
        text = helps.get(name, spec.pop("help"))
        spec.pop("help", None)
        if "(default:" not in text:
            text += " (default: %(default)s)"
        group.add_argument("--" + name.replace("_", "-"), help=text, **spec)
