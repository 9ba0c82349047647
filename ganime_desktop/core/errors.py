"""The base of every error that means "this input cannot be used": a file, a folder, a model, a
flag. Its message names the thing and the fix; the command-line tools (`ganime colorize`,
`python -m training`, `python -m export`) print it as one line, never a traceback."""

from __future__ import annotations


class GanimeError(Exception):
    """A problem the user can fix; the message says which file or setting and what to do."""
