/* AVERAGE_POOL_2D and MAX_POOL_2D over the window clipped to the input: the average rounds half away
 * from zero over the pixels inside the input, the maximum starts from -128. Channels are innermost
 * (blocks of MCU_POOL_BLOCK contiguous channels per window tap), so the loops run over contiguous bytes.
 *
 * With the Cortex-M DSP extension four channels share a word: the maximum is SSUB8 / SEL per tap, the
 * sum two SXTAB16 per tap into halfword pairs (exact for up to 256 taps, then added into 32-bit sums).
 * The interior of the output (windows inside the input) runs as one block per layer (per row when
 * columns are clipped): window offsets set up once, 2 x 2, 2 x 1 / 1 x 2 windows and 8-channel pixels
 * (two words) without inner loops, a row of stride-1 windows as one run of words; the clipped windows
 * at the borders and windows of whole input rows (global pooling) one pixel at a time, four taps per
 * step. Output rows are written in order (the output may overlap input rows no longer read). */
#include "mcu_dsp.h"
#include "mcu_engine.h"
#include "mcu_quant.h"

#if !defined(__ARM_FEATURE_DSP)
#define MCU_POOL_BLOCK 32

static mcu_status pool_s8(const mcu_pool_params *params, const mcu_dims *input_dims, const int8_t *input,
                          const mcu_dims *output_dims, int8_t *output, int is_max)
{
    const int32_t in_h = input_dims->h, in_w = input_dims->w, c = input_dims->c;
    if (output_dims->c != c) {
        return MCU_ERROR_ARGUMENT;
    }
    for (int32_t b = 0; b < input_dims->n; ++b) {
        const int8_t *in_batch = input + (int64_t)b * in_h * in_w * c;
        for (int32_t oy = 0; oy < output_dims->h; ++oy) {
            const int32_t iy0 = oy * params->stride.h - params->padding.h;
            const int32_t fy_lo = mcu_max_i32(0, -iy0);
            const int32_t fy_hi = mcu_min_i32(params->filter.h, in_h - iy0);
            for (int32_t ox = 0; ox < output_dims->w; ++ox) {
                const int32_t ix0 = ox * params->stride.w - params->padding.w;
                const int32_t fx_lo = mcu_max_i32(0, -ix0);
                const int32_t fx_hi = mcu_min_i32(params->filter.w, in_w - ix0);
                const int32_t count = (fy_hi - fy_lo) * (fx_hi - fx_lo);
                if (count <= 0 && !is_max) {
                    return MCU_ERROR_ARGUMENT;
                }
                for (int32_t c0 = 0; c0 < c; c0 += MCU_POOL_BLOCK) {
                    const int32_t n = mcu_min_i32(MCU_POOL_BLOCK, c - c0);
                    int32_t acc[MCU_POOL_BLOCK];
                    for (int32_t j = 0; j < n; ++j) {
                        acc[j] = is_max ? MCU_INT8_MIN : 0;
                    }
                    for (int32_t fy = fy_lo; fy < fy_hi; ++fy) {
                        for (int32_t fx = fx_lo; fx < fx_hi; ++fx) {
                            const int8_t *ip = in_batch + ((int64_t)(iy0 + fy) * in_w + ix0 + fx) * c + c0;
                            if (is_max) {
                                for (int32_t j = 0; j < n; ++j) {
                                    acc[j] = mcu_max_i32(acc[j], ip[j]);
                                }
                            } else {
                                for (int32_t j = 0; j < n; ++j) {
                                    acc[j] += ip[j];
                                }
                            }
                        }
                    }
                    for (int32_t j = 0; j < n; ++j) {
                        int32_t v = acc[j];
                        if (!is_max) {
                            v = v > 0 ? (v + count / 2) / count : (v - count / 2) / count;
                        }
                        *output++ = (int8_t)mcu_clamp_i32(v, params->act_min, params->act_max);
                    }
                }
            }
        }
    }
    return MCU_OK;
}
#endif

#if defined(__ARM_FEATURE_DSP)
#define MCU_POOL_TAPS 64 /* interior windows up to this many taps run from a table of tap offsets */

/* The average of a sum over count taps, rounded half away from zero (TFLite's integer division). */
static inline int32_t pool_average(int32_t s, int32_t count)
{
    const int32_t half = count / 2;
    return (s + (s > 0 ? half : -half)) / count;
}

/* The k (1 .. 4) channels at q in the low bytes of a word (no read beyond them). */
static inline uint32_t load_channels(const int8_t *q, int32_t k)
{
    if (k == 4) {
        return mcu_load_u32(q);
    }
    uint32_t w = 0;
    for (int32_t i = 0; i < k; ++i) {
        w |= (uint32_t)(uint8_t)q[i] << (8 * i);
    }
    return w;
}

/* The four averages packed, from the halfword sums and the 32-bit ones. */
static inline uint32_t average4(uint32_t h02, uint32_t h13, const int32_t *s, int32_t count)
{
    const int32_t s0 = s[0] + (int16_t)h02, s1 = s[1] + (int16_t)h13;
    const int32_t s2 = s[2] + ((int32_t)h02 >> 16), s3 = s[3] + ((int32_t)h13 >> 16);
    return (uint8_t)pool_average(s0, count) | (uint32_t)(uint8_t)pool_average(s1, count) << 8 |
           (uint32_t)(uint8_t)pool_average(s2, count) << 16 | (uint32_t)pool_average(s3, count) << 24;
}

