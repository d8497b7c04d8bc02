/* MEAN over one contiguous block of axes, viewed as [outer, reduce, inner].
 * TFLite's int8 reference: the int32 sum of (x - input_zero_point) requantized by
 * (input_scale / output_scale) / n, with 1/n folded into the multiplier on the host. */
#include "mcu_engine.h"
#include "mcu_quant.h"

mcu_status mcu_mean_s8(const mcu_mean_params *params, int32_t outer, int32_t reduce, int32_t inner,
                       const int8_t *input, int8_t *output)
{
    if (reduce <= 0) {
        return MCU_ERROR_ARGUMENT;
    }
    for (int32_t o = 0; o < outer; ++o) {
        const int8_t *in_outer = input + (int64_t)o * reduce * inner;
        for (int32_t i = 0; i < inner; ++i) {
            int32_t sum = 0;
            for (int32_t r = 0; r < reduce; ++r) {
                sum += in_outer[(int64_t)r * inner + i];
            }
            const int32_t acc = sum - params->input_zero_point * reduce;
            const int32_t y = mcu_requantize(acc, params->quant.multiplier, params->quant.shift);
            output[(int64_t)o * inner + i] =
                (int8_t)mcu_clamp_i32(y + params->output_zero_point, MCU_INT8_MIN, MCU_INT8_MAX);
        }
    }
    return MCU_OK;
}
