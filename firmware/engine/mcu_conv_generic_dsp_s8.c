/* CONV_2D for Cortex-M cores with the DSP extension, any kernel size, stride, padding and dilation,
 * grouped or not, when the filter depth and the output channels per group are multiples of 4 (e.g. the
 * grouped 1x1 convolutions of ShuffleNet): the layers the other DSP paths do not take. Bit-exact with
 * mcu_conv_generic_s8: the same taps (clipped to the input), the same sums and requantization.
 *
 * Four output channels of a pixel at a time share the widened input: per tap and group of four input
 * channels, one word of input is sign-extended with SXTB16 (input offset added with SADD16) into
 * (x0, x2) and (x1, x3) pairs, and each channel's weight word, extended the same way, meets them in
 * two SMLADs: 25 instructions per 16 MACs. No scratch.
 */
#include "mcu_dsp.h"
#include "mcu_engine.h"

#if defined(__ARM_FEATURE_DSP)

mcu_status mcu_conv_generic_dsp_s8(const mcu_conv_params *params, const mcu_per_channel_quant *quant,
                                   const mcu_dims *input_dims, const int8_t *input,
                                   const mcu_dims *filter_dims, const int8_t *filter, const int32_t *bias,
                                   const mcu_dims *output_dims, int8_t *output)
{
    const int32_t in_h = input_dims->h, in_w = input_dims->w, in_c = input_dims->c;
    const int32_t out_c = output_dims->c;
    const int32_t k_h = filter_dims->h, k_w = filter_dims->w, f_c = filter_dims->c;
    if (f_c <= 0 || in_c % f_c != 0 || out_c % (in_c / f_c) != 0) {
        return MCU_ERROR_ARGUMENT;
    }
    const int32_t per_group = out_c / (in_c / f_c);
    const int32_t w_len = k_h * k_w * f_c; /* weights of one output channel */
    const int32_t in_off = params->bias_folded ? 0 : params->input_offset;
    const int16x2_t off2 = (int16x2_t)(((uint32_t)(uint16_t)in_off) * 0x00010001u);
    const int32_t out_off = params->output_offset, act_min = params->act_min, act_max = params->act_max;
    const int32_t dil_h = params->dilation.h, dil_w = params->dilation.w;
    const int fast = params->fast_requant;
    for (int32_t b = 0; b < input_dims->n; ++b) {
        const int8_t *in_batch = input + (int64_t)b * in_h * in_w * in_c;
        for (int32_t oy = 0; oy < output_dims->h; ++oy) {
            const int32_t iy0 = oy * params->stride.h - params->padding.h;
            int32_t fy_lo, fy_hi;
            mcu_valid_taps(iy0, dil_h, k_h, in_h, &fy_lo, &fy_hi);
            for (int32_t ox = 0; ox < output_dims->w; ++ox) {
                const int32_t ix0 = ox * params->stride.w - params->padding.w;
                int32_t fx_lo, fx_hi;
                mcu_valid_taps(ix0, dil_w, k_w, in_w, &fx_lo, &fx_hi);
                for (int32_t oc = 0; oc < out_c; oc += 4) {
                    const int32_t group = oc / per_group;
                    const int8_t *w0 = filter + (int64_t)oc * w_len;
                    int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
                    if (bias) {
                        a0 = bias[oc];
                        a1 = bias[oc + 1];
                        a2 = bias[oc + 2];
                        a3 = bias[oc + 3];
                    }
                    for (int32_t fy = fy_lo; fy < fy_hi; ++fy) {
                        const int8_t *in_row =
                            in_batch + (int64_t)(iy0 + fy * dil_h) * in_w * in_c + group * f_c;
                        for (int32_t fx = fx_lo; fx < fx_hi; ++fx) {
                            const int8_t *ip = in_row + (int64_t)(ix0 + fx * dil_w) * in_c;
                            const int8_t *wp = w0 + (fy * k_w + fx) * f_c;
                            for (int32_t ic = 0; ic < f_c; ic += 4) {
                                const uint32_t x = mcu_load_u32(ip + ic);
                                const uint32_t xe = (uint32_t)__sadd16((int16x2_t)mcu_sxtb16(x), off2);
                                const uint32_t xo = (uint32_t)__sadd16((int16x2_t)mcu_sxtb16_ror8(x), off2);
                                uint32_t w = mcu_load_u32(wp + ic);
                                a0 = mcu_smlad(xo, mcu_sxtb16_ror8(w), mcu_smlad(xe, mcu_sxtb16(w), a0));
                                w = mcu_load_u32(wp + w_len + ic);
                                a1 = mcu_smlad(xo, mcu_sxtb16_ror8(w), mcu_smlad(xe, mcu_sxtb16(w), a1));
                                w = mcu_load_u32(wp + 2 * w_len + ic);
                                a2 = mcu_smlad(xo, mcu_sxtb16_ror8(w), mcu_smlad(xe, mcu_sxtb16(w), a2));
                                w = mcu_load_u32(wp + 3 * w_len + ic);
                                a3 = mcu_smlad(xo, mcu_sxtb16_ror8(w), mcu_smlad(xe, mcu_sxtb16(w), a3));
                            }
                        }
                    }
                    output = mcu_store4(output, a0, a1, a2, a3, quant, oc, fast, out_off, act_min, act_max);
                }
            }
        }
    }
    return MCU_OK;
}

