"""Per-operator shape sweep of the engine's kernels on qemu-m4: instructions per MAC (CONV_2D, DEPTHWISE_CONV_2D,
FULLY_CONNECTED, TRANSPOSE_CONV: input elements x filter taps x output channels; BATCH_MATMUL: batches x rows x
columns x depth; FULLY_CONNECTED_ACTIVATIONS (FULLY_CONNECTED whose weights are an activation): rows x columns x
depth; per element for ADD,
SUB, MUL, MAXIMUM, MINIMUM, SQUARED_DIFFERENCE, LEAKY_RELU, PRELU, ABS, GELU, RSQRT, SQRT, EXP, LOG, pooling, MEAN, SUM, REDUCE_MAX, REDUCE_MIN, TANH, RESIZE_NEAREST_NEIGHBOR,
RESIZE_BILINEAR, MIRROR_PAD, SOFTMAX, LOG_SOFTMAX, L2_NORMALIZATION, PACK, UNPACK, DEPTH_TO_SPACE, SPACE_TO_DEPTH, GATHER, SPACE_TO_BATCH_ND, BATCH_TO_SPACE_ND, ARG_MAX, ARG_MIN, GREATER, EQUAL, SELECT, SELECT_V2, LOGICAL_AND, LOGICAL_NOT and REDUCE_PROD: input elements for the reductions, output elements for the others) over a grid of shapes,
each a one-operator int8 model (SELECT, SELECT_V2 and the logical operators: the comparisons before them
in the model too, only the named operator's layers counted).

Every shape is a tf.function converted by the stock TFLiteConverter to full int8 (representative data of
random offset and spread: asymmetric input zero points), then given trained-like quantization
(mcunets.engine.testing.trained_like_requant: per-channel scales whose requantization shifts span
-31..-1, near-dead channels, heavy-tailed weights, huge biases on a few channels). Each model runs on
qemu-m4 (instructions of its one layer, outputs compared with TFLite's reference kernels) and on the
host (outputs compared too), layer by layer (``patches="off"``: the kernel alone, never a patch stage over
the one layer, which the default schedule may take where it lowers the arena). Per operator it prints the best, median and worst shape, the kernel path
each took, and the spread among shapes with at least 8 channels and 4x4 pixels (target: worst within
1.5x of best).

    .venv/bin/python benchmarks/kernels.py [--op CONV_2D_1x1 ...] [--full] [--out out/bench-kernels]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
from pathlib import Path

import numpy as np

import mcunets  # noqa: F401  (selects tf-keras before TensorFlow loads)


def _grid(full: bool) -> dict:
    """op -> list of shape dicts."""
    hw = [1, 3, 6, 12, 24, 48, 96] if full else [3, 6, 12, 24]
    ch = [8, 16, 32, 64, 128, 256, 512] if full else [8, 32, 128]
    g = {
        "CONV_2D_1x1": [dict(h=h, c=c, o=o) for h in hw for c in ch for o in (c, 2 * c)
                        if h * h * c * o <= (2**22 if full else 2**20)],
        # the small 1x1 path's depths 8-24 (multiples of 4 and not) at both clamps: ReLU at zero point -128
        # ([-128, 127]) and above it ("relu+": act_min > -128)
        "CONV_2D_1x1_small": [dict(h=h, c=c, o=c + c % 2, act=a) for h in ([6, 12] if full else [12])
                              for c in range(8, 25) if c <= 20 or c % 4 == 0 for a in ("relu", "relu+")]
        + [dict(h=12, c=c, o=c + c % 2, act=a) for c in (5, 6, 7) for a in ("relu", "relu+")]
        + [dict(h=12, c=c, o=c + c % 2, act="relu6+") for c in (8, 10, 12, 14, 16, 17, 18)],
        "CONV_2D_kxk": [dict(h=h, c=c, o=o, k=k, s=s) for k in ((3, 5, 7) if full else (3,))
                        for c in ([8, 16, 32, 64] if full else [8, 32]) for o in (c, 2 * c)
                        for h in ([6, 12, 24, 48] if full else [8, 16]) for s in (1, 2)
                        if h * h * c * o * k * k / s / s <= 2**23],
        "CONV_2D_first": [dict(h=h, c=c, o=o, k=3, s=s) for c in (1, 2, 3) for o in (8, 16)
                          for h in ([32, 48, 96] if full else [32]) for s in (1, 2)],
        "DEPTHWISE_CONV_2D": [dict(h=h, c=c, k=k, s=s) for k in ((3, 3), (1, 3), (3, 1)) for c in ch
                              for h in hw for s in (1, 2)
                              if h * h * c <= 2**19 and (full or (k == (3, 3) and h >= 6) or (c == 32 and h == 24))]
        # the three-tap path at the strides, depths, clamps and paddings the grid above leaves out
        + [dict(h=24, c=32, k=(3, 1), s=(1, 2)), dict(h=24, c=32, k=(3, 1), s=(2, 1)),
           dict(h=24, c=32, k=(3, 1), s=1, pad="VALID"), dict(h=24, c=64, k=(3, 1), s=1),
           dict(h=24, c=64, k=(1, 3), s=1), dict(h=12, c=16, k=(1, 3), s=1), dict(h=12, c=16, k=(3, 1), s=1)]
        + [dict(h=12, c=16, k=k, s=1, act=a) for k in ((1, 3), (3, 1)) for a in ("relu+", "relu6+")],
        "FULLY_CONNECTED": [dict(i=i, o=o) for i in ([16, 64, 256, 640, 1024, 2048] if full else [16, 64, 256, 640])
                            for o in (10, 64, 128)],
        "ADD": [dict(h=h, c=c) for h in hw[1:] for c in ch[:2] if h * h * c <= 2**16],
        "MUL": [dict(h=h, c=c) for h in hw[1:] for c in ch[:2] if h * h * c <= 2**16],
        "SUB": [dict(h=h, c=c) for h in hw[1:] for c in ch[:2] if h * h * c <= 2**16],
        "MAXIMUM": [dict(h=h, c=c) for h in hw[1:] for c in ch[:2] if h * h * c <= 2**16],
        "MINIMUM": [dict(h=h, c=c) for h in hw[1:] for c in ch[:2] if h * h * c <= 2**16],
        "SQUARED_DIFFERENCE": [dict(h=h, c=c) for h in hw[1:] for c in ch[:2] if h * h * c <= 2**16],
        "LEAKY_RELU": [dict(h=h, c=c) for h in hw[1:] for c in ch[:2] if h * h * c <= 2**16],
        "PRELU": [dict(h=h, c=c) for h in hw[1:] for c in ch[:2] if h * h * c <= 2**16],
        "AVERAGE_POOL_2D": [dict(h=h, c=c, p=p) for h in hw[1:] for c in ch[:2] for p in ("global", 2)
                            if h * h * c <= 2**16],
        "MAX_POOL_2D": [dict(h=h, c=c, p=p) for h in hw[1:] for c in ch[:2] for p in (2, (2, 1))
                        if h * h * c <= 2**16],
        "MEAN": [dict(h=h, c=c) for h in hw[1:] for c in ch[:2] if h * h * c <= 2**16],
        "SUM": [dict(h=h, c=c) for h in hw[1:] for c in ch[:2] if h * h * c <= 2**16],
        "REDUCE_MAX": [dict(h=h, c=c) for h in hw[1:] for c in ch[:2] if h * h * c <= 2**16],
        "REDUCE_MIN": [dict(h=h, c=c) for h in hw[1:] for c in ch[:2] if h * h * c <= 2**16],
        "TANH": [dict(h=h, c=c) for h in hw[1:] for c in ch[:2] if h * h * c <= 2**16],
        "ABS": [dict(h=h, c=c) for h in hw[1:] for c in ch[:2] if h * h * c <= 2**16],
        "GELU": [dict(h=h, c=c) for h in hw[1:] for c in ch[:2] if h * h * c <= 2**16],
        **{op: [dict(h=h, c=c) for h in hw[1:] for c in ch[:2] if h * h * c <= 2**16]
           for op in ("RSQRT", "SQRT", "EXP", "LOG")},
        "RESIZE_NEAREST_NEIGHBOR": [dict(h=h, c=c, o=o) for h in hw[1:3] for c in ch[:2]
                                    for o in (2 * h, h + h // 2, h // 2)],
        # c -> o channels (o = c unless given), SAME unless pad="VALID", per-channel weights unless pt=1
        "TRANSPOSE_CONV": [dict(h=h, c=c, k=k, s=s) for h in hw[1:3] for c in ch[:2] for k, s in ((3, 2), (2, 2), (3, 1))]
        + [dict(h=h, c=c, k=4, s=2) for h in hw[1:3] for c in ch[:2]]
        + [dict(h=8, c=16, k=3, s=2, pad="VALID"), dict(h=8, c=16, k=4, s=2, pad="VALID"),
           dict(h=8, c=16, k=3, s=1, pad="VALID"), dict(h=8, c=16, k=3, s=2, pt=1), dict(h=8, c=16, k=2, s=2, pt=1),
           dict(h=6, c=64, k=2, s=2), dict(h=6, c=64, o=32, k=3, s=2), dict(h=12, c=1, o=8, k=3, s=2),
           dict(h=12, c=3, o=8, k=4, s=2), dict(h=12, c=8, o=1, k=3, s=2), dict(h=12, c=16, o=3, k=2, s=2),
           dict(h=12, c=2, o=2, k=3, s=1)],
        "RESIZE_BILINEAR": [dict(h=h, c=c, o=o) for h in hw[1:3] for c in ch[:2] for o in (2 * h, h + h // 2, h // 2)],
        "MIRROR_PAD": [dict(h=h, c=c, pad=pad) for h in hw[1:] for c in ch[:2] for pad in (1, 2)
                       if h * h * c <= 2**16],
        # classifier heads: one row of n logits, input scale 1/16 (set in the model)
        "SOFTMAX": [dict(n=n) for n in (10, 100, 256, 1000, 1001)],
        # classifier heads as SOFTMAX's (input scale 1/16, set in the model)
        "LOG_SOFTMAX": [dict(n=n) for n in (10, 100, 256, 1000, 1001)],
        # embeddings (one row of n values) and maps normalized over their channels (rows = pixels)
        "L2_NORMALIZATION": [dict(rows=r, n=n) for r, n in ((1, 128), (1, 512), (16, 128), (36, 32))],
        # two maps stacked pixel by pixel (a new axis before the channels); a map unstacked into its rows
        "PACK": [dict(h=h, c=c) for h in hw[1:] for c in ch[:2] if h * h * c <= 2**16],
        "UNPACK": [dict(h=h, c=c) for h in hw[1:] for c in ch[:2] if h * h * c <= 2**16],
        # h x h x c outputs of block 2 (DEPTH_TO_SPACE from (h/2) x (h/2) x 4c, SPACE_TO_DEPTH from 2h x 2h x c/4)
        "DEPTH_TO_SPACE": [dict(h=h, c=c) for h in hw[1:] for c in ch[:2] if h * h * c <= 2**16],
        "SPACE_TO_DEPTH": [dict(h=h, c=c) for h in hw[1:] for c in ch[:2] if h * h * c <= 2**16],
        # an h x h x c map's channels permuted (one byte per run), its rows reversed (one row per run)
        "GATHER": [dict(h=h, c=c, axis=a) for a in ("channels", "rows") for h in hw[1:] for c in ch[:2]
                   if h * h * c <= 2**16],
        # around a dilation-2 3x3 convolution: an h x h x c map padded by 2 into 4 batches of block 2, and back
        "SPACE_TO_BATCH_ND": [dict(h=h, c=c) for h in hw[1:] for c in ch[:2] if h * h * c <= 2**16],
        "BATCH_TO_SPACE_ND": [dict(h=h, c=c) for h in hw[1:] for c in ch[:2] if h * h * c <= 2**16],
        # a classifier head's n logits (int32 index), a segmentation head's channels per pixel (int64 indices)
        "ARG_MAX": [dict(n=n) for n in (10, 100, 1000)] + [dict(h=h, c=c) for h in hw[2:] for c in ch[:2]],
        "ARG_MIN": [dict(n=n) for n in (10, 100, 1000)],
        # x > t against a constant scalar (a byte range), x > y of one quantization (tf.where(x > y, x, y)'s:
        # the bytes compared) and of two (ranks); EQUAL of two quantizations (ranks)
        "GREATER": [dict(h=h, c=c, kind=k) for k in ("const", "bytes", "ranks") for h in hw[1:3] for c in ch[:2]],
        "EQUAL": [dict(h=h, c=c, kind="ranks") for h in hw[1:3] for c in ch[:2]],
        # tf.where(x > y, x, y) (SELECT of one shape), tf.where(x > t, x, 0) (SELECT_V2, a constant scalar y)
        "SELECT": [dict(h=h, c=c) for h in hw[1:3] for c in ch[:2]],
        "SELECT_V2": [dict(h=h, c=c) for h in hw[1:3] for c in ch[:2]],
        "LOGICAL_AND": [dict(h=h, c=c) for h in hw[1:3] for c in ch[:2]],
        "LOGICAL_NOT": [dict(h=h, c=c) for h in hw[1:3] for c in ch[:2]],
        # the product of each pixel's c channels
        "REDUCE_PROD": [dict(h=h, c=c) for h in hw[1:3] for c in (4, 8, 32)],
        # attention over b heads of n tokens of depth d: scores q @ k^T (adj_y), context scores @ v (rhs
        # strided along the depth), and a constant rhs (b, d, d)
        "BATCH_MATMUL": [dict(kind=k, b=2, n=n, d=d) for k in ("qk", "av") for n in (16, 32) for d in (8, 32)]
        + [dict(kind="const", b=2, n=n, d=d) for n, d in ((16, 8), (32, 32))],
        # one head's scores q @ k^T as the converter writes a rank-2 product: n tokens, depth d (13: a tail)
        "FULLY_CONNECTED_ACTIVATIONS": [dict(n=n, d=d) for n in (16, 32) for d in (8, 32)] + [dict(n=16, d=13)],
    }
    return g


def _fn(op: str, p: dict, rng):
    """(tf function, input shapes, MACs or elements) for one shape."""
    import tensorflow as tf

    w = lambda shape: (rng.standard_normal(shape) * 0.3).astype(np.float32)  # noqa: E731
    h = p.get("h", 1)
    if op.startswith("CONV_2D"):
        k, s, c, o = p.get("k", 1), p.get("s", 1), p["c"], p["o"]
        kh, kw, wd = p.get("kh", k), p.get("kw", k), p.get("w", h)  # (kh, kw, w: other than k x k, h x h)
        wt, b = tf.constant(w((kh, kw, c, o))), tf.constant(w((o,)))
        pad = "VALID" if kh == kw == 1 else "SAME"
        act = tf.nn.relu6 if p.get("act", "relu").startswith("relu6") else tf.nn.relu
        if act is tf.nn.relu6:  # sums well past 6, so ReLU6 sets the output range (its upper clamp binds)
            wt = wt * 16.0
        return ((lambda x: act(tf.nn.conv2d(x, wt, [1, s, s, 1], pad) + b)), [(1, h, wd, c)],
                -(-h // s) * -(-wd // s) * o * kh * kw * c)
    if op == "DEPTHWISE_CONV_2D":
        (kh, kw), c, pad = p["k"], p["c"], p.get("pad", "SAME")
        sh, sw = p["s"] if isinstance(p["s"], tuple) else (p["s"], p["s"])
        wt, b = tf.constant(w((kh, kw, c, 1))), tf.constant(w((c,)))
        act = tf.nn.relu6 if p.get("act", "relu").startswith("relu6") else tf.nn.relu
        oh, ow = (-(-h // sh), -(-h // sw)) if pad == "SAME" else ((h - kh) // sh + 1, (h - kw) // sw + 1)
        return ((lambda x: act(tf.nn.depthwise_conv2d(x, wt, [1, sh, sw, 1], pad) + b)), [(1, h, h, c)],
                oh * ow * c * kh * kw)
    if op == "FULLY_CONNECTED":
        wt, b = tf.constant(w((p["i"], p["o"]))), tf.constant(w((p["o"],)))
        return (lambda x: tf.nn.relu(tf.matmul(x, wt) + b)), [(1, p["i"])], p["i"] * p["o"]
    if op == "SOFTMAX":
        return tf.nn.softmax, [(1, p["n"])], p["n"]
    if op == "LOG_SOFTMAX":
        return tf.nn.log_softmax, [(1, p["n"])], p["n"]
    if op == "L2_NORMALIZATION":
        return (lambda x: tf.math.l2_normalize(x, axis=-1)), [(p["rows"], p["n"])], p["rows"] * p["n"]
    if op in ("ARG_MAX", "ARG_MIN"):
        f = tf.math.argmax if op == "ARG_MAX" else tf.math.argmin
        if "n" in p:
            return (lambda x: f(x, axis=-1, output_type=tf.int32)), [(1, p["n"])], p["n"]
        return (lambda x: f(x, axis=-1, output_type=tf.int64)), [(1, h, h, p["c"])], h * h * p["c"]
    if op == "FULLY_CONNECTED_ACTIVATIONS":
        n, d = p["n"], p["d"]
        return (lambda q, k: tf.matmul(q, k, transpose_b=True)), [(n, d), (n, d)], n * n * d
    if op == "BATCH_MATMUL":
        b, n, d = p["b"], p["n"], p["d"]
        if p["kind"] == "qk":
            return (lambda q, k: tf.matmul(q, k, transpose_b=True)), [(b, n, d), (b, n, d)], b * n * n * d
        if p["kind"] == "av":
            return (lambda a, v: tf.matmul(a, v)), [(b, n, n), (b, n, d)], b * n * n * d
        wt = tf.constant(w((b, d, d)))
        return (lambda x: tf.matmul(x, wt)), [(b, n, d)], b * n * d * d
    c = p["c"]
    if op == "REDUCE_PROD":
        return (lambda x: tf.reduce_prod(x, axis=-1)), [(1, h, h, c)], h * h * c
    if op in ("GREATER", "EQUAL", "SELECT", "SELECT_V2", "LOGICAL_AND", "LOGICAL_NOT"):
        m = (1, h, h, c)
        if op == "SELECT" or p.get("kind") == "bytes":
            return (lambda x, y: tf.where(x > y, x, y)), [m, m], h * h * c
        if op == "SELECT_V2" or p.get("kind") == "const":
            return (lambda x: tf.where(x > 0.1, x, 0.0)), [m], h * h * c
        if op == "LOGICAL_AND":
            return (lambda x, y: tf.logical_and(x > 0.1, y < -0.1)), [m, m], h * h * c
        if op == "LOGICAL_NOT":
            return (lambda x, y: tf.logical_not(tf.logical_or(x > 0.1, y < -0.1))), [m, m], h * h * c
        return (lambda x, y: (tf.math.equal if op == "EQUAL" else tf.math.greater)(x, y)), [m, m], h * h * c
    if op in ("ADD", "SUB", "MUL", "MAXIMUM", "MINIMUM", "SQUARED_DIFFERENCE"):
        f = {"ADD": tf.add, "SUB": tf.subtract, "MUL": tf.multiply, "MAXIMUM": tf.maximum, "MINIMUM": tf.minimum,
             "SQUARED_DIFFERENCE": tf.math.squared_difference}[op]
        act = tf.nn.relu if op in ("ADD", "SUB", "MUL") else (lambda v: v)  # fused there, a layer of its own here
        return (lambda x, y: act(f(x, y))), [(1, h, h, c), (1, h, h, c)], h * h * c
    if op == "PACK":
        return (lambda x, y: tf.stack([x, y], axis=3)), [(1, h, h, c), (1, h, h, c)], 2 * h * h * c
    if op == "UNPACK":
        return (lambda x: tuple(tf.unstack(x, axis=1))), [(1, h, h, c)], h * h * c
    if op == "DEPTH_TO_SPACE":
        return (lambda x: tf.nn.depth_to_space(x, 2)), [(1, h // 2, h // 2, 4 * c)], h * h * c
    if op == "SPACE_TO_DEPTH":
        return (lambda x: tf.nn.space_to_depth(x, 2)), [(1, 2 * h, 2 * h, c // 4)], h * h * c
    if op == "GATHER":
        idx = tf.constant(rng.permutation(c) if p["axis"] == "channels" else np.arange(h)[::-1].copy(), tf.int32)
        return (lambda x: tf.gather(x, idx, axis=3 if p["axis"] == "channels" else 1)), [(1, h, h, c)], h * h * c
    if op == "SPACE_TO_BATCH_ND":
        return ((lambda x: tf.space_to_batch_nd(x, [2, 2], [[2, 2], [2, 2]])), [(1, h, h, c)],
                (h + 4) * (h + 4) * c)
    if op == "BATCH_TO_SPACE_ND":
        return ((lambda x: tf.compat.v1.batch_to_space_nd(x, [2, 2], [[0, 0], [0, 0]])), [(4, h // 2, h // 2, c)],
                h * h * c)
    if op == "LEAKY_RELU":
        return (lambda x: tf.nn.leaky_relu(x, alpha=0.2)), [(1, h, h, c)], h * h * c
    if op == "PRELU":  # Keras' PReLU with one slope per channel
        import tf_keras as keras

        layer = keras.layers.PReLU(shared_axes=[1, 2])
        layer.build((None, h, h, c))
        layer.set_weights([rng.uniform(-0.5, 0.5, size=(1, 1, c)).astype(np.float32)])
        return (lambda x: layer(x)), [(1, h, h, c)], h * h * c
    if op in ("MEAN", "SUM", "REDUCE_MAX", "REDUCE_MIN"):  # global pooling as Keras converts it
        f = {"MEAN": tf.reduce_mean, "SUM": tf.reduce_sum, "REDUCE_MAX": tf.reduce_max, "REDUCE_MIN": tf.reduce_min}[op]
        return (lambda x: f(x, axis=[1, 2], keepdims=True)), [(1, h, h, c)], h * h * c
    if op == "TANH":
        return tf.math.tanh, [(1, h, h, c)], h * h * c
    if op == "ABS":
        return tf.abs, [(1, h, h, c)], h * h * c
    if op == "GELU":
        return tf.nn.gelu, [(1, h, h, c)], h * h * c
    if op in ("RSQRT", "SQRT", "EXP", "LOG"):  # representative data as testing.REP_MAPS
        return getattr(tf.math, op.lower()), [(1, h, h, c)], h * h * c
    if op == "RESIZE_NEAREST_NEIGHBOR":  # as tf.image.resize(method="nearest"): half-pixel centers
        o = p["o"]
        return (lambda x: tf.image.resize(x, (o, o), method="nearest")), [(1, h, h, c)], o * o * c
    if op == "TRANSPOSE_CONV":  # bias, SAME or VALID (as Keras' Conv2DTranspose)
        k, s, c, pad = p["k"], p["s"], p["c"], p.get("pad", "SAME")
        o = p.get("o", c)
        oh = h * s if pad == "SAME" else (h - 1) * s + k
        wt, b = tf.constant(w((k, k, o, c))), tf.constant(w((o,)))
        return ((lambda x: tf.nn.conv2d_transpose(x, wt, [1, oh, oh, o], [1, s, s, 1], pad) + b),
                [(1, h, h, c)], h * h * c * k * k * o)
    if op == "RESIZE_BILINEAR":  # as tf.image.resize(method="bilinear"): half-pixel centers
        o = p["o"]
        return (lambda x: tf.image.resize(x, (o, o), method="bilinear")), [(1, h, h, c)], o * o * c
    if op == "MIRROR_PAD":
        q = p["pad"]
        return ((lambda x: tf.pad(x, [[0, 0], [q, q], [q, q], [0, 0]], mode="REFLECT")), [(1, h, h, c)],
                (h + 2 * q) ** 2 * c)
    pool = tf.nn.avg_pool2d if op == "AVERAGE_POOL_2D" else tf.nn.max_pool2d
    ks = (h, h) if p["p"] == "global" else (p["p"] if isinstance(p["p"], tuple) else (p["p"], p["p"]))
    return (lambda x: pool(x, ks, ks, "VALID")), [(1, h, h, c)], h * h * c


def kernel_path(op: str, p: dict, model_c: str) -> str:
    """The kernel mcu_conv_s8 / mcu_depthwise_conv_s8 dispatch to on a DSP core for this layer."""
    from mcunets.engine.ops import small1x1_pixel_rows

    m = re.search(r"mcu_(?:dw_)?conv_params l0_params = \{.*, (\d), (?:NULL|l\w+)(?:, -?\d+){0,2}\};", model_c)
    fast = m is not None and m.group(1) == "1"  # fast_requant, the table (then a conv's row strides, a dw chunk)
    if op.startswith("CONV_2D"):
        k, c, o = p.get("k", 1), p["c"], p["o"]
        kh, kw = p.get("kh", k), p.get("kw", k)
        if (kh, kw) != (1, 1) and c <= 3 and fast and "l0_first" in model_c:
            return "first kxk dsp"
        if k == 1 and c >= 4 and fast:
            m = re.search(r"l0_pw\[(\d+)\]", model_c)  # the one-pixel layout: rows / 2 + 4 words per channel
            if m and int(m.group(1)) == (small1x1_pixel_rows(c) // 2 + 4) * o + 1:
                return "1x1 pixel dsp"
            return "1x1 small dsp" if m else "1x1 dsp"
        if k == 3 and c <= 3 and fast:
            return "3x3 rows dsp"
        if k > 1 and fast:
            return "kxk dsp" if c % 4 == 0 else "kxk gathered dsp"
        if c % 4 == 0 and o % 4 == 0:
            return "generic dsp" + ("" if fast else " (slow requant)")
        return "portable"
    if op == "DEPTHWISE_CONV_2D":
        if p["c"] % 4:
            return "portable"
        if p["k"] == (3, 3) and fast:
            return "3x3 words dsp" if re.search(r"l0_dw3(?:s2|w)\[", model_c) else "3x3 rows dsp"
        return "3-tap dsp" if p["k"] in ((1, 3), (3, 1)) and fast and "dw3[" in model_c else "m1 dsp"
    if op == "FULLY_CONNECTED":
        return "fc dsp"
    if op in ("ADD", "SUB"):
        return "sum table" if "_table, 2}" in model_c else "table" + (" + smmlar" if "_table, 1}" in model_c else "")
    if op == "TRANSPOSE_CONV":  # fast_requant: the DSP phase path, else the portable phases
        m = re.search(r"mcu_transpose_conv_params l0_params = \{.*, (\d)\};", model_c)
        return "phases" + (" dsp" if m and m.group(1) == "1" else "")
    if op == "SQUARED_DIFFERENCE":
        fast = re.search(r"mcu_squared_difference_params l0_params = \{l0_table, -?\d+, \{\d+, -?\d+\}, 1,", model_c)
        return "tables + smmulr" if fast else "tables"
    if op == "MUL":
        return "words" if re.search(r"mcu_mul_params l0_params = \{.*, 1\};", model_c) else "portable"
    if op in ("ABS", "GELU", "RSQRT", "SQRT", "EXP", "LOG"):
        return "table"
    if op == "L2_NORMALIZATION":
        return "rows"
    if op == "LOG_SOFTMAX":
        return "exp + diff tables"
    if op in ("TANH", "RESIZE_NEAREST_NEIGHBOR", "RESIZE_BILINEAR", "MIRROR_PAD", "SOFTMAX", "PACK", "UNPACK",
              "DEPTH_TO_SPACE", "SPACE_TO_DEPTH"):
        return {"TANH": "table", "RESIZE_NEAREST_NEIGHBOR": "index tables", "RESIZE_BILINEAR": "tap tables",
                "MIRROR_PAD": "rows", "SOFTMAX": "exp table", "PACK": "concat", "UNPACK": "slice",
                "DEPTH_TO_SPACE": "transpose", "SPACE_TO_DEPTH": "transpose"}[op]
    if op in ("GREATER", "EQUAL", "LOGICAL_AND", "LOGICAL_NOT"):
        m = [r for r in re.findall(r"mcu_compare_params l\d+_params = \{(\d), \d, -?\d+, -?\d+, (\w+)\};", model_c)]
        mode, ranks = m[-1]
        return ("ranks" if ranks != "NULL" else {"0": "byte range words", "1": "byte words", "2": "byte words",
                                                 "3": "and words", "4": "or words"}[mode])
    if op in ("SELECT", "SELECT_V2"):
        return "words"
    if op == "REDUCE_PROD":
        return "int64 steps"
    if op == "BATCH_MATMUL":
        return "column pairs dsp" if p["kind"] == "av" else "depth words dsp"
    if op == "FULLY_CONNECTED_ACTIVATIONS":
        return "depth words dsp, single rounding"
    if op in ("ARG_MAX", "ARG_MIN"):
        return "words + find" if p.get("n", p.get("c", 0)) >= 16 else "compare"
    if op in ("SPACE_TO_BATCH_ND", "BATCH_TO_SPACE_ND"):
        c = p["c"]
        return "pixels " + ("words" if c % 4 == 0 and c <= 16 else "memcpy" if c > 8 else "bytes")
    if op == "GATHER":
        return "byte table" if re.search(r"mcu_gather_params l0_params = \{.*, NULL\};", model_c) else "runs"
    if op in ("REDUCE_MAX", "REDUCE_MIN"):
        return "words" if p["c"] % 4 == 0 else "bytes"
    m = re.search(r"mcu_pool_plan_(\w+?)_s8\(", model_c)
    if m:  # a pool the code generator planned (ops.Pool2D.plan)
        return f"plan {m.group(1)}"
    if op == "LEAKY_RELU":
        return "table"
    if op == "PRELU":
        return "table + smmlar" if re.search(r"mcu_prelu_params l0_params = \{.*, 1\};", model_c) else "table"
    return "dsp words"  # pooling and MEAN: four channels per word on every DSP core


def measure(op: str, p: dict, seed: int, out: Path) -> dict:
    from mcunets import targets
    from mcunets.engine import generate
    from mcunets.engine.testing import (REP_MAPS, check_cases, Case, convert, random_input, reference,
                                        shift_zero_points, trained_like_requant)
    from mcunets.engine.reader import read_model
    from mcunets.report import parse_report

    rng = np.random.default_rng(seed)
    fn, specs, work = _fn(op, p, rng)
    model = convert(fn, specs, rng, per_tensor=bool(p.get("pt")), rep_map=REP_MAPS.get(op))
    if p.get("act", "").endswith("+"):  # the output zero point above -128: ReLU clamps below, ReLU6 both ways
        model = shift_zero_points(model, rng, "CONV_2D" if op.startswith("CONV_2D") else op)
    if op.startswith(("CONV", "DEPTHWISE", "FULLY")):
        model = trained_like_requant(model, rng, int8_weights=True)
    if op in ("SOFTMAX", "LOG_SOFTMAX"):  # logits' scale: random inputs then keep the sum of exponentials where the reference runs
        from tflite.Model import Model

        buf = bytearray(model)
        sub = Model.GetRootAsModel(buf, 0).Subgraphs(0)
        sub.Tensors(read_model(model).inputs[0]).Quantization().ScaleAsNumpy()[0] = np.float32(1 / 16)
        model = bytes(buf)
    gen = generate(model, "k", patches="off")
    text, _ = targets.profile_model(model, "qemu-m4", Path(tempfile.mkdtemp(dir=out)), runs=1, warmup=0,
                                    timeout=900, patches="off")
    rep = parse_report(text)
    oracle = reference  # TFLM for int8 SUM and DEPTH_TO_SPACE (mcunets.tflm.run_reference)
    exact = [o.data for o in rep.outputs] == [
        e.tobytes() for e in oracle(model, targets.runner_inputs(targets.io_specs(model)[0], 1))]
    g = read_model(model)
    inputs = [[random_input(rng, g.tensors[t].dtype, g.tensors[t].shape) for t in g.inputs] for _ in range(2)]
    exact &= not check_cases([Case(op, model, inputs)], oracle=oracle).mismatches
    own = ("SELECT", "SELECT_V2", "LOGICAL_AND", "LOGICAL_NOT", "GREATER")  # the comparisons before them not counted
    count = sum(l.count for l in rep.layers if op not in own or l.op == op)
    return {"op": op, "shape": p, "count": count, "work": work, "per": count / work, "exact": exact,
            "path": kernel_path(op, p, gen.files["model.c"])}


def _label(p: dict) -> str:
    return " ".join(f"{k}={v}" for k, v in p.items())


def main(argv=None) -> int:
    from mcunets.report import format_table

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--op", action="append", help="only these operators (repeatable)")
    ap.add_argument("--full", action="store_true", help="the full grid (slow)")
    ap.add_argument("--out", type=Path, default=Path("out/bench-kernels"))
    ap.add_argument("--seed", type=int, default=11)
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    grid = _grid(args.full)
    rows, ok, results = [], True, []
    for op in args.op or list(grid):
        res = []
        for i, p in enumerate(grid[op]):
            r = measure(op, p, args.seed + i, args.out)
            res.append(r)
            ok &= r["exact"]
            print(f"  {op} {_label(p)}: {r['per']:.2f} ({r['path']}){'' if r['exact'] else ' MISMATCH'}",
                  file=sys.stderr, flush=True)
        results += res
        res.sort(key=lambda r: r["per"])
        big = [r for r in res if r["shape"].get("c", r["shape"].get("i", 8)) >= 8 and r["shape"].get("h", 4) >= 4
               and (op != "TRANSPOSE_CONV" or r["shape"].get("o", 8) >= 8)]
        spread = big[-1]["per"] / big[0]["per"] if big else float("nan")
        med = res[len(res) // 2]
        rows.append([op, len(res), f"{res[0]['per']:.2f} ({_label(res[0]['shape'])}, {res[0]['path']})",
                     f"{med['per']:.2f}", f"{res[-1]['per']:.2f} ({_label(res[-1]['shape'])}, {res[-1]['path']})",
                     f"{spread:.2f}", "yes" if all(r["exact"] for r in res) else "NO"])
    (args.out / "kernels.json").write_text(json.dumps(results, indent=1, default=str))
    print(format_table(["operator", "shapes", "best", "median", "worst", "worst/best (≥8 ch, ≥4×4)",
                        "bit-exact"], rows))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
