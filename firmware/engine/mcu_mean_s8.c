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
/* One element of eight channels: LDRD, p advanced by i1, four SXTAB16 into the halfword sums. */
#define MCU_MEAN_ELEM8 \
    "ldrd   %[u], %[v], [%[p]]\n\t" \
    "add    %[p], %[p], %[i1]\n\t" \
    "sxtab16 %[h02], %[h02], %[u]\n\t" \
    "sxtab16 %[h13], %[h13], %[u], ror #8\n\t" \
    "sxtab16 %[j02], %[j02], %[v]\n\t" \
    "sxtab16 %[j13], %[j13], %[v], ror #8\n\t"
/* The elements from p to e (e4: the end of the whole steps of four), per element MCU_MEAN_ELEM8. */
#define MCU_MEAN_ELEMS8 \
    "cmp    %[p], %[e4]\n\t" \
    "beq    2f\n\t" \
    "1:\n\t" \
    MCU_MEAN_ELEM8 MCU_MEAN_ELEM8 MCU_MEAN_ELEM8 MCU_MEAN_ELEM8 \
    "cmp    %[p], %[e4]\n\t" \
    "bne    1b\n\t" \
    "2:\n\t" \
    "cmp    %[p], %[e]\n\t" \
    "beq    4f\n\t" \
    "3:\n\t" \
    MCU_MEAN_ELEM8 \
    "cmp    %[p], %[e]\n\t" \
    "bne    3b\n\t" \
    "4:\n\t"
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

/* One output of a halfword sum (EXTRACT: into t from h), requantized by SMMLAR (mcu_requant2_dsp: 2 * sum +
 * bias2, the output zero point in k, no post-add) and saturated to int8 in DST. */
#define MCU_MEAN_OUT(EXTRACT, DST) \
    EXTRACT \
    "add    %[a], %[b2], %[t], lsl #1\n\t" \
    "smmlar %[t], %[a], %[m], %[k]\n\t" \
    "add    %[t], %[t], %[a], asr #31\n\t" \
    "asr    %[t], %[t], %[r]\n\t" \
    "ssat   " DST ", #8, %[t]\n\t"

/* The four outputs of the halfword sums H02 (channels 0 and 2) and H13 (1 and 3), stored as one word at op
 * (op advances by 4). */
#define MCU_MEAN_OUT4(H02, H13) \
    __asm__ volatile(MCU_MEAN_OUT("sxth   %[t], %[h02]\n\t", "%[x]") \
                     MCU_MEAN_OUT("sxth   %[t], %[h13]\n\t", "%[t]") \
                     "bfi    %[x], %[t], #8, #8\n\t" \
                     MCU_MEAN_OUT("asr    %[t], %[h02], #16\n\t", "%[t]") \
                     "bfi    %[x], %[t], #16, #8\n\t" \
                     MCU_MEAN_OUT("asr    %[t], %[h13], #16\n\t", "%[t]") \
                     "bfi    %[x], %[t], #24, #8\n\t" \
                     "str    %[x], [%[op]], #4\n\t" \
                     : [op] "+r"(op), [t] "=&r"(t), [a] "=&r"(a), [x] "=&r"(x) \
                     : [h02] "r"(H02), [h13] "r"(H13), [b2] "r"(bias2), [m] "r"(m), [k] "r"(k), [r] "r"(right) \
                     : "memory")

/* Every group of four channels of reduce <= 256 elements: eight channels per pass while they last (per
 * element one LDRD, four SXTAB16; four elements per step), then four (four loads, eight SXTAB16 per four
 * elements); the halfword sums in one assembly loop, each four outputs requantized in assembly and
 * stored as one word. */
