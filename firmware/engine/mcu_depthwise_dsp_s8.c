/* DEPTHWISE_CONV_2D 3x3 fast path for Cortex-M cores with the DSP extension, bit-exact with the
 * portable kernel. mcu_depthwise_conv_s8 calls it when __ARM_FEATURE_DSP is defined, the depth
 * multiplier and dilation are 1, the channel count is a multiple of 4, the stride is 1 or 2, the
 * layer's fast_requant flag is set and its scratch buffer is present.
 *
 * Input rows are transposed once each into a ring of three channel-major int16 rows (two pixels x four
 * channels per step: SXTB16 and halfword packing), padding columns and rows holding the input zero
 * point, so the sum over the 3x3 window becomes SMLAD on (x, x+1) pairs with the weights packed as
 * (w0, w1) plus one SMLABB/SMLATB for the third column. Padding with the zero point and starting the
 * accumulator at bias + input_offset * sum(weights) gives exactly sum(w * (x + input_offset)) over the
 * taps inside the input.
 *
 * Layers whose whole-depth buffers would dwarf their maps (small maps, many channels) run the channels in
 * chunks of params->chunk (a multiple of 4; the last may be smaller): the ring (and the table) hold one
 * chunk's channels, filled and run as a layer of that depth whose pixels stay c bytes apart in the input
 * and the output.
 */
#include <stddef.h>
#include <string.h>

#include "mcu_dsp.h"
#include "mcu_engine.h"

#if defined(__ARM_FEATURE_DSP)

/* Fill one ring slot (channel-major, `width` int16 per channel) with input row iy: c channels from
 * in_batch on, pixels in->c apart. */
static void fill_row(const mcu_dims *in, const int8_t *in_batch, int32_t iy, int32_t pad_w,
                     int32_t width, int16_t zp, int16_t *slot, int32_t c)
{
    const int32_t cs = in->c, w = in->w;
    if (iy < 0 || iy >= in->h) {
        for (int32_t i = 0; i < c * width; ++i) {
            slot[i] = zp;
        }
        return;
    }
    const int8_t *row = in_batch + (int64_t)iy * w * cs;
    for (int32_t j = 0; j < width; j += 2) {
        const int32_t x0 = j - pad_w, x1 = x0 + 1;
        if (x0 >= 0 && x1 < w) {
            const int8_t *p = row + (int64_t)x0 * cs;
            for (int32_t ch = 0; ch < c; ch += 4) {
                const uint32_t a = mcu_load_u32(p + ch), b = mcu_load_u32(p + cs + ch);
                const uint32_t al = mcu_sxtb16(a), ah = mcu_sxtb16_ror8(a);
                const uint32_t bl = mcu_sxtb16(b), bh = mcu_sxtb16_ror8(b);
                uint32_t *d = (uint32_t *)(void *)(slot + (int64_t)ch * width + j);
                d[0] = (al & 0xFFFFu) | (bl << 16);
                d[width / 2] = (ah & 0xFFFFu) | (bh << 16);
                d[width] = (al >> 16) | (bl & 0xFFFF0000u);
                d[3 * (width / 2)] = (ah >> 16) | (bh & 0xFFFF0000u);
            }
        } else {
            for (int32_t ch = 0; ch < c; ++ch) {
                slot[(int64_t)ch * width + j] = (x0 >= 0 && x0 < w) ? row[(int64_t)x0 * cs + ch] : zp;
                slot[(int64_t)ch * width + j + 1] = (x1 >= 0 && x1 < w) ? row[(int64_t)x1 * cs + ch] : zp;
            }
        }
    }
}

static inline uint32_t pack16(int32_t lo, int32_t hi)
{
    return ((uint32_t)lo & 0xFFFFu) | ((uint32_t)hi << 16);
}

int32_t mcu_depthwise_dsp_row_width(const mcu_dims *input_dims)
{
    return (input_dims->w + 5) & ~1;
}

static inline __attribute__((always_inline)) void depthwise_body(
    const mcu_dw_conv_params *params, const mcu_per_channel_quant *quant, const mcu_dims *input_dims,
    const int8_t *input, const int8_t *filter, const int32_t *bias, const mcu_dims *output_dims,
    int8_t *output, int16_t *scratch, const int full)
{
    const int32_t in_h = input_dims->h, in_w = input_dims->w, c = input_dims->c;
    const int32_t out_h = output_dims->h, out_w = output_dims->w;
    const int32_t sh = params->stride.h, sw = params->stride.w;
    const int32_t width = mcu_depthwise_dsp_row_width(input_dims);
    const int32_t in_off = params->input_offset;
    const int16_t pad_val = (int16_t)(-in_off);
    const int32_t zp = params->output_offset, lo = params->act_min, hi = params->act_max;
    /* channels c0 .. c1 - 1 at a time (params->chunk), the ring holding theirs */
    const int32_t chunk = params->chunk > 0 && params->chunk < c ? params->chunk : c;
    int16_t *slots[3] = {scratch, scratch + (int64_t)chunk * width, scratch + 2 * (int64_t)chunk * width};
    for (int32_t c0 = 0; c0 < c; c0 += chunk) {
        const int32_t c1 = mcu_min_i32(c0 + chunk, c);
        for (int32_t b = 0; b < input_dims->n; ++b) {
            const int8_t *in_batch = input + (int64_t)b * in_h * in_w * c;
            int8_t *out_batch = output + (int64_t)b * out_h * out_w * c;
            int32_t held[3] = {INT32_MIN, INT32_MIN, INT32_MIN}; /* input row in each slot */
            for (int32_t oy = 0; oy < out_h; ++oy) {
                const int32_t iy0 = oy * sh - params->padding.h;
                const int16_t *rows[3];
                for (int32_t k = 0; k < 3; ++k) {
                    const int32_t iy = iy0 + k;
                    const int32_t s = (int32_t)(((uint32_t)(iy + 3 * 65536)) % 3u);
                    if (held[s] != iy) {
                        fill_row(input_dims, in_batch + c0, iy, params->padding.w, width, pad_val, slots[s], c1 - c0);
                        held[s] = iy;
                    }
                    rows[k] = slots[s];
                }
                int8_t *out_row = out_batch + (int64_t)oy * out_w * c;
                for (int32_t ch = c0; ch < c1; ++ch) {
                    const int8_t *wp = filter + ch;
                    const int32_t w00 = wp[0], w01 = wp[c], w02 = wp[2 * c];
                    const int32_t w10 = wp[3 * c], w11 = wp[4 * c], w12 = wp[5 * c];
                    const int32_t w20 = wp[6 * c], w21 = wp[7 * c], w22 = wp[8 * c];
                    const uint32_t k0 = pack16(w00, w01), k1 = pack16(w10, w11), k2 = pack16(w20, w21);
                    const uint32_t k3 = pack16(w02, w12), k4 = pack16(w22, w22);
                    const int32_t base = (bias ? bias[ch] : 0) +
                                         in_off * (w00 + w01 + w02 + w10 + w11 + w12 + w20 + w21 + w22);
                    const int32_t mult = quant->multiplier[ch], right = -quant->shift[ch];
                    const int16_t *r0 = rows[0] + (int64_t)(ch - c0) * width;
                    const int16_t *r1 = rows[1] + (int64_t)(ch - c0) * width;
                    const int16_t *r2 = rows[2] + (int64_t)(ch - c0) * width;
                    int8_t *op = out_row + ch;
                    if (sw == 1) {
                        int32_t ox = 0;
                        for (; ox + 2 <= out_w; ox += 2) {
                            const uint32_t a0 = mcu_load_u32(r0 + ox), b0 = mcu_load_u32(r0 + ox + 2);
                            const uint32_t a1 = mcu_load_u32(r1 + ox), b1 = mcu_load_u32(r1 + ox + 2);
                            const uint32_t a2 = mcu_load_u32(r2 + ox), b2 = mcu_load_u32(r2 + ox + 2);
                            int32_t acc0 = mcu_smlad(a0, k0, base);
                            int32_t acc1 = __smladx((int16x2_t)mcu_pkhbt(b0, a0),
                                                    (int16x2_t)k0, base);
                            acc0 = __smlabb((int32_t)b0, (int32_t)k3, acc0);
                            acc1 = __smlatb((int32_t)b0, (int32_t)k3, acc1);
                            acc0 = mcu_smlad(a1, k1, acc0);
                            acc1 = __smladx((int16x2_t)mcu_pkhbt(b1, a1),
                                            (int16x2_t)k1, acc1);
                            acc0 = __smlabt((int32_t)b1, (int32_t)k3, acc0);
                            acc1 = __smlatt((int32_t)b1, (int32_t)k3, acc1);
                            acc0 = mcu_smlad(a2, k2, acc0);
                            acc1 = __smladx((int16x2_t)mcu_pkhbt(b2, a2),
                                            (int16x2_t)k2, acc1);
                            acc0 = __smlabb((int32_t)b2, (int32_t)k4, acc0);
                            acc1 = __smlatb((int32_t)b2, (int32_t)k4, acc1);
                            op[0] = mcu_out_dsp(acc0, mult, right, zp, lo, hi, full);
                            op[c] = mcu_out_dsp(acc1, mult, right, zp, lo, hi, full);
                            op += 2 * c;
                        }
                        if (ox < out_w) {
                            int32_t acc = base;
                            acc = mcu_smlad(mcu_load_u32(r0 + ox), k0, acc) + r0[ox + 2] * w02;
                            acc = mcu_smlad(mcu_load_u32(r1 + ox), k1, acc) + r1[ox + 2] * w12;
                            acc = mcu_smlad(mcu_load_u32(r2 + ox), k2, acc) + r2[ox + 2] * w22;
                            op[0] = mcu_out_dsp(acc, mult, right, zp, lo, hi, full);
                        }
                    } else {
                        for (int32_t ox = 0; ox < out_w; ++ox) {
                            const int32_t x = ox * sw;
                            int32_t acc = base;
                            acc = mcu_smlad(mcu_load_u32(r0 + x), k0, acc) + r0[x + 2] * w02;
                            acc = mcu_smlad(mcu_load_u32(r1 + x), k1, acc) + r1[x + 2] * w12;
                            acc = mcu_smlad(mcu_load_u32(r2 + x), k2, acc) + r2[x + 2] * w22;
                            op[0] = mcu_out_dsp(acc, mult, right, zp, lo, hi, full);
                            op += c;
                        }
                    }
                }
            }
        }
    }
}

/* ---- interleaved-row kernel (clamp modes MCU_CLAMP_SSAT and MCU_CLAMP_SSAT_LO) ------------------
 * The three input rows of the current output row live in one buffer, interleaved per channel and
 * column pair: word ((ch * pairs + j) * 3 + r) holds columns 2j, 2j + 1 of window row r as int16, so
 * every tap of two neighbouring outputs is an immediate offset from one pointer. Input row iy lives in
 * slot iy mod 3 (filled once), and the kernels are specialized for the three slot rotations. A
 * 12-word table per channel holds the doubled packed weights, the doubled start value of the
 * accumulator, the requantization constants (mcu_requant2_dsp, act_min folded in) and where the
 * channel's column pairs start and end in the ring. */
enum { DW_K0, DW_K3, DW_K1, DW_K2, DW_K4, DW_BASE, DW_M, DW_KQ, DW_R, DW_LO, DW_P, DW_END, DW_WORDS };
/* the stride-1 constants in flash (ops.dw3x3_s1_table): one word (any post-shift zero point), then words
 * DW_BASE .. DW_LO of the above per channel */
enum { DW_TAB = DW_P };

static void dw_fill_table(const mcu_dw_conv_params *params, const mcu_per_channel_quant *quant,
                          const int8_t *filter, const int32_t *bias, int32_t c, int32_t fold, int32_t *t,
                          int32_t c0, int32_t c1)
{
    const int32_t in_off = params->input_offset, zp = params->output_offset;
    for (int32_t ch = c0; ch < c1; ++ch) {
        const int8_t *wp = filter + ch;
        const int32_t w00 = wp[0], w01 = wp[c], w02 = wp[2 * c];
        const int32_t w10 = wp[3 * c], w11 = wp[4 * c], w12 = wp[5 * c];
        const int32_t w20 = wp[6 * c], w21 = wp[7 * c], w22 = wp[8 * c];
        const int32_t r = -quant->shift[ch];
        t[DW_K0] = (int32_t)pack16(2 * w00, 2 * w01);
        t[DW_K1] = (int32_t)pack16(2 * w10, 2 * w11);
        t[DW_K2] = (int32_t)pack16(2 * w20, 2 * w21);
        t[DW_K3] = (int32_t)pack16(2 * w02, 2 * w12);
        t[DW_K4] = (int32_t)pack16(2 * w22, 0);
        t[DW_BASE] = 2 * ((bias ? bias[ch] : 0) +
                          in_off * (w00 + w01 + w02 + w10 + w11 + w12 + w20 + w21 + w22));
        t[DW_M] = quant->multiplier[ch];
        mcu_requant_consts(zp - fold, r, &t[DW_KQ], &t[DW_R]);
        t[DW_LO] = fold;
        t += DW_WORDS;
    }
}

/* The ring fill. Two columns' words a and b of four channels become the channels' (a, b) int16 pairs with
 * two PKHBT / PKHTB on the bytes first ([a0 a1 b0 b1], [a2 a3 b2 b3]) and four SXTB16 (plain: channels 0
 * and 2, ror #8: channels 1 and 3), stored cstride words apart. */
#define DW_PACK_STORE \
        "sxtb16 %[a], %[t]\n\t" \
        "sxtb16 %[t], %[t], ror #8\n\t" \
        "sxtb16 %[b], %[u]\n\t" \
        "sxtb16 %[u], %[u], ror #8\n\t" \
        "str    %[t], [%[d], %[cs1]]\n\t" \
        "str    %[b], [%[d], %[cs2]]\n\t" \
        "str    %[u], [%[d], %[cs3]]\n\t"

/* n >= 1 column pairs whose columns both lie inside the input, every group of four of the cn channels: the
 * pairs' first column at p (channel 0; pixels c bytes apart), their ring words at d (channel ch's cstride * ch
 * words on, the next pair's 3 words on). Pairs inner, groups outer: 14 instructions per pair and group (8
 * values). */
static inline __attribute__((always_inline)) void dw_pack_run(const int8_t *p, uint32_t *d, int32_t c,
                                                              int32_t cstride, int32_t n, int32_t cn)
{
    const int32_t cs1 = 4 * cstride, cs2 = 8 * cstride, cs3 = 12 * cstride;
    const int32_t span = 2 * c * n;
    const int32_t frame_pback = 4 - span, frame_dback = 16 * cstride - 12 * n;
    const int8_t *const frame_gend = p + cn;
    const int8_t *pend;
    uint32_t a, b, t, u;
    __asm__ volatile(
        "0:\n\t"
        "add    %[pend], %[p], %[span]\n\t"
        "1:\n\t"
        "ldr    %[b], [%[p], %[c]]\n\t"
        "ldr    %[a], [%[p]]\n\t"
        "add    %[p], %[p], %[c], lsl #1\n\t"
        "pkhbt  %[t], %[a], %[b], lsl #16\n\t"
        "pkhtb  %[u], %[b], %[a], asr #16\n\t"
        DW_PACK_STORE
        "str    %[a], [%[d]], #12\n\t"
        "cmp    %[p], %[pend]\n\t"
        "bne    1b\n\t"
        "ldr    %[a], %[fpback]\n\t"
        "add    %[p], %[p], %[a]\n\t"
        "ldr    %[a], %[fdback]\n\t"
        "add    %[d], %[d], %[a]\n\t"
        "ldr    %[a], %[fgend]\n\t"
        "cmp    %[p], %[a]\n\t"
        "bne    0b\n\t"
        : [p] "+&r"(p), [d] "+&r"(d), [pend] "=&r"(pend), [a] "=&r"(a), [b] "=&r"(b), [t] "=&r"(t),
          [u] "=&r"(u)
        : [c] "r"(c), [cs1] "r"(cs1), [cs2] "r"(cs2), [cs3] "r"(cs3), [span] "r"(span),
          [fpback] "m"(frame_pback), [fdback] "m"(frame_dback), [fgend] "m"(frame_gend)
        : "cc", "memory");
    (void)pend, (void)a, (void)b, (void)t, (void)u;
}

/* One column pair with one column in the padding (zb: the input zero point in every byte), every group
 * of four channels: the other column at p (channel 0); right: the column inside is the pair's first. */
static void dw_pack_edge(const int8_t *p, uint32_t *d, int32_t c, int32_t cstride, uint32_t zb, int right)
{
    const int32_t cs1 = 4 * cstride, cs2 = 8 * cstride, cs3 = 12 * cstride, cs4 = 16 * cstride;
    const int8_t *const pend = p + c;
    uint32_t a, b, t, u;
#define DW_PACK_EDGE(PK) \
    __asm__ volatile( \
        "1:\n\t" \
        "ldr    %[a], [%[p]], #4\n\t" \
        PK \
        DW_PACK_STORE \
        "str    %[a], [%[d]]\n\t" \
        "add    %[d], %[d], %[cs4]\n\t" \
        "cmp    %[p], %[pend]\n\t" \
        "bne    1b\n\t" \
        : [p] "+&r"(p), [d] "+&r"(d), [a] "=&r"(a), [b] "=&r"(b), [t] "=&r"(t), [u] "=&r"(u) \
        : [zb] "r"(zb), [pend] "r"(pend), [cs1] "r"(cs1), [cs2] "r"(cs2), [cs3] "r"(cs3), [cs4] "r"(cs4) \
        : "cc", "memory")
    if (right) {
        DW_PACK_EDGE("pkhbt  %[t], %[a], %[zb], lsl #16\n\t"
                     "pkhtb  %[u], %[zb], %[a], asr #16\n\t");
    } else {
        DW_PACK_EDGE("pkhbt  %[t], %[zb], %[a], lsl #16\n\t"
                     "pkhtb  %[u], %[a], %[zb], asr #16\n\t");
    }
#undef DW_PACK_EDGE
    (void)a, (void)b, (void)t, (void)u;
}

/* Which column pairs of a ring row hold what, the same for every input row of a layer: pairs 0 .. used - 1
 * are read; pair 0 has its first column in the padding when pad_w = 1 (left); pairs full .. full + nfull
 * - 1 lie inside the input; pair right_j (when right) has its second column in the padding; the pairs
 * from pad_j on lie wholly in the padding. */
typedef struct {
    int32_t c, w, h, cstride, used, pad_w, left, full, nfull, right, right_j, pad_j;
    uint32_t zb, zz;
    int32_t cs; /* bytes from one input pixel to the next (c: the channels filled, a chunk of cs) */
} dw_fill_plan;

static void dw_plan(const mcu_dims *in, int32_t pad_w, int32_t pairs, int32_t used, int16_t zp, dw_fill_plan *f)
{
    f->c = in->c, f->cs = in->c, f->w = in->w, f->h = in->h, f->cstride = 3 * pairs, f->used = used;
    f->pad_w = pad_w;
    f->left = pad_w == 1 && used > 0 && in->w > 0;
    f->full = f->left;
    f->nfull = mcu_min_i32(used, (in->w + pad_w) / 2) - f->full;
    if (f->nfull < 0) {
        f->nfull = 0;
    }
    const int32_t j = f->full + f->nfull; /* the first pair after the full ones */
    f->right = j < used && 2 * j - pad_w < in->w && 2 * j - pad_w >= 0;
    f->right_j = j;
    f->pad_j = j + f->right;
    f->zb = 0x01010101u * (uint8_t)zp;
    f->zz = pack16(zp, zp);
}

/* Ring slot r of the buffer <- input row iy (columns -pad_w ..), padding = the input zero point: the
 * first `used` column pairs of every channel (the ones the kernels read); the pairs wholly in the padding
 * only when the slot is filled for the first time (`first`: they hold the zero point ever after).
 * chunked: the plan's c channels are a chunk of the cs between pixels; else cs = c (the whole depth). */
static inline __attribute__((always_inline)) void dw_fill_row_body(const dw_fill_plan *f, const int8_t *in_batch,
                                                                  int32_t iy, int first, int32_t r, uint32_t *buf,
                                                                  const int chunked)
{
    const int32_t c = f->c, cs = chunked ? f->cs : f->c, cstride = f->cstride, used = f->used;
    const uint32_t zz = f->zz;
    uint32_t *d0 = buf + r;
    if (iy < 0 || iy >= f->h) {
        for (int32_t ch = 0; ch < c; ++ch) {
            uint32_t *d = d0 + (int64_t)ch * cstride;
            for (uint32_t *e = d + 3 * used; d != e; d += 3) {
                *d = zz;
            }
        }
        return;
    }
    const int8_t *row = in_batch + (int64_t)iy * f->w * cs;
    if (f->left) { /* columns -1 and 0 */
        dw_pack_edge(row, d0, c, cstride, f->zb, 0);
    }
    if (f->nfull > 0) {
        dw_pack_run(row + (int64_t)(2 * f->full - f->pad_w) * cs, d0 + 3 * f->full, cs, cstride, f->nfull, c);
    }
    if (f->right) { /* columns w - 1 and w */
        dw_pack_edge(row + (int64_t)(f->w - 1) * cs, d0 + 3 * f->right_j, c, cstride, f->zb, 1);
    }
    for (int32_t j = f->pad_j; first && j < used; ++j) {
        uint32_t *d = d0 + 3 * j;
        for (uint32_t *e = d + (int64_t)c * cstride; d != e; d += cstride) {
            *d = zz;
        }
    }
}

/* dw_fill_row_body for the whole depth and for a chunk, so a firmware links the one its layers use */
static __attribute__((noinline)) void dw_fill_row(const dw_fill_plan *f, const int8_t *in_batch, int32_t iy,
                                                  int first, int32_t r, uint32_t *buf)
{
    dw_fill_row_body(f, in_batch, iy, first, r, buf, 0);
}

static __attribute__((noinline)) void dw_fill_row_chunk(const dw_fill_plan *f, const int8_t *in_batch, int32_t iy,
                                                        int first, int32_t r, uint32_t *buf)
{
    dw_fill_row_body(f, in_batch, iy, first, r, buf, 1);
}

/* The zero point added after the shift (xa holds the channel's rz, mcu_requant_consts); clamp mode
 * MCU_CLAMP_SSAT only (with the lower clamp, tables needing it run depthwise_body). */
