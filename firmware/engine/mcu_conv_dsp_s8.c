/* CONV_2D fast paths for Cortex-M cores with the DSP extension (SMLAD), bit-exact with the portable
 * kernels (mcu_conv_1x1_s8, mcu_conv_generic_s8). mcu_conv_s8 calls them when __ARM_FEATURE_DSP is
 * defined, the layer's fast_requant flag is set and its scratch buffer is present.
 *
 * 1x1: two output pixels at a time; both input pixels are sign-extended once into the scratch buffer
 * in SXTB16 order (bytes 0,2 then 1,3 of each group of four), so each weight word is extended once
 * with two SXTB16 and used by four SMLADs (2 output channels x 2 pixels, 16 MACs per 4 channels).
 * im2col (any kernel, no groups): the layer's weights are widened to int16 in the scratch buffer once,
 * then two output pixels at a time are gathered into int16 columns (input offset applied, padding 0),
 * and each pair of columns meets two weight rows with SMLAD.
 */
#include "mcu_dsp.h"
#include "mcu_engine.h"

#if defined(__ARM_FEATURE_DSP)

/* Sign-extend and double `groups` groups of 4 bytes into slot `slot` (0 or 1) of the interleaved
 * buffer: group g occupies words 4g..4g+3 = (A 0/2, A 1/3, B 0/2, B 1/3), every halfword 2x (|2x| <=
 * 256), so the accumulators hold 2 * acc, the operand mcu_requant2_dsp takes. */
static void expand_pixel(const int8_t *src, uint32_t *dst, int32_t groups, int32_t slot)
{
    dst += 2 * slot;
    for (int32_t g = 0; g < groups; ++g) {
        const uint32_t w = mcu_load_u32(src);
        src += 4;
        const uint32_t lo = mcu_sxtb16(w), hi = mcu_sxtb16_ror8(w);
        dst[0] = (uint32_t)__sadd16((int16x2_t)lo, (int16x2_t)lo);
        dst[1] = (uint32_t)__sadd16((int16x2_t)hi, (int16x2_t)hi);
        dst += 4;
    }
}

/* One group of 4 input channels for 2 output channels (rows at w and w + c) x 2 pixels: 2 LDRD, 2 LDR,
 * 4 SXTB16 and 8 SMLAD for 16 MACs. */
#define MCU_1X1_GROUP \
    "ldrd   %[x2], %[x3], [%[xp], #8]\n\t" \
    "ldrd   %[x0], %[x1], [%[xp]], #16\n\t" \
    "ldr    %[u], [%[w], %[c]]\n\t" \
    "sxtb16 %[t], %[u]\n\t" \
    "smlad  %[a01], %[x0], %[t], %[a01]\n\t" \
    "smlad  %[a11], %[x2], %[t], %[a11]\n\t" \
    "sxtb16 %[u], %[u], ror #8\n\t" \
    "smlad  %[a01], %[x1], %[u], %[a01]\n\t" \
    "smlad  %[a11], %[x3], %[u], %[a11]\n\t" \
    "ldr    %[u], [%[w]], #4\n\t" \
    "sxtb16 %[t], %[u]\n\t" \
    "smlad  %[a00], %[x0], %[t], %[a00]\n\t" \
    "smlad  %[a10], %[x2], %[t], %[a10]\n\t" \
    "sxtb16 %[u], %[u], ror #8\n\t" \
    "smlad  %[a00], %[x1], %[u], %[a00]\n\t" \
    "smlad  %[a10], %[x3], %[u], %[a10]\n\t"

/* acc[0..3] (pixel A ch 0, A ch 1, B ch 0, B ch 1) += the dot products over xp..xend; `w` is row 0 of
 * the filter, row 1 is `c` bytes further. GCC spills in the C version of this loop (it needs 14
 * registers), hence the inline assembly. */
