/* mcunets engine: int8 kernels for straight-line generated models (portable C99, no allocation).
 *
 * Every kernel is bit-exact with TensorFlow Lite's reference integer kernel of the same op (BUILTIN_REF
 * op resolver): same per-channel multipliers and shifts, rounding, saturation and fused-activation
 * clamping.  Naming and shape follow CMSIS-NN: one kernel per file, named mcu_<op>_s8, taking small
 * structs for dimensions, parameters and quantization, returning an mcu_status.  Kernels that need
 * scratch memory have a mcu_<op>_s8_buffer_size twin; the generated model places that scratch in its
 * static arena.  A kernel with fast variants (1x1 convolution, 3x3 depthwise, Cortex-M DSP paths behind
 * __ARM_FEATURE_DSP) dispatches to them from its mcu_<op>_s8 entry point.
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
    /* NULL, or the constants of the DSP path of 1x1 layers on 1-3 input channels (computed by the code
     * generator, ops.narrow_table): 5 words per output channel, see mcu_conv_1x1_narrow_dsp_s8 */
    const int32_t *table;
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
     * ops.dw3_table): per group of four channels 24 words, see mcu_depthwise_3tap_dsp_s8 */
    const int32_t *table;
} mcu_dw_conv_params;

typedef struct {
    int32_t input_offset;
    int32_t filter_offset;
    int32_t output_offset;
    int32_t act_min, act_max;
    int32_t per_channel; /* 0: quant holds one multiplier/shift; 1: one per output channel */
    /* rows 0 .. row_blocks - 1 (a multiple of 6; 0 = none) are stored in blocks of six rows: per group
     * of four inputs the six rows' four weights side by side; the other rows follow row by row */
    int32_t row_blocks;
} mcu_fc_params;

typedef struct {
    mcu_hw stride;
    mcu_hw padding;
    mcu_hw filter;
    int32_t act_min, act_max;
} mcu_pool_params;

typedef struct {
    int32_t input_multiplier;   /* beta * input_scale * 2^26 as multiplier and left shift (Q5.26) */
    int32_t input_left_shift;
    int32_t diff_min;           /* differences from the row maximum below this contribute nothing */
} mcu_softmax_params;

/* ADD: TFLite's two-stage rescale (left shift 20, per-input multipliers, output multiplier). */
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

/* ---- kernels ---------------------------------------------------------------------------------- */

mcu_status mcu_conv_s8(const mcu_conv_params *params, const mcu_per_channel_quant *quant,
                       const mcu_dims *input_dims, const int8_t *input,
                       const mcu_dims *filter_dims, const int8_t *filter, const int32_t *bias,
                       const mcu_dims *output_dims, int8_t *output, int8_t *scratch);
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
mcu_status mcu_conv_1x1_dsp_s8(const mcu_conv_params *params, const mcu_per_channel_quant *quant,
                               const mcu_dims *input_dims, const int8_t *input,
                               const mcu_dims *output_dims, const int8_t *filter,
                               const int32_t *bias, int8_t *output, int16_t *scratch);
mcu_status mcu_conv_1x1_narrow_dsp_s8(const mcu_conv_params *params, const mcu_dims *input_dims,
                                      const int8_t *input, const mcu_dims *output_dims, int8_t *output);
mcu_status mcu_conv_generic_dsp_s8(const mcu_conv_params *params, const mcu_per_channel_quant *quant,
                                   const mcu_dims *input_dims, const int8_t *input,
                                   const mcu_dims *filter_dims, const int8_t *filter, const int32_t *bias,
                                   const mcu_dims *output_dims, int8_t *output);
mcu_status mcu_conv_kxk_dsp_s8(const mcu_conv_params *params, const mcu_per_channel_quant *quant,
                               const mcu_dims *input_dims, const int8_t *input,
                               const mcu_dims *filter_dims, const int8_t *filter,
                               const int32_t *bias, const mcu_dims *output_dims, int8_t *output,
                               int16_t *scratch);
mcu_status mcu_conv_3x3_rows_dsp_s8(const mcu_conv_params *params, const mcu_per_channel_quant *quant,
                                    const mcu_dims *input_dims, const int8_t *input,
                                    const mcu_dims *filter_dims, const int8_t *filter,
                                    const int32_t *bias, const mcu_dims *output_dims, int8_t *output,
                                    int16_t *scratch);
