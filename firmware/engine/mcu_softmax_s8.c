/* SOFTMAX over the last axis, TFLite's reference int8 kernel: input differences from the row maximum
 * scaled to Q5.26 by the beta multiplier, fixed-point exp, a Q12.19 sum, its reciprocal, and outputs
 * in units of 1/256 offset by -128. Differences below diff_min give -128. Rows of any length: the reference
 * is defined while the sum stays below 512 (its output shift, bits over unit + 23, at most 31; beyond that
 * gemmlowp's RoundingDivideByPOT asserts and TFLite's reference and TFLM abort). Past 512 every output is
 * below half a step (1/512 < 0.5/256), so the row is -128, the sum stopped there before it can overflow. */
#include "mcu_engine.h"
#include "mcu_quant.h"

mcu_status mcu_softmax_s8(const mcu_softmax_params *params, int32_t outer, int32_t depth, const int8_t *input,
                          int8_t *output)
{
    for (int32_t o = 0; o < outer; ++o) {
        int32_t max_val = MCU_INT8_MIN;
        for (int32_t j = 0; j < depth; ++j) {
            max_val = mcu_max_i32(max_val, input[j]);
        }
        int32_t sum = 0; /* Q12.19 */
        for (int32_t j = 0; j < depth; ++j) {
            const int32_t diff = input[j] - max_val;
            if (diff >= params->diff_min) {
                const int32_t scaled = mcu_requantize(diff, params->input_multiplier, params->input_left_shift);
                sum += mcu_rounding_divide_by_pot(mcu_exp_on_negative_values_q5_26(scaled), 12);
                if (sum >= (1 << 28)) {
                    break;
                }
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
        const int32_t inv = mcu_reciprocal_q31(sum, 12, &bits_over_unit);
        for (int32_t j = 0; j < depth; ++j) {
            const int32_t diff = input[j] - max_val;
            int32_t q = MCU_INT8_MIN;
            if (diff >= params->diff_min) {
                const int32_t scaled = mcu_requantize(diff, params->input_multiplier, params->input_left_shift);
                const int32_t e = mcu_exp_on_negative_values_q5_26(scaled);
                q = mcu_rounding_divide_by_pot(mcu_sat_round_doubling_high_mul(inv, e), bits_over_unit + 31 - 8) +
                    MCU_INT8_MIN;
            }
            output[j] = (int8_t)mcu_clamp_i32(q, MCU_INT8_MIN, MCU_INT8_MAX);
        }
        input += depth;
        output += depth;
    }
    return MCU_OK;
}
