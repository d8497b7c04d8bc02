/* The run copy of TRANSPOSE and the slices, inline in each so that its loop is compiled for the caller. */
#ifndef MCU_COPY_RUNS_H
#define MCU_COPY_RUNS_H

#include <string.h>

#include "mcu_engine.h"

/* total output bytes in runs of run bytes, written in order; the input read from src on, axes 0 .. inner - 1
 * counted like an odometer (axis i: shape[i] steps of stride[i] input bytes, then back to its start). */
static inline void mcu_copy_runs(const int8_t *src, int8_t *output, int32_t total, int32_t run, int inner,
                                 const int32_t *shape, const int32_t *stride)
{
    int32_t idx[MCU_MAX_DIMS] = {0};
    for (int32_t n = 0; n < total; n += run) {
        if (run == 1) {
            *output++ = *src;
        } else {
            memcpy(output, src, (size_t)run);
            output += run;
        }
        for (int i = inner - 1; i >= 0; --i) {
            src += stride[i];
            if (++idx[i] < shape[i]) {
                break;
            }
            src -= stride[i] * shape[i];
            idx[i] = 0;
        }
    }
}

#endif
