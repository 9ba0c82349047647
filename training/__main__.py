"""`python -m training <approach> ...`: train or evaluate the GANime paper's approaches.

Approaches are found by name (like junyanz's ``--model pix2pix``): each entry names the module
that implements it, imported only when chosen so ``--help`` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

# name -> (module, attribute, one-line description). GAN approaches are ``trainer.Approach``
# subclasses; the others are modules with ``add_arguments(parser)`` and ``run(args) -> int``.
APPROACHES: dict[str, tuple[str, str, str]] = {
    "pix2pix": ("training.pix2pix", "Pix2Pix",
                "Pix2Pix C-GAN (U-Net + PatchGAN, L1), optionally with the paper's TV loss"),
    "cyclegan": ("training.cyclegan", "CycleGAN", "CycleGAN on unpaired sketches and colour images"),
    "nst": ("training.nst", "", "Gatys neural style transfer (per image optimisation on VGG features)"),
    "fast-nst": ("training.fast_nst", "", "Arbitrary fast style transfer, one forward pass (Magenta)"),
    "evaluate": ("training.evaluate", "", "The paper's Table 1: FID, SSIM, colour error, with baselines"),
    "hint-eval": ("training.hint_eval", "", "Colour-hint models: error with/without simulated hints, region check"),
    "from-onnx": ("training.onnx_import", "", "A shipped ONNX generator back into a run folder to fine-tune from"),
}


def _available() -> dict[str, tuple[str, str, str]]:
    """Approaches whose module is present in this installation."""
    return {k: v for k, v in APPROACHES.items() if importlib.util.find_spec(v[0]) is not None}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m training",
        description="Train and evaluate GANime Studio's colorization models.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="approaches:\n" + "\n".join(f"  {k:<10} {v[2]}" for k, v in _available().items())
        + "\n\nRun 'python -m training APPROACH --help' for its flags. Any command takes --verbose to show "
        "TensorFlow's own log lines.",
    )
    parser.add_argument("approach", choices=list(_available()), metavar="APPROACH",
                        help="one of: " + ", ".join(_available()))
    return parser


def requested_backend(argv: list[str]) -> str | None:
    """The value of ``--backend X`` / ``--backend=X`` in the arguments, if any."""
    for i, arg in enumerate(argv):
        if arg == "--backend" and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith("--backend="):
            return arg.split("=", 1)[1]
    return None


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    if not argv or argv[0] in ("-h", "--help"):
        parser.print_help()
        return 0 if argv else 2
    name = argv[0]
    if name not in _available():
        parser.error(f"unknown approach {name!r}; choose from {', '.join(_available())}")
    verbose = "--verbose" in argv
    argv = [a for a in argv if a != "--verbose"]
    from training import quiet

    quiet.install(verbose)  # before TensorFlow is imported: its C++ notices are hidden
    backend = requested_backend(argv[1:])
    if backend:  # Keras reads its backend once, at its first import
        os.environ["KERAS_BACKEND"] = backend
    module_name, attr, description = APPROACHES[name]
    module = importlib.import_module(module_name)
    sub = argparse.ArgumentParser(prog=f"python -m training {name}", description=description)
    from ganime_desktop.core.errors import GanimeError
    from training.errors import TrainingError

    try:
        if attr:
            from training.run_config import add_common_arguments, config_from_args, parse_with_presets

            approach = getattr(module, attr)
            add_common_arguments(sub)
            approach.add_arguments(sub)
            if approach.presets:
                sub.epilog = "presets: " + "; ".join(
                    f"{k} = " + ", ".join(f"{a}={b}" for a, b in v.items()) for k, v in approach.presets.items())
            args = parse_with_presets(sub, argv[1:], approach.presets)
            cfg = config_from_args(args, approach.name)
            if cfg["backend"] not in approach.backends:
                raise TrainingError(f"{name} trains with --backend {' or '.join(approach.backends)}, "
                                    f"not {cfg['backend']}")
            if cfg["backend"] == "jax":
                from training.jax_trainer import fit_jax as fit
            else:
                from training.trainer import fit
            fit(approach, cfg)
            return 0
        module.add_arguments(sub)
        return int(module.run(sub.parse_args(argv[1:])) or 0)
    except GanimeError as exc:  # data, flags, run folders, models: one line, no traceback
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