#define DW_POST(A) "add    %[" A "], %[" A "], %[xa], asr #8\n\t"

#define DW_LO_CLAMP(A) \
    "bic    %[" A "], %[" A "], %[" A "], asr #31\n\t" \
    "add    %[" A "], %[" A "], %[xb]\n\t"

/* Window row r of a column pair is at byte offset Ar (the ring slot of its input row); Br = Ar + 12 is
 * the same row in the next column pair. */

/* Requantize a0 and a1 with the channel's table, store them at op and op + c, advance op by 2c. */
#define DW_REQUANT_STORE_PAIR(LO_A, LO_B) \
        "ldrd   %[xa], %[xb], [%[tp], #24]\n\t" \
        "smmlar %[xb], %[a0], %[xa], %[xb]\n\t" \
        "add    %[a0], %[xb], %[a0], asr #31\n\t" \
        "ldr    %[xb], [%[tp], #28]\n\t" \
        "smmlar %[xb], %[a1], %[xa], %[xb]\n\t" \
        "add    %[a1], %[xb], %[a1], asr #31\n\t" \
        "ldrd   %[xa], %[xb], [%[tp], #32]\n\t" \
        "asr    %[a0], %[a0], %[xa]\n\t" \
        "asr    %[a1], %[a1], %[xa]\n\t" \
        LO_A LO_B \
        "ssat   %[a0], #8, %[a0]\n\t" \
        "ssat   %[a1], #8, %[a1]\n\t" \
        "strb   %[a0], [%[op]]\n\t" \
        "strb   %[a1], [%[op], %[c]]\n\t" \
        "add    %[op], %[op], %[c], lsl #1\n\t"

/* Two outputs (columns 2j and 2j + 1 of the window, j = the column pair at p), stored at op and op + c;
 * p and op advance. */
#define DW_PAIR_K(K0, K1, K2, K3, K4, A0, A1, A2, B0, B1, B2, LO_A, LO_B) \
        "ldr    %[a0], [%[tp], #20]\n\t" \
        "ldr    %[xa], [%[p], #" A0 "]\n\t" \
        "ldr    %[xb], [%[p], #" B0 "]\n\t" \
        "smlatb %[a1], %[xb], %[" K3 "], %[a0]\n\t" \
        "smlad  %[a0], %[xa], %[" K0 "], %[a0]\n\t" \
        "smlabb %[a0], %[xb], %[" K3 "], %[a0]\n\t" \
        "pkhbt  %[xa], %[xb], %[xa]\n\t" \
        "smladx %[a1], %[xa], %[" K0 "], %[a1]\n\t" \
        "ldr    %[xa], [%[p], #" A1 "]\n\t" \
        "ldr    %[xb], [%[p], #" B1 "]\n\t" \
        "smlad  %[a0], %[xa], %[" K1 "], %[a0]\n\t" \
        "smlabt %[a0], %[xb], %[" K3 "], %[a0]\n\t" \
        "smlatt %[a1], %[xb], %[" K3 "], %[a1]\n\t" \
        "pkhbt  %[xa], %[xb], %[xa]\n\t" \
        "smladx %[a1], %[xa], %[" K1 "], %[a1]\n\t" \
        "ldr    %[xa], [%[p], #" A2 "]\n\t" \
        "ldr    %[xb], [%[p], #" B2 "]\n\t" \
        "smlad  %[a0], %[xa], %[" K2 "], %[a0]\n\t" \
        "smlabb %[a0], %[xb], %[" K4 "], %[a0]\n\t" \
        "smlatb %[a1], %[xb], %[" K4 "], %[a1]\n\t" \
        "pkhbt  %[xa], %[xb], %[xa]\n\t" \
        "smladx %[a1], %[xa], %[" K2 "], %[a1]\n\t" \
        DW_REQUANT_STORE_PAIR(LO_A, LO_B) \
        "add    %[p], %[p], #12\n\t"

/* One output (columns 2j .. 2j + 2 of the window) stored at op; p and op do not move. */
#define DW_ONE_K(K0, K1, K2, K3, K4, A0, A1, A2, B0, B1, B2, LO_A) \
        "ldr    %[a0], [%[tp], #20]\n\t" \
        "ldr    %[xa], [%[p], #" A0 "]\n\t" \
        "ldr    %[xb], [%[p], #" B0 "]\n\t" \
        "smlad  %[a0], %[xa], %[" K0 "], %[a0]\n\t" \
        "smlabb %[a0], %[xb], %[" K3 "], %[a0]\n\t" \
        "ldr    %[xa], [%[p], #" A1 "]\n\t" \
        "ldr    %[xb], [%[p], #" B1 "]\n\t" \
        "smlad  %[a0], %[xa], %[" K1 "], %[a0]\n\t" \
        "smlabt %[a0], %[xb], %[" K3 "], %[a0]\n\t" \
        "ldr    %[xa], [%[p], #" A2 "]\n\t" \
        "ldr    %[xb], [%[p], #" B2 "]\n\t" \
        "smlad  %[a0], %[xa], %[" K2 "], %[a0]\n\t" \
        "smlabb %[a0], %[xb], %[" K4 "], %[a0]\n\t" \
        "ldrd   %[xa], %[xb], [%[tp], #24]\n\t" \
        "smmlar %[xb], %[a0], %[xa], %[xb]\n\t" \
        "add    %[a0], %[xb], %[a0], asr #31\n\t" \
        "ldrd   %[xa], %[xb], [%[tp], #32]\n\t" \
        "asr    %[a0], %[a0], %[xa]\n\t" \
        LO_A \
        "ssat   %[a0], #8, %[a0]\n\t" \
        "strb   %[a0], [%[op]]\n\t"

#define DW_CHANNEL_END \
        "add    %[tp], %[tp], #48\n\t" \
        "ldr    %[xa], %[ftpend]\n\t" \
        "cmp    %[tp], %[xa]\n\t" \
        "bne    0b\n\t"

/* Stride 1, four outputs per step (columns 4q .. 4q + 5 of window row r in the column pairs A, B, C at
 * p): the weights of the row (kr: (w_r0, w_r1), kw: the third column's, MB / MT pick its half) loaded
 * per row, the start value of every accumulator from a3 (S0 .. S2 in row 0). */
#define DW_QROW(A, B, C, MB, MT, S0, S1, S2) \
        "ldr    %[xa], [%[p], #" A "]\n\t" \
        "ldr    %[xb], [%[p], #" B "]\n\t" \
        "smlad  %[a0], %[xa], %[kr], %[" S0 "]\n\t" \
        MB "  %[a0], %[xb], %[kw], %[a0]\n\t" \
        "pkhbt  %[xa], %[xb], %[xa]\n\t" \
        "smladx %[a1], %[xa], %[kr], %[" S1 "]\n\t" \
        MT "  %[a1], %[xb], %[kw], %[a1]\n\t" \
        "smlad  %[a2], %[xb], %[kr], %[" S2 "]\n\t" \
        "ldr    %[xa], [%[p], #" C "]\n\t" \
        MB "  %[a2], %[xa], %[kw], %[a2]\n\t" \
        MT "  %[a3], %[xa], %[kw], %[a3]\n\t" \
        "pkhbt  %[xa], %[xa], %[xb]\n\t" \
        "smladx %[a3], %[xa], %[kr], %[a3]\n\t"

/* Requantize a0 .. a3 (the sign term folded into k first), store them at op, op + c, op + 2c, op + 3c. */
#define DW_RQ4(A) \
        "add    %[kr], %[xb], %[" A "], asr #31\n\t" \
        "smmlar %[" A "], %[" A "], %[xa], %[kr]\n\t"
#define DW_QUAD_REQUANT_STORE(LO) \
        "ldrd   %[xa], %[xb], [%[tp], #24]\n\t" \
        DW_RQ4("a0") DW_RQ4("a1") DW_RQ4("a2") DW_RQ4("a3") \
        "ldrd   %[xa], %[xb], [%[tp], #32]\n\t" \
        "asr    %[a0], %[a0], %[xa]\n\t" \
        "asr    %[a1], %[a1], %[xa]\n\t" \
        "asr    %[a2], %[a2], %[xa]\n\t" \
        "asr    %[a3], %[a3], %[xa]\n\t" \
        LO("a0") LO("a1") LO("a2") LO("a3") \
        "ssat   %[a0], #8, %[a0]\n\t" \
        "ssat   %[a1], #8, %[a1]\n\t" \
        "ssat   %[a2], #8, %[a2]\n\t" \
        "ssat   %[a3], #8, %[a3]\n\t" \
        "strb   %[a0], [%[op]]\n\t" \
        "strb   %[a1], [%[op], %[c]]\n\t" \
        "add    %[op], %[op], %[c], lsl #1\n\t" \
        "strb   %[a2], [%[op]]\n\t" \
        "strb   %[a3], [%[op], %[c]]\n\t" \
        "add    %[op], %[op], %[c], lsl #1\n\t"

/* The tails after the quads (frem = out_w mod 4): the weights into kr, a2, a3, kw, end for the pair and
 * single-output steps. */
#define DW_QLOADK \
        "ldrd   %[kr], %[kw], [%[tp]]\n\t" \
        "ldrd   %[a2], %[a3], [%[tp], #8]\n\t" \
        "ldr    %[end], [%[tp], #16]\n\t"

/* Four stride-1 outputs at p: the three window rows' taps against the row weights, requantized and stored. */
#define DW_S1_QUAD(A0, A1, A2, B0, B1, B2, C0, C1, C2, LO) \
        "ldr    %[a3], [%[tp], #20]\n\t" \
        "ldrd   %[kr], %[kw], [%[tp]]\n\t" \
        DW_QROW(A0, B0, C0, "smlabb", "smlatb", "a3", "a3", "a3") \
        "ldr    %[kr], [%[tp], #8]\n\t" \
        DW_QROW(A1, B1, C1, "smlabt", "smlatt", "a0", "a1", "a2") \
        "ldrd   %[kr], %[kw], [%[tp], #12]\n\t" \
        DW_QROW(A2, B2, C2, "smlabb", "smlatb", "a0", "a1", "a2") \
        DW_QUAD_REQUANT_STORE(LO)

/* Stride 1: span = 24 * (out_w / 4) bytes of quads, then a pair and / or one output (frem). */
#define DW_S1_ROW(A0, A1, A2, B0, B1, B2, C0, C1, C2, LO) \
        "0:\n\t" \
        "ldrd   %[p], %[end], [%[tp], #40]\n\t" \
        "ldr    %[op], %[fop]\n\t" \
        "add    %[xa], %[op], #1\n\t" \
        "str    %[xa], %[fop]\n\t" \
        "cmp    %[p], %[end]\n\t" \
        "beq    2f\n\t" \
        "1:\n\t" \
        DW_S1_QUAD(A0, A1, A2, B0, B1, B2, C0, C1, C2, LO) \
        "add    %[p], %[p], #24\n\t" \
        "cmp    %[p], %[end]\n\t" \
        "bne    1b\n\t" \
        "2:\n\t" \
        "ldr    %[xa], %[frem]\n\t" \
        "cmp    %[xa], #0\n\t" \
        "beq    4f\n\t" \
        DW_QLOADK \
        "tst    %[xa], #2\n\t" \
        "beq    3f\n\t" \
        DW_PAIR_K("kr", "a2", "a3", "kw", "end", A0, A1, A2, B0, B1, B2, LO("a0"), LO("a1")) \
        "ldr    %[xa], %[frem]\n\t" \
        "3:\n\t" \
        "tst    %[xa], #1\n\t" \
        "beq    4f\n\t" \
        DW_ONE_K("kr", "a2", "a3", "kw", "end", A0, A1, A2, B0, B1, B2, LO("a0")) \
        "4:\n\t" \
        DW_CHANNEL_END

/* Stride 1, widths 4q + 1 >= 5: the quads but the last (the loop end from the table: the register holds
 * a fifth accumulator), then five outputs in one step (columns 4q .. 4q + 6: pairs A .. D), so the fifth
 * shares the window rows' weights and the requantization constants instead of a single-output tail. */
#define DW_QROW5(A, B, C, D, MB, MT, S0, S1, S2, S4) \
        "ldr    %[xa], [%[p], #" A "]\n\t" \
        "ldr    %[xb], [%[p], #" B "]\n\t" \
        "smlad  %[a0], %[xa], %[kr], %[" S0 "]\n\t" \
        MB "  %[a0], %[xb], %[kw], %[a0]\n\t" \
        "pkhbt  %[xa], %[xb], %[xa]\n\t" \
        "smladx %[a1], %[xa], %[kr], %[" S1 "]\n\t" \
        MT "  %[a1], %[xb], %[kw], %[a1]\n\t" \
        "smlad  %[a2], %[xb], %[kr], %[" S2 "]\n\t" \
        "ldr    %[xa], [%[p], #" C "]\n\t" \
        "smlad  %[a4], %[xa], %[kr], %[" S4 "]\n\t" \
        MB "  %[a2], %[xa], %[kw], %[a2]\n\t" \
        MT "  %[a3], %[xa], %[kw], %[a3]\n\t" \
        "pkhbt  %[xa], %[xa], %[xb]\n\t" \
        "smladx %[a3], %[xa], %[kr], %[a3]\n\t" \
        "ldr    %[xa], [%[p], #" D "]\n\t" \
        MB "  %[a4], %[xa], %[kw], %[a4]\n\t"

#define DW_QUINT_REQUANT_STORE(LO) \
        "ldrd   %[xa], %[xb], [%[tp], #24]\n\t" \
        DW_RQ4("a0") DW_RQ4("a1") DW_RQ4("a2") DW_RQ4("a3") DW_RQ4("a4") \
        "ldrd   %[xa], %[xb], [%[tp], #32]\n\t" \
        "asr    %[a0], %[a0], %[xa]\n\t" \
        "asr    %[a1], %[a1], %[xa]\n\t" \
        "asr    %[a2], %[a2], %[xa]\n\t" \
        "asr    %[a3], %[a3], %[xa]\n\t" \
        "asr    %[a4], %[a4], %[xa]\n\t" \
        LO("a0") LO("a1") LO("a2") LO("a3") LO("a4") \
        "ssat   %[a0], #8, %[a0]\n\t" \
        "ssat   %[a1], #8, %[a1]\n\t" \
        "ssat   %[a2], #8, %[a2]\n\t" \
        "ssat   %[a3], #8, %[a3]\n\t" \
        "ssat   %[a4], #8, %[a4]\n\t" \
        "strb   %[a0], [%[op]]\n\t" \
        "strb   %[a1], [%[op], %[c]]\n\t" \
        "add    %[op], %[op], %[c], lsl #1\n\t" \
        "strb   %[a2], [%[op]]\n\t" \
        "strb   %[a3], [%[op], %[c]]\n\t" \
        "strb   %[a4], [%[op], %[c], lsl #1]\n\t"

#define DW_S1_ROW5(A0, A1, A2, B0, B1, B2, C0, C1, C2, D0, D1, D2, LO) \
        "0:\n\t" \
        "ldr    %[p], [%[tp], #40]\n\t" \
        "ldr    %[op], %[fop]\n\t" \
        "add    %[xa], %[op], #1\n\t" \
        "str    %[xa], %[fop]\n\t" \
        "ldr    %[xa], [%[tp], #44]\n\t" \
        "cmp    %[p], %[xa]\n\t" \
        "beq    2f\n\t" \
        "1:\n\t" \
        DW_S1_QUAD(A0, A1, A2, B0, B1, B2, C0, C1, C2, LO) \
        "add    %[p], %[p], #24\n\t" \
        "ldr    %[xa], [%[tp], #44]\n\t" \
        "cmp    %[p], %[xa]\n\t" \
        "bne    1b\n\t" \
        "2:\n\t" \
        "ldr    %[a3], [%[tp], #20]\n\t" \
        "ldrd   %[kr], %[kw], [%[tp]]\n\t" \
        DW_QROW5(A0, B0, C0, D0, "smlabb", "smlatb", "a3", "a3", "a3", "a3") \
        "ldr    %[kr], [%[tp], #8]\n\t" \
        DW_QROW5(A1, B1, C1, D1, "smlabt", "smlatt", "a0", "a1", "a2", "a4") \
        "ldrd   %[kr], %[kw], [%[tp], #12]\n\t" \
        DW_QROW5(A2, B2, C2, D2, "smlabb", "smlatb", "a0", "a1", "a2", "a4") \
        DW_QUINT_REQUANT_STORE(LO) \
        DW_CHANNEL_END

#define DW_S15_OPERANDS \
    : [p] "=&r"(p), [op] "=&r"(op), [a4] "=&r"(a4), [tp] "+&r"(tp), [kr] "=&r"(kr), [kw] "=&r"(kw), \
      [a0] "=&r"(a0), [a1] "=&r"(a1), [a2] "=&r"(a2), [a3] "=&r"(a3), [xa] "=&r"(xa), [xb] "=&r"(xb), \
      [fop] "+m"(frame_op) \
    : [c] "r"(c), [ftpend] "m"(frame_tpend) \
    : "cc", "memory"

#define DW_S1_OPERANDS \
    : [p] "=&r"(p), [op] "=&r"(op), [end] "=&r"(end), [tp] "+&r"(tp), [kr] "=&r"(kr), [kw] "=&r"(kw), \
      [a0] "=&r"(a0), [a1] "=&r"(a1), [a2] "=&r"(a2), [a3] "=&r"(a3), [xa] "=&r"(xa), [xb] "=&r"(xb), \
      [fop] "+m"(frame_op) \
    : [c] "r"(c), [ftpend] "m"(frame_tpend), [frem] "m"(frame_rem) \
    : "cc", "memory"
#define DW_NO_LO(A) ""

#define DW_ROT0 "0", "4", "8", "12", "16", "20"
#define DW_ROT1 "4", "8", "0", "16", "20", "12"
#define DW_ROT2 "8", "0", "4", "20", "12", "16"
#define DW_ROT0C DW_ROT0, "24", "28", "32"
#define DW_ROT1C DW_ROT1, "28", "32", "24"
#define DW_ROT2C DW_ROT2, "32", "24", "28"
#define DW_ROT0D DW_ROT0C, "36", "40", "44"
#define DW_ROT1D DW_ROT1C, "40", "44", "36"
#define DW_ROT2D DW_ROT2C, "44", "36", "40"
#define DW_EXPAND(M, ...) M(__VA_ARGS__)
/* One row's assembly ROW for the ring rotation rot (window row 0 in slot rot: register orders R0, R1, R2). */
#define DW_ROTATIONS(ROW, R0, R1, R2, OPERANDS, LO) \
    do { \
        if (rot == 0) { \
            __asm__ volatile(DW_EXPAND(ROW, R0, LO) OPERANDS); \
        } else if (rot == 1) { \
            __asm__ volatile(DW_EXPAND(ROW, R1, LO) OPERANDS); \
        } else { \
            __asm__ volatile(DW_EXPAND(ROW, R2, LO) OPERANDS); \
        } \
    } while (0)
#define DW_S1_ROTATIONS(LO) DW_ROTATIONS(DW_S1_ROW, DW_ROT0C, DW_ROT1C, DW_ROT2C, DW_S1_OPERANDS, LO)
#define DW_S15_ROTATIONS(LO) DW_ROTATIONS(DW_S1_ROW5, DW_ROT0D, DW_ROT1D, DW_ROT2D, DW_S15_OPERANDS, LO)

/* ROTATIONS with the lower clamp (lo), else the post-shift zero point (post), else neither. */
#define DW_CLAMP_VARIANTS(ROTATIONS) \
    do { \
        if (lo) { \
            ROTATIONS(DW_LO_CLAMP); \
        } else if (post) { \
            ROTATIONS(DW_POST); \
        } else { \
            ROTATIONS(DW_NO_LO); \
        } \
    } while (0)

/* Whether a stride-1 row of out_w outputs ends with the five-output step. */
static inline int dw_quint(int32_t out_w)
{
    return (out_w & 3) == 1 && out_w >= 5;
}

/* dw_row for stride-1 rows of 4q + 1 >= 5 outputs (dw_quint). */
static inline __attribute__((always_inline)) void dw_row_quint(int8_t *out_row, const int32_t *table, int32_t c,
                                                              int32_t cn, const int lo, const int post, int32_t rot)
{
    int8_t *frame_op = out_row;
    const int32_t *frame_tpend = table + DW_WORDS * cn;
    const int32_t *tp = table;
    const uint32_t *p;
    int8_t *op;
    uint32_t kr, kw, xa, xb;
    int32_t a0, a1, a2, a3, a4;
    DW_CLAMP_VARIANTS(DW_S15_ROTATIONS);
    (void)p, (void)op, (void)kr, (void)kw, (void)xa, (void)xb, (void)a0, (void)a1, (void)a2, (void)a3, (void)a4;
}

/* The cn channels of one stride-1 output row: channel ch reads the ring from buf + 3 * pairs * ch (words)
 * and writes out_row + ch (output pixels c bytes apart); rot = ring slot of window row 0; tail = (out_w mod
 * 4) | 4 * post (one argument for both, so the row takes no more arguments than before the chunks: cn). */
static inline __attribute__((always_inline)) void dw_row(int8_t *out_row, const int32_t *table, int32_t c,
                                                        int32_t cn, const int lo, int32_t tail, int32_t rot)
{
    int8_t *frame_op = out_row;
    const int32_t *frame_tpend = table + DW_WORDS * cn;
    const int32_t *tp = table;
    const int32_t frame_rem = tail & 3;
    const int post = tail & 4;
    const uint32_t *p, *end;
    int8_t *op;
    uint32_t kr, kw, xa, xb;
    int32_t a0, a1, a2, a3;
    DW_CLAMP_VARIANTS(DW_S1_ROTATIONS);
    (void)p, (void)end, (void)op, (void)kr, (void)kw, (void)xa, (void)xb, (void)a0, (void)a1, (void)a2, (void)a3;
}

/* dw_row for one lower clamp, so a firmware links only those its layers use. */
typedef void (*dw_row_fn)(int8_t *out_row, const int32_t *table, int32_t c, int32_t cn, int32_t tail, int32_t rot);
#define DW_ROW_FN(NAME, LO) \
    static void NAME(int8_t *out_row, const int32_t *table, int32_t c, int32_t cn, int32_t tail, int32_t rot) \
    { \
        dw_row(out_row, table, c, cn, LO, tail, rot); \
    }
