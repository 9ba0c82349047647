"""User-facing training errors, importable without TensorFlow (the CLI catches them)."""


class TrainingError(Exception):
    """A user-facing problem (bad flags, data, run directory): printed without a traceback."""