static inline __attribute__((always_inline)) void dot_2x2(const uint32_t *xp, const uint32_t *xend,
                                                          const int8_t *w, int32_t c, int32_t acc[4])
{
    int32_t a00 = acc[0], a01 = acc[1], a10 = acc[2], a11 = acc[3];
    uint32_t x0, x1, x2, x3, t, u;
    if (((xend - xp) & 4) == 0) { /* an even number of groups: two per iteration */
        __asm__ volatile("1:\n\t" MCU_1X1_GROUP MCU_1X1_GROUP
                         "cmp    %[xp], %[xend]\n\t"
                         "bne    1b\n\t"
                         : [a00] "+r"(a00), [a01] "+r"(a01), [a10] "+r"(a10), [a11] "+r"(a11),
                           [xp] "+r"(xp), [w] "+r"(w), [x0] "=&r"(x0), [x1] "=&r"(x1), [x2] "=&r"(x2),
                           [x3] "=&r"(x3), [t] "=&r"(t), [u] "=&r"(u)
                         : [c] "r"(c), [xend] "r"(xend)
                         : "cc", "memory");
    } else {
        __asm__ volatile("1:\n\t" MCU_1X1_GROUP
                         "cmp    %[xp], %[xend]\n\t"
                         "bne    1b\n\t"
                         : [a00] "+r"(a00), [a01] "+r"(a01), [a10] "+r"(a10), [a11] "+r"(a11),
                           [xp] "+r"(xp), [w] "+r"(w), [x0] "=&r"(x0), [x1] "=&r"(x1), [x2] "=&r"(x2),
                           [x3] "=&r"(x3), [t] "=&r"(t), [u] "=&r"(u)
                         : [c] "r"(c), [xend] "r"(xend)
                         : "cc", "memory");
    }
    acc[0] = a00;
    acc[1] = a01;
    acc[2] = a10;
    acc[3] = a11;
}

static inline __attribute__((always_inline)) void conv_1x1_body(
    const mcu_conv_params *params, const mcu_per_channel_quant *quant, const mcu_dims *input_dims,
    const int8_t *input, const mcu_dims *output_dims, const int8_t *filter, const int32_t *bias,
    int8_t *output, int16_t *scratch, const int mode)
{
    const int32_t in_h = input_dims->h, in_w = input_dims->w, c = input_dims->c;
    const int32_t out_h = output_dims->h, out_w = output_dims->w, out_c = output_dims->c;
    const int32_t groups = c / 4;
    const int32_t zp2 = 2 * params->output_offset + 1, lo = params->act_min, hi = params->act_max;
    const int32_t npix = input_dims->n * out_h * out_w;
    const int32_t *mults = quant->multiplier, *shifts = quant->shift;
    uint32_t *buf = (uint32_t *)(void *)scratch;
    const uint32_t *buf_end = buf + 4 * groups;
    const int8_t *pix[2];
    int32_t b = 0, y = 0, x = 0;
    for (int32_t p = 0; p < npix; p += 2) {
        const int32_t count = npix - p >= 2 ? 2 : 1;
        for (int32_t k = 0; k < count; ++k) {
            pix[k] = input + (((int64_t)b * in_h + (int64_t)y * params->stride.h) * in_w +
                              (int64_t)x * params->stride.w) * c;
            if (++x == out_w) {
                x = 0;
                if (++y == out_h) {
                    y = 0;
                    ++b;
                }
            }
        }
        expand_pixel(pix[0], buf, groups, 0);
        expand_pixel(pix[count - 1], buf, groups, 1);
        int8_t *out_a = output + (int64_t)p * out_c;
        int8_t *out_b = count == 2 ? out_a + out_c : out_a;
        int32_t oc = 0;
        for (; oc + 2 <= out_c; oc += 2) {
            int32_t acc[4];
            acc[0] = acc[2] = bias ? 2 * bias[oc] : 0;
            acc[1] = acc[3] = bias ? 2 * bias[oc + 1] : 0;
            dot_2x2(buf, buf_end, filter + (int64_t)oc * c, c, acc);
            const int32_t r0 = -shifts[oc], r1 = -shifts[oc + 1];
            const int32_t m0 = mults[oc], k0 = zp2 << (r0 - 1);
            const int32_t m1 = mults[oc + 1], k1 = zp2 << (r1 - 1);
            out_b[oc] = mcu_out2_dsp(acc[2], m0, k0, r0, lo, hi, mode);
            out_a[oc] = mcu_out2_dsp(acc[0], m0, k0, r0, lo, hi, mode);
            out_b[oc + 1] = mcu_out2_dsp(acc[3], m1, k1, r1, lo, hi, mode);
            out_a[oc + 1] = mcu_out2_dsp(acc[1], m1, k1, r1, lo, hi, mode);
        }
        if (oc < out_c) { /* odd channel count: the last channel twice */
            int32_t acc[4];
            acc[0] = acc[1] = acc[2] = acc[3] = bias ? 2 * bias[oc] : 0;
            dot_2x2(buf, buf_end, filter + (int64_t)oc * c, 0, acc);
            const int32_t r0 = -shifts[oc], m0 = mults[oc], k0 = zp2 << (r0 - 1);
            out_b[oc] = mcu_out2_dsp(acc[2], m0, k0, r0, lo, hi, mode);
            out_a[oc] = mcu_out2_dsp(acc[0], m0, k0, r0, lo, hi, mode);
        }
    }
}

