/* A plain copy (RESHAPE when input and output cannot share memory). */
#include <string.h>

#include "mcu_engine.h"

mcu_status mcu_copy_s8(int32_t size, const int8_t *input, int8_t *output)
{
    if (input != output) {
        memmove(output, input, (size_t)size);
    }
    return MCU_OK;
}
