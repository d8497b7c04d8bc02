/* CONV_2D fast paths for Cortex-M cores with the DSP extension (SMLAD), bit-exact with the portable
 * kernels (mcu_conv_1x1_s8, mcu_conv_generic_s8). mcu_conv_s8 calls them when __ARM_FEATURE_DSP is
 * defined, the layer's fast_requant flag is set and its scratch buffer is present.
 *
 * 1x1: two output pixels at a time; both input pixels are sign-extended and doubled once into the
 * scratch buffer in SXTB16 order (bytes 0,2 then 1,3 of each group of four), so each weight word is
 * extended with two SXTB16 and used by four SMLADs (2 output channels x 2 pixels, 16 MACs per group);
 * all channel pairs of a pixel pair run in one block of inline assembly with the requantization
 * (mcu_requant2_dsp) from a per-pair table in scratch. Other than for input depths 8, 16 and 32, layers
 * clamped to [-128, 127] with an even output channel count run four pixels x one channel per pass instead
 * (13 instructions per 16 MACs against 15), the pixel-pair loop taking the last pixels.
 * 3x3 rows (input depth <= 3, the first convolution): a ring of three int16 input rows, taps read
 * in place, two pixels x two output channels per step.
 * k x k (any other kernel, no groups): two output pixels at a time are gathered as int8 patches, expanded
 * like the 1x1 pixel pair with the input offset added, and run through the 1x1 assembly; the filter stays
 * int8 (rows copied with padded ends to scratch only when the patch size is not a multiple of 4). Patches
 * gathered from inputs whose depth is not a multiple of 4 run four pixels per pass like the 1x1 layers.
 */
#include "mcu_dsp.h"
#include "mcu_engine.h"

#if defined(__ARM_FEATURE_DSP)

/* Sign-extend groups of 4 bytes of pixels a and b, add `off` and double them into the interleaved
 * buffer: group g occupies words 4g..4g+3 = (a 0/2, a 1/3, b 0/2, b 1/3), every halfword 2 (x + off)
 * (|x + off| <= 255), so the accumulators hold 2 * acc, the operand mcu_requant2_dsp takes. */
static void expand_pair(const int8_t *a, const int8_t *b, uint32_t *dst, int32_t groups, int32_t off)
{
    const uint32_t off2 = ((uint32_t)off & 0xFFFFu) | ((uint32_t)off << 16);
    for (int32_t g = 0; g < groups; ++g) {
        const uint32_t wa = mcu_load_u32(a + 4 * g), wb = mcu_load_u32(b + 4 * g);
        const uint32_t al = mcu_sxtab16(off2, wa), ah = mcu_sxtab16_ror8(off2, wa);
        const uint32_t bl = mcu_sxtab16(off2, wb), bh = mcu_sxtab16_ror8(off2, wb);
        dst[0] = (uint32_t)__sadd16((int16x2_t)al, (int16x2_t)al);
        dst[1] = (uint32_t)__sadd16((int16x2_t)ah, (int16x2_t)ah);
        dst[2] = (uint32_t)__sadd16((int16x2_t)bl, (int16x2_t)bl);
        dst[3] = (uint32_t)__sadd16((int16x2_t)bh, (int16x2_t)bh);
        dst += 4;
    }
}

/* expand_pair for pixel b = pixel a shifted by one tap of cg groups (stride 1, dilation 1): pixel B's
 * group g is pixel A's group g + cg, so each group of A is widened once and stored twice, and only B's
 * last cg groups are widened from the input. groups > cg >= 1. */
#define MCU_EXPAND_GROUP(STORES) \
    "1:\n\t" \
    "ldr     %[w], [%[p]], #4\n\t" \
    "sxtab16 %[l], %[o], %[w]\n\t" \
    "sxtab16 %[h], %[o], %[w], ror #8\n\t" \
    "sadd16  %[l], %[l], %[l]\n\t" \
    "sadd16  %[h], %[h], %[h]\n\t" \
    STORES \
    "subs    %[n], %[n], #1\n\t" \
    "bne     1b\n\t"
#define MCU_EXPAND_OPERANDS \
    : [p] "+&r"(p), [da] "+&r"(da), [db] "+&r"(db), [n] "+&r"(n), [w] "=&r"(w), [l] "=&r"(l), [h] "=&r"(h) \
    : [o] "r"(off2) \
    : "cc", "memory"
static void expand_pair_shift(const int8_t *a, uint32_t *dst, int32_t groups, int32_t cg, int32_t off)
{
    const uint32_t off2 = ((uint32_t)off & 0xFFFFu) | ((uint32_t)off << 16);
    const int8_t *p = a;
    uint32_t *da = dst, *db = dst + 2, w, l, h;
    int32_t n = cg; /* A's first tap */
    __asm__ volatile(MCU_EXPAND_GROUP("strd    %[l], %[h], [%[da]], #16\n\t") MCU_EXPAND_OPERANDS);
    n = groups - cg; /* A's other taps, which are B's first ones */
    __asm__ volatile(MCU_EXPAND_GROUP("strd    %[l], %[h], [%[da]], #16\n\t"
                                      "strd    %[l], %[h], [%[db]], #16\n\t") MCU_EXPAND_OPERANDS);
    n = cg; /* B's last tap (p is now a + 4 * groups = b + 4 * (groups - cg)) */
    __asm__ volatile(MCU_EXPAND_GROUP("strd    %[l], %[h], [%[db]], #16\n\t") MCU_EXPAND_OPERANDS);
    (void)w, (void)l, (void)h;
}
#undef MCU_EXPAND_OPERANDS

/* The MACs of one group: the pixel pair's words in x0..x3 against rows w and w + c (w steps on). */
#define MCU_1X1_MACS \
    "ldr    %[u], [%[w], %[c]]\n\t" \
    "sxtb16 %[t], %[u]\n\t" \
    "smlad  %[a01], %[x0], %[t], %[a01]\n\t" \
    "smlad  %[a11], %[x2], %[t], %[a11]\n\t" \
    "sxtb16 %[u], %[u], ror #8\n\t" \
    "smlad  %[a01], %[x1], %[u], %[a01]\n\t" \
    "smlad  %[a11], %[x3], %[u], %[a11]\n\t" \
    "ldr    %[u], [%[w]], #4\n\t" \
    "sxtb16 %[t], %[u]\n\t" \
    "smlad  %[a00], %[x0], %[t], %[a00]\n\t" \
    "smlad  %[a10], %[x2], %[t], %[a10]\n\t" \
    "sxtb16 %[u], %[u], ror #8\n\t" \
    "smlad  %[a00], %[x1], %[u], %[a00]\n\t" \
    "smlad  %[a10], %[x3], %[u], %[a10]\n\t"
/* One group of 4 input channels for 2 output channels (rows at w and w + c) x 2 pixels: 2 LDRD, 2 LDR,
 * 4 SXTB16 and 8 SMLAD for 16 MACs. */
#define MCU_1X1_GROUP \
    "ldrd   %[x2], %[x3], [%[xp], #8]\n\t" \
    "ldrd   %[x0], %[x1], [%[xp]], #16\n\t" \
    MCU_1X1_MACS

/* acc[0..3] (pixel A ch 0, A ch 1, B ch 0, B ch 1) += the dot products over xp..xend; `w` is row 0 of
 * the filter, row 1 is `c` bytes further. GCC spills in the C version of this loop (it needs 14
 * registers), hence the inline assembly. */
static inline __attribute__((always_inline)) void dot_2x2(const uint32_t *xp, const uint32_t *xend,
                                                          const int8_t *w, int32_t c, int32_t acc[4])
{
    int32_t a00 = acc[0], a01 = acc[1], a10 = acc[2], a11 = acc[3];
    uint32_t x0, x1, x2, x3, t, u;
    if (((xend - xp) & 4) == 0) { /* an even number of groups: two per iteration */
        __asm__ volatile("1:\n\t" MCU_1X1_GROUP MCU_1X1_GROUP
                         "cmp    %[xp], %[xend]\n\t"
                         "bne    1b\n\t"
                         : [a00] "+r"(a00), [a01] "+r"(a01), [a10] "+r"(a10), [a11] "+r"(a11),
                           [xp] "+r"(xp), [w] "+r"(w), [x0] "=&r"(x0), [x1] "=&r"(x1), [x2] "=&r"(x2),
                           [x3] "=&r"(x3), [t] "=&r"(t), [u] "=&r"(u)
                         : [c] "r"(c), [xend] "r"(xend)
                         : "cc");
    } else {
        __asm__ volatile("1:\n\t" MCU_1X1_GROUP
                         "cmp    %[xp], %[xend]\n\t"
                         "bne    1b\n\t"
                         : [a00] "+r"(a00), [a01] "+r"(a01), [a10] "+r"(a10), [a11] "+r"(a11),
                           [xp] "+r"(xp), [w] "+r"(w), [x0] "=&r"(x0), [x1] "=&r"(x1), [x2] "=&r"(x2),
                           [x3] "=&r"(x3), [t] "=&r"(t), [u] "=&r"(u)
                         : [c] "r"(c), [xend] "r"(xend)
                         : "cc");
    }
    acc[0] = a00;
    acc[1] = a01;
    acc[2] = a10;
    acc[3] = a11;
}

/* The requantization table of every output channel pair (mcu_fill_requant_pair); an odd last channel
 * is paired with itself. */
static void fill_requant_table(const mcu_per_channel_quant *quant, const int32_t *bias, int32_t out_c,
                               int32_t output_offset, int32_t *q, int32_t stride)
{
    for (int32_t oc = 0; oc < out_c; oc += 2) {
        mcu_fill_requant_pair(quant->multiplier, quant->shift, bias, oc, oc + 1 < out_c ? oc + 1 : oc,
                              output_offset, q);
        q += stride;
    }
}

/* Requantize and store a 2 x 2 block from its table q (any clamp mode). */
static inline __attribute__((always_inline)) void store_2x2(const int32_t acc[4], const int32_t *q,
                                                            int8_t **oa, int8_t **ob, int32_t lo,
                                                            int32_t hi, const int mode)
{
    if (mode == MCU_CLAMP_BOTH) {
        int8_t *pa = *oa, *pb = *ob;
        pb[0] = mcu_out2_dsp(acc[2], q[2], q[3], q[6], lo, hi, mode);
        pa[0] = mcu_out2_dsp(acc[0], q[2], q[3], q[6], lo, hi, mode);
        pb[1] = mcu_out2_dsp(acc[3], q[4], q[5], q[7], lo, hi, mode);
        pa[1] = mcu_out2_dsp(acc[1], q[4], q[5], q[7], lo, hi, mode);
        *oa = pa + 2;
        *ob = pb + 2;
    } else {
        mcu_store_2x2_dsp(acc[0], acc[1], acc[2], acc[3], q, oa, ob, lo, mode);
    }
}

/* Requantize channel 0 of a pair's table q (an odd last channel). */
static inline int8_t out_ch0(int32_t acc2, const int32_t *q, int32_t lo, int32_t hi, const int mode)
{
    return mcu_out2_dsp(acc2, q[2], q[3], q[6], lo, hi, mode);
}

/* All output channel pairs of one pixel pair in one block of assembly (MCU_CLAMP_SSAT and
 * MCU_CLAMP_SSAT_LO): per pair the accumulators start at the table's 2 * bias, the groups are read
 * with one LDM each (the four x registers are pinned in ascending order for it), and the block is
 * requantized and stored as in mcu_store_2x2_dsp. The table pointer, the output pointers, the buffer
 * and the end of the table live in a small frame in memory, so the loop needs no more than the 14
 * general registers. */
#define MCU_1X1_LDM_GROUP \
    "ldmia  %[xp]!, {%[x0], %[x1], %[x2], %[x3]}\n\t" \
    MCU_1X1_MACS

/* The four accumulators of a 2 x 2 block (a00, a10: channel a; a01, a11: channel b) shifted by their channel's
 * rz (in RA, RB) with P's post-add (MCU_ASR_P), then saturated to int8. */
#define MCU_ASR_SSAT4(P, RA, RB) \
    MCU_ASR_P(P, "a00", RA) MCU_ASR_P(P, "a10", RA) \
    MCU_ASR_P(P, "a01", RB) MCU_ASR_P(P, "a11", RB) \
    "ssat   %[a00], #8, %[a00]\n\t" \
    "ssat   %[a01], #8, %[a01]\n\t" \
    "ssat   %[a10], #8, %[a10]\n\t" \
    "ssat   %[a11], #8, %[a11]\n\t"
#define MCU_1X1_RQ(A, B, OFF) \
    "ldrd   %[x0], %[x1], [%[xp], #" OFF "]\n\t" \
    "smmlar %[t], %[" A "], %[x0], %[x1]\n\t" \
    "add    %[" A "], %[t], %[" A "], asr #31\n\t" \
    "smmlar %[t], %[" B "], %[x0], %[x1]\n\t" \
    "add    %[" B "], %[t], %[" B "], asr #31\n\t"

#define MCU_1X1_PAIRS(GROUPS, LO, P) \
    "1:\n\t" \
    "ldr    %[t], %[cq]\n\t" \
    "ldrd   %[a00], %[a01], [%[t]]\n\t" \
    "mov    %[a10], %[a00]\n\t" \
    "mov    %[a11], %[a01]\n\t" \
    "ldr    %[xp], %[cbuf]\n\t" \
    "2:\n\t" \
    GROUPS \
    "cmp    %[xp], %[xend]\n\t" \
    "bne    2b\n\t" \
    "add    %[w], %[w], %[c]\n\t" \
    "ldr    %[xp], %[cq]\n\t" \
    MCU_1X1_RQ("a00", "a10", "8") MCU_1X1_RQ("a01", "a11", "16") \
    "ldrd   %[x0], %[x1], [%[xp], #24]\n\t" \
    MCU_ASR_SSAT4(P, "x0", "x1") \
    "ldr    %[x0], %[coa]\n\t" \
    "ldr    %[x1], %[cob]\n\t" \
    LO \
    "str    %[x0], %[coa]\n\t" \
    "str    %[x1], %[cob]\n\t" \
    "add    %[xp], %[xp], #32\n\t" \
    "str    %[xp], %[cq]\n\t" \
    "ldr    %[x0], %[cqend]\n\t" \
    "cmp    %[xp], %[x0]\n\t" \
    "bne    1b\n\t"

/* Store the saturated block through x0 (pixel A) and x1 (pixel B), post-incremented: four STRB, or
 * with a lower clamp the four bytes packed (BFI), clamped at once (SSUB8 against act_min in every
 * byte, SEL) and stored as two halfwords. */
#define MCU_1X1_STORE4 \
    "strb   %[a00], [%[x0]], #1\n\t" \
    "strb   %[a01], [%[x0]], #1\n\t" \
    "strb   %[a10], [%[x1]], #1\n\t" \
    "strb   %[a11], [%[x1]], #1\n\t"
#define MCU_PACK4_LO(OA, OB, LO4) \
    "bfi    %[a00], %[a01], #8, #8\n\t" \
    "bfi    %[a00], %[a10], #16, #8\n\t" \
    "bfi    %[a00], %[a11], #24, #8\n\t" \
    "ldr    %[x2], " LO4 "\n\t" \
    "ssub8  %[t], %[a00], %[x2]\n\t" \
    "sel    %[a00], %[a00], %[x2]\n\t" \
    "strh   %[a00], [%[" OA "]], #2\n\t" \
    "lsr    %[a00], %[a00], #16\n\t" \
    "strh   %[a00], [%[" OB "]], #2\n\t"
#define MCU_1X1_LO_ALL MCU_PACK4_LO("x0", "x1", "%[clo]")

#define MCU_1X1_OPERANDS \
    : [a00] "=&r"(a00), [a01] "=&r"(a01), [a10] "=&r"(a10), [a11] "=&r"(a11), [xp] "=&r"(xp), \
      [w] "+&r"(w), [x0] "=&r"(x0), [x1] "=&r"(x1), [x2] "=&r"(x2), [x3] "=&r"(x3), [t] "=&r"(t), \
      [u] "=&r"(u), [cq] "+m"(frame_q), [coa] "+m"(frame_oa), [cob] "+m"(frame_ob) \
    : [c] "r"(c), [xend] "r"(xend), [cbuf] "m"(frame_buf), [cqend] "m"(frame_qend), \
      [clo] "m"(frame_lo) \
    : "cc", "memory"

/* Every complete output channel pair of the pixel pair in buf (pairs >= 1); returns the filter row
 * after the last pair. */
static inline __attribute__((always_inline)) const int8_t *conv_1x1_pairs_body(
    const uint32_t *buf, const uint32_t *xend, const int8_t *w, int32_t c, const int32_t *q, int32_t pairs,
    int8_t *oa, int8_t *ob, int32_t lo, const int mode, const int post)
{
    register uint32_t x0 __asm__("r8");
    register uint32_t x1 __asm__("r9");
    register uint32_t x2 __asm__("r10");
    register uint32_t x3 __asm__("r11");
    int32_t a00, a01, a10, a11;
    uint32_t t, u;
    const uint32_t *xp;
    const int32_t *frame_q = q, *frame_qend = q + 8 * pairs;
    int8_t *frame_oa = oa, *frame_ob = ob;
    const uint32_t *frame_buf = buf;
    const uint32_t frame_lo = 0x01010101u * (uint8_t)lo; /* act_min in every byte */
    const int even = ((xend - buf) & 4) == 0, four = ((xend - buf) & 12) == 0;
    const int eight = ((xend - buf) & 28) == 0;
    const int nine = !eight && (xend - buf) % 36 == 0; /* 3x3 kernels on 4 or 16 input channels */
#define MCU_1X1_G4 MCU_1X1_LDM_GROUP MCU_1X1_LDM_GROUP MCU_1X1_LDM_GROUP MCU_1X1_LDM_GROUP
#define MCU_1X1_G9 MCU_1X1_G4 MCU_1X1_G4 MCU_1X1_LDM_GROUP
/* The pair loop for the buffer's group count (eight, nine, four, two or one groups per step). */
#define MCU_1X1_SHAPES(LO, P) \
    if (eight) { \
        __asm__ volatile(MCU_1X1_PAIRS(MCU_1X1_G4 MCU_1X1_G4, LO, P) MCU_1X1_OPERANDS); \
    } else if (nine) { \
        __asm__ volatile(MCU_1X1_PAIRS(MCU_1X1_G9, LO, P) MCU_1X1_OPERANDS); \
    } else if (four) { \
        __asm__ volatile(MCU_1X1_PAIRS(MCU_1X1_G4, LO, P) MCU_1X1_OPERANDS); \
    } else if (even) { \
        __asm__ volatile(MCU_1X1_PAIRS(MCU_1X1_LDM_GROUP MCU_1X1_LDM_GROUP, LO, P) MCU_1X1_OPERANDS); \
    } else { \
        __asm__ volatile(MCU_1X1_PAIRS(MCU_1X1_LDM_GROUP, LO, P) MCU_1X1_OPERANDS); \
    }
#define MCU_1X1_ALL(P) \
    if (mode == MCU_CLAMP_SSAT_LO) { \
        MCU_1X1_SHAPES(MCU_1X1_LO_ALL, P) \
    } else { \
        MCU_1X1_SHAPES(MCU_1X1_STORE4, P) \
    }
    if (post) {
        MCU_1X1_ALL(MCU_POST)
    } else {
        MCU_1X1_ALL(MCU_NO_POST)
    }
#undef MCU_1X1_ALL
#undef MCU_1X1_SHAPES
    (void)a00, (void)a01, (void)a10, (void)a11, (void)xp, (void)t, (void)u;
    (void)x0, (void)x1, (void)x2, (void)x3;
    return w;
}

/* One function per clamp mode, so a firmware links only the modes its layers use. */
static __attribute__((noinline)) const int8_t *conv_1x1_pairs_ssat(const uint32_t *buf, const uint32_t *xend,
                                                                   const int8_t *w, int32_t c, const int32_t *q,
                                                                   int32_t pairs, int8_t *oa, int8_t *ob,
                                                                   int32_t lo, const int post)
{
    return conv_1x1_pairs_body(buf, xend, w, c, q, pairs, oa, ob, lo, MCU_CLAMP_SSAT, post);
}

static __attribute__((noinline)) const int8_t *conv_1x1_pairs_ssat_lo(const uint32_t *buf, const uint32_t *xend,
                                                                      const int8_t *w, int32_t c, const int32_t *q,
                                                                      int32_t pairs, int8_t *oa, int8_t *ob,
                                                                      int32_t lo, const int post)
{
    return conv_1x1_pairs_body(buf, xend, w, c, q, pairs, oa, ob, lo, MCU_CLAMP_SSAT_LO, post);
}

static inline __attribute__((always_inline)) const int8_t *conv_1x1_pairs_asm(
    const uint32_t *buf, const uint32_t *xend, const int8_t *w, int32_t c, const int32_t *q, int32_t pairs,
    int8_t *oa, int8_t *ob, int32_t lo, const int mode, const int post)
{
    return mode == MCU_CLAMP_SSAT_LO ? conv_1x1_pairs_ssat_lo(buf, xend, w, c, q, pairs, oa, ob, lo, post)
                                     : conv_1x1_pairs_ssat(buf, xend, w, c, q, pairs, oa, ob, lo, post);
}

/* The same for a single pixel (an odd pixel count's last one): only the A words of each group are read
 * and two outputs per pair stored. */
#define MCU_1X1_ONE_GROUP \
    "ldrd   %[x0], %[x1], [%[xp]], #16\n\t" \
    "ldr    %[u], [%[w], %[c]]\n\t" \
    "sxtb16 %[t], %[u]\n\t" \
    "smlad  %[a01], %[x0], %[t], %[a01]\n\t" \
    "sxtb16 %[u], %[u], ror #8\n\t" \
    "smlad  %[a01], %[x1], %[u], %[a01]\n\t" \
    "ldr    %[u], [%[w]], #4\n\t" \
    "sxtb16 %[t], %[u]\n\t" \
    "smlad  %[a00], %[x0], %[t], %[a00]\n\t" \
    "sxtb16 %[u], %[u], ror #8\n\t" \
    "smlad  %[a00], %[x1], %[u], %[a00]\n\t"

#define MCU_1X1_ONE_PAIRS(LO) \
    "1:\n\t" \
    "ldr    %[t], %[cq]\n\t" \
    "ldrd   %[a00], %[a01], [%[t]]\n\t" \
    "ldr    %[xp], %[cbuf]\n\t" \
    "2:\n\t" \
    MCU_1X1_ONE_GROUP \
    "cmp    %[xp], %[xend]\n\t" \
    "bne    2b\n\t" \
    "add    %[w], %[w], %[c]\n\t" \
    "ldr    %[xp], %[cq]\n\t" \
    "ldrd   %[x0], %[x1], [%[xp], #8]\n\t" \
    "smmlar %[t], %[a00], %[x0], %[x1]\n\t" \
    "add    %[a00], %[t], %[a00], asr #31\n\t" \
    "ldrd   %[x0], %[x1], [%[xp], #16]\n\t" \
    "smmlar %[t], %[a01], %[x0], %[x1]\n\t" \
    "add    %[a01], %[t], %[a01], asr #31\n\t" \
    "ldrd   %[x0], %[x1], [%[xp], #24]\n\t" \
    MCU_ASR_POST("a00", "x0") MCU_ASR_POST("a01", "x1") \
    "ssat   %[a00], #8, %[a00]\n\t" \
    "ssat   %[a01], #8, %[a01]\n\t" \
    "ldr    %[x0], %[coa]\n\t" \
    LO \
    "str    %[x0], %[coa]\n\t" \
    "add    %[xp], %[xp], #32\n\t" \
    "str    %[xp], %[cq]\n\t" \
    "ldr    %[x0], %[cqend]\n\t" \
    "cmp    %[xp], %[x0]\n\t" \
    "bne    1b\n\t"

#define MCU_1X1_ONE_STORE \
    "strb   %[a00], [%[x0]], #1\n\t" \
    "strb   %[a01], [%[x0]], #1\n\t"
#define MCU_1X1_ONE_LO \
    "bfi    %[a00], %[a01], #8, #8\n\t" \
    "ldr    %[x2], %[clo]\n\t" \
    "ssub8  %[t], %[a00], %[x2]\n\t" \
    "sel    %[a00], %[a00], %[x2]\n\t" \
    "strh   %[a00], [%[x0]], #2\n\t"

/* Every complete output channel pair of the single pixel in slot A of buf (pairs >= 1). */
static const int8_t *conv_1x1_one_asm(const uint32_t *buf, const uint32_t *xend, const int8_t *w,
                                      int32_t c, const int32_t *q, int32_t pairs, int8_t *oa, int32_t lo,
                                      const int mode)
{
    register uint32_t x0 __asm__("r8");
    register uint32_t x1 __asm__("r9");
    register uint32_t x2 __asm__("r10");
    register uint32_t x3 __asm__("r11");
    int32_t a00, a01, a10, a11;
    uint32_t t, u;
    const uint32_t *xp;
    const int32_t *frame_q = q, *frame_qend = q + 8 * pairs;
    int8_t *frame_oa = oa, *frame_ob = oa;
    const uint32_t *frame_buf = buf;
    const uint32_t frame_lo = 0x01010101u * (uint8_t)lo;
    if (mode == MCU_CLAMP_SSAT_LO) {
        __asm__ volatile(MCU_1X1_ONE_PAIRS(MCU_1X1_ONE_LO) MCU_1X1_OPERANDS);
    } else {
        __asm__ volatile(MCU_1X1_ONE_PAIRS(MCU_1X1_ONE_STORE) MCU_1X1_OPERANDS);
    }
    (void)a00, (void)a01, (void)a10, (void)a11, (void)xp, (void)t, (void)u;
    (void)x0, (void)x1, (void)x2, (void)x3;
    return w;
}

/* Four pixels x one output channel per pass (1x1, MCU_CLAMP_SSAT, even out_c): the four pixels are
 * expanded per group of four input channels as eight words (p0 0/2, p0 1/3, p1 0/2, ..., p3 1/3), so
 * each weight word is widened once (SXTB16) and met by four pixels: per group one LDR, two SXTB16, two
 * LDM and eight SMLAD (13 instructions per 16 MACs, against 15 for the 2 x 2 block; the group loop unrolled
 * by 4, entered mid-way when the group count is not a multiple of 4). Channels run in
 * the pairs of the 2 x 2 path's table (channel 0 then 1 of each pair), the table pointer in a register.
 * Outputs of pixel i at o + i * out_c (one frame word each for o and out_c, read with LDRD). */
#define MCU_Q_GROUP \
    "ldr    %[u], [%[w]], #4\n\t" \
    "ldmia  %[xp]!, {%[x0], %[x1], %[x2], %[x3]}\n\t" \
    "sxtb16 %[t], %[u]\n\t" \
    "sxtb16 %[u], %[u], ror #8\n\t" \
    "smlad  %[a0], %[x0], %[t], %[a0]\n\t" \
    "smlad  %[a0], %[x1], %[u], %[a0]\n\t" \
    "smlad  %[a1], %[x2], %[t], %[a1]\n\t" \
    "smlad  %[a1], %[x3], %[u], %[a1]\n\t" \
    "ldmia  %[xp]!, {%[x0], %[x1], %[x2], %[x3]}\n\t" \
    "smlad  %[a2], %[x0], %[t], %[a2]\n\t" \
    "smlad  %[a2], %[x1], %[u], %[a2]\n\t" \
    "smlad  %[a3], %[x2], %[t], %[a3]\n\t" \
    "smlad  %[a3], %[x3], %[u], %[a3]\n\t"
#define MCU_Q_RQ(A) \
    "smmlar %[t], %[" A "], %[x0], %[x1]\n\t" \
    "add    %[" A "], %[t], %[" A "], asr #31\n\t"
/* One channel of the pair (BIAS, M, RZ: byte offsets of its 2 * bias, (m, k) and rz in the table). */
#define MCU_Q_CH(ENTRY, GROUPS, BIAS, M, RZ, P) \
    "ldr    %[a0], [%[q], #" BIAS "]\n\t" \
    "mov    %[a1], %[a0]\n\t" \
    "mov    %[a2], %[a0]\n\t" \
    "mov    %[a3], %[a0]\n\t" \
    "ldr    %[xp], %[cbuf]\n\t" \
    ENTRY \
    "2:\n\t" \
    GROUPS \
    "cmp    %[xp], %[xend]\n\t" \
    "bne    2b\n\t" \
    "ldrd   %[x0], %[x1], [%[q], #" M "]\n\t" \
    MCU_Q_RQ("a0") MCU_Q_RQ("a1") MCU_Q_RQ("a2") MCU_Q_RQ("a3") \
    "ldr    %[x0], [%[q], #" RZ "]\n\t" \
    MCU_ASR_P(P, "a0", "x0") MCU_ASR_P(P, "a1", "x0") MCU_ASR_P(P, "a2", "x0") MCU_ASR_P(P, "a3", "x0") \
    "ssat   %[a0], #8, %[a0]\n\t" \
    "ssat   %[a1], #8, %[a1]\n\t" \
    "ssat   %[a2], #8, %[a2]\n\t" \
    "ssat   %[a3], #8, %[a3]\n\t" \
    "ldrd   %[x1], %[x2], %[co]\n\t" \
    "strb   %[a0], [%[x1]]\n\t" \
    "strb   %[a1], [%[x1], %[x2]]\n\t" \
    "add    %[x3], %[x1], %[x2], lsl #1\n\t" \
    "strb   %[a2], [%[x3]]\n\t" \
    "strb   %[a3], [%[x3], %[x2]]\n\t" \
    "add    %[x1], %[x1], #1\n\t" \
    "str    %[x1], %[co]\n\t"
#define MCU_Q_PAIRS(ENTRY, GROUPS, P) \
    "1:\n\t" \
    MCU_Q_CH(ENTRY, GROUPS, "0", "8", "24", P) \
    MCU_Q_CH(ENTRY, GROUPS, "4", "16", "28", P) \
    "add    %[q], %[q], #32\n\t" \
    "ldr    %[x0], %[cqend]\n\t" \
    "cmp    %[q], %[x0]\n\t" \
    "bne    1b\n\t"
#define MCU_Q_OPERANDS \
    : [a0] "=&r"(a0), [a1] "=&r"(a1), [a2] "=&r"(a2), [a3] "=&r"(a3), [xp] "=&r"(xp), [w] "+&r"(w), \
      [q] "+&r"(q), [x0] "=&r"(x0), [x1] "=&r"(x1), [x2] "=&r"(x2), [x3] "=&r"(x3), [t] "=&r"(t), \
      [u] "=&r"(u), [co] "+m"(frame_o) \
    : [xend] "r"(xend), [cbuf] "m"(frame_buf), [cqend] "m"(frame_qend), [crem] "m"(frame_rem) \
    : "cc", "memory"
