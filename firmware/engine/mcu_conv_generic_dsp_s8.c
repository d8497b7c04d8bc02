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

/* 1x1 convolution, no groups, input depth c = 1..3 (a first layer on an image): output row by output
 * row (the output may overlap input rows before the one a row reads), channel by channel within a row.
 * Each output channel's constants are computed once per layer (per row when there are more than
 * MCU_NARROW_BLOCK channels) into a small table on the stack: 2 * (bias + input_offset * sum(w)), the
 * multiplier, k of mcu_requant_consts, the doubled weights packed as (w0, w2) and (w1 in the top
 * halfword, the right shift in the bottom byte). One assembly block runs a row: per channel one LDM of
 * the five constants, then four pixels per step, each one load, SXTB16 (0/2) and SXTB16 ror 8 (1/3),
 * SMLAD + SMLABT, mcu_requant2_dsp (SMMLAR, ADD asr 31, ASR), SSAT and one STRB out_c bytes after the
 * previous one: 43 instructions per 4 outputs (clamp range [-128, 127], zero point folded into k in every
 * channel, strides 1 and 2); a C loop with mcu_out2_dsp for the rest. fast_requant layers only; no
 * scratch. */

#define MCU_NARROW_BLOCK 8

/* One pixel: LD loads it (post-incremented by IS bytes), WIDE forms 2 * acc in t, then requantize,
 * saturate and store to ST. */
#define MCU_NW_PIX(LD, IS, WIDE, ST) \
    LD "    %[x], [%[in]], #" IS "\n\t" \
    WIDE \
    "smmlar %[x], %[t], %[m], %[k]\n\t" \
    "add    %[t], %[x], %[t], asr #31\n\t" \
    "asr    %[t], %[t], %[w1r]\n\t" \
    "ssat   %[t], #8, %[t]\n\t" \
    "strb   %[t], " ST "\n\t"
#define MCU_NW_WIDE23 \
    "sxtb16 %[t], %[x]\n\t" \
    "sxtb16 %[x], %[x], ror #8\n\t" \
    "smlad  %[t], %[t], %[w02], %[b]\n\t" \
    "smlabt %[t], %[x], %[w1r], %[t]\n\t"
#define MCU_NW_WIDE1 "smlabb %[t], %[x], %[w02], %[b]\n\t"
#define MCU_NW_ROW(LD, IS, WIDE) \
    "0:\n\t" \
    "ldr    %[t], %[ctab]\n\t" \
    "ldmia  %[t]!, {%[b], %[m], %[k], %[w02], %[w1r]}\n\t" \
    "str    %[t], %[ctab]\n\t" \
    "ldr    %[in], %[cin]\n\t" \
    "ldr    %[out], %[cout]\n\t" \
    "add    %[t], %[out], #1\n\t" \
    "str    %[t], %[cout]\n\t" \
    "1:\n\t" \
    MCU_NW_PIX(LD, IS, WIDE, "[%[out]]") \
    MCU_NW_PIX(LD, IS, WIDE, "[%[out], %[s1]]") \
    MCU_NW_PIX(LD, IS, WIDE, "[%[out], %[s2]]") \
    MCU_NW_PIX(LD, IS, WIDE, "[%[out], %[s3]]") \
    "add    %[out], %[out], %[s1], lsl #2\n\t" \
    "cmp    %[in], %[end]\n\t" \
    "bne    1b\n\t" \
    "ldr    %[t], %[ctab]\n\t" \
    "ldr    %[x], %[ctend]\n\t" \
    "cmp    %[t], %[x]\n\t" \
    "bne    0b\n\t"

/* The first 4 * quads pixels of one output row (input pixels IS bytes apart from in, outputs out_c bytes
 * apart from out) for the nch channels of tab (5 words each), channel by channel. */
