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

/* 1x1 convolution, no groups, input depth c = 1..3 (a first layer on an image): pixel by pixel, every
 * output channel of a pixel from its input widened once. The constants of each output channel are in the
 * layer's table (params->table, 5 words per channel, computed by the code generator: ops.narrow_table):
 * 2 * (bias + input_offset * sum(w)), the multiplier, k of mcu_requant_consts, the doubled weights packed
 * as (w0, w2) and (w1 in the top halfword, the right shift in the bottom byte, which ASR by register
 * reads); weights of missing input channels are 0, so every pixel is one word load (LDR, its bytes
 * beyond the pixel meet zero weights). One assembly block runs a span of pixels: per pixel the load,
 * SXTB16 (0/2) and SXTB16 ror 8 (1/3), then per channel one LDM of the five constants, SMLAD + SMLABT,
 * mcu_requant2_dsp (SMMLAR, ADD asr 31, ASR), SSAT and a post-incremented STRB: 8 instructions per
 * output, plus 7 per pixel (clamp range [-128, 127], every zero point folded into k). Rows whose next
 * row starts right after them (every unpadded 1x1 layer of stride 1 whose output covers its input) run
 * as one span. A C loop with mcu_out2_dsp takes the rest (other clamp ranges, zero points added after
 * the shift, the last pixels whose word load would pass the input's end). fast_requant layers only;
 * no scratch. The output may overlap input rows before the one a row reads. */

#define MCU_NW_CH \
    "ldmia  %[tab]!, {%[b], %[m], %[k], %[w02], %[w1r]}\n\t" \
    "smlad  %[b], %[xe], %[w02], %[b]\n\t" \
    "smlabt %[b], %[xo], %[w1r], %[b]\n\t" \
    "smmlar %[k], %[b], %[m], %[k]\n\t" \
    "add    %[b], %[k], %[b], asr #31\n\t" \
    "asr    %[b], %[b], %[w1r]\n\t" \
    "ssat   %[b], #8, %[b]\n\t" \
    "strb   %[b], [%[out]], #1\n\t"
#define MCU_NW_CH4 MCU_NW_CH MCU_NW_CH MCU_NW_CH MCU_NW_CH
/* Pixels from in (step bytes apart) until iend, outputs from out; CHANNELS runs the table from tab. */
#define MCU_NW_SPAN(CHANNELS) \
    "0:\n\t" \
    "ldr    %[tab], %[tab0]\n\t" \
    "ldr    %[xo], [%[in]]\n\t" \
    "add    %[in], %[in], %[step]\n\t" \
    "sxtb16 %[xe], %[xo]\n\t" \
    "sxtb16 %[xo], %[xo], ror #8\n\t" \
    CHANNELS \
    "cmp    %[in], %[iend]\n\t" \
    "bne    0b\n\t"
#define MCU_NW_LOOP(BODY) "1:\n\t" BODY "cmp    %[tab], %[tend]\n\t" "bne    1b\n\t"

#define MCU_NW_FN(NAME, CHANNELS) \
    static void NAME(const int8_t *in, const int8_t *iend, int32_t step, int8_t *out, const int32_t *tab0, \
                     const int32_t *tend) \
    { \
        register int32_t b __asm__("r8"); \
        register int32_t m __asm__("r9"); \
        register int32_t k __asm__("r10"); \
        register int32_t w02 __asm__("r11"); \
        register int32_t w1r __asm__("r12"); \
        const int32_t *tab; \
        uint32_t xe, xo; \
        __asm__ volatile(MCU_NW_SPAN(CHANNELS) \
                         : [in] "+&r"(in), [out] "+&r"(out), [tab] "=&r"(tab), [xe] "=&r"(xe), [xo] "=&r"(xo), \
                           [b] "=&r"(b), [m] "=&r"(m), [k] "=&r"(k), [w02] "=&r"(w02), [w1r] "=&r"(w1r) \
                         : [iend] "r"(iend), [step] "r"(step), [tab0] "m"(tab0), [tend] "r"(tend) \
                         : "cc", "memory"); \
        (void)tab, (void)xe, (void)xo, (void)b, (void)m, (void)k, (void)w02, (void)w1r, (void)tend; \
    }
