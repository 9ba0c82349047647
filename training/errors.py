"""User-facing training errors, importable without TensorFlow (the CLI catches them)."""

from ganime_desktop.core.errors import GanimeError


class TrainingError(GanimeError):
    """A user-facing problem (bad flags, data, run directory): printed without a traceback."""
