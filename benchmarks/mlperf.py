"""The four MLPerf Tiny v1.0 reference architectures on the engine: instructions per inference on qemu-m4
beside TFLM + CMSIS-NN on the same emulated Cortex-M4 (the trained reference models, ../shared/ANCHORS.md),
arena, flash, code size, and host time against the tflite-micro interpreter.

Each architecture is rebuilt in Keras from its published definition (MobileNetV1 α=0.25 96×96×3 with 2
classes for VWW; ResNet-8 for CIFAR-10; DS-CNN-S 49×10×1 with 12 classes for KWS; the FC autoencoder
640→128×4→8→128×4→640 for AD) with random weights. BatchNorm statistics are taken from random data,
and a few output channels per layer are made near-dead (BatchNorm gamma 10^-3..10^-6), as trained
models have: their tiny weight scales give requantization shifts down to -31 or a zero multiplier.
The stock TFLiteConverter converts each to full int8 (int8 input and output). Outputs are compared
with TFLite's reference kernels byte for byte, on qemu-m4 and on the host.

Sizes are those of the qemu-m4 firmware built without the per-layer counters (the profiled build that
counts instructions adds two calls per layer): flash is its text + data; engine code is the engine's
part of it without the model's constant data it links (weights, biases, requantization multipliers and
shifts, tables; `targets.model_data_bytes`, from the linker map: arrays that only portable kernels read
are not linked on a DSP core): the kernels (firmware/engine) and the generated model.c (invoke code, parameter structs);
firmware code is the whole flash without that constant data, so it also counts the harness (start-up,
semihosting UART, driver and report printing) and the C library (memcpy, memset). --code prints the
flash by source file.

    .venv/bin/python benchmarks/mlperf.py [--model vww --model ic ...] [--out out/bench-mlperf] [--layers] [--code]
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

import numpy as np

import mcunets  # noqa: F401  (selects tf-keras before TensorFlow loads)

# TFLM + CMSIS-NN instructions per inference on qemu-m4, trained MLPerf Tiny reference models (ANCHORS.md)
TFLM_CMSIS = {"vww": 24.10e6, "ic": 29.86e6, "kws": 7.70e6, "ad": 0.583e6}
TARGET = {"vww": 0.47, "ic": 0.47, "kws": 0.47, "ad": 0.6}
DESCRIPTION = {
    "vww": "VWW: MobileNetV1 α=0.25, 96×96×3",
    "ic": "IC: ResNet-8, CIFAR-10 32×32×3",
    "kws": "KWS: DS-CNN-S, 49×10×1",
    "ad": "AD: FC autoencoder, 640 inputs",
}


def _vww(L):
    inputs = L.Input((96, 96, 3))
    x = inputs

    def cbr(x, conv):
        return L.ReLU()(L.BatchNormalization()(conv(x)))

    x = cbr(x, L.Conv2D(8, 3, strides=2, padding="same", kernel_initializer="he_normal"))
    for filters, stride in [(16, 1), (32, 2), (32, 1), (64, 2), (64, 1), (128, 2), (128, 1), (128, 1),
                            (128, 1), (128, 1), (128, 1), (256, 2), (256, 1)]:
        x = cbr(x, L.DepthwiseConv2D(3, strides=stride, padding="same", depthwise_initializer="he_normal"))
        x = cbr(x, L.Conv2D(filters, 1, padding="same", kernel_initializer="he_normal"))
    x = L.AveragePooling2D(pool_size=x.shape[1:3])(x)
    x = L.Dense(2, activation="softmax")(L.Flatten()(x))
    return inputs, x


def _ic(L):
    inputs = L.Input((32, 32, 3))

    def conv(filters, k, s):
        return L.Conv2D(filters, k, strides=s, padding="same", kernel_initializer="he_normal")

    x = L.ReLU()(L.BatchNormalization()(conv(16, 3, 1)(inputs)))
    for filters, stride in [(16, 1), (32, 2), (64, 2)]:
        y = L.ReLU()(L.BatchNormalization()(conv(filters, 3, stride)(x)))
        y = L.BatchNormalization()(conv(filters, 3, 1)(y))
        if stride != 1:
            x = conv(filters, 1, stride)(x)
        x = L.ReLU()(L.Add()([x, y]))
    x = L.AveragePooling2D(pool_size=8)(x)
    x = L.Dense(10, activation="softmax")(L.Flatten()(x))
    return inputs, x


def _kws(L):
    inputs = L.Input((49, 10, 1))
    x = L.Conv2D(64, (10, 4), strides=(2, 2), padding="same", kernel_initializer="he_normal")(inputs)
    x = L.ReLU()(L.BatchNormalization()(x))
    for _ in range(4):
        x = L.ReLU()(L.BatchNormalization()(L.DepthwiseConv2D(3, padding="same")(x)))
        x = L.ReLU()(L.BatchNormalization()(L.Conv2D(64, 1, padding="same")(x)))
    x = L.AveragePooling2D(pool_size=x.shape[1:3])(x)
    x = L.Dense(12, activation="softmax")(L.Flatten()(x))
    return inputs, x


def _ad(L):
    inputs = L.Input((640,))
    x = inputs
    for units in [128, 128, 128, 128, 8, 128, 128, 128, 128]:
        x = L.ReLU()(L.BatchNormalization()(L.Dense(units)(x)))
    return inputs, L.Dense(640)(x)


BUILDERS = {"vww": _vww, "ic": _ic, "kws": _kws, "ad": _ad}


def build_keras(name: str, seed: int = 0):
    """The architecture with random weights, BatchNorm statistics from random data and near-dead
    channels (a trained model's quantization parameters)."""
    import tensorflow as tf

    tf.keras.utils.set_random_seed(seed)
    L = tf.keras.layers
    inputs, outputs = BUILDERS[name](L)
    model = tf.keras.Model(inputs, outputs)
    rng = np.random.default_rng(seed)
    data = rng.standard_normal((32,) + tuple(model.input_shape[1:])).astype(np.float32)
    for layer in model.layers:
        if not isinstance(layer, L.BatchNormalization):
            continue
        pre = tf.keras.Model(model.input, layer.input)(data, training=False).numpy()
        axes = tuple(range(pre.ndim - 1))
        gamma, beta, _, _ = layer.get_weights()
        n = gamma.size
        gamma = rng.uniform(0.5, 1.5, n).astype(np.float32)
        beta = (rng.standard_normal(n) * 0.3).astype(np.float32)
        dead = rng.choice(n, size=max(1, n // 32), replace=False)
        gamma[dead] *= (10.0 ** -rng.uniform(3, 6, dead.size)).astype(np.float32)
        layer.set_weights([gamma, beta, pre.mean(axis=axes), pre.var(axis=axes) + 1e-3])
    return model, data


def convert_int8(model, data) -> bytes:
    import tensorflow as tf

    def rep():
        for i in range(len(data)):
            yield [data[i:i + 1]]

    conv = tf.lite.TFLiteConverter.from_keras_model(model)
    conv.optimizations = [tf.lite.Optimize.DEFAULT]
    conv.representative_dataset = rep
    conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    conv.inference_input_type = tf.int8
    conv.inference_output_type = tf.int8
    return conv.convert()


def mlperf_model(name: str, out: Path, seed: int = 0) -> bytes:
    path = out / f"{name}.tflite"
    if path.is_file():
        return path.read_bytes()
    model, data = build_keras(name, seed)
    tfl = convert_int8(model, data)
    out.mkdir(parents=True, exist_ok=True)
    path.write_bytes(tfl)
    return tfl


def shift_range(model: bytes) -> tuple[int, int]:
    """The smallest and largest requantization shift of the model's convolutions and dense layers."""
    from mcunets.engine.lower import lower
    from mcunets.engine.reader import read_model

    shifts = [s for l in lower(read_model(model)) for s in getattr(l, "shifts", ())]
    return (min(shifts), max(shifts)) if shifts else (0, 0)


def _engine_bench():
    """benchmarks/engine.py (host timing against the tflite-micro interpreter)."""
    here = str(Path(__file__).resolve().parent)
    if here not in sys.path:
        sys.path.insert(0, here)
    import engine

    return engine


def measure(name: str, model: bytes, out: Path, host_runs: int) -> dict:
    engine_bench = _engine_bench()
    from mcunets import targets
    from mcunets.engine import kernel_sources
    from mcunets.profile import layer_info
    from mcunets.report import parse_report
    from mcunets.tflm import run_reference

    macs = sum(l.macs for l in layer_info(model, use_engine=False))
    text, fw = targets.profile_model(model, "qemu-m4", out / "build" / name, name=name, runs=1, warmup=0,
                                     timeout=1800)
    plain = targets.build(dataclasses.replace(targets.generated_sources(model, name, out / "build" / name / "model"),
                                              defines=()), "qemu-m4", out / "build" / name / "plain", runs=1,
                          warmup=0, timeout=1800)
    by_source = targets.flash_by_source(plain)
    kernels = {p.name for p in kernel_sources()}
    data = targets.model_data_bytes(plain, next(p for p in plain.sources if p.name == "model.c"))
    engine_code = sum(v for k, v in by_source.items() if k in kernels) + by_source["model.c"] - data
    report = parse_report(text)
    expected = run_reference(model, targets.runner_inputs(targets.io_specs(model)[0], 1))
    exact = [o.data for o in report.outputs] == [e.tobytes() for e in expected]
    host = engine_bench.measure(name, model, host_runs)
    by_op: dict[str, int] = {}
    for l in report.layers:
        by_op[l.op] = by_op.get(l.op, 0) + l.count
    return {
        "name": name, "instructions": report.median, "macs": macs, "arena": report.arena_used,
        "flash": plain.sections["flash"], "code": plain.sections["flash"] - data,
        "engine_code": engine_code, "by_source": by_source, "weights": data,
        "exact": exact and host["exact"], "engine_us": host["engine_us"], "tflm_us": host["tflm_us"],
        "host_ratio": host["time_ratio"], "by_op": by_op, "shifts": shift_range(model),
        "layers": [(l.index, l.op, l.count, l.macs if hasattr(l, "macs") else None) for l in report.layers],
    }


def main(argv=None) -> int:
    from mcunets.report import format_table

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", action="append", choices=list(BUILDERS), help="only these (repeatable)")
    ap.add_argument("--out", type=Path, default=Path("out/bench-mlperf"))
    ap.add_argument("--host-runs", type=int, default=100,
                    help="interleaved host inferences per runtime (the minimum of each is compared)")
    ap.add_argument("--layers", action="store_true", help="print per-operator instruction totals")
    ap.add_argument("--code", action="store_true", help="print the flash by source file")
    args = ap.parse_args(argv)
    rows, ok = [], True
    for name in args.model or list(BUILDERS):
        model = mlperf_model(name, args.out)
        r = measure(name, model, args.out, args.host_runs)
        ok &= r["exact"]
        ratio = r["instructions"] / TFLM_CMSIS[name]
        rows.append([DESCRIPTION[name], f"{r['instructions'] / 1e6:.2f} M", f"{TFLM_CMSIS[name] / 1e6:.2f} M",
                     f"{ratio:.2f} (≤ {TARGET[name]})", f"{r['instructions'] / r['macs']:.2f}",
                     f"{r['arena']:,}", f"{r['flash']:,}", f"{r['engine_code']:,}", f"{r['code']:,}",
                     f"{r['engine_us']:.0f} / {r['tflm_us']:.0f} = {r['host_ratio']:.2f}",
                     f"{r['shifts'][0]}..{r['shifts'][1]}", "yes" if r["exact"] else "NO"])
        print(f"  {name}: {r['instructions']:,} instructions", file=sys.stderr, flush=True)
        if args.layers:
            for op, count in sorted(r["by_op"].items(), key=lambda kv: -kv[1]):
                print(f"    {op:20s} {count:>12,}", file=sys.stderr)
        if args.code:
            print(f"    constant model data (in model.c) {r['weights']:>10,}", file=sys.stderr)
            for src, size in sorted(r["by_source"].items(), key=lambda kv: -kv[1]):
                print(f"    {src:32s} {size:>10,}", file=sys.stderr)
    print(format_table(["model", "engine", "TFLM + CMSIS-NN", "ratio", "instr/MAC", "arena B", "flash B",
                        "engine code B", "firmware code B", f"host µs engine / TFLM (≤ {_engine_bench().TIME_TARGET})",
                        "shifts", "bit-exact"], rows))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
