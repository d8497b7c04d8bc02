/* mcunets engine: int8 kernels for straight-line generated models (portable C99, no allocation).
 *
 * Every kernel is bit-exact with TensorFlow Lite's reference integer kernel of the same op (BUILTIN_REF
 * op resolver): same per-channel multipliers and shifts, rounding, saturation and fused-activation
 * clamping.  Naming and shape follow CMSIS-NN: one kernel per file, named mcu_<op>_s8, taking small
 * structs for dimensions, parameters and quantization, returning an mcu_status.  Kernels that need
 * scratch memory have a mcu_<op>_s8_buffer_size twin; the generated model places that scratch in its
 * static arena.  A kernel with fast variants (1x1 convolution, 3x3 depthwise, Cortex-M DSP paths behind
 * __ARM_FEATURE_DSP) dispatches to them from its mcu_<op>_s8 entry point (inline for CONV_2D and
 * DEPTHWISE_CONV_2D: see the end of this file).
 *
 * Tensors are NHWC, int8, contiguous.  Filters: CONV_2D [out_c, kh, kw, in_c / groups],
 * DEPTHWISE_CONV_2D [1, kh, kw, out_c], FULLY_CONNECTED [out_c, in_c].
 *
 * In-place use: convolution, depthwise convolution and pooling read input rows in order and write
 * output rows in order, so an output may overlap its input when every output row ends before the first
 * input row it still needs (the planner in mcunets/engine/planner.py computes that distance).  Element-
 * wise kernels may run fully in place (out == in).  No kernel uses restrict-qualified pointers.
 *
 * The few float operations (SOFTMAX normalization, float QUANTIZE/DEQUANTIZE) are written so that no
 * multiply-add can be contracted into an FMA; they need roundf/round from the C math library (-lm).
 */
#ifndef MCU_ENGINE_H
#define MCU_ENGINE_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    MCU_OK = 0,
    MCU_ERROR_ARGUMENT = -1,
} mcu_status;

#define MCU_MAX_DIMS 6

typedef struct {
    int32_t n, h, w, c;
} mcu_dims;

/* Filter taps [*lo, *hi) of a window starting at input coordinate `origin` (negative inside the
 * padding) that land inside an input of `size`, with `taps` taps `dilation` apart. */
static inline void mcu_valid_taps(int32_t origin, int32_t dilation, int32_t taps, int32_t size, int32_t *lo,
                                  int32_t *hi)
{
    const int32_t first = origin < 0 ? (-origin + dilation - 1) / dilation : 0;
    const int32_t last = size - 1 - origin >= 0 ? (size - 1 - origin) / dilation + 1 : 0;
    *lo = first;
    *hi = last < taps ? last : taps;
}

typedef struct {
    int32_t h, w;
} mcu_hw;

/* Real multiplier = multiplier * 2^(shift - 31), as produced by TFLite's QuantizeMultiplier. */
typedef struct {
    int32_t multiplier;
    int32_t shift;
} mcu_quant;

typedef struct {
    const int32_t *multiplier;
    const int32_t *shift;
} mcu_per_channel_quant;

typedef struct {
    int32_t input_offset;  /* -input zero point */
    int32_t output_offset; /* output zero point */
    mcu_hw stride;
    mcu_hw padding;        /* top, left */
    mcu_hw dilation;
    int32_t act_min, act_max;
    /* 1: bias already holds bias + input_offset * sum(filter[oc]) (the code generator folds it when
     * every filter tap of every output lies inside the input), so the kernel skips input_offset. */
    int32_t bias_folded;
    /* 1: every accumulator lies in [-2^30, 2^30) and every shift is in [-31, -1], so requantization may use
     * mcu_requantize_fast (mcu_quant.h); the DSP paths with scratch tables run only then. */
    int32_t fast_requant;
    /* NULL, or constants computed by the code generator: of the DSP path of 1x1 layers on 1-3 input
     * channels (ops.narrow_table: 5 words per output channel, see mcu_conv_1x1_narrow_dsp_s8), or of the
     * 3x3 row path (ops.rows3_table: per output channel pair its doubled weights and requantization
     * table, see mcu_conv_3x3_rows_dsp_s8), which then leaves them out of its scratch, or of the k x k
     * three-pixel path (ops.kxk_table: a post-add flag, then 4 words per output channel, see kxk_triples in
     * mcu_conv_dsp_s8.c), which then fills no table, or of the small 1x1 path (ops.small1x1_table: a post-add
     * flag, then per output channel pair its filter rows and requantization table, see
     * mcu_conv_1x1_small_table_dsp_s8), which then reads neither filter, bias nor quant */
    const int32_t *table;
    /* bytes from one input row to the next and from one output row to the next; 0: the tensor's own
     * (w * c). A patch stage's first convolution reads its tile straight from the stage's input map, its
     * last writes straight into the output map (the 1x1 paths with the code generator's tables, the 3x3 row
     * path, the im2col and the generic kernels take them; mcu_conv_s8 sends no other path a call with them) */
    int32_t in_row, out_row;
} mcu_conv_params;

typedef struct {
    int32_t input_offset;
    int32_t output_offset;
    mcu_hw stride;
    mcu_hw padding;
    mcu_hw dilation;
    int32_t depth_multiplier;
    int32_t act_min, act_max;
    int32_t fast_requant; /* as in mcu_conv_params */
    /* NULL, or the constants of the DSP three-tap path (1x3 / 3x1, computed by the code generator,
     * ops.dw3_table): per group of four channels 18 words, see mcu_depthwise_3tap_dsp_s8; for 3x3 layers
     * of stride 2 those of its path (ops.dw3x3_s2_table): 1 + 26 words per group of four channels, also
     * for stride-1 layers on that path (word 0 bit 1 set, ops.DepthwiseConv2D.s1_words); for the other
     * stride-1 3x3 layers ops.dw3x3_s1_table */
    const int32_t *table;
    /* the 3x3 DSP path runs the channels in chunks of this many (a multiple of 4), its scratch holding one
     * chunk's rows and table (ops.DepthwiseConv2D.chunk); 0: the whole depth at once */
    int32_t chunk;
} mcu_dw_conv_params;

/* Word alignment of a constant array of the generated model (the DSP paths' LDRD checks it and takes
 * another path on compilers without the attribute). */
#if defined(__GNUC__) || defined(__clang__)
#define MCU_ALIGNED4 __attribute__((aligned(4)))
#else
#define MCU_ALIGNED4
#endif

typedef struct {
    int32_t input_offset;
    int32_t filter_offset;
    int32_t output_offset;
    int32_t batches, input_depth; /* as the layer's call passes them (the encoded entry points read these) */
    int32_t act_min, act_max;
    /* with a table: 1 when a row adds the output zero point after the shift (rz >> 8, see the table) */
    int32_t post;
    int32_t per_channel; /* 0: quant holds one multiplier/shift; 1: one per output channel */
    /* With a table every row is in a block: rows 0 .. head_rows - 1 (0 .. 5) in the head block, then
     * row_blocks rows (a multiple of 6) in blocks of six, each block stored per group of four inputs with
     * its rows' four weights side by side. Without a table both are 0 and the rows are stored row by row. */
    int32_t row_blocks;
    int32_t head_rows;
    /* NULL, or (computed by the code generator, ops.fc_table; input offset folded, every shift in
     * [-31, -1]) per block of n rows (the head's, then the blocks of six) 5n words: the n start values
     * bias + 128 * (sum of the row's weights at odd input positions), then {multiplier, hi0, lo0, rz}
     * (ops.requant1_consts of the output zero point, see mcu_requant1_dsp in mcu_dsp.h) of each row. The
     * rows in blocks are then stored with byte 0 and byte 2 of every group of four weights XORed with
     * 0x80 (see mcu_fully_connected_s8.c). */
    const int32_t *table;
} mcu_fc_params;

typedef struct {
    mcu_hw stride;
    mcu_hw padding;
    mcu_hw filter;
    int32_t act_min, act_max;
} mcu_pool_params;

typedef struct {
    /* exp_table[d]: the reference's exponential (Q0.31) of the difference d = max - x (0 .. 255), the
     * difference rescaled to Q5.26 by beta * input_scale; 0 below diff_min (quant.softmax_exp_table) */
    const int32_t *exp_table;
} mcu_softmax_params;

/* ADD: TFLite's two-stage rescale (left shift 20, per-input multipliers, output multiplier). SUB runs on
 * the same kernel with input 2's multiplier negated (and its table rescaled with it), as TFLite does. */
typedef struct {
    int32_t input1_offset, input2_offset, output_offset;
    int32_t left_shift;
    mcu_quant input1, input2, output;
    int32_t act_min, act_max;
    /* NULL, or the rescaled inputs: table[x + 128] = input 1's first stage for x, table[256 + x + 128]
     * input 2's (computed by the code generator with the same arithmetic), so an element costs two
     * loads and one requantization */
    const int32_t *table;
    /* 1: |table[i] + table[j]| < 2^30 and the output shift is in [-31, -1] (mcu_requantize_fast);
     * 2: the table is the whole ADD instead: table[u1] + table[256 + u2] (u: the input bytes as uint8)
     * is the output in units of 2^-20 (zero point included), verified by the code generator against
     * the reference for every pair of int8 inputs (quant.add_sum_table) */
    int32_t fast_requant;
} mcu_add_params;

typedef struct {
    int32_t input1_offset, input2_offset, output_offset;
    mcu_quant output;
    int32_t act_min, act_max;
    int32_t fast_requant; /* 1: the output shift is in [-31, -1] (products are below 2^17) */
} mcu_mul_params;

/* Broadcast shape of a binary elementwise op: 4-D dims and element strides (0 where broadcast). */
typedef struct {
    int32_t dims[4];
    int32_t stride1[4];
    int32_t stride2[4];
} mcu_broadcast;

/* MEAN: (sum - n * input_zero_point) requantized with a multiplier that folds in 1/n. */
typedef struct {
    int32_t input_zero_point;
    int32_t output_zero_point;
    mcu_quant quant;
    /* computed by the code generator (ops.Mean.small_consts): small = 1 when reduce <= 256, the shift is in
     * [-31, -1] and the output zero point folds into the rounding constant k (mcu_requant_consts); then
     * bias2 = -2 * reduce * input_zero_point and k (the DSP path requantizes 2 * sum + bias2 by SMMLAR) */
    int32_t small;
    int32_t bias2, k;
} mcu_mean_params;

typedef struct {
    int32_t input_zero_point, output_zero_point;
    int32_t output_multiplier_exponent;
    int16_t output_multiplier_fixedpoint_int16;
    int32_t reluish_multiplier_exponent;
    int16_t reluish_multiplier_fixedpoint_int16;
} mcu_hard_swish_params;

/* An N-d box of an N-d tensor (N <= MCU_MAX_DIMS), row-major, shapes padded with leading 1s. */
typedef struct {
    int32_t in_shape[MCU_MAX_DIMS];
    int32_t begin[MCU_MAX_DIMS];
    int32_t step[MCU_MAX_DIMS];
    int32_t out_shape[MCU_MAX_DIMS];
} mcu_slice_params;

typedef struct {
    int32_t in_shape[MCU_MAX_DIMS];
    int32_t perm[MCU_MAX_DIMS];
} mcu_transpose_params;

typedef struct {
    int32_t in_shape[MCU_MAX_DIMS];
    int32_t before[MCU_MAX_DIMS];
    int32_t after[MCU_MAX_DIMS];
    int8_t pad_value;
} mcu_pad_params;

/* MIRROR_PAD: the axes after the last padded one merged into one element of `elem` bytes (the last axis of
 * in_shape counts elements), offset 1 for REFLECT, 0 for SYMMETRIC. */
typedef struct {
    int32_t in_shape[MCU_MAX_DIMS];
    int32_t before[MCU_MAX_DIMS];
    int32_t after[MCU_MAX_DIMS];
    int32_t offset;
    int32_t elem;
} mcu_mirror_pad_params;

