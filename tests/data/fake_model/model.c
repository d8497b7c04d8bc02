/* Layer 0 (CONV_2D): y[k] = x[k] * 3 - 7 (wrapping int8), a tight loop of FAKE_REPEAT passes.
 * Layer 1 (ADD): y[k] += y[(k + 1) % 64].
 * Layer 2 (FULLY_CONNECTED): out[j] = (sum_k y[k] * (k - j)) >> 12, saturated to int8.
 * tests/test_targets.py computes the same function in numpy. */
#include "model.h"

#ifndef FAKE_REPEAT
#define FAKE_REPEAT 1000
#endif
/* FAKE_SPIN extra iterations of a two-instruction loop in layer 0 (Arm only): a known instruction
 * count for checking the qemu-m4 counter. */
#ifndef FAKE_SPIN
#define FAKE_SPIN 0
#endif

const char *const mcunets_layer_op[MCUNETS_NUM_LAYERS] = {"CONV_2D", "ADD", "FULLY_CONNECTED"};
static int8_t arena[MCUNETS_ARENA_BYTES];
static int8_t *const in = arena;
static int8_t *const out = arena + FAKE_INPUT_BYTES;
static int8_t tmp[FAKE_INPUT_BYTES];

int8_t *mcunets_input(int i) { return i == 0 ? in : 0; }
int8_t *mcunets_output(int i) { return i == 0 ? out : 0; }

int mcunets_invoke(void)
{
    mcunets_layer_begin(0);
#if defined(__arm__) && defined(FAKE_FAULT)
    __asm__ volatile("udf #0"); /* an undefined instruction: UsageFault, escalated to HardFault */
#endif
#if defined(__arm__) && FAKE_SPIN > 0
    {
        register uint32_t n __asm__("r0") = FAKE_SPIN;
        __asm__ volatile("1: subs %0, %0, #1\n\tbne 1b" : "+r"(n) : : "cc");
    }
#endif
    for (volatile int r = 0; r < FAKE_REPEAT; r++)
        for (int k = 0; k < FAKE_INPUT_BYTES; k++) tmp[k] = (int8_t)(uint8_t)(in[k] * 3 - 7);
    mcunets_layer_end(0);
    mcunets_layer_begin(1);
    int8_t first = tmp[0];
    for (int k = 0; k < FAKE_INPUT_BYTES - 1; k++) tmp[k] = (int8_t)(uint8_t)(tmp[k] + tmp[k + 1]);
    tmp[FAKE_INPUT_BYTES - 1] = (int8_t)(uint8_t)(tmp[FAKE_INPUT_BYTES - 1] + first);
    mcunets_layer_end(1);
    mcunets_layer_begin(2);
    for (int j = 0; j < FAKE_OUTPUT_BYTES; j++) {
        int32_t acc = 0;
        for (int k = 0; k < FAKE_INPUT_BYTES; k++) acc += tmp[k] * (k - j);
        acc >>= 12;
        out[j] = (int8_t)(acc > 127 ? 127 : acc < -128 ? -128 : acc);
    }
    mcunets_layer_end(2);
    return 0;
}
