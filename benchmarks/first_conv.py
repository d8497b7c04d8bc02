"""First convolutions (1-3 input channels) on qemu-m4: instructions per MAC of one-operator int8 models
(benchmarks/kernels.py's builders and measurement: trained-like quantization, outputs compared with
TFLite's reference kernels on qemu-m4 and the host), kernels 3x3, 5x5, 7x7, 3x1, 1x3 and DS-CNN's 10x4,
odd output channel counts, SAME padding, ReLU. Target: at most 2.2 instructions per MAC.

    .venv/bin/python benchmarks/first_conv.py [--out out/bench-first]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import kernels  # noqa: E402

SHAPES = [
    dict(h=32, c=1, o=8, k=3, s=1),
    dict(h=32, c=1, o=7, k=3, s=1),
    dict(h=32, c=1, o=8, k=5, s=1),
    dict(h=32, c=1, o=8, k=5, s=2),
    dict(h=32, c=1, o=9, k=5, s=1),
    dict(h=32, c=1, o=16, kh=3, kw=1, s=1),
    dict(h=32, c=1, o=16, kh=1, kw=3, s=1),
    dict(h=49, w=10, c=1, o=64, kh=10, kw=4, s=2),
    dict(h=48, c=1, o=16, k=7, s=2),
    dict(h=32, c=2, o=8, k=5, s=2),
    dict(h=32, c=3, o=16, k=5, s=1),
    dict(h=64, c=3, o=16, k=7, s=2),
    dict(h=96, c=3, o=8, k=7, s=2),
]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=Path("out/bench-first"))
    ap.add_argument("--seed", type=int, default=11)
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    ok = True
    for i, p in enumerate(SHAPES):
        r = kernels.measure("CONV_2D_first", p, args.seed + i, args.out)
        ok &= r["exact"]
        print(f"{kernels._label(p)}: {r['per']:.2f} instructions/MAC ({r['count']:,}, {r['path']})"
              f"{'' if r['exact'] else ' MISMATCH'}", flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