static inline __attribute__((always_inline)) void mean_small_body(const mcu_mean_params *params, int32_t outer,
                                                                  int32_t reduce, int32_t inner, const int8_t *in,
                                                                  int8_t *out, const int eight)
{
    const int32_t bias2 = params->bias2, m = params->quant.multiplier, k = params->k, right = -params->quant.shift;
    const int32_t inner4 = inner & ~3, i2 = 2 * inner, i3 = 3 * inner, i4 = 4 * inner;
    const int32_t n4 = (reduce & ~3) * inner, n = reduce * inner;
    for (int32_t o = 0; o < outer; ++o, in += n, out += inner) {
        int8_t *op = out;
        const int8_t *g = in, *gend = in + inner4;
        /* LDRD: every element's words aligned (inner % 4 == 0) */
        const int aligned = eight || (((uintptr_t)in & 3) == 0 && inner % 4 == 0);
        for (; (eight || gend - g >= 8) && aligned && g != gend; g += 8) { /* eight channels per pass: LDRD, four SXTAB16 per element */
            const int8_t *p = g, *e4 = g + n4, *e = g + n;
            uint32_t h02 = 0, h13 = 0, j02 = 0, j13 = 0, u, v, t, a, x;
            __asm__ volatile(MCU_MEAN_ELEMS8
                             : [p] "+r"(p), [h02] "+r"(h02), [h13] "+r"(h13), [j02] "+r"(j02), [j13] "+r"(j13),
                               [u] "=&r"(u), [v] "=&r"(v)
                             : [e4] "r"(e4), [e] "r"(e), [i1] "r"(inner)
                             : "cc");
            MCU_MEAN_OUT4(h02, h13);
            MCU_MEAN_OUT4(j02, j13);
        }
        for (; !eight && g != gend; g += 4) {
            const int8_t *p = g, *e4 = g + n4, *e = g + n;
            uint32_t h02 = 0, h13 = 0, w, t, a, x;
            __asm__ volatile("cmp    %[p], %[e4]\n\t"
                             "beq    2f\n\t"
                             "1:\n\t"
                             "ldr    %[w], [%[p]]\n\t"
                             "sxtab16 %[h02], %[h02], %[w]\n\t"
                             "sxtab16 %[h13], %[h13], %[w], ror #8\n\t"
                             "ldr    %[w], [%[p], %[i1]]\n\t"
                             "sxtab16 %[h02], %[h02], %[w]\n\t"
                             "sxtab16 %[h13], %[h13], %[w], ror #8\n\t"
                             "ldr    %[w], [%[p], %[i2]]\n\t"
                             "sxtab16 %[h02], %[h02], %[w]\n\t"
                             "sxtab16 %[h13], %[h13], %[w], ror #8\n\t"
                             "ldr    %[w], [%[p], %[i3]]\n\t"
                             "sxtab16 %[h02], %[h02], %[w]\n\t"
                             "sxtab16 %[h13], %[h13], %[w], ror #8\n\t"
                             "add    %[p], %[p], %[i4]\n\t"
                             "cmp    %[p], %[e4]\n\t"
                             "bne    1b\n\t"
                             "2:\n\t"
                             "cmp    %[p], %[e]\n\t"
                             "beq    4f\n\t"
                             "3:\n\t"
                             "ldr    %[w], [%[p]]\n\t"
                             "sxtab16 %[h02], %[h02], %[w]\n\t"
                             "sxtab16 %[h13], %[h13], %[w], ror #8\n\t"
                             "add    %[p], %[p], %[i1]\n\t"
                             "cmp    %[p], %[e]\n\t"
                             "bne    3b\n\t"
                             "4:\n\t"
                             : [p] "+r"(p), [h02] "+r"(h02), [h13] "+r"(h13), [w] "=&r"(w)
                             : [e4] "r"(e4), [e] "r"(e), [i1] "r"(inner), [i2] "r"(i2), [i3] "r"(i3), [i4] "r"(i4)
                             : "cc");
            MCU_MEAN_OUT4(h02, h13);
        }
    }
}

/* mean_small_body: any inner; with inner a multiple of 8 and the input word-aligned, eight channels per pass
 * only (mean_small8). */
static __attribute__((noinline)) mcu_status mean_small(const mcu_mean_params *params, int32_t outer, int32_t reduce,
                                                       int32_t inner, const int8_t *in, int8_t *out)
{
    mean_small_body(params, outer, reduce, inner, in, out, 0);
    return MCU_OK;
}

static __attribute__((noinline)) mcu_status mean_small8(const mcu_mean_params *params, int32_t outer, int32_t reduce,
                                                        int32_t inner, const int8_t *in, int8_t *out)
{
    mean_small_body(params, outer, reduce, inner, in, out, 1);
    return MCU_OK;
}
#endif