/* Per halfword of t = s + 2^(k-1) - 1 (s a sum over 2^k taps, 1 <= k <= 6; the sums start from
 * 2^(k-1) - 1): (t + (t > 0)) >> k, the average rounded half away from zero (pool_average): for s >= 0
 * it is (s + 2^(k-1)) >> k; for s < 0, t > 0 only when s > 1 - 2^(k-1), where both round to 0 or the
 * added one does not reach a multiple of 2^k. USAT16 to [0, 1] gives (t > 0); the low byte of each
 * average is left at bit 0 / 16. */
static inline __attribute__((always_inline)) uint32_t average2_pow2(uint32_t t, int32_t k)
{
    uint32_t pos;
    __asm__("usat16 %0, #1, %1" : "=r"(pos) : "r"(t));
    return (uint32_t)__sadd16((int16x2_t)t, (int16x2_t)pos) >> k;
}

/* The four averages of the halfword sums h02 (channels 0, 2) and h13 (1, 3) over 2^k taps (average2_pow2)
 * as one word. */
static inline __attribute__((always_inline)) uint32_t average4_pow2(uint32_t h02, uint32_t h13, int32_t k)
{
    return (average2_pow2(h02, k) & 0x00FF00FFu) | (average2_pow2(h13, k) & 0x00FF00FFu) << 8;
}

/* The interior of a pool: rows x pixels output pixels whose windows all lie inside the input and share
 * one table of tap offsets (off[0 .. n-1] from the window start, 1 <= n <= MCU_POOL_TAPS); a pixel's
 * window is step bytes after the previous one's, a row's first window in_row bytes after the previous
 * row's, its first output out_row bytes after. With stride 1 along the width (step = c) a row's pixels
 * are one pixel of pixels * c channels. */
typedef mcu_pool_block pool_block; /* mcu_engine.h */

enum { POOL_MAX2, POOL_MAX4, POOL_MAXN, POOL_AVG4, POOL_AVGN };

/* The pooled word of the four channels at q. */
static inline __attribute__((always_inline)) uint32_t pool_word(const int8_t *q, const int32_t *off, int32_t n,
                                                                int32_t o1, int32_t o2, int32_t o3, int32_t k,
                                                                uint32_t start2, const int kind)
{
    if (kind == POOL_MAX2) {
        return mcu_max_s8x4(mcu_load_u32(q), mcu_load_u32(q + o1));
    }
    if (kind == POOL_MAX4) {
        return mcu_max_s8x4(mcu_max_s8x4(mcu_load_u32(q), mcu_load_u32(q + o1)),
                            mcu_max_s8x4(mcu_load_u32(q + o2), mcu_load_u32(q + o3)));
    }
    if (kind == POOL_MAXN) {
        uint32_t v = 0x80808080u;
        for (int32_t t = 0; t < n; ++t) {
            v = mcu_max_s8x4(v, mcu_load_u32(q + off[t]));
        }
        return v;
    }
    uint32_t h02, h13;
    if (kind == POOL_AVG4) {
        const uint32_t w0 = mcu_load_u32(q), w1 = mcu_load_u32(q + o1);
        const uint32_t w2 = mcu_load_u32(q + o2), w3 = mcu_load_u32(q + o3);
        const uint32_t one2 = 0x00010001u; /* sums from 2^(k-1) - 1 = 1 */
        h02 = mcu_sxtab16(mcu_sxtab16(mcu_sxtab16(mcu_sxtab16(one2, w0), w1), w2), w3);
        h13 = mcu_sxtab16_ror8(mcu_sxtab16_ror8(mcu_sxtab16_ror8(mcu_sxtab16_ror8(one2, w0), w1), w2), w3);
        return average4_pow2(h02, h13, 2);
    }
    h02 = start2, h13 = start2;
    for (int32_t t = 0; t < n; ++t) {
        const uint32_t w = mcu_load_u32(q + off[t]);
        h02 = mcu_sxtab16(h02, w);
        h13 = mcu_sxtab16_ror8(h13, w);
    }
    if (n >= 2 && (n & (n - 1)) == 0) { /* n = 2^k: the sums started from 2^(k-1) - 1 */
        return average4_pow2(h02, h13, k);
    }
    const int32_t zero[4] = {0, 0, 0, 0};
    return average4(h02, h13, zero, n);
}

/* The last part (1 .. 3) channels of a pixel at q, clamped, stored at o. */
static int8_t *pool_tail(const int8_t *q, const pool_block *b, int32_t part, int is_max, int8_t *o)
{
    uint32_t v = 0x80808080u, h02 = 0, h13 = 0;
    for (int32_t t = 0; t < b->n; ++t) {
        const uint32_t w = load_channels(q + b->off[t], part);
        v = mcu_max_s8x4(v, w);
        h02 = mcu_sxtab16(h02, w);
        h13 = mcu_sxtab16_ror8(h13, w);
    }
    if (!is_max) {
        const int32_t zero[4] = {0, 0, 0, 0};
        v = average4(h02, h13, zero, b->n);
    }
    for (int32_t j = 0; j < part; ++j, v >>= 8) {
        *o++ = (int8_t)mcu_clamp_i32((int8_t)v, b->lo, b->hi);
    }
    return o;
}

