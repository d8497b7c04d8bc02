/* RESIZE_NEAREST_NEIGHBOR: output pixel (y, x) of each batch is input pixel (rows[y], cols[x]). The code
 * generator computes the tables with the reference kernel's float index arithmetic (align_corners,
 * half_pixel_centers); an output row whose input row is the previous one's is a copy of that row, pixels
 * whose depth is a multiple of 4 are copied by words. */
#include <string.h>

#include "mcu_engine.h"

mcu_status mcu_resize_nearest_s8(const mcu_resize_params *params, const int8_t *input, int8_t *output)
{
    const int32_t depth = params->depth;
    const int32_t in_row = params->in_w * depth, out_row = params->out_w * depth;
    for (int32_t b = 0; b < params->batches; ++b) {
        for (int32_t y = 0; y < params->out_h; ++y, output += out_row) {
            if (y > 0 && params->rows[y] == params->rows[y - 1]) {
                memcpy(output, output - out_row, (size_t)out_row);
                continue;
            }
            const int8_t *src = input + params->rows[y] * in_row;
            int8_t *dst = output;
            if (depth % 4 == 0) {  /* pixels by words (unaligned word access where the core has it) */
                for (int32_t x = 0; x < params->out_w; ++x, dst += depth) {
                    const int8_t *p = src + params->cols[x] * depth;
                    for (int32_t k = 0; k < depth; k += 4) {
                        memcpy(dst + k, p + k, 4);
                    }
                }
                continue;
            }
            for (int32_t x = 0; x < params->out_w; ++x, dst += depth) {
                const int8_t *p = src + params->cols[x] * depth;
                for (int32_t k = 0; k < depth; ++k) {
                    dst[k] = p[k];
                }
            }
        }
        input += params->in_h * in_row;
    }
    return MCU_OK;
}
