/* mcunets engine: Cortex-M DSP-extension helpers (SMLAD, SXTB16, SMMULR) for the fast kernel paths.
 *
 * The DSP helpers are compiled only where the compiler defines __ARM_FEATURE_DSP (Cortex-M4/M7/M33 with
 * DSP); the word load and FULLY_CONNECTED's requantization choice are there on every core. Every fast path
 * built on these must give exactly the bytes of the portable C path it replaces.
 */
#ifndef MCU_DSP_H
#define MCU_DSP_H

/* The assembly blocks of the fast paths hold up to twelve operands in registers, which GCC cannot give
 * them unoptimized (-O0 keeps r7 as the frame pointer): in a build without optimization, everything after
 * this header (and the inline quantization helpers it includes) is compiled at -O2, the level the kernels
 * are tested at. Files with assembly blocks include this header first. */
#if defined(__ARM_FEATURE_DSP) && defined(__GNUC__) && !defined(__clang__) && !defined(__OPTIMIZE__)
#pragma GCC optimize("O2", "omit-frame-pointer")
#endif

#include <stdint.h>
#include <string.h>

#include "mcu_engine.h"
#include "mcu_quant.h"

/* Whether unaligned 32-bit words load (the portable kernels' four-bytes-per-word paths): every Arm core
 * that declares it and the non-Arm hosts and cores the engine builds for. */
#if !defined(__arm__) || defined(__ARM_FEATURE_UNALIGNED)
#define MCU_UNALIGNED_WORDS 1
#else
#define MCU_UNALIGNED_WORDS 0
#endif

/* Unaligned 32-bit load (LDR on Cortex-M4 handles unaligned addresses). */
static inline uint32_t mcu_load_u32(const void *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

#if defined(__ARM_FEATURE_DSP)
#include <arm_acle.h>

/* The inline assembly of the kernels only reads memory and declares no memory clobber (so the compiler
 * keeps values in registers across it); the kernels place this barrier after writing what it reads. */
#define MCU_COMPILER_BARRIER() __asm__ volatile("" ::: "memory")

/* Bytes 0 and 2 of w sign-extended into two halfwords. */
static inline uint32_t mcu_sxtb16(uint32_t w) { return (uint32_t)__sxtb16((int32_t)w); }

/* Bytes 1 and 3 of w sign-extended into two halfwords. */
static inline uint32_t mcu_sxtb16_ror8(uint32_t w)
{
    uint32_t r;
    __asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(w));
    return r;
}

/* Per byte: the larger of the signed bytes of a and b (SSUB8 sets GE where a >= b, SEL picks). */
static inline uint32_t mcu_max_s8x4(uint32_t a, uint32_t b)
{
    uint32_t r;
    __asm__("ssub8  %0, %1, %2\n\t"
            "sel    %0, %1, %2"
            : "=&r"(r) : "r"(a), "r"(b));
    return r;
}

/* Per byte: the smaller of the signed bytes of a and b. */
static inline uint32_t mcu_min_s8x4(uint32_t a, uint32_t b)
{
    uint32_t r;
    __asm__("ssub8  %0, %1, %2\n\t"
            "sel    %0, %2, %1"
            : "=&r"(r) : "r"(a), "r"(b));
    return r;
}

/* off + bytes 0 and 2 of w sign-extended, per halfword (SXTAB16). */
static inline uint32_t mcu_sxtab16(uint32_t off, uint32_t w)
{
    uint32_t r;
    __asm__("sxtab16 %0, %1, %2" : "=r"(r) : "r"(off), "r"(w));
    return r;
}

/* off + bytes 1 and 3 of w sign-extended, per halfword. */
static inline uint32_t mcu_sxtab16_ror8(uint32_t off, uint32_t w)
{
    uint32_t r;
    __asm__("sxtab16 %0, %1, %2, ror #8" : "=r"(r) : "r"(off), "r"(w));
    return r;
}

/* s[0..3] += the four halfword sums of two SXTAB16 accumulators (h02: bytes 0 and 2, h13: 1 and 3). */
static inline void mcu_add_halfword_sums(int32_t s[4], uint32_t h02, uint32_t h13)
{
    s[0] += (int16_t)h02;
    s[1] += (int16_t)h13;
    s[2] += (int32_t)h02 >> 16;
    s[3] += (int32_t)h13 >> 16;
}

/* One tap of four depthwise channels: a[j] += w_j * (x_j + offset) for the int8 channels j of x and w
 * (SXTB16 of both, the offset added per halfword with SADD16, SMLABB / SMLATT). */
