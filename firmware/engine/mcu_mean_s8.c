/* MEAN over one contiguous block of axes, viewed as [outer, reduce, inner].
 * TFLite's int8 reference: the int32 sum of (x - input_zero_point) requantized by
 * (input_scale / output_scale) / n, with 1/n folded into the multiplier on the host.
 * With the Cortex-M DSP extension four inner channels share a word: two SXTAB16 per element into
 * halfword sums (exact for up to 256 elements), added into 32-bit sums every 256 elements. */
#include "mcu_dsp.h"
#include "mcu_engine.h"
#include "mcu_quant.h"

static inline int8_t mean_out(const mcu_mean_params *params, int32_t sum, int32_t reduce)
{
    const int32_t acc = sum - params->input_zero_point * reduce;
    const int32_t y = mcu_requantize(acc, params->quant.multiplier, params->quant.shift);
    return (int8_t)mcu_clamp_i32(y + params->output_zero_point, MCU_INT8_MIN, MCU_INT8_MAX);
}

mcu_status mcu_mean_s8(const mcu_mean_params *params, int32_t outer, int32_t reduce, int32_t inner,
                       const int8_t *input, int8_t *output)
{
    if (reduce <= 0) {
        return MCU_ERROR_ARGUMENT;
    }
    for (int32_t o = 0; o < outer; ++o) {
        const int8_t *in_outer = input + (int64_t)o * reduce * inner;
        int32_t i = 0;
#if defined(__ARM_FEATURE_DSP)
        for (; i + 4 <= inner; i += 4) {
            int32_t s[4] = {0, 0, 0, 0};
            for (int32_t r = 0; r < reduce; r += 256) {
                const int8_t *p = in_outer + (int64_t)r * inner + i;
                const int8_t *end = p + (int64_t)mcu_min_i32(256, reduce - r) * inner;
                uint32_t h02 = 0, h13 = 0;
                for (; p != end; p += inner) {
                    const uint32_t w = mcu_load_u32(p);
                    h02 = mcu_sxtab16(h02, w);
                    h13 = mcu_sxtab16_ror8(h13, w);
                }
                mcu_add_halfword_sums(s, h02, h13);
            }
            for (int32_t j = 0; j < 4; ++j) {
                output[(int64_t)o * inner + i + j] = mean_out(params, s[j], reduce);
            }
        }
#endif
        for (; i < inner; ++i) {
            int32_t sum = 0;
            for (int32_t r = 0; r < reduce; ++r) {
                sum += in_outer[(int64_t)r * inner + i];
            }
            output[(int64_t)o * inner + i] = mean_out(params, sum, reduce);
        }
    }
    return MCU_OK;
}
