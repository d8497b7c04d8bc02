/* CONV_2D scratch size; the dispatcher mcu_conv_s8 and the scratch of each path are inline in
 * mcu_engine.h. */
#include "mcu_engine.h"

/* Scratch bytes for the DSP paths; the same on every target so generated code is portable (the
 * portable kernels ignore it). Must match Conv2D.scratch_bytes in mcunets/engine/ops.py. */
int32_t mcu_conv_s8_buffer_size(const mcu_dims *input_dims, const mcu_dims *filter_dims)
{
    const int32_t kxk = mcu_conv_kxk_scratch(input_dims, filter_dims);
    const int32_t rows3 = mcu_conv_3x3_rows_scratch(input_dims, filter_dims);
    const int32_t first = mcu_conv_first_scratch(input_dims, filter_dims);
    const int32_t most = rows3 > kxk ? rows3 : kxk;
    return mcu_conv_1x1_scratch(input_dims, filter_dims) + (first > most ? first : most);
}