static inline __attribute__((always_inline)) void pool_block_run(const int8_t *p, const pool_block *b, int8_t *out,
                                                                 const int kind, const int clamp)
{
    const int32_t *off = b->off;
    const int32_t n = b->n, c = b->c, c4 = c & ~3, rows = b->rows, pixels = b->pixels;
    const int32_t skip = b->step - c4, in_row = b->in_row, out_row = b->out_row;
    const int32_t o1 = b->o1, o2 = b->o2, o3 = b->o3;
    const int32_t k = 31 - __builtin_clz((uint32_t)n);
    /* the start of the halfword sums: 2^(k-1) - 1 for n = 2^k (average2_pow2), else 0 */
    const uint32_t start2 = n >= 2 && (n & (n - 1)) == 0 ? 0x00010001u * ((1u << (k - 1)) - 1) : 0;
    const uint32_t lo4 = 0x01010101u * (uint8_t)b->lo, hi4 = 0x01010101u * (uint8_t)b->hi;
    if (c == 8 && !clamp && kind != POOL_MAXN && kind != POOL_AVGN) { /* two words per pixel, no loop */
        const int32_t step = b->step;
        for (int32_t y = 0; y < rows; ++y, p += in_row, out += out_row) {
            const int8_t *q = p;
            int8_t *o = out;
            for (int32_t i = pixels; i > 0; --i, q += step, o += 8) {
                const uint32_t v0 = pool_word(q, off, n, o1, o2, o3, k, start2, kind);
                const uint32_t v1 = pool_word(q + 4, off, n, o1, o2, o3, k, start2, kind);
                memcpy(o, &v0, 4);
                memcpy(o + 4, &v1, 4);
            }
        }
        return;
    }
    for (int32_t y = 0; y < rows; ++y, p += in_row, out += out_row) {
        const int8_t *q = p;
        int8_t *o = out;
        for (int32_t i = 0; i < pixels; ++i, q += skip) {
            if (kind == POOL_MAX2) { /* two words per step */
                for (const int8_t *end2 = q + (c4 & ~7); q != end2; q += 8, o += 8) {
                    uint32_t v0 = pool_word(q, off, n, o1, o2, o3, k, start2, kind);
                    uint32_t v1 = pool_word(q + 4, off, n, o1, o2, o3, k, start2, kind);
                    if (clamp) {
                        v0 = mcu_min_s8x4(mcu_max_s8x4(v0, lo4), hi4);
                        v1 = mcu_min_s8x4(mcu_max_s8x4(v1, lo4), hi4);
                    }
                    memcpy(o, &v0, 4);
                    memcpy(o + 4, &v1, 4);
                }
            }
            for (const int8_t *end = q + (c4 & (kind == POOL_MAX2 ? 4 : ~3)); q != end;
                 q += 4, o += 4) {
                uint32_t v = pool_word(q, off, n, o1, o2, o3, k, start2, kind);
                if (clamp) {
                    v = mcu_min_s8x4(mcu_max_s8x4(v, lo4), hi4);
                }
                memcpy(o, &v, 4);
            }
            if (c4 != c) { /* the last channels of the pixel */
                o = pool_tail(q, b, c - c4, kind <= POOL_MAXN, o);
            }
        }
    }
}

#define POOL_BLOCK_FN(name, kind)                                                                        \
    void name(const int8_t *p, const pool_block *b, int8_t *out)                                         \
    {                                                                                                    \
        if (b->lo > MCU_INT8_MIN || b->hi < MCU_INT8_MAX) {                                              \
            pool_block_run(p, b, out, kind, 1);                                                          \
        } else {                                                                                         \
            pool_block_run(p, b, out, kind, 0);                                                          \
        }                                                                                                \
    }
/* (mcu_engine.h: called from pool_dsp, pool_inside and mcu_pool_block_s8) */
POOL_BLOCK_FN(mcu_pool_block_max2_s8, POOL_MAX2)
POOL_BLOCK_FN(mcu_pool_block_max4_s8, POOL_MAX4)
POOL_BLOCK_FN(mcu_pool_block_avg4_s8, POOL_AVG4)

/* Windows of other sizes: the clamp costs little beside their taps */
static void pool_block_maxn(const int8_t *p, const pool_block *b, int8_t *out)
{
    pool_block_run(p, b, out, POOL_MAXN, 1);
}

static void pool_block_avgn(const int8_t *p, const pool_block *b, int8_t *out)
{
    pool_block_run(p, b, out, POOL_AVGN, 1);
}

/* Maximum (is_max) or halfword sums of k channels over the taps q, q + c, ... before qend (four taps per
 * step while they last when k = 4). */
static inline __attribute__((always_inline)) void large_taps(const int8_t *q, const int8_t *qend, int32_t c,
                                                             int32_t k, const int is_max, uint32_t *v,
                                                             uint32_t *h02_out, uint32_t *h13_out)
{
    uint32_t m = *v, h02 = 0, h13 = 0;
    if (k == 4) {
        const int32_t c2 = 2 * c, c3 = 3 * c, c4 = 4 * c;
        for (const int8_t *end4 = qend - (((qend - q) / c) & 3) * c; q != end4; q += c4) {
            const uint32_t w0 = mcu_load_u32(q), w1 = mcu_load_u32(q + c);
            const uint32_t w2 = mcu_load_u32(q + c2), w3 = mcu_load_u32(q + c3);
            if (is_max) {
                m = mcu_max_s8x4(mcu_max_s8x4(m, mcu_max_s8x4(w0, w1)), mcu_max_s8x4(w2, w3));
            } else {
                h02 = mcu_sxtab16(mcu_sxtab16(mcu_sxtab16(mcu_sxtab16(h02, w0), w1), w2), w3);
                h13 = mcu_sxtab16_ror8(mcu_sxtab16_ror8(mcu_sxtab16_ror8(mcu_sxtab16_ror8(h13, w0), w1), w2), w3);
            }
        }
    }
    for (; q != qend; q += c) {
        const uint32_t w = k == 4 ? mcu_load_u32(q) : load_channels(q, k);
        if (is_max) {
            m = mcu_max_s8x4(m, w);
        } else {
            h02 = mcu_sxtab16(h02, w);
            h13 = mcu_sxtab16_ror8(h13, w);
        }
    }
    *v = m;
    *h02_out = h02;
    *h13_out = h13;
}

/* One output pixel of any window (nh x nw taps from win, clipped to the input; whole input rows are
 * contiguous, so then one row of nh * nw taps), halfword sums over at most 256 taps at a time. */