static inline __attribute__((always_inline)) void mcu_mac4_s8(uint32_t x, uint32_t w, int16x2_t off2, int32_t a[4])
{
    const int16x2_t xe = __sadd16((int16x2_t)mcu_sxtb16(x), off2);
    const int16x2_t xo = __sadd16((int16x2_t)mcu_sxtb16_ror8(x), off2);
    const int32_t we = (int32_t)mcu_sxtb16(w), wo = (int32_t)mcu_sxtb16_ror8(w);
    a[0] = __smlabb((int32_t)xe, we, a[0]);
    a[2] = __smlatt((int32_t)xe, we, a[2]);
    a[1] = __smlabb((int32_t)xo, wo, a[1]);
    a[3] = __smlatt((int32_t)xo, wo, a[3]);
}

static inline int32_t mcu_smlad(uint32_t a, uint32_t b, int32_t acc)
{
    return __smlad((int16x2_t)a, (int16x2_t)b, acc);
}

/* Bottom halfword of a, top halfword of b (PKHBT). */
static inline uint32_t mcu_pkhbt(uint32_t a, uint32_t b)
{
    uint32_t r;
    __asm__("pkhbt %0, %1, %2" : "=r"(r) : "r"(a), "r"(b));
    return r;
}

/* (low halfword of a, low halfword of b) and (high of a, high of b): PKHBT / PKHTB with a shift */
static inline uint32_t mcu_pack_lo(uint32_t a, uint32_t b)
{
    uint32_t r;
    __asm__("pkhbt %0, %1, %2, lsl #16" : "=r"(r) : "r"(a), "r"(b));
    return r;
}

static inline uint32_t mcu_pack_hi(uint32_t a, uint32_t b)
{
    uint32_t r;
    __asm__("pkhtb %0, %1, %2, asr #16" : "=r"(r) : "r"(b), "r"(a));
    return r;
}

/* (a * b + 2^31) >> 32 */
static inline int32_t mcu_smmulr(int32_t a, int32_t b)
{
    int32_t r;
    __asm__("smmulr %0, %1, %2" : "=r"(r) : "r"(a), "r"(b));
    return r;
}

/* mcu_requantize_fast with the rounding high multiply as one SMMULR (1 <= right <= 31). */
static inline int32_t mcu_requantize_fast_dsp(int32_t x, int32_t multiplier, int32_t right)
{
    const int32_t hi = mcu_smmulr(x * 2, multiplier);
    return (hi + (int32_t)(1u << (right - 1)) + (hi >> 31)) >> right;
}

/* Requantize, add the output zero point and clamp to [lo, hi]; `full` (a constant at every call site,
 * so each kernel is specialized) means hi = 127: a lower clamp and one SSAT. */
static inline __attribute__((always_inline)) int8_t mcu_out_dsp(int32_t acc, int32_t mult, int32_t right,
                                                                int32_t zp, int32_t lo, int32_t hi,
                                                                const int full)
{
    int32_t v = mcu_requantize_fast_dsp(acc, mult, right) + zp;
    if (full) {
        v = v < lo ? lo : v;
        return (int8_t)__ssat(v, 8);
    }
    v = v < lo ? lo : v;
    v = v > hi ? hi : v;
    return (int8_t)v;
}

/* mcu_requantize_single_round for shift <= -1 (total shift 31 - shift = 32 + k): the rounding constant
 * 2^(31 + k) and x * multiplier summed in 64 bits by one SMLAL, then the high word shifted by k. */
static inline int32_t mcu_requantize_single_round_dsp(int32_t x, int32_t multiplier, int32_t shift)
{
    const int32_t k = -shift - 1;
    uint32_t lo = k == 0 ? 0x80000000u : 0u;
    int32_t hi = (int32_t)((1u << k) >> 1);
    __asm__("smlal  %0, %1, %2, %3" : "+r"(lo), "+r"(hi) : "r"(x), "r"(multiplier));
    return hi >> k;
}

/* lo in the bottom halfword, hi in the top one. */
static inline uint32_t mcu_pack16x2(int32_t lo, int32_t hi)
{
    return ((uint32_t)lo & 0xFFFFu) | ((uint32_t)hi << 16);
}

