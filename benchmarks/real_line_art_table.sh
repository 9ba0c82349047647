#!/usr/bin/env bash
# The real-line-art tables of docs/colour-modes.md: the shipped default model in the app's colour
# modes on ../shared/data/sketch-pairs-real/test (real sketches with their true colours), the two
# kinds of sketch apart, with 0 / 10 / 40 careful hint dots and 40 sloppy ones (training/hint_dots.py),
# plus the oracle flats and the sketch passthrough (python -m training evaluate):
#   extracted   the kg_ / db_ / lx_ / hd_ pairs: lines traced by learned extractors (sketchKeras, ...)
#   hand-drawn  the tw_ pairs: artists' own pencil and ink line art
# Pages as they are (128-800 px), the fills with the app's default settings (or CLOSE_GAPS, PART_TOLERANCE).
#
#   benchmarks/real_line_art_table.sh [OUT_DIR]          (default runs/real-line-art)
#
# Environment: PY (default .venv/bin/python), DATA (default ../shared/data/sketch-pairs-real), MANIFEST
# (default assets/models/manifest.json; several, space-separated, to compare models in one run), NAMES
# (default pix2pix-tv), MODES (default "raw flat shaded"), DOTS (careful dot counts, default "0 10 40"),
# SLOPPY (default "40"; empty: none), KINDS (default "extracted hand-drawn"; "kaggle" adds the kg_ pairs
# alone, the Kaggle-style pages of issue 29), CLOSE_GAPS (off small medium large), PART_TOLERANCE,
# TABLES_ONLY=1 (only rewrite the table).
# Writes OUT_DIR/<kind>/ (table.md, modes.csv, results.json, grids: the grids show the copyrighted
# test art, never commit them) and OUT_DIR/real-line-art-table.md, the tables for docs/colour-modes.md.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
DATA=${DATA:-../shared/data/sketch-pairs-real}
MANIFEST=${MANIFEST:-assets/models/manifest.json}
NAMES=${NAMES:-pix2pix-tv}
MODES=${MODES:-raw flat shaded}
DOTS=${DOTS:-0 10 40}
SLOPPY=${SLOPPY-40}
KINDS=${KINDS:-extracted hand-drawn}
OUT=${1:-runs/real-line-art}
fill=()
if [[ -n $SLOPPY ]]; then fill+=(--sloppy-dots $SLOPPY); fi
if [[ -n ${CLOSE_GAPS:-} ]]; then fill+=(--close-gaps "$CLOSE_GAPS"); fi
if [[ -n ${PART_TOLERANCE:-} ]]; then fill+=(--part-tolerance "$PART_TOLERANCE"); fi

run() {  # run KIND ARGS...
  local kind=$1
  shift
  # shellcheck disable=SC2086  # MANIFEST, NAMES, MODES and DOTS are lists of words
  "$PY" -m training evaluate --data "$DATA" --split test --onnx $MANIFEST --names $NAMES \
    --no-nst --no-fast-nst --seed 0 --mode $MODES --hint-dots $DOTS \
    --image-size 0 --whole-pages --grid 4 "${fill[@]}" "$@" --out "$OUT/$kind"
}

if [[ -z ${TABLES_ONLY:-} ]]; then
  for kind in $KINDS; do
    case $kind in
      extracted) run extracted --exclude 'tw_*' ;;
      hand-drawn) run hand-drawn --only 'tw_*' ;;
      kaggle) run kaggle --only 'kg_*' ;;
      *) echo "unknown kind $kind (extracted, hand-drawn, kaggle)" >&2; exit 2 ;;
    esac
  done
fi

# shellcheck disable=SC2086  # KINDS is a list of words
"$PY" - "$OUT" $KINDS <<'PYTHON'
"""One table per kind: a row per (model, mode), ΔE2000 and paper ΔE with each dot set."""
import json
import sys
from pathlib import Path

out, kinds = Path(sys.argv[1]), sys.argv[2:]
lines = []
for kind in kinds:
    run = json.loads((out / kind / "results.json").read_text())
    st, cm = run["settings"], run["colour_modes"]
    sets = [(d, "careful") for d in cm["dots"]] + [(d, "sloppy") for d in cm.get("sloppy_dots", [])]
    label = {(d, p): (f"{d}" if p == "careful" or d == 0 else f"{d} sloppy") for d, p in sets}
    by = {}
    for r in cm["rows"]:
        by.setdefault((r["name"], r["mode"]), {})[(r["dots"], r.get("placement", "careful"))] = r
    lines += [f"### {kind}: sketch-pairs-real test, {len(run['pairs'])} pages as they are "
              f"(fills: close gaps {st.get('close_gaps')}, part tolerance {st.get('part_tolerance')})", "",
              "Each cell: ΔE2000 ↓ (paper ΔE from white where the truth is white ↓).", "",
              "| model | mode | " + " | ".join(f"{label[s]} dots" for s in sets) + " |",
              "|---|---|" + "---|" * len(sets)]
    for (name, mode), cells in by.items():
        row = []
        for s in sets:
            c = cells.get(s) or cells.get((0, "careful"))
            paper = c["paper_delta_e_mean"]
            row.append(f"{c['delta_e_mean']:.2f} ({'n/a' if paper is None else f'{paper:.2f}'})" if c else "—")
        if len({*row}) == 1:
            row = [row[0]] + ["″"] * (len(row) - 1)
        lines.append(f"| {name} | {mode} | " + " | ".join(row) + " |")
    lines += ["", f"Generated {st['date']}: `{st['command']}`", ""]
(out / "real-line-art-table.md").write_text("\n".join(lines), encoding="utf-8")
print("\n".join(lines))
PYTHON
