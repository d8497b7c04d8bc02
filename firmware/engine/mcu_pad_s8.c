/* PAD / PADV2 with a constant (the output zero point for PAD). */
#include <string.h>

#include "mcu_engine.h"

mcu_status mcu_pad_s8(const mcu_pad_params *params, const int8_t *input, int8_t *output)
{
    int32_t out_shape[MCU_MAX_DIMS];
    int32_t idx[MCU_MAX_DIMS] = {0};
    int32_t total = 1;
    for (int i = 0; i < MCU_MAX_DIMS; ++i) {
        out_shape[i] = params->before[i] + params->in_shape[i] + params->after[i];
        total *= out_shape[i];
    }
    const int last = MCU_MAX_DIMS - 1;
    const int32_t row_in = params->in_shape[last];
    for (int32_t n = 0; n < total; n += out_shape[last]) {
        int inside = 1;
        for (int i = 0; i < last; ++i) {
            if (idx[i] < params->before[i] || idx[i] >= params->before[i] + params->in_shape[i]) {
                inside = 0;
                break;
            }
        }
        if (!inside) {
            memset(output, params->pad_value, (size_t)out_shape[last]);
        } else {
            memset(output, params->pad_value, (size_t)params->before[last]);
            memcpy(output + params->before[last], input, (size_t)row_in);
            memset(output + params->before[last] + row_in, params->pad_value,
                   (size_t)params->after[last]);
            input += row_in;
        }
        output += out_shape[last];
        for (int i = last - 1; i >= 0; --i) {
            if (++idx[i] < out_shape[i]) {
                break;
            }
            idx[i] = 0;
        }
    }
    return MCU_OK;
}
