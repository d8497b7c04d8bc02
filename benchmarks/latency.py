"""Fit the engine's instruction model (mcunets/latency.py) on an emulated board, and check it.

Samples are per-layer instruction counts on the board (layer by layer, no patches): the kernel shape
sweep of benchmarks/kernels.py (one-operator int8 models with trained-like quantization) and the zoo
architectures at ``--fit-alpha`` / ``--fit-resolution``. Per kind of layer it fits
``a·MACs + b·outputs + c`` and prints the coefficients and the relative error on the samples; then it
checks the estimate of whole models it was not fitted on (the zoo at α=0.25, 96 px, with the
schedule the engine takes, patches included) against the board's count. ``--write`` stores the
coefficients in mcunets/latency.json with the commit they were measured at.

``--fit-zoo memory`` fits on benchmarks/memory.py's models instead (α=0.25, 96 px, MobileNetV1 also
128 px, 2 classes: the models whose schedules the patch search decides), and the check is then on those
same models with the schedule the engine takes. ``--keep-constants`` keeps each kind's per-call cost from
the coefficients stored for the board and fits only the per-MAC and per-output terms: one model per
architecture has one shape per layer, which cannot tell a per-call cost from one that grows with the
layer. The stored qemu-m4 model is made this way:

    .venv/bin/python benchmarks/latency.py --board qemu-m4 --sweep none --fit-zoo memory --keep-constants --write
    .venv/bin/python benchmarks/latency.py --board qemu-m4 --write
    .venv/bin/python benchmarks/latency.py --board qemu-rv32 --sweep none --write   # zoo samples only
    .venv/bin/python benchmarks/latency.py --board qemu-m7 --coefficients qemu-m4   # check only
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

import mcunets  # noqa: F401  (selects tf-keras before TensorFlow loads)
from mcunets import latency
from mcunets.report import format_table, parse_report

REPO = Path(__file__).resolve().parent.parent


def layer_counts(model: bytes, board: str, work: Path, patches="off"):
    """(layer costs, per-layer instructions, total instructions per inference) on ``board``."""
    from mcunets import targets

    work.mkdir(parents=True, exist_ok=True)
    src = targets.engine_sources(model, "m", Path(tempfile.mkdtemp(dir=work)), patches=patches)
    text, _ = targets.profile_model(model, board, Path(tempfile.mkdtemp(dir=work)), runs=1, warmup=0,
                                    timeout=900, sources=src)
    rep = parse_report(text)
    return latency.layer_costs(model), {r.index: r.count for r in rep.layers}, rep.median


def sweep_samples(board: str, work: Path, full: bool, seed: int, log) -> list:
    import kernels  # benchmarks/kernels.py: the shape grid and its one-operator models

    from mcunets.engine.testing import convert, trained_like_requant

    samples = []
    for op, shapes in kernels._grid(full).items():
        for i, p in enumerate(shapes):
            rng = np.random.default_rng(seed + i)
            fn, specs, _ = kernels._fn(op, p, rng)
            model = convert(fn, specs, rng)
            if op.startswith(("CONV", "DEPTHWISE", "FULLY")):
                model = trained_like_requant(model, rng, int8_weights=True)
            costs, counts, _ = layer_counts(model, board, work)
            samples += [(c, counts[c.index]) for c in costs if c.index in counts]
        log(f"  sweep {op}: {len(shapes)} models")
    return samples


def zoo_model(arch: str, alpha: float, resolution: int) -> bytes:
    from mcunets import convert

    model, _ = convert.untrained_int8(arch, alpha=alpha, resolution=resolution, classes=10)
    return model


def memory_models(archs: list, cache: Path) -> dict:
    """benchmarks/memory.py's models, ``{"<arch>_<resolution>": model}`` (cached in ``cache`` as it does)."""
    import memory  # benchmarks/memory.py

    runs = [(a, 96) for a in archs] + ([("mobilenet", 128)] if "mobilenet" in archs else [])
    return {f"{a}_{r}": memory._model(a, 0.25, r, 2, cache) for a, r in runs}