#define MCU_NW_FN(NAME, LD, IS, WIDE) \
    static void NAME(const int8_t *in, int32_t quads, int8_t *out, int32_t out_c, const int32_t *tab, \
                     int32_t nch) \
    { \
        register int32_t b __asm__("r8"); \
        register int32_t m __asm__("r9"); \
        register int32_t k __asm__("r10"); \
        register int32_t w02 __asm__("r11"); \
        register int32_t w1r __asm__("r12"); \
        const int8_t *end = in + (int64_t)4 * quads * IS, *frame_in = in, *p; \
        const int32_t *frame_tab = tab, *frame_tend = tab + 5 * nch; \
        int8_t *frame_out = out, *o; \
        const int32_t s2 = 2 * out_c, s3 = 3 * out_c; \
        uint32_t x, t; \
        __asm__ volatile(MCU_NW_ROW(LD, #IS, WIDE) \
                         : [in] "=&r"(p), [out] "=&r"(o), [x] "=&r"(x), [t] "=&r"(t), [b] "=&r"(b), \
                           [m] "=&r"(m), [k] "=&r"(k), [w02] "=&r"(w02), [w1r] "=&r"(w1r), \
                           [ctab] "+m"(frame_tab), [cout] "+m"(frame_out) \
                         : [s1] "r"(out_c), [s2] "r"(s2), [s3] "r"(s3), [end] "r"(end), [cin] "m"(frame_in), \
                           [ctend] "m"(frame_tend) \
                         : "cc", "memory"); \
        (void)p, (void)o, (void)x, (void)t, (void)b, (void)m, (void)k, (void)w02, (void)w1r; \
    }
MCU_NW_FN(narrow_row_c1s1, "ldrsb", 1, MCU_NW_WIDE1)
MCU_NW_FN(narrow_row_c1s2, "ldrsb", 2, MCU_NW_WIDE1)
MCU_NW_FN(narrow_row_c2s1, "ldrh", 2, MCU_NW_WIDE23)
MCU_NW_FN(narrow_row_c2s2, "ldrh", 4, MCU_NW_WIDE23)
MCU_NW_FN(narrow_row_c3s1, "ldr", 3, MCU_NW_WIDE23)
MCU_NW_FN(narrow_row_c3s2, "ldr", 6, MCU_NW_WIDE23)
#undef MCU_NW_FN
#undef MCU_NW_ROW
#undef MCU_NW_WIDE1
#undef MCU_NW_WIDE23
#undef MCU_NW_PIX

typedef void (*narrow_row_fn)(const int8_t *in, int32_t quads, int8_t *out, int32_t out_c, const int32_t *tab,
                              int32_t nch);

/* The five constants of output channel oc (see above) and its rz (mcu_requant_consts); returns whether
 * its zero point is added after the shift (rz != right). */
static int narrow_consts(const mcu_conv_params *params, const mcu_per_channel_quant *quant, const int8_t *filter,
                         const int32_t *bias, int32_t c, int32_t oc, int32_t cst[5], int32_t *rz)
{
    const int32_t in_off = params->bias_folded ? 0 : params->input_offset;
    const int8_t *f = filter + (int64_t)oc * c;
    int32_t w[3] = {0, 0, 0}, sum = 0;
    for (int32_t i = 0; i < c; ++i) {
        w[i] = f[i];
        sum += f[i];
    }
    const int32_t right = -quant->shift[oc];
    /* 2 * the accumulator at input 0 (|acc| < 2^30 for every input under fast_requant) */
    cst[0] = 2 * ((bias ? bias[oc] : 0) + in_off * sum);
    cst[1] = quant->multiplier[oc];
    mcu_requant_consts(params->output_offset, right, &cst[2], rz);
    cst[3] = (int32_t)mcu_pack16x2(2 * w[0], 2 * w[2]);
    cst[4] = (int32_t)(((uint32_t)(2 * w[1]) << 16) | (uint32_t)right);
    return *rz != right;
}

/* n pixels of one output channel in C (any clamp mode, zero point added after the shift or not). */
static void narrow_pixels(const int8_t *in, int32_t step, int32_t n, int8_t *out, int32_t out_c, int32_t c,
                          const int32_t cst[5], int32_t rz, int32_t lo, int32_t hi)
{
    const int32_t w[3] = {(int16_t)cst[3], cst[4] >> 16, cst[3] >> 16};
    for (int32_t j = 0; j < n; ++j, in += step, out += out_c) {
        int32_t acc2 = cst[0];
        for (int32_t i = 0; i < c; ++i) {
            acc2 += w[i] * in[i];
        }
        *out = mcu_out2_dsp(acc2, cst[1], cst[2], rz, lo, hi, MCU_CLAMP_BOTH);
    }
}

mcu_status mcu_conv_1x1_narrow_dsp_s8(const mcu_conv_params *params, const mcu_per_channel_quant *quant,
                                      const mcu_dims *input_dims, const int8_t *input, const int8_t *filter,
                                      const int32_t *bias, const mcu_dims *output_dims, int8_t *output)
{
    static const narrow_row_fn row_fn[3][2] = {{narrow_row_c1s1, narrow_row_c1s2},
                                               {narrow_row_c2s1, narrow_row_c2s2},
                                               {narrow_row_c3s1, narrow_row_c3s2}};
    const int32_t c = input_dims->c, in_h = input_dims->h, in_w = input_dims->w;
    const int32_t out_h = output_dims->h, out_w = output_dims->w, out_c = output_dims->c;
    const int32_t sh = params->stride.h, sw = params->stride.w, step = sw * c;
    const int32_t lo = params->act_min, hi = params->act_max;
    if (c < 1 || c > 3) {
        return MCU_ERROR_ARGUMENT;
    }
    const int8_t *input_end = input + (int64_t)input_dims->n * in_h * in_w * c;
    const narrow_row_fn run = sw <= 2 && mcu_clamp_mode(lo, hi) == MCU_CLAMP_SSAT ? row_fn[c - 1][sw - 1] : 0;
    int32_t cst[MCU_NARROW_BLOCK][5], rz[MCU_NARROW_BLOCK];
    int post = 0;
    for (int32_t r = 0; r < input_dims->n * out_h; ++r) {
        const int8_t *in_row = input + ((int64_t)(r / out_h) * in_h + (int64_t)(r % out_h) * sh) * in_w * c;
        int8_t *out_row = output + (int64_t)r * out_w * out_c;
        /* the 3-channel word loads read one byte past the pixel: not past the input's end */
        const int32_t safe = c == 3 && in_row + (int64_t)(out_w - 1) * step + 4 > input_end ? out_w - 1 : out_w;
        const int32_t quads = run != 0 ? safe / 4 : 0;
        for (int32_t oc0 = 0; oc0 < out_c; oc0 += MCU_NARROW_BLOCK) {
            const int32_t nb = out_c - oc0 < MCU_NARROW_BLOCK ? out_c - oc0 : MCU_NARROW_BLOCK;
            if (r == 0 || out_c > MCU_NARROW_BLOCK) {
                post = 0;
                for (int32_t j = 0; j < nb; ++j) {
                    post |= narrow_consts(params, quant, filter, bias, c, oc0 + j, cst[j], &rz[j]);
                }
            }
            const int32_t done = quads > 0 && !post ? 4 * quads : 0;
            if (done > 0) {
                MCU_COMPILER_BARRIER(); /* the table is written before the assembly reads it */
                run(in_row, quads, out_row + oc0, out_c, &cst[0][0], nb);
            }
            if (done < out_w) {
                for (int32_t j = 0; j < nb; ++j) {
                    narrow_pixels(in_row + (int64_t)done * step, step, out_w - done,
                                  out_row + (int64_t)done * out_c + oc0 + j, out_c, c, cst[j], rz[j], lo, hi);
                }
            }
        }
    }
    return MCU_OK;
}

#else
typedef int mcu_conv_generic_dsp_unused; /* ISO C: a translation unit must not be empty */
#endif /* __ARM_FEATURE_DSP */
