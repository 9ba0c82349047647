"""``ganime --selftest``: prove that an installed (or frozen) app can colour with every shipped model.

It checks the models the app offers: the shipped ones, the user's models folder, the folders of
GANIME_MODELS_DIR and of ``--models-dir``. For each it does what the app does: verify the files (sha256), open the
onnxruntime session (CUDA when it really works, else CPU, with the reason), colour the shipped
sample sketch through the one pipeline, and check the result: an HxWx3 uint8 image of the
sketch's size, from finite model outputs, that is not the sketch returned unchanged and has
colour. A generator is checked with the file that runs on this machine (core/sessions.py): its
int8 file on the CPU when it has one, its float file on CUDA; the line names it. A generator that
lacks one of its two files but colours with the other passes, with the registry's note below its
line (the CPU package ships without the float files that only CUDA runs). One line per model, a
summary, exit 0; or exit 1 with a plain message. Qt-free and writes nothing, so it runs on a
build machine or a user's machine without a display and without touching their settings.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .core.colour import rgb_to_lab
from .core.imageio import ImageReadError, read_image
from .core.manifest import ModelSpec
from .core.paths import DATA_DIR_ENV, user_data_dir
from .core.pipeline import Colorizer, ColorizerCache, ModelLoadError
from .core.preprocess import downscale_gray, gray_to_model_input, scale_to_fit, to_gray
from .core.regions import segment
from .core.registry import ModelRegistry, default_manifest_dirs, shipped_models_dir
from .core.sessions import generator_session, get_session
from .core.style_transfer import content_input, style_input

SAMPLE_NAME = "sketch_bust.png"
DEVICE = "auto"  # what a user gets: CUDA when it works, else CPU
MIN_MEAN_CHANGE = 1.0  # mean |output - sketch| in 8-bit levels; below this the model did nothing
# A colouring must have colour: the sample is gray, a model that returns gray (even a changed gray)
# fails. Chroma in CIELAB units (~2 is just noticeable); 1 % of the page is a small patch of hair.
MIN_CHROMA = 5.0
MIN_COLOURED_FRACTION = 0.01
# Modules this Qt-free, TensorFlow-free path must never load. (Not PySide6 itself: in the frozen
# app PyInstaller's PySide6 runtime hook imports QtCore at start-up, before any of our code.)
FORBIDDEN_MODULES = ("tensorflow", "keras", "tf2onnx", "torch", "cv2", "PySide6.QtGui", "PySide6.QtWidgets")


class SelftestError(Exception):
    """One failed check; the message says what is wrong in plain words."""


def sample_sketch_path() -> Path:
    """The shipped sample sketch: assets/samples beside assets/models (repo or bundle)."""
    return shipped_models_dir().parent / "samples" / SAMPLE_NAME


def colourful_reference(height: int = 256, width: int = 256) -> np.ndarray:
    """A hue sweep for style-transfer models, which copy a reference's colours (none ships)."""
    hue = np.linspace(0.0, 1.0, width, endpoint=False)[None, :].repeat(height, axis=0)
    value = np.linspace(1.0, 0.5, height)[:, None].repeat(width, axis=1)
    # HSV with full saturation -> RGB.
    k = (np.stack([5.0, 3.0, 1.0]) + hue[..., None] * 6.0) % 6.0
    rgb = value[..., None] * (1.0 - np.clip(np.minimum(k, 4.0 - k), 0.0, 1.0))
    return np.clip(rgb * 255.0 + 0.5, 0, 255).astype(np.uint8)


