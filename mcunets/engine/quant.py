"""Quantization math of the mcunets engine, computed the way TensorFlow Lite computes it.

This is the one place that turns real scales into the integers the C kernels use
(firmware/engine/mcu_quant.h is its C counterpart): ``quantize_multiplier`` is TFLite's
QuantizeMultiplier, the per-op functions reproduce the float/double precision choices of each TFLite
kernel's Prepare step, and the table builders reproduce TFLite's int8 lookup tables (LOGISTIC, TANH,
SOFTMAX) with single-precision arithmetic and the C library's ``expf`` / ``tanhf``.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import math
from typing import Sequence

import numpy as np

f32 = np.float32


def round_half_away(x: float) -> int:
    """TfLiteRound / std::round: to nearest, ties away from zero."""
    return int(math.copysign(math.floor(abs(x) + 0.5), x))


def quantize_multiplier(real: float) -> tuple[int, int]:
    """(multiplier, shift) with real == multiplier * 2**(shift - 31), as TFLite's QuantizeMultiplier."""
    real = float(real)
    if real == 0.0:
        return 0, 0
    q, shift = math.frexp(real)
    q_fixed = round_half_away(q * (1 << 31))
    if q_fixed == (1 << 31):
        q_fixed //= 2
        shift += 1
    if shift < -31:
        shift, q_fixed = 0, 0
    if shift > 30:
        shift, q_fixed = 30, (1 << 31) - 1
    return int(q_fixed), int(shift)


def conv_multipliers(input_scale: float, filter_scales: Sequence[float], output_scale: float,
                     channels: int) -> tuple[list[int], list[int]]:
    """Per-channel multipliers of CONV_2D / DEPTHWISE_CONV_2D (double precision from float scales)."""
    scales = list(filter_scales)
    if len(scales) == 1:
        scales = scales * channels
    mults, shifts = [], []
    for s in scales:
        real = float(f32(input_scale)) * float(f32(s)) / float(f32(output_scale))
        m, sh = quantize_multiplier(real)
        mults.append(m)
        shifts.append(sh)
    return mults, shifts


def fc_per_channel_multipliers(input_scale: float, filter_scales: Sequence[float], output_scale: float,
                               channels: int) -> tuple[list[int], list[int]]:
    """Per-channel FULLY_CONNECTED multipliers: double precision like CONV_2D.

    Unlike CONV_2D, TFLite requantizes per-channel FULLY_CONNECTED with *single* rounding,
    ``(acc * multiplier + 2**(30 - shift)) >> (31 - shift)`` in 64 bits, not the double-rounding
    MultiplyByQuantizedMultiplier (high multiply, then rounding shift).  The kernel applies it as
    ``mcu_requantize_single_round`` (firmware/engine/mcu_quant.h); ``requantize_single_round`` is the
    Python twin.
    """
    return conv_multipliers(input_scale, filter_scales, output_scale, channels)


def requantize_single_round(x: int, multiplier: int, shift: int) -> int:
    """Single-rounding MultiplyByQuantizedMultiplier (per-channel FULLY_CONNECTED)."""
    total = 31 - shift
    return (int(x) * int(multiplier) + (1 << (total - 1))) >> total


def requantize(x: int, multiplier: int, shift: int) -> int:
    """Double-rounding MultiplyByQuantizedMultiplier (every other kernel): C's mcu_requantize."""
    left, right = max(shift, 0), max(-shift, 0)
    a = ((int(x) << left) + (1 << 31)) % (1 << 32) - (1 << 31)
    if a == multiplier == -(1 << 31):
        high = (1 << 31) - 1
    else:
        ab = a * int(multiplier)
        v = ab + ((1 << 30) if ab >= 0 else 1 - (1 << 30))
        high = v // (1 << 31) if v >= 0 else -((-v) // (1 << 31))
    mask = (1 << right) - 1
    threshold = (mask >> 1) + (1 if high < 0 else 0)
    return (high >> right) + (1 if (high & mask) > threshold else 0)


def fc_multiplier(input_scale: float, filter_scale: float, output_scale: float) -> tuple[int, int]:
    """FULLY_CONNECTED's per-tensor multiplier: the scale product is taken in single precision."""
    product = float(f32(input_scale) * f32(filter_scale))
    return quantize_multiplier(product / float(f32(output_scale)))


