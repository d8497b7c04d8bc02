/* FULLY_CONNECTED with per-tensor or per-output-channel requantization.
 * Both round once (mcu_requantize_single_round), as TFLite's int8 reference kernels do; TFLM's
 * per-tensor kernel rounds twice and can differ from them by one (docs/engine.md).
 *
 * With the Cortex-M DSP extension, weights without a zero point and the input offset folded into the
 * bias (the code generator folds input_offset * sum(row) when filter_offset is 0): when the code
 * generator gives a table (params->table: input depth a multiple of 4, every shift in -31 .. -1) the
 * first rows are stored encoded in blocks of six (params->row_blocks) and one of 4 or 2
 * (params->tail_rows), per group of four inputs the rows' weight words side by side, and run a block
 * per pass (fc_encoded: 25 instructions per 24 MACs in the six-row loop, requantization from the table
 * in 7 per output); the row left over runs alone. Otherwise four output rows run per pass: each word of
 * four inputs is widened once (SXTB16) and meets a weight word of each row in two SMLADs (23
 * instructions per 16 MACs). No scratch: the arena does not grow.
 *
 * On 64-bit hosts the portable path runs without offsets in fc_wide, whose loops compilers vectorize;
 * it and the portable path read the same layout and decode the encoded rows. */
#include "mcu_dsp.h"
#include "mcu_engine.h"
#include "mcu_quant.h"

static inline int8_t fc_out(const mcu_fc_params *params, const mcu_per_channel_quant *quant, int32_t oc,
                            int32_t acc)
{
    const int32_t q = params->per_channel ? oc : 0;
    const int32_t m = quant->multiplier[q], s = quant->shift[q];
#if defined(__ARM_FEATURE_DSP)
    acc = __builtin_expect(s <= -1, 1) ? mcu_requantize_single_round_dsp(acc, m, s)
                                       : mcu_requantize_single_round(acc, m, s);
#else
    acc = mcu_requantize_single_round(acc, m, s);
#endif
    return (int8_t)mcu_clamp_i32(acc + params->output_offset, params->act_min, params->act_max);
}

#if defined(__ARM_FEATURE_DSP)
/* One group of four inputs (x: the widened words 0/2 and 1/3) against row k's weight word at [w0] or
 * [w0, d] / [w2] or [w2, d]. */
#define MCU_FC_ROW(A, LOAD) \
    LOAD \
    "sxtb16 %[t], %[u]\n\t" \
    "smlad  %[" A "], %[xl], %[t], %[" A "]\n\t" \
    "sxtb16 %[u], %[u], ror #8\n\t" \
    "smlad  %[" A "], %[xh], %[u], %[" A "]\n\t"
#define MCU_FC_GROUP \
    "ldr    %[xh], [%[xp]], #4\n\t" \
    "sxtb16 %[xl], %[xh]\n\t" \
    "sxtb16 %[xh], %[xh], ror #8\n\t" \
    MCU_FC_ROW("a1", "ldr    %[u], [%[w0], %[d]]\n\t") \
    MCU_FC_ROW("a0", "ldr    %[u], [%[w0]], #4\n\t") \
    MCU_FC_ROW("a3", "ldr    %[u], [%[w2], %[d]]\n\t") \
    MCU_FC_ROW("a2", "ldr    %[u], [%[w2]], #4\n\t")

/* Rows stored encoded (params->table): with e = the stored bytes of a group of four weights w0..w3
 * (e0 = w0 ^ 0x80, e1 = w1, e2 = w2 ^ 0x80, e3 = w3) the loaded word W has the signed halfwords
 * 256 w1 + w0 + 128 and 256 w3 + w2 + 128, and T = SXTB16(W, ROR 8) = (w1, w3). With the inputs
 * X = [x0 x1 x2 x3], Xa = SXTB16(X) = (x0, x2) and Xc = REV16(X) ^ 0xFF80FF80 = (x1 - 128 - 256 x0,
 * x3 - 128 - 256 x2) (both int16 for every int8 x):
 *   SMLAD(W, Xa) + SMLAD(T, Xc) = x0 w0 + x1 w1 + x2 w2 + x3 w3 + 128 (x0 + x2) - 128 (w1 + w3),
 * so a row costs LDR (half an LDRD), SMLAD, SXTB16, SMLAD per four MACs; the input's four instructions
 * are shared by six rows. The table's start values hold + 128 (w1 + w3) summed over the row; the
 * 128 * sum(x0 + x2) of the input is subtracted once per row at the end. Sums wrap modulo 2^32 and end
 * at TFLite's exact int32 accumulator. */