/* 1x1 convolution, no groups, any input depth c (the 1x1 DSP path needs a multiple of 4), e.g. a first
 * layer on 1-3 input channels: per output pixel the c inputs are read once (offset added), and every
 * output channel is c multiply-accumulates from its int8 weights and the bias, requantized with
 * mcu_out_dsp (SMMULR; fast_requant layers only). No scratch. */
static inline __attribute__((always_inline)) void conv_1x1_narrow_body(
    const mcu_conv_params *params, const mcu_per_channel_quant *quant, const mcu_dims *input_dims,
    const int8_t *input, const int8_t *filter, const int32_t *bias, const mcu_dims *output_dims,
    int8_t *output, const int32_t c)
{
    const int32_t in_h = input_dims->h, in_w = input_dims->w, out_c = output_dims->c;
    const int32_t in_off = params->bias_folded ? 0 : params->input_offset;
    const int32_t zp = params->output_offset, lo = params->act_min, hi = params->act_max;
    const int32_t sh = params->stride.h, sw = params->stride.w;
    const int32_t *mult = quant->multiplier, *shift = quant->shift;
    for (int32_t b = 0; b < input_dims->n; ++b) {
        for (int32_t oy = 0; oy < output_dims->h; ++oy) {
            for (int32_t ox = 0; ox < output_dims->w; ++ox) {
                const int8_t *xp = input + (((int64_t)b * in_h + (int64_t)oy * sh) * in_w + (int64_t)ox * sw) * c;
                int32_t x[4];
                for (int32_t i = 0; i < c; ++i) {
                    x[i] = xp[i] + in_off;
                }
                const int8_t *w = filter;
                for (int32_t oc = 0; oc < out_c; ++oc) {
                    int32_t acc = bias ? bias[oc] : 0;
                    for (int32_t i = 0; i < c; ++i) {
                        acc += w[i] * x[i];
                    }
                    w += c;
                    *output++ = mcu_out_dsp(acc, mult[oc], -shift[oc], zp, lo, hi, 0);
                }
            }
        }
    }
}

mcu_status mcu_conv_1x1_narrow_dsp_s8(const mcu_conv_params *params, const mcu_per_channel_quant *quant,
                                      const mcu_dims *input_dims, const int8_t *input, const int8_t *filter,
                                      const int32_t *bias, const mcu_dims *output_dims, int8_t *output)
{
    const int32_t c = input_dims->c;
    if (c == 1) {
        conv_1x1_narrow_body(params, quant, input_dims, input, filter, bias, output_dims, output, 1);
    } else if (c == 2) {
        conv_1x1_narrow_body(params, quant, input_dims, input, filter, bias, output_dims, output, 2);
    } else if (c == 3) {
        conv_1x1_narrow_body(params, quant, input_dims, input, filter, bias, output_dims, output, 3);
    } else {
        return MCU_ERROR_ARGUMENT;
    }
    return MCU_OK;
}

#else
typedef int mcu_conv_generic_dsp_unused; /* ISO C: a translation unit must not be empty */
#endif /* __ARM_FEATURE_DSP */