/* (a * b + 2^31) >> 32 + acc, exact in 64 bits (SMMLAR). */
static inline int32_t mcu_smmlar(int32_t a, int32_t b, int32_t acc)
{
    int32_t r;
    __asm__("smmlar %0, %1, %2, %3" : "=r"(r) : "r"(a), "r"(b), "r"(acc));
    return r;
}

/* mcu_requantize_single_round(acc, multiplier, shift) + z for shift in -31 .. -1 (total shift 32 + k,
 * k = -shift - 1) and any int32 acc, with the constants of ops.requant1_consts: {hi:lo} = hi0:lo0 +
 * acc * multiplier by one SMLAL (hi0:lo0 = 2^(31 + k) (2z + 1), z folded, or 2^(31 + k) with post = z),
 * then hi >> k (the bottom byte of rz) and + post (rz >> 8). Exact: |acc * multiplier| < 2^62 and
 * |hi0:lo0| < 2^62, so the 64-bit sum does not wrap. */
static inline int32_t mcu_requant1_dsp(int32_t acc, int32_t multiplier, int32_t hi0, uint32_t lo0, int32_t rz)
{
    int32_t hi = hi0;
    uint32_t lo = lo0;
    __asm__("smlal  %0, %1, %2, %3\n\t"
            "asr    %1, %1, %4\n\t"
            "add    %1, %1, %4, asr #8"
            : "+&r"(lo), "+&r"(hi) : "r"(acc), "r"(multiplier), "r"(rz));
    return hi;
}

/* Output clamping of the specialized kernels: MCU_CLAMP_SSAT when [act_min, act_max] = [-128, 127]
 * (one SSAT), MCU_CLAMP_SSAT_LO when only act_max is 127 (SSAT and a lower clamp), else both bounds. */
enum { MCU_CLAMP_BOTH = 0, MCU_CLAMP_SSAT = 1, MCU_CLAMP_SSAT_LO = 2 };

static inline int mcu_clamp_mode(int32_t act_min, int32_t act_max)
{
    if (act_max != MCU_INT8_MAX) {
        return MCU_CLAMP_BOTH;
    }
    return act_min <= MCU_INT8_MIN ? MCU_CLAMP_SSAT : MCU_CLAMP_SSAT_LO;
}

/* Requantization constants of one output channel for mcu_requant2_dsp, valid for every (multiplier, shift)
 * TFLite's QuantizeMultiplier gives with shift <= -1 (right = -shift in 1..31; multiplier 0 too):
 *   k  = (2 * z + 1) << (right - 1) = z * 2^right + 2^(right - 1), z = the value added after the shift,
 *   rz = right + 256 * post (ASR by register reads only its bottom byte; rz >> 8 = post).
 * z is folded into k (post = 0) when |k| < 2^30, so k + hi cannot overflow (|hi| < 2^30); otherwise
 * (right >= 22 with a large z) k = 2^(right - 1) <= 2^30, and z is added after the shift (post = z). */
static inline void mcu_requant_consts(int32_t z, int32_t right, int32_t *k, int32_t *rz)
{
    const int32_t odd = 2 * z + 1;
    const uint32_t mag = (uint32_t)(odd < 0 ? -odd : odd);
    const int fold = mag < (1u << (31 - right)); /* |odd| * 2^(right - 1) < 2^30 */
    *k = fold ? odd * (int32_t)(1u << (right - 1)) : (int32_t)(1u << (right - 1));
    *rz = right + 256 * (fold ? 0 : z);
}

/* mcu_requantize(acc, multiplier, -right) + z, from acc2 = 2 * acc and mcu_requant_consts(z, right):
 *   SMMLAR gives k + hi, hi = the rounding doubling high multiply ((2 acc) m + 2^31) >> 32, and
 *   (k + hi + (acc2 >> 31)) >> right = ((hi + 2^(right-1) - (hi < 0)) >> right) + z_folded
 * because the folded term is a multiple of 2^right, and acc < 0 differs from hi < 0 (m >= 0) only
 * when hi = 0, where both round to 0 (right >= 1); then post (rz >> 8) is added. Valid under the
 * fast_requant condition (|acc| < 2^30): |k| <= 2^30 and |hi| < 2^30, so k + hi never overflows. */
static inline int32_t mcu_requant2_dsp(int32_t acc2, int32_t multiplier, int32_t k, int32_t rz)
{
    int32_t v = mcu_smmlar(acc2, multiplier, k) + (acc2 >> 31);
    __asm__("asr    %0, %0, %1\n\t"
            "add    %0, %0, %1, asr #8"
            : "+r"(v) : "r"(rz));
    return v;
}

