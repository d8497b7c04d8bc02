/* TRANSPOSE of up to MCU_MAX_DIMS axes: output axis i is input axis perm[i]. Trailing axes left in place
 * (DEPTH_TO_SPACE / SPACE_TO_DEPTH's block columns and channels) are copied as one run. */
#include "mcu_copy_runs.h"

mcu_status mcu_transpose_s8(const mcu_transpose_params *params, const int8_t *input, int8_t *output)
{
    int32_t in_stride[MCU_MAX_DIMS];
    int32_t out_shape[MCU_MAX_DIMS];
    int32_t stride[MCU_MAX_DIMS];
    int32_t s = 1;
    for (int i = MCU_MAX_DIMS - 1; i >= 0; --i) {
        in_stride[i] = s;
        s *= params->in_shape[i];
    }
    for (int i = 0; i < MCU_MAX_DIMS; ++i) {
        if (params->perm[i] < 0 || params->perm[i] >= MCU_MAX_DIMS) {
            return MCU_ERROR_ARGUMENT;
        }
        out_shape[i] = params->in_shape[params->perm[i]];
        stride[i] = in_stride[params->perm[i]];
    }
    int inner = MCU_MAX_DIMS; /* axes inner.. stay in place */
    int32_t run = 1;
    while (inner > 0 && params->perm[inner - 1] == inner - 1) {
        --inner;
        run *= params->in_shape[inner];
    }
    mcu_copy_runs(input, output, s, run, inner, out_shape, stride);
    return MCU_OK;
}
