"""Differential testing of the engine against TFLite's reference kernels.

``make_case(op, rng)`` builds a randomized single-op model with the TFLite converter (random shapes,
strides, paddings, dilations, activations, and representative data of random range and offset so
that scales and zero points vary) plus random int8 inputs.  ``check_cases`` generates C for a batch of
cases, compiles them into one shared library, runs each input through the engine and through TFLite's
reference kernels (:func:`mcunets.tflm.run_reference`), and compares the output bytes exactly.
``with_kernel_objects`` / ``validate_on_board`` build a simulated board's firmware with the kernel
library compiled once per board, flags and source content (cached), not once per firmware.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np

import mcunets  # noqa: F401  (selects tf-keras before TensorFlow loads)


@dataclass
class Case:
    name: str
    model: bytes
    inputs: list  # list of input lists (one list of arrays per run)
    params: dict = field(default_factory=dict)


def random_buffers(rng, least_overlap: int = 0):
    """A random memory-planning case for ``planner.place``: (buffers, pairs). 3-13 layers, per layer its
    output (the first: the graph input; 4-252 bytes, 8 times that at times, living 1-3 layers), then at
    times its scratch; an output may start inside its dying input (pairs: the allowed offset, a multiple of 4
    from ``least_overlap``)."""
    from mcunets.engine import planner

    layers = int(rng.integers(3, 14))
    bufs, pairs = [], {}
    for k in range(-1, layers):
        size = int(rng.integers(1, 64)) * 4 * (8 if rng.random() < 0.2 else 1)
        bufs.append(planner.Buffer(len(bufs), size, k, min(layers, k + 1 + int(rng.integers(0, 3)))))
        if k >= 0 and rng.random() < 0.5:
            bufs.append(planner.Buffer(len(bufs), int(rng.integers(1, 48)) * 4, k, k, scratch_of=k))
    outs = [b for b in bufs if b.scratch_of < 0]
    for a, b in zip(outs, outs[1:]):
        if a.last == b.first and rng.random() < 0.6:
            pairs[(a.id, b.id)] = int(rng.integers(least_overlap // 4, a.size // 4 + 1)) * 4
    return bufs, pairs


def _rep_scale(rng) -> tuple[float, float]:
    """A random (offset, spread) for representative data, so quantization parameters vary widely."""
    spread = float(10 ** rng.uniform(-1.5, 1.5))
    offset = float(rng.uniform(-1, 1) * spread * rng.choice([0, 0.5, 1.0]))
    return offset, spread


def convert(fn, specs: Sequence[tuple], rng, *, float_io: bool = False, samples: int = 6,
            dense_per_tensor: bool = False, per_tensor: bool = False, uint8_io: bool = False,
            rep_map=None) -> bytes:
    """Convert a tf.function to a fully-int8 TFLite model (int8, uint8 or float I/O); ``dense_per_tensor``:
    FULLY_CONNECTED weights quantized per tensor (the converter's default is per output channel);
    ``per_tensor``: every layer's weights per tensor; ``rep_map``: applied to each array of representative
    data (REP_MAPS: above zero for RSQRT, SQRT, LOG, bounded for EXP)."""
    import tensorflow as tf

    sig = [tf.TensorSpec(shape, tf.float32) for shape in specs]
    concrete = tf.function(fn, input_signature=sig).get_concrete_function()
    stats = [_rep_scale(rng) for _ in specs]

    def rep():
        for _ in range(samples):
            data = [(off + spread * rng.standard_normal(shape)).astype(np.float32)
                    for shape, (off, spread) in zip(specs, stats)]
            yield [rep_map(d).astype(np.float32) for d in data] if rep_map is not None else data

    conv = tf.lite.TFLiteConverter.from_concrete_functions([concrete])
    conv.optimizations = [tf.lite.Optimize.DEFAULT]
    conv.representative_dataset = rep
    conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    if dense_per_tensor:
        conv._experimental_disable_per_channel_quantization_for_dense_layers = True
    if per_tensor:
        conv._experimental_disable_per_channel = True
    if not float_io:
        conv.inference_input_type = tf.uint8 if uint8_io else tf.int8
        conv.inference_output_type = tf.uint8 if uint8_io else tf.int8
    return conv.convert()


def keras_int8(model, images: np.ndarray, calibrate: int = 8) -> bytes:
    """A Keras model, its BatchNorm statistics taken from ``images`` (so no layer's range vanishes),
    converted by the stock TFLiteConverter to full int8 with int8 I/O, calibrated on the first images."""
    import tensorflow as tf
    import tf_keras as keras

    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.momentum = 0.0
    model(images, training=True)
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = lambda: ([im[None]] for im in images[:calibrate])
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = converter.inference_output_type = tf.int8
    return converter.convert()


def _act(rng):
    import tensorflow as tf

    return rng.choice(["none", "relu", "relu6"]), {"none": lambda v: v, "relu": tf.nn.relu,
                                                   "relu6": tf.nn.relu6}


def _weights(rng, shape):
    return (rng.standard_normal(shape) * 10 ** rng.uniform(-1, 0.5)).astype(np.float32)


# ---- case builders: each returns (fn, input shapes, params, float_io) -----------------------------


def _conv(rng):
    import tensorflow as tf

    k = (int(rng.integers(1, 6)), int(rng.integers(1, 6)))
    dilated = rng.random() < 0.25
    stride = (1, 1) if dilated else (int(rng.integers(1, 4)), int(rng.integers(1, 4)))
    dil = (int(rng.integers(1, 4)), int(rng.integers(1, 4))) if dilated else (1, 1)
    groups = int(rng.choice([1, 1, 1, 2, 3]))
    cin = groups * int(rng.integers(1, 6))
    cout = groups * int(rng.integers(1, 6))
    pad = str(rng.choice(["SAME", "VALID"]))
    eff = ((k[0] - 1) * dil[0] + 1, (k[1] - 1) * dil[1] + 1)
    h = int(rng.integers(eff[0], eff[0] + 10))
    w = int(rng.integers(eff[1], eff[1] + 10))
    n = int(rng.choice([1, 1, 1, 2]))
    filt = tf.constant(_weights(rng, (k[0], k[1], cin // groups, cout)))
    bias = tf.constant(_weights(rng, (cout,)))
    use_bias = rng.random() < 0.8
    act, acts = _act(rng)

    def fn(x):
        y = tf.nn.conv2d(x, filt, strides=[1, *stride, 1], padding=pad, dilations=[1, *dil, 1])
        if use_bias:
            y = y + bias
        return acts[act](y)

    return fn, [(n, h, w, cin)], dict(k=k, stride=stride, dil=dil, groups=groups, pad=pad, act=act), False


def _transpose_conv(rng):
    import tensorflow as tf

    k = (int(rng.integers(1, 5)), int(rng.integers(1, 5)))
    stride = (int(rng.integers(1, 3)), int(rng.integers(1, 3)))
    cin, cout = int(rng.integers(1, 7)), int(rng.integers(1, 7))
    pad = str(rng.choice(["SAME", "VALID"]))
    n, h, w = int(rng.choice([1, 1, 2])), int(rng.integers(1, 7)), int(rng.integers(1, 7))
    size = [h * s if pad == "SAME" else (h - 1) * s + kk for h, s, kk in ((h, stride[0], k[0]), (w, stride[1], k[1]))]
    filt = tf.constant(_weights(rng, (k[0], k[1], cout, cin)))
    bias = tf.constant(_weights(rng, (cout,)))
    use_bias = rng.random() < 0.5

    def fn(x):
        y = tf.nn.conv2d_transpose(x, filt, [n, *size, cout], strides=[1, *stride, 1], padding=pad)
        return y + bias if use_bias else y

    return fn, [(n, h, w, cin)], dict(k=k, stride=stride, pad=pad, bias=use_bias), False


def transpose_conv_modes(rng):
    """One model of eight TRANSPOSE_CONV layers: SAME and VALID, strides 1 and 2 (one layer (1, 2)), with and
    without bias, kernels 1-4, depths 1-8, a batch of 2."""
    import tensorflow as tf

    layers = []
    for j, (pad, s, use_bias) in enumerate((p, s, b) for p in ("SAME", "VALID") for s in (1, 2) for b in (False, True)):
        stride = (1, 2) if j == 5 else (s, s)
        k = (int(rng.integers(1, 5)), int(rng.integers(1, 5)))
        n, h, w, cin, cout = 1 + (j == 2), int(rng.integers(2, 7)), int(rng.integers(2, 7)), int(rng.integers(1, 9)), int(rng.integers(1, 9))
        size = [a * st if pad == "SAME" else (a - 1) * st + kk for a, st, kk in ((h, stride[0], k[0]), (w, stride[1], k[1]))]
        layers.append(((n, h, w, cin), tf.constant(_weights(rng, (*k, cout, cin))),
                       tf.constant(_weights(rng, (cout,))) if use_bias else None, [n, *size, cout], stride, pad))

    def fn(*xs):
        out = []
        for x, (_, filt, bias, shape, stride, pad) in zip(xs, layers):
            y = tf.nn.conv2d_transpose(x, filt, shape, strides=[1, *stride, 1], padding=pad)
            out.append(y if bias is None else y + bias)
        return tuple(out)

    return fn, [spec for spec, *_ in layers], dict(layers=[(sp, st, pd, b is not None) for sp, _, b, _, st, pd in layers]), False


def transpose_conv_cases(seed: int, runs: int = 2) -> list:
    """Two models of ten TRANSPOSE_CONV layers each for the phase paths (mcu_transpose_conv_s8 and its DSP
    path): input depths 1-5, 8, 12, 16 (gathered and direct patches), output channels 1-3, 5, 8, 9, 16 (odd
    ones), kernels 1-4 (phases without taps where the kernel is smaller than the stride), strides 1, 2, (1, 2),
    (2, 1), SAME and VALID (2 x 2 SAME and 4 x 4 VALID at stride 2: phases sharing their patches), bias or
    not, ReLU (its output zero point moved above -128), ReLU6 or none, odd and even widths (a phase's last
    pixel alone), one layer on a batch of 2; one model with per-channel weights, one per tensor; asymmetric
    zero points."""
    import tensorflow as tf

    rng = np.random.default_rng(seed)
    acts = {"none": lambda v: v, "relu": tf.nn.relu, "relu6": tf.nn.relu6}
    cases = []
    for per_tensor in (False, True):
        layers = []
        for j in range(10):
            stride = [(1, 1), (2, 2), (2, 2), (1, 2), (2, 1)][j % 5]
            k = (int(rng.integers(1, 5)), int(rng.integers(1, 5)))
            k = {1: (2, 2), 2: (4, 4)}.get(j, k)  # every phase with the same taps: SAME 2 x 2, VALID 4 x 4
            cin = int(rng.choice([1, 2, 3, 4, 5, 8, 12, 16]))
            cout = int(rng.choice([1, 2, 3, 5, 8, 9, 16]))
            n, h, w = 1 + (j == 3), int(rng.integers(1, 7)), int(rng.integers(1, 8))
            pad = "VALID" if j % 3 == 2 else "SAME"
            size = [a * st if pad == "SAME" else (a - 1) * st + kk for a, st, kk in ((h, stride[0], k[0]), (w, stride[1], k[1]))]
            act = ["none", "relu", "relu6"][j % 3 if j % 2 else (j // 2) % 3]
            layers.append(((n, h, w, cin), tf.constant(_weights(rng, (*k, cout, cin))),
                           tf.constant(_weights(rng, (cout,))) if j % 4 != 1 else None, [n, *size, cout], stride, pad, act))

        def make(layers):
            def fn(*xs):
                out = []
                for x, (_, filt, bias, shape, stride, pad, act) in zip(xs, layers):
                    y = tf.nn.conv2d_transpose(x, filt, shape, strides=[1, *stride, 1], padding=pad)
                    out.append(acts[act](y if bias is None else y + bias))
                return tuple(out)
            return fn

        model = convert(make(layers), [spec for spec, *_ in layers], rng, per_tensor=per_tensor)
        model = shift_zero_points(model, rng, "TRANSPOSE_CONV", every=2)
        from mcunets.engine.reader import read_model

        g = read_model(model)
        inputs = [[random_input(rng, g.tensors[t].dtype, g.tensors[t].shape) for t in g.inputs] for _ in range(runs)]
        name = f"transpose conv {'per tensor' if per_tensor else 'per channel'} {seed}"
        cases.append(Case(name, model, inputs, dict(layers=[(sp, st, pd, a) for sp, *_, st, pd, a in layers])))
    return cases


def _dwconv(rng):
    import tensorflow as tf

    k = (int(rng.integers(1, 6)), int(rng.integers(1, 6)))
    dilated = rng.random() < 0.25
    s = int(rng.integers(1, 4))
    stride = (1, 1) if dilated else (s, s)
    d = int(rng.integers(1, 4))
    dil = (d, d) if dilated else (1, 1)
    cin = int(rng.integers(1, 9))
    mult = int(rng.choice([1, 1, 1, 2, 3]))
    pad = str(rng.choice(["SAME", "VALID"]))
    eff = ((k[0] - 1) * dil[0] + 1, (k[1] - 1) * dil[1] + 1)
    h = int(rng.integers(eff[0], eff[0] + 10))
    w = int(rng.integers(eff[1], eff[1] + 10))
    n = int(rng.choice([1, 1, 1, 2]))
    filt = tf.constant(_weights(rng, (k[0], k[1], cin, mult)))
    bias = tf.constant(_weights(rng, (cin * mult,)))
    act, acts = _act(rng)

    def fn(x):
        y = tf.nn.depthwise_conv2d(x, filt, strides=[1, *stride, 1], padding=pad, dilations=dil)
        return acts[act](y + bias)

    return fn, [(n, h, w, cin)], dict(k=k, stride=stride, dil=dil, mult=mult, pad=pad, act=act), False


def _fc(rng):
    import tensorflow as tf

    n = int(rng.choice([1, 1, 2, 3]))
    din, dout = int(rng.integers(1, 64)), int(rng.integers(1, 32))
    wt = tf.constant(_weights(rng, (din, dout)))
    bias = tf.constant(_weights(rng, (dout,)))
    use_bias = rng.random() < 0.8
    act, acts = _act(rng)

    def fn(x):
        y = tf.matmul(x, wt)
        if use_bias:
            y = y + bias
        return acts[act](y)

    return fn, [(n, din)], dict(n=n, din=din, dout=dout, act=act), False


def _fc_activation(rng):
    """FULLY_CONNECTED whose weights are an activation: the converter's form of rank-2 products by a
    transposed activation, tf.matmul(a, b, transpose_b=True), tf.einsum("ij,kj->ik"), tf.tensordot over the
    last axes, a @ a^T (one tensor both operands), a depth-1 a @ b (b reshaped to [n, 1]) and a rank-3 a
    (flattened, keep_num_dims); with a constant bias or a fused ReLU / ReLU6 at times."""
    import tensorflow as tf

    form = str(rng.choice(["matmul", "einsum", "tensordot", "gram", "depth1", "rank3"]))
    n, depth, oc = int(rng.integers(1, 9)), int(rng.choice([1, 2, 3, 5, 8, 13, 16, 37])), int(rng.integers(1, 13))
    if form == "depth1":
        depth = 1
    if form == "gram":
        oc = n
    bias = tf.constant(_weights(rng, (oc,)))
    use_bias = rng.random() < 0.4
    act, acts = _act(rng)
    params = dict(form=form, n=n, depth=depth, out=oc, bias=use_bias, act=act)

    def post(y):
        return acts[act](y + bias if use_bias else y)

    if form == "gram":
        return (lambda a: post(tf.matmul(a, a, transpose_b=True))), [(n, depth)], params, False
    if form == "depth1":
        return (lambda a, b: post(tf.matmul(a, b))), [(n, 1), (1, oc)], params, False
    if form == "rank3":
        def fn3(a, b):
            y = tf.matmul(tf.reshape(a, [-1, depth]), b, transpose_b=True)
            return post(tf.reshape(y, [2, n, oc]))

        return fn3, [(2, n, depth), (oc, depth)], params, False
    products = {"matmul": lambda a, b: tf.matmul(a, b, transpose_b=True),
                "einsum": lambda a, b: tf.einsum("ij,kj->ik", a, b),
                "tensordot": lambda a, b: tf.tensordot(a, b, axes=[[1], [1]])}
    return (lambda a, b: post(products[form](a, b))), [(n, depth), (oc, depth)], params, False


def _pool(kind):
    def build(rng):
        import tensorflow as tf

        k = (int(rng.integers(1, 5)), int(rng.integers(1, 5)))
        stride = (int(rng.integers(1, 4)), int(rng.integers(1, 4)))
        pad = str(rng.choice(["SAME", "VALID"]))
        h, w = int(rng.integers(k[0], k[0] + 9)), int(rng.integers(k[1], k[1] + 9))
        c = int(rng.integers(1, 9)) if rng.random() < 0.7 else int(rng.integers(9, 80))  # > 32: channel blocks
        n = int(rng.choice([1, 1, 2]))
        relu = rng.random() < 0.3
        op = tf.nn.avg_pool2d if kind == "avg" else tf.nn.max_pool2d

        def fn(x):
            y = op(x, ksize=k, strides=stride, padding=pad)
            return tf.nn.relu(y) if relu else y

        return fn, [(n, h, w, c)], dict(k=k, stride=stride, pad=pad, relu=relu), False

    return build


def _mean(rng):
    import tensorflow as tf

    shape = (int(rng.choice([1, 1, 2])), int(rng.integers(1, 9)), int(rng.integers(1, 9)), int(rng.integers(1, 9)))
    axes = [[1, 2], [1, 2], [2, 1], [1], [2], [3], [2, 3], [-3, -2]][int(rng.integers(0, 8))]
    if all(shape[a % 4] == 1 for a in axes):  # a mean over unit axes only converts to no operator at all
        shape = tuple(2 if i == axes[0] % 4 else d for i, d in enumerate(shape))
    keep = bool(rng.random() < 0.5)

    def fn(x):
        return tf.reduce_mean(x, axis=axes, keepdims=keep)

    return fn, [shape], dict(axes=axes, keep=keep), False


def _reduce(kind):
    def build(rng):
        import tensorflow as tf

        rank = int(rng.choice([2, 3, 4, 4]))
        first = int(rng.integers(0, rank))
        axes = list(range(first, int(rng.integers(first, rank)) + 1))  # a contiguous block
        shape = tuple(int(rng.integers(2 if a == axes[0] else 1, 9)) for a in range(rank))  # not all 1
        if kind == "prod":  # products of at most 8 values: the calibration's float products stay finite
            shape = tuple(int(rng.integers(2, 5)) if a == axes[0] else int(rng.integers(1, 3)) if a == axes[-1]
                          else 1 if a in axes else d for a, d in enumerate(shape))
        if rng.random() < 0.3:
            axes = [a - rank for a in axes][::-1]
        keep = bool(rng.random() < 0.5)
        op = {"max": tf.reduce_max, "min": tf.reduce_min, "sum": tf.reduce_sum, "prod": tf.reduce_prod}[kind]

        def fn(x):
            return op(x, axis=axes, keepdims=keep)

        return fn, [shape], dict(axes=axes, keep=keep), False

    return build


def reduce_modes(rng, kind: str = "max"):
    """One model of REDUCE_MAX (kind "max"), REDUCE_MIN ("min") or SUM ("sum") layers: global pooling of NHWC maps (channels a
    multiple of 4 and not), over the channels, over every axis, over the batch, 2- and 3-D, with and
    without keepdims, negative axes."""
    import tensorflow as tf

    h, w = int(rng.integers(2, 9)), int(rng.integers(2, 9))
    layers = [((1, h, w, 8), [1, 2], True), ((1, h, w, int(rng.choice([3, 5, 7]))), [-3, -2], False),
              ((1, h, w, 12), [3], False), ((2, 3, 4, 5), [0, 1, 2, 3], True), ((3, 2, 4, 6), [0], False),
              ((2, 5, 7), [1], True), ((5, 9), [-1], False), ((1, 17, 4), [1, 2], False)]
    op = {"max": tf.reduce_max, "min": tf.reduce_min, "sum": tf.reduce_sum}[kind]

    def fn(*xs):
        return tuple(op(x, axis=axes, keepdims=keep) for x, (_, axes, keep) in zip(xs, layers))

    return fn, [spec for spec, *_ in layers], dict(kind=kind, layers=layers), False


def _binary(kind):
    def build(rng):
        import tensorflow as tf

        shape = (int(rng.choice([1, 1, 2])), int(rng.integers(1, 7)), int(rng.integers(1, 7)), int(rng.integers(1, 9)))
        mode = str(rng.choice(["same", "same", "bcast_c", "bcast_hw", "const"]))
        if mode == "bcast_c":
            other = (1, 1, 1, shape[3])
        elif mode == "bcast_hw":
            other = (shape[0], shape[1], shape[2], 1)
        else:
            other = shape
        swap = rng.random() < 0.5
        const = tf.constant(_weights(rng, shape))
        relu = rng.random() < 0.3 and kind != "sqdiff"  # a square needs no ReLU

        def fn(*xs):
            a = xs[0]
            b = const if mode == "const" else xs[1]
            if swap:
                a, b = b, a
            y = {"add": lambda: a + b, "sub": lambda: a - b, "mul": lambda: a * b,
                 "max": lambda: tf.maximum(a, b), "min": lambda: tf.minimum(a, b),
                 "sqdiff": lambda: tf.math.squared_difference(a, b)}[kind]()
            return tf.nn.relu(y) if relu else y

        specs = [shape] if mode == "const" else [shape, other]
        return fn, specs, dict(mode=mode, swap=swap, relu=relu), False

    return build


def _concat(rng):
    import tensorflow as tf

    rank = int(rng.choice([2, 4, 4]))
    base = [int(rng.integers(1, 6)) for _ in range(rank)]
    axis = int(rng.integers(0, rank)) if rng.random() < 0.4 else rank - 1
    k = int(rng.integers(2, 5))
    shapes = []
    for _ in range(k):
        s = list(base)
        s[axis] = int(rng.integers(1, 6))
        shapes.append(tuple(s))

    def fn(*xs):
        return tf.concat(list(xs), axis=axis)

    return fn, shapes, dict(axis=axis, k=k), False


def _pack(rng):
    import tensorflow as tf

    rank = int(rng.integers(1, 5))
    shape = tuple(int(rng.integers(2, 6)) for _ in range(rank))
    axis = int(rng.integers(0, rank + 1)) - (rank + 1 if rng.random() < 0.3 else 0)
    k = int(rng.integers(2, 5))

    def fn(*xs):
        return tf.stack(list(xs), axis=axis)

    return fn, [shape] * k, dict(axis=axis, k=k, shape=shape), False


def _unpack(rng):
    import tensorflow as tf

    rank = int(rng.integers(2, 6))
    shape = tuple(int(rng.integers(2, 5)) for _ in range(rank))
    axis = int(rng.integers(0, rank)) - (rank if rng.random() < 0.3 else 0)

    def fn(x):
        return tuple(tf.unstack(x, axis=axis))

    return fn, [shape], dict(axis=axis, shape=shape), False


def _depth_to_space(kind):
    def build(rng):
        import tensorflow as tf

        b = int(rng.integers(2, 5))
        n, h, w = int(rng.choice([1, 1, 2])), int(rng.integers(1, 5)), int(rng.integers(1, 5))
        c = int(rng.integers(1, 4))
        if kind == "d2s":
            shape = (n, h, w, c * b * b)
            return (lambda x: tf.nn.depth_to_space(x, b)), [shape], dict(block=b, shape=shape), False
        shape = (n, h * b, w * b, c)
        return (lambda x: tf.nn.space_to_depth(x, b)), [shape], dict(block=b, shape=shape), False

    return build


def _gather(rng):
    """GATHER by constant indices: a channel reorder, a permutation, a run, a reversal or random indices
    with repeats (a scalar, a list or a 2-D array of them; int32 or int64) along any axis of ranks 1-4."""
    import tensorflow as tf

    rank = int(rng.integers(1, 5))
    shape = tuple(int(rng.integers(2, 7)) if a else int(rng.choice([1, 1, 2])) for a in range(rank))
    if rank == 1:
        shape = (int(rng.integers(2, 12)),)
    axis = int(rng.integers(1, rank)) if rank > 1 and rng.random() < 0.85 else int(rng.integers(0, rank))
    n = shape[axis]
    kind = str(rng.choice(["perm", "run", "reverse", "random", "scalar"]))
    if kind == "perm":
        idx = rng.permutation(n)
    elif kind == "run":
        a = int(rng.integers(0, n))
        idx = np.arange(a, int(rng.integers(a + 1, n + 1)))
    elif kind == "reverse":
        idx = np.arange(n)[::-1]
    elif kind == "scalar" and rank > 1:
        idx = np.array(int(rng.integers(0, n)))
    else:
        idx = rng.integers(0, n, size=int(rng.integers(1, 9)))
        if rng.random() < 0.3 and idx.size % 2 == 0:
            idx = idx.reshape(2, -1)
    if idx.ndim == 1 and np.array_equal(idx, np.arange(n)):  # the identity: the converter drops it
        idx = np.append(idx, 0)
    dtype = tf.int64 if rng.random() < 0.4 else tf.int32
    indices = tf.constant(idx, dtype=dtype)
    neg = rng.random() < 0.3

    def fn(x):
        return tf.gather(x, indices, axis=axis - rank if neg else axis)

    return fn, [shape], dict(shape=shape, axis=axis, indices=idx.tolist(), dtype=dtype.name), False


def _space_batch(kind):
    """SPACE_TO_BATCH_ND (``s2b``) or BATCH_TO_SPACE_ND (``b2s``): 4-D maps or 3-D rows, batches of 1 and
    2, blocks 1-3 per axis, random paddings (every padded size a multiple of the block) or crops."""
    def build(rng):
        import tensorflow as tf

        three = rng.random() < 0.2
        k = 1 if three else 2
        block = [int(rng.integers(1, 4)) for _ in range(k)]
        if max(block) == 1:
            block[0] = 2
        n, c = int(rng.choice([1, 1, 2])), int(rng.integers(1, 6))
        if kind == "s2b":
            size = [int(rng.integers(1, 8)) for _ in range(k)]
            pads = []
            for s, b in zip(size, block):
                total = int(rng.integers(0, 2 * b)) * b + (-s) % b
                top = int(rng.integers(0, total + 1))
                pads.append([top, total - top])
            shape = (n, *size, c)
            return ((lambda x: tf.space_to_batch_nd(x, block, pads)), [shape],
                    dict(shape=shape, block=block, paddings=pads), False)
        size = [int(rng.integers(1, 5)) for _ in range(k)]
        crops = []
        for s, b in zip(size, block):
            total = int(rng.integers(0, s * b))  # at least one row / column left
            top = int(rng.integers(0, total + 1))
            crops.append([top, total - top])
        shape = (n * int(np.prod(block)), *size, c)
        return ((lambda x: tf.compat.v1.batch_to_space_nd(x, block, crops)), [shape],
                dict(shape=shape, block=block, crops=crops), False)

    return build


def _arg_minmax(kind):
    """ARG_MAX / ARG_MIN (``kind``) over the last axis mostly, any axis at times, of ranks 1-4 (rows of up
    to 300 values: many ties among random int8 inputs), int32 or int64 indices out."""
    def build(rng):
        import tensorflow as tf

        rank = int(rng.integers(1, 5))
        shape = [int(rng.integers(1, 5)) for _ in range(rank)]
        shape[-1] = int(rng.choice([1, 2, 3, 10, 33, 300]))
        axis = rank - 1 if rng.random() < 0.7 else int(rng.integers(0, rank))
        if shape[axis] < 2:
            shape[axis] = 5
        if rank == 1:
            shape = [int(rng.integers(2, 40))]
        out = tf.int64 if rng.random() < 0.4 else tf.int32
        f = tf.math.argmax if kind == "max" else tf.math.argmin
        neg = rng.random() < 0.3

        def fn(x):
            return f(x, axis=axis - rank if neg else axis, output_type=out)

        return fn, [tuple(shape)], dict(shape=tuple(shape), axis=axis, out=out.name), False

    return build


def _batch_matmul(rng):
    """BATCH_MATMUL (tf.matmul) of two activations or of one by a constant (a quarter of the models), ranks
    3-4, adj_x / adj_y, batch axes of 1 broadcast against the other operand's, depths 2-40 (the converter
    turns rank-2 products and depth-1 ones into FULLY_CONNECTED)."""
    import tensorflow as tf

    rank = int(rng.integers(3, 5))
    rows, depth, cols = int(rng.integers(1, 9)), int(rng.choice([2, 3, 8, 17, 40])), int(rng.integers(1, 9))
    batch = [int(rng.integers(1, 4)) for _ in range(rank - 2)]
    lb = [1 if rng.random() < 0.3 else b for b in batch]
    rb = [b if lb[k] == 1 or rng.random() < 0.7 else 1 for k, b in enumerate(batch)]
    const = rng.random() < 0.25
    if rng.random() < 0.2 and not const:  # rhs of a lower rank (constant: the converter makes it FULLY_CONNECTED)
        rb = rb[1:]
    adj_x, adj_y = bool(rng.random() < 0.4), bool(rng.random() < 0.4)
    lshape = tuple(lb) + ((depth, rows) if adj_x else (rows, depth))
    rshape = tuple(rb) + ((cols, depth) if adj_y else (depth, cols))
    params = dict(lhs=lshape, rhs=rshape, adj_x=adj_x, adj_y=adj_y, const=const)
    if const:
        w = tf.constant(_weights(rng, rshape))
        return (lambda a: tf.matmul(a, w, transpose_a=adj_x, transpose_b=adj_y)), [lshape], params, False
    return (lambda a, b: tf.matmul(a, b, transpose_a=adj_x, transpose_b=adj_y)), [lshape, rshape], params, False


def batch_matmul_modes(rng):
    """One attention-like model of three BATCH_MATMULs over 2 heads: scores q @ k^T (adj_y, depth 13: three
    words and one value, 9 columns: pairs and one left), context scores @ v (adjacent rhs columns, depth 9,
    7 columns) and q @ a constant (2, 13, 5)."""
    import tensorflow as tf

    w = tf.constant(_weights(rng, (2, 13, 5)))

    def fn(q, k, v):
        s = tf.matmul(q, k, transpose_b=True)
        return s, tf.matmul(s, v), tf.matmul(q, w)

    return fn, [(2, 7, 13), (2, 9, 13), (2, 9, 7)], dict(heads=2), False


def fc_attention(rng):
    """A tiny two-head self-attention block over 6 tokens of 16 features as rank-2 products, the form in
    which the converter makes each head's scores q @ k^T a FULLY_CONNECTED with activation weights: per head
    q, k, v = x @ constants (FULLY_CONNECTED), softmax(q @ k^T / sqrt(8)), its product with v
    (BATCH_MATMUL), the heads concatenated, an output projection with bias, the residual ADD and a layer
    norm over the features (MEAN, SQUARED_DIFFERENCE, RSQRT)."""
    import tensorflow as tf

    t, d, dh = 6, 16, 8
    w = [[tf.constant(_weights(rng, (d, dh))) for _ in range(3)] for _ in range(2)]
    wo, bo = tf.constant(_weights(rng, (2 * dh, d))), tf.constant(_weights(rng, (d,)))
    gamma, beta = tf.constant(1 + 0.2 * _weights(rng, (d,))), tf.constant(_weights(rng, (d,)))

    def fn(x):
        heads = []
        for wq, wk, wv in w:
            q, k, v = tf.matmul(x, wq), tf.matmul(x, wk), tf.matmul(x, wv)
            s = tf.nn.softmax(tf.matmul(q, k, transpose_b=True) * (1.0 / np.sqrt(dh)))
            heads.append(tf.matmul(s, v))
        y = tf.matmul(tf.concat(heads, axis=1), wo) + bo + x
        mu = tf.reduce_mean(y, axis=-1, keepdims=True)
        var = tf.reduce_mean(tf.math.squared_difference(y, mu), axis=-1, keepdims=True)
        return (y - mu) * tf.math.rsqrt(var + 1e-3) * gamma + beta

    return fn, [(t, d)], dict(tokens=t, features=d, heads=2), False


_COMPARE_FNS = {"EQUAL": "equal", "NOT_EQUAL": "not_equal", "GREATER": "greater", "GREATER_EQUAL": "greater_equal",
                "LESS": "less", "LESS_EQUAL": "less_equal"}


def _compare_operands(rng):
    """Two operands of a comparison as (shape, other): the same shape, a broadcast one (unit axes, lower
    rank), a constant scalar or a constant per last axis; ranks 1-4, each input its own quantization."""
    rank = int(rng.integers(1, 5))
    shape = [int(rng.integers(1, 6)) for _ in range(rank)]
    shape[-1] = int(rng.choice([1, 3, 4, 7, 16, 33]))
    mode = str(rng.choice(["same", "broadcast", "scalar", "const"]))
    if mode == "broadcast":
        other = [1 if rng.random() < 0.5 else d for d in shape][int(rng.integers(0, rank)):]
        return tuple(shape), tuple(other or [1]), mode
    if mode == "scalar":
        return tuple(shape), float(rng.normal()), mode
    if mode == "const":
        return tuple(shape), rng.normal(size=(shape[-1],)).astype(np.float32), mode
    return tuple(shape), tuple(shape), mode


def _compare(kind):
    """A comparison (``kind``) of two inputs or of an input and a constant (scalar or per last axis), either
    order, to a bool output. NOT_EQUAL: the converter compares int8 NOT_EQUAL operands as dequantized floats,
    so the model is an EQUAL converted and its operator renamed (BUILDER_POST)."""
    def build(rng):
        import tensorflow as tf

        f = getattr(tf.math, _COMPARE_FNS["EQUAL" if kind == "NOT_EQUAL" else kind])
        shape, other, mode = _compare_operands(rng)
        swap = bool(rng.random() < 0.5)
        if isinstance(other, tuple):
            specs = [shape, other] if not swap else [other, shape]
            return (lambda x, y: f(x, y)), specs, dict(shape=shape, other=other, mode=mode), False
        c = tf.constant(other)

        def fn(x):
            return f(c, x) if swap else f(x, c)

        return fn, [shape], dict(shape=shape, mode=mode, swap=swap), False

    return build


def _select(kind):
    """tf.where(x > t, x, y) as SELECT (x, y and the condition of one shape) or SELECT_V2 (broadcast: y of unit
    axes, the last one always, or a constant scalar, or a condition broadcast over the channels)."""
    def build(rng):
        import tensorflow as tf

        shape = tuple(int(rng.integers(1, 6)) for _ in range(int(rng.integers(1, 5))))
        shape = shape[:-1] + (int(rng.choice([1, 4, 7, 16, 33]) if kind == "SELECT" else rng.choice([4, 7, 16, 33])),)
        t = float(rng.normal() * 0.5)
        if kind == "SELECT":
            return (lambda x, y: tf.where(x > t, x, y)), [shape, shape], dict(shape=shape), False
        mode = str(rng.choice(["y", "scalar", "cond"]))
        if mode == "scalar":
            v = float(rng.normal())
            return (lambda x: tf.where(x > t, x, v)), [shape], dict(shape=shape, mode=mode), False
        if mode == "cond":
            other = shape[:-1] + (1,)
            return (lambda x, y: tf.where(y > t, x, x * 0.5)), [shape, other], dict(shape=shape, mode=mode), False
        other = tuple(1 if rng.random() < 0.5 else d for d in shape[:-1]) + (1,)  # y broadcast over the last axis
        return (lambda x, y: tf.where(x < t, x, y)), [shape, other], dict(shape=shape, other=other, mode=mode), False

    return build


def _logical(kind):
    """LOGICAL_AND / LOGICAL_OR of two comparisons (broadcast at times), LOGICAL_NOT of a LOGICAL_OR (the
    converter folds the negation of a comparison into the opposite comparison), to bool outputs."""
    def build(rng):
        import tensorflow as tf

        shape, other, mode = _compare_operands(rng)
        if not isinstance(other, tuple):
            other = shape
        t1, t2 = float(rng.normal() * 0.5), float(rng.normal() * 0.5)
        if kind == "LOGICAL_NOT":
            return (lambda x, y: tf.logical_not(tf.logical_or(x > t1, y < t2))), [shape, other], dict(
                shape=shape, other=other), False
        f = tf.logical_and if kind == "LOGICAL_AND" else tf.logical_or
        return (lambda x, y: f(x > t1, y < t2)), [shape, other], dict(shape=shape, other=other), False

    return build


def compare_modes(rng):
    """One model of comparisons, logical operators and selects on every path of their kernels: x, y of one
    quantization (the converter unifies tf.where(x > y, x, y)'s: the bytes compared themselves), a constant
    scalar (a byte range), a constant per channel and x against y * k (ranks), LOGICAL_OR with a
    pixel-broadcast operand, LOGICAL_NOT, SELECT_V2 with a constant scalar y and with a condition broadcast
    over the channels; maps of an odd element count (word runs and a tail)."""
    import tensorflow as tf

    h, w, c = int(rng.integers(2, 6)), int(rng.integers(2, 7)), int(rng.choice([5, 9, 13, 16]))
    t1, t2 = float(rng.uniform(-0.4, 0.4)), float(rng.uniform(-0.4, 0.4))
    k = float(2.0 ** rng.uniform(-1, 1))
    per_channel = tf.constant(rng.normal(size=(c,)).astype(np.float32) * 0.5)

    def fn(x, y, z):
        gt = x > y
        pix = z > t2
        return (tf.where(gt, x, y), tf.math.equal(x, y), tf.where(x >= t1, x, 0.25), tf.math.less(x, per_channel),
                tf.math.less_equal(x, y * k), tf.logical_or(x < t1, pix), tf.logical_not(tf.logical_and(gt, pix)),
                tf.where(pix, x, x * 0.5))

    return fn, [(1, h, w, c), (1, h, w, c), (1, h, w, 1)], dict(h=h, w=w, c=c, k=k), False


def conv_where(rng):
    """x -> CONV_2D -> tf.where(y > t, y, other): other y * 0.1 (SELECT of one shape) and a constant scalar
    (SELECT_V2), the comparison against a constant scalar."""
    import tensorflow as tf

    h, w, cin, cout = int(rng.integers(3, 8)), int(rng.integers(3, 8)), int(rng.integers(1, 5)), int(rng.choice([4, 7, 8]))
    filt = tf.constant(_weights(rng, (3, 3, cin, cout)) * 0.05)  # an output scale below 1 (see _compare)
    bias = tf.constant(_weights(rng, (cout,)) * 0.05)
    t = float(rng.uniform(-0.1, 0.1))

    def fn(x):
        y = tf.nn.conv2d(x, filt, strides=1, padding="SAME") + bias
        return tf.where(y > t, y, y * 0.1), tf.where(y > t, y, -1.0)

    return fn, [(1, h, w, cin)], dict(h=h, w=w, cin=cin, cout=cout, t=t), False


def reduce_prod_rows(rng, runs: int = 2, small_multiplier: bool = False) -> Case:
    """One model of REDUCE_PRODs of values of about unit spread (calibrated and fed so, products of moderate
    size in range): 24 rows of 3 over the last axis, 6 and 5 values over the middle axis of (4, 6, 2) and
    (2, 5, 3) maps; ``small_multiplier``: the rows' output scale 2^60 times the input's cubed (a per-step
    multiplier near 2^-20: total shifts of 32 or more)."""
    import tensorflow as tf

    specs = [(24, 3), (4, 6, 2), (2, 5, 3)]

    def fn(a, b, c):
        return tf.reduce_prod(a, axis=-1), tf.reduce_prod(b, axis=1), tf.reduce_prod(c, axis=1, keepdims=True)

    model = _calibrated(fn, specs, rng, [1.0, 1.0, 1.0])
    from mcunets.engine.reader import read_model

    g = read_model(model)
    if small_multiplier:
        from tflite.Model import Model

        buf = bytearray(model)
        row = next(op for op in g.operators if g.tensors[op.inputs[0]].shape == (24, 3))
        scale = Model.GetRootAsModel(buf, 0).Subgraphs(0).Tensors(row.outputs[0]).Quantization().ScaleAsNumpy()
        scale[0] = np.float32(g.tensors[row.inputs[0]].scale ** 3 * 2.0 ** 60)
        model = bytes(buf)
    inputs = []
    for _ in range(runs):
        run = []
        for i in g.inputs:
            ti = g.tensors[i]
            real = rng.standard_normal(ti.shape)
            run.append(np.clip(np.round(real / ti.scale) + ti.zero_point, -128, 127).astype(np.int8))
        inputs.append(run)
    return Case(f"reduce prod rows{' small multiplier' if small_multiplier else ''}", model, inputs, {})


def rename_op(model: bytes, old: str, new: str) -> bytes:
    """``model`` with every ``old`` operator code turned into ``new`` (same inputs, outputs and options)."""
    import flatbuffers
    from ai_edge_litert import schema_py_generated as schema

    m = schema.ModelT.InitFromObj(schema.Model.GetRootAsModel(model, 0))
    for oc in m.operatorCodes:
        code = max(oc.builtinCode, oc.deprecatedBuiltinCode)
        if code == getattr(schema.BuiltinOperator, old):
            oc.builtinCode = getattr(schema.BuiltinOperator, new)
            oc.deprecatedBuiltinCode = min(oc.builtinCode, 127)
    b = flatbuffers.Builder(len(model) + 1024)
    b.Finish(m.Pack(b), file_identifier=b"TFL3")
    return bytes(b.Output())


def compare_values(rng, runs: int = 2, not_equal: bool = False) -> Case:
    """One model of every comparison of x and y (x's scale 1-8 times y's, asymmetric zero points: the
    reference's rescaling decides), of x and a constant scalar, and of two inputs of one quantization and a
    scale below 2^-8 (rescaled values merging neighbouring bytes), bool outputs; ``not_equal``: its EQUALs
    renamed NOT_EQUAL (the converter's NOT_EQUAL compares dequantized floats). Inputs from narrow byte ranges,
    so that equal values occur."""
    import tensorflow as tf

    k = float(2.0 ** rng.uniform(0, 3))
    t = float(rng.uniform(-0.5, 0.5))
    ops = ["EQUAL", "GREATER", "GREATER_EQUAL", "LESS", "LESS_EQUAL"]

    def fn(x, y, z, w):
        out = [getattr(tf.math, _COMPARE_FNS[op])(x, y * k) for op in ops]
        out += [getattr(tf.math, _COMPARE_FNS[op])(x, t) for op in ops]
        out += [getattr(tf.math, _COMPARE_FNS[op])(z, w) for op in ops]
        return tuple(out)

    shape = (2, 3, 9)
    model = _compare_model(fn, [shape] * 4, rng)
    if not_equal:
        model = rename_op(model, "EQUAL", "NOT_EQUAL")
    from mcunets.engine.reader import read_model

    g = read_model(model)
    (sx, zx), (sy, zy) = ((g.tensors[i].scale, g.tensors[i].zero_point) for i in g.inputs[:2])
    lo = max(sx * (-128 - zx), k * sy * (-128 - zy))
    hi = min(sx * (127 - zx), k * sy * (127 - zy))
    inputs = []
    for j in range(runs):  # x and y * k near one real value (every other run t's); z and w bytes near each other
        r = (t if j % 2 == 0 else rng.uniform(lo, hi)) + sx * rng.integers(-3, 4, size=shape)
        x = np.clip(np.round(r / sx) + zx, -128, 127).astype(np.int8)
        y = np.clip(np.round((r + sx * rng.uniform(-2, 2, size=shape)) / k / sy) + zy, -128, 127).astype(np.int8)
        mid = int(rng.integers(-60, 60))
        zw = [np.clip(g.tensors[i].zero_point + mid + rng.integers(-8, 9, size=shape), -128, 127).astype(np.int8)
              for i in g.inputs[2:]]
        inputs.append([x, y] + zw)
    return Case(f"compare values{' not_equal' if not_equal else ''}", model, inputs, dict(k=k, t=t))


def _compare_model(fn, specs, rng):
    """``fn`` converted with inputs 3 and 4 (if any) calibrated on tiny values (scales below 2^-8)."""
    spreads = [float(2.0 ** rng.uniform(-1, 1)) for _ in specs]
    spreads[2:] = [0.03] * len(spreads[2:])
    return _calibrated(fn, specs, rng, spreads)


def _calibrated(fn, specs, rng, spreads):
    """``fn`` converted to full int8 with each input calibrated on zero-mean normal values of its spread."""
    import tensorflow as tf

    sig = [tf.TensorSpec(sh, tf.float32) for sh in specs]
    concrete = tf.function(fn, input_signature=sig).get_concrete_function()

    def rep():
        for _ in range(6):
            yield [(s * rng.standard_normal(sh)).astype(np.float32) for sh, s in zip(specs, spreads)]

    conv = tf.lite.TFLiteConverter.from_concrete_functions([concrete])
    conv.optimizations = [tf.lite.Optimize.DEFAULT]
    conv.representative_dataset = rep
    conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    conv.inference_input_type = conv.inference_output_type = tf.int8
    return conv.convert()


def _reshape(rng):
    import tensorflow as tf

    shape = (1, int(rng.integers(1, 7)), int(rng.integers(1, 7)), int(rng.integers(1, 9)))
    total = int(np.prod(shape))
    target = [1, total] if rng.random() < 0.5 else [total]

    def fn(x):
        return tf.reshape(x, target)

    return fn, [shape], dict(target=target), False


def _transpose(rng):
    import tensorflow as tf

    rank = int(rng.integers(2, 6))
    shape = tuple(int(rng.integers(2, 6)) for _ in range(rank))  # no unit axes: those become RESHAPE
    perm = [int(p) for p in rng.permutation(rank)]
    if perm == sorted(perm):
        perm = perm[::-1]

    def fn(x):
        return tf.transpose(x, perm)

    return fn, [shape], dict(perm=perm), False


def _log_softmax(rng):
    import tensorflow as tf

    depth = int(rng.integers(1, 40)) if rng.random() < 0.7 else int(rng.integers(40, 1200))
    shape = (int(rng.integers(1, 4)), depth) if rng.random() < 0.6 else \
        (1, int(rng.integers(1, 5)), int(rng.integers(1, 5)), min(depth, 48))
    k = float(rng.choice([1.0, 1.0, 4.0, 16.0]))  # wide logits: differences beyond diff_min

    def fn(x):
        return tf.nn.log_softmax(x * k if k != 1.0 else x)

    return fn, [shape], dict(k=k), False


def _l2_normalization(rng):
    import tensorflow as tf

    depth = int(rng.integers(1, 40)) if rng.random() < 0.6 else int(rng.integers(40, 600))
    shape = (int(rng.integers(1, 4)), depth) if rng.random() < 0.6 else \
        (1, int(rng.integers(1, 5)), int(rng.integers(1, 5)), min(depth, 48))

    def fn(x):
        return tf.math.l2_normalize(x, axis=-1)

    return fn, [shape], {}, False


def _softmax(rng):
    import tensorflow as tf

    depth = int(rng.integers(1, 40)) if rng.random() < 0.8 else int(rng.integers(40, 257))
    shape = (int(rng.integers(1, 4)), depth) if rng.random() < 0.6 else \
        (1, int(rng.integers(1, 5)), int(rng.integers(1, 5)), min(depth, 20))
    beta = float(rng.choice([1.0, 1.0, 0.5, 2.0, 8.0]))  # large beta: differences beyond diff_min

    def fn(x):
        return tf.nn.softmax(x * beta if beta != 1.0 else x)

    return fn, [shape], dict(beta=beta), False


def _unary(kind):
    def build(rng):
        import tensorflow as tf

        shape = (1, int(rng.integers(1, 9)), int(rng.integers(1, 9)), int(rng.integers(1, 9)))

        def fn(x):
            if kind == "logistic":
                return tf.sigmoid(x)
            if kind == "tanh":
                return tf.math.tanh(x)
            if kind == "abs":
                return tf.abs(x)
            if kind in ("rsqrt", "sqrt", "exp", "log"):
                return getattr(tf.math, kind)(x)
            return x * tf.nn.relu6(x + 3.0) / 6.0

        return fn, [shape], {}, False

    return build


def _gelu(rng):
    import tensorflow as tf

    shape = (1, int(rng.integers(1, 9)), int(rng.integers(1, 9)), int(rng.integers(1, 9)))
    approximate = bool(rng.random() < 0.5)  # erfc or tanh form, each its own table in the reference

    def fn(x):
        return tf.nn.gelu(x, approximate=approximate)

    return fn, [shape], {"approximate": approximate}, False


def _leaky_relu(rng):
    import tensorflow as tf

    shape = (1, int(rng.integers(1, 9)), int(rng.integers(1, 9)), int(rng.integers(1, 9)))
    # negative, small, large and above-one slopes (the negative side's multiplier has either sign and
    # shifts on both sides of zero)
    alpha = float(rng.choice([-0.7, -0.05, 0.01, 0.1, 0.2, 0.3, 0.9, 1.5, 3.0])) * float(rng.uniform(0.8, 1.25))

    def fn(x):
        return tf.nn.leaky_relu(x, alpha=alpha)

    return fn, [shape], {"alpha": round(alpha, 4)}, False


def _prelu(rng):
    import tf_keras as keras

    shape = (1, int(rng.integers(1, 8)), int(rng.integers(1, 8)), int(rng.integers(1, 12)))
    shared = [[1, 2], [1, 2], None, [1, 2, 3], [2], [1]][int(rng.integers(0, 6))]
    layer = keras.layers.PReLU(shared_axes=shared)
    layer.build((None, *shape[1:]))
    # slopes negative, small, near and above one
    (w,) = layer.get_weights()
    layer.set_weights([(rng.choice([-1.5, -0.3, 0.05, 0.25, 0.9, 2.0], size=w.shape)
                        * rng.uniform(0.5, 1.5, size=w.shape)).astype(np.float32)])

    def fn(x):
        return layer(x)

    return fn, [shape], {"shared_axes": shared}, False


def _pad(rng):
    import tensorflow as tf

    rank = int(rng.choice([2, 3, 4, 4]))
    shape = tuple(int(rng.integers(1, 6)) for _ in range(rank))
    pads = [[int(rng.integers(0, 3)), int(rng.integers(0, 3))] for _ in range(rank)]

    def fn(x):
        return tf.pad(x, pads)

    return fn, [shape], dict(pads=pads), False


def _mirror_pad(rng):
    import tensorflow as tf

    rank = int(rng.choice([2, 3, 4, 4]))
    shape = tuple(int(rng.integers(1, 7)) for _ in range(rank))
    mode = str(rng.choice(["REFLECT", "SYMMETRIC"]))
    room = 1 if mode == "REFLECT" else 0
    pads = [[int(rng.integers(0, d - room + 1)), int(rng.integers(0, d - room + 1))]
            if rng.random() < 0.7 else [0, 0] for d in shape]

    def fn(x):
        return tf.pad(x, pads, mode=mode)

    return fn, [shape], dict(pads=pads, mode=mode), False


def mirror_pad_modes(rng):
    """One model of MIRROR_PAD layers in both modes: NHWC maps padded on height and width only (pixels
    copied whole), on every axis, on the channels only, the largest pads each mode allows, 2- and 3-D."""
    import tensorflow as tf

    layers = []
    for mode in ("REFLECT", "SYMMETRIC"):
        room = 1 if mode == "REFLECT" else 0
        h, w, c = int(rng.integers(2, 8)), int(rng.integers(2, 8)), int(rng.choice([1, 3, 5, 8]))
        layers += [((1, h, w, c), [[0, 0], [int(rng.integers(0, h - 1 + room)) + 1 - room, 1], [2 - room, 1], [0, 0]], mode),
                   ((2, 3, 4, 5), [[1, 1 - room], [2 - room, 1], [1, 3 - room], [4 - room, 2]], mode),
                   ((1, 2, 3, 6), [[0, 0], [0, 0], [0, 0], [5 - room, 3]], mode),
                   ((1, h, w, c), [[0, 0], [h - room, h - room], [w - room, w - room], [0, 0]], mode),
                   ((5, 7), [[5 - room, 1], [7 - room, 7 - room]], mode),
                   ((3, 4, 9), [[1, 2 - room], [0, 3 - room], [0, 0]], mode)]

    def fn(*xs):
        return tuple(tf.pad(x, pads, mode=mode) for x, (_, pads, mode) in zip(xs, layers))

    return fn, [spec for spec, *_ in layers], dict(layers=[(s, p, m) for s, p, m in layers]), False


def gather_modes(rng):
    """One model of GATHER layers on every path of its kernel: a channel reorder (one byte per run: the
    offset table), rows picked with repeats (runs longer than 8 bytes: memcpy), columns in runs of
    neighbours (short runs copied byte by byte) and an embedding-like lookup of 2-D indices."""
    import tensorflow as tf

    h, w, c = int(rng.integers(3, 9)), int(rng.integers(3, 9)), int(rng.choice([3, 4, 6, 8]))
    layers = [((1, h, w, c), 3, rng.permutation(c)),
              ((1, h, w, c), 1, rng.integers(0, h, size=int(rng.integers(2, 2 * h)))),
              ((1, h, w, 4), 2, np.concatenate([np.arange(1, w), np.arange(0, w - 1)[::-1]])),
              ((int(rng.integers(4, 12)), 16), 0, rng.integers(0, 4, size=(2, 3)))]

    def fn(*xs):
        return tuple(tf.gather(x, tf.constant(idx, tf.int32), axis=axis) for x, (_, axis, idx) in zip(xs, layers))

    return fn, [spec for spec, *_ in layers], dict(layers=[(s, a, i.tolist()) for s, a, i in layers]), False


def space_batch_modes(rng):
    """One model of SPACE_TO_BATCH_ND and BATCH_TO_SPACE_ND layers on every path of their kernel: pixels of
    up to 8 bytes (copied byte by byte) and longer (memcpy), padded or cropped rows and columns, 3-D rows,
    batches of 2."""
    import tensorflow as tf

    h, w = int(rng.integers(3, 9)), int(rng.integers(3, 9))
    layers = [("s2b", (1, h, w, 3), [2, 2], [[1, 1 + (h % 2)], [2, (w % 2)]]),
              ("s2b", (2, h, w, 12), [3, 2], [[0, (-h) % 3], [1, 1 + (w % 2)]]),
              ("s2b", (1, h, 5), [2], [[h % 2, 0]]),
              ("b2s", (4, h, w, 3), [2, 2], [[1, 0], [0, 2]]),
              ("b2s", (12, h, w, 12), [2, 3], [[0, 1], [2, 1]]),
              ("b2s", (2, h, 5), [2], [[0, 1]])]

    def fn(*xs):
        return tuple(tf.space_to_batch_nd(x, b, p) if k == "s2b" else tf.compat.v1.batch_to_space_nd(x, b, p)
                     for x, (k, _, b, p) in zip(xs, layers))

    return fn, [spec for _, spec, *_ in layers], dict(layers=layers), False


def arg_ties(kind: str, rng, out: str = "int32", runs: int = 2) -> Case:
    """ARG_MAX or ARG_MIN (``kind``) over 6 rows of 40 values drawn from four (-128, -3, 5, 127: every row
    has ties at its extreme), the first row all 7, the second all -128; ``out`` int32 or int64 indices."""
    import tensorflow as tf

    f = tf.math.argmax if kind == "ARG_MAX" else tf.math.argmin
    model = convert(lambda x: f(x, axis=-1, output_type=getattr(tf, out)), [(6, 40)], rng)
    inputs = []
    for _ in range(runs):
        x = rng.choice(np.array([-128, -3, 5, 127], np.int8), size=(6, 40))
        x[0], x[1] = 7, -128
        inputs.append([x])
    return Case(f"{kind} ties {out}", model, inputs, dict(out=out))


RESIZE_MODES = ((False, False), (True, False), (False, True))  # (align_corners, half_pixel_centers)


def _resize(kind="ResizeNearestNeighbor"):
    def build(rng):
        import tensorflow as tf

        n, h, w, c = int(rng.choice([1, 1, 2])), int(rng.integers(1, 9)), int(rng.integers(1, 9)), int(rng.integers(1, 9))
        size = [int(rng.integers(1, 2 * h + 4)), int(rng.integers(1, 2 * w + 4))]  # up, down, non-integer ratios
        align, half = RESIZE_MODES[int(rng.integers(0, 3))]

        def fn(x):
            return getattr(tf.raw_ops, kind)(images=x, size=size, align_corners=align, half_pixel_centers=half)

        return fn, [(n, h, w, c)], dict(size=size, align_corners=align, half_pixel_centers=half), False

    return build


def resize_modes(rng, kind="ResizeNearestNeighbor"):
    """One model of nine RESIZE_NEAREST_NEIGHBOR (or RESIZE_BILINEAR) layers: each mode (align_corners,
    half_pixel_centers) on an upscale by a non-integer ratio, a downscale and a large upscale or downscale
    (where the reference's index arithmetic rounds), a batch of 2, depths that are multiples of 4 and odd ones."""
    import tensorflow as tf

    layers = []
    for k, (align, half) in enumerate(RESIZE_MODES):
        h, w = int(rng.integers(2, 8)), int(rng.integers(2, 8))
        big = int(rng.integers(30, 100))
        for (n, ih, iw), size in (((1 + (k == 0), h, w), [int(rng.integers(h + 1, 3 * h)), int(rng.integers(w + 1, 3 * w))]),
                                  ((1, 3 * h + 1, 2 * w + 3), [h, w + 1]),
                                  ((1, big, 3), [int(rng.integers(3, 9)), 3 * big + 1]) if k % 2 else
                                  ((1, 7, big), [big + int(rng.integers(1, 40)), int(rng.integers(2, big))])):
            depth = (1, 4, 3, 8, 5, 12, 2)[(len(layers) + k) % 7]  # pixels by words and by bytes, each mode
            layers.append(((n, ih, iw, depth), size, align, half))

    def fn(*xs):
        return tuple(getattr(tf.raw_ops, kind)(images=x, size=size, align_corners=a, half_pixel_centers=hp)
                     for x, (_, size, a, hp) in zip(xs, layers))

    return fn, [spec for spec, *_ in layers], dict(layers=[(s[1:3], z, a, hp) for s, z, a, hp in layers]), False


def squared_difference_pairs(rng, rows: int = 256, multipliers=(None, 0.7, 0.3)) -> Case:
    """One model of SQUARED_DIFFERENCE layers, each of an input of ``rows`` values (1, rows, 1) and one of
    all 256 (1, 1, 256) broadcast against each other, so one run covers every pair of the first input's
    values (all 256 with rows=256, else random ones) with every byte of the second. Per entry of
    ``multipliers`` a layer: None keeps the converter's output scale (a shift far below -1), a number
    rewrites the output scale in the flatbuffer so the reference's output multiplier is that number (0.7:
    shift 0, the portable requantization; 0.3: shift -1)."""
    import tensorflow as tf
    from tflite.Model import Model

    from mcunets.engine.reader import read_model

    n = len(multipliers)
    specs = [(1, rows, 1), (1, 1, 256)] * n
    model = convert(lambda *xs: tuple(tf.math.squared_difference(xs[2 * k], xs[2 * k + 1]) for k in range(n)),
                    specs, rng)
    g = read_model(model)
    buf = bytearray(model)
    sub = Model.GetRootAsModel(buf, 0).Subgraphs(0)
    for op, r in zip(g.operators, multipliers):
        if r is not None:
            s1, s2 = (np.float32(g.tensors[t].scale) for t in op.inputs)
            twice = float(np.float32(2) * max(s1, s2))
            sub.Tensors(op.outputs[0]).Quantization().ScaleAsNumpy()[0] = np.float32(twice * twice / (16384 * r))
    every = np.arange(-128, 128).astype(np.int8)
    first = every if rows == 256 else rng.choice(every, size=rows, replace=False)
    run = [first.reshape(1, rows, 1), every.reshape(1, 1, 256)] * n
    return Case(f"SQUARED_DIFFERENCE_PAIRS:{rows}x256:{list(multipliers)}", bytes(buf), [run])


def l2_normalization_rows(rng, rows: int = 48, depths=(1, 5, 200), runs: int = 2) -> Case:
    """One model of L2_NORMALIZATION layers over rows of the given depths, the inputs chosen per row to reach
    every branch of the reference's inverse square root: rows all at the zero point (a sum of 0) or one
    step from it (1), sums of 2 and 3 (a negative shift folded into the multiplier), small offsets, random
    bytes and rows at the extremes (the largest sums)."""
    import tensorflow as tf

    from mcunets.engine.reader import read_model

    specs = [(1, rows, d) for d in depths]
    model = convert(lambda *xs: tuple(tf.math.l2_normalize(x, axis=-1) for x in xs), specs, rng)
    g = read_model(model)
    inputs = []
    for _ in range(runs):
        run = []
        for t, (_, _, d) in zip(g.inputs, specs):
            zp = int(g.tensors[t].zero_point)
            x = np.full((rows, d), zp, dtype=np.int64)
            for r in range(rows):
                kind = r % 8
                if kind in (1, 2, 3):  # sums of squares 1, 2, 3
                    pos = rng.choice(d, size=min(kind, d), replace=False)
                    x[r, pos] += rng.choice([-1, 1], size=pos.size)
                elif kind == 4:
                    x[r] += rng.integers(-3, 4, size=d)
                elif kind == 5:
                    x[r] = rng.integers(-128, 128, size=d)
                elif kind == 6:
                    x[r] = rng.choice([-128, 127], size=d)
                elif kind == 7:
                    x[r, rng.integers(d)] = rng.choice([-128, 127])
            run.append(np.clip(x, -128, 127).astype(np.int8).reshape(1, rows, d))
        inputs.append(run)
    return Case(f"L2_NORMALIZATION_ROWS:{list(depths)}", model, inputs)


def log_softmax_rows(rng, runs: int = 2, specs=((2, 1000), (1, 4095), (3, 300), (4, 16), (512, 24)), scales=None) -> Case:
    """One model of LOG_SOFTMAX layers over rows of the given (rows, values) shapes (4095: the longest the
    reference's Q12.19 sum holds; 512 short rows: as many sums, so logarithms near a rounding boundary), each input's scale set in the flatbuffer from 1/1000 (every difference
    counts, the sum of exponentials near the row length) to 2 (most fall below diff_min); per row 1 to all
    values equal to the maximum, the rest in a random band below. ``scales``: the input scales instead."""
    import tensorflow as tf
    from tflite.Model import Model

    from mcunets.engine.reader import read_model

    specs = [tuple(s) for s in specs]
    model = convert(lambda *xs: tuple(tf.nn.log_softmax(x) for x in xs), specs, rng)
    buf = bytearray(model)
    sub = Model.GetRootAsModel(buf, 0).Subgraphs(0)
    scales = list(scales) if scales is not None else [float(np.float32(10 ** rng.uniform(-3, np.log10(2))))
                                                      for _ in specs]
    for t, scale in zip(read_model(model).inputs, scales):
        sub.Tensors(t).Quantization().ScaleAsNumpy()[0] = np.float32(scale)
    inputs = []
    for _ in range(runs):
        run = []
        for n, depth in specs:
            rows = []
            for _ in range(n):
                top = int(rng.integers(-100, 128))
                maxima = min(depth, int(rng.choice([1, 2, 7, 60, depth])))
                row = rng.integers(int(rng.integers(-128, top + 1)), top + 1, size=depth)
                row[rng.permutation(depth)[:maxima]] = top
                rows.append(row)
            run.append(np.array(rows, np.int64).astype(np.int8))
        inputs.append(run)
    return Case(f"LOG_SOFTMAX_ROWS:{[(s, round(c, 5)) for s, c in zip(specs, scales)]}", bytes(buf), inputs)


def softmax_rows(rng, runs: int = 2) -> Case:
    """One model of four SOFTMAX layers over long rows (1000, 1001, 300 and 2000 values, 1–3 rows each), each
    input's scale set in the flatbuffer from narrow (every difference still counts) to wide (most fall below
    diff_min); per row 1 to a few hundred equal maxima, the rest in a random band below. Inputs keep each
    row's sum of exponentials below 450 (float estimate): TFLite's reference aborts from 512 on
    (mcu_softmax_s8)."""
    import tensorflow as tf
    from tflite.Model import Model

    from mcunets.engine.reader import read_model

    specs = [(2, 1000), (1, 1001), (3, 300), (1, 2000)]
    model = convert(lambda *xs: tuple(tf.nn.softmax(x) for x in xs), specs, rng)
    buf = bytearray(model)
    sub = Model.GetRootAsModel(buf, 0).Subgraphs(0)
    scales = []
    for t, (_, depth) in zip(read_model(model).inputs, specs):
        floor = max(1e-4, np.log(depth / 200.0) / 255.0)  # the narrowest scale the reference can run
        scales.append(float(np.float32(floor * 10 ** rng.uniform(0, 2.5))))
        sub.Tensors(t).Quantization().ScaleAsNumpy()[0] = np.float32(scales[-1])
    inputs = []
    for _ in range(runs):
        run = []
        for (n, depth), scale in zip(specs, scales):
            rows = []
            while len(rows) < n:
                top = int(rng.integers(-100, 128))
                maxima = int(rng.choice([1, 2, 7, 60, 200, 400]))
                row = rng.integers(int(rng.integers(-128, top)), top, size=depth)
                row[rng.permutation(depth)[:maxima]] = top
                if np.exp(scale * (row - top)).sum() < 450:
                    rows.append(row)
            run.append(np.array(rows, np.int64).astype(np.int8))
        inputs.append(run)
    return Case(f"SOFTMAX_ROWS:{[(s, round(c, 5)) for s, c in zip(specs, scales)]}", bytes(buf), inputs)


def uint8_io_case(rng, runs: int = 2) -> Case:
    """A small convolutional model with uint8 input and output, as converted for camera pipelines
    (``inference_input_type = tf.uint8``): a QUANTIZE uint8 -> int8 at the input and int8 -> uint8 at the
    output. The converter keeps the scale and moves the zero point by 128 (the engine flips each byte's top
    bit); with ``rescale`` the uint8 tensors' scales and zero points are changed in the flatbuffer, so both
    QUANTIZE layers requantize."""
    import tensorflow as tf
    from tflite.Model import Model

    from mcunets.engine.reader import read_model

    h, w, c = int(rng.integers(3, 14)), int(rng.integers(3, 14)), int(rng.integers(1, 5))
    o = int(rng.integers(1, 9))
    rescale = bool(rng.integers(0, 2))
    f = tf.constant(rng.standard_normal((3, 3, c, o)).astype(np.float32))

    def fn(x):
        return tf.nn.relu(tf.nn.conv2d(x, f, 1, "SAME"))

    model = convert(fn, [(1, h, w, c)], rng, uint8_io=True)
    if rescale:
        buf = bytearray(model)
        sub = Model.GetRootAsModel(buf, 0).Subgraphs(0)
        g = read_model(model)
        for t in (g.inputs[0], g.outputs[0]):
            quant = sub.Tensors(t).Quantization()
            quant.ScaleAsNumpy()[0] *= np.float32(10 ** rng.uniform(-1, 1))
            quant.ZeroPointAsNumpy()[0] = int(rng.integers(0, 256))
        model = bytes(buf)
    inputs = [[rng.integers(0, 256, size=(1, h, w, c), dtype=np.int64).astype(np.uint8)] for _ in range(runs)]
    return Case(f"UINT8_IO:{dict(shape=(h, w, c), out=o, rescale=rescale)}", model, inputs)


def _split(kind):
    def build(rng):
        import tensorflow as tf

        shape = [1, int(rng.integers(1, 6)), int(rng.integers(1, 6)), int(rng.integers(2, 9))]
        axis = int(rng.integers(1, 4))
        if kind == "split":
            divisors = [d for d in range(2, shape[axis] + 1) if shape[axis] % d == 0] or [1]
            parts = int(rng.choice(divisors))
            if parts == 1:
                shape[axis] *= 2
                parts = 2
            sizes = parts
        else:
            if shape[axis] < 2:
                shape[axis] = 3
            cut = sorted(rng.choice(np.arange(1, shape[axis]), size=min(2, shape[axis] - 1), replace=False))
            bounds = [0, *[int(c) for c in cut], shape[axis]]
            sizes = [bounds[i + 1] - bounds[i] for i in range(len(bounds) - 1)]

        def fn(x):
            return tuple(tf.split(x, sizes, axis=axis))

        return fn, [tuple(shape)], dict(axis=axis, sizes=sizes), False

    return build


def _strided_slice(rng):
    shape = (1, int(rng.integers(2, 9)), int(rng.integers(2, 9)), int(rng.integers(2, 9)))
    sl = [slice(None)]
    for d in shape[1:]:
        s = int(rng.choice([1, 1, 2, 3, -1]))
        a = int(rng.integers(-d, d))
        b = int(rng.integers(-d, d + 1))
        if s > 0 and (a % d) >= (b % (d + 1) if b >= 0 else b + d):
            a, b = None, None
        if s < 0:
            a, b = None, None
        sl.append(slice(a, b, s))
    if rng.random() < 0.2:
        sl[2] = int(rng.integers(0, shape[2]))  # shrink an axis

    def fn(x):
        return x[tuple(sl)]

    return fn, [shape], dict(slices=str(sl)), False


def _float_io(rng):
    import tensorflow as tf

    shape = (1, int(rng.integers(1, 7)), int(rng.integers(1, 7)), int(rng.integers(1, 9)))

    kind = str(rng.choice(["relu", "relu6", "pool"]))

    def fn(x):
        if kind == "relu":
            return tf.nn.relu(x)
        if kind == "relu6":
            return tf.nn.relu6(x)
        return tf.nn.avg_pool2d(x, 2, 1, "SAME")

    return fn, [shape], {"kind": kind}, True


def _requantize(rng):
    import tensorflow as tf

    shape = (1, int(rng.integers(1, 6)), int(rng.integers(1, 6)), int(rng.integers(1, 6)))

    def fn(a):
        # LOGISTIC's output scale is fixed at 1/256, so concatenating it with its own input makes the
        # converter requantize one side with an int8 -> int8 QUANTIZE
        return tf.concat([tf.sigmoid(a), a], axis=3)

    return fn, [shape], {}, False


def _relu_case(rng):
    import tensorflow as tf

    shape = (1, int(rng.integers(1, 7)), int(rng.integers(1, 7)), int(rng.integers(1, 9)))
    kind = str(rng.choice(["relu", "relu6"]))

    def fn(a, b):
        # a ReLU after a concatenation cannot be fused, so it stays a standalone op
        y = tf.concat([a, b], axis=3)
        return tf.nn.relu(y) if kind == "relu" else tf.nn.relu6(y)

    return fn, [shape, shape], {"kind": kind}, False


def positive(data: np.ndarray) -> np.ndarray:
    """Representative data above zero: every input byte then dequantizes to 0 or more (RSQRT, SQRT and
    LOG are defined there only; the reference stops on a negative RSQRT or SQRT input)."""
    return np.abs(data) + np.float32(1e-3)


def bounded(data: np.ndarray) -> np.ndarray:
    """Representative data squashed into (-10, 10) by 10 tanh(x / 10) (EXP's: the calibration's
    exponentials stay finite; nearly unchanged below 3 in magnitude, so quantizations still vary)."""
    return 10.0 * np.tanh(data / 10.0)


# builders whose representative data is mapped (convert's rep_map)
REP_MAPS = {"RSQRT": positive, "SQRT": positive, "LOG": positive, "EXP": bounded}


BUILDERS: dict[str, Callable] = {
    "CONV_2D": _conv,
    "DEPTHWISE_CONV_2D": _dwconv,
    "FULLY_CONNECTED": _fc,
    "FULLY_CONNECTED_ACTIVATIONS": _fc_activation,  # weights an activation (FULLY_CONNECTED in the model)
    "AVERAGE_POOL_2D": _pool("avg"),
    "MAX_POOL_2D": _pool("max"),
    "MEAN": _mean,
    "REDUCE_MAX": _reduce("max"),
    "REDUCE_MIN": _reduce("min"),
    "SUM": _reduce("sum"),
    "ADD": _binary("add"),
    "MUL": _binary("mul"),
    "SUB": _binary("sub"),
    "MAXIMUM": _binary("max"),
    "MINIMUM": _binary("min"),
    "SQUARED_DIFFERENCE": _binary("sqdiff"),
    **{op: _compare(op) for op in _COMPARE_FNS},
    "SELECT": _select("SELECT"),
    "SELECT_V2": _select("SELECT_V2"),
    "LOGICAL_AND": _logical("LOGICAL_AND"),
    "LOGICAL_OR": _logical("LOGICAL_OR"),
    "LOGICAL_NOT": _logical("LOGICAL_NOT"),
    "REDUCE_PROD": _reduce("prod"),
    "CONCATENATION": _concat,
    "PACK": _pack,
    "DEPTH_TO_SPACE": _depth_to_space("d2s"),
    "SPACE_TO_DEPTH": _depth_to_space("s2d"),
    "UNPACK": _unpack,
    "RESHAPE": _reshape,
    "TRANSPOSE": _transpose,
    "GATHER": _gather,
    "SPACE_TO_BATCH_ND": _space_batch("s2b"),
    "ARG_MAX": _arg_minmax("max"),
    "BATCH_MATMUL": _batch_matmul,
    "ARG_MIN": _arg_minmax("min"),
    "BATCH_TO_SPACE_ND": _space_batch("b2s"),
    "SOFTMAX": _softmax,
    "L2_NORMALIZATION": _l2_normalization,
    "LOG_SOFTMAX": _log_softmax,
    "LOGISTIC": _unary("logistic"),
    "TANH": _unary("tanh"),
    "LEAKY_RELU": _leaky_relu,
    "ABS": _unary("abs"),
    "GELU": _gelu,
    "RSQRT": _unary("rsqrt"),
    "SQRT": _unary("sqrt"),
    "EXP": _unary("exp"),
    "LOG": _unary("log"),
    "PRELU": _prelu,
    "HARD_SWISH": _unary("hard_swish"),
    "PAD": _pad,
    "RESIZE_NEAREST_NEIGHBOR": _resize(),
    "RESIZE_BILINEAR": _resize("ResizeBilinear"),
    "TRANSPOSE_CONV": _transpose_conv,
    "MIRROR_PAD": _mirror_pad,
    "SPLIT": _split("split"),
    "SPLIT_V": _split("split_v"),
    "STRIDED_SLICE": _strided_slice,
    "QUANTIZE": _requantize,
    "DEQUANTIZE": _float_io,
    "RELU": _relu_case,
}


def dsp_chain(rng):
    """A chain of the convolutions the Cortex-M DSP paths handle (1x1, depthwise 3x3 / 1x3 / 3x1 / 5x5
    stride 1/2, k x k im2col, grouped 1x1 / 3x3), with shapes that hit their edge cases: odd pixel and
    channel counts, SAME/VALID padding, channel counts that are and are not multiples of 4."""
    import tensorflow as tf

    c0 = int(rng.choice([3, 4, 8]))
    h, w = int(rng.integers(5, 14)), int(rng.integers(5, 14))
    layers, c = [], c0
    k = int(rng.choice([1, 3, 3, 5]))
    s = int(rng.choice([1, 2]))
    cout = int(rng.choice([4, 5, 8]))
    size = [h, w]

    def add(kind, shape, stride, pad):
        if pad == "VALID" and (size[0] < shape[0] or size[1] < shape[1]):
            pad = "SAME"  # the input is smaller than the filter
        for i in (0, 1):
            size[i] = -(-(size[i] - (shape[i] - 1 if pad == "VALID" else 0)) // stride)
        layers.append((kind, tf.constant(_weights(rng, shape)), stride, pad))

    add("conv", (k, k, c, cout), s, str(rng.choice(["SAME", "VALID"])))
    c = cout
    for _ in range(int(rng.integers(2, 5))):
        if rng.random() < 0.5:
            s = int(rng.choice([1, 2]))
            kh, kw = [(3, 3), (3, 3), (1, 3), (3, 1), (5, 5)][int(rng.integers(5))]
            add("dw", (kh, kw, c, 1), s, str(rng.choice(["SAME", "SAME", "VALID"])))
        elif c % 8 == 0 and rng.random() < 0.4:  # grouped, 4 or 8 input and output channels per group
            g = int(rng.choice([2, c // 4]))
            cout = g * int(rng.choice([4, 8]))
            k = int(rng.choice([1, 1, 3]))
            add("conv", (k, k, c // g, cout), int(rng.choice([1, 2])), str(rng.choice(["SAME", "VALID"])))
            c = cout
        else:
            cout = int(rng.choice([3, 4, 8, 12, 16]))
            add("conv", (1, 1, c, cout), int(rng.choice([1, 1, 2])), "VALID")
            c = cout
    biases = [tf.constant(_weights(rng, (int(l[1].shape[3] if l[0] == "conv" else l[1].shape[2]),)))
              for l in layers]
    act, acts = _act(rng)

    def fn(x):
        for (kind, wt, stride, pad), b in zip(layers, biases):
            if kind == "conv":
                x = tf.nn.conv2d(x, wt, strides=[1, stride, stride, 1], padding=pad)
            else:
                x = tf.nn.depthwise_conv2d(x, wt, strides=[1, stride, stride, 1], padding=pad)
            x = acts[act](x + b)
        return x

    desc = [(kind, tuple(int(d) for d in wt.shape), stride, pad) for kind, wt, stride, pad in layers]
    return fn, [(1, h, w, c0)], dict(h=h, w=w, layers=desc, act=act), False


def patch_chain(rng, dsp: bool = False):
    """A chain that runs patch by patch (mcunets.engine.patches): convolutions (dilated too),
    depthwise convolutions, pools and elementwise layers with odd sizes, stride 2 and SAME/VALID
    padding, then a tail that does not (MEAN and a fully connected layer). ``dsp``: the shapes of the
    Cortex-M DSP paths (3-channel first convolution, 3x3 depthwise over multiples of 4 channels, 1x1)."""
    import tensorflow as tf

    c0 = 3 if dsp else int(rng.integers(1, 5))
    h, w = int(rng.integers(13, 26)), int(rng.integers(13, 26))
    size, c = [h, w], c0
    steps = []

    def fits(ext, stride, pad):
        out = [-(-(v - (ext - 1 if pad == "VALID" else 0)) // stride) for v in size]
        return out if min(out) >= 2 else None

    for i in range(int(rng.integers(3, 7))):
        r = rng.random()
        pad = str(rng.choice(["SAME", "SAME", "VALID"]))
        stride = int(rng.choice([1, 1, 2]))
        if i == 0 or r < 0.35:
            k = int(rng.choice([3, 3, 1, 5])) if not dsp or i else 3
            dil = int(rng.choice([1, 1, 1, 2])) if not dsp and stride == 1 else 1
            cout = int(rng.choice([4, 8, 12])) if dsp else int(rng.integers(1, 9))
            if i == 0 and dsp:
                stride = 2
            out = fits((k - 1) * dil + 1, stride, pad)
            if out is None:
                continue
            steps.append(("conv", tf.constant(_weights(rng, (k, k, c, cout))), stride, pad, dil))
            c = cout
        elif r < 0.7:
            k = 3 if dsp else int(rng.choice([3, 3, 5, 2]))
            out = fits(k, stride, pad)
            if out is None:
                continue
            steps.append(("dw", tf.constant(_weights(rng, (k, k, c, 1))), stride, pad, 1))
        elif r < 0.85:
            k = int(rng.choice([2, 3]))
            out = fits(k, stride, pad)
            if out is None:
                continue
            steps.append((str(rng.choice(["avg", "max"])), k, stride, pad, 1))
        else:
            out = list(size)
            steps.append((str(rng.choice(["hard_swish", "logistic"])), None, 1, "SAME", 1))
        size = out
    biases = [tf.constant(_weights(rng, (int(s[1].shape[3] if s[0] == "conv" else s[1].shape[2]),)))
              if s[0] in ("conv", "dw") else None for s in steps]
    fc = tf.constant(_weights(rng, (c, 3)))
    act, acts = _act(rng)

    def fn(x):
        for (kind, wt, stride, pad, dil), b in zip(steps, biases):
            st = [1, stride, stride, 1]
            if kind == "conv":
                x = acts[act](tf.nn.conv2d(x, wt, strides=st, padding=pad, dilations=[1, dil, dil, 1]) + b)
            elif kind == "dw":
                x = acts[act](tf.nn.depthwise_conv2d(x, wt, strides=st, padding=pad) + b)
            elif kind == "avg":
                x = tf.nn.avg_pool2d(x, ksize=wt, strides=stride, padding=pad)
            elif kind == "max":
                x = tf.nn.max_pool2d(x, ksize=wt, strides=stride, padding=pad)
            elif kind == "logistic":
                x = tf.sigmoid(x)
            else:
                x = x * tf.nn.relu6(x + 3.0) / 6.0
        return tf.matmul(tf.reduce_mean(x, axis=[1, 2]), fc)

    desc = [(kind, tuple(int(d) for d in wt.shape) if hasattr(wt, "shape") else wt, stride, pad, dil)
            for kind, wt, stride, pad, dil in steps]
    return fn, [(1, h, w, c0)], dict(h=h, w=w, steps=desc, act=act), False


def patch_residual(rng, dsp: bool = False):
    """Residual blocks that run patch by patch: a first convolution (stride 1 or 2, SAME or VALID),
    then x + f(x) or x * f(x) blocks (f: an optional 1x1 expansion, a depthwise or dilated convolution,
    a 1x1 projection, all SAME, stride 1), some chained, between strided layers (SAME or VALID); odd
    sizes; MEAN and a fully connected tail. ``dsp``: 3 input channels and depths in multiples of 4."""
    import tensorflow as tf

    c0 = 3 if dsp else int(rng.integers(1, 5))
    h, w = int(rng.integers(11, 24)), int(rng.integers(11, 24))
    act, acts = _act(rng)

    def layer(kind, k, cin, cout, stride=1, pad="SAME", dil=1):
        shape = (k, k, cin, cout) if kind == "conv" else (k, k, cin, 1)
        return (kind, tf.constant(_weights(rng, shape)), tf.constant(_weights(rng, (cout,))), stride, pad, dil)

    c = int(rng.choice([4, 8])) if dsp else int(rng.integers(2, 7))
    steps = [layer("conv", 3, c0, c, int(rng.choice([1, 2])), str(rng.choice(["SAME", "VALID"])))]
    size = [h, w]
    size = [(v - 2 if steps[0][4] == "VALID" else v) for v in size]
    size = [-(-v // steps[0][3]) for v in size]
    for _ in range(int(rng.integers(3, 6))):
        if rng.random() < 0.75 or min(size) < 7:
            sub, cc = [], c
            if rng.random() < 0.6:
                cc = c * int(rng.choice([2, 3]))
                sub.append(layer("conv", 1, c, cc))
            if dsp or rng.random() < 0.7:
                sub.append(layer("dw", 3 if dsp else int(rng.choice([3, 5])), cc, cc))
            else:
                sub.append(layer("conv", 3, cc, cc, dil=int(rng.choice([1, 2]))))
            if cc != c or rng.random() < 0.5:
                sub.append(layer("conv", 1, cc, c))
            steps.append(("res", "mul" if rng.random() < 0.25 else "add", sub))
        else:
            pad = str(rng.choice(["SAME", "VALID"]))
            kind = str(rng.choice(["dw", "conv", "max"]))
            if kind == "max":
                steps.append(("max", None, None, 2, pad, 1))
                size = [-(-(v - (1 if pad == "VALID" else 0)) // 2) for v in size]
                continue
            cout = c if kind == "dw" else (int(rng.choice([4, 8, 12])) if dsp else int(rng.integers(2, 7)))
            steps.append(layer(kind, 3, c, cout, 2, pad))
            size = [-(-(v - (2 if pad == "VALID" else 0)) // 2) for v in size]
            c = cout
    fc = tf.constant(_weights(rng, (c, 3)))

    def run(step, x):
        kind, wt, b, stride, pad, dil = step
        st = [1, stride, stride, 1]
        if kind == "max":
            return tf.nn.max_pool2d(x, ksize=2, strides=stride, padding=pad)
        if kind == "conv":
            return acts[act](tf.nn.conv2d(x, wt, strides=st, padding=pad, dilations=[1, dil, dil, 1]) + b)
        return acts[act](tf.nn.depthwise_conv2d(x, wt, strides=st, padding=pad) + b)

    def fn(x):
        for step in steps:
            if step[0] != "res":
                x = run(step, x)
                continue
            y = x
            for sub in step[2]:
                y = run(sub, y)
            x = x + y if step[1] == "add" else x * y
        return tf.matmul(tf.reduce_mean(x, axis=[1, 2]), fc)

    def describe(step):
        if step[0] == "res":
            return (step[1], [describe(sub) for sub in step[2]])
        kind, wt, _, stride, pad, dil = step
        return (kind, tuple(int(d) for d in wt.shape) if wt is not None else None, stride, pad, dil)

    return fn, [(1, h, w, c0)], dict(h=h, w=w, steps=[describe(s) for s in steps], act=act), False


def patch_channels(rng, dsp: bool = False):
    """Channel-axis operators that run patch by patch, between convolutions: fire modules (a 1x1
    squeeze, then 1x1 and k x k expansions concatenated along the channels), dense blocks (a map
    concatenated with a convolution of it), channel shuffles (RESHAPE to (1, H * W, g, C / g) or
    (1, H, W, g, C / g), TRANSPOSE of the last two axes, RESHAPE back), mixed depthwise convolutions
    (SPLIT or SPLIT_V along the channels, a kernel size per group, CONCATENATION) and ShuffleNet's
    strided unit (an average pool of the input concatenated with a 1x1 convolution and a strided
    depthwise one), some between strided layers; odd sizes; MEAN and a fully connected tail. ``dsp``:
    3 input channels and depths in multiples of 4."""
    import tensorflow as tf

    c0 = 3 if dsp else int(rng.integers(1, 5))
    h, w = int(rng.integers(11, 24)), int(rng.integers(11, 24))
    act, acts = _act(rng)

    def depth(lo=1):
        return int(rng.choice([4, 8])) if dsp else int(rng.integers(lo, 7))

    def conv(k, cin, cout, stride=1, dil=1):
        wt, b = tf.constant(_weights(rng, (k, k, cin, cout))), tf.constant(_weights(rng, (cout,)))
        return lambda x: acts[act](tf.nn.conv2d(x, wt, strides=[1, stride, stride, 1], padding="SAME",
                                                dilations=[1, dil, dil, 1]) + b)

    def dw(k, c, stride=1):
        wt, b = tf.constant(_weights(rng, (k, k, c, 1))), tf.constant(_weights(rng, (c,)))
        return lambda x: acts[act](tf.nn.depthwise_conv2d(x, wt, strides=[1, stride, stride, 1],
                                                          padding="SAME") + b)

    c, stride = depth(2), int(rng.choice([1, 2]))
    first = conv(3, c0, c, stride)
    size = [-(-h // stride), -(-w // stride)]
    blocks, desc = [], [("conv", 3, c0, c, stride)]
    kinds = ["fire", "dense", "shuffle", "mixed", "down"]
    for kind in [str(rng.choice(kinds)) for _ in range(int(rng.integers(3, 6)))]:
        if kind == "down" and min(size) < 6:
            kind = "fire"
        if kind == "fire":
            s, e1, e3, k = depth(), depth(), depth(), int(rng.choice([3, 3, 5]))
            squeeze, ex1, ex3 = conv(1, c, s), conv(1, s, e1), conv(k, s, e3, dil=int(rng.choice([1, 1, 2])))
            swap = bool(rng.random() < 0.3)
            blocks.append(lambda x, f=(squeeze, ex1, ex3, swap): (
                lambda y: tf.concat([f[2](y), f[1](y)] if f[3] else [f[1](y), f[2](y)], axis=-1))(f[0](x)))
            desc.append(("fire", c, s, e1, e3, k, swap))
            c = e1 + e3
        elif kind == "dense":
            g = depth()
            f = (conv(3, c, g) if dsp or rng.random() < 0.5
                 else (lambda a, b: lambda x: b(a(x)))(dw(3, c), conv(1, c, g)))
            blocks.append(lambda x, f=f: tf.concat([x, f(x)], axis=-1))
            desc.append(("dense", c, g))
            c += g
        elif kind == "shuffle":
            g = int(rng.choice([2, 4])) if dsp else int(rng.choice([2, 3]))
            cc = g * (int(rng.choice([2, 4])) if dsp else int(rng.integers(2, 4)))
            pre, hh, ww, five = conv(1, c, cc), size[0], size[1], bool(rng.random() < 0.5)

            def shuffle(x, pre=pre, g=g, cc=cc, hh=hh, ww=ww, five=five):
                y = pre(x)
                y = tf.reshape(y, [1, hh, ww, g, cc // g] if five else [1, hh * ww, g, cc // g])
                y = tf.transpose(y, [0, 1, 2, 4, 3] if five else [0, 1, 3, 2])
                return tf.reshape(y, [1, hh, ww, cc])
            blocks.append(shuffle)
            post = dw(3, cc)
            blocks.append(post)
            desc.append(("shuffle", c, cc, g, five))
            c = cc
        elif kind == "mixed":
            groups = int(rng.choice([2, 3]))
            sizes = [depth() for _ in range(groups)]
            if rng.random() < 0.4:
                sizes = [sizes[0]] * groups
            pre = conv(1, c, sum(sizes))
            st = int(rng.choice([1, 2])) if min(size) >= 6 else 1
            fs = [dw(int(rng.choice([3, 5, 7])) if not dsp else int(rng.choice([3, 3, 5])), n, st) for n in sizes]

            def mixed(x, pre=pre, fs=fs, sizes=sizes):
                parts = tf.split(pre(x), sizes if len(set(sizes)) > 1 else len(sizes), axis=-1)
                return tf.concat([f(p) for f, p in zip(fs, parts)], axis=-1)
            blocks.append(mixed)
            desc.append(("mixed", c, tuple(sizes), st))
            c = sum(sizes)
            size = [-(-v // st) for v in size]
        else:  # ShuffleNet's strided unit
            g = depth()
            pre, down = conv(1, c, g), dw(3, g, 2)
            blocks.append(lambda x, pre=pre, down=down: tf.concat(
                [tf.nn.avg_pool2d(x, ksize=3, strides=2, padding="SAME"), down(pre(x))], axis=-1))
            desc.append(("down", c, g))
            c += g
            size = [-(-v // 2) for v in size]
    fc = tf.constant(_weights(rng, (c, 3)))

    def fn(x):
        x = first(x)
        for block in blocks:
            x = block(x)
        return tf.matmul(tf.reduce_mean(x, axis=[1, 2]), fc)

    return fn, [(1, h, w, c0)], dict(h=h, w=w, blocks=desc, act=act), False


def random_input(rng, dtype: str, shape) -> np.ndarray:
    if dtype == "float32":
        return (rng.standard_normal(shape) * 10 ** rng.uniform(-1, 1)).astype(np.float32)
    if dtype == "uint8":
        return rng.integers(0, 256, size=shape, dtype=np.int64).astype(np.uint8)
    return rng.integers(-128, 128, size=shape, dtype=np.int64).astype(np.int8)


def make_case(op: str, rng, runs: int = 3) -> Case:
    from mcunets.engine.reader import read_model

    chains = {"DSP_CHAIN": dsp_chain, "PATCH_CHAIN": patch_chain,
              "PATCH_CHAIN_DSP": lambda r: patch_chain(r, dsp=True), "PATCH_RESIDUAL": patch_residual,
              "PATCH_RESIDUAL_DSP": lambda r: patch_residual(r, dsp=True), "PATCH_CHANNELS": patch_channels,
              "PATCH_CHANNELS_DSP": lambda r: patch_channels(r, dsp=True), "RESIZE_MODES": resize_modes,
              "RESIZE_BILINEAR_MODES": lambda r: resize_modes(r, "ResizeBilinear"),
              "TRANSPOSE_CONV_MODES": transpose_conv_modes,
              "MIRROR_PAD_MODES": mirror_pad_modes, "GATHER_MODES": gather_modes,
              "SPACE_BATCH_MODES": space_batch_modes, "BATCH_MATMUL_MODES": batch_matmul_modes,
              "FC_ATTENTION": fc_attention,
              "REDUCE_MAX_MODES": reduce_modes, "COMPARE_MODES": compare_modes, "CONV_WHERE": conv_where,
              "REDUCE_MIN_MODES": lambda r: reduce_modes(r, "min"),
 "SUM_MODES": lambda r: reduce_modes(r, "sum")}
    fn, specs, params, float_io = (chains.get(op) or BUILDERS[op])(rng)
    model = convert(fn, specs, rng, float_io=float_io, rep_map=REP_MAPS.get(op))
    if op == "NOT_EQUAL":  # the converter's NOT_EQUAL compares dequantized floats (_compare)
        model = rename_op(model, "EQUAL", "NOT_EQUAL")
    g = read_model(model)
    inputs = []
    for _ in range(runs):
        inputs.append([random_input(rng, g.tensors[t].dtype, g.tensors[t].shape) for t in g.inputs])
    return Case(f"{op}:{params}", model, inputs, params)


def _quantized(tensor) -> bool:
    q = tensor.Quantization()
    return q is not None and q.ScaleLength() > 0


def weight_variants(case: Case, rng, count: int, runs: int) -> list[Case]:
    """``count`` cheap new cases from one converted model: every constant int8 tensor (weights) gets new
    random bytes and every quantized constant int32 tensor (biases; not axes, shapes or paddings) new
    random values of similar magnitude, written into a copy of the flatbuffer in place (shapes and
    quantization unchanged), each with new random inputs.  Models without constants yield the same
    model with new inputs."""
    from tflite.Model import Model

    from mcunets.engine.reader import read_model

    g = read_model(case.model)
    out = []
    for v in range(count):
        buf = bytearray(case.model)
        m = Model.GetRootAsModel(buf, 0)
        sub = m.Subgraphs(0)
        for i in range(sub.TensorsLength()):
            t = sub.Tensors(i)
            b = m.Buffers(t.Buffer()) if t.Buffer() < m.BuffersLength() else None
            if b is None or not b.DataLength():
                continue
            data = b.DataAsNumpy()  # a writable view into buf
            if t.Type() == 9:  # int8 weights
                data[:] = rng.integers(-128, 128, size=data.size, dtype=np.int64).astype(np.int8).view(np.uint8)
            elif t.Type() == 2 and data.size % 4 == 0 and _quantized(t):  # int32 biases, not axes or shapes
                vals = data.view(np.int32)
                spread = int(min(2**24, max(16, int(np.abs(vals.astype(np.int64)).max(initial=0)) * 2)))
                vals[:] = rng.integers(-spread, spread + 1, size=vals.size)
        inputs = [[random_input(rng, g.tensors[t].dtype, g.tensors[t].shape) for t in g.inputs]
                  for _ in range(runs)]
        out.append(Case(f"{case.name}#w{v}", bytes(buf), inputs, case.params))
    return out


def _buffer_view(m, t):
    """A writable numpy view of tensor t's constant data inside the flatbuffer, or None."""
    b = m.Buffers(t.Buffer()) if t.Buffer() < m.BuffersLength() else None
    return b.DataAsNumpy() if b is not None and b.DataLength() else None


def shift_zero_points(model: bytes, rng, op_name: str = "DEPTHWISE_CONV_2D", every: int = 1) -> bytes:
    """A copy of ``model`` whose ``op_name`` outputs with zero point -128 (ReLU, ReLU6) get a zero
    point in -120 .. -60 and a 1.3 times larger scale, so the fused ReLU clamps above -128 (act_min > -128)
    and ReLU6 below 127 too; with ``every`` > 1 only every ``every``-th such operator (the first, ...)."""
    from tflite.Model import Model

    from mcunets.engine.reader import read_model

    g = read_model(model)
    buf = bytearray(model)
    sub = Model.GetRootAsModel(buf, 0).Subgraphs(0)
    ops = [op for op in g.operators if op.op == op_name]
    for op in ops[::every]:
        q = sub.Tensors(op.outputs[0]).Quantization()
        zp = q.ZeroPointAsNumpy()  # writable views into buf
        if zp.size == 1 and zp[0] == -128:
            zp[0] = rng.integers(-120, -60)
            q.ScaleAsNumpy()[0] *= np.float32(1.3)
    return bytes(buf)


def trained_like_requant(model: bytes, rng, *, dead: float = 0.15, shift_range=(-31, -1),
                         positive: float = 0.0, int8_weights: bool = True) -> bytes:
    """A copy of ``model`` whose CONV_2D / DEPTHWISE_CONV_2D / FULLY_CONNECTED layers get quantization
    parameters like trained models have, written into the flatbuffer (shapes unchanged): per-channel
    filter scales giving requantization shifts spread over ``shift_range`` (a ``dead`` fraction of
    channels below 2^-32: TFLite's multiplier 0), a ``positive`` fraction with shifts 0..2, weights
    redrawn from a heavy-tailed distribution (``int8_weights``), and biases sized to the channel's
    scale so outputs vary instead of saturating, a tenth of them huge (up to the int32 range, as a
    near-dead channel's bias over its tiny scale). Bias scales follow the filter scales; every
    accumulator stays within int32."""
    from tflite.Model import Model

    from mcunets.engine.reader import read_model

    g = read_model(model)
    buf = bytearray(model)
    m = Model.GetRootAsModel(buf, 0)
    sub = m.Subgraphs(0)
    for op in g.operators:
        if op.op not in ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED") or len(op.inputs) < 2:
            continue
        if not g.tensors[op.inputs[1]].is_const:  # weights an activation: its quantization is its producer's
            continue
        x, f = g.tensors[op.inputs[0]], g.tensors[op.inputs[1]]
        y = g.tensors[op.outputs[0]]
        ft = sub.Tensors(op.inputs[1])
        fq = ft.Quantization()
        if f.dtype != "int8" or fq is None or not fq.ScaleLength():
            continue
        scales = fq.ScaleAsNumpy()  # writable view into buf
        n = scales.size
        w = _buffer_view(m, ft)
        if w is not None and int8_weights:
            vals = np.clip(np.round(rng.laplace(0, 30, size=w.size)), -127, 127).astype(np.int8)
            w[:] = vals.view(np.uint8)
        wq = np.frombuffer(bytes(w), dtype=np.int8) if w is not None else np.zeros(1, np.int8)
        out_axis = 3 if op.op == "DEPTHWISE_CONV_2D" else 0
        wt = wq.reshape(f.shape)
        taps = np.abs(np.moveaxis(wt.astype(np.int64), out_axis, 0).reshape(wt.shape[out_axis], -1)).sum(axis=1)
        lo, hi = shift_range
        shift = rng.integers(lo, hi + 1, size=n)
        shift = np.where(rng.random(n) < dead, -40, shift)
        shift = np.where(rng.random(n) < positive, rng.integers(0, 3, size=n), shift)
        real = rng.uniform(0.5, 1.0, size=n) * np.exp2(shift.astype(np.float64))
        new = (real * float(y.scale) / float(x.scale)).astype(np.float32)
        scales[:] = np.maximum(new, np.float32(1e-30))
        if len(op.inputs) > 2 and op.inputs[2] >= 0:
            bt = sub.Tensors(op.inputs[2])
            bq = bt.Quantization()
            if bq is not None and bq.ScaleLength() == n:
                bq.ScaleAsNumpy()[:] = (np.float32(x.scale) * scales).astype(np.float32)
            bv = _buffer_view(m, bt)
            if bv is not None and bv.size == 4 * (taps.size if n > 1 else bv.size // 4):
                xmax = 256 * taps[: bv.size // 4] if n > 1 else 256 * taps.max()
                room = np.maximum(0, 2**30 - 1 - xmax)
                r = np.clip(-shift[: bv.size // 4], 0, 31)
                mag = np.exp2(np.minimum(r + rng.uniform(-2, 8, size=r.size), 31))
                b = np.clip(np.round(rng.standard_normal(r.size) * mag), -room, room)
                # a few huge biases (a near-dead channel's bias over its tiny scale), up to int32 range
                huge = rng.random(r.size) < 0.1
                top = np.maximum(0, 2**31 - 1 - xmax)
                b = np.where(huge, rng.choice([-1, 1], size=r.size) * rng.uniform(0.5, 1.0, r.size) * top, b)
                bv.view(np.int32)[:] = np.round(b).astype(np.int64).astype(np.int32)
    return bytes(buf)


def reference(model: bytes, inputs) -> list[np.ndarray]:
    from mcunets.tflm import run_reference

    return run_reference(model, inputs)


@dataclass
class Result:
    cases: int = 0
    runs: int = 0
    mismatches: list = field(default_factory=list)


def check_cases(cases: Sequence[Case], *, ops_required: bool = True, oracle: Callable | None = None) -> Result:
    """Engine vs BUILTIN_REF (or ``oracle(model, inputs)``) on every run of every case, byte for byte."""
    from mcunets.engine import generate
    from mcunets.engine.host import HostLibrary

    models = [generate(c.model, f"case{i}", prefix=f"case{i}") for i, c in enumerate(cases)]
    lib = HostLibrary(models)
    res = Result()
    try:
        for i, c in enumerate(cases):
            res.cases += 1
            for inputs in c.inputs:
                res.runs += 1
                got = lib.run(f"case{i}", inputs)
                want = (oracle or reference)(c.model, inputs)
                same = len(got) == len(want) and all(
                    g.dtype == w.dtype and g.shape == w.shape and g.tobytes() == w.tobytes()
                    for g, w in zip(got, want))
                if not same:
                    res.mismatches.append((c.name, inputs, got, want))
    finally:
        lib.close()
    return res


def board_kernel_objects(board, defines: Sequence[str] = ()) -> list:
    """Object files of the kernel library (firmware/engine/*.c) compiled for ``board`` (a name or
    :class:`mcunets.boards.Board` built by :func:`mcunets.targets.build`) with its compiler, compile and
    link flags (specs files choose the C library's headers) and ``defines``, as in the firmware's one
    compiler command; once per compiler, flags and source content, cached like the host's
    (:func:`mcunets.engine.host.kernel_objects`). Linked with the rest of a firmware they give the same
    image (each source is its own translation unit either way)."""
    import shutil

    from mcunets.boards import load_board
    from mcunets.engine.host import kernel_objects

    board = load_board(board) if isinstance(board, str) else board
    cc = shutil.which(board.toolchain.cc) or board.toolchain.cc
    # the link flags too, as in the firmware's one command: specs files choose the C library's headers
    flags = [*board.toolchain.cflags, *(f"-D{d}" for d in defines), *board.toolchain.ldflags]
    return kernel_objects(flags, cc=cc, tag="board-kernels")


def with_kernel_objects(src, board):
    """``src`` (:class:`mcunets.targets.ModelSources`) with the kernel sources replaced by
    :func:`board_kernel_objects` for ``board``: a firmware build compiles only the model and the runner.
    The linker map then names the kernels' sections by their object files (``mcu_pool_s8.o``, not
    ``mcu_pool_s8.c``, in :func:`mcunets.targets.flash_by_source`); the model's are as before."""
    from dataclasses import replace
    from pathlib import Path

    from mcunets.engine import kernel_sources

    kernels = {Path(p).resolve() for p in kernel_sources()}
    rest = tuple(p for p in src.sources if Path(p).resolve() not in kernels)
    if len(rest) == len(src.sources):
        return src
    return replace(src, sources=(*rest, *board_kernel_objects(board, src.defines)))


def validate_on_board(model: bytes, board: str, samples, build_dir, *, sources=None, **kwargs) -> list:
    """:func:`mcunets.targets.validate_model` (the raw output bytes per sample) with the kernels from
    :func:`board_kernel_objects`; ``sources``: the model's, else generated with ``kwargs``'s schedule
    options (``patches``, ``max_extra_macs``, ``stream_input``) as validate_model does."""
    from pathlib import Path

    from mcunets import targets

    build_dir = Path(build_dir)
    schedule = {k: kwargs.pop(k) for k in ("patches", "max_extra_macs", "stream_input") if k in kwargs}
    if sources is None:
        sources = targets.engine_sources(model, kwargs.pop("name", None) or targets._model_name(model),
                                         build_dir / "model", board, **schedule)
    return targets.validate_model(model, board, samples, build_dir,
                                  sources=with_kernel_objects(sources, board), **kwargs)
