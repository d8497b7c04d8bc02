/* SQUARED_DIFFERENCE: TFLite's int8 reference shifts each input's offset value left by 7 and rescales it
 * to twice the larger input scale (the code generator's table: params->table[u] for input 1's byte u read
 * as uint8, params->table[256 + u] for input 2's), squares the difference of the two and requantizes that
 * to the output, saturating; 4-D broadcasting through per-input strides.
 *
 * With fast_requant (output shift in [-31, -1], squares below 2^30, |k| < 2^30) an output is
 * (round(2 d^2 m / 2^32) + k) >> right with k = 2^(right-1) + zero_point * 2^right: the square is never
 * negative, so the reference's rounding high multiply is that of 2 d^2 (one SMMLAR with k on DSP cores)
 * and its rounding right shift adds half and shifts, the zero point folded in. */
#include "mcu_engine.h"
#include "mcu_quant.h"
#if defined(__ARM_FEATURE_DSP)
#include "mcu_dsp.h"
#endif

static inline __attribute__((always_inline)) int8_t sq_fast(int32_t d, int32_t m, int32_t k, int32_t right)
{
    const int32_t x2 = d * (d * 2); /* 2 d^2 < 2^31 */
#if defined(__ARM_FEATURE_DSP)
    return (int8_t)__ssat(mcu_smmlar(x2, m, k) >> right, 8);
#else
    const int32_t hi = (int32_t)(((int64_t)x2 * m + ((int64_t)1 << 31)) >> 32);
    return (int8_t)mcu_clamp_i32((hi + k) >> right, -128, 127);
#endif
}

/* n elements, input 1 stepping by ea (0 or 1) bytes, input 2 by eb: two per pass. */
static inline __attribute__((always_inline)) void sq_run(const uint8_t *a, const uint8_t *b, int8_t *o, int32_t n,
                                                         const int16_t *t1, const int16_t *t2, int32_t m,
                                                         int32_t k, int32_t right, const int ea, const int eb)
{
    for (int8_t *end = o + (n & ~1); o != end; o += 2, a += 2 * ea, b += 2 * eb) {
        const int32_t d0 = t1[a[0]] - t2[b[0]], d1 = t1[a[ea]] - t2[b[eb]];
        o[0] = sq_fast(d0, m, k, right);
        o[1] = sq_fast(d1, m, k, right);
    }
    if (n & 1) {
        *o = sq_fast(t1[*a] - t2[*b], m, k, right);
    }
}

mcu_status mcu_squared_difference_s8(const mcu_squared_difference_params *params, const mcu_broadcast *shape,
                                     const int8_t *input1, const int8_t *input2, int8_t *output)
{
    /* parameters in locals: the int8 output stores may alias anything */
    const int32_t *d = shape->dims, *s1 = shape->stride1, *s2 = shape->stride2;
    const int16_t *t1 = params->table, *t2 = params->table + 256;
    const int32_t m = params->output.multiplier, sh = params->output.shift, zp = params->output_offset;
    const int32_t k = params->k, fast = params->fast_requant;
    const int32_t n3 = d[3], c1 = s1[3], c2 = s2[3];
    for (int32_t i0 = 0; i0 < d[0]; ++i0) {
        for (int32_t i1 = 0; i1 < d[1]; ++i1) {
            for (int32_t i2 = 0; i2 < d[2]; ++i2) {
                const uint8_t *a = (const uint8_t *)input1 + i0 * s1[0] + i1 * s1[1] + i2 * s1[2];
                const uint8_t *b = (const uint8_t *)input2 + i0 * s2[0] + i1 * s2[1] + i2 * s2[2];
                if (fast && c1 == 1 && c2 == 1) {
                    sq_run(a, b, output, n3, t1, t2, m, k, -sh, 1, 1);
                } else if (fast && c1 == 1 && c2 == 0) {
                    sq_run(a, b, output, n3, t1, t2, m, k, -sh, 1, 0);
                } else if (fast && c1 == 0 && c2 == 1) {
                    sq_run(a, b, output, n3, t1, t2, m, k, -sh, 0, 1);
                } else {
                    for (int32_t i3 = 0; i3 < n3; ++i3) {
                        const int32_t diff = t1[a[i3 * c1]] - t2[b[i3 * c2]];
                        output[i3] = fast ? sq_fast(diff, m, k, -sh)
                                          : (int8_t)mcu_clamp_i32(mcu_requantize(diff * diff, m, sh) + zp, -128, 127);
                    }
                }
                output += n3;
            }
        }
    }
    return MCU_OK;
}
