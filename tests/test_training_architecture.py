"""One architecture config (training/architecture.py): the flags' declarations and defaults live there only."""

from __future__ import annotations

import argparse
import re
from dataclasses import fields
from pathlib import Path

from training import architecture
from training.architecture import ARCHITECTURE_KEYS, DEFAULTS, Adam, Architecture

REPO = Path(__file__).resolve().parents[1]


def _parser(approach) -> argparse.ArgumentParser:
    from training.run_config import add_common_arguments

    parser = argparse.ArgumentParser()
    add_common_arguments(parser)
    approach.add_arguments(parser)
    return parser


def test_both_approaches_declare_the_shared_flags_with_the_config_defaults():
    from training.cyclegan import CycleGAN
    from training.pix2pix import Pix2Pix

    for approach, own in ((Pix2Pix, ("ngf", "ndf", "norm", "upsample", "padding", "depth", "lr", "d_lr", "beta1",
                                     "beta2", "adam_epsilon")),
                          (CycleGAN, ("ngf", "ndf", "upsample", "padding", "depth", "lr", "beta1"))):
        args = vars(_parser(approach).parse_args(["--data", "d", "--run-dir", "r"]))
        assert {k: args[k] for k in own} == {k: Adam.lr if k == "d_lr" else DEFAULTS[k] for k in own}
    assert DEFAULTS["ngf"] == 64 and DEFAULTS["upsample"] == "transpose" and Adam().lr == 2e-4 and Adam().beta1 == 0.5
    assert ARCHITECTURE_KEYS == tuple(f.name for f in fields(Architecture))


def test_a_config_missing_keys_builds_the_networks_an_older_run_had():
    arch = Architecture.from_config({"approach": "cyclegan", "image_size": 64, "ngf": 4, "depth": None})
    assert (arch.ngf, arch.ndf, arch.padding, arch.generator_norm, arch.in_channels) == (4, 64, "zero", "instance", 3)
    hints = Architecture.from_config({"image_size": 64, "ngf": 4, "hints": True, "upsample": "resize"})
    model = hints.build_generator()
    assert model.input_shape[-1] == 7 and any(layer.name == "up1_resize" for layer in model.layers)
    assert sum(1 for layer in model.layers if layer.name.endswith("_conv") and layer.name.startswith("down")) == 6


def test_no_tool_rereads_an_architecture_default():
    """evaluate, export, warm starts and the trainers read the config through Architecture."""
    pattern = re.compile(r"""(cfg|config|c)\.get\(\s*["'](ngf|ndf|norm|upsample|padding|depth|lr|beta1)["']\s*,""")
    found = [f"{path.relative_to(REPO)}: {m.group(0)}" for folder in ("training", "export")
             for path in sorted((REPO / folder).glob("*.py")) for m in pattern.finditer(path.read_text())]
    assert found == []
    flag = re.compile(r"""add_argument\(\s*["']--(ngf|ndf|norm|upsample|padding|depth|lr|beta1)["']""")
    gan_flags = ("pix2pix.py", "cyclegan.py", "run_config.py")  # (nst.py's --lr is its image optimiser's)
    declared = [name for name in gan_flags if flag.search((REPO / "training" / name).read_text())]
    assert declared == []  # declared through architecture.add_arguments only
    assert set(architecture.FLAGS) >= {"ngf", "ndf", "norm", "upsample", "padding", "depth", "lr", "beta1"}
