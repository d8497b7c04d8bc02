/* RESIZE_BILINEAR (int8) as the reference's ResizeBilinearInteger: per output row and column the code
 * generator's (i0, i1, d) with 10 fractional bits (d the weight of i1, 1024 - d that of i0; d < 0 only where
 * i0 == i1), the four products summed (here as rows of columns: the same integer) and divided by 2^20
 * rounding half away from zero. |sum| < 2^30: no 64-bit arithmetic needed. */
#include "mcu_engine.h"

mcu_status mcu_resize_bilinear_s8(const mcu_resize_params *params, const int8_t *input, int8_t *output)
{
    const int32_t depth = params->depth;
    const int32_t in_row = params->in_w * depth;
    for (int32_t b = 0; b < params->batches; ++b) {
        for (int32_t y = 0; y < params->out_h; ++y) {
            const int16_t *r = params->rows + 3 * y;
            const int8_t *top = input + r[0] * in_row, *bottom = input + r[1] * in_row;
            const int32_t wy1 = r[2], wy0 = 1024 - wy1;
            for (int32_t x = 0; x < params->out_w; ++x, output += depth) {
                const int16_t *c = params->cols + 3 * x;
                const int32_t o0 = c[0] * depth, o1 = c[1] * depth, wx1 = c[2], wx0 = 1024 - wx1;
                for (int32_t k = 0; k < depth; ++k) {
                    const int32_t t = top[o0 + k] * wx0 + top[o1 + k] * wx1;
                    const int32_t u = bottom[o0 + k] * wx0 + bottom[o1 + k] * wx1;
                    const int32_t s = t * wy0 + u * wy1;
                    output[k] = (int8_t)((s + (s > 0 ? (1 << 19) : -(1 << 19))) / (1 << 20));
                }
            }
        }
        input += params->in_h * in_row;
    }
    return MCU_OK;
}
