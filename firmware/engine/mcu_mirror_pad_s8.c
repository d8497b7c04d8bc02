/* MIRROR_PAD, REFLECT (offset 1: the edge not repeated) and SYMMETRIC (offset 0: the edge repeated), with
 * the reference kernel's index mapping per axis; the axes after the last padded one are one element of
 * `elem` bytes, so each pixel (or row) is copied whole. */
#include <string.h>

#include "mcu_engine.h"

/* The input index of output index i along an axis of `size` with `before` padding (GetInputDimension). */
static int32_t mirror_index(int32_t i, int32_t before, int32_t size, int32_t offset)
{
    if (i < before) {
        const int32_t edge = before + offset - 1;
        return edge - (i < edge - offset ? i : edge - offset);
    }
    i -= before;
    if (i >= size) {
        const int32_t edge = size - 1 - offset;
        i -= size;
        return edge - (i < edge ? i : edge);
    }
    return i;
}

mcu_status mcu_mirror_pad_s8(const mcu_mirror_pad_params *params, const int8_t *input, int8_t *output)
{
    const int last = MCU_MAX_DIMS - 1;
    const int32_t elem = params->elem, offset = params->offset;
    const int32_t in_last = params->in_shape[last], before = params->before[last];
    int32_t out_shape[MCU_MAX_DIMS], in_stride[MCU_MAX_DIMS];
    int32_t idx[MCU_MAX_DIMS] = {0};
    int32_t rows = 1, s = elem;
    for (int i = last; i >= 0; --i) {
        out_shape[i] = params->before[i] + params->in_shape[i] + params->after[i];
        in_stride[i] = s;
        s *= params->in_shape[i];
        if (i < last) {
            rows *= out_shape[i];
        }
    }
    for (int32_t r = 0; r < rows; ++r) {
        const int8_t *src = input;
        for (int i = 0; i < last; ++i) {
            src += mirror_index(idx[i], params->before[i], params->in_shape[i], offset) * in_stride[i];
        }
        for (int32_t j = 0; j < before; ++j, output += elem) {
            memcpy(output, src + mirror_index(j, before, in_last, offset) * elem, (size_t)elem);
        }
        memcpy(output, src, (size_t)(in_last * elem));
        output += in_last * elem;
        for (int32_t j = before + in_last; j < out_shape[last]; ++j, output += elem) {
            memcpy(output, src + mirror_index(j, before, in_last, offset) * elem, (size_t)elem);
        }
        for (int i = last - 1; i >= 0; --i) {
            if (++idx[i] < out_shape[i]) {
                break;
            }
            idx[i] = 0;
        }
    }
    return MCU_OK;
}