DW_ROW_FN(dw_row_s1, 0)
DW_ROW_FN(dw_row_s1_lo, 1)
#undef DW_ROW_FN

/* The stride-1 scratch table from the int8 filter and the code generator's constants (src: per channel
 * DW_TAB - DW_BASE words, base .. lo) for the channels' rows at p (the first channel's), pstride bytes apart,
 * their quads ending span bytes on. Per group of four channels the nine tap words are loaded once; two taps'
 * words become the four channels' doubled (w_a, w_b) pairs with a PKHBT / PKHTB on the bytes, four SXTB16
 * and four SADD16. */
/* Taps a and b (words of four channels' int8 weights) as the four channels' doubled (w_a, w_b) int16 pairs at
 * t, t + DW_WORDS, ... */
static inline __attribute__((always_inline)) void dw_weight_pairs(uint32_t a, uint32_t b, int32_t *t)
{
    uint32_t lo, hi;
    __asm__("pkhbt  %0, %1, %2, lsl #16" : "=r"(lo) : "r"(a), "r"(b));
    __asm__("pkhtb  %0, %1, %2, asr #16" : "=r"(hi) : "r"(b), "r"(a));
    const uint32_t e0 = mcu_sxtb16(lo), e1 = mcu_sxtb16_ror8(lo), e2 = mcu_sxtb16(hi), e3 = mcu_sxtb16_ror8(hi);
    t[0] = (int32_t)(uint32_t)__sadd16((int16x2_t)e0, (int16x2_t)e0);
    t[DW_WORDS] = (int32_t)(uint32_t)__sadd16((int16x2_t)e1, (int16x2_t)e1);
    t[2 * DW_WORDS] = (int32_t)(uint32_t)__sadd16((int16x2_t)e2, (int16x2_t)e2);
    t[3 * DW_WORDS] = (int32_t)(uint32_t)__sadd16((int16x2_t)e3, (int16x2_t)e3);
}

static __attribute__((noinline)) void dw_s1_table(const int8_t *filter, const int32_t *src, int32_t cn, int32_t *table,
                                                  const uint32_t *p, int32_t span, int32_t pstride, int32_t c)
{
    const uint32_t *const pend = (const uint32_t *)(const void *)((const uint8_t *)(const void *)p + pstride * cn);
    for (int32_t *t = table; p != pend; filter += 4) {
        const uint32_t w0 = mcu_load_u32(filter), w1 = mcu_load_u32(filter + c), w2 = mcu_load_u32(filter + 2 * c);
        const uint32_t w3 = mcu_load_u32(filter + 3 * c), w4 = mcu_load_u32(filter + 4 * c);
        const uint32_t w5 = mcu_load_u32(filter + 5 * c), w6 = mcu_load_u32(filter + 6 * c);
        const uint32_t w7 = mcu_load_u32(filter + 7 * c), w8 = mcu_load_u32(filter + 8 * c);
        dw_weight_pairs(w0, w1, t + DW_K0);
        dw_weight_pairs(w2, w5, t + DW_K3);
        dw_weight_pairs(w3, w4, t + DW_K1);
        dw_weight_pairs(w6, w7, t + DW_K2);
        dw_weight_pairs(w8, 0, t + DW_K4);
        for (int32_t j = 0; j < 4; ++j, t += DW_WORDS, src += DW_TAB - DW_BASE) {
            memcpy(t + DW_BASE, src, (DW_TAB - DW_BASE) * sizeof(int32_t));
            t[DW_P] = (int32_t)(uintptr_t)p;
            t[DW_END] = (int32_t)(uintptr_t)p + span;
            p = (const uint32_t *)(const void *)((const uint8_t *)(const void *)p + pstride);
        }
    }
}

/* quint: stride 1 and dw_quint(out_w) (instantiated apart, so the other rows keep their code); else the rows
 * run `row`. chunked: the channels in chunks of params->chunk; else the whole depth at once, compiled without
 * the chunk loop (the entry points without _chunk: a layer the code generator leaves unchunked pays nothing
 * for the chunks). */
static inline __attribute__((always_inline)) void depthwise_rows(
    const mcu_dw_conv_params *params, const mcu_per_channel_quant *quant, const mcu_dims *input_dims,
    const int8_t *input, const int8_t *filter, const int32_t *bias, const mcu_dims *output_dims, int8_t *output,
    int16_t *scratch, const int lo, const int quint, const dw_row_fn row, const int tab, const int chunked)
{
    const int32_t in_h = input_dims->h, in_w = input_dims->w, c = input_dims->c;
    const int32_t out_h = output_dims->h, out_w = output_dims->w;
    const int32_t sh = params->stride.h, sw = params->stride.w;
    const int32_t pairs = mcu_depthwise_dsp_row_width(input_dims) / 2;
    const int16_t pad_val = (int16_t)(-params->input_offset);
    uint32_t *buf = (uint32_t *)(void *)scratch;
    /* channels c0 .. c1 - 1 at a time (params->chunk: the ring and the table hold a chunk's) */
    const int32_t chunk = chunked && params->chunk > 0 && params->chunk < c ? params->chunk : c;
    int32_t *table = (int32_t *)(void *)(buf + 3 * (int64_t)chunk * pairs);
    /* column pairs the kernels read: up to input column out_w + 1 (stride 1) or 2 * out_w (stride 2) */
    const int32_t used = mcu_min_i32(pairs, sw == 1 ? (out_w + 1) / 2 + 1 : out_w + 1);
    dw_fill_plan plan;
    dw_plan(input_dims, params->padding.w, pairs, used, pad_val, &plan);
    const int32_t tail = out_w & 3; /* the row's outputs after its quads */
    int32_t c0 = 0;
    do {
        const int32_t cn = chunked ? mcu_min_i32(c0 + chunk, c) - c0 : c, c1 = c0 + cn;
        if (chunked) {
            plan.c = cn;
        }
        int post = 0;
        if (tab) {
            /* the constants from the code generator's table (params->table: word 0 whether a channel adds its
             * zero point after the shift, then DW_TAB words per channel), then where each channel's column
             * pairs start and where its output quads (or pairs) end */
            const int32_t span = 24 * (out_w / 4 - quint), pstride = 12 * pairs; /* bytes */
            post = params->table[0] != 0;
            dw_s1_table(filter + c0, params->table + 1 + (int64_t)c0 * (DW_TAB - DW_BASE), cn, table, buf, span,
                        pstride, c);
        } else {
            dw_fill_table(params, quant, filter, bias, c, lo ? params->act_min : 0, table, c0, c1);
            /* where each channel's column pairs start and where its output quads (or pairs) end; whether any
             * channel adds its zero point after the shift */
            const int32_t span = 6 * (out_w / 4 - quint);
            int32_t post_bits = 0;
            const uint32_t *p = buf;
            for (int32_t *t = table; t < table + (int64_t)cn * DW_WORDS; t += DW_WORDS) {
                post_bits |= t[DW_R];
                t[DW_P] = (int32_t)(uintptr_t)p;
                t[DW_END] = (int32_t)(uintptr_t)(p + span);
                p += 3 * pairs;
            }
            post = (post_bits >> 8) != 0;
        }
        for (int32_t b = 0; b < input_dims->n; ++b) {
            const int8_t *in_batch = input + (int64_t)b * in_h * in_w * c + c0;
            int8_t *out_batch = output + (int64_t)b * out_h * out_w * c + c0;
            /* input rows come in increasing order: rows below `next` are in the ring or no longer read; row iy
             * lives in slot iy mod 3, the window's first row in slot rot (valid: a bit per slot filled once) */
            const int32_t iy_first = -params->padding.h, sh3 = sh % 3;
            int32_t next = iy_first, valid = 0;
            int32_t rot = (int32_t)(((uint32_t)(iy_first + 3 * 65536)) % 3u);
            for (int32_t oy = 0; oy < out_h; ++oy) {
                const int32_t iy0 = oy * sh + iy_first;
                for (int32_t iy = next > iy0 ? next : iy0, slot = rot + (iy - iy0); iy < iy0 + 3; ++iy, ++slot) {
                    slot -= slot >= 3 ? 3 : 0;
                    if (chunked) {
                        dw_fill_row_chunk(&plan, in_batch, iy, !(valid & (1 << slot)), slot, buf);
                    } else {
                        dw_fill_row(&plan, in_batch, iy, !(valid & (1 << slot)), slot, buf);
                    }
                    valid |= 1 << slot;
                }
                next = iy0 + 3;
                MCU_COMPILER_BARRIER();
                int8_t *out_row = out_batch + (int64_t)oy * out_w * c;
                if (quint) {
                    dw_row_quint(out_row, table, c, cn, lo, post, rot);
                } else {
                    row(out_row, table, c, cn, tail | post << 2, rot);
                }
                rot += sh3;
                rot -= rot >= 3 ? 3 : 0;
            }
        }
        c0 = c1;
    } while (chunked && c0 < c);
}

/* The rows whose output widths do not end with the five-output step, the whole depth at once and in chunks
 * (CH): from the layer's arrays, and with the constants from the code generator's table (_t) */
#define DW_ROWS_ANY(NAME, NAME_T, CH) \
    static __attribute__((noinline)) void NAME( \
        const mcu_dw_conv_params *params, const mcu_per_channel_quant *quant, const mcu_dims *input_dims, \
        const int8_t *input, const int8_t *filter, const int32_t *bias, const mcu_dims *output_dims, \
        int8_t *output, int16_t *scratch, const int lo, const dw_row_fn row) \
    { \
        depthwise_rows(params, quant, input_dims, input, filter, bias, output_dims, output, scratch, lo, 0, row, 0, \
                       CH); \
    } \
    static __attribute__((noinline)) void NAME_T( \
        const mcu_dw_conv_params *params, const mcu_dims *input_dims, const int8_t *input, const int8_t *filter, \
        const mcu_dims *output_dims, int8_t *output, int16_t *scratch, const int lo, const dw_row_fn row) \
    { \
        depthwise_rows(params, 0, input_dims, input, filter, 0, output_dims, output, scratch, lo, 0, row, 1, CH); \
    }
DW_ROWS_ANY(depthwise_rows_any, depthwise_rows_any_t, 0)
DW_ROWS_ANY(depthwise_rows_any_chunk, depthwise_rows_any_t_chunk, 1)
#undef DW_ROWS_ANY

/* the five-output rows without and with the lower clamp, the whole depth at once and in chunks (CH), so a
 * firmware links the ones its layers use */
#define DW_ROWS_QUINT(NAME, LO, TAB, CH) \
    static __attribute__((noinline)) void NAME( \
        const mcu_dw_conv_params *params, const mcu_per_channel_quant *quant, const mcu_dims *input_dims, \
        const int8_t *input, const int8_t *filter, const int32_t *bias, const mcu_dims *output_dims, \
        int8_t *output, int16_t *scratch) \
    { \
        depthwise_rows(params, quant, input_dims, input, filter, bias, output_dims, output, scratch, LO, 1, 0, TAB, \
                       CH); \
    }
DW_ROWS_QUINT(depthwise_rows_quint, 0, 0, 0)
DW_ROWS_QUINT(depthwise_rows_quint_lo, 1, 0, 0)
DW_ROWS_QUINT(depthwise_rows_quint_t, 0, 1, 0)
DW_ROWS_QUINT(depthwise_rows_quint_lo_t, 1, 1, 0)
DW_ROWS_QUINT(depthwise_rows_quint_chunk, 0, 0, 1)
DW_ROWS_QUINT(depthwise_rows_quint_lo_chunk, 1, 0, 1)
DW_ROWS_QUINT(depthwise_rows_quint_t_chunk, 0, 1, 1)
DW_ROWS_QUINT(depthwise_rows_quint_lo_t_chunk, 1, 1, 1)
#undef DW_ROWS_QUINT

/* depthwise_body with the upper bound 127 (the lower clamp's fallback) */
static __attribute__((noinline)) void depthwise_body_ssat(
    const mcu_dw_conv_params *params, const mcu_per_channel_quant *quant, const mcu_dims *input_dims,
    const int8_t *input, const int8_t *filter, const int32_t *bias, const mcu_dims *output_dims, int8_t *output,
    int16_t *scratch)
{
    depthwise_body(params, quant, input_dims, input, filter, bias, output_dims, output, scratch, 1);
}

/* s1: the entry point runs stride 1 (row: its row kernel); chunked: its rows run in chunks (the C rows of
 * depthwise_body take params->chunk either way) */
static inline __attribute__((always_inline)) mcu_status depthwise_3x3(
    const mcu_dw_conv_params *params, const mcu_per_channel_quant *quant, const mcu_dims *input_dims,
    const int8_t *input, const int8_t *filter, const int32_t *bias, const mcu_dims *output_dims, int8_t *output,
    int16_t *scratch, const int mode, const int s1, const dw_row_fn row, const int chunked)
{
    int lo_post = 0; /* the lower clamp folds act_min into k: it needs every (zero point - act_min) folded */
    for (int32_t ch = 0; mode == MCU_CLAMP_SSAT_LO && ch < input_dims->c; ++ch) {
        int32_t k, rz;
        mcu_requant_consts(params->output_offset - params->act_min, -quant->shift[ch], &k, &rz);
        lo_post |= (rz >> 8) != 0;
    }
    if (mode != MCU_CLAMP_BOTH && !lo_post && s1 && dw_quint(output_dims->w)) {
        if (mode == MCU_CLAMP_SSAT_LO) {
            (chunked ? depthwise_rows_quint_lo_chunk : depthwise_rows_quint_lo)(params, quant, input_dims, input,
                                                                               filter, bias, output_dims, output,
                                                                               scratch);
        } else {
            (chunked ? depthwise_rows_quint_chunk : depthwise_rows_quint)(params, quant, input_dims, input, filter,
                                                                         bias, output_dims, output, scratch);
        }
    } else if (mode != MCU_CLAMP_BOTH && !lo_post) {
        (chunked ? depthwise_rows_any_chunk : depthwise_rows_any)(params, quant, input_dims, input, filter, bias,
                                                                 output_dims, output, scratch,
                                                                 mode == MCU_CLAMP_SSAT_LO, row);
    } else if (mode != MCU_CLAMP_BOTH) {
        depthwise_body_ssat(params, quant, input_dims, input, filter, bias, output_dims, output, scratch);
    } else {
        depthwise_body(params, quant, input_dims, input, filter, bias, output_dims, output, scratch, 0);
    }
    return MCU_OK;
}

/* One entry point per stride (1, 2) and clamp mode (MCU_CLAMP_SSAT, MCU_CLAMP_SSAT_LO; MCU_CLAMP_BOTH any
 * stride), at stride 1 one for the whole depth and one for chunks (_chunk: params->chunk != 0), so a firmware
 * links only the variants its layers use (mcu_depthwise_3x3_dsp_s8 in mcu_engine.h picks one). */
#define MCU_DW3_ENTRY(NAME, MODE, S1, ROW, CH) \
    mcu_status NAME(const mcu_dw_conv_params *params, const mcu_per_channel_quant *quant, \
                    const mcu_dims *input_dims, const int8_t *input, const int8_t *filter, const int32_t *bias, \
                    const mcu_dims *output_dims, int8_t *output, int16_t *scratch) \
    { \
        return depthwise_3x3(params, quant, input_dims, input, filter, bias, output_dims, output, scratch, MODE, \
                             S1, ROW, CH); \
    }
MCU_DW3_ENTRY(mcu_depthwise_3x3_dsp_s1_ssat_s8, MCU_CLAMP_SSAT, 1, dw_row_s1, 0)
MCU_DW3_ENTRY(mcu_depthwise_3x3_dsp_s1_ssat_lo_s8, MCU_CLAMP_SSAT_LO, 1, dw_row_s1_lo, 0)
MCU_DW3_ENTRY(mcu_depthwise_3x3_dsp_s1_ssat_chunk_s8, MCU_CLAMP_SSAT, 1, dw_row_s1, 1)
MCU_DW3_ENTRY(mcu_depthwise_3x3_dsp_s1_ssat_lo_chunk_s8, MCU_CLAMP_SSAT_LO, 1, dw_row_s1_lo, 1)
MCU_DW3_ENTRY(mcu_depthwise_3x3_dsp_both_s8, MCU_CLAMP_BOTH, 0, 0, 0)
#undef MCU_DW3_ENTRY

/* Stride 1 with the code generator's table (params->table: the constants of stride 2's but the weights, which
 * come from the int8 filter): without and with the lower clamp; the rows of 4q + 1 >= 5 outputs end with the
 * five-output step. */
#define MCU_DW3_S1T_ENTRY(NAME, LO, QUINT, ANY, ROW) \
    mcu_status NAME(const mcu_dw_conv_params *params, const mcu_per_channel_quant *quant, \
                    const mcu_dims *input_dims, const int8_t *input, const int8_t *filter, const int32_t *bias, \
                    const mcu_dims *output_dims, int8_t *output, int16_t *scratch) \
    { \
        (void)quant, (void)bias; /* in the table */ \
        if (dw_quint(output_dims->w)) { \
            QUINT(params, 0, input_dims, input, filter, 0, output_dims, output, scratch); \
        } else { \
            ANY(params, input_dims, input, filter, output_dims, output, scratch, LO, ROW); \
        } \
        return MCU_OK; \
    }
MCU_DW3_S1T_ENTRY(mcu_depthwise_3x3_dsp_s1_ssat_t_s8, 0, depthwise_rows_quint_t, depthwise_rows_any_t, dw_row_s1)
MCU_DW3_S1T_ENTRY(mcu_depthwise_3x3_dsp_s1_ssat_lo_t_s8, 1, depthwise_rows_quint_lo_t, depthwise_rows_any_t,
                  dw_row_s1_lo)
MCU_DW3_S1T_ENTRY(mcu_depthwise_3x3_dsp_s1_ssat_t_chunk_s8, 0, depthwise_rows_quint_t_chunk,
                  depthwise_rows_any_t_chunk, dw_row_s1)
MCU_DW3_S1T_ENTRY(mcu_depthwise_3x3_dsp_s1_ssat_lo_t_chunk_s8, 1, depthwise_rows_quint_lo_t_chunk,
                  depthwise_rows_any_t_chunk, dw_row_s1_lo)
#undef MCU_DW3_S1T_ENTRY

/* Stride 2, and stride 1 on small maps (ops.dw3x3_s1_words; the runs without the column advance:
 * dw_s1_run*), with the code generator's table (ops.dw3x3_s2_table), four channels per word and no ring: per
 * output pixel and group of four channels the nine input words are read straight from the NHWC input (two
 * taps' words packed by bytes with PKHBT / PKHTB, then SXTB16 plain and rotated by 8 gives each channel's
 * (x_a, x_b) halfword pair for one SMLAD; tap 22 alone by SMLABB / SMLATT), against the doubled weights that
 * the call widens from the table's int8 words into its scratch once (22 words per group: the four start
 * values, then the pairs (02, 12), (00, 01), (10, 11), 22, (20, 21)); the four sums requantized (SMMLAR
 * with the sign term folded into k, ASR by rz, SSAT), packed (BFI), clamped below per byte (SSUB8 / SEL)
 * and stored as one word. One call runs whole rows: an output whose window has only its first column in the
 * left padding or only its third in the right padding reads the zero point word for that column; the rows
 * with every window row inside the input run together. Outputs clipped otherwise read a 3x3 patch of the
 * input in scratch (the padding the input zero point); rows in the padding read a row of zero points. */
/* The arguments in the order the run copies them onto its stack (from [sp, #4]; c last, in r3). */
typedef struct {
    const uint32_t *wend;       /* the end of the widened weights */
    int32_t off;                /* the output of the first pixel less r0 less 4 */
    int32_t n;                  /* output pixels per row with the whole window inside the input, >= 0 */
    const uint32_t *w;          /* the widened weights and start values, 22 words per group */
    const int32_t *tc;          /* the requantization constants (12 words per group, 13 with act_min) */
    uint32_t zb;                /* the input zero point in every byte */
    int32_t nr;                 /* 1: one more pixel after them whose third column is in the padding */
    const int8_t *r0, *r1, *r2; /* window rows 0 .. 2 at column 0 of the first output pixel, channel 0 */
    int32_t off_row;            /* off again (the row loop's copy) */
    int32_t n_row;              /* n again (the row loop's copy) */
    int32_t rows;               /* output rows, >= 1: the window rows move rstep bytes per output row */
    int32_t rstep, dstep;       /* rstep, and the output row less rstep (bytes) */
    int32_t nl;                 /* 1: one pixel before them whose first column is in the padding */
    int32_t c;                  /* bytes from one input pixel to the next (a patch's: its channels) */
    int32_t adv[3];             /* the chunk runs (dw_s1_run_c*): bytes added to window rows 0 .. 2 per pixel */
} dw_s2_args;
_Static_assert(offsetof(dw_s2_args, off) == 4 && offsetof(dw_s2_args, n) == 8 && offsetof(dw_s2_args, w) == 12 && offsetof(dw_s2_args, nr) == 24 && offsetof(dw_s2_args, r0) == 28 &&
                   offsetof(dw_s2_args, off_row) == 40 && offsetof(dw_s2_args, rows) == 48 &&
                   offsetof(dw_s2_args, rstep) == 52 && offsetof(dw_s2_args, nl) == 60 &&
                   offsetof(dw_s2_args, c) == 64 && offsetof(dw_s2_args, adv) == 68 && sizeof(dw_s2_args) == 80,
               "dw_s2_run reads these offsets");

/* Taps a (r9) and b (r10) of four channels: their bytes packed into [a0 a1 b0 b1] (r9), [a2 a3 b2 b3] (r11),
 * each channel's (a, b) pair against its weight pair. DW_S2_PAIR1: the group's first pair, whose channels 0
 * and 1 weights the group's first LDM loaded with the start values. */
#define DW_S2_PAIR \
    "pkhtb  r11, r10, r9, asr #16\n\t" \
    "pkhbt  r9, r9, r10, lsl #16\n\t" \
    "ldmia  r4!, {r12, lr}\n\t" \
    DW_S2_PAIR_MAC
#define DW_S2_PAIR1 \
    "pkhtb  r11, r10, r9, asr #16\n\t" \
    "pkhbt  r9, r9, r10, lsl #16\n\t" \
    DW_S2_PAIR_MAC