def ratio_multiplier(numerator: float, denominator: float) -> tuple[int, int]:
    """A double-precision ratio of two float scales (MEAN, QUANTIZE requantization)."""
    return quantize_multiplier(float(f32(numerator)) / float(f32(denominator)))


def mul_multiplier(s1: float, s2: float, s_out: float) -> tuple[int, int]:
    return quantize_multiplier(float(f32(s1)) * float(f32(s2)) / float(f32(s_out)))


def add_params(s1: float, s2: float, s_out: float) -> dict:
    """ADD's int8 rescaling: left shift 20, inputs to twice the larger input scale, then to output."""
    left_shift = 20
    twice_max = float(f32(2) * max(f32(s1), f32(s2)))
    m1 = quantize_multiplier(float(f32(s1)) / twice_max)
    m2 = quantize_multiplier(float(f32(s2)) / twice_max)
    mo = quantize_multiplier(twice_max / float(f32(1 << left_shift) * f32(s_out)))
    return {"left_shift": left_shift, "input1": m1, "input2": m2, "output": mo}


def squared_difference_params(s1: float, s2: float, s_out: float) -> dict:
    """SQUARED_DIFFERENCE's int8 rescaling (TFLite's squared_difference.cc Prepare): inputs shifted left 7
    and brought to twice the larger input scale, the squared difference of the two to the output by
    (twice the larger scale)^2 / (2^14 * output scale); every multiplier below one (shift <= 0)."""
    left_shift = 7
    twice_max = float(f32(2) * max(f32(s1), f32(s2)))
    m1 = quantize_multiplier(float(f32(s1)) / twice_max)
    m2 = quantize_multiplier(float(f32(s2)) / twice_max)
    mo = quantize_multiplier(twice_max * twice_max / float(f32(1 << (2 * left_shift)) * f32(s_out)))
    return {"left_shift": left_shift, "input1": m1, "input2": m2, "output": mo}


def quantize_value(real: float, scale: float, zero_point: int) -> int:
    """zero_point + round(real / scale), with the division in single precision."""
    return int(zero_point) + round_half_away(float(f32(real) / f32(scale)))


_ACTIVATIONS = {0: None, 1: (0.0, None), 2: (-1.0, 1.0), 3: (0.0, 6.0)}  # NONE, RELU, RELU_N1_TO_1, RELU6


def activation_range(activation: int, scale: float, zero_point: int) -> tuple[int, int]:
    """Fused-activation clamp range of an int8 output (CalculateActivationRangeQuantized)."""
    lo, hi = -128, 127
    if activation not in _ACTIVATIONS:
        raise ValueError(f"fused activation {activation}")
    rng = _ACTIVATIONS[activation]
    if rng is None:
        return lo, hi
    a, b = rng
    lo = max(lo, quantize_value(a, scale, zero_point))
    if b is not None:
        hi = min(hi, quantize_value(b, scale, zero_point))
    return lo, hi


_libm: dict = {}


def _libm_f(name: str):
    """A single-precision function of the C library (what TFLite's std::exp / std::tanh on a float call)."""
    if name not in _libm:
        try:
            lib = ctypes.CDLL(ctypes.util.find_library("m") or "libm.so.6")
            fn = getattr(lib, name)
            fn.restype = ctypes.c_float
            fn.argtypes = [ctypes.c_float]
        except OSError:  # pragma: no cover - no C math library: numpy's float32 function
            fn = {"expf": np.exp, "tanhf": np.tanh, "erfcf": lambda v: 1 - math.erf(v), "logf": np.log}[name]
        _libm[name] = fn
    return _libm[name]


def expf(x) -> np.float32:
    """Single-precision exp from the C library (what TFLite's std::exp(float) calls)."""
    return f32(_libm_f("expf")(f32(x)))


def tanhf(x) -> np.float32:
    """Single-precision tanh from the C library (what TFLite's std::tanh(float) calls)."""
    return f32(_libm_f("tanhf")(f32(x)))


def logf(x) -> np.float32:
    """Single-precision natural logarithm from the C library (std::log(float))."""
    return f32(_libm_f("logf")(f32(x)))


