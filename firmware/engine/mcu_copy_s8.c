/* Plain copies: RESHAPE when input and output cannot share memory, and the tiles of a patch stage. */
#include <string.h>

#include "mcu_engine.h"

mcu_status mcu_copy_s8(int32_t size, const int8_t *input, int8_t *output)
{
    if (input != output) {
        memmove(output, input, (size_t)size);
    }
    return MCU_OK;
}

/* `rows` runs of `row_bytes` bytes, `input_stride` bytes apart in the input and `output_stride` apart in
 * the output (a window of a feature map into a tile, or a tile into its place in the map). */
mcu_status mcu_copy_2d_s8(int32_t rows, int32_t row_bytes, const int8_t *input, int32_t input_stride,
                          int8_t *output, int32_t output_stride)
{
    for (int32_t r = 0; r < rows; ++r) {
        memcpy(output + (int64_t)r * output_stride, input + (int64_t)r * input_stride, (size_t)row_bytes);
    }
    return MCU_OK;
}