static inline __attribute__((always_inline)) int8_t *pool_pixel_run(const int8_t *win, int32_t nh, int32_t nw,
                                                                    int32_t in_w, int32_t c, uint32_t lo4,
                                                                    uint32_t hi4, const int is_max, int8_t *out)
{
    const int32_t row = in_w * c, count = nh * nw;
    const int32_t rows = nw == in_w ? 1 : nh, taps = nw == in_w ? count : nw;
    for (int32_t j = 0; j < c; j += 4) {
        const int8_t *p = win + j;
        const int32_t k = mcu_min_i32(4, c - j);
        uint32_t v = 0x80808080u, h02, h13;
        if (k == 4 && rows == 1 && taps <= 256) { /* one run of taps: the sums stay in registers */
            large_taps(p, p + taps * c, c, 4, is_max, &v, &h02, &h13);
            if (!is_max) {
                const int32_t zero[4] = {0, 0, 0, 0};
                v = average4(h02, h13, zero, count);
            }
        } else {
            int32_t s[4] = {0, 0, 0, 0};
            for (int32_t y = 0; y < rows; ++y, p += row) {
                for (int32_t x = 0; x < taps; x += 256) { /* halfword sums of <= 256 taps */
                    const int8_t *q = p + x * c, *qend = q + mcu_min_i32(256, taps - x) * c;
                    if (k == 4) {
                        large_taps(q, qend, c, 4, is_max, &v, &h02, &h13);
                    } else {
                        large_taps(q, qend, c, k, is_max, &v, &h02, &h13);
                    }
                    if (!is_max) {
                        mcu_add_halfword_sums(s, h02, h13);
                    }
                }
            }
            if (!is_max) {
                v = average4(0, 0, s, count);
            }
        }
        v = mcu_min_s8x4(mcu_max_s8x4(v, lo4), hi4);
        if (k == 4) {
            memcpy(out, &v, 4);
            out += 4;
        } else {
            for (int32_t i = 0; i < k; ++i, v >>= 8) {
                *out++ = (int8_t)v;
            }
        }
    }
    return out;
}

static int8_t *pool_pixel_max(const int8_t *win, int32_t nh, int32_t nw, int32_t in_w, int32_t c, uint32_t lo4,
                              uint32_t hi4, int8_t *out)
{
    return pool_pixel_run(win, nh, nw, in_w, c, lo4, hi4, 1, out);
}

static int8_t *pool_pixel_avg(const int8_t *win, int32_t nh, int32_t nw, int32_t in_w, int32_t c, uint32_t lo4,
                              uint32_t hi4, int8_t *out)
{
    return pool_pixel_run(win, nh, nw, in_w, c, lo4, hi4, 0, out);
}

/* A global pool (the window is the whole input: taps <= 256 pixels of c channels, c a multiple of 4) into
 * one output pixel: eight channels per pass while they last with the input word-aligned (per tap one
 * LDRD and two SSUB8 / SEL or four SXTAB16, two taps per step), then four (large_taps). */
static inline __attribute__((always_inline)) void pool_global(const int8_t *in, int32_t taps, int32_t c,
                                                              uint32_t lo4, uint32_t hi4, int8_t *out,
                                                              const int is_max)
{
    const int8_t *g = in, *gend = in + c;
    const int32_t n = taps * c, n2 = (taps & ~1) * c;
    const int32_t zero[4] = {0, 0, 0, 0};
    if (((uintptr_t)in & 3) == 0) {
        for (; gend - g >= 8; g += 8, out += 8) {
            const int8_t *p = g, *e2 = g + n2, *e = g + n;
            uint32_t a0, a1, a2 = 0, a3 = 0, u, v, t;
            if (is_max) {
                a0 = a1 = 0x80808080u;
#define MCU_POOL_GMAX \
    "ldrd   %[u], %[v], [%[p]]\n\t" \
    "add    %[p], %[p], %[c]\n\t" \
    "ssub8  %[t], %[a0], %[u]\n\t" \
    "sel    %[a0], %[a0], %[u]\n\t" \
    "ssub8  %[t], %[a1], %[v]\n\t" \
    "sel    %[a1], %[a1], %[v]\n\t"
                __asm__ volatile("cmp    %[p], %[e2]\n\t"
                                 "beq    2f\n\t"
                                 "1:\n\t" MCU_POOL_GMAX MCU_POOL_GMAX
                                 "cmp    %[p], %[e2]\n\t"
                                 "bne    1b\n\t"
                                 "2:\n\t"
                                 "cmp    %[p], %[e]\n\t"
                                 "beq    3f\n\t" MCU_POOL_GMAX
                                 "3:\n\t"
                                 : [p] "+r"(p), [a0] "+r"(a0), [a1] "+r"(a1), [u] "=&r"(u), [v] "=&r"(v), [t] "=&r"(t)
                                 : [e2] "r"(e2), [e] "r"(e), [c] "r"(c)
                                 : "cc");
#undef MCU_POOL_GMAX
            } else {
                a0 = a1 = 0;
#define MCU_POOL_GSUM \
    "ldrd   %[u], %[v], [%[p]]\n\t" \
    "add    %[p], %[p], %[c]\n\t" \
    "sxtab16 %[a0], %[a0], %[u]\n\t" \
    "sxtab16 %[a1], %[a1], %[u], ror #8\n\t" \
    "sxtab16 %[a2], %[a2], %[v]\n\t" \
    "sxtab16 %[a3], %[a3], %[v], ror #8\n\t"
                __asm__ volatile("cmp    %[p], %[e2]\n\t"
                                 "beq    2f\n\t"
                                 "1:\n\t" MCU_POOL_GSUM MCU_POOL_GSUM
                                 "cmp    %[p], %[e2]\n\t"
                                 "bne    1b\n\t"
                                 "2:\n\t"
                                 "cmp    %[p], %[e]\n\t"
                                 "beq    3f\n\t" MCU_POOL_GSUM
                                 "3:\n\t"
                                 : [p] "+r"(p), [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3),
                                   [u] "=&r"(u), [v] "=&r"(v)
                                 : [e2] "r"(e2), [e] "r"(e), [c] "r"(c)
                                 : "cc");
#undef MCU_POOL_GSUM
                a0 = average4(a0, a1, zero, taps);
                a1 = average4(a2, a3, zero, taps);
            }
            (void)t;
            a0 = mcu_min_s8x4(mcu_max_s8x4(a0, lo4), hi4);
            a1 = mcu_min_s8x4(mcu_max_s8x4(a1, lo4), hi4);
            memcpy(out, &a0, 4);
            memcpy(out + 4, &a1, 4);
        }
    }
    for (; g != gend; g += 4, out += 4) {
        uint32_t v = 0x80808080u, h02, h13;
        large_taps(g, g + n, c, 4, is_max, &v, &h02, &h13);
        if (!is_max) {
            v = average4(h02, h13, zero, taps);
        }
        v = mcu_min_s8x4(mcu_max_s8x4(v, lo4), hi4);
        memcpy(out, &v, 4);
    }
}

