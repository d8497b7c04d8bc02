/* ADD with TFLite's int8 rescaling: both inputs lifted by 2^left_shift, rescaled to a common scale,
 * summed and rescaled to the output; 4-D broadcasting through per-input strides. With the code
 * generator's table the two input rescalings are two loads (each depends on one int8 value only), and
 * with fast_requant the output one is mcu_requantize_fast (one SMMULR on Cortex-M DSP cores).
 *
 * fast_requant 2: the table holds the whole operation, A[u1] + B[u2] >> MCU_ADD_SUM_SHIFT clamped
 * (u: the input bytes as uint8), checked by the code generator for all 65,536 input pairs. On DSP cores
 * contiguous runs take four elements per word: per element two UXTB, two table loads, an ADD and one
 * SSAT with the shift, packed with BFI and clamped below / above per word (SSUB8 / SEL). */
#include "mcu_broadcast_rows.h"
#include "mcu_engine.h"
#include "mcu_quant.h"
#if defined(__ARM_FEATURE_DSP)
#include "mcu_dsp.h"
#endif

#define MCU_ADD_SUM_SHIFT 20 /* quant.ADD_SUM_SHIFT */

static inline int8_t add_sum(const int32_t *t, int8_t x1, int8_t x2, int32_t lo, int32_t hi)
{
    return (int8_t)mcu_clamp_i32((t[(uint8_t)x1] + t[256 + (uint8_t)x2]) >> MCU_ADD_SUM_SHIFT, lo, hi);
}

#if defined(__ARM_FEATURE_DSP)
/* One output byte from byte EA of word wa and EB of wb into DST. */
#define MCU_ADD_SUM(EA, EB, DST) \
    EA \
    EB \
    "ldr    %[t], [%[ta], %[t], lsl #2]\n\t" \
    "ldr    %[u], [%[tb], %[u], lsl #2]\n\t" \
    "add    %[t], %[t], %[u]\n\t" \
    "ssat   " DST ", #8, %[t], asr #20\n\t"
#define MCU_ADD_SUM_WORD(CLAMP) \
    "1:\n\t" \
    "ldr    %[wa], [%[pa]], #4\n\t" \
    "ldr    %[wb], [%[pb]], #4\n\t" \
    MCU_ADD_SUM("uxtb   %[t], %[wa]\n\t", "uxtb   %[u], %[wb]\n\t", "%[v]") \
    MCU_ADD_SUM("uxtb   %[t], %[wa], ror #8\n\t", "uxtb   %[u], %[wb], ror #8\n\t", "%[t]") \
    "bfi    %[v], %[t], #8, #8\n\t" \
    MCU_ADD_SUM("uxtb   %[t], %[wa], ror #16\n\t", "uxtb   %[u], %[wb], ror #16\n\t", "%[t]") \
    "bfi    %[v], %[t], #16, #8\n\t" \
    MCU_ADD_SUM("lsr    %[t], %[wa], #24\n\t", "lsr    %[u], %[wb], #24\n\t", "%[t]") \
    "bfi    %[v], %[t], #24, #8\n\t" \
    CLAMP \
    "str    %[v], [%[po]], #4\n\t" \
    "cmp    %[po], %[pend]\n\t" \
    "bne    1b\n\t"
#define MCU_ADD_LO "ssub8  %[t], %[v], %[lo]\n\tsel    %[v], %[v], %[lo]\n\t"
#define MCU_ADD_HI "ssub8  %[t], %[v], %[hi]\n\tsel    %[v], %[hi], %[v]\n\t"
#define MCU_ADD_OPERANDS \
    : [pa] "+&r"(a), [pb] "+&r"(b), [po] "+&r"(o), [wa] "=&r"(wa), [wb] "=&r"(wb), [t] "=&r"(t), [u] "=&r"(u), \
      [v] "=&r"(v) \
    : [pend] "r"(end), [ta] "r"(tab), [tb] "r"(tab + 256), [lo] "r"(lo4), [hi] "r"(hi4) \
    : "cc", "memory"

/* n (a multiple of 4, > 0) contiguous elements. */
static void add_sum_run_dsp(const int8_t *a, const int8_t *b, int8_t *o, int32_t n, const int32_t *tab, int32_t lo,
                            int32_t hi)
{
    const int8_t *end = o + n;
    const uint32_t lo4 = 0x01010101u * (uint8_t)lo, hi4 = 0x01010101u * (uint8_t)hi;
    uint32_t wa, wb, t, u, v;
    if (hi < MCU_INT8_MAX) {
        __asm__ volatile(MCU_ADD_SUM_WORD(MCU_ADD_LO MCU_ADD_HI) MCU_ADD_OPERANDS);
    } else if (lo > MCU_INT8_MIN) {
        __asm__ volatile(MCU_ADD_SUM_WORD(MCU_ADD_LO) MCU_ADD_OPERANDS);
    } else {
        __asm__ volatile(MCU_ADD_SUM_WORD("") MCU_ADD_OPERANDS);
    }
}
#endif

