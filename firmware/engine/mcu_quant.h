/* mcunets engine: the integer quantization arithmetic every kernel shares.
 *
 * These are the fixed-point primitives of TensorFlow Lite's reference integer kernels, written so the
 * generated firmware reproduces BUILTIN_REF byte for byte:
 *   - mcu_sat_round_doubling_high_mul: (a * b * 2) >> 32 with round-half-away-from-zero nudging and
 *     saturation of the single overflow case (INT32_MIN * INT32_MIN),
 *   - mcu_rounding_divide_by_pot: x / 2^exponent rounded to nearest, ties away from zero,
 *   - mcu_requantize: MultiplyByQuantizedMultiplier (left shift, high multiply, rounding right shift),
 *   - mcu_requantize_single_round: the single-rounding form, (x * multiplier + 2^(30 - shift)) >>
 *     (31 - shift) in 64 bits, which per-channel FULLY_CONNECTED uses in TFLite (its per-channel
 *     integer path rounds once; the double-rounding form differs by one in a few percent of outputs).
 * Multipliers and shifts are computed on the host by mcunets/engine/quant.py, the one Python module that
 * turns real scales into (multiplier, shift) pairs the way TFLite's QuantizeMultiplier does.
 *
 * Right shifts of negative values are arithmetic on every compiler this project targets (GCC, Clang).
 */
#ifndef MCU_QUANT_H
#define MCU_QUANT_H

#include <stdint.h>

#define MCU_INT8_MIN (-128)
#define MCU_INT8_MAX 127

static inline int32_t mcu_max_i32(int32_t a, int32_t b) { return a > b ? a : b; }
static inline int32_t mcu_min_i32(int32_t a, int32_t b) { return a < b ? a : b; }

static inline int32_t mcu_clamp_i32(int32_t x, int32_t lo, int32_t hi)
{
    return x < lo ? lo : (x > hi ? hi : x);
}

/* High 32 bits of 2*a*b, rounded (nudge of 2^30 toward the sign), saturating INT32_MIN*INT32_MIN. */
static inline int32_t mcu_sat_round_doubling_high_mul(int32_t a, int32_t b)
{
    if (a == b && a == INT32_MIN) {
        return INT32_MAX;
    }
    const int64_t ab = (int64_t)a * (int64_t)b;
    const int64_t nudge = ab >= 0 ? ((int64_t)1 << 30) : (1 - ((int64_t)1 << 30));
    return (int32_t)((ab + nudge) / ((int64_t)1 << 31));
}

