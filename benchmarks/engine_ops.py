"""Per-op differential check of the mcunets engine at scale: every op of
mcunets.engine.testing.BUILDERS, randomized single-op models converted by the TFLite converter, each
run with random int8 inputs through the engine and through TFLite's reference kernels (BUILTIN_REF), output
bytes compared exactly.  Prints one row per op; exits 1 on any mismatch.

The converter is the slow part (about half a second per model), so each converted model also yields
``--variants`` further cases with new random weights and biases written straight into the flatbuffer
(mcunets.engine.testing.weight_variants): same shapes and quantization, new data, new inputs.

    python benchmarks/engine_ops.py                 # 50 conversions x 20 = 1,000 cases, 2,000 runs per op
    python benchmarks/engine_ops.py --models 50 --variants 1 --ops CONV_2D,MEAN
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

import mcunets  # noqa: F401


def main(argv=None) -> int:
    from mcunets.engine.testing import BUILDERS, check_cases, make_case, weight_variants
    from mcunets.report import format_table

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", type=int, default=50, help="converted models per op")
    ap.add_argument("--variants", type=int, default=20,
                    help="cases per converted model (the model itself plus new-weight variants)")
    ap.add_argument("--runs", type=int, default=2, help="random inputs per case")
    ap.add_argument("--batch", type=int, default=25, help="converted models per compiled library")
    ap.add_argument("--ops", default="", help="comma-separated op names (default: all)")
    ap.add_argument("--seed", type=int, default=2024)
    args = ap.parse_args(argv)
    ops = [o for o in args.ops.split(",") if o] or sorted(BUILDERS)
    rows, failed = [], False
    for k, op in enumerate(ops):
        rng = np.random.default_rng(args.seed + k)
        t0 = time.time()
        cases = runs = 0
        mismatches = []
        remaining = args.models
        while remaining > 0:
            batch = []
            for _ in range(min(args.batch, remaining)):
                case = make_case(op, rng, runs=args.runs)
                batch += [case] + weight_variants(case, rng, args.variants - 1, args.runs)
            remaining -= min(args.batch, remaining)
            res = check_cases(batch)
            cases += res.cases
            runs += res.runs
            mismatches += res.mismatches
        failed |= bool(mismatches)
        rows.append([op, cases, runs, len(mismatches), f"{time.time() - t0:.0f}"])
        print(f"  {op}: {runs} runs, {len(mismatches)} mismatches", file=sys.stderr, flush=True)
        for name, _, got, want in mismatches[:3]:
            print(f"    mismatch {name}: got {got[0].ravel()[:8]} want {want[0].ravel()[:8]}", file=sys.stderr)
    print(format_table(["op", "cases", "runs", "mismatches", "seconds"], rows))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
