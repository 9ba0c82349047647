"""Measuring "colour a chapter like one coloured page" (issue 28; the app's
ganime_desktop/core/reference_match.py) against the truth: the two protocols of
benchmarks/reference_colouring.py.

- **Warp protocol**: each test pair's own truth moved by a random affine + elastic warp,
  mirrored half the time (``random_warp``), is the coloured reference page; its sketch moved the
  same way is the reference's line art (or, in the "lines from the coloured page" rows, the
  reference's own dark strokes). What the warp pushes off the page is white paper in the
  reference, and the app must leave it to the network. Scored against the oracle region flats
  (each region of the sketch filled with its true median colour: ``oracle_flats``).
- **Portrait <-> splash**: anime-fullbody has characters with both a standing portrait and a
  splash art (another pose, another framing, effects around the figure); one coloured, the
  other's XDoG sketch coloured like it (``portrait_splash_pairs``). Scored on the figure: the
  pixels where the truth is not blank paper.

Every colouring goes through the app's own code: ``Colorizer.colour_page`` (the network once,
the int8 file on the CPU), ``match_page`` and ``PageColouring.render``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
from scipy import ndimage as ndi

from ganime_desktop.core.colour_modes import PageColouring
from ganime_desktop.core.like_page import reference_from_arrays
from ganime_desktop.core.pipeline import Colorizer
from ganime_desktop.core.preprocess import to_gray
from ganime_desktop.core.reference_match import match_page
from ganime_desktop.core.regions import segment
from training import metrics
from training.data import read_rgb, resize_short_side
from training.xdog import sketch_for

# The warp protocol's random moves (per image, seeded): rotation, scale, shift (fraction of the
# side), elastic displacement (fraction of the longer side, smoothed over an eighth of it), mirror.
ROTATION_DEG, SCALE_RANGE, SHIFT, ELASTIC, ELASTIC_SMOOTH, MIRROR_P = 20.0, (0.85, 1.15), 0.08, 0.03, 8, 0.5


@dataclass(frozen=True)
class Warp:
    """Backward map (for each reference pixel, where in the original) and what it did."""

    y: np.ndarray
    x: np.ndarray
    angle: float
    scale: float
    mirrored: bool

    def apply(self, image: np.ndarray, fill: int = 255) -> np.ndarray:
        """The image moved (bilinear), what comes from outside it ``fill`` (white paper)."""
        if image.ndim == 3:
            return np.stack([self.apply(image[..., c], fill) for c in range(image.shape[2])], axis=-1)
        moved = ndi.map_coordinates(image.astype(np.float32), [self.y, self.x], order=1, cval=float(fill))
        return np.clip(moved + 0.5, 0, 255).astype(np.uint8)


def random_warp(shape: tuple[int, int], rng: np.random.Generator) -> Warp:
    """A random affine + elastic warp of an image of ``shape``, mirrored half the time."""
    h, w = shape
    side = max(h, w)
    angle = np.deg2rad(rng.uniform(-ROTATION_DEG, ROTATION_DEG))
    scale = rng.uniform(*SCALE_RANGE)
    mirrored = bool(rng.random() < MIRROR_P)
    shift = rng.uniform(-SHIFT, SHIFT, 2) * (h, w)
    field_y, field_x = (ndi.gaussian_filter(rng.standard_normal((h, w)), side / ELASTIC_SMOOTH, mode="reflect")
                        for _ in range(2))
    peak = max(np.abs(field_y).max(), np.abs(field_x).max(), 1e-9)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
    y0, x0 = yy - (h - 1) / 2 - shift[0], xx - (w - 1) / 2 - shift[1]
    if mirrored:
        x0 = -x0
    c, s = np.cos(angle), np.sin(angle)
    y = (c * y0 - s * x0) / scale + (h - 1) / 2 + field_y / peak * ELASTIC * side
    x = (s * y0 + c * x0) / scale + (w - 1) / 2 + field_x / peak * ELASTIC * side
    return Warp(y, x, float(np.rad2deg(angle)), float(scale), mirrored)


@dataclass(frozen=True)
class Case:
    """One page to colour like a coloured reference page, with its truth."""

    name: str
    sketch: np.ndarray  # HxW uint8
    truth: np.ndarray  # HxWx3 uint8
    reference: np.ndarray  # the coloured reference page, HxWx3 uint8
    reference_sketch: np.ndarray  # its line art


def warp_cases(pairs, seed: int = 0) -> list[Case]:
    """The warp protocol's cases of evaluation pairs (training/evaluate/pairs.py ``load_pairs``)."""
    cases = []
    for i, p in enumerate(pairs):
        gray = to_gray(p.sketch)
        warp = random_warp(gray.shape, np.random.default_rng([seed, i]))
        cases.append(Case(Path(p.color_path).name, gray, p.truth, warp.apply(p.truth), warp.apply(gray)))
    return cases