/* mcu_requant2_dsp clamped as `mode` (a constant at every call site) says. */
static inline __attribute__((always_inline)) int8_t mcu_out2_dsp(int32_t acc2, int32_t mult, int32_t k,
                                                                 int32_t rz, int32_t lo, int32_t hi,
                                                                 const int mode)
{
    int32_t v = mcu_requant2_dsp(acc2, mult, k, rz);
    if (mode == MCU_CLAMP_SSAT) {
        return (int8_t)__ssat(v, 8);
    }
    if (mode == MCU_CLAMP_SSAT_LO) {
        v = __ssat(v, 8);
        return (int8_t)(v < lo ? lo : v);
    }
    v = v < lo ? lo : v;
    v = v > hi ? hi : v;
    return (int8_t)v;
}

/* Requantization table of a pair of output channels (8 words, filled by mcu_fill_requant_pair):
 *   {2 * bias0, 2 * bias1, m0, k0, m1, k1, rz0, rz1}   (k, rz: mcu_requant_consts of the zero point) */
static inline void mcu_fill_requant_pair(const int32_t *multiplier, const int32_t *shift, const int32_t *bias,
                                         int32_t ch0, int32_t ch1, int32_t zero_point, int32_t *q)
{
    const int32_t ch[2] = {ch0, ch1};
    for (int32_t h = 0; h < 2; ++h) {
        q[h] = bias ? 2 * bias[ch[h]] : 0;
        q[2 + 2 * h] = multiplier[ch[h]];
        mcu_requant_consts(zero_point, -shift[ch[h]], &q[3 + 2 * h], &q[6 + h]);
    }
}

/* After the ASR of every accumulator A by its channel's rz: A += post (rz >> 8). */
#define MCU_POST(A, RZ) "add    %[" A "], %[" A "], %[" RZ "], asr #8\n\t"
#define MCU_ASR_POST(A, RZ) "asr    %[" A "], %[" A "], %[" RZ "]\n\t" MCU_POST(A, RZ)
/* The same without the post-add, for layers whose table has post = 0 in every channel. */
#define MCU_NO_POST(A, RZ) ""
#define MCU_ASR_P(P, A, RZ) "asr    %[" A "], %[" A "], %[" RZ "]\n\t" P(A, RZ)

/* Whether any channel pair of a table (pairs entries, stride words apart) adds its zero point after
 * the shift. */
static inline int mcu_requant_post(const int32_t *q, int32_t pairs, int32_t stride)
{
    for (int32_t i = 0; i < pairs; ++i, q += stride) {
        if ((q[6] >> 8) != 0 || (q[7] >> 8) != 0) {
            return 1;
        }
    }
    return 0;
}

/* Requantize, clamp and store the 2 x 2 block (pixel A: a00 = ch0, a01 = ch1; pixel B: a10, a11; all
 * 2 * acc) with the pair's table q (not folded); oa / ob advance by 2. MCU_CLAMP_SSAT and
 * MCU_CLAMP_SSAT_LO (act_min = lo) only. */
#define MCU_RQ_CH(A, B, OFF) \
    "ldrd   %[m], %[k], [%[q], #" OFF "]\n\t" \
    "smmlar %[t], %[" A "], %[m], %[k]\n\t" \
    "add    %[" A "], %[t], %[" A "], asr #31\n\t" \
    "smmlar %[t], %[" B "], %[m], %[k]\n\t" \
    "add    %[" B "], %[t], %[" B "], asr #31\n\t"
