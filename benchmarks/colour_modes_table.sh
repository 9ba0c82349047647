#!/usr/bin/env bash
# The colour-mode tables of docs/colour-modes.md: every generator in the manifest in the app's colour
# modes raw / flat / shaded with 0 / 10 / 40 simulated hint dots, plus the oracle flats and the sketch
# passthrough (python -m training evaluate), on three sets of test pages:
#   faces           anime-faces test split, 256 px (square crops: the faces fill them)
#   fullbody-crops  anime-fullbody test split, 256 px centre crops (the README's evaluation table)
#   fullbody-pages  anime-fullbody test split, whole images with the shorter side 512 px (the figure
#                   on its paper, as a page; the models run at their 384 px working size, lines laid back)
#
#   benchmarks/colour_modes_table.sh [OUT_DIR]          (default runs/colour-modes)
#
# Environment: PY (default .venv/bin/python), DATA (default ../shared/data), MANIFEST (default
# assets/models/manifest.json), FACES_LIMIT (first N test faces; default: all 100), NAMES (models to
# score; default: every kind "generator" entry of MANIFEST, so newly added models are picked up),
# TABLES_ONLY=1 (only rewrite colour-modes-table.md from the runs already in OUT_DIR).
# Writes OUT_DIR/models/ (a copy of the manifest's folder: what was measured) with OUT_DIR/models.sha256,
# OUT_DIR/<set>/ (table.md, modes.csv, results.json, grids: the grids show the copyrighted test art,
# never commit them) and OUT_DIR/colour-modes-table.md, the tables for docs/colour-modes.md.
# On a CPU the app runs a generator's int8 file when the manifest has one; so does this table.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
DATA=${DATA:-../shared/data}
MANIFEST=${MANIFEST:-assets/models/manifest.json}
OUT=${1:-runs/colour-modes}
NAMES=${NAMES:-$("$PY" -c 'import json, sys
print(" ".join(m["name"] for m in json.load(open(sys.argv[1]))["models"] if m["kind"] == "generator"))' "$MANIFEST")}

run() {  # run SET DATASET ARGS...
  local set=$1 dataset=$2
  shift 2
  # shellcheck disable=SC2086  # NAMES is a list of words
  "$PY" -m training evaluate --data "$DATA/$dataset" --split test --onnx "$MANIFEST" --names $NAMES \
    --no-nst --no-fast-nst --seed 0 --mode raw flat shaded --hint-dots 0 10 40 "$@" --out "$OUT/$set"
}

if [[ -z ${TABLES_ONLY:-} ]]; then  # TABLES_ONLY=1: only rewrite colour-modes-table.md from the runs in OUT_DIR
  # One snapshot of the models for all three runs (a re-export during the run cannot mix versions),
  # with the sha256 of every file measured.
  mkdir -p "$OUT"
  rm -rf "$OUT/models"
  cp -r "$(dirname "$MANIFEST")" "$OUT/models"
  MANIFEST="$OUT/models/$(basename "$MANIFEST")"
  (cd "$OUT/models" && sha256sum -- *.onnx > ../models.sha256)
  faces_limit=()
  if [[ -n ${FACES_LIMIT:-} ]]; then faces_limit=(--limit "$FACES_LIMIT"); fi
  run faces anime-faces --image-size 256 "${faces_limit[@]}"
  run fullbody-crops anime-fullbody --image-size 256
  run fullbody-pages anime-fullbody --image-size 512 --whole-pages
fi

"$PY" - "$OUT" faces fullbody-crops fullbody-pages <<'PYTHON'
"""One table per set: a row per (model, mode), each cell the values with 0 / 10 / 40 dots."""
import json
import sys
from pathlib import Path

out, sets = Path(sys.argv[1]), sys.argv[2:]
runs = {s: json.loads((out / s / "results.json").read_text()) for s in sets}


def fmt(v, digits=2, scale=1.0):
    return "n/a" if v is None else f"{scale * v:.{digits}f}"


COLUMNS = (("ΔE2000 ↓", "delta_e_mean", 2, 1.0), ("SSIM ↑", "ssim_mean", 3, 1.0),
           ("paper ΔE ↓", "paper_delta_e_mean", 2, 1.0), ("bleed % ↓", "bleed_share", 1, 100.0))
shas = [line.split() for line in (out / "models.sha256").read_text().splitlines() if line.strip()]
lines = ["Models measured (sha256, first 12 hex digits): " + ", ".join(f"`{f}` {h[:12]}" for h, f in shas) + ".", ""]
for s, run in runs.items():
    st, cm = run["settings"], run["colour_modes"]
    dots = cm["dots"]
    size = f"whole pages, shorter side {st['image_size']} px" if st.get("whole_pages") else f"{st['image_size']} px crops"
    data = st["data"].rstrip("/").rsplit("/", 1)[-1]
    by = {}
    for r in cm["rows"]:
        by.setdefault((r["name"], r["mode"]), {})[r["dots"]] = r
    per = " / ".join(map(str, dots))
    lines += [f"### {s}: {data} {st['split']}, {len(run['pairs'])} images, {size}", "",
              f"Each cell: with {per} hint dots (one value: the row has no dots).", "",
              "| model | mode | " + " | ".join(c[0] for c in COLUMNS) + " |", "|---|---|" + "---|" * len(COLUMNS)]
    for (name, mode), got in by.items():
        cells = [" / ".join(fmt(got[d][key], digits, scale) for d in dots if d in got) for _, key, digits, scale in COLUMNS]
        lines.append(f"| {name} | {mode} | " + " | ".join(cells) + " |")
    tb = cm["truth_bleed"]
    on_paper = {int(d): v for d, v in cm["dots_on_paper"].items() if int(d) > 0}
    lines += ["", f"The truth itself: bleed {fmt(tb['bleed_share'], 1, 100)} % of {tb['bleed_regions']} regions. "
              "Images where a dot fell in a region the app takes for paper: "
              + ", ".join(f"{d} dots {sum(v)} of {len(v)}" for d, v in on_paper.items()) + f". Generated {st['date']}.", ""]
    most = max(on_paper, default=None)
    keep = [i for i, hit in enumerate(on_paper.get(most, [])) if not hit]
    if most is not None and 0 < len(keep) < len(on_paper[most]):  # the same rows without those images
        lines += [f"ΔE2000 over the {len(keep)} images where none of the {most} dots fell on paper "
                  f"(with {per} dots):", "", "| model | mode | ΔE2000 |", "|---|---|---|"]
        for (name, mode), got in by.items():
            if mode != "raw" and len(got) == len(dots):
                lines.append(f"| {name} | {mode} | " + " / ".join(
                    fmt(sum(got[d]["per_image"]["delta_e2000"][i] for i in keep) / len(keep)) for d in dots) + " |")
        lines.append("")
(out / "colour-modes-table.md").write_text("\n".join(lines), encoding="utf-8")
print("\n".join(lines))
PYTHON