mcu_status mcu_conv_1x1_dsp_s8(const mcu_conv_params *params, const mcu_per_channel_quant *quant,
                               const mcu_dims *input_dims, const int8_t *input,
                               const mcu_dims *output_dims, const int8_t *filter,
                               const int32_t *bias, int8_t *output, int16_t *scratch)
{
    const int mode = mcu_clamp_mode(params->act_min, params->act_max);
    if (mode == MCU_CLAMP_SSAT) {
        conv_1x1_body(params, quant, input_dims, input, output_dims, filter, bias, output, scratch,
                      MCU_CLAMP_SSAT);
    } else if (mode == MCU_CLAMP_SSAT_LO) {
        conv_1x1_body(params, quant, input_dims, input, output_dims, filter, bias, output, scratch,
                      MCU_CLAMP_SSAT_LO);
    } else {
        conv_1x1_body(params, quant, input_dims, input, output_dims, filter, bias, output, scratch,
                      MCU_CLAMP_BOTH);
    }
    return MCU_OK;
}

/* One im2col column: kernel taps of output pixel (b, oy, ox), offset applied, padding 0. */
static void gather(const mcu_conv_params *params, const mcu_dims *in, const int8_t *input, int32_t kh,
                   int32_t kw, int32_t b, int32_t oy, int32_t ox, int32_t in_off, int16_t *col,
                   int32_t k2)
{
    const int32_t c = in->c;
    int16_t *dst = col;
    for (int32_t fy = 0; fy < kh; ++fy) {
        const int32_t iy = oy * params->stride.h - params->padding.h + fy * params->dilation.h;
        for (int32_t fx = 0; fx < kw; ++fx) {
            const int32_t ix = ox * params->stride.w - params->padding.w + fx * params->dilation.w;
            if (iy < 0 || iy >= in->h || ix < 0 || ix >= in->w) {
                for (int32_t ch = 0; ch < c; ++ch) {
                    *dst++ = 0;
                }
            } else {
                const int8_t *src = input + (((int64_t)b * in->h + iy) * in->w + ix) * c;
                for (int32_t ch = 0; ch < c; ++ch) {
                    *dst++ = (int16_t)(src[ch] + in_off);
                }
            }
        }
    }
    while (dst < col + k2) {
        *dst++ = 0;
    }
}