def erfcf(x) -> np.float32:
    """Single-precision complementary error function from the C library (std::erfc(float))."""
    return f32(_libm_f("erfcf")(f32(x)))


def float_to_int32(v) -> int:
    """A float truncated toward zero to int32 as the reference's tables convert it on the host: values
    beyond int32 (an unbounded function such as EXP far above the output range, or infinity) saturate,
    NaN gives 0."""
    v = float(v)
    if math.isnan(v):
        return 0
    return int(min(max(v, -2.0**31), 2.0**31 - 1))


def lut_table(transform, input_scale: float, input_zero_point: int, output_scale: float,
              output_zero_point: int) -> list[int]:
    """TFLite's int8 lookup table of a float function (PopulateLookupTable), indexed by the input byte
    as uint8: the dequantized input in single precision, the function, times 1 / output scale, rounded
    half away from zero, plus the output zero point, saturated."""
    table = [0] * 256
    inverse_scale = f32(1) / f32(output_scale)
    for val in range(-128, 128):
        dequantized = f32(input_scale) * f32(val - input_zero_point)
        with np.errstate(over="ignore", invalid="ignore"):
            rescaled = f32(transform(dequantized)) * inverse_scale
        if math.isfinite(rescaled):
            rescaled = f32(round_half_away(float(rescaled)))  # else stays infinite (saturates below)
        quantized = float_to_int32(f32(rescaled) + f32(output_zero_point))
        table[val & 0xFF] = max(-128, min(127, quantized))
    return table


def logistic_table(input_scale: float, input_zero_point: int, output_scale: float,
                   output_zero_point: int) -> list[int]:
    """TFLite's int8 LOGISTIC table: 1 / (1 + expf(-x))."""
    return lut_table(lambda x: f32(1) / (f32(1) + expf(-x)), input_scale, input_zero_point, output_scale,
                     output_zero_point)


def tanh_table(input_scale: float, input_zero_point: int, output_scale: float,
               output_zero_point: int) -> list[int]:
    """TFLite's int8 TANH table (its reference kernel's int8 path): tanhf(x)."""
    return lut_table(tanhf, input_scale, input_zero_point, output_scale, output_zero_point)


_SQRT1_2 = f32(0.70710678118654752440)                    # static_cast<float>(M_SQRT1_2)
_SQRT_2_PI = f32(1.12837916709551257390 * 0.70710678118654752440)  # sqrt(2 / pi) as a float constant


def gelu(x, approximate: bool) -> np.float32:
    """TFLite's float GELU as its int8 table is filled (reference GeluTransform / GeluTransformApproximate),
    every step in single precision: 0.5 x erfcf(-x / sqrt 2), or 0.5 x (1 + tanhf(sqrt(2/pi) (x + 0.044715 x^3)))."""
    x = f32(x)
    half = f32(0.5) * x
    if not approximate:
        return f32(half * erfcf(x * -_SQRT1_2))
    cube = f32(f32(f32(0.044715) * x) * x) * x
    return f32(half * (f32(1) + tanhf(_SQRT_2_PI * f32(x + cube))))


def gelu_table(approximate: bool, input_scale: float, input_zero_point: int, output_scale: float,
               output_zero_point: int) -> list[int]:
    """TFLite's int8 GELU table (LUTPopulate of the float GELU, exact or tanh-approximated)."""
    return lut_table(lambda v: gelu(v, approximate), input_scale, input_zero_point, output_scale,
                     output_zero_point)


def abs_table(input_scale: float, input_zero_point: int, output_scale: float, output_zero_point: int) -> list[int]:
    """TFLite's int8 ABS (elementwise.cc) as a 256-entry table indexed by the input byte as uint8:
    |x - input zero point|, requantized by the single-precision input/output scale ratio unless the two
    scales are equal (then taken as is), plus the output zero point, saturated."""
    same = f32(input_scale) == f32(output_scale)
    m, s = quantize_multiplier(float(f32(input_scale) / f32(output_scale)))
    table = [0] * 256
    for val in range(-128, 128):
        a = abs(val - int(input_zero_point))
        y = int(output_zero_point) + (a if same else requantize(a, m, s))
        table[val & 0xFF] = max(-128, min(127, y))
    return table