/* RESIZE_NEAREST_NEIGHBOR (NHWC): output pixel (y, x) of each batch is input pixel (rows[y], cols[x]).
 * RESIZE_BILINEAR: rows and cols hold (i0, i1, d) per output row / column, d the weight of i1 in 1/1024. */
typedef struct {
    int32_t batches, in_h, in_w, depth, out_h, out_w;
    const int16_t *rows;
    const int16_t *cols;
} mcu_resize_params;

/* GATHER along one axis with constant indices: the input is `outer` blocks of in_block bytes (the axes
 * before the gathered one); each output block is `runs` runs of the input block, run r starting at byte
 * start[r] and bytes[r] long (indices that follow each other joined). bytes NULL: every run is one byte. */
typedef struct {
    int32_t outer, in_block, runs;
    const int32_t *start;
    const int32_t *bytes;
} mcu_gather_params;

/* BATCH_MATMUL (int8, per-tensor): batch[3] output batch axes (1 when absent); the element (i, k) of an lhs
 * matrix at i * lhs_row_step + k * lhs_depth_step, (k, j) of an rhs matrix at j * rhs_col_step +
 * k * rhs_depth_step, matrices lhs_batch_step / rhs_batch_step apart per batch axis (0: broadcast). rhs_const
 * non-NULL: the constant rhs (the rhs argument is ignored). Output rows x cols per batch, row-major.
 * fully_connected 1 (FULLY_CONNECTED whose weights are an activation: the rhs, both operands with contiguous
 * depth): each sum starts at bias[j] (bias NULL: 0) and is requantized with one rounding
 * (mcu_requantize_single_round), as TFLite's reference FULLY_CONNECTED; 0: BATCH_MATMUL's double rounding. */
typedef struct {
    int32_t batch[3], lhs_batch_step[3], rhs_batch_step[3];
    int32_t rows, cols, depth, lhs_row_step, lhs_depth_step, rhs_col_step, rhs_depth_step;
    int32_t lhs_offset, rhs_offset, output_offset, multiplier, shift, act_min, act_max;
    const int8_t *rhs_const;
    int32_t fully_connected;
    const int32_t *bias;
} mcu_batch_matmul_params;

/* ARG_MAX / ARG_MIN along one axis: `outer` blocks of axis_size x inner int8 values; per block and inner
 * position the first index of the largest (minimum 0) or smallest (minimum 1) value, written as int32 or,
 * out64 1, as int64 (two words: the index, 0). */
typedef struct {
    int32_t outer, axis_size, inner, minimum, out64;
} mcu_arg_params;

/* SPACE_TO_BATCH_ND / BATCH_TO_SPACE_ND (NHWC; a 3-D tensor as N x H x 1 x C): the batch tensor
 * (block_h * block_w * batches, batch_h, batch_w, depth) against the space tensor (batches, space_h, space_w,
 * depth). Batch pixel (b, y, x) is space pixel (b % batches, y * block_h + (b / batches) / block_w - top,
 * x * block_w + (b / batches) % block_w - left). to_batch 1 (SPACE_TO_BATCH_ND): the batch tensor is the
 * output, pixels outside the space tensor pad_value; 0 (BATCH_TO_SPACE_ND): the batch tensor is the input,
 * its pixels outside the space tensor cropped. */
typedef struct {
    int32_t batches, space_h, space_w, batch_h, batch_w, block_h, block_w, top, left, depth;
    int32_t to_batch;
    int8_t pad_value;
} mcu_space_batch_params;

/* TRANSPOSE_CONV (NHWC, per-channel multipliers; bias may be NULL). Output (oy, ox) sums the input values
 * (iy, ix) with oy = iy * stride_h - pad_h + ky, ox = ix * stride_w - pad_w + kx. The weights are in phase
 * order (ops.TransposeConv2D.phase_weights): the outputs of one phase (oy mod stride_h, ox mod stride_w)
 * are an ordinary stride-1 convolution of the input with the taps ky = ry, ry + stride_h, ... (ry = (py +
 * pad_h) mod stride_h), kx likewise; per phase (row-major) out_c rows of the phase's Ty x Tx taps (flipped:
 * input rows and columns ascending) x in_c values, each row zero-padded to a multiple of 4 bytes
 * (mcu_transpose_conv_phase). fast_requant: every accumulator within [-2^30, 2^30) and every shift in
 * -31 .. -1 (the DSP path's condition). */
typedef struct {
    int32_t batches, in_h, in_w, in_c, out_h, out_w, out_c, kh, kw, stride_h, stride_w, pad_h, pad_w;
    int32_t input_offset, output_offset, act_min, act_max;
    const int8_t *weights;
    const int32_t *bias;
    const int32_t *multiplier;
    const int32_t *shift;
    int32_t fast_requant;
} mcu_transpose_conv_params;

/* One phase (py, px) of a TRANSPOSE_CONV: its taps (ty x tx), the first output row / column (py, px), the
 * stride-1 convolution's padding (top, left: phase output j reads input rows j - top .. j - top + ty - 1)
 * and the bytes of one output channel's weight row (row: ty * tx * in_c rounded up to 4). */
typedef struct {
    int32_t ty, tx, top, left, row;
} mcu_transpose_conv_phase_t;

static inline int32_t mcu_transpose_conv_taps(int32_t first, int32_t k, int32_t stride)
{
    return first < k ? (k - first + stride - 1) / stride : 0;
}

static inline mcu_transpose_conv_phase_t mcu_transpose_conv_phase(const mcu_transpose_conv_params *p, int32_t py,
                                                                  int32_t px)
{
    mcu_transpose_conv_phase_t ph;
    const int32_t ry = (py + p->pad_h) % p->stride_h, rx = (px + p->pad_w) % p->stride_w;
    ph.ty = mcu_transpose_conv_taps(ry, p->kh, p->stride_h);
    ph.tx = mcu_transpose_conv_taps(rx, p->kw, p->stride_w);
    ph.top = ph.ty - 1 - (py + p->pad_h) / p->stride_h;
    ph.left = ph.tx - 1 - (px + p->pad_w) / p->stride_w;
    ph.row = (ph.ty * ph.tx * p->in_c + 3) & ~3;
    return ph;
}

/* Scratch of the DSP path (mcu_transpose_conv_dsp_s8), 0 without fast_requant: the expanded pixel pair (4
 * words per 4 values of the largest phase's row), 8 words of requantization table per output channel pair,
 * two int8 patches (+ 4) and a block of the pad value (in_c rounded up to 4). */
static inline int32_t mcu_transpose_conv_s8_buffer_size(const mcu_transpose_conv_params *p)
{
    const int32_t row = (mcu_transpose_conv_taps(0, p->kh, p->stride_h) * mcu_transpose_conv_taps(0, p->kw, p->stride_w)
                         * p->in_c + 3) & ~3;
    return p->fast_requant ? 6 * row + 4 + 32 * ((p->out_c + 1) / 2) + ((p->in_c + 3) & ~3) : 0;
}

/* ---- kernels ---------------------------------------------------------------------------------- */

int32_t mcu_conv_s8_buffer_size(const mcu_dims *input_dims, const mcu_dims *filter_dims);
mcu_status mcu_conv_generic_s8(const mcu_conv_params *params, const mcu_per_channel_quant *quant,
                               const mcu_dims *input_dims, const int8_t *input,
                               const mcu_dims *filter_dims, const int8_t *filter,
                               const int32_t *bias, const mcu_dims *output_dims, int8_t *output);
/* Without groups, through a patch of the taps of one output pixel in scratch (4-byte aligned, at least
 * 4 * output channels + kh * kw * c rounded up to 16 bytes; mcu_conv_s8_buffer_size covers it). */
mcu_status mcu_conv_im2col_s8(const mcu_conv_params *params, const mcu_per_channel_quant *quant,
                              const mcu_dims *input_dims, const int8_t *input,
                              const mcu_dims *filter_dims, const int8_t *filter, const int32_t *bias,
                              const mcu_dims *output_dims, int8_t *output, int8_t *scratch);
mcu_status mcu_conv_1x1_s8(const mcu_conv_params *params, const mcu_per_channel_quant *quant,
                           const mcu_dims *input_dims, const int8_t *input,
                           const mcu_dims *filter_dims, const int8_t *filter, const int32_t *bias,
                           const mcu_dims *output_dims, int8_t *output);
/* Cortex-M DSP paths (defined only when __ARM_FEATURE_DSP is; see mcu_conv_dsp_s8.c). */
/* The 1x1 and k x k paths have one entry point per output clamp: _ssat for [act_min, act_max] =
 * [-128, 127], _ssat_lo for act_max = 127 and act_min above -128, _both otherwise
 * (mcu_conv_1x1_dsp_s8 and mcu_conv_kxk_dsp_s8 below pick one). */
#define MCU_CONV_1X1_DSP_DECL(NAME) \
    mcu_status NAME(const mcu_conv_params *params, const mcu_per_channel_quant *quant, \
                    const mcu_dims *input_dims, const int8_t *input, const mcu_dims *output_dims, \
                    const int8_t *filter, const int32_t *bias, int8_t *output, int16_t *scratch)
MCU_CONV_1X1_DSP_DECL(mcu_conv_1x1_dsp_ssat_s8);
MCU_CONV_1X1_DSP_DECL(mcu_conv_1x1_dsp_ssat_lo_s8);
MCU_CONV_1X1_DSP_DECL(mcu_conv_1x1_dsp_both_s8);
/* variants: _small_ the small path (input depths 8, 16, 32; two or more output channels), _quad_ four
 * pixels per pass (other input depths, an even output channel count), _quad1_ when the output pixel
 * count is 0 or 1 modulo 4 */
MCU_CONV_1X1_DSP_DECL(mcu_conv_1x1_dsp_small_ssat_s8);
MCU_CONV_1X1_DSP_DECL(mcu_conv_1x1_dsp_small_ssat_lo_s8);
MCU_CONV_1X1_DSP_DECL(mcu_conv_1x1_dsp_quad_ssat_s8);
MCU_CONV_1X1_DSP_DECL(mcu_conv_1x1_dsp_quad1_ssat_s8);
/* _padded_: the same on input depths that are not multiples of 4 (each pixel read as the depth rounded up
 * to 4 bytes, the input's last pixel from a padded copy); the others carry no check for that pixel */
MCU_CONV_1X1_DSP_DECL(mcu_conv_1x1_dsp_padded_ssat_s8);
MCU_CONV_1X1_DSP_DECL(mcu_conv_1x1_dsp_padded_ssat_lo_s8);
MCU_CONV_1X1_DSP_DECL(mcu_conv_1x1_dsp_padded_both_s8);
MCU_CONV_1X1_DSP_DECL(mcu_conv_1x1_dsp_padded_quad_ssat_s8);
MCU_CONV_1X1_DSP_DECL(mcu_conv_1x1_dsp_padded_quad1_ssat_s8);
#undef MCU_CONV_1X1_DSP_DECL
/* The small 1x1 path with the code generator's table (ops.small1x1_table): one entry point per input depth
 * rounded up to a multiple of 4 (4 to 32: the table's row length), clamp mode (_ssat, _ssat_lo) and post-shift add (_post);
 * mcu_conv_1x1_small_table_dsp_s8 below picks one. */
#define MCU_SMALL_DECL(NAME) \
    mcu_status NAME(const mcu_conv_params *params, const mcu_dims *input_dims, const int8_t *input, \
                    const mcu_dims *output_dims, int8_t *output, int16_t *scratch)
