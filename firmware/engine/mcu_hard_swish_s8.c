/* HARD_SWISH, TFLite's 16-bit fixed-point int8 path: x * relu6(x + 3) / 6. */
#include "mcu_engine.h"
#include "mcu_quant.h"

mcu_status mcu_hard_swish_s8(const mcu_hard_swish_params *params, int32_t size, const int8_t *input,
                             int8_t *output)
{
    const int32_t reluish_exp = params->reluish_multiplier_exponent;
    for (int32_t i = 0; i < size; ++i) {
        const int16_t value = (int16_t)(input[i] - params->input_zero_point);
        const int16_t hires = (int16_t)(value * (1 << 7));
        const int16_t preshift_out =
            mcu_sat_round_doubling_high_mul_i16(hires, params->output_multiplier_fixedpoint_int16);
        int16_t reluish = hires;
        if (reluish_exp > 0) {
            reluish = mcu_sat_left_shift_i16(reluish, reluish_exp - 1);
        }
        reluish = mcu_sat_round_doubling_high_mul_i16(reluish, params->reluish_multiplier_fixedpoint_int16);
        if (reluish_exp > 0) {
            reluish = mcu_sat_left_shift_i16(reluish, 1);
        }
        if (reluish_exp < 0) {
            reluish = mcu_rounding_divide_by_pot_i16(reluish, -reluish_exp);
        }
        reluish = (int16_t)((reluish + (1 << 15)) >> 1);
        const int16_t preshift = mcu_sat_doubling_high_mul_i16(reluish, preshift_out);
        int32_t out = mcu_rounding_divide_by_pot_i16(preshift, -params->output_multiplier_exponent);
        out += params->output_zero_point;
        output[i] = (int8_t)mcu_clamp_i32(out, MCU_INT8_MIN, MCU_INT8_MAX);
    }
    return MCU_OK;
}
