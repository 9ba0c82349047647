"""The shared libraries an ELF file names as needed (DT_NEEDED), read straight from the file: no
binutils. Used by build.spec (to leave out the libraries only unused Qt plugins need) and by
tests/test_packaging.py (every system library the bundle needs is a declared .deb dependency)."""

from __future__ import annotations

import struct
from pathlib import Path

SHT_DYNAMIC = 6
DT_NULL, DT_NEEDED = 0, 1


def needed(path: str | Path) -> list[str] | None:
    """DT_NEEDED sonames of a 64-bit little-endian ELF file; None for anything else."""
    with open(path, "rb") as f:
        if f.read(6) != b"\x7fELF\x02\x01":
            return None
        data = f.read()
    data = b"\x7fELF\x02\x01" + data
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum = struct.unpack_from("<HH", data, 0x3A)
    sections = [struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize) for i in range(shnum)]
    names = []
    for _name, kind, _flags, _addr, offset, size, link, _info, _align, entsize in sections:
        if kind != SHT_DYNAMIC:
            continue
        strings = sections[link][4]
        for pos in range(offset, offset + size, entsize or 16):
            tag, value = struct.unpack_from("<qQ", data, pos)
            if tag == DT_NULL:
                break
            if tag == DT_NEEDED:
                start = strings + value
                names.append(data[start:data.index(b"\0", start)].decode())
    return names


def only_needed_by(dropped: list[tuple[str, str]], kept: list[tuple[str, str]]) -> set[str]:
    """Of (name, path) binaries, the kept ones that only the dropped ones need, directly or through
    each other: safe to leave out with them. Names are matched by file name (the soname)."""
    by_name = {Path(name).name: (name, path) for name, path in kept}
    needs = {name: needed(path) or [] for name, path in [*dropped, *kept]}
    candidates: set[str] = set()
    stack = [n for name, _ in dropped for n in needs[name]]
    while stack:
        soname = stack.pop()
        if soname in by_name and by_name[soname][0] not in candidates:
            candidates.add(by_name[soname][0])
            stack.extend(needs[by_name[soname][0]])
    changed = True
    while changed:  # a candidate that something else kept needs stays
        changed = False
        for name, _ in kept:
            if name in candidates:
                continue
            for soname in needs[name]:
                if soname in by_name and by_name[soname][0] in candidates:
                    candidates.discard(by_name[soname][0])
                    changed = True
    return candidates
