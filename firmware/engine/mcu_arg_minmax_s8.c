/* ARG_MAX / ARG_MIN of int8 values along one axis (mcu_arg_params): per position the first index of the
 * largest (smallest) value, as the reference's strict comparison keeps it. On DSP cores a row of 16 values
 * or more (the last axis) takes its maximum (minimum) four values per word (mcu_reduce_max_s8 /
 * mcu_reduce_min_s8), then the first index holding it; otherwise one compare per value. int64 outputs are
 * written as two words, the index and 0 (little-endian). */
#include "mcu_engine.h"

static inline __attribute__((always_inline)) int32_t arg_scan(const int8_t *v, int32_t n, int32_t step,
                                                              const int min)
{
    int32_t best = v[0];
    int32_t at = 0;
    for (int32_t i = 1; i < n; ++i) {
        v += step;
        const int32_t x = *v;
        if (min ? x < best : x > best) {
            best = x;
            at = i;
        }
    }
    return at;
}

static inline __attribute__((always_inline)) void arg_loops(const mcu_arg_params *params, const int8_t *input,
                                                            int32_t *output, const int min)
{
    const int32_t n = params->axis_size;
    const int32_t inner = params->inner;
    const int32_t words = params->out64 ? 2 : 1;
    for (int32_t o = 0; o < params->outer; ++o, input += n * inner) {
        for (int32_t j = 0; j < inner; ++j, output += words) {
            int32_t at;
            if (inner != 1) {
                at = arg_scan(input + j, n, inner, min);
            }
#if defined(__ARM_FEATURE_DSP)
            else if (n >= 16) {
                int8_t m;
                if (min) {
                    mcu_reduce_min_s8(1, n, 1, input, &m);
                } else {
                    mcu_reduce_max_s8(1, n, 1, input, &m);
                }
                at = 0;
                while (input[at] != m) {
                    ++at;
                }
            }
#endif
            else {
                at = arg_scan(input, n, 1, min);
            }
            output[0] = at;
            if (words == 2) {
                output[1] = 0;
            }
        }
    }
}

mcu_status mcu_arg_minmax_s8(const mcu_arg_params *params, const int8_t *input, int32_t *output)
{
    if (params->minimum) {
        arg_loops(params, input, output, 1);
    } else {
        arg_loops(params, input, output, 0);
    }
    return MCU_OK;
}
