"""The engine's intermediate form: one frozen dataclass per operator.

``lower(graph)`` turns every TFLite operator into a layer that knows its MACs, weight (flash) bytes,
scratch bytes, how close its output may sit to each input in memory (for in-place planning), and how
to emit itself as C: constant arrays plus one kernel call.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any, Callable, Optional

import numpy as np

from mcunets.engine import quant as q
from mcunets.errors import McunetsError

# ---------------------------------------------------------------------------------------------------
# C text helpers


def c_array(ctype: str, name: str, values, per_line: int = 24) -> str:
    vals = [str(int(v)) for v in np.asarray(values).reshape(-1)]
    if not vals:
        vals = ["0"]
    lines = [", ".join(vals[i:i + per_line]) for i in range(0, len(vals), per_line)]
    body = ",\n    ".join(lines)
    return f"static const {ctype} {name}[{len(vals)}] = {{\n    {body}\n}};"


def c_float_array(name: str, values, per_line: int = 6) -> str:
    vals = [q.c_float(v) for v in values]
    lines = [", ".join(vals[i:i + per_line]) for i in range(0, len(vals), per_line)]
    return f"static const float {name}[{len(vals)}] = {{\n    " + ",\n    ".join(lines) + "\n};"


def dims(shape4) -> str:
    n, h, w, c = shape4
    return f"{{{n}, {h}, {w}, {c}}}"


def ints(values) -> str:
    return "{" + ", ".join(str(int(v)) for v in values) + "}"


class EmitContext:
    """What a layer needs from the code generator: C expressions for tensors and scratch memory."""

    def __init__(self, ptr: Callable[[int], str], scratch: Callable[[int], str],
                 const_name: Callable[[int], str]):
        self.ptr = ptr
        self.scratch = scratch
        self.const_name = const_name


# ---------------------------------------------------------------------------------------------------
# Layers


def _weight_decls(p: str, filter, bias) -> tuple[list[str], str]:
    """A layer's int8 filter and optional int32 bias arrays, and the C name of the bias (or NULL)."""
    decls = [c_array("int8_t", p + "filter", filter)]
    if bias is None:
        return decls, "NULL"
    decls.append(c_array("int32_t", p + "bias", bias))
    return decls, p + "bias"


def _shifts(multipliers, shifts) -> list[int]:
    """The shifts as emitted: a zero multiplier (TFLite's QuantizeMultiplier gives (0, 0) for scales below
    2^-32) gets shift -1, which leaves the result 0 in every requantization form and lets the fast
    requantization (shift <= -1) take the channel."""
    return [-1 if int(m) == 0 else int(s) for m, s in zip(multipliers, shifts)]


def _quant_decls(p: str, multipliers, shifts) -> list[str]:
    """A layer's per-channel requantization: multiplier and shift arrays and the struct over them."""
    return [
        c_array("int32_t", p + "mult", multipliers),
        c_array("int32_t", p + "shift", _shifts(multipliers, shifts)),
        f"static const mcu_per_channel_quant {p}quant = {{{p}mult, {p}shift}};",
    ]


@dataclass(frozen=True, eq=False)
class Layer:
    index: int
    op: str
    inputs: tuple  # activation (non-constant) tensors read
    outputs: tuple

    @property
    def macs(self) -> int:
        return 0

    @property
    def weight_bytes(self) -> int:
        return 0

    @property
    def scratch_bytes(self) -> int:
        return 0

    def overlap(self, tensor: int) -> Optional[int]:
        """Minimum (input offset - output offset) that lets the output overlap ``tensor``, or None."""
        return None

    def describe(self) -> str:
        return self.op

    def emit(self, ctx: EmitContext) -> tuple[list[str], list[str]]:
        raise NotImplementedError

    @property
    def elementwise(self) -> bool:
        """One output value per input value, position by position (a ``size`` field counts them)."""
        return False

    def emit_tiles(self, ctx: EmitContext, calls) -> tuple[list[str], list[str]]:
        """An elementwise layer on tiles: its constants once, one call per TileCall."""
        if not self.elementwise:
            raise NotImplementedError(f"{self.op} cannot run on tiles")
        decls, _ = self.emit(EmitContext(lambda t: "NULL", ctx.scratch, ctx.const_name))
        body = []
        for c in calls:
            part = replace(self, size=int(np.prod(c.in_shape)))
            tile_ctx = EmitContext(lambda t, c=c: c.src if t == self.inputs[0] else c.dst, ctx.scratch,
                                   ctx.const_name)
            body += part.emit(tile_ctx)[1]
        return decls, body


def _row_overlap(n: int, in_h: int, row_in: int, out_h: int, row_out: int, stride: int, pad: int) -> int:
    """Distance for kernels that write output rows in order from input rows read in order."""
    worst = None
    for b in range(n):
        for y in range(out_h):
            first_in = max(0, y * stride - pad)
            need = (b * out_h + y + 1) * row_out - (b * in_h + first_in) * row_in
            worst = need if worst is None else max(worst, need)
    return worst if worst is not None else 0


def _fast_requant(weights, bias, input_offset: int, multipliers, shifts) -> int:
    """1 when every accumulator provably lies in [-2^30, 2^30) and every shift (as emitted) is in
    [-31, -1]: the condition of mcu_requantize_fast (firmware/engine/mcu_quant.h) and mcu_requant2_dsp
    (firmware/engine/mcu_dsp.h) that gates the kernels' DSP paths. That is every (multiplier, shift)
    TFLite's QuantizeMultiplier gives for real multipliers below 0.5 (shift <= -1), near-dead channels
    (shifts down to -31, or a zero multiplier) included.

    ``weights`` is [out_c, taps]; inputs are int8 plus ``input_offset`` (0 when folded into the bias).
    """
    shifts = _shifts(multipliers, shifts)
    if not len(shifts) or any(s > -1 or s < -31 for s in shifts):
        return 0
    xmax = max(abs(-128 + input_offset), abs(127 + input_offset))
    w = np.abs(np.asarray(weights, dtype=np.int64)).sum(axis=1) * xmax
    if bias is not None:
        w = w + np.abs(np.asarray(bias, dtype=np.int64))
    return int(int(w.max()) < 2**30)


def _constant_channels(flat, bias, input_offset: int, multipliers, shifts, output_offset: int, act):
    """Channels whose accumulator bound is too wide for the fast requantization (|bias| +
    max|x + input_offset| * sum|w| >= 2^30: near-dead channels of trained models, whose tiny weight scale
    makes the quantized bias huge) but whose output is the same for every input: the requantized value
    at the smallest and at the largest reachable accumulator (requantization is monotonic) agree. Such a
    channel is rewritten to an equivalent one, zero weights, bias 4v, multiplier 2^30 and shift -1, which
    requantizes to that constant v in every kernel and path (v: the clamped output minus the zero point,
    so saturated channels count as constant too). Returns (filter [o, taps], bias,
    multipliers, shifts), rewritten copies or the inputs unchanged."""
    if bias is None or not len(multipliers):
        return flat, bias, multipliers, shifts
    w = np.asarray(flat, dtype=np.int64)
    b = np.asarray(bias, dtype=np.int64)
    lo_x, hi_x = -128 + input_offset, 127 + input_offset
    xmax = max(abs(lo_x), abs(hi_x))
    wide = np.abs(b) + np.abs(w).sum(axis=1) * xmax >= 2**30
    if not wide.any() or len(multipliers) != w.shape[0]:
        return flat, bias, multipliers, shifts
    acc_lo = b + np.minimum(w * lo_x, w * hi_x).sum(axis=1)
    acc_hi = b + np.maximum(w * lo_x, w * hi_x).sum(axis=1)
    w, b = w.copy(), b.copy()
    mults, shs = list(multipliers), list(shifts)
    for c in np.nonzero(wide)[0]:
        if acc_lo[c] < -2**31 or acc_hi[c] >= 2**31:
            continue  # the reference's int32 accumulator could wrap
        out = [min(max(q.requantize(int(a), mults[c], shs[c]) + output_offset, act[0]), act[1])
               for a in (acc_lo[c], acc_hi[c])]
        if out[0] == out[1]:
            v = out[0] - output_offset
            w[c] = 0
            b[c] = 4 * v
            mults[c], shs[c] = 2**30, -1
    return w, b, tuple(mults), tuple(shs)


# Whether _requant_channels rewrites channels that would add their zero point after the shift (tests of the
# kernels' post-shift variants turn it off to keep such channels)
POST_FREE = True


def _post_free(lo: int, hi: int, m: int, shift: int, z: int, act, zs) -> tuple[int, int] | None:
    """A (multiplier, shift) whose requantization needs no post-shift add for any zero point in ``zs``
    (requant_consts: |2z + 1| < 2^(31 - right)) and gives clamp(requantize(acc, m, shift) + z, act) for every
    accumulator in [lo, hi], or None. The outputs are a monotonic step function of acc; two such functions
    agree on [lo, hi] when they agree at lo, hi and both sides of every step of the first (found by bisection),
    so those points are checked exactly. The multiplier is m scaled by 2^(right' - right), rounded, and its
    neighbours."""
    right = -shift
    r2 = right
    while r2 > 1 and any(post_shift(v, r2) for v in zs):
        r2 -= 1
    if r2 == right or any(post_shift(v, r2) for v in zs):
        return None

    def out(a, mm=m, sh=shift):
        return min(max(q.requantize(a, mm, sh) + z, act[0]), act[1])

    pts = {lo, hi}
    for v in range(out(lo) + 1, out(hi) + 1):
        a, b = lo, hi  # the least acc whose output is v or more
        while a < b:
            mid = (a + b) // 2
            a, b = (a, mid) if out(mid) >= v else (mid + 1, b)
        pts.update((a - 1, a))
    pts = [p for p in sorted(pts) if lo <= p <= hi]
    want = [out(p) for p in pts]
    d = right - r2
    for mm in sorted({(m >> d) + i for i in (-1, 0, 1, 2)}, key=lambda x: abs((x << d) - m)):
        if 0 < mm < 2**31 and all(out(p, mm, -r2) == w for p, w in zip(pts, want)):
            return mm, -r2
    return None


def _requant_channels(flat, bias, input_offset: int, multipliers, shifts, output_offset: int, act):
    """_constant_channels, then (POST_FREE) every channel whose zero point would be added after the shift
    (requant_consts: a right shift of 23 or more with a large zero point, or the zero point less act_min
    the depthwise path folds) given an equivalent (multiplier, shift) without that add where _post_free
    finds one that is exact for every reachable accumulator (|bias| + the input range against the
    weights), so the layer's kernels take their variants without the post-shift add. Returns (filter
    [o, taps], bias, multipliers, shifts)."""
    flat, bias, multipliers, shifts = _constant_channels(flat, bias, input_offset, multipliers, shifts,
                                                         output_offset, act)
    zs = (int(output_offset), int(output_offset) - int(act[0]))
    post = [c for c, (m, s) in enumerate(zip(multipliers, shifts))
            if int(m) != 0 and -31 <= int(s) <= -1 and any(post_shift(v, -int(s)) for v in zs)]
    if not POST_FREE or not post or len(multipliers) != len(flat):
        return flat, bias, multipliers, shifts
    w = np.asarray(flat, dtype=np.int64)
    b = np.zeros(len(w), dtype=np.int64) if bias is None else np.asarray(bias, dtype=np.int64)
    lo_x, hi_x = -128 + input_offset, 127 + input_offset
    acc_lo = b + np.minimum(w * lo_x, w * hi_x).sum(axis=1)
    acc_hi = b + np.maximum(w * lo_x, w * hi_x).sum(axis=1)
    mults, shs = list(multipliers), list(shifts)
    for c in post:
        if acc_lo[c] < -2**31 or acc_hi[c] >= 2**31:
            continue  # the reference's int32 accumulator could wrap
        r = _post_free(int(acc_lo[c]), int(acc_hi[c]), int(mults[c]), int(shs[c]), int(output_offset), act, zs)
        if r is not None:
            mults[c], shs[c] = r
    return flat, bias, tuple(mults), tuple(shs)


ROWS3_MAX_C = 3  # MCU_ROWS3_MAX_C in firmware/engine/mcu_engine.h
FIRST_MAX_KH = 16  # MCU_FIRST_MAX_KH in firmware/engine/mcu_engine.h


def _int32(v) -> int:
    v = int(v) & 0xFFFFFFFF
    return v - (1 << 32) if v >= 1 << 31 else v


def _pack16(lo: int, hi: int) -> int:
    """lo in the bottom halfword, hi in the top one, as an int32 (mcu_pack16x2)."""
    return _int32((int(lo) & 0xFFFF) | ((int(hi) & 0xFFFF) << 16))


def requant_consts(z: int, right: int) -> tuple[int, int]:
    """(k, rz) of mcu_requant_consts (firmware/engine/mcu_dsp.h) for the value z added after the shift and
    a right shift in 1..31: k = (2z + 1) << (right - 1) and rz = right when |k| < 2^30, else
    k = 2^(right - 1) and rz = right + 256 z."""
    if not post_shift(z, right):
        return (2 * z + 1) * (1 << (right - 1)), right
    return 1 << (right - 1), _int32(right + 256 * z)


def post_shift(z: int, right: int) -> bool:
    """Whether requant_consts adds z after a right shift in 1..31 (|2z + 1| >= 2^(31 - right): k would not
    fit)."""
    return abs(2 * z + 1) >= 1 << (31 - right)


def channel_consts(z: int, shifts) -> list[tuple[int, int]]:
    """requant_consts(z, -shift) of every channel, (0, 0) for a shift outside -31 .. -1 (the DSP paths
    whose tables hold these run only under fast_requant, where every shift is in that range)."""
    return [requant_consts(z, -int(s)) if -31 <= int(s) <= -1 else (0, 0) for s in shifts]


