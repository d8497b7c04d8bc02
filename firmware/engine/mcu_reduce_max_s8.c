/* REDUCE_MAX over the middle axis of [outer, reduce, inner]: TFLite's reference compares the int8 values
 * themselves (input and output share quantization). */
#include <string.h>

#include "mcu_engine.h"

mcu_status mcu_reduce_max_s8(int32_t outer, int32_t reduce, int32_t inner, const int8_t *input, int8_t *output)
{
    for (int32_t o = 0; o < outer; ++o, output += inner) {
        if (inner == 1) {
            int8_t m = *input++;
            for (int32_t r = 1; r < reduce; ++r, ++input) {
                m = *input > m ? *input : m;
            }
            *output = m;
            continue;
        }
        memcpy(output, input, (size_t)inner);
        input += inner;
        for (int32_t r = 1; r < reduce; ++r) {
            for (int32_t k = 0; k < inner; ++k, ++input) {
                output[k] = *input > output[k] ? *input : output[k];
            }
        }
    }
    return MCU_OK;
}
