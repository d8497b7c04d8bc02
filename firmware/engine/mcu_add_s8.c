/* ADD with TFLite's int8 rescaling: both inputs lifted by 2^left_shift, rescaled to a common scale,
 * summed and rescaled to the output; 4-D broadcasting through per-input strides. */
#include "mcu_engine.h"
#include "mcu_quant.h"

static inline int8_t add_one(const mcu_add_params *p, int8_t a, int8_t b)
{
    const int32_t x1 = (int32_t)((uint32_t)(p->input1_offset + a) << p->left_shift);
    const int32_t x2 = (int32_t)((uint32_t)(p->input2_offset + b) << p->left_shift);
    const int32_t s1 = mcu_requantize(x1, p->input1.multiplier, p->input1.shift);
    const int32_t s2 = mcu_requantize(x2, p->input2.multiplier, p->input2.shift);
    const int32_t out = mcu_requantize(s1 + s2, p->output.multiplier, p->output.shift) + p->output_offset;
    return (int8_t)mcu_clamp_i32(out, p->act_min, p->act_max);
}

mcu_status mcu_add_s8(const mcu_add_params *params, const mcu_broadcast *shape,
                      const int8_t *input1, const int8_t *input2, int8_t *output)
{
    const int32_t *d = shape->dims, *s1 = shape->stride1, *s2 = shape->stride2;
    for (int32_t i0 = 0; i0 < d[0]; ++i0) {
        for (int32_t i1 = 0; i1 < d[1]; ++i1) {
            for (int32_t i2 = 0; i2 < d[2]; ++i2) {
                const int8_t *a = input1 + i0 * s1[0] + i1 * s1[1] + i2 * s1[2];
                const int8_t *b = input2 + i0 * s2[0] + i1 * s2[1] + i2 * s2[2];
                for (int32_t i3 = 0; i3 < d[3]; ++i3) {
                    *output++ = add_one(params, a[i3 * s1[3]], b[i3 * s2[3]]);
                }
            }
        }
    }
    return MCU_OK;
}