def exp_table(input_scale: float, input_zero_point: int, output_scale: float, output_zero_point: int) -> list[int]:
    """TFLite's int8 EXP table (exp.cc, LUTPopulate of std::exp on a float: the C library's expf)."""
    return lut_table(expf, input_scale, input_zero_point, output_scale, output_zero_point)


def log_table(input_scale: float, input_zero_point: int, output_scale: float, output_zero_point: int) -> list[int]:
    """TFLite's int8 LOG table (elementwise.cc, LUTPopulate): logf of the dequantized input, and for an
    input of 0 or less the real value of the output's lowest byte, (-128 - output zero point) * scale."""
    lowest = f32(f32(-128 - int(output_zero_point)) * f32(output_scale))
    return lut_table(lambda v: lowest if v <= 0 else logf(v), input_scale, input_zero_point, output_scale,
                     output_zero_point)


def sqrt_table(input_scale: float, input_zero_point: int, output_scale: float, output_zero_point: int) -> list[int]:
    """TFLite's int8 SQRT (elementwise.cc, SqrtEvalQuantized) as a 256-entry table: the dequantized input
    in single precision, its square root (correctly rounded, as sqrtf), divided by the output scale in
    single precision and truncated toward zero, plus the output zero point, saturated. The reference stops
    with an error on a negative dequantized input; those bytes take the output zero point (sqrt of 0)."""
    table = [0] * 256
    for val in range(-128, 128):
        real = f32(input_scale) * f32(val - int(input_zero_point))
        root = np.sqrt(real) if real >= 0 else f32(0)
        y = float_to_int32(f32(root) / f32(output_scale)) + int(output_zero_point)
        table[val & 0xFF] = max(-128, min(127, y))
    return table


def inv_sqrt_multiplier(x: int) -> tuple[int, int]:
    """1 / sqrt(x) as (multiplier, shift <= 0) for requantize: TFLite's GetInvSqrtQuantizedMultiplierExp
    with reverse_shift -1, the Python twin of C's mcu_inv_sqrt_multiplier (mcu_quant.h: x brought into
    [2^27, 2^29) by powers of four, five Newton-Raphson steps in fixed point with 3 integer bits, times
    sqrt(2)/2)."""
    if x <= 1:
        return INT32_MAX, 0
    right = 11
    while x >= 1 << 29:
        x //= 4
        right += 1
    pairs = (29 - x.bit_length()) // 2  # the most pairs of bits x shifts left by and stays below 2^29
    right -= pairs
    x <<= 2 * pairs
    half_x = _rounding_divide_by_pot(x >> 1, 1)
    three_halves = (1 << 28) + (1 << 27)
    y = 1 << 28
    for _ in range(5):
        y3 = _sat_shift_left(_sat_round_doubling_high_mul(_sat_round_doubling_high_mul(y, y), y), 6)
        d = _sat_round_doubling_high_mul(three_halves, y) - _sat_round_doubling_high_mul(half_x, y3)
        d = (d + (1 << 31)) % (1 << 32) - (1 << 31)  # int32 wrap, as the fixed-point subtraction
        y = _sat_shift_left(d, 3)
    y = _sat_round_doubling_high_mul(y, 1518500250)  # sqrt(2) / 2 in Q0.31
    if right < 0:
        y = ((y << -right) + (1 << 31)) % (1 << 32) - (1 << 31)
        right = 0
    return y, -right


def rsqrt_table(input_scale: float, input_zero_point: int, output_scale: float,
                output_zero_point: int) -> list[int]:
    """TFLite's int8 RSQRT (elementwise.cc, RsqrtEvalQuantizedInt8) as a 256-entry table. The multiplier
    is 1 / (sqrtf(input scale) * output scale), the product in single precision, the quotient in double;
    per input v = x - input zero point: 127 for v = 0, else v's inverse square root multiplier
    (inv_sqrt_multiplier) applied to 1 with 20 more bits of left shift, that requantized by the multiplier
    with 20 fewer, plus the output zero point, saturated. The reference stops with an error on v < 0;
    those bytes take 127 too."""
    product = f32(np.sqrt(f32(input_scale)) * f32(output_scale))
    multiplier, shift = quantize_multiplier(1.0 / float(product))
    table = [0] * 256
    for val in range(-128, 128):
        v = val - int(input_zero_point)
        if v <= 0:
            table[val & 0xFF] = 127
            continue
        m, s = inv_sqrt_multiplier(v)
        data = requantize(1, m, s + 20)
        y = requantize(data, multiplier, shift - 20) + int(output_zero_point)
        table[val & 0xFF] = max(-128, min(127, y))
    return table


