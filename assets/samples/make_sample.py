"""Regenerate assets/samples/sketch_bust.png: an anime-style head and bust in black line art.

Drawn from scratch with OpenCV's anti-aliased lines (no training data, no third-party art), so the
app ships a sample it may redistribute. Run: ``python assets/samples/make_sample.py [OUT.png]``.

The drawing is made at 2x and downscaled with INTER_AREA, which gives smooth, slightly varying
line weights like an inked sketch.
"""

from __future__ import annotations

import sys
from pathlib import Path

import cv2
import numpy as np

WIDTH, HEIGHT = 640, 768
SCALE = 2  # supersampling factor
INK = (0, 0, 0)
OUT = Path(__file__).with_name("sketch_bust.png")


def curve(*points: tuple[float, float], n: int = 64) -> np.ndarray:
    """Points of the Bezier curve with these control points (de Casteljau), in output pixels."""
    pts = np.asarray(points, np.float64)
    t = np.linspace(0.0, 1.0, n)
    layers = [np.broadcast_to(q, (n, 2)) for q in pts]
    while len(layers) > 1:
        layers = [(1 - t)[:, None] * a + t[:, None] * b for a, b in zip(layers, layers[1:], strict=False)]
    return layers[0]


class Pen:
    def __init__(self) -> None:
        self.img = np.full((HEIGHT * SCALE, WIDTH * SCALE, 3), 255, np.uint8)

    def _pts(self, pts: np.ndarray) -> np.ndarray:
        return np.round(np.asarray(pts) * SCALE * 16).astype(np.int32).reshape(-1, 1, 2)

    def line(self, pts: np.ndarray, width: float = 2.0, closed: bool = False) -> None:
        cv2.polylines(self.img, [self._pts(pts)], closed, INK, max(1, round(width * SCALE)), cv2.LINE_AA, shift=4)

    def stroke(self, *points: tuple[float, float], width: float = 2.0, taper: bool = True) -> None:
        """A Bezier stroke whose width tapers towards both ends, like a brush pen."""
        pts = curve(*points, n=48)
        for i in range(len(pts) - 1):
            k = min(i, len(pts) - 2 - i) / (len(pts) / 2) if taper else 1.0
            w = width * (0.35 + 0.65 * min(1.0, 2.5 * k))
            self.line(pts[i:i + 2], w)

    def ellipse(self, centre, axes, angle=0.0, start=0, end=360, width=2.0, fill=None) -> None:
        c = tuple(int(round(v * SCALE * 16)) for v in centre)
        a = tuple(int(round(v * SCALE * 16)) for v in axes)
        if fill is not None:
            cv2.ellipse(self.img, c, a, angle, start, end, fill, -1, cv2.LINE_AA, shift=4)
        if width:
            cv2.ellipse(self.img, c, a, angle, start, end, INK, max(1, round(width * SCALE)), cv2.LINE_AA,
                        shift=4)

    def fill(self, pts: np.ndarray, colour=INK) -> None:
        cv2.fillPoly(self.img, [self._pts(pts)], colour, cv2.LINE_AA, shift=4)

    def result(self) -> np.ndarray:
        return cv2.resize(self.img, (WIDTH, HEIGHT), interpolation=cv2.INTER_AREA)


def draw_eye(pen: Pen, cx: float, cy: float, mirror: int) -> None:
    """A large anime eye: heavy upper lash line, iris with pupil and two highlights, lower lid."""
    m = mirror  # +1 right eye (viewer's right), -1 left
    # upper lid: thick, sweeping outwards
    pen.stroke((cx - 38 * m, cy + 2), (cx - 20 * m, cy - 22), (cx + 22 * m, cy - 24), (cx + 44 * m, cy - 6),
               width=5.5)
    pen.stroke((cx + 40 * m, cy - 8), (cx + 48 * m, cy - 10), (cx + 54 * m, cy - 16), width=3.0)  # lash flick
    # lower lid: a short light line
    pen.stroke((cx - 26 * m, cy + 34), (cx - 4 * m, cy + 40), (cx + 24 * m, cy + 36), width=1.8)
    # iris and pupil
    pen.ellipse((cx + 2 * m, cy + 10), (23, 29), width=2.2)
    pen.ellipse((cx + 2 * m, cy + 12), (12, 16), width=0, fill=INK)
    pen.ellipse((cx + 2 * m, cy + 10), (17, 22), start=200, end=340, width=1.4)  # iris shading ring
    # highlights (white over the pupil, outlined)
    pen.ellipse((cx - 8 * m, cy - 1), (7, 8), width=1.2, fill=(255, 255, 255))
    pen.ellipse((cx + 11 * m, cy + 24), (3.5, 3.5), width=1.0, fill=(255, 255, 255))
    # eyebrow
    pen.stroke((cx - 30 * m, cy - 50), (cx, cy - 60), (cx + 36 * m, cy - 54), width=3.2)


