"""How many result panes go in each row (compare_panes.py lays them out; Qt-free arithmetic).

"auto" picks the arrangement in which a fitted page is shown largest: the count of panes, the
shape of the space they share and the page's shape decide (four portrait pages in a wide window:
a 2 x 2 grid, not four slivers side by side). Without those sizes it keeps one row for up to two
panes and a grid beyond. "row" is always one row; "grid" is about square. Rows are balanced so
that none is half empty, fuller rows first; the last row's panes share its width.
"""

from __future__ import annotations

import math

LAYOUTS = ("auto", "row", "grid")
SPACING = 4  # pixels between panes and between rows (compare_panes.py)
PANE_CHROME = (10, 34)  # width, height a pane takes around its image: frame, margins, header line


def balanced_rows(count: int, columns: int) -> list[int]:
    """``count`` panes in rows of at most ``columns``, as even as can be, fuller rows first."""
    if count <= 0:
        return []
    rows = math.ceil(count / max(1, columns))
    base, extra = divmod(count, rows)
    return [base + 1] * extra + [base] * (rows - extra)


def fitted_zoom(rows: list[int], area: tuple[int, int], page: tuple[int, int]) -> float:
    """The zoom at which the page fits the smallest pane of ``rows`` laid out in ``area`` (w, h)."""
    (aw, ah), (pw, ph) = area, page
    widest = max(rows)
    cell_w = (aw - SPACING * (widest - 1)) / widest - PANE_CHROME[0]
    cell_h = (ah - SPACING * (len(rows) - 1)) / len(rows) - PANE_CHROME[1]
    return max(0.0, min(cell_w / pw, cell_h / ph))


def best_rows(count: int, area: tuple[int, int], page: tuple[int, int]) -> list[int]:
    """The arrangement of ``count`` panes that shows the page largest; on a tie, fewer rows."""
    best, best_zoom = [count], -1.0
    for columns in range(count, 0, -1):
        rows = balanced_rows(count, columns)
        zoom = fitted_zoom(rows, area, page)
        if zoom > best_zoom * 1.001:  # clearly larger, not a rounding tie
            best, best_zoom = rows, zoom
    return best


def row_sizes(count: int, layout: str = "auto", area: tuple[int, int] | None = None,
              page: tuple[int, int] | None = None) -> list[int]:
    """Panes per row for ``count`` panes; ``area`` (w, h) the space they share and ``page`` (w, h)
    the image they show, when known ("auto" then picks by shape)."""
    if count <= 0:
        return []
    if layout == "row":
        return [count]
    if layout == "auto":
        usable = area is not None and page is not None and min(*area, *page) > 0
        if usable:
            return best_rows(count, area, page)
        if count <= 2:
            return [count]
    return balanced_rows(count, math.ceil(math.sqrt(count)))
