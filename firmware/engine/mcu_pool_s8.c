/* AVERAGE_POOL_2D and MAX_POOL_2D over the window clipped to the input: the average rounds half away
 * from zero over the pixels inside the input, the maximum starts from -128. Channels are innermost
 * (blocks of MCU_POOL_BLOCK contiguous channels per window tap), so the loops run over contiguous bytes.
 *
 * With the Cortex-M DSP extension four channels share a word: the maximum is SSUB8 / SEL per tap, the
 * sum two SXTAB16 per tap into halfword pairs (exact for up to 256 taps, then added into 32-bit sums);
 * each output pixel runs its window (rows merged when they are contiguous) for every group of four
 * channels, the last channels one at a time. */
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
#define MCU_POOL_TAPS 64 /* windows up to this many taps run from a table of tap offsets */

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

/* A run of output pixels whose windows have the same taps (offsets off[0 .. n-1] from the window start,
 * 1 <= n <= MCU_POOL_TAPS), step bytes apart in the input. */
typedef struct {
    const int32_t *off;
    int32_t n, c, step, lo, hi;
} pool_run;

static int8_t *max_run(const int8_t *p, int32_t pixels, const pool_run *r, int8_t *out)
{
    const int32_t *off = r->off, n = r->n, c = r->c, c4 = c & ~3, lo = r->lo, hi = r->hi, skip = r->step - c4;
    const uint32_t lo4 = 0x01010101u * (uint8_t)lo, hi4 = 0x01010101u * (uint8_t)hi;
    int8_t *o = out;
    if (n == 4) { /* 2 x 2 windows */
        const int32_t o1 = off[1], o2 = off[2], o3 = off[3];
        for (int32_t i = 0; i < pixels; ++i, p += skip, o += c - c4) {
            for (const int8_t *end = p + c4; p != end; p += 4, o += 4) {
                uint32_t v = mcu_max_s8x4(mcu_max_s8x4(mcu_load_u32(p), mcu_load_u32(p + o1)),
                                          mcu_max_s8x4(mcu_load_u32(p + o2), mcu_load_u32(p + o3)));
                v = mcu_min_s8x4(mcu_max_s8x4(v, lo4), hi4);
                memcpy(o, &v, 4);
            }
        }
    } else if (n == 2 && skip == 0 && c4 == c) { /* 2 x 1 windows, stride.w 1: the run's words back to back */
        const int32_t o1 = off[1];
        const int8_t *end = p + pixels * c;
        if (lo <= MCU_INT8_MIN && hi >= MCU_INT8_MAX) { /* no clamp; two words per step */
            if ((pixels * c) & 4) {
                const uint32_t v = mcu_max_s8x4(mcu_load_u32(p), mcu_load_u32(p + o1));
                memcpy(o, &v, 4);
                p += 4, o += 4;
            }
            for (; p != end; p += 8, o += 8) {
                const uint32_t v0 = mcu_max_s8x4(mcu_load_u32(p), mcu_load_u32(p + o1));
                const uint32_t v1 = mcu_max_s8x4(mcu_load_u32(p + 4), mcu_load_u32(p + o1 + 4));
                memcpy(o, &v0, 4);
                memcpy(o + 4, &v1, 4);
            }
        } else {
            for (; p != end; p += 4, o += 4) {
                uint32_t v = mcu_max_s8x4(mcu_load_u32(p), mcu_load_u32(p + o1));
                v = mcu_min_s8x4(mcu_max_s8x4(v, lo4), hi4);
                memcpy(o, &v, 4);
            }
        }
    } else if (n == 2) { /* 2 x 1 and 1 x 2 windows */
        const int32_t o1 = off[1];
        for (int32_t i = 0; i < pixels; ++i, p += skip, o += c - c4) {
            for (const int8_t *end = p + c4; p != end; p += 4, o += 4) {
                uint32_t v = mcu_max_s8x4(mcu_load_u32(p), mcu_load_u32(p + o1));
                v = mcu_min_s8x4(mcu_max_s8x4(v, lo4), hi4);
                memcpy(o, &v, 4);
            }
        }
    } else {
        for (int32_t i = 0; i < pixels; ++i, p += skip, o += c - c4) {
            for (const int8_t *end = p + c4; p != end; p += 4, o += 4) {
                uint32_t v = 0x80808080u;
                for (int32_t k = 0; k < n; ++k) {
                    v = mcu_max_s8x4(v, mcu_load_u32(p + off[k]));
                }
                v = mcu_min_s8x4(mcu_max_s8x4(v, lo4), hi4);
                memcpy(o, &v, 4);
            }
        }
    }
    if (c4 != c) { /* the last channels of every pixel */
        p -= pixels * r->step;
        for (int32_t i = 0; i < pixels; ++i, p += r->step) {
            for (int32_t j = c4; j < c; ++j) {
                int32_t acc = MCU_INT8_MIN;
                for (int32_t k = 0; k < n; ++k) {
                    acc = mcu_max_i32(acc, p[j + off[k]]);
                }
                out[i * c + j] = (int8_t)mcu_clamp_i32(acc, lo, hi);
            }
        }
    }
    return out + pixels * c;
}

