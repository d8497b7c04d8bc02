/* CONV_2D, any kernel size, stride, padding and dilation, grouped when filter depth < input depth. */
#include "mcu_engine.h"
#include "mcu_quant.h"

mcu_status mcu_conv_generic_s8(const mcu_conv_params *params, const mcu_per_channel_quant *quant,
                               const mcu_dims *input_dims, const int8_t *input,
                               const mcu_dims *filter_dims, const int8_t *filter,
                               const int32_t *bias, const mcu_dims *output_dims, int8_t *output)
{
    const int32_t in_h = input_dims->h, in_w = input_dims->w, in_c = input_dims->c;
    const int32_t out_h = output_dims->h, out_w = output_dims->w, out_c = output_dims->c;
    const int32_t k_h = filter_dims->h, k_w = filter_dims->w, f_c = filter_dims->c;
    if (f_c <= 0 || in_c % f_c != 0) {
        return MCU_ERROR_ARGUMENT;
    }
    const int32_t groups = in_c / f_c;
    if (out_c % groups != 0) {
        return MCU_ERROR_ARGUMENT;
    }
    const int32_t per_group = out_c / groups;
    const int32_t in_off = params->bias_folded ? 0 : params->input_offset;
    const int32_t out_off = params->output_offset;
    const int32_t act_min = params->act_min, act_max = params->act_max;
    const int32_t dil_h = params->dilation.h, dil_w = params->dilation.w;
    const int contiguous = dil_w == 1 && f_c == in_c && f_c >= 8; /* long enough to vectorize */

    for (int32_t b = 0; b < input_dims->n; ++b) {
        const int8_t *in_batch = input + (int64_t)b * in_h * in_w * in_c;
        for (int32_t oy = 0; oy < out_h; ++oy) {
            const int32_t iy0 = oy * params->stride.h - params->padding.h;
            int32_t fy_lo, fy_hi;
            mcu_valid_taps(iy0, dil_h, k_h, in_h, &fy_lo, &fy_hi);
            for (int32_t ox = 0; ox < out_w; ++ox) {
                const int32_t ix0 = ox * params->stride.w - params->padding.w;
                int32_t fx_lo, fx_hi;
                mcu_valid_taps(ix0, dil_w, k_w, in_w, &fx_lo, &fx_hi);
                for (int32_t oc = 0; oc < out_c; ++oc) {
                    const int32_t group = oc / per_group;
                    const int8_t *w_oc = filter + (int64_t)oc * k_h * k_w * f_c;
                    int32_t acc = 0;
                    for (int32_t fy = fy_lo; fy < fy_hi; ++fy) {
                        const int8_t *in_row =
                            in_batch + (int64_t)(iy0 + fy * dil_h) * in_w * in_c + group * f_c;
                        if (contiguous) { /* the row's taps are one run of input and of weights */
                            const int8_t *ip = in_row + (int64_t)(ix0 + fx_lo) * in_c;
                            const int8_t *wp = w_oc + (fy * k_w + fx_lo) * f_c;
                            const int32_t len = (fx_hi - fx_lo) * f_c;
                            for (int32_t i = 0; i < len; ++i) {
                                acc += (int32_t)wp[i] * ((int32_t)ip[i] + in_off);
                            }
                            continue;
                        }
                        for (int32_t fx = fx_lo; fx < fx_hi; ++fx) {
                            const int8_t *ip = in_row + (int64_t)(ix0 + fx * dil_w) * in_c;
                            const int8_t *wp = w_oc + (fy * k_w + fx) * f_c;
                            for (int32_t ic = 0; ic < f_c; ++ic) {
                                acc += (int32_t)wp[ic] * ((int32_t)ip[ic] + in_off);
                            }
                        }
                    }
                    if (bias) {
                        acc += bias[oc];
                    }
                    acc = mcu_requantize(acc, quant->multiplier[oc], quant->shift[oc]) + out_off;
                    *output++ = (int8_t)mcu_clamp_i32(acc, act_min, act_max);
                }
            }
        }
    }
    return MCU_OK;
}