#define DW_S2_PAIR_MAC \
    "sxtb16 r10, r9\n\t" \
    "smlad  r5, r10, r12, r5\n\t" \
    "sxtb16 r9, r9, ror #8\n\t" \
    "smlad  r6, r9, lr, r6\n\t" \
    "ldmia  r4!, {r12, lr}\n\t" \
    "sxtb16 r10, r11\n\t" \
    "smlad  r7, r10, r12, r7\n\t" \
    "sxtb16 r11, r11, ror #8\n\t" \
    "smlad  r8, r11, lr, r8\n\t"
#define DW_S2_POST \
    "add    r5, r5, r10, asr #8\n\t" \
    "add    r6, r6, r11, asr #8\n\t" \
    "add    r7, r7, r12, asr #8\n\t" \
    "add    r8, r8, lr, asr #8\n\t"
#define DW_S2_LO_LOAD "ldr    r10, [r9], #4\n\t"
#define DW_S2_LO \
    "ssub8  r6, r5, r10\n\t" \
    "sel    r5, r5, r10\n\t"
/* The loads of the window's first column (row k: r0 .. r2, post-incremented by a word) and third column
 * (rk + 2c); at a clipped edge the zero point word from the stack instead ([sp, #24]). */
#define DW_S2_C0(R, X) "ldr    " X ", [" R "], #4\n\t"
#define DW_S2_C0Z(R, X) "ldr    " X ", [sp, #24]\n\t" "add    " R ", " R ", #4\n\t"
#define DW_S2_C2(R, X) "ldr    " X ", [" R ", r3, lsl #1]\n\t"
#define DW_S2_C2Z(R, X) "ldr    " X ", [sp, #24]\n\t"
/* One group of four channels of one output pixel (local label L), the column loads C0 / C2 as above. */
#define DW_S2_GROUP(L, C0, C2, POST, LO_LOAD, LO, K) \
    L ":\n\t" \
    "ldmia  r4!, {r5, r6, r7, r8, r12, lr}\n\t" \
    C2("r0", "r9") \
    C2("r1", "r10") \
    DW_S2_PAIR1 \
    "ldr    r10, [r0, r3]\n\t" \
    C0("r0", "r9") \
    DW_S2_PAIR \
    "ldr    r10, [r1, r3]\n\t" \
    C0("r1", "r9") \
    DW_S2_PAIR \
    C2("r2", "r9") \
    "ldmia  r4!, {r12, lr}\n\t" \
    "sxtb16 r10, r9\n\t" \
    "smlabb r5, r10, r12, r5\n\t" \
    "smlatt r7, r10, r12, r7\n\t" \
    "sxtb16 r9, r9, ror #8\n\t" \
    "smlabb r6, r9, lr, r6\n\t" \
    "smlatt r8, r9, lr, r8\n\t" \
    "ldr    r10, [r2, r3]\n\t" \
    C0("r2", "r9") \
    DW_S2_PAIR \
    DW_QLD_##K \
    "ldmia  " DW_QB_##K "!, {r10, r11, r12, lr}\n\t" \
    "add    r11, r11, r5, asr #31\n\t" \
    "smmlar r5, r5, r10, r11\n\t" \
    "add    lr, lr, r6, asr #31\n\t" \
    "smmlar r6, r6, r12, lr\n\t" \
    "ldmia  " DW_QB_##K "!, {r10, r11, r12, lr}\n\t" \
    "add    r11, r11, r7, asr #31\n\t" \
    "smmlar r7, r7, r10, r11\n\t" \
    "add    lr, lr, r8, asr #31\n\t" \
    "smmlar r8, r8, r12, lr\n\t" \
    "ldmia  " DW_QB_##K "!, {r10, r11, r12, lr}\n\t" \
    "asr    r5, r5, r10\n\t" \
    "asr    r6, r6, r11\n\t" \
    "asr    r7, r7, r12\n\t" \
    "asr    r8, r8, lr\n\t" \
    POST \
    "ssat   r5, #8, r5\n\t" \
    "ssat   r6, #8, r6\n\t" \
    "ssat   r7, #8, r7\n\t" \
    "ssat   r8, #8, r8\n\t" \
    LO_LOAD \
    DW_QST_##K \
    "bfi    r5, r6, #8, #8\n\t" \
    "bfi    r5, r7, #16, #8\n\t" \
    "bfi    r5, r8, #24, #8\n\t" \
    LO \
    "ldrd   r7, r6, [sp, #4]\n\t" \
    "str    r5, [" DW_OB_##K ", r6]\n\t" \
    "cmp    r4, r7\n\t" \
    "bne    " L "b\n\t"
/* The weights and constants from their start, before each pixel's groups (the chunk runs: the constants follow
 * each group's weights in the scratch). */
#define DW_PIXEL_S2 \
    "ldrd   r4, r9, [sp, #16]\n\t" \
    "str    r9, [sp]\n\t"
#define DW_PIXEL_S1C "ldr    r4, [sp, #16]\n\t"
/* the requantization constants: from [sp] (r9, stored back after each group), in the chunk runs after the
 * group's weights (r4) */
#define DW_QLD_S2 "ldr    r9, [sp]\n\t"
#define DW_QLD_S1C ""
#define DW_QB_S2 "r9"
#define DW_QB_S1C "r4"
#define DW_QST_S2 "str    r9, [sp]\n\t"
#define DW_QST_S1C ""
#define DW_S1C_LO_LOAD "ldr    r10, [r4], #4\n\t"
/* Stride 2: the window two columns on (the groups moved the rows by c), the output one pixel on. Stride 1
 * (DW_S1_NEXT): the groups moved the window and the output by c each, the output offset stays. A chunk at
 * stride 1 (DW_S1C_NEXT): the groups moved each window row by the chunk's channels, each row moves on by its
 * own advance (the rest of the pixel; a row of zero points back to its start), the output offset stays. */
#define DW_S1_NEXT ""
#define DW_S1C_NEXT \
    "ldrd   r9, r10, [sp, #68]\n\t" \
    "ldr    r11, [sp, #76]\n\t" \
    "add    r0, r0, r9\n\t" \
    "add    r1, r1, r10\n\t" \
    "add    r2, r2, r11\n\t"
#define DW_S2_NEXT \
    "add    r0, r0, r3\n\t" \
    "add    r1, r1, r3\n\t" \
    "add    r2, r2, r3\n\t" \
    "ldr    r9, [sp, #8]\n\t" \
    "sub    r9, r9, r3\n\t" \
    "str    r9, [sp, #8]\n\t"
/* The end of the pixel loop: NEXT, then the pixels left; at stride 2 the output offset and the pixels left
 * by one LDRD / STRD. */
#define DW_S1_LOOP \
    "ldr    r9, [sp, #12]\n\t" \
    "subs   r9, r9, #1\n\t" \
    "str    r9, [sp, #12]\n\t" \
    "bne    1b\n\t"
#define DW_S1C_LOOP DW_S1C_NEXT DW_S1_LOOP
#define DW_S2_LOOP \
    "add    r0, r0, r3\n\t" \
    "add    r1, r1, r3\n\t" \
    "add    r2, r2, r3\n\t" \
    "ldrd   r9, r10, [sp, #8]\n\t" \
    "sub    r9, r9, r3\n\t" \
    "subs   r10, r10, #1\n\t" \
    "strd   r9, r10, [sp, #8]\n\t" \
    "bne    1b\n\t"
/* r0 .. r2: window rows, r3: c, r4: weights, r5 .. r8: the four channels' sums, r9 .. r11: input words,
 * r12 / lr: weight pairs; the stack: [sp] the requantization constants, then dw_s2_args from [sp, #4]: +4
 * wend, +8 off, +12 pixels left, +16 the weights' start, +20 the constants' start, +24 the zero point word,
 * +28 nr, +32 .. +40 the row's window rows, +44 its off, +48 n, +52 rows left, +56 rstep, +60 dstep, +64
 * nl (the chunk runs: +68 .. +76 the advances). Per row: the pixel clipped on the left (nl), the n pixels inside, the
 * pixel clipped on the right (nr). K: S2 or S1C (the chunk runs), naming the stack bytes (DW_FRAME_), the load
 * of c (and the chunk runs' advances, DW_C_), the window row the output offset is from (DW_OB_; the chunk runs:
 * row 1, which is never a row of zero points) and where the requantization constants are read. */
#define DW_FRAME_S2 "68"
#define DW_FRAME_S1C "80"
#define DW_C_S2 "ldr    r3, [r0]\n\t"
#define DW_C_S1C "ldmia  r0, {r3-r6}\n\t" "stmia  r12, {r4-r6}\n\t"
#define DW_OB_S2 "r0"
#define DW_OB_S1C "r1"
#define DW_S2_RUN(NAME, LEFT, NEXT, LOOP, POST, LO_LOAD, LO) DW_S2_RUN_F(NAME, LEFT, NEXT, LOOP, POST, LO_LOAD, LO, S2)
#define DW_S1C_RUN(NAME, POST, LO_LOAD, LO) \
    DW_S2_RUN_F(NAME, DW_S2_LEFT, DW_S1C_NEXT, DW_S1C_LOOP, POST, LO_LOAD, LO, S1C)
#define DW_S2_RUN_F(NAME, LEFT, NEXT, LOOP, POST, LO_LOAD, LO, K) \
    static __attribute__((naked, noinline)) void NAME(const dw_s2_args *a __attribute__((unused))) \
    { \
        __asm__ volatile( \
            "push   {r4-r11, lr}\n\t" \
            "sub    sp, sp, #" DW_FRAME_##K "\n\t" \
            "add    r12, sp, #4\n\t" \
            "ldmia  r0!, {r1-r8}\n\t" \
            "stmia  r12!, {r1-r8}\n\t" \
            "ldmia  r0!, {r1-r8}\n\t" \
            "stmia  r12!, {r1-r8}\n\t" \
            DW_C_##K \
            "add    r9, sp, #32\n\t" \
            "ldmia  r9, {r0, r1, r2}\n\t" \
            "8:\n\t" \
            LEFT(NEXT, POST, LO_LOAD, LO, K) \
            "5:\n\t" \
            "ldr    r9, [sp, #12]\n\t" \
            "cmp    r9, #0\n\t" \
            "beq    6f\n\t" \
            "1:\n\t" \
            DW_PIXEL_##K \
            DW_S2_GROUP("2", DW_S2_C0, DW_S2_C2, POST, LO_LOAD, LO, K) \
            LOOP \
            "6:\n\t" \
            "ldr    r9, [sp, #28]\n\t" \
            "cmp    r9, #0\n\t" \
            "beq    9f\n\t" \
            DW_PIXEL_##K \
            DW_S2_GROUP("4", DW_S2_C0, DW_S2_C2Z, POST, LO_LOAD, LO, K) \
            "9:\n\t" \
            "ldr    r9, [sp, #52]\n\t" \
            "subs   r9, r9, #1\n\t" \
            "beq    7f\n\t" \
            "str    r9, [sp, #52]\n\t" \
            "add    r9, sp, #32\n\t" \
            "ldmia  r9, {r0, r1, r2, r4}\n\t" \
            "ldrd   r5, r6, [sp, #56]\n\t" \
            "add    r0, r0, r5\n\t" \
            "add    r1, r1, r5\n\t" \
            "add    r2, r2, r5\n\t" \
            "add    r4, r4, r6\n\t" \
            "stmia  r9, {r0, r1, r2, r4}\n\t" \
            "str    r4, [sp, #8]\n\t" \
            "ldr    r5, [sp, #48]\n\t" \
            "str    r5, [sp, #12]\n\t" \
            "b      8b\n\t" \
            "7:\n\t" \
            "add    sp, sp, #" DW_FRAME_##K "\n\t" \
            "pop    {r4-r11, pc}\n\t"); \
    }
/* The pixel clipped on the left (nl): in the runs for layers with left padding only (_l). */
#define DW_S2_LEFT(NEXT, POST, LO_LOAD, LO, K) \
    "ldr    r4, [sp, #64]\n\t" \
    "cmp    r4, #0\n\t" \
    "beq    5f\n\t" \
    DW_PIXEL_##K \
    DW_S2_GROUP("3", DW_S2_C0Z, DW_S2_C2, POST, LO_LOAD, LO, K) \
    NEXT
#define DW_S2_NO_LEFT(NEXT, POST, LO_LOAD, LO, K) ""
DW_S2_RUN(dw_s2_run, DW_S2_NO_LEFT, DW_S2_NEXT, DW_S2_LOOP, "", "", "")
DW_S2_RUN(dw_s2_run_post, DW_S2_NO_LEFT, DW_S2_NEXT, DW_S2_LOOP, DW_S2_POST, "", "")
DW_S2_RUN(dw_s2_run_lo, DW_S2_NO_LEFT, DW_S2_NEXT, DW_S2_LOOP, "", DW_S2_LO_LOAD, DW_S2_LO)
DW_S2_RUN(dw_s2_run_lo_post, DW_S2_NO_LEFT, DW_S2_NEXT, DW_S2_LOOP, DW_S2_POST, DW_S2_LO_LOAD, DW_S2_LO)
DW_S2_RUN(dw_s2_run_l, DW_S2_LEFT, DW_S2_NEXT, DW_S2_LOOP, "", "", "")
DW_S2_RUN(dw_s2_run_post_l, DW_S2_LEFT, DW_S2_NEXT, DW_S2_LOOP, DW_S2_POST, "", "")
DW_S2_RUN(dw_s2_run_lo_l, DW_S2_LEFT, DW_S2_NEXT, DW_S2_LOOP, "", DW_S2_LO_LOAD, DW_S2_LO)
DW_S2_RUN(dw_s2_run_lo_post_l, DW_S2_LEFT, DW_S2_NEXT, DW_S2_LOOP, DW_S2_POST, DW_S2_LO_LOAD, DW_S2_LO)
/* stride 1 along the width (every layer with left padding 1 or 0: always with the left step) */
DW_S2_RUN(dw_s1_run, DW_S2_LEFT, DW_S1_NEXT, DW_S1_LOOP, "", "", "")
DW_S2_RUN(dw_s1_run_post, DW_S2_LEFT, DW_S1_NEXT, DW_S1_LOOP, DW_S2_POST, "", "")
DW_S2_RUN(dw_s1_run_lo, DW_S2_LEFT, DW_S1_NEXT, DW_S1_LOOP, "", DW_S2_LO_LOAD, DW_S2_LO)
DW_S2_RUN(dw_s1_run_lo_post, DW_S2_LEFT, DW_S1_NEXT, DW_S1_LOOP, DW_S2_POST, DW_S2_LO_LOAD, DW_S2_LO)
/* stride 1 in channel chunks (params->chunk) */
DW_S1C_RUN(dw_s1_run_c, "", "", "")
DW_S1C_RUN(dw_s1_run_c_post, DW_S2_POST, "", "")
DW_S1C_RUN(dw_s1_run_c_lo, "", DW_S1C_LO_LOAD, DW_S2_LO)
DW_S1C_RUN(dw_s1_run_c_lo_post, DW_S2_POST, DW_S1C_LO_LOAD, DW_S2_LO)
#undef DW_S2_RUN
#undef DW_S2_RUN_F
#undef DW_S1C_RUN
#undef DW_FRAME_S2
#undef DW_FRAME_S1C
#undef DW_C_S2
#undef DW_C_S1C
#undef DW_OB_S2
#undef DW_OB_S1C
#undef DW_PIXEL_S2
#undef DW_PIXEL_S1C
#undef DW_QLD_S2
#undef DW_QLD_S1C
#undef DW_QB_S2
#undef DW_QB_S1C
#undef DW_QST_S2
#undef DW_QST_S1C
#undef DW_S1C_LO_LOAD
#undef DW_S1C_NEXT
#undef DW_S2_LEFT
#undef DW_S2_NO_LEFT
#undef DW_S2_NEXT
#undef DW_S1_NEXT
#undef DW_S1_LOOP
#undef DW_S1C_LOOP
#undef DW_S2_LOOP
#undef DW_S2_GROUP
#undef DW_S2_C0
#undef DW_S2_C0Z
#undef DW_S2_C2
#undef DW_S2_C2Z
#undef DW_S2_PAIR
#undef DW_S2_PAIR1
#undef DW_S2_PAIR_MAC
#undef DW_S2_POST
#undef DW_S2_LO_LOAD
#undef DW_S2_LO

typedef void (*dw_s2_fn)(const dw_s2_args *a);

/* The table's groups of thirteen words (four start values, nine int8 weight words) widened into the
 * scratch's groups of 22 (the start values, then per weight word SXTB16 plain and rotated by 8, each
 * doubled by SADD16): 47 instructions per group; for the chunk runs (dw_s1c_widen[_lo]) each group followed by
 * its 12 (13) requantization words. */
#define DW_S2_WIDEN3 \
    "ldmia  r0!, {r4, r5, r6}\n\t" \
    "sxtb16 r7, r4\n\t" \
    "sxtb16 r8, r4, ror #8\n\t" \
    "sadd16 r7, r7, r7\n\t" \
    "sadd16 r8, r8, r8\n\t" \
    "sxtb16 r9, r5\n\t" \
    "sxtb16 r10, r5, ror #8\n\t" \
    "sadd16 r9, r9, r9\n\t" \
    "sadd16 r10, r10, r10\n\t" \
    "sxtb16 r11, r6\n\t" \
    "sxtb16 r12, r6, ror #8\n\t" \
    "sadd16 r11, r11, r11\n\t" \
    "sadd16 r12, r12, r12\n\t" \
    "stmia  r1!, {r7-r12}\n\t"
/* Q: after each group the chunk runs' requantization constants from q (r3: 12 words, 13 with act_min) */
#define DW_S2_WIDEN_FN(NAME, Q) \
    static __attribute__((naked, noinline)) void NAME(const int32_t *src __attribute__((unused)), \
                                                      uint32_t *d __attribute__((unused)), \
                                                      const uint32_t *end __attribute__((unused)), \
                                                      const int32_t *q __attribute__((unused))) \
    { \
        __asm__ volatile( \
            "push   {r4-r11}\n\t" \
            "1:\n\t" \
            "ldmia  r0!, {r4-r7}\n\t" \
            "stmia  r1!, {r4-r7}\n\t" \
            DW_S2_WIDEN3 \
            DW_S2_WIDEN3 \
            DW_S2_WIDEN3 \
            Q \
            "cmp    r1, r2\n\t" \
            "bne    1b\n\t" \
            "pop    {r4-r11}\n\t" \
            "bx     lr\n\t"); \
    }
#define DW_S1C_Q12 \
    "ldmia  r3!, {r4-r9}\n\t" \
    "stmia  r1!, {r4-r9}\n\t" \
    "ldmia  r3!, {r4-r9}\n\t" \
    "stmia  r1!, {r4-r9}\n\t"
DW_S2_WIDEN_FN(dw_s2_widen, "")
DW_S2_WIDEN_FN(dw_s1c_widen, DW_S1C_Q12)
DW_S2_WIDEN_FN(dw_s1c_widen_lo, DW_S1C_Q12 "ldr    r4, [r3], #4\n\t" "str    r4, [r1], #4\n\t")
#undef DW_S2_WIDEN_FN
#undef DW_S1C_Q12
#undef DW_S2_WIDEN3

/* Along one axis (in input and out output positions, stride s, padding pad): the first output whose three
 * taps are all inside the input, and one past the last (at least the first). */
static inline int32_t dw3_inside_lo(int32_t out, int32_t s, int32_t pad)
{
    return mcu_min_i32((pad + s - 1) / s, out);
}

static inline int32_t dw3_inside_hi(int32_t in, int32_t out, int32_t s, int32_t pad)
{
    return mcu_max_i32(dw3_inside_lo(out, s, pad), mcu_min_i32(out, in + pad - 3 >= 0 ? (in + pad - 3) / s + 1 : 0));
}

/* The outputs of a row that one call of a run computes, ox0 .. *ox1 - 1 (a->nl, n, n_row and nr set): those
 * with every column of their window inside the input; one output before them with only its first column in
 * the padding (nl, runs with left = 1) and one after them with only its third (nr) in the same call, the
 * zero point word read for that column; any other output reads a patch. */
static inline int32_t dw3_columns(dw_s2_args *a, int32_t in_w, int32_t out_w, int32_t sw, int32_t pad_w, int left,
                                  int32_t *ox1)
{
    const int32_t ox_lo = dw3_inside_lo(out_w, sw, pad_w), ox_hi = dw3_inside_hi(in_w, out_w, sw, pad_w);
    a->nl = left && ox_lo == 1 && in_w >= 2;
    a->n = a->n_row = ox_hi - ox_lo;
    a->nr = ox_hi < out_w && sw * ox_hi - pad_w >= 0 && sw * ox_hi - pad_w + 1 < in_w;
    const int32_t ox0 = a->nl ? 0 : a->n ? ox_lo : ox_hi;
    *ox1 = ox0 + a->nl + a->n + a->nr;
    return ox0;
}

/* The rows of a call that does not take whole rows (tiles, inputs of width 1 or 2): per output row the call's
 * outputs (ox0 .. ox1 - 1, the window rows inside the input together), then every other output on a patch.
 * kn: the channels of the chunk (c unchunked) from input and output on; the patch holds kn per pixel. A window
 * row in the padding reads the row of zero points after the patch; in chunks (kn != c) such rows run every
 * output on the patch. */
