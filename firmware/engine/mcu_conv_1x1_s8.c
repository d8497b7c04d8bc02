/* CONV_2D with a 1x1 kernel, no padding and no groups: one dot product per output channel. */
#include "mcu_engine.h"
#include "mcu_quant.h"

mcu_status mcu_conv_1x1_s8(const mcu_conv_params *params, const mcu_per_channel_quant *quant,
                           const mcu_dims *input_dims, const int8_t *input,
                           const mcu_dims *filter_dims, const int8_t *filter, const int32_t *bias,
                           const mcu_dims *output_dims, int8_t *output)
{
    const int32_t in_h = input_dims->h, in_w = input_dims->w, in_c = input_dims->c;
    const int32_t out_c = output_dims->c;
    const int32_t in_off = params->input_offset, out_off = params->output_offset;
    const int32_t act_min = params->act_min, act_max = params->act_max;
    if (filter_dims->c != in_c) {
        return MCU_ERROR_ARGUMENT;
    }
    for (int32_t b = 0; b < input_dims->n; ++b) {
        for (int32_t oy = 0; oy < output_dims->h; ++oy) {
            const int8_t *in_row =
                input + ((int64_t)b * in_h + (int64_t)oy * params->stride.h) * in_w * in_c;
            for (int32_t ox = 0; ox < output_dims->w; ++ox) {
                const int8_t *ip = in_row + (int64_t)ox * params->stride.w * in_c;
                const int8_t *wp = filter;
                for (int32_t oc = 0; oc < out_c; ++oc) {
                    int32_t acc = 0;
                    int32_t wsum = 0;
                    for (int32_t ic = 0; ic < in_c; ++ic) {
                        acc += (int32_t)wp[ic] * (int32_t)ip[ic];
                        wsum += wp[ic];
                    }
                    wp += in_c;
                    acc += wsum * in_off;
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
