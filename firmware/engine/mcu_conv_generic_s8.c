/* CONV_2D, any kernel size, stride, padding and dilation, grouped when filter depth < input depth; and
 * without groups, the same through a gathered input patch (mcu_conv_im2col_s8). Both read and write rows
 * through the row strides of mcu_conv_params (in_row, out_row; 0: the tensors' own). */
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
    const int32_t in_row = params->in_row ? params->in_row : in_w * in_c;
    const int32_t out_row = params->out_row ? params->out_row : out_w * out_c;

    for (int32_t b = 0; b < input_dims->n; ++b) {
        const int8_t *in_batch = input + (int64_t)b * in_h * in_row;
        for (int32_t oy = 0; oy < out_h; ++oy) {
            int8_t *out_px = output + ((int64_t)b * out_h + oy) * out_row;
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
                        const int8_t *src_row =
                            in_batch + (int64_t)(iy0 + fy * dil_h) * in_row + group * f_c;
                        if (contiguous) { /* the row's taps are one run of input and of weights */
                            const int8_t *ip = src_row + (int64_t)(ix0 + fx_lo) * in_c;
                            const int8_t *wp = w_oc + (fy * k_w + fx_lo) * f_c;
                            const int32_t len = (fx_hi - fx_lo) * f_c;
                            for (int32_t i = 0; i < len; ++i) {
                                acc += (int32_t)wp[i] * ((int32_t)ip[i] + in_off);
                            }
                            continue;
                        }
                        for (int32_t fx = fx_lo; fx < fx_hi; ++fx) {
                            const int8_t *ip = src_row + (int64_t)(ix0 + fx * dil_w) * in_c;
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
                    *out_px++ = (int8_t)mcu_clamp_i32(acc, act_min, act_max);
                }
            }
        }
    }
    return MCU_OK;
}

/* Without groups, with scratch (mcu_conv_s8_buffer_size): per output pixel the k = kh * kw * c input
 * values under the filter are gathered into one contiguous patch (taps outside the input hold the input
 * zero point), so every output channel is one dot product of length k with its contiguous filter row,
 * four rows per pass. input_offset * sum(filter row) + bias is computed once per call, per channel.
 * Scratch: out_c words of those sums, then the patch, zero-padded to a multiple of 16 bytes so the dot
 * products run in whole vectors; rows whose padded length ends inside the filter array read past k
 * (multiplied by those zeros). */
static inline int8_t conv_out(int32_t acc, const int32_t *mult, const int32_t *shift, int32_t oc, int32_t fast,
                              int32_t out_off, int32_t lo, int32_t hi)
{
    acc = fast ? mcu_requantize_fast(acc, mult[oc], -shift[oc]) : mcu_requantize(acc, mult[oc], shift[oc]);
    return (int8_t)mcu_clamp_i32(acc + out_off, lo, hi);
}

