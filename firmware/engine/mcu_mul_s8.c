/* MUL: (x1 - zp1) * (x2 - zp2) requantized to the output, 4-D broadcasting through strides; with
 * fast_requant by mcu_requantize_fast (one SMMULR on Cortex-M DSP cores). */
#include "mcu_broadcast_rows.h"
#include "mcu_engine.h"
#include "mcu_quant.h"
#if defined(__ARM_FEATURE_DSP)
#include "mcu_dsp.h"
#endif

/* One row of mul_loops: n3 elements, input 1 stepping c1, input 2 c2. */
static inline __attribute__((always_inline)) int8_t *mul_row(const int8_t *a, const int8_t *b, int8_t *output,
                                                             int32_t n3, int32_t c1, int32_t c2, int32_t m,
                                                             int32_t sh, int32_t zp, int32_t off1, int32_t off2,
                                                             int32_t lo, int32_t hi, const int fast)
{
    for (int32_t i3 = 0; i3 < n3; ++i3) {
        const int32_t x = (off1 + *a) * (off2 + *b);
        a += c1;
        b += c2;
#if defined(__ARM_FEATURE_DSP)
        if (fast) {
            *output++ = mcu_out_dsp(x, m, -sh, zp, lo, hi, 0);
            continue;
        }
#else
        if (fast) {
            const int32_t out = mcu_requantize_fast(x, m, -sh) + zp;
            *output++ = (int8_t)mcu_clamp_i32(out, lo, hi);
            continue;
        }
#endif
        const int32_t out = mcu_requantize(x, m, sh) + zp;
        *output++ = (int8_t)mcu_clamp_i32(out, lo, hi);
    }
    return output;
}

static inline __attribute__((always_inline)) void mul_loops(const mcu_mul_params *params,
                                                            const mcu_broadcast *shape, const int8_t *input1,
                                                            const int8_t *input2, int8_t *output, const int fast)
{
    /* parameters in locals: the int8 output stores may alias anything */
    const int32_t m = params->output.multiplier, sh = params->output.shift, zp = params->output_offset;
    const int32_t off1 = params->input1_offset, off2 = params->input2_offset;
    const int32_t lo = params->act_min, hi = params->act_max;
    MCU_BROADCAST_ROWS(shape, input1, input2, output, mul_row, m, sh, zp, off1, off2, lo, hi, fast);
}

#if defined(__ARM_FEATURE_DSP)
/* mcu_requant2_dsp of a product p2 = 2 * x when the zero point is folded into k, then SSAT. */
static inline int32_t mul_out(int32_t p2, int32_t m, int32_t k, int32_t right)
{
    return __ssat((mcu_smmlar(p2, m, k) + (p2 >> 31)) >> right, 8);
}

/* v with bits lsb .. lsb + 7 replaced by the low byte of x (BFI). */
#define MCU_BFI8(v, x, lsb) __asm__("bfi    %0, %1, #" #lsb ", #8" : "+r"(v) : "r"(x))

/* n (a multiple of 4) contiguous elements, four per word: both inputs widened with their offsets
 * (SXTAB16), input 1 doubled (SADD16), products by SMULBB / SMULTT, requantized as mcu_requant2_dsp
 * with the zero point folded, packed and clamped per word: below when `low` (act_min above -128; the
 * SSAT clamps at -128 anyway), above too when `both`. */