static __attribute__((noinline)) mcu_status mean_any(const mcu_mean_params *params, int32_t outer, int32_t reduce,
                                                     int32_t inner, const int8_t *input, int8_t *output)
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
            const mcu_mean_params consts = {0, 0, {m, -right}, 1, bias2, k};
            mean_small(&consts, outer, reduce, inner, input, output);
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

mcu_status mcu_mean_s8(const mcu_mean_params *params, int32_t outer, int32_t reduce, int32_t inner,
                       const int8_t *input, int8_t *output)
{
#if defined(__ARM_FEATURE_DSP)
    if (params->small && inner % 4 == 0) { /* the constants from the code generator (reduce in 1 .. 256) */
        if (inner % 8 == 0 && ((uintptr_t)input & 3) == 0) {
            return mean_small8(params, outer, reduce, inner, input, output);
        }
        return mean_small(params, outer, reduce, inner, input, output);
    }
#endif
    return mean_any(params, outer, reduce, inner, input, output);
}

/* mcu_mean_plan8_s8 (mcu_engine.h): a pass's sums as in mean_small_body, then its eight outputs (SMLAxT
 * doubles a halfword sum and adds bias2, SMMLAR, the round toward minus infinity's correction, ASR, SSAT,
 * a byte store each), in one assembly block with the plan's constants. */
#if defined(__ARM_FEATURE_DSP)
/* one output of the halfword (INS smlabt: bottom, smlatt: top) of H; e4 = bias2, e = multiplier, i1 = k,
 * p = rw */
#define MCU_MEAN_PLAN_OUT(INS, H)                                                                            \
    INS "  %[u], %[" H "], %[p], %[e4]\n\t"                                                                  \
    "smmlar %[v], %[u], %[e], %[i1]\n\t"                                                                     \
    "add    %[v], %[v], %[u], asr #31\n\t"                                                                   \
    "asr    %[v], %[v], %[p]\n\t"                                                                            \
    "ssat   %[v], #8, %[v]\n\t"                                                                              \
    "strb   %[v], [%[op]], #1\n\t"
#endif

void mcu_mean_plan8_s8(const int8_t *input, int8_t *output, const mcu_mean_plan *plan)
{
#if defined(__ARM_FEATURE_DSP)
    const int32_t inner = plan->inner, n = plan->n;
    int8_t *op = output;
    int32_t o = plan->outer;
    do {
        for (const int8_t *g = input, *gend = input + inner; g != gend; g += 8) {
            const int8_t *p = g;
            uint32_t h02, h13, j02, j13, e4, e, i1, u, v;
            __asm__ volatile("ldr    %[e4], [%[pl], #20]\n\t"
                             "ldr    %[e], [%[pl], #24]\n\t"
                             "ldr    %[i1], [%[pl], #16]\n\t"
                             "add    %[e4], %[e4], %[p]\n\t"
                             "add    %[e], %[e], %[p]\n\t"
                             "movs   %[h02], #0\n\t"
                             "movs   %[h13], #0\n\t"
                             "movs   %[j02], #0\n\t"
                             "movs   %[j13], #0\n\t"
                             MCU_MEAN_ELEMS8
                             "ldrd   %[e4], %[e], [%[pl]]\n\t"
                             "ldrd   %[i1], %[p], [%[pl], #8]\n\t"
                             MCU_MEAN_PLAN_OUT("smlabt", "h02") MCU_MEAN_PLAN_OUT("smlabt", "h13")
                             MCU_MEAN_PLAN_OUT("smlatt", "h02") MCU_MEAN_PLAN_OUT("smlatt", "h13")
                             MCU_MEAN_PLAN_OUT("smlabt", "j02") MCU_MEAN_PLAN_OUT("smlabt", "j13")
                             MCU_MEAN_PLAN_OUT("smlatt", "j02") MCU_MEAN_PLAN_OUT("smlatt", "j13")
                             : [p] "+r"(p), [op] "+r"(op), [h02] "=&r"(h02), [h13] "=&r"(h13), [j02] "=&r"(j02),
                               [j13] "=&r"(j13), [e4] "=&r"(e4), [e] "=&r"(e), [i1] "=&r"(i1), [u] "=&r"(u),
                               [v] "=&r"(v)
                             : [pl] "r"(plan)
                             : "cc", "memory");
        }
        input += n;
    } while (--o);
#else
    mcu_mean_s8(&plan->params, plan->outer, plan->reduce, plan->inner, input, output);
#endif
}