static __attribute__((noinline)) void pool_global_max(const int8_t *in, int32_t taps, int32_t c, uint32_t lo4,
                                                      uint32_t hi4, int8_t *out)
{
    pool_global(in, taps, c, lo4, hi4, out, 1);
}

static __attribute__((noinline)) void pool_global_avg(const int8_t *in, int32_t taps, int32_t c, uint32_t lo4,
                                                      uint32_t hi4, int8_t *out)
{
    pool_global(in, taps, c, lo4, hi4, out, 0);
}

/* The first output index whose window starts at or after the input's start (ceil(pad / stride)), and
 * the last whose window ends inside the input (-1: none). */
static inline int32_t pool_first_inside(int32_t pad, int32_t stride) { return (pad + stride - 1) / stride; }
static inline int32_t pool_last_inside(int32_t in, int32_t f, int32_t pad, int32_t stride, int32_t out)
{
    return in - f + pad >= 0 ? mcu_min_i32(out - 1, (in - f + pad) / stride) : -1;
}

/* Output rows in order (the output may overlap the input rows that later output rows no longer read):
 * the interior (windows inside the input, up to MCU_POOL_TAPS taps, not whole input rows) by the block
 * kernels, all its rows in one call when no column of them is clipped, else one call per row; every
 * other output pixel (clipped windows at the borders, larger windows) on its own by pool_pixel. Inlined
 * into each entry point, so a firmware links only the kernels of the pools it runs. */
static inline __attribute__((always_inline)) mcu_status pool_dsp(const mcu_pool_params *params,
                                                                  const mcu_dims *input_dims, const int8_t *input,
                                                                  const mcu_dims *output_dims, int8_t *output,
                                                                  const int is_max)
{
    const int32_t in_h = input_dims->h, in_w = input_dims->w, c = input_dims->c, row = in_w * c;
    const int32_t sh = params->stride.h, sw = params->stride.w, ph = params->padding.h, pw = params->padding.w;
    const int32_t fh = params->filter.h, fw = params->filter.w, out_h = output_dims->h, out_w = output_dims->w;
    const int32_t lo = params->act_min, hi = params->act_max;
    const uint32_t lo4 = 0x01010101u * (uint8_t)lo, hi4 = 0x01010101u * (uint8_t)hi;
    if (output_dims->c != c) {
        return MCU_ERROR_ARGUMENT;
    }
    const int32_t oy_lo = pool_first_inside(ph, sh), oy_hi = pool_last_inside(in_h, fh, ph, sh, out_h);
    const int32_t ox_lo = pool_first_inside(pw, sw), ox_hi = pool_last_inside(in_w, fw, pw, sw, out_w);
    int32_t off[MCU_POOL_TAPS];
    pool_block blk = {off, fh * fw, c, sw * c, ox_hi - ox_lo + 1, oy_hi - oy_lo + 1, sh * row, out_w * c, lo, hi, 0, 0, 0};
    void (*run)(const int8_t *, const pool_block *, int8_t *) = NULL;
    if (oy_lo <= oy_hi && ox_lo <= ox_hi && blk.n <= MCU_POOL_TAPS && fw < in_w) {
        if (ox_lo > 0 || ox_hi < out_w - 1) { /* clipped columns: one call per row, in order */
            blk.rows = 1;
        }
        if (sw == 1) { /* a row's windows one after the other: one pixel of all their channels */
            blk.c *= blk.pixels;
            blk.pixels = 1;
        }
        const int square = fh == 2 && fw == 2;
        if (square) {
            blk.o1 = c, blk.o2 = row, blk.o3 = row + c;
        } else if (blk.n == 2) { /* 1 x 2 or 2 x 1 */
            blk.o1 = fw == 2 ? c : row;
        }
        if (!(square || (is_max && blk.n == 2)) || blk.c % 4) { /* the table (the last channels of a pixel read it too) */
            int32_t *o = off;
            for (int32_t y = 0; y < fh; ++y) {
                for (int32_t x = 0; x < fw; ++x) {
                    *o++ = y * row + x * c;
                }
            }
        }
        run = is_max ? (blk.n == 2 ? mcu_pool_block_max2_s8 : square ? mcu_pool_block_max4_s8 : pool_block_maxn)
                     : (square ? mcu_pool_block_avg4_s8 : pool_block_avgn);
    }
    for (int32_t b = 0; b < input_dims->n; ++b) {
        const int8_t *in_batch = input + (int64_t)b * in_h * row;
        int8_t *out = output + (int64_t)b * out_h * out_w * c;
        for (int32_t oy = 0; oy < out_h; ++oy) {
            const int32_t iy0 = oy * sh - ph;
            if (run && oy == oy_lo && blk.rows > 1) { /* the interior rows at once: no clipped windows in them */
                run(in_batch + (iy0 * in_w - pw) * c, &blk, out);
                out += blk.rows * out_w * c;
                oy = oy_hi;
                continue;
            }
            const int32_t fy_lo = mcu_max_i32(0, -iy0);
            const int32_t nh = mcu_max_i32(0, mcu_min_i32(fh, in_h - iy0) - fy_lo);
            for (int32_t ox = 0; ox < out_w; ++ox) {
                if (run && ox == ox_lo && oy >= oy_lo && oy <= oy_hi) { /* the row's unclipped windows */
                    run(in_batch + (iy0 * in_w + ox_lo * sw - pw) * c, &blk, out);
                    out += (ox_hi - ox_lo + 1) * c;
                    ox = ox_hi;
                    continue;
                }
                const int32_t ix0 = ox * sw - pw;
                const int32_t fx_lo = mcu_max_i32(0, -ix0);
                const int32_t nw = mcu_max_i32(0, mcu_min_i32(fw, in_w - ix0) - fx_lo);
                if (nh * nw <= 0 && !is_max) {
                    return MCU_ERROR_ARGUMENT;
                }
                out = (is_max ? pool_pixel_max : pool_pixel_avg)(in_batch + ((iy0 + fy_lo) * in_w + ix0 + fx_lo) * c,
                                                                 nh, nw, in_w, c, lo4, hi4, out);
            }
        }
    }
    return MCU_OK;
}

