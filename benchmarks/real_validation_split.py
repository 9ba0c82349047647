"""The validation split of the fine-tunes on real line art (issue 29, docs/models.md): 21 of the 127
pairs of ``sketch-pairs-real/train`` held out, every 4th Kaggle-style ``kg_`` page (from the 2nd) and
every 7th hand-drawn ``tw_`` page (from the 3rd), by sorted name; the other 106 (and every
``db_``/``hd_``/``lx_`` pair) train.

Run by hand: .venv/bin/python benchmarks/real_validation_split.py [OUT] (default /tmp/real-split)
Writes OUT/train-root/train/ (give ``--data OUT/train-root`` to training) and OUT/val-root/test/
(``evaluate --data OUT/val-root --split test``) as links to the pairs (copies where links fail),
each root with the data set's README (it names the layout).
"""

from __future__ import annotations

import argparse
import os
import shutil
from pathlib import Path

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "sketch-pairs-real"
HELD_OUT = {"kg_": (4, 1), "tw_": (7, 2)}  # prefix: (every n-th, starting at index k) of the sorted names


def held_out(names: list[str]) -> set[str]:
    out = set()
    for prefix, (every, first) in HELD_OUT.items():
        kind = sorted(n for n in names if n.startswith(prefix))
        out.update(kind[first::every])
    return out


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
