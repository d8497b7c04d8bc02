/* TRANSPOSE_CONV (int8): the reference scatters (input + input_offset) * filter into an int32 buffer of the
 * whole output and then requantizes it per channel. The sums are integers, so each output value here
 * gathers the same products directly (input row iy reaches output row iy * stride - pad + ky), without the
 * buffer, then adds the bias and requantizes as the reference (mcu_requantize, output offset, clamp). */
#include "mcu_engine.h"
#include "mcu_quant.h"

mcu_status mcu_transpose_conv_s8(const mcu_transpose_conv_params *p, const int8_t *input, int8_t *output)
{
    const int32_t ic = p->in_c, oc = p->out_c;
    for (int32_t b = 0; b < p->batches; ++b, input += p->in_h * p->in_w * ic) {
        for (int32_t oy = 0; oy < p->out_h; ++oy) {
            for (int32_t ox = 0; ox < p->out_w; ++ox, output += oc) {
                for (int32_t o = 0; o < oc; ++o) {
                    int32_t acc = 0;
                    for (int32_t ky = 0; ky < p->kh; ++ky) {
                        const int32_t ty = oy + p->pad_h - ky;
                        if (ty < 0 || ty % p->stride_h || ty / p->stride_h >= p->in_h) {
                            continue;
                        }
                        for (int32_t kx = 0; kx < p->kw; ++kx) {
                            const int32_t tx = ox + p->pad_w - kx;
                            if (tx < 0 || tx % p->stride_w || tx / p->stride_w >= p->in_w) {
                                continue;
                            }
                            const int8_t *x = input + ((ty / p->stride_h) * p->in_w + tx / p->stride_w) * ic;
                            const int8_t *w = p->weights + ((o * p->kh + ky) * p->kw + kx) * ic;
                            for (int32_t c = 0; c < ic; ++c) {
                                acc += (x[c] + p->input_offset) * w[c];
                            }
                        }
                    }
                    if (p->bias) {
                        acc += p->bias[o];
                    }
                    acc = mcu_requantize(acc, p->multiplier[o], p->shift[o]) + p->output_offset;
                    output[o] = (int8_t)mcu_clamp_i32(acc, p->act_min, p->act_max);
                }
            }
        }
    }
    return MCU_OK;
}
