/* GATHER with constant indices (mcu_gather_params): per input block, its runs in turn. Runs of up to
 * 8 bytes are copied byte by byte, longer ones by memcpy; one-byte runs (a channel reorder) through the
 * offset table alone, four per pass. */
#include <string.h>

#include "mcu_engine.h"

mcu_status mcu_gather_s8(const mcu_gather_params *params, const int8_t *input, int8_t *output)
{
    const int32_t runs = params->runs;
    const int32_t *start = params->start;
    for (int32_t o = 0; o < params->outer; ++o) {
        if (params->bytes == NULL) {
            int32_t r = 0;
            for (; r + 4 <= runs; r += 4) {
                const int8_t a = input[start[r]], b = input[start[r + 1]];
                const int8_t c = input[start[r + 2]], d = input[start[r + 3]];
                output[0] = a;
                output[1] = b;
                output[2] = c;
                output[3] = d;
                output += 4;
            }
            for (; r < runs; ++r) {
                *output++ = input[start[r]];
            }
        } else {
            for (int32_t r = 0; r < runs; ++r) {
                const int32_t n = params->bytes[r];
                const int8_t *src = input + start[r];
                if (n <= 8) {
                    for (int32_t i = 0; i < n; ++i) {
                        output[i] = src[i];
                    }
                } else {
                    memcpy(output, src, (size_t)n);
                }
                output += n;
            }
        }
        input += params->in_block;
    }
    return MCU_OK;
}
