"""What a coloured reference page says about the regions of another page (issue 28, "colour a
chapter like one coloured page"): per region, its colour in the reference and whether the
reference decides it. ``core/reference_match.py`` makes one; ``PageColouring(reference=...)``
(core/colour_modes.py) lays it over the network's region colours; hints are applied after it,
so they still win.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .reference_pool import VotePool, hedged


@dataclass(frozen=True, eq=False)
class ReferenceColours:
    """``rgb``: (count, 3) uint8, each region's colour in the reference; ``decided``: (count,)
    bool, the regions whose colour the reference decides (the rest keep the network's);
    ``paper``: (count,) bool, decided regions that the reference shows as blank paper (white,
    no shading); ``confidence``: (count,) float32 0..1, the share of the region's samples that
    agree with its decision (0 where undecided); ``score``: how well the page's line art
    matched the reference's (normalised correlation after registration, 0..1); ``pool``: the
    votes kept when the page matched the reference only in part (core/reference_pool.py), so
    that ``apply`` can pool a region's with its part's."""

    rgb: np.ndarray
    decided: np.ndarray
    paper: np.ndarray
    confidence: np.ndarray
    score: float = 0.0
    pool: VotePool | None = None

    @property
    def count(self) -> int:
        return int(self.decided.size)

    def apply(self, rgb: np.ndarray, background: np.ndarray,
              parts: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """The network's region colours and paper flags -> the same with the reference's decisions.
        ``parts``: (count,) each region's part in the network's colouring (core/parts.py), for a
        page that matched the reference only in part (``pool``): its decided regions pool their
        part's votes and are hedged with the network's colour (core/reference_pool.py)."""
        if rgb.shape[0] != self.count:
            raise ValueError(f"reference colours for {self.count} regions, the page has {rgb.shape[0]}")
        rgb = rgb.copy()
        colour = self.decided & ~self.paper
        ours = self.rgb
        if self.pool is not None and parts is not None:  # matched in part: pooled, and hedged with the network
            ours = hedged(self.pool.with_parts(self.rgb, colour, parts), rgb, self.score)
        rgb[colour] = ours[colour]
        background = np.where(self.decided, self.paper, background)
        rgb[background] = 255
        return rgb, background

    def mask(self, labels: np.ndarray, hints: np.ndarray | None = None) -> np.ndarray:
        """HxW uint8: 255 where the reference decided the colour, 0 where the network did or a
        hint (HxWx4 RGBA, alpha > 0) touches the region: hints win."""
        decided = self.decided
        if hints is not None and hints[:, :, 3].any():
            decided = decided.copy()
            decided[np.unique(labels[hints[:, :, 3] > 0])] = False
        return np.where(decided, 255, 0).astype(np.uint8)[labels]
