"""The mcunets engine against TensorFlow Lite Micro on every zoo architecture (α=0.25, 96 px):
arena bytes (engine plan vs mcunets.tflm.arena_bytes) and their ratio, constant-data (flash) bytes,
host microseconds per inference (engine through ctypes vs the tflite-micro interpreter, min of
interleaved runs, which is robust to other load on the machine), and whether the engine's output
bytes equal TFLite's reference kernels on random inputs.

    python benchmarks/engine.py
    python benchmarks/engine.py --arch mobilenet --arch mobilenet_v2 --runs 30
    python benchmarks/engine.py --models-dir DIR   # reuse/keep converted DIR/<arch>.tflite

Targets: MobileNet v1 0.25/96 arena <= 0.56 x TFLM; host time <= 0.33 x TFLM.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

import mcunets  # noqa: F401

ARENA_TARGET = 0.56
TIME_TARGET = 0.33


def _model(arch: str, alpha: float, resolution: int, models_dir: Path | None) -> bytes:
    from mcunets import convert

    path = models_dir / f"{arch}.tflite" if models_dir else None
    if path is not None and path.exists():
        return path.read_bytes()
    model, _ = convert.untrained_int8(arch, alpha=alpha, resolution=resolution)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(model)
    return model


def measure(arch: str, model: bytes, runs: int, seed: int = 0) -> dict:
    from tflite_micro.python.tflite_micro import runtime

    from mcunets import tflm
    from mcunets.engine import generate
    from mcunets.engine.host import HostLibrary
    from mcunets.engine.reader import read_model

    gen = generate(model, arch, prefix="bench")
    tflm_arena = tflm.arena_bytes(model)
    lib = HostLibrary([gen])
    try:
        g = read_model(model)
        rng = np.random.default_rng(seed)
        exact = True
        x = None
        for _ in range(3):
            x = [rng.integers(-128, 128, size=g.tensors[t].shape, dtype=np.int64).astype(np.int8) for t in g.inputs]
            got = lib.run("bench", x)
            want = tflm.run_reference(model, x)
            exact &= all(a.tobytes() == b.tobytes() for a, b in zip(got, want))
        interp = runtime.Interpreter.from_bytes(model, arena_size=32 * 1024 * 1024)
        for i, xi in enumerate(x):
            interp.set_input(xi, i)
        interp.invoke()
        invoke = lib._fns["bench"][2]
        invoke()
        eng, ref = [], []
        for _ in range(runs):
            t0 = time.perf_counter()
            invoke()
            eng.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            interp.invoke()
            ref.append(time.perf_counter() - t0)
    finally:
        lib.close()
    return {
        "arch": arch, "arena": gen.arena_bytes, "tflm_arena": tflm_arena, "arena_ratio": gen.arena_bytes / tflm_arena,
        "flash": gen.flash_bytes, "tflite": len(model), "engine_us": min(eng) * 1e6, "tflm_us": min(ref) * 1e6,
        "time_ratio": min(eng) / min(ref), "exact": exact, "macs": gen.macs,
    }


def main(argv=None) -> int:
    from mcunets import zoo
    from mcunets.errors import UnsupportedOpError
    from mcunets.report import format_table

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--arch", action="append", default=[], help="only these architectures (repeatable)")
    ap.add_argument("--alpha", type=float, default=0.25)
    ap.add_argument("--resolution", type=int, default=96)
    ap.add_argument("--runs", type=int, default=20, help="timed inferences per runtime")
    ap.add_argument("--models-dir", type=Path, default=None)
    args = ap.parse_args(argv)
    rows, ok = [], True
    for arch in args.arch or list(zoo.ARCHITECTURES):
        model = _model(arch, args.alpha, args.resolution, args.models_dir)
        try:
            r = measure(arch, model, args.runs)
        except UnsupportedOpError as e:
            rows.append([arch, "-", "-", "-", "-", "-", "-", "-", f"unsupported: {e}"])
            ok = False
            continue
        ok &= r["exact"]
        rows.append([arch, f"{r['arena']:,}", f"{r['tflm_arena']:,}", f"{r['arena_ratio']:.3f}", f"{r['flash']:,}",
                     f"{r['engine_us']:.0f}", f"{r['tflm_us']:.0f}", f"{r['time_ratio']:.3f}",
                     "yes" if r["exact"] else "NO"])
        print(f"  {arch}: done", file=sys.stderr, flush=True)
        if arch == "mobilenet":
            print(f"  mobilenet targets: arena ratio {r['arena_ratio']:.3f} (<= {ARENA_TARGET}), "
                  f"time ratio {r['time_ratio']:.3f} (<= {TIME_TARGET})", file=sys.stderr)
    print(format_table(["arch", "engine arena", "TFLM arena", "ratio", "flash", "engine µs", "TFLM µs",
                        "time ratio", "bit-exact"], rows))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
