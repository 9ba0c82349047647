"""Scoring a candidate's colourings against the truths: SSIM, CIEDE2000, paper whiteness, bleed,
the decoder artefact columns and FID, per image and pooled (``Scores``)."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ganime_desktop.core.colour_modes import NETWORK_MODE
from training import metrics
from training.hint_dots import DotSet
from training.progress import Progress

from .candidates import Candidate
from .pairs import BATCH, Pair, pair_regions


@dataclass
class Scores:
    name: str
    kind: str
    detail: str
    n: int
    note: str
    ssim: list[float] = field(default_factory=list)
    delta_e: list[float] = field(default_factory=list)
    paper: list[float] = field(default_factory=list)
    checker: list[float] = field(default_factory=list)
    edge: list[float] = field(default_factory=list)
    bleed: list[dict[str, float]] = field(default_factory=list)  # metrics.region_bleed per image
    fid: float | None = None
    seconds: float = 0.0
    mode: str = NETWORK_MODE
    dots: int = 0
    placement: str = "careful"  # of the dots (training/hint_dots.py)

    @property
    def dot_set(self) -> DotSet:
        return DotSet(self.dots, self.placement)

    def summary(self, n: int | None = None) -> dict[str, Any]:
        """Aggregates over all images, or over the first ``n``."""
        s, d, p = (np.asarray(v[:n] if n else v, np.float64) for v in (self.ssim, self.delta_e, self.paper))
        paper_ok = p[np.isfinite(p)]
        out = {"n": len(s), "ssim_mean": float(s.mean()), "ssim_sd": float(s.std(ddof=1)) if len(s) > 1 else 0.0,
               "delta_e_mean": float(d.mean()),
               "paper_delta_e_mean": float(paper_ok.mean()) if len(paper_ok) else None,
               "paper_images": int(len(paper_ok)),
               "checkerboard_ratio": float(np.mean(self.checker[:n] if n else self.checker)) if self.checker else None,
               "edge_frame_delta_e": float(np.mean(self.edge[:n] if n else self.edge)) if self.edge else None}
        return {**out, **bleed_summary(self.bleed[:n] if n else self.bleed)}


def bleed_summary(per_image: list[dict[str, float]]) -> dict[str, Any]:
    """Pooled over the images: bleeding regions / counted regions, and the mean area share."""
    regions = sum(b["regions"] for b in per_image)
    bleeding = sum(b["bleeding"] for b in per_image)
    area = [b["area_share"] for b in per_image if math.isfinite(b["area_share"])]
    return {"bleed_share": bleeding / regions if regions else None, "bleed_regions": regions,
            "bleed_area_share": float(np.mean(area)) if area else None}


def score(candidate: Candidate, pairs: list[Pair], extractor, truth_features: np.ndarray | None,
          log, regions: list[Any] | None = None,
          colour: Callable[[list[Pair]], list[np.ndarray]] | None = None) -> tuple[Scores, list[np.ndarray]]:
    """The main table's row: the candidate's raw colouring without hints (``colour``: how to colour
    pairs, default ``candidate.colorize``), BATCH pairs at a time, with progress and ETA per image;
    ``seconds`` counts the colouring only."""
    subset = pairs[: candidate.limit] if candidate.limit else pairs
    regions = regions or pair_regions(subset)
    colour = colour or candidate.colorize
    s = Scores(candidate.name, candidate.kind, candidate.detail, len(subset), candidate.note)
    outputs: list[np.ndarray] = []
    with Progress(len(subset), candidate.name) as bar:
        for start in range(0, len(subset), BATCH):
            chunk = subset[start:start + BATCH]
            t0 = time.perf_counter()
            coloured = colour(chunk)
            s.seconds += time.perf_counter() - t0
            for p, out, r in zip(chunk, coloured, regions[start:start + BATCH], strict=False):
                _score_image(s, candidate.name, p, out, r)
            outputs += coloured
            bar.update(len(chunk))
    _score_fid(s, outputs, extractor, truth_features)
    log(score_line(s, extractor))
    return s, outputs


def truth_stats(pairs: list[Pair]) -> list[tuple[np.ndarray, np.ndarray]]:
    """(CIELAB, blank-paper mask) of each truth, computed once for the many rows that use them."""
    out = []
    for p in pairs:
        lab = metrics.srgb_to_lab(p.truth)
        out.append((lab, metrics.blank_paper_of_lab(lab)))
    return out


def score_outputs(candidate: Candidate, pairs: list[Pair], outputs: list[np.ndarray], regions: list[Any],
                  extractor, truth_features: np.ndarray | None, *, seconds: float = 0.0, mode: str = NETWORK_MODE,
                  dots: DotSet | None = None, artefacts: bool = True,
                  truths: list[tuple[np.ndarray, np.ndarray]] | None = None, progress: Progress | None = None) -> Scores:
    """Every metric of ``outputs`` against the pairs' truths (``artefacts``: also the decoder
    artefact columns); bleed over each pair's regions, their line pixels not judged. ``truths``:
    ``truth_stats(pairs)`` if the caller has them (ΔE2000 and paper whiteness exactly as
    ``metrics.mean_delta_e2000`` and ``metrics.paper_whiteness``, without recomputing the truth's side)."""
    s = Scores(candidate.name, candidate.kind, candidate.detail, len(pairs), candidate.note, seconds=seconds,
               mode=mode, dots=dots.count if dots else 0, placement=dots.placement if dots else "careful")
    for i, (p, out, r) in enumerate(zip(pairs, outputs, regions, strict=False)):
        _score_image(s, candidate.name, p, out, r, truths[i] if truths is not None else None, artefacts)
        if progress is not None:
            progress.update()
    _score_fid(s, outputs, extractor, truth_features)
    return s


def _score_image(s: Scores, name: str, p: Pair, out: np.ndarray, r, truth: tuple[np.ndarray, np.ndarray] | None = None,
                 artefacts: bool = True) -> None:
    """Append one image's metrics to ``s`` (``truth``: its ``truth_stats`` entry if the caller has it)."""
    if out.shape != p.truth.shape:
        raise ValueError(f"{name} returned {out.shape} for a {p.truth.shape} image")
    s.ssim.append(metrics.ssim(out, p.truth))
    if truth is None:
        s.delta_e.append(metrics.mean_delta_e2000(out, p.truth))
        s.paper.append(metrics.paper_whiteness(out, p.truth))
    else:
        truth_lab, paper = truth
        lab = metrics.srgb_to_lab(out)
        s.delta_e.append(float(metrics.delta_e2000(lab, truth_lab).mean()))
        s.paper.append(float(metrics.from_white(lab[paper]).mean()) if paper.any() else float("nan"))
    if artefacts:
        s.checker.append(metrics.checkerboard_ratio(out, p.truth))
        s.edge.append(metrics.edge_frame_delta_e(out, p.truth))
    s.bleed.append(metrics.region_bleed(out, r.labels, r.lines))


def _score_fid(s: Scores, outputs: list[np.ndarray], extractor, truth_features: np.ndarray | None) -> None:
    if extractor is not None and truth_features is not None and len(outputs) >= 2:
        s.fid = metrics.frechet_distance_of_features(extractor.embed(outputs), truth_features[: len(outputs)])


def score_line(s: Scores, extractor) -> str:
    bleed = s.summary()["bleed_share"]
    where = "" if (s.mode, s.dots) == (NETWORK_MODE, 0) else f" [{s.mode}, {s.dot_set.label} dots]"
    return (f"{s.name}{where}: SSIM {np.mean(s.ssim):.4f}, dE2000 {np.mean(s.delta_e):.2f}"
            + (f", bleed {100 * bleed:.1f} %" if bleed is not None else "")
            + (f", {extractor.label} {s.fid:.2f}" if s.fid is not None and extractor is not None else "")
            + f" ({s.seconds:.1f} s)")
