/* BATCH_MATMUL (int8, per-tensor): for each of up to three broadcast batch axes, output[i][j] is the int32 sum
 * over k of (lhs(i, k) + lhs_offset) * (rhs(k, j) + rhs_offset), requantized as TFLite's reference does
 * (mcu_requantize, output offset, clamp). Each operand is addressed through its own steps, so adj_x / adj_y
 * and a broadcast batch (step 0) need no transposed copy; a constant rhs comes already laid out as
 * [batch][col][depth]. The sums are integers, so the order of the products does not matter.
 * FULLY_CONNECTED with activation weights (p->fully_connected: out[b][o] = sum over i of (x[b][i] + lhs_offset)
 * * (w[o][i] + rhs_offset), the weights as the rhs with contiguous depth) runs the same loops, compiled once
 * more with its bias and its single rounding. */
#include "mcu_dsp.h"
#include "mcu_engine.h"
#include "mcu_quant.h"

/* fc: FULLY_CONNECTED's single rounding, else BATCH_MATMUL's double rounding. */
static inline __attribute__((always_inline)) int8_t matmul_out(const mcu_batch_matmul_params *p, int32_t acc,
                                                              const int fc)
{
    const int32_t m = p->multiplier, s = p->shift;
    acc = fc ? mcu_requantize_fc(acc, m, s) : mcu_requantize(acc, m, s);
    return (int8_t)mcu_clamp_i32(acc + p->output_offset, p->act_min, p->act_max);
}

/* A sum's start: FULLY_CONNECTED's bias of column j, else 0. */
static inline __attribute__((always_inline)) int32_t matmul_start(const mcu_batch_matmul_params *p, int32_t j,
                                                                 const int fc)
{
    return fc && p->bias ? p->bias[j] : 0;
}

#if defined(__ARM_FEATURE_DSP)
/* Contiguous depth in both operands: four depth values per word, each operand's zero point added per
 * halfword as it is sign-extended (SXTAB16: values -255..255), two products per SMLAD; two columns share
 * each lhs word. The depth's last (depth % 4) values one by one. */
static inline __attribute__((always_inline)) void matmul_block_dsp_of(const mcu_batch_matmul_params *p,
                                                                      const int8_t *lhs, const int8_t *rhs,
                                                                      int8_t *out, const int fc)
{
    const int32_t depth = p->depth, lo = p->lhs_offset, ro = p->rhs_offset, d4 = depth & ~3;
    const uint32_t lo2 = mcu_pack16x2(lo, lo), ro2 = mcu_pack16x2(ro, ro);
    for (int32_t i = 0; i < p->rows; ++i, lhs += p->lhs_row_step) {
        int32_t j = 0;
        for (; j + 2 <= p->cols; j += 2) {
            const int8_t *a = lhs, *b0 = rhs + j * p->rhs_col_step, *b1 = b0 + p->rhs_col_step;
            int32_t acc0 = matmul_start(p, j, fc), acc1 = matmul_start(p, j + 1, fc), k = 0;
            for (; k < d4; k += 4, a += 4, b0 += 4, b1 += 4) {
                const uint32_t wa = mcu_load_u32(a), w0 = mcu_load_u32(b0), w1 = mcu_load_u32(b1);
                const uint32_t ae = mcu_sxtab16(lo2, wa), ao = mcu_sxtab16_ror8(lo2, wa);
                acc0 = mcu_smlad(ae, mcu_sxtab16(ro2, w0), acc0);
                acc0 = mcu_smlad(ao, mcu_sxtab16_ror8(ro2, w0), acc0);
                acc1 = mcu_smlad(ae, mcu_sxtab16(ro2, w1), acc1);
                acc1 = mcu_smlad(ao, mcu_sxtab16_ror8(ro2, w1), acc1);
            }
            for (; k < depth; ++k, ++a, ++b0, ++b1) {
                acc0 += (*a + lo) * (*b0 + ro);
                acc1 += (*a + lo) * (*b1 + ro);
            }
            *out++ = matmul_out(p, acc0, fc);
            *out++ = matmul_out(p, acc1, fc);
        }
        if (j < p->cols) {
            const int8_t *a = lhs, *b = rhs + j * p->rhs_col_step;
            int32_t acc = matmul_start(p, j, fc), k = 0;
            for (; k < d4; k += 4, a += 4, b += 4) {
                const uint32_t wa = mcu_load_u32(a), wb = mcu_load_u32(b);
                acc = mcu_smlad(mcu_sxtab16(lo2, wa), mcu_sxtab16(ro2, wb), acc);
                acc = mcu_smlad(mcu_sxtab16_ror8(lo2, wa), mcu_sxtab16_ror8(ro2, wb), acc);
            }
            for (; k < depth; ++k, ++a, ++b) {
                acc += (*a + lo) * (*b + ro);
            }
            *out++ = matmul_out(p, acc, fc);
        }
    }
}

static void matmul_block_dsp(const mcu_batch_matmul_params *p, const int8_t *lhs, const int8_t *rhs, int8_t *out)
{
    matmul_block_dsp_of(p, lhs, rhs, out, 0);
}

static void matmul_block_dsp_fc(const mcu_batch_matmul_params *p, const int8_t *lhs, const int8_t *rhs,
                                int8_t *out)
{
    matmul_block_dsp_of(p, lhs, rhs, out, 1);
}

static inline uint32_t load_u16(const int8_t *p)
{
    uint16_t v;
    memcpy(&v, p, 2);
    return v;
}

