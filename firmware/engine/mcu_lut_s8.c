/* 256-entry lookup, indexed by the input byte reinterpreted as uint8. Four bytes per word (each byte
 * lane looked up on its own, so the byte order does not matter); in place allowed. */
#include <string.h>

#include "mcu_engine.h"

mcu_status mcu_lut_s8(const int8_t *table, int32_t size, const int8_t *input, int8_t *output)
{
    const uint8_t *t = (const uint8_t *)table;
    int32_t i = 0;
    for (; i + 4 <= size; i += 4) {
        uint32_t w;
        memcpy(&w, input + i, 4);
        const uint32_t v = t[w & 0xFFu] | (uint32_t)t[(w >> 8) & 0xFFu] << 8 | (uint32_t)t[(w >> 16) & 0xFFu] << 16 |
                           (uint32_t)t[w >> 24] << 24;
        memcpy(output + i, &v, 4);
    }
    for (; i < size; ++i) {
        output[i] = table[(uint8_t)input[i]];
    }
    return MCU_OK;
}
