/* MAXIMUM and MINIMUM: TFLite's int8 reference compares the stored bytes (the converter gives both inputs
 * and the output one quantization), with 4-D broadcasting through per-input strides. On DSP cores runs
 * where each input is contiguous or one repeated byte take four elements per word (SSUB8 / SEL). */
#include "mcu_broadcast_rows.h"
#include "mcu_engine.h"
#if defined(__ARM_FEATURE_DSP)
#include "mcu_dsp.h"
#endif

#if defined(__ARM_FEATURE_DSP)
/* n / 4 words: input 1 contiguous or (ea 0) the repeated byte *a, input 2 likewise. */
static inline __attribute__((always_inline)) void minmax_words(const int8_t *a, const int8_t *b, int8_t *o,
                                                              int32_t n, const int min, const int ea, const int eb)
{
    const uint32_t ra = 0x01010101u * (uint8_t)*a, rb = 0x01010101u * (uint8_t)*b;
    for (const int8_t *end = o + (n & ~3); o != end; o += 4) {
        uint32_t wa = ra, wb = rb;
        if (ea) {
            wa = mcu_load_u32(a);
            a += 4;
        }
        if (eb) {
            wb = mcu_load_u32(b);
            b += 4;
        }
        const uint32_t v = min ? mcu_min_s8x4(wa, wb) : mcu_max_s8x4(wa, wb);
        memcpy(o, &v, 4);
    }
}
#endif

/* One row: n3 elements, input 1 stepping c1, input 2 c2. */
static inline __attribute__((always_inline)) int8_t *minmax_row(const int8_t *a, const int8_t *b, int8_t *output,
                                                                int32_t n3, int32_t c1, int32_t c2, const int min)
{
    int32_t i3 = 0;
#if defined(__ARM_FEATURE_DSP)
    if ((uint32_t)c1 <= 1 && (uint32_t)c2 <= 1 && (c1 | c2) && n3 >= 4) {
        if (c1 && c2) {
            minmax_words(a, b, output, n3, min, 1, 1);
        } else if (c1) {
            minmax_words(a, b, output, n3, min, 1, 0);
        } else {
            minmax_words(a, b, output, n3, min, 0, 1);
        }
        i3 = n3 & ~3;
        a += i3 * c1;
        b += i3 * c2;
        output += i3;
    }
#endif
    for (; i3 < n3; ++i3, a += c1, b += c2) {
        *output++ = min ? (*a < *b ? *a : *b) : (*a > *b ? *a : *b);
    }
    return output;
}

static inline __attribute__((always_inline)) void minmax_loops(const mcu_broadcast *shape, const int8_t *input1,
                                                              const int8_t *input2, int8_t *output, const int min)
{
    MCU_BROADCAST_ROWS(shape, input1, input2, output, minmax_row, min);
}

mcu_status mcu_minmax_s8(const mcu_minmax_params *params, const mcu_broadcast *shape, const int8_t *input1,
                         const int8_t *input2, int8_t *output)
{
    if (params->minimum) {
        minmax_loops(shape, input1, input2, output, 1);
    } else {
        minmax_loops(shape, input1, input2, output, 0);
    }
    return MCU_OK;
}
