/* QUANTIZE: int8 -> int8, uint8 -> int8 and int8 -> uint8 requantization (a model's uint8 input or output), and
 * float -> int8 affine quantization. */
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

/* Scales equal (the multiplier 2^30 with shift 1 is exactly 1) and the zero points 128 apart: each byte's top bit
 * flipped, which is x - input zero point + output zero point with no clamp reached. */
static int sign_flip(int32_t input_zero_point, int32_t output_zero_point, const mcu_quant *quant, int32_t d)
{
    return quant->multiplier == (1 << 30) && quant->shift == 1 && output_zero_point - input_zero_point == d;
}

static void flip_bytes(int32_t size, const uint8_t *input, uint8_t *output)
{
    int32_t i = 0;
    if ((((uintptr_t)input | (uintptr_t)output) & 3u) == 0) {
        for (; i + 4 <= size; i += 4) {
            *(uint32_t *)(void *)(output + i) = *(const uint32_t *)(const void *)(input + i) ^ 0x80808080u;
        }
    }
    for (; i < size; ++i) {
        output[i] = (uint8_t)(input[i] ^ 0x80u);
    }
}

mcu_status mcu_requantize_u8_s8(int32_t input_zero_point, int32_t output_zero_point, const mcu_quant *quant,
                                int32_t size, const uint8_t *input, int8_t *output)
{
    if (sign_flip(input_zero_point, output_zero_point, quant, -128)) {
        flip_bytes(size, input, (uint8_t *)output);
        return MCU_OK;
    }
    for (int32_t i = 0; i < size; ++i) {
        const int32_t y = mcu_requantize(input[i] - input_zero_point, quant->multiplier, quant->shift) + output_zero_point;
        output[i] = (int8_t)mcu_clamp_i32(y, MCU_INT8_MIN, MCU_INT8_MAX);
    }
    return MCU_OK;
}

mcu_status mcu_requantize_s8_u8(int32_t input_zero_point, int32_t output_zero_point, const mcu_quant *quant,
                                int32_t size, const int8_t *input, uint8_t *output)
{
    if (sign_flip(input_zero_point, output_zero_point, quant, 128)) {
        flip_bytes(size, (const uint8_t *)input, output);
        return MCU_OK;
    }
    for (int32_t i = 0; i < size; ++i) {
        const int32_t y = mcu_requantize(input[i] - input_zero_point, quant->multiplier, quant->shift) + output_zero_point;
        output[i] = (uint8_t)mcu_clamp_i32(y, 0, 255);
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
