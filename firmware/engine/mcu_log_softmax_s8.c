/* LOG_SOFTMAX over the last axis, TFLite's reference int8 kernel: per row the maximum, the sum of the
 * exponentials of the differences from it (in Q12.19, SOFTMAX's table: exp_table[max - x], 0 below
 * diff_min), its logarithm in Q5.26 (mcu_log_q12_19_to_q5_26), and per value the difference in Q5.26
 * (diff_table[max - x], the difference rescaled by the input multiplier) less the logarithm, shifted
 * right by 22 with rounding (units of 1/16) and offset by 127, saturated. Differences at or below a per-row
 * bound (diff_min - 1, or the difference whose Q5.26 value is the logarithm above INT32_MIN, through the
 * reverse multiplier) give -128. Rows run in place (each value is read before its output is written). */
#include "mcu_engine.h"
#include "mcu_quant.h"

mcu_status mcu_log_softmax_s8(const mcu_log_softmax_params *params, int32_t outer, int32_t depth,
                              const int8_t *input, int8_t *output)
{
    const int32_t *exp_table = params->exp_table, *diff_table = params->diff_table;
    for (int32_t o = 0; o < outer; ++o, input += depth, output += depth) {
        int8_t max8;
        mcu_reduce_max_s8(1, depth, 1, input, &max8);
        const int32_t m = max8;
        uint32_t sum = 0; /* Q12.19; below 2^31 for rows under 4096 values (the code generator's bound) */
        for (int32_t j = 0; j < depth; ++j) {
            sum += ((uint32_t)exp_table[m - input[j]] + (1u << 11)) >> 12; /* rounding shift of e >= 0 */
        }
        const int32_t log_sum = mcu_log_q12_19_to_q5_26((int32_t)sum);
        const int32_t bound = mcu_max_i32(
            params->diff_min - 1,
            mcu_requantize((int32_t)((uint32_t)log_sum + 0x80000000u), params->reverse_multiplier,
                           params->reverse_shift));
        for (int32_t j = 0; j < depth; ++j) {
            const int32_t d = input[j] - m;
            if (d > bound) {
                const int32_t v = (int32_t)((uint32_t)diff_table[-d] - (uint32_t)log_sum);
                output[j] = (int8_t)mcu_clamp_i32(mcu_rounding_divide_by_pot(v, 22) + 127, MCU_INT8_MIN,
                                                  MCU_INT8_MAX);
            } else {
                output[j] = MCU_INT8_MIN;
            }
        }
    }
    return MCU_OK;
}