def main(argv=None) -> int:
    from mcunets import zoo

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--board", default="qemu-m4", help="the emulated board whose instructions are fitted")
    ap.add_argument("--sweep", choices=("default", "full", "none"), default="default",
                    help="benchmarks/kernels.py's grid to sample (default: its default grid)")
    ap.add_argument("--fit-alpha", type=float, default=0.5)
    ap.add_argument("--fit-resolution", type=int, default=64)
    ap.add_argument("--fit-zoo", choices=("grid", "memory"), default="grid",
                    help="zoo samples: every architecture at --fit-alpha / --fit-resolution (grid), or "
                         "benchmarks/memory.py's models, which the check then uses too (memory)")
    ap.add_argument("--keep-constants", action="store_true",
                    help="keep each kind's per-call cost from the coefficients stored for --board")
    ap.add_argument("--models", type=Path, help="where --fit-zoo memory caches its models (default: in --out)")
    ap.add_argument("--arch", action="append", help="zoo architectures (default: all)")
    ap.add_argument("--patches", default="auto", help="the engine's schedule in the check (auto, off, N)")
    ap.add_argument("--reuse", action="store_true",
                    help="fit on the samples an earlier run with the same --sweep and fit zoo saved in --out")
    ap.add_argument("--coefficients", metavar="BOARD",
                    help="fit nothing: check the coefficients stored for BOARD on --board")
    ap.add_argument("--write", action="store_true", help="store the coefficients in mcunets/latency.json")
    ap.add_argument("--out", type=Path, default=REPO / "out" / "bench-latency")
    ap.add_argument("--seed", type=int, default=11)
    args = ap.parse_args(argv)
    work = args.out / args.board
    archs = args.arch or list(zoo.ARCHITECTURES)

    def log(m):
        print(m, file=sys.stderr, flush=True)

    if args.fit_zoo == "memory":
        fit_models = memory_models(archs, args.models or args.out / "models")
        saved = work / f"samples-{args.sweep}-memory.json"
    else:
        fit_models = {arch: None for arch in archs}
        saved = work / f"samples-{args.sweep}-a{args.fit_alpha:g}-r{args.fit_resolution}.json"
    stored = json.loads(latency.COEFFICIENTS.read_text())["boards"]
    if args.keep_constants and args.board not in stored:
        ap.error(f"--keep-constants: no coefficients stored for {args.board} to keep the per-call costs of")
    if args.coefficients:
        if args.write:
            ap.error("--coefficients checks stored coefficients: nothing to --write")
        coef, samples = stored[args.coefficients]["coefficients"], []
    elif args.reuse and saved.exists():
        samples = [(latency.LayerCost(**c), n) for c, n in json.loads(saved.read_text())]
    else:
        samples = [] if args.sweep == "none" else sweep_samples(args.board, work, args.sweep == "full",
                                                                args.seed, log)
        for name, model in fit_models.items():
            model = model or zoo_model(name, args.fit_alpha, args.fit_resolution)
            costs, counts, _ = layer_counts(model, args.board, work)
            samples += [(c, counts[c.index]) for c in costs if c.index in counts]
            log(f"  zoo {name}: {len(costs)} layers")
        saved.write_text(json.dumps([(vars(c), n) for c, n in samples]))
    if samples:
        kept = stored[args.board] if args.keep_constants else None
        coef = latency.fit(samples, constants=kept and kept["coefficients"])
        fit_table(args.board, coef, samples)
    if args.fit_zoo == "memory":
        models = fit_models
    else:
        models = {arch: zoo_model(arch, 0.25, 96) for arch in archs}
    check(args, models, coef, work, len(samples), kept if samples and args.keep_constants else None)
    return 0


def fit_table(board: str, coef: dict, samples: list) -> None:
    rows = []
    for kind, (a, b, c) in coef.items():
        errs = [abs(a * s.macs + b * s.outputs + c - n) / n for s, n in samples if n and (
            s.kind == kind or kind == latency.OTHER and s.kind not in latency.KINDS)]
        rows.append([kind, len(errs), f"{a:.3f}", f"{b:.2f}", f"{c:.0f}", f"{100 * np.median(errs):.1f}%",
                     f"{100 * max(errs):.1f}%"])
    print(f"instruction model on {board}: a·MACs + b·outputs + c per layer, fitted on {len(samples)} layers")
    print(format_table(["kind", "layers", "a", "b", "c", "median |error|", "worst |error|"], rows))


def check(args, models: dict, coef: dict, work: Path, fitted_on: int, kept: dict | None) -> None:
    """Whole models, with the schedule the engine takes; ``--write`` stores ``coef`` (``kept``: the stored
    entry whose per-call costs it kept)."""
    from mcunets.engine import generate

    check_rows, errors = [], {}
    for arch, model in models.items():
        patches = int(args.patches) if args.patches.isdigit() else args.patches
        _, _, measured = layer_counts(model, args.board, work, patches=patches)
        schedule = generate(model, "m", patches=patches).schedule
        est = latency.estimate_instructions(model, coef, schedule)
        errors[arch] = round(est / measured - 1, 4)
        stages = " + ".join(f"{n}x{n} on {a}-{b}" for a, b, n, _ in schedule.stages) or "layer by layer"
        check_rows.append([arch, stages, f"{measured:,}", f"{est:,}",
                           f"{100 * errors[arch]:+.1f}%"])
    source = f" with {args.coefficients}'s coefficients" if args.coefficients else ""
    what = ("benchmarks/memory.py's models (the fit's), with the engine's schedule" if args.fit_zoo == "memory"
            else "zoo at α=0.25, 96 px, 10 classes (not in the fit)")
    print(f"\ncheck on {args.board}{source}: {what}")
    print(format_table(["arch", "schedule", "measured", "estimated", "error"], check_rows))
    if args.write:
        commit = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True,
                                text=True).stdout.strip()
        path = latency.COEFFICIENTS
        stored = json.loads(path.read_text()) if path.exists() else {"boards": {}}
        entry = {"coefficients": coef, "commit": commit, "samples": fitted_on, "sweep": args.sweep}
        if kept:
            entry["constants_from"] = kept.get("constants_from", kept["commit"])
        if args.fit_zoo == "memory":
            entry["fit_zoo"] = ("benchmarks/memory.py's models: alpha 0.25, 96 px (MobileNetV1 also 128 px), "
                                "2 classes")
            entry["fit_zoo_error"] = errors
        else:
            entry["fit_zoo"] = f"alpha {args.fit_alpha:g}, {args.fit_resolution} px"
            entry["check_zoo_alpha_0.25_96px_error"] = errors
        stored["boards"][args.board] = entry
        latency.COEFFICIENTS.write_text(json.dumps(stored, indent=1) + "\n")
        print(f"wrote {latency.COEFFICIENTS} ({args.board}, commit {commit})")


if __name__ == "__main__":
    sys.exit(main())