def _raw_outputs_finite(spec: ModelSpec, gray: np.ndarray, reference: np.ndarray) -> bool:
    """Run the model's session(s) once at the working size and check for NaN/inf: a generator's
    session for this machine (``generator_session``: the file the colouring ran).

    The pipeline's uint8 result cannot show a NaN (it turns into black), so look before it.
    """
    if spec.kind == "style-transfer":
        predict, _ = get_session(spec.file_path("style_predict"), DEVICE)
        transform, _ = get_session(spec.file_path("transform"), DEVICE)
        vector = predict.run(None, {predict.get_inputs()[0].name: style_input(reference)})[0]
        content, _box = content_input(np.repeat(gray[:, :, None], 3, axis=2))
        names = [i.name for i in transform.get_inputs()]
        shapes = [list(i.shape) for i in transform.get_inputs()]
        feeds = {n: (vector if s[-1] == vector.shape[-1] and s[1:3] == [1, 1] else content)
                 for n, s in zip(names, shapes, strict=True)}
        outputs = [vector, transform.run(None, feeds)[0]]
    else:
        session, _ = generator_session(spec, DEVICE)
        h, w = scale_to_fit(*gray.shape, spec.input.working_size)
        x = gray_to_model_input(downscale_gray(gray, h, w), spec.input.value_range, spec.input.size_multiple)
        if spec.input.hint_channels:  # a colour-hint model, checked without hints (all hint channels 0)
            x = np.concatenate([x, np.zeros((*x.shape[:3], spec.input.hint_channels), np.float32)], axis=3)
        outputs = [session.run(None, {session.get_inputs()[0].name: x})[0]]
    return all(bool(np.isfinite(y).all()) for y in outputs)


def coloured_fraction(rgb: np.ndarray) -> float:
    """The share of pixels whose CIELAB chroma is at least MIN_CHROMA."""
    lab = rgb_to_lab(rgb.astype(np.float32) / 255.0)
    chroma = np.hypot(lab[:, :, 1], lab[:, :, 2])
    return float((chroma >= MIN_CHROMA).mean())


def check_model(colorizers: ColorizerCache, name: str, sketch: np.ndarray,
                reference: np.ndarray) -> tuple[str, str | None]:
    """Colour the sketch with one model: (line to print, why not CUDA or None); raises SelftestError."""
    start = time.perf_counter()
    try:
        colorizer: Colorizer = colorizers.get(name, DEVICE)
    except (KeyError, ModelLoadError) as exc:
        raise SelftestError(f"cannot load: {exc}") from None
    loaded = time.perf_counter()
    out = colorizer.colorize(sketch, reference=reference if colorizer.needs_reference else None)
    done = time.perf_counter()
    if not isinstance(out, np.ndarray) or out.dtype != np.uint8 or out.ndim != 3 or out.shape[2] != 3:
        raise SelftestError(f"the result is not an HxWx3 uint8 image ({getattr(out, 'dtype', type(out))} "
                            f"{getattr(out, 'shape', '')})")
    if out.shape != sketch.shape:
        raise SelftestError(f"the result is {out.shape[1]}x{out.shape[0]}, the sketch "
                            f"{sketch.shape[1]}x{sketch.shape[0]}")
    if not _raw_outputs_finite(colorizer.spec, to_gray(sketch), reference):
        model_file = colorizer.provider_info.model_file
        raise SelftestError(f"the model{f' file {model_file}' if model_file else ''} outputs NaN or infinite values: "
                            "the file is broken; re-export it")
    change = float(np.abs(out.astype(np.int16) - sketch.astype(np.int16)).mean())
    if change < MIN_MEAN_CHANGE:
        raise SelftestError(f"the result is the sketch unchanged (mean difference {change:.2f} levels)")
    coloured = coloured_fraction(out)
    if coloured < MIN_COLOURED_FRACTION:
        raise SelftestError(f"the result is gray, not coloured: {coloured:.1%} of its pixels have colour "
                            f"(at least {MIN_COLOURED_FRACTION:.0%} expected)")
    info = colorizer.provider_info
    device = f"{info.active} with {info.model_file} ({info.precision})" if info.model_file else info.active
    line = (f"{device}, load {loaded - start:.2f} s, colour {done - loaded:.2f} s, "
            f"mean change {change:.0f} levels, {coloured:.0%} coloured")
    return line, info.reason


def check_regions(sketch: np.ndarray) -> str:
    """Find the sample's closed regions, which the flat and shaded modes fill: proves that
    scipy.ndimage made it into the app. Raises SelftestError."""
    start = time.perf_counter()
    try:
        regions = segment(to_gray(sketch))
    except ImportError as exc:
        raise SelftestError(f"cannot find the line art's regions ({exc}); reinstall the app") from None
    if regions.count < 2 or not regions.is_background.any():
        raise SelftestError(f"the sample sketch came out as {regions.count} region(s) without paper: "
                            "the region finder is broken")
    return f"{regions.count} closed regions in the sample, {(time.perf_counter() - start) * 1000:.0f} ms"


