"""The app's name and version. The version has one source, ``pyproject.toml``'s ``[project]
version``: read from that file in a checkout (so a bump shows at once, without reinstalling), else
from the installed package's metadata (pip installs, and the PyInstaller bundle, which carries
``ganime_studio-<version>.dist-info``). Qt-free and cheap: ``ganime --version`` prints it.

The installers take the same value: scripts/package_linux.sh and packaging/windows read
pyproject.toml and check that the bundle's ``ganime --version`` agrees.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

APP_NAME = "GANime Studio"
DIST_NAME = "ganime-studio"
_PROJECT_TABLE = re.compile(r"^\[project\][ \t]*$(.*?)(?=^\[|\Z)", re.MULTILINE | re.DOTALL)


def _key(table: str, key: str) -> str | None:
    found = re.search(rf'^{key}\s*=\s*"([^"]+)"', table, re.MULTILINE)
    return found.group(1) if found else None


def version_from_pyproject(text: str) -> str | None:
    """``[project] version`` of a pyproject.toml's text, when it is this project's."""
    table = _PROJECT_TABLE.search(text)  # a regex, not tomllib: Python 3.10 has no tomllib
    if table is None or _key(table.group(1), "name") != DIST_NAME:
        return None
    return _key(table.group(1), "version")


@cache
def app_version() -> str:
    checkout = Path(__file__).resolve().parents[1] / "pyproject.toml"
    try:
        from_checkout = version_from_pyproject(checkout.read_text(encoding="utf-8"))
    except OSError:  # an installed or frozen app: no pyproject.toml beside the package
        from_checkout = None
    if from_checkout:
        return from_checkout
    from importlib import metadata  # here, not at the top: its import costs the app's start ~0.1 s

    try:
        return metadata.version(DIST_NAME)
    except metadata.PackageNotFoundError:
        return "unknown"


def version_line() -> str:
    """What ``ganime --version`` prints."""
    return f"{APP_NAME} {app_version()}"
