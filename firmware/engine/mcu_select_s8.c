/* SELECT / SELECT_V2: output = condition ? x : y per element, the bytes copied whatever the quantization
 * (as TFLite's reference), 4-D broadcasting through per-operand strides. Rows with a contiguous condition and
 * x, y each contiguous or one repeated byte take four elements per word: the condition's 0 / 1 bytes become a
 * byte mask (USUB8 / SEL on DSP cores; a multiply by 255 elsewhere, where unaligned words load). */
#include <string.h>

#include "mcu_engine.h"
#include "mcu_dsp.h"


/* Per byte: x's where the condition byte is 1, y's where it is 0. */
static inline uint32_t select_word(uint32_t c, uint32_t x, uint32_t y)
{
#if defined(__ARM_FEATURE_DSP)
    uint32_t r;
    __asm__("usub8  %0, %1, %2\n\t"
            "sel    %0, %3, %4"
            : "=&r"(r) : "r"(c), "r"(0x01010101u), "r"(x), "r"(y));
    return r;
#else
    return y ^ ((x ^ y) & (c * 0xFFu));
#endif
}

/* n / 4 words: x contiguous or (ex 0) the repeated byte *x, y likewise. */
static inline __attribute__((always_inline)) void select_words(const uint8_t *c, const int8_t *x, const int8_t *y,
                                                               int8_t *o, int32_t n, const int ex, const int ey)
{
    const uint32_t rx = 0x01010101u * (uint8_t)*x, ry = 0x01010101u * (uint8_t)*y;
    for (const int8_t *end = o + (n & ~3); o != end; o += 4, c += 4) {
        uint32_t wx = rx, wy = ry;
        if (ex) {
            wx = mcu_load_u32(x);
            x += 4;
        }
        if (ey) {
            wy = mcu_load_u32(y);
            y += 4;
        }
        const uint32_t v = select_word(mcu_load_u32(c), wx, wy);
        memcpy(o, &v, 4);
    }
}

mcu_status mcu_select_s8(const mcu_select_shape *shape, const uint8_t *condition, const int8_t *x, const int8_t *y,
                         int8_t *output)
{
    const int32_t *d = shape->dims, *sc = shape->stride_c, *sx = shape->stride_x, *sy = shape->stride_y;
    const int32_t n = d[3], cc = sc[3], cx = sx[3], cy = sy[3];
    for (int32_t i0 = 0; i0 < d[0]; ++i0) {
        for (int32_t i1 = 0; i1 < d[1]; ++i1) {
            for (int32_t i2 = 0; i2 < d[2]; ++i2) {
                const uint8_t *c = condition + i0 * sc[0] + i1 * sc[1] + i2 * sc[2];
                const int8_t *px = x + i0 * sx[0] + i1 * sx[1] + i2 * sx[2];
                const int8_t *py = y + i0 * sy[0] + i1 * sy[1] + i2 * sy[2];
                int32_t i = 0;
                if (MCU_UNALIGNED_WORDS && cc == 1 && (uint32_t)cx <= 1 && (uint32_t)cy <= 1 && n >= 4) {
                    if (cx && cy) {
                        select_words(c, px, py, output, n, 1, 1);
                    } else if (cx) {
                        select_words(c, px, py, output, n, 1, 0);
                    } else if (cy) {
                        select_words(c, px, py, output, n, 0, 1);
                    } else {
                        select_words(c, px, py, output, n, 0, 0);
                    }
                    i = n & ~3;
                    c += i;
                    px += i * cx;
                    py += i * cy;
                    output += i;
                }
                for (; i < n; ++i, c += cc, px += cx, py += cy) {
                    *output++ = *c ? *px : *py;
                }
            }
        }
    }
    return MCU_OK;
}
