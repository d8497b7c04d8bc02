/* L2_NORMALIZATION over the last axis, TFLite's reference int8 kernel: per row the sum of the squared
 * offset inputs, its inverse square root as a multiplier m and a shift (mcu_inv_sqrt_multiplier), and
 * each offset input v requantized by it with 7 more bits of left shift (the output is in units of 1/128,
 * zero point 0), saturated to int8. Rows run in place (each value is read before its output is written).
 *
 * The total shift s = shift + 7 lies in -5 .. 7 (the sum is below 2^31: at most one division by four) and
 * |v| <= 255, so the reference's requantization is exact in 32 bits: its rounding doubling high multiply of
 * v 2^max(s, 0) by m is floor((v 2^(max(s, 0) + 1) m + 2^31) / 2^32) (one SMMULR on DSP cores), then for
 * s < 0 a rounding shift by -s, ties away from zero (mcu_requantize_fast's). */
#include "mcu_engine.h"
#include "mcu_quant.h"
#if defined(__ARM_FEATURE_DSP)
#include "mcu_dsp.h"
#endif

static inline __attribute__((always_inline)) int32_t high_mul(int32_t a, int32_t m)
{
#if defined(__ARM_FEATURE_DSP)
    return mcu_smmulr(a, m);
#else
    return (int32_t)(((int64_t)a * m + ((int64_t)1 << 31)) >> 32);
#endif
}

static inline __attribute__((always_inline)) int8_t sat8(int32_t x)
{
#if defined(__ARM_FEATURE_DSP)
    return (int8_t)__ssat(x, 8);
#else
    return (int8_t)mcu_clamp_i32(x, MCU_INT8_MIN, MCU_INT8_MAX);
#endif
}

mcu_status mcu_l2norm_s8(int32_t outer, int32_t depth, int32_t input_offset, const int8_t *input, int8_t *output)
{
    for (int32_t o = 0; o < outer; ++o, input += depth, output += depth) {
        uint32_t acc = 0; /* the reference's int32 sum; below 2^31 for the depths the code generator accepts */
        int32_t j = 0;
        for (; j + 2 <= depth; j += 2) {
            const int32_t v0 = input[j] + input_offset, v1 = input[j + 1] + input_offset;
            acc += (uint32_t)(v0 * v0 + v1 * v1);
        }
        if (j < depth) {
            const int32_t v = input[j] + input_offset;
            acc += (uint32_t)(v * v);
        }
        int32_t shift;
        const int32_t m = mcu_inv_sqrt_multiplier((int32_t)acc, &shift);
        const int32_t s = shift + 7;
        if (s >= 0) {
            const int32_t left = s + 1;
            for (j = 0; j < depth; ++j) {
                output[j] = sat8(high_mul((int32_t)((uint32_t)(input[j] + input_offset) << left), m));
            }
        } else {
            const int32_t right = -s, half = 1 << (right - 1);
            for (j = 0; j < depth; ++j) {
                const int32_t hi = high_mul((input[j] + input_offset) * 2, m);
                output[j] = sat8((hi + half + (hi >> 31)) >> right);
            }
        }
    }
    return MCU_OK;
}