mcu_status mcu_conv_im2col_s8(const mcu_conv_params *params, const mcu_per_channel_quant *quant,
                              const mcu_dims *input_dims, const int8_t *input,
                              const mcu_dims *filter_dims, const int8_t *filter, const int32_t *bias,
                              const mcu_dims *output_dims, int8_t *output, int8_t *scratch)
{
    const int32_t in_h = input_dims->h, in_w = input_dims->w, c = input_dims->c;
    const int32_t out_c = output_dims->c, k_h = filter_dims->h, k_w = filter_dims->w;
    const int32_t k = k_h * k_w * c, kp = (k + 15) & ~15, run = k_w * c;
    const int32_t in_off = params->bias_folded ? 0 : params->input_offset;
    const int32_t out_off = params->output_offset, lo = params->act_min, hi = params->act_max;
    const int32_t dil_h = params->dilation.h, dil_w = params->dilation.w, fast = params->fast_requant;
    const int8_t pad = (int8_t)-params->input_offset;
    const int32_t *mult = quant->multiplier, *shift = quant->shift;
    int32_t *base = (int32_t *)(void *)scratch;
    int8_t *patch = scratch + 4 * out_c;
    const int32_t in_row = params->in_row ? params->in_row : in_w * c;
    const int32_t out_row = params->out_row ? params->out_row : output_dims->w * out_c;
    if (filter_dims->c != c) {
        return MCU_ERROR_ARGUMENT;
    }
    for (int32_t oc = 0; oc < out_c; ++oc) {
        const int8_t *wp = filter + (int64_t)oc * k;
        int32_t sum = 0;
        if (in_off != 0) {
            for (int32_t i = 0; i < k; ++i) {
                sum += wp[i];
            }
        }
        base[oc] = (bias ? bias[oc] : 0) + in_off * sum;
    }
    for (int32_t i = k; i < kp; ++i) {
        patch[i] = 0;
    }
    for (int32_t b = 0; b < input_dims->n; ++b) {
        const int8_t *in_batch = input + (int64_t)b * in_h * in_row;
        for (int32_t oy = 0; oy < output_dims->h; ++oy) {
            int8_t *out_px = output + ((int64_t)b * output_dims->h + oy) * out_row;
            const int32_t iy0 = oy * params->stride.h - params->padding.h;
            int32_t fy_lo, fy_hi;
            mcu_valid_taps(iy0, dil_h, k_h, in_h, &fy_lo, &fy_hi);
            for (int32_t ox = 0; ox < output_dims->w; ++ox) {
                const int32_t ix0 = ox * params->stride.w - params->padding.w;
                int32_t fx_lo, fx_hi;
                mcu_valid_taps(ix0, dil_w, k_w, in_w, &fx_lo, &fx_hi);
                for (int32_t fy = 0; fy < k_h; ++fy) {
                    int8_t *pp = patch + fy * run;
                    if (fy < fy_lo || fy >= fy_hi) {
                        for (int32_t i = 0; i < run; ++i) {
                            pp[i] = pad;
                        }
                        continue;
                    }
                    const int8_t *src_row = in_batch + (int64_t)(iy0 + fy * dil_h) * in_row;
                    if (dil_w == 1 && fx_lo == 0 && fx_hi == k_w) {
                        const int8_t *ip = src_row + (int64_t)ix0 * c;
                        for (int32_t i = 0; i < run; ++i) {
                            pp[i] = ip[i];
                        }
                        continue;
                    }
                    for (int32_t fx = 0; fx < k_w; ++fx, pp += c) {
                        const int8_t *ip = src_row + (int64_t)(ix0 + fx * dil_w) * c;
                        const int inside = fx >= fx_lo && fx < fx_hi;
                        for (int32_t i = 0; i < c; ++i) {
                            pp[i] = inside ? ip[i] : pad;
                        }
                    }
                }
                int32_t oc = 0;
                for (; oc + 4 <= out_c; oc += 4) {
                    const int8_t *w0 = filter + (int64_t)oc * k;
                    const int8_t *w1 = w0 + k, *w2 = w1 + k, *w3 = w2 + k;
                    /* the padded length when the fourth row's padded end stays inside the filter */
                    const int32_t n = (int64_t)(oc + 3) * k + kp <= (int64_t)out_c * k ? kp : k;
                    int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
                    for (int32_t i = 0; i < n; ++i) {
                        const int32_t x = patch[i];
                        a0 += w0[i] * x;
                        a1 += w1[i] * x;
                        a2 += w2[i] * x;
                        a3 += w3[i] * x;
                    }
                    out_px[0] = conv_out(a0 + base[oc], mult, shift, oc, fast, out_off, lo, hi);
                    out_px[1] = conv_out(a1 + base[oc + 1], mult, shift, oc + 1, fast, out_off, lo, hi);
                    out_px[2] = conv_out(a2 + base[oc + 2], mult, shift, oc + 2, fast, out_off, lo, hi);
                    out_px[3] = conv_out(a3 + base[oc + 3], mult, shift, oc + 3, fast, out_off, lo, hi);
                    out_px += 4;
                }
                for (; oc < out_c; ++oc) {
                    const int8_t *wp = filter + (int64_t)oc * k;
                    int32_t acc = 0;
                    for (int32_t i = 0; i < k; ++i) {
                        acc += wp[i] * patch[i];
                    }
                    *out_px++ = conv_out(acc + base[oc], mult, shift, oc, fast, out_off, lo, hi);
                }
            }
        }
    }
    return MCU_OK;
}
