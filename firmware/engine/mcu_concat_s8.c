/* CONCATENATION of inputs quantized like the output (TFLite requires that for int8). */
#include <string.h>

#include "mcu_engine.h"

mcu_status mcu_concat_s8(int32_t num_inputs, const int8_t *const *inputs, const int32_t *copy_bytes,
                         int32_t outer, int8_t *output)
{
    for (int32_t o = 0; o < outer; ++o) {
        for (int32_t i = 0; i < num_inputs; ++i) {
            memmove(output, inputs[i] + (int64_t)o * copy_bytes[i], (size_t)copy_bytes[i]);
            output += copy_bytes[i];
        }
    }
    return MCU_OK;
}