def softmax_params(input_scale: float, beta: float) -> dict:
    """TFLite's reference int8 SOFTMAX parameters (PreprocessSoftmaxScaling, CalculateInputRadius with
    5 integer bits): beta * input_scale * 2^26 as a multiplier and left shift, and the smallest input
    difference that still contributes."""
    real = min(float(np.float32(beta)) * float(np.float32(input_scale)) * (1 << 26), (1 << 31) - 1.0)
    multiplier, left_shift = quantize_multiplier(real)
    radius = math.floor(31 * (1 << 26) / (1 << left_shift))
    return {"input_multiplier": multiplier, "input_left_shift": left_shift, "diff_min": -int(radius)}


INT32_MAX = (1 << 31) - 1


def _sat_round_doubling_high_mul(a: int, b: int) -> int:
    """mcu_sat_round_doubling_high_mul: high 32 bits of 2ab, nudged toward the sign, truncated."""
    if a == b == -(1 << 31):
        return INT32_MAX
    v = a * b + ((1 << 30) if a * b >= 0 else 1 - (1 << 30))
    return v >> 31 if v >= 0 else -((-v) >> 31)


def _rounding_divide_by_pot(x: int, exponent: int) -> int:
    mask = (1 << exponent) - 1
    return (x >> exponent) + (1 if (x & mask) > (mask >> 1) + (1 if x < 0 else 0) else 0)


def _sat_shift_left(x: int, exponent: int) -> int:
    threshold = (1 << (31 - exponent)) - 1
    return INT32_MAX if x > threshold else -(1 << 31) if x < -threshold else x << exponent


def _exp_quarter_q31(a: int) -> int:
    """gemmlowp's exp_on_interval_between_negative_one_quarter_and_0_excl (Q0.31): mcu_exp_quarter_q31."""
    e, third = 1895147668, 715827883
    x = a + (1 << 28)
    x2 = _sat_round_doubling_high_mul(x, x)
    x3 = _sat_round_doubling_high_mul(x2, x)
    x4 = _sat_round_doubling_high_mul(x2, x2)
    poly = _rounding_divide_by_pot(
        _sat_round_doubling_high_mul(_rounding_divide_by_pot(x4, 2) + x3, third) + x2, 1)
    return e + _sat_round_doubling_high_mul(e, x + poly)


_EXP_MINUS_POW2 = (1672461947, 1302514674, 790015084, 290630308, 39332535, 720401, 242)


def exp_on_negative_values_q5_26(a: int) -> int:
    """gemmlowp's exp_on_negative_values with 5 integer bits: exp(a) for a <= 0 in Q5.26, result in Q0.31
    (mcu_exp_on_negative_values_q5_26)."""
    if a == 0:
        return INT32_MAX
    rem_minus_quarter = (a & ((1 << 24) - 1)) - (1 << 24)
    result = _exp_quarter_q31(_sat_shift_left(rem_minus_quarter, 5))
    rest = rem_minus_quarter - a
    for k, c in enumerate(_EXP_MINUS_POW2):
        if rest & (1 << (24 + k)):
            result = _sat_round_doubling_high_mul(result, c)
    return result


def softmax_exp_table(input_multiplier: int, input_left_shift: int, diff_min: int) -> list[int]:
    """TFLite's reference int8 SOFTMAX exponentials by the difference d = max - x (0 .. 255): the difference
    rescaled to Q5.26 (softmax_params' multiplier and left shift), exp_on_negative_values in Q0.31; 0 where
    -d is below diff_min (such values contribute nothing and give the lowest output)."""
    return [exp_on_negative_values_q5_26(requantize(-d, input_multiplier, input_left_shift)) if -d >= diff_min
            else 0 for d in range(256)]


def _downscale_to_int16(multiplier: int) -> int:
    rounding = 1 << 15
    if multiplier >= (1 << 31) - 1 - rounding:
        return 32767
    return (multiplier + rounding) >> 16


