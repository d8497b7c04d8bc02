/* FULLY_CONNECTED with per-tensor or per-output-channel requantization.
 * Both round once (mcu_requantize_single_round), as TFLite's int8 reference kernels do; TFLM's
 * per-tensor kernel rounds twice and can differ from them by one (docs/engine.md). */
#include "mcu_engine.h"
#include "mcu_quant.h"

mcu_status mcu_fully_connected_s8(const mcu_fc_params *params, const mcu_per_channel_quant *quant,
                                  int32_t batches, int32_t input_depth, const int8_t *input,
                                  int32_t output_depth, const int8_t *filter, const int32_t *bias,
                                  int8_t *output)
{
    const int32_t in_off = params->input_offset, f_off = params->filter_offset;
    for (int32_t b = 0; b < batches; ++b) {
        const int8_t *ip = input + (int64_t)b * input_depth;
        for (int32_t oc = 0; oc < output_depth; ++oc) {
            const int8_t *wp = filter + (int64_t)oc * input_depth;
            int32_t acc = 0;
            for (int32_t d = 0; d < input_depth; ++d) {
                acc += ((int32_t)wp[d] + f_off) * ((int32_t)ip[d] + in_off);
            }
            if (bias) {
                acc += bias[oc];
            }
            const int32_t q = params->per_channel ? oc : 0;
            acc = mcu_requantize_single_round(acc, quant->multiplier[q], quant->shift[q]);
            acc += params->output_offset;
            output[(int64_t)b * output_depth + oc] =
                (int8_t)mcu_clamp_i32(acc, params->act_min, params->act_max);
        }
    }
    return MCU_OK;
}