static __attribute__((noinline)) void depthwise_s2_clipped(const mcu_dw_conv_params *params, const mcu_dims *in,
                                                           const int8_t *input, const mcu_dims *out,
                                                           int8_t *output, const dw_s2_fn run, dw_s2_args *pa,
                                                           int32_t ox0, int32_t ox1, int8_t *patch, int32_t kn)
{
    const int32_t c = in->c, in_w = in->w, in_h = in->h, out_w = out->w, out_h = out->h;
    const int32_t sh = params->stride.h, sw = params->stride.w, pad_w = params->padding.w, pad_h = params->padding.h;
    int8_t *const zrow = patch + 9 * kn;
    const int8_t zp = (int8_t)(-params->input_offset);
    const uint32_t zb = pa->zb;
    const int chunked = kn != c;
    int zfilled = 0;
    int32_t zcols = 0;
    dw_s2_args a = *pa;
    for (int32_t b = 0; b < in->n; ++b) {
        const int8_t *in_batch = input + (int64_t)b * in_h * in_w * c;
        int8_t *out_batch = output + (int64_t)b * out_h * out_w * c;
        for (int32_t oy = 0; oy < out_h; ++oy) {
            const int32_t iy0 = oy * sh - pad_h;
            const int8_t *rows[3]; /* column 0 of each window row */
            int inside[3];
            for (int32_t k = 0; k < 3; ++k) {
                inside[k] = iy0 + k >= 0 && iy0 + k < in_h;
                a.adv[k] = c - kn;
                if (inside[k]) {
                    rows[k] = in_batch + (int64_t)(iy0 + k) * in_w * c;
                } else {
                    if (!zfilled && !chunked) {
                        memset(zrow, zp, (size_t)(in_w * c));
                        zfilled = 1;
                    }
                    rows[k] = zrow;
                }
            }
            int8_t *out_row = out_batch + (int64_t)oy * out_w * c;
            /* in chunks a row with a window row in the padding runs every output on a patch */
            const int all = inside[0] && inside[1] && inside[2];
            const int32_t run0 = chunked && !all ? 0 : ox0, run1 = chunked && !all ? 0 : ox1;
            a.rows = 1;
            if (run1 > run0) {
                const intptr_t ix0 = (intptr_t)(sw * run0 - pad_w) * c;
                a.r0 = (const int8_t *)((intptr_t)rows[0] + ix0), a.r1 = (const int8_t *)((intptr_t)rows[1] + ix0);
                a.r2 = (const int8_t *)((intptr_t)rows[2] + ix0);
                a.off = a.off_row = (int32_t)((uintptr_t)(out_row + run0 * c) - (uintptr_t)(chunked ? a.r1 : a.r0)) - 4;
                run(&a);
            }
            for (int32_t ox = 0; ox < out_w; ++ox) {
                if (ox == run0 && run1 > run0) {
                    ox = run1 - 1;
                    continue;
                }
                /* the window's columns inside the input (j0 .. j1 - 1) copied row by row; the others hold the
                 * zero point (kept from the last patch when they held it there: zcols, a bit per tap) */
                const int32_t ix0 = sw * ox - pad_w;
                const int32_t j0 = mcu_max_i32(0, -ix0), j1 = mcu_min_i32(3, in_w - ix0);
                for (int32_t k = 0; k < 3; ++k) {
                    const int32_t lo_j = inside[k] ? j0 : 3, hi_j = inside[k] ? j1 : 3;
                    for (int32_t j = 0; j < 3; ++j) {
                        const int32_t bit = 1 << (3 * k + j);
                        if ((j < lo_j || j >= hi_j) && !(zcols & bit)) {
                            uint32_t *d = (uint32_t *)(void *)(patch + (3 * k + j) * kn), *const e = d + kn / 4;
                            for (; d != e; ++d) {
                                *d = zb;
                            }
                            zcols |= bit;
                        } else if (j >= lo_j && j < hi_j) {
                            zcols &= ~bit;
                            if (chunked) {
                                memcpy(patch + (3 * k + j) * kn, rows[k] + (ix0 + j) * c, (size_t)kn);
                            }
                        }
                    }
                    if (hi_j > lo_j && !chunked) {
                        memcpy(patch + (3 * k + lo_j) * c, rows[k] + (ix0 + lo_j) * c, (size_t)((hi_j - lo_j) * c));
                    }
                }
                dw_s2_args e = a;
                e.r0 = patch, e.r1 = patch + 3 * kn, e.r2 = patch + 6 * kn, e.c = kn;
                e.off = e.off_row = (int32_t)((uintptr_t)(out_row + ox * c) - (uintptr_t)(chunked ? e.r1 : e.r0)) - 4;
                e.n = e.n_row = 1, e.nl = 0, e.nr = 0, e.rows = 1;
                run(&e);
            }
        }
    }
}

/* Scratch ((w + 31) * c bytes, ops.DepthwiseConv2D.scratch_bytes): the widened weights and start values
 * (22 * c bytes), a 3x3 patch (9 * c) and a row of zero points (w * c). */
static __attribute__((noinline)) void depthwise_s2(const mcu_dw_conv_params *params, const mcu_dims *in,
                                                   const int8_t *input, const mcu_dims *out, int8_t *output,
                                                   int16_t *scratch, const dw_s2_fn run, int left)
{
    const int32_t c = in->c, groups = c / 4, in_w = in->w, in_h = in->h, out_w = out->w, out_h = out->h;
    const int32_t sh = params->stride.h, sw = params->stride.w, pad_w = params->padding.w, pad_h = params->padding.h;
    const int lo = params->act_min > -128; /* the constants' blocks hold act_min (13 words, else 12) */
    uint32_t *const w = (uint32_t *)(void *)scratch;
    dw_s2_widen(params->table + 1 + (12 + lo) * groups, w, w + 22 * groups, 0);
    int8_t *const patch = (int8_t *)(void *)(w + 22 * groups), *const zrow = patch + 9 * c;
    const int8_t zp = (int8_t)(-params->input_offset);
    const uint32_t zb = 0x01010101u * (uint8_t)zp;
    dw_s2_args a;
    a.c = c, a.w = w, a.wend = w + 22 * groups, a.tc = params->table + 1, a.zb = zb;
    int32_t ox1;
    const int32_t ox0 = dw3_columns(&a, in_w, out_w, sw, pad_w, left, &ox1);
    const int whole = ox0 == 0 && ox1 == out_w; /* every output of a row in the call */
    a.rstep = sh * in_w * c, a.dstep = out_w * c - a.rstep;
    if (!whole) {
        depthwise_s2_clipped(params, in, input, out, output, run, &a, ox0, ox1, patch, c);
        return;
    }
    /* whole rows: the output rows oy_lo .. oy_hi - 1 have every row of their window inside the input, one call
     * for all of them; a row of the window in the padding reads the row of zero points */
    const int32_t oy_lo = dw3_inside_lo(out_h, sh, pad_h), oy_hi = dw3_inside_hi(in_h, out_h, sh, pad_h);
    const int32_t in_row = in_w * c, out_row = out_w * c, ix0 = -pad_w * c; /* ox0 == 0 */
    if (oy_lo > 0 || oy_hi < out_h) {
        memset(zrow, zp, (size_t)in_row);
    }
    const int8_t *const zr = zrow + ix0;
    for (int32_t b = 0; b < in->n; ++b) {
        const int8_t *const in_batch = input + (int64_t)b * in_h * in_row + ix0;
        int8_t *const out_batch = output + (int64_t)b * out_h * out_row;
        for (int32_t oy = 0; oy < out_h; oy += a.rows) {
            const int32_t iy0 = oy * sh - pad_h;
            const int8_t *const r = in_batch + iy0 * in_row;
            a.rows = oy == oy_lo && oy_hi > oy_lo ? oy_hi - oy_lo : 1;
            a.r0 = (uint32_t)iy0 < (uint32_t)in_h ? r : zr;
            a.r1 = (uint32_t)(iy0 + 1) < (uint32_t)in_h ? r + in_row : zr;
            a.r2 = (uint32_t)(iy0 + 2) < (uint32_t)in_h ? r + 2 * in_row : zr;
            a.off = a.off_row = (int32_t)((uintptr_t)(out_batch + oy * out_row) - (uintptr_t)a.r0) - 4;
            run(&a);
        }
    }
}

/* Stride 1 in chunks of k = params->chunk channels (the runs dw_s1_run_c*; the ranges of depthwise_s2), scratch
 * 35 * k + max(9 * k, 2 * c + k) bytes: one chunk's widened weights, each group's followed by its
 * requantization constants (35 * k), then its patch (9 * k) or, in calls of whole rows, 2 * c + k zero points,
 * which a window row in the padding reads staying at its start (its advance takes the chunk's channels back).
 * Each chunk widens its weights and runs its rows as a layer of k channels whose pixels stay c bytes apart (the
 * other rows' advance: c - k), the output offset from window row 1. */
static __attribute__((noinline)) void depthwise_s1_chunk(const mcu_dw_conv_params *params, const mcu_dims *in,
                                                         const int8_t *input, const mcu_dims *out, int8_t *output,
                                                         int16_t *scratch, const dw_s2_fn run, int left)
{
    const int32_t c = in->c, groups = c / 4, in_w = in->w, in_h = in->h, out_w = out->w, out_h = out->h;
    const int32_t sh = params->stride.h, sw = params->stride.w, pad_w = params->padding.w, pad_h = params->padding.h;
    const int lo = params->act_min > -128; /* the constants' blocks hold act_min (13 words, else 12) */
    const int32_t k = params->chunk < c ? params->chunk : c;
    uint32_t *const w = (uint32_t *)(void *)scratch;
    int8_t *const patch = (int8_t *)(void *)(w + 35 * (k / 4)), *const zrow = patch;
    const int8_t zp = (int8_t)(-params->input_offset);
    dw_s2_args a;
    a.c = c, a.zb = 0x01010101u * (uint8_t)zp;
    int32_t ox1;
    const int32_t ox0 = dw3_columns(&a, in_w, out_w, sw, pad_w, left, &ox1);
    a.rstep = sh * in_w * c, a.dstep = out_w * c - a.rstep;
    const int32_t oy_lo = dw3_inside_lo(out_h, sh, pad_h), oy_hi = dw3_inside_hi(in_h, out_h, sh, pad_h);
    const int32_t in_row = in_w * c, out_row = out_w * c, ix0 = -pad_w * c; /* ox0 == 0 */
    /* every output of a row in the call and window row 1 inside the input (the runs store from it) */
    const int whole = ox0 == 0 && ox1 == out_w && (out_h - 1) * sh - pad_h + 1 < in_h;
    if (whole && (oy_lo > 0 || oy_hi < out_h)) {
        memset(zrow, zp, (size_t)(2 * c + k));
    }
    for (int32_t c0 = 0; c0 < c; c0 += k) {
        const int32_t kn = mcu_min_i32(k, c - c0);
        a.w = w, a.wend = w + (34 + lo) * (kn / 4), a.tc = params->table + 1 + (12 + lo) * (c0 / 4);
        (lo ? dw_s1c_widen_lo : dw_s1c_widen)(params->table + 1 + (12 + lo) * groups + 13 * (c0 / 4), w, a.wend,
                                               a.tc);
        if (!whole) {
            depthwise_s2_clipped(params, in, input + c0, out, output + c0, run, &a, ox0, ox1, patch, kn);
            continue;
        }
        for (int32_t b = 0; b < in->n; ++b) {
            const int8_t *const in_batch = input + c0 + (int64_t)b * in_h * in_row + ix0;
            int8_t *const out_batch = output + c0 + (int64_t)b * out_h * out_row;
            for (int32_t oy = 0; oy < out_h; oy += a.rows) {
                const int32_t iy0 = oy * sh - pad_h;
                const int8_t *const r = in_batch + iy0 * in_row;
                const int in0 = (uint32_t)iy0 < (uint32_t)in_h, in2 = (uint32_t)(iy0 + 2) < (uint32_t)in_h;
                a.rows = oy == oy_lo && oy_hi > oy_lo ? oy_hi - oy_lo : 1;
                a.r0 = in0 ? r : zrow;
                a.r1 = r + in_row;
                a.r2 = in2 ? r + 2 * in_row : zrow;
                a.adv[0] = in0 ? c - kn : -kn, a.adv[1] = c - kn, a.adv[2] = in2 ? c - kn : -kn;
                a.off = a.off_row = (int32_t)((uintptr_t)(out_batch + oy * out_row) - (uintptr_t)a.r1) - 4;
                run(&a);
            }
        }
    }
}

/* Stride 2 with the code generator's table (params->table): without and with the lower clamp, without and
 * with the zero point added after the shift (table word 0 bit 0); stride 1 on the same table (_w). */
#define MCU_DW3_S2_ENTRY(NAME, RUN, LEFT) MCU_DW3_S2_ENTRY_D(NAME, RUN, LEFT, depthwise_s2)
#define MCU_DW3_S2_ENTRY_D(NAME, RUN, LEFT, DRIVER) \
    mcu_status NAME(const mcu_dw_conv_params *params, const mcu_per_channel_quant *quant, \
                    const mcu_dims *input_dims, const int8_t *input, const int8_t *filter, const int32_t *bias, \
                    const mcu_dims *output_dims, int8_t *output, int16_t *scratch) \
    { \
        (void)quant, (void)filter, (void)bias; /* in the table */ \
        DRIVER(params, input_dims, input, output_dims, output, scratch, RUN, LEFT); \
        return MCU_OK; \
    }
MCU_DW3_S2_ENTRY(mcu_depthwise_3x3_dsp_s2_ssat_s8, dw_s2_run, 0)
MCU_DW3_S2_ENTRY(mcu_depthwise_3x3_dsp_s2_ssat_post_s8, dw_s2_run_post, 0)
MCU_DW3_S2_ENTRY(mcu_depthwise_3x3_dsp_s2_ssat_lo_s8, dw_s2_run_lo, 0)
MCU_DW3_S2_ENTRY(mcu_depthwise_3x3_dsp_s2_ssat_lo_post_s8, dw_s2_run_lo_post, 0)
MCU_DW3_S2_ENTRY(mcu_depthwise_3x3_dsp_s2_ssat_l_s8, dw_s2_run_l, 1)
MCU_DW3_S2_ENTRY(mcu_depthwise_3x3_dsp_s2_ssat_post_l_s8, dw_s2_run_post_l, 1)
MCU_DW3_S2_ENTRY(mcu_depthwise_3x3_dsp_s2_ssat_lo_l_s8, dw_s2_run_lo_l, 1)
MCU_DW3_S2_ENTRY(mcu_depthwise_3x3_dsp_s2_ssat_lo_post_l_s8, dw_s2_run_lo_post_l, 1)
MCU_DW3_S2_ENTRY(mcu_depthwise_3x3_dsp_s1_ssat_w_s8, dw_s1_run, 1)
MCU_DW3_S2_ENTRY(mcu_depthwise_3x3_dsp_s1_ssat_post_w_s8, dw_s1_run_post, 1)
MCU_DW3_S2_ENTRY(mcu_depthwise_3x3_dsp_s1_ssat_lo_w_s8, dw_s1_run_lo, 1)
MCU_DW3_S2_ENTRY(mcu_depthwise_3x3_dsp_s1_ssat_lo_post_w_s8, dw_s1_run_lo_post, 1)
/* and in channel chunks (params->chunk) */
MCU_DW3_S2_ENTRY_D(mcu_depthwise_3x3_dsp_s1_ssat_wc_s8, dw_s1_run_c, 1, depthwise_s1_chunk)
MCU_DW3_S2_ENTRY_D(mcu_depthwise_3x3_dsp_s1_ssat_post_wc_s8, dw_s1_run_c_post, 1, depthwise_s1_chunk)
MCU_DW3_S2_ENTRY_D(mcu_depthwise_3x3_dsp_s1_ssat_lo_wc_s8, dw_s1_run_c_lo, 1, depthwise_s1_chunk)
MCU_DW3_S2_ENTRY_D(mcu_depthwise_3x3_dsp_s1_ssat_lo_post_wc_s8, dw_s1_run_c_lo_post, 1, depthwise_s1_chunk)
#undef MCU_DW3_S2_ENTRY
#undef MCU_DW3_S2_ENTRY_D

mcu_status mcu_depthwise_3x3_dsp_s2_c_s8(const mcu_dw_conv_params *params, const mcu_per_channel_quant *quant,
                                         const mcu_dims *input_dims, const int8_t *input, const int8_t *filter,
                                         const int32_t *bias, const mcu_dims *output_dims, int8_t *output,
                                         int16_t *scratch)
{
    depthwise_body_ssat(params, quant, input_dims, input, filter, bias, output_dims, output, scratch);
    return MCU_OK;
}

/* Depth multiplier 1, channels a multiple of 4, any kernel size, stride, padding and dilation (the
 * layers the 3x3 and three-tap paths do not take): per output pixel and group of four channels, one
 * 32-bit load of the input and of the weights per tap, multiplied into four accumulators
 * (mcu_mac4_s8). The sums are the portable kernel's, over the same taps; requantization is
 * mcu_out_dsp (SMMULR) when the layer's fast_requant flag is set. */
/* One group of four channels over output columns ox0 .. ox1 - 1 of one row whose taps (fy_lo .. fy_hi,
 * every fx) all lie inside the input: the bias and requantization constants of the group in registers.
 * KW is a constant (1, 3) or 0 for any width; input (x, channel) of tap row fy at
 * in_batch[base + fy * dil_h * in_w_c + ox * in_stride_x + fx * dil_w_c]. */
static inline __attribute__((always_inline)) void dw_m1_span(
    const int8_t *in_batch, int64_t base, int8_t *out, int32_t ox0, int32_t ox1, int32_t in_stride_x, int32_t c,
    int32_t in_w_c, int32_t dil_w_c, int32_t fy_lo, int32_t fy_hi, int32_t dil_h, int32_t k_w,
    const int8_t *wg, int16x2_t off2, const int32_t acc0[4], const int32_t m[4], const int32_t r[4],
    int32_t zp, int32_t lo, int32_t hi, const int KW)
{
    const int32_t kw = KW ? KW : k_w;
    for (int32_t ox = ox0; ox < ox1; ++ox) {
        int32_t a[4] = {acc0[0], acc0[1], acc0[2], acc0[3]};
        for (int32_t fy = fy_lo; fy < fy_hi; ++fy) {
            const int8_t *ip = in_batch + (base + (int64_t)fy * dil_h * in_w_c + (int64_t)ox * in_stride_x);
            const int8_t *wp = wg + (int64_t)fy * k_w * c;
            for (int32_t fx = 0; fx < kw; ++fx) {
                mcu_mac4_s8(mcu_load_u32(ip), mcu_load_u32(wp), off2, a);
                ip += dil_w_c;
                wp += c;
            }
        }
        int8_t *o = out + (int64_t)ox * c;
        o[0] = mcu_out_dsp(a[0], m[0], r[0], zp, lo, hi, 0);
        o[1] = mcu_out_dsp(a[1], m[1], r[1], zp, lo, hi, 0);
        o[2] = mcu_out_dsp(a[2], m[2], r[2], zp, lo, hi, 0);
        o[3] = mcu_out_dsp(a[3], m[3], r[3], zp, lo, hi, 0);
    }
}

mcu_status mcu_depthwise_m1_dsp_s8(const mcu_dw_conv_params *params, const mcu_per_channel_quant *quant,
                                   const mcu_dims *input_dims, const int8_t *input,
                                   const mcu_dims *filter_dims, const int8_t *filter, const int32_t *bias,
                                   const mcu_dims *output_dims, int8_t *output)
{
    const int32_t in_h = input_dims->h, in_w = input_dims->w, c = input_dims->c;
    const int32_t k_h = filter_dims->h, k_w = filter_dims->w, out_w = output_dims->w;
    const int32_t dil_h = params->dilation.h, dil_w = params->dilation.w;
    const int32_t sw = params->stride.w, pad_w = params->padding.w;
    const int32_t out_off = params->output_offset, act_min = params->act_min, act_max = params->act_max;
    const int16x2_t off2 = (int16x2_t)(((uint32_t)(uint16_t)params->input_offset) * 0x00010001u);
    const int fast = params->fast_requant;
    /* output columns whose taps all lie inside the input: ox_a .. ox_b - 1 */
    int32_t ox_a = 0, ox_b = 0;
    while (ox_a < out_w && ox_a * sw - pad_w < 0) {
        ++ox_a;
    }
    for (int32_t ox = out_w; ox > ox_a; --ox) {
        if ((ox - 1) * sw - pad_w + (k_w - 1) * dil_w < in_w) {
            ox_b = ox;
            break;
        }
    }
    if (ox_b < ox_a) {
        ox_b = ox_a;
    }
    for (int32_t b = 0; b < input_dims->n; ++b) {
        const int8_t *in_batch = input + (int64_t)b * in_h * in_w * c;
        for (int32_t oy = 0; oy < output_dims->h; ++oy) {
            const int32_t iy0 = oy * params->stride.h - params->padding.h;
            int32_t fy_lo, fy_hi;
            mcu_valid_taps(iy0, dil_h, k_h, in_h, &fy_lo, &fy_hi);
            int8_t *out_row = output + ((int64_t)b * output_dims->h + oy) * out_w * c;
            for (int32_t c0 = 0; c0 < c; c0 += 4) {
                /* the border columns (taps clipped) one at a time, as before */
                for (int32_t ox = 0; ox < out_w; ++ox) {
                    if (ox == ox_a && fast) {
                        ox = ox_b;
                        if (ox >= out_w) {
                            break;
                        }
                    }
                    const int32_t ix0 = ox * sw - pad_w;
                    int32_t fx_lo, fx_hi;
                    mcu_valid_taps(ix0, dil_w, k_w, in_w, &fx_lo, &fx_hi);
                    int32_t a[4] = {0, 0, 0, 0};
                    if (bias) {
                        a[0] = bias[c0];
                        a[1] = bias[c0 + 1];
                        a[2] = bias[c0 + 2];
                        a[3] = bias[c0 + 3];
                    }
                    for (int32_t fy = fy_lo; fy < fy_hi; ++fy) {
                        const int8_t *ip = in_batch + ((int64_t)(iy0 + fy * dil_h) * in_w + ix0 + fx_lo * dil_w) * c + c0;
                        const int8_t *wp = filter + ((int64_t)fy * k_w + fx_lo) * c + c0;
                        for (int32_t fx = fx_lo; fx < fx_hi; ++fx) {
                            mcu_mac4_s8(mcu_load_u32(ip), mcu_load_u32(wp), off2, a);
                            ip += dil_w * c;
                            wp += c;
                        }
                    }
                    mcu_store4(out_row + (int64_t)ox * c + c0, a[0], a[1], a[2], a[3], quant, c0, fast, out_off,
                               act_min, act_max);
                }
                if (!fast || ox_b <= ox_a) {
                    continue;
                }
                /* the interior columns: constants of the group once per row */
                const int32_t acc0[4] = {bias ? bias[c0] : 0, bias ? bias[c0 + 1] : 0,
                                         bias ? bias[c0 + 2] : 0, bias ? bias[c0 + 3] : 0};
                const int32_t m[4] = {quant->multiplier[c0], quant->multiplier[c0 + 1],
                                      quant->multiplier[c0 + 2], quant->multiplier[c0 + 3]};
                const int32_t r[4] = {-quant->shift[c0], -quant->shift[c0 + 1], -quant->shift[c0 + 2],
                                      -quant->shift[c0 + 3]};
                const int64_t base = ((int64_t)iy0 * in_w - pad_w) * c + c0; /* + taps: inside the input */
                const int8_t *wg = filter + c0;
                if (k_w == 3 && dil_w == 1) {
                    dw_m1_span(in_batch, base, out_row + c0, ox_a, ox_b, sw * c, c, in_w * c, c, fy_lo, fy_hi, dil_h, k_w,
                               wg, off2, acc0, m, r, out_off, act_min, act_max, 3);
                } else if (k_w == 1) {
                    dw_m1_span(in_batch, base, out_row + c0, ox_a, ox_b, sw * c, c, in_w * c, dil_w * c, fy_lo, fy_hi,
                               dil_h, k_w, wg, off2, acc0, m, r, out_off, act_min, act_max, 1);
                } else {
                    dw_m1_span(in_batch, base, out_row + c0, ox_a, ox_b, sw * c, c, in_w * c, dil_w * c, fy_lo, fy_hi,
                               dil_h, k_w, wg, off2, acc0, m, r, out_off, act_min, act_max, 0);
                }
            }
        }
    }
    return MCU_OK;
}

