"""The frozen app's entry point (build.spec): the same `ganime` command as the console script.

ganime_desktop/__main__.py uses a relative import, so PyInstaller needs this absolute one.
"""

import sys

from ganime_desktop.cli import main

if __name__ == "__main__":
    sys.exit(main())