def narrow_table(filt, bias, input_offset: int, output_offset: int, multipliers, shifts):
    """The constants of the DSP path of 1x1 convolutions on 1-3 input channels (mcu_conv_1x1_narrow_dsp_s8),
    5 int32 words per output channel: 2 * (bias + input_offset * sum(w)), the multiplier, k
    (requant_consts), the doubled weights (w0, w2) as halfwords, and 2 * w1 in the top halfword with the
    right shift in the bottom byte; weights of missing input channels 0. ``filt`` is [out, c] and
    ``shifts`` as emitted; ``input_offset`` 0 when the bias holds it."""
    w = np.zeros((len(filt), 3), dtype=np.int64)
    f = np.asarray(filt, dtype=np.int64).reshape(len(filt), -1)
    w[:, :f.shape[1]] = f
    words = []
    consts = channel_consts(output_offset, shifts)
    for o in range(len(w)):
        right = -int(shifts[o])
        k = consts[o][0]
        b = 0 if bias is None else int(bias[o])
        words += [_int32(2 * (b + input_offset * int(w[o].sum()))), int(multipliers[o]), k,
                  _pack16(2 * w[o, 0], 2 * w[o, 2]), _pack16(right if 1 <= right <= 31 else 0, 2 * w[o, 1])]
    return words


def _pair_requant(ch, multipliers, consts) -> list[int]:
    """The requantization words of an output channel pair ``ch`` in the DSP tables' layout:
    {m0, k0, m1, k1, rz0, rz1} (``consts`` from channel_consts)."""
    words = []
    for oc in ch:
        words += [int(multipliers[oc]), consts[oc][0]]
    return words + [consts[oc][1] for oc in ch]