#define MCU_FCE_PAIR(A, B, LOAD) \
    LOAD \
    "smlad  %[" A "], %[u], %[xa], %[" A "]\n\t" \
    "sxtb16 %[u], %[u], ror #8\n\t" \
    "smlad  %[" A "], %[u], %[xc], %[" A "]\n\t" \
    "smlad  %[" B "], %[v], %[xa], %[" B "]\n\t" \
    "sxtb16 %[v], %[v], ror #8\n\t" \
    "smlad  %[" B "], %[v], %[xc], %[" B "]\n\t"
#define MCU_FCE_INPUT \
    "ldr    %[xc], [%[xp]], #4\n\t" \
    "sxtb16 %[xa], %[xc]\n\t" \
    "rev16  %[xc], %[xc]\n\t" \
    "eor    %[xc], %[xc], %[k80]\n\t"
/* One group of four inputs for a block of 6, 4 or 2 rows (the rows' weight words side by side at w). */
#define MCU_FCE_GROUP6 \
    MCU_FCE_INPUT \
    MCU_FCE_PAIR("a2", "a3", "ldrd   %[u], %[v], [%[w], #8]\n\t") \
    MCU_FCE_PAIR("a4", "a5", "ldrd   %[u], %[v], [%[w], #16]\n\t") \
    MCU_FCE_PAIR("a0", "a1", "ldrd   %[u], %[v], [%[w]], #24\n\t")
#define MCU_FCE_GROUP4 \
    MCU_FCE_INPUT \
    MCU_FCE_PAIR("a2", "a3", "ldrd   %[u], %[v], [%[w], #8]\n\t") \
    MCU_FCE_PAIR("a0", "a1", "ldrd   %[u], %[v], [%[w]], #16\n\t")
#define MCU_FCE_GROUP2 \
    MCU_FCE_INPUT \
    MCU_FCE_PAIR("a0", "a1", "ldrd   %[u], %[v], [%[w]], #8\n\t")
#define MCU_FCE_TEMPS [xp] "+r"(xp), [w] "+r"(w), [xa] "=&r"(xa), [xc] "=&r"(xc), [u] "=&r"(u), [v] "=&r"(v)
#define MCU_FCE_OPERANDS6 \
    : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [a4] "+r"(a4), [a5] "+r"(a5), MCU_FCE_TEMPS
#define MCU_FCE_OPERANDS4 : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), MCU_FCE_TEMPS
#define MCU_FCE_OPERANDS2 : [a0] "+r"(a0), [a1] "+r"(a1), MCU_FCE_TEMPS

/* Row A's output: A requantized with the row's {multiplier, hi0, lo0, rz} at q (q advances by 16;
 * mcu_requant1_dsp), clamped by CLAMP, stored at op (op advances by 1). */
#define MCU_FCE_OUT(A, CLAMP) \
    "ldrd   %[l], %[r], [%[q], #8]\n\t" \
    "ldrd   %[m], %[h], [%[q]], #16\n\t" \
    "smlal  %[l], %[h], %[" A "], %[m]\n\t" \
    "asr    %[h], %[h], %[r]\n\t" \
    "add    %[h], %[h], %[r], asr #8\n\t" \
    "ssat   %[h], #8, %[h]\n\t" \
    CLAMP \
    "strb   %[h], [%[op]], #1\n\t"
#define MCU_FCE_LO \
    "cmp    %[h], %[lo]\n\t" \
    "it     lt\n\t" \
    "movlt  %[h], %[lo]\n\t"
