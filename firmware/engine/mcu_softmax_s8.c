/* SOFTMAX over the last axis, TFLite's reference int8 kernel: input differences from the row maximum
 * scaled to Q5.26 by the beta multiplier, fixed-point exp, a Q12.19 sum, its reciprocal, and outputs
 * in units of 1/256 offset by -128. Differences below diff_min give -128. An int8 difference from the
 * maximum takes 256 values, so the code generator gives the reference's exponentials as a table
 * (mcu_softmax_params.exp_table, 0 below diff_min: no term, output -128). Rows of any length: the
 * reference is defined while the sum stays below 512 (its output shift, bits over unit + 23, at most 31;
 * beyond that gemmlowp's RoundingDivideByPOT asserts and TFLite's reference and TFLM abort). Past 512
 * every output is below half a step (1/512 < 0.5/256), so the row is -128. Every term is at most 2^19
 * (Q12.19), so the sum is checked after every 256 values: below 2^28 + 2^27, it cannot wrap. */
#include "mcu_engine.h"
#include "mcu_quant.h"

mcu_status mcu_softmax_s8(const mcu_softmax_params *params, int32_t outer, int32_t depth, const int8_t *input,
                          int8_t *output)
{
    const int32_t *exp_table = params->exp_table;
    for (int32_t o = 0; o < outer; ++o) {
        int32_t max_val = MCU_INT8_MIN;
        for (int32_t j = 0; j < depth; ++j) {
            max_val = mcu_max_i32(max_val, input[j]);
        }
        int32_t sum = 0; /* Q12.19 */
        for (int32_t j = 0; j < depth && sum < (1 << 28);) {
            const int32_t end = mcu_min_i32(depth, j + 256);
            for (; j < end; ++j) {
                /* mcu_rounding_divide_by_pot(e, 12) for e >= 0 */
                sum += ((exp_table[max_val - input[j]] >> 11) + 1) >> 1;
            }
        }
        if (sum >= (1 << 28)) {
            for (int32_t j = 0; j < depth; ++j) {
                output[j] = MCU_INT8_MIN;
            }
            input += depth;
            output += depth;
            continue;
        }
        int bits_over_unit;
        const uint32_t inv = (uint32_t)mcu_reciprocal_q31(sum, 12, &bits_over_unit); /* positive */
        const int shift = bits_over_unit + 31 - 8 - 1;                                  /* 22 .. 30 */
        for (int32_t j = 0; j < depth; ++j) {
            /* mcu_sat_round_doubling_high_mul(inv, e) then mcu_rounding_divide_by_pot(., shift + 1),
             * both operands non-negative */
            const uint32_t e = (uint32_t)exp_table[max_val - input[j]];
            const int32_t high = (int32_t)(((uint64_t)inv * e + (1u << 30)) >> 31);
            const int32_t q = (((high >> shift) + 1) >> 1) + MCU_INT8_MIN;
            output[j] = (int8_t)mcu_min_i32(q, MCU_INT8_MAX);
        }
        input += depth;
        output += depth;
    }
    return MCU_OK;
}
