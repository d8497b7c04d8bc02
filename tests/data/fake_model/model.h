/* A hand-written stand-in for a generated model, with the engine's API: it exercises the runner,
 * the toolchains, the console and the counters without the code generator. */
#ifndef MODEL_H
#define MODEL_H
#include <stdint.h>

#define MCUNETS_NUM_INPUTS 1
#define MCUNETS_NUM_OUTPUTS 1
#define MCUNETS_NUM_LAYERS 3
#define MCUNETS_ARENA_BYTES 96
#define FAKE_INPUT_BYTES 64
#define FAKE_OUTPUT_BYTES 8

extern const char *const mcunets_layer_op[MCUNETS_NUM_LAYERS];
int8_t *mcunets_input(int i);
int8_t *mcunets_output(int i);
int mcunets_invoke(void);
void mcunets_layer_begin(int i);
void mcunets_layer_end(int i);
#endif
