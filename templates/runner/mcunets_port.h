/* The board port the mcunets runner (main.c) is written against.
 *
 * A board supplies these five functions; everything else in the runner is portable C99.
 * See docs/targets.md.
 */
#ifndef MCUNETS_PORT_H
#define MCUNETS_PORT_H

#include <stddef.h>
#include <stdint.h>

/* Set up the console and the counter. Called once, first thing in main(). */
void mcunets_port_init(void);

/* Write n bytes of report text to the console (serial, semihosting, stdout). */
void mcunets_port_write(const char *s, size_t n);

/* Read up to cap bytes of console input into buf; returns the number read, 0 at end of input.
 * Blocks until at least one byte is available. Only validation firmware calls it. */
size_t mcunets_port_read(char *buf, size_t cap);

/* A free-running counter in the units the report's meta record names (cycles, instructions, ns);
 * 64 bits wide, so callers subtract without caring about wrap. */
uint64_t mcunets_port_counter(void);

/* Leave the program: end emulation or the host process, or park a real board. Never returns. */
void mcunets_port_exit(int status);

#endif
