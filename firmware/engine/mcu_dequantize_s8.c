/* DEQUANTIZE: int8 -> float, scale * (x - zero_point). */
#include "mcu_engine.h"

mcu_status mcu_dequantize_s8_f32(float scale, int32_t zero_point, int32_t size, const int8_t *input,
                                 float *output)
{
    for (int32_t i = 0; i < size; ++i) {
        output[i] = (float)((double)scale * (double)(input[i] - zero_point));
    }
    return MCU_OK;
}