/* Pools whose every window lies inside the input (no padding reaches one), with at most MCU_POOL_TAPS
 * taps and narrower than the input: the whole output as one interior block (as pool_dsp runs it, without
 * its border bookkeeping). Returns 0 (nothing done) for other pools. */
static inline __attribute__((always_inline)) int pool_inside(const mcu_pool_params *params,
                                                             const mcu_dims *input_dims, const int8_t *input,
                                                             const mcu_dims *output_dims, int8_t *output,
                                                             const int is_max)
{
    const int32_t in_h = input_dims->h, in_w = input_dims->w, c = input_dims->c;
    const int32_t sh = params->stride.h, sw = params->stride.w, fh = params->filter.h, fw = params->filter.w;
    const int32_t out_h = output_dims->h, out_w = output_dims->w, n = fh * fw;
    if (input_dims->n != 1 || params->padding.h != 0 || params->padding.w != 0 || output_dims->c != c ||
        out_h < 1 || out_w < 1 || fw >= in_w || n > MCU_POOL_TAPS || (out_h - 1) * sh + fh > in_h ||
        (out_w - 1) * sw + fw > in_w) {
        return 0;
    }
    const int32_t row = in_w * c;
    int32_t off[MCU_POOL_TAPS];
    pool_block blk = {off, n, c, sw * c, out_w, out_h, sh * row, out_w * c, params->act_min, params->act_max, 0, 0, 0};
    if (sw == 1) { /* a row's windows one after the other: one pixel of all their channels */
        blk.c *= out_w;
        blk.pixels = 1;
    }
    const int square = fh == 2 && fw == 2;
    if (square) {
        blk.o1 = c, blk.o2 = row, blk.o3 = row + c;
    } else if (n == 2) { /* 1 x 2 or 2 x 1 */
        blk.o1 = fw == 2 ? c : row;
    }
    if (!(square || (is_max && n == 2)) || blk.c % 4) { /* the table (the last channels of a pixel read it too) */
        int32_t *o = off;
        for (int32_t y = 0; y < fh; ++y) {
            for (int32_t x = 0; x < fw; ++x) {
                *o++ = y * row + x * c;
            }
        }
    }
    if (is_max) {
        (n == 2 ? mcu_pool_block_max2_s8 : square ? mcu_pool_block_max4_s8 : pool_block_maxn)(input, &blk, output);
    } else {
        (square ? mcu_pool_block_avg4_s8 : pool_block_avgn)(input, &blk, output);
    }
    return 1;
}

/* The entry points mcu_avgpool_s8 / mcu_maxpool_s8 (mcu_engine.h) pick: global pools (mcu_pool_global_fits),
 * pools with every window inside the input (mcu_pool_inside_fits; others are refused), the rest. */
mcu_status mcu_avgpool_global_s8(const mcu_pool_params *params, const mcu_dims *input_dims, const int8_t *input,
                                 const mcu_dims *output_dims, int8_t *output)
{
    (void)output_dims;
    pool_global_avg(input, input_dims->h * input_dims->w, input_dims->c, 0x01010101u * (uint8_t)params->act_min,
                    0x01010101u * (uint8_t)params->act_max, output);
    return MCU_OK;
}

mcu_status mcu_maxpool_global_s8(const mcu_pool_params *params, const mcu_dims *input_dims, const int8_t *input,
                                 const mcu_dims *output_dims, int8_t *output)
{
    (void)output_dims;
    pool_global_max(input, input_dims->h * input_dims->w, input_dims->c, 0x01010101u * (uint8_t)params->act_min,
                    0x01010101u * (uint8_t)params->act_max, output);
    return MCU_OK;
}

mcu_status mcu_avgpool_inside_s8(const mcu_pool_params *params, const mcu_dims *input_dims, const int8_t *input,
                                 const mcu_dims *output_dims, int8_t *output)
{
    return pool_inside(params, input_dims, input, output_dims, output, 0) ? MCU_OK : MCU_ERROR_ARGUMENT;
}

