/* A strided box of an N-d tensor: STRIDED_SLICE, SLICE, SPLIT, SPLIT_V and UNPACK. The trailing axes of
 * step 1 that are contiguous in the input (each after the first whole) are copied as one run. */
#include "mcu_copy_runs.h"

mcu_status mcu_slice_s8(const mcu_slice_params *params, const int8_t *input, int8_t *output)
{
    int32_t stride[MCU_MAX_DIMS];
    int32_t s = 1;
    int32_t total = 1;
    int64_t offset = 0;
    for (int i = MCU_MAX_DIMS - 1; i >= 0; --i) {
        stride[i] = params->step[i] * s;
        offset += (int64_t)params->begin[i] * s;
        s *= params->in_shape[i];
        total *= params->out_shape[i];
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
    mcu_copy_runs(input + offset, output, total, run, inner, params->out_shape, stride);
    return MCU_OK;
}