mcu_status mcu_conv_im2col_dsp_s8(const mcu_conv_params *params, const mcu_per_channel_quant *quant,
                                  const mcu_dims *input_dims, const int8_t *input,
                                  const mcu_dims *filter_dims, const int8_t *filter,
                                  const int32_t *bias, const mcu_dims *output_dims, int8_t *output,
                                  int16_t *scratch)
{
    const int32_t kh = filter_dims->h, kw = filter_dims->w, c = input_dims->c;
    const int32_t out_h = output_dims->h, out_w = output_dims->w, out_c = output_dims->c;
    const int32_t k = kh * kw * c, k2 = k + (k & 1), pairs = k2 / 2;
    const int32_t in_off = params->bias_folded ? 0 : params->input_offset;
    const int32_t zp = params->output_offset, lo = params->act_min, hi = params->act_max;
    int16_t *wexp = scratch;
    int16_t *col_a = scratch + (int64_t)out_c * k2, *col_b = col_a + k2;
    for (int32_t oc = 0; oc < out_c; ++oc) {
        for (int32_t i = 0; i < k2; ++i) {
            wexp[(int64_t)oc * k2 + i] = (int16_t)(i < k ? filter[(int64_t)oc * k + i] : 0);
        }
    }
    const int32_t npix = input_dims->n * out_h * out_w;
    int32_t b = 0, y = 0, x = 0;
    for (int32_t p = 0; p < npix; p += 2) {
        const int32_t count = npix - p >= 2 ? 2 : 1;
        for (int32_t i = 0; i < count; ++i) {
            gather(params, input_dims, input, kh, kw, b, y, x, in_off, i ? col_b : col_a, k2);
            if (++x == out_w) {
                x = 0;
                if (++y == out_h) {
                    y = 0;
                    ++b;
                }
            }
        }
        const uint32_t *xa = (const uint32_t *)(const void *)col_a;
        const uint32_t *xb = (const uint32_t *)(const void *)(count == 2 ? col_b : col_a);
        int8_t *out_a = output + (int64_t)p * out_c;
        int8_t *out_b = out_a + out_c;
        for (int32_t oc = 0; oc < out_c; oc += 2) {
            const int32_t two = oc + 1 < out_c;
            const uint32_t *w0 = (const uint32_t *)(const void *)(wexp + (int64_t)oc * k2);
            const uint32_t *w1 = two ? w0 + pairs : w0;
            const int32_t b0 = bias ? bias[oc] : 0;
            const int32_t b1 = bias ? bias[oc + two] : 0;
            int32_t a00 = b0, a01 = b1, a10 = b0, a11 = b1;
            for (int32_t j = 0; j < pairs; ++j) {
                const uint32_t va = xa[j], vb = xb[j], u0 = w0[j], u1 = w1[j];
                a00 = mcu_smlad(va, u0, a00);
                a01 = mcu_smlad(va, u1, a01);
                a10 = mcu_smlad(vb, u0, a10);
                a11 = mcu_smlad(vb, u1, a11);
            }
            const int32_t m0 = quant->multiplier[oc], r0 = -quant->shift[oc];
            out_a[oc] = mcu_out_dsp(a00, m0, r0, zp, lo, hi, 0);
            if (count == 2) {
                out_b[oc] = mcu_out_dsp(a10, m0, r0, zp, lo, hi, 0);
            }
            if (two) {
                const int32_t m1 = quant->multiplier[oc + 1], r1 = -quant->shift[oc + 1];
                out_a[oc + 1] = mcu_out_dsp(a01, m1, r1, zp, lo, hi, 0);
                if (count == 2) {
                    out_b[oc + 1] = mcu_out_dsp(a11, m1, r1, zp, lo, hi, 0);
                }
            }
        }
    }
    return MCU_OK;
}

#else
typedef int mcu_conv_dsp_unused; /* ISO C: a translation unit must not be empty */
#endif /* __ARM_FEATURE_DSP */
