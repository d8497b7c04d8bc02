/* PRELU, TFLite's int8 reference: x = input - input zero point; x >= 0 gives x * identity multiplier,
 * x < 0 gives x * (alpha - alpha zero point) * alpha multiplier, then the output zero point and the int8
 * clamp. The code generator's table holds the x >= 0 side's output per input byte; alpha repeats every
 * `period` elements (per channel, per element or one value). With fast_requant (alpha shift in [-31, -1];
 * |x * alpha| < 2^16) the x < 0 side is one SMMLAR requantization on DSP cores. */
#include "mcu_engine.h"
#include "mcu_quant.h"
#if defined(__ARM_FEATURE_DSP)
#include "mcu_dsp.h"
#endif

static inline __attribute__((always_inline)) void prelu_loops(const mcu_prelu_params *params, int32_t size,
                                                             const int8_t *input, int8_t *output, const int fast)
{
    /* parameters in locals: the int8 output stores may alias anything */
    const int8_t *alpha = params->alpha, *table = params->table;
    const int32_t period = params->period, off = params->input_offset, aoff = params->alpha_offset;
    const int32_t m = params->alpha_quant.multiplier, sh = params->alpha_quant.shift, zp = params->output_offset;
#if defined(__ARM_FEATURE_DSP)
    int32_t k = 0, rz = 0;
    if (fast) {
        mcu_requant_consts(zp, -sh, &k, &rz);
    }
#endif
    for (int32_t j = 0; j < size; j += period) {
        for (int32_t c = 0; c < period; ++c) {
            const int8_t v = input[c];
            const int32_t x = v + off;
            if (x >= 0) {
                output[c] = table[(uint8_t)v];
                continue;
            }
            const int32_t p = x * (alpha[c] + aoff);
#if defined(__ARM_FEATURE_DSP)
            if (fast) {
                output[c] = mcu_out2_dsp(2 * p, m, k, rz, MCU_INT8_MIN, MCU_INT8_MAX, MCU_CLAMP_SSAT);
                continue;
            }
#else
            if (fast) {
                output[c] = (int8_t)mcu_clamp_i32(mcu_requantize_fast(p, m, -sh) + zp, MCU_INT8_MIN, MCU_INT8_MAX);
                continue;
            }
#endif
            output[c] = (int8_t)mcu_clamp_i32(mcu_requantize(p, m, sh) + zp, MCU_INT8_MIN, MCU_INT8_MAX);
        }
        input += period;
        output += period;
    }
}

mcu_status mcu_prelu_s8(const mcu_prelu_params *params, int32_t size, const int8_t *input, int8_t *output)
{
    if (params->fast_requant) {
        prelu_loops(params, size, input, output, 1);
    } else {
        prelu_loops(params, size, input, output, 0);
    }
    return MCU_OK;
}
