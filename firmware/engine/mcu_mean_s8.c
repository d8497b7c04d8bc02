/* MEAN over one contiguous block of axes, viewed as [outer, reduce, inner].
 * TFLite's int8 reference: the int32 sum of (x - input_zero_point) requantized by
 * (input_scale / output_scale) / n, with 1/n folded into the multiplier on the host.
 * With the Cortex-M DSP extension four inner channels share a word: two SXTAB16 per element into
 * halfword sums (exact for up to 256 elements, four elements per step), added into 32-bit sums every
 * 256 elements; the requantization by SMMLAR (mcu_requant2_dsp) when the shift and the sums allow. */
#include "mcu_dsp.h"
#include "mcu_engine.h"
#include "mcu_quant.h"

static inline int8_t mean_out(const mcu_mean_params *params, int32_t sum, int32_t reduce)
{
    const int32_t acc = sum - params->input_zero_point * reduce;
    const int32_t y = mcu_requantize(acc, params->quant.multiplier, params->quant.shift);
    return (int8_t)mcu_clamp_i32(y + params->output_zero_point, MCU_INT8_MIN, MCU_INT8_MAX);
}

#if defined(__ARM_FEATURE_DSP)
/* Halfword sums (h02: channels 0 and 2, h13: 1 and 3) of the four channels at p over n <= 256 elements
 * inner bytes apart, four elements per step while they last. */
static inline __attribute__((always_inline)) void mean_sums4(const int8_t *p, int32_t n, int32_t inner,
                                                             uint32_t *h02_out, uint32_t *h13_out)
{
    const int32_t inner2 = 2 * inner, inner3 = 3 * inner, inner4 = 4 * inner;
    uint32_t h02 = 0, h13 = 0;
    for (const int8_t *end4 = p + (n & ~3) * inner; p != end4; p += inner4) {
        const uint32_t w0 = mcu_load_u32(p), w1 = mcu_load_u32(p + inner);
        const uint32_t w2 = mcu_load_u32(p + inner2), w3 = mcu_load_u32(p + inner3);
        h02 = mcu_sxtab16(mcu_sxtab16(mcu_sxtab16(mcu_sxtab16(h02, w0), w1), w2), w3);
        h13 = mcu_sxtab16_ror8(mcu_sxtab16_ror8(mcu_sxtab16_ror8(mcu_sxtab16_ror8(h13, w0), w1), w2), w3);
    }
    for (int32_t r = n & 3; r > 0; --r, p += inner) {
        const uint32_t w = mcu_load_u32(p);
        h02 = mcu_sxtab16(h02, w);
        h13 = mcu_sxtab16_ror8(h13, w);
    }
    *h02_out = h02;
    *h13_out = h13;
}

/* The output of a sum s by mcu_requant2_dsp (the input zero point in bias2 = -2 n zp, the output's in k,
 * no post-add), saturated to int8. */
static inline int32_t mean_out2(int32_t s, int32_t bias2, int32_t m, int32_t k, int32_t right)
{
    const int32_t acc2 = 2 * s + bias2;
    return __ssat((mcu_smmlar(acc2, m, k) + (acc2 >> 31)) >> right, 8);
}

/* Every group of four channels of reduce <= 256 elements: sums in registers, four outputs per word. */
static void mean_small(int32_t outer, int32_t reduce, int32_t inner, const int8_t *in, int8_t *out,
                       int32_t bias2, int32_t m, int32_t k, int32_t right)
{
    const int32_t inner4 = inner & ~3;
    for (int32_t o = 0; o < outer; ++o, in += reduce * inner, out += inner) {
        for (int32_t i = 0; i < inner4; i += 4) {
            uint32_t h02, h13;
            mean_sums4(in + i, reduce, inner, &h02, &h13);
            uint32_t v = (uint8_t)mean_out2((int16_t)h02, bias2, m, k, right);
            v |= (uint32_t)(uint8_t)mean_out2((int16_t)h13, bias2, m, k, right) << 8;
            v |= (uint32_t)(uint8_t)mean_out2((int32_t)h02 >> 16, bias2, m, k, right) << 16;
            v |= (uint32_t)mean_out2((int32_t)h13 >> 16, bias2, m, k, right) << 24;
            memcpy(out + i, &v, 4);
        }
    }
}
#endif

mcu_status mcu_mean_s8(const mcu_mean_params *params, int32_t outer, int32_t reduce, int32_t inner,
                       const int8_t *input, int8_t *output)
{
    if (reduce <= 0) {
        return MCU_ERROR_ARGUMENT;
    }
#if defined(__ARM_FEATURE_DSP)
    /* mcu_requant2_dsp when the shift is in [-31, -1] and |sum - n * zero point| <= 255 n < 2^30: the
     * input zero point folded into one constant, the output's into k */
    const int32_t right = -params->quant.shift, m = params->quant.multiplier;
    const int fast = right >= 1 && right <= 31 && reduce < (1 << 22);
    const int32_t bias2 = fast ? -2 * params->input_zero_point * reduce : 0;
    int32_t k = 0, rz = 0;
    if (fast) {
        mcu_requant_consts(params->output_zero_point, right, &k, &rz);
        if (reduce <= 256 && (rz >> 8) == 0) {
            mean_small(outer, reduce, inner, input, output, bias2, m, k, right);
            if (inner % 4 == 0) {
                return MCU_OK;
            }
        }
    }
    const int small = fast && reduce <= 256 && (rz >> 8) == 0; /* the groups of four done */
#endif
    const int8_t *in = input;
    int8_t *out = output;
    for (int32_t o = 0; o < outer; ++o, in += (int64_t)reduce * inner, out += inner) {
        int32_t i = 0;
#if defined(__ARM_FEATURE_DSP)
        if (small) {
            i = inner & ~3;
        }
        for (; i + 4 <= inner; i += 4) {
            int32_t s[4] = {0, 0, 0, 0};
            for (int32_t r = 0; r < reduce; r += 256) { /* halfword sums of <= 256 elements */
                uint32_t h02, h13;
                mean_sums4(in + (int64_t)r * inner + i, mcu_min_i32(256, reduce - r), inner, &h02, &h13);
                mcu_add_halfword_sums(s, h02, h13);
            }
            for (int32_t j = 0; j < 4; ++j) {
                out[i + j] = fast ? mcu_out2_dsp(2 * s[j] + bias2, m, k, rz, MCU_INT8_MIN, MCU_INT8_MAX, MCU_CLAMP_SSAT)
                                  : mean_out(params, s[j], reduce);
            }
        }
#endif
        for (; i < inner; ++i) {
            int32_t sum = 0;
            for (int32_t r = 0; r < reduce; ++r) {
                sum += in[(int64_t)r * inner + i];
            }
            out[i] = mean_out(params, sum, reduce);
        }
    }
    return MCU_OK;
}
