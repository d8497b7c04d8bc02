/* A strided box of an N-d tensor: STRIDED_SLICE, SLICE, SPLIT, SPLIT_V and UNPACK. The trailing axes of
 * step 1 that are contiguous in the input (each after the first whole) are copied as one run. */
#include <string.h>

#include "mcu_engine.h"

mcu_status mcu_slice_s8(const mcu_slice_params *params, const int8_t *input, int8_t *output)
{
    int32_t in_stride[MCU_MAX_DIMS];
    int32_t idx[MCU_MAX_DIMS] = {0};
    int32_t s = 1;
    int32_t total = 1;
    int64_t offset = 0;
    for (int i = MCU_MAX_DIMS - 1; i >= 0; --i) {
        in_stride[i] = s;
        s *= params->in_shape[i];
        total *= params->out_shape[i];
    }
    for (int i = 0; i < MCU_MAX_DIMS; ++i) {
        offset += (int64_t)params->begin[i] * in_stride[i];
    }
    int inner = MCU_MAX_DIMS; /* axes inner.. form one contiguous run of the input */
    int32_t run = 1;
    while (inner > 0 && params->step[inner - 1] == 1) {
        --inner;
        run *= params->out_shape[inner];
        if (params->out_shape[inner] != params->in_shape[inner]) {
            break;
        }
    }
    for (int32_t n = 0; n < total; n += run) {
        if (run == 1) {
            *output++ = input[offset];
        } else {
            memcpy(output, input + offset, (size_t)run);
            output += run;
        }
        for (int i = inner - 1; i >= 0; --i) {
            offset += (int64_t)params->step[i] * in_stride[i];
            if (++idx[i] < params->out_shape[i]) {
                break;
            }
            offset -= (int64_t)params->step[i] * in_stride[i] * params->out_shape[i];
            idx[i] = 0;
        }
    }
    return MCU_OK;
}
