/* REDUCE_MAX over the middle axis of [outer, reduce, inner]: TFLite's reference compares the int8 values
 * themselves (input and output share quantization). On DSP cores four values per word (SSUB8 / SEL): four
 * channels' running maxima in one register down a column, or, over the last axis, four neighbours folded
 * at the end. */
#include <string.h>

#include "mcu_engine.h"
#if defined(__ARM_FEATURE_DSP)
#include "mcu_dsp.h"

/* The per-byte maximum of the n words at p, step bytes apart (n >= 1), two per pass. */
static inline uint32_t max_words(const int8_t *p, int32_t n, int32_t step)
{
    uint32_t m = mcu_load_u32(p);
    for (p += step, --n; n >= 2; n -= 2, p += 2 * step) {
        m = mcu_max_s8x4(mcu_max_s8x4(m, mcu_load_u32(p)), mcu_load_u32(p + step));
    }
    return n ? mcu_max_s8x4(m, mcu_load_u32(p)) : m;
}
#endif

mcu_status mcu_reduce_max_s8(int32_t outer, int32_t reduce, int32_t inner, const int8_t *input, int8_t *output)
{
    for (int32_t o = 0; o < outer; ++o, output += inner, input += reduce * inner) {
        int32_t k = 0;
#if defined(__ARM_FEATURE_DSP)
        if (inner == 1 && reduce >= 8) {  /* the row's words, then the word's four bytes, then the tail */
            uint32_t m = max_words(input, reduce / 4, 4);
            m = mcu_max_s8x4(m, m >> 16);
            m = mcu_max_s8x4(m, m >> 8);
            int8_t v = (int8_t)m;
            for (int32_t r = reduce & ~3; r < reduce; ++r) {
                v = input[r] > v ? input[r] : v;
            }
            *output = v;
            continue;
        }
        for (; k + 4 <= inner; k += 4) {  /* four channels down the column */
            const uint32_t m = max_words(input + k, reduce, inner);
            memcpy(output + k, &m, 4);
        }
#endif
        for (; k < inner; ++k) {
            const int8_t *p = input + k;
            int8_t v = *p;
            for (int32_t r = 1; r < reduce; ++r) {
                p += inner;
                v = *p > v ? *p : v;
            }
            output[k] = v;
        }
    }
    return MCU_OK;
}
