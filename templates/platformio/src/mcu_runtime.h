// The interface between the benchmark driver (main.cpp) and an inference runtime.
// runtime_tflm.cpp implements it over TensorFlow Lite Micro, runtime_mcunets.cpp over the
// mcunets engine's generated model.h; the driver and the report it prints are the same for both.
#ifndef MCU_RUNTIME_H
#define MCU_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

// Prepare the runtime (allocate tensors). Returns 0 on success; on failure *why says what failed.
int mcu_runtime_init(const char** why);
// One inference; records each layer's counter delta. Returns 0 on success.
int mcu_runtime_invoke(void);
uint8_t* mcu_runtime_input(int i);
const uint8_t* mcu_runtime_output(int i);
size_t mcu_runtime_arena_used(void);
size_t mcu_runtime_arena_size(void);
int mcu_runtime_num_layers(void);
const char* mcu_runtime_layer_op(int i);
// Counter units spent in layer i during the last inference.
uint32_t mcu_runtime_layer_count(int i);

#endif  // MCU_RUNTIME_H