def rows3_table(filt, bias, output_offset: int, multipliers, shifts):
    """The constants of the DSP 3x3 row path (mcu_conv_3x3_rows_dsp_s8: input depth c <= ROWS3_MAX_C), per
    output channel pair (an odd last channel paired with itself) 6 * nw + 8 int32 words, nw = ceil(3c / 2):
    row by row, word j of each channel holds the doubled taps 2j, 2j + 1 of the row's 3c as halfwords (the
    last one's second 0 when 3c is odd), the pair's two channels alternating; then the pair's
    requantization table {2 * bias0, 2 * bias1, m0, k0, m1, k1, rz0, rz1} (requant_consts of the zero
    point). ``filt`` is [out, 3, 3, c] as emitted, ``bias`` the bias the kernel gets (folded or not),
    ``shifts`` as emitted."""
    f = np.asarray(filt, dtype=np.int64)
    o, c = f.shape[0], f.shape[3]
    nw = (3 * c + 1) // 2
    b = np.zeros(o, dtype=np.int64) if bias is None else np.asarray(bias, dtype=np.int64)
    words = []
    cq = channel_consts(output_offset, shifts)
    for pr in range((o + 1) // 2):
        ch = (2 * pr, min(2 * pr + 1, o - 1))
        for k in range(3):
            taps = [np.concatenate([2 * f[oc, k].reshape(-1), [0]]) for oc in ch]
            for j in range(nw):
                words += [_pack16(t[2 * j], t[2 * j + 1]) for t in taps]
        words += [_int32(2 * b[oc]) for oc in ch] + _pair_requant(ch, multipliers, cq)
    return words


def rows3c1_table(filt, bias, output_offset: int, multipliers, shifts):
    """The constants of the DSP 3x3 path on one input channel (mcu_conv_3x3_c1_dsp_s8): word 0 is 1 when a
    channel adds its zero point after the shift, then per output channel pair (an odd last channel paired
    with itself) 18 int32 words {2 * bias0, 2 * bias1, P0 of both channels, P1 of both, P2 of
    both, Y of both, Z of both, m0, k0, m1, k1, rz0, rz1}: Pk = the doubled taps (w[k][0], w[k][1]) of row
    k as halfwords, Y = (2 w[0][2], 2 w[1][2]), Z = (2 w[2][2], 0) (requant_consts of the zero point).
    ``filt`` is [out, 3, 3, 1] as emitted, ``bias`` the bias the kernel gets (folded or not), ``shifts``
    as emitted."""
    w = 2 * np.asarray(filt, dtype=np.int64)[..., 0]
    o = w.shape[0]
    b = np.zeros(o, dtype=np.int64) if bias is None else np.asarray(bias, dtype=np.int64)
    cq = channel_consts(output_offset, shifts)
    words = [int(any(rz >> 8 for _, rz in cq))]
    for pr in range((o + 1) // 2):
        ch = (2 * pr, min(2 * pr + 1, o - 1))
        words += [_int32(2 * b[oc]) for oc in ch]
        for k in range(3):
            words += [_pack16(w[oc, k, 0], w[oc, k, 1]) for oc in ch]
        words += [_pack16(w[oc, 0, 2], w[oc, 1, 2]) for oc in ch]
        words += [_pack16(w[oc, 2, 2], 0) for oc in ch] + _pair_requant(ch, multipliers, cq)
    return words


def first_table(filt, bias, output_offset: int, multipliers, shifts):
    """The constants of the DSP k x k first-convolution path (mcu_conv_first_dsp_s8 in mcu_conv_dsp_s8.c: input
    depth 1-3, any kernel size): word 0 is 1 when a channel adds its zero point after the shift, then per output
    channel pair (an odd count's last pair the channels (o - 2, o - 1)) {2 * bias0, 2 * bias1, W, m0, k0, m1,
    k1, rz0, rz1}: W per group of four taps g (the filter's kh * kw * c taps in its order, padded with 0 to
    4 * groups) the doubled taps (4g, 4g + 1), (4g + 2, 4g + 3) as halfwords of channel 0, then of channel 1
    (requant_consts of the zero point). ``filt`` is [out, kh, kw, c] as emitted, ``bias`` the bias the kernel
    gets (folded or not), ``shifts`` as emitted."""
    f = 2 * np.asarray(filt, dtype=np.int64).reshape(len(filt), -1)
    o, k = f.shape
    groups = (k + 3) // 4
    w = np.zeros((o, 4 * groups), dtype=np.int64)
    w[:, :k] = f
    b = np.zeros(o, dtype=np.int64) if bias is None else np.asarray(bias, dtype=np.int64)
    cq = channel_consts(output_offset, shifts)
    words = [int(any(rz >> 8 for _, rz in cq))]
    pairs = [(2 * p, 2 * p + 1) for p in range(o // 2)] + ([(o - 2, o - 1)] if o % 2 else [])
    for ch in pairs:
        words += [_int32(2 * b[oc]) for oc in ch]
        for g in range(groups):
            for oc in ch:
                words += [_pack16(w[oc, 4 * g], w[oc, 4 * g + 1]), _pack16(w[oc, 4 * g + 2], w[oc, 4 * g + 3])]
        words += _pair_requant(ch, multipliers, cq)
    return words


def kxk_table(bias, output_offset: int, multipliers, shifts):
    """The requantization table of the DSP k x k three-pixel path (kxk_triples in mcu_conv_dsp_s8.c: input
    depth a multiple of 4, upper clamp 127): word 0 is 1 when a channel adds its zero point after the shift
    (rz >> 8), then per output channel {2 * bias, multiplier, k, rz} (requant_consts). ``bias`` is the bias
    the kernel gets (folded or not), ``shifts`` as emitted; the path runs only under fast_requant (every
    shift in -31 .. -1)."""
    consts = channel_consts(output_offset, shifts)
    words = []
    for o, (kk, rz) in enumerate(consts):
        words += [_int32(2 * (0 if bias is None else int(bias[o]))), int(multipliers[o]), kk, rz]
    return [int(any(rz >> 8 for _, rz in consts))] + words


def small1x1_table(filt, bias, output_offset: int, multipliers, shifts, pixel: bool = False):
    """The constants of the DSP small 1x1 path (mcu_conv_1x1_small_table_dsp_s8: input depth c a multiple of 4
    up to 32, an even output channel count, upper clamp 127): word 0 is 1 when a channel adds its zero point after
    the shift (rz >> 8), then per output channel pair its two filter rows (2c int8 bytes, packed four to a
    word as they lie in memory) and its requantization table {2 * bias0, 2 * bias1, m0, k0, m1, k1, rz0,
    rz1} (requant_consts), the block the kernel's assembly walks with one pointer. ``filt`` is [out, c],
    ``bias`` the bias the kernel gets (folded or not), ``shifts`` as emitted; the path runs only under
    fast_requant (every shift in -31 .. -1). An input depth c that is not a multiple of 4 (5 .. 31) has its rows
    padded with zero weights to c rounded up to 4 (the kernel reads that many bytes of each pixel, the pad
    bytes meeting the next pixel's first values or a padded copy of the input's last pixel).

    Rows of 12 and of 20 .. 32 bytes (small1x1_encoded) are stored encoded (the
    kernel's MCU_E_FN): per group of four inputs row a's word, then row b's, each with bytes 0 and 2 XORed
    with 0x80 (fc_encode), and the start values are bias + 128 * (the row's sum of weights at odd positions)
    modulo 2^32 instead of 2 * bias.

    ``pixel`` (small1x1_pixel: input depth 5 to 18, rows of r = 8, 12, 16 or 18 values): the one-pixel layout
    of the kernel's smallx<r> instead, per output channel r / 2 + 4 words: 2 * bias, the doubled weights (w0,
    w2), (w1, w3), (w4, w6), (w5, w7), ... up to w15, then (w16, w17) at r = 18 (zero past the depth) as
    halfwords, m, k and rz & 0xFFFF (the right shift, the post-shift zero point in byte 1), bit 31 of the
    last channel's rz set (the end of the table)."""
    f = np.asarray(filt, dtype=np.int64).reshape(len(filt), -1)
    f = np.concatenate([f, np.zeros((len(f), -f.shape[1] % 4), dtype=np.int64)], axis=1)
    o, c = f.shape  # (c: the depth rounded up to 4)
    if pixel:
        consts = channel_consts(output_offset, shifts)
        b = np.zeros(o, dtype=np.int64) if bias is None else np.asarray(bias, dtype=np.int64)
        words = [int(any(rz >> 8 for _, rz in consts))]
        for oc in range(o):
            w2 = 2 * f[oc]
            kk, rz = consts[oc]
            words += [_int32(2 * int(b[oc]))]
            words += [_pack16(w2[4 * g + j], w2[4 * g + j + 2]) for g in range(min(c, 16) // 4) for j in (0, 1)]
            words += [_pack16(w2[16], w2[17])] if c > 16 else []
            words += [int(multipliers[oc]), kk, _int32((rz & 0xFFFF) | (1 << 31 if oc == o - 1 else 0))]
        return words
    c4 = c
    enc = small1x1_encoded(c4)
    consts = channel_consts(output_offset, shifts)
    b = np.zeros(o, dtype=np.int64) if bias is None else np.asarray(bias, dtype=np.int64)
    words = [int(any(rz >> 8 for _, rz in consts))]
    for pr in range(o // 2):
        ch = (2 * pr, 2 * pr + 1)
        if enc:
            e = fc_encode(f[2 * pr:2 * pr + 2]).reshape(2, c4 // 4, 4).transpose(1, 0, 2).reshape(-1).view(np.uint8)
            start = [b[oc] + 128 * f[oc, 1::2].sum() for oc in ch]
        else:
            e = f[2 * pr:2 * pr + 2].reshape(-1).astype(np.int8).view(np.uint8)
            start = [2 * b[oc] for oc in ch]
        words += [_int32(int.from_bytes(bytes(e[i:i + 4]), "little")) for i in range(0, len(e), 4)]
        words += [_int32(v) for v in start] + _pair_requant(ch, multipliers, consts)
    return words


def small1x1_pixel(c: int) -> bool:
    """Whether the small 1x1 path's table takes its one-pixel layout (small1x1_table, pixel=True; the
    kernel's smallx<r>, picked in mcu_conv_1x1_small_table_dsp_s8 on the same property): an input depth
    whose widened pixel fits in nine registers, rows of r = small1x1_pixel_rows(c) 8 to 18 values (depths 5
    to 18), at any clamp (act_min -128 and act_max 127: SSAT alone; act_min above: the _lo kernels; act_max
    below 127: the _lh kernels)."""
    return 8 <= small1x1_pixel_rows(c) <= 18


def small1x1_pixel_rows(c: int) -> int:
    """The row length of the one-pixel layout for input depth c: c rounded up to a multiple of 4, but 18 for
    depths 17 and 18 (16 values in eight registers, two in a ninth)."""
    return 18 if 16 < c <= 18 else (c + 3) & ~3


def small1x1_encoded(c4: int) -> bool:
    """Whether the small 1x1 path's table stores rows of c4 bytes (the input depth rounded up to 4) encoded:
    rows of 20 bytes and more, and of 12 (whose widened rows the layer's scratch holds only up to six
    output channels; rows of 4, 8 and 16 bytes are widened into scratch from 12 output pixels)."""
    return c4 >= 20 or c4 == 12


def fc_encode(blocks):
    """The encoded FULLY_CONNECTED rows (mcu_fc_params.table): byte 0 and byte 2 of every group of four
    weights XORed with 0x80, i.e. stored as the weight + 128 as an unsigned byte (see
    firmware/engine/mcu_fully_connected_s8.c). ``blocks`` is the int8 layout [..., 4]."""
    e = np.asarray(blocks, dtype=np.int8).reshape(-1, 4).view(np.uint8).copy()
    e[:, 0] ^= 0x80
    e[:, 2] ^= 0x80
    return e.view(np.int8).reshape(-1)


def requant1_consts(z: int, shift: int) -> tuple[int, int, int]:
    """(hi0, lo0, rz) of mcu_requant1_dsp (firmware/engine/mcu_dsp.h: single rounding, then + z) for a
    shift in -31 .. -1, k = -shift - 1: hi0:lo0 = 2^(31 + k) (2z + 1) as a 64-bit value when
    |2z + 1| < 2^(31 - k) (so it stays below 2^62), rz = k; else hi0:lo0 = 2^(31 + k) and
    rz = k + 256 z (z added after the shift). lo0 as an int32."""
    k = -int(shift) - 1
    odd = 2 * int(z) + 1
    fold = abs(odd) < 1 << (31 - k)
    c = (odd if fold else 1) << (31 + k)
    return _int32(c >> 32), _int32(c), _int32(k + (0 if fold else 256 * int(z)))


def fc_table(filt, bias, output_offset: int, multipliers, shifts, sizes):
    """The table of the encoded FULLY_CONNECTED blocks (mcu_fc_params.table), per block of n rows (``sizes``:
    the head block's n, then 6 for each block of six rows) 5n int32 words: the start values bias + 128 *
    (the sum of the row's weights at odd input positions) modulo 2^32, then {multiplier, hi0, lo0, rz}
    (requant1_consts of the output zero point) of each row. ``filt`` is [rows, depth] (the encoded rows),
    ``bias`` the bias the kernel gets (the input offset folded) or None, ``multipliers`` and ``shifts`` (as
    emitted, each in -31 .. -1) one per row."""
    f = np.asarray(filt, dtype=np.int64)
    rows = f.shape[0]
    b = np.zeros(rows, dtype=np.int64) if bias is None else np.asarray(bias, dtype=np.int64)[:rows]
    start = b + 128 * f[:, 1::2].sum(axis=1)
    words = []
    r0 = 0
    for n in sizes:
        words += [_int32(v) for v in start[r0:r0 + n]]
        for r in range(r0, r0 + n):
            words += [int(multipliers[r]), *requant1_consts(output_offset, int(shifts[r]))]
        r0 += n
    return words


def dw3_table(filt, bias, input_offset: int, output_offset: int, act_min: int, multipliers, shifts):
    """The constants of the DSP three-tap depthwise path (mcu_depthwise_3tap_dsp_s8), 18 int32 words per
    group of four channels c0 .. c0 + 3: the start values 2 * (bias + input_offset * sum(w)) of the four
    channels; (multiplier, k) of each channel; rz of each channel (requant_consts); act_min in every byte;
    0. The weights stay in the layer's int8 filter (the kernel widens them per group and output row).
    ``filt`` is [3, channels] (the taps as emitted), ``shifts`` as emitted."""
    w = np.asarray(filt, dtype=np.int64).reshape(3, -1)
    c = w.shape[1]
    b = np.zeros(c, dtype=np.int64) if bias is None else np.asarray(bias, dtype=np.int64)
    sums = 2 * w.sum(axis=0)
    cq = channel_consts(output_offset, shifts)
    words = []
    for c0 in range(0, c, 4):
        g = list(range(c0, c0 + 4))
        words += [_int32(2 * b[j] + input_offset * sums[j]) for j in g]
        consts = [cq[j] for j in g]
        for j, (kk, _) in zip(g, consts):
            words += [int(multipliers[j]), kk]
        words += [rz for _, rz in consts]
        words += [_int32(0x01010101 * (act_min & 0xFF)), 0]
    return words


def _bytes32(b0: int, b1: int, b2: int, b3: int) -> int:
    """Four int8 values as the bytes 0 .. 3 of an int32 word (little-endian)."""
    return _int32(sum((int(v) & 0xFF) << (8 * i) for i, v in enumerate((b0, b1, b2, b3))))


def dw3x3_s2_table(filt, bias, input_offset: int, output_offset: int, act_min: int, multipliers, shifts,
                   stride1: bool = False):
    """The constants of the DSP stride-2 3x3 depthwise path (mcu_depthwise_3x3_dsp_s2_*: four channels per
    word, no ring), or None when it does not apply (a shift outside -31 .. -1): word 0 is 1 when a channel
    adds its zero point after the shift (rz >> 8); then per group of four channels c0 .. c0 + 3 twelve
    words (multiplier, k) of each channel and rz of each channel (requant_consts of the output zero point,
    act_min not folded: the kernel clamps the packed bytes), with act_min > -128 a thirteenth, act_min in
    every byte; then per group
    thirteen words more: the start values 2 * (bias + input_offset * sum(w)) of the four channels and the
    nine int8 weights of the group in nine words, the taps paired as the kernel reads them, (02, 12),
    (00, 01), (10, 11), 22 alone, (20, 21): a pair (a, b) in two words, bytes [wa0 wa1 wb0 wb1] and
    [wa2 wa3 wb2 wb3] (SXTB16 plain and rotated by 8 gives the channels' (wa, wb) halfword pairs), tap 22
    in one word [w0 w1 w2 w3]. The kernel widens (and doubles) the weights into its scratch once per call.
    ``filt`` is [9, channels] (the taps row by row, as emitted), ``shifts`` as emitted. ``stride1``: for a
    stride-1 layer on the same path (DepthwiseConv2D.s1_words), word 0 then has bit 1 set as well (the
    dispatch tells the layout from dw3x3_s1_table's by it)."""
    w = np.asarray(filt, dtype=np.int64).reshape(9, -1)
    c = w.shape[1]
    if c % 4 or any(not -31 <= int(s) <= -1 for s in shifts[:c]):
        return None
    b = np.zeros(c, dtype=np.int64) if bias is None else np.asarray(bias, dtype=np.int64)
    consts = channel_consts(output_offset, shifts[:c])
    head = [int(any(rz >> 8 for _, rz in consts)) | (2 if stride1 else 0)]
    groups, weights = [], []
    for c0 in range(0, c, 4):
        g = range(c0, c0 + 4)
        for j in g:
            groups += [int(multipliers[j]), consts[j][0]]
        groups += [consts[j][1] for j in g] + ([_int32(0x01010101 * (act_min & 0xFF))] if act_min > -128 else [])
        weights += [_int32(2 * _int32(b[j] + input_offset * int(w[:, j].sum()))) for j in g]
        for ta, tb in ((2, 5), (0, 1), (3, 4), (8, None), (6, 7)):
            if tb is None:
                weights.append(_bytes32(*w[ta, c0:c0 + 4]))
            else:
                weights += [_bytes32(w[ta, c0], w[ta, c0 + 1], w[tb, c0], w[tb, c0 + 1]),
                            _bytes32(w[ta, c0 + 2], w[ta, c0 + 3], w[tb, c0 + 2], w[tb, c0 + 3])]
    return head + groups + weights


# the largest output map (pixels) of a stride-1 3x3 depthwise layer on the four-channels-per-word path
# (measured on qemu-m4: 12x12 maps run faster that way at 8 to 128 channels, 16x16 ones on the ring rows)
S1_WORDS_PIXELS = 144


# the largest output map (pixels) of such a layer on that path when the schedule runs it in channel chunks
# (each chunk pays its set-up and per pixel its rows' advance: measured on qemu-m4 in chunks of 4, 6x6 .. 10x10
# maps run faster that way, 12x12 ones on the ring rows)
S1_WORDS_CHUNK_PIXELS = 100


def dw3x3_s1_words(out_shape) -> bool:
    """Whether a stride-1 3x3 depthwise layer with this output map runs four channels per word
    (DepthwiseConv2D.s1_words) rather than the ring rows: small maps, where the rows' per-call table, per
    input row fill and per channel and row tail cost more than widening every input word per use; not rows
    of 4q + 1 >= 5 outputs, which the rows run in quads and one five-output step (DS-CNN's 25x5 maps:
    2.6-2.7 instructions per MAC there, ≈ 2.8 four channels per word)."""
    _, h, w, _ = out_shape
    return w * h <= S1_WORDS_PIXELS and not (w >= 5 and w % 4 == 1)


def _dw3x3_consts(filt, bias, input_offset: int, output_offset: int, act_min: int, multipliers, shifts):
    """Word 0 of dw3x3_s2_table, then per channel the start value, the multiplier, k, rz and the folded
    act_min; None when those rows do not apply."""
    w = np.asarray(filt, dtype=np.int64).reshape(9, -1)
    c = w.shape[1]
    b = np.zeros(c, dtype=np.int64) if bias is None else np.asarray(bias, dtype=np.int64)
    fold = act_min if act_min > -128 else 0
    if any(not -31 <= int(s) <= -1 for s in shifts[:c]):
        return None
    consts = channel_consts(output_offset - fold, shifts[:c])
    post = any(rz >> 8 for _, rz in consts)
    if post and fold:
        return None
    words = [int(post)]
    for j, (kq, rz) in enumerate(consts):
        t = w[:, j]
        words += [_int32(2 * _int32(b[j] + input_offset * int(t.sum()))), int(multipliers[j]), kq, rz, fold]
    return words


def dw3x3_s1_table(filt, bias, input_offset: int, output_offset: int, act_min: int, multipliers, shifts):
    """The constants of the DSP stride-1 3x3 depthwise rows (mcu_depthwise_3x3_dsp_s1_*_t_s8, which widen the
    weights from the int8 filter into their scratch table per call), or None when they do not apply: word 0
    as in dw3x3_s2_table, then 5 int32 words per channel, those of dw3x3_s2_table without the weights (the
    start value, the multiplier, k, rz and the folded act_min)."""
    return _dw3x3_consts(filt, bias, input_offset, output_offset, act_min, multipliers, shifts)


@dataclass(frozen=True, eq=False)
class Windowed(Layer):
    """A layer sliding a window over NHWC rows (convolutions and pools): it writes output rows in
    order while reading input rows in order."""
    in_shape: tuple = ()
    out_shape: tuple = ()
    stride: tuple = (1, 1)
    padding: tuple = (0, 0)

    def overlap(self, tensor):
        n, ih, iw, ic = self.in_shape
        _, oh, ow, oc = self.out_shape
        return _row_overlap(n, ih, iw * ic, oh, ow * oc, self.stride[0], self.padding[0])

    def _describe(self, kh: int, kw: int, extra: str = "") -> str:
        return (f"{self.op} {kh}x{kw} stride {self.stride[0]}x{self.stride[1]}{extra}: "
                f"{'x'.join(map(str, self.in_shape))} -> {'x'.join(map(str, self.out_shape))}")

    def window(self, axis: int) -> tuple[int, int, int]:
        """(extent of the window in input pixels, stride, padding before) along axis 0 (rows) or 1."""
        raise NotImplementedError

    def tile_scratch(self, in_shape, out_shape) -> int:
        """The scratch of one call on a part of the layer (a patch-stage tile)."""
        return replace(self, in_shape=in_shape, out_shape=out_shape).scratch_bytes

    def emit(self, ctx):
        return self.emit_tiles(ctx, [TileCall(self.in_shape, self.out_shape, self.padding,
                                              ctx.ptr(self.inputs[0]), ctx.ptr(self.outputs[0]),
                                              ctx.scratch(self.index))])

    def emit_tiles(self, ctx, calls) -> tuple[list[str], list[str]]:
        """The layer's constants once, then one kernel call per TileCall (a part of the layer's output
        computed from a part of its input); each distinct padding and shape gets its own parameters
        and dims (suffix _v<k>; none for the layer's own)."""
        p = f"l{self.index}_"
        decls, state = self._constants(p)
        names: dict = {}

        def name(kind: str, value, own) -> str:
            key = (kind, tuple(value))
            if key not in names:
                count = sum(1 for k in names if k[0] == kind)
                names[key] = p + kind + ("" if tuple(value) == tuple(own) else f"_v{count}")
                decls.append(self._params(names[key], value[0], state, *([value[1]] if any(value[1]) else []))
                             if kind == "params" else f"static const mcu_dims {names[key]} = {dims(value)};")
            return names[key]

        body = [self._planned_call(p, c, decls, names) or
                self._call(p, name("params", (tuple(c.padding), (c.in_row, c.out_row)), (tuple(self.padding), (0, 0))),
                           name("in", c.in_shape, self.in_shape), name("out", c.out_shape, self.out_shape),
                           c.src, c.dst, c.scratch, state)
                for c in calls]
        return decls, body

    def _planned_call(self, p, call, decls, names) -> str | None:
        """A call whose every bound and offset the code generator computed (its constants appended to
        decls, named once per distinct value through names), or None for the kernel's own dispatch."""
        return None


@dataclass(frozen=True)
class TileCall:
    """One kernel call of a layer on a tile: input and output shapes, the padding the tile still sees
    (top, left) and the C expressions of its input, output and scratch memory."""
    in_shape: tuple
    out_shape: tuple
    padding: tuple
    src: str
    dst: str
    scratch: str = "NULL"
    in_row: int = 0   # bytes from a row of the input, of the output to the next: 0, the tile's own; else the
    out_row: int = 0  # rows of the map it lies in (a convolution with ``Conv2D.strided``)


@dataclass(frozen=True, eq=False)
class Conv2D(Windowed):
    filter: Any = None  # [O, KH, KW, FC] int8
    bias: Any = None    # [O] int32 or None
    dilation: tuple = (1, 1)
    input_offset: int = 0
    output_offset: int = 0
    act: tuple = (-128, 127)
    multipliers: tuple = ()
    shifts: tuple = ()

    @property
    def macs(self):
        o, kh, kw, fc = self.filter.shape
        return self.out_shape[0] * self.out_shape[1] * self.out_shape[2] * o * kh * kw * fc

    @property
    def scratch_bytes(self):
        """mcu_conv_s8_buffer_size: int16 pixels, patches, requantization tables (and padded filter rows)
        of the DSP paths; the 3x3 row path's weights and tables only without its flash table (rows3)."""
        o, kh, kw, fc = self.filter.shape
        ic = self.in_shape[3]
        size = 0
        if kh == 1 and kw == 1 and fc == ic and ic % 4 == 0:
            rows = 2 * ic if ic in (8, 16, 32) else 0
            size += (4 * ic if rows else 8 * ic) + (32 + rows) * ((o + 1) // 2)
        k = kh * kw * fc
        k4 = (k + 3) & ~3
        kxk = rows3 = 0
        if fc == ic and not (kh == kw == 1 and (ic % 4 == 0 or ic <= 3)):
            kxk = (6 if ic % 4 == 0 else 12) * k4 + 4 + 32 * ((o + 1) // 2) + (o * k4 if k != k4 else 0)
        if (kh, kw) == (3, 3) and fc == ic and ic <= ROWS3_MAX_C:
            # the weights and tables only when the code generator gives no table (rows3_table)
            nw = (3 * ic + 1) // 2
            row_words = ((self.in_shape[2] + 2) * ic + 1) // 2 + 1
            rows3 = 4 * ((0 if self.rows3 else ((o + 1) // 2) * (3 * nw * 2 + 8)) + 6 * row_words)
            if self.rows3c1 and o % 2:
                rows3 += (o + 4) & ~3  # the last pixel of a row, out_c + 1 bytes (mcu_conv_3x3_c1_dsp_s8)
        if self.first:
            # the k x k first-convolution path's patches, tap offsets and ring of kh int16 rows
            g = (kh * kw * ic + 3) // 4
            rows3 = max(rows3, 32 * g + 2 * kh * (((self.in_shape[2] + kw) * ic + 1) & ~1))
        if self.rows3_fits:
            # the k x k path never runs: the 3x3 row path on DSP cores, else im2col (4 * o + k rounded up
            # to 16 bytes) where the portable kernels take scratch
            kxk = 4 * o + ((k + 15) & ~15)
        return size + max(kxk, rows3)

    @property
    def rows3_fits(self) -> bool:
        """Whether mcu_conv_s8 takes the 3x3 row path wherever it takes a DSP path with scratch: the
        layer gets its table (``rows3``), its padding is not negative and the window of its last output
        column ends at most 2 pixels past its input ((out_w - 1) * stride + 3 <= in_w + 2). A tile of such
        a layer keeps it: its window is the layer's window clipped to the input, at most by the layer's
        padding."""
        return (self.rows3 and not self.first and min(self.padding) >= 0
                and (self.out_shape[2] - 1) * self.stride[1] + 3 <= self.in_shape[2] + 2)

    @property
    def strided(self) -> bool:
        """Whether a tile of the layer may read its input and write its output through the rows of the
        maps they lie in (mcu_conv_params.in_row, out_row: the 1x1 paths with the code generator's tables
        (1-3 channels, 4-32), the 3x3 row path, im2col and the generic kernel take them; the layer runs on
        those paths anyway)."""
        return self.rows3_fits or ((self.narrow or self.small1x1) and self._prepared[5])

    def emit_tiles(self, ctx, calls):
        for c in calls:  # a tile keeps the layer's path: its scratch holds no more (scratch_bytes)
            if self.rows3_fits and (min(c.padding) < 0
                                    or (c.out_shape[2] - 1) * self.stride[1] + 3 > c.in_shape[2] + 2):
                raise McunetsError(f"layer {self.index}: a tile leaves the 3x3 row path")
            if self.first and (c.out_shape[2] - 1) * self.stride[1] > c.in_shape[2]:
                raise McunetsError(f"layer {self.index}: a tile leaves the first-convolution path")
            if (c.in_row or c.out_row) and not self.strided:
                raise McunetsError(f"layer {self.index}: rows through the maps' strides on a path without them")
        return super().emit_tiles(ctx, calls)

    @property
    def weight_bytes(self):
        """Flash bytes of the layer's constant data that a firmware for a DSP core links: the table _constants
        emits for the layer's path, and the int8 filter, bias and requantization arrays unless the path
        reads only its table (under fast_requant: 1x1 on 1-3 channels, the small 1x1 path, the k x k
        first-convolution path and the one-channel 3x3 path, whose dispatch in mcu_engine.h passes none of
        them on). Portable kernels (cores without the DSP extension) link those arrays as well."""
        o = self.filter.shape[0]
        _, bias, _, _, _, fast = self._prepared
        pairs = (o + 1) // 2
        nw = (3 * self.filter.shape[3] + 1) // 2
        if self.narrow:
            table = 20 * o
        elif not fast:
            table = 0
        elif self.first:
            table = 4 + 4 * pairs * (8 + 4 * ((self.filter[0].size + 3) // 4))
        elif self.rows3:
            table = 4 + 72 * pairs if self.rows3c1 else 4 * pairs * (6 * nw + 8)
        elif self.small1x1 and small1x1_pixel(self.filter.shape[3]):
            table = (2 * small1x1_pixel_rows(self.filter.shape[3]) + 16) * o + 4
        elif self.small1x1:
            table = (o // 2) * (2 * ((self.filter.shape[3] + 3) & ~3) + 32) + 4
        elif self.kxk_triples:
            table = 16 * o + 4
        else:
            table = 0
        if fast and (self.narrow or self.first or self.small1x1 or (self.rows3c1 and self.rows3_fits)):
            return table
        return self.filter.size + (4 * o if bias is not None else 0) + 8 * o + table

    def describe(self):
        o, kh, kw, fc = self.filter.shape
        g = self.in_shape[3] // fc
        extra = f" groups {g}" if g > 1 else ""
        dil = f" dilation {self.dilation[0]}x{self.dilation[1]}" if self.dilation != (1, 1) else ""
        return self._describe(kh, kw, dil + extra)

    @property
    def all_taps_inside(self) -> bool:
        """Whether every filter tap of every output reads inside the input (no padding reached)."""
        _, ih, iw, _ = self.in_shape
        _, oh, ow, _ = self.out_shape
        _, kh, kw, _ = self.filter.shape
        if self.padding != (0, 0):
            return False
        return ((oh - 1) * self.stride[0] + (kh - 1) * self.dilation[0] < ih
                and (ow - 1) * self.stride[1] + (kw - 1) * self.dilation[1] < iw)

    def window(self, axis):
        return (self.filter.shape[1 + axis] - 1) * self.dilation[axis] + 1, self.stride[axis], self.padding[axis]

    @cached_property
    def _prepared(self):
        """(int8 filter as emitted, the emitted bias or None, folded, multipliers, shifts, fast): the
        constant channels rewritten (_constant_channels), the input offset folded into the bias when every
        tap reads inside the input, and whether the layer runs under fast_requant."""
        o = self.filter.shape[0]
        flat, lbias, mults, shifts = _requant_channels(self.filter.reshape(o, -1), self.bias,
                                                        self.input_offset, self.multipliers, self.shifts,
                                                        self.output_offset, self.act)
        filt = np.asarray(flat).reshape(self.filter.shape).astype(np.int8)
        folded = 0
        if self.all_taps_inside and self.input_offset != 0:
            # bias + input_offset * sum(filter): exact in int32, saves the offset add per MAC
            sums = filt.reshape(o, -1).astype(np.int64).sum(axis=1)
            b = (np.asarray(lbias, dtype=np.int64) if lbias is not None else 0) + self.input_offset * sums
            lbias, folded = ((b + 2**31) % 2**32 - 2**31).astype(np.int64), 1
        fast = _fast_requant(filt.reshape(o, -1), lbias, 0 if folded else self.input_offset, mults, shifts)
        return filt, lbias, folded, mults, shifts, fast

    def _constants(self, p):
        filt, b, folded, mults, shifts, fast = self._prepared
        decls = [c_array("int8_t", p + "filter", filt)]
        bias = "NULL"
        if b is not None:
            decls.append(c_array("int32_t", p + "bias", b))
            bias = p + "bias"
        flat = filt.reshape(len(filt), -1)
        decls += _quant_decls(p, mults, shifts)
        decls.append(f"static const mcu_dims {p}fdims = {dims(self.filter.shape)};")
        table = "NULL"
        if self.narrow:
            table = p + "narrow"
            words = narrow_table(flat, b, 0 if folded else self.input_offset,
                                 self.output_offset, mults, _shifts(mults, shifts))
            decls.append(c_array("int32_t", table, words, per_line=10))
        elif self.first and fast:
            table = p + "first"
            decls.append(c_array("int32_t", table, first_table(filt, b, self.output_offset,
                                                               mults, _shifts(mults, shifts)), per_line=10))
        elif self.rows3 and fast:
            table = p + "rows3"
            make = rows3c1_table if self.rows3c1 else rows3_table
            decls.append(c_array("int32_t", table, make(filt, b, self.output_offset,
                                                        mults, _shifts(mults, shifts)), per_line=10))
        elif self.small1x1 and fast:
            table = p + "pw"
            decls.append(c_array("int32_t", table, small1x1_table(
                flat, b, self.output_offset, mults, _shifts(mults, shifts),
                pixel=small1x1_pixel(self.filter.shape[3])), per_line=9))
        elif self.kxk_triples and fast:
            table = p + "kxk"
            decls.append(c_array("int32_t", table, kxk_table(b, self.output_offset, mults,
                                                             _shifts(mults, shifts)), per_line=9))
        return decls, (bias, folded, fast, table)

    @property
    def kxk_triples(self) -> bool:
        """Whether the layer gets the table of the DSP k x k three-pixel path (kxk_table): not 1x1, no
        groups, input depth a multiple of 4, upper clamp 127 (the kernel also needs fast_requant and three
        or more output pixels per call)."""
        o, kh, kw, fc = self.filter.shape
        return (kh, kw) != (1, 1) and fc == self.in_shape[3] and fc % 4 == 0 and self.act[1] == 127

    @property
    def small1x1(self) -> bool:
        """Whether the layer gets the table of the DSP small 1x1 path (small1x1_table): 1x1, no groups, no
        padding, input depth 4 to 32 (rows padded to a multiple of 4), an even output channel count, upper
        clamp 127 or the one-pixel layout (small1x1_pixel: any clamp) (the kernel also needs fast_requant)."""
        o, kh, kw, fc = self.filter.shape
        return (kh == kw == 1 and fc == self.in_shape[3] and 4 <= fc <= 32 and self.padding == (0, 0)
                and o % 2 == 0 and (self.act[1] == 127 or small1x1_pixel(fc)))

    @property
    def rows3(self) -> bool:
        """Whether the layer gets the table of the DSP 3x3 row path (rows3_table): 3x3, no groups, input
        depth at most ROWS3_MAX_C, dilation 1, stride 1 or 2 along the width (the kernel also needs
        fast_requant and checks the windows)."""
        o, kh, kw, fc = self.filter.shape
        return ((kh, kw) == (3, 3) and fc == self.in_shape[3] <= ROWS3_MAX_C and tuple(self.dilation) == (1, 1)
                and self.stride[1] in (1, 2))

    @property
    def first_rows(self) -> bool:
        """Whether the layer has the structure of the DSP k x k first-convolution path (mcu_conv_first_scratch):
        input depth 1-3, no groups, not 1x1, at most FIRST_MAX_KH kernel rows."""
        o, kh, kw, fc = self.filter.shape
        return fc == self.in_shape[3] <= 3 and (kh, kw) != (1, 1) and kh <= FIRST_MAX_KH

    @property
    def first(self) -> bool:
        """Whether the layer gets the table of the DSP k x k first-convolution path (first_table): its structure
        (first_rows), dilation 1, at least 2 output channels, and not a layer of the 3x3 row paths' tables (3x3
        at width stride 1 or 2); the condition
        mcu_conv_s8 dispatches on (the kernel also needs fast_requant)."""
        o, kh, kw, fc = self.filter.shape
        return (self.first_rows and tuple(self.dilation) == (1, 1) and o >= 2
                and not ((kh, kw) == (3, 3) and self.stride[1] in (1, 2)))

    @property
    def rows3c1(self) -> bool:
        """Whether the 3x3 row path's table has the one-channel layout (rows3c1_table, for
        mcu_conv_3x3_c1_dsp_s8): one input channel (the condition mcu_conv_3x3_rows_dsp_s8 dispatches on)."""
        return self.rows3 and self.filter.shape[3] == 1

    @property
    def narrow(self) -> bool:
        """Whether the layer gets the table of the DSP path of 1x1 convolutions on 1-3 input channels
        (narrow_table): 1x1, no groups, no padding."""
        o, kh, kw, fc = self.filter.shape
        return kh == kw == 1 and fc == self.in_shape[3] <= 3 and self.padding == (0, 0)

    def _params(self, name, padding, state, rows=(0, 0)):
        _, folded, fast, table = state
        return (f"static const mcu_conv_params {name} = {{{self.input_offset}, {self.output_offset}, "
                f"{ints(self.stride)}, {ints(padding)}, {ints(self.dilation)}, {self.act[0]}, {self.act[1]}, "
                f"{folded}, {fast}, {table}, {rows[0]}, {rows[1]}}};")

    def _call(self, p, params, in_dims, out_dims, src, dst, scratch, state):
        return (f"mcu_conv_s8(&{params}, &{p}quant, &{in_dims}, {src}, &{p}fdims, "
                f"{p}filter, {state[0]}, &{out_dims}, {dst}, {scratch});")


@dataclass(frozen=True, eq=False)
class DepthwiseConv2D(Windowed):
    filter: Any = None  # [1, KH, KW, O]
    bias: Any = None
    dilation: tuple = (1, 1)
    depth_multiplier: int = 1
    input_offset: int = 0
    output_offset: int = 0
    act: tuple = (-128, 127)
    multipliers: tuple = ()
    shifts: tuple = ()
    # channels per chunk of the DSP 3x3 path's rows (mcu_dw_conv_params.chunk; 0: the whole depth), chosen by
    # the schedule (patches.choose: only where it lowers the arena), kept by the layer's patch-stage tiles
    chunk: int = 0
    # a stride-1 3x3 layer on the four-channels-per-word path (words), set by lower from the whole layer's
    # output map (dw3x3_s1_words), kept by the layer's patch-stage tiles (their table is the layer's)
    s1_words: bool = False

    @property
    def macs(self):
        _, kh, kw, o = self.filter.shape
        return self.out_shape[0] * self.out_shape[1] * self.out_shape[2] * o * kh * kw

    def overlap(self, tensor):
        """As Windowed's, except in channel chunks: the DSP 3x3 path then runs every row of one chunk before
        the next chunk's, so its output, written at other channels' offsets, must not overlap the input."""
        if self.chunk and self.chunk < self.in_shape[3]:
            return None
        return super().overlap(tensor)

    def _dw_channel_scratch(self) -> int:
        """The scratch per channel of the DSP 3x3 path's rows (three int16 rows, at stride 1 a 12-word
        table), 0 when the layer does not take them (other layers, and those of the stride-2 path from the
        code generator's table, words, whose scratch does not grow with the rows; a stride-1 layer on that
        path has them when chunked)."""
        if self.filter is None or not self.in_shape:
            return 0
        _, kh, kw, o = self.filter.shape
        c, w = self.in_shape[3], self.in_shape[2]
        if (kh, kw) == (3, 3) and o == c and c % 4 == 0 and not (self.stride[1] == 2 and self.words):
            return 3 * ((w + 5) & ~1) * 2 + (0 if self.stride[1] == 2 else 48)
        return 0

    @cached_property
    def _dsp_consts(self):
        """(filter [taps, o] as emitted, bias, multipliers, shifts, fast_requant) of the layer's constants."""
        _, kh, kw, o = self.filter.shape
        flat, lbias, mults, shifts = _requant_channels(self.filter.reshape(kh * kw, o).T, self.bias,
                                                        self.input_offset, self.multipliers, self.shifts,
                                                        self.output_offset, self.act)
        fast = _fast_requant(flat, lbias, self.input_offset, mults, shifts)
        return flat, lbias, mults, shifts, fast

    @cached_property
    def _s2_table(self):
        """The stride-2 path's table (dw3x3_s2_table) when the layer gets one (rows_table at stride 2 along
        the width, fast_requant), else None."""
        if not self.words:
            return None
        _, kh, kw, o = self.filter.shape
        flat, lbias, mults, shifts, fast = self._dsp_consts
        filt = np.asarray(flat).T.reshape(self.filter.shape).astype(np.int8)
        return dw3x3_s2_table(filt.reshape(9, o), lbias, self.input_offset, self.output_offset, self.act[0],
                              mults, _shifts(mults, shifts), stride1=self.stride[1] == 1)

    @property
    def words(self) -> bool:
        """Whether the layer runs the DSP 3x3 path four channels per word from the code generator's table
        (dw3x3_s2_table; mcu_depthwise_3x3_dsp_s2_* and, at stride 1, _s1_*_w_s8): rows_table at stride 2
        along the width, or at stride 1 with s1_words unless the schedule chunks the layer (then the ring
        rows, in chunks: their scratch may be the smaller), fast_requant, a table made. Its scratch is the
        widened weights, a 3x3 patch and a row of zero points, (w + 31) * c bytes. A stride-1 layer the
        schedule chunks runs four channels per word in those chunks (mcu_depthwise_3x3_dsp_s1_*_wc_s8) on
        output maps of at most S1_WORDS_CHUNK_PIXELS where that scratch (_words_chunk_scratch) is no more than
        the ring rows' chunk, else the ring rows."""
        if self.stride[1] == 1 and self.chunk and not (
                self.out_shape[1] * self.out_shape[2] <= S1_WORDS_CHUNK_PIXELS
                and self._words_chunk_scratch() <= self._dw_channel_scratch() * self.chunk):
            return False
        return self._words_whole

    @property
    def _words_whole(self) -> bool:
        """Whether the layer runs four channels per word when the schedule leaves it whole (words)."""
        if not (self.rows_table and (self.stride[1] == 2 or (self.stride[1] == 1 and self.s1_words))):
            return False
        _, _, mults, shifts, fast = self._dsp_consts
        o = self.filter.shape[3]
        return bool(fast) and all(-31 <= int(v) <= -1 for v in _shifts(mults, shifts)[:o])

    def _words_chunk_scratch(self) -> int:
        """The scratch of the four-channels-per-word path at stride 1 in chunks of `chunk` channels: one
        chunk's widened weights and requantization constants (35 bytes a channel), then its 3x3 patch (9) or
        2 * c + chunk zero points (a row of zero points read staying at its start; calls of whole rows),
        35 * chunk + max(9 * chunk, 2 * c + chunk) bytes."""
        return 35 * self.chunk + max(9 * self.chunk, 2 * self.in_shape[3] + self.chunk)

    def chunk_choices(self) -> list:
        """The channel chunks the DSP 3x3 path's rows may run in (mcu_dw_conv_params.chunk), fewest chunks
        first: per count of chunks n >= 2 the smallest multiple of 4 channels that n chunks cover (as even as
        multiples of 4 allow, the last may be smaller), down to 4; none when the layer does not take the
        rows (other layers, the stride-2 path from the code generator's table) or has 4 channels, nor for a
        stride-1 layer four channels per word whose whole-depth scratch is no more than the rows' smallest
        chunk (as before its chunks ran four channels per word: chunks that lower only that scratch would cost
        the layer more per MAC than the arena they save: 6x6x8 2.98 whole, 3.38 in chunks of 4)."""
        per = self._dw_channel_scratch()
        if not per:
            return []
        c = self.in_shape[3]
        out = []
        for n in range(2, c // 4 + 1):
            chunk = 4 * -(-c // (4 * n))
            if chunk < c and (not out or chunk < out[-1]):
                out.append(chunk)
        if out and self.stride[1] == 1 and (self.in_shape[2] + 31) * c <= per * out[-1] and self._words_whole:
            return []
        return out

    @property
    def scratch_bytes(self):
        """The DSP 3x3 path's scratch (mcu_depthwise_conv_s8_buffer_size): three int16 rows and a 12-word
        table per channel of one chunk of `chunk` channels, the whole depth when 0; at stride 2 (along the width) only the rows (the C rows, which take the constants from
        the arrays), or with the code generator's table (words) the widened weights, a patch and a row
        of zero points, (w + 31) * c bytes, less than the rows for every w (at stride 1 in chunks
        _words_chunk_scratch)."""
        return self._scratch(bool(self.filter is not None and self.in_shape and self.words))

    def tile_scratch(self, in_shape, out_shape) -> int:
        """The scratch of one call on a part of the layer (a patch-stage tile): the path of the whole layer,
        whose table its tiles share (at stride 1 in chunks words depends on the output map: a tile's own
        choice would size the four-channels-per-word scratch for calls that run the ring rows)."""
        return replace(self, in_shape=in_shape, out_shape=out_shape)._scratch(
            bool(self.filter is not None and self.in_shape and self.words))

    def _scratch(self, words: bool) -> int:
        if words:
            if self.stride[1] == 1 and self.chunk:
                return self._words_chunk_scratch()
            return (self.in_shape[2] + 31) * self.in_shape[3]
        per = self._dw_channel_scratch()
        return per * (self.chunk or self.in_shape[3]) if per else 0

    @cached_property
    def _dw3(self):
        """The three-tap path's table (dw3_table) of a 1x3 / 3x1 layer (three_tap)."""
        _, kh, kw, o = self.filter.shape
        flat, lbias, mults, shifts, fast = self._dsp_consts
        filt = np.asarray(flat).T.reshape(self.filter.shape).astype(np.int8)
        return dw3_table(filt.reshape(3, o), lbias, self.input_offset, self.output_offset, self.act[0], mults,
                         _shifts(mults, shifts))

    @cached_property
    def _s1_table(self):
        """The stride-1 3x3 rows' table (dw3x3_s1_table) when the layer gets one (rows_table at stride 1
        along the width, fast_requant), else None."""
        if not (self.rows_table and self.stride[1] == 1) or self.words:
            return None
        _, kh, kw, o = self.filter.shape
        flat, lbias, mults, shifts, fast = self._dsp_consts
        if not fast:
            return None
        filt = np.asarray(flat).T.reshape(self.filter.shape).astype(np.int8)
        return dw3x3_s1_table(filt.reshape(9, o), lbias, self.input_offset, self.output_offset, self.act[0], mults,
                              _shifts(mults, shifts))

    @property
    def weight_bytes(self):
        """The constant bytes a DSP firmware links: the stride-2 3x3 path from the code generator's table
        (words) reads only its table, the stride-1 3x3 rows with a table (dw3x3_s1_table) the table and
        the int8 filter (the bias and quantization arrays stay unreferenced: mcu_depthwise_3x3_dsp_s8
        passes neither); the others the int8 filter, bias and requantization arrays and any table (1x3 /
        3x1: dw3_table)."""
        o = self.filter.shape[3]
        if self.words:
            return 4 * len(self._s2_table)
        if self._s1_table is not None:
            return self.filter.size + 4 * len(self._s1_table)
        return (self.filter.size + (4 * o if self.bias is not None else 0) + 8 * o
                + (4 * len(self._dw3) if self.three_tap else 0))

    @property
    def rows_table(self) -> bool:
        """Whether the layer may get the DSP 3x3 rows' table (dw3x3_s2_table, at stride 1 dw3x3_s1_table):
        3x3, stride 1 or 2 along the width, dilation 1, padding <= 1, depth multiplier 1, channels a
        multiple of 4, upper clamp 127."""
        _, kh, kw, o = self.filter.shape
        return ((kh, kw) == (3, 3) and self.stride[1] in (1, 2) and tuple(self.dilation) == (1, 1)
                and max(self.padding) <= 1 and self.depth_multiplier == 1 and o % 4 == 0
                and o == self.in_shape[3] and self.act[1] == 127)

    @property
    def three_tap(self) -> bool:
        """Whether the layer gets the DSP three-tap path's table (dw3_table): 1x3 or 3x1, depth multiplier
        1, channels a multiple of 4, any clamp (the kernel also needs fast_requant and checks the
        windows)."""
        _, kh, kw, o = self.filter.shape
        return kh * kw == 3 and self.depth_multiplier == 1 and o % 4 == 0 and o == self.in_shape[3]

    def describe(self):
        _, kh, kw, o = self.filter.shape
        m = f" multiplier {self.depth_multiplier}" if self.depth_multiplier > 1 else ""
        return self._describe(kh, kw, m)

    def window(self, axis):
        return (self.filter.shape[1 + axis] - 1) * self.dilation[axis] + 1, self.stride[axis], self.padding[axis]

    def _constants(self, p):
        _, kh, kw, o = self.filter.shape
        flat, lbias, mults, shifts, fast = self._dsp_consts
        filt = np.asarray(flat).T.reshape(self.filter.shape).astype(np.int8)
        decls, bias = _weight_decls(p, filt, lbias)
        decls += _quant_decls(p, mults, shifts)
        decls.append(f"static const mcu_dims {p}fdims = {dims(self.filter.shape)};")
        table = "NULL"
        if self.three_tap:
            table = p + "dw3"
            decls.append(c_array("int32_t", table, self._dw3, per_line=8))
        elif self.rows_table and fast:
            words = self._s2_table if self.words else self._s1_table
            if words is not None:
                table = p + ("dw3s2" if self.stride[1] == 2 else "dw3w" if self.words else "dw3s1")
                decls.append(c_array("int32_t", table, words, per_line=8))
        return decls, (bias, fast, table)

    def _params(self, name, padding, state):
        return (f"static const mcu_dw_conv_params {name} = {{{self.input_offset}, {self.output_offset}, "
                f"{ints(self.stride)}, {ints(padding)}, {ints(self.dilation)}, {self.depth_multiplier}, "
                f"{self.act[0]}, {self.act[1]}, {state[1]}, {state[2]}, {self.chunk or 0}}};")

    def _call(self, p, params, in_dims, out_dims, src, dst, scratch, state):
        return (f"mcu_depthwise_conv_s8(&{params}, &{p}quant, &{in_dims}, {src}, "
                f"&{p}fdims, {p}filter, {state[0]}, &{out_dims}, {dst}, {scratch});")


@dataclass(frozen=True, eq=False)
class FullyConnected(Layer):
    batches: int = 1
    input_depth: int = 0
    output_depth: int = 0
    filter: Any = None
    bias: Any = None
    input_offset: int = 0
    filter_offset: int = 0
    output_offset: int = 0
    act: tuple = (-128, 127)
    multipliers: tuple = ()
    shifts: tuple = ()

    @property
    def macs(self):
        return self.batches * self.input_depth * self.output_depth

    @property
    def folds_offset(self) -> bool:
        """The input offset is folded into the bias (bias + input_offset * sum(row), exact in int32)."""
        return self.filter_offset == 0 and self.input_offset != 0

    @property
    def weight_bytes(self):
        has_bias = self.bias is not None or self.folds_offset
        table = 20 * self.output_depth if self.encoded else 0
        return self.filter.size + (4 * self.output_depth if has_bias else 0) + 8 * len(self.multipliers) + table

    def overlap(self, tensor):
        return _row_overlap(1, self.batches, self.input_depth, self.batches, self.output_depth, 1, 0)

    def describe(self):
        return f"FULLY_CONNECTED {self.input_depth} -> {self.output_depth} (batches {self.batches})"

    def _kernel_bias(self):
        """(bias, input offset) as the kernel gets them: with the input offset folded into the bias
        (bias + input_offset * sum(row), modulo 2^32) when the filter has no zero point."""
        lbias, in_off = self.bias, self.input_offset
        if self.folds_offset:
            sums = self.filter.astype(np.int64).sum(axis=1)
            b = (np.asarray(lbias, dtype=np.int64) if lbias is not None else 0) + in_off * sums
            lbias, in_off = ((b + 2**31) % 2**32 - 2**31).astype(np.int64), 0
        return lbias, in_off

    @property
    def encoded(self) -> bool:
        """Whether the rows are stored encoded in blocks with a table (fc_table, mcu_fc_params.table): no
        filter zero point, input depth a multiple of 4, every shift (as emitted) in -31 .. -1."""
        if self.filter_offset != 0 or self.input_depth % 4 or self.output_depth < 1:
            return False
        return all(-31 <= s <= -1 for s in _shifts(self.multipliers, self.shifts))

    @property
    def head_rows(self) -> int:
        """Encoded rows in the head block, before the blocks of six (mcu_fc_params.head_rows): the rows
        beyond a multiple of 6 (0 .. 5); its group loop also sums the input."""
        return self.output_depth % 6 if self.encoded else 0

    @property
    def row_blocks(self) -> int:
        """Rows stored in blocks of six after the head block (mcu_fc_params.row_blocks): every other row
        when the rows are encoded (encoded), else none."""
        return self.output_depth - self.output_depth % 6 if self.encoded else 0

    def fc_filter_layout(self):
        """The filter as emitted: encoded (fc_encode), rows 0 .. head_rows - 1 in one block, per group of
        four inputs the rows' weights side by side ([group, row, 4]), then the blocks of six the same way
        ([block, group, row, 4]); else row by row."""
        f = np.asarray(self.filter).reshape(self.output_depth, self.input_depth)
        if not self.encoded:
            return f.reshape(-1).astype(np.int8)
        h, r, g = self.head_rows, self.row_blocks, self.input_depth // 4
        head = f[:h].reshape(h, g, 4).transpose(1, 0, 2).reshape(-1)
        blocks = f[h:].reshape(r // 6, 6, g, 4).transpose(0, 2, 1, 3).reshape(-1)
        return fc_encode(np.concatenate([head, blocks]).astype(np.int8))

    def emit(self, ctx):
        p = f"l{self.index}_"
        lbias, in_off = self._kernel_bias()
        decls, bias = _weight_decls(p, self.fc_filter_layout(), lbias)
        # word-aligned, for the DSP path's LDRD (it checks and otherwise takes the portable path)
        decls[0] = decls[0].replace("] = {", "] MCU_ALIGNED4 = {", 1)
        table, post = "NULL", 0
        h, r = self.head_rows, self.row_blocks
        if self.encoded:
            f = np.asarray(self.filter).reshape(self.output_depth, self.input_depth)
            mults, shifts = self.multipliers, _shifts(self.multipliers, self.shifts)
            if len(mults) == 1:
                mults, shifts = mults * self.output_depth, shifts * self.output_depth
            table = p + "table"
            sizes = ([h] if h else []) + [6] * (r // 6)
            decls.append(c_array("int32_t", table, fc_table(f, lbias, self.output_offset, mults, shifts, sizes)))
            # whether a row adds the zero point after the shift (rz >> 8; mcu_fc_params.post)
            post = int(any(requant1_consts(self.output_offset, int(s))[2] >> 8 for s in shifts))
        decls += [
            f"static const mcu_fc_params {p}params = {{{in_off}, {self.filter_offset}, "
            f"{self.output_offset}, {self.batches}, {self.input_depth}, "
            f"{self.act[0]}, {self.act[1]}, {post}, {int(len(self.multipliers) > 1)}, "
            f"{r}, {h}, {table}}};",
            *_quant_decls(p, self.multipliers, self.shifts),
        ]
        call = (f"mcu_fully_connected_s8(&{p}params, &{p}quant, {self.batches}, {self.input_depth}, "
                f"{ctx.ptr(self.inputs[0])}, {self.output_depth}, {p}filter, {bias}, "
                f"{ctx.ptr(self.outputs[0])});")
        return decls, [call]


@dataclass(frozen=True, eq=False)
class Pool2D(Windowed):
    kind: str = "avg"
    filter_hw: tuple = (1, 1)
    act: tuple = (-128, 127)

    @property
    def macs(self):
        return int(np.prod(self.out_shape)) * self.filter_hw[0] * self.filter_hw[1]

    def describe(self):
        return self._describe(*self.filter_hw)

    def _constants(self, p):
        return [], None

    def window(self, axis):
        return self.filter_hw[axis], self.stride[axis], self.padding[axis]

    def _params(self, name, padding, state):
        return (f"static const mcu_pool_params {name} = {{{ints(self.stride)}, {ints(padding)}, "
                f"{ints(self.filter_hw)}, {self.act[0]}, {self.act[1]}}};")

    def _call(self, p, params, in_dims, out_dims, src, dst, scratch, state):
        fn = "mcu_avgpool_s8" if self.kind == "avg" else "mcu_maxpool_s8"
        return f"{fn}(&{params}, &{in_dims}, {src}, &{out_dims}, {dst});"

    def plan(self, in_shape, out_shape, padding) -> tuple[str, tuple] | None:
        """(kernel, mcu_pool_plan fields) of a pool the code generator plans, or None: one image, no
        padding, every window inside the input, 2 x 2 windows (or two taps for the maximum) and channels
        a multiple of 4 (every offset whole words, so the kernel loads words from a word-aligned tensor).
        The output is one run of rows x pixels spans of words words; with stride 1 along the width a
        row's windows are one span; rows whose spans are as far apart as its pixels' join one row."""
        n, ih, iw, c = (int(v) for v in in_shape)
        _, oh, ow, oc = (int(v) for v in out_shape)
        (fh, fw), (sh, sw) = (int(v) for v in self.filter_hw), (int(v) for v in self.stride)
        taps = fh * fw
        if (n != 1 or any(padding) or c % 4 or oc != c or oh < 1 or ow < 1 or (oh - 1) * sh + fh > ih
                or (ow - 1) * sw + fw > iw or not ((fh, fw) == (2, 2) or (self.kind == "max" and taps == 2))):
            return None
        row = iw * c
        o1 = c if fw == 2 else row
        o2, o3 = (row, row + c) if taps == 4 else (0, 0)
        if sw == 1:  # a row's windows: one span
            words, pixels, skip, row_skip = ow * c // 4, 1, 0, sh * row - ow * c
        else:
            words, pixels, skip, row_skip = c // 4, ow, (sw - 1) * c, sh * row - ow * sw * c
        rows = oh
        if pixels == 1:  # one window per row: the rows are the spans, each the row's skips apart
            pixels, rows, skip, row_skip = rows, 1, skip + row_skip, 0
        elif row_skip == 0:
            pixels, rows = pixels * rows, 1
        kernel = "avg4" if self.kind == "avg" else "max4" if taps == 4 else "max2"
        if self.act[0] > -128 or self.act[1] < 127:
            kernel += "_clamp"
        lo4, hi4 = (0x01010101 * (int(v) & 0xFF) for v in self.act)
        return kernel, (rows, pixels, words, skip, row_skip, o1, o2, o3, lo4, hi4)

    def _planned_call(self, p, call, decls, names):
        planned = self.plan(call.in_shape, call.out_shape, call.padding)
        if planned is None:
            return None
        kernel, fields = planned
        key = ("plan", fields)
        if key not in names:
            count = sum(1 for k in names if k[0] == "plan")
            names[key] = f"{p}plan" + (f"_v{count}" if count else "")
            decls.append(f"static const mcu_pool_plan {names[key]} = {{{', '.join(str(v) for v in fields[:8])}, "
                         f"{fields[8]:#010x}u, {fields[9]:#010x}u}};")
        return f"mcu_pool_plan_{kernel}_s8({call.src}, {call.dst}, &{names[key]});"


@dataclass(frozen=True, eq=False)
class Mean(Layer):
    outer: int = 1
    reduce: int = 1
    inner: int = 1
    input_zero_point: int = 0
    output_zero_point: int = 0
    multiplier: int = 0
    shift: int = 0

    @property
    def macs(self):
        return self.outer * self.reduce * self.inner

    def describe(self):
        return f"{self.op} over {self.reduce} of [{self.outer}, {self.reduce}, {self.inner}]"

    def small_consts(self) -> tuple[int, int, int]:
        """(small, bias2, k) of mcu_mean_params: small = 1 when the DSP path sums each channel in halfwords
        (reduce <= 256) and requantizes with one SMMLAR constant (shift in -31 .. -1, the output zero point
        folded into k: requant_consts), then bias2 = -2 * reduce * input zero point and k; else zeros."""
        right = -int(self.shift)
        if not (1 <= right <= 31 and self.reduce <= 256):
            return 0, 0, 0
        k, rz = requant_consts(int(self.output_zero_point), right)
        if rz >> 8:
            return 0, 0, 0
        return 1, _int32(-2 * self.reduce * int(self.input_zero_point)), _int32(k)

    def plan(self) -> tuple | None:
        """The fields of the layer's mcu_mean_plan before its params (bias2, multiplier, k, rw, inner, n4, n,
        outer; the kernel's constants computed here), or None: the small path's constants (small_consts)
        and inner a multiple of 8 (eight channels per pass from word-aligned doublewords)."""
        small, bias2, k = self.small_consts()
        if not small or self.inner % 8 or self.outer < 1:
            return None
        rw = -int(self.shift) | 2 << 16  # ASR reads the bottom byte, SMLAxT the top half
        return (bias2, int(self.multiplier), k, rw, self.inner, (self.reduce & ~3) * self.inner,
                self.reduce * self.inner, self.outer)

    def emit(self, ctx):
        p = f"l{self.index}_"
        small, bias2, k = self.small_consts()
        params = (f"{{{self.input_zero_point}, {self.output_zero_point}, {{{self.multiplier}, {self.shift}}}, "
                  f"{small}, {bias2}, {k}}}")
        plan = self.plan()
        if plan is not None:
            decls = [f"static const mcu_mean_plan {p}plan = {{{', '.join(str(v) for v in plan)}, {params}, "
                     f"{self.reduce}}};"]
            return decls, [f"mcu_mean_plan8_s8({ctx.ptr(self.inputs[0])}, {ctx.ptr(self.outputs[0])}, &{p}plan);"]
        decls = [f"static const mcu_mean_params {p}params = {params};"]
        call = (f"mcu_mean_s8(&{p}params, {self.outer}, {self.reduce}, {self.inner}, "
                f"{ctx.ptr(self.inputs[0])}, {ctx.ptr(self.outputs[0])});")
        return decls, [call]


# Binary layers: the C parameter type and kernel of each operator (SUB runs on ADD's kernel)
BINARY_KERNELS = {"ADD": ("mcu_add_params", "mcu_add_s8"), "SUB": ("mcu_add_params", "mcu_add_s8"),
                  "MUL": ("mcu_mul_params", "mcu_mul_s8"), "MAXIMUM": ("mcu_minmax_params", "mcu_minmax_s8"),
                  "MINIMUM": ("mcu_minmax_params", "mcu_minmax_s8"),
                  "SQUARED_DIFFERENCE": ("mcu_squared_difference_params", "mcu_squared_difference_s8")}


@dataclass(frozen=True, eq=False)
class ReduceMax(Layer):
    """REDUCE_MAX or REDUCE_MIN over the middle axis of [outer, reduce, inner] (input and output share
    quantization)."""
    outer: int = 1
    reduce: int = 1
    inner: int = 1

    @property
    def macs(self):
        return self.outer * self.reduce * self.inner

    def describe(self):
        return f"{self.op} over {self.reduce} of [{self.outer}, {self.reduce}, {self.inner}]"

    def emit(self, ctx):
        fn = "mcu_reduce_min_s8" if self.op == "REDUCE_MIN" else "mcu_reduce_max_s8"
        return [], [f"{fn}({self.outer}, {self.reduce}, {self.inner}, {ctx.ptr(self.inputs[0])}, "
                    f"{ctx.ptr(self.outputs[0])});"]


@dataclass(frozen=True, eq=False)
class Broadcast(Layer):
    """An element-wise operator over operands broadcast to one 4-D shape, constants included."""
    operands: tuple = ()     # the input tensor ids, in the kernel's order (constants included)
    dims4: tuple = ()
    full: tuple = ()         # per operand: True when it has the output's shape (in place allowed)

    @property
    def macs(self):
        return int(np.prod(self.dims4))

    def overlap(self, tensor):
        for t, full in zip(self.operands, self.full):
            if t == tensor and full:
                return 0
        return None

    def describe(self):
        return f"{self.op} {'x'.join(map(str, self.dims4))}"


@dataclass(frozen=True, eq=False)
class Binary(Broadcast):
    """ADD, SUB, MUL, MAXIMUM, MINIMUM or SQUARED_DIFFERENCE (operands in TFLite order), possibly with a
    constant operand and 4-D broadcasting."""
    stride1: tuple = ()
    stride2: tuple = ()
    params: tuple = ()       # C initializer pieces
    table: tuple = ()        # ADD, SUB: the rescaled values of both inputs (l<i>_table, 512 int32;
    #                          SQUARED_DIFFERENCE: 512 int16)

    @property
    def table_ctype(self) -> str:
        return "int16_t" if self.op == "SQUARED_DIFFERENCE" else "int32_t"

    @property
    def weight_bytes(self):
        return (2 if self.table_ctype == "int16_t" else 4) * len(self.table)

    def coalesced(self) -> tuple:
        """dims4 / stride1 / stride2 merged as coalesce4 merges them."""
        return coalesce4(self.dims4, self.stride1, self.stride2)

    def emit(self, ctx):
        p = f"l{self.index}_"
        ptype, fn = BINARY_KERNELS[self.op]
        decls = [c_array(self.table_ctype, p + "table", self.table)] if self.table else []
        d4, s1, s2 = self.coalesced()
        decls += [
            f"static const {ptype} {p}params = {self.params[0]};",
            f"static const mcu_broadcast {p}shape = {{{ints(d4)}, {ints(s1)}, {ints(s2)}}};",
        ]
        a, b = (ctx.ptr(t) for t in self.operands)
        call = f"{fn}(&{p}params, &{p}shape, {a}, {b}, {ctx.ptr(self.outputs[0])});"
        return decls, [call]


@dataclass(frozen=True, eq=False)
class Concat(Layer):
    operands: tuple = ()
    copy_bytes: tuple = ()
    outer: int = 1

    def describe(self):
        return f"{self.op} of {len(self.operands)} inputs"

    def emit(self, ctx):
        p = f"l{self.index}_"
        decls = [c_array("int32_t", p + "bytes", self.copy_bytes)]
        ptrs = ", ".join(ctx.ptr(t) for t in self.operands)
        body = [
            "{",
            f"    const int8_t *const inputs[{len(self.operands)}] = {{{ptrs}}};",
            f"    mcu_concat_s8({len(self.operands)}, inputs, {p}bytes, {self.outer}, {ctx.ptr(self.outputs[0])});",
            "}",
        ]
        return decls, body


@dataclass(frozen=True, eq=False)
class Reshape(Layer):
    """RESHAPE / SQUEEZE / EXPAND_DIMS: the output shares the input's memory (a copy only if not)."""
    nbytes: int = 0

    def describe(self):
        return f"{self.op} (no data movement)"

    def emit(self, ctx):
        a, b = ctx.ptr(self.inputs[0]), ctx.ptr(self.outputs[0])
        if a == b:
            return [], []
        return [], [f"mcu_copy_s8({self.nbytes}, {a}, {b});"]


@dataclass(frozen=True, eq=False)
class Transpose(Layer):
    in_shape6: tuple = ()
    perm6: tuple = ()

    def emit(self, ctx):
        p = f"l{self.index}_"
        decls = [f"static const mcu_transpose_params {p}params = {{{ints(self.in_shape6)}, {ints(self.perm6)}}};"]
        return decls, [f"mcu_transpose_s8(&{p}params, {ctx.ptr(self.inputs[0])}, {ctx.ptr(self.outputs[0])});"]


@dataclass(frozen=True, eq=False)
class Slice(Layer):
    """STRIDED_SLICE, SLICE, SPLIT, SPLIT_V, UNPACK: one strided box per output."""
    source: int = -1
    in_shape6: tuple = ()
    boxes: tuple = ()  # per output: (begin6, step6, out_shape6)

    def emit(self, ctx):
        decls, body = [], []
        for k, (begin, step, shape) in enumerate(self.boxes):
            name = f"l{self.index}_box{k}"
            decls.append(f"static const mcu_slice_params {name} = {{{ints(self.in_shape6)}, {ints(begin)}, "
                         f"{ints(step)}, {ints(shape)}}};")
            body.append(f"mcu_slice_s8(&{name}, {ctx.ptr(self.source)}, {ctx.ptr(self.outputs[k])});")
        return decls, body


@dataclass(frozen=True, eq=False)
class Gather(Layer):
    """GATHER with constant indices: per block of ``in_block`` input bytes (``outer`` of them), the runs
    (byte offset in the block, bytes) in turn; ``bytes_`` empty: every run is one byte."""
    outer: int = 1
    in_block: int = 0
    starts: tuple = ()
    bytes_: tuple = ()

    @property
    def weight_bytes(self):
        return 4 * (len(self.starts) + len(self.bytes_))

    def describe(self):
        runs = len(self.starts)
        return f"GATHER {self.outer} x {runs} {'bytes' if not self.bytes_ else 'runs'}"

    def emit(self, ctx):
        p = f"l{self.index}_"
        decls = [c_array("int32_t", p + "start", self.starts)]
        if self.bytes_:
            decls.append(c_array("int32_t", p + "bytes", self.bytes_))
        decls.append(f"static const mcu_gather_params {p}params = {{{self.outer}, {self.in_block}, "
                     f"{len(self.starts)}, {p}start, {p + 'bytes' if self.bytes_ else 'NULL'}}};")
        return decls, [f"mcu_gather_s8(&{p}params, {ctx.ptr(self.inputs[0])}, {ctx.ptr(self.outputs[0])});"]


@dataclass(frozen=True, eq=False)
class SpaceBatch(Layer):
    """SPACE_TO_BATCH_ND / BATCH_TO_SPACE_ND (mcu_space_batch_params): ``space`` (n, H, W, C), ``batch``
    (h, w), ``block`` (bh, bw), ``corner`` (top, left): the space tensor's padding or crop before it."""
    space: tuple = ()
    batch: tuple = ()
    block: tuple = ()
    corner: tuple = ()
    pad_value: int = 0

    def describe(self):
        n, h, w, c = self.space
        return f"{self.op} {h}x{w} block {self.block[0]}x{self.block[1]}"

    def emit(self, ctx):
        p = f"l{self.index}_"
        n, h, w, c = self.space
        vals = [n, h, w, *self.batch, *self.block, *self.corner, c, int(self.op == "SPACE_TO_BATCH_ND"),
                self.pad_value]
        decls = [f"static const mcu_space_batch_params {p}params = {ints(vals)};"]
        return decls, [f"mcu_space_batch_s8(&{p}params, {ctx.ptr(self.inputs[0])}, {ctx.ptr(self.outputs[0])});"]


@dataclass(frozen=True, eq=False)
class BatchMatMul(Layer):
    """BATCH_MATMUL (int8, per tensor; mcu_batch_matmul_params): ``batch`` the three output batch axes,
    ``lhs_steps`` / ``rhs_steps`` (batch axes x3, row or column, depth) element steps of each operand;
    ``rhs`` the constant rhs laid out [batch][col][depth], or None when it is the second input.
    ``fully_connected``: FULLY_CONNECTED whose weights are an activation (the rhs, [cols][depth]), with its
    optional int32 ``bias`` per column and its single rounding (mcu_requantize_single_round)."""
    batch: tuple = (1, 1, 1)
    rows: int = 1
    cols: int = 1
    depth: int = 1
    lhs_steps: tuple = ()
    rhs_steps: tuple = ()
    rhs: Any = None
    lhs_offset: int = 0
    rhs_offset: int = 0
    output_offset: int = 0
    mult: int = 0
    shift: int = 0
    act: tuple = (-128, 127)
    fully_connected: bool = False
    bias: Any = None

    @property
    def macs(self):
        return int(np.prod(self.batch)) * self.rows * self.cols * self.depth

    @property
    def weight_bytes(self):
        return (0 if self.rhs is None else int(self.rhs.size)) + (0 if self.bias is None else 4 * len(self.bias))

    def describe(self):
        if self.fully_connected:
            return f"FULLY_CONNECTED {self.depth} -> {self.cols} (batches {self.rows}) activation weights"
        nb = int(np.prod(self.batch))
        return (f"BATCH_MATMUL {nb} x ({self.rows}x{self.depth} @ {self.depth}x{self.cols})"
                + (" constant rhs" if self.rhs is not None else ""))

    def emit(self, ctx):
        p = f"l{self.index}_"
        decls = []
        if self.rhs is not None:
            decls.append(c_array("int8_t", p + "rhs", self.rhs))
        ls, rs = self.lhs_steps, self.rhs_steps
        vals = [self.rows, self.cols, self.depth, ls[3], ls[4], rs[3], rs[4], self.lhs_offset, self.rhs_offset,
                self.output_offset, self.mult, self.shift, self.act[0], self.act[1]]
        if self.bias is not None:
            decls.append(c_array("int32_t", p + "bias", self.bias))
        decls.append(f"static const mcu_batch_matmul_params {p}params = {{{ints(self.batch)}, {ints(ls[:3])}, "
                     f"{ints(rs[:3])}, {', '.join(str(int(v)) for v in vals)}, "
                     f"{p + 'rhs' if self.rhs is not None else 'NULL'}, {int(self.fully_connected)}, "
                     f"{p + 'bias' if self.bias is not None else 'NULL'}}};")
        rhs = "NULL" if self.rhs is not None else ctx.ptr(self.inputs[1])
        return decls, [f"mcu_batch_matmul_s8(&{p}params, {ctx.ptr(self.inputs[0])}, {rhs}, "
                       f"{ctx.ptr(self.outputs[0])});"]


@dataclass(frozen=True, eq=False)
class ArgMinMax(Layer):
    """ARG_MAX / ARG_MIN along one axis: ``outer`` x ``axis_size`` x ``inner`` int8 values in, int32 or
    (``out64``) int64 indices out."""
    outer: int = 1
    axis_size: int = 1
    inner: int = 1
    out64: bool = False

    def describe(self):
        return f"{self.op} of {self.axis_size} values x {self.outer * self.inner} -> {'int64' if self.out64 else 'int32'}"

    def emit(self, ctx):
        p = f"l{self.index}_"
        vals = [self.outer, self.axis_size, self.inner, int(self.op == "ARG_MIN"), int(self.out64)]
        decls = [f"static const mcu_arg_params {p}params = {ints(vals)};"]
        return decls, [f"mcu_arg_minmax_s8(&{p}params, {ctx.ptr(self.inputs[0])}, "
                       f"(int32_t *)(void *){ctx.ptr(self.outputs[0])});"]


@dataclass(frozen=True, eq=False)
class Pad(Layer):
    in_shape6: tuple = ()
    before6: tuple = ()
    after6: tuple = ()
    pad_value: int = 0

    def emit(self, ctx):
        p = f"l{self.index}_"
        decls = [f"static const mcu_pad_params {p}params = {{{ints(self.in_shape6)}, {ints(self.before6)}, "
                 f"{ints(self.after6)}, {self.pad_value}}};"]
        return decls, [f"mcu_pad_s8(&{p}params, {ctx.ptr(self.inputs[0])}, {ctx.ptr(self.outputs[0])});"]


@dataclass(frozen=True, eq=False)
class MirrorPad(Layer):
    """MIRROR_PAD: in_shape6's last axis in elements of ``elem`` bytes (the unpadded trailing axes)."""
    in_shape6: tuple = ()
    before6: tuple = ()
    after6: tuple = ()
    offset: int = 1  # REFLECT 1, SYMMETRIC 0
    elem: int = 1

    def describe(self):
        return f"MIRROR_PAD {'REFLECT' if self.offset else 'SYMMETRIC'}"

    def emit(self, ctx):
        p = f"l{self.index}_"
        decls = [f"static const mcu_mirror_pad_params {p}params = {{{ints(self.in_shape6)}, {ints(self.before6)}, "
                 f"{ints(self.after6)}, {self.offset}, {self.elem}}};"]
        return decls, [f"mcu_mirror_pad_s8(&{p}params, {ctx.ptr(self.inputs[0])}, {ctx.ptr(self.outputs[0])});"]


@dataclass(frozen=True, eq=False)
class Resize(Layer):
    """RESIZE_NEAREST_NEIGHBOR: per output row and column the input row and column it copies;
    RESIZE_BILINEAR: per output row and column (i0, i1, weight of i1 in 1/1024) (lower.bilinear_taps)."""
    in_shape: tuple = ()  # (n, h, w, c)
    rows: tuple = ()
    cols: tuple = ()

    @property
    def weight_bytes(self):
        return 2 * (len(self.rows) + len(self.cols))

    def describe(self):
        n, h, w, c = self.in_shape
        k = 3 if self.op == "RESIZE_BILINEAR" else 1
        return f"{self.op} {h}x{w} -> {len(self.rows) // k}x{len(self.cols) // k} x{c}"

    def emit(self, ctx):
        p = f"l{self.index}_"
        n, h, w, c = self.in_shape
        k, fn = (3, "bilinear") if self.op == "RESIZE_BILINEAR" else (1, "nearest")
        decls = [c_array("int16_t", p + "rows", self.rows), c_array("int16_t", p + "cols", self.cols),
                 f"static const mcu_resize_params {p}params = {{{n}, {h}, {w}, {c}, {len(self.rows) // k}, "
                 f"{len(self.cols) // k}, {p}rows, {p}cols}};"]
        return decls, [f"mcu_resize_{fn}_s8(&{p}params, {ctx.ptr(self.inputs[0])}, {ctx.ptr(self.outputs[0])});"]


@dataclass(frozen=True, eq=False)
class TransposeConv2D(Layer):
    """TRANSPOSE_CONV (int8, per-tensor or per-channel filter [oc, kh, kw, ic]): each output value gathers the
    input values whose scatter reaches it; the sum is the reference's scratch value (integer sums in any order).
    The outputs of one phase (oy mod stride_h, ox mod stride_w) are a stride-1 convolution of the input with
    the phase's taps, so the filter is emitted in phase order (phase_weights) and the DSP path runs each
    phase as the k x k convolution's pixel pairs (mcu_transpose_conv_dsp_s8)."""
    in_shape: tuple = ()  # (n, h, w, c)
    out_shape: tuple = ()
    weights: Any = None
    bias: Any = None
    stride: tuple = (1, 1)
    pad: tuple = (0, 0)
    input_offset: int = 0
    output_offset: int = 0
    act: tuple = (-128, 127)
    mults: tuple = ()
    shifts: tuple = ()

    @property
    def macs(self):
        return int(np.prod(self.in_shape)) * int(np.prod(self.weights.shape[:3]))

    @property
    def weight_bytes(self):
        return self.phase_weights.size + 4 * (len(self.bias) if self.bias is not None else 0) + 8 * len(self.mults)

    @property
    def fast_requant(self) -> int:
        oc = self.weights.shape[0]
        return _fast_requant(self.weights.reshape(oc, -1), self.bias, self.input_offset, self.mults, self.shifts)

    @staticmethod
    def _phase_taps(k: int, s: int, pad: int, p: int) -> list:
        """Kernel positions of phase p along one axis, in the order the phase's input rows ascend
        (mcu_transpose_conv_phase: taps r, r + s, ... with r = (p + pad) mod s, reversed)."""
        return list(range((p + pad) % s, k, s))[::-1]

    @property
    def phase_weights(self):
        """The filter in phase order (mcu_transpose_conv_params): per phase (py, px) row-major, out_c rows of
        the phase's taps (ky, kx ascending input rows / columns) x in_c, each zero-padded to 4 bytes."""
        oc, kh, kw, ic = self.weights.shape
        (sh, sw), (ph, pw) = self.stride, self.pad
        blocks = []
        for py in range(sh):
            ky = self._phase_taps(kh, sh, ph, py)
            for px in range(sw):
                kx = self._phase_taps(kw, sw, pw, px)
                rows = self.weights[:, ky][:, :, kx].reshape(oc, -1)
                row = -(-rows.shape[1] // 4) * 4
                blocks.append(np.pad(rows, ((0, 0), (0, row - rows.shape[1]))).reshape(-1))
        return np.concatenate(blocks).astype(np.int8)

    @property
    def scratch_bytes(self):
        """mcu_transpose_conv_s8_buffer_size: the DSP path's expanded pixel pair, requantization table, two
        patches and pad block; 0 without fast_requant (the portable path, no scratch)."""
        if not self.fast_requant:
            return 0
        oc, kh, kw, ic = self.weights.shape
        row = (-(-kh // self.stride[0]) * -(-kw // self.stride[1]) * ic + 3) & ~3
        return 6 * row + 4 + 32 * ((oc + 1) // 2) + ((ic + 3) & ~3)

    def describe(self):
        oc, kh, kw, ic = self.weights.shape
        return f"TRANSPOSE_CONV {kh}x{kw} stride {self.stride[0]}x{self.stride[1]}: {ic} -> {oc}"

    def emit(self, ctx):
        p = f"l{self.index}_"
        n, h, w, c = self.in_shape
        _, oh, ow, oc = self.out_shape
        _, kh, kw, _ = self.weights.shape
        decls = [c_array("int8_t", p + "w", self.phase_weights), c_array("int32_t", p + "mult", self.mults),
                 c_array("int32_t", p + "shift", _shifts(self.mults, self.shifts))]
        if self.bias is not None:
            decls.append(c_array("int32_t", p + "bias", self.bias))
        decls.append(f"static const mcu_transpose_conv_params {p}params = {{{n}, {h}, {w}, {c}, {oh}, {ow}, {oc}, "
                     f"{kh}, {kw}, {self.stride[0]}, {self.stride[1]}, {self.pad[0]}, {self.pad[1]}, "
                     f"{self.input_offset}, {self.output_offset}, {self.act[0]}, {self.act[1]}, {p}w, "
                     f"{p + 'bias' if self.bias is not None else 'NULL'}, {p}mult, {p}shift, {self.fast_requant}}};")
        scratch = f"(int16_t *){ctx.scratch(self.index)}" if self.scratch_bytes else "NULL"
        return decls, [f"mcu_transpose_conv_s8(&{p}params, {ctx.ptr(self.inputs[0])}, {ctx.ptr(self.outputs[0])}, "
                       f"{scratch});"]


@dataclass(frozen=True, eq=False)
class Softmax(Layer):
    outer: int = 1
    depth: int = 1
    exp_table: tuple = ()   # 256 int32: the reference's exponential by difference from the maximum

    @property
    def weight_bytes(self):
        return 4 * len(self.exp_table)

    def overlap(self, tensor):
        return 0

    def describe(self):
        return f"{self.op} over {self.depth} ({self.outer} rows)"

    def emit(self, ctx):
        p = f"l{self.index}_"
        decls = [c_array("int32_t", p + "exp", self.exp_table, per_line=8),
                 f"static const mcu_softmax_params {p}params = {{{p}exp}};"]
        call = (f"mcu_softmax_s8(&{p}params, {self.outer}, {self.depth}, {ctx.ptr(self.inputs[0])}, "
                f"{ctx.ptr(self.outputs[0])});")
        return decls, [call]


@dataclass(frozen=True, eq=False)
class LogSoftmax(Softmax):
    """LOG_SOFTMAX over the last axis (in place: each row is read whole before it is written); exp_table as
    SOFTMAX's."""
    diff_table: tuple = ()  # 256 int32: the differences in Q5.26
    params: tuple = ()      # diff_min, reverse multiplier, reverse shift

    @property
    def weight_bytes(self):
        return super().weight_bytes + 4 * len(self.diff_table)

    def emit(self, ctx):
        p = f"l{self.index}_"
        diff_min, rm, rs = self.params
        decls = [c_array("int32_t", p + "exp", self.exp_table, per_line=8),
                 c_array("int32_t", p + "diff", self.diff_table, per_line=8),
                 f"static const mcu_log_softmax_params {p}params = {{{p}exp, {p}diff, {diff_min}, {rm}, {rs}}};"]
        call = (f"mcu_log_softmax_s8(&{p}params, {self.outer}, {self.depth}, {ctx.ptr(self.inputs[0])}, "
                f"{ctx.ptr(self.outputs[0])});")
        return decls, [call]


@dataclass(frozen=True, eq=False)
class L2Norm(Layer):
    """L2_NORMALIZATION over the last axis (in place: each row is summed before it is written)."""
    outer: int = 1
    depth: int = 1
    input_offset: int = 0

    def overlap(self, tensor):
        return 0

    def describe(self):
        return f"L2_NORMALIZATION over {self.depth} ({self.outer} rows)"

    def emit(self, ctx):
        return [], [f"mcu_l2norm_s8({self.outer}, {self.depth}, {self.input_offset}, {ctx.ptr(self.inputs[0])}, "
                    f"{ctx.ptr(self.outputs[0])});"]


@dataclass(frozen=True, eq=False)
class Lut(Layer):
    """LOGISTIC, TANH (and any 8-bit unary function TFLite evaluates through a table)."""
    size: int = 0
    table: tuple = ()

    @property
    def weight_bytes(self):
        return 256

    @property
    def elementwise(self):
        return True

    def overlap(self, tensor):
        return 0

    def emit(self, ctx):
        p = f"l{self.index}_"
        fn = "mcu_logistic_s8" if self.op == "LOGISTIC" else "mcu_lut_s8"
        return ([c_array("int8_t", p + "table", self.table, per_line=16)],
                [f"{fn}({p}table, {self.size}, {ctx.ptr(self.inputs[0])}, {ctx.ptr(self.outputs[0])});"])


@dataclass(frozen=True, eq=False)
class Prelu(Layer):
    """PRELU with a constant alpha: element i takes alpha[i % len(alpha)] (the alpha broadcast to the input
    from its first non-unit axis on); on tiles (whole pixels) when that period divides the last axis."""
    size: int = 0
    depth: int = 1          # the input's last axis
    alpha: tuple = ()
    table: tuple = ()       # the x >= 0 side per input byte (quant.prelu_params)
    params: tuple = ()      # C initializer

    @property
    def weight_bytes(self):
        return len(self.alpha) + len(self.table)

    @property
    def elementwise(self):
        return self.depth % len(self.alpha) == 0

    def overlap(self, tensor):
        return 0

    def describe(self):
        return f"PRELU {self.size} (alpha every {len(self.alpha)})"

    def emit(self, ctx):
        p = f"l{self.index}_"
        decls = [c_array("int8_t", p + "alpha", self.alpha, per_line=16),
                 c_array("int8_t", p + "table", self.table, per_line=16),
                 f"static const mcu_prelu_params {p}params = {self.params[0]};"]
        return decls, [f"mcu_prelu_s8(&{p}params, {self.size}, {ctx.ptr(self.inputs[0])}, "
                       f"{ctx.ptr(self.outputs[0])});"]


@dataclass(frozen=True, eq=False)
class HardSwish(Layer):
    size: int = 0
    params: tuple = ()

    @property
    def elementwise(self):
        return True

    def overlap(self, tensor):
        return 0

    def emit(self, ctx):
        p = f"l{self.index}_"
        v = dict(self.params)
        decls = [f"static const mcu_hard_swish_params {p}params = {{{v['input_zero_point']}, "
                 f"{v['output_zero_point']}, {v['output_multiplier_exponent']}, "
                 f"{v['output_multiplier_fixedpoint_int16']}, {v['reluish_multiplier_exponent']}, "
                 f"{v['reluish_multiplier_fixedpoint_int16']}}};"]
        return decls, [f"mcu_hard_swish_s8(&{p}params, {self.size}, {ctx.ptr(self.inputs[0])}, "
                       f"{ctx.ptr(self.outputs[0])});"]


@dataclass(frozen=True, eq=False)
class Quantize(Layer):
    """QUANTIZE (int8 -> int8, uint8 -> int8, int8 -> uint8 or float32 -> int8) and DEQUANTIZE (int8 -> float32)."""
    kind: str = "requantize"  # requantize | from_float | to_float
    types: tuple = ("int8", "int8")  # requantize: input and output types
    size: int = 0
    input_zero_point: int = 0
    output_zero_point: int = 0
    multiplier: int = 0
    shift: int = 0
    scale: float = 0.0
    zero_point: int = 0

    @property
    def elementwise(self):
        return self.kind == "requantize"

    def overlap(self, tensor):
        return None if self.kind == "to_float" else 0

    def emit(self, ctx):
        p = f"l{self.index}_"
        src, dst = ctx.ptr(self.inputs[0]), ctx.ptr(self.outputs[0])
        if self.kind == "requantize":
            decls = [f"static const mcu_quant {p}quant = {{{self.multiplier}, {self.shift}}};"]
            fn, cast = {("int8", "int8"): ("mcu_requantize_s8", ("", "")),
                        ("uint8", "int8"): ("mcu_requantize_u8_s8", ("(const uint8_t *)", "")),
                        ("int8", "uint8"): ("mcu_requantize_s8_u8", ("", "(uint8_t *)"))}[self.types]
            return decls, [f"{fn}({self.input_zero_point}, {self.output_zero_point}, &{p}quant, "
                           f"{self.size}, {cast[0]}{src}, {cast[1]}{dst});"]
        if self.kind == "from_float":
            return [], [f"mcu_quantize_f32_s8({q.c_float(self.scale)}, {self.zero_point}, {self.size}, "
                        f"(const float *){src}, {dst});"]
        return [], [f"mcu_dequantize_s8_f32({q.c_float(self.scale)}, {self.zero_point}, {self.size}, "
                    f"{src}, (float *){dst});"]


@dataclass(frozen=True, eq=False)
class Relu(Layer):
    size: int = 0
    input_zero_point: int = 0
    output_zero_point: int = 0
    multiplier: int = 0
    shift: int = 0
    act: tuple = (-128, 127)

    @property
    def elementwise(self):
        return True

    def overlap(self, tensor):
        return 0

    def emit(self, ctx):
        p = f"l{self.index}_"
        decls = [f"static const mcu_relu_params {p}params = {{{self.input_zero_point}, {self.output_zero_point}, "
                 f"{{{self.multiplier}, {self.shift}}}, {self.act[0]}, {self.act[1]}}};"]
        return decls, [f"mcu_relu_s8(&{p}params, {self.size}, {ctx.ptr(self.inputs[0])}, {ctx.ptr(self.outputs[0])});"]


def coalesce4(dims, *strides) -> tuple:
    """(dims, strides...) with unit axes dropped and neighbouring axes merged wherever every operand steps
    through them as through one axis (the kernels' innermost runs as long as possible), padded to 4-D."""
    out_d, out_s = [], [[] for _ in strides]
    for k, d in enumerate(dims):
        if d == 1:
            continue
        if out_d and all(s[-1] == st[k] * d for s, st in zip(out_s, strides)):
            out_d[-1] *= d
            for s, st in zip(out_s, strides):
                s[-1] = st[k]
        else:
            out_d.append(d)
            for s, st in zip(out_s, strides):
                s.append(st[k])
    pad = 4 - len(out_d)
    return ((1,) * pad + tuple(out_d),) + tuple((0,) * pad + tuple(s) for s in out_s)


@dataclass(frozen=True, eq=False)
class Compare(Broadcast):
    """A comparison (EQUAL, NOT_EQUAL, GREATER, GREATER_EQUAL, LESS, LESS_EQUAL) or logical operator
    (LOGICAL_AND, LOGICAL_OR, LOGICAL_NOT) to a bool output, one byte 0 / 1 per element, on
    mcu_compare_s8: ``mode`` 0 the byte range lo..hi of operand 1, 1 equal, 2 greater (as ``ranks``: 512
    int16, input 1's then input 2's, indexed by the byte as uint8; empty: the bytes themselves), 3 and, 4 or;
    ``invert`` negates."""
    stride1: tuple = ()      # operands: the two inputs in the kernel's order (mode 0: the input twice)
    stride2: tuple = ()
    mode: int = 0
    invert: int = 0
    lo: int = 0
    hi: int = 0
    ranks: tuple = ()

    @property
    def weight_bytes(self):
        return 2 * len(self.ranks)

    def describe(self):
        how = {0: f"bytes {self.lo}..{self.hi}", 1: "equal", 2: "greater", 3: "and", 4: "or"}[self.mode]
        ranked = " (ranks)" if self.ranks else ""
        return f"{self.op} {'x'.join(map(str, self.dims4))}: {'not ' if self.invert else ''}{how}{ranked}"

    def emit(self, ctx):
        p = f"l{self.index}_"
        decls = [c_array("int16_t", p + "ranks", self.ranks)] if self.ranks else []
        d4, s1, s2 = coalesce4(self.dims4, self.stride1, self.stride2)
        ranks = p + "ranks" if self.ranks else "NULL"
        decls += [
            f"static const mcu_compare_params {p}params = {{{self.mode}, {self.invert}, {self.lo}, {self.hi}, {ranks}}};",
            f"static const mcu_broadcast {p}shape = {{{ints(d4)}, {ints(s1)}, {ints(s2)}}};",
        ]
        a, b = (f"(const int8_t *)(const void *){ctx.ptr(t)}" for t in self.operands)
        return decls, [f"mcu_compare_s8(&{p}params, &{p}shape, {a}, {b}, (uint8_t *)(void *){ctx.ptr(self.outputs[0])});"]


@dataclass(frozen=True, eq=False)
class Select(Broadcast):
    """SELECT / SELECT_V2 of int8 x and y by a bool condition (bytes copied), 4-D broadcasting; operands:
    condition, x, y."""
    strides: tuple = ()      # per operand, 4 element strides

    def emit(self, ctx):
        p = f"l{self.index}_"
        d4, sc, sx, sy = coalesce4(self.dims4, *self.strides)
        decls = [f"static const mcu_select_shape {p}shape = {{{ints(d4)}, {ints(sc)}, {ints(sx)}, {ints(sy)}}};"]
        c, x, y = (ctx.ptr(t) for t in self.operands)
        return decls, [f"mcu_select_s8(&{p}shape, (const uint8_t *)(const void *){c}, (const int8_t *)(const void *){x}, "
                       f"(const int8_t *)(const void *){y}, (int8_t *)(void *){ctx.ptr(self.outputs[0])});"]


@dataclass(frozen=True, eq=False)
class ReduceProd(Layer):
    """REDUCE_PROD over ``reduce`` values ``inner`` apart for each of ``outer`` x ``inner`` outputs."""
    outer: int = 1
    reduce: int = 1
    inner: int = 1
    input_zero_point: int = 0
    output_zero_point: int = 0
    multiplier: int = 0      # MultiplyByQuantizedMultiplier's 16-bit multiplier (int64 input)
    total_shift: int = 15

    @property
    def macs(self):
        return self.outer * self.reduce * self.inner

    def describe(self):
        return f"{self.op} of {self.reduce} values x {self.outer * self.inner}"

    def emit(self, ctx):
        p = f"l{self.index}_"
        vals = [self.outer, self.reduce, self.inner, self.input_zero_point, self.output_zero_point, self.multiplier,
                self.total_shift]
        decls = [f"static const mcu_reduce_prod_params {p}params = {ints(vals)};"]
        return decls, [f"mcu_reduce_prod_s8(&{p}params, {ctx.ptr(self.inputs[0])}, {ctx.ptr(self.outputs[0])});"]
