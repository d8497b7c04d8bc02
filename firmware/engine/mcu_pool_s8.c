/* AVERAGE_POOL_2D and MAX_POOL_2D over the window clipped to the input: the average rounds half away
 * from zero over the pixels inside the input, the maximum starts from -128. Channels are innermost
 * (blocks of MCU_POOL_BLOCK contiguous channels per window tap), so the loops run over contiguous bytes. */
#include "mcu_engine.h"
#include "mcu_quant.h"

#define MCU_POOL_BLOCK 32

static mcu_status pool_s8(const mcu_pool_params *params, const mcu_dims *input_dims, const int8_t *input,
                          const mcu_dims *output_dims, int8_t *output, int is_max)
{
    const int32_t in_h = input_dims->h, in_w = input_dims->w, c = input_dims->c;
    if (output_dims->c != c) {
        return MCU_ERROR_ARGUMENT;
    }
    for (int32_t b = 0; b < input_dims->n; ++b) {
        const int8_t *in_batch = input + (int64_t)b * in_h * in_w * c;
        for (int32_t oy = 0; oy < output_dims->h; ++oy) {
            const int32_t iy0 = oy * params->stride.h - params->padding.h;
            const int32_t fy_lo = mcu_max_i32(0, -iy0);
            const int32_t fy_hi = mcu_min_i32(params->filter.h, in_h - iy0);
            for (int32_t ox = 0; ox < output_dims->w; ++ox) {
                const int32_t ix0 = ox * params->stride.w - params->padding.w;
                const int32_t fx_lo = mcu_max_i32(0, -ix0);
                const int32_t fx_hi = mcu_min_i32(params->filter.w, in_w - ix0);
                const int32_t count = (fy_hi - fy_lo) * (fx_hi - fx_lo);
                if (count <= 0 && !is_max) {
                    return MCU_ERROR_ARGUMENT;
                }
                for (int32_t c0 = 0; c0 < c; c0 += MCU_POOL_BLOCK) {
                    const int32_t n = mcu_min_i32(MCU_POOL_BLOCK, c - c0);
                    int32_t acc[MCU_POOL_BLOCK];
                    for (int32_t j = 0; j < n; ++j) {
                        acc[j] = is_max ? MCU_INT8_MIN : 0;
                    }
                    for (int32_t fy = fy_lo; fy < fy_hi; ++fy) {
                        for (int32_t fx = fx_lo; fx < fx_hi; ++fx) {
                            const int8_t *ip = in_batch + ((int64_t)(iy0 + fy) * in_w + ix0 + fx) * c + c0;
                            if (is_max) {
                                for (int32_t j = 0; j < n; ++j) {
                                    acc[j] = mcu_max_i32(acc[j], ip[j]);
                                }
                            } else {
                                for (int32_t j = 0; j < n; ++j) {
                                    acc[j] += ip[j];
                                }
                            }
                        }
                    }
                    for (int32_t j = 0; j < n; ++j) {
                        int32_t v = acc[j];
                        if (!is_max) {
                            v = v > 0 ? (v + count / 2) / count : (v - count / 2) / count;
                        }
                        *output++ = (int8_t)mcu_clamp_i32(v, params->act_min, params->act_max);
                    }
                }
            }
        }
    }
    return MCU_OK;
}

mcu_status mcu_avgpool_s8(const mcu_pool_params *params, const mcu_dims *input_dims, const int8_t *input,
                          const mcu_dims *output_dims, int8_t *output)
{
    return pool_s8(params, input_dims, input, output_dims, output, 0);
}

mcu_status mcu_maxpool_s8(const mcu_pool_params *params, const mcu_dims *input_dims, const int8_t *input,
                          const mcu_dims *output_dims, int8_t *output)
{
    return pool_s8(params, input_dims, input, output_dims, output, 1);
}