/* Per halfword of h (sums over 2^k taps, 1 <= k <= 8): (h + 2^(k-1) - (h <= 0)) >> k, which is the
 * average rounded half away from zero (pool_average), its low byte left at bit 0 / 16. */
static inline __attribute__((always_inline)) uint32_t average2_pow2(uint32_t h, uint32_t half2, int32_t k)
{
    const uint32_t one2 = 0x00010001u;
    const uint32_t t = (uint32_t)__sadd16((int16x2_t)h, (int16x2_t)half2);
    const uint32_t u = (uint32_t)__ssub16((int16x2_t)t, (int16x2_t)one2);
    uint32_t g, r;
    __asm__("ssub16 %0, %2, %3\n\t" /* GE per halfword where h >= 1 */
            "sel    %1, %4, %5"
            : "=&r"(g), "=&r"(r) : "r"(h), "r"(one2), "r"(t), "r"(u));
    return r >> k;
}

static int8_t *avg_run(const int8_t *p, int32_t pixels, const pool_run *r, int8_t *out)
{
    const int32_t *off = r->off, n = r->n, c4 = r->c & ~3, lo = r->lo, hi = r->hi;
    const uint32_t lo4 = 0x01010101u * (uint8_t)lo, hi4 = 0x01010101u * (uint8_t)hi;
    const int32_t zero[4] = {0, 0, 0, 0};
    const int32_t k = 31 - __builtin_clz((uint32_t)n); /* n = 2^k: rounding per halfword pair */
    const int pow2 = n >= 2 && (n & (n - 1)) == 0;
    const uint32_t half2 = pow2 ? 0x00010001u << (k - 1) : 0;
    if (n == 4 && c4 == r->c) { /* 2 x 2 windows */
        const int32_t o1 = off[1], o2 = off[2], o3 = off[3], skip = r->step - c4;
        for (; pixels > 0; --pixels, p += skip) {
            for (const int8_t *end = p + c4; p != end; p += 4, out += 4) {
                const uint32_t w0 = mcu_load_u32(p), w1 = mcu_load_u32(p + o1);
                const uint32_t w2 = mcu_load_u32(p + o2), w3 = mcu_load_u32(p + o3);
                const uint32_t h02 = mcu_sxtab16(mcu_sxtab16(mcu_sxtab16(mcu_sxtb16(w0), w1), w2), w3);
                const uint32_t h13 =
                    mcu_sxtab16_ror8(mcu_sxtab16_ror8(mcu_sxtab16_ror8(mcu_sxtb16_ror8(w0), w1), w2), w3);
                uint32_t v = (average2_pow2(h02, 0x00020002u, 2) & 0x00FF00FFu) |
                             (average2_pow2(h13, 0x00020002u, 2) & 0x00FF00FFu) << 8;
                v = mcu_min_s8x4(mcu_max_s8x4(v, lo4), hi4);
                memcpy(out, &v, 4);
            }
        }
        return out;
    }
    for (; pixels > 0; --pixels, p += r->step) {
        const int8_t *q = p;
        for (const int8_t *end = p + c4; q != end; q += 4, out += 4) {
            uint32_t h02 = 0, h13 = 0, v;
            for (int32_t t = 0; t < n; ++t) {
                const uint32_t w = mcu_load_u32(q + off[t]);
                h02 = mcu_sxtab16(h02, w);
                h13 = mcu_sxtab16_ror8(h13, w);
            }
            if (pow2) {
                v = (average2_pow2(h02, half2, k) & 0x00FF00FFu) | (average2_pow2(h13, half2, k) & 0x00FF00FFu) << 8;
            } else {
                v = average4(h02, h13, zero, n);
            }
            v = mcu_min_s8x4(mcu_max_s8x4(v, lo4), hi4);
            memcpy(out, &v, 4);
        }
        for (; q != p + r->c; ++q) {
            int32_t acc = 0;
            for (int32_t t = 0; t < n; ++t) {
                acc += q[off[t]];
            }
            *out++ = (int8_t)mcu_clamp_i32(pool_average(acc, n), lo, hi);
        }
    }
    return out;
}

/* One output pixel of a window of more than MCU_POOL_TAPS taps: rows of taps (whole input rows are
 * contiguous, so then one row of count taps), halfword sums over at most 256 taps at a time. */
/* Maximum (is_max) or halfword sums of k channels over the taps q, q + c, ... before qend. */
static inline __attribute__((always_inline)) void large_taps(const int8_t *q, const int8_t *qend, int32_t c,
                                                             int32_t k, int is_max, uint32_t *v, int32_t *s)
{
    uint32_t m = *v, h02 = 0, h13 = 0;
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
    mcu_add_halfword_sums(s, h02, h13);
}

