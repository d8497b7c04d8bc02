/* PRELU, TFLite's int8 reference: x = input - input zero point; x >= 0 gives x * identity multiplier,
 * x < 0 gives x * (alpha - alpha zero point) * alpha multiplier, then the output zero point and the int8
 * clamp. The code generator's table holds the x >= 0 side's output per input value (table[x + 128]); alpha repeats every
 * `period` elements (per channel, per element or one value). With fast_requant (alpha shift in [-31, -1];
 * |x * alpha| < 2^16) the x < 0 side is one SMMLAR requantization on DSP cores. */
#include "mcu_engine.h"
#include "mcu_quant.h"
#if defined(__ARM_FEATURE_DSP)
#include "mcu_dsp.h"
#endif

#if defined(__ARM_FEATURE_DSP)
/* One period of n > 0 elements (the arrays end at in_end, out_end, alpha_end; one index c from -n up to 0)
 * when alpha's zero point is 0 and the output zero point folds into k (mcu_requant_consts): x >= 0 is
 * ADDS, BMI, a table load and the store; x < 0 the alpha load, MUL, SMMLAR, the rounding and SSAT. */
static inline __attribute__((always_inline)) void prelu_period_dsp(const int8_t *in_end, int8_t *out_end,
                                                                   const int8_t *alpha_end, int32_t n,
                                                                   const int8_t *tab, int32_t off2, int32_t m,
                                                                   int32_t k, int32_t right)
{
    int32_t c = -n, v, x;
    __asm__ volatile(
        "1:\n\t"
        "ldrsb  %[v], [%[in], %[c]]\n\t"
        "adds   %[x], %[off2], %[v], lsl #1\n\t"
        "bmi    2f\n\t"
        "ldrsb  %[x], [%[tab], %[v]]\n\t"
        "strb   %[x], [%[out], %[c]]\n\t"
        "adds   %[c], %[c], #1\n\t"
        "bne    1b\n\t"
        "b      3f\n\t"
        "2:\n\t"
        "ldrsb  %[v], [%[al], %[c]]\n\t"
        "mul    %[v], %[x], %[v]\n\t"
        "smmlar %[x], %[v], %[m], %[k]\n\t"
        "add    %[x], %[x], %[v], asr #31\n\t"
        "asr    %[x], %[x], %[r]\n\t"
        "ssat   %[x], #8, %[x]\n\t"
        "strb   %[x], [%[out], %[c]]\n\t"
        "adds   %[c], %[c], #1\n\t"
        "bne    1b\n\t"
        "3:\n\t"
        : [c] "+&r"(c), [v] "=&r"(v), [x] "=&r"(x)
        : [in] "r"(in_end), [out] "r"(out_end), [al] "r"(alpha_end), [tab] "r"(tab), [off2] "r"(off2),
          [m] "r"(m), [k] "r"(k), [r] "r"(right)
        : "cc", "memory");
}
#endif

static inline __attribute__((always_inline)) void prelu_loops(const mcu_prelu_params *params, int32_t size,
                                                             const int8_t *input, int8_t *output, const int fast,
                                                             const int post)
{
    /* parameters in locals: the int8 output stores may alias anything */
    const int8_t *alpha = params->alpha, *table = params->table + 128;
    const int32_t period = params->period, off2 = 2 * params->input_offset, aoff = params->alpha_offset;
    const int32_t m = params->alpha_quant.multiplier, sh = params->alpha_quant.shift, zp = params->output_offset;
#if defined(__ARM_FEATURE_DSP)
    int32_t k = 0, rz = 0;
    if (fast) {
        mcu_requant_consts(zp, -sh, &k, &rz);
    }
#endif
    const int8_t *alpha_end = alpha + period;
#if defined(__ARM_FEATURE_DSP)
    if (fast && !post && aoff == 0) {
        for (int32_t j = 0; j < size; j += period) {
            prelu_period_dsp(input + period, output + period, alpha_end, period, table, off2, m, k, rz);
            input += period;
            output += period;
        }
        return;
    }
#endif
    for (int32_t j = 0; j < size; j += period) {
        /* one index from -period up to 0 for all three arrays */
        const int8_t *in_end = input + period;
        int8_t *out_end = output + period;
        for (int32_t c = -period; c != 0; ++c) {
            const int8_t v = in_end[c];
            const int32_t x2 = 2 * v + off2; /* 2 x */
            if (x2 >= 0) {
                out_end[c] = table[v];
                continue;
            }
            const int32_t p2 = x2 * (alpha_end[c] + aoff);
#if defined(__ARM_FEATURE_DSP)
            if (fast) {
                int32_t y = mcu_smmlar(p2, m, k) + (p2 >> 31);
                y >>= rz;
                if (post) {
                    y += rz >> 8;
                }
                out_end[c] = (int8_t)__ssat(y, 8);
                continue;
            }
#else
            (void)post;
            if (fast) {
                out_end[c] = (int8_t)mcu_clamp_i32(mcu_requantize_fast(p2 / 2, m, -sh) + zp, MCU_INT8_MIN, MCU_INT8_MAX);
                continue;
            }
#endif
            out_end[c] = (int8_t)mcu_clamp_i32(mcu_requantize(p2 / 2, m, sh) + zp, MCU_INT8_MIN, MCU_INT8_MAX);
        }
        input = in_end;
        output = out_end;
    }
}

mcu_status mcu_prelu_s8(const mcu_prelu_params *params, int32_t size, const int8_t *input, int8_t *output)
{
    if (!params->fast_requant) {
        prelu_loops(params, size, input, output, 0, 0);
        return MCU_OK;
    }
#if defined(__ARM_FEATURE_DSP)
    int32_t k, rz;
    mcu_requant_consts(params->output_offset, -params->alpha_quant.shift, &k, &rz);
    if (rz >> 8) {
        prelu_loops(params, size, input, output, 1, 1);
        return MCU_OK;
    }
#endif
    prelu_loops(params, size, input, output, 1, 0);
    return MCU_OK;
}
