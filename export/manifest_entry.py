"""The manifest entries an export writes (schema: ganime_desktop/core/manifest.py)."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

from ganime_desktop.core.errors import GanimeError
from ganime_desktop.core.manifest import MANIFEST_SCHEMA, ModelSpec, TensorSpec, describe_file

NAME_PATTERN = MANIFEST_SCHEMA["properties"]["models"]["items"]["properties"]["name"]["pattern"]
APPROACH_TITLES = {"pix2pix": "Pix2Pix", "pix2pix-tv": "Pix2Pix + TV", "cyclegan": "CycleGAN",
                   "fast-nst": "Fast style transfer", "nst": "Neural style transfer",
                   "pix2pix-hints": "Pix2Pix with hints"}


class EntryError(GanimeError, ValueError):
    """A name or setting the manifest would reject; raised before any work is done."""


def check_name(name: str) -> str:
    if not re.fullmatch(NAME_PATTERN, name):
        raise EntryError(f"--name {name!r}: use lower-case letters, digits, '.', '_' and '-', starting with "
                         "a letter or digit (it becomes the file name and the manifest key)")
    return name


def variant_name(name: str, precision: str) -> str:
    return name if precision == "fp32" else f"{name}-{precision}"


def display_name_for(base: str | None, approach: str, name: str, precision: str) -> str:
    shown = base or f"{APPROACH_TITLES.get(approach, approach)} ({name})"
    return shown if precision == "fp32" else f"{shown} [{precision}]"


def export_date() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S%z")


def generator_entry(*, name: str, display_name: str, approach: str, precision: str, onnx_path: Path,
                    out_dir: Path, channels: int, size_multiple: int, working_size: int,
                    provenance: dict[str, Any], evaluation: dict[str, Any] | None = None,
                    description: str = "", default: bool = False, hint_channels: int = 0) -> ModelSpec:
    """One generator entry; ``onnx_path`` must already be in ``out_dir`` (its sha256 is taken now).

    ``channels`` counts every input channel: 3 for a sketch, 7 for a sketch plus ``hint_channels``
    4 (the colour-hint encoding of ganime_desktop/core/manifest.py)."""
    tensor_in = TensorSpec(layout="NHWC", channels=channels, value_range=(-1.0, 1.0), hint_channels=hint_channels,
                           size_multiple=size_multiple, working_size=working_size)
    tensor_out = TensorSpec(layout="NHWC", channels=3, value_range=(-1.0, 1.0), hint_channels=0,
                            size_multiple=size_multiple, working_size=working_size)
    return ModelSpec(
        name=name, display_name=display_name, approach=approach, kind="generator", precision=precision,
        files={"generator": describe_file(onnx_path, out_dir)}, input=tensor_in, output=tensor_out,
        description=description, default=default, provenance=provenance, evaluation=evaluation,
        base_dir=out_dir,
    )
