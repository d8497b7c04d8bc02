/* SOFTMAX over the last axis, TFLite's reference int8 kernel: input differences from the row maximum
 * scaled to Q5.26 by the beta multiplier, fixed-point exp, a Q12.19 sum, its reciprocal, and outputs
 * in units of 1/256 offset by -128. Differences below diff_min give -128. An int8 difference from the
 * maximum takes 256 values, so the code generator gives the reference's exponentials as a table
 * (mcu_softmax_params.exp_table, 0 below diff_min: no term, output -128). Rows of any length: the
 * reference is defined while the sum stays below 512 (its output shift, bits over unit + 23, at most 31;
 * beyond that gemmlowp's RoundingDivideByPOT asserts and TFLite's reference and TFLM abort). Past 512
 * every output is below half a step (1/512 < 0.5/256), so the row is -128. Every term is at most 2^19
 * (Q12.19), so the sum is checked after every 256 values: below 2^28 + 2^27, it cannot wrap.
 * Per output, the reference's high multiply of the reciprocal r by the exponential e (both non-negative),
 * floor((r e + 2^30) / 2^31), then its rounding shift by s: nested floors of one sum,
 * floor((r e + 2^30 + 2^(30 + s)) / 2^(31 + s)), one multiply-accumulate into a per-row constant and a shift
 * of its high word. The row maximum is REDUCE_MAX's (four values per word on DSP cores). */
#include "mcu_engine.h"
#include "mcu_quant.h"
#if defined(__ARM_FEATURE_DSP)
#include "mcu_dsp.h"
#endif

/* mcu_rounding_divide_by_pot(e, 12) for e >= 0: floor((e + 2^11) / 2^12), in 32 unsigned bits */
static inline int32_t q12_19(int32_t e) { return (int32_t)(((uint32_t)e + (1u << 11)) >> 12); }

/* The output of exponential e: the high word of inv e + c shifted by s - 1 (at most 256), less 128,
 * saturated. */
static inline int8_t out_s8(uint32_t inv, int32_t e, uint64_t c, int s)
{
    const uint32_t high = (uint32_t)(((uint64_t)inv * (uint32_t)e + c) >> 32);
    const int32_t q = (int32_t)(high >> (s - 1)) + MCU_INT8_MIN; /* -128 .. 128 */
#if defined(__ARM_FEATURE_DSP)
    return (int8_t)__ssat(q, 8);
#else
    return (int8_t)mcu_min_i32(q, MCU_INT8_MAX);
#endif
}

mcu_status mcu_softmax_s8(const mcu_softmax_params *params, int32_t outer, int32_t depth, const int8_t *input,
                          int8_t *output)
{
    for (int32_t o = 0; o < outer; ++o, input += depth, output += depth) {
        int8_t max8;
        mcu_reduce_max_s8(1, depth, 1, input, &max8);
        const int32_t *exp_table = params->exp_table, m = max8; /* exp_table[m - x]: exp of the difference */
        int32_t sum = 0;                                          /* Q12.19 */
        for (int32_t j = 0; j < depth && sum < (1 << 28);) {
            const int32_t end = mcu_min_i32(depth, j + 256);
            for (; j + 4 <= end; j += 4) {
                sum += q12_19(exp_table[m - input[j]]) + q12_19(exp_table[m - input[j + 1]]) +
                       q12_19(exp_table[m - input[j + 2]]) + q12_19(exp_table[m - input[j + 3]]);
            }
            for (; j < end; ++j) {
                sum += q12_19(exp_table[m - input[j]]);
            }
        }
        if (sum >= (1 << 28)) {
            for (int32_t j = 0; j < depth; ++j) {
                output[j] = MCU_INT8_MIN;
            }
            continue;
        }
        int bits_over_unit;
        const uint32_t inv = (uint32_t)mcu_reciprocal_q31(sum, 12, &bits_over_unit); /* positive */
        const int s = bits_over_unit + 31 - 8;                                          /* 23 .. 31 */
        const uint64_t c = ((uint64_t)1 << 30) + ((uint64_t)1 << (30 + s));
        int32_t j = 0;
        for (; j + 4 <= depth; j += 4) {
            output[j] = out_s8(inv, exp_table[m - input[j]], c, s);
            output[j + 1] = out_s8(inv, exp_table[m - input[j + 1]], c, s);
            output[j + 2] = out_s8(inv, exp_table[m - input[j + 2]], c, s);
            output[j + 3] = out_s8(inv, exp_table[m - input[j + 3]], c, s);
        }
        for (; j < depth; ++j) {
            output[j] = out_s8(inv, exp_table[m - input[j]], c, s);
        }
    }
    return MCU_OK;
}
