"""Reading an OpenRaster file back as an editor does, to check what core.layers writes."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import numpy as np
from PIL import Image


def check_and_compose(path: Path) -> tuple[np.ndarray, np.ndarray, list[dict]]:
    """Check the file's structure (OpenRaster 0.0.5) and composite its stack bottom-up with the
    W3C formulas of its composite ops (hidden layers left out, as editors show them). Returns (composite, mergedimage.png, the layers' attributes)."""
    data = path.read_bytes()
    # Readers sniff the type: the first local header holds "mimetype", stored, then its content.
    assert data[:4] == b"PK\x03\x04" and data[30:38] == b"mimetype" and data[38:54] == b"image/openraster"
    with zipfile.ZipFile(path) as zf:
        assert zf.testzip() is None
        first = zf.infolist()[0]
        assert first.filename == "mimetype" and first.compress_type == zipfile.ZIP_STORED and not first.extra
        names = set(zf.namelist())
        assert {"stack.xml", "mergedimage.png", "Thumbnails/thumbnail.png"} <= names
        root = ET.fromstring(zf.read("stack.xml"))
        assert root.tag == "image" and root.get("version")
        w, h = int(root.get("w")), int(root.get("h"))
        stacks = root.findall("stack")
        assert len(stacks) == 1
        layers = [dict(layer.attrib) for layer in stacks[0].findall("layer")]

        def png(name: str) -> np.ndarray:
            return np.array(Image.open(io.BytesIO(zf.read(name))).convert("RGBA"), np.float64) / 255.0

        canvas = np.zeros((h, w, 3))
        for attrs in reversed(layers):  # the first layer in stack.xml is the top one
            assert attrs["src"] in names and attrs["src"].startswith("data/") and attrs["src"].endswith(".png")
            assert attrs.get("visibility", "visible") in ("visible", "hidden")
            pixels = png(attrs["src"])
            assert pixels.shape == (h, w, 4) and int(attrs.get("x", 0)) == 0 and int(attrs.get("y", 0)) == 0
            if attrs.get("visibility") == "hidden":  # editors show it only when asked (a reference mask)
                continue
            alpha = pixels[:, :, 3:] * float(attrs.get("opacity", 1.0))
            op = attrs.get("composite-op", "svg:src-over")
            if op == "svg:src-over":
                canvas = pixels[:, :, :3] * alpha + canvas * (1.0 - alpha)
            elif op == "svg:multiply":  # over an opaque backdrop
                canvas = canvas * (pixels[:, :, :3] * alpha + (1.0 - alpha))
            else:
                raise AssertionError(f"unexpected composite op {op}")
        merged = np.array(Image.open(io.BytesIO(zf.read("mergedimage.png"))).convert("RGB"))
        thumb = Image.open(io.BytesIO(zf.read("Thumbnails/thumbnail.png")))
        assert merged.shape == (h, w, 3) and max(thumb.size) <= 256
    return np.clip(canvas * 255.0 + 0.5, 0, 255).astype(np.uint8), merged, layers
