/* DEPTHWISE_CONV_2D 3x3 fast path for Cortex-M cores with the DSP extension, bit-exact with the
 * portable kernel. mcu_depthwise_conv_s8 calls it when __ARM_FEATURE_DSP is defined, the depth
 * multiplier and dilation are 1, the channel count is a multiple of 4, the stride is 1 or 2, the
 * layer's fast_requant flag is set and its scratch buffer is present.
 *
 * Input rows are transposed once each into a ring of three channel-major int16 rows (two pixels x four
 * channels per step: SXTB16 and halfword packing), padding columns and rows holding the input zero
 * point, so the sum over the 3x3 window becomes SMLAD on (x, x+1) pairs with the weights packed as
 * (w0, w1) plus one SMLABB/SMLATB for the third column. Padding with the zero point and starting the
 * accumulator at bias + input_offset * sum(weights) gives exactly sum(w * (x + input_offset)) over the
 * taps inside the input.
 */
#include "mcu_dsp.h"
#include "mcu_engine.h"

#if defined(__ARM_FEATURE_DSP)

/* Fill one ring slot (channel-major, `width` int16 per channel) with input row iy. */
static void fill_row(const mcu_dims *in, const int8_t *in_batch, int32_t iy, int32_t pad_w,
                     int32_t width, int16_t zp, int16_t *slot)
{
    const int32_t c = in->c, w = in->w;
    if (iy < 0 || iy >= in->h) {
        for (int32_t i = 0; i < c * width; ++i) {
            slot[i] = zp;
        }
        return;
    }
    const int8_t *row = in_batch + (int64_t)iy * w * c;
    for (int32_t j = 0; j < width; j += 2) {
        const int32_t x0 = j - pad_w, x1 = x0 + 1;
        if (x0 >= 0 && x1 < w) {
            const int8_t *p = row + (int64_t)x0 * c;
            for (int32_t ch = 0; ch < c; ch += 4) {
                const uint32_t a = mcu_load_u32(p + ch), b = mcu_load_u32(p + c + ch);
                const uint32_t al = mcu_sxtb16(a), ah = mcu_sxtb16_ror8(a);
                const uint32_t bl = mcu_sxtb16(b), bh = mcu_sxtb16_ror8(b);
                uint32_t *d = (uint32_t *)(void *)(slot + (int64_t)ch * width + j);
                d[0] = (al & 0xFFFFu) | (bl << 16);
                d[width / 2] = (ah & 0xFFFFu) | (bh << 16);
                d[width] = (al >> 16) | (bl & 0xFFFF0000u);
                d[3 * (width / 2)] = (ah >> 16) | (bh & 0xFFFF0000u);
            }
        } else {
            for (int32_t ch = 0; ch < c; ++ch) {
                slot[(int64_t)ch * width + j] = (x0 >= 0 && x0 < w) ? row[(int64_t)x0 * c + ch] : zp;
                slot[(int64_t)ch * width + j + 1] = (x1 >= 0 && x1 < w) ? row[(int64_t)x1 * c + ch] : zp;
            }
        }
    }
}

static inline uint32_t pack16(int32_t lo, int32_t hi)
{
    return ((uint32_t)lo & 0xFFFFu) | ((uint32_t)hi << 16);
}

int32_t mcu_depthwise_dsp_row_width(const mcu_dims *input_dims)
{
    return (input_dims->w + 5) & ~1;
}

