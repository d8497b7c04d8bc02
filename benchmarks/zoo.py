"""Every zoo architecture through QAT wrapping and int8 conversion, checked in the real TFLM
interpreter against TFLite's reference kernels, byte for byte.

    python benchmarks/zoo.py [--alpha 0.25] [--resolution 96] [--samples 10] [--arch NAME ...]

Prints one row per architecture: parameters, MACs, int8 .tflite bytes, TFLM arena bytes (allocation
recording of the tflite-micro interpreter), how many random int8 inputs gave identical outputs, the
conversion time and the operators used.
"""

import argparse
import json
import time

import numpy as np

import mcunets  # noqa: F401
from mcunets import convert, tflm, zoo
from mcunets.engine.reader import read_model
from mcunets.report import format_table


def bit_exact_count(model_bytes: bytes, samples: int, seed: int = 0) -> int:
    graph = read_model(model_bytes)
    shape = graph.tensors[graph.inputs[0]].shape
    rng = np.random.default_rng(seed)
    same = 0
    for _ in range(samples):
        x = rng.integers(-128, 128, shape, dtype=np.int8)
        got, want = tflm.run_tflm(model_bytes, [x]), tflm.run_reference(model_bytes, [x])
        same += [g.tobytes() for g in got] == [w.tobytes() for w in want]
    return same


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alpha", type=float, default=0.25)
    parser.add_argument("--resolution", type=int, default=96)
    parser.add_argument("--classes", type=int, default=10)
    parser.add_argument("--samples", type=int, default=10)
    parser.add_argument("--arch", action="append", choices=list(zoo.ARCHITECTURES))
    parser.add_argument("--json", help="Also write the rows to this file.")
    args = parser.parse_args()

    rows = []
    for arch in args.arch or zoo.ARCHITECTURES:
        start = time.perf_counter()
        model_bytes, model = convert.untrained_int8(arch, alpha=args.alpha, resolution=args.resolution,
                                                    classes=args.classes)
        seconds = time.perf_counter() - start
        summary = zoo.describe(arch, args.alpha, model, model_bytes)
        same = bit_exact_count(model_bytes, args.samples)
        rows.append({**summary.as_dict(), "bit_exact": same, "samples": args.samples,
                     "convert_seconds": round(seconds, 1)})
        print(f"{arch}: done", flush=True)

    print(format_table(
        ["arch", "params", "MACs", "int8 bytes", "TFLM arena", "TFLM == ref", "QAT+convert s", "ops"],
        [[r["arch"], f"{r['params']:,}", f"{r['macs']:,}", f"{r['tflite_bytes']:,}",
          f"{r['tflm_arena_bytes']:,}", f"{r['bit_exact']}/{r['samples']}", f"{r['convert_seconds']:.1f}",
          " ".join(r["ops"])] for r in rows],
    ))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=2)


if __name__ == "__main__":
    main()
