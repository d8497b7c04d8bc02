/* LOGISTIC: TFLite's int8 reference path is a 256-entry table of the float sigmoid, built from the
 * tensor scales; mcunets builds the same table at code-generation time (mcunets/engine/quant.py). */
#include "mcu_engine.h"

mcu_status mcu_logistic_s8(const int8_t *table, int32_t size, const int8_t *input, int8_t *output)
{
    return mcu_lut_s8(table, size, input, output);
}