/* ---- three taps along one axis (1x3, 3x1) ---------------------------------------------------------
 * Depth multiplier 1, channels a multiple of 4, kernel 1x3 or 3x1 (any dilation), stride 1 or 2 along
 * the width, any clamp (the passes clamp to [-128, 127], dw3_clamp the rest), fast_requant, and the layer's constant
 * table (params->table, computed by the code generator: ops.dw3_table). The layers have 3 MACs per
 * output, so the per-output work is what costs: per pixel and group of four channels one input word per
 * tap (SXTB16 twice, SMLABB / SMLATT into four accumulators) and the group's requantization, with every
 * constant of the group in its 24 words of the table (in flash, so neither the arena nor the set-up per
 * call or row grows): four start values 2 * (bias + input_offset * sum(w)), the doubled weights of each
 * tap as SXTB16 halfword pairs, (multiplier, k) and right + 256 * post of each channel
 * (mcu_requant_consts), act_min in every byte (unused: dw3_clamp); the four outputs are packed into one
 * word and stored at once. One assembly block runs a span of an output row for one group.
 *
 * 1x3 outputs whose window is clipped by the padding read their three input words from a copy with the
 * input zero point in the padding. 3x1 rows whose window is clipped move the window one tap inward (onto
 * three rows inside the input) with a copy of the group's words on the stack whose weights and start
 * values are those of variant 1 (the first tap clipped: weights (w1, w2, 0)) or 2 (the last tap clipped:
 * (0, w0, w1)), the start value 2 * (bias + input_offset * the remaining weights). */
enum { DW3_BASE = 0, DW3_MK = 4, DW3_RZ = 12, DW3_LO = 16, DW3_WORDS = 18 };
/* groups of four channels per call for the outputs whose window is clipped (their words copied) */
enum { DW3_CHUNK = 8 };

/* The int8 weight words (taps 0 .. 2 of the group c0 .. c0 + 3) of window variant v (0 all taps, 1 tap 0
 * clipped, 2 tap 2 clipped) into w, and the variant's start values into t. */
static void dw3_weight_words(int32_t in_off, const int8_t *filter, const int32_t *bias, int32_t c, int32_t c0,
                             int32_t v, int32_t *t, uint32_t *w)
{
    w[0] = mcu_load_u32(filter + c0), w[1] = mcu_load_u32(filter + c + c0), w[2] = mcu_load_u32(filter + 2 * c + c0);
    if (v == 1) { /* the window starts at tap 1: (w1, w2, 0) */
        w[0] = w[1], w[1] = w[2], w[2] = 0;
    } else if (v == 2) { /* the window starts one tap before tap 0: (0, w0, w1) */
        w[2] = w[1], w[1] = w[0], w[0] = 0;
    }
    uint32_t sum_e = 0, sum_o = 0; /* 2 * sum of the weights, SXTB16 halfword pairs */
    for (int32_t k = 0; k < 3; ++k) { /* SXTB16 order: we = (ch0, ch2), wo = (ch1, ch3) */
        const uint32_t we = (uint32_t)__sadd16((int16x2_t)mcu_sxtb16(w[k]), (int16x2_t)mcu_sxtb16(w[k]));
        const uint32_t wo = (uint32_t)__sadd16((int16x2_t)mcu_sxtb16_ror8(w[k]), (int16x2_t)mcu_sxtb16_ror8(w[k]));
        sum_e = (uint32_t)__sadd16((int16x2_t)sum_e, (int16x2_t)we);
        sum_o = (uint32_t)__sadd16((int16x2_t)sum_o, (int16x2_t)wo);
    }
    const int32_t b0 = bias ? bias[c0] : 0, b1 = bias ? bias[c0 + 1] : 0;
    const int32_t b2 = bias ? bias[c0 + 2] : 0, b3 = bias ? bias[c0 + 3] : 0;
    t[DW3_BASE + 0] = 2 * b0 + in_off * (int16_t)sum_e;
    t[DW3_BASE + 1] = 2 * b1 + in_off * (int16_t)sum_o;
    t[DW3_BASE + 2] = 2 * b2 + in_off * ((int32_t)sum_e >> 16);
    t[DW3_BASE + 3] = 2 * b3 + in_off * ((int32_t)sum_o >> 16);
}

#define DW3_TAP(ADDR, W) \
        "ldr    %[x], [%[p]" ADDR "]\n\t" \
        "ldrd   %[we], %[wo], %[" W "]\n\t" \
        "sxtb16 %[xe], %[x]\n\t" \
        "sxtb16 %[x], %[x], ror #8\n\t" \
        "smlabb %[a0], %[xe], %[we], %[a0]\n\t" \
        "smlatt %[a2], %[xe], %[we], %[a2]\n\t" \
        "smlabb %[a1], %[x], %[wo], %[a1]\n\t" \
        "smlatt %[a3], %[x], %[wo], %[a3]\n\t"
#define DW3_RQ(A, OFF) \
        "ldrd   %[we], %[wo], [%[tp], #" OFF "]\n\t" \
        "smmlar %[xe], %[" A "], %[we], %[wo]\n\t" \
        "add    %[" A "], %[xe], %[" A "], asr #31\n\t"
#define DW3_POST(A, R) "add    %[" A "], %[" A "], %[" R "], asr #8\n\t"
#define DW3_NO_POST(A, R) ""
#define DW3_ASR(P, A, R) "asr    %[" A "], %[" A "], %[" R "]\n\t" P(A, R)

/* Tap word R of four channels as their doubled SXTB16 halfword pairs at M (an 8-byte stack slot). */
#define DW3_WIDEN(R, M) \
        "sxtb16 %[we], %[" R "]\n\t" \
        "sadd16 %[we], %[we], %[we]\n\t" \
        "sxtb16 %[wo], %[" R "], ror #8\n\t" \
        "sadd16 %[wo], %[wo], %[wo]\n\t" \
        "strd   %[we], %[wo], %[" M "]\n\t"

/* One group over the span: its three int8 tap words (at fw8, fw8 + fws, fw8 + 2 fws) widened onto the
 * stack, then the pixels from p (taps d bytes apart) and op (until end), each step STEP. */
#define DW3_SPAN(STEP, P, LO) \
        "ldr    %[a0], %[fw8]\n\t" \
        "ldr    %[a1], %[fws]\n\t" \
        "ldr    %[x], [%[a0]]\n\t" \
        "ldr    %[xe], [%[a0], %[a1]]\n\t" \
        "ldr    %[a0], [%[a0], %[a1], lsl #1]\n\t" \
        DW3_WIDEN("x", "w0") DW3_WIDEN("xe", "w1") DW3_WIDEN("a0", "w2") \
        "1:\n\t" \
        "ldrd   %[a0], %[a1], [%[tp]]\n\t" \
        "ldrd   %[a2], %[a3], [%[tp], #8]\n\t" \
        DW3_TAP("", "w0") \
        DW3_TAP(", %[d]", "w1") \
        DW3_TAP(", %[d], lsl #1", "w2") \
        DW3_RQ("a0", "16") DW3_RQ("a1", "24") DW3_RQ("a2", "32") DW3_RQ("a3", "40") \
        "ldrd   %[we], %[wo], [%[tp], #48]\n\t" \
        DW3_ASR(P, "a0", "we") DW3_ASR(P, "a1", "wo") \
        "ldrd   %[we], %[wo], [%[tp], #56]\n\t" \
        DW3_ASR(P, "a2", "we") DW3_ASR(P, "a3", "wo") \
        "ssat   %[a0], #8, %[a0]\n\t" \
        "ssat   %[a1], #8, %[a1]\n\t" \
        "ssat   %[a2], #8, %[a2]\n\t" \
        "ssat   %[a3], #8, %[a3]\n\t" \
        "bfi    %[a0], %[a1], #8, #8\n\t" \
        "bfi    %[a0], %[a2], #16, #8\n\t" \
        "bfi    %[a0], %[a3], #24, #8\n\t" \
        LO \
        "str    %[a0], [%[op]]\n\t" \
        STEP \
        "add    %[op], %[op], %[c]\n\t" \
        "cmp    %[op], %[end]\n\t" \
        "bne    1b\n\t"

#define DW3_ASM(STEP, P, LO) \
    __asm__ volatile(DW3_SPAN(STEP, P, LO) \
                     : [p] "+&r"(p), [op] "+&r"(op), [a0] "=&r"(a0), [a1] "=&r"(a1), [a2] "=&r"(a2), \
                       [a3] "=&r"(a3), [x] "=&r"(x), [xe] "=&r"(xe), [we] "=&r"(we), [wo] "=&r"(wo), \
                       [w0] "=m"(wt[0]), [w1] "=m"(wt[1]), [w2] "=m"(wt[2]) \
                     : [end] "r"(end), [tp] "r"(tp), [d] "r"(d), [c] "r"(c), [fw8] "m"(w8), [fws] "m"(ws) \
                     : "cc", "memory")

/* n >= 1 pixels of the groups 0 .. groups - 1 (tables tp, tp + DW3_WORDS, ...): for group g, input pixel i
 * of the span at in + 4g + i * sw * c (taps d bytes apart), output pixel i at out + 4g + i * c; its int8
 * weights (a word of four channels per tap) at w8 + 4g, w8 + 4g + ws, w8 + 4g + 2ws, widened per group
 * onto the stack (the doubled SXTB16 halfword pairs: channels 0 and 2, then 1 and 3). One function per
 * stride, post-shift zero point and lower clamp (dw3_span_fn). */
typedef void (*dw3_span_fn)(const int32_t *tp, const int8_t *w8, int32_t ws, const int8_t *in, int8_t *out,
                            int32_t n, int32_t d, int32_t c, int32_t groups);
#define DW3_STEP1 "add    %[p], %[p], %[c]\n\t"
#define DW3_STEP2 "add    %[p], %[p], %[c], lsl #1\n\t"
#define DW3_FN(NAME, STEP, P, LO) \
    static void NAME(const int32_t *tp, const int8_t *w8, int32_t ws, const int8_t *in, int8_t *out, int32_t n, \
                     int32_t d, int32_t c, int32_t groups) \
    { \
        int32_t a0, a1, a2, a3; \
        uint32_t x, xe, we, wo; \
        uint64_t wt[3]; /* per tap the doubled (ch0, ch2), (ch1, ch3) pairs */ \
        MCU_COMPILER_BARRIER(); /* a table on the stack was just written */ \
        for (const int32_t *tend = tp + groups * DW3_WORDS; tp != tend; tp += DW3_WORDS, in += 4, out += 4, w8 += 4) { \
            const int8_t *p = in; \
            int8_t *op = out; \
            const int8_t *end = out + n * c; \
            DW3_ASM(STEP, P, LO); \
        } \
        (void)a0, (void)a1, (void)a2, (void)a3, (void)x, (void)xe, (void)we, (void)wo; \
    }
DW3_FN(dw3_s1, DW3_STEP1, DW3_NO_POST, "")
DW3_FN(dw3_s1_post, DW3_STEP1, DW3_POST, "")
DW3_FN(dw3_s2, DW3_STEP2, DW3_NO_POST, "")
DW3_FN(dw3_s2_post, DW3_STEP2, DW3_POST, "")
#undef DW3_FN

/* The window variant of an output whose taps [lo, hi) lie inside the input (3 taps, step apart, the first
 * at origin, size positions): 0 all, 1 tap 0 clipped (the window starts at tap 1), 2 tap 2 clipped (it
 * starts one tap before tap 0), -1 when no window of three taps inside the input holds them. */
static int32_t dw3_variant(int32_t origin, int32_t step, int32_t size, int32_t *start)
{
    int32_t lo, hi;
    mcu_valid_taps(origin, step, 3, size, &lo, &hi);
    if (lo == 0 && hi == 3) {
        *start = origin;
        return 0;
    }
    if (lo == 1 && hi == 3 && origin + 3 * step < size) {
        *start = origin + step;
        return 1;
    }
    if (lo == 0 && hi == 2 && origin - step >= 0) {
        *start = origin - step;
        return 2;
    }
    return -1;
}

/* ---- 1x3 at stride 1 or 2: two outputs per step along the row ----------------------------------------
 * Outputs x and x + 1 of a row share two of their three input words (pixels x + 1 and x + 2), and the
 * next pair's words are two pixels further on, so each input word is loaded and widened once. One pass
 * runs one lane pair of a group of four channels (channels 0 and 2: SXTB16; 1 and 3: SXTB16 ror 8) over
 * the outputs of a row whose window lies inside the input, and the first / last output whose first / last
 * tap is in the padding (edges: that tap reads the input zero point from the block, which adds
 * w * (zero point + input_offset) = 0), with the pair's constants in 12 stack words (a block: the
 * two start values 2 * (bias + input_offset * sum(w)), the three doubled weight pairs, (multiplier, k)
 * of each channel, rz of each channel, mcu_requant_consts; the zero point widened), built once per call
 * from the layer's table and int8 filter (per row when the channels need more than one chunk of blocks). Per pair
 * step (4 outputs, 12 MACs): two input loads and SXTB16, one LDM (start values and tap-0 weights), two
 * weight loads, twelve SMLABB / SMLATT, per output SMMLAR, the sign add, ASR (and the post-shift zero
 * point), SSAT and STRB: 47 instructions (51 with the post-shift zero point) against 56 (60) of the span.
 * At stride 2 (DW3P2_BODY) the two outputs share one word and the next pair starts at the second's last:
 * four input loads per pair step, 52 (56) instructions.
 * Outputs clamped to [-128, 127] (any other range by dw3_clamp afterwards). The assembly runs one row
 * for `lines` groups: outputs and taps d bytes apart, groups in_ls / out_ls bytes apart; rows run in
 * order, all groups of a row before the next (the planner may overlap the output with the input rows
 * already read). */
typedef struct {
    const int8_t *in; /* the first group's first tap of the first output (its word of four channels) */
    int8_t *out;      /* the first group's first output, + 1 for the odd lanes */
    int32_t n;        /* outputs per group, >= 1 */
    int32_t d;        /* bytes between outputs (and taps) along the row */
    int32_t in_ls;    /* bytes between groups: input */
    int32_t out_ls;   /* output */
    int32_t lines;    /* lines (groups, or rows: dw3p_map), >= 1 */
    int32_t blk_step; /* bytes from one line's block to the next: 48 (lines are groups), 0 (lines are rows) */
    const int32_t *blk;
    int32_t edges;    /* 1: the first output's first tap is padding; 2: one output more, its last tap padding */
} dw3p_args;
_Static_assert(offsetof(dw3p_args, lines) == 24 && offsetof(dw3p_args, blk_step) == 28 &&
                   offsetof(dw3p_args, blk) == 32 && offsetof(dw3p_args, edges) == 36,
               "the pair passes read these offsets");

enum { DW3P_WORDS = 12 };

/* r0 input (the pair's third word), r1 output, r2 the group's end of pairs, r3 block, r4 d, r5 r6 the
 * first output's accumulators (lanes 0, 1), r7 r8 the second's, r9 .. r12 the sliding input words, lr a
 * weight pair or temporary. */
#define DW3P_RQ2(A, B, M, K) \
        "smmlar lr, " A ", " M ", " K "\n\t" \
        "add    " A ", lr, " A ", asr #31\n\t" \
        "smmlar lr, " B ", " M ", " K "\n\t" \
        "add    " B ", lr, " B ", asr #31\n\t"
#define DW3P_POST(A, R) "add    " A ", " A ", " R ", asr #8\n\t"
#define DW3P_NO_POST(A, R) ""
/* the pair step's four outputs requantized (the block's constants loaded into XA, XB) and stored, r1 on to
 * the next pair */
#define DW3P_OUT4(XA, XB, P) \
        "ldrd   " XA ", " XB ", [r3, #20]\n\t" \
        DW3P_RQ2("r5", "r7", XA, XB) \
        "ldrd   " XA ", " XB ", [r3, #28]\n\t" \
        DW3P_RQ2("r6", "r8", XA, XB) \
        "ldrd   " XA ", " XB ", [r3, #36]\n\t" \
        "asr    r5, r5, " XA "\n\t" \
        "asr    r7, r7, " XA "\n\t" \
        "asr    r6, r6, " XB "\n\t" \
        "asr    r8, r8, " XB "\n\t" \
        P("r5", XA) P("r7", XA) P("r6", XB) P("r8", XB) \
        "ssat   r5, #8, r5\n\t" \
        "ssat   r6, #8, r6\n\t" \
        "ssat   r7, #8, r7\n\t" \
        "ssat   r8, #8, r8\n\t" \
        "strb   r5, [r1]\n\t" \
        "strb   r6, [r1, #2]\n\t" \
        "strb   r7, [r1, r4]\n\t" \
        "add    r1, r1, r4\n\t" \
        "strb   r8, [r1, #2]\n\t" \
        "add    r1, r1, r4\n\t"
/* one pair step: Xa, Xb the first output's first two words (widened), Na, Nb loaded and widened here */
#define DW3P_STEP(XA, XB, NA, NB, SXT, P) \
        "ldm    r3, {r5, r6, lr}\n\t" \
        "smlabb r7, " XB ", lr, r5\n\t" \
        "smlatt r8, " XB ", lr, r6\n\t" \
        "smlabb r5, " XA ", lr, r5\n\t" \
        "smlatt r6, " XA ", lr, r6\n\t" \
        "ldr    " NA ", [r0]\n\t" \
        "sxtb16 " NA ", " NA SXT "\n\t" \
        "ldr    lr, [r3, #12]\n\t" \
        "smlabb r5, " XB ", lr, r5\n\t" \
        "smlatt r6, " XB ", lr, r6\n\t" \
        "smlabb r7, " NA ", lr, r7\n\t" \
        "smlatt r8, " NA ", lr, r8\n\t" \
        "ldr    " NB ", [r0, r4]\n\t" \
        "sxtb16 " NB ", " NB SXT "\n\t" \
        "ldr    lr, [r3, #16]\n\t" \
        "smlabb r5, " NA ", lr, r5\n\t" \
        "smlatt r6, " NA ", lr, r6\n\t" \
        "smlabb r7, " NB ", lr, r7\n\t" \
        "smlatt r8, " NB ", lr, r8\n\t" \
        DW3P_OUT4(XA, XB, P) \
        "add    r0, r0, r4, lsl #1\n\t" \
        "cmp    r1, r2\n\t"
/* one output from the words in r9, r10 and the one LX puts into r11 */
#define DW3P_ONE(LX, P) \
        "ldm    r3, {r5, r6, lr}\n\t" \
        "smlabb r5, r9, lr, r5\n\t" \
        "smlatt r6, r9, lr, r6\n\t" \
        LX \
        "ldr    lr, [r3, #12]\n\t" \
        "smlabb r5, r10, lr, r5\n\t" \
        "smlatt r6, r10, lr, r6\n\t" \
        "ldr    lr, [r3, #16]\n\t" \
        "smlabb r5, r11, lr, r5\n\t" \
        "smlatt r6, r11, lr, r6\n\t" \
        "ldrd   r7, r8, [r3, #20]\n\t" \
        "smmlar lr, r5, r7, r8\n\t" \
        "add    r5, lr, r5, asr #31\n\t" \
        "ldrd   r7, r8, [r3, #28]\n\t" \
        "smmlar lr, r6, r7, r8\n\t" \
        "add    r6, lr, r6, asr #31\n\t" \
        "ldrd   r7, r8, [r3, #36]\n\t" \
        "asr    r5, r5, r7\n\t" \
        "asr    r6, r6, r8\n\t" \
        P("r5", "r7") P("r6", "r8") \
        "ssat   r5, #8, r5\n\t" \
        "ssat   r6, #8, r6\n\t" \
        "strb   r5, [r1]\n\t" \
        "strb   r6, [r1, #2]\n\t"
/* The start of a pass (both bodies): the arguments' pointer kept on the stack, r3 the block, r4 the step d;
 * per line the input and output pointers, the end of its pairs (r2) and the edges flags (r5), the
 * arguments advanced to the next line. */
#define DW3P_START \
        "push   {r0, r4, r5, r6, r7, r8, r9, r10, r11, lr}\n\t" \
        "ldr    r3, [r0, #32]\n\t" \
        "ldr    r4, [r0, #12]\n\t" \
        "1:\n\t" \
        "ldr    r12, [sp]\n\t" \
        "ldm    r12, {r0, r1, r2}\n\t" \
        "ldr    r5, [r12, #16]\n\t" \
        "add    r5, r0, r5\n\t" \
        "str    r5, [r12]\n\t" \
        "ldr    r5, [r12, #20]\n\t" \
        "add    r5, r1, r5\n\t" \
        "str    r5, [r12, #4]\n\t" \
        "bic    r2, r2, #1\n\t" \
        "mla    r2, r2, r4, r1\n\t" \
        "ldr    r5, [r12, #36]\n\t"
