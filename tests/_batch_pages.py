"""A chapter folder with every kind of file a batch meets, for the batch tests."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np


def sketch_page(h: int, w: int, seed: int = 0) -> np.ndarray:
    """White paper with black strokes (gray HxW uint8)."""
    rng = np.random.default_rng(seed)
    gray = np.full((h, w), 255, np.uint8)
    for _ in range(12):
        p1 = (int(rng.integers(0, w)), int(rng.integers(0, h)))
        p2 = (int(rng.integers(0, w)), int(rng.integers(0, h)))
        cv2.line(gray, p1, p2, 0, 2)
    return gray


def _save(path: Path, img: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    ok, data = cv2.imencode(path.suffix, img)
    assert ok
    data.tofile(path)


# Pages that must be coloured, with their sizes (h, w), relative to the input folder.
GOOD_PAGES = {
    "p1.png": (90, 70),
    "p2.jpg": (80, 60),
    "p10.png": (70, 90),
    "gray.png": (64, 48),
    "alpha.png": (50, 40),
    "Seite_ü_漫画.png": (40, 56),
    "sub/p3.webp": (60, 60),
}


def make_chapter(folder: Path) -> Path:
    """Good pages (PNG/JPEG/WebP, grayscale, RGBA, a non-ASCII name, a subfolder), a corrupt
    image, a text file, and a hidden file."""
    for i, (name, (h, w)) in enumerate(GOOD_PAGES.items()):
        gray = sketch_page(h, w, seed=i)
        if name == "gray.png":
            img = gray
        elif name == "alpha.png":
            img = np.dstack([cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR), np.full((h, w), 255, np.uint8)])
            img[: h // 2, :, 3] = 0  # transparent top half: white paper once composited
        else:
            img = cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR)
        _save(folder / name, img)
    (folder / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0" + bytes(range(256)) * 4)
    (folder / "notes.txt").write_text("page order: p1, p2, p10\n", encoding="utf-8")
    (folder / ".DS_Store").write_bytes(b"\x00\x01")
    return folder
