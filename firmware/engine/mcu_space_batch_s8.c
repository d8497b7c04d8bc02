/* SPACE_TO_BATCH_ND and BATCH_TO_SPACE_ND (mcu_space_batch_params): one pass over the batch tensor's rows in
 * order. Per row, the columns inside the space tensor are one range: SPACE_TO_BATCH_ND fills the columns
 * (and rows) outside with the pad value, BATCH_TO_SPACE_ND skips them. Pixels are copied as words when the
 * depth is a multiple of 4 up to 16 bytes, byte by byte up to 8 bytes, else by memcpy; a block width of 1
 * copies the whole range at once. */
#include <string.h>

#include "mcu_engine.h"

static inline void copy_pixel(int8_t *dst, const int8_t *src, int32_t n)
{
    if ((n & 3) == 0 && n <= 16) {
        for (int32_t i = 0; i < n; i += 4) {
            uint32_t w;
            memcpy(&w, src + i, 4);
            memcpy(dst + i, &w, 4);
        }
    } else if (n <= 8) {
        for (int32_t i = 0; i < n; ++i) {
            dst[i] = src[i];
        }
    } else {
        memcpy(dst, src, (size_t)n);
    }
}

mcu_status mcu_space_batch_s8(const mcu_space_batch_params *params, const int8_t *input, int8_t *output)
{
    const int32_t depth = params->depth;
    const int32_t bw = params->block_w;
    const int32_t row_bytes = params->space_w * depth;
    const int32_t image_bytes = params->space_h * row_bytes;
    const int32_t batch_row = params->batch_w * depth;
    const int32_t step = bw * depth; /* space bytes between neighbouring batch columns */
    const int32_t blocks = params->block_h * bw;
    const int to_batch = params->to_batch;
    int8_t *batch_out = output;     /* SPACE_TO_BATCH_ND: the batch tensor written in order */
    const int8_t *batch_in = input; /* BATCH_TO_SPACE_ND: the batch tensor read in order */
    for (int32_t k = 0; k < blocks; ++k) {
        const int32_t dy = k / bw - params->top;
        const int32_t dx = k % bw - params->left;
        /* batch columns x0 .. x1 - 1 land inside: 0 <= x * bw + dx < space_w */
        int32_t x0 = dx >= 0 ? 0 : (-dx + bw - 1) / bw;
        int32_t x1 = params->space_w - dx <= 0 ? 0 : (params->space_w - dx + bw - 1) / bw;
        if (x1 > params->batch_w) {
            x1 = params->batch_w;
        }
        if (x0 > x1) {
            x0 = x1;
        }
        const int32_t inside = x1 - x0;
        for (int32_t n = 0; n < params->batches; ++n) {
            for (int32_t y = 0; y < params->batch_h; ++y) {
                const int32_t sy = y * params->block_h + dy;
                if (sy < 0 || sy >= params->space_h || inside == 0) {
                    if (to_batch) {
                        memset(batch_out, params->pad_value, (size_t)batch_row);
                        batch_out += batch_row;
                    } else {
                        batch_in += batch_row;
                    }
                    continue;
                }
                const int32_t first = n * image_bytes + sy * row_bytes + (x0 * bw + dx) * depth;
                if (to_batch) {
                    memset(batch_out, params->pad_value, (size_t)(x0 * depth));
                    batch_out += x0 * depth;
                    if (bw == 1) {
                        memcpy(batch_out, input + first, (size_t)(inside * depth));
                        batch_out += inside * depth;
                    } else {
                        const int8_t *src = input + first;
                        for (int32_t x = 0; x < inside; ++x, src += step, batch_out += depth) {
                            copy_pixel(batch_out, src, depth);
                        }
                    }
                    memset(batch_out, params->pad_value, (size_t)((params->batch_w - x1) * depth));
                    batch_out += (params->batch_w - x1) * depth;
                } else {
                    const int8_t *src = batch_in + x0 * depth;
                    if (bw == 1) {
                        memcpy(output + first, src, (size_t)(inside * depth));
                    } else {
                        int8_t *dst = output + first;
                        for (int32_t x = 0; x < inside; ++x, dst += step, src += depth) {
                            copy_pixel(dst, src, depth);
                        }
                    }
                    batch_in += batch_row;
                }
            }
        }
    }
    return MCU_OK;
}
