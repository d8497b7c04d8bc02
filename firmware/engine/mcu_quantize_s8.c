/* QUANTIZE: int8 -> int8 requantization and float -> int8 affine quantization. */
#include <math.h>

#include "mcu_engine.h"
#include "mcu_quant.h"

mcu_status mcu_requantize_s8(int32_t input_zero_point, int32_t output_zero_point, const mcu_quant *quant,
                             int32_t size, const int8_t *input, int8_t *output)
{
    for (int32_t i = 0; i < size; ++i) {
        const int32_t x = input[i] - input_zero_point;
        const int32_t y = mcu_requantize(x, quant->multiplier, quant->shift) + output_zero_point;
        output[i] = (int8_t)mcu_clamp_i32(y, MCU_INT8_MIN, MCU_INT8_MAX);
    }
    return MCU_OK;
}

mcu_status mcu_quantize_f32_s8(float scale, int32_t zero_point, int32_t size, const float *input,
                               int8_t *output)
{
    for (int32_t i = 0; i < size; ++i) {
        /* TFLite: static_cast<int32>(round(x / scale)) + zero_point, then clamp to int8 */
        const double r = round((double)input[i] / (double)scale);
        const double lo = (double)INT32_MIN, hi = (double)INT32_MAX;
        const int64_t y = (int64_t)(r < lo ? lo : (r > hi ? hi : r)) + zero_point;
        output[i] = (int8_t)(y < MCU_INT8_MIN ? MCU_INT8_MIN : (y > MCU_INT8_MAX ? MCU_INT8_MAX : y));
    }
    return MCU_OK;
}
