/* Comparisons (EQUAL, NOT_EQUAL, GREATER, GREATER_EQUAL, LESS, LESS_EQUAL) of int8 or bool tensors and the
 * logical operators (LOGICAL_AND, LOGICAL_OR, LOGICAL_NOT), bool outputs as one byte 0 / 1, with 4-D
 * broadcasting through per-input strides. TFLite's reference compares each int8 input rescaled by its own
 * scale; the code generator turns that into a byte range (a constant scalar operand) or into ranks of the
 * rescaled values (mcu_compare_params). Runs where each input is contiguous or one repeated byte take four
 * elements per word: the logical operators wherever unaligned words load, the byte comparisons on DSP cores
 * (SSUB8 / SEL). */
#include <string.h>

#include "mcu_broadcast_rows.h"
#include "mcu_engine.h"
#include "mcu_dsp.h"

enum { CMP_RANGE = 0, CMP_EQ = 1, CMP_GT = 2, CMP_AND = 3, CMP_OR = 4 };

#if defined(__ARM_FEATURE_DSP)
#define CMP_BYTE_WORDS 1
#else
#define CMP_BYTE_WORDS 0
#endif

#define CMP_ONES 0x01010101u

#if defined(__ARM_FEATURE_DSP)
/* Per byte: 1 where a's signed byte >= b's, else 0 (SSUB8 sets the GE flags, SEL picks). */
static inline uint32_t cmp_ge_s8x4(uint32_t a, uint32_t b)
{
    uint32_t r;
    __asm__("ssub8  %0, %1, %2\n\t"
            "sel    %0, %3, %4"
            : "=&r"(r) : "r"(a), "r"(b), "r"(CMP_ONES), "r"(0u));
    return r;
}
#endif

/* Four results of one word of each input (mode a constant). */
static inline __attribute__((always_inline)) uint32_t cmp_word(uint32_t wa, uint32_t wb, const int mode, uint32_t lo4,
                                                               uint32_t hi4)
{
#if defined(__ARM_FEATURE_DSP)
    if (mode == CMP_RANGE) {
        return cmp_ge_s8x4(wa, lo4) & cmp_ge_s8x4(hi4, wa);
    }
    if (mode == CMP_EQ) {
        return cmp_ge_s8x4(wa, wb) & cmp_ge_s8x4(wb, wa);
    }
    if (mode == CMP_GT) {
        return cmp_ge_s8x4(wb, wa) ^ CMP_ONES;
    }
#else
    (void)lo4;
    (void)hi4;
#endif
    return mode == CMP_AND ? (wa & wb) : (wa | wb);
}

/* n / 4 words: input 1 contiguous or (ea 0) the repeated byte *a, input 2 likewise. */
static inline __attribute__((always_inline)) void cmp_words(const int8_t *a, const int8_t *b, uint8_t *o, int32_t n,
                                                            const int ea, const int eb, const int mode, int32_t lo,
                                                            int32_t hi, uint32_t inv4)
{
    const uint32_t ra = CMP_ONES * (uint8_t)*a, rb = CMP_ONES * (uint8_t)*b;
    const uint32_t lo4 = CMP_ONES * (uint8_t)lo, hi4 = CMP_ONES * (uint8_t)hi;
    for (const uint8_t *end = o + (n & ~3); o != end; o += 4) {
        uint32_t wa = ra, wb = rb;
        if (ea) {
            wa = mcu_load_u32(a);
            a += 4;
        }
        if (eb) {
            wb = mcu_load_u32(b);
            b += 4;
        }
        const uint32_t v = cmp_word(wa, wb, mode, lo4, hi4) ^ inv4;
        memcpy(o, &v, 4);
    }
}

/* One row: n elements, input 1 stepping c1, input 2 c2 (mode and ranked constants). */
static inline __attribute__((always_inline)) uint8_t *cmp_row(const int8_t *a, const int8_t *b, uint8_t *o, int32_t n,
                                                              int32_t c1, int32_t c2, const int mode, const int ranked,
                                                              const int16_t *ranks, int32_t lo, int32_t hi,
                                                              uint32_t inv)
{
    int32_t i = 0;
    const int words = mode >= CMP_AND ? MCU_UNALIGNED_WORDS : (CMP_BYTE_WORDS && !ranked);
    if (words && (uint32_t)c1 <= 1 && (uint32_t)c2 <= 1 && (c1 | c2) && n >= 4) {
        if (c1 && c2) {
            cmp_words(a, b, o, n, 1, 1, mode, lo, hi, inv * CMP_ONES);
        } else if (c1) {
            cmp_words(a, b, o, n, 1, 0, mode, lo, hi, inv * CMP_ONES);
        } else {
            cmp_words(a, b, o, n, 0, 1, mode, lo, hi, inv * CMP_ONES);
        }
        i = n & ~3;
        a += i * c1;
        b += i * c2;
        o += i;
    }
    for (; i < n; ++i, a += c1, b += c2) {
        int r;
        if (mode == CMP_RANGE) {
            r = *a >= lo && *a <= hi;
        } else if (mode == CMP_EQ) {
            r = ranked ? ranks[(uint8_t)*a] == ranks[256 + (uint8_t)*b] : *a == *b;
        } else if (mode == CMP_GT) {
            r = ranked ? ranks[(uint8_t)*a] > ranks[256 + (uint8_t)*b] : *a > *b;
        } else if (mode == CMP_AND) {
            r = *a & *b;
        } else {
            r = *a | *b;
        }
        *o++ = (uint8_t)((uint32_t)r ^ inv);
    }
    return o;
}

#define CMP_LOOPS(MODE, RANKED) \
    MCU_BROADCAST_ROWS(shape, input1, input2, output, cmp_row, MODE, RANKED, ranks, lo, hi, inv)

mcu_status mcu_compare_s8(const mcu_compare_params *params, const mcu_broadcast *shape, const int8_t *input1,
                          const int8_t *input2, uint8_t *output)
{
    const int16_t *ranks = params->ranks;
    const int32_t lo = params->lo, hi = params->hi;
    const uint32_t inv = (uint32_t)params->invert;
    switch (params->mode) {
    case CMP_RANGE:
        CMP_LOOPS(CMP_RANGE, 0);
        break;
    case CMP_EQ:
        if (ranks) {
            CMP_LOOPS(CMP_EQ, 1);
        } else {
            CMP_LOOPS(CMP_EQ, 0);
        }
        break;
    case CMP_GT:
        if (ranks) {
            CMP_LOOPS(CMP_GT, 1);
        } else {
            CMP_LOOPS(CMP_GT, 0);
        }
        break;
    case CMP_AND:
        CMP_LOOPS(CMP_AND, 0);
        break;
    case CMP_OR:
        CMP_LOOPS(CMP_OR, 0);
        break;
    default:
        return MCU_ERROR_ARGUMENT;
    }
    return MCU_OK;
}
