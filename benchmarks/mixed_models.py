"""Randomized differential check of multi-layer models from elsewhere: random int8 chains from the stock
TFLiteConverter mixing SUB, MAXIMUM, MINIMUM, LEAKY_RELU, PRELU, TANH, RESIZE_NEAREST_NEIGHBOR,
RESIZE_BILINEAR, MIRROR_PAD, PACK, UNPACK, DEPTH_TO_SPACE / SPACE_TO_DEPTH, TRANSPOSE_CONV, RSQRT, SQRT, LOG
(of a ReLU or a square plus a constant: inputs of 0 or more), EXP (of k tanh(x)), comparisons (against a
scalar, a constant per channel or a branch) with SELECT / SELECT_V2, LOGICAL_AND / OR / NOT, REDUCE_PROD (over
2-4 squashed channels), FULLY_CONNECTED of two activations (the pixels, pooled to 64 or fewer, as tokens: q @ k^T,
at times softmax and BATCH_MATMUL with v) and a layer norm over the channels (MEAN, SQUARED_DIFFERENCE, RSQRT,
SUB, MUL, ADD) with convolutions, depthwise, pools, ADD and CONCATENATION (maps 1-40 pixels a side, 1-70
channels, batch 1), headed by a map, MEAN +
FULLY_CONNECTED, REDUCE_MAX, SUM or SOFTMAX over the map's first values (at most 511, where the reference
never aborts); 20 % trained-like requantization, 10 %
shifted zero points. Each model is generated under every schedule (patches off / auto / forced 2x2 and
3x3 grids, streamed input auto / 2x2; forced grids with a 300 % extra-MAC budget) and each build's
outputs compared byte for byte with the oracle (mcunets.tflm.run_reference) on the host, or with
``--qemu`` on qemu-m4 (the DSP paths; "auto" and one other schedule per model). Prints the counts (on the host also
the builds with a patched schedule) and every mismatch, crash and multi-line refusal; exits 1 on any.

    python benchmarks/mixed_models.py --models 100 --seed 1
    python benchmarks/mixed_models.py --models 20 --qemu
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import traceback

import numpy as np

import mcunets  # noqa: F401

SETTINGS = [("off", False), ("auto", False), (2, False), (3, False), ("auto", True), (2, True)]
NEW = ["sub", "max", "min", "leaky", "prelu", "tanh", "resize_nn", "resize_bl", "mirror", "pack", "unpack",
       "d2s", "tconv", "rsqrt", "sqrt", "exp", "log", "where", "logical", "prod", "fc_act", "lnorm"]
OLD = ["conv", "pw", "dw", "pool", "res", "concat"]


def mixed_chain(rng):
    """(fn, input shapes, description): a random chain of 3-7 layers, NEW twice as likely as OLD."""
    import tensorflow as tf
    import tf_keras as keras
    from mcunets.engine.testing import _act, _weights

    def W(shape):
        return tf.constant(_weights(rng, shape))

    def act():
        a, acts = _act(rng)
        return a, acts[a]

    def pw(c, co):
        return W((1, 1, c, co)), W((co,))

    def out(n, k, s, pad):
        return -(-(n - (k - 1 if pad == "VALID" else 0)) // s)

    big = rng.random() < 0.5  # a large stem first: the peak is early, so forced grids apply
    h, w = (int(rng.integers(20, 41)), int(rng.integers(20, 41))) if big else \
        (int(rng.integers(1, 41)), int(rng.integers(1, 41)))
    c0 = int(rng.choice([1, 2, 3, 4, 5, 8]))
    S = dict(h=h, w=w, c=c0)
    layers, desc = [], []
    for i in range(int(rng.integers(3, 8))):
        t = "stem" if big and not i else "conv" if not i else str(rng.choice(NEW + NEW + OLD))
        c, H, Wd = S["c"], S["h"], S["w"]
        if t == "stem":
            co = int(rng.choice([8, 12, 16, 24]))
            f, b = W((3, 3, c, co)), W((co,))
            layers.append(lambda x, f=f, b=b: tf.nn.relu6(tf.nn.conv2d(x, f, 1, "SAME") + b))
            desc.append(f"stem->{co}")
            S.update(c=co)
        elif t in ("conv", "pw"):
            k = 1 if t == "pw" else int(rng.choice([1, 3, 3, 5]))
            s = int(rng.choice([1, 1, 2]))
            pad = str(rng.choice(["SAME", "VALID"])) if H >= k and Wd >= k else "SAME"
            co = int(rng.choice([1, 3, 4, 5, 8, 12, 16, 17, 24, 33, 48, 70]))
            co = min(co, max(1, 20000 // (H * Wd)))
            f, b = W((k, k, c, co)), W((co,))
            a, af = act()
            layers.append(lambda x, f=f, b=b, s=s, pad=pad, af=af: af(tf.nn.conv2d(x, f, s, pad) + b))
            desc.append(f"conv{k}s{s}{pad[0]}->{co}{a}")
            S.update(h=out(H, k, s, pad), w=out(Wd, k, s, pad), c=co)
        elif t == "dw":
            k, s = int(rng.choice([3, 3, 5])), int(rng.choice([1, 2]))
            m = int(rng.choice([1, 1, 2])) if 2 * c <= 70 else 1
            f, b = W((k, k, c, m)), W((c * m,))
            a, af = act()
            layers.append(lambda x, f=f, b=b, s=s, af=af:
                          af(tf.nn.depthwise_conv2d(x, f, [1, s, s, 1], "SAME") + b))
            desc.append(f"dw{k}s{s}m{m}{a}")
            S.update(h=out(H, k, s, "SAME"), w=out(Wd, k, s, "SAME"), c=c * m)
        elif t == "pool":
            k, s = int(rng.choice([2, 3])), int(rng.choice([1, 2]))
            op = tf.nn.max_pool2d if rng.random() < 0.5 else tf.nn.avg_pool2d
            layers.append(lambda x, op=op, k=k, s=s: op(x, k, s, "SAME"))
            desc.append(f"{op.__name__}{k}s{s}")
            S.update(h=out(H, k, s, "SAME"), w=out(Wd, k, s, "SAME"))
        elif t == "res":
            f, b = W((3, 3, c, c)), W((c,))
            layers.append(lambda x, f=f, b=b: x + tf.nn.relu(tf.nn.conv2d(x, f, 1, "SAME") + b))
            desc.append("res3")
        elif t == "concat":
            co = int(rng.choice([1, 3, 4, 8]))
            f, b = pw(c, co)
            layers.append(lambda x, f=f, b=b: tf.concat([x, tf.nn.relu(tf.nn.conv2d(x, f, 1, "SAME") + b)], 3))
            desc.append(f"concat+{co}")
            S.update(c=c + co)
        elif t == "sub":  # a constant per channel, a branch, or the map from a branch
            mode = str(rng.choice(["const", "branch", "rev"]))
            cst, (f, b) = W((1, 1, 1, c)), pw(c, c)
            layers.append({"const": lambda x, cst=cst: x - cst,
                           "branch": lambda x, f=f, b=b: x - (tf.nn.conv2d(x, f, 1, "SAME") + b),
                           "rev": lambda x, f=f, b=b: tf.nn.relu(tf.nn.conv2d(x, f, 1, "SAME") + b) - x}[mode])
            desc.append(f"sub_{mode}")
        elif t in ("max", "min"):
            op = tf.maximum if t == "max" else tf.minimum
            mode = str(rng.choice(["const", "scalar", "branch"]))
            cst, f, b = W((1, 1, 1, c) if mode == "const" else (1, 1, 1, 1)), W((3, 3, c, 1)), W((c,))
            layers.append((lambda x, f=f, b=b, op=op: op(x, tf.nn.depthwise_conv2d(x, f, [1] * 4, "SAME") + b))
                          if mode == "branch" else (lambda x, cst=cst, op=op: op(x, cst)))
            desc.append(f"{t}_{mode}")
        elif t == "leaky":
            al = float(rng.choice([0.01, 0.1, 0.2, 0.3, 0.5]))
            layers.append(lambda x, al=al: tf.nn.leaky_relu(x, al))
            desc.append(f"leaky{al}")
        elif t == "prelu":
            shared = [[1, 2], [1, 2], None][int(rng.integers(0, 3))]
            L = keras.layers.PReLU(shared_axes=shared)
            L.build((None, H, Wd, c))
            (wt,) = L.get_weights()
            L.set_weights([(rng.choice([-1.5, -0.3, 0.05, 0.25, 0.9, 2.0], size=wt.shape)
                            * rng.uniform(0.5, 1.5, size=wt.shape)).astype(np.float32)])
            layers.append(lambda x, L=L: L(x))
            desc.append(f"prelu{shared}")
        elif t == "tanh":
            layers.append(tf.tanh)
            desc.append("tanh")
        elif t in ("resize_nn", "resize_bl"):
            nh, nw = int(rng.integers(1, 41)), int(rng.integers(1, 41))
            if nh * nw * c > 40000:
                nh, nw = H, Wd
            ac, hp = [(False, False), (True, False), (False, True)][int(rng.integers(0, 3))]
            ac = ac and nh > 1 and nw > 1
            op = tf.compat.v1.image.resize_nearest_neighbor if t == "resize_nn" else tf.compat.v1.image.resize_bilinear
            layers.append(lambda x, op=op, nh=nh, nw=nw, ac=ac, hp=hp:
                          op(x, (nh, nw), align_corners=ac, half_pixel_centers=hp))
            desc.append(f"{t}{nh}x{nw}ac{int(ac)}hp{int(hp)}")
            S.update(h=nh, w=nw)
        elif t == "mirror":
            mode = str(rng.choice(["REFLECT", "SYMMETRIC"]))
            lim = 0 if mode == "REFLECT" else 1
            ph = [int(rng.integers(0, min(3, H - 1 + lim) + 1)) for _ in range(2)]
            pw_ = [int(rng.integers(0, min(3, Wd - 1 + lim) + 1)) for _ in range(2)]
            if sum(ph) + sum(pw_):
                layers.append(lambda x, p=[[0, 0], ph, pw_, [0, 0]], mode=mode: tf.pad(x, p, mode=mode))
                desc.append(f"mirror{mode[0]}{ph}{pw_}")
                S.update(h=H + sum(ph), w=Wd + sum(pw_))
        elif t == "pack":  # two maps stacked on a new axis, folded into the width or the channels
            f, b = pw(c, c)
            axis = int(rng.choice([3, 4]))
            shape = [1, H, Wd * 2, c] if axis == 3 else [1, H, Wd, 2 * c]
            layers.append(lambda x, f=f, b=b, axis=axis, shape=shape: tf.reshape(
                tf.stack([x, tf.nn.relu(tf.nn.conv2d(x, f, 1, "SAME") + b)], axis), shape))
            desc.append(f"pack{axis}")
            S.update(w=shape[2], c=shape[3])
        elif t == "unpack":  # channels reversed, or the first and last row / column added
            axis = int(rng.choice([1, 2, 3]))
            if 2 <= [H, Wd, c][axis - 1] <= 8:
                layers.append((lambda x: tf.stack(tf.unstack(x, axis=3)[::-1], axis=3)) if axis == 3 else
                              (lambda x, axis=axis: tf.expand_dims(sum(tf.unstack(x, axis=axis)[::-1][:2]), axis)))
                desc.append(f"unpack{axis}")
                S.update(**({1: {"h": 1}, 2: {"w": 1}}.get(axis, {})))
        elif t == "tconv":
            k, s = int(rng.choice([1, 2, 3, 4])), int(rng.choice([1, 2, 2]))
            pad = str(rng.choice(["SAME", "VALID"]))
            co = int(rng.choice([1, 3, 4, 8, 16, 33]))
            oh, ow = (H * s, Wd * s) if pad == "SAME" else ((H - 1) * s + k, (Wd - 1) * s + k)
            if oh * ow * co <= 40000:
                f, b = W((k, k, co, c)), W((co,))
                a, af = act()
                layers.append(lambda x, f=f, b=b, s=s, pad=pad, shape=[1, oh, ow, co], af=af:
                              af(tf.nn.conv2d_transpose(x, f, shape, s, pad) + b))
                desc.append(f"tconv{k}s{s}{pad[0]}->{co}{a}")
                S.update(h=oh, w=ow, c=co)
        elif t == "d2s":
            if c % 4 == 0 and rng.random() < 0.5:
                layers.append(lambda x: tf.nn.depth_to_space(x, 2))
                desc.append("d2s")
                S.update(h=H * 2, w=Wd * 2, c=c // 4)
            elif H % 2 == 0 and Wd % 2 == 0 and c * 4 <= 70:
                layers.append(lambda x: tf.nn.space_to_depth(x, 2))
                desc.append("s2d")
                S.update(h=H // 2, w=Wd // 2, c=c * 4)
        elif t in ("rsqrt", "sqrt", "log"):  # inputs of 0 or more: a ReLU (or a square) plus a constant
            op = getattr(tf.math, t)
            mode = str(rng.choice(["relu", "square"]))
            eps = float(rng.choice([1e-3, 0.05, 0.5]))
            layers.append((lambda x, op=op, eps=eps: op(tf.nn.relu(x) + eps)) if mode == "relu" else
                          (lambda x, op=op, eps=eps: op(x * x + eps)))
            desc.append(f"{t}_{mode}{eps}")
        elif t == "exp":  # squashed: k tanh(x) (the calibration's exponentials stay finite)
            k = float(rng.choice([1.0, 2.0, 4.0]))
            layers.append(lambda x, k=k: tf.exp(tf.tanh(x) * k))
            desc.append(f"exp{k}")
        elif t == "where":  # a comparison against a scalar, a constant per channel or a branch, SELECT_V2
            cmp = getattr(tf.math, str(rng.choice(["greater", "less", "greater_equal", "less_equal", "equal"])))
            mode = str(rng.choice(["scalar", "const", "branch"]))
            other = str(rng.choice(["branch", "half", "scalar"]))
            th = float(rng.normal() * 0.5)
            cst, (f, b) = W((1, 1, 1, c)), pw(c, c)
            v = float(rng.normal())

            def where(x, cmp=cmp, mode=mode, other=other, th=th, cst=cst, f=f, b=b, v=v):
                br = tf.nn.conv2d(x, f, 1, "SAME") + b
                cond = cmp(x, {"scalar": th, "const": cst, "branch": br}[mode])
                return tf.where(cond, x, {"branch": br, "half": x * 0.5, "scalar": v}[other])
            layers.append(where)
            desc.append(f"where_{cmp.__name__}_{mode}_{other}")
        elif t == "logical":  # two comparisons joined by LOGICAL_AND / OR (NOT), selecting x or a branch
            kind = str(rng.choice(["and", "or", "not"]))
            t1, t2 = float(rng.normal() * 0.5), float(rng.normal() * 0.5)
            f, b = pw(c, c)

            def logical(x, kind=kind, t1=t1, t2=t2, f=f, b=b):
                br = tf.nn.relu(tf.nn.conv2d(x, f, 1, "SAME") + b)
                c1, c2 = x > t1, br < t2
                cond = (tf.logical_and(c1, c2) if kind == "and" else tf.logical_or(c1, c2) if kind == "or"
                        else tf.logical_and(tf.logical_not(tf.logical_or(c1, c2)), x < t1 + 1.0))
                return tf.where(cond, x, br)
            layers.append(logical)
            desc.append(f"logical_{kind}")
        elif t == "prod":  # REDUCE_PROD over the 2-4 channels of a squashed 1x1 branch (products stay finite)
            k = int(rng.integers(2, 5))
            f, b = pw(c, k)
            mode = str(rng.choice(["alone", "mul"]))
            layers.append(lambda x, f=f, b=b, mode=mode: (lambda p: p if mode == "alone" else x * p)(
                tf.reduce_prod(tf.tanh(tf.nn.conv2d(x, f, 1, "SAME") + b) * 2.0, axis=3, keepdims=True)))
            desc.append(f"prod{k}_{mode}")
            if mode == "alone":
                S.update(c=1)
        elif t == "fc_act":  # the pixels as tokens (pooled to 64 or fewer): q @ k^T, FULLY_CONNECTED of activations
            p = 1
            while out(H, p, p, "SAME") * out(Wd, p, p, "SAME") > 64:
                p += 1
            if p > 1:
                layers.append(lambda x, p=p: tf.nn.avg_pool2d(x, p, p, "SAME"))
                desc.append(f"avg_pool2d{p}s{p}")
                H, Wd = out(H, p, p, "SAME"), out(Wd, p, p, "SAME")
                S.update(h=H, w=Wd)
            n = H * Wd
            if 2 <= n <= 64:
                dk = int(rng.choice([4, 8, 16]))
                wq, wk = W((c, dk)), W((c, dk))
                mode = str(rng.choice(["scores", "attn"]))
                dv = int(rng.choice([3, 8, 16]))
                wv = W((c, dv))

                def fc_act(x, wq=wq, wk=wk, wv=wv, mode=mode, dk=dk, shape=[1, H, Wd, n if mode == "scores" else dv]):
                    t2 = tf.reshape(x, [-1, x.shape[-1]])
                    s = tf.matmul(tf.matmul(t2, wq), tf.matmul(t2, wk), transpose_b=True)
                    if mode == "attn":
                        s = tf.matmul(tf.nn.softmax(s * (1.0 / np.sqrt(dk))), tf.matmul(t2, wv))
                    return tf.reshape(s, shape)
                layers.append(fc_act)
                desc.append(f"fc_act_{mode}{n}x{dk}")
                S.update(c=n if mode == "scores" else dv)
        elif t == "lnorm":  # layer norm over the channels: MEAN, SQUARED_DIFFERENCE, RSQRT, SUB, MUL, ADD
            gamma, beta = 1 + 0.2 * W((c,)), W((c,))

            def lnorm(x, gamma=gamma, beta=beta):
                mu = tf.reduce_mean(x, axis=-1, keepdims=True)
                var = tf.reduce_mean(tf.math.squared_difference(x, mu), axis=-1, keepdims=True)
                return (x - mu) * tf.math.rsqrt(var + 1e-3) * gamma + beta
            layers.append(lnorm)
            desc.append("lnorm")
    head = str(rng.choice(["map", "map", "mean_fc", "rmax", "sum", "softmax"]))
    fcw = W((S["c"], int(rng.choice([3, 10]))))
    # rows up to 511 values: on longer ones whose exponentials sum to 512 or more the reference aborts
    cut = int(rng.integers(257, 512)) if head == "softmax" and S["h"] * S["w"] * S["c"] > 511 else None
    desc.append(head if cut is None else f"softmax[:{cut}]")

    def fn(x):
        for layer in layers:
            x = layer(x)
        return {"map": lambda: x, "mean_fc": lambda: tf.matmul(tf.reduce_mean(x, axis=[1, 2]), fcw),
                "rmax": lambda: tf.reduce_max(x, axis=[1, 2]), "sum": lambda: tf.reduce_sum(x, axis=[1, 2]),
                "softmax": lambda: tf.nn.softmax(tf.reshape(x, [1, -1])[:, :cut])}[head]()

    return fn, [(1, h, w, c0)], desc


def random_model(rng):
    """(model bytes, inputs of two runs, description): a converted mixed_chain, at times requantized."""
    from mcunets.engine.reader import read_model
    from mcunets.engine.testing import convert, random_input, shift_zero_points, trained_like_requant

    fn, specs, desc = mixed_chain(rng)
    model = convert(fn, specs, rng)
    r = rng.random()
    if r < 0.2:
        model = trained_like_requant(model, rng, positive=float(rng.choice([0, 0, 0.2])),
                                     dead=float(rng.choice([0, 0.15, 0.5])))
        desc.append("trained-like")
    elif r < 0.3:
        model = shift_zero_points(model, rng, "CONV_2D")
        desc.append("shifted zero points")
    g = read_model(model)
    runs = [[random_input(rng, g.tensors[t].dtype, g.tensors[t].shape) for t in g.inputs] for _ in range(2)]
    return model, runs, desc


def main(argv=None) -> int:
    from mcunets.engine import generate
    from mcunets.engine.host import HostLibrary
    from mcunets.engine.testing import reference, validate_on_board
    from mcunets.errors import McunetsError

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", type=int, default=50)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--qemu", action="store_true", help="on qemu-m4 instead of the host")
    args = ap.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    n = dict(models=0, builds=0, patched=0, runs=0, refused=0, bad=0)

    def report(kind, key, desc, detail=""):
        n["bad"] += 1
        print(f"{kind} {key} {desc} {detail}", flush=True)

    for i in range(args.models):
        try:
            model, runs, desc = random_model(rng)
        except Exception as e:  # the converter refuses some random graphs
            print(f"not converted: {str(e).splitlines()[0][:200]}", file=sys.stderr)
            continue
        try:
            wants = [[w.tobytes() for w in reference(model, r)] for r in runs]
        except (RuntimeError, McunetsError) as e:  # e.g. shifted zero points a PACK must share: TFLite refuses
            print(f"the reference refuses: {str(e).splitlines()[0][:200]}", file=sys.stderr)
            continue
        n["models"] += 1
        picks = [1, int(rng.choice([0, 2, 3, 4, 5]))] if args.qemu else range(len(SETTINGS))
        built = []
        for k in picks:
            patches, stream = SETTINGS[k]
            key = f"m{i}_{k}"
            budget = 0.15 if patches in ("off", "auto") else 3.0
            try:
                if args.qemu:
                    with tempfile.TemporaryDirectory() as d:
                        got = validate_on_board(model, "qemu-m4", runs, d, patches=patches, stream_input=stream,
                                                max_extra_macs=budget)
                    built.append((key, got))
                else:
                    built.append((key, generate(model, key, prefix=key, patches=patches, stream_input=stream,
                                                max_extra_macs=budget)))
            except McunetsError as e:
                n["refused"] += 1
                print(f"refused {key}: {e}", file=sys.stderr)
                if "\n" in str(e).strip():
                    report("MULTI-LINE REFUSAL", key, desc, repr(str(e))[:300])
                if k == 0 and not args.qemu:
                    break
            except Exception:
                report("CRASH", key, desc, traceback.format_exc()[-800:])
        if not args.qemu and built:
            n["patched"] += sum(m.schedule.patched for _, m in built)
            lib = HostLibrary([m for _, m in built])
            try:
                built = [(key, [[g.tobytes() for g in lib.run(key, r)] for r in runs]) for key, _ in built]
            finally:
                lib.close()
        for key, got in built:
            n["builds"] += 1
            for r, (outs, want) in enumerate(zip(got, wants)):
                n["runs"] += 1
                if outs != want:
                    report("MISMATCH", key, desc, f"run {r}")
    print(", ".join(f"{v} {k}" for k, v in n.items()))
    return 1 if n["bad"] else 0


if __name__ == "__main__":
    sys.exit(main())