MCU_NW_FN(narrow_span_8, MCU_NW_CH4 MCU_NW_CH4)
MCU_NW_FN(narrow_span_4n, MCU_NW_LOOP(MCU_NW_CH4))
MCU_NW_FN(narrow_span_1n, MCU_NW_LOOP(MCU_NW_CH))
#undef MCU_NW_FN
#undef MCU_NW_LOOP
#undef MCU_NW_SPAN
#undef MCU_NW_CH4
#undef MCU_NW_CH

/* n pixels in C (any clamp mode, zero points added after the shift or not). */
static void narrow_pixels(const int8_t *in, int32_t step, int32_t n, int8_t *out, int32_t out_c, int32_t c,
                          const int32_t *table, int32_t z, int32_t lo, int32_t hi)
{
    for (int32_t j = 0; j < n; ++j, in += step) {
        const int32_t *cst = table;
        for (int32_t oc = 0; oc < out_c; ++oc, cst += 5) {
            const int32_t w[3] = {(int16_t)cst[3], cst[4] >> 16, cst[3] >> 16};
            int32_t acc2 = cst[0], k, rz;
            for (int32_t i = 0; i < c; ++i) {
                acc2 += w[i] * in[i];
            }
            mcu_requant_consts(z, cst[4] & 0xFF, &k, &rz);
            *out++ = mcu_out2_dsp(acc2, cst[1], k, rz, lo, hi, MCU_CLAMP_BOTH);
        }
    }
}

mcu_status mcu_conv_1x1_narrow_dsp_s8(const mcu_conv_params *params, const mcu_dims *input_dims,
                                      const int8_t *input, const mcu_dims *output_dims, int8_t *output)
{
    const int32_t c = input_dims->c, in_h = input_dims->h, in_w = input_dims->w;
    const int32_t out_h = output_dims->h, out_w = output_dims->w, out_c = output_dims->c;
    const int32_t sh = params->stride.h, step = params->stride.w * c;
    const int32_t lo = params->act_min, hi = params->act_max, z = params->output_offset;
    const int32_t *table = params->table;
    if (c < 1 || c > 3) {
        return MCU_ERROR_ARGUMENT;
    }
    int fast = mcu_clamp_mode(lo, hi) == MCU_CLAMP_SSAT;
    for (int32_t oc = 0; oc < out_c && fast; ++oc) {
        int32_t k, rz;
        mcu_requant_consts(z, table[5 * oc + 4] & 0xFF, &k, &rz);
        fast = rz >> 8 == 0; /* no zero point added after the shift */
    }
    void (*span)(const int8_t *, const int8_t *, int32_t, int8_t *, const int32_t *, const int32_t *) =
        out_c == 8 ? narrow_span_8 : out_c % 4 == 0 ? narrow_span_4n : narrow_span_1n;
    /* rows in_row / out_row bytes apart (a patch stage's tile in its maps), else the tensors' own */
    const int32_t in_stride = params->in_row ? params->in_row : in_w * c;
    const int32_t out_stride = params->out_row ? params->out_row : out_w * out_c;
    const int8_t *input_end = input + ((int64_t)input_dims->n * in_h - 1) * in_stride + (int64_t)in_w * c;
    /* one span of all rows when each row's pixels continue into the next one's */
    const int joined = (int64_t)sh * in_stride == (int64_t)out_w * step && out_stride == out_w * out_c;
    const int32_t rows = joined ? input_dims->n : input_dims->n * out_h;
    const int32_t row_px = joined ? out_h * out_w : out_w;
    for (int32_t r = 0; r < rows; ++r) {
        const int8_t *in_row = joined ? input + (int64_t)r * in_h * in_stride
                                      : input + ((int64_t)(r / out_h) * in_h + (int64_t)(r % out_h) * sh) * in_stride;
        int8_t *out_row = output + (int64_t)r * (joined ? row_px * out_c : out_stride);
        int32_t done = 0;
        if (fast) { /* the pixels whose word load stays inside the input */
            done = row_px;
            while (done > 0 && in_row + (int64_t)(done - 1) * step + 4 > input_end) {
                --done;
            }
            if (done > 0) {
                span(in_row, in_row + (int64_t)done * step, step, out_row, table, table + 5 * out_c);
            }
        }
        if (done < row_px) {
            narrow_pixels(in_row + (int64_t)done * step, step, row_px - done, out_row + (int64_t)done * out_c,
                          out_c, c, table, z, lo, hi);
        }
    }
    return MCU_OK;
}

#else
typedef int mcu_conv_generic_dsp_unused; /* ISO C: a translation unit must not be empty */
#endif /* __ARM_FEATURE_DSP */
