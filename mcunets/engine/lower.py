"""Lower a TFLite graph (``reader.GraphInfo``) to engine layers (``ops``), checking every parameter."""

from __future__ import annotations

import numpy as np

from mcunets.engine import ops as L
from mcunets.engine import quant as q
from mcunets.engine.reader import GraphInfo, OperatorInfo, TensorInfo
from mcunets.errors import UnsupportedOpError

MAX_DIMS = 6
_RESHAPES = {"RESHAPE", "SQUEEZE", "EXPAND_DIMS"}


class _Op:
    """Accessors for one operator being lowered, raising UnsupportedOpError with op name and index."""

    def __init__(self, graph: GraphInfo, op: OperatorInfo):
        self.graph, self.op = graph, op

    def fail(self, why: str):
        raise UnsupportedOpError(f"{self.op.op} (node {self.op.index}): {why}")

    def t(self, k: int) -> TensorInfo:
        if k >= len(self.op.inputs) or self.op.inputs[k] < 0:
            self.fail(f"missing input {k}")
        return self.graph.tensors[self.op.inputs[k]]

    def opt_t(self, k: int):
        if k >= len(self.op.inputs) or self.op.inputs[k] < 0:
            return None
        return self.graph.tensors[self.op.inputs[k]]

    def bias(self, b: TensorInfo | None):
        """An optional int32 bias tensor as a flat array, or None."""
        if b is None:
            return None
        if b.dtype != "int32":
            self.fail(f"bias is {b.dtype}; only int32 is supported")
        return np.asarray(self.const(b, "bias"), dtype=np.int32).reshape(-1)

    def out(self, k: int = 0) -> TensorInfo:
        return self.graph.tensors[self.op.outputs[k]]

    def int8(self, t: TensorInfo, what: str):
        if t.dtype != "int8":
            self.fail(f"{what} is {t.dtype}; only int8 is supported")
        if len(t.scales) < 1:
            self.fail(f"{what} is not quantized")

    def per_tensor(self, t: TensorInfo, what: str):
        self.int8(t, what)
        if len(t.scales) != 1:
            self.fail(f"{what} must be quantized per tensor")

    def const(self, t: TensorInfo, what: str) -> np.ndarray:
        if not t.is_const:
            self.fail(f"{what} must be a constant")
        return np.asarray(t.data)

    def activation(self, options, out: TensorInfo) -> tuple[int, int]:
        act = options.FusedActivationFunction() if options is not None else 0
        if act not in (0, 1, 2, 3):
            self.fail(f"fused activation {act} is not supported")
        return q.activation_range(act, out.scale, out.zero_point)

    def no_activation(self, options):
        if options is not None and hasattr(options, "FusedActivationFunction") and options.FusedActivationFunction():
            self.fail("a fused activation is not supported here")


def _shape4(self: _Op, t: TensorInfo, what: str) -> tuple:
    if len(t.shape) != 4:
        self.fail(f"{what} must be 4-D (NHWC), got shape {list(t.shape)}")
    return tuple(int(d) for d in t.shape)


def _padding(self: _Op, padding: int, in_size: int, filt: int, stride: int, dilation: int, out_size: int) -> int:
    eff = (filt - 1) * dilation + 1
    if padding == 0:  # SAME
        expected = (in_size + stride - 1) // stride
    elif padding == 1:  # VALID
        expected = (in_size + stride - eff) // stride
    else:
        self.fail(f"padding type {padding} is not supported")
    if expected != out_size:
        self.fail(f"output size {out_size} does not match input {in_size}, filter {filt}, stride {stride}")
    total = max((out_size - 1) * stride + eff - in_size, 0)
    return total // 2


def _pad6(shape) -> tuple:
    shape = tuple(int(d) for d in shape)
    return (1,) * (MAX_DIMS - len(shape)) + shape


def _conv_geometry(self: _Op, o, in_shape, out_shape, kh: int, kw: int):
    """Stride, dilation and explicit (top, left) padding of a convolution's options."""
    stride = (o.StrideH(), o.StrideW())
    dil = (o.DilationHFactor(), o.DilationWFactor())
    pad = (_padding(self, o.Padding(), in_shape[1], kh, stride[0], dil[0], out_shape[1]),
           _padding(self, o.Padding(), in_shape[2], kw, stride[1], dil[1], out_shape[2]))
    return stride, dil, pad


def _conv_operands(self: _Op, x_at: int = 0, w_at: int = 1, b_at: int = 2):
    """The checked operands of CONV_2D, DEPTHWISE_CONV_2D or TRANSPOSE_CONV (their positions ``x_at``,
    ``w_at``, ``b_at``): options, input, filter, output and bias tensors, the 4-D input and output shapes
    and the int8 filter array."""
    o = self.op.options
    x, w, out = self.t(x_at), self.t(w_at), self.out()
    self.per_tensor(x, "input")
    self.per_tensor(out, "output")
    self.int8(w, "filter")
    if any(z != 0 for z in w.zero_points):
        self.fail("filter zero points must be 0")
    in_shape, out_shape = _shape4(self, x, "input"), _shape4(self, out, "output")
    filt = np.asarray(self.const(w, "filter"), dtype=np.int8)
    return o, x, w, out, self.opt_t(b_at), in_shape, out_shape, filt