/* A group count that is not a multiple of 4: the loop unrolled by 4 and entered at the group that leaves
 * a multiple of 4 after it (the count modulo 4 in the frame): 13.5 instructions per 16 MACs and 4 or 5
 * per channel to enter, instead of 15 (or 14 unrolled by 2) per 16 MACs. */
#define MCU_Q_ODD_ENTRY \
    "ldr    %[t], %[crem]\n\t" \
    "cmp    %[t], #2\n\t" \
    "beq    6f\n\t" \
    "bhi    7f\n\t" \
    "b      5f\n\t"
#define MCU_Q_ODD_GROUPS MCU_Q_GROUP "7:\n\t" MCU_Q_GROUP "6:\n\t" MCU_Q_GROUP "5:\n\t" MCU_Q_GROUP

static inline __attribute__((always_inline)) void conv_1x1_quad_body(const uint32_t *buf, const uint32_t *xend,
                                                                     const int8_t *w, const int32_t *q,
                                                                     int32_t pairs, int8_t *o, int32_t out_c,
                                                                     const int post)
{
    register uint32_t x0 __asm__("r8");
    register uint32_t x1 __asm__("r9");
    register uint32_t x2 __asm__("r10");
    register uint32_t x3 __asm__("r11");
    int32_t a0, a1, a2, a3;
    uint32_t t, u;
    const uint32_t *xp;
    const int32_t *frame_qend = q + 8 * pairs;
    const uint32_t *frame_buf = buf;
    int32_t frame_o[2] __attribute__((aligned(8)));
    frame_o[0] = (int32_t)(uintptr_t)o;
    frame_o[1] = out_c;
    const int32_t span = (int32_t)(xend - buf); /* 8 words per group */
    const int32_t frame_rem = (span / 8) & 3;
#define MCU_Q_ALL(P) \
    if (frame_rem == 0) { \
        __asm__ volatile(MCU_Q_PAIRS("", MCU_Q_GROUP MCU_Q_GROUP MCU_Q_GROUP MCU_Q_GROUP, P) MCU_Q_OPERANDS); \
    } else { \
        __asm__ volatile(MCU_Q_PAIRS(MCU_Q_ODD_ENTRY, MCU_Q_ODD_GROUPS, P) MCU_Q_OPERANDS); \
    }
    if (post) {
        MCU_Q_ALL(MCU_POST)
    } else {
        MCU_Q_ALL(MCU_NO_POST)
    }
#undef MCU_Q_ALL
    (void)a0, (void)a1, (void)a2, (void)a3, (void)xp, (void)t, (void)u, (void)w, (void)q;
    (void)x0, (void)x1, (void)x2, (void)x3;
}

static __attribute__((noinline)) void conv_1x1_quad_ssat(const uint32_t *buf, const uint32_t *xend, const int8_t *w,
                                                         const int32_t *q, int32_t pairs, int8_t *o, int32_t out_c)
{
    conv_1x1_quad_body(buf, xend, w, q, pairs, o, out_c, 0);
}

static __attribute__((noinline)) void conv_1x1_quad_ssat_post(const uint32_t *buf, const uint32_t *xend,
                                                              const int8_t *w, const int32_t *q, int32_t pairs,
                                                              int8_t *o, int32_t out_c)
{
    conv_1x1_quad_body(buf, xend, w, q, pairs, o, out_c, 1);
}

/* Four pixels a[0..3] (groups of four channels each) expanded into the quad layout, input offset added
 * and doubled like expand_pair. */
static void expand_quad(const int8_t *const a[4], uint32_t *dst, int32_t groups, int32_t off)
{
    const uint32_t off2 = ((uint32_t)off & 0xFFFFu) | ((uint32_t)off << 16);
    const int8_t *p0 = a[0], *p1 = a[1], *p2 = a[2], *p3 = a[3];
    for (int32_t g = 0; g < groups; ++g, dst += 8) {
        const uint32_t w0 = mcu_load_u32(p0 + 4 * g), w1 = mcu_load_u32(p1 + 4 * g);
        const uint32_t w2 = mcu_load_u32(p2 + 4 * g), w3 = mcu_load_u32(p3 + 4 * g);
        uint32_t v;
        v = mcu_sxtab16(off2, w0), dst[0] = (uint32_t)__sadd16((int16x2_t)v, (int16x2_t)v);
        v = mcu_sxtab16_ror8(off2, w0), dst[1] = (uint32_t)__sadd16((int16x2_t)v, (int16x2_t)v);
        v = mcu_sxtab16(off2, w1), dst[2] = (uint32_t)__sadd16((int16x2_t)v, (int16x2_t)v);
        v = mcu_sxtab16_ror8(off2, w1), dst[3] = (uint32_t)__sadd16((int16x2_t)v, (int16x2_t)v);
        v = mcu_sxtab16(off2, w2), dst[4] = (uint32_t)__sadd16((int16x2_t)v, (int16x2_t)v);
        v = mcu_sxtab16_ror8(off2, w2), dst[5] = (uint32_t)__sadd16((int16x2_t)v, (int16x2_t)v);
        v = mcu_sxtab16(off2, w3), dst[6] = (uint32_t)__sadd16((int16x2_t)v, (int16x2_t)v);
        v = mcu_sxtab16_ror8(off2, w3), dst[7] = (uint32_t)__sadd16((int16x2_t)v, (int16x2_t)v);
    }
}

/* The small path (input depth c a multiple of 4 up to 32): per output channel pair a block of its filter
 * rows a and b (c bytes each) and its 8 table words, copied into scratch per call or the code generator's
 * table in flash (ops.small1x1_table); the groups are unrolled, and the output pointers stay in
 * registers. */
#define MCU_S_GROUP(OFFA, OFFB) \
    "ldmia  %[xp]!, {%[x0], %[x1], %[x2], %[x3]}\n\t" \
    "ldr    %[u], [%[w], #" OFFB "]\n\t" \
    "sxtb16 %[t], %[u]\n\t" \
    "smlad  %[a01], %[x0], %[t], %[a01]\n\t" \
    "smlad  %[a11], %[x2], %[t], %[a11]\n\t" \
    "sxtb16 %[u], %[u], ror #8\n\t" \
    "smlad  %[a01], %[x1], %[u], %[a01]\n\t" \
    "smlad  %[a11], %[x3], %[u], %[a11]\n\t" \
    "ldr    %[u], [%[w], #" OFFA "]\n\t" \
    "sxtb16 %[t], %[u]\n\t" \
    "smlad  %[a00], %[x0], %[t], %[a00]\n\t" \
    "smlad  %[a10], %[x2], %[t], %[a10]\n\t" \
    "sxtb16 %[u], %[u], ror #8\n\t" \
    "smlad  %[a00], %[x1], %[u], %[a00]\n\t" \
    "smlad  %[a10], %[x3], %[u], %[a10]\n\t"
/* The first group: the block's start values (a00, a01, loaded from the table) enter through the SMLADs'
 * addend, pixel B's accumulators first (no MOVs). */
#define MCU_S_GROUP0(OFFA, OFFB) \
    "ldmia  %[xp]!, {%[x0], %[x1], %[x2], %[x3]}\n\t" \
    "ldr    %[u], [%[w], #" OFFB "]\n\t" \
    "sxtb16 %[t], %[u]\n\t" \
    "smlad  %[a11], %[x2], %[t], %[a01]\n\t" \
    "smlad  %[a01], %[x0], %[t], %[a01]\n\t" \
    "sxtb16 %[u], %[u], ror #8\n\t" \
    "smlad  %[a01], %[x1], %[u], %[a01]\n\t" \
    "smlad  %[a11], %[x3], %[u], %[a11]\n\t" \
    "ldr    %[u], [%[w], #" OFFA "]\n\t" \
    "sxtb16 %[t], %[u]\n\t" \
    "smlad  %[a10], %[x2], %[t], %[a00]\n\t" \
    "smlad  %[a00], %[x0], %[t], %[a00]\n\t" \
    "sxtb16 %[u], %[u], ror #8\n\t" \
    "smlad  %[a00], %[x1], %[u], %[a00]\n\t" \
    "smlad  %[a10], %[x3], %[u], %[a10]\n\t"
#define MCU_S_RQ(A, B, OFF) \
    "ldrd   %[x0], %[x1], [%[w], #" OFF "]\n\t" \
    "smmlar %[t], %[" A "], %[x0], %[x1]\n\t" \
    "add    %[" A "], %[t], %[" A "], asr #31\n\t" \
    "smmlar %[t], %[" B "], %[x0], %[x1]\n\t" \
    "add    %[" B "], %[t], %[" B "], asr #31\n\t"
/* Every channel pair of the blocks (rows of TAB bytes) against the expanded pair at xp: GROUPS, xp back
 * XBACK bytes, FIX (the encoded rows' correction, else nothing), requantized, stored by LO. */
#define MCU_S_PAIRS(TAB, GROUPS, XBACK, FIX, LO, P) \
    "1:\n\t" \
    "ldrd   %[a00], %[a01], [%[w], #" TAB "]\n\t" \
    GROUPS \
    "sub    %[xp], %[xp], #" XBACK "\n\t" \
    FIX \
    MCU_S_RQ("a00", "a10", TAB "+8") MCU_S_RQ("a01", "a11", TAB "+16") \
    "ldrd   %[x0], %[x1], [%[w], #" TAB "+24]\n\t" \
    MCU_ASR_SSAT4(P, "x0", "x1") \
    LO \
    "add    %[w], %[w], #" TAB "+32\n\t" \
    "ldr    %[t], %[wend]\n\t" \
    "cmp    %[w], %[t]\n\t" \
    "bne    1b\n\t"
#define MCU_S_STORE4 \
    "strb   %[a00], [%[oa]], #1\n\t" \
    "strb   %[a01], [%[oa]], #1\n\t" \
    "strb   %[a10], [%[ob]], #1\n\t" \
    "strb   %[a11], [%[ob]], #1\n\t"
#define MCU_S_LO MCU_PACK4_LO("oa", "ob", "%[lo]")
/* The groups of input depth C as GR(offset in row a, offset in row b), the first one as GR##0. */
#define MCU_S_G4(GR) GR##0("0", "4")
#define MCU_S_G8(GR) GR##0("0", "8") GR("4", "12")
#define MCU_S_G12(GR) GR##0("0", "12") GR("4", "16") GR("8", "20")
#define MCU_S_G16(GR) GR##0("0", "16") GR("4", "20") GR("8", "24") GR("12", "28")
#define MCU_S_G20(GR) GR##0("0", "20") GR("4", "24") GR("8", "28") GR("12", "32") GR("16", "36")
#define MCU_S_G24(GR) GR##0("0", "24") GR("4", "28") GR("8", "32") GR("12", "36") GR("16", "40") GR("20", "44")
#define MCU_S_G28(GR) GR##0("0", "28") GR("4", "32") GR("8", "36") GR("12", "40") GR("16", "44") GR("20", "48") \
    GR("24", "52")
#define MCU_S_G32(GR) GR##0("0", "32") GR("4", "36") GR("8", "40") GR("12", "44") GR("16", "48") GR("20", "52") \
    GR("24", "56") GR("28", "60")

/* The N groups of four input channels of both pixels (A at a00, B at a01, which hold the pixel pointers
 * until the pair loop loads its start values; a10 counts): sign-extended, doubled and stored in SXTB16
 * order from xp, 13 instructions per group; MCU_S_X1 one group unrolled (11 instructions). */
#define MCU_S_X1 \
    "ldr    %[t], [%[a00]], #4\n\t" \
    "ldr    %[u], [%[a01]], #4\n\t" \
    "sxtb16 %[x0], %[t]\n\t" \
    "sxtb16 %[x1], %[t], ror #8\n\t" \
    "sxtb16 %[x2], %[u]\n\t" \
    "sxtb16 %[x3], %[u], ror #8\n\t" \
    "sadd16 %[x0], %[x0], %[x0]\n\t" \
    "sadd16 %[x1], %[x1], %[x1]\n\t" \
    "sadd16 %[x2], %[x2], %[x2]\n\t" \
    "sadd16 %[x3], %[x3], %[x3]\n\t" \
    "stmia  %[xp]!, {%[x0], %[x1], %[x2], %[x3]}\n\t"
#define MCU_S_X(N) \
    "mov    %[a10], #" N "\n\t" \
    "0:\n\t" \
    MCU_S_X1 \
    "subs   %[a10], %[a10], #1\n\t" \
    "bne    0b\n\t"

/* n pixel pairs (pixel A of pair i at pa + 2 i sx, pixel B sx bytes after it; sx = 0 for a single pixel
 * as a pair of itself): each pair expanded into the scratch words at buf (XBACK bytes), then every channel
 * pair of the table blocks (from blocks until frame_wend) against it; outputs of pair 0's pixel A from oa,
 * of its pixel B from ob, each next pair's out_c bytes after the last one's B (ob = oa for a single pixel,
 * n = 1). The pair loop runs inside the assembly: per pair 15 instructions besides the expansion and the
 * blocks. */
typedef void (*small_fn)(const int8_t *pa, int32_t sx, int32_t n, int8_t *oa, int8_t *ob, int32_t out_c,
                         const int8_t *blocks, const int8_t *frame_wend, uint32_t frame_lo, uint32_t *buf);
/* The frame of a span function (small_fn) of input depth C: per pixel pair EXPAND (from a00 and a01, the
 * pixels A and B) of XBACK bytes at xp, then PAIRS (its channel pairs, the pair loop at label 1). */
#define MCU_PAIRS_FN(NAME, C, EXPAND, XBACK, PAIRS) \
    static void NAME(const int8_t *pa, int32_t sx, int32_t n, int8_t *oa, int8_t *ob, int32_t out_c, \
                     const int8_t *blocks, const int8_t *frame_wend, uint32_t frame_lo, uint32_t *buf) \
    { \
        register uint32_t x0 __asm__("r8"); \
        register uint32_t x1 __asm__("r9"); \
        register uint32_t x2 __asm__("r10"); \
        register uint32_t x3 __asm__("r11"); \
        int32_t a00, a01, a10, a11; \
        uint32_t t, u; \
        const uint32_t *xp = buf; \
        const int8_t *w; \
        const int8_t *frame_pa = pa; \
        int32_t frame_n = n; \
        const int32_t frame_sx = sx, frame_adv = 2 * sx - (C), frame_oc = out_c; \
        const int8_t *frame_blocks = blocks; \
        __asm__ volatile("3:\n\t" \
                         "ldr    %[a00], %[fpa]\n\t" \
                         "ldr    %[t], %[fsx]\n\t" \
                         "add    %[a01], %[a00], %[t]\n\t" \
                         EXPAND \
                         "sub    %[xp], %[xp], #" XBACK "\n\t" \
                         "ldr    %[t], %[fadv]\n\t" \
                         "add    %[a00], %[a00], %[t]\n\t" \
                         "str    %[a00], %[fpa]\n\t" \
                         "ldr    %[w], %[fblocks]\n\t" \
                         PAIRS \
                         "mov    %[oa], %[ob]\n\t" \
                         "ldr    %[t], %[foc]\n\t" \
                         "add    %[ob], %[ob], %[t]\n\t" \
                         "ldr    %[t], %[fn]\n\t" \
                         "subs   %[t], %[t], #1\n\t" \
                         "str    %[t], %[fn]\n\t" \
                         "bne    3b\n\t" \
                         : [a00] "=&r"(a00), [a01] "=&r"(a01), [a10] "=&r"(a10), [a11] "=&r"(a11), \
                           [xp] "+&r"(xp), [w] "=&r"(w), [oa] "+&r"(oa), [ob] "+&r"(ob), [x0] "=&r"(x0), \
                           [x1] "=&r"(x1), [x2] "=&r"(x2), [x3] "=&r"(x3), [t] "=&r"(t), [u] "=&r"(u), \
                           [fpa] "+m"(frame_pa), [fn] "+m"(frame_n) \
                         : [wend] "m"(frame_wend), [lo] "m"(frame_lo), [fsx] "m"(frame_sx), \
                           [fadv] "m"(frame_adv), [foc] "m"(frame_oc), [fblocks] "m"(frame_blocks) \
                         : "cc", "memory"); \
        (void)a00, (void)a01, (void)a10, (void)a11, (void)t, (void)u, (void)xp, (void)w; \
        (void)x0, (void)x1, (void)x2, (void)x3, (void)oa, (void)ob; \
    }

#define MCU_S_FN(NAME, C, TAB, EXPAND, GROUPS, XBACK, STORE, P) \
    MCU_PAIRS_FN(NAME, C, EXPAND, XBACK, MCU_S_PAIRS(TAB, GROUPS, XBACK, , STORE, P))

/* One pixel (a span's odd last one): only its own words expanded (two per group, 6 instructions), and per
 * channel pair per group one LDRD of them, two weight LDRs, four SXTB16 and four SMLAD; the pair's two
 * outputs stored from oa. */
#define MCU_S1_GROUP(OFFA, OFFB) \
    "ldrd   %[x0], %[x1], [%[xp]], #8\n\t" \
    "ldr    %[u], [%[w], #" OFFB "]\n\t" \
    "sxtb16 %[t], %[u]\n\t" \
    "smlad  %[a01], %[x0], %[t], %[a01]\n\t" \
    "sxtb16 %[u], %[u], ror #8\n\t" \
    "smlad  %[a01], %[x1], %[u], %[a01]\n\t" \
    "ldr    %[u], [%[w], #" OFFA "]\n\t" \
    "sxtb16 %[t], %[u]\n\t" \
    "smlad  %[a00], %[x0], %[t], %[a00]\n\t" \
    "sxtb16 %[u], %[u], ror #8\n\t" \
    "smlad  %[a00], %[x1], %[u], %[a00]\n\t"
#define MCU_S1_GROUP0 MCU_S1_GROUP
#define MCU_S1_X \
    "0:\n\t" \
    "ldr    %[t], [%[a00]], #4\n\t" \
    "sxtb16 %[x0], %[t]\n\t" \
    "sxtb16 %[x1], %[t], ror #8\n\t" \
    "sadd16 %[x0], %[x0], %[x0]\n\t" \
    "sadd16 %[x1], %[x1], %[x1]\n\t" \
    "strd   %[x0], %[x1], [%[xp]], #8\n\t" \
    "cmp    %[xp], %[w]\n\t" \
    "bne    0b\n\t"
#define MCU_S1_STORE2 \
    "strb   %[a00], [%[oa]], #1\n\t" \
    "strb   %[a01], [%[oa]], #1\n\t"
#define MCU_S1_LO \
    "bfi    %[a00], %[a01], #8, #8\n\t" \
    "ldr    %[x1], %[lo]\n\t" \
    "ssub8  %[t], %[a00], %[x1]\n\t" \
    "sel    %[a00], %[a00], %[x1]\n\t" \
    "strh   %[a00], [%[oa]], #2\n\t"
/* The channel pairs of one pixel (the loop at label 1; FIX after the pointer's step back over the XB bytes
 * of the expansion), as MCU_S_PAIRS for a pixel pair. */
#define MCU_S1_PAIRS(TAB, GROUPS, XB, FIX, STORE, P) \
    "1:\n\t" \
    "ldrd   %[a00], %[a01], [%[w], #" TAB "]\n\t" \
    GROUPS \
    "sub    %[xp], %[xp], #" #XB "\n\t" \
    FIX \
    "ldrd   %[x0], %[x1], [%[w], #" TAB "+8]\n\t" \
    "smmlar %[t], %[a00], %[x0], %[x1]\n\t" \
    "add    %[a00], %[t], %[a00], asr #31\n\t" \
    "ldrd   %[x0], %[x1], [%[w], #" TAB "+16]\n\t" \
    "smmlar %[t], %[a01], %[x0], %[x1]\n\t" \
    "add    %[a01], %[t], %[a01], asr #31\n\t" \
    "ldrd   %[x0], %[x1], [%[w], #" TAB "+24]\n\t" \
    MCU_ASR_P(P, "a00", "x0") MCU_ASR_P(P, "a01", "x1") \
    "ssat   %[a00], #8, %[a00]\n\t" \
    "ssat   %[a01], #8, %[a01]\n\t" \
    STORE \
    "add    %[w], %[w], #" TAB "+32\n\t" \
    "ldr    %[t], %[wend]\n\t" \
    "cmp    %[w], %[t]\n\t" \
    "bne    1b\n\t"
#define MCU_S1_FN(NAME, TAB, GROUPS, XB, STORE, P) \
    static void NAME(const int8_t *pa, int8_t *oa, const int8_t *blocks, const int8_t *frame_wend, \
                     uint32_t frame_lo, uint32_t *buf) \
    { \
        int32_t a00 = (int32_t)(uintptr_t)pa, a01; \
        uint32_t t, u, x0, x1; \
        uint32_t *xp = buf; \
        const int8_t *w = (const int8_t *)(const void *)(buf + (XB) / 4); /* the end of the expansion */ \
        __asm__ volatile(MCU_S1_X \
                         "sub    %[xp], %[xp], #" #XB "\n\t" \
                         "mov    %[w], %[blocks]\n\t" \
                         MCU_S1_PAIRS(TAB, GROUPS, XB, , STORE, P) \
                         : [a00] "+&r"(a00), [a01] "=&r"(a01), [xp] "+&r"(xp), [w] "+&r"(w), [oa] "+&r"(oa), \
                           [x0] "=&r"(x0), [x1] "=&r"(x1), [t] "=&r"(t), [u] "=&r"(u) \
                         : [blocks] "r"(blocks), [wend] "m"(frame_wend), [lo] "m"(frame_lo) \
                         : "cc", "memory"); \
        (void)a00, (void)a01, (void)t, (void)u, (void)xp, (void)w, (void)x0, (void)x1, (void)oa; \
    }
typedef void (*small1_fn)(const int8_t *pa, int8_t *oa, const int8_t *blocks, const int8_t *frame_wend,
                          uint32_t frame_lo, uint32_t *buf);

/* The functions of input depth C (rows of TAB bytes per block, XBACK bytes of expanded pair): the span and
 * single-pixel ones per clamp mode (SSAT, SSAT_LO) and post-shift add. */
