"""The errors that mean "the user gave something unusable": reported as one line, no traceback."""

from ganime_desktop.core.errors import GanimeError

# Every project error a user can fix derives from GanimeError (ganime_desktop/core/errors.py).
# OSError: an unwritable output folder, a full disk; its message names the path.
USER_ERRORS = (GanimeError, OSError)