#define MCU_SMALL_DECLS(C) \
    MCU_SMALL_DECL(mcu_conv_1x1_small_c##C##_ssat_dsp_s8); \
    MCU_SMALL_DECL(mcu_conv_1x1_small_c##C##_ssat_post_dsp_s8); \
    MCU_SMALL_DECL(mcu_conv_1x1_small_c##C##_ssat_lo_dsp_s8); \
    MCU_SMALL_DECL(mcu_conv_1x1_small_c##C##_ssat_lo_post_dsp_s8);
/* _cNp_: input depths N - 3 to N - 1 (rows padded to N; the input's last pixel from a padded copy) */
#define MCU_SMALLP_DECLS(C) \
    MCU_SMALL_DECL(mcu_conv_1x1_small_c##C##p_ssat_dsp_s8); \
    MCU_SMALL_DECL(mcu_conv_1x1_small_c##C##p_ssat_post_dsp_s8); \
    MCU_SMALL_DECL(mcu_conv_1x1_small_c##C##p_ssat_lo_dsp_s8); \
    MCU_SMALL_DECL(mcu_conv_1x1_small_c##C##p_ssat_lo_post_dsp_s8);
MCU_SMALL_DECLS(4)
MCU_SMALL_DECLS(20)
MCU_SMALL_DECLS(24)
MCU_SMALL_DECLS(28)
MCU_SMALL_DECLS(32)
MCU_SMALLP_DECLS(20)
MCU_SMALLP_DECLS(24)
MCU_SMALLP_DECLS(28)
MCU_SMALLP_DECLS(32)
#undef MCU_SMALL_DECLS
#undef MCU_SMALLP_DECLS
/* Input depth 4 with the filter rows widened into scratch once per call (_c4w_): per group one LDM of the
 * pixel pair, one of the pair's weights and eight SMLAD. */
#define MCU_SMALLW_DECLS(C, P) \
    MCU_SMALL_DECL(mcu_conv_1x1_small_c##C##P##w_ssat_dsp_s8); \
    MCU_SMALL_DECL(mcu_conv_1x1_small_c##C##P##w_ssat_post_dsp_s8); \
    MCU_SMALL_DECL(mcu_conv_1x1_small_c##C##P##w_ssat_lo_dsp_s8); \
    MCU_SMALL_DECL(mcu_conv_1x1_small_c##C##P##w_ssat_lo_post_dsp_s8);
MCU_SMALLW_DECLS(4, )
#undef MCU_SMALLW_DECLS
/* Input depths 5 to 16, rows of N = 8, 12 or 16 bytes (_cNx_; _cNxp_ a depth that is not a multiple of 4; _lo:
 * act_min above -128; _m2: an output channel count of 2 modulo 4): the table in its one-pixel layout
 * (ops.small1x1_table, pixel=True), one pixel per pass held in registers against every output channel. */
#define MCU_SMALLX_DECLS(C, P) \
    MCU_SMALL_DECL(mcu_conv_1x1_small_c##C##x##P##_ssat_dsp_s8); \
    MCU_SMALL_DECL(mcu_conv_1x1_small_c##C##x##P##_ssat_post_dsp_s8); \
    MCU_SMALL_DECL(mcu_conv_1x1_small_c##C##x##P##_ssat_m2_dsp_s8); \
    MCU_SMALL_DECL(mcu_conv_1x1_small_c##C##x##P##_ssat_post_m2_dsp_s8); \
    MCU_SMALL_DECL(mcu_conv_1x1_small_c##C##x##P##_ssat_lo_dsp_s8); \
    MCU_SMALL_DECL(mcu_conv_1x1_small_c##C##x##P##_ssat_lo_post_dsp_s8); \
    MCU_SMALL_DECL(mcu_conv_1x1_small_c##C##x##P##_ssat_lo_m2_dsp_s8); \
    MCU_SMALL_DECL(mcu_conv_1x1_small_c##C##x##P##_ssat_lo_post_m2_dsp_s8); \
    MCU_SMALL_DECL(mcu_conv_1x1_small_c##C##x##P##_ssat_lh_dsp_s8); \
    MCU_SMALL_DECL(mcu_conv_1x1_small_c##C##x##P##_ssat_lh_post_dsp_s8); \
    MCU_SMALL_DECL(mcu_conv_1x1_small_c##C##x##P##_ssat_lh_m2_dsp_s8); \
    MCU_SMALL_DECL(mcu_conv_1x1_small_c##C##x##P##_ssat_lh_post_m2_dsp_s8);
MCU_SMALLX_DECLS(8, )
MCU_SMALLX_DECLS(12, )
MCU_SMALLX_DECLS(16, )
MCU_SMALLX_DECLS(8, p)
MCU_SMALLX_DECLS(12, p)
MCU_SMALLX_DECLS(16, p)
MCU_SMALLX_DECLS(18, p) /* depths 17 and 18: rows of 18 */
#undef MCU_SMALLX_DECLS
mcu_status mcu_conv_1x1_narrow_dsp_s8(const mcu_conv_params *params, const mcu_dims *input_dims,
                                      const int8_t *input, const mcu_dims *output_dims, int8_t *output);
mcu_status mcu_conv_generic_dsp_s8(const mcu_conv_params *params, const mcu_per_channel_quant *quant,
                                   const mcu_dims *input_dims, const int8_t *input,
                                   const mcu_dims *filter_dims, const int8_t *filter, const int32_t *bias,
                                   const mcu_dims *output_dims, int8_t *output);
#define MCU_CONV_SCRATCH_DECL(NAME) \
    mcu_status NAME(const mcu_conv_params *params, const mcu_per_channel_quant *quant, \
                    const mcu_dims *input_dims, const int8_t *input, const mcu_dims *filter_dims, \
                    const int8_t *filter, const int32_t *bias, const mcu_dims *output_dims, int8_t *output, \
                    int16_t *scratch)
MCU_CONV_SCRATCH_DECL(mcu_conv_kxk_dsp_ssat_s8);
MCU_CONV_SCRATCH_DECL(mcu_conv_kxk_dsp_ssat_lo_s8);
MCU_CONV_SCRATCH_DECL(mcu_conv_kxk_dsp_both_s8);
/* input depths that are multiples of 4: _tri_ three pixels per pass (three or more output pixels), _tri1_
 * when the output pixel count is 0 or 1 modulo 3; other input depths (patches gathered): _gathered_, its
 * _quad_ and _quad1_ as for 1x1 */
MCU_CONV_SCRATCH_DECL(mcu_conv_kxk_dsp_tri_ssat_s8);
MCU_CONV_SCRATCH_DECL(mcu_conv_kxk_dsp_tri_ssat_lo_s8);
MCU_CONV_SCRATCH_DECL(mcu_conv_kxk_dsp_tri1_ssat_s8);
MCU_CONV_SCRATCH_DECL(mcu_conv_kxk_dsp_tri1_ssat_lo_s8);
MCU_CONV_SCRATCH_DECL(mcu_conv_kxk_gathered_dsp_ssat_s8);
MCU_CONV_SCRATCH_DECL(mcu_conv_kxk_gathered_dsp_ssat_lo_s8);
MCU_CONV_SCRATCH_DECL(mcu_conv_kxk_gathered_dsp_both_s8);
MCU_CONV_SCRATCH_DECL(mcu_conv_kxk_gathered_dsp_quad_ssat_s8);
MCU_CONV_SCRATCH_DECL(mcu_conv_kxk_gathered_dsp_quad1_ssat_s8);
/* The 3x3 row path: one entry point per input depth c (1-3) and stride s (1, 2)
 * (mcu_conv_3x3_rows_dsp_s8 below picks one). */
MCU_CONV_SCRATCH_DECL(mcu_conv_3x3_rows_dsp_c1s1_s8);
MCU_CONV_SCRATCH_DECL(mcu_conv_3x3_rows_dsp_c1s2_s8);
MCU_CONV_SCRATCH_DECL(mcu_conv_3x3_rows_dsp_c2s1_s8);
MCU_CONV_SCRATCH_DECL(mcu_conv_3x3_rows_dsp_c2s2_s8);
MCU_CONV_SCRATCH_DECL(mcu_conv_3x3_rows_dsp_c3s1_s8);
MCU_CONV_SCRATCH_DECL(mcu_conv_3x3_rows_dsp_c3s2_s8);
/* 3x3 on one input channel with the code generator's table (ops.rows3c1_table), an even and an odd output
 * channel count (mcu_conv_3x3_rows_dsp_s8 below picks one). */
MCU_CONV_SCRATCH_DECL(mcu_conv_3x3_c1_dsp_s8);
MCU_CONV_SCRATCH_DECL(mcu_conv_3x3_c1_odd_dsp_s8);
/* k x k first convolutions (input depth 1-3) with the code generator's table (ops.first_table), per output
 * clamp (mcu_conv_first_dsp_s8 below picks one). */
MCU_CONV_SCRATCH_DECL(mcu_conv_first_dsp_ssat_s8);
MCU_CONV_SCRATCH_DECL(mcu_conv_first_dsp_ssat_lo_s8);
MCU_CONV_SCRATCH_DECL(mcu_conv_first_dsp_both_s8);
#undef MCU_CONV_SCRATCH_DECL
/* Words of one copy of a ring row of the 3x3 row path: the padded row as int16 pairs, plus one. */
static inline int32_t mcu_conv_3x3_rows_words(const mcu_dims *input_dims)
{
    return ((input_dims->w + 2) * input_dims->c + 1) / 2 + 1;
}

/* Any kernel size, stride, padding, dilation and depth multiplier (the portable kernel). */
mcu_status mcu_depthwise_conv_generic_s8(const mcu_dw_conv_params *params, const mcu_per_channel_quant *quant,
                                         const mcu_dims *input_dims, const int8_t *input,
                                         const mcu_dims *filter_dims, const int8_t *filter,
                                         const int32_t *bias, const mcu_dims *output_dims, int8_t *output);
int32_t mcu_depthwise_conv_s8_buffer_size(const mcu_dw_conv_params *params, const mcu_dims *input_dims,
                                          const mcu_dims *filter_dims);
/* The 3x3 DSP path: one entry point per stride (s1: 1, s2: 2) and output clamp (_ssat, _ssat_lo as for
 * mcu_conv_1x1_dsp_s8; _both: other ranges, any stride), the stride-1 rows also in channel chunks (_chunk:
 * params->chunk != 0; the others run the whole depth without the chunk loop); mcu_depthwise_3x3_dsp_s8 below
 * picks one. */
#define MCU_DW3_DECL(NAME) \
    mcu_status NAME(const mcu_dw_conv_params *params, const mcu_per_channel_quant *quant, \
                    const mcu_dims *input_dims, const int8_t *input, const int8_t *filter, const int32_t *bias, \
                    const mcu_dims *output_dims, int8_t *output, int16_t *scratch)
MCU_DW3_DECL(mcu_depthwise_3x3_dsp_s1_ssat_s8);
MCU_DW3_DECL(mcu_depthwise_3x3_dsp_s2_ssat_s8);
MCU_DW3_DECL(mcu_depthwise_3x3_dsp_s1_ssat_lo_s8);
MCU_DW3_DECL(mcu_depthwise_3x3_dsp_s1_ssat_t_s8);
MCU_DW3_DECL(mcu_depthwise_3x3_dsp_s1_ssat_lo_t_s8);
MCU_DW3_DECL(mcu_depthwise_3x3_dsp_s1_ssat_chunk_s8);
MCU_DW3_DECL(mcu_depthwise_3x3_dsp_s1_ssat_lo_chunk_s8);
MCU_DW3_DECL(mcu_depthwise_3x3_dsp_s1_ssat_t_chunk_s8);
MCU_DW3_DECL(mcu_depthwise_3x3_dsp_s1_ssat_lo_t_chunk_s8);
MCU_DW3_DECL(mcu_depthwise_3x3_dsp_s2_ssat_lo_s8);
MCU_DW3_DECL(mcu_depthwise_3x3_dsp_s2_ssat_post_s8);
MCU_DW3_DECL(mcu_depthwise_3x3_dsp_s2_ssat_lo_post_s8);
MCU_DW3_DECL(mcu_depthwise_3x3_dsp_s2_ssat_l_s8);
MCU_DW3_DECL(mcu_depthwise_3x3_dsp_s2_ssat_post_l_s8);
MCU_DW3_DECL(mcu_depthwise_3x3_dsp_s2_ssat_lo_l_s8);
MCU_DW3_DECL(mcu_depthwise_3x3_dsp_s2_ssat_lo_post_l_s8);
MCU_DW3_DECL(mcu_depthwise_3x3_dsp_s1_ssat_w_s8);
MCU_DW3_DECL(mcu_depthwise_3x3_dsp_s1_ssat_post_w_s8);
MCU_DW3_DECL(mcu_depthwise_3x3_dsp_s1_ssat_lo_w_s8);
MCU_DW3_DECL(mcu_depthwise_3x3_dsp_s1_ssat_lo_post_w_s8);
MCU_DW3_DECL(mcu_depthwise_3x3_dsp_s1_ssat_wc_s8);
MCU_DW3_DECL(mcu_depthwise_3x3_dsp_s1_ssat_post_wc_s8);
MCU_DW3_DECL(mcu_depthwise_3x3_dsp_s1_ssat_lo_wc_s8);
MCU_DW3_DECL(mcu_depthwise_3x3_dsp_s1_ssat_lo_post_wc_s8);
MCU_DW3_DECL(mcu_depthwise_3x3_dsp_s2_c_s8);
MCU_DW3_DECL(mcu_depthwise_3x3_dsp_both_s8);
#undef MCU_DW3_DECL
int32_t mcu_depthwise_dsp_row_width(const mcu_dims *input_dims);
mcu_status mcu_depthwise_3tap_dsp_s8(const mcu_dw_conv_params *params, const mcu_per_channel_quant *quant,
                                     const mcu_dims *input_dims, const int8_t *input,
                                     const mcu_dims *filter_dims, const int8_t *filter, const int32_t *bias,
                                     const mcu_dims *output_dims, int8_t *output);
int mcu_depthwise_3tap_fits(const mcu_dw_conv_params *params, const mcu_dims *input_dims,
                            const mcu_dims *filter_dims, const mcu_dims *output_dims);
mcu_status mcu_depthwise_m1_dsp_s8(const mcu_dw_conv_params *params, const mcu_per_channel_quant *quant,
                                   const mcu_dims *input_dims, const int8_t *input,
                                   const mcu_dims *filter_dims, const int8_t *filter, const int32_t *bias,
                                   const mcu_dims *output_dims, int8_t *output);

/* Every FULLY_CONNECTED layer (mcu_fully_connected_s8 below picks the encoded entry points on DSP cores). */
mcu_status mcu_fully_connected_generic_s8(const mcu_fc_params *params, const mcu_per_channel_quant *quant,
                                          int32_t batches, int32_t input_depth, const int8_t *input,
                                          int32_t output_depth, const int8_t *filter, const int32_t *bias,
                                          int8_t *output);
/* The encoded layers (params->table) on DSP cores, per head block of N rows (params->head_rows, 0 .. 5):
 * _post when a row adds its zero point after the shift (params->post), per output clamp _ssat
 * ([-128, 127]), _ssat_lo (act_max 127 only), _both. The dimensions are params->batches and
 * params->input_depth. The list: the variants E(N, NAME, POST, LO, LOS, LOR, BOTH) of head block N (the
 * assembly pieces POST .. LOR are defined in mcu_fully_connected_s8.c, which expands its entry points from
 * this list too), for the six head blocks. */
#define MCU_FCE_VARIANTS(E, N) \
    E(N, _ssat_s8, "", "", "", "", 0) \
    E(N, _ssat_lo_s8, "", MCU_FCE_LO, MCU_FCE_LOS, MCU_FCE_LOR, 0) \
    E(N, _both_s8, "", MCU_FCE_LO, MCU_FCE_LOS, MCU_FCE_LOR, 1) \
    E(N, _post_ssat_s8, MCU_FCE_POST, "", "", "", 0) \
    E(N, _post_ssat_lo_s8, MCU_FCE_POST, MCU_FCE_LO, MCU_FCE_LOS, MCU_FCE_LOR, 0) \
    E(N, _post_both_s8, MCU_FCE_POST, MCU_FCE_LO, MCU_FCE_LOS, MCU_FCE_LOR, 1)
#define MCU_FCE_HEADS(E) \
    MCU_FCE_VARIANTS(E, 0) MCU_FCE_VARIANTS(E, 1) MCU_FCE_VARIANTS(E, 2) \
    MCU_FCE_VARIANTS(E, 3) MCU_FCE_VARIANTS(E, 4) MCU_FCE_VARIANTS(E, 5)
#define MCU_FCE_DECL(N, NAME, P, LO, LOS, LOR, BOTH) \
    mcu_status mcu_fc_encoded_h##N##NAME(const mcu_fc_params *params, const int8_t *input, const int8_t *filter, \
                                         int8_t *output);
MCU_FCE_HEADS(MCU_FCE_DECL)
/* one to three head rows, the depth a multiple of 8, the input word-aligned */
MCU_FCE_VARIANTS(MCU_FCE_DECL, 1e) MCU_FCE_VARIANTS(MCU_FCE_DECL, 2e) MCU_FCE_VARIANTS(MCU_FCE_DECL, 3e)
#undef MCU_FCE_DECL
/* The widened-input layers (mcu_fc_widened_fits): the same, the input widened once per batch row into a
 * stack buffer of 8 bytes per group of four inputs. */
#define MCU_FCW_DECL(N, NAME, P, LO, LOS, LOR, BOTH) \
    mcu_status mcu_fc_widened_h##N##NAME(const mcu_fc_params *params, const int8_t *input, const int8_t *filter, \
                                         int8_t *output);
MCU_FCE_HEADS(MCU_FCW_DECL)
#undef MCU_FCW_DECL
/* The widened-input path's buffer: at most this many groups of four inputs (8 bytes each on the stack). */
#define MCU_FCW_GROUPS 32
/* An encoded layer takes the widened-input path when its input fits the buffer and its rows make at least
 * three passes over the input (the widening costs about one pass's input work). */
static inline int mcu_fc_widened_fits(const mcu_fc_params *params)
{
    return params->input_depth <= 4 * MCU_FCW_GROUPS && params->row_blocks >= 6 &&
           params->head_rows + params->row_blocks >= 13;
}

/* AVERAGE_POOL_2D / MAX_POOL_2D: mcu_avgpool_s8 / mcu_maxpool_s8 below pick one of these. */
#define MCU_POOL_DECL(NAME) \
    mcu_status NAME(const mcu_pool_params *params, const mcu_dims *input_dims, const int8_t *input, \
                    const mcu_dims *output_dims, int8_t *output)
MCU_POOL_DECL(mcu_avgpool_generic_s8);
MCU_POOL_DECL(mcu_maxpool_generic_s8);
MCU_POOL_DECL(mcu_avgpool_global_s8);
MCU_POOL_DECL(mcu_maxpool_global_s8);
MCU_POOL_DECL(mcu_avgpool_inside_s8);
MCU_POOL_DECL(mcu_maxpool_inside_s8);
#undef MCU_POOL_DECL

/* A pool planned by the code generator (ops.Pool2D.plan): no padding, every window inside the input,
 * 2 x 2 windows (or two taps for the maximum), channels a multiple of 4 (every offset a whole number of
 * words). rows x pixels spans of words * 4 bytes of output, written in order; a span's windows start at
 * consecutive words of the input, the next span's skip bytes after the span's end, the next row's
 * row_skip bytes after the row's last skip; a window's taps at 0 and o1 (two taps), o2 and o3 = o1 + o2
 * (2 x 2) bytes from its start; lo4 / hi4 the output clamp in every byte. Called directly from the
 * generated model, the clamp picked there (_clamp_ entry points): no dims, bounds or dispatch at run
 * time. */
typedef struct {
    int32_t rows, pixels, words, skip, row_skip;
    int32_t o1, o2, o3;
    uint32_t lo4, hi4;
} mcu_pool_plan;
#define MCU_POOL_PLAN_DECL(NAME) void NAME(const int8_t *input, int8_t *output, const mcu_pool_plan *plan);
MCU_POOL_PLAN_DECL(mcu_pool_plan_max2_s8)
MCU_POOL_PLAN_DECL(mcu_pool_plan_max4_s8)
MCU_POOL_PLAN_DECL(mcu_pool_plan_avg4_s8)
MCU_POOL_PLAN_DECL(mcu_pool_plan_max2_clamp_s8)
MCU_POOL_PLAN_DECL(mcu_pool_plan_max4_clamp_s8)
MCU_POOL_PLAN_DECL(mcu_pool_plan_avg4_clamp_s8)
#undef MCU_POOL_PLAN_DECL

/* MEAN planned by the code generator (ops.Mean.plan): params.small = 1 (reduce <= 256) and inner a
 * multiple of 8 (every element's eight channels one aligned doubleword). The DSP path's constants first:
 * bias2, multiplier, k and rw = right shift | 2 << 16 (SMLAxT doubles a halfword sum by the top half,
 * ASR reads the bottom byte), then inner, the bytes of (reduce & ~3) and of reduce elements, outer; on
 * DSP cores eight channels per pass in one assembly block each (no checks, dispatch or set-up at run
 * time), elsewhere mcu_mean_s8 with params and reduce. */
typedef struct {
    int32_t bias2, multiplier, k, rw;
    int32_t inner, n4, n, outer;
    mcu_mean_params params;
    int32_t reduce;
} mcu_mean_plan;
void mcu_mean_plan8_s8(const int8_t *input, int8_t *output, const mcu_mean_plan *plan);

/* Mean over the middle axis of [outer, reduce, inner]. */
mcu_status mcu_mean_s8(const mcu_mean_params *params, int32_t outer, int32_t reduce, int32_t inner,
                       const int8_t *input, int8_t *output);

/* REDUCE_MAX over the middle axis of [outer, reduce, inner] (reduce >= 1; quantization unchanged). */
mcu_status mcu_reduce_max_s8(int32_t outer, int32_t reduce, int32_t inner, const int8_t *input, int8_t *output);
/* REDUCE_MIN likewise (the same file's loops, the smaller value kept). */
mcu_status mcu_reduce_min_s8(int32_t outer, int32_t reduce, int32_t inner, const int8_t *input, int8_t *output);

/* REDUCE_PROD over `reduce` values (inner apart) of each of outer x inner outputs, as TFLite's reference:
 * p = first - input_zero_point, then for each next value p = rescale(p * (value - input_zero_point)), and the
 * output rescale(p) + output_zero_point saturated, rescale(x) = (x * multiplier + 2^(total_shift - 1)) >>
 * total_shift in 64 bits, truncated to 32 (MultiplyByQuantizedMultiplier of an int64: the multiplier rounded
 * to 16 bits, total_shift = 15 - shift). */
typedef struct {
    int32_t outer, reduce, inner;
    int32_t input_zero_point, output_zero_point;
    int32_t multiplier, total_shift;
} mcu_reduce_prod_params;
mcu_status mcu_reduce_prod_s8(const mcu_reduce_prod_params *params, const int8_t *input, int8_t *output);

mcu_status mcu_add_s8(const mcu_add_params *params, const mcu_broadcast *shape,
                      const int8_t *input1, const int8_t *input2, int8_t *output);
mcu_status mcu_mul_s8(const mcu_mul_params *params, const mcu_broadcast *shape,
                      const int8_t *input1, const int8_t *input2, int8_t *output);

/* MAXIMUM / MINIMUM of the int8 values as stored (TFLite's reference ignores the quantization). */
typedef struct {
    int32_t minimum; /* 0: MAXIMUM, 1: MINIMUM */
} mcu_minmax_params;
mcu_status mcu_minmax_s8(const mcu_minmax_params *params, const mcu_broadcast *shape,
                         const int8_t *input1, const int8_t *input2, int8_t *output);

/* Comparisons and logical operators to bool outputs (one byte, 0 or 1 as TFLite stores bool):
 * mode 0: lo <= a <= hi (a comparison with a constant scalar, LOGICAL_NOT; input 2 unused),
 * mode 1: a == b, mode 2: a > b, compared as ranks[(uint8_t)a] and ranks[256 + (uint8_t)b] (each input's
 * values rescaled as TFLite's reference does, ranked among both inputs' rescaled values) or, ranks NULL,
 * as the bytes themselves, mode 3: a AND b, mode 4: a OR b (bool bytes). invert 1: the result negated. */
typedef struct {
    int32_t mode, invert, lo, hi;
    const int16_t *ranks;
} mcu_compare_params;
mcu_status mcu_compare_s8(const mcu_compare_params *params, const mcu_broadcast *shape, const int8_t *input1,
                          const int8_t *input2, uint8_t *output);

/* SELECT / SELECT_V2: output = condition ? x : y per element (bytes copied, as TFLite's reference), 4-D
 * broadcasting with each operand's element strides (0 where broadcast). */
typedef struct {
    int32_t dims[4];
    int32_t stride_c[4], stride_x[4], stride_y[4];
} mcu_select_shape;
mcu_status mcu_select_s8(const mcu_select_shape *shape, const uint8_t *condition, const int8_t *x,
                         const int8_t *y, int8_t *output);

/* SQUARED_DIFFERENCE: table[u] / table[256 + u] is input 1's / input 2's byte u (read as uint8) shifted
 * left 7 and rescaled to twice the larger input scale, as TFLite's reference; the squared difference of
 * the two is requantized to the output (no activation; saturated to int8). */
typedef struct {
    const int16_t *table;
    int32_t output_offset;
    mcu_quant output;
    /* 1: the output shift is in [-31, -1], squares are below 2^30 and |k| < 2^30, where
     * k = 2^(right - 1) + output_offset * 2^right (right = -shift): see mcu_squared_difference_s8.c */
    int32_t fast_requant;
    int32_t k;
} mcu_squared_difference_params;
mcu_status mcu_squared_difference_s8(const mcu_squared_difference_params *params, const mcu_broadcast *shape,
                                     const int8_t *input1, const int8_t *input2, int8_t *output);

/* Concatenation of inputs that share the output's quantization: for each of `outer` rows, copy
 * copy_bytes[i] bytes of each input in turn. */
mcu_status mcu_concat_s8(int32_t num_inputs, const int8_t *const *inputs, const int32_t *copy_bytes,
                         int32_t outer, int8_t *output);

mcu_status mcu_transpose_s8(const mcu_transpose_params *params, const int8_t *input, int8_t *output);
mcu_status mcu_slice_s8(const mcu_slice_params *params, const int8_t *input, int8_t *output);
mcu_status mcu_pad_s8(const mcu_pad_params *params, const int8_t *input, int8_t *output);
mcu_status mcu_mirror_pad_s8(const mcu_mirror_pad_params *params, const int8_t *input, int8_t *output);
mcu_status mcu_resize_nearest_s8(const mcu_resize_params *params, const int8_t *input, int8_t *output);
mcu_status mcu_resize_bilinear_s8(const mcu_resize_params *params, const int8_t *input, int8_t *output);
/* scratch: mcu_transpose_conv_s8_buffer_size bytes (4-byte aligned), or NULL for the portable path. */
mcu_status mcu_transpose_conv_s8(const mcu_transpose_conv_params *params, const int8_t *input, int8_t *output,
                                 int16_t *scratch);
mcu_status mcu_transpose_conv_dsp_s8(const mcu_transpose_conv_params *params, const int8_t *input, int8_t *output,
                                     int16_t *scratch);
mcu_status mcu_gather_s8(const mcu_gather_params *params, const int8_t *input, int8_t *output);
mcu_status mcu_space_batch_s8(const mcu_space_batch_params *params, const int8_t *input, int8_t *output);
mcu_status mcu_batch_matmul_s8(const mcu_batch_matmul_params *params, const int8_t *lhs, const int8_t *rhs,
                               int8_t *output);
/* output: 4-byte aligned (int32, or int64 as two words) */
mcu_status mcu_arg_minmax_s8(const mcu_arg_params *params, const int8_t *input, int32_t *output);
mcu_status mcu_copy_s8(int32_t size, const int8_t *input, int8_t *output);
/* rows x row_bytes bytes from input (rows input_stride bytes apart) to output (output_stride apart). */
mcu_status mcu_copy_2d_s8(int32_t rows, int32_t row_bytes, const int8_t *input, int32_t input_stride,
                          int8_t *output, int32_t output_stride);

/* L2_NORMALIZATION over the last axis: output scale 1/128, zero point 0; input_offset = -input zero point. */
mcu_status mcu_l2norm_s8(int32_t outer, int32_t depth, int32_t input_offset, const int8_t *input, int8_t *output);

/* LOG_SOFTMAX: exp_table[d] as mcu_softmax_params' (the exponential of the difference d = max - x, 0 below
 * diff_min); diff_table[d]: -d rescaled to Q5.26 by the input multiplier and left shift (used where
 * -d >= diff_min); the reverse multiplier and shift take a Q5.26 value back to an input difference. */
typedef struct {
    const int32_t *exp_table;
    const int32_t *diff_table;
    int32_t diff_min;
    int32_t reverse_multiplier;
    int32_t reverse_shift;
} mcu_log_softmax_params;
/* LOG_SOFTMAX over the last axis (fewer than 4096 values), output scale 16/256 and zero point 127. */
mcu_status mcu_log_softmax_s8(const mcu_log_softmax_params *params, int32_t outer, int32_t depth,
                              const int8_t *input, int8_t *output);

/* SOFTMAX over the last axis (any length), output scale 1/256 and zero point -128. */
mcu_status mcu_softmax_s8(const mcu_softmax_params *params, int32_t outer, int32_t depth, const int8_t *input,
                          int8_t *output);

/* 256-entry lookup, indexed by the input byte (LOGISTIC and other 8-bit unary functions). */
mcu_status mcu_lut_s8(const int8_t *table, int32_t size, const int8_t *input, int8_t *output);
mcu_status mcu_logistic_s8(const int8_t *table, int32_t size, const int8_t *input, int8_t *output);

mcu_status mcu_hard_swish_s8(const mcu_hard_swish_params *params, int32_t size, const int8_t *input,
                             int8_t *output);

/* RELU / RELU6 / RELU_N1_TO_1: requantize to the output scale, then clamp to the activation range. */
typedef struct {
    int32_t input_zero_point, output_zero_point;
    mcu_quant quant;
    int32_t act_min, act_max;
} mcu_relu_params;
mcu_status mcu_relu_s8(const mcu_relu_params *params, int32_t size, const int8_t *input, int8_t *output);

/* PRELU: element i takes alpha[i % period] (the constant alpha broadcast to the input, repeating). */
typedef struct {
    int32_t input_offset, alpha_offset, output_offset; /* -input zero point, -alpha zero point, output zero point */
    mcu_quant alpha_quant;                             /* input scale * alpha scale / output scale */
    const int8_t *alpha;
    int32_t period;
    const int8_t *table;  /* 256 entries (input value + 128): the output where input - zero point >= 0 */
    int32_t fast_requant; /* 1: alpha_quant.shift in [-31, -1] (products are below 2^16) */
} mcu_prelu_params;
mcu_status mcu_prelu_s8(const mcu_prelu_params *params, int32_t size, const int8_t *input, int8_t *output);

/* QUANTIZE int8 -> int8, uint8 -> int8 and int8 -> uint8 (requantize), float -> int8; DEQUANTIZE int8 -> float. */
mcu_status mcu_requantize_s8(int32_t input_zero_point, int32_t output_zero_point, const mcu_quant *quant,
                             int32_t size, const int8_t *input, int8_t *output);
mcu_status mcu_requantize_u8_s8(int32_t input_zero_point, int32_t output_zero_point, const mcu_quant *quant,
                                int32_t size, const uint8_t *input, int8_t *output);
mcu_status mcu_requantize_s8_u8(int32_t input_zero_point, int32_t output_zero_point, const mcu_quant *quant,
                                int32_t size, const int8_t *input, uint8_t *output);
mcu_status mcu_quantize_f32_s8(float scale, int32_t zero_point, int32_t size, const float *input,
                               int8_t *output);
mcu_status mcu_dequantize_s8_f32(float scale, int32_t zero_point, int32_t size, const int8_t *input,
                                 float *output);

/* ---- dispatch ----------------------------------------------------------------------------------
 * mcu_conv_s8 and mcu_depthwise_conv_s8 pick the fastest path that applies to a layer. They are inline so
 * that, in generated code, whose parameters and dimensions are static constants, the choice is made by
 * the compiler: each call becomes a call of the one path it takes, and a firmware links (with
 * -ffunction-sections and --gc-sections) only the paths its model uses. */
#if defined(__GNUC__)
#define MCU_DISPATCH static inline __attribute__((always_inline))
#else
#define MCU_DISPATCH static inline
#endif

/* FULLY_CONNECTED: the encoded entry point for the layer's clamp and post-shift zero point on DSP cores,
 * else the generic kernel. */
MCU_DISPATCH mcu_status mcu_fully_connected_s8(const mcu_fc_params *params, const mcu_per_channel_quant *quant,
                                               int32_t batches, int32_t input_depth, const int8_t *input,
                                               int32_t output_depth, const int8_t *filter, const int32_t *bias,
                                               int8_t *output)
{
#if defined(__ARM_FEATURE_DSP)
    if (params->table && params->input_offset == 0 && params->filter_offset == 0 && batches > 0 &&
        params->batches == batches && params->input_depth == input_depth &&
        ((uintptr_t)filter & 3) == 0) { /* LDRD: the filter word-aligned (MCU_ALIGNED4) */
        const int ssat = params->act_min <= -128, lo = params->act_max == 127, post = params->post;
        const int wide = mcu_fc_widened_fits(params);
        mcu_status (*fn)(const mcu_fc_params *, const int8_t *, const int8_t *, int8_t *);
#define MCU_FCE_PICK_K(K, N) \
    fn = post ? (!lo ? mcu_fc_##K##_h##N##_post_both_s8 \
                     : ssat ? mcu_fc_##K##_h##N##_post_ssat_s8 : mcu_fc_##K##_h##N##_post_ssat_lo_s8) \
              : (!lo ? mcu_fc_##K##_h##N##_both_s8 : ssat ? mcu_fc_##K##_h##N##_ssat_s8 : mcu_fc_##K##_h##N##_ssat_lo_s8)
#define MCU_FCE_PICK(N) \
    if (wide) { \
        MCU_FCE_PICK_K(widened, N); \
    } else { \
        MCU_FCE_PICK_K(encoded, N); \
    }
        /* a head block of 1 to 3 rows two groups per step */
        const int two = !wide && input_depth % 8 == 0 && ((uintptr_t)input & 3) == 0;
        switch (params->head_rows) {
        case 0:
            MCU_FCE_PICK(0);
            break;
        case 1:
            if (two) {
                MCU_FCE_PICK_K(encoded, 1e);
            } else {
                MCU_FCE_PICK(1);
            }
            break;
        case 2:
            if (two) {
                MCU_FCE_PICK_K(encoded, 2e);
            } else {
                MCU_FCE_PICK(2);
            }
            break;
        case 3:
            if (two) {
                MCU_FCE_PICK_K(encoded, 3e);
            } else {
                MCU_FCE_PICK(3);
            }
            break;
        case 4:
            MCU_FCE_PICK(4);
            break;
        default:
            MCU_FCE_PICK(5);
            break;
        }
#undef MCU_FCE_PICK
#undef MCU_FCE_PICK_K
        (void)quant, (void)output_depth, (void)bias;
        return fn(params, input, filter, output);
    }
#endif
    return mcu_fully_connected_generic_s8(params, quant, batches, input_depth, input, output_depth, filter, bias,
                                          output);
}

/* Pooling on DSP cores: a global pool (one output pixel over the whole input, no padding, at most 256
 * pixels, channels a multiple of 4), a pool whose every window lies inside the input (no padding, at
 * most 64 taps, narrower than the input), else the general kernel. */
static inline int mcu_pool_global_fits(const mcu_pool_params *params, const mcu_dims *input_dims,
                                       const mcu_dims *output_dims)
{
    return input_dims->n == 1 && output_dims->h == 1 && output_dims->w == 1 && params->filter.h == input_dims->h &&
           params->filter.w == input_dims->w && params->padding.h == 0 && params->padding.w == 0 &&
           input_dims->c % 4 == 0 && output_dims->c == input_dims->c && input_dims->h * input_dims->w <= 256;
}

static inline int mcu_pool_inside_fits(const mcu_pool_params *params, const mcu_dims *input_dims,
                                       const mcu_dims *output_dims)
{
    return input_dims->n == 1 && params->padding.h == 0 && params->padding.w == 0 &&
           output_dims->c == input_dims->c && output_dims->h >= 1 && output_dims->w >= 1 &&
           params->filter.w < input_dims->w && params->filter.h * params->filter.w <= 64 &&
           (output_dims->h - 1) * params->stride.h + params->filter.h <= input_dims->h &&
           (output_dims->w - 1) * params->stride.w + params->filter.w <= input_dims->w;
}

#if defined(__ARM_FEATURE_DSP)
/* The interior of a pool (mcu_pool_s8.c): rows x pixels output pixels whose windows all lie inside the
 * input and share one table of tap offsets (off[0 .. n-1] from the window start; 2 x 2 windows use
 * o1 .. o3 and two-tap maxima o1 instead); a pixel's window is step bytes after the previous one's, a
 * row's first window in_row bytes after the previous row's, its first output out_row bytes after; c
 * channels per pixel (with stride 1 along the width a row's pixels are one pixel of pixels * c). */
typedef struct {
    const int32_t *off;
    int32_t n, c, step, pixels, rows, in_row, out_row, lo, hi;
    int32_t o1, o2, o3; /* off[1 .. 3] of windows of 2 and 4 taps (the table is filled only for others) */
} mcu_pool_block;
void mcu_pool_block_max2_s8(const int8_t *p, const mcu_pool_block *b, int8_t *out);
void mcu_pool_block_max4_s8(const int8_t *p, const mcu_pool_block *b, int8_t *out);
void mcu_pool_block_avg4_s8(const int8_t *p, const mcu_pool_block *b, int8_t *out);

/* A pool of mcu_pool_inside_fits with 2 x 2 windows (or two taps for the maximum) and a block pixel of
 * a multiple of 4 channels: no tap table, so the block is made here, where the generated model's static
 * parameters and dims make every field a constant, and its kernel called directly (mcu_pool_inside_s8's
 * checks and set-up left out). */
static inline int mcu_pool_block_fits(const mcu_pool_params *params, const mcu_dims *input_dims,
                                      const mcu_dims *output_dims, int is_max)
{
    const int32_t n = params->filter.h * params->filter.w;
    const int32_t bc = params->stride.w == 1 ? input_dims->c * output_dims->w : input_dims->c;
    return mcu_pool_inside_fits(params, input_dims, output_dims) && bc % 4 == 0 &&
           ((params->filter.h == 2 && params->filter.w == 2) || (is_max && n == 2));
}

MCU_DISPATCH mcu_status mcu_pool_block_s8(const mcu_pool_params *params, const mcu_dims *input_dims,
                                          const int8_t *input, const mcu_dims *output_dims, int8_t *output,
                                          int is_max)
{
    const int32_t c = input_dims->c, row = input_dims->w * c, fh = params->filter.h, fw = params->filter.w;
    const int32_t out_w = output_dims->w, sw = params->stride.w;
    const mcu_pool_block blk = {0, fh * fw, sw == 1 ? c * out_w : c, sw * c, sw == 1 ? 1 : out_w, output_dims->h,
                                params->stride.h * row, out_w * c, params->act_min, params->act_max,
                                fh == 2 && fw == 2 ? c : fw == 2 ? c : row, fh == 2 && fw == 2 ? row : 0,
                                fh == 2 && fw == 2 ? row + c : 0};
    if (!is_max) {
        mcu_pool_block_avg4_s8(input, &blk, output);
    } else if (fh * fw == 2) {
        mcu_pool_block_max2_s8(input, &blk, output);
    } else {
        mcu_pool_block_max4_s8(input, &blk, output);
    }
    return MCU_OK;
}
#endif

MCU_DISPATCH mcu_status mcu_avgpool_s8(const mcu_pool_params *params, const mcu_dims *input_dims,
                                       const int8_t *input, const mcu_dims *output_dims, int8_t *output)
{
#if defined(__ARM_FEATURE_DSP)
    if (mcu_pool_global_fits(params, input_dims, output_dims)) {
        return mcu_avgpool_global_s8(params, input_dims, input, output_dims, output);
    }
    if (mcu_pool_block_fits(params, input_dims, output_dims, 0)) {
        return mcu_pool_block_s8(params, input_dims, input, output_dims, output, 0);
    }
    if (mcu_pool_inside_fits(params, input_dims, output_dims)) {
        return mcu_avgpool_inside_s8(params, input_dims, input, output_dims, output);
    }
#endif
    return mcu_avgpool_generic_s8(params, input_dims, input, output_dims, output);
}

MCU_DISPATCH mcu_status mcu_maxpool_s8(const mcu_pool_params *params, const mcu_dims *input_dims,
                                       const int8_t *input, const mcu_dims *output_dims, int8_t *output)
{
#if defined(__ARM_FEATURE_DSP)
    if (mcu_pool_global_fits(params, input_dims, output_dims)) {
        return mcu_maxpool_global_s8(params, input_dims, input, output_dims, output);
    }
    if (mcu_pool_block_fits(params, input_dims, output_dims, 1)) {
        return mcu_pool_block_s8(params, input_dims, input, output_dims, output, 1);
    }
    if (mcu_pool_inside_fits(params, input_dims, output_dims)) {
        return mcu_maxpool_inside_s8(params, input_dims, input, output_dims, output);
    }
#endif
    return mcu_maxpool_generic_s8(params, input_dims, input, output_dims, output);
}

/* The DSP 1x1 and k x k paths' entry point for the layer's output clamp and variant. */
MCU_DISPATCH mcu_status mcu_conv_1x1_dsp_s8(const mcu_conv_params *params, const mcu_per_channel_quant *quant,
                                            const mcu_dims *input_dims, const int8_t *input,
                                            const mcu_dims *output_dims, const int8_t *filter,
                                            const int32_t *bias, int8_t *output, int16_t *scratch)
{
    typedef mcu_status (*pw_fn)(const mcu_conv_params *, const mcu_per_channel_quant *, const mcu_dims *,
                                const int8_t *, const mcu_dims *, const int8_t *, const int32_t *, int8_t *,
                                int16_t *);
    const int32_t c = input_dims->c, out_c = output_dims->c;
    const int small = (c == 8 || c == 16 || c == 32) && out_c >= 2, pad = c % 4 != 0;
    pw_fn run;
    if (params->act_max != 127) {
        run = pad ? mcu_conv_1x1_dsp_padded_both_s8 : mcu_conv_1x1_dsp_both_s8;
    } else if (params->act_min <= -128) {
        if (small) {
            run = mcu_conv_1x1_dsp_small_ssat_s8;
        } else if (c != 8 && c != 16 && c != 32 && out_c >= 2 && out_c % 2 == 0) {
            const int32_t npix = output_dims->n * output_dims->h * output_dims->w;
            run = npix % 4 <= 1 ? (pad ? mcu_conv_1x1_dsp_padded_quad1_ssat_s8 : mcu_conv_1x1_dsp_quad1_ssat_s8)
                                : (pad ? mcu_conv_1x1_dsp_padded_quad_ssat_s8 : mcu_conv_1x1_dsp_quad_ssat_s8);
        } else {
            run = pad ? mcu_conv_1x1_dsp_padded_ssat_s8 : mcu_conv_1x1_dsp_ssat_s8;
        }
    } else if (small) {
        run = mcu_conv_1x1_dsp_small_ssat_lo_s8;
    } else {
        run = pad ? mcu_conv_1x1_dsp_padded_ssat_lo_s8 : mcu_conv_1x1_dsp_ssat_lo_s8;
    }
    return run(params, quant, input_dims, input, output_dims, filter, bias, output, scratch);
}

MCU_DISPATCH mcu_status mcu_conv_kxk_dsp_s8(const mcu_conv_params *params, const mcu_per_channel_quant *quant,
                                            const mcu_dims *input_dims, const int8_t *input,
                                            const mcu_dims *filter_dims, const int8_t *filter,
                                            const int32_t *bias, const mcu_dims *output_dims, int8_t *output,
                                            int16_t *scratch)
{
    typedef mcu_status (*kxk_fn)(const mcu_conv_params *, const mcu_per_channel_quant *, const mcu_dims *,
                                 const int8_t *, const mcu_dims *, const int8_t *, const int32_t *,
                                 const mcu_dims *, int8_t *, int16_t *);
    const int32_t npix = output_dims->n * output_dims->h * output_dims->w, out_c = output_dims->c;
    const int both = params->act_max != 127, ssat = !both && params->act_min <= -128;
    kxk_fn run;
    if (input_dims->c % 4 == 0) {
        if (both) {
            run = mcu_conv_kxk_dsp_both_s8;
        } else if (npix < 3) {
            run = ssat ? mcu_conv_kxk_dsp_ssat_s8 : mcu_conv_kxk_dsp_ssat_lo_s8;
        } else if (npix % 3 <= 1) {
            run = ssat ? mcu_conv_kxk_dsp_tri1_ssat_s8 : mcu_conv_kxk_dsp_tri1_ssat_lo_s8;
        } else {
            run = ssat ? mcu_conv_kxk_dsp_tri_ssat_s8 : mcu_conv_kxk_dsp_tri_ssat_lo_s8;
        }
    } else if (ssat && out_c >= 2 && out_c % 2 == 0) {
        run = npix % 4 <= 1 ? mcu_conv_kxk_gathered_dsp_quad1_ssat_s8 : mcu_conv_kxk_gathered_dsp_quad_ssat_s8;
    } else {
        run = both ? mcu_conv_kxk_gathered_dsp_both_s8
                   : ssat ? mcu_conv_kxk_gathered_dsp_ssat_s8 : mcu_conv_kxk_gathered_dsp_ssat_lo_s8;
    }
    return run(params, quant, input_dims, input, filter_dims, filter, bias, output_dims, output, scratch);
}

/* The small 1x1 path's entry point for the layer's input depth rounded up to a multiple of 4, clamp mode and post-add flag (word 0 of
 * its table), decided at compile time from the model's constant parameters: depths 5 to 18 the one-pixel
 * kernels (_cNx_); depth 4 with the filter rows widened into scratch (_c4w_) when the layer's scratch
 * (`scratch_bytes`) holds them after the pixel pair and there are 12 or more output pixels (the widening,
 * once per call, costs about as much as 6 pixel pairs save). */
MCU_DISPATCH mcu_status mcu_conv_1x1_small_table_dsp_s8(const mcu_conv_params *params, const mcu_dims *input_dims,
                                                        const int8_t *input, const mcu_dims *output_dims,
                                                        int8_t *output, int16_t *scratch, int32_t scratch_bytes)
{
    typedef mcu_status (*small_entry)(const mcu_conv_params *, const mcu_dims *, const int8_t *, const mcu_dims *,
                                      int8_t *, int16_t *);
    const int lo = params->act_min > -128, post = params->table[0] != 0;
    /* c: the table's row length, the input depth rounded up to a multiple of 4 (then a copy of the input's
     * last pixel, c bytes, after what the path keeps in scratch) */
    const int32_t c = (input_dims->c + 3) & ~3, npix = output_dims->n * output_dims->h * output_dims->w;
    const int32_t copy = input_dims->c != c ? c : 0;
    small_entry run;
#define MCU_SMALL_PICK(C, P) \
    (lo ? (post ? mcu_conv_1x1_small_c##C##P##_ssat_lo_post_dsp_s8 : mcu_conv_1x1_small_c##C##P##_ssat_lo_dsp_s8) \
        : (post ? mcu_conv_1x1_small_c##C##P##_ssat_post_dsp_s8 : mcu_conv_1x1_small_c##C##P##_ssat_dsp_s8))
#define MCU_SMALL_CASE(C) \
    case C: \
        run = copy ? MCU_SMALL_PICK(C, p) : MCU_SMALL_PICK(C, ); \
        break;
    /* the one-pixel layout (ops.small1x1_pixel): rows of 8 to 16 bytes (the widened pixel fits in eight
     * registers) and depths 17 and 18 (nine), any clamp (act_max below 127 only here: the _lh kernels) */
#define MCU_SMALLX_PICK2(C, P, L) \
    (output_dims->c % 4 \
         ? (post ? mcu_conv_1x1_small_c##C##x##P##_ssat##L##_post_m2_dsp_s8 : mcu_conv_1x1_small_c##C##x##P##_ssat##L##_m2_dsp_s8) \
         : (post ? mcu_conv_1x1_small_c##C##x##P##_ssat##L##_post_dsp_s8 : mcu_conv_1x1_small_c##C##x##P##_ssat##L##_dsp_s8))
#define MCU_SMALLX_PICK1(C, P) \
    (params->act_max < 127 ? MCU_SMALLX_PICK2(C, P, _lh) : lo ? MCU_SMALLX_PICK2(C, P, _lo) : MCU_SMALLX_PICK2(C, P, ))
#define MCU_SMALLX_PICK(C) (copy ? MCU_SMALLX_PICK1(C, p) : MCU_SMALLX_PICK1(C, ))
    switch (c) {
    case 4: /* (depths 1-3: the narrow path) */
        run = npix >= 12 && 4 * 4 * (output_dims->c / 2 + 1) <= scratch_bytes ? MCU_SMALL_PICK(4, w)
                                                                               : MCU_SMALL_PICK(4, );
        break;
    case 8:
        run = MCU_SMALLX_PICK(8);
        break;
    case 12:
        run = MCU_SMALLX_PICK(12);
        break;
    case 16:
        run = MCU_SMALLX_PICK(16);
        break;
    case 20:
        run = input_dims->c <= 18 ? MCU_SMALLX_PICK1(18, p) : copy ? MCU_SMALL_PICK(20, p) : MCU_SMALL_PICK(20, );
        break;
        MCU_SMALL_CASE(24)
        MCU_SMALL_CASE(28)
    default:
        MCU_SMALL_CASE(32)
    }
#undef MCU_SMALLX_PICK
#undef MCU_SMALLX_PICK1
#undef MCU_SMALLX_PICK2
#undef MCU_SMALL_PICK
#undef MCU_SMALL_CASE
    return run(params, input_dims, input, output_dims, output, scratch);
}

/* The 3x3 row path's entry point for the layer's input depth (1-3) and stride (1, 2). */
MCU_DISPATCH mcu_status mcu_conv_3x3_rows_dsp_s8(const mcu_conv_params *params, const mcu_per_channel_quant *quant,
                                                 const mcu_dims *input_dims, const int8_t *input,
                                                 const mcu_dims *filter_dims, const int8_t *filter,
                                                 const int32_t *bias, const mcu_dims *output_dims, int8_t *output,
                                                 int16_t *scratch)
{
    typedef mcu_status (*rows_fn)(const mcu_conv_params *, const mcu_per_channel_quant *, const mcu_dims *,
                                  const int8_t *, const mcu_dims *, const int8_t *, const int32_t *,
                                  const mcu_dims *, int8_t *, int16_t *);
    const int32_t c = input_dims->c, s2 = params->stride.w == 2;
    /* the same condition as ops.Conv2D.rows3c1, which gives the table of this layout */
    if (c == 1 && params->table != 0) { /* every constant in the table: filter, bias and quant stay unreferenced */
        return (output_dims->c & 1 ? mcu_conv_3x3_c1_odd_dsp_s8 : mcu_conv_3x3_c1_dsp_s8)(
            params, 0, input_dims, input, filter_dims, 0, 0, output_dims, output, scratch);
    }
    const rows_fn run = c == 1 ? (s2 ? mcu_conv_3x3_rows_dsp_c1s2_s8 : mcu_conv_3x3_rows_dsp_c1s1_s8)
                        : c == 2 ? (s2 ? mcu_conv_3x3_rows_dsp_c2s2_s8 : mcu_conv_3x3_rows_dsp_c2s1_s8)
                                 : (s2 ? mcu_conv_3x3_rows_dsp_c3s2_s8 : mcu_conv_3x3_rows_dsp_c3s1_s8);
    return run(params, quant, input_dims, input, filter_dims, filter, bias, output_dims, output, scratch);
}

/* Scratch of the DSP 1x1 path (mcu_conv_1x1_dsp_s8): four pixels of int16 (two when the input depth is 8,
 * 16 or 32) and 8 words of requantization parameters per output channel pair, plus the pair's two filter
 * rows when the input depth is 8, 16 or 32; 0 when the path does not apply. */
MCU_DISPATCH int32_t mcu_conv_1x1_scratch(const mcu_dims *input_dims, const mcu_dims *filter_dims)
{
    if (filter_dims->h == 1 && filter_dims->w == 1 && filter_dims->c == input_dims->c &&
        input_dims->c % 4 == 0) {
        const int32_t c = input_dims->c, rows = (c == 8 || c == 16 || c == 32) ? 2 * c : 0;
        return (rows ? 4 * c : 8 * c) + (32 + rows) * ((filter_dims->n + 1) / 2);
    }
    return 0;
}

/* The k x k path (mcu_conv_kxk_dsp_s8): every convolution without groups that the 1x1 paths do not
 * take. k = taps per output pixel, k4 = k rounded up to a multiple of 4. Scratch: the expanded pixel pair
 * (4 * k4), 8 words of requantization table per output channel pair, two int8 patches (2 * k4 + 4) and,
 * when k is not a multiple of 4, the filter rows padded to k4 bytes; when the input depth is not a multiple
 * of 4 (patches gathered), room for four pixels: 8 * k4 expanded, four patches (4 * k4 + 4). */
MCU_DISPATCH int32_t mcu_conv_kxk_scratch(const mcu_dims *input_dims, const mcu_dims *filter_dims)
{
    const int32_t c = input_dims->c, k = filter_dims->h * filter_dims->w * filter_dims->c;
    const int32_t k4 = (k + 3) & ~3;
    if (filter_dims->c != c || (filter_dims->h == 1 && filter_dims->w == 1 && (c % 4 == 0 || c <= 3))) {
        return 0;
    }
    return (c % 4 == 0 ? 6 : 12) * k4 + 4 + 32 * ((filter_dims->n + 1) / 2) + (k != k4 ? filter_dims->n * k4 : 0);
}

/* The 3x3 row path (mcu_conv_3x3_rows_dsp_s8): input depth at most MCU_ROWS3_MAX_C (first convolutions;
 * deeper inputs run the k x k path). Scratch: the doubled int16 weights of each output channel pair
 * (3 rows x nw words x 2 channels, nw = ceil(3c / 2)) and 8 words of its requantization parameters, and
 * a ring of three int16 input rows, each in two copies of mcu_conv_3x3_rows_words words. */
#define MCU_ROWS3_MAX_C 3

MCU_DISPATCH int32_t mcu_conv_3x3_rows_scratch(const mcu_dims *input_dims, const mcu_dims *filter_dims)
{
    const int32_t c = input_dims->c;
    if (filter_dims->h == 3 && filter_dims->w == 3 && filter_dims->c == c && c <= MCU_ROWS3_MAX_C) {
        const int32_t nw = (3 * c + 1) / 2;
        return 4 * (((filter_dims->n + 1) / 2) * (3 * nw * 2 + 8) + 6 * mcu_conv_3x3_rows_words(input_dims));
    }
    return 0;
}

/* The k x k first-convolution path (mcu_conv_first_dsp_s8): input depth 1-3, no groups, not 1x1, at most
 * MCU_FIRST_MAX_KH kernel rows (the same structure as ops.Conv2D.first, which gives the table). Scratch: the
 * pixel pair's patches and the tap offsets (32 bytes per group of 4 taps) and a ring of kh int16 rows of
 * mcu_conv_first_row values each (rounded up to even). */
#define MCU_FIRST_MAX_KH 16

static inline int32_t mcu_conv_first_row(const mcu_dims *input_dims, const mcu_dims *filter_dims)
{
    return (input_dims->w + filter_dims->w) * input_dims->c;
}

MCU_DISPATCH int32_t mcu_conv_first_scratch(const mcu_dims *input_dims, const mcu_dims *filter_dims)
{
    const int32_t c = input_dims->c, k = filter_dims->h * filter_dims->w * c;
    if (c <= 3 && filter_dims->c == c && !(filter_dims->h == 1 && filter_dims->w == 1) &&
        filter_dims->h <= MCU_FIRST_MAX_KH) {
        return 32 * ((k + 3) / 4) + 2 * filter_dims->h * ((mcu_conv_first_row(input_dims, filter_dims) + 1) & ~1);
    }
    return 0;
}

/* The first-convolution path's entry point for the layer's output clamp. */
MCU_DISPATCH mcu_status mcu_conv_first_dsp_s8(const mcu_conv_params *params, const mcu_per_channel_quant *quant,
                                              const mcu_dims *input_dims, const int8_t *input,
                                              const mcu_dims *filter_dims, const int8_t *filter,
                                              const int32_t *bias, const mcu_dims *output_dims, int8_t *output,
                                              int16_t *scratch)
{
    /* every constant in the table: the model's filter, bias and quantization arrays stay unreferenced */
    const int mode = params->act_max != 127 ? 0 : params->act_min <= -128 ? 1 : 2;
    (void)quant, (void)filter, (void)bias;
    return (mode == 0 ? mcu_conv_first_dsp_both_s8 : mode == 1 ? mcu_conv_first_dsp_ssat_s8
                                                             : mcu_conv_first_dsp_ssat_lo_s8)(
        params, 0, input_dims, input, filter_dims, 0, 0, output_dims, output, scratch);
}

/* CONV_2D: the Cortex-M DSP paths when they apply (mcu_conv_dsp_s8.c), else the portable 1x1 variant
 * when it applies, without the DSP extension the patch (im2col) kernel when there is no grouping and the
 * scratch of the k x k path (which it fits in), the generic kernel otherwise. */
MCU_DISPATCH mcu_status mcu_conv_s8(const mcu_conv_params *params, const mcu_per_channel_quant *quant,
                                    const mcu_dims *input_dims, const int8_t *input,
                                    const mcu_dims *filter_dims, const int8_t *filter, const int32_t *bias,
                                    const mcu_dims *output_dims, int8_t *output, int8_t *scratch)
{
    /* rows through strides of their own (in_row, out_row): the 1x1 paths with the code generator's tables,
     * the 3x3 row path, im2col or the generic kernel */
    const int strided = params->in_row != 0 || params->out_row != 0;
    const int one = filter_dims->h == 1 && filter_dims->w == 1 && params->padding.h == 0 &&
                    params->padding.w == 0 && filter_dims->c == input_dims->c;
    const int is_1x1 = !strided && one;
#if defined(__ARM_FEATURE_DSP)
    if (params->table != 0 && params->fast_requant && one && input_dims->c <= 3) { /* no scratch; rows too */
        return mcu_conv_1x1_narrow_dsp_s8(params, input_dims, input, output_dims, output);
    }
    if (scratch != 0 && params->fast_requant) {
        if (params->table != 0 && one && input_dims->c >= 4 && input_dims->c <= 32) { /* rows too */
            /* the small 1x1 path with the code generator's table (ops.small1x1_table: input depth 4 to 32,
             * an even output channel count, act_max 127, the bias it holds folded); the scratch of a depth
             * that is not a multiple of 4 is the k x k path's */
            return mcu_conv_1x1_small_table_dsp_s8(params, input_dims, input, output_dims, output,
                                                   (int16_t *)(void *)scratch,
                                                   input_dims->c % 4 == 0
                                                       ? mcu_conv_1x1_scratch(input_dims, filter_dims)
                                                       : mcu_conv_kxk_scratch(input_dims, filter_dims));
        }
        /* (input depths 4 and up that are not multiples of 4: pixels read as the depth rounded up to 4
         * bytes against filter rows padded to it, in the k x k path's scratch) */
        if (is_1x1 && (mcu_conv_1x1_scratch(input_dims, filter_dims) > 0 || (input_dims->c > 3 && input_dims->c % 4)) &&
            (params->bias_folded || params->input_offset == 0)) {
            return mcu_conv_1x1_dsp_s8(params, quant, input_dims, input, output_dims, filter, bias,
                                       output, (int16_t *)(void *)scratch);
        }
        const int32_t sw = params->stride.w;
        /* the same structure as ops.Conv2D.first, which gives the table (other layers on 1-3 channels: the
         * 3x3 row paths, whose tables those are, and the k x k path, which reads none) */
        if (params->table != 0 && mcu_conv_first_scratch(input_dims, filter_dims) > 0 && output_dims->c >= 2 &&
            params->dilation.h == 1 && params->dilation.w == 1 &&
            !(filter_dims->h == 3 && filter_dims->w == 3 && (sw == 1 || sw == 2))) {
            if (!strided && (output_dims->w - 1) * sw <= input_dims->w) {
                return mcu_conv_first_dsp_s8(params, quant, input_dims, input, filter_dims, filter, bias,
                                             output_dims, output, (int16_t *)(void *)scratch);
            }
            return mcu_conv_kxk_dsp_s8(params, quant, input_dims, input, filter_dims, filter, bias, output_dims,
                                       output, (int16_t *)(void *)scratch);
        }
        if (mcu_conv_3x3_rows_scratch(input_dims, filter_dims) > 0 && params->dilation.h == 1 &&
            params->dilation.w == 1 && (sw == 1 || sw == 2) &&
            params->padding.w >= 0 && params->padding.h >= 0 &&
            (output_dims->w - 1) * sw + 3 <= input_dims->w + 2) {
            return mcu_conv_3x3_rows_dsp_s8(params, quant, input_dims, input, filter_dims, filter, bias,
                                            output_dims, output, (int16_t *)(void *)scratch);
        }
        if (!strided && mcu_conv_kxk_scratch(input_dims, filter_dims) > 0) {
            return mcu_conv_kxk_dsp_s8(params, quant, input_dims, input, filter_dims, filter, bias,
                                       output_dims, output, (int16_t *)(void *)scratch);
        }
    }
    if (!strided && filter_dims->c % 4 == 0 && input_dims->c % filter_dims->c == 0 &&
        (output_dims->c / (input_dims->c / filter_dims->c)) % 4 == 0) {
        return mcu_conv_generic_dsp_s8(params, quant, input_dims, input, filter_dims, filter, bias,
                                       output_dims, output);
    }
#endif
    if (is_1x1) {
        return mcu_conv_1x1_s8(params, quant, input_dims, input, filter_dims, filter, bias,
                               output_dims, output);
    }
#if !defined(__ARM_FEATURE_DSP) /* (DSP cores: the few layers left here keep the smaller generic kernel) */
    if (scratch != 0 && ((uintptr_t)scratch & 3) == 0 && mcu_conv_kxk_scratch(input_dims, filter_dims) > 0) {
        return mcu_conv_im2col_s8(params, quant, input_dims, input, filter_dims, filter, bias, output_dims,
                                  output, scratch);
    }
#endif
    return mcu_conv_generic_s8(params, quant, input_dims, input, filter_dims, filter, bias,
                               output_dims, output);
}

/* The 3x3 DSP path's entry point for the layer's output clamp and stride (1 or 2), and at stride 1 whether its
 * rows run in chunks (params->chunk, a constant of the generated model: the choice is the code generator's).
 * Stride 2 takes the constants and the int8 weights from the code generator's table (ops.dw3x3_s2_table; word
 * 0: a zero point added after the shift). */
MCU_DISPATCH mcu_status mcu_depthwise_3x3_dsp_s8(const mcu_dw_conv_params *params,
                                                 const mcu_per_channel_quant *quant, const mcu_dims *input_dims,
                                                 const int8_t *input, const int8_t *filter, const int32_t *bias,
                                                 const mcu_dims *output_dims, int8_t *output, int16_t *scratch)
{
    typedef mcu_status (*dw3_fn)(const mcu_dw_conv_params *, const mcu_per_channel_quant *, const mcu_dims *,
                                 const int8_t *, const int8_t *, const int32_t *, const mcu_dims *, int8_t *,
                                 int16_t *);
    const int lo = params->act_min > -128;
    if (params->act_max == 127 && params->stride.w == 1 && params->table != 0 && (params->table[0] & 2)) {
        /* stride 1 on the stride-2 path's table and run (table word 0 bit 1: ops.dw3x3_s2_table's layout), the
         * whole depth at once or in channel chunks (_wc: params->chunk != 0) */
        const int post = params->table[0] & 1;
        const dw3_fn run = params->chunk != 0
                               ? (lo ? (post ? mcu_depthwise_3x3_dsp_s1_ssat_lo_post_wc_s8
                                             : mcu_depthwise_3x3_dsp_s1_ssat_lo_wc_s8)
                                     : (post ? mcu_depthwise_3x3_dsp_s1_ssat_post_wc_s8
                                             : mcu_depthwise_3x3_dsp_s1_ssat_wc_s8))
                               : (lo ? (post ? mcu_depthwise_3x3_dsp_s1_ssat_lo_post_w_s8
                                             : mcu_depthwise_3x3_dsp_s1_ssat_lo_w_s8)
                                     : (post ? mcu_depthwise_3x3_dsp_s1_ssat_post_w_s8
                                             : mcu_depthwise_3x3_dsp_s1_ssat_w_s8));
        return run(params, 0, input_dims, input, 0, 0, output_dims, output, scratch);
    }
    if (params->act_max == 127 && params->stride.w == 1 && params->table != 0) {
        /* the constants in the table, the weights in the int8 filter */
        const dw3_fn run = params->chunk != 0
                               ? (lo ? mcu_depthwise_3x3_dsp_s1_ssat_lo_t_chunk_s8 : mcu_depthwise_3x3_dsp_s1_ssat_t_chunk_s8)
                               : (lo ? mcu_depthwise_3x3_dsp_s1_ssat_lo_t_s8 : mcu_depthwise_3x3_dsp_s1_ssat_t_s8);
        return run(params, 0, input_dims, input, filter, 0, output_dims, output, scratch);
    }
    if (params->act_max == 127 && params->stride.w != 1 && params->table != 0) {
        /* every constant in the table: the model's filter, bias and quantization arrays stay unreferenced;
         * the runs with the step of an output clipped on the left (_l) only with left padding */
        const dw3_fn run = params->padding.w == 0
                               ? (lo ? (params->table[0] ? mcu_depthwise_3x3_dsp_s2_ssat_lo_post_s8
                                                         : mcu_depthwise_3x3_dsp_s2_ssat_lo_s8)
                                     : (params->table[0] ? mcu_depthwise_3x3_dsp_s2_ssat_post_s8
                                                         : mcu_depthwise_3x3_dsp_s2_ssat_s8))
                               : (lo ? (params->table[0] ? mcu_depthwise_3x3_dsp_s2_ssat_lo_post_l_s8
                                                         : mcu_depthwise_3x3_dsp_s2_ssat_lo_l_s8)
                                     : (params->table[0] ? mcu_depthwise_3x3_dsp_s2_ssat_post_l_s8
                                                         : mcu_depthwise_3x3_dsp_s2_ssat_l_s8));
        return run(params, 0, input_dims, input, 0, 0, output_dims, output, scratch);
    }
    const dw3_fn run = params->act_max != 127 ? mcu_depthwise_3x3_dsp_both_s8
                       : params->stride.w != 1  ? mcu_depthwise_3x3_dsp_s2_c_s8
                       : params->chunk != 0     ? (lo ? mcu_depthwise_3x3_dsp_s1_ssat_lo_chunk_s8
                                                      : mcu_depthwise_3x3_dsp_s1_ssat_chunk_s8)
                                                : (lo ? mcu_depthwise_3x3_dsp_s1_ssat_lo_s8
                                                      : mcu_depthwise_3x3_dsp_s1_ssat_s8);
    return run(params, quant, input_dims, input, filter, bias, output_dims, output, scratch);
}

/* DEPTHWISE_CONV_2D: on Cortex-M DSP cores the 3x3 row path, the 1x3 / 3x1 three-tap path or the
 * multiplier-1 path when they apply (mcu_depthwise_dsp_s8.c), else the portable kernel. */
MCU_DISPATCH mcu_status mcu_depthwise_conv_s8(const mcu_dw_conv_params *params, const mcu_per_channel_quant *quant,
                                              const mcu_dims *input_dims, const int8_t *input,
                                              const mcu_dims *filter_dims, const int8_t *filter,
                                              const int32_t *bias, const mcu_dims *output_dims, int8_t *output,
                                              int8_t *scratch)
{
#if defined(__ARM_FEATURE_DSP)
    const int32_t in_c = input_dims->c, k_h = filter_dims->h, k_w = filter_dims->w;
    const int32_t mult = params->depth_multiplier;
    if (mult == 1 && output_dims->c == in_c && filter_dims->c == in_c && in_c % 4 == 0) {
        if (scratch != 0 && params->fast_requant && k_h == 3 && k_w == 3 && params->dilation.h == 1 &&
            params->dilation.w == 1 && (params->stride.w == 1 || params->stride.w == 2) &&
            params->stride.h >= 1 && params->padding.w <= 1 && params->padding.h <= 1) {
            return mcu_depthwise_3x3_dsp_s8(params, quant, input_dims, input, filter, bias, output_dims,
                                            output, (int16_t *)(void *)scratch);
        }
        if (params->table != 0 && params->fast_requant && k_h * k_w == 3 && (k_h == 1 || k_w == 1) &&
            (params->stride.w == 1 || params->stride.w == 2) &&
            mcu_depthwise_3tap_fits(params, input_dims, filter_dims, output_dims)) {
            return mcu_depthwise_3tap_dsp_s8(params, quant, input_dims, input, filter_dims, filter, bias,
                                             output_dims, output);
        }
        return mcu_depthwise_m1_dsp_s8(params, quant, input_dims, input, filter_dims, filter, bias,
                                       output_dims, output);
    }
#else
    (void)scratch;
#endif
    return mcu_depthwise_conv_generic_s8(params, quant, input_dims, input, filter_dims, filter, bias,
                                         output_dims, output);
}

#ifdef __cplusplus
}
#endif

#endif /* MCU_ENGINE_H */
