/* RELU, RELU6 and RELU_N1_TO_1 as standalone int8 ops (TFLite's ReluX). */
#include "mcu_engine.h"
#include "mcu_quant.h"

mcu_status mcu_relu_s8(const mcu_relu_params *params, int32_t size, const int8_t *input, int8_t *output)
{
    for (int32_t i = 0; i < size; ++i) {
        const int32_t x = input[i] - params->input_zero_point;
        const int32_t y = params->output_zero_point +
                          mcu_requantize(x, params->quant.multiplier, params->quant.shift);
        output[i] = (int8_t)mcu_clamp_i32(y, params->act_min, params->act_max);
    }
    return MCU_OK;
}