def hard_swish_params(input_scale: float, input_zero_point: int, output_scale: float,
                      output_zero_point: int) -> dict:
    """HARD_SWISH's 16-bit fixed-point multipliers, from single-precision scale ratios."""
    hires_input_scale = f32(1.0 / 128.0) * f32(input_scale)
    reluish_scale = f32(3.0) / f32(32768.0)
    out_mult, out_exp = quantize_multiplier(float(hires_input_scale / f32(output_scale)))
    rel_mult, rel_exp = quantize_multiplier(float(hires_input_scale / reluish_scale))
    return {
        "input_zero_point": int(input_zero_point),
        "output_zero_point": int(output_zero_point),
        "output_multiplier_exponent": out_exp,
        "output_multiplier_fixedpoint_int16": _downscale_to_int16(out_mult),
        "reluish_multiplier_exponent": rel_exp,
        "reluish_multiplier_fixedpoint_int16": _downscale_to_int16(rel_mult),
    }


def c_float(x) -> str:
    """A C literal that parses to exactly this single-precision value."""
    v = f32(x)
    if not np.isfinite(v):
        raise ValueError(f"non-finite float {v}")
    return f"{float(v).hex()}f" if v != 0 else "0.0f"


def mean_multiplier(input_scale: float, output_scale: float, count: int) -> tuple[int, int]:
    """MEAN's requantization with 1/count folded into the input/output multiplier (integer only)."""
    m, s = ratio_multiplier(input_scale, output_scale)
    shift = min(count.bit_length() - 1, 32, 31 + s)
    return int((m << shift) // count), s - shift


def leaky_relu_table(alpha: float, input_scale: float, input_zero_point: int, output_scale: float,
                     output_zero_point: int) -> list[int]:
    """TFLite's int8 LEAKY_RELU (reference QuantizeLeakyRelu) as a 256-entry table indexed by the input
    byte as uint8: x - zero point requantized by input/output scale (x >= 0) or by
    input scale * alpha / output scale (x < 0), both ratios in single precision as its Prepare takes them."""
    identity = quantize_multiplier(float(f32(input_scale) / f32(output_scale)))
    negative = quantize_multiplier(float(f32(input_scale) * f32(alpha) / f32(output_scale)))
    table = [0] * 256
    for val in range(-128, 128):
        x = val - int(input_zero_point)
        y = int(output_zero_point) + requantize(x, *(identity if x >= 0 else negative))
        table[val & 0xFF] = max(-128, min(127, y))
    return table


def prelu_params(input_scale: float, input_zero_point: int, alpha_scale: float, output_scale: float,
                 output_zero_point: int) -> dict:
    """TFLite's int8 PRELU (its Prepare's single-precision scale ratios): the alpha side's multiplier and
    shift, and the x >= 0 side as a 256-entry table indexed by the input value + 128 (x * input/output
    scale + output zero point, clamped; 0 where x < 0)."""
    identity = quantize_multiplier(float(f32(input_scale) / f32(output_scale)))
    alpha = quantize_multiplier(float(f32(input_scale) * f32(alpha_scale) / f32(output_scale)))
    table = [0] * 256
    for val in range(-128, 128):
        x = val - int(input_zero_point)
        if x >= 0:
            table[val + 128] = max(-128, min(127, int(output_zero_point) + requantize(x, *identity)))
    return {"alpha": alpha, "table": table}


def relu_params(kind: str, input_scale: float, output_scale: float, output_zero_point: int) -> dict:
    """Standalone RELU / RELU6 / RELU_N1_TO_1: float scale ratio, clamp from roundf(limit / scale)."""
    m, s = quantize_multiplier(float(f32(input_scale) / f32(output_scale)))
    lo_real, hi_real = {"RELU": (0.0, None), "RELU6": (0.0, 6.0), "RELU_N1_TO_1": (-1.0, 1.0)}[kind]
    lo = max(-128, quantize_value(lo_real, output_scale, output_zero_point))
    hi = 127 if hi_real is None else min(127, quantize_value(hi_real, output_scale, output_zero_point))
    return {"multiplier": m, "shift": s, "act_min": lo, "act_max": hi}


ADD_SUM_SHIFT = 20  # MCU_ADD_SUM_SHIFT in firmware/engine/mcu_add_s8.c


def _requantize_array(x, multiplier: int, shift: int):
    """requantize over an int64 array, for shift <= 0 and multiplier >= 0."""
    ab = np.asarray(x, dtype=np.int64) * int(multiplier)
    v = ab + np.where(ab >= 0, 1 << 30, 1 - (1 << 30))
    high = np.where(v >= 0, v >> 31, -((-v) >> 31))
    right = -int(shift)
    mask = (1 << right) - 1
    return (high >> right) + ((high & mask) > (mask >> 1) + (high < 0))


def add_sum_table(rescaled1: Sequence[int], rescaled2: Sequence[int], multiplier: int, shift: int,
                  output_zero_point: int, act_min: int, act_max: int):
    """ADD as two 256-entry tables A, B (indexed by the input bytes as uint8) with
    clamp((A[x1] + B[x2]) >> ADD_SUM_SHIFT, act_min, act_max) equal to TFLite's output for every pair of
    int8 inputs, or None. rescaled1/2 are the first-stage values of x = -128 .. 127; A and B are them
    times the output multiplier (zero point and rounding constant in A) in units of 2^-ADD_SUM_SHIFT
    output steps, rounded down, clamped where the output saturates anyway. The 65,536 pairs are
    compared with the reference requantization, so a returned table is exact by enumeration."""
    if shift > -1 or multiplier < 0:
        return None
    n, right = ADD_SUM_SHIFT, -int(shift)
    t1 = [int(v) for v in rescaled1]
    t2 = [int(v) for v in rescaled2]
    sums = np.add.outer(np.array(t1, np.int64), np.array(t2, np.int64))
    if np.abs(sums).max() >= 2**31:
        return None
    want = np.clip(_requantize_array(sums, multiplier, shift) + output_zero_point, act_min, act_max)
    drop = 31 + right - n
    base = (1 << 30) + (1 << (30 + right)) + (int(output_zero_point) << (31 + right))
    a0 = np.array([(t * multiplier + base) >> drop for t in t1], dtype=object).astype(np.int64)
    b = np.array([(t * multiplier) >> drop for t in t2], dtype=object).astype(np.int64)
    for k in (0, 1, 2):  # the floors lose up to 2 units: try the nudges
        a = np.clip(a0 + k, (act_min << n) - b.max() - (1 << n), ((act_max + 1) << n) - b.min())
        bc = np.clip(b, (act_min << n) - a.max() - (1 << n), ((act_max + 1) << n) - a.min())
        if max(np.abs(a).max(), np.abs(bc).max()) >= 2**30:
            continue
        got = np.clip(np.add.outer(a, bc) >> n, act_min, act_max)
        if (got == want).all():
            order = [u - 256 if u > 127 else u for u in range(256)]  # uint8 index -> int8 value
            return [int(a[x + 128]) for x in order] + [int(bc[x + 128]) for x in order]
    return None


def comparison_values(scale: float, zero_point: int) -> list[int] | None:
    """The 256 values TFLite's int8 comparisons (comparisons.cc) compare, byte v = -128..127 in order:
    (v - zero_point) << 8 times the tensor's own scale as a multiplier (MultiplyByQuantizedMultiplierSmallerThanOneExp),
    or None for a scale of 1 or more (its shift is left, which the reference shifts right by a negative amount)."""
    m, s = quantize_multiplier(float(f32(scale)))
    if s > 0:
        return None
    return [requantize((v - zero_point) << 8, m, s) for v in range(-128, 128)]


def reduce_prod_params(input_scale: float, output_scale: float, count: int) -> tuple[int, int]:
    """REDUCE_PROD's per-step rescaling (reduce.cc): input_scale / output_scale^(1 / count) in double precision,
    as (multiplier rounded to 16 bits, total shift 15 - shift) of MultiplyByQuantizedMultiplier on an int64."""
    m, s = quantize_multiplier(float(f32(input_scale)) / math.pow(float(f32(output_scale)), 1.0 / count))
    return ((m + (1 << 15)) >> 16 if m < 0x7FFF0000 else 0x7FFF), 15 - s