static inline int32_t rescale(const mcu_quant *q, int32_t offset, int32_t left_shift, int8_t x)
{
    return mcu_requantize((int32_t)((uint32_t)(offset + x) << left_shift), q->multiplier, q->shift);
}

static inline __attribute__((always_inline)) void add_loops(const mcu_add_params *params,
                                                            const mcu_broadcast *shape, const int8_t *input1,
                                                            const int8_t *input2, int8_t *output, const int mode)
{
    /* parameters in locals: the int8 output stores may alias anything */
    const int32_t *t1 = params->table ? params->table + 128 : 0, *t2 = t1 ? t1 + 256 : 0;
    const int32_t m = params->output.multiplier, sh = params->output.shift, zp = params->output_offset;
    const int32_t lo = params->act_min, hi = params->act_max;
    const int32_t *d = shape->dims, *s1 = shape->stride1, *s2 = shape->stride2;
    const int32_t n3 = d[3], c1 = s1[3], c2 = s2[3];
#if defined(__ARM_FEATURE_DSP)
    int32_t k = 0, rz = 0;
    if (mode >= 2) {
        mcu_requant_consts(zp, -sh, &k, &rz);
    }
#endif
    for (int32_t i0 = 0; i0 < d[0]; ++i0) {
        for (int32_t i1 = 0; i1 < d[1]; ++i1) {
            for (int32_t i2 = 0; i2 < d[2]; ++i2) {
                const int8_t *a = input1 + i0 * s1[0] + i1 * s1[1] + i2 * s1[2];
                const int8_t *b = input2 + i0 * s2[0] + i1 * s2[1] + i2 * s2[2];
                for (int32_t i3 = 0; i3 < n3; ++i3) {
                    const int8_t x1 = *a, x2 = *b;
                    a += c1;
                    b += c2;
                    if (mode == 0) {
                        const int32_t s = rescale(&params->input1, params->input1_offset, params->left_shift, x1) +
                                          rescale(&params->input2, params->input2_offset, params->left_shift, x2);
                        *output++ = (int8_t)mcu_clamp_i32(mcu_requantize(s, m, sh) + zp, lo, hi);
                        continue;
                    }
                    const int32_t s = t1[x1] + t2[x2];
                    if (mode == 1) {
                        *output++ = (int8_t)mcu_clamp_i32(mcu_requantize(s, m, sh) + zp, lo, hi);
                        continue;
                    }
#if defined(__ARM_FEATURE_DSP)
                    *output++ = mcu_out2_dsp(2 * s, m, k, rz, lo, hi, mode - 2);
#else
                    *output++ = (int8_t)mcu_clamp_i32(mcu_requantize_fast(s, m, -sh) + zp, lo, hi);
#endif
                }
            }
        }
    }
}

/* One row of add_sum_loops: n3 elements, input 1 stepping c1, input 2 c2. */
static inline __attribute__((always_inline)) int8_t *add_sum_row(const int8_t *a, const int8_t *b, int8_t *output,
                                                                 int32_t n3, int32_t c1, int32_t c2,
                                                                 const int32_t *t, int32_t lo, int32_t hi)
{
    int32_t i3 = 0;
#if defined(__ARM_FEATURE_DSP)
    if (c1 == 1 && c2 == 1 && n3 >= 4) {
        i3 = n3 & ~3;
        add_sum_run_dsp(a, b, output, i3, t, lo, hi);
        a += i3;
        b += i3;
        output += i3;
    }
#endif
    for (; i3 < n3; ++i3, a += c1, b += c2) {
        *output++ = add_sum(t, *a, *b, lo, hi);
    }
    return output;
}

/* fast_requant 2: the sum table. */
static void add_sum_loops(const mcu_add_params *params, const mcu_broadcast *shape, const int8_t *input1,
                          const int8_t *input2, int8_t *output)
{
    const int32_t *t = params->table, lo = params->act_min, hi = params->act_max;
    MCU_BROADCAST_ROWS(shape, input1, input2, output, add_sum_row, t, lo, hi);
}

mcu_status mcu_add_s8(const mcu_add_params *params, const mcu_broadcast *shape,
                      const int8_t *input1, const int8_t *input2, int8_t *output)
{
    if (params->table != 0 && params->fast_requant == 2) {
        add_sum_loops(params, shape, input1, input2, output);
    } else if (params->table == 0) {
        add_loops(params, shape, input1, input2, output, 0);
    } else if (!params->fast_requant) {
        add_loops(params, shape, input1, input2, output, 1);
    } else {
#if defined(__ARM_FEATURE_DSP)
        const int mode = mcu_clamp_mode(params->act_min, params->act_max);
        if (mode == MCU_CLAMP_SSAT) {
            add_loops(params, shape, input1, input2, output, 2 + MCU_CLAMP_SSAT);
        } else if (mode == MCU_CLAMP_SSAT_LO) {
            add_loops(params, shape, input1, input2, output, 2 + MCU_CLAMP_SSAT_LO);
        } else {
            add_loops(params, shape, input1, input2, output, 2 + MCU_CLAMP_BOTH);
        }
#else
        add_loops(params, shape, input1, input2, output, 2);
#endif
    }
    return MCU_OK;
}
