"""`mcunets validate` on every zoo architecture, on the simulated boards.

    python benchmarks/validate_zoo.py [--samples 3] [--board host --board qemu-m4 ...] [--arch NAME ...]
                                      [--resolution 96] [--alpha 0.25]

Converts every architecture at α=0.25, 96×96×3, 2 classes (untrained, calibrated on random images),
then runs `mcunets validate` on each simulated board (every one by default) with seeded random inputs
and prints, per architecture and board, how many samples were byte-for-byte equal to TFLite's
reference kernels. A model that does not fit a board is refused by the fit check and listed as such.
"""

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import mcunets  # noqa: F401
from mcunets import convert, targets, zoo
from mcunets.report import format_table


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=3)
    parser.add_argument("--board", action="append", choices=targets.simulated_boards())
    parser.add_argument("--arch", action="append", choices=list(zoo.ARCHITECTURES))
    parser.add_argument("--resolution", type=int, default=96)
    parser.add_argument("--alpha", type=float, default=0.25)
    args = parser.parse_args()
    rows, failed = [], False
    with tempfile.TemporaryDirectory(prefix="mcunets-validate-") as tmp:
        for arch in args.arch or zoo.ARCHITECTURES:
            model_bytes, _ = convert.untrained_int8(arch, classes=2, resolution=args.resolution,
                                                    alpha=args.alpha)
            path = Path(tmp) / f"{arch}.tflite"
            path.write_bytes(model_bytes)
            for board in args.board or targets.simulated_boards():
                start = time.perf_counter()
                proc = subprocess.run(
                    [sys.executable, "-m", "mcunets.cli", "validate", "--model", str(path), "--board", board,
                     "--samples", str(args.samples), "--out", str(Path(tmp) / f"{arch}-{board}")],
                    capture_output=True, text=True)
                lines = [l for l in proc.stdout.splitlines() if l.strip()] or \
                    [l for l in proc.stderr.splitlines() if l.startswith("Error")]
                too_big = "does not fit" in proc.stderr
                failed |= proc.returncode != 0 and not too_big
                verdict = "pass" if proc.returncode == 0 else "does not fit" if too_big else \
                    f"FAIL ({proc.returncode})"
                rows.append([arch, board, verdict,
                             f"{time.perf_counter() - start:.1f}", lines[-1] if lines else ""])
                print(f"{arch} {board}: exit {proc.returncode}", flush=True)
    print(format_table(["arch", "board", "validate", "s", "verdict"], rows))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
