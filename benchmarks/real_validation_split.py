"""The validation split of the fine-tunes on real line art (issue 29, docs/models.md): 21 of the 127
pairs of ``sketch-pairs-real/train`` held out (``training/real_validation.py`` says which); the other
106 train.

Run by hand: .venv/bin/python benchmarks/real_validation_split.py [OUT] (default /tmp/real-split)
Writes OUT/train-root/train/ (give ``--data OUT/train-root`` to training) and OUT/val-root/test/
(``evaluate --data OUT/val-root --split test``) as links to the pairs (copies where links fail),
each root with the data set's README (it names the layout).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from training.real_validation import held_out  # noqa: E402  (the repository's package, run as a script)

DATA = REPO.parent / "shared" / "data" / "sketch-pairs-real"


def _place(src: Path, dst: Path) -> None:
    try:
        os.symlink(src, dst)
    except OSError:  # no symlinks here (Windows without the right): a copy
        shutil.copyfile(src, dst)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", nargs="?", type=Path, default=Path("/tmp/real-split"))
    parser.add_argument("--data", type=Path, default=DATA, help="sketch-pairs-real (default: %(default)s)")
    args = parser.parse_args()
    names = sorted(p.name for p in (args.data / "train").iterdir() if p.suffix.lower() in (".jpg", ".png"))
    val = held_out(names)
    for root, split, chosen in (("train-root", "train", [n for n in names if n not in val]),
                                ("val-root", "test", sorted(val))):
        folder = args.out / root / split
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
        shutil.copyfile(args.data / "README.md", args.out / root / "README.md")
        for name in chosen:
            _place((args.data / "train" / name).resolve(), folder / name)
        print(f"{folder}: {len(chosen)} pairs")


if __name__ == "__main__":
    main()
