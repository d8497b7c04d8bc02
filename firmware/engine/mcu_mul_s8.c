/* MUL: (x1 - zp1) * (x2 - zp2) requantized to the output, 4-D broadcasting through strides. */
#include "mcu_engine.h"
#include "mcu_quant.h"

mcu_status mcu_mul_s8(const mcu_mul_params *params, const mcu_broadcast *shape,
                      const int8_t *input1, const int8_t *input2, int8_t *output)
{
    const int32_t *d = shape->dims, *s1 = shape->stride1, *s2 = shape->stride2;
    for (int32_t i0 = 0; i0 < d[0]; ++i0) {
        for (int32_t i1 = 0; i1 < d[1]; ++i1) {
            for (int32_t i2 = 0; i2 < d[2]; ++i2) {
                const int8_t *a = input1 + i0 * s1[0] + i1 * s1[1] + i2 * s1[2];
                const int8_t *b = input2 + i0 * s2[0] + i1 * s2[1] + i2 * s2[2];
                for (int32_t i3 = 0; i3 < d[3]; ++i3) {
                    const int32_t x1 = params->input1_offset + a[i3 * s1[3]];
                    const int32_t x2 = params->input2_offset + b[i3 * s2[3]];
                    const int32_t out = mcu_requantize(x1 * x2, params->output.multiplier,
                                                       params->output.shift) +
                                        params->output_offset;
                    *output++ = (int8_t)mcu_clamp_i32(out, params->act_min, params->act_max);
                }
            }
        }
    }
    return MCU_OK;
}