static int8_t *pool_large(const int8_t *win, int32_t nh, int32_t nw, int32_t in_w, int32_t c, int32_t lo,
                          int32_t hi, int is_max, int8_t *out)
{
    const int32_t row = in_w * c, count = nh * nw;
    const int32_t rows = nw == in_w ? 1 : nh, taps = nw == in_w ? count : nw;
    for (int32_t j = 0; j < c; j += 4) {
        const int8_t *p = win + j;
        const int32_t k = mcu_min_i32(4, c - j);
        uint32_t v = 0x80808080u;
        int32_t s[4] = {0, 0, 0, 0};
        for (int32_t y = 0; y < rows; ++y, p += row) {
            for (int32_t x = 0; x < taps; x += 256) { /* halfword sums of <= 256 taps */
                const int8_t *q = p + x * c, *qend = q + mcu_min_i32(256, taps - x) * c;
                if (k == 4 && is_max) {
                    large_taps(q, qend, c, 4, 1, &v, s);
                } else if (k == 4) {
                    large_taps(q, qend, c, 4, 0, &v, s);
                } else {
                    large_taps(q, qend, c, k, is_max, &v, s);
                }
            }
        }
        if (!is_max) {
            v = average4(0, 0, s, count);
        }
        for (int32_t i = 0; i < k; ++i, v >>= 8) {
            *out++ = (int8_t)mcu_clamp_i32((int8_t)v, lo, hi);
        }
    }
    return out;
}

static mcu_status pool_dsp(const mcu_pool_params *params, const mcu_dims *input_dims, const int8_t *input,
                           const mcu_dims *output_dims, int8_t *output, int is_max)
{
    const int32_t in_h = input_dims->h, in_w = input_dims->w, c = input_dims->c, row = in_w * c;
    const int32_t sw = params->stride.w, pw = params->padding.w, fw = params->filter.w, out_w = output_dims->w;
    int32_t off[MCU_POOL_TAPS];
    pool_run r = {off, 0, c, sw * c, params->act_min, params->act_max};
    if (output_dims->c != c) {
        return MCU_ERROR_ARGUMENT;
    }
    /* the last output column whose window is not clipped on the right */
    const int32_t ox_full = in_w - fw + pw >= 0 ? (in_w - fw + pw) / sw : -1;
    for (int32_t b = 0; b < input_dims->n; ++b) {
        const int8_t *in_batch = input + (int64_t)b * in_h * row;
        for (int32_t oy = 0; oy < output_dims->h; ++oy) {
            const int32_t iy0 = oy * params->stride.h - params->padding.h;
            const int32_t fy_lo = mcu_max_i32(0, -iy0);
            const int32_t nh = mcu_max_i32(0, mcu_min_i32(params->filter.h, in_h - iy0) - fy_lo);
            int32_t tab_w = -1; /* the window width the offset table holds */
            for (int32_t ox = 0; ox < out_w;) {
                const int32_t ix0 = ox * sw - pw;
                const int32_t fx_lo = mcu_max_i32(0, -ix0);
                const int32_t nw = mcu_max_i32(0, mcu_min_i32(fw, in_w - ix0) - fx_lo);
                const int32_t count = nh * nw;
                const int8_t *win = in_batch + ((iy0 + fy_lo) * in_w + ix0 + fx_lo) * c;
                if (count <= 0 || count > MCU_POOL_TAPS) {
                    if (count <= 0 && !is_max) {
                        return MCU_ERROR_ARGUMENT;
                    }
                    output = pool_large(win, nh, nw, in_w, c, r.lo, r.hi, is_max, output);
                    ++ox;
                    continue;
                }
                if (nw != tab_w) {
                    int32_t *o = off;
                    for (int32_t y = 0; y < nh; ++y) {
                        for (int32_t x = 0; x < nw; ++x) {
                            *o++ = y * row + x * c;
                        }
                    }
                    tab_w = nw;
                    r.n = count;
                }
                /* unclipped windows share the table: the run up to the last of them */
                const int32_t pixels = fx_lo == 0 && nw == fw ? mcu_min_i32(out_w - 1, ox_full) - ox + 1 : 1;
                output = (is_max ? max_run : avg_run)(win, pixels, &r, output);
                ox += pixels;
            }
        }
    }
    return MCU_OK;
}
#endif

mcu_status mcu_avgpool_s8(const mcu_pool_params *params, const mcu_dims *input_dims, const int8_t *input,
                          const mcu_dims *output_dims, int8_t *output)
{
#if defined(__ARM_FEATURE_DSP)
    return pool_dsp(params, input_dims, input, output_dims, output, 0);
#else
    return pool_s8(params, input_dims, input, output_dims, output, 0);
#endif
}

mcu_status mcu_maxpool_s8(const mcu_pool_params *params, const mcu_dims *input_dims, const int8_t *input,
                          const mcu_dims *output_dims, int8_t *output)
{
#if defined(__ARM_FEATURE_DSP)
    return pool_dsp(params, input_dims, input, output_dims, output, 1);
#else
    return pool_s8(params, input_dims, input, output_dims, output, 1);
#endif
}
