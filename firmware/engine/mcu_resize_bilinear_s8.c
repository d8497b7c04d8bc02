/* RESIZE_BILINEAR (int8) as the reference's ResizeBilinearInteger: per output row and column the code
 * generator's (i0, i1, d) with 10 fractional bits (d the weight of i1, 1024 - d that of i0; d < 0 only where
 * i0 == i1), the four products summed (here as rows of columns: the same integer) and divided by 2^20
 * rounding half away from zero. |sum| < 2^30: no 64-bit arithmetic needed.
 *
 * On DSP cores four channels at a time: a word of each of the four taps, sign-extended in pairs (SXTB16),
 * the column pairs (i0, i1) of each channel packed into halfwords (PKHBT / PKHTB) and summed with the column
 * weights (wx0, wx1) by one SMUAD, the two rows then by MUL and MLA, and the rounding division as
 * (s + 2^19 + (s >> 31)) >> 20 (the same as half away from zero); the channels past the last four in C. */
#if defined(__ARM_FEATURE_DSP)
#include "mcu_dsp.h"
#endif
#include "mcu_engine.h"

static inline int8_t mcu_bilinear_round(int32_t s)
{
    return (int8_t)((s + (s > 0 ? (1 << 19) : -(1 << 19))) / (1 << 20));
}

#if defined(__ARM_FEATURE_DSP)
static inline int32_t mcu_bilinear_round_dsp(int32_t s)
{
    return (s + (1 << 19) + (s >> 31)) >> 20;
}
#endif

mcu_status mcu_resize_bilinear_s8(const mcu_resize_params *params, const int8_t *input, int8_t *output)
{
    const int32_t depth = params->depth;
    const int32_t in_row = params->in_w * depth;
#if defined(__ARM_FEATURE_DSP)
    const int32_t d4 = depth & ~3;
#else
    const int32_t d4 = 0;
#endif
    for (int32_t b = 0; b < params->batches; ++b) {
        for (int32_t y = 0; y < params->out_h; ++y) {
            const int16_t *r = params->rows + 3 * y;
            const int8_t *top = input + r[0] * in_row, *bottom = input + r[1] * in_row;
            const int32_t wy1 = r[2], wy0 = 1024 - wy1;
            for (int32_t x = 0; x < params->out_w; ++x, output += depth) {
                const int16_t *c = params->cols + 3 * x;
                const int32_t o0 = c[0] * depth, o1 = c[1] * depth, wx1 = c[2], wx0 = 1024 - wx1;
                int32_t k = 0;
#if defined(__ARM_FEATURE_DSP)
                const int16x2_t wx = (int16x2_t)(((uint32_t)wx0 & 0xFFFFu) | ((uint32_t)wx1 << 16));
                for (; k < d4; k += 4) {
                    const uint32_t ta = mcu_load_u32(top + o0 + k), tb = mcu_load_u32(top + o1 + k);
                    const uint32_t ba = mcu_load_u32(bottom + o0 + k), bb = mcu_load_u32(bottom + o1 + k);
                    const uint32_t ta02 = mcu_sxtb16(ta), tb02 = mcu_sxtb16(tb);
                    const uint32_t ta13 = mcu_sxtb16_ror8(ta), tb13 = mcu_sxtb16_ror8(tb);
                    const uint32_t ba02 = mcu_sxtb16(ba), bb02 = mcu_sxtb16(bb);
                    const uint32_t ba13 = mcu_sxtb16_ror8(ba), bb13 = mcu_sxtb16_ror8(bb);
                    const int32_t t0 = __smuad((int16x2_t)mcu_pack_lo(ta02, tb02), wx);
                    const int32_t t1 = __smuad((int16x2_t)mcu_pack_lo(ta13, tb13), wx);
                    const int32_t t2 = __smuad((int16x2_t)mcu_pack_hi(ta02, tb02), wx);
                    const int32_t t3 = __smuad((int16x2_t)mcu_pack_hi(ta13, tb13), wx);
                    const int32_t u0 = __smuad((int16x2_t)mcu_pack_lo(ba02, bb02), wx);
                    const int32_t u1 = __smuad((int16x2_t)mcu_pack_lo(ba13, bb13), wx);
                    const int32_t u2 = __smuad((int16x2_t)mcu_pack_hi(ba02, bb02), wx);
                    const int32_t u3 = __smuad((int16x2_t)mcu_pack_hi(ba13, bb13), wx);
                    const uint32_t v = ((uint32_t)mcu_bilinear_round_dsp(t0 * wy0 + u0 * wy1) & 0xFFu) |
                                       (((uint32_t)mcu_bilinear_round_dsp(t1 * wy0 + u1 * wy1) & 0xFFu) << 8) |
                                       (((uint32_t)mcu_bilinear_round_dsp(t2 * wy0 + u2 * wy1) & 0xFFu) << 16) |
                                       ((uint32_t)mcu_bilinear_round_dsp(t3 * wy0 + u3 * wy1) << 24);
                    memcpy(output + k, &v, 4);
                }
#endif
                (void)d4;
                for (; k < depth; ++k) {
                    const int32_t t = top[o0 + k] * wx0 + top[o1 + k] * wx1;
                    const int32_t u = bottom[o0 + k] * wx0 + bottom[o1 + k] * wx1;
                    output[k] = mcu_bilinear_round(t * wy0 + u * wy1);
                }
            }
        }
        input += params->in_h * in_row;
    }
    return MCU_OK;
}