int32_t mcu_conv_3x3_rows_words(const mcu_dims *input_dims);

mcu_status mcu_depthwise_conv_s8(const mcu_dw_conv_params *params, const mcu_per_channel_quant *quant,
                                 const mcu_dims *input_dims, const int8_t *input,
                                 const mcu_dims *filter_dims, const int8_t *filter,
                                 const int32_t *bias, const mcu_dims *output_dims, int8_t *output,
                                 int8_t *scratch);
int32_t mcu_depthwise_conv_s8_buffer_size(const mcu_dims *input_dims, const mcu_dims *filter_dims);
mcu_status mcu_depthwise_3x3_dsp_s8(const mcu_dw_conv_params *params, const mcu_per_channel_quant *quant,
                                    const mcu_dims *input_dims, const int8_t *input,
                                    const int8_t *filter, const int32_t *bias,
                                    const mcu_dims *output_dims, int8_t *output, int16_t *scratch);
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

mcu_status mcu_fully_connected_s8(const mcu_fc_params *params, const mcu_per_channel_quant *quant,
                                  int32_t batches, int32_t input_depth, const int8_t *input,
                                  int32_t output_depth, const int8_t *filter, const int32_t *bias,
                                  int8_t *output);

mcu_status mcu_avgpool_s8(const mcu_pool_params *params, const mcu_dims *input_dims,
                          const int8_t *input, const mcu_dims *output_dims, int8_t *output);
mcu_status mcu_maxpool_s8(const mcu_pool_params *params, const mcu_dims *input_dims,
                          const int8_t *input, const mcu_dims *output_dims, int8_t *output);

/* Mean over the middle axis of [outer, reduce, inner]. */
mcu_status mcu_mean_s8(const mcu_mean_params *params, int32_t outer, int32_t reduce, int32_t inner,
                       const int8_t *input, int8_t *output);

mcu_status mcu_add_s8(const mcu_add_params *params, const mcu_broadcast *shape,
                      const int8_t *input1, const int8_t *input2, int8_t *output);
mcu_status mcu_mul_s8(const mcu_mul_params *params, const mcu_broadcast *shape,
                      const int8_t *input1, const int8_t *input2, int8_t *output);

/* Concatenation of inputs that share the output's quantization: for each of `outer` rows, copy
 * copy_bytes[i] bytes of each input in turn. */
mcu_status mcu_concat_s8(int32_t num_inputs, const int8_t *const *inputs, const int32_t *copy_bytes,
                         int32_t outer, int8_t *output);

mcu_status mcu_transpose_s8(const mcu_transpose_params *params, const int8_t *input, int8_t *output);
mcu_status mcu_slice_s8(const mcu_slice_params *params, const int8_t *input, int8_t *output);
mcu_status mcu_pad_s8(const mcu_pad_params *params, const int8_t *input, int8_t *output);
mcu_status mcu_copy_s8(int32_t size, const int8_t *input, int8_t *output);
/* rows x row_bytes bytes from input (rows input_stride bytes apart) to output (output_stride apart). */
mcu_status mcu_copy_2d_s8(int32_t rows, int32_t row_bytes, const int8_t *input, int32_t input_stride,
                          int8_t *output, int32_t output_stride);

/* SOFTMAX over the last axis (at most 256 values), output scale 1/256 and zero point -128. */
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

/* QUANTIZE int8 -> int8 (requantize), float -> int8; DEQUANTIZE int8 -> float. */
mcu_status mcu_requantize_s8(int32_t input_zero_point, int32_t output_zero_point, const mcu_quant *quant,
                             int32_t size, const int8_t *input, int8_t *output);
mcu_status mcu_quantize_f32_s8(float scale, int32_t zero_point, int32_t size, const float *input,
                               int8_t *output);
mcu_status mcu_dequantize_s8_f32(float scale, int32_t zero_point, int32_t size, const int8_t *input,
                                 float *output);

#ifdef __cplusplus
}
#endif

#endif /* MCU_ENGINE_H */
