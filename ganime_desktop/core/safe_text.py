"""File names that are not UTF-8, rendered so they can be printed, shown and written as UTF-8.

On Linux a file name is bytes; Python decodes the bytes that are not UTF-8 (a Shift-JIS name
from a zip made on Japanese Windows) to lone surrogates, which open the file fine but cannot be
encoded into a UTF-8 report. ``printable`` writes each such byte as ``\\xNN`` instead.
"""

from __future__ import annotations


def printable(text: str) -> str:
    """``text`` with every undecodable file-name byte written as ``\\xNN`` (unchanged when it is
    valid Unicode already)."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        pass
    try:  # bytes Python's file-system decoding kept as surrogates (POSIX)
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:  # other lone surrogates (a Windows name): \udXXX
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