mcu_status mcu_maxpool_inside_s8(const mcu_pool_params *params, const mcu_dims *input_dims, const int8_t *input,
                                 const mcu_dims *output_dims, int8_t *output)
{
    return pool_inside(params, input_dims, input, output_dims, output, 1) ? MCU_OK : MCU_ERROR_ARGUMENT;
}
#endif

mcu_status mcu_avgpool_generic_s8(const mcu_pool_params *params, const mcu_dims *input_dims, const int8_t *input,
                                  const mcu_dims *output_dims, int8_t *output)
{
#if defined(__ARM_FEATURE_DSP)
    return pool_dsp(params, input_dims, input, output_dims, output, 0);
#else
    return pool_s8(params, input_dims, input, output_dims, output, 0);
#endif
}

mcu_status mcu_maxpool_generic_s8(const mcu_pool_params *params, const mcu_dims *input_dims, const int8_t *input,
                                  const mcu_dims *output_dims, int8_t *output)
{
#if defined(__ARM_FEATURE_DSP)
    return pool_dsp(params, input_dims, input, output_dims, output, 1);
#else
    return pool_s8(params, input_dims, input, output_dims, output, 1);
#endif
}

/* Pools planned by the code generator (mcu_pool_plan, ops.Pool2D.plan): no bounds, offsets or kernel
 * choice at run time. On DSP cores a row's pixels run in one assembly loop, a word (four channels) per
 * step: taps at q and q + o1 (two taps), and at q2 = q + o2 and q2 + o1 (2 x 2 windows, o3 = o1 + o2);
 * the clamp words lo4 / hi4 are read from the plan. */
#if defined(__ARM_FEATURE_DSP)
/* one row of pixels: q, q2 and o advanced past it (q and q2 by the skips of its pixels); the average's
 * word count and skip read from the plan per pixel (its registers hold m and one2) */
#define PLAN_ROW(BODY, CLAMP, ...)                                                                         \
    __asm__ volatile("1:\n\t"                                                                             \
                     "ldr %[n], [%[pl], #8]\n"                                                            \
                     "2:\n\t" BODY CLAMP                                                                  \
                     "str %[d], [%[o]], #4\n\t"                                                           \
                     "subs %[n], %[n], #1\n\t"                                                            \
                     "bne 2b\n\t"                                                                         \
                     "ldr %[a], [%[pl], #12]\n\t"                                                         \
                     "add %[q], %[q], %[a]\n\t"                                                           \
                     "add %[q2], %[q2], %[a]\n\t"                                                         \
                     "subs %[x], %[x], #1\n\t"                                                            \
                     "bne 1b"                                                                             \
                     : [q] "+r"(q), [q2] "+r"(q2), [o] "+r"(o), [x] "+r"(x), [n] "=&r"(n), [a] "=&r"(a), \
                       [b] "=&r"(b), [d] "=&r"(d)__VA_ARGS__                                             \
                     : [o1] "r"(o1), [pl] "r"(pl), [m] "r"(m), [one2] "r"(one2)                           \
                     : "cc", "memory")
/* the maxima's row: the word count w (words, or words / 2 with two words per step: STEP twice) and the
 * skip s in registers */
#define PLAN_ROW_MAX(STEP)                                                                                 \
    __asm__ volatile("1:\n\t"                                                                             \
                     "mov %[n], %[w]\n"                                                                   \
                     "2:\n\t" STEP                                                                        \
                     "subs %[n], %[n], #1\n\t"                                                            \
                     "bne 2b\n\t"                                                                         \
                     "add %[q], %[q], %[s]\n\t"                                                           \
                     "add %[q2], %[q2], %[s]\n\t"                                                         \
                     "subs %[x], %[x], #1\n\t"                                                            \
                     "bne 1b"                                                                             \
                     : [q] "+r"(q), [q2] "+r"(q2), [o] "+r"(o), [x] "+r"(x), [n] "=&r"(n), [a] "=&r"(a), \
                       [b] "=&r"(b), [c] "=&r"(c), [d] "=&r"(d)                                           \
                     : [o1] "r"(o1), [pl] "r"(pl), [w] "r"(w), [s] "r"(s)                                 \
                     : "cc", "memory")

#define PLAN_MAX2 "ldr %[a], [%[q], %[o1]]\n\tldr %[d], [%[q]], #4\n\tssub8 %[b], %[d], %[a]\n\tsel %[d], %[d], %[a]\n\t"
#define PLAN_MAX4                                                                                          \
    "ldr %[a], [%[q], %[o1]]\n\tldr %[d], [%[q]], #4\n\tssub8 %[b], %[d], %[a]\n\tsel %[d], %[d], %[a]\n\t" \
    "ldr %[b], [%[q2], %[o1]]\n\tldr %[c], [%[q2]], #4\n\tssub8 %[a], %[b], %[c]\n\tsel %[b], %[b], %[c]\n\t" \
    "ssub8 %[a], %[d], %[b]\n\tsel %[d], %[d], %[b]\n\t"
/* the sums of the four taps per halfword from 1 (d: bytes 0 and 2, b: 1 and 3), then (t + (t > 0)) >> 2
 * (average2_pow2 with k = 2), the four averages packed by two ANDs with m = 0x00FF00FF and an ORR */
