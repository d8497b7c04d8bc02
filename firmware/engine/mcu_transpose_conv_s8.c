/* TRANSPOSE_CONV (int8): the reference scatters (input + input_offset) * filter into an int32 buffer of the
 * whole output and then requantizes it per channel. The sums are integers, so each output value here
 * gathers the same products directly, without the buffer, then adds the bias and requantizes as the
 * reference (mcu_requantize, output offset, clamp). The outputs of each phase (oy mod stride_h, ox mod
 * stride_w) are an ordinary stride-1 convolution of the input with the phase's taps (weights in phase order,
 * mcu_transpose_conv_phase), so no tap is tested per output value. On DSP cores, layers under fast_requant
 * with scratch run mcu_transpose_conv_dsp_s8 (SMLAD, mcu_conv_dsp_s8.c). */
#include <stdint.h>

#include "mcu_engine.h"
#include "mcu_quant.h"

mcu_status mcu_transpose_conv_s8(const mcu_transpose_conv_params *p, const int8_t *input, int8_t *output,
                                 int16_t *scratch)
{
#if defined(__ARM_FEATURE_DSP)
    if (p->fast_requant && scratch != 0 && ((uintptr_t)scratch & 3) == 0) {
        return mcu_transpose_conv_dsp_s8(p, input, output, scratch);
    }
#endif
    (void)scratch;
    const int32_t ic = p->in_c, oc = p->out_c, sh = p->stride_h, sw = p->stride_w;
    const int32_t in_h = p->in_h, in_w = p->in_w, in_off = p->input_offset;
    const int8_t *wph = p->weights;
    for (int32_t py = 0; py < sh; ++py) {
        for (int32_t px = 0; px < sw; ++px) {
            const mcu_transpose_conv_phase_t ph = mcu_transpose_conv_phase(p, py, px);
            for (int32_t b = 0; b < p->batches; ++b) {
                const int8_t *in_b = input + (int64_t)b * in_h * in_w * ic;
                for (int32_t oy = py, j = 0; oy < p->out_h; oy += sh, ++j) {
                    const int32_t iy0 = j - ph.top;
                    const int32_t v0 = iy0 < 0 ? -iy0 : 0, v1 = iy0 + ph.ty > in_h ? in_h - iy0 : ph.ty;
                    for (int32_t ox = px, i = 0; ox < p->out_w; ox += sw, ++i) {
                        const int32_t ix0 = i - ph.left;
                        const int32_t u0 = ix0 < 0 ? -ix0 : 0, u1 = ix0 + ph.tx > in_w ? in_w - ix0 : ph.tx;
                        int8_t *out = output + (((int64_t)b * p->out_h + oy) * p->out_w + ox) * oc;
                        for (int32_t o = 0; o < oc; ++o) {
                            const int8_t *wrow = wph + (int64_t)o * ph.row;
                            int32_t acc = 0;
                            for (int32_t v = v0; v < v1; ++v) {
                                const int8_t *x = in_b + ((int64_t)(iy0 + v) * in_w + ix0) * ic;
                                const int8_t *w = wrow + v * ph.tx * ic;
                                for (int32_t u = u0; u < u1; ++u) {
                                    for (int32_t c = 0; c < ic; ++c) {
                                        acc += (x[u * ic + c] + in_off) * w[u * ic + c];
                                    }
                                }
                            }
                            if (p->bias) {
                                acc += p->bias[o];
                            }
                            acc = mcu_requantize(acc, p->multiplier[o], p->shift[o]) + p->output_offset;
                            out[o] = (int8_t)mcu_clamp_i32(acc, p->act_min, p->act_max);
                        }
                    }
                }
            }
            wph += (int64_t)oc * ph.row;
        }
    }
    return MCU_OK;
}