def draw(pen: Pen) -> None:
    cx = WIDTH / 2
    # --- neck and shoulders (bust) --------------------------------------------------------------
    pen.stroke((cx - 52, 520), (cx - 50, 570), (cx - 56, 610), width=2.6, taper=False)
    pen.stroke((cx + 52, 520), (cx + 50, 570), (cx + 56, 610), width=2.6, taper=False)
    pen.stroke((cx - 56, 610), (cx - 150, 628), (cx - 240, 660), (cx - 280, 768), width=3.0, taper=False)
    pen.stroke((cx + 56, 610), (cx + 150, 628), (cx + 240, 660), (cx + 280, 768), width=3.0, taper=False)
    pen.stroke((cx - 30, 585), (cx, 596), (cx + 30, 585), width=1.5)  # neck shadow line
    # --- sailor-style collar with a bow ---------------------------------------------------------
    pen.stroke((cx - 56, 612), (cx - 30, 660), (cx - 6, 700), width=2.6, taper=False)
    pen.stroke((cx + 56, 612), (cx + 30, 660), (cx + 6, 700), width=2.6, taper=False)
    pen.stroke((cx - 58, 612), (cx - 150, 650), (cx - 200, 700), (cx - 180, 740), width=2.6, taper=False)
    pen.stroke((cx + 58, 612), (cx + 150, 650), (cx + 200, 700), (cx + 180, 740), width=2.6, taper=False)
    pen.stroke((cx - 180, 740), (cx - 90, 730), (cx - 6, 700), width=2.6, taper=False)
    pen.stroke((cx + 180, 740), (cx + 90, 730), (cx + 6, 700), width=2.6, taper=False)
    pen.stroke((cx - 160, 700), (cx - 100, 705), (cx - 30, 680), width=1.6, taper=False)  # collar stripe
    pen.stroke((cx + 160, 700), (cx + 100, 705), (cx + 30, 680), width=1.6, taper=False)
    # bow: two loops, a knot, two tails
    pen.ellipse((cx, 706), (13, 11), width=2.4)
    pen.line(curve((cx - 12, 702), (cx - 60, 670), (cx - 70, 730), (cx - 12, 712)), 2.4)
    pen.line(curve((cx + 12, 702), (cx + 60, 670), (cx + 70, 730), (cx + 12, 712)), 2.4)
    pen.line(curve((cx - 8, 716), (cx - 30, 740), (cx - 40, 768)), 2.2)
    pen.line(curve((cx + 8, 716), (cx + 30, 740), (cx + 40, 768)), 2.2)
    # --- face outline: cheeks to a soft pointed chin --------------------------------------------
    pen.stroke((cx - 150, 330), (cx - 152, 430), (cx - 90, 500), (cx, 540), width=3.0, taper=False)
    pen.stroke((cx + 150, 330), (cx + 152, 430), (cx + 90, 500), (cx, 540), width=3.0, taper=False)
    # ears peeking out under the hair
    pen.stroke((cx - 150, 370), (cx - 178, 360), (cx - 178, 420), (cx - 146, 440), width=2.2)
    pen.stroke((cx + 150, 370), (cx + 178, 360), (cx + 178, 420), (cx + 146, 440), width=2.2)
    # --- eyes, nose, mouth, blush ----------------------------------------------------------------
    draw_eye(pen, cx - 72, 400, -1)
    draw_eye(pen, cx + 72, 400, +1)
    pen.stroke((cx + 4, 452), (cx + 8, 462), (cx + 2, 466), width=1.8)  # nose
    pen.stroke((cx - 22, 496), (cx, 504), (cx + 22, 494), width=2.2)  # mouth
    pen.stroke((cx - 10, 512), (cx, 514), (cx + 10, 511), width=1.2)  # lower lip hint
    for side in (-1, 1):  # blush hatching
        for k in range(3):
            x0 = cx + side * (96 + 10 * k)
            pen.stroke((x0, 450), (x0 - 6 * side, 460), width=1.2)
    # --- hair: outer silhouette ------------------------------------------------------------------
    pen.stroke((cx - 150, 330), (cx - 190, 200), (cx - 120, 80), (cx, 70), width=3.4, taper=False)
    pen.stroke((cx + 150, 330), (cx + 190, 200), (cx + 120, 80), (cx, 70), width=3.4, taper=False)
    # long side locks falling past the cheeks to the shoulders
    pen.stroke((cx - 168, 250), (cx - 210, 400), (cx - 200, 560), (cx - 232, 640), width=3.0)
    pen.stroke((cx + 168, 250), (cx + 210, 400), (cx + 200, 560), (cx + 232, 640), width=3.0)
    pen.stroke((cx - 150, 340), (cx - 170, 460), (cx - 160, 560), (cx - 196, 628), width=2.6)
    pen.stroke((cx + 150, 340), (cx + 170, 460), (cx + 160, 560), (cx + 196, 628), width=2.6)
    pen.stroke((cx - 184, 420), (cx - 190, 500), (cx - 214, 600), width=1.6)
    pen.stroke((cx + 184, 420), (cx + 190, 500), (cx + 214, 600), width=1.6)
    # fringe: curved pointed locks; each lock's edges bend towards the side it falls to
    tips = [(-150, 330), (-112, 312), (-62, 336), (-18, 300), (26, 330), (70, 296), (112, 322), (150, 330)]
    notches = [(-128, 250), (-86, 262), (-40, 240), (6, 258), (48, 238), (92, 256), (134, 262)]
    for (ax, ay), (nx, ny), (bx, by) in zip(tips, notches, tips[1:], strict=False):
        lean = 10 if nx > 0 else -10
        pen.stroke((cx + ax, ay), (cx + (ax + nx) / 2 + lean, (ay + ny) / 2 - 8), (cx + nx, ny), width=2.4)
        pen.stroke((cx + nx, ny), (cx + (nx + bx) / 2 + lean, (ny + by) / 2 - 8), (cx + bx, by), width=2.4)
    # strands radiating from the crown to the notches, the way anime hair is drawn
    crown = (cx + 24, 92)
    for nx, ny in notches[1:-1]:
        pen.stroke(crown, (cx + nx * 0.7 + 8, (crown[1] + ny) / 2), (cx + nx, ny - 18), width=1.6)
    for nx, ny in ((-150, 230), (150, 230), (-110, 170), (130, 180)):
        pen.stroke(crown, (cx + nx * 0.8, (crown[1] + ny) / 2 - 10), (cx + nx, ny), width=1.3)
    # ahoge (the stray strand on top) and a few crown strands
    pen.stroke((cx + 20, 72), (cx + 4, 20), (cx + 64, 6), (cx + 56, 44), width=2.6)
    # a hair clip on the left
    pen.stroke((cx - 140, 210), (cx - 100, 196), width=4.0, taper=False)
    pen.stroke((cx - 136, 226), (cx - 96, 212), width=4.0, taper=False)


def make_sample(out: Path = OUT) -> Path:
    pen = Pen()
    draw(pen)
    rgb = pen.result()
    ok, buf = cv2.imencode(".png", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    if not ok:
        raise RuntimeError("OpenCV could not encode the PNG")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_bytes(buf.tobytes())
    tmp.replace(out)
    return out


if __name__ == "__main__":
    print(make_sample(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT))