#define MCU_FCE_OUTS2(CL) MCU_FCE_OUT("a0", CL) MCU_FCE_OUT("a1", CL)
#define MCU_FCE_OUTS4(CL) MCU_FCE_OUTS2(CL) MCU_FCE_OUT("a2", CL) MCU_FCE_OUT("a3", CL)
#define MCU_FCE_OUTS6(CL) MCU_FCE_OUTS4(CL) MCU_FCE_OUT("a4", CL) MCU_FCE_OUT("a5", CL)
#define MCU_FCE_OUT_TEMPS [q] "+r"(q), [op] "+r"(op), [m] "=&r"(m), [h] "=&r"(h), [l] "=&r"(l), [r] "=&r"(r)
#define MCU_FCE_OUT_OPERANDS6 \
    : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [a4] "+r"(a4), [a5] "+r"(a5), MCU_FCE_OUT_TEMPS
#define MCU_FCE_OUT_OPERANDS4 : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), MCU_FCE_OUT_TEMPS
#define MCU_FCE_OUT_OPERANDS2 : [a0] "+r"(a0), [a1] "+r"(a1), MCU_FCE_OUT_TEMPS

/* A block's pass over the groups (GROUP: one group; an odd group first) and its outputs (SSAT or
 * SSAT_LO clamping in assembly; both bounds in C). */