def _check_data_dir() -> str:
    """Settings and user models must live in the user's data folder, never inside the app."""
    data = user_data_dir()
    if DATA_DIR_ENV in os.environ:
        return f"{data} (set by {DATA_DIR_ENV})"
    app_dir = Path(sys.executable).resolve().parent if getattr(sys, "frozen", False) else None
    if app_dir is not None and data.resolve().is_relative_to(app_dir):
        raise SelftestError(f"the user data folder {data} is inside the app folder {app_dir}")
    return str(data)


def run_selftest(models_dirs: Sequence[str | Path] | None = None) -> int:
    """Check every model the app offers (and those in ``models_dirs``); 0 when all work, else 1."""
    out = sys.stdout
    where = f"frozen app in {Path(sys.executable).resolve().parent}" if getattr(sys, "frozen", False) \
        else f"Python {sys.version.split()[0]} from {Path(__file__).resolve().parent}"
    print(f"GANime Studio self-test ({where})", file=out)
    try:
        print(f"user data folder: {_check_data_dir()}", file=out)
    except SelftestError as exc:
        return _fail(str(exc))
    sample = sample_sketch_path()
    try:
        sketch = read_image(sample)
    except ImageReadError as exc:
        return _fail(f"the sample sketch cannot be read: {exc}; reinstall the app")
    print(f"sample sketch: {sample} ({sketch.shape[1]}x{sketch.shape[0]})", file=out)
    try:
        print(f"regions: {check_regions(sketch)}", file=out)
    except SelftestError as exc:
        return _fail(str(exc))

    folders = [*default_manifest_dirs(), *(Path(d) for d in models_dirs or ())]  # as the app reads them
    registry = ModelRegistry(folders)
    for problem in registry.problems:
        print(f"problem: {problem}", file=out)
    for notice in registry.notices:  # a user model named like a shipped one replaces it
        print(f"note: {notice}", file=out)
    entries = registry.entries()
    if not entries:
        return _fail("no models to test: " + ", ".join(str(f) for f in folders)
                     + " hold no manifest.json; ship models in assets/models or pass --models-dir DIR")

    colorizers = ColorizerCache(registry)
    reference = colourful_reference()
    failures = 0
    device_notes: set[str] = set()
    width = max(len(e.name) for e in entries)
    for entry in entries:
        try:
            line, note = check_model(colorizers, entry.name, sketch, reference)
        except SelftestError as exc:
            failures += 1
            print(f"FAIL {entry.name:<{width}}  {exc}", file=out, flush=True)
        except Exception as exc:  # noqa: BLE001 - an unexpected error in one model must not hide the others
            failures += 1
            print(f"FAIL {entry.name:<{width}}  unexpected {type(exc).__name__}: {exc}", file=out, flush=True)
        else:
            print(f"ok   {entry.name:<{width}}  {line}", file=out, flush=True)
            if note:
                device_notes.add(note)
            model_note = registry.get(entry.name).note  # e.g. colours on the CPU only: no float file
            if model_note:
                print(f"     {'':<{width}}  note: {model_note}", file=out, flush=True)
    for note in sorted(device_notes):
        print(f"device: {note}", file=out)

    loaded = [m for m in FORBIDDEN_MODULES if m in sys.modules]
    if loaded:
        return _fail(f"modules that must not be in the app were loaded: {', '.join(loaded)}")
    if failures or registry.problems:
        return _fail(f"{failures} of {len(entries)} model(s) failed"
                     + (f", {len(registry.problems)} manifest problem(s)" if registry.problems else ""))
    print(f"self-test passed: {len(entries)} model(s) colour the sample sketch", file=out)
    return 0


def selftest_main(argv: list[str]) -> int:
    """``ganime --selftest [--models-dir DIR ...]`` (the --selftest flag itself may be in argv)."""
    parser = argparse.ArgumentParser(prog="ganime", usage="ganime --selftest [--models-dir DIR ...]",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--selftest", action="store_true", help="check the models and exit")
    parser.add_argument("--models-dir", action="append", default=[], type=Path, metavar="DIR",
                        help="also check the models of this folder (with a manifest.json); repeatable")
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse printed the usage and the problem
        return 2 if exc.code else 0
    return run_selftest(args.models_dir)


def _fail(message: str) -> int:
    print(f"self-test FAILED: {message}", file=sys.stdout, flush=True)
    return 1
