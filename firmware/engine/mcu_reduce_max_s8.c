/* REDUCE_MAX / REDUCE_MIN over the middle axis of [outer, reduce, inner]: TFLite's reference compares the
 * int8 values themselves (input and output share quantization). On DSP cores four values per word
 * (SSUB8 / SEL): four channels' running maxima (minima) in one register down a column, or, over the last
 * axis, four neighbours folded at the end. */
#include <string.h>

#include "mcu_engine.h"
#if defined(__ARM_FEATURE_DSP)
#include "mcu_dsp.h"

/* The per-byte maximum (min: minimum) of two words. */
static inline __attribute__((always_inline)) uint32_t pick4(uint32_t a, uint32_t b, const int min)
{
    return min ? mcu_min_s8x4(a, b) : mcu_max_s8x4(a, b);
}

/* The per-byte maximum (minimum) of the n words at p, step bytes apart (n >= 1), two per pass. */
static inline __attribute__((always_inline)) uint32_t pick_words(const int8_t *p, int32_t n, int32_t step,
                                                                 const int min)
{
    uint32_t m = mcu_load_u32(p);
    for (p += step, --n; n >= 2; n -= 2, p += 2 * step) {
        m = pick4(pick4(m, mcu_load_u32(p), min), mcu_load_u32(p + step), min);
    }
    return n ? pick4(m, mcu_load_u32(p), min) : m;
}
#endif

static inline __attribute__((always_inline)) int8_t pick(int8_t a, int8_t b, const int min)
{
    return min ? (b < a ? b : a) : (b > a ? b : a);
}

static inline __attribute__((always_inline)) void reduce_loops(int32_t outer, int32_t reduce, int32_t inner,
                                                               const int8_t *input, int8_t *output, const int min)
{
    for (int32_t o = 0; o < outer; ++o, output += inner, input += reduce * inner) {
        int32_t k = 0;
#if defined(__ARM_FEATURE_DSP)
        if (inner == 1 && reduce >= 8) {  /* the row's words, then the word's four bytes, then the tail */
            uint32_t m = pick_words(input, reduce / 4, 4, min);
            m = pick4(m, m >> 16, min);
            m = pick4(m, m >> 8, min);
            int8_t v = (int8_t)m;
            for (int32_t r = reduce & ~3; r < reduce; ++r) {
                v = pick(v, input[r], min);
            }
            *output = v;
            continue;
        }
        for (; k + 4 <= inner; k += 4) {  /* four channels down the column */
            const uint32_t m = pick_words(input + k, reduce, inner, min);
            memcpy(output + k, &m, 4);
        }
#endif
        for (; k < inner; ++k) {
            const int8_t *p = input + k;
            int8_t v = *p;
            for (int32_t r = 1; r < reduce; ++r) {
                p += inner;
                v = pick(v, *p, min);
            }
            output[k] = v;
        }
    }
}

mcu_status mcu_reduce_max_s8(int32_t outer, int32_t reduce, int32_t inner, const int8_t *input, int8_t *output)
{
    reduce_loops(outer, reduce, inner, input, output, 0);
    return MCU_OK;
}

mcu_status mcu_reduce_min_s8(int32_t outer, int32_t reduce, int32_t inner, const int8_t *input, int8_t *output)
{
    reduce_loops(outer, reduce, inner, input, output, 1);
    return MCU_OK;
}