#define PLAN_AVG4                                                                                          \
    "ldr %[a], [%[q], %[o1]]\n\tsxtab16 %[d], %[one2], %[a]\n\tsxtab16 %[b], %[one2], %[a], ror #8\n\t"    \
    "ldr %[a], [%[q]], #4\n\tsxtab16 %[d], %[d], %[a]\n\tsxtab16 %[b], %[b], %[a], ror #8\n\t"             \
    "ldr %[a], [%[q2], %[o1]]\n\tsxtab16 %[d], %[d], %[a]\n\tsxtab16 %[b], %[b], %[a], ror #8\n\t"         \
    "ldr %[a], [%[q2]], #4\n\tsxtab16 %[d], %[d], %[a]\n\tsxtab16 %[b], %[b], %[a], ror #8\n\t"            \
    "usat16 %[a], #1, %[d]\n\tsadd16 %[d], %[d], %[a]\n\tusat16 %[a], #1, %[b]\n\tsadd16 %[b], %[b], %[a]\n\t" \
    "and %[d], %[m], %[d], lsr #2\n\tand %[b], %[m], %[b], lsr #2\n\torr %[d], %[d], %[b], lsl #8\n\t"
#define PLAN_CLAMP                                                                                         \
    "ldr %[a], [%[pl], #32]\n\tssub8 %[b], %[d], %[a]\n\tsel %[d], %[d], %[a]\n\t"                         \
    "ldr %[a], [%[pl], #36]\n\tssub8 %[b], %[d], %[a]\n\tsel %[d], %[a], %[d]\n\t"
#define PLAN_STORE "str %[d], [%[o]], #4\n\t"

#define POOL_PLAN_FN(name, BODY, CLAMP)                                                                    \
    void name(const int8_t *input, int8_t *output, const mcu_pool_plan *pl)                                \
    {                                                                                                      \
        const int8_t *q = input;                                                                           \
        int8_t *o = output;                                                                                \
        const int32_t o1 = pl->o1, o2 = pl->o2, row_skip = pl->row_skip;                                   \
        const uint32_t m = 0x00FF00FFu, one2 = 0x00010001u;                                                \
        for (int32_t y = pl->rows; y > 0; --y) {                                                           \
            const int8_t *q2 = q + o2;                                                                     \
            int32_t x = pl->pixels;                                                                        \
            uint32_t n, a, b, c, d;                                                                        \
            PLAN_ROW(BODY, CLAMP, , [c] "=&r"(c));                                                         \
            q += row_skip;                                                                                 \
        }                                                                                                  \
    }
/* maxima: two words per step when the word count is even */
#define POOL_PLAN_MAX_FN(name, BODY, CLAMP)                                                                \
    void name(const int8_t *input, int8_t *output, const mcu_pool_plan *pl)                                \
    {                                                                                                      \
        const int8_t *q = input;                                                                           \
        int8_t *o = output;                                                                                \
        const int32_t o1 = pl->o1, o2 = pl->o2, row_skip = pl->row_skip, s = pl->skip;                     \
        const int even = (pl->words & 1) == 0;                                                             \
        const int32_t w = even ? pl->words >> 1 : pl->words;                                               \
        for (int32_t y = pl->rows; y > 0; --y) {                                                           \
            const int8_t *q2 = q + o2;                                                                     \
            int32_t x = pl->pixels;                                                                        \
            uint32_t n, a, b, c, d;                                                                        \
            if (even) {                                                                                    \
                PLAN_ROW_MAX(BODY CLAMP PLAN_STORE BODY CLAMP PLAN_STORE);                                 \
            } else {                                                                                       \
                PLAN_ROW_MAX(BODY CLAMP PLAN_STORE);                                                       \
            }                                                                                              \
            q += row_skip;                                                                                 \
        }                                                                                                  \
    }
#else
static void plan_run(const int8_t *q, int8_t *o, const mcu_pool_plan *pl, const int kind)
{
    const int32_t lo = (int8_t)pl->lo4, hi = (int8_t)pl->hi4;
    for (int32_t y = pl->rows; y > 0; --y, q += pl->row_skip) {
        for (int32_t x = pl->pixels; x > 0; --x, q += pl->skip) {
            for (int32_t i = 4 * pl->words; i > 0; --i, ++q) {
                int32_t v;
                if (kind == 0) {
                    v = mcu_max_i32(q[0], q[pl->o1]);
                } else if (kind == 1) {
                    v = mcu_max_i32(mcu_max_i32(q[0], q[pl->o1]), mcu_max_i32(q[pl->o2], q[pl->o3]));
                } else {
                    const int32_t s = q[0] + q[pl->o1] + q[pl->o2] + q[pl->o3];
                    v = s > 0 ? (s + 2) / 4 : (s - 2) / 4;
                }
                *o++ = (int8_t)mcu_clamp_i32(v, lo, hi);
            }
        }
    }
}
#define POOL_PLAN_FN(name, kind, clamp)                                                                    \
    void name(const int8_t *input, int8_t *output, const mcu_pool_plan *plan)                              \
    {                                                                                                      \
        plan_run(input, output, plan, kind);                                                               \
    }
#define POOL_PLAN_MAX_FN POOL_PLAN_FN
#define PLAN_MAX2 0
#define PLAN_MAX4 1
#define PLAN_AVG4 2
#define PLAN_CLAMP
#endif

POOL_PLAN_MAX_FN(mcu_pool_plan_max2_s8, PLAN_MAX2, "")
POOL_PLAN_MAX_FN(mcu_pool_plan_max4_s8, PLAN_MAX4, "")
POOL_PLAN_FN(mcu_pool_plan_avg4_s8, PLAN_AVG4, "")
POOL_PLAN_MAX_FN(mcu_pool_plan_max2_clamp_s8, PLAN_MAX2, PLAN_CLAMP)
POOL_PLAN_MAX_FN(mcu_pool_plan_max4_clamp_s8, PLAN_MAX4, PLAN_CLAMP)
POOL_PLAN_FN(mcu_pool_plan_avg4_clamp_s8, PLAN_AVG4, PLAN_CLAMP)
