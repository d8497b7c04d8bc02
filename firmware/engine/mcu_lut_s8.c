/* 256-entry lookup, indexed by the input byte reinterpreted as uint8. */
#include "mcu_engine.h"

mcu_status mcu_lut_s8(const int8_t *table, int32_t size, const int8_t *input, int8_t *output)
{
    for (int32_t i = 0; i < size; ++i) {
        output[i] = table[(uint8_t)input[i]];
    }
    return MCU_OK;
}
