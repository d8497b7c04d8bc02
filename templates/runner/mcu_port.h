/* The board port the mcunets driver (mcu_driver.c) and the runtimes are written against.
 *
 * A board supplies these five functions; everything else in the firmware is portable. Ports:
 * templates/host/port.c (stdio, CLOCK_MONOTONIC ns), templates/qemu-mps2/port.c.j2 (semihosting,
 * SysTick instructions), templates/platformio/ports/arduino.cpp and espidf.cpp (serial console, the
 * board's cycle counter from templates/platformio/counters/). See docs/targets.md and docs/firmware.md.
 */
#ifndef MCU_PORT_H
#define MCU_PORT_H

#include <stddef.h>
#include <stdint.h>

#include "mcu_config.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Set up the console and the counter. Called once, first thing in mcu_driver_run(). */
void mcu_port_init(void);

/* Write n bytes of report text to the console (serial, semihosting, stdout). The bytes are on their
 * way when it returns: no console interrupt may fire later inside a timed region. */
void mcu_port_write(const char *s, size_t n);

/* Read console input, the "@mcu input" lines of validation: up to cap bytes of what has arrived (a line
 * may come in several pieces); returns the number read, 0 at end of input (a serial line never ends).
 * Blocks until at least one byte is available. Only validation firmware calls it. */
size_t mcu_port_read(char *buf, size_t cap);

/* A free-running counter in the units the report's meta record names (cycles, instructions, ns).
 * Its low MCU_COUNTER_BITS bits are significant (mcu_config.h); callers keep readings as mcu_count_t and
 * subtract them with mcu_counter_delta(), modulo that width, so one wrap between them is harmless. */
uint64_t mcu_port_counter(void);

/* Leave the program: end emulation or the host process, or park a real board. Never returns. */
void mcu_port_exit(int status);

/* A counter reading or difference, as wide as the counter: 32 bits on the real boards' cycle counters. */
#if MCU_COUNTER_BITS <= 32
typedef uint32_t mcu_count_t;
#else
typedef uint64_t mcu_count_t;
#endif

/* Counter units from reading start to reading end, modulo the counter's width. */
static inline mcu_count_t mcu_counter_delta(mcu_count_t start, mcu_count_t end)
{
#if MCU_COUNTER_BITS == 32 || MCU_COUNTER_BITS == 64
    return (mcu_count_t)(end - start);
#else
    return (mcu_count_t)((end - start) & (((mcu_count_t)1 << MCU_COUNTER_BITS) - 1u));
#endif
}

#ifdef __cplusplus
}
#endif

#endif /* MCU_PORT_H */
