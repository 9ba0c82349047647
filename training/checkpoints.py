"""Training checkpoints (RUN/checkpoints/ckpt-N, written by the trainer's CheckpointManager) as the
other tools read them: evaluation, export and warm starts."""

from __future__ import annotations

import os


class CheckpointMismatch(ValueError):
    """The checkpoint does not hold the networks it was asked for."""


def step_of(prefix: str | os.PathLike) -> int | None:
    """N of a checkpoint prefix .../ckpt-N; None for a name without a step."""
    step = os.fspath(prefix).rsplit("-", 1)[-1]
    return int(step) if step.isdigit() else None


def restore_generator(model, prefix: str | os.PathLike) -> None:
    """Load the generator's weights from a training checkpoint (the trainer saves it as 'generator').

    Raises CheckpointMismatch when the checkpoint's generator has other variables than ``model``;
    a missing checkpoint raises tf.errors.NotFoundError.
    """
    import tensorflow as tf

    try:
        tf.train.Checkpoint(generator=model).restore(os.fspath(prefix)).expect_partial() \
            .assert_existing_objects_matched()
    except (AssertionError, ValueError) as exc:
        raise CheckpointMismatch(f"{os.fspath(prefix)} does not hold this generator "
                                 f"({str(exc).splitlines()[0][:200]})") from None
