/* MUL: (x1 - zp1) * (x2 - zp2) requantized to the output, 4-D broadcasting through strides; with
 * fast_requant by mcu_requantize_fast (one SMMULR on Cortex-M DSP cores). */
#include "mcu_engine.h"
#include "mcu_quant.h"
#if defined(__ARM_FEATURE_DSP)
#include "mcu_dsp.h"
#endif

static inline __attribute__((always_inline)) void mul_loops(const mcu_mul_params *params,
                                                            const mcu_broadcast *shape, const int8_t *input1,
                                                            const int8_t *input2, int8_t *output, const int fast)
{
    /* parameters in locals: the int8 output stores may alias anything */
    const int32_t *d = shape->dims, *s1 = shape->stride1, *s2 = shape->stride2;
    const int32_t m = params->output.multiplier, sh = params->output.shift, zp = params->output_offset;
    const int32_t off1 = params->input1_offset, off2 = params->input2_offset;
    const int32_t lo = params->act_min, hi = params->act_max, n3 = d[3], c1 = s1[3], c2 = s2[3];
    for (int32_t i0 = 0; i0 < d[0]; ++i0) {
        for (int32_t i1 = 0; i1 < d[1]; ++i1) {
            for (int32_t i2 = 0; i2 < d[2]; ++i2) {
                const int8_t *a = input1 + i0 * s1[0] + i1 * s1[1] + i2 * s1[2];
                const int8_t *b = input2 + i0 * s2[0] + i1 * s2[1] + i2 * s2[2];
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
            }
        }
    }
}

mcu_status mcu_mul_s8(const mcu_mul_params *params, const mcu_broadcast *shape,
                      const int8_t *input1, const int8_t *input2, int8_t *output)
{
    if (params->fast_requant) {
        mul_loops(params, shape, input1, input2, output, 1);
    } else {
        mul_loops(params, shape, input1, input2, output, 0);
    }
    return MCU_OK;
}
