/* CONV_2D dispatcher: picks the 1x1 variant when it applies, the generic kernel otherwise. */
#include "mcu_engine.h"

int32_t mcu_conv_s8_buffer_size(const mcu_dims *input_dims, const mcu_dims *filter_dims)
{
    (void)input_dims;
    (void)filter_dims;
    return 0; /* the portable kernels work directly on the NHWC input */
}

mcu_status mcu_conv_s8(const mcu_conv_params *params, const mcu_per_channel_quant *quant,
                       const mcu_dims *input_dims, const int8_t *input,
                       const mcu_dims *filter_dims, const int8_t *filter, const int32_t *bias,
                       const mcu_dims *output_dims, int8_t *output, int8_t *scratch)
{
    (void)scratch;
    if (filter_dims->h == 1 && filter_dims->w == 1 && params->padding.h == 0 &&
        params->padding.w == 0 && filter_dims->c == input_dims->c) {
        return mcu_conv_1x1_s8(params, quant, input_dims, input, filter_dims, filter, bias,
                               output_dims, output);
    }
    return mcu_conv_generic_s8(params, quant, input_dims, input, filter_dims, filter, bias,
                               output_dims, output);
}
