"""Synthetic pages for the fill tests (core/hint_fill.py, parts.py, gap_close.py): line art whose
parts are known, drawn with the faults of real pencil pages.

``leg_page``: a body (closed box) on paper with a leg below it, cut by the page's bottom edge.
The leg's outlines stop ``edge_gap`` px above the edge and the left one has a ``side_gap`` px gap;
the leg is ``width`` px wide inside: only the segmentation's small balls fit in it, and they pass
the gap at the page's edge, so the leg joins the paper.

``hair_page``: a closed shape of hair cut into strands by lines from its top that end 6 px above
its bottom outline: the balls do not pass the gaps at their ends, so each strand is a region of
its own, touching the next through the gap; one small closed ring (a hair ornament) inside is a
part of its own.
"""

from __future__ import annotations

import numpy as np

H, W = 300, 240
LINE = 0


def leg_page(edge_gap: int = 6, side_gap: int = 6, width: int = 16) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(gray, leg mask, paper mask): the masks are the truth, lines excluded."""
    gray = np.full((H, W), 255, np.uint8)
    body = (40, 160, 60, 180)  # top, bottom, left, right
    top, bottom, left, right = body
    gray[top:top + 2, left:right] = LINE
    gray[bottom - 2:bottom, left:right] = LINE
    gray[top:bottom, left:left + 2] = LINE
    gray[top:bottom, right - 2:right] = LINE
    leg_left, leg_right = 100, 102 + width  # a narrow leg, ``width`` px inside its lines
    gray[bottom:H - edge_gap, leg_left:leg_left + 2] = LINE
    gray[bottom:H - edge_gap, leg_right:leg_right + 2] = LINE
    gray[220:220 + side_gap, leg_left:leg_left + 2] = 255  # a gap in the left outline
    leg = np.zeros((H, W), bool)
    leg[bottom:H, leg_left + 2:leg_right] = True
    inside_body = np.zeros((H, W), bool)
    inside_body[top + 2:bottom - 2, left + 2:right - 2] = True
    paper = (gray == 255) & ~leg & ~inside_body
    return gray, leg & (gray == 255), paper


def hair_page() -> tuple[np.ndarray, np.ndarray, np.ndarray, list[np.ndarray]]:
    """(gray, hair mask, ornament mask, strand masks), the masks off the lines."""
    gray = np.full((H, W), 255, np.uint8)
    top, bottom, left, right = 30, 250, 30, 210
    gray[top:top + 2, left:right] = LINE
    gray[bottom - 2:bottom, left:right] = LINE
    gray[top:bottom, left:left + 2] = LINE
    gray[top:bottom, right - 2:right] = LINE
    strand_x = list(range(60, 190, 30))
    for x in strand_x:
        gray[top:bottom - 8, x:x + 2] = LINE
    ring = (80, 110, 158, 172)  # a closed ornament inside one strand, the strand flowing round it
    rt, rb, rl, rr = ring
    gray[rt:rt + 2, rl:rr] = LINE
    gray[rb - 2:rb, rl:rr] = LINE
    gray[rt:rb, rl:rl + 2] = LINE
    gray[rt:rb, rr - 2:rr] = LINE
    hair = np.zeros((H, W), bool)
    hair[top + 2:bottom - 2, left + 2:right - 2] = True
    ornament = np.zeros((H, W), bool)
    ornament[rt + 2:rb - 2, rl + 2:rr - 2] = True
    hair &= ~ornament & (gray == 255)
    edges = [left + 2, *(x + 2 for x in strand_x), right - 2]
    strands = []
    for a, b in zip(edges[:-1], edges[1:], strict=True):
        strand = np.zeros((H, W), bool)
        strand[top + 2:bottom - 12, a:b - 2 if b != right - 2 else b] = True
        strands.append(strand & hair)
    return gray, hair, ornament, strands