static inline __attribute__((always_inline)) void depthwise_body(
    const mcu_dw_conv_params *params, const mcu_per_channel_quant *quant, const mcu_dims *input_dims,
    const int8_t *input, const int8_t *filter, const int32_t *bias, const mcu_dims *output_dims,
    int8_t *output, int16_t *scratch, const int full)
{
    const int32_t in_h = input_dims->h, in_w = input_dims->w, c = input_dims->c;
    const int32_t out_h = output_dims->h, out_w = output_dims->w;
    const int32_t sh = params->stride.h, sw = params->stride.w;
    const int32_t width = mcu_depthwise_dsp_row_width(input_dims);
    const int32_t in_off = params->input_offset;
    const int16_t pad_val = (int16_t)(-in_off);
    const int32_t zp = params->output_offset, lo = params->act_min, hi = params->act_max;
    int16_t *slots[3] = {scratch, scratch + (int64_t)c * width, scratch + 2 * (int64_t)c * width};
    for (int32_t b = 0; b < input_dims->n; ++b) {
        const int8_t *in_batch = input + (int64_t)b * in_h * in_w * c;
        int8_t *out_batch = output + (int64_t)b * out_h * out_w * c;
        int32_t held[3] = {INT32_MIN, INT32_MIN, INT32_MIN}; /* input row in each slot */
        for (int32_t oy = 0; oy < out_h; ++oy) {
            const int32_t iy0 = oy * sh - params->padding.h;
            const int16_t *rows[3];
            for (int32_t k = 0; k < 3; ++k) {
                const int32_t iy = iy0 + k;
                const int32_t s = (int32_t)(((uint32_t)(iy + 3 * 65536)) % 3u);
                if (held[s] != iy) {
                    fill_row(input_dims, in_batch, iy, params->padding.w, width, pad_val, slots[s]);
                    held[s] = iy;
                }
                rows[k] = slots[s];
            }
            int8_t *out_row = out_batch + (int64_t)oy * out_w * c;
            for (int32_t ch = 0; ch < c; ++ch) {
                const int8_t *wp = filter + ch;
                const int32_t w00 = wp[0], w01 = wp[c], w02 = wp[2 * c];
                const int32_t w10 = wp[3 * c], w11 = wp[4 * c], w12 = wp[5 * c];
                const int32_t w20 = wp[6 * c], w21 = wp[7 * c], w22 = wp[8 * c];
                const uint32_t k0 = pack16(w00, w01), k1 = pack16(w10, w11), k2 = pack16(w20, w21);
                const uint32_t k3 = pack16(w02, w12), k4 = pack16(w22, w22);
                const int32_t base = (bias ? bias[ch] : 0) +
                                     in_off * (w00 + w01 + w02 + w10 + w11 + w12 + w20 + w21 + w22);
                const int32_t mult = quant->multiplier[ch], right = -quant->shift[ch];
                const int16_t *r0 = rows[0] + (int64_t)ch * width;
                const int16_t *r1 = rows[1] + (int64_t)ch * width;
                const int16_t *r2 = rows[2] + (int64_t)ch * width;
                int8_t *op = out_row + ch;
                if (sw == 1) {
                    int32_t ox = 0;
                    for (; ox + 2 <= out_w; ox += 2) {
                        const uint32_t a0 = mcu_load_u32(r0 + ox), b0 = mcu_load_u32(r0 + ox + 2);
                        const uint32_t a1 = mcu_load_u32(r1 + ox), b1 = mcu_load_u32(r1 + ox + 2);
                        const uint32_t a2 = mcu_load_u32(r2 + ox), b2 = mcu_load_u32(r2 + ox + 2);
                        int32_t acc0 = mcu_smlad(a0, k0, base);
                        int32_t acc1 = __smladx((int16x2_t)mcu_pkhbt(b0, a0),
                                                (int16x2_t)k0, base);
                        acc0 = __smlabb((int32_t)b0, (int32_t)k3, acc0);
                        acc1 = __smlatb((int32_t)b0, (int32_t)k3, acc1);
                        acc0 = mcu_smlad(a1, k1, acc0);
                        acc1 = __smladx((int16x2_t)mcu_pkhbt(b1, a1),
                                        (int16x2_t)k1, acc1);
                        acc0 = __smlabt((int32_t)b1, (int32_t)k3, acc0);
                        acc1 = __smlatt((int32_t)b1, (int32_t)k3, acc1);
                        acc0 = mcu_smlad(a2, k2, acc0);
                        acc1 = __smladx((int16x2_t)mcu_pkhbt(b2, a2),
                                        (int16x2_t)k2, acc1);
                        acc0 = __smlabb((int32_t)b2, (int32_t)k4, acc0);
                        acc1 = __smlatb((int32_t)b2, (int32_t)k4, acc1);
                        op[0] = mcu_out_dsp(acc0, mult, right, zp, lo, hi, full);
                        op[c] = mcu_out_dsp(acc1, mult, right, zp, lo, hi, full);
                        op += 2 * c;
                    }
                    if (ox < out_w) {
                        int32_t acc = base;
                        acc = mcu_smlad(mcu_load_u32(r0 + ox), k0, acc) + r0[ox + 2] * w02;
                        acc = mcu_smlad(mcu_load_u32(r1 + ox), k1, acc) + r1[ox + 2] * w12;
                        acc = mcu_smlad(mcu_load_u32(r2 + ox), k2, acc) + r2[ox + 2] * w22;
                        op[0] = mcu_out_dsp(acc, mult, right, zp, lo, hi, full);
                    }
                } else {
                    for (int32_t ox = 0; ox < out_w; ++ox) {
                        const int32_t x = ox * sw;
                        int32_t acc = base;
                        acc = mcu_smlad(mcu_load_u32(r0 + x), k0, acc) + r0[x + 2] * w02;
                        acc = mcu_smlad(mcu_load_u32(r1 + x), k1, acc) + r1[x + 2] * w12;
                        acc = mcu_smlad(mcu_load_u32(r2 + x), k2, acc) + r2[x + 2] * w22;
                        op[0] = mcu_out_dsp(acc, mult, right, zp, lo, hi, full);
                        op += c;
                    }
                }
            }
        }
    }
}

mcu_status mcu_depthwise_3x3_dsp_s8(const mcu_dw_conv_params *params, const mcu_per_channel_quant *quant,
                                    const mcu_dims *input_dims, const int8_t *input,
                                    const int8_t *filter, const int32_t *bias,
                                    const mcu_dims *output_dims, int8_t *output, int16_t *scratch)
{
    if (params->act_max == MCU_INT8_MAX) {
        depthwise_body(params, quant, input_dims, input, filter, bias, output_dims, output, scratch, 1);
    } else {
        depthwise_body(params, quant, input_dims, input, filter, bias, output_dims, output, scratch, 0);
    }
    return MCU_OK;
}

#else
typedef int mcu_depthwise_dsp_unused; /* ISO C: a translation unit must not be empty */
#endif /* __ARM_FEATURE_DSP */