def _fullbody(folder: Path, split: str, name: str, short_side: int) -> tuple[np.ndarray, np.ndarray]:
    rgb = read_rgb(folder / split / name)
    if rgb is None:
        raise FileNotFoundError(folder / split / name)
    rgb = resize_short_side(rgb, short_side)
    return rgb, sketch_for(rgb, f"{split}/{name}", 0)


def portrait_splash_pairs(folder: Path, which: str) -> list[tuple[tuple[str, str], tuple[str, str]]]:
    """((split, page file), (split, reference file)) of the portrait <-> splash protocol.
    ``which``: "test" (the test portraits whose character has a splash art in train/, coloured
    from it), "test-other" (the same portraits coloured from another character's splash art: what
    the line art alone cannot tell apart), "train-portrait" (the train portraits coloured from
    their splash arts) or "train-splash" (the splash arts coloured from their portraits)."""
    train = {p.name for p in (folder / "train").iterdir()}
    if which in ("test", "test-other"):
        pairs = [(("test", p.name), ("train", p.name.replace("_portrait", "_gacha-splash")))
                 for p in sorted((folder / "test").iterdir())
                 if p.name.replace("_portrait", "_gacha-splash") in train]
        if which == "test-other":  # each portrait with the splash art five characters on
            pairs = [(page, pairs[(i + 5) % len(pairs)][1]) for i, (page, _) in enumerate(pairs)]
        return pairs
    chars = sorted(n[: -len("_portrait.jpg")] for n in train
                   if n.endswith("_portrait.jpg") and not n.startswith("hsr") and f"{n[:-13]}_gacha-splash.jpg" in train)
    if which == "train-portrait":
        return [(("train", f"{c}_portrait.jpg"), ("train", f"{c}_gacha-splash.jpg")) for c in chars]
    if which == "train-splash":
        return [(("train", f"{c}_gacha-splash.jpg"), ("train", f"{c}_portrait.jpg")) for c in chars]
    raise ValueError(f"unknown set {which!r}")


def portrait_splash_cases(folder: Path, which: str, short_side: int = 512) -> list[Case]:
    cases = []
    for (split, name), (ref_split, ref_name) in portrait_splash_pairs(folder, which):
        truth, sketch = _fullbody(folder, split, name, short_side)
        reference, reference_sketch = _fullbody(folder, ref_split, ref_name, short_side)
        cases.append(Case(f"{name} <- {ref_name}", sketch, truth, reference, reference_sketch))
    return cases


