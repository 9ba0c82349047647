"""The one colourization pipeline used by the GUI, the batch panel and the CLI.

``Colorizer(entry_or_spec, device).colorize(rgb)`` takes any HxWx3 uint8 RGB page and returns
HxWx3 uint8 RGB at the same size. Generators see the sketch as gray in 3 identical channels in
the model's value range, white-padded to the size multiple. A page larger than the working size
is handled by one of two strategies:

- ``"recombine"`` (default): run the model once on the page shrunk to the working size (the
  scale it was trained at, whole figure in view), upscale the colour, then lay the full
  resolution line art back over it in Lab (L = min(prediction, sketch), chroma kept) so lines
  stay crisp.
- ``"tile"``: run the model at full resolution in overlapping working-size tiles, blended.

Measured with ``python benchmarks/strategies.py`` (4 full-body test images on A4 pages at 200 dpi,
1654x2339, XDoG sketches; a Pix2Pix+TV U-Net, ngf 16, trained 2,500 steps at 128 px; 2-core CPU;
scores inside the figure's box): at working size 512, SSIM / mean CIEDE2000 / s per page:
passthrough 0.795 / 10.81 / -, resize only 0.774 / 11.16 / 0.36, recombine (min) 0.788 / 10.74 /
0.62, recombine (multiply) 0.778 / 11.16 / 0.38, tile 0.809 / 11.30 / 7.5 (working size 256:
0.792 / 10.69 / 0.53 vs tile 0.809 / 11.29 / 8.8). Tile's higher SSIM comes from leaving the
page nearly uncoloured (at full scale the model only tints the lines: closest to passthrough);
recombine colours whole regions (hair, dress), has the lowest colour error and is 12-17x faster,
so it is the default, with the "min" line merge.
Style-transfer entries need a ``reference`` image and always recombine (their transform is fixed
at 384x384).

Colour hints (``hints``: an HxWx4 RGBA layer the size of the page, see core/hints.py) go to
models whose manifest input has hint_channels > 0, encoded as manifest.py documents, with the
same geometry as the sketch: the same padding (as "no hint"), shrunk with it for "recombine"
(``shrink_hints``), cut into the same tiles for "tile". Other models ignore them.

Colour modes (core/colour_modes.py's registry): ``colorize(..., mode="raw")`` is the network's
output as above (``NETWORK_MODE``, ``colorize``'s default, so callers that name no mode get what
they always got); "flat" and "shaded" (``DEFAULT_MODE``: the app's, the batch's and ``ganime
colorize``'s default) fill the line art's closed regions, for every model, and there the hints
fill the regions they touch whatever the model. ``colour_page`` runs the network once and returns
a ``PageColouring`` whose ``render(mode, hints)`` re-renders for new hints without running the
network again.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import numpy as np

from .cancel import Cancelled, check
from .colour_modes import DEFAULT_MODE, MODES, NETWORK_MODE, PageColouring, colour_mode
from .hint_fill import FillSettings
from .hints import HINT_CHANNELS, check_hints, has_hints, hints_to_model_input, shrink_hints
from .manifest import ModelSpec
from .preprocess import (
    as_rgb_uint8,
    downscale_gray,
    gray_to_model_input,
    merge_line_art,
    model_output_to_rgb,
    multiply_line_art,
    round_up,
    scale_to_fit,
    to_gray,
    upscale,
)
from .reference_colours import ReferenceColours
from .regions import Regions
from .registry import ModelEntry, ModelRegistry
from .sessions import ModelLoadError, ProviderInfo, generator_session, get_session
from .stages import stage
from .style_transfer import CONTENT_SIZE, StyleTransfer
from .tiling import run_tiled

__all__ = ["DEFAULT_MODE", "MODES", "STRATEGIES", "Cancelled", "Colorizer", "ColorizerCache", "ModelLoadError",
           "PageColouring", "ReferenceRequired"]

STRATEGIES = ("recombine", "tile")
DEFAULT_STRATEGY = "recombine"  # measured: see the module docstring
TILE_OVERLAP_FRACTION = 4  # tiles overlap by a quarter of their side
# How "recombine" puts the full-resolution lines back: "multiply" divides the blurred lines the
# model saw out of its upscaled prediction and multiplies the crisp ones in; "min" takes the
# darker of prediction and sketch in Lab. "min" measured better (module docstring).
LINE_MERGES = ("min", "multiply")
DEFAULT_LINE_MERGE = "min"
LazyImage = np.ndarray | Callable[[], np.ndarray]


class ReferenceRequired(ValueError):
    """A style-transfer model was asked to colour without a reference image."""


def _spec_of(entry_or_spec: ModelEntry | ModelSpec) -> ModelSpec:
    if isinstance(entry_or_spec, ModelSpec):
        return entry_or_spec
    if not entry_or_spec.available or entry_or_spec.spec is None:
        raise ModelLoadError(f"model {entry_or_spec.name!r} is unavailable: {entry_or_spec.reason}")
    return entry_or_spec.spec


class Colorizer:
    """One model on one device, ready to colour pages of any size (thread-safe)."""

    def __init__(self, entry_or_spec: ModelEntry | ModelSpec, device: str = "auto", *,
                 strategy: str = DEFAULT_STRATEGY, line_merge: str = DEFAULT_LINE_MERGE):
        if strategy not in STRATEGIES:
            raise ValueError(f"unknown strategy {strategy!r}; use one of {', '.join(STRATEGIES)}")
        if line_merge not in LINE_MERGES:
            raise ValueError(f"unknown line merge {line_merge!r}; use one of {', '.join(LINE_MERGES)}")
        self.line_merge = line_merge
        self.spec = _spec_of(entry_or_spec)
        self.device = device
        self.strategy = strategy
        self._style: StyleTransfer | None = None
        if self.spec.kind == "style-transfer":
            predict, _ = get_session(self.spec.file_path("style_predict"), device)
            transform, info = get_session(self.spec.file_path("transform"), device)
            self._style = StyleTransfer(predict, transform)
            self.provider_info: ProviderInfo = info
        else:
            hint_channels = self.spec.input.hint_channels
            if hint_channels not in (0, HINT_CHANNELS) or self.spec.input.channels != 3 + hint_channels:
                raise ModelLoadError(f"model {self.spec.name!r} takes {self.spec.input.channels} input channels "
                                     f"with {hint_channels} hint channels; this version of GANime Studio feeds "
                                     f"3 sketch channels plus 0 or {HINT_CHANNELS} hint channels — re-export it")
            self._session, self.provider_info = generator_session(self.spec, device)
            self._input_name = self._session.get_inputs()[0].name
        self._run_lock = threading.Lock() if self.provider_info.active == "CUDA" else None

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def needs_reference(self) -> bool:
        return self.spec.kind == "style-transfer"

    @property
    def accepts_hints(self) -> bool:
        return self.spec.kind == "generator" and self.spec.input.hint_channels > 0

    def _run(self, x: np.ndarray) -> np.ndarray:
        if self._run_lock is None:
            return self._session.run(None, {self._input_name: x})[0]
        with self._run_lock:  # one GPU job at a time: concurrent runs only compete for memory
            return self._session.run(None, {self._input_name: x})[0]

    def colorize(self, rgb: np.ndarray, *, reference: np.ndarray | None = None, hints: np.ndarray | None = None,
                 working_size: int | None = None, should_cancel: Callable[[], bool] | None = None,
                 strategy: str | None = None, mode: str = NETWORK_MODE, fill: FillSettings | None = None) -> np.ndarray:
        """HxWx3 uint8 RGB sketch (gray and RGBA accepted) -> HxWx3 uint8 RGB colouring, same size.

        ``hints``: HxWx4 uint8 RGBA colour hints at the page size (alpha > 0 = hinted), used by
        hint models (``accepts_hints``) and, in modes "flat" and "shaded", by every model to fill
        the regions they touch. ``mode``: one of MODES (core/colour_modes.py); ``fill``: how hints
        fill in those modes (hint_fill.FillSettings; default its defaults).
        Raises Cancelled if ``should_cancel()`` turns true (checked between steps and tiles),
        ReferenceRequired for a style-transfer model without ``reference``, ValueError for hints
        of another size than the page or an unknown mode.
        """
        if not colour_mode(mode).uses_regions:
            raw = self._net_colour(rgb, reference, hints, working_size, should_cancel, strategy)[3]
            return raw() if callable(raw) else raw
        page = self.colour_page(rgb, reference=reference, hints=hints, working_size=working_size,
                                should_cancel=should_cancel, strategy=strategy)
        return page.render(mode, hints, fill)

    def colour_page(self, rgb: np.ndarray, *, reference: np.ndarray | None = None,
                    hints: np.ndarray | None = None, working_size: int | None = None,
                    should_cancel: Callable[[], bool] | None = None,
                    strategy: str | None = None, regions: Regions | None = None,
                    like: ReferenceColours | None = None) -> PageColouring:
        """Run the network once (arguments as ``colorize``) and keep what every mode needs: the
        page's regions (cached by content) and the network's colour. ``render(mode, hints)`` on
        the result gives ``colorize``'s image for any mode and any hints, without the network
        (hint models only see the ``hints`` given here). ``regions``: the page's, when the caller
        has them already (``segment(to_gray(rgb))``, as the batch's reader thread does). ``like``:
        the region colours a coloured reference page decides for these regions
        (core/reference_match.py ``match_page``), laid over the network's in "flat" and "shaded"."""
        gray, colour, seen, raw = self._net_colour(rgb, reference, hints, working_size, should_cancel, strategy)
        saw = hints if self.accepts_hints and has_hints(hints) else None  # its lightness under them is theirs
        with stage("regions"):
            page = PageColouring(gray, colour, seen=seen, raw=raw, regions=regions, network_hints=saw,
                                 reference=like)
        check(should_cancel)
        return page

    def _net_colour(self, rgb: np.ndarray, reference: np.ndarray | None, hints: np.ndarray | None,
                    working_size: int | None, should_cancel: Callable[[], bool] | None,
                    strategy: str | None) -> tuple[np.ndarray, np.ndarray, LazyImage, LazyImage]:
        """(sketch gray, the network's colour at page size before the line art goes back, the
        sketch as the network saw it at page size, mode "raw"'s image); the last two may be
        functions that make them (for a page larger than the working size: each costs a pass over
        the whole page that not every mode needs)."""
        with stage("gray"):
            if self._style is None and isinstance(rgb, np.ndarray) and rgb.ndim == 2 and rgb.dtype == np.uint8:
                gray = rgb  # a gray page is its own sketch (to_gray of it in RGB gives it back)
            else:
                rgb = as_rgb_uint8(rgb)
                gray = to_gray(rgb)
            if hints is not None:
                check_hints(hints, *gray.shape)
            hints = hints if self.accepts_hints and has_hints(hints) else None
            check(should_cancel)
        h, w = gray.shape
        if self._style is not None:
            if reference is None:
                raise ReferenceRequired(f"{self.spec.display_name} is a style-transfer model: "
                                        "choose a reference image whose colours it should copy")
            stylized = self._style.stylize(rgb, as_rgb_uint8(reference))
            check(should_cancel)
            seen = gray
            if max(h, w) > CONTENT_SIZE:  # the transform saw the page at 384 px
                seen = upscale(downscale_gray(gray, *scale_to_fit(h, w, CONTENT_SIZE)), h, w)
            return gray, stylized, seen, merge_line_art(stylized, gray)
        strategy = strategy or self.strategy
        if strategy not in STRATEGIES:
            raise ValueError(f"unknown strategy {strategy!r}; use one of {', '.join(STRATEGIES)}")
        size = int(working_size or self.spec.input.working_size)
        if max(gray.shape) <= size:
            out = self._colorize_whole(gray, hints)
            return gray, out, gray, out
        if strategy == "tile":
            out = self._colorize_tiled(gray, hints, size, should_cancel)
            return gray, out, gray, out
        sh, sw = scale_to_fit(h, w, size)
        with stage("shrink"):
            small_gray = downscale_gray(gray, sh, sw)
        small = self._colorize_whole(small_gray, None if hints is None else shrink_hints(hints, sh, sw))
        check(should_cancel)
        with stage("enlarge"):
            colour = upscale(small, h, w)

        def seen() -> np.ndarray:
            with stage("enlarge"):
                return upscale(small_gray, h, w)

        def raw() -> np.ndarray:
            with stage("lines"):
                if self.line_merge == "min":
                    return merge_line_art(colour, gray)
                return multiply_line_art(colour, gray, seen())

        return gray, colour, seen, raw

    def _model_input(self, gray: np.ndarray, hints: np.ndarray | None, size_multiple: int) -> np.ndarray:
        """The sketch channels (padded with paper), then for hint models the hint channels."""
        x = gray_to_model_input(gray, self.spec.input.value_range, size_multiple)
        if not self.accepts_hints:
            return x
        h, w = gray.shape
        channels = hints_to_model_input(hints, h, w, self.spec.input.value_range, x.shape[1], x.shape[2])
        return np.concatenate([x, channels], axis=3)

    def _colorize_whole(self, gray: np.ndarray, hints: np.ndarray | None) -> np.ndarray:
        """Run once at the page's own size (padded with paper to the size multiple), crop back."""
        h, w = gray.shape
        with stage("model"):
            x = self._model_input(gray, hints, self.spec.input.size_multiple)
            y = self._run(x)[0, :h, :w]
            return model_output_to_rgb(y, self.spec.output.value_range)

    def _colorize_tiled(self, gray: np.ndarray, hints: np.ndarray | None, size: int,
                        should_cancel: Callable[[], bool] | None) -> np.ndarray:
        h, w = gray.shape
        tile = round_up(size, self.spec.input.size_multiple)
        stride = tile - tile // TILE_OVERLAP_FRACTION
        # Pad with paper (right and bottom, like a whole-page run) so the tile grid fits exactly;
        # hint channels are padded with "no hint".
        ph, pw = (tile + round_up(max(0, n - tile), stride) for n in (h, w))
        x = self._model_input(gray, hints, 1)
        white = self.spec.input.value_range[1]
        pad = ((0, 0), (0, ph - h), (0, pw - w), (0, 0))
        x = np.concatenate([np.pad(x[..., :3], pad, constant_values=white), np.pad(x[..., 3:], pad)], axis=3)
        y = run_tiled(x, self._run, tile, tile // TILE_OVERLAP_FRACTION, should_cancel=should_cancel)
        return model_output_to_rgb(y[:h, :w], self.spec.output.value_range)


class ColorizerCache:
    """One Colorizer per (model name, device), verified (sha256) before its first use."""

    def __init__(self, registry: ModelRegistry):
        self.registry = registry
        self._colorizers: dict[tuple[str, str, str], Colorizer] = {}
        self._lock = threading.Lock()

    def get(self, name: str, device: str = "auto", *, strategy: str = DEFAULT_STRATEGY) -> Colorizer:
        """Raises UnknownModelError or ModelLoadError (with the reason) for an unusable model."""
        key = (name, device, strategy)
        with self._lock:
            if key in self._colorizers:
                return self._colorizers[key]
        entry = self.registry.verify(name)
        colorizer = Colorizer(entry, device, strategy=strategy)
        with self._lock:
            return self._colorizers.setdefault(key, colorizer)

    def clear(self) -> None:
        with self._lock:
            self._colorizers.clear()