static inline __attribute__((always_inline)) void mul_run_dsp(const int8_t *a, const int8_t *b, int8_t *o,
                                                              int32_t n, const mcu_mul_params *params,
                                                              int32_t k, int32_t right, const int low,
                                                              const int both)
{
    const uint32_t oa = mcu_pack16x2(params->input1_offset, params->input1_offset);
    const uint32_t ob = mcu_pack16x2(params->input2_offset, params->input2_offset);
    const uint32_t lo4 = 0x01010101u * (uint8_t)params->act_min, hi4 = 0x01010101u * (uint8_t)params->act_max;
    const int32_t m = params->output.multiplier;
    for (const int8_t *end = o + n; o != end; a += 4, b += 4, o += 4) {
        const uint32_t wa = mcu_load_u32(a), wb = mcu_load_u32(b);
        uint32_t x = mcu_sxtab16(oa, wa), y = mcu_sxtab16(ob, wb);
        x = (uint32_t)__sadd16((int16x2_t)x, (int16x2_t)x);
        uint32_t v = (uint32_t)mul_out((int16_t)x * (int16_t)y, m, k, right);
        const int32_t v2 = mul_out(((int32_t)x >> 16) * ((int32_t)y >> 16), m, k, right);
        x = mcu_sxtab16_ror8(oa, wa);
        y = mcu_sxtab16_ror8(ob, wb);
        x = (uint32_t)__sadd16((int16x2_t)x, (int16x2_t)x);
        const int32_t v1 = mul_out((int16_t)x * (int16_t)y, m, k, right);
        const int32_t v3 = mul_out(((int32_t)x >> 16) * ((int32_t)y >> 16), m, k, right);
        MCU_BFI8(v, v1, 8);
        MCU_BFI8(v, v2, 16);
        MCU_BFI8(v, v3, 24);
        if (low || both) {
            v = mcu_max_s8x4(v, lo4);
        }
        if (both) {
            v = mcu_min_s8x4(v, hi4);
        }
        memcpy(o, &v, 4);
    }
}

/* The clamp variants as functions of their own (each gets all the registers). */
#define MUL_RUN_FN(name, low, both)                                                                      \
    static __attribute__((noinline)) void name(const int8_t *a, const int8_t *b, int8_t *o, int32_t n,  \
                                               const mcu_mul_params *params, int32_t k, int32_t right)  \
    {                                                                                                    \
        mul_run_dsp(a, b, o, n, params, k, right, low, both);                                            \
    }
MUL_RUN_FN(mul_run_none, 0, 0)
MUL_RUN_FN(mul_run_low, 1, 0)
MUL_RUN_FN(mul_run_both, 1, 1)
#endif

mcu_status mcu_mul_s8(const mcu_mul_params *params, const mcu_broadcast *shape,
                      const int8_t *input1, const int8_t *input2, int8_t *output)
{
#if defined(__ARM_FEATURE_DSP)
    int32_t k = 0, rz = 0;
    if (params->fast_requant) {
        mcu_requant_consts(params->output_offset, -params->output.shift, &k, &rz);
    }
    const int32_t *d = shape->dims, *s1 = shape->stride1, *s2 = shape->stride2;
    if (params->fast_requant && (rz >> 8) == 0 && s1[3] == 1 && s2[3] == 1 && d[3] >= 4) {
        /* contiguous runs four elements at a time, the rest of each run by mul_loops */
        const int32_t n4 = d[3] & ~3;
        void (*run)(const int8_t *, const int8_t *, int8_t *, int32_t, const mcu_mul_params *, int32_t, int32_t) =
            params->act_max < MCU_INT8_MAX ? mul_run_both : params->act_min > MCU_INT8_MIN ? mul_run_low : mul_run_none;
        for (int32_t i0 = 0; i0 < d[0]; ++i0) {
            for (int32_t i1 = 0; i1 < d[1]; ++i1) {
                for (int32_t i2 = 0; i2 < d[2]; ++i2) {
                    const int32_t ia = i0 * s1[0] + i1 * s1[1] + i2 * s1[2], ib = i0 * s2[0] + i1 * s2[1] + i2 * s2[2];
                    run(input1 + ia, input2 + ib, output, n4, params, k, rz);
                    output += n4;
                    if (n4 != d[3]) {
                        mcu_broadcast one = {{1, 1, 1, d[3] - n4}, {0, 0, 0, 1}, {0, 0, 0, 1}};
                        mul_loops(params, &one, input1 + ia + n4, input2 + ib + n4, output, 1);
                        output += d[3] - n4;
                    }
                }
            }
        }
        return MCU_OK;
    }
#endif
    if (params->fast_requant) {
        mul_loops(params, shape, input1, input2, output, 1);
    } else {
        mul_loops(params, shape, input1, input2, output, 0);
    }
    return MCU_OK;
}
