/* AVERAGE_POOL_2D and MAX_POOL_2D over the window clipped to the input: the average rounds half away
 * from zero over the pixels inside the input, the maximum starts from -128. */
#include "mcu_engine.h"
#include "mcu_quant.h"

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
                for (int32_t ch = 0; ch < c; ++ch) {
                    int32_t acc = is_max ? MCU_INT8_MIN : 0;
                    for (int32_t fy = fy_lo; fy < fy_hi; ++fy) {
                        const int8_t *row = in_batch + ((int64_t)(iy0 + fy) * in_w + ix0) * c + ch;
                        for (int32_t fx = fx_lo; fx < fx_hi; ++fx) {
                            const int32_t v = row[(int64_t)fx * c];
                            acc = is_max ? mcu_max_i32(acc, v) : acc + v;
                        }
                    }
                    if (!is_max) {
                        acc = acc > 0 ? (acc + count / 2) / count : (acc - count / 2) / count;
                    }
                    *output++ = (int8_t)mcu_clamp_i32(acc, params->act_min, params->act_max);
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
