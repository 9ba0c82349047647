"""Cooperative cancellation: long steps call ``check(should_cancel)`` between units of work."""

from __future__ import annotations

from collections.abc import Callable


class Cancelled(Exception):
    """The user cancelled; the work in progress was discarded and nothing was written."""


def check(should_cancel: Callable[[], bool] | None) -> None:
    if should_cancel is not None and should_cancel():
        raise Cancelled("cancelled by the user")
