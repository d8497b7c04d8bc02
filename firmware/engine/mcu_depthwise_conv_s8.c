/* DEPTHWISE_CONV_2D, any kernel size, stride, padding, dilation and depth multiplier. */
#include "mcu_engine.h"
#include "mcu_quant.h"

/* Scratch bytes of the DSP 3x3 path (three int16 rows and a per-channel table); the same on every target so
 * generated code is portable. Must match DepthwiseConv2D.scratch_bytes in mcunets/engine/ops.py. */
int32_t mcu_depthwise_conv_s8_buffer_size(const mcu_dims *input_dims, const mcu_dims *filter_dims)
{
    if (filter_dims->h == 3 && filter_dims->w == 3 && filter_dims->c == input_dims->c &&
        input_dims->c % 4 == 0) {
        /* three int16 rows per channel and a 12-word table per channel */
        return 3 * input_dims->c * ((input_dims->w + 5) & ~1) * 2 + 48 * input_dims->c;
    }
    return 0;
}

#define MCU_DW_BLOCK 8

/* Depth multiplier 1: per output pixel, blocks of 8 contiguous channels accumulated tap by tap. */
static void depthwise_m1(const mcu_dw_conv_params *params, const mcu_per_channel_quant *quant,
                         const mcu_dims *input_dims, const int8_t *input, const mcu_dims *filter_dims,
                         const int8_t *filter, const int32_t *bias, const mcu_dims *output_dims,
                         int8_t *output)
{
    const int32_t in_h = input_dims->h, in_w = input_dims->w, c = input_dims->c;
    const int32_t k_h = filter_dims->h, k_w = filter_dims->w;
    const int32_t in_off = params->input_offset, out_off = params->output_offset;
    const int32_t dil_h = params->dilation.h, dil_w = params->dilation.w, fast = params->fast_requant;
    for (int32_t b = 0; b < input_dims->n; ++b) {
        const int8_t *in_batch = input + (int64_t)b * in_h * in_w * c;
        for (int32_t oy = 0; oy < output_dims->h; ++oy) {
            const int32_t iy0 = oy * params->stride.h - params->padding.h;
            int32_t fy_lo, fy_hi;
            mcu_valid_taps(iy0, dil_h, k_h, in_h, &fy_lo, &fy_hi);
            for (int32_t ox = 0; ox < output_dims->w; ++ox) {
                const int32_t ix0 = ox * params->stride.w - params->padding.w;
                int32_t fx_lo, fx_hi;
                mcu_valid_taps(ix0, dil_w, k_w, in_w, &fx_lo, &fx_hi);
                for (int32_t c0 = 0; c0 < c; c0 += MCU_DW_BLOCK) {
                    const int32_t n = c - c0 < MCU_DW_BLOCK ? c - c0 : MCU_DW_BLOCK;
                    int32_t acc[MCU_DW_BLOCK] = {0};
                    for (int32_t fy = fy_lo; fy < fy_hi; ++fy) {
                        const int8_t *in_row = in_batch + (int64_t)(iy0 + fy * dil_h) * in_w * c + c0;
                        const int8_t *w_row = filter + (int64_t)fy * k_w * c + c0;
                        for (int32_t fx = fx_lo; fx < fx_hi; ++fx) {
                            const int8_t *ip = in_row + (int64_t)(ix0 + fx * dil_w) * c;
                            const int8_t *wp = w_row + (int64_t)fx * c;
                            if (n == MCU_DW_BLOCK) {
                                for (int32_t j = 0; j < MCU_DW_BLOCK; ++j) {
                                    acc[j] += wp[j] * (ip[j] + in_off);
                                }
                            } else {
                                for (int32_t j = 0; j < n; ++j) {
                                    acc[j] += wp[j] * (ip[j] + in_off);
                                }
                            }
                        }
                    }
                    for (int32_t j = 0; j < n; ++j) {
                        const int32_t oc = c0 + j;
                        int32_t a = acc[j] + (bias ? bias[oc] : 0);
                        a = fast ? mcu_requantize_fast(a, quant->multiplier[oc], -quant->shift[oc])
                                 : mcu_requantize(a, quant->multiplier[oc], quant->shift[oc]);
                        *output++ = (int8_t)mcu_clamp_i32(a + out_off, params->act_min, params->act_max);
                    }
                }
            }
        }
    }
}

mcu_status mcu_depthwise_conv_s8(const mcu_dw_conv_params *params, const mcu_per_channel_quant *quant,
                                 const mcu_dims *input_dims, const int8_t *input,
                                 const mcu_dims *filter_dims, const int8_t *filter,
                                 const int32_t *bias, const mcu_dims *output_dims, int8_t *output,
                                 int8_t *scratch)
{
    const int32_t in_h = input_dims->h, in_w = input_dims->w, in_c = input_dims->c;
    const int32_t out_c = output_dims->c;
    const int32_t k_h = filter_dims->h, k_w = filter_dims->w;
    const int32_t mult = params->depth_multiplier;
    if (mult <= 0 || out_c != in_c * mult || filter_dims->c != out_c) {
        return MCU_ERROR_ARGUMENT;
    }
    const int32_t in_off = params->input_offset, out_off = params->output_offset;
    const int32_t act_min = params->act_min, act_max = params->act_max;
    const int32_t dil_h = params->dilation.h, dil_w = params->dilation.w;
#if defined(__ARM_FEATURE_DSP)
    if (scratch != 0 && params->fast_requant && mult == 1 && k_h == 3 && k_w == 3 && in_c % 4 == 0 &&
        dil_h == 1 && dil_w == 1 && (params->stride.w == 1 || params->stride.w == 2) &&
        params->stride.h >= 1 && params->padding.w <= 1 && params->padding.h <= 1) {
        return mcu_depthwise_3x3_dsp_s8(params, quant, input_dims, input, filter, bias, output_dims,
                                        output, (int16_t *)(void *)scratch);
    }
    if (params->fast_requant && mult == 1 && in_c % 4 == 0 && k_h * k_w == 3 && (k_h == 1 || k_w == 1) &&
        (params->stride.w == 1 || params->stride.w == 2) && act_max == MCU_INT8_MAX &&
        mcu_depthwise_3tap_fits(params, input_dims, filter_dims, output_dims)) {
        return mcu_depthwise_3tap_dsp_s8(params, quant, input_dims, input, filter_dims, filter, bias,
                                         output_dims, output);
    }
    if (mult == 1 && in_c % 4 == 0) {
        return mcu_depthwise_m1_dsp_s8(params, quant, input_dims, input, filter_dims, filter, bias,
                                       output_dims, output);
    }
#else
    (void)scratch;
#endif
    if (mult == 1) {
        depthwise_m1(params, quant, input_dims, input, filter_dims, filter, bias, output_dims, output);
        return MCU_OK;
    }

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
                for (int32_t ic = 0; ic < in_c; ++ic) {
                    for (int32_t m = 0; m < mult; ++m) {
                        const int32_t oc = ic * mult + m;
                        int32_t acc = 0;
                        for (int32_t fy = fy_lo; fy < fy_hi; ++fy) {
                            const int8_t *in_row =
                                in_batch + (int64_t)(iy0 + fy * dil_h) * in_w * in_c + ic;
                            const int8_t *w_row = filter + (int64_t)fy * k_w * out_c + oc;
                            for (int32_t fx = fx_lo; fx < fx_hi; ++fx) {
                                acc += (int32_t)w_row[fx * out_c] *
                                       ((int32_t)in_row[(int64_t)(ix0 + fx * dil_w) * in_c] + in_off);
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
    }
    return MCU_OK;
}
