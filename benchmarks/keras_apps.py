"""The engine on models it was not designed with: Keras applications converted by the stock
TFLiteConverter to full int8 (untrained weights, BatchNorm statistics from random images so no
layer's range vanishes). For each model: its operators, whether the engine runs it, arena (engine
plan vs TFLM) and constant bytes, and whether the engine's output bytes on the host equal TFLite's
reference kernels on random inputs.

    .venv/bin/python benchmarks/keras_apps.py
    .venv/bin/python benchmarks/keras_apps.py --model EfficientNetB0 --model DenseNet121
"""

from __future__ import annotations

import argparse
import collections
import sys

import numpy as np

import mcunets  # noqa: F401  (selects tf-keras before TensorFlow loads)
from mcunets.report import format_table

# name: (constructor keyword arguments, input size)
MODELS = {
    "MobileNetV2": (dict(alpha=0.35), 64),
    "EfficientNetB0": ({}, 64),
    "DenseNet121": ({}, 32),
    "NASNetMobile": ({}, 32),
}


def convert(name: str, seed: int = 0) -> bytes:
    import tf_keras as keras

    from mcunets.engine.testing import keras_int8

    kwargs, size = MODELS[name]
    keras.backend.clear_session()
    keras.utils.set_random_seed(seed)
    model = getattr(keras.applications, name)(input_shape=(size, size, 3), weights=None, classes=10, **kwargs)
    images = np.random.default_rng(seed).uniform(-1, 1, (16, size, size, 3)).astype(np.float32)
    return keras_int8(model, images)


def measure(name: str, model: bytes, runs: int, seed: int = 0) -> list:
    from mcunets import tflm
    from mcunets.engine import generate
    from mcunets.engine.host import HostLibrary
    from mcunets.engine.reader import read_model
    from mcunets.errors import UnsupportedOpError

    g = read_model(model)
    ops = collections.Counter(o.op for o in g.operators)
    listed = ", ".join(f"{op} {n}" for op, n in ops.most_common())
    tflm_arena = tflm.arena_bytes(model)
    try:
        gen = generate(model, prefix="m")
    except UnsupportedOpError as e:
        return [name, len(model), f"{tflm_arena:,}", "-", "-", f"no: {e}", listed]
    lib = HostLibrary([gen])
    rng = np.random.default_rng(seed)
    exact = True
    try:
        for _ in range(runs):
            x = [rng.integers(-128, 128, g.tensors[t].shape, dtype=np.int64).astype(np.int8) for t in g.inputs]
            exact &= all(a.tobytes() == b.tobytes() for a, b in zip(lib.run("m", x), tflm.run_reference(model, x)))
    finally:
        lib.close()
    return [name, f"{len(model):,}", f"{tflm_arena:,}", f"{gen.arena_bytes:,}", f"{gen.flash_bytes:,}",
            "yes" if exact else "NO", listed]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", action="append", choices=list(MODELS), help="only these (repeatable)")
    ap.add_argument("--runs", type=int, default=3, help="random inputs per model")
    args = ap.parse_args(argv)
    rows = []
    for name in args.model or MODELS:
        rows.append(measure(name, convert(name), args.runs))
        print(f"  {name}: {rows[-1][5]}", file=sys.stderr, flush=True)
    print(format_table(["model", ".tflite B", "TFLM arena B", "engine arena B", "engine flash B",
                        "bit-exact (host)", "operators"], rows))
    return 0 if all(r[5] == "yes" for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
