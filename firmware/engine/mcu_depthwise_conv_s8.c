/* DEPTHWISE_CONV_2D, any kernel size, stride, padding, dilation and depth multiplier (the portable kernel;
 * the dispatcher mcu_depthwise_conv_s8 is inline in mcu_engine.h). */
#include "mcu_engine.h"
#include "mcu_quant.h"

/* Scratch bytes of the DSP 3x3 path for the layer as it runs (DepthwiseConv2D.scratch_bytes in
 * mcunets/engine/ops.py reserves the same); the same on every target so generated code is portable. The
 * rows: three int16 rows per channel of one chunk (params->chunk channels, the whole depth when 0), at
 * stride 1 (along the width) with a 12-word table per channel; the stride-2 path from the code generator's
 * table (params->table) the widened weights, a 3x3 patch and a row of zero points, (w + 31) * c bytes, at
 * stride 1 in channel chunks one chunk's weights and requantization constants, then its patch or 2 * c + chunk
 * zero points, 35 * chunk + max(9 * chunk, 2 * c + chunk). */
int32_t mcu_depthwise_conv_s8_buffer_size(const mcu_dw_conv_params *params, const mcu_dims *input_dims,
                                          const mcu_dims *filter_dims)
{
    const int32_t c = input_dims->c;
    if (filter_dims->h != 3 || filter_dims->w != 3 || filter_dims->c != c || c % 4 != 0) {
        return 0;
    }
    const int32_t chunk = params->chunk > 0 && params->chunk < c ? params->chunk : c;
    if (params->table != 0 && params->stride.w == 1 && (params->table[0] & 2) && params->chunk != 0) {
        return 35 * chunk + (9 * chunk > 2 * c + chunk ? 9 * chunk : 2 * c + chunk);
    }
    if (params->table != 0 && (params->stride.w == 2 || (params->table[0] & 2))) {
        return (input_dims->w + 31) * c;
    }
    return chunk * (3 * ((input_dims->w + 5) & ~1) * 2 + (params->stride.w == 2 ? 0 : 48));
}

#if UINTPTR_MAX > 0xffffffffu
/* 64-bit hosts (vectorizing compilers): blocks of up to 32 channels, and products as int16, so vectors hold
 * twice as many lanes (they fit: |filter| <= 128 and |input + input_offset| <= 255) */
#define MCU_DW_BLOCK 32
typedef int16_t mcu_dw_product;
#else
#define MCU_DW_BLOCK 8
typedef int32_t mcu_dw_product;
#endif

/* acc[0 .. n) = the block's sums over fy_n filter rows and fx_n taps per row, from the first valid tap's
 * input ip and weights wp. */
static inline void dw_taps(int32_t *acc, int32_t n, const int8_t *ip, int32_t in_row_step, int32_t in_tap_step,
                           const int8_t *wp, int32_t w_row_step, int32_t w_tap_step, int32_t fy_n, int32_t fx_n,
                           int32_t in_off)
{
    for (int32_t j = 0; j < n; ++j) {
        acc[j] = 0;
    }
    for (int32_t fy = 0; fy < fy_n; ++fy, ip += in_row_step, wp += w_row_step) {
        for (int32_t fx = 0; fx < fx_n; ++fx) {
            const int8_t *x = ip + (int64_t)fx * in_tap_step, *w = wp + (int64_t)fx * w_tap_step;
            for (int32_t j = 0; j < n; ++j) {
                acc[j] += (mcu_dw_product)(w[j] * (x[j] + in_off));
            }
        }
    }
}

/* Depth multiplier 1: per output pixel, blocks of contiguous channels accumulated tap by tap (whole blocks of
 * a fixed width, so compilers unroll and vectorize them). */
static void depthwise_m1(const mcu_dw_conv_params *params, const mcu_per_channel_quant *quant,
                         const mcu_dims *input_dims, const int8_t *input, const mcu_dims *filter_dims,
                         const int8_t *filter, const int32_t *bias, const mcu_dims *output_dims,
                         int8_t *output)
{
    const int32_t in_h = input_dims->h, in_w = input_dims->w, c = input_dims->c;
    const int32_t k_h = filter_dims->h, k_w = filter_dims->w;
    const int32_t in_off = params->input_offset, out_off = params->output_offset;
    const int32_t dil_h = params->dilation.h, dil_w = params->dilation.w;
    const int32_t fast = MCU_PORTABLE_FAST_REQUANT(params->fast_requant);
    const int32_t lo = params->act_min, hi = params->act_max;
    const int32_t in_rs = dil_h * in_w * c, in_ts = dil_w * c, w_rs = k_w * c;
    const int32_t *mult = quant->multiplier, *shift = quant->shift; /* locals: output stores may alias */
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
                const int32_t fy_n = fy_hi - fy_lo, fx_n = fx_hi - fx_lo;
                const int inside = fy_n > 0 && fx_n > 0; /* else no tap: bias only */
                const int64_t first = ((int64_t)(iy0 + fy_lo * dil_h) * in_w + ix0 + fx_lo * dil_w) * c;
                const int8_t *ip = inside ? in_batch + first : input;
                const int8_t *wp = inside ? filter + (int64_t)(fy_lo * k_w + fx_lo) * c : filter;
                for (int32_t c0 = 0; c0 < c;) {
                    const int32_t left = c - c0;
                    int32_t acc[MCU_DW_BLOCK];
                    int32_t n = left < 8 ? left : 8;
                    if (left >= MCU_DW_BLOCK) {
                        n = MCU_DW_BLOCK;
                        dw_taps(acc, MCU_DW_BLOCK, ip + c0, in_rs, in_ts, wp + c0, w_rs, c, fy_n, fx_n, in_off);
#if MCU_DW_BLOCK > 16
                    } else if (left >= 16) {
                        n = 16;
                        dw_taps(acc, 16, ip + c0, in_rs, in_ts, wp + c0, w_rs, c, fy_n, fx_n, in_off);
#endif
#if MCU_DW_BLOCK > 8
                    } else if (left >= 8) {
                        dw_taps(acc, 8, ip + c0, in_rs, in_ts, wp + c0, w_rs, c, fy_n, fx_n, in_off);
#endif
                    } else {
                        dw_taps(acc, n, ip + c0, in_rs, in_ts, wp + c0, w_rs, c, fy_n, fx_n, in_off);
                    }
                    for (int32_t j = 0; j < n; ++j) {
                        const int32_t oc = c0 + j;
                        int32_t a = acc[j] + (bias ? bias[oc] : 0);
                        a = fast ? mcu_requantize_fast(a, mult[oc], -shift[oc])
                                 : mcu_requantize(a, mult[oc], shift[oc]);
                        *output++ = (int8_t)mcu_clamp_i32(a + out_off, lo, hi);
                    }
                    c0 += n;
                }
            }
        }
    }
}

mcu_status mcu_depthwise_conv_generic_s8(const mcu_dw_conv_params *params, const mcu_per_channel_quant *quant,
                                         const mcu_dims *input_dims, const int8_t *input,
                                         const mcu_dims *filter_dims, const int8_t *filter,
                                         const int32_t *bias, const mcu_dims *output_dims, int8_t *output)
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
