"""Which pairs of ``sketch-pairs-real/train`` the fine-tunes on real line art hold out to choose among
runs (issue 29, docs/models.md): every 4th Kaggle-style ``kg_`` page (from the 2nd) and every 7th
hand-drawn ``tw_`` page (from the 3rd), by sorted name, 21 of 127; every ``db_``/``hd_``/``lx_`` pair
trains. ``benchmarks/real_validation_split.py`` lays the split out as folders; the GPU fine-tune packs
only the pairs that train."""

from __future__ import annotations

HELD_OUT = {"kg_": (4, 1), "tw_": (7, 2)}  # prefix: (every n-th, starting at index k) of the sorted names


def held_out(names: list[str]) -> set[str]:
    out = set()
    for prefix, (every, first) in HELD_OUT.items():
        kind = sorted(n for n in names if n.startswith(prefix))
        out.update(kind[first::every])
    return out
