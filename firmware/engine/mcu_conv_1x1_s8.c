/* CONV_2D with a 1x1 kernel, no padding and no groups: dot products over input channels, four output
 * channels at a time so each input byte is loaded once per four multiply-accumulates. */
#include "mcu_engine.h"
#include "mcu_quant.h"

/* The requantization parameters in a local copy: the int8 output stores may alias the caller's structs. */
typedef struct {
    const int32_t *multiplier, *shift;
    int32_t fast, output_offset, act_min, act_max;
} out_quant;

static inline int8_t finish(int32_t acc, const out_quant *q, int32_t oc)
{
    acc = q->fast ? mcu_requantize_fast(acc, q->multiplier[oc], -q->shift[oc])
                  : mcu_requantize(acc, q->multiplier[oc], q->shift[oc]);
    return (int8_t)mcu_clamp_i32(acc + q->output_offset, q->act_min, q->act_max);
}

mcu_status mcu_conv_1x1_s8(const mcu_conv_params *params, const mcu_per_channel_quant *quant,
                           const mcu_dims *input_dims, const int8_t *input,
                           const mcu_dims *filter_dims, const int8_t *filter, const int32_t *bias,
                           const mcu_dims *output_dims, int8_t *output)
{
    const int32_t in_h = input_dims->h, in_w = input_dims->w, in_c = input_dims->c;
    const int32_t out_c = output_dims->c;
    const int32_t in_off = params->bias_folded ? 0 : params->input_offset;
    const out_quant q = {quant->multiplier, quant->shift, MCU_PORTABLE_FAST_REQUANT(params->fast_requant),
                         params->output_offset, params->act_min, params->act_max};
    if (filter_dims->c != in_c) {
        return MCU_ERROR_ARGUMENT;
    }
    for (int32_t b = 0; b < input_dims->n; ++b) {
        for (int32_t oy = 0; oy < output_dims->h; ++oy) {
            const int8_t *in_row =
                input + ((int64_t)b * in_h + (int64_t)oy * params->stride.h) * in_w * in_c;
            for (int32_t ox = 0; ox < output_dims->w; ++ox) {
                const int8_t *ip = in_row + (int64_t)ox * params->stride.w * in_c;
                int32_t oc = 0;
                for (; oc + 4 <= out_c; oc += 4) {
                    const int8_t *w0 = filter + (int64_t)oc * in_c;
                    const int8_t *w1 = w0 + in_c, *w2 = w1 + in_c, *w3 = w2 + in_c;
                    int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
                    int32_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
                    for (int32_t ic = 0; ic < in_c; ++ic) {
                        const int32_t x = ip[ic];
                        a0 += w0[ic] * x;
                        a1 += w1[ic] * x;
                        a2 += w2[ic] * x;
                        a3 += w3[ic] * x;
                    }
                    if (in_off != 0) {
                        for (int32_t ic = 0; ic < in_c; ++ic) {
                            s0 += w0[ic];
                            s1 += w1[ic];
                            s2 += w2[ic];
                            s3 += w3[ic];
                        }
                        a0 += s0 * in_off;
                        a1 += s1 * in_off;
                        a2 += s2 * in_off;
                        a3 += s3 * in_off;
                    }
                    if (bias) {
                        a0 += bias[oc];
                        a1 += bias[oc + 1];
                        a2 += bias[oc + 2];
                        a3 += bias[oc + 3];
                    }
                    output[0] = finish(a0, &q, oc);
                    output[1] = finish(a1, &q, oc + 1);
                    output[2] = finish(a2, &q, oc + 2);
                    output[3] = finish(a3, &q, oc + 3);
                    output += 4;
                }
                for (; oc < out_c; ++oc) {
                    const int8_t *wp = filter + (int64_t)oc * in_c;
                    int32_t acc = 0, sum = 0;
                    for (int32_t ic = 0; ic < in_c; ++ic) {
                        acc += wp[ic] * ip[ic];
                        sum += wp[ic];
                    }
                    acc += sum * in_off;
                    if (bias) {
                        acc += bias[oc];
                    }
                    *output++ = finish(acc, &q, oc);
                }
            }
        }
    }
    return MCU_OK;
}