def _conv(self: _Op) -> L.Layer:
    o, x, w, out, b, in_shape, out_shape, filt = _conv_operands(self)
    if filt.ndim != 4:
        self.fail("filter must be 4-D")
    oc, kh, kw, fc = filt.shape
    if fc <= 0 or in_shape[3] % fc or oc % (in_shape[3] // fc) or out_shape[3] != oc:
        self.fail(f"filter {list(filt.shape)} does not fit input {list(in_shape)}")
    if len(w.scales) not in (1, oc):
        self.fail("filter scales must be per tensor or per output channel")
    if len(w.scales) > 1 and w.quantized_dimension != 0:
        self.fail("filter must be quantized along its output channels")
    bias = self.bias(b)
    stride, dil, pad = _conv_geometry(self, o, in_shape, out_shape, kh, kw)
    mults, shifts = q.conv_multipliers(x.scale, w.scales, out.scale, oc)
    return L.Conv2D(self.op.index, "CONV_2D", (x.index,), (out.index,), in_shape=in_shape, out_shape=out_shape,
                    filter=filt, bias=bias, stride=stride, padding=pad, dilation=dil,
                    input_offset=-x.zero_point, output_offset=out.zero_point,
                    act=self.activation(o, out), multipliers=tuple(mults), shifts=tuple(shifts))


def _dwconv(self: _Op) -> L.Layer:
    o, x, w, out, b, in_shape, out_shape, filt = _conv_operands(self)
    if filt.ndim != 4 or filt.shape[0] != 1:
        self.fail("filter must be [1, kh, kw, channels]")
    _, kh, kw, oc = filt.shape
    ic = in_shape[3]
    if oc != out_shape[3] or oc % ic:
        self.fail(f"filter {list(filt.shape)} does not fit input {list(in_shape)}")
    mult = oc // ic
    if len(w.scales) not in (1, oc):
        self.fail("filter scales must be per tensor or per output channel")
    if len(w.scales) > 1 and w.quantized_dimension != 3:
        self.fail("filter must be quantized along its output channels")
    bias = self.bias(b)
    stride, dil, pad = _conv_geometry(self, o, in_shape, out_shape, kh, kw)
    mults, shifts = q.conv_multipliers(x.scale, w.scales, out.scale, oc)
    return L.DepthwiseConv2D(self.op.index, "DEPTHWISE_CONV_2D", (x.index,), (out.index,), in_shape=in_shape,
                             out_shape=out_shape, filter=filt, bias=bias, stride=stride, padding=pad,
                             dilation=dil, depth_multiplier=mult, input_offset=-x.zero_point,
                             output_offset=out.zero_point, act=self.activation(o, out),
                             multipliers=tuple(mults), shifts=tuple(shifts),
                             s1_words=stride[1] == 1 and L.dw3x3_s1_words(out_shape))


def _fc(self: _Op) -> L.Layer:
    o = self.op.options
    x, w, out = self.t(0), self.t(1), self.out()
    b = self.opt_t(2)
    self.per_tensor(x, "input")
    self.per_tensor(out, "output")
    self.int8(w, "weights")
    if o is not None and o.WeightsFormat() != 0:
        self.fail("shuffled weights are not supported")
    if not w.is_const:
        return _fc_activation_weights(self, o, x, w, b, out)
    filt = np.asarray(self.const(w, "weights"), dtype=np.int8)
    if filt.ndim != 2:
        self.fail("weights must be 2-D")
    oc, depth = filt.shape
    if x.size % depth:
        self.fail(f"input of {x.size} elements does not fit weights {list(filt.shape)}")
    batches = x.size // depth
    if out.size != batches * oc:
        self.fail("output size does not match")
    bias = self.bias(b)
    if len(w.scales) == 1:
        m, s = q.fc_multiplier(x.scale, w.scale, out.scale)
        mults, shifts = (m,), (s,)
    elif len(w.scales) == oc and w.quantized_dimension == 0:
        if any(z != 0 for z in w.zero_points):
            self.fail("per-channel weights must have zero points 0")
        mults, shifts = q.fc_per_channel_multipliers(x.scale, w.scales, out.scale, oc)
    else:
        self.fail("weights must be quantized per tensor or per output channel")
    return L.FullyConnected(self.op.index, "FULLY_CONNECTED", (x.index,), (out.index,), batches=batches,
                            input_depth=depth, output_depth=oc, filter=filt, bias=bias,
                            input_offset=-x.zero_point, filter_offset=-w.zero_point,
                            output_offset=out.zero_point, act=self.activation(o, out), multipliers=tuple(mults),
                            shifts=tuple(shifts))


def _pool(self: _Op, kind: str) -> L.Layer:
    o = self.op.options
    x, out = self.t(0), self.out()
    self.per_tensor(x, "input")
    self.per_tensor(out, "output")
    if x.scale != out.scale or x.zero_point != out.zero_point:
        self.fail("input and output must share quantization")
    in_shape, out_shape = _shape4(self, x, "input"), _shape4(self, out, "output")
    fh, fw = o.FilterHeight(), o.FilterWidth()
    stride = (o.StrideH(), o.StrideW())
    pad = (_padding(self, o.Padding(), in_shape[1], fh, stride[0], 1, out_shape[1]),
           _padding(self, o.Padding(), in_shape[2], fw, stride[1], 1, out_shape[2]))
    return L.Pool2D(self.op.index, self.op.op, (x.index,), (out.index,), kind=kind, in_shape=in_shape,
                    out_shape=out_shape, filter_hw=(fh, fw), stride=stride, padding=pad,
                    act=self.activation(o, out))


def _reduce_block(self: _Op, x: TensorInfo) -> tuple[int, int, int]:
    """(outer, reduce, inner) of a reduction over the axes operand: one contiguous block of axes."""
    raw_axes = [int(a) for a in np.asarray(self.const(self.t(1), "axis")).reshape(-1)]
    rank = len(x.shape)
    axes = sorted({a + rank if a < 0 else a for a in raw_axes})
    if not axes or any(a < 0 or a >= rank for a in axes):
        self.fail(f"axes {raw_axes} are not valid")
    if axes != list(range(axes[0], axes[-1] + 1)):
        self.fail(f"axes {raw_axes} must be contiguous")
    shape = [int(d) for d in x.shape]
    outer = int(np.prod(shape[:axes[0]], dtype=np.int64))
    reduce = int(np.prod(shape[axes[0]:axes[-1] + 1], dtype=np.int64))
    inner = int(np.prod(shape[axes[-1] + 1:], dtype=np.int64))
    return outer, reduce, inner


def _mean(self: _Op) -> L.Layer:
    """MEAN, and SUM: the same requantized sum of x - input zero point without the 1/n (QuantizedMeanOrSum
    with compute_sum). SUM is TFLM's kernel, which is TFLite's reference with its int8 inputs read as int8:
    the reference in LiteRT up to 2.3 reads them as uint8 (docs/engine.md)."""
    x, out = self.t(0), self.out()
    self.per_tensor(x, "input")
    self.per_tensor(out, "output")
    outer, reduce, inner = _reduce_block(self, x)
    if self.op.op == "SUM":
        if np.float32(x.scale) == np.float32(out.scale) and x.zero_point == out.zero_point:
            self.fail("input and output share quantization: TFLite then adds the int8 values themselves")
        m, s = q.ratio_multiplier(x.scale, out.scale)
    else:
        m, s = q.mean_multiplier(x.scale, out.scale, reduce)
    return L.Mean(self.op.index, self.op.op, (x.index,), (out.index,), outer=outer, reduce=reduce, inner=inner,
                  input_zero_point=x.zero_point, output_zero_point=out.zero_point, multiplier=m, shift=s)


def _reduce_max(self: _Op) -> L.Layer:
    """REDUCE_MAX / REDUCE_MIN: the reference compares the int8 values themselves."""
    x, out = self.t(0), self.out()
    self.per_tensor(x, "input")
    self.per_tensor(out, "output")
    if np.float32(x.scale) != np.float32(out.scale) or x.zero_point != out.zero_point:
        self.fail("input and output must share quantization")
    outer, reduce, inner = _reduce_block(self, x)
    return L.ReduceMax(self.op.index, self.op.op, (x.index,), (out.index,), outer=outer, reduce=reduce,
                       inner=inner)


def _reduce_prod(self: _Op) -> L.Layer:
    """REDUCE_PROD of int8 over a contiguous block of axes: the reference's product rescaled after every
    multiplication by input_scale / output_scale^(1/n) (quant.reduce_prod_params) and once more at the end."""
    x, out = self.t(0), self.out()
    self.per_tensor(x, "input")
    self.per_tensor(out, "output")
    if x.is_const:
        self.fail("a constant input is not supported")
    outer, reduce, inner = _reduce_block(self, x)
    m, total = q.reduce_prod_params(x.scale, out.scale, reduce)
    if total < 1:
        self.fail(f"the per-step rescaling {x.scale:g} / {out.scale:g}^(1/{reduce}) is 2^14 or more (the reference "
                  "shifts by a negative amount there)")
    return L.ReduceProd(self.op.index, self.op.op, (x.index,), (out.index,), outer=outer, reduce=reduce,
                        inner=inner, input_zero_point=x.zero_point, output_zero_point=out.zero_point,
                        multiplier=m, total_shift=total)


def _broadcast(self: _Op, a: TensorInfo, b: TensorInfo, out: TensorInfo):
    """(4-D output shape, a's and b's element strides broadcast to it, whether a / b have the output's shape)."""
    if len(out.shape) > 4:
        self.fail("broadcasting beyond 4-D is not supported")
    od = _pad4(out.shape)
    return od, _strides4(self, a, od), _strides4(self, b, od), _pad4(a.shape) == od, _pad4(b.shape) == od


def _binary(self: _Op) -> L.Layer:
    a, b, out = self.t(0), self.t(1), self.out()
    for t, what in ((a, "input 1"), (b, "input 2"), (out, "output")):
        self.per_tensor(t, what)
    od, s1, s2, fa, fb = _broadcast(self, a, b, out)
    act = self.activation(self.op.options, out)
    table = ()
    if self.op.op in ("ADD", "SUB"):
        p = q.add_params(a.scale, b.scale, out.scale)
        if self.op.op == "SUB":  # TFLite runs int8 SUB on ADD's kernel, input 2's multiplier negated
            p["input2"] = (-p["input2"][0], p["input2"][1])
        table = tuple(q.requantize((x - t.zero_point) << p["left_shift"], *p[k])
                      for t, k in ((a, "input1"), (b, "input2")) for x in range(-128, 128))
        m, s = p["output"]
        fast = int(-31 <= s <= -1 and max(abs(v) for v in table[:256]) + max(abs(v) for v in table[256:]) < 2**30)
        sums = q.add_sum_table(table[:256], table[256:], m, s, out.zero_point, *act) if fast else None
        if sums is not None:
            table, fast = tuple(sums), 2
        init = (f"{{{-a.zero_point}, {-b.zero_point}, {out.zero_point}, {p['left_shift']}, "
                f"{{{p['input1'][0]}, {p['input1'][1]}}}, {{{p['input2'][0]}, {p['input2'][1]}}}, "
                f"{{{m}, {s}}}, {act[0]}, {act[1]}, l{self.op.index}_table, {fast}}}")
    else:
        m, s = q.mul_multiplier(a.scale, b.scale, out.scale)
        fast = int(-31 <= s <= -1)
        init = (f"{{{-a.zero_point}, {-b.zero_point}, {out.zero_point}, {{{m}, {s}}}, {act[0]}, {act[1]}, "
                f"{fast}}}")
    acts = tuple(t.index for t in (a, b) if not t.is_const)
    return L.Binary(self.op.index, self.op.op, acts, (out.index,), operands=(a.index, b.index), dims4=od,
                    stride1=s1, stride2=s2, full=(fa and not a.is_const, fb and not b.is_const), params=(init,),
                    table=table)


def _squared_difference(self: _Op) -> L.Layer:
    """SQUARED_DIFFERENCE: each input rescaled as TFLite's reference does (a 256-entry int16 table per input,
    indexed by the byte as uint8), the difference squared and requantized to the output."""
    a, b, out = self.t(0), self.t(1), self.out()
    for t, what in ((a, "input 1"), (b, "input 2"), (out, "output")):
        self.per_tensor(t, what)
    od, s1, s2, fa, fb = _broadcast(self, a, b, out)
    p = q.squared_difference_params(a.scale, b.scale, out.scale)
    m, s = p["output"]
    if s > 0:  # the reference's Prepare aborts (QuantizeMultiplierSmallerThanOneExp)
        self.fail("output scale is too small: the squared difference's multiplier must be below one")
    table = tuple(q.requantize(((u ^ 0x80) - 0x80 - t.zero_point) << p["left_shift"], *p[k])
                  for t, k in ((a, "input1"), (b, "input2")) for u in range(256))
    span = max(abs(v) for v in table[:256]) + max(abs(v) for v in table[256:])  # |difference| <= 2 * 255 * 64
    k = (1 << (-s - 1)) + (out.zero_point << -s) if -31 <= s <= -1 else 0
    fast = int(-31 <= s <= -1 and span * span < 2**30 and abs(k) < 2**30)
    init = f"{{l{self.op.index}_table, {out.zero_point}, {{{m}, {s}}}, {fast}, {k if fast else 0}}}"
    acts = tuple(t.index for t in (a, b) if not t.is_const)
    return L.Binary(self.op.index, self.op.op, acts, (out.index,), operands=(a.index, b.index), dims4=od,
                    stride1=s1, stride2=s2, full=(fa and not a.is_const, fb and not b.is_const), params=(init,),
                    table=table)


def _minmax(self: _Op) -> L.Layer:
    """MAXIMUM / MINIMUM: TFLite's reference compares the stored int8 values, whatever the quantization
    (the converter gives both inputs and the output one scale and zero point)."""
    a, b, out = self.t(0), self.t(1), self.out()
    for t, what in ((a, "input 1"), (b, "input 2"), (out, "output")):
        self.per_tensor(t, what)
    od, s1, s2, fa, fb = _broadcast(self, a, b, out)
    acts = tuple(t.index for t in (a, b) if not t.is_const)
    return L.Binary(self.op.index, self.op.op, acts, (out.index,), operands=(a.index, b.index), dims4=od,
                    stride1=s1, stride2=s2, full=(fa and not a.is_const, fb and not b.is_const),
                    params=(f"{{{int(self.op.op == 'MINIMUM')}}}",))


# Comparisons as (mode, operands swapped, result negated) of the kernel's a == b (mode 1) and a > b (mode 2).
_COMPARISONS = {"EQUAL": (1, False, False), "NOT_EQUAL": (1, False, True), "GREATER": (2, False, False),
                "LESS": (2, True, False), "GREATER_EQUAL": (2, True, True), "LESS_EQUAL": (2, False, True)}


def _strides4(self: _Op, t: TensorInfo, od: tuple) -> tuple:
    """Element strides of ``t`` broadcast to the 4-D ``od`` (0 along its unit or missing axes)."""
    if len(t.shape) > 4:
        self.fail("broadcasting beyond 4-D is not supported")
    d = (1,) * (4 - len(t.shape)) + tuple(int(v) for v in t.shape)
    st, acc = [0] * 4, 1
    for i in range(3, -1, -1):
        if d[i] != od[i] and d[i] != 1:
            self.fail(f"shape {list(t.shape)} does not broadcast to {list(od)}")
        st[i] = acc if d[i] == od[i] and od[i] > 1 else 0
        acc *= d[i]
    return tuple(st)


def _interval(truth) -> tuple[int, int, bool] | None:
    """(lo, hi, negated) with truth[v + 128] == (lo <= v <= hi) != negated for every byte v, or None."""
    for neg in (False, True):
        idx = [v - 128 for v, t in enumerate(truth) if bool(t) != neg]
        if not idx:
            return 127, -128, neg
        if idx[-1] - idx[0] + 1 == len(idx):
            return idx[0], idx[-1], neg
    return None


def _compare(self: _Op) -> L.Layer:
    """EQUAL, NOT_EQUAL, GREATER, GREATER_EQUAL, LESS, LESS_EQUAL of int8 (or, EQUAL / NOT_EQUAL, bool) tensors
    to a bool output. TFLite's reference compares ((v - zero point) << 8) times each input's own scale,
    rounded (quant.comparison_values); those values are monotonic in the byte, so a comparison with a
    constant scalar is a byte range of the other input, and two tensors compare as ranks of their values
    among both inputs' (or as the bytes themselves where both map bytes to one strictly increasing scale)."""
    a, b, out = self.t(0), self.t(1), self.out()
    if out.dtype != "bool":
        self.fail(f"output is {out.dtype}; only bool is supported")
    if a.dtype != b.dtype:
        self.fail(f"inputs are {a.dtype} and {b.dtype}; the reference compares one type")
    if a.dtype == "bool" and self.op.op in ("EQUAL", "NOT_EQUAL"):
        va = vb = list(range(-128, 128))
    elif a.dtype == "int8":
        self.per_tensor(a, "input 1")
        self.per_tensor(b, "input 2")
        va, vb = q.comparison_values(a.scale, a.zero_point), q.comparison_values(b.scale, b.zero_point)
        for v, t, what in ((va, a, "input 1"), (vb, b, "input 2")):
            if v is None:
                self.fail(f"{what}'s scale {t.scale:g} is 1 or more: the reference's rescaling shifts by a "
                          "negative amount there")
    else:
        self.fail(f"inputs are {a.dtype}; only int8 (and bool for EQUAL / NOT_EQUAL) are supported")
    if a.is_const and b.is_const:
        self.fail("both inputs are constants")
    od, s1, s2, fa, fb = _broadcast(self, a, b, out)
    mode, swap, neg = _COMPARISONS[self.op.op]
    fn = {1: lambda x, y: x == y, 2: lambda x, y: x > y}[mode]
    if swap:
        fn = (lambda f: (lambda x, y: f(y, x)))(fn)
    for act, c, vact, vc, sact, fact, first in ((a, b, va, vb, s1, fa, True), (b, a, vb, va, s2, fb, False)):
        if c.is_const and c.size == 1:  # a byte range of the other input
            k = vc[int(np.asarray(c.data).reshape(-1)[0]) + 128]
            rng = _interval([fn(v, k) if first else fn(k, v) for v in vact])
            if rng is not None:
                lo, hi, inv = rng
                return L.Compare(self.op.index, self.op.op, (act.index,), (out.index,), operands=(act.index, act.index),
                                 dims4=od, stride1=sact, stride2=(0, 0, 0, 0), full=(fact, False),
                                 mode=0, invert=int(inv != neg), lo=lo, hi=hi)
    if swap:
        a, b, va, vb, s1, s2, fa, fb = b, a, vb, va, s2, s1, fb, fa
    ranks = ()
    if not (va == vb and all(x < y for x, y in zip(va, va[1:]))):
        order = {v: r for r, v in enumerate(sorted(set(va) | set(vb)))}
        ranks = tuple(order[v[(u ^ 0x80) - 0x80 + 128]] for v in (va, vb) for u in range(256))
    acts = tuple(t.index for t in (a, b) if not t.is_const)
    return L.Compare(self.op.index, self.op.op, acts, (out.index,), operands=(a.index, b.index), dims4=od,
                     stride1=s1, stride2=s2, full=(fa and not a.is_const, fb and not b.is_const),
                     mode=mode, invert=int(neg), ranks=ranks)


def _pad4(shape) -> tuple:
    return (1,) * (4 - len(shape)) + tuple(int(d) for d in shape)


def _logical(self: _Op) -> L.Layer:
    """LOGICAL_AND / LOGICAL_OR (4-D broadcasting) and LOGICAL_NOT of bool tensors (bytes 0 / 1)."""
    ins = [self.t(k) for k in range(1 if self.op.op == "LOGICAL_NOT" else 2)]
    out = self.out()
    for k, t in enumerate(ins + [out]):
        if t.dtype != "bool":
            self.fail(f"{'output' if k == len(ins) else f'input {k + 1}'} is {t.dtype}; only bool is supported")
    if all(t.is_const for t in ins):
        self.fail("every input is a constant")
    if self.op.op == "LOGICAL_NOT":
        x = ins[0]
        if len(out.shape) > 4:
            self.fail("broadcasting beyond 4-D is not supported")
        od = _pad4(out.shape)
        return L.Compare(self.op.index, self.op.op, (x.index,), (out.index,), operands=(x.index, x.index), dims4=od,
                         stride1=_strides4(self, x, od), stride2=(0, 0, 0, 0), full=(od == _pad4(x.shape), False),
                         mode=0, invert=0, lo=0, hi=0)
    a, b = ins
    od, s1, s2, fa, fb = _broadcast(self, a, b, out)
    acts = tuple(t.index for t in (a, b) if not t.is_const)
    return L.Compare(self.op.index, self.op.op, acts, (out.index,), operands=(a.index, b.index), dims4=od,
                     stride1=s1, stride2=s2, full=(fa and not a.is_const, fb and not b.is_const),
                     mode=3 if self.op.op == "LOGICAL_AND" else 4, invert=0)


def _select(self: _Op) -> L.Layer:
    """SELECT / SELECT_V2: condition ? x : y, int8 x and y, the bytes copied as TFLite's reference copies them
    (whatever the three tensors' quantization). SELECT_V2 broadcasts all three; SELECT takes one shape, a
    scalar condition or a rank-1 condition along x's first axis, as the reference."""
    c, x, y, out = self.t(0), self.t(1), self.t(2), self.out()
    if c.dtype != "bool":
        self.fail(f"condition is {c.dtype}; only bool is supported")
    for t, what in ((x, "x"), (y, "y"), (out, "output")):
        if t.dtype != "int8":
            self.fail(f"{what} is {t.dtype}; only int8 is supported")
    if c.is_const and x.is_const and y.is_const:
        self.fail("every input is a constant")
    if max(len(out.shape), len(c.shape), len(x.shape), len(y.shape)) > 4:
        self.fail("shapes beyond 4-D are not supported")
    od = _pad4(out.shape)
    sx, sy = _strides4(self, x, od), _strides4(self, y, od)
    if self.op.op == "SELECT" and tuple(c.shape) != tuple(x.shape):
        if tuple(x.shape) != tuple(y.shape):
            self.fail(f"x {list(x.shape)} and y {list(y.shape)} differ in shape (SELECT takes one shape)")
        if len(c.shape) == 0 or c.size == 1 and len(c.shape) <= 1:
            sc = (0, 0, 0, 0)
        elif len(c.shape) == 1 and len(x.shape) >= 1 and c.shape[0] == x.shape[0]:
            axis = 4 - len(x.shape)
            sc = tuple(1 if i == axis and od[i] > 1 else 0 for i in range(4))
        else:
            self.fail(f"condition {list(c.shape)} is neither x's shape, a scalar nor x's first axis")
    else:
        sc = _strides4(self, c, od)
    acts = tuple(t.index for t in (c, x, y) if not t.is_const)
    return L.Select(self.op.index, self.op.op, acts, (out.index,), operands=(c.index, x.index, y.index), dims4=od,
                    strides=(sc, sx, sy), full=tuple(od == _pad4(t.shape) and not t.is_const for t in (c, x, y)))


def _concat(self: _Op) -> L.Layer:
    o = self.op.options
    self.no_activation(o)
    out = self.out()
    self.per_tensor(out, "output")
    rank = len(out.shape)
    axis = o.Axis() if o is not None else 0
    if axis < 0:
        axis += rank
    if not 0 <= axis < rank:
        self.fail(f"axis {axis} is out of range")
    outer = int(np.prod(out.shape[:axis], dtype=np.int64))
    operands, copy = [], []
    for k in range(len(self.op.inputs)):
        t = self.t(k)
        self.per_tensor(t, f"input {k}")
        if np.float32(t.scale) != np.float32(out.scale) or t.zero_point != out.zero_point:
            self.fail("inputs must share the output's quantization")
        operands.append(t.index)
        copy.append(int(np.prod(t.shape[axis:], dtype=np.int64)))
    acts = tuple(t for t in operands if not self.graph.tensors[t].is_const)
    return L.Concat(self.op.index, "CONCATENATION", acts, (out.index,), operands=tuple(operands),
                    copy_bytes=tuple(copy), outer=outer)


def _pack(self: _Op) -> L.Layer:
    """PACK: CONCATENATION of the inputs along a new axis (each input one slice of it): the reference
    copies the bytes (its Prepare requires int8 inputs to share the output's quantization)."""
    out = self.out()
    self.per_tensor(out, "output")
    rank = len(out.shape)
    axis = self.op.options.Axis() if self.op.options is not None else 0
    if axis < 0:
        axis += rank
    if not 0 <= axis < rank or out.shape[axis] != len(self.op.inputs):
        self.fail(f"axis {axis} is out of range")
    inner = int(np.prod(out.shape[axis + 1:], dtype=np.int64))
    operands = []
    for k in range(len(self.op.inputs)):
        t = self.t(k)
        self.per_tensor(t, f"input {k}")
        if np.float32(t.scale) != np.float32(out.scale) or t.zero_point != out.zero_point:
            self.fail("inputs must share the output's quantization")
        if t.size != inner * int(np.prod(out.shape[:axis], dtype=np.int64)):
            self.fail(f"input {k} does not match the output's shape")
        operands.append(t.index)
    acts = tuple(t for t in operands if not self.graph.tensors[t].is_const)
    return L.Concat(self.op.index, "PACK", acts, (out.index,), operands=tuple(operands),
                    copy_bytes=(inner,) * len(operands), outer=int(np.prod(out.shape[:axis], dtype=np.int64)))


def _unpack(self: _Op) -> L.Layer:
    """UNPACK: SPLIT into slices of one along the axis, each output the slice without that axis."""
    x = self.t(0)
    self.per_tensor(x, "input")
    rank = len(x.shape)
    axis = self.op.options.Axis() if self.op.options is not None else 0
    if axis < 0:
        axis += rank
    if not 0 <= axis < rank or x.shape[axis] != len(self.op.outputs):
        self.fail(f"axis {axis} is out of range")
    k = MAX_DIMS - rank
    shape = [int(d) for d in x.shape]
    shape[axis] = 1
    boxes = []
    for j in range(len(self.op.outputs)):
        begin = [0] * MAX_DIMS
        begin[axis + k] = j
        boxes.append((tuple(begin), (1,) * MAX_DIMS, _pad6(shape)))
    return L.Slice(self.op.index, "UNPACK", (x.index,), tuple(self.op.outputs), source=x.index,
                   in_shape6=_pad6(x.shape), boxes=tuple(boxes))


def _reshape(self: _Op) -> L.Layer:
    x, out = self.t(0), self.out()
    if x.dtype != out.dtype or x.size != out.size:
        self.fail("input and output must have the same type and size")
    if x.is_const:
        self.fail("a constant input is not supported")
    if x.dtype == "int8" and (x.scales[:1] != out.scales[:1] or x.zero_point != out.zero_point):
        self.fail("input and output must share quantization")
    return L.Reshape(self.op.index, self.op.op, (x.index,), (out.index,), nbytes=x.nbytes)


def _transpose(self: _Op) -> L.Layer:
    x, out = self.t(0), self.out()
    self.per_tensor(x, "input")
    perm = [int(p) for p in np.asarray(self.const(self.t(1), "permutation")).reshape(-1)]
    rank = len(x.shape)
    if rank > MAX_DIMS or sorted(perm) != list(range(rank)):
        self.fail(f"permutation {perm} is not supported")
    k = MAX_DIMS - rank
    return L.Transpose(self.op.index, "TRANSPOSE", (x.index,), (out.index,), in_shape6=_pad6(x.shape),
                       perm6=tuple(list(range(k)) + [p + k for p in perm]))


def _depth_to_space(self: _Op) -> L.Layer:
    """DEPTH_TO_SPACE / SPACE_TO_DEPTH (NHWC): a 6-D TRANSPOSE swapping the block row axis with the image
    columns, (n, h, w, bh, bw, c) <-> (n, h, bh, w, bw, c); the reference copies the bytes."""
    x, out = self.t(0), self.out()
    self.per_tensor(x, "input")
    b = self.op.options.BlockSize() if self.op.options is not None else 0
    if len(x.shape) != 4 or b < 1:
        self.fail(f"a 4-D input and a block size of at least 1 are required (block {b})")
    n, h, w, c = (int(d) for d in x.shape)
    if self.op.op == "DEPTH_TO_SPACE":
        if c % (b * b):
            self.fail(f"depth {c} is not a multiple of block size {b} squared")
        in6 = (n, h, w, b, b, c // (b * b))
    else:
        if h % b or w % b:
            self.fail(f"height {h} and width {w} must be multiples of block size {b}")
        in6 = (n, h // b, b, w // b, b, c)
    return L.Transpose(self.op.index, self.op.op, (x.index,), (out.index,), in_shape6=in6, perm6=(0, 1, 3, 2, 4, 5))


def _gather(self: _Op) -> L.Layer:
    """GATHER of an int8 activation along one axis by constant int32 / int64 indices (batch_dims 0): for
    each block of the axes before it, the blocks of the axes after it that the indices name, in turn (the
    reference copies bytes; it refuses indices out of range). Indices that follow each other join one run;
    runs averaging under 4 bytes (a channel reorder) become a table of byte offsets."""
    x, idx_t, out = self.t(0), self.t(1), self.out()
    self.int8(x, "input")
    self.int8(out, "output")
    if x.is_const:
        self.fail("a constant input is not supported")
    if idx_t.dtype not in ("int32", "int64"):
        self.fail(f"indices are {idx_t.dtype}; only int32 and int64 are supported")
    idx = np.asarray(self.const(idx_t, "indices"), dtype=np.int64).reshape(-1)
    o = self.op.options
    rank = len(x.shape)
    axis = o.Axis() if o is not None else 0
    batch_dims = o.BatchDims() if o is not None and hasattr(o, "BatchDims") else 0
    if batch_dims < 0:
        batch_dims += len(idx_t.shape)
    if batch_dims != 0:
        self.fail(f"batch_dims {batch_dims} is not supported")
    if axis < 0:
        axis += rank
    if not 0 <= axis < rank:
        self.fail(f"axis {axis} is out of range")
    shape = [int(d) for d in x.shape]
    if idx.size and (idx.min() < 0 or idx.max() >= shape[axis]):
        self.fail(f"indices {idx.min()}..{idx.max()} are out of range for axis size {shape[axis]}")
    outer = int(np.prod(shape[:axis], dtype=np.int64))
    inner = int(np.prod(shape[axis + 1:], dtype=np.int64))
    if out.size != outer * idx.size * inner or out.size == 0:
        self.fail(f"output shape {list(out.shape)} does not match the gather")
    starts, lens = [], []
    for k, i in enumerate(idx.tolist()):
        if k and i == idx[k - 1] + 1:
            lens[-1] += inner
        else:
            starts.append(i * inner)
            lens.append(inner)
    if idx.size * inner < 4 * len(starts):  # short runs: one offset per byte
        starts = [s + j for s, n in zip(starts, lens) for j in range(n)]
        lens = []
    return L.Gather(self.op.index, "GATHER", (x.index,), (out.index,), outer=outer,
                    in_block=shape[axis] * inner, starts=tuple(starts), bytes_=tuple(lens))


def _space_batch(self: _Op) -> L.Layer:
    """SPACE_TO_BATCH_ND / BATCH_TO_SPACE_ND of a 4-D (NHWC) or 3-D (NHC) int8 tensor by a constant block
    shape and constant paddings / crops: the reference copies pixels, SPACE_TO_BATCH_ND's padding the output
    zero point (input and output share quantization)."""
    x, out = self.t(0), self.out()
    self.per_tensor(x, "input")
    self.per_tensor(out, "output")
    if np.float32(x.scale) != np.float32(out.scale) or x.zero_point != out.zero_point:
        self.fail("input and output must share quantization")
    to_batch = self.op.op == "SPACE_TO_BATCH_ND"
    what = "paddings" if to_batch else "crops"
    block = [int(v) for v in np.asarray(self.const(self.t(1), "block shape")).reshape(-1)]
    pads = np.asarray(self.const(self.t(2), what), dtype=np.int64).reshape(-1, 2)
    rank = len(x.shape)
    if rank not in (3, 4) or len(out.shape) != rank or len(block) != rank - 2 or pads.shape[0] != rank - 2 \
            or min(block) < 1 or (pads < 0).any():
        self.fail(f"block shape {block} and {what} {pads.tolist()} are not supported for a {rank}-D input")
    if rank == 3:
        block, pads = block + [1], np.vstack([pads, [[0, 0]]])
    sx = [int(d) for d in x.shape]
    so = [int(d) for d in out.shape]
    if rank == 3:
        sx, so = sx[:2] + [1] + sx[2:], so[:2] + [1] + so[2:]
    space, batch = (sx, so) if to_batch else (so, sx)
    blocks = block[0] * block[1]
    ok = (batch[0] == space[0] * blocks and batch[3] == space[3] and all(
        batch[1 + i] * block[i] == space[1 + i] + pads[i].sum()
        for i in range(2)))
    if not ok:
        self.fail(f"output shape {list(out.shape)} does not match block shape {block[:rank - 2]} and {what}")
    return L.SpaceBatch(self.op.index, self.op.op, (x.index,), (out.index,), space=tuple(space),
                        batch=tuple(batch[1:3]), block=tuple(block), corner=(int(pads[0, 0]), int(pads[1, 0])),
                        pad_value=out.zero_point)


def _fc_activation_weights(self: _Op, o, x: TensorInfo, w: TensorInfo, b, out: TensorInfo) -> L.Layer:
    """FULLY_CONNECTED whose weights are an activation (the converter's form of a rank-2 ``a @ b^T``), as
    BATCH_MATMUL's q @ k^T: out[b, o] = sum over i of (x[b, i] - x_zero_point) * (w[o, i] - w_zero_point)
    plus the optional constant bias, requantized as TFLite's reference FULLY_CONNECTED does (its multiplier,
    one rounding; the weights' zero point as it is, like the reference), the input flattened to
    [batches, depth]."""
    self.per_tensor(w, "weights that are not a constant")
    if x.is_const:
        self.fail("a constant input with weights that are not a constant is not supported")
    if len(w.shape) != 2:
        self.fail("weights must be 2-D")
    oc, depth = (int(d) for d in w.shape)
    if depth < 1 or x.size % depth:
        self.fail(f"input of {x.size} elements does not fit weights {list(w.shape)}")
    batches = x.size // depth
    if out.size != batches * oc:
        self.fail("output size does not match")
    bias = self.bias(b)
    if bias is not None and bias.size != oc:
        self.fail(f"bias of {bias.size} values for {oc} outputs")
    m, s = q.fc_multiplier(x.scale, w.scale, out.scale)
    return L.BatchMatMul(self.op.index, "FULLY_CONNECTED", (x.index, w.index), (out.index,), rows=batches,
                         cols=oc, depth=depth, lhs_steps=(0, 0, 0, depth, 1), rhs_steps=(0, 0, 0, depth, 1),
                         lhs_offset=-x.zero_point, rhs_offset=-w.zero_point, output_offset=out.zero_point,
                         mult=m, shift=L._shifts([m], [s])[0], act=self.activation(o, out), fully_connected=True,
                         bias=bias)


def _batch_matmul(self: _Op) -> L.Layer:
    """BATCH_MATMUL of an int8 activation by another or by a constant (per-tensor quantization, ranks 2-5,
    adj_x / adj_y, broadcast batch axes): TFLite's reference sums (lhs - lhs_zero_point) * (rhs -
    rhs_zero_point) in int32 and requantizes by lhs_scale * rhs_scale / output_scale
    (MultiplyByQuantizedMultiplier, the double rounding); its transposed copies of the operands are steps here."""
    lhs, rhs, out = self.t(0), self.t(1), self.out()
    for t, what in ((lhs, "lhs"), (rhs, "rhs"), (out, "output")):
        self.per_tensor(t, what)
    if lhs.is_const:
        self.fail("a constant lhs is not supported")
    o = self.op.options
    adj_x, adj_y = (bool(o.AdjX()), bool(o.AdjY())) if o is not None else (False, False)
    if not (2 <= len(lhs.shape) <= 5 and 2 <= len(rhs.shape) <= 5):
        self.fail(f"ranks {len(lhs.shape)} and {len(rhs.shape)} are not supported (2-5)")
    ls = [1] * (5 - len(lhs.shape)) + [int(d) for d in lhs.shape]
    rs = [1] * (5 - len(rhs.shape)) + [int(d) for d in rhs.shape]
    rows, depth = (ls[4], ls[3]) if adj_x else (ls[3], ls[4])
    rdepth, cols = (rs[4], rs[3]) if adj_y else (rs[3], rs[4])
    if depth != rdepth:
        self.fail(f"lhs {list(lhs.shape)} and rhs {list(rhs.shape)} do not multiply")
    batch = []
    for x in range(3):
        if ls[x] != rs[x] and 1 not in (ls[x], rs[x]):
            self.fail(f"batch axes of {list(lhs.shape)} and {list(rhs.shape)} do not broadcast")
        batch.append(max(ls[x], rs[x]))
    rank = max(len(lhs.shape), len(rhs.shape))
    if tuple(int(d) for d in out.shape) != tuple(batch[3 - (rank - 2):] if rank > 2 else ()) + (rows, cols):
        self.fail(f"output shape {list(out.shape)} does not match")

    def batch_steps(s):
        return [0 if s[x] == 1 else int(np.prod(s[x + 1:])) for x in range(3)]

    lhs_steps = batch_steps(ls) + ([1, rows] if adj_x else [depth, 1])
    const = None
    if rhs.is_const:  # laid out [batch][col][depth]: contiguous depth for both operands
        m = np.asarray(rhs.data, dtype=np.int8).reshape(rs)
        const = np.ascontiguousarray(m if adj_y else np.swapaxes(m, 3, 4))
        rhs_steps = batch_steps(rs) + [depth, 1]
    else:
        rhs_steps = batch_steps(rs) + ([depth, 1] if adj_y else [1, cols])
    mults, shifts = q.conv_multipliers(lhs.scale, rhs.scales, out.scale, 1)
    acts = (lhs.index,) if rhs.is_const else (lhs.index, rhs.index)
    return L.BatchMatMul(self.op.index, "BATCH_MATMUL", acts, (out.index,), batch=tuple(batch), rows=rows,
                         cols=cols, depth=depth, lhs_steps=tuple(lhs_steps), rhs_steps=tuple(rhs_steps), rhs=const,
                         lhs_offset=-lhs.zero_point, rhs_offset=-rhs.zero_point, output_offset=out.zero_point,
                         mult=mults[0], shift=L._shifts(mults, shifts)[0])


def _arg_minmax(self: _Op) -> L.Layer:
    """ARG_MAX / ARG_MIN of an int8 tensor along a constant axis, int32 or int64 indices out: the reference
    compares the int8 values as stored (a positive scale keeps their order) and keeps the first index of
    the extreme value."""
    x, out = self.t(0), self.out()
    self.int8(x, "input")
    if x.is_const:
        self.fail("a constant input is not supported")
    if out.dtype not in ("int32", "int64"):
        self.fail(f"output is {out.dtype}; only int32 and int64 are supported")
    axis = np.asarray(self.const(self.t(1), "axis")).reshape(-1)
    rank = len(x.shape)
    if axis.size != 1 or not -rank <= int(axis[0]) < rank:
        self.fail(f"axis {axis.tolist()} is not supported")
    a = int(axis[0]) % rank
    shape = [int(d) for d in x.shape]
    if shape[a] < 1 or out.size != x.size // shape[a]:
        self.fail(f"output shape {list(out.shape)} does not match the input's without axis {a}")
    return L.ArgMinMax(self.op.index, self.op.op, (x.index,), (out.index,),
                       outer=int(np.prod(shape[:a], dtype=np.int64)), axis_size=shape[a],
                       inner=int(np.prod(shape[a + 1:], dtype=np.int64)), out64=out.dtype == "int64")


def _softmax(self: _Op) -> L.Layer:
    x, out = self.t(0), self.out()
    self.per_tensor(x, "input")
    self.per_tensor(out, "output")
    if out.zero_point != -128 or np.float32(out.scale) != np.float32(1 / 256):
        self.fail("output must be quantized with scale 1/256 and zero point -128")
    beta = self.op.options.Beta() if self.op.options is not None else 1.0
    depth = int(x.shape[-1]) if x.shape else 1
    params = q.softmax_params(x.scale, beta)
    if params["input_left_shift"] < 0:
        self.fail("input scale x beta is too small for the reference kernel's Q5.26 input")
    return L.Softmax(self.op.index, "SOFTMAX", (x.index,), (out.index,), outer=x.size // depth, depth=depth,
                     exp_table=tuple(q.softmax_exp_table(**params)))


def _log_softmax(self: _Op) -> L.Layer:
    """LOG_SOFTMAX over the last axis: the reference's int8 kernel takes the output in units of 16/256 with
    zero point 127 (its Prepare checks both), SOFTMAX's input scaling with beta 1 and its inverse."""
    x, out = self.t(0), self.out()
    self.per_tensor(x, "input")
    self.per_tensor(out, "output")
    if out.zero_point != 127 or np.float32(out.scale) != np.float32(16 / 256):
        self.fail("output must be quantized with scale 16/256 and zero point 127")
    depth = int(x.shape[-1]) if len(x.shape) else 1
    if depth >= 4096:
        self.fail(f"a row of {depth} values may overflow the reference's Q12.19 sum of exponentials")
    p = q.softmax_params(x.scale, 1.0)
    m, ls, diff_min = p["input_multiplier"], p["input_left_shift"], p["diff_min"]
    if ls < 1:
        self.fail("input scale is too small for the reference kernel's Q5.26 input")
    reverse = float(1 << (31 - ls)) / m  # PreprocessLogSoftmaxScalingExp
    if not 0.0 < reverse < 1.0:
        self.fail("the reverse scaling multiplier must be below one")
    rm, rs = q.quantize_multiplier(reverse)
    diffs = tuple(q.requantize(-d, m, ls) if -d >= diff_min else 0 for d in range(256))
    return L.LogSoftmax(self.op.index, "LOG_SOFTMAX", (x.index,), (out.index,), outer=x.size // depth,
                        depth=depth, exp_table=tuple(q.softmax_exp_table(**p)), diff_table=diffs,
                        params=(diff_min, rm, rs))


def _l2_normalization(self: _Op) -> L.Layer:
    """L2_NORMALIZATION over the last axis: the reference's int8 kernel takes the output in units of 1/128
    with zero point 0 (its Prepare checks both) and an int32 sum of squares per row."""
    x, out = self.t(0), self.out()
    self.per_tensor(x, "input")
    self.per_tensor(out, "output")
    self.no_activation(self.op.options)
    if out.zero_point != 0 or np.float32(out.scale) != np.float32(1 / 128):
        self.fail("output must be quantized with scale 1/128 and zero point 0")
    depth = int(x.shape[-1]) if len(x.shape) else 1
    span = max(abs(-128 - x.zero_point), abs(127 - x.zero_point))
    if depth * span * span >= 2**31:
        self.fail(f"a row of {depth} values may overflow the reference's int32 sum of squares")
    return L.L2Norm(self.op.index, "L2_NORMALIZATION", (x.index,), (out.index,), outer=x.size // depth,
                    depth=depth, input_offset=-int(x.zero_point))


def _logistic(self: _Op) -> L.Layer:
    x, out = self.t(0), self.out()
    self.per_tensor(x, "input")
    self.per_tensor(out, "output")
    if np.float32(out.scale) != np.float32(1 / 256):
        self.fail("output scale must be 1/256")
    table = q.logistic_table(x.scale, x.zero_point, out.scale, out.zero_point)
    return L.Lut(self.op.index, "LOGISTIC", (x.index,), (out.index,), size=x.size, table=tuple(table))


def _lut(self: _Op, table_fn, *lead) -> L.Layer:
    """An int8 unary operator whose output depends only on the input byte: the 256-entry table
    ``table_fn(*lead, input scale, input zero point, output scale, output zero point)`` of the reference's
    arithmetic for the layer's quantization."""
    x, out = self.t(0), self.out()
    self.per_tensor(x, "input")
    self.per_tensor(out, "output")
    table = table_fn(*lead, x.scale, x.zero_point, out.scale, out.zero_point)
    return L.Lut(self.op.index, self.op.op, (x.index,), (out.index,), size=x.size, table=tuple(table))


def _table_op(table_fn):
    """The lowering of a table operator without options (TANH, ABS, RSQRT, SQRT, EXP, LOG)."""
    return lambda self: _lut(self, table_fn)


def _leaky_relu(self: _Op) -> L.Layer:
    alpha = self.op.options.Alpha() if self.op.options is not None else 0.0  # TFLite's default
    return _lut(self, q.leaky_relu_table, alpha)


def _gelu(self: _Op) -> L.Layer:
    approximate = bool(self.op.options.Approximate()) if self.op.options is not None else False
    return _lut(self, q.gelu_table, approximate)


def _prelu(self: _Op) -> L.Layer:
    x, a, out = self.t(0), self.t(1), self.out()
    self.per_tensor(x, "input")
    self.per_tensor(a, "alpha")
    self.per_tensor(out, "output")
    shape = tuple(int(d) for d in x.shape)
    if tuple(int(d) for d in out.shape) != shape:
        self.fail("the output must have the input's shape")
    alpha = np.asarray(self.const(a, "alpha"), dtype=np.int8)
    if alpha.ndim > len(shape):
        self.fail(f"alpha {list(alpha.shape)} has more axes than the input {list(shape)}")
    ash = (1,) * (len(shape) - alpha.ndim) + alpha.shape
    if any(d not in (1, s) for d, s in zip(ash, shape)):
        self.fail(f"alpha {list(alpha.shape)} does not broadcast to the input {list(shape)}")
    # alpha broadcast to the input repeats every period elements: its values from its first non-unit axis on
    k = next((i for i, d in enumerate(ash) if d != 1), len(shape))
    values = np.broadcast_to(alpha.reshape(ash)[(0,) * k], shape[k:]).reshape(-1)
    p = q.prelu_params(x.scale, x.zero_point, a.scale, out.scale, out.zero_point)
    m, s = p["alpha"]
    init = (f"{{{-x.zero_point}, {-a.zero_point}, {out.zero_point}, {{{m}, {s}}}, l{self.op.index}_alpha, "
            f"{values.size}, l{self.op.index}_table, {int(-31 <= s <= -1)}}}")
    return L.Prelu(self.op.index, "PRELU", (x.index,), (out.index,), size=x.size, depth=shape[-1] if shape else 1,
                   alpha=tuple(int(v) for v in values), table=tuple(p["table"]), params=(init,))


def _hard_swish(self: _Op) -> L.Layer:
    x, out = self.t(0), self.out()
    self.per_tensor(x, "input")
    self.per_tensor(out, "output")
    p = q.hard_swish_params(x.scale, x.zero_point, out.scale, out.zero_point)
    if p["output_multiplier_exponent"] > 0:
        self.fail("output scale too small for the input scale")
    return L.HardSwish(self.op.index, "HARD_SWISH", (x.index,), (out.index,), size=x.size,
                       params=tuple(sorted(p.items())))


def _pad(self: _Op) -> L.Layer:
    x, out = self.t(0), self.out()
    self.per_tensor(x, "input")
    self.per_tensor(out, "output")
    if np.float32(x.scale) != np.float32(out.scale) or x.zero_point != out.zero_point:
        self.fail("input and output must share quantization")
    pads = np.asarray(self.const(self.t(1), "paddings"), dtype=np.int64).reshape(-1, 2)
    rank = len(x.shape)
    if pads.shape[0] != rank or rank > MAX_DIMS or (pads < 0).any():
        self.fail(f"paddings {pads.tolist()} are not supported")
    value = out.zero_point
    if self.op.op == "PADV2" and self.opt_t(2) is not None:
        value = int(np.asarray(self.const(self.t(2), "constant value")).reshape(-1)[0])
    k = MAX_DIMS - rank
    return L.Pad(self.op.index, self.op.op, (x.index,), (out.index,), in_shape6=_pad6(x.shape),
                 before6=(0,) * k + tuple(int(p) for p in pads[:, 0]),
                 after6=(0,) * k + tuple(int(p) for p in pads[:, 1]), pad_value=value)


def _mirror_pad(self: _Op) -> L.Layer:
    """MIRROR_PAD copies bytes: the reference's Prepare requires int8 input and output to share their
    quantization (mirror_pad.cc)."""
    x, out = self.t(0), self.out()
    self.per_tensor(x, "input")
    self.per_tensor(out, "output")
    if np.float32(x.scale) != np.float32(out.scale) or x.zero_point != out.zero_point:
        self.fail("the input must share the output's quantization")
    pads = np.asarray(self.const(self.t(1), "paddings"), dtype=np.int64).reshape(-1, 2)
    shape = [int(d) for d in x.shape]
    rank = len(shape)
    reflect = self.op.options is None or self.op.options.Mode() == 0  # REFLECT 0, SYMMETRIC 1
    offset = 1 if reflect else 0
    if pads.shape[0] != rank or rank > MAX_DIMS or (pads < 0).any() or \
            any(int(p) > d - offset for p, d in zip(pads.reshape(-1), np.repeat(shape, 2))):
        self.fail(f"paddings {pads.tolist()} are not supported for input shape {shape}")
    padded = [k for k in range(rank) if pads[k].any()]
    k = padded[-1] + 1 if padded else 1  # the axes from k on are one element
    elem = int(np.prod(shape[k:], dtype=np.int64))
    lead = MAX_DIMS - k
    return L.MirrorPad(self.op.index, "MIRROR_PAD", (x.index,), (out.index,), in_shape6=_pad6(shape[:k]),
                       before6=(0,) * lead + tuple(int(p) for p in pads[:k, 0]),
                       after6=(0,) * lead + tuple(int(p) for p in pads[:k, 1]), offset=offset, elem=elem)


def nearest_indices(in_size: int, out_size: int, align_corners: bool, half_pixel_centers: bool) -> list[int]:
    """The input index of each output index of RESIZE_NEAREST_NEIGHBOR along one axis, with the reference
    kernel's single-precision arithmetic (GetNearestNeighbor): scale (in - 1) / (out - 1) with
    align_corners (and out > 1) else in / out, (i + 0.5 with half_pixel_centers) * scale rounded half away
    from zero with align_corners else floored, at most in - 1 (and at least 0 with half_pixel_centers)."""
    f32 = np.float32
    if align_corners and out_size > 1:
        scale = f32(in_size - 1) / f32(out_size - 1)
    else:
        scale = f32(in_size) / f32(out_size)
    offset = f32(0.5) if half_pixel_centers else f32(0)
    out = []
    for i in range(out_size):
        v = float((f32(i) + offset) * scale)
        k = min(q.round_half_away(v) if align_corners else int(np.floor(v)), in_size - 1)
        out.append(max(0, k) if half_pixel_centers else k)
    return out


def bilinear_taps(in_size: int, out_size: int, align_corners: bool, half_pixel_centers: bool) -> list[int]:
    """(i0, i1, d) of each output index of RESIZE_BILINEAR along one axis with the reference int8 kernel's
    fixed point (ResizeBilinearInteger, 10 fractional bits): scale (1024 in + out / 2) / out, with
    align_corners (and out > 1) (1024 (in - 1) + (out - 1) / 2) / (out - 1); position i * scale, with
    half_pixel_centers + scale / 2 - 512; i0 = max(position / 1024, 0) and i1 = min(ceil, in - 1) in C's
    truncating division; d = position - 1024 i0, the weight of i1 (1024 - d that of i0, d may be negative)."""
    def div(a, b):  # C's integer division (toward zero), b > 0
        return a // b if a >= 0 else -(-a // b)

    if align_corners and out_size > 1:
        scale = div(1024 * (in_size - 1) + (out_size - 1) // 2, out_size - 1)
    else:
        scale = div(1024 * in_size + out_size // 2, out_size)
    out = []
    for i in range(out_size):
        v = i * scale + (scale // 2 - 512 if half_pixel_centers else 0)
        i0, i1 = max(div(v, 1024), 0), min(div(v + 1023, 1024), in_size - 1)
        out += [i0, i1, v - 1024 * i0]
    return out


def _resize(self: _Op) -> L.Layer:
    x, out = self.t(0), self.out()
    self.per_tensor(x, "input")
    self.per_tensor(out, "output")
    n, h, w, c = _shape4(self, x, "input")
    on, oh, ow, oc = _shape4(self, out, "output")
    if (on, oc) != (n, c) or max(h, w, oh, ow) > 32767:
        self.fail(f"output shape {list(out.shape)} does not match input {list(x.shape)}")
    o = self.op.options
    align = bool(o.AlignCorners()) if o is not None else False
    half = bool(o.HalfPixelCenters()) if o is not None else False
    if self.op.op == "RESIZE_BILINEAR":
        if align and half:
            self.fail("align_corners and half_pixel_centers both set")
        rows, cols = tuple(bilinear_taps(h, oh, align, half)), tuple(bilinear_taps(w, ow, align, half))
        if max(rows[0::3]) >= h or max(cols[0::3]) >= w:  # the reference reads past the input there
            self.fail(f"output size {oh}x{ow} reads past the input {h}x{w} in the reference kernel")
    else:
        rows, cols = tuple(nearest_indices(h, oh, align, half)), tuple(nearest_indices(w, ow, align, half))
    return L.Resize(self.op.index, self.op.op, (x.index,), (out.index,), in_shape=(n, h, w, c),
                    rows=rows, cols=cols)


def _transpose_conv(self: _Op) -> L.Layer:
    # operands: the output shape (0), the filter (1), the input (2), the bias (3)
    o, x, w, out, b, in_shape, out_shape, filt = _conv_operands(self, x_at=2, w_at=1, b_at=3)
    if filt.ndim != 4 or filt.shape[0] != out_shape[3] or filt.shape[3] != in_shape[3] or in_shape[0] != out_shape[0]:
        self.fail(f"filter {list(filt.shape)} does not fit input {list(in_shape)} and output {list(out_shape)}")
    oc, kh, kw, _ = filt.shape
    if len(w.scales) not in (1, oc) or (len(w.scales) > 1 and w.quantized_dimension != 0):
        self.fail("filter scales must be per tensor or per output channel")
    bias = self.bias(b)
    stride = (o.StrideH(), o.StrideW())
    # the reference's padding: the output size taken as a convolution's input, the input as its output
    pad = (_padding(self, o.Padding(), out_shape[1], kh, stride[0], 1, in_shape[1]),
           _padding(self, o.Padding(), out_shape[2], kw, stride[1], 1, in_shape[2]))
    act = self.activation(o, out) if hasattr(o, "FusedActivationFunction") else (-128, 127)
    mults, shifts = q.conv_multipliers(x.scale, w.scales, out.scale, oc)
    return L.TransposeConv2D(self.op.index, "TRANSPOSE_CONV", (x.index,), (out.index,), in_shape=in_shape,
                             out_shape=out_shape, weights=filt, bias=bias, stride=stride, pad=pad,
                             input_offset=-x.zero_point, output_offset=out.zero_point, act=act,
                             mults=tuple(mults), shifts=tuple(shifts))


def _split(self: _Op) -> L.Layer:
    if self.op.op == "SPLIT":
        axis_t, x = self.t(0), self.t(1)
    else:
        x, axis_t = self.t(0), self.t(2)
    self.per_tensor(x, "input")
    rank = len(x.shape)
    axis = int(np.asarray(self.const(axis_t, "axis")).reshape(-1)[0])
    if axis < 0:
        axis += rank
    k = MAX_DIMS - rank
    boxes, start = [], 0
    for j, t_out in enumerate(self.op.outputs):
        out = self.graph.tensors[t_out]
        size = int(out.shape[axis])
        begin = [0] * MAX_DIMS
        begin[axis + k] = start
        boxes.append((tuple(begin), (1,) * MAX_DIMS, _pad6(out.shape)))
        start += size
    if start != x.shape[axis]:
        self.fail("split sizes do not add up to the input")
    return L.Slice(self.op.index, self.op.op, (x.index,), tuple(self.op.outputs), source=x.index,
                   in_shape6=_pad6(x.shape), boxes=tuple(boxes))


def _strided_slice(self: _Op) -> L.Layer:
    x, out = self.t(0), self.out()
    self.per_tensor(x, "input")
    rank = len(x.shape)
    shape = [int(d) for d in x.shape]
    if self.op.op == "SLICE":
        begin = [int(v) for v in np.asarray(self.const(self.t(1), "begin")).reshape(-1)]
        size = [int(v) for v in np.asarray(self.const(self.t(2), "size")).reshape(-1)]
        starts, counts, steps = [], [], []
        for i in range(rank):
            b = begin[i]
            n = shape[i] - b if size[i] == -1 else size[i]
            if b < 0 or n < 0 or b + n > shape[i]:
                self.fail(f"slice begin {begin} size {size} is out of range")
            starts.append(b)
            counts.append(n)
            steps.append(1)
    else:
        o = self.op.options
        if o.EllipsisMask() or o.NewAxisMask() or (hasattr(o, "Offset") and o.Offset()):
            self.fail("ellipsis, new-axis and offset masks are not supported")
        begin = [int(v) for v in np.asarray(self.const(self.t(1), "begin")).reshape(-1)]
        end = [int(v) for v in np.asarray(self.const(self.t(2), "end")).reshape(-1)]
        strides = [int(v) for v in np.asarray(self.const(self.t(3), "strides")).reshape(-1)]
        if len(begin) != rank or len(end) != rank or len(strides) != rank:
            self.fail("begin, end and strides must cover every axis")
        starts, counts, steps = [], [], []
        for i in range(rank):
            dim, s = shape[i], strides[i]
            if s == 0:
                self.fail("stride 0")
            if o.ShrinkAxisMask() & (1 << i):
                b = begin[i] + dim if begin[i] < 0 else begin[i]
                if not 0 <= b < dim:
                    self.fail("shrunk axis index out of range")
                starts.append(b)
                counts.append(1)
                steps.append(1)
                continue

            def clamp(v, lo, hi):
                return max(lo, min(hi, v))

            if o.BeginMask() & (1 << i):
                b = 0 if s > 0 else dim - 1
            else:
                b = begin[i] + dim if begin[i] < 0 else begin[i]
                b = clamp(b, 0, dim) if s > 0 else clamp(b, -1, dim - 1)
            if o.EndMask() & (1 << i):
                e = dim if s > 0 else -1
            else:
                e = end[i] + dim if end[i] < 0 else end[i]
                e = clamp(e, 0, dim) if s > 0 else clamp(e, -1, dim - 1)
            n = max(0, -(-(e - b) // s)) if s > 0 else max(0, -(-(b - e) // -s))
            starts.append(b)
            counts.append(n)
            steps.append(s)
    if int(np.prod(counts, dtype=np.int64)) != out.size:
        self.fail(f"computed slice {counts} does not match the output shape {list(out.shape)}")
    k = MAX_DIMS - rank
    box = ((0,) * k + tuple(starts), (1,) * k + tuple(steps), (1,) * k + tuple(counts))
    return L.Slice(self.op.index, self.op.op, (x.index,), (out.index,), source=x.index,
                   in_shape6=_pad6(shape), boxes=(box,))


def _quantize(self: _Op) -> L.Layer:
    x, out = self.t(0), self.out()
    if self.op.op == "DEQUANTIZE":
        self.per_tensor(x, "input")
        if out.dtype != "float32":
            self.fail(f"output is {out.dtype}; only float32 is supported")
        return L.Quantize(self.op.index, "DEQUANTIZE", (x.index,), (out.index,), kind="to_float", size=x.size,
                          scale=x.scale, zero_point=x.zero_point)
    if x.dtype == "float32":
        self.per_tensor(out, "output")
        return L.Quantize(self.op.index, "QUANTIZE", (x.index,), (out.index,), kind="from_float", size=x.size,
                          scale=out.scale, zero_point=out.zero_point)
    # a model's uint8 input or output: requantized to or from the int8 the operators run on
    if (x.dtype, out.dtype) not in (("int8", "int8"), ("uint8", "int8"), ("int8", "uint8")):
        self.fail(f"{x.dtype} to {out.dtype} is not supported; float32, int8 or uint8 to int8, and int8 to uint8 are")
    for t, what in ((x, "input"), (out, "output")):
        if len(t.scales) != 1:
            self.fail(f"{what} must be quantized per tensor")
    m, s = q.ratio_multiplier(x.scale, out.scale)
    return L.Quantize(self.op.index, "QUANTIZE", (x.index,), (out.index,), kind="requantize", size=x.size,
                      input_zero_point=x.zero_point, output_zero_point=out.zero_point, multiplier=m, shift=s,
                      types=(x.dtype, out.dtype))


def _relu(self: _Op) -> L.Layer:
    x, out = self.t(0), self.out()
    self.per_tensor(x, "input")
    self.per_tensor(out, "output")
    p = q.relu_params(self.op.op, x.scale, out.scale, out.zero_point)
    return L.Relu(self.op.index, self.op.op, (x.index,), (out.index,), size=x.size, input_zero_point=x.zero_point,
                  output_zero_point=out.zero_point, multiplier=p["multiplier"], shift=p["shift"],
                  act=(p["act_min"], p["act_max"]))


_LOWER = {
    "RELU": _relu,
    "RELU6": _relu,
    "RELU_N1_TO_1": _relu,
    "CONV_2D": _conv,
    "DEPTHWISE_CONV_2D": _dwconv,
    "FULLY_CONNECTED": _fc,
    "AVERAGE_POOL_2D": lambda s: _pool(s, "avg"),
    "MAX_POOL_2D": lambda s: _pool(s, "max"),
    "MEAN": _mean,
    "SUM": _mean,
    "REDUCE_MAX": _reduce_max,
    "REDUCE_MIN": _reduce_max,
    "REDUCE_PROD": _reduce_prod,
    "ADD": _binary,
    "SUB": _binary,
    "MUL": _binary,
    "MAXIMUM": _minmax,
    "MINIMUM": _minmax,
    "SQUARED_DIFFERENCE": _squared_difference,
    "EQUAL": _compare,
    "NOT_EQUAL": _compare,
    "GREATER": _compare,
    "GREATER_EQUAL": _compare,
    "LESS": _compare,
    "LESS_EQUAL": _compare,
    "LOGICAL_AND": _logical,
    "LOGICAL_OR": _logical,
    "LOGICAL_NOT": _logical,
    "SELECT": _select,
    "SELECT_V2": _select,
    "CONCATENATION": _concat,
    "PACK": _pack,
    "DEPTH_TO_SPACE": _depth_to_space,
    "SPACE_TO_DEPTH": _depth_to_space,
    "UNPACK": _unpack,
    "RESHAPE": _reshape,
    "SQUEEZE": _reshape,
    "EXPAND_DIMS": _reshape,
    "TRANSPOSE": _transpose,
    "GATHER": _gather,
    "SPACE_TO_BATCH_ND": _space_batch,
    "ARG_MAX": _arg_minmax,
    "BATCH_MATMUL": _batch_matmul,
    "ARG_MIN": _arg_minmax,
    "BATCH_TO_SPACE_ND": _space_batch,
    "SOFTMAX": _softmax,
    "L2_NORMALIZATION": _l2_normalization,
    "LOG_SOFTMAX": _log_softmax,
    "LOGISTIC": _logistic,
    "TANH": _table_op(q.tanh_table),
    "LEAKY_RELU": _leaky_relu,
    "ABS": _table_op(q.abs_table),
    "GELU": _gelu,
    "RSQRT": _table_op(q.rsqrt_table),
    "SQRT": _table_op(q.sqrt_table),
    "EXP": _table_op(q.exp_table),
    "LOG": _table_op(q.log_table),
    "PRELU": _prelu,
    "HARD_SWISH": _hard_swish,
    "PAD": _pad,
    "PADV2": _pad,
    "MIRROR_PAD": _mirror_pad,
    "RESIZE_NEAREST_NEIGHBOR": _resize,
    "RESIZE_BILINEAR": _resize,
    "TRANSPOSE_CONV": _transpose_conv,
    "SPLIT": _split,
    "SPLIT_V": _split,
    "STRIDED_SLICE": _strided_slice,
    "SLICE": _strided_slice,
    "QUANTIZE": _quantize,
    "DEQUANTIZE": _quantize,
}

SUPPORTED_OPS = tuple(sorted(_LOWER))

# Output types besides int8 and float32, by operator: a model's uint8 output, the indices ARG_MAX / ARG_MIN give,
# the bool of comparisons and logical operators (one byte, 0 or 1).
_OTHER_OUTPUT_TYPES = {"QUANTIZE": ("uint8",), "ARG_MAX": ("int32", "int64"), "ARG_MIN": ("int32", "int64"),
                       **{op: ("bool",) for op in (*_COMPARISONS, "LOGICAL_AND", "LOGICAL_OR", "LOGICAL_NOT")}}


# Operators a converter emits to compute a RESHAPE's new shape at run time (Keras' ``Reshape`` in a
# squeeze-and-excitation block: SHAPE → STRIDED_SLICE → PACK), on int32 values only.
_SHAPE_ARITHMETIC = {"SHAPE", "STRIDED_SLICE", "SLICE", "PACK", "CONCATENATION", "GATHER", "CAST"}


def shape_only(graph: GraphInfo) -> set[int]:
    """The operators whose int32 results feed nothing but RESHAPE's new-shape operand (directly or
    through each other). Every tensor's shape is static in the model, and RESHAPE takes its shape from
    its output tensor, so these compute nothing the engine needs: it skips them."""
    consumers: dict[int, list[tuple[int, int]]] = {}
    for op in graph.operators:
        for pos, t in enumerate(op.inputs):
            consumers.setdefault(t, []).append((op.index, pos))
    by_index = {op.index: op for op in graph.operators}
    skipped: set[int] = set()
    for op in reversed(graph.operators):  # execution order, so consumers are decided first
        outs = [graph.tensors[t] for t in op.outputs]
        if op.op not in _SHAPE_ARITHMETIC or any(t.dtype != "int32" or t.index in graph.outputs for t in outs):
            continue
        uses = [u for t in op.outputs for u in consumers.get(t, ())]
        if uses and all(i in skipped or (by_index[i].op == "RESHAPE" and pos == 1) for i, pos in uses):
            skipped.add(op.index)
    return skipped


def lower(graph: GraphInfo) -> list[L.Layer]:
    for t in graph.outputs:
        if t in graph.inputs or graph.tensors[t].is_const:
            what = "the model's input itself" if t in graph.inputs else "a constant"
            raise UnsupportedOpError(f"output tensor {t} is {what}: no operator computes it, nothing to run")
    layers = []
    skipped = shape_only(graph)
    for op in graph.operators:
        if op.index in skipped:
            continue
        fn = _LOWER.get(op.op)
        if fn is None:
            raise UnsupportedOpError(f"{op.op} (node {op.index}) is not supported by the mcunets engine")
        ctx = _Op(graph, op)
        for t in op.outputs:
            if graph.tensors[t].dtype not in ("int8", "float32") + _OTHER_OUTPUT_TYPES.get(op.op, ()):
                ctx.fail(f"output type {graph.tensors[t].dtype} is not supported")
        try:
            layers.append(fn(ctx))
        except UnsupportedOpError:
            raise
        except (AttributeError, IndexError, ValueError, TypeError) as e:
            ctx.fail(f"cannot read its parameters ({e})")
    return layers
