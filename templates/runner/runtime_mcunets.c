/* The mcunets engine behind mcu_runtime.h: the generated model.h/model.c (docs/engine.md) run the
 * model; built with MCUNETS_PROFILE, the engine calls the layer hooks below around every layer (around
 * every call of a layer run patch by patch, one per tile), and they sum the port's counter per layer
 * over an inference. Used by every board that runs the engine (host, qemu-m4, PlatformIO).
 * Tensor sizes come from mcu_config.h (computed from the .tflite model). A model generated in stream
 * mode (MCUNETS_STREAM_INPUT) reads its image by rows through mcunets_read_input() below, from the
 * image the driver writes; an inference in which a row is not requested exactly once, in order, fails. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "mcu_config.h"
#include "mcu_port.h"
#include "mcu_runtime.h"
#include "model.h"

static mcu_count_t layer_start;
static mcu_count_t layer_count[MCUNETS_NUM_LAYERS];

void mcunets_layer_begin(int i)
{
    (void)i;
    layer_start = (mcu_count_t)mcu_port_counter();
}

void mcunets_layer_end(int i)
{
    mcu_count_t now = (mcu_count_t)mcu_port_counter();
    if (i >= 0 && i < MCUNETS_NUM_LAYERS) layer_count[i] += mcu_counter_delta(layer_start, now);
}

int mcu_runtime_init(const char **why)
{
    (void)why;
    return 0;
}

int mcu_runtime_num_inputs(void) { return MCU_NUM_INPUTS; }
int mcu_runtime_num_outputs(void) { return MCU_NUM_OUTPUTS; }
#ifdef MCUNETS_STREAM_INPUT
static union {
    int32_t align;
    uint8_t bytes[MCUNETS_INPUT0_ROWS * MCUNETS_INPUT0_ROW_BYTES];
} stream_image;
static int32_t stream_next, stream_bad;

void mcunets_read_input(int8_t *dst, int first_row, int rows)
{
    if (first_row != stream_next || rows <= 0 || first_row + rows > MCUNETS_INPUT0_ROWS) {
        stream_bad = 1;
        return;
    }
    memcpy(dst, stream_image.bytes + (size_t)first_row * MCUNETS_INPUT0_ROW_BYTES,
           (size_t)rows * MCUNETS_INPUT0_ROW_BYTES);
    stream_next = first_row + rows;
}

uint8_t *mcu_runtime_input(int i) { return i == 0 ? stream_image.bytes : NULL; }
#else
uint8_t *mcu_runtime_input(int i) { return (uint8_t *)mcunets_input(i); }
#endif
size_t mcu_runtime_input_bytes(int i) { return mcu_input_bytes[i]; }
const uint8_t *mcu_runtime_output(int i) { return (const uint8_t *)mcunets_output(i); }
size_t mcu_runtime_output_bytes(int i) { return mcu_output_bytes[i]; }

int mcu_runtime_invoke(void)
{
    for (int i = 0; i < MCUNETS_NUM_LAYERS; ++i) layer_count[i] = 0;
#ifdef MCUNETS_STREAM_INPUT
    stream_next = stream_bad = 0;
    mcunets_invoke();
    return (stream_bad || stream_next != MCUNETS_INPUT0_ROWS) ? 1 : 0;
#else
    mcunets_invoke();
    return 0;
#endif
}

int mcu_runtime_num_layers(void) { return MCUNETS_NUM_LAYERS; }
const char *mcu_runtime_layer_op(int i) { return mcunets_layer_op[i]; }
uint64_t mcu_runtime_layer_count(int i) { return layer_count[i]; }
size_t mcu_runtime_arena_used(void) { return MCUNETS_ARENA_BYTES; }
size_t mcu_runtime_arena_size(void) { return MCUNETS_ARENA_BYTES; }
