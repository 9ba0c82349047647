"""Natural sort: p2 before p10, per path component, case-insensitively. One rule for the batch's
page order, the hints' "previous page" and the training data's file order."""

from __future__ import annotations

import re
from pathlib import Path

_DIGITS = re.compile(r"(\d+)")


def natural_key(path: str | Path) -> tuple:
    """Sort key of a path (or a file name): digit runs compare as numbers, the rest casefolded."""
    parts = Path(path).as_posix().split("/")
    return tuple(tuple((0, int(t), t) if t.isdigit() else (1, 0, t.casefold()) for t in _DIGITS.split(p))
                 for p in parts)