/* The pass's first tap: the zero point from the block when it is padding (edges bit 0), else the input. */
#define DW3P_EDGE(SXT) \
        "tst    r5, #1\n\t" \
        "ite    ne\n\t" \
        "ldrne  r9, [r3, #44]\n\t" \
        "ldreq  r9, [r0]\n\t" \
        "it     eq\n\t" \
        "sxtb16eq r9, r9" SXT "\n\t"
/* The end of a line (both bodies): ODD, the last output when n is odd, LAST the output after the
 * pairs whose last tap is padding (edges bit 1); then the next line, else the return. */
#define DW3P_END(ODD, LAST) \
        "4:\n\t" \
        "ldr    r12, [sp]\n\t" \
        "ldr    r5, [r12, #8]\n\t" \
        "tst    r5, #1\n\t" \
        "beq    6f\n\t" \
        ODD \
        "6:\n\t" \
        "ldr    r12, [sp]\n\t" \
        "ldr    r5, [r12, #36]\n\t" \
        "tst    r5, #2\n\t" \
        "beq    5f\n\t" \
        LAST \
        "5:\n\t" \
        "ldr    r12, [sp]\n\t" \
        "ldrd   r5, r6, [r12, #24]\n\t" \
        "add    r3, r3, r6\n\t" \
        "subs   r5, r5, #1\n\t" \
        "str    r5, [r12, #24]\n\t" \
        "bne    1b\n\t" \
        "pop    {r0, r4, r5, r6, r7, r8, r9, r10, r11, pc}\n\t"
#define DW3P_BODY(SXT, P) \
        DW3P_START \
        "ldr    r10, [r0, r4]\n\t" \
        "sxtb16 r10, r10" SXT "\n\t" \
        DW3P_EDGE(SXT) \
        "add    r0, r0, r4, lsl #1\n\t" \
        "cmp    r1, r2\n\t" \
        "beq    4f\n\t" \
        "2:\n\t" \
        DW3P_STEP("r9", "r10", "r11", "r12", SXT, P) \
        "beq    3f\n\t" \
        DW3P_STEP("r11", "r12", "r9", "r10", SXT, P) \
        "bne    2b\n\t" \
        "b      4f\n\t" \
        "3:\n\t" \
        "mov    r9, r11\n\t" \
        "mov    r10, r12\n\t" \
        DW3P_END(DW3P_ONE("ldr    r11, [r0]\n\tsxtb16 r11, r11" SXT "\n\t", P) \
                 "add    r1, r1, r4\n\t" \
                 "mov    r9, r10\n\t" \
                 "mov    r10, r11\n\t", \
                 DW3P_ONE("ldr    r11, [r3, #44]\n\t", P))

/* Stride 2: outputs x and x + 1 share one word (pixel 2x + 2), the next pair starts at the last word
 * (pixel 2x + 4), kept in r9; per pair step four input loads. */
#define DW3P2_STEP(SXT, P) \
        "ldm    r3, {r5, r6, lr}\n\t" \
        "ldr    r10, [r0, r4, lsl #1]\n\t" \
        "sxtb16 r10, r10" SXT "\n\t" \
        "smlabb r7, r10, lr, r5\n\t" \
        "smlatt r8, r10, lr, r6\n\t" \
        "smlabb r5, r9, lr, r5\n\t" \
        "smlatt r6, r9, lr, r6\n\t" \
        "ldr    lr, [r3, #16]\n\t" \
        "smlabb r5, r10, lr, r5\n\t" \
        "smlatt r6, r10, lr, r6\n\t" \
        "ldr    r9, [r0, r4, lsl #2]\n\t" \
        "sxtb16 r9, r9" SXT "\n\t" \
        "smlabb r7, r9, lr, r7\n\t" \
        "smlatt r8, r9, lr, r8\n\t" \
        "ldr    lr, [r3, #12]\n\t" \
        "ldr    r10, [r0, r4]\n\t" \
        "sxtb16 r10, r10" SXT "\n\t" \
        "smlabb r5, r10, lr, r5\n\t" \
        "smlatt r6, r10, lr, r6\n\t" \
        "add    r0, r0, r4, lsl #1\n\t" \
        "ldr    r10, [r0, r4]\n\t" \
        "sxtb16 r10, r10" SXT "\n\t" \
        "smlabb r7, r10, lr, r7\n\t" \
        "smlatt r8, r10, lr, r8\n\t" \
        "add    r0, r0, r4, lsl #1\n\t" \
        DW3P_OUT4("r10", "r11", P) \
        "cmp    r1, r2\n\t"
#define DW3P2_BODY(SXT, P) \
        DW3P_START DW3P_EDGE(SXT) \
        "cmp    r1, r2\n\t" \
        "beq    4f\n\t" \
        "2:\n\t" \
        DW3P2_STEP(SXT, P) \
        "bne    2b\n\t" \
        DW3P_END(DW3P_ONE("ldr    r10, [r0, r4]\n\tsxtb16 r10, r10" SXT "\n\t" \
                          "ldr    r11, [r0, r4, lsl #1]\n\tsxtb16 r11, r11" SXT "\n\t", P) \
                 "add    r1, r1, r4\n\t" \
                 "add    r0, r0, r4, lsl #1\n\t" \
                 "mov    r9, r11\n\t", \
                 DW3P_ONE("ldr    r10, [r0, r4]\n\tsxtb16 r10, r10" SXT "\n\tldr    r11, [r3, #44]\n\t", P))

/* The pass over `lines` groups of one lane pair (a: dw3p_args; the assembly updates its in, out and
 * lines). */
typedef void (*dw3p_fn)(dw3p_args *a);
#define DW3P_FN(NAME, BODY, SXT, P) \
    static __attribute__((naked, noinline)) void NAME(dw3p_args *a __attribute__((unused))) \
    { \
        __asm__ volatile(BODY(SXT, P)); \
    }
DW3P_FN(dw3p_even, DW3P_BODY, "", DW3P_NO_POST)
DW3P_FN(dw3p_odd, DW3P_BODY, ", ror #8", DW3P_NO_POST)
DW3P_FN(dw3p_even_post, DW3P_BODY, "", DW3P_POST)
DW3P_FN(dw3p_odd_post, DW3P_BODY, ", ror #8", DW3P_POST)
DW3P_FN(dw3p2_even, DW3P2_BODY, "", DW3P_NO_POST)
DW3P_FN(dw3p2_odd, DW3P2_BODY, ", ror #8", DW3P_NO_POST)
DW3P_FN(dw3p2_even_post, DW3P2_BODY, "", DW3P_POST)
DW3P_FN(dw3p2_odd_post, DW3P2_BODY, ", ror #8", DW3P_POST)
#undef DW3P_FN

/* groups per pair pass (their blocks on the stack: 96 bytes per group) */
enum { DW3P_CHUNK = 8 };

/* The block of lane pair l (channels l and l + 2) of group g (mcu_depthwise_3tap_dsp_s8's table, the
 * layer's int8 filter [3][c], the input zero point in both halfwords) into b (DW3P_WORDS). */
static inline __attribute__((always_inline)) void dw3p_block(const int32_t *table, const int8_t *filter, int32_t c, int32_t g, int32_t l, uint32_t zp2,
                       int32_t *b)
{
    const int32_t c0 = 4 * g, *t = table + g * DW3_WORDS;
    b[0] = t[DW3_BASE + l], b[1] = t[DW3_BASE + 2 + l];
    for (int32_t k = 0; k < 3; ++k) { /* the doubled weights of channels l and l + 2 */
        const uint32_t w = mcu_load_u32(filter + k * c + c0);
        const int16x2_t x = (int16x2_t)(l ? mcu_sxtb16_ror8(w) : mcu_sxtb16(w));
        b[2 + k] = (int32_t)__sadd16(x, x);
    }
    b[5] = t[DW3_MK + 2 * l], b[6] = t[DW3_MK + 2 * l + 1];
    b[7] = t[DW3_MK + 2 * l + 4], b[8] = t[DW3_MK + 2 * l + 5];
    b[9] = t[DW3_RZ + l], b[10] = t[DW3_RZ + 2 + l], b[11] = (int32_t)zp2;
}

/* The pair passes of one output row of a 1x3 layer, every group: n outputs from out (channel 0), their
 * first taps from in, with the table of mcu_depthwise_3tap_dsp_s8 and the layer's int8 filter ([3][c]);
 * the blocks of the groups g0 .. g0 + DW3P_CHUNK - 1 are in blk (even lanes, then odd) when *built == g0,
 * else they are built here. */
static void dw3p_row(const int32_t *table, const int8_t *filter, int32_t c, const int8_t *in, int8_t *out,
                     int32_t n, int32_t edges, uint32_t zp2, int post, int32_t sw,
                     int32_t blk[2][DW3P_CHUNK * DW3P_WORDS], int32_t *built)
{
    static const dw3p_fn fns[2][2][2] = {{{dw3p_even, dw3p_odd}, {dw3p_even_post, dw3p_odd_post}},
                                         {{dw3p2_even, dw3p2_odd}, {dw3p2_even_post, dw3p2_odd_post}}};
    dw3p_args a;
    for (int32_t g0 = 0; g0 < c / 4; g0 += DW3P_CHUNK) {
        const int32_t groups = mcu_min_i32(DW3P_CHUNK, c / 4 - g0);
        for (int32_t g = 0; g < groups && *built != g0; ++g) {
            for (int32_t l = 0; l < 2; ++l) {
                dw3p_block(table, filter, c, g0 + g, l, zp2, blk[l] + g * DW3P_WORDS);
            }
        }
        *built = g0;
        for (int32_t l = 0; l < 2; ++l) {
            a.in = in + 4 * g0, a.out = out + 4 * g0 + l, a.n = n, a.d = c, a.in_ls = 4, a.out_ls = 4;
            a.lines = groups, a.blk = blk[l], a.edges = edges, a.blk_step = 4 * DW3P_WORDS;
            MCU_COMPILER_BARRIER(); /* the blocks and the arguments are read by the assembly */
            fns[sw == 2][post != 0][l](&a);
            MCU_COMPILER_BARRIER();
        }
    }
}

/* The pair passes of every output row of a 1x3 layer's map at once (the lines of a pass are its rows:
 * in_r / out_r bytes apart, the group's block for each): per group and lane pair one call instead of one
 * per row and lane pair, so small maps (a patch stage's tiles) do not pay a pass's start per row. For
 * maps whose pair passes run every output of a row and whose output does not overlap the input (a group
 * writes every row before the next group reads its input). */
static void dw3p_map(const int32_t *table, const int8_t *filter, int32_t c, const int8_t *in, int8_t *out,
                     int32_t n, int32_t rows, int32_t in_r, int32_t out_r, int32_t edges, uint32_t zp2, int post,
                     int32_t sw, int32_t blk[2][DW3P_CHUNK * DW3P_WORDS])
{
    static const dw3p_fn fns[2][2][2] = {{{dw3p_even, dw3p_odd}, {dw3p_even_post, dw3p_odd_post}},
                                         {{dw3p2_even, dw3p2_odd}, {dw3p2_even_post, dw3p2_odd_post}}};
    dw3p_args a;
    for (int32_t g0 = 0; g0 < c / 4; g0 += DW3P_CHUNK) {
        const int32_t groups = mcu_min_i32(DW3P_CHUNK, c / 4 - g0);
        for (int32_t g = 0; g < groups; ++g) {
            for (int32_t l = 0; l < 2; ++l) {
                dw3p_block(table, filter, c, g0 + g, l, zp2, blk[l] + g * DW3P_WORDS);
            }
        }
        for (int32_t g = 0; g < groups; ++g) {
            for (int32_t l = 0; l < 2; ++l) {
                a.in = in + 4 * (g0 + g), a.out = out + 4 * (g0 + g) + l, a.n = n, a.d = c, a.in_ls = in_r;
                a.out_ls = out_r, a.lines = rows, a.blk = blk[l] + g * DW3P_WORDS, a.edges = edges, a.blk_step = 0;
                MCU_COMPILER_BARRIER(); /* the blocks and the arguments are read by the assembly */
                fns[sw == 2][post != 0][l](&a);
                MCU_COMPILER_BARRIER();
            }
        }
    }
}

/* dw3p_map over every batch when the output does not overlap the input (else 0: the rows one by one) */
static __attribute__((noinline)) int dw3p_maps(const int32_t *table, const int8_t *filter, const mcu_dims *in,
                                               const int8_t *input, const mcu_dims *out, int8_t *output, int32_t sh,
                                               int32_t pad, int32_t n, int32_t edges, uint32_t zp2, int post,
                                               int32_t sw, int32_t blk[2][DW3P_CHUNK * DW3P_WORDS])
{
    const int32_t c = in->c, in_b = in->h * in->w * c, out_b = out->h * out->w * c;
    const uintptr_t i0 = (uintptr_t)input, i1 = i0 + (uintptr_t)in->n * in_b;
    const uintptr_t o0 = (uintptr_t)output, o1 = o0 + (uintptr_t)out->n * out_b;
    if (!(o1 <= i0 || i1 <= o0)) {
        return 0;
    }
    for (int32_t b = 0; b < in->n; ++b) {
        dw3p_map(table, filter, c, input + (int64_t)b * in_b - (int64_t)pad * c, output + (int64_t)b * out_b, n,
                 out->h, sh * in->w * c, out->w * c, edges, zp2, post, sw, blk);
    }
    return 1;
}

/* ---- 3x1 at stride 1 or 2 down the rows: two output rows per step -------------------------------------
 * Output rows y and y + 1 (both windows inside the input) share two of their four input rows (stride 2:
 * one of five, one more load and SXTB16 per lane pair). One step
 * runs one pixel of one group of four channels for both rows: per lane pair (channels 0 and 2, then 1
 * and 3, the blocks of dw3p_block side by side per group) four input loads (rows y - 1 .. y + 2) and
 * SXTB16, one LDM (start values and tap-0 weights), two weight loads, twelve SMLABB / SMLATT and the
 * requantization and stores of dw3p (49 instructions, 53 with the post-shift zero point, per 4 outputs
 * against the span's 56 and 60). The steps run in memory order (pixel by pixel, the groups of a pixel
 * in order), both lane pairs of a step before the next, so an output that the planner overlaps with the
 * input (row y + 1 no further on than the first input row of row y's window) is only written over input
 * bytes already read: at the same position, its own step's odd lane pair reads the other bytes of the
 * words. Channels: at most DW3P_CHUNK groups (their blocks wrap per pixel) in dw3v_rows. dw3v_any takes
 * stride 2 along the rows (the input pixel 2x under output pixel x) and more groups, in chunks of
 * DW3P_CHUNK whose blocks wrap per pixel (then in_skip / out_skip bytes to the pixel's next chunk's
 * first group, next pixel), one load more per half step for the output row distance. It runs where the
 * two output rows do not overlap the step's input rows, or row y + 1 starts at or before its first
 * input row (at stride 2 along the rows output pixel x would run ahead of input pixel 2x otherwise) and,
 * with more than one chunk, a multiple of c bytes before it (a chunk's outputs land on its own bytes of
 * input pixels already read, never on the next chunk's); else the rows run the span. */
typedef struct {
    const int8_t *in;    /* row y - 1 of the first pixel (its first group) */
    int8_t *out;         /* output row y, first pixel */
    const int8_t *end;   /* the end of output row y */
    int32_t r;           /* bytes between rows (input and output) */
    const int32_t *blk;  /* blocks: group 0 lanes (0, 2), group 0 lanes (1, 3), group 1 ... */
    const int32_t *blk_end;
    int32_t in_skip;     /* dw3v_any: bytes from a pixel's last group to the next pixel's first, input */
    int32_t out_skip;    /* output */
    int32_t out_r;       /* dw3v_any: bytes between output rows */
} dw3v_args;

/* r0 input, r1 output, r2 the end of the blocks, r3 block, r4 r, r5 r6 row y's accumulators (lanes l,
 * l + 2), r7 r8 row y + 1's, r9 .. r12 the four input rows' words, lr a weight pair or temporary; O, O2
 * the lanes' byte offsets. */
/* the first and last input row of a step: loaded and widened, or (a padded row of a SAME border pair)
 * the input zero point widened, from the block (its tap adds w * (zero point + input_offset) = 0) */
#define DW3V_SX(R, SXT) "sxtb16 " R ", " R SXT "\n\t"
#define DW3V_ZP(R) "ldr    " R ", [r3, #44]\n\t"
#define DW3V_MAC1(SXT) DW3V_MAC1X(SXT, "ldr    r9, [r0]\n\t", DW3V_SX("r9", SXT), \
                                  "add    lr, r0, r4, lsl #1\n\t" "ldr    r12, [lr, r4]\n\t", DW3V_SX("r12", SXT))
#define DW3V_MAC1_TOP(SXT) DW3V_MAC1X(SXT, DW3V_ZP("r9"), "", \
                                      "add    lr, r0, r4, lsl #1\n\t" "ldr    r12, [lr, r4]\n\t", DW3V_SX("r12", SXT))
#define DW3V_MAC1_BOT(SXT) DW3V_MAC1X(SXT, "ldr    r9, [r0]\n\t", DW3V_SX("r9", SXT), DW3V_ZP("r12"), "")
#define DW3V_MAC1X(SXT, LT, WT, LB, WB) \
        LT \
        "ldr    r10, [r0, r4]\n\t" \
        "ldr    r11, [r0, r4, lsl #1]\n\t" \
        LB \
        WT \
        "sxtb16 r10, r10" SXT "\n\t" \
        "sxtb16 r11, r11" SXT "\n\t" \
        WB \
        "ldm    r3, {r5, r6, lr}\n\t" \
        "smlabb r7, r10, lr, r5\n\t" \
        "smlatt r8, r10, lr, r6\n\t" \
        "smlabb r5, r9, lr, r5\n\t" \
        "smlatt r6, r9, lr, r6\n\t" \
        "ldr    lr, [r3, #12]\n\t" \
        "smlabb r5, r10, lr, r5\n\t" \
        "smlatt r6, r10, lr, r6\n\t" \
        "smlabb r7, r11, lr, r7\n\t" \
        "smlatt r8, r11, lr, r8\n\t" \
        "ldr    lr, [r3, #16]\n\t" \
        "smlabb r5, r11, lr, r5\n\t" \
        "smlatt r6, r11, lr, r6\n\t" \
        "smlabb r7, r12, lr, r7\n\t" \
        "smlatt r8, r12, lr, r8\n\t"
/* stride 2: rows y - 1 .. y + 1 and y + 1 .. y + 3, five input rows */
#define DW3V_MAC2(SXT) DW3V_MAC2X(SXT, "ldr    r9, [r0]\n\t", DW3V_SX("r9", SXT), \
                                  "ldr    r10, [r0, r4, lsl #2]\n\t", DW3V_SX("r10", SXT))
#define DW3V_MAC2_TOP(SXT) DW3V_MAC2X(SXT, DW3V_ZP("r9"), "", "ldr    r10, [r0, r4, lsl #2]\n\t", DW3V_SX("r10", SXT))
#define DW3V_MAC2_BOT(SXT) DW3V_MAC2X(SXT, "ldr    r9, [r0]\n\t", DW3V_SX("r9", SXT), DW3V_ZP("r10"), "")
#define DW3V_MAC2X(SXT, LT, WT, LB, WB) \
        LT \
        "ldr    r10, [r0, r4]\n\t" \
        "ldr    r11, [r0, r4, lsl #1]\n\t" \
        WT \
        "sxtb16 r10, r10" SXT "\n\t" \
        "sxtb16 r11, r11" SXT "\n\t" \
        "ldm    r3, {r5, r6, lr}\n\t" \
        "smlabb r7, r11, lr, r5\n\t" \
        "smlatt r8, r11, lr, r6\n\t" \
        "smlabb r5, r9, lr, r5\n\t" \
        "smlatt r6, r9, lr, r6\n\t" \
        "ldr    lr, [r3, #12]\n\t" \
        "smlabb r5, r10, lr, r5\n\t" \
        "smlatt r6, r10, lr, r6\n\t" \
        "add    r12, r0, r4, lsl #1\n\t" \
        "ldr    r9, [r12, r4]\n\t" \
        "sxtb16 r9, r9" SXT "\n\t" \
        "smlabb r7, r9, lr, r7\n\t" \
        "smlatt r8, r9, lr, r8\n\t" \
        "ldr    lr, [r3, #16]\n\t" \
        "smlabb r5, r11, lr, r5\n\t" \
        "smlatt r6, r11, lr, r6\n\t" \
        LB \
        WB \
        "smlabb r7, r10, lr, r7\n\t" \
        "smlatt r8, r10, lr, r8\n\t"
/* the requantization and stores of a half step (lane byte offsets O, O2) */
#define DW3V_OUT(O, O2, P, ROW) \
        "ldrd   r9, r10, [r3, #20]\n\t" \
        DW3P_RQ2("r5", "r7", "r9", "r10") \
        "ldrd   r9, r10, [r3, #28]\n\t" \
        DW3P_RQ2("r6", "r8", "r9", "r10") \
        "ldrd   r9, r10, [r3, #36]\n\t" \
        "asr    r5, r5, r9\n\t" \
        "asr    r7, r7, r9\n\t" \
        "asr    r6, r6, r10\n\t" \
        "asr    r8, r8, r10\n\t" \
        P("r5", "r9") P("r7", "r9") P("r6", "r10") P("r8", "r10") \
        "ssat   r5, #8, r5\n\t" \
        "ssat   r6, #8, r6\n\t" \
        "ssat   r7, #8, r7\n\t" \
        "ssat   r8, #8, r8\n\t" \
        "strb   r5, [r1, #" O "]\n\t" \
        "strb   r6, [r1, #" O2 "]\n\t" \
        ROW \
        "strb   r7, [lr, #" O "]\n\t" \
        "strb   r8, [lr, #" O2 "]\n\t"
