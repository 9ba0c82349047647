"""Colour error and paper whiteness of the shipped default model through the app pipeline (CPU).

Run by hand: .venv/bin/python benchmarks/shipped_quality.py
Faces: first 8 test faces (256 px); full body: the 16 test pages at full size (whole figure on
white paper), XDoG sketches with seed 0, against the sketch passed through unchanged.
"""
import glob
from pathlib import Path

import numpy as np

from ganime_desktop.core.imageio import read_image
from ganime_desktop.core.manifest import load_manifest
from ganime_desktop.core.pipeline import Colorizer
from training.metrics import mean_delta_e2000, paper_whiteness
from training.xdog import sketch_for

spec = [s for s in load_manifest('assets/models/manifest.json') if s.default][0]
c = Colorizer(spec, device='cpu')
fd = Path('../shared/data/anime-faces/test')
e, p = [], []
for i in range(8):
    t = read_image(fd / f'{i:04d}.jpg'); sk = np.repeat(sketch_for(t, (fd / f'{i:04d}.jpg').as_posix(), 0)[..., None], 3, -1)
    e.append(mean_delta_e2000(c.colorize(sk), t)); p.append(mean_delta_e2000(sk, t))
print('faces8 model', np.mean(e), 'passthrough', np.mean(p))
w, wp, de, dp = [], [], [], []
for f in sorted(glob.glob('../shared/data/anime-fullbody/test/*.jpg')):
    t = read_image(f); sk = np.repeat(sketch_for(t, Path(f).as_posix(), 0)[..., None], 3, -1)
    o = c.colorize(sk)
    w.append(paper_whiteness(o, t)); de.append(mean_delta_e2000(o, t)); dp.append(mean_delta_e2000(sk, t))
print('fullbody first4 paper', np.nanmean(w[:4]), 'all16 paper', np.nanmean(w), 'dE', np.mean(de), 'passthrough dE', np.mean(dp))