#define MCU_FCE_BLOCK(N) \
    if (groups & 1) { \
        __asm__ volatile(MCU_FCE_GROUP##N MCU_FCE_OPERANDS##N : [k80] "r"(k80)); \
    } \
    if (xp != xend) { \
        __asm__ volatile("1:\n\t" MCU_FCE_GROUP##N MCU_FCE_GROUP##N \
                         "cmp    %[xp], %[xend]\n\t" \
                         "bne    1b\n\t" \
                         MCU_FCE_OPERANDS##N \
                         : [xend] "r"(xend), [k80] "r"(k80) \
                         : "cc"); \
    } \
    if (mode == MCU_CLAMP_SSAT) { \
        __asm__ volatile(MCU_FCE_OUTS##N("") MCU_FCE_OUT_OPERANDS##N : : "memory"); \
    } else if (mode == MCU_CLAMP_SSAT_LO) { \
        __asm__ volatile(MCU_FCE_OUTS##N(MCU_FCE_LO) MCU_FCE_OUT_OPERANDS##N : [lo] "r"(lo) : "cc", "memory"); \
    } else { \
        const int32_t a[6] = {a0, a1, a2, a3, a4, a5}; \
        for (int32_t j = 0; j < N; ++j, q += 4) { \
            *op++ = fce_out(a[j], q, lo, hi); \
        } \
    }

/* Requantize acc with the row's {multiplier, hi0, lo0, rz} q and clamp to [lo, hi] (the clamp mode
 * MCU_CLAMP_BOTH). */
static inline int8_t fce_out(int32_t acc, const int32_t *q, int32_t lo, int32_t hi)
{
    int32_t v = mcu_requant1_dsp(acc, q[0], q[1], (uint32_t)q[2], q[3]);
    v = v < lo ? lo : v;
    v = v > hi ? hi : v;
    return (int8_t)v;
}

/* c = 128 * the sum of the inputs at even positions of ip (4 * groups bytes), modulo 2^32; SXTAB16 sums
 * 254 groups at most per halfword. */
static uint32_t fce_input_sum(const int8_t *ip, int32_t groups)
{
    int32_t sum = 0;
    for (int32_t g0 = 0; g0 < groups; g0 += 254) {
        const int32_t n = groups - g0 < 254 ? groups - g0 : 254;
        const int8_t *p = ip + 4 * g0, *end = p + 4 * (n & ~1);
        uint32_t s16 = 0;
        for (; p != end; p += 8) {
            s16 = mcu_sxtab16(s16, mcu_load_u32(p));
            s16 = mcu_sxtab16(s16, mcu_load_u32(p + 4));
        }
        if (n & 1) {
            s16 = mcu_sxtab16(s16, mcu_load_u32(p));
        }
        sum = mcu_smlad(s16, 0x00010001u, sum);
    }
    return (uint32_t)sum << 7;
}

/* The encoded rows of one batch row ip (depth 4 * groups) in blocks of n rows (N: 6, 4 or 2; `blocks`
 * of them) into op[0 ..]; q: their table, w: their weights; c: fce_input_sum. */
#define MCU_FCE_ROWS(N) \
    const uint32_t k80 = 0xFF80FF80u; \
    const int8_t *xend = ip + 4 * groups; \
    for (int32_t i = 0; i < blocks; ++i) { \
        /* the start values less c (c = 128 * sum(x0 + x2), modulo 2^32) */ \
        int32_t a0 = (int32_t)((uint32_t)q[0] - c), a1 = (int32_t)((uint32_t)q[1] - c); \
        int32_t a2 = 0, a3 = 0, a4 = 0, a5 = 0; \
        if (N >= 4) { \
            a2 = (int32_t)((uint32_t)q[2] - c); \
            a3 = (int32_t)((uint32_t)q[3] - c); \
        } \
        if (N == 6) { \
            a4 = (int32_t)((uint32_t)q[4] - c); \
            a5 = (int32_t)((uint32_t)q[5] - c); \
        } \
        q += N; \
        const int8_t *xp = ip; \
        uint32_t xa, xc, u, v, m, h, l, r; \
        MCU_FCE_BLOCK(N) \
    }

/* Blocks of six rows, the clamp mode a constant. */
static inline __attribute__((always_inline)) void fce_six(const int32_t *q, int32_t blocks, const int8_t *ip,
                                                          int32_t groups, const int8_t *w, int8_t *op,
                                                          uint32_t c, int32_t lo, int32_t hi, const int mode)
{
    MCU_FCE_ROWS(6)
}

static __attribute__((noinline)) void fce_six_dsp(const int32_t *q, int32_t blocks, const int8_t *ip,
                                                  int32_t groups, const int8_t *w, int8_t *op, uint32_t c,
                                                  int32_t lo, int32_t hi)
{
    const int mode = mcu_clamp_mode(lo, hi);
    if (mode == MCU_CLAMP_SSAT) {
        fce_six(q, blocks, ip, groups, w, op, c, lo, hi, MCU_CLAMP_SSAT);
    } else if (mode == MCU_CLAMP_SSAT_LO) {
        fce_six(q, blocks, ip, groups, w, op, c, lo, hi, MCU_CLAMP_SSAT_LO);
    } else {
        fce_six(q, blocks, ip, groups, w, op, c, lo, hi, MCU_CLAMP_BOTH);
    }
}

/* The tail block of n = 4 or 2 rows (the clamp mode read at run time). */
static __attribute__((noinline)) void fce_tail_dsp(const int32_t *q, int32_t n, const int8_t *ip, int32_t groups,
                                                   const int8_t *w, int8_t *op, uint32_t c, int32_t lo,
                                                   int32_t hi)
{
    const int mode = mcu_clamp_mode(lo, hi);
    const int32_t blocks = 1;
    if (n == 4) {
        MCU_FCE_ROWS(4)
    } else {
        MCU_FCE_ROWS(2)
    }
}

/* Layers with encoded rows (params->table, the filter word-aligned): per batch row the encoded blocks,
 * then the row left over (at most one) from its plain weights. */
static __attribute__((noinline)) void fc_encoded(const mcu_fc_params *params, const mcu_per_channel_quant *quant,
                                                 int32_t batches, int32_t depth, const int8_t *input,
                                                 int32_t out_depth, const int8_t *filter, const int32_t *bias,
                                                 int8_t *output)
{
    const int32_t groups = depth / 4, six = params->row_blocks, tail = params->tail_rows;
    const int32_t lo = params->act_min, hi = params->act_max;
    for (int32_t b = 0; b < batches; ++b) {
        const int8_t *ip = input + (int64_t)b * depth;
        int8_t *op = output + (int64_t)b * out_depth;
        const uint32_t c = fce_input_sum(ip, groups);
        if (six) {
            fce_six_dsp(params->table, six / 6, ip, groups, filter, op, c, lo, hi);
        }
        if (tail) {
            fce_tail_dsp(params->table + 5 * six, tail, ip, groups, filter + (int64_t)six * depth, op + six, c,
                         lo, hi);
        }
        for (int32_t oc = six + tail; oc < out_depth; ++oc) {
            const int8_t *wp = filter + (int64_t)oc * depth;
            int32_t acc = bias ? bias[oc] : 0;
            for (int32_t i = 0; i < depth; i += 4) {
                const uint32_t x = mcu_load_u32(ip + i), w = mcu_load_u32(wp + i);
                acc = mcu_smlad(mcu_sxtb16(x), mcu_sxtb16(w), acc);
                acc = mcu_smlad(mcu_sxtb16_ror8(x), mcu_sxtb16_ror8(w), acc);
            }
            op[oc] = fc_out(params, quant, oc, acc);
        }
    }
}

/* Requantize, offset, clamp (the parameters held in locals by the caller). */
static inline __attribute__((always_inline)) int8_t fc_out_dsp(int32_t acc, int32_t m, int32_t s, int32_t zo,
                                                               int32_t lo, int32_t hi)
{
    acc = __builtin_expect(s <= -1, 1) ? mcu_requantize_single_round_dsp(acc, m, s)
                                       : mcu_requantize_single_round(acc, m, s);
    return (int8_t)mcu_clamp_i32(acc + zo, lo, hi);
}

static __attribute__((noinline)) mcu_status fc_dsp(const mcu_fc_params *params,
                                                   const mcu_per_channel_quant *quant, int32_t batches,
                                                   int32_t depth, const int8_t *input, int32_t out_depth,
                                                   const int8_t *filter, const int32_t *bias, int8_t *output)
{
    const int32_t groups = depth / 4, step = params->per_channel ? 1 : 0;
    const int32_t zo = params->output_offset, lo = params->act_min, hi = params->act_max;
    static const int32_t zeros[6] = {0, 0, 0, 0, 0, 0};
    for (int32_t b = 0; b < batches; ++b) {
        const int8_t *ip = input + (int64_t)b * depth;
        const int8_t *xend = ip + 4 * groups;
        int8_t *op = output + (int64_t)b * out_depth;
        int32_t oc = 0;
        const int32_t *mp = quant->multiplier, *sp = quant->shift;
        for (; oc + 4 <= out_depth; oc += 4) {
            const int8_t *w0 = filter + (int64_t)oc * depth, *w2 = w0 + 2 * (int64_t)depth;
            const int32_t *bp = bias ? bias + oc : zeros;
            int32_t a0 = bp[0], a1 = bp[1], a2 = bp[2], a3 = bp[3];
            const int8_t *xp = ip;
            uint32_t xl, xh, t, u;
            if (groups & 1) {
                __asm__ volatile(MCU_FC_GROUP
                                 : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [xp] "+r"(xp),
                                   [w0] "+r"(w0), [w2] "+r"(w2), [xl] "=&r"(xl), [xh] "=&r"(xh), [t] "=&r"(t),
                                   [u] "=&r"(u)
                                 : [d] "r"(depth));
            }
            if (xp != xend) {
                __asm__ volatile("1:\n\t" MCU_FC_GROUP MCU_FC_GROUP
                                 "cmp    %[xp], %[xend]\n\t"
                                 "bne    1b\n\t"
                                 : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [xp] "+r"(xp),
                                   [w0] "+r"(w0), [w2] "+r"(w2), [xl] "=&r"(xl), [xh] "=&r"(xh), [t] "=&r"(t),
                                   [u] "=&r"(u)
                                 : [d] "r"(depth), [xend] "r"(xend)
                                 : "cc");
            }
            for (int32_t i = 4 * groups; i < depth; ++i) { /* depth not a multiple of 4 */
                const int32_t x = ip[i];
                a0 += w0[i - 4 * groups] * x;
                a1 += w0[depth + i - 4 * groups] * x;
                a2 += w2[i - 4 * groups] * x;
                a3 += w2[depth + i - 4 * groups] * x;
            }
            op[oc] = fc_out_dsp(a0, mp[0], sp[0], zo, lo, hi);
            op[oc + 1] = fc_out_dsp(a1, mp[step], sp[step], zo, lo, hi);
            op[oc + 2] = fc_out_dsp(a2, mp[2 * step], sp[2 * step], zo, lo, hi);
            op[oc + 3] = fc_out_dsp(a3, mp[3 * step], sp[3 * step], zo, lo, hi);
            mp += 4 * step;
            sp += 4 * step;
        }
        for (; oc < out_depth; ++oc) { /* the last rows, one at a time */
            const int8_t *wp = filter + (int64_t)oc * depth;
            int32_t acc = bias ? bias[oc] : 0;
            int32_t i = 0;
            for (; i + 4 <= depth; i += 4) {
                const uint32_t x = mcu_load_u32(ip + i), w = mcu_load_u32(wp + i);
                acc = mcu_smlad(mcu_sxtb16(x), mcu_sxtb16(w), acc);
                acc = mcu_smlad(mcu_sxtb16_ror8(x), mcu_sxtb16_ror8(w), acc);
            }
            for (; i < depth; ++i) {
                acc += wp[i] * ip[i];
            }
            op[oc] = fc_out(params, quant, oc, acc);
        }
    }
    return MCU_OK;
}
#endif

#if !defined(__ARM_FEATURE_DSP) && UINTPTR_MAX > 0xffffffffu
#include <string.h>

/* 64-bit hosts (vectorizing compilers): without offsets, a block of six rows is copied a chunk of
 * MCU_FC_CHUNK groups at a time into six contiguous rows on the stack, so the six dot products run over
 * contiguous bytes; the other rows run four at a time. */
#define MCU_FC_CHUNK 32

/* The dot products of a block of nb rows (6, or the tail block's 4 or 2) at w with ip (groups groups of
 * four inputs) into acc[0 .. nb - 1]; flip: the encoded rows' XOR mask. */
static inline __attribute__((always_inline)) void fc_wide_block(const int8_t *w, const int8_t *ip, int32_t groups,
                                                                uint32_t flip, int32_t *acc, const int nb)
{
    int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0;
    for (int32_t g0 = 0; g0 < groups; g0 += MCU_FC_CHUNK) {
        const int32_t n = groups - g0 < MCU_FC_CHUNK ? 4 * (groups - g0) : 4 * MCU_FC_CHUNK;
        int8_t rows[6][4 * MCU_FC_CHUNK];
        for (int32_t i = 0; i < n; i += 4, w += 4 * nb) {
            for (int32_t r = 0; r < nb; ++r) {
                uint32_t word;
                memcpy(&word, w + 4 * r, 4);
                word ^= flip;
                memcpy(&rows[r][i], &word, 4);
            }
        }
        const int8_t *x = ip + 4 * g0;
        for (int32_t i = 0; i < n; ++i) {
            const int32_t xi = x[i];
            a0 += rows[0][i] * xi;
            a1 += rows[1][i] * xi;
            if (nb > 2) {
                a2 += rows[2][i] * xi;
                a3 += rows[3][i] * xi;
            }
            if (nb > 4) {
                a4 += rows[4][i] * xi;
                a5 += rows[5][i] * xi;
            }
        }
    }
    const int32_t a[6] = {a0, a1, a2, a3, a4, a5};
    for (int32_t r = 0; r < nb; ++r) {
        acc[r] = a[r];
    }
}

static void fc_wide(const mcu_fc_params *params, const mcu_per_channel_quant *quant, int32_t batches,
                    int32_t depth, const int8_t *input, int32_t out_depth, const int8_t *filter,
                    const int32_t *bias, int8_t *output)
{
    const int32_t groups = depth / 4, tail = params->tail_rows;
    static const uint8_t flip_bytes[4] = {0x80, 0, 0x80, 0}; /* encoded rows: bytes 0 and 2 XORed */
    uint32_t flip = 0;
    if (params->table) {
        memcpy(&flip, flip_bytes, 4);
    }
    for (int32_t b = 0; b < batches; ++b) {
        const int8_t *ip = input + (int64_t)b * depth;
        int8_t *op = output + (int64_t)b * out_depth;
        int32_t oc = 0;
        int32_t a[6];
        for (; oc < params->row_blocks + tail; oc += oc < params->row_blocks ? 6 : tail) {
            const int8_t *w = filter + (int64_t)oc * depth;
            const int32_t nb = oc < params->row_blocks ? 6 : tail; /* six rows, or the tail block's */
            if (nb == 6) {
                fc_wide_block(w, ip, groups, flip, a, 6);
            } else if (nb == 4) {
                fc_wide_block(w, ip, groups, flip, a, 4);
            } else {
                fc_wide_block(w, ip, groups, flip, a, 2);
            }
            for (int32_t r = 0; r < nb; ++r) {
                op[oc + r] = fc_out(params, quant, oc + r, a[r] + (bias ? bias[oc + r] : 0));
            }
        }
        for (; oc + 4 <= out_depth; oc += 4) {
            const int8_t *w0 = filter + (int64_t)oc * depth, *w1 = w0 + depth, *w2 = w1 + depth, *w3 = w2 + depth;
            int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
            for (int32_t i = 0; i < depth; ++i) {
                const int32_t xi = ip[i];
                a0 += w0[i] * xi;
                a1 += w1[i] * xi;
                a2 += w2[i] * xi;
                a3 += w3[i] * xi;
            }
            const int32_t a[4] = {a0, a1, a2, a3};
            for (int32_t r = 0; r < 4; ++r) {
                op[oc + r] = fc_out(params, quant, oc + r, a[r] + (bias ? bias[oc + r] : 0));
            }
        }
        for (; oc < out_depth; ++oc) {
            const int8_t *wp = filter + (int64_t)oc * depth;
            int32_t acc = bias ? bias[oc] : 0;
            for (int32_t i = 0; i < depth; ++i) {
                acc += wp[i] * ip[i];
            }
            op[oc] = fc_out(params, quant, oc, acc);
        }
    }
}
#endif

mcu_status mcu_fully_connected_s8(const mcu_fc_params *params, const mcu_per_channel_quant *quant,
                                  int32_t batches, int32_t input_depth, const int8_t *input,
                                  int32_t output_depth, const int8_t *filter, const int32_t *bias,
                                  int8_t *output)
{
    const int32_t in_off = params->input_offset, f_off = params->filter_offset;
#if defined(__ARM_FEATURE_DSP)
    if (f_off == 0 && in_off == 0 && params->table && ((uintptr_t)filter & 3) == 0) { /* LDRD: aligned */
        fc_encoded(params, quant, batches, input_depth, input, output_depth, filter, bias, output);
        return MCU_OK;
    }
    if (f_off == 0 && in_off == 0 && !params->table) {
        return fc_dsp(params, quant, batches, input_depth, input, output_depth, filter, bias, output);
    }
#elif UINTPTR_MAX > 0xffffffffu
    if (f_off == 0 && in_off == 0) {
        fc_wide(params, quant, batches, input_depth, input, output_depth, filter, bias, output);
        return MCU_OK;
    }
#endif
    for (int32_t b = 0; b < batches; ++b) {
        const int8_t *ip = input + (int64_t)b * input_depth;
        int32_t oc = 0;
        /* six rows (then the tail block's rows) interleaved per group of four inputs */
        for (int32_t nb = 6; oc < params->row_blocks + params->tail_rows; oc += nb) {
            nb = oc < params->row_blocks ? 6 : params->tail_rows;
            const int8_t *wp = filter + (int64_t)oc * input_depth;
            const int32_t flip = params->table ? 0x80 : 0; /* encoded: bytes 0 and 2 XORed with 0x80 */
            int32_t acc[6] = {0, 0, 0, 0, 0, 0};
            for (int32_t d = 0; d < input_depth; d += 4) {
                for (int32_t r = 0; r < nb; ++r, wp += 4) {
                    for (int32_t j = 0; j < 4; ++j) {
                        const int32_t wj = (int8_t)((uint8_t)wp[j] ^ (j & 1 ? 0 : flip));
                        acc[r] += (wj + f_off) * ((int32_t)ip[d + j] + in_off);
                    }
                }
            }
            for (int32_t r = 0; r < nb; ++r) {
                const int32_t a = acc[r] + (bias ? bias[oc + r] : 0);
                output[(int64_t)b * output_depth + oc + r] = fc_out(params, quant, oc + r, a);
            }
        }
        for (; oc < output_depth; ++oc) {
            const int8_t *wp = filter + (int64_t)oc * input_depth;
            int32_t acc = 0;
            for (int32_t d = 0; d < input_depth; ++d) {
                acc += ((int32_t)wp[d] + f_off) * ((int32_t)ip[d] + in_off);
            }
            if (bias) {
                acc += bias[oc];
            }
            output[(int64_t)b * output_depth + oc] = fc_out(params, quant, oc, acc);
        }
    }
    return MCU_OK;
}
