/* The interface between the mcunets driver (mcu_driver.c) and an inference runtime.
 *
 * runtime_mcunets.c implements it over the mcunets engine's generated model.h (every board);
 * templates/platformio/runtimes/runtime_tflm.cpp.j2 over TensorFlow Lite Micro (PlatformIO boards).
 * The driver and the report it prints are the same for both.
 */
#ifndef MCU_RUNTIME_H
#define MCU_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Prepare the runtime (allocate tensors). Returns 0 on success; on failure *why says what failed. */
int mcu_runtime_init(const char **why);
int mcu_runtime_num_inputs(void);
int mcu_runtime_num_outputs(void);
/* Input / output tensor i and its size in bytes. Inputs are written before every inference: a
 * runtime may reuse input memory for activations. */
uint8_t *mcu_runtime_input(int i);
size_t mcu_runtime_input_bytes(int i);
const uint8_t *mcu_runtime_output(int i);
size_t mcu_runtime_output_bytes(int i);
/* One inference; records each layer's counter delta (mcu_port_counter()). Returns 0 on success. */
int mcu_runtime_invoke(void);
int mcu_runtime_num_layers(void);
/* TFLite builtin operator name of layer i, in execution order. */
const char *mcu_runtime_layer_op(int i);
/* Counter units spent in layer i during the last inference. */
uint64_t mcu_runtime_layer_count(int i);
size_t mcu_runtime_arena_used(void);
size_t mcu_runtime_arena_size(void);

#ifdef __cplusplus
}
#endif

#endif /* MCU_RUNTIME_H */
