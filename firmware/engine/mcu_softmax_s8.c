/* SOFTMAX over the last axis, TFLite's int8 table method: exp(-beta * scale * (max - x)) from a
 * 256-entry float table, float normalization, round-half-away-from-zero quantization. */
#include <math.h>

#include "mcu_engine.h"
#include "mcu_quant.h"

mcu_status mcu_softmax_s8(const float *table, int32_t output_zero_point, float output_scale,
                          int32_t outer, int32_t depth, const int8_t *input, int8_t *output)
{
    for (int32_t o = 0; o < outer; ++o) {
        int32_t max_val = MCU_INT8_MIN;
        for (int32_t j = 0; j < depth; ++j) {
            max_val = mcu_max_i32(max_val, input[j]);
        }
        const float *t = table + 255 - max_val;
        float sum = 0.0f;
        for (int32_t j = 0; j < depth; ++j) {
            sum += t[input[j]];
        }
        const float inv = 1.0f / (sum * output_scale);
        for (int32_t j = 0; j < depth; ++j) {
            const float p = t[input[j]] * inv;
            const int32_t q = (int32_t)roundf(p) + output_zero_point;
            output[j] = (int8_t)mcu_clamp_i32(q, MCU_INT8_MIN, MCU_INT8_MAX);
        }
        input += depth;
        output += depth;
    }
    return MCU_OK;
}