#define DW3V_BODY(MAC, P) \
        "push   {r0, r4, r5, r6, r7, r8, r9, r10, r11, lr}\n\t" \
        "ldr    r4, [r0, #12]\n\t" \
        "ldr    r3, [r0, #16]\n\t" \
        "ldr    r2, [r0, #20]\n\t" \
        "ldr    r1, [r0, #4]\n\t" \
        "ldr    r0, [r0]\n\t" \
        "1:\n\t" \
        MAC("") DW3V_OUT("0", "2", P, DW3V_ROW) \
        "add    r3, r3, #48\n\t" \
        MAC(", ror #8") DW3V_OUT("1", "3", P, DW3V_ROW) \
        "add    r3, r3, #48\n\t" \
        "add    r0, r0, #4\n\t" \
        "add    r1, r1, #4\n\t" \
        "cmp    r3, r2\n\t" \
        "bne    1b\n\t" \
        "ldr    r12, [sp]\n\t" \
        "ldr    r3, [r12, #16]\n\t" \
        "ldr    lr, [r12, #8]\n\t" \
        "cmp    r1, lr\n\t" \
        "bne    1b\n\t" \
        "pop    {r0, r4, r5, r6, r7, r8, r9, r10, r11, pc}\n\t"

/* row y + 1 of the output: r4 bytes on (the input's rows, dw3v_rows) or out_r (pushed, dw3v_any) */
#define DW3V_ROW "add    lr, r1, r4\n\t"
#define DW3V_ROW_ANY "ldr    lr, [sp]\n\t" "add    lr, r1, lr\n\t"
/* Any stride along the rows (1 or 2: the input skips a pixel per output) and any number of groups (the
 * blocks of a chunk of them, then in_skip / out_skip bytes to the next pixel's first group): output rows
 * y and y + 1 are out_r bytes apart. */
#define DW3V_ANY_BODY(MAC, P) \
        "push   {r0, r4, r5, r6, r7, r8, r9, r10, r11, lr}\n\t" \
        "ldr    r12, [r0, #32]\n\t" \
        "push   {r12}\n\t" \
        "ldr    r4, [r0, #12]\n\t" \
        "ldr    r3, [r0, #16]\n\t" \
        "ldr    r2, [r0, #20]\n\t" \
        "ldr    r1, [r0, #4]\n\t" \
        "ldr    r0, [r0]\n\t" \
        "1:\n\t" \
        MAC("") DW3V_OUT("0", "2", P, DW3V_ROW_ANY) \
        "add    r3, r3, #48\n\t" \
        MAC(", ror #8") DW3V_OUT("1", "3", P, DW3V_ROW_ANY) \
        "add    r3, r3, #48\n\t" \
        "add    r0, r0, #4\n\t" \
        "add    r1, r1, #4\n\t" \
        "cmp    r3, r2\n\t" \
        "bne    1b\n\t" \
        "ldr    r12, [sp, #4]\n\t" \
        "ldr    r3, [r12, #16]\n\t" \
        "ldrd   r5, r6, [r12, #24]\n\t" \
        "add    r0, r0, r5\n\t" \
        "add    r1, r1, r6\n\t" \
        "ldr    lr, [r12, #8]\n\t" \
        "cmp    r1, lr\n\t" \
        "bne    1b\n\t" \
        "add    sp, sp, #4\n\t" \
        "pop    {r0, r4, r5, r6, r7, r8, r9, r10, r11, pc}\n\t"

typedef void (*dw3v_fn)(const dw3v_args *a);

/* The blocks of groups g0 .. g0 + n - 1 for the two-row steps, side by side per group (lanes (0, 2), then
 * (1, 3)) from b. */
static void dw3v_blocks(const int32_t *table, const int8_t *filter, int32_t c, int32_t g0, int32_t n, uint32_t zp2,
                        int32_t *b)
{
    for (int32_t g = 0; g < n; ++g) {
        for (int32_t l = 0; l < 2; ++l) {
            dw3p_block(table, filter, c, g0 + g, l, zp2, b + (2 * g + l) * DW3P_WORDS);
        }
    }
}
/* Output rows y and y + 1 of a 3x1 layer at stride 1 (MAC1) or 2 (MAC2) down the rows and 1 along them,
 * every pixel and group (a: dw3v_args). */
#define DW3V_FN(NAME, MAC, P) \
    static __attribute__((naked, noinline)) void NAME(const dw3v_args *a __attribute__((unused))) \
    { \
        __asm__ volatile(DW3V_BODY(MAC, P)); \
    }
DW3V_FN(dw3v_rows, DW3V_MAC1, DW3P_NO_POST)
DW3V_FN(dw3v_rows_post, DW3V_MAC1, DW3P_POST)
DW3V_FN(dw3v_rows2, DW3V_MAC2, DW3P_NO_POST)
DW3V_FN(dw3v_rows2_post, DW3V_MAC2, DW3P_POST)
#undef DW3V_FN
#define DW3V_FN(NAME, MAC, P) \
    static __attribute__((naked, noinline)) void NAME(const dw3v_args *a __attribute__((unused))) \
    { \
        __asm__ volatile(DW3V_ANY_BODY(MAC, P)); \
    }
DW3V_FN(dw3v_any, DW3V_MAC1, DW3P_NO_POST)
DW3V_FN(dw3v_any_post, DW3V_MAC1, DW3P_POST)
DW3V_FN(dw3v_any2, DW3V_MAC2, DW3P_NO_POST)
DW3V_FN(dw3v_any2_post, DW3V_MAC2, DW3P_POST)
/* SAME border pairs (the first row's first tap or the second row's last tap in the padding: the zero
 * point from the block), with the post-shift zero point (adding rz >> 8 = 0 when a layer has none) */
DW3V_FN(dw3v_top, DW3V_MAC1_TOP, DW3P_POST)
DW3V_FN(dw3v_bot, DW3V_MAC1_BOT, DW3P_POST)
DW3V_FN(dw3v_top2, DW3V_MAC2_TOP, DW3P_POST)
DW3V_FN(dw3v_bot2, DW3V_MAC2_BOT, DW3P_POST)
#undef DW3V_FN

/* The activation range other than [-128, 127] (act_min > -128, act_max < 127) on n bytes (a multiple of 4)
 * that the passes above wrote clamped to [-128, 127] only: four bytes per SSUB8 / SEL pair. The passes
 * then run one variant for every clamp, and it costs 5 (one bound) or 7 (both) instructions per word of
 * four outputs, fewer than a clamp per output in their byte stores. The bytes are output bytes already
 * written, so an output that overlaps the input as the planner allows stays correct. */
static __attribute__((noinline)) void dw3_clamp(int8_t *out, int32_t n, int32_t act_min, int32_t act_max)
{
    const uint32_t lo = 0x01010101u * (uint8_t)act_min, hi = 0x01010101u * (uint8_t)act_max;
    const int both = act_max < MCU_INT8_MAX;
    int8_t *const end = out + n;
    if (((uintptr_t)out & 3) == 0 && n >= 16) { /* four words per step (arena tensors are word aligned) */
        const int8_t *const e = out + n / 16 * 16;
        uint32_t a, b, c, d, t;
#define DW3_MAX4(X) "ssub8  %[t], %[" X "], %[lo]\n\t" "sel    %[" X "], %[" X "], %[lo]\n\t"
#define DW3_MIN4(X) "ssub8  %[t], %[" X "], %[hi]\n\t" "sel    %[" X "], %[hi], %[" X "]\n\t"
#define DW3_CLAMP_LOOP(MIN) \
        __asm__ volatile("1:\n\t" \
                         "ldrd   %[a], %[b], [%[p]]\n\t" \
                         "ldrd   %[c], %[d], [%[p], #8]\n\t" \
                         DW3_MAX4("a") DW3_MAX4("b") DW3_MAX4("c") DW3_MAX4("d") MIN \
                         "strd   %[a], %[b], [%[p]], #8\n\t" \
                         "strd   %[c], %[d], [%[p]], #8\n\t" \
                         "cmp    %[p], %[e]\n\t" \
                         "bne    1b\n\t" \
                         : [p] "+&r"(out), [a] "=&r"(a), [b] "=&r"(b), [c] "=&r"(c), [d] "=&r"(d), [t] "=&r"(t) \
                         : [e] "r"(e), [lo] "r"(lo), [hi] "r"(hi) \
                         : "cc", "memory")
        if (both) {
            DW3_CLAMP_LOOP(DW3_MIN4("a") DW3_MIN4("b") DW3_MIN4("c") DW3_MIN4("d"));
        } else {
            DW3_CLAMP_LOOP("");
        }
#undef DW3_CLAMP_LOOP
#undef DW3_MIN4
#undef DW3_MAX4
        (void)a, (void)b, (void)c, (void)d, (void)t;
    }
    for (; out != end; out += 4) {
        const uint32_t v = mcu_max_s8x4(mcu_load_u32(out), lo);
        const uint32_t u = both ? mcu_min_s8x4(v, hi) : v;
        memcpy(out, &u, 4);
    }
}

mcu_status mcu_depthwise_3tap_dsp_s8(const mcu_dw_conv_params *params, const mcu_per_channel_quant *quant,
                                     const mcu_dims *input_dims, const int8_t *input,
                                     const mcu_dims *filter_dims, const int8_t *filter, const int32_t *bias,
                                     const mcu_dims *output_dims, int8_t *output)
{
    const int32_t in_h = input_dims->h, in_w = input_dims->w, c = input_dims->c;
    const int32_t out_h = output_dims->h, out_w = output_dims->w;
    const int32_t sh = params->stride.h, sw = params->stride.w, in_off = params->input_offset;
    const int vertical = filter_dims->h == 3; /* 3x1: taps down the rows; 1x3: along the row */
    /* any clamp inside [-128, 127] runs after the passes (dw3_clamp), which clamp to [-128, 127] only */
    const int clamp = params->act_min > MCU_INT8_MIN || params->act_max < MCU_INT8_MAX;
    const uint32_t zp4 = 0x01010101u * (uint8_t)(-in_off); /* the input zero point in every byte */
    const int32_t step = params->dilation.w, d = step * c, pad = params->padding.w;
    /* 1x3: the outputs ox_a .. ox_b - 1 have every tap inside the input */
    int32_t ox_a = 0, ox_b;
    while (ox_a < out_w && ox_a * sw - pad < 0) {
        ++ox_a;
    }
    ox_b = ox_a;
    while (ox_b < out_w && ox_b * sw - pad + 2 * step < in_w) {
        ++ox_b;
    }
    const int32_t *table = params->table;
    const int32_t groups = c / 4;
    int32_t t[DW3_WORDS];
    uint32_t tw[3]; /* a window variant's int8 weight words */
    (void)quant; /* in the table */
    int post = 0; /* any post-shift zero point */
    for (int32_t g = 0; g < groups; ++g) {
        for (int32_t j = 0; j < 4; ++j) {
            post |= (table[g * DW3_WORDS + DW3_RZ + j] >> 8) != 0;
        }
    }
    static const dw3_span_fn fns[2][2] = {{dw3_s1, dw3_s1_post}, {dw3_s2, dw3_s2_post}};
    const dw3_span_fn span = fns[sw != 1][post];
    /* 1x3, stride 1 or 2 and dilation 1 along the row, no lower clamp: the pair passes (dw3p_row) for
     * the outputs whose window lies inside the input and the row's edge outputs, row by row (the planner
     * may overlap the output with the input rows already read) */
    const int along = !vertical && (sw == 1 || sw == 2) && step == 1;
    /* the first output with its first tap in the padding (pad 1), the last with its last tap there: in
     * the pair passes, that tap reads the input zero point (w * (zero point + input_offset) = 0) */
    const int left = along && pad == 1 && in_w >= 2;
    const int right = along && ox_b == out_w - 1 && ox_b * sw - pad >= 0 && ox_b * sw - pad + 2 == in_w;
    const int32_t ox_s = left ? 0 : ox_a; /* the pair passes: outputs ox_s .. ox_b - 1 (and ox_b: right) */
    const int pairs = along && ox_b > ox_s;
    const int32_t edges = pairs ? left + 2 * right : 0;
    /* the pair passes run every output of a row and every row reads inside the input: dw3p_map, where the
     * output does not overlap the input */
    const int whole_rows = pairs && ox_s == 0 && ox_b + right == out_w && params->padding.h == 0 &&
                           (out_h - 1) * sh < in_h;
    const uint32_t zp2 = 0x00010001u * (uint16_t)(-in_off); /* the input zero point in both halfwords */
    /* 3x1, stride 1 or 2 and dilation 1 down the rows: two output rows per step where both windows lie
     * inside the input; dw3v_rows at stride 1 along the rows with every pixel and at most DW3P_CHUNK
     * groups, else dw3v_any (stride 2 along the rows, chunks of DW3P_CHUNK groups) where the two output
     * rows do not overlap the input rows the step reads (pixel by pixel within a chunk only) */
    const int rows2 = vertical && (sh == 1 || sh == 2) && params->dilation.h == 1;
    const int plain = sw == 1 && out_w == in_w && groups <= DW3P_CHUNK;
    int32_t blk[2][DW3P_CHUNK * DW3P_WORDS];
    int32_t built = -1;
    const int32_t in_r = in_w * c, out_r = out_w * c;
    /* the two-row steps' arguments but the pointers (one chunk: dw3v_rows, or dw3v_any's first) */
    const int32_t gn0 = mcu_min_i32(DW3P_CHUNK, groups);
    dw3v_args va;
    dw3v_fn vstep = 0;
    if (rows2) {
        va.r = in_r, va.blk = &blk[0][0], va.blk_end = &blk[0][0] + 2 * gn0 * DW3P_WORDS;
        va.in_skip = sw * c - 4 * gn0, va.out_skip = c - 4 * gn0, va.out_r = out_r;
        vstep = plain ? (sh == 2 ? (post ? dw3v_rows2_post : dw3v_rows2) : (post ? dw3v_rows_post : dw3v_rows))
                      : (sh == 2 ? (post ? dw3v_any2_post : dw3v_any2) : (post ? dw3v_any_post : dw3v_any));
    }
    const int32_t batches = whole_rows && dw3p_maps(table, filter, input_dims, input, output_dims, output, sh, pad,
                                                    ox_b, edges, zp2, post, sw, blk) ? 0 : input_dims->n;
    for (int32_t b = 0; b < batches; ++b) {
        const int8_t *in_batch = input + (int64_t)b * in_h * in_w * c;
        for (int32_t oy = 0; oy < out_h; ++oy) {
            const int32_t iy0 = oy * sh - params->padding.h;
            int8_t *out_row = output + ((int64_t)b * out_h + oy) * out_w * c;
            if (vertical) {
                const int32_t ix0 = -params->padding.w, dil = params->dilation.h;
                int32_t iy, v = dw3_variant(iy0, dil, in_h, &iy);
                const int8_t *in_first = in_batch + (int64_t)iy0 * in_r;
                /* dw3v_any: output row y + 1 at or before the step's first input row (pixel x's outputs
                 * written only over input bytes already read: its chunk's, when the distance is a
                 * multiple of c), or the output rows apart from the step's input rows */
                const intptr_t dist = (intptr_t)in_first - (intptr_t)out_row;
                /* SAME border pairs: the first row's first tap (row -1) or the second row's last (row
                 * in_h) in the padding (dw3v_top*, dw3v_bot*: the zero point in place of that row) */
                const int inside = v == 0 && iy0 + sh + 2 < in_h;
                int edge = 0;
                if (__builtin_expect(!inside && rows2, 0)) {
                    edge = iy0 == -1 && iy0 + sh + 2 < in_h ? 1 : iy0 >= 0 && iy0 + sh + 2 == in_h ? 2 : 0;
                }
                if (rows2 && oy + 1 < out_h && ix0 == 0 && (inside || edge) &&
                    (plain || dist >= 2 * (intptr_t)out_r || dist <= -(intptr_t)(sh + 3) * in_r ||
                     (dist >= out_r && (groups <= DW3P_CHUNK || dist % c == 0)))) {
                    if (plain && !edge) { /* one chunk: its blocks built once per call */
                        if (built < 0) {
                            dw3v_blocks(table, filter, c, 0, groups, zp2, &blk[0][0]);
                            built = 0;
                        }
                        va.in = in_first, va.out = out_row, va.end = out_row + out_r;
                        MCU_COMPILER_BARRIER(); /* the blocks and the arguments are read by the assembly */
                        vstep(&va);
                        MCU_COMPILER_BARRIER();
                        ++oy; /* rows oy and oy + 1 */
                        continue;
                    }
                    static const dw3v_fn edges[2][2] = {{dw3v_top, dw3v_bot}, {dw3v_top2, dw3v_bot2}};
                    const dw3v_fn step_fn = edge ? edges[sh == 2][edge - 1] : vstep;
                    for (int32_t g0 = 0; g0 < groups; g0 += DW3P_CHUNK) {
                        const int32_t gn = mcu_min_i32(DW3P_CHUNK, groups - g0);
                        if (built != g0) {
                            dw3v_blocks(table, filter, c, g0, gn, zp2, &blk[0][0]);
                            built = g0;
                        }
                        va.in = in_first + 4 * g0, va.out = out_row + 4 * g0, va.end = out_row + out_r + 4 * g0;
                        if (gn != gn0) { /* a smaller last chunk */
                            va.blk_end = &blk[0][0] + 2 * gn * DW3P_WORDS, va.in_skip = sw * c - 4 * gn, va.out_skip = c - 4 * gn;
                        }
                        MCU_COMPILER_BARRIER(); /* the blocks and the arguments are read by the assembly */
                        step_fn(&va);
                        MCU_COMPILER_BARRIER();
                    }
                    if (groups > DW3P_CHUNK && groups % DW3P_CHUNK != 0) { /* back to the full chunks */
                        va.blk_end = &blk[0][0] + 2 * gn0 * DW3P_WORDS, va.in_skip = sw * c - 4 * gn0, va.out_skip = c - 4 * gn0;
                    }
                    ++oy; /* rows oy and oy + 1 */
                    continue;
                }
                if (v < 0 || ix0 < 0 || ix0 + (out_w - 1) * sw >= in_w) {
                    return MCU_ERROR_ARGUMENT; /* not taken: mcu_depthwise_conv_s8 checks the windows */
                }
                const int8_t *in_row = in_batch + ((int64_t)iy * in_w + ix0) * c;
                if (v == 0) {
                    span(table, filter, c, in_row, out_row, out_w, dil * in_w * c, c, groups);
                    continue;
                }
                for (int32_t c0 = 0; c0 < c; c0 += 4) { /* the variant's weights and start values */
                    memcpy(t, table + c0 / 4 * DW3_WORDS, sizeof t);
                    dw3_weight_words(in_off, filter, bias, c, c0, v, t, tw);
                    span(t, (const int8_t *)tw, 4, in_row + c0, out_row + c0, out_w, dil * in_w * c, c, 1);
                }
                continue;
            }
            if (iy0 < 0 || iy0 >= in_h) {
                return MCU_ERROR_ARGUMENT;
            }
            const int8_t *in_row = in_batch + (int64_t)iy0 * in_w * c;
            if (pairs) {
                dw3p_row(table, filter, c, in_row + (int64_t)(ox_s * sw - pad) * c, out_row + (int64_t)ox_s * c,
                         ox_b - ox_s, edges, zp2, post, sw, blk, &built);
            } else if (ox_b > ox_a) {
                span(table, filter, c, in_row + (int64_t)(ox_a * sw - pad) * c, out_row + (int64_t)ox_a * c, ox_b - ox_a,
                     d, c, groups);
            }
            /* clipped windows: their three input words, the input zero point for taps in the padding
             * (they add w * (zero point + input_offset) = 0 to the full start value) */
            for (int32_t ox = 0; ox < out_w; ox = ox + 1 == ox_a ? ox_b : ox + 1) {
                if (ox == ox_a && ox_b > ox_a) { /* only when ox_a = 0 */
                    ox = ox_b;
                    if (ox >= out_w) {
                        break;
                    }
                }
                if ((edges & 1 && ox == 0) || (edges & 2 && ox == out_w - 1)) {
                    continue; /* the pair passes ran it */
                }
                for (int32_t c0 = 0; c0 < c; c0 += 4 * DW3_CHUNK) { /* up to DW3_CHUNK groups per call */
                    const int32_t g = mcu_min_i32(DW3_CHUNK, (c - c0) / 4);
                    uint32_t win[3][DW3_CHUNK]; /* tap k of group j at win[k][j] */
                    for (int32_t k = 0; k < 3; ++k) {
                        const int32_t ix = ox * sw - pad + k * step;
                        const int8_t *src = in_row + (int64_t)ix * c + c0;
                        for (int32_t j = 0; j < g; ++j) {
                            win[k][j] = ix >= 0 && ix < in_w ? mcu_load_u32(src + 4 * j) : zp4;
                        }
                    }
                    span(table + c0 / 4 * DW3_WORDS, filter + c0, c, (const int8_t *)win, out_row + (int64_t)ox * c + c0,
                         1, 4 * DW3_CHUNK, c, g);
                }
            }
        }
    }
    if (clamp) {
        dw3_clamp(output, input_dims->n * out_h * out_w * c, params->act_min, params->act_max);
    }
    return MCU_OK;
}

/* Whether every output window of a 3x1 layer down the rows has a dw3_variant (the input holds three taps
 * of the window at every border; 1x3 windows at the row ends read the zero point instead), and the other
 * axis reads inside the input. */
int mcu_depthwise_3tap_fits(const mcu_dw_conv_params *params, const mcu_dims *input_dims,
                            const mcu_dims *filter_dims, const mcu_dims *output_dims)
{
    const int vertical = filter_dims->h == 3;
    const int32_t n_along = vertical ? output_dims->h : output_dims->w;
    const int32_t s_along = vertical ? params->stride.h : params->stride.w;
    const int32_t pad_along = vertical ? params->padding.h : params->padding.w;
    const int32_t step = vertical ? params->dilation.h : params->dilation.w;
    const int32_t size = vertical ? input_dims->h : input_dims->w;
    const int32_t n_across = vertical ? output_dims->w : output_dims->h;
    const int32_t s_across = vertical ? params->stride.w : params->stride.h;
    const int32_t pad_across = vertical ? params->padding.w : params->padding.h;
    const int32_t size_across = vertical ? input_dims->w : input_dims->h;
    if (pad_across != 0 || (n_across - 1) * s_across >= size_across) {
        return 0;
    }
    for (int32_t o = 0; vertical && o < n_along; ++o) {
        int32_t start;
        if (dw3_variant(o * s_along - pad_along, step, size, &start) < 0) {
            return 0;
        }
    }
    return 1;
}

#else
typedef int mcu_depthwise_dsp_unused; /* ISO C: a translation unit must not be empty */
#endif /* __ARM_FEATURE_DSP */