static inline __attribute__((always_inline)) void mcu_store_2x2_dsp(int32_t a00, int32_t a01, int32_t a10,
                                                                    int32_t a11, const int32_t *q,
                                                                    int8_t **oa, int8_t **ob, int32_t lo,
                                                                    const int mode)
{
    int32_t m, k, t;
    int8_t *pa = *oa, *pb = *ob;
    if (mode == MCU_CLAMP_SSAT_LO) { /* unfolded table: SSAT, then the four bytes packed and
                                       * clamped below at once (SSUB8 / SEL), two halfword stores */
        const uint32_t lo4 = 0x01010101u * (uint8_t)lo;
        __asm__ volatile(MCU_RQ_CH("a00", "a10", "8") MCU_RQ_CH("a01", "a11", "16")
                         "ldrd   %[m], %[k], [%[q], #24]\n\t"
                         MCU_ASR_POST("a00", "m") MCU_ASR_POST("a10", "m")
                         MCU_ASR_POST("a01", "k") MCU_ASR_POST("a11", "k")
                         "ssat   %[a00], #8, %[a00]\n\t"
                         "ssat   %[a01], #8, %[a01]\n\t"
                         "ssat   %[a10], #8, %[a10]\n\t"
                         "ssat   %[a11], #8, %[a11]\n\t"
                         "bfi    %[a00], %[a01], #8, #8\n\t"
                         "bfi    %[a00], %[a10], #16, #8\n\t"
                         "bfi    %[a00], %[a11], #24, #8\n\t"
                         "ssub8  %[t], %[a00], %[lo]\n\t"
                         "sel    %[a00], %[a00], %[lo]\n\t"
                         "strh   %[a00], [%[pa]], #2\n\t"
                         "lsr    %[a00], %[a00], #16\n\t"
                         "strh   %[a00], [%[pb]], #2\n\t"
                         : [a00] "+&r"(a00), [a01] "+&r"(a01), [a10] "+&r"(a10), [a11] "+&r"(a11),
                           [pa] "+&r"(pa), [pb] "+&r"(pb), [m] "=&r"(m), [k] "=&r"(k), [t] "=&r"(t)
                         : [q] "r"(q), [lo] "r"(lo4)
                         : "cc", "memory");
    } else {
        __asm__ volatile(MCU_RQ_CH("a00", "a10", "8") MCU_RQ_CH("a01", "a11", "16")
                         "ldrd   %[m], %[k], [%[q], #24]\n\t"
                         MCU_ASR_POST("a00", "m") MCU_ASR_POST("a10", "m")
                         MCU_ASR_POST("a01", "k") MCU_ASR_POST("a11", "k")
                         "ssat   %[a00], #8, %[a00]\n\t"
                         "ssat   %[a01], #8, %[a01]\n\t"
                         "ssat   %[a10], #8, %[a10]\n\t"
                         "ssat   %[a11], #8, %[a11]\n\t"
                         "strb   %[a00], [%[pa]], #1\n\t"
                         "strb   %[a01], [%[pa]], #1\n\t"
                         "strb   %[a10], [%[pb]], #1\n\t"
                         "strb   %[a11], [%[pb]], #1\n\t"
                         : [a00] "+&r"(a00), [a01] "+&r"(a01), [a10] "+&r"(a10), [a11] "+&r"(a11),
                           [pa] "+&r"(pa), [pb] "+&r"(pb), [m] "=&r"(m), [k] "=&r"(k), [t] "=&r"(t)
                         : [q] "r"(q)
                         : "memory");
        (void)lo;
    }
    *oa = pa;
    *ob = pb;
}
#undef MCU_RQ_CH

/* Requantize, offset, clamp and store the accumulators of output channels oc .. oc+3 (the generic DSP
 * paths): mcu_out_dsp when the layer's fast_requant flag is set, else mcu_requantize. */
static inline __attribute__((always_inline)) int8_t *mcu_store4(
    int8_t *out, int32_t a0, int32_t a1, int32_t a2, int32_t a3, const mcu_per_channel_quant *quant, int32_t oc,
    int fast, int32_t out_off, int32_t act_min, int32_t act_max)
{
    const int32_t acc[4] = {a0, a1, a2, a3};
    for (int32_t j = 0; j < 4; ++j) {
        const int32_t m = quant->multiplier[oc + j], sh = quant->shift[oc + j];
        *out++ = fast ? mcu_out_dsp(acc[j], m, -sh, out_off, act_min, act_max, 0)
                      : (int8_t)mcu_clamp_i32(mcu_requantize(acc[j], m, sh) + out_off, act_min, act_max);
    }
    return out;
}

#endif /* __ARM_FEATURE_DSP */

/* mcu_requantize_single_round (FULLY_CONNECTED's requantization): by one SMLAL on DSP cores for the shifts
 * of trained models (<= -1), the portable form otherwise. */
static inline __attribute__((always_inline)) int32_t mcu_requantize_fc(int32_t x, int32_t multiplier, int32_t shift)
{
#if defined(__ARM_FEATURE_DSP)
    return __builtin_expect(shift <= -1, 1) ? mcu_requantize_single_round_dsp(x, multiplier, shift)
                                            : mcu_requantize_single_round(x, multiplier, shift);
#else
    return mcu_requantize_single_round(x, multiplier, shift);
#endif
}
#endif /* MCU_DSP_H */
