// The mcunets engine behind mcu_runtime.h: the generated model.h/model.c (docs/engine.md) run the
// model; built with MCUNETS_PROFILE, the engine calls the layer hooks below around every layer.
#include <stddef.h>
#include <stdint.h>

#include "mcu_config.h"
#include "mcu_counter.h"
#include "mcu_runtime.h"

extern "C" {
#include "model.h"
}

namespace {
uint32_t layer_start;
uint32_t layer_count[MCUNETS_NUM_LAYERS];
}  // namespace

extern "C" void mcunets_layer_begin(int i) {
  (void)i;
  layer_start = mcu_counter_read();
}

extern "C" void mcunets_layer_end(int i) {
  const uint32_t now = mcu_counter_read();
  if (i >= 0 && i < MCUNETS_NUM_LAYERS) layer_count[i] = now - layer_start;
}

int mcu_runtime_init(const char** why) {
  (void)why;
  return 0;
}

int mcu_runtime_invoke(void) {
  mcunets_invoke();
  return 0;
}

uint8_t* mcu_runtime_input(int i) { return (uint8_t*)mcunets_input(i); }
const uint8_t* mcu_runtime_output(int i) { return (const uint8_t*)mcunets_output(i); }
size_t mcu_runtime_arena_used(void) { return MCUNETS_ARENA_BYTES; }
size_t mcu_runtime_arena_size(void) { return MCUNETS_ARENA_BYTES; }
int mcu_runtime_num_layers(void) { return MCUNETS_NUM_LAYERS; }
const char* mcu_runtime_layer_op(int i) { return mcunets_layer_op[i]; }
uint32_t mcu_runtime_layer_count(int i) { return layer_count[i]; }