/* x / 2^exponent, rounded to nearest with ties away from zero (0 <= exponent <= 31). */
static inline int32_t mcu_rounding_divide_by_pot(int32_t x, int exponent)
{
    const int32_t mask = (int32_t)(((int64_t)1 << exponent) - 1);
    const int32_t remainder = x & mask;
    const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
    return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

/* x * real_multiplier, where real_multiplier = multiplier * 2^(shift - 31). */
static inline int32_t mcu_requantize(int32_t x, int32_t multiplier, int32_t shift)
{
    const int left = shift > 0 ? shift : 0;
    const int right = shift > 0 ? 0 : -shift;
    const int32_t shifted = (int32_t)((uint32_t)x << left); /* wraps like TFLite's x * (1 << left) */
    return mcu_rounding_divide_by_pot(mcu_sat_round_doubling_high_mul(shifted, multiplier), right);
}

/* x * 2^exponent saturated to int32 (1 <= exponent <= 31): gemmlowp's SaturatingRoundingMultiplyByPOT
 * for a positive exponent. */
static inline int32_t mcu_sat_shift_left(int32_t x, int exponent)
{
    const int32_t threshold = (int32_t)((1u << (31 - exponent)) - 1u);
    if (x > threshold) {
        return INT32_MAX;
    }
    if (x < -threshold) {
        return INT32_MIN;
    }
    return (int32_t)((uint32_t)x << exponent);
}

/* exp(a) for a in [-1/4, 0), argument and result in Q0.31: gemmlowp's fourth-order Taylor expansion
 * around -1/8 (exp_on_interval_between_negative_one_quarter_and_0_excl). */
static inline int32_t mcu_exp_quarter_q31(int32_t a)
{
    const int32_t exp_minus_one_eighth = 1895147668;
    const int32_t one_third = 715827883;
    const int32_t x = a + (1 << 28); /* a + 1/8 */
    const int32_t x2 = mcu_sat_round_doubling_high_mul(x, x);
    const int32_t x3 = mcu_sat_round_doubling_high_mul(x2, x);
    const int32_t x4 = mcu_sat_round_doubling_high_mul(x2, x2);
    const int32_t x4_over_4 = mcu_rounding_divide_by_pot(x4, 2);
    const int32_t poly =
        mcu_rounding_divide_by_pot(mcu_sat_round_doubling_high_mul(x4_over_4 + x3, one_third) + x2, 1);
    return exp_minus_one_eighth + mcu_sat_round_doubling_high_mul(exp_minus_one_eighth, x + poly);
}

/* exp(a) for a <= 0 in Q5.26, result in Q0.31: gemmlowp's exp_on_negative_values with 5 integer bits
 * (the interval [-1/4, 0) by mcu_exp_quarter_q31, then one constant factor exp(-2^k) per set bit k of
 * the rest, k = -2 .. 4). The C twin of quant.exp_on_negative_values_q5_26: SOFTMAX reads the code
 * generator's table of it (tests/test_engine_ops.py checks the two agree). */
static inline int32_t mcu_exp_on_negative_values_q5_26(int32_t a)
{
    const int32_t one_quarter = 1 << 24;
    const int32_t rem_minus_quarter = (a & (one_quarter - 1)) - one_quarter;
    int32_t result = mcu_exp_quarter_q31(mcu_sat_shift_left(rem_minus_quarter, 5));
    const int32_t rest = rem_minus_quarter - a;
    static const int32_t exp_minus_pow2[7] = {1672461947, 1302514674, 790015084, 290630308,
                                              39332535,   720401,     242};
    for (int k = 0; k < 7; ++k) {
        if (rest & (1 << (24 + k))) {
            result = mcu_sat_round_doubling_high_mul(result, exp_minus_pow2[k]);
        }
    }
    return a == 0 ? INT32_MAX : result;
}

/* (a + b) / 2 rounded half away from zero, in 64 bits: gemmlowp's RoundingHalfSum. */
static inline int32_t mcu_rounding_half_sum(int32_t a, int32_t b)
{
    const int64_t sum = (int64_t)a + b;
    return (int32_t)((sum + (sum >= 0 ? 1 : -1)) / 2);
}

/* 1 / (1 + a) for a in [0, 1) in Q0.31: gemmlowp's one_over_one_plus_x_for_x_in_0_1 (three Newton-Raphson
 * steps on the half denominator in Q2.29 from 48/17 - 32/17 d). */
static inline int32_t mcu_one_over_one_plus_x_q31(int32_t a)
{
    const int32_t half_denominator = mcu_rounding_half_sum(a, INT32_MAX);
    int32_t r = 1515870810 + mcu_sat_round_doubling_high_mul(half_denominator, -1010580540); /* Q2.29 */
    for (int i = 0; i < 3; ++i) {
        const int32_t one_minus = (1 << 29) - mcu_sat_round_doubling_high_mul(half_denominator, r);
        r = r + mcu_sat_shift_left(mcu_sat_round_doubling_high_mul(r, one_minus), 2);
    }
    return mcu_sat_shift_left(r, 1);
}

/* 1 / x for x > 0 with x_integer_digits integer bits: the mantissa of 1/x in Q0.31 (gemmlowp's
 * one_over_one_plus_x_for_x_in_0_1, three Newton-Raphson steps) and, in *num_bits_over_unit, the
 * power of two it is scaled by (TFLite's GetReciprocal). */
static inline int32_t mcu_reciprocal_q31(int32_t x, int x_integer_digits, int *num_bits_over_unit)
{
    int headroom_plus_one = 0;
    while (headroom_plus_one < 32 && !((uint32_t)x & (0x80000000u >> headroom_plus_one))) {
        ++headroom_plus_one;
    }
    *num_bits_over_unit = x_integer_digits - headroom_plus_one;
    return mcu_one_over_one_plus_x_q31((int32_t)(((uint32_t)x << headroom_plus_one) - 0x80000000u));
}

/* x * 2^exponent saturated to int32 for 0 <= exponent <= 31 (TFLite's SaturatingRoundingMultiplyByPOTParam
 * with a non-negative exponent). */
static inline int32_t mcu_sat_shift_left_param(int32_t x, int exponent)
{
    return exponent == 0 ? x : mcu_sat_shift_left(x, exponent);
}

static inline int32_t mcu_sat_add_i32(int32_t a, int32_t b)
{
    const int64_t s = (int64_t)a + b;
    return (int32_t)(s > INT32_MAX ? INT32_MAX : (s < INT32_MIN ? INT32_MIN : s));
}

static inline int mcu_clz32(uint32_t x)
{
    int n = 0;
    while (n < 32 && !(x & (0x80000000u >> n))) {
        ++n;
    }
    return n;
}

/* log(x) for x >= 1 given in Q12.19, result in Q5.26: TFLite's log_x_for_x_greater_than_or_equal_to_1 with
 * 12 input and 5 output integer bits (LOG_SOFTMAX's log of the sum of exponentials). x is normalized two
 * ways, once to [1/2, 1) times sqrt(1/2) and once, after a multiplication by sqrt(1/2), to [1/2, 1); the
 * smaller mantissa r (in [sqrt(1/2), 1)) and the larger power-of-two estimate (the exponent plus 1/4,
 * or minus 1/4, in Q6.25) are kept; log(r) comes from a rational approximation around sqrt(sqrt(1/2))
 * (q = 2 (r - sqrt(sqrt(1/2))), numerator q r + alpha_n q^3, denominator 1 + p (alpha_i + q + alpha_d q^2)
 * + alpha_f q with p the rounded half sum of r and sqrt(sqrt(1/2)), its reciprocal by
 * mcu_one_over_one_plus_x_q31), and the result is the estimate times log 2 plus that, in Q6.25, shifted
 * to Q5.26 with saturation. Products are rounding doubling high multiplies; plain sums wrap as the
 * reference's do. */
static inline int32_t mcu_log_q12_19_to_q5_26(int32_t x)
{
    const int32_t log_2 = 1488522236, sqrt_sqrt_half = 1805811301, sqrt_half = 1518500250;
    const int32_t alpha_n = 117049297, alpha_d = 127690142, alpha_i = 1057819769, alpha_f = 638450708;
    const int32_t quarter = 1 << 23; /* 1/4 with 6 integer bits */
    const int a_headroom_plus_1 = mcu_clz32((uint32_t)x);
    const int32_t r_a = mcu_sat_shift_left_param(
        mcu_sat_round_doubling_high_mul(mcu_sat_shift_left_param(x, a_headroom_plus_1 - 1), sqrt_half), 1);
    const int32_t a_pow2 = mcu_sat_add_i32(mcu_sat_shift_left_param(12 - a_headroom_plus_1, 25), quarter);
    const int b_headroom = mcu_clz32((uint32_t)mcu_sat_round_doubling_high_mul(x, sqrt_half)) - 1;
    const int32_t r_b = mcu_sat_shift_left_param(x, b_headroom);
    const int32_t b_pow2 = mcu_sat_add_i32(mcu_sat_shift_left_param(12 - b_headroom, 25), -quarter);
    const int32_t r = mcu_min_i32(r_a, r_b), pow2 = mcu_max_i32(a_pow2, b_pow2);
    const int32_t p = mcu_rounding_half_sum(r, sqrt_sqrt_half);
    const int32_t q = (int32_t)(((uint32_t)r - (uint32_t)sqrt_sqrt_half) * 2u);
    const int32_t q2 = mcu_sat_round_doubling_high_mul(q, q);
    const int32_t num = (int32_t)((uint32_t)mcu_sat_round_doubling_high_mul(q, r) +
                                  (uint32_t)mcu_sat_round_doubling_high_mul(mcu_sat_round_doubling_high_mul(q, q2),
                                                                            alpha_n));
    const int32_t inner = (int32_t)((uint32_t)alpha_i + (uint32_t)q +
                                    (uint32_t)mcu_sat_round_doubling_high_mul(alpha_d, q2));
    const int32_t denom_minus_one = (int32_t)((uint32_t)mcu_sat_round_doubling_high_mul(p, inner) +
                                              (uint32_t)mcu_sat_round_doubling_high_mul(alpha_f, q));
    const int32_t recip = mcu_one_over_one_plus_x_q31(denom_minus_one);
    const int32_t sum = (int32_t)((uint32_t)mcu_sat_round_doubling_high_mul(pow2, log_2) +
                                  (uint32_t)mcu_sat_round_doubling_high_mul(mcu_rounding_divide_by_pot(num, 6), recip));
    return mcu_sat_shift_left(sum, 1);
}

/* mcu_requantize(x, multiplier, -right) in 32-bit arithmetic, valid (and then exactly equal) when
 * -2^30 <= x < 2^30, 0 <= multiplier < 2^31 and 1 <= right <= 31:
 *   - the rounding doubling high multiply is floor((x * m + 2^30) / 2^31) = ((2x) * m + 2^31) >> 32,
 *     a single SMMULR on Cortex-M DSP cores; its magnitude stays below 2^30,
 *   - rounding half away from zero is (v + 2^(right-1) - (v < 0)) >> right, with no overflow.
 * The code generator sets mcu_conv_params.fast_requant / mcu_dw_conv_params.fast_requant only when
 * every accumulator and shift of the layer meets these conditions. */
static inline int32_t mcu_requantize_fast(int32_t x, int32_t multiplier, int32_t right)
{
    const int32_t hi = (int32_t)(((int64_t)(x * 2) * multiplier + ((int64_t)1 << 31)) >> 32);
    return (hi + (int32_t)(1u << (right - 1)) + (hi >> 31)) >> right;
}

/* A layer's fast_requant flag as the portable kernels use it: on Cortex-M DSP cores the layers that have it
 * run the DSP paths, so there the portable fallbacks keep the one mcu_requantize (smaller code). */
#if defined(__ARM_FEATURE_DSP)
#define MCU_PORTABLE_FAST_REQUANT(flag) ((void)(flag), 0)
#else
#define MCU_PORTABLE_FAST_REQUANT(flag) (flag)
#endif

/* x * multiplier * 2^(shift - 31) with one rounding (half up), in 64 bits; -31 <= shift <= 30.
 * Saturates to int32 (the exact result always fits for the scales TFLite accepts). */
static inline int32_t mcu_requantize_single_round(int32_t x, int32_t multiplier, int32_t shift)
{
    const int total_shift = 31 - (int)shift;
    const int64_t round = (int64_t)1 << (total_shift - 1);
    const int64_t r = ((int64_t)x * (int64_t)multiplier + round) >> total_shift;
    return (int32_t)(r < INT32_MIN ? INT32_MIN : (r > INT32_MAX ? INT32_MAX : r));
}

/* 1 / sqrt(x) for x >= 0 as a multiplier and a shift for mcu_requantize (the shift <= 0): TFLite's
 * GetInvSqrtQuantizedMultiplierExp with reverse_shift -1, which L2_NORMALIZATION uses. x <= 1 gives
 * INT32_MAX, shift 0. Otherwise x is brought into [2^27, 2^29) by whole powers of four (dividing while
 * at or above 2^29, then shifting left by the largest even amount that stays below 2^29), read as a
 * number with 3 integer bits (x / 2 raw), and five Newton-Raphson steps y <- 3/2 y - (x/2) y^3 from
 * y = 1 run in gemmlowp's fixed point (products by the rounding doubling high multiply, the cube from
 * 9 integer bits back to 3 and the step from 6 back to 3 by saturating left shifts, the difference of
 * the two terms wrapping); the result is y * sqrt(2)/2 with the power of four in the shift (11 plus one
 * per division, less one per pair of bits shifted), a negative shift folded into the multiplier. */
static inline int32_t mcu_inv_sqrt_multiplier(int32_t x, int32_t *shift)
{
    if (x <= 1) {
        *shift = 0;
        return INT32_MAX;
    }
    int32_t right = 11;
    for (; x >= (1 << 29); ++right) {
        x /= 4;
    }
    int pairs = 0; /* largest k with x * 4^k < 2^29 */
    while (((uint32_t)x << (2 * pairs + 2)) < (1u << 29) && pairs < 14) {
        ++pairs;
    }
    right -= pairs;
    x = (int32_t)((uint32_t)x << (2 * pairs));
    const int32_t half_x = mcu_rounding_divide_by_pot(x >> 1, 1);
    const int32_t three_halves = (1 << 28) + (1 << 27);
    int32_t y = 1 << 28;
    for (int i = 0; i < 5; ++i) {
        const int32_t y3 = mcu_sat_shift_left(
            mcu_sat_round_doubling_high_mul(mcu_sat_round_doubling_high_mul(y, y), y), 6);
        const uint32_t d = (uint32_t)mcu_sat_round_doubling_high_mul(three_halves, y) -
                           (uint32_t)mcu_sat_round_doubling_high_mul(half_x, y3);
        y = mcu_sat_shift_left((int32_t)d, 3);
    }
    y = mcu_sat_round_doubling_high_mul(y, 1518500250); /* sqrt(2) / 2 in Q0.31 */
    if (right < 0) {
        y = (int32_t)((uint32_t)y << -right);
        right = 0;
    }
    *shift = -right;
    return y;
}

/* ---- 16-bit fixed point (HARD_SWISH) ---------------------------------------------------------- */

static inline int16_t mcu_sat_i16(int32_t x)
{
    return (int16_t)(x < INT16_MIN ? INT16_MIN : (x > INT16_MAX ? INT16_MAX : x));
}

static inline int16_t mcu_sat_round_doubling_high_mul_i16(int16_t a, int16_t b)
{
    if (a == b && a == INT16_MIN) {
        return INT16_MAX;
    }
    const int32_t ab = (int32_t)a * (int32_t)b;
    const int32_t nudge = ab >= 0 ? (1 << 14) : (1 - (1 << 14));
    return (int16_t)((ab + nudge) / (1 << 15));
}

static inline int16_t mcu_sat_doubling_high_mul_i16(int16_t a, int16_t b)
{
    if (a == b && a == INT16_MIN) {
        return INT16_MAX;
    }
    const int32_t ab = (int32_t)a * (int32_t)b;
    return (int16_t)(ab / (1 << 15));
}

static inline int16_t mcu_rounding_divide_by_pot_i16(int16_t x, int exponent)
{
    const int16_t mask = (int16_t)((1 << exponent) - 1);
    const int16_t remainder = (int16_t)(x & mask);
    const int16_t threshold = (int16_t)((mask >> 1) + (x < 0 ? 1 : 0));
    return (int16_t)((x >> exponent) + (remainder > threshold ? 1 : 0));
}

static inline int16_t mcu_sat_left_shift_i16(int16_t x, int amount)
{
    return mcu_sat_i16((int32_t)x * (1 << amount));
}

#endif /* MCU_QUANT_H */