#define MCU_S_FNS(C, TAB, EXPAND, XBACK) MCU_S_SPANS(C, TAB, EXPAND, XBACK) MCU_S1_FNS(C, TAB)
#define MCU_S_SPANS(C, TAB, EXPAND, XBACK) \
    MCU_S_FN(small##C, C, TAB, EXPAND, MCU_S_G##C(MCU_S_GROUP), XBACK, MCU_S_STORE4, MCU_NO_POST) \
    MCU_S_FN(small##C##_lo, C, TAB, EXPAND, MCU_S_G##C(MCU_S_GROUP), XBACK, MCU_S_LO, MCU_NO_POST) \
    MCU_S_FN(small##C##_post, C, TAB, EXPAND, MCU_S_G##C(MCU_S_GROUP), XBACK, MCU_S_STORE4, MCU_POST) \
    MCU_S_FN(small##C##_lo_post, C, TAB, EXPAND, MCU_S_G##C(MCU_S_GROUP), XBACK, MCU_S_LO, MCU_POST)
#define MCU_S1_FNS(C, TAB) \
    MCU_S1_FN(small1_##C, TAB, MCU_S_G##C(MCU_S1_GROUP), 2 * C, MCU_S1_STORE2, MCU_NO_POST) \
    MCU_S1_FN(small1_##C##_lo, TAB, MCU_S_G##C(MCU_S1_GROUP), 2 * C, MCU_S1_LO, MCU_NO_POST) \
    MCU_S1_FN(small1_##C##_post, TAB, MCU_S_G##C(MCU_S1_GROUP), 2 * C, MCU_S1_STORE2, MCU_POST) \
    MCU_S1_FN(small1_##C##_lo_post, TAB, MCU_S_G##C(MCU_S1_GROUP), 2 * C, MCU_S1_LO, MCU_POST)
MCU_S_FNS(4, "8", MCU_S_X1, "16")
/* (depths 8 and 16 with the table: the one-pixel kernels, MCU_X_FN; their spans serve the path without it) */
MCU_S_SPANS(8, "16", MCU_S_X1 MCU_S_X1, "32")
MCU_S_SPANS(16, "32", MCU_S_X1 MCU_S_X1 MCU_S_X1 MCU_S_X1, "64")
MCU_S_SPANS(32, "64", MCU_S_X("8"), "128") /* (depth 32 with the table: the encoded rows, MCU_E_FN) */
#undef MCU_S_FNS
#undef MCU_S_SPANS
#undef MCU_S1_FNS
#undef MCU_S_FN
#undef MCU_S1_FN
#undef MCU_S_X

/* Input depth 4 with the code generator's table (depths 5 to 18 take the one-pixel kernels, MCU_X_FN): the
 * filter rows widened once per call into
 * scratch after the expanded pixel pair (per channel pair and group the words row a 0/2, a 1/3, b 0/2,
 * b 1/3; 4 * c bytes per pair, which the layer's scratch holds for these depths), so per group one LDM
 * of the pixel pair's four words, one LDM of the pair's four weight words and eight SMLAD (10
 * instructions per 16 MACs instead of 15); the requantization constants from the table in flash (its
 * pointer and the output pointers in the frame). Otherwise as MCU_S_FN. MCU_PAIR_GROUP: one group of a pixel
 * pair (x0 .. x3) against a channel pair (t, u, v, y) into the 2 x 2 block a00 .. a11 (also the first-convolution
 * path's group). */
#define MCU_PAIR_GROUP \
    "ldmia  %[xp]!, {%[x0], %[x1], %[x2], %[x3]}\n\t" \
    "ldmia  %[wp]!, {%[t], %[u], %[v], %[y]}\n\t" \
    "smlad  %[a00], %[x0], %[t], %[a00]\n\t" \
    "smlad  %[a00], %[x1], %[u], %[a00]\n\t" \
    "smlad  %[a10], %[x2], %[t], %[a10]\n\t" \
    "smlad  %[a10], %[x3], %[u], %[a10]\n\t" \
    "smlad  %[a01], %[x0], %[v], %[a01]\n\t" \
    "smlad  %[a01], %[x1], %[y], %[a01]\n\t" \
    "smlad  %[a11], %[x2], %[v], %[a11]\n\t" \
    "smlad  %[a11], %[x3], %[y], %[a11]\n\t"
/* MCU_PAIR_GROUP as the block's first group: the start values (a00, a01) through the SMLADs' addend. */
#define MCU_PAIR_GROUP0 \
    "ldmia  %[xp]!, {%[x0], %[x1], %[x2], %[x3]}\n\t" \
    "ldmia  %[wp]!, {%[t], %[u], %[v], %[y]}\n\t" \
    "smlad  %[a10], %[x2], %[t], %[a00]\n\t" \
    "smlad  %[a10], %[x3], %[u], %[a10]\n\t" \
    "smlad  %[a00], %[x0], %[t], %[a00]\n\t" \
    "smlad  %[a00], %[x1], %[u], %[a00]\n\t" \
    "smlad  %[a11], %[x2], %[v], %[a01]\n\t" \
    "smlad  %[a11], %[x3], %[y], %[a11]\n\t" \
    "smlad  %[a01], %[x0], %[v], %[a01]\n\t" \
    "smlad  %[a01], %[x1], %[y], %[a01]\n\t"
#define MCU_SW_RQ(A, B, OFF) \
    "ldrd   %[x2], %[x3], [%[x0], #" OFF "]\n\t" \
    "smmlar %[t], %[" A "], %[x2], %[x3]\n\t" \
    "add    %[" A "], %[t], %[" A "], asr #31\n\t" \
    "smmlar %[t], %[" B "], %[x2], %[x3]\n\t" \
    "add    %[" B "], %[t], %[" B "], asr #31\n\t"
#define MCU_SW_STORE4 \
    "strb   %[a00], [%[x1]], #1\n\t" \
    "strb   %[a01], [%[x1]], #1\n\t" \
    "strb   %[a10], [%[x2]], #1\n\t" \
    "strb   %[a11], [%[x2]], #1\n\t"
#define MCU_SW_LO \
    "bfi    %[a00], %[a01], #8, #8\n\t" \
    "bfi    %[a00], %[a10], #16, #8\n\t" \
    "bfi    %[a00], %[a11], #24, #8\n\t" \
    "ldr    %[x3], %[lo]\n\t" \
    "ssub8  %[t], %[a00], %[x3]\n\t" \
    "sel    %[a00], %[a00], %[x3]\n\t" \
    "strh   %[a00], [%[x1]], #2\n\t" \
    "lsr    %[a00], %[a00], #16\n\t" \
    "strh   %[a00], [%[x2]], #2\n\t"
#define MCU_SW_FN(NAME, C, TAB, EXPAND, GROUPS, XBACK, STORE, P) \
    static void NAME(const int8_t *pa, int32_t sx, int32_t n, int8_t *oa, int8_t *ob, int32_t out_c, \
                     const int8_t *blocks, const int8_t *frame_wend, uint32_t frame_lo, uint32_t *buf) \
    { \
        register uint32_t x0 __asm__("r8"); \
        register uint32_t x1 __asm__("r9"); \
        register uint32_t x2 __asm__("r10"); \
        register uint32_t x3 __asm__("r11"); \
        register uint32_t t __asm__("r4"); \
        register uint32_t u __asm__("r5"); \
        register uint32_t v __asm__("r6"); \
        register uint32_t y __asm__("r7"); \
        int32_t a00, a01, a10, a11; \
        const uint32_t *xp = buf, *wp; \
        const int8_t *frame_pab[2] __attribute__((aligned(8))); \
        int8_t *frame_o[2] __attribute__((aligned(8))); \
        frame_pab[0] = pa, frame_pab[1] = pa + sx; \
        frame_o[0] = oa, frame_o[1] = ob; \
        const int32_t frame_adv = 2 * sx - (C), frame_oc = out_c; \
        const int8_t *frame_oend = oa + (int64_t)2 * n * out_c, *frame_q = blocks; \
        const int8_t *frame_blocks = blocks; \
        __asm__ volatile("3:\n\t" \
                         "ldrd   %[a00], %[a01], %[fpab]\n\t" \
                         EXPAND \
                         "sub    %[xp], %[xp], #" XBACK "\n\t" \
                         "ldr    %[t], %[fadv]\n\t" \
                         "add    %[a00], %[a00], %[t]\n\t" \
                         "add    %[a01], %[a01], %[t]\n\t" \
                         "strd   %[a00], %[a01], %[fpab]\n\t" \
                         "add    %[wp], %[xp], #" XBACK "\n\t" \
                         "ldr    %[x0], %[fblocks]\n\t" \
                         "str    %[x0], %[fq]\n\t" \
                         "1:\n\t" \
                         "ldr    %[x0], %[fq]\n\t" \
                         "ldrd   %[a00], %[a01], [%[x0], #" TAB "]\n\t" \
                         GROUPS \
                         "sub    %[xp], %[xp], #" XBACK "\n\t" \
                         "ldr    %[x0], %[fq]\n\t" \
                         MCU_SW_RQ("a00", "a10", TAB "+8") MCU_SW_RQ("a01", "a11", TAB "+16") \
                         "ldrd   %[x2], %[x3], [%[x0], #" TAB "+24]\n\t" \
                         MCU_ASR_SSAT4(P, "x2", "x3") \
                         "add    %[x0], %[x0], #" TAB "+32\n\t" \
                         "str    %[x0], %[fq]\n\t" \
                         "ldrd   %[x1], %[x2], %[fo]\n\t" \
                         STORE \
                         "strd   %[x1], %[x2], %[fo]\n\t" \
                         "ldr    %[x3], %[wend]\n\t" \
                         "cmp    %[x0], %[x3]\n\t" \
                         "bne    1b\n\t" \
                         "mov    %[x1], %[x2]\n\t" \
                         "ldr    %[x3], %[foc]\n\t" \
                         "add    %[x2], %[x2], %[x3]\n\t" \
                         "strd   %[x1], %[x2], %[fo]\n\t" \
                         "ldr    %[x3], %[foend]\n\t" \
                         "cmp    %[x1], %[x3]\n\t" \
                         "bne    3b\n\t" \
                         : [a00] "=&r"(a00), [a01] "=&r"(a01), [a10] "=&r"(a10), [a11] "=&r"(a11), \
                           [xp] "+&r"(xp), [wp] "=&r"(wp), [x0] "=&r"(x0), [x1] "=&r"(x1), [x2] "=&r"(x2), \
                           [x3] "=&r"(x3), [t] "=&r"(t), [u] "=&r"(u), [v] "=&r"(v), [y] "=&r"(y), \
                           [fpab] "+m"(frame_pab), [fo] "+m"(frame_o), [fq] "+m"(frame_q) \
                         : [wend] "m"(frame_wend), [lo] "m"(frame_lo), [fadv] "m"(frame_adv), \
                           [foc] "m"(frame_oc), [fblocks] "m"(frame_blocks), [foend] "m"(frame_oend) \
                         : "cc", "memory"); \
        (void)a00, (void)a01, (void)a10, (void)a11, (void)t, (void)u, (void)v, (void)y, (void)xp, (void)wp; \
        (void)x0, (void)x1, (void)x2, (void)x3; \
    }
/* The widened-row functions per input depth, clamp and post-shift zero point. */
#define MCU_SW_FNS(C, TAB, EXPAND, XBACK) \
    MCU_SW_FN(smallw##C, C, TAB, EXPAND, MCU_SW_G##C, XBACK, MCU_SW_STORE4, MCU_NO_POST) \
    MCU_SW_FN(smallw##C##_lo, C, TAB, EXPAND, MCU_SW_G##C, XBACK, MCU_SW_LO, MCU_NO_POST) \
    MCU_SW_FN(smallw##C##_post, C, TAB, EXPAND, MCU_SW_G##C, XBACK, MCU_SW_STORE4, MCU_POST) \
    MCU_SW_FN(smallw##C##_lo_post, C, TAB, EXPAND, MCU_SW_G##C, XBACK, MCU_SW_LO, MCU_POST)
#define MCU_SW_G4 MCU_PAIR_GROUP0
/* The widened rows are doubled (small_widen_rows), so the pixels are only sign-extended: 7 instructions per
 * group of the pair. */
#define MCU_SW_X1 \
    "ldr    %[t], [%[a00]], #4\n\t" \
    "ldr    %[u], [%[a01]], #4\n\t" \
    "sxtb16 %[x0], %[t]\n\t" \
    "sxtb16 %[x1], %[t], ror #8\n\t" \
    "sxtb16 %[x2], %[u]\n\t" \
    "sxtb16 %[x3], %[u], ror #8\n\t" \
    "stmia  %[xp]!, {%[x0], %[x1], %[x2], %[x3]}\n\t"
MCU_SW_FNS(4, "8", MCU_SW_X1, "16")
#undef MCU_SW_X1
#undef MCU_SW_FNS
#undef MCU_SW_FN
#undef MCU_S_X1

/* The filter rows of every channel pair of the table blocks (pairs of them, rows of c bytes) widened and
 * doubled into dst for the MCU_SW_FN functions (whose pixels are not doubled): per group row a 0/2, a 1/3,
 * row b 0/2, b 1/3. */
static void small_widen_rows(const int8_t *blocks, int32_t pairs, int32_t c, uint32_t *dst)
{
    for (int32_t p = 0; p < pairs; ++p, blocks += 2 * c + 32) {
        for (int32_t g = 0; g < c; g += 4, dst += 4) {
            const uint32_t a = mcu_load_u32(blocks + g), b = mcu_load_u32(blocks + c + g);
            const int16x2_t a0 = (int16x2_t)mcu_sxtb16(a), a1 = (int16x2_t)mcu_sxtb16_ror8(a);
            const int16x2_t b0 = (int16x2_t)mcu_sxtb16(b), b1 = (int16x2_t)mcu_sxtb16_ror8(b);
            dst[0] = (uint32_t)__sadd16(a0, a0), dst[1] = (uint32_t)__sadd16(a1, a1);
            dst[2] = (uint32_t)__sadd16(b0, b0), dst[3] = (uint32_t)__sadd16(b1, b1);
        }
    }
}

/* Rows of C = 8, 12 and 16 values (input depths 5 to 16, each pixel read as C bytes; rows of 18 for depths 17
 * and 18, MCU_X18_CH; the lower clamp too, MCU_X_LO), with the code generator's table in its one-pixel layout
 * (ops.small1x1_table, pixel=True): one pixel per pass, held widened in C / 2 registers (values (0, 2),
 * (1, 3), (4, 6), (5, 7), ...), against every output channel in turn. Per channel its C / 2 + 4 table
 * words (2 * bias, the doubled widened weights in the pixel's order, m, k, rz) by LDM into the other
 * registers (one LDM at C = 8, two at 12, four at 16; the start value the first register, so it enters as
 * the first SMLAD's addend), C / 2 SMLAD, SMMLAR, the sign add, ASR, (the post-shift add: SXTAB of rz's
 * byte 1), SSAT and STRB: 10 instructions per 8 MACs, 13 per 12, 17 per 16 (one more with the post-shift
 * add); the channel loop unrolled by four and ended by the last channel's rz (bit 31 set; with an output
 * channel count of 2 modulo 4, _m2, each pixel enters it at its third channel), per pixel C / 4 LDR, C / 2
 * SXTB16 and 8 instructions of pointers and loop (9 with _m2). No scratch. npix pixels from pa, sx bytes
 * apart (sx != 0), outputs from o. Registers q0 .. q11 = r0 .. r11, the table pointer r12, the output
 * pointer lr. */
/* one output from its sum in q0: SMMLAR by m (register M) with k (K), the sign add, ASR by rz (RZ), the
 * post-shift add P, SSAT and STRB */
#define MCU_X_TAIL(P, M, K, RZ) MCU_X_RQ(M, K) MCU_X_OUT(P, RZ)
#define MCU_X_RQ(M, K) \
    "smmlar %[q1], %[q0], %[" M "], %[" K "]\n\t" \
    "add    %[q0], %[q1], %[q0], asr #31\n\t"
#define MCU_X_OUT(P, RZ) \
    "asr    %[q0], %[q0], %[" RZ "]\n\t" \
    P(RZ) \
    "ssat   %[q0], #8, %[q0]\n\t" \
    "strb   %[q0], [%[op]], #1\n\t"
#define MCU_X8_CH(P) \
    "ldmia  %[wp]!, {%[q0], %[q1], %[q2], %[q3], %[q4], %[q5], %[q6], %[q7]}\n\t" \
    "smlad  %[q0], %[q8], %[q1], %[q0]\n\t" \
    "smlad  %[q0], %[q9], %[q2], %[q0]\n\t" \
    "smlad  %[q0], %[q10], %[q3], %[q0]\n\t" \
    "smlad  %[q0], %[q11], %[q4], %[q0]\n\t" \
    MCU_X_TAIL(P, "q5", "q6", "q7")
#define MCU_X8_LD \
    "ldr    %[q9], [%[q0]]\n\t" \
    "ldr    %[q11], [%[q0], #4]\n\t"
/* widen the word in register B into (A: bytes 0, 2; B: bytes 1, 3) */
#define MCU_X_WIDEN(A, B) \
    "sxtb16 %[" A "], %[" B "]\n\t" \
    "sxtb16 %[" B "], %[" B "], ror #8\n\t"
#define MCU_X8_WIDEN MCU_X_WIDEN("q8", "q9") MCU_X_WIDEN("q10", "q11")
#define MCU_X8_END "cmp    %[q7], #0\n\t"
#define MCU_X12_CH(P) \
    "ldmia  %[wp]!, {%[q0], %[q1], %[q2], %[q3], %[q4], %[q5]}\n\t" \
    "smlad  %[q0], %[q6], %[q1], %[q0]\n\t" \
    "smlad  %[q0], %[q7], %[q2], %[q0]\n\t" \
    "smlad  %[q0], %[q8], %[q3], %[q0]\n\t" \
    "smlad  %[q0], %[q9], %[q4], %[q0]\n\t" \
    "smlad  %[q0], %[q10], %[q5], %[q0]\n\t" \
    "ldmia  %[wp]!, {%[q1], %[q2], %[q3], %[q4]}\n\t" \
    "smlad  %[q0], %[q11], %[q1], %[q0]\n\t" \
    MCU_X_TAIL(P, "q2", "q3", "q4")
#define MCU_X12_LD \
    "ldr    %[q7], [%[q0]]\n\t" \
    "ldr    %[q9], [%[q0], #4]\n\t" \
    "ldr    %[q11], [%[q0], #8]\n\t"
#define MCU_X12_WIDEN MCU_X_WIDEN("q6", "q7") MCU_X8_WIDEN
#define MCU_X12_END "cmp    %[q4], #0\n\t"
#define MCU_X16_CH(P) \
    "ldmia  %[wp]!, {%[q0], %[q1], %[q2], %[q3]}\n\t" \
    "smlad  %[q0], %[q4], %[q1], %[q0]\n\t" \
    "smlad  %[q0], %[q5], %[q2], %[q0]\n\t" \
    "smlad  %[q0], %[q6], %[q3], %[q0]\n\t" \
    "ldmia  %[wp]!, {%[q1], %[q2], %[q3]}\n\t" \
    "smlad  %[q0], %[q7], %[q1], %[q0]\n\t" \
    "smlad  %[q0], %[q8], %[q2], %[q0]\n\t" \
    "smlad  %[q0], %[q9], %[q3], %[q0]\n\t" \
    "ldmia  %[wp]!, {%[q1], %[q2], %[q3]}\n\t" \
    "smlad  %[q0], %[q10], %[q1], %[q0]\n\t" \
    "smlad  %[q0], %[q11], %[q2], %[q0]\n\t" \
    "ldmia  %[wp]!, {%[q1], %[q2]}\n\t" \
    MCU_X_TAIL(P, "q3", "q1", "q2")
#define MCU_X16_LD \
    "ldr    %[q5], [%[q0]]\n\t" \
    "ldr    %[q7], [%[q0], #4]\n\t" \
    "ldr    %[q9], [%[q0], #8]\n\t" \
    "ldr    %[q11], [%[q0], #12]\n\t"
#define MCU_X16_WIDEN MCU_X_WIDEN("q4", "q5") MCU_X12_WIDEN
#define MCU_X16_END "cmp    %[q2], #0\n\t"
/* Rows of 18 (input depths 17 and 18): the first 16 values as at 16 (r4-r11), values 16 and 17 as the
 * halfwords of r3 (one LDRH, two SXTB16, PKHBT per pixel), the channel's 13 words (2 * bias, the nine weight
 * words, m, k, rz) through the three registers left: one LDM of three, four of two and one LDR each of k and
 * rz (21 instructions per output, 22 with the post-shift add). */
#define MCU_X18_CH(P) \
    "ldmia  %[wp]!, {%[q0], %[q1], %[q2]}\n\t" \
    "smlad  %[q0], %[q4], %[q1], %[q0]\n\t" \
    "smlad  %[q0], %[q5], %[q2], %[q0]\n\t" \
    "ldmia  %[wp]!, {%[q1], %[q2]}\n\t" \
    "smlad  %[q0], %[q6], %[q1], %[q0]\n\t" \
    "smlad  %[q0], %[q7], %[q2], %[q0]\n\t" \
    "ldmia  %[wp]!, {%[q1], %[q2]}\n\t" \
    "smlad  %[q0], %[q8], %[q1], %[q0]\n\t" \
    "smlad  %[q0], %[q9], %[q2], %[q0]\n\t" \
    "ldmia  %[wp]!, {%[q1], %[q2]}\n\t" \
    "smlad  %[q0], %[q10], %[q1], %[q0]\n\t" \
    "smlad  %[q0], %[q11], %[q2], %[q0]\n\t" \
    "ldmia  %[wp]!, {%[q1], %[q2]}\n\t" \
    "smlad  %[q0], %[q3], %[q1], %[q0]\n\t" \
    "ldr    %[q1], [%[wp]], #4\n\t" \
    MCU_X_RQ("q2", "q1") \
    "ldr    %[q2], [%[wp]], #4\n\t" \
    MCU_X_OUT(P, "q2")
#define MCU_X18_LD MCU_X16_LD "ldrh   %[q3], [%[q0], #16]\n\t"
#define MCU_X18_WIDEN \
    MCU_X16_WIDEN \
    "sxtb16 %[q1], %[q3]\n\t" \
    "sxtb16 %[q2], %[q3], ror #8\n\t" \
    "pkhbt  %[q3], %[q1], %[q2], lsl #16\n\t"
#define MCU_X18_END MCU_X16_END

#define MCU_X_POST(RZ) "sxtab  %[q0], %[q0], %[" RZ "], ror #8\n\t"
/* The lower clamp (act_min above -128; lo4: act_min in every byte, in the frame): after each pass of four
 * channels (its end test's CMP done) the pass's four outputs are read back as a word, raised to act_min by
 * SSUB8 and SEL and written again (5 instructions per 4 outputs; SSUB8 sets only the GE flags, so the
 * CMP's flags reach the BGE). With an output channel count of 2 modulo 4 (_lo_m2) each pixel's first two
 * channels run before the loop and are clamped as a halfword, the pixel ending there when they are all. */
#define MCU_X_LO(LD, ST, OFF) \
    LD "   %[q0], [%[op], #-" OFF "]\n\t" \
    "ldr    %[q1], %[flo]\n\t" \
    "ssub8  %[q2], %[q0], %[q1]\n\t" \
    "sel    %[q0], %[q0], %[q1]\n\t" \
    ST "   %[q0], [%[op], #-" OFF "]\n\t"
#define MCU_X_FLO(X) , [flo] "m"(frame_lo)
#define MCU_X_NO_FLO(X)
#define MCU_X_LO4 MCU_X_LO("ldr ", "str ", "4"), MCU_X_FLO
/* both bounds (act_max below 127 too; _lh, hi4: act_max in every byte): then lowered to act_max the same way
 * (8 instructions per 4 outputs) */
#define MCU_X_LOHI(LD, ST, OFF) \
    LD "   %[q0], [%[op], #-" OFF "]\n\t" \
    "ldr    %[q1], %[flo]\n\t" \
    "ssub8  %[q2], %[q0], %[q1]\n\t" \
    "sel    %[q0], %[q0], %[q1]\n\t" \
    "ldr    %[q1], %[fhi]\n\t" \
    "ssub8  %[q2], %[q1], %[q0]\n\t" \
    "sel    %[q0], %[q0], %[q1]\n\t" \
    ST "   %[q0], [%[op], #-" OFF "]\n\t"
#define MCU_X_FLOHI(X) , [flo] "m"(frame_lo), [fhi] "m"(frame_hi)
#define MCU_X_LOHI4 MCU_X_LOHI("ldr ", "str ", "4"), MCU_X_FLOHI
#define MCU_X_NO_LO "", MCU_X_NO_FLO
/* what runs before a pixel's channel loop: nothing, the jump into its second half (_m2), or the first two
 * channels clamped (_lo_m2) */
#define MCU_X_MID(C, P) ""
#define MCU_X_MID_M2(C, P) "b      2f\n\t"
#define MCU_X_MID_LO_M2(C, P) \
    MCU_X##C##_CH(P) MCU_X##C##_CH(P) MCU_X##C##_END MCU_X_LO("ldrh", "strh", "2") "blt    4f\n\t"
#define MCU_X_MID_LOHI_M2(C, P) \
    MCU_X##C##_CH(P) MCU_X##C##_CH(P) MCU_X##C##_END MCU_X_LOHI("ldrh", "strh", "2") "blt    4f\n\t"
/* LO: the pass end's clamp, then the frame operand it reads (none without the clamp) */
#define MCU_X_FN(NAME, C, P, MID, LO) MCU_X_FN1(NAME, C, P, MID, LO)
#define MCU_X_FN1(NAME, C, P, MID, LO, FLO) \
    static __attribute__((noinline)) void NAME(const int8_t *pa, int32_t sx, int32_t npix, int8_t *o, \
                                               const int8_t *tab, uint32_t lo4, uint32_t hi4) \
    { \
        register uint32_t q0 __asm__("r0") = (uint32_t)(uintptr_t)pa; \
        register uint32_t q1 __asm__("r1"); \
        register uint32_t q2 __asm__("r2"); \
        register uint32_t q3 __asm__("r3"); \
        register uint32_t q4 __asm__("r4"); \
        register uint32_t q5 __asm__("r5"); \
        register uint32_t q6 __asm__("r6"); \
        register uint32_t q7 __asm__("r7"); \
        register uint32_t q8 __asm__("r8"); \
        register uint32_t q9 __asm__("r9"); \
        register uint32_t q10 __asm__("r10"); \
        register uint32_t q11 __asm__("r11"); \
        register const int8_t *wp __asm__("r12"); \
        register int8_t *op __asm__("lr") = o; \
        const int8_t *frame_p[2] __attribute__((aligned(8))); /* the next pixel, the end */ \
        frame_p[0] = pa, frame_p[1] = pa + (int64_t)npix * sx; \
        const int32_t frame_sx = sx; \
        const int8_t *frame_tab = tab; \
        const uint32_t frame_lo = lo4, frame_hi = hi4; \
        __asm__ volatile("3:\n\t" \
                         MCU_X##C##_LD \
                         "ldr    %[q1], %[fsx]\n\t" \
                         "add    %[q0], %[q0], %[q1]\n\t" \
                         "str    %[q0], %[fp]\n\t" \
                         MCU_X##C##_WIDEN \
                         "ldr    %[wp], %[ftab]\n\t" \
                         MID(C, P) \
                         "1:\n\t" \
                         MCU_X##C##_CH(P) MCU_X##C##_CH(P) \
                         "2:\n\t" \
                         MCU_X##C##_CH(P) MCU_X##C##_CH(P) \
                         MCU_X##C##_END \
                         LO \
                         "bge    1b\n\t" \
                         "4:\n\t" \
                         "ldrd   %[q0], %[q1], %[fp]\n\t" \
                         "cmp    %[q0], %[q1]\n\t" \
                         "bne    3b\n\t" \
                         : [q0] "+&r"(q0), [q1] "=&r"(q1), [q2] "=&r"(q2), [q3] "=&r"(q3), [q4] "=&r"(q4), \
                           [q5] "=&r"(q5), [q6] "=&r"(q6), [q7] "=&r"(q7), [q8] "=&r"(q8), [q9] "=&r"(q9), \
                           [q10] "=&r"(q10), [q11] "=&r"(q11), [wp] "=&r"(wp), [op] "+&r"(op), [fp] "+m"(frame_p) \
                         : [fsx] "m"(frame_sx), [ftab] "m"(frame_tab) FLO(0) \
                         : "cc", "memory"); \
        (void)q0, (void)q1, (void)q2, (void)q3, (void)q4, (void)q5, (void)q6, (void)q7, (void)q8, (void)q9; \
        (void)q10, (void)q11, (void)wp, (void)op, (void)frame_lo, (void)frame_hi; \
    } \
    /* the small path's span and single-pixel signatures (conv_1x1_small_rows): n pixel pairs, one pixel; \
     * hi4 in the wend argument (as a pointer's bits), which the one-pixel kernels have no use for */ \
    static void NAME##_pairs(const int8_t *pa, int32_t sx, int32_t n, int8_t *oa, int8_t *ob, int32_t out_c, \
                             const int8_t *blocks, const int8_t *wend, uint32_t lo, uint32_t *buf) \
    { \
        (void)ob, (void)out_c, (void)buf; \
        NAME(pa, sx, 2 * n, oa, blocks, lo, (uint32_t)(uintptr_t)wend); \
    } \
    static void NAME##_one(const int8_t *pa, int8_t *oa, const int8_t *blocks, const int8_t *wend, uint32_t lo, \
                           uint32_t *buf) \
    { \
        (void)buf; \
        NAME(pa, C, 1, oa, blocks, lo, (uint32_t)(uintptr_t)wend); \
    }
#define MCU_X_FNS(C) \
    MCU_X_FN(smallx##C, C, MCU_NO_X_POST, MCU_X_MID, MCU_X_NO_LO) \
    MCU_X_FN(smallx##C##_post, C, MCU_X_POST, MCU_X_MID, MCU_X_NO_LO) \
    MCU_X_FN(smallx##C##_m2, C, MCU_NO_X_POST, MCU_X_MID_M2, MCU_X_NO_LO) \
    MCU_X_FN(smallx##C##_post_m2, C, MCU_X_POST, MCU_X_MID_M2, MCU_X_NO_LO) \
    MCU_X_FN(smallx##C##_lo, C, MCU_NO_X_POST, MCU_X_MID, MCU_X_LO4) \
    MCU_X_FN(smallx##C##_lo_post, C, MCU_X_POST, MCU_X_MID, MCU_X_LO4) \
    MCU_X_FN(smallx##C##_lo_m2, C, MCU_NO_X_POST, MCU_X_MID_LO_M2, MCU_X_LO4) \
    MCU_X_FN(smallx##C##_lo_post_m2, C, MCU_X_POST, MCU_X_MID_LO_M2, MCU_X_LO4) \
    MCU_X_FN(smallx##C##_lh, C, MCU_NO_X_POST, MCU_X_MID, MCU_X_LOHI4) \
    MCU_X_FN(smallx##C##_lh_post, C, MCU_X_POST, MCU_X_MID, MCU_X_LOHI4) \
    MCU_X_FN(smallx##C##_lh_m2, C, MCU_NO_X_POST, MCU_X_MID_LOHI_M2, MCU_X_LOHI4) \
    MCU_X_FN(smallx##C##_lh_post_m2, C, MCU_X_POST, MCU_X_MID_LOHI_M2, MCU_X_LOHI4)
#define MCU_NO_X_POST(RZ) ""
MCU_X_FNS(8)
MCU_X_FNS(12)
MCU_X_FNS(16)
MCU_X_FNS(18)
#undef MCU_X_FNS
#undef MCU_NO_X_POST
#undef MCU_X_FN
#undef MCU_X_FN1
#undef MCU_X_POST
#undef MCU_X_LO
#undef MCU_X_LO4
#undef MCU_X_NO_LO
#undef MCU_X_FLO
#undef MCU_X_LOHI
#undef MCU_X_FLOHI
#undef MCU_X_LOHI4
#undef MCU_X_MID_LOHI_M2
#undef MCU_X_NO_FLO
#undef MCU_X_MID
#undef MCU_X_MID_M2
#undef MCU_X_MID_LO_M2
#undef MCU_X_TAIL
#undef MCU_X_RQ
#undef MCU_X_OUT
#undef MCU_X18_CH
#undef MCU_X18_LD
#undef MCU_X18_WIDEN
#undef MCU_X18_END
#undef MCU_X_WIDEN
#undef MCU_X8_CH
#undef MCU_X12_CH
#undef MCU_X16_CH
#undef MCU_X8_LD
#undef MCU_X12_LD
#undef MCU_X16_LD
#undef MCU_X8_WIDEN
#undef MCU_X12_WIDEN
#undef MCU_X16_WIDEN
#undef MCU_X8_END
#undef MCU_X12_END
#undef MCU_X16_END

/* Rows of C = 20 to 32 bytes (input depths 19 to 32) with the code generator's table: the
 * filter rows stored encoded (ops.small1x1_table, ops.small1x1_encoded: per group of four input channels
 * the words of rows a and b side by side, bytes 0 and 2 of each XORed with 0x80, as FULLY_CONNECTED's
 * encoded rows), so a weight word W has the signed
 * halfwords 256 w1 + w0 + 128 and 256 w3 + w2 + 128 and SXTB16(W, ROR 8) = (w1, w3). Each pixel of the
 * pair is expanded once to Xa = SXTB16(X) = (x0, x2) and Xc = REV16(X) ^ 0xFF80FF80 = (x1 - 128 - 256 x0,
 * x3 - 128 - 256 x2), so SMLAD(W, Xa) + SMLAD(SXTB16(W, ROR 8), Xc) = the group's four MACs
 * + 128 (x0 + x2) - 128 (w1 + w3): per group and channel pair one LDRD of both rows' words, two SXTB16
 * and eight SMLAD (12 instructions per 16 MACs against 15). The table's start values B hold bias
 * + 128 sum(w1 + w3) of the row; the expansion sums the pixel's -128 (x0 + x2) with SMLAD and stores it
 * doubled, P, after the pair's words, and the block ends with acc2 = 2 acc + P (one ADD each), the operand
 * of mcu_requant2_dsp. The start values enter through the first group's SMLADs (pixel B's first, from
 * pixel A's accumulator before it changes). Sums wrap modulo 2^32 and end at TFLite's exact accumulator.
 * Scratch: the expanded pair (4 C bytes) and P (8 bytes). Otherwise as MCU_S_FN (pair loop in the
 * assembly, frame in memory). */
#define MCU_E_GROUP0 \
    "ldmia  %[xp]!, {%[x0], %[x1], %[x2], %[x3]}\n\t" \
    "ldrd   %[u], %[t], [%[w]]\n\t" \
    "smlad  %[a10], %[u], %[x2], %[a00]\n\t" \
    "smlad  %[a00], %[u], %[x0], %[a00]\n\t" \
    "sxtb16 %[u], %[u], ror #8\n\t" \
    "smlad  %[a00], %[u], %[x1], %[a00]\n\t" \
    "smlad  %[a10], %[u], %[x3], %[a10]\n\t" \
    "smlad  %[a11], %[t], %[x2], %[a01]\n\t" \
    "smlad  %[a01], %[t], %[x0], %[a01]\n\t" \
    "sxtb16 %[t], %[t], ror #8\n\t" \
    "smlad  %[a01], %[t], %[x1], %[a01]\n\t" \
    "smlad  %[a11], %[t], %[x3], %[a11]\n\t"
#define MCU_E_GROUP(OFF) \
    "ldmia  %[xp]!, {%[x0], %[x1], %[x2], %[x3]}\n\t" \
    "ldrd   %[u], %[t], [%[w], #" OFF "]\n\t" \
    "smlad  %[a00], %[u], %[x0], %[a00]\n\t" \
    "smlad  %[a10], %[u], %[x2], %[a10]\n\t" \
    "sxtb16 %[u], %[u], ror #8\n\t" \
    "smlad  %[a00], %[u], %[x1], %[a00]\n\t" \
    "smlad  %[a10], %[u], %[x3], %[a10]\n\t" \
    "smlad  %[a01], %[t], %[x0], %[a01]\n\t" \
    "smlad  %[a11], %[t], %[x2], %[a11]\n\t" \
    "sxtb16 %[t], %[t], ror #8\n\t" \
    "smlad  %[a01], %[t], %[x1], %[a01]\n\t" \
    "smlad  %[a11], %[t], %[x3], %[a11]\n\t"
#define MCU_E_G20 MCU_E_GROUP0 MCU_E_GROUP("8") MCU_E_GROUP("16") MCU_E_GROUP("24") MCU_E_GROUP("32")
#define MCU_E_G24 MCU_E_G20 MCU_E_GROUP("40")
#define MCU_E_G28 MCU_E_G24 MCU_E_GROUP("48")
#define MCU_E_G32 MCU_E_G28 MCU_E_GROUP("56")
/* The expansion of a pixel pair of depth C: Xa and Xc of each group of A and B, then P (A's, B's). */
#define MCU_E_X(C) \
    "mvn    %[a11], #0x007f007f\n\t" \
    "movs   %[w], #0\n\t" \
    "movs   %[u], #0\n\t" \
    "movs   %[a10], #" #C " / 4\n\t" \
    "0:\n\t" \
    "ldr    %[t], [%[a00]], #4\n\t" \
    "sxtb16 %[x0], %[t]\n\t" \
    "rev16  %[x1], %[t]\n\t" \
    "eor    %[x1], %[x1], %[a11]\n\t" \
    "ldr    %[t], [%[a01]], #4\n\t" \
    "sxtb16 %[x2], %[t]\n\t" \
    "rev16  %[x3], %[t]\n\t" \
    "eor    %[x3], %[x3], %[a11]\n\t" \
    "smlad  %[w], %[x0], %[a11], %[w]\n\t" \
    "smlad  %[u], %[x2], %[a11], %[u]\n\t" \
    "stmia  %[xp]!, {%[x0], %[x1], %[x2], %[x3]}\n\t" \
    "subs   %[a10], %[a10], #1\n\t" \
    "bne    0b\n\t" \
    "lsls   %[w], %[w], #1\n\t" \
    "lsls   %[u], %[u], #1\n\t" \
    "strd   %[w], %[u], [%[xp]]\n\t"
/* The pair's sums doubled plus P (acc2 = 2 acc + P), after the groups loaded P to x0, x1. */
#define MCU_E_P2 \
    "add    %[a00], %[x0], %[a00], lsl #1\n\t" \
    "add    %[a01], %[x0], %[a01], lsl #1\n\t" \
    "add    %[a10], %[x1], %[a10], lsl #1\n\t" \
    "add    %[a11], %[x1], %[a11], lsl #1\n\t"
#define MCU_E_FN(NAME, C, TAB, GROUPS, XBACK, STORE, P) \
    MCU_PAIRS_FN(NAME, C, MCU_E_X(C), XBACK, \
                 MCU_S_PAIRS(TAB, GROUPS "ldrd   %[x0], %[x1], [%[xp]]\n\t", XBACK, MCU_E_P2, STORE, P))
/* One pixel (a span's odd last one, a padded depth's copied last pixel, strided rows' last): its own
 * words (Xa, Xc per group, 6 instructions) and offset sum, per channel pair and group one LDRD of them,
 * one LDRD of both rows' words, two SXTB16 and four SMLAD; the pair's two outputs stored from oa. */
#define MCU_E1_GROUP(OFF) \
    "ldrd   %[x0], %[x1], [%[xp]], #8\n\t" \
    "ldrd   %[u], %[t], [%[w], #" OFF "]\n\t" \
    "smlad  %[a00], %[u], %[x0], %[a00]\n\t" \
    "sxtb16 %[u], %[u], ror #8\n\t" \
    "smlad  %[a00], %[u], %[x1], %[a00]\n\t" \
    "smlad  %[a01], %[t], %[x0], %[a01]\n\t" \
    "sxtb16 %[t], %[t], ror #8\n\t" \
    "smlad  %[a01], %[t], %[x1], %[a01]\n\t"
#define MCU_E1_G20 MCU_E1_GROUP("0") MCU_E1_GROUP("8") MCU_E1_GROUP("16") MCU_E1_GROUP("24") MCU_E1_GROUP("32")
#define MCU_E1_G24 MCU_E1_G20 MCU_E1_GROUP("40")
#define MCU_E1_G28 MCU_E1_G24 MCU_E1_GROUP("48")
#define MCU_E1_G32 MCU_E1_G28 MCU_E1_GROUP("56")
/* The pixel's sums doubled plus its offset sum p. */
#define MCU_E1_P2 \
    "add    %[a00], %[p], %[a00], lsl #1\n\t" \
    "add    %[a01], %[p], %[a01], lsl #1\n\t"
#define MCU_E1_FN(NAME, TAB, GROUPS, XB, STORE, P) \
    static void NAME(const int8_t *pa, int8_t *oa, const int8_t *blocks, const int8_t *frame_wend, \
                     uint32_t frame_lo, uint32_t *buf) \
    { \
        int32_t a00 = (int32_t)(uintptr_t)pa, a01, p; \
        uint32_t t, u, x0, x1; \
        uint32_t *xp = buf; \
        const int8_t *w = (const int8_t *)(const void *)(buf + (XB) / 4); /* the end of the expansion */ \
        __asm__ volatile("mvn    %[u], #0x007f007f\n\t" \
                         "movs   %[p], #0\n\t" \
                         "0:\n\t" \
                         "ldr    %[t], [%[a00]], #4\n\t" \
                         "sxtb16 %[x0], %[t]\n\t" \
                         "rev16  %[x1], %[t]\n\t" \
                         "eor    %[x1], %[x1], %[u]\n\t" \
                         "smlad  %[p], %[x0], %[u], %[p]\n\t" \
                         "strd   %[x0], %[x1], [%[xp]], #8\n\t" \
                         "cmp    %[xp], %[w]\n\t" \
                         "bne    0b\n\t" \
                         "lsls   %[p], %[p], #1\n\t" \
                         "sub    %[xp], %[xp], #" #XB "\n\t" \
                         "mov    %[w], %[blocks]\n\t" \
                         MCU_S1_PAIRS(TAB, GROUPS, XB, MCU_E1_P2, STORE, P) \
                         : [a00] "+&r"(a00), [a01] "=&r"(a01), [p] "=&r"(p), [xp] "+&r"(xp), [w] "+&r"(w), \
                           [oa] "+&r"(oa), [x0] "=&r"(x0), [x1] "=&r"(x1), [t] "=&r"(t), [u] "=&r"(u) \
                         : [blocks] "r"(blocks), [wend] "m"(frame_wend), [lo] "m"(frame_lo) \
                         : "cc", "memory"); \
        (void)a00, (void)a01, (void)p, (void)t, (void)u, (void)x0, (void)x1, (void)xp, (void)w, (void)oa; \
    }
#define MCU_E_FNS(C, TAB, XBACK) \
    MCU_E_FN(smalle##C, C, TAB, MCU_E_G##C, XBACK, MCU_S_STORE4, MCU_NO_POST) \
    MCU_E_FN(smalle##C##_lo, C, TAB, MCU_E_G##C, XBACK, MCU_S_LO, MCU_NO_POST) \
    MCU_E_FN(smalle##C##_post, C, TAB, MCU_E_G##C, XBACK, MCU_S_STORE4, MCU_POST) \
    MCU_E_FN(smalle##C##_lo_post, C, TAB, MCU_E_G##C, XBACK, MCU_S_LO, MCU_POST) \
    MCU_E1_FN(smalle##C##_one, TAB, MCU_E1_G##C, 2 * C, MCU_S1_STORE2, MCU_NO_POST) \
    MCU_E1_FN(smalle##C##_lo_one, TAB, MCU_E1_G##C, 2 * C, MCU_S1_LO, MCU_NO_POST) \
    MCU_E1_FN(smalle##C##_post_one, TAB, MCU_E1_G##C, 2 * C, MCU_S1_STORE2, MCU_POST) \
    MCU_E1_FN(smalle##C##_lo_post_one, TAB, MCU_E1_G##C, 2 * C, MCU_S1_LO, MCU_POST)
MCU_E_FNS(20, "40", "80")
MCU_E_FNS(24, "48", "96")
MCU_E_FNS(28, "56", "112")
MCU_E_FNS(32, "64", "128")
#undef MCU_E_FNS
#undef MCU_E_FN
#undef MCU_E1_FN
#undef MCU_E_X
#undef MCU_E_P2
#undef MCU_E1_P2
#undef MCU_PAIRS_FN
#undef MCU_S1_PAIRS

/* The small path's span function for input depth c (8, 16, 32: the path without the code generator's
 * table), clamp mode and post-shift zero points: one table per clamp mode, so a firmware links the
 * functions of the modes its layers use. */
static inline __attribute__((always_inline)) small_fn conv_1x1_small_fn(int32_t c, const int mode, const int post)
{
    static const small_fn ssat[3][2] = {{small8, small8_post}, {small16, small16_post}, {small32, small32_post}};
    static const small_fn ssat_lo[3][2] = {{small8_lo, small8_lo_post}, {small16_lo, small16_lo_post},
                                           {small32_lo, small32_lo_post}};
    const int32_t i = c == 8 ? 0 : c == 16 ? 1 : 2;
    return mode == MCU_CLAMP_SSAT_LO ? ssat_lo[i][post != 0] : ssat[i][post != 0];
}

/* The small path over the whole layer (even out_c): output row by output row (one span per batch when
 * each row's pixels continue into the next one's), the pixel pairs of a span in one call, a last single
 * pixel by `one` (or as a pair of itself when there is none). buf: the expanded pair's scratch words;
 * blocks: the table blocks. An input depth c that is not a multiple of 4 (padded; tail: c4 bytes of scratch;
 * the table's rows padded with zero weights to c4 = c rounded up to 4): each pixel is read as c4 bytes,
 * its last c4 - c meeting the next pixel's first values, except a last pixel whose read would pass the
 * input's end, which runs by `one` from its copy in tail. */
static inline __attribute__((always_inline)) void conv_1x1_small_rows_body(
    const mcu_conv_params *params, const mcu_dims *input_dims, const int8_t *input, const mcu_dims *output_dims,
    int8_t *output, const int8_t *blocks, small_fn fn, small1_fn one, const int8_t *wend, uint32_t lo4,
    uint32_t *buf, int8_t *tail, const int padded)
{
    const int32_t c = input_dims->c, in_h = input_dims->h, in_w = input_dims->w;
    const int32_t out_h = output_dims->h, out_w = output_dims->w, out_c = output_dims->c;
    /* rows in_row / out_row bytes apart (a patch stage's tile in its maps), else the tensors' own */
    const int32_t in_stride = params->in_row ? params->in_row : in_w * c;
    const int32_t out_stride = params->out_row ? params->out_row : out_w * out_c;
    const int8_t *input_end = input + ((int64_t)input_dims->n * in_h - 1) * in_stride + (int64_t)in_w * c;
    const int32_t sh = params->stride.h, sx = params->stride.w * c;
    const int joined = (int64_t)sh * in_stride == (int64_t)out_w * sx && out_stride == out_w * out_c;
    const int32_t rows = joined ? input_dims->n : input_dims->n * out_h;
    const int32_t row_px = joined ? out_h * out_w : out_w;
    const int8_t *a = input;
    int8_t *o = output;
    for (int32_t r = 0, oy = 0; r < rows; ++r) {
        if (!joined) { /* row r: batch r / out_h, output row oy = r % out_h */
            a = input + ((int64_t)(r / out_h) * in_h + (int64_t)oy * sh) * in_stride;
            oy = oy + 1 == out_h ? 0 : oy + 1;
        }
        /* m: the pixels read in place (all but a last one whose c4-byte read would pass the input's end) */
        const int32_t m = padded && a + (int64_t)(row_px - 1) * sx + ((c + 3) & ~3) > input_end ? row_px - 1
                                                                                                : row_px;
        const int32_t n = m / 2;
        if (n > 0) {
            fn(a, sx, n, o, o + out_c, out_c, blocks, wend, lo4, buf);
        }
        if (m & 1) {
            const int8_t *last = a + (int64_t)2 * n * sx;
            int8_t *ol = o + (int64_t)2 * n * out_c;
            if (one) {
                one(last, ol, blocks, wend, lo4, buf);
            } else {
                fn(last, 0, 1, ol, ol, out_c, blocks, wend, lo4, buf);
            }
        }
        if (padded && m < row_px) {
            memcpy(tail, a + (int64_t)m * sx, (size_t)c);
            memset(tail + c, 0, (size_t)(-c & 3));
            MCU_COMPILER_BARRIER(); /* the copy is written before the assembly reads it */
            one(tail, o + (int64_t)m * out_c, blocks, wend, lo4, buf);
        }
        o += joined ? (int64_t)row_px * out_c : out_stride;
        if (joined) {
            a += (int64_t)in_h * in_stride;
        }
    }
}

/* The small path over the whole layer on an input depth that is a multiple of 4 (no copy of a last pixel:
 * tail unused) and on the other depths (tail: c4 bytes of scratch); the entry points pick one at compile
 * time. */
static __attribute__((noinline)) void conv_1x1_small_rows(
    const mcu_conv_params *params, const mcu_dims *input_dims, const int8_t *input, const mcu_dims *output_dims,
    int8_t *output, const int8_t *blocks, small_fn fn, small1_fn one, const int8_t *wend, uint32_t lo4,
    uint32_t *buf, int8_t *tail)
{
    (void)tail;
    conv_1x1_small_rows_body(params, input_dims, input, output_dims, output, blocks, fn, one, wend, lo4, buf, 0, 0);
}

static __attribute__((noinline)) void conv_1x1_small_rows_padded(
    const mcu_conv_params *params, const mcu_dims *input_dims, const int8_t *input, const mcu_dims *output_dims,
    int8_t *output, const int8_t *blocks, small_fn fn, small1_fn one, const int8_t *wend, uint32_t lo4,
    uint32_t *buf, int8_t *tail)
{
    conv_1x1_small_rows_body(params, input_dims, input, output_dims, output, blocks, fn, one, wend, lo4, buf, tail,
                             1);
}

/* n bytes from src to dst as 4-byte words (the last one may write up to 3 bytes past dst + n) when the
 * words read stay before `end`, else byte by byte. */
static inline void copy_words(int8_t *dst, const int8_t *src, int32_t n, const int8_t *end)
{
    if (src + ((n + 3) & ~3) <= end) {
        for (int32_t i = 0; i < n; i += 4) {
            const uint32_t v = mcu_load_u32(src + i);
            memcpy(dst + i, &v, 4);
        }
    } else {
        memcpy(dst, src, (size_t)n);
    }
}

/* kxk_patch for dilation.w 1 (every kernel row of a pixel is seg = kw * c contiguous input bytes): word
 * copies of the kernel rows inside the input, the pad word for rows outside it, and for rows clipped at the
 * left or right border the pad words then the taps inside (words, then the last bytes). Writes the same k4 bytes as
 * kxk_patch (and up to 3 past them). */
static void kxk_patch_rows(const mcu_conv_params *params, const mcu_dims *in, const int8_t *input,
                           const int8_t *input_end, const mcu_dims *f, int32_t b, int32_t oy, int32_t ox,
                           int8_t pad, int8_t *dst, int32_t k4)
{
    const int32_t c = in->c, seg = f->w * c, nw = (seg + 3) / 4, kh = f->h, dh = params->dilation.h;
    const int32_t in_h = in->h, in_w = in->w, dy_bytes = dh * in_w * c;
    const int32_t iy0 = oy * params->stride.h - params->padding.h;
    const int32_t ix0 = ox * params->stride.w - params->padding.w;
    /* kernel rows [fy0, fy1) lie inside the input; taps [fx0, fx1) of each */
    int32_t fy0 = 0, fy1 = kh;
    if (iy0 < 0) {
        fy0 = (-iy0 + dh - 1) / dh;
    }
    if (iy0 + (kh - 1) * dh >= in_h) {
        fy1 = in_h - iy0 <= 0 ? 0 : (in_h - iy0 + dh - 1) / dh;
    }
    if (fy1 < fy0) {
        fy1 = fy0;
    }
    const int32_t kw = f->w, fx0 = ix0 < 0 ? -ix0 : 0, fx1 = ix0 + kw > in_w ? in_w - ix0 : kw;
    const uint32_t pad4 = 0x01010101u * (uint8_t)pad;
    int8_t *row = dst;
    int32_t fy = 0;
    for (; fy < fy0; ++fy, row += seg) {
        for (int32_t j = 0; j < nw; ++j) {
            memcpy(row + 4 * j, &pad4, 4);
        }
    }
    const int8_t *src = input + ((b * in_h + iy0 + fy0 * dh) * in_w + ix0) * c;
    if (fx0 == 0 && fx1 == kw) {
        int32_t fw = fy1; /* rows copied as words: none whose last word would read past the input */
        if (fw > fy0 && src + (fw - fy0 - 1) * dy_bytes + 4 * nw > input_end) {
            --fw;
        }
        for (; fy < fw; ++fy, row += seg, src += dy_bytes) {
            for (int32_t j = 0; j < nw; ++j) {
                const uint32_t v = mcu_load_u32(src + 4 * j);
                memcpy(row + 4 * j, &v, 4);
            }
        }
    }
    for (; fy < kh; ++fy, row += seg, src += dy_bytes) {
        for (int32_t j = 0; j < nw; ++j) {
            memcpy(row + 4 * j, &pad4, 4);
        }
        if (fy < fy1) { /* the taps inside: whole words, then the last bytes */
            int32_t i = fx0 * c;
            for (const int32_t e = fx1 * c; i + 4 <= e; i += 4) {
                const uint32_t v = mcu_load_u32(src + i);
                memcpy(row + i, &v, 4);
            }
            for (; i < fx1 * c; ++i) {
                row[i] = src[i];
            }
        }
    }
    for (int32_t i = kh * seg; i < k4; ++i) {
        dst[i] = (int8_t)pad4;
    }
}

/* The int8 patch of output pixel (b, oy, ox) of a k x k convolution: kh rows of kw taps of c values in
 * the filter's (fy, fx, ch) order, taps outside the input and the tail up to k4 set to `pad` (the value
 * whose offset input is 0, so they add nothing whatever weight they meet). Writes up to 3 bytes past
 * dst + k4. */
static void kxk_patch(const mcu_conv_params *params, const mcu_dims *in, const int8_t *input,
                      const int8_t *input_end, const mcu_dims *f, int32_t b, int32_t oy, int32_t ox,
                      int8_t pad, int8_t *dst, int32_t k4)
{
    const int32_t c = in->c, kw = f->w, dw = params->dilation.w, seg = kw * c;
    if (dw == 1) {
        kxk_patch_rows(params, in, input, input_end, f, b, oy, ox, pad, dst, k4);
        return;
    }
    const int32_t ix0 = ox * params->stride.w - params->padding.w;
    const int inside = dw == 1 && ix0 >= 0 && ix0 + kw <= in->w;
    int8_t *d = dst;
    for (int32_t fy = 0; fy < f->h; ++fy, d += seg) {
        const int32_t iy = oy * params->stride.h - params->padding.h + fy * params->dilation.h;
        if (iy < 0 || iy >= in->h) {
            memset(d, pad, (size_t)seg);
            continue;
        }
        const int8_t *row = input + ((int64_t)b * in->h + iy) * in->w * c;
        if (inside) {
            copy_words(d, row + (int64_t)ix0 * c, seg, input_end);
            continue;
        }
        for (int32_t fx = 0; fx < kw; ++fx) { /* byte loops: c is small where patches are staged */
            const int32_t ix = ix0 + fx * dw;
            int8_t *t = d + fx * c;
            if (ix < 0 || ix >= in->w) {
                for (int32_t ch = 0; ch < c; ++ch) {
                    t[ch] = pad;
                }
            } else {
                const int8_t *src = row + (int64_t)ix * c;
                for (int32_t ch = 0; ch < c; ++ch) {
                    t[ch] = src[ch];
                }
            }
        }
    }
    memset(d, pad, (size_t)(k4 - (d - dst)));
}

/* The expanded pixel pair of a k x k convolution read straight from the input (input depth a multiple
 * of 4, so no group of the patch straddles two taps): per kernel row both pixels' kw taps at once when
 * they lie inside the input, else tap by tap, taps outside read from `pad` (kw * c bytes of the value
 * whose offset input is 0). pa, pb: (batch, y, x) of the two output pixels. */
static void kxk_expand_direct(const mcu_conv_params *params, const mcu_dims *in, const int8_t *input,
                              const mcu_dims *f, const int32_t pa[3], const int32_t pb[3], const int8_t *pad,
                              uint32_t *dst, int32_t off)
{
    const int32_t c = in->c, kw = f->w, dw = params->dilation.w;
    const int32_t *pos[2] = {pa, pb};
    for (int32_t fy = 0; fy < f->h; ++fy) {
        const int8_t *row[2];
        int32_t ix0[2], whole = dw == 1;
        for (int32_t i = 0; i < 2; ++i) {
            const int32_t iy = pos[i][1] * params->stride.h - params->padding.h + fy * params->dilation.h;
            ix0[i] = pos[i][2] * params->stride.w - params->padding.w;
            row[i] = iy >= 0 && iy < in->h ? input + ((int64_t)pos[i][0] * in->h + iy) * in->w * c : 0;
            whole &= row[i] != 0 && ix0[i] >= 0 && ix0[i] + kw <= in->w;
        }
        if (whole) {
            expand_pair(row[0] + (int64_t)ix0[0] * c, row[1] + (int64_t)ix0[1] * c, dst, kw * c / 4, off);
            dst += kw * c;
            continue;
        }
        for (int32_t fx = 0; fx < kw; ++fx, dst += c) {
            const int8_t *src[2];
            for (int32_t i = 0; i < 2; ++i) {
                const int32_t ix = ix0[i] + fx * dw;
                src[i] = row[i] != 0 && ix >= 0 && ix < in->w ? row[i] + (int64_t)ix * c : pad;
            }
            expand_pair(src[0], src[1], dst, c / 4, off);
        }
    }
}

/* k x k, input depth a multiple of 4 (mcu_conv_kxk_dsp_s8, clamp modes SSAT and SSAT_LO): three output
 * pixels per pass, one output channel at a time. The pixels' patches are expanded (doubled, offset
 * added) into one buffer interleaved per group of four values: words 6g .. 6g + 5 = (A 0/2, A 1/3,
 * B 0/2, B 1/3, C 0/2, C 1/3), taps outside the input 0. Per group one LDM of the six words, one filter
 * word widened with two SXTB16 and six SMLAD: 10 instructions per 12 MACs (the pixel pair's block
 * takes 15 per 16). Scratch: the buffer (6 * k4 bytes) and 16 bytes per output channel (2 * bias,
 * multiplier, k, right + 256 * post), within the pair path's 6 * k4 + 4 + 32 * ceil(out_c / 2).
 * Every pixel of the layer runs here: the pixels left after the last triple run as the triple ending at
 * the last pixel (two left) or alone (conv_triple_one), so a call never sets up the pixel pair path, and
 * a triple over two output rows expands its two pixels of one row kernel row by kernel row
 * (expand_two_shift) and a pixel whose taps all lie inside the input in one call (expand_one_rows):
 * what patch stages' small tiles (8 to 10 pixels wide) meet in most of their triples. */

/* Groups of 4 values of one pixel (src) widened into its slot of the triple buffer (6 words apart);
 * groups >= 1. */
static void expand_slot(const int8_t *src, uint32_t *dst, int32_t groups, uint32_t off2)
{
    uint32_t w, l, h;
    __asm__ volatile("1:\n\t"
                     "ldr     %[w], [%[p]], #4\n\t"
                     "sxtab16 %[l], %[o], %[w]\n\t"
                     "sxtab16 %[h], %[o], %[w], ror #8\n\t"
                     "sadd16  %[l], %[l], %[l]\n\t"
                     "sadd16  %[h], %[h], %[h]\n\t"
                     "strd    %[l], %[h], [%[d]], #24\n\t"
                     "subs    %[n], %[n], #1\n\t"
                     "bne     1b\n\t"
                     : [p] "+&r"(src), [d] "+&r"(dst), [n] "+&r"(groups), [w] "=&r"(w), [l] "=&r"(l), [h] "=&r"(h)
                     : [o] "r"(off2)
                     : "cc", "memory");
}

static void zero_slot(uint32_t *dst, int32_t groups)
{
    for (int32_t g = 0; g < groups; ++g, dst += 6) {
        dst[0] = dst[1] = 0;
    }
}

/* One kernel row of three pixels of one output row at stride 1, dilation 1, every tap inside: pixel B's
 * taps are pixel A's shifted by one tap (cg groups), C's by two, so each group of the input span is
 * widened once and stored in every slot that holds it (MCU_EXPAND_GROUP). groups (kw * cg) >= 2 * cg. */
#define MCU_TX_A "strd    %[l], %[h], [%[da]], #24\n\t"
#define MCU_TX_B "strd    %[l], %[h], [%[db]], #24\n\t"
#define MCU_TX_C "strd    %[l], %[h], [%[dc]], #24\n\t"
#define MCU_TX_OPERANDS \
    : [p] "+&r"(p), [da] "+&r"(da), [db] "+&r"(db), [dc] "+&r"(dc), [n] "+&r"(n), [w] "=&r"(w), \
      [l] "=&r"(l), [h] "=&r"(h) \
    : [o] "r"(off2) \
    : "cc", "memory"
static void expand_triple_shift(const int8_t *a, uint32_t *dst, int32_t groups, int32_t cg, uint32_t off2)
{
    const int8_t *p = a;
    uint32_t *da = dst, *db = dst + 2, *dc = dst + 4, w, l, h;
    int32_t n = cg;
    __asm__ volatile(MCU_EXPAND_GROUP(MCU_TX_A) MCU_TX_OPERANDS);
    n = cg;
    __asm__ volatile(MCU_EXPAND_GROUP(MCU_TX_A MCU_TX_B) MCU_TX_OPERANDS);
    n = groups - 2 * cg;
    if (n > 0) {
        __asm__ volatile(MCU_EXPAND_GROUP(MCU_TX_A MCU_TX_B MCU_TX_C) MCU_TX_OPERANDS);
    }
    n = cg;
    __asm__ volatile(MCU_EXPAND_GROUP(MCU_TX_B MCU_TX_C) MCU_TX_OPERANDS);
    n = cg;
    __asm__ volatile(MCU_EXPAND_GROUP(MCU_TX_C) MCU_TX_OPERANDS);
    (void)w, (void)l, (void)h;
}

/* One kernel row of two consecutive pixels of one output row (slots da and db of a triple that spans two
 * output rows) at stride 1, dilation 1, every tap inside: pixel B's taps are pixel A's shifted by one tap
 * (cg groups). groups (kw * cg) >= 2 * cg. */
static void expand_two_shift(const int8_t *a, uint32_t *da, uint32_t *db, int32_t groups, int32_t cg,
                             uint32_t off2)
{
    const int8_t *p = a;
    uint32_t *dc = da, w, l, h;
    int32_t n = cg;
    __asm__ volatile(MCU_EXPAND_GROUP(MCU_TX_A) MCU_TX_OPERANDS);
    n = groups - cg;
    __asm__ volatile(MCU_EXPAND_GROUP(MCU_TX_A MCU_TX_B) MCU_TX_OPERANDS);
    n = cg;
    __asm__ volatile(MCU_EXPAND_GROUP(MCU_TX_B) MCU_TX_OPERANDS);
    (void)w, (void)l, (void)h, (void)dc;
}

/* Every kernel row of one pixel whose taps all lie inside the input (dilation.w 1): fh rows of groups
 * groups, row_step bytes apart in the input, into its slot of the triple buffer. */
static void expand_one_rows(const int8_t *a, uint32_t *dst, int32_t groups, int32_t fh, int32_t row_step,
                            uint32_t off2)
{
    uint32_t *da = dst, *db = dst, *dc = dst, w, l, h;
    for (int32_t fy = 0; fy < fh; ++fy, a += row_step) {
        const int8_t *p = a;
        int32_t n = groups;
        __asm__ volatile(MCU_EXPAND_GROUP(MCU_TX_A) MCU_TX_OPERANDS);
    }
    (void)w, (void)l, (void)h, (void)db, (void)dc;
}
#undef MCU_EXPAND_GROUP
#undef MCU_TX_A
#undef MCU_TX_B
#undef MCU_TX_C
#undef MCU_TX_OPERANDS

/* One group for one output channel x three pixels: LDM of the six words, the filter word widened, six
 * SMLAD; two groups (filter word-aligned, an even group count): both filter words in one LDRD. */
#define MCU_T_LDM "ldmia  %[xp]!, {%[x0], %[x1], %[x2], %[x3], %[x4], %[x5]}\n\t"
#define MCU_T_MAC(W) \
    "sxtb16 %[wl], %[" W "]\n\t" \
    "sxtb16 %[" W "], %[" W "], ror #8\n\t" \
    "smlad  %[a0], %[x0], %[wl], %[a0]\n\t" \
    "smlad  %[a1], %[x2], %[wl], %[a1]\n\t" \
    "smlad  %[a2], %[x4], %[wl], %[a2]\n\t" \
    "smlad  %[a0], %[x1], %[" W "], %[a0]\n\t" \
    "smlad  %[a1], %[x3], %[" W "], %[a1]\n\t" \
    "smlad  %[a2], %[x5], %[" W "], %[a2]\n\t"
#define MCU_T_GROUP MCU_T_LDM "ldr    %[wh], [%[w]], #4\n\t" MCU_T_MAC("wh")
#define MCU_T_PAIR "ldrd   %[wh], %[wb], [%[w]], #8\n\t" MCU_T_LDM MCU_T_MAC("wh") MCU_T_LDM MCU_T_MAC("wb")
#define MCU_T_G3 MCU_T_GROUP MCU_T_GROUP MCU_T_GROUP
#define MCU_T_P2 MCU_T_PAIR MCU_T_PAIR
#define MCU_T_P4 MCU_T_P2 MCU_T_P2

/* Every output channel of the triple: xp holds the channel's table entry between channels, the
 * accumulators start at its 2 * bias; the output pointer (pixel A's byte of the channel), the pixel
 * stride (out_c), the buffer and its end and the end of the table are in a small frame in memory. */
#define MCU_T_CHANNELS(GROUPS, STORE, P) MCU_T_CHANNELS_L(GROUPS MCU_T_NEXT, STORE, P)
#define MCU_T_NEXT \
    "ldr    %[wl], %[cxend]\n\t" \
    "cmp    %[xp], %[wl]\n\t" \
    "bne    2b\n\t"
/* (MCU_T_CHANNELS_L(GROUPS, ...) alone when GROUPS are every group of the buffer: no group loop) */
#define MCU_T_CHANNELS_L(GROUPS, STORE, P) \
    "1:\n\t" \
    "ldr    %[a0], [%[xp]]\n\t" \
    "mov    %[a1], %[a0]\n\t" \
    "mov    %[a2], %[a0]\n\t" \
    "ldr    %[xp], %[cbuf]\n\t" \
    "2:\n\t" \
    GROUPS \
    "ldr    %[xp], %[cq]\n\t" \
    "ldmia  %[xp]!, {%[x0], %[x1], %[x2], %[x3]}\n\t" \
    "str    %[xp], %[cq]\n\t" \
    "smmlar %[x0], %[a0], %[x1], %[x2]\n\t" \
    "add    %[a0], %[x0], %[a0], asr #31\n\t" \
    "smmlar %[x0], %[a1], %[x1], %[x2]\n\t" \
    "add    %[a1], %[x0], %[a1], asr #31\n\t" \
    "smmlar %[x0], %[a2], %[x1], %[x2]\n\t" \
    "add    %[a2], %[x0], %[a2], asr #31\n\t" \
    MCU_ASR_P(P, "a0", "x3") MCU_ASR_P(P, "a1", "x3") MCU_ASR_P(P, "a2", "x3") \
    "ssat   %[a0], #8, %[a0]\n\t" \
    "ssat   %[a1], #8, %[a1]\n\t" \
    "ssat   %[a2], #8, %[a2]\n\t" \
    "ldr    %[x0], %[co]\n\t" \
    "ldr    %[x1], %[cs]\n\t" \
    STORE \
    "add    %[x0], %[x0], #1\n\t" \
    "str    %[x0], %[co]\n\t" \
    "ldr    %[x0], %[cqend]\n\t" \
    "cmp    %[xp], %[x0]\n\t" \
    "bne    1b\n\t"
#define MCU_T_STORE \
    "strb   %[a0], [%[x0]]\n\t" \
    "strb   %[a1], [%[x0], %[x1]]\n\t" \
    "strb   %[a2], [%[x0], %[x1], lsl #1]\n\t"
/* With a lower clamp: the three bytes packed (BFI), clamped at once (SSUB8 against act_min in every
 * byte, SEL). */
#define MCU_T_STORE_LO \
    "ldr    %[x2], %[clo]\n\t" \
    "bfi    %[a0], %[a1], #8, #8\n\t" \
    "bfi    %[a0], %[a2], #16, #8\n\t" \
    "ssub8  %[x4], %[a0], %[x2]\n\t" \
    "sel    %[a0], %[a0], %[x2]\n\t" \
    "strb   %[a0], [%[x0]]\n\t" \
    "lsr    %[a1], %[a0], #8\n\t" \
    "strb   %[a1], [%[x0], %[x1]]\n\t" \
    "lsr    %[a2], %[a0], #16\n\t" \
    "strb   %[a2], [%[x0], %[x1], lsl #1]\n\t"
#define MCU_T_OPERANDS \
    : [a0] "=&r"(a0), [a1] "=&r"(a1), [a2] "=&r"(a2), [xp] "+&r"(xp), [w] "+&r"(w), [x0] "=&r"(x0), \
      [x1] "=&r"(x1), [x2] "=&r"(x2), [x3] "=&r"(x3), [x4] "=&r"(x4), [x5] "=&r"(x5), [wl] "=&r"(wl), \
      [wh] "=&r"(wh), [wb] "=&r"(wb), [cq] "+m"(frame_q), [co] "+m"(frame_o) \
    : [cxend] "m"(frame_xend), [cbuf] "m"(frame_buf), [cqend] "m"(frame_qend), [cs] "m"(frame_s), \
      [clo] "m"(frame_lo) \
    : "cc", "memory"

static inline __attribute__((always_inline)) void conv_triple_body(const uint32_t *buf, const uint32_t *xend,
                                                                   const int8_t *w, const int32_t *q,
                                                                   int32_t out_c, int8_t *out, int32_t lo,
                                                                   const int mode, const int post)
{
    register uint32_t x0 __asm__("r4");
    register uint32_t x1 __asm__("r5");
    register uint32_t x2 __asm__("r6");
    register uint32_t x3 __asm__("r8");
    register uint32_t x4 __asm__("r9");
    register uint32_t x5 __asm__("r10");
    int32_t a0, a1, a2;
    uint32_t wl, wh, wb;
    const uint32_t *xp = (const uint32_t *)(const void *)q, *frame_xend = xend;
    const int32_t *frame_q = q, *frame_qend = q + 4 * out_c;
    int8_t *frame_o = out;
    const int32_t frame_s = out_c;
    const uint32_t *frame_buf = buf;
    const uint32_t frame_lo = 0x01010101u * (uint8_t)lo;
    const int32_t g = (int32_t)(xend - buf) / 6;
    const int pairs = ((uintptr_t)w & 3) == 0 && g % 2 == 0; /* LDRD needs a word-aligned filter */
#define MCU_T_ALL(STORE, P) \
    if (pairs && g == 18) { /* 3x3 on 8 channels: every group in one pass */ \
        __asm__ volatile(MCU_T_CHANNELS_L(MCU_T_P4 MCU_T_P4 MCU_T_PAIR, STORE, P) MCU_T_OPERANDS); \
    } else if (pairs && g % 18 == 0) { \
        __asm__ volatile(MCU_T_CHANNELS(MCU_T_P4 MCU_T_P4 MCU_T_PAIR, STORE, P) MCU_T_OPERANDS); \
    } else if (pairs && g % 16 == 0) { \
        __asm__ volatile(MCU_T_CHANNELS(MCU_T_P4 MCU_T_P4, STORE, P) MCU_T_OPERANDS); \
    } else if (pairs && g % 4 == 0) { \
        __asm__ volatile(MCU_T_CHANNELS(MCU_T_P2, STORE, P) MCU_T_OPERANDS); \
    } else if (pairs) { \
        __asm__ volatile(MCU_T_CHANNELS(MCU_T_PAIR, STORE, P) MCU_T_OPERANDS); \
    } else if (g % 9 == 0) { \
        __asm__ volatile(MCU_T_CHANNELS(MCU_T_G3 MCU_T_G3 MCU_T_G3, STORE, P) MCU_T_OPERANDS); \
    } else { \
        __asm__ volatile(MCU_T_CHANNELS(MCU_T_GROUP, STORE, P) MCU_T_OPERANDS); \
    }
    if (mode == MCU_CLAMP_SSAT_LO) {
        if (post) {
            MCU_T_ALL(MCU_T_STORE_LO, MCU_POST)
        } else {
            MCU_T_ALL(MCU_T_STORE_LO, MCU_NO_POST)
        }
    } else {
        if (post) {
            MCU_T_ALL(MCU_T_STORE, MCU_POST)
        } else {
            MCU_T_ALL(MCU_T_STORE, MCU_NO_POST)
        }
    }
#undef MCU_T_ALL
    (void)a0, (void)a1, (void)a2, (void)xp, (void)w, (void)wl, (void)wh, (void)wb;
    (void)x0, (void)x1, (void)x2, (void)x3, (void)x4, (void)x5;
}
#undef MCU_T_LDM
#undef MCU_T_MAC
#undef MCU_T_GROUP
#undef MCU_T_PAIR
#undef MCU_T_G3
#undef MCU_T_P2
#undef MCU_T_P4
#undef MCU_T_CHANNELS
#undef MCU_T_CHANNELS_L
#undef MCU_T_NEXT
#undef MCU_T_STORE
#undef MCU_T_STORE_LO
#undef MCU_T_OPERANDS

static __attribute__((noinline)) void conv_triple_ssat(const uint32_t *buf, const uint32_t *xend, const int8_t *w,
                                                      const int32_t *q, int32_t out_c, int8_t *out, int32_t lo,
                                                      const int post)
{
    conv_triple_body(buf, xend, w, q, out_c, out, lo, MCU_CLAMP_SSAT, post);
}

static __attribute__((noinline)) void conv_triple_ssat_lo(const uint32_t *buf, const uint32_t *xend,
                                                         const int8_t *w, const int32_t *q, int32_t out_c,
                                                         int8_t *out, int32_t lo, const int post)
{
    conv_triple_body(buf, xend, w, q, out_c, out, lo, MCU_CLAMP_SSAT_LO, post);
}

/* One pixel (slot A of the triple buffer) for every output channel, with the triple's table: two
 * channels per pass, per group one LDRD of the pixel's two words, both channels' filter words widened
 * with four SXTB16, four SMLAD (11 instructions per 8 MACs); an odd last channel alone. Requantized as
 * the triple's channels and clamped below at lo (-128 in the SSAT mode). For the pixel left after the
 * last triple. */
#define MCU_T1_GROUP2 \
    "ldrd   %[x0], %[x1], [%[xp]], #24\n\t" \
    "ldr    %[w1], [%[w], %[kb]]\n\t" \
    "ldr    %[w0], [%[w]], #4\n\t" \
    "sxtb16 %[l0], %[w0]\n\t" \
    "sxtb16 %[w0], %[w0], ror #8\n\t" \
    "sxtb16 %[l1], %[w1]\n\t" \
    "sxtb16 %[w1], %[w1], ror #8\n\t" \
    "smlad  %[a0], %[x0], %[l0], %[a0]\n\t" \
    "smlad  %[a0], %[x1], %[w0], %[a0]\n\t" \
    "smlad  %[a1], %[x0], %[l1], %[a1]\n\t" \
    "smlad  %[a1], %[x1], %[w1], %[a1]\n\t"
#define MCU_T1_GROUP1 \
    "ldrd   %[x0], %[x1], [%[xp]], #24\n\t" \
    "ldr    %[w0], [%[w]], #4\n\t" \
    "sxtb16 %[l0], %[w0]\n\t" \
    "sxtb16 %[w0], %[w0], ror #8\n\t" \
    "smlad  %[a0], %[x0], %[l0], %[a0]\n\t" \
    "smlad  %[a0], %[x1], %[w0], %[a0]\n\t"
#define MCU_T1_LOOP(G) "1:\n\t" G "cmp    %[xp], %[xend]\n\t" "bne    1b\n\t"
#define MCU_T1_OPERANDS \
    : [a0] "+&r"(a0), [a1] "+&r"(a1), [xp] "+&r"(xp), [w] "+&r"(w), [x0] "=&r"(x0), [x1] "=&r"(x1), \
      [w0] "=&r"(w0), [w1] "=&r"(w1), [l0] "=&r"(l0), [l1] "=&r"(l1) \
    : [xend] "r"(xend), [kb] "r"(kb) \
    : "cc", "memory"
static __attribute__((noinline)) void conv_triple_one(const uint32_t *buf, const uint32_t *xend, const int8_t *w,
                                                     const int32_t *t, int32_t out_c, int8_t *out, int32_t lo)
{
    const int32_t groups = (int32_t)(xend - buf) / 6, kb = 4 * groups;
    for (int32_t oc = 0; oc < out_c; oc += 2, t += 8, w += kb) {
        int32_t a0 = t[0], a1 = oc + 1 < out_c ? t[4] : 0;
        const uint32_t *xp = buf;
        uint32_t x0, x1, w0, w1, l0, l1;
        if (oc + 1 == out_c) {
            __asm__ volatile(MCU_T1_LOOP(MCU_T1_GROUP1) MCU_T1_OPERANDS);
        } else if (groups % 2 == 0) {
            __asm__ volatile(MCU_T1_LOOP(MCU_T1_GROUP2 MCU_T1_GROUP2) MCU_T1_OPERANDS);
        } else {
            __asm__ volatile(MCU_T1_LOOP(MCU_T1_GROUP2) MCU_T1_OPERANDS);
        }
        int32_t v = __ssat(mcu_requant2_dsp(a0, t[1], t[2], t[3]), 8);
        out[oc] = (int8_t)(v < lo ? lo : v);
        if (oc + 1 < out_c) {
            v = __ssat(mcu_requant2_dsp(a1, t[5], t[6], t[7]), 8);
            out[oc + 1] = (int8_t)(v < lo ? lo : v);
        }
    }
}
#undef MCU_T1_GROUP2
#undef MCU_T1_GROUP1
#undef MCU_T1_LOOP
#undef MCU_T1_OPERANDS

/* The triples of a k x k layer (input depth a multiple of 4, npix >= 3): every complete triple of
 * consecutive output pixels (they may span output rows); returns the number of pixels done. */
static inline __attribute__((always_inline)) int32_t kxk_triples(
    const mcu_conv_params *params, const mcu_per_channel_quant *quant, const mcu_dims *in,
    const int8_t *input, const mcu_dims *f, const mcu_dims *output_dims, const int8_t *filter,
    const int32_t *bias, int8_t *output, int16_t *scratch, const int mode)
{
    const int32_t c = in->c, cg = c / 4, fh = f->h, fw = f->w, out_c = output_dims->c;
    const int32_t out_h = output_dims->h, out_w = output_dims->w, in_h = in->h, in_w = in->w;
    const int32_t groups = fh * fw * cg, seg = fw * cg;
    const int32_t sh = params->stride.h, sw = params->stride.w, dh = params->dilation.h;
    const int32_t dw = params->dilation.w, ph = params->padding.h, pw = params->padding.w;
    const int32_t off = !params->bias_folded ? params->input_offset : 0;
    const uint32_t off2 = ((uint32_t)off & 0xFFFFu) | ((uint32_t)off << 16);
    const int32_t npix = in->n * out_h * out_w, done = npix - npix % 3;
    uint32_t *buf = (uint32_t *)(void *)scratch;
    const uint32_t *buf_end = buf + 6 * groups;
    /* per channel {2 * bias, multiplier, k, rz}: the layer's table in flash (computed by the code
     * generator, ops.kxk_table: word 0 whether a channel adds its zero point after the shift), else filled
     * here in scratch */
    const int32_t *table;
    int post = 0;
    if (params->table != 0) {
        post = params->table[0];
        table = params->table + 1;
    } else {
        int32_t *fill = (int32_t *)(void *)(buf + 6 * groups);
        for (int32_t oc = 0; oc < out_c; ++oc) {
            int32_t *t = fill + 4 * oc;
            t[0] = bias ? 2 * bias[oc] : 0;
            t[1] = quant->multiplier[oc];
            mcu_requant_consts(params->output_offset, -quant->shift[oc], &t[2], &t[3]);
            post |= (t[3] >> 8) != 0;
        }
        table = fill;
    }
    int32_t b = 0, y = 0, x = 0;
    /* After the last triple: two pixels left (out_w >= 3) run as the triple ending at the last pixel, its
     * first pixel computed again (the same bytes written again; the three lie in the last output row,
     * whose input rows the output written so far does not reach, see Conv2D.overlap); otherwise each
     * pixel left runs alone (conv_triple_one). */
    const int32_t last = npix - done == 2 && out_w >= 3 ? npix - 3 : -1;
    for (int32_t p = 0, n = 3; p < npix; p += n) {
        int32_t pos[3][3];
        if (p + 3 > npix) {
            if (last >= 0) {
                p = last;
            } else {
                n = 1;
            }
            b = p / (out_h * out_w), y = p % (out_h * out_w) / out_w, x = p % out_w;
        }
        for (int32_t i = 0; i < n; ++i) {
            pos[i][0] = b, pos[i][1] = y, pos[i][2] = x;
            if (++x == out_w) {
                x = 0;
                if (++y == out_h) {
                    y = 0;
                    ++b;
                }
            }
        }
        const int32_t iy0 = pos[0][1] * sh - ph, ix0 = pos[0][2] * sw - pw;
        if (__builtin_expect(n == 3 && sw == 1 && dw == 1 && fw >= 2 && pos[2][1] == pos[0][1] &&
                             pos[2][0] == pos[0][0] && iy0 >= 0 && iy0 + (fh - 1) * dh < in_h && ix0 >= 0 &&
                             ix0 + 2 + fw <= in_w, 1)) {
            const int8_t *a = input + (((int64_t)pos[0][0] * in_h + iy0) * in_w + ix0) * c;
            for (int32_t fy = 0; fy < fh; ++fy, a += (int64_t)dh * in_w * c) {
                expand_triple_shift(a, buf + 6 * fy * seg, seg, cg, off2);
            }
        } else {
            int32_t two = -1; /* a triple over two output rows: its two pixels of one row, every tap inside */
            if (n == 3 && sw == 1 && dw == 1 && fw >= 2) {
                const int32_t i = pos[1][1] == pos[0][1] && pos[1][0] == pos[0][0] ? 0 : 1;
                const int32_t jy = pos[i][1] * sh - ph, jx = pos[i][2] - pw;
                if (pos[i + 1][1] == pos[i][1] && pos[i + 1][0] == pos[i][0] && jy >= 0 &&
                    jy + (fh - 1) * dh < in_h && jx >= 0 && jx + 1 + fw <= in_w) {
                    const int8_t *a = input + (((int64_t)pos[i][0] * in_h + jy) * in_w + jx) * c;
                    for (int32_t fy = 0; fy < fh; ++fy, a += (int64_t)dh * in_w * c) {
                        uint32_t *d = buf + 6 * fy * seg + 2 * i;
                        expand_two_shift(a, d, d + 2, seg, cg, off2);
                    }
                    two = i;
                }
            }
            for (int32_t i = 0; i < n; ++i) {
                if (two >= 0 && (i == two || i == two + 1)) {
                    continue;
                }
                const int32_t jy = pos[i][1] * sh - ph, jx = pos[i][2] * sw - pw;
                uint32_t *d = buf + 2 * i;
                if (dw == 1 && jx >= 0 && jx + fw <= in_w && jy >= 0 && jy + (fh - 1) * dh < in_h) {
                    expand_one_rows(input + (((int64_t)pos[i][0] * in_h + jy) * in_w + jx) * c, d, seg, fh,
                                    dh * in_w * c, off2);
                    continue;
                }
                if (dw == 1) { /* per kernel row the taps inside the input in one run, the others zeroed */
                    const int32_t lo = mcu_min_i32(fw, mcu_max_i32(0, -jx));
                    const int32_t hi = mcu_max_i32(lo, mcu_min_i32(fw, in_w - jx));
                    for (int32_t fy = 0, iy = jy; fy < fh; ++fy, iy += dh, d += 6 * seg) {
                        if (iy < 0 || iy >= in_h || hi == lo) {
                            zero_slot(d, seg);
                            continue;
                        }
                        if (lo > 0) {
                            zero_slot(d, lo * cg);
                        }
                        expand_slot(input + (((int64_t)pos[i][0] * in_h + iy) * in_w + jx + lo) * c,
                                    d + 6 * lo * cg, (hi - lo) * cg, off2);
                        if (hi < fw) {
                            zero_slot(d + 6 * hi * cg, (fw - hi) * cg);
                        }
                    }
                    continue;
                }
                for (int32_t fy = 0; fy < fh; ++fy) {
                    const int32_t iy = jy + fy * dh;
                    if (iy < 0 || iy >= in_h) {
                        zero_slot(d, seg);
                        d += 6 * seg;
                        continue;
                    }
                    const int8_t *row = input + ((int64_t)pos[i][0] * in_h + iy) * in_w * c;
                    for (int32_t fx = 0; fx < fw; ++fx, d += 6 * cg) {
                        const int32_t ix = jx + fx * dw;
                        if (ix < 0 || ix >= in_w) {
                            zero_slot(d, cg);
                        } else {
                            expand_slot(row + (int64_t)ix * c, d, cg, off2);
                        }
                    }
                }
            }
        }
        MCU_COMPILER_BARRIER(); /* the buffer and table are written before the assembly reads them */
        if (n == 1) {
            conv_triple_one(buf, buf_end, filter, table, out_c, output + (int64_t)p * out_c, params->act_min);
        } else if (mode == MCU_CLAMP_SSAT_LO) {
            conv_triple_ssat_lo(buf, buf_end, filter, table, out_c, output + (int64_t)p * out_c, params->act_min,
                                post);
        } else {
            conv_triple_ssat(buf, buf_end, filter, table, out_c, output + (int64_t)p * out_c, params->act_min,
                             post);
        }
    }
    return npix;
}

/* The 1x1 path on an input depth k that is not a multiple of 4 reads every pixel as k rounded up to 4
 * bytes (the padded filter rows give the bytes past k zero weights); the input's last pixel, whose read
 * would pass the input's end, is copied to dst with its pad bytes zeroed. */
static const int8_t *conv_1x1_last_pixel(const int8_t *src, int32_t k, int8_t *dst)
{
    memcpy(dst, src, (size_t)k);
    memset(dst + k, 0, (size_t)(-k & 3));
    return dst;
}

/* Variants of the 1x1 and k x k bodies, one entry point each: PLAIN two pixels per pass; SMALL the 1x1
 * small path (input depths 8, 16, 32); MULTI four pixels per pass (1x1, gathered k x k) or three (k x k
 * on input depths that are multiples of 4) before the pairs; MULTI1 MULTI when at most one pixel is left
 * after those passes (the pixel count is 0 or 1 modulo 4, or modulo 3). */
enum { MCU_V_PLAIN = 0, MCU_V_SMALL = 1, MCU_V_MULTI = 2, MCU_V_MULTI1 = 3 };

/* The output channel pairs of the expanded pixel pair in buf (count 1: pixel A alone) with the weight rows from
 * w (c bytes each) and the requantization table at *q; *q, *out_a and *out_b advanced past them, the weights
 * after them returned. */
static inline __attribute__((always_inline)) const int8_t *channel_pairs(
    const uint32_t *buf, const uint32_t *buf_end, const int8_t *w, int32_t c, const int32_t **q, int32_t pairs,
    int8_t **out_a, int8_t **out_b, int32_t count, int32_t lo, int32_t hi, int mode, int post)
{
    if (mode != MCU_CLAMP_BOTH && pairs > 0 && count == 1) {
        w = conv_1x1_one_asm(buf, buf_end, w, c, *q, pairs, *out_a, lo, mode);
        *q += 8 * pairs;
        *out_a += 2 * pairs;
        *out_b += 2 * pairs;
    } else if (mode != MCU_CLAMP_BOTH && pairs > 0) {
        w = conv_1x1_pairs_asm(buf, buf_end, w, c, *q, pairs, *out_a, *out_b, lo, mode, post);
        *q += 8 * pairs;
        *out_a += 2 * pairs;
        *out_b += 2 * pairs;
    } else {
        for (int32_t pr = 0; pr < pairs; ++pr) {
            int32_t acc[4];
            acc[0] = acc[2] = (*q)[0];
            acc[1] = acc[3] = (*q)[1];
            dot_2x2(buf, buf_end, w, c, acc);
            w += 2 * c;
            store_2x2(acc, *q, out_a, out_b, lo, hi, mode);
            *q += 8;
        }
    }
    return w;
}

/* An odd channel count's last channel (weights w, table q), computed twice as a pair of itself. */
static inline __attribute__((always_inline)) void last_channel(const uint32_t *buf, const uint32_t *buf_end,
                                                               const int8_t *w, const int32_t *q, int8_t *out_a,
                                                               int8_t *out_b, int32_t lo, int32_t hi, int mode)
{
    int32_t acc[4];
    acc[0] = acc[1] = acc[2] = acc[3] = q[0];
    dot_2x2(buf, buf_end, w, 0, acc);
    out_b[0] = out_ch0(acc[2], q, lo, hi, mode);
    out_a[0] = out_ch0(acc[0], q, lo, hi, mode);
}

/* Scratch of the k x k path (mcu_conv_kxk_scratch in mcu_engine.h): the expanded pixel pair (4 * k4 bytes), the
 * requantization table (8 words per output channel pair), the two int8 patches (2 * k4 + 4: the
 * second one's last word copy may write 3 bytes past it) and, when k is not a multiple of 4, the
 * filter rows copied with their ends padded to k4 bytes. */
static inline __attribute__((always_inline)) void conv_pairs_body(
    const mcu_conv_params *params, const mcu_per_channel_quant *quant, const mcu_dims *input_dims,
    const int8_t *input, const mcu_dims *filter_dims, const mcu_dims *output_dims, const int8_t *filter,
    const int32_t *bias, int8_t *output, int16_t *scratch, const int mode, const int kxk, const int var,
    const int pad)
{
    /* kxk: 0 for 1x1, 1 for k x k on input depths that are multiples of 4, 2 for the other k x k;
     * var: the variant the entry point stands for (MCU_V_*); pad (1x1 only): the input depth is not a
     * multiple of 4 (pixels read as the depth rounded up to 4 bytes, the input's last pixel copied); all
     * three decided by the inline dispatch in mcu_engine.h from the layer's constant parameters, so the
     * 1x1 entry points of depths that are multiples of 4 carry no check for the padded last pixel */
    const int32_t in_h = input_dims->h, in_w = input_dims->w;
    const int32_t out_h = output_dims->h, out_w = output_dims->w, out_c = output_dims->c;
    int32_t p0 = 0; /* pixels done by the triple path */
    if (kxk == 1 && var >= MCU_V_MULTI && mode != MCU_CLAMP_BOTH && input_dims->n * out_h * out_w >= 3) {
        p0 = kxk_triples(params, quant, input_dims, input, filter_dims, output_dims, filter, bias, output,
                         scratch, mode);
        if (p0 == input_dims->n * out_h * out_w) {
            return;
        }
    }
    /* k: values per output pixel (its patch), c: filter row stride in bytes, a multiple of 4 */
    const int32_t k = kxk ? filter_dims->h * filter_dims->w * filter_dims->c : input_dims->c;
    const int32_t c = kxk || pad ? (k + 3) & ~3 : k, groups = c >> 2, pairs = out_c / 2, ic = input_dims->c;
    const int32_t lo = params->act_min, hi = params->act_max;
    const int32_t in_off = kxk && !params->bias_folded ? params->input_offset : 0;
    const int32_t npix = input_dims->n * out_h * out_w;
    const int32_t sh = params->stride.h, sw = params->stride.w;
    const int contiguous = !kxk && sh == 1 && sw == 1 && out_w == in_w;
    const int8_t *input_end = input + (int64_t)input_dims->n * in_h * in_w * input_dims->c;
    uint32_t *buf = (uint32_t *)(void *)scratch;
    const uint32_t *buf_end = buf + 4 * groups;
    /* the small path: 1x1 on input depths 8, 16, 32, clamp modes SSAT and SSAT_LO, two or more output
     * channels (mcu_conv_1x1_dsp_s8) */
    const int small = !kxk && var == MCU_V_SMALL;
    const int direct = kxk == 1; /* input depth a multiple of 4: patch groups never straddle two taps */
    /* 1x1 other than the small path, k x k with gathered patches (input depth not a multiple of 4): the
     * buffer holds four expanded pixels (mcu_conv_1x1_scratch, mcu_conv_kxk_scratch), and 4 patches */
    const int four = kxk ? !direct : ic != 8 && ic != 16 && ic != 32; /* as mcu_conv_1x1_scratch */
    const int32_t buf_words = four ? 8 * groups : 4 * groups;
    /* four pixels per pass: 1x1 (not on input depths 8, 16, 32) and gathered k x k, clamp mode SSAT, an
     * even output channel count of two or more (mcu_conv_1x1_dsp_s8, mcu_conv_kxk_dsp_s8) */
    const int quad = kxk != 1 && var >= MCU_V_MULTI;
    int32_t *table = (int32_t *)(void *)(buf + buf_words);
    int8_t *patch = (int8_t *)(void *)(table + 8 * ((out_c + 1) / 2));
    if (small) { /* per pair: filter rows a and b, then the table */
        const int32_t words = (2 * c + 32) / 4;
        fill_requant_table(quant, bias, out_c, params->output_offset, table + 2 * c / 4, words);
        for (int32_t pr = 0; pr < pairs; ++pr) {
            memcpy(table + (int64_t)pr * words, filter + (int64_t)pr * 2 * c, (size_t)(2 * c));
        }
    } else {
        fill_requant_table(quant, bias, out_c, params->output_offset, table, 8);
    }
    if (k != c) { /* filter rows padded to c bytes (what they meet there is 0) */
        int8_t *rows = patch + (four ? 4 : 2) * c + 4;
        for (int32_t oc = 0; oc < out_c; ++oc) {
            memcpy(rows + (int64_t)oc * c, filter + (int64_t)oc * k, (size_t)k);
            memset(rows + (int64_t)oc * c + k, 0, (size_t)(c - k));
        }
        filter = rows;
    }
    /* whether any channel adds its zero point after the shift (mcu_requant_consts) */
    const int post = small ? mcu_requant_post(table + 2 * c / 4, pairs, (2 * c + 32) / 4)
                           : mcu_requant_post(table, pairs, 8);
    if (small && (out_c & 1) == 0) {
        MCU_COMPILER_BARRIER(); /* the table is written before the assembly reads it */
        conv_1x1_small_rows(params, input_dims, input, output_dims, output, (const int8_t *)(const void *)table,
                            conv_1x1_small_fn(c, mode, post), 0,
                            (const int8_t *)(const void *)table + (int64_t)pairs * (2 * c + 32),
                            0x01010101u * (uint8_t)lo, buf, 0);
        return;
    }
    const int8_t *pix[2];
    int32_t b = p0 / (out_h * out_w), y = p0 % (out_h * out_w) / out_w, x = p0 % out_w;
    if (direct) { /* taps outside the input are read from a block of the pad value */
        memset(patch, (int8_t)-in_off, (size_t)(filter_dims->w * input_dims->c));
    }
    int32_t p = p0; /* 0 unless the triple path ran */
    for (; quad && npix - p >= 4; p += 4) { /* four pixels per pass */
        const int8_t *px4[4];
        if (!kxk && contiguous) { /* 1x1, every pixel read in place: b, y, x unused */
            const int8_t *a = input + (int64_t)p * ic;
            px4[0] = a, px4[1] = a + ic, px4[2] = a + 2 * ic, px4[3] = a + 3 * ic;
            if (pad && px4[3] + c > input_end) { /* depth not a multiple of 4: the input's last pixel */
                px4[3] = conv_1x1_last_pixel(px4[3], k, patch);
            }
        } else {
            for (int32_t i = 0; i < 4; ++i) {
                if (kxk) {
                    kxk_patch(params, input_dims, input, input_end, filter_dims, b, y, x, (int8_t)-in_off,
                              patch + i * c, c);
                    px4[i] = patch + i * c;
                } else {
                    px4[i] = input + (((int64_t)b * in_h + (int64_t)y * sh) * in_w + (int64_t)x * sw) * ic;
                    if (pad && px4[i] + c > input_end) { /* 1x1, depth not a multiple of 4: the input's last pixel */
                        px4[i] = conv_1x1_last_pixel(px4[i], k, patch);
                    }
                }
                if (++x == out_w) {
                    x = 0;
                    if (++y == out_h) {
                        y = 0;
                        ++b;
                    }
                }
            }
        }
        expand_quad(px4, buf, groups, in_off);
        MCU_COMPILER_BARRIER(); /* the buffer is written before the assembly reads it */
        (post ? conv_1x1_quad_ssat_post : conv_1x1_quad_ssat)(buf, buf + 8 * groups, filter, table, pairs,
                                                              output + (int64_t)p * out_c, out_c);
    }
    for (; p < npix; p += 2) {
        /* MCU_V_MULTI1: at most one pixel is left after the four- or three-pixel passes */
        const int32_t count = var == MCU_V_MULTI1 ? 1 : npix - p >= 2 ? 2 : 1;
        int32_t pos[2][3];
        if (contiguous) {
            pix[0] = input + (int64_t)p * ic;
            pix[1] = count == 2 ? pix[0] + ic : pix[0];
        } else {
            for (int32_t i = 0; i < count; ++i) {
                pos[i][0] = b, pos[i][1] = y, pos[i][2] = x;
                if (kxk && !direct) {
                    kxk_patch(params, input_dims, input, input_end, filter_dims, b, y, x, (int8_t)-in_off,
                              patch + i * c, c);
                    pix[i] = patch + i * c;
                } else if (!kxk) {
                    pix[i] = input + (((int64_t)b * in_h + (int64_t)y * sh) * in_w + (int64_t)x * sw) * ic;
                }
                if (++x == out_w) {
                    x = 0;
                    if (++y == out_h) {
                        y = 0;
                        ++b;
                    }
                }
            }
        }
        if (!kxk && pad && pix[count - 1] + c > input_end) { /* 1x1, depth not a multiple of 4 */
            pix[count - 1] = conv_1x1_last_pixel(pix[count - 1], k, patch);
        }
        if (direct) {
            const int32_t fh = filter_dims->h, fw = filter_dims->w, dh = params->dilation.h;
            const int32_t iy0 = pos[0][1] * sh - params->padding.h, ix0 = pos[0][2] * sw - params->padding.w;
            if (count == 2 && pos[1][1] == pos[0][1] && pos[1][0] == pos[0][0] && params->dilation.w == 1 &&
                iy0 >= 0 && iy0 + (fh - 1) * dh < in_h && ix0 >= 0 && ix0 + sw + fw <= in_w) {
                /* both pixels of one output row, every tap inside: kernel row by kernel row, pixel B
                 * stride.w pixels after pixel A */
                const int8_t *a = input + (((int64_t)pos[0][0] * in_h + iy0) * in_w + ix0) * ic;
                const int32_t row_step = dh * in_w * ic, n = fw * ic;
                uint32_t *d = buf;
                for (int32_t fy = 0; fy < fh; ++fy, a += row_step, d += n) {
                    if (sw == 1 && fw > 1) {
                        expand_pair_shift(a, d, n / 4, ic / 4, in_off);
                    } else {
                        expand_pair(a, a + sw * ic, d, n / 4, in_off);
                    }
                }
            } else {
                kxk_expand_direct(params, input_dims, input, filter_dims, pos[0], pos[count - 1], patch, buf,
                                  in_off);
            }
        } else {
            expand_pair(pix[0], pix[count - 1], buf, groups, in_off);
        }
        MCU_COMPILER_BARRIER(); /* the buffer is written before the assembly reads it */
        int8_t *out_a = output + (int64_t)p * out_c;
        int8_t *out_b = count == 2 ? out_a + out_c : out_a;
        const int32_t *q = table;
        const int8_t *w = filter;
        if (small) {
            MCU_COMPILER_BARRIER();
            conv_1x1_small_fn(c, mode, post)(pix[0], (int32_t)(pix[count - 1] - pix[0]), 1, out_a, out_b, out_c,
                                             (const int8_t *)(const void *)table,
                                             (const int8_t *)(const void *)table + (int64_t)pairs * (2 * c + 32),
                                             0x01010101u * (uint8_t)lo, buf);
            w += (int64_t)2 * c * pairs;
            q = table + (int64_t)pairs * (2 * c + 32) / 4 + 2 * c / 4; /* the odd channel's table */
            out_a += 2 * pairs;
            out_b += 2 * pairs;
        } else {
            w = channel_pairs(buf, buf_end, w, c, &q, pairs, &out_a, &out_b, count, lo, hi, mode, post);
        }
        if (out_c & 1) { /* odd channel count: the last channel twice */
            last_channel(buf, buf_end, w, q, out_a, out_b, lo, hi, mode);
        }
    }
}

/* 1x1 and k x k: one entry point per clamp mode (MCU_CLAMP_SSAT, MCU_CLAMP_SSAT_LO, MCU_CLAMP_BOTH) and
 * variant (MCU_V_*), 1x1 also per whether the input depth is a multiple of 4 (_padded_: not), so a
 * firmware links only the modes and variants its layers use (mcu_conv_1x1_dsp_s8 and mcu_conv_kxk_dsp_s8
 * in mcu_engine.h pick one). */
#define MCU_CONV_1X1_DSP(NAME, MODE, VAR, PAD) \
    mcu_status NAME(const mcu_conv_params *params, const mcu_per_channel_quant *quant, \
                    const mcu_dims *input_dims, const int8_t *input, const mcu_dims *output_dims, \
                    const int8_t *filter, const int32_t *bias, int8_t *output, int16_t *scratch) \
    { \
        /* filter_dims unused: the filter is out_c rows of input_dims->c */ \
        conv_pairs_body(params, quant, input_dims, input, input_dims, output_dims, filter, bias, output, \
                        scratch, MODE, 0, VAR, PAD); \
        return MCU_OK; \
    }
MCU_CONV_1X1_DSP(mcu_conv_1x1_dsp_ssat_s8, MCU_CLAMP_SSAT, MCU_V_PLAIN, 0)
MCU_CONV_1X1_DSP(mcu_conv_1x1_dsp_ssat_lo_s8, MCU_CLAMP_SSAT_LO, MCU_V_PLAIN, 0)
MCU_CONV_1X1_DSP(mcu_conv_1x1_dsp_both_s8, MCU_CLAMP_BOTH, MCU_V_PLAIN, 0)
MCU_CONV_1X1_DSP(mcu_conv_1x1_dsp_small_ssat_s8, MCU_CLAMP_SSAT, MCU_V_SMALL, 0)
MCU_CONV_1X1_DSP(mcu_conv_1x1_dsp_small_ssat_lo_s8, MCU_CLAMP_SSAT_LO, MCU_V_SMALL, 0)
MCU_CONV_1X1_DSP(mcu_conv_1x1_dsp_quad_ssat_s8, MCU_CLAMP_SSAT, MCU_V_MULTI, 0)
MCU_CONV_1X1_DSP(mcu_conv_1x1_dsp_quad1_ssat_s8, MCU_CLAMP_SSAT, MCU_V_MULTI1, 0)
MCU_CONV_1X1_DSP(mcu_conv_1x1_dsp_padded_ssat_s8, MCU_CLAMP_SSAT, MCU_V_PLAIN, 1)
MCU_CONV_1X1_DSP(mcu_conv_1x1_dsp_padded_ssat_lo_s8, MCU_CLAMP_SSAT_LO, MCU_V_PLAIN, 1)
MCU_CONV_1X1_DSP(mcu_conv_1x1_dsp_padded_both_s8, MCU_CLAMP_BOTH, MCU_V_PLAIN, 1)
MCU_CONV_1X1_DSP(mcu_conv_1x1_dsp_padded_quad_ssat_s8, MCU_CLAMP_SSAT, MCU_V_MULTI, 1)
MCU_CONV_1X1_DSP(mcu_conv_1x1_dsp_padded_quad1_ssat_s8, MCU_CLAMP_SSAT, MCU_V_MULTI1, 1)
#undef MCU_CONV_1X1_DSP

/* The small path with the code generator's table (ops.small1x1_table: word 0 the post-add flag, then per
 * output channel pair its two filter rows and requantization table, in flash): input depth 4 to 32, rows
 * of C bytes (the depth rounded up to a multiple of 4, padded with zero weights), an even output channel
 * count, clamp modes SSAT and SSAT_LO; no table to fill, no rows to copy, and only the expanded pixel pair
 * (4 * C bytes) in scratch, then the widened rows (4 * C bytes per channel pair) and, for a depth that is
 * not a multiple of 4, the copy of the input's last pixel (C bytes; conv_1x1_small_rows). One entry point per
 * C, clamp mode and post-shift add (mcu_conv_1x1_small_table_dsp_s8 in mcu_engine.h picks one at compile
 * time), so a firmware links only the assembly its layers run. */
#define MCU_S_ENTRY(NAME, C, FN, ONE, LO, WIDE, PAD) MCU_S_ENTRY_E(NAME, C, FN, ONE, LO, WIDE, PAD, 0)
#define MCU_S_ENTRY_E(NAME, C, FN, ONE, LO, WIDE, PAD, ENC) \
    mcu_status NAME(const mcu_conv_params *params, const mcu_dims *input_dims, const int8_t *input, \
                    const mcu_dims *output_dims, int8_t *output, int16_t *scratch) \
    { \
        const int8_t *blocks = (const int8_t *)(const void *)(params->table + 1); \
        const int32_t pairs = output_dims->c / 2; \
        if (WIDE) { /* the MCU_SW_FN functions: rows widened after the pixel pair */ \
            small_widen_rows(blocks, pairs, (C), (uint32_t *)(void *)scratch + (C)); \
            MCU_COMPILER_BARRIER(); /* written before the assembly reads them */ \
        } \
        int8_t *const tail = \
            PAD ? (int8_t *)(void *)((uint32_t *)(void *)scratch + (C) * (WIDE ? pairs + 1 : 1) + (ENC ? 2 : 0)) : (int8_t *)(void *)scratch; \
        if (((params->stride.h | params->stride.w) == 1) & ((params->in_row | params->out_row) == 0)) { \
            /* stride 1: the layer's pixels one span (batches and rows joined), read in place but for a \
             * padded depth's last pixel (its C-byte read would pass the input's end), run from its copy */ \
            const int32_t c = PAD ? input_dims->c : (C); \
            const int32_t npix = output_dims->n * output_dims->h * output_dims->w, m = PAD ? npix - 1 : npix; \
            const int8_t *wend = blocks + (int64_t)pairs * (2 * (C) + 32); \
            const uint32_t lo4 = LO ? 0x01010101u * (uint8_t)params->act_min : 0u; \
            uint32_t *buf = (uint32_t *)(void *)scratch; \
            if (m >> 1) { \
                FN(input, c, m >> 1, output, output + output_dims->c, output_dims->c, blocks, wend, lo4, buf); \
            } \
            if (m & 1) { \
                ONE(input + (int64_t)(m - 1) * c, output + (int64_t)(m - 1) * output_dims->c, blocks, wend, lo4, \
                    buf); \
            } \
            if (PAD) { \
                memcpy(tail, input + (int64_t)m * c, (size_t)c); \
                memset(tail + c, 0, (size_t)((C) - c)); \
                MCU_COMPILER_BARRIER(); /* the copy is written before the assembly reads it */ \
                ONE(tail, output + (int64_t)m * output_dims->c, blocks, wend, lo4, buf); \
            } \
            return MCU_OK; \
        } \
        (PAD ? conv_1x1_small_rows_padded : conv_1x1_small_rows)( \
            params, input_dims, input, output_dims, output, blocks, FN, ONE, blocks + (int64_t)pairs * (2 * (C) + 32), \
            LO ? 0x01010101u * (uint8_t)params->act_min : 0u, (uint32_t *)(void *)scratch, tail); \
        return MCU_OK; \
    }
/* per depth C (rows of C bytes): _cC_ input depth C, _cCp_ an input depth of C - 3 to C - 1 (padded) */
#define MCU_S_ENTRIES1(C, P, PAD) \
    MCU_S_ENTRY(mcu_conv_1x1_small_c##C##P##_ssat_dsp_s8, C, small##C, small1_##C, 0, 0, PAD) \
    MCU_S_ENTRY(mcu_conv_1x1_small_c##C##P##_ssat_post_dsp_s8, C, small##C##_post, small1_##C##_post, 0, 0, PAD) \
    MCU_S_ENTRY(mcu_conv_1x1_small_c##C##P##_ssat_lo_dsp_s8, C, small##C##_lo, small1_##C##_lo, 1, 0, PAD) \
    MCU_S_ENTRY(mcu_conv_1x1_small_c##C##P##_ssat_lo_post_dsp_s8, C, small##C##_lo_post, small1_##C##_lo_post, 1, 0, \
                PAD)
#define MCU_SW_ENTRIES1(C, P, PAD) \
    MCU_S_ENTRY(mcu_conv_1x1_small_c##C##P##w_ssat_dsp_s8, C, smallw##C, small1_##C, 0, 1, PAD) \
    MCU_S_ENTRY(mcu_conv_1x1_small_c##C##P##w_ssat_post_dsp_s8, C, smallw##C##_post, small1_##C##_post, 0, 1, PAD) \
    MCU_S_ENTRY(mcu_conv_1x1_small_c##C##P##w_ssat_lo_dsp_s8, C, smallw##C##_lo, small1_##C##_lo, 1, 1, PAD) \
    MCU_S_ENTRY(mcu_conv_1x1_small_c##C##P##w_ssat_lo_post_dsp_s8, C, smallw##C##_lo_post, small1_##C##_lo_post, 1, \
                1, PAD)
/* rows of 20 to 32 bytes: the encoded rows (MCU_E_FN; scratch: the expanded pair, P, then a padded depth's copy) */
#define MCU_E_ENTRIES1(C, P, PAD) \
    MCU_S_ENTRY_E(mcu_conv_1x1_small_c##C##P##_ssat_dsp_s8, C, smalle##C, smalle##C##_one, 0, 0, PAD, 1) \
    MCU_S_ENTRY_E(mcu_conv_1x1_small_c##C##P##_ssat_post_dsp_s8, C, smalle##C##_post, smalle##C##_post_one, 0, 0, PAD, 1) \
    MCU_S_ENTRY_E(mcu_conv_1x1_small_c##C##P##_ssat_lo_dsp_s8, C, smalle##C##_lo, smalle##C##_lo_one, 1, 0, PAD, 1) \
    MCU_S_ENTRY_E(mcu_conv_1x1_small_c##C##P##_ssat_lo_post_dsp_s8, C, smalle##C##_lo_post, smalle##C##_lo_post_one, 1, \
                  0, PAD, 1)
#define MCU_E_ENTRIES(C) MCU_E_ENTRIES1(C, , 0) MCU_E_ENTRIES1(C, p, 1)
MCU_S_ENTRIES1(4, , 0)
MCU_SW_ENTRIES1(4, , 0)
MCU_E_ENTRIES(20)
MCU_E_ENTRIES(24)
MCU_E_ENTRIES(28)
MCU_E_ENTRIES(32)
#undef MCU_E_ENTRIES
#undef MCU_E_ENTRIES1
#undef MCU_S_ENTRIES1
#undef MCU_SW_ENTRIES1
#undef MCU_S_ENTRY
#undef MCU_S_ENTRY_E

/* Input depths 5 to 16 (rows of C = 8, 12 or 16 bytes), the table in its one-pixel layout (smallx<C>; _lo: act_min
 * above -128, _lh: act_max below 127 too, _m2: an output channel count of 2 modulo 4): stride 1 the layer's pixels in one call, other strides
 * output row by output row (conv_1x1_small_rows); a depth that is not a multiple of 4 (PAD) reads each pixel as C
 * bytes (the pad bytes meet the next pixel's first values and zero weights) but the input's last pixel, which
 * runs from its copy in scratch (C bytes; the only scratch read). */
#define MCU_X_ENTRY(NAME, C, FN, LO, PAD) \
    mcu_status NAME(const mcu_conv_params *params, const mcu_dims *input_dims, const int8_t *input, \
                    const mcu_dims *output_dims, int8_t *output, int16_t *scratch) \
    { \
        const int8_t *tab = (const int8_t *)(const void *)(params->table + 1); \
        const uint32_t lo4 = LO ? 0x01010101u * (uint8_t)params->act_min : 0u; \
        const uint32_t hi4 = LO == 2 ? 0x01010101u * (uint8_t)params->act_max : 0u; \
        int8_t *const tail = (int8_t *)(void *)scratch; /* used only when PAD */ \
        if (((params->stride.h | params->stride.w) == 1) & ((params->in_row | params->out_row) == 0)) { \
            const int32_t c = PAD ? input_dims->c : (C), out_c = output_dims->c; \
            const int32_t npix = output_dims->n * output_dims->h * output_dims->w, m = PAD ? npix - 1 : npix; \
            if (!PAD || m > 0) { /* (a layer has at least one pixel) */ \
                FN(input, c, m, output, tab, lo4, hi4); \
            } \
            if (PAD) { \
                memcpy(tail, input + (int64_t)m * c, (size_t)c); \
                memset(tail + c, 0, (size_t)((C) - c)); \
                MCU_COMPILER_BARRIER(); /* the copy is written before the assembly reads it */ \
                FN(tail, C, 1, output + (int64_t)m * out_c, tab, lo4, hi4); \
            } \
            return MCU_OK; \
        } \
        (PAD ? conv_1x1_small_rows_padded : conv_1x1_small_rows)(params, input_dims, input, output_dims, output, tab, \
                                                                 FN##_pairs, FN##_one, \
                                                                 (const int8_t *)(uintptr_t)hi4, lo4, \
                                                                 (uint32_t *)(void *)scratch, tail); \
        return MCU_OK; \
    }
#define MCU_X_ENTRIES1(C, P, PAD) \
    MCU_X_ENTRY(mcu_conv_1x1_small_c##C##x##P##_ssat_dsp_s8, C, smallx##C, 0, PAD) \
    MCU_X_ENTRY(mcu_conv_1x1_small_c##C##x##P##_ssat_post_dsp_s8, C, smallx##C##_post, 0, PAD) \
    MCU_X_ENTRY(mcu_conv_1x1_small_c##C##x##P##_ssat_m2_dsp_s8, C, smallx##C##_m2, 0, PAD) \
    MCU_X_ENTRY(mcu_conv_1x1_small_c##C##x##P##_ssat_post_m2_dsp_s8, C, smallx##C##_post_m2, 0, PAD) \
    MCU_X_ENTRY(mcu_conv_1x1_small_c##C##x##P##_ssat_lo_dsp_s8, C, smallx##C##_lo, 1, PAD) \
    MCU_X_ENTRY(mcu_conv_1x1_small_c##C##x##P##_ssat_lo_post_dsp_s8, C, smallx##C##_lo_post, 1, PAD) \
    MCU_X_ENTRY(mcu_conv_1x1_small_c##C##x##P##_ssat_lo_m2_dsp_s8, C, smallx##C##_lo_m2, 1, PAD) \
    MCU_X_ENTRY(mcu_conv_1x1_small_c##C##x##P##_ssat_lo_post_m2_dsp_s8, C, smallx##C##_lo_post_m2, 1, PAD) \
    MCU_X_ENTRY(mcu_conv_1x1_small_c##C##x##P##_ssat_lh_dsp_s8, C, smallx##C##_lh, 2, PAD) \
    MCU_X_ENTRY(mcu_conv_1x1_small_c##C##x##P##_ssat_lh_post_dsp_s8, C, smallx##C##_lh_post, 2, PAD) \
    MCU_X_ENTRY(mcu_conv_1x1_small_c##C##x##P##_ssat_lh_m2_dsp_s8, C, smallx##C##_lh_m2, 2, PAD) \
    MCU_X_ENTRY(mcu_conv_1x1_small_c##C##x##P##_ssat_lh_post_m2_dsp_s8, C, smallx##C##_lh_post_m2, 2, PAD)
#define MCU_X_ENTRIES(C) MCU_X_ENTRIES1(C, , 0) MCU_X_ENTRIES1(C, p, 1)
MCU_X_ENTRIES(8)
MCU_X_ENTRIES(12)
MCU_X_ENTRIES(16)
MCU_X_ENTRIES1(18, p, 1) /* depths 17 and 18 (18 without the copy would do: its LDRH ends at the pixel's end) */
#undef MCU_X_ENTRIES
#undef MCU_X_ENTRIES1
#undef MCU_X_ENTRY

/* k x k convolution (any kernel size, stride, dilation and padding, no groups): two output pixels at a
 * time are gathered as int8 patches (kxk_patch), expanded like the 1x1 path's pixel pair with the input
 * offset added, and every output channel pair meets them in the 1x1 path's assembly, the filter rows
 * read as int8 and widened with SXTB16 on the fly. Input depths that are multiples of 4 (_kxk_) and the
 * others (gathered patches, _kxk_gathered_) have their own entry points. */
#define MCU_CONV_KXK_DSP(NAME, KXK, MODE, VAR) \
    mcu_status NAME(const mcu_conv_params *params, const mcu_per_channel_quant *quant, \
                    const mcu_dims *input_dims, const int8_t *input, const mcu_dims *filter_dims, \
                    const int8_t *filter, const int32_t *bias, const mcu_dims *output_dims, int8_t *output, \
                    int16_t *scratch) \
    { \
        conv_pairs_body(params, quant, input_dims, input, filter_dims, output_dims, filter, bias, output, \
                        scratch, MODE, KXK, VAR, 0); \
        return MCU_OK; \
    }
MCU_CONV_KXK_DSP(mcu_conv_kxk_dsp_ssat_s8, 1, MCU_CLAMP_SSAT, MCU_V_PLAIN)
MCU_CONV_KXK_DSP(mcu_conv_kxk_dsp_ssat_lo_s8, 1, MCU_CLAMP_SSAT_LO, MCU_V_PLAIN)
MCU_CONV_KXK_DSP(mcu_conv_kxk_dsp_both_s8, 1, MCU_CLAMP_BOTH, MCU_V_PLAIN)
MCU_CONV_KXK_DSP(mcu_conv_kxk_dsp_tri_ssat_s8, 1, MCU_CLAMP_SSAT, MCU_V_MULTI)
MCU_CONV_KXK_DSP(mcu_conv_kxk_dsp_tri_ssat_lo_s8, 1, MCU_CLAMP_SSAT_LO, MCU_V_MULTI)
MCU_CONV_KXK_DSP(mcu_conv_kxk_dsp_tri1_ssat_s8, 1, MCU_CLAMP_SSAT, MCU_V_MULTI1)
MCU_CONV_KXK_DSP(mcu_conv_kxk_dsp_tri1_ssat_lo_s8, 1, MCU_CLAMP_SSAT_LO, MCU_V_MULTI1)
MCU_CONV_KXK_DSP(mcu_conv_kxk_gathered_dsp_ssat_s8, 2, MCU_CLAMP_SSAT, MCU_V_PLAIN)
MCU_CONV_KXK_DSP(mcu_conv_kxk_gathered_dsp_ssat_lo_s8, 2, MCU_CLAMP_SSAT_LO, MCU_V_PLAIN)
MCU_CONV_KXK_DSP(mcu_conv_kxk_gathered_dsp_both_s8, 2, MCU_CLAMP_BOTH, MCU_V_PLAIN)
MCU_CONV_KXK_DSP(mcu_conv_kxk_gathered_dsp_quad_ssat_s8, 2, MCU_CLAMP_SSAT, MCU_V_MULTI)
MCU_CONV_KXK_DSP(mcu_conv_kxk_gathered_dsp_quad1_ssat_s8, 2, MCU_CLAMP_SSAT, MCU_V_MULTI1)
#undef MCU_CONV_KXK_DSP

/* Value q of a ring row into both copies (copy 1 holds the row's first n - 1 values). */
static inline void rows3_set(int16_t *slot, int32_t q, int32_t v, int32_t n)
{
    slot[4 * (q >> 1) + (q & 1)] = (int16_t)v;
    if (q + 1 < n) {
        slot[4 * ((q + 1) >> 1) + 2 + ((q + 1) & 1)] = (int16_t)v;
    }
}

/* Values i .. i + 4 * groups - 1 of a ring row (i even) from src: four per step (SXTB16 and SADD16 of the
 * offset, halfword packing; the shifted copy's words from the same halfwords, `prev` holding value i - 1
 * in its top half); returns the last group's values 2, 3 (so value i + 4 * groups - 1 in the top half). */
static inline __attribute__((always_inline)) uint32_t rows3_widen(const int8_t *src, int32_t groups,
                                                                  uint32_t *r, uint32_t off2, uint32_t prev,
                                                                  const int shifted)
{
    for (const int8_t *end = src + 4 * groups; src != end; src += 4, r += 4) {
        const uint32_t v = mcu_load_u32(src);
        const uint32_t lo = (uint32_t)__sadd16((int16x2_t)mcu_sxtb16(v), (int16x2_t)off2);
        const uint32_t hi = (uint32_t)__sadd16((int16x2_t)mcu_sxtb16_ror8(v), (int16x2_t)off2);
        uint32_t p01, p23;
        __asm__("pkhbt %0, %1, %2, lsl #16" : "=r"(p01) : "r"(lo), "r"(hi));
        __asm__("pkhtb %0, %1, %2, asr #16" : "=r"(p23) : "r"(hi), "r"(lo));
        r[0] = p01;
        r[2] = p23;
        if (shifted) {
            r[1] = (prev >> 16) | (p01 << 16);
            r[3] = (p01 >> 16) | (p23 << 16);
        }
        prev = p23;
    }
    return prev;
}

static __attribute__((noinline)) uint32_t rows3_widen_plain(const int8_t *src, int32_t groups, uint32_t *r,
                                                            uint32_t off2, uint32_t prev)
{
    return rows3_widen(src, groups, r, off2, prev, 0);
}

static __attribute__((noinline)) uint32_t rows3_widen_shifted(const int8_t *src, int32_t groups, uint32_t *r,
                                                              uint32_t off2, uint32_t prev)
{
    return rows3_widen(src, groups, r, off2, prev, 1);
}

/* One ring slot: input row iy as int16 (x + in_off), columns q = 0.. <-> ix = q - pad_w, zero outside
 * the input (padding contributes nothing), in two interleaved copies: word 2j holds halfwords 2j, 2j + 1
 * of the row, word 2j + 1 halfwords 2j - 1, 2j (the row shifted by one), so the taps of every pixel
 * start on a word boundary in one of the copies (copy 1 only when `shifted`). `words` words per copy.
 * The values outside the input row are 0 in every row: written when the slot is filled for the first
 * time in a call (`first`) or holds a row outside the input, and never overwritten. Input rows lie
 * `in_row` bytes apart. */
static void rows3_fill(const mcu_dims *in, const int8_t *in_batch, int32_t in_row, int32_t iy, int32_t pad_w,
                       int32_t in_off, int32_t words, int16_t *slot, int shifted, int first)
{
    const int32_t c = in->c, n = 2 * words, lim = shifted ? n : 0; /* copy 1 up to lim */
    const int32_t lead = pad_w * c, body = in->w * c;
    const int32_t stop = lead + body < n ? lead + body : n;
    uint32_t *z = (uint32_t *)(void *)slot;
    if (iy < 0 || iy >= in->h) {
        for (int32_t j = 0; j < words; ++j, z += 2) {
            z[0] = 0;
            z[1] = 0;
        }
        return;
    }
    if (first) { /* the words of both copies holding a value outside the input row */
        const int32_t jl = mcu_min_i32(words, lead / 2 + 1), jh = mcu_min_i32(words, mcu_max_i32(jl, stop / 2));
        for (int32_t j = 0; j < jl; ++j) {
            z[2 * j] = 0;
            z[2 * j + 1] = 0;
        }
        for (int32_t j = jh; j < words; ++j) {
            z[2 * j] = 0;
            z[2 * j + 1] = 0;
        }
    }
    const int8_t *src = in_batch + (int64_t)iy * in_row;
    int32_t i = lead < n ? lead : n;
    if (i & 1 && i < stop) {
        rows3_set(slot, i, src[i - lead] + in_off, lim);
        ++i;
    }
    const int32_t off2 = (in_off & 0xFFFF) | (in_off << 16);
    uint32_t *r = (uint32_t *)(void *)slot + 2 * (i >> 1);
    uint32_t prev = i > 0 ? (uint32_t)(uint16_t)slot[4 * ((i - 1) >> 1) + ((i - 1) & 1)] << 16 : 0;
    const int32_t groups = (stop - i) >> 2;
    if (groups > 0) {
        prev = shifted ? rows3_widen_shifted(src + (i - lead), groups, r, (uint32_t)off2, prev)
                       : rows3_widen_plain(src + (i - lead), groups, r, (uint32_t)off2, prev);
        i += 4 * groups;
        r += 4 * groups;
    }
    const int32_t left = stop - i; /* 0 .. 3 values */
    if (left > 0 && src + (i - lead) + 4 <= in_batch + (int64_t)(in->h - 1) * in_row + body) {
        /* one more group of four read from the input, the values past the row's end kept 0 */
        const uint32_t v = mcu_load_u32(src + (i - lead));
        const uint32_t lo = (uint32_t)__sadd16((int16x2_t)mcu_sxtb16(v), (int16x2_t)off2);
        const uint32_t hi = (uint32_t)__sadd16((int16x2_t)mcu_sxtb16_ror8(v), (int16x2_t)off2);
        uint32_t p01, p23;
        __asm__("pkhbt %0, %1, %2, lsl #16" : "=r"(p01) : "r"(lo), "r"(hi));
        __asm__("pkhtb %0, %1, %2, asr #16" : "=r"(p23) : "r"(hi), "r"(lo));
        p01 &= left >= 2 ? 0xFFFFFFFFu : 0xFFFFu;
        p23 &= left == 3 ? 0xFFFFu : 0u;
        r[0] = p01;
        r[2] = p23;
        if (shifted) {
            r[1] = (prev >> 16) | (p01 << 16);
            r[3] = (p01 >> 16) | (p23 << 16);
        }
        return;
    }
    if (groups > 0 && i < lim) { /* hw i - 1 opens copy 1's word i / 2 */
        slot[4 * (i >> 1) + 2] = (int16_t)(prev >> 16);
    }
    for (; i < stop; ++i) {
        rows3_set(slot, i, src[i - lead] + in_off, lim);
    }
}

/* Two output channels x two pixels of a 3x3 convolution from the ring rows: row k of pixel A starts at
 * word 0 of pa[k] (every other word), of pixel B `boff` words further; w holds (ch0, ch1) word pairs,
 * row by row. */
static void rows3_dot(const uint32_t *const pa[3], int32_t boff, const uint32_t *w, const int32_t nw,
                      int32_t acc[4])
{
    int32_t a00 = acc[0], a01 = acc[1], a10 = acc[2], a11 = acc[3];
    for (int32_t k = 0; k < 3; ++k) {
        const uint32_t *xa = pa[k], *xb = pa[k] + boff;
        for (int32_t j = 0; j < nw; ++j) {
            const uint32_t va = xa[2 * j], vb = xb[2 * j], u0 = w[0], u1 = w[1];
            w += 2;
            a00 = mcu_smlad(va, u0, a00);
            a01 = mcu_smlad(va, u1, a01);
            a10 = mcu_smlad(vb, u0, a10);
            a11 = mcu_smlad(vb, u1, a11);
        }
    }
    acc[0] = a00;
    acc[1] = a01;
    acc[2] = a10;
    acc[3] = a11;
}

/* Every complete output channel pair of a pixel pair in one block of assembly (clamp modes
 * MCU_CLAMP_SSAT / MCU_CLAMP_SSAT_LO), for nw words per kernel row and pixel B BOFF words after
 * pixel A: per word one LDRD of the pair's two doubled weights, two input LDRs and four SMLADs. The
 * pair's requantization table follows its 6 * nw words of weights, so one pointer walks both. */
#define MCU_R3_STEP(P, J, BOFF) \
    "ldrd   %[u0], %[u1], [%[w]], #8\n\t" \
    "ldr    %[xa], [%[" P "], #(8 * " #J ")]\n\t" \
    "ldr    %[xb], [%[" P "], #(8 * " #J " + 4 * " #BOFF ")]\n\t" \
    "smlad  %[a00], %[xa], %[u0], %[a00]\n\t" \
    "smlad  %[a01], %[xa], %[u1], %[a01]\n\t" \
    "smlad  %[a10], %[xb], %[u0], %[a10]\n\t" \
    "smlad  %[a11], %[xb], %[u1], %[a11]\n\t"
#define MCU_R3_ROW2(P, B) MCU_R3_STEP(P, 0, B) MCU_R3_STEP(P, 1, B)
#define MCU_R3_ROW3(P, B) MCU_R3_ROW2(P, B) MCU_R3_STEP(P, 2, B)
#define MCU_R3_ROW5(P, B) MCU_R3_ROW3(P, B) MCU_R3_STEP(P, 3, B) MCU_R3_STEP(P, 4, B)
#define MCU_R3_RQ(A, B, OFF) \
    "ldrd   %[u0], %[u1], [%[w], #" OFF "]\n\t" \
    "smmlar %[xa], %[" A "], %[u0], %[u1]\n\t" \
    "add    %[" A "], %[xa], %[" A "], asr #31\n\t" \
    "smmlar %[xa], %[" B "], %[u0], %[u1]\n\t" \
    "add    %[" B "], %[xa], %[" B "], asr #31\n\t"
#define MCU_R3_PAIRS(ROW, NW, BOFF, LO, P) \
    "1:\n\t" \
    "ldrd   %[a00], %[a01], [%[w], #(24 * " #NW ")]\n\t" \
    "mov    %[a10], %[a00]\n\t" \
    "mov    %[a11], %[a01]\n\t" \
    ROW("p0", BOFF) ROW("p1", BOFF) ROW("p2", BOFF) \
    MCU_R3_RQ("a00", "a10", "8") MCU_R3_RQ("a01", "a11", "16") \
    "ldrd   %[u0], %[u1], [%[w], #24]\n\t" \
    MCU_ASR_SSAT4(P, "u0", "u1") \
    LO \
    "add    %[w], %[w], #32\n\t" \
    "ldr    %[xa], %[wend]\n\t" \
    "cmp    %[w], %[xa]\n\t" \
    "bne    1b\n\t"
#define MCU_R3_OPERANDS \
    : [a00] "=&r"(a00), [a01] "=&r"(a01), [a10] "=&r"(a10), [a11] "=&r"(a11), [w] "+&r"(w), \
      [oa] "+&r"(oa), [ob] "+&r"(ob), [u0] "=&r"(u0), [u1] "=&r"(u1), [xa] "=&r"(xa), [xb] "=&r"(xb) \
    : [p0] "r"(pa[0]), [p1] "r"(pa[1]), [p2] "r"(pa[2]), [wend] "m"(frame_wend), [lo] "m"(frame_lo) \
    : "cc", "memory"
#define MCU_R3_LO \
    "bfi    %[a00], %[a01], #8, #8\n\t" \
    "bfi    %[a00], %[a10], #16, #8\n\t" \
    "bfi    %[a00], %[a11], #24, #8\n\t" \
    "ldr    %[xb], %[lo]\n\t" \
    "ssub8  %[xa], %[a00], %[xb]\n\t" \
    "sel    %[a00], %[a00], %[xb]\n\t" \
    "strh   %[a00], [%[oa]], #2\n\t" \
    "lsr    %[a00], %[a00], #16\n\t" \
    "strh   %[a00], [%[ob]], #2\n\t"
#define MCU_R3_ST \
    "strb   %[a00], [%[oa]], #1\n\t" \
    "strb   %[a01], [%[oa]], #1\n\t" \
    "strb   %[a10], [%[ob]], #1\n\t" \
    "strb   %[a11], [%[ob]], #1\n\t"
#define MCU_R3_LOOP(ROW, NW, BOFF, LO, P) \
    for (int32_t i = 0; i < npx; ++i, out += 2 * out_c) { \
        const uint32_t *const pa[3] = {rows[0] + i * step, rows[1] + i * step, rows[2] + i * step}; \
        const uint32_t *w = wexp; \
        int8_t *oa = out, *ob = out + out_c; \
        __asm__ volatile(MCU_R3_PAIRS(ROW, NW, BOFF, LO, P) MCU_R3_OPERANDS); \
    }
#define MCU_R3_FN(NAME, ROW, NW, BOFF) \
    static void NAME(const uint32_t *const rows[3], int32_t npx, int32_t step, const uint32_t *wexp, \
                     int32_t pairs, int8_t *out, int32_t out_c, int32_t lo, int lower, int post) \
    { \
        const uint32_t *frame_wend = wexp + (int64_t)pairs * (6 * NW + 8); \
        const uint32_t frame_lo = 0x01010101u * (uint8_t)lo; /* act_min in every byte */ \
        int32_t a00, a01, a10, a11; \
        uint32_t u0, u1, xa, xb; \
        if (lower) { /* ReLU with a zero point above -128: rare, one variant */ \
            MCU_R3_LOOP(ROW, NW, BOFF, MCU_R3_LO, MCU_POST) \
        } else if (post) { \
            MCU_R3_LOOP(ROW, NW, BOFF, MCU_R3_ST, MCU_POST) \
        } else { \
            MCU_R3_LOOP(ROW, NW, BOFF, MCU_R3_ST, MCU_NO_POST) \
        } \
        (void)a00, (void)a01, (void)a10, (void)a11, (void)u0, (void)u1, (void)xa, (void)xb; \
    }
/* (input depth, stride): nw = ceil(3c / 2) words per kernel row; pixel B starts s * c halfwords after
 * pixel A (whose start is even), in copy 0 (s * c even: s * c words on) or copy 1 (s * c + 2). */
MCU_R3_FN(rows3_pairs_c1s1, MCU_R3_ROW2, 2, 3)
MCU_R3_FN(rows3_pairs_c1s2, MCU_R3_ROW2, 2, 2)
MCU_R3_FN(rows3_pairs_c2s1, MCU_R3_ROW3, 3, 2)
MCU_R3_FN(rows3_pairs_c2s2, MCU_R3_ROW3, 3, 4)
MCU_R3_FN(rows3_pairs_c3s1, MCU_R3_ROW5, 5, 5)
MCU_R3_FN(rows3_pairs_c3s2, MCU_R3_ROW5, 5, 6)
#undef MCU_R3_FN
#undef MCU_R3_LOOP
#undef MCU_R3_LO
#undef MCU_R3_ST

/* The complete channel pairs of npx complete pixel pairs of one output row (pixel pair i's rows `step`
 * words after pair i - 1's, its outputs 2 * out_c bytes after). */
typedef void (*rows3_pairs_fn)(const uint32_t *const rows[3], int32_t npx, int32_t step, const uint32_t *wexp,
                               int32_t pairs, int8_t *out, int32_t out_c, int32_t lo, int lower, int post);

/* 3x3 convolution (dilation 1, stride 1 or 2, input depth <= 3: first convolutions): each input row is
 * widened once into a ring of three int16 rows (input offset applied, padding 0, two interleaved copies
 * shifted by one value) and every output pixel reads its 3 x 3c taps straight from the ring,
 * ceil(3c / 2) words per row (the odd tap meets a zero weight); two pixels x two output channels per
 * inner step, the weights doubled so the accumulators feed mcu_out2_dsp. */
static __attribute__((noinline)) mcu_status conv_3x3_rows(
    const mcu_conv_params *params, const mcu_per_channel_quant *quant, const mcu_dims *input_dims,
    const int8_t *input, const int8_t *filter, const int32_t *bias, const mcu_dims *output_dims, int8_t *output,
    int16_t *scratch, const rows3_pairs_fn run)
{
    const int mode = mcu_clamp_mode(params->act_min, params->act_max);
    const int32_t c = input_dims->c, sw = params->stride.w;
    const int32_t in_h = input_dims->h, in_w = input_dims->w;
    const int32_t out_h = output_dims->h, out_w = output_dims->w, out_c = output_dims->c;
    const int32_t in_row = params->in_row ? params->in_row : in_w * c;
    const int32_t out_row = params->out_row ? params->out_row : out_w * out_c;
    const int32_t nw = (3 * c + 1) / 2, words = mcu_conv_3x3_rows_words(input_dims);
    const int32_t boff = (sw * c) % 2 == 0 ? sw * c : sw * c + 2;
    const int32_t pairs = (out_c + 1) / 2, full = mode != MCU_CLAMP_BOTH ? out_c / 2 : 0;
    const int32_t in_off = params->bias_folded ? 0 : params->input_offset;
    const int32_t lo = params->act_min, hi = params->act_max;
    /* per channel pair: doubled weights, (ch0, ch1) word pairs (word j of row k holds taps 2j, 2j + 1
     * of the row's 3c), then the pair's requantization table (mcu_fill_requant_pair): the layer's table
     * in flash (computed by the code generator, ops.rows3_table), else filled here at the scratch's start */
    const int32_t block = 3 * nw * 2 + 8;
    const uint32_t *wexp = (const uint32_t *)(const void *)params->table;
    int16_t *ring = scratch;
    if (wexp == 0) {
        uint32_t *fill = (uint32_t *)(void *)scratch;
        ring = (int16_t *)(void *)(fill + (int64_t)pairs * block);
        fill_requant_table(quant, bias, out_c, params->output_offset, (int32_t *)(void *)(fill + 3 * nw * 2),
                           block);
        for (int32_t oc = 0; oc < 2 * pairs; ++oc) { /* halfword t of row k of channel h of pair pr */
            const int8_t *f = filter + (int64_t)(oc < out_c ? oc : out_c - 1) * 9 * c;
            int16_t *d = (int16_t *)(void *)(fill + (int64_t)(oc >> 1) * block) + 2 * (oc & 1);
            for (int32_t k = 0; k < 3; ++k, d += 4 * nw) {
                for (int32_t t = 0; t < 3 * c; ++t) {
                    d[4 * (t >> 1) + (t & 1)] = (int16_t)(2 * *f++);
                }
                if (c & 1) { /* 3c odd: the last word's second tap meets a zero weight */
                    d[4 * ((3 * c) >> 1) + 1] = 0;
                }
            }
        }
        wexp = fill;
    }
    int16_t *slots[3];
    slots[0] = ring;
    slots[1] = slots[0] + 4 * words;
    slots[2] = slots[1] + 4 * words;
    /* whether any channel of the assembly's pairs adds its zero point after the shift */
    const int post = mcu_requant_post((const int32_t *)(const void *)(wexp + 3 * nw * 2), full, block);
    for (int32_t b = 0; b < input_dims->n; ++b) {
        const int8_t *in_batch = input + (int64_t)b * in_h * in_row;
        int32_t held[3] = {INT32_MIN, INT32_MIN, INT32_MIN};
        for (int32_t oy = 0; oy < out_h; ++oy) {
            const int32_t iy0 = oy * params->stride.h - params->padding.h;
            const uint32_t *rows[3];
            for (int32_t k = 0; k < 3; ++k) {
                const int32_t iy = iy0 + k;
                const int32_t s = (int32_t)(((uint32_t)(iy + 3 * 65536)) % 3u);
                if (held[s] != iy) {
                    rows3_fill(input_dims, in_batch, in_row, iy, params->padding.w, in_off, words, slots[s],
                               (sw * c) % 2, held[s] == INT32_MIN);
                    held[s] = iy;
                }
                rows[k] = (const uint32_t *)(const void *)slots[s];
            }
            MCU_COMPILER_BARRIER(); /* weights and ring rows are written before the assembly reads them */
            int8_t *out_px = output + ((int64_t)b * out_h + oy) * out_row;
            int32_t ox = 0; /* the pixel pairs whose every channel pair the assembly ran are done */
            if (full > 0 && out_w >= 2) {
                run(rows, out_w / 2, 2 * sw * c, wexp, full, out_px, out_c, lo, mode == MCU_CLAMP_SSAT_LO, post);
                ox = full == pairs ? out_w & ~1 : 0;
            }
            for (; ox < out_w; ox += 2) {
                /* pixel A (ox even) starts at halfword ox * sw * c of copy 0 */
                const uint32_t *const pa[3] = {rows[0] + ox * sw * c, rows[1] + ox * sw * c,
                                               rows[2] + ox * sw * c};
                const int two = ox + 1 < out_w;
                int32_t pr = two ? full : 0; /* the pairs left by the assembly */
                int8_t *out_a = out_px + (int64_t)ox * out_c + 2 * pr, *out_b = two ? out_a + out_c : out_a;
                const uint32_t *w = wexp + (int64_t)pr * block;
                for (; pr < pairs; ++pr, w += block) {
                    const int32_t *q = (const int32_t *)(const void *)(w + 3 * nw * 2);
                    int32_t acc[4];
                    acc[0] = acc[2] = q[0];
                    acc[1] = acc[3] = q[1];
                    rows3_dot(pa, two ? boff : 0, w, nw, acc);
                    if (2 * pr + 1 < out_c) {
                        store_2x2(acc, q, &out_a, &out_b, lo, hi, MCU_CLAMP_BOTH);
                    } else {
                        out_b[0] = out_ch0(acc[2], q, lo, hi, MCU_CLAMP_BOTH);
                        out_a[0] = out_ch0(acc[0], q, lo, hi, MCU_CLAMP_BOTH);
                    }
                }
            }
        }
    }
    return MCU_OK;
}

/* One entry point per (input depth, stride), so a firmware links only the assembly its layers use
 * (mcu_conv_3x3_rows_dsp_s8 in mcu_engine.h picks one). */
#define MCU_R3_ENTRY(C, S) \
    mcu_status mcu_conv_3x3_rows_dsp_c##C##s##S##_s8( \
        const mcu_conv_params *params, const mcu_per_channel_quant *quant, const mcu_dims *input_dims, \
        const int8_t *input, const mcu_dims *filter_dims, const int8_t *filter, const int32_t *bias, \
        const mcu_dims *output_dims, int8_t *output, int16_t *scratch) \
    { \
        (void)filter_dims; \
        return conv_3x3_rows(params, quant, input_dims, input, filter, bias, output_dims, output, scratch, \
                             rows3_pairs_c##C##s##S); \
    }
MCU_R3_ENTRY(1, 1)
MCU_R3_ENTRY(1, 2)
MCU_R3_ENTRY(2, 1)
MCU_R3_ENTRY(2, 2)
MCU_R3_ENTRY(3, 1)
MCU_R3_ENTRY(3, 2)
#undef MCU_R3_ENTRY

/* ---- 3x3 convolutions on one input channel (first convolutions) ----------------------------------
 * The ring holds the three input rows as int16 (x + input offset, 0 outside the input) in two copies
 * of `words` column words, column-interleaved by ring slot: copy 0 word 3j + s holds values 2j, 2j + 1
 * of the row in slot s, copy 1 word 3j + s values 2j - 1, 2j (the row shifted by one value; stride 1
 * only). An output pixel whose taps start at value h reads six consecutive words, its copy's column
 * words j and j + 1 of the three slots, with one LDM: X01 and X23 of each row. */

/* Value q of a ring row into both copies (c0, c1: the slot's word 0, words 3 apart). */
static inline void c1_set(uint32_t *c0, uint32_t *c1, int32_t q, int32_t v, int shifted)
{
    int16_t *h0 = (int16_t *)(void *)(c0 + 3 * (q >> 1));
    h0[q & 1] = (int16_t)v;
    if (shifted) {
        int16_t *h1 = (int16_t *)(void *)(c1 + 3 * ((q + 1) >> 1));
        h1[(q & 1) ^ 1] = (int16_t)v;
    }
}

/* Input row src (NULL: outside the input) into ring slot (c0, c1): values q = 0 .. 2 * words - 1 <->
 * input column q - pw. The values outside the input are 0 in every row: written when the slot is filled
 * for the first time in a call (`first`) or with a row outside the input, and never overwritten; the
 * values inside it are written as interior groups of four (SXTB16, SADD16 of the offset) and the one to
 * three left at each end one by one. */
static inline __attribute__((always_inline)) void c1_fill_body(const int8_t *src, int32_t in_w, int32_t pw,
                                                               uint32_t off2, int32_t words, uint32_t *c0,
                                                               uint32_t *c1, int first, const int shifted)
{
    const int32_t n = 2 * words;
    if (src == 0 || first) {
        for (int32_t j = 0; j < 3 * words; j += 3) {
            c0[j] = 0;
            if (shifted) {
                c1[j] = 0;
            }
        }
        if (src == 0) {
            return;
        }
    }
    const int32_t in_off = (int16_t)(off2 & 0xFFFFu);
    const int32_t end = mcu_min_i32(n, pw + in_w); /* values pw <= q < end lie inside the input */
    int32_t q = pw;
    for (const int32_t qa = mcu_min_i32(end, (pw + 1) & ~1); q < qa; ++q) {
        c1_set(c0, c1, q, src[q - pw] + in_off, shifted);
    }
    if (q + 4 <= end) {
        uint32_t prev = q > 0 ? (c0[3 * ((q - 1) >> 1)] >> 16) << 16 : 0; /* value q - 1 (q even) on top */
        uint32_t *d0 = c0 + 3 * (q >> 1), *d1 = c1 + 3 * (q >> 1);
        const int8_t *s = src + (q - pw);
        int32_t groups = (end - q) >> 2;
        q += 4 * groups;
        /* per group: l = (v0, v2), h = (v1, v3) with the offset added (SXTAB16); copy 0 gets (v0, v1) and
         * (v2, v3), copy 1 (v-1, v0) and (v1, v2) (prev: v-1 in its bottom half) */
        uint32_t v, l, h, t;
        prev >>= 16;
        if (shifted) {
            __asm__ volatile("1:\n\t"
                             "ldr     %[v], [%[s]], #4\n\t"
                             "sxtab16 %[l], %[o], %[v]\n\t"
                             "sxtab16 %[h], %[o], %[v], ror #8\n\t"
                             "pkhbt   %[t], %[prev], %[l], lsl #16\n\t"
                             "str     %[t], [%[d1]]\n\t"
                             "pkhtb   %[t], %[l], %[h]\n\t"
                             "str     %[t], [%[d1], #12]\n\t"
                             "add     %[d1], %[d1], #24\n\t"
                             "lsr     %[prev], %[h], #16\n\t"
                             "pkhbt   %[t], %[l], %[h], lsl #16\n\t"
                             "pkhtb   %[h], %[h], %[l], asr #16\n\t"
                             "str     %[h], [%[d0], #12]\n\t"
                             "str     %[t], [%[d0]], #24\n\t"
                             "subs    %[n], %[n], #1\n\t"
                             "bne     1b\n\t"
                             : [s] "+&r"(s), [d0] "+&r"(d0), [d1] "+&r"(d1), [n] "+&r"(groups), [prev] "+&r"(prev),
                               [v] "=&r"(v), [l] "=&r"(l), [h] "=&r"(h), [t] "=&r"(t)
                             : [o] "r"(off2)
                             : "cc", "memory");
            if (q < n) { /* value q - 1 opens copy 1's word q / 2 */
                *(int16_t *)(void *)d1 = (int16_t)prev;
            }
        } else {
            __asm__ volatile("1:\n\t"
                             "ldr     %[v], [%[s]], #4\n\t"
                             "sxtab16 %[l], %[o], %[v]\n\t"
                             "sxtab16 %[h], %[o], %[v], ror #8\n\t"
                             "pkhbt   %[t], %[l], %[h], lsl #16\n\t"
                             "pkhtb   %[h], %[h], %[l], asr #16\n\t"
                             "str     %[h], [%[d0], #12]\n\t"
                             "str     %[t], [%[d0]], #24\n\t"
                             "subs    %[n], %[n], #1\n\t"
                             "bne     1b\n\t"
                             : [s] "+&r"(s), [d0] "+&r"(d0), [n] "+&r"(groups), [v] "=&r"(v), [l] "=&r"(l),
                               [h] "=&r"(h), [t] "=&r"(t)
                             : [o] "r"(off2)
                             : "cc", "memory");
        }
        (void)v, (void)l, (void)h, (void)t, (void)d1;
    }
    for (; q < end; ++q) {
        c1_set(c0, c1, q, src[q - pw] + in_off, shifted);
    }
}

static __attribute__((noinline)) void c1_fill_s1(const int8_t *src, int32_t in_w, int32_t pw, uint32_t off2,
                                                 int32_t words, uint32_t *c0, uint32_t *c1, int first)
{
    c1_fill_body(src, in_w, pw, off2, words, c0, c1, first, 1);
}

static __attribute__((noinline)) void c1_fill_s2(const int8_t *src, int32_t in_w, int32_t pw, uint32_t off2,
                                                 int32_t words, uint32_t *c0, uint32_t *c1, int first)
{
    c1_fill_body(src, in_w, pw, off2, words, c0, c1, first, 0);
}

/* One output pixel, every output channel pair: the six words at x0 loaded (X01, X23 of slots 0, 1, 2 in
 * x0 .. x5), rows 0, 1, 2 of the window in slots (r, r + 1, r + 2) mod 3: R0 .. R2 their X01 words,
 * T0 .. T2 their X23 words; T0 becomes (tap 2 of row 0, tap 2 of row 1) and T1 holds the table's end.
 * Per pair (table entry of 18 words, ops.rows3c1_table): {2 * bias0, 2 * bias1, P0, P1 (each channel's
 * (w0, w1) of the row), P2, Y (w02, w12), Z (w22, 0), m0, k0, m1, k1, rz0, rz1}: 10 SMLAD, four LDM. */
#define MCU_C1_PAIRS(R0, R1, R2, T0, T1, T2, STORE, P, ADV) \
    "2:\n\t" \
    "ldrd   %[x0], %[u0], %[pp]\n\t" \
    "ldr    %[u1], %[step]\n\t" \
    "add    %[u1], %[x0], %[u1]\n\t" \
    "strd   %[u0], %[u1], %[pp]\n\t" \
    "ldm    %[x0], {%[x0], %[x1], %[x2], %[x3], %[x4], %[x5]}\n\t" \
    "pkhbt  %[" T0 "], %[" T0 "], %[" T1 "], lsl #16\n\t" \
    "ldr    %[" T1 "], %[wend]\n\t" \
    "ldr    %[w], %[tab]\n\t" \
    "1:\n\t" \
    "ldmia  %[w]!, {%[a0], %[a1], %[u0], %[u1], %[u2], %[u3]}\n\t" \
    "smlad  %[a0], %[" R0 "], %[u0], %[a0]\n\t" \
    "smlad  %[a1], %[" R0 "], %[u1], %[a1]\n\t" \
    "smlad  %[a0], %[" R1 "], %[u2], %[a0]\n\t" \
    "smlad  %[a1], %[" R1 "], %[u3], %[a1]\n\t" \
    "ldmia  %[w]!, {%[u0], %[u1], %[u2], %[u3]}\n\t" \
    "smlad  %[a0], %[" R2 "], %[u0], %[a0]\n\t" \
    "smlad  %[a1], %[" R2 "], %[u1], %[a1]\n\t" \
    "smlad  %[a0], %[" T0 "], %[u2], %[a0]\n\t" \
    "smlad  %[a1], %[" T0 "], %[u3], %[a1]\n\t" \
    "ldmia  %[w]!, {%[u0], %[u1], %[u2], %[u3]}\n\t" \
    "smlad  %[a0], %[" T2 "], %[u0], %[a0]\n\t" \
    "smlad  %[a1], %[" T2 "], %[u1], %[a1]\n\t" \
    "smmlar %[u3], %[a0], %[u2], %[u3]\n\t" \
    "add    %[a0], %[u3], %[a0], asr #31\n\t" \
    "ldmia  %[w]!, {%[u0], %[u1], %[u2], %[u3]}\n\t" \
    "smmlar %[u1], %[a1], %[u0], %[u1]\n\t" \
    "add    %[a1], %[u1], %[a1], asr #31\n\t" \
    MCU_ASR_P(P, "a0", "u2") MCU_ASR_P(P, "a1", "u3") \
    "ssat   %[a0], #8, %[a0]\n\t" \
    "ssat   %[a1], #8, %[a1]\n\t" \
    STORE \
    "cmp    %[w], %[" T1 "]\n\t" \
    "bne    1b\n\t" \
    ADV \
    "ldr    %[u0], %[oend]\n\t" \
    "cmp    %[o], %[u0]\n\t" \
    "bne    2b\n\t"
#define MCU_C1_ST \
    "strb   %[a0], [%[o]], #1\n\t" \
    "strb   %[a1], [%[o]], #1\n\t"
#define MCU_C1_LO \
    "bfi    %[a0], %[a1], #8, #8\n\t" \
    "ldr    %[u0], %[lo]\n\t" \
    "ssub8  %[u1], %[a0], %[u0]\n\t" \
    "sel    %[a0], %[a0], %[u0]\n\t" \
    "strh   %[a0], [%[o]], #2\n\t"
/* Both bounds (ReLU6 and the like): the two bytes clamped below and above at once. */
#define MCU_C1_BOTH \
    "bfi    %[a0], %[a1], #8, #8\n\t" \
    "ldr    %[u0], %[lo]\n\t" \
    "ssub8  %[u1], %[a0], %[u0]\n\t" \
    "sel    %[a0], %[a0], %[u0]\n\t" \
    "ldr    %[u0], %[hi]\n\t" \
    "ssub8  %[u1], %[a0], %[u0]\n\t" \
    "sel    %[a0], %[u0], %[a0]\n\t" \
    "strh   %[a0], [%[o]], #2\n\t"
#define MCU_C1_OPERANDS \
    : [x0] "+&r"(x0), [x1] "=&r"(x1), [x2] "=&r"(x2), [x3] "=&r"(x3), [x4] "=&r"(x4), [x5] "=&r"(x5), \
      [a0] "=&r"(a0), [a1] "=&r"(a1), [u0] "=&r"(u0), [u1] "=&r"(u1), [u2] "=&r"(u2), [u3] "=&r"(u3), \
      [w] "=&r"(w), [o] "+&r"(o), [pp] "+m"(frame_pp) \
    : [wend] "m"(frame_wend), [lo] "m"(frame_lo), [hi] "m"(frame_hi), [step] "m"(frame_step), \
      [tab] "m"(frame_tab), [oend] "m"(frame_oend) \
    : "cc", "memory"
/* The pixels of one output row: pixel i's six words at pp[0], then pp = {pp[1], pp[0] + step} (stride 1:
 * copy 0 and copy 1 alternate, stride 2: copy 0, 3 words on per pixel). */
#define MCU_C1_ROW(R0, R1, R2, T0, T1, T2, STORE, P, ADV) \
    __asm__ volatile(MCU_C1_PAIRS(R0, R1, R2, T0, T1, T2, STORE, P, ADV) MCU_C1_OPERANDS);
/* the window's rows 0, 1, 2 in slots rot, rot + 1, rot + 2 (mod 3) */
#define MCU_C1_ROTS3(STORE, P, ADV) \
    if (rot == 0) { \
        MCU_C1_ROW("x0", "x1", "x2", "x3", "x4", "x5", STORE, P, ADV) \
    } else if (rot == 1) { \
        MCU_C1_ROW("x1", "x2", "x0", "x4", "x5", "x3", STORE, P, ADV) \
    } else { \
        MCU_C1_ROW("x2", "x0", "x1", "x5", "x3", "x4", STORE, P, ADV) \
    }
/* an odd channel count: the pixel's last pair wrote one byte past it, the next pixel starts one back */
#define MCU_C1_ROTS(STORE, P) \
    if (odd) { \
        MCU_C1_ROTS3(STORE, P, "sub    %[o], %[o], #1\n\t") \
    } else { \
        MCU_C1_ROTS3(STORE, P, "") \
    }

static inline __attribute__((always_inline)) void c1_row_body(const uint32_t *p0, const uint32_t *p1, int32_t step,
                                                             int32_t npx, int32_t rot, const uint32_t *tab,
                                                             const uint32_t *tend, int8_t *out, int32_t out_c,
                                                             int32_t lo, int32_t hi, int mode, int post,
                                                             const int odd)
{
    register uint32_t x0 __asm__("r4");
    register uint32_t x1 __asm__("r5");
    register uint32_t x2 __asm__("r6");
    register uint32_t x3 __asm__("r8");
    register uint32_t x4 __asm__("r9");
    register uint32_t x5 __asm__("r10");
    register int32_t a0 __asm__("r0");
    register int32_t a1 __asm__("r1");
    register uint32_t u0 __asm__("r2");
    register uint32_t u1 __asm__("r3");
    register uint32_t u2 __asm__("r11");
    register uint32_t u3 __asm__("r12");
    register const uint32_t *w __asm__("r7");
    register int8_t *o __asm__("lr") = out;
    const uint32_t *frame_pp[2] = {p0, p1};
    const uint32_t *const frame_wend = tend, *const frame_tab = tab;
    const int8_t *const frame_oend = out + npx * out_c;
    const int32_t frame_step = step;
    const uint32_t frame_lo = 0x01010101u * (uint8_t)lo, frame_hi = 0x01010101u * (uint8_t)hi;
    if (mode == MCU_CLAMP_BOTH) { /* ReLU6 and the like: one variant */
        MCU_C1_ROTS(MCU_C1_BOTH, MCU_POST)
    } else if (mode == MCU_CLAMP_SSAT_LO) {
        if (post) {
            MCU_C1_ROTS(MCU_C1_LO, MCU_POST)
        } else {
            MCU_C1_ROTS(MCU_C1_LO, MCU_NO_POST)
        }
    } else if (post) {
        MCU_C1_ROTS(MCU_C1_ST, MCU_POST)
    } else {
        MCU_C1_ROTS(MCU_C1_ST, MCU_NO_POST)
    }
    (void)x0, (void)x1, (void)x2, (void)x3, (void)x4, (void)x5, (void)a0, (void)a1, (void)u0, (void)u1, (void)u2,
        (void)u3, (void)w;
}

/* The pixels of one output row, an even and an odd output channel count. */
static __attribute__((noinline)) void c1_row(const uint32_t *p0, const uint32_t *p1, int32_t step, int32_t npx,
                                             int32_t rot, const uint32_t *tab, const uint32_t *tend, int8_t *out,
                                             int32_t out_c, int32_t lo, int32_t hi, int mode, int post)
{
    c1_row_body(p0, p1, step, npx, rot, tab, tend, out, out_c, lo, hi, mode, post, 0);
}

static __attribute__((noinline)) void c1_row_odd(const uint32_t *p0, const uint32_t *p1, int32_t step,
                                                 int32_t npx, int32_t rot, const uint32_t *tab, const uint32_t *tend,
                                                 int8_t *out, int32_t out_c, int32_t lo, int32_t hi, int mode,
                                                 int post)
{
    c1_row_body(p0, p1, step, npx, rot, tab, tend, out, out_c, lo, hi, mode, post, 1);
}
#undef MCU_C1_PAIRS
#undef MCU_C1_ST
#undef MCU_C1_LO
#undef MCU_C1_BOTH
#undef MCU_C1_OPERANDS
#undef MCU_C1_ROW
#undef MCU_C1_ROTS
#undef MCU_C1_ROTS3

/* 3x3 convolution on one input channel (dilation 1, stride 1 or 2, the code generator's table
 * ops.rows3c1_table: word 0 whether a channel adds its zero point after the shift, then 18 words per output
 * channel pair, an odd count's last channel paired with itself): each input row widened once into the ring
 * above, every output pixel's six words loaded once for all its channels, two channels per pass. With an
 * odd channel count each pixel's last pair writes one byte past it, the next pixel's first channel, which
 * that pixel writes afterwards: the last pixel of each row runs alone into scratch (after the ring) and is
 * copied out. */
static inline __attribute__((always_inline)) void conv_3x3_c1_body(const mcu_conv_params *params,
                                                                  const mcu_dims *input_dims, const int8_t *input,
                                                                  const mcu_dims *output_dims, int8_t *output,
                                                                  int16_t *scratch, const int odd)
{
    const int32_t sw = params->stride.w, in_h = input_dims->h, in_w = input_dims->w;
    const int32_t out_h = output_dims->h, out_w = output_dims->w, out_c = output_dims->c;
    const int32_t in_row = params->in_row ? params->in_row : in_w;
    const int32_t out_row = params->out_row ? params->out_row : out_w * out_c;
    const int32_t words = mcu_conv_3x3_rows_words(input_dims), shifted = sw == 1;
    const int32_t in_off = params->bias_folded ? 0 : params->input_offset;
    const uint32_t off2 = ((uint32_t)in_off & 0xFFFFu) | ((uint32_t)in_off << 16);
    const int post = params->table[0];
    const uint32_t *tab = (const uint32_t *)(const void *)(params->table + 1);
    const uint32_t *tend = tab + 18 * ((out_c + 1) / 2);
    const int mode = mcu_clamp_mode(params->act_min, params->act_max);
    uint32_t *c0 = (uint32_t *)(void *)scratch, *c1 = c0 + 3 * words;
    /* stride 1: even pixels in copy 0 (word 3 * (i / 2)), odd ones in copy 1 (word 3 * ((i + 1) / 2)), each
     * 3 words on per pixel pair; stride 2: pixel i at copy 0's word 3 * i */
    const uint32_t *const p1 = sw == 1 ? c1 + 3 : c0 + 3;
    const int32_t step = sw == 1 ? 12 : 24;
    for (int32_t b = 0; b < input_dims->n; ++b) {
        const int8_t *in_batch = input + (int64_t)b * in_h * in_row;
        int32_t held[3] = {INT32_MIN, INT32_MIN, INT32_MIN};
        for (int32_t oy = 0; oy < out_h; ++oy) {
            const int32_t iy0 = oy * params->stride.h - params->padding.h;
            const int32_t rot = (int32_t)(((uint32_t)(iy0 + 3 * 65536)) % 3u);
            for (int32_t k = 0, s = rot; k < 3; ++k, s = s == 2 ? 0 : s + 1) {
                const int32_t iy = iy0 + k;
                if (held[s] != iy) {
                    const int8_t *src = iy >= 0 && iy < in_h ? in_batch + (int64_t)iy * in_row : 0;
                    (shifted ? c1_fill_s1 : c1_fill_s2)(src, in_w, params->padding.w, off2, words, c0 + s, c1 + s,
                                                        held[s] == INT32_MIN);
                    held[s] = iy;
                }
            }
            MCU_COMPILER_BARRIER(); /* the ring rows are written before the assembly reads them */
            int8_t *row = output + ((int64_t)b * out_h + oy) * out_row;
            if (!odd) {
                c1_row(c0, p1, step, out_w, rot, tab, tend, row, out_c, params->act_min, params->act_max, mode,
                       post);
                continue;
            }
            int8_t *last = (int8_t *)(void *)(c1 + 3 * words); /* out_c + 1 bytes of scratch */
            if (out_w > 1) {
                c1_row_odd(c0, p1, step, out_w - 1, rot, tab, tend, row, out_c, params->act_min, params->act_max,
                           mode, post);
            }
            const int32_t i = out_w - 1; /* pixel i's six words: stride 1 copy i % 2, else 3 i words on */
            const uint32_t *pi = sw == 1 ? (i & 1 ? c1 + 3 * ((i + 1) >> 1) : c0 + 3 * (i >> 1)) : c0 + 3 * i;
            c1_row_odd(pi, pi, 0, 1, rot, tab, tend, last, out_c, params->act_min, params->act_max, mode, post);
            for (int32_t ch = 0; ch < out_c; ++ch) {
                row[i * out_c + ch] = last[ch];
            }
        }
    }
}

/* The entry points of an even and an odd output channel count (mcu_conv_3x3_rows_dsp_s8 in mcu_engine.h
 * picks one at compile time); every constant comes from the table. */
mcu_status mcu_conv_3x3_c1_dsp_s8(const mcu_conv_params *params, const mcu_per_channel_quant *quant,
                                  const mcu_dims *input_dims, const int8_t *input, const mcu_dims *filter_dims,
                                  const int8_t *filter, const int32_t *bias, const mcu_dims *output_dims,
                                  int8_t *output, int16_t *scratch)
{
    (void)quant, (void)filter_dims, (void)filter, (void)bias;
    conv_3x3_c1_body(params, input_dims, input, output_dims, output, scratch, 0);
    return MCU_OK;
}

mcu_status mcu_conv_3x3_c1_odd_dsp_s8(const mcu_conv_params *params, const mcu_per_channel_quant *quant,
                                      const mcu_dims *input_dims, const int8_t *input, const mcu_dims *filter_dims,
                                      const int8_t *filter, const int32_t *bias, const mcu_dims *output_dims,
                                      int8_t *output, int16_t *scratch)
{
    (void)quant, (void)filter_dims, (void)filter, (void)bias;
    conv_3x3_c1_body(params, input_dims, input, output_dims, output, scratch, 1);
    return MCU_OK;
}

/* ---- k x k first convolutions (input depth 1-3, any kernel size and stride) ------------------------
 * The layers that neither the 1x1 narrow path nor the 3x3 row paths take (ops.Conv2D.first, the code
 * generator's table ops.first_table). Input rows are widened once into a ring of kh int16 rows (value
 * q * c + ch <-> input column q - padding.w, the input offset added, 0 outside the input); per output pixel
 * pair the two patches (K = kh * kw * c taps in the filter's order, padded to 4 * groups) are gathered from
 * the ring through a tap offset table into one buffer, per group of four taps the words (A 0/1, A 2/3,
 * B 0/1, B 2/3); every output channel pair then meets it with per group one LDM of the patch words, one
 * LDM of the pair's four doubled weight words and eight SMLAD (10 instructions per 16 MACs). Table: word 0
 * whether a channel adds its zero point after the shift, then per channel pair {2 * bias0, 2 * bias1,
 * W (4 * groups words), m0, k0, m1, k1, rz0, rz1}; an odd output count's last pair is channels
 * (out_c - 2, out_c - 1), its first channel written twice. */
#define MCU_F_RQ(A, B, M, K) \
    "smmlar %[v], %[" A "], %[" M "], %[" K "]\n\t" \
    "add    %[" A "], %[v], %[" A "], asr #31\n\t" \
    "smmlar %[v], %[" B "], %[" M "], %[" K "]\n\t" \
    "add    %[" B "], %[v], %[" B "], asr #31\n\t"
#define MCU_F_ST \
    "strb   %[a00], [%[x0]], #1\n\t" \
    "strb   %[a01], [%[x0]], #1\n\t" \
    "strb   %[a10], [%[x1]], #1\n\t" \
    "strb   %[a11], [%[x1]], #1\n\t"
#define MCU_F_PACK \
    "bfi    %[a00], %[a01], #8, #8\n\t" \
    "bfi    %[a00], %[a10], #16, #8\n\t" \
    "bfi    %[a00], %[a11], #24, #8\n\t" \
    "ldr    %[x3], %[lo]\n\t" \
    "ssub8  %[v], %[a00], %[x3]\n\t" \
    "sel    %[a00], %[a00], %[x3]\n\t"
#define MCU_F_ST2 \
    "strh   %[a00], [%[x0]], #2\n\t" \
    "lsr    %[a00], %[a00], #16\n\t" \
    "strh   %[a00], [%[x1]], #2\n\t"
#define MCU_F_LO MCU_F_PACK MCU_F_ST2
#define MCU_F_BOTH \
    MCU_F_PACK \
    "ldr    %[x3], %[hi]\n\t" \
    "ssub8  %[v], %[a00], %[x3]\n\t" \
    "sel    %[a00], %[x3], %[a00]\n\t" MCU_F_ST2
/* ODD: an odd group count, one group before the loop of two (which a single group skips). */
#define MCU_F_ODD \
    MCU_PAIR_GROUP \
    "ldr    %[t], %[xend]\n\t" \
    "cmp    %[xp], %[t]\n\t" \
    "beq    3f\n\t"
#define MCU_F_FN(NAME, PRE, STORE, P) \
    static __attribute__((noinline)) void NAME(const uint32_t *frame_x, const uint32_t *frame_xend, \
                                               const uint32_t *tab, const uint32_t *frame_tend, int8_t *oa, \
                                               int8_t *ob, uint32_t frame_lo, uint32_t frame_hi) \
    { \
        register int32_t a00 __asm__("r0"); \
        register int32_t a01 __asm__("r1"); \
        register int32_t a10 __asm__("r2"); \
        register int32_t a11 __asm__("r3"); \
        register uint32_t x0 __asm__("r4"); \
        register uint32_t x1 __asm__("r5"); \
        register uint32_t x2 __asm__("r6"); \
        register uint32_t x3 __asm__("r7"); \
        register uint32_t t __asm__("r8"); \
        register uint32_t u __asm__("r9"); \
        register uint32_t v __asm__("r10"); \
        register uint32_t y __asm__("r11"); \
        register const uint32_t *xp __asm__("r12"); \
        register const uint32_t *wp __asm__("lr") = tab; \
        int8_t *frame_o[2] __attribute__((aligned(8))); \
        frame_o[0] = oa, frame_o[1] = ob; \
        __asm__ volatile("1:\n\t" \
                         "ldmia  %[wp]!, {%[a00], %[a01]}\n\t" \
                         "mov    %[a10], %[a00]\n\t" \
                         "mov    %[a11], %[a01]\n\t" \
                         "ldr    %[xp], %[x]\n\t" \
                         PRE \
                         "2:\n\t" \
                         MCU_PAIR_GROUP MCU_PAIR_GROUP \
                         "ldr    %[t], %[xend]\n\t" \
                         "cmp    %[xp], %[t]\n\t" \
                         "bne    2b\n\t" \
                         "3:\n\t" \
                         "ldmia  %[wp]!, {%[x0], %[x1], %[x2], %[x3], %[t], %[u]}\n\t" \
                         MCU_F_RQ("a00", "a10", "x0", "x1") MCU_F_RQ("a01", "a11", "x2", "x3") \
                         MCU_ASR_SSAT4(P, "t", "u") \
                         "ldrd   %[x0], %[x1], %[fo]\n\t" \
                         STORE \
                         "strd   %[x0], %[x1], %[fo]\n\t" \
                         "ldr    %[t], %[tend]\n\t" \
                         "cmp    %[wp], %[t]\n\t" \
                         "bne    1b\n\t" \
                         : [a00] "=&r"(a00), [a01] "=&r"(a01), [a10] "=&r"(a10), [a11] "=&r"(a11), \
                           [x0] "=&r"(x0), [x1] "=&r"(x1), [x2] "=&r"(x2), [x3] "=&r"(x3), [t] "=&r"(t), \
                           [u] "=&r"(u), [v] "=&r"(v), [y] "=&r"(y), [xp] "=&r"(xp), [wp] "+&r"(wp), \
                           [fo] "+m"(frame_o) \
                         : [x] "m"(frame_x), [xend] "m"(frame_xend), [tend] "m"(frame_tend), [lo] "m"(frame_lo), \
                           [hi] "m"(frame_hi) \
                         : "cc", "memory"); \
        (void)a00, (void)a01, (void)a10, (void)a11, (void)x0, (void)x1, (void)x2, (void)x3, (void)t, (void)u; \
        (void)v, (void)y, (void)xp, (void)wp; \
    }
/* Even group counts: the loop of two from the start (a group count of 2 or more). */
#define MCU_F_FNS(SUF, STORE, P) \
    MCU_F_FN(first_pairs_even##SUF, "", STORE, P) \
    MCU_F_FN(first_pairs_odd##SUF, MCU_F_ODD, STORE, P)
MCU_F_FNS(_st, MCU_F_ST, MCU_NO_POST)
MCU_F_FNS(_st_post, MCU_F_ST, MCU_POST)
MCU_F_FNS(_lo, MCU_F_LO, MCU_NO_POST)
MCU_F_FNS(_lo_post, MCU_F_LO, MCU_POST)
MCU_F_FNS(_both, MCU_F_BOTH, MCU_POST)
#undef MCU_F_FNS
#undef MCU_F_FN
#undef MCU_F_ODD
#undef MCU_F_BOTH
#undef MCU_F_LO
#undef MCU_F_ST2
#undef MCU_F_PACK
#undef MCU_F_ST
#undef MCU_F_RQ

typedef void (*first_pairs_fn)(const uint32_t *, const uint32_t *, const uint32_t *, const uint32_t *, int8_t *,
                               int8_t *, uint32_t, uint32_t);

/* Input row src (NULL: outside the input) into ring row d of n values: value q <-> input value q - lead
 * (lead = padding.w * c), the offset added, 0 outside the input. */
static void first_fill(int16_t *d, const int8_t *src, int32_t n, int32_t lead, int32_t len, int32_t in_off)
{
    int32_t q = 0;
    if (src != 0) {
        const int32_t qs = mcu_min_i32(mcu_max_i32(lead, 0), n), qe = mcu_min_i32(n, lead + len);
        for (; q < qs; ++q) {
            d[q] = 0;
        }
        for (const int8_t *s = src + (q - lead); q < qe; ++q) {
            d[q] = (int16_t)(*s++ + in_off);
        }
    }
    for (; q < n; ++q) {
        d[q] = 0;
    }
}

static mcu_status conv_first(const mcu_conv_params *params, const mcu_dims *input_dims, const int8_t *input,
                             const mcu_dims *filter_dims, const mcu_dims *output_dims, int8_t *output,
                             int16_t *scratch, first_pairs_fn even, first_pairs_fn odd)
{
    const int32_t c = input_dims->c, kh = filter_dims->h, kw = filter_dims->w, sh = params->stride.h;
    const int32_t sw = params->stride.w, in_h = input_dims->h, in_w = input_dims->w;
    const int32_t out_h = output_dims->h, out_w = output_dims->w, out_c = output_dims->c;
    const int32_t k = kh * kw * c, groups = (k + 3) / 4, block = 8 + 4 * groups;
    const int32_t rh = ((out_w - 1) * sw + kw) * c; /* values of a ring row */
    const int32_t rstride = (mcu_conv_first_row(input_dims, filter_dims) + 1) & ~1;
    const int32_t in_off = params->bias_folded ? 0 : params->input_offset;
    const uint32_t lo4 = 0x01010101u * (uint8_t)params->act_min, hi4 = 0x01010101u * (uint8_t)params->act_max;
    const first_pairs_fn run = groups & 1 ? odd : even;
    const uint32_t *tab = (const uint32_t *)(const void *)(params->table + 1);
    const uint32_t *tmid = tab + block * (out_c / 2), *tend = tab + block * ((out_c + 1) / 2);
    uint32_t *xbuf = (uint32_t *)(void *)scratch;
    const uint32_t *xend = xbuf + 4 * groups;
    int32_t *offs = (int32_t *)(void *)(xbuf + 4 * groups); /* 4 * groups tap offsets */
    int16_t *ring = (int16_t *)(void *)(offs + 4 * groups);
    int32_t held[MCU_FIRST_MAX_KH];
    for (int32_t t = k; t < 4 * groups; ++t) {
        offs[t] = 0; /* the padded taps meet weight 0 */
    }
    for (int32_t b = 0; b < input_dims->n; ++b) {
        const int8_t *in_batch = input + (int64_t)b * in_h * in_w * c;
        for (int32_t s = 0; s < kh; ++s) {
            held[s] = INT32_MIN;
        }
        for (int32_t oy = 0; oy < out_h; ++oy) {
            const int32_t iy0 = oy * sh - params->padding.h;
            const int32_t rot = (iy0 % kh + kh) % kh;
            for (int32_t r = 0, s = rot; r < kh; ++r, s = s + 1 == kh ? 0 : s + 1) {
                const int32_t iy = iy0 + r;
                if (held[s] != iy) {
                    first_fill(ring + s * rstride, iy >= 0 && iy < in_h ? in_batch + (int64_t)iy * in_w * c : 0,
                               rh, params->padding.w * c, in_w * c, in_off);
                    held[s] = iy;
                }
                const int32_t base = s * rstride;
                int32_t *o = offs + r * kw * c;
                for (int32_t j = 0; j < kw * c; ++j) {
                    o[j] = base + j;
                }
            }
            int8_t *out_row = output + ((int64_t)b * out_h + oy) * out_w * out_c;
            for (int32_t ox = 0; ox < out_w; ox += 2) {
                int32_t xa = ox, xb = ox + 1;
                if (xb >= out_w) { /* the last pixel: with the one before it (written again), else alone */
                    xa = out_w >= 2 ? out_w - 2 : ox;
                    xb = out_w >= 2 ? out_w - 1 : ox;
                }
                const int16_t *pa = ring + xa * sw * c, *pb = ring + xb * sw * c;
                int16_t *d = (int16_t *)(void *)xbuf;
                const int32_t *op = offs;
                for (int32_t g = 0; g < groups; ++g, op += 4, d += 8) {
                    d[0] = pa[op[0]], d[1] = pa[op[1]], d[2] = pa[op[2]], d[3] = pa[op[3]];
                    d[4] = pb[op[0]], d[5] = pb[op[1]], d[6] = pb[op[2]], d[7] = pb[op[3]];
                }
                MCU_COMPILER_BARRIER(); /* the patches are written before the assembly reads them */
                int8_t *oa = out_row + xa * out_c, *ob = out_row + xb * out_c;
                if (out_c >= 2) {
                    run(xbuf, xend, tab, tmid, oa, ob, lo4, hi4);
                }
                if (out_c & 1) {
                    run(xbuf, xend, tmid, tend, oa + out_c - 2, ob + out_c - 2, lo4, hi4);
                }
            }
        }
    }
    return MCU_OK;
}

/* The k x k first-convolution path per output clamp (mcu_conv_first_dsp_s8 in mcu_engine.h picks one). */
#define MCU_FIRST_ENTRY(NAME, PLAIN, POST) \
    mcu_status NAME(const mcu_conv_params *params, const mcu_per_channel_quant *quant, const mcu_dims *input_dims, \
                    const int8_t *input, const mcu_dims *filter_dims, const int8_t *filter, const int32_t *bias, \
                    const mcu_dims *output_dims, int8_t *output, int16_t *scratch) \
    { \
        (void)quant, (void)filter, (void)bias; \
        if (params->table[0]) { \
            return conv_first(params, input_dims, input, filter_dims, output_dims, output, scratch, \
                              first_pairs_even##POST, first_pairs_odd##POST); \
        } \
        return conv_first(params, input_dims, input, filter_dims, output_dims, output, scratch, \
                          first_pairs_even##PLAIN, first_pairs_odd##PLAIN); \
    }
MCU_FIRST_ENTRY(mcu_conv_first_dsp_ssat_s8, _st, _st_post)
MCU_FIRST_ENTRY(mcu_conv_first_dsp_ssat_lo_s8, _lo, _lo_post)
MCU_FIRST_ENTRY(mcu_conv_first_dsp_both_s8, _both, _both)
#undef MCU_FIRST_ENTRY

/* TRANSPOSE_CONV (mcu_transpose_conv_s8 under fast_requant with scratch): phase by phase (output rows and
 * columns of one residue modulo the stride), each an ordinary stride-1 convolution of the input with the
 * phase's taps (weights in phase order, rows of ph.row bytes), run as the k x k path's pixel pairs: both
 * pixels' patches expanded (doubled, offset added) into the interleaved buffer, then every output channel
 * pair of the pair through the 1x1 assembly (2 x 2 blocks, 16 MACs per 4 values: 2 LDRD, 2 LDR, 4 SXTB16,
 * 8 SMLAD) with the requantization of its table. Input depths that are multiples of 4 are expanded straight
 * from the input (a pixel and its right neighbour: each tap widened once, expand_pair_shift), others
 * gathered as int8 patches first. Taps outside the input read the pad value (whose offset input is 0);
 * phases without taps (kernel smaller than the stride) are the requantized bias. Scratch:
 * mcu_transpose_conv_s8_buffer_size. */
static void tc_gather(const mcu_transpose_conv_params *p, const mcu_transpose_conv_phase_t *ph, const int8_t *in_b,
                      int32_t j, int32_t i, int8_t pad, int8_t *dst)
{
    const int32_t ic = p->in_c, seg = ph->tx * ic, iy0 = j - ph->top, ix0 = i - ph->left;
    int8_t *d = dst;
    for (int32_t v = 0; v < ph->ty; ++v, d += seg) {
        const int32_t iy = iy0 + v;
        const int8_t *row = iy >= 0 && iy < p->in_h ? in_b + (int64_t)iy * p->in_w * ic : 0;
        for (int32_t u = 0; u < ph->tx; ++u) {
            const int32_t ix = ix0 + u;
            int8_t *t = d + u * ic;
            if (row == 0 || ix < 0 || ix >= p->in_w) {
                for (int32_t c = 0; c < ic; ++c) {
                    t[c] = pad;
                }
            } else {
                const int8_t *src = row + (int64_t)ix * ic;
                for (int32_t c = 0; c < ic; ++c) {
                    t[c] = src[c];
                }
            }
        }
    }
    for (int8_t *e = dst + ph->row; d < e; ++d) {
        *d = pad;
    }
}

/* The expanded pair of phase pixels A (in batch input ia, phase position (ja, xa)) and B (ib, (jb, xb)),
 * input depth a multiple of 4: kernel row by kernel row, both pixels' taps at once when they lie inside the
 * input, else tap by tap with the taps outside read from `pad`. */
static void tc_expand_direct(const mcu_transpose_conv_params *p, const mcu_transpose_conv_phase_t *ph,
                             const int8_t *ia, int32_t ja, int32_t xa, const int8_t *ib, int32_t jb, int32_t xb,
                             const int8_t *pad, uint32_t *dst, int32_t off)
{
    const int32_t ic = p->in_c, tx = ph->tx, in_w = p->in_w;
    const int32_t ax0 = xa - ph->left, bx0 = xb - ph->left;
    const int cols = ax0 >= 0 && ax0 + tx <= in_w && bx0 >= 0 && bx0 + tx <= in_w;
    for (int32_t v = 0; v < ph->ty; ++v) {
        const int32_t ay = ja - ph->top + v, by = jb - ph->top + v;
        const int8_t *ra = ay >= 0 && ay < p->in_h ? ia + (int64_t)ay * in_w * ic : 0;
        const int8_t *rb = by >= 0 && by < p->in_h ? ib + (int64_t)by * in_w * ic : 0;
        if (cols && ra != 0 && rb != 0) {
            const int8_t *a = ra + (int64_t)ax0 * ic, *b = rb + (int64_t)bx0 * ic;
            if (tx > 1 && b == a + ic) {
                expand_pair_shift(a, dst, tx * ic / 4, ic / 4, off);
            } else {
                expand_pair(a, b, dst, tx * ic / 4, off);
            }
            dst += tx * ic;
            continue;
        }
        for (int32_t u = 0; u < tx; ++u, dst += ic) {
            const int8_t *a = ra != 0 && ax0 + u >= 0 && ax0 + u < in_w ? ra + (int64_t)(ax0 + u) * ic : pad;
            const int8_t *b = rb != 0 && bx0 + u >= 0 && bx0 + u < in_w ? rb + (int64_t)(bx0 + u) * ic : pad;
            expand_pair(a, b, dst, ic / 4, off);
        }
    }
}

/* Phases at most this many (strides up to 4 x 4) share the expanded pixel pairs of phases with the same taps,
 * padding and size (every phase of a kernel that is a multiple of the stride without padding: 2 x 2 at
 * stride 2 SAME, 4 x 4 at stride 2 VALID): each pair is expanded once for all of them. */
#define MCU_TC_MAX_PHASES 16

mcu_status mcu_transpose_conv_dsp_s8(const mcu_transpose_conv_params *p, const int8_t *input, int8_t *output,
                                     int16_t *scratch)
{
    const int32_t ic = p->in_c, oc = p->out_c, pairs = oc / 2, sh = p->stride_h, sw = p->stride_w;
    const int32_t in_h = p->in_h, in_w = p->in_w, out_h = p->out_h, out_w = p->out_w;
    const int32_t lo = p->act_min, hi = p->act_max, in_off = p->input_offset;
    const int mode = mcu_clamp_mode(lo, hi), direct = ic % 4 == 0;
    const int32_t rowmax = (mcu_transpose_conv_taps(0, p->kh, sh) * mcu_transpose_conv_taps(0, p->kw, sw) * ic + 3) & ~3;
    const int32_t nph = sh * sw;
    uint32_t *buf = (uint32_t *)(void *)scratch;
    int32_t *table = (int32_t *)(void *)(buf + rowmax);
    int8_t *patch = (int8_t *)(void *)(table + 8 * ((oc + 1) / 2));
    int8_t *pad = patch + 2 * rowmax + 4;
    const mcu_per_channel_quant quant = {p->multiplier, p->shift};
    fill_requant_table(&quant, p->bias, oc, p->output_offset, table, 8);
    const int post = mcu_requant_post(table, pairs, 8);
    for (int32_t c = 0; c < ic; ++c) {
        pad[c] = (int8_t)-in_off;
    }
    uint32_t done = 0; /* phases run with an earlier one's group */
    int64_t woff = 0;  /* the leader's weights in the phase-order filter */
    for (int32_t lead = 0; lead < nph; ++lead) {
        const mcu_transpose_conv_phase_t ph = mcu_transpose_conv_phase(p, lead / sw, lead % sw);
        const int64_t lead_off = woff;
        woff += (int64_t)oc * ph.row;
        if (nph <= MCU_TC_MAX_PHASES && ((done >> lead) & 1)) {
            continue;
        }
        const int32_t py = lead / sw, px = lead % sw;
        const int32_t ohp = py < out_h ? (out_h - py + sh - 1) / sh : 0;
        const int32_t owp = px < out_w ? (out_w - px + sw - 1) / sw : 0;
        /* the group: the leader and the later phases with its taps, padding and size */
        int32_t member[MCU_TC_MAX_PHASES];
        const int8_t *mw[MCU_TC_MAX_PHASES];
        int32_t m = 1;
        member[0] = lead;
        mw[0] = p->weights + lead_off;
        if (nph <= MCU_TC_MAX_PHASES) {
            int64_t off = woff;
            for (int32_t k = lead + 1; k < nph; ++k) {
                const mcu_transpose_conv_phase_t pk = mcu_transpose_conv_phase(p, k / sw, k % sw);
                const int32_t ky = k / sw, kx = k % sw;
                if (pk.ty == ph.ty && pk.tx == ph.tx && pk.top == ph.top && pk.left == ph.left &&
                    (ky < out_h ? (out_h - ky + sh - 1) / sh : 0) == ohp &&
                    (kx < out_w ? (out_w - kx + sw - 1) / sw : 0) == owp) {
                    member[m] = k;
                    mw[m++] = p->weights + off;
                    done |= 1u << k;
                }
                off += (int64_t)oc * pk.row;
            }
        }
        const int32_t npix = p->batches * ohp * owp, c = ph.row, groups = c >> 2;
        const uint32_t *buf_end = buf + 4 * groups;
        int32_t b = 0, j = 0, x = 0;
        for (int32_t n = 0; n < npix; n += 2) {
            const int32_t count = npix - n >= 2 ? 2 : 1;
            int32_t pos[2][3];
            for (int32_t k = 0; k < count; ++k) {
                pos[k][0] = b, pos[k][1] = j, pos[k][2] = x;
                if (++x == owp) {
                    x = 0;
                    if (++j == ohp) {
                        j = 0;
                        ++b;
                    }
                }
            }
            if (count == 1) {
                pos[1][0] = pos[0][0], pos[1][1] = pos[0][1], pos[1][2] = pos[0][2];
            }
            if (c > 0) {
                const int8_t *in_a = input + (int64_t)pos[0][0] * in_h * in_w * ic;
                const int8_t *in_b = input + (int64_t)pos[1][0] * in_h * in_w * ic;
                if (direct) {
                    tc_expand_direct(p, &ph, in_a, pos[0][1], pos[0][2], in_b, pos[1][1], pos[1][2], pad, buf,
                                     in_off);
                } else {
                    tc_gather(p, &ph, in_a, pos[0][1], pos[0][2], (int8_t)-in_off, patch);
                    if (count == 2) {
                        tc_gather(p, &ph, in_b, pos[1][1], pos[1][2], (int8_t)-in_off, patch + rowmax);
                    }
                    expand_pair(patch, count == 2 ? patch + rowmax : patch, buf, groups, in_off);
                }
                MCU_COMPILER_BARRIER(); /* the buffer is written before the assembly reads it */
            }
            for (int32_t g = 0; g < m; ++g) {
                const int32_t qy = member[g] / sw, qx = member[g] % sw;
                int8_t *out_a = output + (((int64_t)pos[0][0] * out_h + qy + sh * pos[0][1]) * out_w + qx +
                                          sw * pos[0][2]) * oc;
                int8_t *out_b = output + (((int64_t)pos[1][0] * out_h + qy + sh * pos[1][1]) * out_w + qx +
                                          sw * pos[1][2]) * oc;
                if (c == 0) { /* no taps: the bias alone */
                    for (int32_t o = 0; o < oc; ++o) {
                        const int32_t v = mcu_requantize(p->bias ? p->bias[o] : 0, p->multiplier[o], p->shift[o]);
                        out_a[o] = out_b[o] = (int8_t)mcu_clamp_i32(v + p->output_offset, lo, hi);
                    }
                } else {
                    const int32_t *q = table;
                    const int8_t *w = channel_pairs(buf, buf_end, mw[g], c, &q, oc / 2, &out_a, &out_b, count, lo,
                                                    hi, mode, post);
                    if (oc & 1) {
                        last_channel(buf, buf_end, w, q, out_a, out_b, lo, hi, mode);
                    }
                }
            }
        }
    }
    return MCU_OK;
}
#undef MCU_TC_MAX_PHASES

#else
typedef int mcu_conv_dsp_unused; /* ISO C: a translation unit must not be empty */
#endif /* __ARM_FEATURE_DSP */
