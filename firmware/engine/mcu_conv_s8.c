/* CONV_2D dispatcher: the Cortex-M DSP paths when they apply (mcu_conv_dsp_s8.c), else the portable
 * 1x1 variant when it applies, without the DSP extension the patch (im2col) kernel when there is no
 * grouping and the scratch of the k x k path (which it fits in), the generic kernel otherwise. */
#include "mcu_engine.h"

static int32_t conv_1x1_scratch(const mcu_dims *input_dims, const mcu_dims *filter_dims)
{
    if (filter_dims->h == 1 && filter_dims->w == 1 && filter_dims->c == input_dims->c &&
        input_dims->c % 4 == 0) {
        /* two pixels of int16 and 8 words of requantization parameters per output channel pair, plus
         * the pair's two filter rows when the input depth is 8, 16 or 32 */
        const int32_t c = input_dims->c, rows = (c == 8 || c == 16 || c == 32) ? 2 * c : 0;
        return 4 * c + (32 + rows) * ((filter_dims->n + 1) / 2);
    }
    return 0;
}

/* The k x k path (mcu_conv_kxk_dsp_s8): every convolution without groups that the 1x1 paths do not
 * take. k = taps per output pixel, k4 = k rounded up to a multiple of 4. Scratch: the expanded pixel pair
 * (4 * k4), 8 words of requantization table per output channel pair, two int8 patches (2 * k4 + 4) and,
 * when k is not a multiple of 4, the filter rows padded to k4 bytes. */
static int32_t kxk_scratch(const mcu_dims *input_dims, const mcu_dims *filter_dims)
{
    const int32_t c = input_dims->c, k = filter_dims->h * filter_dims->w * filter_dims->c;
    const int32_t k4 = (k + 3) & ~3;
    if (filter_dims->c != c || (filter_dims->h == 1 && filter_dims->w == 1 && (c % 4 == 0 || c <= 3))) {
        return 0;
    }
    return 6 * k4 + 4 + 32 * ((filter_dims->n + 1) / 2) + (k != k4 ? filter_dims->n * k4 : 0);
}

/* The 3x3 row path (mcu_conv_3x3_rows_dsp_s8): input depth at most MCU_ROWS3_MAX_C (first convolutions;
 * deeper inputs run the k x k path). Scratch: the doubled int16 weights of each output channel pair
 * (3 rows x nw words x 2 channels, nw = ceil(3c / 2)) and 8 words of its requantization parameters, and
 * a ring of three int16 input rows, each in two copies of mcu_conv_3x3_rows_words words. */
#define MCU_ROWS3_MAX_C 3

static int32_t rows3_scratch(const mcu_dims *input_dims, const mcu_dims *filter_dims)
{
    const int32_t c = input_dims->c;
    if (filter_dims->h == 3 && filter_dims->w == 3 && filter_dims->c == c && c <= MCU_ROWS3_MAX_C) {
        const int32_t nw = (3 * c + 1) / 2;
        return 4 * (((filter_dims->n + 1) / 2) * (3 * nw * 2 + 8) + 6 * mcu_conv_3x3_rows_words(input_dims));
    }
    return 0;
}

int32_t mcu_conv_3x3_rows_words(const mcu_dims *input_dims)
{
    return ((input_dims->w + 2) * input_dims->c + 1) / 2 + 1;
}

/* Scratch bytes for the DSP paths; the same on every target so generated code is portable (the
 * portable kernels ignore it). Must match Conv2D.scratch_bytes in mcunets/engine/ops.py. */
int32_t mcu_conv_s8_buffer_size(const mcu_dims *input_dims, const mcu_dims *filter_dims)
{
    const int32_t kxk = kxk_scratch(input_dims, filter_dims);
    const int32_t rows3 = rows3_scratch(input_dims, filter_dims);
    return conv_1x1_scratch(input_dims, filter_dims) + (rows3 > kxk ? rows3 : kxk);
}

mcu_status mcu_conv_s8(const mcu_conv_params *params, const mcu_per_channel_quant *quant,
                       const mcu_dims *input_dims, const int8_t *input,
                       const mcu_dims *filter_dims, const int8_t *filter, const int32_t *bias,
                       const mcu_dims *output_dims, int8_t *output, int8_t *scratch)
{
    const int is_1x1 = filter_dims->h == 1 && filter_dims->w == 1 && params->padding.h == 0 &&
                       params->padding.w == 0 && filter_dims->c == input_dims->c;
#if defined(__ARM_FEATURE_DSP)
    if (params->table != 0 && params->fast_requant && is_1x1 && input_dims->c <= 3) { /* no scratch needed */
        return mcu_conv_1x1_narrow_dsp_s8(params, input_dims, input, output_dims, output);
    }
    if (scratch != 0 && params->fast_requant) {
        if (is_1x1 && conv_1x1_scratch(input_dims, filter_dims) > 0 &&
            (params->bias_folded || params->input_offset == 0)) {
            return mcu_conv_1x1_dsp_s8(params, quant, input_dims, input, output_dims, filter, bias,
                                       output, (int16_t *)(void *)scratch);
        }
        const int32_t sw = params->stride.w;
        if (rows3_scratch(input_dims, filter_dims) > 0 && params->dilation.h == 1 &&
            params->dilation.w == 1 && (sw == 1 || sw == 2) &&
            params->padding.w >= 0 && params->padding.h >= 0 &&
            (output_dims->w - 1) * sw + 3 <= input_dims->w + 2) {
            return mcu_conv_3x3_rows_dsp_s8(params, quant, input_dims, input, filter_dims, filter, bias,
                                            output_dims, output, (int16_t *)(void *)scratch);
        }
        if (kxk_scratch(input_dims, filter_dims) > 0) {
            return mcu_conv_kxk_dsp_s8(params, quant, input_dims, input, filter_dims, filter, bias,
                                       output_dims, output, (int16_t *)(void *)scratch);
        }
    }
    if (filter_dims->c % 4 == 0 && input_dims->c % filter_dims->c == 0 &&
        (output_dims->c / (input_dims->c / filter_dims->c)) % 4 == 0) {
        return mcu_conv_generic_dsp_s8(params, quant, input_dims, input, filter_dims, filter, bias,
                                       output_dims, output);
    }
#endif
    if (is_1x1) {
        return mcu_conv_1x1_s8(params, quant, input_dims, input, filter_dims, filter, bias,
                               output_dims, output);
    }
#if !defined(__ARM_FEATURE_DSP) /* (DSP cores: the few layers left here keep the smaller generic kernel) */
    if (scratch != 0 && ((uintptr_t)scratch & 3) == 0 && kxk_scratch(input_dims, filter_dims) > 0) {
        return mcu_conv_im2col_s8(params, quant, input_dims, input, filter_dims, filter, bias, output_dims,
                                  output, scratch);
    }
#endif
    return mcu_conv_generic_s8(params, quant, input_dims, input, filter_dims, filter, bias,
                               output_dims, output);
}
