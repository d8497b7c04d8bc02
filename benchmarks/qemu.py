"""Instructions per inference of every zoo architecture on the emulated boards (qemu-m4 by default).

Each architecture is built at α=0.25 and 96×96×3 (untrained, QAT-calibrated on random images,
converted to int8 by mcunets.convert), compiled with the mcunets engine for the board, and run under
QEMU with ``-icount shift=0``. The table gives instructions per inference (deterministic to 40),
MACs (convolutions, depthwise convolutions and dense layers, from the .tflite), instructions per MAC,
the engine's arena and the firmware's flash, and whether the outputs equal TFLite's reference kernels
byte for byte on the same input.

    .venv/bin/python benchmarks/qemu.py [--board qemu-m4 ...] [--arch mobilenet ...] [--classes 2]
                                        [--out out/bench-qemu]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import mcunets  # noqa: F401  (selects tf-keras before TensorFlow loads)
from mcunets.errors import McunetsError
from mcunets.report import format_table, parse_report


def measure(arch: str, alpha: float, resolution: int, classes: int, out: Path, board: str = "qemu-m4") -> dict:
    from mcunets import convert, targets
    from mcunets.profile import layer_info
    from mcunets.tflm import run_reference

    cached = out / f"{arch}.tflite"
    if cached.is_file():
        model = cached.read_bytes()
    else:
        model, _ = convert.untrained_int8(arch, alpha=alpha, resolution=resolution, channels=3,
                                          classes=classes)
        out.mkdir(parents=True, exist_ok=True)
        cached.write_bytes(model)
    macs = sum(l.macs for l in layer_info(model, use_engine=False))
    t = time.monotonic()
    text, fw = targets.profile_model(model, board, out / "build" / board / arch, name=arch, runs=1,
                                     warmup=0, timeout=1800)
    seconds = time.monotonic() - t
    report = parse_report(text)
    expected = run_reference(model, targets.runner_inputs(targets.io_specs(model)[0], 1))
    exact = [o.data for o in report.outputs] == [e.tobytes() for e in expected]
    by_op: dict[str, int] = {}
    for l in report.layers:
        by_op[l.op] = by_op.get(l.op, 0) + l.count
    return {
        "board": board, "arch": arch, "instructions": report.median, "macs": macs,
        "instructions_per_mac": report.median / macs, "arena_bytes": report.arena_used,
        "flash_bytes": fw.sections["flash"], "model_bytes": len(model), "bit_exact": exact,
        "by_op": by_op, "wall_seconds": round(seconds, 1),
    }


def main(argv=None) -> int:
    from mcunets import zoo

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--board", action="append", help="emulated boards (repeatable) [default: qemu-m4]")
    ap.add_argument("--arch", action="append", help="only these architectures (repeatable)")
    ap.add_argument("--alpha", type=float, default=0.25)
    ap.add_argument("--resolution", type=int, default=96)
    ap.add_argument("--classes", type=int, default=2)
    ap.add_argument("--out", type=Path, default=Path("out/bench-qemu"))
    args = ap.parse_args(argv)
    archs = args.arch or list(zoo.ARCHITECTURES)
    boards = args.board or ["qemu-m4"]
    rows, results = [], []
    for board in boards:
        for arch in archs:
            try:
                r = measure(arch, args.alpha, args.resolution, args.classes, args.out, board)
            except McunetsError as e:
                print(f"  {board} {arch}: {e}", file=sys.stderr)
                rows.append([board, arch, "-", "-", "-", "-", "-", str(e)[:60]])
                continue
            results.append(r)
            print(f"  {board} {arch}: {r['instructions']:,} instructions ({r['wall_seconds']} s)", file=sys.stderr)
            rows.append([board, arch, f"{r['instructions']:,}", f"{r['macs']:,}",
                         f"{r['instructions_per_mac']:.2f}", f"{r['arena_bytes']:,}", f"{r['flash_bytes']:,}",
                         "yes" if r["bit_exact"] else "NO"])
    print(f"mcunets engine under QEMU -icount shift=0, α={args.alpha}, "
          f"{args.resolution}×{args.resolution}×3, {args.classes} classes")
    print(format_table(["board", "arch", "instructions", "MACs", "instr/MAC", "arena B", "flash B",
                        "bit-exact"], rows))
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    return 0 if all(r["bit_exact"] for r in results) and len(results) == len(archs) * len(boards) else 1


if __name__ == "__main__":
    sys.exit(main())