@dataclass
class Row:
    """One method's scores over cases: per image ΔE2000 (whole page and figure), paper ΔE from
    white (mean per image, and pooled over all blank-paper pixels), share of the page's pixels
    the reference decided, seconds of the reference's work per page."""

    name: str
    delta_e: list[float] = field(default_factory=list)
    figure: list[float] = field(default_factory=list)
    paper: list[float] = field(default_factory=list)
    paper_sum: float = 0.0
    paper_pixels: int = 0
    decided: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)

    def add(self, out: np.ndarray, truth_lab: np.ndarray, blank: np.ndarray) -> None:
        lab = metrics.srgb_to_lab(out)
        error = metrics.delta_e2000(lab, truth_lab)
        self.delta_e.append(float(error.mean()))
        self.figure.append(float(error[~blank].mean()) if (~blank).any() else float("nan"))
        if blank.any():
            white = metrics.from_white(lab[blank])
            self.paper.append(float(white.mean()))
            self.paper_sum += float(white.sum())
            self.paper_pixels += int(blank.sum())

    def summary(self) -> dict[str, float | None]:
        def mean(v):
            v = [x for x in v if np.isfinite(x)]
            return float(np.mean(v)) if v else None
        return {"delta_e": mean(self.delta_e), "figure": mean(self.figure), "paper": mean(self.paper),
                "paper_pooled": self.paper_sum / self.paper_pixels if self.paper_pixels else None,
                "decided": mean(self.decided), "seconds": mean(self.seconds), "n": len(self.delta_e)}


def oracle_flats(gray: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """Each region of the sketch filled with its true median colour, the paper's too (as
    ``python -m training evaluate``'s "oracle flats")."""
    regions = segment(gray)
    regions = replace(regions, is_background=np.zeros_like(regions.is_background))
    return PageColouring(gray, truth, regions=regions).render("flat")


def score_cases(cases: list[Case], colorizer: Colorizer, *, style: Colorizer | None = None, oracle: bool = True,
                own_lines: bool = True, log=print) -> list[Row]:
    """The rows of one protocol: oracle flats, the model without a reference (shaded), "Colour
    from reference" (``style``, shaded), and colouring like the reference in flat and shaded
    with the reference's line art, and in shaded with the lines taken from the coloured page."""
    names = (["oracle flats (true median per region)"] if oracle else []) + ["model, no reference (shaded)"]
    if style is not None:
        names.append(f"Colour from reference ({style.name}, shaded)")
    names += ["like the reference (flat)", "like the reference (shaded)"]
    if own_lines:
        names.append("like the reference, lines from the coloured page (shaded)")
    rows = {n: Row(n) for n in names}
    log("  per page, ΔE2000 of: " + " / ".join(names))
    for k, case in enumerate(cases, 1):
        t0 = time.perf_counter()
        truth_lab = metrics.srgb_to_lab(case.truth)
        blank = metrics.blank_paper_of_lab(truth_lab)
        gray = case.sketch
        regions = segment(gray)
        page = colorizer.colour_page(gray, regions=regions)
        if oracle:
            rows[names[0]].add(oracle_flats(gray, case.truth), truth_lab, blank)
        rows["model, no reference (shaded)"].add(page.render("shaded"), truth_lab, blank)
        if style is not None:
            styled = style.colour_page(gray, reference=case.reference, regions=regions)
            rows[names[2 if oracle else 1]].add(styled.render("shaded"), truth_lab, blank)
        variants = [("", case.reference_sketch, ("flat", "shaded"))]
        if own_lines:
            variants.append((", lines from the coloured page", None, ("shaded",)))
        for label, line_art, modes in variants:
            like = reference_from_arrays(case.reference, line_art)
            prepared = time.perf_counter()
            colours = match_page(gray, regions, like)
            matched = time.perf_counter()
            liked = PageColouring(gray, page.colour, seen=page.seen, regions=regions, reference=colours)
            share = float((colours.decided * regions.areas).sum() / regions.areas.sum())
            for mode in modes:
                row = rows[f"like the reference{label} ({mode})"]
                row.add(liked.render(mode), truth_lab, blank)
                row.decided.append(share)
                row.seconds.append(matched - prepared)
        log(f"  {k}/{len(cases)} {case.name}: ΔE2000 " + " / ".join(f"{r.delta_e[-1]:.2f}" for r in rows.values())
            + f" ({time.perf_counter() - t0:.1f} s)")
    return list(rows.values())
