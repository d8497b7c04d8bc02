/* REDUCE_PROD of int8 values: TFLite's reference rescales the running product after every multiplication
 * (and the product once more at the end), each time by MultiplyByQuantizedMultiplier of an int64, whose
 * multiplier is rounded to 16 bits; the result of each step truncated to int32 as the reference stores it. */
#include "mcu_engine.h"

/* (a * b + 2^(total_shift - 1)) >> total_shift truncated to int32: a * b is the reference's int64 product times
 * its 16-bit multiplier, grouped as product x (value x multiplier) so that one 32 x 32 -> 64-bit multiply does it
 * (|value x multiplier| < 2^23, the product below 2^54: exact either way). The shift is taken on the two words,
 * `high` 1 for total shifts of 32 or more (the high word shifted alone), 0 below (both words). */
static inline __attribute__((always_inline)) int32_t prod_rescale(int32_t a, int32_t b, int32_t total_shift,
                                                                  int64_t round, const int high)
{
    const int64_t t = (int64_t)a * b + round;
    const int32_t hi = (int32_t)(t >> 32);
    if (high) {
        return hi >> (total_shift - 32);
    }
    return (int32_t)(((uint32_t)t >> total_shift) | ((uint32_t)hi << (32 - total_shift)));
}

static inline __attribute__((always_inline)) void prod_loops(const mcu_reduce_prod_params *params,
                                                             const int8_t *input, int8_t *output, const int high)
{
    const int32_t reduce = params->reduce, inner = params->inner, zi = params->input_zero_point;
    const int32_t m = params->multiplier, ts = params->total_shift, zo = params->output_zero_point;
    const int64_t round = (int64_t)1 << (ts - 1);
    for (int32_t o = 0; o < params->outer; ++o) {
        const int8_t *block = input + o * reduce * inner;
        for (int32_t i = 0; i < inner; ++i) {
            const int8_t *p = block + i;
            int32_t prod = *p - zi;
            for (int32_t r = 1; r < reduce; ++r) {
                p += inner;
                prod = prod_rescale(prod, (*p - zi) * m, ts, round, high);
            }
            int32_t v = (int32_t)((uint32_t)prod_rescale(prod, m, ts, round, high) + (uint32_t)zo); /* wraps as the reference's */
            v = v < -128 ? -128 : v > 127 ? 127 : v;
            *output++ = (int8_t)v;
        }
    }
}

mcu_status mcu_reduce_prod_s8(const mcu_reduce_prod_params *params, const int8_t *input, int8_t *output)
{
    if (params->total_shift >= 32) {
        prod_loops(params, input, output, 1);
    } else {
        prod_loops(params, input, output, 0);
    }
    return MCU_OK;
}
