"""python -m export: Keras generator -> ONNX with parity checks, and the manifest the app reads.

  python -m export RUN_DIR_OR_KERAS_FILE --name NAME [--fp16] [--int8] [--cpu-int8] [--default] ...
  python -m export fast-nst [--predict FILE --transform FILE] [--name NAME]
  python -m export clean [--manifest PATH] [--models NAME ...] [--no-int8]
  python -m export --check [--manifest PATH]

TensorFlow's own log lines are hidden (training/quiet.py) unless --verbose, or unless the user set
TF_CPP_MIN_LOG_LEVEL themselves.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_OUT_DIR = REPO / "assets" / "models"


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m export",
        description="Export a trained generator to ONNX (tf2onnx, opset 17, dynamic batch/height/width), "
                    "refuse it unless onnxruntime matches Keras on real sketches and random inputs "
                    "(max |diff| <= 1e-4; fp16/int8 variants: SSIM >= 0.98 vs fp32), and record it in "
                    "the manifest the app reads. The graph is rewritten to do only the network's work "
                    "(export/clean_graph.py) before the parity check judges it. Also: `fast-nst` adds "
                    "Magenta's arbitrary style transfer pair; `clean` rewrites the generators of a manifest "
                    "in place (parity against the original ONNX) and gives them gated int8 CPU models; "
                    "--check re-verifies a manifest.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("source", nargs="?", help="a training run directory (config.json + generator.keras) or a "
                   ".keras file; or the word fast-nst or clean")
    p.add_argument("--name", help="manifest key and file name, e.g. pix2pix-tv-256 (variants get -fp16/-int8)")
    p.add_argument("--display-name", help="name shown in the app (default: approach and name)")
    p.add_argument("--description", default="", help="one line shown in the app")
    p.add_argument("--out-dir", type=Path, default=DEFAULT_OUT_DIR, help="folder of the ONNX files and manifest.json")
    p.add_argument("--fp16", action="store_true", help="also write a float16 variant (NAME-fp16)")
    p.add_argument("--int8", action="store_true", help="also write a static int8 QDQ variant as a model of its "
                   "own (NAME-int8), calibrated on real sketches")
    p.add_argument("--cpu-int8", action="store_true", help="also build an int8 model that the app runs instead of "
                   "this one on the CPU, kept only if it passes the int8 gate (SSIM >= 0.98 vs the float model "
                   "and mean CIEDE2000 within 0.5 on the --gate-data test splits; export/cpu_int8.py)")
    p.add_argument("--gate-data", type=Path, nargs="+", help="data sets of the int8 gate (test splits) and its "
                   "calibration (train splits); default ../shared/data/anime-faces and anime-fullbody")
    p.add_argument("--raw-graph", action="store_true", help="keep tf2onnx's graph as it is (no clean rewrite)")
    p.add_argument("--data", type=Path, help="data set for parity/calibration sketches (default: the run's "
                   "data_dir if readable, else ../shared/data/anime-faces)")
    p.add_argument("--working-size", type=int, help="the size the app feeds the model (default: the training "
                   "image size); a multiple of 2**depth")
    p.add_argument("--only", choices=["fp16", "int8"], help="install only this variant, as the model NAME itself "
                   "(half or a quarter of the size); fp32 is still converted and checked as its reference")
    p.add_argument("--checkpoint", help="export checkpoint weights of the run instead of its final generator: a step "
                   "number (RUN/checkpoints/ckpt-N), a checkpoint's path, or A-B: the mean weights of the kept "
                   "checkpoints from step A to B, which evens out GAN oscillation; choose with `evaluate --curves`. "
                   "Runs of either backend (a JAX run's checkpoints give its generator's moving average when it "
                   "kept one, as its generator.keras)")
    p.add_argument("--blend-start", type=float, metavar="SHARE", help="blend this share (0-1) of the weights the "
                   "run started from (its --init-from) into the exported ones, weight by weight: a fine-tune "
                   "keeps much of what it gained and forgets less of what its start knew (WiSE-FT); choose the "
                   "share on validation pages (docs/models.md)")
    p.add_argument("--default", action="store_true", help="mark the model as shown by default in the app")
    p.add_argument("--approach", help="approach for a .keras file without config.json "
                   "(pix2pix, pix2pix-tv, cyclegan, ...)")
    p.add_argument("--tolerance", type=float, default=1e-4, help="largest allowed max |Keras - ONNX|")
    p.add_argument("--min-ssim", type=float, default=0.98, help="smallest allowed SSIM of a variant vs fp32")
    p.add_argument("--verbose", action="store_true", help="also show TensorFlow's own log lines")
    g = p.add_argument_group("fast style transfer (python -m export fast-nst, or --fast-nst)")
    g.add_argument("--fast-nst", action="store_true", help="add Magenta's arbitrary style transfer pair")
    g.add_argument("--predict", type=Path, help="arbitrary_predict.onnx (default: the cached download)")
    g.add_argument("--transform", type=Path, help="arbitrary_transform.onnx (default: the cached download)")
    g.add_argument("--offline", action="store_true", help="never download; use --predict/--transform or the cache")
    g = p.add_argument_group("rewriting shipped generators (python -m export clean)")
    g.add_argument("--models", nargs="+", help="only these generators of the manifest (default: all)")
    g.add_argument("--no-int8", action="store_true", help="rewrite the graphs only, no int8 CPU models")
    g = p.add_argument_group("checking (python -m export --check)")
    g.add_argument("--check", action="store_true", help="re-verify every model in a manifest")
    g.add_argument("--manifest", type=Path, help="manifest to check (default: OUT_DIR/manifest.json)")
    return p


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.source == "fast-nst":
        args.fast_nst, args.source = True, None
    clean = args.source == "clean"
    if clean:
        args.source = None
    modes = sum([args.check, args.fast_nst, clean, args.source is not None])
    if modes != 1:
        parser.error("give exactly one of: a run directory or .keras file, fast-nst, clean, or --check")
    if args.source is not None and not args.name:
        parser.error("--name is required to export a generator")
    if args.tolerance <= 0 or not 0 < args.min_ssim <= 1:
        parser.error("--tolerance must be > 0 and --min-ssim in (0, 1]")
    from training import quiet

    quiet.install(args.verbose)  # before TensorFlow is imported (lazily, below): its C++ notices hidden
    from export.errors import USER_ERRORS

    try:
        if args.check:
            return _check(args)
        if args.fast_nst:
            return _fast_nst(args)
        if clean:
            return _clean(args)
        return _export(args)
    except USER_ERRORS as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted; nothing was written", file=sys.stderr)
        return 130


def _export(args) -> int:
    from export.generator_export import ExportRequest, export_generator
    from export.parity import ParityError

    req = ExportRequest(
        source=Path(args.source), name=args.name, out_dir=args.out_dir, display_name=args.display_name,
        description=args.description, fp16=args.fp16 or args.only == "fp16", int8=args.int8 or args.only == "int8",
        data=args.data, only=args.only,
        working_size=args.working_size, default=args.default, approach=args.approach, checkpoint=args.checkpoint,
        blend_start=args.blend_start,
        tolerance=args.tolerance, min_ssim=args.min_ssim, cpu_int8=args.cpu_int8,
        gate_data=tuple(args.gate_data) if args.gate_data else None, clean_graph=not args.raw_graph)
    try:
        export_generator(req)
    except ParityError as exc:
        print(f"refused: {exc}\nnothing was written to {args.out_dir}", file=sys.stderr)
        return 1
    return 0


def _fast_nst(args) -> int:
    from export.fast_nst import DEFAULT_NAME, export_fast_nst

    export_fast_nst(args.out_dir, predict=args.predict, transform=args.transform,
                    name=args.name or DEFAULT_NAME, display_name=args.display_name, default=args.default,
                    allow_download=not args.offline)
    return 0


def _clean(args) -> int:
    from export.cpu_int8 import GATE_DATA
    from export.parity import ParityError
    from export.rewrite import clean_manifest
    from ganime_desktop.core.manifest import MANIFEST_NAME

    manifest = args.manifest or args.out_dir / MANIFEST_NAME
    try:
        clean_manifest(manifest, names=args.models, int8=not args.no_int8,
                       gate_data=tuple(args.gate_data) if args.gate_data else GATE_DATA,
                       tolerance=args.tolerance, min_ssim=args.min_ssim)
    except ParityError as exc:
        print(f"refused: {exc}\nnothing was written to {manifest.parent}", file=sys.stderr)
        return 1
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


def _check(args) -> int:
    from export.check import check_manifest
    from ganime_desktop.core.manifest import MANIFEST_NAME

    manifest = args.manifest or args.out_dir / MANIFEST_NAME
    checks = check_manifest(manifest, data=args.data)
    failed = [c.name for c in checks if not c.ok]
    if failed:
        print(f"{len(failed)} of {len(checks)} model(s) failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    print(f"all {len(checks)} model(s) in {manifest} verified")
    return 0


if __name__ == "__main__":
    sys.exit(main())