/* Contiguous lhs depth, rhs columns adjacent (depth rows rk bytes apart: scores @ v): two columns at a time,
 * four depth values per lhs word; each column pair's bytes of depth rows k and k + 2 (k + 1 and k + 3) in
 * one word, so SXTAB16 gives column j's pair and SXTAB16 ROR 8 column j + 1's, matching the lhs word's. */
static void matmul_block_dsp_cols(const mcu_batch_matmul_params *p, const int8_t *lhs, const int8_t *rhs,
                                  int8_t *out)
{
    const int32_t depth = p->depth, lo = p->lhs_offset, ro = p->rhs_offset, d4 = depth & ~3, rk = p->rhs_depth_step;
    const uint32_t lo2 = mcu_pack16x2(lo, lo), ro2 = mcu_pack16x2(ro, ro);
    for (int32_t i = 0; i < p->rows; ++i, lhs += p->lhs_row_step) {
        int32_t j = 0;
        for (; j + 2 <= p->cols; j += 2) {
            const int8_t *a = lhs, *b = rhs + j;
            int32_t acc0 = 0, acc1 = 0, k = 0;
            for (; k < d4; k += 4, a += 4, b += 4 * rk) {
                const uint32_t wa = mcu_load_u32(a);
                const uint32_t ae = mcu_sxtab16(lo2, wa), ao = mcu_sxtab16_ror8(lo2, wa);
                const uint32_t r02 = load_u16(b) | (load_u16(b + 2 * rk) << 16);
                const uint32_t r13 = load_u16(b + rk) | (load_u16(b + 3 * rk) << 16);
                acc0 = mcu_smlad(ae, mcu_sxtab16(ro2, r02), acc0);
                acc1 = mcu_smlad(ae, mcu_sxtab16_ror8(ro2, r02), acc1);
                acc0 = mcu_smlad(ao, mcu_sxtab16(ro2, r13), acc0);
                acc1 = mcu_smlad(ao, mcu_sxtab16_ror8(ro2, r13), acc1);
            }
            for (; k < depth; ++k, ++a, b += rk) {
                acc0 += (*a + lo) * (b[0] + ro);
                acc1 += (*a + lo) * (b[1] + ro);
            }
            *out++ = matmul_out(p, acc0, 0);
            *out++ = matmul_out(p, acc1, 0);
        }
        if (j < p->cols) {
            const int8_t *a = lhs, *b = rhs + j;
            int32_t acc = 0;
            for (int32_t k = 0; k < depth; ++k, ++a, b += rk) {
                acc += (*a + lo) * (*b + ro);
            }
            *out++ = matmul_out(p, acc, 0);
        }
    }
}
#endif

static inline __attribute__((always_inline)) void matmul_block(const mcu_batch_matmul_params *p, const int8_t *lhs,
                                                              const int8_t *rhs, int8_t *out,
                                                              const int32_t lk, const int32_t rk, const int fc)
{
    const int32_t depth = p->depth, lo = p->lhs_offset, ro = p->rhs_offset;
    for (int32_t i = 0; i < p->rows; ++i) {
        const int8_t *a0 = lhs + i * p->lhs_row_step;
        for (int32_t j = 0; j < p->cols; ++j) {
            const int8_t *a = a0, *b = rhs + j * p->rhs_col_step;
            int32_t acc = matmul_start(p, j, fc);
            for (int32_t k = 0; k < depth; ++k, a += lk, b += rk) {
                acc += (*a + lo) * (*b + ro);
            }
            *out++ = matmul_out(p, acc, fc);
        }
    }
}

mcu_status mcu_batch_matmul_s8(const mcu_batch_matmul_params *p, const int8_t *lhs, const int8_t *rhs,
                               int8_t *output)
{
    if (p->rhs_const) {
        rhs = p->rhs_const;
    }
    const int32_t block = p->rows * p->cols;
    for (int32_t b0 = 0; b0 < p->batch[0]; ++b0) {
        for (int32_t b1 = 0; b1 < p->batch[1]; ++b1) {
            for (int32_t b2 = 0; b2 < p->batch[2]; ++b2, output += block) {
                const int8_t *a = lhs + b0 * p->lhs_batch_step[0] + b1 * p->lhs_batch_step[1] + b2 * p->lhs_batch_step[2];
                const int8_t *b = rhs + b0 * p->rhs_batch_step[0] + b1 * p->rhs_batch_step[1] + b2 * p->rhs_batch_step[2];
                /* the common layouts with contiguous depth get their own loops (constant steps) */
                if (p->lhs_depth_step == 1 && p->rhs_depth_step == 1) {
#if defined(__ARM_FEATURE_DSP)
                    if (p->fully_connected) {
                        matmul_block_dsp_fc(p, a, b, output);
                    } else {
                        matmul_block_dsp(p, a, b, output);
                    }
#else
                    if (p->fully_connected) {
                        matmul_block(p, a, b, output, 1, 1, 1);
                    } else {
                        matmul_block(p, a, b, output, 1, 1, 0);
                    }
#endif
                } else if (p->fully_connected) { /* the code generator gives contiguous depth: not reached */
                    matmul_block(p, a, b, output, p->lhs_depth_step, p->rhs_depth_step, 1);
                } else if (p->lhs_depth_step == 1) {
#if defined(__ARM_FEATURE_DSP)
                    if (p->rhs_col_step == 1) {
                        matmul_block_dsp_cols(p, a, b, output);
                        continue;
                    }
#endif
                    matmul_block(p, a, b, output, 1, p->rhs_depth_step, 0);
                } else {
                    matmul_block(p, a, b, output, p->lhs_depth_step, p->rhs_depth_step, 0);
                }
            }
        }
    }
    return MCU_OK;
}
