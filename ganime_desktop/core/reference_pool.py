"""The reference's votes kept for colouring when the page matches it only in part (issue 28: the
same character drawn in another pose): each vote weighted by how well the two line arts agree
where it was cast, and a region whose own votes were cast where they agree badly takes the
colour of its whole part's best-agreeing votes.

When the whole line art aligns (the same drawing moved: the registration's score is high) every
region's own votes are right and are used as they are (core/reference_match.py). When it
aligns only in places (another pose), a region's votes are only as good as the local agreement
where they landed (measured on the 50 train portraits coloured like their splash art: regions
whose votes landed where the inks agree to 0.97 or better came within 5 ΔE2000 of their true
colour, those under 0.88 no nearer than the network's own guess). So there:

- each vote counts ``agreement ** AGREEMENT_POWER``, pooled over the best ``FUSED_HYPOTHESES``
  registrations (a vote lands well in one of them or the other), and a region takes their
  weighted mean: the few well-aligned votes decide, the rest hardly count;
- a region decided by the reference whose votes agree less than ``PART_AGREEMENT`` on average
  takes the weighted mean of its part's votes instead (core/parts.py: the regions the network
  coloured alike, separated only by interior lines: strands of one lock of hair), when the
  part has other regions;
- and each decided region's colour is hedged with the network's own: moved from the reference's
  colour toward the network's (CIE Lab) by a share that grows as the registration's score falls
  below CROSS_POSE_SCORE, up to ``MAX_NETWORK_SHARE`` at ``SHARE_SPAN`` below it. Across poses
  the two are independent guesses, each often wrong, and a point between two guesses is nearer
  the truth on average than either (train portraits 22.05 -> 21.62; a constant share of 0.2 ...
  0.5: 21.68 ... 21.76, but a constant share also hedged the same drawing moved, where the
  reference is right: the hand-drawn warp protocol lost 0.17).

Which regions the reference decides does not change (the mask still says which parts came from
it); only their colours. The numbers (train portraits / test portraits / the other direction /
the warp protocol) are in docs/reference-colouring.md.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .colour import lab_to_rgb, rgb8_to_lab

CROSS_POSE_SCORE = 0.85  # below this registration score the page matches the reference only in part
FUSED_HYPOTHESES = 2  # registrations whose votes are pooled there
AGREEMENT_POWER = 16  # a vote's weight: the local agreement of the two inks where it landed, to this power
PART_AGREEMENT = 0.93  # a decided region whose votes agree less than this on average takes its part's colour
MAX_NETWORK_SHARE = 0.5  # how far a decided region's colour moves toward the network's, at most ...
SHARE_SPAN = 0.2  # ... reached this far below CROSS_POSE_SCORE (a score of 0.65)


def _weighted_mean(groups: np.ndarray, lab: np.ndarray, weight: np.ndarray, count: int) -> tuple[np.ndarray, np.ndarray]:
    total = np.bincount(groups, weights=weight, minlength=count)
    mean = np.stack([np.bincount(groups, weights=weight * lab[:, c], minlength=count) for c in range(3)], axis=1)
    return mean / np.maximum(total, 1e-12)[:, None], total


def _rgb8(lab: np.ndarray) -> np.ndarray:
    return np.clip(lab_to_rgb(lab.astype(np.float32)) * 255.0 + 0.5, 0, 255).astype(np.uint8)


def network_share(score: float) -> float:
    """How far a region's colour moves toward the network's on a page registered with ``score``."""
    return MAX_NETWORK_SHARE * float(np.clip((CROSS_POSE_SCORE - score) / SHARE_SPAN, 0.0, 1.0))


def hedged(reference_rgb: np.ndarray, network_rgb: np.ndarray, score: float) -> np.ndarray:
    """(count, 3) uint8: each colour moved ``network_share(score)`` of the way toward the network's, in Lab."""
    share = network_share(score)
    return _rgb8(rgb8_to_lab(reference_rgb) * (1 - share) + rgb8_to_lab(network_rgb) * share)


@dataclass(frozen=True, eq=False)
class VotePool:
    """The votes on the reference's colour of every hypothesis pooled: ``labels`` (N,) the page
    region of each vote, ``lab`` (N, 3) float32 the reference colour it landed on, ``agreement``
    (N,) float32 the local agreement of the inks there (0..1). ``own_paper`` (count,) bool: the
    regions that are their own part (the page's paper and open shapes)."""

    labels: np.ndarray
    lab: np.ndarray
    agreement: np.ndarray
    own_paper: np.ndarray

    @property
    def count(self) -> int:
        return int(self.own_paper.size)

    def _weight(self) -> np.ndarray:
        return self.agreement.astype(np.float64) ** AGREEMENT_POWER

    def region_rgb(self) -> np.ndarray:
        """(count, 3) uint8: each region's agreement-weighted mean colour (white without votes)."""
        mean, total = _weighted_mean(self.labels, self.lab, self._weight() + 1e-6, self.count)
        rgb = _rgb8(mean)
        rgb[total <= 0] = 255
        return rgb

    def region_agreement(self) -> np.ndarray:
        """(count,) each region's votes' mean agreement (0 without votes)."""
        n = np.bincount(self.labels, minlength=self.count)
        return np.bincount(self.labels, weights=self.agreement, minlength=self.count) / np.maximum(n, 1)

    def with_parts(self, rgb: np.ndarray, decided: np.ndarray, parts: np.ndarray) -> np.ndarray:
        """``rgb`` (count, 3) with the decided regions whose own votes agree badly given their
        part's agreement-weighted mean colour (``parts``: (count,) each region's part)."""
        parts = np.where(self.own_paper, np.arange(self.count), parts)
        figure = ~self.own_paper[self.labels]
        mean, total = _weighted_mean(parts[self.labels[figure]], self.lab[figure], self._weight()[figure], self.count)
        shared = np.bincount(parts, minlength=self.count)[parts] > 1
        weak = decided & (self.region_agreement() < PART_AGREEMENT) & shared & (total[parts] > 0)
        if not weak.any():
            return rgb
        rgb = rgb.copy()
        rgb[weak] = _rgb8(mean[parts[weak]])
        return rgb
